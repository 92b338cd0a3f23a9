// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * quic-handshaked credentials: the GnuTLS session of one request, for a
 * QUIC or a TCP socket alike.
 *
 * - PSK: the request's identities are key serials; a key's description
 *   is the PSK identity, its payload the key.  A client offers the first
 *   readable one; a server accepts any of them, and reports the one the
 *   client used.
 * - X.509: our certificate and key from the request's key serials, else
 *   from x509.certificate and x509.private_key of the configuration's
 *   side; CA certificates from x509.truststore, else the system store.
 *   A client always verifies the server (against the peer name, when
 *   given); a server asks for a client certificate as the consumer said
 *   and verifies what it gets.
 * - Anonymous (unauth): a client that does not verify the server.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <linux/tls.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "daemon.h"

/* The ciphers each kind of socket can take, in our default order. */
static const struct {
	uint32_t	type;		/* TLS_CIPHER_* */
	const char	*name;		/* in a GnuTLS priority string */
	int		tcp;		/* kTLS takes it too */
} hsd_ciphers[] = {
	{ TLS_CIPHER_AES_GCM_128, "AES-128-GCM", 1 },
	{ TLS_CIPHER_AES_GCM_256, "AES-256-GCM", 1 },
	{ TLS_CIPHER_CHACHA20_POLY1305, "CHACHA20-POLY1305", 1 },
	{ TLS_CIPHER_AES_CCM_128, "AES-128-CCM", 0 },
};

#define HSD_NCIPHERS	(sizeof(hsd_ciphers) / sizeof(hsd_ciphers[0]))

/*
 * TLS 1.3, the ciphers the socket can take (@pref first when it is one
 * of them), the groups libquic offers, the PSK key exchanges.
 */
static int hsd_tls_priority(struct hsd_tls *t, int quic, uint32_t pref)
{
	char prio[512];
	const char *err = NULL;
	size_t i, n;
	int found = 0, ret;

	n = (size_t)snprintf(prio, sizeof(prio),
			     "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL");
	for (i = 0; i < HSD_NCIPHERS; i++)
		if (hsd_ciphers[i].type == pref && (quic || hsd_ciphers[i].tcp)) {
			n += (size_t)snprintf(prio + n, sizeof(prio) - n, ":+%s",
					      hsd_ciphers[i].name);
			found = 1;
		}
	if (pref && !found)
		hsd_warn("socket %d: preferred cipher type %u is not one we offer: ignored",
			 t->req->a.sockfd, pref);
	for (i = 0; i < HSD_NCIPHERS; i++)
		if (hsd_ciphers[i].type != pref && (quic || hsd_ciphers[i].tcp))
			n += (size_t)snprintf(prio + n, sizeof(prio) - n, ":+%s",
					      hsd_ciphers[i].name);
	snprintf(prio + n, sizeof(prio) - n,
		 ":-GROUP-ALL:+GROUP-SECP256R1:+GROUP-X25519:+GROUP-SECP384R1:"
		 "+GROUP-SECP521R1:+ECDHE-PSK:+DHE-PSK:+PSK%s%s",
		 quic ? ":%DISABLE_TLS13_COMPAT_MODE" : "",
		 found && !t->client ? ":%SERVER_PRECEDENCE" : "");
	ret = gnutls_priority_set_direct(t->session, prio, &err);
	if (ret) {
		hsd_err("socket %d: priority \"%s\" refused at \"%s\": %s",
			t->req->a.sockfd, prio, err ? err : "",
			gnutls_strerror(ret));
		return EINVAL;
	}
	hsd_debug("socket %d: priority %s", t->req->a.sockfd, prio);
	return 0;
}

static int hsd_tls_psk(struct hsd_tls *t)
{
	const struct hsd_request *r = t->req;
	gnutls_datum_t key;
	char what[64];
	unsigned int i;
	int ret;

	if (!r->npsk) {
		hsd_err("socket %d: none of the %u PSK identities could be read",
			r->a.sockfd, r->a.npeerids);
		return EINVAL;
	}
	for (i = 0; i < (t->client ? 1 : r->npsk); i++) {
		key.data = r->psk[i].data;
		key.size = (unsigned int)r->psk[i].len;
		snprintf(what, sizeof(what), "PSK key %d", r->psk[i].serial);
		if (t->client)
			ret = quic_cred_set_psk_client(&t->cred, r->psk[i].desc,
						       &key, what);
		else
			ret = quic_cred_add_psk_server(&t->cred, r->psk[i].desc,
						       &key);
		if (ret) {
			hsd_err("socket %d: %s (\"%s\") refused: %s",
				r->a.sockfd, what, r->psk[i].desc,
				strerror(-ret));
			return EINVAL;
		}
		if (t->client)
			t->psk_used = r->psk[i].serial;
		hsd_debug("socket %d: PSK identity \"%s\" (key %d)",
			  r->a.sockfd, r->psk[i].desc, r->psk[i].serial);
	}
	ret = quic_cred_apply(t->session, &t->cred, &t->match);
	return ret ? EINVAL : 0;
}

