// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libquic handshake entry points: the TLS 1.3 handshake of an IPPROTO_QUIC
 * socket on a GnuTLS session the application set up, caller-driven
 * (quic_handshake_init/step/deinit) or blocking (quic_handshake()), and
 * the resumption data of a session.  The GnuTLS callbacks and the
 * messages to and from the kernel are in tls.c.
 *
 * The step API never calls sendmsg() or recvmsg(): each step tells the
 * caller which call to make, and the caller reports the result.
 * quic_handshake() is the blocking loop over it.
 *
 * The per-handshake state lives from quic_handshake_init() to
 * quic_handshake_deinit() in the private data of the extension 0x39 that
 * libquic registers on the session (see internal.h), so that the
 * application keeps gnutls_session_set_ptr() for itself and no handshake
 * waits for another's lock.  NSS key logging (SSLKEYLOGFILE) is GnuTLS's
 * own, which works for sessions in QUIC mode: libquic leaves the session's
 * keylog function as the application set it.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <gnutls/gnutls.h>

#include "internal.h"

/* The largest NewSessionTicket data fetched with QUIC_SOCKOPT_SESSION_TICKET. */
#define QUIC_TICKET_MAX		8192

/* ------------------------------------------------------ the state */

/* Is the session's extension 0x39 the one libquic registers?  The entry
 * points are handed sessions from the application, which may have
 * registered an extension 0x39 of its own (and then cannot run a QUIC
 * handshake through libquic); its private data is not libquic's.
 */
static int quic_hs_owns_ext(gnutls_session_t session)
{
	const char *name = gnutls_ext_get_name2(session, QUIC_TP_EXT_TYPE,
						GNUTLS_EXT_ANY);

	return name && !strcmp(name, QUIC_TP_EXT_NAME);
}

/* The running handshake of a session from the application, or NULL. */
static struct quic_hs *quic_hs_lookup(gnutls_session_t session)
{
	return quic_hs_owns_ext(session) ? quic_hs_get(session) : NULL;
}

