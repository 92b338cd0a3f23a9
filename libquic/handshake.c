// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libquic handshake: the TLS 1.3 handshake of an IPPROTO_QUIC socket, run
 * with GnuTLS's QUIC interface (RFC 9001).
 *
 * The kernel carries the handshake messages in CRYPTO frames; libquic moves
 * them between the socket and GnuTLS:
 *
 * - outgoing messages (GnuTLS's handshake "read" function) are queued per
 *   encryption level and handed to sendmsg() with a QUIC_HANDSHAKE_INFO cmsg
 *   naming the level; consecutive messages of one level go in one sendmsg();
 * - incoming bytes come from recvmsg() with the same cmsg and are fed to
 *   gnutls_handshake_write() at that level; GnuTLS reassembles messages cut
 *   across calls;
 * - traffic secrets go down with QUIC_SOCKOPT_CRYPTO_SECRET as GnuTLS makes
 *   them, except the 1-RTT (QUIC_CRYPTO_APP) ones: installing the send one
 *   tells the kernel that the handshake is complete, so both are kept here
 *   and installed, receive first, only once GnuTLS reports completion;
 * - the quic_transport_parameters extension (0x39) is a session-registered
 *   GnuTLS extension whose body comes from and goes to the kernel with
 *   QUIC_SOCKOPT_TRANSPORT_PARAM_EXT;
 * - a failure is reported to the peer with QUIC_SOCKOPT_CONNECTION_CLOSE
 *   (CRYPTO_ERROR, 0x100 + the TLS alert), as QUIC has no alert records.
 *
 * The step API (quic_handshake_init/step/deinit) never calls sendmsg() or
 * recvmsg(): each step tells the caller which call to make, and the caller
 * reports the result.  quic_handshake() is the blocking loop over it.
 *
 * The per-session state lives in a small registry keyed by the
 * gnutls_session_t, so that the application keeps gnutls_session_set_ptr()
 * for itself.  NSS key logging (SSLKEYLOGFILE) is GnuTLS's own, which works
 * for sessions in QUIC mode: libquic leaves the session's keylog function
 * as the application set it.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>

#include <linux/tls.h>
#include <gnutls/gnutls.h>

#include "internal.h"

/* The TLS extension that carries the QUIC transport parameters. */
#define QUIC_TP_EXT_TYPE	0x39
/* The TLS ALPN extension (RFC 7301). */
#define QUIC_ALPN_EXT_TYPE	0x10

/* The largest transport parameters extension body taken from the kernel. */
#define QUIC_TP_EXT_MAX		4096
/* Receive buffer: one recvmsg() takes at most this much; the kernel keeps
 * the rest for the next call.
 */
#define QUIC_HS_RECV_MAX	(64 * 1024)
/* Control buffer: the handshake info (CMSG_SPACE(1), 24 bytes on 64-bit),
 * and room for anything else; a constant, for a fixed-size struct.
 */
#define QUIC_HS_CTL_SPACE	320
/* The largest NewSessionTicket data fetched with QUIC_SOCKOPT_SESSION_TICKET. */
#define QUIC_TICKET_MAX		8192

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

/* What the session's private data of extension 0x39 records about the
 * session's side, so that quic_session_get_data() knows it after the
 * handshake state is gone (GnuTLS has no getter for the side).
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

struct quic_hs {
	struct quic_hs		*next;		/* in the registry */
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

static pthread_mutex_t quic_hs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct quic_hs *quic_hs_list;

static struct quic_hs *quic_hs_find(gnutls_session_t session)
{
	struct quic_hs *st;

	pthread_mutex_lock(&quic_hs_lock);
	for (st = quic_hs_list; st; st = st->next)
		if (st->session == session)
			break;
	pthread_mutex_unlock(&quic_hs_lock);
	return st;
}

/* Add @st unless its session has a state already; 0 or -EALREADY. */
static int quic_hs_add(struct quic_hs *st)
{
	struct quic_hs *p;
	int ret = 0;

	pthread_mutex_lock(&quic_hs_lock);
	for (p = quic_hs_list; p; p = p->next)
		if (p->session == st->session)
			break;
	if (p) {
		ret = -EALREADY;
	} else {
		st->next = quic_hs_list;
		quic_hs_list = st;
	}
	pthread_mutex_unlock(&quic_hs_lock);
	return ret;
}

static struct quic_hs *quic_hs_remove(gnutls_session_t session)
{
	struct quic_hs **pp, *st = NULL;

	pthread_mutex_lock(&quic_hs_lock);
	for (pp = &quic_hs_list; *pp; pp = &(*pp)->next) {
		if ((*pp)->session == session) {
			st = *pp;
			*pp = st->next;
			break;
		}
	}
	pthread_mutex_unlock(&quic_hs_lock);
	return st;
}

static void quic_hs_free(struct quic_hs *st)
{
	struct quic_hs_msg *m;

	if (!st)
		return;
	while ((m = st->out)) {
		st->out = m->next;
		free(m->data);
		free(m);
	}
	free(st->rbuf);
	explicit_bzero(st->app_rx, sizeof(st->app_rx));
	explicit_bzero(st->app_tx, sizeof(st->app_tx));
	free(st);
}

/* ------------------------------------------------------------ mappings */

static const char *quic_level_name(uint8_t level)
{
	switch (level) {
	case QUIC_CRYPTO_INITIAL:
		return "Initial";
	case QUIC_CRYPTO_HANDSHAKE:
		return "Handshake";
	case QUIC_CRYPTO_EARLY:
		return "0-RTT";
	case QUIC_CRYPTO_APP:
		return "1-RTT";
	default:
		return "unknown";
	}
}

static int quic_level_from_gnutls(gnutls_record_encryption_level_t level)
{
	switch (level) {
	case GNUTLS_ENCRYPTION_LEVEL_INITIAL:
		return QUIC_CRYPTO_INITIAL;
	case GNUTLS_ENCRYPTION_LEVEL_EARLY:
		return QUIC_CRYPTO_EARLY;
	case GNUTLS_ENCRYPTION_LEVEL_HANDSHAKE:
		return QUIC_CRYPTO_HANDSHAKE;
	case GNUTLS_ENCRYPTION_LEVEL_APPLICATION:
		return QUIC_CRYPTO_APP;
	}
	return -1;
}

static gnutls_record_encryption_level_t quic_level_to_gnutls(uint8_t level)
{
	switch (level) {
	case QUIC_CRYPTO_HANDSHAKE:
		return GNUTLS_ENCRYPTION_LEVEL_HANDSHAKE;
	case QUIC_CRYPTO_EARLY:
		return GNUTLS_ENCRYPTION_LEVEL_EARLY;
	case QUIC_CRYPTO_APP:
		return GNUTLS_ENCRYPTION_LEVEL_APPLICATION;
	default:
		return GNUTLS_ENCRYPTION_LEVEL_INITIAL;
	}
}

/* The TLS_CIPHER_* the kernel knows a negotiated cipher by, or 0. */
static uint32_t quic_cipher_type(gnutls_cipher_algorithm_t cipher)
{
	switch (cipher) {
	case GNUTLS_CIPHER_AES_128_GCM:
		return TLS_CIPHER_AES_GCM_128;
	case GNUTLS_CIPHER_AES_256_GCM:
		return TLS_CIPHER_AES_GCM_256;
	case GNUTLS_CIPHER_AES_128_CCM:
		return TLS_CIPHER_AES_CCM_128;
	case GNUTLS_CIPHER_CHACHA20_POLY1305:
		return TLS_CIPHER_CHACHA20_POLY1305;
	default:
		return 0;
	}
}

/* A negative errno for a GnuTLS error that ended the handshake. */
static int quic_errno_from_gnutls(int gerr)
{
	switch (gerr) {
	case GNUTLS_E_MEMORY_ERROR:
		return -ENOMEM;
	case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR:
	case GNUTLS_E_CERTIFICATE_ERROR:
	case GNUTLS_E_CERTIFICATE_REQUIRED:
	case GNUTLS_E_NO_CERTIFICATE_FOUND:
	case GNUTLS_E_CERTIFICATE_KEY_MISMATCH:
	case GNUTLS_E_DECRYPTION_FAILED:	/* PSK binder or Finished */
	case GNUTLS_E_PK_SIG_VERIFY_FAILED:
		return -EKEYREJECTED;
	case GNUTLS_E_INSUFFICIENT_CREDENTIALS:
	case GNUTLS_E_SRP_PWD_ERROR:	/* no PSK for the identity */
		return -ENOKEY;
	case GNUTLS_E_FATAL_ALERT_RECEIVED:
		return -ECONNREFUSED;
	case GNUTLS_E_TIMEDOUT:
		return -ETIMEDOUT;
	case GNUTLS_E_INVALID_REQUEST:
		return -EINVAL;
	default:
		return -EPROTO;
	}
}

/* The alert for a certificate that did not verify, by what was wrong. */
static int quic_verify_alert(unsigned int status)
{
	if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA))
		return QUIC_ALERT_UNKNOWN_CA;
	if (status & GNUTLS_CERT_REVOKED)
		return QUIC_ALERT_CERTIFICATE_REVOKED;
	if (status & (GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED))
		return QUIC_ALERT_CERTIFICATE_EXPIRED;
	return QUIC_ALERT_BAD_CERTIFICATE;
}

