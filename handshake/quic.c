// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * quic-handshaked: the TLS 1.3 handshake of an IPPROTO_QUIC socket a
 * kernel consumer handed over, with libquic's step API, so that every
 * wait is bounded by the request's deadline.  What the consumer asked for
 * is in the socket: QUIC_SOCKOPT_CONFIG (certificate_request, the
 * preferred cipher, receive_session_ticket), QUIC_SOCKOPT_ALPN, and
 * QUIC_SOCKOPT_SESSION_TICKET (a server's ticket key, a client's session
 * data to resume with).
 */

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "daemon.h"

/* A server's ticket key (GnuTLS's size). */
#define HSD_TICKET_KEY_SIZE	64
/* Session data and tickets, as large as the kernel keeps. */
#define HSD_TICKET_MAX		8192
/* The longest ALPN list the kernel keeps, plus a NUL. */
#define HSD_ALPN_MAX		256
/* How long a client waits for a session ticket after the handshake. */
#define HSD_TICKET_WAIT_MS	2000

/* Drive the handshake step by step; every call is non-blocking. */
static int hsd_quic_drive(gnutls_session_t session, int fd, int64_t deadline)
{
	struct quic_handshake_step *step;
	struct pollfd pfd = { .fd = fd };
	int64_t left;
	ssize_t n;
	int ret;

	ret = quic_handshake_init(session, &step);
	if (ret)
		return ret;
	while (step) {
		left = deadline - hsd_now_ms();
		if (left <= 0) {
			hsd_err("socket %d: the handshake timed out", fd);
			ret = -ETIMEDOUT;
			break;
		}
		if (step->op == QUIC_HANDSHAKE_STEP_OP_SENDMSG)
			n = sendmsg(fd, step->s_sendmsg.msg,
				    step->s_sendmsg.flags | MSG_DONTWAIT |
				    MSG_NOSIGNAL);
		else
			n = recvmsg(fd, step->s_recvmsg.msg,
				    step->s_recvmsg.flags | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			pfd.events = step->op == QUIC_HANDSHAKE_STEP_OP_SENDMSG ?
				     POLLOUT : POLLIN;
			if (poll(&pfd, 1, (int)(left > 60000 ? 60000 : left)) < 0 &&
			    errno != EINTR) {
				ret = -errno;
				hsd_err("socket %d: poll failed: %s", fd,
					strerror(errno));
				break;
			}
			continue;
		}
		step->retval = n;
		ret = quic_handshake_step(session, &step);
		if (ret)
			break;
	}
	quic_handshake_deinit(session);
	return ret;
}

/* The peer closed the connection: with an alert that refuses us? */
static int hsd_quic_refused(int fd)
{
	struct quic_connection_close cc;
	socklen_t len = sizeof(cc);
	int alert;

	memset(&cc, 0, sizeof(cc));
	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_CLOSE, &cc, &len))
		return -EIO;
	if (cc.errcode < QUIC_TRANSPORT_ERROR_CRYPTO ||
	    cc.errcode > QUIC_TRANSPORT_ERROR_CRYPTO + 0xff)
		return -EIO;
	alert = (int)(cc.errcode & 0xff);
	if (!hsd_alert_is_auth(alert))
		return -EIO;
	hsd_err("socket %d: the peer refused our credentials (TLS alert %d)",
		fd, alert);
	return -EACCES;
}

static int hsd_quic_alpn(gnutls_session_t session, int fd)
{
	char buf[HSD_ALPN_MAX + 1];
	socklen_t len = HSD_ALPN_MAX;
	int ret;

	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_ALPN, buf, &len)) {
		hsd_debug("socket %d: no ALPN: %s", fd, strerror(errno));
		return 0;
	}
	if (len > HSD_ALPN_MAX)
		len = HSD_ALPN_MAX;
	buf[len] = '\0';
	len = (socklen_t)strlen(buf);
	if (!len)
		return 0;
	ret = quic_session_set_alpn(session, buf, len);
	if (ret) {
		hsd_err("socket %d: ALPN \"%s\" refused: %s", fd, buf,
			strerror(-ret));
		return EINVAL;
	}
	hsd_debug("socket %d: ALPN \"%s\"", fd, buf);
	return 0;
}

static int hsd_quic_ticket_key(gnutls_session_t session, int fd)
{
	uint8_t key[HSD_TICKET_KEY_SIZE];
	socklen_t len = sizeof(key);
	gnutls_datum_t k = { key, sizeof(key) };
	int ret;

	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET, key, &len) ||
	    len != sizeof(key)) {
		hsd_debug("socket %d: no session ticket key: no tickets", fd);
		explicit_bzero(key, sizeof(key));
		return 0;
	}
	ret = gnutls_session_ticket_enable_server(session, &k);
	explicit_bzero(key, sizeof(key));
	if (ret)
		hsd_warn("socket %d: enabling session tickets failed: %s", fd,
			 gnutls_strerror(ret));
	return 0;
}

