// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QUIC sockets: proto and proto_ops for AF_INET and AF_INET6, bind,
 * address queries, poll; the SOL_QUIC options are in sockopt.c.
 *
 * Lock order: the socket lock, then quic_net->udp_lock (udp.c).
 *
 * struct quic_sock lives in a slab cache without a usercopy whitelist:
 * values go to and from user space through copies on the stack.
 */

#include <linux/capability.h>
#include <linux/poll.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/sockios.h>
#include <linux/string.h>
#include <asm/ioctls.h>
#include <net/inet_common.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/transp_v6.h>

#include "compat.h"
#include "conn.h"
#include "input.h"
#include "listen.h"
#include "output.h"
#include "protocol.h"
#include "socket.h"
#include "sockopt.h"
#include "tparam.h"
#include "varint.h"

static void quic_close_work(struct work_struct *work);

static int quic_hash(struct sock *sk);

/*
 * A kernel QUIC socket had the lockdep class of every kernel AF_INET(6)
 * socket, the UDP tunnel sockets it sends through among them: its
 * lock_sock() in connect(), then udp_lock, then the lock_sock() of a new
 * UDP socket's bind looked like a cycle.  QUIC sockets get classes of
 * their own, kernel and user ones alike.
 */
static struct lock_class_key quic_slock_keys[2], quic_sk_lock_keys[2];

static void quic_lock_class(struct sock *sk)
{
	if (!sock_allow_reclassification(sk))
		return;
	if (sk->sk_family == AF_INET6)
		sock_lock_init_class_and_name(sk, "slock-AF_INET6-QUIC",
					      &quic_slock_keys[1],
					      "sk_lock-AF_INET6-QUIC",
					      &quic_sk_lock_keys[1]);
	else
		sock_lock_init_class_and_name(sk, "slock-AF_INET-QUIC",
					      &quic_slock_keys[0],
					      "sk_lock-AF_INET-QUIC",
					      &quic_sk_lock_keys[0]);
}

int quic_init_sock(struct sock *sk)
{
	struct quic_net *qn = quic_net(sock_net(sk));
	struct quic_sock *qs = quic_sk(sk);
	int i;

	quic_lock_class(sk);
	/* balanced in quic_destroy_sock(), which runs even if this fails */
	sk_sockets_allocated_inc(sk);
	sk->sk_sndbuf = READ_ONCE(qn->wmem[1]);
	sk->sk_rcvbuf = READ_ONCE(qn->rmem[1]);
	quic_params_init(&qs->params, READ_ONCE(qn->rmem[2]));
	qs->params.config.congestion_control_algo = READ_ONCE(qn->cong_algo);
	quic_conn_init(&qs->conn, qs->params.config.version);
	sk->sk_state = QUIC_SS_CLOSED;
	/* connection IDs route to the socket under RCU (connid.c) */
	sock_set_flag(sk, SOCK_RCU_FREE);

	quic_cid_set_init(&qs->cids.scids, true);
	quic_cid_set_init(&qs->cids.dcids, false);
	quic_cid_set_init(&qs->cids.aliases, true);
	for (i = 0; i < QUIC_CRYPTO_MAX; i++)
		quic_crypto_init(&qs->crypto[i]);
	for (i = 0; i < QUIC_PNSPACE_MAX; i++) {
		quic_pnspace_init(&qs->space[i]);
		skb_queue_head_init(&qs->inq.crypto_reorder[i]);
		INIT_LIST_HEAD(&qs->outq.frames[i]);
	}
	skb_queue_head_init(&qs->inq.early);
	quic_streams_init(&qs->streams);
	quic_timers_init(sk);
	INIT_WORK(&qs->conn.ku_work, quic_key_update_work);
	INIT_WORK(&qs->conn.close_work, quic_close_work);
	quic_path_init(&qs->paths.act);
	quic_path_init(&qs->paths.alt);
	quic_recovery_init(&qs->rec, qs->params.config.initial_smoothed_rtt);
	INIT_HLIST_NODE(&qs->table_node);
	quic_hash(sk);
	return quic_cong_init(&qs->cong,
			      qs->params.config.congestion_control_algo,
			      qs->paths.act.mss, qs->rec.smoothed_rtt);
}

/* what the connection holds; the socket is locked and dead */
static void quic_free_conn_state(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_sent_packet *pkt, *ptmp;
	struct quic_frame *f, *ftmp;
	int i;

	quic_cid_set_free(sk, &qs->cids.dcids);
	quic_listener_free(sk);
	for (i = 0; i < QUIC_PNSPACE_MAX; i++) {
		list_for_each_entry_safe(pkt, ptmp, &qs->space[i].sent, list) {
			list_for_each_entry_safe(f, ftmp, &pkt->frames, list)
				quic_frame_free(sk, f);
			kfree(pkt);
		}
		INIT_LIST_HEAD(&qs->space[i].sent);
	}
	quic_rcv_purge(sk);
	quic_outq_purge(sk);
	quic_session_free(sk);
	for (i = 0; i < QUIC_CRYPTO_MAX; i++)
		quic_crypto_free(&qs->crypto[i]);
	quic_path_free(&qs->paths.act);
	quic_path_free(&qs->paths.alt);
	quic_params_free(&qs->params);
	quic_cong_release(&qs->cong);
}

/*
 * Context: process context, from sk_common_release(): no file refers to
 * the socket any more, but a softirq that found it by connection ID, an
 * armed timer or a queued work item may still hold a reference.
 *
 * 1. Under the socket lock: mark it dead and unpublish its source IDs.
 *    Every later user of the connection state takes the same lock and
 *    sees @dead (quic_sk_live(), quic_rcv_datagram()); datagrams that
 *    queued on the backlog meanwhile are dropped by release_sock().
 * 2. Stop the timers and the key update work, waiting for a running
 *    callback: none re-arms on a dead socket.
 * 3. Free the connection state, under the lock again.
 */
static void quic_destroy_sock(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	/* nested: accept() destroys a child under its listener's lock */
	lock_sock_nested(sk, SINGLE_DEPTH_NESTING);
	qs->dead = true;
	quic_cid_set_free(sk, &qs->cids.scids);
	quic_cid_set_free(sk, &qs->cids.aliases);
	release_sock(sk);

	quic_timers_stop_sync(sk);
	if (cancel_work_sync(&qs->conn.ku_work))
		__sock_put(sk);	/* the reference the work held */

	lock_sock_nested(sk, SINGLE_DEPTH_NESTING);
	quic_free_conn_state(sk);
	release_sock(sk);
	sk_sockets_allocated_dec(sk);
}

