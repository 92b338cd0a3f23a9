/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * quic-handshaked internals: what the daemon's files share.
 *
 * main.c	options, the parent's event loop, the children
 * netlink.c	the generic netlink sockets (libnl-genl-3): READY, ACCEPT, DONE
 * keyring.c	keys and keyrings (keyctl(2) directly, no libkeyutils)
 * child.c	one request in its own process: deadline, DONE
 * creds.c	the GnuTLS session and its credentials, shared by QUIC and TCP
 * quic.c	the handshake of an IPPROTO_QUIC socket (libquic)
 * ktls.c	the handshake of a TCP socket, then kTLS
 * config.c, attrs.c, log.c: see hsd.h
 */
#ifndef QUIC_HANDSHAKED_DAEMON_H
#define QUIC_HANDSHAKED_DAEMON_H

#include <stdint.h>
#include <gnutls/gnutls.h>

#include "hsd.h"
#include "internal.h"		/* libquic's struct quic_cred */

/* The most children (handshakes) at a time. */
#define HSD_CHILDREN_MAX	64
/* The longest key payload read from the keyring. */
#define HSD_KEY_MAX		(1024 * 1024)

/* ---------------------------------------------------------- keyring.c */

struct hsd_key {
	int32_t		serial;		/* 0: none */
	char		*type;		/* from KEYCTL_DESCRIBE */
	char		*desc;
	uint8_t		*data;		/* the payload */
	size_t		len;
};

/*
 * hsd_key_read - a key's description and payload
 * @serial: the key
 * @k: out; hsd_key_free() it, also after a failure
 *
 * Return: 0 or a negative errno (logged, naming the serial).
 */
int hsd_key_read(int32_t serial, struct hsd_key *k);
/* Wipe and free what hsd_key_read() allocated. */
void hsd_key_free(struct hsd_key *k);
/* Does the payload look like PEM ("-----BEGIN")? */
int hsd_key_is_pem(const struct hsd_key *k);
/* Link the [authenticate] keyrings into our session keyring. */
void hsd_keyrings_link(const struct hsd_config *cfg);
/* Drop what ACCEPT linked into our process keyring. */
void hsd_keyring_clear_process(void);

/* ------------------------------------------------------------ request */

/* One accepted request, with the keys the parent read for it. */
struct hsd_request {
	struct hsd_accept	a;
	int			family;		/* genetlink family id */
	struct hsd_key		cert;		/* X.509: from the keyring */
	struct hsd_key		privkey;
	int			cert_err;	/* reading them failed: errno */
	struct hsd_key		psk[HSD_PEERIDS_MAX];
	unsigned int		npsk;		/* the readable ones */
};

/* The outcome that goes into DONE. */
struct hsd_result {
	uint32_t	status;			/* 0 or a positive errno */
	int32_t		remote[HSD_PEERIDS_MAX];
	unsigned int	nremote;
};

/* keyring.c: read the request's keys (in the parent, which possesses
 * the keyring the kernel linked into its process keyring); free them
 */
void hsd_request_load_keys(struct hsd_request *r);
void hsd_request_free_keys(struct hsd_request *r);

/* ---------------------------------------------------------- netlink.c */

struct nl_sock;

struct hsd_nl {
	struct nl_sock	*mc;		/* joined to "tlshd": READY */
	struct nl_sock	*ctl;		/* ACCEPT, and DONE for dead children */
	int		family;
	int		group;
};

/*
 * hsd_nl_open - resolve the family and its group, join the group
 * @nl: out
 * @nl_debug: libnl's debug level
 *
 * Return: 0, -ENOENT when the kernel has no "handshake" family, or
 * another negative errno (logged).
 */
int hsd_nl_open(struct hsd_nl *nl, int nl_debug);
void hsd_nl_close(struct hsd_nl *nl);
int hsd_nl_mc_fd(const struct hsd_nl *nl);

