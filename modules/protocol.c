// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QUIC: module init and exit, per network namespace state and the
 * registration of IPPROTO_QUIC with AF_INET and AF_INET6.
 */

#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/nsproxy.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/swap.h>
#include <net/inet_common.h>
#include <net/protocol.h>
#include <net/transp_v6.h>

#include "compat.h"
#include "cong.h"
#include "connid.h"
#include "crypto.h"
#include "frame.h"
#include "mib.h"
#include "proc.h"
#include "protocol.h"
#include "socket.h"
#include "stream.h"

unsigned int quic_net_id __read_mostly;

atomic_long_t quic_memory_allocated ____cacheline_aligned_in_smp;
DEFINE_PER_CPU(int, quic_memory_per_cpu_fw_alloc);
struct percpu_counter quic_sockets_allocated ____cacheline_aligned_in_smp;
unsigned long quic_memory_pressure __read_mostly;

void quic_enter_memory_pressure(struct sock *sk)
{
	WRITE_ONCE(quic_memory_pressure, 1);
}

/* as TCP's and SCTP's: 1/16 of the memory above the high water mark in
 * pressure, 1/8 the hard limit, at least 128 pages
 */
static void quic_memory_init(void)
{
	unsigned long limit = max(nr_free_buffer_pages() / 16, 128UL);

	sysctl_quic_mem[0] = limit / 4 * 3;
	sysctl_quic_mem[1] = limit;
	sysctl_quic_mem[2] = sysctl_quic_mem[0] * 2;
}

/* quic_wq: the ends of closing periods (socket.c); quic_udp_wq: releases
 * of UDP tunnel sockets (udp.c), which the former may wait for
 */
struct workqueue_struct *quic_wq, *quic_udp_wq;

/* Stateless Resets a namespace sends a second, RFC 9000 section 10.3 */
#define QUIC_RESET_BURST	64

static int __net_init quic_net_init(struct net *net)
{
	struct quic_net *qn = quic_net(net);
	int i, err;

	mutex_init(&qn->udp_lock);
	spin_lock_init(&qn->sock_lock);
	INIT_HLIST_HEAD(&qn->socks);
	atomic_set(&qn->udp_releasing, 0);
	for (i = 0; i < ARRAY_SIZE(qn->udp_socks); i++)
		INIT_HLIST_HEAD(&qn->udp_socks[i]);
	get_random_bytes(qn->reset_key, sizeof(qn->reset_key));
	get_random_bytes(&qn->ticket_key, sizeof(qn->ticket_key));
	err = quic_token_keys_init(&qn->token_keys);
	if (err)
		return err;
	ratelimit_state_init(&qn->reset_rl, HZ, QUIC_RESET_BURST);
	ratelimit_set_flags(&qn->reset_rl, RATELIMIT_MSG_ON_RELEASE);
	err = quic_cid_table_init(&qn->cids);
	if (err)
		goto keys;
	err = quic_reset_table_init(&qn->resets);
	if (err)
		goto cids;
	err = quic_mib_net_init(net);
	if (err)
		goto resets;
	err = quic_proc_net_init(net);
	if (err)
		goto mib;
	err = quic_sysctl_net_init(net);
	if (err)
		goto proc;
	return 0;
proc:
	quic_proc_net_exit(net);
mib:
	quic_mib_net_exit(net);
resets:
	quic_cid_table_destroy(&qn->resets);
cids:
	quic_cid_table_destroy(&qn->cids);
keys:
	quic_token_keys_free(&qn->token_keys);
	return err;
}

static void __net_exit quic_net_exit(struct net *net)
{
	struct quic_net *qn = quic_net(net);
	int i;

	quic_sysctl_net_exit(net);
	quic_proc_net_exit(net);
	/* User sockets hold the netns, so none of theirs can be left here.
	 * Kernel sockets (__sock_create(..., kern=1)) do not: a consumer
	 * must release them from its own pernet exit, which runs before this
	 * one since the consumer registered after this module loaded.
	 */
	WARN_ON_ONCE(!hlist_empty(&qn->socks));
	/* the last releases of UDP sockets may still be pending */
	flush_workqueue(quic_udp_wq);
	for (i = 0; i < ARRAY_SIZE(qn->udp_socks); i++)
		WARN_ON_ONCE(!hlist_empty(&qn->udp_socks[i]));
	/* entries are freed after a grace period; the table is empty */
	rcu_barrier();
	quic_cid_table_destroy(&qn->cids);
	quic_cid_table_destroy(&qn->resets);
	quic_token_keys_free(&qn->token_keys);
	quic_mib_net_exit(net);
}

