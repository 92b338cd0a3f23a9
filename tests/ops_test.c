// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ops_test: what an operator reads of quic.ko, checked against scenarios
 * that must move it: the counters of /proc/net/quic/snmp (exact amounts,
 * each test in a network namespace of its own, so that nothing else
 * moves them), and the sockets of /proc/net/quic/conns and
 * /proc/net/quic/endpoints.
 *
 * Runs as root in a guest with quic.ko loaded; prints TAP (tests/tap.h),
 * each test isolated in a child of its own (tests/lib/runner.h).
 *
 * Usage: ops_test [-v] [-l] [-t GLOB]...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/quic.h>
#include <netinet/quic.h>

#include "lib/testlib.h"

#define SNMP_PATH	"/proc/net/quic/snmp"
#define CONNS_PATH	"/proc/net/quic/conns"
#define ENDPOINTS_PATH	"/proc/net/quic/endpoints"

/* every counter, in the order of the file: the file's ABI */
static const char *const snmp_names[] = {
	"InDatagrams", "InPackets", "InBytes", "OutDatagrams", "OutPackets",
	"OutBytes", "InNoSocket", "InDecryptErrors", "InMalformed",
	"InDuplicates", "InNoKeys", "InRcvMemDrops", "InBacklogDrops",
	"LostPackets", "ProbeTimeouts", "RetransFrames", "HandshakesStarted",
	"HandshakesCompleted", "HandshakesFailed", "ActiveOpens",
	"PassiveOpens", "ConnClosed", "ConnPeerClosed", "ConnIdleTimeouts",
	"ConnResets", "RetrySent", "RetryRcvd", "TokensRejected",
	"VersionNegotiationSent", "StatelessResetsSent", "RequestDrops",
	"KeyUpdates", "PmtuChanges", "Migrations", "PathValidationFailures",
	"InUnknownServer",
};

#define NCOUNTERS	((int)(sizeof(snmp_names) / sizeof(snmp_names[0])))

struct snmp {
	int		n;
	char		names[64][32];
	long long	vals[64];
};

/* both lines of the file; false (with a diagnostic) when malformed */
static bool snmp_read(struct snmp *s)
{
	char l1[4096], l2[4096], *sv1, *sv2, *a, *b;
	FILE *f = fopen(SNMP_PATH, "r");
	bool ok;

	memset(s, 0, sizeof(*s));
	if (!f) {
		tap_diag("%s: %s", SNMP_PATH, strerror(errno));
		return false;
	}
	ok = fgets(l1, sizeof(l1), f) && fgets(l2, sizeof(l2), f) &&
	     !fgets(l2 + strlen(l2), (int)(sizeof(l2) - strlen(l2)), f);
	fclose(f);
	if (!ok) {
		tap_diag("%s: not two lines", SNMP_PATH);
		return false;
	}
	a = strtok_r(l1, " \n", &sv1);
	b = strtok_r(l2, " \n", &sv2);
	if (!a || !b || strcmp(a, "Quic:") || strcmp(b, "Quic:")) {
		tap_diag("%s: lines do not start with Quic:", SNMP_PATH);
		return false;
	}
	for (;;) {
		a = strtok_r(NULL, " \n", &sv1);
		b = strtok_r(NULL, " \n", &sv2);
		if (!a && !b)
			return true;
		if (!a || !b || s->n == 64) {
			tap_diag("%s: %d names and values, then a mismatch",
				 SNMP_PATH, s->n);
			return false;
		}
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s", a);
		s->vals[s->n++] = strtoll(b, NULL, 10);
	}
}

/* the value of @name, or -1 when the file has no such counter */
static long long snmp_get(const struct snmp *s, const char *name)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->names[i], name))
			return s->vals[i];
	tap_diag("no counter %s", name);
	return -1;
}

/* the counter @name, read now */
static long long counter(const char *name)
{
	struct snmp s;

	if (!snmp_read(&s))
		return -1;
	return snmp_get(&s, name);
}

/* wait up to @secs for counter @name to reach @want; its last value */
static long long counter_wait(const char *name, long long want, double secs)
{
	double t0 = now_s();
	long long v;

	while ((v = counter(name)) < want && now_s() - t0 < secs)
		msleep(10);
	return v;
}

/*
 * A network namespace of our own, with loopback up: the counters start
 * at zero and only this test moves them.
 */
static bool netns_new(void)
{
	struct ifreq ifr = { 0 };
	int fd;

	if (!CHECK_SYS(unshare(CLONE_NEWNET)))
		return false;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (!CHECK_SYS(fd))
		return false;
	strcpy(ifr.ifr_name, "lo");
	if (!CHECK_SYS(ioctl(fd, SIOCGIFFLAGS, &ifr))) {
		close(fd);
		return false;
	}
	ifr.ifr_flags |= IFF_UP;
	CHECK_SYS(ioctl(fd, SIOCSIFFLAGS, &ifr));
	close(fd);
	return true;
}

#define REQUIRE_NETNS() do { if (!netns_new()) return; } while (0)

static const struct pcfg cfg4 = { .family = AF_INET };

