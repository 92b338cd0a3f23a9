// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QUIC streams: the table, receive reassembly and flow control (RFC 9000
 * sections 2-4).  A stream leaves the table once both its parts are
 * terminal.
 */

#include <linux/slab.h>
#include <net/sock.h>

#include "compat.h"
#include "conn.h"
#include "input.h"
#include "socket.h"
#include "trace.h"
#include "varint.h"

#define QUIC_STREAM_REORDER_MAX	64	/* skbs held out of order */
#define QUIC_RCV_FORCE_BUFS	4	/* small in-order data: buffers */

static bool quic_stream_is_uni(s64 id)
{
	return id & QUIC_STREAM_TYPE_UNI_MASK;
}

static bool quic_stream_is_local(struct sock *sk, s64 id)
{
	return !!(id & QUIC_STREAM_TYPE_SERVER_MASK) == quic_is_serv(sk);
}

static u64 quic_stream_idx(s64 id)
{
	return (u64)id >> 2;
}

/* the limits of the streams of @id's type */
static struct quic_stream_limits *quic_stream_limits(struct sock *sk, s64 id)
{
	struct quic_stream_table *t = &quic_sk(sk)->streams;
	bool uni = quic_stream_is_uni(id);

	return quic_stream_is_local(sk, id) ? &t->local[uni] : &t->remote[uni];
}

void quic_streams_init(struct quic_stream_table *t)
{
	/* also taken in softirq (frames that open streams) */
	xa_init_flags(&t->xa, XA_FLAGS_LOCK_BH);
	memset(t->local, 0, sizeof(t->local));
	memset(t->remote, 0, sizeof(t->remote));
	t->last_opened = -1;
	t->last = NULL;
	t->count = 0;
}

static void quic_stream_free(struct quic_stream *st)
{
	__skb_queue_purge(&st->reorder);
	kfree_rcu(st, rcu);
}

void quic_streams_free(struct quic_stream_table *t)
{
	struct quic_stream *st;
	unsigned long id;

	WRITE_ONCE(t->last, NULL);
	xa_for_each(&t->xa, id, st)
		quic_stream_free(st);
	xa_destroy(&t->xa);
	t->count = 0;
}

/* stream and connection limits, from both sides' transport parameters */
void quic_streams_set_limits(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_stream_table *t = &qs->streams;

	t->remote[0].max = qs->params.local.max_streams_bidi;
	t->remote[1].max = qs->params.local.max_streams_uni;
	qs->streams.recv_max_data = qs->params.local.max_data;
	qs->streams.recv_window = qs->params.local.max_data;
	if (qs->conn.tp_ext_recv || qs->conn.early_params) {
		t->local[0].max = qs->params.remote.max_streams_bidi;
		t->local[1].max = qs->params.remote.max_streams_uni;
		qs->streams.send_max_data = qs->params.remote.max_data;
	}
}

/**
 * quic_streams_peer_limits_raised - the server's parameters arrived at a
 * client that opened streams with those of an earlier connection (0-RTT):
 * the limits of its streams grow to the new ones (they never shrink: a
 * server that accepted the 0-RTT data kept them, RFC 9000 section 7.4.1)
 * @sk: the socket, locked
 */
void quic_streams_peer_limits_raised(struct sock *sk)
{
	struct quic_transport_param *rp = &quic_sk(sk)->params.remote;
	struct quic_stream *st;
	unsigned long id;

	xa_for_each(&quic_sk(sk)->streams.xa, id, st) {
		if (!quic_stream_is_local(sk, id))
			continue;
		quic_stream_rcv_max_data(sk, id, quic_stream_is_uni(id) ?
					 rp->max_stream_data_uni :
					 rp->max_stream_data_bidi_remote);
	}
}

struct quic_stream *quic_stream_find(struct quic_stream_table *t, s64 id)
{
	if (id < 0 || (u64)id > ULONG_MAX)
		return NULL;
	return xa_load(&t->xa, id);
}

/* state changes of a stream's two parts, RFC 9000 section 3 */
void quic_stream_set_send_state(struct sock *sk, struct quic_stream *st,
				u8 state)
{
	trace_quic_stream_state(sk, st->id, true, st->send_state, state);
	st->send_state = state;
}

void quic_stream_set_recv_state(struct sock *sk, struct quic_stream *st,
				u8 state)
{
	trace_quic_stream_state(sk, st->id, false, st->recv_state, state);
	st->recv_state = state;
}

