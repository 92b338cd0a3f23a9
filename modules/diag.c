// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * quic_diag.ko: sock_diag (inet_diag) for IPPROTO_QUIC sockets, a module
 * of its own as sctp_diag and mptcp_diag are.  IPPROTO_QUIC (261) does
 * not fit in inet_diag_req_v2's sdiag_protocol: a request names it in an
 * INET_DIAG_REQ_PROTOCOL attribute, which inet_diag takes since 5.9.
 *
 * A reply has the standard inet_diag message and attributes, and in
 * INET_DIAG_INFO a struct quic_info (include/uapi/linux/quic.h).  As
 * /proc/net/quic, the walks hold one socket at a time and fill its
 * message under its lock.  Who may see what: every user sees every
 * socket of the namespace, with its addresses, state, queues, uid and
 * inode (as for TCP); the memory details and the connection IDs only
 * the socket's owner and CAP_NET_ADMIN.
 */

#include <linux/inet_diag.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/quic.h>
#include <linux/sock_diag.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "compat.h"
#include "listen.h"
#include "proc.h"
#include "protocol.h"
#include "socket.h"

/* what a fill needs besides the socket */
struct quic_diag_ctx {
	struct sk_buff			*skb;	/* the reply */
	const struct inet_diag_req_v2	*req;
	const struct nlmsghdr		*unlh;	/* the request */
	struct user_namespace		*user_ns;
	kuid_t				uid;	/* the requester's */
	u32				portid;
	u16				flags;
	bool				net_admin;
};

static int quic_diag_fill(struct sock *sk, struct quic_diag_ctx *c)
{
	int ext = c->req->idiag_ext;
	struct inet_diag_msg *r;
	struct quic_info *info;
	struct nlmsghdr *nlh;
	struct nlattr *attr;
	bool full;
	u32 max;

	full = c->net_admin || uid_eq(sk_uid(sk), c->uid);
	nlh = nlmsg_put(c->skb, c->portid, c->unlh->nlmsg_seq,
			c->unlh->nlmsg_type, sizeof(*r), c->flags);
	if (!nlh)
		return -EMSGSIZE;
	r = nlmsg_data(nlh);
	inet_diag_msg_common_fill(r, sk);
	r->idiag_state = sk->sk_state;
	r->idiag_timer = 0;
	r->idiag_retrans = 0;
	r->idiag_expires = 0;
	/* a listener's queue as TCP's: waiting requests, and the limit */
	if (sk->sk_state == QUIC_SS_LISTENING) {
		r->idiag_rqueue = quic_sock_listen_queue(sk, &max);
		r->idiag_wqueue = max;
	} else {
		r->idiag_rqueue = sk_rmem_alloc_get(sk);
		r->idiag_wqueue = READ_ONCE(sk->sk_wmem_queued);
	}
	if (inet_diag_msg_attrs_fill(sk, c->skb, r, ext, c->user_ns,
				     c->net_admin))
		goto cancel;
	if (full && (ext & (1 << (INET_DIAG_MEMINFO - 1)))) {
		struct inet_diag_meminfo mi = {
			.idiag_rmem = sk_rmem_alloc_get(sk),
			.idiag_wmem = READ_ONCE(sk->sk_wmem_queued),
			.idiag_fmem = READ_ONCE(sk->sk_forward_alloc),
			.idiag_tmem = sk_wmem_alloc_get(sk),
		};

		if (nla_put(c->skb, INET_DIAG_MEMINFO, sizeof(mi), &mi))
			goto cancel;
	}
	if (full && (ext & (1 << (INET_DIAG_SKMEMINFO - 1))) &&
	    sock_diag_put_meminfo(sk, c->skb, INET_DIAG_SKMEMINFO))
		goto cancel;
	if (sk->sk_state != QUIC_SS_LISTENING &&
	    (ext & (1 << (INET_DIAG_INFO - 1)))) {
		attr = nla_reserve_64bit(c->skb, INET_DIAG_INFO, sizeof(*info),
					 INET_DIAG_PAD);
		if (!attr)
			goto cancel;
		info = nla_data(attr);
		quic_sock_info(sk, info, full);
	}
	if ((ext & (1 << (INET_DIAG_CONG - 1))) && quic_sk(sk)->cong.ops &&
	    nla_put_string(c->skb, INET_DIAG_CONG,
			   quic_sk(sk)->cong.ops->name))
		goto cancel;
	nlmsg_end(c->skb, nlh);
	return 0;
cancel:
	nlmsg_cancel(c->skb, nlh);
	return -EMSGSIZE;
}

/* the request's state, family and ports; the filter's bytecode */
static bool quic_diag_match(struct sock *sk, const struct inet_diag_req_v2 *r,
			    const struct inet_diag_dump_data *data)
{
	const struct inet_sock *inet = inet_sk(sk);

	if (!(r->idiag_states & (1 << sk->sk_state)))
		return false;
	if (r->sdiag_family != AF_UNSPEC && sk->sk_family != r->sdiag_family)
		return false;
	if (r->id.idiag_sport && r->id.idiag_sport != inet->inet_sport)
		return false;
	if (r->id.idiag_dport && r->id.idiag_dport != inet->inet_dport)
		return false;
	if (!data->inet_diag_nla_bc)
		return true;
#ifdef QUIC_HAVE_DIAG_BC_DUMP_DATA
	return inet_diag_bc_sk(data, sk);
#else
	return inet_diag_bc_sk(data->inet_diag_nla_bc, sk);
#endif
}

