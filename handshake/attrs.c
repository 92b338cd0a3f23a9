// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * quic-handshaked: the checks of the messages the kernel's net/handshake
 * family sends (READY notifications, ACCEPT replies, acknowledgements).
 * A message that fails them is dropped; nothing here trusts a length.
 * Pure functions over a buffer, unit-tested in tests/handshaked_unit.c.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "hsd.h"

int hsd_nlmsg_next(const void *buf, size_t len, size_t *off,
		   const struct nlmsghdr **nlh)
{
	const struct nlmsghdr *h;
	size_t rest;

	if (*off >= len)
		return 0;
	rest = len - *off;
	if (rest < NLMSG_HDRLEN)
		return -EBADMSG;
	h = (const struct nlmsghdr *)((const char *)buf + *off);
	if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > rest)
		return -EBADMSG;
	*nlh = h;
	/* the last message of a buffer need not be padded */
	*off += NLMSG_ALIGN(h->nlmsg_len) < rest ? NLMSG_ALIGN(h->nlmsg_len)
						 : rest;
	return 1;
}

int hsd_nlmsg_error(const struct nlmsghdr *nlh, int *error)
{
	const struct nlmsgerr *e;

	if (nlh->nlmsg_type != NLMSG_ERROR ||
	    nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e))
		return -EBADMSG;
	e = (const struct nlmsgerr *)((const char *)nlh + NLMSG_HDRLEN);
	if (e->error > 0 || e->error < -4095)
		return -EBADMSG;
	*error = e->error;
	return 0;
}

int hsd_genl_payload(const struct nlmsghdr *nlh, uint16_t family,
		     uint8_t cmd, const void **attrs, size_t *alen,
		     const char **why)
{
	const struct genlmsghdr *g;

	if (nlh->nlmsg_type != family) {
		*why = "not of the handshake family";
		return -EBADMSG;
	}
	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN) {
		*why = "shorter than a generic netlink header";
		return -EBADMSG;
	}
	g = (const struct genlmsghdr *)((const char *)nlh + NLMSG_HDRLEN);
	if (g->cmd != cmd) {
		*why = "an unexpected command";
		return -EBADMSG;
	}
	*attrs = (const char *)nlh + NLMSG_HDRLEN + GENL_HDRLEN;
	*alen = nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	return 0;
}

static int hsd_attr_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int hsd_attr_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

/* One attribute of a stream, bounds-checked: 1, 0 at the end, or
 * -EBADMSG for a header that is short or runs past the stream.
 */
static int hsd_attr_next(const char *attrs, size_t len, size_t *off,
			 const struct nlattr **nla)
{
	const struct nlattr *a;
	size_t rest, step;

	if (*off >= len)
		return 0;
	rest = len - *off;
	if (rest < NLA_HDRLEN)
		return -EBADMSG;
	a = (const struct nlattr *)(attrs + *off);
	if (a->nla_len < NLA_HDRLEN || a->nla_len > rest)
		return -EBADMSG;
	*nla = a;
	step = NLA_ALIGN(a->nla_len);
	*off += step < rest ? step : rest;
	return 1;
}

static const void *hsd_attr_data(const struct nlattr *nla)
{
	return (const char *)nla + NLA_HDRLEN;
}

static size_t hsd_attr_len(const struct nlattr *nla)
{
	return nla->nla_len - NLA_HDRLEN;
}

static int hsd_attr_u32(const struct nlattr *nla, uint32_t *v)
{
	if (hsd_attr_len(nla) != sizeof(*v) || (nla->nla_type & NLA_F_NESTED))
		return -EBADMSG;
	memcpy(v, hsd_attr_data(nla), sizeof(*v));
	return 0;
}

int hsd_parse_ready(const void *attrs, size_t len, char *err, size_t errlen)
{
	const struct nlattr *nla;
	size_t off = 0;
	uint32_t class = 0;
	int seen = 0, ret;

	while ((ret = hsd_attr_next(attrs, len, &off, &nla)) > 0) {
		if ((nla->nla_type & NLA_TYPE_MASK) != HSD_A_ACCEPT_HANDLER_CLASS)
			continue;
		if (seen++)
			return hsd_attr_fail(err, errlen, "handler class given twice");
		if (hsd_attr_u32(nla, &class))
			return hsd_attr_fail(err, errlen,
					     "handler class of %zu bytes, not a u32",
					     hsd_attr_len(nla));
	}
	if (ret < 0)
		return hsd_attr_fail(err, errlen,
				     "an attribute header at offset %zu runs past the message",
				     off);
	if (!seen)
		return hsd_attr_fail(err, errlen, "no handler class");
	if (class != HSD_HANDLER_CLASS_TLSHD) {
		snprintf(err, errlen, "handler class %u, not tlshd", class);
		return -ENOENT;
	}
	return 0;
}