/* the line of /proc/net/quic/conns or endpoints containing @key */
static bool proc_line(const char *path, const char *key, char *out,
		      size_t len)
{
	char buf[1024];
	FILE *f = fopen(path, "r");
	bool found = false;

	if (!f)
		return false;
	while (fgets(buf, sizeof(buf), f)) {
		if (strstr(buf, key)) {
			snprintf(out, len, "%s", buf);
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

/* how many lines of @path contain @key (the header line not counted) */
static int proc_count(const char *path, const char *key)
{
	char buf[1024];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		n = -1;
	while (n >= 0 && fgets(buf, sizeof(buf), f))
		n += !!strstr(buf, key);
	fclose(f);
	return n;
}

/* ----------------------------------------------------------- the tests */

static void test_snmp_format(const void *arg)
{
	struct stat sb;
	struct snmp s;
	int i;

	(void)arg;
	REQUIRE_NETNS();
	if (!CHECK(snmp_read(&s)))
		return;
	CHECK_EQ(s.n, NCOUNTERS);
	for (i = 0; i < NCOUNTERS && i < s.n; i++) {
		if (!CHECK(!strcmp(s.names[i], snmp_names[i])))
			tap_diag("counter %d is %s, not %s", i, s.names[i],
				 snmp_names[i]);
		CHECK_EQ(s.vals[i], 0);	/* a new namespace */
	}
	/* read-only */
	if (CHECK_SYS(stat(SNMP_PATH, &sb)))
		CHECK_EQ(sb.st_mode & 0777, 0444);
}

/*
 * A handshake, a little data both ways, and the ends: the counters of
 * the connection's life move by exactly what happened, and a namespace
 * beside sees none of it.
 */
static void test_snmp_life(const void *arg)
{
	char buf[16] = "counted";
	struct snmp s;
	struct pair p;
	int64_t sid = 0;
	uint32_t flags = 0;

	(void)arg;
	REQUIRE_NETNS();
	REQUIRE_PAIR(&p, &cfg4);
	CHECK_EQ(quic_sendmsg(p.cfd, buf, 8, sid, MSG_STREAM_FIN), 8);
	CHECK_EQ(quic_recvmsg(p.sfd, buf, sizeof(buf), &sid, &flags), 8);
	CHECK_EQ(quic_sendmsg(p.sfd, buf, 8, sid, MSG_STREAM_FIN), 8);
	CHECK_EQ(quic_recvmsg(p.cfd, buf, sizeof(buf), &sid, &flags), 8);
	if (!CHECK(snmp_read(&s)))
		goto out;
	CHECK_EQ(snmp_get(&s, "HandshakesStarted"), 2);
	CHECK_EQ(snmp_get(&s, "HandshakesCompleted"), 2);
	CHECK_EQ(snmp_get(&s, "HandshakesFailed"), 0);
	CHECK_EQ(snmp_get(&s, "ActiveOpens"), 1);
	CHECK_EQ(snmp_get(&s, "PassiveOpens"), 1);
	CHECK_EQ(snmp_get(&s, "ConnClosed"), 0);
	CHECK(snmp_get(&s, "OutPackets") >= snmp_get(&s, "OutDatagrams"));
	CHECK(snmp_get(&s, "OutDatagrams") >= 4);
	CHECK(snmp_get(&s, "InPackets") >= 4);
	/* the client's first Initials go to the listener, not a socket */
	CHECK(snmp_get(&s, "InDatagrams") < snmp_get(&s, "OutDatagrams"));
	CHECK(snmp_get(&s, "InBytes") < snmp_get(&s, "OutBytes"));
	CHECK(snmp_get(&s, "InBytes") >= 8 * snmp_get(&s, "InDatagrams"));
	CHECK_EQ(snmp_get(&s, "InDecryptErrors"), 0);
	CHECK_EQ(snmp_get(&s, "InMalformed"), 0);
	CHECK_EQ(snmp_get(&s, "InNoSocket"), 0);
	CHECK_EQ(snmp_get(&s, "Migrations"), 0);

	/* the client closes: both ends are closed, the server by the peer */
	close(p.cfd);
	p.cfd = -1;
	CHECK_EQ(counter_wait("ConnPeerClosed", 1, 5), 1);
	close(p.sfd);
	p.sfd = -1;
	CHECK_EQ(counter("ConnClosed"), 2);
	CHECK_EQ(counter("ConnResets"), 0);
	CHECK_EQ(counter("ConnIdleTimeouts"), 0);
out:
	pair_close(&p);
}

/* another namespace's traffic is not counted here */
static void test_snmp_netns(const void *arg)
{
	int fds[2];
	pid_t pid;
	char c;
	struct pair p;
	int st;

	(void)arg;
	REQUIRE_NETNS();
	pair_init(&p);
	if (!CHECK_SYS(pipe(fds)))
		return;
	pid = fork();
	if (pid == 0) {
		/* a namespace of its own, a connection in it */
		if (netns_new() && pair_open(&p, &cfg4) &&
		    counter("HandshakesCompleted") == 2)
			c = 'y';
		else
			c = 'n';
		pair_close(&p);
		if (write(fds[1], &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	if (!CHECK_SYS(pid))
		return;
	CHECK_EQ(read(fds[0], &c, 1), 1);
	CHECK_EQ(c, 'y');
	waitpid(pid, &st, 0);
	CHECK_EQ(counter("HandshakesStarted"), 0);
	CHECK_EQ(counter("OutPackets"), 0);
	CHECK_EQ(counter("InDatagrams"), 0);
	close(fds[0]);
	close(fds[1]);
}

/* a client gives up before its handshake completes */
static void test_snmp_failed(const void *arg)
{
	uint16_t port;
	int lfd, fd;

	(void)arg;
	REQUIRE_NETNS();
	lfd = listener(AF_INET, NULL, 0, 0, &port);
	if (!CHECK_SYS(lfd))
		return;
	fd = client_socket(AF_INET, NULL, 0, port);
	if (CHECK_SYS(fd))
		close(fd);
	CHECK_EQ(counter("HandshakesStarted"), 1);
	CHECK_EQ(counter("ActiveOpens"), 1);
	CHECK_EQ(counter("HandshakesFailed"), 1);
	CHECK_EQ(counter("HandshakesCompleted"), 0);
	CHECK_EQ(counter("ConnClosed"), 1);
	close(lfd);
}

/*
 * Datagrams for nobody at a listener's port: a short header packet gets
 * a Stateless Reset (shorter than it); an Initial of an unknown version
 * a Version Negotiation packet; a datagram too short to be a QUIC
 * packet nothing.
 */
static void test_snmp_sockless(const void *arg)
{
	uint8_t pkt[1200], back[1500];
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint16_t port;
	int lfd, u;
	ssize_t n;

	(void)arg;
	REQUIRE_NETNS();
	lfd = listener(AF_INET, NULL, 0, 0, &port);
	if (!CHECK_SYS(lfd))
		return;
	u = socket(AF_INET, SOCK_DGRAM, 0);
	if (!CHECK_SYS(u))
		goto out;
	set_timeouts(u, 2000);
	to.sin_port = htons(port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	/* a short header: 0x40, an 8-byte DCID of nobody, 41 more bytes */
	memset(pkt, 0x5a, 50);
	pkt[0] = 0x41;
	CHECK_EQ(sendto(u, pkt, 50, 0, (struct sockaddr *)&to, sizeof(to)),
		 50);
	n = recv(u, back, sizeof(back), 0);
	CHECK(n > 20 && n < 50);
	CHECK_EQ(counter("StatelessResetsSent"), 1);
	CHECK_EQ(counter("InNoSocket"), 1);

	/* a long header of version 0x1a2a3a4a, padded to 1200 bytes */
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0xc0;
	pkt[1] = 0x1a; pkt[2] = 0x2a; pkt[3] = 0x3a; pkt[4] = 0x4a;
	pkt[5] = 8;
	memset(pkt + 6, 0x11, 8);
	pkt[14] = 8;
	memset(pkt + 15, 0x22, 8);
	CHECK_EQ(sendto(u, pkt, sizeof(pkt), 0, (struct sockaddr *)&to,
			sizeof(to)), (ssize_t)sizeof(pkt));
	n = recv(u, back, sizeof(back), 0);
	CHECK(n > 7 && back[0] & 0x80 && !back[1] && !back[2] && !back[3] &&
	      !back[4]);
	CHECK_EQ(counter("VersionNegotiationSent"), 1);

	/* three bytes: no header at all */
	CHECK_EQ(sendto(u, "\xc0\x00\x00", 3, 0, (struct sockaddr *)&to,
			sizeof(to)), 3);
	CHECK_EQ(counter_wait("InMalformed", 1, 2), 1);
	CHECK_EQ(counter("StatelessResetsSent"), 1);
	CHECK_EQ(counter("InDatagrams"), 0);
	close(u);
out:
	close(lfd);
}

/*
 * A listener with validate_peer_address: a client gets a Retry and
 * follows it; an Initial with a token that is not ours is counted as
 * rejected (and answered with a Retry too).
 */
static void test_snmp_retry(const void *arg)
{
	static const uint8_t dcid[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t scid[8] = { 9, 9, 9, 9, 9, 9, 9, 9 };
	static const uint8_t junk[16] = "not a token";
	struct quic_config c = { 0 };
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct cli_arg ca = { .cfg = &cfg4, .fd = -1 };
	uint8_t pkt[1300], back[1500];
	struct forge_keys k;
	socklen_t len = sizeof(c);
	pthread_t th;
	struct pair p;
	int u, n, sfd;

	(void)arg;
	REQUIRE_NETNS();
	pair_init(&p);
	p.lfd = listener(AF_INET, NULL, 0, 0, &p.port);
	if (!CHECK_SYS(p.lfd))
		return;
	CHECK_SYS(getsockopt(p.lfd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &c, &len));
	c.validate_peer_address = 1;
	CHECK_SYS(setsockopt(p.lfd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &c,
			     sizeof(c)));
	ca.port = p.port;
	if (!CHECK_EQ(pthread_create(&th, NULL, cli_main, &ca), 0))
		goto out;
	sfd = accept(p.lfd, NULL, NULL);
	if (CHECK_SYS(sfd)) {
		set_timeouts(sfd, TMO_MS);
		CHECK_EQ(handshake(sfd, 1, NULL, NULL), 0);
		close(sfd);
	}
	pthread_join(th, NULL);
	CHECK_EQ(ca.ret, 0);
	if (ca.fd >= 0)
		close(ca.fd);
	CHECK_EQ(counter("RetrySent"), 1);
	CHECK_EQ(counter("RetryRcvd"), 1);
	CHECK_EQ(counter("TokensRejected"), 0);

	u = socket(AF_INET, SOCK_DGRAM, 0);
	if (!CHECK_SYS(u))
		goto out;
	set_timeouts(u, 2000);
	to.sin_port = htons(p.port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!CHECK_EQ(forge_initial_keys(&k, dcid, sizeof(dcid), 0), 0))
		goto close_u;
	n = forge_initial_token(&k, pkt, sizeof(pkt), dcid, sizeof(dcid),
				scid, sizeof(scid), junk, sizeof(junk), 0,
				(const uint8_t *)"\x01", 1, 1200);
	if (!CHECK(n >= 1200))
		goto close_u;
	CHECK_EQ(sendto(u, pkt, n, 0, (struct sockaddr *)&to, sizeof(to)), n);
	n = (int)recv(u, back, sizeof(back), 0);
	CHECK(n > 0 && (back[0] & 0xf0) == 0xf0);	/* a Retry */
	CHECK_EQ(counter("TokensRejected"), 1);
	CHECK_EQ(counter("RetrySent"), 2);
close_u:
	close(u);
out:
	pair_close(&p);
}

/* the server's line of /proc/net/quic/conns: its source ID, in hex */
static bool server_scid(char *hexid, size_t len)
{
	char line[1024], f[8][128];

	if (!CHECK(proc_line(CONNS_PATH, " server ", line, sizeof(line))))
		return false;
	if (!CHECK_EQ(sscanf(line, "%127s %127s %127s %127s %127s %127s",
			     f[0], f[1], f[2], f[3], f[4], f[5]), 6))
		return false;
	snprintf(hexid, len, "%s", f[5]);
	return true;
}

/*
 * A short header packet to the server's connection ID whose protection
 * does not open: one decryption failure, and the connection goes on.
 */
static void test_snmp_decrypt(const void *arg)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	char hexid[128], buf[16];
	uint8_t pkt[64];
	int64_t sid = 0;
	uint32_t flags = 0;
	size_t i, idlen;
	struct pair p;
	int u;

	(void)arg;
	REQUIRE_NETNS();
	REQUIRE_PAIR(&p, &cfg4);
	if (!server_scid(hexid, sizeof(hexid)))
		goto out;
	idlen = strlen(hexid) / 2;
	if (!CHECK(idlen >= 1 && idlen <= 20))
		goto out;
	memset(pkt, 0x77, sizeof(pkt));
	pkt[0] = 0x41;
	for (i = 0; i < idlen; i++)
		sscanf(hexid + 2 * i, "%2hhx", &pkt[1 + i]);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	if (!CHECK_SYS(u))
		goto out;
	to.sin_port = htons(p.port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK_EQ(sendto(u, pkt, sizeof(pkt), 0, (struct sockaddr *)&to,
			sizeof(to)), (ssize_t)sizeof(pkt));
	CHECK_EQ(counter_wait("InDecryptErrors", 1, 2), 1);
	close(u);
	CHECK_EQ(quic_sendmsg(p.cfd, "alive", 5, sid, MSG_STREAM_FIN), 5);
	CHECK_EQ(quic_recvmsg(p.sfd, buf, sizeof(buf), &sid, &flags), 5);
	CHECK_EQ(counter("InDecryptErrors"), 1);
	CHECK_EQ(counter("InNoSocket"), 0);
out:
	pair_close(&p);
}

/* a datagram of the client's sent again from its address: a duplicate */
static void test_snmp_duplicate(const void *arg)
{
	uint8_t buf[2048], *pl;
	struct spoof sp = { .fd = -1 };
	int64_t sid = 0;
	uint32_t flags = 0;
	struct pair p;
	double t0;
	ssize_t n = -1;
	int snf;

	(void)arg;
	REQUIRE_NETNS();
	REQUIRE_PAIR(&p, &cfg4);
	sp.sport = (uint16_t)local_port(p.cfd);
	sp.dport = p.port;
	snf = sniff_open(sp.sport);
	sp.fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (!CHECK_SYS(snf) || !CHECK_SYS(sp.fd))
		goto out;
	CHECK_EQ(quic_sendmsg(p.cfd, "once", 4, sid, MSG_STREAM_FIN), 4);
	CHECK_EQ(quic_recvmsg(p.sfd, buf, sizeof(buf), &sid, &flags), 4);
	for (t0 = now_s(); now_s() - t0 < 2; msleep(5)) {
		n = sniff_recv(snf, p.port, buf, sizeof(buf), &pl);
		if (n > 0 && !(pl[0] & 0x80))
			break;
	}
	if (!CHECK(n > 0 && !(pl[0] & 0x80)))
		goto out;
	CHECK_EQ(counter("InDuplicates"), 0);
	CHECK_SYS(spoof_send(&sp, pl, (size_t)n));
	CHECK_EQ(counter_wait("InDuplicates", 1, 2), 1);
	CHECK_EQ(counter("InDecryptErrors"), 0);
out:
	if (snf >= 0)
		close(snf);
	if (sp.fd >= 0)
		close(sp.fd);
	pair_close(&p);
}

/* both ends of a connection idle out: two idle timeouts */
static void test_snmp_idle(const void *arg)
{
	static const struct quic_transport_param tp = {
		.max_idle_timeout = 300000,	/* us */
	};
	static const struct pcfg c = {
		.family = AF_INET, .tp_c = &tp, .tp_s = &tp,
	};
	struct pair p;

	(void)arg;
	REQUIRE_NETNS();
	REQUIRE_PAIR(&p, &c);
	CHECK_EQ(counter_wait("ConnIdleTimeouts", 2, 10), 2);
	CHECK_EQ(counter("ConnClosed"), 2);
	CHECK_EQ(counter("ConnPeerClosed"), 0);
	pair_close(&p);
}

/*
 * /proc/net/quic: a listener with two ALPNs and its backlog in
 * endpoints; eight connections in conns, with their ports, roles, state,
 * owner and inode; nothing of them from another namespace.
 */
static void test_proc_tables(const void *arg)
{
	char line[1024], key[64], ip[64], st[32];
	struct pair p[8];
	struct stat sb;
	unsigned int nreq, backlog, uid;
	unsigned long ino;
	int i, lfd, n = 0;
	uint16_t port;

	(void)arg;
	REQUIRE_NETNS();
	lfd = socket(AF_INET, SOCK_DGRAM, IPPROTO_QUIC);
	if (!CHECK_SYS(lfd))
		return;
	{
		struct sockaddr_in a = { .sin_family = AF_INET };

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		CHECK_SYS(setsockopt(lfd, SOL_QUIC, QUIC_SOCKOPT_ALPN, "h3,smb",
				     6));
		CHECK_SYS(bind(lfd, (struct sockaddr *)&a, sizeof(a)));
		CHECK_SYS(listen(lfd, 5));
		port = (uint16_t)local_port(lfd);
	}
	snprintf(key, sizeof(key), "127.0.0.1:%u ", port);
	if (!CHECK(proc_line(ENDPOINTS_PATH, key, line, sizeof(line))))
		goto out;
	tap_diag("endpoint: %s", line);
	CHECK_EQ(sscanf(line, "%63s %*s %31s %*s %u %u %u %lu", ip, st, &nreq,
			&backlog, &uid, &ino), 6);
	CHECK(strstr(line, " LISTEN h3,smb ") != NULL);
	CHECK_EQ(nreq, 0);
	CHECK_EQ(backlog, 5);
	CHECK_EQ(uid, getuid());
	if (CHECK_SYS(fstat(lfd, &sb)))
		CHECK_EQ(ino, sb.st_ino);
	CHECK_EQ(proc_count(CONNS_PATH, "LISTEN"), 0);
	close(lfd);
	CHECK_EQ(proc_count(ENDPOINTS_PATH, key), 0);

	for (i = 0; i < 8; i++) {
		if (!pair_open(&p[i], &cfg4)) {
			CHECK(!"pair_open");
			pair_close(&p[i]);
			goto out;
		}
		n++;
	}
	CHECK_EQ(proc_count(CONNS_PATH, " ESTABLISHED "), 16);
	CHECK_EQ(proc_count(CONNS_PATH, " client "), 8);
	CHECK_EQ(proc_count(CONNS_PATH, " server "), 8);
	CHECK_EQ(proc_count(ENDPOINTS_PATH, " LISTEN "), 8);
	for (i = 0; i < n; i++) {
		unsigned int srtt = 0;

		snprintf(key, sizeof(key), "127.0.0.1:%u ESTAB",
			 local_port(p[i].cfd));
		/* the server's line: its peer is the client */
		if (!CHECK(proc_line(CONNS_PATH, key, line, sizeof(line))))
			continue;
		CHECK(strstr(line, " server ") != NULL);
		CHECK_EQ(sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %*s %u",
				&srtt), 1);
		CHECK(srtt > 0);
		if (CHECK_SYS(fstat(p[i].sfd, &sb))) {
			snprintf(key, sizeof(key), " %u %lu\n", getuid(),
				 (unsigned long)sb.st_ino);
			CHECK(strstr(line, key) != NULL);
		}
	}
	/* a namespace beside sees none of them */
	if (fork() == 0) {
		bool ok = !unshare(CLONE_NEWNET) &&
			  proc_count(CONNS_PATH, "") == 0 &&
			  proc_count(ENDPOINTS_PATH, "") == 0;

		_exit(ok ? 0 : 1);
	} else {
		int ws = -1;

		wait(&ws);
		CHECK_EQ(ws, 0);
	}
out:
	for (i = 0; i < n; i++)
		pair_close(&p[i]);
	CHECK_EQ(proc_count(CONNS_PATH, " ESTABLISHED "), 0);
}

/* ------------------------------------------------------------ sysctls */

#define SYSCTL_DIR	"/proc/sys/net/quic/"

/* write @val to net.quic.@name: 0, or the errno */
static int sysctl_set(const char *name, const char *val)
{
	char path[128];
	int fd, err = 0;

	snprintf(path, sizeof(path), SYSCTL_DIR "%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		err = errno ? errno : EIO;
	close(fd);
	return err;
}

/* net.quic.@name into @out, its newline cut; false when unreadable */
static bool sysctl_get(const char *name, char *out, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), SYSCTL_DIR "%s", name);
	return file_read_line(path, out, len);
}

/* whitespace in a vector's text made single spaces */
static void squeeze(char *s)
{
	char *d = s, *p;
	bool gap = false;

	for (p = s; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n') {
			gap = d != s;
			continue;
		}
		if (gap)
			*d++ = ' ';
		gap = false;
		*d++ = *p;
	}
	*d = 0;
}

/*
 * Every per-namespace sysctl: a new namespace starts with the initial
 * one's values; good values are taken and read back, bad ones refused
 * with EINVAL; the system-wide ones are the initial namespace's only;
 * and nothing written here changes the initial namespace.
 */
static void test_sysctl_rw(const void *arg)
{
	static const char *const names[] = {
		"rmem", "wmem", "max_orphans", "max_requests",
		"congestion_control",
	};
	static const struct { const char *name, *val; } bad[] = {
		{ "rmem", "-1 212992 4194304" },
		{ "rmem", "16 212992 4194304" },	/* < SOCK_MIN_RCVBUF */
		{ "wmem", "4096 -5 4194304" },
		{ "max_orphans", "-1" },
		{ "max_requests", "0" },
		{ "max_requests", "65536" },
		{ "congestion_control", "bbr" },
		{ "congestion_control", "\n" },
	};
	char init[5][128], v[128];
	unsigned int i;

	(void)arg;
	for (i = 0; i < 5; i++)
		if (!CHECK(sysctl_get(names[i], init[i], sizeof(init[i]))))
			return;
	CHECK(sysctl_get("mem", v, sizeof(v)));
	CHECK(sysctl_get("token_key_lifetime", v, sizeof(v)));
	REQUIRE_NETNS();
	for (i = 0; i < 5; i++) {
		if (CHECK(sysctl_get(names[i], v, sizeof(v))) &&
		    !CHECK(!strcmp(v, init[i])))
			tap_diag("%s: %s here, %s initially", names[i], v,
				 init[i]);
	}
	CHECK(!sysctl_get("mem", v, sizeof(v)));
	CHECK(!sysctl_get("token_key_lifetime", v, sizeof(v)));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!CHECK_EQ(sysctl_set(bad[i].name, bad[i].val), EINVAL))
			tap_diag("%s = \"%s\" taken", bad[i].name, bad[i].val);
	for (i = 0; i < 5; i++)
		CHECK(sysctl_get(names[i], v, sizeof(v)) &&
		      !strcmp(v, init[i]));
	CHECK_EQ(sysctl_set("rmem", "8192 65536 1048576"), 0);
	CHECK_EQ(sysctl_set("wmem", "8192 32768 1048576"), 0);
	CHECK_EQ(sysctl_set("max_orphans", "7"), 0);
	CHECK_EQ(sysctl_set("max_requests", "3"), 0);
	CHECK_EQ(sysctl_set("congestion_control", "cubic"), 0);
	if (CHECK(sysctl_get("rmem", v, sizeof(v)))) {
		squeeze(v);
		CHECK(!strcmp(v, "8192 65536 1048576"));
	}
	CHECK(sysctl_get("max_orphans", v, sizeof(v)) && !strcmp(v, "7"));
	CHECK(sysctl_get("max_requests", v, sizeof(v)) && !strcmp(v, "3"));
	CHECK(sysctl_get("congestion_control", v, sizeof(v)) &&
	      !strcmp(v, "cubic"));
	CHECK_EQ(sysctl_set("congestion_control", "reno"), 0);
	CHECK(sysctl_get("congestion_control", v, sizeof(v)) &&
	      !strcmp(v, "reno"));
	/* the initial namespace, from a child that returns there */
	if (fork() == 0) {
		int fd = open("/proc/1/ns/net", O_RDONLY);
		bool ok = fd >= 0 && !setns(fd, CLONE_NEWNET);

		for (i = 0; ok && i < 5; i++)
			ok = sysctl_get(names[i], v, sizeof(v)) &&
			     !strcmp(v, init[i]);
		_exit(ok ? 0 : 1);
	} else {
		int ws = -1;

		wait(&ws);
		CHECK_EQ(ws, 0);
	}
}

/*
 * The transport parameters each side of a new connection received from
 * the other, that is what went on the wire, against the windows expected
 * of net.quic.rmem: @data for initial_max_data, @stream for the three
 * streams' limits.  A transfer of 1 MiB then completes within them.
 */
static void check_windows(uint64_t data, uint64_t stream)
{
	struct quic_transport_param tp;
	socklen_t len;
	struct pair p;
	int i;

	if (!pair_open(&p, &cfg4)) {
		CHECK(!"pair_open");
		pair_close(&p);
		return;
	}
	for (i = 0; i < 2; i++) {
		memset(&tp, 0, sizeof(tp));
		tp.remote = 1;
		len = sizeof(tp);
		if (!CHECK_SYS(getsockopt(i ? p.sfd : p.cfd, SOL_QUIC,
					  QUIC_SOCKOPT_TRANSPORT_PARAM, &tp,
					  &len)))
			continue;
		tap_diag("%s received max_data %llu, stream limits %llu %llu %llu",
			 i ? "server" : "client",
			 (unsigned long long)tp.max_data,
			 (unsigned long long)tp.max_stream_data_bidi_local,
			 (unsigned long long)tp.max_stream_data_bidi_remote,
			 (unsigned long long)tp.max_stream_data_uni);
		CHECK_EQ(tp.max_data, data);
		CHECK_EQ(tp.max_stream_data_bidi_local, stream);
		CHECK_EQ(tp.max_stream_data_bidi_remote, stream);
		CHECK_EQ(tp.max_stream_data_uni, stream);
	}
	pair_transfer(&p, 1 << 20, 1, 0);
	pair_close(&p);
}

/*
 * The sysctls act: new sockets take rmem's and wmem's defaults and the
 * congestion control; rmem's maximum bounds the windows they offer; a listener holds no more requests than
 * max_requests whatever its backlog; with max_orphans 0 a closed
 * connection does not linger.
 */
static void test_sysctl_effect(const void *arg)
{
	struct quic_config c;
	socklen_t len;
	struct pair p;
	int fd, v, i, cl[4], n = 0;
	uint16_t port;
	char key[64], line[1024];
	unsigned int nreq = 99;
	double t0;

	(void)arg;
	REQUIRE_NETNS();
	if (!CHECK_EQ(sysctl_set("rmem", "8192 65536 1048576"), 0) ||
	    !CHECK_EQ(sysctl_set("wmem", "8192 32768 1048576"), 0) ||
	    !CHECK_EQ(sysctl_set("congestion_control", "cubic"), 0))
		return;
	fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_QUIC);
	if (!CHECK_SYS(fd))
		return;
	len = sizeof(v);
	CHECK_SYS(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len));
	CHECK_EQ(v, 65536);
	CHECK_SYS(getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &len));
	CHECK_EQ(v, 32768);
	len = sizeof(c);
	CHECK_SYS(getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &c, &len));
	CHECK_EQ(c.congestion_control_algo, QUIC_CONG_ALG_CUBIC);
	close(fd);

	/* rmem's maximum bounds the windows offered, on the wire */
	check_windows(1048576, 262144);
	CHECK_EQ(sysctl_set("rmem", "8192 65536 131072"), 0);
	check_windows(131072, 131072);
	CHECK_EQ(sysctl_set("rmem", "8192 65536 1048576"), 0);

	/* three requests at most, with a backlog of 8 */
	CHECK_EQ(sysctl_set("max_requests", "3"), 0);
	fd = listener(AF_INET, NULL, 8, 0, &port);
	if (!CHECK_SYS(fd))
		return;
	for (i = 0; i < 4; i++) {
		/* a client that sends its Initial and gives up at once */
		cl[i] = client_socket(AF_INET, NULL, 300, port);
		if (cl[i] >= 0) {
			set_nonblock(cl[i], 1);
			handshake(cl[i], 0, NULL, NULL);
			n++;
		}
	}
	CHECK_EQ(n, 4);
	snprintf(key, sizeof(key), "127.0.0.1:%u ", port);
	if (CHECK(proc_line(ENDPOINTS_PATH, key, line, sizeof(line))))
		CHECK_EQ(sscanf(line, "%*s %*s %*s %*s %u", &nreq), 1);
	CHECK_EQ(nreq, 3);
	CHECK(counter("RequestDrops") >= 1);
	for (i = 0; i < n; i++)
		close(cl[i]);
	close(fd);

	/* no lingering with max_orphans 0; one with the default */
	for (i = 0; i < 2; i++) {
		if (i == 1)
			CHECK_EQ(sysctl_set("max_orphans", "0"), 0);
		if (!pair_open(&p, &cfg4)) {
			CHECK(!"pair_open");
			pair_close(&p);
			return;
		}
		pair_close(&p);
		if (i) {
			CHECK_EQ(proc_count(CONNS_PATH, " CLOSING "), 0);
			break;
		}
		CHECK(proc_count(CONNS_PATH, " CLOSING ") >= 1);
		/* until the periods end */
		for (t0 = now_s(); now_s() - t0 < 10 &&
		     proc_count(CONNS_PATH, " CLOSING "); msleep(20))
			;
		CHECK_EQ(proc_count(CONNS_PATH, " CLOSING "), 0);
	}
}

