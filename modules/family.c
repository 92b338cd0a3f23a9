// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QUIC over IPv4 and IPv6: the route and transmit of a datagram on a UDP
 * tunnel socket, and the address helpers, for each family once.
 * Connections (path.c) and the packets sent without one (packet.c) all
 * go through quic_family_route() and quic_family_xmit().
 */

#include <linux/indirect_call_wrapper.h>
#include <net/ip.h>
#include <net/ip6_fib.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/udp.h>
#include <net/udp_tunnel.h>

#include "compat.h"
#include "family.h"

static struct dst_entry *quic_v4_route(struct net *net, struct sock *usk,
				       const struct quic_flow *fl, u32 *cookie)
{
	struct flowi4 fl4 = {
		.flowi4_oif = fl->oif,
		.flowi4_proto = IPPROTO_UDP,
		.daddr = fl->peer->v4.sin_addr.s_addr,
		.saddr = fl->local->v4.sin_addr.s_addr,
		.fl4_dport = fl->peer->v4.sin_port,
		.fl4_sport = fl->local->v4.sin_port,
	};
	struct rtable *rt;

	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return ERR_CAST(rt);
	if (!fl->local->v4.sin_addr.s_addr)
		fl->local->v4.sin_addr.s_addr = fl4.saddr;
	*cookie = 0;
	return &rt->dst;
}

static void quic_v4_xmit(struct sock *usk, struct sk_buff *skb,
			 struct dst_entry *dst, const struct quic_flow *fl)
{
	quic_udp_tunnel_xmit_skb((struct rtable *)dst, usk, skb,
				 fl->local->v4.sin_addr.s_addr,
				 fl->peer->v4.sin_addr.s_addr, fl->tos,
				 ip4_dst_hoplimit(dst),
				 fl->df ? htons(IP_DF) : 0,
				 fl->local->v4.sin_port, fl->peer->v4.sin_port,
				 false, false);
}

static struct dst_entry *quic_v6_route(struct net *net, struct sock *usk,
				       const struct quic_flow *fl, u32 *cookie)
{
	struct flowi6 fl6 = {
		.flowi6_oif = fl->oif ?: fl->peer->v6.sin6_scope_id,
		.flowi6_proto = IPPROTO_UDP,
		.daddr = fl->peer->v6.sin6_addr,
		.saddr = fl->local->v6.sin6_addr,
		.fl6_dport = fl->peer->v6.sin6_port,
		.fl6_sport = fl->local->v6.sin6_port,
	};
	struct dst_entry *dst;

	dst = ip6_dst_lookup_flow(net, usk, &fl6, NULL);
	if (IS_ERR(dst))
		return dst;
	if (ipv6_addr_any(&fl->local->v6.sin6_addr))
		fl->local->v6.sin6_addr = fl6.saddr;
	*cookie = rt6_get_cookie((struct rt6_info *)dst);
	return dst;
}

static void quic_v6_xmit(struct sock *usk, struct sk_buff *skb,
			 struct dst_entry *dst, const struct quic_flow *fl)
{
	/* not const on every kernel */
	struct in6_addr daddr = fl->peer->v6.sin6_addr;

	quic_udp_tunnel6_xmit_skb(dst, usk, skb, NULL,
				  &fl->local->v6.sin6_addr, &daddr, fl->tos,
				  ip6_dst_hoplimit(dst), 0,
				  fl->local->v6.sin6_port,
				  fl->peer->v6.sin6_port, false);
}

static const struct quic_family quic_families[] = {
	{
		.family		= AF_INET,
		.hdr_len	= sizeof(struct iphdr) + sizeof(struct udphdr),
		.route		= quic_v4_route,
		.xmit		= quic_v4_xmit,
	},
	{
		.family		= AF_INET6,
		.hdr_len	= sizeof(struct ipv6hdr) + sizeof(struct udphdr),
		.route		= quic_v6_route,
		.xmit		= quic_v6_xmit,
	},
};

/* the table of an address's family: AF_INET or AF_INET6, checked by
 * whoever accepted the address
 */
const struct quic_family *quic_family(const union quic_addr *a)
{
	return &quic_families[a->sa.sa_family == AF_INET6];
}

/**
 * quic_family_route - route a flow
 * @net: the network namespace
 * @usk: the UDP tunnel socket it will be sent on
 * @fl: the flow; a wildcard @fl->local gets the route's source address
 * @cookie: set to the route's cookie, for dst_check()
 *
 * Return: a referenced route, or an ERR_PTR().
 */
