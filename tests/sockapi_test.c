// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sockapi_test: socket semantics that programs written for the in-kernel
 * QUIC API rely on: transport parameters and the configuration set after
 * connect(), after listen() and on an accepted socket until they are used,
 * what QUIC_SOCKOPT_CONNECTION_CLOSE reads back, IPv4 peers of AF_INET6
 * sockets (sockaddr_in and IPv4-mapped addresses, a listener on :: taking
 * IPv4 clients unless IPV6_V6ONLY), a server restarted on its port at
 * once, disable_1rtt_encryption, and which stream a send that names
 * none goes on.
 *
 * Runs as root in a guest with quic.ko loaded; prints TAP (tests/tap.h),
 * each test isolated in a child of its own (tests/lib/runner.h).
 *
 * Usage: sockapi_test [-v] [-l] [-t GLOB]...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <net/ethernet.h>
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
	/* an initial RTT above 5 s is refused, 5 s is not */
	conf.initial_smoothed_rtt = 5000001;
	CHECK_ERR(conf_set(lfd, &conf), EINVAL);
	conf.initial_smoothed_rtt = 5000000;
	CHECK_SYS(conf_set(lfd, &conf));
	conf.initial_smoothed_rtt = 0;
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

/* a client of its own: socket, options, connect(), handshake */
struct dial {
	int		family;
	struct addr	to;
	int		v6only;
	int		tmo_ms;
	int		fd;
	int		connect_err;
	int		ret;
};

static void *dial_main(void *arg)
{
	struct hs_cfg hs = { .psk = 1 };
	struct dial *d = arg;

	d->fd = socket(d->family, SOCK_DGRAM, IPPROTO_QUIC);
	if (d->fd < 0) {
		d->ret = -errno;
		return NULL;
	}
	set_timeouts(d->fd, d->tmo_ms ? d->tmo_ms : TMO_MS);
	if (d->v6only)
		setsockopt(d->fd, IPPROTO_IPV6, IPV6_V6ONLY, &d->v6only,
			   sizeof(d->v6only));
	if (connect(d->fd, &d->to.sa, d->to.len)) {
		d->connect_err = errno;
		d->ret = -errno;
		return NULL;
	}
	d->ret = handshake(d->fd, 0, &hs, NULL);
	return NULL;
}

/* the address of @fd (@peer: its peer's) as text "[addr]:port" */
static const char *name_of(int fd, int peer, char *buf, size_t len,
			   int *family)
{
	struct sockaddr_storage ss = {};
	socklen_t l = sizeof(ss);
	char ip[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if ((peer ? getpeername : getsockname)(fd, (struct sockaddr *)&ss,
						&l)) {
		snprintf(buf, len, "(%s)", strerror(errno));
		*family = -1;
		return buf;
	}
	*family = ss.ss_family;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof(ip));
		port = ntohs(v4->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof(ip));
		port = ntohs(v6->sin6_port);
	}
	snprintf(buf, len, "[%s]:%d", ip, port);
	return buf;
}

/* one exchange each way on stream 0 of an established pair */
static bool exchange(int cfd, int sfd)
{
	char buf[16] = {};
	struct recv_wait w;

	if (quic_sendmsg(cfd, "ping", 4, 0, MSG_STREAM_NEW) != 4)
		return false;
	recv_wait(&w, sfd, 5000);
	if (w.ret != 4)
		return false;
	if (quic_sendmsg(sfd, "pong", 4, 0, MSG_STREAM_FIN) != 4)
		return false;
	return recv(cfd, buf, sizeof(buf), 0) == 4 && !strcmp(buf, "pong");
}

/* accept one connection on @lfd from @d (run in a thread); its fd */
static int accept_dial(int lfd, struct dial *d, pthread_t *t)
{
	struct hs_cfg hs = { .psk = 1 };
	int sfd;

	pthread_create(t, NULL, dial_main, d);
	sfd = accept(lfd, NULL, NULL);
	if (sfd < 0)
		return -1;
	set_timeouts(sfd, TMO_MS);
	if (handshake(sfd, 1, &hs, NULL)) {
		close(sfd);
		return -1;
	}
	return sfd;
}

