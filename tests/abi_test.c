// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * abi_test: every number and layout of the user-space ABI
 * (shared/abi.md), checked at compile time with _Static_assert and again
 * at run time, one TAP result per group, so that the groups show up in
 * the test count.  Also checks the libquic declarations' types (without
 * calling them), and the libquic functions that need no kernel
 * (logging).  Runs on the host.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <linux/tls.h>
#include <linux/quic.h>
#include <netinet/quic.h>

#include "tap.h"

/* A value: equal at compile time and (so that it counts) at run time;
 * as integers, whatever enum each comes from
 */
#define ABI_EQ(a, b) do {						\
	_Static_assert((long long)(a) == (long long)(b), #a " == " #b);	\
	CHECK_EQ(a, b);							\
} while (0)

/* A struct field: its offset and its size. */
#define ABI_FIELD(type, field, off, size) do {				\
	ABI_EQ(offsetof(type, field), off);				\
	ABI_EQ(sizeof(((type *)0)->field), size);			\
} while (0)

/* A field's signedness: (T)-1 is above (T)0 iff T is unsigned. */
#define ABI_UNSIGNED_(type, field)					\
	((__typeof__(((type *)0)->field))-1 > (__typeof__(((type *)0)->field))0)
#define ABI_SIGNED(type, field, is_signed) do {				\
	_Static_assert(ABI_UNSIGNED_(type, field) == !(is_signed),	\
		       #type "." #field " signedness");			\
	CHECK(ABI_UNSIGNED_(type, field) == !(is_signed));		\
} while (0)

/* A declaration's type, without referencing the symbol. */
#define ABI_TYPE(expr, type) do {					\
	_Static_assert(__builtin_types_compatible_p(__typeof__(expr), type), \
		       #expr " has type " #type);			\
	CHECK(__builtin_types_compatible_p(__typeof__(expr), type));	\
} while (0)

static void test_protocol_numbers(void)
{
	ABI_EQ(IPPROTO_QUIC, 261);
	ABI_EQ(SOL_QUIC, 288);
}

static void test_cmsg_types(void)
{
	ABI_EQ(QUIC_STREAM_INFO, 0);
	ABI_EQ(QUIC_HANDSHAKE_INFO, 1);
}

static void test_msg_flags(void)
{
	/* the MSG_* bits the QUIC flags reuse, as Linux numbers them */
	ABI_EQ(MSG_SYN, 0x400);
	ABI_EQ(MSG_FIN, 0x200);
	ABI_EQ(MSG_CONFIRM, 0x800);
	ABI_EQ(MSG_WAITFORONE, 0x10000);
	ABI_EQ(MSG_ERRQUEUE, 0x2000);
	ABI_EQ(MSG_RST, 0x1000);
	ABI_EQ(MSG_MORE, 0x8000);

	ABI_EQ(MSG_QUIC_STREAM_NEW, MSG_SYN);
	ABI_EQ(MSG_QUIC_STREAM_FIN, MSG_FIN);
	ABI_EQ(MSG_QUIC_STREAM_UNI, MSG_CONFIRM);
	ABI_EQ(MSG_QUIC_STREAM_DONTWAIT, MSG_WAITFORONE);
	ABI_EQ(MSG_QUIC_STREAM_SNDBLOCK, MSG_ERRQUEUE);
	ABI_EQ(MSG_QUIC_DATAGRAM, MSG_RST);
	ABI_EQ(MSG_QUIC_NOTIFICATION, MSG_MORE);

	ABI_EQ(MSG_QUIC_STREAM_NEW, 0x400);
	ABI_EQ(MSG_QUIC_STREAM_FIN, 0x200);
	ABI_EQ(MSG_QUIC_STREAM_UNI, 0x800);
	ABI_EQ(MSG_QUIC_STREAM_DONTWAIT, 0x10000);
	ABI_EQ(MSG_QUIC_STREAM_SNDBLOCK, 0x2000);
	ABI_EQ(MSG_QUIC_DATAGRAM, 0x1000);
	ABI_EQ(MSG_QUIC_NOTIFICATION, 0x8000);
}