/* --------------------------------------------------- sock_diag, quic-ss */

#define QUIC_SS		"tools/quic-ss"

/* quic_diag.ko loaded, from beside $QUIC_KO */
static bool diag_load(void)
{
	char path[512], cmd[600];
	const char *ko = getenv("QUIC_KO");

	if (!access("/sys/module/quic_diag", F_OK))
		return true;
	if (!CHECK(ko != NULL))
		return false;
	snprintf(path, sizeof(path), "%s", ko);
	*strrchr(path, '/') = 0;
	/* its dependency first: insmod does not load it */
	snprintf(cmd, sizeof(cmd), "modprobe -q inet_diag; insmod %s/quic_diag.ko",
		 path);
	return CHECK_EQ(system(cmd), 0);
}

/* quic-ss @args: its output in @out, its exit status */
static int quic_ss(const char *args, char *out, size_t len)
{
	char cmd[512];
	size_t n = 0;
	FILE *f;
	int st;

	snprintf(cmd, sizeof(cmd), QUIC_SS " %s 2>&1", args);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (n + 1 < len && !feof(f))
		n += fread(out + n, 1, len - n - 1, f);
	out[n] = 0;
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* lines of @s containing @key */
static int count(const char *s, const char *key)
{
	int n = 0;

	while ((s = strstr(s, key))) {
		n++;
		s = strchr(s, '\n');
		if (!s)
			break;
	}
	return n;
}

static char ss_out[1 << 20];

#define NPAIRS	8

static bool pairs_open(struct pair *p, int n, const struct pcfg *c)
{
	int i;

	for (i = 0; i < n; i++) {
		if (!pair_open(&p[i], c)) {
			CHECK(!"pair_open");
			for (; i >= 0; i--)
				pair_close(&p[i]);
			return false;
		}
	}
	return true;
}

/*
 * The dump through quic-ss: every socket in its state, with the
 * listeners' queues, inode, the info (-i) and memory (-m) lines.
 */
static void test_diag_dump(const void *arg)
{
	struct pair p[NPAIRS];
	char key[128];
	struct stat sb;
	int i;

	(void)arg;
	REQUIRE_NETNS();
	if (!diag_load() || !pairs_open(p, NPAIRS, &cfg4))
		return;
	CHECK_EQ(quic_ss("", ss_out, sizeof(ss_out)), 0);
	CHECK_EQ(count(ss_out, "ESTAB "), 2 * NPAIRS);
	CHECK_EQ(count(ss_out, "LISTEN "), 0);
	CHECK_EQ(quic_ss("-l", ss_out, sizeof(ss_out)), 0);
	CHECK_EQ(count(ss_out, "LISTEN "), NPAIRS);
	/* a listener's queue: 0 waiting, its backlog (listener(): 8) */
	CHECK_EQ(count(ss_out, "LISTEN     0      8 "), NPAIRS);
	CHECK_EQ(quic_ss("-a", ss_out, sizeof(ss_out)), 0);
	CHECK_EQ(count(ss_out, "ESTAB ") + count(ss_out, "LISTEN "),
		 3 * NPAIRS);
	CHECK_EQ(quic_ss("-i -m -e", ss_out, sizeof(ss_out)), 0);
	CHECK_EQ(count(ss_out, " version:0x1 "), 2 * NPAIRS);
	CHECK_EQ(count(ss_out, " server scid:"), NPAIRS);
	CHECK_EQ(count(ss_out, " client scid:"), NPAIRS);
	CHECK_EQ(count(ss_out, " handshake_done confirmed"), 2 * NPAIRS);
	CHECK_EQ(count(ss_out, " cong:reno"), 2 * NPAIRS);
	CHECK_EQ(count(ss_out, "skmem:(r"), 2 * NPAIRS);
	if (CHECK_SYS(fstat(p[0].cfd, &sb))) {
		snprintf(key, sizeof(key), "uid:%u ino:%lu ", getuid(),
			 (unsigned long)sb.st_ino);
		CHECK_EQ(count(ss_out, key), 1);
	}
	if (!CHECK(strstr(ss_out, " rtt:")))
		tap_diag("%s", ss_out);
	for (i = 0; i < NPAIRS; i++)
		pair_close(&p[i]);
}

/* filters: ports, address prefixes, families; one socket alone */
static void test_diag_filter(const void *arg)
{
	static const struct pcfg cfg6 = { .family = AF_INET6 };
	struct pair p[NPAIRS], q;
	char args[160];
	int i, cport;

	(void)arg;
	REQUIRE_NETNS();
	if (!diag_load() || !pairs_open(p, NPAIRS, &cfg4))
		return;
	if (!pairs_open(&q, 1, &cfg6))
		goto out;
	cport = local_port(p[0].cfd);
	snprintf(args, sizeof(args), "--sport %u", p[0].port);
	CHECK_EQ(quic_ss(args, ss_out, sizeof(ss_out)), 0);
	CHECK_EQ(count(ss_out, "ESTAB "), 1);
	snprintf(args, sizeof(args), "--dport %u", p[0].port);
	CHECK_EQ(quic_ss(args, ss_out, sizeof(ss_out)), 0);
	CHECK_EQ(count(ss_out, "ESTAB "), 1);
	snprintf(args, sizeof(args), "127.0.0.1:%d ", cport);
	CHECK_EQ(count(ss_out, args), 1);
	CHECK_EQ(quic_ss("--src 127.0.0.0/8", ss_out, sizeof(ss_out)), 0);
	CHECK_EQ(count(ss_out, "ESTAB "), 2 * NPAIRS);
	CHECK_EQ(quic_ss("--src ::1", ss_out, sizeof(ss_out)), 0);
	CHECK_EQ(count(ss_out, "ESTAB "), 2);
	CHECK_EQ(quic_ss("--src 10.0.0.0/8", ss_out, sizeof(ss_out)), 0);
	CHECK_EQ(count(ss_out, "ESTAB "), 0);
	snprintf(args, sizeof(args), "--src 127.0.0.1 --dst 127.0.0.1 --dport %d",
		 cport);
	CHECK_EQ(quic_ss(args, ss_out, sizeof(ss_out)), 0);
	CHECK_EQ(count(ss_out, "ESTAB "), 1);
	CHECK_EQ(quic_ss("-6", ss_out, sizeof(ss_out)), 0);
	CHECK_EQ(count(ss_out, "ESTAB "), 2);
	CHECK_EQ(quic_ss("-4", ss_out, sizeof(ss_out)), 0);
	CHECK_EQ(count(ss_out, "ESTAB "), 2 * NPAIRS);

	/* one socket, asked for alone */
	snprintf(args, sizeof(args), "-i --socket 127.0.0.1:%d 127.0.0.1:%u",
		 cport, p[0].port);
	CHECK_EQ(quic_ss(args, ss_out, sizeof(ss_out)), 0);
	CHECK_EQ(count(ss_out, "ESTAB "), 1);
	CHECK_EQ(count(ss_out, " client scid:"), 1);
	snprintf(args, sizeof(args), "--socket [::1]:%d [::1]:%u",
		 local_port(q.cfd), q.port);
	CHECK_EQ(quic_ss(args, ss_out, sizeof(ss_out)), 0);
	CHECK_EQ(count(ss_out, "ESTAB "), 1);
	snprintf(args, sizeof(args), "--socket 127.0.0.1:%d 127.0.0.1:1",
		 cport);
	CHECK_EQ(quic_ss(args, ss_out, sizeof(ss_out)), 1);
	CHECK(strstr(ss_out, "no such socket") != NULL);
	pair_close(&q);
out:
	for (i = 0; i < NPAIRS; i++)
		pair_close(&p[i]);
}

/*
 * What another user sees: every socket, with its queues and owner, but
 * neither its memory details nor its connection IDs.
 */
static void test_diag_unpriv(const void *arg)
{
	struct pair p[2];
	int fds[2], st = -1;
	pid_t pid;

	(void)arg;
	REQUIRE_NETNS();
	if (!diag_load() || !pairs_open(p, 2, &cfg4))
		return;
	CHECK_EQ(quic_ss("-i -m -e", ss_out, sizeof(ss_out)), 0);
	CHECK_EQ(count(ss_out, "skmem:(r"), 4);
	CHECK_EQ(count(ss_out, " scid:"), 4);
	if (!CHECK_SYS(pipe(fds)))
		goto out;
	pid = fork();
	if (pid == 0) {
		int rc, ok;

		close(fds[0]);
		if (setgid(65534) || setuid(65534))
			_exit(3);
		rc = quic_ss("-i -m -e", ss_out, sizeof(ss_out));
		ok = rc == 0 && count(ss_out, "ESTAB ") == 4 &&
		     count(ss_out, "uid:0 ") == 4 &&
		     count(ss_out, " version:0x1 ") == 4 &&
		     count(ss_out, "skmem:(r") == 0 &&
		     count(ss_out, "scid:") == 0;
		if (!ok && write(fds[1], ss_out, strlen(ss_out)) < 0)
			_exit(4);
		_exit(ok ? 0 : 1);
	}
	close(fds[1]);
	if (CHECK_SYS(pid)) {
		ssize_t n = read(fds[0], ss_out, sizeof(ss_out) - 1);

		waitpid(pid, &st, 0);
		if (!CHECK_EQ(st, 0) && n > 0) {
			ss_out[n] = 0;
			tap_diag("as nobody: %s", ss_out);
		}
	}
	close(fds[0]);
out:
	pair_close(&p[0]);
	pair_close(&p[1]);
}

struct xfer_arg {
	struct pair	*p;
	uint64_t	size;
};

static void *xfer_main(void *arg)
{
	struct xfer_arg *x = arg;

	pair_transfer(x->p, x->size, 1, 1);
	return NULL;
}

#define SCALE_PAIRS	250

/* SCALE_PAIRS connections here, counted by /proc and quic-ss while one
 * of them transfers: @rounds counts, each exact
 */
static bool scale_side(struct pair *p, const char *who)
{
	struct xfer_arg x = { .p = &p[0], .size = 32 << 20 };
	int i, n, npairs = SCALE_PAIRS / (int)test_shrink();
	pthread_t th;
	bool ok = true;

	/* none of them idles out while the others open */
	static const struct quic_transport_param tp = {
		.max_idle_timeout = 300000000,	/* us */
	};
	static const struct pcfg c = {
		.family = AF_INET, .tp_c = &tp, .tp_s = &tp,
	};

	x.size /= test_shrink();
	for (i = 0; i < npairs; i++) {
		if (!pair_open(&p[i], &c)) {
			tap_diag("%s: pair %d failed", who, i);
			pair_close(&p[i]);
			return false;
		}
		close(p[i].lfd);	/* fds: 2 a connection is enough */
		p[i].lfd = -1;
	}
	if (pthread_create(&th, NULL, xfer_main, &x))
		return false;
	for (i = 0; i < 3; i++) {
		n = proc_count(CONNS_PATH, " ESTABLISHED ");
		if (n != 2 * npairs) {
			tap_diag("%s: /proc/net/quic/conns: %d lines", who, n);
			ok = false;
		}
		if (quic_ss("", ss_out, sizeof(ss_out)) ||
		    (n = count(ss_out, "ESTAB ")) != 2 * npairs) {
			tap_diag("%s: quic-ss: %d lines", who, n);
			ok = false;
		}
	}
	pthread_join(th, NULL);
	for (i = 0; i < npairs; i++)
		pair_close(&p[i]);
	return ok;
}

/*
 * 1000 connections (two ends each) in two namespaces, 500 in each, one
 * of each transferring: /proc/net/quic/conns and quic-ss list exactly a
 * namespace's own, three times over.  QUIC_TEST_SHRINK divides the
 * count and the transfer (the debug kernel: 125 connections).
 */
static void test_diag_scale(const void *arg)
{
	static struct pair p[SCALE_PAIRS];
	struct rlimit rl = { 8192, 8192 };
	int st = -1;
	pid_t pid;

	(void)arg;
	REQUIRE_NETNS();
	if (!diag_load() || !CHECK_SYS(setrlimit(RLIMIT_NOFILE, &rl)))
		return;
	pid = fork();
	if (pid == 0)
		_exit(netns_new() && scale_side(p, "namespace B") ? 0 : 1);
	if (!CHECK_SYS(pid))
		return;
	CHECK(scale_side(p, "namespace A"));
	waitpid(pid, &st, 0);
	CHECK_EQ(st, 0);
}

/* quic_diag goes and comes back: without it quic-ss fails cleanly */
static void test_diag_unload(const void *arg)
{
	struct pair p;

	(void)arg;
	REQUIRE_NETNS();
	if (!diag_load() || !pairs_open(&p, 1, &cfg4))
		return;
	CHECK_EQ(system("rmmod quic_diag"), 0);
	CHECK_EQ(quic_ss("", ss_out, sizeof(ss_out)), 1);
	CHECK(strstr(ss_out, "quic_diag") != NULL);
	/* loaded again, and left loaded: unload_test.sh unloads both */
	if (diag_load()) {
		CHECK_EQ(quic_ss("", ss_out, sizeof(ss_out)), 0);
		CHECK_EQ(count(ss_out, "ESTAB "), 2);
	}
	pair_close(&p);
}

/* ------------------------------------------------- tracepoints, qlog */

#define TRACEFS		"/sys/kernel/tracing"

static bool trace_write(const char *file, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	return file_write(path, val);
}

/* lines of @path with @event and "sk=@cookie " */
static int trace_count(const char *path, const char *event, uint64_t cookie)
{
	char line[512], key[64];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return -1;
	snprintf(key, sizeof(key), " sk=%llx ", (unsigned long long)cookie);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, event) && strstr(line, key);
	fclose(f);
	return n;
}

