// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * handshake_test: libquic's TLS handshake for QUIC sockets, with no kernel.
 *
 * The socket side of the kernel is emulated here: the binary is linked with
 *	-Wl,--wrap=setsockopt,--wrap=getsockopt,--wrap=sendmsg,--wrap=recvmsg
 * so that libquic's calls on the test's sockets (real AF_UNIX socketpair
 * fds, used only as names) land in the __wrap_* functions below, which do
 * what the kernel does for a QUIC socket during the handshake: keep the
 * installed secrets per level and direction, hand out the local transport
 * parameters and keep the peer's, keep ALPN and CONNECTION_CLOSE, and carry
 * the handshake bytes of one socket's sendmsg() (with the level of its
 * QUIC_HANDSHAKE_INFO cmsg) to the other socket's recvmsg(), one level per
 * recvmsg().  1-RTT handshake data sent to a client (NewSessionTicket) is
 * kept for QUIC_SOCKOPT_SESSION_TICKET, as the kernel does.
 *
 * Two ways of driving a client and a server:
 * - the step API (quic_handshake_init/step), both in this thread, with
 *   the test moving the bytes: sessions the test sets up itself;
 * - the blocking calls (quic_client_handshake, quic_server_handshake,
 *   quic_handshake) in two threads, through the wrapped sendmsg/recvmsg.
 *
 * The certificates (a CA, a server certificate for "localhost", and another
 * CA with its own "localhost" certificate) and PSK files are tests/lib's
 * (creds.h), made at start in a temporary directory, with the PSK files of
 * the tests here; the PEM bytes of the certificates and keys are read into
 * memory too, for libquic's internal credential functions
 * (libquic/internal.h: libquic.a is linked statically, so its hidden
 * symbols are at hand).  SSLKEYLOGFILE is set at start to a file there.
 * libquic's log is kept for the checks (log_has()).
 *
 * Prints TAP (tests/tap.h), each test isolated in a child of its own
 * (tests/lib/runner.h); -v or QUIC_TEST_VERBOSE=1 shows libquic's log on
 * stderr.
 *
 * Usage: handshake_test [-v] [-l] [-t GLOB]...
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <linux/tls.h>
#include <linux/quic.h>
#include <netinet/quic.h>
#include <gnutls/gnutls.h>

#include "lib/testlib.h"
#include "internal.h"	/* libquic's: struct quic_cred, quic_hs_get() */

#define TEST_TMO	30	/* seconds, each test */

/* ================================================== the emulated kernel */

#define KS_MAX		1024
#define K_TICKET_MAX	8192
#define K_TIMEOUT_MS	5000

struct kchunk {
	struct kchunk	*next;
	uint8_t		level;
	size_t		len, off;
	uint8_t		data[];
};

struct ksecret {
	int		set;
	uint32_t	type;
	uint8_t		secret[QUIC_CRYPTO_SECRET_BUFFER_SIZE];
	int		seq;		/* order of installation, process-wide */
	size_t		hs_rcvd;	/* Handshake bytes received by then */
};

struct ksock {
	int		fd;
	int		peer;
	int		server;
	struct kchunk	*in, *in_tail;		/* handshake data to receive */
	int		closed;			/* the application gave up */
	int		close_set;
	struct quic_connection_close close;
	struct ksecret	sec[QUIC_CRYPTO_MAX][2];	/* [level][send] */
	int		established;		/* 1-RTT send secret set */
	uint8_t		tp_local[64];
	size_t		tp_local_len;
	int		tp_get_errno;		/* make the get fail */
	int		tp_set_errno;		/* make the set fail */
	uint8_t		tp_peer[256];
	size_t		tp_peer_len;
	int		tp_set_count;
	char		alpn_sock[128];		/* what ALPN get returns */
	char		alpn_set[128];		/* what was set */
	int		alpn_set_count;
	uint8_t		ticket[K_TICKET_MAX];	/* client: NewSessionTickets */
	size_t		ticket_len;
	int		has_ticket_key;		/* server */
	size_t		sent[QUIC_CRYPTO_MAX], rcvd[QUIC_CRYPTO_MAX];
	int		sendmsgs[QUIC_CRYPTO_MAX];
	size_t		chunk;			/* most bytes per recvmsg */
	int		timeout_ms;		/* SO_RCVTIMEO */
	void		(*tamper)(uint8_t level, uint8_t *data, size_t len);
};

static struct ksock *ks[KS_MAX];
static pthread_mutex_t klock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t kcond = PTHREAD_COND_INITIALIZER;
static int kseq;
static int wrapped_io;		/* sendmsg/recvmsg calls that reached us */

static const uint8_t ticket_key[64] = "a session ticket key of sixty-four bytes, the same every time..";
static const char client_tp[] = "client transport parameters";
static const char server_tp[] = "server transport parameters";

static struct ksock *kfind(int fd)
{
	return fd >= 0 && fd < KS_MAX ? ks[fd] : NULL;
}

/* Queue @len bytes of @level on @k's peer, as the network would. */
static void kpush(struct ksock *k, uint8_t level, const uint8_t *data,
		  size_t len)
{
	struct ksock *peer = kfind(k->peer);
	struct kchunk *c;

	k->sent[level] += len;
	k->sendmsgs[level]++;
	if (!peer)
		return;
	if (level == QUIC_CRYPTO_APP && !peer->server) {
		/* a client's kernel keeps tickets for SESSION_TICKET */
		if (peer->ticket_len + len <= sizeof(peer->ticket)) {
			memcpy(peer->ticket + peer->ticket_len, data, len);
			peer->ticket_len += len;
		}
		return;
	}
	c = malloc(sizeof(*c) + len);
	if (!c)
		abort();
	c->next = NULL;
	c->level = level;
	c->len = len;
	c->off = 0;
	memcpy(c->data, data, len);
	if (peer->in_tail)
		peer->in_tail->next = c;
	else
		peer->in = c;
	peer->in_tail = c;
	pthread_cond_broadcast(&kcond);
}

static ssize_t kern_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct cmsghdr *cmsg;
	struct ksock *k;
	uint8_t level, *buf;
	size_t len = 0, i;

	(void)flags;
	pthread_mutex_lock(&klock);
	k = kfind(fd);
	if (!k) {
		pthread_mutex_unlock(&klock);
		errno = ENOTSOCK;
		return -1;
	}
	cmsg = CMSG_FIRSTHDR(msg);
	if (!cmsg || cmsg->cmsg_level != SOL_QUIC ||
	    cmsg->cmsg_type != QUIC_HANDSHAKE_INFO ||
	    cmsg->cmsg_len != CMSG_LEN(sizeof(struct quic_handshake_info)) ||
	    CMSG_NXTHDR((struct msghdr *)msg, cmsg)) {
		pthread_mutex_unlock(&klock);
		errno = EINVAL;
		return -1;
	}
	level = *CMSG_DATA(cmsg);
	/* the kernel can only send at a level it has the keys of */
	if ((level != QUIC_CRYPTO_INITIAL && level != QUIC_CRYPTO_HANDSHAKE &&
	     level != QUIC_CRYPTO_APP) ||
	    (level != QUIC_CRYPTO_INITIAL && !k->sec[level][1].set)) {
		pthread_mutex_unlock(&klock);
		errno = EINVAL;
		return -1;
	}
	if (k->closed) {
		pthread_mutex_unlock(&klock);
		errno = EPIPE;
		return -1;
	}
	for (i = 0; i < msg->msg_iovlen; i++)
		len += msg->msg_iov[i].iov_len;
	buf = malloc(len ? len : 1);
	if (!buf)
		abort();
	len = 0;
	for (i = 0; i < msg->msg_iovlen; i++) {
		memcpy(buf + len, msg->msg_iov[i].iov_base,
		       msg->msg_iov[i].iov_len);
		len += msg->msg_iov[i].iov_len;
	}
	if (k->tamper)
		k->tamper(level, buf, len);
	kpush(k, level, buf, len);
	free(buf);
	pthread_mutex_unlock(&klock);
	return (ssize_t)len;
}

/* One level's bytes per call, a prefix when the buffer is short. */
static ssize_t kern_recvmsg(int fd, struct msghdr *msg, int flags, int block)
{
	struct quic_handshake_info info;
	struct cmsghdr *cmsg;
	struct timespec deadline;
	struct ksock *k, *peer;
	struct kchunk *c;
	size_t n;

	(void)flags;
	pthread_mutex_lock(&klock);
	k = kfind(fd);
	if (!k) {
		pthread_mutex_unlock(&klock);
		errno = ENOTSOCK;
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += k->timeout_ms / 1000;
	deadline.tv_nsec += (long)(k->timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	while (!k->in) {
		peer = kfind(k->peer);
		if (!peer || peer->closed) {
			errno = peer && peer->close_set ? ECONNREFUSED
							: ECONNRESET;
			pthread_mutex_unlock(&klock);
			return -1;
		}
		if (!block ||
		    pthread_cond_timedwait(&kcond, &klock, &deadline)) {
			if (k->in)
				break;
			pthread_mutex_unlock(&klock);
			errno = EAGAIN;
			return -1;
		}
	}
	c = k->in;
	n = c->len - c->off;
	if (n > msg->msg_iov[0].iov_len)
		n = msg->msg_iov[0].iov_len;
	if (k->chunk && n > k->chunk)
		n = k->chunk;
	memcpy(msg->msg_iov[0].iov_base, c->data + c->off, n);
	msg->msg_flags = 0;
	if (msg->msg_controllen < CMSG_SPACE(sizeof(info))) {
		msg->msg_flags |= MSG_CTRUNC;
		msg->msg_controllen = 0;
	} else {
		cmsg = CMSG_FIRSTHDR(msg);
		cmsg->cmsg_level = SOL_QUIC;
		cmsg->cmsg_type = QUIC_HANDSHAKE_INFO;
		cmsg->cmsg_len = CMSG_LEN(sizeof(info));
		info.crypto_level = c->level;
		memcpy(CMSG_DATA(cmsg), &info, sizeof(info));
		msg->msg_controllen = CMSG_SPACE(sizeof(info));
	}
	k->rcvd[c->level] += n;
	c->off += n;
	if (c->off == c->len) {
		k->in = c->next;
		if (!k->in)
			k->in_tail = NULL;
		free(c);
	}
	pthread_mutex_unlock(&klock);
	return (ssize_t)n;
}

int __real_setsockopt(int fd, int level, int name, const void *val,
		      socklen_t len);
int __real_getsockopt(int fd, int level, int name, void *val,
		      socklen_t *len);
ssize_t __real_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t __real_recvmsg(int fd, struct msghdr *msg, int flags);

int __wrap_setsockopt(int fd, int level, int name, const void *val,
		      socklen_t len);
int __wrap_getsockopt(int fd, int level, int name, void *val,
		      socklen_t *len);
ssize_t __wrap_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t __wrap_recvmsg(int fd, struct msghdr *msg, int flags);

static int kerr(int err)
{
	pthread_mutex_unlock(&klock);
	errno = err;
	return -1;
}

int __wrap_setsockopt(int fd, int level, int name, const void *val,
		      socklen_t len)
{
	const struct quic_crypto_secret *s = val;
	struct ksecret *slot;
	struct ksock *k;

	if (level != SOL_QUIC)
		return __real_setsockopt(fd, level, name, val, len);
	pthread_mutex_lock(&klock);
	k = kfind(fd);
	if (!k)
		return kerr(ENOTSOCK);
	switch (name) {
	case QUIC_SOCKOPT_CRYPTO_SECRET:
		if (len != sizeof(*s) || s->level >= QUIC_CRYPTO_MAX ||
		    s->level == QUIC_CRYPTO_INITIAL || s->send > 1 ||
		    s->type < TLS_CIPHER_AES_GCM_128 ||
		    s->type > TLS_CIPHER_CHACHA20_POLY1305)
			return kerr(EINVAL);
		slot = &k->sec[s->level][s->send];
		if (slot->set)
			return kerr(EEXIST);
		slot->set = 1;
		slot->type = s->type;
		memcpy(slot->secret, s->secret, sizeof(slot->secret));
		slot->seq = ++kseq;
		slot->hs_rcvd = k->rcvd[QUIC_CRYPTO_HANDSHAKE];
		if (s->level == QUIC_CRYPTO_APP && s->send)
			k->established = 1;
		break;
	case QUIC_SOCKOPT_TRANSPORT_PARAM_EXT:
		if (k->tp_set_errno)
			return kerr(k->tp_set_errno);
		if (k->established)
			return kerr(EISCONN);
		if (len > sizeof(k->tp_peer))
			return kerr(EINVAL);
		memcpy(k->tp_peer, val, len);
		k->tp_peer_len = len;
		k->tp_set_count++;
		break;
	case QUIC_SOCKOPT_ALPN:
		if (k->established)
			return kerr(EISCONN);
		if (len >= sizeof(k->alpn_set))
			return kerr(EINVAL);
		memcpy(k->alpn_set, val, len);
		k->alpn_set[len] = '\0';
		k->alpn_set_count++;
		break;
	case QUIC_SOCKOPT_CONNECTION_CLOSE:
		if (len < sizeof(k->close))
			return kerr(EINVAL);
		memcpy(&k->close, val, sizeof(k->close));
		k->close_set = 1;
		break;
	default:
		return kerr(ENOPROTOOPT);
	}
	pthread_mutex_unlock(&klock);
	return 0;
}

int __wrap_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	struct ksock *k;
	size_t n;

	if (level != SOL_QUIC)
		return __real_getsockopt(fd, level, name, val, len);
	pthread_mutex_lock(&klock);
	k = kfind(fd);
	if (!k)
		return kerr(ENOTSOCK);
	switch (name) {
	case QUIC_SOCKOPT_TRANSPORT_PARAM_EXT:
		if (k->tp_get_errno)
			return kerr(k->tp_get_errno);
		if (*len < k->tp_local_len)
			return kerr(EINVAL);
		memcpy(val, k->tp_local, k->tp_local_len);
		*len = (socklen_t)k->tp_local_len;
		break;
	case QUIC_SOCKOPT_ALPN:
		n = strlen(k->alpn_sock);
		if (*len < n)
			return kerr(EINVAL);
		memcpy(val, k->alpn_sock, n);
		*len = (socklen_t)n;
		break;
	case QUIC_SOCKOPT_SESSION_TICKET:
		if (k->server) {
			n = k->has_ticket_key ? sizeof(ticket_key) : 0;
			if (*len < n)
				return kerr(EINVAL);
			memcpy(val, ticket_key, n);
		} else {
			n = k->ticket_len;
			if (*len < n)
				return kerr(EINVAL);
			memcpy(val, k->ticket, n);
		}
		*len = (socklen_t)n;
		break;
	default:
		return kerr(ENOPROTOOPT);
	}
	pthread_mutex_unlock(&klock);
	return 0;
}

ssize_t __wrap_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	if (!kfind(fd))
		return __real_sendmsg(fd, msg, flags);
	__atomic_add_fetch(&wrapped_io, 1, __ATOMIC_RELAXED);
	return kern_sendmsg(fd, msg, flags);
}