static void quic_close(struct sock *sk, long timeout)
{
	struct quic_net *qn = quic_net(sock_net(sk));
	struct quic_sock *qs = quic_sk(sk);
	ktime_t deadline;
	bool linger;

	lock_sock(sk);
	if (sk->sk_state == QUIC_SS_LISTENING)
		quic_listener_stop(sk);
	if (sk->sk_state == QUIC_SS_ESTABLISHING ||
	    sk->sk_state == QUIC_SS_ESTABLISHED)
		quic_conn_user_close(sk);
	quic_set_state(sk, QUIC_SS_CLOSED);
	sk->sk_shutdown = SHUTDOWN_MASK;

	/* The closing or draining period outlives the descriptor: the
	 * socket stays, orphaned, reachable by its connection IDs, until
	 * the idle timer ends it (quic_close_work), unless too many do.
	 * Not a kernel socket's: it holds no reference on its namespace,
	 * whose exit may follow its consumer's at once.
	 */
	deadline = qs->conn.close_deadline;
	linger = (qs->conn.closing || qs->conn.draining) && deadline &&
		 qs->paths.act.udp_sk && !sk->sk_kern_sock &&
		 ktime_before(ktime_get(), deadline);
	if (linger && atomic_inc_return(&qn->orphans) >
		      READ_ONCE(qn->max_orphans)) {
		atomic_dec(&qn->orphans);
		linger = false;
	}
	if (linger) {
		/* nobody reads any more: only the keys and IDs stay */
		quic_rcv_purge(sk);
		quic_timer_stop(sk, QUIC_TIMER_RTX);
		quic_timer_stop(sk, QUIC_TIMER_ACK);
		qs->lingering = true;
		quic_timer_set(sk, QUIC_TIMER_IDLE, jiffies + 1 +
			       usecs_to_jiffies(ktime_us_delta(deadline,
							       ktime_get())));
		sock_orphan(sk);
		release_sock(sk);
		return;	/* the socket's own reference goes in the work */
	}
	release_sock(sk);
	sk_common_release(sk);
}

/*
 * The closing or draining period after close() is over (the idle timer,
 * under bh_lock_sock()): nothing more is answered, and the release is
 * queued once (a second run would release the socket twice).
 */
void quic_close_linger_end(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	qs->lingering = false;
	quic_conn_silence(&qs->conn);
	sock_hold(sk);
	if (!queue_work(quic_wq, &qs->conn.close_work))
		__sock_put(sk);
}

static void quic_close_work(struct work_struct *work)
{
	struct quic_sock *qs = container_of(work, struct quic_sock,
					    conn.close_work);
	struct sock *sk = &qs->inet.sk;

	atomic_dec(&quic_net(sock_net(sk))->orphans);
	sk_common_release(sk);
	sock_put(sk);	/* the work's own */
}

/* QUIC sockets are found through connection IDs, not the inet hashes;
 * these keep the namespace's table of every socket (protocol.c).
 */
static int quic_hash(struct sock *sk)
{
	quic_sock_table_add(sk);
	return 0;
}

static void quic_unhash(struct sock *sk)
{
	quic_sock_table_del(sk);
}

/*
 * An address from bind() or connect().  An AF_INET6 socket also takes a
 * struct sockaddr_in, as the IPv4-mapped address it stands for (unless
 * IPV6_V6ONLY: EINVAL), so that a program written for either family
 * reaches IPv4 peers; *@a then holds the mapped address.
 */
static int quic_addr_from_user(struct sock *sk,
			       const struct quic_cb_sockaddr *uaddr,
			       int addr_len, union quic_addr *a)
{
	memset(a, 0, sizeof(*a));

	if (addr_len >= (int)sizeof(uaddr->sa_family) &&
	    uaddr->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)uaddr;

		if (addr_len < (int)sizeof(*sin))
			return -EINVAL;
		if (ipv4_is_multicast(sin->sin_addr.s_addr) ||
		    ipv4_is_lbcast(sin->sin_addr.s_addr))
			return -EADDRNOTAVAIL;
		a->v4.sin_family = AF_INET;
		a->v4.sin_port = sin->sin_port;
		a->v4.sin_addr = sin->sin_addr;
		if (sk->sk_family == AF_INET)
			return 0;
		if (sk->sk_ipv6only)
			return -EINVAL;
		quic_addr_map(a);
		return 0;
	}
	if (sk->sk_family == AF_INET)
		return addr_len < (int)sizeof(struct sockaddr_in) ? -EINVAL :
								  -EAFNOSUPPORT;

	if (addr_len < SIN6_LEN_RFC2133)
		return -EINVAL;
	if (uaddr->sa_family != AF_INET6)
		return -EAFNOSUPPORT;
	{
		const struct sockaddr_in6 *sin6 = (const void *)uaddr;
		int type = ipv6_addr_type(&sin6->sin6_addr);

		if (type & IPV6_ADDR_MULTICAST)
			return -EADDRNOTAVAIL;
		if (type == IPV6_ADDR_MAPPED) {
			if (sk->sk_ipv6only)
				return -EINVAL;
			if (ipv4_is_multicast(sin6->sin6_addr.s6_addr32[3]) ||
			    ipv4_is_lbcast(sin6->sin6_addr.s6_addr32[3]))
				return -EADDRNOTAVAIL;
		}
		a->v6.sin6_family = AF_INET6;
		a->v6.sin6_port = sin6->sin6_port;
		a->v6.sin6_addr = sin6->sin6_addr;
		if (type & IPV6_ADDR_LINKLOCAL) {
			if (addr_len < (int)sizeof(*sin6) ||
			    !sin6->sin6_scope_id)
				return -EINVAL;
			a->v6.sin6_scope_id = sin6->sin6_scope_id;
		}
	}
	return 0;
}

/* An unbound socket gets the wildcard address and an ephemeral port,
 * as connect() and listen() need; socket locked.
 */
int quic_autobind(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	union quic_addr any;
	int err;

	if (qs->paths.act.udp_sk)
		return 0;
	memset(&any, 0, sizeof(any));
	any.sa.sa_family = sk->sk_family;
	err = quic_udp_sock_get(sock_net(sk), &any, sk->sk_ipv6only,
				READ_ONCE(sk->sk_bound_dev_if),
				&qs->paths.act.udp_sk);
	if (err)
		return err;
	quic_set_local(sk, &qs->paths.act.udp_sk->addr);
	return 0;
}