/*
 * A transfer over a lossy loopback with the quic tracepoints on: each
 * fires for the client's socket (its SO_COOKIE) with sane fields, the
 * losses among them; quic-qlog makes of the trace a qlog file, valid
 * against tests/data/qlog.schema.json, with as many packet_lost events as
 * the trace had losses.
 */
static void test_trace_lossy(const void *arg)
{
	char trace[] = "/tmp/ops_trace.XXXXXX", qlog[64], cmd[1024];
	char line[512], key[64];
	static const struct pcfg c = { .family = AF_INET, .tmo_ms = 30000 };
	unsigned long long pn, last = 0;
	unsigned int len, bad = 0;
	uint64_t cookie = 0;
	socklen_t cl = sizeof(cookie);
	int fd, lost, qlost = -1, streams, qstreams = -1;
	struct pair p;
	FILE *f;

	(void)arg;
	REQUIRE_NETNS();
	if (access(TRACEFS "/events", F_OK))
		CHECK_EQ(system("mount -t tracefs nodev " TRACEFS), 0);
	if (!CHECK_EQ(system("ip link set lo mtu 1500 && tc qdisc add dev lo root netem loss 3%"), 0))
		return;
	CHECK(trace_write("buffer_size_kb", "16384"));
	CHECK(trace_write("trace", ""));
	if (!CHECK(trace_write("events/quic/enable", "1")))
		return;
	if (!pair_open(&p, &c)) {
		CHECK(!"pair_open under loss");
		goto off;
	}
	CHECK_SYS(getsockopt(p.cfd, SOL_SOCKET, SO_COOKIE, &cookie, &cl));
	pair_transfer(&p, 2 << 20, 1, 0);
	pair_close(&p);
off:
	trace_write("events/quic/enable", "0");
	fd = mkstemp(trace);
	if (!CHECK_SYS(fd))
		return;
	close(fd);
	snprintf(cmd, sizeof(cmd), "cat " TRACEFS "/trace > %s", trace);
	if (!CHECK_EQ(system(cmd), 0) || !CHECK(cookie != 0))
		goto out;
	CHECK(trace_count(trace, "quic_state:", cookie) >= 3);
	CHECK(trace_count(trace, "quic_packet_sent:", cookie) > 1400);
	CHECK(trace_count(trace, "quic_packet_recv:", cookie) > 10);
	CHECK(trace_count(trace, "quic_packet_acked:", cookie) > 1000);
	CHECK(trace_count(trace, "quic_rtt:", cookie) > 10);
	CHECK(trace_count(trace, "quic_cong:", cookie) > 10);
	lost = trace_count(trace, "quic_packet_lost:", cookie);
	CHECK(lost >= 1);
	tap_diag("client sk=%llx: %d packets sent, %d lost",
		 (unsigned long long)cookie,
		 trace_count(trace, "quic_packet_sent:", cookie), lost);
	/* 1-RTT packets: numbers rising, lengths within the path */
	snprintf(key, sizeof(key), " sk=%llx level=1rtt ",
		 (unsigned long long)cookie);
	f = fopen(trace, "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *k = strstr(line, key);

		if (!strstr(line, "quic_packet_sent:") || !k)
			continue;
		if (sscanf(k + strlen(key), "pn=%llu len=%u", &pn, &len) != 2 ||
		    (last && pn <= last) || len > 1472 || len < 20)
			bad++;
		last = pn;
	}
	if (f)
		fclose(f);
	CHECK_EQ(bad, 0);
	CHECK(trace_count(trace, "established", cookie) >= 1);
	/* the client's stream 0, sending part, RFC 9000 section 3.1 */
	CHECK_EQ(trace_count(trace, "id=0 side=send old=idle new=ready", cookie), 1);
	CHECK_EQ(trace_count(trace, "id=0 side=send old=ready new=send", cookie), 1);
	CHECK_EQ(trace_count(trace, "id=0 side=send old=send new=data_sent", cookie), 1);
	CHECK_EQ(trace_count(trace, "id=0 side=send old=data_sent new=data_recvd", cookie), 1);
	CHECK_EQ(trace_count(trace, "id=0 side=recv old=idle new=recv", cookie), 1);
	streams = trace_count(trace, "quic_stream_state:", cookie);

	/* its qlog */
	snprintf(qlog, sizeof(qlog), "%s.sqlog", trace);
	snprintf(cmd, sizeof(cmd),
		 "tools/quic-qlog --sk %llx %s > %s && /usr/bin/python3 tests/qlog_validate.py %s > %s.n",
		 (unsigned long long)cookie, trace, qlog, qlog, qlog);
	if (CHECK_EQ(system(cmd), 0)) {
		snprintf(cmd, sizeof(cmd), "%s.n", qlog);
		if (file_read_line(cmd, line, sizeof(line)))
			sscanf(line, "%d %d", &qlost, &qstreams);
		CHECK_EQ(qlost, lost);
		CHECK_EQ(qstreams, streams);
		unlink(cmd);
	}
	unlink(qlog);
out:
	unlink(trace);
	trace_write("trace", "");
	trace_write("buffer_size_kb", "1408");	/* the default */
}

