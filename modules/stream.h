/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC streams (RFC 9000 sections 2-4): the stream table, send and
 * receive state, and flow control.
 */
#ifndef __QUIC_STREAM_H
#define __QUIC_STREAM_H

#include <linux/rcupdate.h>
#include <linux/skbuff.h>
#include <linux/types.h>
#include <linux/xarray.h>

struct sock;

/*
 * struct quic_stream - one stream
 * @send_offset: next byte offset to queue for sending
 * @send_max: the peer's limit for this stream (MAX_STREAM_DATA)
 * @send_acked: bytes acknowledged, in order (for SEND -> RECVD)
 * @recv_offset: next byte offset to hand to the reader (in order)
 * @recv_highest: highest offset received + 1 (flow control)
 * @recv_max: the limit we advertised (MAX_STREAM_DATA)
 * @recv_window: how far ahead of @recv_offset we let the peer send
 * @final_size: the stream's size once known (FIN or RESET_STREAM)
 * @send_errcode: the application error code of the RESET_STREAM we sent
 * @recv_errcode: that of the RESET_STREAM the peer sent
 * @stop_sent: we asked the peer to stop sending (STOP_SENDING)
 * @stop_rcvd: the peer asked us to, and our sending part was reset for it
 * @reorder: data received past @recv_offset, ascending offsets, charged
 *	to the socket's receive memory
 * @rcu: freed after a grace period: poll() looks at the last stream
 *	opened without the socket lock
 */
struct quic_stream {
	s64			id;
	struct rcu_head		rcu;

	u64			send_offset;
	u64			send_max;
	u64			send_acked;
	u8			send_state;	/* QUIC_STREAM_SEND_STATE_* */
	u32			send_inflight;	/* frames not yet acknowledged */

	u64			recv_offset;
	u64			recv_read;	/* consumed by the reader */
	u64			recv_highest;
	u64			recv_max;
	u64			recv_window;
	u64			final_size;
	u64			blocked_at;	/* STREAM_DATA_BLOCKED sent at
						 * this limit + 1; 0: none
						 */
	u8			recv_state;	/* QUIC_STREAM_RECV_STATE_* */
	u8			final_known:1,
				fin_read:1,
				fin_queued:1,
				stop_sent:1,
				stop_rcvd:1;
	u64			send_errcode;
	u64			recv_errcode;
	struct sk_buff_head	reorder;
};

/*
 * struct quic_stream_limits - counts of streams of one type (bidi or uni)
 * opened by one side.
 * @max: how many may be opened (MAX_STREAMS)
 * @next: the count opened so far (the next stream's index)
 * @done: the peer's streams: how many it finished (all read)
 * @blocked_at: ours: STREAMS_BLOCKED was sent at this @max + 1; 0: never
 */
struct quic_stream_limits {
	u64	max;
	u64	next;
	u64	done;
	u64	blocked_at;
};

/*
 * struct quic_stream_table - a connection's streams, and the connection's
 * flow control (RFC 9000 section 4.1), which their data is counted in
 * @xa: the streams that are open, by ID.  A stream leaves it, and is
 *	freed, once both its parts are in a terminal state: sending data
 *	all acknowledged or its reset acknowledged, receiving data all read
 *	or reset by the peer (RFC 9000 section 3); only then does a stream
 *	of the peer's count as closed for MAX_STREAMS.
 *	Opening a stream opens the lower-numbered ones of its type (section
 *	3.2): they are created with it, so that an ID below the type's
 *	@next that is not in @xa is a closed stream, whose late frames are
 *	ignored.  Memory is that of the open streams only, which the limits
 *	bound.
 * @send_max_data: the peer's limit (MAX_DATA)
 * @send_data: new stream bytes sent
 * @recv_max_data: the limit we advertised
 * @recv_data: the highest received offsets of all streams, summed
 * @recv_consumed: bytes the reader took
 * @recv_window: how far ahead of @recv_consumed the peer may send
 * @data_blocked_at: DATA_BLOCKED was sent at this @send_max_data + 1; 0:
 *	never
 *
 * Locking: the socket lock.  Owned by stream.c, but for @send_data,
 * which sendmsg() advances.
 */
struct quic_stream_table {
	struct xarray			xa;
	struct quic_stream_limits	local[2];	/* [uni]: ours */
	struct quic_stream_limits	remote[2];	/* [uni]: the peer's */
	s64				last_opened;	/* send() w/o a stream */
	struct quic_stream		*last;		/* that stream, for poll */
	u32				count;

	u64				send_max_data;
	u64				send_data;
	u64				recv_max_data;
	u64				recv_data;
	u64				recv_consumed;
	u64				recv_window;
	u64				data_blocked_at;
};

void quic_streams_init(struct quic_stream_table *t);
void quic_streams_free(struct quic_stream_table *t);
void quic_streams_set_limits(struct sock *sk);
void quic_streams_peer_limits_raised(struct sock *sk);
struct quic_stream *quic_stream_find(struct quic_stream_table *t, s64 id);
s64 quic_stream_next_id(struct sock *sk, bool uni);
s64 quic_stream_default_id(struct sock *sk, u32 *flags);
void quic_stream_set_send_state(struct sock *sk, struct quic_stream *st,
				u8 state);
void quic_stream_set_recv_state(struct sock *sk, struct quic_stream *st,
				u8 state);
void quic_stream_acked(struct sock *sk, s64 id);
void quic_stream_read_all(struct sock *sk, struct quic_stream *st);
struct quic_stream *quic_stream_get_recv(struct sock *sk, s64 id, int *err);
struct quic_stream *quic_stream_get_send(struct sock *sk, s64 id,
					 u32 flags, int *err);
int quic_stream_recv(struct sock *sk, struct quic_stream *st,
		     struct sk_buff *skb);
int quic_stream_rcv_reset(struct sock *sk, s64 id, u64 errcode, u64 final);
int quic_stream_rcv_stop_sending(struct sock *sk, s64 id, u64 errcode);
int quic_stream_reset(struct sock *sk, s64 id, u64 errcode);
int quic_stream_stop_sending(struct sock *sk, s64 id, u64 errcode);
void quic_stream_reset_acked(struct sock *sk, s64 id);
bool quic_stream_frame_lost(struct sock *sk, s64 id);
void quic_stream_consumed(struct sock *sk, struct quic_stream *st,
			  u64 len);
void quic_stream_peer_done(struct sock *sk, struct quic_stream *st);
void quic_stream_send_blocked(struct sock *sk, struct quic_stream *st);
void quic_streams_open_blocked(struct sock *sk, bool uni);
void quic_streams_rcv_max_data(struct sock *sk, u64 max);
void quic_stream_rcv_max_data(struct sock *sk, s64 id, u64 max);
void quic_streams_rcv_max_streams(struct sock *sk, bool uni, u64 max);

#endif /* __QUIC_STREAM_H */
