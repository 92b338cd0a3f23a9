// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QUIC socket options: every SOL_QUIC option of the socket API draft, and
 * quic_do_setsockopt()/quic_do_getsockopt() for kernel consumers.  Each
 * option runs under lock_sock(); values go to and from user space
 * through copies on the stack (struct quic_sock's slab cache has no
 * usercopy whitelist).
 */

#include <linux/slab.h>
#include <linux/string.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/sock.h>

#include "conn.h"
#include "input.h"
#include "output.h"
#include "socket.h"
#include "sockopt.h"
#include "tparam.h"
#include "trace.h"
#include "varint.h"

/* What we announce unless the application says otherwise (see abi). */
static const struct quic_transport_param quic_default_local_param = {
	.active_connection_id_limit	= 7,
	.ack_delay_exponent		= 3,
	.max_udp_payload_size		= QUIC_MAX_UDP_PAYLOAD,
	.max_idle_timeout		= 30 * USEC_PER_SEC,
	.max_ack_delay			= 25 * USEC_PER_MSEC,
	.max_streams_bidi		= 100,
	.max_streams_uni		= 100,
	.max_data			= 65536 * 32,
	.max_stream_data_bidi_local	= 65536 * 4,
	.max_stream_data_bidi_remote	= 65536 * 4,
	.max_stream_data_uni		= 65536 * 4,
};

/* What a peer's omitted parameters mean, RFC 9000 section 18.2. */
static const struct quic_transport_param quic_default_remote_param = {
	.remote				= 1,
	.active_connection_id_limit	= QUIC_MIN_ACTIVE_CID_LIMIT,
	.ack_delay_exponent		= 3,
	.max_udp_payload_size		= QUIC_MAX_UDP_PAYLOAD,
	.max_ack_delay			= 25 * USEC_PER_MSEC,
};

static const struct quic_config quic_default_config = {
	.version			= QUIC_VERSION_V1,
	.initial_smoothed_rtt		= QUIC_INITIAL_RTT,
	.congestion_control_algo	= QUIC_CONG_ALG_RENO,
};

/**
 * quic_params_init - a new socket's settings: the defaults
 * @p: the settings
 * @window: the largest receive window to offer: net.quic.rmem's maximum
 *
 * The windows a socket offers by default fit in what its namespace lets a
 * receive buffer grow to (as TCP's window does in tcp_rmem's maximum), so
 * that lowering it lowers what the peer may send unread.  The application
 * may still ask for larger ones (QUIC_SOCKOPT_TRANSPORT_PARAM), and a
 * larger SO_RCVBUF grows them as they are used (quic_stream_consumed()).
 */
void quic_params_init(struct quic_params *p, u32 window)
{
	struct quic_transport_param *l = &p->local;

	*l = quic_default_local_param;
	l->max_data = min_t(u64, l->max_data, window);
	l->max_stream_data_bidi_local = min_t(u64, l->max_stream_data_bidi_local,
					      window);
	l->max_stream_data_bidi_remote =
		min_t(u64, l->max_stream_data_bidi_remote, window);
	l->max_stream_data_uni = min_t(u64, l->max_stream_data_uni, window);
	p->remote = quic_default_remote_param;
	p->config = quic_default_config;
	p->alpn = NULL;
	p->alpn_len = 0;
}

/* an accepted socket's settings: its listener's */
int quic_params_inherit(struct quic_params *p, const struct quic_params *from)
{
	p->local = from->local;
	p->config = from->config;
	if (!from->alpn)
		return 0;
	p->alpn = kmemdup(from->alpn, from->alpn_len + 1, GFP_KERNEL);
	if (!p->alpn)
		return -ENOMEM;
	p->alpn_len = from->alpn_len;
	return 0;
}

void quic_params_free(struct quic_params *p)
{
	kfree(p->alpn);
	p->alpn = NULL;
	p->alpn_len = 0;
}

