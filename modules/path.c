// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QUIC paths: a connection's local and peer address pair, the UDP tunnel
 * socket it is sent on, its route and datagram size, and the
 * anti-amplification limit of an address not yet validated (RFC 9000
 * section 8.1).
 *
 * Everything here runs under the socket lock.
 */

#include <crypto/algapi.h>
#include <linux/random.h>
#include <net/dst.h>
#include <net/ipv6.h>
#include <net/sock.h>

#include "cong.h"
#include "conn.h"
#include "frame.h"
#include "mib.h"
#include "output.h"
#include "path.h"
#include "recovery.h"
#include "socket.h"
#include "timer.h"
#include "tparam.h"
#include "trace.h"
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

/*
 * Connection migration, RFC 9000 section 9, as a server sees it: its
 * client's packets come from another address.  That is most often a NAT
 * rebinding (section 9.3): the same connection ID, a new port or
 * address.  It may also be an attacker's copy of a packet sent from its
 * own address (sections 9.3.2 and 9.3.3): the packet is genuine, so it
 * moves the connection, but the attacker cannot answer the path
 * validation, and the client's next packet from its real address moves
 * it back.  What goes to an address not validated is limited to three
 * times what came from it (section 8.1).
 */

/* @from is not the peer's address on the path in use */
bool quic_path_other_peer(struct sock *sk, const union quic_addr *from)
{
	struct quic_path *act = &quic_sk(sk)->paths.act;

	return act->udp_sk && !quic_addr_equal(from, &act->peer);
}

static bool quic_addr_same_host(const union quic_addr *a,
				const union quic_addr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->v4.sin_addr.s_addr == b->v4.sin_addr.s_addr;
	return ipv6_addr_equal(&a->v6.sin6_addr, &b->v6.sin6_addr);
}

/*
 * The path in use changed: the socket's peer address follows it.  The
 * application hears of a new address once it is validated, and of a
 * return from one it heard of (QUIC_EVENT_CONNECTION_MIGRATION, not
 * local: getpeername() tells where the peer is).
 */
static void quic_path_switched(struct sock *sk, int event, bool tell)
{
	struct quic_paths *ps = &quic_sk(sk)->paths;
	u8 local = 0;

	quic_set_peer_inet(sk, &ps->act.peer);
	trace_quic_path(sk, &ps->act.peer, event);
	if (tell)
		quic_event_queue(sk, QUIC_EVENT_CONNECTION_MIGRATION, &local,
				 1);
}

/* RFC 9000 section 8.2.1: a PATH_CHALLENGE with new, unpredictable data
 * on the path in use; one waits in the queue at most
 */
static void quic_path_challenge(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_paths *ps = &qs->paths;
	struct quic_frame *f;

	memmove(ps->challenge[1], ps->challenge[0],
		sizeof(ps->challenge) - sizeof(ps->challenge[0]));
	get_random_bytes(ps->challenge[0], sizeof(ps->challenge[0]));
	if (ps->nchallenges < QUIC_PATH_CHALLENGES)
		ps->nchallenges++;
	if (ps->probes < U8_MAX)
		ps->probes++;
	f = qs->outq.path_challenge;
	if (!f) {
		f = quic_frame_alloc(9, GFP_ATOMIC);
		if (!f)
			return;	/* the timer sends another */
		f->type = QUIC_FRAME_PATH_CHALLENGE;
		f->level = QUIC_CRYPTO_APP;
		f->buf[0] = QUIC_FRAME_PATH_CHALLENGE;
		quic_outq_add(sk, f);
		qs->outq.path_challenge = f;
	}
	memcpy(f->buf + 1, ps->challenge[0], 8);
}

/* the new address is not validated, or no longer being validated */
static void quic_path_validation_end(struct sock *sk)
{
	struct quic_paths *ps = &quic_sk(sk)->paths;

	ps->validating = 0;
	ps->nchallenges = 0;
	quic_timer_stop(sk, QUIC_TIMER_PATH);
}

/* RFC 9000 section 9.4: a new peer address, not only a new port, is a
 * new path: the congestion controller and the RTT estimate start again
 */
static void quic_path_reset_cong(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	quic_recovery_init(&qs->rec, qs->params.config.initial_smoothed_rtt);
	qs->rec.rtt_sampled = 0;
	quic_cong_restart(&qs->cong, qs->rec.smoothed_rtt);
}

/* the path left is the one to go back to, if it was validated; the UDP
 * socket (and its reference) and the route stay with the path in use
 */
static void quic_path_keep(struct quic_paths *ps, const struct quic_path *old)
{
	if (!old->validated)
		return;
	ps->alt = *old;
	ps->alt.udp_sk = NULL;
	ps->alt.dst = NULL;
	ps->has_alt = 1;
}