/* --------------------------------------------- migration (NAT rebinding) */

/*
 * A UDP relay between a client and a server, as a NAT is: the client
 * sends to @front, the relay sends on to the server from one of its
 * upstream sockets and the server's answers go back to the client.
 * Switching the upstream socket in use is what a NAT rebinding looks like
 * to the server: the same connection from a new address.  up[0] is on
 * 127.0.0.1, up[1] on 127.0.0.2 (a new address, not only a new port), and
 * up[2], on 127.0.0.3, is an attacker's: it sends a copy of one of the
 * client's datagrams before the original (RFC 9000 section 9.3.2) and
 * drops whatever comes to it.  @front2, another port of the relay's,
 * sends the client a copy of one of the server's datagrams: one from an
 * address that is not its server's.
 */
struct relay {
	int			front, front2, up[3];
	struct sockaddr_in	server, client, up_addr[3];
	int			have_client;
	volatile int		cur;		/* upstream in use */
	volatile int		switch_at;	/* to up[1] at this count */
	volatile int		spoof_at;	/* the attack at this count */
	int			hold_ms;	/* then drop the client's */
	double			hold_until;
	volatile long		up_dgrams;	/* client -> server */
	volatile int		copy_down_at;	/* a copy from front2 */
	long			down_dgrams;	/* server -> client */
	long			spoof_out, spoof_in;	/* bytes, up[2] */
	volatile int		stop;
	int			started;
	pthread_t		th;
};

