/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * QUIC socket API (IPPROTO_QUIC): protocol numbers, ancillary data,
 * socket options and events shared by the kernel and user space.
 *
 * The numbers and layouts in this file are an ABI: applications built
 * for the Linux in-kernel QUIC socket API depend on every value here.
 * Never renumber or reorder; append only.
 */
#ifndef _UAPI_LINUX_QUIC_H
#define _UAPI_LINUX_QUIC_H

#include <linux/types.h>
#ifdef __KERNEL__
#include <linux/socket.h>
#else
#include <sys/socket.h>		/* MSG_* flags the QUIC flags alias */
#endif

#ifndef IPPROTO_QUIC
#define IPPROTO_QUIC	261
#endif

#ifndef SOL_QUIC
#define SOL_QUIC	288
#endif

/* ancillary data (cmsg_level SOL_QUIC) */
enum quic_cmsg_type {
	QUIC_STREAM_INFO,
	QUIC_HANDSHAKE_INFO,
};

struct quic_stream_info {
	__s64	stream_id;
	__u32	stream_flags;
};

struct quic_handshake_info {
	__u8	crypto_level;
};

/*
 * message and stream flags: each reuses an existing MSG_* bit.  An enum,
 * whose name programs use as a type, and a macro of each name, so that
 * #ifdef finds them.
 */
enum quic_msg_flags {
	MSG_QUIC_STREAM_NEW		= MSG_SYN,
	MSG_QUIC_STREAM_FIN		= MSG_FIN,
	MSG_QUIC_STREAM_UNI		= MSG_CONFIRM,
	MSG_QUIC_STREAM_DONTWAIT	= MSG_WAITFORONE,
	MSG_QUIC_STREAM_SNDBLOCK	= MSG_ERRQUEUE,
	MSG_QUIC_DATAGRAM		= MSG_RST,
	MSG_QUIC_NOTIFICATION		= MSG_MORE,
};

#define MSG_QUIC_STREAM_NEW		MSG_QUIC_STREAM_NEW
#define MSG_QUIC_STREAM_FIN		MSG_QUIC_STREAM_FIN
#define MSG_QUIC_STREAM_UNI		MSG_QUIC_STREAM_UNI
#define MSG_QUIC_STREAM_DONTWAIT	MSG_QUIC_STREAM_DONTWAIT
#define MSG_QUIC_STREAM_SNDBLOCK	MSG_QUIC_STREAM_SNDBLOCK
#define MSG_QUIC_DATAGRAM		MSG_QUIC_DATAGRAM
#define MSG_QUIC_NOTIFICATION		MSG_QUIC_NOTIFICATION

/* the spellings of the socket API draft */
#define MSG_STREAM_NEW		MSG_QUIC_STREAM_NEW
#define MSG_STREAM_FIN		MSG_QUIC_STREAM_FIN
#define MSG_STREAM_UNI		MSG_QUIC_STREAM_UNI
#define MSG_STREAM_DONTWAIT	MSG_QUIC_STREAM_DONTWAIT
#define MSG_STREAM_SNDBLOCK	MSG_QUIC_STREAM_SNDBLOCK
#define MSG_DATAGRAM		MSG_QUIC_DATAGRAM
#define MSG_NOTIFICATION	MSG_QUIC_NOTIFICATION

/* stream ID bits, RFC 9000 section 2.1 */
#define QUIC_STREAM_TYPE_SERVER_MASK	0x01
#define QUIC_STREAM_TYPE_UNI_MASK	0x02
#define QUIC_STREAM_TYPE_MASK		0x03

enum quic_crypto_level {
	QUIC_CRYPTO_APP,
	QUIC_CRYPTO_INITIAL,
	QUIC_CRYPTO_HANDSHAKE,
	QUIC_CRYPTO_EARLY,
	QUIC_CRYPTO_MAX,
};

/* socket options (level SOL_QUIC) */
#define QUIC_SOCKOPT_EVENT				0
#define QUIC_SOCKOPT_STREAM_OPEN			1
#define QUIC_SOCKOPT_STREAM_RESET			2
#define QUIC_SOCKOPT_STREAM_STOP_SENDING		3
#define QUIC_SOCKOPT_CONNECTION_ID			4
#define QUIC_SOCKOPT_CONNECTION_CLOSE			5
#define QUIC_SOCKOPT_CONNECTION_MIGRATION		6
#define QUIC_SOCKOPT_KEY_UPDATE				7
#define QUIC_SOCKOPT_TRANSPORT_PARAM			8
#define QUIC_SOCKOPT_CONFIG				9
#define QUIC_SOCKOPT_TOKEN				10
#define QUIC_SOCKOPT_ALPN				11
#define QUIC_SOCKOPT_SESSION_TICKET			12
#define QUIC_SOCKOPT_CRYPTO_SECRET			13
#define QUIC_SOCKOPT_TRANSPORT_PARAM_EXT		14

