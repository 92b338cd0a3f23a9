// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dgram_test: RFC 9221 datagrams through quic.ko: sendmsg() with
 * MSG_QUIC_DATAGRAM, recvmsg() of one datagram per message, the sizes
 * the peer allows (EMSGSIZE), no datagrams without the transport
 * parameter (EINVAL), the receive buffer's bound against a sender that
 * outpaces the reader, and the send budget.
 *
 * Runs as root in a guest with quic.ko loaded; prints TAP (tests/tap.h),
 * each test isolated in a child of its own (tests/lib/runner.h).
 *
 * Usage: dgram_test [-v] [-l] [-t GLOB]...
 *        dgram_test --peer server|client --addr IP --port N --count N
 *                   [--timeout SECS] [--expect-loss]
 *
 * The second form is one end of a datagram exchange for netem_test.sh:
 * each side sends COUNT datagrams and receives the other's at the same
 * time, then says "done" on a stream; each datagram carries its number
 * and a pattern, so that the receiver counts what was lost, duplicated or
 * corrupted.  Exit status 0 when nothing was duplicated or corrupted and
 * at least a quarter arrived (and, with --expect-loss, not all: datagrams
 * lost are not sent again).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/quic.h>
#include <linux/sock_diag.h>
#include <netinet/quic.h>

#include "lib/testlib.h"

#define DG_MAX_FRAME	1200	/* the max_datagram_frame_size we offer */
#define DG_MAX_DATA	(DG_MAX_FRAME - 1 - 2)	/* type, 2-byte length */

static const struct quic_transport_param tp_dgram = {
	.max_datagram_frame_size = DG_MAX_FRAME,
};

/* ------------------------------------------------------- the datagrams */

/*
 * Datagram @seq of direction @dir: a 4-byte number, a direction byte,
 * then the pattern of stream (seq, dir) for a length that depends on seq
 * (8 to @spread + 7 bytes).  Returns the length.
 */
static size_t dg_make(uint8_t *buf, uint32_t seq, uint8_t dir, size_t spread)
{
	size_t len = 8 + ((size_t)seq * 7919u) % spread;

	memcpy(buf, &seq, 4);
	buf[4] = dir;
	pat_fill(((uint64_t)seq << 8) | dir, 0, buf + 5, len - 5);
	return len;
}

/* the number of datagram @buf, or -1 when it is not what dg_make() made */
static int64_t dg_check(const uint8_t *buf, size_t n, uint8_t dir,
			size_t spread)
{
	uint8_t exp[2048];
	uint32_t seq;

	if (n < 8)
		return -1;
	memcpy(&seq, buf, 4);
	if (buf[4] != dir || dg_make(exp, seq, dir, spread) != n ||
	    memcmp(buf, exp, n))
		return -1;
	return seq;
}

/* one recvmsg(): the data, msg_flags, and whether a stream cmsg came */
struct rmsg {
	ssize_t		n;
	int		err;
	int		flags;
	bool		sinfo;
	int64_t		sid;
};

static struct rmsg rmsg(int fd, void *buf, size_t len, int flags)
{
	char ctl[CMSG_SPACE(sizeof(struct quic_stream_info)) +
		 CMSG_SPACE(sizeof(struct quic_handshake_info))];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = sizeof(ctl),
	};
	struct rmsg r = { .sid = -1 };
	struct cmsghdr *c;

	r.n = recvmsg(fd, &m, flags);
	r.err = r.n < 0 ? errno : 0;
	r.flags = m.msg_flags;
	for (c = CMSG_FIRSTHDR(&m); r.n >= 0 && c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == SOL_QUIC &&
		    c->cmsg_type == QUIC_STREAM_INFO) {
			struct quic_stream_info si;

			memcpy(&si, CMSG_DATA(c), sizeof(si));
			r.sinfo = true;
			r.sid = si.stream_id;
		}
	}
	return r;
}

