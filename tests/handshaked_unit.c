// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * handshaked_unit: quic-handshaked's configuration parser and netlink
 * message checks (handshake/config.c, handshake/attrs.c), fed good and
 * malformed input on the host; no kernel family needed.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "tap.h"
#include "../handshake/hsd.h"

/* ------------------------------------------------------ log capture */

static char logged[8192];

static void capture(int prio, const char *msg)
{
	size_t n = strlen(logged);

	snprintf(logged + n, sizeof(logged) - n, "%d:%s\n", prio, msg);
}

static int parse(const char *text, struct hsd_config *cfg, char *err,
		 size_t errlen)
{
	logged[0] = '\0';
	return hsd_config_parse(text, strlen(text), "t.conf", cfg, err, errlen);
}

/* -------------------------------------------------------- config.c */

static void test_config_good(void)
{
	const char *text =
		"# tlshd.conf\n"
		"; another comment\n"
		"\n"
		"[debug]\n"
		"loglevel = 2\n"
		"tls=1\n"
		"  nl =  0  \n"
		"[authenticate]\n"
		"keyrings = .nfs ; .nvme;;other\n"
		"[authenticate.client]\n"
		"x509.truststore = /etc/ssl/ca.pem\n"
		"x509.certificate=/c.pem\r\n"
		"x509.private_key = /k.pem\n"
		"[ authenticate.server ]\n"
		"x509.certificate = /s.pem\n"
		"x509.private_key = /sk.der";
	struct hsd_config cfg;
	char err[256];

	REQUIRE_EQ(parse(text, &cfg, err, sizeof(err)), 0);
	CHECK_EQ(cfg.loglevel, 2);
	CHECK_EQ(cfg.tls_debug, 1);
	CHECK_EQ(cfg.nl_debug, 0);
	CHECK_EQ(cfg.nkeyrings, 3u);
	CHECK(cfg.nkeyrings == 3 && !strcmp(cfg.keyrings[0], ".nfs") &&
	      !strcmp(cfg.keyrings[1], ".nvme") &&
	      !strcmp(cfg.keyrings[2], "other"));
	CHECK(cfg.client.truststore && !strcmp(cfg.client.truststore, "/etc/ssl/ca.pem"));
	CHECK(cfg.client.certificate && !strcmp(cfg.client.certificate, "/c.pem"));
	CHECK(cfg.client.private_key && !strcmp(cfg.client.private_key, "/k.pem"));
	CHECK(!cfg.server.truststore);
	CHECK(cfg.server.private_key && !strcmp(cfg.server.private_key, "/sk.der"));
	CHECK_EQ(logged[0], '\0');
	hsd_config_free(&cfg);
}

static void test_config_empty(void)
{
	struct hsd_config cfg;
	char err[256];

	CHECK_EQ(parse("", &cfg, err, sizeof(err)), 0);
	CHECK_EQ(cfg.loglevel, 0);
	CHECK(!cfg.client.certificate && !cfg.nkeyrings);
	hsd_config_free(&cfg);
	CHECK_EQ(parse("\n\n# only comments\n", &cfg, err, sizeof(err)), 0);
	hsd_config_free(&cfg);
}

static void test_config_unknown_warns(void)
{
	struct hsd_config cfg;
	char err[256];

	CHECK_EQ(parse("[debug]\nverbose=1\n[other]\nanything = at all\n"
		       "[authenticate.server]\nx509.crl = /x\n", &cfg, err,
		       sizeof(err)), 0);
	CHECK(strstr(logged, "t.conf:2: unknown key \"verbose\"") != NULL);
	CHECK(strstr(logged, "t.conf:3: unknown group [other]") != NULL);
	CHECK(strstr(logged, "t.conf:6: unknown key \"x509.crl\"") != NULL);
	hsd_config_free(&cfg);
}

/* one malformed file: parse fails with "t.conf:LINE: ..." */
static void bad(const char *text, size_t len, unsigned int line,
		const char *what)
{
	struct hsd_config cfg;
	char err[256], want[64];
	int ret;

	logged[0] = '\0';
	ret = hsd_config_parse(text, len, "t.conf", &cfg, err, sizeof(err));
	hsd_config_free(&cfg);
	snprintf(want, sizeof(want), "t.conf:%u: ", line);
	if (!CHECK_EQ(ret, -EINVAL) || !CHECK(strncmp(err, want, strlen(want)) == 0) ||
	    !CHECK(strstr(err, what) != NULL))
		tap_diag("input \"%.*s\" gave \"%s\"", (int)len, text, err);
}