static struct quic_stream *quic_stream_create(struct sock *sk, s64 id)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_transport_param *lp = &qs->params.local;
	struct quic_transport_param *rp = &qs->params.remote;
	bool local = quic_stream_is_local(sk, id);
	bool uni = quic_stream_is_uni(id);
	struct quic_stream *st;

	if ((u64)id > ULONG_MAX)
		return NULL;
	st = kzalloc(sizeof(*st), GFP_ATOMIC);
	if (!st)
		return NULL;
	st->id = id;
	skb_queue_head_init(&st->reorder);
	/* RFC 9000 section 18.2: which limit applies to which side */
	if (uni) {
		st->send_max = local ? rp->max_stream_data_uni : 0;
		st->recv_max = local ? 0 : lp->max_stream_data_uni;
		st->send_state = local ? QUIC_STREAM_SEND_STATE_READY :
					 QUIC_STREAM_SEND_STATE_RECVD;
		st->recv_state = local ? QUIC_STREAM_RECV_STATE_READ :
					 QUIC_STREAM_RECV_STATE_RECV;
	} else {
		st->send_max = local ? rp->max_stream_data_bidi_remote :
				       rp->max_stream_data_bidi_local;
		st->recv_max = local ? lp->max_stream_data_bidi_local :
				       lp->max_stream_data_bidi_remote;
		st->send_state = QUIC_STREAM_SEND_STATE_READY;
		st->recv_state = QUIC_STREAM_RECV_STATE_RECV;
	}
	st->recv_window = st->recv_max;
	if (xa_is_err(xa_store_bh(&qs->streams.xa, id, st, GFP_ATOMIC))) {
		kfree(st);
		return NULL;
	}
	qs->streams.count++;
	if (!uni || local)
		trace_quic_stream_state(sk, id, true, 0xff, st->send_state);
	if (!uni || !local)
		trace_quic_stream_state(sk, id, false, 0xff, st->recv_state);
	return st;
}

/* Open the streams of @id's type up to @id: the lower ones are opened with
 * it (RFC 9000 section 3.2).  Returns @id's stream, or NULL when out of
 * memory.
 */
static struct quic_stream *quic_stream_open(struct sock *sk, s64 id)
{
	struct quic_stream_limits *l = quic_stream_limits(sk, id);
	struct quic_stream *st = NULL;
	u64 idx = quic_stream_idx(id);

	while (l->next <= idx) {
		st = quic_stream_create(sk, (s64)(l->next << 2) | (id & 3));
		if (!st)
			return NULL;
		l->next++;
	}
	return st;
}

/* the STREAM_UPDATE event (when enabled): @st's part entered @state */
static void quic_stream_update(struct sock *sk, struct quic_stream *st,
			       u8 state, u64 errcode, u64 finalsz)
{
	struct quic_stream_update u = {
		.id = st->id,
		.state = state,
		.errcode = (u32)errcode,	/* the ABI's width */
		.finalsz = finalsz,
	};

	quic_event_queue(sk, QUIC_EVENT_STREAM_UPDATE, &u, sizeof(u));
}

/* @st is done with when its sending part is acknowledged in full, or its
 * reset is, and its receiving part was read in full, or reset by the
 * peer (what was delivered before the reset stays readable, counted
 * without the stream): it leaves the table.  Only then may the peer open
 * another in its place, if it opened it: the streams held stay within
 * the limits, whatever the peer leaves unfinished.
 */
static void quic_stream_try_release(struct sock *sk, struct quic_stream *st)
{
	struct quic_stream_table *t = &quic_sk(sk)->streams;

	if ((st->send_state != QUIC_STREAM_SEND_STATE_RECVD &&
	     st->send_state != QUIC_STREAM_SEND_STATE_RESET_RECVD) ||
	    (st->recv_state != QUIC_STREAM_RECV_STATE_READ &&
	     st->recv_state < QUIC_STREAM_RECV_STATE_RESET_RECVD))
		return;
	xa_erase_bh(&t->xa, st->id);
	if (t->last == st)
		WRITE_ONCE(t->last, NULL);
	t->count--;
	quic_stream_peer_done(sk, st);
	quic_stream_free(st);
}

/**
 * quic_stream_acked - a STREAM frame of stream @id was acknowledged
 * @sk: the socket, locked
 * @id: the stream
 */
void quic_stream_acked(struct sock *sk, s64 id)
{
	struct quic_stream *st = quic_stream_find(&quic_sk(sk)->streams, id);

	if (!st || !st->send_inflight)
		return;
	st->send_inflight--;
	/* RFC 9000 section 3.1: all data, FIN included, acknowledged */
	if (!st->send_inflight &&
	    st->send_state == QUIC_STREAM_SEND_STATE_SENT) {
		quic_stream_set_send_state(sk, st, QUIC_STREAM_SEND_STATE_RECVD);
		quic_stream_update(sk, st, QUIC_STREAM_SEND_STATE_RECVD, 0,
				   st->send_offset);
		quic_stream_try_release(sk, st);
	}
}

