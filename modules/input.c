// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QUIC input: from the UDP tunnel socket to the connection.  Datagrams
 * are demultiplexed by destination connection ID (RFC 9000 section 5.2),
 * client Initials without a connection go to a listener's request queue,
 * and each packet is unprotected and its frames processed.
 */

#include <crypto/algapi.h>
#include <linux/slab.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "compat.h"
#include "conn.h"
#include "frame.h"
#include "input.h"
#include "listen.h"
#include "mib.h"
#include "output.h"
#include "protocol.h"
#include "recovery.h"
#include "socket.h"
#include "trace.h"
#include "varint.h"

#define QUIC_CRYPTO_REORDER_MAX	(64 * 1024)
#define QUIC_CRYPTO_REORDER_SKBS	64

/* received data */

/*
 * What a received STREAM or CRYPTO frame's data is kept in, and charged
 * for: a frame that fills most of its datagram, and at least a quarter of
 * the memory the datagram takes, keeps the datagram (a clone, whose
 * truesize is the whole datagram's); a smaller one is copied out, so that
 * a 1-byte frame does not keep a 64 KB datagram alive, nor a 20-byte one
 * alone in a tiny datagram the 2 KB buffer its driver received it in.  A
 * copy gets room for small in-order frames that follow it to be appended
 * (quic_rcv_append()), so that a peer sending tiny frames does not cost
 * an sk_buff per byte either.
 */
#define QUIC_RX_COPY_ROOM	1024
#define QUIC_RCV_WALK		16	/* queued sk_buffs looked back through */

static struct sk_buff *quic_rx_data(const struct quic_rx *rx, const u8 *data,
				    u32 len)
{
	struct sk_buff *n;

	if (len >= rx->skb->len / 2 && (u64)len * 4 >= rx->skb->truesize) {
		n = skb_clone(rx->skb, GFP_ATOMIC);
		if (!n)
			return NULL;
		skb_pull(n, data - rx->skb->data);
		skb_trim(n, len);
	} else {
		n = alloc_skb(max_t(u32, len, QUIC_RX_COPY_ROOM), GFP_ATOMIC);
		if (!n)
			return NULL;
		skb_put_data(n, data, len);
	}
	memset(n->cb, 0, sizeof(n->cb));
	return n;
}

/**
 * quic_rcv_stream_tail - the last sk_buff of stream @id in the receive
 * queue, looked for among the last QUIC_RCV_WALK ones, over other
 * streams' data only (not past an event, a datagram or handshake data)
 * @sk: the socket, locked
 * @id: the stream
 *
 * Return: that sk_buff, or NULL.
 */
struct sk_buff *quic_rcv_stream_tail(struct sock *sk, s64 id)
{
	struct sk_buff *skb;
	int n = 0;

	skb_queue_reverse_walk(&sk->sk_receive_queue, skb) {
		if (QUIC_SKB_CB(skb)->kind != QUIC_RCV_STREAM ||
		    ++n > QUIC_RCV_WALK)
			return NULL;
		if (QUIC_SKB_CB(skb)->stream_id == id)
			return skb;
	}
	return NULL;
}

/**
 * quic_rcv_append - append @skb's data to an sk_buff of the receive queue
 * that it continues and fits in: its stream's last (quic_rcv_stream_tail()),
 * or for handshake data the queue's last
 * @sk: the socket, locked
 * @skb: in-order data, charged to @sk; freed when appended
 *
 * Streams interleaved in the queue so keep their small frames in a few
 * sk_buffs each; the reader still gets each stream's bytes in order.
 *
 * Return: whether it was appended.
 */
bool quic_rcv_append(struct sock *sk, struct sk_buff *skb)
{
	struct quic_skb_cb *t, *cb = QUIC_SKB_CB(skb);
	struct sk_buff *tail;

	if (cb->kind == QUIC_RCV_STREAM)
		tail = quic_rcv_stream_tail(sk, cb->stream_id);
	else
		tail = skb_peek_tail(&sk->sk_receive_queue);
	if (!tail || skb_cloned(tail) || skb_tailroom(tail) < skb->len)
		return false;
	t = QUIC_SKB_CB(tail);
	if (t->kind != cb->kind || t->fin || t->offset + tail->len != cb->offset ||
	    (cb->kind == QUIC_RCV_STREAM ? t->stream_id != cb->stream_id :
	     cb->kind != QUIC_RCV_CRYPTO || t->level != cb->level))
		return false;
	skb_put_data(tail, skb->data, skb->len);
	t->fin = cb->fin;
	consume_skb(skb);
	return true;
}

