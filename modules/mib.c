// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QUIC SNMP-style counters, per network namespace and per CPU, as
 * net/ipv4's and net/mptcp's: incremented lock-free where things happen,
 * summed only when read.
 */

#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/seq_file_net.h>
#include <net/ip.h>

#include "mib.h"
#include "protocol.h"
#include "trace.h"

static const char *const quic_mib_names[__QUIC_MIB_MAX] = {
	[QUIC_MIB_INDATAGRAMS]		= "InDatagrams",
	[QUIC_MIB_INPACKETS]		= "InPackets",
	[QUIC_MIB_INBYTES]		= "InBytes",
	[QUIC_MIB_OUTDATAGRAMS]		= "OutDatagrams",
	[QUIC_MIB_OUTPACKETS]		= "OutPackets",
	[QUIC_MIB_OUTBYTES]		= "OutBytes",
	[QUIC_MIB_INNOSOCKET]		= "InNoSocket",
	[QUIC_MIB_INDECRYPTERRORS]	= "InDecryptErrors",
	[QUIC_MIB_INMALFORMED]		= "InMalformed",
	[QUIC_MIB_INDUPLICATES]		= "InDuplicates",
	[QUIC_MIB_INNOKEYS]		= "InNoKeys",
	[QUIC_MIB_INRCVMEMDROPS]	= "InRcvMemDrops",
	[QUIC_MIB_INBACKLOGDROPS]	= "InBacklogDrops",
	[QUIC_MIB_LOSTPACKETS]		= "LostPackets",
	[QUIC_MIB_PTOS]			= "ProbeTimeouts",
	[QUIC_MIB_RETRANSFRAMES]	= "RetransFrames",
	[QUIC_MIB_HANDSHAKESSTARTED]	= "HandshakesStarted",
	[QUIC_MIB_HANDSHAKESCOMPLETED]	= "HandshakesCompleted",
	[QUIC_MIB_HANDSHAKESFAILED]	= "HandshakesFailed",
	[QUIC_MIB_ACTIVEOPENS]		= "ActiveOpens",
	[QUIC_MIB_PASSIVEOPENS]		= "PassiveOpens",
	[QUIC_MIB_CONNCLOSED]		= "ConnClosed",
	[QUIC_MIB_CONNPEERCLOSED]	= "ConnPeerClosed",
	[QUIC_MIB_CONNIDLETIMEOUTS]	= "ConnIdleTimeouts",
	[QUIC_MIB_CONNRESETS]		= "ConnResets",
	[QUIC_MIB_RETRYSENT]		= "RetrySent",
	[QUIC_MIB_RETRYRCVD]		= "RetryRcvd",
	[QUIC_MIB_TOKENSREJECTED]	= "TokensRejected",
	[QUIC_MIB_VNSENT]		= "VersionNegotiationSent",
	[QUIC_MIB_RESETSSENT]		= "StatelessResetsSent",
	[QUIC_MIB_REQUESTDROPS]		= "RequestDrops",
	[QUIC_MIB_KEYUPDATES]		= "KeyUpdates",
	[QUIC_MIB_PMTUCHANGES]		= "PmtuChanges",
	[QUIC_MIB_MIGRATIONS]		= "Migrations",
	[QUIC_MIB_PATHFAILURES]		= "PathValidationFailures",
	[QUIC_MIB_INUNKNOWNSERVER]	= "InUnknownServer",
};

/**
 * quic_drop - count a dropped datagram or packet, and trace it
 * @net: the namespace
 * @sk: the socket it reached, or NULL
 * @cause: the counter of its cause, QUIC_MIB_IN* or QUIC_MIB_REQUESTDROPS
 *
 * Context: any.
 */
void quic_drop(struct net *net, struct sock *sk, u8 cause)
{
	QUIC_INC_STATS(net, cause);
	trace_quic_packet_drop(sk, cause);
}

int quic_mib_net_init(struct net *net)
{
	struct quic_net *qn = quic_net(net);

	qn->mib = alloc_percpu(struct quic_mib);
	return qn->mib ? 0 : -ENOMEM;
}

void quic_mib_net_exit(struct net *net)
{
	free_percpu(quic_net(net)->mib);
}

/**
 * quic_mib_fold - the sums over every CPU of @net's counters
 * @net: the namespace
 * @out: __QUIC_MIB_MAX values, indexed by QUIC_MIB_*
 */
void quic_mib_fold(struct net *net, unsigned long *out)
{
	struct quic_mib __percpu *mib = quic_net(net)->mib;
	int cpu, i;

	memset(out, 0, sizeof(unsigned long) * __QUIC_MIB_MAX);
	for_each_possible_cpu(cpu)
		for (i = 1; i < __QUIC_MIB_MAX; i++)
			out[i] += READ_ONCE(per_cpu_ptr(mib, cpu)->mibs[i]);
}

/*
 * /proc/net/quic/snmp: as the sections of /proc/net/netstat, a line of
 * names and a line of values, each after "Quic:", so that nstat and
 * scripts written for those read it.
 */
int quic_mib_seq_show(struct seq_file *seq, void *v)
{
	unsigned long vals[__QUIC_MIB_MAX];
	int i;

	quic_mib_fold(seq_file_single_net(seq), vals);
	seq_puts(seq, "Quic:");
	for (i = 1; i < __QUIC_MIB_MAX; i++)
		seq_printf(seq, " %s", quic_mib_names[i]);
	seq_puts(seq, "\nQuic:");
	for (i = 1; i < __QUIC_MIB_MAX; i++)
		seq_printf(seq, " %lu", vals[i]);
	seq_putc(seq, '\n');
	return 0;
}
