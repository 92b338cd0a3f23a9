/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC tracepoints, local to the module as net/tls's are: the events of a
 * connection's life that an operator or tools/quic-qlog needs to tell
 * what happened on the wire.  Free when disabled (a static key each),
 * usable with perf trace, trace-cmd and bpftrace.  A connection is named
 * by its socket's cookie (sock_gen_cookie(): what sock_diag and quic-ss
 * show as sk:); 0 for a packet that reached no socket.
 */
#ifndef _QUIC_TRACE_COOKIE_
#define _QUIC_TRACE_COOKIE_
#include <linux/sock_diag.h>

/* the socket's cookie, as quic-ss prints it (sk:); made at first use */
static inline u64 quic_trace_cookie(struct sock *sk)
{
	u32 c[2];

	if (!sk)
		return 0;
	sock_diag_save_cookie(sk, c);
	return (u64)c[1] << 32 | c[0];
}
#endif

#undef TRACE_SYSTEM
#define TRACE_SYSTEM quic

#if !defined(_QUIC_TRACE_H_) || defined(TRACE_HEADER_MULTI_READ)
#define _QUIC_TRACE_H_

#include <linux/tracepoint.h>
#include <net/sock.h>

#include "family.h"
#include "mib.h"

/* crypto levels, QUIC_CRYPTO_*; packets acknowledged or lost give their
 * space's, where 0-RTT counts as 1-RTT
 */
#define QUIC_TRACE_LEVELS					\
	{ 0, "1rtt" }, { 1, "initial" }, { 2, "handshake" },	\
	{ 3, "0rtt" }

#define QUIC_TRACE_DROPS					\
	{ QUIC_MIB_INNOSOCKET, "no_socket" },			\
	{ QUIC_MIB_INDECRYPTERRORS, "decrypt" },		\
	{ QUIC_MIB_INMALFORMED, "malformed" },			\
	{ QUIC_MIB_INDUPLICATES, "duplicate" },			\
	{ QUIC_MIB_INNOKEYS, "no_keys" },			\
	{ QUIC_MIB_INRCVMEMDROPS, "rcvmem" },			\
	{ QUIC_MIB_INBACKLOGDROPS, "backlog" },			\
	{ QUIC_MIB_REQUESTDROPS, "request_queue" },		\
	{ QUIC_MIB_INUNKNOWNSERVER, "unknown_server" }

#define QUIC_TRACE_STATES					\
	{ 1, "established" }, { 2, "establishing" },		\
	{ 7, "closed" }, { 10, "listening" }

DECLARE_EVENT_CLASS(quic_packet_class,

	TP_PROTO(struct sock *sk, u8 level, u64 pn, u32 len),

	TP_ARGS(sk, level, pn, len),

	TP_STRUCT__entry(__field(u64,	cookie)
			 __field(u64,	pn)
			 __field(u32,	len)
			 __field(u8,	level)),

	TP_fast_assign(__entry->cookie = quic_trace_cookie(sk);
		       __entry->pn = pn;
		       __entry->len = len;
		       __entry->level = level;),

	TP_printk("sk=%llx level=%s pn=%llu len=%u", __entry->cookie,
		  __print_symbolic(__entry->level, QUIC_TRACE_LEVELS),
		  __entry->pn, __entry->len)
);

/* a packet sealed for sending (@len: its bytes in the datagram) */
DEFINE_EVENT(quic_packet_class, quic_packet_sent,
	     TP_PROTO(struct sock *sk, u8 level, u64 pn, u32 len),
	     TP_ARGS(sk, level, pn, len));

/* a packet opened and processed */
DEFINE_EVENT(quic_packet_class, quic_packet_recv,
	     TP_PROTO(struct sock *sk, u8 level, u64 pn, u32 len),
	     TP_ARGS(sk, level, pn, len));

/* a packet in flight declared lost (RFC 9002 section 6.1) */
DEFINE_EVENT(quic_packet_class, quic_packet_lost,
	     TP_PROTO(struct sock *sk, u8 level, u64 pn, u32 len),
	     TP_ARGS(sk, level, pn, len));

/* a packet in flight newly acknowledged */
DEFINE_EVENT(quic_packet_class, quic_packet_acked,
	     TP_PROTO(struct sock *sk, u8 level, u64 pn, u32 len),
	     TP_ARGS(sk, level, pn, len));