static void test_msg_flags_draft_aliases(void)
{
	ABI_EQ(MSG_STREAM_NEW, MSG_QUIC_STREAM_NEW);
	ABI_EQ(MSG_STREAM_FIN, MSG_QUIC_STREAM_FIN);
	ABI_EQ(MSG_STREAM_UNI, MSG_QUIC_STREAM_UNI);
	ABI_EQ(MSG_STREAM_DONTWAIT, MSG_QUIC_STREAM_DONTWAIT);
	ABI_EQ(MSG_STREAM_SNDBLOCK, MSG_QUIC_STREAM_SNDBLOCK);
	ABI_EQ(MSG_DATAGRAM, MSG_QUIC_DATAGRAM);
	ABI_EQ(MSG_NOTIFICATION, MSG_QUIC_NOTIFICATION);

	ABI_EQ(MSG_STREAM_NEW, 0x400);
	ABI_EQ(MSG_STREAM_FIN, 0x200);
	ABI_EQ(MSG_STREAM_UNI, 0x800);
	ABI_EQ(MSG_STREAM_DONTWAIT, 0x10000);
	ABI_EQ(MSG_STREAM_SNDBLOCK, 0x2000);
	ABI_EQ(MSG_DATAGRAM, 0x1000);
	ABI_EQ(MSG_NOTIFICATION, 0x8000);
}

static void test_msg_flags_distinct(void)
{
	/* seven flags, seven different bits */
	ABI_EQ(__builtin_popcount(MSG_QUIC_STREAM_NEW | MSG_QUIC_STREAM_FIN |
				  MSG_QUIC_STREAM_UNI |
				  MSG_QUIC_STREAM_DONTWAIT |
				  MSG_QUIC_STREAM_SNDBLOCK |
				  MSG_QUIC_DATAGRAM | MSG_QUIC_NOTIFICATION), 7);
}

static void test_stream_type_masks(void)
{
	ABI_EQ(QUIC_STREAM_TYPE_SERVER_MASK, 0x01);
	ABI_EQ(QUIC_STREAM_TYPE_UNI_MASK, 0x02);
	ABI_EQ(QUIC_STREAM_TYPE_MASK, 0x03);
}

static void test_crypto_levels(void)
{
	ABI_EQ(QUIC_CRYPTO_APP, 0);
	ABI_EQ(QUIC_CRYPTO_INITIAL, 1);
	ABI_EQ(QUIC_CRYPTO_HANDSHAKE, 2);
	ABI_EQ(QUIC_CRYPTO_EARLY, 3);
	ABI_EQ(QUIC_CRYPTO_MAX, 4);
}

static void test_sockopt_numbers(void)
{
	ABI_EQ(QUIC_SOCKOPT_EVENT, 0);
	ABI_EQ(QUIC_SOCKOPT_STREAM_OPEN, 1);
	ABI_EQ(QUIC_SOCKOPT_STREAM_RESET, 2);
	ABI_EQ(QUIC_SOCKOPT_STREAM_STOP_SENDING, 3);
	ABI_EQ(QUIC_SOCKOPT_CONNECTION_ID, 4);
	ABI_EQ(QUIC_SOCKOPT_CONNECTION_CLOSE, 5);
	ABI_EQ(QUIC_SOCKOPT_CONNECTION_MIGRATION, 6);
	ABI_EQ(QUIC_SOCKOPT_KEY_UPDATE, 7);
	ABI_EQ(QUIC_SOCKOPT_TRANSPORT_PARAM, 8);
	ABI_EQ(QUIC_SOCKOPT_CONFIG, 9);
	ABI_EQ(QUIC_SOCKOPT_TOKEN, 10);
	ABI_EQ(QUIC_SOCKOPT_ALPN, 11);
	ABI_EQ(QUIC_SOCKOPT_SESSION_TICKET, 12);
	ABI_EQ(QUIC_SOCKOPT_CRYPTO_SECRET, 13);
	ABI_EQ(QUIC_SOCKOPT_TRANSPORT_PARAM_EXT, 14);
}

static void test_versions(void)
{
	ABI_EQ(QUIC_VERSION_V1, 0x00000001);
	ABI_EQ(QUIC_VERSION_V2, 0x6b3343cf);
}

static void test_cong_algos(void)
{
	ABI_EQ(QUIC_CONG_ALG_RENO, 0);
	ABI_EQ(QUIC_CONG_ALG_CUBIC, 1);
	ABI_EQ(QUIC_CONG_ALG_MAX, 2);
}

static void test_tls_cipher_types(void)
{
	/* the values struct quic_crypto_secret.type takes */
	ABI_EQ(TLS_CIPHER_AES_GCM_128, 51);
	ABI_EQ(TLS_CIPHER_AES_GCM_256, 52);
	ABI_EQ(TLS_CIPHER_AES_CCM_128, 53);
	ABI_EQ(TLS_CIPHER_CHACHA20_POLY1305, 54);
}

static void test_stream_info_layout(void)
{
	ABI_FIELD(struct quic_stream_info, stream_id, 0, 8);
	ABI_FIELD(struct quic_stream_info, stream_flags, 8, 4);
	ABI_SIGNED(struct quic_stream_info, stream_id, 1);
	ABI_SIGNED(struct quic_stream_info, stream_flags, 0);
	ABI_EQ(sizeof(struct quic_stream_info), 16);
	ABI_EQ(_Alignof(struct quic_stream_info), 8);
}

