// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * conn_test: real QUIC connections through quic.ko over loopback, with
 * libquic's handshake: the socket API draft's Appendix A sample, bulk
 * transfers checked by SHA-256 (IPv4 and IPv6, every cipher, PSK and
 * X.509; not AES-256-GCM with PSK: GnuTLS binds external PSKs to SHA-256,
 * which TLS_AES_256_GCM_SHA384 cannot use), many streams, unidirectional and server-initiated streams, flow
 * control with small windows, close and shutdown semantics, idle timeout,
 * bad credentials, bad datagrams, poll and epoll.
 *
 * Runs as root in a guest with quic.ko loaded; prints TAP (tests/tap.h).
 * Each test runs in a child process of its own, killed when it takes
 * longer than its time limit, so that a connection that hangs fails that
 * test and the run goes on; the child's checks are counted for the test
 * in the parent.  Every test prints its run time ("# time ...").
 *
 * Usage:
 *	conn_test [-v] [-l] [-t GLOB]...	the TAP suite (-l: list the
 *						names; -t: only those matching)
 *	conn_test --transfer server|client --addr IP --port N --size BYTES
 *		  --dir up|down [--timeout SECS]
 *		one transfer with a peer in another process (tests/netem_test.sh):
 *		"up" sends from the client to the server, "down" the other
 *		way; PSK (a built-in key), AES-128-GCM; exit status 0 iff the
 *		data arrived complete and intact.
 *
 * QUIC_TEST_VERBOSE=1 (or -v) shows libquic's log on stderr.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/quic.h>
#include <netinet/quic.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "tap.h"
#include "certs.h"
#include "forge.h"

#define KIB		1024ULL
#define MIB		(1024ULL * 1024)
#define TMO_MS		10000	/* default SO_RCVTIMEO/SO_SNDTIMEO */
#define ALPN		"conn-test"

static int verbose;

/* ============================================================ helpers */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The test data: byte @off of stream @seed, for any offset and length. */
static void pat_fill(uint64_t seed, uint64_t off, uint8_t *buf, size_t n)
{
	uint64_t w;
	size_t i = 0;

	while (i < n && ((off + i) & 7)) {
		w = splitmix64(seed * 0x100000001b3ULL + ((off + i) >> 3));
		buf[i] = (uint8_t)(w >> (8 * ((off + i) & 7)));
		i++;
	}
	for (; i + 8 <= n; i += 8) {
		w = splitmix64(seed * 0x100000001b3ULL + ((off + i) >> 3));
		memcpy(buf + i, &w, 8);	/* little endian, as above */
	}
	for (; i < n; i++) {
		w = splitmix64(seed * 0x100000001b3ULL + ((off + i) >> 3));
		buf[i] = (uint8_t)(w >> (8 * ((off + i) & 7)));
	}
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

struct addr {
	union {
		struct sockaddr sa;
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
		struct sockaddr_storage ss;
	};
	socklen_t len;
};

static struct addr mkaddr(int family, const char *ip, uint16_t port)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	if (family == AF_INET) {
		a.v4.sin_family = AF_INET;
		a.v4.sin_port = htons(port);
		inet_pton(AF_INET, ip ? ip : "127.0.0.1", &a.v4.sin_addr);
		a.len = sizeof(a.v4);
	} else {
		a.v6.sin6_family = AF_INET6;
		a.v6.sin6_port = htons(port);
		inet_pton(AF_INET6, ip ? ip : "::1", &a.v6.sin6_addr);
		a.len = sizeof(a.v6);
	}
	return a;
}

static uint16_t local_port(int fd)
{
	struct addr a;

	a.len = sizeof(a.ss);
	if (getsockname(fd, &a.sa, &a.len))
		return 0;
	return ntohs(a.sa.sa_family == AF_INET ? a.v4.sin_port :
						 a.v6.sin6_port);
}

static void set_timeouts(int fd, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

static int set_event(int fd, int type, int on)
{
	struct quic_event_option ev = { .type = (uint8_t)type,
					.on = (uint8_t)on };

	return setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_EVENT, &ev, sizeof(ev));
}

/* Small windows for the flow-control tests: 16 KiB everywhere. */
static const struct quic_transport_param tp_small = {
	.max_data = 16 * KIB,
	.max_stream_data_bidi_local = 16 * KIB,
	.max_stream_data_bidi_remote = 16 * KIB,
	.max_stream_data_uni = 16 * KIB,
};

static int set_tp(int fd, const struct quic_transport_param *tp)
{
	if (!tp)
		return 0;
	return setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM, tp,
			  sizeof(*tp));
}

/* ============================================ keys, certificates, PSK */

static char dir[256];
static char f_ca[300], f_srv_cert[300], f_srv_key[300];
static char f_rogue_ca[300], f_rogue_cert[300], f_rogue_key[300];
static char f_psk[300], f_psk_wrong[300];
static int setup_ok;

static const char psk_hex[] =
	"2b7e151628aed2a6abf7158809cf4f3c2b7e151628aed2a6abf7158809cf4f3c";
static const char psk_hex_wrong[] =
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

static gnutls_certificate_credentials_t xc_cli, xc_srv, xc_rogue;
static gnutls_psk_client_credentials_t pc_cli, pc_cli_wrong;
static gnutls_psk_server_credentials_t pc_srv;

static int psk_lookup(gnutls_session_t s, const char *identity,
		      gnutls_datum_t *key)
{
	gnutls_datum_t h = { (unsigned char *)psk_hex, sizeof(psk_hex) - 1 };

	(void)s;
	if (strcmp(identity, "alice"))
		return -1;
	return gnutls_hex_decode2(&h, key) ? -1 : 0;
}

/* The in-memory credentials (enough for the --transfer mode: PSK). */
static int setup_creds_psk(void)
{
	gnutls_datum_t k = { (unsigned char *)psk_hex, sizeof(psk_hex) - 1 };
	gnutls_datum_t kw = { (unsigned char *)psk_hex_wrong,
			      sizeof(psk_hex_wrong) - 1 };

	if (gnutls_psk_allocate_client_credentials(&pc_cli) ||
	    gnutls_psk_set_client_credentials(pc_cli, "alice", &k,
					      GNUTLS_PSK_KEY_HEX) ||
	    gnutls_psk_allocate_client_credentials(&pc_cli_wrong) ||
	    gnutls_psk_set_client_credentials(pc_cli_wrong, "alice", &kw,
					      GNUTLS_PSK_KEY_HEX) ||
	    gnutls_psk_allocate_server_credentials(&pc_srv))
		return -1;
	gnutls_psk_set_server_credentials_function(pc_srv, psk_lookup);
	return 0;
}

static int setup_files(void)
{
	char buf[256];
	int n;

	snprintf(dir, sizeof(dir), "/tmp/conn_test.XXXXXX");
	if (!mkdtemp(dir)) {
		dir[0] = 0;
		return -1;
	}
#define PATH(var, name) snprintf(var, sizeof(var), "%s/%s", dir, name)
	PATH(f_ca, "ca.pem");
	PATH(f_srv_cert, "server.pem");
	PATH(f_srv_key, "server.key");
	PATH(f_rogue_ca, "rogue-ca.pem");
	PATH(f_rogue_cert, "rogue-server.pem");
	PATH(f_rogue_key, "rogue-server.key");
	PATH(f_psk, "alice.psk");
	PATH(f_psk_wrong, "wrong.psk");
#undef PATH
	if (certs_make_ca_and_server(f_ca, f_srv_cert, f_srv_key,
				     "conn_test CA") ||
	    certs_make_ca_and_server(f_rogue_ca, f_rogue_cert, f_rogue_key,
				     "some other CA"))
		return -1;
	n = snprintf(buf, sizeof(buf), "alice:%s\n", psk_hex);
	if (certs_write_file(f_psk, buf, (size_t)n))
		return -1;
	n = snprintf(buf, sizeof(buf), "alice:%s\n", psk_hex_wrong);
	if (certs_write_file(f_psk_wrong, buf, (size_t)n))
		return -1;

	if (gnutls_certificate_allocate_credentials(&xc_cli) ||
	    gnutls_certificate_set_x509_trust_file(xc_cli, f_ca,
						   GNUTLS_X509_FMT_PEM) != 1 ||
	    gnutls_certificate_allocate_credentials(&xc_srv) ||
	    gnutls_certificate_set_x509_key_file(xc_srv, f_srv_cert, f_srv_key,
						 GNUTLS_X509_FMT_PEM) ||
	    gnutls_certificate_allocate_credentials(&xc_rogue) ||
	    gnutls_certificate_set_x509_key_file(xc_rogue, f_rogue_cert,
						 f_rogue_key,
						 GNUTLS_X509_FMT_PEM))
		return -1;
	/* libquic's own handshakes trust this CA */
	setenv("QUIC_CA_FILE", f_ca, 1);
	return setup_creds_psk();
}

static void remove_dir(void)
{
	struct dirent *e;
	char path[600];
	DIR *d;

	if (!dir[0] || getenv("QUIC_TEST_KEEP"))
		return;
	d = opendir(dir);
	if (d) {
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
}

static void log_stderr(int level, const char *msg)
{
	(void)level;
	fprintf(stderr, "libquic: %s\n", msg);
}

/* ========================================================= handshakes */

struct hs_cfg {
	const char	*cipher;	/* GnuTLS name; NULL: every QUIC one */
	int		psk;		/* PSK instead of X.509 */
	int		wrong_psk;	/* client: a key the server lacks */
	int		rogue;		/* server: a certificate of another CA */
	const char	*host;		/* client: the name verified */
	int		libquic;	/* quic_client/server_handshake() */
};

static const char *cipher_prio(const char *cipher)
{
	return cipher ? cipher :
		"AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CCM";
}

/*
 * Run one side's handshake on @fd; 0 or a negative errno.  With a session
 * of our own (credentials, priority with the one cipher wanted, ALPN,
 * server name) the negotiated cipher goes to *@cipher.
 */
static int handshake(int fd, int server, const struct hs_cfg *c, int *cipher)
{
	static const struct hs_cfg none;
	const char *host;
	gnutls_session_t s;
	char prio[512];
	int ret;

	if (!c)
		c = &none;
	host = c->host ? c->host : "localhost";
	if (c->libquic) {
		if (server)
			return quic_server_handshake(fd,
				c->psk ? f_psk : c->rogue ? f_rogue_key : f_srv_key,
				c->psk ? NULL : c->rogue ? f_rogue_cert : f_srv_cert,
				ALPN);
		return quic_client_handshake(fd,
				c->psk ? (c->wrong_psk ? f_psk_wrong : f_psk) : NULL,
				host, ALPN);
	}

	if (gnutls_init(&s, (server ? GNUTLS_SERVER | GNUTLS_NO_AUTO_SEND_TICKET
				    : GNUTLS_CLIENT) |
			    GNUTLS_NO_END_OF_EARLY_DATA))
		return -ENOMEM;
	snprintf(prio, sizeof(prio),
		 "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+%s:"
		 "-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:"
		 "%%DISABLE_TLS13_COMPAT_MODE%s",
		 cipher_prio(c->cipher),
		 c->psk ? ":+ECDHE-PSK:+DHE-PSK:+PSK" : "");
	ret = -EINVAL;
	if (gnutls_priority_set_direct(s, prio, NULL))
		goto out;
	if (c->psk) {
		if (gnutls_credentials_set(s, GNUTLS_CRD_PSK,
					   server ? (void *)pc_srv :
					   c->wrong_psk ? (void *)pc_cli_wrong :
					   (void *)pc_cli))
			goto out;
	} else {
		if (gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE,
					   server ? (c->rogue ? xc_rogue : xc_srv)
						  : xc_cli))
			goto out;
		if (!server) {
			if (gnutls_server_name_set(s, GNUTLS_NAME_DNS, host,
						   strlen(host)))
				goto out;
			gnutls_session_set_verify_cert(s, host, 0);
		}
	}
	ret = quic_session_set_alpn(s, ALPN, strlen(ALPN));
	if (ret)
		goto out;
	gnutls_transport_set_int(s, fd);
	ret = quic_handshake(s);
	if (!ret && cipher)
		*cipher = gnutls_cipher_get(s);
out:
	gnutls_deinit(s);
	return ret;
}

/* ================================================ a connected pair */

struct pcfg {
	int		family;
	struct hs_cfg	hs;
	const struct quic_transport_param *tp_c, *tp_s;
	int		tmo_ms;		/* socket timeouts; 0: TMO_MS */
	int		backlog;
	const struct quic_config *conf_c;	/* client's, before connect */
};

struct pair {
	int		lfd, cfd, sfd;
	uint16_t	port;
	int		cret, sret;	/* handshake results */
	int		ccipher, scipher;
	double		ctime, stime;	/* handshake durations */
};

/* A listener on the loopback address of @family, on an ephemeral port. */
static int listener(int family, const struct quic_transport_param *tp,
		    int backlog, int tmo_ms, uint16_t *port)
{
	struct addr a = mkaddr(family, NULL, 0);
	int fd;

	fd = socket(family, SOCK_DGRAM, IPPROTO_QUIC);
	if (fd < 0)
		return -1;
	set_timeouts(fd, tmo_ms ? tmo_ms : TMO_MS);
	if (set_tp(fd, tp) || bind(fd, &a.sa, a.len) ||
	    listen(fd, backlog ? backlog : 8)) {
		close(fd);
		return -1;
	}
	*port = local_port(fd);
	return fd;
}

/* A client socket connected to the loopback @port; -1 with errno. */
static int client_socket_conf(int family, const struct quic_transport_param *tp,
			      const struct quic_config *conf, int tmo_ms,
			      uint16_t port)
{
	struct addr a = mkaddr(family, NULL, port);
	int fd, err;

	fd = socket(family, SOCK_DGRAM, IPPROTO_QUIC);
	if (fd < 0)
		return -1;
	set_timeouts(fd, tmo_ms ? tmo_ms : TMO_MS);
	if (set_tp(fd, tp) ||
	    (conf && setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, conf,
				sizeof(*conf))) ||
	    connect(fd, &a.sa, a.len)) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

struct cli_arg {
	const struct pcfg	*cfg;
	uint16_t		port;
	int			fd;
	int			ret;
	int			cipher;
	double			secs;
};

static int client_socket(int family, const struct quic_transport_param *tp,
			 int tmo_ms, uint16_t port)
{
	return client_socket_conf(family, tp, NULL, tmo_ms, port);
}

static void *cli_main(void *p)
{
	struct cli_arg *x = p;
	double t0 = now_s();

	x->fd = client_socket_conf(x->cfg->family, x->cfg->tp_c,
				   x->cfg->conf_c, x->cfg->tmo_ms, x->port);
	if (x->fd < 0) {
		x->ret = -errno;
		return NULL;
	}
	x->ret = handshake(x->fd, 0, &x->cfg->hs, &x->cipher);
	x->secs = now_s() - t0;
	if (x->ret) {
		/* as an application does: close() tells the peer */
		close(x->fd);
		x->fd = -1;
	}
	return NULL;
}

static void pair_init(struct pair *p)
{
	memset(p, 0, sizeof(*p));
	p->lfd = p->cfd = p->sfd = -1;
	p->cret = p->sret = -EINPROGRESS;
}

/*
 * Listen, connect, accept and run both handshakes (the client in a
 * thread).  true iff both handshakes succeeded; the sockets are kept
 * either way, for pair_close().
 */