static ssize_t dg_send(int fd, const void *buf, size_t len, int flags)
{
	return send(fd, buf, len, MSG_QUIC_DATAGRAM | flags);
}

/* ------------------------------------------------------------- loopback */

/* the sizes of both_ways: empty, tiny, and up to the largest allowed */
static const size_t sizes[] = { 0, 1, 2, 100, 1000, DG_MAX_DATA };

/* @from sends a datagram of each size, @to reads each, whole */
static void one_way(int from, int to, const char *what)
{
	uint8_t buf[2048], exp[2048];
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		pat_fill(i + 1, 0, exp, sizes[i]);
		CHECK_EQ(dg_send(from, exp, sizes[i], 0), (ssize_t)sizes[i]);
	}
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct rmsg r = rmsg(to, buf, sizeof(buf), 0);

		pat_fill(i + 1, 0, exp, sizes[i]);
		if (!CHECK_EQ(r.n, (ssize_t)sizes[i])) {
			tap_diag("%s: datagram %zu: %zd (%s)", what, i, r.n,
				 strerror(r.err));
			return;
		}
		CHECK(!memcmp(buf, exp, sizes[i]));
		CHECK(r.flags & MSG_QUIC_DATAGRAM);
		CHECK(r.flags & MSG_EOR);
		CHECK(!(r.flags & (MSG_TRUNC | MSG_QUIC_NOTIFICATION)));
		CHECK(!r.sinfo);
	}
	tap_diag("%s: %zu datagrams of 0 to %d bytes, intact, one a message",
		 what, i, DG_MAX_DATA);
}

/*
 * Datagrams both ways, each size from 0 to the largest the peer allows,
 * each read whole as one message with MSG_QUIC_DATAGRAM; one byte more
 * is EMSGSIZE; stream data around a datagram keeps to its stream.
 */
static void test_both_ways(const void *arg)
{
	struct pcfg cfg = { .family = *(const int *)arg, .hs = { .psk = 1 },
			    .tp_c = &tp_dgram, .tp_s = &tp_dgram };
	struct quic_transport_param rp = { .remote = 1 };
	socklen_t rl = sizeof(rp);
	uint8_t buf[2048] = {};
	char got[32] = {};
	size_t gotn = 0;
	bool dg = false, fin = false;
	struct pair p;
	int i;

	REQUIRE_PAIR(&p, &cfg);
	/* what the client knows of the server's parameters */
	CHECK_SYS(getsockopt(p.cfd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM,
			     &rp, &rl));
	CHECK_EQ(rp.max_datagram_frame_size, DG_MAX_FRAME);

	one_way(p.cfd, p.sfd, "client -> server");
	one_way(p.sfd, p.cfd, "server -> client");

	/* RFC 9221 section 3: the frame, type and length included */
	CHECK_ERR(dg_send(p.cfd, buf, DG_MAX_DATA + 1, 0), EMSGSIZE);
	CHECK_ERR(dg_send(p.sfd, buf, 1 << 20, 0), EMSGSIZE);

	/* a datagram between two writes of stream 0 */
	CHECK_EQ(quic_sendmsg(p.cfd, "hello", 5, 0, MSG_STREAM_NEW), 5);
	CHECK_EQ(dg_send(p.cfd, "D", 1, 0), 1);
	CHECK_EQ(quic_sendmsg(p.cfd, " world", 6, 0, MSG_STREAM_FIN), 6);
	for (i = 0; i < 8 && !(dg && fin); i++) {
		struct rmsg r = rmsg(p.sfd, buf, sizeof(buf), 0);

		if (r.n < 0)
			break;
		if (r.flags & MSG_QUIC_DATAGRAM) {
			CHECK(!dg);
			CHECK_EQ(r.n, 1);
			CHECK_EQ(buf[0], 'D');
			CHECK(!r.sinfo);
			dg = true;
			continue;
		}
		CHECK(r.sinfo);
		CHECK_EQ(r.sid, 0);
		if (gotn + (size_t)r.n < sizeof(got)) {
			memcpy(got + gotn, buf, (size_t)r.n);
			gotn += (size_t)r.n;
		}
		if (r.flags & MSG_STREAM_FIN)
			fin = true;
	}
	CHECK(dg);
	CHECK(fin);
	CHECK(!strcmp(got, "hello world"));
	pair_close(&p);
}

