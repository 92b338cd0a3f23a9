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
#include <linux/hrtimer.h>
#include <linux/workqueue.h>

#include "cong.h"
#include "conn.h"
#include "connid.h"
#include "crypto.h"
#include "frame.h"
#include "input.h"
#include "output.h"
#include "path.h"
#include "udp.h"
#include "pnspace.h"
#include "recovery.h"
#include "session.h"
#include "sockopt.h"
#include "stream.h"
#include "timer.h"

struct quic_listener;

/* Socket states, on TCP's numbers so that inet helpers read them right. */
enum quic_state {
	QUIC_SS_CLOSED		= TCP_CLOSE,
	QUIC_SS_LISTENING	= TCP_LISTEN,
	QUIC_SS_ESTABLISHING	= TCP_SYN_SENT,
	QUIC_SS_ESTABLISHED	= TCP_ESTABLISHED,
};

/* what a queued skb holds for the reader */
enum quic_rcv_kind {
	QUIC_RCV_STREAM,
	QUIC_RCV_CRYPTO,
	QUIC_RCV_EVENT,
	QUIC_RCV_DATAGRAM,
};

/*
 * struct quic_skb_cb - per-skb state, on the receive side.
 * @offset: STREAM and CRYPTO data: offset of the first byte
 * @stream_id: STREAM data: the stream
 * @level: CRYPTO data: the crypto level it arrived at
 * @fin: STREAM data: the stream ends with this skb
 */
struct quic_skb_cb {
	u64	offset;
	s64	stream_id;
	u8	kind;
	u8	level;
	u8	fin:1;
};

#define QUIC_SKB_CB(skb)	((struct quic_skb_cb *)&((skb)->cb[0]))

/*
 * struct quic_sock - a QUIC socket: one connection, or a listener.
 *
 * Locking: everything below @inet is read and written under the socket
 * lock: lock_sock() in process context, bh_lock_sock() in softirq when
 * the socket is not owned by a user (packets for an owned socket wait on
 * its backlog; timer work is deferred to release_sock(), timer.c).
 * @udp_sk's listeners list is RCU; @reqs is also under bh_lock_sock().
 *
 * Teardown (quic_destroy_sock()): the receive path, the timers and the
 * work items may hold a reference taken before the socket was closed (a
 * connection ID lookup in softirq, an armed timer).  @dead is set under
 * the socket lock before any connection state is freed, and each of them
 * checks it (quic_sk_live()) under the same lock before touching that
 * state; the source connection IDs are unpublished in the same section,
 * so that no new lookup finds the socket.
 */
struct quic_sock {
	struct inet_sock		inet;

	struct quic_params		params;
	struct quic_paths		paths;

	struct quic_conn		conn;
	struct quic_conn_ids		cids;
	struct quic_crypto		crypto[QUIC_CRYPTO_MAX];
	struct quic_pnspace		space[QUIC_PNSPACE_MAX];
	struct quic_outq		outq;
	struct quic_inq			inq;
	struct quic_stream_table	streams;
	struct quic_session		session;

	struct quic_recovery		rec;
	struct quic_cong		cong;
	struct quic_timers		timers;

	bool				dead;		/* being destroyed */
	bool				lingering;	/* closed, in its
							 * closing or draining
							 * period
							 */

	struct quic_listener		*listener;	/* by listen() */
	struct hlist_node		table_node;	/* quic_net socks */
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
void quic6_prot_init(void);
extern const struct proto_ops quic_proto_ops;
extern const struct proto_ops quic6_proto_ops;

/* May a timer, a work item or a datagram act on this connection?  Call
 * with the socket locked (owner or bh_lock_sock()).
 */
static inline bool quic_sk_live(const struct sock *sk)
{
	return !quic_sk(sk)->dead && sk->sk_state != QUIC_SS_CLOSED;
}

static inline bool quic_is_serv(const struct sock *sk)
{
	return quic_sk(sk)->conn.is_serv;
}

/* the packet number space of a crypto level: 0-RTT shares 1-RTT's */
static inline u8 quic_level_space(u8 level)
{
	return level == QUIC_CRYPTO_EARLY ? QUIC_CRYPTO_APP : level;
}

/* socket.c */
int quic_init_sock(struct sock *sk);
void quic_set_local(struct sock *sk, const union quic_addr *a);
void quic_set_peer_inet(struct sock *sk, const union quic_addr *a);
int quic_autobind(struct sock *sk);
void quic_close_linger_end(struct sock *sk);

#endif /* __QUIC_SOCKET_H */
