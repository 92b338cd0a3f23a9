// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * quic_consumer_test.ko: an in-kernel consumer of quic.ko and of the
 * kernel's TLS handshake upcall (net/handshake), for tests/consumer_test.
 *
 * User space drives it through /sys/kernel/debug/quic_consumer/ctl: each
 * write is one command line, a verb and key=value words,
 *
 *	client id=N addr=A port=P [alpn=S] [auth=none|x509|psk] [cert=K]
 *	       [key=K] [psk=K] [peer=NAME] [tmo=MS] [wait=MS] [life=MS]
 *	       [streams=N] [bytes=B]
 *	server id=N addr=A [port=P] [alpn=S] auth=x509|psk [cert=K] [key=K]
 *	       [psk=K] [tmo=MS] [wait=MS] [life=MS]
 *	tcp    id=N addr=A port=P [auth=none|x509|psk] ... [bytes=B]
 *	clear
 *
 * A (IPv4 or IPv6) and P are the peer's (client, tcp) or our own
 * (server; port 0 takes an ephemeral one); K are key serials handed to
 * the handshake daemon; tmo is ta_timeout_ms (the daemon's bound), wait
 * our own bound on the handshake (then tls_handshake_cancel()), life the
 * bound on the rest (accept, data).  A client opens @streams
 * bidirectional streams, sends @bytes on each and checks that the same
 * bytes come back on each; a server accepts one connection and echoes
 * every stream until the peer closes; tcp does a client's job over TCP
 * and kTLS (one byte stream).  Each command runs in its own work item;
 * "clear" forgets the commands that are over.
 *
 * Reading the file gives one line "active=N" (the commands not over),
 * then one line per command:
 *
 *	id=N kind=K state=queued|listening|running|done status=E hs=E
 *	cancel=0|1 peerid=K port=P checked=B hs_ns=T stage=S
 *
 * status is 0 or the negative errno of the command, hs the status
 * ta_done reported (or, with cancel=1, our own -ETIMEDOUT or -ECANCELED:
 * we cancelled the request),
 * checked the data bytes verified (client) or echoed (server), hs_ns the
 * time from the handshake request to ta_done, stage where it ended.
 *
 * Unloading cancels pending handshakes, ends every command within one
 * QC_SLICE and frees everything.
 */
#define pr_fmt(fmt) "quic_consumer_test: " fmt

#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/inet.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/quic.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <net/handshake.h>
#include <net/sock.h>
#include <net/tls_prot.h>

#define QC_SLICE	(HZ / 20)	/* how often blocked commands look up */
#define QC_CHUNK	16384		/* bytes per sendmsg/recvmsg */
#define QC_CMD_MAX	512		/* a command line */
#define QC_ALPN_MAX	64
#define QC_NAME_MAX	64
#define QC_STREAMS_MAX	100		/* the default max_streams_bidi */
#define QC_IDLE_US	(60 * USEC_PER_SEC)

enum qc_kind { QC_CLIENT, QC_SERVER, QC_TCP };
enum qc_auth { QC_AUTH_NONE, QC_AUTH_X509, QC_AUTH_PSK };
enum qc_phase { QC_QUEUED, QC_LISTENING, QC_RUNNING, QC_DONE };

static const char *const qc_kind_name[] = { "client", "server", "tcp" };
static const char *const qc_state_name[] = {
	"queued", "listening", "running", "done"
};

/*
 * One command.  What was asked is set before the work is queued and not
 * written again; the results are written under qc_lock; the cb_* fields
 * by ta_done (qc_hs_done()) before it completes @hs_done, read by the
 * work after it.
 */
struct qc_cmd {
	struct list_head	list;		/* in qc_cmds, under qc_lock */
	struct work_struct	work;
	struct completion	hs_done;

	u32			id;
	enum qc_kind		kind;
	enum qc_auth		auth;
	struct sockaddr_storage	addr;
	int			addrlen;
	char			alpn[QC_ALPN_MAX];
	char			peer[QC_NAME_MAX];
	key_serial_t		cert, key, psk;
	u32			tmo_ms, wait_ms, life_ms, streams, bytes;

	enum qc_phase		state;
	int			status;
	int			hs_status;
	key_serial_t		peerid;
	bool			cancelled;
	u16			port;
	u64			checked;
	u64			hs_ns;
	const char		*stage;

	u64			hs_start;
	int			cb_status;
	key_serial_t		cb_peerid;
	u64			cb_ns;
};

static LIST_HEAD(qc_cmds);
static DEFINE_MUTEX(qc_lock);
static struct workqueue_struct *qc_wq;
static struct dentry *qc_dir;
static bool qc_stopping;

/* byte @off of stream @s: what a client sends and expects back */
static u8 qc_byte(u32 s, u64 off)
{
	return (u8)(s * 131 + off * 7 + (off >> 10));
}

static void qc_publish(struct qc_cmd *cmd, enum qc_phase state,
		       const char *stage, int status)
{
	mutex_lock(&qc_lock);
	cmd->state = state;
	cmd->stage = stage;
	cmd->status = status;
	mutex_unlock(&qc_lock);
}

static void qc_add_checked(struct qc_cmd *cmd, u64 n)
{
	mutex_lock(&qc_lock);
	cmd->checked += n;
	mutex_unlock(&qc_lock);
}

static bool qc_over(unsigned long deadline)
{
	return READ_ONCE(qc_stopping) || time_after_eq(jiffies, deadline);
}

static int qc_over_errno(void)
{
	return READ_ONCE(qc_stopping) ? -ECANCELED : -ETIMEDOUT;
}

/* ta_done: net/handshake calls it once per submitted request, unless
 * tls_handshake_cancel() got there first.
 */
static void qc_hs_done(void *data, int status, key_serial_t peerid)
{
	struct qc_cmd *cmd = data;

	cmd->cb_ns = ktime_get_ns() - cmd->hs_start;
	cmd->cb_status = status;
	cmd->cb_peerid = peerid;
	complete(&cmd->hs_done);
}

/* A socket of ours with a file (net/handshake hands the file to the
 * daemon); on success the caller ends it with fput(*filep).
 */
static int qc_socket(struct qc_cmd *cmd, int type, int proto,
		     struct socket **sockp, struct file **filep)
{
	struct socket *sock;
	struct file *file;
	int err;

	err = sock_create_kern(&init_net, cmd->addr.ss_family, type, proto,
			       &sock);
	if (err)
		return err;
	file = sock_alloc_file(sock, 0, NULL);
	if (IS_ERR(file))
		return PTR_ERR(file);	/* it released @sock */
	*sockp = sock;
	*filep = file;
	return 0;
}

static void qc_set_timeouts(struct socket *sock, long timeo)
{
	WRITE_ONCE(sock->sk->sk_rcvtimeo, timeo);
	WRITE_ONCE(sock->sk->sk_sndtimeo, timeo);
}

/*
 * The ALPN and a transport parameter, set and read back through
 * quic_do_setsockopt()/quic_do_getsockopt() with kernel pointers.
 */
static int qc_set_params(struct qc_cmd *cmd, struct sock *sk)
{
	struct quic_transport_param tp = {};
	char alpn[QC_ALPN_MAX];
	int len, err;

	if (cmd->alpn[0]) {
		err = quic_do_setsockopt(sk, QUIC_SOCKOPT_ALPN,
					 KERNEL_SOCKPTR(cmd->alpn),
					 strlen(cmd->alpn));
		if (err)
			return err;
		len = sizeof(alpn);
		err = quic_do_getsockopt(sk, QUIC_SOCKOPT_ALPN,
					 KERNEL_SOCKPTR(alpn),
					 KERNEL_SOCKPTR(&len));
		if (err)
			return err;
		/* the length counts the NUL it ends with */
		if (len != strlen(cmd->alpn) + 1 || strcmp(alpn, cmd->alpn))
			return -EPROTO;
	}

	len = sizeof(tp);
	err = quic_do_getsockopt(sk, QUIC_SOCKOPT_TRANSPORT_PARAM,
				 KERNEL_SOCKPTR(&tp), KERNEL_SOCKPTR(&len));
	if (err)
		return err;
	tp.max_idle_timeout = QC_IDLE_US;
	err = quic_do_setsockopt(sk, QUIC_SOCKOPT_TRANSPORT_PARAM,
				 KERNEL_SOCKPTR(&tp), sizeof(tp));
	if (err)
		return err;
	memset(&tp, 0, sizeof(tp));
	len = sizeof(tp);
	err = quic_do_getsockopt(sk, QUIC_SOCKOPT_TRANSPORT_PARAM,
				 KERNEL_SOCKPTR(&tp), KERNEL_SOCKPTR(&len));
	if (err)
		return err;
	return tp.max_idle_timeout == QC_IDLE_US ? 0 : -EPROTO;
}

static int qc_hs_submit(struct qc_cmd *cmd, struct socket *sock, bool server)
{
	struct tls_handshake_args args = {
		.ta_sock	= sock,
		.ta_done	= qc_hs_done,
		.ta_data	= cmd,
		.ta_peername	= cmd->peer[0] ? cmd->peer : NULL,
		.ta_timeout_ms	= cmd->tmo_ms,
	};

	switch (cmd->auth) {
	case QC_AUTH_X509:
		args.ta_my_cert = cmd->cert;
		args.ta_my_privkey = cmd->key;
		return server ? tls_server_hello_x509(&args, GFP_KERNEL) :
				tls_client_hello_x509(&args, GFP_KERNEL);
	case QC_AUTH_PSK:
		args.ta_num_peerids = 1;
		args.ta_my_peerids[0] = cmd->psk;
		return server ? tls_server_hello_psk(&args, GFP_KERNEL) :
				tls_client_hello_psk(&args, GFP_KERNEL);
	default:
		return server ? -EINVAL : tls_client_hello_anon(&args,
								GFP_KERNEL);
	}
}

/*
 * Request the handshake and wait for ta_done, at most wait_ms; past that
 * (or at unload) cancel it.  When tls_handshake_cancel() loses the race,
 * ta_done has run or is running: wait for it, it owns @cmd until then.
 */
static int qc_handshake(struct qc_cmd *cmd, struct socket *sock, bool server)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(cmd->wait_ms);
	int err;

	/* net/handshake bounds the requests not yet taken by the daemon, per
	 * namespace (5 in a 2 GB guest): -EAGAIN is "try again later"
	 */
	cmd->hs_start = ktime_get_ns();
	while ((err = qc_hs_submit(cmd, sock, server)) == -EAGAIN &&
	       !qc_over(deadline))
		schedule_timeout_uninterruptible(QC_SLICE / 5 + 1);
	if (err)
		return err;
	while (!wait_for_completion_timeout(&cmd->hs_done, QC_SLICE)) {
		if (!qc_over(deadline))
			continue;
		if (tls_handshake_cancel(sock->sk)) {
			err = qc_over_errno();
			mutex_lock(&qc_lock);
			cmd->hs_status = err;
			cmd->cancelled = true;
			cmd->hs_ns = ktime_get_ns() - cmd->hs_start;
			mutex_unlock(&qc_lock);
			return err;
		}
		wait_for_completion(&cmd->hs_done);
		break;
	}
	mutex_lock(&qc_lock);
	cmd->hs_status = cmd->cb_status;
	cmd->peerid = cmd->cb_peerid;
	cmd->hs_ns = cmd->cb_ns;
	mutex_unlock(&qc_lock);
	return cmd->cb_status;
}