static int hsd_parse_cert(const struct nlattr *nest, struct hsd_accept *a,
			  char *err, size_t errlen)
{
	const char *attrs = hsd_attr_data(nest);
	size_t len = hsd_attr_len(nest), off = 0;
	const struct nlattr *nla;
	int have_cert = 0, have_key = 0, ret;
	uint32_t v;

	while ((ret = hsd_attr_next(attrs, len, &off, &nla)) > 0) {
		switch (nla->nla_type & NLA_TYPE_MASK) {
		case HSD_A_X509_CERT:
			if (have_cert++)
				return hsd_attr_fail(err, errlen, "certificate given twice");
			if (hsd_attr_u32(nla, &v))
				return hsd_attr_fail(err, errlen,
						     "certificate serial of %zu bytes, not an s32",
						     hsd_attr_len(nla));
			a->cert = (int32_t)v;
			break;
		case HSD_A_X509_PRIVKEY:
			if (have_key++)
				return hsd_attr_fail(err, errlen, "private key given twice");
			if (hsd_attr_u32(nla, &v))
				return hsd_attr_fail(err, errlen,
						     "private key serial of %zu bytes, not an s32",
						     hsd_attr_len(nla));
			a->privkey = (int32_t)v;
			break;
		default:
			break;
		}
	}
	if (ret < 0)
		return hsd_attr_fail(err, errlen,
				     "a certificate attribute runs past its nest");
	if (a->cert < 0 || a->privkey < 0)
		return hsd_attr_fail(err, errlen,
				     "negative key serials %d and %d for the certificate",
				     a->cert, a->privkey);
	if (!a->cert != !a->privkey)
		return hsd_attr_fail(err, errlen,
				     "a certificate without a private key or the reverse");
	return 0;
}

static int hsd_parse_peername(const struct nlattr *nla, struct hsd_accept *a,
			      char *err, size_t errlen)
{
	size_t len = hsd_attr_len(nla);
	const char *s = hsd_attr_data(nla);

	if (nla->nla_type & NLA_F_NESTED)
		return hsd_attr_fail(err, errlen, "a nested peer name");
	if (!len || s[len - 1] != '\0')
		return hsd_attr_fail(err, errlen, "a peer name not NUL-terminated");
	if (strlen(s) != len - 1)
		return hsd_attr_fail(err, errlen, "a NUL byte inside the peer name");
	if (len > HSD_PEERNAME_MAX)
		return hsd_attr_fail(err, errlen,
				     "a peer name of %zu bytes, more than %d",
				     len - 1, HSD_PEERNAME_MAX - 1);
	if (len == 1)
		return hsd_attr_fail(err, errlen, "an empty peer name");
	memcpy(a->peername, s, len);
	a->have_peername = 1;
	return 0;
}