static void test_handshake_info_layout(void)
{
	ABI_FIELD(struct quic_handshake_info, crypto_level, 0, 1);
	ABI_EQ(sizeof(struct quic_handshake_info), 1);
}

static void test_event_option_layout(void)
{
	ABI_FIELD(struct quic_event_option, type, 0, 1);
	ABI_FIELD(struct quic_event_option, on, 1, 1);
	ABI_EQ(sizeof(struct quic_event_option), 2);
}

static void test_errinfo_layout(void)
{
	ABI_FIELD(struct quic_errinfo, stream_id, 0, 8);
	ABI_FIELD(struct quic_errinfo, errcode, 8, 4);
	ABI_SIGNED(struct quic_errinfo, stream_id, 1);
	ABI_SIGNED(struct quic_errinfo, errcode, 0);
	ABI_EQ(sizeof(struct quic_errinfo), 16);
}

/* sock_diag's INET_DIAG_INFO payload: no hole, 64-bit fields aligned */
static void test_quic_info_layout(void)
{
	ABI_FIELD(struct quic_info, quici_version, 0, 4);
	ABI_FIELD(struct quic_info, quici_flags, 7, 1);
	ABI_FIELD(struct quic_info, quici_scid, 12, QUIC_INFO_CID_MAX);
	ABI_FIELD(struct quic_info, quici_dcid, 32, QUIC_INFO_CID_MAX);
	ABI_FIELD(struct quic_info, quici_srtt, 52, 4);
	ABI_FIELD(struct quic_info, quici_streams, 96, 4);
	ABI_FIELD(struct quic_info, quici_send_max_data, 104, 8);
	ABI_FIELD(struct quic_info, quici_recv_data, 128, 8);
	ABI_EQ(sizeof(struct quic_info), 136);
}

static void test_connection_id_info_layout(void)
{
	ABI_FIELD(struct quic_connection_id_info, dest, 0, 1);
	ABI_FIELD(struct quic_connection_id_info, reserved, 1, 3);
	ABI_FIELD(struct quic_connection_id_info, active, 4, 4);
	ABI_FIELD(struct quic_connection_id_info, prior_to, 8, 4);
	ABI_EQ(sizeof(struct quic_connection_id_info), 12);
}

static void test_connection_close_layout(void)
{
	ABI_EQ(QUIC_CLOSE_PHRASE_BUFFER_SIZE, 64);
	ABI_FIELD(struct quic_connection_close, errcode, 0, 4);
	ABI_FIELD(struct quic_connection_close, frame, 4, 1);
	ABI_FIELD(struct quic_connection_close, reserved, 5, 3);
	ABI_FIELD(struct quic_connection_close, phrase, 8, 64);
	ABI_EQ(sizeof(struct quic_connection_close), 72);
}

static void test_transport_param_layout(void)
{
	typedef struct quic_transport_param tp;

	ABI_FIELD(tp, remote, 0, 1);
	ABI_FIELD(tp, disable_active_migration, 1, 1);
	ABI_FIELD(tp, grease_quic_bit, 2, 1);
	ABI_FIELD(tp, stateless_reset, 3, 1);
	ABI_FIELD(tp, disable_1rtt_encryption, 4, 1);
	ABI_FIELD(tp, disable_compatible_version, 5, 1);
	ABI_FIELD(tp, active_connection_id_limit, 6, 1);
	ABI_FIELD(tp, ack_delay_exponent, 7, 1);
	ABI_FIELD(tp, max_datagram_frame_size, 8, 2);
	ABI_FIELD(tp, max_udp_payload_size, 10, 2);
	ABI_FIELD(tp, max_idle_timeout, 12, 4);
	ABI_FIELD(tp, max_ack_delay, 16, 4);
	ABI_FIELD(tp, max_streams_bidi, 20, 2);
	ABI_FIELD(tp, max_streams_uni, 22, 2);
	ABI_FIELD(tp, max_data, 24, 8);
	ABI_FIELD(tp, max_stream_data_bidi_local, 32, 8);
	ABI_FIELD(tp, max_stream_data_bidi_remote, 40, 8);
	ABI_FIELD(tp, max_stream_data_uni, 48, 8);
	ABI_SIGNED(tp, max_data, 0);
	ABI_SIGNED(tp, max_udp_payload_size, 0);
	ABI_EQ(sizeof(tp), 56);
}