union qc_cmsg {
	struct cmsghdr	hdr;
	u8		buf[CMSG_SPACE(sizeof(struct quic_stream_info))];
};

/* sendmsg on a stream, the stream cmsg in kernel memory (none for TCP) */
static int qc_send(struct socket *sock, bool quic, s64 sid, u32 sflags,
		   void *buf, size_t len, int flags)
{
	struct msghdr msg = { .msg_flags = flags | MSG_NOSIGNAL };
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	struct quic_stream_info *si;
	union qc_cmsg ctl = {};

	if (quic) {
		ctl.hdr.cmsg_level = SOL_QUIC;
		ctl.hdr.cmsg_type = QUIC_STREAM_INFO;
		ctl.hdr.cmsg_len = CMSG_LEN(sizeof(*si));
		si = (struct quic_stream_info *)CMSG_DATA(&ctl.hdr);
		si->stream_id = sid;
		si->stream_flags = sflags;
		msg.msg_control = &ctl;
		msg.msg_controllen = sizeof(ctl);
	}
	return kernel_sendmsg(sock, &msg, &iov, 1, len);
}

/*
 * recvmsg, the stream cmsg into kernel memory.  Returns the bytes read
 * with their stream in *@sid and whether they end it in *@fin; 0 with
 * *@sid -1 is the end of the connection.  On kTLS (!@quic) a record
 * that is not application data (a TLS 1.3 NewSessionTicket the daemon's
 * GnuTLS left unread) comes with its type in a cmsg, as for any kTLS
 * consumer: it is dropped (-EAGAIN).
 */