static bool pair_open(struct pair *p, const struct pcfg *cfg)
{
	struct cli_arg c = { .cfg = cfg, .fd = -1 };
	pthread_t th;
	double t0;

	pair_init(p);
	p->lfd = listener(cfg->family, cfg->tp_s, cfg->backlog, cfg->tmo_ms,
			  &p->port);
	if (p->lfd < 0) {
		tap_diag("listener: %s", strerror(errno));
		return false;
	}
	c.port = p->port;
	if (pthread_create(&th, NULL, cli_main, &c))
		return false;
	p->sfd = accept(p->lfd, NULL, NULL);
	if (p->sfd < 0) {
		p->sret = -errno;
		tap_diag("accept: %s", strerror(errno));
	} else {
		set_timeouts(p->sfd, cfg->tmo_ms ? cfg->tmo_ms : TMO_MS);
		t0 = now_s();
		p->sret = handshake(p->sfd, 1, &cfg->hs, &p->scipher);
		p->stime = now_s() - t0;
		if (p->sret) {
			close(p->sfd);
			p->sfd = -1;
		}
	}
	pthread_join(th, NULL);
	p->cfd = c.fd;
	p->cret = c.ret;
	p->ccipher = c.cipher;
	p->ctime = c.secs;
	if (p->cret || p->sret)
		tap_diag("handshake: client %d (%s), server %d (%s)", p->cret,
			 strerror(-p->cret), p->sret, strerror(-p->sret));
	return !p->cret && !p->sret;
}

static void pair_close(struct pair *p)
{
	if (p->cfd >= 0)
		close(p->cfd);
	if (p->sfd >= 0)
		close(p->sfd);
	if (p->lfd >= 0)
		close(p->lfd);
	p->lfd = p->cfd = p->sfd = -1;
}

/* REQUIRE a connected pair, with the handshake results as checks. */
#define REQUIRE_PAIR(p, cfg) do {					\
	bool ok_ = pair_open(p, cfg);					\
	CHECK_EQ((p)->cret, 0);						\
	CHECK_EQ((p)->sret, 0);						\
	if (!ok_) {							\
		pair_close(p);						\
		return;							\
	}								\
} while (0)

/* ========================================================= transfers */

struct xfer {
	int		fd;
	int64_t		sid;		/* send: the stream; recv: expected */
	uint64_t	size;
	uint64_t	seed;
	size_t		chunk;		/* per sendmsg()/recvmsg() */
	uint32_t	open_flags;	/* send: flags of the first call */
	/* results */
	uint64_t	done;
	int		err;		/* errno, or -1 for an early end */
	int		fin;
	int64_t		bad_off;	/* recv: first wrong byte, or -1 */
	int64_t		bad_sid;	/* recv: data of another stream */
	int		fin_early;	/* recv: FIN before the last byte */
	uint8_t		hash[32];
	double		secs;
};

static void *xfer_send_main(void *p)
{
	struct xfer *x = p;
	size_t chunk = x->chunk ? x->chunk : 64 * KIB;
	uint8_t *buf = malloc(chunk);
	gnutls_hash_hd_t h;
	double t0 = now_s();
	uint32_t flags;
	ssize_t r;
	size_t n;

	x->err = 0;
	x->done = 0;
	if (!buf || gnutls_hash_init(&h, GNUTLS_DIG_SHA256)) {
		x->err = ENOMEM;
		free(buf);
		return NULL;
	}
	while (x->done < x->size) {
		n = (size_t)(x->size - x->done < chunk ? x->size - x->done
						       : chunk);
		pat_fill(x->seed, x->done, buf, n);
		flags = x->done ? 0 : x->open_flags;
		if (x->done + n == x->size)
			flags |= MSG_STREAM_FIN;
		r = quic_sendmsg(x->fd, buf, n, x->sid, flags);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			x->err = errno;
			break;
		}
		if (r == 0) {
			x->err = -1;
			break;
		}
		gnutls_hash(h, buf, (size_t)r);
		x->done += (uint64_t)r;
		if ((size_t)r == n && (flags & MSG_STREAM_FIN))
			x->fin = 1;
	}
	gnutls_hash_deinit(h, x->hash);
	x->secs = now_s() - t0;
	free(buf);
	return NULL;
}

static void *xfer_recv_main(void *p)
{
	struct xfer *x = p;
	size_t chunk = x->chunk ? x->chunk : 64 * KIB;
	uint8_t *buf = malloc(chunk), *exp = malloc(chunk);
	gnutls_hash_hd_t h;
	double t0 = now_s();
	uint32_t flags;
	int64_t sid;
	ssize_t r;

	x->err = 0;
	x->done = 0;
	x->bad_off = -1;
	x->bad_sid = -1;
	if (!buf || !exp || gnutls_hash_init(&h, GNUTLS_DIG_SHA256)) {
		x->err = ENOMEM;
		free(buf);
		free(exp);
		return NULL;
	}
	while (!x->fin) {
		flags = 0;
		sid = -1;
		r = quic_recvmsg(x->fd, buf, chunk, &sid, &flags);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			x->err = errno;
			break;
		}
		if (r == 0 && !(flags & MSG_STREAM_FIN)) {
			x->err = -1;	/* the connection ended */
			break;
		}
		if (flags & MSG_NOTIFICATION)
			continue;
		if (sid != x->sid) {
			x->bad_sid = sid;
			x->err = EPROTO;
			break;
		}
		pat_fill(x->seed, x->done, exp, (size_t)r);
		if (x->bad_off < 0 && memcmp(buf, exp, (size_t)r)) {
			ssize_t i = 0;

			while (buf[i] == exp[i])
				i++;
			x->bad_off = (int64_t)(x->done + (uint64_t)i);
		}
		gnutls_hash(h, buf, (size_t)r);
		x->done += (uint64_t)r;
		if (flags & MSG_STREAM_FIN) {
			x->fin = 1;
			if (x->done < x->size)
				x->fin_early = 1;
		}
		if (x->done > x->size)
			break;
	}
	gnutls_hash_deinit(h, x->hash);
	x->secs = now_s() - t0;
	free(buf);
	free(exp);
	return NULL;
}

/* Check a finished transfer @s -> @r; true if it all arrived intact. */
static bool xfer_check(const char *what, const struct xfer *s,
		       const struct xfer *r)
{
	char hs[65], hr[65];
	bool ok = true;

	hex(s->hash, 32, hs);
	hex(r->hash, 32, hr);
	if (s->err)
		tap_diag("%s: sender stopped at %llu: %s", what,
			 (unsigned long long)s->done,
			 s->err > 0 ? strerror(s->err) : "end of connection");
	if (r->err)
		tap_diag("%s: receiver stopped at %llu: %s", what,
			 (unsigned long long)r->done,
			 r->err > 0 ? strerror(r->err) : "end of connection");
	if (r->bad_sid >= 0)
		tap_diag("%s: data for stream %lld, expected %lld", what,
			 (long long)r->bad_sid, (long long)r->sid);
	if (r->bad_off >= 0)
		tap_diag("%s: first wrong byte at offset %lld", what,
			 (long long)r->bad_off);
	ok &= CHECK_EQ(s->err, 0);
	ok &= CHECK_EQ(r->err, 0);
	ok &= CHECK_EQ(s->done, s->size);
	ok &= CHECK_EQ(r->done, s->size);
	ok &= CHECK(r->fin);
	ok &= CHECK(!r->fin_early);
	ok &= CHECK_EQ(r->bad_off, -1);
	ok &= CHECK(!memcmp(s->hash, r->hash, 32));
	if (!ok)
		tap_diag("%s: sha256 sent %s, received %s", what, hs, hr);
	else
		tap_diag("%s: %llu bytes in %.2f s (%.1f Mbit/s), sha256 %.16s...",
			 what, (unsigned long long)r->done, r->secs,
			 r->secs > 0 ? (double)r->done * 8 / r->secs / 1e6 : 0,
			 hr);
	return ok;
}

/* One transfer on the pair: @up client->server (stream 0), else
 * server->client (stream 1); both run at once when @both.
 */
static void pair_transfer(struct pair *p, uint64_t size, int up, int both)
{
	struct xfer us = { .fd = p->cfd, .sid = 0, .size = size, .seed = 11,
			   .open_flags = MSG_STREAM_NEW };
	struct xfer ur = { .fd = p->sfd, .sid = 0, .size = size, .seed = 11 };
	struct xfer ds = { .fd = p->sfd, .sid = 1, .size = size, .seed = 22,
			   .open_flags = MSG_STREAM_NEW };
	struct xfer dr = { .fd = p->cfd, .sid = 1, .size = size, .seed = 22 };
	pthread_t t[4];
	int run_up = up || both, run_down = !up || both;

	if (run_up) {
		pthread_create(&t[0], NULL, xfer_send_main, &us);
		pthread_create(&t[1], NULL, xfer_recv_main, &ur);
	}
	if (run_down) {
		pthread_create(&t[2], NULL, xfer_send_main, &ds);
		pthread_create(&t[3], NULL, xfer_recv_main, &dr);
	}
	if (run_up) {
		pthread_join(t[0], NULL);
		pthread_join(t[1], NULL);
		xfer_check("client->server", &us, &ur);
	}
	if (run_down) {
		pthread_join(t[2], NULL);
		pthread_join(t[3], NULL);
		xfer_check("server->client", &ds, &dr);
	}
}

/* ====================================================== the tests */

/* ---------------------------------------------- Appendix A sample */

struct rx_stream {
	char		msg[128];
	uint32_t	len;
	uint32_t	flags;
};

static void test_appendix_a(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET,
			    .hs = { .libquic = 1, .host = "localhost" } };
	struct rx_stream st[2] = {};
	char msg[128];
	uint32_t flags;
	int64_t sid;
	ssize_t r;
	struct pair p;
	int n = 0;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);

	/* the client: stream 0 and 2, interleaved, FIN on each */
	CHECK_EQ(quic_sendmsg(p.cfd, "hello ", 6, 0, MSG_STREAM_NEW), 6);
	CHECK_EQ(quic_sendmsg(p.cfd, "hello quic ", 11, 2, MSG_STREAM_NEW), 11);
	CHECK_EQ(quic_sendmsg(p.cfd, "quic ", 5, 0, 0), 5);
	CHECK_EQ(quic_sendmsg(p.cfd, "server stream 2!", 16, 2,
			      MSG_STREAM_FIN), 16);
	CHECK_EQ(quic_sendmsg(p.cfd, "server stream 0!", 16, 0,
			      MSG_STREAM_FIN), 16);

	/* the server reads until both streams ended */
	while (!(st[0].flags & MSG_STREAM_FIN) ||
	       !(st[1].flags & MSG_STREAM_FIN)) {
		flags = 0;
		sid = -1;
		if (!CHECK_SYS(r = quic_recvmsg(p.sfd, msg, sizeof(msg), &sid,
						&flags)) ||
		    !CHECK(sid == 0 || sid == 2) ||
		    !CHECK(++n < 20))
			goto out;
		if (!CHECK(st[sid >> 1].len + (size_t)r < sizeof(st[0].msg)))
			goto out;
		memcpy(st[sid >> 1].msg + st[sid >> 1].len, msg, (size_t)r);
		st[sid >> 1].len += (uint32_t)r;
		st[sid >> 1].flags = flags;
		CHECK(!(flags & MSG_NOTIFICATION));
	}
	CHECK(!strcmp(st[0].msg, "hello quic server stream 0!"));
	CHECK(!strcmp(st[1].msg, "hello quic server stream 2!"));
	tap_diag("stream 0: \"%s\", stream 2: \"%s\"", st[0].msg, st[1].msg);

	/* the server answers on its own stream 1 */
	CHECK_EQ(quic_sendmsg(p.sfd, "hello quic client stream 1!", 27, 1,
			      MSG_STREAM_NEW | MSG_STREAM_FIN), 27);
	memset(msg, 0, sizeof(msg));
	flags = 0;
	sid = -1;
	r = quic_recvmsg(p.cfd, msg, sizeof(msg) - 1, &sid, &flags);
	CHECK_EQ(r, 27);
	CHECK(!strcmp(msg, "hello quic client stream 1!"));
	CHECK_EQ(sid, 1);
	CHECK(flags & MSG_STREAM_FIN);
	CHECK(flags & MSG_EOR);
	CHECK(!(flags & MSG_NOTIFICATION));
out:
	pair_close(&p);
}

/* A message read with a buffer too small for it: MSG_EOR and FIN only
 * with its last byte.
 */
static void test_recv_partial(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET6, .hs = { .psk = 1 } };
	char msg[100], buf[64] = {}, got[128] = {};
	size_t have = 0;
	uint32_t flags;
	int64_t sid;
	ssize_t r;
	struct pair p;
	int i;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	pat_fill(5, 0, (uint8_t *)msg, sizeof(msg));
	CHECK_EQ(quic_sendmsg(p.sfd, msg, sizeof(msg), 1,
			      MSG_STREAM_NEW | MSG_STREAM_FIN), 100);
	for (i = 0; i < 4; i++) {
		flags = 0;
		sid = -1;
		if (!CHECK_SYS(r = quic_recvmsg(p.cfd, buf, 30, &sid,
						&flags)))
			break;
		CHECK_EQ(sid, 1);
		memcpy(got + have, buf, (size_t)r);
		have += (size_t)r;
		if (have < sizeof(msg)) {
			CHECK_EQ(r, 30);
			CHECK(!(flags & MSG_STREAM_FIN));
			CHECK(!(flags & MSG_EOR));
		} else {
			CHECK(flags & MSG_STREAM_FIN);
			CHECK(flags & MSG_EOR);
			break;
		}
	}
	CHECK_EQ(have, sizeof(msg));
	CHECK(!memcmp(got, msg, sizeof(msg)));
	pair_close(&p);
}

/* ------------------------------------------------------ transfers */

struct xfer_case {
	int		family;
	const char	*cipher;	/* GnuTLS name */
	int		gtls;		/* gnutls_cipher_algorithm_t */
	int		psk;
	uint64_t	size;
	int		up, both;
};

static void test_transfer(const void *arg)
{
	const struct xfer_case *x = arg;
	struct pcfg cfg = { .family = x->family,
			    .hs = { .cipher = x->cipher, .psk = x->psk },
			    .tmo_ms = 30000 };
	struct pair p;

	REQUIRE_PAIR(&p, &cfg);
	CHECK_EQ(p.ccipher, x->gtls);
	CHECK_EQ(p.scipher, x->gtls);
	tap_diag("handshake %.2f s, cipher %s",
		 p.ctime, gnutls_cipher_get_name(p.ccipher));
	pair_transfer(&p, x->size, x->up, x->both);
	pair_close(&p);
}

/*
 * 16 MiB each way at once in 1 KiB sendmsg() and recvmsg() calls: small
 * writes are coalesced into full packets (many STREAM frames a packet),
 * which a receiver short of reorder room must still take in part, without
 * stalling (seen before: one frame it could not hold hid the rest of its
 * packet, on every retransmission).  Then the same with
 * config.stream_data_nodelay, a packet a write.
 */
static void test_small_writes(const void *arg)
{
	struct quic_config nodelay = { .stream_data_nodelay = 1 };
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 },
			    .tmo_ms = 30000, .conf_c = arg ? &nodelay : NULL };
	uint64_t size = arg ? 2 * MIB : 16 * MIB;
	struct xfer us = { .sid = 0, .size = size, .seed = 5, .chunk = 1024,
			   .open_flags = MSG_STREAM_NEW };
	struct xfer ur = { .sid = 0, .size = size, .seed = 5, .chunk = 1024 };
	struct xfer ds = { .sid = 1, .size = size, .seed = 6, .chunk = 1024,
			   .open_flags = MSG_STREAM_NEW };
	struct xfer dr = { .sid = 1, .size = size, .seed = 6, .chunk = 1024 };
	struct quic_config got = {};
	socklen_t len = sizeof(got);
	pthread_t t[4];
	struct pair p;

	REQUIRE_PAIR(&p, &cfg);
	CHECK_SYS(getsockopt(p.cfd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &got, &len));
	CHECK_EQ(got.stream_data_nodelay, arg ? 1 : 0);
	us.fd = dr.fd = p.cfd;
	ur.fd = ds.fd = p.sfd;
	pthread_create(&t[0], NULL, xfer_send_main, &us);
	pthread_create(&t[1], NULL, xfer_recv_main, &ur);
	pthread_create(&t[2], NULL, xfer_send_main, &ds);
	pthread_create(&t[3], NULL, xfer_recv_main, &dr);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	pthread_join(t[2], NULL);
	pthread_join(t[3], NULL);
	xfer_check("client->server", &us, &ur);
	xfer_check("server->client", &ds, &dr);
	pair_close(&p);
}

