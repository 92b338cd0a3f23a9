// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * interop_peer: our side of the interop and tshark tests, a QUIC client or
 * server on IPPROTO_QUIC sockets with the handshake done by libquic.
 *
 *   interop_peer client [-a ALPN] [-s SNI] [-p PSKFILE] [-n BYTES]
 *                       [-C CIPHER] [-x] [-I DEV] [-r [-e]] [-3 PATH]
 *                       HOST PORT
 *   interop_peer server [-a ALPN] [-c CERT] [-k KEY|PSKFILE] [-N CONNS]
 *                       [-C CIPHER] [-x] [-I DEV] [-V] [-r [-e]] [-3]
 *                       [-n BYTES] HOST PORT
 *
 * -I binds the socket to a device or a VRF (SO_BINDTODEVICE) before
 * bind() or connect() (tests/device_test.sh).
 * -C limits the handshake to one TLS 1.3 cipher suite, named the GnuTLS
 * way (AES-128-GCM, AES-256-GCM, CHACHA20-POLY1305, AES-128-CCM): the
 * session is then the one of tests/lib's handshake() (creds.h), with the
 * credentials of the files given, run with quic_handshake() instead of
 * quic_client_handshake()/quic_server_handshake() (X.509 only).
 *
 * The application protocol (shared with tests/interop/quiche_peer.mjs), one
 * request per client-initiated bidirectional stream:
 *   "PUT <n>\n" + n bytes + FIN  ->  "<sha256 of the n bytes, hex> <n>\n" FIN
 *   "GET <n>\n" + FIN            ->  n bytes + FIN
 * The bytes are always the same pattern (pattern_fill() below, a xorshift32
 * stream), so each side checks what it got without trusting the other.
 *
 * The client uses stream 0 for a PUT and stream 4 for a GET.  The client
 * verifies the peer certificate with libquic's trust store: set
 * QUIC_CA_FILE to the test CA.
 *
 * With -x (both sides; quiche_peer.mjs --extras), the extras follow the PUT
 * and GET (by then the server has its 1-RTT keys: the 1-RTT packets that
 * come before may be dropped, RFC 9001 section 5.7, quic.ko keeps 8, and
 * datagrams are not sent again).  Both sides offer RFC 9221 datagrams
 * (max_datagram_frame_size 1200) and take STREAM_UPDATE events; one after
 * the other:
 *   dgram   the client sends 20 datagrams, number i being "DG <i> " and
 *           the pattern, 10 + 50 * i bytes in all; the server echoes each
 *           one as it is; the client checks that all 20 come back
 *           unchanged within 5 s (steps dgram, dgram-server)
 *   reset   the client writes "RESET\n" and 1000 pattern bytes on stream
 *           8, no FIN, then QUIC_SOCKOPT_STREAM_RESET with code 17 (a
 *           sendmsg() on it then fails with EINVAL); the server, on
 *           the event RECV_STATE_RESET_RECVD, answers "reset <code>\n" + FIN
 *           on stream 8 (steps reset, reset-server)
 *   stop    the client writes "STOP\n" on stream 12, no FIN; the server
 *           answers with 4 MiB of the pattern, more than the flow control
 *           window, and blocks.  Once the client read some, it sends
 *           STOP_SENDING with code 34: the server's sendmsg() fails with
 *           ECONNRESET, it gets SEND_STATE_RESET_SENT with that code, and
 *           our client RECV_STATE_RESET_RECVD from the RESET_STREAM the
 *           server's stack answers with (step stop-reset).  Then "STATUS\n"
 *           + FIN on stream 16 is answered with "stopped <code>\n" + FIN
 *           (or "stopped none\n" when the server saw no event within 2 s
 *           of it) (steps stop, stop-server)
 * then the client closes the connection as in the normal run.
 *
 * Address validation, session resumption and 0-RTT:
 *   -V (server)  validate_peer_address on the listener (QUIC_SOCKOPT_CONFIG,
 *                set after listen()): a client without a valid token gets
 *                a Retry first
 *   -r (client)  two connections, one after the other, each from a new
 *                socket.  The client runs its handshakes with a GnuTLS
 *                session of its own, as the socket API draft's appendix B
 *                client_handshake() does (X.509, the CA from QUIC_CA_FILE).
 *                After the first connection's requests it takes the
 *                session data (quic_session_get_data(), the ticket may
 *                take up to 2 s: step ticket), the server's transport
 *                parameters (QUIC_SOCKOPT_TRANSPORT_PARAM, remote) and
 *                the server's NEW_TOKEN token, if any (QUIC_SOCKOPT_TOKEN);
 *                the second connection sets the token and resumes with the
 *                session data (step resumed-2: gnutls_session_is_resumed())
 *   -e (client)  with -r: the second connection also sets the transport
 *                parameters and sends its first request before the
 *                handshake, so in 0-RTT packets; step early-2 checks that
 *                the server accepted early data (GNUTLS_SFLAGS_EARLY_DATA)
 *   -r (server)  handshakes with a GnuTLS session of the server's own, as
 *                appendix B's server_handshake() does (the ticket key from
 *                QUIC_SOCKOPT_SESSION_TICKET, early data allowed), instead
 *                of quic_server_handshake(), to report what they did: step
 *                resumed-server checks that the first connection made a
 *                full handshake and every later one resumed
 *   -e (server)  with -r: step early-server checks that every later
 *                connection accepted early data
 * The steps of a client's second connection, and of a server's second and
 * later connections, end with "-<number>" (handshake-2, upload-2...).
 *
 * HTTP/3 (-3, ALPN "h3" unless -a says otherwise; for ngtcp2's gtlsserver
 * and gtlsclient), the
 * smallest part of RFC 9114 and RFC 9204 (QPACK without its dynamic table)
 * that fetches and serves one resource:
 *   client -3 PATH  opens its control stream (stream 2: type 0x00 and an
 *                   empty SETTINGS frame), sends "GET https://SNI PATH" on
 *                   stream 0 (a HEADERS frame, FIN) and reads the response:
 *                   step get checks for status 200 and tells the body's
 *                   size and SHA-256 (the caller compares them with the
 *                   file served); with -r the second connection fetches it
 *                   again, with -e in 0-RTT (its control stream too)
 *   server -3       opens its control stream (stream 3), ignores the
 *                   client's unidirectional streams, and answers every
 *                   request (a stream that starts with a HEADERS frame)
 *                   with status 200 and BYTES (-n, default 1 MiB) of the
 *                   pattern below; step get-server tells their SHA-256
 * The client closes with H3_NO_ERROR (0x100).
 *
 * Progress goes to stdout as lines "STEP <name> ok|fail <details>" that
 * tests/interop_test.sh turns into TAP; the exit status is 0 iff every step
 * passed.  The server prints "STEP listen ok" once it is listening.
 */
#include <errno.h>
#include <gnutls/crypto.h>
#include <inttypes.h>
#include <linux/sock_diag.h>
#include <netinet/quic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/testlib.h"

#define CHUNK		65536
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX_STREAMS	16
#define IO_TIMEOUT	30	/* seconds, for every blocking socket call */

/* the extras (-x) */
#define DGRAMS		20
#define DGRAM_MAX	(10 + 50 * (DGRAMS - 1))
#define DGRAM_WAIT	5	/* seconds for all the echoes */
#define RESET_SID	8
#define RESET_CODE	17
#define STOP_SID	12
#define STOP_CODE	34
#define STOP_ANSWER	(4 << 20)
#define STATUS_SID	16
#define STATUS_WAIT	2	/* seconds STATUS waits for the stop event */
#define XSTEP_WAIT	10	/* seconds for each answer of the extras */

static int failures;
/* appended to the name of each step: "-2" for a second connection */
static char step_tag[16];

static void step(const char *name, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void step(const char *name, bool ok, const char *fmt, ...)
{
	va_list ap;

	if (!ok)
		failures++;
	printf("STEP %s%s %s ", name, step_tag, ok ? "ok" : "fail");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* ------------------------------------------------------------ pattern */

struct pattern {
	uint32_t x;
	uint8_t word[4];
	unsigned int used;	/* bytes of word[] already handed out */
};

static void pattern_init(struct pattern *p)
{
	p->x = 2463534242u;
	p->used = 4;
}

/* The next @len bytes of the stream: xorshift32 words, little-endian. */
static void pattern_fill(struct pattern *p, uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p->used == 4) {
			p->x ^= p->x << 13;
			p->x ^= p->x >> 17;
			p->x ^= p->x << 5;
			p->word[0] = p->x;
			p->word[1] = p->x >> 8;
			p->word[2] = p->x >> 16;
			p->word[3] = p->x >> 24;
			p->used = 0;
		}
		buf[i] = p->word[p->used++];
	}
}

/* ----------------------------------------------------------- helpers */

static void report_close(const char *name, int fd, int err)
{
	struct quic_connection_close cc;
	socklen_t len = sizeof(cc);

	memset(&cc, 0, sizeof(cc));
	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_CLOSE, &cc,
		       &len)) {
		printf("# %s: connection close info: %s\n", name,
		       strerror(errno));
		return;
	}
	printf("# %s: recv ended with %s; close errcode %#x frame %#x phrase \"%.*s\"\n",
	       name, err ? strerror(err) : "0 (EOF)", cc.errcode, cc.frame,
	       (int)sizeof(cc.phrase), (const char *)cc.phrase);
}

