// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QUIC connection state: the socket state, the end of a connection
 * (closed here, by the peer or idle) and its closing and draining
 * periods (RFC 9000 section 10), events for the application, handshake
 * completion, connection IDs received and retired, the idle timeout
 * and keepalive, and key update preparation.
 *
 * Everything here runs under the socket lock (owner or bh_lock_sock()),
 * except the key update work, which takes it.
 */

#include <linux/slab.h>
#include <net/sock.h>

#include "compat.h"
#include "conn.h"
#include "frame.h"
#include "input.h"
#include "mib.h"
#include "output.h"
#include "recovery.h"
#include "session.h"
#include "socket.h"
#include "trace.h"

#define QUIC_CLOSE_PERIOD_MIN	1000000	/* us */
#define QUIC_CLOSE_PERIOD_MAX	10000000	/* us */

void quic_set_state(struct sock *sk, int state)
{
	struct quic_sock *qs = quic_sk(sk);
	struct net *net = sock_net(sk);
	int old = sk->sk_state;

	if (state == QUIC_SS_ESTABLISHING) {
		/* a socket carries one connection in its life */
		qs->conn.used = 1;
		QUIC_INC_STATS(net, QUIC_MIB_HANDSHAKESSTARTED);
		QUIC_INC_STATS(net, qs->conn.is_serv ? QUIC_MIB_PASSIVEOPENS :
						       QUIC_MIB_ACTIVEOPENS);
	} else if (old == QUIC_SS_ESTABLISHING) {
		QUIC_INC_STATS(net, state == QUIC_SS_ESTABLISHED ?
				    QUIC_MIB_HANDSHAKESCOMPLETED :
				    QUIC_MIB_HANDSHAKESFAILED);
	}
	if (state == QUIC_SS_CLOSED && (old == QUIC_SS_ESTABLISHING ||
					old == QUIC_SS_ESTABLISHED))
		QUIC_INC_STATS(net, QUIC_MIB_CONNCLOSED);
	trace_quic_state(sk, old, state);
	inet_sk_set_state(sk, state);
}

/* The connection is over (closed here, by the peer, or idle): wake
 * everyone; later calls see @err (0: a clean end).
 */
void quic_conn_closed(struct sock *sk, int err)
{
	if (err)
		WRITE_ONCE(sk->sk_err, err);
	quic_set_state(sk, QUIC_SS_CLOSED);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	quic_timer_stop(sk, QUIC_TIMER_RTX);
	quic_timer_stop(sk, QUIC_TIMER_ACK);
	quic_timer_stop(sk, QUIC_TIMER_IDLE);
	quic_timer_stop(sk, QUIC_TIMER_PATH);
	sk->sk_state_change(sk);
	if (err)
		sk_error_report(sk);
}

void quic_event_queue(struct sock *sk, u8 type, const void *data,
		      unsigned int len)
{
	struct sk_buff *skb;

	if (!(quic_sk(sk)->conn.events & BIT(type)))
		return;
	skb = alloc_skb(1 + len, GFP_ATOMIC);
	if (!skb)
		return;
	/* like a datagram: dropped when the receive buffer is full */
	if (atomic_read(&sk->sk_rmem_alloc) + skb->truesize >
	    READ_ONCE(sk->sk_rcvbuf)) {
		sk_drops_skbadd(sk, skb);
		kfree_skb(skb);
		return;
	}
	skb_put_u8(skb, type);
	skb_put_data(skb, data, len);
	memset(skb->cb, 0, sizeof(skb->cb));
	QUIC_SKB_CB(skb)->kind = QUIC_RCV_EVENT;
	if (!quic_rmem_charge(sk, skb, false)) {
		kfree_skb(skb);
		return;
	}
	__skb_queue_tail(&sk->sk_receive_queue, skb);
	sk->sk_data_ready(sk);
}

void quic_conn_close(struct sock *sk, u32 errcode, u64 frame, bool app)
{
	struct quic_sock *qs = quic_sk(sk);

	if (qs->conn.closing || qs->conn.draining)
		return;
	memset(&qs->conn.close_local, 0, sizeof(qs->conn.close_local));
	qs->conn.close_local.errcode = errcode;
	/* the ABI's field has 8 bits; the wire gets the whole type */
	qs->conn.close_local.frame = min_t(u64, frame, U8_MAX);
	qs->conn.close_frame = frame;
	qs->conn.close_app = app;
	qs->conn.closing = 1;
	quic_closing_start(sk);
	quic_output_close(sk);
	quic_conn_closed(sk, app ? ECONNRESET : EPROTO);
}