static int udp_bound(const char *ip, struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &a->sin_addr);
	if (fd < 0 || bind(fd, (struct sockaddr *)a, sizeof(*a)) ||
	    getsockname(fd, (struct sockaddr *)a, &len)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void *relay_main(void *arg)
{
	struct relay *r = arg;
	struct pollfd pf[4];
	socklen_t len;
	char buf[65536];
	ssize_t n;
	int i;

	pf[0].fd = r->front;
	for (i = 0; i < 3; i++)
		pf[i + 1].fd = r->up[i];
	for (i = 0; i < 4; i++)
		pf[i].events = POLLIN;
	while (!r->stop) {
		if (poll(pf, 4, 50) <= 0)
			continue;
		if (pf[0].revents & POLLIN) {
			len = sizeof(r->client);
			n = recvfrom(r->front, buf, sizeof(buf), 0,
				     (struct sockaddr *)&r->client, &len);
			if (n > 0 && now_s() >= r->hold_until) {
				r->have_client = 1;
				r->up_dgrams++;
				if (r->up_dgrams == r->switch_at)
					r->cur = 1;
				if (r->up_dgrams == r->spoof_at) {
					sendto(r->up[2], buf, n, 0,
					       (struct sockaddr *)&r->server,
					       sizeof(r->server));
					r->spoof_out += n;
					/* the copy is processed first */
					msleep(20);
				}
				sendto(r->up[r->cur], buf, n, 0,
				       (struct sockaddr *)&r->server,
				       sizeof(r->server));
				if (r->up_dgrams == r->spoof_at && r->hold_ms)
					r->hold_until = now_s() +
							r->hold_ms / 1000.0;
			}
		}
		for (i = 0; i < 3; i++) {
			if (!(pf[i + 1].revents & POLLIN))
				continue;
			n = recv(r->up[i], buf, sizeof(buf), 0);
			if (n <= 0)
				continue;
			if (i == 2) {
				r->spoof_in += n;
				continue;
			}
			if (!r->have_client)
				continue;
			if (++r->down_dgrams == r->copy_down_at)
				sendto(r->front2, buf, n, 0,
				       (struct sockaddr *)&r->client,
				       sizeof(r->client));
			sendto(r->front, buf, n, 0,
			       (struct sockaddr *)&r->client,
			       sizeof(r->client));
		}
	}
	return NULL;
}

/* pcfg's via: the relay to the listener's @port, started; its port */
static uint16_t relay_start(uint16_t port, void *arg)
{
	static const char *const ips[3] = {
		"127.0.0.1", "127.0.0.2", "127.0.0.3"
	};
	struct relay *r = arg;
	struct sockaddr_in a;
	int i;

	r->server.sin_family = AF_INET;
	r->server.sin_port = htons(port);
	r->server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r->front2 = udp_bound("127.0.0.1", &a);
	r->front = udp_bound("127.0.0.1", &a);
	for (i = 0; i < 3; i++)
		r->up[i] = udp_bound(ips[i], &r->up_addr[i]);
	if (r->front < 0 || r->front2 < 0 || r->up[0] < 0 || r->up[1] < 0 ||
	    r->up[2] < 0 ||
	    pthread_create(&r->th, NULL, relay_main, r)) {
		tap_diag("relay: %s", strerror(errno));
		for (i = 0; i < 3; i++)
			if (r->up[i] >= 0)
				close(r->up[i]);
		if (r->front >= 0)
			close(r->front);
		if (r->front2 >= 0)
			close(r->front2);
		return 0;
	}
	r->started = 1;
	return ntohs(a.sin_port);
}

static void relay_stop(struct relay *r)
{
	int i;

	if (!r->started)
		return;
	r->stop = 1;
	pthread_join(r->th, NULL);
	close(r->front);
	close(r->front2);
	for (i = 0; i < 3; i++)
		close(r->up[i]);
}

/* a pair whose client connects through @r, started; false if it fails */
static bool relay_pair_open(struct pair *p, struct relay *r)
{
	struct pcfg cfg = { .family = AF_INET, .via = relay_start,
			    .via_arg = r, .tmo_ms = 20000 };

	if (pair_open(p, &cfg))
		return true;
	CHECK(!"pair_open through the relay");
	return false;
}

/* the server's peer is the relay's upstream socket @i */
static bool peer_is(int fd, const struct relay *r, int i)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	char ip[INET_ADDRSTRLEN];

	if (getpeername(fd, (struct sockaddr *)&a, &len))
		return false;
	inet_ntop(AF_INET, &a.sin_addr, ip, sizeof(ip));
	tap_diag("server's peer %s:%u, relay's upstream %d at port %u", ip,
		 ntohs(a.sin_port), i, ntohs(r->up_addr[i].sin_port));
	return a.sin_addr.s_addr == r->up_addr[i].sin_addr.s_addr &&
	       a.sin_port == r->up_addr[i].sin_port;
}

