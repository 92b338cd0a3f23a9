// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * attack_test: hostile 1-RTT frames sent into an established connection
 * between our own client and server over loopback, one pattern per test,
 * each with what quic.ko must do about it asserted and what it cost
 * measured (the server's answers, its datagrams and bytes, slab memory).
 *
 * The packets are forged as fuzz_packet's 1rtt mode forges them
 * (tests/lib/onertt.h): the 1-RTT secrets from GnuTLS's key log
 * (SSLKEYLOGFILE, TLS_AES_128_GCM_SHA256 forced on the client), packets
 * sealed with tests/forge.h and sent from a raw socket that claims the
 * client's address and port, to the server's connection ID of sequence 0
 * (from its first Initial, sniffed before the handshake); the server's
 * answers read off the loopback by a raw socket and opened with its keys,
 * acknowledged by us where a test needs it.  Two PADDING packets first
 * move the server's largest packet number past 2^32, so that the real
 * client's own packets no longer open there and the server hears only
 * us; a stream exchange on stream 0 (our STREAM frame read by the server
 * application, its answer read off the wire) proves it before each test.
 * A close is checked twice: the server's CONNECTION_CLOSE as sent (frame
 * type 0x1c, error code, Frame Type decoded as a varint) and its socket's
 * QUIC_SOCKOPT_CONNECTION_CLOSE.
 *
 *	path_challenge_flood	10000 PATH_CHALLENGE frames, 100 a packet, in
 *				a burst: at most one PATH_RESPONSE a packet,
 *				each in a datagram of 1200 bytes or more, no
 *				amplification, slab growth under 512 KiB, the
 *				last response echoes a challenge, the
 *				connection still works
 *	path_response_padding	one PATH_CHALLENGE in a 1200-byte datagram: one
 *				PATH_RESPONSE echoing it, in a datagram of at
 *				least 1200 bytes (RFC 9000 section 8.2.2)
 *	retire_current_cid	RETIRE_CONNECTION_ID of another ID: taken;
 *				of the ID the packet was sent to:
 *				PROTOCOL_VIOLATION (RFC 9000 section 19.16)
 *	reset_send_only		RESET_STREAM on the server's uni stream:
 *				STREAM_STATE_ERROR
 *	reset_final_size	RESET_STREAM whose final size is below the
 *				data received: FINAL_SIZE_ERROR
 *	stop_recv_only		STOP_SENDING on our own uni stream (the server
 *				only receives on it): STREAM_STATE_ERROR
 *	stop_sending_flood	1000 STOP_SENDING frames for a stream the
 *				server writes on: one RESET_STREAM with our
 *				error code and its final size (one more if
 *				resent), the server's sendmsg() then fails
 *				(ECONNRESET), the connection lives
 *	reset_flow_control	RESET_STREAM with a final size beyond the
 *				stream's window: FLOW_CONTROL_ERROR
 *	reset_streams_held	RESET_STREAM on each of the 100 streams we may
 *				open, which the server does not answer: they
 *				still count, the 101st is a STREAM_LIMIT_ERROR
 *	datagram_too_big	a DATAGRAM frame of max_datagram_frame_size
 *				bytes is taken, one byte more is a
 *				PROTOCOL_VIOLATION (RFC 9221 section 3)
 *	datagram_unannounced	a DATAGRAM frame to a server that announced
 *				none: PROTOCOL_VIOLATION
 *	datagram_truncated	a DATAGRAM frame longer than its packet:
 *				FRAME_ENCODING_ERROR
 *	close_big_frame_type	our CONNECTION_CLOSE with Frame Type 2^62-1:
 *				the server application sees ECONNRESET and
 *				our error and reason, the server drains (sends
 *				nothing, even to PINGs); a new connection works
 *	unknown_type_*		an unknown frame type as a 2- or 8-byte varint
 *				(0xff, 0x3fff, 2^62-1): FRAME_ENCODING_ERROR,
 *				the type whole in the server's CONNECTION_CLOSE
 *				(the socket ABI's 8-bit field: at most 255)
 *	ncid_churn_acked	3000 NEW_CONNECTION_IDs, each retiring the one
 *				before, the server's packets acknowledged:
 *				the connection lives, every ID retired once,
 *				slab growth under 1 MiB; the server's
 *				CONNECTION_ID events, unread, stay within its
 *				receive buffer (the rest dropped and counted),
 *				in order, with the active ID's sequence
 *	ncid_churn_unacked	the same, never acknowledged: the server's
 *				unacknowledged RETIRE_CONNECTION_IDs stay
 *				bounded, CONNECTION_ID_LIMIT_ERROR soon
 *	ncid_over_limit		more IDs than active_connection_id_limit:
 *				CONNECTION_ID_LIMIT_ERROR
 *	ncid_below_prior	an ID below an earlier Retire Prior To: retired
 *				at once with RETIRE_CONNECTION_ID
 *	tiny_frames		a 64-byte STREAM frame alone in each of 1000
 *				small packets, unread: held in a few buffers
 *				within SO_RCVBUF, none refused
 *
 * Runs as root (raw sockets) in a guest with quic.ko loaded; prints TAP
 * (tests/tap.h), each test isolated in a child of its own
 * (tests/lib/runner.h).
 *
 * Usage: attack_test [-v] [-l] [-t GLOB]...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/quic.h>
#include <linux/sock_diag.h>
#include <netinet/quic.h>
#include <gnutls/gnutls.h>

#include "lib/testlib.h"
#include "forge.h"

#define SRV_PN_BITS		(1u << 16)	/* server packet numbers tracked */
#define SRV_CID_LIMIT		4	/* the server's active_connection_id_limit */

/* ============================================ one connection under attack */

/*
 * Our client and server, connected; the 1-RTT keys of both sides; what
 * the server sent, as read off the loopback and opened (tests/lib/
 * onertt.h), and what its frames said.  atk_open() makes it, atk_close()
 * ends it.
 */
struct atk {
	struct pair	p;		/* lfd, cfd (the real client), sfd */
	struct spoof	sp;
	int		snf;
	struct keylog	kl;
	uint16_t	cport;
	/* the server's ID we send to (seq 0, from its first Initial) */
	uint8_t		dcid[20];
	size_t		dcid_len;
	size_t		ccid_len;	/* the client's IDs: what the server
					 * sends to
					 */
	bool		have_cids;
	struct forge_aead ca, sa;
	bool		ca_ok, sa_ok;
	uint64_t	pn_next;	/* ours */
	/* the server's 1-RTT packets */
	bool		srv_seen;
	uint64_t	srv_largest;
	uint8_t		srv_map[SRV_PN_BITS / 8];	/* opened, to ACK */
	uint64_t	srv_dgrams, srv_bytes, srv_unread;
	/* what they carried */
	uint64_t	path_resp;
	uint64_t	resp_dgram_min, resp_dgram_max;	/* UDP payload */
	uint8_t		last_resp[8];
	uint64_t	retire_frames, retire_distinct, retire_max;
	uint8_t		retire_map[SRV_PN_BITS / 8];	/* seqs seen */
	uint64_t	acked_largest;	/* the largest of ours it ACKed */
	bool		acked_any;
	bool		close_seen;
	uint64_t	close_type, close_err, close_frame;
	uint8_t		close_raw[48];
	size_t		close_raw_len;
	/* the server's other IDs (its NEW_CONNECTION_IDs) */
	struct {
		uint64_t	seq;
		uint8_t		id[20];
		uint8_t		len;
	} scid[16];
	unsigned int	nscid;
	/* its RESET_STREAM frames: how many, the last one */
	uint64_t	reset_frames;
	uint64_t	reset_sid, reset_code, reset_final;
	/* stream data the server sent on want_sid */
	int64_t		want_sid;
	uint8_t		sdata[256];
	size_t		sdata_len;
	bool		sfin;
};

static bool map_get(const uint8_t *m, uint64_t v)
{
	return v < SRV_PN_BITS && (m[v >> 3] & (1u << (v & 7)));
}

static void map_set(uint8_t *m, uint64_t v)
{
	if (v < SRV_PN_BITS)
		m[v >> 3] |= (uint8_t)(1u << (v & 7));
}

/* The frames of a server packet. */
static void server_frames(struct atk *a, const uint8_t *p, size_t n)
{
	uint64_t t, v, sid, off, len, largest, first, cnt, gap, rl, i, seq;
	size_t at = 0, start;

	while (at < n) {
		start = at;
		if (forge_varint(p, n, &at, &t))
			return;
		switch (t) {
		case F_PADDING:
		case F_PING:
		case F_HANDSHAKE_DONE:
			break;
		case F_ACK:
		case F_ACK_ECN:
			if (forge_varint(p, n, &at, &largest) ||
			    forge_varint(p, n, &at, &v) ||
			    forge_varint(p, n, &at, &cnt) ||
			    forge_varint(p, n, &at, &first))
				return;
			if (!a->acked_any || largest > a->acked_largest)
				a->acked_largest = largest;
			a->acked_any = true;
			for (i = 0; i < cnt; i++)
				if (forge_varint(p, n, &at, &gap) ||
				    forge_varint(p, n, &at, &rl))
					return;
			if (t == F_ACK_ECN)
				for (i = 0; i < 3; i++)
					if (forge_varint(p, n, &at, &v))
						return;
			break;
		case F_RESET_STREAM:
			if (forge_varint(p, n, &at, &a->reset_sid) ||
			    forge_varint(p, n, &at, &a->reset_code) ||
			    forge_varint(p, n, &at, &a->reset_final))
				return;
			a->reset_frames++;
			break;
		case F_MAX_DATA:
		case F_MAX_STREAMS_BIDI:
		case F_MAX_STREAMS_UNI:
		case F_DATA_BLOCKED:
		case F_STREAMS_BLOCKED_BIDI:
		case F_STREAMS_BLOCKED_UNI:
			if (forge_varint(p, n, &at, &v))
				return;
			break;
		case F_RETIRE_CONNECTION_ID:
			if (forge_varint(p, n, &at, &seq))
				return;
			a->retire_frames++;
			if (!map_get(a->retire_map, seq)) {
				map_set(a->retire_map, seq);
				a->retire_distinct++;
			}
			if (seq > a->retire_max)
				a->retire_max = seq;
			break;
		case F_STOP_SENDING:
		case F_MAX_STREAM_DATA:
		case F_STREAM_DATA_BLOCKED:
			if (forge_varint(p, n, &at, &v) ||
			    forge_varint(p, n, &at, &v))
				return;
			break;
		case F_CRYPTO:
			if (forge_varint(p, n, &at, &v))
				return;
			__attribute__((fallthrough));
		case F_NEW_TOKEN:
		case F_DATAGRAM_LEN:
			if (forge_varint(p, n, &at, &v) || v > n - at)
				return;
			at += v;
			break;
		case F_STREAM ... F_STREAM + 7:
			off = 0;
			if (forge_varint(p, n, &at, &sid) ||
			    ((t & 4) && forge_varint(p, n, &at, &off)))
				return;
			len = n - at;
			if ((t & 2) && (forge_varint(p, n, &at, &len) ||
					len > n - at))
				return;
			if ((int64_t)sid == a->want_sid &&
			    off + len <= sizeof(a->sdata)) {
				memcpy(a->sdata + off, p + at, len);
				if (off + len > a->sdata_len)
					a->sdata_len = off + len;
				if (t & 1)
					a->sfin = true;
			}
			at += len;
			break;
		case F_NEW_CONNECTION_ID:
			if (forge_varint(p, n, &at, &seq) ||
			    forge_varint(p, n, &at, &v) || at >= n ||
			    (size_t)p[at] + 17 > n - at)
				return;
			if (a->nscid < 16 && p[at] >= 1 && p[at] <= 20) {
				for (i = 0; i < a->nscid; i++)
					if (a->scid[i].seq == seq)
						break;
				if (i == a->nscid) {
					a->scid[i].seq = seq;
					a->scid[i].len = p[at];
					memcpy(a->scid[i].id, p + at + 1, p[at]);
					a->nscid++;
				}
			}
			at += 1 + p[at] + 16;
			break;
		case F_PATH_CHALLENGE:
		case F_PATH_RESPONSE:
			if (n - at < 8)
				return;
			if (t == F_PATH_RESPONSE) {
				a->path_resp++;
				memcpy(a->last_resp, p + at, 8);
			}
			at += 8;
			break;
		case F_CONNECTION_CLOSE:
		case F_CONNECTION_CLOSE_APP:
			if (a->close_seen)
				return;
			a->close_seen = true;
			a->close_type = t;
			a->close_raw_len = n - start < sizeof(a->close_raw) ?
					   n - start : sizeof(a->close_raw);
			memcpy(a->close_raw, p + start, a->close_raw_len);
			if (forge_varint(p, n, &at, &a->close_err) ||
			    (t == F_CONNECTION_CLOSE &&
			     forge_varint(p, n, &at, &a->close_frame)))
				return;
			return;
		default:
			return;
		}
	}
}

static void server_short(struct atk *a, const uint8_t *p, size_t n)
{
	uint8_t pt[2048], first;
	uint64_t pn;
	int k;

	if (!a->sa_ok || !a->have_cids) {
		a->srv_unread++;
		return;
	}
	k = forge_open(&a->sa, p, n, 1 + a->ccid_len,
		       a->srv_seen ? a->srv_largest : 0, &first, &pn, pt,
		       sizeof(pt));
	if (k < 0) {
		a->srv_unread++;
		return;
	}
	if (!a->srv_seen || pn > a->srv_largest)
		a->srv_largest = pn;
	a->srv_seen = true;
	map_set(a->srv_map, pn);
	server_frames(a, pt, (size_t)k);
}

/* one datagram from the server: its IDs from the first long header
 * packet, then its short header packet if any
 */
static void server_datagram(struct atk *a, const uint8_t *p, size_t n)
{
	const uint8_t *scid = NULL;
	size_t dl = 0, sl = 0;
	long at;

	at = dgram_short(p, n, a->have_cids ? NULL : &dl, &scid, &sl);
	if (sl) {
		a->ccid_len = dl;
		a->dcid_len = sl;
		memcpy(a->dcid, scid, sl);
		a->have_cids = true;
	}
	if (at >= 0)
		server_short(a, p + at, n - (size_t)at);
}

/* everything the server sent since the last look */
static void sniff_drain(struct atk *a)
{
	uint8_t buf[66000], *p;
	uint64_t r0;
	ssize_t n;

	while ((n = sniff_recv(a->snf, a->cport, buf, sizeof(buf), &p)) >= 0) {
		r0 = a->path_resp;
		a->srv_dgrams++;
		a->srv_bytes += (uint64_t)n;
		server_datagram(a, p, (size_t)n);
		if (a->path_resp == r0)
			continue;
		if (!a->resp_dgram_min || (uint64_t)n < a->resp_dgram_min)
			a->resp_dgram_min = (uint64_t)n;
		if ((uint64_t)n > a->resp_dgram_max)
			a->resp_dgram_max = (uint64_t)n;
	}
}

/* sniff for @ms milliseconds */
static void sniff_for(struct atk *a, int ms)
{
	double t0 = now_s();

	do {
		msleep(2);
		sniff_drain(a);
	} while (now_s() - t0 < ms / 1000.0);
}

#define FIRST_BYTE	0x43	/* short header, fixed bit, key phase 0,
				 * 4-byte packet numbers
				 */

/* Seal the frames @pl (@plen bytes) into a short header packet to the
 * server's ID of sequence 0, and send it; 0 or -1.
 */
static int send_frames(struct atk *a, const uint8_t *pl, size_t plen)
{
	uint8_t out[SPOOF_MAX];
	int n;

	n = onertt_seal(&a->ca, FIRST_BYTE, a->dcid, a->dcid_len,
			a->pn_next++, 4, pl, plen, out, sizeof(out));
	return n < 0 ? -1 : spoof_send(&a->sp, out, (size_t)n);
}

/* a varint in the shortest encoding */
static void wb_v(struct wb *w, uint64_t v)
{
	wb_varint_len(w, v, 0);
}

/* an ACK frame of the server packets opened so far (up to 32 ranges,
 * the newest); nothing when none
 */
static void wb_ack(struct wb *w, const struct atk *a)
{
	uint64_t r[32][2], hi, lo, nr = 0, i, top;

	if (!a->srv_seen)
		return;
	top = a->srv_largest < SRV_PN_BITS ? a->srv_largest : SRV_PN_BITS - 1;
	hi = top + 1;
	while (hi > 0 && nr < 32) {
		while (hi > 0 && !map_get(a->srv_map, hi - 1))
			hi--;
		if (!hi)
			break;
		lo = hi - 1;
		while (lo > 0 && map_get(a->srv_map, lo - 1))
			lo--;
		r[nr][0] = lo;
		r[nr++][1] = hi - 1;
		hi = lo;
	}
	if (!nr)
		return;
	wb_u8(w, F_ACK);
	wb_v(w, r[0][1]);
	wb_v(w, 0);			/* ACK Delay */
	wb_v(w, nr - 1);
	wb_v(w, r[0][1] - r[0][0]);
	for (i = 1; i < nr; i++) {
		wb_v(w, r[i - 1][0] - r[i][1] - 2);	/* Gap */
		wb_v(w, r[i][1] - r[i][0]);
	}
}

/* an ACK of everything the server sent that we opened */
static void send_ack(struct atk *a)
{
	uint8_t pl[512];
	struct wb w = { .p = pl, .cap = sizeof(pl) };

	wb_ack(&w, a);
	if (w.len)
		send_frames(a, pl, w.len);
}

/* wait up to @ms for the server's CONNECTION_CLOSE; true when seen */
static bool wait_close(struct atk *a, int ms)
{
	double t0 = now_s();

	for (;;) {
		sniff_drain(a);
		if (a->close_seen || now_s() - t0 > ms / 1000.0)
			return a->close_seen;
		msleep(2);
	}
}

/* wait up to @ms for the server to ACK our packet @pn */
static bool wait_acked(struct atk *a, uint64_t pn, int ms)
{
	double t0 = now_s();

	for (;;) {
		sniff_drain(a);
		if ((a->acked_any && a->acked_largest >= pn) ||
		    now_s() - t0 > ms / 1000.0)
			return a->acked_any && a->acked_largest >= pn;
		msleep(2);
	}
}

/* the server application's verdict: its socket's CONNECTION_CLOSE */
static bool srv_close_info(struct atk *a, struct quic_connection_close *cc)
{
	socklen_t l = sizeof(*cc);

	memset(cc, 0, sizeof(*cc));
	return !getsockopt(a->p.sfd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_CLOSE,
			   cc, &l);
}

static void close_diag(struct atk *a, const char *what)
{
	struct quic_connection_close cc;
	char h[2 * sizeof(a->close_raw) + 1];

	if (!a->close_seen) {
		tap_diag("%s: no CONNECTION_CLOSE from the server (%llu datagrams, %llu not opened)",
			 what, (unsigned long long)a->srv_dgrams,
			 (unsigned long long)a->srv_unread);
	} else {
		tap_diag("%s: the server's CONNECTION_CLOSE: type 0x%02llx, error 0x%llx (%s), frame type 0x%llx; raw %s",
			 what, (unsigned long long)a->close_type,
			 (unsigned long long)a->close_err,
			 err_name(a->close_err),
			 (unsigned long long)a->close_frame,
			 hex(a->close_raw, a->close_raw_len, h));
	}
	if (srv_close_info(a, &cc))
		tap_diag("%s: the server socket's QUIC_SOCKOPT_CONNECTION_CLOSE: errcode 0x%x (%s), frame 0x%x, phrase \"%.*s\"",
			 what, cc.errcode, err_name(cc.errcode), cc.frame,
			 (int)sizeof(cc.phrase), cc.phrase);
}

/*
 * Check the server closed the connection with transport error @err
 * blaming frame type @frame, as its CONNECTION_CLOSE on the wire says
 * (opened with the 1-RTT keys) and as its socket says.
 */
static void expect_close(struct atk *a, const char *what, uint64_t err,
			 uint64_t frame)
{
	struct quic_connection_close cc;

	wait_close(a, 3000);
	close_diag(a, what);
	if (!CHECK(a->close_seen))
		return;
	CHECK_EQ(a->close_type, F_CONNECTION_CLOSE);
	CHECK_EQ(a->close_err, err);
	CHECK_EQ(a->close_frame, frame);
	if (CHECK(srv_close_info(a, &cc)))
		CHECK_EQ(cc.errcode, err);
}

/*
 * A normal exchange on our bidirectional stream @sid: a message from us
 * (forged, with an ACK), the server application reads it and answers on
 * the same stream, its answer read off the loopback.  true when both
 * went through.
 */
static bool exchange(struct atk *a, int64_t sid)
{
	char msg[64], ans[64], buf[256];
	uint8_t pl[512];
	struct wb w = { .p = pl, .cap = sizeof(pl) };
	uint32_t flags = 0;
	int64_t rsid = -1;
	ssize_t n = -1;
	size_t got = 0;
	double t0;
	int i;

	snprintf(msg, sizeof(msg), "attack ping %lld", (long long)sid);
	snprintf(ans, sizeof(ans), "attack pong %lld", (long long)sid);
	wb_ack(&w, a);
	wb_u8(&w, F_STREAM | 0x07);	/* OFF, LEN, FIN */
	wb_v(&w, (uint64_t)sid);
	wb_v(&w, 0);
	wb_v(&w, strlen(msg));
	wb_bytes(&w, msg, strlen(msg));
	if (send_frames(a, pl, w.len)) {
		tap_diag("exchange %lld: send: %s", (long long)sid,
			 strerror(errno));
		return false;
	}
	set_timeouts(a->p.sfd, 3000);
	for (i = 0; i < 8; i++) {
		flags = 0;
		rsid = -1;
		n = quic_recvmsg(a->p.sfd, buf + got, sizeof(buf) - got - 1,
				 &rsid, &flags);
		if (n < 0)
			break;
		if (rsid != sid)
			continue;
		got += (size_t)n;
		if (flags & MSG_STREAM_FIN)
			break;
	}
	buf[got] = 0;
	if (n < 0 || got != strlen(msg) || memcmp(buf, msg, got)) {
		tap_diag("exchange %lld: the server read %zd (%s), %zu bytes \"%s\" on stream %lld",
			 (long long)sid, n, n < 0 ? strerror(errno) : "ok",
			 got, buf, (long long)rsid);
		return false;
	}
	a->want_sid = sid;
	a->sdata_len = 0;
	a->sfin = false;
	if (quic_sendmsg(a->p.sfd, ans, strlen(ans), sid, MSG_STREAM_FIN) !=
	    (ssize_t)strlen(ans)) {
		tap_diag("exchange %lld: the server's answer: %s",
			 (long long)sid, strerror(errno));
		return false;
	}
	for (t0 = now_s(); now_s() - t0 < 3 && !a->sfin; msleep(2))
		sniff_drain(a);
	a->want_sid = -1;
	if (!a->sfin || a->sdata_len != strlen(ans) ||
	    memcmp(a->sdata, ans, a->sdata_len)) {
		tap_diag("exchange %lld: the server's answer seen: fin %d, %zu bytes",
			 (long long)sid, a->sfin, a->sdata_len);
		return false;
	}
	send_ack(a);
	return true;
}

/*
 * Our client and server connected, the client's 1-RTT keys and the
 * server's ID known; the server's largest packet number moved past the
 * real client's reach; a first exchange on stream 0 checks it all.  The
 * server announces @tp.  Checks evaluated; false when it failed.
 */
static bool atk_open(struct atk *a, const struct quic_transport_param *tp)
{
	static const struct pcfg cfg = {
		.family = AF_INET,
		.hs = { .psk = 1, .cipher = "AES-128-GCM" },
	};
	struct cli_arg c = { .cfg = &cfg, .fd = -1 };
	struct forge_keys ck, sk;
	uint8_t csec[32], ssec[32];
	char name[32];
	pthread_t th;
	double t0;

	memset(a, 0, sizeof(*a));
	pair_init(&a->p);
	a->snf = -1;
	a->sp.fd = -1;
	a->want_sid = -1;
	/* GnuTLS reads it at its first secret in this process (a child) */
	snprintf(name, sizeof(name), "keylog.%d", (int)getpid());
	keylog_setup(&a->kl, name);

	a->p.lfd = listener(AF_INET, tp, 0, 0, &a->p.port);
	if (!CHECK_SYS(a->p.lfd))
		return false;
	a->sp.dport = a->p.port;
	/* before the handshake: the server's first Initial has its ID */
	a->snf = sniff_open(a->p.port);
	if (!CHECK_SYS(a->snf))
		return false;
	a->sp.fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (!CHECK_SYS(a->sp.fd))
		return false;
	c.port = a->p.port;
	if (!CHECK_EQ(pthread_create(&th, NULL, cli_main, &c), 0))
		return false;
	a->p.sfd = accept(a->p.lfd, NULL, NULL);
	if (a->p.sfd >= 0) {
		set_timeouts(a->p.sfd, TMO_MS);
		a->p.sret = handshake(a->p.sfd, 1, &cfg.hs, &a->p.scipher);
	} else {
		a->p.sret = -errno;
	}
	pthread_join(th, NULL);
	a->p.cfd = c.fd;
	a->p.cret = c.ret;
	CHECK_EQ(a->p.cret, 0);
	CHECK_EQ(a->p.sret, 0);
	if (a->p.cret || a->p.sret ||
	    !CHECK_EQ(c.cipher, GNUTLS_CIPHER_AES_128_GCM))
		return false;
	a->cport = (uint16_t)local_port(a->p.cfd);
	a->sp.sport = a->cport;
	if (!CHECK_EQ(keylog_read(&a->kl, csec, ssec), 0) ||
	    !CHECK_EQ(forge_keys_from_secret(&ck, csec), 0) ||
	    !CHECK_EQ(forge_aead_init(&a->ca, &ck), 0))
		return false;
	a->ca_ok = true;
	if (!CHECK_EQ(forge_keys_from_secret(&sk, ssec), 0) ||
	    !CHECK_EQ(forge_aead_init(&a->sa, &sk), 0))
		return false;
	a->sa_ok = true;
	for (t0 = now_s(); now_s() - t0 < 2 && !a->have_cids; msleep(2))
		sniff_drain(a);
	if (!CHECK(a->have_cids))
		return false;
	sniff_for(a, 50);	/* its first 1-RTT packets (new IDs) */
	/* the real client cut off: only we speak for it from now on */
	if (!CHECK_EQ(onertt_isolate(&a->ca, &a->sp, a->dcid, a->dcid_len,
				     FIRST_BYTE), 2))
		return false;
	a->pn_next = PN_JUMP2 + 1;
	if (!CHECK(exchange(a, 0)))
		return false;
	return CHECK(!a->close_seen);
}

static void atk_close(struct atk *a)
{
	pair_close(&a->p);
	if (a->snf >= 0)
		close(a->snf);
	if (a->sp.fd >= 0)
		close(a->sp.fd);
	if (a->ca_ok)
		forge_aead_deinit(&a->ca);
	if (a->sa_ok)
		forge_aead_deinit(&a->sa);
	a->ca_ok = false;
	a->sa_ok = false;
	a->snf = -1;
	a->sp.fd = -1;
}

/* the server application sees its connection end */
static bool srv_ended(struct atk *a, int ms, int *err)
{
	struct pollfd pf = { .fd = a->p.sfd, .events = POLLIN };
	double t0 = now_s();
	socklen_t l = sizeof(*err);

	*err = 0;
	while (now_s() - t0 < ms / 1000.0) {
		if (poll(&pf, 1, 50) == 1 && (pf.revents & (POLLHUP | POLLERR))) {
			if (getsockopt(a->p.sfd, SOL_SOCKET, SO_ERROR, err, &l))
				*err = -1;
			return true;
		}
	}
	return false;
}

/*
 * Slab growth from @before to @after (KiB) under @bound.  A debug kernel
 * holds freed objects in KASAN's quarantine: the slab says nothing there,
 * and kmemleak looks for leaks after the module is unloaded
 * (tests/vm/run.sh).
 */
static void check_slab(long before, long after, long bound)
{
	CHECK(before > 0 && after > 0);
	if (access("/sys/kernel/debug/kmemleak", F_OK) == 0)
		tap_diag("debug kernel: the slab bound (%ld KiB) is left to kmemleak",
			 bound);
	else
		CHECK(after - before < bound);
}

/* a server connection at default settings, with a long idle timeout */
static const struct quic_transport_param tp_default = {
	.max_idle_timeout = 60000000,
	.active_connection_id_limit = SRV_CID_LIMIT,
};

/* ========================================================== the tests */

/* ------------------------------------------- 1. PATH_CHALLENGE flood */

#define PC_FRAMES	10000
#define PC_PER_PKT	100
#define PC_SLAB_KIB	512	/* slab growth allowed */
#define MIN_DGRAM	1200	/* RFC 9000 section 14.1 */

static void pc_data(uint8_t *d, uint32_t i)
{
	d[0] = 'P';
	d[1] = 'C';
	d[2] = 0x5a;
	d[3] = 0xa5;
	d[4] = (uint8_t)(i >> 24);
	d[5] = (uint8_t)(i >> 16);
	d[6] = (uint8_t)(i >> 8);
	d[7] = (uint8_t)i;
}

/* the index of the challenge @d echoes, or -1 */
static long pc_index(const uint8_t *d)
{
	uint32_t i = (uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 |
		     (uint32_t)d[6] << 8 | d[7];

	if (d[0] != 'P' || d[1] != 'C' || d[2] != 0x5a || d[3] != 0xa5 ||
	    i >= PC_FRAMES)
		return -1;
	return (long)i;
}

static void test_path_challenge_flood(const void *arg)
{
	uint8_t pl[PC_PER_PKT * 9 + 16];
	uint64_t d0, b0, r0, pkts = 0, sent_bytes = 0;
	long slab0, slab1, slab2, idx;
	struct atk a;
	uint32_t i = 0, k;
	double t0, dt;

	(void)arg;
	if (!atk_open(&a, &tp_default))
		goto out;
	sniff_for(&a, 200);
	send_ack(&a);
	sniff_for(&a, 100);
	slab0 = slab_in_use_kib();
	d0 = a.srv_dgrams;
	b0 = a.srv_bytes;
	r0 = a.path_resp;
	t0 = now_s();
	while (i < PC_FRAMES) {
		for (k = 0; k < PC_PER_PKT && i < PC_FRAMES; k++, i++) {
			pl[k * 9] = F_PATH_CHALLENGE;
			pc_data(pl + k * 9 + 1, i);
		}
		if (!send_frames(&a, pl, k * 9)) {
			pkts++;
			sent_bytes += k * 9 + 1 + a.dcid_len + 4 + 16;
		}
		if (pkts % 10 == 0)
			sniff_drain(&a);
	}
	dt = now_s() - t0;
	sniff_for(&a, 100);
	slab1 = slab_kib();	/* right after the burst, unshrunk */
	sniff_for(&a, 400);
	slab2 = slab_in_use_kib();
	tap_diag("PATH_CHALLENGE flood: %u challenges in %llu packets (%llu bytes of UDP payload) in %.3f s",
		 i, (unsigned long long)pkts, (unsigned long long)sent_bytes,
		 dt);
	tap_diag("... the server sent %llu PATH_RESPONSE frames in %llu datagrams, %llu bytes of UDP payload meanwhile (%llu packets not opened)",
		 (unsigned long long)(a.path_resp - r0),
		 (unsigned long long)(a.srv_dgrams - d0),
		 (unsigned long long)(a.srv_bytes - b0),
		 (unsigned long long)a.srv_unread);
	tap_diag("... datagrams with a PATH_RESPONSE: %llu to %llu bytes of UDP payload (RFC 9000 8.2.2: at least %d)",
		 (unsigned long long)a.resp_dgram_min,
		 (unsigned long long)a.resp_dgram_max, MIN_DGRAM);
	tap_diag("... slab before %ld KiB, right after %ld KiB (%+ld, unshrunk), 0.5 s after %ld KiB (%+ld KiB)",
		 slab0, slab1, slab1 - slab0, slab2, slab2 - slab0);
	CHECK_EQ(pkts, PC_FRAMES / PC_PER_PKT);
	CHECK(a.path_resp - r0 >= 1);
	/* at most one response waits in the queue: at most one a packet */
	CHECK(a.path_resp - r0 <= pkts);
	/* no amplification: under 3 times what we sent (RFC 9000 8's
	 * factor), even with every response padded to 1200 bytes
	 */
	CHECK(a.srv_bytes - b0 < 3 * sent_bytes);
	CHECK(a.resp_dgram_min >= MIN_DGRAM);
	check_slab(slab0, slab2, PC_SLAB_KIB);
	idx = pc_index(a.last_resp);
	tap_diag("... the last PATH_RESPONSE echoes challenge %ld", idx);
	CHECK(idx >= 0);
	CHECK(!a.close_seen);
	CHECK(exchange(&a, 4));
	if (a.close_seen)
		close_diag(&a, "path_challenge_flood");
out:
	atk_close(&a);
}

/*
 * RFC 9000 section 8.2.2, "An endpoint MUST expand datagrams that contain
 * a PATH_RESPONSE frame to at least ... 1200 bytes" (unless the
 * anti-amplification limit forbids it; the path here is the validated
 * one of the handshake).  One PATH_CHALLENGE in a datagram padded to 1200
 * bytes, as section 8.2.1 asks of a challenger: the flood's are smaller.
 */
static void test_path_response_padding(const void *arg)
{
	uint8_t pl[MIN_DGRAM];
	struct atk a;
	uint64_t r0;
	long idx;

	(void)arg;
	if (!atk_open(&a, &tp_default))
		goto out;
	sniff_for(&a, 100);
	send_ack(&a);
	sniff_for(&a, 100);
	r0 = a.path_resp;
	a.resp_dgram_min = 0;
	a.resp_dgram_max = 0;
	memset(pl, 0, sizeof(pl));	/* PADDING after the challenge */
	pl[0] = F_PATH_CHALLENGE;
	pc_data(pl + 1, 42);
	/* 1 + ID + 4 + frames + 16 = 1200 */
	CHECK_EQ(send_frames(&a, pl, MIN_DGRAM - 1 - a.dcid_len - 4 - 16), 0);
	sniff_for(&a, 300);
	idx = pc_index(a.last_resp);
	tap_diag("one PATH_CHALLENGE in a %d-byte datagram: %llu PATH_RESPONSE (echoes challenge %ld), in a datagram of %llu bytes of UDP payload",
		 MIN_DGRAM, (unsigned long long)(a.path_resp - r0), idx,
		 (unsigned long long)a.resp_dgram_min);
	CHECK_EQ(a.path_resp - r0, 1);
	CHECK_EQ(idx, 42);
	CHECK(a.resp_dgram_min >= MIN_DGRAM);
	CHECK(!a.close_seen);
out:
	atk_close(&a);
}

/* ------------------------------- 2. RETIRE_CONNECTION_ID of the ID in use */

static void test_retire_current(const void *arg)
{
	uint8_t pl[64];
	struct wb w = { .p = pl, .cap = sizeof(pl) };
	uint64_t pn, other = 0;
	unsigned int i;
	struct atk a;

	(void)arg;
	if (!atk_open(&a, &tp_default))
		goto out;
	tap_diag("the server's IDs seen: %u (sequence 0 from its Initial, the others from NEW_CONNECTION_ID)",
		 a.nscid + 1);
	/* first another ID than the one we send to: allowed */
	for (i = 0; i < a.nscid && !other; i++)
		other = a.scid[i].seq;
	if (CHECK(other > 0)) {
		wb_ack(&w, &a);
		wb_u8(&w, F_RETIRE_CONNECTION_ID);
		wb_v(&w, other);
		pn = a.pn_next;
		send_frames(&a, pl, w.len);
		CHECK(wait_acked(&a, pn, 2000));
		sniff_for(&a, 100);
		tap_diag("RETIRE_CONNECTION_ID %llu sent to ID 0: acknowledged %d, closed %d",
			 (unsigned long long)other,
			 a.acked_any && a.acked_largest >= pn, a.close_seen);
		CHECK(!a.close_seen);
	}
	/* then sequence 0, in a packet sent to sequence 0 */
	w.len = 0;
	wb_u8(&w, F_RETIRE_CONNECTION_ID);
	wb_v(&w, 0);
	send_frames(&a, pl, w.len);
	expect_close(&a, "retire_current_cid", E_PROTOCOL_VIOLATION,
		     F_RETIRE_CONNECTION_ID);
out:
	atk_close(&a);
}

/* --------------------------------------- 3. stream frames, wrong state */

static void test_reset_send_only(const void *arg)
{
	uint8_t pl[64];
	struct wb w = { .p = pl, .cap = sizeof(pl) };
	ssize_t n;
	struct atk a;

	(void)arg;
	if (!atk_open(&a, &tp_default))
		goto out;
	/* the server opens its first uni stream (3): it only sends on it */
	a.want_sid = 3;
	a.sdata_len = 0;
	a.sfin = false;
	n = quic_sendmsg(a.p.sfd, "uni", 3, 3, MSG_STREAM_NEW | MSG_STREAM_UNI);
	CHECK_EQ(n, 3);
	sniff_for(&a, 200);
	tap_diag("the server's data on its uni stream 3 seen: %zu bytes",
		 a.sdata_len);
	CHECK_EQ(a.sdata_len, 3);
	wb_ack(&w, &a);
	wb_u8(&w, F_RESET_STREAM);
	wb_v(&w, 3);
	wb_v(&w, 0);
	wb_v(&w, 3);
	send_frames(&a, pl, w.len);
	expect_close(&a, "reset_send_only", E_STREAM_STATE, F_RESET_STREAM);
out:
	atk_close(&a);
}

static void test_reset_final_size(const void *arg)
{
	uint8_t pl[256], data[100];
	struct wb w = { .p = pl, .cap = sizeof(pl) };
	uint64_t pn;
	struct atk a;

	(void)arg;
	if (!atk_open(&a, &tp_default))
		goto out;
	/* 100 bytes on our bidi stream 4, no FIN */
	memset(data, 'x', sizeof(data));
	wb_u8(&w, F_STREAM | 0x06);
	wb_v(&w, 4);
	wb_v(&w, 0);
	wb_v(&w, sizeof(data));
	wb_bytes(&w, data, sizeof(data));
	pn = a.pn_next;
	send_frames(&a, pl, w.len);
	CHECK(wait_acked(&a, pn, 2000));
	CHECK(!a.close_seen);
	/* then a reset with final size 50 */
	w.len = 0;
	wb_u8(&w, F_RESET_STREAM);
	wb_v(&w, 4);
	wb_v(&w, 0);
	wb_v(&w, 50);
	send_frames(&a, pl, w.len);
	expect_close(&a, "reset_final_size", E_FINAL_SIZE, F_RESET_STREAM);
out:
	atk_close(&a);
}

static void test_stop_recv_only(const void *arg)
{
	uint8_t pl[64];
	struct wb w = { .p = pl, .cap = sizeof(pl) };
	uint64_t pn;
	struct atk a;

	(void)arg;
	if (!atk_open(&a, &tp_default))
		goto out;
	/* our uni stream 2: the server only receives on it */
	wb_u8(&w, F_STREAM | 0x06);
	wb_v(&w, 2);
	wb_v(&w, 0);
	wb_v(&w, 10);
	wb_bytes(&w, "0123456789", 10);
	pn = a.pn_next;
	send_frames(&a, pl, w.len);
	CHECK(wait_acked(&a, pn, 2000));
	CHECK(!a.close_seen);
	w.len = 0;
	wb_u8(&w, F_STOP_SENDING);
	wb_v(&w, 2);
	wb_v(&w, 0);
	send_frames(&a, pl, w.len);
	expect_close(&a, "stop_recv_only", E_STREAM_STATE, F_STOP_SENDING);
out:
	atk_close(&a);
}

static void test_stop_sending_flood(const void *arg)
{
	uint8_t pl[8192];
	struct wb w = { .p = pl, .cap = sizeof(pl) };
	uint64_t pn;
	struct atk a;
	int i;

	(void)arg;
	if (!atk_open(&a, &tp_default))
		goto out;
	/* our bidi stream 4 opened with a byte; the server writes 3 on it */
	wb_u8(&w, F_STREAM | 0x06);
	wb_v(&w, 4);
	wb_v(&w, 0);
	wb_v(&w, 1);
	wb_u8(&w, 'x');
	pn = a.pn_next;
	send_frames(&a, pl, w.len);
	CHECK(wait_acked(&a, pn, 2000));
	a.want_sid = 4;
	a.sdata_len = 0;
	CHECK_EQ(quic_sendmsg(a.p.sfd, "abc", 3, 4, 0), 3);
	sniff_for(&a, 200);
	CHECK_EQ(a.sdata_len, 3);
	/* 1000 STOP_SENDING, 200 a packet, our ACKs with them */
	for (i = 0; i < 5; i++) {
		w.len = 0;
		wb_ack(&w, &a);
		for (int k = 0; k < 200; k++) {
			wb_u8(&w, F_STOP_SENDING);
			wb_v(&w, 4);
			wb_v(&w, 0x77);
		}
		send_frames(&a, pl, w.len);
		sniff_for(&a, 20);
	}
	sniff_for(&a, 300);
	send_ack(&a);
	sniff_for(&a, 300);
	tap_diag("RESET_STREAM frames: %llu, the last for stream %llu, code %#llx, final size %llu",
		 (unsigned long long)a.reset_frames,
		 (unsigned long long)a.reset_sid,
		 (unsigned long long)a.reset_code,
		 (unsigned long long)a.reset_final);
	CHECK(a.reset_frames >= 1 && a.reset_frames <= 2);
	CHECK_EQ(a.reset_sid, 4);
	CHECK_EQ(a.reset_code, 0x77);
	CHECK_EQ(a.reset_final, 3);
	CHECK(!a.close_seen);
	CHECK_ERR(quic_sendmsg(a.p.sfd, "d", 1, 4, 0), ECONNRESET);
	CHECK(exchange(&a, 8));
out:
	atk_close(&a);
}

static void test_reset_flow_control(const void *arg)
{
	uint8_t pl[64];
	struct wb w = { .p = pl, .cap = sizeof(pl) };
	struct atk a;

	(void)arg;
	if (!atk_open(&a, &tp_default))
		goto out;
	wb_u8(&w, F_RESET_STREAM);
	wb_v(&w, 4);
	wb_v(&w, 0);
	wb_v(&w, 1ULL << 40);
	send_frames(&a, pl, w.len);
	expect_close(&a, "reset_flow_control", E_FLOW_CONTROL, F_RESET_STREAM);
out:
	atk_close(&a);
}

static void test_reset_streams_held(const void *arg)
{
	uint8_t pl[2048];
	struct wb w = { .p = pl, .cap = sizeof(pl) };
	uint64_t pn, id;
	struct atk a;
	int i;

	(void)arg;
	if (!atk_open(&a, &tp_default))
		goto out;
	/* stream 0 was used by atk_open(): the 99 after it, each reset
	 * (final size 0), 33 a packet
	 */
	for (i = 1; i < 100; i++) {
		if (!w.len)
			wb_ack(&w, &a);
		wb_u8(&w, F_RESET_STREAM);
		wb_v(&w, 4 * (uint64_t)i);
		wb_v(&w, 1);
		wb_v(&w, 0);
		if (i % 33 && i != 99)
			continue;
		pn = a.pn_next;
		send_frames(&a, pl, w.len);
		CHECK(wait_acked(&a, pn, 2000));
		w.len = 0;
	}
	sniff_for(&a, 300);
	CHECK(!a.close_seen);
	/* the 101st */
	id = 4 * 100;
	w.len = 0;
	wb_u8(&w, F_STREAM | 0x07);
	wb_v(&w, id);
	wb_v(&w, 0);
	wb_v(&w, 1);
	wb_u8(&w, 'y');
	send_frames(&a, pl, w.len);
	expect_close(&a, "reset_streams_held", E_STREAM_LIMIT, F_STREAM | 0x07);
out:
	atk_close(&a);
}

/* ------------------------------------------------------- 4. DATAGRAM */

#define DG_MAX	100	/* the server's max_datagram_frame_size */

/* a DATAGRAM frame with a Length field of @total bytes in all */
static void wb_datagram_len(struct wb *w, size_t total)
{
	size_t data = total - 1 - 2, i;

	wb_u8(w, F_DATAGRAM_LEN);
	wb_varint_len(w, data, 2);
	for (i = 0; i < data; i++)
		wb_u8(w, (uint8_t)i);
}

static void test_datagram_too_big(const void *arg)
{
	struct quic_transport_param tp = tp_default;
	uint8_t pl[512];
	struct wb w = { .p = pl, .cap = sizeof(pl) };
	uint64_t pn;
	struct atk a;

	(void)arg;
	tp.max_datagram_frame_size = DG_MAX;
	if (!atk_open(&a, &tp))
		goto out;
	/* exactly the size announced (type, length, data): taken */
	wb_datagram_len(&w, DG_MAX);
	pn = a.pn_next;
	send_frames(&a, pl, w.len);
	CHECK(wait_acked(&a, pn, 2000));
	sniff_for(&a, 100);
	tap_diag("a DATAGRAM frame of %d bytes: acknowledged %d, closed %d",
		 DG_MAX, a.acked_any && a.acked_largest >= pn, a.close_seen);
	CHECK(!a.close_seen);
	/* one byte more */
	w.len = 0;
	wb_datagram_len(&w, DG_MAX + 1);
	send_frames(&a, pl, w.len);
	expect_close(&a, "datagram_too_big", E_PROTOCOL_VIOLATION,
		     F_DATAGRAM_LEN);
out:
	atk_close(&a);
}

static void test_datagram_unannounced(const void *arg)
{
	uint8_t pl[64];
	struct atk a;

	(void)arg;
	/* tp_default: max_datagram_frame_size 0, DATAGRAM not announced */
	if (!atk_open(&a, &tp_default))
		goto out;
	pl[0] = F_DATAGRAM;
	memcpy(pl + 1, "0123456789", 10);	/* to the end of the packet */
	send_frames(&a, pl, 11);
	expect_close(&a, "datagram_unannounced", E_PROTOCOL_VIOLATION,
		     F_DATAGRAM);
out:
	atk_close(&a);
}

/* a DATAGRAM frame whose Length runs past the end of its packet, to a
 * server that offered datagrams: FRAME_ENCODING_ERROR (RFC 9000 section
 * 12.4), nothing delivered
 */
static void test_datagram_truncated(const void *arg)
{
	struct quic_transport_param tp = tp_default;
	uint8_t pl[64], b[64];
	struct wb w = { .p = pl, .cap = sizeof(pl) };
	struct atk a;

	(void)arg;
	tp.max_datagram_frame_size = 1200;
	if (!atk_open(&a, &tp))
		goto out;
	wb_u8(&w, F_DATAGRAM_LEN);
	wb_varint_len(&w, 1000, 2);	/* 1000 bytes announced, 10 there */
	wb_bytes(&w, "0123456789", 10);
	send_frames(&a, pl, w.len);
	expect_close(&a, "datagram_truncated", E_FRAME_ENCODING,
		     F_DATAGRAM_LEN);
	/* no datagram reached the reader: an end or an error, no data */
	CHECK(recv(a.p.sfd, b, sizeof(b), MSG_DONTWAIT) <= 0);
out:
	atk_close(&a);
}

/* ----------------------------------- 5. frame types as large varints */

static void test_close_big_frame_type(const void *arg)
{
	struct hs_cfg hs = { .psk = 1 };
	struct quic_connection_close cc;
	uint8_t pl[64];
	struct wb w = { .p = pl, .cap = sizeof(pl) };
	uint64_t d0;
	struct pair p;
	uint8_t ping;
	int err = 0, i;
	bool ended, got;
	struct atk a;

	(void)arg;
	if (!atk_open(&a, &tp_default))
		goto out;
	sniff_for(&a, 100);
	send_ack(&a);
	sniff_for(&a, 100);
	wb_u8(&w, F_CONNECTION_CLOSE);
	wb_v(&w, E_PROTOCOL_VIOLATION);
	wb_varint_len(&w, VARINT_MAX, 8);	/* Frame Type 2^62-1 */
	wb_v(&w, 6);
	wb_bytes(&w, "attack", 6);
	d0 = a.srv_dgrams;
	send_frames(&a, pl, w.len);
	ended = srv_ended(&a, 3000, &err);
	tap_diag("the server application: connection ended %d, SO_ERROR %d (%s)",
		 ended, err, err > 0 ? strerror(err) : "-");
	CHECK(ended);
	CHECK_EQ(err, ECONNRESET);
	got = srv_close_info(&a, &cc);
	if (CHECK(got)) {
		tap_diag("the server socket's QUIC_SOCKOPT_CONNECTION_CLOSE (the peer's): errcode 0x%x, frame 0x%x (8 bits in the ABI), phrase \"%.*s\"",
			 cc.errcode, cc.frame, (int)sizeof(cc.phrase),
			 cc.phrase);
		CHECK_EQ(cc.errcode, E_PROTOCOL_VIOLATION);
		CHECK(!strcmp((const char *)cc.phrase, "attack"));
	}
	/* draining (RFC 9000 section 10.2.2): nothing more is sent, even
	 * to packets that come after (5 PINGs)
	 */
	sniff_for(&a, 500);
	for (i = 0; i < 5; i++) {
		ping = F_PING;
		send_frames(&a, &ping, 1);
		sniff_for(&a, 100);
	}
	tap_diag("server datagrams in the second after our close, 5 PINGs sent meanwhile: %llu (CONNECTION_CLOSE seen %d)",
		 (unsigned long long)(a.srv_dgrams - d0), a.close_seen);
	CHECK_EQ(a.srv_dgrams - d0, 0);
	CHECK(!a.close_seen);
	atk_close(&a);
	/* the kernel lives on: a new connection moves data */
	{
		struct pcfg cfg = { .family = AF_INET, .hs = hs };

		REQUIRE_PAIR(&p, &cfg);
		pair_transfer(&p, 64 * KIB, 1, 1);
		pair_close(&p);
	}
	return;
out:
	atk_close(&a);
}

struct unk_case {
	const char	*name;
	uint64_t	type;
	size_t		len;	/* its varint's bytes */
};

static void test_unknown_type(const void *arg)
{
	const struct unk_case *u = arg;
	struct quic_connection_close cc;
	uint8_t pl[64];
	struct wb w = { .p = pl, .cap = sizeof(pl) };
	struct atk a;

	if (!atk_open(&a, &tp_default))
		goto out;
	wb_varint_len(&w, u->type, u->len);
	wb_bytes(&w, "\xff\xff\xff\xff", 4);
	tap_diag("an unknown frame type 0x%llx as a %zu-byte varint: %02x %02x ...",
		 (unsigned long long)u->type, u->len, pl[0], pl[1]);
	send_frames(&a, pl, w.len);
	expect_close(&a, u->name, E_FRAME_ENCODING, u->type);
	/* the ABI's field has 8 bits: the type, or 255 when larger */
	if (srv_close_info(&a, &cc))
		CHECK_EQ(cc.frame, u->type < 255 ? u->type : 255);
out:
	atk_close(&a);
}

/* --------------------------------------- 6. NEW_CONNECTION_ID churn */

#define NCID_CHURN	3000
#define NCID_BASE	16	/* above the real client's own IDs */
#define NCID_SLAB_KIB	1024

static void wb_new_cid(struct wb *w, const struct atk *a, uint64_t seq,
		       uint64_t prior)
{
	uint8_t id[20], token[16];
	size_t i;

	for (i = 0; i < sizeof(id); i++)
		id[i] = (uint8_t)(seq >> (8 * (i % 8))) ^ (uint8_t)(0xa0 + i);
	for (i = 0; i < sizeof(token); i++)
		token[i] = (uint8_t)(seq * 7 + i);
	wb_u8(w, F_NEW_CONNECTION_ID);
	wb_v(w, seq);
	wb_v(w, prior);
	wb_u8(w, (uint8_t)a->ccid_len);
	wb_bytes(w, id, a->ccid_len);
	wb_bytes(w, token, sizeof(token));
}

/*
 * @n NEW_CONNECTION_IDs from NCID_BASE up, each retiring all before it
 * (Retire Prior To its own sequence), one a packet; with @ack, each
 * packet also acknowledges what the server sent, and we wait a little for
 * the server's RETIRE_CONNECTION_ID before the next.  The number sent
 * before the server closed.
 */
static uint64_t ncid_churn(struct atk *a, uint64_t n, bool ack)
{
	uint8_t pl[512];
	struct wb w = { .p = pl, .cap = sizeof(pl) };
	uint64_t i, r0;
	double t0;

	for (i = 0; i < n && !a->close_seen; i++) {
		w.len = 0;
		if (ack)
			wb_ack(&w, a);
		wb_new_cid(&w, a, NCID_BASE + i, NCID_BASE + i);
		r0 = a->retire_distinct;
		send_frames(a, pl, w.len);
		for (t0 = now_s(); now_s() - t0 < (ack ? 0.05 : 0.002);) {
			sniff_drain(a);
			if (a->close_seen || (ack && a->retire_distinct > r0))
				break;
			usleep(200);
		}
	}
	return i;
}

/*
 * Read the CONNECTION_ID events queued on @fd: each about the destination
 * IDs, the active one's sequence never going back; the last one's in
 * *@last.  Returns how many, or -1 after a message of another kind.
 */
static long cid_events_drain(int fd, uint32_t *last)
{
	struct quic_connection_id_info info;
	uint8_t buf[64];
	uint32_t flags;
	int64_t sid;
	long n = 0;
	ssize_t r;

	*last = 0;
	for (;;) {
		flags = 0;
		r = quic_recvmsg(fd, buf, sizeof(buf), &sid,
				 &flags);
		if (r < 0)
			return errno == EAGAIN ? n : -1;
		if (!(flags & MSG_QUIC_NOTIFICATION) ||
		    r != 1 + (ssize_t)sizeof(info) ||
		    buf[0] != QUIC_EVENT_CONNECTION_ID) {
			tap_diag("event %ld: %zd bytes, flags %#x, type %u", n,
				 r, flags, buf[0]);
			return -1;
		}
		memcpy(&info, buf + 1, sizeof(info));
		if (!info.dest || info.active < *last) {
			tap_diag("event %ld: dest %u, active %u after %u", n,
				 info.dest, info.active, *last);
			return -1;
		}
		*last = info.active;
		n++;
	}
}

static void test_ncid_churn_acked(const void *arg)
{
	uint32_t rmem, rcvbuf, drops, last;
	uint64_t sent, d0, b0;
	long slab0, slab1, nev;
	struct atk a;
	double t0;

	(void)arg;
	if (!atk_open(&a, &tp_default))
		goto out;
	CHECK_SYS(set_event(a.p.sfd, QUIC_EVENT_CONNECTION_ID, 1));
	sniff_for(&a, 100);
	slab0 = slab_in_use_kib();
	d0 = a.srv_dgrams;
	b0 = a.srv_bytes;
	t0 = now_s();
	sent = ncid_churn(&a, NCID_CHURN, true);
	sniff_for(&a, 300);
	send_ack(&a);
	sniff_for(&a, 200);
	/* an event each time the server's active ID moved, unread so far */
	rmem = sock_meminfo(a.p.sfd, SK_MEMINFO_RMEM_ALLOC);
	rcvbuf = sock_meminfo(a.p.sfd, SK_MEMINFO_RCVBUF);
	drops = sock_meminfo(a.p.sfd, SK_MEMINFO_DROPS);
	set_nonblock(a.p.sfd, 1);
	nev = cid_events_drain(a.p.sfd, &last);
	set_nonblock(a.p.sfd, 0);
	tap_diag("server's CONNECTION_ID events, unread: rmem_alloc %u of rcvbuf %u, %u dropped; %ld read, the last with sequence %u",
		 rmem, rcvbuf, drops, nev, last);
	CHECK(rmem <= rcvbuf);
	CHECK(drops > 0);
	CHECK(nev > 0);
	CHECK((uint64_t)nev <= sent + 1);
	CHECK_EQ(sock_meminfo(a.p.sfd, SK_MEMINFO_RMEM_ALLOC), 0);
	slab1 = slab_in_use_kib();
	tap_diag("NEW_CONNECTION_ID churn, acknowledged: %llu sent in %.2f s (sequences %d to %llu); the server sent %llu RETIRE_CONNECTION_ID frames (%llu distinct sequences, largest %llu) in %llu datagrams, %llu bytes",
		 (unsigned long long)sent, now_s() - t0, NCID_BASE,
		 (unsigned long long)(NCID_BASE + sent - 1),
		 (unsigned long long)a.retire_frames,
		 (unsigned long long)a.retire_distinct,
		 (unsigned long long)a.retire_max,
		 (unsigned long long)(a.srv_dgrams - d0),
		 (unsigned long long)(a.srv_bytes - b0));
	tap_diag("... slab before %ld KiB, after %ld KiB (%+ld KiB)", slab0,
		 slab1, slab1 - slab0);
	if (a.close_seen)
		close_diag(&a, "ncid_churn_acked");
	CHECK(!a.close_seen);
	CHECK_EQ(sent, NCID_CHURN);
	/* every ID but the newest retired: the real client's and ours */
	CHECK(a.retire_distinct >= NCID_CHURN - 1);
	CHECK_EQ(a.retire_max, NCID_BASE + NCID_CHURN - 2);
	CHECK(a.retire_frames <= 2 * (uint64_t)NCID_CHURN);
	check_slab(slab0, slab1, NCID_SLAB_KIB);
	/* the server now sends to our newest ID: still usable */
	CHECK(exchange(&a, 4));
out:
	atk_close(&a);
}

/* the module's bound on RETIRE_CONNECTION_IDs not acknowledged is
 * 2 * clamp(active_connection_id_limit, 8, 64); RFC 9000 section 5.1.2
 * asks at least twice the limit.  Allowed here: twice the largest clamp.
 */
#define RETIRE_BOUND	(2 * 64 + SRV_CID_LIMIT)

static void test_ncid_churn_unacked(const void *arg)
{
	uint64_t sent;
	long slab0, slab1;
	struct atk a;

	(void)arg;
	if (!atk_open(&a, &tp_default))
		goto out;
	sniff_for(&a, 100);
	slab0 = slab_in_use_kib();
	sent = ncid_churn(&a, NCID_CHURN, false);
	wait_close(&a, 1000);
	sniff_for(&a, 200);
	slab1 = slab_in_use_kib();
	tap_diag("NEW_CONNECTION_ID churn, never acknowledged: %llu sent before the server closed; it sent %llu RETIRE_CONNECTION_ID frames (%llu distinct sequences, largest %llu)",
		 (unsigned long long)sent,
		 (unsigned long long)a.retire_frames,
		 (unsigned long long)a.retire_distinct,
		 (unsigned long long)a.retire_max);
	tap_diag("... slab before %ld KiB, after %ld KiB (%+ld KiB)", slab0,
		 slab1, slab1 - slab0);
	CHECK(a.retire_distinct <= RETIRE_BOUND);
	check_slab(slab0, slab1, NCID_SLAB_KIB);
	CHECK(sent < NCID_CHURN);
	expect_close(&a, "ncid_churn_unacked", E_CID_LIMIT,
		     F_NEW_CONNECTION_ID);
out:
	atk_close(&a);
}

static void test_ncid_over_limit(const void *arg)
{
	uint8_t pl[256];
	struct wb w = { .p = pl, .cap = sizeof(pl) };
	uint64_t i;
	struct atk a;

	(void)arg;
	if (!atk_open(&a, &tp_default))
		goto out;
	/* Retire Prior To 0: every one stays active */
	for (i = 0; i < SRV_CID_LIMIT + 1 && !a.close_seen; i++) {
		w.len = 0;
		wb_ack(&w, &a);
		wb_new_cid(&w, &a, NCID_BASE + i, 0);
		send_frames(&a, pl, w.len);
		wait_close(&a, 200);
	}
	tap_diag("NEW_CONNECTION_ID with Retire Prior To 0: the server closed after %llu of ours (its active_connection_id_limit %d; the real client issued its own before)",
		 (unsigned long long)i, SRV_CID_LIMIT);
	CHECK(i <= SRV_CID_LIMIT);
	expect_close(&a, "ncid_over_limit", E_CID_LIMIT, F_NEW_CONNECTION_ID);
out:
	atk_close(&a);
}

/* ------------------------------------- tiny frames in tiny datagrams */

#define TINY_N		1000	/* packets */
#define TINY_LEN	64	/* bytes of stream data in each */
#define TINY_SID	8

/*
 * A STREAM frame of 64 bytes alone in each of 1000 small packets, in
 * order, to a server that does not read: the frame fills most of its
 * datagram, but the datagram sits in a buffer far larger, which must not
 * be kept for it; the 64000 bytes are held in a few buffers, within
 * SO_RCVBUF (88 KB on 6.12; a clone of each datagram held 280 KB), and
 * none is refused; read afterwards, they are all there, in order.
 */
static void test_tiny_frames(const void *arg)
{
	uint8_t pl[128], data[TINY_LEN], buf[4096];
	struct wb w = { .p = pl, .cap = sizeof(pl) };
	uint32_t rmem, rcvbuf, drops0, drops, flags;
	uint64_t got = 0, bad = 0;
	int64_t sid;
	struct atk a;
	ssize_t n, k;
	int i, j;

	(void)arg;
	if (!atk_open(&a, &tp_default))
		goto out;
	drops0 = sock_meminfo(a.p.sfd, SK_MEMINFO_DROPS);
	for (i = 0; i < TINY_N && !a.close_seen; i++) {
		for (j = 0; j < TINY_LEN; j++)
			data[j] = (uint8_t)(i * TINY_LEN + j);
		w.len = 0;
		if (!(i % 64))
			wb_ack(&w, &a);
		wb_u8(&w, F_STREAM | 0x06 | (i == TINY_N - 1));	/* OFF, LEN */
		wb_v(&w, TINY_SID);
		wb_v(&w, (uint64_t)i * TINY_LEN);
		wb_v(&w, TINY_LEN);
		wb_bytes(&w, data, TINY_LEN);
		if (send_frames(&a, pl, w.len))
			break;
		if (!(i % 64))
			sniff_drain(&a);
	}
	sniff_for(&a, 300);
	rmem = sock_meminfo(a.p.sfd, SK_MEMINFO_RMEM_ALLOC);
	rcvbuf = sock_meminfo(a.p.sfd, SK_MEMINFO_RCVBUF);
	drops = sock_meminfo(a.p.sfd, SK_MEMINFO_DROPS) - drops0;
	tap_diag("%d packets of one %d-byte STREAM frame sent; the server, not reading: rmem_alloc %u of rcvbuf %u, %u refused",
		 i, TINY_LEN, rmem, rcvbuf, drops);
	CHECK_EQ(i, TINY_N);
	CHECK(!a.close_seen);
	CHECK(rmem <= rcvbuf);
	CHECK_EQ(drops, 0);

	set_nonblock(a.p.sfd, 1);
	for (;;) {
		flags = 0;
		sid = -1;
		n = quic_recvmsg(a.p.sfd, buf, sizeof(buf), &sid, &flags);
		if (n < 0)
			break;
		if (sid != TINY_SID)
			continue;
		for (k = 0; k < n; k++, got++)
			bad += buf[k] != (uint8_t)got;
		if (flags & MSG_STREAM_FIN)
			break;
	}
	set_nonblock(a.p.sfd, 0);
	tap_diag("read: %llu bytes of stream %d, %llu wrong",
		 (unsigned long long)got, TINY_SID, (unsigned long long)bad);
	CHECK_EQ(got, (uint64_t)TINY_N * TINY_LEN);
	CHECK_EQ(bad, 0);
out:
	atk_close(&a);
}

static const struct unk_case unk_ff2 = { "unknown_type_ff_2byte", 0xff, 2 };
static const struct unk_case unk_3fff = { "unknown_type_3fff", 0x3fff, 2 };
static const struct unk_case unk_big = { "unknown_type_2p62", VARINT_MAX, 8 };

static void quiet(int level, const char *msg)
{
	(void)level;
	(void)msg;
}

/*
 * RFC 9000 section 19.15: "An endpoint that receives a NEW_CONNECTION_ID
 * frame with a sequence number smaller than the Retire Prior To field of
 * a previously received NEW_CONNECTION_ID frame MUST send a corresponding
 * RETIRE_CONNECTION_ID frame that retires the newly received connection
 * ID".  Our IDs NCID_BASE + 5, retiring all before it, then NCID_BASE + 2.
 */
static void test_ncid_below_prior(const void *arg)
{
	uint8_t pl[256];
	struct wb w = { .p = pl, .cap = sizeof(pl) };
	uint64_t r0;
	struct atk a;
	double t0;

	(void)arg;
	if (!atk_open(&a, &tp_default))
		goto out;
	wb_ack(&w, &a);
	wb_new_cid(&w, &a, NCID_BASE + 5, NCID_BASE + 5);
	send_frames(&a, pl, w.len);
	sniff_for(&a, 200);
	send_ack(&a);
	r0 = a.retire_frames;
	CHECK(!map_get(a.retire_map, NCID_BASE + 2));
	w.len = 0;
	wb_ack(&w, &a);
	wb_new_cid(&w, &a, NCID_BASE + 2, NCID_BASE + 2);
	send_frames(&a, pl, w.len);
	for (t0 = now_s(); now_s() - t0 < 2 &&
	     !map_get(a.retire_map, NCID_BASE + 2) && !a.close_seen;)
		sniff_for(&a, 20);
	tap_diag("after NEW_CONNECTION_ID %d below Retire Prior To %d: RETIRE_CONNECTION_ID of it %s, %llu RETIRE frames in all since, closed %d",
		 NCID_BASE + 2, NCID_BASE + 5,
		 map_get(a.retire_map, NCID_BASE + 2) ? "seen" : "not seen",
		 (unsigned long long)(a.retire_frames - r0), a.close_seen);
	CHECK(map_get(a.retire_map, NCID_BASE + 2));
	CHECK(!a.close_seen);
	CHECK(exchange(&a, 4));
out:
	atk_close(&a);
}

int main(int argc, char **argv)
{
	int i, verbose = 0;

	for (i = 1; i < argc; i++)
		verbose |= !strcmp(argv[i], "-v");
	/* runner_log() puts it on stderr with -v or QUIC_TEST_VERBOSE */
	if (!verbose && !getenv("QUIC_TEST_VERBOSE"))
		quic_set_log_func(quiet);
	test_add("path_challenge_flood", "10000 PATH_CHALLENGE frames, 100 a packet: at most one PATH_RESPONSE a packet, each in a datagram of 1200 bytes or more, under 3 times our bytes, slab growth under 512 KiB, the last response echoes a challenge, the connection still works",
		 test_path_challenge_flood, NULL, 90);
	test_add("path_response_padding", "a PATH_CHALLENGE in a 1200-byte datagram: one PATH_RESPONSE, in a datagram of at least 1200 bytes (RFC 9000 8.2.2)",
		 test_path_response_padding, NULL, 60);
	test_add("retire_current_cid", "RETIRE_CONNECTION_ID of another ID is taken; of the ID the packet was sent to: PROTOCOL_VIOLATION (RFC 9000 19.16)",
		 test_retire_current, NULL, 60);
	test_add("reset_send_only", "RESET_STREAM on the server's uni stream: STREAM_STATE_ERROR",
		 test_reset_send_only, NULL, 60);
	test_add("reset_final_size", "RESET_STREAM with a final size below the data received: FINAL_SIZE_ERROR",
		 test_reset_final_size, NULL, 60);
	test_add("stop_recv_only", "STOP_SENDING on a stream the server only receives on: STREAM_STATE_ERROR",
		 test_stop_recv_only, NULL, 60);
	test_add("stop_sending_flood", "1000 STOP_SENDING frames for a stream the server writes on: one RESET_STREAM (two if resent) with our code and its final size, its sendmsg fails with ECONNRESET, the connection lives",
		 test_stop_sending_flood, NULL, 60);
	test_add("reset_flow_control", "RESET_STREAM with a final size beyond the stream's window: FLOW_CONTROL_ERROR",
		 test_reset_flow_control, NULL, 60);
	test_add("reset_streams_held", "RESET_STREAM on the 100 streams we may open, unanswered by the server: they still count, the 101st is a STREAM_LIMIT_ERROR",
		 test_reset_streams_held, NULL, 60);
	test_add("datagram_too_big", "a DATAGRAM frame of max_datagram_frame_size bytes is taken, one byte more: PROTOCOL_VIOLATION (RFC 9221 3)",
		 test_datagram_too_big, NULL, 60);
	test_add("datagram_unannounced", "a DATAGRAM frame to a server that announced none: PROTOCOL_VIOLATION",
		 test_datagram_unannounced, NULL, 60);
	test_add("close_big_frame_type", "our CONNECTION_CLOSE with Frame Type 2^62-1: the server drains (ECONNRESET), sends nothing more; a new connection works",
		 test_close_big_frame_type, NULL, 60);
	test_add("unknown_type_ff_2byte", "frame type 0xff as a 2-byte varint (40 ff): FRAME_ENCODING_ERROR, 0xff in the CONNECTION_CLOSE",
		 test_unknown_type, &unk_ff2, 60);
	test_add("unknown_type_3fff", "frame type 0x3fff (7f ff): FRAME_ENCODING_ERROR, 0x3fff in the CONNECTION_CLOSE",
		 test_unknown_type, &unk_3fff, 60);
	test_add("unknown_type_2p62", "frame type 2^62-1 (8 bytes): FRAME_ENCODING_ERROR, 2^62-1 in the CONNECTION_CLOSE",
		 test_unknown_type, &unk_big, 60);
	test_add("ncid_churn_acked", "3000 NEW_CONNECTION_IDs, each retiring the one before, the server's packets acknowledged: the connection lives, each ID retired once, slab growth under 1 MiB; the server's unread CONNECTION_ID events stay within its receive buffer, the rest counted as drops, in order",
		 test_ncid_churn_acked, NULL, 240);
	test_add("ncid_churn_unacked", "the same churn never acknowledged: unacknowledged RETIRE_CONNECTION_IDs bounded, CONNECTION_ID_LIMIT_ERROR",
		 test_ncid_churn_unacked, NULL, 120);
	test_add("ncid_over_limit", "NEW_CONNECTION_IDs past active_connection_id_limit (Retire Prior To 0): CONNECTION_ID_LIMIT_ERROR",
		 test_ncid_over_limit, NULL, 60);
	test_add("datagram_truncated", "a DATAGRAM frame whose Length runs past its packet: FRAME_ENCODING_ERROR, nothing delivered",
		 test_datagram_truncated, NULL, 60);
	test_add("ncid_below_prior", "a NEW_CONNECTION_ID below the Retire Prior To of an earlier one: answered with RETIRE_CONNECTION_ID of its sequence (RFC 9000 19.15), the connection goes on",
		 test_ncid_below_prior, NULL, 60);
	test_add("tiny_frames", "1000 small packets of one 64-byte STREAM frame each, in order, to a server that does not read: held within SO_RCVBUF (not a datagram's buffer each), none refused; read afterwards, all there in order",
		 test_tiny_frames, NULL, 60);
	return runner_main(argc, argv);
}
