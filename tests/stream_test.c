// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stream_test: the stream half of the data API through quic.ko over
 * loopback: QUIC_SOCKOPT_STREAM_RESET and QUIC_SOCKOPT_STREAM_STOP_SENDING
 * (RFC 9000 sections 3, 19.4 and 19.5), the STREAM_UPDATE events they
 * bring, what sendmsg() and recvmsg() see of a reset stream, the
 * STREAM_MAX_DATA event, the SIOCINQ and SIOCOUTQ ioctls, a flood of
 * STREAM_UPDATE events against the receive buffer, and what small frames
 * of streams in turn cost it.
 *
 * Runs as root in a guest with quic.ko loaded; prints TAP (tests/tap.h),
 * each test isolated in a child of its own (tests/lib/runner.h).
 *
 * Usage: stream_test [-v] [-l] [-t GLOB]...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/quic.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <netinet/quic.h>

#include "lib/testlib.h"

#define BIG	(16 * MIB)

static int errinfo_set(int fd, int opt, int64_t sid, uint32_t code)
{
	struct quic_errinfo e = { .stream_id = sid, .errcode = code };

	return setsockopt(fd, SOL_QUIC, opt, &e, sizeof(e));
}

/*
 * What a reader of stream @sid saw: its bytes (checked against the
 * pattern of @seed), and the STREAM_UPDATE events of that stream (how
 * many in @nev, the first in @first), until an event of @want_state (in
 * @ev; the last one before if none) and a little while after it, or a
 * timeout.  Data of @sid after that event is counted in @late, events in
 * @nev_late.
 */
struct reader {
	int			fd;
	int64_t			sid;
	uint64_t		seed;
	uint8_t			want_state;
	/* results */
	uint64_t		got;
	int64_t			bad_off;
	int			fin;
	int			nev;
	int			late;
	int			err;
	int			nev_late;
	struct quic_stream_update first, ev;
	uint64_t		got_at_event;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	size_t cap = 64 * KIB;
	uint8_t *buf = malloc(cap), *exp = malloc(cap);
	bool done = false;
	uint32_t flags;
	int64_t sid;
	ssize_t n;

	r->bad_off = -1;
	while (buf && exp) {
		flags = 0;
		sid = -1;
		n = quic_recvmsg(r->fd, buf, cap, &sid, &flags);
		if (n < 0) {
			r->err = errno;
			break;
		}
		if (flags & MSG_QUIC_NOTIFICATION) {
			struct quic_stream_update u;

			if (n < 1 || buf[0] != QUIC_EVENT_STREAM_UPDATE ||
			    n != 1 + (ssize_t)sizeof(u))
				continue;
			memcpy(&u, buf + 1, sizeof(u));
			if (u.id != r->sid)
				continue;
			if (done) {
				r->nev_late++;
				continue;
			}
			if (!r->nev++)
				r->first = u;
			r->ev = u;
			if (u.state == r->want_state) {
				r->got_at_event = r->got;
				done = true;
				/* anything more of the stream is late: look
				 * for a little while
				 */
				set_timeouts(r->fd, 300);
			}
			continue;
		}
		if (!n && !(flags & MSG_STREAM_FIN))
			break;	/* the connection ended */
		if (sid != r->sid)
			continue;
		if (done) {
			r->late++;
			continue;
		}
		pat_fill(r->seed, r->got, exp, (size_t)n);
		if (r->bad_off < 0 && memcmp(buf, exp, (size_t)n))
			r->bad_off = (int64_t)r->got;
		r->got += (uint64_t)n;
		if (flags & MSG_STREAM_FIN)
			r->fin = 1;
	}
	free(buf);
	free(exp);
	return NULL;
}

static bool wait_bytes(const struct reader *r, uint64_t n, int secs)
{
	double t0 = now_s();

	while (__atomic_load_n(&r->got, __ATOMIC_RELAXED) < n) {
		if (now_s() - t0 > secs)
			return false;
		msleep(10);
	}
	return true;
}

/* stream 4 after the reset: the connection still carries data */
static void still_works(struct pair *p)
{
	struct xfer s = { .fd = p->cfd, .sid = 4, .size = MIB, .seed = 9,
			  .open_flags = MSG_STREAM_NEW };
	struct xfer r = { .fd = p->sfd, .sid = 4, .size = MIB, .seed = 9 };
	pthread_t t;

	/* no events in the way of xfer_recv_main() */
	CHECK_SYS(set_event(p->sfd, QUIC_EVENT_STREAM_UPDATE, 0));
	set_timeouts(p->sfd, 10000);
	set_timeouts(p->cfd, 10000);
	pthread_create(&t, NULL, xfer_send_main, &s);
	xfer_recv_main(&r);
	pthread_join(t, NULL);
	xfer_check("stream 4 after the reset", &s, &r);
}