static void test_config_layout(void)
{
	typedef struct quic_config cfg;

	ABI_FIELD(cfg, version, 0, 4);
	ABI_FIELD(cfg, plpmtud_probe_interval, 4, 4);
	ABI_FIELD(cfg, initial_smoothed_rtt, 8, 4);
	ABI_FIELD(cfg, payload_cipher_type, 12, 4);
	ABI_FIELD(cfg, congestion_control_algo, 16, 1);
	ABI_FIELD(cfg, validate_peer_address, 17, 1);
	ABI_FIELD(cfg, stream_data_nodelay, 18, 1);
	ABI_FIELD(cfg, receive_session_ticket, 19, 1);
	ABI_FIELD(cfg, certificate_request, 20, 1);
	ABI_FIELD(cfg, reserved, 21, 3);
	ABI_FIELD(cfg, keepalive_probe_interval, 24, 4);
	ABI_EQ(sizeof(cfg), 28);
}

static void test_crypto_secret_layout(void)
{
	typedef struct quic_crypto_secret cs;

	ABI_EQ(QUIC_CRYPTO_SECRET_BUFFER_SIZE, 48);
	ABI_FIELD(cs, send, 0, 1);
	ABI_FIELD(cs, level, 1, 1);
	ABI_FIELD(cs, reserved, 2, 2);
	ABI_FIELD(cs, type, 4, 4);
	ABI_FIELD(cs, secret, 8, 48);
	ABI_EQ(sizeof(cs), 56);
}

static void test_event_types(void)
{
	ABI_EQ(QUIC_EVENT_NONE, 0);
	ABI_EQ(QUIC_EVENT_STREAM_UPDATE, 1);
	ABI_EQ(QUIC_EVENT_STREAM_MAX_DATA, 2);
	ABI_EQ(QUIC_EVENT_STREAM_MAX_STREAM, 3);
	ABI_EQ(QUIC_EVENT_CONNECTION_ID, 4);
	ABI_EQ(QUIC_EVENT_CONNECTION_CLOSE, 5);
	ABI_EQ(QUIC_EVENT_CONNECTION_MIGRATION, 6);
	ABI_EQ(QUIC_EVENT_KEY_UPDATE, 7);
	ABI_EQ(QUIC_EVENT_NEW_TOKEN, 8);
	ABI_EQ(QUIC_EVENT_NEW_SESSION_TICKET, 9);
	ABI_EQ(QUIC_EVENT_MAX, 10);
}

static void test_event_payload_layouts(void)
{
	ABI_FIELD(struct quic_stream_update, id, 0, 8);
	ABI_FIELD(struct quic_stream_update, state, 8, 1);
	ABI_FIELD(struct quic_stream_update, reserved, 9, 3);
	ABI_FIELD(struct quic_stream_update, errcode, 12, 4);
	ABI_FIELD(struct quic_stream_update, finalsz, 16, 8);
	ABI_SIGNED(struct quic_stream_update, id, 1);
	ABI_EQ(sizeof(struct quic_stream_update), 24);

	ABI_FIELD(struct quic_stream_max_data, id, 0, 8);
	ABI_FIELD(struct quic_stream_max_data, max_data, 8, 8);
	ABI_SIGNED(struct quic_stream_max_data, id, 1);
	ABI_SIGNED(struct quic_stream_max_data, max_data, 0);
	ABI_EQ(sizeof(struct quic_stream_max_data), 16);

	/* every payload fits the union, starting at its first byte */
	ABI_FIELD(union quic_event, update, 0, 24);
	ABI_FIELD(union quic_event, max_data, 0, 16);
	ABI_FIELD(union quic_event, close, 0, 72);
	ABI_FIELD(union quic_event, info, 0, 12);
	ABI_FIELD(union quic_event, max_stream, 0, 8);
	ABI_FIELD(union quic_event, local_migration, 0, 1);
	ABI_FIELD(union quic_event, key_update_phase, 0, 1);
	ABI_EQ(sizeof(union quic_event), 72);
}

static void test_stream_states(void)
{
	ABI_EQ(QUIC_STREAM_SEND_STATE_READY, 0);
	ABI_EQ(QUIC_STREAM_SEND_STATE_SEND, 1);
	ABI_EQ(QUIC_STREAM_SEND_STATE_SENT, 2);
	ABI_EQ(QUIC_STREAM_SEND_STATE_RECVD, 3);
	ABI_EQ(QUIC_STREAM_SEND_STATE_RESET_SENT, 4);
	ABI_EQ(QUIC_STREAM_SEND_STATE_RESET_RECVD, 5);
	ABI_EQ(QUIC_STREAM_RECV_STATE_RECV, 6);
	ABI_EQ(QUIC_STREAM_RECV_STATE_SIZE_KNOWN, 7);
	ABI_EQ(QUIC_STREAM_RECV_STATE_RECVD, 8);
	ABI_EQ(QUIC_STREAM_RECV_STATE_READ, 9);
	ABI_EQ(QUIC_STREAM_RECV_STATE_RESET_RECVD, 10);
	ABI_EQ(QUIC_STREAM_RECV_STATE_RESET_READ, 11);
}