/*
 * An AF_INET6 listener on :: takes IPv4 clients (an AF_INET one, an
 * AF_INET6 one connecting to a sockaddr_in, another to a v4-mapped
 * address); both ends show the IPv4 addresses as mapped ones, AF_INET
 * clients as IPv4; data flows both ways; no server sees its client
 * move (the mapped address is the one it had).
 */
static void test_v4_on_v6(const void *arg)
{
	struct addr any6 = mkaddr(AF_INET6, "::", 0);
	static const char * const how[] = {
		"AF_INET client, sockaddr_in",
		"AF_INET6 client, sockaddr_in",
		"AF_INET6 client, ::ffff:127.0.0.1",
	};
	char a1[80], a2[80], a3[80];
	int lfd, sfd, i, f1, f2, f3;
	long long m0 = quic_counter("Migrations");
	uint16_t port;
	pthread_t t;

	(void)arg;
	CHECK(m0 >= 0);
	lfd = socket(AF_INET6, SOCK_DGRAM, IPPROTO_QUIC);
	REQUIRE_SYS(lfd);
	set_timeouts(lfd, TMO_MS);
	REQUIRE_SYS(bind(lfd, &any6.sa, any6.len));
	REQUIRE_SYS(listen(lfd, 8));
	port = (uint16_t)local_port(lfd);
	for (i = 0; i < 3; i++) {
		struct dial d = { .family = i ? AF_INET6 : AF_INET };

		d.to = i < 2 ? mkaddr(AF_INET, "127.0.0.1", port) :
			       mkaddr(AF_INET6, "::ffff:127.0.0.1", port);
		sfd = accept_dial(lfd, &d, &t);
		pthread_join(t, NULL);
		if (!CHECK_SYS(sfd) || !CHECK_EQ(d.ret, 0)) {
			tap_diag("%s: connect %s, handshake %d", how[i],
				 strerror(d.connect_err), d.ret);
			if (d.fd >= 0)
				close(d.fd);
			continue;
		}
		name_of(sfd, 1, a1, sizeof(a1), &f1);
		name_of(sfd, 0, a2, sizeof(a2), &f2);
		name_of(d.fd, 1, a3, sizeof(a3), &f3);
		tap_diag("%s: the server sees %s from its %s; the client sees %s",
			 how[i], a1, a2, a3);
		CHECK_EQ(f1, AF_INET6);
		CHECK(!strncmp(a1, "[::ffff:127.0.0.1]:", 19));
		CHECK_EQ(f2, AF_INET6);
		CHECK(!strncmp(a2, "[::ffff:127.0.0.1]:", 19));
		CHECK_EQ(f3, d.family);
		CHECK(!strncmp(a3, i ? "[::ffff:127.0.0.1]:" : "[127.0.0.1]:",
			       i ? 19 : 12));
		CHECK(exchange(d.fd, sfd));
		close(d.fd);
		close(sfd);
	}
	close(lfd);
	/* the mapped addresses are the client's, not new ones */
	CHECK_EQ(quic_counter("Migrations") - m0, 0);
}

/*
 * IPV6_V6ONLY: such a socket refuses a sockaddr_in (EINVAL), and such a
 * listener does not hear IPv4 clients (their handshake times out); an
 * AF_INET6 listener bound to a sockaddr_in takes IPv4 clients only.
 */
