// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * /proc/net/quic: the counters (snmp), the listening sockets (endpoints)
 * and the other sockets (conns) of the reader's network namespace, one
 * per line after a header line, as /proc/net/tcp and /proc/net/sctp.
 *
 * The walks hold one socket at a time (quic_sock_table_get()) and lock
 * it while its line is made: the connection IDs are lists the socket
 * lock protects.  A reader may thus wait for a socket's user, never the
 * receive path for a reader.
 */

#include <linux/proc_fs.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "compat.h"
#include "listen.h"
#include "mib.h"
#include "proc.h"
#include "protocol.h"
#include "socket.h"

/* the ID in use of @set, into @id (at most QUIC_INFO_CID_MAX bytes) */
static u8 quic_info_cid(struct quic_cid_set *set, u8 *id)
{
	struct quic_cid *cid = quic_cid_active(set);

	if (!cid)
		return 0;
	memcpy(id, cid->id.data, min_t(u8, cid->id.len, QUIC_INFO_CID_MAX));
	return min_t(u8, cid->id.len, QUIC_INFO_CID_MAX);
}

/**
 * quic_sock_info - what sock_diag reports of a socket (INET_DIAG_INFO)
 * @sk: the socket, locked by the caller (lock_sock()) and not dead
 * @info: filled in whole
 * @ids: the connection IDs too (their owner, or CAP_NET_ADMIN)
 */
void quic_sock_info(struct sock *sk, struct quic_info *info, bool ids)
{
	struct quic_sock *qs = quic_sk(sk);
	const struct quic_crypto *c = &qs->crypto[QUIC_CRYPTO_APP];

	memset(info, 0, sizeof(*info));
	info->quici_version = qs->conn.version;
	info->quici_role = qs->conn.is_serv;
	info->quici_cong = qs->params.config.congestion_control_algo;
	info->quici_key_phase = c->tx.phase;
	info->quici_flags = (qs->conn.handshake_done ?
			     QUIC_INFO_F_HANDSHAKE_DONE : 0) |
			    (qs->conn.confirmed ? QUIC_INFO_F_CONFIRMED : 0) |
			    (qs->conn.closing ? QUIC_INFO_F_CLOSING : 0) |
			    (qs->conn.draining ? QUIC_INFO_F_DRAINING : 0) |
			    (qs->paths.act.validated ? QUIC_INFO_F_VALIDATED : 0);
	if (ids) {
		info->quici_scid_len = quic_info_cid(&qs->cids.scids,
						     info->quici_scid);
		info->quici_dcid_len = quic_info_cid(&qs->cids.dcids,
						     info->quici_dcid);
	}
	info->quici_srtt = qs->rec.smoothed_rtt;
	info->quici_rttvar = qs->rec.rttvar;
	info->quici_min_rtt = qs->rec.min_rtt == U32_MAX ? 0 : qs->rec.min_rtt;
	info->quici_latest_rtt = qs->rec.latest_rtt;
	info->quici_cwnd = qs->cong.cwnd;
	info->quici_ssthresh = qs->cong.ssthresh == U32_MAX ? 0 :
			       qs->cong.ssthresh;
	info->quici_in_flight = qs->rec.in_flight;
	info->quici_mss = qs->paths.act.mss;
	info->quici_lost = qs->rec.lost;
	info->quici_ptos = qs->rec.ptos;
	info->quici_pto_count = qs->rec.pto_count;
	info->quici_streams = qs->streams.count;
	info->quici_send_max_data = qs->streams.send_max_data;
	info->quici_send_data = qs->streams.send_data;
	info->quici_recv_max_data = qs->streams.recv_max_data;
	info->quici_recv_data = qs->streams.recv_data;
}
EXPORT_SYMBOL_GPL(quic_sock_info);

/**
 * quic_sock_listen_queue - a listener's queue, for sock_diag
 * @sk: the socket, locked by the caller
 * @max: the most it holds
 *
 * Return: the requests waiting for accept(), 0 when @sk has no listener.
 */
u32 quic_sock_listen_queue(struct sock *sk, u32 *max)
{
	struct quic_listener *l = quic_sk(sk)->listener;
	struct quic_net *qn = quic_net(sock_net(sk));

	*max = min_t(u32, READ_ONCE(sk->sk_max_ack_backlog),
		     READ_ONCE(qn->max_requests));
	return l ? READ_ONCE(l->nreqs) : 0;
}
EXPORT_SYMBOL_GPL(quic_sock_listen_queue);

static void *quic_seq_start(struct seq_file *seq, loff_t *pos)
{
	if (!*pos)
		return SEQ_START_TOKEN;
	return quic_sock_table_get(seq_file_net(seq), NULL, *pos - 1);
}

static void *quic_seq_next(struct seq_file *seq, void *v, loff_t *pos)
{
	struct sock *prev = v == SEQ_START_TOKEN ? NULL : v;

	++*pos;
	return quic_sock_table_get(seq_file_net(seq), prev, *pos - 1);
}

static void quic_seq_stop(struct seq_file *seq, void *v)
{
	if (v && v != SEQ_START_TOKEN)
		sock_put(v);
}

/* the ID in use of @set, in hex; "-" when none */
static void quic_seq_cid(struct seq_file *seq, struct quic_cid_set *set)
{
	struct quic_cid *cid = quic_cid_active(set);

	if (cid && cid->id.len)
		seq_printf(seq, " %*phN", cid->id.len, cid->id.data);
	else
		seq_puts(seq, " -");
}

