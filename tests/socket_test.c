// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * socket_test: the socket layer of quic.ko without a connection: socket(),
 * bind() and the shared UDP tunnel sockets, getsockname()/getpeername(),
 * close(), the SOL_QUIC options that exist, options passed through to IP,
 * what the calls that need a connection return today, and the module
 * reference a socket holds.
 *
 * Runs as root in a guest with quic.ko loaded; prints TAP (tests/tap.h).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netinet/quic.h>

#include "tap.h"
#include "lib/net.h"
#include "lib/util.h"

/* ------------------------------------------------------------ helpers */

static const char *any_ip(int family)
{
	return family == AF_INET ? "0.0.0.0" : "::";
}

static const char *lo_ip(int family)
{
	return family == AF_INET ? "127.0.0.1" : "::1";
}

static int qsock(int family, int type)
{
	return socket(family, type, IPPROTO_QUIC);
}

static int qbind(int fd, const struct addr *a)
{
	return bind(fd, &a->sa, a->len);
}

/* Entries of /proc/net/@file (udp, udp6, raw, ...) with local port @port
 * (for raw sockets: the protocol); kernel sockets included.  -1 when the
 * file can't be read.
 */
static int proc_net_count(const char *file, int port)
{
	char path[64], line[512], addr[64];
	unsigned int p;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/net/%s", file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %*d: %63[0-9A-Fa-f]:%x", addr, &p) == 2 &&
		    (int)p == port)
			n++;
	fclose(f);
	return n;
}

/* UDP sockets of @family on local @port, the QUIC tunnel sockets included */
static int udp_count(int family, int port)
{
	return proc_net_count(family == AF_INET ? "udp" : "udp6", port);
}

/* A port no UDP socket of @family holds on @ip now, found by letting a
 * plain UDP socket pick one (-1 on failure).  @below: want one under it
 * (a privileged port), searched downwards; 0 for any.
 */
static int free_udp_port(int family, const char *ip, int below)
{
	int port = below ? below - 1 : 0;

	for (; port >= 0; port--) {
		struct addr a = mkaddr(family, ip, port);
		int fd = socket(family, SOCK_DGRAM, IPPROTO_UDP);
		int got = -1;

		if (fd < 0)
			return -1;
		if (!qbind(fd, &a))
			got = local_port(fd);
		close(fd);
		if (got > 0)
			return got;
		if (!below)
			return -1;
	}
	return -1;
}

static int read_ints(const char *path, int *a, int *b)
{
	FILE *f = fopen(path, "r");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "%d %d", a, b);
	fclose(f);
	return n;
}

static int getopt_int(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, level, name, &v, &len))
		return -1;
	return v;
}

static void close_all(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* ----------------------------------------------------------- socket() */

static void check_socket(int family, int type)
{
	int fd = qsock(family, type);

	REQUIRE_SYS(fd);
	CHECK_EQ(getopt_int(fd, SOL_SOCKET, SO_PROTOCOL), IPPROTO_QUIC);
	CHECK_EQ(getopt_int(fd, SOL_SOCKET, SO_TYPE), type);
	CHECK_EQ(getopt_int(fd, SOL_SOCKET, SO_DOMAIN), family);
	close(fd);
}

static void test_socket_inet_dgram(void) { check_socket(AF_INET, SOCK_DGRAM); }
static void test_socket_inet_stream(void) { check_socket(AF_INET, SOCK_STREAM); }
static void test_socket_inet6_dgram(void) { check_socket(AF_INET6, SOCK_DGRAM); }
static void test_socket_inet6_stream(void) { check_socket(AF_INET6, SOCK_STREAM); }

static void test_socket_seqpacket(void)
{
	CHECK_ERR(qsock(AF_INET, SOCK_SEQPACKET), ESOCKTNOSUPPORT);
	CHECK_ERR(qsock(AF_INET6, SOCK_SEQPACKET), ESOCKTNOSUPPORT);
}

/*
 * SOCK_RAW takes any protocol number below IPPROTO_MAX (263): the kernel
 * makes a raw IP socket for protocol 261 (listed in /proc/net/raw{,6}),
 * which QUIC never sees: SOL_QUIC is an unknown level to it (IPv4 says
 * EOPNOTSUPP, IPv6 ENOPROTOOPT).
 */
static void check_socket_raw(int family, const char *raw, int err)
{
	struct quic_transport_param p;
	socklen_t len = sizeof(p);
	int before = proc_net_count(raw, IPPROTO_QUIC);
	int fd = qsock(family, SOCK_RAW);

	REQUIRE_SYS(fd);
	CHECK_EQ(proc_net_count(raw, IPPROTO_QUIC), before + 1);
	CHECK_ERR(getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &p,
			     &len), err);
	close(fd);
}

static void test_socket_raw4(void) { check_socket_raw(AF_INET, "raw", EOPNOTSUPP); }
static void test_socket_raw6(void) { check_socket_raw(AF_INET6, "raw6", ENOPROTOOPT); }

/* ------------------------------------------------------------- bind() */

/* bind @ip:0 on a new socket: getsockname() gives @ip and a new port. */
static void check_bind(int family, const char *ip)
{
	struct addr a = mkaddr(family, ip, 0), got;
	int fd = qsock(family, SOCK_DGRAM);

	REQUIRE_SYS(fd);
	CHECK_SYS(qbind(fd, &a));
	memset(&got, 0, sizeof(got));
	got.len = sizeof(got.v6);
	CHECK_SYS(getsockname(fd, &got.sa, &got.len));
	CHECK_EQ(got.len, a.len);
	CHECK_EQ(got.sa.sa_family, family);
	if (family == AF_INET) {
		CHECK_EQ(got.v4.sin_addr.s_addr, a.v4.sin_addr.s_addr);
		CHECK(got.v4.sin_port != 0);
	} else {
		CHECK(!memcmp(&got.v6.sin6_addr, &a.v6.sin6_addr, 16));
		CHECK(got.v6.sin6_port != 0);
		CHECK_EQ(got.v6.sin6_scope_id, 0);
	}
	CHECK_EQ(udp_count(family, local_port(fd)), 1);
	close(fd);
}

static void test_bind_any4(void) { check_bind(AF_INET, any_ip(AF_INET)); }
static void test_bind_any6(void) { check_bind(AF_INET6, any_ip(AF_INET6)); }
static void test_bind_lo4(void) { check_bind(AF_INET, lo_ip(AF_INET)); }
static void test_bind_lo6(void) { check_bind(AF_INET6, lo_ip(AF_INET6)); }

static void test_bind_explicit_port(void)
{
	int port = free_udp_port(AF_INET, "127.0.0.1", 0);
	struct addr a = mkaddr(AF_INET, "127.0.0.1", port);
	int fd = qsock(AF_INET, SOCK_STREAM);

	REQUIRE(port > 0);
	REQUIRE_SYS(fd);
	CHECK_SYS(qbind(fd, &a));
	CHECK_EQ(local_port(fd), port);
	CHECK_EQ(udp_count(AF_INET, port), 1);
	close(fd);
}

static void test_bind_ephemeral_range(void)
{
	struct addr a = mkaddr(AF_INET, "127.0.0.1", 0);
	int lo = 0, hi = 0, port;
	int fd = qsock(AF_INET, SOCK_DGRAM);

	REQUIRE_SYS(fd);
	REQUIRE_EQ(read_ints("/proc/sys/net/ipv4/ip_local_port_range", &lo, &hi), 2);
	CHECK_SYS(qbind(fd, &a));
	port = local_port(fd);
	if (!CHECK(port >= lo && port <= hi))
		tap_diag("port %d, ip_local_port_range %d %d", port, lo, hi);
	close(fd);
}

