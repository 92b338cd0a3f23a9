// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QUIC packet protection, RFC 9001 section 5 (and RFC 9369 for QUIC
 * version 2): the key schedule, AEAD payload protection and header
 * protection in place in an skb, key update (RFC 9001 section 6) and the
 * Retry integrity tag (RFC 9001 section 5.8).
 *
 * Only synchronous algorithms are used (CRYPTO_ALG_ASYNC in the mask), so
 * that packets are protected and opened in the caller's context, softirq
 * included, without completions.  Transforms are allocated and keys set
 * only in process context: when keys are installed, and for each key
 * update ahead of time, in quic_crypto_key_update_prepare().  The packet
 * path only switches between prepared key generations.
 */

#include <asm/simd.h>
#include <crypto/aead.h>
#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <crypto/skcipher.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/tls.h>

#include "crypto.h"

#define QUIC_HDR_FORM_LONG	0x80
#define QUIC_LONG_HP_MASK	0x0f	/* reserved bits and pn length */
#define QUIC_SHORT_HP_MASK	0x1f	/* + key phase */
#define QUIC_SHORT_KEY_PHASE	0x04
#define QUIC_PN_LEN_MASK	0x03

/**
 * struct quic_cipher - a TLS 1.3 cipher suite as QUIC uses it
 * @type: TLS_CIPHER_* of <linux/tls.h>
 * @aead: AEAD algorithm name
 * @hp: header protection algorithm name
 * @hmac: HMAC of the suite's hash, for HKDF
 * @key_len: AEAD key and header protection key length
 * @secret_len: traffic secret length (hash length)
 * @aead_simd: a synchronous SIMD implementation that is only usable where
 *	the FPU is (may_use_simd()); preferred over @aead when present
 * @integrity_limit: packets that may fail authentication in a connection
 *	(RFC 9001 section 6.6)
 * @ccm: the AEAD takes a CCM IV block, not a 12-byte nonce
 * @chacha: header protection is ChaCha20, not AES
 */
struct quic_cipher {
	u32		type;
	u64		integrity_limit;
	const char	*aead;
	const char	*aead_simd;
	const char	*hp;
	const char	*hmac;
	u8		key_len;
	u8		secret_len;
	u8		ccm:1,
			chacha:1;
};

static const struct quic_cipher quic_ciphers[] = {
	{
		.type		= TLS_CIPHER_AES_GCM_128,
		.integrity_limit = 1ULL << 52,
		.aead		= "gcm(aes)",
		.aead_simd	= "__gcm(aes)",
		.hp		= "ecb(aes)",
		.hmac		= "hmac(sha256)",
		.key_len	= 16,
		.secret_len	= 32,
	},
	{
		.type		= TLS_CIPHER_AES_GCM_256,
		.integrity_limit = 1ULL << 52,
		.aead		= "gcm(aes)",
		.aead_simd	= "__gcm(aes)",
		.hp		= "ecb(aes)",
		.hmac		= "hmac(sha384)",
		.key_len	= 32,
		.secret_len	= 48,
	},
	{
		.type		= TLS_CIPHER_AES_CCM_128,
		.integrity_limit = 11863283,	/* 2^23.5 */
		.aead		= "ccm(aes)",
		.hp		= "ecb(aes)",
		.hmac		= "hmac(sha256)",
		.key_len	= 16,
		.secret_len	= 32,
		.ccm		= 1,
	},
	{
		.type		= TLS_CIPHER_CHACHA20_POLY1305,
		.integrity_limit = 1ULL << 36,
		.aead		= "rfc7539(chacha20,poly1305)",
		.hp		= "chacha20",
		.hmac		= "hmac(sha256)",
		.key_len	= 32,
		.secret_len	= 32,
		.chacha		= 1,
	},
};

static const struct quic_cipher *quic_cipher_get(u32 type)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(quic_ciphers); i++)
		if (quic_ciphers[i].type == type)
			return &quic_ciphers[i];
	return NULL;
}

struct quic_labels {
	const char	*key;
	const char	*iv;
	const char	*hp;
	const char	*ku;
};

static const struct quic_labels quic_labels_v1 = {
	"quic key", "quic iv", "quic hp", "quic ku",
};

static const struct quic_labels quic_labels_v2 = {
	"quicv2 key", "quicv2 iv", "quicv2 hp", "quicv2 ku",
};

static const struct quic_labels *quic_labels_get(u32 version)
{
	switch (version) {
	case QUIC_VERSION_V1:
		return &quic_labels_v1;
	case QUIC_VERSION_V2:
		return &quic_labels_v2;
	}
	return NULL;
}

/* RFC 9001 section 5.2, RFC 9369 section 3.3.1 */
static const u8 quic_initial_salt_v1[] = {
	0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
	0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
};

static const u8 quic_initial_salt_v2[] = {
	0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
	0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9,
};

/* RFC 9001 section 5.8, RFC 9369 section 3.3.3 */
static const u8 quic_retry_key_v1[] = {
	0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a,
	0x1d, 0x76, 0x6b, 0x54, 0xe3, 0x68, 0xc8, 0x4e,
};

static const u8 quic_retry_nonce_v1[QUIC_CRYPTO_IV_LEN] = {
	0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63, 0x2b, 0xf2,
	0x23, 0x98, 0x25, 0xbb,
};

static const u8 quic_retry_key_v2[] = {
	0x8f, 0xb4, 0xb0, 0x1b, 0x56, 0xac, 0x48, 0xe2,
	0x60, 0xfb, 0xcb, 0xce, 0xad, 0x7c, 0xcc, 0x92,
};

static const u8 quic_retry_nonce_v2[QUIC_CRYPTO_IV_LEN] = {
	0xd8, 0x69, 0x69, 0xbc, 0x2d, 0x7c, 0x6d, 0x99,
	0x90, 0xef, 0xb0, 0x4a,
};

/* AES-128-GCM with the fixed Retry keys: [0] version 1, [1] version 2 */
static struct crypto_aead *quic_retry_aead[2];

/* HKDF (RFC 5869) and TLS 1.3 HKDF-Expand-Label (RFC 8446 section 7.1) */