/**
 * quic_conn_rcv_reset - a Stateless Reset for this connection, RFC 9000
 * section 10.3.1: it ends at once, in the draining state (nothing more
 * is sent), with ECONNRESET and the CONNECTION_CLOSE event
 * @sk: the socket, locked
 */
void quic_conn_rcv_reset(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_connection_close c = {};

	if (qs->conn.draining || sk->sk_state == QUIC_SS_CLOSED ||
	    sk->sk_state == QUIC_SS_LISTENING)
		return;
	pr_debug("%s: sk %p: stateless reset\n", __func__, sk);
	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_CONNRESETS);
	qs->conn.draining = 1;
	quic_closing_start(sk);
	quic_event_queue(sk, QUIC_EVENT_CONNECTION_CLOSE, &c, sizeof(c));
	quic_conn_closed(sk, ECONNRESET);
}

/* the CONNECTION_ID event: the IDs in use of one set changed */
static void quic_conn_cid_event(struct sock *sk, bool dest)
{
	struct quic_connection_id_info info = { .dest = dest };

	quic_conn_cid_get(sk, &info);
	quic_event_queue(sk, QUIC_EVENT_CONNECTION_ID, &info, sizeof(info));
}

/* RETIRE_CONNECTION_ID frames not acknowledged yet we allow ourselves */
static u32 quic_conn_retire_max(struct quic_sock *qs)
{
	return 2 * clamp_t(u64, qs->params.local.active_connection_id_limit,
			   QUIC_CID_ISSUE_MAX, 64);
}

/*
 * RETIRE_CONNECTION_ID for the peer's ID @seq.  RFC 9000 section 5.1.2:
 * retirements not yet acknowledged are bounded, at twice our limit; a
 * peer that makes us exceed it gets CONNECTION_ID_LIMIT_ERROR.
 * Return: 0 or that error.
 */
static int quic_conn_retire_dcid(struct sock *sk, u64 seq)
{
	struct quic_sock *qs = quic_sk(sk);

	if (qs->cids.dcids.unacked >= quic_conn_retire_max(qs))
		return QUIC_TRANSPORT_ERROR_CONNECTION_ID_LIMIT;
	if (quic_frame_queue_retire_cid(sk, seq))
		qs->cids.dcids.unacked++;
	return 0;
}

/**
 * quic_rcv_new_cid - the peer gave us a connection ID (NEW_CONNECTION_ID)
 * @sk: the socket, locked
 * @seq: its sequence number
 * @prior: retire those below this (at most @seq)
 * @data: the ID
 * @len: its length, 1 to 20
 * @token: its stateless reset token
 *
 * Return: 0 or a transport error code.
 */
int quic_rcv_new_cid(struct sock *sk, u64 seq, u64 prior, const u8 *data,
		     u8 len, const u8 *token)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_conn_id id = {};
	struct quic_cid *cid, *tmp;
	u64 active;
	int err;

	/* the active ID is zero-length: NEW_CONNECTION_ID is an error */
	cid = quic_cid_active(&qs->cids.dcids);
	if (cid && !cid->id.len)
		return QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION;
	active = cid ? cid->seq : 0;

	if (seq < qs->cids.dcids.retire_prior_to) {
		/* RFC 9000 section 19.15: retired as it comes (a repeat
		 * of one retired already is retired again, harmlessly)
		 */
		err = quic_conn_retire_dcid(sk, seq);
		if (err)
			return err;
	} else if (!quic_cid_find_seq(&qs->cids.dcids, seq)) {
		id.len = len;
		memcpy(id.data, data, len);
		if (quic_cid_add(sk, &qs->cids.dcids, seq, &id, token,
				 GFP_ATOMIC))
			return QUIC_TRANSPORT_ERROR_INTERNAL;
	}
	if (prior > qs->cids.dcids.retire_prior_to) {
		list_for_each_entry_safe(cid, tmp, &qs->cids.dcids.list, list) {
			if (cid->seq >= prior)
				continue;
			err = quic_conn_retire_dcid(sk, cid->seq);
			if (err)
				return err;
		}
		quic_cid_retire_prior(sk, &qs->cids.dcids, prior);
	}
	if (qs->cids.dcids.count > qs->params.local.active_connection_id_limit)
		return QUIC_TRANSPORT_ERROR_CONNECTION_ID_LIMIT;
	cid = quic_cid_active(&qs->cids.dcids);
	if (cid && cid->seq != active)
		quic_conn_cid_event(sk, true);
	return 0;
}