/**
 * quic_stream_frame_lost - a STREAM frame of stream @id was lost: is it
 * to be sent again?
 * @sk: the socket, locked
 * @id: the stream
 *
 * RFC 9000 section 3.3: once a RESET_STREAM is sent, the stream's data is
 * not sent again.
 *
 * Return: true when the frame is to be dropped (its stream reset, or
 * gone), and it no longer counts as in flight.
 */
bool quic_stream_frame_lost(struct sock *sk, s64 id)
{
	struct quic_stream *st = quic_stream_find(&quic_sk(sk)->streams, id);

	if (!st)
		return true;
	if (st->send_state < QUIC_STREAM_SEND_STATE_RESET_SENT)
		return false;
	if (st->send_inflight)
		st->send_inflight--;
	return true;
}

/* Abandon @st's sending part: what is queued goes, RESET_STREAM with the
 * final size (all the stream data counted against flow control, sent or
 * not: so the peer counts it too) goes out, RFC 9000 sections 3.1 and
 * 19.4.  -ENOMEM: nothing changed.
 */
static int quic_stream_do_reset(struct sock *sk, struct quic_stream *st,
				u64 errcode, gfp_t gfp)
{
	u64 v[3] = { st->id, errcode, st->send_offset };
	struct quic_frame *f;

	f = quic_frame_build(QUIC_CRYPTO_APP, gfp, QUIC_FRAME_RESET_STREAM, 3,
			     v);
	if (!f)
		return -ENOMEM;
	st->send_inflight -= min(st->send_inflight,
				 quic_outq_drop_stream(sk, st->id));
	quic_stream_set_send_state(sk, st, QUIC_STREAM_SEND_STATE_RESET_SENT);
	st->send_errcode = errcode;
	quic_outq_add(sk, f);
	sk->sk_write_space(sk);
	return 0;
}

/**
 * quic_stream_reset - QUIC_SOCKOPT_STREAM_RESET: abandon the sending part
 * of stream @id
 * @sk: the socket, locked
 * @id: the stream
 * @errcode: the application's error code
 *
 * A stream whose sending part is done with (all acknowledged, or reset
 * already) is left as it is.
 *
 * Return: 0; -EINVAL for a stream we have no sending part of (the peer's
 * unidirectional streams, streams not open); -ENOMEM.
 */
int quic_stream_reset(struct sock *sk, s64 id, u64 errcode)
{
	struct quic_stream *st;
	int err;

	st = quic_stream_find(&quic_sk(sk)->streams, id);
	if (!st || (!quic_stream_is_local(sk, id) && quic_stream_is_uni(id)))
		return -EINVAL;
	if (st->send_state >= QUIC_STREAM_SEND_STATE_RECVD)
		return 0;
	err = quic_stream_do_reset(sk, st, errcode, GFP_KERNEL);
	if (!err)
		quic_output(sk);
	return err;
}

/**
 * quic_stream_reset_acked - the peer acknowledged our RESET_STREAM for
 * stream @id: the sending part is over (Reset Recvd)
 * @sk: the socket, locked
 * @id: the stream
 */
void quic_stream_reset_acked(struct sock *sk, s64 id)
{
	struct quic_stream *st = quic_stream_find(&quic_sk(sk)->streams, id);

	if (!st || st->send_state != QUIC_STREAM_SEND_STATE_RESET_SENT)
		return;
	quic_stream_set_send_state(sk, st, QUIC_STREAM_SEND_STATE_RESET_RECVD);
	quic_stream_update(sk, st, QUIC_STREAM_SEND_STATE_RESET_RECVD,
			   st->send_errcode, st->send_offset);
	quic_stream_try_release(sk, st);
}

/**
 * quic_stream_stop_sending - QUIC_SOCKOPT_STREAM_STOP_SENDING: ask the
 * peer to stop sending on stream @id (RFC 9000 section 3.5)
 * @sk: the socket, locked
 * @id: the stream
 * @errcode: the application's error code
 *
 * Once per stream; not for a stream whose data all arrived, or that the
 * peer reset.  What arrives until the peer resets the stream is still
 * delivered.
 *
 * Return: 0; -EINVAL for a stream we have no receiving part of (our
 * unidirectional streams, streams not open); -ENOMEM.
 */