/*
 * A reset in the middle of a 16 MiB transfer on stream 0, while the
 * client's sender is asleep in sendmsg() for flow control, after the
 * server read 4 MiB:
 *
 * - STREAM_RESET by the client: its sender wakes and fails with EINVAL;
 *   it gets RESET_RECVD once its RESET_STREAM is acknowledged;
 * - STREAM_STOP_SENDING by the server: the client's stack answers with
 *   RESET_STREAM of the same code (RFC 9000 section 3.5), its sender
 *   fails with ECONNRESET, it gets RESET_SENT.  Asking again is no error.
 *
 * Either way what the sender wrote is the final size, the server reads
 * intact bytes, then RESET_RECVD with the code and the final size, and
 * nothing more of the stream, and stream 4 then carries 1 MiB.
 */
struct reset_case {
	int	family;
	bool	stop;	/* STOP_SENDING by the server, not a reset */
};

static void test_reset_mid(const void *arg)
{
	const struct reset_case *rc = arg;
	struct pcfg cfg = { .family = rc->family, .hs = { .psk = 1 } };
	uint32_t code = rc->stop ? 7 : 0x1234;
	struct xfer s = { .sid = 0, .size = BIG, .seed = 5,
			  .open_flags = MSG_STREAM_NEW };
	struct reader r = { .sid = 0, .seed = 5,
			    .want_state = QUIC_STREAM_RECV_STATE_RESET_RECVD };
	struct reader c = { .sid = 0,
			    .want_state = QUIC_STREAM_SEND_STATE_RESET_RECVD };
	int err = rc->stop ? ECONNRESET : EINVAL;
	pthread_t ts, tr, tc;
	struct pair p;

	REQUIRE_PAIR(&p, &cfg);
	CHECK_SYS(set_event(p.sfd, QUIC_EVENT_STREAM_UPDATE, 1));
	CHECK_SYS(set_event(p.cfd, QUIC_EVENT_STREAM_UPDATE, 1));
	s.fd = p.cfd;
	r.fd = p.sfd;
	pthread_create(&ts, NULL, xfer_send_main, &s);
	pthread_create(&tr, NULL, reader_main, &r);
	CHECK(wait_bytes(&r, 4 * MIB, 30));
	if (rc->stop)
		CHECK_SYS(errinfo_set(p.sfd, QUIC_SOCKOPT_STREAM_STOP_SENDING,
				      0, code));
	else
		CHECK_SYS(errinfo_set(p.cfd, QUIC_SOCKOPT_STREAM_RESET, 0,
				      code));
	pthread_join(ts, NULL);
	/* the client's reader: its event */
	c.fd = p.cfd;
	set_timeouts(p.cfd, 5000);
	pthread_create(&tc, NULL, reader_main, &c);
	pthread_join(tr, NULL);
	pthread_join(tc, NULL);
	tap_diag("sender wrote %llu bytes (%s); reader got %llu, event final size %llu",
		 (unsigned long long)s.done, strerror(s.err),
		 (unsigned long long)r.got_at_event,
		 (unsigned long long)r.ev.finalsz);
	CHECK_EQ(s.err, err);
	CHECK(s.done < BIG);
	CHECK_EQ(r.bad_off, -1);
	CHECK(!r.fin);
	CHECK_EQ(r.ev.state, QUIC_STREAM_RECV_STATE_RESET_RECVD);
	CHECK_EQ(r.ev.errcode, code);
	CHECK_EQ(r.ev.finalsz, s.done);
	CHECK(r.got_at_event <= r.ev.finalsz);
	CHECK(r.got_at_event >= 4 * MIB);
	CHECK_EQ(r.late, 0);
	/* RESET_RECVD once the reset is acknowledged; on STOP_SENDING,
	 * RESET_SENT before it
	 */
	CHECK_EQ(c.ev.state, QUIC_STREAM_SEND_STATE_RESET_RECVD);
	CHECK_EQ(c.ev.errcode, code);
	CHECK_EQ(c.ev.finalsz, s.done);
	CHECK_EQ(c.nev, rc->stop ? 2 : 1);
	if (rc->stop) {
		CHECK_EQ(c.first.state, QUIC_STREAM_SEND_STATE_RESET_SENT);
		CHECK_EQ(c.first.errcode, code);
		CHECK_EQ(c.first.finalsz, s.done);
	}
	CHECK_EQ(c.nev_late, 0);
	CHECK_EQ(c.got, 0);
	/* the stream is closed for sending */
	CHECK_ERR(quic_sendmsg(p.cfd, "x", 1, 0, 0), err);
	if (rc->stop)
		CHECK_SYS(errinfo_set(p.sfd, QUIC_SOCKOPT_STREAM_STOP_SENDING,
				      0, 8));
	still_works(&p);
	pair_close(&p);
}