static const char *quic_seq_state(const struct sock *sk)
{
	switch (sk->sk_state) {
	case QUIC_SS_LISTENING:
		return "LISTEN";
	case QUIC_SS_ESTABLISHING:
		return "ESTABLISHING";
	case QUIC_SS_ESTABLISHED:
		return "ESTABLISHED";
	default:
		return quic_sk(sk)->lingering ? "CLOSING" : "CLOSED";
	}
}

/* the fields every line starts with: local and peer address, state */
static void quic_seq_addrs(struct seq_file *seq, struct sock *sk)
{
	struct quic_path *p = &quic_sk(sk)->paths.act;

	if (p->local.sa.sa_family)
		seq_printf(seq, "%pISpc", &p->local.sa);
	else
		seq_putc(seq, '*');
	if (p->peer.sa.sa_family)
		seq_printf(seq, " %pISpc", &p->peer.sa);
	else
		seq_puts(seq, " *");
	seq_printf(seq, " %s", quic_seq_state(sk));
}

static void quic_seq_owner(struct seq_file *seq, struct sock *sk)
{
	/* an unsigned long before sock_i_ino() became u64 */
	seq_printf(seq, " %u %llu\n",
		   from_kuid_munged(seq_user_ns(seq), sk_uid(sk)),
		   (u64)sock_i_ino(sk));
}

/*
 * conns: local peer state version role scid dcid streams srtt rttvar
 * min_rtt (microseconds) cwnd ssthresh in_flight (bytes) lost (packets)
 * ptos (probe timeouts) tx_queue rx_queue (bytes) uid inode
 */
static int quic_conns_show(struct seq_file *seq, void *v)
{
	struct quic_sock *qs = v;
	struct sock *sk = v;

	if (v == SEQ_START_TOKEN) {
		seq_puts(seq, "local peer state version role scid dcid streams srtt rttvar min_rtt cwnd ssthresh in_flight lost ptos tx_queue rx_queue uid inode\n");
		return 0;
	}
	if (sk->sk_state == QUIC_SS_LISTENING)
		return 0;
	lock_sock(sk);
	if (qs->dead)
		goto out;
	quic_seq_addrs(seq, sk);
	seq_printf(seq, " %#x %s", qs->conn.version,
		   qs->conn.is_serv ? "server" : "client");
	quic_seq_cid(seq, &qs->cids.scids);
	quic_seq_cid(seq, &qs->cids.dcids);
	seq_printf(seq, " %u %u %u %u %u %u %u %u %u %u %d",
		   qs->streams.count, qs->rec.smoothed_rtt, qs->rec.rttvar,
		   qs->rec.min_rtt == U32_MAX ? 0 : qs->rec.min_rtt,
		   qs->cong.cwnd,
		   qs->cong.ssthresh == U32_MAX ? 0 : qs->cong.ssthresh,
		   qs->rec.in_flight, qs->rec.lost, qs->rec.ptos,
		   READ_ONCE(sk->sk_wmem_queued),
		   atomic_read(&sk->sk_rmem_alloc));
	quic_seq_owner(seq, sk);
out:
	release_sock(sk);
	return 0;
}

/*
 * endpoints: local peer state alpn (comma-separated; "-": clients without
 * ALPN) requests (waiting for accept()) backlog uid inode
 */
static int quic_endpoints_show(struct seq_file *seq, void *v)
{
	struct quic_listener *l;
	struct sock *sk = v;

	if (v == SEQ_START_TOKEN) {
		seq_puts(seq, "local peer state alpn requests backlog uid inode\n");
		return 0;
	}
	if (sk->sk_state != QUIC_SS_LISTENING)
		return 0;
	lock_sock(sk);
	l = quic_sk(sk)->listener;
	if (quic_sk(sk)->dead || !l)
		goto out;
	quic_seq_addrs(seq, sk);
	/* as QUIC_SOCKOPT_ALPN took it: names separated by commas */
	if (l->alpn_len)
		seq_printf(seq, " %.*s", l->alpn_len, l->alpn);
	else
		seq_puts(seq, " -");
	seq_printf(seq, " %u %u", READ_ONCE(l->nreqs),
		   READ_ONCE(sk->sk_max_ack_backlog));
	quic_seq_owner(seq, sk);
out:
	release_sock(sk);
	return 0;
}

static const struct seq_operations quic_conns_ops = {
	.start	= quic_seq_start,
	.next	= quic_seq_next,
	.stop	= quic_seq_stop,
	.show	= quic_conns_show,
};

static const struct seq_operations quic_endpoints_ops = {
	.start	= quic_seq_start,
	.next	= quic_seq_next,
	.stop	= quic_seq_stop,
	.show	= quic_endpoints_show,
};

/**
 * quic_proc_net_init - make /proc/net/quic for a namespace
 * @net: the namespace
 *
 * Return: 0, or -ENOMEM.
 */
int quic_proc_net_init(struct net *net)
{
	struct quic_net *qn = quic_net(net);

	qn->proc = proc_net_mkdir(net, "quic", net->proc_net);
	if (!qn->proc)
		return -ENOMEM;
	if (!proc_create_net_single("snmp", 0444, qn->proc,
				    quic_mib_seq_show, NULL) ||
	    !proc_create_net("conns", 0444, qn->proc, &quic_conns_ops,
			     sizeof(struct seq_net_private)) ||
	    !proc_create_net("endpoints", 0444, qn->proc, &quic_endpoints_ops,
			     sizeof(struct seq_net_private))) {
		remove_proc_subtree("quic", net->proc_net);
		return -ENOMEM;
	}
	return 0;
}

void quic_proc_net_exit(struct net *net)
{
	remove_proc_subtree("quic", net->proc_net);
}
