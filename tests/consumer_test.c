// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * consumer_test - QUIC handshakes for in-kernel consumers: the kernel's
 * net/handshake upcall served by handshake/quic-handshaked, driven
 * through the test module quic_consumer_test.ko (tests/kmod/
 * quic_consumer.c) and its control file in debugfs.
 *
 * The setup puts the test certificates, keys and PSKs in the kernel
 * keyring ("user" keys in keyrings of ours linked into the user keyring,
 * readable by every process of our uid, the daemon too), writes a
 * daemon configuration whose trust store is the test CA, starts the
 * daemon (-s, its log in the credentials directory) and loads the
 * module.  The tests: kernel clients against libquic servers and libquic
 * clients against kernel servers, X.509 and PSK, IPv4 and IPv6, data
 * checked on several streams; a wrong certificate or PSK; a peer that
 * never answers (the daemon's timeout, then a new request served);
 * 20 concurrent kernel handshakes; the daemon killed mid-handshake and
 * restarted; the handshake latency seen by the consumer (request to
 * ta_done, median of 100, X.509 and PSK); TCP and kTLS; the control
 * file's errors; and last, unloading the module with requests pending:
 * nothing left (QUIC sockets, module references, keys).
 *
 * Run as root in a guest with quic.ko loaded, from the top of the tree
 * (tests/consumer_test.sh does, and checks first that the kernel has
 * net/handshake).  The module is $QUIC_TEST_KMOD_DIR/quic_consumer_test.ko
 * (default build/$(uname -r)/), the daemon $QUIC_HANDSHAKED (default
 * handshake/quic-handshaked).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/keyctl.h>
#include <linux/netlink.h>
#include <netinet/quic.h>
#include <gnutls/gnutls.h>

#include "lib/testlib.h"

#define CTL		"/sys/kernel/debug/quic_consumer/ctl"
#define QUIC_SOCKS	"/sys/kernel/debug/quic/sockets"
#define MODNAME		"quic_consumer_test"
#define C_ALPN		"consumer-test"
#define KEY_POS_ALL	0x3f000000
#define KEY_USR_ALL	0x003f0000
#define MAX_CONNS	128
#define LAT_N		100

/* net/handshake's generic netlink numbers (uapi linux/handshake.h, 6.5+) */
#define HS_CMD_READY			1
#define HS_CMD_ACCEPT			2
#define HS_CMD_DONE			3
#define HS_A_ACCEPT_SOCKFD		1
#define HS_A_ACCEPT_HANDLER_CLASS	2
#define HS_A_ACCEPT_TIMEOUT		4
#define HS_A_DONE_STATUS		1
#define HS_HANDLER_CLASS_TLSHD		1

/* what the tests share with the runner and with each other: the runner
 * forks a child per test, so in memory every process sees
 */
struct shared {
	pid_t		daemon;
	int32_t		ring, ring_wrong;
	int32_t		cert, key, rogue_cert, rogue_key, psk, psk_wrong;
	long		quic_refs;	/* /sys/module/quic/refcnt at start */
	char		top[1024];
	char		log[300], conf[300];
	char		ko[PATH_MAX], daemon_path[PATH_MAX];
};
static struct shared *sh;

/* ============================================================ helpers */

static unsigned int next_id(void)
{
	static unsigned int n;

	return (unsigned int)getpid() * 1000u + n++;
}

static const char *loopback(int family)
{
	return family == AF_INET6 ? "::1" : "127.0.0.1";
}

/* the whole file, NUL-terminated, in a malloc()ed buffer; NULL on error */
static char *slurp(const char *path, size_t *lenp)
{
	size_t len = 0, cap = 8192;
	char *buf = malloc(cap);
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			char *p = realloc(buf, cap * 2);

			if (!p)
				break;
			buf = p;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = 0;
	if (lenp)
		*lenp = len;
	return buf;
}

/* --------------------------------------------------------------- keys */

static int32_t key_add(const char *type, const char *desc, const void *p,
		       size_t n, int32_t ring)
{
	long id = syscall(SYS_add_key, type, desc, p, n, ring);

	if (id < 0)
		return -1;
	/* the daemon, another process of our uid, reads it by serial */
	if (syscall(SYS_keyctl, KEYCTL_SETPERM, id,
		    KEY_POS_ALL | KEY_USR_ALL) < 0)
		return -1;
	return (int32_t)id;
}

static int32_t key_from_file(const char *desc, const char *path,
			     int32_t ring)
{
	size_t len;
	char *buf = slurp(path, &len);
	int32_t id;

	if (!buf)
		return -1;
	id = key_add("user", desc, buf, len, ring);
	free(buf);
	return id;
}

static int32_t key_psk(const char *hexkey, int32_t ring)
{
	uint8_t k[64];
	size_t i, n = strlen(hexkey) / 2;

	for (i = 0; i < n && i < sizeof(k); i++) {
		unsigned int b;

		if (sscanf(hexkey + 2 * i, "%2x", &b) != 1)
			return -1;
		k[i] = (uint8_t)b;
	}
	/* the identity is the description */
	return key_add("user", "alice", k, i, ring);
}

static int keys_setup(void)
{
	sh->ring = key_add("keyring", "quic-consumer-test", NULL, 0,
			   KEY_SPEC_USER_KEYRING);
	/* another "alice", with the wrong key: another keyring */
	sh->ring_wrong = key_add("keyring", "quic-consumer-test-wrong", NULL,
				 0, KEY_SPEC_USER_KEYRING);
	if (sh->ring < 0 || sh->ring_wrong < 0)
		return -1;
	sh->cert = key_from_file("consumer-test:cert", creds.srv_cert,
				 sh->ring);
	sh->key = key_from_file("consumer-test:key", creds.srv_key, sh->ring);
	sh->rogue_cert = key_from_file("consumer-test:rogue-cert",
				       creds.rogue_cert, sh->ring);
	sh->rogue_key = key_from_file("consumer-test:rogue-key",
				      creds.rogue_key, sh->ring);
	sh->psk = key_psk(psk_hex, sh->ring);
	sh->psk_wrong = key_psk(psk_hex_wrong, sh->ring_wrong);
	return sh->cert < 0 || sh->key < 0 || sh->rogue_cert < 0 ||
	       sh->rogue_key < 0 || sh->psk < 0 || sh->psk_wrong < 0 ? -1 : 0;
}

/* unlink our keyrings and invalidate every key: they go at once */
static void keys_remove(void)
{
	int32_t ids[] = { sh->cert, sh->key, sh->rogue_cert, sh->rogue_key,
			  sh->psk, sh->psk_wrong, sh->ring, sh->ring_wrong };
	size_t i;

	for (i = 6; i < 8; i++)
		if (ids[i] > 0)
			syscall(SYS_keyctl, KEYCTL_UNLINK, ids[i],
				KEY_SPEC_USER_KEYRING);
	for (i = 0; i < 8; i++)
		if (ids[i] > 0)
			syscall(SYS_keyctl, KEYCTL_INVALIDATE, ids[i]);
}

/* how many of our keys /proc/keys still lists (a line each, its
 * serial in hex first)
 */
static int keys_left(void)
{
	int32_t ids[] = { sh->cert, sh->key, sh->rogue_cert, sh->rogue_key,
			  sh->psk, sh->psk_wrong, sh->ring, sh->ring_wrong };
	char *all = slurp("/proc/keys", NULL), *line, *p;
	unsigned long serial;
	int n = 0;
	size_t i;

	if (!all)
		return -1;
	p = all;
	while ((line = strsep(&p, "\n"))) {
		if (!*line)
			continue;
		serial = strtoul(line, NULL, 16);
		for (i = 0; i < 8; i++)
			n += ids[i] > 0 && serial == (unsigned long)ids[i];
	}
	free(all);
	return n;
}

/* ------------------------------------------------------------- daemon */

static int count_ready(void)
{
	char *log = slurp(sh->log, NULL), *p;
	int n = 0;

	if (!log)
		return 0;
	/* "quic-handshaked[PID]: info: ready: serving ..." */
	for (p = log; (p = strstr(p, ": ready")); p += 7)
		n++;
	free(log);
	return n;
}

static void daemon_log_diag(void)
{
	char *log = slurp(sh->log, NULL), *p, *line;
	size_t len;

	if (!log)
		return;
	len = strlen(log);
	p = len > 1500 ? log + len - 1500 : log;
	tap_diag("the daemon's log, last lines:");
	while ((line = strsep(&p, "\n")))
		if (*line)
			tap_diag("  %s", line);
	free(log);
}

/* start the daemon; 0 once it says it is ready, -1 if it does not */
static int daemon_start(void)
{
	int before = count_ready(), fd, i;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		fd = open(sh->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			  0600);
		if (fd < 0)
			_exit(127);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(sh->daemon_path, sh->daemon_path, "-s", "-c", sh->conf,
		      (char *)NULL);
		_exit(127);
	}
	sh->daemon = pid;
	for (i = 0; i < 300; i++) {
		if (count_ready() > before)
			return 0;
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			sh->daemon = 0;
			return -1;
		}
		msleep(50);
	}
	return -1;
}