/* a datagram or packet dropped; @cause: the counter it moved (mib.h) */
TRACE_EVENT(quic_packet_drop,

	TP_PROTO(struct sock *sk, u8 cause),

	TP_ARGS(sk, cause),

	TP_STRUCT__entry(__field(u64,	cookie)
			 __field(u8,	cause)),

	TP_fast_assign(__entry->cookie = quic_trace_cookie(sk);
		       __entry->cause = cause;),

	TP_printk("sk=%llx cause=%s", __entry->cookie,
		  __print_symbolic(__entry->cause, QUIC_TRACE_DROPS))
);

/* the congestion controller's state after an ACK or a loss */
TRACE_EVENT(quic_cong,

	TP_PROTO(struct sock *sk, u32 cwnd, u32 ssthresh, u32 in_flight),

	TP_ARGS(sk, cwnd, ssthresh, in_flight),

	TP_STRUCT__entry(__field(u64,	cookie)
			 __field(u32,	cwnd)
			 __field(u32,	ssthresh)
			 __field(u32,	in_flight)),

	TP_fast_assign(__entry->cookie = quic_trace_cookie(sk);
		       __entry->cwnd = cwnd;
		       __entry->ssthresh = ssthresh;
		       __entry->in_flight = in_flight;),

	TP_printk("sk=%llx cwnd=%u ssthresh=%u in_flight=%u",
		  __entry->cookie, __entry->cwnd, __entry->ssthresh,
		  __entry->in_flight)
);

/* an RTT sample and the estimates after it (RFC 9002 section 5), us */
TRACE_EVENT(quic_rtt,

	TP_PROTO(struct sock *sk, u32 latest, u32 srtt, u32 rttvar,
		 u32 min_rtt, u32 ack_delay),

	TP_ARGS(sk, latest, srtt, rttvar, min_rtt, ack_delay),

	TP_STRUCT__entry(__field(u64,	cookie)
			 __field(u32,	latest)
			 __field(u32,	srtt)
			 __field(u32,	rttvar)
			 __field(u32,	min_rtt)
			 __field(u32,	ack_delay)),

	TP_fast_assign(__entry->cookie = quic_trace_cookie(sk);
		       __entry->latest = latest;
		       __entry->srtt = srtt;
		       __entry->rttvar = rttvar;
		       __entry->min_rtt = min_rtt;
		       __entry->ack_delay = ack_delay;),

	TP_printk("sk=%llx latest=%u srtt=%u rttvar=%u min_rtt=%u ack_delay=%u",
		  __entry->cookie, __entry->latest, __entry->srtt,
		  __entry->rttvar, __entry->min_rtt, __entry->ack_delay)
);

/* the socket's state changed (QUIC_SS_*, on TCP's numbers) */
TRACE_EVENT(quic_state,

	TP_PROTO(struct sock *sk, int old, int new),

	TP_ARGS(sk, old, new),

	TP_STRUCT__entry(__field(u64,	cookie)
			 __field(u8,	old)
			 __field(u8,	new)),

	TP_fast_assign(__entry->cookie = quic_trace_cookie(sk);
		       __entry->old = old;
		       __entry->new = new;),

	TP_printk("sk=%llx old=%s new=%s", __entry->cookie,
		  __print_symbolic(__entry->old, QUIC_TRACE_STATES),
		  __print_symbolic(__entry->new, QUIC_TRACE_STATES))
);

/* the 1-RTT key phase changed (@local: we started it) */
TRACE_EVENT(quic_key_update,

	TP_PROTO(struct sock *sk, u8 phase, bool local),

	TP_ARGS(sk, phase, local),

	TP_STRUCT__entry(__field(u64,	cookie)
			 __field(u8,	phase)
			 __field(bool,	local)),

	TP_fast_assign(__entry->cookie = quic_trace_cookie(sk);
		       __entry->phase = phase;
		       __entry->local = local;),

	TP_printk("sk=%llx phase=%u local=%d", __entry->cookie,
		  __entry->phase, __entry->local)
);