/* A client's session data to resume with, if the consumer set some. */
static void hsd_quic_resume(gnutls_session_t session, int fd, uint8_t *old,
			    socklen_t *oldlen)
{
	int ret;

	*oldlen = HSD_TICKET_MAX;
	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET, old, oldlen)) {
		*oldlen = 0;
		return;
	}
	if (!*oldlen)
		return;
	ret = quic_session_set_data(session, old, *oldlen);
	if (ret)
		hsd_warn("socket %d: the consumer's session data (%u bytes) refused: %s; a full handshake",
			 fd, (unsigned int)*oldlen, strerror(-ret));
	else
		hsd_debug("socket %d: resuming with %u bytes of session data",
			  fd, (unsigned int)*oldlen);
}

/*
 * The consumer asked for a session ticket: wait (a while) until the
 * kernel has one the server sent, and give the session data made of it
 * back to the socket, for the consumer to fetch.  The ticket is looked
 * for with getsockopt(), so that nothing of the consumer's is read.
 */
static void hsd_quic_ticket(gnutls_session_t session, int fd,
			    const uint8_t *old, socklen_t oldlen,
			    int64_t deadline)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	int64_t end = hsd_now_ms() + HSD_TICKET_WAIT_MS;
	uint8_t *buf;
	socklen_t len;
	size_t size;
	int ret;

	if (end > deadline)
		end = deadline;
	buf = malloc(HSD_TICKET_MAX);
	if (!buf)
		return;
	for (;;) {
		len = HSD_TICKET_MAX;
		if (!getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET, buf,
				&len) && len &&
		    (len != oldlen || memcmp(buf, old, len)))
			break;
		if (hsd_now_ms() >= end) {
			hsd_warn("socket %d: no session ticket from the server in %d ms",
				 fd, HSD_TICKET_WAIT_MS);
			goto out;
		}
		nanosleep(&nap, NULL);
	}
	size = HSD_TICKET_MAX;
	ret = quic_session_get_data(session, buf, &size);
	if (ret) {
		hsd_warn("socket %d: no session data from the ticket: %s", fd,
			 strerror(-ret));
		goto out;
	}
	if (setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET, buf,
		       (socklen_t)size))
		hsd_warn("socket %d: handing %zu bytes of session data to the kernel failed: %s",
			 fd, size, strerror(errno));
	else
		hsd_debug("socket %d: %zu bytes of session data for the consumer",
			  fd, size);
out:
	explicit_bzero(buf, HSD_TICKET_MAX);
	free(buf);
}

void hsd_quic_run(const struct hsd_config *cfg, const struct hsd_request *r,
		  int64_t deadline, struct hsd_result *res)
{
	int fd = r->a.sockfd, client = r->a.msg_type == HSD_MSG_TYPE_CLIENTHELLO;
	enum hsd_cert_req cert_req = HSD_CERT_NONE;
	struct quic_config qc;
	socklen_t len = sizeof(qc), oldlen = 0;
	uint8_t *old = NULL;
	struct hsd_tls t;
	int ret;

	memset(&qc, 0, sizeof(qc));
	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &qc, &len)) {
		hsd_warn("socket %d: reading its QUIC configuration failed: %s",
			 fd, strerror(errno));
		memset(&qc, 0, sizeof(qc));
	}
	/* 0 none, 1 request, 2 require, 3 no client authentication */
	if (qc.certificate_request == 1)
		cert_req = HSD_CERT_REQUEST;
	else if (qc.certificate_request == 2)
		cert_req = HSD_CERT_REQUIRE;

	memset(res, 0, sizeof(*res));
	ret = hsd_tls_init(&t, cfg, r, 1, cert_req, qc.payload_cipher_type);
	if (!ret)
		ret = hsd_quic_alpn(t.session, fd);
	if (!ret && !client)
		ret = hsd_quic_ticket_key(t.session, fd);
	if (!ret && client) {
		old = malloc(HSD_TICKET_MAX);
		if (old)
			hsd_quic_resume(t.session, fd, old, &oldlen);
	}
	if (ret) {
		res->status = (uint32_t)ret;
		goto out;
	}

	ret = hsd_quic_drive(t.session, fd, deadline);
	if (ret == -ECONNREFUSED)
		ret = hsd_quic_refused(fd);
	if (!ret && client && qc.receive_session_ticket)
		hsd_quic_ticket(t.session, fd, old, oldlen, deadline);
	hsd_tls_result(&t, ret, res);
out:
	if (old) {
		explicit_bzero(old, HSD_TICKET_MAX);
		free(old);
	}
	hsd_tls_free(&t);
}