/**
 * quic_sock_table_add - put a new socket in its namespace's table
 * @sk: the socket
 *
 * Context: process context.
 */
void quic_sock_table_add(struct sock *sk)
{
	struct quic_net *qn = quic_net(sock_net(sk));

	spin_lock_bh(&qn->sock_lock);
	hlist_add_head(&quic_sk(sk)->table_node, &qn->socks);
	qn->nsocks++;
	spin_unlock_bh(&qn->sock_lock);
}

/* Take @sk out of the table; it may not be in it (never hashed). */
void quic_sock_table_del(struct sock *sk)
{
	struct quic_net *qn = quic_net(sock_net(sk));
	struct quic_sock *qs = quic_sk(sk);

	spin_lock_bh(&qn->sock_lock);
	if (!hlist_unhashed(&qs->table_node)) {
		hlist_del_init(&qs->table_node);
		qn->nsocks--;
	}
	spin_unlock_bh(&qn->sock_lock);
}

/**
 * quic_sock_table_walk - call @fn for each QUIC socket of @net
 * @net: the namespace
 * @fn: called under the table's lock (BH off): must not sleep; a
 *	non-zero return ends the walk
 * @arg: passed to @fn
 *
 * Return: what @fn returned last, or 0.
 */
int quic_sock_table_walk(struct net *net,
			 int (*fn)(struct sock *sk, void *arg), void *arg)
{
	struct quic_net *qn = quic_net(net);
	struct quic_sock *qs;
	int ret = 0;

	spin_lock_bh(&qn->sock_lock);
	hlist_for_each_entry(qs, &qn->socks, table_node) {
		ret = fn(&qs->inet.sk, arg);
		if (ret)
			break;
	}
	spin_unlock_bh(&qn->sock_lock);
	return ret;
}

/* the socket at @idx of @qn's table, or NULL; under sock_lock */
static struct quic_sock *quic_sock_table_nth(struct quic_net *qn, loff_t idx)
{
	struct quic_sock *qs;

	hlist_for_each_entry(qs, &qn->socks, table_node)
		if (!idx--)
			return qs;
	return NULL;
}

/**
 * quic_sock_table_get - take a reference on the next socket of a walk
 * @net: the namespace
 * @prev: the socket the walk is at, held by the caller (NULL: start at
 *	@idx); its reference is dropped
 * @idx: the index of the socket wanted: the walk goes on from @prev when
 *	it is still in the table, or else by index (a socket that is in the
 *	table all along a walk is seen, once unless others join or leave
 *	the table meanwhile, as with /proc/net/tcp)
 *
 * For walks that sleep between sockets (lock_sock(), copies to user
 * space): /proc/net/quic and sock_diag.  Context: process context.
 * Return: the socket, held (sock_put() it, or pass it back), or NULL.
 */
struct sock *quic_sock_table_get(struct net *net, struct sock *prev,
				 loff_t idx)
{
	struct quic_net *qn = quic_net(net);
	struct quic_sock *qs = NULL;

	spin_lock_bh(&qn->sock_lock);
	if (prev && !hlist_unhashed(&quic_sk(prev)->table_node))
		qs = hlist_entry_safe(quic_sk(prev)->table_node.next,
				      struct quic_sock, table_node);
	else	/* @prev left: its successor moved down one */
		qs = quic_sock_table_nth(qn, prev && idx ? idx - 1 : idx);
	if (qs)
		sock_hold(&qs->inet.sk);
	spin_unlock_bh(&qn->sock_lock);
	if (prev)
		sock_put(prev);
	return qs ? &qs->inet.sk : NULL;
}
EXPORT_SYMBOL_GPL(quic_sock_table_get);

/*
 * /sys/kernel/debug/quic/sockets: the reader's namespace's sockets, one
 * line each (state, family, local and peer port, then key=value fields:
 * recovery, queues, timers in microseconds from now), then their count.
 * For tests and debugging; operators read /proc/net/quic (proc.c).
 */
