// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sockapi_test: socket semantics that programs written for the in-kernel
 * QUIC API rely on: transport parameters and the configuration set after
 * connect(), after listen() and on an accepted socket until they are used,
 * and what QUIC_SOCKOPT_CONNECTION_CLOSE reads back.
 *
 * Runs as root in a guest with quic.ko loaded; prints TAP (tests/tap.h),
 * each test isolated in a child of its own (tests/lib/runner.h).
 *
 * Usage: sockapi_test [-v] [-l] [-t GLOB]...
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

static int tp_get(int fd, int remote, struct quic_transport_param *p)
{
	socklen_t len = sizeof(*p);

	memset(p, 0, sizeof(*p));
	p->remote = (uint8_t)remote;
	return getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, p, &len);
}

static int conf_set(int fd, const struct quic_config *c)
{
	return setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, c, sizeof(*c));
}

static int conf_get(int fd, struct quic_config *c)
{
	socklen_t len = sizeof(*c);

	memset(c, 0, sizeof(*c));
	return getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, c, &len);
}

/* the client of options_after_connect: options after connect() */
struct late_cli {
	uint16_t	port;
	int		fd;
	int		set_tp, set_remote, set_conf;	/* errnos */
	int		ret;
};

static const struct quic_transport_param tp_cli_late = {
	.max_streams_bidi = 3, .max_datagram_frame_size = 1000,
};

static void *late_cli_main(void *arg)
{
	struct late_cli *c = arg;
	struct addr a = mkaddr(AF_INET, NULL, c->port);
	struct quic_transport_param rp = {
		.remote = 1, .max_streams_bidi = 50, .max_data = 1 << 20,
	};
	struct quic_config conf = { .stream_data_nodelay = 1 };
	struct hs_cfg hs = { .psk = 1 };

	c->fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_QUIC);
	if (c->fd < 0 || set_timeouts(c->fd, TMO_MS) ||
	    connect(c->fd, &a.sa, a.len)) {
		c->ret = -errno;
		return NULL;
	}
	c->set_tp = set_tp(c->fd, &tp_cli_late) ? errno : 0;
	/* the peer's, remembered (0-RTT): settable while establishing */
	c->set_remote = setsockopt(c->fd, SOL_QUIC,
				   QUIC_SOCKOPT_TRANSPORT_PARAM, &rp,
				   sizeof(rp)) ? errno : 0;
	c->set_conf = conf_set(c->fd, &conf) ? errno : 0;
	c->ret = handshake(c->fd, 0, &hs, NULL);
	return NULL;
}

/*
 * Options set late take effect: the client's after connect(), the
 * listener's after listen() (for the connection it accepts next), the
 * accepted socket's before its handshake; each side then reads what the
 * other set in its peer's parameters.  Once established: EISCONN.
 */