/* ------------------------------------------------------- streams */

struct sbuf {
	uint8_t		*data;
	size_t		len, cap;
	int		fin;
	int		echoed;
};

static size_t stream_len(int i)
{
	return 300 + (size_t)(i * 997) % 7900;
}

struct many {
	int		fd;
	int		n;		/* streams */
	int		split;		/* send each in two halves, interleaved */
	int64_t		base;		/* first stream ID */
	/* results */
	int		err;
	int		done;
	int		bad;		/* streams whose echo was wrong */
	int64_t		bad_sid;
	struct sbuf	*rx;
};

/* Client writer: every stream's data, FIN at the end of each. */
static void *many_write(void *p)
{
	struct many *m = p;
	uint8_t buf[8 * 1024];
	int i, half;
	int64_t sid;
	size_t len, a;

	for (half = 0; half < (m->split ? 2 : 1); half++) {
		for (i = 0; i < m->n; i++) {
			sid = m->base + 4 * i;
			len = stream_len(i);
			pat_fill(1000 + (uint64_t)sid, 0, buf, len);
			a = m->split ? len / 2 : 0;
			if (!m->split) {
				if (quic_sendmsg(m->fd, buf, len, sid,
						 MSG_STREAM_NEW |
						 MSG_STREAM_FIN) != (ssize_t)len)
					goto fail;
			} else if (!half) {
				if (quic_sendmsg(m->fd, buf, a, sid,
						 MSG_STREAM_NEW) != (ssize_t)a)
					goto fail;
			} else {
				if (quic_sendmsg(m->fd, buf + a, len - a, sid,
						 MSG_STREAM_FIN) !=
				    (ssize_t)(len - a))
					goto fail;
			}
		}
	}
	return NULL;
fail:
	m->err = errno ? errno : EIO;
	tap_diag("writer: stream %lld: %s", (long long)sid, strerror(m->err));
	return NULL;
}

static int sbuf_add(struct sbuf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = (b->len + n) * 2;
		uint8_t *d = realloc(b->data, cap);

		if (!d)
			return -1;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

/* Read until @m->n streams have ended; with @echo, send each back. */
static void *many_read(void *p, int echo)
{
	struct many *m = p;
	uint8_t buf[16 * 1024], exp[8 * 1024];
	uint32_t flags;
	int64_t sid;
	ssize_t r;
	int i;

	while (m->done < m->n) {
		flags = 0;
		sid = -1;
		r = quic_recvmsg(m->fd, buf, sizeof(buf), &sid, &flags);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || (r == 0 && !(flags & MSG_STREAM_FIN))) {
			m->err = r < 0 ? errno : EPIPE;
			tap_diag("%s: after %d streams: %s", echo ? "echo" : "reader",
				 m->done, r < 0 ? strerror(errno) : "connection ended");
			return NULL;
		}
		i = (int)((sid - m->base) / 4);
		if (sid < m->base || (sid - m->base) % 4 || i >= m->n ||
		    m->rx[i].fin) {
			m->err = EPROTO;
			m->bad_sid = sid;
			tap_diag("data on unexpected stream %lld (flags %#x)",
				 (long long)sid, flags);
			return NULL;
		}
		if (sbuf_add(&m->rx[i], buf, (size_t)r)) {
			m->err = ENOMEM;
			return NULL;
		}
		if (!(flags & MSG_STREAM_FIN))
			continue;
		m->rx[i].fin = 1;
		m->done++;
		if (echo) {
			r = quic_sendmsg(m->fd, m->rx[i].data, m->rx[i].len, sid,
					 MSG_STREAM_FIN);
			if (r != (ssize_t)m->rx[i].len) {
				m->err = r < 0 ? errno : EIO;
				tap_diag("echo on stream %lld: %zd (%s)",
					 (long long)sid, r, strerror(errno));
				return NULL;
			}
		} else {
			pat_fill(1000 + (uint64_t)sid, 0, exp, stream_len(i));
			if (m->rx[i].len != stream_len(i) ||
			    memcmp(m->rx[i].data, exp, stream_len(i))) {
				if (!m->bad)
					m->bad_sid = sid;
				m->bad++;
			}
		}
	}
	return NULL;
}

static void *many_read_check(void *p)
{
	return many_read(p, 0);
}

static void *many_read_echo(void *p)
{
	return many_read(p, 1);
}

static void many_free(struct many *m)
{
	int i;

	for (i = 0; i < m->n; i++)
		free(m->rx[i].data);
	free(m->rx);
}

/*
 * @n streams opened by the client (@split: all open at once, each written
 * in two halves), echoed by the server on each; @server_first: the same
 * with the server's streams (1, 5, ...) and the client echoing.
 */
static void streams_echo(int n, int split, int server_first)
{
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 },
			    .tmo_ms = 20000 };
	struct many w = {}, rd = {}, e = {};
	pthread_t tw, tr, te;
	struct pair p;
	double t0;

	REQUIRE_PAIR(&p, &cfg);
	w.fd = rd.fd = server_first ? p.sfd : p.cfd;
	e.fd = server_first ? p.cfd : p.sfd;
	w.n = rd.n = e.n = n;
	w.split = split;
	w.base = rd.base = e.base = server_first ? 1 : 0;
	rd.rx = calloc((size_t)n, sizeof(struct sbuf));
	e.rx = calloc((size_t)n, sizeof(struct sbuf));
	REQUIRE(rd.rx && e.rx);
	t0 = now_s();
	pthread_create(&te, NULL, many_read_echo, &e);
	pthread_create(&tr, NULL, many_read_check, &rd);
	pthread_create(&tw, NULL, many_write, &w);
	pthread_join(tw, NULL);
	pthread_join(tr, NULL);
	if (rd.err || w.err) {
		/* unblock the echo side */
		shutdown(e.fd, SHUT_RDWR);
	}
	pthread_join(te, NULL);
	tap_diag("%d streams echoed in %.2f s", rd.done, now_s() - t0);
	CHECK_EQ(w.err, 0);
	CHECK_EQ(e.err, 0);
	CHECK_EQ(rd.err, 0);
	CHECK_EQ(e.done, n);
	CHECK_EQ(rd.done, n);
	if (!CHECK_EQ(rd.bad, 0))
		tap_diag("%d streams came back wrong, the first %lld", rd.bad,
			 (long long)rd.bad_sid);
	many_free(&rd);
	many_free(&e);
	pair_close(&p);
}

static void test_streams_100(const void *arg)
{
	(void)arg;
	streams_echo(100, 1, 0);
}

static void test_streams_credit(const void *arg)
{
	(void)arg;
	streams_echo(250, 0, 0);
}

static void test_streams_server(const void *arg)
{
	(void)arg;
	streams_echo(20, 1, 1);
}

/* Unidirectional streams both ways; no sending on the peer's. */
static void test_streams_uni(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET6, .hs = {} };
	static const int64_t csid[] = { 2, 6, 10 }, ssid[] = { 3, 7 };
	char buf[256], exp[64];
	int seen_c[3] = {}, seen_s[2] = {};
	uint32_t flags;
	int64_t sid;
	ssize_t r;
	struct pair p;
	int i, k;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	for (i = 0; i < 3; i++) {
		snprintf(exp, sizeof(exp), "client uni stream %lld", (long long)csid[i]);
		CHECK_EQ(quic_sendmsg(p.cfd, exp, strlen(exp), csid[i],
				      MSG_STREAM_NEW | MSG_STREAM_FIN),
			 (ssize_t)strlen(exp));
	}
	for (i = 0; i < 2; i++) {
		snprintf(exp, sizeof(exp), "server uni stream %lld", (long long)ssid[i]);
		CHECK_EQ(quic_sendmsg(p.sfd, exp, strlen(exp), ssid[i],
				      MSG_STREAM_NEW | MSG_STREAM_FIN),
			 (ssize_t)strlen(exp));
	}
	for (k = 0; k < 3; k++) {
		flags = 0;
		sid = -1;
		memset(buf, 0, sizeof(buf));
		if (!CHECK_SYS(r = quic_recvmsg(p.sfd, buf, sizeof(buf) - 1,
						&sid, &flags)))
			break;
		snprintf(exp, sizeof(exp), "client uni stream %lld", (long long)sid);
		for (i = 0; i < 3 && csid[i] != sid; i++)
			;
		if (!CHECK(i < 3)) {
			tap_diag("server got stream %lld", (long long)sid);
			break;
		}
		seen_c[i]++;
		CHECK(!strcmp(buf, exp));
		CHECK(flags & MSG_STREAM_FIN);
	}
	for (k = 0; k < 2; k++) {
		flags = 0;
		sid = -1;
		memset(buf, 0, sizeof(buf));
		if (!CHECK_SYS(r = quic_recvmsg(p.cfd, buf, sizeof(buf) - 1,
						&sid, &flags)))
			break;
		snprintf(exp, sizeof(exp), "server uni stream %lld", (long long)sid);
		for (i = 0; i < 2 && ssid[i] != sid; i++)
			;
		if (!CHECK(i < 2)) {
			tap_diag("client got stream %lld", (long long)sid);
			break;
		}
		seen_s[i]++;
		CHECK(!strcmp(buf, exp));
		CHECK(flags & MSG_STREAM_FIN);
	}
	CHECK(seen_c[0] == 1 && seen_c[1] == 1 && seen_c[2] == 1);
	CHECK(seen_s[0] == 1 && seen_s[1] == 1);
	/* the receive-only side of a unidirectional stream cannot send */
	CHECK_ERR(quic_sendmsg(p.sfd, "x", 1, 2, 0), EINVAL);
	CHECK_ERR(quic_sendmsg(p.cfd, "x", 1, 3, 0), EINVAL);
	/* and nothing of those went out */
	flags = MSG_DONTWAIT;
	msleep(200);
	CHECK_ERR(quic_recvmsg(p.cfd, buf, sizeof(buf), &sid, &flags), EAGAIN);
	pair_close(&p);
}

/* Bulk data through 16 KiB windows, both ways at once. */
static void test_flow_control(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 },
			    .tp_c = &tp_small, .tp_s = &tp_small,
			    .tmo_ms = 30000 };
	struct quic_transport_param tp;
	socklen_t len = sizeof(tp);
	struct pair p;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	memset(&tp, 0, sizeof(tp));
	tp.remote = 1;
	if (CHECK_SYS(getsockopt(p.cfd, SOL_QUIC, QUIC_SOCKOPT_TRANSPORT_PARAM,
				 &tp, &len))) {
		CHECK_EQ(tp.max_data, 16 * KIB);
		CHECK_EQ(tp.max_stream_data_bidi_remote, 16 * KIB);
	}
	pair_transfer(&p, 1 * MIB, 1, 1);
	pair_close(&p);
}

/* A reader that stops reading: the sender blocks, then goes on. */
static void test_flow_control_slow_reader(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET6, .hs = { .psk = 1 },
			    .tp_s = &tp_small, .tmo_ms = 30000 };
	struct xfer s = { .size = 512 * KIB, .seed = 3, .sid = 0,
			  .open_flags = MSG_STREAM_NEW, .chunk = 4 * KIB };
	struct xfer r = { .size = 512 * KIB, .seed = 3, .sid = 0,
			  .chunk = 4 * KIB };
	pthread_t ts, tr;
	uint64_t at;
	struct pair p;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	s.fd = p.cfd;
	r.fd = p.sfd;
	pthread_create(&ts, NULL, xfer_send_main, &s);
	msleep(1500);
	at = __atomic_load_n(&s.done, __ATOMIC_RELAXED);
	tap_diag("sent %llu bytes before the receiver read anything",
		 (unsigned long long)at);
	/* the window is 16 KiB; a sender may have 1 chunk more in hand */
	CHECK(at <= 16 * KIB + 4 * KIB);
	pthread_create(&tr, NULL, xfer_recv_main, &r);
	pthread_join(ts, NULL);
	pthread_join(tr, NULL);
	xfer_check("client->server", &s, &r);
	pair_close(&p);
}

/* ---------------------------------------------------- close, idle */

struct recv_wait {
	int		fd;
	ssize_t		ret;
	int		err;
	uint32_t	flags;
	double		secs;
	uint8_t		buf[256];
};

static void *recv_wait_main(void *p)
{
	struct recv_wait *w = p;
	double t0 = now_s();
	int64_t sid = -1;

	w->flags = 0;
	errno = 0;
	w->ret = quic_recvmsg(w->fd, w->buf, sizeof(w->buf), &sid, &w->flags);
	w->err = w->ret < 0 ? errno : 0;
	w->secs = now_s() - t0;
	return NULL;
}

/* recv on @fd, within @tmo_ms; the result in @w. */
static void recv_wait(struct recv_wait *w, int fd, int tmo_ms)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	set_timeouts(fd, tmo_ms);
	recv_wait_main(w);
}

static bool ended(const struct recv_wait *w)
{
	return w->ret == 0 || (w->ret < 0 && w->err != EAGAIN);
}

/* close() with an application error set: the peer's event carries it. */
static void test_close_event(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 } };
	struct quic_connection_close cc = { .errcode = 0x2a };
	struct quic_connection_close got;
	struct recv_wait w;
	struct pair p;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	CHECK_SYS(set_event(p.sfd, QUIC_EVENT_CONNECTION_CLOSE, 1));
	strcpy((char *)cc.phrase, "conn_test says bye");
	CHECK_SYS(setsockopt(p.cfd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_CLOSE,
			     &cc, sizeof(cc)));
	close(p.cfd);
	p.cfd = -1;

	recv_wait(&w, p.sfd, 5000);
	tap_diag("server: recv %zd (%s) after %.2f s, flags %#x", w.ret,
		 w.ret < 0 ? strerror(w.err) : "ok", w.secs, w.flags);
	if (CHECK(w.ret >= (ssize_t)(1 + sizeof(got)))) {
		CHECK(w.flags & MSG_NOTIFICATION);
		CHECK(w.flags & MSG_EOR);
		CHECK_EQ(w.buf[0], QUIC_EVENT_CONNECTION_CLOSE);
		memcpy(&got, w.buf + 1, sizeof(got));
		CHECK_EQ(got.errcode, 0x2a);
		got.phrase[sizeof(got.phrase) - 1] = 0;
		CHECK(!strcmp((char *)got.phrase, "conn_test says bye"));
		if (strcmp((char *)got.phrase, "conn_test says bye"))
			tap_diag("phrase \"%s\"", got.phrase);
	}
	CHECK(w.secs < 2);
	/* and then the end of the connection */
	recv_wait(&w, p.sfd, 5000);
	tap_diag("server: then recv %zd (%s) after %.2f s", w.ret,
		 w.ret < 0 ? strerror(w.err) : "ok", w.secs);
	CHECK(ended(&w));
	CHECK(w.secs < 1);
	errno = 0;
	w.ret = quic_sendmsg(p.sfd, "x", 1, 1, MSG_STREAM_NEW | MSG_NOSIGNAL);
	w.err = errno;
	if (!CHECK(w.ret == -1 && (w.err == EPIPE || w.err == ENOTCONN ||
				   w.err == ECONNRESET)))
		tap_diag("send after the end: %zd (%s)", w.ret, strerror(w.err));
	pair_close(&p);
}

