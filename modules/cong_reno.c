// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * NewReno, RFC 9002 section 7: slow start, then one datagram per window
 * acknowledged; the window halves on a congestion event.
 */

#include "cong.h"

void quic_reno_on_ack(struct quic_cong *c, u32 bytes, ktime_t now)
{
	if (quic_cong_slow_start(c, bytes))
		return;
	c->cwnd += max_t(u32, c->mss * bytes / c->cwnd, 1);
}

void quic_reno_on_loss(struct quic_cong *c, ktime_t now)
{
	c->ssthresh = max_t(u32, c->cwnd / 2, quic_cong_min_cwnd(c));
	c->cwnd = c->ssthresh;
}

struct quic_cong_ops quic_reno = {
	.name		= "reno",
	.owner		= THIS_MODULE,
	.on_ack		= quic_reno_on_ack,
	.on_loss	= quic_reno_on_loss,
};
