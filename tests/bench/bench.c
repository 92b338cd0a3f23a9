// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench: loopback throughput and handshake latency of kernel TCP, kTLS
 * (TLS 1.3, AES-128-GCM) and IPPROTO_QUIC sockets with libquic.
 *
 * A benchmark, not a test: tests/bench/run.sh runs it in a guest and
 * tabulates the RESULT lines it prints.  Each invocation forks a server
 * child and runs the client in the parent, on 127.0.0.1.
 *
 *   bench tput tcp|ktls|quic [-s MSG] [-t TOTAL] [-r RECVBUF] [-V 0|1]
 *	the client sends TOTAL bytes in MSG-byte writes; the server reads
 *	them (RECVBUF bytes per call, default max(MSG, 64 KiB)), checksums
 *	the stream (-V 0: no checksum) and answers with the byte count and
 *	the checksum; the time runs from the first write to that answer.
 *	QUIC: one bidirectional stream, AES-128-GCM forced, PSK handshake.
 *	kTLS: fixed keys (no handshake), TLS_TX and TLS_RX on both sides.
 *	-S/-R set the client's SO_SNDBUF and the server's SO_RCVBUF (the
 *	FORCE variants), default: the kernel's.
 *   bench hs quic-cert|quic-psk|tls-cert|tls-psk|quic-lib-cert|quic-lib-psk|
 *	   quic-ttfb-full|quic-ttfb-resume|quic-ttfb-0rtt [-n N]
 *	WARMUP (default 1) untimed handshakes, then N sequential handshakes;
 *	each is timed in the client from socket()
 *	to the end of its handshake; a one-byte echo after it (not timed)
 *	keeps the handshakes apart.  *-cert: ECDSA P-256 server certificate
 *	issued by a CA the client trusts, verified for "localhost"; *-psk:
 *	an external PSK (psk_dhe_ke).  The quic-* and tls-* modes set up the
 *	GnuTLS sessions the same way with credentials loaded once, so they
 *	differ only in the transport; quic-lib-* use quic_client_handshake()
 *	and quic_server_handshake(), which load the files on every call (and
 *	the system trust store in the client).  quic-ttfb-*: from socket() to
 *	the first byte of the answer to a one-byte request, after a full
 *	handshake, a resumed one, and a resumed one with the request in
 *	0-RTT (X.509; the server is quic_server_handshake(), which issues
 *	tickets and accepts early data; session data from the warm-up).
 *   bench crypto
 *	print the gcm(aes) implementations of /proc/crypto.
 *   bench calib
 *	a fixed CPU-bound job (the checksum over 16 MiB, 16 times) timed:
 *	an index of how fast the (emulated) CPU runs right now, to tell a
 *	busy host from a slow protocol.
 *
 * Output: "RESULT key=value ..." lines on stdout, diagnostics on stderr.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/tls.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>

#include <netinet/quic.h>

#ifndef SOL_TLS
#define SOL_TLS		282
#endif
#ifndef TCP_ULP
#define TCP_ULP		31
#endif

/* TLS 1.3 only, as libquic's QUIC_PRIORITY, for both QUIC and TLS/TCP */
#define PRIO_HS		QUIC_PRIORITY
#define PRIO_HS_PSK	QUIC_PRIORITY ":+ECDHE-PSK:+DHE-PSK:+PSK"
/* throughput runs: AES-128-GCM only */
#define PRIO_AES128 \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:" \
	"-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:" \
	"%DISABLE_TLS13_COMPAT_MODE:+ECDHE-PSK:+DHE-PSK:+PSK"

#define PSK_IDENTITY	"bench"
#define HOSTNAME	"localhost"

static const char *prog = "bench";

/* ------------------------------------------------------------ helpers */

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s[%d]: ", prog, getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void warnx_(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s[%d]: ", prog, getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t parse_size(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	switch (*end) {
	case 'k': case 'K': v *= 1024; end++; break;
	case 'm': case 'M': v *= 1024 * 1024; end++; break;
	case 'g': case 'G': v *= 1024.0 * 1024 * 1024; end++; break;
	}
	if (*end == 'i' || *end == 'B')
		end++;
	if (*end == 'B')
		end++;
	if (*end || v <= 0)
		die("bad size \"%s\"", s);
	return (uint64_t)v;
}

static void write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("send: %s", n ? strerror(errno) : "0");
		p += n;
		len -= n;
	}
}

static void read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = recv(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("recv: %s", n ? strerror(errno) : "EOF");
		p += n;
		len -= n;
	}
}

static void sockaddr_lo(struct sockaddr_in *a, int port)
{
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

/* A listening socket on 127.0.0.1, an ephemeral port; returns the port. */
static int listen_lo(int type, int proto, int *port)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd, one = 1;

	fd = socket(AF_INET, type, proto);
	if (fd < 0)
		die("socket(%s): %s", proto == IPPROTO_QUIC ? "IPPROTO_QUIC" :
		    "TCP", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sockaddr_lo(&a, 0);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
		die("bind: %s", strerror(errno));
	if (getsockname(fd, (struct sockaddr *)&a, &alen))
		die("getsockname: %s", strerror(errno));
	*port = ntohs(a.sin_port);
	if (!*port)
		die("bind gave port 0");
	if (listen(fd, 128))
		die("listen: %s", strerror(errno));
	return fd;
}

static int connect_lo(int type, int proto, int port)
{
	struct sockaddr_in a;
	int fd;

	fd = socket(AF_INET, type, proto);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	sockaddr_lo(&a, port);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
		die("connect: %s", strerror(errno));
	return fd;
}

static void nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int wait_child(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) < 0)
		return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	warnx_("server killed by signal %d", WTERMSIG(st));
	return -1;
}

/* ---------------------------------------------------------- checksum
 * Fletcher-style over the stream as 64-bit little-endian words, so that
 * it does not depend on how the stream was cut into reads: a += w; b += a.
 */
