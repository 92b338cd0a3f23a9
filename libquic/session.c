// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libquic ready-made handshakes: quic_client_handshake() and
 * quic_server_handshake() set up a GnuTLS session for a QUIC socket
 * (X.509 or PSK credentials from files, ALPN, session tickets and 0-RTT on
 * the server) and run quic_handshake() on it; and the ALPN helpers.  The
 * credentials, and the formats of their files, are in cred.c.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "internal.h"

/* The longest ALPN list (comma-separated) accepted. */
#define QUIC_ALPN_LIST_MAX	1024
#define QUIC_ALPN_MAX_PROTOS	32
/* The session ticket key GnuTLS takes (its TICKET_MASTER_KEY_SIZE). */
#define QUIC_TICKET_KEY_SIZE	64
/* QUIC's max_early_data_size in NewSessionTicket, RFC 9001 section 4.6.1. */
#define QUIC_MAX_EARLY_DATA	0xffffffffu

/* ----------------------------------------------------------- ALPN */

/**
 * quic_session_set_alpn - offer (client) or accept (server) protocols
 * @session: the session, before the handshake
 * @data: a comma-separated list, e.g. "smbd,h3"; blanks around names
 *	are ignored; not NUL-terminated necessarily
 * @size: its length
 *
 * The server picks, in its own order of preference.  A server that agrees
 * on none fails the handshake with no_application_protocol.
 *
 * Return: 0 or a negative errno (-EINVAL for an empty or bad list).
 */
QUIC_EXPORT int quic_session_set_alpn(gnutls_session_t session,
				      const void *data, size_t size)
{
	gnutls_datum_t protos[QUIC_ALPN_MAX_PROTOS];
	char buf[QUIC_ALPN_LIST_MAX + 1];
	char *p, *end, *next;
	unsigned int n = 0;
	int ret;

	if (!session || !data || !size || size > QUIC_ALPN_LIST_MAX)
		return -EINVAL;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (strlen(buf) != size)
		return -EINVAL;

	for (p = buf; p; p = next) {
		next = strchr(p, ',');
		if (next)
			*next++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (end == p)
			continue;
		if (end - p > 255 || n == QUIC_ALPN_MAX_PROTOS) {
			quic_log_error("ALPN list \"%.*s\": too long a name or too many names",
				       (int)size, (const char *)data);
			return -EINVAL;
		}
		protos[n].data = (unsigned char *)p;
		protos[n].size = (unsigned int)(end - p);
		n++;
	}
	if (!n) {
		quic_log_error("ALPN list \"%.*s\" names no protocol", (int)size,
			       (const char *)data);
		return -EINVAL;
	}
	ret = gnutls_alpn_set_protocols(session, protos, n,
					GNUTLS_ALPN_MANDATORY |
					GNUTLS_ALPN_SERVER_PRECEDENCE);
	if (ret) {
		quic_log_error("setting ALPN \"%.*s\" failed: %s", (int)size,
			       (const char *)data, gnutls_strerror(ret));
		return ret == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EINVAL;
	}
	return 0;
}

/**
 * quic_session_get_alpn - the protocol agreed on
 * @session: the session, after the handshake
 * @data: buffer; NUL-terminated when there is room
 * @size: in: its size; out: the protocol's length
 *
 * Return: 0, -ENODATA when none was agreed, -ENOSPC when @data is too
 * small (@size tells what is needed), -EINVAL.
 */
QUIC_EXPORT int quic_session_get_alpn(gnutls_session_t session, void *data,
				      size_t *size)
{
	gnutls_datum_t alpn;

	if (!session || !data || !size)
		return -EINVAL;
	if (gnutls_alpn_get_selected_protocol(session, &alpn))
		return -ENODATA;
	if (*size < alpn.size) {
		*size = alpn.size;
		return -ENOSPC;
	}
	memcpy(data, alpn.data, alpn.size);
	if (*size > alpn.size)
		((char *)data)[alpn.size] = '\0';
	*size = alpn.size;
	return 0;
}

