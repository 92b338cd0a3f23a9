// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QUIC listeners: listen(), the request queue that client Initials
 * without a connection join, Version Negotiation for the versions we do
 * not speak, and accept(), which makes the connection socket of a
 * request in process context.
 *
 * Listeners of one owner may share a port by ALPN (the draft's ALPN
 * routing): each takes the clients whose ClientHello offers a protocol
 * of its list (set before listen()); one without a list takes clients
 * that offer none.  A client's Initials then wait on the UDP socket
 * (quic_udp_sock->pending, bounded) until its whole ClientHello is there
 * (alpn.c reads it), and go to the listener its ALPN picks; a client no
 * listener takes is refused by the first listener's accept() with the
 * TLS alert no_application_protocol.
 *
 * Locking: a listener's request list is changed under its
 * bh_lock_sock() by the receive hook and under the socket spinlock by
 * accept(); accept() holds the listener's lock while it makes the child,
 * whose lock it takes nested (SINGLE_DEPTH_NESTING).
 */

#include <linux/jhash.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <net/inet_common.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/sock.h>

#include "compat.h"
#include "conn.h"
#include "alpn.h"
#include "input.h"
#include "listen.h"
#include "mib.h"
#include "output.h"
#include "packet.h"
#include "socket.h"
#include "token.h"

#define QUIC_REQ_MAX_SKBS	8	/* Initials a request keeps */
/* clients whose ClientHello is not all there, on one UDP socket */
#define QUIC_PEND_MAX		64
#define QUIC_PEND_BYTES		(1024 * 1024)
#define QUIC_PEND_TTL		(3 * HZ)
/* the most of a client's ALPN list looked at */
#define QUIC_ALPN_LIST_MAX	256
/* CRYPTO_ERROR with TLS's no_application_protocol, RFC 9001 section 4.8 */
#define QUIC_ERR_NO_ALPN	(QUIC_TRANSPORT_ERROR_CRYPTO + 120)
/* how long a request waits for accept() without an idle timeout */
#define QUIC_REQ_TTL_US		(30 * USEC_PER_SEC)

static struct hlist_head *quic_req_bucket(struct quic_listener *l,
					  const u8 *dcid, u32 len)
{
	return &l->hash[siphash(dcid, len, &l->hkey) &
			(QUIC_REQ_HASH_SIZE - 1)];
}

/* a request off its listener's list and hash; under the listener's lock */
static void quic_req_unlink(struct quic_listener *l, struct quic_request *req)
{
	list_del(&req->list);
	hlist_del_init(&req->hnode);
	l->nreqs--;
}

/* a request and the datagrams it holds */
static void quic_request_free(struct quic_request *req)
{
	__skb_queue_purge(&req->skbs);
	kfree(req);
}

/**
 * quic_listener_stop - take a listener off its port: no new request
 * joins it.  Idempotent.
 * @sk: the socket, locked
 */
void quic_listener_stop(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	if (qs->listener && qs->paths.act.udp_sk)
		quic_udp_sock_listen(sock_net(sk), qs->paths.act.udp_sk,
				     &qs->listener->node, false, NULL);
}

/**
 * quic_listener_free - drop the requests and the listener of a socket
 * being destroyed
 * @sk: the socket, locked and dead
 */
void quic_listener_free(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_listener *l = qs->listener;
	struct quic_request *req, *tmp;
	LIST_HEAD(reqs);

	if (!l)
		return;
	quic_listener_stop(sk);
	spin_lock_bh(&sk->sk_lock.slock);
	list_splice_init(&l->reqs, &reqs);
	l->nreqs = 0;
	qs->listener = NULL;
	spin_unlock_bh(&sk->sk_lock.slock);
	list_for_each_entry_safe(req, tmp, &reqs, list)
		quic_request_free(req);
	kfree_rcu(l, rcu);	/* the receive path may still walk @node */
}

/* poll(): is a request waiting?  Lockless: the listener lives as long as
 * the socket's file.
 */
bool quic_listener_pending(const struct sock *sk)
{
	struct quic_listener *l = READ_ONCE(quic_sk(sk)->listener);

	return l && !list_empty_careful(&l->reqs);
}

static struct quic_listener *quic_listener_get(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_listener *l = qs->listener;

	if (l)
		return l;
	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return NULL;
	l->sk = sk;
	INIT_HLIST_NODE(&l->node);
	INIT_LIST_HEAD(&l->reqs);
	get_random_bytes(&l->hkey, sizeof(l->hkey));
	WRITE_ONCE(qs->listener, l);
	return l;
}