int quic_stream_stop_sending(struct sock *sk, s64 id, u64 errcode)
{
	struct quic_stream *st;
	struct quic_frame *f;
	u64 v[2] = { id, errcode };

	st = quic_stream_find(&quic_sk(sk)->streams, id);
	if (!st || (quic_stream_is_local(sk, id) && quic_stream_is_uni(id)))
		return -EINVAL;
	if (st->stop_sent || st->recv_state >= QUIC_STREAM_RECV_STATE_RECVD)
		return 0;
	f = quic_frame_build(QUIC_CRYPTO_APP, GFP_KERNEL,
			     QUIC_FRAME_STOP_SENDING, 2, v);
	if (!f)
		return -ENOMEM;
	st->stop_sent = 1;
	quic_outq_add(sk, f);
	quic_output(sk);
	return 0;
}

/**
 * quic_stream_read_all - the reader took the last byte of @st (and its
 * FIN); @st may be freed
 * @sk: the socket, locked
 * @st: the stream
 */
void quic_stream_read_all(struct sock *sk, struct quic_stream *st)
{
	st->fin_read = 1;
	quic_stream_set_recv_state(sk, st, QUIC_STREAM_RECV_STATE_READ);
	quic_stream_try_release(sk, st);
}

/**
 * quic_stream_get_recv - the stream a received frame is for
 * @sk: the socket, locked
 * @id: stream ID from the frame
 * @err: transport error code when NULL is returned for an error
 *
 * Return: the stream, created if the peer opens it; NULL with *@err 0
 * when the frame is to be ignored.
 */
struct quic_stream *quic_stream_get_recv(struct sock *sk, s64 id, int *err)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_stream_limits *l;
	bool uni = quic_stream_is_uni(id);
	struct quic_stream *st;
	u64 idx = (u64)id >> 2;

	*err = 0;
	l = quic_stream_limits(sk, id);
	if (quic_stream_is_local(sk, id)) {
		/* our uni streams only send; unopened ones do not exist */
		if (uni || idx >= l->next) {
			*err = QUIC_TRANSPORT_ERROR_STREAM_STATE;
			return NULL;
		}
		return quic_stream_find(&qs->streams, id); /* NULL: closed */
	}
	if (idx < l->next)
		return quic_stream_find(&qs->streams, id); /* NULL: closed */
	if (idx >= l->max) {
		*err = QUIC_TRANSPORT_ERROR_STREAM_LIMIT;
		return NULL;
	}
	st = quic_stream_open(sk, id);
	if (!st)
		*err = QUIC_TRANSPORT_ERROR_INTERNAL;
	return st;
}

/**
 * quic_stream_rcv_reset - a RESET_STREAM (RFC 9000 section 19.4): check
 * it, and end the receiving part
 * @sk: the socket, locked
 * @id: the stream
 * @errcode: the peer's application error code
 * @final: the final size it gives
 *
 * A stream we only send on is a STREAM_STATE_ERROR; one beyond the
 * limit a STREAM_LIMIT_ERROR; a final size that differs from one known,
 * or lies below data received, a FINAL_SIZE_ERROR (section 4.5); one
 * beyond the stream's or the connection's credit a FLOW_CONTROL_ERROR.
 * The reader is told with the STREAM_UPDATE event, behind the data
 * delivered before.
 *
 * Return: 0 or a transport error code.
 */
int quic_stream_rcv_reset(struct sock *sk, s64 id, u64 errcode, u64 final)
{
	struct quic_stream_table *t = &quic_sk(sk)->streams;
	struct quic_stream *st;
	int err;

	st = quic_stream_get_recv(sk, id, &err);
	if (!st)
		return err;	/* 0: a closed stream, ignored */
	if (final > st->recv_max)
		return QUIC_TRANSPORT_ERROR_FLOW_CONTROL;
	if (st->final_known ? final != st->final_size :
			      final < st->recv_highest)
		return QUIC_TRANSPORT_ERROR_FINAL_SIZE;
	if (final > st->recv_highest) {
		if (t->recv_data + (final - st->recv_highest) >
		    t->recv_max_data)
			return QUIC_TRANSPORT_ERROR_FLOW_CONTROL;
		t->recv_data += final - st->recv_highest;
		st->recv_highest = final;
	}
	st->final_known = 1;
	st->final_size = final;
	/* all the data arrived already: the reader has it all (section
	 * 3.2 leaves the choice); or reset before
	 */
	if (st->recv_state >= QUIC_STREAM_RECV_STATE_RECVD)
		return 0;
	/* Reset Recvd: what waits behind a gap goes; what was delivered
	 * stays readable.  The bytes up to the final size that the reader
	 * will never see are given back to the connection's window.
	 */
	quic_stream_set_recv_state(sk, st, QUIC_STREAM_RECV_STATE_RESET_RECVD);
	st->recv_errcode = errcode;
	__skb_queue_purge(&st->reorder);
	quic_stream_consumed(sk, NULL, final - st->recv_offset);
	quic_stream_update(sk, st, QUIC_STREAM_RECV_STATE_RESET_RECVD, errcode,
			   final);
	quic_stream_try_release(sk, st);
	return 0;
}

