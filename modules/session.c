// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Session tickets and tokens as the socket options see them.
 *
 * A client's TLS library needs the NewSessionTicket messages the server
 * sends after the handshake (1-RTT CRYPTO frames, RFC 9001 section 4.1.3)
 * to resume later: the last one is kept whole for
 * QUIC_SOCKOPT_SESSION_TICKET and the NEW_SESSION_TICKET event.  Only the
 * TLS handshake message framing is read (type and length), never the
 * message.  The user may give back session data in its place, for a
 * kernel consumer to fetch.
 *
 * A server's TLS library needs a ticket key: it is derived from a secret
 * of the network namespace, the socket owner's uid and the local port,
 * so that every server socket of one owner on one port issues tickets
 * the others take, and no other user can read or forge them.
 */

#include <linux/siphash.h>
#include <net/sock.h>

#include "compat.h"
#include "conn.h"
#include "protocol.h"
#include "session.h"
#include "socket.h"
#include "token.h"

#define QUIC_TLS_NEW_SESSION_TICKET	4	/* RFC 8446 section 4 */

static void quic_session_buf_free(struct sock *sk, u8 **buf, u32 len)
{
	if (*buf)
		sock_kfree_s(sk, *buf, len);
	*buf = NULL;
}

/* a complete message: a ticket replaces the last one; others are dropped */
static void quic_session_msg_done(struct sock *sk)
{
	struct quic_session *s = &quic_sk(sk)->session;

	if (s->msg[0] == QUIC_TLS_NEW_SESSION_TICKET) {
		quic_session_buf_free(sk, &s->ticket, s->ticket_len);
		s->ticket = s->msg;
		s->ticket_len = s->msg_len;
		s->msg = NULL;
		quic_event_queue(sk, QUIC_EVENT_NEW_SESSION_TICKET, s->ticket,
				 s->ticket_len);
	}
	quic_session_buf_free(sk, &s->msg, s->msg_len);
	s->msg_len = 0;
}

/* take @len bytes at the read offset; return how many were used */
static u32 quic_session_take(struct sock *sk, const u8 *data, u32 len)
{
	struct quic_session *s = &quic_sk(sk)->session;
	u32 n, size;

	if (s->msg_skip) {
		n = min(len, s->msg_skip);
		s->msg_skip -= n;
		return n;
	}
	if (!s->msg) {
		n = min_t(u32, len, sizeof(s->hdr) - s->msg_len);
		memcpy(s->hdr + s->msg_len, data, n);
		s->msg_len += n;
		if (s->msg_len < sizeof(s->hdr))
			return n;
		size = get_unaligned_be32(s->hdr) & 0xffffff;
		s->msg_len = 0;
		if (size + sizeof(s->hdr) > QUIC_TICKET_MSG_MAX) {
			s->msg_skip = size;
			return n;
		}
		s->msg = sock_kmalloc(sk, size + sizeof(s->hdr), GFP_ATOMIC);
		if (!s->msg) {
			s->msg_skip = size;
			return n;
		}
		memcpy(s->msg, s->hdr, sizeof(s->hdr));
		s->msg_len = sizeof(s->hdr);
		/* from now on @hdr holds the body's length alone */
		put_unaligned_be32(size, s->hdr);
		if (!size)
			quic_session_msg_done(sk);
		return n;
	}
	size = (get_unaligned_be32(s->hdr) & 0xffffff) + sizeof(s->hdr);
	n = min(len, size - s->msg_len);
	memcpy(s->msg + s->msg_len, data, n);
	s->msg_len += n;
	if (s->msg_len == size)
		quic_session_msg_done(sk);
	return n;
}

/**
 * quic_session_rcv_crypto - CRYPTO data at the 1-RTT level
 * @sk: the socket, locked
 * @off: the data's offset in the stream
 * @data: the data
 * @len: its length
 *
 * Only data at the read offset is taken: what comes ahead of it is left
 * unacknowledged, and the peer sends it again.  A server has nothing to
 * take at this level (RFC 9001 section 4.4: no post-handshake messages
 * from a client); it is acknowledged and dropped.
 *
 * Return: 0, or -EAGAIN for data ahead of the read offset.
 */
int quic_session_rcv_crypto(struct sock *sk, u64 off, const u8 *data,
			    u64 len)
{
	struct quic_session *s = &quic_sk(sk)->session;
	u32 n;

	if (quic_is_serv(sk) || off + len <= s->off)
		return 0;
	if (off > s->off)
		return -EAGAIN;
	data += s->off - off;
	len -= s->off - off;
	while (len) {
		n = quic_session_take(sk, data, min_t(u64, len, U32_MAX));
		data += n;
		len -= n;
		s->off += n;
	}
	return 0;
}