static void test_transport_errors(void)
{
	/* RFC 9000 section 20.1 */
	ABI_EQ(QUIC_TRANSPORT_ERROR_NONE, 0x00);
	ABI_EQ(QUIC_TRANSPORT_ERROR_INTERNAL, 0x01);
	ABI_EQ(QUIC_TRANSPORT_ERROR_CONNECTION_REFUSED, 0x02);
	ABI_EQ(QUIC_TRANSPORT_ERROR_FLOW_CONTROL, 0x03);
	ABI_EQ(QUIC_TRANSPORT_ERROR_STREAM_LIMIT, 0x04);
	ABI_EQ(QUIC_TRANSPORT_ERROR_STREAM_STATE, 0x05);
	ABI_EQ(QUIC_TRANSPORT_ERROR_FINAL_SIZE, 0x06);
	ABI_EQ(QUIC_TRANSPORT_ERROR_FRAME_ENCODING, 0x07);
	ABI_EQ(QUIC_TRANSPORT_ERROR_TRANSPORT_PARAM, 0x08);
	ABI_EQ(QUIC_TRANSPORT_ERROR_CONNECTION_ID_LIMIT, 0x09);
	ABI_EQ(QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION, 0x0a);
	ABI_EQ(QUIC_TRANSPORT_ERROR_INVALID_TOKEN, 0x0b);
	ABI_EQ(QUIC_TRANSPORT_ERROR_APPLICATION, 0x0c);
	ABI_EQ(QUIC_TRANSPORT_ERROR_CRYPTO_BUF_EXCEEDED, 0x0d);
	ABI_EQ(QUIC_TRANSPORT_ERROR_KEY_UPDATE, 0x0e);
	ABI_EQ(QUIC_TRANSPORT_ERROR_AEAD_LIMIT_REACHED, 0x0f);
	ABI_EQ(QUIC_TRANSPORT_ERROR_NO_VIABLE_PATH, 0x10);
	ABI_EQ(QUIC_TRANSPORT_ERROR_VERSION_NEGOTIATION, 0x11);
	ABI_EQ(QUIC_TRANSPORT_ERROR_CRYPTO, 0x100);
}

static void test_handshake_step(void)
{
	struct quic_handshake_step s;
	enum quic_handshake_step_op op = QUIC_HANDSHAKE_STEP_OP_RECVMSG;

	ABI_EQ(QUIC_HANDSHAKE_STEP_OP_SENDMSG, 1);
	ABI_EQ(QUIC_HANDSHAKE_STEP_OP_RECVMSG, 2);
	CHECK_EQ(op, 2);
	ABI_TYPE(s.op, enum quic_handshake_step_op);
	ABI_TYPE(s.s_sendmsg.msg, struct msghdr *);
	ABI_TYPE(s.s_sendmsg.flags, int);
	ABI_TYPE(s.s_recvmsg.msg, struct msghdr *);
	ABI_TYPE(s.s_recvmsg.flags, int);
	ABI_TYPE(s.retval, ssize_t);
	/* the two halves of the union overlap */
	ABI_EQ(offsetof(struct quic_handshake_step, s_sendmsg.msg),
	       offsetof(struct quic_handshake_step, s_recvmsg.msg));
	ABI_EQ(offsetof(struct quic_handshake_step, s_sendmsg.flags),
	       offsetof(struct quic_handshake_step, s_recvmsg.flags));
}

/* the server's PSK: the one key, for "alice" only */
static int psk_lookup(gnutls_session_t s, const char *user,
		      gnutls_datum_t *key)
{
	(void)s;
	if (strcmp(user, "alice"))
		return -1;
	key->data = gnutls_malloc(16);
	if (!key->data)
		return -1;
	memcpy(key->data, "0123456789abcdef", 16);
	key->size = 16;
	return 0;
}

/* one side of psk_priority's TLS handshake */
struct psk_side {
	gnutls_session_t	s;
	int			ret;
};

static void *psk_side_main(void *arg)
{
	struct psk_side *p = arg;

	do {
		p->ret = gnutls_handshake(p->s);
	} while (p->ret == GNUTLS_E_AGAIN || p->ret == GNUTLS_E_INTERRUPTED);
	return NULL;
}