/* The datagrams the kernel dropped for @fd (a lost datagram's story) */
static void print_drops(const char *who, int fd)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) ||
	    len <= SK_MEMINFO_DROPS * sizeof(mem[0]))
		printf("# %s: SO_MEMINFO: %s\n", who, strerror(errno));
	else
		printf("# %s: the socket dropped %u datagrams (SO_MEMINFO)\n",
		       who, mem[SK_MEMINFO_DROPS]);
}

/* Datagram @i of the extras into @buf: "DG <i> " and the pattern, 10 +
 * 50 * @i bytes; returns the length.
 */
static size_t dgram_make(int i, uint8_t *buf)
{
	size_t len = 10 + 50 * (size_t)i;
	struct pattern pat;
	int h;

	h = snprintf((char *)buf, len, "DG %d ", i);
	pattern_init(&pat);
	pattern_fill(&pat, buf + h, len - h);
	return len;
}

static int errinfo_set(int fd, int opt, int64_t sid, uint32_t code)
{
	struct quic_errinfo e = { .stream_id = sid, .errcode = code };

	return setsockopt(fd, SOL_QUIC, opt, &e, sizeof(e));
}

static int set_rcvtimeo(int fd, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* Offer datagrams: the transport parameter, before connect() or listen() */
static int offer_datagrams(int fd)
{
	struct quic_transport_param tp = { .max_datagram_frame_size = 1200 };

	return setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &tp,
			  sizeof(tp));
}

static const char *const stream_states[] = {
	"SEND_STATE_READY", "SEND_STATE_SEND", "SEND_STATE_SENT",
	"SEND_STATE_RECVD", "SEND_STATE_RESET_SENT", "SEND_STATE_RESET_RECVD",
	"RECV_STATE_RECV", "RECV_STATE_SIZE_KNOWN", "RECV_STATE_RECVD",
	"RECV_STATE_READ", "RECV_STATE_RESET_RECVD", "RECV_STATE_RESET_READ",
};

/*
 * The STREAM_UPDATE event in @buf, a message of @n bytes with
 * MSG_QUIC_NOTIFICATION, into @u, shown as a diagnostic of @who; false
 * (and a diagnostic) for another event.
 */
static bool stream_event(const char *who, const uint8_t *buf, ssize_t n,
			 struct quic_stream_update *u)
{
	if (n < 1 + (ssize_t)sizeof(*u) || buf[0] != QUIC_EVENT_STREAM_UPDATE) {
		printf("# %s: an event of %zd bytes, type %d\n", who, n,
		       n > 0 ? buf[0] : -1);
		return false;
	}
	memcpy(u, buf + 1, sizeof(*u));
	printf("# %s: event STREAM_UPDATE stream %" PRId64 " %s errcode %u finalsz %"
	       PRIu64 "\n", who, (int64_t)u->id,
	       u->state < ARRAY_SIZE(stream_states) ?
	       stream_states[u->state] : "(unknown state)", u->errcode,
	       (uint64_t)u->finalsz);
	return true;
}

/* @text for a STEP line: newlines as \n, other control bytes as '.' */
static const char *shown(const char *text, char *out, size_t size)
{
	size_t o = 0;

	for (; *text && o + 3 < size; text++) {
		if (*text == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = (*text < ' ' || *text > '~') ? '.' : *text;
		}
	}
	out[o] = 0;
	return out;
}

/* --------------------------------------------------------- handshake */

/*
 * With -C: tests/lib's handshake() (creds.h) with only @cipher allowed,
 * on creds_load()'s credentials; 0 or a negative errno, and the
 * negotiated cipher's name in @used.
 */
static int handshake_cipher(int fd, int server, const char *cipher,
			    const char *alpn, const char *sni, char *used,
			    size_t size)
{
	struct hs_cfg hs = { .cipher = cipher, .host = sni,
			     .alpn = alpn ? alpn : "" };
	int c, ret;

	ret = handshake(fd, server, &hs, &c);
	if (!ret)
		snprintf(used, size, "%s", gnutls_cipher_get_name(c));
	return ret;
}

/* The step of a handshake that completed on @fd, started at @t0: did it
 * agree on @alpn (NULL: none asked for) and, with -C, on @cipher?
 */
static void step_handshake(int fd, const char *alpn, const char *cipher,
			   const char *used, double t0)
{
	char got[64] = "";
	socklen_t len = sizeof(got);

	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_ALPN, got, &len))
		snprintf(got, sizeof(got), "(getsockopt: %s)",
			 strerror(errno));
	step("handshake", (!alpn || !strcmp(got, alpn)) &&
	     (!cipher || !strcmp(used, cipher)),
	     "in %.0f ms, alpn \"%s\", cipher %s", (now_s() - t0) * 1e3, got,
	     used);
}

/* SO_BINDTODEVICE to @dev (a device or a VRF), when given; 0 or -1 */
static int bind_dev(int fd, const char *dev)
{
	if (!dev)
		return 0;
	return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev,
			  (socklen_t)strlen(dev));
}

/* ------------------------------------------------------------ client */

struct client_opts {
	const char *alpn, *sni, *psk, *cipher, *dev;
	const char *h3path;	/* -3: HTTP/3 GET of this path */
	size_t bytes;
	bool extras, resume, early;
};

/* Read one whole stream response; returns its length or -1. */
static ssize_t read_stream(int fd, int64_t want_sid, uint8_t *buf, size_t cap,
			   const char *name)
{
	size_t got = 0;

	for (;;) {
		uint32_t flags = 0;
		int64_t sid = -1;
		ssize_t n;

		n = quic_recvmsg(fd, buf + got, cap - got ? cap - got : 1,
				 &sid, &flags);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			step(name, false, "recvmsg after %zu bytes: %s", got,
			     strerror(errno));
			return -1;
		}
		if (n == 0 && !(flags & MSG_QUIC_STREAM_FIN)) {
			step(name, false, "connection ended after %zu bytes",
			     got);
			return -1;
		}
		if (sid != want_sid) {
			step(name, false, "%zd bytes (msg_flags %#x) for stream %"
			     PRId64 " while reading stream %" PRId64, n, flags,
			     sid, want_sid);
			return -1;
		}
		got += n;
		if (flags & MSG_QUIC_STREAM_FIN)
			return got;
		if (got >= cap) {
			step(name, false, "more than %zu bytes", cap);
			return -1;
		}
	}
}

/* A PUT in flight: what the server must answer, and since when. */
struct put {
	char want[128];		/* "<sha256 hex> <n>\n" */
	double t0;
};

/* Send "PUT <bytes>" and the bytes on stream 0, FIN with the last. */
static bool put_send(int fd, size_t bytes, struct put *p)
{
	uint8_t *buf = malloc(CHUNK), md[32];
	struct pattern pat;
	gnutls_hash_hd_t h;
	size_t left = bytes;
	char hdr[64];

	p->t0 = now_s();
	if (!buf || gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0) {
		step("upload", false, "out of memory");
		free(buf);
		return false;
	}
	pattern_init(&pat);
	snprintf(hdr, sizeof(hdr), "PUT %zu\n", bytes);
	if (send_all(fd, 0, hdr, strlen(hdr), MSG_QUIC_STREAM_NEW, !bytes)) {
		step("upload", false, "sending the request: %s",
		     strerror(errno));
		goto fail;
	}
	while (left) {
		size_t k = left < CHUNK ? left : CHUNK;

		pattern_fill(&pat, buf, k);
		gnutls_hash(h, buf, k);
		left -= k;
		if (send_all(fd, 0, buf, k, 0, !left)) {
			step("upload", false, "sendmsg at offset %zu: %s",
			     bytes - left - k, strerror(errno));
			goto fail;
		}
	}
	gnutls_hash_deinit(h, md);
	hex(md, sizeof(md), p->want);
	sprintf(p->want + 64, " %zu\n", bytes);
	free(buf);
	return true;
fail:
	gnutls_hash_deinit(h, NULL);
	free(buf);
	return false;
}

/* The server's answer to the PUT @p of @bytes bytes. */
static bool put_check(int fd, size_t bytes, const struct put *p)
{
	uint8_t resp[256];
	ssize_t n;

	n = read_stream(fd, 0, resp, sizeof(resp) - 1, "upload");
	if (n < 0)
		return false;
	resp[n] = 0;
	if (strcmp((char *)resp, p->want)) {
		step("upload", false, "peer saw \"%.*s\", we sent \"%.*s\"",
		     (int)strcspn((char *)resp, "\n"), resp,
		     (int)strcspn(p->want, "\n"), p->want);
		return false;
	}
	step("upload", true, "%zu bytes in %.0f ms, sha256 %.64s", bytes,
	     (now_s() - p->t0) * 1e3, p->want);
	return true;
}

static bool client_put(int fd, size_t bytes)
{
	struct put p;

	return put_send(fd, bytes, &p) && put_check(fd, bytes, &p);
}

static bool client_get(int fd, size_t bytes)
{
	uint8_t *buf = malloc(bytes + 1), *exp = malloc(bytes + 1), md[32];
	char hdr[64], sum[65];
	struct pattern pat;
	double t0 = now_s();
	ssize_t n;
	size_t i;
	bool ok = false;

	if (!buf || !exp) {
		step("download", false, "out of memory");
		goto out;
	}
	snprintf(hdr, sizeof(hdr), "GET %zu\n", bytes);
	if (send_all(fd, 4, hdr, strlen(hdr), MSG_QUIC_STREAM_NEW, true)) {
		step("download", false, "sending the request: %s",
		     strerror(errno));
		goto out;
	}
	n = read_stream(fd, 4, buf, bytes + 1, "download");
	if (n < 0)
		goto out;
	pattern_init(&pat);
	pattern_fill(&pat, exp, bytes);
	if ((size_t)n != bytes) {
		step("download", false, "got %zd bytes, asked for %zu", n,
		     bytes);
		goto out;
	}
	for (i = 0; i < bytes && buf[i] == exp[i]; i++)
		;
	if (i < bytes) {
		step("download", false, "first wrong byte at offset %zu", i);
		goto out;
	}
	gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, bytes, md);
	hex(md, sizeof(md), sum);
	step("download", true, "%zu bytes in %.0f ms, sha256 %s", bytes,
	     (now_s() - t0) * 1e3, sum);
	ok = true;