struct cks {
	uint64_t a, b, bytes;
	uint8_t part[8];
	unsigned int plen;
};

static inline void cks_word(struct cks *c, uint64_t w)
{
	c->a += w;
	c->b += c->a;
}

static void cks_update(struct cks *c, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t a = c->a, b = c->b, w;

	c->bytes += len;
	while (c->plen && len) {
		c->part[c->plen++] = *p++;
		len--;
		if (c->plen == 8) {
			memcpy(&w, c->part, 8);
			cks_word(c, w);
			c->plen = 0;
		}
	}
	a = c->a;
	b = c->b;
	for (; len >= 8; len -= 8, p += 8) {
		memcpy(&w, p, 8);
		a += w;
		b += a;
	}
	c->a = a;
	c->b = b;
	while (len--)
		c->part[c->plen++] = *p++;
}

static uint64_t cks_final(struct cks *c)
{
	uint64_t w = 0;

	if (c->plen) {
		memcpy(&w, c->part, c->plen);
		cks_word(c, w);
		c->plen = 0;
	}
	return c->a ^ (c->b * 0x9e3779b97f4a7c15ULL) ^ c->bytes;
}

/* The sender's stream: a random buffer; every message starts with its
 * 8-byte sequence number (when it has room for it).
 */
static void fill_random(uint8_t *buf, size_t len)
{
	uint64_t x = 0x243f6a8885a308d3ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)x;
	}
}

static void stamp(uint8_t *buf, size_t len, uint64_t seq)
{
	memcpy(buf, &seq, len < 8 ? len : 8);
}

static uint64_t expected_cks(uint8_t *buf, size_t msg, uint64_t total)
{
	struct cks c = {};
	uint64_t off, seq = 0;
	size_t n;

	for (off = 0; off < total; off += n, seq++) {
		n = total - off < msg ? total - off : msg;
		stamp(buf, n, seq);
		cks_update(&c, buf, n);
	}
	return cks_final(&c);
}

/* ------------------------------------------------- CPU accounting */

struct cpustat {
	unsigned long long v[10];	/* user nice system idle iowait irq softirq steal */
};

static void cpustat_read(struct cpustat *s)
{
	FILE *f = fopen("/proc/stat", "r");

	memset(s, 0, sizeof(*s));
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &s->v[0], &s->v[1], &s->v[2], &s->v[3], &s->v[4],
		   &s->v[5], &s->v[6], &s->v[7]) != 8)
		memset(s, 0, sizeof(*s));
	fclose(f);
}

/* "cpu=usr/sys/softirq/idle" in percent of all CPUs over the interval */
static void cpustat_fmt(const struct cpustat *a, const struct cpustat *b,
			char *out, size_t len)
{
	unsigned long long d[8], tot = 0;
	int i;

	for (i = 0; i < 8; i++) {
		d[i] = b->v[i] - a->v[i];
		tot += d[i];
	}
	if (!tot) {
		snprintf(out, len, "-");
		return;
	}
	snprintf(out, len, "%.0f/%.0f/%.0f/%.0f",
		 100.0 * (d[0] + d[1]) / tot, 100.0 * d[2] / tot,
		 100.0 * (d[5] + d[6]) / tot, 100.0 * (d[3] + d[4]) / tot);
}

static double rusage_secs(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* ------------------------------------------------- /proc/crypto */

#define CRYPTO_MAX	512

struct crypto_ent {
	char name[128], driver[128];
	long refcnt;
};

struct crypto_snap {
	int n;
	struct crypto_ent e[CRYPTO_MAX];
};

static void crypto_snap(struct crypto_snap *s)
{
	char line[256], val[128];
	struct crypto_ent *cur = NULL;
	FILE *f = fopen("/proc/crypto", "r");

	s->n = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "name : %127s", val) == 1) {
			if (s->n == CRYPTO_MAX) {
				cur = NULL;
				continue;
			}
			cur = &s->e[s->n++];
			memset(cur, 0, sizeof(*cur));
			snprintf(cur->name, sizeof(cur->name), "%s", val);
		} else if (cur && sscanf(line, "driver : %127s", val) == 1) {
			snprintf(cur->driver, sizeof(cur->driver), "%s", val);
		} else if (cur) {
			sscanf(line, "refcnt : %ld", &cur->refcnt);
		}
	}
	fclose(f);
}

/* The AEADs (gcm, ccm, chacha) whose reference count rose from @a to @b. */
static void crypto_diff(const struct crypto_snap *a, const struct crypto_snap *b,
			char *out, size_t len)
{
	size_t off = 0;
	int i, j;

	out[0] = '\0';
	for (i = 0; i < b->n; i++) {
		const struct crypto_ent *e = &b->e[i];
		long before = 0;

		if (!strstr(e->name, "gcm") && !strstr(e->name, "ccm") &&
		    !strstr(e->name, "chacha20poly1305") &&
		    !strstr(e->name, "rfc7539"))
			continue;
		for (j = 0; j < a->n; j++)
			if (!strcmp(a->e[j].driver, e->driver))
				before = a->e[j].refcnt;
		if (e->refcnt > before && off < len)
			off += snprintf(out + off, len - off, "%s%s(+%ld)",
					off ? "," : "", e->driver,
					e->refcnt - before);
	}
	if (!off)
		snprintf(out, len, "-");
}

/* -------------------------------------------------------- credentials */

struct creds {
	gnutls_x509_crt_t ca, crt;
	gnutls_x509_privkey_t ca_key, key;
	gnutls_datum_t psk;
	char dir[64];		/* PEM and PSK files for the quic-lib modes */
	char ca_file[96], crt_file[96], key_file[96], psk_file[96];
};

static void gtls(int ret, const char *what)
{
	if (ret < 0)
		die("%s: %s", what, gnutls_strerror(ret));
}

