// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_packet: mutated QUIC packets against quic.ko over loopback, in two
 * modes, each followed by the checks that the kernel survived them.
 *
 * initial: Initial packets built here (their keys come from the
 *	Destination Connection ID, RFC 9001 section 5.2; tests/forge.h),
 *	sent from several UDP source ports to a listener whose application
 *	loops on accept() and runs libquic's server handshake on what it
 *	gets.  The mutations: header fields (first byte, version, DCID and
 *	SCID lengths from 0 to 255, token and Length fields with every
 *	varint size and edge values up to 2^62-1), packets that open fine
 *	and carry hostile frames (every frame type with random and edge
 *	fields, truncated frames, unknown types, a real ClientHello cut,
 *	moved and corrupted), coalesced packets with garbage after them,
 *	bit flips and truncations after protection, and raw random bytes.
 *
 * 1rtt: short header packets inside connections between our own client
 *	and server, protected with the connection's real 1-RTT keys (from
 *	the NSS key log GnuTLS writes when SSLKEYLOGFILE is set, with
 *	TLS_AES_128_GCM_SHA256 forced on the client) and sent from a raw
 *	socket that claims the client's address and port, to the server's
 *	connection ID, with packet numbers the server expects.  Most are
 *	"sane": every frame type a server accepts from a client, fields
 *	random but within what the connection allows, so that the
 *	connection lives and the frames' effects pile up (streams, flow
 *	control, ACKs of the packets the server really sent, connection
 *	IDs, path challenges, key updates); some are corrupted on the wire
 *	(they must not open); one in a while is "wild": any frame with any
 *	field, which ends the connection more often than not, and the next
 *	connection takes over.  The server's answers are read off the
 *	loopback (a raw socket) and opened with its keys: its ACK frames
 *	tell how many of our packets it accepted, its NEW_CONNECTION_ID
 *	frames which connection IDs it issued.  We send to one of those;
 *	a sane RETIRE_CONNECTION_ID retires only IDs the server issued
 *	and keeps one live, and when it retires the ID in use, that packet
 *	and the next go to another (retiring the ID a packet is sent to is
 *	a PROTOCOL_VIOLATION, RFC 9000 section 19.16); now and then we move
 *	to another on our own, and a connection left with no live ID makes
 *	way for a new one.  A connection that a sane packet ends, or that
 *	stops answering, with no wild packet sent to it, fails the test;
 *	but for up to two that stop answering after the server's socket
 *	dropped or refused some of our packets (a backlog full while its
 *	application read): we never send anything again, so what those
 *	carried leaves gaps that the rest waits behind.
 *
 * After each mode a normal client connects to the same server and
 * transfers 1 MiB both ways; every socket is closed, and the kernel's
 * slab memory must come back to within 2 MiB of where it was, no QUIC
 * socket may be left, and the kernel must not have been tainted (a
 * WARN, BUG or oops taints it).
 *
 * The mutations come from a deterministic PRNG whose seed is printed;
 * QUIC_FUZZ_SEED sets it to repeat a run (the kernel's own random
 * connection IDs and the timing still differ).
 *
 * Runs as root (raw sockets) in a guest with quic.ko loaded; prints TAP
 * (tests/tap.h), each mode isolated in a child (tests/lib/runner.h).
 *
 * Usage: fuzz_packet [-v] [-l] [-t GLOB]...
 *	QUIC_FUZZ_PACKETS	datagrams per mode (see the defaults below)
 *	QUIC_FUZZ_SEED		the PRNG seed (decimal or 0x hex)
 *	QUIC_FUZZ_SECS		time limit of a mode's sending (45 s): on a
 *				slow (debug) kernel fewer datagrams go out,
 *				and the output says so
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/quic.h>
#include <linux/sock_diag.h>
#include <netinet/quic.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "lib/testlib.h"
#include "forge.h"

/*
 * Defaults measured in the TCG guest (2 vCPUs) on the Debian 6.1 and 6.12
 * kernels: the Initial mode sends 2000 to 6000 datagrams a second there
 * (as busy as the host is), the 1-RTT mode 2400 to 3500 (it costs more
 * per datagram: its own connection setups, the server's answers opened
 * here); under a minute for both with the checks, most of the time.  A
 * debug kernel is several times slower: there the time limit ends each
 * mode's sending (tests/guest.sh sets it).
 */
#define INITIAL_PACKETS		60000
#define ONERTT_PACKETS		80000
#define FUZZ_SECS		45

#define SLAB_BOUND_KIB		2048	/* growth allowed after a mode */
#define XFER_SIZE		(1 * MIB)

/* ------------------------------------------------------------- knobs */

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);
	char *end;
	uint64_t v;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtoull(s, &end, 0);
	return errno || *end ? def : v;
}

/* the seed of this run: QUIC_FUZZ_SEED, else a fresh one; chosen in
 * main(), before the tests' children are forked, so that both modes
 * print the same one and one variable repeats the run
 */
static uint64_t fuzz_seed(void)
{
	static uint64_t seed;
	static int have;

	if (have)
		return seed;
	if (getenv("QUIC_FUZZ_SEED"))
		seed = env_u64("QUIC_FUZZ_SEED", 0);
	else
		gnutls_rnd(GNUTLS_RND_NONCE, &seed, sizeof(seed));
	have = 1;
	return seed;
}

/*
 * libquic logs every failed handshake, and the fuzz makes thousands:
 * counted, not printed, unless -v or QUIC_TEST_VERBOSE asks for them.
 */
static int verbose;
static uint64_t libquic_msgs;	/* __atomic */

static void count_log(int level, const char *msg)
{
	(void)level;
	(void)msg;
	__atomic_add_fetch(&libquic_msgs, 1, __ATOMIC_RELAXED);
}

static void quiet_libquic(void)
{
	if (!verbose && !getenv("QUIC_TEST_VERBOSE"))
		quic_set_log_func(count_log);
}

/* ------------------------------------------------ a deterministic PRNG */

/* xoshiro256**, seeded through splitmix64 */
struct rng {
	uint64_t	s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rnd64(struct rng *r)
{
	uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

/* uniform in [0, n); 0 when n is 0 */
static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? rnd64(r) % n : 0;
}

/* true once in @n */
static bool one_in(struct rng *r, uint64_t n)
{
	return below(r, n) == 0;
}

static void rnd_fill(struct rng *r, uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!(i & 7))
			v = rnd64(r);
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* the values where a decoder's arithmetic and limits break */
static const uint64_t edge_values[] = {
	0, 1, 2, 7, 8, 63, 64, 255, 256, 1199, 1200, 1500, 16383, 16384,
	65535, 65536, (1ULL << 30) - 1, 1ULL << 30, (1ULL << 32) - 1,
	1ULL << 32, (1ULL << 60) - 1, 1ULL << 60, (1ULL << 60) + 1,
	VARINT_MAX - 1, VARINT_MAX,
};

#define N_EDGES	(sizeof(edge_values) / sizeof(edge_values[0]))

/* a varint value: an edge, near an edge, small, or of any magnitude */
static uint64_t vedge(struct rng *r)
{
	uint64_t v;

	switch (below(r, 4)) {
	case 0:
		return edge_values[below(r, N_EDGES)];
	case 1:
		v = edge_values[below(r, N_EDGES)] + below(r, 5);
		v = v >= 2 ? v - 2 : v;
		return v > VARINT_MAX ? VARINT_MAX : v;
	case 2:
		return below(r, 64);
	default:
		return rnd64(r) >> (2 + below(r, 62));
	}
}

/* ------------------------------------------------- a bounded writer */

/* struct wb and its plain writes are in tests/forge.h; here what is
 * random
 */
static void wb_rand(struct wb *w, struct rng *r, size_t n)
{
	if (w->len + n > w->cap) {
		n = w->cap - w->len;
		w->full = true;
	}
	rnd_fill(r, w->p + w->len, n);
	w->len += n;
}

/* a varint, now and then in a longer encoding than needed (valid) */
static void wb_v(struct wb *w, struct rng *r, uint64_t v)
{
	static const size_t lens[] = { 2, 4, 8 };
	size_t len = forge_varint_len(v), l;

	if (one_in(r, 12)) {
		l = lens[below(r, 3)];
		if (l > len)
			len = l;
	}
	wb_varint_len(w, v, len);
}

/* ======================================================== frames */

/* What the server was told in our transport parameters (1-RTT mode):
 * the sane frames stay inside it.
 */
#define SRV_MAX_STREAMS		100
#define SRV_STREAM_WINDOW	(256 * KIB)
#define SRV_MAX_DATA		(16 * MIB)
#define SRV_CID_LIMIT		8
#define SRV_DGRAM_MAX		1200

#define NSTREAMS		64	/* per direction type; < SRV_MAX_STREAMS */
#define STREAM_BUDGET		(60 * KIB)	/* bytes per stream, < window */

/* one of our (client-initiated) streams, as the server has seen it */
struct ostream {
	uint64_t	off;		/* highest offset sent */
	bool		done;		/* FIN or RESET_STREAM sent */
};

/*
 * A connection ID the server issued (RFC 9000 section 5.1): sequence 0
 * from the Source Connection ID of its first packet, the others from
 * the NEW_CONNECTION_ID frames of its 1-RTT packets, which the sniffer
 * opens.  We send to one of them (conn_state.cur); it stays usable until
 * we retire it or the server's Retire Prior To passes it.
 */
#define SRV_CIDS		32	/* remembered per connection */
#define RETIRED_SEQS		4096	/* retirements remembered */

struct srv_cid {
	uint64_t	seq;
	uint8_t		id[20];
	uint8_t		len;
	bool		live;		/* ours to send to */
	bool		to_retire;	/* Retire Prior To passed it: we owe
					 * the server a RETIRE_CONNECTION_ID
					 */
};

/* what keeps the sane 1-RTT frames valid for one connection */
struct conn_state {
	/* the server's packets, as read off the loopback */
	bool		srv_seen;
	uint64_t	srv_first, srv_largest;
	double		srv_largest_t;	/* when we read it */
	/* the server's connection IDs, and the one we send to */
	struct srv_cid	cids[SRV_CIDS];
	unsigned int	ncids;
	unsigned int	cur;
	uint64_t	srv_prior;	/* its largest Retire Prior To */
	/* the sequence numbers we retired (by sane frames, and maybe by
	 * wild ones), below RETIRED_SEQS: a NEW_CONNECTION_ID for one of
	 * them is not learned again, however long ago its slot was reused
	 */
	uint64_t	retired[RETIRED_SEQS / 64];
	struct ostream	bidi[NSTREAMS];	/* bidi[0]: the control stream */
	struct ostream	uni[NSTREAMS];
	uint64_t	ncid_seq;	/* our next NEW_CONNECTION_ID */
	bool		ncid_stop;	/* a wild one took the sequence space */
	/* a sane NEW_CONNECTION_ID waits for the ACK of what the server
	 * sent since the last one (its RETIRE_CONNECTION_ID among it)
	 */
	bool		ncid_wait;
	uint64_t	ncid_srv_largest;	/* srv_largest at the last */
};

/* what the generator did with the server's connection IDs */
struct cid_stats {
	uint64_t	learned;	/* IDs read off the server's answers */
	uint64_t	retired;	/* retired by sane frames */
	uint64_t	retired_cur;	/* ... the one in use: we moved on */
	uint64_t	switched;	/* moved to another on our own */
	uint64_t	out;		/* connections left without one */
};

/* the generator's state: the PRNG, the kind of packet, what it is for */
struct fz {
	struct rng		r;
	bool			wild;	/* anything goes in this packet */
	bool			app;	/* 1-RTT, else Initial */
	struct conn_state	*cs;	/* 1-RTT */
	struct cid_stats	cid;	/* 1-RTT */
	const uint8_t		*hello;	/* Initial: a real ClientHello */
	size_t			hello_len;
};

static void retired_mark(struct conn_state *cs, uint64_t seq)
{
	if (seq < RETIRED_SEQS)
		cs->retired[seq / 64] |= 1ULL << (seq % 64);
}

static bool retired_has(const struct conn_state *cs, uint64_t seq)
{
	return seq < RETIRED_SEQS && cs->retired[seq / 64] >> (seq % 64) & 1;
}

/* the server ID we send to, or NULL when none is known */
static const struct srv_cid *cid_cur(const struct conn_state *cs)
{
	return cs->ncids ? &cs->cids[cs->cur] : NULL;
}

/*
 * A server connection ID learned: a new sequence number is kept (in a
 * free or dead slot), one already known or already retired is not.
 * Retire Prior To @prior: the IDs below it may no longer be used, and
 * the server waits for their retirement.
 */
static void cid_learn(struct conn_state *cs, struct cid_stats *st,
		      uint64_t seq, uint64_t prior, const uint8_t *id,
		      size_t len)
{
	struct srv_cid *c = NULL;
	unsigned int i;

	if (prior > cs->srv_prior) {
		cs->srv_prior = prior;
		for (i = 0; i < cs->ncids; i++) {
			if (cs->cids[i].seq >= prior || !cs->cids[i].live)
				continue;
			cs->cids[i].live = false;
			cs->cids[i].to_retire = true;
		}
	}
	if (len < 1 || len > 20)
		return;
	for (i = 0; i < cs->ncids; i++)
		if (cs->cids[i].seq == seq)
			return;
	/* retired already: the server sent it again, or a wild frame
	 * retired it before we saw it
	 */
	if (retired_has(cs, seq))
		return;
	if (cs->ncids < SRV_CIDS) {
		c = &cs->cids[cs->ncids++];
	} else {
		for (i = 0; i < SRV_CIDS && !c; i++)
			if (!cs->cids[i].live && !cs->cids[i].to_retire &&
			    i != cs->cur)
				c = &cs->cids[i];
		if (!c)
			return;
	}
	c->seq = seq;
	memcpy(c->id, id, len);
	c->len = (uint8_t)len;
	c->live = seq >= cs->srv_prior;
	c->to_retire = !c->live;
	st->learned++;
}

/* a live ID other than the one in use, at random: its index, or -1 */
static int cid_other(struct conn_state *cs, struct rng *r)
{
	unsigned int i, n = 0, pick;

	for (i = 0; i < cs->ncids; i++)
		n += cs->cids[i].live && i != cs->cur;
	if (!n)
		return -1;
	pick = (unsigned int)below(r, n);
	for (i = 0; i < cs->ncids; i++)
		if (cs->cids[i].live && i != cs->cur && !pick--)
			return (int)i;
	return -1;
}

/*
 * Before each packet: the ID in use must still be live (a wild frame or
 * the server's Retire Prior To may have ended it), else another; now and
 * then another on our own (RFC 9000 section 9.5 lets a client change at
 * any time).  false when no live ID is left: the connection is of no
 * more use.
 */
static bool cid_check(struct conn_state *cs, struct cid_stats *st,
		      struct rng *r)
{
	int i;