/* The RFC 8446 name of a TLS alert, for logs and the close phrase. */
static const char *quic_alert_name(int alert)
{
	static const struct {
		int		alert;
		const char	*name;
	} names[] = {
		{ 10, "unexpected_message" },
		{ 20, "bad_record_mac" },
		{ 22, "record_overflow" },
		{ 40, "handshake_failure" },
		{ 42, "bad_certificate" },
		{ 43, "unsupported_certificate" },
		{ 44, "certificate_revoked" },
		{ 45, "certificate_expired" },
		{ 46, "certificate_unknown" },
		{ 47, "illegal_parameter" },
		{ 48, "unknown_ca" },
		{ 49, "access_denied" },
		{ 50, "decode_error" },
		{ 51, "decrypt_error" },
		{ 70, "protocol_version" },
		{ 71, "insufficient_security" },
		{ 80, "internal_error" },
		{ 86, "inappropriate_fallback" },
		{ 90, "user_canceled" },
		{ 109, "missing_extension" },
		{ 110, "unsupported_extension" },
		{ 112, "unrecognized_name" },
		{ 113, "bad_certificate_status_response" },
		{ 115, "unknown_psk_identity" },
		{ 116, "certificate_required" },
		{ 120, "no_application_protocol" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].alert == alert)
			return names[i].name;
	return "TLS alert";
}

/* ------------------------------------------------------------- helpers */

/* Record a failure found inside a GnuTLS callback; returns the GnuTLS
 * error for the callback to return.
 */
static int quic_hs_cb_fail(struct quic_hs *st, int err, int alert,
			   uint32_t errcode)
{
	if (!st->cb_err) {
		st->cb_err = err;
		st->cb_alert = alert;
		st->cb_errcode = errcode;
	}
	return GNUTLS_E_INTERNAL_ERROR;
}

/* Tell the peer why, best effort: the kernel sends a CONNECTION_CLOSE. */
static void quic_hs_close(struct quic_hs *st, uint32_t errcode,
			  const char *phrase)
{
	struct quic_connection_close close;

	memset(&close, 0, sizeof(close));
	close.errcode = errcode;
	if (phrase) {
		size_t n = strlen(phrase);

		if (n > sizeof(close.phrase) - 1)
			n = sizeof(close.phrase) - 1;
		memcpy(close.phrase, phrase, n);
	}
	if (setsockopt(st->fd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_CLOSE,
		       &close, sizeof(close)))
		quic_log_debug("socket %d: setting CONNECTION_CLOSE (error 0x%x) failed: %s",
			       st->fd, errcode, strerror(errno));
	else
		quic_log_debug("socket %d: CONNECTION_CLOSE error 0x%x \"%s\"",
			       st->fd, errcode, close.phrase);
}