static void test_bind_port0_distinct(void)
{
	struct addr a = mkaddr(AF_INET, "127.0.0.1", 0);
	int fd[2] = { qsock(AF_INET, SOCK_DGRAM), qsock(AF_INET, SOCK_DGRAM) };

	if (CHECK_SYS(fd[0]) && CHECK_SYS(fd[1]) &&
	    CHECK_SYS(qbind(fd[0], &a)) && CHECK_SYS(qbind(fd[1], &a))) {
		CHECK(local_port(fd[0]) > 0);
		CHECK(local_port(fd[0]) != local_port(fd[1]));
	}
	close_all(fd, 2);
}

/* The port a socket got for port 0 is shared like any other. */
static void test_bind_port0_then_shared(void)
{
	struct addr a = mkaddr(AF_INET6, "::1", 0);
	int fd[2] = { qsock(AF_INET6, SOCK_DGRAM), qsock(AF_INET6, SOCK_STREAM) };
	int port;

	if (CHECK_SYS(fd[0]) && CHECK_SYS(fd[1]) &&
	    CHECK_SYS(qbind(fd[0], &a))) {
		port = local_port(fd[0]);
		a = mkaddr(AF_INET6, "::1", port);
		CHECK_SYS(qbind(fd[1], &a));
		CHECK_EQ(local_port(fd[1]), port);
		CHECK_EQ(udp_count(AF_INET6, port), 1);
	}
	close_all(fd, 2);
}

static void test_bind_twice(void)
{
	struct addr a = mkaddr(AF_INET, "127.0.0.1", 0);
	struct addr b = mkaddr(AF_INET, "0.0.0.0", 0);
	int fd = qsock(AF_INET, SOCK_DGRAM), port;

	REQUIRE_SYS(fd);
	REQUIRE_SYS(qbind(fd, &a));
	port = local_port(fd);
	CHECK_ERR(qbind(fd, &a), EINVAL);
	CHECK_ERR(qbind(fd, &b), EINVAL);
	CHECK_EQ(local_port(fd), port);
	close(fd);
}

/* Three QUIC sockets, DGRAM, STREAM, DGRAM, bound to @ip:@port of
 * @family into @fd; false when that failed.
 */
static bool bind_sharers(int family, const char *ip, int port, int fd[3])
{
	struct addr a = mkaddr(family, ip, port);

	for (int i = 0; i < 3; i++) {
		fd[i] = qsock(family, i == 1 ? SOCK_STREAM : SOCK_DGRAM);
		if (!CHECK_SYS(fd[i]) || !CHECK_SYS(qbind(fd[i], &a)) ||
		    !CHECK_EQ(local_port(fd[i]), port))
			return false;
	}
	return true;
}

/* They share one kernel UDP socket, which goes when they are closed. */
static void check_shared_port(int family)
{
	const char *ip = lo_ip(family);
	int port = free_udp_port(family, ip, 0), udp;
	struct addr a = mkaddr(family, ip, port);
	int fd[3] = { -1, -1, -1 };

	REQUIRE(port > 0);
	if (bind_sharers(family, ip, port, fd)) {
		CHECK_EQ(udp_count(family, port), 1);
		close_all(fd, 3);
		fd[0] = fd[1] = fd[2] = -1;
		CHECK_EQ(udp_count(family, port), 0);
		/* the port is free for anyone again */
		udp = socket(family, SOCK_DGRAM, IPPROTO_UDP);
		if (CHECK_SYS(udp))
			CHECK_SYS(qbind(udp, &a));
		close(udp);
	}
	close_all(fd, 3);
}

static void test_bind_shared4(void) { check_shared_port(AF_INET); }
static void test_bind_shared6(void) { check_shared_port(AF_INET6); }

static void test_bind_close_first_sharer(void)
{
	int port = free_udp_port(AF_INET, "127.0.0.1", 0);
	int fd[3] = { -1, -1, -1 };

	REQUIRE(port > 0);
	if (bind_sharers(AF_INET, "127.0.0.1", port, fd)) {
		for (int i = 0; i < 3; i++) {
			close(fd[i]);
			fd[i] = -1;
			CHECK_EQ(udp_count(AF_INET, port), i < 2 ? 1 : 0);
			if (i < 2)
				CHECK_EQ(local_port(fd[2]), port);
		}
	}
	close_all(fd, 3);
}

static void test_bind_port_held_by_udp(void)
{
	int family, udp, fd;

	for (family = AF_INET; family <= AF_INET6; family += AF_INET6 - AF_INET) {
		struct addr a = mkaddr(family, lo_ip(family), 0);

		udp = socket(family, SOCK_DGRAM, IPPROTO_UDP);
		fd = qsock(family, SOCK_DGRAM);
		if (CHECK_SYS(udp) && CHECK_SYS(fd) && CHECK_SYS(qbind(udp, &a))) {
			a = mkaddr(family, lo_ip(family), local_port(udp));
			CHECK_ERR(qbind(fd, &a), EADDRINUSE);
			CHECK_EQ(udp_count(family, local_port(udp)), 1);
			/* the failed bind left the socket unbound... */
			CHECK_EQ(local_port(fd), 0);
			/* ...and free to bind elsewhere */
			a = mkaddr(family, lo_ip(family), 0);
			CHECK_SYS(qbind(fd, &a));
			CHECK(local_port(fd) > 0);
		}
		close(fd);
		close(udp);
	}
}

/* A bind() that must fail, on a new AF_* SOCK_DGRAM socket. */
struct bad_bind {
	int family;		/* the socket's */
	int sa_family;		/* what the sockaddr says */
	const char *ip;		/* in the socket's family */
	socklen_t len;		/* 0: the whole sockaddr */
	uint32_t scope_id;
	int v6only;
	int err;
};

static void check_bad_binds(const struct bad_bind *b, int n)
{
	for (int i = 0; i < n; i++, b++) {
		struct addr a = mkaddr(b->family, b->ip, 0);
		int fd = qsock(b->family, SOCK_DGRAM), on = 1;

		if (!CHECK_SYS(fd))
			continue;
		a.sa.sa_family = b->sa_family;
		if (b->family == AF_INET6)
			a.v6.sin6_scope_id = b->scope_id;
		if (b->v6only)
			CHECK_SYS(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
					     sizeof(on)));
		if (!CHECK_ERR(bind(fd, &a.sa, b->len ?: a.len), b->err))
			tap_diag("case %d: family %d, sa_family %d, %s, len %u",
				 i, b->family, b->sa_family, b->ip, b->len);
		CHECK_EQ(local_port(fd), 0);	/* still unbound */
		close(fd);
	}
}

#define BAD_BINDS(name, ...)						\
static void name(void)							\
{									\
	static const struct bad_bind c[] = { __VA_ARGS__ };		\
									\
	check_bad_binds(c, TAP_COUNT(c));				\
}

/* 24, SIN6_LEN_RFC2133 (no scope id), is the shortest IPv6 one */
BAD_BINDS(test_bind_short_addrlen,
	{ AF_INET, AF_INET, "127.0.0.1", 15, 0, 0, EINVAL },
	{ AF_INET6, AF_INET6, "::1", 23, 0, 0, EINVAL },
	{ AF_INET6, AF_INET6, "::1", 16, 0, 0, EINVAL })