static void test_options_after_connect(const void *arg)
{
	const struct quic_transport_param tp_lsn = { .max_streams_uni = 5 };
	const struct quic_transport_param tp_acc = {
		.max_datagram_frame_size = 500, .max_streams_uni = 7,
	};
	struct quic_config conf = { .stream_data_nodelay = 1 }, got;
	struct late_cli c = { .fd = -1 };
	struct quic_transport_param p;
	struct hs_cfg hs = { .psk = 1 };
	struct addr a = mkaddr(AF_INET, NULL, 0);
	pthread_t t;
	int lfd, sfd;

	(void)arg;
	lfd = socket(AF_INET, SOCK_DGRAM, IPPROTO_QUIC);
	REQUIRE_SYS(lfd);
	set_timeouts(lfd, TMO_MS);
	REQUIRE_SYS(bind(lfd, &a.sa, a.len));
	REQUIRE_SYS(listen(lfd, 8));
	/* after listen(): for the connections accepted from now on */
	CHECK_SYS(set_tp(lfd, &tp_lsn));
	CHECK_SYS(conf_set(lfd, &conf));
	/* the peer's parameters mean nothing on a listener */
	p = (struct quic_transport_param){ .remote = 1 };
	CHECK_ERR(setsockopt(lfd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &p,
			     sizeof(p)), EINVAL);
	c.port = (uint16_t)local_port(lfd);
	pthread_create(&t, NULL, late_cli_main, &c);
	sfd = accept(lfd, NULL, NULL);
	if (!CHECK_SYS(sfd)) {
		pthread_join(t, NULL);
		goto out;
	}
	set_timeouts(sfd, TMO_MS);
	/* what the listener took after listen() */
	CHECK_SYS(conf_get(sfd, &got));
	CHECK_EQ(got.stream_data_nodelay, 1);
	CHECK_SYS(tp_get(sfd, 0, &p));
	CHECK_EQ(p.max_streams_uni, 5);
	/* the accepted socket, before its handshake */
	CHECK_SYS(set_tp(sfd, &tp_acc));
	CHECK_EQ(handshake(sfd, 1, &hs, NULL), 0);
	pthread_join(t, NULL);
	CHECK_EQ(c.ret, 0);
	CHECK_EQ(c.set_tp, 0);
	CHECK_EQ(c.set_remote, 0);
	CHECK_EQ(c.set_conf, 0);
	if (c.ret)
		goto out2;

	/* what each told the other */
	CHECK_SYS(tp_get(sfd, 1, &p));
	tap_diag("the server sees the client's max_streams_bidi %u, max_datagram_frame_size %u",
		 p.max_streams_bidi, p.max_datagram_frame_size);
	CHECK_EQ(p.max_streams_bidi, 3);
	CHECK_EQ(p.max_datagram_frame_size, 1000);
	CHECK_SYS(tp_get(c.fd, 1, &p));
	tap_diag("the client sees the server's max_streams_uni %u, max_datagram_frame_size %u (the remembered max_streams_bidi 50 replaced by %u)",
		 p.max_streams_uni, p.max_datagram_frame_size,
		 p.max_streams_bidi);
	CHECK_EQ(p.max_streams_uni, 7);
	CHECK_EQ(p.max_datagram_frame_size, 500);
	CHECK_EQ(p.max_streams_bidi, 100);
	CHECK_SYS(conf_get(c.fd, &got));
	CHECK_EQ(got.stream_data_nodelay, 1);
	/* and they work: the client's datagrams up to what the server
	 * allows
	 */
	CHECK_ERR(send(c.fd, &p, 498, MSG_QUIC_DATAGRAM), EMSGSIZE);
	CHECK_EQ(send(c.fd, &p, 10, MSG_QUIC_DATAGRAM), 10);

	/* established: too late */
	CHECK_ERR(set_tp(c.fd, &tp_cli_late), EISCONN);
	CHECK_ERR(set_tp(sfd, &tp_acc), EISCONN);
	CHECK_ERR(conf_set(c.fd, &conf), EISCONN);
	CHECK_ERR(conf_set(sfd, &conf), EISCONN);
out2:
	close(sfd);
out:
	if (c.fd >= 0)
		close(c.fd);
	close(lfd);
}

static int close_set(int fd, uint32_t errcode, uint8_t frame,
		     const char *phrase)
{
	struct quic_connection_close cc = { .errcode = errcode,
					    .frame = frame };

	strncpy((char *)cc.phrase, phrase, sizeof(cc.phrase) - 1);
	return setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_CLOSE, &cc,
			  sizeof(cc));
}

/*
 * QUIC_SOCKOPT_CONNECTION_CLOSE reads back what the peer would see: an
 * application close has no frame type (RFC 9000 section 19.19), so it
 * reads 0 whatever was set; a TLS alert (0x100-0x1ff), a transport
 * close, keeps it.  The peer reads the code and reason after the close.
 */
static void test_close_readback(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 } };
	struct quic_connection_close cc;
	socklen_t len = sizeof(cc);
	struct pair p;
	uint8_t b;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	CHECK_SYS(close_set(p.cfd, 0x128, 6, "alert"));
	CHECK_SYS(getsockopt(p.cfd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_CLOSE,
			     &cc, &len));
	CHECK_EQ(cc.errcode, 0x128);
	CHECK_EQ(cc.frame, 6);

	CHECK_SYS(close_set(p.cfd, 42, 6, "bye"));
	len = sizeof(cc);
	CHECK_SYS(getsockopt(p.cfd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_CLOSE,
			     &cc, &len));
	CHECK_EQ(cc.errcode, 42);
	CHECK_EQ(cc.frame, 0);
	CHECK(!strcmp((char *)cc.phrase, "bye"));

	close(p.cfd);
	p.cfd = -1;
	set_timeouts(p.sfd, 5000);
	CHECK_ERR(recv(p.sfd, &b, 1, 0), ECONNRESET);
	len = sizeof(cc);
	CHECK_SYS(getsockopt(p.sfd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_CLOSE,
			     &cc, &len));
	CHECK_EQ(cc.errcode, 42);
	CHECK_EQ(cc.frame, 0);
	CHECK(!strcmp((char *)cc.phrase, "bye"));
	pair_close(&p);
}

int main(int argc, char **argv)
{
	test_add("options_after_connect", "TRANSPORT_PARAM and CONFIG after connect(), after listen() and on the accepted socket before its handshake: each side reads what the other set; remote parameters settable while establishing, not on a listener; EISCONN once established",
		 test_options_after_connect, NULL, 60);
	test_add("close_readback", "CONNECTION_CLOSE reads back frame 0 for an application close, the frame type for a TLS alert; the peer reads code, frame 0 and reason",
		 test_close_readback, NULL, 60);
	return runner_main(argc, argv);
}
