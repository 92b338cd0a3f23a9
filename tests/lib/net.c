// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * net.c - addresses and socket knobs.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/sock_diag.h>
#include <netinet/quic.h>

#include "net.h"
#include "util.h"

struct addr mkaddr(int family, const char *ip, uint16_t port)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	if (family == AF_INET) {
		a.v4.sin_family = AF_INET;
		a.v4.sin_port = htons(port);
		inet_pton(AF_INET, ip ? ip : "127.0.0.1", &a.v4.sin_addr);
		a.len = sizeof(a.v4);
	} else {
		a.v6.sin6_family = AF_INET6;
		a.v6.sin6_port = htons(port);
		inet_pton(AF_INET6, ip ? ip : "::1", &a.v6.sin6_addr);
		a.len = sizeof(a.v6);
	}
	return a;
}

int parse_addr(const char *host, uint16_t port, struct addr *a)
{
	struct in6_addr any;
	int family;

	if (inet_pton(AF_INET, host, &any) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, host, &any) == 1)
		family = AF_INET6;
	else
		return -1;
	*a = mkaddr(family, host, port);
	return 0;
}

int local_port(int fd)
{
	struct addr a;

	a.len = sizeof(a.ss);
	if (getsockname(fd, &a.sa, &a.len))
		return -1;
	return ntohs(a.sa.sa_family == AF_INET ? a.v4.sin_port :
						 a.v6.sin6_port);
}

int set_timeouts(int fd, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -1;
	return 0;
}

int set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

int udp_to(int family, uint16_t port)
{
	struct addr a = mkaddr(family, NULL, port);
	int fd = socket(family, SOCK_DGRAM, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, &a.sa, a.len)) {
		close(fd);
		return -1;
	}
	return fd;
}

int set_event(int fd, int type, int on)
{
	struct quic_event_option ev = { .type = (uint8_t)type,
					.on = (uint8_t)on };

	return setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_EVENT, &ev, sizeof(ev));
}

const struct quic_transport_param tp_small = {
	.max_data = 16 * KIB,
	.max_stream_data_bidi_local = 16 * KIB,
	.max_stream_data_bidi_remote = 16 * KIB,
	.max_stream_data_uni = 16 * KIB,
};

int set_tp(int fd, const struct quic_transport_param *tp)
{
	if (!tp)
		return 0;
	return setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, tp,
			  sizeof(*tp));
}

uint32_t sock_meminfo(int fd, int idx)
{
	uint32_t mi[SK_MEMINFO_VARS] = {};
	socklen_t l = sizeof(mi);

	if (idx < 0 || idx >= SK_MEMINFO_VARS ||
	    getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mi, &l))
		return UINT32_MAX;
	return mi[idx];
}