/* The handshake failed in GnuTLS (@gerr) or in a callback (st->cb_*):
 * tell the peer, log it, and make the failure stick.
 */
static int quic_hs_tls_fail(struct quic_hs *st, int gerr, const char *what)
{
	unsigned int status = 0;
	uint32_t errcode;
	int err, alert, level;

	if (st->cb_err) {
		err = st->cb_err;
		alert = st->cb_alert;
		errcode = st->cb_errcode;
	} else {
		err = quic_errno_from_gnutls(gerr);
		errcode = 0;
		if (gerr == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
			status = gnutls_session_get_verify_cert_status(st->session);
			alert = quic_verify_alert(status);
		} else if (st->tls_alert >= 0) {
			alert = st->tls_alert;
		} else if (gerr == GNUTLS_E_SRP_PWD_ERROR) {
			alert = QUIC_ALERT_UNKNOWN_PSK_IDENTITY;
		} else {
			alert = gnutls_error_to_alert(gerr, &level);
			if (alert < 0)
				alert = QUIC_ALERT_INTERNAL_ERROR;
		}
	}
	if (!errcode)
		errcode = QUIC_TRANSPORT_ERROR_CRYPTO + (alert & 0xff);

	if (st->cb_err)
		quic_log_error("socket %d: %s handshake failed: %s (%s)", st->fd,
			       st->client ? "client" : "server",
			       alert >= 0 ? quic_alert_name(alert) :
			       "transport parameters", strerror(-err));
	else
		quic_log_error("socket %d: %s handshake failed %s: %s (%s, alert %s)",
			       st->fd, st->client ? "client" : "server", what,
			       gnutls_strerror(gerr), strerror(-err),
			       quic_alert_name(alert));
	if (status) {
		gnutls_datum_t out;

		if (!gnutls_certificate_verification_status_print(status,
				GNUTLS_CRT_X509, &out, 0)) {
			quic_log_error("socket %d: peer certificate: %s",
				       st->fd, out.data);
			gnutls_free(out.data);
		}
	}
	quic_hs_close(st, errcode, errcode >= QUIC_TRANSPORT_ERROR_CRYPTO &&
			       errcode <= QUIC_TRANSPORT_ERROR_CRYPTO + 0xff ?
		      quic_alert_name(errcode & 0xff) : "transport parameters");
	st->failed = err;
	return err;
}

/* A syscall result the caller reported: the errno it failed with. */
static int quic_hs_syscall_errno(ssize_t retval)
{
	if (retval == -1)
		return errno ? errno : EIO;
	return (int)-retval;
}

static int quic_hs_install(struct quic_hs *st, int send, uint8_t level,
			   uint32_t type, const void *secret, size_t size)
{
	struct quic_crypto_secret s;
	int ret, err;

	memset(&s, 0, sizeof(s));
	s.send = send;
	s.level = level;
	s.type = type;
	memcpy(s.secret, secret, size);
	ret = setsockopt(st->fd, SOL_QUIC, QUIC_SOCKOPT_CRYPTO_SECRET, &s,
			 sizeof(s));
	err = errno;
	explicit_bzero(&s, sizeof(s));
	if (ret) {
		quic_log_error("socket %d: installing the %s %s secret failed: %s",
			       st->fd, quic_level_name(level),
			       send ? "send" : "receive", strerror(err));
		return -err;
	}
	quic_log_debug("socket %d: %s %s secret installed (cipher %u)",
		       st->fd, quic_level_name(level),
		       send ? "send" : "receive", type);
	return 0;
}

/* Does the handshake message (type, 24-bit length, body) of a ClientHello
 * carry extension @type?  Bounds-checked; a malformed message has none.
 */
static int quic_hello_has_ext(const uint8_t *p, size_t len, unsigned int type)
{
	size_t off, end, n;

	if (len < 4)
		return 0;
	end = 4 + ((size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3]);
	if (end > len)
		return 0;
	off = 4 + 2 + 32;			/* legacy_version, random */
	if (off + 1 > end)
		return 0;
	off += 1 + p[off];			/* legacy_session_id */
	if (off + 2 > end)
		return 0;
	off += 2 + ((size_t)p[off] << 8 | p[off + 1]);	/* cipher_suites */
	if (off + 1 > end)
		return 0;
	off += 1 + p[off];			/* compression methods */
	if (off + 2 > end)
		return 0;
	n = (size_t)p[off] << 8 | p[off + 1];
	off += 2;
	if (off + n < end)
		end = off + n;
	while (off + 4 <= end) {
		unsigned int t = (unsigned int)p[off] << 8 | p[off + 1];
		size_t l = (size_t)p[off + 2] << 8 | p[off + 3];

		if (t == type)
			return 1;
		off += 4 + l;
	}
	return 0;
}

/* ---------------------------------------------------- GnuTLS callbacks */

