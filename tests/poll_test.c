// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * poll_test: readiness of QUIC sockets through quic.ko over loopback:
 * poll() on a listener, epoll on a connection (level and edge triggered,
 * the peer's close), a non-blocking sender held by flow control and the
 * EPOLLOUT it gets, and handshakes on non-blocking sockets.
 *
 * Runs as root in a guest with quic.ko loaded; prints TAP (tests/tap.h),
 * each test isolated in a child of its own (tests/lib/runner.h).
 *
 * Usage: poll_test [-v] [-l] [-t GLOB]...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/quic.h>
#include <netinet/quic.h>

#include "lib/testlib.h"

/* -------------------------------------------------------- poll, epoll */

static void test_poll_listener(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 } };
	struct cli_arg c = { .cfg = &cfg, .fd = -1 };
	struct pollfd pfd;
	pthread_t th;
	int lfd, sfd, ret;

	(void)arg;
	REQUIRE_SYS(lfd = listener(AF_INET, NULL, 0, 5000, &c.port));
	pfd.fd = lfd;
	pfd.events = POLLIN | POLLOUT;
	CHECK_EQ(poll(&pfd, 1, 0), 0);
	pthread_create(&th, NULL, cli_main, &c);
	pfd.events = POLLIN;
	CHECK_EQ(poll(&pfd, 1, 5000), 1);
	CHECK(pfd.revents & POLLIN);
	CHECK_SYS(set_nonblock(lfd, 1));
	if (CHECK_SYS(sfd = accept(lfd, NULL, NULL))) {
		set_timeouts(sfd, 10000);
		ret = handshake(sfd, 1, &cfg.hs, NULL);
		CHECK_EQ(ret, 0);
		pfd.events = POLLIN;
		CHECK_EQ(poll(&pfd, 1, 0), 0);	/* nothing more pending */
		CHECK_ERR(accept(lfd, NULL, NULL), EAGAIN);
	}
	pthread_join(th, NULL);
	CHECK_EQ(c.ret, 0);
	if (sfd >= 0)
		close(sfd);
	if (c.fd >= 0)
		close(c.fd);
	close(lfd);
}

static void test_epoll_conn(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET6, .hs = { .psk = 1 } };
	struct epoll_event ev = {}, out[4];
	char buf[64];
	uint32_t flags;
	int64_t sid;
	struct pair p;
	int ep, n;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	REQUIRE_SYS(ep = epoll_create1(0));
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
	ev.data.fd = p.cfd;
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, p.cfd, &ev));
	n = epoll_wait(ep, out, 4, 0);
	CHECK_EQ(n, 1);
	if (n == 1)
		CHECK_EQ(out[0].events, EPOLLOUT);
	/* nothing to read */
	flags = MSG_DONTWAIT;
	CHECK_ERR(quic_recvmsg(p.cfd, buf, sizeof(buf), &sid, &flags), EAGAIN);
	CHECK_SYS(set_nonblock(p.cfd, 1));
	flags = 0;
	CHECK_ERR(quic_recvmsg(p.cfd, buf, sizeof(buf), &sid, &flags), EAGAIN);
	CHECK_ERR(recv(p.cfd, buf, sizeof(buf), 0), EAGAIN);

	/* data arrives */
	ev.events = EPOLLIN | EPOLLRDHUP;
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_MOD, p.cfd, &ev));
	CHECK_EQ(quic_sendmsg(p.sfd, "wake up", 7, 1, MSG_STREAM_NEW), 7);
	n = epoll_wait(ep, out, 4, 3000);
	CHECK_EQ(n, 1);
	if (n == 1)
		CHECK_EQ(out[0].events, EPOLLIN);
	flags = 0;
	CHECK_EQ(quic_recvmsg(p.cfd, buf, sizeof(buf), &sid, &flags), 7);
	CHECK_EQ(sid, 1);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);	/* all read */

	/* edge-triggered: a second message is a second edge */
	ev.events = EPOLLIN | EPOLLET;
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_MOD, p.cfd, &ev));
	CHECK_EQ(quic_sendmsg(p.sfd, "again", 5, 1, 0), 5);
	CHECK_EQ(epoll_wait(ep, out, 4, 3000), 1);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
	CHECK_EQ(quic_sendmsg(p.sfd, "and again", 9, 1, 0), 9);
	CHECK_EQ(epoll_wait(ep, out, 4, 3000), 1);

	/* the peer closes: readable, hung up */
	ev.events = EPOLLIN | EPOLLRDHUP;
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_MOD, p.cfd, &ev));
	while (quic_recvmsg(p.cfd, buf, sizeof(buf), &sid, &flags) > 0)
		flags = 0;
	close(p.sfd);
	p.sfd = -1;
	n = epoll_wait(ep, out, 4, 3000);
	CHECK_EQ(n, 1);
	if (n == 1) {
		tap_diag("after the peer closed: events %#x", out[0].events);
		CHECK(out[0].events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR));
	}
	close(ep);
	pair_close(&p);
}

/*
 * A non-blocking sender held back by the peer's 16 KiB windows: send()
 * says EAGAIN, EPOLLOUT comes when the peer has read; a well-behaved
 * event loop is not woken for nothing over and over.
 */
