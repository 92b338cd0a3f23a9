/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * creds.h - keys, certificates and PSKs for the tests, and one side's
 * handshake with them (see testlib.h).
 */
#ifndef QUIC_TESTLIB_CREDS_H
#define QUIC_TESTLIB_CREDS_H

#include <stddef.h>

#include <gnutls/gnutls.h>

#define ALPN		"conn-test"

/*
 * What creds_setup() makes: a CA and a "localhost" certificate it signed,
 * a rogue one of another CA, and PSK files for identity "alice" with the
 * right and with a wrong key, in a temporary directory; and the GnuTLS
 * credentials of each (the PSK ones also from creds_setup_psk() alone).
 */
struct creds {
	char	dir[256];
	char	ca[300], srv_cert[300], srv_key[300];
	char	rogue_ca[300], rogue_cert[300], rogue_key[300];
	char	psk[300], psk_wrong[300];
	gnutls_certificate_credentials_t	x509_cli, x509_srv, x509_rogue;
	gnutls_psk_client_credentials_t		psk_cli, psk_cli_wrong;
	gnutls_psk_server_credentials_t		psk_srv;
};

extern struct creds creds;

/* The files in /tmp/@prog.XXXXXX and every credential; 0 or -1.  libquic's
 * own handshakes are told to trust the CA (QUIC_CA_FILE).
 */
int creds_setup(const char *prog);

/* The keys of "alice" in creds.psk and creds.psk_wrong, in hex. */
extern const char psk_hex[], psk_hex_wrong[];

/*
 * X.509 credentials from PEM files, without creds_setup(): creds.x509_cli
 * trusting @ca, creds.x509_srv with @cert and @key (a NULL @ca or @cert:
 * that one is not made); 0 or -1.
 */
int creds_load(const char *ca, const char *cert, const char *key);

/* A file @name in creds.dir with the text @fmt makes, its path into @path
 * (@size bytes); 0 or -1.
 */
int creds_file(char *path, size_t size, const char *name, const char *fmt,
	       ...) __attribute__((format(printf, 4, 5)));

/* Only the in-memory PSK credentials (what --transfer modes need). */
int creds_setup_psk(void);

/* Remove the directory, unless QUIC_TEST_KEEP is set. */
void creds_remove(void);

/* One side's handshake: what it uses. */
struct hs_cfg {
	const char	*cipher;	/* GnuTLS name; NULL: every QUIC one */
	int		psk;		/* PSK instead of X.509 */
	int		wrong_psk;	/* client: a key the server lacks */
	int		rogue;		/* server: a certificate of another CA */
	const char	*host;		/* client: the name verified */
	const char	*alpn;		/* NULL: ALPN; "": none */
	int		libquic;	/* quic_client/server_handshake() */
};

/*
 * Run one side's handshake on @fd (@c NULL: the defaults); 0 or a
 * negative errno.  With a session of our own (credentials, priority with
 * the one cipher wanted, ALPN, server name) the negotiated cipher goes to
 * *@cipher when that is not NULL.
 */
int handshake(int fd, int server, const struct hs_cfg *c, int *cipher);

#endif /* QUIC_TESTLIB_CREDS_H */
