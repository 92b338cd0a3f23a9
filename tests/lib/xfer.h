/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xfer.h - transfers of the test pattern on one stream, checked byte by
 * byte and by SHA-256 (see testlib.h).
 */
#ifndef QUIC_TESTLIB_XFER_H
#define QUIC_TESTLIB_XFER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pair.h"

/* One side of a transfer: set the first block, read the results. */
struct xfer {
	int		fd;
	int64_t		sid;		/* send: the stream; recv: expected */
	uint64_t	size;
	uint64_t	seed;		/* of pat_fill() */
	size_t		chunk;		/* per sendmsg()/recvmsg(); 0: 64 KiB */
	uint32_t	open_flags;	/* send: flags of the first call */
	int		pause_us;	/* recv: sleep after each read */
	/* results */
	uint64_t	done;
	int		err;		/* errno, or -1 for an early end */
	int		fin;
	int64_t		bad_off;	/* recv: first wrong byte, or -1 */
	int64_t		bad_sid;	/* recv: data of another stream */
	int		fin_early;	/* recv: FIN before the last byte */
	uint8_t		hash[32];
	double		secs;
};

/* Send all of @buf on stream @sid, through short sends and EINTR: @flags
 * with the first piece (MSG_STREAM_NEW), MSG_STREAM_FIN with the last
 * when @fin (with @len 0: a FIN alone); 0, or -1 with errno.
 */
int send_all(int fd, int64_t sid, const void *buf, size_t len,
	     uint32_t flags, bool fin);

/* Send @x->size bytes, FIN with the last; a thread function. */
void *xfer_send_main(void *x);

/* Receive until FIN, comparing with the pattern; a thread function. */
void *xfer_recv_main(void *x);

/* Check a finished transfer @s -> @r; true if it all arrived intact. */
bool xfer_check(const char *what, const struct xfer *s, const struct xfer *r);

/* One transfer on the pair: @up client->server (stream 0), else
 * server->client (stream 1); both run at once when @both.
 */
void pair_transfer(struct pair *p, uint64_t size, int up, int both);

/*
 * A watcher of transfers in progress, for the failures a CI log must
 * explain: when none of its transfers moves for QUIC_STALL_SECS seconds
 * (default 5, times QUIC_TIMEOUT_SCALE) while one is unfinished, the
 * socket table of /sys/kernel/debug/quic/sockets (what each connection
 * waits for) goes to the TAP diagnostics; again after twice the delay,
 * four times at most while the stall lasts.  Silent otherwise.
 */
struct xfer_watch {
	const struct xfer	*x[4];
	int			n;
	const char		*what;
	pthread_t		thread;
	int			stop;
};

/* @why, then the socket table of the caller's namespace, as TAP
 * diagnostics
 */
void xfer_sockets_diag(const char *why);

/* Watch @n (1 to 4) transfers, NULL ones skipped; @what names them. */
void xfer_watch_start(struct xfer_watch *w, const char *what, int n, ...);
void xfer_watch_stop(struct xfer_watch *w);

/*
 * One end of a test run as two processes (tests/netem_test.sh,
 * tests/device_test.sh): the server listens on @ip port @port and accepts
 * one connection, leaving the listener in *@lfd; the client connects.
 * @prep (if not NULL) is called on each socket first, to set options; 0
 * or -1 with errno.  Socket timeouts are @tmo seconds; the handshake (PSK,
 * AES-128-GCM) is done and its time printed.  The connected fd, or minus
 * an exit status: -2 when the sockets could not be set up, -1 when the
 * handshake failed.
 */
int peer_connect(int server, const char *ip, int port, int tmo,
		 int (*prep)(int fd), int *lfd);

#endif /* QUIC_TESTLIB_XFER_H */