/* replaces the kept token with a copy of @data, charged to option memory */
static int quic_session_keep_token(struct sock *sk, const u8 *data, u32 len)
{
	struct quic_session *s = &quic_sk(sk)->session;
	u8 *t;

	t = sock_kmalloc(sk, len, GFP_ATOMIC);
	if (!t)
		return -ENOMEM;
	memcpy(t, data, len);
	quic_session_buf_free(sk, &s->token, s->token_len);
	s->token = t;
	s->token_len = len;
	return 0;
}

/**
 * quic_session_rcv_token - a NEW_TOKEN frame's token, at a client
 * @sk: the socket, locked
 * @data: the token
 * @len: its length, 1 or more
 *
 * The last one is kept for QUIC_SOCKOPT_TOKEN (one larger than
 * QUIC_TOKEN_MAX is not: no server here sends one) and each goes out as
 * the NEW_TOKEN event.
 */
void quic_session_rcv_token(struct sock *sk, const u8 *data, u32 len)
{
	quic_event_queue(sk, QUIC_EVENT_NEW_TOKEN, data, len);
	if (len <= QUIC_TOKEN_MAX)
		quic_session_keep_token(sk, data, len);
}

/**
 * quic_session_retry_token - a Retry's token, for the Initials from now
 * on (in place of the one the user set)
 * @sk: the socket, locked
 * @data: the token
 * @len: its length, 1 to QUIC_TOKEN_MAX
 *
 * Return: 0 or -ENOMEM.
 */
int quic_session_retry_token(struct sock *sk, const u8 *data, u32 len)
{
	return quic_session_keep_token(sk, data, len);
}

/**
 * quic_session_new_token - a server gives its client a token for a
 * later connection, RFC 9000 section 8.1.3: when the handshake completes,
 * and when the user asks (QUIC_SOCKOPT_TOKEN)
 * @sk: the socket, locked; a server whose handshake completed
 *
 * Return: 0, -EINVAL (not such a server) or -ENOMEM.
 */
int quic_session_new_token(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	u8 token[QUIC_TOKEN_LEN_MAX];
	struct quic_frame *f;
	int len;

	if (!qs->conn.is_serv || !qs->conn.handshake_done ||
	    sk->sk_state != QUIC_SS_ESTABLISHED)
		return -EINVAL;
	len = quic_token_make(sock_net(sk), QUIC_TOKEN_NEW,
			      &qs->paths.act.peer, NULL, token);
	if (len < 0)
		return len;
	f = quic_frame_new_token(token, len, GFP_ATOMIC);
	if (!f)
		return -ENOMEM;
	quic_outq_add(sk, f);
	return 0;
}

/* replace *@buf (of *@len bytes) with @optlen bytes from the user */
static int quic_session_set_buf(struct sock *sk, u8 **buf, u16 *len,
				sockptr_t optval, unsigned int optlen)
{
	u8 *b = NULL;

	if (optlen) {
		b = sock_kmalloc(sk, optlen, GFP_KERNEL);
		if (!b)
			return -ENOMEM;
		if (copy_from_sockptr(b, optval, optlen)) {
			sock_kfree_s(sk, b, optlen);
			return -EFAULT;
		}
	}
	quic_session_buf_free(sk, buf, *len);
	*buf = b;
	*len = optlen;
	return 0;
}

static int quic_session_get_buf(const u8 *buf, u32 blen, int len,
				sockptr_t optval, sockptr_t optlen)
{
	if (len < (int)blen)
		return -EINVAL;
	len = blen;
	if (copy_to_sockptr(optlen, &len, sizeof(len)) ||
	    (blen && copy_to_sockptr(optval, buf, blen)))
		return -EFAULT;
	return 0;
}

/**
 * quic_session_set_ticket - QUIC_SOCKOPT_SESSION_TICKET on a client:
 * session data for the handshake of this connection, or the data made
 * from the tickets of this one (a kernel consumer fetches it); optlen 0
 * clears it
 * @sk: the socket, locked
 * @optval: the data
 * @optlen: its length, up to QUIC_TICKET_MAX
 *
 * Return: 0, -EINVAL (a server, too long), -ENOMEM or -EFAULT.
 */