	if (!cs->ncids)
		return false;
	if (cs->cids[cs->cur].live && !one_in(r, 200))
		return true;
	i = cid_other(cs, r);
	if (i >= 0) {
		if (cs->cids[cs->cur].live)
			st->switched++;
		cs->cur = (unsigned int)i;
	}
	return cs->cids[cs->cur].live;
}

/*
 * A wild frame names stream @id: if it is one of ours, the sane frames
 * leave it alone from now on (its final size or flow control may be
 * anything now, should the connection outlive the packet).
 */
static uint64_t wild_touch(struct fz *f, uint64_t id)
{
	struct conn_state *cs = f->cs;

	if (cs && !(id & 1) && id < 4 * NSTREAMS) {
		if (id & 2)
			cs->uni[id / 4].done = true;
		else
			cs->bidi[id / 4].done = true;
	}
	return id;
}

/* a stream ID for a wild frame: any, a server's, one beyond the limit,
 * or one of ours
 */
static uint64_t wild_stream_id(struct fz *f)
{
	struct rng *r = &f->r;

	switch (below(r, 4)) {
	case 0:
		return wild_touch(f, vedge(r));
	case 1:	/* server-initiated: not ours to use */
		return 4 * below(r, 2 * SRV_MAX_STREAMS) + 1 + 2 * below(r, 2);
	case 2:	/* beyond the limit the server gave */
		return 4 * (SRV_MAX_STREAMS + below(r, 1000)) + 2 * below(r, 2);
	default:
		return wild_touch(f, 4 * below(r, NSTREAMS) +
				     2 * below(r, 2));
	}
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* ACK (RFC 9000 section 19.3): sane ones acknowledge only packets the
 * server sent, as read off the loopback; wild ones anything
 */
static void gen_ack(struct fz *f, struct wb *w, uint8_t type)
{
	struct rng *r = &f->r;
	struct conn_state *cs = f->cs;
	uint64_t largest, smallest, first, gap, rlen, next, ranges[8][2];
	unsigned int n = 0, i;

	if (f->wild || !cs || !cs->srv_seen) {
		wb_v(w, r, cs && cs->srv_seen && one_in(r, 2) ?
			   cs->srv_largest + below(r, 3) : vedge(r));
		wb_v(w, r, vedge(r));		/* ACK Delay */
		n = (unsigned int)below(r, 5);
		wb_v(w, r, one_in(r, 4) ? vedge(r) : n);	/* Range Count */
		wb_v(w, r, one_in(r, 2) ? below(r, 4) : vedge(r));
		for (i = 0; i < n; i++) {
			wb_v(w, r, one_in(r, 2) ? below(r, 4) : vedge(r));
			wb_v(w, r, one_in(r, 2) ? below(r, 4) : vedge(r));
		}
		if (type == F_ACK_ECN)
			for (i = 0; i < 3; i++)
				wb_v(w, r, vedge(r));
		return;
	}
	/*
	 * The largest is the largest received, as from any receiver, with
	 * the time since as ACK Delay (the client's ack_delay_exponent, 3):
	 * the server's RTT samples stay true.  An older largest, acked
	 * late, would count our delay as RTT, and the server's pacing
	 * would slow down to a stall.  Mostly every packet since the first
	 * (the server's loss detection has nothing to do), sometimes only
	 * some.
	 */
	largest = cs->srv_largest;
	if (one_in(r, 4))
		first = below(r, 1 + min64(largest - cs->srv_first, 64));
	else
		first = min64(largest - cs->srv_first, 1000);
	/* the server answered our last NEW_CONNECTION_ID, and this
	 * acknowledges its answer: the next one may go
	 */
	if (largest > cs->ncid_srv_largest && first >= largest -
	    cs->ncid_srv_largest)
		cs->ncid_wait = false;
	smallest = largest - first;
	while (n < 8 && first < 64 && one_in(r, 2)) {
		gap = below(r, 8);
		if (smallest < cs->srv_first + gap + 2)
			break;
		next = smallest - gap - 2;
		rlen = below(r, 1 + min64(next - cs->srv_first, 16));
		ranges[n][0] = gap;
		ranges[n++][1] = rlen;
		smallest = next - rlen;
	}
	wb_v(w, r, largest);
	/* now and then any value: the server caps it at max_ack_delay */
	wb_v(w, r, one_in(r, 64) ? vedge(r) :
		   (uint64_t)((now_s() - cs->srv_largest_t) * 1e6 / 8));
	wb_v(w, r, n);
	wb_v(w, r, first);
	for (i = 0; i < n; i++) {
		wb_v(w, r, ranges[i][0]);
		wb_v(w, r, ranges[i][1]);
	}
	if (type == F_ACK_ECN)
		for (i = 0; i < 3; i++)
			wb_v(w, r, below(r, 1000));
}

/* a stream of ours for a sane frame (not the control stream), or NULL */
static struct ostream *pick_stream(struct fz *f, uint64_t *id, bool open_only)
{
	struct conn_state *cs = f->cs;
	struct ostream *st;
	unsigned int tries, idx;
	bool uni;

	for (tries = 0; tries < 4; tries++) {
		uni = one_in(&f->r, 2);
		idx = (unsigned int)(uni ? below(&f->r, NSTREAMS) :
				     1 + below(&f->r, NSTREAMS - 1));
		st = uni ? &cs->uni[idx] : &cs->bidi[idx];
		if (st->done || (open_only && !st->off))
			continue;
		*id = 4ULL * idx + (uni ? 2 : 0);
		return st;
	}
	return NULL;
}

/*
 * STREAM (section 19.8).  Sane: one of our streams, mostly the next
 * bytes in order (so that the application reads them and the windows
 * move), sometimes a few bytes again, within the stream window; now and
 * then FIN.  Wild: any stream, offset, length and bits.  Sets *@last when
 * the frame has no Length and so runs to the end of the packet.
 */
static void gen_stream(struct fz *f, struct wb *w, size_t start, bool *last)
{
	struct rng *r = &f->r;
	uint64_t id, off, len, room;
	size_t tpos = w->len - 1;	/* the type's last byte: its bits */
	struct ostream *st;
	uint8_t type;

	if (f->wild || !f->cs) {
		type = (uint8_t)(F_STREAM | below(r, 8));
		w->p[tpos] = type;
		wb_v(w, r, one_in(r, 2) ? wild_stream_id(f) :
			   wild_touch(f, 4 * below(r, NSTREAMS)));
		off = one_in(r, 2) ? vedge(r) : below(r, 70000);
		if (type & 0x04)
			wb_v(w, r, off);
		len = one_in(r, 2) ? below(r, 300) : vedge(r);
		if (type & 0x02)
			wb_v(w, r, len);
		else
			*last = true;
		wb_rand(w, r, min64(len, wb_room(w)));
		return;
	}
	st = pick_stream(f, &id, false);
	room = wb_room(w);
	if (!st || room < 30) {
		w->len = start;
		wb_u8(w, F_PING);
		return;
	}
	off = st->off;
	if (off && one_in(r, 8))
		off -= below(r, 1 + min64(off, 300));	/* again, overlapping */
	len = 1 + below(r, one_in(r, 4) ? 1100 : 120);
	len = min64(len, room - 30);
	if (off + len > STREAM_BUDGET)
		len = off < STREAM_BUDGET ? STREAM_BUDGET - off : 0;
	type = F_STREAM | 0x02;
	if (off || one_in(r, 4))
		type |= 0x04;
	/* FIN only where it is the final size: at or past what was sent */
	if (off + len >= st->off && (one_in(r, 24) || off + len >= STREAM_BUDGET))
		type |= 0x01;
	if (one_in(r, 6)) {
		type &= (uint8_t)~0x02;	/* no Length: to the end */
		*last = true;
		len = min64(len, room - 30);
	}
	w->p[tpos] = type;
	wb_v(w, r, id);
	if (type & 0x04)
		wb_v(w, r, off);
	if (type & 0x02)
		wb_v(w, r, len);
	wb_rand(w, r, len);
	if (off + len > st->off)
		st->off = off + len;
	if (type & 0x01)
		st->done = true;
}

/* CRYPTO (section 19.6): in an Initial, pieces of a real ClientHello */
static void gen_crypto(struct fz *f, struct wb *w)
{
	struct rng *r = &f->r;
	uint64_t off, len;
	size_t at;

	if (f->hello_len && !f->app && (!f->wild || one_in(r, 2))) {
		if (one_in(r, 2)) {
			off = 0;
			len = f->hello_len;
		} else {
			off = below(r, f->hello_len);
			len = 1 + below(r, f->hello_len - off);
		}
		if (!f->wild)
			len = min64(len, wb_room(w) - 20);
		if (f->wild && one_in(r, 2))
			off += one_in(r, 2) ? vedge(r) : below(r, 70000);
		off = min64(off, VARINT_MAX);
		wb_v(w, r, off);
		wb_v(w, r, len);
		at = w->len;
		wb_bytes(w, f->hello + (off < f->hello_len ? off : 0),
			 min64(len, f->hello_len - (off < f->hello_len ?
						    off : 0)));
		if (f->wild && w->len > at) {
			/* corrupt the message: a TLS parser's turn */
			w->p[at + below(r, w->len - at)] ^=
				(uint8_t)(1 + below(r, 255));
		}
		return;
	}
	off = f->wild ? vedge(r) : below(r, 4096);
	len = f->wild && one_in(r, 2) ? vedge(r) :
	      min64(below(r, 200), wb_room(w) - 20);
	wb_v(w, r, off);
	wb_v(w, r, len);
	wb_rand(w, r, min64(len, wb_room(w)));
}

/*
 * NEW_CONNECTION_ID (section 19.15): sane ones number on from the real
 * client's last (conn_open()), retire so that at most three of ours are
 * active (the server's limit is SRV_CID_LIMIT), and are 8 bytes long
 * like the kernel's own.  A wild one the server may have taken moves the
 * numbering past it; past the end of the sequence space, no more.
 *
 * Each sane one makes the server retire one of ours, and the server
 * bounds the retirements not yet acknowledged (at twice its limit: a
 * peer that churns faster than it acknowledges is a CONNECTION_ID_LIMIT
 * error).  So a sane one goes only once a sane ACK covered what the
 * server sent after the one before; until then, a PING.  Sixteen in a
 * row with no such ACK between them closed a connection (seed
 * 0xe8a37f85159961a3).
 */
static void gen_new_cid(struct fz *f, struct wb *w, size_t start)
{
	struct rng *r = &f->r;
	struct conn_state *cs = f->cs;
	uint64_t seq, prior, len;

	if (f->wild || !cs) {
		seq = vedge(r);
		prior = one_in(r, 2) ? below(r, seq + 1) : vedge(r);
		len = one_in(r, 2) ? below(r, 40) : 1 + below(r, 20);
		wb_v(w, r, seq);
		wb_v(w, r, prior);
		wb_u8(w, (uint8_t)len);
		wb_rand(w, r, one_in(r, 4) ? below(r, 40) : len + 16);
		/* should the server take it, the sane ones number on */
		if (cs && seq >= cs->ncid_seq) {
			if (seq > VARINT_MAX - 4096)
				cs->ncid_stop = true;
			else
				cs->ncid_seq = seq;
		}
		return;
	}
	if (cs->ncid_stop || cs->ncid_wait) {
		w->len = start;
		wb_u8(w, F_PING);
		return;
	}
	cs->ncid_wait = true;
	cs->ncid_srv_largest = cs->srv_largest;
	seq = ++cs->ncid_seq;
	prior = seq > 2 ? seq - 2 : 0;
	wb_v(w, r, seq);
	wb_v(w, r, prior);
	wb_u8(w, 8);
	wb_rand(w, r, 8 + 16);
}

/*
 * RETIRE_CONNECTION_ID (section 19.16).  Sane: one the server's Retire
 * Prior To asked for, else one of its live IDs.  The ID the packet is
 * sent to may not be retired in it (a PROTOCOL_VIOLATION): when the pick
 * is the one in use, the packet, and the ones after it, go to another
 * live ID (the packet is sealed after its frames are made); when there
 * is none, no retirement.  Wild: any sequence number, the one in use too
 * (then the close is expected); one we may still use is not used again.
 */
static void gen_retire(struct fz *f, struct wb *w, size_t start)
{
	struct rng *r = &f->r;
	struct conn_state *cs = f->cs;
	unsigned int i, n = 0, pick, idx = 0;
	uint64_t seq;
	int other;

	if (f->wild || !cs) {
		seq = one_in(r, 2) ? below(r, 12) : vedge(r);
		if (!one_in(r, 4) && cs && cs->ncids)	/* one it issued */
			seq = cs->cids[below(r, cs->ncids)].seq;
		wb_v(w, r, seq);
		if (cs)
			retired_mark(cs, seq);
		for (i = 0; cs && i < cs->ncids; i++) {
			if (cs->cids[i].seq != seq)
				continue;
			cs->cids[i].live = false;
			cs->cids[i].to_retire = false;
		}
		return;
	}
	for (i = 0; i < cs->ncids; i++)
		if (cs->cids[i].to_retire && i != cs->cur)
			break;
	if (i < cs->ncids) {
		idx = i;
	} else {
		for (i = 0; i < cs->ncids; i++)
			n += cs->cids[i].live;
		if (n < 2) {		/* the last one stays */
			w->len = start;
			wb_u8(w, F_PING);
			return;
		}
		pick = (unsigned int)below(r, n);
		for (i = 0; i < cs->ncids; i++)
			if (cs->cids[i].live && !pick--)
				break;
		idx = i;
	}
	if (idx == cs->cur) {
		other = cid_other(cs, r);
		if (other < 0) {
			w->len = start;
			wb_u8(w, F_PING);
			return;
		}
		cs->cur = (unsigned int)other;
		f->cid.retired_cur++;
	}
	wb_v(w, r, cs->cids[idx].seq);
	retired_mark(cs, cs->cids[idx].seq);
	cs->cids[idx].live = false;
	cs->cids[idx].to_retire = false;
	f->cid.retired++;
}

/* CONNECTION_CLOSE (section 19.19), either kind */
static void gen_close(struct fz *f, struct wb *w, uint8_t type)
{
	struct rng *r = &f->r;
	uint64_t len;

	wb_v(w, r, one_in(r, 2) ? below(r, 0x20) : vedge(r));
	if (type == F_CONNECTION_CLOSE)
		wb_v(w, r, one_in(r, 2) ? below(r, 0x40) : vedge(r));
	len = one_in(r, 2) ? below(r, 100) : vedge(r);
	wb_v(w, r, len);
	wb_rand(w, r, min64(len, wb_room(w)));
}

/* a frame type for a wild frame: a known one, or not */
static uint64_t wild_type(struct rng *r)
{
	switch (below(r, 10)) {
	case 0:
		switch (below(r, 4)) {
		case 0:
			return 0x1f;
		case 1:
			return 0x20 + below(r, 16);
		case 2:
			return 0x32 + below(r, 14);
		default:
			return vedge(r);
		}
	case 1:
		return one_in(r, 2) ? F_DATAGRAM : F_DATAGRAM_LEN;
	default:
		return below(r, 0x1f);
	}
}

/* a frame type a server accepts from a client in a 1-RTT packet, by
 * weight
 */
static uint64_t sane_app_type(struct rng *r)
{
	static const uint8_t w[] = {
		F_STREAM, F_STREAM, F_STREAM, F_STREAM, F_STREAM, F_STREAM,
		F_ACK, F_ACK, F_ACK, F_ACK_ECN, F_PING, F_PING, F_PADDING,
		F_MAX_DATA, F_MAX_STREAM_DATA, F_MAX_STREAMS_BIDI,
		F_MAX_STREAMS_UNI, F_DATA_BLOCKED, F_STREAM_DATA_BLOCKED,
		F_STREAMS_BLOCKED_BIDI, F_STREAMS_BLOCKED_UNI, F_RESET_STREAM,
		F_STOP_SENDING, F_STOP_SENDING, F_NEW_CONNECTION_ID,
		F_RETIRE_CONNECTION_ID, F_PATH_CHALLENGE, F_PATH_CHALLENGE,
		F_DATAGRAM_LEN, F_DATAGRAM_LEN, F_DATAGRAM,
	};

	return w[below(r, sizeof(w))];
}

/* a frame type a server accepts in a client Initial (section 12.4) */
static uint64_t sane_initial_type(struct rng *r)
{
	static const uint8_t w[] = {
		F_CRYPTO, F_CRYPTO, F_CRYPTO, F_PING, F_PADDING,
	};

	return w[below(r, sizeof(w))];
}

/*
 * One frame of type @type at the end of @w.  Sane frames keep to what
 * the connection allows (f->cs); wild ones take any value, and one in six
 * is cut short.  *@last: nothing may follow it in the packet.
 */
static void gen_frame(struct fz *f, struct wb *w, uint64_t type, bool *last)
{
	struct rng *r = &f->r;
	struct conn_state *cs = f->cs;
	size_t start = w->len;
	struct ostream *st;
	uint64_t id, v, len;

	/* the type; wild ones sometimes longer than the shortest encoding,
	 * which RFC 9000 section 12.4 forbids
	 */
	if (f->wild && one_in(r, 16))
		wb_varint_len(w, type, 2 << below(r, 3));
	else
		wb_varint_len(w, type, 0);
	switch (type) {
	case F_PADDING:
		wb_zero(w, below(r, 32));
		break;
	case F_PING:
	case F_HANDSHAKE_DONE:
		break;
	case F_ACK:
	case F_ACK_ECN:
		gen_ack(f, w, (uint8_t)type);
		break;
	case F_RESET_STREAM:
		if (f->wild || !cs) {
			wb_v(w, r, wild_stream_id(f));
			wb_v(w, r, vedge(r));
			wb_v(w, r, vedge(r));
		} else if ((st = pick_stream(f, &id, true))) {
			wb_v(w, r, id);
			wb_v(w, r, vedge(r));
			wb_v(w, r, st->off);	/* the final size: all sent */
			st->done = true;
		} else {		/* no stream to reset yet */
			w->len = start;
			wb_u8(w, F_PING);
		}
		break;
	case F_STOP_SENDING:
		/* a client bidi stream: one the server can send on */
		wb_v(w, r, !f->wild && cs ? 4 * (1 + below(r, NSTREAMS - 1)) :
					    wild_stream_id(f));
		wb_v(w, r, vedge(r));
		break;
	case F_CRYPTO:
		gen_crypto(f, w);
		break;
	case F_NEW_TOKEN:
		len = one_in(r, 3) ? vedge(r) : below(r, 100);
		wb_v(w, r, len);
		wb_rand(w, r, min64(len, wb_room(w)));
		break;
	case F_STREAM ... F_STREAM + 7:
		gen_stream(f, w, start, last);
		break;
	case F_MAX_DATA:
	case F_DATA_BLOCKED:
		wb_v(w, r, vedge(r));
		break;
	case F_MAX_STREAM_DATA:
		/* sane: a bidi stream; the server's receive-only ones
		 * (client uni) may not get it
		 */
		wb_v(w, r, !f->wild && cs ? 4 * below(r, NSTREAMS) :
					    wild_stream_id(f));
		wb_v(w, r, vedge(r));
		break;
	case F_STREAM_DATA_BLOCKED:
		wb_v(w, r, !f->wild && cs ? 4 * below(r, NSTREAMS) +
					    2 * below(r, 2) :
					    wild_stream_id(f));
		wb_v(w, r, vedge(r));
		break;
	case F_MAX_STREAMS_BIDI:
	case F_MAX_STREAMS_UNI:
	case F_STREAMS_BLOCKED_BIDI:
	case F_STREAMS_BLOCKED_UNI:
		v = vedge(r);
		/* section 19.11: at most 2^60 */
		wb_v(w, r, !f->wild && v > (1ULL << 60) ? 1ULL << 60 : v);
		break;
	case F_NEW_CONNECTION_ID:
		gen_new_cid(f, w, start);
		break;
	case F_RETIRE_CONNECTION_ID:
		gen_retire(f, w, start);
		break;
	case F_PATH_CHALLENGE:
	case F_PATH_RESPONSE:
		wb_rand(w, r, 8);
		break;
	case F_CONNECTION_CLOSE:
	case F_CONNECTION_CLOSE_APP:
		gen_close(f, w, (uint8_t)type);
		break;
	case F_DATAGRAM:
		*last = true;
		wb_rand(w, r, min64(wb_room(w), below(r, 1000)));
		break;
	case F_DATAGRAM_LEN:
		len = f->wild && one_in(r, 2) ? vedge(r) :
		      min64(below(r, 1000), wb_room(w) - 10);
		wb_v(w, r, len);
		wb_rand(w, r, min64(len, wb_room(w)));
		break;
	default:	/* unknown: whatever might follow */
		wb_rand(w, r, below(r, 16));
		break;
	}
	if (f->wild && w->len > start + 1 && one_in(r, 6)) {
		w->len = start + 1 + below(r, w->len - start - 1);
		*last = true;
	}
}

/*
 * The frames of one packet into @w: sane or wild (f->wild), for an
 * Initial or a 1-RTT packet (f->app).  Wild packets sometimes end in
 * random bytes.
 */
static void gen_frames(struct fz *f, struct wb *w)
{
	struct rng *r = &f->r;
	unsigned int n = 1 + (unsigned int)below(r, 6), i;
	bool last = false;
	uint64_t type;

	for (i = 0; i < n && !last && wb_room(w) > 40; i++) {
		if (f->wild && one_in(r, 2))
			type = wild_type(r);
		else
			type = f->app ? sane_app_type(r) : sane_initial_type(r);
		gen_frame(f, w, type, &last);
	}
	if (f->wild && !last && one_in(r, 8))
		wb_rand(w, r, below(r, 1 + min64(wb_room(w), 64)));
}

/* ======================================================== the server */

/*
 * The application under attack: a listener whose thread loops on
 * accept() and gives each connection to a worker thread that runs
 * libquic's server handshake, at most SRV_WORKERS at once (a busy server
 * closes the others at once).  Connections whose handshake succeeds wait
 * for the test to take them by the client's port (server_take()); the
 * others are closed.
 */
#define SRV_WORKERS	8
#define SRV_READY	16

struct server {
	int		lfd;
	uint16_t	port;
	pthread_t	th;
	bool		started;
	int		stop;		/* __atomic, as every int below */
	int		hs_tmo_ms;	/* the workers' socket timeouts */
	int		workers;	/* running */
	uint64_t	accepted, busy, hs_ok, hs_fail;
	pthread_mutex_t	lock;
	pthread_cond_t	cond;
	int		ready_fd[SRV_READY];	/* handshaken, not taken */
	uint16_t	ready_port[SRV_READY];
	int		nready;
};

struct worker_arg {
	struct server	*s;
	int		fd;
};

static uint16_t peer_port(int fd)
{
	struct addr a;

	a.len = sizeof(a.ss);
	if (getpeername(fd, &a.sa, &a.len))
		return 0;
	return ntohs(a.sa.sa_family == AF_INET ? a.v4.sin_port :
						 a.v6.sin6_port);
}

#define ATOMIC_INC(p)	__atomic_add_fetch(p, 1, __ATOMIC_RELAXED)
#define ATOMIC_GET(p)	__atomic_load_n(p, __ATOMIC_RELAXED)

static void *server_worker(void *arg)
{
	struct worker_arg *w = arg;
	struct server *s = w->s;
	int fd = w->fd;

	free(w);
	set_timeouts(fd, ATOMIC_GET(&s->hs_tmo_ms));
	if (!quic_server_handshake(fd, creds.psk, NULL, ALPN)) {
		ATOMIC_INC(&s->hs_ok);
		pthread_mutex_lock(&s->lock);
		if (s->nready < SRV_READY) {
			s->ready_fd[s->nready] = fd;
			s->ready_port[s->nready++] = peer_port(fd);
			fd = -1;
			pthread_cond_broadcast(&s->cond);
		}
		pthread_mutex_unlock(&s->lock);
	} else {
		ATOMIC_INC(&s->hs_fail);
	}
	if (fd >= 0)
		close(fd);
	__atomic_sub_fetch(&s->workers, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *server_main(void *arg)
{
	struct server *s = arg;
	struct worker_arg *w;
	pthread_attr_t attr;
	pthread_t t;
	int fd;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	while (!ATOMIC_GET(&s->stop)) {
		fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			continue;	/* the listener's 100 ms timeout */
		ATOMIC_INC(&s->accepted);
		w = malloc(sizeof(*w));
		if (!w || ATOMIC_GET(&s->workers) >= SRV_WORKERS) {
			ATOMIC_INC(&s->busy);
			free(w);
			close(fd);
			continue;
		}
		w->s = s;
		w->fd = fd;
		ATOMIC_INC(&s->workers);
		if (pthread_create(&t, &attr, server_worker, w)) {
			__atomic_sub_fetch(&s->workers, 1, __ATOMIC_RELAXED);
			ATOMIC_INC(&s->busy);
			free(w);
			close(fd);
		}
	}
	pthread_attr_destroy(&attr);
	return NULL;
}

/* 0, or -1 with errno */
static int server_start(struct server *s, const struct quic_transport_param *tp,
			int backlog, int hs_tmo_ms)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->hs_tmo_ms = hs_tmo_ms;
	s->lfd = listener(AF_INET, tp, backlog, 100, &s->port);
	if (s->lfd < 0)
		return -1;
	if (pthread_create(&s->th, NULL, server_main, s)) {
		close(s->lfd);
		s->lfd = -1;
		return -1;
	}
	s->started = true;
	return 0;
}

/* wait until no worker runs; false after @ms */
static bool server_idle(struct server *s, int ms)
{
	double t0 = now_s();

	while (__atomic_load_n(&s->workers, __ATOMIC_ACQUIRE)) {
		if (now_s() - t0 > ms / 1000.0)
			return false;
		msleep(10);
	}
	return true;
}

/* the handshaken server side of the client on @port, within @ms, or -1 */
static int server_take(struct server *s, uint16_t port, int ms)
{
	struct timespec ts;
	int fd = -1, i;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->lock);
	for (;;) {
		for (i = 0; i < s->nready; i++) {
			if (s->ready_port[i] != port)
				continue;
			fd = s->ready_fd[i];
			s->ready_fd[i] = s->ready_fd[--s->nready];
			s->ready_port[i] = s->ready_port[s->nready];
			break;
		}
		if (fd >= 0 || pthread_cond_timedwait(&s->cond, &s->lock, &ts))
			break;
	}
	pthread_mutex_unlock(&s->lock);
	return fd;
}

static void server_stop(struct server *s)
{
	int i;

	__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
	if (s->started)
		pthread_join(s->th, NULL);
	s->started = false;
	server_idle(s, 30000);
	for (i = 0; i < s->nready; i++)
		close(s->ready_fd[i]);
	s->nready = 0;
	if (s->lfd >= 0)
		close(s->lfd);
	s->lfd = -1;
}

/* ======================================= is the kernel still well? */

/* /proc/sys/kernel/tainted: a WARN, BUG or oops sets a bit */
static unsigned long kernel_taint(void)
{
	unsigned long v = 0;
	FILE *f = fopen("/proc/sys/kernel/tainted", "r");

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/* QUIC sockets of this namespace (quic.ko's debugfs), or -1 if unknown */
static long quic_sockets(void)
{
	return file_field("/sys/kernel/debug/quic/sockets", "sockets:");
}

/* what a mode measures before it starts */
struct health {
	long		slab_kib;
	long		socks;
	unsigned long	taint;
};

static void health_before(struct health *h)
{
	h->taint = kernel_taint();
	h->socks = quic_sockets();
	h->slab_kib = slab_in_use_kib();
}

/*
 * After a mode: a normal client connects to the same server and moves
 * XFER_SIZE both ways; then everything is closed and the kernel must be
 * back where it was: no QUIC socket left, slab memory within
 * SLAB_BOUND_KIB, no new taint.
 */
static void after_mode(const char *mode, struct server *s,
		       const struct health *h0)
{
	struct hs_cfg hs = { .psk = 1 };
	struct pair p;
	long socks = -1, slab = -1;
	bool debug;
	double t0;
	int ret;

	pair_init(&p);
	CHECK(server_idle(s, 10000));
	__atomic_store_n(&s->hs_tmo_ms, TMO_MS, __ATOMIC_RELAXED);
	p.cfd = client_socket(AF_INET, NULL, TMO_MS, s->port);
	if (CHECK_SYS(p.cfd)) {
		t0 = now_s();
		ret = handshake(p.cfd, 0, &hs, NULL);
		tap_diag("%s: a normal client's handshake: %d (%s) in %.2f s",
			 mode, ret, strerror(-ret), now_s() - t0);
		if (CHECK_EQ(ret, 0)) {
			p.sfd = server_take(s, (uint16_t)local_port(p.cfd),
					    TMO_MS);
			if (CHECK(p.sfd >= 0)) {
				t0 = now_s();
				pair_transfer(&p, XFER_SIZE, 1, 1);
				tap_diag("%s: %llu KiB each way in %.2f s", mode,
					 XFER_SIZE / KIB, now_s() - t0);
			}
		}
	}
	pair_close(&p);
	server_stop(s);

	/* closing periods end, RCU frees: give the kernel a few seconds */
	for (t0 = now_s(); now_s() - t0 < 20; msleep(250)) {
		socks = quic_sockets();
		if (socks <= (h0->socks > 0 ? h0->socks : 0))
			break;
	}
	if (h0->socks >= 0) {
		tap_diag("%s: QUIC sockets before %ld after %ld", mode,
			 h0->socks, socks);
		CHECK(socks <= h0->socks);
	}
	/* A debug kernel (KASAN, kmemleak) keeps freed objects in KASAN's
	 * quarantine: slab says nothing there.  Its leak check is
	 * kmemleak's, which tests/vm/run.sh reads after the module is
	 * unloaded and fails the run on.
	 */
	debug = access("/sys/kernel/debug/kmemleak", F_OK) == 0;
	for (t0 = now_s(); now_s() - t0 < (debug ? 0 : 10); msleep(500)) {
		slab = slab_in_use_kib();
		if (slab >= 0 && slab - h0->slab_kib < SLAB_BOUND_KIB)
			break;
	}
	if (debug)
		slab = slab_kib();
	tap_diag("%s: slab before %ld KiB after %ld KiB (%+ld KiB)", mode,
		 h0->slab_kib, slab, slab - h0->slab_kib);
	if (debug) {
		tap_diag("%s: debug kernel: the slab bound is left to kmemleak",
			 mode);
	} else {
		CHECK(h0->slab_kib > 0 && slab > 0);
		CHECK(slab - h0->slab_kib < SLAB_BOUND_KIB);
	}
	if (!CHECK_EQ(kernel_taint() & ~h0->taint, 0))
		tap_diag("%s: the kernel is tainted now (%lu, was %lu): see dmesg",
			 mode, kernel_taint(), h0->taint);
}

/* the mode's datagram count and time limit, printed */
static void mode_plan(const char *mode, uint64_t def, uint64_t *count,
		      double *secs, uint64_t seed)
{
	*count = env_u64("QUIC_FUZZ_PACKETS", def);
	*secs = (double)env_u64("QUIC_FUZZ_SECS", FUZZ_SECS);
	tap_diag("%s: seed 0x%016llx (QUIC_FUZZ_SEED), %llu datagrams (QUIC_FUZZ_PACKETS, default %llu), at most %.0f s (QUIC_FUZZ_SECS)",
		 mode, (unsigned long long)seed, (unsigned long long)*count,
		 (unsigned long long)def, *secs);
}

/* ===================================================== Initial mode */

/*
 * A real ClientHello, for CRYPTO frames that a server's TLS library
 * parses: a client handshake to a plain UDP socket, whose first Initial
 * we open with the Initial keys of its DCID.  Its length, or 0.
 */
struct hello_arg {
	int	fd;
	int	ret;
};

static void *hello_client(void *arg)
{
	struct hello_arg *h = arg;
	struct hs_cfg hs = { .psk = 1 };

	h->ret = handshake(h->fd, 0, &hs, NULL);
	return NULL;
}

static size_t capture_hello(uint8_t *out, size_t cap, uint8_t *scid,
			    size_t *scid_len)
{
	struct addr a = mkaddr(AF_INET, NULL, 0);
	struct hello_arg h = { .fd = -1 };
	uint8_t pkt[2048], pt[2048];
	struct pollfd pfd;
	struct forge_keys k;
	uint64_t type, off, len;
	size_t got = 0, i;
	pthread_t th;
	int u, n, ptn;
	bool started = false;

	u = socket(AF_INET, SOCK_DGRAM, 0);
	if (u < 0 || bind(u, &a.sa, a.len) || local_port(u) < 0)
		goto out;
	h.fd = client_socket(AF_INET, NULL, 1000, (uint16_t)local_port(u));
	if (h.fd < 0 || pthread_create(&th, NULL, hello_client, &h))
		goto out;
	started = true;
	pfd.fd = u;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 5000) != 1)
		goto out;
	n = (int)recv(u, pkt, sizeof(pkt), 0);
	if (n < 7 || pkt[5] > 20 || 7 + pkt[5] > n ||
	    pkt[6 + pkt[5]] > 20 || 7 + pkt[5] + pkt[6 + pkt[5]] > n ||
	    forge_initial_keys(&k, pkt + 6, pkt[5], 0))
		goto out;
	/* its transport parameters name this source ID (RFC 9000 section
	 * 7.3): Initials that carry the ClientHello must come from it
	 */
	*scid_len = pkt[6 + pkt[5]];
	memcpy(scid, pkt + 7 + pkt[5], *scid_len);
	ptn = forge_open_initial(&k, pkt, (size_t)n, pt, sizeof(pt));
	for (i = 0; ptn > 0 && i < (size_t)ptn;) {
		if (forge_varint(pt, (size_t)ptn, &i, &type))
			break;
		if (type == F_PADDING || type == F_PING)
			continue;
		if (type != F_CRYPTO || forge_varint(pt, (size_t)ptn, &i, &off) ||
		    forge_varint(pt, (size_t)ptn, &i, &len) ||
		    len > (size_t)ptn - i)
			break;
		if (off == 0 && len <= cap) {
			memcpy(out, pt + i, len);
			got = len;
		}
		i += len;
	}
out:
	if (started)
		pthread_join(th, NULL);	/* its handshake times out */
	if (h.fd >= 0)
		close(h.fd);
	if (u >= 0)
		close(u);
	return got;
}

#define NSRC		6	/* source ports */
#define BIGBUF		(16 * 1024)

/* the kinds of datagram the Initial mode sends */
enum ikind {
	IK_SANE,	/* opens; frames a server takes in an Initial */
	IK_HOSTILE,	/* opens; any frame, any field, cut frames */
	IK_HEADER,	/* header fields changed before protection */
	IK_CORRUPT,	/* bits flipped, cut, overwritten after it */
	IK_COALESCED,	/* several packets, garbage after them */
	IK_SIZE,	/* opens, but under 1200 bytes or very large */
	IK_RANDOM,	/* random bytes */
	IK_OTHER,	/* short headers, Version Negotiation, Retry */
	IK_MAX
};

static const char *const ik_names[IK_MAX] = {
	"sane", "hostile", "header", "corrupt", "coalesced", "size",
	"random", "other",
};

/* by weight, out of 100 */
static const uint8_t ik_weight[IK_MAX] = { 25, 25, 15, 8, 10, 5, 7, 5 };

/* a Destination Connection ID and the packets sent with it: those after
 * the first reach the request that the first made, or the connection
 * accept() made of it
 */
struct round {
	uint8_t			dcid[20], scid[20];
	size_t			dcid_len, scid_len;
	struct forge_aead	a;
	bool			keyed;
	uint32_t		pn;
	unsigned int		left;
	int			src;
};

struct imode {
	struct fz	f;
	int		ufd[NSRC];
	struct round	rd;
	uint8_t		hello[2048];
	uint8_t		hello_scid[20];
	size_t		hello_scid_len;
	/* counters */
	uint64_t	sent, send_err, kind[IK_MAX], answers, answer_bytes;
	uint64_t	rounds;
};

/* a long header, before protection; what build_long() writes */
struct lhdr {
	uint8_t		first;		/* 0xc0 | type << 4 | pn_len - 1 */
	uint32_t	version;
	const uint8_t	*dcid, *scid;
	size_t		dcid_len, scid_len;	/* up to 255 */
	bool		token;		/* a Token Length field */
	uint64_t	token_field;	/* its value */
	size_t		token_len;	/* the bytes that follow it */
	size_t		token_enc;	/* its encoding; 0: the shortest */
	bool		len_set;	/* Length is len_value, else right */
	uint64_t	len_value;
	int64_t		len_delta;	/* added to the right one */
	size_t		len_enc;	/* 0: 2 bytes (4 for big packets) */
	uint64_t	pn;
	size_t		pn_len;
};

static void lhdr_initial(struct lhdr *h, const struct round *rd, size_t pn_len)
{
	memset(h, 0, sizeof(*h));
	h->first = (uint8_t)(0xc0 | (pn_len - 1));
	h->version = 1;
	h->dcid = rd->dcid;
	h->dcid_len = rd->dcid_len;
	h->scid = rd->scid;
	h->scid_len = rd->scid_len;
	h->token = true;
	h->pn = rd->pn;
	h->pn_len = pn_len;
}

/*
 * One long header packet at @out: @h, then the frames @pl (@plen bytes)
 * padded with PADDING so that the packet is at least @min_len bytes,
 * protected with @a (NULL: the rest is random bytes).  Its length, or -1.
 */
static int build_long(struct rng *r, struct forge_aead *a,
		      const struct lhdr *h, uint8_t *out, size_t cap,
		      const uint8_t *pl, size_t plen, size_t min_len)
{
	struct wb w = { .p = out, .cap = cap };
	size_t pn_off, body = plen, enc = h->len_enc, i;
	uint64_t lenv;
	int64_t sl;

	wb_u8(&w, h->first);
	for (i = 0; i < 4; i++)
		wb_u8(&w, (uint8_t)(h->version >> (24 - 8 * i)));
	wb_u8(&w, (uint8_t)h->dcid_len);
	wb_bytes(&w, h->dcid, h->dcid_len);
	wb_u8(&w, (uint8_t)h->scid_len);
	wb_bytes(&w, h->scid, h->scid_len);
	if (h->token) {
		wb_varint_len(&w, h->token_field, h->token_enc);
		wb_rand(&w, r, h->token_len);
	}
	if (!enc)
		enc = min_len > 16000 || plen > 16000 ? 4 : 2;
	if (w.len + enc + h->pn_len + body + 16 < min_len)
		body = min_len - w.len - enc - h->pn_len - 16;
	if (h->pn_len + body < 4)
		body = 4 - h->pn_len;
	lenv = h->pn_len + body + 16;
	if (h->len_set) {
		lenv = h->len_value;
	} else {
		sl = (int64_t)lenv + h->len_delta;
		lenv = sl < 0 ? 0 : (uint64_t)sl;
	}
	wb_varint_len(&w, lenv, enc);
	pn_off = w.len;
	for (i = 0; i < h->pn_len; i++)
		wb_u8(&w, (uint8_t)(h->pn >> (8 * (h->pn_len - 1 - i))));
	wb_bytes(&w, pl, plen);
	wb_zero(&w, body - plen);
	if (w.full || w.len + 16 > cap)
		return -1;
	if (a)
		return forge_seal(a, out, cap, pn_off, h->pn_len, h->pn, body);
	rnd_fill(r, out + pn_off, h->pn_len + body + 16);
	return (int)(pn_off + h->pn_len + body + 16);
}

/* the next DCID: mostly 8 bytes (what the listener takes), sometimes up
 * to 20 or shorter than 8 (which it must drop)
 */
static void new_round(struct imode *m)
{
	struct rng *r = &m->f.r;
	struct round *rd = &m->rd;
	struct forge_keys k;
	uint64_t c = below(r, 20);

	if (rd->keyed)
		forge_aead_deinit(&rd->a);
	rd->keyed = false;
	rd->dcid_len = c < 13 ? 8 : c < 19 ? 9 + below(r, 12) : below(r, 8);
	rd->scid_len = one_in(r, 4) ? below(r, 21) : 8;
	rnd_fill(r, rd->dcid, sizeof(rd->dcid));
	rnd_fill(r, rd->scid, sizeof(rd->scid));
	if (m->f.hello_len && one_in(r, 2)) {
		rd->scid_len = m->hello_scid_len;
		memcpy(rd->scid, m->hello_scid, rd->scid_len);
	}
	if (!forge_initial_keys(&k, rd->dcid, rd->dcid_len, 0) &&
	    !forge_aead_init(&rd->a, &k))
		rd->keyed = true;
	rd->pn = one_in(r, 8) ? (uint32_t)rnd64(r) : 0;
	rd->left = 1 + (unsigned int)below(r, 12);
	rd->src = (int)below(r, NSRC);
	m->rounds++;
}

/* the frames of an Initial (sane or wild) into @pl; their length */
static size_t initial_frames(struct imode *m, uint8_t *pl, size_t cap,
			     bool wild)
{
	struct wb w = { .p = pl, .cap = cap };

	m->f.wild = wild;
	gen_frames(&m->f, &w);
	return w.len;
}

/* a packet number length: mostly the 4 bytes a client uses */
static size_t pick_pn_len(struct rng *r)
{
	return one_in(r, 3) ? 1 + below(r, 4) : 4;
}

/* an opening Initial of the round, at least @min_len bytes; -1 on error */
static int initial_packet(struct imode *m, uint8_t *out, size_t cap,
			  bool wild, size_t min_len)
{
	struct rng *r = &m->f.r;
	uint8_t pl[1400];
	struct lhdr h;
	size_t plen;

	plen = initial_frames(m, pl, one_in(r, 4) ? sizeof(pl) : 600, wild);
	lhdr_initial(&h, &m->rd, pick_pn_len(r));
	/* now and then a packet number again, or far off */
	if (!one_in(r, 16))
		m->rd.pn++;
	else if (one_in(r, 2))
		m->rd.pn += (uint32_t)rnd64(r);
	return build_long(r, m->rd.keyed ? &m->rd.a : NULL, &h, out, cap, pl,
			  plen, min_len);
}

/* a client Initial's size: 1200 bytes or a little more */
static size_t initial_size(struct rng *r)
{
	return one_in(r, 2) ? 1200 : 1200 + below(r, 272);
}

/* one or more changes to the header fields, then protection */
static int header_packet(struct imode *m, uint8_t *out, size_t cap)
{
	static const uint32_t versions[] = {
		0, 2, 0xff00001d, 0x6b3343cf, 0x1a2a3a4a, 0xfaceb002,
	};
	static const size_t encs[] = { 1, 2, 4, 8 };
	struct rng *r = &m->f.r;
	uint8_t pl[1400], junk[255];
	unsigned int n = 1 + (unsigned int)below(r, 3), i;
	size_t plen;
	struct lhdr h;

	plen = initial_frames(m, pl, 600, one_in(r, 3));
	lhdr_initial(&h, &m->rd, pick_pn_len(r));
	m->rd.pn++;
	rnd_fill(r, junk, sizeof(junk));
	for (i = 0; i < n; i++) {
		switch (below(r, 10)) {
		case 0:
			h.version = one_in(r, 4) ? (uint32_t)rnd64(r) :
				    versions[below(r, 6)];
			break;
		case 1:	/* DCID length: none, short, or over 20 */
			h.dcid = junk;
			h.dcid_len = one_in(r, 3) ? below(r, 8) :
				     21 + below(r, 235);
			break;
		case 2:
			h.scid = junk;
			h.scid_len = 21 + below(r, 235);
			break;
		case 3:	/* a token, its length field right or not */
			h.token_len = below(r, 64);
			h.token_field = one_in(r, 2) ? h.token_len : vedge(r);
			h.token_enc = encs[below(r, 4)];
			break;
		case 4:	/* Length: off by a little, a lot, or any value */
			h.len_enc = encs[below(r, 4)];
			if (one_in(r, 2)) {
				h.len_set = true;
				h.len_value = vedge(r);
			} else {
				h.len_delta = one_in(r, 2) ?
					      (int64_t)below(r, 3) - 1 :
					      (int64_t)below(r, 4000) - 2000;
			}
			break;
		case 5:	/* reserved bits */
			h.first |= (uint8_t)(4 << below(r, 3)) & 0x0c;
			break;
		case 6:	/* 0-RTT, Handshake or Retry under Initial keys */
			h.first = (uint8_t)((h.first & 0xcf) |
					    ((1 + below(r, 3)) << 4));
			h.token = one_in(r, 4);
			break;
		case 7:	/* the fixed bit cleared */
			h.first &= (uint8_t)~0x40;
			break;
		case 8:	/* packet number length bits that lie */
			h.first = (uint8_t)((h.first & 0xfc) | below(r, 4));
			break;
		default:	/* a longer Length encoding (valid) */
			h.len_enc = 8;
			break;
		}
	}
	return build_long(r, m->rd.keyed ? &m->rd.a : NULL, &h, out, cap, pl,
			  plen, initial_size(r));
}

/* an opening Initial, then spoilt */
static int corrupt_packet(struct imode *m, uint8_t *out, size_t cap)
{
	struct rng *r = &m->f.r;
	int n = initial_packet(m, out, cap, one_in(r, 2), initial_size(r));
	unsigned int i, k;
	size_t at;

	if (n <= 0)
		return n;
	switch (below(r, 4)) {
	case 0:
		k = 1 + (unsigned int)below(r, 8);
		for (i = 0; i < k; i++)
			out[below(r, (uint64_t)n)] ^= (uint8_t)(1 << below(r, 8));
		break;
	case 1:
		n = 1 + (int)below(r, (uint64_t)n - 1);
		break;
	case 2:
		at = below(r, (uint64_t)n);
		k = (unsigned int)min64(1 + below(r, 64), (uint64_t)n - at);
		rnd_fill(r, out + at, k);
		break;
	default:	/* a packet number byte, under header protection */
		out[1 + 4 + 1 + m->rd.dcid_len + 1 + m->rd.scid_len + 1 + 2 +
		    below(r, 4)] ^= (uint8_t)(1 + below(r, 255));
		break;
	}
	return n;
}

/* several packets in one datagram, and garbage after them */
static int coalesced_packet(struct imode *m, uint8_t *out, size_t cap)
{
	struct rng *r = &m->f.r;
	unsigned int n = 2 + (unsigned int)below(r, 3), i;
	size_t len = 0, k;
	struct lhdr h;
	int ret;

	for (i = 0; i < n && cap - len > 1400; i++) {
		switch (i ? below(r, 4) : 0) {
		case 0:
		case 1:	/* Initials of the round */
			ret = initial_packet(m, out + len, cap - len,
					     one_in(r, 3), one_in(r, 3) ? 0 :
					     initial_size(r));
			break;
		case 2:	/* a Handshake or 0-RTT packet we have no keys for */
			lhdr_initial(&h, &m->rd, 4);
			h.first = (uint8_t)(0xc3 | ((one_in(r, 2) ? 2 : 1) << 4));
			h.token = false;
			ret = build_long(r, NULL, &h, out + len, cap - len, NULL,
					 0, 40 + below(r, 400));
			break;
		default:	/* a short header packet: it ends the datagram */
			k = 30 + below(r, 300);
			rnd_fill(r, out + len, k);
			out[len] = (uint8_t)(0x40 | (out[len] & 0x3f));
			memcpy(out + len + 1, m->rd.dcid, m->rd.dcid_len);
			ret = (int)k;
			i = n;
			break;
		}
		if (ret < 0)
			break;
		len += (size_t)ret;
	}
	/* garbage: random, or zeros (which read as a short header) */
	k = below(r, 200);
	if (one_in(r, 2))
		rnd_fill(r, out + len, k);
	else
		memset(out + len, 0, k);
	len += k;
	if (len < 1200 && one_in(r, 2)) {
		memset(out + len, 0, 1200 - len);
		len = 1200;
	}
	return (int)len;
}

/* an opening Initial in a datagram under 1200 bytes, or a big one */
static int size_packet(struct imode *m, uint8_t *out, size_t cap)
{
	struct rng *r = &m->f.r;
	size_t min = one_in(r, 2) ? below(r, 1200) :
		     one_in(r, 4) ? 1500 + below(r, cap - 1600) :
		     1472 + below(r, 600);

	return initial_packet(m, out, cap, one_in(r, 3), min);
}

static int random_packet(struct imode *m, uint8_t *out)
{
	struct rng *r = &m->f.r;
	size_t n = one_in(r, 3) ? 1200 : 1 + below(r, 1500);

	rnd_fill(r, out, n);
	if (n > 6 + m->rd.dcid_len && one_in(r, 2)) {
		/* an Initial's start, then noise */
		out[0] = (uint8_t)(0xc0 | (out[0] & 0x0f));
		memcpy(out + 1, "\0\0\0\1", 4);
		out[5] = (uint8_t)m->rd.dcid_len;
		memcpy(out + 6, m->rd.dcid, m->rd.dcid_len);
	}
	return (int)n;
}

/* short headers, Version Negotiation and Retry, which a server never
 * gets from a client
 */
static int other_packet(struct imode *m, uint8_t *out)
{
	struct rng *r = &m->f.r;
	size_t n = 20 + below(r, 1300);
	struct lhdr h;

	switch (below(r, 3)) {
	case 0:
		rnd_fill(r, out, n);
		out[0] = (uint8_t)(0x40 | (out[0] & 0x3f));
		if (one_in(r, 2))
			memcpy(out + 1, m->rd.dcid, m->rd.dcid_len);
		return (int)n;
	case 1:
		lhdr_initial(&h, &m->rd, 4);
		h.version = 0;
		h.first = (uint8_t)(0x80 | below(r, 128));
		h.token = false;
		return build_long(r, NULL, &h, out, BIGBUF, NULL, 0,
				  one_in(r, 2) ? 1200 : n);
	default:
		lhdr_initial(&h, &m->rd, 4);
		h.first = (uint8_t)(0xf0 | below(r, 16));
		h.token = false;
		return build_long(r, NULL, &h, out, BIGBUF, NULL, 0, n);
	}
}

/* what the server sent back to our ports: read and counted */
static void initial_answers(struct imode *m)
{
	uint8_t buf[2048];
	ssize_t n;
	int i;

	for (i = 0; i < NSRC; i++)
		while ((n = recv(m->ufd[i], buf, sizeof(buf),
				 MSG_DONTWAIT)) >= 0) {
			m->answers++;
			m->answer_bytes += (uint64_t)n;
		}
}

static enum ikind pick_ikind(struct rng *r)
{
	uint64_t v = below(r, 100);
	int k;

