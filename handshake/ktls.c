// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * quic-handshaked: the TLS 1.3 handshake of a TCP socket (NFS over TLS
 * and the like), run by GnuTLS on the socket itself, then the record
 * layer handed to the kernel (kTLS): the "tls" ULP, and TLS_TX and TLS_RX
 * with the keys, IVs and sequence numbers GnuTLS ends up with.  Only the
 * AEADs kTLS takes for TLS 1.3 are offered: AES-128-GCM, AES-256-GCM and
 * ChaCha20-Poly1305.
 */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "daemon.h"

#ifndef TCP_ULP
#define TCP_ULP		31
#endif
#ifndef SOL_TLS
#define SOL_TLS		282
#endif

union hsd_ktls_info {
	struct tls_crypto_info			base;
	struct tls12_crypto_info_aes_gcm_128	gcm128;
	struct tls12_crypto_info_aes_gcm_256	gcm256;
	struct tls12_crypto_info_chacha20_poly1305 chacha;
};

/* Fill a kTLS crypto info from GnuTLS's state of one direction. */
static int hsd_ktls_info(gnutls_session_t session, int read,
			 gnutls_cipher_algorithm_t cipher,
			 union hsd_ktls_info *info, socklen_t *len)
{
	gnutls_datum_t mac, iv, key;
	unsigned char seq[8];
	int ret;

	ret = gnutls_record_get_state(session, read, &mac, &iv, &key, seq);
	if (ret) {
		hsd_err("getting the %s record state failed: %s",
			read ? "receive" : "send", gnutls_strerror(ret));
		return -EIO;
	}
	memset(info, 0, sizeof(*info));
	info->base.version = TLS_1_3_VERSION;
	switch (cipher) {
	case GNUTLS_CIPHER_AES_128_GCM:
		if (key.size != TLS_CIPHER_AES_GCM_128_KEY_SIZE || iv.size != 12)
			break;
		info->base.cipher_type = TLS_CIPHER_AES_GCM_128;
		memcpy(info->gcm128.salt, iv.data, 4);
		memcpy(info->gcm128.iv, iv.data + 4, 8);
		memcpy(info->gcm128.key, key.data, key.size);
		memcpy(info->gcm128.rec_seq, seq, 8);
		*len = sizeof(info->gcm128);
		return 0;
	case GNUTLS_CIPHER_AES_256_GCM:
		if (key.size != TLS_CIPHER_AES_GCM_256_KEY_SIZE || iv.size != 12)
			break;
		info->base.cipher_type = TLS_CIPHER_AES_GCM_256;
		memcpy(info->gcm256.salt, iv.data, 4);
		memcpy(info->gcm256.iv, iv.data + 4, 8);
		memcpy(info->gcm256.key, key.data, key.size);
		memcpy(info->gcm256.rec_seq, seq, 8);
		*len = sizeof(info->gcm256);
		return 0;
	case GNUTLS_CIPHER_CHACHA20_POLY1305:
		if (key.size != TLS_CIPHER_CHACHA20_POLY1305_KEY_SIZE ||
		    iv.size != TLS_CIPHER_CHACHA20_POLY1305_IV_SIZE)
			break;
		info->base.cipher_type = TLS_CIPHER_CHACHA20_POLY1305;
		memcpy(info->chacha.iv, iv.data, iv.size);
		memcpy(info->chacha.key, key.data, key.size);
		memcpy(info->chacha.rec_seq, seq, 8);
		*len = sizeof(info->chacha);
		return 0;
	default:
		hsd_err("cipher %s cannot be handed to kTLS",
			gnutls_cipher_get_name(cipher));
		return -EIO;
	}
	hsd_err("cipher %s: unexpected key (%u bytes) or IV (%u bytes)",
		gnutls_cipher_get_name(cipher), key.size, iv.size);
	return -EIO;
}

