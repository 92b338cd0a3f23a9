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

#define QUIC_PKT_THRESHOLD	3	/* RFC 9002 kPacketThreshold */
#define QUIC_GRANULARITY	1000	/* us, kGranularity */

void quic_output_ack_recv(struct sock *sk, u8 space, u64 largest,
			  u64 ack_delay, const struct quic_range *r,
			  unsigned int nr, ktime_t now);
void quic_output_discard_space(struct sock *sk, u8 space);
void quic_timer_reset(struct sock *sk);
void quic_rtx_fire(struct sock *sk);

#endif /* __QUIC_RECOVERY_H */
