// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cid_test: connection ID control through quic.ko: QUIC_SOCKOPT_CONNECTION_ID
 * (the ID in use and the oldest one kept, for our IDs and the peer's), a
 * switch to another of the peer's IDs and the retirement of older ones
 * while a transfer runs (RFC 9000 sections 5.1.2, 19.15 and 19.16), and the
 * CONNECTION_ID event on the other side.
 *
 * Runs as root in a guest with quic.ko loaded; prints TAP (tests/tap.h),
 * each test isolated in a child of its own (tests/lib/runner.h).
 *
 * Usage: cid_test [-v] [-l] [-t GLOB]...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/quic.h>
#include <netinet/quic.h>

#include "lib/testlib.h"

#define XFER_SIZE	(8 * MIB)

static int cid_get(int fd, int dest, struct quic_connection_id_info *info)
{
	socklen_t len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	info->dest = (uint8_t)dest;
	return getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_ID, info,
			  &len);
}

static int cid_set(int fd, int dest, uint32_t active, uint32_t prior)
{
	struct quic_connection_id_info info = {
		.dest = (uint8_t)dest, .active = active, .prior_to = prior,
	};

	return setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_ID, &info,
			  sizeof(info));
}

/* wait until the peer's ID @seq is known on @fd (NEW_CONNECTION_ID) */
static bool wait_dcids(int fd, uint32_t seq)
{
	struct quic_connection_id_info info;
	double t0 = now_s();

	/* a switch needs the ID: setting it is the only way to ask */
	while (now_s() - t0 < 5) {
		if (!cid_get(fd, 1, &info) && info.prior_to <= seq &&
		    !cid_set(fd, 1, seq, info.prior_to))
			return true;
		msleep(20);
	}
	return false;
}

/* the CONNECTION_ID events queued on @fd: how many, the last one */
static int cid_events(int fd, struct quic_connection_id_info *last)
{
	uint8_t buf[64];
	uint32_t flags;
	int64_t sid;
	ssize_t n;
	int count = 0;

	for (;;) {
		flags = MSG_DONTWAIT;
		sid = -1;
		n = quic_recvmsg(fd, buf, sizeof(buf), &sid, &flags);
		if (n < 0)
			break;
		if (!(flags & MSG_QUIC_NOTIFICATION) ||
		    buf[0] != QUIC_EVENT_CONNECTION_ID)
			continue;
		if (n != 1 + (ssize_t)sizeof(*last)) {
			tap_diag("CONNECTION_ID event of %zd bytes", n);
			return -1;
		}
		memcpy(last, buf + 1, sizeof(*last));
		tap_diag("CONNECTION_ID event: dest %u active %u prior_to %u",
			 last->dest, last->active, last->prior_to);
		count++;
	}
	return count;
}

static bool wait_done(const struct xfer *x, uint64_t n)
{
	double t0 = now_s();

	while (__atomic_load_n(&x->done, __ATOMIC_RELAXED) < n) {
		if (now_s() - t0 > 30)
			return false;
		msleep(5);
	}
	return true;
}

/*
 * The client switches to the server's ID 3 and retires 0 to 2 while the
 * server sends it 8 MiB: the transfer goes on intact (the server forgets
 * the retired IDs, so packets still sent to them would be lost), the
 * client reads back active 3, prior_to 3, and the server gets one
 * CONNECTION_ID event per ID retired, the last with its oldest ID 3.
 */
static void test_switch_dest(const void *arg)
{
	struct pcfg cfg = { .family = *(const int *)arg, .hs = { .psk = 1 } };
	struct quic_connection_id_info info, ev = {};
	struct xfer s = { .sid = 1, .size = XFER_SIZE, .seed = 3,
			  .open_flags = MSG_STREAM_NEW };
	struct xfer r = { .sid = 1, .size = XFER_SIZE, .seed = 3 };
	struct pair p;
	pthread_t ts, tr;
	int nev;

	REQUIRE_PAIR(&p, &cfg);
	CHECK_SYS(set_event(p.sfd, QUIC_EVENT_CONNECTION_ID, 1));
	CHECK_SYS(cid_get(p.cfd, 1, &info));
	CHECK_EQ(info.active, 0);
	CHECK_EQ(info.prior_to, 0);
	CHECK_SYS(cid_get(p.sfd, 0, &info));
	CHECK_EQ(info.active, 0);
	CHECK_EQ(info.prior_to, 0);

	s.fd = p.sfd;
	r.fd = p.cfd;
	pthread_create(&ts, NULL, xfer_send_main, &s);
	pthread_create(&tr, NULL, xfer_recv_main, &r);
	CHECK(wait_done(&r, MIB));
	/* to ID 3, and retire those below it */
	CHECK(wait_dcids(p.cfd, 3));
	CHECK_SYS(cid_set(p.cfd, 1, 3, 3));
	CHECK_SYS(cid_get(p.cfd, 1, &info));
	CHECK_EQ(info.active, 3);
	CHECK_EQ(info.prior_to, 3);
	tap_diag("switched at %llu bytes received",
		 (unsigned long long)__atomic_load_n(&r.done,
						     __ATOMIC_RELAXED));
	pthread_join(ts, NULL);
	pthread_join(tr, NULL);
	CHECK(xfer_check("8 MiB across the switch", &s, &r));

	msleep(100);
	nev = cid_events(p.sfd, &ev);
	CHECK_EQ(nev, 3);
	CHECK_EQ(ev.dest, 0);
	CHECK_EQ(ev.prior_to, 3);
	CHECK_SYS(cid_get(p.sfd, 0, &info));
	CHECK_EQ(info.prior_to, 3);
	pair_close(&p);
}

