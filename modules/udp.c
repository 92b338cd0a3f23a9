// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QUIC's UDP tunnel sockets, shared per network namespace, local address
 * and port.
 *
 * Several QUIC sockets may bind the same address and port; they share one
 * kernel UDP socket, found in quic_net->udp_socks.  A port held by a plain
 * UDP socket is not ours to share: creating the tunnel socket fails with
 * EADDRINUSE, as a second UDP bind would.
 */

#include <linux/hash.h>
#include <linux/slab.h>
#include <linux/skbuff.h>
#include <net/ipv6.h>
#include <net/udp_tunnel.h>

#include "compat.h"
#include "input.h"
#include "listen.h"
#include "protocol.h"
#include "socket.h"
#include "udp.h"

static struct hlist_head *quic_udp_head(struct quic_net *qn, __be16 port)
{
	return &qn->udp_socks[hash_32((__force u32)port, QUIC_UDP_HASH_BITS)];
}

/* the release of an ephemeral port's socket, unpublished already */
static void quic_udp_sock_release(struct work_struct *work)
{
	struct quic_udp_sock *us = container_of(work, struct quic_udp_sock,
						release);
	struct quic_net *qn = quic_net(us->net);

	/* clears sk_user_data and waits for readers in quic_udp_rcv() */
	udp_tunnel_sock_release(quic_udp_tunnel_arg(us->sock));
	quic_udp_pending_purge(us);
	kfree(us);
	atomic_dec(&qn->udp_releasing);
}

static int quic_udp_sock_create(struct net *net, const union quic_addr *addr,
				bool v6only, int ifindex,
				struct quic_udp_sock *us)
{
	struct udp_tunnel_sock_cfg tcfg = {};
	struct udp_port_cfg cfg = {};
	struct socket *sock;
	int err;

	if (addr->sa.sa_family == AF_INET) {
		cfg.family = AF_INET;
		cfg.local_ip = addr->v4.sin_addr;
		cfg.local_udp_port = addr->v4.sin_port;
	} else {
		cfg.family = AF_INET6;
		cfg.local_ip6 = addr->v6.sin6_addr;
		cfg.local_udp_port = addr->v6.sin6_port;
		cfg.ipv6_v6only = v6only;
	}
	cfg.bind_ifindex = ifindex;

	err = udp_sock_create(net, &cfg, &sock);
	if (err)
		return err;

	us->sock = sock;
	us->addr = *addr;
	us->v6only = v6only;
	us->ifindex = ifindex;
	/* the port the kernel chose when asked for an ephemeral one */
	if (addr->sa.sa_family == AF_INET)
		us->addr.v4.sin_port = inet_sk(sock->sk)->inet_sport;
	else
		us->addr.v6.sin6_port = inet_sk(sock->sk)->inet_sport;

	tcfg.sk_user_data = us;
	tcfg.encap_type = 1;
	tcfg.encap_rcv = quic_udp_rcv;
	setup_udp_tunnel_sock(net, quic_udp_tunnel_arg(sock), &tcfg);
	return 0;
}

/**
 * quic_udp_sock_get - find or create the UDP socket for a local address
 * @net: network namespace
 * @addr: local address; port 0 asks for a new socket on an ephemeral port
 * @v6only: for AF_INET6, whether the UDP socket takes IPv6 only
 * @ifindex: the device the socket is bound to (SO_BINDTODEVICE, a VRF),
 *	0 for none; an IPv6 link-local address's scope otherwise
 * @usp: the referenced socket on success
 *
 * Sockets are shared by address, @v6only and device: QUIC sockets bound
 * to different devices (or VRFs) have UDP sockets of their own, as UDP
 * sockets bound to different devices may share a port.
 *
 * Context: process context, may sleep.
 * Return: 0, or a negative errno (EADDRINUSE when a socket other than a
 * QUIC tunnel holds the address).
 */
