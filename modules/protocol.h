/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC protocol registration and per network namespace state.
 */
#ifndef __QUIC_PROTOCOL_H
#define __QUIC_PROTOCOL_H

#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/percpu_counter.h>
#include <linux/ratelimit.h>
#include <linux/rhashtable-types.h>
#include <linux/siphash.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "token.h"

struct quic_mib;
struct proc_dir_entry;
struct ctl_table_header;

#define QUIC_UDP_HASH_BITS	6

/*
 * struct quic_net - per network namespace state.
 * @udp_lock: serialises lookups, insertion and removal in @udp_socks and
 *	the taking of a quic_udp_sock's references (udp.h).
 * @udp_socks: the UDP tunnel sockets in use, hashed by local port.
 * @udp_releasing: unpublished ones whose release is still queued.
 * @cids: the source connection IDs of every connection (connid.c).
 * @resets: the peer's stateless reset tokens of every connection (connid.c).
 * @reset_rl: how many Stateless Resets go out (input.c).
 * @reset_key: keys of the stateless reset token hash, fixed at creation.
 * @token_keys: the keys of address validation tokens (token.c).
 * @ticket_key: key of the session ticket key derivation (session.c),
 *	fixed at creation.
 * @sock_lock: protects @socks and @nsocks.
 * @socks: every QUIC socket of the namespace, from its creation to its
 *	release (sk_prot->hash and ->unhash), for the operators' tools.
 * @nsocks: their number.
 * @orphans: closed sockets lingering in their closing or draining period.
 * @mib: the counters (mib.h), per CPU.
 * @proc: /proc/net/quic (proc.c).
 * @sysctl_hdr: /proc/sys/net/quic, the namespace's part (sysctl.c).
 * @rmem, @wmem: net.quic.rmem and net.quic.wmem: @rmem_own and @wmem_own,
 *	or in the initial namespace sysctl_quic_rmem and sysctl_quic_wmem
 * @max_orphans: net.quic.max_orphans
 * @max_requests: net.quic.max_requests
 * @cong_algo: net.quic.congestion_control, a QUIC_CONG_ALG_* number
 *
 * The sysctls are read with READ_ONCE(): a write may come at any time.
 */
struct quic_net {
	struct mutex		udp_lock;	/* see above */
	struct hlist_head	udp_socks[1 << QUIC_UDP_HASH_BITS];
	atomic_t		udp_releasing;	/* queued on quic_udp_wq */
	struct rhashtable	cids;
	struct rhashtable	resets;
	struct ratelimit_state	reset_rl;
	siphash_key_t		reset_key[2];
	siphash_key_t		ticket_key;
	struct quic_token_keys	token_keys;
	spinlock_t		sock_lock;	/* see above */
	struct hlist_head	socks;
	u32			nsocks;
	atomic_t		orphans;
	struct quic_mib __percpu *mib;
	struct proc_dir_entry	*proc;
	struct ctl_table_header	*sysctl_hdr;
	int			*rmem;
	int			*wmem;
	int			rmem_own[3];
	int			wmem_own[3];
	int			max_orphans;
	int			max_requests;
	u8			cong_algo;
};

extern unsigned int quic_net_id;

static inline struct quic_net *quic_net(struct net *net)
{
	return net_generic(net, quic_net_id);
}

struct sock;

/*
 * Memory accounting, shared by QUIC and QUICv6 sockets as TCP's is by
 * TCP and TCPv6 (struct proto's memory fields; protocol.c):
 * @sysctl_quic_mem: net.quic.mem, pages: below [0] no pressure, above [1]
 *	pressure, above [2] no allocation beyond a socket's minimum
 * @sysctl_quic_rmem, @sysctl_quic_wmem: net.quic.rmem and net.quic.wmem
 *	of the initial namespace (the others have theirs in struct quic_net),
 *	bytes: [0] what a socket may hold under pressure (the initial
 *	namespace's for all: struct proto reads it), [1] its default buffer
 *	size, [2] the largest the stack would choose by itself (unused:
 *	buffers are not tuned automatically yet)
 * @sysctl_quic_token_key_lifetime: net.quic.token_key_lifetime, seconds
 *	an address validation token key makes tokens (then checks them for
 *	as long again) before it is replaced (token.c)
 */
extern long sysctl_quic_mem[3];
extern int sysctl_quic_rmem[3];
extern int sysctl_quic_wmem[3];
extern int sysctl_quic_token_key_lifetime;
extern atomic_long_t quic_memory_allocated;
DECLARE_PER_CPU(int, quic_memory_per_cpu_fw_alloc);
extern struct percpu_counter quic_sockets_allocated;
extern unsigned long quic_memory_pressure;
void quic_enter_memory_pressure(struct sock *sk);

/* sysctl.c */
int quic_sysctl_register(void);
void quic_sysctl_unregister(void);
int quic_sysctl_net_init(struct net *net);
void quic_sysctl_net_exit(struct net *net);

void quic_sock_table_add(struct sock *sk);
void quic_sock_table_del(struct sock *sk);
int quic_sock_table_walk(struct net *net,
			 int (*fn)(struct sock *sk, void *arg), void *arg);
struct sock *quic_sock_table_get(struct net *net, struct sock *prev,
				 loff_t idx);

#endif /* __QUIC_PROTOCOL_H */