BAD_BINDS(test_bind_wrong_family,
	{ AF_INET, AF_INET6, "127.0.0.1", 28, 0, 0, EAFNOSUPPORT },
	{ AF_INET, AF_UNIX, "127.0.0.1", 0, 0, 0, EAFNOSUPPORT },
	{ AF_INET6, AF_UNIX, "::1", 0, 0, 0, EAFNOSUPPORT })
BAD_BINDS(test_bind_multicast,
	{ AF_INET, AF_INET, "224.0.0.1", 0, 0, 0, EADDRNOTAVAIL },
	{ AF_INET, AF_INET, "255.255.255.255", 0, 0, 0, EADDRNOTAVAIL },
	{ AF_INET6, AF_INET6, "ff02::1", 0, 1, 0, EADDRNOTAVAIL })
BAD_BINDS(test_bind_nonlocal,
	{ AF_INET, AF_INET, "192.0.2.1", 0, 0, 0, EADDRNOTAVAIL },
	{ AF_INET6, AF_INET6, "2001:db8::1", 0, 0, 0, EADDRNOTAVAIL })
BAD_BINDS(test_bind_linklocal_no_scope,
	{ AF_INET6, AF_INET6, "fe80::1", 0, 0, 0, EINVAL },
	{ AF_INET6, AF_INET6, "fe80::1", 24, 0, 0, EINVAL })
BAD_BINDS(test_bind_v4mapped_v6only,
	{ AF_INET6, AF_INET6, "::ffff:127.0.0.1", 0, 0, 1, EINVAL })

/* A free port below ip_unprivileged_port_start; 0 when there is none
 * (the test is skipped), -1 on error.
 */
static int privileged_port(void)
{
	int start = 0, dummy;

	if (!CHECK(read_ints("/proc/sys/net/ipv4/ip_unprivileged_port_start",
			     &start, &dummy) >= 1))
		return -1;
	if (start <= 1) {
		tap_skip("no privileged ports (ip_unprivileged_port_start <= 1)");
		return 0;
	}
	return free_udp_port(AF_INET, "127.0.0.1", start);
}

static void test_bind_privileged_root(void)
{
	int port = privileged_port(), fd;
	struct addr a = mkaddr(AF_INET, "127.0.0.1", port);

	if (!port)
		return;
	REQUIRE(port > 0);
	fd = qsock(AF_INET, SOCK_DGRAM);
	REQUIRE_SYS(fd);
	CHECK_SYS(qbind(fd, &a));
	CHECK_EQ(local_port(fd), port);
	close(fd);
}

/* A child that became nobody (no capabilities) binds; it exits with 0 when
 * bind() failed with EACCES, else with the errno seen (255: it worked).
 */
static void test_bind_privileged_unprivileged(void)
{
	int port = privileged_port(), status = -1, fd;
	struct addr a = mkaddr(AF_INET, "127.0.0.1", port);
	pid_t pid;

	if (!port)
		return;
	REQUIRE(port > 0);
	fflush(stdout);
	pid = fork();
	REQUIRE_SYS(pid);
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(254);
		fd = qsock(AF_INET, SOCK_DGRAM);
		if (fd < 0)
			_exit(253);
		_exit(!qbind(fd, &a) ? 255 : errno == EACCES ? 0 : errno);
	}
	CHECK_SYS(waitpid(pid, &status, 0));
	if (!CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		tap_diag("child status %#x (exit %d: 255 bind worked, 254 "
			 "setuid failed, 253 socket failed, else the errno)",
			 status, WEXITSTATUS(status));
	CHECK_EQ(udp_count(AF_INET, port), 0);
}

/* ------------------------------------------- getsockname, getpeername */

static void check_name_unbound(int family)
{
	struct addr got, zero = mkaddr(family, any_ip(family), 0);
	int fd = qsock(family, SOCK_DGRAM);

	REQUIRE_SYS(fd);
	memset(&got, 0xa5, sizeof(got));
	got.len = sizeof(got.v6);
	CHECK_SYS(getsockname(fd, &got.sa, &got.len));
	CHECK_EQ(got.len, zero.len);
	CHECK(!memcmp(&got.sa, &zero.sa, zero.len));
	close(fd);
}

static void test_getsockname_unbound4(void) { check_name_unbound(AF_INET); }
static void test_getsockname_unbound6(void) { check_name_unbound(AF_INET6); }

static void test_getpeername(void)
{
	struct addr a = mkaddr(AF_INET6, "::1", 0), got;
	int fd4 = qsock(AF_INET, SOCK_DGRAM), fd6 = qsock(AF_INET6, SOCK_STREAM);

	got.len = sizeof(got.v6);
	if (CHECK_SYS(fd4))
		CHECK_ERR(getpeername(fd4, &got.sa, &got.len), ENOTCONN);
	if (CHECK_SYS(fd6)) {
		CHECK_SYS(qbind(fd6, &a));
		CHECK_ERR(getpeername(fd6, &got.sa, &got.len), ENOTCONN);
	}
	close(fd4);
	close(fd6);
}

/* ---------------------------------------------------- SOL_QUIC options */

static int qset(int fd, int name, const void *val, socklen_t len)
{
	return setsockopt(fd, SOL_QUIC, name, val, len);
}

static int qget(int fd, int name, void *val, socklen_t *len)
{
	return getsockopt(fd, SOL_QUIC, name, val, len);
}

static void test_opt_unknown(void)
{
	static const int names[] = { 99, -1, QUIC_SOCKOPT_TRANSPORT_PARAM_EXT + 1 };
	char buf[64] = "";
	socklen_t len;
	int fd = qsock(AF_INET, SOCK_DGRAM);

	REQUIRE_SYS(fd);
	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		len = sizeof(buf);
		if (!CHECK_ERR(qset(fd, names[i], buf, sizeof(buf)), ENOPROTOOPT) |
		    !CHECK_ERR(qget(fd, names[i], buf, &len), ENOPROTOOPT))
			tap_diag("optname %d", names[i]);
	}
	close(fd);
}

/* set with optlen @need - 1 and get with a @need - 1 buffer: EINVAL */
static void check_short_optlen(int name, socklen_t need)
{
	char buf[128] = "";
	socklen_t len = need - 1;
	int fd = qsock(AF_INET, SOCK_DGRAM);

	REQUIRE_SYS(fd);
	buf[0] = 1;	/* an event type that exists, for EVENT */
	CHECK_ERR(qset(fd, name, buf, need - 1), EINVAL);
	CHECK_ERR(qset(fd, name, buf, 0), EINVAL);
	CHECK_ERR(qget(fd, name, buf, &len), EINVAL);
	len = 0;
	CHECK_ERR(qget(fd, name, buf, &len), EINVAL);
	len = (socklen_t)-1;	/* a negative int to the kernel */
	CHECK_ERR(qget(fd, name, buf, &len), EINVAL);
	close(fd);
}

static void test_opt_short_event(void)
{
	check_short_optlen(QUIC_SOCKOPT_EVENT, sizeof(struct quic_event_option));
}

static void test_opt_short_transport_param(void)
{
	check_short_optlen(QUIC_SOCKOPT_TRANSPORT_PARAM,
			   sizeof(struct quic_transport_param));
}

static void test_opt_short_config(void)
{
	check_short_optlen(QUIC_SOCKOPT_CONFIG,
			   offsetof(struct quic_config, keepalive_probe_interval));
}

