// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pair.c - a connected client/server pair over loopback, and a receive
 * that waits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include <netinet/quic.h>

#include "pair.h"
#include "net.h"
#include "util.h"
#include "xfer.h"

int listener(int family, const struct quic_transport_param *tp,
	     int backlog, int tmo_ms, uint16_t *port)
{
	struct addr a = mkaddr(family, NULL, 0);
	int fd;

	fd = socket(family, SOCK_DGRAM, IPPROTO_QUIC);
	if (fd < 0)
		return -1;
	set_timeouts(fd, tmo_ms ? tmo_ms : TMO_MS);
	if (set_tp(fd, tp) || bind(fd, &a.sa, a.len) ||
	    listen(fd, backlog ? backlog : 8)) {
		close(fd);
		return -1;
	}
	*port = (uint16_t)local_port(fd);
	return fd;
}

int client_socket_conf(int family, const struct quic_transport_param *tp,
		       const struct quic_config *conf, int tmo_ms,
		       uint16_t port)
{
	struct addr a = mkaddr(family, NULL, port);
	int fd, err;

	fd = socket(family, SOCK_DGRAM, IPPROTO_QUIC);
	if (fd < 0)
		return -1;
	set_timeouts(fd, tmo_ms ? tmo_ms : TMO_MS);
	if (set_tp(fd, tp) ||
	    (conf && setsockopt(fd, SOL_QUIC, QUIC_SOCKOPT_CONFIG, conf,
				sizeof(*conf))) ||
	    connect(fd, &a.sa, a.len)) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

int client_socket(int family, const struct quic_transport_param *tp,
		  int tmo_ms, uint16_t port)
{
	return client_socket_conf(family, tp, NULL, tmo_ms, port);
}

void *cli_main(void *arg)
{
	struct cli_arg *x = arg;
	double t0 = now_s();

	x->fd = client_socket_conf(x->cfg->family, x->cfg->tp_c,
				   x->cfg->conf_c, x->cfg->tmo_ms, x->port);
	if (x->fd < 0) {
		x->ret = -errno;
		return NULL;
	}
	x->ret = handshake(x->fd, 0, &x->cfg->hs, &x->cipher);
	x->secs = now_s() - t0;
	if (x->ret) {
		/* as an application does: close() tells the peer */
		close(x->fd);
		x->fd = -1;
	}
	return NULL;
}

void pair_init(struct pair *p)
{
	memset(p, 0, sizeof(*p));
	p->lfd = p->cfd = p->sfd = -1;
	p->cret = p->sret = -EINPROGRESS;
}

bool pair_open(struct pair *p, const struct pcfg *cfg)
{
	struct cli_arg c = { .cfg = cfg, .fd = -1 };
	pthread_t th;
	double t0;

	pair_init(p);
	p->lfd = listener(cfg->family, cfg->tp_s, cfg->backlog, cfg->tmo_ms,
			  &p->port);
	if (p->lfd < 0) {
		tap_diag("listener: %s", strerror(errno));
		return false;
	}
	c.port = cfg->via ? cfg->via(p->port, cfg->via_arg) : p->port;
	if (!c.port)
		return false;
	if (pthread_create(&th, NULL, cli_main, &c))
		return false;
	p->sfd = accept(p->lfd, NULL, NULL);
	if (p->sfd < 0) {
		p->sret = -errno;
		tap_diag("accept: %s", strerror(errno));
	} else {
		set_timeouts(p->sfd, cfg->tmo_ms ? cfg->tmo_ms : TMO_MS);
		t0 = now_s();
		p->sret = handshake(p->sfd, 1, &cfg->hs, &p->scipher);
		p->stime = now_s() - t0;
		/* a handshake that stalled: what each side waited for */
		if (p->sret == -ETIMEDOUT)
			xfer_sockets_diag("server handshake timed out");
		if (p->sret) {
			close(p->sfd);
			p->sfd = -1;
		}
	}
	pthread_join(th, NULL);
	p->cfd = c.fd;
	p->cret = c.ret;
	p->ccipher = c.cipher;
	p->ctime = c.secs;
	if (p->cret || p->sret)
		tap_diag("handshake: client %d (%s), server %d (%s)", p->cret,
			 strerror(-p->cret), p->sret, strerror(-p->sret));
	return !p->cret && !p->sret;
}

void pair_close(struct pair *p)
{
	if (p->cfd >= 0)
		close(p->cfd);
	if (p->sfd >= 0)
		close(p->sfd);
	if (p->lfd >= 0)
		close(p->lfd);
	p->lfd = p->cfd = p->sfd = -1;
}

void *recv_wait_main(void *w)
{
	struct recv_wait *rw = w;
	double t0 = now_s();
	int64_t sid = -1;

	rw->flags = 0;
	errno = 0;
	rw->ret = quic_recvmsg(rw->fd, rw->buf, sizeof(rw->buf), &sid,
			       &rw->flags);
	rw->err = rw->ret < 0 ? errno : 0;
	rw->secs = now_s() - t0;
	return NULL;
}

void recv_wait(struct recv_wait *w, int fd, int tmo_ms)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	set_timeouts(fd, tmo_ms);
	recv_wait_main(w);
}

bool ended(const struct recv_wait *w)
{
	return w->ret == 0 || (w->ret < 0 && w->err != EAGAIN);
}