/* An outgoing handshake message: queue it for a sendmsg() step. */
static int quic_hs_read_func(gnutls_session_t session,
			     gnutls_record_encryption_level_t glevel,
			     gnutls_handshake_description_t htype,
			     const void *data, size_t size)
{
	struct quic_hs *st = quic_hs_find(session);
	struct quic_hs_msg *m;
	int level;

	if (!st) {
		quic_log_error("GnuTLS sent a handshake message (type %d) outside a QUIC handshake",
			       (int)htype);
		return GNUTLS_E_INTERNAL_ERROR;
	}
	if (htype == GNUTLS_HANDSHAKE_CHANGE_CIPHER_SPEC)
		return 0;	/* no compatibility mode in QUIC */
	level = quic_level_from_gnutls(glevel);
	if (level < 0 || level == QUIC_CRYPTO_EARLY)
		return quic_hs_cb_fail(st, -EPROTO, QUIC_ALERT_INTERNAL_ERROR, 0);
	if (htype == GNUTLS_HANDSHAKE_CLIENT_HELLO) {
		st->client = 1;
		st->alpn_offered = quic_hello_has_ext(data, size,
						      QUIC_ALPN_EXT_TYPE);
	}
	if (htype == GNUTLS_HANDSHAKE_NEW_SESSION_TICKET)
		st->ticket_sent = 1;

	quic_log_debug("socket %d: %s message %s (%zu bytes) queued", st->fd,
		       quic_level_name(level),
		       gnutls_handshake_description_get_name(htype), size);

	m = st->out_tail;
	if (!m || m->level != level || m->off) {
		m = calloc(1, sizeof(*m));
		if (!m)
			return quic_hs_cb_fail(st, -ENOMEM,
					       QUIC_ALERT_INTERNAL_ERROR, 0);
		m->level = level;
		if (st->out_tail)
			st->out_tail->next = m;
		else
			st->out = m;
		st->out_tail = m;
	}
	if (m->len + size > m->cap) {
		size_t cap = m->cap ? m->cap : 1024;
		uint8_t *d;

		while (cap < m->len + size)
			cap *= 2;
		d = realloc(m->data, cap);
		if (!d)
			return quic_hs_cb_fail(st, -ENOMEM,
					       QUIC_ALERT_INTERNAL_ERROR, 0);
		m->data = d;
		m->cap = cap;
	}
	memcpy(m->data + m->len, data, size);
	m->len += size;
	return 0;
}

/* The checks that must pass before the 1-RTT keys exist: by then the
 * peer's ClientHello or EncryptedExtensions has been processed, and
 * nothing of this flight has gone out yet.
 */
static int quic_hs_check_peer(struct quic_hs *st)
{
	gnutls_datum_t alpn;

	if (!st->peer_tp) {
		quic_log_error("socket %d: the peer sent no quic_transport_parameters extension",
			       st->fd);
		return quic_hs_cb_fail(st, -EPROTO,
				       QUIC_ALERT_MISSING_EXTENSION, 0);
	}
	/* RFC 9001 section 8.1: an offered ALPN must be agreed on.  A
	 * server that was given protocols and matched none has failed in
	 * GnuTLS already (GNUTLS_ALPN_MANDATORY).
	 */
	if (st->client && st->alpn_offered &&
	    gnutls_alpn_get_selected_protocol(st->session, &alpn)) {
		quic_log_error("socket %d: the server selected no application protocol (ALPN)",
			       st->fd);
		return quic_hs_cb_fail(st, -EPROTO,
				       QUIC_ALERT_NO_APP_PROTOCOL, 0);
	}
	return 0;
}

static int quic_hs_secret_func(gnutls_session_t session,
			       gnutls_record_encryption_level_t glevel,
			       const void *rsecret, const void *wsecret,
			       size_t size)
{
	struct quic_hs *st = quic_hs_find(session);
	gnutls_cipher_algorithm_t cipher;
	uint32_t type;
	int level, ret;

	if (!st) {
		quic_log_error("GnuTLS made a traffic secret outside a QUIC handshake");
		return GNUTLS_E_INTERNAL_ERROR;
	}
	level = quic_level_from_gnutls(glevel);
	if (level < 0 || level == QUIC_CRYPTO_INITIAL)
		return 0;	/* Initial keys come from the connection ID */
	cipher = level == QUIC_CRYPTO_EARLY ? gnutls_early_cipher_get(session)
					    : gnutls_cipher_get(session);
	type = quic_cipher_type(cipher);
	if (!type) {
		quic_log_error("socket %d: cipher %s cannot protect QUIC packets",
			       st->fd, gnutls_cipher_get_name(cipher));
		return quic_hs_cb_fail(st, -EPROTO,
				       QUIC_ALERT_HANDSHAKE_FAILURE, 0);
	}
	if (size > QUIC_CRYPTO_SECRET_BUFFER_SIZE) {
		quic_log_error("socket %d: a %zu-byte secret is too long",
			       st->fd, size);
		return quic_hs_cb_fail(st, -EPROTO,
				       QUIC_ALERT_INTERNAL_ERROR, 0);
	}

	if (level == QUIC_CRYPTO_APP) {
		if (!st->app_checked) {
			st->app_checked = 1;
			ret = quic_hs_check_peer(st);
			if (ret)
				return ret;
		}
		if (rsecret) {
			memcpy(st->app_rx, rsecret, size);
			st->app_have[0] = 1;
		}
		if (wsecret) {
			memcpy(st->app_tx, wsecret, size);
			st->app_have[1] = 1;
		}
		st->app_size = size;
		st->app_type = type;
		return 0;
	}

	if (rsecret) {
		ret = quic_hs_install(st, 0, level, type, rsecret, size);
		if (ret)
			return quic_hs_cb_fail(st, ret,
					       QUIC_ALERT_INTERNAL_ERROR, 0);
	}
	if (wsecret) {
		ret = quic_hs_install(st, 1, level, type, wsecret, size);
		if (ret)
			return quic_hs_cb_fail(st, ret,
					       QUIC_ALERT_INTERNAL_ERROR, 0);
	}
	return 0;
}

/* GnuTLS would send an alert: remember it for the CONNECTION_CLOSE. */
static int quic_hs_alert_func(gnutls_session_t session,
			      gnutls_record_encryption_level_t glevel,
			      gnutls_alert_level_t alert_level,
			      gnutls_alert_description_t alert)
{
	struct quic_hs *st = quic_hs_find(session);

	(void)glevel;
	if (!st)
		return 0;
	quic_log_debug("socket %d: TLS %s alert %s", st->fd,
		       alert_level == GNUTLS_AL_FATAL ? "fatal" : "warning",
		       quic_alert_name(alert));
	if (alert_level == GNUTLS_AL_FATAL || st->tls_alert < 0)
		st->tls_alert = alert;
	return 0;
}