static void test_v6only(const void *arg)
{
	struct addr any6 = mkaddr(AF_INET6, "::", 0), v4;
	char a1[80];
	int lfd, sfd, on = 1, f1;
	struct dial d = { .family = AF_INET, .tmo_ms = 1500 };
	pthread_t t;
	uint16_t port;

	(void)arg;
	lfd = socket(AF_INET6, SOCK_DGRAM, IPPROTO_QUIC);
	REQUIRE_SYS(lfd);
	CHECK_SYS(setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)));
	v4 = mkaddr(AF_INET, "127.0.0.1", 0);
	CHECK_ERR(bind(lfd, &v4.sa, v4.len), EINVAL);
	REQUIRE_SYS(bind(lfd, &any6.sa, any6.len));
	REQUIRE_SYS(listen(lfd, 8));
	port = (uint16_t)local_port(lfd);
	d.to = mkaddr(AF_INET, "127.0.0.1", port);
	pthread_create(&t, NULL, dial_main, &d);
	pthread_join(t, NULL);
	tap_diag("an IPv4 client of a V6ONLY listener: handshake %d (%s)",
		 d.ret, strerror(-d.ret));
	CHECK(d.ret != 0);
	if (d.fd >= 0)
		close(d.fd);
	close(lfd);

	/* a V6ONLY client: no IPv4 peer */
	d = (struct dial){ .family = AF_INET6, .v6only = 1 };
	d.to = mkaddr(AF_INET, "127.0.0.1", port);
	dial_main(&d);
	CHECK_EQ(d.connect_err, EINVAL);
	close(d.fd);

	/* AF_INET6 bound to a sockaddr_in: an IPv4 listener */
	lfd = socket(AF_INET6, SOCK_DGRAM, IPPROTO_QUIC);
	REQUIRE_SYS(lfd);
	set_timeouts(lfd, TMO_MS);
	REQUIRE_SYS(bind(lfd, &v4.sa, v4.len));
	REQUIRE_SYS(listen(lfd, 8));
	port = (uint16_t)local_port(lfd);
	d = (struct dial){ .family = AF_INET };
	d.to = mkaddr(AF_INET, "127.0.0.1", port);
	sfd = accept_dial(lfd, &d, &t);
	pthread_join(t, NULL);
	if (CHECK_SYS(sfd) && CHECK_EQ(d.ret, 0)) {
		name_of(sfd, 0, a1, sizeof(a1), &f1);
		tap_diag("bound to a sockaddr_in: the server's address %s", a1);
		CHECK(!strncmp(a1, "[::ffff:127.0.0.1]:", 19));
		CHECK(exchange(d.fd, sfd));
		close(sfd);
	}
	if (d.fd >= 0)
		close(d.fd);
	close(lfd);
}

/*
 * A server restarted on its port binds and listens at once, while the
 * connection its previous socket closed is still in its closing period
 * on the same UDP socket; a new client is served, and the old one still
 * learns of the close.
 */
static void test_restart(const void *arg)
{
	struct addr a = mkaddr(AF_INET, "127.0.0.1", 0);
	struct dial d1 = { .family = AF_INET }, d2 = { .family = AF_INET };
	int lfd, sfd, lfd2, sfd2;
	uint16_t port;
	pthread_t t;
	uint8_t b;
	double t0;

	(void)arg;
	lfd = socket(AF_INET, SOCK_DGRAM, IPPROTO_QUIC);
	REQUIRE_SYS(lfd);
	set_timeouts(lfd, TMO_MS);
	REQUIRE_SYS(bind(lfd, &a.sa, a.len));
	REQUIRE_SYS(listen(lfd, 8));
	port = (uint16_t)local_port(lfd);
	d1.to = mkaddr(AF_INET, "127.0.0.1", port);
	sfd = accept_dial(lfd, &d1, &t);
	pthread_join(t, NULL);
	REQUIRE(sfd >= 0 && d1.ret == 0);
	CHECK(exchange(d1.fd, sfd));

	/* the server goes away: its connection lingers, closing */
	close(sfd);
	close(lfd);
	t0 = now_s();
	a = mkaddr(AF_INET, "127.0.0.1", port);
	lfd2 = socket(AF_INET, SOCK_DGRAM, IPPROTO_QUIC);
	REQUIRE_SYS(lfd2);
	set_timeouts(lfd2, TMO_MS);
	CHECK_SYS(bind(lfd2, &a.sa, a.len));
	CHECK_SYS(listen(lfd2, 8));
	d2.to = d1.to;
	sfd2 = accept_dial(lfd2, &d2, &t);
	pthread_join(t, NULL);
	tap_diag("restarted on port %u and served a new client %.0f ms after the close",
		 port, (now_s() - t0) * 1e3);
	CHECK(sfd2 >= 0);
	CHECK_EQ(d2.ret, 0);
	if (sfd2 >= 0 && !d2.ret)
		CHECK(exchange(d2.fd, sfd2));
	/* the old client: the close reached it, or reaches it now */
	set_timeouts(d1.fd, 3000);
	CHECK_ERR(recv(d1.fd, &b, 1, 0), ECONNRESET);
	if (sfd2 >= 0)
		close(sfd2);
	close(d1.fd);
	if (d2.fd >= 0)
		close(d2.fd);
	close(lfd2);
}