/**
 * quic_hkdf_extract - HKDF-Extract
 * @hmac: an HMAC transform ("hmac(sha256)", ...); its key is overwritten
 * @salt: salt; %NULL with @salt_len 0 for HashLen zero bytes
 * @salt_len: length of @salt
 * @ikm: input keying material
 * @ikm_len: length of @ikm
 * @prk: output, crypto_shash_digestsize(@hmac) bytes
 *
 * Context: any but hard IRQ.  The caller serialises users of @hmac.
 * Return: 0 or a negative error code.
 */
int quic_hkdf_extract(struct crypto_shash *hmac, const u8 *salt,
		      unsigned int salt_len, const u8 *ikm,
		      unsigned int ikm_len, u8 *prk)
{
	u8 zeros[HASH_MAX_DIGESTSIZE] = {};
	int err;

	if (!salt_len) {
		salt = zeros;
		salt_len = crypto_shash_digestsize(hmac);
	}
	err = crypto_shash_setkey(hmac, salt, salt_len);
	if (err)
		return err;
	return crypto_shash_tfm_digest(hmac, ikm, ikm_len, prk);
}

/**
 * quic_hkdf_expand_label - TLS 1.3 HKDF-Expand-Label
 * @hmac: an HMAC transform of the cipher suite's hash; its key is
 *	overwritten
 * @secret: the secret (PRK)
 * @secret_len: length of @secret
 * @label: label without the "tls13 " prefix, at most 249 characters
 * @context: context (hash value), may be %NULL when @context_len is 0
 * @context_len: length of @context, at most 255
 * @out: output
 * @out_len: bytes wanted, 1 to 255 times the hash length
 *
 * Context: any but hard IRQ.  The caller serialises users of @hmac.
 * Return: 0 or a negative error code.
 */
int quic_hkdf_expand_label(struct crypto_shash *hmac, const u8 *secret,
			   unsigned int secret_len, const char *label,
			   const u8 *context, unsigned int context_len,
			   u8 *out, unsigned int out_len)
{
	static const char prefix[] = "tls13 ";
	unsigned int hash_len = crypto_shash_digestsize(hmac);
	unsigned int label_len = strlen(label);
	unsigned int done = 0, n;
	u8 t[HASH_MAX_DIGESTSIZE];
	u8 hdr[3], ctx_len, i;
	int err;
	SHASH_DESC_ON_STACK(desc, hmac);

	if (!out_len || out_len > 255 * hash_len || hash_len > sizeof(t) ||
	    label_len > 255 - (sizeof(prefix) - 1) || context_len > 255)
		return -EINVAL;

	err = crypto_shash_setkey(hmac, secret, secret_len);
	if (err)
		return err;

	hdr[0] = out_len >> 8;
	hdr[1] = out_len & 0xff;
	hdr[2] = sizeof(prefix) - 1 + label_len;
	ctx_len = context_len;
	desc->tfm = hmac;

	for (i = 1; done < out_len; i++) {
		/* T(i) = HMAC(PRK, T(i - 1) | info | i) */
		err = crypto_shash_init(desc);
		if (!err && i > 1)
			err = crypto_shash_update(desc, t, hash_len);
		if (!err)
			err = crypto_shash_update(desc, hdr, sizeof(hdr));
		if (!err)
			err = crypto_shash_update(desc, prefix,
						  sizeof(prefix) - 1);
		if (!err)
			err = crypto_shash_update(desc, label, label_len);
		if (!err)
			err = crypto_shash_update(desc, &ctx_len, 1);
		if (!err && context_len)
			err = crypto_shash_update(desc, context, context_len);
		if (!err)
			err = crypto_shash_update(desc, &i, 1);
		if (!err)
			err = crypto_shash_final(desc, t);
		if (err)
			break;
		n = min(hash_len, out_len - done);
		memcpy(out + done, t, n);
		done += n;
	}
	shash_desc_zero(desc);
	memzero_explicit(t, sizeof(t));
	return err;
}

/**
 * quic_pn_decode - recover a full packet number, RFC 9000 appendix A.3
 * @largest_pn: the largest packet number processed in the space, or
 *	(u64)-1 when none was
 * @truncated_pn: the packet number field
 * @pn_len: its length in bytes, 1 to 4
 *
 * Return: the packet number closest to @largest_pn + 1 that ends in
 * @truncated_pn.
 */
u64 quic_pn_decode(u64 largest_pn, u64 truncated_pn, unsigned int pn_len)
{
	u64 expected = largest_pn + 1;
	u64 win = 1ULL << (pn_len * 8);
	u64 hwin = win / 2;
	u64 cand = (expected & ~(win - 1)) | truncated_pn;

	if (cand + hwin <= expected && cand < (1ULL << 62) - win)
		return cand + win;
	if (cand > expected + hwin && cand >= win)
		return cand - win;
	return cand;
}

/* key schedule */

static void quic_crypto_dir_free(struct quic_crypto_dir *d)
{
	int i;

	for (i = 0; i < 2; i++) {
		aead_request_free(d->key[i].req);
		if (d->key[i].aead)
			crypto_free_aead(d->key[i].aead);
	}
	if (d->hp)
		crypto_free_sync_skcipher(d->hp);
	kfree(d->sg);
	memzero_explicit(d, sizeof(*d));
}

/*
 * Whether "__gcm(aes)" exists, tried once at load: kernels whose x86
 * AES-GCM registers directly as a synchronous "gcm(aes)" (7.x here) have
 * no internal one, and the crypto API does not remember a failed lookup,
 * so asking at each key allocation would run modprobe twice every time.
 */
static bool quic_have_simd_gcm __read_mostly;

static int quic_crypto_key_alloc(struct quic_crypto_key *k,
				 const struct quic_cipher *ci)
{
	struct crypto_aead *aead;
	int err;

	/*
	 * The fast AES-GCM implementations register only as internal
	 * algorithms behind an asynchronous wrapper; taken directly they
	 * are synchronous, and usable wherever may_use_simd() holds: in
	 * process context and in softirq on x86.  Where they do not exist,
	 * any synchronous implementation does.
	 */
	aead = ERR_PTR(-ENOENT);
	if (ci->aead_simd && quic_have_simd_gcm)
		aead = crypto_alloc_aead(ci->aead_simd, CRYPTO_ALG_INTERNAL,
					 CRYPTO_ALG_INTERNAL | CRYPTO_ALG_ASYNC);
	k->simd = !IS_ERR(aead);
	if (IS_ERR(aead))
		aead = crypto_alloc_aead(ci->aead, 0, CRYPTO_ALG_ASYNC);
	if (IS_ERR(aead))
		return PTR_ERR(aead);
	k->aead = aead;
	if (crypto_aead_ivsize(aead) != (ci->ccm ? 16 : QUIC_CRYPTO_IV_LEN))
		return -EINVAL;
	err = crypto_aead_setauthsize(aead, QUIC_CRYPTO_TAG_LEN);
	if (err)
		return err;
	k->req = aead_request_alloc(aead, GFP_KERNEL);
	if (!k->req)
		return -ENOMEM;
	aead_request_set_callback(k->req, 0, NULL, NULL);
	return 0;
}

