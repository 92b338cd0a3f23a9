/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC frames (RFC 9000 section 19, RFC 9221): the frame types, one
 * table of what each type may do, and every encoder and decoder
 * (frame.c).  No other file names a frame type by its number.
 */
#ifndef __QUIC_FRAME_H
#define __QUIC_FRAME_H

#include <linux/gfp.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/types.h>

struct sock;
struct sk_buff;
struct quic_buf;
struct quic_cid;
struct quic_stream;
struct msghdr;

/*
 * enum quic_frame_type - frame types.  Types above 0x3f (extensions) are
 * multi-byte variable-length integers: the table below covers the
 * single-byte ones, and quic_frame_info() says "unknown" for the rest.
 */
enum quic_frame_type {
	QUIC_FRAME_PADDING		= 0x00,
	QUIC_FRAME_PING			= 0x01,
	QUIC_FRAME_ACK			= 0x02,
	QUIC_FRAME_ACK_ECN		= 0x03,
	QUIC_FRAME_RESET_STREAM		= 0x04,
	QUIC_FRAME_STOP_SENDING		= 0x05,
	QUIC_FRAME_CRYPTO		= 0x06,
	QUIC_FRAME_NEW_TOKEN		= 0x07,
	QUIC_FRAME_STREAM		= 0x08,	/* to 0x0f: the bits below */
	QUIC_FRAME_STREAM_LAST		= 0x0f,
	QUIC_FRAME_MAX_DATA		= 0x10,
	QUIC_FRAME_MAX_STREAM_DATA	= 0x11,
	QUIC_FRAME_MAX_STREAMS_BIDI	= 0x12,
	QUIC_FRAME_MAX_STREAMS_UNI	= 0x13,
	QUIC_FRAME_DATA_BLOCKED		= 0x14,
	QUIC_FRAME_STREAM_DATA_BLOCKED	= 0x15,
	QUIC_FRAME_STREAMS_BLOCKED_BIDI	= 0x16,
	QUIC_FRAME_STREAMS_BLOCKED_UNI	= 0x17,
	QUIC_FRAME_NEW_CONNECTION_ID	= 0x18,
	QUIC_FRAME_RETIRE_CONNECTION_ID	= 0x19,
	QUIC_FRAME_PATH_CHALLENGE	= 0x1a,
	QUIC_FRAME_PATH_RESPONSE	= 0x1b,
	QUIC_FRAME_CONNECTION_CLOSE	= 0x1c,
	QUIC_FRAME_CONNECTION_CLOSE_APP	= 0x1d,
	QUIC_FRAME_HANDSHAKE_DONE	= 0x1e,
	QUIC_FRAME_DATAGRAM		= 0x30,	/* RFC 9221 */
	QUIC_FRAME_DATAGRAM_LEN		= 0x31,
	QUIC_FRAME_TABLE_SIZE,
};

/* STREAM frame type bits, RFC 9000 section 19.8 */
#define QUIC_STREAM_BIT_FIN	0x01
#define QUIC_STREAM_BIT_LEN	0x02
#define QUIC_STREAM_BIT_OFF	0x04

/*
 * struct quic_frame - a frame waiting to be sent, or sent and waiting to
 * be acknowledged.  Frames are encoded once, when queued; a lost frame is
 * sent again as it is, in a new packet (RFC 9000 section 13.3).
 * @stream_id: STREAM frames: the stream; -1 otherwise
 * @offset: STREAM and CRYPTO frames: offset of the data
 * @data_len: STREAM and CRYPTO frames: length of the data
 * @level: the packet number space it must go in (enum quic_crypto_level)
 * @queued: user data: its size is in sk_wmem_queued (quic_frame_charge())
 * @charged: and in the socket's and the protocol's memory accounting
 * @dup: a copy that made a probe's second datagram (quic_rtx_fire()):
 *	freed once acknowledged or lost, never counted as the user's
 * @seq: order of queueing on the connection (wraps); the send queue is
 *	kept sorted by it, lost frames going back to their place
 */
struct quic_frame {
	struct list_head	list;
	s64			stream_id;
	u64			offset;
	u32			data_len;
	u16			len;
	u8			type;
	u8			level;
	u8			fin:1;
	u8			queued:1;
	u8			charged:1;
	u8			dup:1;
	u32			seq;
	u8			buf[];
};

/*
 * struct quic_rx - what the decoders know of the packet being processed
 * @skb: the datagram
 * @start: payload start (linear data)
 * @now: arrival time
 * @level: crypto level of the packet
 * @sp: its packet number space
 * @eliciting: an ack-eliciting frame was seen
 * @frame: type being processed, for the error report
 */