/* whether @pid is gone (or a zombie nobody reaps yet) */
static bool pid_gone(pid_t pid)
{
	char path[64], *st;
	bool gone;

	if (waitpid(pid, NULL, WNOHANG) == pid)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	st = slurp(path, NULL);
	if (!st)
		return true;
	gone = strstr(st, ") Z ") != NULL;
	free(st);
	return gone;
}

/* signal the daemon and wait (up to 10 s) for it to end; 0 if it did */
static int daemon_stop(int sig)
{
	pid_t pid = sh->daemon;
	int i;

	if (pid <= 0)
		return 0;
	kill(pid, sig);
	for (i = 0; i < 200; i++) {
		if (pid_gone(pid)) {
			sh->daemon = 0;
			return 0;
		}
		msleep(50);
	}
	return -1;
}

/* ------------------------------------------------------------- module */

static int mod_load(void)
{
	int fd = open(sh->ko, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -1;
	ret = (int)syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	return ret;
}

static int mod_unload(void)
{
	return (int)syscall(SYS_delete_module, MODNAME, O_NONBLOCK);
}

static bool mod_loaded(void)
{
	return !access("/sys/module/" MODNAME, F_OK);
}

static long file_long(const char *path, const char *key)
{
	char *s = slurp(path, NULL), *p;
	long v = -1;

	if (!s)
		return -1;
	p = key ? strstr(s, key) : s;
	if (p)
		v = strtol(p + (key ? strlen(key) : 0), NULL, 10);
	free(s);
	return v;
}

/* the QUIC sockets of our namespace, from quic.ko's debugfs */
static long quic_sockets(void)
{
	return file_long(QUIC_SOCKS, "sockets: ");
}

/* ------------------------------------------------------- control file */

static __attribute__((format(printf, 1, 2))) int ctl(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	ssize_t n;
	int fd, err = 0;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fd = open(CTL, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, line, strlen(line));
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

struct res {
	unsigned int		id;
	char			kind[16], state[16], stage[24];
	int			status, hs, cancel, peerid;
	unsigned int		port;
	unsigned long long	checked, hs_ns;
};

/* the line of command @id; 0, or -1 when there is none */
static int ctl_get(unsigned int id, struct res *r)
{
	char *all = slurp(CTL, NULL), *p, pat[32];
	int n = 0;

	if (!all)
		return -1;
	snprintf(pat, sizeof(pat), "id=%u ", id);
	for (p = all; (p = strstr(p, pat)); p++)
		if (p == all || p[-1] == '\n')
			break;
	if (p)
		n = sscanf(p, "id=%u kind=%15s state=%15s status=%d hs=%d cancel=%d peerid=%d port=%u checked=%llu hs_ns=%llu stage=%23s",
			   &r->id, r->kind, r->state, &r->status, &r->hs,
			   &r->cancel, &r->peerid, &r->port, &r->checked,
			   &r->hs_ns, r->stage);
	free(all);
	return n == 11 ? 0 : -1;
}

static void res_diag(const struct res *r)
{
	tap_diag("command %u (%s): state %s status %d hs %d cancel %d port %u checked %llu hs_ns %llu stage %s",
		 r->id, r->kind, r->state, r->status, r->hs, r->cancel,
		 r->port, r->checked, r->hs_ns, r->stage);
}

/* wait up to @ms for command @id to be done (or listening, with
 * @listening); 0, or -1 on timeout (the last state in *@r)
 */
static int ctl_wait(unsigned int id, bool listening, int ms, struct res *r)
{
	double end = now_s() + ms / 1000.0;

	memset(r, 0, sizeof(*r));
	do {
		if (!ctl_get(id, r) && (!strcmp(r->state, "done") ||
					(listening &&
					 !strcmp(r->state, "listening"))))
			return 0;
		msleep(10);
	} while (now_s() < end);
	res_diag(r);
	return -1;
}

/* a kernel client (QUIC, or "tcp") */
struct kcli {
	const char	*kind;		/* NULL: "client" */
	int		family;
	uint16_t	port;
	const char	*auth;		/* NULL: "x509" */
	int32_t		cert, key, psk;
	int		streams, bytes;
	int		tmo, wait;	/* 0: 10000, 20000 ms */
};

static unsigned int kclient(const struct kcli *c)
{
	unsigned int id = next_id();
	int err;

	err = ctl("%s id=%u addr=%s port=%u alpn=%s auth=%s cert=%d key=%d psk=%d peer=localhost tmo=%d wait=%d life=30000 streams=%d bytes=%d",
		  c->kind ? c->kind : "client", id, loopback(c->family),
		  c->port, C_ALPN, c->auth ? c->auth : "x509", c->cert,
		  c->key, c->psk, c->tmo ? c->tmo : 10000,
		  c->wait ? c->wait : 20000, c->streams, c->bytes);
	if (!CHECK_EQ(err, 0))
		return 0;
	return id;
}

/* a kernel server on the loopback address of @family; its id, its port
 * in *@port once it listens; 0 on failure
 */
static unsigned int kserver(int family, bool psk, int32_t cert,
			    int32_t key, int32_t pskid, uint16_t *port)
{
	unsigned int id = next_id();
	struct res r;

	if (!CHECK_EQ(ctl("server id=%u addr=%s port=0 alpn=%s auth=%s cert=%d key=%d psk=%d tmo=10000 wait=20000 life=30000",
			  id, loopback(family), C_ALPN, psk ? "psk" : "x509",
			  cert, key, pskid), 0))
		return 0;
	if (!CHECK_EQ(ctl_wait(id, true, 10000, &r), 0) ||
	    !CHECK(!strcmp(r.state, "listening") && r.port)) {
		res_diag(&r);
		return 0;
	}
	*port = (uint16_t)r.port;
	return id;
}

/* ----------------------------------------------- libquic peers of ours */

enum { US_X509, US_PSK, US_ROGUE, US_PSK_WRONG };

/* a libquic (or GnuTLS over TCP) server accepting @count connections */
struct us_srv {
	int		family, mode, count, tcp;
	int		lfd;
	uint16_t	port;
	pthread_t	thr;
	pthread_mutex_t	lock;
	int		accepted, hs_ok, hs_fail, last_err;
	unsigned long long echoed;
	pthread_t	conns[MAX_CONNS];
	int		nconns;
};

struct us_conn {
	struct us_srv	*s;
	int		fd;
};

static void us_count(struct us_srv *s, int err, unsigned long long echoed)
{
	pthread_mutex_lock(&s->lock);
	if (err) {
		s->hs_fail++;
		s->last_err = err;
	} else {
		s->hs_ok++;
	}
	s->echoed += echoed;
	pthread_mutex_unlock(&s->lock);
}

/* the handshake, then every stream echoed until the peer closes */
static void us_quic_conn(struct us_conn *c)
{
	struct us_srv *s = c->s;
	unsigned long long echoed = 0;
	uint8_t buf[16384];
	uint32_t flags;
	int64_t sid;
	ssize_t n;
	int ret;

	ret = quic_server_handshake(c->fd,
		s->mode == US_PSK ? creds.psk :
		s->mode == US_ROGUE ? creds.rogue_key : creds.srv_key,
		s->mode == US_PSK ? NULL :
		s->mode == US_ROGUE ? creds.rogue_cert : creds.srv_cert,
		C_ALPN);
	if (ret) {
		us_count(s, ret, 0);
		return;
	}
	for (;;) {
		flags = 0;
		sid = -1;
		n = quic_recvmsg(c->fd, buf, sizeof(buf), &sid, &flags);
		if (n < 0 || (!n && sid < 0))
			break;
		if (send_all(c->fd, sid, buf, (size_t)n, 0,
			     flags & MSG_STREAM_FIN))
			break;
		echoed += (unsigned long long)n;
	}
	us_count(s, 0, echoed);
}

/* TLS over TCP with GnuTLS: the handshake, then an echo */
static void us_tcp_conn(struct us_conn *c)
{
	unsigned long long echoed = 0;
	gnutls_session_t ses;
	uint8_t buf[16384];
	ssize_t n;
	int ret;

	if (gnutls_init(&ses, GNUTLS_SERVER)) {
		us_count(c->s, -ENOMEM, 0);
		return;
	}
	gnutls_set_default_priority(ses);
	gnutls_credentials_set(ses, GNUTLS_CRD_CERTIFICATE,
			       c->s->mode == US_ROGUE ? creds.x509_rogue :
							creds.x509_srv);
	gnutls_transport_set_int(ses, c->fd);
	gnutls_handshake_set_timeout(ses, 20000);
	do {
		ret = gnutls_handshake(ses);
	} while (ret < 0 && !gnutls_error_is_fatal(ret));
	if (ret < 0) {
		us_count(c->s, -EPROTO, 0);
		gnutls_deinit(ses);
		return;
	}
	for (;;) {
		n = gnutls_record_recv(ses, buf, sizeof(buf));
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n <= 0)
			break;
		if (gnutls_record_send(ses, buf, (size_t)n) != n)
			break;
		echoed += (unsigned long long)n;
	}
	us_count(c->s, 0, echoed);
	gnutls_deinit(ses);
}

static void *us_conn_main(void *arg)
{
	struct us_conn *c = arg;

	set_timeouts(c->fd, 20000);
	if (c->s->tcp)
		us_tcp_conn(c);
	else
		us_quic_conn(c);
	close(c->fd);
	free(c);
	return NULL;
}

static void *us_srv_main(void *arg)
{
	struct us_srv *s = arg;
	struct us_conn *c;
	int fd;

	while (s->accepted < s->count && s->nconns < MAX_CONNS) {
		fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			break;
		s->accepted++;
		c = malloc(sizeof(*c));
		if (!c) {
			close(fd);
			break;
		}
		c->s = s;
		c->fd = fd;
		if (pthread_create(&s->conns[s->nconns], NULL, us_conn_main,
				   c)) {
			close(fd);
			free(c);
			break;
		}
		s->nconns++;
	}
	for (int i = 0; i < s->nconns; i++)
		pthread_join(s->conns[i], NULL);
	return NULL;
}

/* listen on the loopback address of @family and serve in a thread */
static bool us_srv_start(struct us_srv *s, int family, int mode, int count,
			 int tcp)
{
	struct addr a = mkaddr(family, NULL, 0);

	memset(s, 0, sizeof(*s));
	s->family = family;
	s->mode = mode;
	s->count = count;
	s->tcp = tcp;
	pthread_mutex_init(&s->lock, NULL);
	s->lfd = tcp ? socket(family, SOCK_STREAM, IPPROTO_TCP) :
		       socket(family, SOCK_DGRAM, IPPROTO_QUIC);
	if (!CHECK_SYS(s->lfd))
		return false;
	set_timeouts(s->lfd, 30000);
	if ((!tcp && !CHECK_SYS(setsockopt(s->lfd, SOL_QUIC,
					   QUIC_SOCKOPT_ALPN, C_ALPN,
					   strlen(C_ALPN)))) ||
	    !CHECK_SYS(bind(s->lfd, &a.sa, a.len)) ||
	    !CHECK_SYS(listen(s->lfd, 64)) ||
	    !CHECK_EQ(pthread_create(&s->thr, NULL, us_srv_main, s), 0)) {
		close(s->lfd);
		return false;
	}
	s->port = (uint16_t)local_port(s->lfd);
	return true;
}

/* stop accepting, wait for every connection to end */
static void us_srv_stop(struct us_srv *s)
{
	shutdown(s->lfd, SHUT_RDWR);
	pthread_join(s->thr, NULL);
	close(s->lfd);
	pthread_mutex_destroy(&s->lock);
}

/* a libquic client of a kernel server: @streams streams of @bytes each,
 * one after the other, each echo checked; the handshake's result (the
 * data's checks are CHECKs)
 */
static int us_client(int family, uint16_t port, int mode, int streams,
		     size_t bytes)
{
	uint8_t *out = malloc(bytes + 1), *in = malloc(bytes + 1);
	int fd, ret, s;

	fd = client_socket(family, NULL, 20000, port);
	if (!CHECK_SYS(fd) || !out || !in) {
		free(out);
		free(in);
		return -EIO;
	}
	ret = quic_client_handshake(fd,
		mode == US_PSK ? creds.psk :
		mode == US_PSK_WRONG ? creds.psk_wrong : NULL,
		"localhost", C_ALPN);
	for (s = 0; !ret && s < streams; s++) {
		int64_t sid = 4 * s;
		size_t got = 0;
		bool fin = false;

		pat_fill((uint64_t)s, 0, out, bytes);
		if (!CHECK_SYS(send_all(fd, sid, out, bytes, MSG_STREAM_NEW,
					true)))
			break;
		while (!fin) {
			uint32_t flags = 0;
			int64_t rsid = -1;
			ssize_t n;

			n = quic_recvmsg(fd, in + got, bytes + 1 - got, &rsid,
					 &flags);
			if (!CHECK_SYS(n) || !CHECK_EQ(rsid, sid))
				goto out;
			got += (size_t)n;
			fin = flags & MSG_STREAM_FIN;
			if (!CHECK(got <= bytes))
				goto out;
		}
		CHECK_EQ(got, bytes);
		CHECK(!memcmp(in, out, bytes));
	}
out:
	close(fd);
	free(out);
	free(in);
	return ret;
}

/* ============================================================== tests */

/* kernel client -> libquic server, streams echoed and checked */
static void kclient_case(int family, bool psk, bool anon)
{
	struct kcli c = { .family = family, .streams = 4, .bytes = 32768 };
	struct res r = {};
	struct us_srv s;
	unsigned int id;

	if (!us_srv_start(&s, family, psk ? US_PSK : US_X509, 1, 0))
		return;
	c.port = s.port;
	c.auth = psk ? "psk" : anon ? "none" : "x509";
	c.psk = sh->psk;
	id = kclient(&c);
	if (id && CHECK_EQ(ctl_wait(id, false, 60000, &r), 0)) {
		if (!CHECK_EQ(r.status, 0) | !CHECK_EQ(r.hs, 0))
			res_diag(&r);
		CHECK_EQ(r.checked, 4 * 32768);
		CHECK(r.hs_ns > 0);
		if (psk)	/* the daemon names the PSK used */
			CHECK_EQ(r.peerid, sh->psk);
		tap_diag("handshake %.1f ms (request to ta_done)",
			 r.hs_ns / 1e6);
	}
	us_srv_stop(&s);
	CHECK_EQ(s.hs_ok, 1);
	CHECK_EQ(s.echoed, 4 * 32768);
	if (r.hs)
		daemon_log_diag();
}

static void test_kclient_x509_v4(const void *arg)
{
	(void)arg;
	kclient_case(AF_INET, false, false);
}

static void test_kclient_x509_v6(const void *arg)
{
	(void)arg;
	kclient_case(AF_INET6, false, false);
}

static void test_kclient_psk_v4(const void *arg)
{
	(void)arg;
	kclient_case(AF_INET, true, false);
}

static void test_kclient_psk_v6(const void *arg)
{
	(void)arg;
	kclient_case(AF_INET6, true, false);
}

static void test_kclient_anon(const void *arg)
{
	(void)arg;
	kclient_case(AF_INET, false, true);
}

/* libquic client -> kernel server, which echoes every stream */
static void kserver_case(int family, bool psk)
{
	struct res r = {};
	unsigned int id;
	uint16_t port;

	id = kserver(family, psk, sh->cert, sh->key, sh->psk, &port);
	if (!id)
		return;
	CHECK_EQ(us_client(family, port, psk ? US_PSK : US_X509, 4, 32768),
		 0);
	if (CHECK_EQ(ctl_wait(id, false, 30000, &r), 0)) {
		if (!CHECK_EQ(r.status, 0) | !CHECK_EQ(r.hs, 0))
			res_diag(&r);
		CHECK_EQ(r.checked, 4 * 32768);
		CHECK(!strcmp(r.stage, "end"));
		if (psk)
			CHECK_EQ(r.peerid, sh->psk);
	}
	if (r.hs)
		daemon_log_diag();
}

static void test_kserver_x509_v4(const void *arg)
{
	(void)arg;
	kserver_case(AF_INET, false);
}

static void test_kserver_x509_v6(const void *arg)
{
	(void)arg;
	kserver_case(AF_INET6, false);
}

static void test_kserver_psk_v4(const void *arg)
{
	(void)arg;
	kserver_case(AF_INET, true);
}

static void test_kserver_psk_v6(const void *arg)
{
	(void)arg;
	kserver_case(AF_INET6, true);
}

/* a kernel client whose handshake must fail against @mode's server */
static void kclient_fail(int mode, const char *auth, int32_t psk,
			 int want_hs)
{
	struct kcli c = { .family = AF_INET, .auth = auth, .psk = psk };
	struct us_srv s;
	unsigned int id;
	struct res r;

	if (!us_srv_start(&s, AF_INET, mode, 1, 0))
		return;
	c.port = s.port;
	id = kclient(&c);
	if (id && CHECK_EQ(ctl_wait(id, false, 30000, &r), 0)) {
		res_diag(&r);
		if (want_hs)
			CHECK_EQ(r.hs, want_hs);
		else
			CHECK(r.hs < 0);
		CHECK_EQ(r.status, r.hs);
		CHECK_EQ(r.cancel, 0);	/* the daemon said so */
		CHECK(!strcmp(r.stage, "handshake"));
		CHECK_EQ(r.checked, 0);
	}
	us_srv_stop(&s);
	CHECK_EQ(s.hs_ok, 0);
}

static void test_bad_cert(const void *arg)
{
	(void)arg;
	/* the server's certificate is of a CA the daemon does not trust */
	kclient_fail(US_ROGUE, "x509", 0, -EACCES);
}

static void test_bad_psk(const void *arg)
{
	(void)arg;
	kclient_fail(US_PSK, "psk", sh->psk_wrong, 0);
}

/* a kernel server whose handshake must fail with a libquic client */
static void kserver_fail(bool psk, int32_t cert, int32_t key, int mode)
{
	unsigned int id;
	uint16_t port;
	struct res r;

	id = kserver(AF_INET, psk, cert, key, sh->psk, &port);
	if (!id)
		return;
	CHECK(us_client(AF_INET, port, mode, 0, 0) < 0);
	if (CHECK_EQ(ctl_wait(id, false, 30000, &r), 0)) {
		res_diag(&r);
		CHECK(r.hs < 0);
		CHECK(!strcmp(r.stage, "handshake"));
		CHECK_EQ(r.checked, 0);
	}
}

static void test_bad_cert_server(const void *arg)
{
	(void)arg;
	kserver_fail(false, sh->rogue_cert, sh->rogue_key, US_X509);
}

static void test_bad_psk_server(const void *arg)
{
	(void)arg;
	kserver_fail(true, 0, 0, US_PSK_WRONG);
}

/* a UDP socket on the loopback that never answers; its port */
static int silent_peer(uint16_t *port)
{
	struct addr a = mkaddr(AF_INET, NULL, 0);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (!CHECK_SYS(fd))
		return -1;
	if (!CHECK_SYS(bind(fd, &a.sa, a.len))) {
		close(fd);
		return -1;
	}
	*port = (uint16_t)local_port(fd);
	return fd;
}

/* one kernel client that must succeed (2 streams of 4 KiB) */
static void kclient_ok(const char *why)
{
	struct kcli c = { .family = AF_INET, .streams = 2, .bytes = 4096 };
	struct us_srv s;
	unsigned int id;
	struct res r;

	if (!us_srv_start(&s, AF_INET, US_X509, 1, 0))
		return;
	c.port = s.port;
	id = kclient(&c);
	if (id && CHECK_EQ(ctl_wait(id, false, 30000, &r), 0)) {
		if (!CHECK_EQ(r.status, 0))
			tap_diag("%s", why), res_diag(&r), daemon_log_diag();
		CHECK_EQ(r.checked, 2 * 4096);
	}
	us_srv_stop(&s);
	CHECK_EQ(s.hs_ok, 1);
}

static void test_timeout(const void *arg)
{
	struct kcli c = { .family = AF_INET, .tmo = 1500, .wait = 20000 };
	unsigned int id;
	uint16_t port;
	struct res r;
	int fd;

	(void)arg;
	fd = silent_peer(&port);
	if (fd < 0)
		return;
	c.port = port;
	id = kclient(&c);
	if (id && CHECK_EQ(ctl_wait(id, false, 25000, &r), 0)) {
		res_diag(&r);
		CHECK_EQ(r.hs, -ETIMEDOUT);
		CHECK_EQ(r.cancel, 0);		/* the daemon's timeout */
		CHECK(r.hs_ns >= 1400000000ULL);
		CHECK(r.hs_ns < 10000000000ULL);
	}
	close(fd);
	kclient_ok("the daemon after a timeout");
}

static void test_concurrent(const void *arg)
{
	struct kcli c = { .family = AF_INET, .streams = 2, .bytes = 8192,
			  .wait = 60000 };
	unsigned int ids[20];
	int i, ok = 0, hs_ok = 0;
	double t0 = now_s();
	struct us_srv s;
	struct res r;

	(void)arg;
	if (!us_srv_start(&s, AF_INET, US_X509, 20, 0))
		return;
	c.port = s.port;
	for (i = 0; i < 20; i++)
		ids[i] = kclient(&c);
	for (i = 0; i < 20; i++) {
		if (!ids[i] || ctl_wait(ids[i], false, 90000, &r))
			continue;
		hs_ok += !r.hs;
		if (!r.status && r.checked == 2 * 8192)
			ok++;
		else
			res_diag(&r);
	}
	tap_diag("20 concurrent kernel handshakes and transfers in %.2f s",
		 now_s() - t0);
	CHECK_EQ(hs_ok, 20);
	CHECK_EQ(ok, 20);
	us_srv_stop(&s);
	CHECK_EQ(s.hs_ok, 20);
}

/*
 * The daemon killed while it runs handshakes (to a peer that never
 * answers; its timeout, 8 s, after ours, 4 s; its children, which run
 * them, end at theirs): our bound cancels the requests; while
 * no daemon listens a request fails at once (ESRCH); a restarted daemon
 * serves new requests.
 */
static void test_daemon_kill(const void *arg)
{
	struct kcli c = { .family = AF_INET, .tmo = 8000, .wait = 4000 };
	unsigned int ids[3], id;
	uint16_t port;
	struct res r;
	int fd, i;

	(void)arg;
	fd = silent_peer(&port);
	if (fd < 0)
		return;
	c.port = port;
	for (i = 0; i < 3; i++)
		ids[i] = kclient(&c);
	msleep(1000);
	REQUIRE_EQ(daemon_stop(SIGKILL), 0);
	for (i = 0; i < 3; i++) {
		if (!ids[i] || !CHECK_EQ(ctl_wait(ids[i], false, 15000, &r),
					 0))
			continue;
		res_diag(&r);
		CHECK(r.hs < 0);
		CHECK_EQ(r.status, r.hs);
		CHECK(r.hs_ns < 6000000000ULL);
	}
	close(fd);

	c.wait = 20000;
	c.port = 9;	/* never reached */
	id = kclient(&c);
	if (id && CHECK_EQ(ctl_wait(id, false, 5000, &r), 0)) {
		CHECK_EQ(r.status, -ESRCH);	/* no handshake agent */
		CHECK(!strcmp(r.stage, "handshake"));
		CHECK_EQ(r.cancel, 0);
	}

	if (!CHECK_EQ(daemon_start(), 0)) {
		daemon_log_diag();
		return;
	}
	kclient_ok("a restarted daemon");
}

static int cmp_u64(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

/* LAT_N ($CONSUMER_LAT_N, at most LAT_N: fewer on a debug kernel)
 * kernel handshakes one after the other; the median of their
 * request-to-ta_done times as a diagnostic (the time in the kernel's
 * queue included)
 */
static void latency(bool psk)
{
	/* one small echo: the server's handshake is over too before the
	 * kernel client closes (else a close can beat its last steps)
	 */
	struct kcli c = { .family = AF_INET, .auth = psk ? "psk" : "x509",
			  .streams = 1, .bytes = 64 };
	const char *env = getenv("CONSUMER_LAT_N");
	int i, n = 0, want = env ? atoi(env) : LAT_N;
	unsigned long long t[LAT_N];
	struct us_srv s;
	unsigned int id;
	struct res r;

	if (want < 1 || want > LAT_N)
		want = LAT_N;
	c.psk = sh->psk;
	if (!us_srv_start(&s, AF_INET, psk ? US_PSK : US_X509, want, 0))
		return;
	c.port = s.port;
	for (i = 0; i < want; i++) {
		id = kclient(&c);
		if (!id || ctl_wait(id, false, 30000, &r))
			break;
		if (r.status) {
			res_diag(&r);
			break;
		}
		t[n++] = r.hs_ns;
	}
	us_srv_stop(&s);
	CHECK_EQ(n, want);
	CHECK_EQ(s.hs_ok, want);
	ctl("clear");
	if (!n)
		return;
	qsort(t, (size_t)n, sizeof(t[0]), cmp_u64);
	tap_diag("kernel consumer handshake latency, %s, %d runs: median %.2f ms, min %.2f ms, max %.2f ms",
		 psk ? "PSK" : "X.509", n, t[n / 2] / 1e6, t[0] / 1e6,
		 t[n - 1] / 1e6);
}

static void test_latency_x509(const void *arg)
{
	(void)arg;
	latency(false);
}

static void test_latency_psk(const void *arg)
{
	(void)arg;
	latency(true);
}

static void test_tcp(const void *arg)
{
	struct kcli c = { .kind = "tcp", .family = AF_INET, .streams = 1,
			  .bytes = 65536 };
	struct us_srv s;
	unsigned int id;
	struct res r;

	(void)arg;
	if (!us_srv_start(&s, AF_INET, US_X509, 1, 1))
		return;
	c.port = s.port;
	id = kclient(&c);
	if (id && CHECK_EQ(ctl_wait(id, false, 60000, &r), 0)) {
		if (!CHECK_EQ(r.status, 0) | !CHECK_EQ(r.hs, 0))
			res_diag(&r), daemon_log_diag();
		CHECK_EQ(r.checked, 65536);
	}
	us_srv_stop(&s);
	CHECK_EQ(s.hs_ok, 1);
	CHECK_EQ(s.echoed, 65536);
}

static void test_ctl_errors(const void *arg)
{
	unsigned int id = next_id();
	uint16_t port;
	struct res r;
	int fd;

	(void)arg;
	CHECK_EQ(ctl("bogus id=1"), -EINVAL);
	CHECK_EQ(ctl("client id=1 port=443"), -EINVAL);	/* no address */
	CHECK_EQ(ctl("client id=1 addr=1.2.3 port=443"), -EINVAL);
	CHECK_EQ(ctl("client id=1 addr=127.0.0.1"), -EINVAL);	/* no port */
	CHECK_EQ(ctl("client id=1 addr=127.0.0.1 port=1 what=1"), -EINVAL);
	CHECK_EQ(ctl("client id=1 addr=127.0.0.1 port=1 streams=101 bytes=1"),
		 -EINVAL);
	CHECK_EQ(ctl("server id=1 addr=127.0.0.1 auth=none"), -EINVAL);
	CHECK_EQ(ctl("client id=1 addr=127.0.0.1 port=1 alpn=%0100d", 0),
		 -EINVAL);

	/* a duplicate id; a bad key serial fails in the daemon */
	fd = silent_peer(&port);
	if (fd < 0)
		return;
	CHECK_EQ(ctl("client id=%u addr=127.0.0.1 port=%u auth=psk psk=1 wait=10000",
		     id, port), 0);
	CHECK_EQ(ctl("client id=%u addr=127.0.0.1 port=%u", id, port),
		 -EEXIST);
	if (CHECK_EQ(ctl_wait(id, false, 15000, &r), 0)) {
		res_diag(&r);
		CHECK(r.status < 0);
	}
	close(fd);
	CHECK_EQ(ctl("clear"), 0);
	CHECK_EQ(ctl_get(id, &r), -1);
}

/* ========================================================= forged netlink */

/*
 * What another process can do to the daemon through netlink.  The daemon
 * has two generic netlink sockets: one in the "tlshd" multicast group for
 * the kernel's READY notifications, one for its ACCEPT and DONE requests.
 * Anyone can find their port ids in /proc/net/netlink; only a process with
 * CAP_NET_ADMIN can send to them or to the group (generic netlink has no
 * NL_CFG_F_NONROOT_SEND), and the daemon listens to the kernel (port 0)
 * alone.
 */

struct nl_ports {
	uint32_t	port[4];
	unsigned long	inode[4];
	int		n;
};

/* the daemon's generic netlink sockets: /proc/PID/fd against
 * /proc/net/netlink; their drop counters summed in *@drops
 */
static int daemon_nl_ports(pid_t pid, struct nl_ports *np,
			   unsigned long long *drops)
{
	unsigned long inodes[64], inode;
	char path[300], link[64], *all, *line, *p;
	unsigned int port, dr;
	int n = 0, i, eth;
	struct dirent *de;
	DIR *d;

	np->n = 0;
	if (drops)
		*drops = 0;
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)) && n < 64) {
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, de->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = 0;
		if (sscanf(link, "socket:[%lu]", &inode) == 1)
			inodes[n++] = inode;
	}
	closedir(d);
	all = slurp("/proc/net/netlink", NULL);
	if (!all)
		return -1;
	p = all;
	strsep(&p, "\n");	/* the header */
	/* sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode */
	while ((line = strsep(&p, "\n")) && np->n < 4) {
		if (sscanf(line, "%*s %d %u %*x %*d %*d %*d %*d %u %lu", &eth,
			   &port, &dr, &inode) != 4 || eth != NETLINK_GENERIC)
			continue;
		for (i = 0; i < n; i++)
			if (inodes[i] == inode)
				break;
		if (i == n)
			continue;
		np->inode[np->n] = inode;
		np->port[np->n++] = port;
		if (drops)
			*drops += dr;
	}
	free(all);
	return np->n ? 0 : -1;
}

