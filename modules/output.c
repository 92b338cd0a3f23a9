// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QUIC output: packetization of queued frames into protected packets,
 * UDP transmission, pacing, CONNECTION_CLOSE and the closing period
 * (RFC 9000 sections 10.2, 12-13); loss recovery is in recovery.c.
 *
 * Everything here runs under the socket lock (owner or bh_lock_sock()).
 */

#include <linux/slab.h>
#include <net/ip.h>

#include "conn.h"
#include "mib.h"
#include "output.h"
#include "recovery.h"
#include "socket.h"
#include "trace.h"
#include "varint.h"

#define QUIC_HEADROOM		(MAX_HEADER + sizeof(struct ipv6hdr) + \
				 sizeof(struct udphdr))
#define QUIC_TAG_LEN		QUIC_CRYPTO_TAG_LEN
/* the largest datagram we build: its linear skb, with the headroom and
 * struct skb_shared_info, stays within an order-2 allocation (an order-3
 * one would be zeroed whole under init_on_alloc, for half of it unused)
 */
#define QUIC_MAX_DATAGRAM	(SKB_WITH_OVERHEAD(16384) - QUIC_HEADROOM - \
				 QUIC_TAG_LEN)
/* the least a datagram to a client's new address takes, when its
 * anti-amplification limit leaves less than 1200 bytes (path.c)
 */
#define QUIC_MIN_PATH_DGRAM	64
/* short header, ACK frame and AEAD tag around the STREAM frames */
#define QUIC_NAGLE_OVERHEAD	(1 + QUIC_CONN_ID_MAX_LEN + QUIC_PN_LEN + \
				 64 + QUIC_TAG_LEN)

/* the largest UDP payload for this path and both sides' limits */
static void quic_output_update_mss(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	u32 mtu = quic_path_mtu(&qs->paths.act);
	u32 was = qs->paths.act.mss_changes;

	if (!mtu)
		return;		/* not routed yet */
	mtu = min_t(u32, mtu, qs->params.local.max_udp_payload_size);
	/* the peer's, or those a 0-RTT client remembers (RFC 9000 section
	 * 7.4.1: they apply until the new ones arrive)
	 */
	if (qs->conn.tp_ext_recv || qs->conn.early_params)
		mtu = min_t(u32, mtu, qs->params.remote.max_udp_payload_size);
	mtu = min_t(u32, mtu, QUIC_MAX_DATAGRAM);
	mtu = quic_path_set_mss(&qs->paths.act, mtu);
	if (qs->paths.act.mss_changes != was) {
		QUIC_INC_STATS(sock_net(sk), QUIC_MIB_PMTUCHANGES);
		trace_quic_path_mtu(sk, mtu);
	}
	quic_cong_set_mss(&qs->cong, mtu);
}

/**
 * quic_output_dgram_max - the largest DATAGRAM frame a 1-RTT packet takes
 * on the path as it is, with room for an ACK frame beside it: a frame is
 * never split (RFC 9221 section 5)
 * @qs: the socket, locked
 *
 * Return: the frame's size in bytes, its type and length included.
 */
u32 quic_output_dgram_max(const struct quic_sock *qs)
{
	u32 hdr = 1 + QUIC_CONN_ID_MAX_LEN + QUIC_PN_LEN + QUIC_TAG_LEN + 64;

	return qs->paths.act.mss > hdr ? qs->paths.act.mss - hdr : 0;
}

/* A datagram of up to @len bytes: @len is at most the MSS, and sized by
 * what is queued, so that an ACK does not cost a zeroed 16 KB buffer.
 */
static struct sk_buff *quic_datagram_alloc(struct sock *sk, u32 len)
{
	struct sk_buff *skb;

	skb = alloc_skb(QUIC_HEADROOM + len + QUIC_TAG_LEN, GFP_ATOMIC);
	if (!skb)
		return NULL;
	skb_reserve(skb, QUIC_HEADROOM);
	return skb;
}

u8 quic_space_tx_level(struct quic_sock *qs, u8 sp)
{
	if (sp != QUIC_CRYPTO_APP)
		return sp;
	if (quic_crypto_tx_ready(&qs->crypto[QUIC_CRYPTO_APP]))
		return QUIC_CRYPTO_APP;
	return QUIC_CRYPTO_EARLY;
}

static bool quic_frame_plain_stream(const struct quic_frame *f)
{
	return f->stream_id >= 0 && !f->fin;
}

