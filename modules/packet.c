// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QUIC packets: the long and short headers (RFC 9000 section 17, RFC
 * 9369 section 3.2), and the packets sent without a connection (Version
 * Negotiation).  Header protection and the AEAD are crypto.c's.
 */

#include <linux/random.h>
#include <linux/skbuff.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/udp.h>

#include "compat.h"
#include "crypto.h"
#include "family.h"
#include "packet.h"
#include "varint.h"

/* the long header packet type of a level, RFC 9000 17.2 / RFC 9369 3.2 */
static u8 quic_long_type(u32 version, u8 level)
{
	static const u8 v1[QUIC_CRYPTO_MAX] = {
		[QUIC_CRYPTO_INITIAL] = 0, [QUIC_CRYPTO_EARLY] = 1,
		[QUIC_CRYPTO_HANDSHAKE] = 2,
	};
	static const u8 v2[QUIC_CRYPTO_MAX] = {
		[QUIC_CRYPTO_INITIAL] = 1, [QUIC_CRYPTO_EARLY] = 2,
		[QUIC_CRYPTO_HANDSHAKE] = 3,
	};

	return version == QUIC_VERSION_V2 ? v2[level] : v1[level];
}

static int quic_long_level(u32 version, u8 type, u8 *level)
{
	static const u8 v1[4] = {
		QUIC_CRYPTO_INITIAL, QUIC_CRYPTO_EARLY, QUIC_CRYPTO_HANDSHAKE,
		QUIC_CRYPTO_MAX,	/* Retry */
	};
	static const u8 v2[4] = {
		QUIC_CRYPTO_MAX, QUIC_CRYPTO_INITIAL, QUIC_CRYPTO_EARLY,
		QUIC_CRYPTO_HANDSHAKE,
	};

	if (version == QUIC_VERSION_V1)
		*level = v1[type];
	else if (version == QUIC_VERSION_V2)
		*level = v2[type];
	else
		return -EPROTONOSUPPORT;
	return 0;
}

/**
 * quic_packet_parse - parse the header of a packet, unprotected parts only
 * @p: the packet's first byte
 * @len: bytes left in the datagram from @p
 * @h: the parsed header, pointing into the datagram
 *
 * Short headers carry no DCID length: ours are QUIC_CONN_ID_LEN.  A
 * Version Negotiation packet parses with @h->version 0; one of a version
 * we do not speak fails with -EPROTONOSUPPORT but has its IDs parsed.
 *
 * Return: 0, -EINVAL or -EPROTONOSUPPORT.
 */
int quic_packet_parse(const u8 *p, u32 len, struct quic_hdr *h)
{
	struct quic_buf b = { .p = p, .left = len };
	u64 tlen, plen;
	const u8 *tmp;
	u8 first;

	memset(h, 0, sizeof(*h));
	if (!quic_get_u8(&b, &first))
		return -EINVAL;
	if (!(first & 0x80)) {
		if (len < 1 + QUIC_CONN_ID_LEN + 1 + QUIC_CRYPTO_TAG_LEN)
			return -EINVAL;
		h->dcid = p + 1;
		h->dcid_len = QUIC_CONN_ID_LEN;
		h->pn_offset = 1 + QUIC_CONN_ID_LEN;
		h->pkt_len = len;
		h->level = QUIC_CRYPTO_APP;
		return 0;
	}

	h->is_long = 1;
	if (!quic_get_be32(&b, &h->version) ||
	    !quic_get_u8(&b, &h->dcid_len) ||
	    h->dcid_len > QUIC_CONN_ID_MAX_LEN ||
	    !quic_get_bytes(&b, h->dcid_len, &h->dcid) ||
	    !quic_get_u8(&b, &h->scid_len) ||
	    h->scid_len > QUIC_CONN_ID_MAX_LEN ||
	    !quic_get_bytes(&b, h->scid_len, &h->scid))
		return -EINVAL;
	if (!h->version)
		return 0;	/* Version Negotiation */
	if (quic_long_level(h->version, (first >> 4) & 0x3, &h->level))
		return -EPROTONOSUPPORT;
	if (h->level == QUIC_CRYPTO_MAX) {
		h->is_retry = 1;
		h->pkt_len = len;
		return 0;
	}
	if (h->level == QUIC_CRYPTO_INITIAL) {
		if (!quic_get_varint(&b, &tlen) ||
		    !quic_get_bytes(&b, tlen, &tmp))
			return -EINVAL;
		h->has_token = !!tlen;
	}
	if (!quic_get_varint(&b, &plen) || plen > b.left ||
	    plen < 4 + QUIC_CRYPTO_TAG_LEN)
		return -EINVAL;
	h->pn_offset = len - b.left;
	h->pkt_len = h->pn_offset + plen;
	return 0;
}

