// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * resume_test: the handshake half of the socket API: session tickets and
 * resumption, written as the draft's appendix B writes client_handshake()
 * and server_handshake() (a GnuTLS session of the application's own, the
 * ticket key from QUIC_SOCKOPT_SESSION_TICKET, quic_handshake()), the
 * NEW_SESSION_TICKET event, and what the options refuse.
 *
 * Runs as root in a guest with quic.ko loaded; prints TAP (tests/tap.h),
 * each test isolated in a child of its own (tests/lib/runner.h).
 *
 * Usage: resume_test [-v] [-l] [-t GLOB]...
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/quic.h>
#include <netinet/quic.h>

#include "lib/testlib.h"

#define TICKET_KEY_LEN	64

/* what one side of a handshake did */
struct hs {
	int		fd;
	const char	*alpn;
	const uint8_t	*sess_in;	/* client: session data to resume */
	size_t		sess_in_len;
	uint8_t		*sess_out;	/* client: session data of this one */
	size_t		*sess_out_len;
	int		sess_ret;	/* quic_session_get_data()'s */
	int		tickets;	/* server: enable tickets */
	int		resumed;
	int		ret;
};

/* appendix B's client_handshake(), trusting the test CA */
static int client_hs(struct hs *h)
{
	gnutls_session_t s;
	char alpn[64];
	size_t alen = sizeof(alpn);
	double t0;
	int ret;

	ret = gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_ENABLE_EARLY_DATA |
			  GNUTLS_NO_END_OF_EARLY_DATA);
	if (ret)
		return ret;
	ret = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE,
				     creds.x509_cli);
	if (!ret)
		ret = gnutls_priority_set_direct(s, QUIC_PRIORITY, NULL);
	if (!ret && h->alpn)
		ret = quic_session_set_alpn(s, h->alpn, strlen(h->alpn));
	if (!ret)
		ret = gnutls_server_name_set(s, GNUTLS_NAME_DNS, "localhost",
					     strlen("localhost"));
	gnutls_transport_set_int(s, h->fd);
	if (!ret && h->sess_in)
		ret = quic_session_set_data(s, h->sess_in, h->sess_in_len);
	if (!ret)
		ret = quic_handshake(s);
	if (!ret && h->alpn)
		ret = quic_session_get_alpn(s, alpn, &alen);
	if (!ret && h->sess_out) {
		/* the ticket comes after the handshake (appendix B sleeps) */
		t0 = now_s();
		do {
			size_t len = *h->sess_out_len;

			h->sess_ret = quic_session_get_data(s, h->sess_out,
							    &len);
			if (!h->sess_ret)
				*h->sess_out_len = len;
			else
				msleep(50);
		} while (h->sess_ret == -ENODATA && now_s() - t0 < 2);
	}
	h->resumed = gnutls_session_is_resumed(s);
	gnutls_deinit(s);
	return ret;
}

/* appendix B's server_handshake(), the ticket key from the socket */
static int server_hs(struct hs *h)
{
	gnutls_certificate_credentials_t cred;
	uint8_t key[TICKET_KEY_LEN];
	socklen_t klen = sizeof(key);
	gnutls_datum_t skey = { key, sizeof(key) };
	gnutls_session_t s;
	int ret;

	if (h->tickets &&
	    getsockopt(h->fd, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET, key,
		       &klen))
		return -errno;
	ret = gnutls_certificate_allocate_credentials(&cred);
	if (ret)
		return ret;
	ret = gnutls_certificate_set_x509_key_file(cred, creds.srv_cert,
						   creds.srv_key,
						   GNUTLS_X509_FMT_PEM);
	if (ret)
		goto out_cred;
	ret = gnutls_init(&s, GNUTLS_SERVER | GNUTLS_NO_AUTO_SEND_TICKET |
			  GNUTLS_ENABLE_EARLY_DATA |
			  GNUTLS_NO_END_OF_EARLY_DATA);
	if (ret)
		goto out_cred;
	ret = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
	if (!ret && h->tickets)
		ret = gnutls_session_ticket_enable_server(s, &skey);
	if (!ret)
		ret = gnutls_priority_set_direct(s, QUIC_PRIORITY, NULL);
	if (!ret && h->alpn)
		ret = quic_session_set_alpn(s, h->alpn, strlen(h->alpn));
	gnutls_transport_set_int(s, h->fd);
	if (!ret)
		ret = quic_handshake(s);
	h->resumed = gnutls_session_is_resumed(s);
	gnutls_deinit(s);
out_cred:
	gnutls_certificate_free_credentials(cred);
	return ret;
}

struct srv {
	int		lfd;
	struct hs	hs;
};