/*
 * A buffer shorter than the datagram: MSG_PEEK leaves it; a read takes
 * the first bytes with MSG_TRUNC and without MSG_EOR, the next read the
 * rest with MSG_EOR (the draft: successive reads consume the message).
 */
static void test_short_buffer(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 },
			    .tp_c = &tp_dgram, .tp_s = &tp_dgram };
	uint8_t msg[100], buf[128];
	struct pair p;
	struct rmsg r;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	pat_fill(5, 0, msg, sizeof(msg));
	CHECK_EQ(dg_send(p.cfd, msg, sizeof(msg), 0), 100);

	r = rmsg(p.sfd, buf, 10, MSG_PEEK);
	CHECK_EQ(r.n, 10);
	CHECK_EQ(r.flags & (MSG_QUIC_DATAGRAM | MSG_TRUNC | MSG_EOR),
		 MSG_QUIC_DATAGRAM | MSG_TRUNC);
	r = rmsg(p.sfd, buf, 40, 0);
	CHECK_EQ(r.n, 40);
	CHECK(!memcmp(buf, msg, 40));
	CHECK_EQ(r.flags & (MSG_QUIC_DATAGRAM | MSG_TRUNC | MSG_EOR),
		 MSG_QUIC_DATAGRAM | MSG_TRUNC);
	r = rmsg(p.sfd, buf, sizeof(buf), 0);
	CHECK_EQ(r.n, 60);
	CHECK(!memcmp(buf, msg + 40, 60));
	CHECK_EQ(r.flags & (MSG_QUIC_DATAGRAM | MSG_TRUNC | MSG_EOR),
		 MSG_QUIC_DATAGRAM | MSG_EOR);
	/* nothing else */
	r = rmsg(p.sfd, buf, sizeof(buf), MSG_DONTWAIT);
	CHECK_EQ(r.n, -1);
	CHECK_EQ(r.err, EAGAIN);
	pair_close(&p);
}

/*
 * RFC 9221 section 3: no datagrams to a peer that did not offer them.
 * The server offers them, the client does not: the client's go, the
 * server's are refused with EINVAL (not dropped in silence).  And no
 * datagram before a connection exists.
 */
static void test_not_negotiated(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET6, .hs = { .psk = 1 },
			    .tp_s = &tp_dgram };
	struct quic_transport_param rp = { .remote = 1 };
	socklen_t rl = sizeof(rp);
	uint8_t buf[64];
	struct pair p;
	struct rmsg r;
	int fd;

	(void)arg;
	fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_QUIC);
	CHECK_SYS(fd);
	CHECK_ERR(dg_send(fd, "x", 1, MSG_DONTWAIT), ENOTCONN);
	close(fd);

	REQUIRE_PAIR(&p, &cfg);
	CHECK_SYS(getsockopt(p.sfd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM,
			     &rp, &rl));
	CHECK_EQ(rp.max_datagram_frame_size, 0);
	CHECK_ERR(dg_send(p.sfd, "x", 1, 0), EINVAL);
	CHECK_ERR(dg_send(p.sfd, "", 0, 0), EINVAL);

	CHECK_EQ(dg_send(p.cfd, "up", 2, 0), 2);
	r = rmsg(p.sfd, buf, sizeof(buf), 0);
	CHECK_EQ(r.n, 2);
	CHECK(r.flags & MSG_QUIC_DATAGRAM);
	/* and nothing came to the client */
	r = rmsg(p.cfd, buf, sizeof(buf), MSG_DONTWAIT);
	CHECK_EQ(r.n, -1);
	CHECK_EQ(r.err, EAGAIN);
	pair_close(&p);
}

