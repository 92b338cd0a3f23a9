// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QUIC frames, RFC 9000 section 19 and RFC 9221: what each type may do
 * (one table), the encoders of the frames we send (encoded once, when
 * queued, into struct quic_frame) and the decoders of the frames we
 * receive, which the receive loop reaches through the table.  The
 * effects of a received frame on the connection are left to the file
 * that owns what it changes.
 */

#include <linux/list_sort.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/sock.h>

#include "compat.h"
#include "conn.h"
#include "frame.h"
#include "input.h"
#include "mib.h"
#include "recovery.h"
#include "socket.h"
#include "varint.h"

#define QUIC_MAX_ACK_RANGES	64

/* packet types (levels) that may carry a frame, RFC 9000 section 12.4 */
#define QUIC_LV_I	BIT(QUIC_CRYPTO_INITIAL)
#define QUIC_LV_H	BIT(QUIC_CRYPTO_HANDSHAKE)
#define QUIC_LV_0	BIT(QUIC_CRYPTO_EARLY)
#define QUIC_LV_1	BIT(QUIC_CRYPTO_APP)
#define QUIC_LV_ALL	(QUIC_LV_I | QUIC_LV_H | QUIC_LV_0 | QUIC_LV_1)
#define QUIC_LV_01	(QUIC_LV_0 | QUIC_LV_1)

typedef int (*quic_frame_rx_t)(struct sock *sk, struct quic_rx *rx,
			       struct quic_buf *b, u8 type);

/**
 * struct quic_frame_info - what a frame type is allowed to do
 * @rx: its decoder
 * @levels: the packet types that may carry it (RFC 9000 section 12.4,
 *	table 3, the "Pkts" column)
 * @not_eliciting: it does not elicit an ACK ("N")
 * @not_in_flight: it is not counted in flight ("C")
 * @probing: a probing frame ("P", RFC 9000 section 9.1)
 * @no_rtx: not sent again when its packet is lost (RFC 9000 section 13.3)
 */
struct quic_frame_info {
	quic_frame_rx_t	rx;
	u8		levels;
	u8		not_eliciting:1,
			not_in_flight:1,
			probing:1,
			no_rtx:1;
};

static int quic_frame_rx_padding(struct sock *sk, struct quic_rx *rx,
				 struct quic_buf *b, u8 type);
static int quic_frame_rx_ack(struct sock *sk, struct quic_rx *rx,
			     struct quic_buf *b, u8 type);
static int quic_frame_rx_reset_stream(struct sock *sk, struct quic_rx *rx,
				      struct quic_buf *b, u8 type);
static int quic_frame_rx_stop_sending(struct sock *sk, struct quic_rx *rx,
				      struct quic_buf *b, u8 type);
static int quic_frame_rx_crypto(struct sock *sk, struct quic_rx *rx,
				struct quic_buf *b, u8 type);
static int quic_frame_rx_new_token(struct sock *sk, struct quic_rx *rx,
				   struct quic_buf *b, u8 type);
static int quic_frame_rx_stream(struct sock *sk, struct quic_rx *rx,
				struct quic_buf *b, u8 type);
static int quic_frame_rx_max_data(struct sock *sk, struct quic_rx *rx,
				  struct quic_buf *b, u8 type);
static int quic_frame_rx_max_stream_data(struct sock *sk, struct quic_rx *rx,
					 struct quic_buf *b, u8 type);
static int quic_frame_rx_max_streams(struct sock *sk, struct quic_rx *rx,
				     struct quic_buf *b, u8 type);
static int quic_frame_rx_blocked(struct sock *sk, struct quic_rx *rx,
				 struct quic_buf *b, u8 type);
static int quic_frame_rx_new_cid(struct sock *sk, struct quic_rx *rx,
				 struct quic_buf *b, u8 type);
static int quic_frame_rx_retire_cid(struct sock *sk, struct quic_rx *rx,
				    struct quic_buf *b, u8 type);
static int quic_frame_rx_path_challenge(struct sock *sk, struct quic_rx *rx,
					struct quic_buf *b, u8 type);
static int quic_frame_rx_path_response(struct sock *sk, struct quic_rx *rx,
				       struct quic_buf *b, u8 type);
static int quic_frame_rx_close(struct sock *sk, struct quic_rx *rx,
			       struct quic_buf *b, u8 type);
static int quic_frame_rx_handshake_done(struct sock *sk, struct quic_rx *rx,
					struct quic_buf *b, u8 type);
static int quic_frame_rx_datagram(struct sock *sk, struct quic_rx *rx,
				  struct quic_buf *b, u8 type);

#define QUIC_STREAM_INFO { .rx = quic_frame_rx_stream, .levels = QUIC_LV_01 }