static void test_opt_config_old_len(void)
{
	const socklen_t old = offsetof(struct quic_config, keepalive_probe_interval);
	struct quic_config c = { .version = QUIC_VERSION_V2 }, got;
	socklen_t len = old;
	int fd = qsock(AF_INET, SOCK_DGRAM);

	REQUIRE_SYS(fd);
	CHECK_SYS(qset(fd, QUIC_SOCKOPT_CONFIG, &c, old));
	memset(&got, 0xa5, sizeof(got));
	CHECK_SYS(qget(fd, QUIC_SOCKOPT_CONFIG, &got, &len));
	CHECK_EQ(len, old);
	CHECK_EQ(got.version, QUIC_VERSION_V2);
	CHECK_EQ(got.keepalive_probe_interval, 0xa5a5a5a5);	/* untouched */
	close(fd);
}

static int get_tp(int fd, struct quic_transport_param *p)
{
	socklen_t len = sizeof(*p);

	memset(p, 0, sizeof(*p));
	if (qget(fd, QUIC_SOCKOPT_TRANSPORT_PARAM, p, &len))
		return -1;
	return len;
}

static void check_tp_defaults(const struct quic_transport_param *p)
{
	CHECK_EQ(p->remote, 0);
	CHECK_EQ(p->disable_active_migration, 0);
	CHECK_EQ(p->grease_quic_bit, 0);
	CHECK_EQ(p->stateless_reset, 0);
	CHECK_EQ(p->disable_1rtt_encryption, 0);
	CHECK_EQ(p->disable_compatible_version, 0);
	CHECK_EQ(p->active_connection_id_limit, 7);
	CHECK_EQ(p->ack_delay_exponent, 3);
	CHECK_EQ(p->max_datagram_frame_size, 0);
	CHECK_EQ(p->max_udp_payload_size, 65527);
	CHECK_EQ(p->max_idle_timeout, 30000000);
	CHECK_EQ(p->max_ack_delay, 25000);
	CHECK_EQ(p->max_streams_bidi, 100);
	CHECK_EQ(p->max_streams_uni, 100);
	CHECK_EQ(p->max_data, 2097152);
	CHECK_EQ(p->max_stream_data_bidi_local, 262144);
	CHECK_EQ(p->max_stream_data_bidi_remote, 262144);
	CHECK_EQ(p->max_stream_data_uni, 262144);
}

static void test_opt_tp_defaults(void)
{
	struct quic_transport_param p;
	int fd = qsock(AF_INET6, SOCK_STREAM);

	REQUIRE_SYS(fd);
	CHECK_EQ(get_tp(fd, &p), sizeof(p));
	check_tp_defaults(&p);
	close(fd);
}

static void test_opt_tp_roundtrip(void)
{
	struct quic_transport_param p = {
		.disable_active_migration = 1, .grease_quic_bit = 1,
		.stateless_reset = 1, .disable_1rtt_encryption = 1,
		.disable_compatible_version = 1,
		.active_connection_id_limit = 2, .ack_delay_exponent = 20,
		.max_datagram_frame_size = 1400, .max_udp_payload_size = 1200,
		.max_idle_timeout = 5000000, .max_ack_delay = 16383999,
		.max_streams_bidi = 7, .max_streams_uni = 9,
		.max_data = 1ULL << 40, .max_stream_data_bidi_local = 12345,
		.max_stream_data_bidi_remote = 23456,
		.max_stream_data_uni = 34567,
	}, got;
	int fd = qsock(AF_INET, SOCK_DGRAM);

	REQUIRE_SYS(fd);
	CHECK_SYS(qset(fd, QUIC_SOCKOPT_TRANSPORT_PARAM, &p, sizeof(p)));
	CHECK_EQ(get_tp(fd, &got), sizeof(got));
	CHECK(!memcmp(&p, &got, sizeof(p)));
	CHECK_EQ(got.max_ack_delay, 16383999);
	CHECK_EQ(got.max_data, 1ULL << 40);
	close(fd);
}

/* remote = 1 sets and gets the peer's parameters, apart from ours */
static void test_opt_tp_remote(void)
{
	struct quic_transport_param p = {
		.remote = 1, .active_connection_id_limit = 4,
		.ack_delay_exponent = 10, .max_udp_payload_size = 1500,
		.max_idle_timeout = 1000000, .max_ack_delay = 30000,
		.max_streams_bidi = 3, .max_streams_uni = 4, .max_data = 5,
		.max_stream_data_bidi_local = 6,
		.max_stream_data_bidi_remote = 7, .max_stream_data_uni = 8,
	}, got;
	socklen_t len = sizeof(got);
	int fd = qsock(AF_INET, SOCK_DGRAM);

	REQUIRE_SYS(fd);
	CHECK_SYS(qset(fd, QUIC_SOCKOPT_TRANSPORT_PARAM, &p, sizeof(p)));
	memset(&got, 0, sizeof(got));
	got.remote = 1;
	CHECK_SYS(qget(fd, QUIC_SOCKOPT_TRANSPORT_PARAM, &got, &len));
	CHECK_EQ(len, sizeof(got));
	CHECK(!memcmp(&p, &got, sizeof(p)));
	CHECK_EQ(get_tp(fd, &got), sizeof(got));	/* ours: untouched */
	check_tp_defaults(&got);
	close(fd);
}

static void test_opt_tp_invalid(void)
{
	struct quic_transport_param bad[4], got;
	int fd = qsock(AF_INET, SOCK_DGRAM);

	REQUIRE_SYS(fd);
	memset(bad, 0, sizeof(bad));
	bad[0].max_udp_payload_size = 1199;
	bad[1].ack_delay_exponent = 21;
	bad[2].max_ack_delay = 16384000;
	bad[3].active_connection_id_limit = 1;
	for (int i = 0; i < 4; i++)
		if (!CHECK_ERR(qset(fd, QUIC_SOCKOPT_TRANSPORT_PARAM, &bad[i],
				    sizeof(bad[i])), EINVAL))
			tap_diag("invalid value #%d was taken", i);
	/* nothing of them was taken */
	CHECK_EQ(get_tp(fd, &got), sizeof(got));
	check_tp_defaults(&got);
	close(fd);
}

static int get_event(int fd, int type)
{
	struct quic_event_option ev = { .type = type };
	socklen_t len = sizeof(ev);

	if (qget(fd, QUIC_SOCKOPT_EVENT, &ev, &len))
		return -1;
	return len == sizeof(ev) && ev.type == type ? ev.on : -2;
}

static void test_opt_event_roundtrip(void)
{
	int fd = qsock(AF_INET, SOCK_DGRAM);
	struct quic_event_option ev;

	REQUIRE_SYS(fd);
	for (int t = QUIC_EVENT_NONE + 1; t < QUIC_EVENT_MAX; t++) {
		bool ok = CHECK_EQ(get_event(fd, t), 0);	/* off by default */

		ev.type = t;
		ev.on = 1;
		ok &= CHECK_SYS(qset(fd, QUIC_SOCKOPT_EVENT, &ev, sizeof(ev)));
		ok &= CHECK_EQ(get_event(fd, t), 1);
		/* the others stay off */
		ok &= CHECK_EQ(get_event(fd, t == 1 ? 2 : 1), 0);
		ev.on = 0;
		ok &= CHECK_SYS(qset(fd, QUIC_SOCKOPT_EVENT, &ev, sizeof(ev)));
		ok &= CHECK_EQ(get_event(fd, t), 0);
		if (!ok)
			tap_diag("event type %d", t);
	}
	close(fd);
}