static int quic_sock_set_event(struct sock *sk, sockptr_t optval,
			       unsigned int optlen)
{
	struct quic_event_option opt;

	if (optlen < sizeof(opt))
		return -EINVAL;
	if (copy_from_sockptr(&opt, optval, sizeof(opt)))
		return -EFAULT;
	if (opt.type == QUIC_EVENT_NONE || opt.type >= QUIC_EVENT_MAX ||
	    opt.on > 1)
		return -EINVAL;

	if (opt.on)
		quic_sk(sk)->conn.events |= BIT(opt.type);
	else
		quic_sk(sk)->conn.events &= ~BIT(opt.type);
	return 0;
}

/*
 * Transport parameters and the configuration may change until they are
 * used: on a closed socket, on a listener (for the connections it accepts
 * from then on), and on a connection being established (after connect()
 * or accept()) until ours went to the TLS library in the transport
 * parameters extension, or, for the peer's (@remote, remembered for
 * 0-RTT), until the peer's arrived.
 */
static int quic_params_settable(struct sock *sk, bool remote)
{
	struct quic_sock *qs = quic_sk(sk);

	switch (sk->sk_state) {
	case QUIC_SS_CLOSED:
		return 0;
	case QUIC_SS_LISTENING:
		return remote ? -EINVAL : 0;
	case QUIC_SS_ESTABLISHING:
		if (remote)
			return qs->conn.tp_ext_recv ? -EISCONN : 0;
		return qs->conn.tp_ext_sent ? -EISCONN : 0;
	default:
		return -EISCONN;
	}
}

/*
 * Numeric fields left 0 keep their current value, so that a caller can
 * fill in only what it cares about; the flags and max_datagram_frame_size
 * (0: datagrams off) are taken as given.  A consequence, documented in
 * quic(7): a numeric parameter cannot be set to 0 (e.g. max_idle_timeout 0,
 * "no idle timeout").
 */
static int quic_sock_set_transport_param(struct sock *sk, sockptr_t optval,
					 unsigned int optlen)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_transport_param p, *t;
	int err;

	if (optlen < sizeof(p))
		return -EINVAL;
	if (copy_from_sockptr(&p, optval, sizeof(p)))
		return -EFAULT;
	if (p.remote > 1)
		return -EINVAL;
	err = quic_params_settable(sk, p.remote);
	if (err)
		return err;

	if (p.max_udp_payload_size &&
	    (p.max_udp_payload_size < QUIC_MIN_UDP_PAYLOAD ||
	     p.max_udp_payload_size > QUIC_MAX_UDP_PAYLOAD))
		return -EINVAL;
	if (p.ack_delay_exponent > QUIC_MAX_ACK_DELAY_EXPONENT)
		return -EINVAL;
	if (p.max_ack_delay >= QUIC_MAX_ACK_DELAY)
		return -EINVAL;
	if (p.active_connection_id_limit &&
	    p.active_connection_id_limit < QUIC_MIN_ACTIVE_CID_LIMIT)
		return -EINVAL;
	if (p.disable_active_migration > 1 || p.grease_quic_bit > 1 ||
	    p.stateless_reset > 1 || p.disable_1rtt_encryption > 1 ||
	    p.disable_compatible_version > 1)
		return -EINVAL;

	t = p.remote ? &qs->params.remote : &qs->params.local;
	t->disable_active_migration = p.disable_active_migration;
	t->grease_quic_bit = p.grease_quic_bit;
	t->stateless_reset = p.stateless_reset;
	t->disable_1rtt_encryption = p.disable_1rtt_encryption;
	t->disable_compatible_version = p.disable_compatible_version;
	t->max_datagram_frame_size = p.max_datagram_frame_size;
	if (p.active_connection_id_limit)
		t->active_connection_id_limit = p.active_connection_id_limit;
	if (p.ack_delay_exponent)
		t->ack_delay_exponent = p.ack_delay_exponent;
	if (p.max_udp_payload_size)
		t->max_udp_payload_size = p.max_udp_payload_size;
	if (p.max_idle_timeout)
		t->max_idle_timeout = p.max_idle_timeout;
	if (p.max_ack_delay)
		t->max_ack_delay = p.max_ack_delay;
	if (p.max_streams_bidi)
		t->max_streams_bidi = p.max_streams_bidi;
	if (p.max_streams_uni)
		t->max_streams_uni = p.max_streams_uni;
	if (p.max_data)
		t->max_data = p.max_data;
	if (p.max_stream_data_bidi_local)
		t->max_stream_data_bidi_local = p.max_stream_data_bidi_local;
	if (p.max_stream_data_bidi_remote)
		t->max_stream_data_bidi_remote = p.max_stream_data_bidi_remote;
	if (p.max_stream_data_uni)
		t->max_stream_data_uni = p.max_stream_data_uni;
	/* a client given the server's parameters of an earlier connection
	 * may send before the handshake (0-RTT), within their limits
	 */
	if (p.remote && !quic_is_serv(sk))
		qs->conn.early_params = 1;
	/* a connection being established takes its new limits at once */
	if (sk->sk_state == QUIC_SS_ESTABLISHING)
		quic_streams_set_limits(sk);
	return 0;
}

