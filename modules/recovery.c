// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QUIC loss recovery, RFC 9002: RTT estimation (section 5), processing
 * of received ACK frames, loss detection (section 6.1), the probe
 * timeout (section 6.2) and the discarding of packet number spaces
 * (section 6.4).  What the window does with acknowledgments and losses
 * is the congestion controller's (cong.c).
 *
 * Everything here runs under the socket lock (owner or bh_lock_sock()).
 */

#include <linux/slab.h>
#include <net/sock.h>

#include "mib.h"
#include "output.h"
#include "recovery.h"
#include "socket.h"
#include "trace.h"

/* RFC 9002 section 5.3 */
static void quic_rtt_update(struct quic_sock *qs, u32 latest, u32 ack_delay)
{
	u32 adjusted;

	qs->rec.latest_rtt = latest;
	if (!qs->rec.rtt_sampled) {
		qs->rec.rtt_sampled = 1;
		qs->rec.min_rtt = latest;
		qs->rec.smoothed_rtt = latest;
		qs->rec.rttvar = latest / 2;
		quic_cong_on_rtt(&qs->cong, latest, qs->rec.smoothed_rtt);
		trace_quic_rtt(&qs->inet.sk, latest, latest, latest / 2,
			       latest, ack_delay);
		return;
	}
	qs->rec.min_rtt = min(qs->rec.min_rtt, latest);
	if (qs->conn.confirmed)
		ack_delay = min(ack_delay, qs->params.remote.max_ack_delay);
	adjusted = latest;
	if (latest >= qs->rec.min_rtt + ack_delay)
		adjusted = latest - ack_delay;
	qs->rec.rttvar = (3 * qs->rec.rttvar + abs((int)qs->rec.smoothed_rtt -
					   (int)adjusted)) / 4;
	qs->rec.smoothed_rtt = (7 * qs->rec.smoothed_rtt + adjusted) / 8;
	quic_cong_on_rtt(&qs->cong, latest, qs->rec.smoothed_rtt);
	trace_quic_rtt(&qs->inet.sk, latest, qs->rec.smoothed_rtt,
		       qs->rec.rttvar, qs->rec.min_rtt, ack_delay);
}

/* the user's bytes @f carries are no longer held: acknowledged, or their
 * space is gone
 */
static void quic_frame_unacked_drop(struct quic_sock *qs,
				    const struct quic_frame *f)
{
	u32 *n = f->type == QUIC_FRAME_CRYPTO ? &qs->outq.crypto_unacked :
						&qs->outq.unacked;

	if (!f->dup)
		*n -= min_t(u32, *n, f->data_len);
}

static void quic_frame_acked(struct sock *sk, struct quic_frame *f)
{
	struct quic_sock *qs = quic_sk(sk);

	/* a probe's copy: its original answers for what it carries */
	if (f->dup) {
		quic_frame_free(sk, f);
		return;
	}
	if (f->stream_id >= 0)
		quic_stream_acked(sk, f->stream_id);
	else if (f->type == QUIC_FRAME_RESET_STREAM)
		quic_stream_reset_acked(sk, quic_frame_stream_of(f));
	else if (f->type == QUIC_FRAME_NEW_CONNECTION_ID ||
		 f->type == QUIC_FRAME_RETIRE_CONNECTION_ID)
		quic_conn_cid_frame_acked(sk, f->type);
	quic_frame_unacked_drop(qs, f);
	quic_frame_free(sk, f);
}

/* Free a packet acknowledged (@lost NULL) or lost: then the frames to
 * send again go to @lost, which the caller puts back in the space's queue
 * (quic_outq_requeue()).
 */
static void quic_packet_free(struct sock *sk, struct quic_sent_packet *pkt,
			     struct list_head *lost)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_frame *f, *tmp;

	list_for_each_entry_safe(f, tmp, &pkt->frames, list) {
		list_del(&f->list);
		if (!lost) {
			quic_frame_acked(sk, f);
			continue;
		}
		if (!quic_frame_retransmitted(f->type) || f->dup) {
			quic_frame_free(sk, f);
			continue;
		}
		/* the data of a stream reset since is not sent again */
		if (f->stream_id >= 0 &&
		    quic_stream_frame_lost(sk, f->stream_id)) {
			quic_frame_unacked_drop(qs, f);
			quic_frame_free(sk, f);
			continue;
		}
		/* nor a connection ID the peer retired since: it would
		 * come as a new one to a peer that forgot it, and nothing
		 * routes it any more.  Done with, as if acknowledged.
		 */
		if (f->type == QUIC_FRAME_NEW_CONNECTION_ID &&
		    !quic_cid_find_seq(&qs->cids.scids,
				       quic_frame_cid_seq_of(f))) {
			quic_frame_acked(sk, f);
			continue;
		}
		list_add_tail(&f->list, lost);
		qs->outq.bytes += f->len;
	}
	kfree(pkt);
}