static int hsd_x509_alloc(struct hsd_tls *t)
{
	if (t->cred.x509)
		return 0;
	if (gnutls_certificate_allocate_credentials(&t->cred.x509)) {
		t->cred.x509 = NULL;
		hsd_err("allocating X.509 credentials failed");
		return ENOMEM;
	}
	return 0;
}

static int hsd_x509_trust(struct hsd_tls *t, const char *truststore)
{
	int fd = t->req->a.sockfd;
	struct stat sb;
	int ret;

	if (!truststore) {
		ret = quic_cred_add_system_trust(&t->cred);
		if (ret < 0)
			return ENOMEM;
		if (!ret)
			hsd_warn("socket %d: no system trust store and no x509.truststore: no peer certificate can verify",
				 fd);
		return 0;
	}
	ret = hsd_x509_alloc(t);
	if (ret)
		return ret;
	if (!stat(truststore, &sb) && S_ISDIR(sb.st_mode))
		ret = gnutls_certificate_set_x509_trust_dir(t->cred.x509,
							    truststore,
							    GNUTLS_X509_FMT_PEM);
	else
		ret = gnutls_certificate_set_x509_trust_file(t->cred.x509,
							     truststore,
							     GNUTLS_X509_FMT_PEM);
	if (ret <= 0) {
		hsd_err("socket %d: x509.truststore %s: %s", fd, truststore,
			ret < 0 ? gnutls_strerror(ret) : "no CA certificate in it");
		return EINVAL;
	}
	hsd_debug("socket %d: %d CA certificates from %s", fd, ret, truststore);
	return 0;
}

static gnutls_x509_crt_fmt_t hsd_fmt(const gnutls_datum_t *d)
{
	return memmem(d->data, d->size, "-----BEGIN", 10) ?
		GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER;
}

/* Our certificate chain and key, each PEM or DER. */
static int hsd_x509_set_key(struct hsd_tls *t, const gnutls_datum_t *cert,
			    const gnutls_datum_t *key, const char *what)
{
	gnutls_x509_crt_t *crts = NULL;
	gnutls_x509_privkey_t pkey = NULL;
	unsigned int n = 0, i;
	int ret;

	ret = hsd_x509_alloc(t);
	if (ret)
		return ret;
	ret = gnutls_x509_crt_list_import2(&crts, &n, cert, hsd_fmt(cert), 0);
	if (ret < 0 || !n) {
		hsd_err("socket %d: %s: the certificate cannot be parsed: %s",
			t->req->a.sockfd, what,
			ret < 0 ? gnutls_strerror(ret) : "none in it");
		return EINVAL;
	}
	ret = gnutls_x509_privkey_init(&pkey);
	if (!ret)
		ret = gnutls_x509_privkey_import2(pkey, key, hsd_fmt(key), NULL,
						  0);
	if (ret < 0) {
		hsd_err("socket %d: %s: the private key cannot be parsed: %s",
			t->req->a.sockfd, what, gnutls_strerror(ret));
		ret = EINVAL;
		goto out;
	}
	ret = gnutls_certificate_set_x509_key(t->cred.x509, crts, n, pkey);
	if (ret < 0) {
		hsd_err("socket %d: %s: %s", t->req->a.sockfd, what,
			gnutls_strerror(ret));
		ret = EINVAL;
		goto out;
	}
	hsd_debug("socket %d: our certificate (%u in the chain) from %s",
		  t->req->a.sockfd, n, what);
	ret = 0;
out:
	if (pkey)
		gnutls_x509_privkey_deinit(pkey);
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	return ret;
}

