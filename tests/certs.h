/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * certs.h - test certificates made with GnuTLS at test start: a CA and a
 * "localhost" server certificate it signed (P-256, SHA-256), written as
 * PEM files.  Header-only, for the test programs; the approach is the
 * one of handshake_test.c.
 *
 *	if (certs_make_ca_and_server("/tmp/x/ca.pem", "/tmp/x/srv.pem",
 *				     "/tmp/x/srv.key", "test CA"))
 *		fail;
 */
#ifndef QUIC_TESTS_CERTS_H
#define QUIC_TESTS_CERTS_H

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

static inline int certs_write_file(const char *path, const void *data,
				   size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	if (fwrite(data, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

/* @crt, else @key, as PEM into @path. */
static inline int certs_export_pem(const char *path, gnutls_x509_crt_t crt,
				   gnutls_x509_privkey_t key)
{
	gnutls_datum_t d;
	int ret;

	if (crt)
		ret = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d);
	else
		ret = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &d);
	if (ret)
		return -1;
	ret = certs_write_file(path, d.data, d.size);
	gnutls_free(d.data);
	return ret;
}

/*
 * A certificate with a fresh P-256 key: a CA (self-signed) when @issuer is
 * NULL, else a TLS server certificate for DNS name @dns signed by @issuer
 * with @ikey.
 */
static inline int certs_make_cert(gnutls_x509_crt_t *pcrt,
				  gnutls_x509_privkey_t *pkey,
				  gnutls_x509_crt_t issuer,
				  gnutls_x509_privkey_t ikey,
				  const char *cn, const char *dns)
{
	static unsigned int serial = 1;
	unsigned char id[64], sn[4];
	size_t idlen = sizeof(id);
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	time_t now = time(NULL);

	if (gnutls_x509_privkey_init(&key))
		return -1;
	if (gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
			GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) ||
	    gnutls_x509_crt_init(&crt)) {
		gnutls_x509_privkey_deinit(key);
		return -1;
	}
	sn[0] = 0x10;
	sn[1] = (unsigned char)(serial >> 16);
	sn[2] = (unsigned char)(serial >> 8);
	sn[3] = (unsigned char)serial++;
	if (gnutls_x509_crt_set_version(crt, 3) ||
	    gnutls_x509_crt_set_serial(crt, sn, sizeof(sn)) ||
	    gnutls_x509_crt_set_activation_time(crt, now - 3600) ||
	    gnutls_x509_crt_set_expiration_time(crt, now + 30 * 86400) ||
	    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
					  cn, strlen(cn)) ||
	    gnutls_x509_crt_set_key(crt, key) ||
	    gnutls_x509_crt_get_key_id(crt, 0, id, &idlen) ||
	    gnutls_x509_crt_set_subject_key_id(crt, id, idlen))
		goto fail;
	if (!issuer) {
		if (gnutls_x509_crt_set_basic_constraints(crt, 1, -1) ||
		    gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_KEY_CERT_SIGN |
						  GNUTLS_KEY_CRL_SIGN))
			goto fail;
	} else {
		idlen = sizeof(id);
		if (gnutls_x509_crt_set_basic_constraints(crt, 0, -1) ||
		    gnutls_x509_crt_set_key_usage(crt,
					GNUTLS_KEY_DIGITAL_SIGNATURE) ||
		    gnutls_x509_crt_set_subject_alt_name(crt,
					GNUTLS_SAN_DNSNAME, dns, strlen(dns),
					GNUTLS_FSAN_SET) ||
		    gnutls_x509_crt_set_key_purpose_oid(crt,
					GNUTLS_KP_TLS_WWW_SERVER, 0) ||
		    gnutls_x509_crt_get_subject_key_id(issuer, id, &idlen,
						       NULL) ||
		    gnutls_x509_crt_set_authority_key_id(crt, id, idlen))
			goto fail;
	}
	if (gnutls_x509_crt_sign2(crt, issuer ? issuer : crt,
				  issuer ? ikey : key, GNUTLS_DIG_SHA256, 0))
		goto fail;
	*pcrt = crt;
	*pkey = key;
	return 0;
fail:
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	return -1;
}

/* A CA named @ca_cn and a "localhost" certificate it signed: three files. */
static inline int certs_make_ca_and_server(const char *ca_path,
					   const char *cert_path,
					   const char *key_path,
					   const char *ca_cn)
{
	gnutls_x509_crt_t ca, srv;
	gnutls_x509_privkey_t ca_key, srv_key;
	int ret;

	if (certs_make_cert(&ca, &ca_key, NULL, NULL, ca_cn, NULL))
		return -1;
	if (certs_make_cert(&srv, &srv_key, ca, ca_key, "localhost",
			    "localhost")) {
		gnutls_x509_crt_deinit(ca);
		gnutls_x509_privkey_deinit(ca_key);
		return -1;
	}
	ret = certs_export_pem(ca_path, ca, NULL) ||
	      certs_export_pem(cert_path, srv, NULL) ||
	      certs_export_pem(key_path, NULL, srv_key);
	gnutls_x509_crt_deinit(ca);
	gnutls_x509_crt_deinit(srv);
	gnutls_x509_privkey_deinit(ca_key);
	gnutls_x509_privkey_deinit(srv_key);
	return ret ? -1 : 0;
}

#endif /* QUIC_TESTS_CERTS_H */
