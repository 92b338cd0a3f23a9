/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC socket options (sockopt.c).
 */
#ifndef __QUIC_SOCKOPT_H
#define __QUIC_SOCKOPT_H

#include <linux/quic.h>
#include <linux/sockptr.h>

struct sock;

#define QUIC_ALPN_MAX_LEN	255

/*
 * struct quic_params - what the user configured, and what the peer
 * announced: the options of QUIC_SOCKOPT_CONFIG, both sides' transport
 * parameters (RFC 9000 section 18) and the ALPN list.  Owned by
 * sockopt.c (@remote is what the handshake hands over with
 * QUIC_SOCKOPT_TRANSPORT_PARAM_EXT).
 *
 * Locking: the socket lock.
 * @config: QUIC_SOCKOPT_CONFIG
 * @local: the transport parameters we announce
 * @remote: the peer's
 * @alpn: a comma separated list, NUL terminated, or NULL
 * @alpn_len: its length without the NUL
 */
struct quic_params {
	struct quic_config		config;
	struct quic_transport_param	local;
	struct quic_transport_param	remote;
	struct quic_transport_param	early;	/* the remote ones a client
						 * was given for 0-RTT
						 */
	char				*alpn;
	u32				alpn_len;
};

void quic_params_init(struct quic_params *p, u32 window);
int quic_params_inherit(struct quic_params *p, const struct quic_params *from);
void quic_params_free(struct quic_params *p);
int quic_setsockopt(struct sock *sk, int level, int optname,
		    sockptr_t optval, unsigned int optlen);
int quic_getsockopt(struct sock *sk, int level, int optname,
		    char __user *optval, int __user *optlen);

#endif /* __QUIC_SOCKOPT_H */