ssize_t __wrap_recvmsg(int fd, struct msghdr *msg, int flags)
{
	if (!kfind(fd))
		return __real_recvmsg(fd, msg, flags);
	__atomic_add_fetch(&wrapped_io, 1, __ATOMIC_RELAXED);
	return kern_recvmsg(fd, msg, flags, 1);
}

/* A connected pair: the client's socket and the server's. */
struct kpair {
	int		cfd, sfd;
	struct ksock	*c, *s;
};

static int kpair_open(struct kpair *p)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -1;
	if (sv[0] >= KS_MAX || sv[1] >= KS_MAX) {
		close(sv[0]);
		close(sv[1]);
		errno = EMFILE;
		return -1;
	}
	p->cfd = sv[0];
	p->sfd = sv[1];
	p->c = calloc(1, sizeof(*p->c));
	p->s = calloc(1, sizeof(*p->s));
	if (!p->c || !p->s)
		abort();
	p->c->fd = p->cfd;
	p->c->peer = p->sfd;
	p->s->fd = p->sfd;
	p->s->peer = p->cfd;
	p->s->server = 1;
	p->c->timeout_ms = K_TIMEOUT_MS;
	p->s->timeout_ms = K_TIMEOUT_MS;
	memcpy(p->c->tp_local, client_tp, sizeof(client_tp) - 1);
	p->c->tp_local_len = sizeof(client_tp) - 1;
	memcpy(p->s->tp_local, server_tp, sizeof(server_tp) - 1);
	p->s->tp_local_len = sizeof(server_tp) - 1;
	pthread_mutex_lock(&klock);
	ks[p->cfd] = p->c;
	ks[p->sfd] = p->s;
	pthread_mutex_unlock(&klock);
	return 0;
}

static void kpair_close(struct kpair *p)
{
	struct ksock *k[2] = { p->c, p->s };
	struct kchunk *c;
	int i;

	pthread_mutex_lock(&klock);
	ks[p->cfd] = NULL;
	ks[p->sfd] = NULL;
	pthread_mutex_unlock(&klock);
	for (i = 0; i < 2; i++) {
		while ((c = k[i]->in)) {
			k[i]->in = c->next;
			free(c);
		}
		free(k[i]);
	}
	close(p->cfd);
	close(p->sfd);
}

static void kclose(int fd)
{
	struct ksock *k;

	pthread_mutex_lock(&klock);
	k = kfind(fd);
	if (k)
		k->closed = 1;
	pthread_cond_broadcast(&kcond);
	pthread_mutex_unlock(&klock);
}

/* ===================================================== files and keys */

/* Beside creds.h's files, in creds.dir: the PSK files of the tests here
 * (a client's with a comment, a server's with two identities, one of an
 * identity the server lacks), a file that is neither a key nor PSKs, and
 * the key log.
 */
static char f_psk[300], f_psk_srv[300], f_psk_bob[300];
static char f_garbage[300];
static char f_keylog[300];

/* The PEM bytes of creds.h's files: [0] the CA, [1] the server's
 * certificate, [2] its key.
 */
static gnutls_datum_t pem_good[3], pem_rogue[3];

static gnutls_anti_replay_t anti_replay;

static int ar_add(void *p, time_t t, const gnutls_datum_t *k,
		  const gnutls_datum_t *d)
{
	(void)p;
	(void)t;
	(void)k;
	(void)d;
	return 0;
}

/* In the runner, after creds_setup(): what every test inherits. */
static int setup(void)
{
	const char *good[3] = { creds.ca, creds.srv_cert, creds.srv_key };
	const char *rogue[3] = { creds.rogue_ca, creds.rogue_cert,
				 creds.rogue_key };
	int i;

	/* before any handshake: GnuTLS reads it once */
	snprintf(f_keylog, sizeof(f_keylog), "%s/keylog.txt", creds.dir);
	setenv("SSLKEYLOGFILE", f_keylog, 1);
	if (creds_file(f_psk, sizeof(f_psk), "client.psk",
		       "# a comment\n\nalice:%s\n", psk_hex) ||
	    creds_file(f_psk_srv, sizeof(f_psk_srv), "server.psk",
		       "carol:%s\nalice:%s\n", psk_hex_wrong, psk_hex) ||
	    creds_file(f_psk_bob, sizeof(f_psk_bob), "bob.psk", "bob:%s\n",
		       psk_hex) ||
	    creds_file(f_garbage, sizeof(f_garbage), "garbage.txt",
		       "neither a key nor PSKs\n"))
		return -1;
	for (i = 0; i < 3; i++)
		if (gnutls_load_file(good[i], &pem_good[i]) ||
		    gnutls_load_file(rogue[i], &pem_rogue[i]))
			return -1;
	if (gnutls_anti_replay_init(&anti_replay))
		return -1;
	gnutls_anti_replay_set_add_function(anti_replay, ar_add);
	return 0;
}

/* ======================================== sessions set up by the test */

struct cfg {
	const char	*prio_c, *prio_s;	/* NULL: QUIC_PRIORITY */
	const char	*alpn_c, *alpn_s;
	const char	*host;			/* verified name */
	const char	*cert, *key;		/* the server's */
	int		tickets;		/* server: issue, accept 0-RTT */
	const void	*sessdata;		/* client: resume */
	size_t		sesslen;
	/* libquic's credentials instead of the test's own: quic_cred_apply()
	 * sets them and their priority (prio_c and prio_s are not used)
	 */
	const struct quic_cred	*qcred_c, *qcred_s;
	struct quic_psk_match	*match_s;	/* for a server with PSKs */
};

static gnutls_session_t new_client(const struct cfg *cfg, int fd)
{
	const char *host = cfg->host ? cfg->host : "localhost";
	gnutls_session_t s;

	if (gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_ENABLE_EARLY_DATA |
			    GNUTLS_NO_END_OF_EARLY_DATA))
		return NULL;
	if ((cfg->qcred_c ? quic_cred_apply(s, cfg->qcred_c, NULL) :
	     gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE,
				    creds.x509_cli) ||
	     gnutls_priority_set_direct(s, cfg->prio_c ? cfg->prio_c :
					QUIC_PRIORITY, NULL)) ||
	    gnutls_server_name_set(s, GNUTLS_NAME_DNS, host, strlen(host)) ||
	    (cfg->alpn_c && quic_session_set_alpn(s, cfg->alpn_c,
						  strlen(cfg->alpn_c))) ||
	    (cfg->sessdata && quic_session_set_data(s, cfg->sessdata,
						    cfg->sesslen))) {
		gnutls_deinit(s);
		return NULL;
	}
	if (!cfg->qcred_c || cfg->qcred_c->x509)
		gnutls_session_set_verify_cert(s, host, 0);
	gnutls_transport_set_int(s, fd);
	return s;
}

static gnutls_session_t new_server(const struct cfg *cfg, int fd)
{
	gnutls_datum_t key = { (unsigned char *)ticket_key,
			       sizeof(ticket_key) };
	gnutls_session_t s;

	if (gnutls_init(&s, GNUTLS_SERVER | GNUTLS_ENABLE_EARLY_DATA |
			    GNUTLS_NO_END_OF_EARLY_DATA |
			    GNUTLS_NO_AUTO_SEND_TICKET))
		return NULL;
	if ((cfg->qcred_s ? quic_cred_apply(s, cfg->qcred_s, cfg->match_s) :
	     gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE,
				    cfg->cert ? creds.x509_rogue :
						creds.x509_srv) ||
	     gnutls_priority_set_direct(s, cfg->prio_s ? cfg->prio_s :
					QUIC_PRIORITY, NULL)) ||
	    (cfg->alpn_s && quic_session_set_alpn(s, cfg->alpn_s,
						  strlen(cfg->alpn_s)))) {
		gnutls_deinit(s);
		return NULL;
	}
	if (cfg->tickets) {
		if (gnutls_session_ticket_enable_server(s, &key) ||
		    gnutls_record_set_max_early_data_size(s, 0xffffffffu)) {
			gnutls_deinit(s);
			return NULL;
		}
		gnutls_anti_replay_enable(s, anti_replay);
	}
	gnutls_transport_set_int(s, fd);
	return s;
}

/* ============================================ driving the step API */

struct side {
	gnutls_session_t		s;
	int				fd;
	struct quic_handshake_step	*step;
	int				ret;
	int				done;
	int				started;
	/* a plain GnuTLS peer with QUIC hooks but no libquic */
	int				raw;
	uint8_t				rbuf[65536];
};

/* Make one move for @x; false if it had nothing to do. */
static bool side_move(struct side *x)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct quic_handshake_info))];
		struct cmsghdr align;
	} ctl;
	struct msghdr msg = {};
	struct iovec iov;
	ssize_t r;

	if (x->raw) {
		iov.iov_base = x->rbuf;
		iov.iov_len = sizeof(x->rbuf);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		r = kern_recvmsg(x->fd, &msg, 0, 0);
		if (r < 0) {
			if (errno == EAGAIN)
				return false;
			x->ret = -errno;
			x->done = 1;
			return true;
		}
		x->ret = gnutls_handshake_write(x->s,
				*CMSG_DATA(CMSG_FIRSTHDR(&msg)) ==
				QUIC_CRYPTO_HANDSHAKE ?
				GNUTLS_ENCRYPTION_LEVEL_HANDSHAKE :
				GNUTLS_ENCRYPTION_LEVEL_INITIAL, x->rbuf,
				(size_t)r);
		if (!x->ret)
			x->ret = gnutls_handshake(x->s);
		if (x->ret == GNUTLS_E_AGAIN)
			x->ret = 0;
		else
			x->done = 1;
		if (x->ret)
			kclose(x->fd);
		return true;
	}

	if (x->step->op == QUIC_HANDSHAKE_STEP_OP_SENDMSG) {
		r = kern_sendmsg(x->fd, x->step->s_sendmsg.msg,
				 x->step->s_sendmsg.flags);
	} else {
		r = kern_recvmsg(x->fd, x->step->s_recvmsg.msg,
				 x->step->s_recvmsg.flags, 0);
		if (r < 0 && errno == EAGAIN)
			return false;
	}
	x->step->retval = r;
	x->ret = quic_handshake_step(x->s, &x->step);
	if (x->ret) {
		x->done = 1;
		kclose(x->fd);	/* as the application would */
	} else if (!x->step) {
		x->done = 1;
	}
	return true;
}

