// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A server's address validation tokens, RFC 9000 section 8.1: what it
 * puts in a Retry packet (section 8.1.2) and in NEW_TOKEN frames
 * (section 8.1.3), and checks when a client's Initial brings one back.
 *
 * A token is sealed with AES-128-GCM under a key of the network
 * namespace, so that only this namespace's servers make or read them:
 *
 *	flags (1) | nonce (12) | sealed: time (8) [| ODCID len (1) | ODCID] | tag (16)
 *
 * flags: the token's type (bit 0) and the key slot that sealed it
 * (bit 1).  The additional data is the flags, the nonce and the client's
 * address (IPv6 or IPv4-mapped), with its port for a Retry token only:
 * a client keeps its address between connections, not its port.  The
 * time, in seconds of boottime (which no one can set), lets a Retry token
 * live QUIC_TOKEN_RETRY_TTL and a NEW_TOKEN one QUIC_TOKEN_NEW_TTL.  The
 * key is replaced every net.quic.token_key_lifetime seconds (12 hours by
 * default), the one before it kept for checks: a token outlives neither,
 * so a shorter lifetime also shortens the tokens' lives.
 */

#include <crypto/aead.h>
#include <linux/random.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <net/ipv6.h>

#include "compat.h"
#include "protocol.h"
#include "token.h"

#define QUIC_TOKEN_NONCE_LEN	12
#define QUIC_TOKEN_TAG_LEN	16
#define QUIC_TOKEN_ADDR_LEN	18	/* IPv6 address, port */
#define QUIC_TOKEN_HDR_LEN	(1 + QUIC_TOKEN_NONCE_LEN)
#define QUIC_TOKEN_F_NEW	BIT(0)
#define QUIC_TOKEN_F_SLOT	BIT(1)

static struct crypto_aead *quic_token_tfm_new(void)
{
	u8 key[16];
	struct crypto_aead *tfm;
	int err;

	tfm = crypto_alloc_aead("gcm(aes)", 0, CRYPTO_ALG_ASYNC);
	if (IS_ERR(tfm))
		return tfm;
	get_random_bytes(key, sizeof(key));
	err = crypto_aead_setauthsize(tfm, QUIC_TOKEN_TAG_LEN);
	if (!err)
		err = crypto_aead_setkey(tfm, key, sizeof(key));
	memzero_explicit(key, sizeof(key));
	if (err) {
		crypto_free_aead(tfm);
		return ERR_PTR(err);
	}
	return tfm;
}

static unsigned long quic_token_rotate_delay(void)
{
	return (unsigned long)READ_ONCE(sysctl_quic_token_key_lifetime) * HZ;
}

static void quic_token_rotate(struct work_struct *work)
{
	struct quic_token_keys *k = container_of(to_delayed_work(work),
						 struct quic_token_keys,
						 rotate);
	struct crypto_aead *tfm, *old;
	u8 next = !k->cur;

	tfm = quic_token_tfm_new();
	if (!IS_ERR(tfm)) {
		old = rcu_replace_pointer(k->tfm[next], tfm, true);
		WRITE_ONCE(k->cur, next);
		synchronize_rcu();
		crypto_free_aead(old);
	}
	schedule_delayed_work(&k->rotate, quic_token_rotate_delay());
}

/**
 * quic_token_keys_init - a new namespace's keys, and their rotation
 * @k: the keys
 *
 * Context: process context.
 * Return: 0 or a negative error code.
 */
int quic_token_keys_init(struct quic_token_keys *k)
{
	struct crypto_aead *tfm;
	int i;

	INIT_DELAYED_WORK(&k->rotate, quic_token_rotate);
	for (i = 0; i < 2; i++) {
		tfm = quic_token_tfm_new();
		if (IS_ERR(tfm)) {
			quic_token_keys_free(k);
			return PTR_ERR(tfm);
		}
		RCU_INIT_POINTER(k->tfm[i], tfm);
	}
	k->cur = 0;
	schedule_delayed_work(&k->rotate, quic_token_rotate_delay());
	return 0;
}