/*
 * A sender that outpaces a reader who does not read: the server's
 * datagrams wait in its receive buffer, which they do not outgrow
 * (SO_MEMINFO's rmem_alloc within SO_RCVBUF); the rest are dropped and
 * counted (SO_MEMINFO's drops) while the packets are acknowledged.  What
 * was kept is read intact, none twice; the client's send memory goes
 * back to 0 once all is acknowledged; the connection carries stream data
 * after.
 */
#define FLOOD_N		20000
#define FLOOD_SPREAD	1000

static void test_rcvbuf_bound(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 },
			    .tp_c = &tp_dgram, .tp_s = &tp_dgram };
	uint32_t rmem, rcvbuf, drops, wq = 0, wq_max = 0;
	static uint8_t seen[FLOOD_N];
	uint64_t kept = 0, bad = 0, dup = 0;
	uint8_t buf[2048];
	struct pair p;
	double t0;
	int64_t s;
	uint32_t i;
	struct rmsg r;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	rcvbuf = sock_meminfo(p.sfd, SK_MEMINFO_RCVBUF);
	t0 = now_s();
	for (i = 0; i < FLOOD_N; i++) {
		size_t n = dg_make(buf, i, 1, FLOOD_SPREAD);

		if (!CHECK_EQ(dg_send(p.cfd, buf, n, 0), (ssize_t)n)) {
			tap_diag("send %u: %s", i, strerror(errno));
			break;
		}
		wq = sock_meminfo(p.cfd, SK_MEMINFO_WMEM_QUEUED);
		if (wq > wq_max)
			wq_max = wq;
	}
	tap_diag("%u datagrams of 8 to %d bytes sent in %.2f s; client's wmem_queued at most %u",
		 i, FLOOD_SPREAD + 7, now_s() - t0, wq_max);
	/* the last ones land */
	msleep(300);
	rmem = sock_meminfo(p.sfd, SK_MEMINFO_RMEM_ALLOC);
	drops = sock_meminfo(p.sfd, SK_MEMINFO_DROPS);
	tap_diag("server, not reading: rmem_alloc %u of rcvbuf %u, %u dropped",
		 rmem, rcvbuf, drops);
	CHECK(rmem <= rcvbuf);
	CHECK(drops > 0);

	while ((r = rmsg(p.sfd, buf, sizeof(buf), MSG_DONTWAIT)).n >= 0) {
		CHECK(r.flags & MSG_QUIC_DATAGRAM);
		s = dg_check(buf, (size_t)r.n, 1, FLOOD_SPREAD);
		if (s < 0 || s >= FLOOD_N) {
			bad++;
			continue;
		}
		if (seen[s]++)
			dup++;
		kept++;
	}
	CHECK_EQ(r.err, EAGAIN);
	tap_diag("read afterwards: %llu kept, %llu corrupt, %llu twice",
		 (unsigned long long)kept, (unsigned long long)bad,
		 (unsigned long long)dup);
	CHECK(kept > 0);
	CHECK_EQ(bad, 0);
	CHECK_EQ(dup, 0);
	CHECK(kept + drops <= FLOOD_N);
	CHECK_EQ(sock_meminfo(p.sfd, SK_MEMINFO_RMEM_ALLOC), 0);

	/* every datagram freed on the sender once acknowledged or lost */
	t0 = now_s();
	while ((wq = sock_meminfo(p.cfd, SK_MEMINFO_WMEM_QUEUED)) &&
	       now_s() - t0 < 5)
		msleep(20);
	CHECK_EQ(wq, 0);

	CHECK_EQ(quic_sendmsg(p.cfd, "still", 5, 0, MSG_STREAM_NEW |
			      MSG_STREAM_FIN), 5);
	r = rmsg(p.sfd, buf, sizeof(buf), 0);
	CHECK_EQ(r.n, 5);
	CHECK(r.sinfo);
	pair_close(&p);
}

struct sink {
	int		fd;
	uint64_t	got, bad, dup;
	uint8_t		*seen;
	uint32_t	count;
};