static struct dentry *quic_debugfs;

/* in microseconds from now: 0 when not armed, 1 when due */
static long quic_debugfs_timer_us(const struct timer_list *t)
{
	long d = (long)(READ_ONCE(t->expires) - jiffies);

	if (!timer_pending(t))
		return 0;
	return d > 0 ? (long)jiffies_to_usecs(d) : 1;
}

/* the first STREAM frame of @l (frames linked by their list member) */
static void quic_debugfs_frames(struct seq_file *m, const char *name,
				struct list_head *l)
{
	struct quic_frame *f;

	list_for_each_entry(f, l, list) {
		if (f->stream_id < 0)
			continue;
		seq_printf(m, " %s=%lld:%llu+%u", name, f->stream_id, f->offset,
			   f->data_len);
		return;
	}
	seq_printf(m, " %s=-", name);
}

/*
 * The source connection IDs by sequence number, "!" after one receive
 * lookups do not find (at most 8 shown); the 1-RTT key phases, "n" when
 * the next generation is ready, "o" the old one, and the packets that
 * failed authentication.  Under the socket's lock.
 */
static void quic_debugfs_ids_keys(struct seq_file *m, struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	const struct quic_crypto *c = &qs->crypto[QUIC_CRYPTO_APP];
	struct quic_cid *cid;
	int n = 0;

	seq_puts(m, " scids=");
	list_for_each_entry(cid, &qs->cids.scids.list, list) {
		if (n++ == 8) {
			seq_puts(m, ",...");
			break;
		}
		seq_printf(m, "%s%llu%s", n > 1 ? "," : "", cid->seq,
			   quic_cid_published(sock_net(sk), cid) ? "" : "!");
	}
	seq_printf(m, " kp=rx%u%s%s/tx%u%s%s authfail=%llu",
		   c->rx.phase, c->rx.next_ready ? "n" : "",
		   c->rx.old_ready ? "o" : "", c->tx.phase,
		   c->tx.next_ready ? "n" : "", c->tx.old_ready ? "o" : "",
		   c->rx_auth_failures);
}

/*
 * What only the socket's lock keeps still: the oldest STREAM data queued
 * and in flight (sender), the first two streams' receive state, the
 * connection IDs and key phases (quic_debugfs_ids_keys()).  Taken
 * with a trylock of the socket's spinlock, never waited for (the table's
 * lock is held): "busy" when the socket is in use.
 */
static void quic_debugfs_locked(struct seq_file *m, struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_pnspace *s = &qs->space[QUIC_CRYPTO_APP];
	struct quic_sent_packet *pkt;
	struct quic_stream *st;
	s64 id;

	if (!spin_trylock(&sk->sk_lock.slock))
		goto busy;
	if (sock_owned_by_user_nocheck(sk)) {
		spin_unlock(&sk->sk_lock.slock);
		goto busy;
	}
	quic_debugfs_frames(m, "queued", &qs->outq.frames[QUIC_CRYPTO_APP]);
	pkt = list_first_entry_or_null(&s->sent, struct quic_sent_packet,
				       list);
	if (pkt)
		seq_printf(m, " oldest_pn=%llu", pkt->pn);
	quic_debugfs_frames(m, "oldest", pkt ? &pkt->frames : &s->sent);
	for (id = 0; id < 2; id++) {
		st = quic_stream_find(&qs->streams, id);
		if (st)
			seq_printf(m, " st%lld=rcv:%llu/%llu/%u,snd:%llu/%llu/%u",
				   id, st->recv_offset, st->recv_highest,
				   skb_queue_len(&st->reorder), st->send_offset,
				   st->send_acked, st->send_inflight);
	}
	quic_debugfs_ids_keys(m, sk);
	spin_unlock(&sk->sk_lock.slock);
	return;
busy:
	seq_puts(m, " locked=busy");
}