static void test_opt_event_invalid_type(void)
{
	static const int types[] = { QUIC_EVENT_NONE, QUIC_EVENT_MAX, 255 };
	struct quic_event_option ev;
	socklen_t len;
	int fd = qsock(AF_INET, SOCK_DGRAM);

	REQUIRE_SYS(fd);
	for (int i = 0; i < 3; i++) {
		ev.type = types[i];
		ev.on = 1;
		len = sizeof(ev);
		if (!CHECK_ERR(qset(fd, QUIC_SOCKOPT_EVENT, &ev, sizeof(ev)), EINVAL) |
		    !CHECK_ERR(qget(fd, QUIC_SOCKOPT_EVENT, &ev, &len), EINVAL))
			tap_diag("event type %d", types[i]);
	}
	close(fd);
}

/* set @alpn (without its NUL); returns the setsockopt() result */
static int set_alpn(int fd, const char *alpn)
{
	return qset(fd, QUIC_SOCKOPT_ALPN, alpn, strlen(alpn));
}

static void check_alpn(int fd, const char *want)
{
	char buf[300];
	socklen_t len = sizeof(buf);

	memset(buf, 0x5a, sizeof(buf));
	if (!CHECK_SYS(qget(fd, QUIC_SOCKOPT_ALPN, buf, &len)))
		return;
	CHECK_EQ(len, strlen(want) + 1);
	if (!CHECK(!memcmp(buf, want, strlen(want) + 1)))
		tap_diag("got \"%.*s\", want \"%s\"", (int)len, buf, want);
}

static void test_opt_alpn_roundtrip(void)
{
	char name[256];
	int fd = qsock(AF_INET, SOCK_DGRAM);

	REQUIRE_SYS(fd);
	check_alpn(fd, "");	/* none set */
	CHECK_SYS(set_alpn(fd, "smbd,h3"));
	check_alpn(fd, "smbd,h3");
	/* the trailing NUL may be passed too */
	CHECK_SYS(qset(fd, QUIC_SOCKOPT_ALPN, "h3", 3));
	check_alpn(fd, "h3");
	/* 255 bytes is the longest list */
	memset(name, 'a', 255);
	name[255] = '\0';
	CHECK_SYS(set_alpn(fd, name));
	check_alpn(fd, name);
	close(fd);
}

static void test_opt_alpn_invalid(void)
{
	static const char *const bad[] = { ",h3", "h3,", "a,,b", "," };
	char name[257];
	int fd = qsock(AF_INET, SOCK_DGRAM);

	REQUIRE_SYS(fd);
	CHECK_SYS(set_alpn(fd, "smbd,h3"));
	for (int i = 0; i < 4; i++)
		if (!CHECK_ERR(set_alpn(fd, bad[i]), EINVAL))
			tap_diag("ALPN \"%s\" was taken", bad[i]);
	memset(name, 'a', 256);
	name[256] = '\0';
	CHECK_ERR(set_alpn(fd, name), EINVAL);
	CHECK_ERR(qset(fd, QUIC_SOCKOPT_ALPN, name, 257), EINVAL);
	check_alpn(fd, "smbd,h3");	/* unchanged */
	close(fd);
}

static void test_opt_alpn_get_small_buffer(void)
{
	char buf[16];
	socklen_t len = strlen("smbd,h3");	/* no room for the NUL */
	int fd = qsock(AF_INET, SOCK_DGRAM);

	REQUIRE_SYS(fd);
	CHECK_SYS(set_alpn(fd, "smbd,h3"));
	CHECK_ERR(qget(fd, QUIC_SOCKOPT_ALPN, buf, &len), EINVAL);
	len = 0;
	CHECK_ERR(qget(fd, QUIC_SOCKOPT_ALPN, buf, &len), EINVAL);
	close(fd);
}

static int get_config(int fd, struct quic_config *c)
{
	socklen_t len = sizeof(*c);

	memset(c, 0, sizeof(*c));
	if (qget(fd, QUIC_SOCKOPT_CONFIG, c, &len))
		return -1;
	return len;
}

static void test_opt_config_roundtrip(void)
{
	struct quic_config c = {
		.version = QUIC_VERSION_V2, .plpmtud_probe_interval = 1000000,
		.initial_smoothed_rtt = 100000, .payload_cipher_type = 52,
		.congestion_control_algo = QUIC_CONG_ALG_CUBIC,
		.validate_peer_address = 1, .stream_data_nodelay = 1,
		.receive_session_ticket = 1, .certificate_request = 2,
		.keepalive_probe_interval = 15000000,
	}, got;
	int fd = qsock(AF_INET6, SOCK_DGRAM);

	REQUIRE_SYS(fd);
	CHECK_SYS(qset(fd, QUIC_SOCKOPT_CONFIG, &c, sizeof(c)));
	CHECK_EQ(get_config(fd, &got), sizeof(got));
	CHECK(!memcmp(&c, &got, sizeof(c)));
	c.version = QUIC_VERSION_V1;
	c.congestion_control_algo = QUIC_CONG_ALG_RENO;
	CHECK_SYS(qset(fd, QUIC_SOCKOPT_CONFIG, &c, sizeof(c)));
	CHECK_EQ(get_config(fd, &got), sizeof(got));
	CHECK(!memcmp(&c, &got, sizeof(c)));
	close(fd);
}

static void test_opt_config_invalid(void)
{
	static const unsigned int versions[] = { 2, 0xff00001d, 0x709a50c4 };
	struct quic_config c = {}, before, got;
	int fd = qsock(AF_INET, SOCK_DGRAM);

	REQUIRE_SYS(fd);
	REQUIRE_EQ(get_config(fd, &before), sizeof(before));
	for (int i = 0; i < 3; i++) {
		c.version = versions[i];
		if (!CHECK_ERR(qset(fd, QUIC_SOCKOPT_CONFIG, &c, sizeof(c)), EINVAL))
			tap_diag("version %#x was taken", versions[i]);
	}
	c.version = QUIC_VERSION_V1;
	c.congestion_control_algo = QUIC_CONG_ALG_MAX;
	CHECK_ERR(qset(fd, QUIC_SOCKOPT_CONFIG, &c, sizeof(c)), EINVAL);
	c.congestion_control_algo = 255;
	CHECK_ERR(qset(fd, QUIC_SOCKOPT_CONFIG, &c, sizeof(c)), EINVAL);
	CHECK_EQ(get_config(fd, &got), sizeof(got));
	CHECK(!memcmp(&before, &got, sizeof(got)));	/* unchanged */
	close(fd);
}

/* ----------------------------------------------- options passed to IP */

static void test_opt_ip_tos(void)
{
	int fd = qsock(AF_INET, SOCK_DGRAM), tos = 0x28;

	REQUIRE_SYS(fd);
	CHECK_SYS(setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)));
	CHECK_EQ(getopt_int(fd, IPPROTO_IP, IP_TOS), 0x28);
	close(fd);
}

static void test_opt_ip_tos_inet6(void)
{
	int fd = qsock(AF_INET6, SOCK_DGRAM), v = 0x48;

	REQUIRE_SYS(fd);
	CHECK_SYS(setsockopt(fd, IPPROTO_IP, IP_TOS, &v, sizeof(v)));
	CHECK_EQ(getopt_int(fd, IPPROTO_IP, IP_TOS), 0x48);
	CHECK_SYS(setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &v, sizeof(v)));
	CHECK_EQ(getopt_int(fd, IPPROTO_IPV6, IPV6_TCLASS), 0x48);
	close(fd);
}