out:
	free(buf);
	free(exp);
	return ok;
}

/* A stream of the client's extras as received: 8, 12 or 16. */
struct xstream {
	int64_t sid;
	char text[64];		/* the start of it (8, 16) */
	size_t len;		/* bytes received before a reset */
	bool fin;
	bool intact;		/* 12: the bytes are the pattern's */
	struct pattern pat;	/* 12: what comes next */
	bool reset;		/* RECV_STATE_RESET_RECVD came */
	uint32_t code;		/* with this code */
	uint64_t finalsz;	/* and final size */
	size_t late;		/* bytes received after it */
};

/* What arrived for the client's extras. */
struct xclient {
	int fd;
	uint8_t buf[CHUNK], exp[CHUNK];
	uint8_t sent[DGRAMS][DGRAM_MAX];
	size_t sent_len[DGRAMS];
	bool echoed[DGRAMS];
	int nechoed, nbad;	/* datagrams back intact, and others */
	struct xstream st[3];	/* streams 8, 12 and 16 */
	char why[96];		/* why the last wait ended early */
};

static struct xstream *xstream(struct xclient *x, int64_t sid)
{
	int i;

	for (i = 0; i < 3; i++)
		if (x->st[i].sid == sid)
			return &x->st[i];
	return NULL;
}

/*
 * One message of the client's extras into @x: a datagram, an event or
 * stream data.  False when none came before @deadline (now_s() time) or
 * the connection ended (x->why says which).
 */
static bool xc_recv(struct xclient *x, double deadline)
{
	double left = deadline - now_s();
	struct quic_stream_update u;
	struct xstream *s;
	uint32_t flags = 0;
	int64_t sid = -1;
	ssize_t n;
	int i;

	if (left <= 0 || set_rcvtimeo(x->fd, (int)(left * 1000) + 1)) {
		snprintf(x->why, sizeof(x->why), "timed out");
		return false;
	}
	n = quic_recvmsg(x->fd, x->buf, CHUNK, &sid, &flags);
	if (n < 0) {
		if (errno == EINTR)
			return true;
		snprintf(x->why, sizeof(x->why), "recvmsg: %s",
			 errno == EAGAIN ? "timed out" : strerror(errno));
		return false;
	}
	if (flags & MSG_QUIC_NOTIFICATION) {
		if (!stream_event("client", x->buf, n, &u))
			return true;
		s = xstream(x, u.id);
		if (s && !s->reset &&
		    u.state == QUIC_STREAM_RECV_STATE_RESET_RECVD) {
			s->reset = true;
			s->code = u.errcode;
			s->finalsz = u.finalsz;
		}
		return true;
	}
	if (flags & MSG_QUIC_DATAGRAM) {
		for (i = 0; i < DGRAMS; i++)
			if (!x->echoed[i] && x->sent_len[i] == (size_t)n &&
			    !memcmp(x->sent[i], x->buf, n))
				break;
		if (i < DGRAMS) {
			x->echoed[i] = true;
			x->nechoed++;
		} else {
			x->nbad++;
			printf("# client: a datagram of %zd bytes not sent (or twice)\n",
			       n);
		}
		return true;
	}
	if (n == 0 && !(flags & MSG_QUIC_STREAM_FIN)) {
		snprintf(x->why, sizeof(x->why), "the connection ended");
		return false;
	}
	s = xstream(x, sid);
	if (!s) {
		printf("# client: %zd bytes (msg_flags %#x) of stream %" PRId64
		       "\n", n, flags, sid);
		return true;
	}
	if (s->reset) {
		s->late += n;
		return true;
	}
	if (s->sid == STOP_SID) {
		pattern_fill(&s->pat, x->exp, n);
		if (memcmp(x->buf, x->exp, n))
			s->intact = false;
	} else if (s->len < sizeof(s->text) - 1) {
		size_t k = sizeof(s->text) - 1 - s->len;

		memcpy(s->text + s->len, x->buf, (size_t)n < k ? (size_t)n : k);
	}
	s->len += n;
	if (flags & MSG_QUIC_STREAM_FIN)
		s->fin = true;
	return true;
}

/* The datagrams of the extras, sent and echoed. */
static void xc_dgram(struct xclient *x)
{
	double t0 = now_s();
	int i, sent = 0;

	for (i = 0; i < DGRAMS; i++) {
		x->sent_len[i] = dgram_make(i, x->sent[i]);
		if (send(x->fd, x->sent[i], x->sent_len[i], MSG_QUIC_DATAGRAM) ==
		    (ssize_t)x->sent_len[i])
			sent++;
		else
			printf("# client: datagram %d of %zu bytes: send: %s\n",
			       i, x->sent_len[i], strerror(errno));
	}
	while (x->nechoed < DGRAMS && xc_recv(x, t0 + DGRAM_WAIT))
		;
	step("dgram", sent == DGRAMS && x->nechoed == DGRAMS && !x->nbad,
	     "%d of %d datagrams of %zu to %zu bytes sent, %d echoed intact in %.0f ms, %d others%s%s",
	     sent, DGRAMS, x->sent_len[0], x->sent_len[DGRAMS - 1],
	     x->nechoed, (now_s() - t0) * 1e3, x->nbad,
	     x->nechoed < DGRAMS ? "; " : "",
	     x->nechoed < DGRAMS ? x->why : "");
}

/* Stream 8, reset by us: the server's answer. */
static void xc_reset(struct xclient *x)
{
	struct xstream *s = xstream(x, RESET_SID);
	double t0 = now_s();
	uint8_t req[6 + 1000];
	char show[96], want[32];
	struct pattern pat;
	int probe;

	memcpy(req, "RESET\n", 6);
	pattern_init(&pat);
	pattern_fill(&pat, req + 6, sizeof(req) - 6);
	if (send_all(x->fd, RESET_SID, req, sizeof(req), MSG_QUIC_STREAM_NEW,
		     false)) {
		step("reset", false, "sending on stream 8: %s", strerror(errno));
		return;
	}
	if (errinfo_set(x->fd, QUIC_SOCKOPT_STREAM_RESET, RESET_SID,
			RESET_CODE)) {
		step("reset", false, "QUIC_SOCKOPT_STREAM_RESET: %s",
		     strerror(errno));
		return;
	}
	probe = quic_sendmsg(x->fd, "x", 1, RESET_SID, 0) < 0 ? errno : 0;
	while (!s->fin && !s->reset && xc_recv(x, t0 + XSTEP_WAIT))
		;
	snprintf(want, sizeof(want), "reset %d\n", RESET_CODE);
	step("reset", s->fin && !strcmp(s->text, want) && probe == EINVAL,
	     "stream 8 reset with code %d after %zu bytes, sendmsg() on it then %s; the server answered \"%s\"%s in %.0f ms%s%s",
	     RESET_CODE, sizeof(req), probe ? strerror(probe) : "succeeded",
	     shown(s->text, show, sizeof(show)), s->fin ? " + FIN" : "",
	     (now_s() - t0) * 1e3, s->fin ? "" : "; ", s->fin ? "" : x->why);
}

/* Stream 12, stopped by us, and stream 16 asking the server about it. */
static void xc_stop(struct xclient *x)
{
	struct xstream *s = xstream(x, STOP_SID), *q = xstream(x, STATUS_SID);
	double t0 = now_s();
	char show[96], why[96] = "", want[32];
	size_t before;

	if (send_all(x->fd, STOP_SID, "STOP\n", 5, MSG_QUIC_STREAM_NEW,
		     false)) {
		step("stop", false, "sending on stream 12: %s", strerror(errno));
		return;
	}
	while (!s->len && !s->fin && !s->reset && xc_recv(x, t0 + XSTEP_WAIT))
		;
	if (!s->len) {
		step("stop", false, "no answer on stream 12%s%s",
		     s->fin || s->reset ? "" : ": ", s->fin || s->reset ? "" :
		     x->why);
		return;
	}
	before = s->len;
	if (errinfo_set(x->fd, QUIC_SOCKOPT_STREAM_STOP_SENDING, STOP_SID,
			STOP_CODE)) {
		step("stop", false, "QUIC_SOCKOPT_STREAM_STOP_SENDING: %s",
		     strerror(errno));
		return;
	}
	while (!s->reset && xc_recv(x, now_s() + XSTEP_WAIT))
		;
	if (!s->reset)
		snprintf(why, sizeof(why), "%s", x->why);

	if (send_all(x->fd, STATUS_SID, "STATUS\n", 7,
		     MSG_QUIC_STREAM_NEW, true)) {
		step("stop", false, "sending on stream 16: %s", strerror(errno));
	} else {
		while (!q->fin && xc_recv(x, now_s() + XSTEP_WAIT))
			;
		snprintf(want, sizeof(want), "stopped %d\n", STOP_CODE);
		step("stop", q->fin && !strcmp(q->text, want) && s->intact,
		     "%zu bytes of stream 12 (%s) read before STOP_SENDING with code %d; STATUS answered \"%s\"%s in %.0f ms%s%s",
		     before, s->intact ? "the pattern" : "NOT the pattern",
		     STOP_CODE, shown(q->text, show, sizeof(show)),
		     q->fin ? " + FIN" : "", (now_s() - t0) * 1e3,
		     q->fin ? "" : "; ", q->fin ? "" : x->why);
	}
	if (s->reset)
		step("stop-reset", s->code == STOP_CODE && !s->late &&
		     s->len <= s->finalsz,
		     "RECV_STATE_RESET_RECVD for stream 12 with code %u, final size %"
		     PRIu64 ", after %zu bytes; %zu bytes after it",
		     s->code, s->finalsz, s->len, s->late);
	else
		step("stop-reset", false,
		     "no RECV_STATE_RESET_RECVD for stream 12 after STOP_SENDING: %s",
		     why);
}

