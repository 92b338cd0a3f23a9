// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hostile_test: what a hostile or broken peer sends to quic.ko over
 * loopback: bad credentials (a wrong PSK, a certificate for another name
 * or of an untrusted CA), datagrams of garbage to a listener and to a
 * connection, an Initial with a random payload, an Initial of an unknown
 * version (Version Negotiation), and a flood of forged protocol-violating
 * Initials (tests/forge.h derives their keys from the chosen connection
 * ID, as any client can) from several ports against a server looping on
 * accept(), and the anti-amplification limit of a server whose first
 * flight is far larger than three client Initials.
 *
 * Runs as root in a guest with quic.ko loaded; prints TAP (tests/tap.h),
 * each test isolated in a child of its own (tests/lib/runner.h).
 *
 * Usage: hostile_test [-v] [-l] [-t GLOB]...
 *	QUIC_FLOOD_SECS sets how long the flood lasts (30 s),
 *	QUIC_AMP_SECS how long amp_bytes counts the server's answers (4 s).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <linux/quic.h>
#include <netinet/quic.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509-ext.h>

#include "lib/testlib.h"
#include "certs.h"
#include "forge.h"

/* ------------------------------------------------- bad credentials */

struct bad_case {
	struct hs_cfg	hs;
	int		cli_err;	/* expected, 0: any but ETIMEDOUT */
	int		srv_err;
};

static void test_bad_credentials(const void *arg)
{
	const struct bad_case *b = arg;
	struct pcfg cfg = { .family = AF_INET, .hs = b->hs, .tmo_ms = 8000 };
	struct pair p;
	double t0 = now_s();

	pair_open(&p, &cfg);
	tap_diag("client %d (%s) in %.2f s, server %d (%s) in %.2f s",
		 p.cret, strerror(-p.cret), p.ctime, p.sret, strerror(-p.sret),
		 p.stime);
	CHECK(p.cret < 0);
	CHECK(p.sret < 0);
	if (b->cli_err)
		CHECK_EQ(p.cret, -b->cli_err);
	else
		CHECK(p.cret != -ETIMEDOUT);
	if (b->srv_err)
		CHECK_EQ(p.sret, -b->srv_err);
	else
		CHECK(p.sret != -ETIMEDOUT);
	CHECK(now_s() - t0 < 5);
	pair_close(&p);
}

/* ---------------------------------------------------- bad datagrams */

static void rnd(uint8_t *p, size_t n)
{
	gnutls_rnd(GNUTLS_RND_NONCE, p, n);
}

/* A long-header packet of @len bytes: @version, 8-byte CIDs, random body. */
static size_t long_packet(uint8_t *p, size_t len, uint32_t version,
			  uint8_t type, uint8_t dcid_len, uint8_t *dcid,
			  uint8_t *scid)
{
	size_t i = 0, rest;

	rnd(p, len);
	p[i++] = (uint8_t)(0xc0 | (type << 4) | 0x03);
	p[i++] = (uint8_t)(version >> 24);
	p[i++] = (uint8_t)(version >> 16);
	p[i++] = (uint8_t)(version >> 8);
	p[i++] = (uint8_t)version;
	p[i++] = dcid_len;
	if (dcid)
		memcpy(dcid, p + i, dcid_len);
	i += dcid_len;
	p[i++] = 8;
	if (scid)
		memcpy(scid, p + i, 8);
	i += 8;
	if (type == 0)
		p[i++] = 0;		/* no token */
	rest = len - i - 2;
	p[i++] = (uint8_t)(0x40 | (rest >> 8));
	p[i++] = (uint8_t)rest;
	return len;
}

static const char *const garbage_kinds[] = {
	"random bytes",
	"short headers with random connection IDs",
	"Initials truncated below 1200 bytes",
	"1200-byte Initials whose length field runs past the datagram",
	"1200-byte Initials with a DCID length over 20",
	"Handshake, 0-RTT and Retry packets with random contents",
	"Version Negotiation packets",
	"1200-byte Initials whose token length runs past the datagram",
};

#define GARBAGE_KINDS	8
#define GARBAGE_EACH	50

/* @n datagrams of garbage of one @kind; how many went out. */
static int send_garbage(int ufd, int kind, int n)
{
	uint8_t p[1500];
	size_t len;
	int i, sent = 0;
	uint64_t r;

	for (i = 0; i < n; i++) {
		gnutls_rnd(GNUTLS_RND_NONCE, &r, sizeof(r));
		switch (kind) {
		case 0:
			len = 1 + (size_t)(r % 1400);
			rnd(p, len);
			break;
		case 1:
			len = 20 + (size_t)(r % 1300);
			rnd(p, len);
			p[0] = (uint8_t)(0x40 | (p[0] & 0x3f));
			break;
		case 2:
			long_packet(p, 1200, 1, 0, 8, NULL, NULL);
			len = 1 + (size_t)(r % 1199);
			break;
		case 3:
			long_packet(p, 1200, 1, 0, 8, NULL, NULL);
			p[24] = (uint8_t)(0x40 | 0x3f);	/* 16383 */
			p[25] = 0xff;
			len = 1200;
			break;
		case 4:
			long_packet(p, 1200, 1, 0, 8, NULL, NULL);
			p[5] = (uint8_t)(21 + r % 200);
			len = 1200;
			break;
		case 5:
			long_packet(p, 1200, 1, (uint8_t)(1 + i % 3), 8, NULL,
				    NULL);
			len = 60 + (size_t)(r % 1140);
			break;
		case 6:
			long_packet(p, 100, 0, 0, 8, NULL, NULL);
			len = 100;
			break;
		default:
			long_packet(p, 1200, 1, 0, 8, NULL, NULL);
			p[23] = 0xbf;	/* a 4-byte varint: ~1 GB */
			len = 1200;
			break;
		}
		if (send(ufd, p, len, 0) == (ssize_t)len)
			sent++;
	}
	return sent;
}