/* the local address of the connection's path (an IPv4-mapped one as the
 * IPv4 address), and of the socket as inet and getsockname() see it
 */
void quic_set_local(struct sock *sk, const union quic_addr *a)
{
	struct inet_sock *inet = inet_sk(sk);
	union quic_addr *l = &quic_sk(sk)->paths.act.local, m;

	*l = *a;
	quic_addr_unmap(l);
	if (l->sa.sa_family == AF_INET) {
		inet->inet_sport = l->v4.sin_port;
		inet->inet_saddr = l->v4.sin_addr.s_addr;
		inet->inet_rcv_saddr = l->v4.sin_addr.s_addr;
	} else {
		inet->inet_sport = l->v6.sin6_port;
	}
	if (sk->sk_family == AF_INET6) {
		m = *l;
		quic_addr_map(&m);
		sk->sk_v6_rcv_saddr = m.v6.sin6_addr;
		inet6_sk(sk)->saddr = m.v6.sin6_addr;
	}
	inet->inet_num = ntohs(inet->inet_sport);
}

/* the peer's address, as the path has it, in the inet fields */
void quic_set_peer_inet(struct sock *sk, const union quic_addr *a)
{
	struct inet_sock *inet = inet_sk(sk);
	union quic_addr m = *a;

	if (a->sa.sa_family == AF_INET) {
		inet->inet_daddr = a->v4.sin_addr.s_addr;
		inet->inet_dport = a->v4.sin_port;
	} else {
		inet->inet_dport = a->v6.sin6_port;
	}
	if (sk->sk_family == AF_INET6) {
		quic_addr_map(&m);
		sk->sk_v6_daddr = m.v6.sin6_addr;
	}
}

/*
 * bind(): one address per socket, for the socket's lifetime.  Sockets
 * binding the very same address and port share one UDP socket; port 0
 * gets a fresh UDP socket on an ephemeral port.
 */
static int quic_bind(struct sock *sk, struct quic_cb_sockaddr *uaddr,
		     int addr_len)
{
	struct quic_sock *qs = quic_sk(sk);
	struct net *net = sock_net(sk);
	struct quic_udp_sock *us;
	union quic_addr a;
	u16 port;
	int err;

	err = quic_addr_from_user(sk, uaddr, addr_len, &a);
	if (err)
		return err;

	port = ntohs(a.sa.sa_family == AF_INET ? a.v4.sin_port :
						 a.v6.sin6_port);
	if (port && inet_port_requires_bind_service(net, port) &&
	    !ns_capable(net->user_ns, CAP_NET_BIND_SERVICE))
		return -EACCES;

	lock_sock(sk);
	if (qs->paths.act.udp_sk || sk->sk_state != QUIC_SS_CLOSED) {
		err = -EINVAL;
		goto out;
	}
	err = quic_udp_sock_get(net, &a, sk->sk_ipv6only,
				READ_ONCE(sk->sk_bound_dev_if), &us);
	if (err)
		goto out;
	quic_path_bind(&qs->paths.act, us);
	quic_set_local(sk, &us->addr);
out:
	release_sock(sk);
	return err;
}

static int quic_getname(struct socket *sock, struct sockaddr *uaddr, int peer)
{
	struct sock *sk = sock->sk;
	struct quic_sock *qs = quic_sk(sk);
	union quic_addr a;
	int len, err = 0;

	len = sk->sk_family == AF_INET ? sizeof(struct sockaddr_in) :
					 sizeof(struct sockaddr_in6);
	memset(&a, 0, sizeof(a));
	lock_sock(sk);
	if (peer) {
		if (sk->sk_state != QUIC_SS_ESTABLISHING &&
		    sk->sk_state != QUIC_SS_ESTABLISHED)
			err = -ENOTCONN;
		else
			a = qs->paths.act.peer;
	} else if (qs->paths.act.udp_sk) {
		a = qs->paths.act.local;
	} else {
		a.sa.sa_family = sk->sk_family;
	}
	release_sock(sk);
	if (err)
		return err;

	/* an AF_INET6 socket shows its IPv4 paths as mapped addresses */
	if (sk->sk_family == AF_INET6)
		quic_addr_map(&a);
	memcpy(uaddr, &a, len);
	return len;
}

/* Unacknowledged stream data we hold: SO_SNDBUF, unless the user left
 * it alone, then at least two congestion windows' worth.
 */
static bool quic_sndbuf_room(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	u32 limit = READ_ONCE(sk->sk_sndbuf);

	if (!(sk->sk_userlocks & SOCK_SNDBUF_LOCK))
		limit = max(limit, 2 * quic_cong_cwnd(&qs->cong));
	return qs->outq.unacked < limit;
}

/* DATAGRAM frames we hold (queued, or in flight until acknowledged or
 * lost): within the same limit as stream data, apart from it
 */
static bool quic_dgram_room(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	u32 limit = READ_ONCE(sk->sk_sndbuf);

	if (!(sk->sk_userlocks & SOCK_SNDBUF_LOCK))
		limit = max(limit, 2 * quic_cong_cwnd(&qs->cong));
	return READ_ONCE(qs->outq.dgram_bytes) < limit;
}

/* Room to send: buffer space and the peer's credit, for the connection
 * and for the stream send() writes to (the one opened last), and room
 * for a datagram.
 */
static bool quic_poll_writable(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_stream *st;
	bool room;

	if (!quic_sndbuf_room(sk) || !quic_dgram_room(sk) ||
	    READ_ONCE(qs->streams.send_data) >=
	    READ_ONCE(qs->streams.send_max_data))
		return false;
	/* lockless: a stream is freed after a grace period */
	rcu_read_lock();
	st = READ_ONCE(qs->streams.last);
	room = !st || READ_ONCE(st->send_offset) < READ_ONCE(st->send_max);
	rcu_read_unlock();
	return room;
}

static __poll_t quic_poll(struct file *file, struct socket *sock,
			  poll_table *wait)
{
	struct sock *sk = sock->sk;
	__poll_t mask = 0;
	u8 shutdown;
	int state;

	sock_poll_wait(file, sock, wait);

	state = inet_sk_state_load(sk);
	if (state == QUIC_SS_LISTENING)
		return quic_listener_pending(sk) ? EPOLLIN | EPOLLRDNORM : 0;

	if (READ_ONCE(sk->sk_err))
		mask |= EPOLLERR;
	shutdown = READ_ONCE(sk->sk_shutdown);
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (shutdown == SHUTDOWN_MASK || state == QUIC_SS_CLOSED)
		mask |= EPOLLHUP;
	if (!skb_queue_empty_lockless(&sk->sk_receive_queue))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (state == QUIC_SS_ESTABLISHING)
		mask |= EPOLLOUT | EPOLLWRNORM;	/* handshake messages */
	else if (state == QUIC_SS_ESTABLISHED && quic_poll_writable(sk))
		mask |= EPOLLOUT | EPOLLWRNORM;
	else if (state == QUIC_SS_ESTABLISHED)
		sk_set_bit(SOCKWQ_ASYNC_NOSPACE, sk);
	return mask;
}