/* The extras (-x) after the handshake. */
static void client_extras(int fd)
{
	struct xclient *x = calloc(1, sizeof(*x));
	int i;

	if (!x || set_event(fd, QUIC_EVENT_STREAM_UPDATE, 1)) {
		step("dgram", false, "%s", x ? strerror(errno) :
		     "out of memory");
		free(x);
		return;
	}
	x->fd = fd;
	for (i = 0; i < 3; i++) {
		x->st[i].sid = RESET_SID + 4 * i;
		x->st[i].intact = true;
		pattern_init(&x->st[i].pat);
	}
	xc_dgram(x);
	xc_reset(x);
	xc_stop(x);
	print_drops("client", fd);
	free(x);
}

/* ------------------------------------------------------------ HTTP/3 */

#define H3_NO_ERROR	0x100
#define H3_DATA		0x00
#define H3_HEADERS	0x01

/* A QUIC variable-length integer (RFC 9000 section 16) at @p; its size. */
static size_t varint_put(uint8_t *p, uint64_t v)
{
	int len = v < 64 ? 1 : v < 16384 ? 2 : v < (1u << 30) ? 4 : 8;
	int i;

	for (i = len - 1; i >= 0; i--, v >>= 8)
		p[i] = v & 0xff;
	p[0] |= (len == 1 ? 0 : len == 2 ? 1 : len == 4 ? 2 : 3) << 6;
	return len;
}

/* The one at @p + *@off (@n bytes in all) into *@v; false if cut short. */
static bool varint_get(const uint8_t *p, size_t n, size_t *off, uint64_t *v)
{
	size_t len, i;

	if (*off >= n)
		return false;
	len = (size_t)1 << (p[*off] >> 6);
	if (n - *off < len)
		return false;
	*v = p[*off] & 0x3f;
	for (i = 1; i < len; i++)
		*v = *v << 8 | p[*off + i];
	*off += len;
	return true;
}

/* Open the control stream @sid: its type (0x00), an empty SETTINGS frame
 * (so no QPACK dynamic table); 0 or -1.
 */
static int h3_control(int fd, int64_t sid)
{
	static const uint8_t ctl[] = { 0x00, 0x04, 0x00 };

	return quic_sendmsg(fd, ctl, sizeof(ctl), sid,
			    MSG_QUIC_STREAM_NEW | MSG_QUIC_STREAM_UNI) ==
	       (ssize_t)sizeof(ctl) ? 0 : -1;
}

/*
 * Request "GET https://@authority@path" on stream 0: a HEADERS frame whose
 * field section uses the QPACK static table only (RFC 9204 appendix A:
 * 17 ":method GET", 23 ":scheme https", the names 0 ":authority" and 1
 * ":path" with literal values), then FIN; 0 or -1.
 */
static int h3_request(int fd, const char *authority, const char *path)
{
	size_t alen = strlen(authority), plen = strlen(path), n = 0;
	uint8_t f[300], *p = f + 3;

	if (alen > 120 || plen > 120) {
		errno = ENAMETOOLONG;
		return -1;
	}
	p[n++] = 0;			/* Required Insert Count 0 */
	p[n++] = 0;			/* Base 0 */
	p[n++] = 0xc0 | 17;		/* indexed, static: :method GET */
	p[n++] = 0xc0 | 23;		/* indexed, static: :scheme https */
	p[n++] = 0x50 | 0;		/* literal, static name :authority */
	p[n++] = alen;			/* not Huffman-coded */
	memcpy(p + n, authority, alen);
	n += alen;
	p[n++] = 0x50 | 1;		/* literal, static name :path */
	p[n++] = plen;
	memcpy(p + n, path, plen);
	n += plen;
	f[0] = H3_HEADERS;
	f[1] = 0x40 | (n >> 8);		/* the length, a 2-byte varint */
	f[2] = n & 0xff;
	return send_all(fd, 0, f, n + 3, MSG_QUIC_STREAM_NEW, true);
}

/*
 * The :status of an encoded field section (@p, @n bytes) whose first field
 * line is an indexed one from the static table (as nghttp3 sends it); 0
 * when it is not, -1 when it uses the dynamic table.
 */
static int qpack_status(const uint8_t *p, size_t n)
{
	static const struct {
		unsigned int index;
		int status;
	} st[] = {
		{ 24, 103 }, { 25, 200 }, { 26, 304 }, { 27, 404 }, { 28, 503 },
		{ 63, 100 }, { 64, 204 }, { 65, 206 }, { 66, 302 }, { 67, 400 },
		{ 68, 403 }, { 69, 421 }, { 70, 425 }, { 71, 500 },
	};
	unsigned int idx;
	size_t i;

	if (n < 3)
		return 0;
	if (p[0])
		return -1;
	if ((p[2] & 0xc0) != 0xc0)
		return 0;
	idx = p[2] & 0x3f;
	if (idx == 0x3f) {
		if (n < 4 || p[3] & 0x80)
			return 0;
		idx += p[3];
	}
	for (i = 0; i < ARRAY_SIZE(st); i++)
		if (st[i].index == idx)
			return st[i].status;
	return 0;
}

/* A response as received on stream 0. */
struct h3resp {
	uint8_t *buf;		/* the stream, whole */
	size_t len, cap;
	size_t other;		/* bytes of other streams (the server's
				 * control and QPACK streams)
				 */
	int status;		/* of the HEADERS frame; 0: none understood */
	size_t body;		/* DATA bytes */
	uint8_t md[32];		/* their SHA-256 */
	char why[96];		/* what went wrong */
};

/* Parse the frames of r->buf; false (r->why) when they make no response. */
static bool h3_parse(struct h3resp *r)
{
	gnutls_hash_hd_t h;
	size_t off = 0;
	uint64_t type, len;
	int headers = 0;

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0) {
		snprintf(r->why, sizeof(r->why), "out of memory");
		return false;
	}
	while (off < r->len) {
		if (!varint_get(r->buf, r->len, &off, &type) ||
		    !varint_get(r->buf, r->len, &off, &len) ||
		    len > r->len - off) {
			snprintf(r->why, sizeof(r->why),
				 "a frame cut short at offset %zu", off);
			break;
		}
		if (type == H3_HEADERS && !headers++)
			r->status = qpack_status(r->buf + off, len);
		else if (type == H3_DATA && headers) {
			gnutls_hash(h, r->buf + off, len);
			r->body += len;
		}
		off += len;
	}
	gnutls_hash_deinit(h, r->md);
	if (!headers && !r->why[0])
		snprintf(r->why, sizeof(r->why), "no HEADERS frame");
	return !r->why[0];
}

/* Read the response on stream 0 (at most @cap bytes of it) and check it. */
static bool h3_response(int fd, size_t cap, double t0)
{
	struct h3resp r = { .cap = cap };
	char sum[65] = "";
	bool ok = false;

	r.buf = malloc(cap);
	if (!r.buf) {
		step("get", false, "out of memory");
		return false;
	}
	for (;;) {
		uint32_t flags = 0;
		int64_t sid = -1;
		ssize_t n;

		n = quic_recvmsg(fd, r.buf + r.len, r.cap - r.len ?
				 r.cap - r.len : 1, &sid, &flags);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n == 0 && !(flags & MSG_QUIC_STREAM_FIN))) {
			snprintf(r.why, sizeof(r.why), "after %zu bytes: %s",
				 r.len, n < 0 ? strerror(errno) :
				 "the connection ended");
			break;
		}
		if (sid != 0) {
			/* the server's unidirectional streams */
			if (sid & QUIC_STREAM_TYPE_UNI_MASK) {
				r.other += n;
				continue;
			}
			snprintf(r.why, sizeof(r.why),
				 "data on stream %" PRId64, sid);
			break;
		}
		r.len += n;
		if (flags & MSG_QUIC_STREAM_FIN) {
			h3_parse(&r);
			break;
		}
		if (r.len == r.cap) {
			snprintf(r.why, sizeof(r.why), "more than %zu bytes",
				 cap);
			break;
		}
	}
	if (!r.why[0]) {
		hex(r.md, sizeof(r.md), sum);
		ok = r.status == 200;
		if (!ok)
			snprintf(r.why, sizeof(r.why), "status %d%s", r.status,
				 r.status ? "" : " (not understood)");
	}
	step("get", ok, "status %d, body %zu bytes sha256 %s in %.0f ms; %zu bytes on the server's unidirectional streams%s%s",
	     r.status, r.body, sum[0] ? sum : "-", (now_s() - t0) * 1e3,
	     r.other, r.why[0] ? "; " : "", r.why);
	free(r.buf);
	return ok;
}