struct dst_entry *quic_family_route(struct net *net, struct sock *usk,
				    const struct quic_flow *fl, u32 *cookie)
{
	const struct quic_family *f = quic_family(fl->peer);

	return INDIRECT_CALL_2(f->route, quic_v6_route, quic_v4_route, net,
			       usk, fl, cookie);
}

/**
 * quic_family_xmit - send a datagram
 * @usk: the UDP tunnel socket
 * @skb: the UDP payload
 * @dst: its route; the reference passes to the skb
 * @fl: the flow, as routed
 */
void quic_family_xmit(struct sock *usk, struct sk_buff *skb,
		      struct dst_entry *dst, const struct quic_flow *fl)
{
	const struct quic_family *f = quic_family(fl->peer);

	/* the tunnel xmit path counts recursion per CPU: no preemption */
	local_bh_disable();
	INDIRECT_CALL_2(f->xmit, quic_v6_xmit, quic_v4_xmit, usk, skb, dst,
			fl);
	local_bh_enable();
}

/* the addresses of a received UDP datagram, from its headers */
void quic_addr_from_skb(struct sk_buff *skb, union quic_addr *peer,
			union quic_addr *local)
{
	struct udphdr *uh = udp_hdr(skb);

	memset(peer, 0, sizeof(*peer));
	memset(local, 0, sizeof(*local));
	if (ip_hdr(skb)->version == 4) {
		peer->v4.sin_family = AF_INET;
		peer->v4.sin_addr.s_addr = ip_hdr(skb)->saddr;
		peer->v4.sin_port = uh->source;
		local->v4.sin_family = AF_INET;
		local->v4.sin_addr.s_addr = ip_hdr(skb)->daddr;
		local->v4.sin_port = uh->dest;
	} else {
		peer->v6.sin6_family = AF_INET6;
		peer->v6.sin6_addr = ipv6_hdr(skb)->saddr;
		peer->v6.sin6_port = uh->source;
		local->v6.sin6_family = AF_INET6;
		local->v6.sin6_addr = ipv6_hdr(skb)->daddr;
		local->v6.sin6_port = uh->dest;
		if (ipv6_addr_type(&peer->v6.sin6_addr) & IPV6_ADDR_LINKLOCAL)
			peer->v6.sin6_scope_id = inet6_iif(skb);
	}
}

/**
 * quic_addr_unmap - an IPv4-mapped IPv6 address becomes the IPv4 address
 * it carries
 * @a: the address
 *
 * A connection's addresses are those on the wire: an AF_INET6 socket
 * that talks to an IPv4 peer (RFC 4291 section 2.5.5.2, as TCP and UDP
 * sockets do) has AF_INET path addresses, routed and sent as IPv4 on its
 * dual-stack UDP socket.
 */
void quic_addr_unmap(union quic_addr *a)
{
	struct sockaddr_in6 v6;

	if (a->sa.sa_family != AF_INET6 ||
	    !ipv6_addr_v4mapped(&a->v6.sin6_addr))
		return;
	v6 = a->v6;
	memset(a, 0, sizeof(*a));
	a->v4.sin_family = AF_INET;
	a->v4.sin_port = v6.sin6_port;
	a->v4.sin_addr.s_addr = v6.sin6_addr.s6_addr32[3];
}

/**
 * quic_addr_map - an IPv4 address as an AF_INET6 socket shows it: mapped
 * @a: the address
 */
void quic_addr_map(union quic_addr *a)
{
	struct sockaddr_in v4;

	if (a->sa.sa_family != AF_INET)
		return;
	v4 = a->v4;
	memset(a, 0, sizeof(*a));
	a->v6.sin6_family = AF_INET6;
	a->v6.sin6_port = v4.sin_port;
	ipv6_addr_set_v4mapped(v4.sin_addr.s_addr, &a->v6.sin6_addr);
}

bool quic_addr_equal(const union quic_addr *a, const union quic_addr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->v4.sin_port == b->v4.sin_port &&
		       a->v4.sin_addr.s_addr == b->v4.sin_addr.s_addr;
	return a->v6.sin6_port == b->v6.sin6_port &&
	       ipv6_addr_equal(&a->v6.sin6_addr, &b->v6.sin6_addr) &&
	       a->v6.sin6_scope_id == b->v6.sin6_scope_id;
}

/* a wildcard address: the route chooses the source */
bool quic_addr_any(const union quic_addr *a)
{
	if (a->sa.sa_family == AF_INET)
		return !a->v4.sin_addr.s_addr;
	return ipv6_addr_any(&a->v6.sin6_addr);
}

__be16 quic_addr_port(const union quic_addr *a)
{
	return a->sa.sa_family == AF_INET ? a->v4.sin_port : a->v6.sin6_port;
}
