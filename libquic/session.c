// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libquic ready-made handshakes: quic_client_handshake() and
 * quic_server_handshake() set up a GnuTLS session for a QUIC socket
 * (X.509 or PSK credentials, ALPN, session tickets and 0-RTT on the
 * server) and run quic_handshake() on it; and the ALPN helpers.
 *
 * Files:
 * - X.509: PEM certificates and keys.  A client trusts the system store
 *   and the PEM file named by $QUIC_CA_FILE (else $SSL_CERT_FILE); its
 *   pkey_file, when it holds PEM, is its own key with its certificate
 *   chain, for servers that ask for one.
 * - PSK: GnuTLS psktool's format, one "identity:hexkey" per line; a
 *   client uses the first line, a server looks the client's identity up.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "internal.h"

/* Priority for PSK: the QUIC one with the PSK key exchanges, the ones
 * with (EC)DHE first.
 */
#define QUIC_PRIORITY_PSK	QUIC_PRIORITY ":+ECDHE-PSK:+DHE-PSK:+PSK"

/* The largest PSK or key file read to find out what it holds. */
#define QUIC_FILE_MAX		(1024 * 1024)
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

/* ---------------------------------------------------------- files */

/* Read a whole (small) file; *buf is NUL-terminated and freed by the
 * caller.
 */
static int quic_read_file(const char *path, char **buf, size_t *len)
{
	struct stat sb;
	ssize_t n;
	size_t got = 0;
	char *b;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		quic_log_error("%s: %s", path, strerror(err));
		return -err;
	}
	if (fstat(fd, &sb)) {
		err = errno;
		quic_log_error("%s: %s", path, strerror(err));
		close(fd);
		return -err;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > QUIC_FILE_MAX) {
		quic_log_error("%s: not a regular file of at most %d bytes",
			       path, QUIC_FILE_MAX);
		close(fd);
		return -EINVAL;
	}
	b = malloc((size_t)sb.st_size + 1);
	if (!b) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)sb.st_size) {
		n = read(fd, b + got, (size_t)sb.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n ? errno : EIO;
			quic_log_error("%s: reading failed: %s", path,
				       strerror(err));
			explicit_bzero(b, got);
			free(b);
			close(fd);
			return -err;
		}
		got += (size_t)n;
	}
	close(fd);
	b[got] = '\0';
	*buf = b;
	*len = got;
	return 0;
}

static void quic_free_file(char *buf, size_t len)
{
	if (buf) {
		explicit_bzero(buf, len);
		free(buf);
	}
}

static int quic_is_hex(const char *s, size_t n)
{
	size_t i;

	if (!n || n % 2)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		      (c >= 'A' && c <= 'F')))
			return 0;
	}
	return 1;
}

/* The PSKs of a file; for a server, what the lookup of one handshake
 * found.
 */
struct quic_psk_file {
	char		*buf;		/* the file, cut into the entries */
	size_t		len;
	unsigned int	n;
	char		**identity;
	char		**key;		/* hex */
	int		looked_up;
	int		found;
	int		accepted;	/* got as far as the ServerHello */
	char		peer[128];	/* the identity the client gave */
};

static int quic_psk_load(struct quic_psk_file *t, const char *path)
{
	char *line, *next, *colon, *end;
	unsigned int lines = 1;
	int ret;

	memset(t, 0, sizeof(*t));
	ret = quic_read_file(path, &t->buf, &t->len);
	if (ret)
		return ret;
	for (line = t->buf; *line; line++)
		lines += *line == '\n';
	t->identity = calloc(lines, sizeof(char *));
	t->key = calloc(lines, sizeof(char *));
	if (!t->identity || !t->key)
		return -ENOMEM;
	for (line = t->buf; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		end = line + strlen(line);
		while (end > line && (end[-1] == '\r' || end[-1] == ' ' ||
				      end[-1] == '\t'))
			*--end = '\0';
		if (!*line || *line == '#')
			continue;
		colon = strchr(line, ':');
		if (!colon || colon == line ||
		    !quic_is_hex(colon + 1, strlen(colon + 1))) {
			quic_log_error("%s: not a PSK file: lines must be \"identity:hexkey\"",
				       path);
			return -EINVAL;
		}
		*colon = '\0';
		t->identity[t->n] = line;
		t->key[t->n] = colon + 1;
		t->n++;
	}
	if (!t->n) {
		quic_log_error("%s: no \"identity:hexkey\" line", path);
		return -ENOENT;
	}
	return 0;
}