/*
 * A stream that ends with FIN gives RECV_STATE_RECVD to its reader after
 * the data, and SEND_STATE_RECVD to its writer once all is acknowledged;
 * reset after that, nothing happens (0); resetting a reset stream again
 * is no error either.
 */
static void test_reset_after_fin(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 } };
	struct reader c = { .sid = 0,
			    .want_state = QUIC_STREAM_SEND_STATE_RECVD };
	char buf[64];
	uint32_t flags = 0;
	int64_t sid = -1;
	pthread_t tc;
	struct pair p;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	CHECK_SYS(set_event(p.cfd, QUIC_EVENT_STREAM_UPDATE, 1));
	CHECK_SYS(set_event(p.sfd, QUIC_EVENT_STREAM_UPDATE, 1));
	CHECK_EQ(quic_sendmsg(p.cfd, "hello", 5, 0,
			      MSG_STREAM_NEW | MSG_STREAM_FIN), 5);
	CHECK_EQ(quic_recvmsg(p.sfd, buf, sizeof(buf), &sid, &flags), 5);
	CHECK(flags & MSG_STREAM_FIN);
	CHECK(!(flags & MSG_QUIC_NOTIFICATION));
	flags = 0;
	if (CHECK_EQ(quic_recvmsg(p.sfd, buf, sizeof(buf), &sid, &flags),
		     1 + (ssize_t)sizeof(struct quic_stream_update)) &&
	    CHECK(flags & MSG_QUIC_NOTIFICATION)) {
		struct quic_stream_update u;

		memcpy(&u, buf + 1, sizeof(u));
		CHECK_EQ(buf[0], QUIC_EVENT_STREAM_UPDATE);
		CHECK_EQ(u.id, 0);
		CHECK_EQ(u.state, QUIC_STREAM_RECV_STATE_RECVD);
		CHECK_EQ(u.errcode, 0);
		CHECK_EQ(u.finalsz, 5);
	}
	c.fd = p.cfd;
	set_timeouts(p.cfd, 5000);
	pthread_create(&tc, NULL, reader_main, &c);
	pthread_join(tc, NULL);
	CHECK_EQ(c.nev, 1);
	CHECK_EQ(c.ev.state, QUIC_STREAM_SEND_STATE_RECVD);
	CHECK_EQ(c.ev.finalsz, 5);
	/* stream 4: open, some data, reset twice */
	CHECK_EQ(quic_sendmsg(p.cfd, "abc", 3, 4, MSG_STREAM_NEW), 3);
	CHECK_SYS(errinfo_set(p.cfd, QUIC_SOCKOPT_STREAM_RESET, 4, 1));
	CHECK_SYS(errinfo_set(p.cfd, QUIC_SOCKOPT_STREAM_RESET, 4, 2));
	CHECK_ERR(quic_sendmsg(p.cfd, "x", 1, 4, 0), EINVAL);
	pair_close(&p);
}

/*
 * The options' errors: a short value, a negative or unknown stream, a
 * stream without the part the option acts on (reset of the peer's uni
 * stream, STOP_SENDING on one's own), a socket not connected.
 */