static const struct quic_frame_info quic_frame_table[QUIC_FRAME_TABLE_SIZE] = {
	[QUIC_FRAME_PADDING] = {
		.rx = quic_frame_rx_padding, .levels = QUIC_LV_ALL,
		.not_eliciting = 1, .probing = 1, .no_rtx = 1,
	},
	/* a lost PING goes again: it was a probe nobody answered */
	[QUIC_FRAME_PING] = { .rx = quic_frame_rx_padding,
			      .levels = QUIC_LV_ALL },
	[QUIC_FRAME_ACK] = {
		.rx = quic_frame_rx_ack,
		.levels = QUIC_LV_I | QUIC_LV_H | QUIC_LV_1,
		.not_eliciting = 1, .not_in_flight = 1, .no_rtx = 1,
	},
	[QUIC_FRAME_ACK_ECN] = {
		.rx = quic_frame_rx_ack,
		.levels = QUIC_LV_I | QUIC_LV_H | QUIC_LV_1,
		.not_eliciting = 1, .not_in_flight = 1, .no_rtx = 1,
	},
	[QUIC_FRAME_RESET_STREAM] = { .rx = quic_frame_rx_reset_stream,
				      .levels = QUIC_LV_01 },
	[QUIC_FRAME_STOP_SENDING] = { .rx = quic_frame_rx_stop_sending,
				      .levels = QUIC_LV_01 },
	[QUIC_FRAME_CRYPTO] = { .rx = quic_frame_rx_crypto,
				.levels = QUIC_LV_I | QUIC_LV_H | QUIC_LV_1 },
	[QUIC_FRAME_NEW_TOKEN] = { .rx = quic_frame_rx_new_token,
				   .levels = QUIC_LV_1 },
	[QUIC_FRAME_STREAM ... QUIC_FRAME_STREAM_LAST] = QUIC_STREAM_INFO,
	[QUIC_FRAME_MAX_DATA] = { .rx = quic_frame_rx_max_data,
				  .levels = QUIC_LV_01 },
	[QUIC_FRAME_MAX_STREAM_DATA] = { .rx = quic_frame_rx_max_stream_data,
					 .levels = QUIC_LV_01 },
	[QUIC_FRAME_MAX_STREAMS_BIDI] = { .rx = quic_frame_rx_max_streams,
					  .levels = QUIC_LV_01 },
	[QUIC_FRAME_MAX_STREAMS_UNI] = { .rx = quic_frame_rx_max_streams,
					 .levels = QUIC_LV_01 },
	[QUIC_FRAME_DATA_BLOCKED] = { .rx = quic_frame_rx_blocked,
				      .levels = QUIC_LV_01 },
	[QUIC_FRAME_STREAM_DATA_BLOCKED] = { .rx = quic_frame_rx_blocked,
					     .levels = QUIC_LV_01 },
	[QUIC_FRAME_STREAMS_BLOCKED_BIDI] = { .rx = quic_frame_rx_blocked,
					      .levels = QUIC_LV_01 },
	[QUIC_FRAME_STREAMS_BLOCKED_UNI] = { .rx = quic_frame_rx_blocked,
					     .levels = QUIC_LV_01 },
	[QUIC_FRAME_NEW_CONNECTION_ID] = { .rx = quic_frame_rx_new_cid,
					   .levels = QUIC_LV_01,
					   .probing = 1 },
	[QUIC_FRAME_RETIRE_CONNECTION_ID] = { .rx = quic_frame_rx_retire_cid,
					      .levels = QUIC_LV_01 },
	[QUIC_FRAME_PATH_CHALLENGE] = { .rx = quic_frame_rx_path_challenge,
					.levels = QUIC_LV_01, .probing = 1,
					.no_rtx = 1 },
	[QUIC_FRAME_PATH_RESPONSE] = { .rx = quic_frame_rx_path_response,
				       .levels = QUIC_LV_1, .probing = 1,
				       .no_rtx = 1 },
	/* CONNECTION_CLOSE is never queued for retransmission: the closing
	 * state answers with it instead (RFC 9000 section 10.2.1)
	 */
	[QUIC_FRAME_CONNECTION_CLOSE] = { .rx = quic_frame_rx_close,
					  .levels = QUIC_LV_ALL,
					  .not_eliciting = 1, .no_rtx = 1 },
	[QUIC_FRAME_CONNECTION_CLOSE_APP] = { .rx = quic_frame_rx_close,
					      .levels = QUIC_LV_01,
					      .not_eliciting = 1,
					      .no_rtx = 1 },
	[QUIC_FRAME_HANDSHAKE_DONE] = { .rx = quic_frame_rx_handshake_done,
					.levels = QUIC_LV_1 },
	/* RFC 9221 section 4: 0-RTT and 1-RTT, never retransmitted */
	[QUIC_FRAME_DATAGRAM] = { .rx = quic_frame_rx_datagram,
				  .levels = QUIC_LV_01, .no_rtx = 1 },
	[QUIC_FRAME_DATAGRAM_LEN] = { .rx = quic_frame_rx_datagram,
				      .levels = QUIC_LV_01, .no_rtx = 1 },
};

/* the table entry of @type, or NULL for a type we do not know */
static const struct quic_frame_info *quic_frame_info(u64 type)
{
	if (type >= QUIC_FRAME_TABLE_SIZE || !quic_frame_table[type].rx)
		return NULL;
	return &quic_frame_table[type];
}

bool quic_frame_ack_eliciting(u8 type)
{
	const struct quic_frame_info *fi = quic_frame_info(type);

	return fi && !fi->not_eliciting;
}

/* may a packet of @level carry a frame of @type (RFC 9000 section 12.4)? */
bool quic_frame_allowed(u8 type, u8 level)
{
	const struct quic_frame_info *fi = quic_frame_info(type);

	return fi && (fi->levels & BIT(level));
}

bool quic_frame_retransmitted(u8 type)
{
	const struct quic_frame_info *fi = quic_frame_info(type);

	return fi && !fi->no_rtx;
}

/* ---------------------------------------------------------- encoders */

/* room for the CRYPTO frame header ahead of its data */

struct quic_frame *quic_frame_alloc(unsigned int len, gfp_t gfp)
{
	struct quic_frame *f;