static void quic_psk_free(struct quic_psk_file *t)
{
	quic_free_file(t->buf, t->len);
	free(t->identity);
	free(t->key);
	t->buf = NULL;
	t->identity = NULL;
	t->key = NULL;
}

/* Does the file hold PEM (X.509 key, certificates) rather than PSKs?
 * 1 for PEM, 0 for PSK (checked), a negative errno otherwise.
 */
static int quic_file_is_pem(const char *path)
{
	struct quic_psk_file psk;
	size_t len;
	char *buf;
	int ret;

	ret = quic_read_file(path, &buf, &len);
	if (ret)
		return ret;
	ret = strstr(buf, "-----BEGIN ") != NULL;
	quic_free_file(buf, len);
	if (ret)
		return 1;
	ret = quic_psk_load(&psk, path);
	quic_psk_free(&psk);
	return ret;
}

/* --------------------------------------------------- credentials */

/* The system's trust store and $QUIC_CA_FILE (else $SSL_CERT_FILE). */
static int quic_load_trust(gnutls_certificate_credentials_t cred)
{
	const char *ca = getenv("QUIC_CA_FILE");
	const char *var = "QUIC_CA_FILE";
	int sys, ret;

	if (!ca || !*ca) {
		ca = getenv("SSL_CERT_FILE");
		var = "SSL_CERT_FILE";
	}
	sys = gnutls_certificate_set_x509_system_trust(cred);
	if (sys < 0)
		quic_log_debug("no system trust store: %s", gnutls_strerror(sys));
	if (ca && *ca) {
		if (access(ca, R_OK)) {
			ret = errno;
			quic_log_error("%s=%s: %s", var, ca, strerror(ret));
			return -ret;
		}
		ret = gnutls_certificate_set_x509_trust_file(cred, ca,
							     GNUTLS_X509_FMT_PEM);
		if (ret < 0) {
			quic_log_error("%s=%s: loading CA certificates failed: %s",
				       var, ca, gnutls_strerror(ret));
			return -EINVAL;
		}
		if (!ret) {
			quic_log_error("%s=%s: no CA certificate in it", var, ca);
			return -EINVAL;
		}
		quic_log_debug("%d CA certificates from %s", ret, ca);
	} else if (sys <= 0) {
		quic_log_warn("no trusted CA certificates: no system store, and neither QUIC_CA_FILE nor SSL_CERT_FILE is set");
	}
	return 0;
}

static int quic_load_key_cert(gnutls_certificate_credentials_t cred,
			      const char *cert_file, const char *pkey_file)
{
	int ret;

	if (access(cert_file, R_OK) || access(pkey_file, R_OK)) {
		ret = errno;
		quic_log_error("%s: %s", access(cert_file, R_OK) ? cert_file :
			       pkey_file, strerror(ret));
		return -ret;
	}
	ret = gnutls_certificate_set_x509_key_file(cred, cert_file, pkey_file,
						   GNUTLS_X509_FMT_PEM);
	if (ret < 0) {
		quic_log_error("loading certificate %s with key %s failed: %s",
			       cert_file, pkey_file, gnutls_strerror(ret));
		return ret == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EINVAL;
	}
	return 0;
}

/* A client uses the first PSK of the file. */
static int quic_load_psk_client(gnutls_psk_client_credentials_t cred,
				const char *path)
{
	struct quic_psk_file psk;
	gnutls_datum_t k;
	int ret;

	ret = quic_psk_load(&psk, path);
	if (!ret) {
		k.data = (unsigned char *)psk.key[0];
		k.size = (unsigned int)strlen(psk.key[0]);
		ret = gnutls_psk_set_client_credentials(cred, psk.identity[0],
							&k, GNUTLS_PSK_KEY_HEX);
		if (ret) {
			quic_log_error("%s: setting the PSK of \"%s\" failed: %s",
				       path, psk.identity[0],
				       gnutls_strerror(ret));
			ret = ret == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EINVAL;
		}
	}
	quic_psk_free(&psk);
	return ret;
}