/* a capture of lo: does any packet carry @marker? (a thread function) */
struct sniff {
	int		fd;
	const char	*marker;
	volatile int	stop;
	int		seen, packets;
};

static void *sniff_main(void *arg)
{
	struct sniff *n = arg;
	static uint8_t buf[70000];
	struct pollfd pf = { .fd = n->fd, .events = POLLIN };
	ssize_t r;

	while (!n->stop) {
		if (poll(&pf, 1, 100) != 1)
			continue;
		r = recv(n->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r <= 0)
			continue;
		n->packets++;
		if (memmem(buf, (size_t)r, n->marker, strlen(n->marker)))
			n->seen++;
	}
	return NULL;
}

/*
 * disable_1rtt_encryption: when both sides set it (a private transport
 * parameter each sends), 1-RTT packets go unprotected, so the bytes of a
 * stream are seen on the wire; when only one does, they are not.  Either
 * way the data arrives intact.  A capture of lo, in a network namespace
 * of the test's own, looks for the stream's marker.
 */
static void test_plain_1rtt(const void *arg)
{
	static const struct quic_transport_param tp_plain = {
		.disable_1rtt_encryption = 1,
	};
	static const char marker[] = "plain-1rtt-marker-5f3a9c";
	const int both = *(const int *)arg;
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 },
			    .tp_c = &tp_plain,
			    .tp_s = both ? &tp_plain : NULL };
	struct sniff n = { .marker = marker };
	struct sockaddr_ll ll = { .sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_ALL) };
	struct quic_transport_param p;
	char buf[4096] = {};
	struct recv_wait w;
	struct pair p0;
	pthread_t t;
	size_t got = 0;
	ssize_t r;
	int i;

	REQUIRE_SYS(unshare(CLONE_NEWNET));
	REQUIRE(system("/sbin/ip link set lo up") == 0);
	n.fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ALL));
	REQUIRE_SYS(n.fd);
	ll.sll_ifindex = (int)if_nametoindex("lo");
	REQUIRE_SYS(bind(n.fd, (struct sockaddr *)&ll, sizeof(ll)));
	pthread_create(&t, NULL, sniff_main, &n);

	REQUIRE_PAIR(&p0, &cfg);
	CHECK_SYS(tp_get(p0.sfd, 1, &p));
	CHECK_EQ(p.disable_1rtt_encryption, 1);
	CHECK_SYS(tp_get(p0.cfd, 1, &p));
	CHECK_EQ(p.disable_1rtt_encryption, both);
	for (i = 0; i < 16; i++)
		memcpy(buf + i * 256, marker, sizeof(marker));
	CHECK_EQ(quic_sendmsg(p0.cfd, buf, sizeof(buf), 0,
			      MSG_STREAM_NEW | MSG_STREAM_FIN), sizeof(buf));
	while (got < sizeof(buf)) {
		r = recv(p0.sfd, buf, sizeof(buf), 0);
		if (!CHECK(r > 0))
			break;
		got += (size_t)r;
	}
	CHECK_EQ(got, sizeof(buf));
	CHECK(!memcmp(buf, marker, sizeof(marker)));
	recv_wait(&w, p0.sfd, 100);	/* let the last packets pass */
	n.stop = 1;
	pthread_join(t, NULL);
	tap_diag("%s: %d packets captured on lo, %d with the stream's bytes in clear",
		 both ? "both sides ask" : "the client alone asks",
		 n.packets, n.seen);
	CHECK(n.packets > 4);
	if (both)
		CHECK(n.seen > 0);
	else
		CHECK_EQ(n.seen, 0);
	close(n.fd);
	pair_close(&p0);
}

