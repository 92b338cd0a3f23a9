// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * quic-handshaked netlink: the kernel's net/handshake generic netlink
 * family through libnl-genl-3.  libnl resolves the family and the group
 * and builds the requests; what comes back is read with recvmsg() and
 * checked by attrs.c, so that the sender's address (only the kernel,
 * port id 0, is listened to) and every length are ours to check.
 */

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "daemon.h"

/* Receive buffer: a READY is tiny, an ACCEPT reply under a page. */
#define HSD_NL_BUF		(64 * 1024)
/* How long a request waits for the kernel's answer. */
#define HSD_NL_REPLY_MS		5000
/* The multicast socket's receive buffer. */
#define HSD_NL_RCVBUF		(1024 * 1024)

static struct hsd_ratelimit hsd_nl_drop_rl;

static int hsd_nl_errno(int nlerr)
{
	switch (-nlerr) {
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
		return -EPERM;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_AGAIN:
		return -EAGAIN;
	default:
		return -EIO;
	}
}

/* A connected generic netlink socket. */
static struct nl_sock *hsd_nl_socket(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int ret;

	if (!sk) {
		hsd_err("allocating a netlink socket failed");
		return NULL;
	}
	ret = genl_connect(sk);
	if (ret) {
		hsd_err("connecting a generic netlink socket failed: %s",
			nl_geterror(ret));
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

int hsd_nl_open(struct hsd_nl *nl, int debug)
{
	int ret;

	memset(nl, 0, sizeof(*nl));
	nl_debug = debug;
	nl->ctl = hsd_nl_socket();
	if (!nl->ctl)
		return -EIO;
	nl->family = genl_ctrl_resolve(nl->ctl, HSD_FAMILY_NAME);
	if (nl->family < 0) {
		ret = hsd_nl_errno(nl->family);
		if (ret != -ENOENT)
			hsd_err("resolving the generic netlink family \"%s\" failed: %s",
				HSD_FAMILY_NAME, nl_geterror(nl->family));
		goto fail;
	}
	nl->group = genl_ctrl_resolve_grp(nl->ctl, HSD_FAMILY_NAME,
					  HSD_MCGRP_TLSHD);
	if (nl->group < 0) {
		hsd_err("resolving the multicast group \"%s\" of family \"%s\" failed: %s",
			HSD_MCGRP_TLSHD, HSD_FAMILY_NAME,
			nl_geterror(nl->group));
		ret = hsd_nl_errno(nl->group);
		if (ret == -ENOENT)	/* not "no family" */
			ret = -EIO;
		goto fail;
	}
	nl->mc = hsd_nl_socket();
	if (!nl->mc) {
		ret = -EIO;
		goto fail;
	}
	ret = nl_socket_set_buffer_size(nl->mc, HSD_NL_RCVBUF, 0);
	if (ret)
		hsd_warn("setting the multicast socket's buffer size failed: %s",
			 nl_geterror(ret));
	ret = nl_socket_add_membership(nl->mc, nl->group);
	if (ret) {
		hsd_err("joining the multicast group \"%s\" (%d) failed: %s",
			HSD_MCGRP_TLSHD, nl->group, nl_geterror(ret));
		ret = hsd_nl_errno(ret);
		goto fail;
	}
	ret = nl_socket_set_nonblocking(nl->mc);
	if (ret) {
		hsd_err("making the multicast socket non-blocking failed: %s",
			nl_geterror(ret));
		ret = -EIO;
		goto fail;
	}
	hsd_debug("family \"%s\" is %d, group \"%s\" is %d", HSD_FAMILY_NAME,
		  nl->family, HSD_MCGRP_TLSHD, nl->group);
	return 0;
fail:
	hsd_nl_close(nl);
	return ret;
}

void hsd_nl_close(struct hsd_nl *nl)
{
	if (nl->mc)
		nl_socket_free(nl->mc);
	if (nl->ctl)
		nl_socket_free(nl->ctl);
	nl->mc = NULL;
	nl->ctl = NULL;
}

int hsd_nl_mc_fd(const struct hsd_nl *nl)
{
	return nl_socket_get_fd(nl->mc);
}

/* recvmsg() one datagram; its sender's port id goes to *portid.  The
 * length, or a negative errno (-EMSGSIZE when it was cut).
 */
static ssize_t hsd_nl_recv(int fd, void *buf, size_t size, int flags,
			   uint32_t *portid)
{
	struct sockaddr_nl from;
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr msg = {
		.msg_name = &from,
		.msg_namelen = sizeof(from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	ssize_t n;

	do {
		n = recvmsg(fd, &msg, flags);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (msg.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	if (msg.msg_namelen < sizeof(from) || from.nl_family != AF_NETLINK)
		*portid = UINT32_MAX;
	else
		*portid = from.nl_pid;
	return n;
}

/* One datagram from the multicast socket: the READYs it holds. */
static int hsd_nl_mc_datagram(struct hsd_nl *nl, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh;
	const char *why = NULL;
	char err[256];
	const void *attrs;
	size_t off = 0, alen;
	int ready = 0, ret;

	while ((ret = hsd_nlmsg_next(buf, len, &off, &nlh)) > 0) {
		if (nlh->nlmsg_type == NLMSG_NOOP || nlh->nlmsg_type == NLMSG_DONE)
			continue;
		if (hsd_genl_payload(nlh, (uint16_t)nl->family, HSD_CMD_READY,
				     &attrs, &alen, &why)) {
			if (hsd_log_ratelimit(&hsd_nl_drop_rl))
				hsd_warn("a multicast message dropped: %s (type %u)",
					 why, nlh->nlmsg_type);
			continue;
		}
		ret = hsd_parse_ready(attrs, alen, err, sizeof(err));
		if (ret == -ENOENT) {
			hsd_debug("READY ignored: %s", err);
			continue;
		}
		if (ret) {
			if (hsd_log_ratelimit(&hsd_nl_drop_rl))
				hsd_warn("a malformed READY dropped: %s", err);
			continue;
		}
		ready++;
	}
	if (ret < 0 && hsd_log_ratelimit(&hsd_nl_drop_rl))
		hsd_warn("a multicast datagram with a malformed netlink header dropped");
	return ready;
}

int hsd_nl_read_ready(struct hsd_nl *nl, int *resync)
{
	int fd = hsd_nl_mc_fd(nl), ready = 0, rounds;
	uint32_t portid;
	ssize_t n;
	void *buf;

	buf = malloc(HSD_NL_BUF);
	if (!buf) {
		*resync = 1;
		return 0;
	}
	for (rounds = 0; rounds < 1024; rounds++) {
		n = hsd_nl_recv(fd, buf, HSD_NL_BUF, MSG_DONTWAIT, &portid);
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			break;
		if (n == -ENOBUFS) {
			hsd_warn("notifications were lost (ENOBUFS): asking the kernel for pending requests");
			*resync = 1;
			continue;
		}
		if (n == -EMSGSIZE) {
			if (hsd_log_ratelimit(&hsd_nl_drop_rl))
				hsd_warn("an oversized multicast datagram dropped");
			continue;
		}
		if (n < 0) {
			hsd_err("reading the multicast socket failed: %s",
				strerror((int)-n));
			*resync = 1;
			break;
		}
		if (portid != 0) {
			if (hsd_log_ratelimit(&hsd_nl_drop_rl))
				hsd_warn("a netlink message from port %u, not the kernel, dropped",
					 portid);
			continue;
		}
		ready += hsd_nl_mc_datagram(nl, buf, (size_t)n);
	}
	free(buf);
	return ready;
}

/* ------------------------------------------------------ requests */

/* What a request's answer brought. */
struct hsd_nl_answer {
	int		acked;		/* the NLMSG_ERROR that ends it came */
	int		error;		/* its code */
	int		replied;	/* a reply came (ACCEPT) */
	int		bad;		/* the reply failed the checks */
	struct hsd_accept *a;
};

static void hsd_nl_reject_fd(struct hsd_nl *nl, int fd, const char *err)
{
	struct hsd_result res = { .status = EINVAL };

	hsd_err("a malformed ACCEPT reply for socket %d: %s", fd, err);
	hsd_nl_done(nl->ctl, nl->family, fd, &res);
	close(fd);
}

static void hsd_nl_answer_msg(struct hsd_nl *nl, int family, uint8_t cmd,
			      const struct nlmsghdr *nlh,
			      struct hsd_nl_answer *ans)
{
	const char *why = NULL;
	const void *attrs;
	char err[256];
	size_t alen;

	if (nlh->nlmsg_type == NLMSG_ERROR) {
		if (hsd_nlmsg_error(nlh, &ans->error)) {
			hsd_warn("a malformed netlink error message");
			ans->error = -EIO;
		}
		ans->acked = 1;
		return;
	}
	if (!ans->a || ans->replied ||
	    hsd_genl_payload(nlh, (uint16_t)family, cmd, &attrs, &alen, &why)) {
		hsd_warn("an unexpected answer (type %u) dropped%s%s",
			 nlh->nlmsg_type, why ? ": " : "", why ? why : "");
		return;
	}
	ans->replied = 1;
	if (hsd_parse_accept(attrs, alen, ans->a, err, sizeof(err))) {
		ans->bad = 1;
		if (ans->a->sockfd >= 0 && nl)
			hsd_nl_reject_fd(nl, ans->a->sockfd, err);
		else
			hsd_err("a malformed ACCEPT reply dropped: %s", err);
	}
}

/*
 * Send @msg on @sk and read until the kernel acknowledges it (libnl asks
 * for an acknowledgement: NL_AUTO_ACK); a reply before it goes to @ans.
 * 0, or a negative errno for a request that got no answer.
 */
static int hsd_nl_transact(struct nl_sock *sk, struct hsd_nl *nl, int family,
			   uint8_t cmd, struct nl_msg *msg,
			   struct hsd_nl_answer *ans)
{
	int fd = nl_socket_get_fd(sk);
	const struct nlmsghdr *nlh;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int64_t end = hsd_now_ms() + HSD_NL_REPLY_MS;
	uint32_t seq, portid;
	int ret, drained = 0;
	size_t off;
	ssize_t n;
	void *buf;

	/* what waits there is stale or forged: it must not fill the buffer */
	while (hsd_nl_recv(fd, &pfd, sizeof(pfd), MSG_DONTWAIT | MSG_TRUNC,
			   &portid) != -EAGAIN && ++drained < 1024)
		;
	ret = nl_send_auto(sk, msg);
	if (ret < 0) {
		hsd_err("sending a netlink request (command %u) failed: %s",
			cmd, nl_geterror(ret));
		return hsd_nl_errno(ret);
	}
	seq = nlmsg_hdr(msg)->nlmsg_seq;
	buf = malloc(HSD_NL_BUF);
	if (!buf)
		return -ENOMEM;
	ret = -ETIMEDOUT;
	while (!ans->acked) {
		int64_t left = end - hsd_now_ms();

		if (left <= 0)
			break;
		n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		n = hsd_nl_recv(fd, buf, HSD_NL_BUF, MSG_DONTWAIT, &portid);
		if (n == -EAGAIN || n == -EWOULDBLOCK || n == -EMSGSIZE)
			continue;
		if (n < 0) {
			ret = (int)n;
			hsd_err("reading the answer to netlink command %u failed: %s",
				cmd, strerror((int)-n));
			break;
		}
		if (portid != 0) {
			if (hsd_log_ratelimit(&hsd_nl_drop_rl))
				hsd_warn("a netlink message from port %u, not the kernel, dropped",
					 portid);
			continue;
		}
		off = 0;
		while (hsd_nlmsg_next(buf, (size_t)n, &off, &nlh) > 0 &&
		       !ans->acked) {
			if (nlh->nlmsg_seq != seq) {
				hsd_debug("a stale answer (sequence %u, not %u) dropped",
					  nlh->nlmsg_seq, seq);
				continue;
			}
			hsd_nl_answer_msg(nl, family, cmd, nlh, ans);
		}
	}
	free(buf);
	if (ans->acked)
		return 0;
	if (ret == -ETIMEDOUT)
		hsd_err("the kernel did not answer netlink command %u in %d ms",
			cmd, HSD_NL_REPLY_MS);
	return ret;
}

static struct nl_msg *hsd_nl_msg(int family, uint8_t cmd)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0, cmd,
			 HSD_FAMILY_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int hsd_nl_accept(struct hsd_nl *nl, struct hsd_accept *a)
{
	struct hsd_nl_answer ans = { .a = a };
	struct nl_msg *msg;
	int ret;

	memset(a, 0, sizeof(*a));
	a->sockfd = -1;
	msg = hsd_nl_msg(nl->family, HSD_CMD_ACCEPT);
	if (!msg || nla_put_u32(msg, HSD_A_ACCEPT_HANDLER_CLASS,
				HSD_HANDLER_CLASS_TLSHD)) {
		hsd_err("building an ACCEPT request failed");
		if (msg)
			nlmsg_free(msg);
		return -ENOMEM;
	}
	ret = hsd_nl_transact(nl->ctl, nl, nl->family, HSD_CMD_ACCEPT, msg,
			      &ans);
	nlmsg_free(msg);
	if (ret)
		return ret;
	if (ans.replied && !ans.bad && !ans.error)
		return 1;
	if (ans.bad)
		return -EBADMSG;
	if (ans.error == -EAGAIN)
		return 0;
	if (ans.error) {
		hsd_err("ACCEPT failed: %s%s", strerror(-ans.error),
			ans.error == -EPERM ?
			" (handling requests needs CAP_NET_ADMIN)" : "");
		return ans.error;
	}
	hsd_err("the kernel acknowledged ACCEPT without a reply");
	return -EIO;
}

int hsd_nl_done(struct nl_sock *sk, int family, int sockfd,
		const struct hsd_result *res)
{
	struct hsd_nl_answer ans = { 0 };
	struct nl_sock *own = NULL;
	struct nl_msg *msg;
	uint32_t status = res->status > 4095 ? EIO : res->status;
	unsigned int i;
	int ret = -ENOMEM;

	if (!sk) {
		own = hsd_nl_socket();
		if (!own)
			return -EIO;
		sk = own;
	}
	msg = hsd_nl_msg(family, HSD_CMD_DONE);
	if (!msg || nla_put_u32(msg, HSD_A_DONE_STATUS, status) ||
	    nla_put_s32(msg, HSD_A_DONE_SOCKFD, sockfd)) {
		hsd_err("building a DONE message for socket %d failed", sockfd);
		goto out;
	}
	for (i = 0; i < res->nremote && i < HSD_PEERIDS_MAX; i++)
		if (nla_put_u32(msg, HSD_A_DONE_REMOTE_AUTH,
				(uint32_t)res->remote[i])) {
			hsd_err("building a DONE message for socket %d failed",
				sockfd);
			goto out;
		}
	ret = hsd_nl_transact(sk, NULL, family, HSD_CMD_DONE, msg, &ans);
	if (!ret && ans.error) {
		ret = ans.error;
		hsd_err("DONE for socket %d (status %u) refused: %s", sockfd,
			status, strerror(-ret));
	} else if (!ret) {
		hsd_debug("DONE for socket %d: status %u", sockfd, status);
	}
out:
	if (msg)
		nlmsg_free(msg);
	if (own)
		nl_socket_free(own);
	return ret;
}