/* Derive key and IV of one generation from its traffic secret. */
static int quic_crypto_key_set(struct quic_crypto_dir *d,
			       struct quic_crypto_key *k,
			       struct crypto_shash *hmac, const u8 *secret)
{
	const struct quic_labels *l = quic_labels_get(d->version);
	const struct quic_cipher *ci = d->cipher;
	u8 key[QUIC_CRYPTO_KEY_MAX_LEN];
	int err;

	err = quic_hkdf_expand_label(hmac, secret, ci->secret_len, l->key,
				     NULL, 0, key, ci->key_len);
	if (!err)
		err = quic_hkdf_expand_label(hmac, secret, ci->secret_len,
					     l->iv, NULL, 0, k->iv,
					     QUIC_CRYPTO_IV_LEN);
	if (!err)
		err = crypto_aead_setkey(k->aead, key, ci->key_len);
	memzero_explicit(key, sizeof(key));
	return err;
}

/* 1-RTT: derive the generation after d->secret's into key[!phase]. */
static int quic_crypto_next_gen(struct quic_crypto_dir *d,
				struct crypto_shash *hmac)
{
	const struct quic_cipher *ci = d->cipher;
	u8 next[QUIC_CRYPTO_SECRET_MAX_LEN];
	int err;

	err = quic_hkdf_expand_label(hmac, d->secret, ci->secret_len,
				     quic_labels_get(d->version)->ku, NULL, 0,
				     next, ci->secret_len);
	if (err)
		goto out;
	d->old_ready = 0;
	err = quic_crypto_key_set(d, &d->key[!d->phase], hmac, next);
	if (err)
		goto out;
	memcpy(d->secret, next, ci->secret_len);
	d->next_ready = 1;
out:
	memzero_explicit(next, sizeof(next));
	return err;
}

static int quic_crypto_dir_install(struct quic_crypto_dir *d,
				   const struct quic_cipher *ci,
				   const u8 *secret, u32 version, bool app)
{
	u8 hp[QUIC_CRYPTO_KEY_MAX_LEN];
	struct crypto_sync_skcipher *sk;
	struct crypto_shash *hmac;
	int err;

	might_sleep();
	quic_crypto_dir_free(d);
	d->cipher = ci;
	d->version = version;
	d->app = app;

	d->sg = kmalloc_array(QUIC_CRYPTO_MAX_SG, sizeof(*d->sg), GFP_KERNEL);
	if (!d->sg)
		return -ENOMEM;
	hmac = crypto_alloc_shash(ci->hmac, 0, 0);
	if (IS_ERR(hmac)) {
		quic_crypto_dir_free(d);
		return PTR_ERR(hmac);
	}

	err = quic_hkdf_expand_label(hmac, secret, ci->secret_len,
				     quic_labels_get(version)->hp, NULL, 0,
				     hp, ci->key_len);
	if (err)
		goto out;
	sk = crypto_alloc_sync_skcipher(ci->hp, 0, 0);
	if (IS_ERR(sk)) {
		err = PTR_ERR(sk);
		goto out;
	}
	d->hp = sk;
	err = crypto_sync_skcipher_setkey(sk, hp, ci->key_len);
	if (err)
		goto out;

	err = quic_crypto_key_alloc(&d->key[0], ci);
	if (!err)
		err = quic_crypto_key_set(d, &d->key[0], hmac, secret);
	if (err || !app)
		goto out;

	/* 1-RTT: the next generation is ready before it is needed */
	err = quic_crypto_key_alloc(&d->key[1], ci);
	if (err)
		goto out;
	memcpy(d->secret, secret, ci->secret_len);
	err = quic_crypto_next_gen(d, hmac);
out:
	crypto_free_shash(hmac);
	memzero_explicit(hp, sizeof(hp));
	if (err)
		quic_crypto_dir_free(d);
	else
		d->ready = 1;
	return err;
}

/**
 * quic_crypto_init - prepare an empty struct quic_crypto
 * @c: the structure, in kmalloc'ed memory
 *
 * No keys, nothing allocated; quic_crypto_free() is safe on it.
 */
void quic_crypto_init(struct quic_crypto *c)
{
	memset(c, 0, sizeof(*c));
}

/**
 * quic_crypto_free - release every transform and wipe every secret
 * @c: the structure; empty afterwards, as after quic_crypto_init()
 *
 * Context: process context.
 */
void quic_crypto_free(struct quic_crypto *c)
{
	might_sleep();	/* a debug kernel (DEBUG_ATOMIC_SLEEP) checks */
	quic_crypto_dir_free(&c->tx);
	quic_crypto_dir_free(&c->rx);
	memzero_explicit(c, sizeof(*c));
}

/**
 * quic_crypto_initial_salt - the Initial salt of a version (RFC 9001
 * section 5.2, RFC 9369 section 3.3.1), QUIC_CRYPTO_INITIAL_SALT_LEN bytes
 * @version: QUIC_VERSION_V1 or QUIC_VERSION_V2
 *
 * Return: the salt, or NULL for another version.
 */
const u8 *quic_crypto_initial_salt(u32 version)
{
	BUILD_BUG_ON(sizeof(quic_initial_salt_v1) !=
		     QUIC_CRYPTO_INITIAL_SALT_LEN);
	switch (version) {
	case QUIC_VERSION_V1:
		return quic_initial_salt_v1;
	case QUIC_VERSION_V2:
		return quic_initial_salt_v2;
	}
	return NULL;
}

/**
 * quic_crypto_initial_keys - install Initial keys, RFC 9001 section 5.2
 * @c: the Initial space's structure; keys it had are replaced
 * @dcid: the Destination Connection ID of the client's first Initial
 * @dcid_len: its length
 * @version: QUIC_VERSION_V1 or QUIC_VERSION_V2 (salt and labels)
 * @is_serv: we are the server: send with the "server in" keys
 *
 * Context: process context (allocates transforms, sets keys).
 * Return: 0 or a negative error code; on error @c has no keys.
 */