/*
 * QUIC_PRIORITY as it is, with PSK credentials only: a TLS 1.3 handshake
 * (over a socket pair, the key exchange is what matters) completes with a
 * PSK key exchange, which a priority without them refuses.
 */
static void test_psk_priority(void)
{
	static const unsigned char k[16] = "0123456789abcdef";
	const gnutls_datum_t key = { (unsigned char *)k, sizeof(k) };
	gnutls_psk_client_credentials_t cc = NULL;
	gnutls_psk_server_credentials_t sc = NULL;
	struct psk_side c = {}, v = {};
	gnutls_kx_algorithm_t kx;
	pthread_t t;
	int sv[2];

	REQUIRE_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	REQUIRE(!gnutls_psk_allocate_client_credentials(&cc));
	REQUIRE(!gnutls_psk_allocate_server_credentials(&sc));
	CHECK(!gnutls_psk_set_client_credentials(cc, "alice", &key,
						 GNUTLS_PSK_KEY_RAW));
	CHECK(!gnutls_psk_set_server_known_dh_params(sc, GNUTLS_SEC_PARAM_MEDIUM));
	gnutls_psk_set_server_credentials_function(sc, psk_lookup);
	REQUIRE(!gnutls_init(&c.s, GNUTLS_CLIENT));
	REQUIRE(!gnutls_init(&v.s, GNUTLS_SERVER));
	CHECK(!gnutls_priority_set_direct(c.s, QUIC_PRIORITY, NULL));
	CHECK(!gnutls_priority_set_direct(v.s, QUIC_PRIORITY, NULL));
	CHECK(!gnutls_credentials_set(c.s, GNUTLS_CRD_PSK, cc));
	CHECK(!gnutls_credentials_set(v.s, GNUTLS_CRD_PSK, sc));
	gnutls_transport_set_int(c.s, sv[0]);
	gnutls_transport_set_int(v.s, sv[1]);
	pthread_create(&t, NULL, psk_side_main, &v);
	psk_side_main(&c);
	pthread_join(t, NULL);
	CHECK_EQ(c.ret, 0);
	CHECK_EQ(v.ret, 0);
	kx = gnutls_kx_get(c.s);
	tap_diag("TLS 1.3 with PSK credentials and QUIC_PRIORITY: client %d, server %d, key exchange %s",
		 c.ret, v.ret, gnutls_kx_get_name(kx) ? gnutls_kx_get_name(kx) : "?");
	CHECK(kx == GNUTLS_KX_ECDHE_PSK || kx == GNUTLS_KX_DHE_PSK ||
	      kx == GNUTLS_KX_PSK);
	gnutls_deinit(c.s);
	gnutls_deinit(v.s);
	gnutls_psk_free_client_credentials(cc);
	gnutls_psk_free_server_credentials(sc);
	close(sv[0]);
	close(sv[1]);
}

/* enum quic_msg_flags is a type, and each of its names also a macro */
static void test_msg_flags_enum(void)
{
	enum quic_msg_flags f = MSG_QUIC_STREAM_FIN;

	CHECK_EQ(f, MSG_FIN);
	CHECK_EQ(sizeof(enum quic_msg_flags), sizeof(int));
#if !defined(MSG_QUIC_STREAM_NEW) || !defined(MSG_QUIC_DATAGRAM) || \
	!defined(MSG_QUIC_NOTIFICATION) || !defined(MSG_QUIC_STREAM_SNDBLOCK)
	CHECK(!"a MSG_QUIC_* name is not a macro");
#endif
}

static void test_quic_priority(void)
{
	static const char *const parts[] = {
		"-VERS-ALL:+VERS-TLS1.3", "+AES-128-GCM", "+AES-256-GCM",
		"+CHACHA20-POLY1305", "+AES-128-CCM", "+GROUP-SECP256R1",
		"+GROUP-X25519", "+GROUP-SECP384R1", "+GROUP-SECP521R1",
		"+ECDHE-PSK", "+DHE-PSK", "+PSK", "%DISABLE_TLS13_COMPAT_MODE",
	};
	const char *prio = QUIC_PRIORITY;
	size_t i;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (!CHECK(strstr(prio, parts[i]) != NULL))
			tap_diag("QUIC_PRIORITY lacks \"%s\"", parts[i]);
	CHECK(strstr(prio, "VERS-TLS1.2") == NULL);
}

/*
 * The libquic declarations, each with the type abi.md gives.  __typeof__
 * does not evaluate its operand: this checks types, not behaviour.
 */
