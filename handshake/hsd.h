/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * quic-handshaked: the parts that need neither netlink sockets nor GnuTLS,
 * so that tests/handshaked_unit.c can feed them hostile input on any host:
 * logging (log.c), the configuration file (config.c), and the checks of
 * the net/handshake generic netlink messages (attrs.c).
 */
#ifndef QUIC_HANDSHAKED_HSD_H
#define QUIC_HANDSHAKED_HSD_H

#include <stddef.h>
#include <stdint.h>
#include <syslog.h>

#define HSD_NAME		"quic-handshaked"
#define HSD_DEFAULT_CONFIG	"/etc/tlshd.conf"

/* ------------------------------------------------------------ log.c */

/* Where log lines go; the unit test puts its own sink in place. */
typedef void (*hsd_log_sink_t)(int prio, const char *msg);

/*
 * hsd_log_open - choose the destination and the verbosity
 * @to_stderr: 1: stderr ("quic-handshaked[pid]: level: message"),
 *	0: syslog (daemon facility)
 * @verbosity: 0 logs errors to info; 1 or more adds debug messages
 */
void hsd_log_open(int to_stderr, int verbosity);
void hsd_log_set_verbosity(int verbosity);
int hsd_log_verbosity(void);
/* NULL restores the destination hsd_log_open() chose */
void hsd_log_set_sink(hsd_log_sink_t sink);

void hsd_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define hsd_err(...)	hsd_log(LOG_ERR, __VA_ARGS__)
#define hsd_warn(...)	hsd_log(LOG_WARNING, __VA_ARGS__)
#define hsd_notice(...)	hsd_log(LOG_NOTICE, __VA_ARGS__)
#define hsd_info(...)	hsd_log(LOG_INFO, __VA_ARGS__)
#define hsd_debug(...)	hsd_log(LOG_DEBUG, __VA_ARGS__)

/*
 * hsd_log_ratelimit - may one more message of a noisy kind be logged?
 * @state: the kind's state, zeroed at first
 *
 * At most 10 per second pass, so that a local process flooding the
 * daemon with forged messages cannot flood the log.
 */
struct hsd_ratelimit {
	long	second;
	int	count;
	int	missed;
};
int hsd_log_ratelimit(struct hsd_ratelimit *state);

/* --------------------------------------------------------- config.c */

/* The longest line of the configuration file, and of any value in it. */
#define HSD_CONFIG_LINE_MAX	4096
/* The most keyrings [authenticate] keyrings= may name. */
#define HSD_CONFIG_KEYRINGS_MAX	16

/* [authenticate.client] or [authenticate.server]; NULL when unset */
struct hsd_side_config {
	char	*truststore;	/* x509.truststore: PEM file or directory */
	char	*certificate;	/* x509.certificate: PEM or DER */
	char	*private_key;	/* x509.private_key: PEM or DER */
};

struct hsd_config {
	int			loglevel;	/* [debug] loglevel */
	int			tls_debug;	/* [debug] tls: GnuTLS's level */
	int			nl_debug;	/* [debug] nl: libnl's level */
	char			*keyrings[HSD_CONFIG_KEYRINGS_MAX];
	unsigned int		nkeyrings;	/* [authenticate] keyrings */
	struct hsd_side_config	client;
	struct hsd_side_config	server;
};

/*
 * hsd_config_parse - parse a tlshd.conf-style file held in memory
 * @buf: the contents; need not be NUL-terminated
 * @len: their length
 * @name: the file name, for messages ("NAME:LINE: ...")
 * @cfg: out: the settings (zeroed first); hsd_config_free() it, also
 *	after a failure
 * @err: out: on failure, "NAME:LINE: what is wrong"
 * @errlen: its size
 *
 * "[group]" lines, "key = value" lines, blank lines and comments ('#'
 * or ';' first).  Unknown groups and keys are logged as warnings and
 * skipped (tlshd knows more than we use); a line that is none of these,
 * a key outside a group, a value that is not what its key takes, a NUL
 * byte or a line longer than HSD_CONFIG_LINE_MAX are errors.
 *
 * Return: 0, -EINVAL (@err says why) or -ENOMEM.
 */
int hsd_config_parse(const char *buf, size_t len, const char *name,
		     struct hsd_config *cfg, char *err, size_t errlen);

/*
 * hsd_config_load - read and parse a configuration file
 * @path: the file
 * @cfg: out, as hsd_config_parse()
 * @err: out: why it failed, naming the file (and line)
 * @errlen: its size
 *
 * A file that does not exist gives the defaults (a zeroed @cfg).
 *
 * Return: 0, -EINVAL, or the negative errno reading failed with.
 */
int hsd_config_load(const char *path, struct hsd_config *cfg, char *err,
		    size_t errlen);

void hsd_config_free(struct hsd_config *cfg);

/* ---------------------------------------------------------- attrs.c */

/* At most this many peer identities in an ACCEPT reply (the kernel's
 * tls_handshake_args.ta_my_peerids[5]), and in a DONE.
 */
#define HSD_PEERIDS_MAX		5
/* The longest peer name, NUL included (a DNS name is at most 253). */
#define HSD_PEERNAME_MAX	256
/* The default handshake timeout when the request has none, in ms. */
#define HSD_DEFAULT_TIMEOUT_MS	10000