/* sendmsg() of one byte with a QUIC_STREAM_INFO cmsg of @sid, @flags */
static ssize_t send_cmsg(int fd, const char *c, int64_t sid, uint32_t flags)
{
	char ctl[CMSG_SPACE(sizeof(struct quic_stream_info))] = {};
	struct quic_stream_info si = { .stream_id = sid,
				       .stream_flags = flags };
	struct iovec iov = { .iov_base = (void *)c, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	cm->cmsg_level = SOL_QUIC;
	cm->cmsg_type = QUIC_STREAM_INFO;
	cm->cmsg_len = CMSG_LEN(sizeof(si));
	memcpy(CMSG_DATA(cm), &si, sizeof(si));
	return sendmsg(fd, &m, 0);
}

/* the next message on @fd is byte @c on stream @sid, with FIN iff @fin */
static bool got_on(int fd, char c, int64_t sid, bool fin, const char *what)
{
	uint32_t flags = 0;
	int64_t got_sid = -1;
	char buf[8];
	ssize_t n;

	n = quic_recvmsg(fd, buf, sizeof(buf), &got_sid, &flags);
	if (!CHECK_EQ(n, 1))
		return false;
	tap_diag("%s: '%c' on stream %lld%s", what, buf[0],
		 (long long)got_sid, flags & MSG_STREAM_FIN ? ", FIN" : "");
	return CHECK_EQ(buf[0], c) && CHECK_EQ(got_sid, sid) &&
	       CHECK_EQ(!!(flags & MSG_STREAM_FIN), fin);
}

/*
 * A send that names no stream (send(), or a cmsg with stream ID -1) goes
 * on the most recently opened stream while its sending part is open; with
 * MSG_STREAM_NEW, or when there is none, on our next stream of the type
 * MSG_STREAM_UNI says.  Refused: past the peer's MAX_STREAMS with
 * MSG_STREAM_DONTWAIT or MSG_DONTWAIT (EAGAIN, at once), a stream ID
 * below -1 (EINVAL).
 */
static void test_send_default(const void *arg)
{
	const struct quic_transport_param tp_s = { .max_streams_bidi = 3 };
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 },
			    .tp_s = &tp_s };
	struct quic_stream_info si = { .stream_id = -1 };
	socklen_t len = sizeof(si);
	struct pair p;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	CHECK_EQ(send(p.cfd, "a", 1, 0), 1);
	got_on(p.sfd, 'a', 0, false, "send(), no stream opened yet");
	CHECK_EQ(send(p.cfd, "b", 1, 0), 1);
	got_on(p.sfd, 'b', 0, false, "send() again");
	CHECK_EQ(send(p.cfd, "c", 1, MSG_STREAM_NEW), 1);
	got_on(p.sfd, 'c', 4, false, "send(MSG_STREAM_NEW)");
	CHECK_EQ(send(p.cfd, "d", 1, MSG_STREAM_NEW | MSG_STREAM_UNI), 1);
	got_on(p.sfd, 'd', 2, false, "send(NEW | UNI)");
	CHECK_EQ(send(p.cfd, "e", 1, MSG_STREAM_FIN), 1);
	got_on(p.sfd, 'e', 2, true, "send(FIN)");
	CHECK_EQ(send(p.cfd, "f", 1, 0), 1);
	got_on(p.sfd, 'f', 8, false, "send() after the FIN");
	CHECK_EQ(send_cmsg(p.cfd, "g", -1, MSG_STREAM_FIN), 1);
	got_on(p.sfd, 'g', 8, true, "cmsg stream -1, FIN");
	CHECK_EQ(send_cmsg(p.cfd, "h", -1, MSG_STREAM_NEW | MSG_STREAM_UNI), 1);
	got_on(p.sfd, 'h', 6, false, "cmsg stream -1, NEW | UNI");
	/*
	 * Streams 0, 4 and 8 are the server's limit of 3.  No send timeout:
	 * the EAGAIN must not be a wait that ran out.  MSG_STREAM_DONTWAIT
	 * goes in the cmsg: it is MSG_WAITFORONE, which kernels from 6.5
	 * on strip from the flags of send() and sendmsg() (as
	 * MSG_SENDPAGE_NOPOLICY) before a protocol sees them.
	 */
	set_timeouts(p.cfd, 0);
	CHECK_ERR(send_cmsg(p.cfd, "i", -1, MSG_STREAM_NEW |
			    MSG_STREAM_DONTWAIT), EAGAIN);
	CHECK_ERR(send(p.cfd, "i", 1, MSG_STREAM_NEW | MSG_DONTWAIT), EAGAIN);
	CHECK_ERR(send_cmsg(p.cfd, "i", -2, MSG_STREAM_NEW), EINVAL);
	/* the stream that was most recent is still the one */
	CHECK_EQ(send(p.cfd, "j", 1, MSG_STREAM_FIN), 1);
	got_on(p.sfd, 'j', 6, true, "send(FIN) after the refusals");

	/* the server's own streams; QUIC_SOCKOPT_STREAM_OPEN opens one too */
	CHECK_EQ(send(p.sfd, "k", 1, 0), 1);
	got_on(p.cfd, 'k', 1, false, "server send()");
	CHECK_SYS(getsockopt(p.sfd, SOL_QUIC, QUIC_SOCKOPT_STREAM_OPEN, &si,
			     &len));
	CHECK_EQ(si.stream_id, 5);
	CHECK_EQ(write(p.sfd, "l", 1), 1);
	got_on(p.cfd, 'l', 5, false, "server write() after STREAM_OPEN");
	pair_close(&p);
}