/* A listener fed garbage: nothing to accept, and it still works. */
static void test_garbage_listener(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 } };
	int family = arg ? AF_INET6 : AF_INET;
	struct recv_wait w;
	int ufd, fd, lfd, k, err;
	struct pair p;
	uint16_t port;

	cfg.family = family;
	REQUIRE_SYS(lfd = listener(family, NULL, 64, 3000, &port));
	REQUIRE_SYS(set_nonblock(lfd, 1));
	REQUIRE_SYS(ufd = udp_to(family, port));
	for (k = 0; k < GARBAGE_KINDS; k++) {
		CHECK_EQ(send_garbage(ufd, k, GARBAGE_EACH), GARBAGE_EACH);
		msleep(100);
		fd = accept(lfd, NULL, NULL);
		err = errno;
		if (!CHECK(fd < 0 && err == EAGAIN))
			tap_diag("%s: accept() %d (%s)", garbage_kinds[k], fd,
				 fd < 0 ? strerror(err) :
				 "a connection was made of them");
		while (fd >= 0) {
			close(fd);
			fd = accept(lfd, NULL, NULL);
		}
	}
	close(lfd);
	close(ufd);

	/* a good connection, with garbage at both ends */
	REQUIRE_PAIR(&p, &cfg);
	ufd = udp_to(family, p.port);
	for (k = 0; k < GARBAGE_KINDS; k++)
		send_garbage(ufd, k, GARBAGE_EACH);
	close(ufd);
	ufd = udp_to(family, local_port(p.cfd));
	for (k = 0; k < GARBAGE_KINDS; k++)
		send_garbage(ufd, k, GARBAGE_EACH);
	close(ufd);
	CHECK_EQ(quic_sendmsg(p.cfd, "still there?", 12, 0,
			      MSG_STREAM_NEW | MSG_STREAM_FIN), 12);
	recv_wait(&w, p.sfd, 3000);
	CHECK_EQ(w.ret, 12);
	CHECK_EQ(quic_sendmsg(p.sfd, "yes", 3, 0, MSG_STREAM_FIN), 3);
	recv_wait(&w, p.cfd, 3000);
	CHECK_EQ(w.ret, 3);
	pair_close(&p);
}

/*
 * An Initial of 1200 bytes whose payload is random: at most a connection
 * whose handshake fails in bounded time (the listener allows 2 s idle),
 * never one that hangs.
 */
static void test_bogus_initial(const void *arg)
{
	struct quic_transport_param tp = { .max_idle_timeout = 2000000 };
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 } };
	uint8_t pkt[1200];
	struct pollfd pfd;
	struct pair p;
	uint16_t port;
	int ufd, lfd, fd, ret, err;
	double t0;

	(void)arg;
	REQUIRE_SYS(lfd = listener(AF_INET, &tp, 0, 3000, &port));
	REQUIRE_SYS(ufd = udp_to(AF_INET, port));
	long_packet(pkt, sizeof(pkt), 1, 0, 8, NULL, NULL);
	CHECK_EQ(send(ufd, pkt, sizeof(pkt), 0), (ssize_t)sizeof(pkt));
	pfd.fd = lfd;
	pfd.events = POLLIN;
	ret = poll(&pfd, 1, 1000);
	if (ret == 1) {
		/* readable; the kernel may still drop it at accept() */
		set_nonblock(lfd, 1);
		fd = accept(lfd, NULL, NULL);
		err = errno;
		if (fd < 0) {
			tap_diag("readable, then accept(): %s", strerror(err));
			CHECK(err == EAGAIN || err == ECONNABORTED);
		} else {
			/* a long SO_RCVTIMEO: the connection must end first */
			set_timeouts(fd, 20000);
			t0 = now_s();
			ret = handshake(fd, 1, &cfg.hs, NULL);
			tap_diag("accepted; server handshake %d (%s) after %.2f s",
				 ret, strerror(-ret), now_s() - t0);
			CHECK(ret < 0);
			CHECK(now_s() - t0 < 8);
			close(fd);
		}
	} else {
		tap_diag("nothing to accept");
		CHECK_EQ(ret, 0);
	}
	close(ufd);
	close(lfd);
	REQUIRE_PAIR(&p, &cfg);
	pair_close(&p);
}

/*
 * An Initial of a version the server does not answer gets a Version
 * Negotiation packet that lists version 1 alone: also a version 2 one,
 * which a server here does not answer yet.
 */
static void test_version_negotiation(const void *arg)
{
	static const uint32_t versions[] = { 0x1a2a3a4a, QUIC_VERSION_V2 };
	uint8_t pkt[1200], dcid[8], scid[8], rsp[1500];
	struct pollfd pfd;
	uint16_t port;
	unsigned int v;
	ssize_t n;
	int ufd, lfd;

	(void)arg;
	REQUIRE_SYS(lfd = listener(AF_INET, NULL, 0, 3000, &port));
	REQUIRE_SYS(ufd = udp_to(AF_INET, port));
	for (v = 0; v < 2; v++) {
		tap_diag("an Initial of version 0x%08x", versions[v]);
		long_packet(pkt, sizeof(pkt), versions[v], 0, 8, dcid, scid);
		CHECK_EQ(send(ufd, pkt, sizeof(pkt), 0), (ssize_t)sizeof(pkt));
		pfd.fd = ufd;
		pfd.events = POLLIN;
		if (!CHECK_EQ(poll(&pfd, 1, 2000), 1))
			continue;
		n = recv(ufd, rsp, sizeof(rsp), 0);
		/* RFC 9000 section 17.2.1: the IDs echoed, then the list */
		if (!CHECK_EQ(n, 7 + 8 + 8 + 4))
			continue;
		CHECK(rsp[0] & 0x80);
		CHECK(!rsp[1] && !rsp[2] && !rsp[3] && !rsp[4]);
		CHECK_EQ(rsp[5], 8);
		CHECK(!memcmp(rsp + 6, scid, 8));
		CHECK_EQ(rsp[14], 8);
		CHECK(!memcmp(rsp + 15, dcid, 8));
		CHECK(!rsp[23] && !rsp[24] && !rsp[25] && rsp[26] == 1);
	}
	close(ufd);
	close(lfd);
}

/*
 * A client of version 2 told by Version Negotiation that the server
 * speaks version 1 only abandons the attempt at once (RFC 9000 section
 * 6.2) with EPROTONOSUPPORT, instead of waiting for its timeout.
 */