/* Parse our cmsgs; at most one of the two kinds per call. */
static int quic_msg_info(struct msghdr *msg, struct quic_stream_info *sinfo,
			 bool *has_sinfo, int *level)
{
	struct quic_handshake_info *hinfo;
	struct cmsghdr *cmsg;

	*has_sinfo = false;
	*level = -1;
	for_each_cmsghdr(cmsg, msg) {
		if (!CMSG_OK(msg, cmsg))
			return -EINVAL;
		if (cmsg->cmsg_level != SOL_QUIC)
			continue;
		switch (cmsg->cmsg_type) {
		case QUIC_STREAM_INFO:
			if (cmsg->cmsg_len < CMSG_LEN(sizeof(*sinfo)))
				return -EINVAL;
			memcpy(sinfo, CMSG_DATA(cmsg), sizeof(*sinfo));
			*has_sinfo = true;
			break;
		case QUIC_HANDSHAKE_INFO:
			if (cmsg->cmsg_len < CMSG_LEN(sizeof(*hinfo)))
				return -EINVAL;
			hinfo = CMSG_DATA(cmsg);
			*level = hinfo->crypto_level;
			if (*level != QUIC_CRYPTO_INITIAL &&
			    *level != QUIC_CRYPTO_HANDSHAKE &&
			    *level != QUIC_CRYPTO_APP)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}
	if (*has_sinfo && *level >= 0)
		return -EINVAL;
	return 0;
}

typedef bool (*quic_cond_t)(struct sock *sk, const void *arg);

/* datagrams wait on the backlog for a task asleep on the socket */
static bool quic_rx_pending(const struct sock *sk)
{
	return READ_ONCE(sk->sk_backlog.tail);
}

/* Wait, socket locked, until @cond or an error, a signal or the timeout. */
static int quic_wait(struct sock *sk, long *timeo, quic_cond_t cond,
		     const void *arg)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct quic_sock *qs = quic_sk(sk);
	int err = 0;

	add_wait_queue(sk_sleep(sk), &wait);
	qs->inq.waiters++;
	while (!cond(sk, arg)) {
		if (sk->sk_err) {
			err = sock_error(sk);	/* negative */
			break;
		}
		if (sk->sk_shutdown & SEND_SHUTDOWN ||
		    sk->sk_state == QUIC_SS_CLOSED) {
			err = -EPIPE;
			break;
		}
		if (!*timeo) {
			err = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(*timeo);
			break;
		}
		sk_wait_event(sk, timeo, cond(sk, arg) || quic_rx_pending(sk),
			      &wait);
		sk_flush_backlog(sk);
	}
	qs->inq.waiters--;
	remove_wait_queue(sk_sleep(sk), &wait);
	return err;
}

static bool quic_cond_established(struct sock *sk, const void *arg)
{
	return sk->sk_state == QUIC_SS_ESTABLISHED;
}

/* stream data may be queued: on a connection, or on a client being
 * established that has the server's parameters of an earlier connection
 * (0-RTT, RFC 9001 section 4.6.1); a closed connection wakes the sender
 */
static bool quic_cond_stream_send(struct sock *sk, const void *arg)
{
	return sk->sk_state != QUIC_SS_ESTABLISHING ||
	       quic_sk(sk)->conn.early_params;
}

/* the peer's MAX_STREAMS lets us open stream *@arg */
static bool quic_cond_stream_limit(struct sock *sk, const void *arg)
{
	s64 id = *(const s64 *)arg;
	bool uni = id & QUIC_STREAM_TYPE_UNI_MASK;

	return ((u64)id >> 2) < quic_sk(sk)->streams.local[uni].max;
}

/* stream *@arg's sending part was reset, or the stream is gone: a sender
 * asleep on it wakes to fail (the socket lock was let go: looked up by ID)
 */
static struct quic_stream *quic_send_stream_find(struct sock *sk,
						 const void *arg, int *err)
{
	struct quic_stream *st;

	st = quic_stream_find(&quic_sk(sk)->streams, *(const s64 *)arg);
	if (st && st->send_state < QUIC_STREAM_SEND_STATE_RESET_SENT)
		return st;
	/* reset on the peer's STOP_SENDING; or by the application */
	*err = st && st->stop_rcvd ? -ECONNRESET : -EINVAL;
	return NULL;
}

/* buffer room and flow control credit to send on stream *@arg, or an
 * end to the wait: the stream was reset.  sk_wait_event() also looks
 * without the socket lock: the stream is freed after a grace period.
 */
static bool quic_cond_send_room(struct sock *sk, const void *arg)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_stream *st;
	bool ret;
	int err;

	rcu_read_lock();
	st = quic_send_stream_find(sk, arg, &err);
	ret = !st || (quic_sndbuf_room(sk) &&
		      READ_ONCE(st->send_offset) < READ_ONCE(st->send_max) &&
		      qs->streams.send_data < qs->streams.send_max_data);
	rcu_read_unlock();
	return ret;
}

/*
 * The protocol is over its memory limit (net.quic.mem) and gave the socket,
 * which has data queued, no room for more.  What frees memory may be its
 * own acknowledgments, which wake it, or other sockets, which do not: wait
 * a little, as TCP does in sk_stream_wait_memory(), then look again.
 */
static int quic_wait_memory(struct sock *sk, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	long vm_wait, left;

	if (!*timeo)
		return -EAGAIN;
	if (signal_pending(current))
		return sock_intr_errno(*timeo);
	vm_wait = min_t(long, *timeo, get_random_u32() % (HZ / 5) + 2);
	left = vm_wait;
	add_wait_queue(sk_sleep(sk), &wait);
	sk_wait_event(sk, &left, sk->sk_err ||
		      (sk->sk_shutdown & SEND_SHUTDOWN), &wait);
	remove_wait_queue(sk_sleep(sk), &wait);
	if (*timeo != MAX_SCHEDULE_TIMEOUT)
		*timeo -= vm_wait - left;
	return 0;
}