/* do two ALPN lists (an empty one: clients without ALPN) share a name? */
static bool quic_alpn_overlap(const struct quic_listener *a,
			      const struct quic_listener *b)
{
	u32 i = 0, j;

	if (!a->alpn_len || !b->alpn_len)
		return !a->alpn_len && !b->alpn_len;
	while (i < a->alpn_len) {
		for (j = i; j < a->alpn_len && a->alpn[j] != ','; j++)
			;
		if (quic_alpn_match(b->alpn, b->alpn_len, a->alpn + i, j - i))
			return true;
		i = j + 1;
	}
	return false;
}

/* A port belongs to the owner of the socket that listens on it first, as
 * for TCP and UDP: another of the same owner may listen beside it when
 * both set SO_REUSEPORT (they share the load), or when their ALPN lists
 * have no protocol in common (each takes its own clients).  Under the
 * namespace's udp_lock.
 */
static bool quic_listen_conflict(struct hlist_node *node,
				 struct hlist_node *other)
{
	struct quic_listener *l = hlist_entry(node, struct quic_listener, node);
	struct quic_listener *o = hlist_entry(other, struct quic_listener,
					      node);

	if (!uid_eq(sk_uid(l->sk), sk_uid(o->sk)))
		return true;
	if (l->sk->sk_reuseport && o->sk->sk_reuseport)
		return false;
	return quic_alpn_overlap(l, o);
}

int quic_inet_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	struct quic_sock *qs = quic_sk(sk);
	struct quic_listener *l;
	int err = 0;

	lock_sock(sk);
	if (sk->sk_state == QUIC_SS_LISTENING) {
		WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
		goto out;
	}
	err = -EINVAL;
	if (sk->sk_state != QUIC_SS_CLOSED || qs->conn.used)
		goto out;
	err = quic_autobind(sk);
	if (err)
		goto out;
	err = -ENOMEM;
	l = quic_listener_get(sk);
	if (!l)
		goto out;
	/* the list the port's dispatch reads, constant from now on */
	l->alpn_len = qs->params.alpn_len;
	if (l->alpn_len)
		memcpy(l->alpn, qs->params.alpn, l->alpn_len);
	err = quic_udp_sock_listen(sock_net(sk), qs->paths.act.udp_sk,
				   &l->node, true, quic_listen_conflict);
	if (err)
		goto out;
	WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
	quic_conn_set_role(&qs->conn, true, qs->conn.version);
	quic_set_state(sk, QUIC_SS_LISTENING);
out:
	release_sock(sk);
	return err;
}

/* Make the connection socket for a request, in process context. */
/* a socket like the listener, for its child: what inet_create() and
 * inet6_create() would set
 */
static struct sock *quic_accept_alloc(struct sock *lsk, bool kern)
{
	struct inet_sock *inet;
	struct sock *sk;

	sk = sk_alloc(sock_net(lsk), lsk->sk_family, GFP_KERNEL, lsk->sk_prot,
		      kern);
	if (!sk)
		return NULL;
	sock_init_data(NULL, sk);
	sk->sk_type = lsk->sk_type;
	sk->sk_protocol = lsk->sk_protocol;
	sk->sk_backlog_rcv = lsk->sk_prot->backlog_rcv;
	inet = inet_sk(sk);
	if (lsk->sk_family == AF_INET6) {
		/* sk_alloc() zeroed it; what inet6_create() sets besides */
		inet->pinet6 = &((struct quic6_sock *)sk)->inet6;
		inet->pinet6->hop_limit = -1;
		inet->pinet6->mcast_hops = IPV6_DEFAULT_MCASTHOPS;
		inet->pinet6->tclass = inet6_sk(lsk)->tclass;
		sk->sk_destruct = inet6_sock_destruct;
	} else {
		sk->sk_destruct = inet_sock_destruct;
	}
	sk->sk_ipv6only = lsk->sk_ipv6only;
	sk->sk_bound_dev_if = lsk->sk_bound_dev_if;
	inet->mc_ttl = 1;
	inet->uc_ttl = -1;
	inet->tos = inet_sk(lsk)->tos;
	return sk;
}