	if (len > U16_MAX)
		return NULL;
	f = kmalloc(struct_size(f, buf, len), gfp);
	if (!f)
		return NULL;
	INIT_LIST_HEAD(&f->list);
	f->stream_id = -1;
	f->offset = 0;
	f->data_len = 0;
	f->len = len;
	f->fin = 0;
	f->queued = 0;
	f->charged = 0;
	f->dup = 0;
	return f;
}

/**
 * quic_frame_copy - a copy of @f for a probe's second datagram
 * @f: the frame
 * @gfp: allocation flags
 *
 * Return: the copy, marked @dup and counted nowhere (its original is),
 * or NULL when out of memory.
 */
struct quic_frame *quic_frame_copy(const struct quic_frame *f, gfp_t gfp)
{
	struct quic_frame *c = kmemdup(f, struct_size(f, buf, f->len), gfp);

	if (!c)
		return NULL;
	INIT_LIST_HEAD(&c->list);
	c->queued = 0;
	c->charged = 0;
	c->dup = 1;
	return c;
}

/**
 * quic_frame_charge - count user data @f holds in the socket's send
 * memory
 * @sk: the socket, locked
 * @f: the frame, not counted yet
 * @mem: the caller made room for it with sk_wmem_schedule(): charge it to
 *	the protocol's memory (net.quic.mem) too.  Otherwise it counts in
 *	sk_wmem_queued only: so goes the one write a socket with nothing
 *	queued may always make, which keeps it going over the limit.
 */
void quic_frame_charge(struct sock *sk, struct quic_frame *f, bool mem)
{
	u32 size = quic_frame_truesize(f->len);

	f->queued = 1;
	sk_wmem_queued_add(sk, size);
	if (mem) {
		f->charged = 1;
		sk_mem_charge(sk, size);
	}
}

/**
 * quic_frame_free - free a frame taken off every list, giving back the
 * memory charged for it
 * @sk: the socket, locked
 * @f: the frame
 */
void quic_frame_free(struct sock *sk, struct quic_frame *f)
{
	u32 size = quic_frame_truesize(f->len);

	if (f->type == QUIC_FRAME_DATAGRAM_LEN && !f->dup) {
		struct quic_outq *q = &quic_sk(sk)->outq;

		q->dgram_bytes -= min(q->dgram_bytes, size);
	}
	if (f->queued)
		sk_wmem_queued_add(sk, -size);
	if (f->charged)
		sk_mem_uncharge(sk, size);
	kfree(f);
}

/**
 * quic_frame_build - a frame made of a type and variable-length integers
 * @level: the crypto level it goes out at
 * @gfp: allocation flags
 * @type: frame type
 * @nvals: number of integer fields
 * @vals: the fields, each <= QUIC_VARINT_MAX
 *
 * Return: the frame, or NULL when out of memory.
 */
struct quic_frame *quic_frame_build(u8 level, gfp_t gfp, u8 type,
				    unsigned int nvals, const u64 *vals)
{
	unsigned int i, len = 1;
	struct quic_frame *f;
	u8 *p;

	for (i = 0; i < nvals; i++)
		len += quic_varint_len(vals[i]);
	f = quic_frame_alloc(len, gfp);
	if (!f)
		return NULL;
	f->type = type;
	f->level = level;
	p = f->buf;
	*p++ = type;
	for (i = 0; i < nvals; i++)
		p += quic_varint_put(p, vals[i]);
	return f;
}

void quic_outq_add(struct sock *sk, struct quic_frame *f)
{
	struct quic_sock *qs = quic_sk(sk);

	f->seq = qs->outq.seq++;
	list_add_tail(&f->list, &qs->outq.frames[quic_level_space(f->level)]);
	qs->outq.bytes += f->len;
}

static int quic_frame_seq_cmp(void *priv, const struct list_head *a,
			      const struct list_head *b)
{
	const struct quic_frame *fa = list_entry(a, struct quic_frame, list);
	const struct quic_frame *fb = list_entry(b, struct quic_frame, list);

	return (s32)(fa->seq - fb->seq) > 0;
}

/**
 * quic_outq_requeue - put frames taken from the send queue back in it
 * @sk: the socket, locked
 * @sp: the packet number space
 * @frames: the frames, in any order; emptied.  outq.bytes already counts
 *	them.
 *
 * Each goes back to its place by age, so the oldest data goes out first
 * whatever path brought it back (loss, PTO, a packet not sent).  A peer
 * whose receive buffer is full of out-of-order data refuses everything
 * but the bytes at its read offset, and those are the oldest unacknowledged
 * ones: sent in any other order, the refused frames would take every
 * probe and congestion window while the gap waits behind them.
 */
void quic_outq_requeue(struct sock *sk, u8 sp, struct list_head *frames)
{
	struct list_head *pos = &quic_sk(sk)->outq.frames[sp];
	struct list_head *head = pos;
	struct quic_frame *f, *tmp, *q;
	u32 n = 0;

	list_sort(NULL, frames, quic_frame_seq_cmp);
	pos = head->next;
	list_for_each_entry_safe(f, tmp, frames, list) {
		while (pos != head) {
			q = list_entry(pos, struct quic_frame, list);
			if ((s32)(q->seq - f->seq) > 0)
				break;
			pos = pos->next;
		}
		list_move_tail(&f->list, pos);	/* before @pos */
		n++;
	}
	if (n)
		QUIC_ADD_STATS(sock_net(sk), QUIC_MIB_RETRANSFRAMES, n);
}

void quic_outq_purge(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_frame *f, *tmp;
	int i;

	for (i = 0; i < QUIC_PNSPACE_MAX; i++) {
		list_for_each_entry_safe(f, tmp, &qs->outq.frames[i], list) {
			list_del(&f->list);
			quic_frame_free(sk, f);
		}
	}
	qs->outq.bytes = 0;
	qs->outq.path_response = NULL;
	qs->outq.path_challenge = NULL;
}

