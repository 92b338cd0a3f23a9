// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * creds.c - keys, certificates and PSKs for the tests, and one side's
 * handshake with them.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/quic.h>
#include <gnutls/gnutls.h>

#include "../certs.h"
#include "creds.h"

struct creds creds;

const char psk_hex[] =
	"2b7e151628aed2a6abf7158809cf4f3c2b7e151628aed2a6abf7158809cf4f3c";
const char psk_hex_wrong[] =
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

static int psk_lookup(gnutls_session_t s, const char *identity,
		      gnutls_datum_t *key)
{
	gnutls_datum_t h = { (unsigned char *)psk_hex, sizeof(psk_hex) - 1 };

	(void)s;
	if (strcmp(identity, "alice"))
		return -1;
	return gnutls_hex_decode2(&h, key) ? -1 : 0;
}

int creds_setup_psk(void)
{
	gnutls_datum_t k = { (unsigned char *)psk_hex, sizeof(psk_hex) - 1 };
	gnutls_datum_t kw = { (unsigned char *)psk_hex_wrong,
			      sizeof(psk_hex_wrong) - 1 };

	if (gnutls_psk_allocate_client_credentials(&creds.psk_cli) ||
	    gnutls_psk_set_client_credentials(creds.psk_cli, "alice", &k,
					      GNUTLS_PSK_KEY_HEX) ||
	    gnutls_psk_allocate_client_credentials(&creds.psk_cli_wrong) ||
	    gnutls_psk_set_client_credentials(creds.psk_cli_wrong, "alice",
					      &kw, GNUTLS_PSK_KEY_HEX) ||
	    gnutls_psk_allocate_server_credentials(&creds.psk_srv))
		return -1;
	gnutls_psk_set_server_credentials_function(creds.psk_srv, psk_lookup);
	return 0;
}

int creds_file(char *path, size_t size, const char *name, const char *fmt,
	       ...)
{
	char buf[1024];
	va_list ap;
	int n;

	snprintf(path, size, "%s/%s", creds.dir, name);
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	return certs_write_file(path, buf, (size_t)n);
}

/* the certificate and PSK files, in creds.dir */
static int creds_files(const char *prog)
{
	char buf[256];

#define PATH(var, name) \
	snprintf(creds.var, sizeof(creds.var), "%s/%s", creds.dir, name)
	PATH(ca, "ca.pem");
	PATH(srv_cert, "server.pem");
	PATH(srv_key, "server.key");
	PATH(rogue_ca, "rogue-ca.pem");
	PATH(rogue_cert, "rogue-server.pem");
	PATH(rogue_key, "rogue-server.key");
#undef PATH
	snprintf(buf, sizeof(buf), "%s CA", prog);
	if (certs_make_ca_and_server(creds.ca, creds.srv_cert, creds.srv_key,
				     buf) ||
	    certs_make_ca_and_server(creds.rogue_ca, creds.rogue_cert,
				     creds.rogue_key, "some other CA"))
		return -1;
	return creds_file(creds.psk, sizeof(creds.psk), "alice.psk",
			  "alice:%s\n", psk_hex) ||
	       creds_file(creds.psk_wrong, sizeof(creds.psk_wrong), "wrong.psk",
			  "alice:%s\n", psk_hex_wrong) ? -1 : 0;
}

/* X.509 credentials trusting @ca (when not NULL), with @cert and @key
 * (when @cert is not NULL)
 */
static int x509_creds(gnutls_certificate_credentials_t *x, const char *ca,
		      const char *cert, const char *key)
{
	if (gnutls_certificate_allocate_credentials(x))
		return -1;
	if (ca && gnutls_certificate_set_x509_trust_file(*x, ca,
					GNUTLS_X509_FMT_PEM) < 1)
		return -1;
	if (cert && gnutls_certificate_set_x509_key_file(*x, cert, key,
					GNUTLS_X509_FMT_PEM))
		return -1;
	return 0;
}

int creds_load(const char *ca, const char *cert, const char *key)
{
	if (ca && x509_creds(&creds.x509_cli, ca, NULL, NULL))
		return -1;
	if (cert && x509_creds(&creds.x509_srv, NULL, cert, key))
		return -1;
	return 0;
}

int creds_setup(const char *prog)
{
	struct creds *c = &creds;

	snprintf(c->dir, sizeof(c->dir), "/tmp/%s.XXXXXX", prog);
	if (!mkdtemp(c->dir)) {
		c->dir[0] = 0;
		return -1;
	}
	if (creds_files(prog) ||
	    creds_load(c->ca, c->srv_cert, c->srv_key) ||
	    x509_creds(&c->x509_rogue, NULL, c->rogue_cert, c->rogue_key))
		return -1;
	/* libquic's own handshakes trust this CA */
	setenv("QUIC_CA_FILE", c->ca, 1);
	return creds_setup_psk();
}

void creds_remove(void)
{
	struct dirent *e;
	char path[600];
	DIR *d;

	if (!creds.dir[0] || getenv("QUIC_TEST_KEEP"))
		return;
	d = opendir(creds.dir);
	if (d) {
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", creds.dir,
				 e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(creds.dir);
}

/* libquic's quic_client_handshake() or quic_server_handshake() */
static int handshake_libquic(int fd, int server, const struct hs_cfg *c,
			     const char *host, const char *alpn)
{
	if (server)
		return quic_server_handshake(fd,
			c->psk ? creds.psk : c->rogue ? creds.rogue_key :
							creds.srv_key,
			c->psk ? NULL : c->rogue ? creds.rogue_cert :
						   creds.srv_cert,
			alpn);
	return quic_client_handshake(fd,
			c->psk ? (c->wrong_psk ? creds.psk_wrong : creds.psk) :
				 NULL,
			host, alpn);
}

static const char *cipher_prio(const char *cipher)
{
	return cipher ? cipher :
		"AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CCM";
}

/* the credentials of @c on @s; 0 or -1 */
static int handshake_creds(gnutls_session_t s, int server,
			   const struct hs_cfg *c, const char *host)
{
	if (c->psk)
		return gnutls_credentials_set(s, GNUTLS_CRD_PSK,
				server ? (void *)creds.psk_srv :
				c->wrong_psk ? (void *)creds.psk_cli_wrong :
				(void *)creds.psk_cli) ? -1 : 0;
	if (gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE,
				   server ? (c->rogue ? creds.x509_rogue :
						       creds.x509_srv)
					  : creds.x509_cli))
		return -1;
	if (!server) {
		if (gnutls_server_name_set(s, GNUTLS_NAME_DNS, host,
					   strlen(host)))
			return -1;
		gnutls_session_set_verify_cert(s, host, 0);
	}
	return 0;
}

int handshake(int fd, int server, const struct hs_cfg *c, int *cipher)
{
	static const struct hs_cfg none;
	const char *host, *alpn;
	gnutls_session_t s;
	char prio[512];
	int ret;

	if (!c)
		c = &none;
	host = c->host ? c->host : "localhost";
	alpn = !c->alpn ? ALPN : *c->alpn ? c->alpn : NULL;
	if (c->libquic)
		return handshake_libquic(fd, server, c, host, alpn);

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
	if (gnutls_priority_set_direct(s, prio, NULL) ||
	    handshake_creds(s, server, c, host))
		goto out;
	ret = alpn ? quic_session_set_alpn(s, alpn, strlen(alpn)) : 0;
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