/* data counted in sk_rmem_alloc only (quic_rmem_own()) */
static void quic_rfree_forced(struct sk_buff *skb)
{
	atomic_sub(skb->truesize, &skb->sk->sk_rmem_alloc);
}

/**
 * quic_rmem_own - make @sk the owner of @skb, counted in its sk_rmem_alloc
 * only: for a listener's pending requests, queued from softirq while the
 * user may own the listener (sk_forward_alloc is not safe to change then);
 * their number and bytes are bounded by the listener (listen.c)
 * @sk: the socket, bh-locked
 * @skb: not owned yet
 */
void quic_rmem_own(struct sock *sk, struct sk_buff *skb)
{
	skb_orphan(skb);
	skb->sk = sk;
	skb->destructor = quic_rfree_forced;
	atomic_add(skb->truesize, &sk->sk_rmem_alloc);
}

/**
 * quic_rmem_charge - make @sk the owner of @skb, charged to its receive
 * memory and to the protocol's (net.quic.mem)
 * @sk: the socket, locked (or bh-locked and not owned by the user)
 * @skb: not owned yet
 * @force: the data lets the reader go on (in-order stream or CRYPTO data,
 *	which flow control bounds): taken even when the protocol is over its
 *	limit.  It is then counted in the socket's sk_rmem_alloc but not in
 *	the protocol's memory, which the kernel gives a module no way to raise
 *	by force; and QUIC cannot, as TCP may, drop out-of-order data it
 *	acknowledged to make room for it.
 *
 * Return: false when refused (counted in sk_drops, SO_MEMINFO's drops): the
 * caller drops @skb, or leaves its packet unacknowledged.
 */
bool quic_rmem_charge(struct sock *sk, struct sk_buff *skb, bool force)
{
	if (sk_rmem_schedule(sk, skb, skb->truesize)) {
		skb_set_owner_r(skb, sk);
		return true;
	}
	if (!force) {
		sk_drops_skbadd(sk, skb);
		quic_drop(sock_net(sk), sk, QUIC_MIB_INRCVMEMDROPS);
		return false;
	}
	quic_rmem_own(sk, skb);
	return true;
}

/* queue an in-order chunk, already charged, for the reader */
static void quic_rcv_queue(struct sock *sk, struct sk_buff *skb)
{
	if (!quic_rcv_append(sk, skb))
		__skb_queue_tail(&sk->sk_receive_queue, skb);
}

static void quic_crypto_deliver(struct sock *sk, u8 sp)
{
	struct quic_sock *qs = quic_sk(sk);
	struct sk_buff_head *q = &qs->inq.crypto_reorder[sp];
	struct sk_buff *skb, *tmp;
	u64 off, end;

	skb_queue_walk_safe(q, skb, tmp) {
		off = QUIC_SKB_CB(skb)->offset;
		end = off + skb->len;
		if (off > qs->inq.crypto_off[sp])
			break;
		__skb_unlink(skb, q);
		if (end <= qs->inq.crypto_off[sp]) {
			kfree_skb(skb);
			continue;
		}
		skb_pull(skb, qs->inq.crypto_off[sp] - off);
		QUIC_SKB_CB(skb)->offset = qs->inq.crypto_off[sp];
		qs->inq.crypto_off[sp] = end;
		quic_rcv_queue(sk, skb);
	}
}

/**
 * quic_rcv_crypto - CRYPTO data received (the frame is decoded)
 * @sk: the socket, locked
 * @rx: the packet
 * @off: offset of the data in the level's stream
 * @data: the data, in the datagram
 * @len: its length
 *
 * Return: 0 or a transport error code.
 */