/*
 * hsd_nl_read_ready - read what the multicast socket has
 * @nl: the sockets
 * @resync: set to 1 when notifications were lost (ENOBUFS)
 *
 * Return: the number of well-formed READY notifications from the kernel
 * for handler class tlshd; everything else is logged and dropped.
 */
int hsd_nl_read_ready(struct hsd_nl *nl, int *resync);

/*
 * hsd_nl_accept - ask the kernel for a pending request
 * @nl: the sockets
 * @a: out: the request
 *
 * A reply that fails the checks but carried a socket is completed
 * (DONE EINVAL) and its fd closed here.
 *
 * Return: 1 for a request, 0 when none is pending, a negative errno.
 */
int hsd_nl_accept(struct hsd_nl *nl, struct hsd_accept *a);

/*
 * hsd_nl_done - tell the kernel how a handshake ended
 * @sk: a connected generic netlink socket, or NULL for a new one
 * @family: the family id
 * @sockfd: the socket, as the kernel gave it to us
 * @res: status and remote identities
 *
 * Return: 0 when the kernel took it, or a negative errno (logged).
 */
int hsd_nl_done(struct nl_sock *sk, int family, int sockfd,
		const struct hsd_result *res);

/* ------------------------------------------------------------ child.c */

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t hsd_now_ms(void);

/*
 * hsd_child_main - run one request, send DONE, return the exit status
 * @cfg: the configuration
 * @r: the request (its fd is ours)
 *
 * Return: 0 when DONE was sent, 1 when it could not be (the parent
 * sends it then).
 */
int hsd_child_main(const struct hsd_config *cfg, struct hsd_request *r);

/* ------------------------------------------------------------ creds.c */

/* A GnuTLS session with the credentials a request asks for. */
struct hsd_tls {
	gnutls_session_t	session;
	struct quic_cred	cred;
	struct quic_psk_match	match;		/* a PSK server's lookup */
	int			client;
	int			verify;		/* the peer's certificate */
	int32_t			psk_used;	/* a PSK client's serial */
	const struct hsd_request *req;
};

/* What a server asks of the client's certificate. */
enum hsd_cert_req {
	HSD_CERT_NONE,		/* none asked for */
	HSD_CERT_REQUEST,	/* asked for, verified when sent */
	HSD_CERT_REQUIRE,	/* required and verified */
};

/*
 * hsd_tls_init - a session for a request, credentials and priority set
 * @t: out; hsd_tls_free() it, also after a failure
 * @cfg: the configuration (file fallbacks, trust store)
 * @r: the request
 * @quic: 1 for a QUIC socket (QUIC's flags and ciphers), 0 for TCP
 * @cert_req: what a server asks of the client's certificate
 * @cipher: a TLS_CIPHER_* to prefer, or 0
 *
 * Return: 0 or a positive errno for DONE (EINVAL: no usable credentials).
 */
int hsd_tls_init(struct hsd_tls *t, const struct hsd_config *cfg,
		 const struct hsd_request *r, int quic,
		 enum hsd_cert_req cert_req, uint32_t cipher);
void hsd_tls_free(struct hsd_tls *t);

/*
 * hsd_tls_result - the DONE status for how a handshake ended
 * @t: the session
 * @err: 0 or the negative errno the handshake failed with
 * @res: out: status, and the PSK used on success
 */
void hsd_tls_result(struct hsd_tls *t, int err, struct hsd_result *res);

/* Does a TLS alert the peer sent say it refused our credentials? */
int hsd_alert_is_auth(int alert);

/* ------------------------------------------------------- quic.c, ktls.c */

/* Run the handshake on the request's socket by @deadline (hsd_now_ms()). */
void hsd_quic_run(const struct hsd_config *cfg, const struct hsd_request *r,
		  int64_t deadline, struct hsd_result *res);
void hsd_ktls_run(const struct hsd_config *cfg, const struct hsd_request *r,
		  int64_t deadline, struct hsd_result *res);

#endif /* QUIC_HANDSHAKED_DAEMON_H */
