// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ALPN protocols a client offers (RFC 7301), read in the kernel from
 * its ClientHello so that listeners on one port can each take their own
 * (the draft's ALPN routing).  Only the TLS framing is read: the
 * handshake message header, the ClientHello's fixed fields and the
 * extension list; the rest is the TLS library's.
 *
 * The ClientHello is in CRYPTO frames of the client's Initial packets,
 * whose keys anyone can derive from their Destination Connection ID (RFC
 * 9001 section 5.2).  This runs in softirq, where the crypto API cannot
 * be given keys, so the keys are derived and the packets opened with the
 * AES and SHA-256 library functions, which need no allocation: HKDF over
 * HMAC-SHA-256, AES-128 for header protection, and AES-128 in GCM's
 * counter mode for the payload.  The GCM tag is not checked: it would
 * prove nothing, the keys being public; what is read only picks the
 * listener, whose connection then checks every packet.
 */

#include <crypto/aes.h>
#include <crypto/sha2.h>
#include <linux/bitmap.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "alpn.h"
#include "compat.h"
#include "connid.h"
#include "crypto.h"
#include "packet.h"
#include "varint.h"

#define QUIC_TLS_CLIENT_HELLO	1
#define QUIC_TLS_EXT_ALPN	16

/* HMAC-SHA-256, RFC 2104, with a key of at most one block */
static void quic_alpn_hmac(const u8 *key, u32 klen, const u8 *msg, u32 len,
			   u8 *out)
{
	u8 pad[SHA256_BLOCK_SIZE], inner[SHA256_DIGEST_SIZE];
	struct quic_sha256_ctx st;
	int i;

	memset(pad, 0, sizeof(pad));
	memcpy(pad, key, min_t(u32, klen, sizeof(pad)));
	for (i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36;
	sha256_init(&st);
	sha256_update(&st, pad, sizeof(pad));
	sha256_update(&st, msg, len);
	sha256_final(&st, inner);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36 ^ 0x5c;
	sha256_init(&st);
	sha256_update(&st, pad, sizeof(pad));
	sha256_update(&st, inner, sizeof(inner));
	sha256_final(&st, out);
	memzero_explicit(pad, sizeof(pad));
}

/* HKDF-Expand-Label (RFC 8446 section 7.1), empty context, one block */
static void quic_alpn_expand(const u8 *secret, const char *label, u8 *out,
			     u32 len)
{
	u8 info[2 + 1 + 6 + 16 + 1 + 1], t[SHA256_DIGEST_SIZE];
	u32 ll = strlen(label), n = 0;

	info[n++] = 0;
	info[n++] = len;
	info[n++] = 6 + ll;
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, ll);
	n += ll;
	info[n++] = 0;		/* context */
	info[n++] = 1;		/* T(1) */
	quic_alpn_hmac(secret, SHA256_DIGEST_SIZE, info, n, t);
	memcpy(out, t, len);
	memzero_explicit(t, sizeof(t));
}

struct quic_alpn_keys {
	struct quic_aes_key	key;
	struct quic_aes_key	hp;
	u8			iv[QUIC_CRYPTO_IV_LEN];
};

/* the client's Initial keys of @dcid, RFC 9001 section 5.2 */
static int quic_alpn_keys(struct quic_alpn_keys *k,
			  const struct quic_conn_id *dcid, u32 version)
{
	u8 initial[SHA256_DIGEST_SIZE], client[SHA256_DIGEST_SIZE];
	u8 key[16], hp[16];
	const u8 *salt;
	int err;

	/* the labels of version 2 differ: it is not answered here */
	if (version != QUIC_VERSION_V1)
		return -EPROTONOSUPPORT;
	salt = quic_crypto_initial_salt(version);
	quic_alpn_hmac(salt, QUIC_CRYPTO_INITIAL_SALT_LEN, dcid->data,
		       dcid->len, initial);
	quic_alpn_expand(initial, "client in", client, sizeof(client));
	quic_alpn_expand(client, "quic key", key, sizeof(key));
	quic_alpn_expand(client, "quic iv", k->iv, sizeof(k->iv));
	quic_alpn_expand(client, "quic hp", hp, sizeof(hp));
	err = quic_aes_prepare(&k->key, key, sizeof(key));
	if (!err)
		err = quic_aes_prepare(&k->hp, hp, sizeof(hp));
	memzero_explicit(initial, sizeof(initial));
	memzero_explicit(client, sizeof(client));
	memzero_explicit(key, sizeof(key));
	memzero_explicit(hp, sizeof(hp));
	return err;
}

/*
 * Open one Initial packet at @p (its header parsed in @h) into @out:
 * header protection off, the payload through AES-CTR, its first @room
 * bytes at most.  Return: the length opened, or -EINVAL.
 */
static int quic_alpn_open(const struct quic_alpn_keys *k, const u8 *p,
			  const struct quic_hdr *h, u8 *out, u32 room)
{
	u8 mask[AES_BLOCK_SIZE], ctr[AES_BLOCK_SIZE], ks[AES_BLOCK_SIZE];
	u32 pn = 0, pn_len, i, j, plen, off;
	u8 first;

	if (h->pkt_len < h->pn_offset + 4 + AES_BLOCK_SIZE)
		return -EINVAL;
	aes_encrypt(&k->hp, mask, p + h->pn_offset + 4);
	first = p[0] ^ (mask[0] & 0x0f);
	pn_len = (first & 3) + 1;
	for (i = 0; i < pn_len; i++)
		pn = (pn << 8) | (p[h->pn_offset + i] ^ mask[1 + i]);
	off = h->pn_offset + pn_len;
	if (h->pkt_len < off + QUIC_CRYPTO_TAG_LEN)
		return -EINVAL;
	plen = min(h->pkt_len - off - QUIC_CRYPTO_TAG_LEN, room);

	/* GCM: the nonce is the IV xor the packet number; the payload's
	 * counter starts at 2 (1 is the tag's)
	 */
	memcpy(ctr, k->iv, QUIC_CRYPTO_IV_LEN);
	for (i = 0; i < 4; i++)
		ctr[QUIC_CRYPTO_IV_LEN - 1 - i] ^= (u8)(pn >> (8 * i));
	put_unaligned_be32(2, ctr + QUIC_CRYPTO_IV_LEN);
	for (i = 0; i < plen; i += AES_BLOCK_SIZE) {
		aes_encrypt(&k->key, ks, ctr);
		for (j = 0; j < AES_BLOCK_SIZE && i + j < plen; j++)
			out[i + j] = p[off + i + j] ^ ks[j];
		be32_add_cpu((__be32 *)(ctr + QUIC_CRYPTO_IV_LEN), 1);
	}
	return plen;
}

/* what is read of the CRYPTO stream: bytes, and which are there */
struct quic_alpn_hello {
	u8		buf[QUIC_ALPN_HELLO_MAX];
	unsigned long	have[BITS_TO_LONGS(QUIC_ALPN_HELLO_MAX)];
	u8		pt[];	/* an opened packet's payload */
};

/* the most of an Initial's payload opened: the ClientHello's CRYPTO data
 * comes first, and no more than QUIC_ALPN_HELLO_MAX of it is read
 */
#define QUIC_ALPN_PT_MAX	(QUIC_ALPN_HELLO_MAX + 1024)

/* the frames of an Initial's payload: CRYPTO data into @hi */
static int quic_alpn_frames(struct quic_alpn_hello *hi, const u8 *p, u32 len)
{
	struct quic_buf b = { .p = p, .left = len };
	u64 type, off, n, v;
	const u8 *data;

	while (b.left) {
		if (!quic_get_varint(&b, &type))
			return -EINVAL;
		switch (type) {
		case 0x00:	/* PADDING */
		case 0x01:	/* PING */
			continue;
		case 0x02:	/* ACK */
		case 0x03:
			if (!quic_get_varint(&b, &v) ||	/* largest */
			    !quic_get_varint(&b, &v) ||	/* delay */
			    !quic_get_varint(&b, &n) ||	/* ranges */
			    !quic_get_varint(&b, &v))	/* first range */
				return -EINVAL;
			for (n *= 2, n += type == 0x03 ? 3 : 0; n; n--)
				if (!quic_get_varint(&b, &v))
					return -EINVAL;
			continue;
		case 0x06:	/* CRYPTO */
			if (!quic_get_varint(&b, &off) ||
			    !quic_get_varint(&b, &n))
				return -EINVAL;
			/* cut where the opened part of the payload ends */
			n = min_t(u64, n, b.left);
			quic_get_bytes(&b, n, &data);
			if (off >= QUIC_ALPN_HELLO_MAX)
				continue;
			n = min_t(u64, n, QUIC_ALPN_HELLO_MAX - off);
			memcpy(hi->buf + off, data, n);
			bitmap_set(hi->have, off, n);
			continue;
		default:	/* CONNECTION_CLOSE, or not for an Initial */
			return -EINVAL;
		}
	}
	return 0;
}

/* the ALPN extension of a whole ClientHello @p of @len bytes: the names
 * that fit in @room
 */
static int quic_alpn_hello(const u8 *p, u32 len, u8 *alpn, u32 *alpn_len,
			   u32 room)
{
	struct quic_buf b = { .p = p, .left = len };
	const u8 *x, *d;
	u8 n8;
	u16 n16, type, xlen;

	*alpn_len = 0;
	if (!quic_get_bytes(&b, 2 + 32, &x) ||		/* version, random */
	    !quic_get_u8(&b, &n8) || !quic_get_bytes(&b, n8, &x) ||
	    !quic_get_be16(&b, &n16) || !quic_get_bytes(&b, n16, &x) ||
	    !quic_get_u8(&b, &n8) || !quic_get_bytes(&b, n8, &x))
		return -EINVAL;
	if (!b.left)
		return 0;	/* no extensions */
	if (!quic_get_be16(&b, &n16) || n16 != b.left)
		return -EINVAL;
	while (b.left) {
		if (!quic_get_be16(&b, &type) || !quic_get_be16(&b, &xlen) ||
		    !quic_get_bytes(&b, xlen, &d))
			return -EINVAL;
		if (type != QUIC_TLS_EXT_ALPN)
			continue;
		/* a list of 2-byte length, of names of 1-byte length */
		if (xlen < 2 || get_unaligned_be16(d) != xlen - 2)
			return -EINVAL;
		d += 2;
		xlen -= 2;
		while (xlen) {
			n8 = d[0];
			if (!n8 || 1 + n8 > xlen)
				return -EINVAL;
			if (*alpn_len + 1 + n8 <= room) {
				memcpy(alpn + *alpn_len, d, 1 + n8);
				*alpn_len += 1 + n8;
			}
			d += 1 + n8;
			xlen -= 1 + n8;
		}
		return 0;
	}
	return 0;
}

/**
 * quic_alpn_peek - the ALPN list of a client's ClientHello, read from the
 * Initial packets it sent to one Destination Connection ID
 * @skbs: the client's datagrams (UDP payloads, linear), not changed
 * @dcid: their Destination Connection ID
 * @version: their version
 * @alpn: the extension's list as on the wire (names of 1-byte length):
 *	the names that fit in @room bytes
 * @len: its length; 0 when the ClientHello has no ALPN extension
 * @room: the room at @alpn
 *
 * Context: softirq or process context; allocates with GFP_ATOMIC.
 * Return: 0; -EAGAIN when the ClientHello is not all there yet; -EINVAL
 * when what is there is no ClientHello (or one beyond
 * QUIC_ALPN_HELLO_MAX); -EPROTONOSUPPORT, -ENOMEM.
 */
int quic_alpn_peek(struct sk_buff_head *skbs, const struct quic_conn_id *dcid,
		   u32 version, u8 *alpn, u32 *len, u32 room)
{
	struct quic_alpn_hello *hi;
	struct quic_alpn_keys *k;
	struct sk_buff *skb;
	struct quic_hdr h;
	u32 off, need;
	int err, n;

	k = kmalloc(sizeof(*k), GFP_ATOMIC);
	hi = kzalloc(sizeof(*hi) + QUIC_ALPN_PT_MAX, GFP_ATOMIC);
	err = -ENOMEM;
	if (!k || !hi)
		goto out;
	err = quic_alpn_keys(k, dcid, version);
	if (err)
		goto out;
	skb_queue_walk(skbs, skb) {
		for (off = 0; off < skb->len; off += h.pkt_len) {
			if (quic_packet_parse(skb->data + off, skb->len - off,
					      &h) || !h.is_long)
				break;
			if (h.level != QUIC_CRYPTO_INITIAL ||
			    h.dcid_len != dcid->len ||
			    memcmp(h.dcid, dcid->data, dcid->len))
				continue;
			n = quic_alpn_open(k, skb->data + off, &h, hi->pt,
					   QUIC_ALPN_PT_MAX);
			if (n > 0)
				quic_alpn_frames(hi, hi->pt, n);
		}
	}
	err = -EAGAIN;
	if (find_first_zero_bit(hi->have, 4) < 4)
		goto out;
	err = -EINVAL;
	if (hi->buf[0] != QUIC_TLS_CLIENT_HELLO)
		goto out;
	need = 4 + (get_unaligned_be32(hi->buf) & 0xffffff);
	if (need > QUIC_ALPN_HELLO_MAX)
		goto out;
	err = -EAGAIN;
	if (find_first_zero_bit(hi->have, need) < need)
		goto out;
	err = quic_alpn_hello(hi->buf + 4, need - 4, alpn, len, room);
out:
	if (k)
		memzero_explicit(k, sizeof(*k));
	kfree(k);
	kfree(hi);
	return err;
}

/**
 * quic_alpn_match - is @name one of a comma-separated @list?
 * @list: a listener's list, as QUIC_SOCKOPT_ALPN set it
 * @list_len: its length
 * @name: a protocol name of the client's
 * @name_len: its length
 *
 * Return: whether it is.
 */
bool quic_alpn_match(const char *list, u32 list_len, const u8 *name,
		     u32 name_len)
{
	u32 i = 0, j;

	while (i < list_len) {
		for (j = i; j < list_len && list[j] != ','; j++)
			;
		if (j - i == name_len && !memcmp(list + i, name, name_len))
			return true;
		i = j + 1;
	}
	return false;
}