/* the stream data that fits in one frame of one packet */
static u32 quic_stream_chunk_max(struct quic_sock *qs)
{
	/* short header, AEAD tag, frame header, room for an ACK frame */
	return qs->paths.act.mss - 1 - QUIC_CONN_ID_MAX_LEN - 4 -
	       QUIC_CRYPTO_TAG_LEN - 21 - 64;
}

static int quic_send_stream(struct sock *sk, struct msghdr *msg, size_t len,
			    struct quic_stream_info *sinfo, long *timeo)
{
	struct quic_sock *qs = quic_sk(sk);
	bool fin = sinfo->stream_flags & MSG_QUIC_STREAM_FIN;
	struct quic_stream *st;
	struct quic_frame *f;
	size_t copied = 0;
	bool mem;
	u32 chunk, max, rem;
	u64 room;
	int err;

	err = quic_wait(sk, timeo, quic_cond_stream_send, NULL);
	if (err)
		return err;
	if (sk->sk_state != QUIC_SS_ESTABLISHED &&
	    sk->sk_state != QUIC_SS_ESTABLISHING)
		return sk->sk_err ? sock_error(sk) : -EPIPE;

	for (;;) {
		st = quic_stream_get_send(sk, sinfo->stream_id,
					  sinfo->stream_flags, &err);
		if (st)
			break;
		if (err != -EAGAIN ||
		    (sinfo->stream_flags & MSG_QUIC_STREAM_DONTWAIT))
			return err;
		quic_streams_open_blocked(sk, sinfo->stream_id &
					  QUIC_STREAM_TYPE_UNI_MASK);
		quic_output(sk);
		err = quic_wait(sk, timeo, quic_cond_stream_limit,
				&sinfo->stream_id);
		if (err)
			return err;
	}
	if (st->send_state == QUIC_STREAM_SEND_STATE_READY)
		quic_stream_set_send_state(sk, st, QUIC_STREAM_SEND_STATE_SEND);

	while (copied < len || (fin && !copied && !len)) {
		/* the lock may have been let go: the stream may be reset */
		st = quic_send_stream_find(sk, &sinfo->stream_id, &err);
		if (!st)
			goto out;
		if (!quic_cond_send_room(sk, &sinfo->stream_id)) {
			quic_stream_send_blocked(sk, st);
			quic_output(sk);
		}
		err = quic_wait(sk, timeo, quic_cond_send_room,
				&sinfo->stream_id);
		if (!err) {
			st = quic_send_stream_find(sk, &sinfo->stream_id,
						   &err);
		}
		if (err) {
			if (err == -EAGAIN && !len)
				break;
			goto out;
		}
		room = min(st->send_max - st->send_offset,
			   qs->streams.send_max_data - qs->streams.send_data);
		/* Frames end on multiples of a packet's worth of stream
		 * data, whatever the write sizes: a write's last, short
		 * frame and the next write's first one then fill one
		 * packet together, not two.
		 */
		max = quic_stream_chunk_max(qs);
		div_u64_rem(st->send_offset, max, &rem);
		max -= rem;
		chunk = min_t(u64, min_t(u64, len - copied, room), max);
		mem = sk_wmem_schedule(sk, quic_frame_truesize(QUIC_FRAME_DATA_HDR_MAX +
							       chunk));
		if (!mem && sk->sk_wmem_queued) {
			quic_output(sk);
			err = quic_wait_memory(sk, timeo);
			if (err)
				goto out;
			continue;
		}
		f = quic_frame_stream(sk, st, msg, chunk,
				      fin && copied + chunk == len);
		if (IS_ERR(f)) {
			err = PTR_ERR(f);
			goto out;
		}
		quic_frame_charge(sk, f, mem);
		st->send_offset += chunk;
		st->send_inflight++;
		qs->streams.send_data += chunk;
		qs->outq.unacked += chunk;
		if (f->fin)
			quic_stream_set_send_state(sk, st,
						   QUIC_STREAM_SEND_STATE_SENT);
		quic_outq_add(sk, f);
		copied += chunk;
		if (!len)
			break;
		if (!quic_sndbuf_room(sk))
			quic_output(sk);
	}
	quic_output(sk);
	return copied;
out:
	quic_output(sk);
	return copied ? copied : err;
}

static bool quic_cond_dgram_room(struct sock *sk, const void *arg)
{
	return quic_dgram_room(sk);
}

/*
 * One DATAGRAM frame, RFC 9221: sent once, congestion controlled, never
 * split.  Only once the peer's transport parameters allow them (section
 * 3): EINVAL before, EMSGSIZE when larger than the peer takes or than a
 * packet holds.  Waits for room in the datagram budget, as stream data
 * does for its own.
 */
static int quic_send_dgram(struct sock *sk, struct msghdr *msg, size_t len,
			   long *timeo)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_frame *f;
	u32 max, size;
	bool mem;
	int err;

	err = quic_wait(sk, timeo, quic_cond_established, NULL);
	if (err)
		return err;
	max = qs->params.remote.max_datagram_frame_size;
	if (!max)
		return -EINVAL;
	max = min(max, quic_output_dgram_max(qs));
	if (len >= max || 1 + quic_varint_len(len) + len > max)
		return -EMSGSIZE;
	size = quic_frame_truesize(1 + quic_varint_len(len) + len);
	for (;;) {
		err = quic_wait(sk, timeo, quic_cond_dgram_room, NULL);
		if (err)
			return err;
		mem = sk_wmem_schedule(sk, size);
		if (mem || !sk->sk_wmem_queued)
			break;
		quic_output(sk);
		err = quic_wait_memory(sk, timeo);
		if (err)
			return err;
	}
	/* the socket lock was let go: the connection may have ended */
	if (sk->sk_state != QUIC_SS_ESTABLISHED)
		return sk->sk_err ? sock_error(sk) : -EPIPE;
	f = quic_frame_datagram(sk, msg, len);
	if (IS_ERR(f))
		return PTR_ERR(f);
	quic_frame_charge(sk, f, mem);
	quic_outq_add(sk, f);
	quic_output(sk);
	return len;
}

/* room in the send buffer for handshake data */
static bool quic_cond_crypto_room(struct sock *sk, const void *arg)
{
	return quic_sk(sk)->outq.crypto_unacked < READ_ONCE(sk->sk_sndbuf);
}

/*
 * Handshake messages from the TLS library, at @level: like stream data
 * they take at most the send buffer until acknowledged, and wait for room
 * or return a short count.
 */