int quic_crypto_initial_keys(struct quic_crypto *c, const u8 *dcid,
			     u8 dcid_len, u32 version, bool is_serv)
{
	const struct quic_cipher *ci = quic_cipher_get(TLS_CIPHER_AES_GCM_128);
	u8 initial[32], client[32], server[32];
	struct crypto_shash *hmac;
	const u8 *salt;
	int err;

	switch (version) {
	case QUIC_VERSION_V1:
		salt = quic_initial_salt_v1;
		break;
	case QUIC_VERSION_V2:
		salt = quic_initial_salt_v2;
		break;
	default:
		return -EINVAL;
	}
	if (dcid_len > 20)
		return -EINVAL;

	hmac = crypto_alloc_shash(ci->hmac, 0, 0);
	if (IS_ERR(hmac))
		return PTR_ERR(hmac);
	err = quic_hkdf_extract(hmac, salt, sizeof(quic_initial_salt_v1),
				dcid, dcid_len, initial);
	if (!err)
		err = quic_hkdf_expand_label(hmac, initial, sizeof(initial),
					     "client in", NULL, 0, client,
					     sizeof(client));
	if (!err)
		err = quic_hkdf_expand_label(hmac, initial, sizeof(initial),
					     "server in", NULL, 0, server,
					     sizeof(server));
	crypto_free_shash(hmac);

	if (!err)
		err = quic_crypto_dir_install(&c->tx, ci,
					      is_serv ? server : client,
					      version, false);
	if (!err)
		err = quic_crypto_dir_install(&c->rx, ci,
					      is_serv ? client : server,
					      version, false);
	if (err)
		quic_crypto_free(c);
	memzero_explicit(initial, sizeof(initial));
	memzero_explicit(client, sizeof(client));
	memzero_explicit(server, sizeof(server));
	return err;
}

/**
 * quic_crypto_set_secret - install the keys of one direction
 * @c: the structure of the space of @s->level
 * @s: the secret from user space: direction, level, cipher, secret
 * @version: QUIC version (labels); QUIC_VERSION_V1 or QUIC_VERSION_V2
 *
 * Derives key, IV and header protection key with HKDF-Expand-Label over
 * the suite's hash.  For QUIC_CRYPTO_APP (1-RTT) the next key generation
 * ("quic ku") is derived too, so that a key update on receive only
 * switches keys.  Keys the direction had are replaced.
 *
 * Context: process context (allocates transforms, sets keys).
 * Return: 0; -EINVAL for an unknown cipher, level or version; or another
 * negative error code, and then the direction has no keys.
 */
int quic_crypto_set_secret(struct quic_crypto *c,
			   const struct quic_crypto_secret *s, u32 version)
{
	const struct quic_cipher *ci = quic_cipher_get(s->type);

	if (!ci || s->level >= QUIC_CRYPTO_MAX || !quic_labels_get(version))
		return -EINVAL;
	return quic_crypto_dir_install(s->send ? &c->tx : &c->rx, ci,
				       s->secret, version,
				       s->level == QUIC_CRYPTO_APP);
}

/* packet protection */

/* AEAD IV for packet number @pn (RFC 9001 section 5.3) */
static u8 *quic_crypto_nonce(struct quic_crypto_dir *d,
			     const struct quic_crypto_key *k, u64 pn)
{
	u8 *n = d->nonce;
	int i;

	if (d->cipher->ccm) {
		/* CCM IV block: L' = 15 - 12 - 1, nonce, counter */
		memset(d->nonce, 0, sizeof(d->nonce));
		d->nonce[0] = 2;
		n = d->nonce + 1;
	}
	memcpy(n, k->iv, QUIC_CRYPTO_IV_LEN);
	for (i = 0; i < 8; i++)
		n[QUIC_CRYPTO_IV_LEN - 1 - i] ^= (u8)(pn >> (8 * i));
	return d->nonce;
}

/* Header protection mask from the sample in d->hp_buf, into d->hp_buf. */
static int quic_crypto_hp_mask(struct quic_crypto_dir *d)
{
	SYNC_SKCIPHER_REQUEST_ON_STACK(req, d->hp);
	struct scatterlist sg;
	int err;

	skcipher_request_set_sync_tfm(req, d->hp);
	skcipher_request_set_callback(req, 0, NULL, NULL);
	if (d->cipher->chacha) {
		/* counter (LE) and nonce are the sample; encrypt zeros */
		memcpy(d->hp_iv, d->hp_buf, QUIC_CRYPTO_SAMPLE_LEN);
		memset(d->hp_buf, 0, QUIC_CRYPTO_MASK_LEN);
		sg_init_one(&sg, d->hp_buf, QUIC_CRYPTO_MASK_LEN);
		skcipher_request_set_crypt(req, &sg, &sg,
					   QUIC_CRYPTO_MASK_LEN, d->hp_iv);
	} else {
		sg_init_one(&sg, d->hp_buf, QUIC_CRYPTO_SAMPLE_LEN);
		skcipher_request_set_crypt(req, &sg, &sg,
					   QUIC_CRYPTO_SAMPLE_LEN, NULL);
	}
	err = crypto_skcipher_encrypt(req);
	skcipher_request_zero(req);
	return err;
}

/* XOR the header protection mask into byte 0 and the packet number */
static void quic_crypto_hp_apply(const u8 *mask, u8 *b0, u8 *pn,
				 unsigned int pn_len)
{
	unsigned int i;

	*b0 ^= mask[0] & ((*b0 & QUIC_HDR_FORM_LONG) ? QUIC_LONG_HP_MASK :
						       QUIC_SHORT_HP_MASK);
	for (i = 0; i < pn_len; i++)
		pn[i] ^= mask[1 + i];
}

/*
 * Make an skb's data writable in place, as net/ipv4/esp4.c does; return
 * the number of scatterlist entries its data may need (at most
 * QUIC_CRYPTO_MAX_SG) or a negative error code.  A private linear skb,
 * or one with private page frags and no frag list, is used as is; any
 * other is copied by skb_cow_data() (GFP_ATOMIC).  With @tailbits, room
 * for that many bytes is made after the data, in *@trailer.
 */
