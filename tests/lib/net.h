/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net.h - addresses and socket knobs (see testlib.h).
 */
#ifndef QUIC_TESTLIB_NET_H
#define QUIC_TESTLIB_NET_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include <linux/quic.h>

#define TMO_MS		10000	/* default SO_RCVTIMEO/SO_SNDTIMEO */

/* a socket address of either family, with its length */
struct addr {
	union {
		struct sockaddr sa;
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
		struct sockaddr_storage ss;
	};
	socklen_t len;
};

/* @ip (text; NULL: the loopback address) and @port (host order) */
struct addr mkaddr(int family, const char *ip, uint16_t port);

/* @host, a numeric IPv4 or IPv6 address, and @port (host order) into *@a;
 * 0, or -1 when @host is neither
 */
int parse_addr(const char *host, uint16_t port, struct addr *a);

/* the bound port of @fd (host order), or -1 */
int local_port(int fd);

/* SO_RCVTIMEO and SO_SNDTIMEO of @fd, both @ms; 0 or -1 */
int set_timeouts(int fd, int ms);

/* O_NONBLOCK on or off; the fcntl() result */
int set_nonblock(int fd, int on);

/* a plain UDP socket connected to the loopback @port, or -1 */
int udp_to(int family, uint16_t port);

/* QUIC_SOCKOPT_EVENT: @type on or off; the setsockopt() result */
int set_event(int fd, int type, int on);

/* QUIC_SOCKOPT_TRANSPORT_PARAM, when @tp is not NULL; 0 or -1 */
int set_tp(int fd, const struct quic_transport_param *tp);

/* SO_MEMINFO's value @idx (SK_MEMINFO_*) for @fd; UINT32_MAX on error */
uint32_t sock_meminfo(int fd, int idx);

/* Small windows for the flow-control tests: 16 KiB everywhere. */
extern const struct quic_transport_param tp_small;

#endif /* QUIC_TESTLIB_NET_H */
