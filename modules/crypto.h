/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC packet protection: the key schedule (HKDF-Expand-Label), AEAD
 * payload protection, header protection and key update of RFC 9001,
 * with the version 2 labels and salts of RFC 9369.
 */
#ifndef __QUIC_CRYPTO_H
#define __QUIC_CRYPTO_H

#include <linux/quic.h>
#include <linux/scatterlist.h>
#include <linux/skbuff.h>

struct crypto_aead;
struct aead_request;
struct crypto_shash;
struct crypto_sync_skcipher;
struct quic_cipher;

#define QUIC_CRYPTO_TAG_LEN		16	/* every QUIC AEAD */
#define QUIC_CRYPTO_IV_LEN		12
#define QUIC_CRYPTO_INITIAL_SALT_LEN	20
#define QUIC_CRYPTO_KEY_MAX_LEN		32
#define QUIC_CRYPTO_SECRET_MAX_LEN	QUIC_CRYPTO_SECRET_BUFFER_SIZE
#define QUIC_CRYPTO_SAMPLE_LEN		16	/* header protection sample */
#define QUIC_CRYPTO_MASK_LEN		5	/* header protection mask used */
#define QUIC_CRYPTO_PN_MAX_LEN		4
#define QUIC_CRYPTO_PN_MAX		((1ULL << 62) - 1)
#define QUIC_CRYPTO_RETRY_MAX_LEN	65535	/* Retry pseudo-packet */

/* Scatterlist entries for one packet: head, page frags, one spare. */
#define QUIC_CRYPTO_MAX_SG		(MAX_SKB_FRAGS + 2)

/**
 * struct quic_crypto_key - one generation of AEAD keys for one direction
 * @aead: synchronous AEAD transform, key and 16-byte tag size set
 * @req: request preallocated for @aead at key install time
 * @iv: the packet protection IV; the nonce is @iv XOR the packet number
 * @simd: @aead is a SIMD implementation: only while may_use_simd()
 */
struct quic_crypto_key {
	struct crypto_aead	*aead;
	struct aead_request	*req;
	u8			iv[QUIC_CRYPTO_IV_LEN];
	u8			simd;
};

/**
 * struct quic_crypto_dir - the keys of one direction (send or receive)
 * @key: AEAD keys by key phase; only @key[0] outside 1-RTT.  In 1-RTT,
 *	@key[@phase] is the current generation and @key[!@phase] either the
 *	next one (@next_ready) or the previous one (@old_ready).
 * @hp: header protection cipher ("ecb(aes)" or "chacha20"), never updated
 * @cipher: the cipher suite
 * @packets: packets protected (send) with the current key generation
 * @version: QUIC version whose labels derived the keys
 * @secret: 1-RTT only: the traffic secret of the newest generation
 *	derived, from which the next one is derived ("quic ku")
 * @nonce: scratch: the AEAD nonce (16 bytes: the CCM IV block)
 * @hp_buf: scratch: header protection sample in, mask out
 * @hp_iv: scratch: ChaCha20 counter and nonce
 * @phase: current key phase
 * @ready: keys installed
 * @app: 1-RTT keys: key phases and key update apply
 * @next_ready: @key[!@phase] holds the next generation
 * @old_ready: @key[!@phase] holds the previous generation
 * @sg: scatterlist for one packet, QUIC_CRYPTO_MAX_SG entries, allocated
 *	with the keys
 */
struct quic_crypto_dir {
	struct quic_crypto_key		key[2];
	struct crypto_sync_skcipher	*hp;
	const struct quic_cipher	*cipher;
	u64				packets;
	u32				version;
	u8				secret[QUIC_CRYPTO_SECRET_MAX_LEN];
	u8				nonce[16];
	u8				hp_buf[QUIC_CRYPTO_SAMPLE_LEN];
	u8				hp_iv[16];
	u8				phase;
	u8				ready:1,
					app:1,
					next_ready:1,
					old_ready:1,
					plain:1;	/* 1-RTT without
							 * protection: both
							 * sides set
							 * disable_1rtt_encryption
							 */
	struct scatterlist		*sg;
};

/**
 * struct quic_crypto - packet protection of one packet number space
 *	(one crypto level) of one connection
 * @tx: keys to protect packets we send
 * @rx: keys to remove protection from packets we receive
 * @rx_auth_failures: packets that failed authentication, over every key
 *	generation (RFC 9001 section 6.6 integrity limit)
 *
 * Context: quic_crypto_init() and the functions that allocate transforms
 * or set keys - quic_crypto_free(), quic_crypto_initial_keys(),
 * quic_crypto_set_secret() and quic_crypto_key_update_prepare() - may
 * sleep: process context only.  quic_crypto_encrypt(),
 * quic_crypto_decrypt(), quic_crypto_key_update() and
 * quic_crypto_key_update_commit() neither sleep nor set keys and run in
 * any context but hard IRQ; they allocate nothing unless handed a cloned
 * or fragmented skb that must be made writable (see there).
 *
 * Locking: none inside.  The caller serialises every call on one
 * struct quic_crypto, normally with the socket lock (lock_sock() in
 * process context, bh_lock_sock() in softirq context).
 *
 * Memory: the structure must live in kmalloc'ed memory (a socket, a
 * kzalloc()), never on the stack nor in vmalloc space: its scratch
 * buffers go to the crypto API in scatterlists.
 */