static int qc_recv(struct socket *sock, bool quic, void *buf, size_t len,
		   int flags, s64 *sid, bool *fin)
{
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	struct quic_stream_info *si;
	union qc_cmsg ctl = {};
	struct msghdr msg = {};
	u8 type;
	int ret;

	*sid = -1;
	*fin = false;
	msg.msg_control = &ctl;
	msg.msg_controllen = sizeof(ctl);
	ret = kernel_recvmsg(sock, &msg, &iov, 1, len, flags);
	if (ret < 0)
		return ret;
	if (!quic) {
		type = tls_get_record_type(sock->sk, &ctl.hdr);
		if (type && type != TLS_RECORD_TYPE_DATA)
			return -EAGAIN;
		if (ret > 0)
			*sid = 0;
		return ret;
	}
	if (msg.msg_flags & (MSG_QUIC_NOTIFICATION | MSG_QUIC_DATAGRAM))
		return -EPROTO;		/* none was asked for */
	if (ctl.hdr.cmsg_level != SOL_QUIC ||
	    ctl.hdr.cmsg_type != QUIC_STREAM_INFO ||
	    ctl.hdr.cmsg_len < CMSG_LEN(sizeof(*si)))
		return ret ? -EPROTO : 0;
	si = (struct quic_stream_info *)CMSG_DATA(&ctl.hdr);
	*sid = si->stream_id;
	*fin = si->stream_flags & MSG_QUIC_STREAM_FIN;
	return ret;
}

