// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libquic credentials: what a ready-made handshake authenticates with
 * (struct quic_cred, see internal.h).  They are built from memory, as a
 * handshake daemon hands over keys and certificates it holds already; the
 * file paths of quic_client_handshake() and quic_server_handshake() read
 * their files and hand the bytes to the same functions.
 *
 * Files:
 * - X.509: PEM certificates and keys.  A client trusts the system store
 *   and the PEM file named by $QUIC_CA_FILE (else $SSL_CERT_FILE); its
 *   pkey_file, when it holds PEM, is its own key with its certificate
 *   chain, for servers that ask for one.
 * - PSK: GnuTLS psktool's format, one "identity:hexkey" per line; a
 *   client uses the first line, a server looks the client's identity up.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "internal.h"

/* The largest PSK or key file read to find out what it holds. */
#define QUIC_FILE_MAX		(1024 * 1024)

/* ---------------------------------------------------- from memory */

static int quic_cred_x509_alloc(struct quic_cred *cred)
{
	if (cred->x509)
		return 0;
	if (gnutls_certificate_allocate_credentials(&cred->x509)) {
		cred->x509 = NULL;
		quic_log_error("allocating X.509 credentials failed");
		return -ENOMEM;
	}
	return 0;
}

/* A missing or unreadable system store is no error: a client may trust
 * only what it is given.
 */
int quic_cred_add_system_trust(struct quic_cred *cred)
{
	int ret = quic_cred_x509_alloc(cred);

	if (ret)
		return ret;
	ret = gnutls_certificate_set_x509_system_trust(cred->x509);
	if (ret < 0) {
		quic_log_debug("no system trust store: %s", gnutls_strerror(ret));
		return 0;
	}
	return ret;
}

int quic_cred_add_trust(struct quic_cred *cred, const gnutls_datum_t *ca,
			gnutls_x509_crt_fmt_t fmt, const char *what)
{
	int ret = quic_cred_x509_alloc(cred);

	if (ret)
		return ret;
	ret = gnutls_certificate_set_x509_trust_mem(cred->x509, ca, fmt);
	if (ret < 0) {
		quic_log_error("%s: loading CA certificates failed: %s", what,
			       gnutls_strerror(ret));
		return -EINVAL;
	}
	if (!ret) {
		quic_log_error("%s: no CA certificate in it", what);
		return -EINVAL;
	}
	return ret;
}

int quic_cred_set_key_cert(struct quic_cred *cred, const gnutls_datum_t *cert,
			   const gnutls_datum_t *key, gnutls_x509_crt_fmt_t fmt,
			   const char *what)
{
	int ret = quic_cred_x509_alloc(cred);

	if (ret)
		return ret;
	ret = gnutls_certificate_set_x509_key_mem(cred->x509, cert, key, fmt);
	if (ret < 0) {
		quic_log_error("loading %s failed: %s", what,
			       gnutls_strerror(ret));
		return ret == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EINVAL;
	}
	return 0;
}

int quic_cred_set_psk_client(struct quic_cred *cred, const char *identity,
			     const gnutls_datum_t *key, const char *what)
{
	int ret;

	if (!identity || !*identity || !key->size) {
		quic_log_error("%s: a client PSK with no identity or no key",
			       what);
		return -EINVAL;
	}
	if (cred->psk_client) {
		/* GnuTLS offers one PSK per client session */
		quic_log_error("%s: the client has a PSK already", what);
		return -EINVAL;
	}
	if (gnutls_psk_allocate_client_credentials(&cred->psk_client)) {
		cred->psk_client = NULL;
		quic_log_error("%s: allocating PSK credentials failed", what);
		return -ENOMEM;
	}
	ret = gnutls_psk_set_client_credentials(cred->psk_client, identity, key,
						GNUTLS_PSK_KEY_RAW);
	if (ret) {
		quic_log_error("%s: setting the PSK of \"%s\" failed: %s", what,
			       identity, gnutls_strerror(ret));
		gnutls_psk_free_client_credentials(cred->psk_client);
		cred->psk_client = NULL;
		return ret == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EINVAL;
	}
	return 0;
}

/* GnuTLS looks up the key of the identity a client offered; the
 * session's user pointer is its struct quic_psk_match.
 */