/* GnuTLS looks up the key of the identity a client offered. */
static int quic_psk_lookup(gnutls_session_t session, const char *identity,
			   gnutls_datum_t *key)
{
	struct quic_psk_file *t = gnutls_session_get_ptr(session);
	gnutls_datum_t hex;
	unsigned int i;

	if (!t)
		return -1;
	t->looked_up = 1;
	snprintf(t->peer, sizeof(t->peer), "%s", identity);
	for (i = 0; i < t->n; i++) {
		if (strcmp(t->identity[i], identity))
			continue;
		hex.data = (unsigned char *)t->key[i];
		hex.size = (unsigned int)strlen(t->key[i]);
		if (gnutls_hex_decode2(&hex, key))
			return -1;
		t->found = 1;
		return 0;
	}
	return -1;
}

/* The ServerHello goes out: the PSK binder was right. */
static int quic_psk_hook(gnutls_session_t session, unsigned int htype,
			 unsigned int when, unsigned int incoming,
			 const gnutls_datum_t *msg)
{
	struct quic_psk_file *t = gnutls_session_get_ptr(session);

	(void)htype;
	(void)when;
	(void)incoming;
	(void)msg;
	if (t)
		t->accepted = 1;
	return 0;
}

/* ------------------------------------------- 0-RTT anti-replay (server) */

#define QUIC_AR_SLOTS	4096

struct quic_ar_entry {
	time_t		expires;
	uint8_t		used;
	uint8_t		key[32];	/* SHA-256 of what GnuTLS passes */
};

static pthread_mutex_t quic_ar_lock = PTHREAD_MUTEX_INITIALIZER;
static struct quic_ar_entry *quic_ar_table;
static gnutls_anti_replay_t quic_ar;
static int quic_ar_failed;

/* GnuTLS asks to remember a 0-RTT ClientHello: refuse one seen before. */
static int quic_ar_add(void *ptr, time_t expires, const gnutls_datum_t *key,
		       const gnutls_datum_t *data)
{
	struct quic_ar_entry *e, *slot = NULL;
	uint8_t hash[32];
	time_t now = time(NULL);
	int i;

	(void)ptr;
	(void)data;
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, key->data, key->size, hash))
		return GNUTLS_E_DB_ERROR;

	pthread_mutex_lock(&quic_ar_lock);
	for (i = 0; i < QUIC_AR_SLOTS; i++) {
		e = &quic_ar_table[i];
		if (e->used && e->expires < now)
			e->used = 0;
		if (!e->used) {
			if (!slot)
				slot = e;
			continue;
		}
		if (!memcmp(e->key, hash, sizeof(hash))) {
			pthread_mutex_unlock(&quic_ar_lock);
			quic_log_warn("a replayed 0-RTT ClientHello: early data refused");
			return GNUTLS_E_DB_ENTRY_EXISTS;
		}
	}
	if (!slot) {
		pthread_mutex_unlock(&quic_ar_lock);
		quic_log_debug("anti-replay table full: early data refused");
		return GNUTLS_E_DB_ERROR;
	}
	slot->used = 1;
	slot->expires = expires;
	memcpy(slot->key, hash, sizeof(hash));
	pthread_mutex_unlock(&quic_ar_lock);
	return 0;
}

/* The process-wide anti-replay state, made on first use; NULL if that
 * failed (0-RTT is then not accepted).
 */
static gnutls_anti_replay_t quic_anti_replay(void)
{
	gnutls_anti_replay_t ar = NULL;

	pthread_mutex_lock(&quic_ar_lock);
	if (!quic_ar && !quic_ar_failed) {
		quic_ar_table = calloc(QUIC_AR_SLOTS, sizeof(*quic_ar_table));
		if (quic_ar_table && !gnutls_anti_replay_init(&quic_ar)) {
			gnutls_anti_replay_set_add_function(quic_ar, quic_ar_add);
		} else {
			free(quic_ar_table);
			quic_ar_table = NULL;
			quic_ar = NULL;
			quic_ar_failed = 1;
			quic_log_warn("no anti-replay state: 0-RTT is refused");
		}
	}
	ar = quic_ar;
	pthread_mutex_unlock(&quic_ar_lock);
	return ar;
}

/* Session tickets and 0-RTT, when the socket has a ticket key. */
static int quic_setup_tickets(gnutls_session_t session, int sockfd)
{
	uint8_t key[QUIC_TICKET_KEY_SIZE];
	socklen_t len = sizeof(key);
	gnutls_anti_replay_t ar;
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
	ar = quic_anti_replay();
	if (ar) {
		gnutls_anti_replay_enable(session, ar);
		ret = gnutls_record_set_max_early_data_size(session,
							    QUIC_MAX_EARLY_DATA);
		if (ret)
			quic_log_debug("socket %d: max_early_data_size: %s",
				       sockfd, gnutls_strerror(ret));
	}
	return 0;
}