static void make_cert(gnutls_x509_crt_t *pcrt, gnutls_x509_privkey_t *pkey,
		      const char *cn, int ca, gnutls_x509_crt_t issuer,
		      gnutls_x509_privkey_t issuer_key)
{
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t key;
	unsigned char serial[8];
	time_t t = time(NULL);

	gtls(gnutls_x509_privkey_init(&key), "privkey_init");
	gtls(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
			GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0),
	     "privkey_generate");
	gtls(gnutls_x509_crt_init(&crt), "crt_init");
	gtls(gnutls_x509_crt_set_version(crt, 3), "set_version");
	gtls(gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)), "rnd");
	serial[0] &= 0x7f;
	gtls(gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)), "serial");
	gtls(gnutls_x509_crt_set_activation_time(crt, t - 3600), "activation");
	gtls(gnutls_x509_crt_set_expiration_time(crt, t + 7 * 86400), "expiration");
	gtls(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
					   cn, strlen(cn)), "dn");
	gtls(gnutls_x509_crt_set_key(crt, key), "set_key");
	gtls(gnutls_x509_crt_set_basic_constraints(crt, ca, -1), "basic");
	if (ca) {
		gtls(gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_KEY_CERT_SIGN |
						   GNUTLS_KEY_CRL_SIGN), "ku");
	} else {
		gtls(gnutls_x509_crt_set_key_usage(crt,
				GNUTLS_KEY_DIGITAL_SIGNATURE), "ku");
		gtls(gnutls_x509_crt_set_subject_alt_name(crt,
				GNUTLS_SAN_DNSNAME, HOSTNAME, strlen(HOSTNAME),
				GNUTLS_FSAN_SET), "san");
		gtls(gnutls_x509_crt_set_key_purpose_oid(crt,
				GNUTLS_KP_TLS_WWW_SERVER, 0), "kp");
	}
	gtls(gnutls_x509_crt_sign2(crt, issuer ? issuer : crt,
				   issuer_key ? issuer_key : key,
				   GNUTLS_DIG_SHA256, 0), "sign");
	*pcrt = crt;
	*pkey = key;
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		die("%s: %s", path, strerror(errno));
	close(fd);
}

static void export_pem(const char *path, gnutls_x509_crt_t crt,
		       gnutls_x509_privkey_t key)
{
	gnutls_datum_t d;

	if (crt)
		gtls(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d), "export");
	else
		gtls(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &d),
		     "export");
	write_file(path, d.data, d.size);
	gnutls_free(d.data);
}

static void creds_init(struct creds *c)
{
	static unsigned char psk[32];
	char line[128];
	size_t i;

	memset(c, 0, sizeof(*c));
	make_cert(&c->ca, &c->ca_key, "bench CA", 1, NULL, NULL);
	make_cert(&c->crt, &c->key, HOSTNAME, 0, c->ca, c->ca_key);
	gtls(gnutls_rnd(GNUTLS_RND_RANDOM, psk, sizeof(psk)), "rnd");
	c->psk.data = psk;
	c->psk.size = sizeof(psk);

	snprintf(c->dir, sizeof(c->dir), "/tmp/quic-bench.XXXXXX");
	if (!mkdtemp(c->dir))
		die("mkdtemp: %s", strerror(errno));
	snprintf(c->ca_file, sizeof(c->ca_file), "%s/ca.pem", c->dir);
	snprintf(c->crt_file, sizeof(c->crt_file), "%s/cert.pem", c->dir);
	snprintf(c->key_file, sizeof(c->key_file), "%s/key.pem", c->dir);
	snprintf(c->psk_file, sizeof(c->psk_file), "%s/psk.txt", c->dir);
	export_pem(c->ca_file, c->ca, NULL);
	export_pem(c->crt_file, c->crt, NULL);
	export_pem(c->key_file, NULL, c->key);
	i = snprintf(line, sizeof(line), "%s:", PSK_IDENTITY);
	for (size_t j = 0; j < sizeof(psk); j++)
		i += snprintf(line + i, sizeof(line) - i, "%02x", psk[j]);
	line[i++] = '\n';
	write_file(c->psk_file, line, i);
}

static void creds_cleanup(struct creds *c)
{
	unlink(c->ca_file);
	unlink(c->crt_file);
	unlink(c->key_file);
	unlink(c->psk_file);
	rmdir(c->dir);
}

static struct creds *g_creds;
static pid_t g_creds_owner;

/* the process that made the files removes them, however it ends */
static void creds_atexit(void)
{
	if (g_creds && getpid() == g_creds_owner)
		creds_cleanup(g_creds);
}