int quic_rcv_crypto(struct sock *sk, struct quic_rx *rx, u64 off,
		    const u8 *data, u64 len)
{
	struct quic_sock *qs = quic_sk(sk);
	struct sk_buff_head *q = &qs->inq.crypto_reorder[rx->sp];
	struct sk_buff *skb, *pos;

	/* post-handshake messages: session tickets (session.c) */
	if (rx->sp == QUIC_CRYPTO_APP)
		return quic_session_rcv_crypto(sk, off, data, len);
	if (off + len <= qs->inq.crypto_off[rx->sp] || !len)
		return 0;
	if (off > qs->inq.crypto_off[rx->sp] + QUIC_CRYPTO_REORDER_MAX)
		return QUIC_TRANSPORT_ERROR_CRYPTO_BUF_EXCEEDED;

	if (skb_queue_len(q) >= QUIC_CRYPTO_REORDER_SKBS)
		return QUIC_TRANSPORT_ERROR_CRYPTO_BUF_EXCEEDED;
	skb = quic_rx_data(rx, data, len);
	if (!skb)
		return QUIC_TRANSPORT_ERROR_INTERNAL;
	QUIC_SKB_CB(skb)->kind = QUIC_RCV_CRYPTO;
	QUIC_SKB_CB(skb)->level = rx->level;
	QUIC_SKB_CB(skb)->offset = off;
	/* what leaves a gap waits in memory the protocol must have */
	if (!quic_rmem_charge(sk, skb, off <= qs->inq.crypto_off[rx->sp])) {
		kfree_skb(skb);
		return -EAGAIN;
	}
	skb_queue_walk(q, pos) {
		if (QUIC_SKB_CB(pos)->offset > off) {
			__skb_queue_before(q, pos, skb);
			goto queued;
		}
	}
	__skb_queue_tail(q, skb);
queued:
	quic_crypto_deliver(sk, rx->sp);
	return 0;
}

/**
 * quic_rcv_stream - STREAM data received (the frame is decoded)
 * @sk: the socket, locked
 * @rx: the packet
 * @id: the stream
 * @off: offset of the data in the stream
 * @data: the data, in the datagram
 * @len: its length
 * @fin: the stream ends with it
 *
 * Return: 0, -EAGAIN when it cannot be held now, or a transport error.
 */
int quic_rcv_stream(struct sock *sk, struct quic_rx *rx, u64 id, u64 off,
		    const u8 *data, u64 len, bool fin)
{
	struct quic_stream *st;
	struct sk_buff *skb;
	int err;

	st = quic_stream_get_recv(sk, id, &err);
	if (!st)
		return err;
	skb = quic_rx_data(rx, data, len);
	if (!skb)
		return QUIC_TRANSPORT_ERROR_INTERNAL;
	QUIC_SKB_CB(skb)->kind = QUIC_RCV_STREAM;
	QUIC_SKB_CB(skb)->stream_id = id;
	QUIC_SKB_CB(skb)->offset = off;
	QUIC_SKB_CB(skb)->fin = fin;
	return quic_stream_recv(sk, st, skb);
}

/* @scid: the packet's source connection ID, in the datagram as it is
 * after decryption (@h's pointers may be stale)
 */
static void quic_rcv_packet_ok(struct sock *sk, struct quic_rx *rx,
			       const struct quic_hdr *h, const u8 *scid,
			       u64 pn)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_pnspace *s = &qs->space[rx->sp];

	quic_pnspace_recv(s, pn, rx->now);
	if (rx->eliciting) {
		if (quic_pnspace_ack_elicited(s) == 1 &&
		    rx->sp == QUIC_CRYPTO_APP)
			quic_timer_set(sk, QUIC_TIMER_ACK, jiffies +
				       usecs_to_jiffies(qs->params.local
							.max_ack_delay));
	}
	/* RFC 9001 section 4.9.1: a server discards Initial keys when it
	 * first processes a Handshake packet, which also validates the
	 * client's address (RFC 9000 section 8.1)
	 */
	if (qs->conn.is_serv && rx->level == QUIC_CRYPTO_HANDSHAKE) {
		quic_path_validated(&qs->paths.act);
		quic_output_discard_space(sk, QUIC_CRYPTO_INITIAL);
	}
	/* the client learns the server's chosen source ID */
	if (!qs->conn.is_serv && h->is_long &&
	    rx->level == QUIC_CRYPTO_INITIAL)
		quic_conn_ids_server_chose(&qs->cids, scid, h->scid_len);

	quic_idle_arm(sk);
}

/*
 * RFC 9001 section 5.7: Handshake and 1-RTT packets may overtake the
 * packets whose CRYPTO data yield their keys (they are often in the same
 * datagram).  Some are kept, copied at their own size and charged to the
 * receive buffer, and processed when the TLS library installs the keys
 * (quic_rcv_early()); the rest are dropped and counted in sk_drops.  A
 * client sends its first 1-RTT packets with its Finished, before the
 * server's user space has the keys: a peer that sends datagrams at once
 * fills more than a few (quiche sent nine).  A server keeps 0-RTT packets
 * until its handshake completes, keys or not: the TLS library reads the
 * handshake's messages from the receive queue until then, and stream
 * data must not come before them.
 */
