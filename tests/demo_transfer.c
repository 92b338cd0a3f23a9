// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * demo_transfer: one QUIC connection over loopback between two
 * processes, TLS 1.3 handshake by libquic (PSK), then SIZE MiB on a
 * stream, checked by a running hash.  Used by `make demo`.
 *
 *	demo_transfer PSK_FILE [MiB]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netinet/quic.h>

#define PORT	4433
#define CHUNK	65536

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int client(const char *psk, size_t total)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	static unsigned char buf[CHUNK];
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t sent = 0;
	uint32_t flags;
	int fd, err;

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, IPPROTO_QUIC);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("client: socket/connect");
		return 1;
	}
	err = quic_client_handshake(fd, psk, NULL, "demo");
	if (err) {
		fprintf(stderr, "client: handshake: %s\n", strerror(-err));
		return 1;
	}
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = i * 7 + 3;
	while (sent < total) {
		size_t n = total - sent < CHUNK ? total - sent : CHUNK;
		ssize_t r;

		flags = (sent ? 0 : MSG_STREAM_NEW) |
			(sent + n == total ? MSG_STREAM_FIN : 0);
		r = quic_sendmsg(fd, buf, n, 0, flags);
		if (r < 0) {
			perror("client: quic_sendmsg");
			return 1;
		}
		h = fnv(h, buf, r);
		sent += r;
	}
	printf("client: sent %zu bytes on stream 0, hash %016llx\n", sent,
	       (unsigned long long)h);
	/* wait for the server's verdict, then close */
	flags = 0;
	if (quic_recvmsg(fd, buf, sizeof(buf), &(int64_t){0}, &flags) < 0)
		perror("client: quic_recvmsg");
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	static unsigned char buf[CHUNK];
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t total, got = 0;
	char alpn[64] = "";
	socklen_t len = sizeof(alpn);
	int lfd, fd, err, st;
	int64_t sid = 0;
	uint32_t flags;
	double t0, t;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: %s PSK_FILE [MiB]\n", argv[0]);
		return 2;
	}
	total = (argc > 2 ? strtoul(argv[2], NULL, 0) : 16) << 20;
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	lfd = socket(AF_INET, SOCK_STREAM, IPPROTO_QUIC);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) ||
	    setsockopt(lfd, SOL_QUIC, QUIC_SOCKOPT_ALPN, "demo", 4) ||
	    listen(lfd, 1)) {
		perror("server: socket/bind/listen");
		return 1;
	}
	pid = fork();
	if (!pid)
		return client(argv[1], total);

	fd = accept(lfd, NULL, NULL);
	if (fd < 0) {
		perror("server: accept");
		return 1;
	}
	t0 = now();
	err = quic_server_handshake(fd, argv[1], NULL, "demo");
	if (err) {
		fprintf(stderr, "server: handshake: %s\n", strerror(-err));
		return 1;
	}
	getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_ALPN, alpn, &len);
	printf("server: handshake done in %.1f ms, ALPN \"%s\"\n",
	       (now() - t0) * 1e3, alpn);
	t0 = now();
	do {
		ssize_t r;

		flags = 0;
		r = quic_recvmsg(fd, buf, sizeof(buf), &sid, &flags);
		if (r < 0) {
			perror("server: quic_recvmsg");
			return 1;
		}
		if (!r && !(flags & MSG_STREAM_FIN))
			break;
		h = fnv(h, buf, r);
		got += r;
	} while (!(flags & MSG_STREAM_FIN));
	t = now() - t0;
	printf("server: received %zu bytes on stream %lld with FIN, hash %016llx, %.1f Mbit/s\n",
	       got, (long long)sid, (unsigned long long)h, got * 8 / t / 1e6);
	quic_sendmsg(fd, "ok", 2, sid, MSG_STREAM_FIN);
	waitpid(pid, &st, 0);
	close(fd);
	close(lfd);
	return got == total && WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : 1;
}
