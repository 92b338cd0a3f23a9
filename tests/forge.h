/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * forge.h - forged QUIC version 1 Initial packets, for attack tests.
 *
 * Anyone can make an Initial that a server opens: its keys come from the
 * Destination Connection ID the client picks (RFC 9001 section 5.2).
 * This header derives those keys with GnuTLS and protects a payload of
 * our choice (AES-128-GCM, then AES-128 header protection), so that a
 * test can send what a hostile client sends, from a plain UDP socket.
 * It also opens the server's answers, which use the "server in" keys of
 * the same ID.
 *
 *	struct forge_keys k;
 *
 *	forge_initial_keys(&k, dcid, 8, 0);
 *	n = forge_initial(&k, pkt, sizeof(pkt), dcid, 8, scid, 8, pn,
 *			  payload, plen, 1200);
 *
 * For packets of any shape (a fuzzer's), the keys of any traffic secret
 * of TLS_AES_128_GCM_SHA256 (forge_keys_from_secret(), and
 * forge_next_secret() for key updates), a keyed context that protects
 * and opens many packets (forge_aead_init(), forge_seal(), forge_open())
 * around headers the caller writes, and varints of a chosen length
 * (forge_put_varint()).
 *
 * For the frames inside: the frame types of RFC 9000 section 19 and RFC
 * 9221 (F_*), and a bounded byte writer (struct wb: wb_bytes(), wb_u8(),
 * wb_zero(), wb_varint_len()).
 *
 * Header-only, for the test programs.
 */
#ifndef QUIC_TESTS_FORGE_H
#define QUIC_TESTS_FORGE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

/* RFC 9001 section 5.2: the version 1 Initial salt */
static const uint8_t forge_v1_salt[20] = {
	0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
	0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
};

struct forge_keys {
	uint8_t	key[16];
	uint8_t	iv[12];
	uint8_t	hp[16];
};

/* RFC 8446 section 7.1 HKDF-Expand-Label with an empty context */
static inline int forge_expand_label(const uint8_t *secret, const char *label,
				     uint8_t *out, size_t len)
{
	uint8_t info[64];
	size_t ll = strlen(label), n = 0;
	gnutls_datum_t prk = { (unsigned char *)secret, 32 };
	gnutls_datum_t inf;

	if (6 + ll > 255 || 4 + 6 + ll > sizeof(info))
		return -1;
	info[n++] = (uint8_t)(len >> 8);
	info[n++] = (uint8_t)len;
	info[n++] = (uint8_t)(6 + ll);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, ll);
	n += ll;
	info[n++] = 0;
	inf.data = info;
	inf.size = (unsigned int)n;
	return gnutls_hkdf_expand(GNUTLS_MAC_SHA256, &prk, &inf, out, len) ?
	       -1 : 0;
}

/*
 * The packet protection keys of a 32-byte traffic secret of a SHA-256
 * cipher suite (RFC 9001 section 5.1): the Initial secrets, and the
 * handshake and 1-RTT ones of TLS_AES_128_GCM_SHA256, which an NSS key
 * log (SSLKEYLOGFILE) shows.  0, or -1 when GnuTLS fails.
 */
static inline int forge_keys_from_secret(struct forge_keys *k,
					 const uint8_t *secret)
{
	if (forge_expand_label(secret, "quic key", k->key, sizeof(k->key)) ||
	    forge_expand_label(secret, "quic iv", k->iv, sizeof(k->iv)) ||
	    forge_expand_label(secret, "quic hp", k->hp, sizeof(k->hp)))
		return -1;
	return 0;
}

/*
 * The secret of the next key phase (RFC 9001 section 6.1): the packet
 * keys change, the header protection key does not.  0 or -1.
 */
static inline int forge_next_secret(const uint8_t *secret, uint8_t *next)
{
	return forge_expand_label(secret, "quic ku", next, 32);
}

/*
 * The Initial keys of @dcid: the client's (@server 0) or the server's.
 * 0, or -1 when GnuTLS fails.
 */