static int quic_send_handshake(struct sock *sk, struct msghdr *msg,
			       size_t len, u8 level, long *timeo)
{
	struct quic_sock *qs = quic_sk(sk);
	size_t copied = 0, chunk;
	int err = 0;
	bool mem;

	while (copied < len) {
		err = quic_wait(sk, timeo, quic_cond_crypto_room, NULL);
		if (err)
			break;
		/* while we slept, the keys may have gone */
		err = -EINVAL;
		if (!quic_crypto_tx_ready(&qs->crypto[level]) ||
		    qs->space[quic_level_space(level)].discarded)
			break;
		chunk = min_t(size_t, len - copied,
			      READ_ONCE(sk->sk_sndbuf) -
			      qs->outq.crypto_unacked);
		mem = sk_wmem_schedule(sk, quic_frame_crypto_truesize(chunk));
		if (!mem && sk->sk_wmem_queued) {
			err = quic_wait_memory(sk, timeo);
			if (err)
				break;
			continue;
		}
		err = quic_frame_queue_crypto(sk, level, msg, chunk, mem);
		if (err)
			break;
		copied += chunk;
		quic_output(sk);
	}
	return copied ? copied : err;
}

static int quic_sendmsg(struct sock *sk, struct msghdr *msg, size_t len)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_stream_info sinfo = {};
	bool has_sinfo;
	long timeo;
	int level, err;

	err = quic_msg_info(msg, &sinfo, &has_sinfo, &level);
	if (err)
		return err;

	lock_sock(sk);
	timeo = sock_sndtimeo(sk, msg->msg_flags & MSG_DONTWAIT);
	if (level >= 0) {
		/* handshake messages from the TLS library */
		err = -ENOTCONN;
		if (sk->sk_state != QUIC_SS_ESTABLISHING &&
		    sk->sk_state != QUIC_SS_ESTABLISHED)
			goto out;
		err = -EINVAL;
		if (!quic_crypto_tx_ready(&qs->crypto[level]) ||
		    qs->space[level].discarded)
			goto out;
		err = quic_send_handshake(sk, msg, len, level, &timeo);
		goto out;
	}
	if (sk->sk_state != QUIC_SS_ESTABLISHING &&
	    sk->sk_state != QUIC_SS_ESTABLISHED) {
		/* as TCP: EPIPE once a connection is over */
		err = qs->conn.used ? -EPIPE : -ENOTCONN;
		goto out;
	}
	if (msg->msg_flags & MSG_QUIC_DATAGRAM) {
		/* the draft: a stream cmsg SHOULD NOT come with it; it
		 * has nothing to say to a datagram and is let be
		 */
		err = quic_send_dgram(sk, msg, len, &timeo);
		goto out_sig;
	}
	if (!has_sinfo) {
		/* the send flags stand for the cmsg's (the draft, 4.1) */
		sinfo.stream_flags = msg->msg_flags;
		sinfo.stream_id = -1;
	}
	if (sinfo.stream_id == -1)
		sinfo.stream_id = quic_stream_default_id(sk,
							 &sinfo.stream_flags);
	err = quic_send_stream(sk, msg, len, &sinfo, &timeo);
out_sig:
	if (err == -EPIPE && !(msg->msg_flags & MSG_NOSIGNAL))
		send_sig(SIGPIPE, current, 0);
out:
	release_sock(sk);
	return err;
}

static int quic_recv_stream(struct sock *sk, struct msghdr *msg, size_t len,
			    int flags)
{
	struct quic_sock *qs = quic_sk(sk);
	struct sk_buff *skb = skb_peek(&sk->sk_receive_queue);
	s64 sid = QUIC_SKB_CB(skb)->stream_id;
	struct quic_stream_info sinfo = {};
	bool fin = false, eor = false;
	struct quic_stream *st;
	size_t copied = 0, n;
	int err;

	while (skb && QUIC_SKB_CB(skb)->kind == QUIC_RCV_STREAM &&
	       QUIC_SKB_CB(skb)->stream_id == sid && copied < len) {
		n = min_t(size_t, skb->len, len - copied);
		err = skb_copy_datagram_msg(skb, 0, msg, n);
		if (err)
			return copied ? copied : err;
		copied += n;
		eor = n == skb->len;
		if (flags & MSG_PEEK) {
			fin = eor && QUIC_SKB_CB(skb)->fin;
			break;
		}
		if (!eor) {
			skb_pull(skb, n);
			QUIC_SKB_CB(skb)->offset += n;
			break;
		}
		fin = QUIC_SKB_CB(skb)->fin;
		__skb_unlink(skb, &sk->sk_receive_queue);
		kfree_skb(skb);
		if (fin)
			break;
		skb = skb_peek(&sk->sk_receive_queue);
	}

	if (!(flags & MSG_PEEK)) {
		st = quic_stream_find(&qs->streams, sid);
		quic_stream_consumed(sk, st, copied);
		/* the reader caught up: acknowledge what it read now,
		 * rather than when the ACK delay runs out
		 */
		if (skb_queue_empty(&sk->sk_receive_queue) &&
		    qs->space[QUIC_CRYPTO_APP].ack_pending)
			qs->space[QUIC_CRYPTO_APP].ack_now = 1;
		if (st && fin && !st->fin_read)
			quic_stream_read_all(sk, st);	/* may free it */
		quic_output(sk);
	}
	sinfo.stream_id = sid;
	sinfo.stream_flags = fin ? MSG_QUIC_STREAM_FIN : 0;
	put_cmsg(msg, SOL_QUIC, QUIC_STREAM_INFO, sizeof(sinfo), &sinfo);
	if (eor)
		msg->msg_flags |= MSG_EOR;
	if (fin)
		msg->msg_flags |= MSG_QUIC_STREAM_FIN;
	return copied;
}

/*
 * One handshake chunk, one event or one datagram: never merged with the
 * next.  A buffer too short for it takes its first bytes, the rest
 * staying for the next call (the draft); the call that ends it sets
 * MSG_EOR, and one that does not, for a datagram, also MSG_TRUNC.
 */