#define QUIC_EARLY_RX_MAX	32

static void quic_rx_keep_early(struct sock *sk, struct sk_buff *skb, u32 off,
			       const struct quic_hdr *h)
{
	struct quic_sock *qs = quic_sk(sk);
	struct sk_buff *n;

	if (h->level != QUIC_CRYPTO_HANDSHAKE && h->level != QUIC_CRYPTO_APP &&
	    h->level != QUIC_CRYPTO_EARLY)
		return;
	if (skb_queue_len(&qs->inq.early) >= QUIC_EARLY_RX_MAX)
		goto drop;
	n = alloc_skb(h->pkt_len, GFP_ATOMIC);
	if (!n)
		goto drop;
	skb_put_data(n, skb->data + off, h->pkt_len);
	QUIC_SKB_CB(n)->level = h->level;
	if (!quic_rmem_charge(sk, n, false)) {
		kfree_skb(n);
		return;
	}
	__skb_queue_tail(&qs->inq.early, n);
	pr_debug("%s: sk %p: kept a level %u packet of %u bytes for its keys\n",
		 __func__, sk, h->level, h->pkt_len);
	return;
drop:
	sk_drops_inc(sk);
	quic_drop(sock_net(sk), sk, QUIC_MIB_INNOKEYS);
}

static void quic_rcv_dgram(struct sock *sk, struct sk_buff *skb, bool addr);

/**
 * quic_rcv_early - process the packets kept for keys of @level
 * @sk: the socket, owned by the caller
 * @level: the crypto level whose receive keys were just installed
 */
void quic_rcv_early(struct sock *sk, u8 level)
{
	struct quic_sock *qs = quic_sk(sk);
	struct sk_buff_head q;
	struct sk_buff *skb, *tmp;

	/* taken out first: one that still cannot be read is kept again */
	__skb_queue_head_init(&q);
	skb_queue_walk_safe(&qs->inq.early, skb, tmp) {
		if (QUIC_SKB_CB(skb)->level != level)
			continue;
		__skb_unlink(skb, &qs->inq.early);
		__skb_queue_tail(&q, skb);
	}
	while ((skb = __skb_dequeue(&q))) {
		pr_debug("%s: sk %p: level %u packet of %u bytes\n", __func__,
			 sk, level, skb->len);
		/* its datagram was already counted for anti-amplification */
		quic_path_unrcvd(&qs->paths.act, skb->len);
		quic_rcv_dgram(sk, skb, false);
	}
}

/* One packet of a datagram, at @off, its header parsed.  A packet that
 * cannot be read (no keys yet, fails to decrypt, a duplicate) is skipped.
 * Returns -ECONNRESET when the connection closed: nothing more of the
 * datagram is read; 0 otherwise.
 */
