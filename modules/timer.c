// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QUIC connection timers.  Each expiry takes the one path of
 * quic_timer_run(): under bh_lock_sock(), a socket owned by a user gets
 * the timer's bit in @deferred (with a reference) and release_sock()
 * runs it (quic_timers_release_cb()); otherwise the timer's work runs at
 * once, if the connection is still live.  The socket reference the armed
 * timer held is dropped there.
 */

#include <net/sock.h>

#include "compat.h"
#include "conn.h"
#include "output.h"
#include "path.h"
#include "recovery.h"
#include "socket.h"
#include "timer.h"

/* what each timer does, on a live connection with the socket locked */
static void (*const quic_timer_fire[QUIC_TIMER_MAX])(struct sock *sk) = {
	[QUIC_TIMER_IDLE]	= quic_idle_fire,
	[QUIC_TIMER_RTX]	= quic_rtx_fire,
	[QUIC_TIMER_ACK]	= quic_ack_fire,
	[QUIC_TIMER_PATH]	= quic_path_fire,
	[QUIC_TIMER_PACE]	= quic_output,
};

static struct sock *quic_timers_sk(struct quic_timers *ts)
{
	return &container_of(ts, struct quic_sock, timers)->inet.sk;
}

/* Context: softirq; drops the reference the armed timer held. */
static void quic_timer_run(struct sock *sk, enum quic_timer_id id)
{
	struct quic_sock *qs = quic_sk(sk);

	bh_lock_sock(sk);
	if (id == QUIC_TIMER_IDLE && qs->lingering) {
		quic_close_linger_end(sk);
	} else if (sock_owned_by_user(sk)) {
		if (!test_and_set_bit(id, &qs->timers.deferred))
			sock_hold(sk);
	} else if (quic_sk_live(sk)) {
		quic_timer_fire[id](sk);
	}
	bh_unlock_sock(sk);
	sock_put(sk);
}

/* @t is &ts->t[@id]: back to ts->t[0], then to the socket */
static void quic_timer_list_run(struct timer_list *t, enum quic_timer_id id)
{
	struct quic_timers *ts = container_of(t - id, struct quic_timers, t[0]);

	quic_timer_run(quic_timers_sk(ts), id);
}

static void quic_timer_idle(struct timer_list *t)
{
	quic_timer_list_run(t, QUIC_TIMER_IDLE);
}

static void quic_timer_rtx(struct timer_list *t)
{
	quic_timer_list_run(t, QUIC_TIMER_RTX);
}

static void quic_timer_ack(struct timer_list *t)
{
	quic_timer_list_run(t, QUIC_TIMER_ACK);
}

static void quic_timer_path(struct timer_list *t)
{
	quic_timer_list_run(t, QUIC_TIMER_PATH);
}

static enum hrtimer_restart quic_timer_pace_cb(struct hrtimer *t)
{
	struct quic_timers *ts = container_of(t, struct quic_timers, pace);

	quic_timer_run(quic_timers_sk(ts), QUIC_TIMER_PACE);
	return HRTIMER_NORESTART;
}

void quic_timers_init(struct sock *sk)
{
	struct quic_timers *ts = &quic_sk(sk)->timers;

	timer_setup(&ts->t[QUIC_TIMER_IDLE], quic_timer_idle, 0);
	timer_setup(&ts->t[QUIC_TIMER_RTX], quic_timer_rtx, 0);
	timer_setup(&ts->t[QUIC_TIMER_ACK], quic_timer_ack, 0);
	timer_setup(&ts->t[QUIC_TIMER_PATH], quic_timer_path, 0);
	hrtimer_setup(&ts->pace, quic_timer_pace_cb, CLOCK_MONOTONIC,
		      HRTIMER_MODE_ABS_SOFT);
	ts->deferred = 0;
}

/* Stop every timer and wait for a running one; none may re-arm. */
void quic_timers_stop_sync(struct sock *sk)
{
	struct quic_timers *ts = &quic_sk(sk)->timers;
	int i;

	for (i = 0; i < QUIC_TIMER_PACE; i++)
		sk_stop_timer_sync(sk, &ts->t[i]);
	if (hrtimer_cancel(&ts->pace))
		__sock_put(sk);
}

/* release_sock(): the timers that expired while the user owned it */
void quic_timers_release_cb(struct sock *sk)
{
	struct quic_timers *ts = &quic_sk(sk)->timers;
	unsigned long flags;
	int i;

	flags = xchg(&ts->deferred, 0);
	for (i = 0; i < QUIC_TIMER_MAX; i++) {
		if (!(flags & BIT(i)))
			continue;
		if (quic_sk_live(sk))
			quic_timer_fire[i](sk);
		__sock_put(sk);	/* the one quic_timer_run() took */
	}
}

void quic_timer_set(struct sock *sk, enum quic_timer_id id,
		    unsigned long expires)
{
	sk_reset_timer(sk, &quic_sk(sk)->timers.t[id], expires);
}

void quic_timer_stop(struct sock *sk, enum quic_timer_id id)
{
	sk_stop_timer(sk, &quic_sk(sk)->timers.t[id]);
}

bool quic_timer_pending(struct sock *sk, enum quic_timer_id id)
{
	return timer_pending(&quic_sk(sk)->timers.t[id]);
}

/* arm the pacing timer for @when, unless it is armed already */
void quic_timer_pace(struct sock *sk, ktime_t when)
{
	struct quic_timers *ts = &quic_sk(sk)->timers;

	if (hrtimer_is_queued(&ts->pace))
		return;
	sock_hold(sk);
	hrtimer_start(&ts->pace, when, HRTIMER_MODE_ABS_SOFT);
}
