// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QUIC sockets: proto and proto_ops for AF_INET and AF_INET6, bind,
 * address queries, poll and the SOL_QUIC socket options.
 *
 * Lock order: the socket lock, then quic_net->udp_lock (path.c).
 *
 * struct quic_sock lives in a slab cache without a usercopy whitelist:
 * values go to and from user space through copies on the stack.
 */

#include <linux/capability.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/inet_common.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/transp_v6.h>

#include "protocol.h"
#include "socket.h"

/* RFC 9000 section 18.2 limits */
#define QUIC_MIN_UDP_PAYLOAD		1200
#define QUIC_MAX_UDP_PAYLOAD		65527
#define QUIC_MAX_ACK_DELAY_EXPONENT	20
#define QUIC_MAX_ACK_DELAY		(16384 * 1000)	/* 2^14 ms, in us */
#define QUIC_MIN_ACTIVE_CID_LIMIT	2

/* RFC 9002 section 6.2.2: kInitialRtt */
#define QUIC_INITIAL_RTT		333000

/* What we announce unless the application says otherwise (see abi). */
static const struct quic_transport_param quic_default_local_param = {
	.active_connection_id_limit	= 7,
	.ack_delay_exponent		= 3,
	.max_udp_payload_size		= QUIC_MAX_UDP_PAYLOAD,
	.max_idle_timeout		= 30 * USEC_PER_SEC,
	.max_ack_delay			= 25 * USEC_PER_MSEC,
	.max_streams_bidi		= 100,
	.max_streams_uni		= 100,
	.max_data			= 65536 * 32,
	.max_stream_data_bidi_local	= 65536 * 4,
	.max_stream_data_bidi_remote	= 65536 * 4,
	.max_stream_data_uni		= 65536 * 4,
};

/* What a peer's omitted parameters mean, RFC 9000 section 18.2. */
static const struct quic_transport_param quic_default_remote_param = {
	.remote				= 1,
	.active_connection_id_limit	= QUIC_MIN_ACTIVE_CID_LIMIT,
	.ack_delay_exponent		= 3,
	.max_udp_payload_size		= QUIC_MAX_UDP_PAYLOAD,
	.max_ack_delay			= 25 * USEC_PER_MSEC,
};

static const struct quic_config quic_default_config = {
	.version			= QUIC_VERSION_V1,
	.initial_smoothed_rtt		= QUIC_INITIAL_RTT,
	.congestion_control_algo	= QUIC_CONG_ALG_RENO,
};

static int quic_init_sock(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	qs->local_param = quic_default_local_param;
	qs->remote_param = quic_default_remote_param;
	qs->config = quic_default_config;
	sk->sk_state = QUIC_SS_CLOSED;
	return 0;
}

/* Context: process context; the socket is no longer reachable. */
static void quic_destroy_sock(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	if (qs->udp_sk) {
		quic_udp_sock_put(sock_net(sk), qs->udp_sk);
		qs->udp_sk = NULL;
	}
	kfree(qs->alpn);
	qs->alpn = NULL;
}

static void quic_close(struct sock *sk, long timeout)
{
	lock_sock(sk);
	sk->sk_state = QUIC_SS_CLOSED;
	sk->sk_shutdown = SHUTDOWN_MASK;
	release_sock(sk);
	sk_common_release(sk);
}

/* QUIC sockets are found through connection IDs, not the inet hashes. */
static int quic_hash(struct sock *sk)
{
	return 0;
}

static void quic_unhash(struct sock *sk)
{
}