static void nl_put(void *buf, size_t *off, uint16_t type, const void *data,
		   uint16_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)buf + *off);

	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy((char *)a + NLA_HDRLEN, data, len);
	*off += NLA_ALIGN(a->nla_len);
}

/* the "handshake" family's id and its "tlshd" group's id, asked of the
 * generic netlink controller; 0, or -1
 */
static int handshake_ids(uint16_t *family, uint32_t *group)
{
	char buf[8192];
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct genlmsghdr *g = NLMSG_DATA(nlh);
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };
	size_t off = NLMSG_HDRLEN + GENL_HDRLEN;
	struct nlattr *a, *grp, *ga;
	int fd, ret = -1, left, gl, al;
	ssize_t n;

	memset(buf, 0, sizeof(buf));
	nl_put(buf, &off, CTRL_ATTR_FAMILY_NAME, "handshake", 10);
	nlh->nlmsg_len = (uint32_t)off;
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = 1;
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -1;
	if (sendto(fd, buf, off, 0, (struct sockaddr *)&k, sizeof(k)) < 0)
		goto out;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < (ssize_t)(NLMSG_HDRLEN + GENL_HDRLEN) ||
	    nlh->nlmsg_type != GENL_ID_CTRL || nlh->nlmsg_len > (uint32_t)n)
		goto out;
	*family = 0;
	*group = 0;
	left = (int)(nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN);
	for (a = (struct nlattr *)((char *)g + GENL_HDRLEN);
	     left >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	     a->nla_len <= left;
	     left -= NLA_ALIGN(a->nla_len),
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			memcpy(family, (char *)a + NLA_HDRLEN, 2);
		if ((a->nla_type & NLA_TYPE_MASK) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		gl = a->nla_len - NLA_HDRLEN;
		for (grp = (struct nlattr *)((char *)a + NLA_HDRLEN);
		     gl >= NLA_HDRLEN && grp->nla_len >= NLA_HDRLEN &&
		     grp->nla_len <= gl;
		     gl -= NLA_ALIGN(grp->nla_len),
		     grp = (struct nlattr *)((char *)grp +
					     NLA_ALIGN(grp->nla_len))) {
			uint32_t id = 0;
			bool tlshd = false;

			al = grp->nla_len - NLA_HDRLEN;
			for (ga = (struct nlattr *)((char *)grp + NLA_HDRLEN);
			     al >= NLA_HDRLEN && ga->nla_len >= NLA_HDRLEN &&
			     ga->nla_len <= al;
			     al -= NLA_ALIGN(ga->nla_len),
			     ga = (struct nlattr *)((char *)ga +
						    NLA_ALIGN(ga->nla_len))) {
				if (ga->nla_type == CTRL_ATTR_MCAST_GRP_ID)
					memcpy(&id, (char *)ga + NLA_HDRLEN, 4);
				if (ga->nla_type == CTRL_ATTR_MCAST_GRP_NAME &&
				    !strcmp((char *)ga + NLA_HDRLEN, "tlshd"))
					tlshd = true;
			}
			if (tlshd)
				*group = id;
		}
	}
	ret = *family && *group ? 0 : -1;
out:
	close(fd);
	return ret;
}