int quic_udp_sock_get(struct net *net, const union quic_addr *addr,
		      bool v6only, int ifindex, struct quic_udp_sock **usp)
{
	struct quic_net *qn = quic_net(net);
	__be16 port = quic_addr_port(addr);
	struct quic_udp_sock *us;
	int err;

	if (!ifindex && addr->sa.sa_family == AF_INET6)
		ifindex = addr->v6.sin6_scope_id;

	mutex_lock(&qn->udp_lock);
	if (port) {
		hlist_for_each_entry(us, quic_udp_head(qn, port), node) {
			if (quic_addr_equal(&us->addr, addr) &&
			    us->v6only == v6only && us->ifindex == ifindex) {
				refcount_inc(&us->refcnt);
				*usp = us;
				err = 0;
				goto out;
			}
		}
	}

	us = kzalloc(sizeof(*us), GFP_KERNEL);
	if (!us) {
		err = -ENOMEM;
		goto out;
	}
	err = quic_udp_sock_create(net, addr, v6only, ifindex, us);
	if (err == -EADDRINUSE && port && atomic_read(&qn->udp_releasing)) {
		/* the port may be one of ours, still being released */
		flush_workqueue(quic_udp_wq);
		err = quic_udp_sock_create(net, addr, v6only, ifindex, us);
	}
	if (err) {
		kfree(us);
		goto out;
	}
	refcount_set(&us->refcnt, 1);
	INIT_HLIST_HEAD(&us->listeners);
	spin_lock_init(&us->pend_lock);
	INIT_LIST_HEAD(&us->pending);
	INIT_WORK(&us->release, quic_udp_sock_release);
	us->net = net;
	us->ephemeral = !port;
	hlist_add_head(&us->node, quic_udp_head(qn, quic_addr_port(&us->addr)));
	*usp = us;
out:
	mutex_unlock(&qn->udp_lock);
	return err;
}

/**
 * quic_udp_sock_put - drop a reference taken by quic_udp_sock_get()
 * @us: the UDP socket
 *
 * The last reference unpublishes the socket.  One on a port the user
 * chose is released before returning, so the port can be bound again at
 * once by anyone.  One on an ephemeral port (a client's) is released from
 * quic_udp_wq, as udp_tunnel_sock_release() waits for an RCU grace period,
 * which close() should not; a bind() of ours to that very port meanwhile
 * waits for it.
 *
 * Context: process context, may sleep.
 */
void quic_udp_sock_put(struct quic_udp_sock *us)
{
	struct quic_net *qn = quic_net(us->net);

	if (!refcount_dec_and_mutex_lock(&us->refcnt, &qn->udp_lock))
		return;
	hlist_del(&us->node);
	if (us->ephemeral) {
		atomic_inc(&qn->udp_releasing);
		queue_work(quic_udp_wq, &us->release);
	} else {
		udp_tunnel_sock_release(quic_udp_tunnel_arg(us->sock));
		quic_udp_pending_purge(us);
		kfree(us);
	}
	mutex_unlock(&qn->udp_lock);
}

/* another reference, for a socket created by accept() */
void quic_udp_sock_hold(struct net *net, struct quic_udp_sock *us)
{
	struct quic_net *qn = quic_net(net);

	mutex_lock(&qn->udp_lock);
	refcount_inc(&us->refcnt);
	mutex_unlock(&qn->udp_lock);
}

/**
 * quic_udp_sock_listen - add or remove a listener; readers see it under RCU
 * @net: the namespace of @us
 * @us: the UDP socket
 * @node: the listener's node
 * @add: add it, or remove it (removing one not on the list is a no-op)
 * @conflict: when adding, whether a listener already there (@other)
 *	forbids it; may be NULL
 *
 * Context: process context, may sleep.
 * Return: 0, or -EADDRINUSE when @conflict said so for a listener there.
 */
int quic_udp_sock_listen(struct net *net, struct quic_udp_sock *us,
			 struct hlist_node *node, bool add,
			 bool (*conflict)(struct hlist_node *node,
					  struct hlist_node *other))
{
	struct quic_net *qn = quic_net(net);
	struct hlist_node *other;
	int err = 0;

	mutex_lock(&qn->udp_lock);
	if (!add) {
		hlist_del_init_rcu(node);
		goto out;
	}
	hlist_for_each(other, &us->listeners) {
		if (other != node && conflict && conflict(node, other)) {
			err = -EADDRINUSE;
			goto out;
		}
	}
	hlist_add_head_rcu(node, &us->listeners);
out:
	mutex_unlock(&qn->udp_lock);
	return err;
}