/* ALPN from the argument, else from the socket (QUIC_SOCKOPT_ALPN). */
static int quic_setup_alpn(gnutls_session_t session, int sockfd,
			   const char *alpns)
{
	char buf[QUIC_ALPN_LIST_MAX + 1];
	socklen_t len = QUIC_ALPN_LIST_MAX;

	if (alpns)
		return quic_session_set_alpn(session, alpns, strlen(alpns));
	if (getsockopt(sockfd, SOL_QUIC, QUIC_SOCKOPT_ALPN, buf, &len)) {
		quic_log_debug("socket %d: no ALPN from the socket: %s", sockfd,
			       strerror(errno));
		return 0;
	}
	if (!len || len > QUIC_ALPN_LIST_MAX)
		return 0;
	buf[len] = '\0';
	len = (socklen_t)strlen(buf);
	if (!len)
		return 0;
	quic_log_debug("socket %d: ALPN \"%s\" from the socket", sockfd, buf);
	return quic_session_set_alpn(session, buf, len);
}

/* ------------------------------------------- 0-RTT anti-replay (server) */

/*
 * GnuTLS asks the add function to remember each 0-RTT ClientHello for its
 * anti-replay window, and refuses early data for one seen before.  The
 * table is process-wide, as a replay may come on any socket.  An entry's
 * place is set by a keyed hash of what GnuTLS passes, so that an add looks
 * at one small bucket (O(1)) under that bucket's own lock: adds for other
 * buckets do not wait, and the random key keeps a peer from aiming its
 * ClientHellos at one bucket.  A full bucket refuses early data (the
 * handshake goes on in 1-RTT), as the full table did.
 */
#define QUIC_AR_BUCKETS	256
#define QUIC_AR_WAYS	16	/* 4096 ClientHellos remembered in all */

struct quic_ar_entry {
	time_t		expires;
	uint8_t		used;
	uint8_t		key[32];	/* HMAC-SHA-256 of what GnuTLS passes */
};

struct quic_ar_bucket {
	pthread_mutex_t		lock;
	struct quic_ar_entry	e[QUIC_AR_WAYS];
};

/* Set once by quic_ar_init(), read-only afterwards. */
static pthread_once_t quic_ar_once = PTHREAD_ONCE_INIT;
static struct quic_ar_bucket *quic_ar_table;
static uint8_t quic_ar_key[32];
static gnutls_anti_replay_t quic_ar;

/* Remember @hash in bucket @b: 0, GNUTLS_E_DB_ENTRY_EXISTS when it is
 * there already, GNUTLS_E_DB_ERROR when the bucket is full.
 */
static int quic_ar_insert(struct quic_ar_bucket *b, const uint8_t *hash,
			  time_t expires)
{
	struct quic_ar_entry *e, *slot = NULL;
	time_t now = time(NULL);
	int i;

	for (i = 0; i < QUIC_AR_WAYS; i++) {
		e = &b->e[i];
		if (e->used && e->expires < now)
			e->used = 0;
		if (!e->used) {
			if (!slot)
				slot = e;
			continue;
		}
		if (!memcmp(e->key, hash, sizeof(e->key)))
			return GNUTLS_E_DB_ENTRY_EXISTS;
	}
	if (!slot)
		return GNUTLS_E_DB_ERROR;
	slot->used = 1;
	slot->expires = expires;
	memcpy(slot->key, hash, sizeof(slot->key));
	return 0;
}

/* GnuTLS asks to remember a 0-RTT ClientHello: refuse one seen before. */
static int quic_ar_add(void *ptr, time_t expires, const gnutls_datum_t *key,
		       const gnutls_datum_t *data)
{
	struct quic_ar_bucket *b;
	uint8_t hash[32];
	uint32_t idx;
	int ret;

	(void)ptr;
	(void)data;
	if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, quic_ar_key, sizeof(quic_ar_key),
			     key->data, key->size, hash))
		return GNUTLS_E_DB_ERROR;
	memcpy(&idx, hash, sizeof(idx));
	b = &quic_ar_table[idx % QUIC_AR_BUCKETS];
	pthread_mutex_lock(&b->lock);
	ret = quic_ar_insert(b, hash, expires);
	pthread_mutex_unlock(&b->lock);
	if (ret == GNUTLS_E_DB_ENTRY_EXISTS)
		quic_log_warn("a replayed 0-RTT ClientHello: early data refused");
	else if (ret)
		quic_log_debug("anti-replay bucket full: early data refused");
	return ret;
}

/* Make the anti-replay state; on failure quic_ar stays NULL for good. */
static void quic_ar_init(void)
{
	unsigned int i;

	quic_ar_table = calloc(QUIC_AR_BUCKETS, sizeof(*quic_ar_table));
	if (!quic_ar_table ||
	    gnutls_rnd(GNUTLS_RND_KEY, quic_ar_key, sizeof(quic_ar_key)) ||
	    gnutls_anti_replay_init(&quic_ar)) {
		free(quic_ar_table);
		quic_ar_table = NULL;
		quic_ar = NULL;
		quic_log_warn("no anti-replay state: 0-RTT is refused");
		return;
	}
	for (i = 0; i < QUIC_AR_BUCKETS; i++)
		pthread_mutex_init(&quic_ar_table[i].lock, NULL);
	gnutls_anti_replay_set_add_function(quic_ar, quic_ar_add);
}