static void test_errinfo_errors(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET6, .hs = { .psk = 1 } };
	struct quic_errinfo e = { .stream_id = 0 };
	char buf[64];
	uint32_t flags = 0;
	int64_t sid = -1;
	struct pair p;
	int fd;

	(void)arg;
	REQUIRE_SYS(fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_QUIC));
	CHECK_ERR(errinfo_set(fd, QUIC_SOCKOPT_STREAM_RESET, 0, 1), ENOTCONN);
	CHECK_ERR(errinfo_set(fd, QUIC_SOCKOPT_STREAM_STOP_SENDING, 0, 1),
		  ENOTCONN);
	close(fd);

	REQUIRE_PAIR(&p, &cfg);
	CHECK_EQ(quic_sendmsg(p.cfd, "a", 1, 0, MSG_STREAM_NEW), 1);
	CHECK_EQ(quic_sendmsg(p.cfd, "b", 1, 2, MSG_STREAM_NEW), 1);
	CHECK_EQ(quic_sendmsg(p.sfd, "c", 1, 3, MSG_STREAM_NEW), 1);
	/* the client has the server's stream 3 once its data arrived */
	set_timeouts(p.cfd, 5000);
	CHECK_EQ(quic_recvmsg(p.cfd, buf, sizeof(buf), &sid, &flags), 1);
	CHECK_EQ(sid, 3);
	CHECK_ERR(setsockopt(p.cfd, SOL_QUIC, QUIC_SOCKOPT_STREAM_RESET, &e,
			     sizeof(e) - 1), EINVAL);
	CHECK_ERR(setsockopt(p.cfd, SOL_QUIC, QUIC_SOCKOPT_STREAM_STOP_SENDING,
			     &e, 4), EINVAL);
	CHECK_ERR(errinfo_set(p.cfd, QUIC_SOCKOPT_STREAM_RESET, -4, 1), EINVAL);
	CHECK_ERR(errinfo_set(p.cfd, QUIC_SOCKOPT_STREAM_RESET, 1LL << 62, 1),
		  EINVAL);
	CHECK_ERR(errinfo_set(p.cfd, QUIC_SOCKOPT_STREAM_RESET, 400, 1), EINVAL);
	CHECK_ERR(errinfo_set(p.cfd, QUIC_SOCKOPT_STREAM_STOP_SENDING, 400, 1),
		  EINVAL);
	/* no sending part: the peer's uni stream; no receiving part: ours */
	CHECK_ERR(errinfo_set(p.cfd, QUIC_SOCKOPT_STREAM_RESET, 3, 1), EINVAL);
	CHECK_ERR(errinfo_set(p.cfd, QUIC_SOCKOPT_STREAM_STOP_SENDING, 2, 1),
		  EINVAL);
	/* and the right ones work */
	CHECK_SYS(errinfo_set(p.cfd, QUIC_SOCKOPT_STREAM_RESET, 2, 1));
	CHECK_SYS(errinfo_set(p.cfd, QUIC_SOCKOPT_STREAM_STOP_SENDING, 3, 1));
	CHECK_SYS(errinfo_set(p.cfd, QUIC_SOCKOPT_STREAM_STOP_SENDING, 0, 1));
	pair_close(&p);
}

/*
 * Without the event enabled, a reset arrives silently: the reader gets
 * what was delivered before it and no notification; the connection
 * goes on.
 */
static void test_reset_no_event(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 } };
	char buf[64];
	uint32_t flags = 0;
	int64_t sid = -1;
	struct pair p;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	CHECK_EQ(quic_sendmsg(p.cfd, "hello", 5, 0, MSG_STREAM_NEW), 5);
	CHECK_EQ(quic_recvmsg(p.sfd, buf, sizeof(buf), &sid, &flags), 5);
	CHECK_EQ(sid, 0);
	CHECK(!(flags & (MSG_STREAM_FIN | MSG_QUIC_NOTIFICATION)));
	CHECK_SYS(errinfo_set(p.cfd, QUIC_SOCKOPT_STREAM_RESET, 0, 3));
	/* a transfer's worth of round trips: the reset has arrived */
	still_works(&p);
	set_timeouts(p.sfd, 300);
	flags = 0;
	CHECK_ERR(quic_recvmsg(p.sfd, buf, sizeof(buf), &sid, &flags), EAGAIN);
	pair_close(&p);
}

/*
 * The peer's streams count against its limit until both parts are over:
 * a client opens the 100 bidirectional streams it may, each with a byte
 * and FIN; the server reads them all but does not answer, and the 101st
 * stays refused (MSG_STREAM_DONTWAIT: EAGAIN), so that a peer cannot
 * make the server hold more streams than it allows by finishing its
 * side only.  Once the server resets its sending parts, they are freed
 * and the client opens the 101st.
 */
