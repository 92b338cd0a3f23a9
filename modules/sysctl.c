// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QUIC sysctls, /proc/sys/net/quic: the protocol's memory limits and the
 * token key lifetime for the whole system (the initial namespace's table,
 * as net.ipv4.tcp_mem), and per network namespace the socket buffers, the
 * lingering closed sockets, the listeners' request queues and the default
 * congestion control (as net.ipv4.tcp_rmem and the others since they went
 * per namespace).  A new namespace starts with the initial one's values.
 */

#include <linux/slab.h>
#include <linux/quic.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "cong.h"
#include "protocol.h"
#include "token.h"

long sysctl_quic_mem[3] __read_mostly;
int sysctl_quic_rmem[3] __read_mostly = { PAGE_SIZE, 212992, 4 << 20 };
int sysctl_quic_wmem[3] __read_mostly = { PAGE_SIZE, 212992, 4 << 20 };
int sysctl_quic_token_key_lifetime __read_mostly = QUIC_TOKEN_ROTATE;

static int quic_one = 1;
static int quic_int_max = INT_MAX;
static int quic_token_rotate_max = QUIC_TOKEN_ROTATE_MAX;
static int quic_min_rcvbuf = SOCK_MIN_RCVBUF;
static int quic_min_sndbuf = SOCK_MIN_SNDBUF;
static int quic_requests_max = 65535;

/* a new key lifetime applies at once, not after the current one ends */
#ifdef QUIC_HAVE_CONST_CTL_TABLE	/* from 6.11 on */
static int quic_sysctl_token_key_lifetime(const struct ctl_table *table,
					  int write, void *buffer,
					  size_t *lenp, loff_t *ppos)
#else
static int quic_sysctl_token_key_lifetime(struct ctl_table *table,
					  int write, void *buffer,
					  size_t *lenp, loff_t *ppos)
#endif
{
	struct net *net;
	int err;

	err = proc_dointvec_minmax(table, write, buffer, lenp, ppos);
	if (err || !write)
		return err;
	/* a namespace in the list has its keys, and keeps them meanwhile */
	down_read(&net_rwsem);
	for_each_net(net)
		quic_token_keys_reschedule(&quic_net(net)->token_keys);
	up_read(&net_rwsem);
	return 0;
}

/*
 * net.quic.congestion_control: the name of the algorithm new sockets of
 * the namespace start with; one the socket API can name
 * (QUIC_CONG_ALG_*) and that is registered, or EINVAL.  @table->data is
 * the namespace's u8 algorithm number.
 */
#ifdef QUIC_HAVE_CONST_CTL_TABLE
static int quic_sysctl_cong(const struct ctl_table *table, int write,
			    void *buffer, size_t *lenp, loff_t *ppos)
#else
static int quic_sysctl_cong(struct ctl_table *table, int write,
			    void *buffer, size_t *lenp, loff_t *ppos)
#endif
{
	char name[QUIC_CONG_NAME_MAX];
	struct ctl_table tbl = {
		.data	= name,
		.maxlen	= sizeof(name),
	};
	u8 *algo = table->data;
	int err, n;

	strscpy(name, quic_cong_name(READ_ONCE(*algo)), sizeof(name));
	err = proc_dostring(&tbl, write, buffer, lenp, ppos);
	if (err || !write)
		return err;
	n = quic_cong_number(name);
	if (n < 0)
		return n;
	WRITE_ONCE(*algo, n);
	return 0;
}

/* the system's: registered in the initial namespace only */
static struct ctl_table quic_sysctl_table[] = {
	{
		.procname	= "mem",
		.data		= &sysctl_quic_mem,
		.maxlen		= sizeof(sysctl_quic_mem),
		.mode		= 0644,
		.proc_handler	= proc_doulongvec_minmax,
	},
	{
		.procname	= "token_key_lifetime",
		.data		= &sysctl_quic_token_key_lifetime,
		.maxlen		= sizeof(sysctl_quic_token_key_lifetime),
		.mode		= 0644,
		.proc_handler	= quic_sysctl_token_key_lifetime,
		.extra1		= &quic_one,
		.extra2		= &quic_token_rotate_max,
	},
	{ }	/* the end, where a kernel still looks for it */
};

/* each namespace's: .data is an offset in struct quic_net until copied */
#define QUIC_NET_DATA(f)	((void *)offsetof(struct quic_net, f))

