/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC over IPv4 and IPv6 (family.c): addresses, and the route and
 * transmit of a datagram, behind one table per address family.
 */
#ifndef __QUIC_FAMILY_H
#define __QUIC_FAMILY_H

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/types.h>

struct dst_entry;
struct net;
struct sk_buff;
struct sock;

union quic_addr {
	struct sockaddr		sa;
	struct sockaddr_in	v4;
	struct sockaddr_in6	v6;
};

/*
 * struct quic_flow - where a datagram goes and how
 * @local: the source; a wildcard address is filled in by the route
 * @peer: the destination
 * @oif: the interface to send on, 0: any (IPv6: then the peer's scope)
 * @tos: TOS or traffic class
 * @df: set Don't Fragment (IPv4; IPv6 never fragments on the way)
 */
struct quic_flow {
	union quic_addr		*local;
	const union quic_addr	*peer;
	int			oif;
	u8			tos;
	bool			df;
};

/*
 * struct quic_family - what differs between IPv4 and IPv6
 * @family: AF_INET or AF_INET6
 * @hdr_len: the IP and UDP headers in front of a QUIC datagram
 * @route: the route of @fl, with a reference; fills in a wildcard
 *	@fl->local; sets *@cookie for dst_check()
 * @xmit: send @skb (the UDP payload) on @usk along @dst, which it takes
 */
struct quic_family {
	sa_family_t	family;
	u16		hdr_len;
	struct dst_entry *(*route)(struct net *net, struct sock *usk,
				   const struct quic_flow *fl, u32 *cookie);
	void		(*xmit)(struct sock *usk, struct sk_buff *skb,
				struct dst_entry *dst,
				const struct quic_flow *fl);
};

const struct quic_family *quic_family(const union quic_addr *a);
struct dst_entry *quic_family_route(struct net *net, struct sock *usk,
				    const struct quic_flow *fl, u32 *cookie);
void quic_family_xmit(struct sock *usk, struct sk_buff *skb,
		      struct dst_entry *dst, const struct quic_flow *fl);

void quic_addr_from_skb(struct sk_buff *skb, union quic_addr *peer,
			union quic_addr *local);
void quic_addr_unmap(union quic_addr *a);
void quic_addr_map(union quic_addr *a);
bool quic_addr_equal(const union quic_addr *a, const union quic_addr *b);
bool quic_addr_any(const union quic_addr *a);
__be16 quic_addr_port(const union quic_addr *a);

#endif /* __QUIC_FAMILY_H */