static void quic_detect_lost(struct sock *sk, u8 sp, ktime_t now)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_pnspace *s = &qs->space[sp];
	struct quic_sent_packet *pkt, *tmp;
	ktime_t lost_send_time = 0;
	LIST_HEAD(lost);
	u32 delay;

	s->loss_time = 0;
	if (!s->has_acked)
		return;
	/* RFC 9002 section 6.1.2: 9/8 of the larger RTT, at least 1 ms */
	delay = max(qs->rec.latest_rtt, qs->rec.smoothed_rtt);
	delay = max_t(u32, delay + delay / 8, QUIC_GRANULARITY);

	list_for_each_entry_safe(pkt, tmp, &s->sent, list) {
		if (pkt->pn > s->largest_acked)
			break;
		if (pkt->pn + QUIC_PKT_THRESHOLD <= s->largest_acked ||
		    ktime_us_delta(now, pkt->sent_time) >= delay) {
			list_del(&pkt->list);
			if (pkt->in_flight) {
				qs->rec.in_flight -= min(qs->rec.in_flight,
							 pkt->size);
				s->ack_eliciting_in_flight--;
				lost_send_time = pkt->sent_time;
			}
			qs->rec.lost++;
			QUIC_INC_STATS(sock_net(sk), QUIC_MIB_LOSTPACKETS);
			trace_quic_packet_lost(sk, sp, pkt->pn, pkt->size);
			quic_packet_free(sk, pkt, &lost);
			continue;
		}
		s->loss_time = ktime_add_us(pkt->sent_time, delay);
		break;
	}
	quic_outq_requeue(sk, sp, &lost);
	if (lost_send_time) {
		quic_cong_on_loss(&qs->cong, lost_send_time, now);
		trace_quic_cong(sk, qs->cong.cwnd, qs->cong.ssthresh,
				qs->rec.in_flight);
	}
}

/**
 * quic_output_ack_recv - process an ACK frame
 * @sk: the socket, locked
 * @sp: the packet number space it arrived in
 * @largest: Largest Acknowledged
 * @ack_delay: ACK Delay in microseconds
 * @r: the acknowledged ranges, largest first
 * @nr: how many
 * @now: arrival time
 */
void quic_output_ack_recv(struct sock *sk, u8 sp, u64 largest,
			  u64 ack_delay, const struct quic_range *r,
			  unsigned int nr, ktime_t now)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_pnspace *s = &qs->space[sp];
	struct quic_sent_packet *pkt, *tmp;
	bool newly = false, rtt = false;
	unsigned int i;

	/* ascending packet numbers: stop past the largest acknowledged */
	list_for_each_entry_safe(pkt, tmp, &s->sent, list) {
		if (pkt->pn > largest)
			break;
		for (i = 0; i < nr; i++)
			if (pkt->pn >= r[i].start && pkt->pn <= r[i].end)
				break;
		if (i == nr)
			continue;
		list_del(&pkt->list);
		newly = true;
		trace_quic_packet_acked(sk, sp, pkt->pn, pkt->size);
		if (pkt->pn == largest && pkt->ack_eliciting) {
			quic_rtt_update(qs, ktime_us_delta(now,
							   pkt->sent_time),
					ack_delay);
			rtt = true;
		}
		if (pkt->in_flight) {
			qs->rec.in_flight -= min(qs->rec.in_flight, pkt->size);
			s->ack_eliciting_in_flight--;
			quic_cong_on_ack(&qs->cong, pkt->size, pkt->sent_time, now);
		}
		quic_packet_free(sk, pkt, NULL);
	}
	/* the server took 0-RTT data (also if we took it for lost): it
	 * had to keep its limits
	 */
	if (sp == QUIC_CRYPTO_APP && qs->conn.early_sent &&
	    !qs->conn.early_accepted) {
		for (i = 0; i < nr; i++) {
			if (r[i].start <= qs->conn.early_last &&
			    r[i].end >= qs->conn.early_first) {
				quic_conn_early_accepted(sk);
				break;
			}
		}
	}
	if (!newly)
		return;
	if (!s->has_acked || largest > s->largest_acked) {
		s->largest_acked = largest;
		s->has_acked = 1;
	}
	/* RFC 9002 section 6.2.1: reset the PTO backoff on progress,
	 * except a client waiting for the server to validate it
	 */
	if (rtt || sp != QUIC_CRYPTO_INITIAL)
		qs->rec.pto_count = 0;
	trace_quic_cong(sk, qs->cong.cwnd, qs->cong.ssthresh,
			qs->rec.in_flight);
	quic_detect_lost(sk, sp, now);
	sk->sk_write_space(sk);
}