static int quic_crypto_skb_writable(struct sk_buff *skb, int tailbits,
				    struct sk_buff **trailer)
{
	int nfrags;

	*trailer = skb;
	if (!skb_cloned(skb)) {
		if (!skb_is_nonlinear(skb) && skb_tailroom(skb) >= tailbits)
			return 1;
		if (!tailbits && !skb_has_frag_list(skb) &&
		    !skb_has_shared_frag(skb))
			return skb_shinfo(skb)->nr_frags + 1;
	}
	nfrags = skb_cow_data(skb, tailbits, trailer);
	if (nfrags < 0 || nfrags <= QUIC_CRYPTO_MAX_SG)
		return nfrags;

	/* too many pieces for our scatterlist: one piece */
	*trailer = skb;
	if (skb_linearize(skb))
		return -ENOMEM;
	if (skb_tailroom(skb) < tailbits &&
	    pskb_expand_head(skb, 0, tailbits - skb_tailroom(skb), GFP_ATOMIC))
		return -ENOMEM;
	return 1;
}

/**
 * quic_crypto_encrypt - protect one packet in place
 * @c: the structure of the packet's space, send keys installed
 * @skb: the packet is [@off, @skb->len): the header, whose packet number
 *	field is @pn_len bytes at @pn_offset, then the payload
 * @off: where the packet starts (packets coalesced in one datagram are
 *	protected one after the other, each at the end of @skb)
 * @pn_offset: offset of the packet number field from @off
 * @pn_len: packet number length, 1 to 4; must match byte 0's low bits
 * @pn: the full packet number
 *
 * Appends the 16-byte AEAD tag, encrypts the payload with the header as
 * associated data and then applies header protection.  For 1-RTT (short
 * header) the key phase bit is set to the current send key phase first.
 * The payload must be long enough for the header protection sample:
 * @pn_offset + 4 bytes at least up to the tag (pad the packet).
 *
 * The fast path allocates nothing: a linear, not cloned @skb with 16
 * bytes of tailroom.  Any other @skb is made writable with
 * skb_cow_data(), which may reallocate its head (GFP_ATOMIC): pointers
 * into the skb's data are stale after the call.  After an error other
 * than -ENOKEY or -EINVAL the packet's bytes are undefined: drop it.
 *
 * Context: any but hard IRQ; see struct quic_crypto for locking.
 * Return: 0; -ENOKEY without send keys; -EAGAIN when the SIMD cipher
 * cannot run here (nothing changed); -EINVAL for bad lengths or
 * offsets; -ENOMEM; or an error of the crypto API.
 */
int quic_crypto_encrypt(struct quic_crypto *c, struct sk_buff *skb,
			unsigned int off, unsigned int pn_offset,
			unsigned int pn_len, u64 pn)
{
	return quic_crypto_encrypt_src(c, skb, off, pn_offset, pn_len, pn,
				       NULL);
}

/*
 * disable_1rtt_encryption (both sides asked for it, a measurement aid of
 * the ABI): a 1-RTT packet leaves as it is, without AEAD tag nor header
 * protection; only the plaintext of @src, when given, is copied in (the
 * header is already there: the first entry maps it).
 */
static int quic_crypto_plain_out(struct quic_crypto_dir *d,
				 struct sk_buff *skb, unsigned int off,
				 struct scatterlist *src)
{
	u8 *dst = skb->data + off;
	struct scatterlist *e;

	if (src) {
		if (skb_is_nonlinear(skb))
			return -EINVAL;
		for (e = src; e; e = sg_next(e)) {
			if (sg_virt(e) != dst)
				memcpy(dst, sg_virt(e), e->length);
			dst += e->length;
		}
	}
	d->packets++;
	return 0;
}

/**
 * quic_crypto_set_plain - 1-RTT packets go without protection both ways
 * @c: the 1-RTT structure
 *
 * For disable_1rtt_encryption, which both sides must have sent: set before
 * the first 1-RTT packet is sent or read.
 */
void quic_crypto_set_plain(struct quic_crypto *c)
{
	c->tx.plain = 1;
	c->rx.plain = 1;
}

/**
 * quic_crypto_encrypt_src - protect one packet, reading its plaintext
 *	elsewhere
 * @c: as for quic_crypto_encrypt()
 * @skb: as for quic_crypto_encrypt(), but only the header bytes need be
 *	there: the rest of [@off, @skb->len) is written, not read
 * @off: as for quic_crypto_encrypt()
 * @pn_offset: as for quic_crypto_encrypt()
 * @pn_len: as for quic_crypto_encrypt()
 * @pn: as for quic_crypto_encrypt()
 * @src: the header and plaintext, @skb->len - @off bytes, whose first
 *	entry maps the header in @skb itself; NULL: in place
 *
 * The encryption is then the only write of the payload into @skb: frames
 * kept for retransmission are not copied first.  @skb must be linear, not
 * cloned, with the tag's tailroom (nothing in it may move).
 *
 * Context: as for quic_crypto_encrypt().
 * Return: as for quic_crypto_encrypt().
 */