/* the quic_path tracepoint told of the server's move to up[1], then of
 * its validation, once each
 */
static void check_path_trace(int sfd, const struct relay *r)
{
	char trace[] = "/tmp/ops_path.XXXXXX", cmd[256], what[96];
	socklen_t cl = sizeof(uint64_t);
	uint64_t cookie = 0;
	int fd;

	CHECK_SYS(getsockopt(sfd, SOL_SOCKET, SO_COOKIE, &cookie, &cl));
	fd = mkstemp(trace);
	if (!CHECK_SYS(fd))
		return;
	close(fd);
	snprintf(cmd, sizeof(cmd), "cat " TRACEFS "/trace > %s", trace);
	if (CHECK_EQ(system(cmd), 0)) {
		CHECK_EQ(trace_count(trace, "quic_path:", cookie), 2);
		snprintf(what, sizeof(what), "peer=127.0.0.2:%u event=migrated",
			 ntohs(r->up_addr[1].sin_port));
		CHECK_EQ(trace_count(trace, what, cookie), 1);
		snprintf(what, sizeof(what), "peer=127.0.0.2:%u event=validated",
			 ntohs(r->up_addr[1].sin_port));
		CHECK_EQ(trace_count(trace, what, cookie), 1);
	}
	unlink(trace);
}

/*
 * The relay's scenarios: @switch_at, @spoof_at and @hold_ms as in struct
 * relay; 4 MiB each way meanwhile (1 MiB after, with @hold_ms).  Counts
 * the migrations and failed validations, and checks where the server
 * sends at the end (upstream @end).
 */