/* a client's per-stream progress */
struct qc_flow {
	u64	sent;
	u64	recvd;
	bool	fin;
};

/* the next chunk of some stream not fully sent; -EAGAIN: none could go */
static int qc_client_send(struct qc_cmd *cmd, struct socket *sock, bool quic,
			  struct qc_flow *f, u8 *buf, u32 *next)
{
	u32 i, s, n, flags;
	int ret;

	for (i = 0; i < cmd->streams; i++) {
		s = (*next + i) % cmd->streams;
		if (f[s].sent < cmd->bytes)
			break;
	}
	if (i == cmd->streams)
		return 0;
	*next = s + 1;
	n = min_t(u64, QC_CHUNK, cmd->bytes - f[s].sent);
	for (i = 0; i < n; i++)
		buf[i] = qc_byte(s, f[s].sent + i);
	flags = f[s].sent ? 0 : MSG_QUIC_STREAM_NEW;
	if (f[s].sent + n == cmd->bytes)
		flags |= MSG_QUIC_STREAM_FIN;
	ret = qc_send(sock, quic, (s64)s * 4, flags, buf, n, MSG_DONTWAIT);
	if (ret > 0)
		f[s].sent += ret;
	return ret;
}

/* what came back: the bytes sent, in order, then FIN; -EBADMSG if not */
static int qc_client_recv(struct qc_cmd *cmd, struct socket *sock, bool quic,
			  struct qc_flow *f, u8 *buf, int flags)
{
	bool fin;
	int ret, i;
	s64 sid;
	u32 s;

	ret = qc_recv(sock, quic, buf, QC_CHUNK, flags, &sid, &fin);
	if (ret < 0)
		return ret;
	if (sid < 0)
		return -ECONNRESET;	/* the peer closed early */
	if (sid % 4 || sid / 4 >= cmd->streams)
		return -EBADMSG;
	s = sid / 4;
	if (f[s].fin || f[s].recvd + ret > f[s].sent)
		return -EBADMSG;
	for (i = 0; i < ret; i++)
		if (buf[i] != qc_byte(s, f[s].recvd + i))
			return -EBADMSG;
	f[s].recvd += ret;
	if (fin || !quic)
		f[s].fin = fin || f[s].recvd == cmd->bytes;
	if (f[s].fin && f[s].recvd != cmd->bytes)
		return -EBADMSG;
	qc_add_checked(cmd, ret);
	return ret;
}

static bool qc_client_all_back(struct qc_cmd *cmd, struct qc_flow *f)
{
	u32 s;

	for (s = 0; s < cmd->streams; s++)
		if (!f[s].fin)
			return false;
	return true;
}

/* stream 0 opened with QUIC_SOCKOPT_STREAM_OPEN, a value-result option
 * through quic_do_getsockopt() in kernel memory (the others open with
 * their first sendmsg)
 */