/**
 * quic_packet_put_header - write a packet header at the end of @skb
 * @skb: the datagram being built
 * @version: the connection's version
 * @level: the crypto level: a long header but for QUIC_CRYPTO_APP
 * @dcid: the destination connection ID
 * @scid: the source connection ID (long headers)
 * @pn: the packet number, sent in QUIC_PN_LEN bytes
 * @len_off: set to the offset in @skb of the Length field to patch once
 *	the payload is known (long headers; 0 for a short one)
 *
 * Return: the packet number's offset from the packet's first byte.
 */
unsigned int quic_packet_put_header(struct sk_buff *skb, u32 version,
				    u8 level, const struct quic_conn_id *dcid,
				    const struct quic_conn_id *scid, u64 pn,
				    unsigned int *len_off)
{
	unsigned int start = skb->len;
	u8 *p = skb_put(skb, 0);
	u8 *h = p;

	if (level == QUIC_CRYPTO_APP) {
		*p++ = 0x40 | (QUIC_PN_LEN - 1);
		memcpy(p, dcid->data, dcid->len);
		p += dcid->len;
		*len_off = 0;
	} else {
		*p++ = 0xc0 | (quic_long_type(version, level) << 4) |
		       (QUIC_PN_LEN - 1);
		put_unaligned_be32(version, p);
		p += 4;
		*p++ = dcid->len;
		memcpy(p, dcid->data, dcid->len);
		p += dcid->len;
		*p++ = scid->len;
		memcpy(p, scid->data, scid->len);
		p += scid->len;
		if (level == QUIC_CRYPTO_INITIAL)
			*p++ = 0;	/* token length */
		*len_off = start + (p - h);
		p += 4;		/* length, patched when known */
	}
	put_unaligned_be32((u32)pn, p);
	p += QUIC_PN_LEN;
	skb_put(skb, p - h);
	return p - h - QUIC_PN_LEN;
}

/**
 * quic_packet_send_vn - send a Version Negotiation packet, RFC 9000
 * section 17.2.1, listing the versions a server here answers: version 1
 * (a client that believed a listed version we do not answer would wait
 * for nothing)
 * @usk: the UDP tunnel socket the packet came on
 * @h: the header of the packet in a version we do not speak
 * @peer: its source
 * @local: its destination
 *
 * Context: softirq.  Without a connection; nothing is kept.
 */
void quic_packet_send_vn(struct sock *usk, const struct quic_hdr *h,
			 const union quic_addr *peer,
			 const union quic_addr *local)
{
	union quic_addr src;
	struct quic_flow fl = { .local = &src, .peer = peer };
	struct dst_entry *dst;
	struct sk_buff *vn;
	u32 cookie;
	u8 *p;

	vn = alloc_skb(MAX_HEADER + sizeof(struct ipv6hdr) +
		       sizeof(struct udphdr) + 7 + 2 * QUIC_CONN_ID_MAX_LEN + 4,
		       GFP_ATOMIC);
	if (!vn)
		return;
	skb_reserve(vn, MAX_HEADER + sizeof(struct ipv6hdr) +
		    sizeof(struct udphdr));
	p = skb_put(vn, 7 + h->dcid_len + h->scid_len + 4);
	*p++ = 0x80 | get_random_u8();
	put_unaligned_be32(0, p);
	p += 4;
	*p++ = h->scid_len;		/* their source ID is our destination */
	memcpy(p, h->scid, h->scid_len);
	p += h->scid_len;
	*p++ = h->dcid_len;
	memcpy(p, h->dcid, h->dcid_len);
	p += h->dcid_len;
	put_unaligned_be32(QUIC_VERSION_V1, p);

	src = *local;
	dst = quic_family_route(sock_net(usk), usk, &fl, &cookie);
	if (IS_ERR(dst)) {
		kfree_skb(vn);
		return;
	}
	quic_family_xmit(usk, vn, dst, &fl);
}
