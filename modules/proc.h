/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /proc/net/quic (proc.c).
 */
#ifndef __QUIC_PROC_H
#define __QUIC_PROC_H

#include <linux/types.h>

struct net;
struct sock;
struct quic_info;

int quic_proc_net_init(struct net *net);
void quic_proc_net_exit(struct net *net);

/* for quic_diag.ko */
void quic_sock_info(struct sock *sk, struct quic_info *info, bool ids);
u32 quic_sock_listen_queue(struct sock *sk, u32 *max);

#endif /* __QUIC_PROC_H */