static void on_signal(int sig)
{
	creds_atexit();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int psk_server_cb(gnutls_session_t s, const char *user,
			 gnutls_datum_t *key)
{
	(void)s;
	if (strcmp(user, PSK_IDENTITY))
		return -1;
	key->data = gnutls_malloc(g_creds->psk.size);
	if (!key->data)
		return -1;
	memcpy(key->data, g_creds->psk.data, g_creds->psk.size);
	key->size = g_creds->psk.size;
	return 0;
}

/* GnuTLS credentials for one side, loaded once per process. */
struct side {
	gnutls_certificate_credentials_t x509;
	gnutls_psk_client_credentials_t pskc;
	gnutls_psk_server_credentials_t psks;
};

static void side_init(struct side *sd, struct creds *c, int server, int psk)
{
	memset(sd, 0, sizeof(*sd));
	if (psk && server) {
		gtls(gnutls_psk_allocate_server_credentials(&sd->psks), "psk");
		gnutls_psk_set_server_credentials_function(sd->psks,
							   psk_server_cb);
	} else if (psk) {
		gtls(gnutls_psk_allocate_client_credentials(&sd->pskc), "psk");
		gtls(gnutls_psk_set_client_credentials(sd->pskc, PSK_IDENTITY,
				&c->psk, GNUTLS_PSK_KEY_RAW), "psk set");
	} else if (server) {
		gtls(gnutls_certificate_allocate_credentials(&sd->x509), "cred");
		gtls(gnutls_certificate_set_x509_key(sd->x509, &c->crt, 1,
						     c->key), "set key");
	} else {
		gtls(gnutls_certificate_allocate_credentials(&sd->x509), "cred");
		gtls(gnutls_certificate_set_x509_trust(sd->x509, &c->ca, 1),
		     "trust");
	}
}

/* quic: set up for QUIC (libquic sets the handshake functions) */
static gnutls_session_t session_new(struct side *sd, int server, int quic,
				    const char *prio, int fd)
{
	unsigned int flags = server ? GNUTLS_SERVER : GNUTLS_CLIENT;
	gnutls_session_t s;
	const char *err = NULL;
	int ret;

	if (quic)
		flags |= GNUTLS_NO_END_OF_EARLY_DATA;
	if (server)
		flags |= GNUTLS_NO_AUTO_SEND_TICKET;
	gtls(gnutls_init(&s, flags), "gnutls_init");
	ret = gnutls_priority_set_direct(s, prio, &err);
	if (ret)
		die("priority at \"%s\": %s", err ? err : "", gnutls_strerror(ret));
	if (sd->x509) {
		gtls(gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, sd->x509),
		     "credentials");
		if (!server)
			gnutls_session_set_verify_cert(s, HOSTNAME, 0);
	} else if (sd->pskc) {
		gtls(gnutls_credentials_set(s, GNUTLS_CRD_PSK, sd->pskc), "psk");
	} else {
		gtls(gnutls_credentials_set(s, GNUTLS_CRD_PSK, sd->psks), "psk");
	}
	gnutls_transport_set_int(s, fd);
	return s;
}

static int tls_handshake(gnutls_session_t s)
{
	int ret;

	do {
		ret = gnutls_handshake(s);
	} while (ret < 0 && !gnutls_error_is_fatal(ret));
	return ret;
}

static const char *cipher_of(gnutls_session_t s)
{
	return gnutls_cipher_get_name(gnutls_cipher_get(s));
}

/* ------------------------------------------------------- QUIC helpers */

static int quic_hs(gnutls_session_t s, const char *who)
{
	int ret = quic_handshake(s);

	if (ret)
		warnx_("%s: quic_handshake: %s", who, strerror(-ret));
	return ret;
}

/* why a QUIC connection ended: QUIC_SOCKOPT_CONNECTION_CLOSE */
static const char *quic_close_reason(int fd)
{
	static char out[160];
	struct quic_connection_close c;
	socklen_t len = sizeof(c);

	memset(&c, 0, sizeof(c));
	int soerr = 0;
	socklen_t elen = sizeof(soerr);

	getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &elen);
	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_CLOSE, &c, &len))
		snprintf(out, sizeof(out), "SO_ERROR %s, close info: %s",
			 soerr ? strerror(soerr) : "0", strerror(errno));
	else
		snprintf(out, sizeof(out),
			 "SO_ERROR %s, close info: errcode 0x%x frame 0x%x phrase \"%.*s\"",
			 soerr ? strerror(soerr) : "0", c.errcode, c.frame,
			 (int)sizeof(c.phrase), (const char *)c.phrase);
	return out;
}

static void quic_send_full(int fd, const void *buf, size_t len, int64_t sid,
			   uint32_t flags)
{
	const char *p = buf;
	ssize_t n;

	do {
		n = quic_sendmsg(fd, p, len, sid, flags);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("quic_sendmsg: %s (%s)", strerror(errno),
			    quic_close_reason(fd));
		p += n;
		len -= n;
		flags &= ~MSG_STREAM_NEW;
	} while (len);
}

/* the kernel's idea of the cipher: QUIC_SOCKOPT_CONFIG payload_cipher_type */
static unsigned int quic_cipher_type(int fd)
{
	struct quic_config cfg;
	socklen_t len = sizeof(cfg);

	memset(&cfg, 0, sizeof(cfg));
	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &cfg, &len))
		return 0;
	return cfg.payload_cipher_type;
}

/* ------------------------------------------------------ throughput */

enum { M_TCP, M_KTLS, M_QUIC };

struct tput {
	int mode;
	size_t msg, rbuf;
	uint64_t total;
	int verify;
	int sndbuf, rcvbuf;	/* SO_SNDBUF / SO_RCVBUF, 0: default */
	struct creds *creds;
};

static void ktls_keys(struct tls12_crypto_info_aes_gcm_128 *ci, int which)
{
	memset(ci, 0, sizeof(*ci));
	ci->info.version = TLS_1_3_VERSION;
	ci->info.cipher_type = TLS_CIPHER_AES_GCM_128;
	memset(ci->key, 0x11 * (which + 1), sizeof(ci->key));
	memset(ci->iv, 0x21 * (which + 1), sizeof(ci->iv));
	memset(ci->salt, 0x31 * (which + 1), sizeof(ci->salt));
	memset(ci->rec_seq, 0, sizeof(ci->rec_seq));
}

