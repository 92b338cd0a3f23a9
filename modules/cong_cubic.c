// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * CUBIC, RFC 9438: windows in bytes, time in milliseconds, C = 0.4 and
 * beta = 0.7 as fixed-point fractions, with fast convergence (section
 * 4.7) and the Reno-friendly estimate (section 4.3).  Slow start is
 * NewReno's.
 */

#include <linux/math64.h>

#include "cong.h"

#define QUIC_CUBIC_BETA		7	/* /10 */
#define QUIC_CUBIC_ALPHA	529	/* /1000: 3(1 - beta) / (1 + beta) */
#define QUIC_CUBIC_T_MAX	100000	/* ms: (t - K) is clamped to this */

/* in struct quic_cong's private area */
struct quic_cubic {
	u32	wmax;		/* bytes */
	u32	west;		/* bytes */
	u32	k;		/* ms */
	ktime_t	epoch;
};

static struct quic_cubic *quic_cubic_state(struct quic_cong *c)
{
	BUILD_BUG_ON(sizeof(struct quic_cubic) > QUIC_CONG_PRIV_SIZE);
	return quic_cong_priv(c);
}

static u64 quic_cbrt(u64 a)
{
	u64 lo = 0, hi = 1ULL << 21, mid;	/* (2^21)^3 > 2^63 */

	while (lo < hi) {
		mid = (lo + hi + 1) / 2;
		if (mid * mid * mid <= a)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

void quic_cubic_on_loss(struct quic_cong *c, ktime_t now)
{
	struct quic_cubic *cu = quic_cubic_state(c);
	u32 cwnd = c->cwnd;
	u64 diff;

	/* section 4.7: fast convergence */
	if (cwnd < cu->wmax)
		cu->wmax = cwnd * (10 + QUIC_CUBIC_BETA) / 20;
	else
		cu->wmax = cwnd;
	c->ssthresh = max_t(u32, cwnd / 10 * QUIC_CUBIC_BETA,
			    quic_cong_min_cwnd(c));
	c->cwnd = c->ssthresh;
	/* section 4.2: K = cbrt((W_max - cwnd_epoch) / C), in ms */
	diff = cu->wmax - min(c->cwnd, cu->wmax);
	cu->k = quic_cbrt(div_u64(diff * 2500000000ULL, c->mss));
	cu->epoch = now;
	cu->west = c->cwnd;
}

void quic_cubic_on_ack(struct quic_cong *c, u32 acked, ktime_t now)
{
	struct quic_cubic *cu = quic_cubic_state(c);
	s64 t, d, delta;
	u64 target;

	if (quic_cong_slow_start(c, acked))
		return;
	/* section 4.2: W_cubic(t + RTT) */
	t = ktime_ms_delta(now, cu->epoch) + c->srtt / 1000;
	d = clamp_t(s64, t - cu->k, -QUIC_CUBIC_T_MAX, QUIC_CUBIC_T_MAX);
	delta = d * d * d * 4 / 10 / 1000000;	/* thousandths of a segment */
	delta = delta * c->mss / 1000;
	target = max_t(s64, (s64)cu->wmax + delta, 0);
	target = clamp_t(u64, target, c->cwnd, (u64)c->cwnd * 3 / 2);

	/* section 4.3: the Reno-friendly estimate */
	cu->west += max_t(u32, div_u64((u64)acked * c->mss * QUIC_CUBIC_ALPHA,
				       (u64)c->cwnd * 1000), 1);
	if (target < cu->west)
		c->cwnd = max(c->cwnd, cu->west);
	else
		c->cwnd += div_u64((target - c->cwnd) * acked, c->cwnd);
}

struct quic_cong_ops quic_cubic = {
	.name		= "cubic",
	.owner		= THIS_MODULE,
	.on_ack		= quic_cubic_on_ack,
	.on_loss	= quic_cubic_on_loss,
};