static int hsd_ktls_install(gnutls_session_t session, int fd)
{
	gnutls_cipher_algorithm_t cipher = gnutls_cipher_get(session);
	union hsd_ktls_info info;
	socklen_t len = 0;
	int ret, dir;

	if (gnutls_record_check_pending(session)) {
		hsd_err("socket %d: the peer sent data before kTLS could take over",
			fd);
		return -EIO;
	}
	if (setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls"))) {
		hsd_err("socket %d: setting the \"tls\" ULP failed: %s", fd,
			strerror(errno));
		return -EIO;
	}
	for (dir = 0; dir < 2; dir++) {
		ret = hsd_ktls_info(session, dir, cipher, &info, &len);
		if (!ret && setsockopt(fd, SOL_TLS, dir ? TLS_RX : TLS_TX,
				       &info, len)) {
			hsd_err("socket %d: setting %s failed: %s", fd,
				dir ? "TLS_RX" : "TLS_TX", strerror(errno));
			ret = -EIO;
		}
		explicit_bzero(&info, sizeof(info));
		if (ret)
			return ret;
	}
	hsd_debug("socket %d: kTLS installed (%s)", fd,
		  gnutls_cipher_get_name(cipher));
	return 0;
}

/* A negative errno for how gnutls_handshake() failed. */
static int hsd_ktls_error(gnutls_session_t session, int fd, int gerr)
{
	int alert;

	if (gerr == GNUTLS_E_FATAL_ALERT_RECEIVED) {
		alert = (int)gnutls_alert_get(session);
		hsd_err("socket %d: the peer sent alert %s", fd,
			gnutls_alert_get_name((gnutls_alert_description_t)alert));
		return hsd_alert_is_auth(alert) ? -EACCES : -EIO;
	}
	hsd_err("socket %d: the TLS handshake failed: %s", fd,
		gnutls_strerror(gerr));
	if (gerr == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		gnutls_datum_t out;
		unsigned int status = gnutls_session_get_verify_cert_status(session);

		if (!gnutls_certificate_verification_status_print(status,
				GNUTLS_CRT_X509, &out, 0)) {
			hsd_err("socket %d: peer certificate: %s", fd, out.data);
			gnutls_free(out.data);
		}
	}
	return quic_errno_from_gnutls(gerr);
}

/* Tell the peer why the handshake failed: GnuTLS leaves it to us. */
static void hsd_ktls_alert(struct hsd_tls *t, int gerr)
{
	if (gerr == GNUTLS_E_FATAL_ALERT_RECEIVED)
		return;
	if (!t->client && t->match.looked_up && !t->match.found)
		gnutls_alert_send(t->session, GNUTLS_AL_FATAL,
				  GNUTLS_A_UNKNOWN_PSK_IDENTITY);
	else if (gnutls_alert_send_appropriate(t->session, gerr) < 0)
		hsd_debug("socket %d: no alert sent", t->req->a.sockfd);
}

void hsd_ktls_run(const struct hsd_config *cfg, const struct hsd_request *r,
		  int64_t deadline, struct hsd_result *res)
{
	int fd = r->a.sockfd, client = r->a.msg_type == HSD_MSG_TYPE_CLIENTHELLO;
	struct hsd_tls t;
	int64_t left;
	char *desc;
	int ret;

	memset(res, 0, sizeof(*res));
	ret = hsd_tls_init(&t, cfg, r, 0,
			   client ? HSD_CERT_NONE : HSD_CERT_REQUEST, 0);
	if (ret) {
		res->status = (uint32_t)ret;
		hsd_tls_free(&t);
		return;
	}
	for (;;) {
		left = deadline - hsd_now_ms();
		if (left <= 0) {
			ret = GNUTLS_E_TIMEDOUT;
			break;
		}
		gnutls_handshake_set_timeout(t.session, (unsigned int)left);
		ret = gnutls_handshake(t.session);
		if (ret != GNUTLS_E_AGAIN && ret != GNUTLS_E_INTERRUPTED)
			break;
	}
	if (ret == GNUTLS_E_TIMEDOUT) {
		hsd_err("socket %d: the TLS handshake timed out", fd);
		ret = -ETIMEDOUT;
	} else if (ret) {
		hsd_ktls_alert(&t, ret);
		ret = hsd_ktls_error(t.session, fd, ret);
	} else {
		desc = gnutls_session_get_desc(t.session);
		hsd_info("socket %d: TLS %s handshake complete: %s", fd,
			 client ? "client" : "server", desc ? desc : "");
		gnutls_free(desc);
		ret = hsd_ktls_install(t.session, fd);
	}
	hsd_tls_result(&t, ret, res);
	hsd_tls_free(&t);
}