/* Close with H3_NO_ERROR (an application close). */
static void h3_close(int fd)
{
	struct quic_connection_close cc = { .errcode = H3_NO_ERROR };

	if (setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_CLOSE, &cc,
		       sizeof(cc)))
		printf("# QUIC_SOCKOPT_CONNECTION_CLOSE: %s\n",
		       strerror(errno));
}

/* ---------------------------------------------- resumption and 0-RTT */

#define SESSION_MAX	8192
#define TICKET_WAIT	2	/* seconds for the ticket after the requests */

/* What the client's first connection leaves to its second (-r). */
struct resume {
	uint8_t sess[SESSION_MAX];
	size_t sess_len;
	struct quic_transport_param tp;	/* the server's (.remote = 1) */
	socklen_t tp_len;
	uint8_t token[256];
	socklen_t token_len;
};

/*
 * The client's handshake with a GnuTLS session of its own (appendix B's
 * client_handshake()): creds_load()'s CA, SNI, ALPN, early data allowed,
 * resuming @r when not NULL.  0 or a negative errno; the session in
 * *@out (for gnutls_deinit()) when 0.
 */
static int client_session_hs(int fd, const struct client_opts *o,
			     const struct resume *r, gnutls_session_t *out)
{
	gnutls_session_t s;
	int ret;

	if (gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_ENABLE_EARLY_DATA |
			GNUTLS_NO_END_OF_EARLY_DATA))
		return -ENOMEM;
	ret = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE,
				     creds.x509_cli);
	if (!ret)
		ret = gnutls_priority_set_direct(s, QUIC_PRIORITY, NULL);
	if (!ret)
		ret = gnutls_server_name_set(s, GNUTLS_NAME_DNS, o->sni,
					     strlen(o->sni));
	if (ret) {
		printf("# client session: %s\n", gnutls_strerror(ret));
		gnutls_deinit(s);
		return -EINVAL;
	}
	gnutls_session_set_verify_cert(s, o->sni, 0);
	ret = o->alpn ? quic_session_set_alpn(s, o->alpn, strlen(o->alpn)) : 0;
	gnutls_transport_set_int(s, fd);
	if (!ret && r)
		ret = quic_session_set_data(s, r->sess, r->sess_len);
	if (!ret)
		ret = quic_handshake(s);
	if (ret) {
		gnutls_deinit(s);
		return ret;
	}
	*out = s;
	return 0;
}

/* After the first connection: its session data (waiting up to
 * TICKET_WAIT s for the ticket), the server's transport parameters and
 * its NEW_TOKEN token into @r; false when there is no session data.
 */
static bool resume_save(int fd, gnutls_session_t s, struct resume *r)
{
	double t0 = now_s();
	int ret;

	do {
		r->sess_len = sizeof(r->sess);
		ret = quic_session_get_data(s, r->sess, &r->sess_len);
		if (ret == -ENODATA)
			msleep(50);
	} while (ret == -ENODATA && now_s() - t0 < TICKET_WAIT);
	memset(&r->tp, 0, sizeof(r->tp));
	r->tp.remote = 1;
	r->tp_len = sizeof(r->tp);
	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &r->tp,
		       &r->tp_len)) {
		printf("# client: the server's transport parameters: %s\n",
		       strerror(errno));
		r->tp_len = 0;
	}
	r->token_len = sizeof(r->token);
	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_TOKEN, r->token,
		       &r->token_len)) {
		printf("# client: QUIC_SOCKOPT_TOKEN: %s\n", strerror(errno));
		r->token_len = 0;
	}
	step("ticket", !ret, "%s%s after %.0f ms; the server's transport parameters %s; NEW_TOKEN token: %u bytes",
	     ret ? "no session data: " : "session data",
	     ret ? strerror(-ret) : "", (now_s() - t0) * 1e3,
	     r->tp_len ? "saved" : "NOT saved", r->token_len);
	if (!ret)
		printf("# client: session data of %zu bytes\n", r->sess_len);
	if (r->tp_len)
		printf("# client: the server's max_udp_payload_size %u, initial_max_data %" PRIu64
		       ", max_stream_data_bidi_remote %" PRIu64 ", max_streams_bidi %u, max_streams_uni %u\n",
		       r->tp.max_udp_payload_size, (uint64_t)r->tp.max_data,
		       (uint64_t)r->tp.max_stream_data_bidi_remote,
		       r->tp.max_streams_bidi, r->tp.max_streams_uni);
	return !ret;
}

/* The second connection (-r) on @fd, connected, before its handshake: the
 * token; with -e the transport parameters and the first request (@put).
 */
static bool resume_prepare(int fd, const struct client_opts *o,
			   const struct resume *r, struct put *put)
{
	if (r->token_len &&
	    setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_TOKEN, r->token,
		       r->token_len)) {
		step("handshake", false, "QUIC_SOCKOPT_TOKEN: %s",
		     strerror(errno));
		return false;
	}
	if (!o->early)
		return true;
	if (!r->tp_len ||
	    setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, &r->tp,
		       r->tp_len)) {
		step("early", false, "setting the server's transport parameters: %s",
		     r->tp_len ? strerror(errno) : "none saved");
		return false;
	}
	if (o->h3path) {
		if (h3_control(fd, 2) ||
		    h3_request(fd, o->sni, o->h3path)) {
			step("early", false, "the request before the handshake: %s",
			     strerror(errno));
			return false;
		}
		printf("# client: control stream and GET %s sent before the handshake\n",
		       o->h3path);
		return true;
	}
	if (!put_send(fd, o->bytes, put))
		return false;
	printf("# client: PUT of %zu bytes sent before the handshake\n",
	       o->bytes);
	return true;
}

/* ------------------------------------------------------------ client */

/*
 * One connection of the client to @a: the first (@n 1) or, with -r, the
 * second (@n 2, resuming with @r); with -r the first fills @r.  0 or 1.
 */
static int client_conn(const struct client_opts *o, const struct addr *a,
		       int n, struct resume *r)
{
	gnutls_session_t s = NULL;
	char used[64] = "default";
	struct put put = { .t0 = 0 };
	double t0;
	bool ok;
	int fd, ret;

	snprintf(step_tag, sizeof(step_tag), n > 1 ? "-%d" : "", n);
	fd = socket(a->sa.sa_family, SOCK_DGRAM, IPPROTO_QUIC);
	if (fd < 0 || set_timeouts(fd, IO_TIMEOUT * 1000) ||
	    bind_dev(fd, o->dev)) {
		step("handshake", false, "socket: %s", strerror(errno));
		return 1;
	}
	if (o->extras && offer_datagrams(fd)) {
		step("handshake", false, "QUIC_SOCKOPT_TRANSPORT_PARAM: %s",
		     strerror(errno));
		close(fd);
		return 1;
	}
	t0 = now_s();
	if (connect(fd, &a->sa, a->len)) {
		step("handshake", false, "connect: %s", strerror(errno));
		close(fd);
		return 1;
	}
	if (o->resume)
		printf("# client: connection %d from port %d\n", n,
		       local_port(fd));
	if (n > 1 && !resume_prepare(fd, o, r, &put)) {
		close(fd);
		return 1;
	}
	if (o->resume)
		ret = client_session_hs(fd, o, n > 1 ? r : NULL, &s);
	else if (o->cipher)
		ret = handshake_cipher(fd, 0, o->cipher, o->alpn, o->sni, used,
				       sizeof(used));
	else
		ret = quic_client_handshake(fd, o->psk, o->psk ? NULL : o->sni,
					    o->alpn);
	if (ret) {
		step("handshake", false, "%s: %s (%d)",
		     o->resume || o->cipher ? "quic_handshake" :
		     "quic_client_handshake", strerror(-ret), ret);
		close(fd);
		return 1;
	}
	if (s)
		snprintf(used, sizeof(used), "%s",
			 gnutls_cipher_get_name(gnutls_cipher_get(s)));
	step_handshake(fd, o->alpn, o->cipher, used, t0);
	if (n > 1) {
		step("resumed", gnutls_session_is_resumed(s),
		     "gnutls_session_is_resumed() %d",
		     gnutls_session_is_resumed(s));
		if (o->early)
			step("early", gnutls_session_get_flags(s) &
			     GNUTLS_SFLAGS_EARLY_DATA,
			     "the first request went before the handshake; the server %s early data",
			     gnutls_session_get_flags(s) &
			     GNUTLS_SFLAGS_EARLY_DATA ? "accepted" :
			     "did NOT accept");
	}

	if (o->h3path) {
		/* sent already in 0-RTT with -e */
		if (!(n > 1 && o->early) &&
		    (h3_control(fd, 2) || h3_request(fd, o->sni, o->h3path)))
			step("get", false, "sending the request: %s",
			     strerror(errno));
		else
			h3_response(fd, o->bytes + 65536, t0);
		h3_close(fd);
	} else {
		if (n > 1 && o->early)
			ok = put_check(fd, o->bytes, &put);
		else
			ok = client_put(fd, o->bytes);
		if (!ok)
			step("download", false, "not run: the upload failed");
		else if (client_get(fd, o->bytes) && o->extras)
			client_extras(fd);
	}
	ret = 0;
	if (o->resume && n == 1 && !resume_save(fd, s, r))
		ret = 1;
	if (s)
		gnutls_deinit(s);
	close(fd);
	return ret;
}