static void test_version_abandon(const void *arg)
{
	struct quic_config conf = { .version = QUIC_VERSION_V2 };
	struct pcfg cfg = { .family = AF_INET, .conf_c = &conf,
			    .tmo_ms = 3000 };
	struct pair p;

	(void)arg;
	CHECK(!pair_open(&p, &cfg));
	tap_diag("client handshake %d (%s) after %.2f s", p.cret,
		 strerror(-p.cret), p.ctime);
	CHECK_EQ(p.cret, -EPROTONOSUPPORT);
	/* the client's timeout is 3 s: it did not wait for it */
	CHECK(p.ctime < 2);
	pair_close(&p);
}

/* ------------------------------------ forged Initials (tests/forge.h) */

/*
 * Frames a client may not put in an Initial (RFC 9000 section 12.4,
 * table 3), each after a PING so that the packet also has an allowed
 * frame first: STREAM, HANDSHAKE_DONE, MAX_DATA, NEW_CONNECTION_ID.
 */
static const uint8_t violations[][8] = {
	{ 0x01, 0x08, 0x00 },
	{ 0x01, 0x1e },
	{ 0x01, 0x10, 0x01 },
	{ 0x01, 0x18, 0x01, 0x00, 0x00 },
};

#define FLOOD_SENDERS	4

struct flood {
	int		family;
	uint16_t	port;
	int		stop;		/* __atomic */
	uint32_t	round;		/* __atomic: the DCID in use */
	/* per sender */
	uint64_t	sent[FLOOD_SENDERS];
	uint64_t	closes[FLOOD_SENDERS];	/* answers: CONNECTION_CLOSE */
	int		err[FLOOD_SENDERS];
	/* the server */
	uint64_t	accepted, accept_calls;
};

static struct flood *flood_g;

static void flood_cid(uint32_t round, uint8_t tag, uint8_t *id)
{
	memset(id, 0, 8);
	id[0] = tag;
	memcpy(id + 4, &round, 4);
}

/* Is the datagram @p an Initial from the server, under the keys of the
 * DCID @dcid, that carries a CONNECTION_CLOSE (0x1c) for a protocol
 * violation (0x0a)?
 */
static bool flood_is_close(uint8_t *p, size_t n, const uint8_t *dcid)
{
	struct forge_keys sk;
	uint8_t pt[1500];
	size_t i;
	int len;

	if (forge_initial_keys(&sk, dcid, 8, 1))
		return false;
	len = forge_open_initial(&sk, p, n, pt, sizeof(pt));
	if (len < 0)
		return false;
	for (i = 0; i + 1 < (size_t)len; i++) {
		if (pt[i] == 0x00)
			continue;		/* PADDING */
		return pt[i] == 0x1c && pt[i + 1] == 0x0a;
	}
	return false;
}

/*
 * One hostile client port: the Initial of the current round, again and
 * again, as fast as the socket takes it; the answers are read between
 * sends and counted when they are closes.
 */
static void *flood_sender(void *arg)
{
	int id = (int)(intptr_t)arg;
	struct flood *fl = flood_g;
	uint8_t pkt[1300], rsp[1500], dcid[8], scid[8];
	uint32_t built = UINT32_MAX, r;
	struct forge_keys k;
	int fd, n = 0, pn = 0;
	ssize_t got;

	fd = udp_to(fl->family, fl->port);
	if (fd < 0 || set_nonblock(fd, 1)) {
		fl->err[id] = errno;
		return NULL;
	}
	while (!__atomic_load_n(&fl->stop, __ATOMIC_RELAXED)) {
		r = __atomic_load_n(&fl->round, __ATOMIC_RELAXED);
		if (r != built) {
			flood_cid(r, 0xd0, dcid);
			flood_cid(r, 0x5c, scid);
			scid[1] = (uint8_t)id;
			if (forge_initial_keys(&k, dcid, 8, 0)) {
				fl->err[id] = EINVAL;
				break;
			}
			built = r;
		}
		n = forge_initial(&k, pkt, sizeof(pkt), dcid, 8, scid, 8,
				  (uint32_t)pn++,
				  violations[r % 4], sizeof(violations[0]),
				  1200);
		if (n < 0) {
			fl->err[id] = EINVAL;
			break;
		}
		if (send(fd, pkt, (size_t)n, 0) == n)
			fl->sent[id]++;
		/* An answer is sent to our SCID, which names its round:
		 * a slow server answers rounds long gone.
		 */
		while ((got = recv(fd, rsp, sizeof(rsp), 0)) > 0) {
			uint8_t od[8];
			uint32_t ar;

			if (got < 6 + 8 || rsp[5] != 8)
				continue;
			memcpy(&ar, rsp + 6 + 4, 4);
			flood_cid(ar, 0xd0, od);
			if (flood_is_close(rsp, (size_t)got, od))
				fl->closes[id]++;
		}
	}
	close(fd);
	return NULL;
}

/* The application: accept() in a loop; whatever comes out is closed. */
static void *flood_server(void *arg)
{
	int lfd = (int)(intptr_t)arg, fd;
	struct flood *fl = flood_g;

	while (!__atomic_load_n(&fl->stop, __ATOMIC_RELAXED)) {
		fl->accept_calls++;
		fd = accept(lfd, NULL, NULL);
		if (fd >= 0) {
			fl->accepted++;
			close(fd);
		}
	}
	return NULL;
}

/*
 * A forged Initial that opens and breaks no rule (PING only) makes a
 * connection that accept() hands out: the control that shows the forged
 * packets are right, so that the flood below is not merely dropped.
 */