/*
 * Small writes, in the manner of RFC 896 (config.stream_data_nodelay turns
 * it off): while ack-eliciting 1-RTT packets are in flight, queued STREAM
 * data too little to fill a packet waits for more, for the acknowledgment
 * of what is in flight (which a reader that caught up sends at once), or
 * for a FIN; anything else queued goes at once and takes it along.
 */
static bool quic_nagle_hold(struct quic_sock *qs)
{
	const struct list_head *q = &qs->outq.frames[QUIC_CRYPTO_APP];

	if (qs->params.config.stream_data_nodelay ||
	    !qs->space[QUIC_CRYPTO_APP].ack_eliciting_in_flight ||
	    qs->outq.bytes + QUIC_NAGLE_OVERHEAD >= qs->paths.act.mss)
		return false;
	return !list_empty(q) &&
	       quic_frame_plain_stream(list_first_entry(q, struct quic_frame,
							list)) &&
	       quic_frame_plain_stream(list_last_entry(q, struct quic_frame,
						       list));
}

/* Fill one packet of space @sp at the end of @skb.  Returns the bytes
 * added (0: nothing to send), or a negative errno.
 */
/* Move the queued frames of space @sp that fit in @room into @pkt, and
 * their buffers into the scatterlist after the header's entry.  Returns
 * the bytes taken; sets *@nsg and *@eliciting.
 *
 * Stream and CRYPTO data keep the queue's order: once one such frame
 * does not fit, none queued behind it joins the packet.  A receiver
 * whose buffer is full takes only the bytes at its read offset, and
 * leaves a packet with anything beyond them unacknowledged; a probe that
 * passed over the frame filling the gap for smaller ones behind it was
 * refused at every timeout, the same frames each time, until the
 * connection died (seen with a reader that held 8 MiB).
 */
static unsigned int quic_output_frames(struct quic_sock *qs,
				       struct sk_buff *skb, u8 sp, u8 level,
				       unsigned int off, unsigned int room,
				       struct quic_sent_packet *pkt,
				       unsigned int *nsg, bool *eliciting,
				       bool *path)
{
	struct scatterlist *sg = qs->outq.sg;
	unsigned int left = room;
	struct quic_frame *f, *tmp;
	bool data_held = false;

	list_for_each_entry_safe(f, tmp, &qs->outq.frames[sp], list) {
		if (f->level != level && f->level != sp)
			continue;
		/* a 0-RTT packet carries the frames its table allows;
		 * the rest wait for the 1-RTT keys
		 */
		if (level == QUIC_CRYPTO_EARLY &&
		    !quic_frame_allowed(f->type, level))
			continue;
		if (quic_frame_is_data(f)) {
			if (data_held)
				continue;
			if (f->len > left) {
				data_held = true;
				continue;
			}
		} else if (f->len > left) {
			/* a datagram queued before the path's MTU fell
			 * would wait for ever: it is dropped, as a loss
			 */
			if (f->type == QUIC_FRAME_DATAGRAM_LEN &&
			    f->len > quic_output_dgram_max(qs)) {
				list_del(&f->list);
				qs->outq.bytes -= f->len;
				quic_frame_free(&qs->inet.sk, f);
			}
			continue;
		}
		/* room for the header's entry, this frame's and the
		 * padding's
		 */
		if (*nsg + 2 >= QUIC_TX_SG)
			break;
		if (!*nsg) {
			sg_init_table(sg, QUIC_TX_SG);
			sg_set_buf(&sg[(*nsg)++], skb->data + off,
				   skb->len - off);
		}
		list_move_tail(&f->list, &pkt->frames);
		qs->outq.bytes -= f->len;
		if (f == qs->outq.path_response)
			qs->outq.path_response = NULL;
		if (f == qs->outq.path_challenge)
			qs->outq.path_challenge = NULL;
		/* not copied: the encryption reads it from there */
		skb_put(skb, f->len);
		sg_set_buf(&sg[(*nsg)++], f->buf, f->len);
		left -= f->len;
		if (quic_frame_ack_eliciting(f->type))
			*eliciting = true;
		if (f->type == QUIC_FRAME_PATH_CHALLENGE ||
		    f->type == QUIC_FRAME_PATH_RESPONSE)
			*path = true;
		if (left < 32)
			break;
	}
	return room - left;
}

/* the frames of a packet that could not be sent go back to the queue */
static void quic_output_unsent(struct sock *sk, u8 sp,
			       struct quic_sent_packet *pkt)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_frame *f;

	list_for_each_entry(f, &pkt->frames, list)
		qs->outq.bytes += f->len;
	quic_outq_requeue(sk, sp, &pkt->frames);
	kfree(pkt);
}