#define QUIC_VERSION_V1		0x00000001
#define QUIC_VERSION_V2		0x6b3343cf

enum quic_cong_algo {
	QUIC_CONG_ALG_RENO,
	QUIC_CONG_ALG_CUBIC,
	QUIC_CONG_ALG_MAX,
};

struct quic_errinfo {
	__s64	stream_id;
	__u32	errcode;
};

struct quic_connection_id_info {
	__u8	dest;
	__u8	reserved[3];
	__u32	active;
	__u32	prior_to;
};

#define QUIC_CLOSE_PHRASE_BUFFER_SIZE	64

struct quic_connection_close {
	__u32	errcode;
	__u8	frame;
	__u8	reserved[3];
	__u8	phrase[QUIC_CLOSE_PHRASE_BUFFER_SIZE];
};

/* Times are in microseconds. */
struct quic_transport_param {
	__u8	remote;
	__u8	disable_active_migration;
	__u8	grease_quic_bit;
	__u8	stateless_reset;
	__u8	disable_1rtt_encryption;
	__u8	disable_compatible_version;
	__u8	active_connection_id_limit;
	__u8	ack_delay_exponent;
	__u16	max_datagram_frame_size;
	__u16	max_udp_payload_size;
	__u32	max_idle_timeout;
	__u32	max_ack_delay;
	__u16	max_streams_bidi;
	__u16	max_streams_uni;
	__u64	max_data;
	__u64	max_stream_data_bidi_local;
	__u64	max_stream_data_bidi_remote;
	__u64	max_stream_data_uni;
};

/* Times are in microseconds.  Callers built before keepalive_probe_interval
 * existed pass a shorter optlen; that is accepted.
 */
struct quic_config {
	__u32	version;
	__u32	plpmtud_probe_interval;
	__u32	initial_smoothed_rtt;
	__u32	payload_cipher_type;
	__u8	congestion_control_algo;
	__u8	validate_peer_address;
	__u8	stream_data_nodelay;
	__u8	receive_session_ticket;
	__u8	certificate_request;
	__u8	reserved[3];
	__u32	keepalive_probe_interval;
};

#define QUIC_CRYPTO_SECRET_BUFFER_SIZE	48

struct quic_crypto_secret {
	__u8	send;		/* 1: write direction, 0: read direction */
	__u8	level;		/* enum quic_crypto_level */
	__u16	reserved;
	__u32	type;		/* TLS_CIPHER_* from <linux/tls.h> */
	__u8	secret[QUIC_CRYPTO_SECRET_BUFFER_SIZE];
};

/* events, enabled per type with QUIC_SOCKOPT_EVENT */
enum quic_event_type {
	QUIC_EVENT_NONE,
	QUIC_EVENT_STREAM_UPDATE,
	QUIC_EVENT_STREAM_MAX_DATA,
	QUIC_EVENT_STREAM_MAX_STREAM,
	QUIC_EVENT_CONNECTION_ID,
	QUIC_EVENT_CONNECTION_CLOSE,
	QUIC_EVENT_CONNECTION_MIGRATION,
	QUIC_EVENT_KEY_UPDATE,
	QUIC_EVENT_NEW_TOKEN,
	QUIC_EVENT_NEW_SESSION_TICKET,
	QUIC_EVENT_MAX,
};

struct quic_event_option {
	__u8	type;
	__u8	on;
};

enum quic_stream_state {
	QUIC_STREAM_SEND_STATE_READY,
	QUIC_STREAM_SEND_STATE_SEND,
	QUIC_STREAM_SEND_STATE_SENT,
	QUIC_STREAM_SEND_STATE_RECVD,
	QUIC_STREAM_SEND_STATE_RESET_SENT,
	QUIC_STREAM_SEND_STATE_RESET_RECVD,

	QUIC_STREAM_RECV_STATE_RECV,
	QUIC_STREAM_RECV_STATE_SIZE_KNOWN,
	QUIC_STREAM_RECV_STATE_RECVD,
	QUIC_STREAM_RECV_STATE_READ,
	QUIC_STREAM_RECV_STATE_RESET_RECVD,
	QUIC_STREAM_RECV_STATE_RESET_READ,
};

struct quic_stream_update {
	__s64	id;
	__u8	state;		/* enum quic_stream_state */
	__u8	reserved[3];
	__u32	errcode;
	__u64	finalsz;
};

struct quic_stream_max_data {
	__s64	id;
	__u64	max_data;
};