/* Keys of a space are gone: what it holds in flight is forgotten,
 * RFC 9002 section 6.4.
 */
void quic_output_discard_space(struct sock *sk, u8 sp)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_pnspace *s = &qs->space[sp];
	struct quic_sent_packet *pkt, *tmp;
	struct quic_frame *f, *ftmp;

	if (s->discarded)
		return;
	s->discarded = 1;
	list_for_each_entry_safe(pkt, tmp, &s->sent, list) {
		list_del(&pkt->list);
		if (pkt->in_flight)
			qs->rec.in_flight -= min(qs->rec.in_flight, pkt->size);
		list_for_each_entry_safe(f, ftmp, &pkt->frames, list) {
			list_del(&f->list);
			quic_frame_unacked_drop(qs, f);
			quic_frame_free(sk, f);
		}
		kfree(pkt);
	}
	s->ack_eliciting_in_flight = 0;
	s->loss_time = 0;
	list_for_each_entry_safe(f, ftmp, &qs->outq.frames[sp], list) {
		list_del(&f->list);
		if (f == qs->outq.path_response)
			qs->outq.path_response = NULL;
		if (f == qs->outq.path_challenge)
			qs->outq.path_challenge = NULL;
		qs->outq.bytes -= min_t(u32, qs->outq.bytes, f->len);
		quic_frame_unacked_drop(qs, f);
		quic_frame_free(sk, f);
	}
	qs->rec.pto_count = 0;
	sk->sk_write_space(sk);
	quic_keys_discard(sk, sp);
}

/*
 * RFC 9002 section 6.2.2.1: a client keeps a probe timeout armed, even
 * with nothing in flight, until it knows the server validated its address
 * (an acknowledgment of a Handshake packet, or the handshake confirmed):
 * a server whose flight was lost in part may be held by its amplification
 * limit, waiting for more bytes from the client, which would otherwise
 * wait for the server.  Returns the deadline, from the last ack-eliciting
 * packet sent, and in *@space the space to probe: Handshake once there are
 * Handshake keys, else Initial (a padded Initial earns the server more
 * credit).
 */
static ktime_t quic_rtx_anti_deadlock(struct quic_sock *qs, u32 pto,
				      u8 *space)
{
	const struct quic_pnspace *in = &qs->space[QUIC_CRYPTO_INITIAL];
	const struct quic_pnspace *hs = &qs->space[QUIC_CRYPTO_HANDSHAKE];
	ktime_t base = in->last_ack_eliciting;

	if (qs->conn.is_serv || qs->conn.confirmed || hs->has_acked ||
	    qs->conn.closing || qs->conn.draining || !base)
		return 0;
	if (ktime_after(hs->last_ack_eliciting, base))
		base = hs->last_ack_eliciting;
	*space = QUIC_CRYPTO_INITIAL;
	if (quic_crypto_tx_ready(&qs->crypto[QUIC_CRYPTO_HANDSHAKE]) &&
	    !hs->discarded)
		*space = QUIC_CRYPTO_HANDSHAKE;
	else if (in->discarded)
		return 0;
	return ktime_add_us(base, (u64)pto << min_t(u8, qs->rec.pto_count, 16));
}