static int quic_addr_from_user(struct sock *sk, const struct sockaddr *uaddr,
			       int addr_len, union quic_addr *a)
{
	memset(a, 0, sizeof(*a));

	if (sk->sk_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)uaddr;

		if (addr_len < (int)sizeof(*sin))
			return -EINVAL;
		if (sin->sin_family != AF_INET)
			return -EAFNOSUPPORT;
		if (ipv4_is_multicast(sin->sin_addr.s_addr) ||
		    ipv4_is_lbcast(sin->sin_addr.s_addr))
			return -EADDRNOTAVAIL;
		a->v4.sin_family = AF_INET;
		a->v4.sin_port = sin->sin_port;
		a->v4.sin_addr = sin->sin_addr;
		return 0;
	}

	if (addr_len < SIN6_LEN_RFC2133)
		return -EINVAL;
	if (uaddr->sa_family != AF_INET6)
		return -EAFNOSUPPORT;
	{
		const struct sockaddr_in6 *sin6 = (const void *)uaddr;
		int type = ipv6_addr_type(&sin6->sin6_addr);

		if (type & IPV6_ADDR_MULTICAST)
			return -EADDRNOTAVAIL;
		if (type == IPV6_ADDR_MAPPED) {
			if (sk->sk_ipv6only)
				return -EINVAL;
			if (ipv4_is_multicast(sin6->sin6_addr.s6_addr32[3]) ||
			    ipv4_is_lbcast(sin6->sin6_addr.s6_addr32[3]))
				return -EADDRNOTAVAIL;
		}
		a->v6.sin6_family = AF_INET6;
		a->v6.sin6_port = sin6->sin6_port;
		a->v6.sin6_addr = sin6->sin6_addr;
		if (type & IPV6_ADDR_LINKLOCAL) {
			if (addr_len < (int)sizeof(*sin6) ||
			    !sin6->sin6_scope_id)
				return -EINVAL;
			a->v6.sin6_scope_id = sin6->sin6_scope_id;
		}
	}
	return 0;
}

static void quic_set_local(struct sock *sk, const union quic_addr *a)
{
	struct inet_sock *inet = inet_sk(sk);

	quic_sk(sk)->local = *a;
	if (a->sa.sa_family == AF_INET) {
		inet->inet_sport = a->v4.sin_port;
		inet->inet_saddr = a->v4.sin_addr.s_addr;
		inet->inet_rcv_saddr = a->v4.sin_addr.s_addr;
	} else {
		inet->inet_sport = a->v6.sin6_port;
		sk->sk_v6_rcv_saddr = a->v6.sin6_addr;
		inet6_sk(sk)->saddr = a->v6.sin6_addr;
	}
	inet->inet_num = ntohs(inet->inet_sport);
}

/*
 * bind(): one address per socket, for the socket's lifetime.  Sockets
 * binding the very same address and port share one UDP socket; port 0
 * gets a fresh UDP socket on an ephemeral port.
 */
static int quic_bind(struct sock *sk, struct sockaddr *uaddr, int addr_len)
{
	struct quic_sock *qs = quic_sk(sk);
	struct net *net = sock_net(sk);
	struct quic_udp_sock *us;
	union quic_addr a;
	u16 port;
	int err;

	err = quic_addr_from_user(sk, uaddr, addr_len, &a);
	if (err)
		return err;

	port = ntohs(a.sa.sa_family == AF_INET ? a.v4.sin_port :
						 a.v6.sin6_port);
	if (port && inet_port_requires_bind_service(net, port) &&
	    !ns_capable(net->user_ns, CAP_NET_BIND_SERVICE))
		return -EACCES;

	lock_sock(sk);
	if (qs->udp_sk || sk->sk_state != QUIC_SS_CLOSED) {
		err = -EINVAL;
		goto out;
	}
	err = quic_udp_sock_get(net, &a, sk->sk_ipv6only, &us);
	if (err)
		goto out;
	qs->udp_sk = us;
	quic_set_local(sk, &us->addr);
out:
	release_sock(sk);
	return err;
}

static int quic_getname(struct socket *sock, struct sockaddr *uaddr, int peer)
{
	struct sock *sk = sock->sk;
	union quic_addr a;
	int len;

	len = sk->sk_family == AF_INET ? sizeof(struct sockaddr_in) :
					 sizeof(struct sockaddr_in6);
	/* no connected state exists yet: there is never a peer */
	if (peer)
		return -ENOTCONN;

	memset(&a, 0, sizeof(a));
	lock_sock(sk);
	if (quic_sk(sk)->udp_sk)
		a = quic_sk(sk)->local;
	else
		a.sa.sa_family = sk->sk_family;
	release_sock(sk);

	memcpy(uaddr, &a, len);
	return len;
}