static void *sink_main(void *arg)
{
	struct sink *k = arg;
	uint8_t buf[2048];
	struct rmsg r;
	int64_t s;

	while ((r = rmsg(k->fd, buf, sizeof(buf), 0)).n >= 0) {
		if (!(r.flags & MSG_QUIC_DATAGRAM))
			break;	/* the stream message that ends it */
		s = dg_check(buf, (size_t)r.n, 2, FLOOD_SPREAD);
		if (s < 0 || s >= k->count) {
			k->bad++;
			continue;
		}
		if (k->seen[s]++)
			k->dup++;
		k->got++;
	}
	return NULL;
}

/*
 * The datagram send budget: with SO_SNDBUF locked small, a nonblocking
 * sender gets EAGAIN rather than queueing without end, its send memory
 * stays within the buffer (SO_MEMINFO's wmem_queued), and poll() reports
 * POLLOUT again once acknowledgments make room; a reader takes them all,
 * intact.
 */
static void test_send_budget(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET6, .hs = { .psk = 1 },
			    .tp_c = &tp_dgram, .tp_s = &tp_dgram };
	struct sink k = { .count = 4000 };
	uint32_t wq, wq_max = 0, sndbuf, i, eagain = 0, pollout = 0;
	int sb = 4096, err;
	uint8_t buf[2048];
	struct pair p;
	pthread_t t;
	ssize_t n;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	k.fd = p.sfd;
	k.seen = calloc(k.count, 1);
	CHECK_SYS(setsockopt(p.cfd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof(sb)));
	sndbuf = sock_meminfo(p.cfd, SK_MEMINFO_SNDBUF);
	pthread_create(&t, NULL, sink_main, &k);
	for (i = 0; i < k.count; ) {
		size_t len = dg_make(buf, i, 2, FLOOD_SPREAD);
		struct pollfd pf = { .fd = p.cfd, .events = POLLOUT };

		n = dg_send(p.cfd, buf, len, MSG_DONTWAIT);
		err = errno;
		wq = sock_meminfo(p.cfd, SK_MEMINFO_WMEM_QUEUED);
		if (wq > wq_max)
			wq_max = wq;
		if (n == (ssize_t)len) {
			i++;
			continue;
		}
		if (!CHECK_EQ(err, EAGAIN))
			break;
		eagain++;
		if (poll(&pf, 1, 5000) == 1 && (pf.revents & POLLOUT))
			pollout++;
		else
			break;
	}
	tap_diag("%u datagrams sent, EAGAIN %u times, POLLOUT after each %u times; wmem_queued at most %u, sndbuf %u",
		 i, eagain, pollout, wq_max, sndbuf);
	CHECK_EQ(i, k.count);
	CHECK_EQ(pollout, eagain);
	/* the budget and one frame over it (the one that crossed it) */
	CHECK(wq_max <= sndbuf + 1200 + 64);
	CHECK_EQ(quic_sendmsg(p.cfd, "end", 3, 0, MSG_STREAM_NEW), 3);
	pthread_join(t, NULL);
	tap_diag("the reader: %llu datagrams, %llu corrupt, %llu twice",
		 (unsigned long long)k.got, (unsigned long long)k.bad,
		 (unsigned long long)k.dup);
	CHECK(k.got > 0);
	CHECK_EQ(k.bad, 0);
	CHECK_EQ(k.dup, 0);
	free(k.seen);
	pair_close(&p);
}

/* ------------------------------------------------------------ peer mode */

struct peer {
	int		fd;
	int		server;
	uint32_t	count;
	/* sender */
	uint32_t	sent;
	double		send_secs;
	int		send_err;
	/* receiver */
	uint8_t		*seen;
	uint64_t	got, bad, dup;
	double		first, last;
	bool		peer_done;
	bool		peer_seen;	/* client: the server read our "done" */
	int		recv_err;
};

