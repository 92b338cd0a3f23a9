/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC SNMP-style counters: per network namespace, per CPU, shown in
 * /proc/net/quic/snmp (mib.c).
 */
#ifndef __QUIC_MIB_H
#define __QUIC_MIB_H

#include <net/net_namespace.h>
#include <net/snmp.h>

#include "protocol.h"

/*
 * The counters, in the order /proc/net/quic/snmp shows them (the names
 * are in mib.c).  Packets are QUIC packets, datagrams UDP datagrams.
 */
enum {
	QUIC_MIB_NUM = 0,
	QUIC_MIB_INDATAGRAMS,		/* datagrams taken by a socket */
	QUIC_MIB_INPACKETS,		/* packets decrypted and processed */
	QUIC_MIB_INBYTES,		/* bytes of those datagrams */
	QUIC_MIB_OUTDATAGRAMS,		/* datagrams sent by connections */
	QUIC_MIB_OUTPACKETS,		/* packets in them */
	QUIC_MIB_OUTBYTES,		/* bytes of those datagrams */
	QUIC_MIB_INNOSOCKET,		/* datagrams for no connection or
					 * listener
					 */
	QUIC_MIB_INDECRYPTERRORS,	/* packets that failed authentication */
	QUIC_MIB_INMALFORMED,		/* packets with a bad header, or
					 * frames that closed the connection
					 */
	QUIC_MIB_INDUPLICATES,		/* packet numbers seen before */
	QUIC_MIB_INNOKEYS,		/* packets dropped: no keys yet, or
					 * discarded ones
					 */
	QUIC_MIB_INRCVMEMDROPS,		/* data refused for receive memory */
	QUIC_MIB_INBACKLOGDROPS,	/* datagrams dropped: backlog full */
	QUIC_MIB_LOSTPACKETS,		/* packets declared lost */
	QUIC_MIB_PTOS,			/* probe timeouts */
	QUIC_MIB_RETRANSFRAMES,		/* frames queued again after a loss
					 * or a probe timeout
					 */
	QUIC_MIB_HANDSHAKESSTARTED,	/* connect() and accepted requests */
	QUIC_MIB_HANDSHAKESCOMPLETED,
	QUIC_MIB_HANDSHAKESFAILED,	/* closed before completing */
	QUIC_MIB_ACTIVEOPENS,		/* client connections */
	QUIC_MIB_PASSIVEOPENS,		/* server connections accepted */
	QUIC_MIB_CONNCLOSED,		/* connections ended, however */
	QUIC_MIB_CONNPEERCLOSED,	/* by the peer's CONNECTION_CLOSE */
	QUIC_MIB_CONNIDLETIMEOUTS,	/* by the idle timeout */
	QUIC_MIB_CONNRESETS,		/* by a Stateless Reset received */
	QUIC_MIB_RETRYSENT,
	QUIC_MIB_RETRYRCVD,		/* Retries a client followed */
	QUIC_MIB_TOKENSREJECTED,	/* Initials with an invalid token */
	QUIC_MIB_VNSENT,		/* Version Negotiation packets */
	QUIC_MIB_RESETSSENT,		/* Stateless Resets */
	QUIC_MIB_REQUESTDROPS,		/* Initials a listener could not
					 * queue (limits, memory)
					 */
	QUIC_MIB_KEYUPDATES,		/* 1-RTT key phases changed, by
					 * either side
					 */
	QUIC_MIB_PMTUCHANGES,		/* the largest datagram a path takes
					 * changed (route MTU, the peer's
					 * max_udp_payload_size)
					 */
	QUIC_MIB_MIGRATIONS,		/* a server's connections moved to
					 * their client's new address
					 */
	QUIC_MIB_PATHFAILURES,		/* validations of a new address
					 * that failed (moved back)
					 */
	QUIC_MIB_INUNKNOWNSERVER,	/* a client's datagrams from an
					 * address not its server's
					 */
	__QUIC_MIB_MAX
};

struct quic_mib {
	unsigned long mibs[__QUIC_MIB_MAX];
};

/* of @net's namespace: any context */
#define QUIC_INC_STATS(net, field)	\
	SNMP_INC_STATS(quic_net(net)->mib, field)
#define QUIC_ADD_STATS(net, field, val)	\
	SNMP_ADD_STATS(quic_net(net)->mib, field, val)

struct sock;
void quic_drop(struct net *net, struct sock *sk, u8 cause);

int quic_mib_net_init(struct net *net);
void quic_mib_net_exit(struct net *net);
void quic_mib_fold(struct net *net, unsigned long *out);
struct seq_file;
int quic_mib_seq_show(struct seq_file *seq, void *v);

#endif /* __QUIC_MIB_H */
