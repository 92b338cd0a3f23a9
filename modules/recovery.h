/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC loss recovery, RFC 9002 (recovery.c).
 */
#ifndef __QUIC_RECOVERY_H
#define __QUIC_RECOVERY_H

#include <linux/ktime.h>
#include <linux/types.h>

struct sock;
struct quic_range;
struct quic_sent_packet;
struct quic_sock;

#define QUIC_PKT_THRESHOLD	3	/* RFC 9002 kPacketThreshold */
#define QUIC_GRANULARITY	1000	/* us, kGranularity */

/*
 * struct quic_recovery - RTT estimate and loss detection state of a
 * connection, RFC 9002 sections 5 and 6.  Owned by recovery.c; others
 * read it.  Under the socket lock.
 * @in_flight: bytes of ack-eliciting packets in flight
 * @latest_rtt: us, the last sample
 * @smoothed_rtt: us
 * @rttvar: us
 * @min_rtt: us, U32_MAX before the first sample
 * @pto_count: probe timeouts in a row
 * @rtt_sampled: @smoothed_rtt comes from a sample, not the initial value
 */
struct quic_recovery {
	u32	in_flight;
	u32	latest_rtt;
	u32	smoothed_rtt;
	u32	rttvar;
	u32	min_rtt;
	u8	pto_count;
	u8	rtt_sampled:1;
	u32	lost;		/* packets declared lost, in all */
	u32	ptos;		/* probe timeouts, in all */
};

void quic_output_ack_recv(struct sock *sk, u8 space, u64 largest,
			  u64 ack_delay, const struct quic_range *r,
			  unsigned int nr, ktime_t now);
void quic_output_discard_space(struct sock *sk, u8 space);
void quic_output_requeue(struct sock *sk, u8 sp);
void quic_timer_reset(struct sock *sk);
void quic_rtx_fire(struct sock *sk);
u32 quic_rtx_pto(const struct quic_sock *qs);
void quic_recovery_init(struct quic_recovery *r, u32 initial_rtt);
void quic_recovery_on_sent(struct sock *sk, u8 sp,
			   struct quic_sent_packet *pkt, ktime_t now);

#endif /* __QUIC_RECOVERY_H */
