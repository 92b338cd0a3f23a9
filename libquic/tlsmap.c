// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libquic handshake mappings: what GnuTLS, TLS (RFC 8446) and the kernel's
 * QUIC socket (RFC 9001) each call a crypto level, a cipher, an alert or a
 * failure, and a bounds-checked look into a ClientHello.  Pure functions,
 * no state.
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <linux/tls.h>
#include <gnutls/gnutls.h>

#include "internal.h"

/* ------------------------------------------------------ crypto levels */

const char *quic_level_name(uint8_t level)
{
	switch (level) {
	case QUIC_CRYPTO_INITIAL:
		return "Initial";
	case QUIC_CRYPTO_HANDSHAKE:
		return "Handshake";
	case QUIC_CRYPTO_EARLY:
		return "0-RTT";
	case QUIC_CRYPTO_APP:
		return "1-RTT";
	default:
		return "unknown";
	}
}

/* GnuTLS's levels have another order than the kernel's. */
int quic_level_from_gnutls(gnutls_record_encryption_level_t level)
{
	switch (level) {
	case GNUTLS_ENCRYPTION_LEVEL_INITIAL:
		return QUIC_CRYPTO_INITIAL;
	case GNUTLS_ENCRYPTION_LEVEL_EARLY:
		return QUIC_CRYPTO_EARLY;
	case GNUTLS_ENCRYPTION_LEVEL_HANDSHAKE:
		return QUIC_CRYPTO_HANDSHAKE;
	case GNUTLS_ENCRYPTION_LEVEL_APPLICATION:
		return QUIC_CRYPTO_APP;
	}
	return -1;
}

gnutls_record_encryption_level_t quic_level_to_gnutls(uint8_t level)
{
	switch (level) {
	case QUIC_CRYPTO_HANDSHAKE:
		return GNUTLS_ENCRYPTION_LEVEL_HANDSHAKE;
	case QUIC_CRYPTO_EARLY:
		return GNUTLS_ENCRYPTION_LEVEL_EARLY;
	case QUIC_CRYPTO_APP:
		return GNUTLS_ENCRYPTION_LEVEL_APPLICATION;
	default:
		return GNUTLS_ENCRYPTION_LEVEL_INITIAL;
	}
}

/* ------------------------------------------------ ciphers and errors */

/* The TLS_CIPHER_* the kernel knows a negotiated cipher by, or 0. */
uint32_t quic_cipher_type(gnutls_cipher_algorithm_t cipher)
{
	switch (cipher) {
	case GNUTLS_CIPHER_AES_128_GCM:
		return TLS_CIPHER_AES_GCM_128;
	case GNUTLS_CIPHER_AES_256_GCM:
		return TLS_CIPHER_AES_GCM_256;
	case GNUTLS_CIPHER_AES_128_CCM:
		return TLS_CIPHER_AES_CCM_128;
	case GNUTLS_CIPHER_CHACHA20_POLY1305:
		return TLS_CIPHER_CHACHA20_POLY1305;
	default:
		return 0;
	}
}

/* A negative errno for a GnuTLS error that ended the handshake. */
int quic_errno_from_gnutls(int gerr)
{
	switch (gerr) {
	case GNUTLS_E_MEMORY_ERROR:
		return -ENOMEM;
	case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR:
	case GNUTLS_E_CERTIFICATE_ERROR:
	case GNUTLS_E_CERTIFICATE_REQUIRED:
	case GNUTLS_E_NO_CERTIFICATE_FOUND:
	case GNUTLS_E_CERTIFICATE_KEY_MISMATCH:
	case GNUTLS_E_DECRYPTION_FAILED:	/* PSK binder or Finished */
	case GNUTLS_E_PK_SIG_VERIFY_FAILED:
		return -EKEYREJECTED;
	case GNUTLS_E_INSUFFICIENT_CREDENTIALS:
	case GNUTLS_E_SRP_PWD_ERROR:	/* no PSK for the identity */
		return -ENOKEY;
	case GNUTLS_E_FATAL_ALERT_RECEIVED:
		return -ECONNREFUSED;
	case GNUTLS_E_TIMEDOUT:
		return -ETIMEDOUT;
	case GNUTLS_E_INVALID_REQUEST:
		return -EINVAL;
	default:
		return -EPROTO;
	}
}

/* The alert for a certificate that did not verify, by what was wrong. */
int quic_verify_alert(unsigned int status)
{
	if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA))
		return QUIC_ALERT_UNKNOWN_CA;
	if (status & GNUTLS_CERT_REVOKED)
		return QUIC_ALERT_CERTIFICATE_REVOKED;
	if (status & (GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED))
		return QUIC_ALERT_CERTIFICATE_EXPIRED;
	return QUIC_ALERT_BAD_CERTIFICATE;
}

/* The RFC 8446 name of a TLS alert, for logs and the close phrase. */
const char *quic_alert_name(int alert)
{
	static const struct {
		int		alert;
		const char	*name;
	} names[] = {
		{ 10, "unexpected_message" },
		{ 20, "bad_record_mac" },
		{ 22, "record_overflow" },
		{ 40, "handshake_failure" },
		{ 42, "bad_certificate" },
		{ 43, "unsupported_certificate" },
		{ 44, "certificate_revoked" },
		{ 45, "certificate_expired" },
		{ 46, "certificate_unknown" },
		{ 47, "illegal_parameter" },
		{ 48, "unknown_ca" },
		{ 49, "access_denied" },
		{ 50, "decode_error" },
		{ 51, "decrypt_error" },
		{ 70, "protocol_version" },
		{ 71, "insufficient_security" },
		{ 80, "internal_error" },
		{ 86, "inappropriate_fallback" },
		{ 90, "user_canceled" },
		{ 109, "missing_extension" },
		{ 110, "unsupported_extension" },
		{ 112, "unrecognized_name" },
		{ 113, "bad_certificate_status_response" },
		{ 115, "unknown_psk_identity" },
		{ 116, "certificate_required" },
		{ 120, "no_application_protocol" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].alert == alert)
			return names[i].name;
	return "TLS alert";
}

/* -------------------------------------------------------- ClientHello */

/* Does the handshake message (type, 24-bit length, body) of a ClientHello
 * carry extension @type?  Bounds-checked; a malformed message has none.
 */
int quic_hello_has_ext(const uint8_t *p, size_t len, unsigned int type)
{
	size_t off, end, n;

	if (len < 4)
		return 0;
	end = 4 + ((size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3]);
	if (end > len)
		return 0;
	off = 4 + 2 + 32;			/* legacy_version, random */
	if (off + 1 > end)
		return 0;
	off += 1 + p[off];			/* legacy_session_id */
	if (off + 2 > end)
		return 0;
	off += 2 + ((size_t)p[off] << 8 | p[off + 1]);	/* cipher_suites */
	if (off + 1 > end)
		return 0;
	off += 1 + p[off];			/* compression methods */
	if (off + 2 > end)
		return 0;
	n = (size_t)p[off] << 8 | p[off + 1];
	off += 2;
	if (off + n < end)
		end = off + n;
	while (off + 4 <= end) {
		unsigned int t = (unsigned int)p[off] << 8 | p[off + 1];
		size_t l = (size_t)p[off + 2] << 8 | p[off + 3];

		if (t == type)
			return 1;
		off += 4 + l;
	}
	return 0;
}