static struct quic_hs *quic_hs_new(gnutls_session_t session)
{
	struct quic_hs *st;

	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->rbuf = malloc(QUIC_HS_RECV_MAX);
	if (!st->rbuf) {
		free(st);
		return NULL;
	}
	st->session = session;
	st->fd = gnutls_transport_get_int(session);
	st->tls_alert = -1;
	st->cb_alert = -1;
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

/* Take the state off its session, leaving @mark (a QUIC_HS_MARK_*, or
 * NULL when the handshake never started), and free it.
 */
static void quic_hs_detach(struct quic_hs *st, gnutls_ext_priv_data_t mark)
{
	gnutls_ext_set_data(st->session, QUIC_TP_EXT_TYPE, mark);
	quic_hs_free(st);
}

/* A syscall result the caller reported: the errno it failed with. */
static int quic_hs_syscall_errno(ssize_t retval)
{
	if (retval == -1)
		return errno ? errno : EIO;
	return (int)-retval;
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

	if (quic_hs_lookup(session)) {
		quic_log_error("socket %d: a QUIC handshake is already running on this session",
			       gnutls_transport_get_int(session));
		return -EALREADY;
	}
	st = quic_hs_new(session);
	if (!st)
		return -ENOMEM;
	ret = quic_hs_register(st);
	if (ret) {
		/* the extension, and its private data, are not ours */
		quic_hs_free(st);
		return ret == GNUTLS_E_ALREADY_REGISTERED ? -EALREADY : -EINVAL;
	}

	quic_session_early_setup(session);
	/* a client makes its ClientHello now; a server has nothing to do */
	ret = quic_hs_run(st);
	if (!ret)
		ret = quic_hs_next(st, pstep);
	if (ret) {
		quic_hs_detach(st, NULL);
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
	ssize_t r;
	int err, ret;

	if (!session || !pstep)
		return -EINVAL;
	st = quic_hs_lookup(session);
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
		ret = quic_hs_sent(st, (size_t)r);
	} else if (st->step.op == QUIC_HANDSHAKE_STEP_OP_RECVMSG) {
		if ((size_t)r > QUIC_HS_RECV_MAX)
			return -EINVAL;
		ret = quic_hs_received(st, (size_t)r);
	} else {
		ret = -EINVAL;
	}
	if (ret)
		return ret;
	return quic_hs_next(st, pstep);
}

/**
 * quic_handshake_deinit - free what quic_handshake_init() set up
 * @session: the session; it stays the caller's, usable for
 *	quic_session_get_data() and quic_session_get_alpn()
 */
QUIC_EXPORT void quic_handshake_deinit(gnutls_session_t session)
{
	struct quic_hs *st;

	if (!session)
		return;
	st = quic_hs_lookup(session);
	if (st)
		quic_hs_detach(st, st->client ? QUIC_HS_MARK_CLIENT
					      : QUIC_HS_MARK_SERVER);
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

/* A step failed with EAGAIN: wait for the socket as long as its timeout
 * allows.  0 to make the step again, or a negative errno, logged.
 */
static int quic_hs_wait(int fd, int op)
{
	int timeout = quic_sock_timeout(fd, op);
	struct pollfd pfd;
	int ret;

	if (!(fcntl(fd, F_GETFL) & O_NONBLOCK)) {
		/* a blocking socket has waited its SO_RCVTIMEO out */
		ret = -ETIMEDOUT;
	} else {
		pfd.fd = fd;
		pfd.events = op == QUIC_HANDSHAKE_STEP_OP_SENDMSG ? POLLOUT
								  : POLLIN;
		do {
			ret = poll(&pfd, 1, timeout);
		} while (ret < 0 && errno == EINTR);
		if (ret > 0)
			return 0;
		ret = ret ? -errno : -ETIMEDOUT;
	}
	quic_log_error("socket %d: the handshake timed out waiting to %s", fd,
		       op == QUIC_HANDSHAKE_STEP_OP_SENDMSG ? "send" : "receive");
	return ret;
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
	int fd, ret, err;
	ssize_t r;

	if (!session)
		return -EINVAL;
	fd = gnutls_transport_get_int(session);
	ret = quic_handshake_init(session, &step);
	if (ret)
		return ret;

	while (step) {
		if (step->op == QUIC_HANDSHAKE_STEP_OP_SENDMSG)
			r = sendmsg(fd, step->s_sendmsg.msg,
				    step->s_sendmsg.flags);
		else
			r = recvmsg(fd, step->s_recvmsg.msg,
				    step->s_recvmsg.flags);
		if (r < 0) {
			err = errno;
			if (err == EINTR)
				continue;
			if (err == EAGAIN || err == EWOULDBLOCK) {
				ret = quic_hs_wait(fd, step->op);
				if (!ret)
					continue;
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

/* ------------------------------------------------------ resumption */

/* Did the session's handshake start as a client?  While it runs, its
 * state knows; after quic_handshake_deinit(), the mark left in its place.
 */
static int quic_hs_is_client(gnutls_session_t session)
{
	gnutls_ext_priv_data_t priv;
	struct quic_hs *st;

	if (!quic_hs_owns_ext(session) ||
	    gnutls_ext_get_data(session, QUIC_TP_EXT_TYPE, &priv))
		return 0;
	if (priv == QUIC_HS_MARK_CLIENT)
		return 1;
	st = quic_hs_get(session);
	return st && st->client;
}

/* Pass the session ticket the kernel kept (if any) to GnuTLS. */
static int quic_session_take_ticket(gnutls_session_t session)
{
	int fd = gnutls_transport_get_int(session);
	socklen_t len = QUIC_TICKET_MAX;
	uint8_t *buf;
	int ret;

	buf = malloc(QUIC_TICKET_MAX);
	if (!buf)
		return -ENOMEM;
	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET, buf, &len)) {
		quic_log_debug("socket %d: no session ticket from the kernel: %s",
			       fd, strerror(errno));
		len = 0;
	}
	ret = 0;
	if (len) {
		ret = gnutls_handshake_write(session,
					     GNUTLS_ENCRYPTION_LEVEL_APPLICATION,
					     buf, len);
		if (ret) {
			quic_log_error("socket %d: processing the session ticket (%u bytes) failed: %s",
				       fd, (unsigned int)len,
				       gnutls_strerror(ret));
			ret = quic_errno_from_gnutls(ret);
		}
	}
	free(buf);
	return ret;
}

/**
 * quic_session_get_data - the data to resume this session later
 * @session: a client session after its handshake
 * @data: buffer for the data, may be NULL to ask for the size
 * @size: in: the buffer's size; out: the data's size
 *
 * A client's session tickets arrive after the handshake; the kernel keeps
 * the last one for QUIC_SOCKOPT_SESSION_TICKET, and it is passed to
 * GnuTLS here first.  Without a ticket there is nothing to resume with:
 * -ENODATA, not data that would make the next handshake a full one.
 *
 * Return: 0, -ENODATA when a client has no ticket (none arrived yet, or
 * the server sends none), -ENOSPC when @data is too small (@size tells
 * what is needed), or another negative errno.
 */
QUIC_EXPORT int quic_session_get_data(gnutls_session_t session, void *data,
				      size_t *size)
{
	int ret;

	if (!session || !size)
		return -EINVAL;

	if (quic_hs_is_client(session)) {
		ret = quic_session_take_ticket(session);
		if (ret)
			return ret;
		if (!(gnutls_session_get_flags(session) &
		      GNUTLS_SFLAGS_SESSION_TICKET)) {
			quic_log_debug("no session ticket: nothing to resume with");
			return -ENODATA;
		}
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
