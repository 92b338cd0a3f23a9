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
#include "mib.h"
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
		h->token = tmp;
		h->token_len = tlen;
	}
	if (!quic_get_varint(&b, &plen) || plen > b.left ||
	    plen < 4 + QUIC_CRYPTO_TAG_LEN)
		return -EINVAL;
	h->pn_offset = len - b.left;
	h->pkt_len = h->pn_offset + plen;
	return 0;
}

/**
 * quic_packet_header_len - the length of the header
 * quic_packet_put_header() writes
 * @level: the crypto level
 * @dcid: the destination connection ID
 * @scid: the source connection ID (long headers)
 * @token_len: an Initial's token length
 *
 * Return: the length, packet number included.
 */
unsigned int quic_packet_header_len(u8 level, const struct quic_conn_id *dcid,
				    const struct quic_conn_id *scid,
				    u32 token_len)
{
	if (level == QUIC_CRYPTO_APP)
		return 1 + dcid->len + QUIC_PN_LEN;
	return 1 + 4 + 1 + dcid->len + 1 + scid->len + 4 + QUIC_PN_LEN +
	       (level == QUIC_CRYPTO_INITIAL ?
		quic_varint_len(token_len) + token_len : 0);
}

/**
 * quic_packet_put_header - write a packet header at the end of @skb
 * @skb: the datagram being built
 * @version: the connection's version
 * @level: the crypto level: a long header but for QUIC_CRYPTO_APP
 * @dcid: the destination connection ID
 * @scid: the source connection ID (long headers)
 * @token: an Initial's token (a client's), or NULL
 * @token_len: its length
 * @pn: the packet number, sent in QUIC_PN_LEN bytes
 * @len_off: set to the offset in @skb of the Length field to patch once
 *	the payload is known (long headers; 0 for a short one)
 *
 * Return: the packet number's offset from the packet's first byte.
 */
unsigned int quic_packet_put_header(struct sk_buff *skb, u32 version,
				    u8 level, const struct quic_conn_id *dcid,
				    const struct quic_conn_id *scid,
				    const u8 *token, u32 token_len, u64 pn,
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
		if (level == QUIC_CRYPTO_INITIAL) {
			p += quic_varint_put(p, token_len);
			if (token_len)
				memcpy(p, token, token_len);
			p += token_len;
		}
		*len_off = start + (p - h);
		p += 4;		/* length, patched when known */
	}
	put_unaligned_be32((u32)pn, p);
	p += QUIC_PN_LEN;
	skb_put(skb, p - h);
	return p - h - QUIC_PN_LEN;
}

/* a packet sent without a connection: room for @len bytes of it */
static struct sk_buff *quic_packet_sockless_alloc(unsigned int len)
{
	unsigned int room = MAX_HEADER + sizeof(struct ipv6hdr) +
			    sizeof(struct udphdr);
	struct sk_buff *skb;

	skb = alloc_skb(room + len, GFP_ATOMIC);
	if (skb)
		skb_reserve(skb, room);
	return skb;
}

/* send it from @local to @peer on @usk, the UDP socket that got the
 * packet it answers; consumes @skb
 */
static void quic_packet_sockless_xmit(struct sock *usk, struct sk_buff *skb,
				      const union quic_addr *peer,
				      const union quic_addr *local)
{
	union quic_addr src = *local;
	struct quic_flow fl = { .local = &src, .peer = peer };
	struct dst_entry *dst;
	u32 cookie;

	dst = quic_family_route(sock_net(usk), usk, &fl, &cookie);
	if (IS_ERR(dst)) {
		kfree_skb(skb);
		return;
	}
	quic_family_xmit(usk, skb, dst, &fl);
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
	unsigned int len = 7 + h->dcid_len + h->scid_len + 4;
	struct sk_buff *vn;
	u8 *p;

	vn = quic_packet_sockless_alloc(len);
	if (!vn)
		return;
	p = skb_put(vn, len);
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
	QUIC_INC_STATS(sock_net(usk), QUIC_MIB_VNSENT);
	quic_packet_sockless_xmit(usk, vn, peer, local);
}