static int quic_rcv_packet(struct sock *sk, struct quic_rx *rx, u32 off,
			   const struct quic_hdr *h)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_crypto_rx_info info;
	struct sk_buff *skb = rx->skb;
	struct quic_pnspace *s;
	struct quic_crypto *c;
	struct quic_buf b;
	u64 largest;
	u32 scid_off;
	int err;

	rx->level = h->level;
	rx->sp = quic_level_space(h->level);
	rx->eliciting = 0;
	rx->non_probing = 0;
	c = &qs->crypto[h->level];
	s = &qs->space[rx->sp];
	/* 0-RTT: a server's alone, and read once its handshake completed
	 * (quic_rx_keep_early()); without the keys then, it was rejected
	 */
	if (h->level == QUIC_CRYPTO_EARLY) {
		if (!qs->conn.is_serv)
			return 0;
		if (!qs->conn.handshake_done) {
			quic_rx_keep_early(sk, skb, off, h);
			return 0;
		}
		if (!quic_crypto_rx_ready(c))
			goto nokeys;
	}
	if (s->discarded)
		goto nokeys;
	if (!quic_crypto_rx_ready(c)) {
		quic_rx_keep_early(sk, skb, off, h);
		return 0;
	}
	/* decryption may move the data (skb_cow_data() of a clone) */
	scid_off = h->is_long ? h->scid - skb->data : 0;
	rx->dcid_off = h->dcid - skb->data;
	rx->dcid_len = h->dcid_len;
	err = quic_crypto_decrypt(c, skb, off, h->pkt_len, h->pn_offset,
				  quic_pnspace_largest_processed(s), &info);
	/* RFC 9001 section 6.6, for the keys only the peer has: anyone
	 * can make Initial packets that fail
	 */
	if (err == -EBADMSG && h->level != QUIC_CRYPTO_INITIAL &&
	    quic_crypto_rx_limit_reached(c)) {
		quic_conn_close(sk, QUIC_TRANSPORT_ERROR_AEAD_LIMIT_REACHED, 0,
				false);
		return -ECONNRESET;
	}
	/* -EAGAIN: the vector unit was in use (softirq); dropped as if
	 * lost, and counted as a drop of the socket's
	 */
	if (err == -EAGAIN)
		sk_drops_skbadd(sk, skb);
	if (err == -EBADMSG)
		quic_drop(sock_net(sk), sk, QUIC_MIB_INDECRYPTERRORS);
	if (err)
		return 0;
	rx->opened = 1;
	if (info.key_update) {
		QUIC_INC_STATS(sock_net(sk), QUIC_MIB_KEYUPDATES);
		trace_quic_key_update(sk, info.key_phase, false);
		quic_crypto_key_update_commit(c);
		quic_key_update_schedule(sk);
		quic_event_queue(sk, QUIC_EVENT_KEY_UPDATE, &info.key_phase, 1);
	}
	/* reserved bits, RFC 9000 sections 17.2 and 17.3.1 */
	if (info.first_byte & (h->is_long ? 0x0c : 0x18)) {
		quic_drop(sock_net(sk), sk, QUIC_MIB_INMALFORMED);
		quic_conn_close(sk, QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION, 0,
				false);
		return -ECONNRESET;
	}
	if (quic_pnspace_recv_dup(s, info.pn)) {
		quic_drop(sock_net(sk), sk, QUIC_MIB_INDUPLICATES);
		return 0;
	}
	largest = quic_pnspace_largest_processed(s);
	quic_pnspace_processed(s, info.pn);

	rx->start = skb->data + off + info.hdr_len;
	b.p = rx->start;
	b.left = h->pkt_len - info.hdr_len - info.tag_len;
	err = b.left ? quic_frame_process(sk, rx, &b) :
		       QUIC_TRANSPORT_ERROR_PROTOCOL_VIOLATION;
	if ((!err || err == -EAGAIN) && h->level == QUIC_CRYPTO_APP &&
	    rx->non_probing && (largest == U64_MAX || info.pn > largest))
		rx->migrate = 1;
	/* -EAGAIN: not taken whole: left unacknowledged, the peer sends
	 * its frames again (what was taken is then a duplicate)
	 */
	if (err == -EAGAIN)
		return 0;
	if (err < 0)
		return err;	/* closed by the peer */
	if (err) {
		quic_drop(sock_net(sk), sk, QUIC_MIB_INMALFORMED);
		quic_conn_close(sk, err, rx->frame, false);
		return -ECONNRESET;
	}
	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_INPACKETS);
	trace_quic_packet_recv(sk, h->level, info.pn, h->pkt_len);
	quic_rcv_packet_ok(sk, rx, h, skb->data + scid_off, info.pn);
	return 0;
nokeys:
	quic_drop(sock_net(sk), sk, QUIC_MIB_INNOKEYS);
	return 0;
}

/*
 * A Version Negotiation packet, RFC 9000 section 6.2: a client that has
 * processed no packet yet abandons the attempt when its version is not
 * listed.  One that lists it, or comes later, or that does not echo our
 * IDs (section 17.2.1) is discarded.
 */
static void quic_rcv_vn(struct sock *sk, const u8 *p, u32 len,
			const struct quic_hdr *h)
{
	struct quic_sock *qs = quic_sk(sk);
	u32 off = 7 + h->dcid_len + h->scid_len;

	if (qs->conn.is_serv || sk->sk_state != QUIC_SS_ESTABLISHING ||
	    qs->space[QUIC_CRYPTO_INITIAL].nranges || off >= len ||
	    (len - off) % 4 || h->scid_len != qs->cids.odcid.len ||
	    memcmp(h->scid, qs->cids.odcid.data, h->scid_len))
		return;
	for (; off < len; off += 4)
		if (get_unaligned_be32(p + off) == qs->conn.version)
			return;
	quic_conn_silence(&qs->conn);
	quic_conn_closed(sk, EPROTONOSUPPORT);
}