#define BAD(text, line, what)	bad(text, sizeof(text) - 1, line, what)

static void test_config_malformed(void)
{
	static char longline[HSD_CONFIG_LINE_MAX + 64];

	BAD("loglevel=1\n", 1, "before any [group]");
	BAD("[debug]\nloglevel\n", 2, "neither");
	BAD("[debug]\nloglevel = x\n", 2, "not a number");
	BAD("[debug]\nloglevel = 1x\n", 2, "not a number");
	BAD("[debug]\nloglevel = -1\n", 2, "not a number");
	BAD("[debug]\nloglevel = 99999999999999999999\n", 2, "not a number");
	BAD("[debug]\nloglevel =\n", 2, "not a number");
	BAD("[debug\n", 1, "[name]");
	BAD("[debug] x\n", 1, "[name]");
	BAD("[]\n", 1, "no name");
	BAD("[a[b]\n", 1, "[name]");
	BAD("[debug]\n= 3\n", 2, "no key");
	BAD("[debug]\nlog level = 3\n", 2, "not a key name");
	BAD("[debug]\n\n\nloglevel=1\0\n", 4, "NUL");
	BAD("[authenticate]\nkeyrings=a;b;c;d;e;f;g;h;i;j;k;l;m;n;o;p;q\n", 2,
	    "more than 16");

	memset(longline, 'a', sizeof(longline) - 1);
	memcpy(longline, "[debug]\n#", 9);
	bad(longline, sizeof(longline) - 1, 2, "longer than");
}

static void test_config_load(void)
{
	char path[] = "/tmp/handshaked_unit.XXXXXX";
	struct hsd_config cfg;
	char err[512];
	int fd;

	CHECK_EQ(hsd_config_load("/nonexistent/tlshd.conf", &cfg, err,
				 sizeof(err)), 0);
	hsd_config_free(&cfg);

	fd = mkstemp(path);
	REQUIRE(fd >= 0);
	CHECK(write(fd, "[debug]\nloglevel=3\n[authenticate.client]\nbogus\n", 47) == 47);
	close(fd);
	CHECK_EQ(hsd_config_load(path, &cfg, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, path) != NULL && strstr(err, ":4: ") != NULL);
	hsd_config_free(&cfg);
	CHECK_EQ(hsd_config_load("/tmp", &cfg, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "/tmp") != NULL);
	hsd_config_free(&cfg);
	/* too large */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	REQUIRE(fd >= 0);
	{
		static char chunk[64 * 1024];

		memset(chunk, '#', sizeof(chunk));
		for (int i = 0; i < 17; i++)
			CHECK(write(fd, chunk, sizeof(chunk)) == (ssize_t)sizeof(chunk));
	}
	close(fd);
	CHECK_EQ(hsd_config_load(path, &cfg, err, sizeof(err)), -EFBIG);
	CHECK(strstr(err, path) != NULL && strstr(err, "larger than") != NULL);
	hsd_config_free(&cfg);
	unlink(path);
	/* no size to go by: read to the end */
	CHECK_EQ(hsd_config_load("/dev/null", &cfg, err, sizeof(err)), 0);
	hsd_config_free(&cfg);
}

/* ---------------------------------------------------------- attrs.c */

struct abuf {
	unsigned char	b[4096];
	size_t		len;
};

static void put_attr(struct abuf *m, uint16_t type, const void *data,
		     size_t len)
{
	struct nlattr nla = {
		.nla_len = (uint16_t)(NLA_HDRLEN + len),
		.nla_type = type,
	};

	memcpy(m->b + m->len, &nla, sizeof(nla));
	memcpy(m->b + m->len + NLA_HDRLEN, data, len);
	m->len += NLA_ALIGN(NLA_HDRLEN + len);
}

static void put_u32(struct abuf *m, uint16_t type, uint32_t v)
{
	put_attr(m, type, &v, sizeof(v));
}

static void put_cert(struct abuf *m, int32_t cert, int32_t key)
{
	struct abuf nest = { .len = 0 };

	put_u32(&nest, HSD_A_X509_CERT, (uint32_t)cert);
	put_u32(&nest, HSD_A_X509_PRIVKEY, (uint32_t)key);
	put_attr(m, HSD_A_ACCEPT_CERTIFICATE | NLA_F_NESTED, nest.b, nest.len);
}

