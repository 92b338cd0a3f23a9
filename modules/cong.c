// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QUIC congestion control: the registry of algorithms and the generic
 * part of RFC 9002 section 7 (initial window, recovery periods); the
 * algorithms decide how the window grows and shrinks.
 *
 * The registry is an RCU list: writers (register, unregister) take
 * quic_cong_lock, readers (a socket picking its algorithm) walk it under
 * rcu_read_lock() and pin the algorithm's module.
 */

#include <linux/indirect_call_wrapper.h>
#include <linux/quic.h>
#include <linux/rculist.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "cong.h"

static DEFINE_SPINLOCK(quic_cong_lock);
static LIST_HEAD(quic_cong_list);

/* the algorithms the socket API names, QUIC_CONG_ALG_* */
static const char *const quic_cong_abi_names[QUIC_CONG_ALG_MAX] = {
	[QUIC_CONG_ALG_RENO]	= "reno",
	[QUIC_CONG_ALG_CUBIC]	= "cubic",
};

static struct quic_cong_ops *quic_cong_find(const char *name)
{
	struct quic_cong_ops *ops;

	list_for_each_entry_rcu(ops, &quic_cong_list, list,
				lockdep_is_held(&quic_cong_lock))
		if (!strcmp(ops->name, name))
			return ops;
	return NULL;
}

/**
 * quic_cong_register - add a congestion control algorithm
 * @ops: the algorithm; @ops->name must be unique
 *
 * Return: 0, -EINVAL when a required callback is missing, -EEXIST when
 * the name is taken.
 */
int quic_cong_register(struct quic_cong_ops *ops)
{
	int err = 0;

	if (!ops->on_ack || !ops->on_loss || !ops->name[0] ||
	    strnlen(ops->name, QUIC_CONG_NAME_MAX) == QUIC_CONG_NAME_MAX)
		return -EINVAL;
	spin_lock(&quic_cong_lock);
	if (quic_cong_find(ops->name))
		err = -EEXIST;
	else
		list_add_tail_rcu(&ops->list, &quic_cong_list);
	spin_unlock(&quic_cong_lock);
	if (!err)
		pr_debug("%s: %s\n", __func__, ops->name);
	return err;
}
EXPORT_SYMBOL_GPL(quic_cong_register);

/**
 * quic_cong_unregister - remove an algorithm added by quic_cong_register()
 * @ops: the algorithm
 *
 * Connections that use it hold a reference on its module, so a module
 * unregisters its algorithms only once no connection uses them.
 */
void quic_cong_unregister(struct quic_cong_ops *ops)
{
	spin_lock(&quic_cong_lock);
	list_del_rcu(&ops->list);
	spin_unlock(&quic_cong_lock);
	synchronize_rcu();
}
EXPORT_SYMBOL_GPL(quic_cong_unregister);

/**
 * quic_cong_name - the name of a socket API algorithm number
 * @algo: QUIC_CONG_ALG_*
 *
 * Return: its name, or "" for a number the API does not have.
 */
const char *quic_cong_name(u8 algo)
{
	if (algo >= QUIC_CONG_ALG_MAX || !quic_cong_abi_names[algo])
		return "";
	return quic_cong_abi_names[algo];
}

/**
 * quic_cong_number - the socket API number of a registered algorithm
 * @name: its name
 *
 * Return: QUIC_CONG_ALG_*, or -EINVAL when the API has no such name or
 * the algorithm is not registered (its module not loaded).
 */
int quic_cong_number(const char *name)
{
	bool found;
	int i;

	for (i = 0; i < QUIC_CONG_ALG_MAX; i++) {
		if (!quic_cong_abi_names[i] ||
		    strcmp(quic_cong_abi_names[i], name))
			continue;
		rcu_read_lock();
		found = quic_cong_find(name);
		rcu_read_unlock();
		return found ? i : -EINVAL;
	}
	return -EINVAL;
}

/* the algorithm named @name, its module pinned; NULL when there is none */
static const struct quic_cong_ops *quic_cong_get(const char *name)
{
	const struct quic_cong_ops *ops;

	rcu_read_lock();
	ops = quic_cong_find(name);
	if (ops && !try_module_get(ops->owner))
		ops = NULL;
	rcu_read_unlock();
	return ops;
}

/* RFC 9002 section 7.2: the initial window, then the algorithm's state */
static void quic_cong_reset(struct quic_cong *c)
{
	c->cwnd = min_t(u32, 10 * c->mss, max_t(u32, 2 * c->mss, 14720));
	c->ssthresh = U32_MAX;
	c->recovery_start = 0;
	memset(c->priv, 0, sizeof(c->priv));
	if (c->ops->init)
		c->ops->init(c);
}