/* kTLS with fixed keys: key 0 client to server, key 1 back. */
static void ktls_setup(int fd, int server)
{
	struct tls12_crypto_info_aes_gcm_128 tx, rx;

	if (setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")))
		die("TCP_ULP tls: %s (is the tls module loaded?)", strerror(errno));
	ktls_keys(&tx, server);
	ktls_keys(&rx, !server);
	if (setsockopt(fd, SOL_TLS, TLS_TX, &tx, sizeof(tx)))
		die("TLS_TX: %s", strerror(errno));
	if (setsockopt(fd, SOL_TLS, TLS_RX, &rx, sizeof(rx)))
		die("TLS_RX: %s", strerror(errno));
}

struct reply {
	uint64_t bytes, cks;
	double rcv_secs, rcv_cpu;	/* first byte to last; CPU seconds */
	uint64_t zero_reads;		/* QUIC: 0-byte reads without FIN */
	char crypto[256];		/* AEADs in use, from /proc/crypto */
};

static int tput_server(struct tput *t, int lfd, const struct crypto_snap *s0)
{
	struct crypto_snap *s1 = malloc(sizeof(*s1));
	struct side sd;
	struct reply r;
	struct cks c = {};
	gnutls_session_t s = NULL;
	uint8_t *buf = malloc(t->rbuf);
	double t0 = 0, cpu0;
	int64_t sid = -1;
	uint32_t flags;
	ssize_t n;
	int fd, fin = 0;
	unsigned long zero_reads = 0, zero_run = 0;

	if (!buf || !s1)
		die("out of memory");
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept: %s", strerror(errno));
	if (t->rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &t->rcvbuf,
				    sizeof(t->rcvbuf)))
		warnx_("SO_RCVBUFFORCE: %s", strerror(errno));
	if (t->mode == M_KTLS)
		ktls_setup(fd, 1);
	if (t->mode == M_QUIC) {
		side_init(&sd, t->creds, 1, 1);
		s = session_new(&sd, 1, 1, PRIO_AES128, fd);
		if (quic_hs(s, "server"))
			return 1;
	}
	cpu0 = rusage_secs();
	memset(&r, 0, sizeof(r));
	while (!fin) {
		if (t->mode == M_QUIC) {
			flags = 0;
			n = quic_recvmsg(fd, buf, t->rbuf, &sid, &flags);
			if (n >= 0 && (flags & MSG_STREAM_FIN))
				fin = 1;
			if (n >= 0 && (flags & MSG_NOTIFICATION))
				continue;
		} else {
			n = recv(fd, buf, t->rbuf, 0);
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("server recv after %" PRIu64 " bytes: %s%s%s", r.bytes,
			    strerror(errno), t->mode == M_QUIC ? ", " : "",
			    t->mode == M_QUIC ? quic_close_reason(fd) : "");
		if (!r.bytes && n)
			t0 = now();
		if (t->verify)
			cks_update(&c, buf, n);
		r.bytes += n;
		if (t->mode != M_QUIC && (!n || r.bytes >= t->total))
			fin = 1;	/* TCP: the sender does not close */
		if (t->mode == M_QUIC && !n && !fin) {
			/* a 0-byte read without FIN: count it; an EOF gives
			 * nothing but 0-byte reads
			 */
			if (!zero_reads++)
				warnx_("quic: first 0-byte read without FIN after %"
				       PRIu64 " bytes, flags 0x%x", r.bytes, flags);
			if (++zero_run > 1000)
				die("server: EOF after %" PRIu64 " bytes, %s",
				    r.bytes, quic_close_reason(fd));
			continue;
		}
		zero_run = 0;
	}
	r.rcv_secs = now() - t0;
	r.rcv_cpu = rusage_secs() - cpu0;
	r.zero_reads = zero_reads;
	r.cks = t->verify ? cks_final(&c) : 0;
	crypto_snap(s1);
	crypto_diff(s0, s1, r.crypto, sizeof(r.crypto));
	if (t->mode == M_QUIC)
		quic_send_full(fd, &r, sizeof(r), sid, MSG_STREAM_FIN);
	else
		write_full(fd, &r, sizeof(r));
	/* wait for the client to close first */
	if (t->mode == M_QUIC) {
		flags = 0;
		quic_recvmsg(fd, buf, t->rbuf, &sid, &flags);
	} else {
		while (recv(fd, buf, t->rbuf, 0) > 0)
			;
	}
	if (s)
		gnutls_deinit(s);
	close(fd);
	return 0;
}

static int tput_run(struct tput *t)
{
	static const char *names[] = { "tcp", "ktls", "quic" };
	struct crypto_snap *s0 = malloc(sizeof(*s0));
	struct cpustat c0, c1;
	struct reply r;
	struct side sd;
	gnutls_session_t s = NULL;
	char cpu[64], cipher[64] = "-";
	uint64_t off, seq, expect = 0;
	uint8_t *buf;
	double t0, t1, cpu0, cpu1;
	int64_t sid = 0;
	uint32_t flags;
	int lfd, fd, port, st;
	pid_t pid;
	size_t n;

	buf = malloc(t->msg + 8);
	if (!buf || !s0)
		die("out of memory");
	fill_random(buf, t->msg);
	if (t->verify)
		expect = expected_cks(buf, t->msg, t->total);

	crypto_snap(s0);
	if (t->mode == M_QUIC)
		lfd = listen_lo(SOCK_DGRAM, IPPROTO_QUIC, &port);
	else
		lfd = listen_lo(SOCK_STREAM, IPPROTO_TCP, &port);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		prog = "bench-server";
		exit(tput_server(t, lfd, s0));
	}
	close(lfd);

	if (t->mode == M_QUIC) {
		fd = connect_lo(SOCK_DGRAM, IPPROTO_QUIC, port);
		if (t->sndbuf && setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE,
					    &t->sndbuf, sizeof(t->sndbuf)))
			warnx_("SO_SNDBUFFORCE: %s", strerror(errno));
		side_init(&sd, t->creds, 0, 1);
		s = session_new(&sd, 0, 1, PRIO_AES128, fd);
		if (quic_hs(s, "client")) {
			kill(pid, SIGTERM);
			wait_child(pid);
			return 1;
		}
		snprintf(cipher, sizeof(cipher), "%s/kernel-type-%u",
			 cipher_of(s), quic_cipher_type(fd));
		if (gnutls_cipher_get(s) != GNUTLS_CIPHER_AES_128_GCM)
			warnx_("negotiated %s, not AES-128-GCM", cipher_of(s));
	} else {
		fd = connect_lo(SOCK_STREAM, IPPROTO_TCP, port);
		if (t->sndbuf && setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE,
					    &t->sndbuf, sizeof(t->sndbuf)))
			warnx_("SO_SNDBUFFORCE: %s", strerror(errno));
		if (t->mode == M_KTLS) {
			ktls_setup(fd, 0);
			snprintf(cipher, sizeof(cipher), "AES-128-GCM");
		}
	}

	cpustat_read(&c0);
	cpu0 = rusage_secs();
	t0 = now();
	for (off = 0, seq = 0; off < t->total; off += n, seq++) {
		n = t->total - off < t->msg ? t->total - off : t->msg;
		stamp(buf, n, seq);
		if (t->mode == M_QUIC) {
			flags = (seq ? 0 : MSG_STREAM_NEW) |
				(off + n == t->total ? MSG_STREAM_FIN : 0);
			quic_send_full(fd, buf, n, sid, flags);
		} else {
			write_full(fd, buf, n);
		}
	}
	if (t->mode == M_QUIC) {
		ssize_t got = 0, k;

		while ((size_t)got < sizeof(r)) {
			flags = 0;
			k = quic_recvmsg(fd, (char *)&r + got, sizeof(r) - got,
					 &sid, &flags);
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				die("client: reply: %s (%s)", strerror(errno),
				    quic_close_reason(fd));
			if (flags & MSG_NOTIFICATION)
				continue;
			if (!k)
				die("client: reply: EOF (%s)",
				    quic_close_reason(fd));
			got += k;
		}
	} else {
		read_full(fd, &r, sizeof(r));
	}
	t1 = now();
	cpu1 = rusage_secs();
	cpustat_read(&c1);
	cpustat_fmt(&c0, &c1, cpu, sizeof(cpu));
	if (s)
		gnutls_deinit(s);
	close(fd);
	st = wait_child(pid);

	printf("RESULT tput mode=%s msg=%zu total=%" PRIu64 " secs=%.3f "
	       "gbps=%.4f rcv_gbps=%.4f verify=%s cipher=%s snd_cpu=%.2f "
	       "rcv_cpu=%.2f cpu_usr/sys/si/idle=%s aead=%s zero_reads=%" PRIu64 "\n",
	       names[t->mode], t->msg, t->total, t1 - t0,
	       t->total * 8 / (t1 - t0) / 1e9,
	       r.rcv_secs > 0 ? t->total * 8 / r.rcv_secs / 1e9 : 0,
	       !t->verify ? "off" :
	       (r.bytes == t->total && r.cks == expect) ? "ok" : "FAILED",
	       cipher, cpu1 - cpu0, r.rcv_cpu, cpu, r.crypto, r.zero_reads);
	fflush(stdout);
	if (t->verify && (r.bytes != t->total || r.cks != expect)) {
		warnx_("%s: data corrupted: %" PRIu64 " of %" PRIu64
		       " bytes, checksum %016" PRIx64 " expected %016" PRIx64,
		       names[t->mode], r.bytes, t->total, r.cks, expect);
		return 1;
	}
	return st ? 1 : 0;
}