/**
 * quic_outq_drop_stream - the STREAM frames of stream @id not sent yet
 * leave the queue (the stream was reset)
 * @sk: the socket, locked
 * @id: the stream
 *
 * Return: how many.
 */
unsigned int quic_outq_drop_stream(struct sock *sk, s64 id)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_frame *f, *tmp;
	unsigned int n = 0;

	list_for_each_entry_safe(f, tmp, &qs->outq.frames[QUIC_CRYPTO_APP],
				 list) {
		if (f->stream_id != id)
			continue;
		list_del(&f->list);
		qs->outq.bytes -= min_t(u32, qs->outq.bytes, f->len);
		if (!f->dup) {
			qs->outq.unacked -= min_t(u32, qs->outq.unacked,
						  f->data_len);
			n++;
		}
		quic_frame_free(sk, f);
	}
	return n;
}

/* the first field of a frame of @type we built, or -1 */
static s64 quic_frame_first_field(const struct quic_frame *f, u8 type)
{
	struct quic_buf b = { .p = f->buf + 1, .left = f->len - 1 };
	u64 v;

	if (f->type != type || !quic_get_varint(&b, &v))
		return -1;
	return v;
}

/**
 * quic_frame_stream_of - the stream a RESET_STREAM frame we built is for
 * @f: the frame
 *
 * Return: the stream ID, or -1 for another frame.
 */
s64 quic_frame_stream_of(const struct quic_frame *f)
{
	return quic_frame_first_field(f, QUIC_FRAME_RESET_STREAM);
}

/**
 * quic_frame_cid_seq_of - the sequence number a NEW_CONNECTION_ID frame we
 * built gives
 * @f: the frame
 *
 * Return: the sequence number, or -1 for another frame.
 */
s64 quic_frame_cid_seq_of(const struct quic_frame *f)
{
	return quic_frame_first_field(f, QUIC_FRAME_NEW_CONNECTION_ID);
}

/**
 * quic_frame_queue_crypto - queue handshake bytes from user space as
 * CRYPTO frames, counted in the socket's send memory
 * @sk: the socket, locked
 * @level: QUIC_CRYPTO_INITIAL, _HANDSHAKE or _APP
 * @msg: the bytes
 * @len: how many
 * @mem: charge them to the protocol's memory too: the caller made room
 *	for quic_frame_crypto_truesize(@len) (see quic_frame_charge())
 *
 * Return: 0 or a negative errno; nothing is queued on failure.
 */
int quic_frame_queue_crypto(struct sock *sk, u8 level, struct msghdr *msg,
			    size_t len, bool mem)
{
	struct quic_sock *qs = quic_sk(sk);
	u8 sp = quic_level_space(level);
	struct quic_frame *f, *tmp;
	u64 off = qs->outq.crypto_off[sp];
	LIST_HEAD(frames);
	size_t chunk;
	u8 *p;

	while (len) {
		chunk = min_t(size_t, len, QUIC_CRYPTO_FRAME_DATA);
		f = quic_frame_alloc(1 + quic_varint_len(off) +
				     quic_varint_len(chunk) + chunk,
				     sk->sk_allocation);
		if (!f)
			goto nomem;
		f->type = QUIC_FRAME_CRYPTO;
		f->level = level;
		f->offset = off;
		f->data_len = chunk;
		p = f->buf;
		*p++ = QUIC_FRAME_CRYPTO;
		p += quic_varint_put(p, off);
		p += quic_varint_put(p, chunk);
		if (!copy_from_iter_full(p, chunk, &msg->msg_iter)) {
			kfree(f);
			list_for_each_entry_safe(f, tmp, &frames, list)
				kfree(f);
			return -EFAULT;
		}
		list_add_tail(&f->list, &frames);
		off += chunk;
		len -= chunk;
	}

	qs->outq.crypto_off[sp] = off;
	list_for_each_entry_safe(f, tmp, &frames, list) {
		list_del(&f->list);
		qs->outq.crypto_unacked += f->data_len;
		quic_frame_charge(sk, f, mem);
		quic_outq_add(sk, f);
	}
	return 0;
nomem:
	list_for_each_entry_safe(f, tmp, &frames, list)
		kfree(f);
	return -ENOMEM;
}

/**
 * quic_frame_queue_close - queue CONNECTION_CLOSE from qs->conn.close_local at
 * the highest level we can send at
 * @sk: the socket, locked
 *
 * An application close before 1-RTT keys is sent as a transport close
 * with APPLICATION_ERROR, RFC 9000 section 10.2.3.
 *
 * Return: 0 or -ENOMEM.
 */