static void test_libquic_declarations(void)
{
	__typeof__(&quic_client_handshake) client = NULL;
	__typeof__(&quic_server_handshake) server = NULL;
	__typeof__(&quic_handshake) hs = NULL;
	__typeof__(&quic_handshake_init) hs_init = NULL;
	__typeof__(&quic_handshake_step) hs_step = NULL;
	__typeof__(&quic_handshake_deinit) hs_deinit = NULL;
	__typeof__(&quic_session_get_data) get_data = NULL;
	__typeof__(&quic_session_set_data) set_data = NULL;
	__typeof__(&quic_session_get_alpn) get_alpn = NULL;
	__typeof__(&quic_session_set_alpn) set_alpn = NULL;

	ABI_TYPE(client, int (*)(int, const char *, const char *,
				 const char *));
	ABI_TYPE(server, int (*)(int, const char *, const char *,
				 const char *));
	ABI_TYPE(hs, int (*)(gnutls_session_t));
	ABI_TYPE(hs_init, int (*)(gnutls_session_t,
				  struct quic_handshake_step **));
	ABI_TYPE(hs_step, int (*)(gnutls_session_t,
				  struct quic_handshake_step **));
	ABI_TYPE(hs_deinit, void (*)(gnutls_session_t));
	ABI_TYPE(get_data, int (*)(gnutls_session_t, void *, size_t *));
	ABI_TYPE(set_data, int (*)(gnutls_session_t, const void *, size_t));
	ABI_TYPE(get_alpn, int (*)(gnutls_session_t, void *, size_t *));
	ABI_TYPE(set_alpn, int (*)(gnutls_session_t, const void *, size_t));
	ABI_TYPE(&quic_sendmsg, ssize_t (*)(int, const void *, size_t,
					    int64_t, uint32_t));
	ABI_TYPE(&quic_recvmsg, ssize_t (*)(int, void *, size_t, int64_t *,
					    uint32_t *));
	ABI_TYPE(quic_set_log_func_t, void (*)(int, const char *));
	ABI_TYPE(&quic_set_log_func,
		 quic_set_log_func_t (*)(quic_set_log_func_t));
	ABI_TYPE(&quic_set_log_level, int (*)(int));
	CHECK(!client && !server && !hs && !hs_init && !hs_step &&
	      !hs_deinit && !get_data && !set_data && !get_alpn && !set_alpn);
}

/* What libquic.a defines today is linked and callable. */
static void test_libquic_defined_symbols(void)
{
	ssize_t (*snd)(int, const void *, size_t, int64_t, uint32_t) =
		quic_sendmsg;
	ssize_t (*rcv)(int, void *, size_t, int64_t *, uint32_t *) =
		quic_recvmsg;
	quic_set_log_func_t (*set_func)(quic_set_log_func_t) =
		quic_set_log_func;
	int (*set_level)(int) = quic_set_log_level;

	CHECK(snd != NULL);
	CHECK(rcv != NULL);
	CHECK(set_func != NULL);
	CHECK(set_level != NULL);
}

static void test_libquic_log_level(void)
{
	/* default: warnings */
	CHECK_EQ(quic_set_log_level(LOG_DEBUG), LOG_WARNING);
	CHECK_EQ(quic_set_log_level(LOG_ERR), LOG_DEBUG);
	CHECK_EQ(quic_set_log_level(LOG_WARNING), LOG_ERR);
	CHECK_EQ(quic_set_log_level(LOG_WARNING), LOG_WARNING);
}

static void test_log_func(int level, const char *msg)
{
	(void)level;
	(void)msg;
}

static void test_libquic_log_func(void)
{
	quic_set_log_func_t def, prev;

	def = quic_set_log_func(test_log_func);
	CHECK(def != NULL);	/* the default, printing to stderr */
	CHECK(def != test_log_func);
	prev = quic_set_log_func(def);
	CHECK(prev == test_log_func);
	/* NULL restores the default */
	quic_set_log_func(test_log_func);
	prev = quic_set_log_func(NULL);
	CHECK(prev == test_log_func);
	CHECK(quic_set_log_func(def) == def);
}

/* On a socket that is not QUIC, quic_sendmsg()/quic_recvmsg() still move
 * the data; the kernel ignores a cmsg of another level on AF_UNIX.
 */
