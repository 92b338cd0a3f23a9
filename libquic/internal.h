/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libquic internals shared by its source files; not installed.
 *
 * Files: handshake.c (the exported handshake entry points and the life of
 * the per-handshake state), tls.c (the GnuTLS callbacks and the handshake
 * messages to and from the kernel), tlsmap.c (levels, ciphers, alerts and
 * errors between GnuTLS, TLS and the kernel), cred.c (credentials from
 * memory or files), session.c (the ready-made client and server
 * handshakes, ALPN, tickets and 0-RTT anti-replay), stream.c, log.c.
 */
#ifndef _LIBQUIC_INTERNAL_H
#define _LIBQUIC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <syslog.h>	/* LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG */
#include <sys/socket.h>
#include <sys/uio.h>

#include <gnutls/gnutls.h>

#include "netinet/quic.h"

/* What the library exports; everything else is hidden (-fvisibility=hidden). */
#define QUIC_EXPORT	__attribute__((visibility("default")))
/* Shared between libquic's files only; hidden even without
 * -fvisibility=hidden, so that a daemon or a test linking libquic.a cannot
 * come to depend on it through the shared library.
 */
#define QUIC_INTERNAL	__attribute__((visibility("hidden")))

/* The level below which nothing is passed to the log function by default. */
#define QUIC_LOG_DEFAULT_LEVEL	LOG_WARNING

/* The longest message handed to the log function, NUL included; longer
 * ones are cut.
 */
#define QUIC_LOG_MSG_MAX	1024

/*
 * quic_log - log a message through the application's log function
 * @level: a syslog level (LOG_ERR ... LOG_DEBUG); the message is passed on
 *	only when @level <= the level set with quic_set_log_level()
 * @fmt: printf format
 *
 * errno is preserved.
 */
void quic_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* true when a message at @level would be passed on (to skip costly
 * formatting, e.g. hex dumps, when it would not)
 */
int quic_log_enabled(int level);

#define quic_log_error(fmt, ...)	quic_log(LOG_ERR, fmt, ##__VA_ARGS__)
#define quic_log_warn(fmt, ...)		quic_log(LOG_WARNING, fmt, ##__VA_ARGS__)
#define quic_log_notice(fmt, ...)	quic_log(LOG_NOTICE, fmt, ##__VA_ARGS__)
#define quic_log_info(fmt, ...)		quic_log(LOG_INFO, fmt, ##__VA_ARGS__)
#define quic_log_debug(fmt, ...)	quic_log(LOG_DEBUG, fmt, ##__VA_ARGS__)

/* ------------------------------------------------ the handshake state */

/* The TLS extension that carries the QUIC transport parameters, and the
 * name libquic registers it under on a session.  The name is how the entry
 * points tell libquic's extension 0x39 from one an application registered
 * itself, so it must not be one an application would choose: not the
 * extension's IANA name, "quic_transport_parameters".
 */
#define QUIC_TP_EXT_TYPE	0x39
#define QUIC_TP_EXT_NAME	"libquic:quic_transport_parameters"

/* Receive buffer: one recvmsg() takes at most this much; the kernel keeps
 * the rest for the next call.
 */
#define QUIC_HS_RECV_MAX	(64 * 1024)
/* Control buffer: the handshake info (CMSG_SPACE(1), 24 bytes on 64-bit),
 * and room for anything else; a constant, for a fixed-size struct.
 */
#define QUIC_HS_CTL_SPACE	320

/*
 * Where a session's handshake state is found: in the private data of the
 * quic_transport_parameters extension (0x39) that quic_handshake_init()
 * registers on the session.  The session belongs to the application, which
 * may use gnutls_session_set_ptr() and gnutls_db_set_ptr() for itself;
 * the private data of an extension that libquic registered is libquic's
 * alone.  GnuTLS hands it back in O(1), with no lock and no walk of the
 * other sessions, and GnuTLS runs one session's callbacks in the thread
 * that drives that session, so nothing else needs a lock either.
 *
 * The private data is one of:
 * - unset or NULL: no handshake was started, or its start failed;
 * - a struct quic_hs: a handshake is running (quic_handshake_deinit()
 *   not called yet);
 * - QUIC_HS_MARK_CLIENT or QUIC_HS_MARK_SERVER: the state is gone, and
 *   this records the session's side for quic_session_get_data() (GnuTLS
 *   has no getter for it).
 *
 * No deinit function is registered with the extension: GnuTLS frees
 * nothing of it; quic_handshake_deinit() frees the state.
 */
#define QUIC_HS_MARK_CLIENT	((gnutls_ext_priv_data_t)(uintptr_t)1)
#define QUIC_HS_MARK_SERVER	((gnutls_ext_priv_data_t)(uintptr_t)2)