/**
 * quic_packet_send_retry - answer a client Initial with a Retry packet,
 * RFC 9000 section 17.2.5, with a new source connection ID and @token
 * @usk: the UDP tunnel socket the Initial came on
 * @h: the Initial's header: its source ID is the Retry's destination,
 *	its destination ID the one the integrity tag covers
 * @peer: the client
 * @local: the address the Initial went to
 * @token: the address validation token
 * @token_len: its length, at most QUIC_TOKEN_LEN_MAX
 *
 * Context: softirq.  Without a connection; nothing is kept.  Smaller
 * than the 1200-byte Initial it answers.
 */
void quic_packet_send_retry(struct sock *usk, const struct quic_hdr *h,
			    const union quic_addr *peer,
			    const union quic_addr *local, const u8 *token,
			    u32 token_len)
{
	struct quic_conn_id scid;
	struct sk_buff *skb;
	u8 *pseudo, *p;
	unsigned int len;

	quic_cid_generate(&scid, QUIC_CONN_ID_LEN);
	len = 7 + h->scid_len + scid.len + token_len;
	skb = quic_packet_sockless_alloc(len + QUIC_CRYPTO_TAG_LEN);
	pseudo = kmalloc(1 + h->dcid_len + len, GFP_ATOMIC);
	if (!skb || !pseudo)
		goto free;
	p = skb_put(skb, len);
	*p++ = 0xc0 | ((h->version == QUIC_VERSION_V2 ? 0 : 3) << 4) |
	       (get_random_u8() & 0x0f);
	put_unaligned_be32(h->version, p);
	p += 4;
	*p++ = h->scid_len;
	memcpy(p, h->scid, h->scid_len);
	p += h->scid_len;
	*p++ = scid.len;
	memcpy(p, scid.data, scid.len);
	p += scid.len;
	memcpy(p, token, token_len);

	/* RFC 9001 section 5.8: the tag covers the client's first DCID */
	pseudo[0] = h->dcid_len;
	memcpy(pseudo + 1, h->dcid, h->dcid_len);
	memcpy(pseudo + 1 + h->dcid_len, skb->data, len);
	if (quic_crypto_retry_tag(pseudo, 1 + h->dcid_len + len, h->version,
				  skb_put(skb, QUIC_CRYPTO_TAG_LEN)))
		goto free;
	kfree(pseudo);
	QUIC_INC_STATS(sock_net(usk), QUIC_MIB_RETRYSENT);
	quic_packet_sockless_xmit(usk, skb, peer, local);
	return;
free:
	kfree(pseudo);
	kfree_skb(skb);
}

/**
 * quic_packet_send_reset - send a Stateless Reset, RFC 9000 section 10.3
 * @usk: the UDP tunnel socket the packet that has no connection came on
 * @len: the length of that packet's datagram: the reset is shorter
 * @token: the reset token of the packet's destination ID
 * @peer: its source
 * @local: its destination
 *
 * Context: softirq.  Without a connection.  Like a short header packet:
 * the fixed bit, random bits, the token last; 41 bytes, or one less than
 * the datagram it answers when that is shorter, so that two endpoints
 * that both lost their state stop answering each other.  None below 21
 * bytes (5 random, 16 of token).
 */
void quic_packet_send_reset(struct sock *usk, u32 len, const u8 *token,
			    const union quic_addr *peer,
			    const union quic_addr *local)
{
	struct sk_buff *skb;
	u8 *p;

	len = min_t(u32, len - 1, QUIC_RESET_LEN);
	if (len < QUIC_RESET_MIN_LEN)
		return;
	skb = quic_packet_sockless_alloc(len);
	if (!skb)
		return;
	p = skb_put(skb, len);
	get_random_bytes(p, len - QUIC_RESET_TOKEN_LEN);
	p[0] = (p[0] & 0x3f) | 0x40;
	memcpy(p + len - QUIC_RESET_TOKEN_LEN, token, QUIC_RESET_TOKEN_LEN);
	QUIC_INC_STATS(sock_net(usk), QUIC_MIB_RESETSSENT);
	quic_packet_sockless_xmit(usk, skb, peer, local);
}