/* Our transport parameters, for the ClientHello or EncryptedExtensions. */
static int quic_tp_send_func(gnutls_session_t session, gnutls_buffer_t extdata)
{
	struct quic_hs *st = quic_hs_find(session);
	uint8_t buf[QUIC_TP_EXT_MAX];
	socklen_t len = sizeof(buf);
	int ret;

	if (!st) {
		quic_log_error("GnuTLS asked for QUIC transport parameters outside a QUIC handshake");
		return GNUTLS_E_INTERNAL_ERROR;
	}
	if (gnutls_ext_get_current_msg(session) & GNUTLS_EXT_FLAG_CLIENT_HELLO)
		st->client = 1;
	if (getsockopt(st->fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM_EXT,
		       buf, &len)) {
		ret = errno;
		quic_log_error("socket %d: getting the local transport parameters failed: %s",
			       st->fd, strerror(ret));
		return quic_hs_cb_fail(st, -ret, QUIC_ALERT_INTERNAL_ERROR, 0);
	}
	if (!len || len > sizeof(buf)) {
		quic_log_error("socket %d: the kernel gave %u bytes of transport parameters",
			       st->fd, (unsigned int)len);
		return quic_hs_cb_fail(st, -EPROTO, QUIC_ALERT_INTERNAL_ERROR, 0);
	}
	ret = gnutls_buffer_append_data(extdata, buf, len);
	if (ret < 0)
		return ret;
	quic_log_debug("socket %d: sending %u bytes of transport parameters",
		       st->fd, (unsigned int)len);
	return (int)len;
}

/* The peer's transport parameters: for the kernel to check and use. */
static int quic_tp_recv_func(gnutls_session_t session, const unsigned char *data,
			     size_t len)
{
	struct quic_hs *st = quic_hs_find(session);
	int err;

	if (!st) {
		quic_log_error("GnuTLS passed QUIC transport parameters outside a QUIC handshake");
		return GNUTLS_E_INTERNAL_ERROR;
	}
	if (st->peer_tp) {
		/* a second ClientHello (after HelloRetryRequest) */
		quic_log_debug("socket %d: transport parameters again, kept the first",
			       st->fd);
		return 0;
	}
	if (setsockopt(st->fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM_EXT,
		       data, len)) {
		err = errno;
		quic_log_error("socket %d: the kernel refused the peer's transport parameters (%zu bytes): %s",
			       st->fd, len, strerror(err));
		/* RFC 9000 section 7.4: a bad value is a transport error */
		if (err == EINVAL)
			return quic_hs_cb_fail(st, -EPROTO, -1,
					       QUIC_TRANSPORT_ERROR_TRANSPORT_PARAM);
		return quic_hs_cb_fail(st, -err, QUIC_ALERT_INTERNAL_ERROR, 0);
	}
	quic_log_debug("socket %d: peer transport parameters set (%zu bytes)",
		       st->fd, len);
	st->peer_tp = 1;
	return 0;
}

/* ------------------------------------------------------- state machine */

/* GnuTLS reported the handshake complete. */
static int quic_hs_complete(struct quic_hs *st)
{
	gnutls_datum_t alpn;
	int ret;

	if (!st->app_have[0] || !st->app_have[1]) {
		quic_log_error("socket %d: the handshake completed without 1-RTT secrets",
			       st->fd);
		quic_hs_cb_fail(st, -EPROTO, QUIC_ALERT_INTERNAL_ERROR, 0);
		return quic_hs_tls_fail(st, GNUTLS_E_INTERNAL_ERROR,
					"at completion");
	}

	/* before the kernel sees the handshake complete */
	if (!gnutls_alpn_get_selected_protocol(st->session, &alpn)) {
		if (setsockopt(st->fd, SOL_QUIC, QUIC_SOCKOPT_ALPN, alpn.data,
			       alpn.size)) {
			ret = errno;
			if (ret == ENOPROTOOPT || ret == EISCONN) {
				quic_log_debug("socket %d: not setting ALPN %.*s: %s",
					       st->fd, (int)alpn.size,
					       (const char *)alpn.data,
					       strerror(ret));
			} else {
				quic_log_error("socket %d: setting the ALPN %.*s failed: %s",
					       st->fd, (int)alpn.size,
					       (const char *)alpn.data,
					       strerror(ret));
				quic_hs_cb_fail(st, -ret,
						QUIC_ALERT_INTERNAL_ERROR, 0);
				return quic_hs_tls_fail(st,
							GNUTLS_E_INTERNAL_ERROR,
							"at completion");
			}
		}
	}

	ret = quic_hs_install(st, 0, QUIC_CRYPTO_APP, st->app_type,
			      st->app_rx, st->app_size);
	if (!ret)
		ret = quic_hs_install(st, 1, QUIC_CRYPTO_APP, st->app_type,
				      st->app_tx, st->app_size);
	explicit_bzero(st->app_rx, sizeof(st->app_rx));
	explicit_bzero(st->app_tx, sizeof(st->app_tx));
	if (ret) {
		quic_hs_cb_fail(st, ret, QUIC_ALERT_INTERNAL_ERROR, 0);
		return quic_hs_tls_fail(st, GNUTLS_E_INTERNAL_ERROR,
					"installing the 1-RTT secrets");
	}
	st->complete = 1;

	/* A server whose application turned automatic tickets off
	 * (GNUTLS_NO_AUTO_SEND_TICKET) sends one now; with no ticket key
	 * set, GnuTLS declines.
	 */
	if (!st->client && !st->ticket_sent) {
		ret = gnutls_session_ticket_send(st->session, 1, 0);
		if (ret)
			quic_log_debug("socket %d: no session ticket sent: %s",
				       st->fd, gnutls_strerror(ret));
	}

	if (quic_log_enabled(LOG_INFO)) {
		char *desc = gnutls_session_get_desc(st->session);
		int has_alpn = !gnutls_alpn_get_selected_protocol(st->session,
								  &alpn);

		quic_log_info("socket %d: %s handshake complete: %s%s, ALPN %.*s",
			      st->fd, st->client ? "client" : "server",
			      desc ? desc : "",
			      gnutls_session_is_resumed(st->session) ?
				" (resumed)" : "",
			      has_alpn ? (int)alpn.size : 4,
			      has_alpn ? (const char *)alpn.data : "none");
		gnutls_free(desc);
	}
	return 0;
}