static void side_start(struct side *x)
{
	if (x->started)
		return;
	x->started = 1;
	if (x->raw) {
		x->ret = gnutls_handshake(x->s);
		if (x->ret == GNUTLS_E_AGAIN)
			x->ret = 0;
		return;
	}
	x->ret = quic_handshake_init(x->s, &x->step);
	if (x->ret) {
		x->done = 1;
		kclose(x->fd);
	} else if (!x->step) {
		x->done = 1;
	}
}

/* Run both to the end; false if they got stuck, each waiting for the
 * other.  The step API's sessions are deinit'ed.
 */
static bool drive(struct side *c, struct side *s)
{
	int rounds;
	bool moved;

	side_start(c);
	side_start(s);
	for (rounds = 0; rounds < 100000 && !(c->done && s->done); rounds++) {
		moved = false;
		if (!c->done)
			moved |= side_move(c);
		if (!s->done)
			moved |= side_move(s);
		if (!moved)
			break;
	}
	if (!c->raw)
		quic_handshake_deinit(c->s);
	if (!s->raw)
		quic_handshake_deinit(s->s);
	if (!(c->done && s->done))
		tap_diag("stuck: client %s (%d), server %s (%d)",
			 c->done ? "done" : "waiting", c->ret,
			 s->done ? "done" : "waiting", s->ret);
	return c->done && s->done;
}

/* A whole step-API handshake with sessions made from @cfg. */
struct run {
	struct kpair	p;
	struct side	c, s;
	bool		finished;
};

static struct run *run_new(const struct cfg *cfg)
{
	struct run *r = calloc(1, sizeof(*r));

	if (!r || kpair_open(&r->p)) {
		free(r);
		return NULL;
	}
	r->c.fd = r->p.cfd;
	r->s.fd = r->p.sfd;
	r->c.s = new_client(cfg, r->p.cfd);
	r->s.s = new_server(cfg, r->p.sfd);
	if (!r->c.s || !r->s.s) {
		tap_diag("setting up the sessions failed");
		if (r->c.s)
			gnutls_deinit(r->c.s);
		if (r->s.s)
			gnutls_deinit(r->s.s);
		kpair_close(&r->p);
		free(r);
		return NULL;
	}
	return r;
}

static void run_free(struct run *r)
{
	if (!r)
		return;
	gnutls_deinit(r->c.s);
	gnutls_deinit(r->s.s);
	kpair_close(&r->p);
	free(r);
}

static struct run *run_cfg(const struct cfg *cfg)
{
	struct run *r = run_new(cfg);
	int io = __atomic_load_n(&wrapped_io, __ATOMIC_RELAXED);

	if (!r)
		return NULL;
	r->finished = drive(&r->c, &r->s);
	/* the step API makes no sendmsg/recvmsg of its own */
	if (__atomic_load_n(&wrapped_io, __ATOMIC_RELAXED) != io) {
		tap_diag("the step API called sendmsg/recvmsg itself");
		r->finished = false;
	}
	return r;
}

/* ======================================================== checks */

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* Both directions of @level: the client's send secret is the server's
 * receive secret and the other way round, of cipher @type.
 */
static void check_level(struct ksock *c, struct ksock *s, int level,
			uint32_t type)
{
	size_t size = type == TLS_CIPHER_AES_GCM_256 ? 48 : 32;
	int d;

	for (d = 0; d < 2; d++) {
		struct ksecret *a = &c->sec[level][d], *b = &s->sec[level][!d];

		if (!CHECK(a->set && b->set)) {
			tap_diag("level %d %s: client %s, server %s", level,
				 d ? "client->server" : "server->client",
				 a->set ? "set" : "unset",
				 b->set ? "set" : "unset");
			continue;
		}
		CHECK(!memcmp(a->secret, b->secret, sizeof(a->secret)));
		CHECK_EQ(a->type, type);
		CHECK_EQ(b->type, type);
		CHECK(!all_zero(a->secret, size));
		CHECK(all_zero(a->secret + size, sizeof(a->secret) - size));
	}
}

/* A full successful handshake's secrets and transport parameters. */
static void check_complete(struct kpair *p, uint32_t type)
{
	struct ksock *c = p->c, *s = p->s;
	int d;

	check_level(c, s, QUIC_CRYPTO_HANDSHAKE, type);
	check_level(c, s, QUIC_CRYPTO_APP, type);
	for (d = 0; d < 2; d++) {
		CHECK(!c->sec[QUIC_CRYPTO_INITIAL][d].set);
		CHECK(!s->sec[QUIC_CRYPTO_INITIAL][d].set);
	}
	/* 1-RTT: receive before send, both after the Handshake ones */
	CHECK(c->sec[QUIC_CRYPTO_APP][0].seq < c->sec[QUIC_CRYPTO_APP][1].seq);
	CHECK(s->sec[QUIC_CRYPTO_APP][0].seq < s->sec[QUIC_CRYPTO_APP][1].seq);
	CHECK(c->sec[QUIC_CRYPTO_HANDSHAKE][1].seq <
	      c->sec[QUIC_CRYPTO_APP][0].seq);
	CHECK(s->sec[QUIC_CRYPTO_HANDSHAKE][1].seq <
	      s->sec[QUIC_CRYPTO_APP][0].seq);
	/* and only at completion: once each had all the peer's Handshake
	 * data (the server: the client's Finished)
	 */
	CHECK_EQ(s->sec[QUIC_CRYPTO_APP][0].hs_rcvd, c->sent[QUIC_CRYPTO_HANDSHAKE]);
	CHECK_EQ(s->sec[QUIC_CRYPTO_APP][1].hs_rcvd, c->sent[QUIC_CRYPTO_HANDSHAKE]);
	CHECK_EQ(c->sec[QUIC_CRYPTO_APP][1].hs_rcvd, s->sent[QUIC_CRYPTO_HANDSHAKE]);
	CHECK(c->sent[QUIC_CRYPTO_HANDSHAKE] > 0);
	/* the transport parameters went both ways, once */
	CHECK_EQ(c->tp_set_count, 1);
	CHECK_EQ(s->tp_set_count, 1);
	CHECK(c->tp_peer_len == sizeof(server_tp) - 1 &&
	      !memcmp(c->tp_peer, server_tp, c->tp_peer_len));
	CHECK(s->tp_peer_len == sizeof(client_tp) - 1 &&
	      !memcmp(s->tp_peer, client_tp, s->tp_peer_len));
	CHECK(!c->close_set);
	CHECK(!s->close_set);
	/* everything sent was received */
	CHECK(!c->in);
	CHECK(!s->in);
}

static void check_close(struct ksock *k, uint32_t errcode)
{
	if (!CHECK(k->close_set))
		return;
	if (!CHECK_EQ(k->close.errcode, errcode))
		tap_diag("phrase \"%s\"", (const char *)k->close.phrase);
	CHECK(k->close.phrase[0] != '\0');
}

/* ============================================== step-API test cases */

static void test_x509(const void *arg)
{
	struct cfg cfg = {};
	struct run *r = run_cfg(&cfg);

	(void)arg;
	REQUIRE(r);
	CHECK(r->finished);
	CHECK_EQ(r->c.ret, 0);
	CHECK_EQ(r->s.ret, 0);
	check_complete(&r->p, TLS_CIPHER_AES_GCM_128);
	/* no 0-RTT without resumption */
	CHECK(!r->p.c->sec[QUIC_CRYPTO_EARLY][1].set);
	CHECK(!r->p.s->sec[QUIC_CRYPTO_EARLY][0].set);
	CHECK(!gnutls_session_is_resumed(r->c.s));
	/* no ticket key: no NewSessionTicket */
	CHECK_EQ(r->p.s->sent[QUIC_CRYPTO_APP], 0);
	/* no ALPN offered: none set on the sockets */
	CHECK_EQ(r->p.c->alpn_set_count, 0);
	CHECK_EQ(r->p.s->alpn_set_count, 0);
	/* the server's flight: one Initial and one Handshake sendmsg */
	CHECK_EQ(r->p.s->sendmsgs[QUIC_CRYPTO_INITIAL], 1);
	CHECK_EQ(r->p.s->sendmsgs[QUIC_CRYPTO_HANDSHAKE], 1);
	CHECK_EQ(r->p.c->sendmsgs[QUIC_CRYPTO_INITIAL], 1);
	CHECK_EQ(r->p.c->sendmsgs[QUIC_CRYPTO_HANDSHAKE], 1);
	run_free(r);
}

/* One cipher suite alone: its GnuTLS name, the kernel's type. */
struct cipher_case {
	const char	*name;
	uint32_t	type;
};

static const struct cipher_case ciphers[] = {
	{ "AES-128-GCM", TLS_CIPHER_AES_GCM_128 },
	{ "AES-256-GCM", TLS_CIPHER_AES_GCM_256 },
	{ "AES-128-CCM", TLS_CIPHER_AES_CCM_128 },
	{ "CHACHA20-POLY1305", TLS_CIPHER_CHACHA20_POLY1305 },
};

static void test_cipher(const void *arg)
{
	const struct cipher_case *k = arg;
	char prio[512];
	struct cfg cfg = {};
	struct run *r;

	snprintf(prio, sizeof(prio),
		 "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+%s:"
		 "%%DISABLE_TLS13_COMPAT_MODE", k->name);
	cfg.prio_c = prio;
	cfg.prio_s = prio;
	r = run_cfg(&cfg);
	REQUIRE(r);
	CHECK(r->finished);
	CHECK_EQ(r->c.ret, 0);
	CHECK_EQ(r->s.ret, 0);
	check_complete(&r->p, k->type);
	run_free(r);
}

static void test_alpn(const void *arg)
{
	struct cfg cfg = { .alpn_c = "smbd,h3", .alpn_s = "h3" };
	struct run *r = run_cfg(&cfg);
	char alpn[16];
	size_t len = sizeof(alpn);

	(void)arg;
	REQUIRE(r);
	CHECK(r->finished);
	CHECK_EQ(r->c.ret, 0);
	CHECK_EQ(r->s.ret, 0);
	check_complete(&r->p, TLS_CIPHER_AES_GCM_128);
	CHECK_EQ(quic_session_get_alpn(r->c.s, alpn, &len), 0);
	CHECK(len == 2 && !strcmp(alpn, "h3"));
	len = sizeof(alpn);
	CHECK_EQ(quic_session_get_alpn(r->s.s, alpn, &len), 0);
	CHECK(len == 2 && !strcmp(alpn, "h3"));
	len = 1;
	CHECK_EQ(quic_session_get_alpn(r->s.s, alpn, &len), -ENOSPC);
	CHECK_EQ(len, 2);
	/* the kernel was told, before the handshake was complete there */
	CHECK_EQ(r->p.c->alpn_set_count, 1);
	CHECK_EQ(r->p.s->alpn_set_count, 1);
	CHECK(!strcmp(r->p.c->alpn_set, "h3"));
	CHECK(!strcmp(r->p.s->alpn_set, "h3"));
	run_free(r);
}

static void test_alpn_mismatch(const void *arg)
{
	struct cfg cfg = { .alpn_c = "smbd", .alpn_s = "h3" };
	struct run *r = run_cfg(&cfg);

	(void)arg;
	REQUIRE(r);
	CHECK(r->finished);
	CHECK_EQ(r->s.ret, -EPROTO);
	CHECK_EQ(r->c.ret, -ECONNREFUSED);
	check_close(r->p.s, 0x100 + GNUTLS_A_NO_APPLICATION_PROTOCOL);
	CHECK(!r->p.s->sec[QUIC_CRYPTO_APP][1].set);
	CHECK(!r->p.c->sec[QUIC_CRYPTO_APP][1].set);
	run_free(r);
}