#define QUIC_CONFIG_MIN_LEN	offsetof(struct quic_config, \
					 keepalive_probe_interval)

/* version 0 and initial_smoothed_rtt 0 mean the defaults */
static int quic_sock_set_config(struct sock *sk, sockptr_t optval,
				unsigned int optlen)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_config c = {};
	int err;

	if (optlen < QUIC_CONFIG_MIN_LEN)
		return -EINVAL;
	optlen = min_t(unsigned int, optlen, sizeof(c));
	if (copy_from_sockptr(&c, optval, optlen))
		return -EFAULT;
	/* until the handshake completes; the version only counts before
	 * connect()
	 */
	if (sk->sk_state == QUIC_SS_ESTABLISHED)
		return -EISCONN;

	if (!c.version)
		c.version = QUIC_VERSION_V1;
	if (c.version != QUIC_VERSION_V1 && c.version != QUIC_VERSION_V2)
		return -EINVAL;
	if (!c.initial_smoothed_rtt)
		c.initial_smoothed_rtt = QUIC_INITIAL_RTT;
	if (c.initial_smoothed_rtt > QUIC_MAX_INITIAL_RTT)
		return -EINVAL;
	if (c.congestion_control_algo >= QUIC_CONG_ALG_MAX)
		return -EINVAL;
	if (c.validate_peer_address > 1 || c.stream_data_nodelay > 1 ||
	    c.receive_session_ticket > 1 || c.certificate_request > 3)
		return -EINVAL;
	if (c.reserved[0] || c.reserved[1] || c.reserved[2])
		return -EINVAL;
	err = quic_cong_select(&qs->cong, c.congestion_control_algo);
	if (err)
		return err;

	qs->params.config = c;
	/* RFC 9002 section 6.2.2: the RTT assumed until a sample */
	if (!qs->rec.rtt_sampled)
		quic_recovery_init(&qs->rec, c.initial_smoothed_rtt);
	return 0;
}

/* A comma-separated list of non-empty protocol names; a trailing NUL is
 * tolerated.  An empty value clears the list.
 */
static int quic_sock_set_alpn(struct sock *sk, sockptr_t optval,
			      unsigned int optlen)
{
	struct quic_sock *qs = quic_sk(sk);
	unsigned int i, start = 0;
	char *alpn;

	if (optlen > QUIC_ALPN_MAX_LEN + 1)
		return -EINVAL;
	/* before connect()/listen(); or the TLS library recording the
	 * protocol it negotiated
	 */
	if (sk->sk_state != QUIC_SS_CLOSED &&
	    sk->sk_state != QUIC_SS_ESTABLISHING)
		return -EISCONN;

	alpn = NULL;
	if (optlen) {
		alpn = memdup_sockptr_nul(optval, optlen);
		if (IS_ERR(alpn))
			return PTR_ERR(alpn);
		if (!alpn[optlen - 1])
			optlen--;
		if (optlen > QUIC_ALPN_MAX_LEN)
			goto inval;
		for (i = 0; optlen && i <= optlen; i++) {
			if (i < optlen && alpn[i] != ',') {
				if (!alpn[i])
					goto inval;
				continue;
			}
			if (i == start)		/* empty name */
				goto inval;
			start = i + 1;
		}
		if (!optlen) {
			kfree(alpn);
			alpn = NULL;
		}
	}

	kfree(qs->params.alpn);
	qs->params.alpn = alpn;
	qs->params.alpn_len = alpn ? optlen : 0;
	return 0;
inval:
	kfree(alpn);
	return -EINVAL;
}