int quic_frame_queue_close(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_connection_close *c = &qs->conn.close_local;
	static const u8 levels[] = {
		QUIC_CRYPTO_APP, QUIC_CRYPTO_HANDSHAKE, QUIC_CRYPTO_INITIAL,
	};
	unsigned int plen, i, len;
	u64 errcode = c->errcode;
	struct quic_frame *f;
	bool app = qs->conn.close_app;
	u8 level, type, *p;

	for (i = 0; i < ARRAY_SIZE(levels); i++) {
		level = levels[i];
		if (quic_crypto_tx_ready(&qs->crypto[level]) &&
		    !qs->space[level].discarded)
			break;
	}
	if (i == ARRAY_SIZE(levels))
		return 0;	/* no keys: nothing can be said */

	if (app && level != QUIC_CRYPTO_APP) {
		app = false;
		errcode = QUIC_TRANSPORT_ERROR_APPLICATION;
	}
	type = app ? QUIC_FRAME_CONNECTION_CLOSE_APP :
		     QUIC_FRAME_CONNECTION_CLOSE;
	plen = strnlen((const char *)c->phrase, sizeof(c->phrase));
	len = 1 + quic_varint_len(errcode) +
	      (app ? 0 : quic_varint_len(qs->conn.close_frame)) +
	      quic_varint_len(plen) + plen;
	f = quic_frame_alloc(len, GFP_ATOMIC);
	if (!f)
		return -ENOMEM;
	f->type = type;
	f->level = level;
	p = f->buf;
	*p++ = type;
	p += quic_varint_put(p, errcode);
	if (!app)
		p += quic_varint_put(p, qs->conn.close_frame);
	p += quic_varint_put(p, plen);
	memcpy(p, c->phrase, plen);
	quic_outq_add(sk, f);
	return 0;
}

struct quic_frame *quic_frame_ping(u8 level, gfp_t gfp)
{
	return quic_frame_build(level, gfp, QUIC_FRAME_PING, 0, NULL);
}

/**
 * quic_frame_stream - a STREAM frame with the next @chunk bytes of @st
 * @sk: the socket, locked
 * @st: the stream; its send offset is where the data starts
 * @msg: the data, copied from its iterator
 * @chunk: how many bytes
 * @fin: the stream ends with them
 *
 * Return: the frame, ERR_PTR(-ENOMEM), or ERR_PTR(-EFAULT) when the
 * copy from the user's buffer faulted.
 */
struct quic_frame *quic_frame_stream(struct sock *sk, struct quic_stream *st,
				     struct msghdr *msg, u32 chunk, bool fin)
{
	u8 type = QUIC_FRAME_STREAM | QUIC_STREAM_BIT_LEN |
		  (st->send_offset ? QUIC_STREAM_BIT_OFF : 0) |
		  (fin ? QUIC_STREAM_BIT_FIN : 0);
	struct quic_frame *f;
	u8 *p;

	f = quic_frame_alloc(1 + quic_varint_len(st->id) +
			     (st->send_offset ?
			      quic_varint_len(st->send_offset) : 0) +
			     quic_varint_len(chunk) + chunk, sk->sk_allocation);
	if (!f)
		return ERR_PTR(-ENOMEM);
	f->type = type;
	f->level = QUIC_CRYPTO_APP;
	f->stream_id = st->id;
	f->offset = st->send_offset;
	f->data_len = chunk;
	f->fin = fin;
	p = f->buf;
	*p++ = type;
	p += quic_varint_put(p, st->id);
	if (st->send_offset)
		p += quic_varint_put(p, st->send_offset);
	p += quic_varint_put(p, chunk);
	if (chunk && !copy_from_iter_full(p, chunk, &msg->msg_iter)) {
		kfree(f);
		return ERR_PTR(-EFAULT);
	}
	return f;
}

/**
 * quic_frame_datagram - a DATAGRAM frame with @len bytes of @msg, RFC 9221
 * section 4, of the type with a length so that other frames may follow
 * it in the packet
 * @sk: the socket, locked
 * @msg: the data, copied from its iterator
 * @len: how many bytes
 *
 * Return: the frame, counted in outq.dgram_bytes until freed,
 * ERR_PTR(-ENOMEM), or ERR_PTR(-EFAULT) when the copy faulted.
 */
struct quic_frame *quic_frame_datagram(struct sock *sk, struct msghdr *msg,
				       u32 len)
{
	struct quic_frame *f;
	u8 *p;

	f = quic_frame_alloc(1 + quic_varint_len(len) + len, sk->sk_allocation);
	if (!f)
		return ERR_PTR(-ENOMEM);
	f->type = QUIC_FRAME_DATAGRAM_LEN;
	f->level = QUIC_CRYPTO_APP;
	p = f->buf;
	*p++ = f->type;
	p += quic_varint_put(p, len);
	if (len && !copy_from_iter_full(p, len, &msg->msg_iter)) {
		kfree(f);
		return ERR_PTR(-EFAULT);
	}
	quic_sk(sk)->outq.dgram_bytes += quic_frame_truesize(f->len);
	return f;
}

/* NEW_CONNECTION_ID for one of our source IDs, RFC 9000 section 19.15 */
struct quic_frame *quic_frame_new_cid(const struct quic_cid *cid,
				      u64 retire_prior_to, gfp_t gfp)
{
	struct quic_frame *f;
	u8 *p;

	f = quic_frame_alloc(1 + quic_varint_len(cid->seq) +
			     quic_varint_len(retire_prior_to) +
			     1 + cid->id.len + QUIC_RESET_TOKEN_LEN, gfp);
	if (!f)
		return NULL;
	f->type = QUIC_FRAME_NEW_CONNECTION_ID;
	f->level = QUIC_CRYPTO_APP;
	p = f->buf;
	*p++ = QUIC_FRAME_NEW_CONNECTION_ID;
	p += quic_varint_put(p, cid->seq);
	p += quic_varint_put(p, retire_prior_to);
	*p++ = cid->id.len;
	memcpy(p, cid->id.data, cid->id.len);
	p += cid->id.len;
	memcpy(p, cid->token, QUIC_RESET_TOKEN_LEN);
	return f;
}

/* NEW_TOKEN, RFC 9000 section 19.7 */
struct quic_frame *quic_frame_new_token(const u8 *token, u32 len, gfp_t gfp)
{
	struct quic_frame *f;
	u8 *p;

