// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QUIC frames we send: encoded once, when queued, into struct quic_frame
 * (RFC 9000 section 19).
 */

#include <linux/slab.h>
#include <linux/uio.h>
#include <net/sock.h>

#include "socket.h"
#include "varint.h"

/* room for the CRYPTO frame header ahead of its data */
#define QUIC_CRYPTO_FRAME_DATA	1100

struct quic_frame *quic_frame_alloc(unsigned int len, gfp_t gfp)
{
	struct quic_frame *f;

	if (len > U16_MAX)
		return NULL;
	f = kmalloc(struct_size(f, buf, len), gfp);
	if (!f)
		return NULL;
	INIT_LIST_HEAD(&f->list);
	f->stream_id = -1;
	f->offset = 0;
	f->data_len = 0;
	f->len = len;
	f->fin = 0;
	return f;
}

/**
 * quic_frame_build - a frame made of a type and variable-length integers
 * @level: the crypto level it goes out at
 * @gfp: allocation flags
 * @type: frame type
 * @nvals: number of integer fields
 * @vals: the fields, each <= QUIC_VARINT_MAX
 *
 * Return: the frame, or NULL when out of memory.
 */
struct quic_frame *quic_frame_build(u8 level, gfp_t gfp, u8 type,
				    unsigned int nvals, const u64 *vals)
{
	unsigned int i, len = 1;
	struct quic_frame *f;
	u8 *p;

	for (i = 0; i < nvals; i++)
		len += quic_varint_len(vals[i]);
	f = quic_frame_alloc(len, gfp);
	if (!f)
		return NULL;
	f->type = type;
	f->level = level;
	p = f->buf;
	*p++ = type;
	for (i = 0; i < nvals; i++)
		p += quic_varint_put(p, vals[i]);
	return f;
}

void quic_outq_add(struct sock *sk, struct quic_frame *f)
{
	struct quic_sock *qs = quic_sk(sk);

	list_add_tail(&f->list, &qs->outq[quic_level_space(f->level)]);
	qs->outq_bytes += f->len;
}

void quic_outq_purge(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_frame *f, *tmp;
	int i;

	for (i = 0; i < QUIC_PNSPACE_MAX; i++) {
		list_for_each_entry_safe(f, tmp, &qs->outq[i], list) {
			list_del(&f->list);
			kfree(f);
		}
	}
	qs->outq_bytes = 0;
}

/**
 * quic_frame_queue_crypto - queue handshake bytes from user space as
 * CRYPTO frames
 * @sk: the socket, locked
 * @level: QUIC_CRYPTO_INITIAL, _HANDSHAKE or _APP
 * @msg: the bytes
 * @len: how many
 *
 * Return: 0 or a negative errno; nothing is queued on failure.
 */
int quic_frame_queue_crypto(struct sock *sk, u8 level, struct msghdr *msg,
			    size_t len)
{
	struct quic_sock *qs = quic_sk(sk);
	u8 sp = quic_level_space(level);
	struct quic_frame *f, *tmp;
	u64 off = qs->crypto_send_off[sp];
	LIST_HEAD(frames);
	size_t chunk;
	u8 *p;

	while (len) {
		chunk = min_t(size_t, len, QUIC_CRYPTO_FRAME_DATA);
		f = quic_frame_alloc(1 + quic_varint_len(off) +
				     quic_varint_len(chunk) + chunk,
				     sk->sk_allocation);
		if (!f)
			goto nomem;
		f->type = 0x06;	/* CRYPTO */
		f->level = level;
		f->offset = off;
		f->data_len = chunk;
		p = f->buf;
		*p++ = 0x06;
		p += quic_varint_put(p, off);
		p += quic_varint_put(p, chunk);
		if (!copy_from_iter_full(p, chunk, &msg->msg_iter)) {
			kfree(f);
			list_for_each_entry_safe(f, tmp, &frames, list)
				kfree(f);
			return -EFAULT;
		}
		list_add_tail(&f->list, &frames);
		off += chunk;
		len -= chunk;
	}

	qs->crypto_send_off[sp] = off;
	list_for_each_entry_safe(f, tmp, &frames, list) {
		list_del(&f->list);
		quic_outq_add(sk, f);
	}
	return 0;
nomem:
	list_for_each_entry_safe(f, tmp, &frames, list)
		kfree(f);
	return -ENOMEM;
}

/**
 * quic_frame_queue_close - queue CONNECTION_CLOSE from qs->close_local at
 * the highest level we can send at
 * @sk: the socket, locked
 *
 * An application close before 1-RTT keys is sent as a transport close
 * with APPLICATION_ERROR, RFC 9000 section 10.2.3.
 *
 * Return: 0 or -ENOMEM.
 */
int quic_frame_queue_close(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);
	struct quic_connection_close *c = &qs->close_local;
	static const u8 levels[] = {
		QUIC_CRYPTO_APP, QUIC_CRYPTO_HANDSHAKE, QUIC_CRYPTO_INITIAL,
	};
	unsigned int plen, i, len;
	u64 errcode = c->errcode;
	struct quic_frame *f;
	bool app = qs->close_app;
	u8 level, type, *p;

	for (i = 0; i < ARRAY_SIZE(levels); i++) {
		level = levels[i];
		if (quic_crypto_tx_ready(&qs->crypto[level]) &&
		    !qs->space[level].discarded)
			break;
	}
	if (i == ARRAY_SIZE(levels))
		return 0;	/* no keys: nothing can be said */

	if (app && level != QUIC_CRYPTO_APP) {
		app = false;
		errcode = QUIC_TRANSPORT_ERROR_APPLICATION;
	}
	type = app ? 0x1d : 0x1c;
	plen = strnlen((const char *)c->phrase, sizeof(c->phrase));
	len = 1 + quic_varint_len(errcode) + (app ? 0 : 1) +
	      quic_varint_len(plen) + plen;
	f = quic_frame_alloc(len, GFP_ATOMIC);
	if (!f)
		return -ENOMEM;
	f->type = type;
	f->level = level;
	p = f->buf;
	*p++ = type;
	p += quic_varint_put(p, errcode);
	if (!app)
		*p++ = c->frame;	/* frame types we report are < 64 */
	p += quic_varint_put(p, plen);
	memcpy(p, c->phrase, plen);
	quic_outq_add(sk, f);
	return 0;
}