/*
 * A Retry, RFC 9000 section 17.2.5.2: a client that has processed no
 * Initial follows the first one whose integrity tag is right (RFC 9001
 * section 5.8) and that has a token and a new source ID; it discards any
 * other.  The new Initial keys are made in process context
 * (quic_conn_follow_retry()).
 */
static void quic_rcv_retry(struct sock *sk, const u8 *p, u32 len,
			   const struct quic_hdr *h)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_cid *dcid = quic_cid_active(&qs->cids.dcids);
	u32 hlen = 7 + h->dcid_len + h->scid_len, tlen, n;
	struct quic_conn_id rscid;
	u8 *pseudo;
	int err;

	if (qs->conn.is_serv || sk->sk_state != QUIC_SS_ESTABLISHING ||
	    qs->cids.retried || h->version != qs->conn.version || !dcid ||
	    qs->space[QUIC_CRYPTO_INITIAL].nranges || !h->scid_len ||
	    len <= hlen + QUIC_CRYPTO_TAG_LEN)
		return;
	if (h->scid_len == dcid->id.len &&
	    !memcmp(h->scid, dcid->id.data, h->scid_len))
		return;
	tlen = len - hlen - QUIC_CRYPTO_TAG_LEN;
	if (tlen > QUIC_TOKEN_MAX)
		return;
	n = 1 + qs->cids.odcid.len + len - QUIC_CRYPTO_TAG_LEN;
	pseudo = kmalloc(n, GFP_ATOMIC);
	if (!pseudo)
		return;
	pseudo[0] = qs->cids.odcid.len;
	memcpy(pseudo + 1, qs->cids.odcid.data, qs->cids.odcid.len);
	memcpy(pseudo + 1 + qs->cids.odcid.len, p, len - QUIC_CRYPTO_TAG_LEN);
	err = quic_crypto_retry_verify(pseudo, n, h->version,
				       p + len - QUIC_CRYPTO_TAG_LEN);
	kfree(pseudo);
	if (err || quic_session_retry_token(sk, p + hlen, tlen))
		return;
	rscid.len = h->scid_len;
	memcpy(rscid.data, h->scid, h->scid_len);
	quic_conn_ids_set_retry(&qs->cids, NULL, &rscid);
	qs->conn.retry_pending = 1;
	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_RETRYRCVD);
	quic_key_update_schedule(sk);
}

/* Does @skb end with the stateless reset token of one of the peer's IDs?
 * Compared in constant time: the token is a secret.
 */
static bool quic_rcv_is_reset(struct sock *sk, const struct sk_buff *skb)
{
	const u8 *tail = skb->data + skb->len - QUIC_RESET_TOKEN_LEN;
	struct quic_sock *qs = quic_sk(sk);
	struct quic_cid *cid;
	bool found = false;

	if (skb->len < QUIC_RESET_MIN_LEN || (skb->data[0] & 0x80) ||
	    sk->sk_state == QUIC_SS_LISTENING)
		return false;
	list_for_each_entry(cid, &qs->cids.dcids.list, list)
		found |= cid->has_token &&
			 !crypto_memneq(cid->token, tail, QUIC_RESET_TOKEN_LEN);
	return found;
}

/*
 * A datagram for a connection.  @addr: it has its IP and UDP headers (not
 * a packet kept for its keys, quic_rcv_early(), copied without them).
 */
