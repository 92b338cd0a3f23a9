/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC packet headers and the packets sent without a connection
 * (packet.c).
 */
#ifndef __QUIC_PACKET_H
#define __QUIC_PACKET_H

#include <linux/types.h>

#include "connid.h"
#include "family.h"

struct sk_buff;
struct sock;

#define QUIC_PN_LEN		4	/* the packet number length we send */

/* A parsed packet header.  @dcid and @scid point into the linear
 * datagram: they are stale once a packet of it was decrypted
 * (quic_crypto_decrypt() may move the data of a cloned skb).
 */
struct quic_hdr {
	const u8	*dcid;
	const u8	*scid;
	const u8	*token;		/* an Initial's token, @token_len bytes */
	u32		token_len;
	u32		version;
	u32		pn_offset;	/* from the packet's first byte */
	u32		pkt_len;	/* the whole packet */
	u8		dcid_len;
	u8		scid_len;
	u8		level;
	u8		has_token:1,	/* an Initial with a token */
			is_long:1,
			is_retry:1;
};

int quic_packet_parse(const u8 *p, u32 len, struct quic_hdr *h);
unsigned int quic_packet_header_len(u8 level, const struct quic_conn_id *dcid,
				    const struct quic_conn_id *scid,
				    u32 token_len);
unsigned int quic_packet_put_header(struct sk_buff *skb, u32 version,
				    u8 level, const struct quic_conn_id *dcid,
				    const struct quic_conn_id *scid,
				    const u8 *token, u32 token_len, u64 pn,
				    unsigned int *len_off);
/* Stateless Resets, RFC 9000 section 10.3: what we send, the least a
 * datagram has to be one
 */
#define QUIC_RESET_LEN		41
#define QUIC_RESET_MIN_LEN	21

void quic_packet_send_reset(struct sock *usk, u32 len, const u8 *token,
			    const union quic_addr *peer,
			    const union quic_addr *local);
void quic_packet_send_retry(struct sock *usk, const struct quic_hdr *h,
			    const union quic_addr *peer,
			    const union quic_addr *local, const u8 *token,
			    u32 token_len);
void quic_packet_send_vn(struct sock *usk, const struct quic_hdr *h,
			 const union quic_addr *peer,
			 const union quic_addr *local);

#endif /* __QUIC_PACKET_H */