	for (k = 0; k < IK_MAX - 1; k++) {
		if (v < ik_weight[k])
			break;
		v -= ik_weight[k];
	}
	return (enum ikind)k;
}

static void test_initial(const void *arg)
{
	/* short idle timeout: what the fuzz leaves open goes quickly */
	struct quic_transport_param tp = { .max_idle_timeout = 2000000 };
	uint64_t planned, seed = fuzz_seed();
	static uint8_t out[BIGBUF];
	struct imode *m = calloc(1, sizeof(*m));
	struct server s = { .lfd = -1 };
	char kinds[400];
	struct health h0;
	enum ikind kind;
	double secs, t0, dt;
	size_t hl, kl;
	int i, n;

	(void)arg;
	REQUIRE(m);
	quiet_libquic();
	mode_plan("initial", INITIAL_PACKETS, &planned, &secs, seed);
	rng_seed(&m->f.r, seed);
	health_before(&h0);

	/* a real ClientHello first, for CRYPTO frames a TLS library reads */
	hl = capture_hello(m->hello, sizeof(m->hello), m->hello_scid,
			   &m->hello_scid_len);
	tap_diag("initial: a real ClientHello of %zu bytes to cut and spoil",
		 hl);
	CHECK(hl > 0);
	m->f.hello = m->hello;
	m->f.hello_len = hl;

	/* handshakes of forged connections fail in 200 ms: none completes */
	REQUIRE_SYS(server_start(&s, &tp, 64, 200));
	for (i = 0; i < NSRC; i++) {
		m->ufd[i] = udp_to(AF_INET, s.port);
		REQUIRE_SYS(m->ufd[i]);
	}
	new_round(m);
	t0 = now_s();
	while (m->sent < planned) {
		if (!(m->sent & 255) && now_s() - t0 > secs) {
			tap_diag("initial: the time limit came after %llu datagrams",
				 (unsigned long long)m->sent);
			break;
		}
		if (!m->rd.left--)
			new_round(m);
		kind = pick_ikind(&m->f.r);
		switch (kind) {
		case IK_SANE:
			n = initial_packet(m, out, sizeof(out), false,
					   initial_size(&m->f.r));
			break;
		case IK_HOSTILE:
			n = initial_packet(m, out, sizeof(out), true,
					   initial_size(&m->f.r));
			break;
		case IK_HEADER:
			n = header_packet(m, out, sizeof(out));
			break;
		case IK_CORRUPT:
			n = corrupt_packet(m, out, sizeof(out));
			break;
		case IK_COALESCED:
			n = coalesced_packet(m, out, sizeof(out));
			break;
		case IK_SIZE:
			n = size_packet(m, out, sizeof(out));
			break;
		case IK_RANDOM:
			n = random_packet(m, out);
			break;
		default:
			n = other_packet(m, out);
			break;
		}
		if (n <= 0)
			continue;	/* did not fit: the next one */
		/* mostly the round's port, so that its packets meet */
		i = one_in(&m->f.r, 8) ? (int)below(&m->f.r, NSRC) : m->rd.src;
		if (send(m->ufd[i], out, (size_t)n, 0) != n)
			m->send_err++;
		m->sent++;
		m->kind[kind]++;
		if (!(m->sent & 31))
			initial_answers(m);
	}
	dt = now_s() - t0;
	msleep(500);
	initial_answers(m);

	for (kl = 0, i = 0; i < IK_MAX; i++)
		kl += (size_t)snprintf(kinds + kl, sizeof(kinds) - kl, "%s%s %llu",
				       i ? ", " : "", ik_names[i],
				       (unsigned long long)m->kind[i]);
	tap_diag("initial: sent %llu datagrams (%s) from %d ports in %.1f s, %.0f/s, %llu DCIDs; %llu send errors",
		 (unsigned long long)m->sent, kinds, NSRC, dt,
		 dt > 0 ? m->sent / dt : 0, (unsigned long long)m->rounds,
		 (unsigned long long)m->send_err);
	CHECK(server_idle(&s, 10000));
	tap_diag("initial: the server accepted %llu connections (%llu closed at once, busy), %llu handshakes failed, %llu succeeded; it answered with %llu datagrams (%llu bytes)",
		 (unsigned long long)ATOMIC_GET(&s.accepted),
		 (unsigned long long)ATOMIC_GET(&s.busy),
		 (unsigned long long)ATOMIC_GET(&s.hs_fail),
		 (unsigned long long)ATOMIC_GET(&s.hs_ok),
		 (unsigned long long)m->answers,
		 (unsigned long long)m->answer_bytes);
	tap_diag("initial: libquic logged %llu messages (-v shows them)",
		 (unsigned long long)ATOMIC_GET(&libquic_msgs));
	CHECK(m->sent >= (planned < 1000 ? planned : 1000));
	CHECK(m->send_err < m->sent / 2 + 1);
	/* the controls: forged Initials opened (some became connections),
	 * and the server spoke; none could finish a handshake
	 */
	CHECK(ATOMIC_GET(&s.accepted) > 0);
	CHECK(m->answers > 0);
	CHECK_EQ(ATOMIC_GET(&s.hs_ok), 0);
	for (i = 0; i < NSRC; i++)
		close(m->ufd[i]);
	if (m->rd.keyed)
		forge_aead_deinit(&m->rd.a);
	free(m);

	after_mode("initial", &s, &h0);
}

/* ======================================================= 1-RTT mode */

/* the key log, the raw sockets, onertt_seal() and the isolation of the
 * real client (onertt_isolate_packet()):
 * tests/lib/onertt.h
 */

/* ------------------------------------------------ one connection */

#define MAP_BITS	(1u << 17)	/* packet numbers tracked per connection */
#define MAP_WORDS	(MAP_BITS / 64)
#define CONN_MAX	20000	/* datagrams before the next connection */
#define BATCH		32	/* datagrams between looks at the server */
/*
 * A wild packet after one batch in WILD_BATCHES: most end the
 * connection, and a new one costs a handshake (some 50 ms in a TCG
 * guest), so they are few: a connection takes some 2000 datagrams, whose
 * effects pile up; the sane ones carry the volume.
 */
#define WILD_BATCHES	48
#define KU_EVERY	500	/* packets per key phase, at least */

struct conn {
	int			cfd, sfd;
	uint16_t		cport;
	size_t			ccid_len;	/* the client's ID: the server
						 * sends to it; the server's
						 * are in cs.cids
						 */
	bool			have_cids;
	/* the client's keys (ours): generation cgen of RFC 9001 section 6 */
	struct forge_keys	ck0;		/* its hp key stays */
	uint8_t			csec[32];
	struct forge_aead	ca;
	bool			ca_ok;
	unsigned int		cgen;
	uint64_t		cgen_pn;	/* first packet of the generation */
	uint64_t		cgen_sent;
	/* the server's, to read its packets: this generation, the next, and
	 * the one before (its packets sent before it followed our update)
	 */
	struct forge_keys	sk0;
	uint8_t			ssec[32];
	struct forge_aead	sa, sa_next, sa_prev;
	bool			sa_ok, sa_prev_ok;
	unsigned int		sgen;
	/* our packet numbers, and which the server acknowledged */
	uint64_t		pn_next, pn_base;
	uint64_t		sent[MAP_WORDS], acked[MAP_WORDS];
	uint64_t		acked_max, acked_new;
	bool			acked_any;
	uint64_t		acked_beyond;	/* ACKed, never sent: past pn_next */
	uint64_t		since_ack;	/* eliciting packets since */
	uint64_t		gaps[64][2];	/* numbers skipped: from, count */
	unsigned int		ngaps;
	uint64_t		dgrams;
	struct conn_state	cs;
	bool			control_ok;
	bool			srv_close;	/* its CONNECTION_CLOSE seen */
	int			rd_err;		/* the application's, at the end */
	uint8_t			last[1800];	/* the last sane datagram */
	size_t			last_len;
	uint64_t		wild_sent;	/* wild packets so far */
	/* for stall_diag(): the server's datagrams, and at the last ACK
	 * of a packet not acknowledged before; the ID we sent to then
	 */
	uint64_t		srv_dgrams, prog_dgrams, prog_pn;
	uint64_t		prog_cid, cid_since;
	unsigned int		since_wild;	/* batches since the last */
	bool			no_cid;		/* no server ID left to use */
	/* how it ended, as conn_end() found it */
	bool			cc_ok;
	struct quic_connection_close cc;
};

/* the whole mode */
struct onertt {
	struct fz	f;
	struct server	s;
	struct spoof	sp;
	int		snf;
	struct keylog	kl;
	struct conn	c;
	bool		open;
	/* counters */
	uint64_t	sent, sane, corrupt, wild, sealed, acked;
	uint64_t	conns, setup_fail, controls, closed, stalled, rotated;
	uint64_t	closed_by_us;	/* by a CONNECTION_CLOSE we sent */
	uint64_t	closed_sane;	/* with no wild packet sent to it */
	uint64_t	closed_late;	/* not right after a wild packet */
	uint64_t	stalled_sane;	/* with no wild packet sent to it */
	uint64_t	stalled_dropped;	/* ... after the server dropped
						 * some of our packets
						 */
	uint64_t	stall_recovered;
	uint64_t	ku, ku_srv, path_resp, srv_unread, send_err;
	uint64_t	acked_unsent;	/* RFC 9000 13.1: must stay 0 */
	uint64_t	close_err[N_ERRS + 2];	/* + crypto, + other */
	uint64_t	close_frame[64];
};

/* packet protection for a secret; later generations keep gen 0's hp key */
static int aead_for(struct forge_aead *a, const uint8_t *secret,
		    const struct forge_keys *k0)
{
	struct forge_keys k;

	if (forge_keys_from_secret(&k, secret))
		return -1;
	memcpy(k.hp, k0->hp, sizeof(k.hp));
	return forge_aead_init(a, &k);
}

/* the next server generation's keys into c->sa_next */
static int server_next_keys(struct conn *c)
{
	uint8_t next[32];

	return forge_next_secret(c->ssec, next) ||
	       aead_for(&c->sa_next, next, &c->sk0) ? -1 : 0;
}

static void map_set_range(uint64_t *m, uint64_t lo, uint64_t hi,
			  uint64_t *added)
{
	uint64_t w, bits;

	while (lo <= hi) {
		w = lo >> 6;
		bits = ~0ULL << (lo & 63);
		if ((hi >> 6) == w && (hi & 63) != 63)
			bits &= (1ULL << ((hi & 63) + 1)) - 1;
		*added += (uint64_t)__builtin_popcountll(bits & ~m[w]);
		m[w] |= bits;
		lo = (w + 1) << 6;
	}
}

/* the server acknowledged our packets @lo to @hi */
static void ack_range(struct conn *c, uint64_t lo, uint64_t hi)
{
	uint64_t end = c->pn_base + MAP_BITS - 1, added = 0;

	if (!c->acked_any || hi > c->acked_max)
		c->acked_max = hi;
	c->acked_any = true;
	if (c->pn_base && hi >= c->pn_next)
		c->acked_beyond++;
	if (hi < c->pn_base || lo > end)
		return;
	lo = lo < c->pn_base ? c->pn_base : lo;
	hi = hi > end ? end : hi;
	map_set_range(c->acked, lo - c->pn_base, hi - c->pn_base, &added);
	if (added) {
		c->acked_new += added;
		c->since_ack = 0;
		c->prog_dgrams = c->srv_dgrams;
		c->prog_pn = c->pn_next;
		c->prog_cid = c->cs.ncids ? cid_cur(&c->cs)->seq : 0;
	}
}

/* The frames of a server packet: its ACKs of our packets, its
 * connection IDs, PATH_RESPONSEs, CONNECTION_CLOSE.
 */
static void server_frames(struct onertt *o, const uint8_t *p, size_t n)
{
	struct conn *c = &o->c;
	uint64_t t, v, a, b, cnt, largest, first, gap, rl, i, k;
	size_t at = 0;

	while (at < n) {
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
			    forge_varint(p, n, &at, &first) || first > largest)
				return;
			ack_range(c, largest - first, largest);
			a = largest - first;
			for (i = 0; i < cnt; i++) {
				if (forge_varint(p, n, &at, &gap) ||
				    forge_varint(p, n, &at, &rl) ||
				    gap + 2 > a || rl > a - gap - 2)
					return;
				b = a - gap - 2;
				ack_range(c, b - rl, b);
				a = b - rl;
			}
			if (t == F_ACK_ECN)
				for (k = 0; k < 3; k++)
					if (forge_varint(p, n, &at, &v))
						return;
			break;
		case F_RESET_STREAM:
			if (forge_varint(p, n, &at, &v) ||
			    forge_varint(p, n, &at, &v))
				return;
			/* a third field */
			__attribute__((fallthrough));
		case F_MAX_DATA:
		case F_MAX_STREAMS_BIDI:
		case F_MAX_STREAMS_UNI:
		case F_DATA_BLOCKED:
		case F_STREAMS_BLOCKED_BIDI:
		case F_STREAMS_BLOCKED_UNI:
		case F_RETIRE_CONNECTION_ID:
			if (forge_varint(p, n, &at, &v))
				return;
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
			/* then a length and data */
			__attribute__((fallthrough));
		case F_NEW_TOKEN:
		case F_DATAGRAM_LEN:
			if (forge_varint(p, n, &at, &v) || v > n - at)
				return;
			at += v;
			break;
		case F_STREAM ... F_STREAM + 7:
			if (forge_varint(p, n, &at, &v) ||
			    ((t & 4) && forge_varint(p, n, &at, &v)))
				return;
			v = n - at;
			if ((t & 2) && (forge_varint(p, n, &at, &v) ||
					v > n - at))
				return;
			at += v;
			break;
		case F_NEW_CONNECTION_ID:
			if (forge_varint(p, n, &at, &v) ||
			    forge_varint(p, n, &at, &a) || at >= n ||
			    (size_t)p[at] + 17 > n - at)
				return;
			cid_learn(&c->cs, &o->f.cid, v, a, p + at + 1, p[at]);
			at += 1 + p[at] + 16;
			break;
		case F_PATH_CHALLENGE:
		case F_PATH_RESPONSE:
			if (n - at < 8)
				return;
			o->path_resp += t == F_PATH_RESPONSE;
			at += 8;
			break;
		case F_CONNECTION_CLOSE:
		case F_CONNECTION_CLOSE_APP:
			c->srv_close = true;
			return;
		case F_DATAGRAM:
			return;
		default:
			return;
		}
	}
}