/* RFC 9001 section 8.1 on the client: offered, none agreed. */
static void test_alpn_server_none(const void *arg)
{
	struct cfg cfg = { .alpn_c = "h3" };
	struct run *r = run_cfg(&cfg);

	(void)arg;
	REQUIRE(r);
	CHECK(r->finished);
	CHECK_EQ(r->c.ret, -EPROTO);
	check_close(r->p.c, 0x100 + GNUTLS_A_NO_APPLICATION_PROTOCOL);
	CHECK(!r->p.c->sec[QUIC_CRYPTO_APP][0].set);
	CHECK(!r->p.c->sec[QUIC_CRYPTO_APP][1].set);
	CHECK(log_has("selected no application protocol"));
	run_free(r);
}

static void test_wrong_host_step(const void *arg)
{
	struct cfg cfg = { .host = "example.org" };
	struct run *r = run_cfg(&cfg);

	(void)arg;
	REQUIRE(r);
	CHECK(r->finished);
	CHECK_EQ(r->c.ret, -EKEYREJECTED);
	CHECK_EQ(r->s.ret, -ECONNREFUSED);
	check_close(r->p.c, 0x100 + GNUTLS_A_BAD_CERTIFICATE);
	CHECK(!r->p.c->sec[QUIC_CRYPTO_APP][1].set);
	/* the client sent nothing after the ClientHello */
	CHECK_EQ(r->p.c->sent[QUIC_CRYPTO_HANDSHAKE], 0);
	run_free(r);
}

/* Rename extension @from to @to in a ClientHello or EncryptedExtensions
 * (handshake message at the start of @data).
 */
static void rename_ext(uint8_t *p, size_t len, unsigned int from,
		       unsigned int to)
{
	size_t off, end, n;

	if (len < 4)
		return;
	end = 4 + ((size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3]);
	if (end > len)
		return;
	if (p[0] == GNUTLS_HANDSHAKE_CLIENT_HELLO) {
		off = 4 + 2 + 32;
		off += 1 + p[off];
		off += 2 + ((size_t)p[off] << 8 | p[off + 1]);
		off += 1 + p[off];
	} else if (p[0] == GNUTLS_HANDSHAKE_ENCRYPTED_EXTENSIONS) {
		off = 4;
	} else {
		return;
	}
	n = (size_t)p[off] << 8 | p[off + 1];
	off += 2;
	if (off + n < end)
		end = off + n;
	while (off + 4 <= end) {
		if (((unsigned int)p[off] << 8 | p[off + 1]) == from) {
			p[off] = (uint8_t)(to >> 8);
			p[off + 1] = (uint8_t)to;
		}
		off += 4 + ((size_t)p[off + 2] << 8 | p[off + 3]);
	}
}

static void tamper_ch_tp(uint8_t level, uint8_t *data, size_t len)
{
	if (level == QUIC_CRYPTO_INITIAL)
		rename_ext(data, len, 0x39, 0xfa39);
}

static void test_missing_tp_server(const void *arg)
{
	struct cfg cfg = {};
	struct run *r = run_new(&cfg);

	(void)arg;
	REQUIRE(r);
	r->p.c->tamper = tamper_ch_tp;
	r->finished = drive(&r->c, &r->s);
	CHECK(r->finished);
	CHECK_EQ(r->s.ret, -EPROTO);
	CHECK_EQ(r->c.ret, -ECONNREFUSED);
	check_close(r->p.s, 0x100 + GNUTLS_A_MISSING_EXTENSION);
	CHECK_EQ(r->p.s->tp_set_count, 0);
	/* the server failed before sending its flight */
	CHECK_EQ(r->p.s->sent[QUIC_CRYPTO_HANDSHAKE], 0);
	CHECK(log_has("no quic_transport_parameters extension"));
	run_free(r);
}

/* The plain GnuTLS peer's hooks: its bytes go straight to the wire. */
static int raw_read(gnutls_session_t s, gnutls_record_encryption_level_t l,
		    gnutls_handshake_description_t t, const void *d, size_t n)
{
	int fd = gnutls_transport_get_int(s);

	(void)t;
	pthread_mutex_lock(&klock);
	kpush(kfind(fd), l == GNUTLS_ENCRYPTION_LEVEL_INITIAL ?
	      QUIC_CRYPTO_INITIAL : l == GNUTLS_ENCRYPTION_LEVEL_HANDSHAKE ?
	      QUIC_CRYPTO_HANDSHAKE : QUIC_CRYPTO_APP, d, n);
	pthread_mutex_unlock(&klock);
	return 0;
}

static int raw_secret(gnutls_session_t s, gnutls_record_encryption_level_t l,
		      const void *r, const void *w, size_t n)
{
	(void)s;
	(void)l;
	(void)r;
	(void)w;
	(void)n;
	return 0;
}

/* A server that does not know QUIC's extension leaves it out. */
static void test_missing_tp_client(const void *arg)
{
	struct cfg cfg = {};
	struct run *r = run_new(&cfg);

	(void)arg;
	REQUIRE(r);
	r->s.raw = 1;
	gnutls_handshake_set_read_function(r->s.s, raw_read);
	gnutls_handshake_set_secret_function(r->s.s, raw_secret);
	r->finished = drive(&r->c, &r->s);
	CHECK(r->finished);
	CHECK_EQ(r->c.ret, -EPROTO);
	check_close(r->p.c, 0x100 + GNUTLS_A_MISSING_EXTENSION);
	CHECK_EQ(r->p.c->tp_set_count, 0);
	CHECK(!r->p.c->sec[QUIC_CRYPTO_APP][1].set);
	CHECK_EQ(r->p.c->sent[QUIC_CRYPTO_HANDSHAKE], 0);
	run_free(r);
}

static void test_tp_get_fails(const void *arg)
{
	struct cfg cfg = {};
	struct run *r = run_new(&cfg);

	(void)arg;
	REQUIRE(r);
	r->p.c->tp_get_errno = ENOPROTOOPT;
	r->finished = drive(&r->c, &r->s);
	CHECK_EQ(r->c.ret, -ENOPROTOOPT);
	CHECK_EQ(r->p.c->sent[QUIC_CRYPTO_INITIAL], 0);
	CHECK(log_has("getting the local transport parameters failed"));
	CHECK(log_has("client handshake failed"));
	run_free(r);
}

static void test_tp_set_refused(const void *arg)
{
	struct cfg cfg = {};
	struct run *r = run_new(&cfg);

	(void)arg;
	REQUIRE(r);
	r->p.s->tp_set_errno = EINVAL;
	r->finished = drive(&r->c, &r->s);
	CHECK(r->finished);
	CHECK_EQ(r->s.ret, -EPROTO);
	check_close(r->p.s, QUIC_TRANSPORT_ERROR_TRANSPORT_PARAM);
	CHECK_EQ(r->c.ret, -ECONNREFUSED);
	run_free(r);
}

static void test_partial_delivery(const void *arg)
{
	struct cfg cfg = { .alpn_c = "h3", .alpn_s = "h3" };
	struct run *r = run_new(&cfg);

	(void)arg;
	REQUIRE(r);
	r->p.c->chunk = 7;
	r->p.s->chunk = 7;
	r->finished = drive(&r->c, &r->s);
	CHECK(r->finished);
	CHECK_EQ(r->c.ret, 0);
	CHECK_EQ(r->s.ret, 0);
	check_complete(&r->p, TLS_CIPHER_AES_GCM_128);
	run_free(r);
}

/* The server takes only P-384: a HelloRetryRequest, two ClientHellos. */
static void test_hello_retry(const void *arg)
{
	struct cfg cfg = {
		.prio_s = "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:"
			  "+GROUP-SECP384R1:%DISABLE_TLS13_COMPAT_MODE",
	};
	struct run *r = run_cfg(&cfg);

	(void)arg;
	REQUIRE(r);
	CHECK(r->finished);
	CHECK_EQ(r->c.ret, 0);
	CHECK_EQ(r->s.ret, 0);
	CHECK_EQ(r->p.c->sendmsgs[QUIC_CRYPTO_INITIAL], 2);
	check_complete(&r->p, TLS_CIPHER_AES_GCM_128);
	run_free(r);
}

/* EINTR, EAGAIN and a short send hand the step back as it was. */
static void test_step_retry(const void *arg)
{
	struct cfg cfg = {};
	struct run *r = run_new(&cfg);
	struct quic_handshake_step *step;
	struct msghdr half;
	struct iovec iov;
	size_t total;
	ssize_t n;
	int ret;

	(void)arg;
	REQUIRE(r);
	REQUIRE_EQ(quic_handshake_init(r->c.s, &r->c.step), 0);
	r->c.started = 1;
	step = r->c.step;
	REQUIRE(step);
	REQUIRE_EQ(step->op, QUIC_HANDSHAKE_STEP_OP_SENDMSG);
	total = step->s_sendmsg.msg->msg_iov[0].iov_len;

	step->retval = -1;
	errno = EINTR;
	ret = quic_handshake_step(r->c.s, &r->c.step);
	CHECK_EQ(ret, 0);
	CHECK(r->c.step == step);
	CHECK_EQ(step->op, QUIC_HANDSHAKE_STEP_OP_SENDMSG);
	CHECK_EQ(step->s_sendmsg.msg->msg_iov[0].iov_len, total);

	/* the kernel takes half */
	half = *step->s_sendmsg.msg;
	iov = step->s_sendmsg.msg->msg_iov[0];
	iov.iov_len = total / 2;
	half.msg_iov = &iov;
	n = kern_sendmsg(r->c.fd, &half, 0);
	CHECK_EQ(n, (ssize_t)(total / 2));
	step->retval = n;
	CHECK_EQ(quic_handshake_step(r->c.s, &r->c.step), 0);
	CHECK(r->c.step == step);
	CHECK_EQ(step->op, QUIC_HANDSHAKE_STEP_OP_SENDMSG);
	CHECK_EQ(step->s_sendmsg.msg->msg_iov[0].iov_len, total - total / 2);

	REQUIRE_EQ(quic_handshake_init(r->s.s, &r->s.step), 0);
	r->s.started = 1;
	CHECK_EQ(r->s.step->op, QUIC_HANDSHAKE_STEP_OP_RECVMSG);
	r->s.step->retval = -EAGAIN;	/* a negative errno works too */
	step = r->s.step;
	CHECK_EQ(quic_handshake_step(r->s.s, &r->s.step), 0);
	CHECK(r->s.step == step);
	CHECK_EQ(step->op, QUIC_HANDSHAKE_STEP_OP_RECVMSG);

	r->finished = drive(&r->c, &r->s);
	CHECK(r->finished);
	CHECK_EQ(r->c.ret, 0);
	CHECK_EQ(r->s.ret, 0);
	check_complete(&r->p, TLS_CIPHER_AES_GCM_128);
	run_free(r);
}

/* A failed recvmsg ends it with that errno; the failure sticks. */
static void test_step_syscall_error(const void *arg)
{
	struct cfg cfg = {};
	struct run *r = run_new(&cfg);
	int ret;

	(void)arg;
	REQUIRE(r);
	REQUIRE_EQ(quic_handshake_init(r->s.s, &r->s.step), 0);
	r->s.step->retval = -1;
	errno = ENOTCONN;
	ret = quic_handshake_step(r->s.s, &r->s.step);
	CHECK_EQ(ret, -ENOTCONN);
	CHECK_EQ(quic_handshake_step(r->s.s, &r->s.step), -ENOTCONN);
	CHECK(log_has("recvmsg failed during the handshake"));
	quic_handshake_deinit(r->s.s);
	/* deinit twice, and a step after it */
	quic_handshake_deinit(r->s.s);
	CHECK_EQ(quic_handshake_step(r->s.s, &r->s.step), -EINVAL);
	run_free(r);
}