static void test_opt_ipv6_v6only(void)
{
	int fd = qsock(AF_INET6, SOCK_STREAM), v;

	REQUIRE_SYS(fd);
	for (v = 1; v >= 0; v--) {
		CHECK_SYS(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof(v)));
		CHECK_EQ(getopt_int(fd, IPPROTO_IPV6, IPV6_V6ONLY), v);
	}
	close(fd);
}

static void test_opt_sol_socket(void)
{
	int fd = qsock(AF_INET, SOCK_DGRAM), v = 1;

	REQUIRE_SYS(fd);
	CHECK_SYS(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)));
	CHECK_EQ(getopt_int(fd, SOL_SOCKET, SO_REUSEADDR), 1);
	close(fd);
}

/* ------------------------------------- calls that need a connection */

static void test_send_recv_unconnected(void)
{
	struct addr peer = mkaddr(AF_INET, "127.0.0.1", 4433);
	struct addr a = mkaddr(AF_INET, "127.0.0.1", 0);
	int fd = qsock(AF_INET, SOCK_DGRAM);
	char buf[8] = "data";

	REQUIRE_SYS(fd);
	for (int bound = 0; bound < 2; bound++) {
		CHECK_ERR(send(fd, buf, 4, 0), ENOTCONN);
		CHECK_ERR(sendto(fd, buf, 4, 0, &peer.sa, peer.len), ENOTCONN);
		CHECK_ERR(recv(fd, buf, sizeof(buf), 0), ENOTCONN);
		CHECK_ERR(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), ENOTCONN);
		if (!bound)
			CHECK_SYS(qbind(fd, &a));
	}
	close(fd);
}

static void test_libquic_unconnected(void)
{
	int fd = qsock(AF_INET6, SOCK_STREAM);
	uint32_t flags = MSG_DONTWAIT;
	int64_t sid = 0;
	char buf[8];

	REQUIRE_SYS(fd);
	CHECK_ERR(quic_sendmsg(fd, "hi", 2, 0, MSG_QUIC_STREAM_NEW), ENOTCONN);
	CHECK_ERR(quic_recvmsg(fd, buf, sizeof(buf), &sid, &flags), ENOTCONN);
	close(fd);
}

/* Ip OutRequests from /proc/net/snmp: packets this host sent */
static long ip_out_requests(void)
{
	char names[2048], vals[2048], *n, *v, *sn, *sv;
	FILE *f = fopen("/proc/net/snmp", "r");
	long r = -1;

	if (!f)
		return -1;
	while (fgets(names, sizeof(names), f) && fgets(vals, sizeof(vals), f)) {
		if (strncmp(names, "Ip:", 3))
			continue;
		n = strtok_r(names, " \n", &sn);
		v = strtok_r(vals, " \n", &sv);
		while (n && v) {
			if (!strcmp(n, "OutRequests"))
				r = atol(v);
			n = strtok_r(NULL, " \n", &sn);
			v = strtok_r(NULL, " \n", &sv);
		}
		break;
	}
	fclose(f);
	return r;
}