/* a server short header packet: opened with its keys, this generation's
 * or the next (it follows our key updates)
 */
static void server_short(struct onertt *o, const uint8_t *p, size_t n)
{
	struct conn *c = &o->c;
	uint8_t pt[2048], first, next[32];
	uint64_t pn, largest = c->cs.srv_seen ? c->cs.srv_largest : 0;
	size_t pn_off = 1 + c->ccid_len, l;
	int k;

	if (!c->sa_ok || !c->have_cids) {
		o->srv_unread++;
		return;
	}
	k = forge_open(&c->sa, p, n, pn_off, largest, &first, &pn, pt,
		       sizeof(pt));
	if (k < 0 && c->sa_prev_ok)
		k = forge_open(&c->sa_prev, p, n, pn_off, largest, &first, &pn,
			       pt, sizeof(pt));
	/* a NEW_CONNECTION_ID of ours with another length may be the one
	 * the server sends to now
	 */
	for (l = 0; k < 0 && l <= 20; l++) {
		if (l == c->ccid_len)
			continue;
		k = forge_open(&c->sa, p, n, 1 + l, largest, &first, &pn, pt,
			       sizeof(pt));
		if (k >= 0)
			c->ccid_len = l;
	}
	if (k < 0) {
		pn_off = 1 + c->ccid_len;
		k = forge_open(&c->sa_next, p, n, pn_off, largest, &first, &pn,
			       pt, sizeof(pt));
		if (k < 0) {
			o->srv_unread++;
			return;
		}
		/* the server updated its keys */
		if (c->sa_prev_ok)
			forge_aead_deinit(&c->sa_prev);
		c->sa_prev = c->sa;
		c->sa_prev_ok = true;
		c->sa = c->sa_next;
		c->sgen++;
		o->ku_srv++;
		if (forge_next_secret(c->ssec, next)) {
			c->sa_ok = false;
			return;
		}
		memcpy(c->ssec, next, 32);
		if (server_next_keys(c)) {
			forge_aead_deinit(&c->sa);
			c->sa_ok = false;
			return;
		}
	}
	if (!c->cs.srv_seen || pn < c->cs.srv_first)
		c->cs.srv_first = pn;
	if (!c->cs.srv_seen || pn > c->cs.srv_largest) {
		c->cs.srv_largest = pn;
		c->cs.srv_largest_t = now_s();
	}
	c->cs.srv_seen = true;
	server_frames(o, pt, (size_t)k);
}