#define PEER_SPREAD	200
/* the server's stream that says it read the client's "done" */
#define PEER_SEEN_SID	5

static void *peer_send_main(void *arg)
{
	struct peer *pr = arg;
	uint8_t buf[512];
	double t0 = now_s();
	size_t n;

	for (pr->sent = 0; pr->sent < pr->count; pr->sent++) {
		n = dg_make(buf, pr->sent, (uint8_t)pr->server, PEER_SPREAD);
		if (dg_send(pr->fd, buf, n, 0) != (ssize_t)n) {
			pr->send_err = errno;
			break;
		}
	}
	pr->send_secs = now_s() - t0;
	/* the end of the datagrams, reliably: stream 0 or 1 */
	if (quic_sendmsg(pr->fd, "done", 4, pr->server ? 1 : 0,
			 MSG_STREAM_NEW | MSG_STREAM_FIN) != 4 && !pr->send_err)
		pr->send_err = errno;
	return NULL;
}

static void *peer_recv_main(void *arg)
{
	struct peer *pr = arg;
	uint8_t buf[2048];
	struct rmsg r;
	int64_t s;

	for (;;) {
		r = rmsg(pr->fd, buf, sizeof(buf), 0);
		if (r.n < 0) {
			/* after "done", a quiet second ends the stragglers */
			if (!pr->peer_done)
				pr->recv_err = r.err;
			break;
		}
		if (!(r.flags & MSG_QUIC_DATAGRAM)) {
			if (r.n == 0 && !(r.flags & MSG_STREAM_FIN))
				break;	/* the connection ended */
			if (!(r.flags & MSG_STREAM_FIN))
				continue;
			if (r.sid == PEER_SEEN_SID) {
				pr->peer_seen = true;
			} else if (!pr->peer_done) {
				pr->peer_done = true;
				/* the client may close once it knows this */
				if (pr->server &&
				    quic_sendmsg(pr->fd, "seen", 4,
						 PEER_SEEN_SID, MSG_STREAM_NEW |
						 MSG_STREAM_FIN) != 4)
					pr->recv_err = errno;
				if (pr->server)
					set_timeouts(pr->fd, 1000);
			}
			/* the client closes when both ends have all:
			 * closing sooner could lose its "done" for good
			 */
			if (!pr->server && pr->peer_done && pr->peer_seen)
				break;
			continue;
		}
		s = dg_check(buf, (size_t)r.n, (uint8_t)!pr->server,
			     PEER_SPREAD);
		if (s < 0 || s >= pr->count) {
			pr->bad++;
			continue;
		}
		if (pr->seen[s]++)
			pr->dup++;
		if (!pr->got++)
			pr->first = now_s();
		pr->last = now_s();
	}
	return NULL;
}

static int peer_prep(int fd)
{
	return set_tp(fd, &tp_dgram);
}

static int peer_main(int server, const char *ip, int port, uint32_t count,
		     int tmo, int expect_loss)
{
	struct peer pr = { .server = server, .count = count };
	const char *me = server ? "server" : "client";
	pthread_t ts, tr;
	uint8_t buf[64];
	int lfd = -1, fd, ret;
	uint64_t lost;

	alarm((unsigned int)tmo + 30);
	if (creds_setup_psk())
		return 2;
	fd = peer_connect(server, ip, port, tmo, peer_prep, &lfd);
	if (fd < 0)
		return -fd;
	pr.fd = fd;
	pr.seen = calloc(count, 1);
	if (!pr.seen)
		return 2;
	pthread_create(&tr, NULL, peer_recv_main, &pr);
	pthread_create(&ts, NULL, peer_send_main, &pr);
	pthread_join(ts, NULL);
	pthread_join(tr, NULL);
	lost = count - pr.got;
	printf("# %s: sent %u datagrams in %.2f s (%.0f/s)%s%s\n", me, pr.sent,
	       pr.send_secs, pr.sent / (pr.send_secs > 0 ? pr.send_secs : 1),
	       pr.send_err ? ", send error: " : "",
	       pr.send_err ? strerror(pr.send_err) : "");
	printf("# %s: received %llu of %u (%.0f/s), lost %llu (%.2f%%), duplicated %llu, corrupt %llu%s%s\n",
	       me, (unsigned long long)pr.got, count,
	       pr.last > pr.first ? pr.got / (pr.last - pr.first) : 0.0,
	       (unsigned long long)lost, 100.0 * (double)lost / count,
	       (unsigned long long)pr.dup, (unsigned long long)pr.bad,
	       pr.recv_err ? ", receive error: " : "",
	       pr.recv_err ? strerror(pr.recv_err) : "");
	fflush(stdout);
	ret = pr.send_err || pr.recv_err || pr.sent != count ||
	      !pr.peer_done || (!server && !pr.peer_seen) ||
	      pr.dup || pr.bad || pr.got < count / 4 ||
	      (expect_loss && !lost);
	if (!server)
		close(fd);
	else	/* the client closes first: read its close */
		rmsg(fd, buf, sizeof(buf), 0);
	if (server) {
		close(fd);
		close(lfd);
	}
	free(pr.seen);
	return ret;
}

