/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Address validation tokens of a server (token.c): the ones Retry
 * packets and NEW_TOKEN frames carry, RFC 9000 section 8.1.
 */
#ifndef __QUIC_TOKEN_H
#define __QUIC_TOKEN_H

#include <linux/types.h>
#include <linux/workqueue.h>

#include "connid.h"
#include "family.h"

struct crypto_aead;
struct net;

enum quic_token_type {
	QUIC_TOKEN_RETRY,	/* in a Retry: this connection only */
	QUIC_TOKEN_NEW,		/* in NEW_TOKEN: a later connection */
};

/* how long a token is taken after it was made, in seconds */
#define QUIC_TOKEN_RETRY_TTL	10
#define QUIC_TOKEN_NEW_TTL	(12 * 3600)
/* the key makes tokens for this long, then checks them as long again
 * (seconds; net.quic.token_key_lifetime, sysctl_quic_token_key_lifetime)
 */
#define QUIC_TOKEN_ROTATE	QUIC_TOKEN_NEW_TTL
#define QUIC_TOKEN_ROTATE_MAX	(7 * 24 * 3600)

/* the largest token made: header, nonce, time, ODCID, tag */
#define QUIC_TOKEN_LEN_MAX	(1 + 12 + 8 + 1 + QUIC_CONN_ID_MAX_LEN + 16)

/*
 * struct quic_token_keys - a namespace's token keys: AES-128-GCM, one to
 * make tokens with and the one before it, to check those made before
 * the last rotation.
 * @tfm: the two transforms, replaced whole under RCU
 * @cur: the index in @tfm of the one that makes tokens
 * @rotate: replaces the older key every net.quic.token_key_lifetime
 *	seconds (QUIC_TOKEN_ROTATE by default)
 *
 * Locking: @tfm and @cur are read under RCU (softirq: the receive path;
 * process context: NEW_TOKEN); only @rotate writes them.
 */
struct quic_token_keys {
	struct crypto_aead __rcu	*tfm[2];
	u8				cur;
	struct delayed_work		rotate;
};

/* what a valid token says */
struct quic_token_info {
	u8			type;		/* enum quic_token_type */
	struct quic_conn_id	odcid;		/* QUIC_TOKEN_RETRY */
};

int quic_token_keys_init(struct quic_token_keys *k);
void quic_token_keys_free(struct quic_token_keys *k);
void quic_token_keys_reschedule(struct quic_token_keys *k);
int quic_token_make(struct net *net, u8 type, const union quic_addr *peer,
		    const struct quic_conn_id *odcid, u8 *out);
int quic_token_check(struct net *net, const u8 *token, u32 len,
		     const union quic_addr *peer,
		     struct quic_token_info *info);

#endif /* __QUIC_TOKEN_H */