/*
 * A UDP relay on 127.0.0.1 between a client and a server port, which can
 * drop what the server sends and counts what it forwards each way.
 */
struct relay {
	int		cfd;		/* the client's side */
	int		sfd;		/* connected to the server */
	uint16_t	port;		/* clients connect here */
	volatile int	drop_s2c, stop;
	volatile int	s2c, c2s, s2c_dropped;
	/* hold the server's datagrams until one with a Handshake packet
	 * comes, and deliver that packet before them
	 */
	volatile int	reorder_s2c, reordered;
	/* then drop the server's datagrams with Handshake packets for
	 * drop_hs_secs (until drop_hs_until)
	 */
	double		drop_hs_secs, drop_hs_until;
	int		hs_dropped;
	uint8_t		held[4][2048];
	size_t		held_len[4];
	int		nheld;
	pthread_t	th;
};

static int get_varint(const uint8_t *p, size_t n, size_t *i, uint64_t *v)
{
	size_t len, k;

	if (*i >= n)
		return -1;
	len = (size_t)1 << (p[*i] >> 6);
	if (*i + len > n)
		return -1;
	*v = p[*i] & 0x3f;
	for (k = 1; k < len; k++)
		*v = (*v << 8) | p[*i + k];
	*i += len;
	return 0;
}

/* the length of the long header packet at @p (header fields are not
 * protected), or 0 for a short header or what cannot be parsed
 */
static size_t long_packet_len(const uint8_t *p, size_t n)
{
	size_t i = 5;
	uint64_t v;

	if (n < 7 || !(p[0] & 0x80) || ((p[0] >> 4) & 3) == 3)
		return 0;
	i += 1 + p[i];			/* DCID */
	if (i >= n)
		return 0;
	i += 1 + p[i];			/* SCID */
	if (((p[0] >> 4) & 3) == 0) {	/* Initial: token */
		if (get_varint(p, n, &i, &v))
			return 0;
		i += v;
	}
	if (get_varint(p, n, &i, &v) || i + v > n)
		return 0;
	return i + v;
}

/* whether a datagram holds a (v1) Handshake packet */
static bool has_handshake_packet(const uint8_t *p, size_t n)
{
	size_t o = 0, l;

	while (o < n) {
		if ((p[o] & 0xb0) == 0xa0)	/* long header, type 2 */
			return true;
		l = long_packet_len(p + o, n - o);
		if (!l)
			break;
		o += l;
	}
	return false;
}

/* deliver the Handshake packets of @buf, then what was held, then the
 * rest of @buf: each packet in a datagram of its own
 */
static void relay_send_hs_first(struct relay *r, const uint8_t *buf, size_t n,
				const struct sockaddr_in *to)
{
	size_t o, l;
	int pass, k;

	for (pass = 0; pass < 2; pass++) {
		for (o = 0; o < n; o += l) {
			l = long_packet_len(buf + o, n - o);
			if (!l)
				l = n - o;	/* a short header packet ends it */
			if (((buf[o] & 0xb0) == 0xa0) == !pass)
				sendto(r->cfd, buf + o, l, 0,
				       (const struct sockaddr *)to,
				       sizeof(*to));
		}
		for (k = 0; !pass && k < r->nheld; k++)
			sendto(r->cfd, r->held[k], r->held_len[k], 0,
			       (const struct sockaddr *)to, sizeof(*to));
	}
	r->nheld = 0;
}

static void *relay_main(void *p)
{
	struct relay *r = p;
	struct sockaddr_in cli = {};
	socklen_t clen;
	uint8_t buf[65536];
	struct pollfd pf[2] = {
		{ .fd = r->cfd, .events = POLLIN },
		{ .fd = r->sfd, .events = POLLIN },
	};
	ssize_t n;

	while (!r->stop) {
		if (poll(pf, 2, 50) <= 0)
			continue;
		if (pf[0].revents & POLLIN) {
			clen = sizeof(cli);
			n = recvfrom(r->cfd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&cli, &clen);
			if (n > 0 && send(r->sfd, buf, (size_t)n, 0) == n)
				r->c2s++;
		}
		if (pf[1].revents & POLLIN) {
			n = recv(r->sfd, buf, sizeof(buf), 0);
			if (n <= 0 || !cli.sin_port)
				continue;
			if (r->drop_s2c) {
				r->s2c_dropped++;
				continue;
			}
			if (r->reorder_s2c &&
			    has_handshake_packet(buf, (size_t)n)) {
				r->reorder_s2c--;
				r->reordered++;
				r->s2c += 1 + r->nheld;
				relay_send_hs_first(r, buf, (size_t)n, &cli);
				if (r->drop_hs_secs)
					r->drop_hs_until = now_s() +
							   r->drop_hs_secs;
				continue;
			}
			if (r->reorder_s2c && r->nheld < 4 &&
			    (size_t)n <= sizeof(r->held[0])) {
				memcpy(r->held[r->nheld], buf, (size_t)n);
				r->held_len[r->nheld++] = (size_t)n;
				continue;
			}
			if (now_s() < r->drop_hs_until &&
			    has_handshake_packet(buf, (size_t)n)) {
				r->hs_dropped++;
				continue;
			}

			if (sendto(r->cfd, buf, (size_t)n, 0,
				   (struct sockaddr *)&cli, sizeof(cli)) == n)
				r->s2c++;
		}
	}
	return NULL;
}

static bool relay_start(struct relay *r, uint16_t server_port)
{
	struct addr a = mkaddr(AF_INET, NULL, 0);
	struct addr srv = mkaddr(AF_INET, NULL, server_port);

	memset(r, 0, sizeof(*r));
	r->cfd = socket(AF_INET, SOCK_DGRAM, 0);
	r->sfd = socket(AF_INET, SOCK_DGRAM, 0);
	if (r->cfd < 0 || r->sfd < 0 || bind(r->cfd, &a.sa, a.len) ||
	    connect(r->sfd, &srv.sa, srv.len)) {
		tap_diag("relay: %s", strerror(errno));
		return false;
	}
	r->port = local_port(r->cfd);
	return !pthread_create(&r->th, NULL, relay_main, r);
}

static void relay_stop(struct relay *r)
{
	r->stop = 1;
	pthread_join(r->th, NULL);
	close(r->cfd);
	close(r->sfd);
}

/* a listener for a relay: its port is known before the client connects */
static int relay_listener(uint16_t *port)
{
	return listener(AF_INET, NULL, 8, 0, port);
}

struct relay_pair {
	struct pair	p;
	struct relay	r;
};

/* a connected pair whose traffic goes through a relay */
static bool relay_pair_open(struct relay_pair *rp, struct pcfg *cfg,
			    int reorder)
{
	struct cli_arg c = { .cfg = cfg, .fd = -1 };
	struct pair *p = &rp->p;
	pthread_t th;

	pair_init(p);
	p->lfd = relay_listener(&p->port);
	if (p->lfd < 0 || !relay_start(&rp->r, p->port))
		return false;
	rp->r.reorder_s2c = reorder;
	rp->r.drop_hs_secs = reorder ? 3.0 : 0;
	c.port = rp->r.port;
	if (pthread_create(&th, NULL, cli_main, &c))
		return false;
	p->sfd = accept(p->lfd, NULL, NULL);
	if (p->sfd >= 0) {
		set_timeouts(p->sfd, TMO_MS);
		p->sret = handshake(p->sfd, 1, &cfg->hs, &p->scipher);
	} else {
		p->sret = -errno;
	}
	pthread_join(th, NULL);
	p->cfd = c.fd;
	p->cret = c.ret;
	p->ctime = c.secs;
	return !p->cret && !p->sret;
}

/*
 * RFC 9000 section 10.2.1: after close(), the socket stays in the closing
 * state and answers what the peer still sends with CONNECTION_CLOSE.  The
 * relay loses the first one; the client learns of the close only from the
 * answer to its next packet.
 */
static void test_closing_state(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 } };
	struct quic_connection_close cc = { .errcode = 0x77 };
	struct relay_pair rp;
	struct recv_wait w;
	int before;

	(void)arg;
	if (!CHECK(relay_pair_open(&rp, &cfg, 0)))
		goto out;
	CHECK_SYS(setsockopt(rp.p.sfd, SOL_QUIC, QUIC_SOCKOPT_CONNECTION_CLOSE,
			     &cc, sizeof(cc)));
	msleep(200);	/* the handshake's last ACKs are through */
	rp.r.drop_s2c = 1;
	close(rp.p.sfd);
	rp.p.sfd = -1;
	msleep(200);
	CHECK(rp.r.s2c_dropped >= 1);
	tap_diag("relay dropped %d datagram(s) of the server's close",
		 rp.r.s2c_dropped);
	/* nothing reached the client: it still believes in the connection */
	recv_wait(&w, rp.p.cfd, 100);
	CHECK(w.ret < 0 && w.err == EAGAIN);
	rp.r.drop_s2c = 0;
	before = rp.r.s2c;
	CHECK_EQ(quic_sendmsg(rp.p.cfd, "ping", 4, 0, MSG_STREAM_NEW), 4);
	recv_wait(&w, rp.p.cfd, 3000);
	tap_diag("client: recv %zd (%s) after %.2f s, %d datagram(s) from the closing server",
		 w.ret, w.ret < 0 ? strerror(w.err) : "ok", w.secs,
		 rp.r.s2c - before);
	CHECK(rp.r.s2c - before >= 1);
	CHECK(w.secs < 1.5);
	/* the close event, or the end with the server's error */
	CHECK(ended(&w) || (w.ret > 0 && (w.flags & MSG_NOTIFICATION)));
out:
	relay_stop(&rp.r);
	pair_close(&rp.p);
}

/*
 * RFC 9001 section 5.7: the relay delivers the server's Handshake packet
 * before the Initial whose ServerHello yields the Handshake keys, then
 * drops the server's Handshake packets for 3 s.  The client keeps the
 * early one and processes it once the keys are in, so its handshake
 * completes at once; had it dropped it, the resent ones would be lost too
 * and the handshake would take over 3 s.
 */
static void test_early_packets(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 } };
	struct relay_pair rp;
	struct recv_wait w;

	(void)arg;
	if (!CHECK(relay_pair_open(&rp, &cfg, 1)))
		goto out;
	tap_diag("client handshake %.3f s; server datagrams reordered %d time(s), %d later one(s) with Handshake packets dropped",
		 rp.p.ctime, rp.r.reordered, rp.r.hs_dropped);
	CHECK_EQ(rp.r.reordered, 1);
	CHECK(rp.p.ctime < 2.5);
	/* and the connection works */
	CHECK_EQ(quic_sendmsg(rp.p.cfd, "hi", 2, 0, MSG_STREAM_NEW), 2);
	recv_wait(&w, rp.p.sfd, 3000);
	CHECK_EQ(w.ret, 2);
out:
	relay_stop(&rp.r);
	pair_close(&rp.p);
}

/*
 * RFC 9000 section 10.2.2: once the peer's CONNECTION_CLOSE arrived, the
 * endpoint drains: nothing more is sent, not even when it closes itself.
 */
static void test_draining_state(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 } };
	struct relay_pair rp;
	struct recv_wait w;
	int c2s, s2c;

	(void)arg;
	if (!CHECK(relay_pair_open(&rp, &cfg, 0)))
		goto out;
	msleep(200);
	close(rp.p.cfd);
	rp.p.cfd = -1;
	recv_wait(&w, rp.p.sfd, 2000);
	CHECK(ended(&w));
	s2c = rp.r.s2c;
	c2s = rp.r.c2s;
	close(rp.p.sfd);
	rp.p.sfd = -1;
	msleep(300);
	tap_diag("after the client's close: %d datagram(s) from the server, %d more from the client",
		 rp.r.s2c - s2c, rp.r.c2s - c2s);
	CHECK_EQ(rp.r.s2c - s2c, 0);
out:
	relay_stop(&rp.r);
	pair_close(&rp.p);
}

/* close() with nothing set: the peer's blocked recv ends promptly. */
static void test_close_peer_recv(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET6, .hs = {} };
	struct recv_wait w = {};
	pthread_t th;
	struct pair p;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	w.fd = p.cfd;
	set_timeouts(p.cfd, 5000);
	pthread_create(&th, NULL, recv_wait_main, &w);
	msleep(300);
	close(p.sfd);
	p.sfd = -1;
	pthread_join(th, NULL);
	tap_diag("client: recv %zd (%s) after %.2f s", w.ret,
		 w.ret < 0 ? strerror(w.err) : "ok", w.secs);
	CHECK(ended(&w));
	CHECK(w.secs < 0.3 + 1.5);
	pair_close(&p);
}

/* The client goes away in the middle of the handshake. */
static void test_close_in_handshake_client(const void *arg)
{
	struct quic_handshake_step *step;
	gnutls_session_t s;
	struct addr a;
	uint16_t port;
	int lfd, cfd, sfd, ret;
	double t0;

	(void)arg;
	REQUIRE_SYS(lfd = listener(AF_INET, NULL, 0, 5000, &port));
	a = mkaddr(AF_INET, NULL, port);
	REQUIRE_SYS(cfd = socket(AF_INET, SOCK_DGRAM, IPPROTO_QUIC));
	REQUIRE_SYS(connect(cfd, &a.sa, a.len));
	/* send the ClientHello, no more */
	REQUIRE(!gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_NO_END_OF_EARLY_DATA));
	gnutls_priority_set_direct(s, QUIC_PRIORITY, NULL);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, xc_cli);
	gnutls_server_name_set(s, GNUTLS_NAME_DNS, "localhost", 9);
	quic_session_set_alpn(s, ALPN, strlen(ALPN));
	gnutls_transport_set_int(s, cfd);
	REQUIRE_EQ(quic_handshake_init(s, &step), 0);
	REQUIRE(step && step->op == QUIC_HANDSHAKE_STEP_OP_SENDMSG);
	step->retval = sendmsg(cfd, step->msg, step->flags);
	CHECK_SYS(step->retval);
	if (CHECK_SYS(sfd = accept(lfd, NULL, NULL))) {
		set_timeouts(sfd, 10000);
		close(cfd);	/* while the server answers */
		cfd = -1;
		t0 = now_s();
		ret = handshake(sfd, 1, NULL, NULL);
		tap_diag("server handshake: %d (%s) after %.2f s", ret,
			 strerror(-ret), now_s() - t0);
		/* the client's close, not a fault of the handshake's */
		CHECK_EQ(ret, -ECONNRESET);
		CHECK(now_s() - t0 < 3);
		close(sfd);
	}
	quic_handshake_deinit(s);
	gnutls_deinit(s);
	if (cfd >= 0)
		close(cfd);
	close(lfd);
}

/* The server closes the accepted socket without a handshake. */
static void test_close_in_handshake_server(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET, .tmo_ms = 10000 };
	struct cli_arg c = { .cfg = &cfg, .fd = -1 };
	pthread_t th;
	int lfd, sfd;

	(void)arg;
	REQUIRE_SYS(lfd = listener(AF_INET, NULL, 0, 5000, &c.port));
	pthread_create(&th, NULL, cli_main, &c);
	CHECK_SYS(sfd = accept(lfd, NULL, NULL));
	if (sfd >= 0)
		close(sfd);
	pthread_join(th, NULL);
	tap_diag("client handshake: %d (%s) after %.2f s", c.ret,
		 strerror(-c.ret), c.secs);
	CHECK(c.ret < 0);
	CHECK(c.ret != -ETIMEDOUT);
	CHECK(c.secs < 3);
	if (c.fd >= 0)
		close(c.fd);
	close(lfd);
}