/* One sendmsg()'s worth: consecutive outgoing messages of one level. */
struct quic_hs_msg {
	struct quic_hs_msg	*next;
	uint8_t			level;	/* enum quic_crypto_level */
	uint8_t			*data;
	size_t			len;
	size_t			off;	/* already taken by the kernel */
	size_t			cap;
};

/* One handshake, from quic_handshake_init() to quic_handshake_deinit();
 * used only by the thread driving its session.
 */
struct quic_hs {
	gnutls_session_t	session;
	int			fd;
	int			client;		/* sent a ClientHello */
	int			complete;	/* GnuTLS reported completion */
	int			failed;		/* negative errno once failed */

	struct quic_hs_msg	*out;		/* to send, in order */
	struct quic_hs_msg	*out_tail;

	/* the step handed to the caller */
	struct quic_handshake_step step;
	struct msghdr		msg;
	struct iovec		iov;
	_Alignas(struct cmsghdr) char ctl[QUIC_HS_CTL_SPACE];
	uint8_t			*rbuf;

	/* the 1-RTT secrets, installed at completion */
	uint8_t			app_rx[QUIC_CRYPTO_SECRET_BUFFER_SIZE];
	uint8_t			app_tx[QUIC_CRYPTO_SECRET_BUFFER_SIZE];
	int			app_have[2];	/* [0] receive, [1] send */
	size_t			app_size;
	uint32_t		app_type;
	int			app_checked;

	int			peer_tp;	/* the peer's 0x39 arrived */
	int			alpn_offered;	/* our ClientHello had ALPN */
	int			ticket_sent;	/* a NewSessionTicket went out */

	int			tls_alert;	/* the alert GnuTLS raised, or -1 */
	/* a failure found in a callback, reported when GnuTLS returns */
	int			cb_err;		/* negative errno, or 0 */
	int			cb_alert;	/* TLS alert, or -1 */
	uint32_t		cb_errcode;	/* QUIC error code, or 0 */
};

/**
 * quic_hs_get - the running handshake of a session, in O(1)
 * @session: a session on which libquic registered extension 0x39
 *
 * For the GnuTLS callbacks, which GnuTLS calls only on sessions that
 * quic_handshake_init() set up.  The entry points, which may be handed any
 * session, check first that the extension is libquic's.
 *
 * Return: the state, or NULL when no handshake is running.
 */
static inline struct quic_hs *quic_hs_get(gnutls_session_t session)
{
	gnutls_ext_priv_data_t priv;

	if (gnutls_ext_get_data(session, QUIC_TP_EXT_TYPE, &priv) ||
	    (uintptr_t)priv <= (uintptr_t)QUIC_HS_MARK_SERVER)
		return NULL;
	return priv;
}

/* tls.c: the GnuTLS glue and the kernel message I/O */

/**
 * quic_hs_register - make a session run its handshake through libquic
 * @st: the new state; st->session and st->fd are set
 *
 * Registers extension 0x39 on the session, attaches @st to it as the
 * extension's private data, and sets the handshake read, secret and alert
 * functions.
 *
 * Return: 0, or a GnuTLS error (GNUTLS_E_ALREADY_REGISTERED when the
 * session has an extension 0x39 already), logged.
 */
QUIC_INTERNAL int quic_hs_register(struct quic_hs *st);

/**
 * quic_hs_run - let GnuTLS act on what it has been given
 * @st: the handshake
 *
 * Completes the handshake when GnuTLS says it is complete; a failure is
 * reported to the peer and sticks in st->failed.
 *
 * Return: 0 or a negative errno.
 */
QUIC_INTERNAL int quic_hs_run(struct quic_hs *st);

/**
 * quic_hs_next - prepare the next step for the caller
 * @st: the handshake
 * @pstep: out: a sendmsg() step while anything is queued, else a recvmsg()
 *	step, or NULL once the handshake is complete
 *
 * Return: 0.
 */
QUIC_INTERNAL int quic_hs_next(struct quic_hs *st,
			       struct quic_handshake_step **pstep);

/**
 * quic_hs_sent - the kernel took @len bytes of the queued sendmsg() step
 * @st: the handshake
 * @len: what sendmsg() returned, >= 0
 *
 * Return: 0, or -EINVAL when @len is more than the step offered.
 */
QUIC_INTERNAL int quic_hs_sent(struct quic_hs *st, size_t len);

/**
 * quic_hs_received - a recvmsg() step brought @len bytes into st->rbuf
 * @st: the handshake
 * @len: what recvmsg() returned, >= 0
 *
 * Handshake data goes to GnuTLS at the level its cmsg names; an event is
 * looked at (the peer's close ends the handshake).
 *
 * Return: 0 or a negative errno, which sticks in st->failed.
 */
QUIC_INTERNAL int quic_hs_received(struct quic_hs *st, size_t len);