static int qc_open_first(struct socket *sock)
{
	struct quic_stream_info si = { .stream_id = -1 };
	int len = sizeof(si), err;

	err = quic_do_getsockopt(sock->sk, QUIC_SOCKOPT_STREAM_OPEN,
				 KERNEL_SOCKPTR(&si), KERNEL_SOCKPTR(&len));
	if (err)
		return err;
	return si.stream_id == 0 && len == sizeof(si) ? 0 : -EPROTO;
}

/*
 * Send every stream and check the echo, interleaved so that neither
 * side's flow control window can block the other.
 */
static int qc_client_data(struct qc_cmd *cmd, struct socket *sock, bool quic)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(cmd->life_ms);
	struct qc_flow *f;
	u32 next = 0;
	int ret = 0;
	u8 *buf;

	if (!cmd->streams)
		return 0;
	f = kcalloc(cmd->streams, sizeof(*f), GFP_KERNEL);
	buf = kmalloc(QC_CHUNK, GFP_KERNEL);
	if (!f || !buf) {
		ret = -ENOMEM;
		goto out;
	}
	qc_set_timeouts(sock, QC_SLICE);
	if (quic) {
		ret = qc_open_first(sock);
		if (ret)
			goto out;
	}
	while (!qc_client_all_back(cmd, f)) {
		if (qc_over(deadline)) {
			ret = qc_over_errno();
			break;
		}
		ret = qc_client_send(cmd, sock, quic, f, buf, &next);
		if (ret < 0 && ret != -EAGAIN)
			break;
		/* wait for the echo only when nothing could be sent */
		ret = qc_client_recv(cmd, sock, quic, f, buf,
				     ret > 0 ? MSG_DONTWAIT : 0);
		if (ret < 0 && ret != -EAGAIN)
			break;
		ret = 0;
	}
out:
	kfree(buf);
	kfree(f);
	return ret;
}

static void qc_client(struct qc_cmd *cmd)
{
	bool quic = cmd->kind == QC_CLIENT;
	struct socket *sock;
	struct file *file;
	int err;

	err = quic ? qc_socket(cmd, SOCK_DGRAM, IPPROTO_QUIC, &sock, &file) :
		     qc_socket(cmd, SOCK_STREAM, IPPROTO_TCP, &sock, &file);
	if (err) {
		qc_publish(cmd, QC_DONE, "socket", err);
		return;
	}
	if (quic) {
		err = qc_set_params(cmd, sock->sk);
		if (err) {
			qc_publish(cmd, QC_DONE, "sockopt", err);
			goto out;
		}
	} else {
		/* a blocking TCP connect, within our bound */
		qc_set_timeouts(sock, msecs_to_jiffies(cmd->wait_ms));
	}
	err = kernel_connect(sock, (void *)&cmd->addr, cmd->addrlen, 0);
	if (err) {
		qc_publish(cmd, QC_DONE, "connect", err);
		goto out;
	}
	qc_set_timeouts(sock, MAX_SCHEDULE_TIMEOUT);
	qc_publish(cmd, QC_RUNNING, "handshake", 0);
	err = qc_handshake(cmd, sock, false);
	if (err) {
		qc_publish(cmd, QC_DONE, "handshake", err);
		goto out;
	}
	qc_publish(cmd, QC_RUNNING, "data", 0);
	err = qc_client_data(cmd, sock, quic);
	qc_publish(cmd, QC_DONE, err ? "data" : "end", err);
out:
	fput(file);	/* closes the connection */
}

/* one connection, accepted within the bound; its socket gets a file */
static int qc_accept(struct qc_cmd *cmd, struct socket *lsock,
		     struct socket **sockp, struct file **filep)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(cmd->life_ms);
	struct socket *sock;
	struct file *file;
	int err;

	qc_set_timeouts(lsock, QC_SLICE);
	do {
		if (qc_over(deadline))
			return qc_over_errno();
		err = kernel_accept(lsock, &sock, 0);
	} while (err == -EAGAIN);
	if (err)
		return err;
	file = sock_alloc_file(sock, 0, NULL);
	if (IS_ERR(file))
		return PTR_ERR(file);
	qc_set_timeouts(sock, MAX_SCHEDULE_TIMEOUT);
	*sockp = sock;
	*filep = file;
	return 0;
}