/* close() in every state; the ports are free again afterwards. */
static void test_close_states(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET, .tmo_ms = 4000 };
	struct cli_arg c = { .cfg = &cfg, .fd = -1 };
	struct addr a = mkaddr(AF_INET, NULL, 0);
	struct pollfd pfd;
	struct recv_wait w;
	struct pair p;
	pthread_t th;
	uint16_t port;
	int fd, lfd;

	(void)arg;
	/* unbound */
	CHECK_SYS(fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_QUIC));
	CHECK_SYS(close(fd));
	/* bound */
	fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_QUIC);
	CHECK_SYS(bind(fd, &a.sa, a.len));
	port = local_port(fd);
	CHECK_SYS(close(fd));
	a = mkaddr(AF_INET, NULL, port);
	fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_QUIC);
	CHECK_SYS(bind(fd, &a.sa, a.len));	/* the port is ours again */
	CHECK_SYS(close(fd));
	/* listening, nothing pending */
	CHECK_SYS(lfd = listener(AF_INET, NULL, 0, 4000, &port));
	CHECK_SYS(close(lfd));
	/* connected, no handshake yet */
	lfd = listener(AF_INET, NULL, 0, 4000, &port);
	CHECK_SYS(fd = client_socket(AF_INET, NULL, 4000, port));
	CHECK_SYS(close(fd));
	/* listening with a pending connection: the client gives up */
	c.port = port;
	pthread_create(&th, NULL, cli_main, &c);
	pfd.fd = lfd;
	pfd.events = POLLIN;
	CHECK_EQ(poll(&pfd, 1, 5000), 1);
	CHECK_SYS(close(lfd));
	pthread_join(th, NULL);
	tap_diag("client of a closed listener: %d (%s) after %.2f s", c.ret,
		 strerror(-c.ret), c.secs);
	CHECK(c.ret < 0);
	CHECK(c.secs < 4 + 1);
	if (c.fd >= 0)
		close(c.fd);
	a = mkaddr(AF_INET, NULL, port);
	fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_QUIC);
	CHECK_SYS(bind(fd, &a.sa, a.len));	/* released */
	CHECK_SYS(listen(fd, 1));
	close(fd);

	/* established: the listener first, the connection still works */
	cfg.hs.psk = 1;
	if (pair_open(&p, &cfg)) {
		CHECK_SYS(close(p.lfd));
		p.lfd = -1;
		CHECK_EQ(quic_sendmsg(p.cfd, "ping", 4, 0,
				      MSG_STREAM_NEW | MSG_STREAM_FIN), 4);
		recv_wait(&w, p.sfd, 3000);
		CHECK_EQ(w.ret, 4);
		/* after the peer closed */
		CHECK_SYS(close(p.sfd));
		p.sfd = -1;
		recv_wait(&w, p.cfd, 3000);
		CHECK(ended(&w));
		CHECK_SYS(close(p.cfd));
		p.cfd = -1;
	} else {
		CHECK(0);
	}
	pair_close(&p);
	/* established, with data in flight both ways and unread */
	if (pair_open(&p, &cfg)) {
		static uint8_t big[256 * 1024];

		quic_sendmsg(p.cfd, big, sizeof(big), 0,
			     MSG_STREAM_NEW | MSG_DONTWAIT);
		quic_sendmsg(p.sfd, big, sizeof(big), 1,
			     MSG_STREAM_NEW | MSG_DONTWAIT);
		CHECK_SYS(close(p.cfd));
		p.cfd = -1;
		CHECK_SYS(close(p.sfd));
		p.sfd = -1;
	} else {
		CHECK(0);
	}
	pair_close(&p);
}

/* Both sides allow 1.5 s of silence: the connection ends by itself. */
static void test_idle_timeout(const void *arg)
{
	struct quic_transport_param tp = { .max_idle_timeout = 1500000 };
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 },
			    .tp_c = &tp, .tp_s = &tp };
	struct recv_wait wc = {}, ws = {};
	pthread_t tc, tsv;
	struct pair p;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	wc.fd = p.cfd;
	ws.fd = p.sfd;
	set_timeouts(p.cfd, 10000);
	set_timeouts(p.sfd, 10000);
	pthread_create(&tc, NULL, recv_wait_main, &wc);
	pthread_create(&tsv, NULL, recv_wait_main, &ws);
	pthread_join(tc, NULL);
	pthread_join(tsv, NULL);
	tap_diag("client recv %zd (%s) after %.2f s; server recv %zd (%s) after %.2f s",
		 wc.ret, wc.ret < 0 ? strerror(wc.err) : "-", wc.secs,
		 ws.ret, ws.ret < 0 ? strerror(ws.err) : "-", ws.secs);
	CHECK(ended(&wc));
	CHECK(ended(&ws));
	CHECK(wc.ret == 0 || wc.err == ETIMEDOUT);
	CHECK(ws.ret == 0 || ws.err == ETIMEDOUT);
	CHECK(wc.secs > 1.0 && wc.secs < 5);
	CHECK(ws.secs > 1.0 && ws.secs < 5);
	pair_close(&p);
}

/* Traffic keeps an idle timeout of 1.5 s from firing, for 4 s. */
static void test_idle_traffic(const void *arg)
{
	struct quic_transport_param tp = { .max_idle_timeout = 1500000 };
	struct pcfg cfg = { .family = AF_INET6, .hs = { .psk = 1 },
			    .tp_c = &tp, .tp_s = &tp };
	struct recv_wait w;
	char msg[32];
	struct pair p;
	int i, ok = 0;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	for (i = 0; i < 8; i++) {
		snprintf(msg, sizeof(msg), "ping %d", i);
		if (quic_sendmsg(p.cfd, msg, strlen(msg), 0,
				 i ? 0 : MSG_STREAM_NEW) != (ssize_t)strlen(msg))
			break;
		recv_wait(&w, p.sfd, 3000);
		if (w.ret != (ssize_t)strlen(msg))
			break;
		if (quic_sendmsg(p.sfd, msg, strlen(msg), 0, 0) !=
		    (ssize_t)strlen(msg))
			break;
		recv_wait(&w, p.cfd, 3000);
		if (w.ret != (ssize_t)strlen(msg))
			break;
		ok++;
		msleep(500);
	}
	if (!CHECK_EQ(ok, 8))
		tap_diag("round %d: %zd (%s)", ok, w.ret,
			 w.ret < 0 ? strerror(w.err) : "-");
	pair_close(&p);
}

/*
 * config.keepalive_probe_interval 0.4 s on the client: its PINGs keep a
 * 1.5 s idle timeout from firing on both sides through 4 s of silence.
 */
static void test_keepalive(const void *arg)
{
	struct quic_transport_param tp = { .max_idle_timeout = 1500000 };
	struct quic_config conf = { .keepalive_probe_interval = 400000 };
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 },
			    .tp_c = &tp, .tp_s = &tp, .conf_c = &conf };
	struct quic_config got = {};
	socklen_t len = sizeof(got);
	struct recv_wait w;
	struct pair p;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	CHECK_SYS(getsockopt(p.cfd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &got, &len));
	CHECK_EQ(got.keepalive_probe_interval, 400000);
	/* both sides silent: the server reads nothing, but nothing ends */
	recv_wait(&w, p.sfd, 4000);
	tap_diag("server: recv %zd (%s) after %.2f s of silence", w.ret,
		 w.ret < 0 ? strerror(w.err) : "-", w.secs);
	CHECK(w.ret < 0 && w.err == EAGAIN);
	CHECK_EQ(quic_sendmsg(p.cfd, "still here", 10, 0, MSG_STREAM_NEW), 10);
	recv_wait(&w, p.sfd, 3000);
	CHECK_EQ(w.ret, 10);
	CHECK_EQ(quic_sendmsg(p.sfd, "me too", 6, 0, 0), 6);
	recv_wait(&w, p.cfd, 3000);
	CHECK_EQ(w.ret, 6);
	pair_close(&p);
}

/* ------------------------------------------------------ shutdown */

static void test_shutdown_recv(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 } };
	struct recv_wait w = {};
	pthread_t th;
	struct pair p;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	w.fd = p.cfd;
	set_timeouts(p.cfd, 8000);
	pthread_create(&th, NULL, recv_wait_main, &w);
	msleep(300);
	CHECK_SYS(shutdown(p.cfd, SHUT_RDWR));
	pthread_join(th, NULL);
	tap_diag("recv %zd (%s) after %.2f s", w.ret,
		 w.ret < 0 ? strerror(w.err) : "-", w.secs);
	CHECK(ended(&w));
	CHECK(w.secs < 0.3 + 1.5);
	pair_close(&p);
}

struct accept_wait {
	int	fd;
	int	ret, err;
	double	secs;
};

static void *accept_wait_main(void *p)
{
	struct accept_wait *w = p;
	double t0 = now_s();

	w->ret = accept(w->fd, NULL, NULL);
	w->err = w->ret < 0 ? errno : 0;
	w->secs = now_s() - t0;
	return NULL;
}

static void test_shutdown_accept(const void *arg)
{
	struct accept_wait w = {};
	pthread_t th;
	uint16_t port;

	(void)arg;
	w.fd = listener(AF_INET6, NULL, 0, 8000, &port);
	REQUIRE_SYS(w.fd);
	pthread_create(&th, NULL, accept_wait_main, &w);
	msleep(300);
	CHECK_SYS(shutdown(w.fd, SHUT_RDWR));
	pthread_join(th, NULL);
	tap_diag("accept %d (%s) after %.2f s", w.ret,
		 w.ret < 0 ? strerror(w.err) : "-", w.secs);
	CHECK_EQ(w.ret, -1);
	CHECK(w.err != EAGAIN);
	CHECK(w.secs < 0.3 + 1.5);
	if (w.ret >= 0)
		close(w.ret);
	close(w.fd);
}

/* A sender blocked by flow control. */
static void test_shutdown_send(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 },
			    .tp_s = &tp_small };
	struct xfer s = { .size = 1 * MIB, .seed = 3, .sid = 0,
			  .open_flags = MSG_STREAM_NEW };
	pthread_t th;
	struct pair p;
	double t0;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	s.fd = p.cfd;
	set_timeouts(p.cfd, 8000);
	pthread_create(&th, NULL, xfer_send_main, &s);
	msleep(700);
	t0 = now_s();
	CHECK_SYS(shutdown(p.cfd, SHUT_RDWR));
	pthread_join(th, NULL);
	tap_diag("sender stopped after %llu bytes, %.2f s after shutdown: %s",
		 (unsigned long long)s.done, now_s() - t0,
		 s.err > 0 ? strerror(s.err) : s.err ? "end" : "no error");
	CHECK(s.done < s.size);
	CHECK(s.err != 0 && s.err != EAGAIN);
	CHECK(now_s() - t0 < 1.5);
	pair_close(&p);
}

/* ------------------------------------------------- bad credentials */

struct bad_case {
	struct hs_cfg	hs;
	int		cli_err;	/* expected, 0: any but ETIMEDOUT */
	int		srv_err;
};

static void test_bad_credentials(const void *arg)
{
	const struct bad_case *b = arg;
	struct pcfg cfg = { .family = AF_INET, .hs = b->hs, .tmo_ms = 8000 };
	struct pair p;
	double t0 = now_s();

	pair_open(&p, &cfg);
	tap_diag("client %d (%s) in %.2f s, server %d (%s) in %.2f s",
		 p.cret, strerror(-p.cret), p.ctime, p.sret, strerror(-p.sret),
		 p.stime);
	CHECK(p.cret < 0);
	CHECK(p.sret < 0);
	if (b->cli_err)
		CHECK_EQ(p.cret, -b->cli_err);
	else
		CHECK(p.cret != -ETIMEDOUT);
	if (b->srv_err)
		CHECK_EQ(p.sret, -b->srv_err);
	else
		CHECK(p.sret != -ETIMEDOUT);
	CHECK(now_s() - t0 < 5);
	pair_close(&p);
}

/* ---------------------------------------------------- bad datagrams */

static void rnd(uint8_t *p, size_t n)
{
	gnutls_rnd(GNUTLS_RND_NONCE, p, n);
}

/* A long-header packet of @len bytes: @version, 8-byte CIDs, random body. */
static size_t long_packet(uint8_t *p, size_t len, uint32_t version,
			  uint8_t type, uint8_t dcid_len, uint8_t *dcid,
			  uint8_t *scid)
{
	size_t i = 0, rest;

	rnd(p, len);
	p[i++] = (uint8_t)(0xc0 | (type << 4) | 0x03);
	p[i++] = (uint8_t)(version >> 24);
	p[i++] = (uint8_t)(version >> 16);
	p[i++] = (uint8_t)(version >> 8);
	p[i++] = (uint8_t)version;
	p[i++] = dcid_len;
	if (dcid)
		memcpy(dcid, p + i, dcid_len);
	i += dcid_len;
	p[i++] = 8;
	if (scid)
		memcpy(scid, p + i, 8);
	i += 8;
	if (type == 0)
		p[i++] = 0;		/* no token */
	rest = len - i - 2;
	p[i++] = (uint8_t)(0x40 | (rest >> 8));
	p[i++] = (uint8_t)rest;
	return len;
}

static int udp_to(int family, uint16_t port)
{
	struct addr a = mkaddr(family, NULL, port);
	int fd = socket(family, SOCK_DGRAM, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, &a.sa, a.len)) {
		close(fd);
		return -1;
	}
	return fd;
}

static const char *const garbage_kinds[] = {
	"random bytes",
	"short headers with random connection IDs",
	"Initials truncated below 1200 bytes",
	"1200-byte Initials whose length field runs past the datagram",
	"1200-byte Initials with a DCID length over 20",
	"Handshake, 0-RTT and Retry packets with random contents",
	"Version Negotiation packets",
	"1200-byte Initials whose token length runs past the datagram",
};

#define GARBAGE_KINDS	8
#define GARBAGE_EACH	50

/* @n datagrams of garbage of one @kind; how many went out. */
static int send_garbage(int ufd, int kind, int n)
{
	uint8_t p[1500];
	size_t len;
	int i, sent = 0;
	uint64_t r;

	for (i = 0; i < n; i++) {
		gnutls_rnd(GNUTLS_RND_NONCE, &r, sizeof(r));
		switch (kind) {
		case 0:
			len = 1 + (size_t)(r % 1400);
			rnd(p, len);
			break;
		case 1:
			len = 20 + (size_t)(r % 1300);
			rnd(p, len);
			p[0] = (uint8_t)(0x40 | (p[0] & 0x3f));
			break;
		case 2:
			long_packet(p, 1200, 1, 0, 8, NULL, NULL);
			len = 1 + (size_t)(r % 1199);
			break;
		case 3:
			long_packet(p, 1200, 1, 0, 8, NULL, NULL);
			p[24] = (uint8_t)(0x40 | 0x3f);	/* 16383 */
			p[25] = 0xff;
			len = 1200;
			break;
		case 4:
			long_packet(p, 1200, 1, 0, 8, NULL, NULL);
			p[5] = (uint8_t)(21 + r % 200);
			len = 1200;
			break;
		case 5:
			long_packet(p, 1200, 1, (uint8_t)(1 + i % 3), 8, NULL,
				    NULL);
			len = 60 + (size_t)(r % 1140);
			break;
		case 6:
			long_packet(p, 100, 0, 0, 8, NULL, NULL);
			len = 100;
			break;
		default:
			long_packet(p, 1200, 1, 0, 8, NULL, NULL);
			p[23] = 0xbf;	/* a 4-byte varint: ~1 GB */
			len = 1200;
			break;
		}
		if (send(ufd, p, len, 0) == (ssize_t)len)
			sent++;
	}
	return sent;
}

