// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * quic-handshaked: one request, in a process of its own.  The handshake
 * must end by the request's deadline (its timeout, 10 s when it gives
 * none): every wait is bounded by it, and an alarm a little later kills
 * the process should anything still block (the parent then sends DONE
 * with ETIMEDOUT).  The child sends DONE on a netlink socket of its own
 * and closes the socket the kernel gave it.
 */

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>

#include "daemon.h"

/* What the alarm adds to the deadline, in seconds. */
#define HSD_ALARM_SLACK		2

int64_t hsd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *hsd_status_name(uint32_t status)
{
	return status ? strerror((int)status) : "success";
}

int hsd_child_main(const struct hsd_config *cfg, struct hsd_request *r)
{
	const struct hsd_accept *a = &r->a;
	uint32_t timeout = a->timeout_ms ? a->timeout_ms : HSD_DEFAULT_TIMEOUT_MS;
	int64_t deadline = hsd_now_ms() + timeout;
	struct hsd_result res = { 0 };
	socklen_t len = sizeof(int);
	int proto = -1, ret;

	alarm(timeout / 1000 + HSD_ALARM_SLACK);
	if (getsockopt(a->sockfd, SOL_SOCKET, SO_PROTOCOL, &proto, &len)) {
		hsd_err("socket %d: SO_PROTOCOL failed: %s", a->sockfd,
			strerror(errno));
		proto = -1;
	}
	hsd_info("socket %d: %s handshake (%s%s%s), %s, timeout %u ms",
		 a->sockfd, hsd_msg_type_name(a->msg_type),
		 hsd_auth_name(a->auth_mode),
		 a->have_peername ? ", peer " : "",
		 a->have_peername ? a->peername : "",
		 proto == IPPROTO_QUIC ? "QUIC" :
		 proto == IPPROTO_TCP ? "TCP" : "unknown protocol", timeout);

	if (proto == IPPROTO_QUIC) {
		hsd_quic_run(cfg, r, deadline, &res);
	} else if (proto == IPPROTO_TCP) {
		hsd_ktls_run(cfg, r, deadline, &res);
	} else {
		hsd_err("socket %d: protocol %d is neither QUIC nor TCP",
			a->sockfd, proto);
		res.status = EINVAL;
	}
	hsd_request_free_keys(r);

	if (res.status)
		hsd_notice("socket %d: handshake failed: %s", a->sockfd,
			   hsd_status_name(res.status));
	else
		hsd_info("socket %d: handshake succeeded%s", a->sockfd,
			 res.nremote ? " (PSK)" : "");
	/* a fresh alarm for the report alone */
	alarm(HSD_ALARM_SLACK + 5);
	ret = hsd_nl_done(NULL, r->family, a->sockfd, &res);
	close(a->sockfd);
	return ret ? 1 : 0;
}