static void quic_rcv_dgram(struct sock *sk, struct sk_buff *skb, bool addr)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_rx rx = { .skb = skb, .now = ktime_get() };
	union quic_addr from, to;
	struct quic_hdr h;
	bool other;
	u32 off = 0;

	if (qs->dead)
		goto out;	/* its state is being freed */
	if (qs->conn.closing && !qs->conn.draining &&
	    sk->sk_state == QUIC_SS_CLOSED) {
		quic_conn_rcv_closing(sk, skb->len, rx.now);
		goto out;
	}
	if (sk->sk_state == QUIC_SS_CLOSED || qs->conn.draining)
		goto out;
	/* Receive memory is limited frame by frame (quic_stream_recv()):
	 * the data at the read offset, ACKs and control frames always get
	 * in, or a reader that is behind could never catch up.
	 *
	 * A server's client may come from another address (path.c);
	 * what came from there counts for that address only.  A client
	 * drops what does not come from its server, RFC 9000 section 9.
	 * The scope of a link-local address is in the control block,
	 * which is ours by now: the path's is taken, only the address and
	 * port compare.
	 */
	other = false;
	if (addr) {
		quic_addr_from_skb(skb, &from, &to);
		if (from.sa.sa_family == AF_INET6)
			from.v6.sin6_scope_id =
				qs->paths.act.peer.v6.sin6_scope_id;
		other = quic_path_other_peer(sk, &from);
	}
	if (other && !qs->conn.is_serv) {
		quic_drop(sock_net(sk), sk, QUIC_MIB_INUNKNOWNSERVER);
		goto out;
	}
	if (!other)
		quic_path_rcvd(&qs->paths.act, skb->len);

	while (off < skb->len) {
		if (quic_packet_parse(skb->data + off, skb->len - off, &h)) {
			quic_drop(sock_net(sk), sk, QUIC_MIB_INMALFORMED);
			break;
		}
		if (h.is_long && !h.version) {
			quic_rcv_vn(sk, skb->data + off, skb->len - off, &h);
			break;
		}
		if (h.is_long && h.is_retry) {
			quic_rcv_retry(sk, skb->data + off, skb->len - off, &h);
			break;
		}
		if (h.is_long && h.version != qs->conn.version)
			break;
		/* RFC 9000 section 17.2.2: a server's Initial has no token;
		 * one with a token is discarded, not let close the
		 * connection (anyone on the path could send it)
		 */
		if (h.has_token && !qs->conn.is_serv) {
			off += h.pkt_len;
			continue;
		}
		if (quic_rcv_packet(sk, &rx, off, &h))
			goto out;
		off += h.pkt_len;
	}

	/* RFC 9000 section 10.3.1: a datagram with no packet we could read
	 * may be a Stateless Reset from the peer
	 */
	if (!rx.opened && quic_rcv_is_reset(sk, skb)) {
		quic_conn_rcv_reset(sk);
		goto out;
	}
	/* RFC 9000 section 9.3: the client's newest non-probing packet
	 * tells where it is, once the handshake is complete (confirmed, at
	 * a server)
	 */
	if (other && rx.migrate && qs->conn.handshake_done &&
	    sk->sk_state == QUIC_SS_ESTABLISHED && !qs->conn.closing)
		quic_path_migrate(sk, &from, skb->len);
	if (!skb_queue_empty(&sk->sk_receive_queue))
		sk->sk_data_ready(sk);
	quic_output(sk);
out:
	consume_skb(skb);
}

/**
 * quic_rcv_purge - drop what was received and not read, and the streams
 * @sk: the socket, locked; closed (nothing is received into it any more)
 */
void quic_rcv_purge(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	int i;

	__skb_queue_purge(&sk->sk_receive_queue);
	for (i = 0; i < QUIC_PNSPACE_MAX; i++)
		__skb_queue_purge(&qs->inq.crypto_reorder[i]);
	__skb_queue_purge(&qs->inq.early);
	quic_streams_free(&qs->streams);
}

/**
 * quic_rcv_datagram - process a datagram for a connection
 * @sk: the socket, locked (owner or bh_lock_sock)
 * @skb: the UDP payload, linear, owned by us, its headers before it
 */
void quic_rcv_datagram(struct sock *sk, struct sk_buff *skb)
{
	quic_rcv_dgram(sk, skb, true);
}

int quic_backlog_rcv(struct sock *sk, struct sk_buff *skb)
{
	quic_rcv_datagram(sk, skb);
	return 0;
}

static void quic_wake_waiters(struct sock *sk)
{
	struct socket_wq *wq;

	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_all(&wq->wait);
	rcu_read_unlock();
}

/*
 * A datagram for a socket its user holds waits in the backlog, bounded by
 * its own bytes (the receive and send buffers' worth).  Unlike
 * sk_add_backlog(), what the receive queues hold does not count: whether
 * data gets in is for quic_rmem_charge() to decide once the packet is
 * opened, which always takes the data at the read offset (and ACKs);
 * refused here while a slow reader holds much, the retransmission that
 * fills the gap was lost as often as it came, and the probe timeout's
 * backoff grew past any reader's patience (seen under load).
 */
static int quic_add_backlog(struct sock *sk, struct sk_buff *skb)
{
	u32 limit = READ_ONCE(sk->sk_rcvbuf) + READ_ONCE(sk->sk_sndbuf);

	if (sk->sk_backlog.len + skb->truesize > limit)
		return -ENOBUFS;
	if (skb_pfmemalloc(skb) && !sock_flag(sk, SOCK_MEMALLOC))
		return -ENOMEM;
	__sk_add_backlog(sk, skb);
	sk->sk_backlog.len += skb->truesize;
	return 0;
}