static __poll_t quic_poll(struct file *file, struct socket *sock,
			  poll_table *wait)
{
	struct sock *sk = sock->sk;
	u8 shutdown;
	__poll_t mask = 0;

	sock_poll_wait(file, sock, wait);

	if (READ_ONCE(sk->sk_err))
		mask |= EPOLLERR;
	shutdown = READ_ONCE(sk->sk_shutdown);
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (shutdown == SHUTDOWN_MASK ||
	    inet_sk_state_load(sk) == QUIC_SS_CLOSED)
		mask |= EPOLLHUP;
	return mask;
}

static int quic_sendmsg(struct sock *sk, struct msghdr *msg, size_t len)
{
	return -ENOTCONN;
}

static int quic_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
			int flags, int *addr_len)
{
	return -ENOTCONN;
}

/* socket options */

static int quic_sock_set_event(struct sock *sk, sockptr_t optval,
			       unsigned int optlen)
{
	struct quic_event_option opt;

	if (optlen < sizeof(opt))
		return -EINVAL;
	if (copy_from_sockptr(&opt, optval, sizeof(opt)))
		return -EFAULT;
	if (opt.type == QUIC_EVENT_NONE || opt.type >= QUIC_EVENT_MAX ||
	    opt.on > 1)
		return -EINVAL;

	if (opt.on)
		quic_sk(sk)->events |= BIT(opt.type);
	else
		quic_sk(sk)->events &= ~BIT(opt.type);
	return 0;
}

/*
 * Numeric fields left 0 keep their current value, so that a caller can
 * fill in only what it cares about; the flags and max_datagram_frame_size
 * (0: datagrams off) are taken as given.  A consequence, documented in
 * quic(7): a numeric parameter cannot be set to 0 (e.g. max_idle_timeout 0,
 * "no idle timeout").
 */
static int quic_sock_set_transport_param(struct sock *sk, sockptr_t optval,
					 unsigned int optlen)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_transport_param p, *t;

	if (optlen < sizeof(p))
		return -EINVAL;
	if (copy_from_sockptr(&p, optval, sizeof(p)))
		return -EFAULT;
	if (p.remote > 1)
		return -EINVAL;
	if (sk->sk_state != QUIC_SS_CLOSED)
		return -EISCONN;

	if (p.max_udp_payload_size &&
	    (p.max_udp_payload_size < QUIC_MIN_UDP_PAYLOAD ||
	     p.max_udp_payload_size > QUIC_MAX_UDP_PAYLOAD))
		return -EINVAL;
	if (p.ack_delay_exponent > QUIC_MAX_ACK_DELAY_EXPONENT)
		return -EINVAL;
	if (p.max_ack_delay >= QUIC_MAX_ACK_DELAY)
		return -EINVAL;
	if (p.active_connection_id_limit &&
	    p.active_connection_id_limit < QUIC_MIN_ACTIVE_CID_LIMIT)
		return -EINVAL;
	if (p.disable_active_migration > 1 || p.grease_quic_bit > 1 ||
	    p.stateless_reset > 1 || p.disable_1rtt_encryption > 1 ||
	    p.disable_compatible_version > 1)
		return -EINVAL;

	t = p.remote ? &qs->remote_param : &qs->local_param;
	t->disable_active_migration = p.disable_active_migration;
	t->grease_quic_bit = p.grease_quic_bit;
	t->stateless_reset = p.stateless_reset;
	t->disable_1rtt_encryption = p.disable_1rtt_encryption;
	t->disable_compatible_version = p.disable_compatible_version;
	t->max_datagram_frame_size = p.max_datagram_frame_size;
	if (p.active_connection_id_limit)
		t->active_connection_id_limit = p.active_connection_id_limit;
	if (p.ack_delay_exponent)
		t->ack_delay_exponent = p.ack_delay_exponent;
	if (p.max_udp_payload_size)
		t->max_udp_payload_size = p.max_udp_payload_size;
	if (p.max_idle_timeout)
		t->max_idle_timeout = p.max_idle_timeout;
	if (p.max_ack_delay)
		t->max_ack_delay = p.max_ack_delay;
	if (p.max_streams_bidi)
		t->max_streams_bidi = p.max_streams_bidi;
	if (p.max_streams_uni)
		t->max_streams_uni = p.max_streams_uni;
	if (p.max_data)
		t->max_data = p.max_data;
	if (p.max_stream_data_bidi_local)
		t->max_stream_data_bidi_local = p.max_stream_data_bidi_local;
	if (p.max_stream_data_bidi_remote)
		t->max_stream_data_bidi_remote = p.max_stream_data_bidi_remote;
	if (p.max_stream_data_uni)
		t->max_stream_data_uni = p.max_stream_data_uni;
	return 0;
}