struct quic_crypto {
	struct quic_crypto_dir	tx;
	struct quic_crypto_dir	rx;
	u64			rx_auth_failures;
};

/**
 * struct quic_crypto_rx_info - what quic_crypto_decrypt() found
 * @pn: the full packet number
 * @hdr_len: header length, up to and including the packet number
 * @pn_len: packet number length in bytes, 1 to 4
 * @first_byte: the first byte with header protection removed (the caller
 *	checks the reserved bits)
 * @key_phase: short header: the key phase bit of the packet
 * @key_update: short header: the packet was opened with the next key
 *	generation; the caller must call quic_crypto_key_update_commit()
 *	before it decrypts another packet of this space
 * @tag_len: the AEAD tag at the end of the packet (0 when unprotected)
 */
struct quic_crypto_rx_info {
	u64	pn;
	u32	hdr_len;
	u8	pn_len;
	u8	first_byte;
	u8	key_phase;
	u8	key_update;
	u8	tag_len;
};

bool quic_crypto_rx_limit_reached(const struct quic_crypto *c);
int quic_crypto_module_init(void);
void quic_crypto_module_exit(void);

void quic_crypto_init(struct quic_crypto *c);
void quic_crypto_free(struct quic_crypto *c);
int quic_crypto_initial_keys(struct quic_crypto *c, const u8 *dcid,
			     u8 dcid_len, u32 version, bool is_serv);
int quic_crypto_set_secret(struct quic_crypto *c,
			   const struct quic_crypto_secret *s, u32 version);

int quic_crypto_encrypt(struct quic_crypto *c, struct sk_buff *skb,
			unsigned int off, unsigned int pn_offset,
			unsigned int pn_len, u64 pn);
int quic_crypto_encrypt_src(struct quic_crypto *c, struct sk_buff *skb,
			    unsigned int off, unsigned int pn_offset,
			    unsigned int pn_len, u64 pn, struct scatterlist *src);
int quic_crypto_decrypt(struct quic_crypto *c, struct sk_buff *skb,
			unsigned int off, unsigned int pkt_len,
			unsigned int pn_offset, u64 largest_pn,
			struct quic_crypto_rx_info *info);

void quic_crypto_set_plain(struct quic_crypto *c);
int quic_crypto_key_update(struct quic_crypto *c);
int quic_crypto_key_update_commit(struct quic_crypto *c);
int quic_crypto_key_update_prepare(struct quic_crypto *c);

int quic_crypto_retry_tag(const u8 *pseudo, unsigned int len, u32 version,
			  u8 tag[QUIC_CRYPTO_TAG_LEN]);
int quic_crypto_retry_verify(const u8 *pseudo, unsigned int len, u32 version,
			     const u8 tag[QUIC_CRYPTO_TAG_LEN]);

int quic_hkdf_extract(struct crypto_shash *hmac, const u8 *salt,
		      unsigned int salt_len, const u8 *ikm,
		      unsigned int ikm_len, u8 *prk);
int quic_hkdf_expand_label(struct crypto_shash *hmac, const u8 *secret,
			   unsigned int secret_len, const char *label,
			   const u8 *context, unsigned int context_len,
			   u8 *out, unsigned int out_len);

u64 quic_pn_decode(u64 largest_pn, u64 truncated_pn, unsigned int pn_len);

static inline bool quic_crypto_tx_ready(const struct quic_crypto *c)
{
	return c->tx.ready;
}

static inline bool quic_crypto_rx_ready(const struct quic_crypto *c)
{
	return c->rx.ready;
}

/* the key phase bit we send with */
static inline u8 quic_crypto_tx_phase(const struct quic_crypto *c)
{
	return c->tx.phase;
}

/* the key phase bit of the current receive keys */
static inline u8 quic_crypto_rx_phase(const struct quic_crypto *c)
{
	return c->rx.phase;
}

/* a key update we initiated waits for the peer's first packet in it */
static inline bool quic_crypto_key_update_in_flight(const struct quic_crypto *c)
{
	return c->tx.app && c->rx.ready && c->tx.phase != c->rx.phase;
}

/* quic_crypto_key_update_prepare() has work to do */
static inline bool quic_crypto_key_update_pending(const struct quic_crypto *c)
{
	return (c->tx.ready && c->tx.app && !c->tx.next_ready) ||
	       (c->rx.ready && c->rx.app && !c->rx.next_ready);
}

const u8 *quic_crypto_initial_salt(u32 version);

#endif /* __QUIC_CRYPTO_H */
