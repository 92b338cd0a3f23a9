/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC connection state (conn.c).
 */
#ifndef __QUIC_CONN_H
#define __QUIC_CONN_H

#include <linux/types.h>

struct sock;
struct work_struct;
struct quic_connection_close;

void quic_set_state(struct sock *sk, int state);
void quic_conn_close(struct sock *sk, u32 errcode, u8 frame, bool app);
void quic_conn_closed(struct sock *sk, int err);
void quic_event_queue(struct sock *sk, u8 type, const void *data,
		      unsigned int len);
void quic_key_update_schedule(struct sock *sk);
void quic_closing_start(struct sock *sk);
void quic_conn_handshake_complete(struct sock *sk);
int quic_conn_rcv_handshake_done(struct sock *sk);
void quic_idle_arm(struct sock *sk);
void quic_idle_fire(struct sock *sk);
int quic_rcv_new_cid(struct sock *sk, u64 seq, u64 prior, const u8 *data,
		     u8 len, const u8 *token);
int quic_rcv_retire_cid(struct sock *sk, u64 seq);
int quic_rcv_close(struct sock *sk, const struct quic_connection_close *c);
void quic_key_update_work(struct work_struct *work);

#endif /* __QUIC_CONN_H */
