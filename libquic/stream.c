// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libquic stream helpers: sendmsg()/recvmsg() with the stream ID and
 * stream flags carried in a QUIC_STREAM_INFO cmsg (level SOL_QUIC).
 */

#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "internal.h"

/* Room for the stream info and for whatever else the kernel may add
 * (e.g. IP-level items the application enabled); extra items are
 * skipped, and cut ones are reported by MSG_CTRUNC as usual.
 */
#define QUIC_RECV_CMSG_SPACE	(CMSG_SPACE(sizeof(struct quic_stream_info)) + 256)

/**
 * quic_sendmsg - send data on a stream
 * @sockfd: a QUIC socket
 * @msg: the data
 * @len: its length
 * @sid: the stream ID
 * @flags: MSG_QUIC_STREAM_* flags (new, fin, uni, dontwait) for the
 *	stream, and sendmsg() flags (MSG_DONTWAIT, MSG_QUIC_DATAGRAM, ...);
 *	they go both into the stream info and to sendmsg()
 *
 * Return: the number of bytes the kernel took, or -1 with errno set.
 */
QUIC_EXPORT ssize_t quic_sendmsg(int sockfd, const void *msg, size_t len,
				 int64_t sid, uint32_t flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct quic_stream_info))];
		struct cmsghdr align;
	} ctl;
	struct quic_stream_info info;
	struct msghdr m = {};
	struct cmsghdr *cmsg;
	struct iovec iov;

	iov.iov_base = (void *)msg;
	iov.iov_len = len;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	memset(&ctl, 0, sizeof(ctl));
	m.msg_control = ctl.buf;
	m.msg_controllen = sizeof(ctl.buf);

	cmsg = CMSG_FIRSTHDR(&m);
	cmsg->cmsg_level = SOL_QUIC;
	cmsg->cmsg_type = QUIC_STREAM_INFO;
	cmsg->cmsg_len = CMSG_LEN(sizeof(info));
	memset(&info, 0, sizeof(info));
	info.stream_id = sid;
	info.stream_flags = flags;
	memcpy(CMSG_DATA(cmsg), &info, sizeof(info));

	return sendmsg(sockfd, &m, (int)flags);
}

/**
 * quic_recvmsg - receive data and the stream it belongs to
 * @sockfd: a QUIC socket
 * @msg: buffer for the data
 * @len: its size
 * @sid: out: the stream ID (left as it was when the kernel attached no
 *	stream info, e.g. for an event or a datagram); may be NULL
 * @flags: in: recvmsg() flags (e.g. MSG_DONTWAIT), or NULL for none;
 *	out: msg_flags of the message (MSG_QUIC_NOTIFICATION,
 *	MSG_QUIC_DATAGRAM, MSG_EOR, ...) together with the stream flags
 *	(MSG_QUIC_STREAM_FIN, ...) from the stream info
 *
 * Return: the number of bytes received, or -1 with errno set.
 */
QUIC_EXPORT ssize_t quic_recvmsg(int sockfd, void *msg, size_t len,
				 int64_t *sid, uint32_t *flags)
{
	union {
		char buf[QUIC_RECV_CMSG_SPACE];
		struct cmsghdr align;
	} ctl;
	struct quic_stream_info info;
	struct msghdr m = {};
	struct cmsghdr *cmsg;
	struct iovec iov;
	ssize_t ret;

	iov.iov_base = msg;
	iov.iov_len = len;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.buf;
	m.msg_controllen = sizeof(ctl.buf);

	ret = recvmsg(sockfd, &m, flags ? (int)*flags : 0);
	if (ret < 0)
		return ret;

	if (flags)
		*flags = (uint32_t)m.msg_flags;
	for (cmsg = CMSG_FIRSTHDR(&m); cmsg; cmsg = CMSG_NXTHDR(&m, cmsg)) {
		if (cmsg->cmsg_level != SOL_QUIC ||
		    cmsg->cmsg_type != QUIC_STREAM_INFO ||
		    cmsg->cmsg_len < CMSG_LEN(sizeof(info)))
			continue;
		memcpy(&info, CMSG_DATA(cmsg), sizeof(info));
		if (sid)
			*sid = info.stream_id;
		if (flags)
			*flags |= info.stream_flags;
		break;
	}
	return ret;
}
