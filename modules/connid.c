// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QUIC connection IDs.  Source IDs route incoming packets: they live in a
 * per network namespace rhashtable keyed by the whole struct quic_conn_id
 * (length and zero-padded bytes).  The peer's stateless reset tokens
 * live in another, keyed by the token, so that a Stateless Reset, whose
 * destination ID is random, finds its connection (RFC 9000 section
 * 10.3.1).
 */

#include <linux/random.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <net/sock.h>

#include "connid.h"
#include "protocol.h"

static const struct rhashtable_params quic_cid_params = {
	.head_offset		= offsetof(struct quic_cid, node),
	.key_offset		= offsetof(struct quic_cid, id),
	.key_len		= sizeof(struct quic_conn_id),
	.automatic_shrinking	= true,
};

static const struct rhashtable_params quic_reset_params = {
	.head_offset		= offsetof(struct quic_cid, node),
	.key_offset		= offsetof(struct quic_cid, token),
	.key_len		= QUIC_RESET_TOKEN_LEN,
	.automatic_shrinking	= true,
};

int quic_cid_table_init(struct rhashtable *ht)
{
	return rhashtable_init(ht, &quic_cid_params);
}

int quic_reset_table_init(struct rhashtable *ht)
{
	return rhashtable_init(ht, &quic_reset_params);
}

void quic_cid_table_destroy(struct rhashtable *ht)
{
	rhashtable_destroy(ht);
}

void quic_cid_set_init(struct quic_cid_set *set, bool source)
{
	INIT_LIST_HEAD(&set->list);
	set->active = NULL;
	set->next_seq = 0;
	set->retire_prior_to = 0;
	set->count = 0;
	set->source = source;
}

struct quic_cid *quic_cid_first(struct quic_cid_set *set)
{
	return list_first_entry_or_null(&set->list, struct quic_cid, list);
}

struct quic_cid *quic_cid_active(struct quic_cid_set *set)
{
	return set->active ?: quic_cid_first(set);
}

struct quic_cid *quic_cid_find_seq(const struct quic_cid_set *set, u64 seq)
{
	struct quic_cid *cid;

	list_for_each_entry(cid, &set->list, list)
		if (cid->seq == seq)
			return cid;
	return NULL;
}

void quic_cid_generate(struct quic_conn_id *id, unsigned int len)
{
	memset(id, 0, sizeof(*id));
	id->len = len;
	get_random_bytes(id->data, len);
}

/* The stateless reset token of one of our IDs, RFC 9000 section 10.3.2:
 * a keyed hash of the ID, so that it can be computed again after the
 * connection state is gone.
 */
static void quic_cid_token(struct net *net, const struct quic_conn_id *id,
			   u8 *token);

/**
 * quic_cid_reset_token - the stateless reset token of an ID of ours,
 * also of one whose connection is gone
 * @net: the namespace
 * @id: the ID's bytes
 * @len: their length, at most QUIC_CONN_ID_MAX_LEN
 * @token: output, QUIC_RESET_TOKEN_LEN bytes
 */
void quic_cid_reset_token(struct net *net, const u8 *id, u8 len, u8 *token)
{
	struct quic_conn_id key = { .len = len };

	memcpy(key.data, id, len);
	quic_cid_token(net, &key, token);
}

static void quic_cid_token(struct net *net, const struct quic_conn_id *id,
			   u8 *token)
{
	struct quic_net *qn = quic_net(net);
	u64 h[2];

	h[0] = siphash(id, sizeof(*id), &qn->reset_key[0]);
	h[1] = siphash(id, sizeof(*id), &qn->reset_key[1]);
	memcpy(token, h, QUIC_RESET_TOKEN_LEN);
}

static void quic_cid_insert_sorted(struct quic_cid_set *set,
				   struct quic_cid *new)
{
	struct quic_cid *cid;

	list_for_each_entry(cid, &set->list, list) {
		if (cid->seq > new->seq) {
			list_add_tail(&new->list, &cid->list);
			goto out;
		}
	}
	list_add_tail(&new->list, &set->list);
out:
	set->count++;
	if (new->seq >= set->next_seq)
		set->next_seq = new->seq + 1;
}

/**
 * quic_cid_add - add a connection ID with a known sequence number
 * @sk: the owning socket
 * @set: source or destination set
 * @seq: its sequence number
 * @id: the ID
 * @token: destination IDs: the peer's stateless reset token, or NULL
 * @gfp: allocation flags
 *
 * A source ID is published for receive lookups.
 *
 * Return: 0, -EEXIST when a source ID collides with one in use, -ENOMEM.
 */