static void test_bad_args(const void *arg)
{
	struct cfg cfg = {};
	struct run *r = run_new(&cfg);
	struct quic_handshake_step *step;
	char buf[16];
	size_t len = sizeof(buf);

	(void)arg;
	REQUIRE(r);
	CHECK_EQ(quic_handshake_init(NULL, &step), -EINVAL);
	CHECK_EQ(quic_handshake_init(r->c.s, NULL), -EINVAL);
	CHECK_EQ(quic_handshake_step(r->c.s, &step), -EINVAL);
	CHECK_EQ(quic_handshake(NULL), -EINVAL);
	CHECK_EQ(quic_handshake_init(r->s.s, &step), 0);
	CHECK_EQ(quic_handshake_init(r->s.s, &step), -EALREADY);
	quic_handshake_deinit(r->s.s);
	CHECK_EQ(quic_session_set_alpn(r->c.s, ",, ,", 4), -EINVAL);
	CHECK_EQ(quic_session_set_alpn(r->c.s, "", 0), -EINVAL);
	CHECK_EQ(quic_session_set_alpn(NULL, "h3", 2), -EINVAL);
	CHECK_EQ(quic_session_get_alpn(r->c.s, buf, &len), -ENODATA);
	CHECK_EQ(quic_session_set_data(r->c.s, "garbage", 7), -EINVAL);
	CHECK_EQ(quic_server_handshake(r->p.sfd, NULL, NULL, NULL), -EINVAL);
	CHECK_EQ(quic_server_handshake(-1, creds.srv_key, creds.srv_cert, NULL), -EINVAL);
	CHECK_EQ(quic_client_handshake(-1, NULL, NULL, NULL), -EINVAL);
	log_clear();
	CHECK_EQ(quic_server_handshake(r->p.sfd, "/nonexistent/server.key",
				       creds.srv_cert, NULL), -ENOENT);
	CHECK(log_has("/nonexistent/server.key"));
	CHECK_EQ(quic_client_handshake(r->p.cfd, "/nonexistent/client.psk",
				       NULL, NULL), -ENOENT);
	CHECK(log_has("/nonexistent/client.psk"));
	/* a certificate as the key */
	log_clear();
	CHECK_EQ(quic_server_handshake(r->p.sfd, creds.srv_cert, creds.srv_cert, NULL),
		 -EINVAL);
	CHECK(log_has(creds.srv_cert));
	/* a PEM file as a PSK file, and a file that is neither */
	CHECK_EQ(quic_server_handshake(r->p.sfd, creds.srv_key, NULL, NULL), -EINVAL);
	CHECK_EQ(quic_client_handshake(r->p.cfd, creds.ca, NULL, NULL), -EINVAL);
	CHECK_EQ(quic_server_handshake(r->p.sfd, creds.ca, NULL, NULL), -EINVAL);
	CHECK_EQ(quic_client_handshake(r->p.cfd, f_garbage, NULL, NULL),
		 -EINVAL);
	CHECK_EQ(quic_server_handshake(r->p.sfd, f_garbage, NULL, NULL),
		 -EINVAL);
	/* nothing went to the sockets */
	CHECK_EQ(r->p.c->sent[QUIC_CRYPTO_INITIAL], 0);
	CHECK_EQ(r->p.s->sent[QUIC_CRYPTO_INITIAL], 0);
	run_free(r);
}

static void test_keylog(const void *arg)
{
	static const char *labels[] = {
		"CLIENT_HANDSHAKE_TRAFFIC_SECRET",
		"SERVER_HANDSHAKE_TRAFFIC_SECRET",
		"CLIENT_TRAFFIC_SECRET_0",
		"SERVER_TRAFFIC_SECRET_0",
	};
	struct cfg cfg = {};
	struct run *r = run_cfg(&cfg);
	gnutls_datum_t cr, sr;
	char random[65], secret[97], line[512], want[300];
	bool seen[4] = {};
	int lines = 0, i;
	FILE *f;

	(void)arg;
	REQUIRE(r);
	CHECK(r->finished);
	CHECK_EQ(r->c.ret, 0);
	gnutls_session_get_random(r->c.s, &cr, &sr);
	REQUIRE_EQ(cr.size, 32);
	hex(cr.data, 32, random);
	f = fopen(f_keylog, "r");
	if (!CHECK(f)) {
		run_free(r);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, random))
			continue;
		lines++;
		for (i = 0; i < 4; i++)
			if (!strncmp(line, labels[i], strlen(labels[i])) &&
			    line[strlen(labels[i])] == ' ')
				seen[i] = true;
		/* the client's Handshake secret is the one the kernel got */
		snprintf(want, sizeof(want), "%s %s %s\n", labels[0], random,
			 hex(r->p.c->sec[QUIC_CRYPTO_HANDSHAKE][1].secret, 32,
			     secret));
		if (!strncmp(line, labels[0], strlen(labels[0])))
			CHECK(!strcmp(line, want));
	}
	fclose(f);
	CHECK(lines >= 4);
	for (i = 0; i < 4; i++)
		if (!CHECK(seen[i]))
			tap_diag("no %s line", labels[i]);
	run_free(r);
}

static void test_resumption_step(const void *arg)
{
	struct cfg cfg = { .tickets = 1, .alpn_c = "h3", .alpn_s = "h3" };
	struct run *r = run_cfg(&cfg), *r2;
	uint8_t data[8192];
	size_t len = sizeof(data), small = 8;

	(void)arg;
	REQUIRE(r);
	CHECK(r->finished);
	CHECK_EQ(r->s.ret, 0);
	CHECK_EQ(r->c.ret, 0);
	/* the ticket went out at 1-RTT, after the 1-RTT send secret */
	CHECK(r->p.s->sent[QUIC_CRYPTO_APP] > 0);
	CHECK(r->p.c->ticket_len > 0);
	CHECK_EQ(quic_session_get_data(r->c.s, NULL, &small), -ENOSPC);
	CHECK(small > 8);
	CHECK_EQ(quic_session_get_data(r->c.s, data, &len), 0);
	CHECK(gnutls_session_get_flags(r->c.s) & GNUTLS_SFLAGS_SESSION_TICKET);
	run_free(r);

	cfg.sessdata = data;
	cfg.sesslen = len;
	r2 = run_cfg(&cfg);
	REQUIRE(r2);
	CHECK(r2->finished);
	CHECK_EQ(r2->c.ret, 0);
	CHECK_EQ(r2->s.ret, 0);
	CHECK(gnutls_session_is_resumed(r2->c.s));
	CHECK(gnutls_session_is_resumed(r2->s.s));
	check_complete(&r2->p, TLS_CIPHER_AES_GCM_128);
	/* 0-RTT keys: the client's send is the server's receive */
	CHECK(r2->p.c->sec[QUIC_CRYPTO_EARLY][1].set);
	CHECK(r2->p.s->sec[QUIC_CRYPTO_EARLY][0].set);
	CHECK(!memcmp(r2->p.c->sec[QUIC_CRYPTO_EARLY][1].secret,
		      r2->p.s->sec[QUIC_CRYPTO_EARLY][0].secret,
		      QUIC_CRYPTO_SECRET_BUFFER_SIZE));
	CHECK_EQ(r2->p.c->sec[QUIC_CRYPTO_EARLY][1].type, TLS_CIPHER_AES_GCM_128);
	CHECK(!r2->p.c->sec[QUIC_CRYPTO_EARLY][0].set);
	CHECK(!r2->p.s->sec[QUIC_CRYPTO_EARLY][1].set);
	run_free(r2);
}

/* ======================================== the blocking calls, threaded */

struct thr {
	pthread_t	t;
	int		fd;
	int		(*fn)(struct thr *);
	const char	*a, *b, *c;
	gnutls_session_t s;
	int		ret;
};

static int thr_client(struct thr *t)
{
	return quic_client_handshake(t->fd, t->a, t->b, t->c);
}

static int thr_server(struct thr *t)
{
	return quic_server_handshake(t->fd, t->a, t->b, t->c);
}

static int thr_session(struct thr *t)
{
	return quic_handshake(t->s);
}

static void *thr_main(void *arg)
{
	struct thr *t = arg;

	t->ret = t->fn(t);
	if (t->ret)
		kclose(t->fd);
	return NULL;
}

/* Run the two in threads and wait for both. */
static bool run_threads(struct thr *c, struct thr *s)
{
	int io = __atomic_load_n(&wrapped_io, __ATOMIC_RELAXED);

	if (pthread_create(&c->t, NULL, thr_main, c))
		return false;
	if (pthread_create(&s->t, NULL, thr_main, s)) {
		pthread_join(c->t, NULL);
		return false;
	}
	pthread_join(c->t, NULL);
	pthread_join(s->t, NULL);
	/* this path does use sendmsg/recvmsg */
	return __atomic_load_n(&wrapped_io, __ATOMIC_RELAXED) > io;
}

static void test_blocking_x509(const void *arg)
{
	struct kpair p;
	struct thr c = { .fn = thr_client, .b = "localhost", .c = "smbd,h3" };
	struct thr s = { .fn = thr_server, .c = "h3" };

	(void)arg;
	REQUIRE_SYS(kpair_open(&p));
	c.fd = p.cfd;
	s.fd = p.sfd;
	s.a = creds.srv_key;
	s.b = creds.srv_cert;
	CHECK(run_threads(&c, &s));
	CHECK_EQ(c.ret, 0);
	CHECK_EQ(s.ret, 0);
	check_complete(&p, TLS_CIPHER_AES_GCM_128);
	CHECK(!strcmp(p.c->alpn_set, "h3"));
	CHECK(!strcmp(p.s->alpn_set, "h3"));
	kpair_close(&p);
}

/* No name: no name check, but the chain is verified. */
static void test_blocking_no_hostname(const void *arg)
{
	struct kpair p;
	struct thr c = { .fn = thr_client };
	struct thr s = { .fn = thr_server };

	(void)arg;
	REQUIRE_SYS(kpair_open(&p));
	c.fd = p.cfd;
	s.fd = p.sfd;
	s.a = creds.srv_key;
	s.b = creds.srv_cert;
	CHECK(run_threads(&c, &s));
	CHECK_EQ(c.ret, 0);
	CHECK_EQ(s.ret, 0);
	check_complete(&p, TLS_CIPHER_AES_GCM_128);
	kpair_close(&p);

	REQUIRE_SYS(kpair_open(&p));
	c.fd = p.cfd;
	s.fd = p.sfd;
	s.a = creds.rogue_key;
	s.b = creds.rogue_cert;
	CHECK(run_threads(&c, &s));
	CHECK_EQ(c.ret, -EKEYREJECTED);
	CHECK_EQ(s.ret, -ECONNREFUSED);
	check_close(p.c, 0x100 + GNUTLS_A_UNKNOWN_CA);
	kpair_close(&p);
}

static void test_blocking_wrong_host(const void *arg)
{
	struct kpair p;
	struct thr c = { .fn = thr_client, .b = "wrong.example" };
	struct thr s = { .fn = thr_server };

	(void)arg;
	REQUIRE_SYS(kpair_open(&p));
	c.fd = p.cfd;
	s.fd = p.sfd;
	s.a = creds.srv_key;
	s.b = creds.srv_cert;
	log_clear();
	CHECK(run_threads(&c, &s));
	CHECK_EQ(c.ret, -EKEYREJECTED);
	CHECK_EQ(s.ret, -ECONNREFUSED);
	check_close(p.c, 0x100 + GNUTLS_A_BAD_CERTIFICATE);
	CHECK(!p.s->close_set);
	CHECK(!p.c->sec[QUIC_CRYPTO_APP][1].set);
	CHECK(!p.s->sec[QUIC_CRYPTO_APP][1].set);
	CHECK(log_has("does not match"));
	kpair_close(&p);
}

static void test_blocking_untrusted(const void *arg)
{
	struct kpair p;
	struct thr c = { .fn = thr_client, .b = "localhost" };
	struct thr s = { .fn = thr_server };

	(void)arg;
	REQUIRE_SYS(kpair_open(&p));
	c.fd = p.cfd;
	s.fd = p.sfd;
	s.a = creds.rogue_key;
	s.b = creds.rogue_cert;
	CHECK(run_threads(&c, &s));
	CHECK_EQ(c.ret, -EKEYREJECTED);
	CHECK_EQ(s.ret, -ECONNREFUSED);
	check_close(p.c, 0x100 + GNUTLS_A_UNKNOWN_CA);
	kpair_close(&p);
}