/**
 * quic_stream_rcv_stop_sending - a STOP_SENDING (RFC 9000 section 19.5):
 * check it, and answer with RESET_STREAM
 * @sk: the socket, locked
 * @id: the stream
 * @errcode: the peer's application error code, which the reset carries
 *
 * A stream we only receive on, or one of ours not opened yet, is a
 * STREAM_STATE_ERROR; a peer's stream beyond the limit a
 * STREAM_LIMIT_ERROR.  Repeated, it changes nothing: the stream was reset
 * at the first.
 *
 * Return: 0, a transport error code, or -EAGAIN when out of memory (the
 * packet is not acknowledged).
 */
int quic_stream_rcv_stop_sending(struct sock *sk, s64 id, u64 errcode)
{
	struct quic_stream_limits *l = quic_stream_limits(sk, id);
	struct quic_stream *st;
	int err = 0;

	if (quic_stream_is_local(sk, id)) {
		if (quic_stream_idx(id) >= l->next)
			return QUIC_TRANSPORT_ERROR_STREAM_STATE;
		st = quic_stream_find(&quic_sk(sk)->streams, id);
	} else {
		if (quic_stream_is_uni(id))
			return QUIC_TRANSPORT_ERROR_STREAM_STATE;
		st = quic_stream_get_recv(sk, id, &err);	/* opens it */
	}
	/* section 3.5: answered with RESET_STREAM, the same error code,
	 * unless all the data was acknowledged or the stream reset already
	 */
	if (!st || st->send_state >= QUIC_STREAM_SEND_STATE_RECVD)
		return err;
	if (quic_stream_do_reset(sk, st, errcode, GFP_ATOMIC))
		return -EAGAIN;	/* unacknowledged: the peer sends it again */
	st->stop_rcvd = 1;
	quic_stream_update(sk, st, QUIC_STREAM_SEND_STATE_RESET_SENT, errcode,
			   st->send_offset);
	return 0;
}

/**
 * quic_stream_next_id - the ID of the next stream we would open
 * @sk: the socket, locked
 * @uni: unidirectional, else bidirectional
 *
 * Return: that ID, with our initiator bit.
 */
s64 quic_stream_next_id(struct sock *sk, bool uni)
{
	struct quic_sock *qs = quic_sk(sk);

	return (qs->streams.local[uni].next << 2) |
	       (uni ? QUIC_STREAM_TYPE_UNI_MASK : 0) |
	       (qs->conn.is_serv ? QUIC_STREAM_TYPE_SERVER_MASK : 0);
}

/**
 * quic_stream_default_id - the stream of a send that names none
 * @sk: the socket, locked
 * @flags: the send's stream flags; MSG_QUIC_STREAM_NEW is added when a
 *	stream is to be opened
 *
 * send() and write(), a sendmsg() without a QUIC_STREAM_INFO cmsg and one
 * whose cmsg gives stream ID -1 send on "the most recently opened stream"
 * (the draft, section 4.1): the last one this socket opened, as long as
 * its sending part is open.  MSG_QUIC_STREAM_NEW asks for a new stream,
 * and one is opened as well when there is no such stream (none opened
 * yet, or the last one finished or reset): our next bidirectional one,
 * or unidirectional with MSG_QUIC_STREAM_UNI.  Whether it may be opened
 * (the peer's MAX_STREAMS) is for quic_stream_get_send() to say.
 *
 * Return: the stream ID.
 */
s64 quic_stream_default_id(struct sock *sk, u32 *flags)
{
	struct quic_sock *qs = quic_sk(sk);
	s64 id = qs->streams.last_opened;
	struct quic_stream *st;

	if (id >= 0 && !(*flags & MSG_QUIC_STREAM_NEW)) {
		st = quic_stream_find(&qs->streams, id);
		if (st && st->send_state < QUIC_STREAM_SEND_STATE_SENT)
			return id;
	}
	*flags |= MSG_QUIC_STREAM_NEW;
	return quic_stream_next_id(sk, *flags & MSG_QUIC_STREAM_UNI);
}

/**
 * quic_stream_get_send - the stream to send on, opening ours as needed
 * @sk: the socket, locked
 * @id: stream ID
 * @flags: MSG_QUIC_STREAM_* flags of the send
 * @err: negative errno when NULL is returned
 *
 * Return: the stream, or NULL: -EINVAL for a stream we cannot send on,
 * -EAGAIN when the peer's stream limit blocks opening it.
 */