/**
 * quic_token_keys_reschedule - the lifetime changed: the next rotation
 *	comes a whole new lifetime from now
 * @k: the keys of a namespace that is not being dismantled (in
 *	net_namespace_list, under net_rwsem)
 *
 * Context: process context.
 */
void quic_token_keys_reschedule(struct quic_token_keys *k)
{
	mod_delayed_work(system_wq, &k->rotate, quic_token_rotate_delay());
}

/* the namespace is going away: no user of the keys is left */
void quic_token_keys_free(struct quic_token_keys *k)
{
	int i;

	cancel_delayed_work_sync(&k->rotate);
	for (i = 0; i < 2; i++) {
		struct crypto_aead *tfm = rcu_dereference_protected(k->tfm[i],
								     true);

		if (tfm)
			crypto_free_aead(tfm);
		RCU_INIT_POINTER(k->tfm[i], NULL);
	}
}

static void quic_token_addr(const union quic_addr *a, bool port, u8 *out)
{
	struct in6_addr v6;

	if (a->sa.sa_family == AF_INET) {
		ipv6_addr_set_v4mapped(a->v4.sin_addr.s_addr, &v6);
		memcpy(out, &v6, sizeof(v6));
		memcpy(out + 16, &a->v4.sin_port, 2);
	} else {
		memcpy(out, &a->v6.sin6_addr, 16);
		memcpy(out + 16, &a->v6.sin6_port, 2);
	}
	if (!port)
		memset(out + 16, 0, 2);
}

#define QUIC_TOKEN_BUF_LEN	(QUIC_TOKEN_ADDR_LEN + QUIC_TOKEN_LEN_MAX)

/* seal or open @buf: address | flags | nonce | text | tag, in place; @buf
 * is not on the stack (a scatterlist cannot point there)
 */
static int quic_token_crypt(struct crypto_aead *tfm, u8 *buf, u32 textlen,
			    bool seal)
{
	u32 ad = QUIC_TOKEN_ADDR_LEN + QUIC_TOKEN_HDR_LEN;
	struct aead_request *req;
	struct scatterlist sg;
	u8 iv[QUIC_TOKEN_NONCE_LEN];
	int err;

	req = aead_request_alloc(tfm, GFP_ATOMIC);
	if (!req)
		return -ENOMEM;
	memcpy(iv, buf + QUIC_TOKEN_ADDR_LEN + 1, sizeof(iv));
	sg_init_one(&sg, buf, ad + textlen + QUIC_TOKEN_TAG_LEN);
	aead_request_set_callback(req, 0, NULL, NULL);
	aead_request_set_ad(req, ad);
	aead_request_set_crypt(req, &sg, &sg,
			       seal ? textlen : textlen + QUIC_TOKEN_TAG_LEN,
			       iv);
	err = seal ? crypto_aead_encrypt(req) : crypto_aead_decrypt(req);
	aead_request_free(req);
	return err;
}

static u64 quic_token_now(void)
{
	return ktime_get_boottime_seconds();
}

/**
 * quic_token_make - make a token for a client
 * @net: the server's namespace
 * @type: QUIC_TOKEN_RETRY or QUIC_TOKEN_NEW
 * @peer: the client's address
 * @odcid: QUIC_TOKEN_RETRY: the DCID of the client's first Initial
 * @out: the token, QUIC_TOKEN_LEN_MAX bytes of room
 *
 * Context: any but hard IRQ.
 * Return: the token's length, or a negative error code.
 */