static int hsd_x509_files(struct hsd_tls *t, const struct hsd_side_config *side)
{
	gnutls_datum_t cert = { 0 }, key = { 0 };
	char what[1024];
	int ret;

	snprintf(what, sizeof(what), "x509.certificate %s, x509.private_key %s",
		 side->certificate, side->private_key);
	ret = gnutls_load_file(side->certificate, &cert);
	if (ret < 0) {
		hsd_err("socket %d: reading x509.certificate %s failed: %s",
			t->req->a.sockfd, side->certificate, gnutls_strerror(ret));
		return EINVAL;
	}
	ret = gnutls_load_file(side->private_key, &key);
	if (ret < 0) {
		hsd_err("socket %d: reading x509.private_key %s failed: %s",
			t->req->a.sockfd, side->private_key, gnutls_strerror(ret));
		gnutls_free(cert.data);
		return EINVAL;
	}
	ret = hsd_x509_set_key(t, &cert, &key, what);
	gnutls_free(cert.data);
	explicit_bzero(key.data, key.size);
	gnutls_free(key.data);
	return ret;
}

static int hsd_is_ip(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/*
 * A server verifies the client's certificate when the client sent one
 * (GnuTLS's own verification, gnutls_session_set_verify_cert(), would
 * also refuse a client that sent none when one was only requested).
 */
static int hsd_verify_client(gnutls_session_t session)
{
	unsigned int n = 0, status = 0;
	gnutls_datum_t out;
	int ret;

	if (!gnutls_certificate_get_peers(session, &n) || !n)
		return 0;
	ret = gnutls_certificate_verify_peers3(session, NULL, &status);
	if (ret < 0) {
		hsd_err("verifying the client's certificate failed: %s",
			gnutls_strerror(ret));
		return -1;
	}
	if (!status)
		return 0;
	if (!gnutls_certificate_verification_status_print(status,
			GNUTLS_CRT_X509, &out, 0)) {
		hsd_err("client certificate refused: %s", out.data);
		gnutls_free(out.data);
	}
	return -1;
}

static int hsd_tls_x509(struct hsd_tls *t, const struct hsd_config *cfg,
			enum hsd_cert_req cert_req)
{
	const struct hsd_request *r = t->req;
	const struct hsd_side_config *side = t->client ? &cfg->client
						       : &cfg->server;
	const char *peer = r->a.have_peername ? r->a.peername : NULL;
	char what[64];
	int ret;

	if (t->client ? r->a.auth_mode == HSD_AUTH_X509
		      : cert_req != HSD_CERT_NONE) {
		ret = hsd_x509_trust(t, side->truststore);
		if (ret)
			return ret;
	}
	ret = hsd_x509_alloc(t);
	if (ret)
		return ret;

	if (r->cert_err) {
		hsd_err("socket %d: the request's certificate (key %d) or private key (key %d) cannot be read",
			r->a.sockfd, r->a.cert, r->a.privkey);
		return EINVAL;
	}
	if (r->cert.data) {
		gnutls_datum_t c = { r->cert.data, (unsigned int)r->cert.len };
		gnutls_datum_t k = { r->privkey.data, (unsigned int)r->privkey.len };

		snprintf(what, sizeof(what), "keys %d and %d", r->cert.serial,
			 r->privkey.serial);
		ret = hsd_x509_set_key(t, &c, &k, what);
	} else if (side->certificate && side->private_key) {
		ret = hsd_x509_files(t, side);
	} else if (!t->client) {
		hsd_err("socket %d: no server certificate: the request names none, and [authenticate.server] sets no x509.certificate and x509.private_key",
			r->a.sockfd);
		ret = EINVAL;
	}
	if (ret)
		return ret;

	ret = quic_cred_apply(t->session, &t->cred, NULL);
	if (ret)
		return EINVAL;

	if (t->client) {
		if (peer && !hsd_is_ip(peer) &&
		    gnutls_server_name_set(t->session, GNUTLS_NAME_DNS, peer,
					   strlen(peer)))
			hsd_warn("socket %d: the server name \"%s\" cannot go in SNI",
				 r->a.sockfd, peer);
		if (r->a.auth_mode == HSD_AUTH_X509) {
			gnutls_session_set_verify_cert(t->session, peer, 0);
			t->verify = 1;
		}
		return 0;
	}
	switch (cert_req) {
	case HSD_CERT_NONE:
		gnutls_certificate_server_set_request(t->session,
						      GNUTLS_CERT_IGNORE);
		return 0;
	case HSD_CERT_REQUEST:
		gnutls_certificate_server_set_request(t->session,
						      GNUTLS_CERT_REQUEST);
		break;
	case HSD_CERT_REQUIRE:
		/* GnuTLS fails a client that sends none */
		gnutls_certificate_server_set_request(t->session,
						      GNUTLS_CERT_REQUIRE);
		break;
	}
	gnutls_certificate_set_verify_function(t->cred.x509,
					       hsd_verify_client);
	t->verify = 1;
	return 0;
}

int hsd_tls_init(struct hsd_tls *t, const struct hsd_config *cfg,
		 const struct hsd_request *r, int quic,
		 enum hsd_cert_req cert_req, uint32_t cipher)
{
	unsigned int flags;
	int ret;

	memset(t, 0, sizeof(*t));
	t->req = r;
	t->client = r->a.msg_type == HSD_MSG_TYPE_CLIENTHELLO;
	flags = t->client ? GNUTLS_CLIENT : GNUTLS_SERVER;
	if (quic) {
		flags |= GNUTLS_ENABLE_EARLY_DATA | GNUTLS_NO_END_OF_EARLY_DATA;
		if (!t->client)
			flags |= GNUTLS_NO_AUTO_SEND_TICKET;
	} else {
		/* no NewSessionTicket for the kernel's record layer to meet */
		flags |= GNUTLS_NO_TICKETS;
	}
	ret = gnutls_init(&t->session, flags);
	if (ret) {
		hsd_err("socket %d: gnutls_init failed: %s", r->a.sockfd,
			gnutls_strerror(ret));
		t->session = NULL;
		return ENOMEM;
	}
	if (r->a.auth_mode == HSD_AUTH_PSK)
		ret = hsd_tls_psk(t);
	else
		ret = hsd_tls_x509(t, cfg, cert_req);
	if (!ret)
		ret = hsd_tls_priority(t, quic, cipher);
	if (!ret)
		gnutls_transport_set_int(t->session, r->a.sockfd);
	return ret;
}

void hsd_tls_free(struct hsd_tls *t)
{
	if (t->session)
		gnutls_deinit(t->session);
	quic_cred_free(&t->cred);
	t->session = NULL;
}

int hsd_alert_is_auth(int alert)
{
	switch (alert) {
	case 42:	/* bad_certificate */
	case 43:	/* unsupported_certificate */
	case 44:	/* certificate_revoked */
	case 45:	/* certificate_expired */
	case 46:	/* certificate_unknown */
	case 47:	/* illegal_parameter: GnuTLS's answer to an unknown PSK */
	case 48:	/* unknown_ca */
	case 49:	/* access_denied */
	case 51:	/* decrypt_error: a PSK binder or signature */
	case 115:	/* unknown_psk_identity */
	case 116:	/* certificate_required */
		return 1;
	default:
		return 0;
	}
}

void hsd_tls_result(struct hsd_tls *t, int err, struct hsd_result *res)
{
	const struct hsd_request *r = t->req;
	unsigned int i;

	memset(res, 0, sizeof(*res));
	if (!err) {
		if (r->a.auth_mode != HSD_AUTH_PSK)
			return;
		if (t->client) {
			res->remote[res->nremote++] = t->psk_used;
			return;
		}
		for (i = 0; i < r->npsk; i++)
			if (t->match.found && !strcmp(r->psk[i].desc, t->match.peer)) {
				res->remote[res->nremote++] = r->psk[i].serial;
				break;
			}
		return;
	}
	if (err != -ETIMEDOUT && !t->client && r->a.auth_mode == HSD_AUTH_PSK) {
		if (t->match.looked_up && !t->match.found) {
			hsd_err("socket %d: the client's PSK identity \"%s\" is none of ours",
				r->a.sockfd, t->match.peer);
			res->status = EACCES;
			return;
		}
		if (t->match.found && !t->match.accepted) {
			hsd_err("socket %d: the client's PSK for \"%s\" did not match ours",
				r->a.sockfd, t->match.peer);
			res->status = EACCES;
			return;
		}
	}
	switch (-err) {
	case ETIMEDOUT:
		res->status = ETIMEDOUT;
		break;
	case EKEYREJECTED:
	case ENOKEY:
	case EACCES:
		res->status = EACCES;
		break;
	case EINVAL:
		res->status = EINVAL;
		break;
	default:
		res->status = EIO;
		break;
	}
}