struct quic_stream *quic_stream_get_send(struct sock *sk, s64 id, u32 flags,
					 int *err)
{
	struct quic_sock *qs = quic_sk(sk);
	bool uni = quic_stream_is_uni(id);
	struct quic_stream_limits *l;
	struct quic_stream *st;
	u64 idx = (u64)id >> 2;

	*err = -EINVAL;
	if (id < 0 || (u64)id > QUIC_VARINT_MAX)
		return NULL;
	st = quic_stream_find(&qs->streams, id);
	if (st) {
		if (st->send_state < QUIC_STREAM_SEND_STATE_SENT)
			return st;
		/* reset on the peer's STOP_SENDING; else finished, or
		 * reset by the application
		 */
		if (st->send_state >= QUIC_STREAM_SEND_STATE_RESET_SENT &&
		    st->stop_rcvd)
			*err = -ECONNRESET;
		return NULL;
	}
	if (!quic_stream_is_local(sk, id)) {
		*err = -EINVAL;	/* the peer opens its own streams */
		return NULL;
	}
	l = &qs->streams.local[uni];
	if (idx < l->next)
		return NULL;	/* closed already */
	if (idx >= l->max) {
		*err = -EAGAIN;
		return NULL;
	}
	st = quic_stream_open(sk, id);
	if (!st) {
		*err = -ENOMEM;
		return NULL;
	}
	qs->streams.last_opened = id;
	WRITE_ONCE(qs->streams.last, st);
	return st;
}

static void quic_stream_deliver(struct sock *sk, struct quic_stream *st)
{
	struct sk_buff *skb, *tmp;
	u64 off, end;

	skb_queue_walk_safe(&st->reorder, skb, tmp) {
		off = QUIC_SKB_CB(skb)->offset;
		end = off + skb->len;
		if (off > st->recv_offset)
			break;
		__skb_unlink(skb, &st->reorder);
		if (end < st->recv_offset ||
		    (end == st->recv_offset &&
		     !(QUIC_SKB_CB(skb)->fin && !st->fin_queued))) {
			kfree_skb(skb);
			continue;
		}
		skb_pull(skb, st->recv_offset - off);
		QUIC_SKB_CB(skb)->offset = st->recv_offset;
		st->recv_offset = end;
		if (QUIC_SKB_CB(skb)->fin)
			st->fin_queued = 1;
		if (!quic_rcv_append(sk, skb))
			__skb_queue_tail(&sk->sk_receive_queue, skb);
	}
	if (st->fin_queued && st->recv_state < QUIC_STREAM_RECV_STATE_RECVD) {
		quic_stream_set_recv_state(sk, st, QUIC_STREAM_RECV_STATE_RECVD);
		/* behind the data, in the receive queue */
		quic_stream_update(sk, st, QUIC_STREAM_RECV_STATE_RECVD, 0,
				   st->final_size);
	}
}

/**
 * quic_stream_recv - take a STREAM frame's data
 * @sk: the socket, locked
 * @st: the stream
 * @skb: the data, QUIC_SKB_CB filled; consumed
 *
 * Return: 0, a transport error code, or -EAGAIN when the data cannot be
 * held now: the caller must not acknowledge the packet.
 */
int quic_stream_recv(struct sock *sk, struct quic_stream *st,
		     struct sk_buff *skb)
{
	struct quic_sock *qs = quic_sk(sk);
	u64 off = QUIC_SKB_CB(skb)->offset, end = off + skb->len;
	struct sk_buff *pos;
	u64 rmem, rcvbuf;
	int err;

	if (st->recv_state >= QUIC_STREAM_RECV_STATE_RESET_RECVD) {
		kfree_skb(skb);
		return 0;
	}
	/* section 4.5: final size rules */
	if (st->final_known && (end > st->final_size ||
				(QUIC_SKB_CB(skb)->fin && end != st->final_size))) {
		err = QUIC_TRANSPORT_ERROR_FINAL_SIZE;
		goto err;
	}
	if (QUIC_SKB_CB(skb)->fin) {
		if (end < st->recv_highest) {
			err = QUIC_TRANSPORT_ERROR_FINAL_SIZE;
			goto err;
		}
		st->final_known = 1;
		st->final_size = end;
		if (st->recv_state == QUIC_STREAM_RECV_STATE_RECV) {
			quic_stream_set_recv_state(sk, st,
						   QUIC_STREAM_RECV_STATE_SIZE_KNOWN);
			/* the draft tells of it when the end comes early */
			if (off > st->recv_offset)
				quic_stream_update(sk, st,
						   QUIC_STREAM_RECV_STATE_SIZE_KNOWN,
						   0, end);
		}
	}
	/* section 4.1: flow control limits */
	if (end > st->recv_max) {
		err = QUIC_TRANSPORT_ERROR_FLOW_CONTROL;
		goto err;
	}
	if (end > st->recv_highest) {
		if (qs->streams.recv_data + (end - st->recv_highest) >
		    qs->streams.recv_max_data) {
			err = QUIC_TRANSPORT_ERROR_FLOW_CONTROL;
			goto err;
		}
		qs->streams.recv_data += end - st->recv_highest;
		st->recv_highest = end;
	}

