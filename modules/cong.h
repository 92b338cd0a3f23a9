/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC congestion control: a registry of algorithms (struct
 * quic_cong_ops) that other modules can add to, as net/ipv4/tcp_cong.c
 * does for TCP, and the per-connection controller state they work on.
 * NewReno (cong_reno.c) and CUBIC (cong_cubic.c) are built in.
 */
#ifndef __QUIC_CONG_H
#define __QUIC_CONG_H

#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/types.h>

#define QUIC_CONG_NAME_MAX	16
#define QUIC_CONG_PRIV_SIZE	64	/* bytes of per-connection state */

struct quic_cong_ops;

/**
 * struct quic_cong - a connection's congestion controller (cong.c)
 * @cwnd: congestion window, in bytes
 * @ssthresh: slow start threshold, in bytes (U32_MAX: none yet)
 * @mss: the path's largest datagram payload, set by the path owner
 * @srtt: the latest smoothed RTT, in us (quic_cong_on_rtt())
 * @recovery_start: start of the current recovery period (RFC 9002
 *	section 7.3.2), 0 when none
 * @ops: the algorithm, holding a reference on its module
 * @priv: the algorithm's own state (quic_cong_priv())
 *
 * Locking: the owning socket's lock, like the rest of the connection.
 */
struct quic_cong {
	u32				cwnd;
	u32				ssthresh;
	u32				mss;
	u32				srtt;
	ktime_t				recovery_start;
	const struct quic_cong_ops	*ops;
	u64				priv[QUIC_CONG_PRIV_SIZE / sizeof(u64)];
};

/**
 * struct quic_cong_ops - a congestion control algorithm
 * @list: in the registry (cong.c)
 * @name: unique; "reno" and "cubic" are QUIC_CONG_ALG_RENO and _CUBIC
 * @owner: the module that provides it
 * @init: optional; set up @priv (zeroed) for a new connection; the
 *	window is already at its initial value
 * @on_sent: optional; @bytes of ack-eliciting data went out
 * @on_ack: @bytes in flight were acknowledged, outside a recovery period
 * @on_loss: a congestion event (a loss outside a recovery period); a new
 *	recovery period starts at @now
 * @on_ecn_ce: optional; an ECN-CE mark: a congestion event as well
 *	(on_loss when not given).  Not called yet: ECN is not implemented
 * @on_rtt: optional; a new RTT sample (@latest) and smoothed RTT, in us
 * @release: optional; the connection ends or changes algorithm
 *
 * Every callback runs under the socket lock, in process or softirq
 * context: none may sleep.
 */
struct quic_cong_ops {
	struct list_head	list;
	char			name[QUIC_CONG_NAME_MAX];
	struct module		*owner;

	void	(*init)(struct quic_cong *c);
	void	(*on_sent)(struct quic_cong *c, u32 bytes, ktime_t now);
	void	(*on_ack)(struct quic_cong *c, u32 bytes, ktime_t now);
	void	(*on_loss)(struct quic_cong *c, ktime_t now);
	void	(*on_ecn_ce)(struct quic_cong *c, ktime_t now);
	void	(*on_rtt)(struct quic_cong *c, u32 latest, u32 srtt);
	void	(*release)(struct quic_cong *c);
};

int quic_cong_register(struct quic_cong_ops *ops);
void quic_cong_unregister(struct quic_cong_ops *ops);

int quic_cong_init(struct quic_cong *c, u8 algo, u32 mss, u32 srtt);
const char *quic_cong_name(u8 algo);
int quic_cong_number(const char *name);
int quic_cong_select(struct quic_cong *c, u8 algo);
void quic_cong_release(struct quic_cong *c);
void quic_cong_restart(struct quic_cong *c, u32 srtt);
void quic_cong_set_mss(struct quic_cong *c, u32 mss);
void quic_cong_on_sent(struct quic_cong *c, u32 bytes, ktime_t now);
void quic_cong_on_ack(struct quic_cong *c, u32 bytes, ktime_t sent,
		      ktime_t now);
void quic_cong_on_loss(struct quic_cong *c, ktime_t sent, ktime_t now);
void quic_cong_on_ecn_ce(struct quic_cong *c, ktime_t sent, ktime_t now);
void quic_cong_on_rtt(struct quic_cong *c, u32 latest, u32 srtt);

int quic_cong_module_init(void);
void quic_cong_module_exit(void);

static inline u32 quic_cong_cwnd(const struct quic_cong *c)
{
	return c->cwnd;
}

static inline void *quic_cong_priv(struct quic_cong *c)
{
	return c->priv;
}

/* RFC 9002 section 7.2: kMinimumWindow */
static inline u32 quic_cong_min_cwnd(const struct quic_cong *c)
{
	return 2 * c->mss;
}

/* RFC 9002 section 7.3.1: in slow start the window grows by what is
 * acknowledged; true when that was done
 */
static inline bool quic_cong_slow_start(struct quic_cong *c, u32 bytes)
{
	if (c->cwnd >= c->ssthresh)
		return false;
	c->cwnd += bytes;
	return true;
}

/* the built-in algorithms, called directly on the hot path */
void quic_reno_on_ack(struct quic_cong *c, u32 bytes, ktime_t now);
void quic_reno_on_loss(struct quic_cong *c, ktime_t now);
void quic_cubic_on_ack(struct quic_cong *c, u32 bytes, ktime_t now);
void quic_cubic_on_loss(struct quic_cong *c, ktime_t now);
extern struct quic_cong_ops quic_reno;
extern struct quic_cong_ops quic_cubic;

#endif /* __QUIC_CONG_H */
