/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC packet number spaces (RFC 9000 section 12.3): what we sent and
 * await acknowledgment for, and what we received and must acknowledge.
 */
#ifndef __QUIC_PNSPACE_H
#define __QUIC_PNSPACE_H

#include <linux/bitmap.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/types.h>

/* Spaces are indexed like enum quic_crypto_level: APP 0 (with 0-RTT),
 * INITIAL 1, HANDSHAKE 2.
 */
#define QUIC_PNSPACE_MAX	3

/* received packet number ranges kept for ACK frames */
#define QUIC_RANGES_MAX		32
/* packet numbers below the largest one processed whose fate is known:
 * older ones are duplicates (RFC 9000 section 12.3), like IPsec's replay
 * window (RFC 4303 section 3.4.3)
 */
#define QUIC_RX_WINDOW		1024

struct quic_range {
	u64	start;
	u64	end;	/* inclusive */
};

/*
 * struct quic_sent_packet - a packet in flight or awaiting acknowledgment
 * @frames: struct quic_frame it carried, to be freed when acknowledged
 *	or queued again when lost
 */
struct quic_sent_packet {
	struct list_head	list;
	struct list_head	frames;
	u64			pn;
	ktime_t			sent_time;
	u32			size;
	u8			ack_eliciting:1,
				in_flight:1;
};

/*
 * struct quic_pnspace - one packet number space of one connection.
 *
 * Locking: the socket lock.  The sending half is recovery.c's, which
 * tracks what was sent until it is acknowledged or lost; the receiving
 * half is pnspace.c's.  Others go through the functions below.
 */
struct quic_pnspace {
	/* sending */
	u64			next_pn;
	struct list_head	sent;		/* ascending pn */
	u64			largest_acked;
	ktime_t			loss_time;	/* 0: no time threshold armed */
	ktime_t			last_ack_eliciting;
	u32			ack_eliciting_in_flight;

	/* receiving */
	u64			rx_next;	/* largest processed + 1 */
	DECLARE_BITMAP(rx_seen, QUIC_RX_WINDOW);	/* by pn % window */
	struct quic_range	ranges[QUIC_RANGES_MAX];	/* newest first */
	u32			nranges;
	ktime_t			largest_recv_time;
	u32			ack_pending;	/* ack-eliciting packets unacked */
	u8			ack_now:1,	/* send an ACK without delay */
				has_acked:1,	/* largest_acked valid */
				discarded:1,	/* keys gone, section 4.9 */
				ecn:1;
};

/* a packet went out with the next packet number */
static inline void quic_pnspace_pn_sent(struct quic_pnspace *s)
{
	s->next_pn++;
}

/* an ack-eliciting packet was received: returns how many wait for an ACK */
static inline u32 quic_pnspace_ack_elicited(struct quic_pnspace *s)
{
	return ++s->ack_pending;
}

/* an ACK frame of the space went out */
static inline void quic_pnspace_ack_sent(struct quic_pnspace *s)
{
	s->ack_pending = 0;
	s->ack_now = 0;
}

void quic_pnspace_init(struct quic_pnspace *s);
bool quic_pnspace_recv_dup(const struct quic_pnspace *s, u64 pn);
void quic_pnspace_processed(struct quic_pnspace *s, u64 pn);
u64 quic_pnspace_largest_processed(const struct quic_pnspace *s);
void quic_pnspace_recv(struct quic_pnspace *s, u64 pn, ktime_t now);
u64 quic_pnspace_largest_recv(const struct quic_pnspace *s);
int quic_pnspace_ack_frame(const struct quic_pnspace *s, u8 *buf,
			   unsigned int len, u64 ack_delay);

#endif /* __QUIC_PNSPACE_H */