/* A listener fed garbage: nothing to accept, and it still works. */
static void test_garbage_listener(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 } };
	int family = arg ? AF_INET6 : AF_INET;
	struct recv_wait w;
	int ufd, fd, lfd, k, err;
	struct pair p;
	uint16_t port;

	cfg.family = family;
	REQUIRE_SYS(lfd = listener(family, NULL, 64, 3000, &port));
	REQUIRE_SYS(set_nonblock(lfd, 1));
	REQUIRE_SYS(ufd = udp_to(family, port));
	for (k = 0; k < GARBAGE_KINDS; k++) {
		CHECK_EQ(send_garbage(ufd, k, GARBAGE_EACH), GARBAGE_EACH);
		msleep(100);
		fd = accept(lfd, NULL, NULL);
		err = errno;
		if (!CHECK(fd < 0 && err == EAGAIN))
			tap_diag("%s: accept() %d (%s)", garbage_kinds[k], fd,
				 fd < 0 ? strerror(err) :
				 "a connection was made of them");
		while (fd >= 0) {
			close(fd);
			fd = accept(lfd, NULL, NULL);
		}
	}
	close(lfd);
	close(ufd);

	/* a good connection, with garbage at both ends */
	REQUIRE_PAIR(&p, &cfg);
	ufd = udp_to(family, p.port);
	for (k = 0; k < GARBAGE_KINDS; k++)
		send_garbage(ufd, k, GARBAGE_EACH);
	close(ufd);
	ufd = udp_to(family, local_port(p.cfd));
	for (k = 0; k < GARBAGE_KINDS; k++)
		send_garbage(ufd, k, GARBAGE_EACH);
	close(ufd);
	CHECK_EQ(quic_sendmsg(p.cfd, "still there?", 12, 0,
			      MSG_STREAM_NEW | MSG_STREAM_FIN), 12);
	recv_wait(&w, p.sfd, 3000);
	CHECK_EQ(w.ret, 12);
	CHECK_EQ(quic_sendmsg(p.sfd, "yes", 3, 0, MSG_STREAM_FIN), 3);
	recv_wait(&w, p.cfd, 3000);
	CHECK_EQ(w.ret, 3);
	pair_close(&p);
}

/*
 * An Initial of 1200 bytes whose payload is random: at most a connection
 * whose handshake fails in bounded time (the listener allows 2 s idle),
 * never one that hangs.
 */
static void test_bogus_initial(const void *arg)
{
	struct quic_transport_param tp = { .max_idle_timeout = 2000000 };
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 } };
	uint8_t pkt[1200];
	struct pollfd pfd;
	struct pair p;
	uint16_t port;
	int ufd, lfd, fd, ret, err;
	double t0;

	(void)arg;
	REQUIRE_SYS(lfd = listener(AF_INET, &tp, 0, 3000, &port));
	REQUIRE_SYS(ufd = udp_to(AF_INET, port));
	long_packet(pkt, sizeof(pkt), 1, 0, 8, NULL, NULL);
	CHECK_EQ(send(ufd, pkt, sizeof(pkt), 0), (ssize_t)sizeof(pkt));
	pfd.fd = lfd;
	pfd.events = POLLIN;
	ret = poll(&pfd, 1, 1000);
	if (ret == 1) {
		/* readable; the kernel may still drop it at accept() */
		set_nonblock(lfd, 1);
		fd = accept(lfd, NULL, NULL);
		err = errno;
		if (fd < 0) {
			tap_diag("readable, then accept(): %s", strerror(err));
			CHECK(err == EAGAIN || err == ECONNABORTED);
		} else {
			/* a long SO_RCVTIMEO: the connection must end first */
			set_timeouts(fd, 20000);
			t0 = now_s();
			ret = handshake(fd, 1, &cfg.hs, NULL);
			tap_diag("accepted; server handshake %d (%s) after %.2f s",
				 ret, strerror(-ret), now_s() - t0);
			CHECK(ret < 0);
			CHECK(now_s() - t0 < 8);
			close(fd);
		}
	} else {
		tap_diag("nothing to accept");
		CHECK_EQ(ret, 0);
	}
	close(ufd);
	close(lfd);
	REQUIRE_PAIR(&p, &cfg);
	pair_close(&p);
}

/*
 * A client whose server never answers (a plain UDP socket eats the
 * Initials), with max_idle_timeout 2 s: its handshake ends by itself, not
 * by the 20 s SO_RCVTIMEO.
 */
static void test_idle_no_server(const void *arg)
{
	struct quic_transport_param tp = { .max_idle_timeout = 2000000 };
	struct addr a = mkaddr(AF_INET, NULL, 0);
	struct hs_cfg hs = { .psk = 1 };
	char buf[1500];
	int ufd, fd, ret, n = 0;
	double t0;

	(void)arg;
	REQUIRE_SYS(ufd = socket(AF_INET, SOCK_DGRAM, 0));
	REQUIRE_SYS(bind(ufd, &a.sa, a.len));
	REQUIRE_SYS(fd = client_socket(AF_INET, &tp, 20000,
				       local_port(ufd)));
	t0 = now_s();
	ret = handshake(fd, 0, &hs, NULL);
	while (recv(ufd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		n++;
	tap_diag("client handshake %d (%s) after %.2f s; %d datagrams sent",
		 ret, strerror(-ret), now_s() - t0, n);
	CHECK(ret < 0);
	CHECK(n >= 1);
	CHECK(now_s() - t0 < 8);
	close(fd);
	close(ufd);
}

/* An Initial of an unknown version gets a Version Negotiation packet. */
static void test_version_negotiation(const void *arg)
{
	uint8_t pkt[1200], dcid[8], scid[8], rsp[1500];
	struct pollfd pfd;
	uint16_t port;
	ssize_t n;
	int ufd, lfd, i, v1 = 0;

	(void)arg;
	REQUIRE_SYS(lfd = listener(AF_INET, NULL, 0, 3000, &port));
	REQUIRE_SYS(ufd = udp_to(AF_INET, port));
	long_packet(pkt, sizeof(pkt), 0x1a2a3a4a, 0, 8, dcid, scid);
	CHECK_EQ(send(ufd, pkt, sizeof(pkt), 0), (ssize_t)sizeof(pkt));
	pfd.fd = ufd;
	pfd.events = POLLIN;
	if (CHECK_EQ(poll(&pfd, 1, 2000), 1)) {
		n = recv(ufd, rsp, sizeof(rsp), 0);
		/* RFC 9000 section 17.2.1 */
		if (CHECK(n >= 7 + 8 + 8 + 4)) {
			CHECK(rsp[0] & 0x80);
			CHECK(!rsp[1] && !rsp[2] && !rsp[3] && !rsp[4]);
			CHECK_EQ(rsp[5], 8);
			CHECK(!memcmp(rsp + 6, scid, 8));
			CHECK_EQ(rsp[14], 8);
			CHECK(!memcmp(rsp + 15, dcid, 8));
			for (i = 23; i + 4 <= n; i += 4)
				if (!rsp[i] && !rsp[i + 1] && !rsp[i + 2] &&
				    rsp[i + 3] == 1)
					v1 = 1;
			CHECK(v1);
		}
	}
	close(ufd);
	close(lfd);
}

/* -------------------------------------------------------- poll, epoll */

static void test_poll_listener(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 } };
	struct cli_arg c = { .cfg = &cfg, .fd = -1 };
	struct pollfd pfd;
	pthread_t th;
	int lfd, sfd, ret;

	(void)arg;
	REQUIRE_SYS(lfd = listener(AF_INET, NULL, 0, 5000, &c.port));
	pfd.fd = lfd;
	pfd.events = POLLIN | POLLOUT;
	CHECK_EQ(poll(&pfd, 1, 0), 0);
	pthread_create(&th, NULL, cli_main, &c);
	pfd.events = POLLIN;
	CHECK_EQ(poll(&pfd, 1, 5000), 1);
	CHECK(pfd.revents & POLLIN);
	CHECK_SYS(set_nonblock(lfd, 1));
	if (CHECK_SYS(sfd = accept(lfd, NULL, NULL))) {
		set_timeouts(sfd, 10000);
		ret = handshake(sfd, 1, &cfg.hs, NULL);
		CHECK_EQ(ret, 0);
		pfd.events = POLLIN;
		CHECK_EQ(poll(&pfd, 1, 0), 0);	/* nothing more pending */
		CHECK_ERR(accept(lfd, NULL, NULL), EAGAIN);
	}
	pthread_join(th, NULL);
	CHECK_EQ(c.ret, 0);
	if (sfd >= 0)
		close(sfd);
	if (c.fd >= 0)
		close(c.fd);
	close(lfd);
}

static void test_epoll_conn(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET6, .hs = { .psk = 1 } };
	struct epoll_event ev = {}, out[4];
	char buf[64];
	uint32_t flags;
	int64_t sid;
	struct pair p;
	int ep, n;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	REQUIRE_SYS(ep = epoll_create1(0));
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
	ev.data.fd = p.cfd;
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, p.cfd, &ev));
	n = epoll_wait(ep, out, 4, 0);
	CHECK_EQ(n, 1);
	if (n == 1)
		CHECK_EQ(out[0].events, EPOLLOUT);
	/* nothing to read */
	flags = MSG_DONTWAIT;
	CHECK_ERR(quic_recvmsg(p.cfd, buf, sizeof(buf), &sid, &flags), EAGAIN);
	CHECK_SYS(set_nonblock(p.cfd, 1));
	flags = 0;
	CHECK_ERR(quic_recvmsg(p.cfd, buf, sizeof(buf), &sid, &flags), EAGAIN);
	CHECK_ERR(recv(p.cfd, buf, sizeof(buf), 0), EAGAIN);

	/* data arrives */
	ev.events = EPOLLIN | EPOLLRDHUP;
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_MOD, p.cfd, &ev));
	CHECK_EQ(quic_sendmsg(p.sfd, "wake up", 7, 1, MSG_STREAM_NEW), 7);
	n = epoll_wait(ep, out, 4, 3000);
	CHECK_EQ(n, 1);
	if (n == 1)
		CHECK_EQ(out[0].events, EPOLLIN);
	flags = 0;
	CHECK_EQ(quic_recvmsg(p.cfd, buf, sizeof(buf), &sid, &flags), 7);
	CHECK_EQ(sid, 1);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);	/* all read */

	/* edge-triggered: a second message is a second edge */
	ev.events = EPOLLIN | EPOLLET;
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_MOD, p.cfd, &ev));
	CHECK_EQ(quic_sendmsg(p.sfd, "again", 5, 1, 0), 5);
	CHECK_EQ(epoll_wait(ep, out, 4, 3000), 1);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
	CHECK_EQ(quic_sendmsg(p.sfd, "and again", 9, 1, 0), 9);
	CHECK_EQ(epoll_wait(ep, out, 4, 3000), 1);

	/* the peer closes: readable, hung up */
	ev.events = EPOLLIN | EPOLLRDHUP;
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_MOD, p.cfd, &ev));
	while (quic_recvmsg(p.cfd, buf, sizeof(buf), &sid, &flags) > 0)
		flags = 0;
	close(p.sfd);
	p.sfd = -1;
	n = epoll_wait(ep, out, 4, 3000);
	CHECK_EQ(n, 1);
	if (n == 1) {
		tap_diag("after the peer closed: events %#x", out[0].events);
		CHECK(out[0].events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR));
	}
	close(ep);
	pair_close(&p);
}

/*
 * A non-blocking sender held back by the peer's 16 KiB windows: send()
 * says EAGAIN, EPOLLOUT comes when the peer has read; a well-behaved
 * event loop is not woken for nothing over and over.
 */
static void test_epoll_nonblock_send(const void *arg)
{
	struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 },
			    .tp_s = &tp_small, .tmo_ms = 20000 };
	struct xfer r = { .size = 1 * MIB, .seed = 9, .sid = 0 };
	struct epoll_event ev = {}, out;
	static uint8_t buf[16 * 1024];
	uint64_t done = 0;
	unsigned int wakeups = 0, empty = 0, eagain = 0;
	uint32_t flags;
	pthread_t tr;
	struct pair p;
	double t0;
	ssize_t n;
	size_t len;
	int ep, err;

	(void)arg;
	REQUIRE_PAIR(&p, &cfg);
	REQUIRE_SYS(set_nonblock(p.cfd, 1));
	/* fill the window */
	while (done < 1 * MIB) {
		len = sizeof(buf);
		pat_fill(9, done, buf, len);
		flags = done ? 0 : MSG_STREAM_NEW;
		n = quic_sendmsg(p.cfd, buf, len, 0, flags);
		if (n < 0)
			break;
		done += (uint64_t)n;
	}
	err = errno;
	if (!CHECK(n == -1 && err == EAGAIN)) {
		tap_diag("send: %zd (%s)", n, strerror(err));
		goto out;
	}
	tap_diag("EAGAIN after %llu bytes", (unsigned long long)done);
	ep = epoll_create1(0);
	ev.events = EPOLLOUT;
	ev.data.fd = p.cfd;
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, p.cfd, &ev));
	/* the peer reads nothing yet: not writable (else a loop spins) */
	n = epoll_wait(ep, &out, 1, 300);
	if (!CHECK_EQ(n, 0)) {
		n = quic_sendmsg(p.cfd, buf, sizeof(buf), 0, 0);
		err = errno;
		tap_diag("EPOLLOUT (events %#x) while the peer's window is closed; send then: %zd (%s)",
			 out.events, n, n < 0 ? strerror(err) : "-");
		if (n > 0)
			done += (uint64_t)n;
	}
	r.fd = p.sfd;
	pthread_create(&tr, NULL, xfer_recv_main, &r);
	t0 = now_s();
	while (done < 1 * MIB && now_s() - t0 < 20) {
		if (epoll_wait(ep, &out, 1, 5000) != 1)
			break;
		wakeups++;
		len = (size_t)(1 * MIB - done < sizeof(buf) ? 1 * MIB - done
							     : sizeof(buf));
		pat_fill(9, done, buf, len);
		flags = done + len == 1 * MIB ? MSG_STREAM_FIN : 0;
		n = quic_sendmsg(p.cfd, buf, len, 0, flags);
		if (n < 0) {
			if (errno != EAGAIN)
				break;
			eagain++;
			if (++empty > 100000)
				break;
			continue;
		}
		done += (uint64_t)n;
		if ((size_t)n < len && (flags & MSG_STREAM_FIN)) {
			/* the FIN goes with the last byte only */
			continue;
		}
	}
	tap_diag("%u wakeups for %llu bytes; %u of them found no room (EAGAIN)",
		 wakeups, (unsigned long long)done, eagain);
	CHECK_EQ(done, 1 * MIB);
	if (done < 1 * MIB)
		shutdown(p.sfd, SHUT_RDWR);
	pthread_join(tr, NULL);
	CHECK_EQ(r.err, 0);
	CHECK_EQ(r.done, done);
	CHECK_EQ(r.bad_off, -1);
	/* spurious EPOLLOUT makes an event loop spin */
	if (!CHECK(eagain <= wakeups / 10 + 10))
		tap_diag("EPOLLOUT reported while send() had no room, %u times",
			 eagain);
	close(ep);
out:
	pair_close(&p);
}

/* quic_handshake() on non-blocking sockets: it polls. */
struct cli_nb {
	int	fd, ret;
};

static void *cli_nb_main(void *x)
{
	static const struct hs_cfg hs = { .psk = 1 };
	struct cli_nb *y = x;

	y->ret = handshake(y->fd, 0, &hs, NULL);
	return NULL;
}