	f = quic_frame_alloc(1 + quic_varint_len(len) + len, gfp);
	if (!f)
		return NULL;
	f->type = QUIC_FRAME_NEW_TOKEN;
	f->level = QUIC_CRYPTO_APP;
	p = f->buf;
	*p++ = QUIC_FRAME_NEW_TOKEN;
	p += quic_varint_put(p, len);
	memcpy(p, token, len);
	return f;
}

/* queue a 1-RTT frame of integers; dropped when out of memory, as the
 * state it reports is reported again (RFC 9000 section 13.3)
 */
/* Return: whether the frame was queued */
static bool quic_frame_queue_ints(struct sock *sk, gfp_t gfp, u8 type,
				  unsigned int nvals, const u64 *vals)
{
	struct quic_frame *f;

	f = quic_frame_build(QUIC_CRYPTO_APP, gfp, type, nvals, vals);
	if (f)
		quic_outq_add(sk, f);
	return f;
}

void quic_frame_queue_handshake_done(struct sock *sk)
{
	quic_frame_queue_ints(sk, GFP_ATOMIC, QUIC_FRAME_HANDSHAKE_DONE, 0,
			      NULL);
}

bool quic_frame_queue_retire_cid(struct sock *sk, u64 seq)
{
	return quic_frame_queue_ints(sk, GFP_ATOMIC,
				     QUIC_FRAME_RETIRE_CONNECTION_ID, 1, &seq);
}

void quic_frame_queue_data_blocked(struct sock *sk, u64 max, gfp_t gfp)
{
	quic_frame_queue_ints(sk, gfp, QUIC_FRAME_DATA_BLOCKED, 1, &max);
}

void quic_frame_queue_stream_data_blocked(struct sock *sk, s64 id, u64 max,
					  gfp_t gfp)
{
	u64 v[2] = { id, max };

	quic_frame_queue_ints(sk, gfp, QUIC_FRAME_STREAM_DATA_BLOCKED, 2, v);
}

void quic_frame_queue_streams_blocked(struct sock *sk, bool uni, u64 max,
				      gfp_t gfp)
{
	quic_frame_queue_ints(sk, gfp, uni ? QUIC_FRAME_STREAMS_BLOCKED_UNI :
				       QUIC_FRAME_STREAMS_BLOCKED_BIDI, 1, &max);
}

void quic_frame_queue_max_data(struct sock *sk, u64 max)
{
	quic_frame_queue_ints(sk, GFP_ATOMIC, QUIC_FRAME_MAX_DATA, 1, &max);
}

void quic_frame_queue_max_stream_data(struct sock *sk, s64 id, u64 max)
{
	u64 v[2] = { id, max };

	quic_frame_queue_ints(sk, GFP_ATOMIC, QUIC_FRAME_MAX_STREAM_DATA, 2, v);
}

void quic_frame_queue_max_streams(struct sock *sk, bool uni, u64 max)
{
	quic_frame_queue_ints(sk, GFP_ATOMIC, uni ? QUIC_FRAME_MAX_STREAMS_UNI :
				       QUIC_FRAME_MAX_STREAMS_BIDI, 1, &max);
}

/* ---------------------------------------------------------- decoders */

static int quic_frame_rx_padding(struct sock *sk, struct quic_rx *rx,
				 struct quic_buf *b, u8 type)
{
	return 0;	/* PADDING and PING: nothing but the ACK they elicit */
}

/* RFC 9000 section 19.3 */
static int quic_frame_rx_ack(struct sock *sk, struct quic_rx *rx,
			     struct quic_buf *b, u8 type)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_range r[QUIC_MAX_ACK_RANGES];
	u64 largest, delay, count, first, gap, rlen, v, i;
	unsigned int nr = 0;
	u64 smallest;

	if (!quic_get_varint(b, &largest) || !quic_get_varint(b, &delay) ||
	    !quic_get_varint(b, &count) || !quic_get_varint(b, &first))
		return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	if (first > largest)
		return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	/* section 13.1: acknowledging a packet never sent */
	if (largest >= qs->space[rx->sp].next_pn)
		return QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION;
	smallest = largest - first;
	r[nr].start = smallest;
	r[nr++].end = largest;
	for (i = 0; i < count; i++) {
		if (!quic_get_varint(b, &gap) || !quic_get_varint(b, &rlen))
			return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
		if (gap + 2 > smallest || rlen > smallest - gap - 2)
			return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
		largest = smallest - gap - 2;
		smallest = largest - rlen;
		if (nr < QUIC_MAX_ACK_RANGES) {
			r[nr].start = smallest;
			r[nr++].end = largest;
		}
	}
	if (type == QUIC_FRAME_ACK_ECN) {
		for (i = 0; i < 3; i++)
			if (!quic_get_varint(b, &v))
				return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	}

	delay <<= qs->params.remote.ack_delay_exponent;
	quic_output_ack_recv(sk, rx->sp, r[0].end, delay, r, nr, rx->now);
	return 0;
}

/* RFC 9000 section 19.4 */
static int quic_frame_rx_reset_stream(struct sock *sk, struct quic_rx *rx,
				      struct quic_buf *b, u8 type)
{
	u64 id, errcode, final;

	if (!quic_get_varint(b, &id) || !quic_get_varint(b, &errcode) ||
	    !quic_get_varint(b, &final))
		return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	return quic_stream_rcv_reset(sk, id, errcode, final);
}