int quic_crypto_encrypt_src(struct quic_crypto *c, struct sk_buff *skb,
			    unsigned int off, unsigned int pn_offset,
			    unsigned int pn_len, u64 pn, struct scatterlist *src)
{
	struct quic_crypto_dir *d = &c->tx;
	unsigned int hdr_len, len;
	struct quic_crypto_key *k;
	struct sk_buff *trailer;
	u8 b0, pnb[4];
	int nfrags, err;

	if (!d->ready)
		return -ENOKEY;
	if (off > skb->len)
		return -EINVAL;
	len = skb->len - off;	/* header and payload, without the tag */
	hdr_len = pn_offset + pn_len;
	if (!pn_offset || pn_len < 1 || pn_len > QUIC_CRYPTO_PN_MAX_LEN ||
	    pn > QUIC_CRYPTO_PN_MAX || len < QUIC_CRYPTO_PN_MAX_LEN ||
	    pn_offset > len - QUIC_CRYPTO_PN_MAX_LEN)
		return -EINVAL;

	if (skb_copy_bits(skb, off, &b0, 1))
		return -EINVAL;
	if ((b0 & QUIC_PN_LEN_MASK) + 1 != pn_len)
		return -EINVAL;

	if (src && (skb_is_nonlinear(skb) || skb_cloned(skb) ||
		    skb_tailroom(skb) < QUIC_CRYPTO_TAG_LEN))
		return -EINVAL;
	if (d->plain)
		return quic_crypto_plain_out(d, skb, off, src);
	if (d->key[0].simd && !may_use_simd())
		return -EAGAIN;	/* nothing touched: try again later */
	nfrags = quic_crypto_skb_writable(skb, QUIC_CRYPTO_TAG_LEN, &trailer);
	if (nfrags < 0)
		return nfrags;
	pskb_put(skb, trailer, QUIC_CRYPTO_TAG_LEN);

	k = &d->key[d->phase];
	if (d->app && !(b0 & QUIC_HDR_FORM_LONG)) {
		b0 &= ~QUIC_SHORT_KEY_PHASE;
		if (d->phase)
			b0 |= QUIC_SHORT_KEY_PHASE;
		err = skb_store_bits(skb, off, &b0, 1);
		if (err)
			return err;
	}

	sg_init_table(d->sg, nfrags);
	err = skb_to_sgvec(skb, d->sg, off, len + QUIC_CRYPTO_TAG_LEN);
	if (err < 0)
		return err;
	aead_request_set_ad(k->req, hdr_len);
	aead_request_set_crypt(k->req, src ?: d->sg, d->sg, len - hdr_len,
			       quic_crypto_nonce(d, k, pn));
	err = crypto_aead_encrypt(k->req);
	if (err)
		return err;

	/* header protection: sample 4 bytes after the start of the pn */
	err = skb_copy_bits(skb, off + pn_offset + QUIC_CRYPTO_PN_MAX_LEN,
			    d->hp_buf, QUIC_CRYPTO_SAMPLE_LEN);
	if (!err)
		err = quic_crypto_hp_mask(d);
	if (!err)
		err = skb_copy_bits(skb, off + pn_offset, pnb, pn_len);
	if (err)
		return err;
	quic_crypto_hp_apply(d->hp_buf, &b0, pnb, pn_len);
	err = skb_store_bits(skb, off, &b0, 1);
	if (!err)
		err = skb_store_bits(skb, off + pn_offset, pnb, pn_len);
	if (err)
		return err;
	d->packets++;
	return 0;
}

/* an unprotected 1-RTT packet (disable_1rtt_encryption): read as it is */
static int quic_crypto_plain_in(struct sk_buff *skb, unsigned int off,
				unsigned int pkt_len, unsigned int pn_offset,
				u64 largest_pn,
				struct quic_crypto_rx_info *info)
{
	unsigned int pn_len, i;
	u64 truncated = 0;
	u8 b0, pnb[4];

	if (skb_copy_bits(skb, off, &b0, 1))
		return -EINVAL;
	pn_len = (b0 & QUIC_PN_LEN_MASK) + 1;
	if (pn_offset + pn_len >= pkt_len ||
	    skb_copy_bits(skb, off + pn_offset, pnb, pn_len))
		return -EINVAL;
	for (i = 0; i < pn_len; i++)
		truncated = (truncated << 8) | pnb[i];
	info->pn = quic_pn_decode(largest_pn, truncated, pn_len);
	info->hdr_len = pn_offset + pn_len;
	info->pn_len = pn_len;
	info->first_byte = b0;
	info->key_phase = 0;
	info->key_update = 0;
	info->tag_len = 0;
	return 0;
}

/**
 * quic_crypto_decrypt - remove protection from one packet in place
 * @c: the structure of the packet's space, receive keys installed
 * @skb: the datagram; it may be non-linear and hold coalesced packets
 * @off: where this packet starts in @skb
 * @pkt_len: its length, tag included
 * @pn_offset: offset of the packet number field from @off
 * @largest_pn: the largest packet number received so far in the space,
 *	or (u64)-1 when none was (RFC 9000 appendix A.3)
 * @info: filled on success
 *
 * Removes header protection, decodes the packet number, selects the key
 * generation by the key phase bit (1-RTT) and opens the payload.  On
 * success the plaintext payload is [@off + @info->hdr_len,
 * @off + @pkt_len - 16) of @skb, the header bytes are unprotected and
 * @info describes the packet; if @info->key_update is set the caller
 * commits the key update with quic_crypto_key_update_commit().
 *
 * On failure no state changes, but the packet's bytes in @skb may have
 * been altered (header protection removed, payload partly decrypted): the
 * caller drops the packet.
 *
 * A private linear skb or one with private page frags is worked on as is;
 * a cloned one, or one with a frag list, is made writable with
 * skb_cow_data() (GFP_ATOMIC), which may reallocate its head: pointers
 * into the skb's data are stale after the call.
 *
 * Context: any but hard IRQ; see struct quic_crypto for locking.
 * Return: 0; -EBADMSG when authentication fails; -EAGAIN when the SIMD
 * cipher cannot run here; -ENOKEY without keys
 * for the packet (none installed, or its key phase needs a generation
 * that quic_crypto_key_update_prepare() has not derived yet); -EINVAL
 * for bad lengths or offsets; -ENOMEM; or an error of the crypto API.
 */
int quic_crypto_decrypt(struct quic_crypto *c, struct sk_buff *skb,
			unsigned int off, unsigned int pkt_len,
			unsigned int pn_offset, u64 largest_pn,
			struct quic_crypto_rx_info *info)
{
	struct quic_crypto_dir *d = &c->rx;
	unsigned int pn_len, hdr_len, i;
	struct quic_crypto_key *k;
	struct sk_buff *trailer;
	u8 b0, pnb[4], phase;
	bool update = false;
	u64 truncated = 0;
	int nfrags, err;

	if (!d->ready)
		return -ENOKEY;
	if (d->plain) {
		if (off > skb->len || pkt_len > skb->len - off || !pn_offset)
			return -EINVAL;
		return quic_crypto_plain_in(skb, off, pkt_len, pn_offset,
					    largest_pn, info);
	}
	if (d->key[0].simd && !may_use_simd())
		return -EAGAIN;	/* the packet is dropped, as if lost */
	if (off > skb->len || pkt_len > skb->len - off || !pn_offset ||
	    pkt_len < QUIC_CRYPTO_PN_MAX_LEN + QUIC_CRYPTO_SAMPLE_LEN ||
	    pn_offset > pkt_len - QUIC_CRYPTO_PN_MAX_LEN -
			QUIC_CRYPTO_SAMPLE_LEN)
		return -EINVAL;