union quic_event {
	struct quic_stream_update	update;
	struct quic_stream_max_data	max_data;
	struct quic_connection_close	close;
	struct quic_connection_id_info	info;
	__u64	max_stream;
	__u8	local_migration;
	__u8	key_update_phase;
};

/* transport error codes, RFC 9000 section 20.1 */
enum quic_transport_error {
	QUIC_TRANSPORT_ERROR_NONE			= 0x00,
	QUIC_TRANSPORT_ERROR_INTERNAL			= 0x01,
	QUIC_TRANSPORT_ERROR_CONNECTION_REFUSED		= 0x02,
	QUIC_TRANSPORT_ERROR_FLOW_CONTROL		= 0x03,
	QUIC_TRANSPORT_ERROR_STREAM_LIMIT		= 0x04,
	QUIC_TRANSPORT_ERROR_STREAM_STATE		= 0x05,
	QUIC_TRANSPORT_ERROR_FINAL_SIZE			= 0x06,
	QUIC_TRANSPORT_ERROR_FRAME_ENCODING		= 0x07,
	QUIC_TRANSPORT_ERROR_TRANSPORT_PARAM		= 0x08,
	QUIC_TRANSPORT_ERROR_CONNECTION_ID_LIMIT	= 0x09,
	QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION		= 0x0a,
	QUIC_TRANSPORT_ERROR_INVALID_TOKEN		= 0x0b,
	QUIC_TRANSPORT_ERROR_APPLICATION		= 0x0c,
	QUIC_TRANSPORT_ERROR_CRYPTO_BUF_EXCEEDED	= 0x0d,
	QUIC_TRANSPORT_ERROR_KEY_UPDATE			= 0x0e,
	QUIC_TRANSPORT_ERROR_AEAD_LIMIT_REACHED		= 0x0f,
	QUIC_TRANSPORT_ERROR_NO_VIABLE_PATH		= 0x10,
	QUIC_TRANSPORT_ERROR_VERSION_NEGOTIATION	= 0x11,

	/* 0x0100-0x01ff: CRYPTO_ERROR, the low byte is the TLS alert */
	QUIC_TRANSPORT_ERROR_CRYPTO			= 0x100,
};

#define QUIC_TRANSPORT_ERROR_CRYPTO_BUFFER QUIC_TRANSPORT_ERROR_CRYPTO_BUF_EXCEEDED

/*
 * sock_diag (quic_diag.ko): an inet_diag request for IPPROTO_QUIC names
 * the protocol in an INET_DIAG_REQ_PROTOCOL attribute (it does not fit
 * in sdiag_protocol); the INET_DIAG_INFO attribute of a reply holds a
 * struct quic_info.  An extension of this implementation, not of the
 * socket API draft.  Times in microseconds, sizes in bytes.
 */
#define QUIC_INFO_CID_MAX	20

struct quic_info {
	__u32	quici_version;
	__u8	quici_role;		/* 0 client, 1 server */
	__u8	quici_cong;		/* QUIC_CONG_ALG_* */
	__u8	quici_key_phase;	/* of the 1-RTT keys sent with */
	__u8	quici_flags;		/* QUIC_INFO_F_* */
	__u8	quici_scid_len;		/* the source ID in use */
	__u8	quici_dcid_len;		/* the destination ID in use */
	__u8	quici_pad[2];
	__u8	quici_scid[QUIC_INFO_CID_MAX];
	__u8	quici_dcid[QUIC_INFO_CID_MAX];
	__u32	quici_srtt;
	__u32	quici_rttvar;
	__u32	quici_min_rtt;		/* 0: no sample yet */
	__u32	quici_latest_rtt;
	__u32	quici_cwnd;
	__u32	quici_ssthresh;		/* 0: none yet */
	__u32	quici_in_flight;
	__u32	quici_mss;		/* the largest datagram of the path */
	__u32	quici_lost;		/* packets declared lost */
	__u32	quici_ptos;		/* probe timeouts */
	__u32	quici_pto_count;	/* the current backoff */
	__u32	quici_streams;		/* open */
	__u32	quici_reserved;		/* 0 */
	__u64	quici_send_max_data;	/* connection flow control */
	__u64	quici_send_data;
	__u64	quici_recv_max_data;
	__u64	quici_recv_data;
};

#define QUIC_INFO_F_HANDSHAKE_DONE	0x01
#define QUIC_INFO_F_CONFIRMED		0x02
#define QUIC_INFO_F_CLOSING		0x04
#define QUIC_INFO_F_DRAINING		0x08
#define QUIC_INFO_F_VALIDATED		0x10	/* the peer's address */

#endif /* _UAPI_LINUX_QUIC_H */