/* tlsmap.c: names and numbers between GnuTLS, TLS and the kernel */

/* The name of a QUIC crypto level (enum quic_crypto_level), for logs. */
QUIC_INTERNAL const char *quic_level_name(uint8_t level);
/* The QUIC crypto level of a GnuTLS level, or -1. */
QUIC_INTERNAL int quic_level_from_gnutls(gnutls_record_encryption_level_t level);
/* The GnuTLS level of a QUIC crypto level (Initial for unknown ones). */
QUIC_INTERNAL gnutls_record_encryption_level_t quic_level_to_gnutls(uint8_t level);
/* The TLS_CIPHER_* the kernel knows a negotiated cipher by, or 0. */
QUIC_INTERNAL uint32_t quic_cipher_type(gnutls_cipher_algorithm_t cipher);
/* A negative errno for a GnuTLS error that ended the handshake. */
QUIC_INTERNAL int quic_errno_from_gnutls(int gerr);
/* The alert for a certificate that did not verify, by what was wrong. */
QUIC_INTERNAL int quic_verify_alert(unsigned int status);
/* The RFC 8446 name of a TLS alert, for logs and the close phrase. */
QUIC_INTERNAL const char *quic_alert_name(int alert);
/* Does the handshake message @p (type, 24-bit length, body) of a
 * ClientHello carry extension @type?  Bounds-checked.
 */
QUIC_INTERNAL int quic_hello_has_ext(const uint8_t *p, size_t len,
				     unsigned int type);

/* TLS alerts (RFC 8446 section 6) libquic raises itself. */
#define QUIC_ALERT_HANDSHAKE_FAILURE	40
#define QUIC_ALERT_BAD_CERTIFICATE	42
#define QUIC_ALERT_CERTIFICATE_REVOKED	44
#define QUIC_ALERT_CERTIFICATE_EXPIRED	45
#define QUIC_ALERT_UNKNOWN_CA		48
#define QUIC_ALERT_INTERNAL_ERROR	80
#define QUIC_ALERT_MISSING_EXTENSION	109
#define QUIC_ALERT_UNKNOWN_PSK_IDENTITY	115
#define QUIC_ALERT_NO_APP_PROTOCOL	120

/* ------------------------------------------------------ credentials */

/*
 * What one side of a ready-made handshake authenticates with.  It is
 * built from memory with the quic_cred_*() functions below (a handshake
 * daemon hands over keys and certificates it holds already), or from
 * files with the quic_cred_load_*() ones, which read the files and pass
 * their bytes on to the former.  Once built it is only read, so one
 * struct quic_cred may serve concurrent handshakes; what a server's PSK
 * lookup finds in one handshake goes to that handshake's own struct
 * quic_psk_match.
 *
 * Start from a zeroed struct; every function allocates the GnuTLS
 * credentials it needs.  Errors are logged, naming what failed.
 */

/* A PSK a server knows: the identity a client names, and its key. */
struct quic_psk {
	char		*identity;	/* NUL-terminated */
	gnutls_datum_t	key;		/* raw bytes */
};

struct quic_cred {
	gnutls_certificate_credentials_t	x509;	/* trust, own chain */
	gnutls_psk_client_credentials_t		psk_client;
	gnutls_psk_server_credentials_t		psk_server;
	struct quic_psk				*psks;	/* the server's */
	unsigned int				npsks;
};

/* What a server's PSK lookup saw in one handshake. */
struct quic_psk_match {
	const struct quic_cred	*cred;
	int			looked_up;	/* a client named an identity */
	int			found;		/* and it is in cred->psks */
	int			accepted;	/* got as far as the ServerHello */
	char			peer[128];	/* the identity the client gave */
};

/**
 * quic_cred_add_system_trust - trust the system's CA store
 * @cred: the credentials
 *
 * Return: the number of CA certificates added (0 when there is no store),
 * or -ENOMEM.
 */
QUIC_INTERNAL int quic_cred_add_system_trust(struct quic_cred *cred);

/**
 * quic_cred_add_trust - trust CA certificates held in memory
 * @cred: the credentials
 * @ca: the certificates: PEM (any number) or DER (one)
 * @fmt: GNUTLS_X509_FMT_PEM or GNUTLS_X509_FMT_DER
 * @what: where they came from, for the log (e.g. "QUIC_CA_FILE=/etc/ca.pem")
 *
 * Return: the number of CA certificates added, > 0; -EINVAL when @ca holds
 * none or cannot be parsed; -ENOMEM.
 */
QUIC_INTERNAL int quic_cred_add_trust(struct quic_cred *cred,
				      const gnutls_datum_t *ca,
				      gnutls_x509_crt_fmt_t fmt,
				      const char *what);