/* a generic netlink message of @family and @cmd with a u32 attribute;
 * its length
 */
static size_t genl_msg(void *buf, uint16_t family, uint8_t cmd,
		       uint16_t attr, uint32_t val, uint32_t seq)
{
	struct nlmsghdr *nlh = buf;
	struct genlmsghdr *g = NLMSG_DATA(nlh);
	size_t off = NLMSG_HDRLEN + GENL_HDRLEN;

	memset(buf, 0, off);
	nl_put(buf, &off, attr, &val, 4);
	nlh->nlmsg_len = (uint32_t)off;
	nlh->nlmsg_type = family;
	nlh->nlmsg_seq = seq;
	g->cmd = cmd;
	g->version = 1;
	return off;
}

/* count of @what in the daemon's log */
static int log_count(const char *what)
{
	char *log = slurp(sh->log, NULL), *p;
	int n = 0;

	if (!log)
		return 0;
	for (p = log; (p = strstr(p, what)); p += strlen(what))
		n++;
	free(log);
	return n;
}

/*
 * Send the forged datagrams to @dst (a daemon port, or port 0 and a group
 * bit): every shape the daemon's reader must survive.  @to_kernel: they
 * reach the kernel too (a group send also goes to port 0), so no ACCEPT
 * or DONE: the kernel would act on them.  The number sent.
 */