static int client(const struct client_opts *o, const char *host,
		  const char *port)
{
	const char *ca = getenv("QUIC_CA_FILE");
	struct resume *r = NULL;
	struct addr a;

	if (parse_addr(host, (uint16_t)atoi(port), &a)) {
		fprintf(stderr, "bad address %s\n", host);
		return 2;
	}
	if ((o->cipher || o->resume) && (!ca || creds_load(ca, NULL, NULL))) {
		step("handshake", false, "%s: the CA (QUIC_CA_FILE) %s%s",
		     o->cipher ? "-C" : "-r",
		     ca ? "cannot be loaded from " : "is not set", ca ? ca : "");
		return 1;
	}
	if (o->resume) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return 1;
	}
	if (!client_conn(o, &a, 1, r) && o->resume)
		client_conn(o, &a, 2, r);
	free(r);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------ server */

struct server_opts {
	const char *alpn, *cert, *key, *cipher, *dev;
	int conns;
	size_t bytes;		/* -3: the size of each response */
	bool extras, validate, resume, early, h3;
};

enum req_kind { REQ_PUT, REQ_GET, REQ_RESET, REQ_STOP, REQ_STATUS };

struct req {
	int64_t sid;
	char hdr[64];
	size_t hdr_len;
	bool have_hdr, started;
	enum req_kind kind;
	size_t want, got;
	gnutls_hash_hd_t h;
};

/* The response to a complete request; false on a protocol error. */
static bool respond(int fd, struct req *r)
{
	uint8_t md[32], *buf;
	char line[128];
	struct pattern pat;
	size_t left;

	if (r->kind == REQ_PUT) {
		gnutls_hash_deinit(r->h, md);
		r->h = NULL;
		hex(md, sizeof(md), line);
		sprintf(line + 64, " %zu\n", r->got);
		if (send_all(fd, r->sid, line, strlen(line), 0, true)) {
			step("serve", false, "stream %" PRId64 ": send: %s",
			     r->sid, strerror(errno));
			return false;
		}
		printf("# served PUT of %zu bytes on stream %" PRId64 "\n",
		       r->got, r->sid);
		return true;
	}
	buf = malloc(CHUNK);
	if (!buf)
		return false;
	pattern_init(&pat);
	left = r->want;
	do {
		size_t k = left < CHUNK ? left : CHUNK;

		pattern_fill(&pat, buf, k);
		left -= k;
		if (send_all(fd, r->sid, buf, k, 0, !left)) {
			step("serve", false, "stream %" PRId64 ": send at %zu: %s",
			     r->sid, r->want - left - k, strerror(errno));
			free(buf);
			return false;
		}
	} while (left);
	free(buf);
	printf("# served GET of %zu bytes on stream %" PRId64 "\n", r->want,
	       r->sid);
	return true;
}

/* The request line in r->hdr; with @extras, those of the extras too. */
static bool parse_hdr(struct req *r, bool extras)
{
	static const struct {
		const char *line;
		enum req_kind kind;
	} xreqs[] = {
		{ "RESET\n", REQ_RESET },
		{ "STOP\n", REQ_STOP },
		{ "STATUS\n", REQ_STATUS },
	};
	char *end;
	size_t i;

	for (i = 0; extras && i < ARRAY_SIZE(xreqs); i++) {
		if (!strcmp(r->hdr, xreqs[i].line)) {
			r->kind = xreqs[i].kind;
			return true;
		}
	}
	if (!strncmp(r->hdr, "PUT ", 4))
		r->kind = REQ_PUT;
	else if (!strncmp(r->hdr, "GET ", 4))
		r->kind = REQ_GET;
	else
		return false;
	r->want = strtoull(r->hdr + 4, &end, 10);
	if (*end != '\n')
		return false;
	return r->kind != REQ_PUT ||
	       gnutls_hash_init(&r->h, GNUTLS_DIG_SHA256) >= 0;
}

/* Feed received bytes to a request; false on a protocol error. */
static bool feed(struct req *r, const uint8_t *d, size_t n, bool extras)
{
	while (n && !r->have_hdr) {
		if (r->hdr_len == sizeof(r->hdr) - 1)
			return false;
		r->hdr[r->hdr_len++] = *d;
		if (*d++ == '\n') {
			r->hdr[r->hdr_len] = 0;
			r->have_hdr = true;
			if (!parse_hdr(r, extras))
				return false;
		}
		n--;
	}
	if (!n)
		return true;
	if (r->kind == REQ_RESET) {
		r->got += n;	/* what comes before the reset: ignored */
		return true;
	}
	if (r->kind != REQ_PUT)
		return false;	/* the others have no body */
	gnutls_hash(r->h, d, n);
	r->got += n;
	return r->got <= r->want;
}

/* Did recvmsg() leave the poison in the first bytes it claims to fill? */
static bool poisoned(const uint8_t *buf, ssize_t n)
{
	ssize_t i;

	for (i = 0; i < n && i < 64; i++)
		if (buf[i] != 0x5a)
			return false;
	return n > 0;
}

/* What the server saw of the extras (-x). */
struct xserver {
	int dgrams, echoed;	/* datagrams received, and sent back */
	int nresets;		/* RECV_STATE_RESET_RECVD events */
	bool reset_ok;		/* the first: stream 8, code 17, answered */
	char resets[128];	/* "<stream> <code>" of each */
	int64_t stop_sid;	/* the stream of STOP, or -1 */
	size_t stop_sent;	/* bytes of the answer sendmsg() took */
	int stop_err;		/* the errno that ended it; 0: all sent */
	int64_t stop_ev_sid;	/* SEND_STATE_RESET_SENT: the stream, or -1 */
	uint32_t stop_code;	/* and code */
	int64_t status_sid;	/* a STATUS waiting for that event, or -1 */
	double status_until;	/* until then (now_s() time) */
};

static void xs_echo(int fd, struct xserver *x, const uint8_t *buf, ssize_t n)
{
	x->dgrams++;
	if (send(fd, buf, n, MSG_QUIC_DATAGRAM) == n)
		x->echoed++;
	else
		printf("# server: echoing a datagram of %zd bytes: %s\n", n,
		       strerror(errno));
}

/* The answer to STATUS; false (a step) when it cannot be sent. */
static bool xs_status(int fd, struct xserver *x)
{
	int64_t sid = x->status_sid;
	char line[32];

	if (x->stop_ev_sid >= 0)
		snprintf(line, sizeof(line), "stopped %u\n", x->stop_code);
	else
		snprintf(line, sizeof(line), "stopped none\n");
	x->status_sid = -1;
	set_rcvtimeo(fd, IO_TIMEOUT * 1000);
	if (send_all(fd, sid, line, strlen(line), 0, true)) {
		step("serve", false, "stream %" PRId64 ": send: %s", sid,
		     strerror(errno));
		return false;
	}
	printf("# server: STATUS on stream %" PRId64 " answered with %.*s\n",
	       sid, (int)strcspn(line, "\n"), line);
	return true;
}

/*
 * An event of the extras: a stream reset by the peer is answered on its
 * other half (and its request forgotten), SEND_STATE_RESET_SENT (our stack
 * answering STOP_SENDING) noted.  False on a fatal error (a step).
 */
static bool xs_event(int fd, struct xserver *x, const uint8_t *buf,
		     ssize_t n, struct req *reqs, int *nreq)
{
	struct quic_stream_update u;
	size_t len = strlen(x->resets);
	char line[32];
	bool sent;
	int i;

	if (!stream_event("server", buf, n, &u))
		return true;
	if (u.state == QUIC_STREAM_RECV_STATE_RESET_RECVD) {
		snprintf(line, sizeof(line), "reset %u\n", u.errcode);
		sent = !send_all(fd, u.id, line, strlen(line), 0, true);
		if (!sent)
			printf("# server: stream %" PRId64 ": answering the reset: %s\n",
			       (int64_t)u.id, strerror(errno));
		if (!x->nresets++)
			x->reset_ok = sent && u.id == RESET_SID &&
				      u.errcode == RESET_CODE;
		snprintf(x->resets + len, sizeof(x->resets) - len, "%s%" PRId64
			 " %u%s", len ? ", " : "", (int64_t)u.id, u.errcode,
			 sent ? "" : " (not answered)");
		for (i = 0; i < *nreq; i++) {
			if (reqs[i].sid != u.id)
				continue;
			if (reqs[i].h)
				gnutls_hash_deinit(reqs[i].h, NULL);
			reqs[i] = reqs[--*nreq];
			break;
		}
	} else if (u.state == QUIC_STREAM_SEND_STATE_RESET_SENT &&
		   x->stop_ev_sid < 0) {
		x->stop_ev_sid = u.id;
		x->stop_code = u.errcode;
		if (x->status_sid >= 0)
			return xs_status(fd, x);
	}
	return true;
}

/* The answer to STOP: 4 MiB of the pattern, no FIN, until sendmsg() fails */
static void xs_stop(int fd, struct xserver *x, int64_t sid)
{
	uint8_t *buf = malloc(CHUNK);
	struct pattern pat;
	size_t off = 0;

	x->stop_sid = sid;
	x->stop_err = 0;
	pattern_init(&pat);
	while (buf && off < STOP_ANSWER && !x->stop_err) {
		size_t k = STOP_ANSWER - off < CHUNK ? STOP_ANSWER - off : CHUNK;
		size_t done = 0;

		pattern_fill(&pat, buf, k);
		while (done < k) {
			ssize_t n = quic_sendmsg(fd, buf + done, k - done, sid,
						 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				x->stop_err = n < 0 ? errno : EPROTO;
				break;
			}
			done += n;
			off += n;
		}
	}
	if (!buf)
		x->stop_err = ENOMEM;
	x->stop_sent = off;
	printf("# server: stream %" PRId64 ": the answer to STOP ended after %zu bytes: %s\n",
	       sid, off, x->stop_err ? strerror(x->stop_err) : "all sent");
	free(buf);
}

