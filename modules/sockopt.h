/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC socket options (sockopt.c).
 */
#ifndef __QUIC_SOCKOPT_H
#define __QUIC_SOCKOPT_H

#include <linux/sockptr.h>

struct sock;

int quic_setsockopt(struct sock *sk, int level, int optname,
		    sockptr_t optval, unsigned int optlen);
int quic_getsockopt(struct sock *sk, int level, int optname,
		    char __user *optval, int __user *optlen);

#endif /* __QUIC_SOCKOPT_H */