/* ------------------------------------------------------- handshakes */

enum { H_QUIC_CERT, H_QUIC_PSK, H_TLS_CERT, H_TLS_PSK, H_LIB_CERT, H_LIB_PSK,
       H_TTFB_FULL, H_TTFB_RESUME, H_TTFB_0RTT };
static const char *hs_names[] = { "quic-cert", "quic-psk", "tls-cert",
				  "tls-psk", "quic-lib-cert", "quic-lib-psk",
				  "quic-ttfb-full", "quic-ttfb-resume",
				  "quic-ttfb-0rtt" };

#define HS_IS_QUIC(m)	((m) != H_TLS_CERT && (m) != H_TLS_PSK)
#define HS_IS_PSK(m)	((m) == H_QUIC_PSK || (m) == H_TLS_PSK || (m) == H_LIB_PSK)
#define HS_IS_TTFB(m)	((m) >= H_TTFB_FULL)
/* the server side of the ttfb modes is libquic's, which issues tickets */
#define HS_IS_LIB(m)	((m) == H_LIB_CERT || (m) == H_LIB_PSK || HS_IS_TTFB(m))

static void echo_byte(int fd, int quic, gnutls_session_t s, int server)
{
	char b = 'x';
	int64_t sid = 0;
	uint32_t flags = 0;
	ssize_t n;

	if (quic) {
		if (!server)
			quic_send_full(fd, &b, 1, 0, MSG_STREAM_NEW | MSG_STREAM_FIN);
		do {
			flags = 0;
			n = quic_recvmsg(fd, &b, 1, &sid, &flags);
		} while ((n < 0 && errno == EINTR) ||
			 (n >= 0 && (flags & MSG_NOTIFICATION)));
		if (n != 1)
			die("%s: echo: %s", server ? "server" : "client",
			    n < 0 ? strerror(errno) : "EOF");
		if (server)
			quic_send_full(fd, &b, 1, sid, MSG_STREAM_FIN);
	} else {
		if (!server && gnutls_record_send(s, &b, 1) != 1)
			die("client: record_send");
		do {
			n = gnutls_record_recv(s, &b, 1);
		} while (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED);
		if (n != 1)
			die("%s: echo: %s", server ? "server" : "client",
			    n < 0 ? gnutls_strerror(n) : "EOF");
		if (server && gnutls_record_send(s, &b, 1) != 1)
			die("server: record_send");
	}
}

static int hs_warmup = 1;	/* untimed handshakes first */

