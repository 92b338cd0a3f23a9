/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC listeners (listen.c).
 */
#ifndef __QUIC_LISTEN_H
#define __QUIC_LISTEN_H

#include <linux/bits.h>
#include <linux/list.h>
#include <linux/siphash.h>
#include <linux/skbuff.h>

#include "connid.h"
#include "path.h"
#include "sockopt.h"
#include "udp.h"

struct socket;
struct quic_hdr;
struct quic_udp_sock;

/*
 * struct quic_request - a client Initial waiting on a listener for
 * accept(), with any Initial packets of the same client that follow
 * (charged to the listener's receive buffer).
 * @expires: jiffies after which it is dropped, unaccepted: the client
 *	gave up by then (the listener's idle timeout)
 */
struct quic_request {
	struct list_head	list;
	struct hlist_node	hnode;	/* in quic_listener->hash */
	unsigned long		expires;
	union quic_addr		peer;
	union quic_addr		local;
	struct quic_conn_id	dcid;	/* the DCID of the client's Initial */
	struct quic_conn_id	scid;
	struct quic_conn_id	odcid;	/* after a Retry: its first DCID */
	u32			version;
	u8			retried:1,	/* a Retry token came */
				validated:1,	/* a valid token came */
				refuse:1,	/* no listener's ALPN: refused
						 * by accept() with
						 * no_application_protocol
						 */
				taken:1;	/* accept() opens it: on the
						 * listener's list still, so
						 * that the client's datagrams
						 * join it until its socket's
						 * IDs lead them there
						 */
	u32			bytes;	/* truesize of @skbs, waiting on
					 * the UDP socket for the ALPN
					 */
	struct sk_buff_head	skbs;
};

#define QUIC_REQ_HASH_BITS	8
#define QUIC_REQ_HASH_SIZE	BIT(QUIC_REQ_HASH_BITS)

/*
 * struct quic_listener - what a listening socket has besides a socket:
 * allocated by its first listen(), freed with the socket.
 * @sk: the listening socket (no reference: the listener goes first)
 * @node: in its quic_udp_sock's listeners, which the receive path walks
 *	under RCU (hence @rcu)
 * @reqs: struct quic_request, oldest first
 * @hash: the same requests by their client's first DCID (keyed with
 *	@hkey, a secret: a client picks its DCIDs), so that a datagram finds
 *	its request at once, not by a walk of up to a backlog's worth (a
 *	flood of Initials walked the whole list for every one)
 * @nreqs: their count, at most the listen() backlog; their datagrams are
 *	charged to the listener's receive buffer, which bounds their bytes
 * @alpn: the ALPN list the socket had at listen() (QUIC_SOCKOPT_ALPN),
 *	@alpn_len bytes: the clients it takes when listeners share a port;
 *	constant while the listener is on the port (read under RCU)
 *
 * Locking: @node as quic_udp_sock->listeners; @reqs, @hash and @nreqs under
 * the socket spinlock (bh_lock_sock() in the receive path,
 * spin_lock_bh() on sk_lock.slock in process context).
 */
struct quic_listener {
	struct sock		*sk;
	struct hlist_node	node;
	struct list_head	reqs;
	struct hlist_head	hash[QUIC_REQ_HASH_SIZE];
	siphash_key_t		hkey;
	u32			nreqs;
	u32			alpn_len;
	char			alpn[QUIC_ALPN_MAX_LEN + 1];
	struct rcu_head		rcu;
};

int quic_inet_listen(struct socket *sock, int backlog);
#ifdef QUIC_HAVE_PROTO_ACCEPT_ARG
int quic_inet_accept(struct socket *sock, struct socket *newsock,
		     struct proto_accept_arg *arg);
#else
int quic_inet_accept(struct socket *sock, struct socket *newsock,
		     int flags, bool kern);
#endif
void quic_listener_stop(struct sock *sk);
void quic_listener_free(struct sock *sk);
bool quic_listener_pending(const struct sock *sk);
void quic_listen_rcv(struct quic_udp_sock *us, struct sk_buff *skb,
		     const struct quic_hdr *h, const union quic_addr *peer,
		     const union quic_addr *local);
void quic_udp_pending_purge(struct quic_udp_sock *us);
void quic_send_version_negotiation(struct sock *usk, struct quic_udp_sock *us,
				   struct sk_buff *skb,
				   const struct quic_hdr *h,
				   const union quic_addr *peer,
				   const union quic_addr *local);

#endif /* __QUIC_LISTEN_H */