/* all of @buf on @sid, with FIN if @fin (on the call that ends it) */
static int qc_echo_send(struct socket *sock, s64 sid, bool fin, u8 *buf,
			int len, unsigned long deadline)
{
	u32 flags = fin ? MSG_QUIC_STREAM_FIN : 0;
	int ret, off = 0;

	do {
		if (qc_over(deadline))
			return qc_over_errno();
		ret = qc_send(sock, true, sid, flags, buf + off, len - off, 0);
		if (ret == -EAGAIN)
			continue;
		if (ret < 0)
			return ret;
		off += ret;
	} while (off < len);
	return 0;
}

/*
 * Echo every stream until the peer closes the connection (a normal end:
 * status 0) or the bound runs out.
 */
static int qc_echo(struct qc_cmd *cmd, struct socket *sock)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(cmd->life_ms);
	int ret, err = 0;
	bool fin;
	s64 sid;
	u8 *buf;

	buf = kmalloc(QC_CHUNK, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	qc_set_timeouts(sock, QC_SLICE);
	for (;;) {
		if (qc_over(deadline)) {
			err = qc_over_errno();
			break;
		}
		ret = qc_recv(sock, true, buf, QC_CHUNK, 0, &sid, &fin);
		if (ret == -EAGAIN)
			continue;
		if (ret == -ECONNRESET || ret == -ENOTCONN || ret == -EPIPE ||
		    (!ret && sid < 0))
			break;	/* the peer closed */
		if (ret < 0) {
			err = ret;
			break;
		}
		/* a FIN alone (0 bytes) goes back as one too */
		err = qc_echo_send(sock, sid, fin, buf, ret, deadline);
		if (err)
			break;
		qc_add_checked(cmd, ret);
	}
	kfree(buf);
	return err;
}

static int qc_listen(struct qc_cmd *cmd, struct socket *lsock)
{
	struct sockaddr_storage ss = {};
	int err;

	err = qc_set_params(cmd, lsock->sk);
	if (err)
		return err;
	err = kernel_bind(lsock, (void *)&cmd->addr, cmd->addrlen);
	if (err)
		return err;
	err = kernel_listen(lsock, 4);
	if (err)
		return err;
	err = kernel_getsockname(lsock, (struct sockaddr *)&ss);
	if (err < 0)
		return err;
	mutex_lock(&qc_lock);
	cmd->port = ntohs(ss.ss_family == AF_INET6 ?
			  ((struct sockaddr_in6 *)&ss)->sin6_port :
			  ((struct sockaddr_in *)&ss)->sin_port);
	cmd->state = QC_LISTENING;
	mutex_unlock(&qc_lock);
	return 0;
}

static void qc_server(struct qc_cmd *cmd)
{
	struct socket *lsock, *sock;
	struct file *lfile, *file;
	int err;

	err = qc_socket(cmd, SOCK_DGRAM, IPPROTO_QUIC, &lsock, &lfile);
	if (err) {
		qc_publish(cmd, QC_DONE, "socket", err);
		return;
	}
	err = qc_listen(cmd, lsock);
	if (!err)
		err = qc_accept(cmd, lsock, &sock, &file);
	fput(lfile);	/* one connection only */
	if (err) {
		qc_publish(cmd, QC_DONE, cmd->port ? "accept" : "listen", err);
		return;
	}
	qc_publish(cmd, QC_RUNNING, "handshake", 0);
	err = qc_handshake(cmd, sock, true);
	if (err) {
		qc_publish(cmd, QC_DONE, "handshake", err);
		goto out;
	}
	qc_publish(cmd, QC_RUNNING, "echo", 0);
	err = qc_echo(cmd, sock);
	qc_publish(cmd, QC_DONE, err ? "data" : "end", err);
out:
	fput(file);
}

static void qc_work(struct work_struct *work)
{
	struct qc_cmd *cmd = container_of(work, struct qc_cmd, work);

	qc_publish(cmd, QC_RUNNING, "start", 0);
	if (cmd->kind == QC_SERVER)
		qc_server(cmd);
	else
		qc_client(cmd);
}