struct quic_rx {
	struct sk_buff	*skb;
	const u8	*start;
	ktime_t		now;
	u8		level;
	u8		sp;
	u8		eliciting:1,
			opened:1,	/* a packet of the datagram opened */
			non_probing:1,	/* a frame other than a probing one,
					 * RFC 9000 section 9.1
					 */
			migrate:1;	/* a 1-RTT packet, non-probing, the
					 * newest: the peer is where it came
					 * from (section 9.3)
					 */
	u8		dcid_len;	/* the packet's destination ID ... */
	u32		dcid_off;	/* ... at this offset in the skb */
	const u8	*frame_start;	/* the frame being processed */
	u64		frame;		/* its type */
};

/* what a frame type may do when we send it */
bool quic_frame_ack_eliciting(u8 type);
bool quic_frame_retransmitted(u8 type);
bool quic_frame_allowed(u8 type, u8 level);

/* receive: every frame of a packet's payload @b */
int quic_frame_process(struct sock *sk, struct quic_rx *rx,
		       struct quic_buf *b);

/* encoders */
struct quic_frame *quic_frame_alloc(unsigned int len, gfp_t gfp);
struct quic_frame *quic_frame_copy(const struct quic_frame *f, gfp_t gfp);
struct quic_frame *quic_frame_build(u8 level, gfp_t gfp, u8 type,
				    unsigned int nvals, const u64 *vals);
struct quic_frame *quic_frame_ping(u8 level, gfp_t gfp);
struct quic_frame *quic_frame_stream(struct sock *sk, struct quic_stream *st,
				     struct msghdr *msg, u32 chunk, bool fin);
struct quic_frame *quic_frame_datagram(struct sock *sk, struct msghdr *msg,
				       u32 len);
struct quic_frame *quic_frame_new_token(const u8 *token, u32 len, gfp_t gfp);
struct quic_frame *quic_frame_new_cid(const struct quic_cid *cid,
				      u64 retire_prior_to, gfp_t gfp);
int quic_frame_queue_crypto(struct sock *sk, u8 level, struct msghdr *msg,
			    size_t len, bool mem);
int quic_frame_queue_close(struct sock *sk);
void quic_frame_queue_handshake_done(struct sock *sk);
bool quic_frame_queue_retire_cid(struct sock *sk, u64 seq);
void quic_frame_queue_data_blocked(struct sock *sk, u64 max, gfp_t gfp);
void quic_frame_queue_stream_data_blocked(struct sock *sk, s64 id, u64 max,
					  gfp_t gfp);
void quic_frame_queue_streams_blocked(struct sock *sk, bool uni, u64 max,
				      gfp_t gfp);
void quic_frame_queue_max_data(struct sock *sk, u64 max);
void quic_frame_queue_max_stream_data(struct sock *sk, s64 id, u64 max);
void quic_frame_queue_max_streams(struct sock *sk, bool uni, u64 max);

/* memory a frame of @len encoded bytes takes, as charged to the socket */
static inline u32 quic_frame_truesize(u32 len)
{
	return sizeof(struct quic_frame) + len;
}

/* STREAM or CRYPTO data: what the peer takes in order of offset */
static inline bool quic_frame_is_data(const struct quic_frame *f)
{
	return f->stream_id >= 0 || f->type == QUIC_FRAME_CRYPTO;
}

/* the most a STREAM or CRYPTO frame's header takes: type, three varints */
#define QUIC_FRAME_DATA_HDR_MAX	(1 + 3 * 8)
/* handshake bytes a CRYPTO frame carries */
#define QUIC_CRYPTO_FRAME_DATA	1100

/* the most quic_frame_queue_crypto() charges for @len bytes */
static inline u32 quic_frame_crypto_truesize(u32 len)
{
	return len + DIV_ROUND_UP(len, QUIC_CRYPTO_FRAME_DATA) *
		     quic_frame_truesize(QUIC_FRAME_DATA_HDR_MAX);
}

void quic_frame_charge(struct sock *sk, struct quic_frame *f, bool mem);
void quic_frame_free(struct sock *sk, struct quic_frame *f);

/* the send queue */
void quic_outq_add(struct sock *sk, struct quic_frame *f);
void quic_outq_requeue(struct sock *sk, u8 sp, struct list_head *frames);
void quic_outq_purge(struct sock *sk);
unsigned int quic_outq_drop_stream(struct sock *sk, s64 id);
s64 quic_frame_stream_of(const struct quic_frame *f);
s64 quic_frame_cid_seq_of(const struct quic_frame *f);

#endif /* __QUIC_FRAME_H */