/* one datagram from the server to the client: the connection IDs from
 * its first long header packet, then its short header packet if any
 */
static void server_datagram(struct onertt *o, const uint8_t *p, size_t n)
{
	struct conn *c = &o->c;
	const uint8_t *scid = NULL;
	size_t dl = 0, sl = 0;
	long at;

	c->srv_dgrams++;
	at = dgram_short(p, n, c->have_cids ? NULL : &dl, &scid, &sl);
	if (sl) {
		c->ccid_len = dl;
		/* the server's first ID: sequence 0 */
		cid_learn(&c->cs, &o->f.cid, 0, 0, scid, sl);
		c->cs.cur = 0;
		c->have_cids = true;
	}
	if (at >= 0)
		server_short(o, p + at, n - (size_t)at);
}

/* everything the server sent since the last look */
static void sniff_drain(struct onertt *o)
{
	uint8_t buf[66000], *p;
	ssize_t n;

	while ((n = sniff_recv(o->snf, o->c.cport, buf, sizeof(buf), &p)) >= 0)
		server_datagram(o, p, (size_t)n);
}

/* the application reads what the connection got (its windows move);
 * the control message is the one on stream 0
 */
static void srv_drain(struct onertt *o)
{
	static uint8_t buf[65536];
	struct conn *c = &o->c;
	uint32_t flags;
	int64_t sid;
	ssize_t n;
	int i;

	for (i = 0; i < 4096; i++) {
		flags = MSG_DONTWAIT;
		sid = -1;
		n = quic_recvmsg(c->sfd, buf, sizeof(buf), &sid, &flags);
		if (n < 0 && errno != EAGAIN && !c->rd_err)
			c->rd_err = errno;	/* how it ended: once */
		if (n < 0 || (n == 0 && !(flags & MSG_STREAM_FIN)))
			break;
		if (sid == 0 && n >= 12 && !memcmp(buf, "fuzz control", 12))
			c->control_ok = true;
	}
}