int quic_token_make(struct net *net, u8 type, const union quic_addr *peer,
		    const struct quic_conn_id *odcid, u8 *out)
{
	struct quic_token_keys *k = &quic_net(net)->token_keys;
	struct crypto_aead *tfm;
	u8 *buf, *p;
	u32 text;
	u8 slot;
	int err;

	buf = kmalloc(QUIC_TOKEN_BUF_LEN, GFP_ATOMIC);
	if (!buf)
		return -ENOMEM;
	quic_token_addr(peer, type == QUIC_TOKEN_RETRY, buf);
	p = buf + QUIC_TOKEN_ADDR_LEN;
	rcu_read_lock();
	slot = READ_ONCE(k->cur);
	tfm = rcu_dereference(k->tfm[slot]);
	*p++ = (type == QUIC_TOKEN_NEW ? QUIC_TOKEN_F_NEW : 0) |
	       (slot ? QUIC_TOKEN_F_SLOT : 0);
	get_random_bytes(p, QUIC_TOKEN_NONCE_LEN);
	p += QUIC_TOKEN_NONCE_LEN;
	put_unaligned_be64(quic_token_now(), p);
	text = 8;
	if (type == QUIC_TOKEN_RETRY) {
		p[8] = odcid->len;
		memcpy(p + 9, odcid->data, odcid->len);
		text += 1 + odcid->len;
	}
	err = quic_token_crypt(tfm, buf, text, true);
	rcu_read_unlock();
	if (!err) {
		err = QUIC_TOKEN_HDR_LEN + text + QUIC_TOKEN_TAG_LEN;
		memcpy(out, buf + QUIC_TOKEN_ADDR_LEN, err);
	}
	kfree(buf);
	return err;
}

/**
 * quic_token_check - is a client's token one we made, for its address,
 * and not expired?
 * @net: the server's namespace
 * @token: the token of the client's Initial
 * @len: its length
 * @peer: the client's address
 * @info: filled with what the token says, when it is valid
 *
 * Context: any but hard IRQ.
 * Return: 0 for a valid token; -EINVAL for one we did not make (or not
 * for this address), -ETIMEDOUT for an expired one, -ENOMEM.
 */
int quic_token_check(struct net *net, const u8 *token, u32 len,
		     const union quic_addr *peer, struct quic_token_info *info)
{
	struct quic_token_keys *k = &quic_net(net)->token_keys;
	struct crypto_aead *tfm;
	u64 made, now;
	u8 *buf, *p;
	u32 text;
	u8 flags;
	int err;

	if (len < QUIC_TOKEN_HDR_LEN + 8 + QUIC_TOKEN_TAG_LEN ||
	    len > QUIC_TOKEN_LEN_MAX)
		return -EINVAL;
	flags = token[0];
	if (flags & ~(QUIC_TOKEN_F_NEW | QUIC_TOKEN_F_SLOT))
		return -EINVAL;
	text = len - QUIC_TOKEN_HDR_LEN - QUIC_TOKEN_TAG_LEN;
	info->type = flags & QUIC_TOKEN_F_NEW ? QUIC_TOKEN_NEW :
						QUIC_TOKEN_RETRY;
	if ((info->type == QUIC_TOKEN_NEW && text != 8) ||
	    (info->type == QUIC_TOKEN_RETRY && text < 9))
		return -EINVAL;
	buf = kmalloc(QUIC_TOKEN_BUF_LEN, GFP_ATOMIC);
	if (!buf)
		return -ENOMEM;
	quic_token_addr(peer, info->type == QUIC_TOKEN_RETRY, buf);
	memcpy(buf + QUIC_TOKEN_ADDR_LEN, token, len);
	rcu_read_lock();
	tfm = rcu_dereference(k->tfm[!!(flags & QUIC_TOKEN_F_SLOT)]);
	err = quic_token_crypt(tfm, buf, text, false);
	rcu_read_unlock();
	if (err) {
		err = err == -EBADMSG ? -EINVAL : err;
		goto out;
	}

	p = buf + QUIC_TOKEN_ADDR_LEN + QUIC_TOKEN_HDR_LEN;
	made = get_unaligned_be64(p);
	now = quic_token_now();
	err = -ETIMEDOUT;
	if (made > now || now - made > (info->type == QUIC_TOKEN_RETRY ?
					QUIC_TOKEN_RETRY_TTL :
					QUIC_TOKEN_NEW_TTL))
		goto out;
	err = 0;
	if (info->type == QUIC_TOKEN_RETRY) {
		err = -EINVAL;
		if (p[8] > QUIC_CONN_ID_MAX_LEN || 9 + p[8] != text)
			goto out;
		info->odcid.len = p[8];
		memcpy(info->odcid.data, p + 9, p[8]);
		err = 0;
	}
out:
	kfree(buf);
	return err;
}