int quic_cid_add(struct sock *sk, struct quic_cid_set *set, u64 seq,
		 const struct quic_conn_id *id, const u8 *token, gfp_t gfp)
{
	struct quic_cid *cid;
	int err;

	cid = kzalloc(sizeof(*cid), gfp);
	if (!cid)
		return -ENOMEM;
	cid->id.len = id->len;
	memcpy(cid->id.data, id->data, id->len);
	cid->seq = seq;
	cid->sk = sk;
	if (token)
		quic_cid_set_token(sk, cid, token);

	if (set->source) {
		quic_cid_token(sock_net(sk), &cid->id, cid->token);
		err = rhashtable_lookup_insert_fast(&quic_net(sock_net(sk))->cids,
						    &cid->node,
						    quic_cid_params);
		if (err) {
			kfree(cid);
			return err;
		}
	}
	quic_cid_insert_sorted(set, cid);
	return 0;
}

/**
 * quic_cid_issue - make a new source connection ID with the next sequence
 * number and publish it
 * @sk: the owning socket
 * @set: the source set
 * @gfp: allocation flags
 * @cidp: the new entry
 *
 * Return: 0 or a negative errno.
 */
int quic_cid_issue(struct sock *sk, struct quic_cid_set *set, gfp_t gfp,
		   struct quic_cid **cidp)
{
	struct quic_conn_id id;
	int err, tries = 3;

	do {
		quic_cid_generate(&id, QUIC_CONN_ID_LEN);
		err = quic_cid_add(sk, set, set->next_seq, &id, NULL, gfp);
	} while (err == -EEXIST && --tries);
	if (err)
		return err;
	*cidp = quic_cid_find_seq(set, set->next_seq - 1);
	return 0;
}

static void quic_cid_free_rcu(struct rcu_head *head)
{
	kfree(container_of(head, struct quic_cid, rcu));
}

void quic_cid_remove(struct sock *sk, struct quic_cid_set *set,
		     struct quic_cid *cid)
{
	list_del(&cid->list);
	set->count--;
	if (set->active == cid)
		set->active = NULL;
	if (set->source) {
		rhashtable_remove_fast(&quic_net(sock_net(sk))->cids,
				       &cid->node, quic_cid_params);
		call_rcu(&cid->rcu, quic_cid_free_rcu);
		return;
	}
	if (cid->reset_published) {
		rhashtable_remove_fast(&quic_net(sock_net(sk))->resets,
				       &cid->node, quic_reset_params);
		call_rcu(&cid->rcu, quic_cid_free_rcu);
		return;
	}
	kfree(cid);
}

/* the socket of an entry a lookup found (under RCU), referenced */
static struct sock *quic_cid_sk_get(const struct quic_cid *cid)
{
	if (!cid || !refcount_inc_not_zero(&cid->sk->sk_refcnt))
		return NULL;
	return cid->sk;
}

/**
 * quic_cid_set_token - the peer's stateless reset token of one of its IDs
 * (its transport parameter, or a NEW_CONNECTION_ID frame): published for
 * the receive path; a token another connection has is not (the first
 * keeps it)
 * @sk: the owning socket, locked
 * @cid: a destination ID, with no token yet
 * @token: the token
 */
void quic_cid_set_token(struct sock *sk, struct quic_cid *cid,
			const u8 *token)
{
	if (cid->has_token)
		return;
	memcpy(cid->token, token, QUIC_RESET_TOKEN_LEN);
	cid->has_token = 1;
	cid->reset_published =
		!rhashtable_lookup_insert_fast(&quic_net(sock_net(sk))->resets,
					       &cid->node, quic_reset_params);
}

/**
 * quic_reset_lookup - the socket whose peer gave this stateless reset
 * token
 * @net: the namespace
 * @token: the last QUIC_RESET_TOKEN_LEN bytes of a datagram
 *
 * Context: RCU read side (softirq receive).
 * Return: the socket with a reference held, or NULL.
 */
struct sock *quic_reset_lookup(struct net *net, const u8 *token)
{
	return quic_cid_sk_get(rhashtable_lookup(&quic_net(net)->resets, token,
						 quic_reset_params));
}