static bool conn_closed(const struct conn *c)
{
	struct pollfd p = { .fd = c->sfd };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR));
}

/* a short header packet of ours with the frames @pl, to the server ID in
 * use as @cs says, sealed; -1 on error
 */
static int seal_short(struct conn *c, const struct conn_state *cs,
		      uint8_t first, uint64_t pn, size_t pn_len,
		      const uint8_t *pl, size_t plen, uint8_t *out, size_t cap)
{
	const struct srv_cid *id = cid_cur(cs);

	if (!id)
		return -1;
	return onertt_seal(&c->ca, first, id->id, id->len, pn, pn_len, pl,
			   plen, out, cap);
}

/* byte 0: our key phase, a spin bit of no meaning, the PN length */
static uint8_t short_first(struct conn *c, struct rng *r, size_t pn_len)
{
	return (uint8_t)(0x40 | (one_in(r, 2) ? 0x20 : 0) |
			 ((c->cgen & 1) << 2) | (pn_len - 1));
}

static void mark_sent(struct conn *c, uint64_t pn)
{
	uint64_t b;

	if (pn < c->pn_base || pn - c->pn_base >= MAP_BITS)
		return;
	b = pn - c->pn_base;
	c->sent[b >> 6] |= 1ULL << (b & 63);
}

static int send_dgram(struct onertt *o, const uint8_t *p, size_t n)
{
	int ret = spoof_send(&o->sp, p, n);

	o->sent++;
	o->c.dgrams++;
	if (ret)
		o->send_err++;
	return ret;
}

/*
 * A packet number and its length: the next one, sometimes after a gap
 * (allowed), in 4 bytes or fewer when the server still decodes it (it
 * expects about pn_next).
 */
static uint64_t next_pn(struct conn *c, struct rng *r, size_t *pn_len)
{
	uint64_t v = below(r, 10), gap;

	if (one_in(r, 256)) {
		gap = 1 + below(r, 64);
		if (c->ngaps < 64) {
			c->gaps[c->ngaps][0] = c->pn_next;
			c->gaps[c->ngaps++][1] = gap;
		}
		c->pn_next += gap;
	}
	*pn_len = v < 7 ? 4 : v < 9 ? 2 : 1;
	return c->pn_next++;
}

/*
 * A long header packet to the connection for keys the server no longer
 * has (Handshake, or Initial): what it skips to reach the packet
 * coalesced behind it.  Its length, or -1.
 */
static int discarded_long(const struct conn_state *cs, struct rng *r,
			  uint8_t *out, size_t cap)
{
	const struct srv_cid *id = cid_cur(cs);
	uint8_t scid[8];
	struct lhdr h;

	if (!id)
		return -1;
	rnd_fill(r, scid, sizeof(scid));
	memset(&h, 0, sizeof(h));
	h.first = one_in(r, 2) ? 0xe3 : 0xc3;
	h.token = h.first == 0xc3;
	h.version = 1;
	h.dcid = id->id;
	h.dcid_len = id->len;
	h.scid = scid;
	h.scid_len = sizeof(scid);
	h.pn_len = 4;
	return build_long(r, NULL, &h, out, cap, NULL, 0, 40 + below(r, 200));
}

/* a sane packet: every frame one a server takes from this client;
 * sometimes behind a long header packet it must skip
 */
static void send_sane(struct onertt *o)
{
	struct conn *c = &o->c;
	struct rng *r = &o->f.r;
	uint8_t pl[1300];
	struct wb w = { .p = pl, .cap = 60 + below(r, 1200) };
	size_t pn_len, at = 0;
	uint64_t pn;
	int n;

	o->f.wild = false;
	o->f.cs = &c->cs;
	gen_frames(&o->f, &w);
	pn = next_pn(c, r, &pn_len);
	/* after the frames: a RETIRE_CONNECTION_ID may have moved us to
	 * another server ID, which this packet must go to
	 */
	if (one_in(r, 16)) {
		n = discarded_long(&c->cs, r, c->last, 300);
		at = n > 0 ? (size_t)n : 0;
	}
	n = seal_short(c, &c->cs, short_first(c, r, pn_len), pn, pn_len, pl,
		       w.len, c->last + at, sizeof(c->last) - at);
	if (n < 0)
		return;
	n += (int)at;
	c->last_len = (size_t)n;
	if (!send_dgram(o, c->last, (size_t)n)) {
		mark_sent(c, pn);
		o->sealed++;
		c->since_ack++;
		c->cgen_sent++;
	}
	o->sane++;
}

