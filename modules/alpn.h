/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ALPN list of a client's ClientHello, read from its Initial packets
 * (alpn.c), for the choice of a listener.
 */
#ifndef __QUIC_ALPN_H
#define __QUIC_ALPN_H

#include <linux/types.h>

struct sk_buff_head;
struct quic_conn_id;

/* the most of a ClientHello read; a longer one is taken as having no ALPN */
#define QUIC_ALPN_HELLO_MAX	8192

int quic_alpn_peek(struct sk_buff_head *skbs, const struct quic_conn_id *dcid,
		   u32 version, u8 *alpn, u32 *len, u32 room);
bool quic_alpn_match(const char *list, u32 list_len, const u8 *name,
		     u32 name_len);

#endif /* __QUIC_ALPN_H */