/* "a.b.c.d" or an IPv6 address, and the port, into @cmd->addr */
static int qc_parse_addr(struct qc_cmd *cmd, const char *s, u16 port)
{
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&cmd->addr;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&cmd->addr;

	memset(&cmd->addr, 0, sizeof(cmd->addr));
	if (in4_pton(s, -1, (u8 *)&a4->sin_addr, -1, NULL)) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		cmd->addrlen = sizeof(*a4);
		return 0;
	}
	if (in6_pton(s, -1, a6->sin6_addr.s6_addr, -1, NULL)) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		cmd->addrlen = sizeof(*a6);
		return 0;
	}
	return -EINVAL;
}

static int qc_parse_auth(struct qc_cmd *cmd, const char *v)
{
	if (!strcmp(v, "none"))
		cmd->auth = QC_AUTH_NONE;
	else if (!strcmp(v, "x509"))
		cmd->auth = QC_AUTH_X509;
	else if (!strcmp(v, "psk"))
		cmd->auth = QC_AUTH_PSK;
	else
		return -EINVAL;
	return 0;
}

static int qc_parse_str(char *dst, size_t size, const char *v)
{
	return strscpy(dst, v, size) < 0 ? -EINVAL : 0;
}

/* one key=value word; the address is kept for later (it needs the port) */
static int qc_parse_word(struct qc_cmd *cmd, char *k, char *v, u16 *port,
			 char **addr)
{
	if (!strcmp(k, "addr")) {
		*addr = v;
		return 0;
	}
	if (!strcmp(k, "port"))
		return kstrtou16(v, 0, port);
	if (!strcmp(k, "alpn"))
		return qc_parse_str(cmd->alpn, sizeof(cmd->alpn), v);
	if (!strcmp(k, "peer"))
		return qc_parse_str(cmd->peer, sizeof(cmd->peer), v);
	if (!strcmp(k, "auth"))
		return qc_parse_auth(cmd, v);
	if (!strcmp(k, "id"))
		return kstrtou32(v, 0, &cmd->id);
	if (!strcmp(k, "cert"))
		return kstrtos32(v, 0, &cmd->cert);
	if (!strcmp(k, "key"))
		return kstrtos32(v, 0, &cmd->key);
	if (!strcmp(k, "psk"))
		return kstrtos32(v, 0, &cmd->psk);
	if (!strcmp(k, "tmo"))
		return kstrtou32(v, 0, &cmd->tmo_ms);
	if (!strcmp(k, "wait"))
		return kstrtou32(v, 0, &cmd->wait_ms);
	if (!strcmp(k, "life"))
		return kstrtou32(v, 0, &cmd->life_ms);
	if (!strcmp(k, "streams"))
		return kstrtou32(v, 0, &cmd->streams);
	if (!strcmp(k, "bytes"))
		return kstrtou32(v, 0, &cmd->bytes);
	return -EINVAL;
}

static int qc_parse(struct qc_cmd *cmd, char *line)
{
	char *w, *v, *addr = NULL;
	bool have_id = false;
	u16 port = 0;
	int err;

	while ((w = strsep(&line, " \t\n"))) {
		if (!*w)
			continue;
		v = strchr(w, '=');
		if (!v)
			return -EINVAL;
		*v++ = '\0';
		have_id |= !strcmp(w, "id");
		err = qc_parse_word(cmd, w, v, &port, &addr);
		if (err)
			return err;
	}
	if (!have_id || !addr || qc_parse_addr(cmd, addr, port))
		return -EINVAL;
	if (cmd->kind != QC_SERVER && !port)
		return -EINVAL;
	if (cmd->kind == QC_SERVER && cmd->auth == QC_AUTH_NONE)
		return -EINVAL;		/* net/handshake has no anon server */
	if (cmd->streams > QC_STREAMS_MAX || (cmd->streams && !cmd->bytes))
		return -EINVAL;
	if (cmd->kind == QC_TCP && cmd->streams > 1)
		return -EINVAL;
	if (!cmd->wait_ms || !cmd->life_ms)
		return -EINVAL;
	return 0;
}

static struct qc_cmd *qc_find(u32 id)
{
	struct qc_cmd *cmd;

	list_for_each_entry(cmd, &qc_cmds, list)
		if (cmd->id == id)
			return cmd;
	return NULL;
}

static void qc_clear(void)
{
	struct qc_cmd *cmd, *tmp;

	mutex_lock(&qc_lock);
	list_for_each_entry_safe(cmd, tmp, &qc_cmds, list) {
		if (cmd->state != QC_DONE)
			continue;
		list_del(&cmd->list);
		kfree(cmd);
	}
	mutex_unlock(&qc_lock);
}