static bool flood_control(int family, int lfd, uint16_t port)
{
	uint8_t pkt[1300], dcid[8], scid[8];
	const uint8_t ping[] = { 0x01 };
	struct forge_keys k;
	int ufd, fd, n;
	bool ok = false;

	flood_cid(0xffffffff, 0xc0, dcid);
	flood_cid(0xffffffff, 0xc1, scid);
	ufd = udp_to(family, port);
	if (ufd < 0 || forge_initial_keys(&k, dcid, 8, 0))
		goto out;
	n = forge_initial(&k, pkt, sizeof(pkt), dcid, 8, scid, 8, 0, ping,
			  sizeof(ping), 1200);
	if (n < 0 || send(ufd, pkt, (size_t)n, 0) != n)
		goto out;
	fd = accept(lfd, NULL, NULL);
	if (fd >= 0) {
		ok = true;
		close(fd);
	} else {
		tap_diag("control: accept(): %s", strerror(errno));
	}
out:
	if (ufd >= 0)
		close(ufd);
	return ok;
}

/*
 * Issue 7: protocol-violating Initials (valid under the Initial keys
 * anyone derives) from several source ports with one DCID, round after
 * round, against a server looping on accept().  Each request fails in
 * accept() and its connection is torn down while more datagrams for the
 * same DCID arrive and reach it through its connection IDs; the old code
 * answered them from state its teardown was freeing and panicked in
 * softirq.  Afterwards: no connection was ever handed out, the violations
 * were answered with CONNECTION_CLOSE, and a real client connects.
 */
static void test_initial_violation_flood(const void *arg)
{
	struct quic_transport_param tp = { .max_idle_timeout = 2000000 };
	struct pcfg cfg = { .family = arg ? AF_INET6 : AF_INET,
			    .hs = { .psk = 1 } };
	const char *env = getenv("QUIC_FLOOD_SECS");
	double secs = env ? atof(env) : 30, t0;
	pthread_t snd[FLOOD_SENDERS], srv;
	uint64_t sent = 0, closes = 0;
	struct flood fl = { .family = cfg.family };
	struct pair p;
	int lfd, i, started = 0;
	long slab0, slab1;

	flood_g = &fl;
	REQUIRE_SYS(lfd = listener(cfg.family, &tp, 128, 200, &fl.port));
	set_timeouts(lfd, 2000);
	CHECK(flood_control(cfg.family, lfd, fl.port));
	set_timeouts(lfd, 100);
	slab0 = slab_kib();

	if (CHECK_EQ(pthread_create(&srv, NULL, flood_server,
				    (void *)(intptr_t)lfd), 0))
		started = 1;
	for (i = 0; i < FLOOD_SENDERS; i++)
		CHECK_EQ(pthread_create(&snd[i], NULL, flood_sender,
					(void *)(intptr_t)i), 0);
	t0 = now_s();
	while (now_s() - t0 < secs) {
		msleep(5);
		__atomic_add_fetch(&fl.round, 1, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&fl.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < FLOOD_SENDERS; i++) {
		pthread_join(snd[i], NULL);
		CHECK_EQ(fl.err[i], 0);
		sent += fl.sent[i];
		closes += fl.closes[i];
	}
	if (started)
		pthread_join(srv, NULL);
	tap_diag("%.1f s: %u rounds, %llu forged Initials from %d ports, %llu CONNECTION_CLOSE answers, %llu accept() calls, %llu accepted",
		 now_s() - t0, fl.round, (unsigned long long)sent,
		 FLOOD_SENDERS, (unsigned long long)closes,
		 (unsigned long long)fl.accept_calls,
		 (unsigned long long)fl.accepted);
	CHECK(sent > fl.round);
	/* the violations were opened and answered, never handed out */
	CHECK(closes > 0);
	CHECK_EQ(fl.accepted, 0);
	close(lfd);

	/* nothing of the thousands of torn-down connections stays: one
	 * leaked socket per request alone would be over 30 MiB
	 */
	msleep(2000);
	slab1 = slab_kib();
	tap_diag("slab: %ld KiB before the flood, %ld KiB after", slab0, slab1);
	CHECK(slab0 > 0 && slab1 > 0);
	CHECK(slab1 - slab0 < 16 * 1024);

	/* the machine is alive and a real client still gets in */
	REQUIRE_PAIR(&p, &cfg);
	pair_transfer(&p, 64 * 1024, 1, 0);
	pair_close(&p);
}

/* =================================== a listener that never accepts */

#define REQ_FLOOD	3000	/* distinct forged clients */
#define REQ_PORTS	8

/*
 * 3000 forged clients, each one valid Initial (PING) of its own DCID,
 * against a listener that never calls accept(), with a 64 KiB receive
 * buffer and a 1.5 s idle timeout.  Their datagrams used to be held
 * up to the listen() backlog (somaxconn) whatever their bytes, for
 * ever: about 8 MiB here.  Now they are charged to the receive buffer
 * and dropped after the idle timeout; accept() then still works.
 */
static void test_request_queue(const void *arg)
{
	struct quic_transport_param tp = { .max_idle_timeout = 1500000 };
	uint8_t pkt[1300], dcid[8], scid[8];
	const uint8_t ping[] = { 0x01 };
	int lfd, ufd[REQ_PORTS], i, n, rcvbuf = 64 * 1024, sent = 0;
	long slab0, slab1, slab2;
	struct forge_keys k;
	uint16_t port;

	(void)arg;
	REQUIRE_SYS(lfd = listener(AF_INET, &tp, 4096, 2000, &port));
	CHECK_SYS(setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			     sizeof(rcvbuf)));
	for (i = 0; i < REQ_PORTS; i++)
		REQUIRE_SYS(ufd[i] = udp_to(AF_INET, port));
	msleep(200);
	slab0 = slab_kib();
	for (i = 0; i < REQ_FLOOD; i++) {
		flood_cid((uint32_t)i, 0xe0, dcid);
		flood_cid((uint32_t)i, 0xe1, scid);
		if (forge_initial_keys(&k, dcid, 8, 0))
			break;
		n = forge_initial(&k, pkt, sizeof(pkt), dcid, 8, scid, 8, 0,
				  ping, sizeof(ping), 1200);
		if (n < 0)
			break;
		if (send(ufd[i % REQ_PORTS], pkt, (size_t)n, 0) == n)
			sent++;
		if (i % 64 == 63)
			msleep(1);	/* let the receive path keep up */
	}
	msleep(300);
	slab1 = slab_kib();
	/* past the idle timeout; the next Initial drops what expired */
	msleep(2000);
	flood_cid(0xfffffffe, 0xe0, dcid);
	flood_cid(0xfffffffe, 0xe1, scid);
	n = forge_initial_keys(&k, dcid, 8, 0) ? -1 :
	    forge_initial(&k, pkt, sizeof(pkt), dcid, 8, scid, 8, 0, ping,
			  sizeof(ping), 1200);
	CHECK(n > 0 && send(ufd[0], pkt, (size_t)n, 0) == n);
	msleep(300);
	slab2 = slab_kib();
	tap_diag("%d forged Initials of 1200 bytes to a listener that does not accept: slab %ld KiB before, %ld KiB after (+%ld), %ld KiB after the idle timeout (+%ld)",
		 sent, slab0, slab1, slab1 - slab0, slab2, slab2 - slab0);
	CHECK_EQ(sent, REQ_FLOOD);
	CHECK(slab0 > 0 && slab1 > 0 && slab2 > 0);
	/* the receive buffer (128 KiB once doubled) bounds the datagrams,
	 * plus a request each: far below the ~8 MiB of holding them all
	 */
	CHECK(slab1 - slab0 < 2048);
	CHECK(slab2 - slab0 < 1024);
	/* the queue was not merely full: one more client is accepted */
	CHECK(flood_control(AF_INET, lfd, port));
	for (i = 0; i < REQ_PORTS; i++)
		close(ufd[i]);
	close(lfd);
}

