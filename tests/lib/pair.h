/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pair.h - a connected client/server pair over loopback, and a receive
 * that waits (see testlib.h).
 */
#ifndef QUIC_TESTLIB_PAIR_H
#define QUIC_TESTLIB_PAIR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/quic.h>

#include "../tap.h"
#include "creds.h"

/* what pair_open() makes */
struct pcfg {
	int		family;
	struct hs_cfg	hs;
	const struct quic_transport_param *tp_c, *tp_s;
	int		tmo_ms;		/* socket timeouts; 0: TMO_MS */
	int		backlog;
	const struct quic_config *conf_c;	/* client's, before connect */
	/* the port the client connects to, given the listener's (a relay
	 * in between); NULL: the listener's
	 */
	uint16_t	(*via)(uint16_t port, void *arg);
	void		*via_arg;
};

struct pair {
	int		lfd, cfd, sfd;
	uint16_t	port;
	int		cret, sret;	/* handshake results */
	int		ccipher, scipher;
	double		ctime, stime;	/* handshake durations */
};

/*
 * A listener on the loopback address of @family, on an ephemeral port
 * (into *@port); @backlog 0: 8, @tmo_ms 0: TMO_MS.  The fd, or -1.
 */
int listener(int family, const struct quic_transport_param *tp,
	     int backlog, int tmo_ms, uint16_t *port);

/* A client socket connected to the loopback @port; -1 with errno. */
int client_socket_conf(int family, const struct quic_transport_param *tp,
		       const struct quic_config *conf, int tmo_ms,
		       uint16_t port);
int client_socket(int family, const struct quic_transport_param *tp,
		  int tmo_ms, uint16_t port);

/* A client in a thread: cli_main(&arg) connects to @port with @cfg and
 * runs its handshake; on failure it closes the socket (fd -1), as an
 * application does, which tells the peer.
 */
struct cli_arg {
	const struct pcfg	*cfg;
	uint16_t		port;
	int			fd;
	int			ret;
	int			cipher;
	double			secs;
};

void *cli_main(void *arg);

/* no sockets, handshakes in progress */
void pair_init(struct pair *p);

/*
 * Listen, connect, accept and run both handshakes (the client in a
 * thread).  true iff both handshakes succeeded; the sockets are kept
 * either way, for pair_close().
 */
bool pair_open(struct pair *p, const struct pcfg *cfg);
void pair_close(struct pair *p);

/* REQUIRE a connected pair, with the handshake results as checks. */
#define REQUIRE_PAIR(p, cfg) do {					\
	bool ok_ = pair_open(p, cfg);					\
	CHECK_EQ((p)->cret, 0);						\
	CHECK_EQ((p)->sret, 0);						\
	if (!ok_) {							\
		pair_close(p);						\
		return;							\
	}								\
} while (0)

/* one quic_recvmsg() and what it returned */
struct recv_wait {
	int		fd;
	ssize_t		ret;
	int		err;
	uint32_t	flags;
	double		secs;
	uint8_t		buf[256];
};

/* quic_recvmsg() on @w->fd into @w (a thread function) */
void *recv_wait_main(void *w);

/* recv on @fd, within @tmo_ms; the result in @w. */
void recv_wait(struct recv_wait *w, int fd, int tmo_ms);

/* the receive saw the end of the connection (0, or an error that is not
 * a timeout)
 */
bool ended(const struct recv_wait *w);

#endif /* QUIC_TESTLIB_PAIR_H */