/**
 * quic_conn_cid_get - QUIC_SOCKOPT_CONNECTION_ID and the CONNECTION_ID
 * event: the sequence number of the ID in use and of the oldest one kept
 * @sk: the socket, locked
 * @info: in: @dest, the peer's IDs (1) or ours (0); out: @active and
 *	@prior_to (the IDs below it are retired)
 */
void quic_conn_cid_get(struct sock *sk, struct quic_connection_id_info *info)
{
	struct quic_conn_ids *ids = &quic_sk(sk)->cids;
	struct quic_cid_set *set = info->dest ? &ids->dcids : &ids->scids;
	struct quic_cid *active = quic_cid_active(set);
	struct quic_cid *first = quic_cid_first(set);

	info->active = active ? active->seq : 0;
	info->prior_to = first ? first->seq : set->retire_prior_to;
}

/**
 * quic_conn_cid_set - QUIC_SOCKOPT_CONNECTION_ID: use another ID, and
 * retire the older ones
 * @sk: the socket, locked, established
 * @info: @dest: the peer's IDs (1) or ours (0); @active: the sequence
 *	number of the ID to use, 0 to keep the one in use; @prior_to: retire
 *	the IDs below it, 0 (or a value at or below the oldest) for none
 *
 * The peer's IDs below @prior_to are retired at once, each with
 * RETIRE_CONNECTION_ID (RFC 9000 section 19.16), and packets go to the
 * @active one.  For ours, a new ID is issued in a NEW_CONNECTION_ID frame
 * whose Retire Prior To field asks the peer to retire those below
 * @prior_to (section 19.15); they keep routing until it does, and
 * @active is the one our long headers carry.
 *
 * Return: 0; -EINVAL when @active is not an ID we hold, or is below
 * @prior_to; -EAGAIN when too many retirements are not acknowledged yet,
 * or no new ID could be made.
 */
int quic_conn_cid_set(struct sock *sk,
		      const struct quic_connection_id_info *info)
{
	struct quic_conn_ids *ids = &quic_sk(sk)->cids;
	struct quic_cid_set *set = info->dest ? &ids->dcids : &ids->scids;
	struct quic_cid *first = quic_cid_first(set), *cid, *tmp;
	u64 active, prior;
	struct quic_frame *f;
	u32 n;

	if (!first)
		return -EINVAL;
	active = info->active ?: quic_cid_active(set)->seq;
	prior = max_t(u64, info->prior_to, first->seq);
	cid = quic_cid_find_seq(set, active);
	if (!cid || active < prior)
		return -EINVAL;

	if (info->dest) {
		n = 0;
		list_for_each_entry(tmp, &set->list, list)
			if (tmp->seq < prior)
				n++;
		if (set->unacked + n > quic_conn_retire_max(quic_sk(sk)))
			return -EAGAIN;
		list_for_each_entry_safe(first, tmp, &set->list, list) {
			if (first->seq >= prior)
				break;
			quic_conn_retire_dcid(sk, first->seq);
			quic_cid_remove(sk, set, first);
		}
		/* a NEW_CONNECTION_ID sent again for one of them is
		 * retired as it comes
		 */
		if (prior > set->retire_prior_to)
			set->retire_prior_to = prior;
		set->active = cid;
		return 0;
	}

	set->active = cid;
	if (prior <= set->retire_prior_to)
		return 0;
	/* the peer retires those below @prior before it adds the new one,
	 * so this goes beyond its active_connection_id_limit for no time
	 */
	set->retire_prior_to = prior;
	if (quic_cid_issue(sk, set, GFP_KERNEL, &cid))
		return -EAGAIN;
	f = quic_frame_new_cid(cid, prior, GFP_KERNEL);
	if (!f)
		return -EAGAIN;
	quic_outq_add(sk, f);
	set->unacked++;
	return 0;
}

/* Issue source IDs up to the peer's active_connection_id_limit; a peer
 * that retires them faster than it acknowledges the new ones gets no
 * more until it does.
 */