#define QUIC_CONFIG_MIN_LEN	offsetof(struct quic_config, \
					 keepalive_probe_interval)

/* version 0 and initial_smoothed_rtt 0 mean the defaults */
static int quic_sock_set_config(struct sock *sk, sockptr_t optval,
				unsigned int optlen)
{
	struct quic_config c = {};

	if (optlen < QUIC_CONFIG_MIN_LEN)
		return -EINVAL;
	optlen = min_t(unsigned int, optlen, sizeof(c));
	if (copy_from_sockptr(&c, optval, optlen))
		return -EFAULT;
	if (sk->sk_state != QUIC_SS_CLOSED)
		return -EISCONN;

	if (!c.version)
		c.version = QUIC_VERSION_V1;
	if (c.version != QUIC_VERSION_V1 && c.version != QUIC_VERSION_V2)
		return -EINVAL;
	if (!c.initial_smoothed_rtt)
		c.initial_smoothed_rtt = QUIC_INITIAL_RTT;
	if (c.congestion_control_algo >= QUIC_CONG_ALG_MAX)
		return -EINVAL;
	if (c.validate_peer_address > 1 || c.stream_data_nodelay > 1 ||
	    c.receive_session_ticket > 1 || c.certificate_request > 3)
		return -EINVAL;
	if (c.reserved[0] || c.reserved[1] || c.reserved[2])
		return -EINVAL;

	quic_sk(sk)->config = c;
	return 0;
}

/* A comma-separated list of non-empty protocol names; a trailing NUL is
 * tolerated.  An empty value clears the list.
 */
static int quic_sock_set_alpn(struct sock *sk, sockptr_t optval,
			      unsigned int optlen)
{
	struct quic_sock *qs = quic_sk(sk);
	unsigned int i, start = 0;
	char *alpn;

	if (optlen > QUIC_ALPN_MAX_LEN + 1)
		return -EINVAL;
	if (sk->sk_state != QUIC_SS_CLOSED)
		return -EISCONN;

	alpn = NULL;
	if (optlen) {
		alpn = memdup_sockptr_nul(optval, optlen);
		if (IS_ERR(alpn))
			return PTR_ERR(alpn);
		if (!alpn[optlen - 1])
			optlen--;
		if (optlen > QUIC_ALPN_MAX_LEN)
			goto inval;
		for (i = 0; optlen && i <= optlen; i++) {
			if (i < optlen && alpn[i] != ',') {
				if (!alpn[i])
					goto inval;
				continue;
			}
			if (i == start)		/* empty name */
				goto inval;
			start = i + 1;
		}
		if (!optlen) {
			kfree(alpn);
			alpn = NULL;
		}
	}

	kfree(qs->alpn);
	qs->alpn = alpn;
	qs->alpn_len = alpn ? optlen : 0;
	return 0;
inval:
	kfree(alpn);
	return -EINVAL;
}

/**
 * quic_do_setsockopt - set a SOL_QUIC option
 * @sk: a QUIC socket
 * @optname: QUIC_SOCKOPT_*
 * @optval: the value, in user or kernel memory
 * @optlen: its length
 *
 * For in-kernel consumers; setsockopt(2) at level SOL_QUIC lands here too.
 *
 * Context: process context; takes the socket lock.
 * Return: 0, or a negative errno: -ENOPROTOOPT for an option this socket
 * does not have, -EINVAL for a bad length or value.
 */