/* a well-formed request: fd 7, client, x509, timeout, peer name */
static void base(struct abuf *m)
{
	m->len = 0;
	put_u32(m, HSD_A_ACCEPT_SOCKFD, 7);
	put_u32(m, HSD_A_ACCEPT_MESSAGE_TYPE, HSD_MSG_TYPE_CLIENTHELLO);
	put_u32(m, HSD_A_ACCEPT_TIMEOUT, 5000);
	put_u32(m, HSD_A_ACCEPT_AUTH_MODE, HSD_AUTH_X509);
	put_cert(m, 11, 12);
	put_attr(m, HSD_A_ACCEPT_PEERNAME, "server.example", 15);
}

static void test_accept_good(void)
{
	struct hsd_accept a;
	struct abuf m;
	char err[256];

	base(&m);
	REQUIRE_EQ(hsd_parse_accept(m.b, m.len, &a, err, sizeof(err)), 0);
	CHECK_EQ(a.sockfd, 7);
	CHECK_EQ(a.msg_type, (uint32_t)HSD_MSG_TYPE_CLIENTHELLO);
	CHECK_EQ(a.timeout_ms, 5000u);
	CHECK_EQ(a.auth_mode, (uint32_t)HSD_AUTH_X509);
	CHECK(a.have_cert && a.cert == 11 && a.privkey == 12);
	CHECK(a.have_peername && !strcmp(a.peername, "server.example"));

	/* PSK, five identities, an unknown attribute skipped */
	m.len = 0;
	put_u32(&m, HSD_A_ACCEPT_SOCKFD, 0);
	put_u32(&m, HSD_A_ACCEPT_MESSAGE_TYPE, HSD_MSG_TYPE_SERVERHELLO);
	put_u32(&m, HSD_A_ACCEPT_AUTH_MODE, HSD_AUTH_PSK);
	put_u32(&m, 42, 1);
	for (uint32_t i = 1; i <= 5; i++)
		put_u32(&m, HSD_A_ACCEPT_PEER_IDENTITY, 100 + i);
	REQUIRE_EQ(hsd_parse_accept(m.b, m.len, &a, err, sizeof(err)), 0);
	CHECK_EQ(a.npeerids, 5u);
	CHECK_EQ(a.peerids[4], 105);
	CHECK_EQ(a.timeout_ms, 0u);
	CHECK(!a.have_cert && !a.have_peername);
}

/* a malformed request: refused; *fd is what parsing left in sockfd */
static int accept_bad(const struct abuf *m, const char *what, int fd)
{
	struct hsd_accept a;
	char err[256];
	int ret = hsd_parse_accept(m->b, m->len, &a, err, sizeof(err));
	int ok = CHECK_EQ(ret, -EBADMSG);

	ok &= CHECK(strstr(err, what) != NULL);
	ok &= CHECK_EQ(a.sockfd, fd);
	if (!ok)
		tap_diag("wanted \"%s\", got \"%s\"", what, err);
	return ok;
}