/**
 * quic_cred_set_key_cert - our own certificate chain and private key
 * @cred: the credentials
 * @cert: the certificate chain, leaf first: PEM, or one DER certificate
 * @key: the matching private key (unencrypted), in the same format
 * @fmt: GNUTLS_X509_FMT_PEM or GNUTLS_X509_FMT_DER
 * @what: where they came from, for the log (e.g. "certificate C with key K")
 *
 * A server presents them; a client presents them when the server asks.
 *
 * Return: 0, -EINVAL when they cannot be parsed or do not match, -ENOMEM.
 */
QUIC_INTERNAL int quic_cred_set_key_cert(struct quic_cred *cred,
					 const gnutls_datum_t *cert,
					 const gnutls_datum_t *key,
					 gnutls_x509_crt_fmt_t fmt,
					 const char *what);

/**
 * quic_cred_set_psk_client - the PSK a client offers
 * @cred: the credentials
 * @identity: its identity, NUL-terminated
 * @key: the key, raw bytes
 * @what: where it came from, for the log
 *
 * Return: 0, -EINVAL, -ENOMEM.
 */
QUIC_INTERNAL int quic_cred_set_psk_client(struct quic_cred *cred,
					   const char *identity,
					   const gnutls_datum_t *key,
					   const char *what);

/**
 * quic_cred_add_psk_server - a PSK a server accepts
 * @cred: the credentials
 * @identity: its identity, NUL-terminated; the first of equal ones is used
 * @key: the key, raw bytes; copied
 *
 * Return: 0, -EINVAL for an empty identity or key, -ENOMEM.
 */
QUIC_INTERNAL int quic_cred_add_psk_server(struct quic_cred *cred,
					   const char *identity,
					   const gnutls_datum_t *key);

/**
 * quic_cred_apply - put credentials and the matching priority on a session
 * @session: a session libquic (or its daemon) owns
 * @cred: the credentials; must outlive the session
 * @match: for a server with PSKs, what its lookup finds in this session's
 *	handshake; must outlive the handshake; may be NULL otherwise
 *
 * A server's PSK lookup finds @match through gnutls_session_set_ptr(),
 * which this takes for itself: only for sessions whose user pointer is not
 * the application's.  The priority is QUIC_PRIORITY, which has the PSK
 * key exchanges.
 *
 * Return: 0, -EINVAL (no credentials, or PSKs and no @match), -ENOMEM.
 */
QUIC_INTERNAL int quic_cred_apply(gnutls_session_t session,
				  const struct quic_cred *cred,
				  struct quic_psk_match *match);

/**
 * quic_cred_free - free what the credentials hold, keys wiped
 * @cred: the credentials, zeroed afterwards; no session may use them
 *	any more
 */
QUIC_INTERNAL void quic_cred_free(struct quic_cred *cred);

/**
 * quic_cred_load_trust_default - trust what a client trusts by default
 * @cred: the credentials
 *
 * The system's CA store, and the PEM file named by $QUIC_CA_FILE (else by
 * $SSL_CERT_FILE).
 *
 * Return: 0 or a negative errno (the file's, or -EINVAL).
 */
QUIC_INTERNAL int quic_cred_load_trust_default(struct quic_cred *cred);

/**
 * quic_cred_load_key_cert_files - quic_cred_set_key_cert() from PEM files
 * @cred: the credentials
 * @cert_file: the certificate chain
 * @key_file: the private key; may be the same file
 *
 * Return: 0 or a negative errno (the file's, or -EINVAL).
 */
QUIC_INTERNAL int quic_cred_load_key_cert_files(struct quic_cred *cred,
						const char *cert_file,
						const char *key_file);

/**
 * quic_cred_load_psk_file - PSKs from a file in GnuTLS psktool's format
 * @cred: the credentials
 * @path: one "identity:hexkey" per line; blank lines and lines starting
 *	with '#' are skipped
 * @server: add every PSK for a server; else set the first for a client
 *
 * Return: 0, -ENOENT when the file has no PSK, -EINVAL when a line is not
 * a PSK, or another negative errno.
 */
QUIC_INTERNAL int quic_cred_load_psk_file(struct quic_cred *cred,
					  const char *path, int server);

/**
 * quic_file_is_pem - does a key file hold PEM or PSKs?
 * @path: the file
 *
 * Return: 1 for PEM (an X.509 key, certificates), 0 for a valid PSK file,
 * a negative errno otherwise (see quic_cred_load_psk_file()).
 */
QUIC_INTERNAL int quic_file_is_pem(const char *path);

/* session.c: libquic's 0-RTT anti-replay and QUIC's max_early_data_size
 * on a server session, whoever prepared it (nothing on a client's)
 */
QUIC_INTERNAL void quic_session_early_setup(gnutls_session_t session);

#endif /* _LIBQUIC_INTERNAL_H */
