/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC for in-kernel consumers: the socket API of <uapi/linux/quic.h>
 * plus socket option calls that take a struct sock.
 */
#ifndef _LINUX_QUIC_H
#define _LINUX_QUIC_H

#include <linux/sockptr.h>
#include <uapi/linux/quic.h>

struct sock;

int quic_do_setsockopt(struct sock *sk, int optname, sockptr_t optval,
		       unsigned int optlen);
int quic_do_getsockopt(struct sock *sk, int optname, sockptr_t optval,
		       sockptr_t optlen);

#endif /* _LINUX_QUIC_H */