/**
 * quic_path_migrate - the client's newest non-probing packet came from
 * @from: the connection moves there, RFC 9000 section 9.3
 * @sk: the socket, locked; a server's, its handshake complete
 * @from: the client's new address
 * @len: the datagram's length, for the anti-amplification limit
 *
 * Context: softirq or process, the socket locked; does not sleep.
 */
void quic_path_migrate(struct sock *sk, const union quic_addr *from, u32 len)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_paths *ps = &qs->paths;
	struct quic_path old = ps->act;
	bool same_host = quic_addr_same_host(from, &old.peer);

	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_MIGRATIONS);
	dst_release(old.dst);
	ps->act.dst = NULL;
	/* back to the address in use before, validated: section 9.3 lets
	 * an address seen recently skip validation
	 */
	if (ps->has_alt && quic_addr_equal(from, &ps->alt.peer)) {
		ps->act = ps->alt;
		ps->act.udp_sk = old.udp_sk;
		ps->has_alt = 0;
		quic_path_keep(ps, &old);
		quic_path_validation_end(sk);
		if (!same_host)
			quic_path_reset_cong(sk);
		quic_path_switched(sk, QUIC_PATH_EV_RETURNED, old.validated);
		return;
	}

	/* a path never validated is not kept: the one before it stays */
	quic_path_keep(ps, &old);
	ps->act.peer = *from;
	ps->act.amp_recv = len;
	ps->act.amp_sent = 0;
	ps->act.validated = 0;
	if (!same_host)
		quic_path_reset_cong(sk);

	ps->validating = 1;
	ps->nchallenges = 0;
	ps->probes = 0;
	quic_path_challenge(sk);
	/* section 8.2.4: three times the larger of the PTO and that of a
	 * new path (kInitialRtt and half of it as rttvar: 3 * 333 ms)
	 */
	ps->deadline = jiffies +
		       usecs_to_jiffies(3 * max_t(u32, quic_rtx_pto(qs),
						  3 * QUIC_INITIAL_RTT));
	quic_timer_set(sk, QUIC_TIMER_PATH,
		       jiffies + usecs_to_jiffies(quic_rtx_pto(qs)));
	quic_path_switched(sk, QUIC_PATH_EV_MIGRATED, false);
}

/* a PATH_RESPONSE: it validates the path in use if it echoes one of our
 * latest challenges on it, RFC 9000 section 8.2.3
 */
void quic_path_rcv_response(struct sock *sk, const u8 *data)
{
	struct quic_paths *ps = &quic_sk(sk)->paths;
	int i;

	if (!ps->validating)
		return;
	for (i = 0; i < ps->nchallenges; i++) {
		if (!crypto_memneq(data, ps->challenge[i], 8)) {
			quic_path_validated(&ps->act);
			quic_path_validation_end(sk);
			quic_path_switched(sk, QUIC_PATH_EV_VALIDATED, true);
			return;
		}
	}
}

/**
 * quic_path_fire - the path validation timer: another challenge, or, at
 * the deadline, the validation failed and the connection goes back to the
 * address it had (RFC 9000 section 9.3.2); without one validated, it
 * ends, silently (section 8.2.4)
 * @sk: the socket, locked
 */
void quic_path_fire(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_paths *ps = &qs->paths;
	struct quic_path bad;
	u64 wait;

	if (!ps->validating)
		return;
	if (sk->sk_state != QUIC_SS_ESTABLISHED || qs->conn.closing) {
		quic_path_validation_end(sk);
		return;
	}
	/* section 8.2.1: no more often than Initials would be sent, the
	 * PTO doubling each time
	 */
	if (time_before(jiffies, ps->deadline)) {
		wait = min_t(u64, (u64)quic_rtx_pto(qs) <<
				  min_t(u8, ps->probes, 8), U32_MAX);
		quic_path_challenge(sk);
		quic_timer_set(sk, QUIC_TIMER_PATH,
			       min(ps->deadline,
				   jiffies + usecs_to_jiffies(wait)));
		quic_output(sk);
		return;
	}
	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_PATHFAILURES);
	quic_path_validation_end(sk);
	trace_quic_path(sk, &ps->act.peer, QUIC_PATH_EV_FAILED);
	if (!ps->has_alt) {
		qs->conn.draining = 1;
		quic_conn_closed(sk, ETIMEDOUT);
		return;
	}
	bad = ps->act;
	dst_release(bad.dst);
	ps->act = ps->alt;
	ps->act.udp_sk = bad.udp_sk;
	ps->has_alt = 0;
	quic_path_init(&ps->alt);
	if (!quic_addr_same_host(&bad.peer, &ps->act.peer))
		quic_path_reset_cong(sk);
	quic_path_switched(sk, QUIC_PATH_EV_RETURNED, false);
	quic_output(sk);
}