/* The process-wide anti-replay state, made on first use; NULL if that
 * failed (0-RTT is then not accepted).
 */
static gnutls_anti_replay_t quic_anti_replay(void)
{
	pthread_once(&quic_ar_once, quic_ar_init);
	return quic_ar;
}

/*
 * quic_session_early_setup - what a server session needs for 0-RTT in
 * QUIC, whoever prepared it: libquic's anti-replay (GnuTLS refuses early
 * data without one), and a max_early_data_size of 0xffffffff in its
 * tickets (RFC 9001 section 4.6.1).  Nothing for a client: GnuTLS takes
 * neither there.
 * @session: the session, before its handshake
 */
QUIC_INTERNAL void quic_session_early_setup(gnutls_session_t session)
{
	gnutls_anti_replay_t ar = quic_anti_replay();
	int ret;

	if (!ar)
		return;
	gnutls_anti_replay_enable(session, ar);
	ret = gnutls_record_set_max_early_data_size(session,
						    QUIC_MAX_EARLY_DATA);
	if (ret)
		quic_log_debug("no max_early_data_size (a client): %s",
			       gnutls_strerror(ret));
}

/* Session tickets and 0-RTT, when the socket has a ticket key. */
static int quic_setup_tickets(gnutls_session_t session, int sockfd)
{
	uint8_t key[QUIC_TICKET_KEY_SIZE];
	socklen_t len = sizeof(key);
	gnutls_datum_t k;
	int ret;

	if (getsockopt(sockfd, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET, key,
		       &len)) {
		quic_log_debug("socket %d: no session ticket key: %s", sockfd,
			       strerror(errno));
		return 0;
	}
	if (len != sizeof(key)) {
		quic_log_debug("socket %d: a %u-byte session ticket key, not %d: no tickets",
			       sockfd, (unsigned int)len, QUIC_TICKET_KEY_SIZE);
		explicit_bzero(key, sizeof(key));
		return 0;
	}
	k.data = key;
	k.size = sizeof(key);
	ret = gnutls_session_ticket_enable_server(session, &k);
	explicit_bzero(key, sizeof(key));
	if (ret) {
		quic_log_error("socket %d: enabling session tickets failed: %s",
			       sockfd, gnutls_strerror(ret));
		return ret == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EINVAL;
	}
	return 0;
}

/* ------------------------------------------------------- handshakes */

static int quic_is_ip_literal(const char *host)
{
	unsigned char addr[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, addr) == 1 ||
	       inet_pton(AF_INET6, host, addr) == 1;
}

/* The client's name: SNI (unless an IP address). */
static int quic_set_server_name(gnutls_session_t session, const char *hostname)
{
	int ret;

	if (quic_is_ip_literal(hostname))
		return 0;
	ret = gnutls_server_name_set(session, GNUTLS_NAME_DNS, hostname,
				     strlen(hostname));
	if (ret) {
		quic_log_error("server name \"%s\": %s", hostname,
			       gnutls_strerror(ret));
		return -EINVAL;
	}
	return 0;
}

/* A client's credentials from its pkey_file (see quic_client_handshake()). */
static int quic_client_cred(struct quic_cred *cred, const char *pkey_file,
			    int pem)
{
	int ret;

	if (!pem)
		return quic_cred_load_psk_file(cred, pkey_file, 0);
	ret = quic_cred_load_trust_default(cred);
	if (!ret && pkey_file)
		ret = quic_cred_load_key_cert_files(cred, pkey_file, pkey_file);
	return ret;
}

/**
 * quic_client_handshake - run a client handshake on a connected socket
 * @sockfd: an IPPROTO_QUIC socket after connect()
 * @pkey_file: NULL for a server-authenticated X.509 handshake; a PSK file
 *	("identity:hexkey" lines, the first is used) for a PSK handshake; or
 *	a PEM file with the client's key and certificate chain
 * @hostname: the server's name, sent as SNI (unless an IP address) and
 *	checked against its certificate; NULL for neither (the certificate
 *	chain is still verified)
 * @alpns: comma-separated ALPN list, or NULL for the socket's
 *	(QUIC_SOCKOPT_ALPN), if any
 *
 * Return: 0, or a negative errno (see quic_handshake()).
 */