/* Let GnuTLS act on what it has been given. */
static int quic_hs_run(struct quic_hs *st)
{
	int ret = gnutls_handshake(st->session);

	if (!ret)
		return quic_hs_complete(st);
	if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED) {
		if (st->cb_err)	/* a callback failed in a way GnuTLS hid */
			return quic_hs_tls_fail(st, GNUTLS_E_INTERNAL_ERROR,
						"in a callback");
		return 0;
	}
	return quic_hs_tls_fail(st, ret, "in GnuTLS");
}

/* Prepare the next step: send what is queued, else done or receive. */
static int quic_hs_next(struct quic_hs *st, struct quic_handshake_step **pstep)
{
	struct quic_handshake_info info;
	struct quic_hs_msg *m = st->out;
	struct cmsghdr *cmsg;

	memset(&st->msg, 0, sizeof(st->msg));
	st->step.retval = 0;
	st->step.msg = &st->msg;
	st->msg.msg_iov = &st->iov;
	st->msg.msg_iovlen = 1;
	st->msg.msg_control = st->ctl;

	if (m) {
		st->iov.iov_base = m->data + m->off;
		st->iov.iov_len = m->len - m->off;
		memset(st->ctl, 0, sizeof(st->ctl));
		st->msg.msg_controllen =
			CMSG_SPACE(sizeof(struct quic_handshake_info));
		cmsg = CMSG_FIRSTHDR(&st->msg);
		cmsg->cmsg_level = SOL_QUIC;
		cmsg->cmsg_type = QUIC_HANDSHAKE_INFO;
		cmsg->cmsg_len = CMSG_LEN(sizeof(info));
		info.crypto_level = m->level;
		memcpy(CMSG_DATA(cmsg), &info, sizeof(info));
		st->step.op = QUIC_HANDSHAKE_STEP_OP_SENDMSG;
		st->step.flags = MSG_NOSIGNAL;
		*pstep = &st->step;
		return 0;
	}
	if (st->complete) {
		*pstep = NULL;
		return 0;
	}
	st->iov.iov_base = st->rbuf;
	st->iov.iov_len = QUIC_HS_RECV_MAX;
	st->msg.msg_controllen = sizeof(st->ctl);
	st->step.op = QUIC_HANDSHAKE_STEP_OP_RECVMSG;
	st->step.flags = 0;
	*pstep = &st->step;
	return 0;
}

/* An event instead of handshake data: the peer's close ends it all. */
static int quic_hs_event(struct quic_hs *st, size_t len)
{
	struct quic_connection_close close;

	if (len >= 1 + sizeof(close) &&
	    st->rbuf[0] == QUIC_EVENT_CONNECTION_CLOSE) {
		memcpy(&close, st->rbuf + 1, sizeof(close));
		close.phrase[sizeof(close.phrase) - 1] = '\0';
		quic_log_error("socket %d: the peer closed the connection during the handshake: error 0x%x \"%s\"",
			       st->fd, close.errcode, (const char *)close.phrase);
		st->failed = -ECONNREFUSED;
		return st->failed;
	}
	quic_log_debug("socket %d: event %u ignored during the handshake",
		       st->fd, len ? st->rbuf[0] : 0);
	return 0;
}

/* What recvmsg() brought: feed it to GnuTLS at its level. */
static int quic_hs_received(struct quic_hs *st, size_t len)
{
	struct quic_handshake_info info;
	struct cmsghdr *cmsg;
	int found = 0, ret;

	if (st->msg.msg_flags & MSG_QUIC_NOTIFICATION)
		return quic_hs_event(st, len);
	if (!len) {
		quic_log_error("socket %d: the connection closed during the handshake",
			       st->fd);
		st->failed = -ECONNRESET;
		return st->failed;
	}
	if (st->msg.msg_flags & MSG_TRUNC) {
		quic_log_error("socket %d: handshake data was cut (MSG_TRUNC)",
			       st->fd);
		st->failed = -EMSGSIZE;
		return st->failed;
	}
	for (cmsg = CMSG_FIRSTHDR(&st->msg); cmsg;
	     cmsg = CMSG_NXTHDR(&st->msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_QUIC ||
		    cmsg->cmsg_type != QUIC_HANDSHAKE_INFO ||
		    cmsg->cmsg_len < CMSG_LEN(sizeof(info)))
			continue;
		memcpy(&info, CMSG_DATA(cmsg), sizeof(info));
		found = 1;
		break;
	}
	if (!found) {
		quic_log_error("socket %d: %zu bytes came without a QUIC_HANDSHAKE_INFO cmsg%s",
			       st->fd, len,
			       st->msg.msg_flags & MSG_CTRUNC ?
				" (control data cut)" : "");
		st->failed = -EPROTO;
		return st->failed;
	}
	if (info.crypto_level != QUIC_CRYPTO_INITIAL &&
	    info.crypto_level != QUIC_CRYPTO_HANDSHAKE &&
	    info.crypto_level != QUIC_CRYPTO_APP) {
		quic_log_error("socket %d: handshake data at crypto level %u",
			       st->fd, info.crypto_level);
		st->failed = -EPROTO;
		return st->failed;
	}
	quic_log_debug("socket %d: %zu bytes of %s handshake data received",
		       st->fd, len, quic_level_name(info.crypto_level));

	ret = gnutls_handshake_write(st->session,
				     quic_level_to_gnutls(info.crypto_level),
				     st->rbuf, len);
	if (ret < 0)
		return quic_hs_tls_fail(st, ret, "processing received data");
	if (st->complete)	/* post-handshake, e.g. a NewSessionTicket */
		return 0;
	return quic_hs_run(st);
}

/* ---------------------------------------------------------- public API */

