// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xfer.c - transfers of the test pattern on one stream, checked byte by
 * byte and by SHA-256.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/quic.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "net.h"
#include "xfer.h"
#include "util.h"

int send_all(int fd, int64_t sid, const void *buf, size_t len,
	     uint32_t flags, bool fin)
{
	const uint8_t *p = buf;
	ssize_t n;

	for (;;) {
		n = quic_sendmsg(fd, p, len, sid,
				 flags | (fin ? MSG_STREAM_FIN : 0));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if ((size_t)n > len) {
			errno = EPROTO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		if (!len)
			return 0;
		flags &= ~MSG_STREAM_NEW;
	}
}

void *xfer_send_main(void *p)
{
	struct xfer *x = p;
	size_t chunk = x->chunk ? x->chunk : 64 * KIB;
	uint8_t *buf = malloc(chunk);
	gnutls_hash_hd_t h;
	double t0 = now_s();
	uint32_t flags;
	ssize_t r;
	size_t n;

	x->err = 0;
	x->done = 0;
	if (!buf || gnutls_hash_init(&h, GNUTLS_DIG_SHA256)) {
		x->err = ENOMEM;
		free(buf);
		return NULL;
	}
	while (x->done < x->size) {
		n = (size_t)(x->size - x->done < chunk ? x->size - x->done
						       : chunk);
		pat_fill(x->seed, x->done, buf, n);
		flags = x->done ? 0 : x->open_flags;
		if (x->done + n == x->size)
			flags |= MSG_STREAM_FIN;
		r = quic_sendmsg(x->fd, buf, n, x->sid, flags);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			x->err = errno;
			break;
		}
		if (r == 0) {
			x->err = -1;
			break;
		}
		gnutls_hash(h, buf, (size_t)r);
		x->done += (uint64_t)r;
		if ((size_t)r == n && (flags & MSG_STREAM_FIN))
			x->fin = 1;
	}
	gnutls_hash_deinit(h, x->hash);
	x->secs = now_s() - t0;
	free(buf);
	return NULL;
}

void *xfer_recv_main(void *p)
{
	struct xfer *x = p;
	size_t chunk = x->chunk ? x->chunk : 64 * KIB;
	uint8_t *buf = malloc(chunk), *exp = malloc(chunk);
	gnutls_hash_hd_t h;
	double t0 = now_s();
	uint32_t flags;
	int64_t sid;
	ssize_t r;

	x->err = 0;
	x->done = 0;
	x->bad_off = -1;
	x->bad_sid = -1;
	if (!buf || !exp || gnutls_hash_init(&h, GNUTLS_DIG_SHA256)) {
		x->err = ENOMEM;
		free(buf);
		free(exp);
		return NULL;
	}
	while (!x->fin) {
		flags = 0;
		sid = -1;
		r = quic_recvmsg(x->fd, buf, chunk, &sid, &flags);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			x->err = errno;
			break;
		}
		if (r == 0 && !(flags & MSG_STREAM_FIN)) {
			x->err = -1;	/* the connection ended */
			break;
		}
		if (flags & MSG_NOTIFICATION)
			continue;
		if (sid != x->sid) {
			x->bad_sid = sid;
			x->err = EPROTO;
			break;
		}
		pat_fill(x->seed, x->done, exp, (size_t)r);
		if (x->bad_off < 0 && memcmp(buf, exp, (size_t)r)) {
			ssize_t i = 0;

			while (buf[i] == exp[i])
				i++;
			x->bad_off = (int64_t)(x->done + (uint64_t)i);
		}
		gnutls_hash(h, buf, (size_t)r);
		/* watched by xfer_watch and by tests' monitors meanwhile */
		__atomic_store_n(&x->done, x->done + (uint64_t)r,
				 __ATOMIC_RELAXED);
		if (flags & MSG_STREAM_FIN) {
			x->fin = 1;
			if (x->done < x->size)
				x->fin_early = 1;
		}
		if (x->done > x->size)
			break;
		if (x->pause_us)
			usleep((useconds_t)x->pause_us);
	}
	gnutls_hash_deinit(h, x->hash);
	x->secs = now_s() - t0;
	free(buf);
	free(exp);
	return NULL;
}