/*
 * Client Initials and ack-eliciting server Initials fill the datagram to
 * 1200 bytes, RFC 9000 section 14.1, and so do datagrams with a
 * PATH_CHALLENGE or PATH_RESPONSE frame (@path), sections 8.2.1 and 8.2.2
 * (a datagram is only built with that much room, the anti-amplification
 * limit included: quic_output_send()), but for those the limit of a new
 * address allows less (at most @max); otherwise pad enough for the header
 * protection sample (RFC 9001 section 5.4.2).  Returns the padding.
 */
static unsigned int quic_output_pad(struct quic_sock *qs, struct sk_buff *skb,
				    unsigned int off, unsigned int pn_off,
				    u8 level, bool eliciting, bool path,
				    u32 max)
{
	unsigned int n = skb->len - off - pn_off - QUIC_PN_LEN;

	if (((level == QUIC_CRYPTO_INITIAL &&
	      (!qs->conn.is_serv || eliciting)) || path) &&
	    skb->len + QUIC_TAG_LEN < QUIC_MIN_UDP_PAYLOAD)
		n = min_t(u32, max, QUIC_MIN_UDP_PAYLOAD) - QUIC_TAG_LEN -
		    skb->len;
	else if (n < 4)
		n = 4 - n;
	else
		n = 0;
	if (n)
		memset(skb_put(skb, n), 0, n);	/* PADDING */
	return n;
}

/* a packet went out: what it acknowledged, and what it carries */
static void quic_output_sent(struct sock *sk, u8 sp, u8 level, u64 pn,
			     bool acked, struct quic_sent_packet *pkt,
			     u32 size, bool eliciting, ktime_t now)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_pnspace *s = &qs->space[sp];

	quic_pnspace_pn_sent(s);
	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_OUTPACKETS);
	trace_quic_packet_sent(sk, level, pn, size);
	if (level == QUIC_CRYPTO_EARLY) {
		if (!qs->conn.early_sent)
			qs->conn.early_first = pn;
		qs->conn.early_sent = 1;
		qs->conn.early_last = pn;
	}
	/* RFC 9001 section 4.9.1: a client discards its Initial keys when
	 * it first sends a Handshake packet (the server no longer
	 * acknowledges Initial packets once it got one)
	 */
	if (level == QUIC_CRYPTO_HANDSHAKE && !qs->conn.is_serv &&
	    !qs->space[QUIC_CRYPTO_INITIAL].discarded)
		quic_output_discard_space(sk, QUIC_CRYPTO_INITIAL);
	if (acked)
		quic_pnspace_ack_sent(s);
	if (!pkt)
		return;
	pkt->pn = pn;
	pkt->sent_time = now;
	pkt->size = size;
	pkt->ack_eliciting = eliciting;
	pkt->in_flight = eliciting;
	if (eliciting && !quic_timer_pending(sk, QUIC_TIMER_IDLE))
		quic_idle_arm(sk);
	quic_recovery_on_sent(sk, sp, pkt, now);
}