static void test_connect_listen_accept(void)
{
	struct addr peer = mkaddr(AF_INET, "127.0.0.1", 4433);
	struct addr zero = mkaddr(AF_INET, "127.0.0.1", 0);
	struct addr a = mkaddr(AF_INET, "127.0.0.1", 0), got;
	int fd = qsock(AF_INET, SOCK_STREAM), lfd = qsock(AF_INET, SOCK_DGRAM);
	socklen_t len = sizeof(a.v6);
	long out;

	REQUIRE_SYS(fd);
	REQUIRE_SYS(lfd);
	/* connect(): port 0 is no peer; it sends nothing (draft 3.2.4) */
	CHECK_ERR(connect(fd, &zero.sa, zero.len), EINVAL);
	out = ip_out_requests();
	CHECK_SYS(connect(fd, &peer.sa, peer.len));
	CHECK_EQ(ip_out_requests(), out);
	got.len = sizeof(got.v6);
	CHECK_SYS(getpeername(fd, &got.sa, &got.len));
	CHECK_EQ(got.v4.sin_port, htons(4433));
	CHECK_EQ(got.v4.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	CHECK_ERR(connect(fd, &peer.sa, peer.len), EISCONN);
	CHECK_ERR(listen(fd, 1), EINVAL);
	CHECK_ERR(accept(fd, &a.sa, &len), EINVAL);

	/* listen(): then nothing pending to accept */
	CHECK_SYS(qbind(lfd, &a));
	CHECK_SYS(listen(lfd, 4));
	CHECK_SYS(listen(lfd, 8));
	CHECK_SYS(fcntl(lfd, F_SETFL, O_NONBLOCK));
	CHECK_ERR(accept(lfd, NULL, NULL), EAGAIN);
	CHECK_ERR(connect(lfd, &peer.sa, peer.len), EISCONN);
	close(fd);
	close(lfd);
}

/* ------------------------------------------------ listen: port owners */

/* A socket bound to 127.0.0.1:@port (0: any) with SO_REUSEPORT as @reuse,
 * or -1.
 */
static int port_socket(int port, int reuse)
{
	struct addr a = mkaddr(AF_INET, "127.0.0.1", port);
	int fd = qsock(AF_INET, SOCK_DGRAM);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &reuse, sizeof(reuse)) ||
	    qbind(fd, &a)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A port belongs to the first listener: another socket that shares the
 * port (bind() works: connections share it) cannot listen on it until
 * the first one is closed.
 */
static void test_listen_port_taken(void)
{
	int a = port_socket(0, 0), b, port, i;

	REQUIRE_SYS(a);
	port = local_port(a);
	CHECK_SYS(listen(a, 4));
	b = port_socket(port, 0);
	REQUIRE_SYS(b);
	CHECK_ERR(listen(b, 4), EADDRINUSE);
	CHECK_ERR(listen(b, 4), EADDRINUSE);	/* nothing left behind */
	close(a);
	CHECK_SYS(listen(b, 4));
	close(b);
	/* an ephemeral port's UDP socket goes from a work item */
	for (i = 0; i < 100 && udp_count(AF_INET, port); i++)
		usleep(20000);
	CHECK_EQ(udp_count(AF_INET, port), 0);
}

/* SO_REUSEPORT on both sockets of one owner lets both listen; one socket
 * without it may not join them, nor may a first listener without it be
 * joined.
 */
static void test_listen_reuseport_same_owner(void)
{
	int a = port_socket(0, 1), b, c, port;

	REQUIRE_SYS(a);
	port = local_port(a);
	CHECK_SYS(listen(a, 4));
	b = port_socket(port, 1);
	c = port_socket(port, 0);
	REQUIRE_SYS(b);
	REQUIRE_SYS(c);
	CHECK_SYS(listen(b, 4));
	CHECK_ERR(listen(c, 4), EADDRINUSE);
	close(a);
	close(b);
	/* c listens alone now; a reuseport socket cannot join it */
	CHECK_SYS(listen(c, 4));
	b = port_socket(port, 1);
	REQUIRE_SYS(b);
	CHECK_ERR(listen(b, 4), EADDRINUSE);
	close(b);
	close(c);
}

/* Another user (nobody) cannot listen on a port root listens on, even
 * with SO_REUSEPORT on both: its clients would be handed to it.  The
 * child exits with 0 when listen() failed with EADDRINUSE, 255 when it
 * worked, else the step that failed or the errno.
 */
static void test_listen_reuseport_other_owner(void)
{
	int a = port_socket(0, 1), port, status = -1, fd;
	pid_t pid;

	REQUIRE_SYS(a);
	port = local_port(a);
	CHECK_SYS(listen(a, 4));
	fflush(stdout);
	pid = fork();
	REQUIRE_SYS(pid);
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(254);
		fd = port_socket(port, 1);
		if (fd < 0)
			_exit(253);
		_exit(!listen(fd, 4) ? 255 : errno == EADDRINUSE ? 0 : errno);
	}
	CHECK_SYS(waitpid(pid, &status, 0));
	if (!CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		tap_diag("child status %#x (exit %d: 255 listen worked, 254 "
			 "setuid failed, 253 socket or bind failed, else the "
			 "errno)", status, WEXITSTATUS(status));
	/* the first listener still has its port */
	CHECK_SYS(listen(a, 8));
	close(a);
}

/* ------------------------------------------------ handshake data bound */

/* Handshake data obeys the send buffer: a client whose peer never
 * acknowledges (a plain UDP socket) is handed 64 MiB of Initial data in
 * one non-blocking sendmsg(); it takes at most the send buffer and says
 * so with a short count, then EAGAIN; a blocking one waits its timeout.
 */
static void test_handshake_send_bounded(void)
{
	static char buf[1 << 20];
	struct addr a = mkaddr(AF_INET, "127.0.0.1", 0);
	char ctl[CMSG_SPACE(sizeof(struct quic_handshake_info))] = {};
	struct quic_handshake_info info = { .crypto_level = QUIC_CRYPTO_INITIAL };
	struct timeval tv = { .tv_usec = 200000 };
	struct iovec iov[64];
	struct msghdr m = {
		.msg_iov = iov, .msg_iovlen = 64,
		.msg_control = ctl, .msg_controllen = sizeof(ctl),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	int u = socket(AF_INET, SOCK_DGRAM, 0), fd, sndbuf = 0, i;
	socklen_t len = sizeof(a.v6), olen = sizeof(sndbuf);
	long slab0, slab1;
	ssize_t n;

	REQUIRE_SYS(u);
	REQUIRE_SYS(bind(u, &a.sa, a.len));
	REQUIRE_SYS(getsockname(u, &a.sa, &len));
	fd = qsock(AF_INET, SOCK_DGRAM);
	REQUIRE_SYS(fd);
	REQUIRE_SYS(connect(fd, &a.sa, a.len));
	REQUIRE_SYS(getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &olen));
	for (i = 0; i < 64; i++) {
		iov[i].iov_base = buf;
		iov[i].iov_len = sizeof(buf);
	}
	c->cmsg_level = SOL_QUIC;
	c->cmsg_type = QUIC_HANDSHAKE_INFO;
	c->cmsg_len = CMSG_LEN(sizeof(info));
	memcpy(CMSG_DATA(c), &info, sizeof(info));

	slab0 = slab_kib();
	n = sendmsg(fd, &m, MSG_DONTWAIT);
	slab1 = slab_kib();
	CHECK(n > 0);
	/* what one call pinned: the send buffer and change, not 64 MiB */
	if (CHECK(slab0 > 0 && slab1 > 0) && !CHECK(slab1 - slab0 < 16384))
		tap_diag("slab grew by %ld KiB", slab1 - slab0);
	tap_diag("queued %zd bytes (send buffer %d); slab %+ld KiB", n,
		 sndbuf, slab1 - slab0);
	if (!CHECK(n <= sndbuf))
		tap_diag("one sendmsg() queued %zd bytes, send buffer %d",
			 n, sndbuf);
	CHECK_ERR(sendmsg(fd, &m, MSG_DONTWAIT), EAGAIN);
	CHECK_SYS(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	CHECK_ERR(sendmsg(fd, &m, 0), EAGAIN);
	close(fd);
	close(u);
}

static void test_shutdown(void)
{
	int fd = qsock(AF_INET, SOCK_DGRAM);

	REQUIRE_SYS(fd);
	CHECK_ERR(shutdown(fd, SHUT_RDWR), ENOTCONN);
	CHECK_ERR(shutdown(fd, SHUT_WR), ENOTCONN);
	CHECK_ERR(shutdown(fd, 7), EINVAL);
	close(fd);
}

static void test_poll_unbound(void)
{
	struct pollfd p = { .events = POLLIN | POLLOUT };

	p.fd = qsock(AF_INET, SOCK_DGRAM);
	REQUIRE_SYS(p.fd);
	/* a result, not the 5 s timeout */
	CHECK_EQ(poll(&p, 1, 5000), 1);
	CHECK(p.revents & POLLHUP);
	CHECK(!(p.revents & (POLLIN | POLLERR | POLLNVAL)));
	close(p.fd);
}

/* ------------------------------------------------ the module reference */

/* The "quic" line's use count in /proc/modules, or -1. */
static int module_refcount(void)
{
	char line[256], name[64];
	int n, refs = -1;
	FILE *f = fopen("/proc/modules", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %*u %d", name, &n) == 2 &&
		    !strcmp(name, "quic"))
			refs = n;
	fclose(f);
	return refs;
}

static void test_unload_busy(void)
{
	struct addr a = mkaddr(AF_INET, "127.0.0.1", 0);
	int fd = qsock(AF_INET, SOCK_DGRAM);
	struct stat st;

	REQUIRE_SYS(fd);
	CHECK_SYS(qbind(fd, &a));
	CHECK(module_refcount() > 0);
	CHECK_ERR(syscall(SYS_delete_module, "quic", O_NONBLOCK), EWOULDBLOCK);
	CHECK_SYS(stat("/sys/module/quic", &st));
	/* the socket still works */
	CHECK(local_port(fd) > 0);
	close(fd);
}

static const struct tap_test tests[] = {
	TAP_TEST(test_socket_inet_dgram, "socket(AF_INET, SOCK_DGRAM, IPPROTO_QUIC) works; SO_PROTOCOL 261, SO_TYPE, SO_DOMAIN"),
	TAP_TEST(test_socket_inet_stream, "socket(AF_INET, SOCK_STREAM, IPPROTO_QUIC) works; SO_PROTOCOL 261, SO_TYPE, SO_DOMAIN"),
	TAP_TEST(test_socket_inet6_dgram, "socket(AF_INET6, SOCK_DGRAM, IPPROTO_QUIC) works; SO_PROTOCOL 261, SO_TYPE, SO_DOMAIN"),
	TAP_TEST(test_socket_inet6_stream, "socket(AF_INET6, SOCK_STREAM, IPPROTO_QUIC) works; SO_PROTOCOL 261, SO_TYPE, SO_DOMAIN"),
	TAP_TEST(test_socket_seqpacket, "socket(SOCK_SEQPACKET, IPPROTO_QUIC) fails with ESOCKTNOSUPPORT"),
	TAP_TEST(test_socket_raw4, "socket(AF_INET, SOCK_RAW, IPPROTO_QUIC) is a raw IPv4 socket, not QUIC"),
	TAP_TEST(test_socket_raw6, "socket(AF_INET6, SOCK_RAW, IPPROTO_QUIC) is a raw IPv6 socket, not QUIC"),
	TAP_TEST(test_bind_any4, "bind 0.0.0.0:0: getsockname gives 0.0.0.0 and a port; one UDP socket"),
	TAP_TEST(test_bind_any6, "bind [::]:0: getsockname gives :: and a port; one UDP socket"),
	TAP_TEST(test_bind_lo4, "bind 127.0.0.1:0: getsockname gives 127.0.0.1 and a port; one UDP socket"),
	TAP_TEST(test_bind_lo6, "bind [::1]:0: getsockname gives ::1 and a port; one UDP socket"),
	TAP_TEST(test_bind_explicit_port, "bind 127.0.0.1:PORT: getsockname gives that port"),
	TAP_TEST(test_bind_ephemeral_range, "bind to port 0 picks a port in ip_local_port_range"),
	TAP_TEST(test_bind_port0_distinct, "two sockets bound to port 0 get different ports"),
	TAP_TEST(test_bind_port0_then_shared, "binding the port another QUIC socket got for port 0 shares its UDP socket"),
	TAP_TEST(test_bind_twice, "a second bind() on a bound socket fails with EINVAL"),
	TAP_TEST(test_bind_shared4, "3 QUIC sockets (DGRAM, STREAM) share 127.0.0.1:PORT on one UDP socket, gone after close"),
	TAP_TEST(test_bind_shared6, "3 QUIC sockets (DGRAM, STREAM) share [::1]:PORT on one UDP socket, gone after close"),
	TAP_TEST(test_bind_close_first_sharer, "closing sharers keeps the UDP socket until the last one closes"),
	TAP_TEST(test_bind_port_held_by_udp, "bind to a port a plain UDP socket holds fails with EADDRINUSE; the socket can bind elsewhere"),
	TAP_TEST(test_bind_short_addrlen, "bind with a short addr_len fails with EINVAL"),
	TAP_TEST(test_bind_wrong_family, "bind with another address family fails with EAFNOSUPPORT"),
	TAP_TEST(test_bind_multicast, "bind to a multicast or broadcast address fails with EADDRNOTAVAIL"),
	TAP_TEST(test_bind_nonlocal, "bind to a non-local address fails with EADDRNOTAVAIL"),
	TAP_TEST(test_bind_linklocal_no_scope, "bind to an IPv6 link-local address without scope id fails with EINVAL"),
	TAP_TEST(test_bind_v4mapped_v6only, "bind to a v4-mapped address on an IPV6_V6ONLY socket fails with EINVAL"),
	TAP_TEST(test_bind_privileged_root, "bind to a privileged port works as root"),
	TAP_TEST(test_bind_privileged_unprivileged, "bind to a privileged port fails with EACCES without CAP_NET_BIND_SERVICE"),
	TAP_TEST(test_getsockname_unbound4, "getsockname on an unbound AF_INET socket: AF_INET, 0.0.0.0, port 0"),
	TAP_TEST(test_getsockname_unbound6, "getsockname on an unbound AF_INET6 socket: AF_INET6, ::, port 0"),
	TAP_TEST(test_getpeername, "getpeername fails with ENOTCONN, bound or not"),
	TAP_TEST(test_opt_unknown, "SOL_QUIC optname 99, -1 and one past the last: ENOPROTOOPT for set and get"),
	TAP_TEST(test_opt_short_event, "QUIC_SOCKOPT_EVENT with a short optlen: EINVAL for set and get"),
	TAP_TEST(test_opt_short_transport_param, "QUIC_SOCKOPT_TRANSPORT_PARAM with a short optlen: EINVAL for set and get"),
	TAP_TEST(test_opt_short_config, "QUIC_SOCKOPT_CONFIG shorter than keepalive_probe_interval's offset: EINVAL for set and get"),
	TAP_TEST(test_opt_config_old_len, "QUIC_SOCKOPT_CONFIG without keepalive_probe_interval (older callers) works for set and get"),
	TAP_TEST(test_opt_tp_defaults, "QUIC_SOCKOPT_TRANSPORT_PARAM get returns the ABI defaults"),
	TAP_TEST(test_opt_tp_roundtrip, "QUIC_SOCKOPT_TRANSPORT_PARAM set then get returns what was set"),
	TAP_TEST(test_opt_tp_remote, "QUIC_SOCKOPT_TRANSPORT_PARAM with remote=1 sets and gets the peer's values, not ours"),
	TAP_TEST(test_opt_tp_invalid, "QUIC_SOCKOPT_TRANSPORT_PARAM out-of-range values fail with EINVAL and change nothing"),
	TAP_TEST(test_opt_event_roundtrip, "QUIC_SOCKOPT_EVENT: every type off by default, on and off round trip"),
	TAP_TEST(test_opt_event_invalid_type, "QUIC_SOCKOPT_EVENT type 0 and >= QUIC_EVENT_MAX fail with EINVAL"),
	TAP_TEST(test_opt_alpn_roundtrip, "QUIC_SOCKOPT_ALPN set then get returns the list NUL-terminated, optlen strlen+1"),
	TAP_TEST(test_opt_alpn_invalid, "QUIC_SOCKOPT_ALPN with an empty name or over 255 bytes fails with EINVAL"),
	TAP_TEST(test_opt_alpn_get_small_buffer, "QUIC_SOCKOPT_ALPN get into a too small buffer fails with EINVAL"),
	TAP_TEST(test_opt_config_roundtrip, "QUIC_SOCKOPT_CONFIG set then get returns what was set"),
	TAP_TEST(test_opt_config_invalid, "QUIC_SOCKOPT_CONFIG with an unknown version or congestion algorithm fails with EINVAL"),
	TAP_TEST(test_opt_ip_tos, "IP_TOS set and get pass through to IP on AF_INET"),
	TAP_TEST(test_opt_ip_tos_inet6, "IP_TOS and IPV6_TCLASS set and get pass through on AF_INET6"),
	TAP_TEST(test_opt_ipv6_v6only, "IPV6_V6ONLY set and get pass through to IPv6 on AF_INET6"),
	TAP_TEST(test_opt_sol_socket, "SOL_SOCKET options (SO_REUSEADDR) work"),
	TAP_TEST(test_send_recv_unconnected, "send/sendto/recv on an unconnected socket fail with ENOTCONN, bound or not"),
	TAP_TEST(test_libquic_unconnected, "quic_sendmsg/quic_recvmsg on an unconnected socket fail with ENOTCONN"),
	TAP_TEST(test_connect_listen_accept, "connect sends nothing and sets the peer; EISCONN/EINVAL/EAGAIN by state"),
	TAP_TEST(test_listen_port_taken, "a second socket on a listener's port cannot listen (EADDRINUSE) until the first closes"),
	TAP_TEST(test_listen_reuseport_same_owner, "SO_REUSEPORT on both sockets of one owner lets both listen; without it on either, EADDRINUSE"),
	TAP_TEST(test_listen_reuseport_other_owner, "another user cannot listen on a port root listens on, SO_REUSEPORT or not (EADDRINUSE)"),
	TAP_TEST(test_handshake_send_bounded, "64 MiB of handshake data to a peer that never acknowledges: sendmsg takes at most the send buffer, then EAGAIN"),
	TAP_TEST(test_shutdown, "shutdown on an unconnected socket fails with ENOTCONN"),
	TAP_TEST(test_poll_unbound, "poll on an unbound socket returns POLLHUP at once"),
	TAP_TEST(test_unload_busy, "delete_module(quic) fails with EWOULDBLOCK while a QUIC socket exists"),
};

int main(void)
{
	return tap_main(tests, TAP_COUNT(tests));
}