/* Check a finished transfer @s -> @r; true if it all arrived intact. */
bool xfer_check(const char *what, const struct xfer *s, const struct xfer *r)
{
	char hs[65], hr[65];
	bool ok = true;

	hex(s->hash, 32, hs);
	hex(r->hash, 32, hr);
	if (s->err)
		tap_diag("%s: sender stopped at %llu: %s", what,
			 (unsigned long long)s->done,
			 s->err > 0 ? strerror(s->err) : "end of connection");
	if (r->err)
		tap_diag("%s: receiver stopped at %llu: %s", what,
			 (unsigned long long)r->done,
			 r->err > 0 ? strerror(r->err) : "end of connection");
	if (r->bad_sid >= 0)
		tap_diag("%s: data for stream %lld, expected %lld", what,
			 (long long)r->bad_sid, (long long)r->sid);
	if (r->bad_off >= 0)
		tap_diag("%s: first wrong byte at offset %lld", what,
			 (long long)r->bad_off);
	ok &= CHECK_EQ(s->err, 0);
	ok &= CHECK_EQ(r->err, 0);
	ok &= CHECK_EQ(s->done, s->size);
	ok &= CHECK_EQ(r->done, s->size);
	ok &= CHECK(r->fin);
	ok &= CHECK(!r->fin_early);
	ok &= CHECK_EQ(r->bad_off, -1);
	ok &= CHECK(!memcmp(s->hash, r->hash, 32));
	if (!ok)
		tap_diag("%s: sha256 sent %s, received %s", what, hs, hr);
	else
		tap_diag("%s: %llu bytes in %.2f s (%.1f Mbit/s), sha256 %.16s...",
			 what, (unsigned long long)r->done, r->secs,
			 r->secs > 0 ? (double)r->done * 8 / r->secs / 1e6 : 0,
			 hr);
	return ok;
}

static int xfer_env_int(const char *name, int def)
{
	const char *v = getenv(name);
	int n = v ? atoi(v) : 0;

	return n > 0 ? n : def;
}

void xfer_sockets_diag(const char *why)
{
	const char *path = "/sys/kernel/debug/quic/sockets";
	char line[1024];
	FILE *f = fopen(path, "r");

	tap_diag("%s; %s:", why, path);
	if (!f) {
		tap_diag("    (cannot read it: %s)", strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		tap_diag("    %s", line);
	}
	fclose(f);
}

static void *xfer_watch_main(void *p)
{
	struct xfer_watch *w = p;
	double delay = xfer_env_int("QUIC_STALL_SECS", 5) *
		       xfer_env_int("QUIC_TIMEOUT_SCALE", 1);
	double since = now_s(), next = delay;
	uint64_t last = UINT64_MAX, sum;
	int i, open, dumps = 0;

	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		msleep(100);
		sum = 0;
		open = 0;
		for (i = 0; i < w->n; i++) {
			uint64_t d = __atomic_load_n(&w->x[i]->done,
						     __ATOMIC_RELAXED);

			sum += d;
			open |= d < w->x[i]->size &&
				!__atomic_load_n(&w->x[i]->err,
						 __ATOMIC_RELAXED);
		}
		if (sum != last || !open) {
			last = sum;
			since = now_s();
			next = delay;
			continue;
		}
		if (dumps < 4 && now_s() - since >= next) {
			char why[256];

			snprintf(why, sizeof(why),
				 "%s: no progress for %.0f s at %llu bytes",
				 w->what, now_s() - since,
				 (unsigned long long)sum);
			xfer_sockets_diag(why);
			dumps++;
			next *= 2;
		}
	}
	return NULL;
}

void xfer_watch_start(struct xfer_watch *w, const char *what, int n, ...)
{
	va_list ap;
	int i;

	w->n = 0;
	w->what = what;
	w->stop = 0;
	va_start(ap, n);
	for (i = 0; i < n && i < 4; i++) {
		const struct xfer *x = va_arg(ap, const struct xfer *);

		if (x)
			w->x[w->n++] = x;
	}
	va_end(ap);
	if (pthread_create(&w->thread, NULL, xfer_watch_main, w))
		w->n = -1;
}