/* One attribute of an ACCEPT reply; @seen counts each known type. */
static int hsd_parse_accept_attr(const struct nlattr *nla, struct hsd_accept *a,
				 unsigned int *seen, char *err, size_t errlen)
{
	unsigned int type = nla->nla_type & NLA_TYPE_MASK;
	uint32_t v;

	if (type == 0 || type > HSD_A_ACCEPT_PEERNAME)
		return 0;	/* from a newer kernel: skipped */
	if (type != HSD_A_ACCEPT_PEER_IDENTITY && seen[type])
		return hsd_attr_fail(err, errlen, "attribute %u given twice", type);
	seen[type]++;

	switch (type) {
	case HSD_A_ACCEPT_CERTIFICATE:
		if (!(nla->nla_type & NLA_F_NESTED))
			return hsd_attr_fail(err, errlen, "a certificate that is not a nest");
		a->have_cert = 1;
		return hsd_parse_cert(nla, a, err, errlen);
	case HSD_A_ACCEPT_PEERNAME:
		return hsd_parse_peername(nla, a, err, errlen);
	default:
		break;
	}

	if (hsd_attr_u32(nla, &v))
		return hsd_attr_fail(err, errlen,
				     "attribute %u of %zu bytes, not a 32-bit integer",
				     type, hsd_attr_len(nla));
	switch (type) {
	case HSD_A_ACCEPT_SOCKFD:
		if ((int32_t)v < 0)
			return hsd_attr_fail(err, errlen, "a negative socket fd %d",
					     (int32_t)v);
		a->sockfd = (int32_t)v;
		break;
	case HSD_A_ACCEPT_HANDLER_CLASS:
		break;
	case HSD_A_ACCEPT_MESSAGE_TYPE:
		a->msg_type = v;
		break;
	case HSD_A_ACCEPT_TIMEOUT:
		a->timeout_ms = v;
		break;
	case HSD_A_ACCEPT_AUTH_MODE:
		a->auth_mode = v;
		break;
	case HSD_A_ACCEPT_PEER_IDENTITY:
		if (a->npeerids == HSD_PEERIDS_MAX)
			return hsd_attr_fail(err, errlen, "more than %d peer identities",
					     HSD_PEERIDS_MAX);
		if ((int32_t)v <= 0)
			return hsd_attr_fail(err, errlen,
					     "peer identity %d is no key serial", (int32_t)v);
		a->peerids[a->npeerids++] = (int32_t)v;
		break;
	}
	return 0;
}

int hsd_parse_accept(const void *attrs, size_t len, struct hsd_accept *a,
		     char *err, size_t errlen)
{
	unsigned int seen[HSD_A_ACCEPT_PEERNAME + 1] = { 0 };
	const struct nlattr *nla;
	size_t off = 0;
	int ret;

	memset(a, 0, sizeof(*a));
	a->sockfd = -1;
	if (errlen)
		err[0] = '\0';
	while ((ret = hsd_attr_next(attrs, len, &off, &nla)) > 0) {
		ret = hsd_parse_accept_attr(nla, a, seen, err, errlen);
		if (ret)
			return ret;
	}
	if (ret < 0)
		return hsd_attr_fail(err, errlen,
				     "an attribute header at offset %zu runs past the message",
				     off);
	if (a->sockfd < 0)
		return hsd_attr_fail(err, errlen, "no socket fd");
	if (!seen[HSD_A_ACCEPT_MESSAGE_TYPE])
		return hsd_attr_fail(err, errlen, "no message type");
	if (a->msg_type != HSD_MSG_TYPE_CLIENTHELLO &&
	    a->msg_type != HSD_MSG_TYPE_SERVERHELLO)
		return hsd_attr_fail(err, errlen, "unknown message type %u",
				     a->msg_type);
	if (!seen[HSD_A_ACCEPT_AUTH_MODE])
		return hsd_attr_fail(err, errlen, "no auth mode");
	if (a->auth_mode != HSD_AUTH_UNAUTH && a->auth_mode != HSD_AUTH_PSK &&
	    a->auth_mode != HSD_AUTH_X509)
		return hsd_attr_fail(err, errlen, "unknown auth mode %u",
				     a->auth_mode);
	if (a->auth_mode == HSD_AUTH_PSK && !a->npeerids)
		return hsd_attr_fail(err, errlen, "a PSK request with no identity");
	if (a->auth_mode == HSD_AUTH_UNAUTH &&
	    a->msg_type == HSD_MSG_TYPE_SERVERHELLO)
		return hsd_attr_fail(err, errlen,
				     "an unauthenticated server handshake");
	return 0;
}

const char *hsd_msg_type_name(uint32_t type)
{
	switch (type) {
	case HSD_MSG_TYPE_CLIENTHELLO:
		return "clienthello";
	case HSD_MSG_TYPE_SERVERHELLO:
		return "serverhello";
	default:
		return "unspec";
	}
}

const char *hsd_auth_name(uint32_t mode)
{
	switch (mode) {
	case HSD_AUTH_UNAUTH:
		return "unauth";
	case HSD_AUTH_PSK:
		return "psk";
	case HSD_AUTH_X509:
		return "x509";
	default:
		return "unspec";
	}
}
