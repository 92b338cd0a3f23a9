/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC output (output.c): the packetizer and the send side.
 */
#ifndef __QUIC_OUTPUT_H
#define __QUIC_OUTPUT_H

#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/scatterlist.h>
#include <linux/types.h>

#include "pnspace.h"

struct sock;
struct quic_sock;
struct quic_frame;

#define QUIC_TX_SG		32	/* at most 29 frames a packet */

/*
 * struct quic_outq - the send side of a connection: frames waiting to be
 * packetized, per packet number space, and what is being sent.
 *
 * Locking: the socket lock.  Frames are queued by frame.c and taken by
 * output.c; recovery.c puts lost ones back.
 * @frames: queued frames (struct quic_frame), per space
 * @crypto_off: per space, the CRYPTO stream offset of the next byte queued
 * @seq: the next frame's queueing order (struct quic_frame.seq)
 * @path_response: the PATH_RESPONSE frame in @frames, not sent yet, if any
 * @path_challenge: the same for PATH_CHALLENGE (path.c)
 *	(frame.c: one waits at most)
 * @bytes: STREAM bytes queued, not sent
 * @unacked: STREAM bytes given by the user (sendmsg() adds them) and not
 *	yet acknowledged (recovery.c takes them off)
 * @crypto_unacked: handshake bytes given by the user (CRYPTO frames, all
 *	levels) and not yet acknowledged or discarded with their space;
 *	sendmsg() keeps it within the send buffer
 * @dgram_bytes: bytes of the DATAGRAM frames (RFC 9221) given by the user
 *	and not freed yet: queued, or in flight until acknowledged or lost
 *	(never sent again); sendmsg() keeps it within the send buffer, apart
 *	from the stream data's room (quic_frame_free() takes them off)
 * @pace_next: the earliest time of the next send (pacing)
 * @sg: the plaintext of the packet being protected: its header in the
 *	skb, then the queued frames' own buffers
 */
struct quic_outq {
	struct list_head	frames[QUIC_PNSPACE_MAX];
	u64			crypto_off[QUIC_PNSPACE_MAX];
	struct quic_frame	*path_response;
	struct quic_frame	*path_challenge;
	u32			seq;
	u32			bytes;
	u32			unacked;
	u32			crypto_unacked;
	u32			dgram_bytes;
	ktime_t			pace_next;
	struct scatterlist	sg[QUIC_TX_SG];
};

void quic_output(struct sock *sk);
u32 quic_output_dgram_max(const struct quic_sock *qs);
int quic_output_probe(struct sock *sk);
u8 quic_space_tx_level(struct quic_sock *qs, u8 sp);
void quic_ack_fire(struct sock *sk);
void quic_output_close(struct sock *sk);

#endif /* __QUIC_OUTPUT_H */