/**
 * quic_rtx_pto - the probe timeout without its backoff, RFC 9002 6.2.1
 * @qs: the socket
 *
 * Return: smoothed_rtt + max(4 * rttvar, kGranularity), in microseconds;
 * the 1-RTT space adds the peer's max_ack_delay.
 */
u32 quic_rtx_pto(const struct quic_sock *qs)
{
	return qs->rec.smoothed_rtt +
	       max_t(u32, 4 * qs->rec.rttvar, QUIC_GRANULARITY);
}

/* RFC 9002 appendix A.8: the loss or PTO deadline, 0 for none */
static ktime_t quic_rtx_deadline(struct quic_sock *qs, u8 *space)
{
	ktime_t t = 0;
	u32 pto;
	int i;

	for (i = 0; i < QUIC_PNSPACE_MAX; i++) {
		if (qs->space[i].loss_time &&
		    (!t || ktime_before(qs->space[i].loss_time, t))) {
			t = qs->space[i].loss_time;
			*space = i;
		}
	}
	if (t)
		return t;

	/* the earliest of the spaces' probe timeouts; 1-RTT ones only
	 * once the handshake is complete, with the peer's max_ack_delay
	 */
	pto = quic_rtx_pto(qs);
	for (i = 0; i < QUIC_PNSPACE_MAX; i++) {
		const struct quic_pnspace *s = &qs->space[i];
		u64 d = pto;
		ktime_t ti;

		if (!s->ack_eliciting_in_flight || s->discarded)
			continue;
		if (i == QUIC_CRYPTO_APP) {
			if (!qs->conn.handshake_done)
				continue;
			d += qs->params.remote.max_ack_delay;
		}
		ti = ktime_add_us(s->last_ack_eliciting,
				  d << min_t(u8, qs->rec.pto_count, 16));
		if (!t || ktime_before(ti, t)) {
			t = ti;
			*space = i;
		}
	}
	if (!t)
		t = quic_rtx_anti_deadlock(qs, pto, space);
	return t;
}

void quic_timer_reset(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	ktime_t t;
	u8 sp;

	t = quic_rtx_deadline(qs, &sp);
	if (!t) {
		quic_timer_stop(sk, QUIC_TIMER_RTX);
		return;
	}
	quic_timer_set(sk, QUIC_TIMER_RTX,
		       jiffies + usecs_to_jiffies(max_t(s64, ktime_us_delta(t,
							ktime_get()), 0)) + 1);
}

/* a space's packets in flight go back to its queue, to be sent again */
static void quic_rtx_requeue(struct sock *sk, u8 sp)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_pnspace *s = &qs->space[sp];
	struct quic_sent_packet *pkt, *tmp;
	LIST_HEAD(lost);

	list_for_each_entry_safe(pkt, tmp, &s->sent, list) {
		list_del(&pkt->list);
		if (pkt->in_flight) {
			qs->rec.in_flight -= min(qs->rec.in_flight, pkt->size);
			s->ack_eliciting_in_flight--;
		}
		quic_packet_free(sk, pkt, &lost);
	}
	/* back in their place by age, behind frames declared lost before
	 * and in front of new data (RFC 9002 section 6.2.4 lets a probe
	 * carry either): see quic_outq_requeue()
	 */
	quic_outq_requeue(sk, sp, &lost);
}

/**
 * quic_output_requeue - send a space's packets in flight again, now: a
 * Retry (RFC 9002 section 6.3) makes them useless
 * @sk: the socket, locked
 * @sp: the packet number space
 */
void quic_output_requeue(struct sock *sk, u8 sp)
{
	quic_rtx_requeue(sk, sp);
	quic_sk(sk)->rec.pto_count = 0;
	quic_timer_reset(sk);
}

/*
 * RFC 9002 section 6.2.4: a PTO may send two datagrams, so that the loss
 * of one does not cost another backoff.  The second is a copy of the
 * first's frames (the ClientHello, the ServerHello, a PING, the oldest
 * data), whatever else is queued: with 30% loss, 9% of the probes then
 * wait a doubled timeout instead of 30%.  The copies are never sent
 * again, and their acknowledgment counts for nothing but the packet's:
 * the originals answer for the data.  Each goes at the head of its
 * space's queue, so that the copies make the next datagram.
 */