static void test_accept_malformed(void)
{
	struct abuf m;
	uint16_t u16 = 7;
	uint64_t u64 = 7;
	char name[HSD_PEERNAME_MAX + 8];

	m.len = 0;
	accept_bad(&m, "no socket fd", -1);

	/* a short, an oversized and a nested socket fd */
	m.len = 0;
	put_attr(&m, HSD_A_ACCEPT_SOCKFD, &u16, sizeof(u16));
	accept_bad(&m, "not a 32-bit integer", -1);
	m.len = 0;
	put_attr(&m, HSD_A_ACCEPT_SOCKFD, &u64, sizeof(u64));
	accept_bad(&m, "not a 32-bit integer", -1);
	m.len = 0;
	put_u32(&m, HSD_A_ACCEPT_SOCKFD | NLA_F_NESTED, 7);
	accept_bad(&m, "not a 32-bit integer", -1);
	m.len = 0;
	put_u32(&m, HSD_A_ACCEPT_SOCKFD, (uint32_t)-3);
	accept_bad(&m, "negative socket fd", -1);

	/* a duplicate; the fd seen first is kept for the caller to close */
	base(&m);
	put_u32(&m, HSD_A_ACCEPT_SOCKFD, 8);
	accept_bad(&m, "given twice", 7);
	base(&m);
	put_u32(&m, HSD_A_ACCEPT_AUTH_MODE, HSD_AUTH_PSK);
	accept_bad(&m, "given twice", 7);

	/* missing or unknown message type and auth mode */
	m.len = 0;
	put_u32(&m, HSD_A_ACCEPT_SOCKFD, 7);
	put_u32(&m, HSD_A_ACCEPT_AUTH_MODE, HSD_AUTH_X509);
	accept_bad(&m, "no message type", 7);
	m.len = 0;
	put_u32(&m, HSD_A_ACCEPT_SOCKFD, 7);
	put_u32(&m, HSD_A_ACCEPT_MESSAGE_TYPE, 3);
	put_u32(&m, HSD_A_ACCEPT_AUTH_MODE, HSD_AUTH_X509);
	accept_bad(&m, "unknown message type", 7);
	m.len = 0;
	put_u32(&m, HSD_A_ACCEPT_SOCKFD, 7);
	put_u32(&m, HSD_A_ACCEPT_MESSAGE_TYPE, HSD_MSG_TYPE_CLIENTHELLO);
	accept_bad(&m, "no auth mode", 7);
	m.len = 0;
	put_u32(&m, HSD_A_ACCEPT_SOCKFD, 7);
	put_u32(&m, HSD_A_ACCEPT_MESSAGE_TYPE, HSD_MSG_TYPE_CLIENTHELLO);
	put_u32(&m, HSD_A_ACCEPT_AUTH_MODE, 0);
	accept_bad(&m, "unknown auth mode", 7);
	m.len = 0;
	put_u32(&m, HSD_A_ACCEPT_SOCKFD, 7);
	put_u32(&m, HSD_A_ACCEPT_MESSAGE_TYPE, HSD_MSG_TYPE_SERVERHELLO);
	put_u32(&m, HSD_A_ACCEPT_AUTH_MODE, HSD_AUTH_UNAUTH);
	accept_bad(&m, "unauthenticated server", 7);

	/* PSK: none, too many, not a serial */
	m.len = 0;
	put_u32(&m, HSD_A_ACCEPT_SOCKFD, 7);
	put_u32(&m, HSD_A_ACCEPT_MESSAGE_TYPE, HSD_MSG_TYPE_CLIENTHELLO);
	put_u32(&m, HSD_A_ACCEPT_AUTH_MODE, HSD_AUTH_PSK);
	accept_bad(&m, "no identity", 7);
	for (int i = 0; i < 6; i++)
		put_u32(&m, HSD_A_ACCEPT_PEER_IDENTITY, 100 + (uint32_t)i);
	accept_bad(&m, "more than 5", 7);
	m.len = 0;
	put_u32(&m, HSD_A_ACCEPT_SOCKFD, 7);
	put_u32(&m, HSD_A_ACCEPT_PEER_IDENTITY, 0);
	accept_bad(&m, "no key serial", 7);

	/* peer names: unterminated, inner NUL, empty, too long */
	base(&m);
	m.len -= NLA_ALIGN(NLA_HDRLEN + 15);
	put_attr(&m, HSD_A_ACCEPT_PEERNAME, "abc", 3);
	accept_bad(&m, "not NUL-terminated", 7);
	base(&m);
	m.len -= NLA_ALIGN(NLA_HDRLEN + 15);
	put_attr(&m, HSD_A_ACCEPT_PEERNAME, "ab\0c", 5);
	accept_bad(&m, "NUL byte inside", 7);
	base(&m);
	m.len -= NLA_ALIGN(NLA_HDRLEN + 15);
	put_attr(&m, HSD_A_ACCEPT_PEERNAME, "", 1);
	accept_bad(&m, "empty peer name", 7);
	base(&m);
	m.len -= NLA_ALIGN(NLA_HDRLEN + 15);
	memset(name, 'a', sizeof(name));
	name[sizeof(name) - 1] = '\0';
	put_attr(&m, HSD_A_ACCEPT_PEERNAME, name, sizeof(name));
	accept_bad(&m, "more than 255", 7);

	/* certificates: not nested, short, half, a bad nest */
	m.len = 0;
	put_u32(&m, HSD_A_ACCEPT_SOCKFD, 7);
	put_u32(&m, HSD_A_ACCEPT_CERTIFICATE, 5);
	accept_bad(&m, "not a nest", 7);
	m.len = 0;
	put_u32(&m, HSD_A_ACCEPT_SOCKFD, 7);
	put_cert(&m, 5, 0);
	accept_bad(&m, "without a private key", 7);
	m.len = 0;
	put_u32(&m, HSD_A_ACCEPT_SOCKFD, 7);
	put_cert(&m, -5, 6);
	accept_bad(&m, "negative key serials", 7);
	{
		struct abuf nest = { .len = 0 };

		put_attr(&nest, HSD_A_X509_CERT, &u16, sizeof(u16));
		m.len = 0;
		put_u32(&m, HSD_A_ACCEPT_SOCKFD, 7);
		put_attr(&m, HSD_A_ACCEPT_CERTIFICATE | NLA_F_NESTED, nest.b,
			 nest.len);
		accept_bad(&m, "not an s32", 7);

		nest.len = 0;
		put_u32(&nest, HSD_A_X509_CERT, 5);
		((struct nlattr *)nest.b)->nla_len = 200;	/* runs past */
		m.len = 0;
		put_u32(&m, HSD_A_ACCEPT_SOCKFD, 7);
		put_attr(&m, HSD_A_ACCEPT_CERTIFICATE | NLA_F_NESTED, nest.b,
			 nest.len);
		accept_bad(&m, "runs past its nest", 7);
	}

	/* attribute headers that lie */
	base(&m);
	((struct nlattr *)(m.b + m.len - NLA_ALIGN(NLA_HDRLEN + 15)))->nla_len = 300;
	accept_bad(&m, "runs past the message", 7);
	base(&m);
	((struct nlattr *)(m.b + m.len - NLA_ALIGN(NLA_HDRLEN + 15)))->nla_len = 2;
	accept_bad(&m, "runs past the message", 7);
	base(&m);
	m.b[m.len++] = 1;	/* a stray byte: shorter than a header */
	accept_bad(&m, "runs past the message", 7);
}