static const struct ctl_table quic_net_sysctl_table[] = {
	{
		.procname	= "rmem",
		.data		= QUIC_NET_DATA(rmem_own),
		.maxlen		= sizeof(int[3]),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &quic_min_rcvbuf,
		.extra2		= &quic_int_max,
	},
	{
		.procname	= "wmem",
		.data		= QUIC_NET_DATA(wmem_own),
		.maxlen		= sizeof(int[3]),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &quic_min_sndbuf,
		.extra2		= &quic_int_max,
	},
	{
		.procname	= "max_orphans",
		.data		= QUIC_NET_DATA(max_orphans),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= &quic_int_max,
	},
	{
		.procname	= "max_requests",
		.data		= QUIC_NET_DATA(max_requests),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &quic_one,
		.extra2		= &quic_requests_max,
	},
	{
		.procname	= "congestion_control",
		.data		= QUIC_NET_DATA(cong_algo),
		.maxlen		= QUIC_CONG_NAME_MAX,
		.mode		= 0644,
		.proc_handler	= quic_sysctl_cong,
	},
	{ }
};

static struct ctl_table_header *quic_sysctl_header;

/* register_net_sysctl_sz() from 6.6 on: the size, not a sentinel */
static struct ctl_table_header *quic_register(struct net *net,
					      struct ctl_table *table,
					      size_t n)
{
#ifdef QUIC_HAVE_REGISTER_NET_SYSCTL_SZ
	return register_net_sysctl_sz(net, "net/quic", table, n);
#else
	return register_net_sysctl(net, "net/quic", table);
#endif
}

int quic_sysctl_register(void)
{
	quic_sysctl_header = quic_register(&init_net, quic_sysctl_table,
					   ARRAY_SIZE(quic_sysctl_table) - 1);
	return quic_sysctl_header ? 0 : -ENOMEM;
}

void quic_sysctl_unregister(void)
{
	unregister_net_sysctl_table(quic_sysctl_header);
}

/**
 * quic_sysctl_net_init - a namespace's sysctls, with the initial
 * namespace's values (the defaults, for that one)
 * @net: the namespace
 *
 * The initial namespace's rmem and wmem are the arrays struct proto
 * reads (sysctl_quic_rmem, sysctl_quic_wmem: the minimum a socket keeps
 * under the protocol's memory pressure, which is the system's); the
 * others' are their own.
 *
 * Return: 0, or -ENOMEM.
 */
int quic_sysctl_net_init(struct net *net)
{
	struct quic_net *qn = quic_net(net), *init = quic_net(&init_net);
	struct ctl_table *table;
	int i;

	if (net_eq(net, &init_net)) {
		qn->rmem = sysctl_quic_rmem;
		qn->wmem = sysctl_quic_wmem;
		qn->max_orphans = 4096;
		qn->max_requests = 4096;
		qn->cong_algo = QUIC_CONG_ALG_RENO;
	} else {
		qn->rmem = qn->rmem_own;
		qn->wmem = qn->wmem_own;
		memcpy(qn->rmem_own, init->rmem, sizeof(qn->rmem_own));
		memcpy(qn->wmem_own, init->wmem, sizeof(qn->wmem_own));
		qn->max_orphans = READ_ONCE(init->max_orphans);
		qn->max_requests = READ_ONCE(init->max_requests);
		qn->cong_algo = READ_ONCE(init->cong_algo);
	}
	table = kmemdup(quic_net_sysctl_table, sizeof(quic_net_sysctl_table),
			GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	for (i = 0; table[i].procname; i++)
		table[i].data = (char *)qn + (uintptr_t)table[i].data;
	table[0].data = qn->rmem;
	table[1].data = qn->wmem;
	qn->sysctl_hdr = quic_register(net, table,
				       ARRAY_SIZE(quic_net_sysctl_table) - 1);
	if (!qn->sysctl_hdr) {
		kfree(table);
		return -ENOMEM;
	}
	return 0;
}

void quic_sysctl_net_exit(struct net *net)
{
	struct quic_net *qn = quic_net(net);
	const struct ctl_table *table = qn->sysctl_hdr->ctl_table_arg;

	unregister_net_sysctl_table(qn->sysctl_hdr);
	kfree(table);
}