static void test_peer_streams_held(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 } };
	char buf[64];
	uint32_t flags;
	int64_t sid;
	struct pair p;
	int i, n = 0;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	for (i = 0; i < 100; i++)
		if (!CHECK_EQ(quic_sendmsg(p.cfd, "x", 1, 4 * i,
					   MSG_STREAM_NEW | MSG_STREAM_FIN), 1))
			break;
	for (i = 0; i < 100; i++) {
		flags = 0;
		if (!CHECK_EQ(quic_recvmsg(p.sfd, buf, sizeof(buf), &sid,
					   &flags), 1))
			break;
		n += !!(flags & MSG_STREAM_FIN);
	}
	CHECK_EQ(n, 100);
	msleep(300);	/* a MAX_STREAMS would have come by now */
	CHECK_ERR(quic_sendmsg(p.cfd, "x", 1, 400, MSG_STREAM_NEW |
			       MSG_STREAM_FIN | MSG_STREAM_DONTWAIT), EAGAIN);
	for (i = 0; i < 100; i++)
		CHECK_SYS(errinfo_set(p.sfd, QUIC_SOCKOPT_STREAM_RESET, 4 * i,
				      0));
	set_timeouts(p.cfd, 10000);
	CHECK_EQ(quic_sendmsg(p.cfd, "y", 1, 400,
			      MSG_STREAM_NEW | MSG_STREAM_FIN), 1);
	flags = 0;
	CHECK_EQ(quic_recvmsg(p.sfd, buf, sizeof(buf), &sid, &flags), 1);
	CHECK_EQ(sid, 400);
	pair_close(&p);
}

/*
 * QUIC_EVENT_STREAM_MAX_DATA: a writer held up by the stream's limit
 * (16 KiB windows) hears when the reader's MAX_STREAM_DATA raises it,
 * with the stream and the new limit; not before.
 */
static void test_max_data_event(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET6, .hs = { .psk = 1 },
			    .tp_s = &tp_small };
	uint8_t buf[4096], ev[64];
	struct quic_stream_max_data m;
	uint64_t sent = 0, got = 0;
	uint32_t flags;
	int64_t sid;
	ssize_t n;
	struct pair p;
	int e;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	CHECK_SYS(set_event(p.cfd, QUIC_EVENT_STREAM_MAX_DATA, 1));
	memset(buf, 'm', sizeof(buf));
	for (;;) {
		n = quic_sendmsg(p.cfd, buf, sizeof(buf), 0,
				 (sent ? 0 : MSG_STREAM_NEW) | MSG_DONTWAIT);
		if (n < 0)
			break;
		sent += (uint64_t)n;
	}
	e = errno;
	tap_diag("the writer took %llu bytes before the limit, then: %s",
		 (unsigned long long)sent, strerror(e));
	CHECK_EQ(e, EAGAIN);
	CHECK_EQ(sent, 16 * KIB);
	/* no event yet */
	flags = MSG_DONTWAIT;
	CHECK_ERR(quic_recvmsg(p.cfd, ev, sizeof(ev), &sid, &flags), EAGAIN);
	while (got < sent) {
		flags = 0;
		n = quic_recvmsg(p.sfd, buf, sizeof(buf), &sid, &flags);
		if (!CHECK(n > 0))
			break;
		got += (uint64_t)n;
	}
	set_timeouts(p.cfd, 5000);
	flags = 0;
	n = quic_recvmsg(p.cfd, ev, sizeof(ev), &sid, &flags);
	if (CHECK_EQ(n, 1 + (ssize_t)sizeof(m)) &&
	    CHECK(flags & MSG_QUIC_NOTIFICATION)) {
		memcpy(&m, ev + 1, sizeof(m));
		tap_diag("event: stream %lld, max_data %llu", (long long)m.id,
			 (unsigned long long)m.max_data);
		CHECK_EQ(ev[0], QUIC_EVENT_STREAM_MAX_DATA);
		CHECK_EQ(m.id, 0);
		CHECK(m.max_data > 16 * KIB);
	}
	/* and the writer goes on */
	CHECK(quic_sendmsg(p.cfd, buf, sizeof(buf), 0, MSG_DONTWAIT) > 0);
	pair_close(&p);
}

/* SIOCINQ or SIOCOUTQ of @fd, or -1 - errno */
static int ioctl_val(int fd, unsigned long cmd)
{
	int v = -1;

	return ioctl(fd, cmd, &v) ? -1 - errno : v;
}

