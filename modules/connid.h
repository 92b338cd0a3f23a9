/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC connection IDs, RFC 9000 section 5.1: the IDs we issue (source)
 * and the peer's (destination).
 */
#ifndef __QUIC_CONNID_H
#define __QUIC_CONNID_H

#include <linux/list.h>
#include <linux/rhashtable-types.h>
#include <linux/types.h>

#define QUIC_CONN_ID_MAX_LEN	20
#define QUIC_CONN_ID_LEN	8	/* the length of the IDs we issue */
#define QUIC_RESET_TOKEN_LEN	16
#define QUIC_CID_ISSUE_MAX	8	/* source IDs we keep issued */

struct net;
struct sock;

struct quic_conn_id {
	u8	len;
	u8	data[QUIC_CONN_ID_MAX_LEN];
};

/*
 * struct quic_cid - one connection ID with its sequence number.
 * @node: source IDs: in quic_net->cids; destination IDs with a token: in
 *	quic_net->resets (@reset_published); under RCU for readers
 * @sk: the socket the ID routes to, or whose peer's reset token it
 *	carries (no reference: the entry is unhashed, and an RCU grace
 *	period passes, before the socket goes away)
 * @token: its stateless reset token (RFC 9000 section 10.3): ours, or
 *	the peer's (then @has_token)
 */
struct quic_cid {
	struct list_head	list;
	struct rhash_head	node;
	struct quic_conn_id	id;
	u64			seq;
	struct sock		*sk;
	u8			token[QUIC_RESET_TOKEN_LEN];
	u8			has_token:1,
				reset_published:1;
	struct rcu_head		rcu;
};

/*
 * struct quic_cid_set - the source or destination IDs of a connection,
 * by ascending sequence number.  The one in use is @active, or the first
 * when @active is NULL (set by QUIC_SOCKOPT_CONNECTION_ID; cleared when
 * that ID is removed, the first then taking its place).
 *
 * Locking: the socket lock.  Source IDs are also published in the
 * per-netns hash table (quic_net->cids), which softirq readers walk
 * under RCU.
 */
struct quic_cid_set {
	struct list_head	list;
	struct quic_cid		*active;
	u64			next_seq;	/* next sequence number */
	u64			retire_prior_to;
	u32			count;
	u32			unacked;	/* NEW_CONNECTION_ID (source)
						 * or RETIRE_CONNECTION_ID
						 * (destination) frames not
						 * acknowledged yet
						 */
	bool			source;
};

/*
 * struct quic_conn_ids - the connection IDs of a connection
 * @scids: the IDs we issued, published for the receive path
 * @dcids: the peer's
 * @aliases: server: the client's first destination ID, which routes its
 *	Initials and 0-RTT packets until it switches to ours
 * @odcid: the client's first destination ID (original_destination_
 *	connection_id, RFC 9000 section 7.3)
 * @peer_init_scid: the source ID of the peer's first packet
 *	(initial_source_connection_id)
 * @retry_scid: after a Retry, its source ID (retry_source_connection_id):
 *	the server's sends it, the client's checks it
 * @retried: there was a Retry
 *
 * Locking: the socket lock.  Owned by connid.c and conn.c.
 */
struct quic_conn_ids {
	struct quic_cid_set	scids;
	struct quic_cid_set	dcids;
	struct quic_cid_set	aliases;
	struct quic_conn_id	odcid;
	struct quic_conn_id	peer_init_scid;
	struct quic_conn_id	retry_scid;
	u8			retried;
};

int quic_cid_table_init(struct rhashtable *ht);
void quic_cid_table_destroy(struct rhashtable *ht);
int quic_reset_table_init(struct rhashtable *ht);
void quic_cid_set_token(struct sock *sk, struct quic_cid *cid,
			const u8 *token);
struct sock *quic_reset_lookup(struct net *net, const u8 *token);
void quic_cid_reset_token(struct net *net, const u8 *id, u8 len, u8 *token);

void quic_cid_set_init(struct quic_cid_set *set, bool source);
void quic_cid_set_free(struct sock *sk, struct quic_cid_set *set);
struct quic_cid *quic_cid_active(struct quic_cid_set *set);
struct quic_cid *quic_cid_first(struct quic_cid_set *set);
struct quic_cid *quic_cid_find_seq(const struct quic_cid_set *set, u64 seq);

void quic_cid_generate(struct quic_conn_id *id, unsigned int len);
int quic_cid_add(struct sock *sk, struct quic_cid_set *set, u64 seq,
		 const struct quic_conn_id *id, const u8 *token, gfp_t gfp);
int quic_cid_issue(struct sock *sk, struct quic_cid_set *set, gfp_t gfp,
		   struct quic_cid **cidp);
void quic_cid_retire_prior(struct sock *sk, struct quic_cid_set *set,
			   u64 prior_to);
void quic_cid_remove(struct sock *sk, struct quic_cid_set *set,
		     struct quic_cid *cid);
struct sock *quic_cid_lookup(struct net *net, const u8 *id, u8 len);
bool quic_cid_published(struct net *net, const struct quic_cid *cid);
void quic_conn_ids_set_initial(struct quic_conn_ids *ids,
			       const struct quic_conn_id *odcid,
			       const struct quic_conn_id *peer_scid);
void quic_conn_ids_set_retry(struct quic_conn_ids *ids,
			     const struct quic_conn_id *odcid,
			     const struct quic_conn_id *retry_scid);
struct quic_cid *quic_conn_ids_follow_retry(struct quic_conn_ids *ids);
void quic_conn_ids_server_chose(struct quic_conn_ids *ids, const u8 *id,
				u8 len);

#endif /* __QUIC_CONNID_H */