static inline int forge_initial_keys(struct forge_keys *k, const uint8_t *dcid,
				     size_t dcid_len, int server)
{
	gnutls_datum_t ikm = { (unsigned char *)dcid, (unsigned int)dcid_len };
	gnutls_datum_t salt = { (unsigned char *)forge_v1_salt,
				sizeof(forge_v1_salt) };
	uint8_t initial[32], secret[32];

	if (gnutls_hkdf_extract(GNUTLS_MAC_SHA256, &ikm, &salt, initial) ||
	    forge_expand_label(initial, server ? "server in" : "client in",
			       secret, sizeof(secret)))
		return -1;
	return forge_keys_from_secret(k, secret);
}

/* AES-128 of one block: CBC with a zero IV over a single block is ECB */
static inline int forge_hp_mask(const struct forge_keys *k,
				const uint8_t *sample, uint8_t *mask)
{
	gnutls_datum_t key = { (unsigned char *)k->hp, sizeof(k->hp) };
	uint8_t zero[16] = { 0 };
	gnutls_datum_t iv = { zero, sizeof(zero) };
	gnutls_cipher_hd_t h;
	int ret;

	if (gnutls_cipher_init(&h, GNUTLS_CIPHER_AES_128_CBC, &key, &iv))
		return -1;
	ret = gnutls_cipher_encrypt2(h, sample, 16, mask, 16);
	gnutls_cipher_deinit(h);
	return ret ? -1 : 0;
}