/* wait until ioctl_val(@fd, @cmd) is @want; its last value */
static int ioctl_wait(int fd, unsigned long cmd, int want)
{
	double t0 = now_s();
	int v;

	while ((v = ioctl_val(fd, cmd)) != want && now_s() - t0 < 5)
		msleep(10);
	return v;
}

/*
 * SIOCINQ counts what the reader has queued and drops as it reads;
 * SIOCOUTQ counts stream bytes not acknowledged: more than 0 right after
 * a write over a loopback 50 ms away (netem, in a network namespace of
 * the test's own), 0 once all is acknowledged; a listener gives EINVAL,
 * another request ENOTTY.
 */
static void test_ioctl(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 } };
	static uint8_t buf[64 * 1024];
	struct pair p;
	ssize_t n, got = 0;
	int inq, outq;

	(void)arg;
	/* a network namespace of this child's own, for netem on its lo */
	REQUIRE_SYS(unshare(CLONE_NEWNET));
	REQUIRE(system("/sbin/ip link set lo up") == 0);
	REQUIRE_PAIR(&p, &cfg);
	CHECK_EQ(ioctl_val(p.sfd, SIOCINQ), 0);
	CHECK_EQ(ioctl_val(p.cfd, SIOCOUTQ), 0);
	CHECK_EQ(ioctl_val(p.lfd, SIOCINQ), -1 - EINVAL);
	CHECK_EQ(ioctl_val(p.cfd, SIOCATMARK), -1 - ENOTTY);

	CHECK_EQ(quic_sendmsg(p.cfd, buf, 1000, 0, MSG_STREAM_NEW), 1000);
	CHECK_EQ(ioctl_wait(p.sfd, SIOCINQ, 1000), 1000);
	CHECK_EQ(recv(p.sfd, buf, 400, 0), 400);
	CHECK_EQ(ioctl_val(p.sfd, SIOCINQ), 600);
	CHECK_EQ(recv(p.sfd, buf, sizeof(buf), 0), 600);
	CHECK_EQ(ioctl_val(p.sfd, SIOCINQ), 0);
	CHECK_EQ(ioctl_wait(p.cfd, SIOCOUTQ, 0), 0);

	/* 50 ms each way from now on: what was just written is not
	 * acknowledged yet
	 */
	REQUIRE(system("/sbin/tc qdisc add dev lo root netem delay 50ms") == 0);
	msleep(100);
	n = quic_sendmsg(p.cfd, buf, sizeof(buf), 0, 0);
	outq = ioctl_val(p.cfd, SIOCOUTQ);
	inq = ioctl_val(p.sfd, SIOCINQ);
	tap_diag("%zd bytes written, 50 ms away: SIOCOUTQ %d on the writer, SIOCINQ %d on the reader",
		 n, outq, inq);
	CHECK_EQ(n, (ssize_t)sizeof(buf));
	CHECK(outq > 0 && outq <= n);
	for (got = 0; got < n;) {
		ssize_t k = recv(p.sfd, buf, sizeof(buf), 0);

		if (!CHECK(k > 0))
			break;
		got += k;
	}
	CHECK_EQ(ioctl_wait(p.cfd, SIOCOUTQ, 0), 0);
	CHECK_EQ(ioctl_val(p.sfd, SIOCINQ), 0);
	pair_close(&p);
}

/*
 * A peer that opens and resets streams as fast as it can, a byte on each,
 * to a reader that enabled STREAM_UPDATE and does not read: what is
 * queued for it stays within four receive buffers (bytes at a stream's
 * read offset may go beyond one, events may not; the rest waits to be
 * sent again, or is dropped, and counted); each event read afterwards is
 * a RESET_RECVD of one of those streams with the code and final size the
 * peer sent; nothing is left charged once read; the connection goes on.
 */
#define UPD_N	1000