static void test_libquic_sendmsg_recvmsg_carry_data(void)
{
	int64_t sid = 42;
	uint32_t flags = MSG_DONTWAIT;
	char buf[16] = "";
	int sv[2];

	REQUIRE_SYS(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	CHECK_EQ(quic_sendmsg(sv[0], "hello", 5, 4, 0), 5);
	CHECK_EQ(quic_recvmsg(sv[1], buf, sizeof(buf), &sid, &flags), 5);
	CHECK(!memcmp(buf, "hello", 5));
	CHECK_EQ(sid, 42);	/* no stream info: left alone */
	CHECK_EQ(flags, 0);	/* msg_flags of a whole datagram */
	flags = MSG_DONTWAIT;
	CHECK_ERR(quic_recvmsg(sv[1], buf, sizeof(buf), &sid, &flags), EAGAIN);
	CHECK_ERR(quic_sendmsg(-1, "x", 1, 0, 0), EBADF);
	close(sv[0]);
	close(sv[1]);
}

static const struct tap_test tests[] = {
	TAP_TEST(test_protocol_numbers, "IPPROTO_QUIC is 261, SOL_QUIC 288"),
	TAP_TEST(test_cmsg_types, "cmsg types QUIC_STREAM_INFO 0, QUIC_HANDSHAKE_INFO 1"),
	TAP_TEST(test_msg_flags, "MSG_QUIC_* equal the MSG_* bits they alias and Linux's numbers"),
	TAP_TEST(test_msg_flags_draft_aliases, "draft flag names MSG_STREAM_* / MSG_DATAGRAM / MSG_NOTIFICATION alias MSG_QUIC_*"),
	TAP_TEST(test_msg_flags_distinct, "the seven QUIC message flags are distinct bits"),
	TAP_TEST(test_stream_type_masks, "stream ID type masks 0x01, 0x02, 0x03"),
	TAP_TEST(test_crypto_levels, "crypto levels APP 0 .. MAX 4"),
	TAP_TEST(test_sockopt_numbers, "the 15 SOL_QUIC socket option numbers 0..14"),
	TAP_TEST(test_versions, "QUIC_VERSION_V1 1, QUIC_VERSION_V2 0x6b3343cf"),
	TAP_TEST(test_cong_algos, "congestion algorithms RENO 0, CUBIC 1, MAX 2"),
	TAP_TEST(test_tls_cipher_types, "TLS_CIPHER_* values for quic_crypto_secret.type"),
	TAP_TEST(test_stream_info_layout, "struct quic_stream_info layout (size 16)"),
	TAP_TEST(test_handshake_info_layout, "struct quic_handshake_info layout (size 1)"),
	TAP_TEST(test_event_option_layout, "struct quic_event_option layout (size 2)"),
	TAP_TEST(test_quic_info_layout, "struct quic_info (sock_diag) layout"),
	TAP_TEST(test_errinfo_layout, "struct quic_errinfo layout (size 16)"),
	TAP_TEST(test_connection_id_info_layout, "struct quic_connection_id_info layout (size 12)"),
	TAP_TEST(test_connection_close_layout, "struct quic_connection_close layout (size 72), phrase buffer 64"),
	TAP_TEST(test_transport_param_layout, "struct quic_transport_param layout (size 56)"),
	TAP_TEST(test_config_layout, "struct quic_config layout (size 28)"),
	TAP_TEST(test_crypto_secret_layout, "struct quic_crypto_secret layout (size 56)"),
	TAP_TEST(test_event_types, "event types NONE 0 .. MAX 10"),
	TAP_TEST(test_event_payload_layouts, "event payloads quic_stream_update (24), quic_stream_max_data (16), union quic_event"),
	TAP_TEST(test_stream_states, "stream states SEND_STATE_READY 0 .. RECV_STATE_RESET_READ 11"),
	TAP_TEST(test_transport_errors, "transport error codes 0x00..0x11 and CRYPTO 0x100"),
	TAP_TEST(test_handshake_step, "struct quic_handshake_step: enum quic_handshake_step_op op (1, 2), the s_sendmsg/s_recvmsg union, retval"),
	TAP_TEST(test_quic_priority, "QUIC_PRIORITY allows TLS 1.3 with the QUIC ciphers and groups only, and the PSK key exchanges"),
	TAP_TEST(test_psk_priority, "QUIC_PRIORITY as it is, with PSK credentials only: a TLS 1.3 handshake completes with a PSK key exchange"),
	TAP_TEST(test_msg_flags_enum, "enum quic_msg_flags is a type name; its names are macros too"),
	TAP_TEST(test_libquic_declarations, "libquic declares every ABI function with its type"),
	TAP_TEST(test_libquic_defined_symbols, "libquic.a defines quic_sendmsg, quic_recvmsg, quic_set_log_func, quic_set_log_level"),
	TAP_TEST(test_libquic_log_level, "quic_set_log_level returns the previous level; the default is LOG_WARNING"),
	TAP_TEST(test_libquic_log_func, "quic_set_log_func returns the previous function; NULL restores the default"),
	TAP_TEST(test_libquic_sendmsg_recvmsg_carry_data, "quic_sendmsg/quic_recvmsg move data and report errors with errno"),
};

int main(void)
{
	return tap_main(tests, TAP_COUNT(tests));
}