/* ------------------------------------------------------- handshakes */

static int quic_set_priority(gnutls_session_t session, const char *prio)
{
	const char *err = NULL;
	int ret;

	ret = gnutls_priority_set_direct(session, prio, &err);
	if (ret) {
		quic_log_error("priority \"%s\" refused at \"%s\": %s", prio,
			       err ? err : "", gnutls_strerror(ret));
		return -EINVAL;
	}
	return 0;
}

static int quic_is_ip_literal(const char *host)
{
	unsigned char addr[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, addr) == 1 ||
	       inet_pton(AF_INET6, host, addr) == 1;
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
	gnutls_certificate_credentials_t xcred = NULL;
	gnutls_psk_client_credentials_t pcred = NULL;
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

	if (pem) {
		ret = gnutls_certificate_allocate_credentials(&xcred) ?
			-ENOMEM : 0;
		if (!ret)
			ret = quic_load_trust(xcred);
		if (!ret && pkey_file)
			ret = quic_load_key_cert(xcred, pkey_file, pkey_file);
		if (!ret && gnutls_credentials_set(session,
						   GNUTLS_CRD_CERTIFICATE,
						   xcred))
			ret = -ENOMEM;
		if (!ret) {
			gnutls_session_set_verify_cert(session, hostname, 0);
			ret = quic_set_priority(session, QUIC_PRIORITY);
		}
	} else {
		ret = gnutls_psk_allocate_client_credentials(&pcred) ?
			-ENOMEM : 0;
		if (!ret)
			ret = quic_load_psk_client(pcred, pkey_file);
		if (!ret && gnutls_credentials_set(session, GNUTLS_CRD_PSK,
						   pcred))
			ret = -ENOMEM;
		if (!ret)
			ret = quic_set_priority(session, QUIC_PRIORITY_PSK);
	}
	if (!ret && hostname && !quic_is_ip_literal(hostname)) {
		ret = gnutls_server_name_set(session, GNUTLS_NAME_DNS, hostname,
					     strlen(hostname));
		if (ret) {
			quic_log_error("server name \"%s\": %s", hostname,
				       gnutls_strerror(ret));
			ret = -EINVAL;
		}
	}
	if (!ret)
		ret = quic_setup_alpn(session, sockfd, alpns);
	if (!ret) {
		gnutls_transport_set_int(session, sockfd);
		ret = quic_handshake(session);
	}

	gnutls_deinit(session);
	if (xcred)
		gnutls_certificate_free_credentials(xcred);
	if (pcred)
		gnutls_psk_free_client_credentials(pcred);
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
	gnutls_certificate_credentials_t xcred = NULL;
	gnutls_psk_server_credentials_t pcred = NULL;
	struct quic_psk_file psk = {};
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

	if (cert_file) {
		ret = gnutls_certificate_allocate_credentials(&xcred) ?
			-ENOMEM : 0;
		if (!ret)
			ret = quic_load_key_cert(xcred, cert_file, pkey_file);
		if (!ret && gnutls_credentials_set(session,
						   GNUTLS_CRD_CERTIFICATE,
						   xcred))
			ret = -ENOMEM;
		if (!ret)
			ret = quic_set_priority(session, QUIC_PRIORITY);
	} else {
		ret = gnutls_psk_allocate_server_credentials(&pcred) ?
			-ENOMEM : 0;
		if (!ret)
			ret = quic_psk_load(&psk, pkey_file);
		if (!ret) {
			gnutls_psk_set_server_credentials_function(pcred,
							quic_psk_lookup);
			gnutls_session_set_ptr(session, &psk);
			gnutls_handshake_set_hook_function(session,
					GNUTLS_HANDSHAKE_SERVER_HELLO,
					GNUTLS_HOOK_PRE, quic_psk_hook);
			if (gnutls_credentials_set(session, GNUTLS_CRD_PSK,
						   pcred))
				ret = -ENOMEM;
		}
		if (!ret)
			ret = quic_set_priority(session, QUIC_PRIORITY_PSK);
	}
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
	if (xcred)
		gnutls_certificate_free_credentials(xcred);
	if (pcred)
		gnutls_psk_free_server_credentials(pcred);
	quic_psk_free(&psk);
	return ret;
}