static void *srv_main(void *arg)
{
	struct srv *v = arg;

	v->hs.fd = accept(v->lfd, NULL, NULL);
	if (v->hs.fd < 0) {
		v->hs.ret = -errno;
		return NULL;
	}
	set_timeouts(v->hs.fd, TMO_MS);
	v->hs.ret = server_hs(&v->hs);
	return NULL;
}

/*
 * One connection: a server thread accepts and runs server_hs() with
 * @sv, the client runs client_hs() with @cl on @cfd (connected already);
 * true iff both handshakes succeeded.  The sockets stay open.
 */
static bool connect_once(int lfd, int cfd, struct hs *cl, struct srv *sv)
{
	pthread_t th;

	sv->lfd = lfd;
	sv->hs.fd = -1;
	if (pthread_create(&th, NULL, srv_main, sv))
		return false;
	cl->fd = cfd;
	cl->ret = client_hs(cl);
	pthread_join(th, NULL);
	if (cl->ret || sv->hs.ret)
		tap_diag("handshake: client %d, server %d", cl->ret,
			 sv->hs.ret);
	return !cl->ret && !sv->hs.ret;
}

/* the next event on @fd, within 2 s: its type, its payload in @buf */
static int next_event(int fd, uint8_t *buf, size_t cap, ssize_t *len)
{
	uint32_t flags = 0;
	int64_t sid = 0;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, 2000) != 1)
		return -1;
	*len = quic_recvmsg(fd, buf, cap, &sid, &flags);
	if (*len < 1 || !(flags & MSG_NOTIFICATION))
		return -1;
	return buf[0];
}

/*
 * Appendix B's flow, twice: the first connection gets a ticket (also as
 * the NEW_SESSION_TICKET event) and session data from it; the second
 * resumes with that data, which both ends see.
 */
static void test_resume(const void *arg)
{
	static uint8_t sess[8192], ev[8192], raw[8192];
	size_t sess_len = sizeof(sess);
	struct hs cl = { .alpn = "smbd", .sess_out = sess,
			 .sess_out_len = &sess_len };
	struct srv sv = { .hs = { .alpn = "smbd", .tickets = 1 } };
	socklen_t rlen = sizeof(raw);
	uint16_t port;
	ssize_t n;
	int lfd, cfd;

	(void)arg;
	REQUIRE_SYS(lfd = listener(AF_INET, NULL, 0, 0, &port));
	REQUIRE_SYS(cfd = client_socket(AF_INET, NULL, 0, port));
	CHECK_SYS(set_event(cfd, QUIC_EVENT_NEW_SESSION_TICKET, 1));
	if (!CHECK(connect_once(lfd, cfd, &cl, &sv)))
		goto out;
	CHECK_EQ(cl.sess_ret, 0);
	CHECK(!cl.resumed);
	CHECK(!sv.hs.resumed);
	tap_diag("session data: %zu bytes", sess_len);
	CHECK(sess_len > 64);

	/* the ticket as the kernel kept it: a NewSessionTicket message */
	CHECK_SYS(getsockopt(cfd, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET, raw,
			     &rlen));
	tap_diag("ticket: %u bytes, type %u", rlen, rlen ? raw[0] : 0);
	CHECK(rlen > 4);
	CHECK_EQ(raw[0], 4);
	CHECK_EQ((raw[1] << 16 | raw[2] << 8 | raw[3]) + 4, (int)rlen);
	/* and as the event, the same bytes */
	if (CHECK_EQ(next_event(cfd, ev, sizeof(ev), &n),
		     QUIC_EVENT_NEW_SESSION_TICKET)) {
		CHECK_EQ(n, (ssize_t)rlen + 1);
		CHECK(!memcmp(ev + 1, raw, rlen));
	}
	close(cfd);
	close(sv.hs.fd);

	memset(&cl, 0, sizeof(cl));
	cl.alpn = "smbd";
	cl.sess_in = sess;
	cl.sess_in_len = sess_len;
	REQUIRE_SYS(cfd = client_socket(AF_INET, NULL, 0, port));
	if (CHECK(connect_once(lfd, cfd, &cl, &sv))) {
		CHECK(cl.resumed);
		CHECK(sv.hs.resumed);
		close(sv.hs.fd);
	}
	close(cfd);
out:
	close(lfd);
}

/*
 * A server that sends no ticket: quic_session_get_data() says -ENODATA,
 * it does not return data that would only make a full handshake.
 */
static void test_no_ticket(const void *arg)
{
	uint8_t sess[8192];
	size_t sess_len = sizeof(sess);
	struct hs cl = { .sess_out = sess, .sess_out_len = &sess_len };
	struct srv sv = { .hs = { .tickets = 0 } };
	uint8_t raw[16];
	socklen_t rlen = sizeof(raw);
	uint16_t port;
	int lfd, cfd;

	(void)arg;
	REQUIRE_SYS(lfd = listener(AF_INET, NULL, 0, 0, &port));
	REQUIRE_SYS(cfd = client_socket(AF_INET, NULL, 0, port));
	if (CHECK(connect_once(lfd, cfd, &cl, &sv))) {
		CHECK_EQ(cl.sess_ret, -ENODATA);
		CHECK_SYS(getsockopt(cfd, SOL_QUIC,
				     QUIC_SOCKOPT_SESSION_TICKET, raw, &rlen));
		CHECK_EQ(rlen, 0);
		close(sv.hs.fd);
	}
	close(cfd);
	close(lfd);
}