static int quic_output_packet(struct sock *sk, struct sk_buff *skb, u8 sp,
			      bool probe, ktime_t now, u32 max)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_pnspace *s = &qs->space[sp];
	u8 level = quic_space_tx_level(qs, sp);
	struct quic_crypto *c = &qs->crypto[level];
	unsigned int off = skb->len, pn_off, len_off, room, tail, hlen;
	struct quic_conn_id *dcid = &quic_cid_active(&qs->cids.dcids)->id;
	struct quic_conn_id *scid = &quic_cid_active(&qs->cids.scids)->id;
	u32 tlen = 0;
	struct quic_sent_packet *pkt = NULL;
	struct scatterlist *sg = qs->outq.sg;
	bool eliciting = false, path = false, cc_ok;
	unsigned int nsg = 0;
	u64 pn = s->next_pn;
	int ack_len = 0, err;

	if (!quic_crypto_tx_ready(c) || s->discarded)
		return 0;
	/* 0-RTT packets: a client's only (RFC 9001 section 4.6.1), after
	 * its first Initial (a server keeps none that come before one)
	 */
	if (level == QUIC_CRYPTO_EARLY &&
	    (qs->conn.is_serv || !qs->space[QUIC_CRYPTO_INITIAL].next_pn))
		return 0;
	/* a client's Initials carry the token of a Retry or of the user */
	if (level == QUIC_CRYPTO_INITIAL && !qs->conn.is_serv)
		tlen = qs->session.token_len;
	hlen = quic_packet_header_len(level, dcid, scid, tlen);
	if (off + hlen + 8 + QUIC_TAG_LEN > max)
		return 0;

	pn_off = quic_packet_put_header(skb, qs->conn.version, level, dcid,
					scid, qs->session.token, tlen, pn,
					&len_off);
	room = max - skb->len - QUIC_TAG_LEN;

	/* no ACK in 0-RTT packets, RFC 9000 section 12.4 */
	if (level != QUIC_CRYPTO_EARLY && s->nranges &&
	    (s->ack_pending || s->ack_now)) {
		u64 delay = ktime_us_delta(now, s->largest_recv_time);

		delay >>= qs->params.local.ack_delay_exponent;
		ack_len = quic_pnspace_ack_frame(s, skb_tail_pointer(skb),
						 room, delay);
		skb_put(skb, ack_len);
		room -= ack_len;
	}

	cc_ok = probe || qs->rec.in_flight < quic_cong_cwnd(&qs->cong);
	if (cc_ok && sp == QUIC_CRYPTO_APP && !probe && quic_nagle_hold(qs))
		cc_ok = false;
	if (cc_ok && !list_empty(&qs->outq.frames[sp])) {
		pkt = kmalloc(sizeof(*pkt), GFP_ATOMIC);
		if (!pkt)
			goto trim;
		INIT_LIST_HEAD(&pkt->frames);
		if (!quic_output_frames(qs, skb, sp, level, off, room, pkt,
					&nsg, &eliciting, &path)) {
			kfree(pkt);
			pkt = NULL;
		}
	}
	if (!ack_len && !pkt)
		goto trim;

	tail = skb->len;
	quic_output_pad(qs, skb, off, pn_off, level, eliciting, path, max);
	if (len_off) {
		u32 plen = skb->len - len_off - 4 + QUIC_TAG_LEN;

		quic_varint_put_len(skb->data + len_off, plen, 4);
	}
	if (nsg) {
		if (skb->len > tail)	/* the padding */
			sg_set_buf(&sg[nsg++], skb->data + tail,
				   skb->len - tail);
		sg_mark_end(&sg[nsg - 1]);
	}
	err = quic_crypto_encrypt_src(c, skb, off, pn_off, QUIC_PN_LEN, pn,
				      nsg ? sg : NULL);
	if (err) {
		if (pkt)	/* its frames are sent again */
			quic_output_unsent(sk, sp, pkt);
		skb_trim(skb, off);
		return err;
	}
	quic_output_sent(sk, sp, level, pn, ack_len, pkt, skb->len - off,
			 eliciting, now);
	return skb->len - off;
trim:
	skb_trim(skb, off);
	return 0;
}

static bool quic_ack_due(const struct quic_pnspace *s, u8 sp)
{
	return s->nranges && (s->ack_now || s->ack_pending >= 2 ||
			      (sp != QUIC_CRYPTO_APP && s->ack_pending));
}

static bool quic_space_has_output(struct quic_sock *qs, u8 sp, bool probe)
{
	struct quic_pnspace *s = &qs->space[sp];

	if (s->discarded)
		return false;
	if (!list_empty(&qs->outq.frames[sp]) &&
	    (sp != QUIC_CRYPTO_APP || probe || !quic_nagle_hold(qs)))
		return true;
	return quic_ack_due(s, sp);
}

/*
 * Pacing, RFC 9002 section 7.7: once there is an RTT sample, datagrams
 * leave at 5/4 of cwnd per smoothed RTT, with bursts of up to
 * QUIC_PACE_BURST datagrams; an hrtimer (softirq) resumes sending.
 */
#define QUIC_PACE_BURST		10

static u64 quic_pace_interval(const struct quic_sock *qs, u32 len)
{
	return div_u64((u64)len * qs->rec.smoothed_rtt * 800,
		       max(quic_cong_cwnd(&qs->cong), 1U));
}

static void quic_pace_sent(struct quic_sock *qs, u32 len, ktime_t now)
{
	ktime_t floor;

	if (!qs->rec.rtt_sampled)
		return;
	floor = ktime_sub_ns(now, QUIC_PACE_BURST *
				  quic_pace_interval(qs, qs->paths.act.mss));
	if (ktime_before(qs->outq.pace_next, floor))
		qs->outq.pace_next = floor;
	qs->outq.pace_next = ktime_add_ns(qs->outq.pace_next,
					  quic_pace_interval(qs, len));
}

/* Too early to send: arm the pacing timer and say so. */
static bool quic_pace_wait(struct sock *sk, ktime_t now)
{
	struct quic_sock *qs = quic_sk(sk);

	if (!qs->rec.rtt_sampled || !ktime_after(qs->outq.pace_next, now))
		return false;
	quic_timer_pace(sk, qs->outq.pace_next);
	return true;
}

