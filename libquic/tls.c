// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libquic GnuTLS glue: the callbacks GnuTLS calls while it runs the TLS 1.3
 * handshake of an IPPROTO_QUIC socket (RFC 9001), and the handshake
 * messages to and from the kernel.
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
 * Every callback finds its handshake with quic_hs_get(): the private data
 * of extension 0x39 (see internal.h for why there).  This file never calls
 * sendmsg() or recvmsg() itself: quic_hs_next() prepares the call for the
 * caller, and quic_hs_sent() and quic_hs_received() take its result.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <gnutls/gnutls.h>

#include "internal.h"

/* The TLS ALPN extension (RFC 7301). */
#define QUIC_ALPN_EXT_TYPE	0x10
/* The largest transport parameters extension body taken from the kernel. */
#define QUIC_TP_EXT_MAX		4096

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

/* Append a message to the sendmsg() queue: to the last entry when it has
 * the same level and none of it went out yet, so that a flight goes in as
 * few sendmsg() calls as possible.  0 or -ENOMEM.
 */
static int quic_hs_queue(struct quic_hs *st, uint8_t level, const void *data,
			 size_t size)
{
	struct quic_hs_msg *m = st->out_tail;

	if (!m || m->level != level || m->off) {
		m = calloc(1, sizeof(*m));
		if (!m)
			return -ENOMEM;
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
			return -ENOMEM;
		m->data = d;
		m->cap = cap;
	}
	memcpy(m->data + m->len, data, size);
	m->len += size;
	return 0;
}

/* ---------------------------------------------------- GnuTLS callbacks */

/* An outgoing handshake message: queue it for a sendmsg() step. */
static int quic_hs_read_func(gnutls_session_t session,
			     gnutls_record_encryption_level_t glevel,
			     gnutls_handshake_description_t htype,
			     const void *data, size_t size)
{
	struct quic_hs *st = quic_hs_get(session);
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
	if (quic_hs_queue(st, (uint8_t)level, data, size))
		return quic_hs_cb_fail(st, -ENOMEM, QUIC_ALERT_INTERNAL_ERROR, 0);
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
	struct quic_hs *st = quic_hs_get(session);
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
	struct quic_hs *st = quic_hs_get(session);

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
	struct quic_hs *st = quic_hs_get(session);
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
	struct quic_hs *st = quic_hs_get(session);
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

/* quic_handshake_init()'s set-up of the session; see internal.h. */
int quic_hs_register(struct quic_hs *st)
{
	int ret;

	ret = gnutls_session_ext_register(st->session, QUIC_TP_EXT_NAME,
					  QUIC_TP_EXT_TYPE, GNUTLS_EXT_TLS,
					  quic_tp_recv_func, quic_tp_send_func,
					  NULL, NULL, NULL,
					  GNUTLS_EXT_FLAG_TLS |
					  GNUTLS_EXT_FLAG_CLIENT_HELLO |
					  GNUTLS_EXT_FLAG_EE);
	if (ret) {
		quic_log_error("socket %d: registering the quic_transport_parameters extension failed: %s",
			       st->fd, gnutls_strerror(ret));
		return ret;
	}
	/* the callbacks below find @st from now on */
	gnutls_ext_set_data(st->session, QUIC_TP_EXT_TYPE, st);
	gnutls_handshake_set_read_function(st->session, quic_hs_read_func);
	gnutls_handshake_set_secret_function(st->session, quic_hs_secret_func);
	gnutls_alert_set_read_function(st->session, quic_hs_alert_func);
	return 0;
}

/* ------------------------------------------------------- state machine */

/* Tell the kernel the protocol agreed on (ALPN), if any.  A kernel that
 * has no such option, or that knows the ALPN already, is no failure.
 * 0 or a negative errno.
 */
static int quic_hs_set_alpn(struct quic_hs *st)
{
	gnutls_datum_t alpn;
	int err;

	if (gnutls_alpn_get_selected_protocol(st->session, &alpn))
		return 0;
	if (!setsockopt(st->fd, SOL_QUIC, QUIC_SOCKOPT_ALPN, alpn.data,
			alpn.size))
		return 0;
	err = errno;
	if (err == ENOPROTOOPT || err == EISCONN) {
		quic_log_debug("socket %d: not setting ALPN %.*s: %s",
			       st->fd, (int)alpn.size, (const char *)alpn.data,
			       strerror(err));
		return 0;
	}
	quic_log_error("socket %d: setting the ALPN %.*s failed: %s",
		       st->fd, (int)alpn.size, (const char *)alpn.data,
		       strerror(err));
	return -err;
}

static void quic_hs_log_complete(struct quic_hs *st)
{
	char *desc = gnutls_session_get_desc(st->session);
	gnutls_datum_t alpn;
	int has_alpn = !gnutls_alpn_get_selected_protocol(st->session, &alpn);

	quic_log_info("socket %d: %s handshake complete: %s%s, ALPN %.*s",
		      st->fd, st->client ? "client" : "server",
		      desc ? desc : "",
		      gnutls_session_is_resumed(st->session) ?
			" (resumed)" : "",
		      has_alpn ? (int)alpn.size : 4,
		      has_alpn ? (const char *)alpn.data : "none");
	gnutls_free(desc);
}

/* GnuTLS reported the handshake complete. */
static int quic_hs_complete(struct quic_hs *st)
{
	int ret;

	if (!st->app_have[0] || !st->app_have[1]) {
		quic_log_error("socket %d: the handshake completed without 1-RTT secrets",
			       st->fd);
		quic_hs_cb_fail(st, -EPROTO, QUIC_ALERT_INTERNAL_ERROR, 0);
		return quic_hs_tls_fail(st, GNUTLS_E_INTERNAL_ERROR,
					"at completion");
	}

	/* before the kernel sees the handshake complete */
	ret = quic_hs_set_alpn(st);
	if (ret) {
		quic_hs_cb_fail(st, ret, QUIC_ALERT_INTERNAL_ERROR, 0);
		return quic_hs_tls_fail(st, GNUTLS_E_INTERNAL_ERROR,
					"at completion");
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

	if (quic_log_enabled(LOG_INFO))
		quic_hs_log_complete(st);
	return 0;
}

/* Let GnuTLS act on what it has been given. */
int quic_hs_run(struct quic_hs *st)
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

/* -------------------------------------------------- kernel message I/O */

/* Prepare the next step: send what is queued, else done or receive. */
int quic_hs_next(struct quic_hs *st, struct quic_handshake_step **pstep)
{
	struct quic_handshake_info info;
	struct quic_hs_msg *m = st->out;
	struct cmsghdr *cmsg;

	memset(&st->msg, 0, sizeof(st->msg));
	st->step.retval = 0;
	st->step.s_sendmsg.msg = &st->msg;
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
		st->step.s_sendmsg.flags = MSG_NOSIGNAL;
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
	st->step.s_recvmsg.msg = &st->msg;
	st->step.s_recvmsg.flags = 0;
	*pstep = &st->step;
	return 0;
}

/* What sendmsg() took: drop it from the queue. */
int quic_hs_sent(struct quic_hs *st, size_t len)
{
	struct quic_hs_msg *m = st->out;

	if (!m || len > m->len - m->off)
		return -EINVAL;
	quic_log_debug("socket %d: %zu bytes of %s handshake data sent",
		       st->fd, len, quic_level_name(m->level));
	m->off += len;
	if (m->off == m->len) {
		st->out = m->next;
		if (!st->out)
			st->out_tail = NULL;
		free(m->data);
		free(m);
	}
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
int quic_hs_received(struct quic_hs *st, size_t len)
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