/* drop the IDs with a sequence number below @prior_to */
void quic_cid_retire_prior(struct sock *sk, struct quic_cid_set *set,
			   u64 prior_to)
{
	struct quic_cid *cid, *tmp;

	list_for_each_entry_safe(cid, tmp, &set->list, list)
		if (cid->seq < prior_to)
			quic_cid_remove(sk, set, cid);
	if (prior_to > set->retire_prior_to)
		set->retire_prior_to = prior_to;
}

void quic_cid_set_free(struct sock *sk, struct quic_cid_set *set)
{
	struct quic_cid *cid, *tmp;

	list_for_each_entry_safe(cid, tmp, &set->list, list)
		quic_cid_remove(sk, set, cid);
}

/**
 * quic_cid_lookup - find the socket a source connection ID routes to
 * @net: network namespace
 * @id: ID bytes from a packet
 * @len: their length
 *
 * Context: RCU read side (softirq receive).
 * Return: the socket with a reference held, or NULL.
 */
struct sock *quic_cid_lookup(struct net *net, const u8 *id, u8 len)
{
	struct quic_conn_id key = {};

	if (len > QUIC_CONN_ID_MAX_LEN)
		return NULL;
	key.len = len;
	memcpy(key.data, id, len);
	return quic_cid_sk_get(rhashtable_lookup(&quic_net(net)->cids, &key,
						 quic_cid_params));
}

/**
 * quic_cid_published - whether receive lookups find @cid (debugfs)
 * @net: its socket's network namespace
 * @cid: a source connection ID
 *
 * Return: true when the table maps @cid's ID to @cid itself.
 */
bool quic_cid_published(struct net *net, const struct quic_cid *cid)
{
	bool found;

	rcu_read_lock();
	found = rhashtable_lookup(&quic_net(net)->cids, &cid->id,
				  quic_cid_params) == cid;
	rcu_read_unlock();
	return found;
}

/**
 * quic_conn_ids_set_initial - the IDs of the first packets, which the
 * transport parameters authenticate (RFC 9000 section 7.3)
 * @ids: the connection's IDs
 * @odcid: the client's first destination ID
 * @peer_scid: the server: the client's first source ID; the client:
 *	NULL, it learns the server's from its first Initial
 */
void quic_conn_ids_set_initial(struct quic_conn_ids *ids,
			       const struct quic_conn_id *odcid,
			       const struct quic_conn_id *peer_scid)
{
	ids->odcid = *odcid;
	if (peer_scid)
		ids->peer_init_scid = *peer_scid;
}

/**
 * quic_conn_ids_set_retry - there was a Retry (RFC 9000 section 7.3)
 * @ids: the connection's IDs
 * @odcid: the server: the client's first destination ID, from the
 *	Retry token; the client: NULL, it keeps its own
 * @retry_scid: the Retry's source ID (retry_source_connection_id)
 */
void quic_conn_ids_set_retry(struct quic_conn_ids *ids,
			     const struct quic_conn_id *odcid,
			     const struct quic_conn_id *retry_scid)
{
	if (odcid)
		ids->odcid = *odcid;
	ids->retry_scid = *retry_scid;
	ids->retried = 1;
}

/**
 * quic_conn_ids_follow_retry - the client sends to the Retry's source ID
 * from now on (RFC 9000 section 17.2.5.2)
 * @ids: the client's IDs, after quic_conn_ids_set_retry()
 *
 * Return: the destination ID it changed, or NULL if there is none.
 */
struct quic_cid *quic_conn_ids_follow_retry(struct quic_conn_ids *ids)
{
	struct quic_cid *dcid = quic_cid_active(&ids->dcids);

	if (dcid)
		dcid->id = ids->retry_scid;
	return dcid;
}

/**
 * quic_conn_ids_server_chose - the client learns the source ID the server
 * chose from its first Initial, and sends to it from now on (RFC 9000
 * section 7.2)
 * @ids: the client's IDs
 * @id: the server's source ID
 * @len: its length, at most QUIC_CONN_ID_MAX_LEN
 */
void quic_conn_ids_server_chose(struct quic_conn_ids *ids, const u8 *id,
				u8 len)
{
	struct quic_cid *dcid = quic_cid_active(&ids->dcids);

	if (!dcid || dcid->seq || ids->peer_init_scid.len || !len)
		return;
	dcid->id.len = len;
	memcpy(dcid->id.data, id, len);
	ids->peer_init_scid = dcid->id;
}