static void migration_run(int switch_at, int spoof_at, int hold_ms,
			  long long migrations, long long failures, int end)
{
	struct relay r = { .switch_at = switch_at, .spoof_at = spoof_at,
			   .hold_ms = hold_ms };
	long long m0, f0;
	char msg[32];
	struct pair p;
	double t0;

	REQUIRE_NETNS();
	m0 = counter("Migrations");
	f0 = counter("PathValidationFailures");
	if (!relay_pair_open(&p, &r))
		goto out;
	CHECK(peer_is(p.sfd, &r, 0));
	if (hold_ms) {
		/* an idle connection: the attacker copies the client's
		 * next datagram, then the client is unheard for a while
		 */
		r.spoof_at = r.up_dgrams + 1;
		CHECK_SYS(send_all(p.cfd, 4, "hello", 5, MSG_STREAM_NEW,
				   true));
		t0 = now_s();
		while (now_s() - t0 < hold_ms / 1000.0 + 2 &&
		       counter("PathValidationFailures") == f0)
			msleep(50);
		CHECK(recv(p.sfd, msg, sizeof(msg), 0) == 5);
		pair_transfer(&p, 1 << 20, 1, 1);
	} else if (switch_at) {
		/* the server does not read: the event waits for us */
		struct quic_event_option ev = {
			.type = QUIC_EVENT_CONNECTION_MIGRATION, .on = 1
		};
		uint32_t flags = 0;
		int64_t sid = -1;
		uint8_t b[8];

		CHECK_SYS(setsockopt(p.sfd, SOL_QUIC, QUIC_SOCKOPT_EVENT, &ev,
				     sizeof(ev)));
		if (access(TRACEFS "/events", F_OK))
			CHECK_EQ(system("mount -t tracefs nodev " TRACEFS), 0);
		CHECK(trace_write("trace", ""));
		CHECK(trace_write("events/quic/quic_path/enable", "1"));
		pair_transfer(&p, 4 << 20, 0, 0);
		/* past any validation's deadline (3 PTOs, at least 3 s):
		 * one not done by now would have failed
		 */
		msleep(3500);
		set_nonblock(p.sfd, 1);
		CHECK_EQ(quic_recvmsg(p.sfd, b, sizeof(b), &sid, &flags), 2);
		CHECK(flags & MSG_NOTIFICATION);
		CHECK_EQ(b[0], QUIC_EVENT_CONNECTION_MIGRATION);
		CHECK_EQ(b[1], 0);	/* the peer's */
		/* once */
		CHECK_ERR(quic_recvmsg(p.sfd, b, sizeof(b), &sid, &flags),
			  EAGAIN);
		set_nonblock(p.sfd, 0);
		trace_write("events/quic/quic_path/enable", "0");
		check_path_trace(p.sfd, &r);
	} else {
		pair_transfer(&p, 4 << 20, 1, 1);
	}
	tap_diag("relay: %ld datagrams up; attacker sent %ld bytes, got %ld",
		 r.up_dgrams, r.spoof_out, r.spoof_in);
	CHECK_EQ(counter("Migrations") - m0, migrations);
	CHECK_EQ(counter("PathValidationFailures") - f0, failures);
	CHECK(peer_is(p.sfd, &r, end));
	/* RFC 9000 section 8.1: three times what the address sent */
	CHECK(r.spoof_in <= 3 * r.spoof_out);
out:
	pair_close(&p);
	relay_stop(&r);
}

/*
 * The client's side, RFC 9000 section 9: a datagram of its server's,
 * copied and sent from another port, is dropped and counted; the original
 * is taken, the transfers go on.
 */
static void test_migration_client(const void *arg)
{
	struct relay r = { .copy_down_at = 100 };
	long long u0, m0;
	struct pair p;

	(void)arg;
	REQUIRE_NETNS();
	u0 = counter("InUnknownServer");
	m0 = counter("Migrations");
	if (!relay_pair_open(&p, &r))
		goto out;
	pair_transfer(&p, 2 << 20, 1, 1);
	tap_diag("relay: %ld datagrams down", r.down_dgrams);
	CHECK(r.down_dgrams >= 100);
	CHECK_EQ(counter("InUnknownServer") - u0, 1);
	CHECK_EQ(counter("Migrations") - m0, 0);
out:
	pair_close(&p);
	relay_stop(&r);
}

/* a NAT rebinding mid-download, to a new address and port */
static void test_migration_rebind(const void *arg)
{
	(void)arg;
	migration_run(40, 0, 0, 1, 0, 1);
}

/* a copy of a client's datagram from an attacker: followed, then back */
static void test_migration_spoof(const void *arg)
{
	(void)arg;
	migration_run(0, 300, 0, 2, 0, 0);
}

/* the attacker's address never answers: back when validation fails */
static void test_migration_fail(const void *arg)
{
	(void)arg;
	migration_run(0, 0, 4500, 1, 1, 0);
}

int main(int argc, char **argv)
{
	test_add("snmp_format", "/proc/net/quic/snmp: a line of names and a line of values after Quic:, every counter, all 0 in a new namespace",
		 test_snmp_format, NULL, 30);
	test_add("snmp_life", "a handshake, data both ways and both ends: HandshakesStarted/Completed 2, Active/PassiveOpens 1, ConnClosed 2, ConnPeerClosed 1, packet and byte counts consistent",
		 test_snmp_life, NULL, 60);
	test_add("snmp_netns", "a connection in another namespace moves no counter of this one",
		 test_snmp_netns, NULL, 60);
	test_add("snmp_failed", "a client closed before its handshake: HandshakesFailed 1, ConnClosed 1",
		 test_snmp_failed, NULL, 30);
	test_add("snmp_sockless", "at a listener's port: a short header of nobody gets a smaller Stateless Reset (StatelessResetsSent 1, InNoSocket 1), an unknown version a VN (VersionNegotiationSent 1), 3 bytes InMalformed 1",
		 test_snmp_sockless, NULL, 30);
	test_add("snmp_retry", "validate_peer_address: RetrySent 1 and RetryRcvd 1 for a client; a forged token: TokensRejected 1 and another Retry",
		 test_snmp_retry, NULL, 60);
	test_add("snmp_decrypt", "a short header packet to the server's ID (read from /proc/net/quic/conns) that fails authentication: InDecryptErrors 1, the connection goes on",
		 test_snmp_decrypt, NULL, 60);
	test_add("snmp_duplicate", "a client datagram sent again from its address: InDuplicates 1",
		 test_snmp_duplicate, NULL, 60);
	test_add("snmp_idle", "a 300 ms idle timeout on both ends: ConnIdleTimeouts 2, ConnClosed 2",
		 test_snmp_idle, NULL, 60);
	test_add("proc_tables", "/proc/net/quic/endpoints shows a listener's ALPNs, requests, backlog, uid, inode; conns 16 ESTABLISHED lines for 8 pairs with roles, srtt, uid, inode; another namespace sees none",
		 test_proc_tables, NULL, 120);
	test_add("sysctl_rw", "net.quic.rmem, wmem, max_orphans, max_requests, congestion_control: a new namespace's are the initial one's, good values read back, bad ones EINVAL, mem and token_key_lifetime initial namespace only, the initial namespace unchanged",
		 test_sysctl_rw, NULL, 30);
	test_add("sysctl_effect", "new sockets take rmem/wmem defaults and congestion_control; rmem's maximum (1 MiB, then 128 KiB) bounds max_data and the stream limits each peer receives on the wire, a 1 MiB transfer completes; max_requests 3 caps a backlog of 8; max_orphans 0: no closed connection lingers",
		 test_sysctl_effect, NULL, 60);
	test_add("migration_rebind", "through a UDP relay, a NAT rebinding mid-download (4 MiB; the client sends only ACKs: the new address's anti-amplification limit is below 1200 bytes) to a new client address and port: the server follows it; past the validation deadline Migrations +1, PathValidationFailures +0, getpeername is the new address, one QUIC_EVENT_CONNECTION_MIGRATION (peer's) queued, the quic_path tracepoint tells of the move and the validation with the new address, the transfer intact",
		 test_migration_rebind, NULL, 120);
	test_add("migration_spoof", "an attacker's copy of a client datagram sent from its own address before the original, mid-transfer: the server follows it, sends it at most 3 times what it got (anti-amplification), and goes back with the client's next datagram; Migrations +2, no failure, the peer is the client's address again, transfers intact",
		 test_migration_spoof, NULL, 120);
	test_add("migration_fail", "the same attack on an idle connection, the client then unheard for 4.5 s: the validation of the attacker's address fails and the server goes back to the client's; Migrations +1, PathValidationFailures +1, the data of the copied datagram read once, 1 MiB each way after",
		 test_migration_fail, NULL, 120);
	test_add("migration_client", "a copy of one of the server's datagrams sent to the client from another port, mid-transfer (2 MiB each way): the client drops it (InUnknownServer +1), takes the original, no migration; the transfers intact",
		 test_migration_client, NULL, 120);
	test_add("diag_dump", "quic-ss over sock_diag: 16 ESTAB for 8 pairs, 8 LISTEN with queue 0/8, -a all, -i info (version, role, CIDs, handshake, cong), -m skmem, -e uid/inode",
		 test_diag_dump, NULL, 120);
	test_add("diag_filter", "quic-ss filters: --sport, --dport, --src/--dst prefixes (bytecode), -4/-6; --socket one IPv4 and one IPv6 socket; an absent one: exit 1",
		 test_diag_filter, NULL, 120);
	test_add("diag_unpriv", "another user sees every socket and its owner, not its memory nor its connection IDs",
		 test_diag_unpriv, NULL, 60);
	test_add("diag_scale", "1000 connections in two namespaces (shrinks), one transferring in each: /proc/net/quic/conns and quic-ss list exactly each namespace's 500, three times",
		 test_diag_scale, NULL, 300);
	test_add("diag_unload", "rmmod quic_diag: quic-ss fails and says so; loaded again it answers",
		 test_diag_unload, NULL, 60);
	test_add("trace_lossy", "tracepoints on, 2 MiB over a lossy loopback (MTU 1500, 3% loss): state, sent, recv, acked, rtt, cong, lost and stream 0's states fire for the client's SO_COOKIE, 1-RTT numbers rise, lengths fit; quic-qlog's file has the trace's losses and stream states",
		 test_trace_lossy, NULL, 180);
	return runner_main(argc, argv);
}