/* what the child inherits from its listener: settings, the UDP socket */
static int quic_accept_inherit(struct sock *sk, struct sock *lsk,
			       const struct quic_request *req)
{
	struct quic_sock *lqs = quic_sk(lsk), *qs = quic_sk(sk);
	int err;

	err = quic_params_inherit(&qs->params, &lqs->params);
	if (err)
		return err;
	quic_recovery_init(&qs->rec, qs->params.config.initial_smoothed_rtt);
	quic_conn_set_events(&qs->conn, lqs->conn.events);
	err = quic_cong_select(&qs->cong,
			       qs->params.config.congestion_control_algo);
	if (err)
		return err;

	quic_udp_sock_hold(sock_net(sk), lqs->paths.act.udp_sk);
	quic_path_bind(&qs->paths.act, lqs->paths.act.udp_sk);
	quic_set_local(sk, &lqs->paths.act.udp_sk->addr);
	if (quic_addr_any(&lqs->paths.act.udp_sk->addr))
		quic_set_local(sk, &req->local);
	quic_path_set_peer(&qs->paths.act, &req->peer);
	quic_set_peer_inet(sk, &req->peer);
	return 0;
}

/* the connection of a request: its IDs, Initial keys and route */
static int quic_accept_conn(struct sock *sk, const struct quic_request *req)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_cid *cid;
	int err;

	quic_conn_set_role(&qs->conn, true, req->version);
	quic_conn_ids_set_initial(&qs->cids, &req->dcid, &req->scid);
	if (req->retried)	/* RFC 9000 section 7.3 */
		quic_conn_ids_set_retry(&qs->cids, &req->odcid, &req->dcid);
	/* section 8.1: a token validated the client's address */
	if (req->validated)
		quic_path_validated(&qs->paths.act);
	err = quic_cid_add(sk, &qs->cids.dcids, 0, &req->scid, NULL,
			   GFP_KERNEL);
	if (err)
		return err;
	err = quic_cid_issue(sk, &qs->cids.scids, GFP_KERNEL, &cid);
	if (err)
		return err;
	/* the client keeps using its original DCID until it hears us */
	err = quic_cid_add(sk, &qs->cids.aliases, 0, &req->dcid, NULL,
			   GFP_KERNEL);
	if (err)
		return err;
	err = quic_crypto_initial_keys(&qs->crypto[QUIC_CRYPTO_INITIAL],
				       req->dcid.data, req->dcid.len,
				       qs->conn.version, true);
	if (err)
		return err;
	err = quic_path_route(sk, &qs->paths.act);
	if (err)
		return err;
	quic_streams_set_limits(sk);
	quic_set_state(sk, QUIC_SS_ESTABLISHING);
	return 0;
}

/* the request accept() took leaves the list; under the listener's slock */
static void quic_accept_unlink(struct sock *lsk, struct quic_request *req)
{
	if (!req->taken)
		return;
	req->taken = 0;
	quic_req_unlink(quic_sk(lsk)->listener, req);
}

static struct sock *quic_accept_sk(struct sock *lsk, struct quic_request *req,
				   bool kern, int *errp)
{
	struct quic_sock *qs;
	struct sk_buff *skb;
	struct sock *sk;
	int err = -ENOMEM;

	sk = quic_accept_alloc(lsk, kern);
	if (!sk)
		goto fail;
	err = quic_init_sock(sk);
	qs = quic_sk(sk);
	/* after the defaults quic_init_sock() set */
	sk->sk_rcvbuf = lsk->sk_rcvbuf;
	sk->sk_sndbuf = lsk->sk_sndbuf;
	/* Owned from before its IDs are published: what a softirq finds
	 * through them waits on the backlog, behind the client's Initials
	 * processed below.  The listener's lock is held: a nested lock of
	 * the same class.
	 */
	lock_sock_nested(sk, SINGLE_DEPTH_NESTING);
	if (!err)
		err = quic_accept_inherit(sk, lsk, req);
	if (!err)
		err = quic_accept_conn(sk, req);
	if (err)
		goto free;

	/* the client's datagrams, processed as if they arrived now: those
	 * before accept() and those that joined the request since.  Once
	 * it is off the list, the IDs published above lead them to @sk
	 * (its backlog, behind these).
	 */
	for (;;) {
		spin_lock_bh(&lsk->sk_lock.slock);
		skb = __skb_dequeue(&req->skbs);
		if (!skb)
			quic_accept_unlink(lsk, req);
		spin_unlock_bh(&lsk->sk_lock.slock);
		if (!skb)
			break;
		quic_rcv_datagram(sk, skb);
	}
	/* RFC 9000 section 10.3 (and common sense): no state for datagrams
	 * that only look like Initials; none of them opened.  Nor for a
	 * client that broke the protocol in them: it was told once, in
	 * quic_conn_close().
	 */
	err = -EPROTO;
	if (qs->space[QUIC_CRYPTO_INITIAL].nranges && !qs->conn.closing)
		err = 0;
	if (err)
		goto free;
	release_sock(sk);
	return sk;
free:
	/* Never handed out: no closing period, nothing more is answered,
	 * not even what waits on the backlog.
	 */
	quic_conn_silence(&qs->conn);
	quic_set_state(sk, QUIC_SS_CLOSED);
	release_sock(sk);
	sk_common_release(sk);
fail:
	*errp = err;
	return NULL;
}