static int get_key(int fd, uint8_t *key)
{
	socklen_t len = TICKET_KEY_LEN;

	if (getsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET, key, &len))
		return -1;
	if (len != TICKET_KEY_LEN) {
		tap_diag("a ticket key of %u bytes", len);
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

static int reuse_listener(uint16_t port, uint16_t *got)
{
	struct addr a = mkaddr(AF_INET, NULL, port);
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_QUIC);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, &a.sa, a.len) || listen(fd, 8)) {
		close(fd);
		return -1;
	}
	*got = (uint16_t)local_port(fd);
	return fd;
}

/*
 * The ticket key: 64 bytes, the same on a listener and on the sockets it
 * accepts and on every listener of one owner's SO_REUSEPORT group,
 * another on another port; a client reads its ticket (none: 0 bytes) and
 * may set session data, up to 8192 bytes; a server may not.
 */
static void test_ticket_key(const void *arg)
{
	uint8_t k1[TICKET_KEY_LEN], k2[TICKET_KEY_LEN], k3[TICKET_KEY_LEN];
	uint8_t k4[TICKET_KEY_LEN], big[8193], got[8193];
	socklen_t len;
	struct pair p;
	struct pcfg cfg = { .family = AF_INET };
	uint16_t port, port2;
	int a, b, c;

	(void)arg;
	REQUIRE_SYS(a = reuse_listener(0, &port));
	REQUIRE_SYS(b = reuse_listener(port, &port2));
	CHECK_EQ(port, port2);
	REQUIRE_SYS(c = reuse_listener(0, &port2));
	CHECK_SYS(get_key(a, k1));
	CHECK_SYS(get_key(b, k2));
	CHECK_SYS(get_key(c, k3));
	CHECK(!memcmp(k1, k2, sizeof(k1)));
	CHECK(memcmp(k1, k3, sizeof(k1)));
	len = TICKET_KEY_LEN - 1;
	CHECK_ERR(getsockopt(a, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET, k4,
			     &len), EINVAL);
	CHECK_ERR(setsockopt(a, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET, k4,
			     sizeof(k4)), EINVAL);
	close(a);
	close(b);
	close(c);

	REQUIRE_PAIR(&p, &cfg);
	CHECK_SYS(get_key(p.lfd, k1));
	CHECK_SYS(get_key(p.sfd, k2));
	CHECK(!memcmp(k1, k2, sizeof(k1)));
	CHECK_ERR(setsockopt(p.sfd, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET,
			     k4, sizeof(k4)), EINVAL);
	/* the client: session data given back, read again */
	memset(big, 0x5a, sizeof(big));
	CHECK_ERR(setsockopt(p.cfd, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET,
			     big, sizeof(big)), EINVAL);
	CHECK_SYS(setsockopt(p.cfd, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET,
			     big, sizeof(big) - 1));
	len = sizeof(big) - 2;
	CHECK_ERR(getsockopt(p.cfd, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET,
			     got, &len), EINVAL);
	len = sizeof(got);
	CHECK_SYS(getsockopt(p.cfd, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET,
			     got, &len));
	CHECK_EQ(len, sizeof(big) - 1);
	CHECK(!memcmp(got, big, sizeof(big) - 1));
	CHECK_SYS(setsockopt(p.cfd, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET,
			     NULL, 0));
	len = sizeof(got);
	CHECK_SYS(getsockopt(p.cfd, SOL_QUIC, QUIC_SOCKOPT_SESSION_TICKET,
			     got, &len));
	CHECK_EQ(len, 0);
	pair_close(&p);
}

int main(int argc, char **argv)
{
	test_add("resume", "appendix B: a ticket after the handshake (a NewSessionTicket in QUIC_SOCKOPT_SESSION_TICKET and the NEW_SESSION_TICKET event), session data from it, and a second connection that both ends see resumed",
		 test_resume, NULL, 60);
	test_add("no_ticket", "a server that sends no ticket: quic_session_get_data() -ENODATA, the option 0 bytes",
		 test_no_ticket, NULL, 60);
	test_add("ticket_key", "the ticket key: 64 bytes, one per owner and port (listener, accepted socket, SO_REUSEPORT group), another port another key; session data set and read back on a client up to 8192 bytes; EINVAL on a server and for short buffers",
		 test_ticket_key, NULL, 60);
	return runner_main(argc, argv);
}
