/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Differences between the kernels this module builds for, detected by
 * feature in Kbuild (QUIC_HAVE_*), never by version number.
 */
#ifndef __QUIC_COMPAT_H
#define __QUIC_COMPAT_H

#ifdef QUIC_HAVE_LINUX_UNALIGNED
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/*
 * The address of the bind and connect callbacks (struct proto, struct
 * proto_ops): struct sockaddr_unsized on later kernels (7.x here), where
 * struct sockaddr is deprecated inside the kernel.  Both start with
 * sa_family; the length is the callbacks' addr_len argument.
 */
#ifdef QUIC_HAVE_SOCKADDR_UNSIZED
#define quic_cb_sockaddr sockaddr_unsized
#else
#define quic_cb_sockaddr sockaddr
#endif

/* sk_uid(): sock_i_uid() before it, under sk_callback_lock */
#ifndef QUIC_HAVE_SK_UID
#include <net/sock.h>

static inline kuid_t sk_uid(struct sock *sk)
{
	return sock_i_uid(sk);
}
#endif

/* the socket's drop count, as later kernels access it */
#ifndef QUIC_HAVE_SK_DROPS_SKBADD
#include <net/sock.h>

static inline void sk_drops_skbadd(struct sock *sk, const struct sk_buff *skb)
{
	sk_drops_add(sk, skb);
}

static inline void sk_drops_inc(struct sock *sk)
{
	atomic_inc(&sk->sk_drops);
}

static inline int sk_drops_read(const struct sock *sk)
{
	return atomic_read(&sk->sk_drops);
}
#endif

#ifndef QUIC_HAVE_HRTIMER_SETUP
#include <linux/hrtimer.h>

static inline void hrtimer_setup(struct hrtimer *timer,
				 enum hrtimer_restart (*function)(struct hrtimer *),
				 clockid_t clock_id, enum hrtimer_mode mode)
{
	hrtimer_init(timer, clock_id, mode);
	timer->function = function;
}
#endif

/* UDP tunnel transmission: none of the IPCB/IP6CB flags are ours to set */
#ifdef QUIC_HAVE_UDP_TUNNEL_CB_FLAGS
#define quic_udp_tunnel_xmit_skb(...)	udp_tunnel_xmit_skb(__VA_ARGS__, 0)
#define quic_udp_tunnel6_xmit_skb(...)	udp_tunnel6_xmit_skb(__VA_ARGS__, 0)
#else
#define quic_udp_tunnel_xmit_skb	udp_tunnel_xmit_skb
#define quic_udp_tunnel6_xmit_skb	udp_tunnel6_xmit_skb
#endif

/* what setup_udp_tunnel_sock() and udp_tunnel_sock_release() take */
#ifdef QUIC_HAVE_UDP_TUNNEL_SK
#define quic_udp_tunnel_arg(sock)	((sock)->sk)
#else
#define quic_udp_tunnel_arg(sock)	(sock)
#endif

/* the context of sha256_init(), sha256_update() and sha256_final() */
#ifdef QUIC_HAVE_SHA256_CTX
#define quic_sha256_ctx	sha256_ctx
#else
#define quic_sha256_ctx	sha256_state
#endif

/* an encryption-only key of the AES library, and its preparation */
#ifdef QUIC_HAVE_AES_ENCKEY
#define quic_aes_key		aes_enckey
#define quic_aes_prepare	aes_prepareenckey
#else
#define quic_aes_key		crypto_aes_ctx
#define quic_aes_prepare	aes_expandkey
#endif

#endif /* __QUIC_COMPAT_H */