static int qc_command(char *line)
{
	struct qc_cmd *cmd;
	char *verb;
	int err;

	verb = strsep(&line, " \t\n");
	if (!strcmp(verb, "clear") && (!line || !strim(line)[0])) {
		qc_clear();
		return 0;
	}
	cmd = kzalloc(sizeof(*cmd), GFP_KERNEL);
	if (!cmd)
		return -ENOMEM;
	err = -EINVAL;
	if (!strcmp(verb, "client"))
		cmd->kind = QC_CLIENT;
	else if (!strcmp(verb, "server"))
		cmd->kind = QC_SERVER;
	else if (!strcmp(verb, "tcp"))
		cmd->kind = QC_TCP;
	else
		goto out_free;
	cmd->auth = QC_AUTH_X509;
	cmd->wait_ms = 20000;
	cmd->life_ms = 30000;
	cmd->stage = "queued";
	INIT_WORK(&cmd->work, qc_work);
	init_completion(&cmd->hs_done);
	err = qc_parse(cmd, line ? line : "");
	if (err)
		goto out_free;

	mutex_lock(&qc_lock);
	err = -ESHUTDOWN;
	if (READ_ONCE(qc_stopping))
		goto out_unlock;
	err = -EEXIST;
	if (qc_find(cmd->id))
		goto out_unlock;
	list_add_tail(&cmd->list, &qc_cmds);
	queue_work(qc_wq, &cmd->work);
	mutex_unlock(&qc_lock);
	return 0;

out_unlock:
	mutex_unlock(&qc_lock);
out_free:
	kfree(cmd);
	return err;
}

static ssize_t qc_ctl_write(struct file *file, const char __user *ubuf,
			    size_t len, loff_t *ppos)
{
	char *line;
	int err;

	if (!len || len >= QC_CMD_MAX)
		return -EINVAL;
	line = memdup_user_nul(ubuf, len);
	if (IS_ERR(line))
		return PTR_ERR(line);
	err = qc_command(line);
	kfree(line);
	return err ? err : len;
}

static int qc_ctl_show(struct seq_file *m, void *v)
{
	struct qc_cmd *cmd;
	unsigned int active = 0;

	mutex_lock(&qc_lock);
	list_for_each_entry(cmd, &qc_cmds, list)
		active += cmd->state != QC_DONE;
	seq_printf(m, "active=%u\n", active);
	list_for_each_entry(cmd, &qc_cmds, list)
		seq_printf(m, "id=%u kind=%s state=%s status=%d hs=%d cancel=%d peerid=%d port=%u checked=%llu hs_ns=%llu stage=%s\n",
			   cmd->id, qc_kind_name[cmd->kind],
			   qc_state_name[cmd->state], cmd->status,
			   cmd->hs_status, cmd->cancelled, cmd->peerid, cmd->port,
			   cmd->checked, cmd->hs_ns, cmd->stage);
	mutex_unlock(&qc_lock);
	return 0;
}

static int qc_ctl_open(struct inode *inode, struct file *file)
{
	return single_open(file, qc_ctl_show, NULL);
}

static const struct file_operations qc_ctl_fops = {
	.owner		= THIS_MODULE,
	.open		= qc_ctl_open,
	.read		= seq_read,
	.write		= qc_ctl_write,
	.llseek		= seq_lseek,
	.release	= single_release,
};

static int __init qc_init(void)
{
	qc_wq = alloc_workqueue("quic_consumer", WQ_UNBOUND, 0);
	if (!qc_wq)
		return -ENOMEM;
	qc_dir = debugfs_create_dir("quic_consumer", NULL);
	debugfs_create_file("ctl", 0600, qc_dir, NULL, &qc_ctl_fops);
	return 0;
}

static void __exit qc_exit(void)
{
	struct qc_cmd *cmd, *tmp;

	debugfs_remove_recursive(qc_dir);	/* waits for writers */
	WRITE_ONCE(qc_stopping, true);
	destroy_workqueue(qc_wq);	/* each ends within a QC_SLICE */
	list_for_each_entry_safe(cmd, tmp, &qc_cmds, list) {
		list_del(&cmd->list);
		kfree(cmd);
	}
}

module_init(qc_init);
module_exit(qc_exit);
MODULE_DESCRIPTION("QUIC in-kernel consumer test: net/handshake and quic.ko");
MODULE_LICENSE("GPL");