static int forge(int fd, const struct sockaddr_nl *dst, uint16_t family,
		 bool to_kernel)
{
	static char big[70000];
	char buf[4096];
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	size_t len, off;
	int sent = 0, i;

#define FORGE(p, l) do {						\
		if (sendto(fd, p, l, MSG_DONTWAIT,			\
			   (const struct sockaddr *)dst, sizeof(*dst)) >= 0) \
			sent++;						\
	} while (0)

	memset(buf, 0, sizeof(buf));
	FORGE(buf, 0);				/* empty */
	FORGE(buf, 3);				/* shorter than a header */
	nlh->nlmsg_len = 0;			/* a zero length */
	nlh->nlmsg_type = family;
	FORGE(buf, 64);
	nlh->nlmsg_len = 0xffffffff;		/* past the datagram */
	FORGE(buf, 64);
	nlh->nlmsg_len = NLMSG_HDRLEN;		/* no genl header */
	FORGE(buf, NLMSG_HDRLEN);
	/* READY, well formed, from a process */
	len = genl_msg(buf, family, HS_CMD_READY, HS_A_ACCEPT_HANDLER_CLASS,
		       HS_HANDLER_CLASS_TLSHD, 1);
	FORGE(buf, len);
	/* READY of another family, of an unknown command, of version 9 */
	len = genl_msg(buf, (uint16_t)(family + 1), HS_CMD_READY,
		       HS_A_ACCEPT_HANDLER_CLASS, 1, 2);
	FORGE(buf, len);
	len = genl_msg(buf, family, 200, 1, 1, 3);
	FORGE(buf, len);
	/* an attribute longer than the message */
	len = genl_msg(buf, family, HS_CMD_READY, 1, 1, 4);
	((struct nlattr *)((char *)buf + NLMSG_HDRLEN + GENL_HDRLEN))->nla_len =
		2000;
	FORGE(buf, len);
	/* 100 READYs in one datagram (28 bytes each) */
	for (off = 0, i = 0; i < 100; i++)
		off += genl_msg(buf + off, family, HS_CMD_READY,
				HS_A_ACCEPT_HANDLER_CLASS, 1, 5);
	FORGE(buf, off);
	/* an error and a DONE message, as if answers */
	memset(buf, 0, 64);
	nlh->nlmsg_len = NLMSG_HDRLEN + 4;
	nlh->nlmsg_type = NLMSG_ERROR;
	FORGE(buf, nlh->nlmsg_len);
	nlh->nlmsg_type = NLMSG_DONE;
	FORGE(buf, nlh->nlmsg_len);
	/* larger than the daemon's buffer (64 KiB) */
	memset(big, 0xa5, sizeof(big));
	FORGE(big, sizeof(big));
	if (!to_kernel) {
		/* ACCEPT replies with a socket number the daemon holds
		 * (0, 1, 2) or none, and a DONE
		 */
		for (i = -1; i < 3; i++) {
			len = genl_msg(buf, family, HS_CMD_ACCEPT,
				       i < 0 ? HS_A_ACCEPT_TIMEOUT :
				       HS_A_ACCEPT_SOCKFD, (uint32_t)i, 0);
			FORGE(buf, len);
		}
		len = genl_msg(buf, family, HS_CMD_DONE, HS_A_DONE_STATUS,
			       0, 0);
		FORGE(buf, len);
	}