static int quic_psk_lookup(gnutls_session_t session, const char *identity,
			   gnutls_datum_t *key)
{
	struct quic_psk_match *match = gnutls_session_get_ptr(session);
	const struct quic_psk *psk;
	unsigned int i;

	if (!match || !match->cred)
		return -1;
	match->looked_up = 1;
	snprintf(match->peer, sizeof(match->peer), "%s", identity);
	for (i = 0; i < match->cred->npsks; i++) {
		psk = &match->cred->psks[i];
		if (strcmp(psk->identity, identity))
			continue;
		/* GnuTLS frees the key it is given */
		key->data = gnutls_malloc(psk->key.size);
		if (!key->data)
			return -1;
		memcpy(key->data, psk->key.data, psk->key.size);
		key->size = psk->key.size;
		match->found = 1;
		return 0;
	}
	return -1;
}

/* The ServerHello goes out: the PSK binder was right. */
static int quic_psk_hook(gnutls_session_t session, unsigned int htype,
			 unsigned int when, unsigned int incoming,
			 const gnutls_datum_t *msg)
{
	struct quic_psk_match *match = gnutls_session_get_ptr(session);

	(void)htype;
	(void)when;
	(void)incoming;
	(void)msg;
	if (match)
		match->accepted = 1;
	return 0;
}

static int quic_cred_psk_server_alloc(struct quic_cred *cred)
{
	if (cred->psk_server)
		return 0;
	if (gnutls_psk_allocate_server_credentials(&cred->psk_server)) {
		cred->psk_server = NULL;
		quic_log_error("allocating PSK server credentials failed");
		return -ENOMEM;
	}
	gnutls_psk_set_server_credentials_function(cred->psk_server,
						   quic_psk_lookup);
	return 0;
}

int quic_cred_add_psk_server(struct quic_cred *cred, const char *identity,
			     const gnutls_datum_t *key)
{
	struct quic_psk *psks, *psk;
	int ret;

	if (!identity || !*identity || !key->size) {
		quic_log_error("a server PSK with no identity or no key");
		return -EINVAL;
	}
	ret = quic_cred_psk_server_alloc(cred);
	if (ret)
		return ret;
	psks = realloc(cred->psks, (cred->npsks + 1) * sizeof(*psks));
	if (!psks)
		return -ENOMEM;
	cred->psks = psks;
	psk = &psks[cred->npsks];
	psk->identity = strdup(identity);
	psk->key.data = malloc(key->size);
	if (!psk->identity || !psk->key.data) {
		free(psk->identity);
		free(psk->key.data);
		quic_log_error("adding the PSK of \"%s\": out of memory", identity);
		return -ENOMEM;
	}
	memcpy(psk->key.data, key->data, key->size);
	psk->key.size = key->size;
	cred->npsks++;
	return 0;
}

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

int quic_cred_apply(gnutls_session_t session, const struct quic_cred *cred,
		    struct quic_psk_match *match)
{
	int psk = cred->psk_client || cred->psk_server;

	if ((!cred->x509 && !psk) || (cred->psk_server && !match)) {
		quic_log_error("no credentials to put on the session");
		return -EINVAL;
	}
	if (cred->x509 && gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE,
						 cred->x509))
		goto nomem;
	if (cred->psk_client && gnutls_credentials_set(session, GNUTLS_CRD_PSK,
						       cred->psk_client))
		goto nomem;
	if (cred->psk_server) {
		memset(match, 0, sizeof(*match));
		match->cred = cred;
		gnutls_session_set_ptr(session, match);
		gnutls_handshake_set_hook_function(session,
						   GNUTLS_HANDSHAKE_SERVER_HELLO,
						   GNUTLS_HOOK_PRE,
						   quic_psk_hook);
		if (gnutls_credentials_set(session, GNUTLS_CRD_PSK,
					   cred->psk_server))
			goto nomem;
	}
	/* QUIC_PRIORITY has the PSK key exchanges, (EC)DHE ones first */
	return quic_set_priority(session, QUIC_PRIORITY);
nomem:
	quic_log_error("setting the credentials of a session failed");
	return -ENOMEM;
}