/* RFC 9000 section 10.3: a short header packet for no connection of ours
 * gets a Stateless Reset, with the token its destination ID had (the
 * peer knows it if the ID was ours), at most QUIC_RESET_BURST a second
 * in a namespace; shorter than it, so that no two endpoints keep
 * resetting each other (quic_packet_send_reset())
 */
static void quic_udp_send_reset(struct sock *usk, const struct sk_buff *skb,
				const struct quic_hdr *h,
				const union quic_addr *peer,
				const union quic_addr *local)
{
	struct net *net = sock_net(usk);
	u8 token[QUIC_RESET_TOKEN_LEN];

	if (skb->len <= QUIC_RESET_MIN_LEN || !rcu_dereference_sk_user_data(usk) ||
	    !__ratelimit(&quic_net(net)->reset_rl))
		return;
	quic_cid_reset_token(net, h->dcid, h->dcid_len, token);
	quic_packet_send_reset(usk, skb->len, token, peer, local);
}

/**
 * quic_udp_rcv - encap_rcv of the UDP tunnel sockets
 * @usk: the UDP socket
 * @skb: the datagram, data at the UDP header
 *
 * Context: softirq.
 * Return: 0, the datagram is ours (consumed or dropped).
 */
int quic_udp_rcv(struct sock *usk, struct sk_buff *skb)
{
	struct quic_udp_sock *us;
	union quic_addr peer, local;
	struct quic_hdr h;
	struct sock *sk;
	int err;

	quic_addr_from_skb(skb, &peer, &local);
	if (skb_linearize(skb))
		goto drop;
	__skb_pull(skb, sizeof(struct udphdr));
	err = quic_packet_parse(skb->data, skb->len, &h);
	sk = h.dcid ? quic_cid_lookup(sock_net(usk), h.dcid, h.dcid_len) :
		      NULL;
	/* a short header of no connection: a Stateless Reset for one,
	 * or a packet of a connection gone, which gets one
	 */
	if (!sk && skb->len >= QUIC_RESET_MIN_LEN && !(skb->data[0] & 0x80)) {
		sk = quic_reset_lookup(sock_net(usk), skb->data + skb->len -
						       QUIC_RESET_TOKEN_LEN);
		if (!sk && h.dcid)
			quic_udp_send_reset(usk, skb, &h, &peer, &local);
	}
	if (!sk) {
		if (!h.dcid || !h.is_long || !h.version) {
			quic_drop(sock_net(usk), NULL, h.dcid ?
				  QUIC_MIB_INNOSOCKET : QUIC_MIB_INMALFORMED);
			goto drop;
		}
		/* servers here answer version 1 only (quic_packet_send_vn()) */
		if (!err && h.version != QUIC_VERSION_V1)
			err = -EPROTONOSUPPORT;
		rcu_read_lock();
		us = rcu_dereference_sk_user_data(usk);
		if (us && err == -EPROTONOSUPPORT)
			quic_send_version_negotiation(usk, us, skb, &h, &peer,
						      &local);
		else if (us && !err)
			quic_listen_rcv(us, skb, &h, &peer, &local);
		else
			kfree_skb(skb);
		if (!us)
			quic_drop(sock_net(usk), NULL, QUIC_MIB_INNOSOCKET);
		else if (err && err != -EPROTONOSUPPORT)
			quic_drop(sock_net(usk), NULL, QUIC_MIB_INMALFORMED);
		rcu_read_unlock();
		return 0;
	}

	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_INDATAGRAMS);
	QUIC_ADD_STATS(sock_net(sk), QUIC_MIB_INBYTES, skb->len);
	memset(skb->cb, 0, sizeof(skb->cb));
	bh_lock_sock(sk);
	if (quic_sk(sk)->dead) {
		kfree_skb(skb);
	} else if (!sock_owned_by_user(sk) && !quic_sk(sk)->inq.waiters) {
		quic_rcv_datagram(sk, skb);
	} else if (quic_add_backlog(sk, skb)) {
		quic_drop(sock_net(sk), sk, QUIC_MIB_INBACKLOGDROPS);
		sk_drops_skbadd(sk, skb);
		kfree_skb(skb);
	} else if (!sock_owned_by_user(sk)) {
		quic_wake_waiters(sk);	/* it processes the backlog */
	}
	bh_unlock_sock(sk);
	sock_put(sk);
	return 0;
drop:
	kfree_skb(skb);
	return 0;
}
