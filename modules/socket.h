/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC sockets: one socket is one QUIC endpoint (a connection, or a
 * listener).
 */
#ifndef __QUIC_SOCKET_H
#define __QUIC_SOCKET_H

#include <linux/quic.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/tcp_states.h>

#include "path.h"

/* Socket states, on TCP's numbers so that inet helpers read them right. */
enum quic_state {
	QUIC_SS_CLOSED		= TCP_CLOSE,
	QUIC_SS_LISTENING	= TCP_LISTEN,
	QUIC_SS_ESTABLISHING	= TCP_SYN_SENT,
	QUIC_SS_ESTABLISHED	= TCP_ESTABLISHED,
};

#define QUIC_ALPN_MAX_LEN	255

/*
 * struct quic_sock - a QUIC socket
 *
 * Locking: everything below @inet is read and written under the socket
 * lock (lock_sock()), from process context.
 */
struct quic_sock {
	struct inet_sock		inet;

	struct quic_udp_sock		*udp_sk;	/* NULL until bound */
	union quic_addr			local;		/* valid when udp_sk */

	u32				events;		/* BIT(QUIC_EVENT_*) on */
	struct quic_transport_param	local_param;
	struct quic_transport_param	remote_param;
	struct quic_config		config;
	char				*alpn;		/* comma list, or NULL */
	u32				alpn_len;
};

/* struct ipv6_pinfo must be last: inet6_sk_generic() finds it there */
struct quic6_sock {
	struct quic_sock	quic;
	struct ipv6_pinfo	inet6;
};

static inline struct quic_sock *quic_sk(const struct sock *sk)
{
	return (struct quic_sock *)sk;
}

extern struct proto quic_prot;
extern struct proto quic6_prot;
extern const struct proto_ops quic_proto_ops;
extern const struct proto_ops quic6_proto_ops;

#endif /* __QUIC_SOCKET_H */