/* RFC 9000 section 19.5 */
static int quic_frame_rx_stop_sending(struct sock *sk, struct quic_rx *rx,
				      struct quic_buf *b, u8 type)
{
	u64 id, errcode;

	if (!quic_get_varint(b, &id) || !quic_get_varint(b, &errcode))
		return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	return quic_stream_rcv_stop_sending(sk, id, errcode);
}

/* RFC 9000 section 19.6 */
static int quic_frame_rx_crypto(struct sock *sk, struct quic_rx *rx,
				struct quic_buf *b, u8 type)
{
	const u8 *data;
	u64 off, len;

	if (!quic_get_varint(b, &off) || !quic_get_varint(b, &len) ||
	    !quic_get_bytes(b, len, &data))
		return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	if (off + len > QUIC_VARINT_MAX)
		return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	return quic_rcv_crypto(sk, rx, off, data, len);
}

static int quic_frame_rx_new_token(struct sock *sk, struct quic_rx *rx,
				   struct quic_buf *b, u8 type)
{
	const u8 *data;
	u64 len;

	if (!quic_get_varint(b, &len) || !len ||
	    !quic_get_bytes(b, len, &data))
		return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	if (quic_is_serv(sk))
		return QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION;
	quic_session_rcv_token(sk, data, len);
	return 0;
}

/* RFC 9000 section 19.8 */
static int quic_frame_rx_stream(struct sock *sk, struct quic_rx *rx,
				struct quic_buf *b, u8 type)
{
	u64 id, off = 0, len;
	const u8 *data;

	if (!quic_get_varint(b, &id))
		return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	if ((type & QUIC_STREAM_BIT_OFF) && !quic_get_varint(b, &off))
		return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	if (type & QUIC_STREAM_BIT_LEN) {
		if (!quic_get_varint(b, &len))
			return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	} else {
		len = b->left;
	}
	if (!quic_get_bytes(b, len, &data))
		return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	if (off + len > QUIC_VARINT_MAX)
		return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	return quic_rcv_stream(sk, rx, id, off, data, len,
			       type & QUIC_STREAM_BIT_FIN);
}

static int quic_frame_rx_max_data(struct sock *sk, struct quic_rx *rx,
				  struct quic_buf *b, u8 type)
{
	u64 max;

	if (!quic_get_varint(b, &max))
		return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	quic_streams_rcv_max_data(sk, max);
	return 0;
}

static int quic_frame_rx_max_stream_data(struct sock *sk, struct quic_rx *rx,
					 struct quic_buf *b, u8 type)
{
	u64 id, max;

	if (!quic_get_varint(b, &id) || !quic_get_varint(b, &max))
		return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	quic_stream_rcv_max_data(sk, id, max);
	return 0;
}

static int quic_frame_rx_max_streams(struct sock *sk, struct quic_rx *rx,
				     struct quic_buf *b, u8 type)
{
	u64 max;

	if (!quic_get_varint(b, &max))
		return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	if (max > (1ULL << 60))
		return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	quic_streams_rcv_max_streams(sk, type == QUIC_FRAME_MAX_STREAMS_UNI,
				     max);
	return 0;
}

/* DATA_BLOCKED, STREAM_DATA_BLOCKED and STREAMS_BLOCKED: informative */
static int quic_frame_rx_blocked(struct sock *sk, struct quic_rx *rx,
				 struct quic_buf *b, u8 type)
{
	u64 v;

	if (!quic_get_varint(b, &v))
		return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	if (type == QUIC_FRAME_STREAM_DATA_BLOCKED && !quic_get_varint(b, &v))
		return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	return 0;
}

/* RFC 9000 section 19.15 */
static int quic_frame_rx_new_cid(struct sock *sk, struct quic_rx *rx,
				 struct quic_buf *b, u8 type)
{
	const u8 *data, *token;
	u64 seq, prior;
	u8 len;

	if (!quic_get_varint(b, &seq) || !quic_get_varint(b, &prior) ||
	    !quic_get_u8(b, &len) || len < 1 || len > QUIC_CONN_ID_MAX_LEN ||
	    !quic_get_bytes(b, len, &data) ||
	    !quic_get_bytes(b, QUIC_RESET_TOKEN_LEN, &token))
		return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	if (prior > seq)
		return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	return quic_rcv_new_cid(sk, seq, prior, data, len, token);
}

static int quic_frame_rx_retire_cid(struct sock *sk, struct quic_rx *rx,
				    struct quic_buf *b, u8 type)
{
	u64 seq;

	if (!quic_get_varint(b, &seq))
		return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	return quic_rcv_retire_cid(sk, seq, rx->skb->data + rx->dcid_off,
				   rx->dcid_len);
}

/*
 * RFC 9000 section 8.2.2: echo the data in a PATH_RESPONSE.  One waits in
 * the queue at most: a challenge that comes while it waits gives it its
 * data, so that a peer's flood of challenges costs one frame.  The
 * challenger accepts a response to any challenge it sent, and sends them
 * again if it gets none (section 8.2.1).
 */
static int quic_frame_rx_path_challenge(struct sock *sk, struct quic_rx *rx,
					struct quic_buf *b, u8 type)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_frame *f;
	const u8 *data;

	if (!quic_get_bytes(b, 8, &data))
		return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	f = qs->outq.path_response;
	if (f) {
		memcpy(f->buf + 1, data, 8);
		return 0;
	}
	f = quic_frame_alloc(9, GFP_ATOMIC);
	if (!f)
		return 0;	/* the peer asks again */
	f->type = QUIC_FRAME_PATH_RESPONSE;
	f->level = QUIC_CRYPTO_APP;
	f->buf[0] = QUIC_FRAME_PATH_RESPONSE;
	memcpy(f->buf + 1, data, 8);
	quic_outq_add(sk, f);
	qs->outq.path_response = f;
	return 0;
}