/* ====================================================== the test list */

static const struct bad_case bad_psk = {
	.hs = { .libquic = 1, .psk = 1, .wrong_psk = 1 },
	.srv_err = EKEYREJECTED,
};
static const struct bad_case bad_host = {
	.hs = { .libquic = 1, .host = "not-localhost.example" },
	.cli_err = EKEYREJECTED,
};
static const struct bad_case bad_ca = {
	.hs = { .libquic = 1, .rogue = 1 },
	.cli_err = EKEYREJECTED,
};

/* ============================================ a server Initial's token */

/*
 * A fake server (a plain UDP socket) answers a client's first Initial
 * with a forged server Initial carrying CONNECTION_CLOSE: with a token
 * (RFC 9000 section 17.2.2 forbids one) it is discarded and the
 * connection lives on; without one it closes the connection, which shows
 * the forgery is otherwise accepted.
 */
static bool token_case(int with_token)
{
	static const uint8_t close_frame[] = { 0x1c, 0x0a, 0x00, 0x00 };
	static const uint8_t token[] = { 0x74, 0x6f, 0x6b };
	struct quic_handshake_info info = { .crypto_level = QUIC_CRYPTO_INITIAL };
	char ctl[CMSG_SPACE(sizeof(info))] = {};
	uint8_t hello[64] = { 1 }, pkt[1500], sid[8] = { 5, 4, 3, 2, 1 };
	struct iovec iov = { hello, sizeof(hello) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	struct sockaddr_in a = { .sin_family = AF_INET }, from;
	socklen_t alen = sizeof(a), flen = sizeof(from);
	struct forge_keys k;
	struct pollfd pfd;
	int u, fd, n, dl, sl, ret;
	bool closed = false;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_QUIC);
	if (!CHECK_SYS(u) || !CHECK_SYS(fd) ||
	    !CHECK_SYS(bind(u, (struct sockaddr *)&a, sizeof(a))) ||
	    !CHECK_SYS(getsockname(u, (struct sockaddr *)&a, &alen)) ||
	    !CHECK_SYS(connect(fd, (struct sockaddr *)&a, sizeof(a))))
		goto out;
	c->cmsg_level = SOL_QUIC;
	c->cmsg_type = QUIC_HANDSHAKE_INFO;
	c->cmsg_len = CMSG_LEN(sizeof(info));
	memcpy(CMSG_DATA(c), &info, sizeof(info));
	/* "ClientHello" bytes: the kernel sends them in an Initial */
	if (!CHECK_EQ(sendmsg(fd, &m, 0), (ssize_t)sizeof(hello)))
		goto out;
	pfd.fd = u;
	pfd.events = POLLIN;
	if (!CHECK_EQ(poll(&pfd, 1, 3000), 1))
		goto out;
	n = recvfrom(u, pkt, sizeof(pkt), 0, (struct sockaddr *)&from, &flen);
	/* long header: DCID at 6, SCID after it */
	if (!CHECK(n > 7) || !CHECK((pkt[0] & 0xf0) == 0xc0))
		goto out;
	dl = pkt[5];
	sl = pkt[6 + dl];
	if (!CHECK(dl <= 20 && sl <= 20 && 7 + dl + sl < n) ||
	    !CHECK_EQ(forge_initial_keys(&k, pkt + 6, dl, 1), 0))
		goto out;
	/* to the client's SCID, from a made-up one */
	memmove(pkt, pkt + 7 + dl, sl);
	ret = forge_initial_token(&k, pkt + 64, sizeof(pkt) - 64, pkt, sl,
				  sid, sizeof(sid), token,
				  with_token ? sizeof(token) : 0, 0,
				  close_frame, sizeof(close_frame), 0);
	if (!CHECK(ret > 0) ||
	    !CHECK_EQ(sendto(u, pkt + 64, ret, 0, (struct sockaddr *)&from,
			     flen), ret))
		goto out;
	/* closed: the socket hangs up (POLLHUP); alive: it waits on */
	pfd.fd = fd;
	pfd.events = 0;
	closed = poll(&pfd, 1, 500) == 1 &&
		 (pfd.revents & (POLLHUP | POLLERR));
out:
	if (fd >= 0)
		close(fd);
	if (u >= 0)
		close(u);
	return closed;
}

static void test_server_initial_token(const void *arg)
{
	(void)arg;
	if (!CHECK(!token_case(1)))
		tap_diag("a server Initial with a token closed the connection");
	if (!CHECK(token_case(0)))
		tap_diag("the forged server Initial without a token did not close the connection: the test forges wrong");
}

/* ================================================ BLOCKED frames, once */

/* Udp InDatagrams of the namespace, from /proc/net/snmp; -1 if unread.
 * Both ends are in it, and what the UDP tunnel sends does not count as
 * OutDatagrams; each datagram sent is received here once.
 */