void quic_cred_free(struct quic_cred *cred)
{
	unsigned int i;

	if (cred->x509)
		gnutls_certificate_free_credentials(cred->x509);
	if (cred->psk_client)
		gnutls_psk_free_client_credentials(cred->psk_client);
	if (cred->psk_server)
		gnutls_psk_free_server_credentials(cred->psk_server);
	for (i = 0; i < cred->npsks; i++) {
		explicit_bzero(cred->psks[i].key.data, cred->psks[i].key.size);
		free(cred->psks[i].key.data);
		free(cred->psks[i].identity);
	}
	free(cred->psks);
	memset(cred, 0, sizeof(*cred));
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

/* The PSKs of a file, checked, before they go to a struct quic_cred. */
struct quic_psk_file {
	char		*buf;		/* the file, cut into the entries */
	size_t		len;
	unsigned int	n;
	char		**identity;
	char		**key;		/* hex */
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
int quic_file_is_pem(const char *path)
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

/* Free what gnutls_load_file() read, wiped: it may be a key. */
static void quic_datum_free(gnutls_datum_t *d)
{
	if (d->data) {
		explicit_bzero(d->data, d->size);
		gnutls_free(d->data);
	}
	d->data = NULL;
	d->size = 0;
}

/* A whole certificate, key or CA file, whatever its size and kind, as
 * GnuTLS's own *_file functions read it.  The caller checked access().
 * 0 or a GnuTLS error.
 */
static int quic_load_file(const char *path, gnutls_datum_t *d)
{
	int ret = gnutls_load_file(path, d);

	if (ret < 0) {
		d->data = NULL;
		d->size = 0;
		return ret;
	}
	return 0;
}

int quic_cred_load_trust_default(struct quic_cred *cred)
{
	const char *ca = getenv("QUIC_CA_FILE");
	const char *var = "QUIC_CA_FILE";
	char what[QUIC_LOG_MSG_MAX];
	gnutls_datum_t pem;
	int sys, ret;

	if (!ca || !*ca) {
		ca = getenv("SSL_CERT_FILE");
		var = "SSL_CERT_FILE";
	}
	sys = quic_cred_add_system_trust(cred);
	if (sys < 0)
		return sys;
	if (!ca || !*ca) {
		if (!sys)
			quic_log_warn("no trusted CA certificates: no system store, and neither QUIC_CA_FILE nor SSL_CERT_FILE is set");
		return 0;
	}
	if (access(ca, R_OK)) {
		ret = errno;
		quic_log_error("%s=%s: %s", var, ca, strerror(ret));
		return -ret;
	}
	snprintf(what, sizeof(what), "%s=%s", var, ca);
	ret = quic_load_file(ca, &pem);
	if (ret) {
		quic_log_error("%s: loading CA certificates failed: %s", what,
			       gnutls_strerror(ret));
		return -EINVAL;
	}
	ret = quic_cred_add_trust(cred, &pem, GNUTLS_X509_FMT_PEM, what);
	quic_datum_free(&pem);
	if (ret < 0)
		return ret;
	quic_log_debug("%d CA certificates from %s", ret, ca);
	return 0;
}

int quic_cred_load_key_cert_files(struct quic_cred *cred,
				  const char *cert_file, const char *key_file)
{
	gnutls_datum_t cert = {}, key = {};
	char what[QUIC_LOG_MSG_MAX];
	int ret;

	if (access(cert_file, R_OK) || access(key_file, R_OK)) {
		ret = errno;
		quic_log_error("%s: %s", access(cert_file, R_OK) ? cert_file :
			       key_file, strerror(ret));
		return -ret;
	}
	snprintf(what, sizeof(what), "certificate %s with key %s", cert_file,
		 key_file);
	ret = quic_load_file(cert_file, &cert);
	if (!ret)
		ret = quic_load_file(key_file, &key);
	if (ret) {
		quic_log_error("loading %s failed: %s", what,
			       gnutls_strerror(ret));
		ret = ret == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EINVAL;
	} else {
		ret = quic_cred_set_key_cert(cred, &cert, &key,
					     GNUTLS_X509_FMT_PEM, what);
	}
	quic_datum_free(&cert);
	quic_datum_free(&key);
	return ret;
}

int quic_cred_load_psk_file(struct quic_cred *cred, const char *path,
			    int server)
{
	struct quic_psk_file file;
	gnutls_datum_t hex, key;
	unsigned int i;
	int ret;

	ret = quic_psk_load(&file, path);
	for (i = 0; !ret && i < (server ? file.n : 1); i++) {
		hex.data = (unsigned char *)file.key[i];
		hex.size = (unsigned int)strlen(file.key[i]);
		/* checked as hex already: only memory can be short */
		if (gnutls_hex_decode2(&hex, &key)) {
			quic_log_error("%s: decoding the PSK of \"%s\" failed",
				       path, file.identity[i]);
			ret = -ENOMEM;
			break;
		}
		if (server)
			ret = quic_cred_add_psk_server(cred, file.identity[i],
						       &key);
		else
			ret = quic_cred_set_psk_client(cred, file.identity[i],
						       &key, path);
		quic_datum_free(&key);
	}
	quic_psk_free(&file);
	return ret;
}
