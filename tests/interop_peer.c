// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * interop_peer: our side of the interop and tshark tests, a QUIC client or
 * server on IPPROTO_QUIC sockets with the handshake done by libquic.
 *
 *   interop_peer client [-a ALPN] [-s SNI] [-p PSKFILE] [-n BYTES]
 *                       [-C CIPHER] HOST PORT
 *   interop_peer server [-a ALPN] [-c CERT] [-k KEY|PSKFILE] [-N CONNS]
 *                       [-C CIPHER] HOST PORT
 *
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
 * Progress goes to stdout as lines "STEP <name> ok|fail <details>" that
 * tests/interop_test.sh turns into TAP; the exit status is 0 iff every step
 * passed.  The server prints "STEP listen ok" once it is listening.
 */
#include <errno.h>
#include <gnutls/crypto.h>
#include <inttypes.h>
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
#define MAX_STREAMS	16
#define IO_TIMEOUT	30	/* seconds, for every blocking socket call */

static int failures;

static void step(const char *name, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void step(const char *name, bool ok, const char *fmt, ...)
{
	va_list ap;

	if (!ok)
		failures++;
	printf("STEP %s %s ", name, ok ? "ok" : "fail");
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

/* ------------------------------------------------------------ client */

struct client_opts {
	const char *alpn, *sni, *psk, *cipher;
	size_t bytes;
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

static bool client_put(int fd, size_t bytes)
{
	uint8_t *buf = malloc(CHUNK), resp[256], md[32];
	char hdr[64], want[128];
	struct pattern pat;
	gnutls_hash_hd_t h;
	double t0 = now_s();
	size_t left = bytes;
	ssize_t n;

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
	h = NULL;
	hex(md, sizeof(md), want);
	sprintf(want + 64, " %zu\n", bytes);

	n = read_stream(fd, 0, resp, sizeof(resp) - 1, "upload");
	if (n < 0)
		goto fail;
	resp[n] = 0;
	free(buf);
	if (strcmp((char *)resp, want)) {
		step("upload", false, "peer saw \"%.*s\", we sent \"%.*s\"",
		     (int)strcspn((char *)resp, "\n"), resp,
		     (int)strcspn(want, "\n"), want);
		return false;
	}
	step("upload", true, "%zu bytes in %.0f ms, sha256 %.64s", bytes,
	     (now_s() - t0) * 1e3, want);
	return true;
fail:
	if (h)
		gnutls_hash_deinit(h, NULL);
	free(buf);
	return false;
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

static int client(const struct client_opts *o, const char *host,
		  const char *port)
{
	const char *ca = getenv("QUIC_CA_FILE");
	char used[64] = "default";
	struct addr a;
	double t0;
	int fd, ret;

	if (parse_addr(host, (uint16_t)atoi(port), &a)) {
		fprintf(stderr, "bad address %s\n", host);
		return 2;
	}
	if (o->cipher && (!ca || creds_load(ca, NULL, NULL))) {
		step("handshake", false, "-C: the CA (QUIC_CA_FILE) %s%s",
		     ca ? "cannot be loaded from " : "is not set", ca ? ca : "");
		return 1;
	}
	fd = socket(a.sa.sa_family, SOCK_DGRAM, IPPROTO_QUIC);
	if (fd < 0 || set_timeouts(fd, IO_TIMEOUT * 1000)) {
		step("handshake", false, "socket: %s", strerror(errno));
		return 1;
	}
	t0 = now_s();
	if (connect(fd, &a.sa, a.len)) {
		step("handshake", false, "connect: %s", strerror(errno));
		return 1;
	}
	if (o->cipher)
		ret = handshake_cipher(fd, 0, o->cipher, o->alpn, o->sni, used,
				       sizeof(used));
	else
		ret = quic_client_handshake(fd, o->psk, o->psk ? NULL : o->sni,
					    o->alpn);
	if (ret) {
		step("handshake", false, "%s: %s (%d)",
		     o->cipher ? "quic_handshake" : "quic_client_handshake",
		     strerror(-ret), ret);
		return 1;
	}
	step_handshake(fd, o->alpn, o->cipher, used, t0);

	if (client_put(fd, o->bytes))
		client_get(fd, o->bytes);
	else
		step("download", false, "not run: the upload failed");
	close(fd);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------ server */

struct server_opts {
	const char *alpn, *cert, *key, *cipher;
	int conns;
};

struct req {
	int64_t sid;
	char hdr[64];
	size_t hdr_len;
	bool have_hdr, put;
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

	if (r->put) {
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

/* Feed received bytes to a request; false on a protocol error. */
static bool feed(struct req *r, const uint8_t *d, size_t n)
{
	while (n && !r->have_hdr) {
		if (r->hdr_len == sizeof(r->hdr) - 1)
			return false;
		r->hdr[r->hdr_len++] = *d;
		if (*d++ == '\n') {
			char *end;

			r->hdr[r->hdr_len] = 0;
			r->have_hdr = true;
			if (!strncmp(r->hdr, "PUT ", 4))
				r->put = true;
			else if (strncmp(r->hdr, "GET ", 4))
				return false;
			r->want = strtoull(r->hdr + 4, &end, 10);
			if (*end != '\n')
				return false;
			if (r->put &&
			    gnutls_hash_init(&r->h, GNUTLS_DIG_SHA256) < 0)
				return false;
		}
		n--;
	}
	if (!n)
		return true;
	if (!r->put)
		return false;	/* a GET has no body */
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

static void serve(int fd)
{
	struct req reqs[MAX_STREAMS] = {};
	uint8_t *buf = malloc(CHUNK);
	int nreq = 0, served = 0, i;

	if (!buf) {
		step("serve", false, "out of memory");
		return;
	}
	for (;;) {
		uint32_t flags = 0;
		int64_t sid = -1;
		struct req *r = NULL;
		ssize_t n;

		memset(buf, 0x5a, 64);	/* shows what recvmsg did not fill */
		n = quic_recvmsg(fd, buf, CHUNK, &sid, &flags);
		if (n < 0 && errno == EINTR)
			continue;
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
		if (!feed(r, buf, n)) {
			char dump[2 * 32 + 1];

			hex(buf, n < 32 ? n : 32, dump);
			printf("# recvmsg: %zd bytes, msg_flags %#x, stream %" PRId64
			       ": %s\n", n, flags, sid, dump);
			step("serve", false, "stream %" PRId64 ": bad request \"%.*s\"",
			     sid, (int)strcspn(r->hdr, "\n"), r->hdr);
			break;
		}
		if (!(flags & MSG_QUIC_STREAM_FIN))
			continue;
		if (!r->have_hdr || (r->put && r->got != r->want)) {
			step("serve", false, "stream %" PRId64 ": request ended early",
			     sid);
			break;
		}
		if (!respond(fd, r))
			break;
		served++;
		/* forget it: a later stream may reuse the slot */
		*r = reqs[--nreq];
	}
	for (i = 0; i < nreq; i++)
		if (reqs[i].h)
			gnutls_hash_deinit(reqs[i].h, NULL);
	free(buf);
}

static int server(const struct server_opts *o, const char *host,
		  const char *port)
{
	struct addr a;
	int lfd, fd, ret, c;

	if (parse_addr(host, (uint16_t)atoi(port), &a)) {
		fprintf(stderr, "bad address %s\n", host);
		return 2;
	}
	if (o->cipher && (!o->cert || !o->key ||
			  creds_load(NULL, o->cert, o->key))) {
		step("listen", false, "-C: the certificate and key (-c, -k) %s",
		     o->cert && o->key ? "cannot be loaded" : "are missing");
		return 1;
	}
	lfd = socket(a.sa.sa_family, SOCK_DGRAM, IPPROTO_QUIC);
	if (lfd < 0 || bind(lfd, &a.sa, a.len) ||
	    listen(lfd, 8) || set_timeouts(lfd, IO_TIMEOUT * 1000)) {
		step("listen", false, "%s", strerror(errno));
		return 1;
	}
	step("listen", true, "on %s port %s", host, port);
	for (c = 0; c < o->conns; c++) {
		char used[64] = "default";
		double t0;

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
		if (o->cipher)
			ret = handshake_cipher(fd, 1, o->cipher, o->alpn, NULL,
					       used, sizeof(used));
		else
			ret = quic_server_handshake(fd, o->key, o->cert,
						    o->alpn);
		if (ret) {
			step("handshake", false, "%s: %s (%d)",
			     o->cipher ? "quic_handshake" :
			     "quic_server_handshake", strerror(-ret), ret);
			close(fd);
			continue;
		}
		step_handshake(fd, o->alpn, o->cipher, used, t0);
		serve(fd);
		close(fd);
	}
	close(lfd);
	return failures ? 1 : 0;
}

/* -------------------------------------------------------------- main */

static int usage(void)
{
	fprintf(stderr,
		"usage: interop_peer client [-a ALPN] [-s SNI] [-p PSKFILE] [-n BYTES] [-C CIPHER] HOST PORT\n"
		"       interop_peer server [-a ALPN] [-c CERT] [-k KEY|PSKFILE] [-N CONNS] [-C CIPHER] HOST PORT\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct client_opts co = { .alpn = "interop", .sni = "localhost",
				  .bytes = 1 << 20 };
	struct server_opts so = { .alpn = "interop", .conns = 1 };
	bool is_client;
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
	while ((opt = getopt(argc, argv, "a:s:p:n:c:k:N:C:")) != -1) {
		switch (opt) {
		case 'C':
			co.cipher = so.cipher = optarg;
			break;
		case 'a':
			co.alpn = so.alpn = *optarg ? optarg : NULL;
			break;
		case 's':
			co.sni = optarg;
			break;
		case 'p':
			co.psk = optarg;
			break;
		case 'n':
			co.bytes = strtoull(optarg, NULL, 0);
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
	if (argc - optind != 2)
		return usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (is_client)
		return client(&co, argv[optind], argv[optind + 1]);
	return server(&so, argv[optind], argv[optind + 1]);
}