static void test_epoll_nonblock_send(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 },
			    .tp_s = &tp_small, .tmo_ms = 20000 };
	struct xfer r = { .size = 1 * MIB, .seed = 9, .sid = 0 };
	struct epoll_event ev = {}, out;
	static uint8_t buf[16 * 1024];
	uint64_t done = 0;
	unsigned int wakeups = 0, empty = 0, eagain = 0;
	uint32_t flags;
	pthread_t tr;
	struct pair p;
	double t0;
	ssize_t n;
	size_t len;
	int ep, err;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	REQUIRE_SYS(set_nonblock(p.cfd, 1));
	/* fill the window */
	while (done < 1 * MIB) {
		len = sizeof(buf);
		pat_fill(9, done, buf, len);
		flags = done ? 0 : MSG_STREAM_NEW;
		n = quic_sendmsg(p.cfd, buf, len, 0, flags);
		if (n < 0)
			break;
		done += (uint64_t)n;
	}
	err = errno;
	if (!CHECK(n == -1 && err == EAGAIN)) {
		tap_diag("send: %zd (%s)", n, strerror(err));
		goto out;
	}
	tap_diag("EAGAIN after %llu bytes", (unsigned long long)done);
	ep = epoll_create1(0);
	ev.events = EPOLLOUT;
	ev.data.fd = p.cfd;
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, p.cfd, &ev));
	/* the peer reads nothing yet: not writable (else a loop spins) */
	n = epoll_wait(ep, &out, 1, 300);
	if (!CHECK_EQ(n, 0)) {
		n = quic_sendmsg(p.cfd, buf, sizeof(buf), 0, 0);
		err = errno;
		tap_diag("EPOLLOUT (events %#x) while the peer's window is closed; send then: %zd (%s)",
			 out.events, n, n < 0 ? strerror(err) : "-");
		if (n > 0)
			done += (uint64_t)n;
	}
	r.fd = p.sfd;
	pthread_create(&tr, NULL, xfer_recv_main, &r);
	t0 = now_s();
	while (done < 1 * MIB && now_s() - t0 < 20) {
		if (epoll_wait(ep, &out, 1, 5000) != 1)
			break;
		wakeups++;
		len = (size_t)(1 * MIB - done < sizeof(buf) ? 1 * MIB - done
							     : sizeof(buf));
		pat_fill(9, done, buf, len);
		flags = done + len == 1 * MIB ? MSG_STREAM_FIN : 0;
		n = quic_sendmsg(p.cfd, buf, len, 0, flags);
		if (n < 0) {
			if (errno != EAGAIN)
				break;
			eagain++;
			if (++empty > 100000)
				break;
			continue;
		}
		done += (uint64_t)n;
		if ((size_t)n < len && (flags & MSG_STREAM_FIN)) {
			/* the FIN goes with the last byte only */
			continue;
		}
	}
	tap_diag("%u wakeups for %llu bytes; %u of them found no room (EAGAIN)",
		 wakeups, (unsigned long long)done, eagain);
	CHECK_EQ(done, 1 * MIB);
	if (done < 1 * MIB)
		shutdown(p.sfd, SHUT_RDWR);
	pthread_join(tr, NULL);
	CHECK_EQ(r.err, 0);
	CHECK_EQ(r.done, done);
	CHECK_EQ(r.bad_off, -1);
	/* spurious EPOLLOUT makes an event loop spin */
	if (!CHECK(eagain <= wakeups / 10 + 10))
		tap_diag("EPOLLOUT reported while send() had no room, %u times",
			 eagain);
	close(ep);
out:
	pair_close(&p);
}

/* quic_handshake() on non-blocking sockets: it polls. */
struct cli_nb {
	int	fd, ret;
};

static void *cli_nb_main(void *x)
{
	static const struct hs_cfg hs = { .psk = 1 };
	struct cli_nb *y = x;

	y->ret = handshake(y->fd, 0, &hs, NULL);
	return NULL;
}

static void test_nonblock_handshake(const void *arg)
{
	static const struct hs_cfg hs = { .psk = 1 };
	struct cli_nb c = { .fd = -1, .ret = -1 };
	struct pollfd pfd;
	struct addr a;
	pthread_t th;
	uint16_t port;
	int lfd, sfd = -1, sret = -1;

	(void)arg;
	REQUIRE_SYS(lfd = listener(AF_INET, NULL, 0, 5000, &port));
	a = mkaddr(AF_INET, NULL, port);
	c.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_QUIC);
	REQUIRE_SYS(c.fd);
	set_timeouts(c.fd, 5000);
	REQUIRE_SYS(connect(c.fd, &a.sa, a.len));
	pthread_create(&th, NULL, cli_nb_main, &c);
	pfd.fd = lfd;
	pfd.events = POLLIN;
	if (CHECK_EQ(poll(&pfd, 1, 5000), 1)) {
		if (CHECK_SYS(sfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK))) {
			set_timeouts(sfd, 5000);
			CHECK(fcntl(sfd, F_GETFL) & O_NONBLOCK);
			sret = handshake(sfd, 1, &hs, NULL);
		}
	}
	pthread_join(th, NULL);
	CHECK_EQ(c.ret, 0);
	CHECK_EQ(sret, 0);
	if (sfd >= 0)
		close(sfd);
	close(c.fd);
	close(lfd);
}

/* ====================================================== the test list */

static void build_list(void)
{
	test_add("poll_listener", "poll: a listener is readable when a connection is pending, not before or after",
		 test_poll_listener, NULL, 60);
	test_add("epoll_conn", "epoll: EPOLLOUT when connected, EPOLLIN when data arrives (also edge-triggered), EAGAIN when none, HUP after the peer closed",
		 test_epoll_conn, NULL, 60);
	test_add("epoll_nonblock_send", "non-blocking sender held by flow control: EAGAIN, no EPOLLOUT while the peer reads nothing, then EPOLLOUT as it reads, without spurious wakeups",
		 test_epoll_nonblock_send, NULL, 90);
	test_add("nonblock_handshake", "handshakes on non-blocking sockets (accept4 SOCK_NONBLOCK)",
		 test_nonblock_handshake, NULL, 60);
}

int main(int argc, char **argv)
{
	build_list();
	return runner_main(argc, argv);
}