static long udp_in_datagrams(void)
{
	char line[512], *p;
	int seen = 0;
	long v = -1;
	FILE *f = fopen("/proc/net/snmp", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Udp: ", 5) || !seen++)
			continue;	/* the first Udp: line names fields */
		p = line + 5;
		v = strtol(p, &p, 10);	/* the first: InDatagrams */
		break;
	}
	fclose(f);
	return v;
}

/* A sender that keeps trying to write past the peer's flow control limit
 * (non-blocking, EAGAIN each time) tells the peer once per limit, not
 * once per try: 5000 tries cost a handful of datagrams, not thousands.
 */
static void test_blocked_once(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 },
			    .tp_s = &tp_small, .tmo_ms = 10000 };
	static uint8_t buf[16 * KIB];
	long before, after;
	struct pair p;
	int i, eagain = 0;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	/* the stream's window and the connection's are both 16 KiB */
	CHECK_EQ(quic_sendmsg(p.cfd, buf, sizeof(buf), 0, MSG_STREAM_NEW),
		 (ssize_t)sizeof(buf));
	msleep(300);
	before = udp_in_datagrams();
	for (i = 0; i < 5000; i++)
		eagain += quic_sendmsg(p.cfd, buf, 1, 0, MSG_DONTWAIT) < 0 &&
			  errno == EAGAIN;
	msleep(300);
	after = udp_in_datagrams();
	CHECK_EQ(eagain, 5000);
	REQUIRE(before >= 0 && after >= 0);
	tap_diag("%ld datagrams for 5000 blocked sends", after - before);
	CHECK(after - before < 50);
	pair_close(&p);
}

/* ========================================= anti-amplification in bytes */

#define AMP_SANS	300	/* DNS names in the server's certificate */
#define AMP_DGRAM_MAX	65536

/*
 * A server certificate that makes a first flight far above 3 x 1200
 * bytes: a "localhost" one of a fresh CA whose subjectAltName also has
 * AMP_SANS more DNS names (~10 KB of DER; made as one extension, since
 * appending names one by one is quadratic and takes seconds under TCG),
 * re-signed, as PEM into @cert and @key; its DER size, or -1.
 */
static long amp_big_cert(const char *cert, const char *key)
{
	gnutls_x509_crt_t ca, srv;
	gnutls_x509_privkey_t ca_key, srv_key;
	gnutls_subject_alt_names_t sans = NULL;
	gnutls_datum_t der = { NULL, 0 }, ext = { NULL, 0 }, d;
	char name[64];
	long size = -1;
	int i, n;

	if (certs_make_cert(&ca, &ca_key, NULL, NULL, "amp CA", NULL))
		return -1;
	if (certs_make_cert(&srv, &srv_key, ca, ca_key, "localhost",
			    "localhost")) {
		gnutls_x509_crt_deinit(ca);
		gnutls_x509_privkey_deinit(ca_key);
		return -1;
	}
	if (gnutls_subject_alt_names_init(&sans))
		goto out;
	for (i = -1; i < AMP_SANS; i++) {
		n = i < 0 ? snprintf(name, sizeof(name), "localhost") :
			    snprintf(name, sizeof(name),
				     "name-%03d.amplification.example", i);
		d.data = (unsigned char *)name;
		d.size = (unsigned int)n;
		if (gnutls_subject_alt_names_set(sans, GNUTLS_SAN_DNSNAME, &d,
						 NULL))
			goto out;
	}
	/* replaces the subjectAltName (2.5.29.17) certs_make_cert() set */
	if (gnutls_x509_ext_export_subject_alt_names(sans, &ext) ||
	    gnutls_x509_crt_set_extension_by_oid(srv, "2.5.29.17", ext.data,
						 ext.size, 0) ||
	    gnutls_x509_crt_sign2(srv, ca, ca_key, GNUTLS_DIG_SHA256, 0) ||
	    gnutls_x509_crt_export2(srv, GNUTLS_X509_FMT_DER, &der) ||
	    certs_export_pem(cert, srv, NULL) ||
	    certs_export_pem(key, NULL, srv_key))
		goto out;
	size = der.size;
out:
	if (sans)
		gnutls_subject_alt_names_deinit(sans);
	gnutls_free(ext.data);
	gnutls_free(der.data);
	gnutls_x509_crt_deinit(ca);
	gnutls_x509_crt_deinit(srv);
	gnutls_x509_privkey_deinit(ca_key);
	gnutls_x509_privkey_deinit(srv_key);
	return size;
}

/* a child that dies with the test */
static pid_t amp_fork(void)
{
	pid_t pid = fork();

	if (!pid)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	return pid;
}