static inline void forge_nonce(const struct forge_keys *k, uint64_t pn,
			       uint8_t *nonce)
{
	int i;

	memcpy(nonce, k->iv, 12);
	for (i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
}

/*
 * Write a protected version 1 Initial into @out (of @cap bytes): DCID
 * @dcid, SCID @scid, the token @token of @token_len bytes (at most 63), a
 * 4-byte packet number @pn and the frames in @payload, padded with
 * PADDING frames so that the datagram has @min_len bytes.  Return: its
 * length, or -1.
 */
static inline int forge_initial_token(const struct forge_keys *k,
				      uint8_t *out, size_t cap,
				      const uint8_t *dcid, size_t dcid_len,
				      const uint8_t *scid, size_t scid_len,
				      const uint8_t *token, size_t token_len,
				      uint32_t pn, const uint8_t *payload,
				      size_t plen, size_t min_len)
{
	gnutls_datum_t key = { (unsigned char *)k->key, sizeof(k->key) };
	gnutls_aead_cipher_hd_t aead;
	size_t hdr, pn_off, total, body, clen;
	uint8_t nonce[12], mask[16], *pt;
	int ret, i;

	if (dcid_len > 20 || scid_len > 20 || token_len > 63)
		return -1;
	hdr = 1 + 4 + 1 + dcid_len + 1 + scid_len + 1 + token_len + 2;
	pn_off = hdr;
	hdr += 4;
	total = hdr + plen + 16;
	if (total < min_len)
		total = min_len;
	if (total > cap || total - pn_off > 0x3fff)
		return -1;
	body = total - hdr - 16;	/* plaintext frames incl. padding */

	i = 0;
	out[i++] = 0xc3;		/* long, fixed bit, Initial, 4-byte PN */
	out[i++] = 0;
	out[i++] = 0;
	out[i++] = 0;
	out[i++] = 1;			/* version 1 */
	out[i++] = (uint8_t)dcid_len;
	memcpy(out + i, dcid, dcid_len);
	i += (int)dcid_len;
	out[i++] = (uint8_t)scid_len;
	memcpy(out + i, scid, scid_len);
	i += (int)scid_len;
	out[i++] = (uint8_t)token_len;	/* a 1-byte varint */
	if (token_len)
		memcpy(out + i, token, token_len);
	i += (int)token_len;
	out[i++] = (uint8_t)(0x40 | ((total - pn_off) >> 8));
	out[i++] = (uint8_t)(total - pn_off);
	out[i++] = (uint8_t)(pn >> 24);
	out[i++] = (uint8_t)(pn >> 16);
	out[i++] = (uint8_t)(pn >> 8);
	out[i++] = (uint8_t)pn;

	pt = calloc(1, body);
	if (!pt)
		return -1;
	memcpy(pt, payload, plen);	/* the rest: PADDING frames */
	forge_nonce(k, pn, nonce);
	if (gnutls_aead_cipher_init(&aead, GNUTLS_CIPHER_AES_128_GCM, &key)) {
		free(pt);
		return -1;
	}
	clen = body + 16;
	ret = gnutls_aead_cipher_encrypt(aead, nonce, sizeof(nonce), out, hdr,
					 16, pt, body, out + hdr, &clen);
	gnutls_aead_cipher_deinit(aead);
	free(pt);
	if (ret || clen != body + 16)
		return -1;

	/* RFC 9001 section 5.4.2: the sample starts 4 bytes after the PN */
	if (forge_hp_mask(k, out + pn_off + 4, mask))
		return -1;
	out[0] ^= mask[0] & 0x0f;
	for (i = 0; i < 4; i++)
		out[pn_off + i] ^= mask[1 + i];
	return (int)total;
}

/* the same, without a token: what a client sends first */
static inline int forge_initial(const struct forge_keys *k, uint8_t *out,
				size_t cap, const uint8_t *dcid, size_t dcid_len,
				const uint8_t *scid, size_t scid_len,
				uint32_t pn, const uint8_t *payload, size_t plen,
				size_t min_len)
{
	return forge_initial_token(k, out, cap, dcid, dcid_len, scid,
				   scid_len, NULL, 0, pn, payload, plen,
				   min_len);
}

/* a QUIC varint at @p (of @n bytes) from *@i; 0, or -1 when it is cut */
static inline int forge_varint(const uint8_t *p, size_t n, size_t *i,
			       uint64_t *v)
{
	size_t len, j;

	if (*i >= n)
		return -1;
	len = (size_t)1 << (p[*i] >> 6);
	if (*i + len > n)
		return -1;
	*v = p[*i] & 0x3f;
	for (j = 1; j < len; j++)
		*v = (*v << 8) | p[*i + j];
	*i += len;
	return 0;
}

/*
 * Open the first packet of a datagram @p of @n bytes as a version 1
 * Initial with keys @k (the server's, for an answer): its plaintext goes
 * to @pt (of @cap bytes).  Return: the plaintext length, or -1 when it is
 * not such a packet or does not open.
 */
static inline int forge_open_initial(const struct forge_keys *k, uint8_t *p,
				     size_t n, uint8_t *pt, size_t cap)
{
	gnutls_datum_t key = { (unsigned char *)k->key, sizeof(k->key) };
	gnutls_aead_cipher_hd_t aead;
	uint64_t tlen, len, pn = 0;
	uint8_t nonce[12], mask[16], first;
	size_t i = 5, pn_off, pn_len, plen;
	int ret;

	if (n < 7 || (p[0] & 0xf0) != 0xc0 || p[1] || p[2] || p[3] ||
	    p[4] != 1)
		return -1;
	i += 1 + p[i];			/* DCID */
	if (i >= n)
		return -1;
	i += 1 + p[i];			/* SCID */
	if (forge_varint(p, n, &i, &tlen) || tlen > n - i)
		return -1;
	i += tlen;
	if (forge_varint(p, n, &i, &len) || len > n - i || len < 4 + 16)
		return -1;
	pn_off = i;
	if (forge_hp_mask(k, p + pn_off + 4, mask))
		return -1;
	first = p[0] ^ (mask[0] & 0x0f);
	pn_len = (first & 3) + 1;
	for (i = 0; i < pn_len; i++)
		pn = (pn << 8) | (uint8_t)(p[pn_off + i] ^ mask[1 + i]);
	plen = len - pn_len - 16;
	if (plen > cap)
		return -1;
	/* the header as it was protected: unmasked in place */
	p[0] = first;
	for (i = 0; i < pn_len; i++)
		p[pn_off + i] ^= mask[1 + i];
	forge_nonce(k, pn, nonce);
	if (gnutls_aead_cipher_init(&aead, GNUTLS_CIPHER_AES_128_GCM, &key))
		return -1;
	ret = gnutls_aead_cipher_decrypt(aead, nonce, sizeof(nonce), p,
					 pn_off + pn_len, 16,
					 p + pn_off + pn_len, plen + 16,
					 pt, &plen);
	gnutls_aead_cipher_deinit(aead);
	return ret ? -1 : (int)plen;
}

/*
 * The Retry Integrity Tag of a version 1 Retry packet @retry of @n bytes
 * (its tag excluded), sent to a client whose first DCID was @odcid (RFC
 * 9001 section 5.8), into @tag.  0, or -1.
 */
static inline int forge_retry_tag(const uint8_t *odcid, size_t odcid_len,
				  const uint8_t *retry, size_t n,
				  uint8_t *tag)
{
	static const uint8_t key_v1[16] = {
		0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a,
		0x1d, 0x76, 0x6b, 0x54, 0xe3, 0x68, 0xc8, 0x4e,
	};
	static const uint8_t nonce_v1[12] = {
		0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63, 0x2b, 0xf2,
		0x23, 0x98, 0x25, 0xbb,
	};
	gnutls_datum_t key = { (unsigned char *)key_v1, sizeof(key_v1) };
	gnutls_aead_cipher_hd_t aead;
	uint8_t *pseudo;
	size_t len = 16;
	int ret;

	if (odcid_len > 20)
		return -1;
	pseudo = malloc(1 + odcid_len + n);
	if (!pseudo)
		return -1;
	pseudo[0] = (uint8_t)odcid_len;
	memcpy(pseudo + 1, odcid, odcid_len);
	memcpy(pseudo + 1 + odcid_len, retry, n);
	ret = gnutls_aead_cipher_init(&aead, GNUTLS_CIPHER_AES_128_GCM, &key);
	if (!ret) {
		ret = gnutls_aead_cipher_encrypt(aead, nonce_v1,
						 sizeof(nonce_v1), pseudo,
						 1 + odcid_len + n, 16, NULL,
						 0, tag, &len);
		gnutls_aead_cipher_deinit(aead);
	}
	free(pseudo);
	return ret || len != 16 ? -1 : 0;
}

/* ------------------------------------------- packets of any shape */

/* the shortest QUIC varint length of @v: 1, 2, 4 or 8 bytes */
static inline size_t forge_varint_len(uint64_t v)
{
	return v < 0x40 ? 1 : v < 0x4000 ? 2 : v < 0x40000000 ? 4 : 8;
}

/*
 * Write @v at @p as a varint of @len bytes (1, 2, 4 or 8; anything else:
 * the shortest).  A longer encoding than needed is valid (RFC 9000
 * section 16), and what a fuzzer tries; a value too large for @len keeps
 * its low bits.  Return: the bytes written.
 */
static inline size_t forge_put_varint(uint8_t *p, uint64_t v, size_t len)
{
	size_t i;

	if (len != 1 && len != 2 && len != 4 && len != 8)
		len = forge_varint_len(v);
	for (i = 0; i < len; i++)
		p[len - 1 - i] = (uint8_t)(v >> (8 * i));
	p[0] &= 0x3f;
	p[0] |= (uint8_t)((len == 1 ? 0 : len == 2 ? 1 : len == 4 ? 2 : 3)
			  << 6);
	return len;
}

/* RFC 9000 appendix A.3: the packet number nearest @largest + 1 that ends
 * in the @pn_len bytes @truncated
 */
static inline uint64_t forge_pn_decode(uint64_t largest, uint64_t truncated,
				       size_t pn_len)
{
	uint64_t expected = largest + 1, win = 1ULL << (8 * pn_len);
	uint64_t hwin = win / 2, cand = (expected & ~(win - 1)) | truncated;

	if (cand + hwin <= expected && cand < (1ULL << 62) - win)
		return cand + win;
	if (cand > expected + hwin && cand >= win)
		return cand - win;
	return cand;
}

/*
 * AES-128-GCM packet protection kept keyed, for programs that protect or
 * open many packets with the same keys (a new key schedule per packet
 * costs more than the packet).
 */
struct forge_aead {
	gnutls_aead_cipher_hd_t	aead;
	gnutls_cipher_hd_t	hp;
	uint8_t			iv[12];
};

/* 0, or -1 (nothing to deinit) */
static inline int forge_aead_init(struct forge_aead *a,
				  const struct forge_keys *k)
{
	gnutls_datum_t key = { (unsigned char *)k->key, sizeof(k->key) };
	gnutls_datum_t hpk = { (unsigned char *)k->hp, sizeof(k->hp) };
	uint8_t zero[16] = { 0 };
	gnutls_datum_t iv = { zero, sizeof(zero) };

	if (gnutls_aead_cipher_init(&a->aead, GNUTLS_CIPHER_AES_128_GCM, &key))
		return -1;
	if (gnutls_cipher_init(&a->hp, GNUTLS_CIPHER_AES_128_CBC, &hpk, &iv)) {
		gnutls_aead_cipher_deinit(a->aead);
		return -1;
	}
	memcpy(a->iv, k->iv, sizeof(a->iv));
	return 0;
}

static inline void forge_aead_deinit(struct forge_aead *a)
{
	gnutls_aead_cipher_deinit(a->aead);
	gnutls_cipher_deinit(a->hp);
}

/* the header protection mask of @sample: one AES block, ECB as CBC with
 * the chaining reset
 */
static inline int forge_aead_mask(struct forge_aead *a, const uint8_t *sample,
				  uint8_t *mask)
{
	uint8_t zero[16] = { 0 };

	gnutls_cipher_set_iv(a->hp, zero, sizeof(zero));
	return gnutls_cipher_encrypt2(a->hp, sample, 16, mask, 16) ? -1 : 0;
}

/*
 * Protect the packet at @p in place: its header is the @pn_off bytes up
 * to the packet number, then the @pn_len bytes of @pn's low bits as the
 * caller wrote them, then @plen bytes of frames; the AEAD tag is appended
 * (@cap must hold it) and header protection applied to byte 0 (4 bits of
 * a long header, 5 of a short one, by bit 7 of byte 0) and to the packet
 * number.  Whatever the header says (its Length, its packet number
 * length bits) is left as written: a fuzzer makes headers that lie.
 * Return: the packet's length, or -1 (too short to sample: @pn_len +
 * @plen must be at least 4).
 */
static inline int forge_seal(struct forge_aead *a, uint8_t *p, size_t cap,
			     size_t pn_off, size_t pn_len, uint64_t pn,
			     size_t plen)
{
	size_t hdr = pn_off + pn_len, clen = plen + 16, i;
	uint8_t nonce[12], mask[16], *pt;
	int ret;

	if (hdr + plen + 16 > cap || pn_len + plen < 4 || pn_len > 4)
		return -1;
	memcpy(nonce, a->iv, 12);
	for (i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
	pt = malloc(plen ? plen : 1);
	if (!pt)
		return -1;
	memcpy(pt, p + hdr, plen);
	ret = gnutls_aead_cipher_encrypt(a->aead, nonce, sizeof(nonce), p, hdr,
					 16, pt, plen, p + hdr, &clen);
	free(pt);
	if (ret || clen != plen + 16)
		return -1;
	if (forge_aead_mask(a, p + pn_off + 4, mask))
		return -1;
	p[0] ^= mask[0] & ((p[0] & 0x80) ? 0x0f : 0x1f);
	for (i = 0; i < pn_len; i++)
		p[pn_off + i] ^= mask[1 + i];
	return (int)(hdr + plen + 16);
}

/*
 * Open the packet of @len bytes at @p whose packet number starts at
 * @pn_off, with @largest the largest packet number opened so far in its
 * space (for RFC 9000 appendix A.3): the frames go to @pt (of @cap
 * bytes), the unprotected byte 0 to *@first and the packet number to
 * *@pn.  @p is left as it was, so that a caller may try other keys.
 * Return: the plaintext length, or -1.
 */
static inline int forge_open(struct forge_aead *a, const uint8_t *p,
			     size_t len, size_t pn_off, uint64_t largest,
			     uint8_t *first, uint64_t *pn, uint8_t *pt,
			     size_t cap)
{
	uint8_t hdr[64], mask[16], nonce[12];
	size_t pn_len, hlen, plen, i;
	uint64_t trunc = 0;

	if (pn_off + 4 + 16 > len || pn_off + 4 > sizeof(hdr))
		return -1;
	if (forge_aead_mask(a, p + pn_off + 4, mask))
		return -1;
	memcpy(hdr, p, pn_off + 4);
	hdr[0] ^= mask[0] & ((p[0] & 0x80) ? 0x0f : 0x1f);
	pn_len = (hdr[0] & 3) + 1;
	hlen = pn_off + pn_len;
	if (hlen + 16 > len)
		return -1;
	for (i = 0; i < pn_len; i++) {
		hdr[pn_off + i] ^= mask[1 + i];
		trunc = (trunc << 8) | hdr[pn_off + i];
	}
	*pn = forge_pn_decode(largest, trunc, pn_len);
	memcpy(nonce, a->iv, 12);
	for (i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(*pn >> (8 * i));
	plen = cap;
	if (gnutls_aead_cipher_decrypt(a->aead, nonce, sizeof(nonce), hdr,
				       hlen, 16, p + hlen, len - hlen, pt,
				       &plen))
		return -1;
	*first = hdr[0];
	return (int)plen;
}

/* ------------------------------------------------------------ frames */

#define VARINT_MAX		((1ULL << 62) - 1)

/* RFC 9000 section 19 frame types, and RFC 9221 DATAGRAM */
#define F_PADDING		0x00
#define F_PING			0x01
#define F_ACK			0x02
#define F_ACK_ECN		0x03
#define F_RESET_STREAM		0x04
#define F_STOP_SENDING		0x05
#define F_CRYPTO		0x06
#define F_NEW_TOKEN		0x07
#define F_STREAM		0x08	/* to 0x0f: OFF 0x04, LEN 0x02, FIN 0x01 */
#define F_MAX_DATA		0x10
#define F_MAX_STREAM_DATA	0x11
#define F_MAX_STREAMS_BIDI	0x12
#define F_MAX_STREAMS_UNI	0x13
#define F_DATA_BLOCKED		0x14
#define F_STREAM_DATA_BLOCKED	0x15
#define F_STREAMS_BLOCKED_BIDI	0x16
#define F_STREAMS_BLOCKED_UNI	0x17
#define F_NEW_CONNECTION_ID	0x18
#define F_RETIRE_CONNECTION_ID	0x19
#define F_PATH_CHALLENGE	0x1a
#define F_PATH_RESPONSE		0x1b
#define F_CONNECTION_CLOSE	0x1c
#define F_CONNECTION_CLOSE_APP	0x1d
#define F_HANDSHAKE_DONE	0x1e
#define F_DATAGRAM		0x30
#define F_DATAGRAM_LEN		0x31

/*
 * A bounded byte writer, for frames: what does not fit is cut, and the
 * writer remembers it was (a fuzzer's frame that ends early is one of its
 * mutations anyway; a test checks @full or sizes its buffer).
 *
 *	uint8_t pl[64];
 *	struct wb w = { .p = pl, .cap = sizeof(pl) };
 *
 *	wb_u8(&w, F_RETIRE_CONNECTION_ID);
 *	wb_varint_len(&w, seq, 0);
 */
struct wb {
	uint8_t	*p;
	size_t	len, cap;
	bool	full;
};

static inline void wb_bytes(struct wb *w, const void *d, size_t n)
{
	if (!n)
		return;
	if (w->len + n > w->cap) {
		n = w->cap - w->len;
		w->full = true;
	}
	memcpy(w->p + w->len, d, n);
	w->len += n;
}

static inline void wb_u8(struct wb *w, uint8_t v)
{
	wb_bytes(w, &v, 1);
}

static inline void wb_zero(struct wb *w, size_t n)
{
	if (w->len + n > w->cap) {
		n = w->cap - w->len;
		w->full = true;
	}
	memset(w->p + w->len, 0, n);
	w->len += n;
}

/* a varint in @len bytes (0: the shortest; see forge_put_varint()) */
static inline void wb_varint_len(struct wb *w, uint64_t v, size_t len)
{
	uint8_t b[8];

	wb_bytes(w, b, forge_put_varint(b, v, len));
}

static inline size_t wb_room(const struct wb *w)
{
	return w->cap - w->len;
}

#endif /* QUIC_TESTS_FORGE_H */