#undef FORGE
	return sent;
}

static void test_nl_forged(const void *arg)
{
	struct sockaddr_nl dst = { .nl_family = AF_NETLINK };
	unsigned long long drops0, drops1;
	int fd, i, sent = 0, dropped;
	struct nl_ports np;
	uint16_t family;
	uint32_t group;
	pid_t pid;

	(void)arg;
	REQUIRE(sh->daemon > 0);
	REQUIRE_EQ(handshake_ids(&family, &group), 0);
	tap_diag("family \"handshake\" is %u, group \"tlshd\" is %u", family,
		 group);
	if (!CHECK_EQ(daemon_nl_ports(sh->daemon, &np, &drops0), 0) ||
	    !CHECK(np.n >= 2))
		return;
	tap_diag("the daemon's generic netlink ports: %u, %u", np.port[0],
		 np.port[1]);

	/* an unprivileged process may send nothing to the daemon */
	pid = fork();
	REQUIRE_SYS(pid);
	if (!pid) {
		int s, bad = 0;

		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(10);
		s = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
		if (s < 0)
			_exit(11);
		for (i = 0; i < np.n; i++) {
			dst.nl_pid = np.port[i];
			if (sendto(s, "x", 1, 0, (struct sockaddr *)&dst,
				   sizeof(dst)) >= 0 || errno != EPERM)
				bad++;
		}
		dst.nl_pid = 0;
		dst.nl_groups = group <= 32 ? 1u << (group - 1) : 1;
		if (sendto(s, "x", 1, 0, (struct sockaddr *)&dst,
			   sizeof(dst)) >= 0 || errno != EPERM)
			bad++;
		_exit(bad ? 12 : 0);
	}
	{
		int st = -1;

		CHECK_EQ(waitpid(pid, &st, 0), pid);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}

	/* as root: forgeries to each port and to the group */
	dropped = log_count("not the kernel, dropped");
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	REQUIRE_SYS(fd);
	for (i = 0; i < np.n; i++) {
		dst.nl_pid = np.port[i];
		dst.nl_groups = 0;
		sent += forge(fd, &dst, family, false);
	}
	/* genl groups past 32 are not reachable through nl_groups */
	if (CHECK(group >= 1 && group <= 32)) {
		dst.nl_pid = 0;
		dst.nl_groups = 1u << (group - 1);
		sent += forge(fd, &dst, family, true);
	}
	tap_diag("%d forged datagrams sent", sent);
	CHECK(sent >= 3 * 13);
	msleep(300);
	CHECK(!pid_gone(sh->daemon));
	CHECK(log_count("not the kernel, dropped") > dropped);
	kclient_ok("the daemon after forged netlink messages");
	/* what waited on its request socket is gone with that request */
	daemon_nl_ports(sh->daemon, &np, NULL);

	/*
	 * A stopped daemon's group socket filled by a root process: the
	 * kernel's READY is not delivered (overrun) and the kernel fails
	 * the request at once (ESRCH, as with no daemon); the daemon,
	 * continued, reads the loss (ENOBUFS), asks for pending requests
	 * and serves the next one.
	 */
	REQUIRE(group >= 1 && group <= 32);
	CHECK_SYS(kill(sh->daemon, SIGSTOP));
	dst.nl_pid = 0;
	dst.nl_groups = 1u << (group - 1);
	{
		static char chunk[60000];
		struct kcli c = { .family = AF_INET, .port = 9,
				  .wait = 5000 };
		unsigned int id;
		struct res r;

		memset(chunk, 0, sizeof(chunk));
		/* a READY's header, then junk: the kernel refuses it too */
		genl_msg(chunk, family, HS_CMD_READY,
			 HS_A_ACCEPT_HANDLER_CLASS, 1, 6);
		for (i = 0; i < 200; i++)
			sendto(fd, chunk, sizeof(chunk), MSG_DONTWAIT,
			       (struct sockaddr *)&dst, sizeof(dst));
		daemon_nl_ports(sh->daemon, &np, &drops1);
		tap_diag("the daemon's sockets dropped %llu datagrams",
			 drops1 - drops0);
		CHECK(drops1 > drops0);
		id = kclient(&c);
		if (id && CHECK_EQ(ctl_wait(id, false, 10000, &r), 0)) {
			res_diag(&r);
			CHECK_EQ(r.status, -ESRCH);
		}
	}
	CHECK_SYS(kill(sh->daemon, SIGCONT));
	close(fd);
	msleep(500);
	CHECK(!pid_gone(sh->daemon));
	CHECK(log_count("ENOBUFS") > 0);
	kclient_ok("the daemon after its group socket overran");
}

