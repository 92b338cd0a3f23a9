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
 * Header-only, for the test programs.
 */
#ifndef QUIC_TESTS_FORGE_H
#define QUIC_TESTS_FORGE_H

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
			       secret, sizeof(secret)) ||
	    forge_expand_label(secret, "quic key", k->key, sizeof(k->key)) ||
	    forge_expand_label(secret, "quic iv", k->iv, sizeof(k->iv)) ||
	    forge_expand_label(secret, "quic hp", k->hp, sizeof(k->hp)))
		return -1;
	return 0;
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

#endif /* QUIC_TESTS_FORGE_H */