static void test_blocking_psk(const void *arg)
{
	struct kpair p;
	struct thr c = { .fn = thr_client, .b = "localhost" };
	struct thr s = { .fn = thr_server };

	(void)arg;
	REQUIRE_SYS(kpair_open(&p));
	c.fd = p.cfd;
	c.a = f_psk;
	s.fd = p.sfd;
	s.a = f_psk_srv;
	CHECK(run_threads(&c, &s));
	CHECK_EQ(c.ret, 0);
	CHECK_EQ(s.ret, 0);
	check_complete(&p, TLS_CIPHER_AES_GCM_128);
	kpair_close(&p);
}

static void test_blocking_psk_wrong(const void *arg)
{
	struct kpair p;
	struct thr c = { .fn = thr_client };
	struct thr s = { .fn = thr_server };

	(void)arg;
	/* the right identity with another key */
	REQUIRE_SYS(kpair_open(&p));
	c.fd = p.cfd;
	c.a = creds.psk_wrong;
	s.fd = p.sfd;
	s.a = f_psk_srv;
	CHECK(run_threads(&c, &s));
	CHECK_EQ(s.ret, -EKEYREJECTED);
	CHECK_EQ(c.ret, -ECONNREFUSED);
	check_close(p.s, 0x100 + GNUTLS_A_ILLEGAL_PARAMETER);
	CHECK(p.s->close_set);
	CHECK(!p.c->sec[QUIC_CRYPTO_APP][1].set);
	CHECK(!p.s->sec[QUIC_CRYPTO_APP][1].set);
	kpair_close(&p);

	/* an identity the server does not know */
	REQUIRE_SYS(kpair_open(&p));
	c.fd = p.cfd;
	c.a = f_psk_bob;
	s.fd = p.sfd;
	log_clear();
	CHECK(run_threads(&c, &s));
	CHECK_EQ(s.ret, -ENOKEY);
	CHECK_EQ(c.ret, -ECONNREFUSED);
	check_close(p.s, 0x100 + GNUTLS_A_UNKNOWN_PSK_IDENTITY);
	CHECK(log_has("no PSK for identity \"bob\""));
	CHECK(!p.c->sec[QUIC_CRYPTO_APP][1].set);
	kpair_close(&p);
}

static void test_blocking_socket_alpn(const void *arg)
{
	struct kpair p;
	struct thr c = { .fn = thr_client, .b = "localhost" };
	struct thr s = { .fn = thr_server };

	(void)arg;
	REQUIRE_SYS(kpair_open(&p));
	strcpy(p.c->alpn_sock, "smbd, h3");
	strcpy(p.s->alpn_sock, "h3,smbd");
	c.fd = p.cfd;
	s.fd = p.sfd;
	s.a = creds.srv_key;
	s.b = creds.srv_cert;
	CHECK(run_threads(&c, &s));
	CHECK_EQ(c.ret, 0);
	CHECK_EQ(s.ret, 0);
	/* the server's preference */
	CHECK(!strcmp(p.c->alpn_set, "h3"));
	CHECK(!strcmp(p.s->alpn_set, "h3"));
	kpair_close(&p);
}

static void test_blocking_timeout(const void *arg)
{
	struct kpair p;
	struct thr s = { .fn = thr_server };
	double t0, ms;

	(void)arg;
	REQUIRE_SYS(kpair_open(&p));
	p.s->timeout_ms = 200;
	s.fd = p.sfd;
	s.a = creds.srv_key;
	s.b = creds.srv_cert;
	log_clear();
	t0 = now_s();
	s.ret = thr_server(&s);
	ms = (now_s() - t0) * 1000;
	CHECK_EQ(s.ret, -ETIMEDOUT);
	CHECK(ms >= 150);
	CHECK(log_has("timed out"));
	kpair_close(&p);
}

static uint8_t captured[4096];
static size_t captured_len;

/* Keep a copy of the first ClientHello. */
static void capture_initial(uint8_t level, uint8_t *data, size_t len)
{
	if (level == QUIC_CRYPTO_INITIAL && !captured_len &&
	    len <= sizeof(captured)) {
		memcpy(captured, data, len);
		captured_len = len;
	}
}

/* Resumption and 0-RTT against quic_server_handshake(), whose socket
 * gives a ticket key; the client is a session run by quic_handshake().
 */
static void test_blocking_resumption(const void *arg)
{
	struct cfg cfg = {};
	struct kpair p;
	struct thr c = { .fn = thr_session };
	struct thr s = { .fn = thr_server };
	uint8_t data[8192];
	size_t len = sizeof(data);

	(void)arg;
	REQUIRE_SYS(kpair_open(&p));
	p.s->has_ticket_key = 1;
	c.fd = p.cfd;
	c.s = new_client(&cfg, p.cfd);
	REQUIRE(c.s);
	s.fd = p.sfd;
	s.a = creds.srv_key;
	s.b = creds.srv_cert;
	CHECK(run_threads(&c, &s));
	CHECK_EQ(c.ret, 0);
	CHECK_EQ(s.ret, 0);
	CHECK(p.c->ticket_len > 0);
	CHECK_EQ(quic_session_get_data(c.s, data, &len), 0);
	gnutls_deinit(c.s);
	kpair_close(&p);

	REQUIRE_SYS(kpair_open(&p));
	p.s->has_ticket_key = 1;
	p.c->tamper = capture_initial;
	captured_len = 0;
	cfg.sessdata = data;
	cfg.sesslen = len;
	c.fd = p.cfd;
	c.s = new_client(&cfg, p.cfd);
	REQUIRE(c.s);
	s.fd = p.sfd;
	CHECK(run_threads(&c, &s));
	CHECK_EQ(c.ret, 0);
	CHECK_EQ(s.ret, 0);
	CHECK(gnutls_session_is_resumed(c.s));
	check_complete(&p, TLS_CIPHER_AES_GCM_128);
	CHECK(p.c->sec[QUIC_CRYPTO_EARLY][1].set);
	CHECK(p.s->sec[QUIC_CRYPTO_EARLY][0].set);
	CHECK(!memcmp(p.c->sec[QUIC_CRYPTO_EARLY][1].secret,
		      p.s->sec[QUIC_CRYPTO_EARLY][0].secret,
		      QUIC_CRYPTO_SECRET_BUFFER_SIZE));
	gnutls_deinit(c.s);
	kpair_close(&p);

	/* that ClientHello again, as an attacker would: the handshake goes
	 * on (and stalls, the attacker having no keys), but not 0-RTT
	 */
	REQUIRE(captured_len > 0);
	REQUIRE_SYS(kpair_open(&p));
	p.s->has_ticket_key = 1;
	p.s->timeout_ms = 300;
	pthread_mutex_lock(&klock);
	kpush(p.c, QUIC_CRYPTO_INITIAL, captured, captured_len);
	pthread_mutex_unlock(&klock);
	s.fd = p.sfd;
	log_clear();
	CHECK_EQ(thr_server(&s), -ETIMEDOUT);
	CHECK(p.s->sec[QUIC_CRYPTO_HANDSHAKE][1].set);
	CHECK(!p.s->sec[QUIC_CRYPTO_EARLY][0].set);
	CHECK(log_has("replayed 0-RTT"));
	kpair_close(&p);
}

/* ============= libquic's credentials, the application's session, threads */

/* Sessions made from @cfg on @p, for quic_handshake() in two threads
 * (run_threads()); thr_deinit() frees them.
 */
static bool thr_sessions(const struct cfg *cfg, struct kpair *p,
			 struct thr *c, struct thr *s)
{
	memset(c, 0, sizeof(*c));
	memset(s, 0, sizeof(*s));
	c->fn = thr_session;
	s->fn = thr_session;
	c->fd = p->cfd;
	s->fd = p->sfd;
	c->s = new_client(cfg, p->cfd);
	s->s = new_server(cfg, p->sfd);
	if (!c->s || !s->s) {
		tap_diag("setting up the sessions failed");
		return false;
	}
	return true;
}

static void thr_deinit(struct thr *c, struct thr *s)
{
	if (c->s)
		gnutls_deinit(c->s);
	if (s->s)
		gnutls_deinit(s->s);
	c->s = NULL;
	s->s = NULL;
}

/* Is @d's first certificate the one PEM @pem holds? */
static bool same_cert(const gnutls_datum_t *d, const gnutls_datum_t *pem)
{
	gnutls_datum_t der;
	bool same;

	if (!d || gnutls_pem_base64_decode2("CERTIFICATE", pem, &der))
		return false;
	same = der.size == d->size && !memcmp(der.data, d->data, der.size);
	gnutls_free(der.data);
	return same;
}

static void test_cred_x509_mem(const void *arg)
{
	struct quic_cred cc = {}, sc = {}, other = {}, scratch = {};
	gnutls_datum_t junk = { (unsigned char *)"no certificate", 14 };
	struct cfg cfg = { .alpn_c = "h3", .alpn_s = "h3" };
	struct thr c = {}, s = {};
	struct thr fc = { .fn = thr_client, .b = "localhost" };
	struct thr fs = { .fn = thr_server };
	const gnutls_datum_t *peer;
	unsigned int n = 0;
	uint32_t mem_close = 0;
	struct kpair p;

	(void)arg;
	/* the trust and the server's key and chain, from the PEM bytes */
	CHECK_EQ(quic_cred_add_trust(&cc, &pem_good[0], GNUTLS_X509_FMT_PEM,
				     "the test CA"), 1);
	CHECK_EQ(quic_cred_set_key_cert(&sc, &pem_good[1], &pem_good[2],
					GNUTLS_X509_FMT_PEM, "the server's"), 0);
	CHECK_EQ(quic_cred_add_trust(&other, &pem_rogue[0],
				     GNUTLS_X509_FMT_PEM, "the other CA"), 1);
	/* what is no CA, and a key that is not the certificate's */
	CHECK_EQ(quic_cred_add_trust(&scratch, &junk, GNUTLS_X509_FMT_PEM,
				     "junk"), -EINVAL);
	CHECK_EQ(quic_cred_set_key_cert(&scratch, &pem_good[1], &pem_rogue[2],
					GNUTLS_X509_FMT_PEM, "mismatched"),
		 -EINVAL);
	quic_cred_free(&scratch);
	CHECK(!scratch.x509);

	/* the CA that signed the server's certificate: complete */
	cfg.qcred_c = &cc;
	cfg.qcred_s = &sc;
	if (CHECK_SYS(kpair_open(&p))) {
		CHECK(thr_sessions(&cfg, &p, &c, &s) && run_threads(&c, &s));
		CHECK_EQ(c.ret, 0);
		CHECK_EQ(s.ret, 0);
		check_complete(&p, TLS_CIPHER_AES_GCM_128);
		CHECK(!strcmp(p.c->alpn_set, "h3"));
		CHECK(!strcmp(p.s->alpn_set, "h3"));
		if (c.s) {
			CHECK_EQ(gnutls_auth_get_type(c.s),
				 GNUTLS_CRD_CERTIFICATE);
			/* the chain the client verified is the one in memory */
			peer = gnutls_certificate_get_peers(c.s, &n);
			CHECK(n >= 1 && same_cert(peer, &pem_good[1]));
		}
		thr_deinit(&c, &s);
		kpair_close(&p);
	}

	/* trust in another CA only: refused, as by the file path below
	 * (QUIC_CA_FILE is the test CA; the server's chain the other CA's)
	 */
	cfg.qcred_c = &other;
	if (CHECK_SYS(kpair_open(&p))) {
		CHECK(thr_sessions(&cfg, &p, &c, &s) && run_threads(&c, &s));
		CHECK_EQ(c.ret, -EKEYREJECTED);
		CHECK_EQ(s.ret, -ECONNREFUSED);
		check_close(p.c, 0x100 + GNUTLS_A_UNKNOWN_CA);
		CHECK(!p.s->close_set);
		CHECK(!p.c->sec[QUIC_CRYPTO_APP][1].set);
		CHECK(!p.s->sec[QUIC_CRYPTO_APP][1].set);
		mem_close = p.c->close.errcode;
		thr_deinit(&c, &s);
		kpair_close(&p);
	}
	if (CHECK_SYS(kpair_open(&p))) {
		fc.fd = p.cfd;
		fs.fd = p.sfd;
		fs.a = creds.rogue_key;
		fs.b = creds.rogue_cert;
		CHECK(run_threads(&fc, &fs));
		CHECK_EQ(fc.ret, -EKEYREJECTED);
		CHECK_EQ(c.ret, fc.ret);
		CHECK_EQ(s.ret, fs.ret);
		CHECK(p.c->close_set);
		CHECK_EQ(mem_close, p.c->close.errcode);
		kpair_close(&p);
	}
	quic_cred_free(&cc);
	quic_cred_free(&sc);
	quic_cred_free(&other);
}