/* unloading with work pending: clients in their handshakes, a server
 * waiting to accept, a server echoing an idle connection; then nothing
 * left
 */
static void test_unload(const void *arg)
{
	struct kcli c = { .family = AF_INET, .tmo = 3000, .wait = 60000 };
	unsigned int ids[2], sid1, sid2;
	uint16_t port, p1 = 0, p2 = 0;
	int fd, i, cfd = -1;
	struct res r;
	long n = -1;
	double t0;

	(void)arg;
	fd = silent_peer(&port);
	if (fd < 0)
		return;
	c.port = port;
	for (i = 0; i < 2; i++)
		ids[i] = kclient(&c);
	sid1 = kserver(AF_INET, false, sh->cert, sh->key, 0, &p1);
	sid2 = kserver(AF_INET6, false, sh->cert, sh->key, 0, &p2);
	if (sid2) {
		cfd = client_socket(AF_INET6, NULL, 10000, p2);
		if (CHECK_SYS(cfd))
			CHECK_EQ(quic_client_handshake(cfd, NULL, "localhost",
						       C_ALPN), 0);
	}
	CHECK(ids[0] && ids[1] && sid1 && sid2);
	msleep(500);
	if (sid2 && !ctl_get(sid2, &r))
		CHECK(!strcmp(r.stage, "echo"));	/* after its handshake */

	t0 = now_s();
	CHECK_SYS(mod_unload());
	tap_diag("module unloaded in %.2f s with 4 commands pending",
		 now_s() - t0);
	CHECK(now_s() - t0 < 3);
	CHECK(!mod_loaded());
	CHECK(access("/sys/kernel/debug/quic_consumer", F_OK) &&
	      errno == ENOENT);
	if (cfd >= 0)
		close(cfd);
	close(fd);

	/* the daemon lets go of the sockets of cancelled requests within
	 * their timeout (3 s), and of their files (each holds quic.ko)
	 * when its children end; closing periods end
	 */
	for (i = 0; i < 300; i++) {
		n = quic_sockets();
		if (!n && file_long("/sys/module/quic/refcnt", NULL) <=
		    sh->quic_refs)
			break;
		msleep(50);
	}
	if (!CHECK_EQ(n, 0)) {
		char *all = slurp(QUIC_SOCKS, NULL);

		tap_diag("%s", all ? all : "?");
		free(all);
	}
	/* at most those from before (earlier tests' sockets may have
	 * finished their closing periods since)
	 */
	CHECK(file_long("/sys/module/quic/refcnt", NULL) <= sh->quic_refs);

	CHECK_EQ(daemon_stop(SIGTERM), 0);
	keys_remove();
	for (i = 0; i < 100 && keys_left(); i++)
		msleep(20);
	CHECK_EQ(keys_left(), 0);
}