static void quic_rtx_second_probe(struct sock *sk, ktime_t since)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_sent_packet *pkt;
	struct quic_frame *f, *c;
	int i;

	for (i = 0; i < QUIC_PNSPACE_MAX; i++) {
		struct quic_pnspace *s = &qs->space[i];
		LIST_HEAD(copies);

		if (list_empty(&s->sent))
			continue;
		pkt = list_last_entry(&s->sent, struct quic_sent_packet, list);
		if (!pkt->ack_eliciting || ktime_before(pkt->sent_time, since))
			continue;
		list_for_each_entry(f, &pkt->frames, list) {
			/* a DATAGRAM goes once (RFC 9221 section 5.2):
			 * its copy would reach the reader twice
			 */
			if (f->type == QUIC_FRAME_DATAGRAM_LEN)
				continue;
			c = quic_frame_copy(f, GFP_ATOMIC);
			if (!c)
				break;
			list_add_tail(&c->list, &copies);
			qs->outq.bytes += c->len;
		}
		list_splice(&copies, &qs->outq.frames[i]);
	}
	quic_output_probe(sk);
}

void quic_rtx_fire(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	ktime_t now = ktime_get(), t;
	struct quic_pnspace *s;
	struct quic_frame *f;
	u8 sp = 0;
	int i;

	t = quic_rtx_deadline(qs, &sp);
	if (!t)
		return;
	if (ktime_after(t, now)) {
		quic_timer_reset(sk);
		return;
	}
	s = &qs->space[sp];
	if (s->loss_time) {
		quic_detect_lost(sk, sp, now);
		quic_output(sk);
		return;
	}

	/* PTO: what this space has in flight goes again as probes, and
	 * so does that of the other spaces with data in flight (RFC 9002
	 * section 6.2.4, SHOULD): the peer may have the keys of only one
	 * of them, as a client that lost the ServerHello and keeps the
	 * server's Handshake packets it cannot read.  Probing the spaces
	 * by turns instead left the ServerHello to every other, doubled,
	 * timeout: handshakes of minutes under 30% loss.
	 */
	qs->rec.pto_count++;
	qs->rec.ptos++;
	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_PTOS);
	for (i = 0; i < QUIC_PNSPACE_MAX; i++) {
		if (i != sp && (!qs->space[i].ack_eliciting_in_flight ||
				qs->space[i].discarded))
			continue;
		/* a client's anti-deadlock probe (RFC 9002 section
		 * 6.2.2.1: its space has nothing in flight) only lets the
		 * server send more; its 0-RTT data in flight, which the
		 * server acknowledges once it has the 1-RTT keys, waits for
		 * them.  Sent again with each probe, it cost 60 full
		 * packets for 3000 bytes while a server took 300 ms to
		 * start its handshake.
		 */
		if (i == QUIC_CRYPTO_APP && i != sp &&
		    !s->ack_eliciting_in_flight)
			continue;
		quic_rtx_requeue(sk, i);
	}
	if (list_empty(&qs->outq.frames[sp])) {
		f = quic_frame_ping(quic_space_tx_level(qs, sp), GFP_ATOMIC);
		if (f)
			quic_outq_add(sk, f);
	}
	if (quic_output_probe(sk))
		quic_rtx_second_probe(sk, now);
	quic_output(sk);	/* the rest, as the window allows */
}

/* before the first RTT sample, RFC 9002 section 5.3 */
void quic_recovery_init(struct quic_recovery *r, u32 initial_rtt)
{
	r->smoothed_rtt = initial_rtt;
	r->rttvar = initial_rtt / 2;
	r->min_rtt = U32_MAX;
}

/**
 * quic_recovery_on_sent - a packet that carries frames was sent, RFC 9002
 * section A.5: it waits for its acknowledgment on the space's sent list
 * @sk: the socket, locked
 * @sp: its packet number space
 * @pkt: the packet; the list takes it
 * @now: when it was sent
 */
void quic_recovery_on_sent(struct sock *sk, u8 sp,
			   struct quic_sent_packet *pkt, ktime_t now)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_pnspace *s = &qs->space[sp];

	list_add_tail(&pkt->list, &s->sent);
	if (!pkt->ack_eliciting)
		return;
	qs->rec.in_flight += pkt->size;
	s->ack_eliciting_in_flight++;
	s->last_ack_eliciting = now;
	quic_cong_on_sent(&qs->cong, pkt->size, now);
}