/* Handshake options need a connection in its handshake: one that ended
 * meanwhile (the peer closed it, it timed out) reports why, rather than
 * blaming the option
 */
static int quic_handshake_state(struct sock *sk)
{
	int err;

	if (sk->sk_state == QUIC_SS_ESTABLISHING)
		return 0;
	err = READ_ONCE(sk->sk_err);
	if (sk->sk_state == QUIC_SS_CLOSED && err)
		return -err;
	return -EINVAL;
}

static int quic_sock_set_crypto_secret(struct sock *sk, sockptr_t optval,
				       unsigned int optlen)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_crypto_secret secret;
	int err, rx_level;
	bool complete, app;

	if (optlen < sizeof(secret))
		return -EINVAL;
	if (copy_from_sockptr(&secret, optval, sizeof(secret)))
		return -EFAULT;
	if (secret.level >= QUIC_CRYPTO_MAX ||
	    secret.level == QUIC_CRYPTO_INITIAL || secret.send > 1)
		return -EINVAL;
	err = quic_handshake_state(sk);
	if (err)
		return err;
	if (qs->space[quic_level_space(secret.level)].discarded)
		return -EINVAL;

	err = quic_crypto_set_secret(&qs->crypto[secret.level], &secret,
				     qs->conn.version);
	complete = secret.level == QUIC_CRYPTO_APP && secret.send;
	rx_level = secret.send ? -1 : secret.level;
	app = secret.level == QUIC_CRYPTO_APP;
	memzero_explicit(&secret, sizeof(secret));
	if (err)
		return err;
	/* disable_1rtt_encryption sent by both sides (the peer's parameters
	 * come before the 1-RTT secrets on either side): 1-RTT packets go
	 * unprotected, from the first one
	 */
	if (app && qs->conn.tp_ext_recv &&
	    qs->params.local.disable_1rtt_encryption &&
	    qs->params.remote.disable_1rtt_encryption)
		quic_crypto_set_plain(&qs->crypto[QUIC_CRYPTO_APP]);
	/* This kernel's convention (Documentation/networking/quic.rst):
	 * the TLS library installs the 1-RTT send secret once the
	 * handshake is complete at this end.
	 */
	/* a server reads the 1-RTT packets kept with the 0-RTT ones once
	 * its handshake completes (quic_conn_handshake_complete()): the
	 * 0-RTT ones first, in the order they were sent
	 */
	if (rx_level >= 0 && !(qs->conn.is_serv && rx_level == QUIC_CRYPTO_APP &&
			       !qs->conn.handshake_done))
		quic_rcv_early(sk, rx_level);
	if (complete)
		quic_conn_handshake_complete(sk);
	else
		quic_output(sk);
	return 0;
}

/* The peer's transport parameters, with the connection ID checks of
 * RFC 9000 section 7.3.
 */
static int quic_sock_set_tp_ext(struct sock *sk, sockptr_t optval,
				unsigned int optlen)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_transport_param p;
	struct quic_tp_ext x;
	struct quic_cid *dcid;
	u8 *buf;
	int err;

	if (!optlen || optlen > QUIC_TP_EXT_MAX_LEN * 4)
		return -EINVAL;
	err = quic_handshake_state(sk);
	if (err)
		return err;
	if (qs->conn.tp_ext_recv)
		return -EINVAL;
	buf = memdup_sockptr(optval, optlen);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	err = quic_tp_decode(&p, &x, !qs->conn.is_serv, buf, optlen);
	kfree(buf);
	if (err)
		return err;

	if (!x.has_init_scid ||
	    x.init_scid.len != qs->cids.peer_init_scid.len ||
	    memcmp(x.init_scid.data, qs->cids.peer_init_scid.data,
		   x.init_scid.len))
		return -EINVAL;
	if (!qs->conn.is_serv) {
		if (!x.has_orig_dcid || x.orig_dcid.len != qs->cids.odcid.len ||
		    memcmp(x.orig_dcid.data, qs->cids.odcid.data,
			   qs->cids.odcid.len))
			return -EINVAL;
		/* section 7.3: the Retry's source ID, if there was one */
		if (x.has_retry_scid != qs->cids.retried ||
		    (x.has_retry_scid &&
		     (x.retry_scid.len != qs->cids.retry_scid.len ||
		      memcmp(x.retry_scid.data, qs->cids.retry_scid.data,
			     x.retry_scid.len))))
			return -EINVAL;
		dcid = quic_cid_active(&qs->cids.dcids);
		if (dcid && x.has_reset_token)
			quic_cid_set_token(sk, dcid, x.reset_token);
	}
	if (qs->conn.early_params)
		qs->params.early = qs->params.remote;
	qs->params.remote = p;
	quic_conn_peer_params_in(&qs->conn);
	quic_streams_set_limits(sk);
	if (qs->conn.early_params)
		quic_streams_peer_limits_raised(sk);
	return 0;
}