/**
 * quic_cong_select - switch a connection that has sent nothing yet to
 * another algorithm
 * @c: the controller
 * @algo: QUIC_CONG_ALG_*
 *
 * Context: process context, socket locked.
 * Return: 0, -EINVAL for an unknown number, -ENOENT when its algorithm
 * is not registered.
 */
int quic_cong_select(struct quic_cong *c, u8 algo)
{
	const struct quic_cong_ops *ops;

	if (algo >= QUIC_CONG_ALG_MAX || !quic_cong_abi_names[algo])
		return -EINVAL;
	ops = quic_cong_get(quic_cong_abi_names[algo]);
	if (!ops)
		return -ENOENT;
	quic_cong_release(c);
	c->ops = ops;
	quic_cong_reset(c);
	return 0;
}

/**
 * quic_cong_init - set up the controller of a new connection
 * @c: the controller, zeroed
 * @algo: QUIC_CONG_ALG_*
 * @mss: the path's datagram size
 * @srtt: the initial smoothed RTT, in us
 *
 * Return: as quic_cong_select().
 */
int quic_cong_init(struct quic_cong *c, u8 algo, u32 mss, u32 srtt)
{
	c->mss = mss;
	c->srtt = srtt;
	return quic_cong_select(c, algo);
}

/**
 * quic_cong_restart - the same algorithm from its initial state, on a new
 * path (RFC 9000 section 9.4)
 * @c: the controller
 * @srtt: the initial smoothed RTT, in us
 *
 * Context: any; the socket is locked.
 */
void quic_cong_restart(struct quic_cong *c, u32 srtt)
{
	c->srtt = srtt;
	quic_cong_reset(c);
}

/* Context: any; the socket is locked. */
void quic_cong_release(struct quic_cong *c)
{
	if (!c->ops)
		return;
	if (c->ops->release)
		c->ops->release(c);
	module_put(c->ops->owner);
	c->ops = NULL;
}

void quic_cong_set_mss(struct quic_cong *c, u32 mss)
{
	c->mss = mss;
}

void quic_cong_on_sent(struct quic_cong *c, u32 bytes, ktime_t now)
{
	if (c->ops->on_sent)
		c->ops->on_sent(c, bytes, now);
}

/**
 * quic_cong_on_ack - a packet counted in flight was acknowledged
 * @c: the controller
 * @bytes: its size
 * @sent: when it was sent
 * @now: the time of the acknowledgment
 *
 * RFC 9002 section 7.3.2: packets sent before the recovery period began
 * do not grow the window.
 */
void quic_cong_on_ack(struct quic_cong *c, u32 bytes, ktime_t sent,
		      ktime_t now)
{
	if (ktime_before(sent, c->recovery_start))
		return;
	INDIRECT_CALL_2(c->ops->on_ack, quic_reno_on_ack, quic_cubic_on_ack,
			c, bytes, now);
}

/* RFC 9002 section 7.3.2: one reduction per recovery period */
static bool quic_cong_new_event(struct quic_cong *c, ktime_t sent,
				ktime_t now)
{
	if (c->recovery_start && !ktime_before(c->recovery_start, sent))
		return false;
	c->recovery_start = now;
	return true;
}

/**
 * quic_cong_on_loss - packets were declared lost
 * @c: the controller
 * @sent: when the last of them was sent
 * @now: now
 */
void quic_cong_on_loss(struct quic_cong *c, ktime_t sent, ktime_t now)
{
	if (!quic_cong_new_event(c, sent, now))
		return;
	INDIRECT_CALL_2(c->ops->on_loss, quic_reno_on_loss, quic_cubic_on_loss,
			c, now);
}

/* an ECN-CE mark on a packet sent at @sent (RFC 9002 section 7.1) */
void quic_cong_on_ecn_ce(struct quic_cong *c, ktime_t sent, ktime_t now)
{
	if (!quic_cong_new_event(c, sent, now))
		return;
	if (c->ops->on_ecn_ce)
		c->ops->on_ecn_ce(c, now);
	else
		c->ops->on_loss(c, now);
}

void quic_cong_on_rtt(struct quic_cong *c, u32 latest, u32 srtt)
{
	c->srtt = srtt;
	if (c->ops && c->ops->on_rtt)
		c->ops->on_rtt(c, latest, srtt);
}

int quic_cong_module_init(void)
{
	int err;

	err = quic_cong_register(&quic_reno);
	if (err)
		return err;
	err = quic_cong_register(&quic_cubic);
	if (err)
		quic_cong_unregister(&quic_reno);
	return err;
}

void quic_cong_module_exit(void)
{
	quic_cong_unregister(&quic_cubic);
	quic_cong_unregister(&quic_reno);
}