static void test_accept_truncations(void)
{
	struct hsd_accept a;
	struct abuf m;
	char err[256];
	size_t cut;
	int ret, failed = 0;

	/* every prefix of a good message either parses or is refused */
	base(&m);
	for (cut = 0; cut < m.len; cut++) {
		ret = hsd_parse_accept(m.b, cut, &a, err, sizeof(err));
		if (ret != -EBADMSG && ret != 0)
			failed++;
	}
	CHECK_EQ(failed, 0);
}

static void test_ready(void)
{
	struct abuf m;
	char err[256];
	uint16_t u16 = 1;

	m.len = 0;
	put_u32(&m, HSD_A_ACCEPT_HANDLER_CLASS, HSD_HANDLER_CLASS_TLSHD);
	CHECK_EQ(hsd_parse_ready(m.b, m.len, err, sizeof(err)), 0);
	m.len = 0;
	put_u32(&m, HSD_A_ACCEPT_HANDLER_CLASS, 5);
	CHECK_EQ(hsd_parse_ready(m.b, m.len, err, sizeof(err)), -ENOENT);
	m.len = 0;
	CHECK_EQ(hsd_parse_ready(m.b, m.len, err, sizeof(err)), -EBADMSG);
	m.len = 0;
	put_attr(&m, HSD_A_ACCEPT_HANDLER_CLASS, &u16, sizeof(u16));
	CHECK_EQ(hsd_parse_ready(m.b, m.len, err, sizeof(err)), -EBADMSG);
	m.len = 0;
	put_u32(&m, HSD_A_ACCEPT_HANDLER_CLASS, 1);
	put_u32(&m, HSD_A_ACCEPT_HANDLER_CLASS, 1);
	CHECK_EQ(hsd_parse_ready(m.b, m.len, err, sizeof(err)), -EBADMSG);
	m.len = 0;
	put_u32(&m, HSD_A_ACCEPT_HANDLER_CLASS, 1);
	((struct nlattr *)m.b)->nla_len = 9;
	CHECK_EQ(hsd_parse_ready(m.b, m.len - 1, err, sizeof(err)), -EBADMSG);
}