QUIC_EXPORT int quic_client_handshake(int sockfd, const char *pkey_file,
				      const char *hostname, const char *alpns)
{
	struct quic_cred cred = {};
	gnutls_session_t session = NULL;
	int ret, pem = 1;

	if (sockfd < 0 || (hostname && !*hostname))
		return -EINVAL;
	if (pkey_file) {
		pem = quic_file_is_pem(pkey_file);
		if (pem < 0)
			return pem;
	}

	ret = gnutls_init(&session, GNUTLS_CLIENT | GNUTLS_ENABLE_EARLY_DATA |
				    GNUTLS_NO_END_OF_EARLY_DATA);
	if (ret) {
		quic_log_error("gnutls_init: %s", gnutls_strerror(ret));
		return -ENOMEM;
	}

	ret = quic_client_cred(&cred, pkey_file, pem);
	if (!ret)
		ret = quic_cred_apply(session, &cred, NULL);
	if (!ret && cred.x509)
		gnutls_session_set_verify_cert(session, hostname, 0);
	if (!ret && hostname)
		ret = quic_set_server_name(session, hostname);
	if (!ret)
		ret = quic_setup_alpn(session, sockfd, alpns);
	if (!ret) {
		gnutls_transport_set_int(session, sockfd);
		ret = quic_handshake(session);
	}

	gnutls_deinit(session);
	quic_cred_free(&cred);
	return ret;
}

/**
 * quic_server_handshake - run a server handshake on an accepted socket
 * @sockfd: an IPPROTO_QUIC socket from accept()
 * @pkey_file: the PEM private key; or, with @cert_file NULL, a PSK file
 *	("identity:hexkey" lines)
 * @cert_file: the PEM certificate chain, or NULL for PSK
 * @alpns: comma-separated ALPN list, or NULL for the socket's
 *	(QUIC_SOCKOPT_ALPN), if any
 *
 * When the socket gives a session ticket key (QUIC_SOCKOPT_SESSION_TICKET,
 * 64 bytes), the server issues a ticket and accepts resumption and 0-RTT.
 *
 * Return: 0, or a negative errno (see quic_handshake()).
 */
QUIC_EXPORT int quic_server_handshake(int sockfd, const char *pkey_file,
				      const char *cert_file, const char *alpns)
{
	struct quic_psk_match psk = {};
	struct quic_cred cred = {};
	gnutls_session_t session = NULL;
	int ret;

	if (sockfd < 0 || !pkey_file)
		return -EINVAL;
	if (!cert_file) {
		ret = quic_file_is_pem(pkey_file);
		if (ret < 0)
			return ret;
		if (ret) {
			quic_log_error("%s: a PEM file, not PSKs, and no certificate file given",
				       pkey_file);
			return -EINVAL;
		}
	}

	ret = gnutls_init(&session, GNUTLS_SERVER | GNUTLS_ENABLE_EARLY_DATA |
				    GNUTLS_NO_END_OF_EARLY_DATA |
				    GNUTLS_NO_AUTO_SEND_TICKET);
	if (ret) {
		quic_log_error("gnutls_init: %s", gnutls_strerror(ret));
		return -ENOMEM;
	}

	if (cert_file)
		ret = quic_cred_load_key_cert_files(&cred, cert_file, pkey_file);
	else
		ret = quic_cred_load_psk_file(&cred, pkey_file, 1);
	if (!ret)
		ret = quic_cred_apply(session, &cred, &psk);
	if (!ret)
		ret = quic_setup_alpn(session, sockfd, alpns);
	if (!ret)
		ret = quic_setup_tickets(session, sockfd);
	if (!ret) {
		gnutls_transport_set_int(session, sockfd);
		ret = quic_handshake(session);
	}
	/* GnuTLS says "illegal parameter" for both of these: an unknown
	 * identity, and a known one whose binder did not verify
	 */
	if (ret && psk.looked_up && !psk.found) {
		quic_log_error("socket %d: %s: no PSK for identity \"%s\"",
			       sockfd, pkey_file, psk.peer);
		ret = -ENOKEY;
	} else if (ret == -EPROTO && psk.found && !psk.accepted) {
		quic_log_error("socket %d: the PSK of identity \"%s\" did not match the client's",
			       sockfd, psk.peer);
		ret = -EKEYREJECTED;
	}

	gnutls_deinit(session);
	quic_cred_free(&cred);
	return ret;
}