static void test_nonblock_handshake(const void *arg)
{
	static const struct hs_cfg hs = { .psk = 1 };
	struct cli_nb c = { .fd = -1, .ret = -1 };
	struct pollfd pfd;
	struct addr a;
	pthread_t th;
	uint16_t port;
	int lfd, sfd = -1, sret = -1;

	(void)arg;
	REQUIRE_SYS(lfd = listener(AF_INET, NULL, 0, 5000, &port));
	a = mkaddr(AF_INET, NULL, port);
	c.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_QUIC);
	REQUIRE_SYS(c.fd);
	set_timeouts(c.fd, 5000);
	REQUIRE_SYS(connect(c.fd, &a.sa, a.len));
	pthread_create(&th, NULL, cli_nb_main, &c);
	pfd.fd = lfd;
	pfd.events = POLLIN;
	if (CHECK_EQ(poll(&pfd, 1, 5000), 1)) {
		if (CHECK_SYS(sfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK))) {
			set_timeouts(sfd, 5000);
			CHECK(fcntl(sfd, F_GETFL) & O_NONBLOCK);
			sret = handshake(sfd, 1, &hs, NULL);
		}
	}
	pthread_join(th, NULL);
	CHECK_EQ(c.ret, 0);
	CHECK_EQ(sret, 0);
	if (sfd >= 0)
		close(sfd);
	close(c.fd);
	close(lfd);
}

/* ------------------------------------ forged Initials (tests/forge.h) */

/*
 * Frames a client may not put in an Initial (RFC 9000 section 12.4,
 * table 3), each after a PING so that the packet also has an allowed
 * frame first: STREAM, HANDSHAKE_DONE, MAX_DATA, NEW_CONNECTION_ID.
 */
static const uint8_t violations[][8] = {
	{ 0x01, 0x08, 0x00 },
	{ 0x01, 0x1e },
	{ 0x01, 0x10, 0x01 },
	{ 0x01, 0x18, 0x01, 0x00, 0x00 },
};

#define FLOOD_SENDERS	4

struct flood {
	int		family;
	uint16_t	port;
	int		stop;		/* __atomic */
	uint32_t	round;		/* __atomic: the DCID in use */
	/* per sender */
	uint64_t	sent[FLOOD_SENDERS];
	uint64_t	closes[FLOOD_SENDERS];	/* answers: CONNECTION_CLOSE */
	int		err[FLOOD_SENDERS];
	/* the server */
	uint64_t	accepted, accept_calls;
};

static struct flood *flood_g;

static void flood_cid(uint32_t round, uint8_t tag, uint8_t *id)
{
	memset(id, 0, 8);
	id[0] = tag;
	memcpy(id + 4, &round, 4);
}

/* Is the datagram @p an Initial from the server, under the keys of the
 * DCID @dcid, that carries a CONNECTION_CLOSE (0x1c) for a protocol
 * violation (0x0a)?
 */
static bool flood_is_close(uint8_t *p, size_t n, const uint8_t *dcid)
{
	struct forge_keys sk;
	uint8_t pt[1500];
	size_t i;
	int len;

	if (forge_initial_keys(&sk, dcid, 8, 1))
		return false;
	len = forge_open_initial(&sk, p, n, pt, sizeof(pt));
	if (len < 0)
		return false;
	for (i = 0; i + 1 < (size_t)len; i++) {
		if (pt[i] == 0x00)
			continue;		/* PADDING */
		return pt[i] == 0x1c && pt[i + 1] == 0x0a;
	}
	return false;
}

/*
 * One hostile client port: the Initial of the current round, again and
 * again, as fast as the socket takes it; the answers are read between
 * sends and counted when they are closes.
 */
static void *flood_sender(void *arg)
{
	int id = (int)(intptr_t)arg;
	struct flood *fl = flood_g;
	uint8_t pkt[1300], rsp[1500], dcid[8], scid[8];
	uint32_t built = UINT32_MAX, r, prev = UINT32_MAX;
	struct forge_keys k;
	int fd, n = 0, pn = 0;
	ssize_t got;

	fd = udp_to(fl->family, fl->port);
	if (fd < 0 || set_nonblock(fd, 1)) {
		fl->err[id] = errno;
		return NULL;
	}
	while (!__atomic_load_n(&fl->stop, __ATOMIC_RELAXED)) {
		r = __atomic_load_n(&fl->round, __ATOMIC_RELAXED);
		if (r != built) {
			prev = built;
			flood_cid(r, 0xd0, dcid);
			flood_cid(r, 0x5c, scid);
			scid[1] = (uint8_t)id;
			if (forge_initial_keys(&k, dcid, 8, 0)) {
				fl->err[id] = EINVAL;
				break;
			}
			built = r;
		}
		n = forge_initial(&k, pkt, sizeof(pkt), dcid, 8, scid, 8,
				  (uint32_t)pn++,
				  violations[r % 4], sizeof(violations[0]),
				  1200);
		if (n < 0) {
			fl->err[id] = EINVAL;
			break;
		}
		if (send(fd, pkt, (size_t)n, 0) == n)
			fl->sent[id]++;
		while ((got = recv(fd, rsp, sizeof(rsp), 0)) > 0) {
			if (flood_is_close(rsp, (size_t)got, dcid))
				fl->closes[id]++;
			else if (prev != UINT32_MAX) {
				uint8_t pd[8];

				flood_cid(prev, 0xd0, pd);
				if (flood_is_close(rsp, (size_t)got, pd))
					fl->closes[id]++;
			}
		}
	}
	close(fd);
	return NULL;
}

/* The application: accept() in a loop; whatever comes out is closed. */
static void *flood_server(void *arg)
{
	int lfd = (int)(intptr_t)arg, fd;
	struct flood *fl = flood_g;

	while (!__atomic_load_n(&fl->stop, __ATOMIC_RELAXED)) {
		fl->accept_calls++;
		fd = accept(lfd, NULL, NULL);
		if (fd >= 0) {
			fl->accepted++;
			close(fd);
		}
	}
	return NULL;
}

/*
 * A forged Initial that opens and breaks no rule (PING only) makes a
 * connection that accept() hands out: the control that shows the forged
 * packets are right, so that the flood below is not merely dropped.
 */
static bool flood_control(int family, int lfd, uint16_t port)
{
	uint8_t pkt[1300], dcid[8], scid[8];
	const uint8_t ping[] = { 0x01 };
	struct forge_keys k;
	int ufd, fd, n;
	bool ok = false;

	flood_cid(0xffffffff, 0xc0, dcid);
	flood_cid(0xffffffff, 0xc1, scid);
	ufd = udp_to(family, port);
	if (ufd < 0 || forge_initial_keys(&k, dcid, 8, 0))
		goto out;
	n = forge_initial(&k, pkt, sizeof(pkt), dcid, 8, scid, 8, 0, ping,
			  sizeof(ping), 1200);
	if (n < 0 || send(ufd, pkt, (size_t)n, 0) != n)
		goto out;
	fd = accept(lfd, NULL, NULL);
	if (fd >= 0) {
		ok = true;
		close(fd);
	} else {
		tap_diag("control: accept(): %s", strerror(errno));
	}
out:
	if (ufd >= 0)
		close(ufd);
	return ok;
}

/* Slab: in /proc/meminfo, in KiB; -1 when it cannot be read */
static long slab_kib(void)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

/*
 * Issue 7: protocol-violating Initials (valid under the Initial keys
 * anyone derives) from several source ports with one DCID, round after
 * round, against a server looping on accept().  Each request fails in
 * accept() and its connection is torn down while more datagrams for the
 * same DCID arrive and reach it through its connection IDs; the old code
 * answered them from state its teardown was freeing and panicked in
 * softirq.  Afterwards: no connection was ever handed out, the violations
 * were answered with CONNECTION_CLOSE, and a real client connects.
 */
static void test_initial_violation_flood(const void *arg)
{
	struct quic_transport_param tp = { .max_idle_timeout = 2000000 };
	struct pcfg cfg = { .family = arg ? AF_INET6 : AF_INET,
			    .hs = { .psk = 1 } };
	const char *env = getenv("QUIC_FLOOD_SECS");
	double secs = env ? atof(env) : 30, t0;
	pthread_t snd[FLOOD_SENDERS], srv;
	uint64_t sent = 0, closes = 0;
	struct flood fl = { .family = cfg.family };
	struct pair p;
	int lfd, i, started = 0;
	long slab0, slab1;

	flood_g = &fl;
	REQUIRE_SYS(lfd = listener(cfg.family, &tp, 128, 200, &fl.port));
	set_timeouts(lfd, 2000);
	CHECK(flood_control(cfg.family, lfd, fl.port));
	set_timeouts(lfd, 100);
	slab0 = slab_kib();

	if (CHECK_EQ(pthread_create(&srv, NULL, flood_server,
				    (void *)(intptr_t)lfd), 0))
		started = 1;
	for (i = 0; i < FLOOD_SENDERS; i++)
		CHECK_EQ(pthread_create(&snd[i], NULL, flood_sender,
					(void *)(intptr_t)i), 0);
	t0 = now_s();
	while (now_s() - t0 < secs) {
		msleep(5);
		__atomic_add_fetch(&fl.round, 1, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&fl.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < FLOOD_SENDERS; i++) {
		pthread_join(snd[i], NULL);
		CHECK_EQ(fl.err[i], 0);
		sent += fl.sent[i];
		closes += fl.closes[i];
	}
	if (started)
		pthread_join(srv, NULL);
	tap_diag("%.1f s: %u rounds, %llu forged Initials from %d ports, %llu CONNECTION_CLOSE answers, %llu accept() calls, %llu accepted",
		 now_s() - t0, fl.round, (unsigned long long)sent,
		 FLOOD_SENDERS, (unsigned long long)closes,
		 (unsigned long long)fl.accept_calls,
		 (unsigned long long)fl.accepted);
	CHECK(sent > fl.round);
	/* the violations were opened and answered, never handed out */
	CHECK(closes > 0);
	CHECK_EQ(fl.accepted, 0);
	close(lfd);

	/* nothing of the thousands of torn-down connections stays: one
	 * leaked socket per request alone would be over 30 MiB
	 */
	msleep(2000);
	slab1 = slab_kib();
	tap_diag("slab: %ld KiB before the flood, %ld KiB after", slab0, slab1);
	CHECK(slab0 > 0 && slab1 > 0);
	CHECK(slab1 - slab0 < 16 * 1024);

	/* the machine is alive and a real client still gets in */
	REQUIRE_PAIR(&p, &cfg);
	pair_transfer(&p, 64 * 1024, 1, 0);
	pair_close(&p);
}

/* ====================================================== the test list */

struct ctest {
	const char	*name;
	const char	*desc;
	void		(*fn)(const void *arg);
	const void	*arg;
	int		timeout;	/* seconds */
};

static struct xfer_case xcases[18];

static const struct bad_case bad_psk = {
	.hs = { .libquic = 1, .psk = 1, .wrong_psk = 1 },
	.srv_err = EKEYREJECTED,
};
static const struct bad_case bad_host = {
	.hs = { .libquic = 1, .host = "not-localhost.example" },
	.cli_err = EKEYREJECTED,
};
static const struct bad_case bad_ca = {
	.hs = { .libquic = 1, .rogue = 1 },
	.cli_err = EKEYREJECTED,
};

static struct ctest *tests;
static int ntests;

static void add(const char *name, const char *desc,
		void (*fn)(const void *), const void *arg, int timeout)
{
	tests = realloc(tests, sizeof(*tests) * (size_t)(ntests + 1));
	if (!tests)
		exit(1);
	tests[ntests++] = (struct ctest){ name, desc, fn, arg, timeout };
}

static void build_list(void)
{
	static const struct {
		const char *name, *gname;
		int gtls;
	} ciphers[] = {
		{ "aes128gcm", "AES-128-GCM", GNUTLS_CIPHER_AES_128_GCM },
		{ "aes256gcm", "AES-256-GCM", GNUTLS_CIPHER_AES_256_GCM },
		{ "aes128ccm", "AES-128-CCM", GNUTLS_CIPHER_AES_128_CCM },
		{ "chacha20", "CHACHA20-POLY1305",
		  GNUTLS_CIPHER_CHACHA20_POLY1305 },
	};
	static char names[16][64], descs[16][160];
	int f, c, k, i = 0;

	add("appendix_a", "Appendix A sample: streams 0 and 2 interleaved with FIN, answer on stream 1 with FIN and MSG_EOR",
	    test_appendix_a, NULL, 60);
	add("recv_partial", "a message read in 30-byte pieces: MSG_EOR and FIN only with the last byte",
	    test_recv_partial, NULL, 60);

	for (f = 0; f < 2; f++)
		for (c = 0; c < 4; c++)
			for (k = 0; k < 2; k++) {
				/*
				 * GnuTLS binds external PSKs to SHA-256, and
				 * TLS_AES_256_GCM_SHA384 needs a SHA-384 one:
				 * no such handshake exists (a TLS rule)
				 */
				if (k && ciphers[c].gtls ==
					 GNUTLS_CIPHER_AES_256_GCM)
					continue;
				snprintf(names[i], sizeof(names[i]),
					 "xfer_1m_%s_%s_%s", f ? "v6" : "v4",
					 ciphers[c].name, k ? "psk" : "cert");
				snprintf(descs[i], sizeof(descs[i]),
					 "1 MiB each way at once, %s, %s, %s: SHA-256 matches",
					 f ? "IPv6" : "IPv4", ciphers[c].gname,
					 k ? "PSK" : "X.509");
				xcases[i] = (struct xfer_case){
					f ? AF_INET6 : AF_INET, ciphers[c].gname,
					ciphers[c].gtls, k, 1 * MIB, 1, 1 };
				add(names[i], descs[i], test_transfer,
				    &xcases[i], 90);
				i++;
			}
	xcases[16] = (struct xfer_case){ AF_INET, "AES-128-GCM",
		GNUTLS_CIPHER_AES_128_GCM, 0, 64 * MIB, 1, 0 };
	add("xfer_64m_v4_aes128gcm_cert", "64 MiB client->server, IPv4, AES-128-GCM, X.509: SHA-256 matches",
	    test_transfer, &xcases[16], 240);
	xcases[17] = (struct xfer_case){ AF_INET6, "CHACHA20-POLY1305",
		GNUTLS_CIPHER_CHACHA20_POLY1305, 1, 64 * MIB, 0, 0 };
	add("xfer_64m_v6_chacha20_psk", "64 MiB server->client, IPv6, ChaCha20-Poly1305, PSK: SHA-256 matches",
	    test_transfer, &xcases[17], 240);

	add("small_writes", "16 MiB each way at once in 1 KiB writes and reads (coalesced into full packets): SHA-256 matches",
	    test_small_writes, NULL, 240);
	add("small_writes_nodelay", "2 MiB each way in 1 KiB writes with config.stream_data_nodelay (a packet a write): SHA-256 matches",
	    test_small_writes, "nodelay", 240);

	add("streams_100", "100 client bidi streams open at once, written in halves, echoed by the server on each",
	    test_streams_100, NULL, 90);
	add("streams_credit", "250 client bidi streams one after another (limit 100): MAX_STREAMS lets them all through",
	    test_streams_credit, NULL, 120);
	add("streams_server", "20 server-initiated bidi streams, echoed by the client",
	    test_streams_server, NULL, 60);
	add("streams_uni", "unidirectional streams both ways; the receiving side cannot send on them",
	    test_streams_uni, NULL, 60);
	add("flow_control", "1 MiB each way through 16 KiB max_data/max_stream_data windows",
	    test_flow_control, NULL, 120);
	add("flow_control_slow_reader", "a reader that waits: the sender stops at the 16 KiB window, then completes",
	    test_flow_control_slow_reader, NULL, 90);

	add("close_event", "close() sends CONNECTION_CLOSE: the peer reads QUIC_EVENT_CONNECTION_CLOSE with the error code and phrase set, then the end",
	    test_close_event, NULL, 60);
	add("closing_state", "close(): the socket stays closing and answers the peer's next packet with CONNECTION_CLOSE when the first was lost (RFC 9000 10.2.1)",
	    test_closing_state, NULL, 60);
	add("draining_state", "after the peer's CONNECTION_CLOSE nothing more is sent, not even on close() (RFC 9000 10.2.2)",
	    test_draining_state, NULL, 60);
	add("early_packets", "a Handshake packet that arrives before the Initial that yields its keys is kept and used: the handshake completes though the server's later Handshake packets are lost for 3 s (RFC 9001 5.7)",
	    test_early_packets, NULL, 60);
	add("close_peer_recv", "close(): the peer's blocked recvmsg() returns promptly",
	    test_close_peer_recv, NULL, 60);
	add("close_in_handshake_client", "the client closes after its ClientHello: the server's handshake fails promptly with ECONNRESET",
	    test_close_in_handshake_client, NULL, 60);
	add("close_in_handshake_server", "the server closes the accepted socket: the client's handshake fails promptly",
	    test_close_in_handshake_server, NULL, 60);
	add("close_states", "close() unbound, bound, listening (with a pending connection), connected, established, after the peer, with data in flight; ports freed",
	    test_close_states, NULL, 90);
	add("idle_timeout", "max_idle_timeout 1.5 s on both sides and silence: both recvmsg() end with ETIMEDOUT or 0 in time",
	    test_idle_timeout, NULL, 60);
	add("idle_traffic", "traffic every 0.5 s keeps a 1.5 s idle timeout from firing",
	    test_idle_traffic, NULL, 60);

	add("keepalive", "keepalive_probe_interval 0.4 s: PINGs keep a 1.5 s idle timeout from firing through 4 s of silence",
	    test_keepalive, NULL, 60);

	add("bad_psk", "wrong PSK: both handshakes fail promptly, the server with EKEYREJECTED",
	    test_bad_credentials, &bad_psk, 60);
	add("bad_hostname", "certificate for another name: both handshakes fail promptly, the client with EKEYREJECTED",
	    test_bad_credentials, &bad_host, 60);
	add("bad_ca", "certificate of an untrusted CA: both handshakes fail promptly, the client with EKEYREJECTED",
	    test_bad_credentials, &bad_ca, 60);
	add("garbage_v4", "8 kinds of bad datagrams (random, truncated, bad lengths), 50 each, to an IPv4 listener and a connection: dropped, nothing to accept, both still work",
	    test_garbage_listener, NULL, 60);
	add("garbage_v6", "8 kinds of bad datagrams (random, truncated, bad lengths), 50 each, to an IPv6 listener and a connection: dropped, nothing to accept, both still work",
	    test_garbage_listener, "v6", 60);
	add("bogus_initial", "a 1200-byte Initial with a random payload: no connection that hangs; the listener still works",
	    test_bogus_initial, NULL, 60);
	add("idle_no_server", "a server that never answers, max_idle_timeout 2 s: the client's handshake ends by itself in time",
	    test_idle_no_server, NULL, 60);
	add("initial_violation_flood", "protocol-violating forged Initials from 4 ports with one DCID per round against an accept() loop: no crash, each answered with CONNECTION_CLOSE, none accepted; a real client then connects",
	    test_initial_violation_flood, NULL, 120);
	add("initial_violation_flood_v6", "the same over IPv6",
	    test_initial_violation_flood, "v6", 120);
	add("version_negotiation", "an Initial of an unknown version: a Version Negotiation packet listing version 1",
	    test_version_negotiation, NULL, 30);

	add("poll_listener", "poll: a listener is readable when a connection is pending, not before or after",
	    test_poll_listener, NULL, 60);
	add("epoll_conn", "epoll: EPOLLOUT when connected, EPOLLIN when data arrives (also edge-triggered), EAGAIN when none, HUP after the peer closed",
	    test_epoll_conn, NULL, 60);
	add("epoll_nonblock_send", "non-blocking sender held by flow control: EAGAIN, no EPOLLOUT while the peer reads nothing, then EPOLLOUT as it reads, without spurious wakeups",
	    test_epoll_nonblock_send, NULL, 90);
	add("nonblock_handshake", "handshakes on non-blocking sockets (accept4 SOCK_NONBLOCK)",
	    test_nonblock_handshake, NULL, 60);

	/* last: a kernel that crashes here does not take the rest along */
	add("shutdown_recv", "shutdown(SHUT_RDWR) unblocks a recvmsg() blocked in another thread",
	    test_shutdown_recv, NULL, 60);
	add("shutdown_send", "shutdown(SHUT_RDWR) unblocks a sendmsg() blocked by flow control",
	    test_shutdown_send, NULL, 60);
	add("shutdown_accept", "shutdown(SHUT_RDWR) unblocks an accept() blocked in another thread",
	    test_shutdown_accept, NULL, 60);
}

/* ============================================ running a test isolated */

struct child_report {
	int	checks;
	int	failures;
	int	skipped;
	char	skip[120];
};

static const struct ctest *cur;

static void run_current(void)
{
	const struct ctest *t = cur;
	struct child_report rep = {};
	double t0 = now_s(), left;
	int pfd[2], status = 0, got = 0;
	struct pollfd pp;
	pid_t pid, w;
	ssize_t n;

	if (!setup_ok) {
		tap_skip("no certificates");
		tap_check(false, "setup", __FILE__, __LINE__, 0,
			  "making the certificates and keys failed");
		return;
	}
	if (pipe(pfd)) {
		CHECK_SYS(-1);
		return;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		CHECK_SYS(pid);
		return;
	}
	if (!pid) {
		close(pfd[0]);
		tap_st.checks = 0;
		tap_st.check_failures = 0;
		tap_st.skip = NULL;
		t->fn(t->arg);
		rep.checks = tap_st.checks;
		rep.failures = tap_st.check_failures;
		if (tap_st.skip) {
			rep.skipped = 1;
			snprintf(rep.skip, sizeof(rep.skip), "%s", tap_st.skip);
		}
		fflush(stdout);
		if (write(pfd[1], &rep, sizeof(rep)) != sizeof(rep))
			_exit(2);
		_exit(0);
	}
	close(pfd[1]);
	pp.fd = pfd[0];
	pp.events = POLLIN;
	for (;;) {
		left = t->timeout - (now_s() - t0);
		if (left <= 0)
			break;
		if (poll(&pp, 1, (int)(left * 1000) + 1) < 0 && errno == EINTR)
			continue;
		n = read(pfd[0], &rep, sizeof(rep));
		if (n < 0 && errno == EINTR)
			continue;
		got = n == sizeof(rep);
		break;
	}
	if (!got && now_s() - t0 >= t->timeout) {
		tap_diag("%s: timed out after %d s: killed", t->name,
			 t->timeout);
		kill(pid, SIGKILL);
	}
	close(pfd[0]);
	/* a child stuck in the kernel may not die: wait a little only */
	for (int i = 0; i < 100; i++) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		msleep(50);
		if (i == 99)
			tap_diag("%s: the child %d does not exit (stuck in the kernel?)",
				 t->name, pid);
	}
	if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
		tap_diag("%s: the child died of signal %d", t->name,
			 WTERMSIG(status));
	tap_st.checks += rep.checks;
	tap_st.check_failures += rep.failures;
	if (!got) {
		tap_check(false, "the test finished", __FILE__, __LINE__, 0,
			  "timed out or crashed");
	} else if (rep.skipped) {
		static char skip[120];

		memcpy(skip, rep.skip, sizeof(skip));
		tap_skip(skip);
	}
	tap_diag("time %s %.2f s", t->name, now_s() - t0);
}