static int quic_debugfs_sock(struct sock *sk, void *arg)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_timers *ts = &qs->timers;
	struct seq_file *m = arg;
	static const u8 sp[QUIC_PNSPACE_MAX] = {
		QUIC_CRYPTO_INITIAL, QUIC_CRYPTO_HANDSHAKE, QUIC_CRYPTO_APP,
	};
	char keys[4 * QUIC_PNSPACE_MAX];
	int i;

	/* read without the socket's lock: a snapshot for debugging, fields
	 * may be mid-update; the table's lock keeps the socket alive
	 */
	seq_printf(m, "%pK %u %u %u %u", sk, sk->sk_state, sk->sk_family,
		   ntohs(inet_sk(sk)->inet_sport),
		   ntohs(inet_sk(sk)->inet_dport));
	seq_printf(m, " inflight=%u cwnd=%u srtt=%u rttvar=%u pto=%u outq=%u unacked=%u wq=%d rm=%d drops=%d",
		   READ_ONCE(qs->rec.in_flight), READ_ONCE(qs->cong.cwnd),
		   READ_ONCE(qs->rec.smoothed_rtt), READ_ONCE(qs->rec.rttvar),
		   READ_ONCE(qs->rec.pto_count), READ_ONCE(qs->outq.bytes),
		   READ_ONCE(qs->outq.unacked), READ_ONCE(sk->sk_wmem_queued),
		   atomic_read(&sk->sk_rmem_alloc), sk_drops_read(sk));
	/* per space, Initial, Handshake, 1-RTT: receive and send keys
	 * ("r", "t"), discarded ("d"); the CRYPTO bytes taken in order
	 */
	for (i = 0; i < QUIC_PNSPACE_MAX; i++) {
		const struct quic_crypto *c = &qs->crypto[sp[i]];

		keys[4 * i] = quic_crypto_rx_ready(c) ? 'r' : '-';
		keys[4 * i + 1] = quic_crypto_tx_ready(c) ? 't' : '-';
		keys[4 * i + 2] = qs->space[sp[i]].discarded ? 'd' : '-';
		keys[4 * i + 3] = i + 1 < QUIC_PNSPACE_MAX ? '/' : 0;
	}
	seq_printf(m, " keys=%s crypto_in=%llu/%llu/%llu early=%u hs=%u%u",
		   keys, qs->inq.crypto_off[sp[0]], qs->inq.crypto_off[sp[1]],
		   qs->inq.crypto_off[sp[2]],
		   skb_queue_len_lockless(&qs->inq.early),
		   qs->conn.handshake_done, qs->conn.confirmed);
	quic_debugfs_locked(m, sk);
	seq_printf(m, " idle=%ld rtx=%ld ack=%ld pace=%lld deferred=%#lx owned=%d\n",
		   quic_debugfs_timer_us(&ts->t[QUIC_TIMER_IDLE]),
		   quic_debugfs_timer_us(&ts->t[QUIC_TIMER_RTX]),
		   quic_debugfs_timer_us(&ts->t[QUIC_TIMER_ACK]),
		   hrtimer_is_queued(&ts->pace) ?
		   ktime_us_delta(hrtimer_get_expires(&ts->pace), ktime_get()) :
		   0LL, READ_ONCE(ts->deferred), sock_owned_by_user_nocheck(sk));
	return 0;
}

