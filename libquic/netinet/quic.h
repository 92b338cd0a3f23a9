/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libquic: the TLS 1.3 handshake for IPPROTO_QUIC sockets, run in user
 * space with GnuTLS, and helpers for stream data.
 */
#ifndef _NETINET_QUIC_H
#define _NETINET_QUIC_H

#include <sys/socket.h>
#include <stdint.h>
#include <linux/quic.h>
#include <gnutls/abstract.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * TLS 1.3 only, the ciphers QUIC can protect packets with, and the PSK key
 * exchanges, so that a session with PSK credentials works with it as it is
 * (they are not used with certificates).
 */
#define QUIC_PRIORITY \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:" \
	"-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CCM:" \
	"-GROUP-ALL:+GROUP-SECP256R1:+GROUP-X25519:+GROUP-SECP384R1:" \
	"+GROUP-SECP521R1:+ECDHE-PSK:+DHE-PSK:+PSK:%DISABLE_TLS13_COMPAT_MODE"

/* What a caller-driven handshake step asks the caller to do. */
enum quic_handshake_step_op {
	QUIC_HANDSHAKE_STEP_OP_SENDMSG = 1,
	QUIC_HANDSHAKE_STEP_OP_RECVMSG = 2,
};

/*
 * One step: call sendmsg() with s_sendmsg's message and flags, or
 * recvmsg() with s_recvmsg's (the two overlap), as @op says, and store
 * the call's result (or -1 with errno set) in @retval.
 */
struct quic_handshake_step {
	enum quic_handshake_step_op	op;
	union {
		struct {
			struct msghdr	*msg;
			int		flags;
		} s_sendmsg;
		struct {
			struct msghdr	*msg;
			int		flags;
		} s_recvmsg;
	};
	ssize_t				retval;
};

int quic_client_handshake(int sockfd, const char *pkey_file,
			  const char *hostname, const char *alpns);
int quic_server_handshake(int sockfd, const char *pkey_file,
			  const char *cert_file, const char *alpns);
int quic_handshake(gnutls_session_t session);

int quic_handshake_init(gnutls_session_t session,
			struct quic_handshake_step **pstep);
int quic_handshake_step(gnutls_session_t session,
			struct quic_handshake_step **pstep);
void quic_handshake_deinit(gnutls_session_t session);

int quic_session_get_data(gnutls_session_t session, void *data,
			  size_t *size);
int quic_session_set_data(gnutls_session_t session, const void *data,
			  size_t size);
int quic_session_get_alpn(gnutls_session_t session, void *data,
			  size_t *size);
int quic_session_set_alpn(gnutls_session_t session, const void *data,
			  size_t size);

ssize_t quic_sendmsg(int sockfd, const void *msg, size_t len, int64_t sid,
		     uint32_t flags);
ssize_t quic_recvmsg(int sockfd, void *msg, size_t len, int64_t *sid,
		     uint32_t *flags);

typedef void (*quic_set_log_func_t)(int level, const char *msg);
quic_set_log_func_t quic_set_log_func(quic_set_log_func_t func);
int quic_set_log_level(int level);

#ifdef __cplusplus
}
#endif

#endif /* _NETINET_QUIC_H */