static void xs_steps(const struct xserver *x)
{
	char ev[96];

	step("dgram-server", x->dgrams == DGRAMS && x->echoed == DGRAMS,
	     "%d datagrams received, %d echoed", x->dgrams, x->echoed);
	step("reset-server", x->nresets == 1 && x->reset_ok, "%s%s",
	     x->nresets ? "RECV_STATE_RESET_RECVD (stream code): " :
	     "no stream was reset by the peer", x->resets);
	if (x->stop_sid < 0) {
		step("stop-server", false, "no STOP request");
		return;
	}
	if (x->stop_ev_sid >= 0)
		snprintf(ev, sizeof(ev),
			 "SEND_STATE_RESET_SENT for stream %" PRId64
			 " with code %u", x->stop_ev_sid, x->stop_code);
	else
		snprintf(ev, sizeof(ev), "no SEND_STATE_RESET_SENT event");
	step("stop-server", x->stop_err == ECONNRESET &&
	     x->stop_sid == STOP_SID && x->stop_ev_sid == STOP_SID &&
	     x->stop_code == STOP_CODE,
	     "sendmsg() of the answer to STOP on stream %" PRId64
	     " ended with %s after %zu of %d bytes; %s", x->stop_sid,
	     x->stop_err ? strerror(x->stop_err) : "none (all sent)",
	     x->stop_sent, STOP_ANSWER, ev);
}

static void serve(int fd, bool extras)
{
	struct xserver xs = { .stop_sid = -1, .stop_ev_sid = -1,
			      .status_sid = -1 };
	struct xserver *x = extras ? &xs : NULL;
	struct req reqs[MAX_STREAMS] = {};
	uint8_t *buf = malloc(CHUNK);
	int nreq = 0, served = 0, i;

	if (!buf) {
		step("serve", false, "out of memory");
		return;
	}
	if (x && set_event(fd, QUIC_EVENT_STREAM_UPDATE, 1)) {
		step("serve", false, "QUIC_SOCKOPT_EVENT: %s", strerror(errno));
		free(buf);
		return;
	}
	for (;;) {
		uint32_t flags = 0;
		int64_t sid = -1;
		struct req *r = NULL;
		ssize_t n;

		if (x && x->status_sid >= 0) {
			double left = x->status_until - now_s();

			set_rcvtimeo(fd, left > 0 ? (int)(left * 1000) + 1 : 1);
		}
		memset(buf, 0x5a, 64);	/* shows what recvmsg did not fill */
		n = quic_recvmsg(fd, buf, CHUNK, &sid, &flags);
		if (n < 0 && errno == EINTR)
			continue;
		if (x && n < 0 && errno == EAGAIN && x->status_sid >= 0) {
			/* no stop event came: "stopped none" */
			if (!xs_status(fd, x))
				break;
			continue;
		}
		if (x && n >= 0 && (flags & MSG_QUIC_DATAGRAM)) {
			xs_echo(fd, x, buf, n);
			continue;
		}
		if (x && n > 0 && (flags & MSG_QUIC_NOTIFICATION)) {
			if (!xs_event(fd, x, buf, n, reqs, &nreq))
				break;
			continue;
		}
		if (n < 0 || (n == 0 && !(flags & MSG_QUIC_STREAM_FIN))) {
			int err = n < 0 ? errno : 0;

			report_close("server", fd, err);
			step("serve", served > 0, "%d requests served", served);
			step("peer-close", n == 0 || err == ENOTCONN ||
			     err == ECONNRESET, "recvmsg: %s",
			     n ? strerror(err) : "EOF");
			break;
		}
		if (sid < 0) {
			/* a result without a QUIC_STREAM_INFO cmsg */
			step("serve", false, "recvmsg returned %zd, msg_flags %#x, without stream info%s",
			     n, flags, poisoned(buf, n) ?
			     " and filled no data (a positive errno?)" : "");
			break;
		}
		for (i = 0; i < nreq; i++)
			if (reqs[i].sid == sid)
				r = &reqs[i];
		if (!r) {
			if (nreq == MAX_STREAMS) {
				step("serve", false, "too many streams");
				break;
			}
			r = &reqs[nreq++];
			memset(r, 0, sizeof(*r));
			r->sid = sid;
		}
		if (!feed(r, buf, n, extras)) {
			char dump[2 * 32 + 1];

			hex(buf, n < 32 ? n : 32, dump);
			printf("# recvmsg: %zd bytes, msg_flags %#x, stream %" PRId64
			       ": %s\n", n, flags, sid, dump);
			step("serve", false, "stream %" PRId64 ": bad request \"%.*s\"",
			     sid, (int)strcspn(r->hdr, "\n"), r->hdr);
			break;
		}
		if (r->kind == REQ_STOP && r->have_hdr && !r->started) {
			/* blocks until STOP_SENDING (or the timeout) */
			r->started = true;
			xs_stop(fd, x, sid);
		}
		if (!(flags & MSG_QUIC_STREAM_FIN))
			continue;
		if (!r->have_hdr ||
		    (r->kind == REQ_PUT && r->got != r->want)) {
			step("serve", false, "stream %" PRId64 ": request ended early",
			     sid);
			break;
		}
		if (r->kind == REQ_RESET || r->kind == REQ_STOP) {
			step("serve", false, "stream %" PRId64 ": FIN after %.*s",
			     sid, (int)strcspn(r->hdr, "\n"), r->hdr);
			break;
		}
		if (r->kind == REQ_STATUS) {
			/* answered once the stop event is in, or in 2 s */
			x->status_sid = sid;
			x->status_until = now_s() + STATUS_WAIT;
			if (x->stop_ev_sid >= 0 && !xs_status(fd, x))
				break;
		} else if (!respond(fd, r)) {
			break;
		}
		served++;
		/* forget it: a later stream may reuse the slot */
		*r = reqs[--nreq];
	}
	if (x) {
		print_drops("server", fd);
		xs_steps(x);
	}
	for (i = 0; i < nreq; i++)
		if (reqs[i].h)
			gnutls_hash_deinit(reqs[i].h, NULL);
	free(buf);
}

/* HTTP/3 (-3): answer each request with status 200 and @bytes bytes. */
static bool h3_answer(int fd, int64_t sid, size_t bytes)
{
	/* HEADERS: Required Insert Count 0, Base 0, static 25 :status 200 */
	static const uint8_t headers[] = { H3_HEADERS, 3, 0, 0, 0xc0 | 25 };
	uint8_t *buf = malloc(CHUNK), md[32], dh[9];
	struct pattern pat;
	gnutls_hash_hd_t h;
	size_t left = bytes;
	char sum[65];
	bool ok = false;

	if (!buf || gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0) {
		free(buf);
		step("get-server", false, "out of memory");
		return false;
	}
	dh[0] = H3_DATA;
	if (send_all(fd, sid, headers, sizeof(headers), 0, false) ||
	    send_all(fd, sid, dh, 1 + varint_put(dh + 1, bytes), 0, !bytes))
		goto fail;
	pattern_init(&pat);
	while (left) {
		size_t k = left < CHUNK ? left : CHUNK;

		pattern_fill(&pat, buf, k);
		gnutls_hash(h, buf, k);
		left -= k;
		if (send_all(fd, sid, buf, k, 0, !left))
			goto fail;
	}
	ok = true;
fail:
	gnutls_hash_deinit(h, md);
	hex(md, sizeof(md), sum);
	step("get-server", ok, "stream %" PRId64 ": status 200 and %zu bytes, sha256 %s%s%s",
	     sid, bytes, sum, ok ? "" : "; send: ", ok ? "" : strerror(errno));
	free(buf);
	return ok;
}

/*
 * HTTP/3 (-3) on an accepted connection: our control stream, then every
 * request stream (client-initiated bidirectional) that begins with a
 * HEADERS frame is answered at its FIN; the client's unidirectional
 * streams (control, QPACK) are read and ignored.  Until the connection
 * ends.
 */
static void serve_h3(int fd, size_t bytes)
{
	struct {
		int64_t sid;
		int first;	/* the first byte, -1 before it */
	} reqs[MAX_STREAMS];
	uint8_t *buf = malloc(CHUNK);
	int nreq = 0, served = 0, i;
	size_t uni = 0;

	if (!buf || h3_control(fd, 3)) {
		step("serve", false, "%s", buf ? strerror(errno) :
		     "out of memory");
		free(buf);
		return;
	}
	for (;;) {
		uint32_t flags = 0;
		int64_t sid = -1;
		ssize_t n;

		n = quic_recvmsg(fd, buf, CHUNK, &sid, &flags);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n == 0 && !(flags & MSG_QUIC_STREAM_FIN))) {
			int err = n < 0 ? errno : 0;

			report_close("server", fd, err);
			printf("# server: %zu bytes on the client's unidirectional streams\n",
			       uni);
			step("serve", served > 0, "%d requests served", served);
			step("peer-close", n == 0 || err == ENOTCONN ||
			     err == ECONNRESET, "recvmsg: %s",
			     n ? strerror(err) : "EOF");
			break;
		}
		if (sid < 0 || (sid & QUIC_STREAM_TYPE_SERVER_MASK)) {
			step("serve", false, "%zd bytes for stream %" PRId64,
			     n, sid);
			break;
		}
		if (sid & QUIC_STREAM_TYPE_UNI_MASK) {
			uni += n;
			continue;
		}
		for (i = 0; i < nreq && reqs[i].sid != sid; i++)
			;
		if (i == nreq) {
			if (nreq == MAX_STREAMS) {
				step("serve", false, "too many streams");
				break;
			}
			reqs[nreq].sid = sid;
			reqs[nreq++].first = -1;
		}
		if (reqs[i].first < 0 && n > 0)
			reqs[i].first = buf[0];
		if (!(flags & MSG_QUIC_STREAM_FIN))
			continue;
		if (reqs[i].first != H3_HEADERS) {
			step("serve", false, "stream %" PRId64 ": no HEADERS frame first (%d)",
			     sid, reqs[i].first);
			break;
		}
		if (!h3_answer(fd, sid, bytes))
			break;
		served++;
		reqs[i] = reqs[--nreq];
	}
	free(buf);
}