/* QUIC_SOCKOPT_TOKEN: a client's token for its Initials; a server sends
 * its client a new one (NEW_TOKEN), the option's value is ignored
 */
static int quic_sock_set_token(struct sock *sk, sockptr_t optval,
			       unsigned int optlen)
{
	int err;

	if (!quic_is_serv(sk))
		return quic_session_set_token(sk, optval, optlen);
	err = quic_session_new_token(sk);
	if (!err)
		quic_output(sk);
	return err;
}

static int quic_sock_set_close(struct sock *sk, sockptr_t optval,
			       unsigned int optlen)
{
	struct quic_connection_close c = {};
	struct quic_sock *qs = quic_sk(sk);

	if (optlen < offsetof(struct quic_connection_close, phrase))
		return -EINVAL;
	optlen = min_t(unsigned int, optlen, sizeof(c));
	if (copy_from_sockptr(&c, optval, optlen))
		return -EFAULT;
	c.phrase[sizeof(c.phrase) - 1] = 0;
	quic_conn_set_close(&qs->conn, &c);
	return 0;
}

static int quic_sock_set_cid(struct sock *sk, sockptr_t optval,
			     unsigned int optlen)
{
	struct quic_connection_id_info info;

	if (optlen < sizeof(info))
		return -EINVAL;
	if (copy_from_sockptr(&info, optval, sizeof(info)))
		return -EFAULT;
	if (info.dest > 1 || memchr_inv(info.reserved, 0,
					sizeof(info.reserved)))
		return -EINVAL;
	if (sk->sk_state != QUIC_SS_ESTABLISHED)
		return -ENOTCONN;
	return quic_conn_cid_set(sk, &info);
}

/* QUIC_SOCKOPT_STREAM_RESET and QUIC_SOCKOPT_STREAM_STOP_SENDING */
static int quic_sock_stream_errinfo(struct sock *sk, sockptr_t optval,
				    unsigned int optlen, bool reset)
{
	struct quic_errinfo e;

	if (optlen < sizeof(e))
		return -EINVAL;
	if (copy_from_sockptr(&e, optval, sizeof(e)))
		return -EFAULT;
	if (e.stream_id < 0 || (u64)e.stream_id > QUIC_VARINT_MAX)
		return -EINVAL;
	if (sk->sk_state != QUIC_SS_ESTABLISHED)
		return -ENOTCONN;
	return reset ? quic_stream_reset(sk, e.stream_id, e.errcode) :
		       quic_stream_stop_sending(sk, e.stream_id, e.errcode);
}

static int quic_sock_key_update(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_crypto *c = &qs->crypto[QUIC_CRYPTO_APP];
	int err;

	/* RFC 9001 section 6: only once the handshake is confirmed */
	if (sk->sk_state != QUIC_SS_ESTABLISHED || !qs->conn.confirmed)
		return -EINVAL;
	if (quic_crypto_key_update_pending(c)) {
		err = quic_crypto_key_update_prepare(c);
		if (err)
			return err;
	}
	err = quic_crypto_key_update(c);
	if (err)
		return err;
	trace_quic_key_update(sk, c->tx.phase, true);
	quic_key_update_schedule(sk);
	return 0;
}