/* ================================================= --transfer mode */

static int cong_algo = QUIC_CONG_ALG_RENO;	/* --cong */

/* the configuration of --cong, before listen() or connect() */
static int set_cong(int fd)
{
	struct quic_config c = {}, got = {};
	socklen_t len = sizeof(got);

	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &c, &len))
		return -1;
	c.congestion_control_algo = (uint8_t)cong_algo;
	if (setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &c, sizeof(c)))
		return -1;
	len = sizeof(got);
	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, &got, &len) ||
	    got.congestion_control_algo != cong_algo) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static int transfer_main(int server, const char *ip, int port,
			 uint64_t size, int up, int tmo)
{
	struct hs_cfg hs = { .psk = 1, .cipher = "AES-128-GCM" };
	int family = strchr(ip, ':') ? AF_INET6 : AF_INET;
	struct addr a = mkaddr(family, ip, (uint16_t)port);
	struct xfer x = { .size = size, .seed = 77, .sid = 0 };
	char ack[8], hs_hex[65];
	uint32_t flags = 0;
	int64_t sid = -1;
	int fd, lfd = -1, ret, sender = server ? !up : up;
	double t0;
	ssize_t r;

	alarm((unsigned int)tmo + 30);
	if (setup_creds_psk())
		return 2;
	if (server) {
		lfd = socket(family, SOCK_DGRAM, IPPROTO_QUIC);
		if (lfd < 0 || set_cong(lfd) || bind(lfd, &a.sa, a.len) ||
		    listen(lfd, 4)) {
			perror("server: listen");
			return 2;
		}
		set_timeouts(lfd, tmo * 1000);
		printf("# server: listening on %s port %d\n", ip, port);
		fflush(stdout);
		fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			perror("server: accept");
			return 1;
		}
	} else {
		fd = socket(family, SOCK_DGRAM, IPPROTO_QUIC);
		if (fd < 0 || set_cong(fd) || connect(fd, &a.sa, a.len)) {
			perror("client: connect");
			return 2;
		}
	}
	set_timeouts(fd, tmo * 1000);
	t0 = now_s();
	ret = handshake(fd, server, &hs, NULL);
	if (ret) {
		printf("# %s: handshake failed: %d (%s) after %.2f s\n",
		       server ? "server" : "client", ret, strerror(-ret),
		       now_s() - t0);
		return 1;
	}
	printf("# %s: handshake took %.2f s\n", server ? "server" : "client",
	       now_s() - t0);
	fflush(stdout);

	x.fd = fd;
	if (!server && !up) {
		/* ask for the data: open stream 0 */
		if (quic_sendmsg(fd, "get", 3, 0, MSG_STREAM_NEW) != 3) {
			perror("client: request");
			return 1;
		}
	}
	if (server && !up) {
		r = quic_recvmsg(fd, ack, sizeof(ack), &sid, &flags);
		if (r != 3 || sid != 0) {
			printf("# server: no request: %zd (%s)\n", r,
			       r < 0 ? strerror(errno) : "-");
			return 1;
		}
	}
	if (sender) {
		x.open_flags = server ? 0 : MSG_STREAM_NEW;
		xfer_send_main(&x);
		if (x.err) {
			printf("# %s: sending stopped at %llu: %s\n",
			       server ? "server" : "client",
			       (unsigned long long)x.done,
			       x.err > 0 ? strerror(x.err) : "end");
			return 1;
		}
		/* the receiver's word that all arrived, then close */
		flags = 0;
		r = quic_recvmsg(fd, ack, sizeof(ack), &sid, &flags);
		if (r != 2 || memcmp(ack, "ok", 2)) {
			printf("# %s: no acknowledgment: %zd (%s)\n",
			       server ? "server" : "client", r,
			       r < 0 ? strerror(errno) : "-");
			return 1;
		}
		hex(x.hash, 32, hs_hex);
		printf("# %s: sent %llu bytes in %.2f s (%.2f Mbit/s), sha256 %s\n",
		       server ? "server" : "client", (unsigned long long)x.done,
		       x.secs, (double)x.done * 8 / x.secs / 1e6, hs_hex);
	} else {
		xfer_recv_main(&x);
		hex(x.hash, 32, hs_hex);
		if (x.err || x.done != size || !x.fin || x.bad_off >= 0) {
			printf("# %s: received %llu of %llu bytes, fin %d, first bad byte %lld: %s\n",
			       server ? "server" : "client",
			       (unsigned long long)x.done,
			       (unsigned long long)size, x.fin,
			       (long long)x.bad_off,
			       x.err > 0 ? strerror(x.err) :
			       x.err ? "connection ended" : "-");
			return 1;
		}
		printf("# %s: received %llu bytes in %.2f s (%.2f Mbit/s), sha256 %s\n",
		       server ? "server" : "client", (unsigned long long)x.done,
		       x.secs, (double)x.done * 8 / x.secs / 1e6, hs_hex);
		if (quic_sendmsg(fd, "ok", 2, 0, MSG_STREAM_FIN) != 2) {
			perror("ack");
			return 1;
		}
		/* let the acknowledgment reach the sender, which closes */
		flags = 0;
		quic_recvmsg(fd, ack, sizeof(ack), &sid, &flags);
	}
	fflush(stdout);
	close(fd);
	if (lfd >= 0)
		close(lfd);
	return 0;
}

/* ================================================================ main */

static void usage(const char *p)
{
	fprintf(stderr,
		"usage: %s [-v] [-l] [-t GLOB]...\n"
		"       %s --transfer server|client --addr IP --port N --size BYTES --dir up|down [--timeout SECS] [--cong reno|cubic]\n",
		p, p);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "transfer", required_argument, NULL, 'T' },
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "size", required_argument, NULL, 's' },
		{ "dir", required_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 'o' },
		{ "cong", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *globs[64], *role = NULL, *ip = NULL, *dirn = "up";
	int nglobs = 0, list = 0, port = 0, tmo = 120, opt, i, j, n, status;
	uint64_t size = 4 * MIB;
	struct ctest *sel;

	signal(SIGPIPE, SIG_IGN);
	while ((opt = getopt_long(argc, argv, "vlt:", lopts, NULL)) != -1) {
		switch (opt) {
		case 'v':
			verbose = 1;
			break;
		case 'l':
			list = 1;
			break;
		case 't':
			if (nglobs < 64)
				globs[nglobs++] = optarg;
			break;
		case 'T':
			role = optarg;
			break;
		case 'a':
			ip = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 's':
			size = strtoull(optarg, NULL, 0);
			break;
		case 'd':
			dirn = optarg;
			break;
		case 'o':
			tmo = atoi(optarg);
			break;
		case 'c':
			if (!strcmp(optarg, "cubic")) {
				cong_algo = QUIC_CONG_ALG_CUBIC;
			} else if (strcmp(optarg, "reno")) {
				usage(argv[0]);
				return 2;
			}
			break;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (verbose || getenv("QUIC_TEST_VERBOSE")) {
		quic_set_log_func(log_stderr);
		quic_set_log_level(7);
	}
	if (role) {
		if (!ip || !port || (strcmp(role, "server") &&
				     strcmp(role, "client"))) {
			usage(argv[0]);
			return 2;
		}
		setvbuf(stdout, NULL, _IOLBF, 0);
		return transfer_main(!strcmp(role, "server"), ip, port, size,
				     !strcmp(dirn, "up"), tmo);
	}

	build_list();
	sel = calloc((size_t)ntests, sizeof(*sel));
	if (!sel)
		return 1;
	for (i = n = 0; i < ntests; i++) {
		for (j = 0; j < nglobs; j++)
			if (!fnmatch(globs[j], tests[i].name, 0))
				break;
		if (!nglobs || j < nglobs)
			sel[n++] = tests[i];
	}
	if (list) {
		for (i = 0; i < n; i++)
			printf("%-30s %3d s  %s\n", sel[i].name, sel[i].timeout,
			       sel[i].desc);
		return 0;
	}

	setup_ok = !setup_files();
	tap_plan(n);
	if (!setup_ok)
		tap_diag("making certificates and keys in %s failed", dir);
	for (i = 0; i < n; i++) {
		char desc[300];

		cur = &sel[i];
		snprintf(desc, sizeof(desc), "%s: %s", sel[i].name,
			 sel[i].desc);
		tap_run(run_current, desc);
	}
	status = tap_finish();
	remove_dir();
	return status;
}
