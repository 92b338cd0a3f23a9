/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QUIC variable-length integers, RFC 9000 section 16, and bounded
 * readers/writers over packet buffers.
 */
#ifndef __QUIC_VARINT_H
#define __QUIC_VARINT_H

#include <linux/types.h>
#include <linux/string.h>

#include "compat.h"

#define QUIC_VARINT_MAX		((1ULL << 62) - 1)

static inline unsigned int quic_varint_len(u64 v)
{
	if (v < (1ULL << 6))
		return 1;
	if (v < (1ULL << 14))
		return 2;
	if (v < (1ULL << 30))
		return 4;
	return 8;
}

/* Write @v, which must be <= QUIC_VARINT_MAX, at @p; returns the bytes
 * written.  The caller has checked the room with quic_varint_len().
 */
static inline unsigned int quic_varint_put(u8 *p, u64 v)
{
	switch (quic_varint_len(v)) {
	case 1:
		*p = v;
		return 1;
	case 2:
		put_unaligned_be16(v | 0x4000, p);
		return 2;
	case 4:
		put_unaligned_be32(v | 0x80000000, p);
		return 4;
	default:
		put_unaligned_be64(v | 0xc000000000000000ULL, p);
		return 8;
	}
}

/* Write @v in exactly @len bytes (1, 2, 4 or 8), for lengths patched in
 * after the content is known.
 */
static inline void quic_varint_put_len(u8 *p, u64 v, unsigned int len)
{
	switch (len) {
	case 1:
		*p = v;
		break;
	case 2:
		put_unaligned_be16(v | 0x4000, p);
		break;
	case 4:
		put_unaligned_be32(v | 0x80000000, p);
		break;
	default:
		put_unaligned_be64(v | 0xc000000000000000ULL, p);
		break;
	}
}

/*
 * struct quic_buf - a bounded cursor over a received buffer.  Every
 * reader checks the room left and fails, without moving, when short.
 */
struct quic_buf {
	const u8	*p;
	u32		left;
};

static inline bool quic_get_varint(struct quic_buf *b, u64 *v)
{
	unsigned int len;
	u64 x;

	if (!b->left)
		return false;
	len = 1U << (b->p[0] >> 6);
	if (b->left < len)
		return false;
	switch (len) {
	case 1:
		x = b->p[0];
		break;
	case 2:
		x = get_unaligned_be16(b->p) & 0x3fff;
		break;
	case 4:
		x = get_unaligned_be32(b->p) & 0x3fffffff;
		break;
	default:
		x = get_unaligned_be64(b->p) & QUIC_VARINT_MAX;
		break;
	}
	b->p += len;
	b->left -= len;
	*v = x;
	return true;
}

static inline bool quic_get_u8(struct quic_buf *b, u8 *v)
{
	if (b->left < 1)
		return false;
	*v = *b->p++;
	b->left--;
	return true;
}

static inline bool quic_get_be16(struct quic_buf *b, u16 *v)
{
	if (b->left < 2)
		return false;
	*v = get_unaligned_be16(b->p);
	b->p += 2;
	b->left -= 2;
	return true;
}

static inline bool quic_get_be32(struct quic_buf *b, u32 *v)
{
	if (b->left < 4)
		return false;
	*v = get_unaligned_be32(b->p);
	b->p += 4;
	b->left -= 4;
	return true;
}

/* Take @len bytes: *@data points into the buffer. */
static inline bool quic_get_bytes(struct quic_buf *b, u64 len, const u8 **data)
{
	if (b->left < len)
		return false;
	*data = b->p;
	b->p += len;
	b->left -= len;
	return true;
}

#endif /* __QUIC_VARINT_H */
