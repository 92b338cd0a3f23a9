/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC connection timers (timer.c): every timer of a connection in one
 * enum and one table, with one path that fires a timer or defers it to
 * release_sock() while a user owns the socket.
 */
#ifndef __QUIC_TIMER_H
#define __QUIC_TIMER_H

#include <linux/hrtimer.h>
#include <linux/timer.h>

struct sock;

enum quic_timer_id {
	QUIC_TIMER_IDLE,	/* idle timeout and keepalive (RFC 9000 10.1),
				 * end of a lingering closing period
				 */
	QUIC_TIMER_RTX,		/* loss detection and PTO (RFC 9002 6) */
	QUIC_TIMER_ACK,		/* delayed ACK (max_ack_delay) */
	QUIC_TIMER_PATH,	/* path validation (RFC 9000 8.2.4) */
	QUIC_TIMER_PACE,	/* pacing, an hrtimer in softirq mode */
	QUIC_TIMER_MAX,
};

/**
 * struct quic_timers - a connection's timers
 * @t: the timer_list ones, by enum quic_timer_id
 * @pace: the pacing hrtimer
 * @deferred: BIT(id) of those that expired while a user owned the socket,
 *	each holding a socket reference, run by quic_timers_release_cb()
 *
 * An armed timer holds a reference on its socket, taken when it is armed
 * and dropped in quic_timer_run() (or when it is stopped).  Everything a
 * timer does runs under the socket lock.
 */
struct quic_timers {
	struct timer_list	t[QUIC_TIMER_PACE];
	struct hrtimer		pace;
	unsigned long		deferred;
};

void quic_timers_init(struct sock *sk);
void quic_timers_stop_sync(struct sock *sk);
void quic_timers_release_cb(struct sock *sk);
void quic_timer_set(struct sock *sk, enum quic_timer_id id,
		    unsigned long expires);
void quic_timer_stop(struct sock *sk, enum quic_timer_id id);
bool quic_timer_pending(struct sock *sk, enum quic_timer_id id);
void quic_timer_pace(struct sock *sk, ktime_t when);

#endif /* __QUIC_TIMER_H */