static void test_nlmsg(void)
{
	unsigned char buf[256] __attribute__((aligned(4)));
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct genlmsghdr *g = (struct genlmsghdr *)(buf + NLMSG_HDRLEN);
	const struct nlmsghdr *got;
	const char *why = NULL;
	const void *attrs;
	size_t off, alen;
	int error;

	memset(buf, 0, sizeof(buf));
	h->nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + 8;
	h->nlmsg_type = 30;
	g->cmd = HSD_CMD_READY;
	off = 0;
	CHECK_EQ(hsd_nlmsg_next(buf, h->nlmsg_len, &off, &got), 1);
	CHECK_EQ(hsd_nlmsg_next(buf, h->nlmsg_len, &off, &got), 0);
	CHECK_EQ(hsd_genl_payload(h, 30, HSD_CMD_READY, &attrs, &alen, &why), 0);
	CHECK_EQ(alen, (size_t)8);
	CHECK_EQ(hsd_genl_payload(h, 31, HSD_CMD_READY, &attrs, &alen, &why),
		 -EBADMSG);
	CHECK_EQ(hsd_genl_payload(h, 30, HSD_CMD_ACCEPT, &attrs, &alen, &why),
		 -EBADMSG);
	h->nlmsg_len = NLMSG_HDRLEN + 2;
	CHECK_EQ(hsd_genl_payload(h, 30, HSD_CMD_READY, &attrs, &alen, &why),
		 -EBADMSG);

	/* lengths that lie: longer than the buffer, shorter than a header */
	off = 0;
	h->nlmsg_len = 200;
	CHECK_EQ(hsd_nlmsg_next(buf, 100, &off, &got), -EBADMSG);
	off = 0;
	h->nlmsg_len = 4;
	CHECK_EQ(hsd_nlmsg_next(buf, 100, &off, &got), -EBADMSG);
	off = 0;
	CHECK_EQ(hsd_nlmsg_next(buf, 10, &off, &got), -EBADMSG);

	/* errors: an acknowledgement, an errno, nonsense, too short */
	memset(buf, 0, sizeof(buf));
	h->nlmsg_type = NLMSG_ERROR;
	h->nlmsg_len = NLMSG_HDRLEN + sizeof(struct nlmsgerr);
	CHECK_EQ(hsd_nlmsg_error(h, &error), 0);
	CHECK_EQ(error, 0);
	((struct nlmsgerr *)NLMSG_DATA(h))->error = -EAGAIN;
	CHECK_EQ(hsd_nlmsg_error(h, &error), 0);
	CHECK_EQ(error, -EAGAIN);
	((struct nlmsgerr *)NLMSG_DATA(h))->error = 5;
	CHECK_EQ(hsd_nlmsg_error(h, &error), -EBADMSG);
	((struct nlmsgerr *)NLMSG_DATA(h))->error = -100000;
	CHECK_EQ(hsd_nlmsg_error(h, &error), -EBADMSG);
	h->nlmsg_len = NLMSG_HDRLEN + 4;
	CHECK_EQ(hsd_nlmsg_error(h, &error), -EBADMSG);
}

static void test_ratelimit(void)
{
	struct hsd_ratelimit rl = { 0 };
	int i, passed = 0;

	logged[0] = '\0';
	for (i = 0; i < 1000; i++)
		passed += hsd_log_ratelimit(&rl);
	CHECK(passed >= 10 && passed <= 20);
}

static const struct tap_test tests[] = {
	TAP_TEST(test_config_good, "config: a full tlshd.conf parses"),
	TAP_TEST(test_config_empty, "config: empty and comment-only files give the defaults"),
	TAP_TEST(test_config_unknown_warns, "config: unknown groups and keys are warned about, with file:line"),
	TAP_TEST(test_config_malformed, "config: malformed lines fail naming file:line"),
	TAP_TEST(test_config_load, "config: a missing file is the defaults, a bad one fails naming it"),
	TAP_TEST(test_accept_good, "ACCEPT replies: X.509 and PSK requests decode"),
	TAP_TEST(test_accept_malformed, "ACCEPT replies: short, oversized, duplicate, missing and lying attributes are refused"),
	TAP_TEST(test_accept_truncations, "ACCEPT replies: every truncation parses or is refused"),
	TAP_TEST(test_ready, "READY: only one well-formed tlshd handler class passes"),
	TAP_TEST(test_nlmsg, "netlink headers and error messages are bounds-checked"),
	TAP_TEST(test_ratelimit, "dropped-message logs are rate-limited"),
};

int main(void)
{
	hsd_log_set_sink(capture);
	return tap_main(tests, TAP_COUNT(tests));
}