static const int plain_both = 1, plain_one;

int main(int argc, char **argv)
{
	test_add("options_after_connect", "TRANSPORT_PARAM and CONFIG after connect(), after listen() and on the accepted socket before its handshake: each side reads what the other set; remote parameters settable while establishing, not on a listener; initial_smoothed_rtt above 5 s refused; EISCONN once established",
		 test_options_after_connect, NULL, 60);
	test_add("close_readback", "CONNECTION_CLOSE reads back frame 0 for an application close, the frame type for a TLS alert; the peer reads code, frame 0 and reason",
		 test_close_readback, NULL, 60);
	test_add("v4_on_v6", "an AF_INET6 listener on :: takes IPv4 clients (AF_INET, AF_INET6 with sockaddr_in, with a v4-mapped address): mapped addresses on the AF_INET6 side, data both ways, Migrations unmoved",
		 test_v4_on_v6, NULL, 60);
	test_add("v6only", "IPV6_V6ONLY: sockaddr_in refused (EINVAL), IPv4 clients not heard; AF_INET6 bound to a sockaddr_in takes IPv4 clients",
		 test_v6only, NULL, 60);
	test_add("restart", "a server restarted on its port binds and listens at once while its old connection is closing on the same UDP socket; a new client is served; the old one gets ECONNRESET",
		 test_restart, NULL, 60);
	test_add("send_default", "send(), write() and a cmsg with stream -1: the most recently opened stream while it is open for sending, else (or with MSG_STREAM_NEW) our next one of the type MSG_STREAM_UNI gives; STREAM_OPEN counts; EAGAIN at the peer's MAX_STREAMS, EINVAL below -1",
		 test_send_default, NULL, 60);
	test_add("plain_1rtt_both", "disable_1rtt_encryption on both sides: negotiated, 1-RTT packets carry the stream's bytes in clear (seen on lo), data intact",
		 test_plain_1rtt, &plain_both, 60);
	test_add("plain_1rtt_one", "disable_1rtt_encryption on the client only: not negotiated, nothing in clear, data intact",
		 test_plain_1rtt, &plain_one, 60);
	return runner_main(argc, argv);
}