static int quic_frame_rx_path_response(struct sock *sk, struct quic_rx *rx,
				       struct quic_buf *b, u8 type)
{
	const u8 *data;

	if (!quic_get_bytes(b, 8, &data))
		return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	quic_path_rcv_response(sk, data);
	return 0;
}

/* RFC 9000 section 19.19 */
static int quic_frame_rx_close(struct sock *sk, struct quic_rx *rx,
			       struct quic_buf *b, u8 type)
{
	struct quic_connection_close c = {};
	u64 errcode, frame = 0, plen;
	const u8 *data;

	if (!quic_get_varint(b, &errcode) ||
	    (type == QUIC_FRAME_CONNECTION_CLOSE &&
	     !quic_get_varint(b, &frame)) ||
	    !quic_get_varint(b, &plen) || !quic_get_bytes(b, plen, &data))
		return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	c.errcode = errcode;
	c.frame = frame;
	memcpy(c.phrase, data, min_t(u64, plen, sizeof(c.phrase) - 1));
	return quic_rcv_close(sk, &c);
}

static int quic_frame_rx_handshake_done(struct sock *sk, struct quic_rx *rx,
					struct quic_buf *b, u8 type)
{
	return quic_conn_rcv_handshake_done(sk);
}

/*
 * RFC 9221 section 4: only when we announced max_datagram_frame_size.
 * Each datagram is one message for the reader, charged to the receive
 * buffer; when the buffer is full it is dropped (section 5: the packet is
 * acknowledged all the same) and counted in sk_drops.
 */
static int quic_frame_rx_datagram(struct sock *sk, struct quic_rx *rx,
				  struct quic_buf *b, u8 type)
{
	struct sk_buff *skb;
	const u8 *data;
	u64 len;

	if (type == QUIC_FRAME_DATAGRAM_LEN) {
		if (!quic_get_varint(b, &len))
			return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	} else {
		len = b->left;
	}
	if (!quic_get_bytes(b, len, &data))
		return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
	/* RFC 9221 section 3: the whole frame, type and length included,
	 * within what we announced (0: none at all)
	 */
	if (data + len - rx->frame_start >
	    quic_sk(sk)->params.local.max_datagram_frame_size)
		return QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION;

	/* a datagram that fills most of its UDP datagram keeps it (a
	 * clone), a smaller one is copied out at its own size
	 */
	if (len >= rx->skb->len / 2) {
		skb = skb_clone(rx->skb, GFP_ATOMIC);
		if (skb) {
			skb_pull(skb, data - rx->skb->data);
			skb_trim(skb, len);
		}
	} else {
		skb = alloc_skb(len, GFP_ATOMIC);
		if (skb)
			skb_put_data(skb, data, len);
	}
	if (!skb) {
		sk_drops_inc(sk);
		return 0;
	}
	memset(skb->cb, 0, sizeof(skb->cb));
	QUIC_SKB_CB(skb)->kind = QUIC_RCV_DATAGRAM;
	if (atomic_read(&sk->sk_rmem_alloc) + skb->truesize >
	    READ_ONCE(sk->sk_rcvbuf)) {
		sk_drops_skbadd(sk, skb);
		kfree_skb(skb);
		return 0;
	}
	if (!quic_rmem_charge(sk, skb, false)) {	/* counted there */
		kfree_skb(skb);
		return 0;
	}
	__skb_queue_tail(&sk->sk_receive_queue, skb);
	sk->sk_data_ready(sk);
	return 0;
}

/**
 * quic_frame_process - process the frames of a packet's payload
 * @sk: the socket, locked
 * @rx: the packet
 * @b: its payload
 *
 * RFC 9000 section 12.4: a frame of an unknown type is a
 * FRAME_ENCODING_ERROR, one the packet type may not carry a
 * PROTOCOL_VIOLATION.
 *
 * Return: 0; a transport error code (positive) that closes the
 * connection, with rx->frame the offending type; -EAGAIN when some data
 * could not be held (the packet is not acknowledged); another negative
 * errno when the peer closed the connection.
 */
int quic_frame_process(struct sock *sk, struct quic_rx *rx,
		       struct quic_buf *b)
{
	const struct quic_frame_info *fi;
	bool held = false;
	u64 type;
	int err;

	while (b->left) {
		rx->frame_start = b->p;
		if (!quic_get_varint(b, &type))
			return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
		rx->frame = type;
		fi = quic_frame_info(type);
		if (!fi)
			return QUIC_TRANSPORT_ERROR_FRAME_ENCODING;
		if (!(fi->levels & BIT(rx->level)))
			return QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION;
		if (!fi->not_eliciting)
			rx->eliciting = 1;
		if (type != QUIC_FRAME_PADDING &&
		    type != QUIC_FRAME_PATH_CHALLENGE &&
		    type != QUIC_FRAME_PATH_RESPONSE &&
		    type != QUIC_FRAME_NEW_CONNECTION_ID)
			rx->non_probing = 1;
		err = fi->rx(sk, rx, b, type);
		/* data that cannot be held now: the rest of the packet is
		 * still processed (it may fill the gap that holds us up),
		 * but the packet is not acknowledged
		 */
		if (err == -EAGAIN) {
			held = true;
			err = 0;
		}
		if (err)
			return err;
	}
	return held ? -EAGAIN : 0;
}