/* the largest datagram the path takes changed */
TRACE_EVENT(quic_path_mtu,

	TP_PROTO(struct sock *sk, u32 mss),

	TP_ARGS(sk, mss),

	TP_STRUCT__entry(__field(u64,	cookie)
			 __field(u32,	mss)),

	TP_fast_assign(__entry->cookie = quic_trace_cookie(sk);
		       __entry->mss = mss;),

	TP_printk("sk=%llx mss=%u", __entry->cookie, __entry->mss)
);

/* what happened to the path (numbers, as the states below) */
#define QUIC_PATH_EV_MIGRATED	0	/* moved to a new peer address */
#define QUIC_PATH_EV_VALIDATED	1	/* that address answered */
#define QUIC_PATH_EV_FAILED	2	/* it did not, in time */
#define QUIC_PATH_EV_RETURNED	3	/* back to the address used before */

#define QUIC_TRACE_PATH_EVS					\
	{ QUIC_PATH_EV_MIGRATED, "migrated" },			\
	{ QUIC_PATH_EV_VALIDATED, "validated" },		\
	{ QUIC_PATH_EV_FAILED, "failed" },			\
	{ QUIC_PATH_EV_RETURNED, "returned" }

/* the path in use changed, or its validation ended (RFC 9000 section 9) */
TRACE_EVENT(quic_path,

	TP_PROTO(struct sock *sk, const union quic_addr *peer, int event),

	TP_ARGS(sk, peer, event),

	TP_STRUCT__entry(__field(u64,	cookie)
			 __array(u8,	peer, sizeof(struct sockaddr_in6))
			 __field(u8,	event)),

	TP_fast_assign(__entry->cookie = quic_trace_cookie(sk);
		       memset(__entry->peer, 0, sizeof(__entry->peer));
		       memcpy(__entry->peer, peer,
			      peer->sa.sa_family == AF_INET ?
			      sizeof(struct sockaddr_in) :
			      sizeof(struct sockaddr_in6));
		       __entry->event = event;),

	TP_printk("sk=%llx peer=%pISpc event=%s", __entry->cookie,
		  __entry->peer,
		  __print_symbolic(__entry->event, QUIC_TRACE_PATH_EVS))
);

/*
 * uapi enum quic_stream_state: QUIC_STREAM_SEND_STATE_* 0 to 5, then
 * QUIC_STREAM_RECV_STATE_* 6 to 11 (numbers, so that the format user
 * space reads needs no enum definitions)
 */
#define QUIC_TRACE_SEND_STATES					\
	{ 0, "ready" }, { 1, "send" }, { 2, "data_sent" },	\
	{ 3, "data_recvd" }, { 4, "reset_sent" },		\
	{ 5, "reset_recvd" }, { 0xff, "idle" }
#define QUIC_TRACE_RECV_STATES					\
	{ 6, "recv" }, { 7, "size_known" }, { 8, "data_recvd" },	\
	{ 9, "data_read" }, { 10, "reset_recvd" },		\
	{ 11, "reset_read" }, { 0xff, "idle" }

/*
 * A stream's sending (@send) or receiving part changed state (RFC 9000
 * section 3); a new stream's parts come from "idle" (0xff).
 */
TRACE_EVENT(quic_stream_state,

	TP_PROTO(struct sock *sk, s64 id, bool send, u8 old, u8 new),

	TP_ARGS(sk, id, send, old, new),

	TP_STRUCT__entry(__field(u64,	cookie)
			 __field(s64,	id)
			 __field(bool,	send)
			 __field(u8,	old)
			 __field(u8,	new)),

	TP_fast_assign(__entry->cookie = quic_trace_cookie(sk);
		       __entry->id = id;
		       __entry->send = send;
		       __entry->old = old;
		       __entry->new = new;),

	TP_printk("sk=%llx id=%lld side=%s old=%s new=%s", __entry->cookie,
		  __entry->id, __entry->send ? "send" : "recv",
		  __entry->send ?
		  __print_symbolic(__entry->old, QUIC_TRACE_SEND_STATES) :
		  __print_symbolic(__entry->old, QUIC_TRACE_RECV_STATES),
		  __entry->send ?
		  __print_symbolic(__entry->new, QUIC_TRACE_SEND_STATES) :
		  __print_symbolic(__entry->new, QUIC_TRACE_RECV_STATES))
);

#endif /* _QUIC_TRACE_H_ */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace

#include <trace/define_trace.h>