/* Send from the spaces in order until nothing is left, or @max datagrams;
 * @probe: the first may exceed the congestion window (a PTO probe).
 * Returns the datagrams sent.
 */
static int quic_output_send(struct sock *sk, bool probe, int max_dgrams)
{
	static const u8 order[] = {
		QUIC_CRYPTO_INITIAL, QUIC_CRYPTO_HANDSHAKE, QUIC_CRYPTO_APP,
	};
	struct quic_sock *qs = quic_sk(sk);
	struct sk_buff *skb;
	ktime_t now = ktime_get();
	int i, n, sent, loops = 0;
	u32 max, room;

	if (!qs->paths.act.udp_sk || sk->sk_state == QUIC_SS_LISTENING ||
	    qs->conn.draining || qs->conn.retry_pending ||
	    qs->dead || !quic_cid_active(&qs->cids.dcids))
		return 0;
	/* once closed, only CONNECTION_CLOSE goes out (quic_output_close) */
	if (sk->sk_state == QUIC_SS_CLOSED && !qs->conn.closing)
		return 0;
	quic_output_update_mss(sk);

	do {
		/* RFC 9000 section 8.1: three times the bytes received,
		 * counted in bytes, so a datagram never takes more than
		 * the room left (a loopback MSS is far above 1200)
		 */
		room = quic_path_amp_room(&qs->paths.act);
		if (room < (qs->conn.handshake_done ? QUIC_MIN_PATH_DGRAM :
						      QUIC_MIN_UDP_PAYLOAD))
			break;
		if (!probe && quic_pace_wait(sk, now))
			break;
		for (i = 0; i < ARRAY_SIZE(order); i++)
			if (quic_space_has_output(qs, order[i], probe))
				break;
		if (i == ARRAY_SIZE(order))
			break;
		max = clamp_t(u32, qs->outq.bytes + QUIC_NAGLE_OVERHEAD,
			      QUIC_MIN_UDP_PAYLOAD, qs->paths.act.mss);
		max = min(max, room);
		skb = quic_datagram_alloc(sk, max);
		if (!skb)
			break;
		sent = 0;
		for (i = 0; i < ARRAY_SIZE(order); i++) {
			if (!quic_space_has_output(qs, order[i], probe))
				continue;
			n = quic_output_packet(sk, skb, order[i], probe, now,
					       max);
			if (n > 0)
				sent += n;
			/* a short header packet ends the datagram */
			if (n > 0 && order[i] == QUIC_CRYPTO_APP)
				break;
		}
		if (!sent) {
			kfree_skb(skb);
			break;
		}
		quic_path_sent(&qs->paths.act, skb->len);
		quic_pace_sent(qs, skb->len, now);
		quic_path_xmit(sk, &qs->paths.act, skb);
		probe = false;
	} while (++loops < max_dgrams);

	/* even when nothing left (cwnd): losses just declared need the timer */
	quic_timer_reset(sk);
	return loops;
}

void quic_output(struct sock *sk)
{
	quic_output_send(sk, false, 1024);
}

/**
 * quic_output_probe - send one datagram, outside the congestion window
 * @sk: the socket, locked
 *
 * Return: 1 if it went, 0 if there was nothing to send or no room
 * (amplification limit).
 */
int quic_output_probe(struct sock *sk)
{
	return quic_output_send(sk, true, 1);
}

/**
 * quic_output_close - send CONNECTION_CLOSE (qs->conn.close_local)
 * @sk: the socket, locked, with qs->conn.closing set
 *
 * What the congestion window lets out of the queued frames goes first;
 * the rest is dropped, and the close leaves at once, outside the window
 * (RFC 9000 section 10.2.1: nothing but CONNECTION_CLOSE from now on).
 */
void quic_output_close(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	int i;

	if (sk->sk_state != QUIC_SS_CLOSED)
		quic_output(sk);
	quic_outq_purge(sk);
	for (i = 0; i < QUIC_PNSPACE_MAX; i++) {
		qs->space[i].ack_pending = 0;
		qs->space[i].ack_now = 0;
	}
	if (quic_frame_queue_close(sk))
		return;
	quic_output_probe(sk);
	quic_outq_purge(sk);	/* what could not go (amplification limit) */
	quic_timer_stop(sk, QUIC_TIMER_RTX);
}

void quic_ack_fire(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	if (qs->space[QUIC_CRYPTO_APP].ack_pending)
		qs->space[QUIC_CRYPTO_APP].ack_now = 1;
	quic_output(sk);
}