/**
 * quic_handshake_init - start a caller-driven handshake
 * @session: a GnuTLS session set up by the caller (credentials, priority,
 *	ALPN, server name...) whose transport is the QUIC socket
 *	(gnutls_transport_set_int()); for QUIC, initialise it with
 *	GNUTLS_NO_END_OF_EARLY_DATA, and with GNUTLS_ENABLE_EARLY_DATA for 0-RTT
 * @pstep: out: the first step
 *
 * Each step asks for one sendmsg() or recvmsg() on the socket with
 * (*pstep)->msg and (*pstep)->flags; store its result (the byte count, or
 * -1 with errno as the call left it, or a negative errno) in
 * (*pstep)->retval and call quic_handshake_step().  A step that failed
 * with EINTR or EAGAIN is handed back unchanged: repeat it (after poll()
 * for EAGAIN).  When a call returns 0 with *pstep NULL the handshake is
 * complete.  quic_handshake_deinit() frees the state, whatever happened.
 *
 * Return: 0, or a negative errno (nothing to deinit then).
 */
QUIC_EXPORT int quic_handshake_init(gnutls_session_t session,
				    struct quic_handshake_step **pstep)
{
	struct quic_hs *st;
	int ret;

	if (!session || !pstep)
		return -EINVAL;
	*pstep = NULL;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->rbuf = malloc(QUIC_HS_RECV_MAX);
	if (!st->rbuf) {
		free(st);
		return -ENOMEM;
	}
	st->session = session;
	st->fd = gnutls_transport_get_int(session);
	st->tls_alert = -1;
	st->cb_alert = -1;

	ret = quic_hs_add(st);
	if (ret) {
		quic_log_error("socket %d: a QUIC handshake is already running on this session",
			       st->fd);
		quic_hs_free(st);
		return ret;
	}

	ret = gnutls_session_ext_register(session, "quic_transport_parameters",
					  QUIC_TP_EXT_TYPE, GNUTLS_EXT_TLS,
					  quic_tp_recv_func, quic_tp_send_func,
					  NULL, NULL, NULL,
					  GNUTLS_EXT_FLAG_TLS |
					  GNUTLS_EXT_FLAG_CLIENT_HELLO |
					  GNUTLS_EXT_FLAG_EE);
	if (ret) {
		quic_log_error("socket %d: registering the quic_transport_parameters extension failed: %s",
			       st->fd, gnutls_strerror(ret));
		quic_hs_free(quic_hs_remove(session));
		return ret == GNUTLS_E_ALREADY_REGISTERED ? -EALREADY : -EINVAL;
	}
	gnutls_handshake_set_read_function(session, quic_hs_read_func);
	gnutls_handshake_set_secret_function(session, quic_hs_secret_func);
	gnutls_alert_set_read_function(session, quic_hs_alert_func);

	/* a client makes its ClientHello now; a server has nothing to do */
	ret = quic_hs_run(st);
	if (!ret)
		gnutls_ext_set_data(session, QUIC_TP_EXT_TYPE,
				    st->client ? QUIC_HS_MARK_CLIENT
					       : QUIC_HS_MARK_SERVER);
	if (!ret)
		ret = quic_hs_next(st, pstep);
	if (ret) {
		quic_hs_free(quic_hs_remove(session));
		*pstep = NULL;
	}
	return ret;
}

/**
 * quic_handshake_step - go on with a caller-driven handshake
 * @session: the session given to quic_handshake_init()
 * @pstep: in: the step just carried out, its retval filled in;
 *	out: the next step, or NULL when the handshake is complete
 *
 * Return: 0, or a negative errno once the handshake has failed (the peer
 * has been told when the failure was a TLS one).
 */
QUIC_EXPORT int quic_handshake_step(gnutls_session_t session,
				    struct quic_handshake_step **pstep)
{
	struct quic_hs *st;
	struct quic_hs_msg *m;
	ssize_t r;
	int err, ret;

	if (!session || !pstep)
		return -EINVAL;
	st = quic_hs_find(session);
	if (!st) {
		quic_log_error("quic_handshake_step: no handshake was started on this session");
		return -EINVAL;
	}
	if (st->failed)
		return st->failed;
	if (!*pstep)
		return st->complete && !st->out ? 0 : -EINVAL;
	if (*pstep != &st->step)
		return -EINVAL;

	r = st->step.retval;
	if (r < 0) {
		err = quic_hs_syscall_errno(r);
		if (err == EINTR || err == EAGAIN || err == EWOULDBLOCK)
			return 0;	/* the same step again */
		quic_log_error("socket %d: %s failed during the handshake: %s",
			       st->fd,
			       st->step.op == QUIC_HANDSHAKE_STEP_OP_SENDMSG ?
				"sendmsg" : "recvmsg", strerror(err));
		st->failed = -err;
		return st->failed;
	}

	if (st->step.op == QUIC_HANDSHAKE_STEP_OP_SENDMSG) {
		m = st->out;
		if (!m || (size_t)r > m->len - m->off)
			return -EINVAL;
		quic_log_debug("socket %d: %zd bytes of %s handshake data sent",
			       st->fd, r, quic_level_name(m->level));
		m->off += (size_t)r;
		if (m->off == m->len) {
			st->out = m->next;
			if (!st->out)
				st->out_tail = NULL;
			free(m->data);
			free(m);
		}
	} else if (st->step.op == QUIC_HANDSHAKE_STEP_OP_RECVMSG) {
		if ((size_t)r > QUIC_HS_RECV_MAX)
			return -EINVAL;
		ret = quic_hs_received(st, (size_t)r);
		if (ret)
			return ret;
	} else {
		return -EINVAL;
	}
	return quic_hs_next(st, pstep);
}

/**
 * quic_handshake_deinit - free what quic_handshake_init() set up
 * @session: the session; it stays the caller's, usable for
 *	quic_session_get_data() and quic_session_get_alpn()
 */
QUIC_EXPORT void quic_handshake_deinit(gnutls_session_t session)
{
	if (session)
		quic_hs_free(quic_hs_remove(session));
}