int quic_do_setsockopt(struct sock *sk, int optname, sockptr_t optval,
		       unsigned int optlen)
{
	int err;

	lock_sock(sk);
	switch (optname) {
	case QUIC_SOCKOPT_EVENT:
		err = quic_sock_set_event(sk, optval, optlen);
		break;
	case QUIC_SOCKOPT_TRANSPORT_PARAM:
		err = quic_sock_set_transport_param(sk, optval, optlen);
		break;
	case QUIC_SOCKOPT_CONFIG:
		err = quic_sock_set_config(sk, optval, optlen);
		break;
	case QUIC_SOCKOPT_ALPN:
		err = quic_sock_set_alpn(sk, optval, optlen);
		break;
	default:
		err = -ENOPROTOOPT;
		break;
	}
	release_sock(sk);
	return err;
}
EXPORT_SYMBOL_GPL(quic_do_setsockopt);

static int quic_sock_get_event(struct sock *sk, int len, sockptr_t optval,
			       sockptr_t optlen)
{
	struct quic_event_option opt;

	if (len < (int)sizeof(opt))
		return -EINVAL;
	if (copy_from_sockptr(&opt, optval, sizeof(opt)))
		return -EFAULT;
	if (opt.type == QUIC_EVENT_NONE || opt.type >= QUIC_EVENT_MAX)
		return -EINVAL;
	opt.on = !!(quic_sk(sk)->events & BIT(opt.type));

	len = sizeof(opt);
	if (copy_to_sockptr(optlen, &len, sizeof(len)) ||
	    copy_to_sockptr(optval, &opt, len))
		return -EFAULT;
	return 0;
}

/* The caller's first byte, "remote", selects whose parameters to read. */
static int quic_sock_get_transport_param(struct sock *sk, int len,
					 sockptr_t optval, sockptr_t optlen)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_transport_param p;
	u8 remote;

	if (len < (int)sizeof(p))
		return -EINVAL;
	if (copy_from_sockptr(&remote, optval, sizeof(remote)))
		return -EFAULT;
	if (remote > 1)
		return -EINVAL;
	p = remote ? qs->remote_param : qs->local_param;
	p.remote = remote;

	len = sizeof(p);
	if (copy_to_sockptr(optlen, &len, sizeof(len)) ||
	    copy_to_sockptr(optval, &p, len))
		return -EFAULT;
	return 0;
}

static int quic_sock_get_config(struct sock *sk, int len, sockptr_t optval,
				sockptr_t optlen)
{
	struct quic_config c = quic_sk(sk)->config;

	if (len < (int)QUIC_CONFIG_MIN_LEN)
		return -EINVAL;
	len = min_t(int, len, sizeof(c));
	if (copy_to_sockptr(optlen, &len, sizeof(len)) ||
	    copy_to_sockptr(optval, &c, len))
		return -EFAULT;
	return 0;
}

/* The list as set, NUL-terminated; optlen counts the NUL. */
static int quic_sock_get_alpn(struct sock *sk, int len, sockptr_t optval,
			      sockptr_t optlen)
{
	struct quic_sock *qs = quic_sk(sk);
	char nul = 0;

	if (len < (int)qs->alpn_len + 1)
		return -EINVAL;
	len = qs->alpn_len + 1;
	if (copy_to_sockptr(optlen, &len, sizeof(len)) ||
	    (qs->alpn_len && copy_to_sockptr(optval, qs->alpn, qs->alpn_len)) ||
	    copy_to_sockptr_offset(optval, qs->alpn_len, &nul, 1))
		return -EFAULT;
	return 0;
}

/**
 * quic_do_getsockopt - get a SOL_QUIC option
 * @sk: a QUIC socket
 * @optname: QUIC_SOCKOPT_*
 * @optval: buffer, in user or kernel memory
 * @optlen: in: the buffer's length; out: the value's length (an int)
 *
 * Context: process context; takes the socket lock.
 * Return: 0, or a negative errno (-ENOPROTOOPT, -EINVAL, -EFAULT).
 */
int quic_do_getsockopt(struct sock *sk, int optname, sockptr_t optval,
		       sockptr_t optlen)
{
	int len, err;

	if (copy_from_sockptr(&len, optlen, sizeof(len)))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;

	lock_sock(sk);
	switch (optname) {
	case QUIC_SOCKOPT_EVENT:
		err = quic_sock_get_event(sk, len, optval, optlen);
		break;
	case QUIC_SOCKOPT_TRANSPORT_PARAM:
		err = quic_sock_get_transport_param(sk, len, optval, optlen);
		break;
	case QUIC_SOCKOPT_CONFIG:
		err = quic_sock_get_config(sk, len, optval, optlen);
		break;
	case QUIC_SOCKOPT_ALPN:
		err = quic_sock_get_alpn(sk, len, optval, optlen);
		break;
	default:
		err = -ENOPROTOOPT;
		break;
	}
	release_sock(sk);
	return err;
}
EXPORT_SYMBOL_GPL(quic_do_getsockopt);