static void amp_reap(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/*
 * The first datagram of a genuine client (an IPPROTO_QUIC socket running
 * libquic's client handshake) towards a plain UDP socket of ours, into
 * @buf; its length, or -1.  The client is killed once it is read.
 */
static ssize_t amp_client_initial(uint8_t *buf, size_t cap)
{
	const struct hs_cfg hs = { .libquic = 1 };
	struct addr a = mkaddr(AF_INET, NULL, 0);
	struct pollfd pfd;
	ssize_t n = -1;
	pid_t pid = -1;
	int u, fd;

	u = socket(AF_INET, SOCK_DGRAM, 0);
	if (!CHECK_SYS(u) || !CHECK_SYS(bind(u, &a.sa, a.len)))
		goto out;
	pid = amp_fork();
	if (!CHECK_SYS(pid))
		goto out;
	if (!pid) {
		fd = client_socket(AF_INET, NULL, 10000, (uint16_t)local_port(u));
		if (fd >= 0)
			handshake(fd, 0, &hs, NULL);
		_exit(0);
	}
	pfd.fd = u;
	pfd.events = POLLIN;
	if (CHECK_EQ(poll(&pfd, 1, 5000), 1))
		n = recv(u, buf, cap, 0);
out:
	amp_reap(pid);
	if (u >= 0)
		close(u);
	return n;
}

/*
 * RFC 9000 section 8.1: until the client's address is validated, a
 * server sends at most three times the bytes it received, in bytes and
 * not in datagrams, also where the path MSS (~64 KiB on loopback) would
 * let one datagram carry the whole first flight.  A real server with a
 * certificate of ~10 KB gets a genuine client Initial (recorded from a
 * real client, then replayed once from a plain UDP socket that sends
 * nothing else); everything it sends back within QUIC_AMP_SECS (4 s:
 * its first flight and the PTOs at ~1 s and ~3 s) is counted.
 */
static void test_amp_bytes(const void *arg)
{
	const char *env = getenv("QUIC_AMP_SECS");
	double secs = env ? atof(env) : 4, t0, tlast = 0;
	static uint8_t init[AMP_DGRAM_MAX], buf[AMP_DGRAM_MAX];
	char cert[300], key[300];
	uint64_t got = 0;
	int lfd = -1, u = -1, fd, dgrams = 0, rcvbuf = 4 << 20, acc[2];
	ssize_t n, r, largest = 0;
	struct pollfd pfd;
	uint16_t port;
	pid_t pid = -1;
	long der;
	char c = 0;

	(void)arg;
	snprintf(cert, sizeof(cert), "%s/amp.pem", creds.dir);
	snprintf(key, sizeof(key), "%s/amp.key", creds.dir);
	der = amp_big_cert(cert, key);
	REQUIRE(der > 0);
	n = amp_client_initial(init, sizeof(init));
	REQUIRE(n > 0);
	tap_diag("a genuine client Initial: %zd bytes; the server's certificate: %ld bytes of DER",
		 n, der);
	/* a long-header version 1 Initial of at least 1200 bytes */
	REQUIRE(n >= 1200 && (init[0] & 0xf0) == 0xc0 && !init[1] &&
		!init[2] && !init[3] && init[4] == 1);
	/* its Certificate message alone is beyond the limit */
	REQUIRE(der > 3 * n);

	REQUIRE_SYS(pipe(acc));
	lfd = listener(AF_INET, NULL, 0, 30000, &port);
	if (!CHECK_SYS(lfd))
		goto out;
	pid = amp_fork();
	if (!CHECK_SYS(pid))
		goto out;
	if (!pid) {
		close(acc[0]);
		fd = accept(lfd, NULL, NULL);
		if (fd >= 0) {
			c = 1;
			if (write(acc[1], &c, 1) != 1)
				_exit(1);
			set_timeouts(fd, 30000);
			quic_server_handshake(fd, key, cert, ALPN);
			msleep(30000);
		}
		_exit(0);
	}
	close(acc[1]);
	acc[1] = -1;
	u = udp_to(AF_INET, port);
	if (!CHECK_SYS(u))
		goto out;
	setsockopt(u, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (!CHECK_EQ(send(u, init, (size_t)n, 0), n))
		goto out;
	t0 = now_s();
	pfd.fd = u;
	pfd.events = POLLIN;
	while (now_s() - t0 < secs) {
		if (poll(&pfd, 1, 50) != 1)
			continue;
		r = recv(u, buf, sizeof(buf), MSG_DONTWAIT);
		if (r <= 0)
			continue;
		got += (uint64_t)r;
		dgrams++;
		if (r > largest)
			largest = r;
		tlast = now_s() - t0;
	}
	/* did the server accept the connection? (it should) */
	set_nonblock(acc[0], 1);
	if (read(acc[0], &c, 1) != 1)
		c = 0;
	tap_diag("sent the server %zd bytes; it sent back %llu bytes (%.2f x) in %d datagrams, the largest %zd bytes, the last at %.2f s of %.1f s; limit %zd bytes; %s",
		 n, (unsigned long long)got, (double)got / (double)n, dgrams,
		 largest, tlast, secs, 3 * n,
		 c ? "accept() returned" : "nothing accepted");
	/* it answered, so that the check below is not vacuous */
	CHECK(got >= 1200);
	CHECK(got <= (uint64_t)(3 * n));
out:
	amp_reap(pid);
	if (u >= 0)
		close(u);
	if (lfd >= 0)
		close(lfd);
	close(acc[0]);
	if (acc[1] >= 0)
		close(acc[1]);
}

/*
 * RFC 9002 section 6.2.4: when what a probe timeout resends fits in one
 * datagram, a copy goes in a second, so that one loss does not cost a
 * doubled timeout (under 30% loss each way, handshakes waited minutes
 * without it).  A genuine client towards a plain UDP socket that never
 * answers: its ClientHello at once, then a pair of datagrams at each PTO
 * (~1 s, ~3 s), each a 1200-byte Initial of the connection whose CRYPTO
 * frame is the first datagram's, byte for byte.
 */
#define PP_BURSTS	3

/* the first CRYPTO frame of the client Initial @p (@n bytes): its offset
 * and its data's span in @pt; false when the datagram does not open
 */
static bool pp_crypto(uint8_t *p, size_t n, const uint8_t *dcid,
		      size_t dcid_len, uint8_t *pt, size_t cap, uint64_t *off,
		      size_t *at, uint64_t *len)
{
	struct forge_keys k;
	size_t i = 0;
	int plen;

	if (forge_initial_keys(&k, dcid, dcid_len, 0))
		return false;
	plen = forge_open_initial(&k, p, n, pt, cap);
	if (plen < 0)
		return false;
	while (i < (size_t)plen && (pt[i] == 0x00 || pt[i] == 0x01))
		i++;			/* PADDING, PING */
	if (i >= (size_t)plen || pt[i++] != 0x06 ||
	    forge_varint(pt, (size_t)plen, &i, off) ||
	    forge_varint(pt, (size_t)plen, &i, len) ||
	    *len > (size_t)plen - i)
		return false;
	*at = i;
	return true;
}

static void test_pto_pairs(const void *arg)
{
	static uint8_t first[AMP_DGRAM_MAX], buf[AMP_DGRAM_MAX];
	static uint8_t pt0[AMP_DGRAM_MAX], pt[AMP_DGRAM_MAX];
	const struct hs_cfg hs = { .libquic = 1 };
	struct addr a = mkaddr(AF_INET, NULL, 0);
	int u, fd, bursts = 0, size[PP_BURSTS] = { 0 }, copies = 0;
	double t0 = 0, last = 0, at[PP_BURSTS] = { 0 }, t;
	uint64_t off0 = 0, len0 = 0, off, len;
	size_t n0 = 0, i0 = 0, i;
	struct pollfd pfd;
	pid_t pid = -1;
	ssize_t n;

	(void)arg;
	u = socket(AF_INET, SOCK_DGRAM, 0);
	REQUIRE_SYS(u);
	if (!CHECK_SYS(bind(u, &a.sa, a.len)))
		goto out;
	pid = amp_fork();
	if (!CHECK_SYS(pid))
		goto out;
	if (!pid) {
		fd = client_socket(AF_INET, NULL, 20000,
				   (uint16_t)local_port(u));
		if (fd >= 0)
			handshake(fd, 0, &hs, NULL);
		_exit(0);
	}
	pfd.fd = u;
	pfd.events = POLLIN;
	/* bursts: datagrams less than 300 ms apart; a PTO is >= 1 s */
	for (;;) {
		/* the last burst ends with 300 ms of quiet */
		if (poll(&pfd, 1, bursts == PP_BURSTS ? 300 : 10000) != 1)
			break;
		n = recv(u, bursts ? buf : first, AMP_DGRAM_MAX, 0);
		if (n <= 0)
			break;
		t = now_s();
		if (!bursts) {
			t0 = t;
			n0 = (size_t)n;
			if (!CHECK(n >= 1200 && first[5] <= 20 &&
				   pp_crypto(first, n0, first + 6, first[5],
					     pt0, sizeof(pt0), &off0, &i0,
					     &len0)))
				goto out;
			at[0] = 0;
			size[0] = 1;
			bursts = 1;
			last = t;
			continue;
		}
		if (t - last > 0.3) {
			if (bursts == PP_BURSTS)
				break;
			at[bursts++] = t - t0;
		}
		size[bursts - 1]++;
		last = t;
		/* first[] was unmasked in place: its DCID is intact */
		if (n >= 1200 &&
		    pp_crypto(buf, (size_t)n, first + 6, first[5], pt,
			      sizeof(pt), &off, &i, &len) &&
		    off == off0 && len == len0 && !memcmp(pt + i, pt0 + i0, len))
			copies++;
	}
	tap_diag("ClientHello in a %zu-byte datagram (CRYPTO at %llu, %llu bytes); then bursts at %.2f s (%d datagrams), %.2f s (%d); %d datagrams of the same ClientHello",
		 n0, (unsigned long long)off0, (unsigned long long)len0,
		 at[1], size[1], at[2], size[2], copies);
	CHECK_EQ(bursts, PP_BURSTS);
	CHECK_EQ(size[0], 1);
	CHECK_EQ(size[1], 2);
	CHECK_EQ(size[2], 2);
	CHECK_EQ(copies, 4);
	CHECK_EQ(off0, 0);
out:
	amp_reap(pid);
	close(u);
}

static void build_list(void)
{
	test_add("bad_psk", "wrong PSK: both handshakes fail promptly, the server with EKEYREJECTED",
		 test_bad_credentials, &bad_psk, 60);
	test_add("bad_hostname", "certificate for another name: both handshakes fail promptly, the client with EKEYREJECTED",
		 test_bad_credentials, &bad_host, 60);
	test_add("bad_ca", "certificate of an untrusted CA: both handshakes fail promptly, the client with EKEYREJECTED",
		 test_bad_credentials, &bad_ca, 60);
	test_add("garbage_v4", "8 kinds of bad datagrams (random, truncated, bad lengths), 50 each, to an IPv4 listener and a connection: dropped, nothing to accept, both still work",
		 test_garbage_listener, NULL, 60);
	test_add("garbage_v6", "8 kinds of bad datagrams (random, truncated, bad lengths), 50 each, to an IPv6 listener and a connection: dropped, nothing to accept, both still work",
		 test_garbage_listener, "v6", 60);
	test_add("bogus_initial", "a 1200-byte Initial with a random payload: no connection that hangs; the listener still works",
		 test_bogus_initial, NULL, 60);
	test_add("initial_violation_flood", "protocol-violating forged Initials from 4 ports with one DCID per round against an accept() loop: no crash, each answered with CONNECTION_CLOSE, none accepted; a real client then connects",
		 test_initial_violation_flood, NULL, 120);
	test_add("initial_violation_flood_v6", "the same over IPv6",
		 test_initial_violation_flood, "v6", 120);
	test_add("server_initial_token", "a forged server Initial with a token (CONNECTION_CLOSE inside) is discarded by the client; the same without a token closes it",
		 test_server_initial_token, NULL, 30);
	test_add("blocked_once", "5000 non-blocking sends past the peer's flow control limit: EAGAIN each, and a handful of datagrams (one STREAM_DATA_BLOCKED), not thousands",
		 test_blocked_once, NULL, 60);
	test_add("version_negotiation", "an Initial of an unknown version or of version 2: a Version Negotiation packet listing version 1 alone",
		 test_version_negotiation, NULL, 30);
	test_add("version_abandon", "a version 2 client told version 1 only: EPROTONOSUPPORT at once",
		 test_version_abandon, NULL, 30);
	test_add("amp_bytes", "a server with a ~10 KB certificate gets one genuine client Initial, replayed from a plain UDP socket that never answers: it sends back at least 1200 bytes and at most 3 times the bytes received (RFC 9000 section 8.1), also on loopback where one datagram could carry ~64 KiB",
		 test_amp_bytes, NULL, 60);
	test_add("pto_pairs", "a client whose Initials go unanswered: the ClientHello, then two datagrams at each PTO (RFC 9002 section 6.2.4), each carrying the same ClientHello",
		 test_pto_pairs, NULL, 60);
	test_add("request_queue", "3000 forged clients (one valid Initial each) at a listener that never accepts, 64 KiB receive buffer, 1.5 s idle timeout: slab grows by under 2 MiB, under 1 MiB once the requests expire, and accept() still works",
		 test_request_queue, NULL, 60);
}

int main(int argc, char **argv)
{
	build_list();
	return runner_main(argc, argv);
}