/*
 * A client no listener of the port takes by ALPN: its connection, never
 * handed out, closes with CRYPTO_ERROR no_application_protocol (RFC 9001
 * section 8.1), sent once, in the Initial packet of its first flight.
 */
static void quic_accept_refuse(struct sock *sk)
{
	/* the listener's lock is held: a nested lock of the same class */
	lock_sock_nested(sk, SINGLE_DEPTH_NESTING);
	quic_conn_close(sk, QUIC_ERR_NO_ALPN, QUIC_FRAME_CRYPTO, false);
	quic_conn_silence(&quic_sk(sk)->conn);
	quic_set_state(sk, QUIC_SS_CLOSED);
	release_sock(sk);
	sk_common_release(sk);
}

static int quic_accept_wait(struct sock *sk, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct quic_listener *l = quic_sk(sk)->listener;
	int err = 0;

	add_wait_queue_exclusive(sk_sleep(sk), &wait);
	while (list_empty(&l->reqs)) {
		err = -EINVAL;
		if (sk->sk_state != QUIC_SS_LISTENING)
			break;
		err = -EAGAIN;
		if (!*timeo)
			break;
		err = sock_intr_errno(*timeo);
		if (signal_pending(current))
			break;
		err = 0;
		sk_wait_event(sk, timeo, !list_empty(&l->reqs) ||
			      sk->sk_state != QUIC_SS_LISTENING, &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return list_empty(&l->reqs) ? (err ?: -EINVAL) : 0;
}

static int quic_do_accept(struct socket *sock, struct socket *newsock,
			  int flags, bool kern)
{
	struct sock *sk = sock->sk, *newsk;
	struct quic_listener *l;
	struct quic_request *req;
	unsigned long deadline;
	bool failed = false;
	long timeo;
	int err;

	lock_sock(sk);
	l = quic_sk(sk)->listener;
	if (!l) {	/* never listened */
		release_sock(sk);
		return -EINVAL;
	}
	timeo = sock_rcvtimeo(sk, flags & O_NONBLOCK);
	deadline = jiffies + timeo;
	do {
		/* Requests that fail (a flood of bad Initials) must not keep
		 * accept() in the kernel past its timeout, nor a signal.
		 */
		if (failed && (signal_pending(current) ||
			       (timeo != MAX_SCHEDULE_TIMEOUT &&
				time_after_eq(jiffies, deadline)))) {
			release_sock(sk);
			return signal_pending(current) ?
			       sock_intr_errno(timeo) : -EAGAIN;
		}
		err = quic_accept_wait(sk, &timeo);
		if (err) {
			release_sock(sk);
			return err;
		}
		spin_lock_bh(&sk->sk_lock.slock);
		req = list_first_entry(&l->reqs, struct quic_request, list);
		req->taken = 1;
		spin_unlock_bh(&sk->sk_lock.slock);

		newsk = quic_accept_sk(sk, req, kern, &err);
		spin_lock_bh(&sk->sk_lock.slock);
		quic_accept_unlink(sk, req);	/* if it failed before */
		spin_unlock_bh(&sk->sk_lock.slock);
		if (newsk && req->refuse) {
			quic_accept_refuse(newsk);
			newsk = NULL;
			err = -EPROTO;
		}
		quic_request_free(req);
		failed = true;
		/* a request whose Initials did not open: the next one */
	} while (!newsk && err == -EPROTO);
	release_sock(sk);
	if (!newsk)
		return err;

	lock_sock(newsk);
	sock_graft(newsk, newsock);
	newsock->state = SS_CONNECTED;
	release_sock(newsk);
	return 0;
}

#ifdef QUIC_HAVE_PROTO_ACCEPT_ARG
int quic_inet_accept(struct socket *sock, struct socket *newsock,
		     struct proto_accept_arg *arg)
{
	return quic_do_accept(sock, newsock, arg->flags, arg->kern);
}
#else
int quic_inet_accept(struct socket *sock, struct socket *newsock,
		     int flags, bool kern)
{
	return quic_do_accept(sock, newsock, flags, kern);
}
#endif

static bool quic_req_match(const struct quic_request *req,
			   const union quic_addr *peer, const struct quic_hdr *h)
{
	return quic_addr_equal(&req->peer, peer) &&
	       req->dcid.len == h->dcid_len &&
	       !memcmp(req->dcid.data, h->dcid, h->dcid_len);
}

/* a listener of the peer's family, or a dual-stack AF_INET6 one for an
 * IPv4 peer (whose UDP socket takes IPv4 only if it is not IPV6_V6ONLY)
 */
static bool quic_listener_takes(const struct sock *sk,
				const union quic_addr *peer)
{
	return sk->sk_family == peer->sa.sa_family ||
	       (sk->sk_family == AF_INET6 && !sk->sk_ipv6only);
}

/* The listener a client Initial goes to, referenced: the only one of its
 * family, or one of a SO_REUSEPORT group (same owner) chosen by the
 * client's address and first DCID, so that all its Initials reach the
 * same one.
 */
static struct sock *quic_listener_select(struct quic_udp_sock *us,
					 const struct quic_hdr *h,
					 const union quic_addr *peer)
{
	struct quic_listener *l;
	struct sock *sk = NULL;
	u32 n = 0, pick;

	rcu_read_lock();
	hlist_for_each_entry_rcu(l, &us->listeners, node)
		n += quic_listener_takes(l->sk, peer);
	if (!n)
		goto out;
	pick = n == 1 ? 0 :
	       reciprocal_scale(jhash(h->dcid, h->dcid_len,
				      jhash(peer, sizeof(*peer), 0)), n);
	hlist_for_each_entry_rcu(l, &us->listeners, node) {
		if (!quic_listener_takes(l->sk, peer) || pick--)
			continue;
		if (refcount_inc_not_zero(&l->sk->sk_refcnt))
			sk = l->sk;
		break;
	}
out:
	rcu_read_unlock();
	return sk;
}

/* drop the requests nobody accepted in time, oldest first */
static void quic_listener_expire(struct quic_listener *l)
{
	struct quic_request *req, *tmp;

	list_for_each_entry_safe(req, tmp, &l->reqs, list) {
		if (req->taken)		/* accept() has it */
			continue;
		if (time_before(jiffies, req->expires))
			break;
		quic_req_unlink(l, req);
		quic_request_free(req);
	}
}

/*
 * RFC 9000 section 8.1: the token of a new client's Initial.  A Retry
 * token we made for this address gives the client's first DCID and
 * validates the address; so does a NEW_TOKEN token (section 8.1.3).  A
 * listener with validate_peer_address answers a client that brought
 * neither with a Retry.  A token that is not valid (not ours, expired,
 * for another address) counts for nothing, as section 8.1.3 says: the
 * client may have it from another server.  Return: 0 to make the
 * request, or -EAGAIN: a Retry went and the Initial is dropped.
 */
static int quic_listen_validate(struct sock *sk, struct quic_udp_sock *us,
				const struct quic_hdr *h,
				const union quic_addr *peer,
				const union quic_addr *local,
				struct quic_request *req)
{
	struct quic_token_info info;
	u8 token[QUIC_TOKEN_LEN_MAX];
	int len;

	if (h->token_len) {
		if (!quic_token_check(sock_net(sk), h->token, h->token_len,
				      peer, &info)) {
			req->validated = 1;
			if (info.type == QUIC_TOKEN_RETRY) {
				req->retried = 1;
				req->odcid = info.odcid;
			}
			return 0;
		}
		QUIC_INC_STATS(sock_net(sk), QUIC_MIB_TOKENSREJECTED);
	}
	if (!quic_sk(sk)->params.config.validate_peer_address)
		return 0;
	req->odcid.len = h->dcid_len;
	memcpy(req->odcid.data, h->dcid, h->dcid_len);
	len = quic_token_make(sock_net(sk), QUIC_TOKEN_RETRY, peer,
			      &req->odcid, token);
	if (len > 0)
		quic_packet_send_retry(us->sock->sk, h, peer, local, token, len);
	return -EAGAIN;
}

/*
 * @skb joins the request of its client on listener @sk, under
 * bh_lock_sock(), if @sk has one.  Return: 1 if it did (@skb is
 * consumed), 0 if there is none, -1 if the request is full.
 */
static int quic_req_join(struct sock *sk, struct quic_listener *l,
			 struct sk_buff *skb, const struct quic_hdr *h,
			 const union quic_addr *peer)
{
	struct quic_request *req;

	hlist_for_each_entry(req, quic_req_bucket(l, h->dcid, h->dcid_len),
			     hnode) {
		if (!quic_req_match(req, peer, h))
			continue;
		if (skb_queue_len(&req->skbs) >= QUIC_REQ_MAX_SKBS)
			return -1;
		quic_rmem_own(sk, skb);
		__skb_queue_tail(&req->skbs, skb);
		return 1;
	}
	return 0;
}

/*
 * A client datagram for listener @sk (referenced by the caller): it
 * joins the request of its client, or makes one (@refuse: one that
 * accept() refuses).  Consumes @skb.
 */
static void quic_listen_queue(struct sock *sk, struct quic_udp_sock *us,
			      struct sk_buff *skb, const struct quic_hdr *h,
			      const union quic_addr *peer,
			      const union quic_addr *local, bool refuse)
{
	struct quic_listener *l;
	struct quic_request *req;
	u64 idle;

	bh_lock_sock(sk);
	/* the listener goes under this lock when the socket is destroyed */
	l = quic_sk(sk)->listener;
	if (sk->sk_state != QUIC_SS_LISTENING || !l)
		goto unlock_drop;
	quic_listener_expire(l);
	if (atomic_read(&sk->sk_rmem_alloc) + skb->truesize >
	    READ_ONCE(sk->sk_rcvbuf))
		goto unlock_drop;
	switch (quic_req_join(sk, l, skb, h, peer)) {
	case 1:
		goto unlock;
	case -1:
		goto unlock_drop;
	}
	if (h->level != QUIC_CRYPTO_INITIAL ||
	    l->nreqs >= READ_ONCE(sk->sk_max_ack_backlog) ||
	    l->nreqs >= READ_ONCE(quic_net(sock_net(sk))->max_requests))
		goto unlock_drop;
	req = kzalloc(sizeof(*req), GFP_ATOMIC);
	if (!req)
		goto unlock_drop;
	if (quic_listen_validate(sk, us, h, peer, local, req)) {
		kfree(req);
		goto unlock_free;	/* a Retry went */
	}
	idle = quic_sk(sk)->params.local.max_idle_timeout ?: QUIC_REQ_TTL_US;
	req->expires = jiffies + max_t(unsigned long, HZ,
				       usecs_to_jiffies(idle));
	req->peer = *peer;
	req->local = *local;
	req->version = h->version;
	req->refuse = refuse;
	req->dcid.len = h->dcid_len;
	memcpy(req->dcid.data, h->dcid, h->dcid_len);
	req->scid.len = h->scid_len;
	memcpy(req->scid.data, h->scid, h->scid_len);
	skb_queue_head_init(&req->skbs);
	quic_rmem_own(sk, skb);
	__skb_queue_tail(&req->skbs, skb);
	list_add_tail(&req->list, &l->reqs);
	hlist_add_head(&req->hnode, quic_req_bucket(l, req->dcid.data,
						    req->dcid.len));
	l->nreqs++;
	sk->sk_data_ready(sk);
unlock:
	bh_unlock_sock(sk);
	return;
unlock_drop:
	quic_drop(sock_net(sk), sk, QUIC_MIB_REQUESTDROPS);
unlock_free:
	bh_unlock_sock(sk);
	kfree_skb(skb);
}

/* Do listeners share this port by ALPN: two or more, one with a list? */
static bool quic_listen_by_alpn(struct quic_udp_sock *us)
{
	struct quic_listener *l;
	bool alpn = false;
	u32 n = 0;

	rcu_read_lock();
	hlist_for_each_entry_rcu(l, &us->listeners, node) {
		n++;
		alpn |= !!l->alpn_len;
	}
	rcu_read_unlock();
	return alpn && n > 1;
}

static bool quic_listener_takes_alpn(const struct quic_listener *l,
				     const union quic_addr *peer,
				     const u8 *name, u32 len)
{
	if (!quic_listener_takes(l->sk, peer))
		return false;
	if (!name)
		return !l->alpn_len;
	return quic_alpn_match(l->alpn, l->alpn_len, name, len);
}

/* the listener, referenced, that takes protocol @name (NULL: a client
 * without ALPN): one of those that do, chosen as quic_listener_select()
 * chooses
 */
static struct sock *quic_listener_for(struct quic_udp_sock *us,
				      const struct quic_request *req,
				      const u8 *name, u32 len)
{
	struct quic_listener *l;
	struct sock *sk = NULL;
	u32 n = 0, pick;

	rcu_read_lock();
	hlist_for_each_entry_rcu(l, &us->listeners, node)
		n += quic_listener_takes_alpn(l, &req->peer, name, len);
	if (!n)
		goto out;
	pick = n == 1 ? 0 :
	       reciprocal_scale(jhash(req->dcid.data, req->dcid.len,
				      jhash(&req->peer, sizeof(req->peer), 0)),
				n);
	hlist_for_each_entry_rcu(l, &us->listeners, node) {
		if (!quic_listener_takes_alpn(l, &req->peer, name, len) ||
		    pick--)
			continue;
		if (refcount_inc_not_zero(&l->sk->sk_refcnt))
			sk = l->sk;
		break;
	}
out:
	rcu_read_unlock();
	return sk;
}

/* the listener of the first protocol of the client's list (RFC 7301:
 * names of 1-byte length) that one takes; the one without a list when
 * the client sent none
 */
static struct sock *quic_listener_select_alpn(struct quic_udp_sock *us,
					      const struct quic_request *req,
					      const u8 *alpn, u32 len)
{
	struct sock *sk;
	u32 i = 0;

	if (!len)
		return quic_listener_for(us, req, NULL, 0);
	while (i < len) {
		if (!alpn[i] || i + 1 + alpn[i] > len)
			break;
		sk = quic_listener_for(us, req, alpn + i + 1, alpn[i]);
		if (sk)
			return sk;
		i += 1 + alpn[i];
	}
	return NULL;
}

/* drop the pending requests whose clients went quiet; under pend_lock.
 * The list is in the order of arrival, so of expiry: the first live one
 * ends the walk.
 */
static void quic_pending_expire(struct quic_udp_sock *us)
{
	struct quic_request *req, *tmp;

	list_for_each_entry_safe(req, tmp, &us->pending, list) {
		if (time_before(jiffies, req->expires))
			break;
		list_del(&req->list);
		us->npending--;
		us->pend_bytes -= req->bytes;
		quic_request_free(req);
	}
}

/* the UDP socket is released: no receive path runs on it any more */
void quic_udp_pending_purge(struct quic_udp_sock *us)
{
	struct quic_request *req, *tmp;

	list_for_each_entry_safe(req, tmp, &us->pending, list)
		quic_request_free(req);
	INIT_LIST_HEAD(&us->pending);
}

/*
 * A 0-RTT packet at a port shared by ALPN, of a client whose ClientHello
 * went to a listener already: it joins the request there (its Initials
 * do the same through quic_listen_queue()).  Consumes @skb.
 */
static void quic_listen_join(struct quic_udp_sock *us, struct sk_buff *skb,
			     const struct quic_hdr *h,
			     const union quic_addr *peer)
{
	struct quic_listener *l;
	struct sock *sk;
	int ret = 0;

	rcu_read_lock();
	hlist_for_each_entry_rcu(l, &us->listeners, node) {
		sk = l->sk;
		if (!refcount_inc_not_zero(&sk->sk_refcnt))
			continue;
		bh_lock_sock(sk);
		if (sk->sk_state == QUIC_SS_LISTENING &&
		    quic_sk(sk)->listener == l &&
		    atomic_read(&sk->sk_rmem_alloc) + skb->truesize <=
		    READ_ONCE(sk->sk_rcvbuf))
			ret = quic_req_join(sk, l, skb, h, peer);
		bh_unlock_sock(sk);
		sock_put(sk);
		if (ret)
			break;
	}
	rcu_read_unlock();
	if (ret <= 0)
		kfree_skb(skb);
}

/*
 * A client datagram at a port whose listeners share it by ALPN: it waits
 * with the others of its client until the ClientHello is all there, and
 * then they all go to the listener its ALPN picks.  Consumes @skb.
 */
static void quic_listen_dispatch(struct quic_udp_sock *us,
				 struct sk_buff *skb,
				 const struct quic_hdr *h,
				 const union quic_addr *peer,
				 const union quic_addr *local)
{
	u8 alpn[QUIC_ALPN_LIST_MAX];
	struct quic_request *req;
	struct quic_hdr h2;
	struct sock *sk;
	u32 alen = 0;
	bool refuse;
	int err;

	spin_lock(&us->pend_lock);
	quic_pending_expire(us);
	list_for_each_entry(req, &us->pending, list)
		if (quic_req_match(req, peer, h))
			goto found;
	if (h->level == QUIC_CRYPTO_EARLY) {
		spin_unlock(&us->pend_lock);
		quic_listen_join(us, skb, h, peer);
		return;
	}
	if (h->level != QUIC_CRYPTO_INITIAL || us->npending >= QUIC_PEND_MAX)
		goto unlock_drop;
	req = kzalloc(sizeof(*req), GFP_ATOMIC);
	if (!req)
		goto unlock_drop;
	req->expires = jiffies + QUIC_PEND_TTL;
	req->peer = *peer;
	req->version = h->version;
	req->dcid.len = h->dcid_len;
	memcpy(req->dcid.data, h->dcid, h->dcid_len);
	skb_queue_head_init(&req->skbs);
	list_add_tail(&req->list, &us->pending);
	us->npending++;
found:
	if (skb_queue_len(&req->skbs) >= QUIC_REQ_MAX_SKBS ||
	    us->pend_bytes + skb->truesize > QUIC_PEND_BYTES)
		goto unlock_drop;	/* an empty new one expires */
	skb_orphan(skb);
	__skb_queue_tail(&req->skbs, skb);
	req->bytes += skb->truesize;
	us->pend_bytes += skb->truesize;
	err = quic_alpn_peek(&req->skbs, &req->dcid, req->version, alpn,
			     &alen, sizeof(alpn));
	if (err == -EAGAIN || err == -ENOMEM) {
		spin_unlock(&us->pend_lock);
		return;
	}
	list_del(&req->list);
	us->npending--;
	us->pend_bytes -= req->bytes;

	/* what could not be read counts as a ClientHello without ALPN */
	if (err)
		alen = 0;
	sk = quic_listener_select_alpn(us, req, alpn, alen);
	refuse = !sk;
	if (!sk)
		sk = quic_listener_select(us, h, peer);
	/* pend_lock (then the listener's) held until the request is at
	 * its listener: a 0-RTT packet of the client's that comes on
	 * another CPU meanwhile finds it there, in quic_listen_join()
	 */
	while (sk && (skb = __skb_dequeue(&req->skbs))) {
		if (quic_packet_parse(skb->data, skb->len, &h2)) {
			kfree_skb(skb);
			continue;
		}
		quic_listen_queue(sk, us, skb, &h2, peer, local, refuse);
	}
	spin_unlock(&us->pend_lock);
	if (sk)
		sock_put(sk);
	quic_request_free(req);
	return;
unlock_drop:
	spin_unlock(&us->pend_lock);
	kfree_skb(skb);
}

void quic_listen_rcv(struct quic_udp_sock *us, struct sk_buff *skb,
		     const struct quic_hdr *h, const union quic_addr *peer,
		     const union quic_addr *local)
{
	struct sock *sk;

	/* RFC 9000 section 14.1: a client Initial fills 1200 bytes; a
	 * 0-RTT packet may join the request of its Initial
	 */
	if ((h->level != QUIC_CRYPTO_INITIAL && h->level != QUIC_CRYPTO_EARLY) ||
	    (h->level == QUIC_CRYPTO_INITIAL &&
	     skb->len < QUIC_MIN_UDP_PAYLOAD) || h->dcid_len < 8) {
		quic_drop(sock_net(us->sock->sk), NULL, QUIC_MIB_INMALFORMED);
		goto drop;
	}
	if (quic_listen_by_alpn(us)) {
		quic_listen_dispatch(us, skb, h, peer, local);
		return;
	}
	sk = quic_listener_select(us, h, peer);
	if (!sk) {
		quic_drop(sock_net(us->sock->sk), NULL, QUIC_MIB_INNOSOCKET);
		goto drop;
	}
	quic_listen_queue(sk, us, skb, h, peer, local, false);
	sock_put(sk);
	return;
drop:
	kfree_skb(skb);
}

/*
 * RFC 9000 section 6.1: a client Initial (1200 bytes or more) of a
 * version we do not speak, to a port with a listener, gets a Version
 * Negotiation packet listing ours.  Stateless; consumes @skb.
 */
void quic_send_version_negotiation(struct sock *usk, struct quic_udp_sock *us,
				   struct sk_buff *skb,
				   const struct quic_hdr *h,
				   const union quic_addr *peer,
				   const union quic_addr *local)
{
	if (skb->len >= QUIC_MIN_UDP_PAYLOAD && !hlist_empty(&us->listeners))
		quic_packet_send_vn(usk, h, peer, local);
	consume_skb(skb);
}