/* The timeout of @fd in the direction of @op in ms, -1 for none. */
static int quic_sock_timeout(int fd, int op)
{
	struct timeval tv;
	socklen_t len = sizeof(tv);

	if (getsockopt(fd, SOL_SOCKET,
		       op == QUIC_HANDSHAKE_STEP_OP_SENDMSG ? SO_SNDTIMEO
							    : SO_RCVTIMEO,
		       &tv, &len) || (!tv.tv_sec && !tv.tv_usec))
		return -1;
	if (tv.tv_sec > 1000000)
		return 1000000000;
	return (int)(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
}

/**
 * quic_handshake - run a handshake on a QUIC socket, blocking
 * @session: a GnuTLS session set up by the caller, with the socket as its
 *	transport (gnutls_transport_set_int())
 *
 * A blocking socket waits as long as its SO_RCVTIMEO (SO_SNDTIMEO) allow;
 * a non-blocking one is polled for as long.
 *
 * Return: 0, or a negative errno: -ETIMEDOUT when the peer was silent for
 * too long, -EKEYREJECTED when the peer's certificate or key was refused,
 * -ECONNREFUSED when the peer closed the connection, -EPROTO for other
 * protocol failures, the errno of a failed system call otherwise.
 */
QUIC_EXPORT int quic_handshake(gnutls_session_t session)
{
	struct quic_handshake_step *step;
	struct pollfd pfd;
	int fd, ret, err, timeout;
	ssize_t r;

	if (!session)
		return -EINVAL;
	fd = gnutls_transport_get_int(session);
	ret = quic_handshake_init(session, &step);
	if (ret)
		return ret;

	while (step) {
		if (step->op == QUIC_HANDSHAKE_STEP_OP_SENDMSG)
			r = sendmsg(fd, step->msg, step->flags);
		else
			r = recvmsg(fd, step->msg, step->flags);
		if (r < 0) {
			err = errno;
			if (err == EINTR)
				continue;
			if (err == EAGAIN || err == EWOULDBLOCK) {
				timeout = quic_sock_timeout(fd, step->op);
				if (!(fcntl(fd, F_GETFL) & O_NONBLOCK)) {
					ret = -ETIMEDOUT;
				} else {
					pfd.fd = fd;
					pfd.events = step->op ==
						QUIC_HANDSHAKE_STEP_OP_SENDMSG ?
						POLLOUT : POLLIN;
					do {
						ret = poll(&pfd, 1, timeout);
					} while (ret < 0 && errno == EINTR);
					if (ret > 0)
						continue;
					ret = ret ? -errno : -ETIMEDOUT;
				}
				quic_log_error("socket %d: the handshake timed out waiting to %s",
					       fd, step->op ==
					       QUIC_HANDSHAKE_STEP_OP_SENDMSG ?
					       "send" : "receive");
				break;
			}
			errno = err;
		}
		step->retval = r;
		ret = quic_handshake_step(session, &step);
		if (ret)
			break;
	}
	quic_handshake_deinit(session);
	return ret;
}

/**
 * quic_session_get_data - the data to resume this session later
 * @session: a client session after its handshake
 * @data: buffer for the data, may be NULL to ask for the size
 * @size: in: the buffer's size; out: the data's size
 *
 * A client's session tickets arrive after the handshake; the kernel keeps
 * them for QUIC_SOCKOPT_SESSION_TICKET, and they are passed to GnuTLS
 * here first.
 *
 * Return: 0, -ENOSPC when @data is too small (@size tells what is
 * needed), or another negative errno.
 */
QUIC_EXPORT int quic_session_get_data(gnutls_session_t session, void *data,
				      size_t *size)
{
	gnutls_ext_priv_data_t mark = NULL;
	socklen_t len;
	uint8_t *buf;
	int fd, ret;

	if (!session || !size)
		return -EINVAL;

	if (!gnutls_ext_get_data(session, QUIC_TP_EXT_TYPE, &mark) &&
	    mark == QUIC_HS_MARK_CLIENT) {
		fd = gnutls_transport_get_int(session);
		buf = malloc(QUIC_TICKET_MAX);
		if (!buf)
			return -ENOMEM;
		len = QUIC_TICKET_MAX;
		if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET, buf,
			       &len)) {
			quic_log_debug("socket %d: no session ticket from the kernel: %s",
				       fd, strerror(errno));
			len = 0;
		}
		if (len) {
			ret = gnutls_handshake_write(session,
					GNUTLS_ENCRYPTION_LEVEL_APPLICATION,
					buf, len);
			if (ret) {
				quic_log_error("socket %d: processing the session ticket (%u bytes) failed: %s",
					       fd, (unsigned int)len,
					       gnutls_strerror(ret));
				free(buf);
				return quic_errno_from_gnutls(ret);
			}
		}
		free(buf);
	}

	ret = gnutls_session_get_data(session, data, size);
	if (ret == GNUTLS_E_SHORT_MEMORY_BUFFER)
		return -ENOSPC;
	if (ret) {
		quic_log_error("getting the session data failed: %s",
			       gnutls_strerror(ret));
		return quic_errno_from_gnutls(ret);
	}
	return 0;
}

/**
 * quic_session_set_data - resume a session in the next handshake
 * @session: a client session, before quic_handshake()
 * @data: what quic_session_get_data() gave for an earlier session
 * @size: its size
 *
 * With GNUTLS_ENABLE_EARLY_DATA on the session and a ticket that allows
 * it, the handshake also makes the 0-RTT keys.
 *
 * Return: 0 or a negative errno.
 */
QUIC_EXPORT int quic_session_set_data(gnutls_session_t session,
				      const void *data, size_t size)
{
	int ret;

	if (!session || !data || !size)
		return -EINVAL;
	ret = gnutls_session_set_data(session, data, size);
	if (ret) {
		quic_log_error("setting the session data (%zu bytes) failed: %s",
			       size, gnutls_strerror(ret));
		return ret == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EINVAL;
	}
	return 0;
}