	if (end < st->recv_offset ||
	    (end == st->recv_offset && !(QUIC_SKB_CB(skb)->fin && !st->fin_queued))) {
		kfree_skb(skb);	/* all seen before */
		return 0;
	}
	/* Data that leaves a gap before it waits for the gap to fill, in
	 * memory the receive buffer must have room for; without room the
	 * packet goes unacknowledged, to be resent.  Data at the read
	 * offset gets in beyond the buffer: refusing it could stall the
	 * connection for good once the buffer is full of what it would let
	 * the reader have; flow control bounds it.  But flow control counts
	 * bytes, not the sk_buffs they are kept in: a peer sending a byte
	 * at a time on each of thousands of streams in turn would have
	 * each kept in one.  Small frames of a stream are appended to its
	 * last queued sk_buff (quic_rcv_append()) while that is among the
	 * last few; when it is not, data that takes more than
	 * QUIC_RCV_FORCE_BUFS times its size in memory is refused beyond as
	 * many buffers, while the reader has something to read (reading
	 * makes room for it, sent again).
	 */
	rmem = (u64)atomic_read(&sk->sk_rmem_alloc) + skb->truesize;
	rcvbuf = READ_ONCE(sk->sk_rcvbuf);
	if (off > st->recv_offset ?
	    skb_queue_len(&st->reorder) >= QUIC_STREAM_REORDER_MAX ||
	    rmem > rcvbuf :
	    skb->truesize > QUIC_RCV_FORCE_BUFS * (u64)skb->len &&
	    rmem > QUIC_RCV_FORCE_BUFS * rcvbuf &&
	    !skb_queue_empty(&sk->sk_receive_queue) &&
	    !quic_rcv_stream_tail(sk, st->id)) {
		sk_drops_skbadd(sk, skb);
		kfree_skb(skb);
		return -EAGAIN;
	}
	if (!quic_rmem_charge(sk, skb, off <= st->recv_offset)) {
		kfree_skb(skb);
		return -EAGAIN;
	}
	skb_queue_walk(&st->reorder, pos) {
		if (QUIC_SKB_CB(pos)->offset > off) {
			__skb_queue_before(&st->reorder, pos, skb);
			goto queued;
		}
	}
	__skb_queue_tail(&st->reorder, skb);
queued:
	quic_stream_deliver(sk, st);
	return 0;
err:
	kfree_skb(skb);
	return err;
}

/**
 * quic_stream_consumed - the reader took @len bytes of @st: open the
 * windows again once half of them is used, RFC 9000 section 4.2
 * @sk: the socket, locked
 * @st: the stream, or NULL for connection-level accounting only
 * @len: bytes read
 */
void quic_stream_consumed(struct sock *sk, struct quic_stream *st, u64 len)
{
	struct quic_stream_table *t = &quic_sk(sk)->streams;

	/* the windows grow with the receive buffer the reader asked for */
	t->recv_window = max_t(u64, t->recv_window, READ_ONCE(sk->sk_rcvbuf));
	t->recv_consumed += len;
	if (t->recv_max_data - t->recv_consumed < t->recv_window / 2) {
		t->recv_max_data = t->recv_consumed + t->recv_window;
		quic_frame_queue_max_data(sk, t->recv_max_data);
	}
	if (!st)
		return;
	st->recv_read += len;
	if (st->final_known)
		return;
	st->recv_window = max_t(u64, st->recv_window,
				READ_ONCE(sk->sk_rcvbuf) / 2);
	if (st->recv_max - st->recv_read < st->recv_window / 2) {
		st->recv_max = st->recv_read + st->recv_window;
		quic_frame_queue_max_stream_data(sk, st->id, st->recv_max);
	}
}

/**
 * quic_stream_peer_done - a stream the peer opened is closed (both parts
 * over, the stream freed): let the peer open another (MAX_STREAMS), in
 * batches of half the initial limit, RFC 9000 section 4.6
 * @sk: the socket, locked
 * @st: the stream
 */