/* one socket, locked, unless it is being destroyed */
static int quic_diag_fill_locked(struct sock *sk, struct quic_diag_ctx *c)
{
	int err = 0;

	lock_sock(sk);
	if (!quic_sk(sk)->dead)
		err = quic_diag_fill(sk, c);
	release_sock(sk);
	return err;
}

static void quic_diag_ctx_init(struct quic_diag_ctx *c, struct sk_buff *in,
			       const struct nlmsghdr *nlh,
			       const struct inet_diag_req_v2 *req)
{
	struct sock *nlsk = NETLINK_CB(in).sk;

	c->req = req;
	c->unlh = nlh;
	c->user_ns = sk_user_ns(nlsk);
	c->uid = sk_uid(nlsk);
	c->portid = NETLINK_CB(in).portid;
	c->net_admin = netlink_net_capable(in, CAP_NET_ADMIN);
}

/* cb->args[0]: the index in the namespace's socket table to go on from */
static void quic_diag_dump(struct sk_buff *skb, struct netlink_callback *cb,
			   const struct inet_diag_req_v2 *r)
{
	struct inet_diag_dump_data *data = cb->data;
	struct net *net = sock_net(skb->sk);
	struct quic_diag_ctx c = { .skb = skb, .flags = NLM_F_MULTI };
	loff_t idx = cb->args[0];
	struct sock *sk = NULL;

	quic_diag_ctx_init(&c, cb->skb, cb->nlh, r);
	while ((sk = quic_sock_table_get(net, sk, idx))) {
		if (quic_diag_match(sk, r, data) &&
		    quic_diag_fill_locked(sk, &c) < 0) {
			sock_put(sk);	/* the next dump starts with it */
			break;
		}
		idx++;
		cond_resched();
	}
	cb->args[0] = idx;
}

/* the socket a dump_one request names: addresses, ports, cookie */
static bool quic_diag_is(struct sock *sk, const struct inet_diag_req_v2 *r)
{
	const struct inet_sock *inet = inet_sk(sk);

	if (sk->sk_family != r->sdiag_family ||
	    r->id.idiag_sport != inet->inet_sport ||
	    r->id.idiag_dport != inet->inet_dport ||
	    sock_diag_check_cookie(sk, r->id.idiag_cookie))
		return false;
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6)
		return !memcmp(r->id.idiag_src, &sk->sk_v6_rcv_saddr, 16) &&
		       !memcmp(r->id.idiag_dst, &sk->sk_v6_daddr, 16);
#endif
	return r->id.idiag_src[0] == inet->inet_rcv_saddr &&
	       r->id.idiag_dst[0] == inet->inet_daddr;
}

static int quic_diag_dump_one(struct netlink_callback *cb,
			      const struct inet_diag_req_v2 *req)
{
	struct sk_buff *in = cb->skb;
	struct net *net = sock_net(in->sk);
	struct quic_diag_ctx c = { };
	struct sock *sk = NULL;
	loff_t idx = 0;
	int err;

	while ((sk = quic_sock_table_get(net, sk, idx++)))
		if (quic_diag_is(sk, req))
			break;
	if (!sk)
		return -ENOENT;
	c.skb = nlmsg_new(nla_total_size(sizeof(struct inet_diag_msg)) +
			  inet_diag_msg_attrs_size() +
			  nla_total_size(sizeof(struct inet_diag_meminfo)) +
			  nla_total_size(SK_MEMINFO_VARS * sizeof(u32)) +
			  nla_total_size_64bit(sizeof(struct quic_info)) +
			  nla_total_size(QUIC_CONG_NAME_MAX) + 64, GFP_KERNEL);
	if (!c.skb) {
		sock_put(sk);
		return -ENOMEM;
	}
	quic_diag_ctx_init(&c, in, cb->nlh, req);
	err = quic_diag_fill_locked(sk, &c);
	sock_put(sk);
	if (err) {
		kfree_skb(c.skb);
		return err;
	}
	return nlmsg_unicast(net->diag_nlsk, c.skb, NETLINK_CB(in).portid);
}

static const struct inet_diag_handler quic_diag_handler = {
#ifdef QUIC_HAVE_INET_DIAG_OWNER	/* 6.9: handlers under RCU */
	.owner		 = THIS_MODULE,
#endif
	.dump		 = quic_diag_dump,
	.dump_one	 = quic_diag_dump_one,
	.idiag_type	 = IPPROTO_QUIC,
	.idiag_info_size = sizeof(struct quic_info),
};

static int __init quic_diag_init(void)
{
	return inet_diag_register(&quic_diag_handler);
}

static void __exit quic_diag_exit(void)
{
	inet_diag_unregister(&quic_diag_handler);
}

module_init(quic_diag_init);
module_exit(quic_diag_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("QUIC socket monitoring through sock_diag");
/* inet_diag asks for its handlers under AF_INET, whatever the family */
MODULE_ALIAS("net-pf-" __stringify(PF_NETLINK) "-proto-"
	     __stringify(NETLINK_SOCK_DIAG) "-type-" __stringify(AF_INET) "-"
	     __stringify(IPPROTO_QUIC));