/* The raw key of a hex string. */
static bool psk_key(const char *hexkey, gnutls_datum_t *key)
{
	gnutls_datum_t h = { (unsigned char *)hexkey,
			     (unsigned int)strlen(hexkey) };

	return !gnutls_hex_decode2(&h, key);
}

enum { PSK_MEM_OK, PSK_MEM_WRONG_KEY, PSK_MEM_UNKNOWN };

/* A step-API handshake between a client offering @identity with @key and
 * a server with the PSKs of @sc, both from memory; @want says how it ends.
 */
static void psk_mem_case(const struct quic_cred *sc, const char *identity,
			 const gnutls_datum_t *key, int want)
{
	struct quic_cred cc = {};
	struct quic_psk_match m;
	struct cfg cfg = { .qcred_c = &cc, .qcred_s = sc, .match_s = &m };
	struct run *r;

	REQUIRE_EQ(quic_cred_set_psk_client(&cc, identity, key, "memory"), 0);
	r = run_cfg(&cfg);
	if (CHECK(r)) {
		CHECK(r->finished);
		/* the server's lookup saw the identity the client gave */
		CHECK(m.looked_up && !strcmp(m.peer, identity));
		if (want == PSK_MEM_OK) {
			CHECK_EQ(r->c.ret, 0);
			CHECK_EQ(r->s.ret, 0);
			check_complete(&r->p, TLS_CIPHER_AES_GCM_128);
			CHECK_EQ(gnutls_auth_get_type(r->c.s), GNUTLS_CRD_PSK);
			CHECK_EQ(gnutls_auth_get_type(r->s.s), GNUTLS_CRD_PSK);
			CHECK(m.found && m.accepted);
		} else {
			/* the server refuses and says why, as with the files;
			 * GnuTLS reports a wrong binder as an illegal
			 * parameter, which quic_server_handshake() alone
			 * (with its match) turns into -EKEYREJECTED
			 */
			CHECK_EQ(r->s.ret, want == PSK_MEM_WRONG_KEY ?
				 -EPROTO : -ENOKEY);
			CHECK_EQ(r->c.ret, -ECONNREFUSED);
			check_close(r->p.s, 0x100 + (want == PSK_MEM_WRONG_KEY ?
					GNUTLS_A_ILLEGAL_PARAMETER :
					GNUTLS_A_UNKNOWN_PSK_IDENTITY));
			CHECK_EQ(m.found, want == PSK_MEM_WRONG_KEY);
			CHECK(!m.accepted);
			CHECK(!r->p.c->sec[QUIC_CRYPTO_APP][0].set);
			CHECK(!r->p.c->sec[QUIC_CRYPTO_APP][1].set);
			CHECK(!r->p.s->sec[QUIC_CRYPTO_APP][1].set);
		}
		run_free(r);
	}
	quic_cred_free(&cc);
}

static void test_cred_psk_mem(const void *arg)
{
	gnutls_datum_t alice = {}, other = {};
	struct quic_cred sc = {}, scratch = {};

	(void)arg;
	REQUIRE(psk_key(psk_hex, &alice) && psk_key(psk_hex_wrong, &other));
	/* what f_psk_srv holds */
	CHECK_EQ(quic_cred_add_psk_server(&sc, "carol", &other), 0);
	CHECK_EQ(quic_cred_add_psk_server(&sc, "alice", &alice), 0);
	CHECK_EQ(sc.npsks, 2);
	CHECK_EQ(quic_cred_add_psk_server(&scratch, "", &alice), -EINVAL);
	CHECK_EQ(quic_cred_set_psk_client(&scratch, "alice", &alice, "one"), 0);
	CHECK_EQ(quic_cred_set_psk_client(&scratch, "bob", &alice, "two"),
		 -EINVAL);
	quic_cred_free(&scratch);

	psk_mem_case(&sc, "alice", &alice, PSK_MEM_OK);
	psk_mem_case(&sc, "alice", &other, PSK_MEM_WRONG_KEY);
	psk_mem_case(&sc, "bob", &alice, PSK_MEM_UNKNOWN);
	/* the other identity the server knows, with its key */
	psk_mem_case(&sc, "carol", &other, PSK_MEM_OK);

	gnutls_free(alice.data);
	gnutls_free(other.data);
	quic_cred_free(&sc);
}

/* What an application hangs on its sessions with gnutls_session_set_ptr()
 * and gnutls_db_set_ptr(): libquic must neither use nor replace them.
 */
struct app_ctx {
	uint64_t	canary[8];
	int		hooked;		/* its session's hook saw it */
};

static struct app_ctx app_c, app_s, app_db;
static int app_ptr_lost;	/* hooks that saw another pointer */

static void app_ctx_fill(struct app_ctx *a, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		a->canary[i] = v * 0x0101010101010101ull + (uint64_t)i;
	a->hooked = 0;
}

static bool app_ctx_intact(const struct app_ctx *a, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		if (a->canary[i] != v * 0x0101010101010101ull + (uint64_t)i)
			return false;
	return true;
}

/* Every handshake message, in the thread of its session: the pointer is
 * still the application's.
 */
static int app_ptr_hook(gnutls_session_t s, unsigned int htype,
			unsigned int when, unsigned int incoming,
			const gnutls_datum_t *msg)
{
	struct app_ctx *a = gnutls_session_get_ptr(s);

	(void)htype;
	(void)when;
	(void)incoming;
	(void)msg;
	if ((a == &app_c || a == &app_s) && gnutls_db_get_ptr(s) == &app_db)
		__atomic_add_fetch(&a->hooked, 1, __ATOMIC_RELAXED);
	else
		__atomic_add_fetch(&app_ptr_lost, 1, __ATOMIC_RELAXED);
	return 0;
}

static void app_ptr_set(gnutls_session_t c, gnutls_session_t s)
{
	app_ctx_fill(&app_c, 0xc1);
	app_ctx_fill(&app_s, 0x5e);
	app_ctx_fill(&app_db, 0xdb);
	app_ptr_lost = 0;
	gnutls_session_set_ptr(c, &app_c);
	gnutls_session_set_ptr(s, &app_s);
	gnutls_db_set_ptr(c, &app_db);
	gnutls_db_set_ptr(s, &app_db);
	gnutls_handshake_set_hook_function(c, GNUTLS_HANDSHAKE_ANY,
					   GNUTLS_HOOK_BOTH, app_ptr_hook);
	gnutls_handshake_set_hook_function(s, GNUTLS_HANDSHAKE_ANY,
					   GNUTLS_HOOK_BOTH, app_ptr_hook);
}

static void app_ptr_check(gnutls_session_t c, gnutls_session_t s)
{
	CHECK(gnutls_session_get_ptr(c) == &app_c);
	CHECK(gnutls_session_get_ptr(s) == &app_s);
	CHECK(gnutls_db_get_ptr(c) == &app_db);
	CHECK(gnutls_db_get_ptr(s) == &app_db);
	CHECK(app_ctx_intact(&app_c, 0xc1));
	CHECK(app_ctx_intact(&app_s, 0x5e));
	CHECK(app_ctx_intact(&app_db, 0xdb));
	/* seen all along: both flights, each way */
	CHECK(app_c.hooked >= 4);
	CHECK(app_s.hooked >= 4);
	CHECK_EQ(app_ptr_lost, 0);
}

static void test_app_session_ptr(const void *arg)
{
	struct cfg cfg = { .alpn_c = "h3", .alpn_s = "h3" };
	struct run *r = run_new(&cfg);
	struct thr c, s;
	struct kpair p;

	(void)arg;
	/* the step API */
	REQUIRE(r);
	app_ptr_set(r->c.s, r->s.s);
	r->finished = drive(&r->c, &r->s);
	CHECK(r->finished);
	CHECK_EQ(r->c.ret, 0);
	CHECK_EQ(r->s.ret, 0);
	check_complete(&r->p, TLS_CIPHER_AES_GCM_128);
	app_ptr_check(r->c.s, r->s.s);
	run_free(r);

	/* quic_handshake(), in threads */
	REQUIRE_SYS(kpair_open(&p));
	if (CHECK(thr_sessions(&cfg, &p, &c, &s))) {
		app_ptr_set(c.s, s.s);
		CHECK(run_threads(&c, &s));
		CHECK_EQ(c.ret, 0);
		CHECK_EQ(s.ret, 0);
		check_complete(&p, TLS_CIPHER_AES_GCM_128);
		app_ptr_check(c.s, s.s);
	}
	thr_deinit(&c, &s);
	kpair_close(&p);
}

/* An extension 0x39 of the application's own, and its private data. */
struct app_ext {
	uint64_t	canary[8];
};

static int app_ext_calls;

static int app_ext_recv(gnutls_session_t s, const unsigned char *data,
			size_t len)
{
	(void)s;
	(void)data;
	(void)len;
	app_ext_calls++;
	return 0;
}

static int app_ext_send(gnutls_session_t s, gnutls_buffer_t extdata)
{
	(void)s;
	(void)extdata;
	app_ext_calls++;
	return 0;
}

/* libquic is handed a session whose extension 0x39, registered under
 * @name, is the application's.
 */
static void app_ext_case(gnutls_session_t s, const char *name)
{
	struct quic_handshake_step *step = (void *)&step;
	struct app_ext ext;
	gnutls_ext_priv_data_t priv = NULL;
	const char *ext_name;
	int i;

	for (i = 0; i < 8; i++)
		ext.canary[i] = 0xa5a5a5a5a5a5a5a5ull ^ (uint64_t)i;
	REQUIRE_EQ(gnutls_session_ext_register(s, name, QUIC_TP_EXT_TYPE,
			GNUTLS_EXT_TLS, app_ext_recv, app_ext_send,
			NULL, NULL, NULL, GNUTLS_EXT_FLAG_TLS |
			GNUTLS_EXT_FLAG_CLIENT_HELLO | GNUTLS_EXT_FLAG_EE), 0);
	gnutls_ext_set_data(s, QUIC_TP_EXT_TYPE, &ext);

	CHECK_EQ(quic_handshake_init(s, &step), -EALREADY);
	CHECK(!step);
	CHECK_EQ(quic_handshake(s), -EALREADY);
	/* no handshake of libquic's runs on it: nothing to step or free */
	step = (void *)&ext;
	CHECK_EQ(quic_handshake_step(s, &step), -EINVAL);
	quic_handshake_deinit(s);

	CHECK_EQ(gnutls_ext_get_data(s, QUIC_TP_EXT_TYPE, &priv), 0);
	CHECK(priv == &ext);
	for (i = 0; i < 8; i++)
		CHECK_EQ(ext.canary[i], 0xa5a5a5a5a5a5a5a5ull ^ (uint64_t)i);
	/* the extension is still the application's */
	ext_name = gnutls_ext_get_name2(s, QUIC_TP_EXT_TYPE, GNUTLS_EXT_ANY);
	CHECK(ext_name && !strcmp(ext_name, name));
	/* the session no longer points to @ext, gone with this frame */
	gnutls_ext_set_data(s, QUIC_TP_EXT_TYPE, NULL);
}

static void test_app_ext_0x39(const void *arg)
{
	/* the extension's IANA name, and another */
	static const char *names[] = { "quic_transport_parameters",
				       "my_quic_tp" };
	struct cfg cfg = {};
	struct run *r;
	unsigned int i;

	(void)arg;
	for (i = 0; i < 2; i++) {
		r = run_new(&cfg);
		REQUIRE(r);
		app_ext_calls = 0;
		log_clear();
		app_ext_case(r->c.s, names[i]);
		app_ext_case(r->s.s, names[i]);
		/* libquic logged why, and did nothing on the sockets */
		CHECK(log_has("registering the quic_transport_parameters extension failed"));
		CHECK_EQ(app_ext_calls, 0);
		CHECK_EQ(r->p.c->sent[QUIC_CRYPTO_INITIAL], 0);
		CHECK_EQ(r->p.s->sent[QUIC_CRYPTO_INITIAL], 0);
		CHECK(!r->p.c->close_set);
		CHECK(!r->p.s->close_set);
		run_free(r);
	}
}