	nfrags = quic_crypto_skb_writable(skb, 0, &trailer);
	if (nfrags < 0)
		return nfrags;

	/* header protection */
	err = skb_copy_bits(skb, off + pn_offset + QUIC_CRYPTO_PN_MAX_LEN,
			    d->hp_buf, QUIC_CRYPTO_SAMPLE_LEN);
	if (!err)
		err = skb_copy_bits(skb, off, &b0, 1);
	if (!err)
		err = quic_crypto_hp_mask(d);
	if (err)
		return err;
	quic_crypto_hp_apply(d->hp_buf, &b0, pnb, 0);
	pn_len = (b0 & QUIC_PN_LEN_MASK) + 1;
	hdr_len = pn_offset + pn_len;
	err = skb_copy_bits(skb, off + pn_offset, pnb, pn_len);
	if (err)
		return err;
	for (i = 0; i < pn_len; i++) {
		pnb[i] ^= d->hp_buf[1 + i];
		truncated = (truncated << 8) | pnb[i];
	}
	err = skb_store_bits(skb, off, &b0, 1);
	if (!err)
		err = skb_store_bits(skb, off + pn_offset, pnb, pn_len);
	if (err)
		return err;

	/* key generation */
	phase = d->phase;
	if (d->app && !(b0 & QUIC_HDR_FORM_LONG) &&
	    !!(b0 & QUIC_SHORT_KEY_PHASE) != d->phase) {
		if (d->next_ready) {
			/* the send side must be able to follow: commit */
			if (c->tx.phase == d->phase &&
			    !(c->tx.ready && c->tx.next_ready))
				return -ENOKEY;
			update = true;
		} else if (!d->old_ready) {
			return -ENOKEY;
		}
		phase = !d->phase;
	}
	k = &d->key[phase];

	info->pn = quic_pn_decode(largest_pn, truncated, pn_len);
	sg_init_table(d->sg, nfrags);
	err = skb_to_sgvec(skb, d->sg, off, pkt_len);
	if (err < 0)
		return err;
	aead_request_set_ad(k->req, hdr_len);
	aead_request_set_crypt(k->req, d->sg, d->sg, pkt_len - hdr_len,
			       quic_crypto_nonce(d, k, info->pn));
	err = crypto_aead_decrypt(k->req);
	if (err) {
		if (err == -EBADMSG)
			c->rx_auth_failures++;
		return err;
	}

	info->hdr_len = hdr_len;
	info->pn_len = pn_len;
	info->first_byte = b0;
	info->key_phase = !(b0 & QUIC_HDR_FORM_LONG) &&
			  (b0 & QUIC_SHORT_KEY_PHASE);
	info->key_update = update;
	info->tag_len = QUIC_CRYPTO_TAG_LEN;
	return 0;
}

/* key update, RFC 9001 section 6 */

/**
 * quic_crypto_key_update - initiate a key update
 * @c: the 1-RTT structure
 *
 * Switches the send keys to the next (prepared) generation and flips the
 * send key phase.  The receive side keeps accepting the current phase
 * and the next one, and moves on when the peer's first packet in the new
 * phase is committed.  The caller checks RFC 9001 section 6.1's rules
 * (handshake confirmed, previous update acknowledged) and then calls
 * quic_crypto_key_update_prepare() from process context.
 *
 * Context: any but hard IRQ; does not sleep.
 * Return: 0; -EINVAL if @c has no 1-RTT keys; -EBUSY while an update we
 * initiated has not been answered; -EAGAIN if the next generation is not
 * prepared yet.
 */
int quic_crypto_key_update(struct quic_crypto *c)
{
	struct quic_crypto_dir *tx = &c->tx, *rx = &c->rx;

	if (!tx->ready || !tx->app || !rx->ready || !rx->app)
		return -EINVAL;
	if (tx->phase != rx->phase)
		return -EBUSY;
	if (!tx->next_ready || !rx->next_ready)
		return -EAGAIN;
	tx->phase = !tx->phase;
	tx->next_ready = 0;
	tx->old_ready = 1;
	tx->packets = 0;
	return 0;
}

/**
 * quic_crypto_key_update_commit - a packet opened with the next keys
 * @c: the 1-RTT structure
 *
 * Called after quic_crypto_decrypt() reported @info->key_update.  The
 * receive keys move to the new generation; if the peer initiated the
 * update, the send keys follow (RFC 9001 section 6.2).  The previous
 * receive generation stays usable for reordered packets until
 * quic_crypto_key_update_prepare() replaces it with the next one.
 *
 * Context: any but hard IRQ; does not sleep.
 * Return: 0; -EINVAL if there is nothing to commit; -ENOKEY if the send
 * keys cannot follow (not prepared).
 */
int quic_crypto_key_update_commit(struct quic_crypto *c)
{
	struct quic_crypto_dir *tx = &c->tx, *rx = &c->rx;

	if (!rx->ready || !rx->app || !rx->next_ready)
		return -EINVAL;
	if (tx->phase == rx->phase) {
		if (!tx->ready || !tx->next_ready)
			return -ENOKEY;
		tx->phase = !tx->phase;
		tx->next_ready = 0;
		tx->old_ready = 1;
		tx->packets = 0;
	}
	rx->phase = !rx->phase;
	rx->next_ready = 0;
	rx->old_ready = 1;
	return 0;
}

/**
 * quic_crypto_key_update_prepare - derive the next key generation
 * @c: the 1-RTT structure
 *
 * For each direction whose next generation is not ready (after an
 * update, or a failed attempt), derives it from the current secret with
 * "quic ku" (or "quicv2 ku") and sets it into the spare transform.  On
 * the receive side this drops the previous generation: RFC 9001 section
 * 6.5 lets the caller delay this call for a while (e.g. three PTOs) to
 * keep opening reordered packets.  quic_crypto_key_update_pending()
 * tells whether there is work to do.
 *
 * Context: process context (sets keys), e.g. from a workqueue or the
 * socket's release_cb, under the socket lock.
 * Return: 0 or a negative error code; it can be called again.
 */