static void quic_issue_cids(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	u32 limit = min_t(u32, qs->params.remote.active_connection_id_limit,
			  QUIC_CID_ISSUE_MAX);
	struct quic_frame *f;
	struct quic_cid *cid;

	while (qs->cids.scids.count < limit &&
	       qs->cids.scids.unacked < 2 * QUIC_CID_ISSUE_MAX) {
		if (quic_cid_issue(sk, &qs->cids.scids, GFP_ATOMIC, &cid))
			return;
		f = quic_frame_new_cid(cid, qs->cids.scids.retire_prior_to,
				       GFP_ATOMIC);
		if (!f)
			return;
		quic_outq_add(sk, f);
		qs->cids.scids.unacked++;
	}
}

/* a NEW_CONNECTION_ID or RETIRE_CONNECTION_ID frame was acknowledged */
void quic_conn_cid_frame_acked(struct sock *sk, u8 type)
{
	struct quic_conn_ids *ids = &quic_sk(sk)->cids;
	struct quic_cid_set *set = type == QUIC_FRAME_NEW_CONNECTION_ID ?
				   &ids->scids : &ids->dcids;

	if (set->unacked)
		set->unacked--;
	if (type == QUIC_FRAME_NEW_CONNECTION_ID)
		quic_issue_cids(sk);
}

/**
 * quic_rcv_retire_cid - RETIRE_CONNECTION_ID for one of our source IDs
 * @sk: the socket, locked
 * @seq: the ID's sequence number
 * @dcid: the destination ID of the packet the frame came in
 * @dcid_len: its length
 *
 * Return: 0 or a transport error: PROTOCOL_VIOLATION for an ID never
 * issued, or the one the packet was sent to (RFC 9000 section 19.16).
 */
int quic_rcv_retire_cid(struct sock *sk, u64 seq, const u8 *dcid,
			u8 dcid_len)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_cid *cid;

	if (seq >= qs->cids.scids.next_seq)
		return QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION;
	cid = quic_cid_find_seq(&qs->cids.scids, seq);
	if (cid && cid->id.len == dcid_len &&
	    !memcmp(cid->id.data, dcid, dcid_len))
		return QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION;
	if (cid && qs->cids.scids.count > 1) {
		quic_cid_remove(sk, &qs->cids.scids, cid);
		quic_issue_cids(sk);
		quic_conn_cid_event(sk, false);
	}
	return 0;
}

/* The peer's CONNECTION_CLOSE: RFC 9000 section 10.2.2, draining, nothing
 * more is sent.  Return: -ECONNRESET, the packet loop ends.
 */
int quic_rcv_close(struct sock *sk, const struct quic_connection_close *c)
{
	struct quic_sock *qs = quic_sk(sk);

	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_CONNPEERCLOSED);
	qs->conn.close_peer = *c;
	qs->conn.close_recv = 1;
	qs->conn.draining = 1;
	quic_closing_start(sk);
	quic_event_queue(sk, QUIC_EVENT_CONNECTION_CLOSE, &qs->conn.close_peer,
			 sizeof(qs->conn.close_peer));
	quic_conn_closed(sk, ECONNRESET);
	return -ECONNRESET;
}

void quic_conn_handshake_complete(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	if (qs->conn.handshake_done)
		return;
	qs->conn.handshake_done = 1;
	if (qs->conn.is_serv) {
		/* RFC 9001 section 4.1.2: the server confirms at completion */
		quic_frame_queue_handshake_done(sk);
		qs->conn.confirmed = 1;
		quic_output_discard_space(sk, QUIC_CRYPTO_HANDSHAKE);
	}
	quic_issue_cids(sk);
	quic_set_state(sk, QUIC_SS_ESTABLISHED);
	if (qs->conn.is_serv) {
		/* a token for the next connection, RFC 9000 section 8.1.3 */
		quic_session_new_token(sk);
		/* 0-RTT packets kept until the handshake's data was read,
		 * then the 1-RTT ones that came before the keys
		 */
		quic_rcv_early(sk, QUIC_CRYPTO_EARLY);
		quic_rcv_early(sk, QUIC_CRYPTO_APP);
	}
	sk->sk_state_change(sk);
	quic_output(sk);
}

/* RFC 9000 section 7.4.1: a server that accepts 0-RTT may not lower a
 * limit the client's 0-RTT data used
 */