static void test_update_flood(const void *arg)
{
	const struct quic_transport_param tp_s = { .max_streams_uni = UPD_N };
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 },
			    .tp_s = &tp_s };
	uint32_t rmem, rcvbuf, drops, flags;
	long nev = 0, ndata = 0, bad = 0, slab0, slab1;
	struct quic_stream_update u;
	uint8_t buf[64];
	struct pair p;
	int64_t sid;
	double t0;
	ssize_t n;
	int i, err = 0;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	CHECK_SYS(set_event(p.sfd, QUIC_EVENT_STREAM_UPDATE, 1));
	slab0 = slab_in_use_kib();
	for (i = 0; i < UPD_N; i++) {
		sid = 4 * i + 2;
		if (!CHECK_EQ(quic_sendmsg(p.cfd, "x", 1, sid, MSG_STREAM_NEW |
					   MSG_STREAM_DONTWAIT), 1) ||
		    !CHECK_SYS(errinfo_set(p.cfd, QUIC_SOCKOPT_STREAM_RESET,
					   sid, 1000 + i)))
			break;
	}
	/* every RESET_STREAM acknowledged, or what the server refused
	 * waits for its reader
	 */
	t0 = now_s();
	while (sock_meminfo(p.cfd, SK_MEMINFO_WMEM_QUEUED) && now_s() - t0 < 2)
		msleep(20);
	msleep(100);
	rmem = sock_meminfo(p.sfd, SK_MEMINFO_RMEM_ALLOC);
	rcvbuf = sock_meminfo(p.sfd, SK_MEMINFO_RCVBUF);
	drops = sock_meminfo(p.sfd, SK_MEMINFO_DROPS);
	slab1 = slab_in_use_kib();
	tap_diag("%d streams opened and reset in %.2f s; server, not reading: rmem_alloc %u of rcvbuf %u, %u dropped; slab %+ld KiB",
		 i, now_s() - t0, rmem, rcvbuf, drops, slab1 - slab0);
	CHECK(rmem <= 4 * rcvbuf);
	CHECK(drops > 0);

	set_nonblock(p.sfd, 1);
	for (;;) {
		flags = 0;
		n = quic_recvmsg(p.sfd, buf, sizeof(buf), &sid, &flags);
		if (n < 0) {
			err = errno;
			break;
		}
		if (!(flags & MSG_QUIC_NOTIFICATION)) {
			ndata++;
			continue;
		}
		if (n != 1 + (ssize_t)sizeof(u) ||
		    buf[0] != QUIC_EVENT_STREAM_UPDATE) {
			bad++;
			continue;
		}
		memcpy(&u, buf + 1, sizeof(u));
		if (u.state != QUIC_STREAM_RECV_STATE_RESET_RECVD ||
		    (u.id & 3) != 2 || u.id >= 4 * UPD_N ||
		    u.errcode != 1000 + (u.id >> 2) || u.finalsz != 1) {
			if (!bad++)
				tap_diag("odd event: stream %lld state %u code %u final size %llu",
					 (long long)u.id, u.state, u.errcode,
					 (unsigned long long)u.finalsz);
			continue;
		}
		nev++;
	}
	CHECK_EQ(err, EAGAIN);
	set_nonblock(p.sfd, 0);
	tap_diag("read afterwards: %ld RESET_RECVD events, %ld data messages, %ld odd",
		 nev, ndata, bad);
	CHECK(nev > 0);
	CHECK_EQ(bad, 0);
	CHECK_EQ(sock_meminfo(p.sfd, SK_MEMINFO_RMEM_ALLOC), 0);
	still_works(&p);
	pair_close(&p);
}

/*
 * Two streams written a byte at a time in turn, each byte in a packet of
 * its own (stream_data_nodelay), to a reader that does not read: the
 * bytes are kept a stream's run at a time, not a buffer per byte, so all
 * of them fit in the receive buffer and none is refused; read afterwards,
 * each stream's bytes are whole and in order.
 */
#define INTER_N	8000	/* bytes per stream */