/* Handshakes at once: X.509 and PSK pairs from shared credentials, 16
 * threads.  Each client waits, once its handshake is under way, until
 * every other one is too, so that they all overlap.
 */
#define CONC_PAIRS	8
#define CONC_WAIT_S	3	/* less than the sockets' timeout */

struct conc {
	struct kpair		p;
	struct thr		c, s;
	struct quic_cred	psk;		/* a PSK pair's client's */
	struct quic_psk_match	match;		/* the server's lookup */
	char			id[24];		/* "client-N" */
	int			hooked;		/* the client's hook ran */
	int			state_ok;	/* and found its own state */
	int			met;		/* with all the others */
};

static struct conc *conc;
static pthread_mutex_t conc_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t conc_cond = PTHREAD_COND_INITIALIZER;
static int conc_waiting;

/* The client got the server's EncryptedExtensions: its handshake runs. */
static int conc_hook(gnutls_session_t s, unsigned int htype,
		     unsigned int when, unsigned int incoming,
		     const gnutls_datum_t *msg)
{
	struct conc *x = gnutls_session_get_ptr(s);
	struct quic_hs *st = quic_hs_get(s);
	struct timespec deadline;
	int i;

	(void)htype;
	(void)when;
	(void)msg;
	for (i = 0; i < CONC_PAIRS && x != &conc[i]; i++)
		;
	if (i == CONC_PAIRS || !incoming)
		return 0;
	x->hooked++;
	/* libquic's state of this session, not another's */
	x->state_ok = st && st->session == s && st->fd == x->p.cfd &&
		      st->client && !st->complete && !st->failed;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += CONC_WAIT_S;
	pthread_mutex_lock(&conc_lock);
	conc_waiting++;
	pthread_cond_broadcast(&conc_cond);
	while (conc_waiting < CONC_PAIRS &&
	       !pthread_cond_timedwait(&conc_cond, &conc_lock, &deadline))
		;
	x->met = conc_waiting >= CONC_PAIRS;
	pthread_mutex_unlock(&conc_lock);
	return 0;
}

static void test_concurrent(const void *arg)
{
	struct quic_cred cc = {}, sc = {};
	uint8_t keys[CONC_PAIRS][32];
	gnutls_datum_t key;
	struct cfg cfg = {};
	struct conc *x;
	int i, started = 0;
	bool ok;

	(void)arg;
	conc = calloc(CONC_PAIRS, sizeof(*conc));
	REQUIRE(conc);
	conc_waiting = 0;
	/* one client and one server credential for all X.509 pairs; the
	 * server's also has a PSK for each PSK pair
	 */
	CHECK_EQ(quic_cred_add_trust(&cc, &pem_good[0], GNUTLS_X509_FMT_PEM,
				     "the test CA"), 1);
	CHECK_EQ(quic_cred_set_key_cert(&sc, &pem_good[1], &pem_good[2],
					GNUTLS_X509_FMT_PEM, "the server's"), 0);
	for (i = 0; i < CONC_PAIRS; i++) {
		x = &conc[i];
		x->p.cfd = -1;
		if (!(i & 1))
			continue;
		snprintf(x->id, sizeof(x->id), "client-%d", i);
		memset(keys[i], 0x30 + i, sizeof(keys[i]));
		key.data = keys[i];
		key.size = sizeof(keys[i]);
		CHECK_EQ(quic_cred_add_psk_server(&sc, x->id, &key), 0);
		CHECK_EQ(quic_cred_set_psk_client(&x->psk, x->id, &key, x->id),
			 0);
	}

	for (i = 0; i < CONC_PAIRS; i++) {
		x = &conc[i];
		if (!CHECK_SYS(kpair_open(&x->p))) {
			x->p.cfd = -1;
			goto out;
		}
		cfg.qcred_c = i & 1 ? &x->psk : &cc;
		cfg.qcred_s = &sc;
		cfg.match_s = &x->match;
		if (!CHECK(thr_sessions(&cfg, &x->p, &x->c, &x->s)))
			goto out;
		/* the application's pointer: how its hook finds @x */
		gnutls_session_set_ptr(x->c.s, x);
		gnutls_handshake_set_hook_function(x->c.s,
				GNUTLS_HANDSHAKE_ENCRYPTED_EXTENSIONS,
				GNUTLS_HOOK_POST, conc_hook);
	}
	for (started = 0; started < CONC_PAIRS; started++) {
		x = &conc[started];
		if (pthread_create(&x->c.t, NULL, thr_main, &x->c))
			break;
		if (pthread_create(&x->s.t, NULL, thr_main, &x->s)) {
			/* its client will time out alone */
			pthread_join(x->c.t, NULL);
			break;
		}
	}
	CHECK_EQ(started, CONC_PAIRS);
	for (i = 0; i < started; i++) {
		pthread_join(conc[i].c.t, NULL);
		pthread_join(conc[i].s.t, NULL);
	}
	if (started < CONC_PAIRS)
		goto out;

	CHECK_EQ(conc_waiting, CONC_PAIRS);
	for (i = 0; i < CONC_PAIRS; i++) {
		x = &conc[i];
		ok = CHECK_EQ(x->c.ret, 0);
		ok &= CHECK_EQ(x->s.ret, 0);
		if (!ok)
			tap_diag("pair %d (%s) failed", i,
				 i & 1 ? "PSK" : "X.509");
		check_complete(&x->p, TLS_CIPHER_AES_GCM_128);
		CHECK_EQ(x->hooked, 1);
		CHECK(x->state_ok);
		CHECK(x->met);
		CHECK(gnutls_session_get_ptr(x->c.s) == x);
		CHECK(gnutls_session_get_ptr(x->s.s) == &x->match);
		if (i & 1) {
			CHECK_EQ(gnutls_auth_get_type(x->s.s), GNUTLS_CRD_PSK);
			CHECK(x->match.found && x->match.accepted &&
			      !strcmp(x->match.peer, x->id));
		} else {
			CHECK_EQ(gnutls_auth_get_type(x->c.s),
				 GNUTLS_CRD_CERTIFICATE);
			CHECK(!x->match.looked_up);
		}
	}
out:
	for (i = 0; i < CONC_PAIRS; i++) {
		x = &conc[i];
		thr_deinit(&x->c, &x->s);
		if (x->p.cfd >= 0)
			kpair_close(&x->p);
		quic_cred_free(&x->psk);
	}
	quic_cred_free(&cc);
	quic_cred_free(&sc);
	free(conc);
	conc = NULL;
}

/* ====================================================== the test list */

static void build_list(void)
{
	test_add("x509", "step API: X.509 handshake, matching Handshake and 1-RTT secrets, transport parameters both ways",
		 test_x509, NULL, TEST_TMO);
	test_add("aes128gcm", "AES-128-GCM gives TLS_CIPHER_AES_GCM_128",
		 test_cipher, &ciphers[0], TEST_TMO);
	test_add("aes256gcm", "AES-256-GCM gives TLS_CIPHER_AES_GCM_256 (48-byte secrets)",
		 test_cipher, &ciphers[1], TEST_TMO);
	test_add("aes128ccm", "AES-128-CCM gives TLS_CIPHER_AES_CCM_128",
		 test_cipher, &ciphers[2], TEST_TMO);
	test_add("chacha20", "CHACHA20-POLY1305 gives TLS_CIPHER_CHACHA20_POLY1305",
		 test_cipher, &ciphers[3], TEST_TMO);
	test_add("alpn", "ALPN smbd,h3 vs h3 agrees on h3, set on both sockets",
		 test_alpn, NULL, TEST_TMO);
	test_add("alpn_mismatch", "no common ALPN: server closes with no_application_protocol",
		 test_alpn_mismatch, NULL, TEST_TMO);
	test_add("alpn_server_none", "ALPN offered and not agreed: client closes with no_application_protocol",
		 test_alpn_server_none, NULL, TEST_TMO);
	test_add("wrong_host_step", "step API: wrong host name is -EKEYREJECTED with bad_certificate",
		 test_wrong_host_step, NULL, TEST_TMO);
	test_add("missing_tp_server", "ClientHello without transport parameters: missing_extension",
		 test_missing_tp_server, NULL, TEST_TMO);
	test_add("missing_tp_client", "EncryptedExtensions without transport parameters: missing_extension",
		 test_missing_tp_client, NULL, TEST_TMO);
	test_add("tp_get_fails", "the kernel's transport parameters cannot be had: its errno",
		 test_tp_get_fails, NULL, TEST_TMO);
	test_add("tp_set_refused", "the kernel refuses the peer's transport parameters: TRANSPORT_PARAMETER_ERROR",
		 test_tp_set_refused, NULL, TEST_TMO);
	test_add("partial_delivery", "handshake bytes 7 at a time",
		 test_partial_delivery, NULL, TEST_TMO);
	test_add("hello_retry", "HelloRetryRequest: two ClientHellos",
		 test_hello_retry, NULL, TEST_TMO);
	test_add("step_retry", "EINTR, EAGAIN and a short sendmsg repeat the step",
		 test_step_retry, NULL, TEST_TMO);
	test_add("step_syscall_error", "a failed recvmsg fails the handshake with its errno",
		 test_step_syscall_error, NULL, TEST_TMO);
	test_add("bad_args", "bad arguments and files: -EINVAL, -ENOENT, -EALREADY, logged",
		 test_bad_args, NULL, TEST_TMO);
	test_add("keylog", "SSLKEYLOGFILE gets the four traffic secrets for the client random",
		 test_keylog, NULL, TEST_TMO);
	test_add("resumption_step", "session data from the ticket resumes, with 0-RTT keys",
		 test_resumption_step, NULL, TEST_TMO);
	test_add("blocking_x509", "quic_client_handshake/quic_server_handshake: X.509 with ALPN",
		 test_blocking_x509, NULL, TEST_TMO);
	test_add("blocking_no_hostname", "no host name: chain still verified",
		 test_blocking_no_hostname, NULL, TEST_TMO);
	test_add("blocking_wrong_host", "quic_client_handshake: wrong host name is -EKEYREJECTED",
		 test_blocking_wrong_host, NULL, TEST_TMO);
	test_add("blocking_untrusted", "quic_client_handshake: untrusted CA is -EKEYREJECTED with unknown_ca",
		 test_blocking_untrusted, NULL, TEST_TMO);
	test_add("blocking_psk", "PSK files: handshake succeeds",
		 test_blocking_psk, NULL, TEST_TMO);
	test_add("blocking_psk_wrong", "PSK: a wrong key or an unknown identity fails",
		 test_blocking_psk_wrong, NULL, TEST_TMO);
	test_add("blocking_socket_alpn", "ALPN lists from the sockets",
		 test_blocking_socket_alpn, NULL, TEST_TMO);
	test_add("blocking_timeout", "a silent peer: -ETIMEDOUT after SO_RCVTIMEO",
		 test_blocking_timeout, NULL, TEST_TMO);
	test_add("blocking_resumption", "quic_server_handshake: tickets, resumption, 0-RTT; a replayed ClientHello gets no 0-RTT",
		 test_blocking_resumption, NULL, TEST_TMO);
	test_add("cred_x509_mem", "X.509 credentials from memory complete; trusting another CA in memory fails as the file path does",
		 test_cred_x509_mem, NULL, TEST_TMO);
	test_add("cred_psk_mem", "PSK credentials from memory: the right key completes, a wrong key or an unknown identity fails",
		 test_cred_psk_mem, NULL, TEST_TMO);
	test_add("app_session_ptr", "the application's gnutls_session_set_ptr/gnutls_db_set_ptr values survive the handshake, unused",
		 test_app_session_ptr, NULL, TEST_TMO);
	test_add("app_ext_0x39", "an application's own extension 0x39: -EALREADY, its private data untouched",
		 test_app_ext_0x39, NULL, TEST_TMO);
	test_add("concurrent", "8 handshakes (X.509 and PSK) at once in 16 threads all complete, each with its own state",
		 test_concurrent, NULL, TEST_TMO);
}

int main(int argc, char **argv)
{
	log_keep();
	runner_setup(setup);
	build_list();
	return runner_main(argc, argv);
}