static bool quic_early_limits_lowered(const struct quic_transport_param *was,
				      const struct quic_transport_param *now)
{
	return now->max_data < was->max_data ||
	       now->max_stream_data_bidi_local <
			was->max_stream_data_bidi_local ||
	       now->max_stream_data_bidi_remote <
			was->max_stream_data_bidi_remote ||
	       now->max_stream_data_uni < was->max_stream_data_uni ||
	       now->max_streams_bidi < was->max_streams_bidi ||
	       now->max_streams_uni < was->max_streams_uni ||
	       now->active_connection_id_limit <
			was->active_connection_id_limit ||
	       now->max_datagram_frame_size < was->max_datagram_frame_size;
}

/**
 * quic_conn_early_accepted - a 0-RTT packet of a client was acknowledged:
 * the server accepted 0-RTT, and its parameters had to keep the limits
 * of those the client remembered (RFC 9000 section 7.4.1), or this is a
 * PROTOCOL_VIOLATION
 * @sk: the socket, locked
 */
void quic_conn_early_accepted(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	if (qs->conn.early_accepted || qs->conn.is_serv)
		return;
	qs->conn.early_accepted = 1;
	pr_debug("%s: sk %p: 0-RTT accepted, peer parameters %s\n", __func__,
		 sk, qs->conn.tp_ext_recv ? "in" : "not in");
	if (qs->conn.tp_ext_recv &&
	    quic_early_limits_lowered(&qs->params.early, &qs->params.remote))
		quic_conn_close(sk, QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION, 0,
				false);
}

/* a new socket's connection: nothing yet */
void quic_conn_init(struct quic_conn *c, u32 version)
{
	c->version = version;
	c->close_app = 1;	/* close() ends with an application close */
}

/* which end we are, and in which version: connect(), listen(), accept() */
void quic_conn_set_role(struct quic_conn *c, bool serv, u32 version)
{
	c->is_serv = serv;
	c->version = version;
}

void quic_conn_set_events(struct quic_conn *c, u32 events)
{
	c->events = events;
}

/* the peer's transport parameters are in (quic_params.remote) */
void quic_conn_peer_params_in(struct quic_conn *c)
{
	c->tp_ext_recv = 1;
}

/* what CONNECTION_CLOSE we send, set by the user */
void quic_conn_set_close(struct quic_conn *c,
			 const struct quic_connection_close *close)
{
	c->close_local = *close;
	/* CRYPTO_ERROR codes (TLS alerts) are transport errors */
	c->close_app = !(close->errcode >= QUIC_TRANSPORT_ERROR_CRYPTO &&
			 close->errcode <= QUIC_TRANSPORT_ERROR_CRYPTO + 0xff);
	/* an application close carries no frame type (RFC 9000 section
	 * 19.19): it reads back as 0, as the peer sees it
	 */
	if (c->close_app)
		c->close_local.frame = 0;
	c->close_frame = c->close_local.frame;
}

/* Nothing more is sent or answered: the connection is drained (a
 * lingering close that ended, an accepted socket never handed out).
 */
void quic_conn_silence(struct quic_conn *c)
{
	c->draining = 1;
}

/**
 * quic_conn_user_close - close() of an open connection: RFC 9000 section
 * 10.2, tell the peer and enter the closing period, unless a closing or
 * draining period began already
 * @sk: the socket, locked
 */
void quic_conn_user_close(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	if (qs->conn.draining || qs->conn.closing)
		return;
	qs->conn.closing = 1;
	quic_closing_start(sk);
	quic_output_close(sk);
}

/**
 * quic_conn_shutdown - shutdown(SHUT_WR): the connection closes
 * @sk: the socket, locked
 *
 * What the congestion window lets out of the queued data goes first,
 * then CONNECTION_CLOSE, and from then on nothing else (RFC 9000 section
 * 10.2.1): the closing period starts.  Called again, in that period, it
 * sends CONNECTION_CLOSE again, as the draft lets an application do.
 */
void quic_conn_shutdown(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	if (qs->conn.draining)
		return;
	if (!qs->conn.closing) {
		qs->conn.closing = 1;
		quic_closing_start(sk);
	}
	quic_output_close(sk);
	quic_conn_closed(sk, 0);
}

/* A datagram for a connection in its closing state, RFC 9000 section
 * 10.2.1: answered with CONNECTION_CLOSE until the period ends, at most
 * once per smoothed RTT (1 ms at least).
 */
