/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC input (input.c): the parsed packet header, and the effects of
 * received frames that the decoders in frame.c hand over.  Each runs
 * with the socket locked and returns 0 or a transport error code (or
 * -EAGAIN, -ECONNRESET as documented).
 */
#ifndef __QUIC_INPUT_H
#define __QUIC_INPUT_H

#include <linux/skbuff.h>
#include <linux/types.h>

#include "packet.h"
#include "pnspace.h"

struct sock;
struct quic_rx;
struct quic_connection_close;

/*
 * struct quic_inq - the receive side of a connection that is not a
 * stream's: CRYPTO data out of order, packets waiting for their keys.
 *
 * Locking: the socket lock.  Owned by input.c, but for @waiters, which
 * recvmsg() and sendmsg() count themselves in.
 * @crypto_off: per space, the CRYPTO stream offset expected next
 * @crypto_reorder: per space, CRYPTO data past it, ascending
 * @early: packets that came before their keys, RFC 9001 section 5.7
 * @waiters: tasks asleep in recvmsg()/sendmsg(): datagrams then wait on
 *	the backlog and are processed (decrypted) by the woken task, on its
 *	CPU, rather than in the softirq of the CPU they arrived on
 */
struct quic_inq {
	u64			crypto_off[QUIC_PNSPACE_MAX];
	struct sk_buff_head	crypto_reorder[QUIC_PNSPACE_MAX];
	struct sk_buff_head	early;
	u16			waiters;
};

int quic_rcv_crypto(struct sock *sk, struct quic_rx *rx, u64 off,
		    const u8 *data, u64 len);
int quic_rcv_stream(struct sock *sk, struct quic_rx *rx, u64 id, u64 off,
		    const u8 *data, u64 len, bool fin);

int quic_udp_rcv(struct sock *usk, struct sk_buff *skb);
int quic_backlog_rcv(struct sock *sk, struct sk_buff *skb);
void quic_rcv_datagram(struct sock *sk, struct sk_buff *skb);
void quic_rcv_early(struct sock *sk, u8 level);
struct sk_buff *quic_rcv_stream_tail(struct sock *sk, s64 id);
bool quic_rcv_append(struct sock *sk, struct sk_buff *skb);
bool quic_rmem_charge(struct sock *sk, struct sk_buff *skb, bool force);
void quic_rmem_own(struct sock *sk, struct sk_buff *skb);
void quic_rcv_purge(struct sock *sk);

#endif /* __QUIC_INPUT_H */
