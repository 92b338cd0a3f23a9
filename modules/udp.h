/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC's UDP tunnel sockets (udp.c): the kernel UDP sockets QUIC sockets
 * send and receive on.
 */
#ifndef __QUIC_UDP_H
#define __QUIC_UDP_H

#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/workqueue.h>

#include "family.h"

/*
 * struct quic_udp_sock - a kernel UDP socket shared by the QUIC sockets
 * bound to the same local address and port in one network namespace.
 *
 * Locking: @node and @refcnt change only under quic_net->udp_lock (a mutex:
 * creating and releasing the UDP socket sleeps), so a lookup under that
 * mutex never sees an entry whose last reference is being dropped (that
 * one is unpublished under the mutex, and released then or from
 * quic_udp_wq: @release).  @sock and @addr are set before the entry is
 * published and are constant after.
 * The receive path reaches the entry through sk_user_data under RCU;
 * @listeners (listening quic_socks) is written under the owning net's
 * udp_lock and read under RCU.  @pend_lock is taken before a listener's
 * socket spinlock (bh_lock_sock()), never after it.
 */
struct quic_udp_sock {
	struct hlist_node	node;
	refcount_t		refcnt;
	struct socket		*sock;
	union quic_addr		addr;	/* bound address, with the actual port */
	bool			v6only;
	int			ifindex;	/* the bound device, 0: none */
	bool			ephemeral;	/* the port was ours to choose */
	struct hlist_head	listeners;	/* RCU; under udp_lock */
	spinlock_t		pend_lock;	/* @pending, @pend_bytes */
	struct list_head	pending;	/* struct quic_request whose
						 * ClientHello is not all
						 * there, when listeners
						 * share the port by ALPN
						 * (listen.c)
						 */
	u32			pend_bytes;
	u32			npending;
	struct net		*net;
	struct work_struct	release;
};

extern struct workqueue_struct *quic_wq, *quic_udp_wq;

int quic_udp_sock_get(struct net *net, const union quic_addr *addr,
		      bool v6only, int ifindex, struct quic_udp_sock **usp);
void quic_udp_sock_put(struct quic_udp_sock *us);
void quic_udp_sock_hold(struct net *net, struct quic_udp_sock *us);
int quic_udp_sock_listen(struct net *net, struct quic_udp_sock *us,
			 struct hlist_node *node, bool add,
			 bool (*conflict)(struct hlist_node *node,
					  struct hlist_node *other));

#endif /* __QUIC_UDP_H */