static int quic_debugfs_socks_show(struct seq_file *m, void *v)
{
	struct net *net = current->nsproxy->net_ns;

	quic_sock_table_walk(net, quic_debugfs_sock, m);
	seq_printf(m, "sockets: %u\n", READ_ONCE(quic_net(net)->nsocks));
	seq_printf(m, "orphans: %d\n", atomic_read(&quic_net(net)->orphans));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(quic_debugfs_socks);

static struct pernet_operations quic_net_ops = {
	.init	= quic_net_init,
	.exit	= quic_net_exit,
	.id	= &quic_net_id,
	.size	= sizeof(struct quic_net),
};

static struct inet_protosw quic_protosw[] = {
	{
		.type		= SOCK_STREAM,
		.protocol	= IPPROTO_QUIC,
		.prot		= &quic_prot,
		.ops		= &quic_proto_ops,
	},
	{
		.type		= SOCK_DGRAM,
		.protocol	= IPPROTO_QUIC,
		.prot		= &quic_prot,
		.ops		= &quic_proto_ops,
	},
};

static struct inet_protosw quic6_protosw[] = {
	{
		.type		= SOCK_STREAM,
		.protocol	= IPPROTO_QUIC,
		.prot		= &quic6_prot,
		.ops		= &quic6_proto_ops,
	},
	{
		.type		= SOCK_DGRAM,
		.protocol	= IPPROTO_QUIC,
		.prot		= &quic6_prot,
		.ops		= &quic6_proto_ops,
	},
};

static int __init quic_init(void)
{
	int err, i, n4 = 0, n6 = 0;

#ifndef QUIC_HAVE_IPV6_PINFO_OFFSET
	/* inet6_sk_generic() looks for the ipv6_pinfo at the very end */
	BUILD_BUG_ON(offsetof(struct quic6_sock, inet6) +
		     sizeof(struct ipv6_pinfo) != sizeof(struct quic6_sock));
#endif
	quic_wq = alloc_workqueue("quic", WQ_UNBOUND, 0);
	if (!quic_wq)
		return -ENOMEM;
	quic_udp_wq = alloc_workqueue("quic_udp", WQ_UNBOUND, 0);
	if (!quic_udp_wq) {
		destroy_workqueue(quic_wq);
		return -ENOMEM;
	}
	err = quic_crypto_module_init();
	if (err)
		goto err_crypto;
	err = quic_cong_module_init();
	if (err)
		goto err_cong;
	quic_memory_init();
	err = percpu_counter_init(&quic_sockets_allocated, 0, GFP_KERNEL);
	if (err)
		goto err_counter;
	err = quic_sysctl_register();
	if (err)
		goto err_sysctl;
	err = proto_register(&quic_prot, 1);
	if (err)
		goto err_proto;
	quic6_prot_init();
	err = proto_register(&quic6_prot, 1);
	if (err)
		goto err_proto6;
	err = register_pernet_subsys(&quic_net_ops);
	if (err)
		goto err_pernet;

	/* sockets can be created from here on */
	for (; n4 < ARRAY_SIZE(quic_protosw); n4++)
		inet_register_protosw(&quic_protosw[n4]);
	for (; n6 < ARRAY_SIZE(quic6_protosw); n6++) {
		err = inet6_register_protosw(&quic6_protosw[n6]);
		if (err)
			goto err_protosw;
	}
	quic_debugfs = debugfs_create_dir("quic", NULL);
	debugfs_create_file("sockets", 0400, quic_debugfs, NULL,
			    &quic_debugfs_socks_fops);
	pr_info("QUIC: IPPROTO_QUIC %d sockets registered\n", IPPROTO_QUIC);
	return 0;

err_protosw:
	for (i = 0; i < n6; i++)
		inet6_unregister_protosw(&quic6_protosw[i]);
	for (i = 0; i < n4; i++)
		inet_unregister_protosw(&quic_protosw[i]);
	unregister_pernet_subsys(&quic_net_ops);
err_pernet:
	proto_unregister(&quic6_prot);
err_proto6:
	proto_unregister(&quic_prot);
err_proto:
	quic_sysctl_unregister();
err_sysctl:
	percpu_counter_destroy(&quic_sockets_allocated);
err_counter:
	quic_cong_module_exit();
err_cong:
	quic_crypto_module_exit();
err_crypto:
	destroy_workqueue(quic_udp_wq);
	destroy_workqueue(quic_wq);
	return err;
}

static void __exit quic_exit(void)
{
	int i;

	debugfs_remove_recursive(quic_debugfs);
	for (i = 0; i < ARRAY_SIZE(quic6_protosw); i++)
		inet6_unregister_protosw(&quic6_protosw[i]);
	for (i = 0; i < ARRAY_SIZE(quic_protosw); i++)
		inet_unregister_protosw(&quic_protosw[i]);
	unregister_pernet_subsys(&quic_net_ops);
	proto_unregister(&quic6_prot);
	proto_unregister(&quic_prot);
	/* connection IDs are freed after a grace period (connid.c) */
	rcu_barrier();
	quic_sysctl_unregister();
	percpu_counter_destroy(&quic_sockets_allocated);
	quic_cong_module_exit();
	quic_crypto_module_exit();
	destroy_workqueue(quic_udp_wq);
	destroy_workqueue(quic_wq);
}

module_init(quic_init);
module_exit(quic_exit);

MODULE_ALIAS("net-pf-" __stringify(PF_INET) "-proto-261");
MODULE_ALIAS("net-pf-" __stringify(PF_INET6) "-proto-261");
MODULE_DESCRIPTION("QUIC transport protocol (RFC 9000) sockets");
MODULE_LICENSE("GPL");