static int quic_recv_one(struct sock *sk, struct msghdr *msg, size_t len,
			 int flags)
{
	struct sk_buff *skb = skb_peek(&sk->sk_receive_queue);
	struct quic_handshake_info hinfo;
	size_t n = min_t(size_t, skb->len, len);
	u8 kind = QUIC_SKB_CB(skb)->kind;
	int err;

	if (kind == QUIC_RCV_CRYPTO && !msg->msg_controllen)
		return -EINVAL;	/* handshake data needs its level */
	err = skb_copy_datagram_msg(skb, 0, msg, n);
	if (err)
		return err;
	if (kind == QUIC_RCV_CRYPTO) {
		hinfo.crypto_level = QUIC_SKB_CB(skb)->level;
		put_cmsg(msg, SOL_QUIC, QUIC_HANDSHAKE_INFO, sizeof(hinfo),
			 &hinfo);
	} else if (kind == QUIC_RCV_DATAGRAM) {
		msg->msg_flags |= MSG_QUIC_DATAGRAM;
		if (n < skb->len)
			msg->msg_flags |= MSG_TRUNC;
	} else {
		msg->msg_flags |= MSG_QUIC_NOTIFICATION;
	}
	if (n == skb->len)
		msg->msg_flags |= MSG_EOR;
	if (flags & MSG_PEEK)
		return n;
	if (n < skb->len) {
		skb_pull(skb, n);
		QUIC_SKB_CB(skb)->offset += n;
	} else {
		__skb_unlink(skb, &sk->sk_receive_queue);
		kfree_skb(skb);
	}
	return n;
}

static int quic_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
			int flags)
{
	struct sk_buff *skb;
	long timeo;
	int err;

	lock_sock(sk);
	if (sk->sk_state == QUIC_SS_LISTENING) {
		err = -ENOTCONN;
		goto out;
	}
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	for (;;) {
		skb = skb_peek(&sk->sk_receive_queue);
		if (skb)
			break;
		err = sock_error(sk);	/* negative, and clears sk_err */
		if (err)
			goto out;
		err = 0;
		if (sk->sk_shutdown & RCV_SHUTDOWN)
			goto out;
		if (sk->sk_state == QUIC_SS_CLOSED) {
			err = -ENOTCONN;
			goto out;
		}
		err = -EAGAIN;
		if (!timeo)
			goto out;
		err = sock_intr_errno(timeo);
		if (signal_pending(current))
			goto out;
		{
			DEFINE_WAIT_FUNC(wait, woken_wake_function);

			add_wait_queue(sk_sleep(sk), &wait);
			quic_sk(sk)->inq.waiters++;
			sk_wait_event(sk, &timeo,
				      !skb_queue_empty(&sk->sk_receive_queue) ||
				      sk->sk_err ||
				      (sk->sk_shutdown & RCV_SHUTDOWN) ||
				      quic_rx_pending(sk), &wait);
			sk_flush_backlog(sk);
			quic_sk(sk)->inq.waiters--;
			remove_wait_queue(sk_sleep(sk), &wait);
		}
	}

	if (QUIC_SKB_CB(skb)->kind == QUIC_RCV_STREAM)
		err = quic_recv_stream(sk, msg, len, flags);
	else
		err = quic_recv_one(sk, msg, len, flags);
out:
	release_sock(sk);
	return err;
}

#ifdef QUIC_HAVE_RECVMSG_ADDR_LEN
/* struct proto's recvmsg with the addr_len of older kernels */
static int quic_recvmsg_addr_len(struct sock *sk, struct msghdr *msg,
				 size_t len, int flags, int *addr_len)
{
	return quic_recvmsg(sk, msg, len, flags);
}

#define quic_proto_recvmsg quic_recvmsg_addr_len
#else
#define quic_proto_recvmsg quic_recvmsg
#endif

/*
 * SIOCINQ (FIONREAD): the bytes recvmsg() would return, over every message
 * queued for the reader (stream data, datagrams, events, handshake
 * messages), as TCP counts its receive queue.  SIOCOUTQ: stream bytes
 * given to sendmsg() and not yet acknowledged.  EINVAL on a listener.
 */
static int quic_ioctl_value(struct sock *sk, int cmd, int *val)
{
	struct sk_buff *skb;
	u64 n = 0;

	if (cmd != SIOCINQ && cmd != SIOCOUTQ)
		return -ENOIOCTLCMD;
	lock_sock(sk);
	if (sk->sk_state == QUIC_SS_LISTENING) {
		release_sock(sk);
		return -EINVAL;
	}
	if (cmd == SIOCINQ) {
		skb_queue_walk(&sk->sk_receive_queue, skb)
			n += skb->len;
	} else {
		n = quic_sk(sk)->outq.unacked;
	}
	release_sock(sk);
	*val = min_t(u64, n, INT_MAX);
	return 0;
}

#ifdef QUIC_HAVE_SK_IOCTL
static int quic_ioctl(struct sock *sk, int cmd, int *karg)
{
	return quic_ioctl_value(sk, cmd, karg);
}
#else
static int quic_ioctl(struct sock *sk, int cmd, unsigned long arg)
{
	int val, err;

	err = quic_ioctl_value(sk, cmd, &val);
	return err ?: put_user(val, (int __user *)arg);
}
#endif

/* connect(): routing, connection IDs and Initial keys; nothing is sent
 * until the TLS library hands down the ClientHello.
 */
static int quic_connect(struct sock *sk, struct quic_cb_sockaddr *uaddr,
			int addr_len)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_conn_id odcid;
	union quic_addr a;
	struct quic_cid *cid;
	int err;

	err = quic_addr_from_user(sk, uaddr, addr_len, &a);
	if (err)
		return err;
	if (!quic_addr_port(&a))
		return -EINVAL;
	quic_addr_unmap(&a);	/* an IPv4 peer of an AF_INET6 socket */

	lock_sock(sk);
	/* a connection over (closed either end) is not started again */
	err = -EISCONN;
	if (sk->sk_state != QUIC_SS_CLOSED || qs->conn.used)
		goto out;
	err = quic_autobind(sk);
	if (err)
		goto out;
	/* both ends in one family: a dual-stack wildcard becomes IPv4's;
	 * a socket bound to an address of the other family cannot reach
	 * the peer (TCP says the same)
	 */
	err = -ENETUNREACH;
	if (qs->paths.act.local.sa.sa_family != a.sa.sa_family) {
		union quic_addr any = {};

		if (a.sa.sa_family != AF_INET ||
		    !quic_addr_any(&qs->paths.act.local) ||
		    qs->paths.act.udp_sk->v6only)
			goto out;
		any.v4.sin_family = AF_INET;
		any.v4.sin_port = quic_addr_port(&qs->paths.act.local);
		quic_set_local(sk, &any);
	}
	quic_path_set_peer(&qs->paths.act, &a);
	/* RFC 9000 section 8: the server's address is the one we chose */
	quic_path_validated(&qs->paths.act);
	err = quic_path_route(sk, &qs->paths.act);
	if (err)
		goto out;
	quic_set_peer_inet(sk, &a);

	quic_conn_set_role(&qs->conn, false, qs->params.config.version);
	/* RFC 9000 section 7.2: at least 8 unpredictable bytes */
	quic_cid_generate(&odcid, QUIC_CONN_ID_LEN);
	quic_conn_ids_set_initial(&qs->cids, &odcid, NULL);
	err = quic_cid_add(sk, &qs->cids.dcids, 0, &odcid, NULL, GFP_KERNEL);
	if (err)
		goto out;
	err = quic_cid_issue(sk, &qs->cids.scids, GFP_KERNEL, &cid);
	if (err)
		goto out;
	err = quic_crypto_initial_keys(&qs->crypto[QUIC_CRYPTO_INITIAL],
				       odcid.data, odcid.len, qs->conn.version,
				       false);
	if (err)
		goto out;
	quic_streams_set_limits(sk);
	quic_set_state(sk, QUIC_SS_ESTABLISHING);