/* net/handshake numbers (include/uapi/linux/handshake.h, Linux 6.4+);
 * Debian 12's linux-libc-dev (6.1) has no such header.
 */
#define HSD_FAMILY_NAME		"handshake"
#define HSD_FAMILY_VERSION	1
#define HSD_MCGRP_TLSHD		"tlshd"

enum {
	HSD_HANDLER_CLASS_NONE,
	HSD_HANDLER_CLASS_TLSHD,
};

enum {
	HSD_MSG_TYPE_UNSPEC,
	HSD_MSG_TYPE_CLIENTHELLO,
	HSD_MSG_TYPE_SERVERHELLO,
};

enum {
	HSD_AUTH_UNSPEC,
	HSD_AUTH_UNAUTH,
	HSD_AUTH_PSK,
	HSD_AUTH_X509,
};

enum {
	HSD_A_X509_CERT = 1,
	HSD_A_X509_PRIVKEY,
};

enum {
	HSD_A_ACCEPT_SOCKFD = 1,
	HSD_A_ACCEPT_HANDLER_CLASS,
	HSD_A_ACCEPT_MESSAGE_TYPE,
	HSD_A_ACCEPT_TIMEOUT,
	HSD_A_ACCEPT_AUTH_MODE,
	HSD_A_ACCEPT_PEER_IDENTITY,
	HSD_A_ACCEPT_CERTIFICATE,
	HSD_A_ACCEPT_PEERNAME,
};

enum {
	HSD_A_DONE_STATUS = 1,
	HSD_A_DONE_SOCKFD,
	HSD_A_DONE_REMOTE_AUTH,
};

enum {
	HSD_CMD_READY = 1,
	HSD_CMD_ACCEPT,
	HSD_CMD_DONE,
};

/* A handshake request as the kernel's ACCEPT reply describes it. */
struct hsd_accept {
	int		sockfd;		/* -1 until a valid SOCKFD was seen */
	uint32_t	msg_type;	/* HSD_MSG_TYPE_* */
	uint32_t	timeout_ms;	/* 0: none given */
	uint32_t	auth_mode;	/* HSD_AUTH_* */
	int32_t		peerids[HSD_PEERIDS_MAX];
	unsigned int	npeerids;
	int		have_cert;	/* a CERTIFICATE nest came */
	int32_t		cert;		/* key serials; 0: none */
	int32_t		privkey;
	int		have_peername;
	char		peername[HSD_PEERNAME_MAX];
};

/*
 * hsd_nlmsg_next - the next netlink message of a received buffer
 * @buf: what recv() returned
 * @len: its length
 * @off: in/out: where the next message starts (0 at first)
 * @nlh: out: the message, whose nlmsg_len was checked against @len
 *
 * Return: 1 for a message, 0 at the end, -EBADMSG for a header that is
 * short or runs past the buffer (the rest is then useless).
 */
struct nlmsghdr;
int hsd_nlmsg_next(const void *buf, size_t len, size_t *off,
		   const struct nlmsghdr **nlh);

/*
 * hsd_nlmsg_error - the error code of an NLMSG_ERROR message
 * @nlh: a message from hsd_nlmsg_next() of type NLMSG_ERROR
 * @error: out: 0 (an acknowledgement) or a negative errno
 *
 * Return: 0, or -EBADMSG when it is too short or the code is no errno.
 */
int hsd_nlmsg_error(const struct nlmsghdr *nlh, int *error);

/*
 * hsd_genl_payload - check a generic netlink message's headers
 * @nlh: a message from hsd_nlmsg_next()
 * @family: the family id it must have (nlmsg_type)
 * @cmd: the command it must carry
 * @attrs: out: its attributes
 * @alen: out: their length
 *
 * Return: 0, or -EBADMSG (with @why set to a static string).
 */
int hsd_genl_payload(const struct nlmsghdr *nlh, uint16_t family,
		     uint8_t cmd, const void **attrs, size_t *alen,
		     const char **why);

/*
 * hsd_parse_ready - check a READY notification's attributes
 * @attrs: the attributes after the genetlink header
 * @len: their length
 * @err: out: what is wrong
 * @errlen: its size
 *
 * Return: 0 for a notification for handler class tlshd, -EBADMSG for a
 * malformed one, -ENOENT for one for another handler class.
 */
int hsd_parse_ready(const void *attrs, size_t len, char *err,
		    size_t errlen);

/*
 * hsd_parse_accept - check and decode an ACCEPT reply's attributes
 * @attrs: the attributes after the genetlink header
 * @len: their length
 * @a: out: the request; a->sockfd is set (>= 0) as soon as a well-formed
 *	SOCKFD was seen, even when the message fails further checks, so
 *	that the caller can complete and close what the kernel installed
 * @err: out: what is wrong
 * @errlen: its size
 *
 * Every known attribute must have its exact size and type, singletons
 * must be single, the message type and auth mode known, a PSK request
 * must name at least one identity; unknown attribute types are skipped
 * (a newer kernel may add some).
 *
 * Return: 0 or -EBADMSG.
 */
int hsd_parse_accept(const void *attrs, size_t len, struct hsd_accept *a,
		     char *err, size_t errlen);

const char *hsd_msg_type_name(uint32_t type);
const char *hsd_auth_name(uint32_t mode);

#endif /* QUIC_HANDSHAKED_HSD_H */
