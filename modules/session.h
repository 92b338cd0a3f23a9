/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a connection keeps for later connections: session tickets and
 * address validation tokens as the socket options see them (session.c).
 */
#ifndef __QUIC_SESSION_H
#define __QUIC_SESSION_H

#include <linux/sockptr.h>
#include <linux/types.h>

struct sock;

/* a NewSessionTicket message kept for the user; larger ones are skipped */
#define QUIC_TICKET_MSG_MAX	4096
/* session data a user gives back (QUIC_SOCKOPT_SESSION_TICKET) */
#define QUIC_TICKET_MAX		8192
/* the session ticket key GnuTLS takes (its TICKET_MASTER_KEY_SIZE) */
#define QUIC_TICKET_KEY_LEN	64
/* address validation tokens, ours and the peer's (NEW_TOKEN, Initial) */
#define QUIC_TOKEN_MAX		256

/*
 * struct quic_session - a client's tickets and tokens.
 * @ticket: the last NewSessionTicket message received (RFC 8446 section
 *	4.6.1) for the TLS library, or the session data the user set
 * @msg: the 1-RTT handshake message being assembled from CRYPTO frames
 * @token: the last NEW_TOKEN token received, or the one the user set for
 *	the Initials of this connection
 * @off: the 1-RTT CRYPTO stream taken so far
 * @msg_len: bytes of @msg (or of @hdr) assembled
 * @msg_skip: bytes of a message too large to keep, still to skip
 * @hdr: the header of the message being assembled
 *
 * Locking: the socket lock.  Memory: sock_kmalloc(), charged to the
 * socket's option memory; each buffer has the bound above.
 */
struct quic_session {
	u8	*ticket;
	u8	*msg;
	u8	*token;
	u64	off;
	u32	msg_len;
	u32	msg_skip;
	u16	ticket_len;
	u16	token_len;
	u8	hdr[4];
};

int quic_session_rcv_crypto(struct sock *sk, u64 off, const u8 *data,
			    u64 len);
void quic_session_rcv_token(struct sock *sk, const u8 *data, u32 len);
int quic_session_retry_token(struct sock *sk, const u8 *data, u32 len);
int quic_session_new_token(struct sock *sk);
int quic_session_set_ticket(struct sock *sk, sockptr_t optval,
			    unsigned int optlen);
int quic_session_get_ticket(struct sock *sk, int len, sockptr_t optval,
			    sockptr_t optlen);
int quic_session_set_token(struct sock *sk, sockptr_t optval,
			   unsigned int optlen);
int quic_session_get_token(struct sock *sk, int len, sockptr_t optval,
			   sockptr_t optlen);
void quic_session_free(struct sock *sk);

#endif /* __QUIC_SESSION_H */