out:
	if (err && sk->sk_state == QUIC_SS_CLOSED) {
		quic_cid_set_free(sk, &qs->cids.scids);
		quic_cid_set_free(sk, &qs->cids.dcids);
		quic_crypto_free(&qs->crypto[QUIC_CRYPTO_INITIAL]);
	}
	release_sock(sk);
	return err;
}

static int quic_inet_connect(struct socket *sock,
			     struct quic_cb_sockaddr *uaddr, int addr_len,
			     int flags)
{
	if (addr_len < (int)sizeof(uaddr->sa_family))
		return -EINVAL;
	return quic_connect(sock->sk, uaddr, addr_len);
}

/*
 * shutdown(): QUIC has no half close.  SEND_SHUTDOWN sends
 * CONNECTION_CLOSE (again, if called again); RCV_SHUTDOWN on a listener
 * stops it.  Either unblocks every waiter.
 */
static int quic_inet_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	int err = 0;

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	how++;	/* SHUT_RD -> RCV_SHUTDOWN etc. */

	lock_sock(sk);
	switch (sk->sk_state) {
	case QUIC_SS_CLOSED:
		/* in the closing period: CONNECTION_CLOSE once more */
		if ((how & SEND_SHUTDOWN) && quic_sk(sk)->conn.closing &&
		    !quic_sk(sk)->conn.draining)
			quic_conn_shutdown(sk);
		else
			err = -ENOTCONN;
		break;
	case QUIC_SS_LISTENING:
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | how);
		if (how & RCV_SHUTDOWN) {
			quic_listener_stop(sk);
			quic_set_state(sk, QUIC_SS_CLOSED);
		}
		break;
	default:
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | how);
		if (how & SEND_SHUTDOWN)
			quic_conn_shutdown(sk);
		break;
	}
	sk->sk_state_change(sk);
	release_sock(sk);
	return err;
}

static void quic_release_cb(struct sock *sk)
{
	quic_timers_release_cb(sk);
}

struct proto quic_prot = {
	.name		= "QUIC",
	.owner		= THIS_MODULE,
	.init		= quic_init_sock,
	.destroy	= quic_destroy_sock,
	.close		= quic_close,
	.bind		= quic_bind,
	.setsockopt	= quic_setsockopt,
	.getsockopt	= quic_getsockopt,
	.sendmsg	= quic_sendmsg,
	.recvmsg	= quic_proto_recvmsg,
	.connect	= quic_connect,
	.ioctl		= quic_ioctl,
	.backlog_rcv	= quic_backlog_rcv,
	.release_cb	= quic_release_cb,
	.hash		= quic_hash,
	.unhash		= quic_unhash,
	.no_autobind	= true,
	.memory_allocated = &quic_memory_allocated,
	.per_cpu_fw_alloc = &quic_memory_per_cpu_fw_alloc,
	.sockets_allocated = &quic_sockets_allocated,
	.memory_pressure = &quic_memory_pressure,
	.enter_memory_pressure = quic_enter_memory_pressure,
	.sysctl_mem	= sysctl_quic_mem,
	.sysctl_rmem	= sysctl_quic_rmem,
	.sysctl_wmem	= sysctl_quic_wmem,
	.obj_size	= sizeof(struct quic_sock),
};

struct proto quic6_prot;

/**
 * quic6_prot_init - make quic6_prot: quic_prot with IPv6's name and size
 *
 * One table of methods and memory limits for both families, as mptcp
 * does: the two cannot drift apart.  Called before proto_register().
 */
void quic6_prot_init(void)
{
	quic6_prot = quic_prot;
	strscpy(quic6_prot.name, "QUICv6", sizeof(quic6_prot.name));
	quic6_prot.obj_size = sizeof(struct quic6_sock);
#ifdef QUIC_HAVE_IPV6_PINFO_OFFSET
	quic6_prot.ipv6_pinfo_offset = offsetof(struct quic6_sock, inet6);
#endif
}

const struct proto_ops quic_proto_ops = {
	.family		= PF_INET,
	.owner		= THIS_MODULE,
	.release	= inet_release,
	.bind		= inet_bind,
	.connect	= quic_inet_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= quic_inet_accept,
	.getname	= quic_getname,
	.poll		= quic_poll,
	.ioctl		= inet_ioctl,
	.gettstamp	= sock_gettstamp,
	.listen		= quic_inet_listen,
	.shutdown	= quic_inet_shutdown,
	.setsockopt	= sock_common_setsockopt,
	.getsockopt	= sock_common_getsockopt,
	.sendmsg	= inet_sendmsg,
	.recvmsg	= inet_recvmsg,
	.mmap		= sock_no_mmap,
};

const struct proto_ops quic6_proto_ops = {
	.family		= PF_INET6,
	.owner		= THIS_MODULE,
	.release	= inet6_release,
	.bind		= inet6_bind,
	.connect	= quic_inet_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= quic_inet_accept,
	.getname	= quic_getname,
	.poll		= quic_poll,
	.ioctl		= inet6_ioctl,
	.gettstamp	= sock_gettstamp,
	.listen		= quic_inet_listen,
	.shutdown	= quic_inet_shutdown,
	.setsockopt	= sock_common_setsockopt,
	.getsockopt	= sock_common_getsockopt,
	.sendmsg	= inet_sendmsg,
	.recvmsg	= inet_recvmsg,
	.mmap		= sock_no_mmap,
};