/* a sane packet spoilt on the way: it must not open (or, replayed, not
 * count twice); the frames' effects are not kept
 */
static void send_corrupt(struct onertt *o)
{
	struct conn *c = &o->c;
	struct rng *r = &o->f.r;
	struct conn_state keep = c->cs;
	struct cid_stats cst = o->f.cid;
	const struct srv_cid *id = cid_cur(&c->cs);
	uint8_t pl[1300], out[1500], orig[1500];
	struct wb w = { .p = pl, .cap = 60 + below(r, 1200) };
	size_t pn_len = 4, k, i;
	int n;

	o->corrupt++;
	if (one_in(r, 8) && c->last_len) {	/* a replay: a duplicate */
		send_dgram(o, c->last, c->last_len);
		return;
	}
	o->f.wild = false;
	o->f.cs = &keep;
	gen_frames(&o->f, &w);
	o->f.cid = cst;
	n = seal_short(c, &keep, short_first(c, r, pn_len), c->pn_next, pn_len,
		       pl, w.len, out, sizeof(out));
	if (n < 0 || !id)
		return;
	switch (below(r, 6)) {
	case 0:		/* bits flipped anywhere */
		memcpy(orig, out, (size_t)n);
		k = 1 + below(r, 4);
		for (i = 0; i < k; i++)
			out[below(r, (uint64_t)n)] ^= (uint8_t)(1 << below(r, 8));
		/* two flips of one bit undo each other: the packet would
		 * open, and its frames count at the server but not here
		 * (seen in CI: an ACK of a packet "not sent yet", then a
		 * close for a stream state only the server had)
		 */
		if (!memcmp(orig, out, (size_t)n))
			out[below(r, (uint64_t)n)] ^= (uint8_t)(1 << below(r, 8));
		break;
	case 1:		/* cut */
		n = (int)below(r, (uint64_t)n);
		break;
	case 2:		/* another connection ID */
		rnd_fill(r, out + 1, cid_cur(&keep)->len);
		break;
	case 3:		/* the other key phase with these keys */
		n = seal_short(c, &keep,
			       (uint8_t)(short_first(c, r, pn_len) ^ 0x04),
			       c->pn_next, pn_len, pl, w.len, out,
			       sizeof(out));
		break;
	case 4:	/* a packet number just out of reach: RFC 9000 appendix
		 * A.3 decodes it 2^32 lower (the nonce then differs)
		 */
		n = seal_short(c, &keep, short_first(c, r, pn_len),
			       c->pn_next + (1ULL << 31) + 1 + below(r, 1000),
			       pn_len, pl, w.len, out, sizeof(out));
		break;
	default:	/* random bytes after our connection ID */
		n = (int)(1 + id->len + below(r, 1200));
		rnd_fill(r, out, (size_t)n);
		out[0] = (uint8_t)(0x40 | (out[0] & 0x3f));
		memcpy(out + 1, id->id, id->len);
		break;
	}
	if (n > 0)
		send_dgram(o, out, (size_t)n);
}

/*
 * A wild packet: it opens, and anything may be in it (the connection
 * usually ends).  What its frames may have changed at the server (one of
 * its IDs retired, our streams' state) the sane frames stay away from,
 * should the connection live on.
 */
static void send_wild(struct onertt *o)
{
	struct conn *c = &o->c;
	struct rng *r = &o->f.r;
	struct conn_state keep = c->cs;
	struct cid_stats cst = o->f.cid;
	uint8_t pl[1300], out[1500], first;
	struct wb w = { .p = pl, .cap = 60 + below(r, 1200) };
	uint64_t v = below(r, 20), pn;
	size_t pn_len;
	int n;

	pn = next_pn(c, r, &pn_len);
	first = short_first(c, r, pn_len);
	o->f.cs = &c->cs;
	if (v < 16) {
		o->f.wild = true;
		gen_frames(&o->f, &w);
	} else if (v < 18) {
		/* sane frames, reserved bits set: a PROTOCOL_VIOLATION
		 * before any frame is read, so their effects are not kept
		 */
		o->f.wild = false;
		o->f.cs = &keep;
		gen_frames(&o->f, &w);
		o->f.cid = cst;
		first |= (uint8_t)(8 << below(r, 2));
	}			/* else: no frames at all */
	n = seal_short(c, o->f.cs, first, pn, pn_len, pl, w.len, out,
		       sizeof(out));
	c->wild_sent++;
	if (n < 0)
		return;
	if (!send_dgram(o, out, (size_t)n)) {
		mark_sent(c, pn);
		o->sealed++;
	}
	o->wild++;
}

/* RFC 9001 section 6: the next key phase, once the server acknowledged
 * a packet of this one
 */
static void key_update(struct onertt *o)
{
	struct conn *c = &o->c;
	uint8_t next[32];
	struct forge_aead a;

	if (forge_next_secret(c->csec, next) || aead_for(&a, next, &c->ck0))
		return;
	forge_aead_deinit(&c->ca);
	c->ca = a;
	memcpy(c->csec, next, 32);
	c->cgen++;
	c->cgen_pn = c->pn_next;
	c->cgen_sent = 0;
	o->ku++;
}

/* which packet numbers the server acknowledged that we never sent */
static void unsent_diag(const struct onertt *o, uint64_t unsent)
{
	const struct conn *c = &o->c;
	unsigned int i, b, shown = 0, g;
	char buf[600];
	size_t l = 0;
	uint64_t pn;

	for (i = 0; i < MAP_WORDS && shown < 6; i++) {
		for (b = 0; b < 64 && shown < 6; b++) {
			if (!(c->acked[i] >> b & 1) || (c->sent[i] >> b & 1))
				continue;
			pn = (uint64_t)i * 64 + b;
			for (g = 0; g < c->ngaps; g++)
				if (pn + c->pn_base >= c->gaps[g][0] &&
				    pn + c->pn_base < c->gaps[g][0] +
						      c->gaps[g][1])
					break;
			l += (size_t)snprintf(buf + l, sizeof(buf) - l,
				" %llu%s", (unsigned long long)pn,
				g < c->ngaps ? " (skipped on purpose)" :
				pn + c->pn_base >= c->pn_next ? " (not yet used)" :
				"");
			shown++;
		}
	}
	tap_diag("1rtt: connection %llu: the server acknowledged %llu packet numbers we never sent (of %llu used; ACKs past the last one: %llu, largest %lld):%s",
		 (unsigned long long)o->conns, (unsigned long long)unsent,
		 (unsigned long long)(c->pn_next - c->pn_base),
		 (unsigned long long)c->acked_beyond,
		 (long long)(c->acked_max - c->pn_base), l ? buf : " none");
}

/* The end of a connection: the last ACKs read, what was acknowledged
 * counted, why it ended noted, both sockets closed.
 */
static void conn_end(struct onertt *o)
{
	struct conn *c = &o->c;
	struct quic_connection_close cc;
	socklen_t l = sizeof(cc), el = sizeof(int);
	unsigned int i, words;
	uint64_t unsent = 0;
	int err = 0;

	msleep(20);
	sniff_drain(o);
	words = (unsigned int)min64(MAP_WORDS,
				    (c->pn_next - c->pn_base) / 64 + 1);
	for (i = 0; i < words; i++)
		o->acked += (uint64_t)__builtin_popcountll(c->sent[i] &
							   c->acked[i]);
	/* what the server acknowledged that we never sent (or sent so
	 * that it must not open): it took a packet it should not have
	 */
	for (i = 0; i < MAP_WORDS; i++)
		unsent += (uint64_t)__builtin_popcountll(~c->sent[i] &
							 c->acked[i]);
	if ((unsent || c->acked_beyond) && o->acked_unsent++ < 5)
		unsent_diag(o, unsent);
	/* the server's own verdicts (EPROTO); a close of ours it only
	 * obeyed (ECONNRESET), as the application's reads or SO_ERROR say
	 */
	if (conn_closed(c) && !c->rd_err &&
	    getsockopt(c->sfd, SOL_SOCKET, SO_ERROR, &err, &el))
		err = 0;
	if (conn_closed(c) && (c->rd_err ?: err) == ECONNRESET) {
		o->closed_by_us++;
	} else if (conn_closed(c) &&
		   !getsockopt(c->sfd, SOL_QUIC,
			       QUIC_SOCKOPT_CONNECTION_CLOSE, &cc, &l)) {
		o->close_err[cc.errcode < N_ERRS ? cc.errcode :
			     (cc.errcode & ~0xffu) == 0x100 ? N_ERRS :
			     N_ERRS + 1]++;
		o->close_frame[cc.frame & 63]++;
		c->cc = cc;
		c->cc_ok = true;
	}
	close(c->cfd);
	close(c->sfd);
	if (c->ca_ok)
		forge_aead_deinit(&c->ca);
	if (c->sa_ok) {
		forge_aead_deinit(&c->sa);
		forge_aead_deinit(&c->sa_next);
	}
	if (c->sa_prev_ok)
		forge_aead_deinit(&c->sa_prev);
	o->open = false;
}

/*
 * The packets that start a connection's fuzzing.  The client (a real
 * kernel socket) is still there, and it would end the connection as soon
 * as the server acknowledges packet numbers it never sent (RFC 9000
 * section 13.1), with a CONNECTION_CLOSE the server would accept.  So two
 * packets of PADDING first move the server's largest packet number out
 * of the client's reach (onertt_isolate_packet()), and the server hears
 * only us.  Then the control: a message on stream 0 that the application
 * must read, proof that our packets get through.
 */
static void conn_start(struct onertt *o)
{
	static const char ctl[] = "fuzz control";
	struct conn *c = &o->c;
	const struct srv_cid *id = cid_cur(&c->cs);
	uint8_t pl[64], out[256], first;
	struct wb w = { .p = pl, .cap = sizeof(pl) };
	char msg[40];
	double t0;
	int n, i;

	for (i = 0; i < 2; i++) {
		first = short_first(c, &o->f.r, 4);
		n = id ? onertt_isolate_packet(&c->ca, first, id->id, id->len,
					       i, out, sizeof(out)) : -1;
		if (n > 0)
			send_dgram(o, out, (size_t)n);
	}
	c->pn_base = c->pn_next = PN_JUMP2 + 1;
	c->cgen_pn = c->pn_base;

	snprintf(msg, sizeof(msg), "%s %llu", ctl, (unsigned long long)o->conns);
	wb_u8(&w, F_STREAM | 0x07);	/* OFF, LEN, FIN */
	wb_varint_len(&w, 0, 0);
	wb_varint_len(&w, 0, 0);
	wb_varint_len(&w, strlen(msg), 0);
	wb_bytes(&w, msg, strlen(msg));
	wb_u8(&w, F_PING);
	c->cs.bidi[0].done = true;
	n = seal_short(c, &c->cs, short_first(c, &o->f.r, 4), c->pn_next, 4, pl,
		       w.len, out, sizeof(out));
	if (n > 0 && !send_dgram(o, out, (size_t)n)) {
		mark_sent(c, c->pn_next);
		o->sealed++;
	}
	c->pn_next++;
	for (t0 = now_s(); now_s() - t0 < 3 && !c->control_ok; msleep(2)) {
		sniff_drain(o);
		srv_drain(o);
	}
	o->controls += c->control_ok;
}

/*
 * A new connection between our client (TLS_AES_128_GCM_SHA256 forced,
 * so that the key derivation of tests/forge.h applies) and our server;
 * its secrets from the key log, the server's connection ID from its
 * first packet.  false when any of it fails.
 */
static bool conn_open(struct onertt *o)
{
	struct hs_cfg hs = { .psk = 1, .cipher = "AES-128-GCM" };
	struct conn *c = &o->c;
	int ret, cipher = 0;
	double t0;

	memset(c, 0, sizeof(*c));
	c->cfd = c->sfd = -1;
	/* the real client may have issued IDs 1 to SRV_CID_LIMIT - 1 before
	 * it went quiet: ours number on from there
	 */
	c->cs.ncid_seq = SRV_CID_LIMIT - 1;
	c->cfd = client_socket(AF_INET, NULL, 5000, o->s.port);
	if (c->cfd < 0) {
		tap_diag("1rtt: client socket: %s", strerror(errno));
		return false;
	}
	c->cport = (uint16_t)local_port(c->cfd);
	o->sp.sport = c->cport;
	ret = handshake(c->cfd, 0, &hs, &cipher);
	if (ret || cipher != GNUTLS_CIPHER_AES_128_GCM) {
		tap_diag("1rtt: connection %llu: client handshake %d (%s), cipher %d",
			 (unsigned long long)o->conns, ret, strerror(-ret),
			 cipher);
		goto fail;
	}
	c->sfd = server_take(&o->s, c->cport, 5000);
	if (c->sfd < 0) {
		tap_diag("1rtt: connection %llu: no server side",
			 (unsigned long long)o->conns);
		goto fail;
	}
	set_nonblock(c->sfd, 1);
	if (keylog_read(&o->kl, c->csec, c->ssec)) {
		tap_diag("1rtt: no 1-RTT secrets in the key log %s",
			 o->kl.path);
		goto fail;
	}
	if (forge_keys_from_secret(&c->ck0, c->csec) ||
	    forge_aead_init(&c->ca, &c->ck0))
		goto fail;
	c->ca_ok = true;
	if (forge_keys_from_secret(&c->sk0, c->ssec) ||
	    forge_aead_init(&c->sa, &c->sk0))
		goto fail;
	if (server_next_keys(c)) {
		forge_aead_deinit(&c->sa);
		goto fail;
	}
	c->sa_ok = true;
	for (t0 = now_s(); now_s() - t0 < 2 && !c->have_cids; msleep(2))
		sniff_drain(o);
	if (!c->have_cids) {
		tap_diag("1rtt: the server's connection ID was not seen");
		goto fail;
	}
	o->open = true;
	o->conns++;
	conn_start(o);
	return true;
fail:
	o->conns++;
	conn_end(o);
	return false;
}

/*
 * A stalled connection: does the server answer on its other connection
 * IDs?  PINGs to each for a while; said, for stall_diag().
 */
static void stall_probe(struct onertt *o)
{
	static const uint8_t ping[] = { F_PING };
	struct conn *c = &o->c;
	struct conn_state cs = c->cs;
	uint64_t before = c->acked_new, pn, d0 = c->srv_dgrams;
	char buf[300];
	size_t pn_len, l = 0;
	unsigned int i, k;
	uint8_t out[256];
	int n;

	for (i = 0; i < cs.ncids && l < sizeof(buf) - 40; i++) {
		if (!cs.cids[i].live || i == c->cs.cur)
			continue;
		cs.cur = i;
		for (k = 0; k < 5 && c->acked_new == before; k++) {
			pn = next_pn(c, &o->f.r, &pn_len);
			n = seal_short(c, &cs, short_first(c, &o->f.r, 4), pn,
				       4, ping, sizeof(ping), out,
				       sizeof(out));
			if (n > 0 && !send_dgram(o, out, (size_t)n))
				mark_sent(c, pn);
			msleep(20);
			sniff_drain(o);
		}
		l += (size_t)snprintf(buf + l, sizeof(buf) - l, " seq %llu: %s;",
				      (unsigned long long)cs.cids[i].seq,
				      c->acked_new != before ? "acknowledged" :
							       "no answer");
		before = c->acked_new;
	}
	tap_diag("1rtt: connection %llu stalled: PINGs to the server's other live IDs:%s %llu server datagrams meanwhile",
		 (unsigned long long)o->conns, l ? buf : " none live",
		 (unsigned long long)(c->srv_dgrams - d0));
}