int quic_session_set_ticket(struct sock *sk, sockptr_t optval,
			    unsigned int optlen)
{
	struct quic_session *s = &quic_sk(sk)->session;

	if (quic_is_serv(sk) || sk->sk_state == QUIC_SS_LISTENING ||
	    optlen > QUIC_TICKET_MAX)
		return -EINVAL;
	return quic_session_set_buf(sk, &s->ticket, &s->ticket_len, optval,
				    optlen);
}

/* the ticket key of a server socket: see the top of this file */
static void quic_session_ticket_key(struct sock *sk, u8 *key)
{
	struct quic_net *qn = quic_net(sock_net(sk));
	struct {
		u32	uid;
		__be16	port;
		u16	i;
	} in = {
		.uid = from_kuid_munged(&init_user_ns, sk_uid(sk)),
		.port = inet_sk(sk)->inet_sport,
	};
	u64 h;

	for (in.i = 0; in.i < QUIC_TICKET_KEY_LEN / sizeof(h); in.i++) {
		h = siphash(&in, sizeof(in), &qn->ticket_key);
		memcpy(key + in.i * sizeof(h), &h, sizeof(h));
	}
	memzero_explicit(&h, sizeof(h));
}

/**
 * quic_session_get_ticket - QUIC_SOCKOPT_SESSION_TICKET: a server's
 * ticket key (QUIC_TICKET_KEY_LEN bytes), or a client's last ticket or
 * session data (0 bytes when there is none)
 * @sk: the socket, locked
 * @len: the room the user gave
 * @optval: where the bytes go
 * @optlen: where their length goes
 *
 * Return: 0, -EINVAL (too little room) or -EFAULT.
 */
int quic_session_get_ticket(struct sock *sk, int len, sockptr_t optval,
			    sockptr_t optlen)
{
	struct quic_session *s = &quic_sk(sk)->session;
	u8 key[QUIC_TICKET_KEY_LEN];
	int err;

	if (!quic_is_serv(sk) && sk->sk_state != QUIC_SS_LISTENING)
		return quic_session_get_buf(s->ticket, s->ticket_len, len,
					    optval, optlen);
	quic_session_ticket_key(sk, key);
	err = quic_session_get_buf(key, sizeof(key), len, optval, optlen);
	memzero_explicit(key, sizeof(key));
	return err;
}

/**
 * quic_session_set_token - QUIC_SOCKOPT_TOKEN on a client: the token its
 * Initials carry (before connect() or while the handshake has not
 * begun); optlen 0 clears it
 * @sk: the socket, locked
 * @optval: the token
 * @optlen: its length, up to QUIC_TOKEN_MAX
 *
 * Return: 0, -EINVAL, -EISCONN (the Initials went out), -ENOMEM, -EFAULT.
 */
int quic_session_set_token(struct sock *sk, sockptr_t optval,
			   unsigned int optlen)
{
	struct quic_session *s = &quic_sk(sk)->session;

	if (optlen > QUIC_TOKEN_MAX)
		return -EINVAL;
	if (quic_sk(sk)->conn.tp_ext_sent ||
	    sk->sk_state == QUIC_SS_ESTABLISHED)
		return -EISCONN;
	return quic_session_set_buf(sk, &s->token, &s->token_len, optval,
				    optlen);
}

/**
 * quic_session_get_token - QUIC_SOCKOPT_TOKEN on a client: the last
 * NEW_TOKEN token (0 bytes when there is none)
 * @sk: the socket, locked
 * @len: the room the user gave
 * @optval: where the token goes
 * @optlen: where its length goes
 *
 * Return: 0, -EINVAL (too little room) or -EFAULT.
 */
int quic_session_get_token(struct sock *sk, int len, sockptr_t optval,
			   sockptr_t optlen)
{
	struct quic_session *s = &quic_sk(sk)->session;

	return quic_session_get_buf(s->token, s->token_len, len, optval,
				    optlen);
}

/* the socket, locked, is being destroyed */
void quic_session_free(struct sock *sk)
{
	struct quic_session *s = &quic_sk(sk)->session;
	u32 size;

	quic_session_buf_free(sk, &s->ticket, s->ticket_len);
	quic_session_buf_free(sk, &s->token, s->token_len);
	if (s->msg) {
		size = (get_unaligned_be32(s->hdr) & 0xffffff) + sizeof(s->hdr);
		quic_session_buf_free(sk, &s->msg, size);
	}
	s->ticket_len = 0;
	s->token_len = 0;
}