void quic_stream_peer_done(struct sock *sk, struct quic_stream *st)
{
	struct quic_sock *qs = quic_sk(sk);
	bool uni = quic_stream_is_uni(st->id);
	struct quic_stream_limits *l = &qs->streams.remote[uni];
	u64 initial = uni ? qs->params.local.max_streams_uni :
			    qs->params.local.max_streams_bidi;
	u64 max;

	if (quic_stream_is_local(sk, st->id))
		return;
	l->done++;
	max = l->done + initial;
	if (max > (1ULL << 60) || max - l->max < max_t(u64, initial / 2, 1))
		return;
	l->max = max;
	quic_frame_queue_max_streams(sk, uni, l->max);
}

/**
 * quic_streams_rcv_max_data - the peer raised the connection's limit
 * (MAX_DATA, RFC 9000 section 19.9); a lower value is ignored
 * @sk: the socket, locked
 * @max: the new limit
 */
void quic_streams_rcv_max_data(struct sock *sk, u64 max)
{
	struct quic_stream_table *t = &quic_sk(sk)->streams;

	if (max <= t->send_max_data)
		return;
	t->send_max_data = max;
	sk->sk_write_space(sk);
}

/**
 * quic_stream_rcv_max_data - the peer raised a stream's limit
 * (MAX_STREAM_DATA, RFC 9000 section 19.10); the STREAM_MAX_DATA event
 * when the old limit held the stream up
 * @sk: the socket, locked
 * @id: the stream; one we do not know (closed, or never opened) is ignored
 * @max: the new limit
 */
void quic_stream_rcv_max_data(struct sock *sk, s64 id, u64 max)
{
	struct quic_stream *st = quic_stream_find(&quic_sk(sk)->streams, id);
	struct quic_stream_max_data ev;

	if (!st || max <= st->send_max)
		return;
	/* the STREAM_MAX_DATA event: a stream its limit held up may go on */
	if (st->send_offset >= st->send_max &&
	    st->send_state < QUIC_STREAM_SEND_STATE_SENT) {
		ev.id = id;
		ev.max_data = max;
		quic_event_queue(sk, QUIC_EVENT_STREAM_MAX_DATA, &ev,
				 sizeof(ev));
	}
	st->send_max = max;
	sk->sk_write_space(sk);
}

/**
 * quic_streams_rcv_max_streams - the peer lets us open more streams of a
 * type (MAX_STREAMS, RFC 9000 section 19.11)
 * @sk: the socket, locked
 * @uni: unidirectional streams, or bidirectional
 * @max: the new count, at most 2^60 (checked by the caller)
 */
void quic_streams_rcv_max_streams(struct sock *sk, bool uni, u64 max)
{
	struct quic_stream_limits *l = &quic_sk(sk)->streams.local[uni];

	if (max <= l->max)
		return;
	l->max = max;
	quic_event_queue(sk, QUIC_EVENT_STREAM_MAX_STREAM, &max, sizeof(max));
	sk->sk_write_space(sk);
}

/**
 * quic_stream_send_blocked - a send on @st waits for the peer's credit:
 * tell it what blocks us (RFC 9000 sections 4.1, 19.12 and 19.13), once
 * per limit, however often the sender retries
 * @sk: the socket, locked
 * @st: the stream
 */
void quic_stream_send_blocked(struct sock *sk, struct quic_stream *st)
{
	struct quic_stream_table *t = &quic_sk(sk)->streams;

	if (st->send_offset >= st->send_max) {
		if (st->blocked_at == st->send_max + 1)
			return;
		st->blocked_at = st->send_max + 1;
		quic_frame_queue_stream_data_blocked(sk, st->id, st->send_max,
						     GFP_KERNEL);
	} else if (t->send_data >= t->send_max_data) {
		if (t->data_blocked_at == t->send_max_data + 1)
			return;
		t->data_blocked_at = t->send_max_data + 1;
		quic_frame_queue_data_blocked(sk, t->send_max_data,
					      GFP_KERNEL);
	}
}

/**
 * quic_streams_open_blocked - opening a stream waits for the peer's
 * MAX_STREAMS: STREAMS_BLOCKED (RFC 9000 section 19.14), once per limit
 * @sk: the socket, locked
 * @uni: unidirectional streams, or bidirectional
 */
void quic_streams_open_blocked(struct sock *sk, bool uni)
{
	struct quic_stream_limits *l = &quic_sk(sk)->streams.local[uni];

	if (l->blocked_at == l->max + 1)
		return;
	l->blocked_at = l->max + 1;
	quic_frame_queue_streams_blocked(sk, uni, l->max, GFP_KERNEL);
}