/*
 * Nothing acknowledged for a while: probe with PINGs for up to 2 s.
 * RFC 9001 section 6.5 lets a server drop packets of a new key phase
 * for a while; a server that answers again only took its time.  true
 * when it did.
 */
static bool stall_wait(struct onertt *o)
{
	static const uint8_t ping[] = { F_PING };
	struct conn *c = &o->c;
	uint64_t before = c->acked_new, pn;
	uint8_t out[256];
	size_t pn_len;
	double t0 = now_s();
	int n;

	while (now_s() - t0 < 2) {
		pn = next_pn(c, &o->f.r, &pn_len);
		pn_len = 4;
		n = seal_short(c, &c->cs, short_first(c, &o->f.r, pn_len), pn,
			       pn_len, ping, sizeof(ping), out, sizeof(out));
		if (n > 0 && !send_dgram(o, out, (size_t)n))
			mark_sent(c, pn);
		msleep(20);
		sniff_drain(o);
		srv_drain(o);
		if (c->acked_new != before) {
			if (o->stall_recovered++ < 5)
				tap_diag("1rtt: connection %llu: the server acknowledged again after %.0f ms (key phase generations: ours %u, the server's %u)",
					 (unsigned long long)o->conns,
					 (now_s() - t0) * 1000, c->cgen, c->sgen);
			c->since_ack = 0;
			return true;
		}
		if (conn_closed(c) || c->srv_close)
			return true;	/* the main loop sees it */
	}
	stall_probe(o);
	return false;
}

/*
 * The packets of ours the server's socket dropped or refused (SO_MEMINFO
 * drops): a backlog full while its application read, data beyond a gap
 * with the receive buffer full.  A peer sends those again; we do not, so
 * their stream data leaves gaps that what follows waits behind, refused
 * in turn once the buffer is full, and no packet with any of it is
 * acknowledged again: a stall of our own making.
 */
static uint32_t srv_drops(const struct onertt *o)
{
	uint32_t mi[SK_MEMINFO_VARS] = { 0 };
	socklen_t len = sizeof(mi);

	if (getsockopt(o->c.sfd, SOL_SOCKET, SO_MEMINFO, mi, &len))
		return 0;
	return mi[SK_MEMINFO_DROPS];
}

/* why might the server have stopped acknowledging? */
static void stall_diag(const struct onertt *o)
{
	const struct conn *c = &o->c;

	const struct srv_cid *id = cid_cur(&c->cs);
	unsigned int i, live = 0;

	for (i = 0; i < c->cs.ncids; i++)
		live += c->cs.cids[i].live;
	tap_diag("1rtt: connection %llu stalled after %llu datagrams: nothing acknowledged of the last %llu packets; largest acknowledged %lld of %llu sent; key phase generations: ours %u (from packet %llu), the server's %u; server packets not opened so far %llu",
		 (unsigned long long)o->conns, (unsigned long long)c->dgrams,
		 (unsigned long long)c->since_ack,
		 c->acked_any ? (long long)(c->acked_max - c->pn_base) : -1,
		 (unsigned long long)(c->pn_next - c->pn_base), c->cgen,
		 (unsigned long long)(c->cgen_pn - c->pn_base), c->sgen,
		 (unsigned long long)o->srv_unread);
	tap_diag("1rtt: ... the last new ACK came at packet %llu, when we sent to the server's ID seq %llu; now seq %llu (%u live); server datagrams since that ACK %llu, wild packets %llu",
		 (unsigned long long)(c->prog_pn - c->pn_base),
		 (unsigned long long)c->prog_cid,
		 id ? (unsigned long long)id->seq : 0ULL, live,
		 (unsigned long long)(c->srv_dgrams - c->prog_dgrams),
		 (unsigned long long)c->wild_sent);
	tap_diag("1rtt: ... the server's socket dropped or refused %u packets' worth (SO_MEMINFO drops)",
		 srv_drops(o));
}

/*
 * A connection closed, and not right after a wild packet: by a sane one,
 * or by what an earlier wild packet left behind.  Neither should happen:
 * the sane frames keep to what the connection allows.  Said, with the
 * server's verdict and the last sane datagram (QUIC_FUZZ_SEED repeats
 * the run).
 */
static void closed_diag(struct onertt *o)
{
	const struct conn *c = &o->c;
	char hexbuf[2 * 64 + 1];
	size_t i, n = min64(c->last_len, 64);

	if (c->wild_sent)
		o->closed_late++;
	else
		o->closed_sane++;
	if (o->closed_sane + o->closed_late > 5)
		return;
	for (i = 0; i < n; i++)
		snprintf(hexbuf + 2 * i, 3, "%02x", c->last[i]);
	hexbuf[2 * n] = 0;
	tap_diag("1rtt: connection %llu closed after %llu datagrams, %llu wild packets before (none just now): %s, frame type 0x%llx (%s); server close seen %d, application error %d; the last sane datagram (%zu bytes, sealed) starts %s",
		 (unsigned long long)o->conns, (unsigned long long)c->dgrams,
		 (unsigned long long)c->wild_sent,
		 c->cc_ok ? (c->cc.errcode < N_ERRS ?
			     err_names[c->cc.errcode] : "an error") :
			    "no verdict",
		 c->cc_ok ? (unsigned long long)c->cc.frame : 0ULL,
		 c->cc_ok ? "the frame it blamed" : "-", c->srv_close,
		 c->rd_err, c->last_len, hexbuf);
}

static void print_closes(const struct onertt *o)
{
	char buf[1200];
	size_t l = 0;
	unsigned int i;

	for (i = 0; i < N_ERRS + 2; i++)
		if (o->close_err[i])
			l += (size_t)snprintf(buf + l, sizeof(buf) - l, "%s%s %llu",
				l ? ", " : "",
				i < N_ERRS ? err_names[i] :
				i == N_ERRS ? "CRYPTO_ERROR" : "other",
				(unsigned long long)o->close_err[i]);
	tap_diag("1rtt: the server's closes, by error: %s", l ? buf : "none");
	l = 0;
	for (i = 0; i < 64; i++)
		if (o->close_frame[i])
			l += (size_t)snprintf(buf + l, sizeof(buf) - l,
				"%s0x%02x %llu", l ? ", " : "", i,
				(unsigned long long)o->close_frame[i]);
	tap_diag("1rtt: ... by the frame type it blamed: %s", l ? buf : "none");
}

static void test_onertt(const void *arg)
{
	/* the limits the sane frames keep to; DATAGRAM frames allowed */
	struct quic_transport_param tp = {
		.max_idle_timeout = 10000000,
		.max_streams_bidi = SRV_MAX_STREAMS,
		.max_streams_uni = SRV_MAX_STREAMS,
		.max_data = SRV_MAX_DATA,
		.max_stream_data_bidi_remote = SRV_STREAM_WINDOW,
		.max_stream_data_uni = SRV_STREAM_WINDOW,
		.active_connection_id_limit = SRV_CID_LIMIT,
		.max_datagram_frame_size = SRV_DGRAM_MAX,
	};
	uint64_t planned, seed = fuzz_seed();
	struct onertt *o = calloc(1, sizeof(*o));
	struct health h0;
	double secs, t0, dt;
	bool wild;
	int i;

	(void)arg;
	REQUIRE(o);
	quiet_libquic();
	mode_plan("1rtt", ONERTT_PACKETS, &planned, &secs, seed);
	rng_seed(&o->f.r, seed ^ 0x1e77);	/* not the Initial mode's */
	o->f.app = true;
	o->sp.fd = o->snf = -1;

	/* GnuTLS reads SSLKEYLOGFILE before its first secret in this
	 * process: set it now unless the caller did
	 */
	keylog_setup(&o->kl, "keylog");
	health_before(&h0);
	REQUIRE_SYS(server_start(&o->s, &tp, 16, TMO_MS));
	o->sp.dport = o->s.port;
	REQUIRE_SYS(o->sp.fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW));
	REQUIRE_SYS(o->snf = sniff_open(o->s.port));

	t0 = now_s();
	while (o->sent < planned) {
		if (now_s() - t0 > secs) {
			tap_diag("1rtt: the time limit came after %llu datagrams",
				 (unsigned long long)o->sent);
			break;
		}
		if (!o->open) {
			if (!conn_open(o) && ++o->setup_fail >= 3)
				break;
			continue;
		}
		for (i = 0; i < BATCH; i++) {
			if (!cid_check(&o->c.cs, &o->f.cid, &o->f.r)) {
				o->c.no_cid = true;
				break;
			}
			if (one_in(&o->f.r, 5))
				send_corrupt(o);
			else
				send_sane(o);
		}
		o->c.since_wild++;
		if (!o->c.no_cid && one_in(&o->f.r, WILD_BATCHES)) {
			send_wild(o);
			o->c.since_wild = 0;
		}
		/* its effects may show a little later (a backlog) */
		wild = o->c.wild_sent && o->c.since_wild <= 1;
		if (o->c.cgen_sent > KU_EVERY && o->c.acked_any &&
		    o->c.acked_max >= o->c.cgen_pn)
			key_update(o);
		sniff_drain(o);
		srv_drain(o);
		if (conn_closed(&o->c) || o->c.srv_close) {
			o->closed++;
			conn_end(o);
			if (!wild)
				closed_diag(o);
		} else if (o->c.no_cid) {
			if (o->f.cid.out++ < 5)
				tap_diag("1rtt: connection %llu: no server connection ID left to send to, after %llu datagrams: the next connection",
					 (unsigned long long)o->conns,
					 (unsigned long long)o->c.dgrams);
			conn_end(o);
		} else if (o->c.since_ack >= 8 * BATCH && !stall_wait(o)) {
			if (o->stalled++ < 5) {
				stall_diag(o);
				/* the server's side of it */
				xfer_sockets_diag("1rtt: the stalled connection's server");
			}
			if (!o->c.wild_sent && srv_drops(o))
				o->stalled_dropped++;
			else
				o->stalled_sane += !o->c.wild_sent;
			conn_end(o);
		} else if (o->c.dgrams >= CONN_MAX) {
			o->rotated++;
			conn_end(o);
		}
	}
	if (o->open)
		conn_end(o);
	dt = now_s() - t0;

	tap_diag("1rtt: sent %llu datagrams (sane %llu, corrupt %llu, wild %llu) in %.1f s, %.0f/s, over %llu connections (%llu failed to set up; controls read %llu)",
		 (unsigned long long)o->sent, (unsigned long long)o->sane,
		 (unsigned long long)o->corrupt, (unsigned long long)o->wild,
		 dt, dt > 0 ? o->sent / dt : 0, (unsigned long long)o->conns,
		 (unsigned long long)o->setup_fail,
		 (unsigned long long)o->controls);
	tap_diag("1rtt: connections ended: closed %llu (%llu of them by a CONNECTION_CLOSE of ours; %llu with no wild packet sent, %llu not right after one), stalled %llu (%llu with no wild packet sent and none dropped, %llu with no wild packet sent after the server dropped some; and %llu more answered again within 2 s), out of server IDs %llu, replaced after %d datagrams %llu",
		 (unsigned long long)o->closed,
		 (unsigned long long)o->closed_by_us,
		 (unsigned long long)o->closed_sane,
		 (unsigned long long)o->closed_late,
		 (unsigned long long)o->stalled,
		 (unsigned long long)o->stalled_sane,
		 (unsigned long long)o->stalled_dropped,
		 (unsigned long long)o->stall_recovered,
		 (unsigned long long)o->f.cid.out, CONN_MAX,
		 (unsigned long long)o->rotated);
	tap_diag("1rtt: server connection IDs: %llu learned, %llu retired by sane frames (%llu of them the one in use, so we moved to another first), %llu moves on our own",
		 (unsigned long long)o->f.cid.learned,
		 (unsigned long long)o->f.cid.retired,
		 (unsigned long long)o->f.cid.retired_cur,
		 (unsigned long long)o->f.cid.switched);
	tap_diag("1rtt: the server acknowledged %llu of the %llu packets that open (%.1f%%); path responses %llu, key updates %llu (the server followed %llu), server packets not opened %llu, send errors %llu",
		 (unsigned long long)o->acked, (unsigned long long)o->sealed,
		 o->sealed ? 100.0 * o->acked / o->sealed : 0,
		 (unsigned long long)o->path_resp, (unsigned long long)o->ku,
		 (unsigned long long)o->ku_srv,
		 (unsigned long long)o->srv_unread,
		 (unsigned long long)o->send_err);
	print_closes(o);
	CHECK(o->conns > 0);
	CHECK_EQ(o->setup_fail, 0);
	/* sane traffic keeps a connection alive: only wild packets end it
	 * (what one leaves behind may end it later: said, not failed)
	 */
	CHECK_EQ(o->closed_sane, 0);
	CHECK_EQ(o->stalled_sane, 0);
	/* stalls of our own making (srv_drops()): rare, or the server
	 * drops sane packets it should take
	 */
	CHECK(o->stalled_dropped <= 2);
	/* the controls: every connection's message got through, and the
	 * server acknowledged what we sent
	 */
	CHECK_EQ(o->controls, o->conns - o->setup_fail);
	CHECK(o->acked > 0);
	CHECK_EQ(o->acked_unsent, 0);
	CHECK(o->sent >= (planned < 1000 ? planned : 1000));
	CHECK(o->send_err < o->sent / 2 + 1);
	close(o->sp.fd);
	close(o->snf);
	after_mode("1rtt", &o->s, &h0);
	free(o);
}

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		verbose |= !strcmp(argv[i], "-v");
	fuzz_seed();
	test_add("initial", "mutated Initial packets (headers, lengths, varints, CIDs, every frame type, coalesced, corrupted, random) from several ports to a listener in an accept() loop; then a normal client transfers 1 MiB both ways, and slab memory, QUIC sockets and taint come back",
		 test_initial, NULL, 150);
	test_add("1rtt", "mutated 1-RTT packets with the real keys (key log), spoofed from the client's port, into live connections: every frame type, sane and wild, corruptions, key updates; then a normal client transfers 1 MiB both ways, and slab memory, QUIC sockets and taint come back",
		 test_onertt, NULL, 150);
	return runner_main(argc, argv);
}
