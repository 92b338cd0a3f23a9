/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC output (output.c): the packetizer and the send side.
 */
#ifndef __QUIC_OUTPUT_H
#define __QUIC_OUTPUT_H

#include <linux/types.h>

struct sock;
struct quic_sock;

void quic_output(struct sock *sk);
int quic_output_route(struct sock *sk);
void quic_output_probe(struct sock *sk, bool probe);
u8 quic_space_tx_level(struct quic_sock *qs, u8 sp);
void quic_ack_fire(struct sock *sk);
void quic_output_init(struct sock *sk);
void quic_output_close(struct sock *sk);

#endif /* __QUIC_OUTPUT_H */