static void test_interleaved_small(const void *arg)
{
	const struct quic_config nodelay = { .stream_data_nodelay = 1 };
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 },
			    .conf_c = &nodelay };
	uint32_t rmem, rcvbuf, drops, flags;
	uint64_t got[2] = { 0, 0 }, bad = 0;
	uint8_t buf[4096], c;
	struct pair p;
	int64_t sid;
	ssize_t n, k;
	int i, s;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	for (i = 0; i < 2 * INTER_N; i++) {
		s = i & 1;
		c = (uint8_t)(i / 2 * (s ? 7 : 3));
		if (!CHECK_EQ(quic_sendmsg(p.cfd, &c, 1, 4 * s,
					   i < 2 ? MSG_STREAM_NEW : 0), 1))
			break;
	}
	CHECK_EQ(ioctl_wait(p.cfd, SIOCOUTQ, 0), 0);
	rmem = sock_meminfo(p.sfd, SK_MEMINFO_RMEM_ALLOC);
	rcvbuf = sock_meminfo(p.sfd, SK_MEMINFO_RCVBUF);
	drops = sock_meminfo(p.sfd, SK_MEMINFO_DROPS);
	tap_diag("%d one-byte writes on two streams in turn; server, not reading: rmem_alloc %u of rcvbuf %u, %u refused",
		 i, rmem, rcvbuf, drops);
	CHECK(rmem <= rcvbuf);
	CHECK_EQ(drops, 0);

	set_nonblock(p.sfd, 1);
	while ((n = quic_recvmsg(p.sfd, buf, sizeof(buf), &sid,
				 (flags = 0, &flags))) > 0) {
		s = sid == 4;
		if (sid != 0 && sid != 4) {
			bad++;
			continue;
		}
		for (k = 0; k < n; k++, got[s]++)
			bad += buf[k] != (uint8_t)(got[s] * (s ? 7 : 3));
	}
	set_nonblock(p.sfd, 0);
	tap_diag("read: %llu and %llu bytes, %llu wrong",
		 (unsigned long long)got[0], (unsigned long long)got[1],
		 (unsigned long long)bad);
	CHECK_EQ(got[0], INTER_N);
	CHECK_EQ(got[1], INTER_N);
	CHECK_EQ(bad, 0);
	pair_close(&p);
}

static const struct reset_case reset_v4 = { AF_INET, false };
static const struct reset_case reset_v6 = { AF_INET6, false };
static const struct reset_case stop_v4 = { AF_INET, true };
static const struct reset_case stop_v6 = { AF_INET6, true };

static void build_list(void)
{
	test_add("reset_mid_v4", "STREAM_RESET amid a 16 MiB transfer (IPv4): the blocked sender fails (EINVAL), the reader gets intact bytes then RESET_RECVD with code and final size, the writer RESET_RECVD once acknowledged; another stream then works",
		 test_reset_mid, &reset_v4, 120);
	test_add("reset_mid_v6", "the same over IPv6",
		 test_reset_mid, &reset_v6, 120);
	test_add("stop_sending_v4", "STREAM_STOP_SENDING amid a 16 MiB transfer (IPv4): answered with RESET_STREAM of the same code, the sender fails (ECONNRESET), RESET_SENT and RESET_RECVD events with the final size written",
		 test_reset_mid, &stop_v4, 120);
	test_add("stop_sending_v6", "the same over IPv6",
		 test_reset_mid, &stop_v6, 120);
	test_add("reset_after_fin", "RECV_STATE_RECVD after a FIN'd stream's data, SEND_STATE_RECVD once it is all acknowledged; a second reset is no error; sendmsg on a reset stream: EINVAL",
		 test_reset_after_fin, NULL, 60);
	test_add("errinfo_errors", "STREAM_RESET / STOP_SENDING: short value, bad or unknown stream, wrong direction: EINVAL; not connected: ENOTCONN",
		 test_errinfo_errors, NULL, 60);
	test_add("peer_streams_held", "the peer's streams hold its stream limit until both parts are over: read but unanswered, the 101st is refused; reset by the server, they make room",
		 test_peer_streams_held, NULL, 60);
	test_add("max_data_event", "STREAM_MAX_DATA: a writer held by the stream's 16 KiB limit gets the event (stream, new limit) when the reader's MAX_STREAM_DATA comes, not before",
		 test_max_data_event, NULL, 60);
	test_add("ioctl", "SIOCINQ: bytes queued for the reader, less as it reads; SIOCOUTQ: stream bytes not acknowledged, more than 0 just after a write 50 ms away, 0 once acknowledged; EINVAL on a listener, ENOTTY otherwise",
		 test_ioctl, NULL, 60);
	test_add("update_flood", "1000 streams opened and reset at once, a byte on each, to a reader with STREAM_UPDATE on that does not read: what is queued stays within 4 times its SO_RCVBUF, the rest refused or dropped and counted; those read are RESET_RECVD with the code and final size sent; nothing left charged; the connection goes on",
		 test_update_flood, NULL, 60);
	test_add("interleaved_small", "two streams written a byte at a time in turn, a packet each, to a reader that does not read: kept in runs, within SO_RCVBUF, none refused; read whole and in order",
		 test_interleaved_small, NULL, 60);
	test_add("reset_no_event", "a reset without the event enabled: the data before it is read, then nothing; the connection goes on",
		 test_reset_no_event, NULL, 60);
}

int main(int argc, char **argv)
{
	build_list();
	return runner_main(argc, argv);
}