static int quic_setsockopt(struct sock *sk, int level, int optname,
			   sockptr_t optval, unsigned int optlen)
{
	if (level == SOL_QUIC)
		return quic_do_setsockopt(sk, optname, optval, optlen);
	if (sk->sk_family == AF_INET6)
		return ipv6_setsockopt(sk, level, optname, optval, optlen);
	return ip_setsockopt(sk, level, optname, optval, optlen);
}

static int quic_getsockopt(struct sock *sk, int level, int optname,
			   char __user *optval, int __user *optlen)
{
	if (level == SOL_QUIC)
		return quic_do_getsockopt(sk, optname, USER_SOCKPTR(optval),
					  USER_SOCKPTR(optlen));
	if (sk->sk_family == AF_INET6)
		return ipv6_getsockopt(sk, level, optname, optval, optlen);
	return ip_getsockopt(sk, level, optname, optval, optlen);
}

struct proto quic_prot = {
	.name		= "QUIC",
	.owner		= THIS_MODULE,
	.init		= quic_init_sock,
	.destroy	= quic_destroy_sock,
	.close		= quic_close,
	.bind		= quic_bind,
	.setsockopt	= quic_setsockopt,
	.getsockopt	= quic_getsockopt,
	.sendmsg	= quic_sendmsg,
	.recvmsg	= quic_recvmsg,
	.hash		= quic_hash,
	.unhash		= quic_unhash,
	.no_autobind	= true,
	.obj_size	= sizeof(struct quic_sock),
};

struct proto quic6_prot = {
	.name		= "QUICv6",
	.owner		= THIS_MODULE,
	.init		= quic_init_sock,
	.destroy	= quic_destroy_sock,
	.close		= quic_close,
	.bind		= quic_bind,
	.setsockopt	= quic_setsockopt,
	.getsockopt	= quic_getsockopt,
	.sendmsg	= quic_sendmsg,
	.recvmsg	= quic_recvmsg,
	.hash		= quic_hash,
	.unhash		= quic_unhash,
	.no_autobind	= true,
	.obj_size	= sizeof(struct quic6_sock),
#ifdef QUIC_HAVE_IPV6_PINFO_OFFSET
	.ipv6_pinfo_offset = offsetof(struct quic6_sock, inet6),
#endif
};

const struct proto_ops quic_proto_ops = {
	.family		= PF_INET,
	.owner		= THIS_MODULE,
	.release	= inet_release,
	.bind		= inet_bind,
	.connect	= sock_no_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= sock_no_accept,
	.getname	= quic_getname,
	.poll		= quic_poll,
	.ioctl		= inet_ioctl,
	.gettstamp	= sock_gettstamp,
	.listen		= sock_no_listen,
	.shutdown	= inet_shutdown,
	.setsockopt	= sock_common_setsockopt,
	.getsockopt	= sock_common_getsockopt,
	.sendmsg	= inet_sendmsg,
	.recvmsg	= inet_recvmsg,
	.mmap		= sock_no_mmap,
};

const struct proto_ops quic6_proto_ops = {
	.family		= PF_INET6,
	.owner		= THIS_MODULE,
	.release	= inet6_release,
	.bind		= inet6_bind,
	.connect	= sock_no_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= sock_no_accept,
	.getname	= quic_getname,
	.poll		= quic_poll,
	.ioctl		= inet6_ioctl,
	.gettstamp	= sock_gettstamp,
	.listen		= sock_no_listen,
	.shutdown	= inet_shutdown,
	.setsockopt	= sock_common_setsockopt,
	.getsockopt	= sock_common_getsockopt,
	.sendmsg	= inet_sendmsg,
	.recvmsg	= inet_recvmsg,
	.mmap		= sock_no_mmap,
};