int quic_crypto_key_update_prepare(struct quic_crypto *c)
{
	struct quic_crypto_dir *dirs[] = { &c->tx, &c->rx };
	struct crypto_shash *hmac;
	struct quic_crypto_dir *d;
	int i, err = 0;

	might_sleep();
	for (i = 0; i < ARRAY_SIZE(dirs) && !err; i++) {
		d = dirs[i];
		if (!d->ready || !d->app || d->next_ready)
			continue;
		hmac = crypto_alloc_shash(d->cipher->hmac, 0, 0);
		if (IS_ERR(hmac))
			return PTR_ERR(hmac);
		err = quic_crypto_next_gen(d, hmac);
		crypto_free_shash(hmac);
	}
	return err;
}

/**
 * quic_crypto_rx_limit_reached - whether the packets that failed
 * authentication reached the AEAD's integrity limit, RFC 9001 section
 * 6.6: the connection must then close with AEAD_LIMIT_REACHED
 * @c: the keys of one level
 */
bool quic_crypto_rx_limit_reached(const struct quic_crypto *c)
{
	return c->rx.cipher &&
	       c->rx_auth_failures >= c->rx.cipher->integrity_limit;
}

/* Retry integrity, RFC 9001 section 5.8 */

/**
 * quic_crypto_module_init - allocate the Retry integrity transforms
 *
 * Context: process context, at module load.
 * Return: 0 or a negative error code.
 */
int quic_crypto_module_init(void)
{
	static const u8 *const keys[] = {
		quic_retry_key_v1, quic_retry_key_v2,
	};
	struct crypto_aead *aead;
	int i, err;

	BUILD_BUG_ON(sizeof(quic_initial_salt_v1) !=
		     sizeof(quic_initial_salt_v2));
	/* a trial allocation: crypto_has_aead() is not on every kernel */
	aead = crypto_alloc_aead("__gcm(aes)", CRYPTO_ALG_INTERNAL,
				 CRYPTO_ALG_INTERNAL | CRYPTO_ALG_ASYNC);
	quic_have_simd_gcm = !IS_ERR(aead);
	if (quic_have_simd_gcm)
		crypto_free_aead(aead);
	for (i = 0; i < ARRAY_SIZE(quic_retry_aead); i++) {
		aead = crypto_alloc_aead("gcm(aes)", 0, CRYPTO_ALG_ASYNC);
		if (IS_ERR(aead)) {
			err = PTR_ERR(aead);
			goto err;
		}
		quic_retry_aead[i] = aead;
		err = crypto_aead_setauthsize(aead, QUIC_CRYPTO_TAG_LEN);
		if (!err)
			err = crypto_aead_setkey(aead, keys[i],
						 sizeof(quic_retry_key_v1));
		if (err)
			goto err;
	}
	return 0;
err:
	quic_crypto_module_exit();
	return err;
}

/**
 * quic_crypto_module_exit - free the Retry integrity transforms
 */
void quic_crypto_module_exit(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(quic_retry_aead); i++) {
		if (quic_retry_aead[i])
			crypto_free_aead(quic_retry_aead[i]);
		quic_retry_aead[i] = NULL;
	}
}

/**
 * quic_crypto_retry_tag - compute a Retry Integrity Tag
 * @pseudo: the Retry Pseudo-Packet: ODCID length, ODCID, then the Retry
 *	packet without its tag; any memory (it is copied)
 * @len: its length, 1 to QUIC_CRYPTO_RETRY_MAX_LEN
 * @version: QUIC_VERSION_V1 or QUIC_VERSION_V2
 * @tag: output
 *
 * Needs quic_crypto_module_init().  Retry packets are rare: the request
 * and a copy of @pseudo are allocated per call (GFP_ATOMIC).
 *
 * Context: any but hard IRQ.
 * Return: 0; -EINVAL for a bad version or length; -ENOKEY before
 * quic_crypto_module_init(); -ENOMEM.
 */
int quic_crypto_retry_tag(const u8 *pseudo, unsigned int len, u32 version,
			  u8 tag[QUIC_CRYPTO_TAG_LEN])
{
	u8 nonce[QUIC_CRYPTO_IV_LEN];
	struct aead_request *req;
	struct crypto_aead *aead;
	struct scatterlist sg;
	u8 *buf;
	int err;

	switch (version) {
	case QUIC_VERSION_V1:
		aead = quic_retry_aead[0];
		memcpy(nonce, quic_retry_nonce_v1, sizeof(nonce));
		break;
	case QUIC_VERSION_V2:
		aead = quic_retry_aead[1];
		memcpy(nonce, quic_retry_nonce_v2, sizeof(nonce));
		break;
	default:
		return -EINVAL;
	}
	if (!len || len > QUIC_CRYPTO_RETRY_MAX_LEN)
		return -EINVAL;
	if (!aead)
		return -ENOKEY;

	buf = kmalloc(len + QUIC_CRYPTO_TAG_LEN, GFP_ATOMIC);
	if (!buf)
		return -ENOMEM;
	req = aead_request_alloc(aead, GFP_ATOMIC);
	if (!req) {
		kfree(buf);
		return -ENOMEM;
	}
	memcpy(buf, pseudo, len);
	sg_init_one(&sg, buf, len + QUIC_CRYPTO_TAG_LEN);
	aead_request_set_callback(req, 0, NULL, NULL);
	aead_request_set_ad(req, len);
	aead_request_set_crypt(req, &sg, &sg, 0, nonce);
	err = crypto_aead_encrypt(req);
	if (!err)
		memcpy(tag, buf + len, QUIC_CRYPTO_TAG_LEN);
	aead_request_free(req);
	kfree(buf);
	return err;
}

/**
 * quic_crypto_retry_verify - check a Retry Integrity Tag
 * @pseudo: the Retry Pseudo-Packet (without the tag)
 * @len: its length
 * @version: QUIC_VERSION_V1 or QUIC_VERSION_V2
 * @tag: the tag that ended the Retry packet
 *
 * Context: any but hard IRQ.
 * Return: 0 if @tag is right, -EBADMSG if not, or an error of
 * quic_crypto_retry_tag().
 */
int quic_crypto_retry_verify(const u8 *pseudo, unsigned int len, u32 version,
			     const u8 tag[QUIC_CRYPTO_TAG_LEN])
{
	u8 want[QUIC_CRYPTO_TAG_LEN];
	int err;

	err = quic_crypto_retry_tag(pseudo, len, version, want);
	if (err)
		return err;
	return crypto_memneq(want, tag, QUIC_CRYPTO_TAG_LEN) ? -EBADMSG : 0;
}