static int hs_server(int mode, int n, int lfd, struct creds *c)
{
	struct side sd;
	gnutls_session_t s = NULL;
	int i, fd, ret, quic = HS_IS_QUIC(mode);
	char b;

	if (!HS_IS_LIB(mode))
		side_init(&sd, c, 1, HS_IS_PSK(mode));
	n += hs_warmup;
	for (i = 0; i < n; i++) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			die("accept: %s", strerror(errno));
		if (!quic)
			nodelay(fd);
		if (HS_IS_LIB(mode)) {
			ret = HS_IS_PSK(mode) ?
				quic_server_handshake(fd, c->psk_file, NULL, NULL) :
				quic_server_handshake(fd, c->key_file,
						      c->crt_file, NULL);
			if (ret)
				die("server: quic_server_handshake: %s",
				    strerror(-ret));
		} else {
			s = session_new(&sd, 1, quic, HS_IS_PSK(mode) ?
					PRIO_HS_PSK : PRIO_HS, fd);
			ret = quic ? quic_hs(s, "server") : tls_handshake(s);
			if (ret)
				die("server: handshake %d failed: %s", i,
				    quic ? strerror(-ret) : gnutls_strerror(ret));
		}
		echo_byte(fd, quic, s, 1);
		/* until the client closes */
		if (quic) {
			int64_t sid;
			uint32_t flags = 0;

			quic_recvmsg(fd, &b, 1, &sid, &flags);
		} else {
			while (gnutls_record_recv(s, &b, 1) > 0)
				;
		}
		if (s)
			gnutls_deinit(s);
		s = NULL;
		close(fd);
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * The ttfb modes: the time from socket() to the first byte of the
 * server's answer to a one-byte request (the echo), after a full
 * handshake, a resumed one, or a resumed one whose request goes in 0-RTT
 * (sent before the handshake, with the server's transport parameters of
 * the warm-up connection).  The session data and parameters come from the
 * warm-up connection (a full handshake, never timed).
 */
struct ttfb {
	uint8_t				sess[8192];
	size_t				sess_len;
	struct quic_transport_param	tp;
	int				have;
};

static int ttfb_once(int mode, int port, struct side *sd, struct ttfb *t,
		     int warm, char *cipher, size_t clen)
{
	gnutls_session_t s;
	char b = 'x';
	int64_t sid = 0;
	uint32_t flags;
	socklen_t len;
	ssize_t n;
	int fd, ret, early = mode == H_TTFB_0RTT && !warm;

	fd = connect_lo(SOCK_DGRAM, IPPROTO_QUIC, port);
	if (early) {
		if (setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM,
			       &t->tp, sizeof(t->tp)))
			die("remote transport parameters: %s", strerror(errno));
		quic_send_full(fd, &b, 1, 0, MSG_STREAM_NEW | MSG_STREAM_FIN);
	}
	gtls(gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_ENABLE_EARLY_DATA |
			 GNUTLS_NO_END_OF_EARLY_DATA), "gnutls_init");
	gtls(gnutls_priority_set_direct(s, PRIO_HS, NULL), "priority");
	gtls(gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, sd->x509),
	     "credentials");
	gnutls_session_set_verify_cert(s, HOSTNAME, 0);
	gnutls_transport_set_int(s, fd);
	if (!warm && mode != H_TTFB_FULL)
		gtls(quic_session_set_data(s, t->sess, t->sess_len),
		     "session data");
	ret = quic_hs(s, "client");
	if (ret)
		die("client: handshake failed: %s", strerror(-ret));
	if (!warm && mode != H_TTFB_FULL && !gnutls_session_is_resumed(s))
		die("client: the session was not resumed");
	if (!early)
		quic_send_full(fd, &b, 1, 0, MSG_STREAM_NEW | MSG_STREAM_FIN);
	do {
		flags = 0;
		n = quic_recvmsg(fd, &b, 1, &sid, &flags);
	} while ((n < 0 && errno == EINTR) ||
		 (n >= 0 && (flags & MSG_NOTIFICATION)));
	if (n != 1)
		die("client: no answer: %s", n < 0 ? strerror(errno) : "EOF");
	if (cipher)
		snprintf(cipher, clen, "%s", cipher_of(s));
	if (warm) {
		/* the ticket follows the handshake */
		double t0 = now();

		do {
			t->sess_len = sizeof(t->sess);
			ret = quic_session_get_data(s, t->sess, &t->sess_len);
			if (ret == -ENODATA)
				usleep(20000);
		} while (ret == -ENODATA && now() - t0 < 5);
		if (ret)
			die("client: no session data: %s", strerror(-ret));
		memset(&t->tp, 0, sizeof(t->tp));
		t->tp.remote = 1;
		len = sizeof(t->tp);
		if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM,
			       &t->tp, &len))
			die("client: remote parameters: %s", strerror(errno));
		t->have = 1;
	}
	gnutls_deinit(s);
	close(fd);
	return 0;
}