/**
 * quic_do_setsockopt - set a SOL_QUIC option
 * @sk: a QUIC socket
 * @optname: QUIC_SOCKOPT_*
 * @optval: the value, in user or kernel memory
 * @optlen: its length
 *
 * For in-kernel consumers; setsockopt(2) at level SOL_QUIC lands here too.
 *
 * Context: process context; takes the socket lock.
 * Return: 0, or a negative errno: -ENOPROTOOPT for an option this socket
 * does not have, -EINVAL for a bad length or value.
 */
int quic_do_setsockopt(struct sock *sk, int optname, sockptr_t optval,
		       unsigned int optlen)
{
	int err;

	lock_sock(sk);
	switch (optname) {
	case QUIC_SOCKOPT_EVENT:
		err = quic_sock_set_event(sk, optval, optlen);
		break;
	case QUIC_SOCKOPT_TRANSPORT_PARAM:
		err = quic_sock_set_transport_param(sk, optval, optlen);
		break;
	case QUIC_SOCKOPT_CONFIG:
		err = quic_sock_set_config(sk, optval, optlen);
		break;
	case QUIC_SOCKOPT_ALPN:
		err = quic_sock_set_alpn(sk, optval, optlen);
		break;
	case QUIC_SOCKOPT_CRYPTO_SECRET:
		err = quic_sock_set_crypto_secret(sk, optval, optlen);
		break;
	case QUIC_SOCKOPT_TRANSPORT_PARAM_EXT:
		err = quic_sock_set_tp_ext(sk, optval, optlen);
		break;
	case QUIC_SOCKOPT_CONNECTION_CLOSE:
		err = quic_sock_set_close(sk, optval, optlen);
		break;
	case QUIC_SOCKOPT_KEY_UPDATE:
		err = quic_sock_key_update(sk);
		break;
	case QUIC_SOCKOPT_STREAM_RESET:
		err = quic_sock_stream_errinfo(sk, optval, optlen, true);
		break;
	case QUIC_SOCKOPT_STREAM_STOP_SENDING:
		err = quic_sock_stream_errinfo(sk, optval, optlen, false);
		break;
	case QUIC_SOCKOPT_CONNECTION_ID:
		err = quic_sock_set_cid(sk, optval, optlen);
		break;
	case QUIC_SOCKOPT_SESSION_TICKET:
		err = quic_session_set_ticket(sk, optval, optlen);
		break;
	case QUIC_SOCKOPT_TOKEN:
		err = quic_sock_set_token(sk, optval, optlen);
		break;
	default:
		err = -ENOPROTOOPT;
		break;
	}
	release_sock(sk);
	return err;
}
EXPORT_SYMBOL_GPL(quic_do_setsockopt);

static int quic_sock_get_event(struct sock *sk, int len, sockptr_t optval,
			       sockptr_t optlen)
{
	struct quic_event_option opt;

	if (len < (int)sizeof(opt))
		return -EINVAL;
	if (copy_from_sockptr(&opt, optval, sizeof(opt)))
		return -EFAULT;
	if (opt.type == QUIC_EVENT_NONE || opt.type >= QUIC_EVENT_MAX)
		return -EINVAL;
	opt.on = !!(quic_sk(sk)->conn.events & BIT(opt.type));

	len = sizeof(opt);
	if (copy_to_sockptr(optlen, &len, sizeof(len)) ||
	    copy_to_sockptr(optval, &opt, len))
		return -EFAULT;
	return 0;
}

/* The caller's first byte, "remote", selects whose parameters to read. */
static int quic_sock_get_transport_param(struct sock *sk, int len,
					 sockptr_t optval, sockptr_t optlen)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_transport_param p;
	u8 remote;

	if (len < (int)sizeof(p))
		return -EINVAL;
	if (copy_from_sockptr(&remote, optval, sizeof(remote)))
		return -EFAULT;
	if (remote > 1)
		return -EINVAL;
	p = remote ? qs->params.remote : qs->params.local;
	p.remote = remote;

	len = sizeof(p);
	if (copy_to_sockptr(optlen, &len, sizeof(len)) ||
	    copy_to_sockptr(optval, &p, len))
		return -EFAULT;
	return 0;
}