/* ---------------------------------------------------------------- main */

static const int v4 = AF_INET, v6 = AF_INET6;

static void build_list(void)
{
	test_add("both_ways_v4", "datagrams of 0 to 1197 bytes both ways (IPv4), each one message with MSG_QUIC_DATAGRAM and MSG_EOR, no stream cmsg; the peer's max_datagram_frame_size read back; 1 byte more: EMSGSIZE; stream data around a datagram intact",
		 test_both_ways, &v4, 60);
	test_add("both_ways_v6", "the same over IPv6", test_both_ways, &v6, 60);
	test_add("short_buffer", "a 100-byte datagram into 10 (MSG_PEEK), 40 and 128 bytes: MSG_TRUNC without MSG_EOR, then the rest with MSG_EOR",
		 test_short_buffer, NULL, 60);
	test_add("not_negotiated", "only the server offers datagrams: the client's arrive, the server's get EINVAL (also empty ones), nothing reaches the client; unconnected: ENOTCONN",
		 test_not_negotiated, NULL, 60);
	test_add("rcvbuf_bound", "20000 datagrams to a server that does not read: its rmem_alloc stays within SO_RCVBUF, the rest dropped and counted; what was kept is intact, none twice; the sender's memory back to 0; streams still work",
		 test_rcvbuf_bound, NULL, 120);
	test_add("send_budget", "SO_SNDBUF 4096 and a nonblocking sender of 4000 datagrams: EAGAIN instead of unbounded queueing, wmem_queued within the buffer, POLLOUT after each EAGAIN; the reader gets them intact",
		 test_send_budget, NULL, 120);
}

static void usage(const char *p)
{
	fprintf(stderr,
		"usage: %s [-v] [-l] [-t GLOB]...\n"
		"       %s --peer server|client --addr IP --port N --count N [--timeout SECS] [--expect-loss]\n",
		p, p);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "peer", required_argument, NULL, 'P' },
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 'o' },
		{ "expect-loss", no_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *role = NULL, *ip = NULL;
	int port = 0, tmo = 120, expect_loss = 0, opt, i;
	uint32_t count = 100000;

	signal(SIGPIPE, SIG_IGN);
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--peer"))
			break;
	if (i == argc) {
		build_list();
		return runner_main(argc, argv);
	}
	while ((opt = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (opt) {
		case 'P':
			role = optarg;
			break;
		case 'a':
			ip = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'n':
			count = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'o':
			tmo = atoi(optarg);
			break;
		case 'x':
			expect_loss = 1;
			break;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (!role || !ip || !port || !count ||
	    (strcmp(role, "server") && strcmp(role, "client"))) {
		usage(argv[0]);
		return 2;
	}
	return peer_main(!strcmp(role, "server"), ip, port, count, tmo,
			 expect_loss);
}
