/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC paths (path.c): the address pairs a connection uses, RFC 9000
 * sections 8 and 9.
 */
#ifndef __QUIC_PATH_H
#define __QUIC_PATH_H

#include <linux/minmax.h>
#include <linux/types.h>

#include "family.h"

struct dst_entry;
struct sk_buff;
struct sock;
struct quic_udp_sock;

#define QUIC_MIN_UDP_PAYLOAD	1200	/* RFC 9000 section 14 */

/*
 * struct quic_path - one path: a local and a peer address, the UDP tunnel
 * socket it is sent on, its route, the largest datagram it takes, and
 * what RFC 9000 section 8 asks before its peer address is validated.
 * @udp_sk: a reference, NULL until bound
 * @local: valid when @udp_sk is set; a wildcard until routed
 * @peer: the peer's address
 * @dst: the cached route, or NULL
 * @dst_cookie: for dst_check()
 * @mss: the largest UDP payload
 * @amp_recv: bytes received on the path (anti-amplification)
 * @amp_sent: bytes sent on it
 * @validated: the peer's address is validated: no amplification limit
 * @mss_set: @mss was set from a route once
 * @mss_changes: how often it changed since (PMTU, the peer's limit)
 */
struct quic_path {
	struct quic_udp_sock	*udp_sk;
	union quic_addr		local;
	union quic_addr		peer;
	struct dst_entry	*dst;
	u32			dst_cookie;
	u32			mss;
	u64			amp_recv;
	u64			amp_sent;
	u16			mss_changes;
	u8			validated:1,
				mss_set:1;
};

#define QUIC_PATH_CHALLENGES	3	/* the latest ones a response may echo */

/*
 * struct quic_paths - the paths of a connection: the one in use, and the
 * one used before it, RFC 9000 section 9.
 * @act: the path packets are sent on
 * @alt: the previous one, validated, when the peer moved (@has_alt); it
 *	holds no UDP socket nor route: a server's paths share its socket
 * @challenge: the data of the latest PATH_CHALLENGE frames sent on @act,
 *	newest first, while @validating
 * @nchallenges: how many of them
 * @probes: how many were sent in this validation (the timer's backoff)
 * @deadline: when @validating fails (jiffies)
 * @validating: @act's peer address is being validated, section 8.2
 * @has_alt: @alt is set
 *
 * A server whose client's address changes (a NAT rebinding: the same
 * connection ID from another address) moves @act there and keeps the old
 * path in @alt until the new address is validated, or goes back to it.
 *
 * Locking: the socket lock.  Owned by path.c.
 */
struct quic_paths {
	struct quic_path	act;
	struct quic_path	alt;
	u8			challenge[QUIC_PATH_CHALLENGES][8];
	u8			nchallenges;
	u8			probes;
	u8			validating:1,
				has_alt:1;
	unsigned long		deadline;
};

void quic_path_init(struct quic_path *p);
void quic_path_free(struct quic_path *p);
void quic_path_bind(struct quic_path *p, struct quic_udp_sock *us);
void quic_path_set_peer(struct quic_path *p, const union quic_addr *peer);
int quic_path_route(struct sock *sk, struct quic_path *p);
struct dst_entry *quic_path_dst(struct sock *sk, struct quic_path *p);
void quic_path_xmit(struct sock *sk, struct quic_path *p,
		    struct sk_buff *skb);
u32 quic_path_mtu(const struct quic_path *p);
u32 quic_path_set_mss(struct quic_path *p, u32 mss);
u32 quic_path_amp_room(const struct quic_path *p);
void quic_path_validated(struct quic_path *p);
bool quic_path_other_peer(struct sock *sk, const union quic_addr *from);
void quic_path_migrate(struct sock *sk, const union quic_addr *from,
		       u32 len);
void quic_path_rcv_response(struct sock *sk, const u8 *data);
void quic_path_fire(struct sock *sk);

static inline void quic_path_rcvd(struct quic_path *p, u32 len)
{
	p->amp_recv += len;
}

static inline void quic_path_unrcvd(struct quic_path *p, u32 len)
{
	p->amp_recv -= min_t(u64, p->amp_recv, len);
}

static inline void quic_path_sent(struct quic_path *p, u32 len)
{
	p->amp_sent += len;
}

#endif /* __QUIC_PATH_H */