static int quic_sock_get_config(struct sock *sk, int len, sockptr_t optval,
				sockptr_t optlen)
{
	struct quic_config c = quic_sk(sk)->params.config;

	if (len < (int)QUIC_CONFIG_MIN_LEN)
		return -EINVAL;
	len = min_t(int, len, sizeof(c));
	if (copy_to_sockptr(optlen, &len, sizeof(len)) ||
	    copy_to_sockptr(optval, &c, len))
		return -EFAULT;
	return 0;
}

/* The list as set, NUL-terminated; optlen counts the NUL. */
static int quic_sock_get_alpn(struct sock *sk, int len, sockptr_t optval,
			      sockptr_t optlen)
{
	struct quic_sock *qs = quic_sk(sk);
	char nul = 0;

	if (len < (int)qs->params.alpn_len + 1)
		return -EINVAL;
	len = qs->params.alpn_len + 1;
	if (copy_to_sockptr(optlen, &len, sizeof(len)) ||
	    (qs->params.alpn_len &&
	     copy_to_sockptr(optval, qs->params.alpn, qs->params.alpn_len)) ||
	    copy_to_sockptr_offset(optval, qs->params.alpn_len, &nul, 1))
		return -EFAULT;
	return 0;
}

static int quic_sock_get_tp_ext(struct sock *sk, int len, sockptr_t optval,
				sockptr_t optlen)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_tp_ext x = {};
	struct quic_cid *scid;
	u8 *buf;
	int n;

	scid = quic_cid_active(&qs->cids.scids);
	if (sk->sk_state != QUIC_SS_ESTABLISHING || !scid)
		return -EINVAL;
	x.init_scid = scid->id;
	x.has_init_scid = 1;
	if (qs->conn.is_serv) {
		x.orig_dcid = qs->cids.odcid;
		x.has_orig_dcid = 1;
		x.retry_scid = qs->cids.retry_scid;
		x.has_retry_scid = qs->cids.retried;
		memcpy(x.reset_token, scid->token, QUIC_RESET_TOKEN_LEN);
		x.has_reset_token = 1;
	}
	buf = kmalloc(QUIC_TP_EXT_MAX_LEN, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	n = quic_tp_encode(&qs->params.local, &x, qs->conn.is_serv, buf,
			   QUIC_TP_EXT_MAX_LEN);
	if (n >= 0 && len < n)
		n = -EINVAL;
	if (n >= 0 && (copy_to_sockptr(optlen, &n, sizeof(n)) ||
		       copy_to_sockptr(optval, buf, n)))
		n = -EFAULT;
	if (n >= 0)
		qs->conn.tp_ext_sent = 1;
	kfree(buf);
	return n < 0 ? n : 0;
}

static int quic_sock_get_close(struct sock *sk, int len, sockptr_t optval,
			       sockptr_t optlen)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_connection_close c;

	c = qs->conn.close_recv ? qs->conn.close_peer : qs->conn.close_local;
	if (len < (int)offsetof(struct quic_connection_close, phrase))
		return -EINVAL;
	len = min_t(int, len, sizeof(c));
	if (copy_to_sockptr(optlen, &len, sizeof(len)) ||
	    copy_to_sockptr(optval, &c, len))
		return -EFAULT;
	return 0;
}

static int quic_sock_get_cid(struct sock *sk, int len, sockptr_t optval,
			     sockptr_t optlen)
{
	struct quic_connection_id_info info;

	if (len < (int)sizeof(info))
		return -EINVAL;
	if (copy_from_sockptr(&info, optval, sizeof(info)))
		return -EFAULT;
	if (info.dest > 1)
		return -EINVAL;
	if (sk->sk_state != QUIC_SS_ESTABLISHING &&
	    sk->sk_state != QUIC_SS_ESTABLISHED)
		return -ENOTCONN;
	quic_conn_cid_get(sk, &info);
	len = sizeof(info);
	if (copy_to_sockptr(optlen, &len, sizeof(len)) ||
	    copy_to_sockptr(optval, &info, len))
		return -EFAULT;
	return 0;
}

