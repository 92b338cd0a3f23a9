/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC connection state (conn.c).
 */
#ifndef __QUIC_CONN_H
#define __QUIC_CONN_H

#include <linux/ktime.h>
#include <linux/quic.h>
#include <linux/types.h>
#include <linux/workqueue.h>

struct sock;

/*
 * struct quic_conn - where a connection is in its life: version, the
 * handshake, the closing and draining periods (RFC 9000 section 10), the
 * idle timeout and the events the user asked for.  Owned by conn.c.
 *
 * Locking: the socket lock; @close_work and @ku_work run in process
 * context and take it.
 * @version: the QUIC version in use
 * @events: BIT(QUIC_EVENT_*) the user enabled
 * @is_serv: the server's end
 * @tp_ext_recv: the peer's transport parameters arrived
 * @tp_ext_sent: ours went to the TLS library (QUIC_SOCKOPT_TRANSPORT_PARAM_EXT):
 *	from then on they are what the peer is told, and stay as they are
 * @early_params: a client was given the server's parameters of an earlier
 *	connection (QUIC_SOCKOPT_TRANSPORT_PARAM, remote): it may send
 *	stream data before the handshake, in 0-RTT packets once it has the
 *	keys, within the limits of those parameters
 * @early_accepted: a 0-RTT packet was acknowledged: the server accepted
 *	0-RTT (RFC 9001 section 4.6.2)
 * @early_sent: 0-RTT packets went out, numbers @early_first to @early_last
 *	(an acknowledgment of one counts even after it was taken for lost)
 * @retry_pending: a client followed a Retry; its new Initial keys are
 *	made by @ku_work, and nothing is sent until then
 * @handshake_done: the handshake completed here
 * @confirmed: the handshake is confirmed, RFC 9001 section 4.1.2
 * @closing: CONNECTION_CLOSE sent: the closing period
 * @draining: CONNECTION_CLOSE received: the draining period
 * @close_app: @close_local is an application close
 * @close_recv: @close_peer holds what the peer sent
 * @close_local: the CONNECTION_CLOSE we send
 * @close_peer: the one we got
 * @idle_deadline: when the idle timeout ends the connection
 * @close_deadline: the end of the closing or draining period; 0: none
 * @close_replied: when a packet in the closing period was last answered
 * @keys_gone: BIT(level) of the levels whose keys were discarded and wait
 *	for @ku_work to free them (crypto.h: transforms are freed in process
 *	context, and discarding happens in softirq too)
 * @close_work: ends the linger of a closed socket
 * @ku_work: prepares the next key phase, frees the keys of @keys_gone,
 *	makes the Initial keys of @retry_pending
 */
struct quic_conn {
	u32				version;
	u32				events;
	u8				is_serv:1,
					tp_ext_recv:1,
					tp_ext_sent:1,
					handshake_done:1,
					confirmed:1,
					closing:1,
					draining:1,
					close_app:1,
					close_recv:1,
					used:1,	/* it had a connection */
					retry_pending:1,
					early_params:1,
					early_accepted:1,
					early_sent:1;
	u8				keys_gone;
	u64				early_first;
	u64				early_last;
	struct quic_connection_close	close_local;
	u64				close_frame;	/* the frame type
							 * close_local.frame
							 * truncates
							 */
	struct quic_connection_close	close_peer;
	ktime_t				idle_deadline;
	ktime_t				close_deadline;
	ktime_t				close_replied;
	struct work_struct		close_work;
	struct work_struct		ku_work;
};

void quic_set_state(struct sock *sk, int state);
void quic_conn_close(struct sock *sk, u32 errcode, u64 frame, bool app);
void quic_conn_rcv_reset(struct sock *sk);
void quic_conn_closed(struct sock *sk, int err);
void quic_event_queue(struct sock *sk, u8 type, const void *data,
		      unsigned int len);
void quic_key_update_schedule(struct sock *sk);
void quic_keys_discard(struct sock *sk, u8 level);
void quic_closing_start(struct sock *sk);
void quic_conn_handshake_complete(struct sock *sk);
void quic_conn_early_accepted(struct sock *sk);
int quic_conn_rcv_handshake_done(struct sock *sk);
void quic_conn_init(struct quic_conn *c, u32 version);
void quic_conn_set_role(struct quic_conn *c, bool serv, u32 version);
void quic_conn_set_events(struct quic_conn *c, u32 events);
void quic_conn_peer_params_in(struct quic_conn *c);
void quic_conn_set_close(struct quic_conn *c,
			 const struct quic_connection_close *close);
void quic_conn_silence(struct quic_conn *c);
void quic_conn_user_close(struct sock *sk);
void quic_conn_shutdown(struct sock *sk);
void quic_conn_rcv_closing(struct sock *sk, u32 len, ktime_t now);
void quic_idle_arm(struct sock *sk);
void quic_idle_fire(struct sock *sk);
int quic_rcv_new_cid(struct sock *sk, u64 seq, u64 prior, const u8 *data,
		     u8 len, const u8 *token);
void quic_conn_cid_frame_acked(struct sock *sk, u8 type);
void quic_conn_cid_get(struct sock *sk, struct quic_connection_id_info *info);
int quic_conn_cid_set(struct sock *sk,
		      const struct quic_connection_id_info *info);
int quic_rcv_retire_cid(struct sock *sk, u64 seq, const u8 *dcid,
			u8 dcid_len);
int quic_rcv_close(struct sock *sk, const struct quic_connection_close *c);
void quic_key_update_work(struct work_struct *work);

#endif /* __QUIC_CONN_H */