void quic_conn_rcv_closing(struct sock *sk, u32 len, ktime_t now)
{
	struct quic_sock *qs = quic_sk(sk);

	quic_path_rcvd(&qs->paths.act, len);
	if (ktime_before(now, qs->conn.close_deadline) &&
	    (!qs->conn.close_replied ||
	     ktime_us_delta(now, qs->conn.close_replied) >=
	     max_t(u32, qs->rec.smoothed_rtt, 1000))) {
		qs->conn.close_replied = now;
		quic_output_close(sk);
	}
}

/* HANDSHAKE_DONE, RFC 9000 section 19.20: only a server sends it; it
 * confirms the handshake at the client (RFC 9001 section 4.1.2)
 */
int quic_conn_rcv_handshake_done(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	if (qs->conn.is_serv)
		return QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION;
	if (!qs->conn.confirmed) {
		qs->conn.confirmed = 1;
		quic_output_discard_space(sk, QUIC_CRYPTO_HANDSHAKE);
	}
	return 0;
}

/* packets */

/* RFC 9000 section 10.1: the smaller of both sides' idle timeouts,
 * restarted by a received packet and by the first ack-eliciting packet
 * sent after one.  The same timer sends keepalive PINGs when
 * config.keepalive_probe_interval is set (section 10.1.2).
 */
void quic_idle_arm(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	u32 idle = qs->params.local.max_idle_timeout;
	u32 ka = qs->params.config.keepalive_probe_interval;

	if (qs->conn.tp_ext_recv && qs->params.remote.max_idle_timeout &&
	    (!idle || qs->params.remote.max_idle_timeout < idle))
		idle = qs->params.remote.max_idle_timeout;
	/* RFC 9000 section 10.1: never less than three probe timeouts, so
	 * that a path whose RTT grows (a loaded host, a queue) is probed
	 * before it is given up
	 */
	if (idle)
		idle = max_t(u32, idle, 3 * (quic_rtx_pto(qs) +
					     qs->params.remote.max_ack_delay));
	qs->conn.idle_deadline = idle ? ktime_add_us(ktime_get(), idle) : 0;
	if (ka && (!idle || ka < idle))
		idle = ka;
	if (idle)
		quic_timer_set(sk, QUIC_TIMER_IDLE,
			       jiffies + usecs_to_jiffies(idle));
}

/* what a connection is waiting for, for dynamic debug */
static void quic_debug_state(struct sock *sk, const char *why)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_pnspace *s = &qs->space[QUIC_CRYPTO_APP];

	pr_debug("%s: sk %p serv %d: cwnd %u in_flight %u outq %u unacked %u sndbuf %d send_data %llu/%llu recv_data %llu/%llu consumed %llu rmem %d rcvbuf %d rq %u backlog %d waiters %u pto %u rtx %d ack_pending %u nranges %u next_pn %llu largest_acked %llu eliciting %u loss_time %lld\n",
		 why, sk, qs->conn.is_serv, quic_cong_cwnd(&qs->cong),
		 qs->rec.in_flight, qs->outq.bytes, qs->outq.unacked,
		 READ_ONCE(sk->sk_sndbuf), qs->streams.send_data,
		 qs->streams.send_max_data, qs->streams.recv_data,
		 qs->streams.recv_max_data, qs->streams.recv_consumed,
		 atomic_read(&sk->sk_rmem_alloc), READ_ONCE(sk->sk_rcvbuf),
		 skb_queue_len(&sk->sk_receive_queue), sk->sk_backlog.len,
		 qs->inq.waiters, qs->rec.pto_count,
		 quic_timer_pending(sk, QUIC_TIMER_RTX),
		 s->ack_pending, s->nranges, s->next_pn, s->largest_acked,
		 s->ack_eliciting_in_flight, ktime_to_us(s->loss_time));
}

/* the idle timer, socket locked and not closed */
void quic_idle_fire(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	u32 ka = qs->params.config.keepalive_probe_interval;
	ktime_t now = ktime_get();
	struct quic_frame *f;
	s64 left = 0;

	if (qs->conn.idle_deadline) {
		left = ktime_us_delta(qs->conn.idle_deadline, now);
		if (left <= 0) {
			quic_debug_state(sk, "idle timeout");
			QUIC_INC_STATS(sock_net(sk), QUIC_MIB_CONNIDLETIMEOUTS);
			/* RFC 9000 section 10.1: silently closed */
			qs->conn.draining = 1;
			quic_conn_closed(sk, ETIMEDOUT);
			return;
		}
	}
	/* no keepalive before the handshake completes; the timer must
	 * still come back for the idle deadline then
	 */
	if (!qs->conn.handshake_done || qs->conn.closing)
		ka = 0;
	if (ka) {
		f = quic_frame_ping(QUIC_CRYPTO_APP, GFP_ATOMIC);
		if (f) {
			quic_outq_add(sk, f);	/* PING: the ACK re-arms us */
			quic_output(sk);
		}
	}
	if (left && (!ka || left < ka))
		ka = left;
	if (ka)
		quic_timer_set(sk, QUIC_TIMER_IDLE,
			       jiffies + usecs_to_jiffies(ka));
}