/* What a server's handshake did (-r). */
struct srv_hs {
	bool resumed, early;
};

/*
 * The server's handshake with a GnuTLS session of its own (-r), as
 * appendix B's server_handshake(): creds_load()'s certificate, the ticket
 * key from the socket, early data allowed.  0 or a negative errno.
 */
static int server_session_hs(int fd, const struct server_opts *o,
			     struct srv_hs *hs)
{
	uint8_t key[64];
	socklen_t klen = sizeof(key);
	gnutls_datum_t k = { key, sizeof(key) };
	gnutls_session_t s;
	int ret;

	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET, key, &klen))
		return -errno;
	if (klen != sizeof(key))
		return -EMSGSIZE;
	if (gnutls_init(&s, GNUTLS_SERVER | GNUTLS_ENABLE_EARLY_DATA |
			GNUTLS_NO_END_OF_EARLY_DATA |
			GNUTLS_NO_AUTO_SEND_TICKET))
		return -ENOMEM;
	ret = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE,
				     creds.x509_srv);
	if (!ret)
		ret = gnutls_session_ticket_enable_server(s, &k);
	if (!ret)
		ret = gnutls_priority_set_direct(s, QUIC_PRIORITY, NULL);
	if (ret) {
		printf("# server session: %s\n", gnutls_strerror(ret));
		gnutls_deinit(s);
		return -EINVAL;
	}
	ret = o->alpn ? quic_session_set_alpn(s, o->alpn, strlen(o->alpn)) : 0;
	gnutls_transport_set_int(s, fd);
	if (!ret)
		ret = quic_handshake(s);
	hs->resumed = gnutls_session_is_resumed(s);
	hs->early = gnutls_session_get_flags(s) & GNUTLS_SFLAGS_EARLY_DATA;
	gnutls_deinit(s);
	return ret;
}

/* validate_peer_address on the listener (-V) */
static int set_validate(int fd)
{
	struct quic_config c;
	socklen_t len = sizeof(c);

	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &c, &len))
		return -1;
	c.validate_peer_address = 1;
	return setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &c, len);
}

/* The steps of -r and -e over the @n handshakes in @hs. */
static void resume_steps(const struct server_opts *o, const struct srv_hs *hs,
			 int n)
{
	char what[256] = "";
	size_t len = 0;
	bool resumed = n > 1 && !hs[0].resumed, early = n > 1;
	int i;

	for (i = 0; i < n; i++) {
		len += snprintf(what + len, sizeof(what) - len,
				"%sconnection %d: %s%s", i ? "; " : "", i + 1,
				hs[i].resumed ? "resumed" : "full handshake",
				hs[i].early ? ", early data accepted" : "");
		if (len >= sizeof(what))
			len = sizeof(what) - 1;
		if (i) {
			resumed = resumed && hs[i].resumed;
			early = early && hs[i].early;
		}
	}
	step_tag[0] = 0;
	step("resumed-server", resumed, "%s", what);
	if (o->early)
		step("early-server", early, "%s", what);
}

static int server(const struct server_opts *o, const char *host,
		  const char *port)
{
	struct srv_hs *hs = NULL;
	struct addr a;
	int lfd, fd, ret, c, done = 0;

	if (parse_addr(host, (uint16_t)atoi(port), &a)) {
		fprintf(stderr, "bad address %s\n", host);
		return 2;
	}
	if ((o->cipher || o->resume) &&
	    (!o->cert || !o->key || creds_load(NULL, o->cert, o->key))) {
		step("listen", false, "%s: the certificate and key (-c, -k) %s",
		     o->cipher ? "-C" : "-r",
		     o->cert && o->key ? "cannot be loaded" : "are missing");
		return 1;
	}
	if (o->resume) {
		hs = calloc(o->conns, sizeof(*hs));
		if (!hs)
			return 1;
	}
	lfd = socket(a.sa.sa_family, SOCK_DGRAM, IPPROTO_QUIC);
	if (lfd < 0 || (o->extras && offer_datagrams(lfd)) ||
	    bind_dev(lfd, o->dev) ||
	    bind(lfd, &a.sa, a.len) ||
	    listen(lfd, 8) || set_timeouts(lfd, IO_TIMEOUT * 1000) ||
	    (o->validate && set_validate(lfd))) {
		step("listen", false, "%s", strerror(errno));
		free(hs);
		return 1;
	}
	step("listen", true, "on %s port %s%s", host, port,
	     o->validate ? ", validate_peer_address" : "");
	for (c = 0; c < o->conns; c++) {
		char used[64] = "default";
		double t0;

		snprintf(step_tag, sizeof(step_tag), c ? "-%d" : "", c + 1);
		fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			step("accept", false, "%s", strerror(errno));
			break;
		}
		t0 = now_s();
		if (set_timeouts(fd, IO_TIMEOUT * 1000)) {
			step("handshake", false, "SO_RCVTIMEO: %s",
			     strerror(errno));
			close(fd);
			break;
		}
		if (o->resume)
			ret = server_session_hs(fd, o, &hs[c]);
		else if (o->cipher)
			ret = handshake_cipher(fd, 1, o->cipher, o->alpn, NULL,
					       used, sizeof(used));
		else
			ret = quic_server_handshake(fd, o->key, o->cert,
						    o->alpn);
		if (ret) {
			step("handshake", false, "%s: %s (%d)",
			     o->cipher || o->resume ? "quic_handshake" :
			     "quic_server_handshake", strerror(-ret), ret);
			close(fd);
			continue;
		}
		done = c + 1;
		step_handshake(fd, o->alpn, o->cipher, used, t0);
		if (o->resume)
			printf("# server: connection %d: %s%s\n", c + 1,
			       hs[c].resumed ? "resumed" : "full handshake",
			       hs[c].early ? ", early data accepted" : "");
		if (o->h3)
			serve_h3(fd, o->bytes);
		else
			serve(fd, o->extras);
		close(fd);
	}
	if (o->resume)
		resume_steps(o, hs, done);
	free(hs);
	close(lfd);
	return failures ? 1 : 0;
}

/* -------------------------------------------------------------- main */

static int usage(void)
{
	fprintf(stderr,
		"usage: interop_peer client [-a ALPN] [-s SNI] [-p PSKFILE] [-n BYTES] [-C CIPHER] [-x] [-I DEV] [-r [-e]] [-3 PATH] HOST PORT\n"
		"       interop_peer server [-a ALPN] [-c CERT] [-k KEY|PSKFILE] [-N CONNS] [-C CIPHER] [-x] [-I DEV] [-V] [-r [-e]] [-3] [-n BYTES] HOST PORT\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct client_opts co = { .alpn = "interop", .sni = "localhost",
				  .bytes = 1 << 20 };
	struct server_opts so = { .alpn = "interop", .conns = 1,
				  .bytes = 1 << 20 };
	bool is_client, alpn_set = false;
	int opt;

	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "client"))
		is_client = true;
	else if (!strcmp(argv[1], "server"))
		is_client = false;
	else
		return usage();
	argv++;
	argc--;
	/* -3 takes a path for a client, nothing for a server */
	while ((opt = getopt(argc, argv, is_client ?
			     "a:s:p:n:c:k:N:C:xI:Vre3:" :
			     "a:s:p:n:c:k:N:C:xI:Vre3")) != -1) {
		switch (opt) {
		case 'V':
			so.validate = true;
			break;
		case 'r':
			co.resume = so.resume = true;
			break;
		case 'e':
			co.early = so.early = true;
			break;
		case '3':
			so.h3 = true;
			co.h3path = optarg;
			if (!alpn_set)
				co.alpn = so.alpn = "h3";
			break;
		case 'I':
			co.dev = so.dev = optarg;
			break;
		case 'x':
			co.extras = true;
			so.extras = true;
			break;
		case 'C':
			co.cipher = so.cipher = optarg;
			break;
		case 'a':
			co.alpn = so.alpn = *optarg ? optarg : NULL;
			alpn_set = true;
			break;
		case 's':
			co.sni = optarg;
			break;
		case 'p':
			co.psk = optarg;
			break;
		case 'n':
			co.bytes = so.bytes = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			so.cert = optarg;
			break;
		case 'k':
			so.key = optarg;
			break;
		case 'N':
			so.conns = atoi(optarg);
			break;
		default:
			return usage();
		}
	}
	if (argc - optind != 2 || (co.early && !co.resume) ||
	    (so.conns < 1 || so.conns > 64))
		return usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (is_client)
		return client(&co, argv[optind], argv[optind + 1]);
	return server(&so, argv[optind], argv[optind + 1]);
}