void xfer_watch_stop(struct xfer_watch *w)
{
	if (w->n < 0)
		return;
	__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
	pthread_join(w->thread, NULL);
}

/* One transfer on the pair: @up client->server (stream 0), else
 * server->client (stream 1); both run at once when @both.
 */
void pair_transfer(struct pair *p, uint64_t size, int up, int both)
{
	struct xfer us = { .fd = p->cfd, .sid = 0, .size = size, .seed = 11,
			   .open_flags = MSG_STREAM_NEW };
	struct xfer ur = { .fd = p->sfd, .sid = 0, .size = size, .seed = 11 };
	struct xfer ds = { .fd = p->sfd, .sid = 1, .size = size, .seed = 22,
			   .open_flags = MSG_STREAM_NEW };
	struct xfer dr = { .fd = p->cfd, .sid = 1, .size = size, .seed = 22 };
	pthread_t t[4];
	int run_up = up || both, run_down = !up || both;
	struct xfer_watch w;

	if (run_up) {
		pthread_create(&t[0], NULL, xfer_send_main, &us);
		pthread_create(&t[1], NULL, xfer_recv_main, &ur);
	}
	if (run_down) {
		pthread_create(&t[2], NULL, xfer_send_main, &ds);
		pthread_create(&t[3], NULL, xfer_recv_main, &dr);
	}
	xfer_watch_start(&w, "pair_transfer", 4, run_up ? &us : NULL,
			 run_up ? &ur : NULL, run_down ? &ds : NULL,
			 run_down ? &dr : NULL);
	if (run_up) {
		pthread_join(t[0], NULL);
		pthread_join(t[1], NULL);
	}
	if (run_down) {
		pthread_join(t[2], NULL);
		pthread_join(t[3], NULL);
	}
	xfer_watch_stop(&w);
	if (run_up)
		xfer_check("client->server", &us, &ur);
	if (run_down)
		xfer_check("server->client", &ds, &dr);
}

int peer_connect(int server, const char *ip, int port, int tmo,
		 int (*prep)(int fd), int *lfd)
{
	struct hs_cfg hs = { .psk = 1, .cipher = "AES-128-GCM" };
	int family = strchr(ip, ':') ? AF_INET6 : AF_INET;
	struct addr a = mkaddr(family, ip, (uint16_t)port);
	const char *me = server ? "server" : "client";
	int fd, ret;
	double t0;

	fd = socket(family, SOCK_DGRAM, IPPROTO_QUIC);
	if (fd < 0 || (prep && prep(fd))) {
		printf("# %s: socket: %s\n", me, strerror(errno));
		return -2;
	}
	if (server) {
		*lfd = fd;
		if (bind(fd, &a.sa, a.len) || listen(fd, 4)) {
			printf("# server: listen: %s\n", strerror(errno));
			return -2;
		}
		set_timeouts(fd, tmo * 1000);
		printf("# server: listening on %s port %d\n", ip, port);
		fflush(stdout);
		fd = accept(fd, NULL, NULL);
		if (fd < 0) {
			printf("# server: accept: %s\n", strerror(errno));
			return -2;
		}
	} else if (connect(fd, &a.sa, a.len)) {
		printf("# client: connect: %s\n", strerror(errno));
		return -2;
	}
	set_timeouts(fd, tmo * 1000);
	t0 = now_s();
	ret = handshake(fd, server, &hs, NULL);
	if (ret) {
		printf("# %s: handshake failed: %d (%s) after %.2f s\n", me,
		       ret, strerror(-ret), now_s() - t0);
		xfer_sockets_diag(server ? "server: after the failed handshake" :
				  "client: after the failed handshake");
		return -1;
	}
	printf("# %s: handshake took %.2f s\n", me, now_s() - t0);
	fflush(stdout);
	return fd;
}