static int hs_run(int mode, int n, struct creds *c)
{
	struct side sd;
	gnutls_session_t s = NULL;
	char cipher[64] = "-";
	double *ms = calloc(n, sizeof(double)), t0, med, p90, sum = 0;
	int i, fd, ret, lfd, port, quic = HS_IS_QUIC(mode);
	pid_t pid;

	if (!ms)
		die("out of memory");
	if (HS_IS_TTFB(mode) && hs_warmup < 1)
		die("the ttfb modes need a warm-up handshake (-w 1 or more)");
	if (quic)
		lfd = listen_lo(SOCK_DGRAM, IPPROTO_QUIC, &port);
	else
		lfd = listen_lo(SOCK_STREAM, IPPROTO_TCP, &port);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		prog = "bench-server";
		exit(hs_server(mode, n, lfd, c));
	}
	close(lfd);
	if (HS_IS_LIB(mode) && !HS_IS_PSK(mode))
		setenv("QUIC_CA_FILE", c->ca_file, 1);
	if (!HS_IS_LIB(mode) || HS_IS_TTFB(mode))
		side_init(&sd, c, 0, HS_IS_PSK(mode));

	for (i = -hs_warmup; i < n; i++) {
		t0 = now();
		if (HS_IS_TTFB(mode)) {
			static struct ttfb tt;

			ttfb_once(mode, port, &sd, &tt, i < 0, i == 0 ?
				  cipher : NULL, sizeof(cipher));
			if (i >= 0)
				ms[i] = (now() - t0) * 1e3;
			continue;
		}
		if (quic) {
			fd = connect_lo(SOCK_DGRAM, IPPROTO_QUIC, port);
		} else {
			fd = connect_lo(SOCK_STREAM, IPPROTO_TCP, port);
			nodelay(fd);
		}
		if (HS_IS_LIB(mode)) {
			ret = quic_client_handshake(fd, HS_IS_PSK(mode) ?
						    c->psk_file : NULL,
						    HOSTNAME, NULL);
			if (ret)
				die("client: quic_client_handshake: %s",
				    strerror(-ret));
		} else {
			s = session_new(&sd, 0, quic, HS_IS_PSK(mode) ?
					PRIO_HS_PSK : PRIO_HS, fd);
			ret = quic ? quic_hs(s, "client") : tls_handshake(s);
			if (ret)
				die("client: handshake %d failed: %s", i,
				    quic ? strerror(-ret) : gnutls_strerror(ret));
		}
		if (i >= 0)
			ms[i] = (now() - t0) * 1e3;
		if (s && i == 0)
			snprintf(cipher, sizeof(cipher), "%s", cipher_of(s));
		echo_byte(fd, quic, s, 0);
		if (s) {
			if (!quic)
				gnutls_bye(s, GNUTLS_SHUT_WR);
			gnutls_deinit(s);
		}
		s = NULL;
		close(fd);
	}
	if (wait_child(pid))
		return 1;

	for (i = 0; i < n; i++)
		sum += ms[i];
	qsort(ms, n, sizeof(double), cmp_double);
	med = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
	i = (int)((n * 9 + 9) / 10) - 1;	/* nearest rank */
	p90 = ms[i < 0 ? 0 : i];
	printf("RESULT hs mode=%s n=%d warmup=%d median_ms=%.2f p90_ms=%.2f "
	       "min_ms=%.2f max_ms=%.2f mean_ms=%.2f cipher=%s\n", hs_names[mode],
	       n, hs_warmup, med, p90, ms[0], ms[n - 1], sum / n, cipher);
	fflush(stdout);
	free(ms);
	return 0;
}

/* ------------------------------------------------------------ crypto */

static int crypto_list(void)
{
	struct crypto_snap *s = malloc(sizeof(*s));
	int i;

	if (!s)
		return 1;
	crypto_snap(s);
	for (i = 0; i < s->n; i++)
		if (!strcmp(s->e[i].name, "gcm(aes)"))
			printf("gcm(aes) driver %s refcnt %ld\n",
			       s->e[i].driver, s->e[i].refcnt);
	return 0;
}

/* ------------------------------------------------------------- calib */

static int calib(void)
{
	size_t len = 16 << 20;
	uint8_t *buf = malloc(len);
	struct cks c = {};
	double t0, t;
	int i;

	if (!buf)
		return 1;
	fill_random(buf, len);
	t0 = now();
	for (i = 0; i < 16; i++)
		cks_update(&c, buf, len);
	t = now() - t0;
	printf("RESULT calib mbytes_per_s=%.0f secs=%.3f cks=%016" PRIx64 "\n",
	       16.0 * len / t / 1e6, t, cks_final(&c));
	free(buf);
	return 0;
}

/* -------------------------------------------------------------- main */

static void usage(void)
{
	fprintf(stderr,
		"usage: bench tput tcp|ktls|quic [-s MSG] [-t TOTAL] [-r RECVBUF] [-V 0|1]\n"
		"                  [-S SO_SNDBUF] [-R SO_RCVBUF]\n"
		"       bench hs quic-cert|quic-psk|tls-cert|tls-psk|quic-lib-cert|quic-lib-psk|\n"
		"                quic-ttfb-full|quic-ttfb-resume|quic-ttfb-0rtt [-n N] [-w WARMUP]\n"
		"       bench crypto\n"
		"       bench calib\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct tput t = { .msg = 65536, .total = 256ULL << 20, .verify = 1 };
	static struct creds c;	/* outlives main() for creds_atexit() */
	int n = 20, opt, mode = -1, ret, i;
	const char *cmd, *what;

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	cmd = argv[1];
	if (!strcmp(cmd, "crypto"))
		return crypto_list();
	if (!strcmp(cmd, "calib"))
		return calib();
	if (argc < 3)
		usage();
	what = argv[2];
	optind = 3;
	while ((opt = getopt(argc, argv, "s:t:r:V:n:S:R:w:")) != -1) {
		switch (opt) {
		case 's': t.msg = parse_size(optarg); break;
		case 't': t.total = parse_size(optarg); break;
		case 'r': t.rbuf = parse_size(optarg); break;
		case 'V': t.verify = atoi(optarg); break;
		case 'n': n = atoi(optarg); break;
		case 'w': hs_warmup = atoi(optarg); break;
		case 'S': t.sndbuf = (int)parse_size(optarg); break;
		case 'R': t.rcvbuf = (int)parse_size(optarg); break;
		default: usage();
		}
	}
	if (n < 1)
		usage();
	if (!t.rbuf)
		t.rbuf = t.msg > 65536 ? t.msg : 65536;

	creds_init(&c);
	g_creds = &c;
	g_creds_owner = getpid();
	atexit(creds_atexit);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	t.creds = &c;
	if (!strcmp(cmd, "tput")) {
		if (!strcmp(what, "tcp"))
			t.mode = M_TCP;
		else if (!strcmp(what, "ktls"))
			t.mode = M_KTLS;
		else if (!strcmp(what, "quic"))
			t.mode = M_QUIC;
		else
			usage();
		ret = tput_run(&t);
	} else if (!strcmp(cmd, "hs")) {
		for (i = 0; i < (int)(sizeof(hs_names) / sizeof(hs_names[0])); i++)
			if (!strcmp(what, hs_names[i]))
				mode = i;
		if (mode < 0)
			usage();
		ret = hs_run(mode, n, &c);
	} else {
		usage();
	}
	return ret;	/* creds_atexit() removes the files */
}
