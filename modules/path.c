// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QUIC paths: a connection's local and peer address pair, the UDP tunnel
 * socket it is sent on, its route and datagram size, and the
 * anti-amplification limit of an address not yet validated (RFC 9000
 * section 8.1).
 *
 * Everything here runs under the socket lock.
 */

#include <net/dst.h>
#include <net/ipv6.h>
#include <net/sock.h>

#include "mib.h"
#include "path.h"
#include "socket.h"
#include "udp.h"

#define QUIC_AMP_FACTOR		3	/* RFC 9000 section 8.1 */

void quic_path_init(struct quic_path *p)
{
	memset(p, 0, sizeof(*p));
	p->mss = QUIC_MIN_UDP_PAYLOAD;
}

/* the path sends on @us, whose reference it takes */
void quic_path_bind(struct quic_path *p, struct quic_udp_sock *us)
{
	p->udp_sk = us;
}

/* the peer's address: the cached route no longer applies */
void quic_path_set_peer(struct quic_path *p, const union quic_addr *peer)
{
	p->peer = *peer;
	dst_release(p->dst);
	p->dst = NULL;
}

/* drop the route and the UDP socket; the path is unused after */
void quic_path_free(struct quic_path *p)
{
	dst_release(p->dst);
	p->dst = NULL;
	if (p->udp_sk) {
		quic_udp_sock_put(p->udp_sk);
		p->udp_sk = NULL;
	}
}

/**
 * quic_path_route - route a path to its peer
 * @sk: the socket, locked
 * @p: the path, bound
 *
 * A wildcard local address takes the route's source; on the active path
 * it becomes the socket's too.
 *
 * Return: 0 or a negative errno.
 */
int quic_path_route(struct sock *sk, struct quic_path *p)
{
	bool any = quic_addr_any(&p->local);
	struct quic_flow fl = {
		.local = &p->local,
		.peer = &p->peer,
		.oif = sk->sk_bound_dev_if,
	};
	struct dst_entry *dst;
	u32 cookie;

	dst = quic_family_route(sock_net(sk), p->udp_sk->sock->sk, &fl,
				&cookie);
	if (IS_ERR(dst))
		return PTR_ERR(dst);
	/* the source address the route chose is the socket's, as TCP's
	 * connect() makes it: sock_diag and its filters read it there
	 */
	if (any && p == &quic_sk(sk)->paths.act) {
		union quic_addr m = p->local;

		if (m.sa.sa_family == AF_INET) {
			inet_sk(sk)->inet_saddr = m.v4.sin_addr.s_addr;
			inet_sk(sk)->inet_rcv_saddr = m.v4.sin_addr.s_addr;
		}
		if (sk->sk_family == AF_INET6) {
			quic_addr_map(&m);
			inet6_sk(sk)->saddr = m.v6.sin6_addr;
			sk->sk_v6_rcv_saddr = m.v6.sin6_addr;
		}
	}
	dst_release(p->dst);
	p->dst = dst;
	p->dst_cookie = cookie;
	return 0;
}

/* the path's route, checked and renewed if stale; no reference taken */
struct dst_entry *quic_path_dst(struct sock *sk, struct quic_path *p)
{
	if (p->dst && dst_check(p->dst, p->dst_cookie))
		return p->dst;
	/* stale: not kept while the route is looked up again, nor after
	 * that fails
	 */
	dst_release(p->dst);
	p->dst = NULL;
	if (quic_path_route(sk, p))
		return NULL;
	return p->dst;
}

/**
 * quic_path_xmit - send a datagram on a path
 * @sk: the socket, locked
 * @p: the path
 * @skb: the UDP payload; consumed
 */
void quic_path_xmit(struct sock *sk, struct quic_path *p, struct sk_buff *skb)
{
	struct quic_flow fl = {
		.local = &p->local,
		.peer = &p->peer,
		.df = true,
	};
	struct dst_entry *dst;

	dst = quic_path_dst(sk, p);
	if (!dst) {
		kfree_skb(skb);
		return;
	}
	fl.tos = p->peer.sa.sa_family == AF_INET ? inet_sk(sk)->tos :
						   inet6_sk(sk)->tclass;
	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_OUTDATAGRAMS);
	QUIC_ADD_STATS(sock_net(sk), QUIC_MIB_OUTBYTES, skb->len);
	skb->ignore_df = 0;
	skb->mark = sk->sk_mark;
	skb->priority = sk->sk_priority;
	quic_family_xmit(p->udp_sk->sock->sk, skb, dst_clone(dst), &fl);
}

/**
 * quic_path_mtu - the largest UDP payload the route takes
 * @p: the path
 *
 * Return: the route's MTU less the IP and UDP headers; 0 when not routed.
 */
u32 quic_path_mtu(const struct quic_path *p)
{
	u32 mtu, hdr = quic_family(&p->peer)->hdr_len;

	if (!p->dst)
		return 0;
	mtu = dst_mtu(p->dst);
	return mtu > hdr ? mtu - hdr : 0;
}

/**
 * quic_path_set_mss - set the largest UDP payload sent on a path
 * @p: the path
 * @mss: what the route and both ends allow; at least 1200 is kept, RFC
 *	9000 section 14
 *
 * Return: the path's MSS.
 */
u32 quic_path_set_mss(struct quic_path *p, u32 mss)
{
	mss = max_t(u32, mss, QUIC_MIN_UDP_PAYLOAD);
	if (p->mss_set && p->mss != mss)
		p->mss_changes++;
	p->mss = mss;
	p->mss_set = 1;
	return p->mss;
}

/* How many bytes may still be sent before the peer's address is
 * validated, RFC 9000 section 8.1.
 */
u32 quic_path_amp_room(const struct quic_path *p)
{
	u64 limit;

	if (p->validated)
		return U32_MAX;
	limit = QUIC_AMP_FACTOR * p->amp_recv;
	return limit > p->amp_sent ? min_t(u64, limit - p->amp_sent,
					   U32_MAX) : 0;
}

/* the peer's address is validated, RFC 9000 section 8.1 */
void quic_path_validated(struct quic_path *p)
{
	p->validated = 1;
}