/**
 * quic_closing_start - a closing or draining period begins now
 * @sk: the socket, locked
 *
 * RFC 9000 section 10.2: it lasts at least three times the current PTO;
 * here never less than QUIC_CLOSE_PERIOD_MIN, which on a fast path leaves
 * a peer whose close was lost more than a few milliseconds to speak up,
 * and never more than QUIC_CLOSE_PERIOD_MAX: the PTO follows the peer's
 * max_ack_delay (up to 16 s) and, before an RTT sample, the configured
 * initial RTT, and a closed socket holds its memory, its connection IDs
 * and the module until the period ends (a SHOULD traded for a bound).
 */
void quic_closing_start(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	u64 pto;

	pto = qs->rec.smoothed_rtt +
	      max_t(u32, 4 * qs->rec.rttvar, QUIC_GRANULARITY) +
	      qs->params.remote.max_ack_delay;
	qs->conn.close_deadline = ktime_add_us(ktime_get(),
					       clamp_t(u64, 3 * pto,
						       QUIC_CLOSE_PERIOD_MIN,
						       QUIC_CLOSE_PERIOD_MAX));
	qs->conn.close_replied = 0;
}

/*
 * RFC 9000 section 17.2.5.2, RFC 9001 section 5.2: after a Retry, the
 * client sends to the Retry's source ID, with Initial keys from it, and
 * sends its Initials again (with the token, quic_output_packet()); the
 * packet numbers go on (RFC 9000 section 17.2.5.3).
 */
static void quic_conn_follow_retry(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_cid *dcid;
	int err;

	qs->conn.retry_pending = 0;
	if (sk->sk_state != QUIC_SS_ESTABLISHING)
		return;
	dcid = quic_conn_ids_follow_retry(&qs->cids);
	if (!dcid)
		return;
	err = quic_crypto_initial_keys(&qs->crypto[QUIC_CRYPTO_INITIAL],
				       dcid->id.data, dcid->id.len,
				       qs->conn.version, false);
	if (err) {
		quic_conn_silence(&qs->conn);
		quic_conn_closed(sk, -err);
		return;
	}
	quic_output_requeue(sk, QUIC_CRYPTO_INITIAL);
	quic_output(sk);
}

/* Derive the next 1-RTT key generation and free discarded keys, in
 * process context; and the Initial keys after a Retry.
 */
void quic_key_update_work(struct work_struct *work)
{
	struct quic_sock *qs = container_of(work, struct quic_sock,
					    conn.ku_work);
	struct sock *sk = &qs->inet.sk;
	unsigned long gone;
	u8 level;

	lock_sock(sk);
	if (!qs->dead) {	/* else quic_destroy_sock() frees them all */
		gone = qs->conn.keys_gone;
		qs->conn.keys_gone = 0;
		for_each_set_bit(level, &gone, QUIC_CRYPTO_MAX)
			quic_crypto_free(&qs->crypto[level]);
	}
	if (!qs->dead && qs->conn.retry_pending)
		quic_conn_follow_retry(sk);
	if (!qs->dead &&
	    quic_crypto_key_update_pending(&qs->crypto[QUIC_CRYPTO_APP]))
		quic_crypto_key_update_prepare(&qs->crypto[QUIC_CRYPTO_APP]);
	release_sock(sk);
	sock_put(sk);
}

/**
 * quic_keys_discard - the keys of @level will never be used again: have
 * them freed in process context (the caller may be in softirq); the packet
 * number space's discarded flag keeps them from use meanwhile
 * @sk: the socket, locked
 * @level: the crypto level
 */
void quic_keys_discard(struct sock *sk, u8 level)
{
	struct quic_sock *qs = quic_sk(sk);

	qs->conn.keys_gone |= BIT(level);
	quic_key_update_schedule(sk);
}

void quic_key_update_schedule(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	sock_hold(sk);
	if (!schedule_work(&qs->conn.ku_work))
		__sock_put(sk);
}