/*
 * The server asks the client to retire its IDs 0 to 3 (a new ID with
 * Retire Prior To 4) while the client sends it 8 MiB: the client moves
 * to ID 4 and says so with a CONNECTION_ID event (dest 1, active 4,
 * prior_to 4), the server reads back its oldest ID as 4 once the client's
 * RETIRE_CONNECTION_IDs came, and the transfer is intact.
 */
static void test_retire_source(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 } };
	struct quic_connection_id_info info, ev = {};
	struct xfer s = { .sid = 0, .size = XFER_SIZE, .seed = 4,
			  .open_flags = MSG_STREAM_NEW };
	struct xfer r = { .sid = 0, .size = XFER_SIZE, .seed = 4 };
	struct pair p;
	pthread_t ts, tr;
	double t0;
	int nev;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	CHECK_SYS(set_event(p.cfd, QUIC_EVENT_CONNECTION_ID, 1));
	s.fd = p.cfd;
	r.fd = p.sfd;
	pthread_create(&ts, NULL, xfer_send_main, &s);
	pthread_create(&tr, NULL, xfer_recv_main, &r);
	CHECK(wait_done(&r, MIB));
	/* an active ID below prior_to: refused */
	CHECK_ERR(cid_set(p.sfd, 0, 0, 4), EINVAL);
	CHECK_SYS(cid_set(p.sfd, 0, 4, 4));
	CHECK_SYS(cid_get(p.sfd, 0, &info));
	CHECK_EQ(info.active, 4);
	pthread_join(ts, NULL);
	pthread_join(tr, NULL);
	CHECK(xfer_check("8 MiB across the retirement", &s, &r));

	t0 = now_s();
	while (!cid_get(p.sfd, 0, &info) && info.prior_to < 4 &&
	       now_s() - t0 < 5)
		msleep(20);
	tap_diag("the server's IDs: active %u, oldest %u", info.active,
		 info.prior_to);
	CHECK_EQ(info.prior_to, 4);
	nev = cid_events(p.cfd, &ev);
	CHECK_EQ(nev, 1);
	CHECK_EQ(ev.dest, 1);
	CHECK_EQ(ev.active, 4);
	CHECK_EQ(ev.prior_to, 4);
	CHECK_SYS(cid_get(p.cfd, 1, &info));
	CHECK_EQ(info.active, 4);
	pair_close(&p);
}

/*
 * What the option refuses: no connection (ENOTCONN), a short value, a
 * dest other than 0 or 1, reserved bytes set, an ID not held, an active
 * ID below prior_to (EINVAL).
 */
static void test_errors(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET6, .hs = { .psk = 1 } };
	struct quic_connection_id_info info = {};
	socklen_t len;
	struct pair p;
	int fd;

	(void)arg;
	fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_QUIC);
	CHECK_SYS(fd);
	CHECK_ERR(cid_get(fd, 1, &info), ENOTCONN);
	CHECK_ERR(cid_set(fd, 1, 1, 0), ENOTCONN);
	close(fd);

	REQUIRE_PAIR(&p, &cfg);
	len = sizeof(info) - 1;
	CHECK_ERR(getsockopt(p.cfd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_ID,
			     &info, &len), EINVAL);
	CHECK_ERR(setsockopt(p.cfd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_ID,
			     &info, sizeof(info) - 1), EINVAL);
	CHECK_ERR(cid_get(p.cfd, 2, &info), EINVAL);
	CHECK_ERR(cid_set(p.cfd, 2, 1, 0), EINVAL);
	info = (struct quic_connection_id_info){ .dest = 1, .active = 1 };
	info.reserved[1] = 1;
	CHECK_ERR(setsockopt(p.cfd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_ID,
			     &info, sizeof(info)), EINVAL);
	CHECK_ERR(cid_set(p.cfd, 1, 1000, 0), EINVAL);
	CHECK(wait_dcids(p.cfd, 2));
	CHECK_ERR(cid_set(p.cfd, 1, 1, 2), EINVAL);
	CHECK_ERR(cid_set(p.sfd, 0, 1000, 0), EINVAL);
	/* 0 and 0: nothing changes */
	CHECK_SYS(cid_set(p.cfd, 1, 0, 0));
	CHECK_SYS(cid_get(p.cfd, 1, &info));
	CHECK_EQ(info.active, 2);
	CHECK_EQ(info.prior_to, 0);
	/* the connection still works */
	CHECK_EQ(quic_sendmsg(p.cfd, "x", 1, 0, MSG_STREAM_NEW | MSG_STREAM_FIN),
		 1);
	{
		struct recv_wait w;

		recv_wait(&w, p.sfd, 5000);
		CHECK_EQ(w.ret, 1);
	}
	pair_close(&p);
}

static const int v4 = AF_INET, v6 = AF_INET6;

int main(int argc, char **argv)
{
	test_add("switch_dest_v4", "the client switches to the server's ID 3 and retires 0-2 amid 8 MiB (IPv4): intact, read back, three CONNECTION_ID events on the server",
		 test_switch_dest, &v4, 120);
	test_add("switch_dest_v6", "the same over IPv6", test_switch_dest,
		 &v6, 120);
	test_add("retire_source", "the server retires its IDs 0-3 amid 8 MiB: the client moves to ID 4 with a CONNECTION_ID event, the server's oldest ID becomes 4, intact",
		 test_retire_source, NULL, 120);
	test_add("errors", "QUIC_SOCKOPT_CONNECTION_ID: ENOTCONN unconnected; EINVAL for a short value, dest 2, reserved bytes, an ID not held, active below prior_to; 0/0 changes nothing",
		 test_errors, NULL, 60);
	return runner_main(argc, argv);
}