/* Open a stream; stream_id -1 picks our next one of the type in flags. */
static int quic_sock_get_stream_open(struct sock *sk, int len,
				     sockptr_t optval, sockptr_t optlen)
{
	struct quic_stream_info sinfo;
	struct quic_stream *st;
	int err;

	if (len < (int)sizeof(sinfo))
		return -EINVAL;
	if (copy_from_sockptr(&sinfo, optval, sizeof(sinfo)))
		return -EFAULT;
	if (sk->sk_state != QUIC_SS_ESTABLISHED)
		return -ENOTCONN;
	if (sinfo.stream_id == -1)
		sinfo.stream_id = quic_stream_next_id(sk, sinfo.stream_flags &
						      MSG_QUIC_STREAM_UNI);
	st = quic_stream_get_send(sk, sinfo.stream_id,
				  sinfo.stream_flags | MSG_QUIC_STREAM_NEW, &err);
	if (!st)
		return err;
	len = sizeof(sinfo);
	if (copy_to_sockptr(optlen, &len, sizeof(len)) ||
	    copy_to_sockptr(optval, &sinfo, len))
		return -EFAULT;
	return 0;
}

/**
 * quic_do_getsockopt - get a SOL_QUIC option
 * @sk: a QUIC socket
 * @optname: QUIC_SOCKOPT_*
 * @optval: buffer, in user or kernel memory
 * @optlen: in: the buffer's length; out: the value's length (an int)
 *
 * Context: process context; takes the socket lock.
 * Return: 0, or a negative errno (-ENOPROTOOPT, -EINVAL, -EFAULT).
 */
int quic_do_getsockopt(struct sock *sk, int optname, sockptr_t optval,
		       sockptr_t optlen)
{
	int len, err;

	if (copy_from_sockptr(&len, optlen, sizeof(len)))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;

	lock_sock(sk);
	switch (optname) {
	case QUIC_SOCKOPT_EVENT:
		err = quic_sock_get_event(sk, len, optval, optlen);
		break;
	case QUIC_SOCKOPT_TRANSPORT_PARAM:
		err = quic_sock_get_transport_param(sk, len, optval, optlen);
		break;
	case QUIC_SOCKOPT_CONFIG:
		err = quic_sock_get_config(sk, len, optval, optlen);
		break;
	case QUIC_SOCKOPT_ALPN:
		err = quic_sock_get_alpn(sk, len, optval, optlen);
		break;
	case QUIC_SOCKOPT_TRANSPORT_PARAM_EXT:
		err = quic_sock_get_tp_ext(sk, len, optval, optlen);
		break;
	case QUIC_SOCKOPT_CONNECTION_CLOSE:
		err = quic_sock_get_close(sk, len, optval, optlen);
		break;
	case QUIC_SOCKOPT_STREAM_OPEN:
		err = quic_sock_get_stream_open(sk, len, optval, optlen);
		break;
	case QUIC_SOCKOPT_CONNECTION_ID:
		err = quic_sock_get_cid(sk, len, optval, optlen);
		break;
	case QUIC_SOCKOPT_SESSION_TICKET:
		err = quic_session_get_ticket(sk, len, optval, optlen);
		break;
	case QUIC_SOCKOPT_TOKEN:
		err = quic_session_get_token(sk, len, optval, optlen);
		break;
	default:
		err = -ENOPROTOOPT;
		break;
	}
	release_sock(sk);
	return err;
}
EXPORT_SYMBOL_GPL(quic_do_getsockopt);

int quic_setsockopt(struct sock *sk, int level, int optname,
		    sockptr_t optval, unsigned int optlen)
{
	if (level == SOL_QUIC)
		return quic_do_setsockopt(sk, optname, optval, optlen);
	if (sk->sk_family == AF_INET6)
		return ipv6_setsockopt(sk, level, optname, optval, optlen);
	return ip_setsockopt(sk, level, optname, optval, optlen);
}

int quic_getsockopt(struct sock *sk, int level, int optname,
		    char __user *optval, int __user *optlen)
{
	if (level == SOL_QUIC)
		return quic_do_getsockopt(sk, optname, USER_SOCKPTR(optval),
					  USER_SOCKPTR(optlen));
	if (sk->sk_family == AF_INET6)
		return ipv6_getsockopt(sk, level, optname, optval, optlen);
	return ip_getsockopt(sk, level, optname, optval, optlen);
}