/* ============================================================== setup */

static int write_conf(void)
{
	return creds_file(sh->conf, sizeof(sh->conf), "quic-handshaked.conf",
			  "[debug]\nloglevel=0\ntls=0\nnl=0\n\n"
			  "[authenticate]\n\n"
			  "[authenticate.client]\nx509.truststore=%s\n\n"
			  "[authenticate.server]\nx509.truststore=%s\n",
			  creds.ca, creds.ca);
}

static int setup(void)
{
	const char *kdir = getenv("QUIC_TEST_KMOD_DIR");
	const char *hd = getenv("QUIC_HANDSHAKED");
	struct utsname u;

	uname(&u);
	if (kdir)
		snprintf(sh->ko, sizeof(sh->ko), "%s/%s.ko", kdir, MODNAME);
	else
		snprintf(sh->ko, sizeof(sh->ko), "%s/build/%s/%s.ko", sh->top,
			 u.release, MODNAME);
	if (hd)
		snprintf(sh->daemon_path, sizeof(sh->daemon_path), "%s", hd);
	else
		snprintf(sh->daemon_path, sizeof(sh->daemon_path),
			 "%s/handshake/quic-handshaked", sh->top);
	snprintf(sh->log, sizeof(sh->log), "%s/daemon.log", creds.dir);
	sh->quic_refs = file_long("/sys/module/quic/refcnt", NULL);

	if (access(sh->daemon_path, X_OK)) {
		tap_diag("no daemon at %s (make)", sh->daemon_path);
		return -1;
	}
	if (keys_setup()) {
		tap_diag("adding the keys failed: %s", strerror(errno));
		return -1;
	}
	if (write_conf() || daemon_start()) {
		tap_diag("the daemon %s did not start", sh->daemon_path);
		daemon_log_diag();
		return -1;
	}
	if (mod_loaded() && mod_unload())
		return -1;
	if (mod_load()) {
		tap_diag("loading %s failed: %s", sh->ko, strerror(errno));
		return -1;
	}
	return 0;
}

static void top_dir(void)
{
	char *p;

	if (readlink("/proc/self/exe", sh->top, sizeof(sh->top) - 1) < 0)
		strcpy(sh->top, ".");
	/* .../tests/consumer_test -> ... */
	for (int i = 0; i < 2; i++) {
		p = strrchr(sh->top, '/');
		if (p)
			*p = 0;
	}
}

int main(int argc, char **argv)
{
	int status;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	memset(sh, 0, sizeof(*sh));
	top_dir();
	runner_setup(setup);

	test_add("kclient_x509_v4", "kernel client (X.509, IPv4) -> libquic server: the daemon's handshake, 4 streams of 32 KiB echoed and checked",
		 test_kclient_x509_v4, NULL, 120);
	test_add("kclient_x509_v6", "kernel client (X.509, IPv6) -> libquic server, 4 streams checked",
		 test_kclient_x509_v6, NULL, 120);
	test_add("kclient_psk_v4", "kernel client (PSK, IPv4) -> libquic server, 4 streams checked",
		 test_kclient_psk_v4, NULL, 120);
	test_add("kclient_psk_v6", "kernel client (PSK, IPv6) -> libquic server, 4 streams checked",
		 test_kclient_psk_v6, NULL, 120);
	test_add("kclient_anon", "kernel client without a certificate (tls_client_hello_anon) -> libquic server, 4 streams checked",
		 test_kclient_anon, NULL, 120);
	test_add("kserver_x509_v4", "libquic client -> kernel server (X.509 from key serials, IPv4): 4 streams echoed by the kernel and checked",
		 test_kserver_x509_v4, NULL, 120);
	test_add("kserver_x509_v6", "libquic client -> kernel server (X.509, IPv6), 4 streams checked",
		 test_kserver_x509_v6, NULL, 120);
	test_add("kserver_psk_v4", "libquic client -> kernel server (PSK, IPv4), 4 streams checked",
		 test_kserver_psk_v4, NULL, 120);
	test_add("kserver_psk_v6", "libquic client -> kernel server (PSK, IPv6), 4 streams checked",
		 test_kserver_psk_v6, NULL, 120);
	test_add("bad_cert", "a server certificate of a CA the daemon does not trust: ta_done reports EACCES to the kernel client",
		 test_bad_cert, NULL, 120);
	test_add("bad_psk", "a kernel client with the wrong PSK: ta_done reports a handshake error",
		 test_bad_psk, NULL, 120);
	test_add("bad_cert_server", "a kernel server with a certificate the client does not trust: both handshakes fail, ta_done reports it",
		 test_bad_cert_server, NULL, 120);
	test_add("bad_psk_server", "a libquic client with the wrong PSK against a kernel server: both fail",
		 test_bad_psk_server, NULL, 120);
	test_add("timeout", "a peer that never answers: the daemon ends the request at ta_timeout_ms (1.5 s) with ETIMEDOUT; it serves the next one",
		 test_timeout, NULL, 120);
	test_add("concurrent", "20 concurrent kernel handshakes and transfers to one libquic server (the consumer retries while net/handshake's queue is full: EAGAIN)",
		 test_concurrent, NULL, 240);
	test_add("daemon_kill", "the daemon killed (SIGKILL) in handshakes: the consumer's bound cancels them; no daemon: ESRCH; restarted, it serves",
		 test_daemon_kill, NULL, 120);
	test_add("latency_x509", "100 kernel X.509 handshakes one after the other: all succeed (the median request-to-done time is printed)",
		 test_latency_x509, NULL, 400);
	test_add("latency_psk", "100 kernel PSK handshakes: all succeed (median printed)",
		 test_latency_psk, NULL, 400);
	test_add("tcp_ktls", "a kernel TCP client: tls_client_hello_x509, then 64 KiB through kTLS to a GnuTLS server and back, checked",
		 test_tcp, NULL, 120);
	test_add("ctl_errors", "the control file refuses bad commands (EINVAL) and duplicate ids (EEXIST); a bad key serial fails the handshake",
		 test_ctl_errors, NULL, 60);
	test_add("nl_forged", "forged netlink messages: an unprivileged process cannot send to the daemon (EPERM); 30+ malformed or forged datagrams from root to its ports and group are dropped and logged; its group socket overrun while stopped: the kernel fails that request (ESRCH), the daemon reads ENOBUFS and serves the next",
		 test_nl_forged, NULL, 120);
	test_add("unload", "unloading with a server accepting, a server and clients in handshakes: quick; then no QUIC socket, no reference on quic.ko, no key left",
		 test_unload, NULL, 120);

	status = runner_main(argc, argv);

	/* whatever the tests left, when they did not get to the end */
	if (mod_loaded())
		mod_unload();
	daemon_stop(SIGTERM);
	keys_remove();
	return status;
}
