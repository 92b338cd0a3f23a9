// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QUIC packet number spaces: received ranges and the ACK frames that
 * report them (RFC 9000 sections 13.2 and 19.3).
 */

#include <linux/string.h>

#include "pnspace.h"
#include "varint.h"

void quic_pnspace_init(struct quic_pnspace *s)
{
	memset(s, 0, sizeof(*s));
	INIT_LIST_HEAD(&s->sent);
}

u64 quic_pnspace_largest_recv(const struct quic_pnspace *s)
{
	return s->nranges ? s->ranges[0].end : 0;
}

/**
 * quic_pnspace_recv_dup - whether a packet was processed already
 * @s: the space
 * @pn: its packet number, decoded
 *
 * Every packet whose frames were acted on is remembered (see
 * quic_pnspace_processed()), also those left unacknowledged because
 * their data could not be held, and those the ACK ranges have no room
 * for.  A packet older than the window is treated as a duplicate.
 */
bool quic_pnspace_recv_dup(const struct quic_pnspace *s, u64 pn)
{
	if (pn >= s->rx_next)
		return false;
	if (s->rx_next - pn > QUIC_RX_WINDOW)
		return true;
	return test_bit(pn % QUIC_RX_WINDOW, s->rx_seen);
}

/* @pn passed quic_pnspace_recv_dup() and its frames are about to be
 * processed: a copy of it is a duplicate from now on
 */
void quic_pnspace_processed(struct quic_pnspace *s, u64 pn)
{
	u64 n;

	if (pn >= s->rx_next) {
		/* slide the window: forget what it leaves behind */
		if (pn - s->rx_next >= QUIC_RX_WINDOW)
			bitmap_zero(s->rx_seen, QUIC_RX_WINDOW);
		else
			for (n = s->rx_next; n < pn; n++)
				__clear_bit(n % QUIC_RX_WINDOW, s->rx_seen);
		s->rx_next = pn + 1;
	}
	__set_bit(pn % QUIC_RX_WINDOW, s->rx_seen);
}

/* the largest packet number processed, for decoding truncated ones (RFC
 * 9000 appendix A.3); (u64)-1 when none was
 */
u64 quic_pnspace_largest_processed(const struct quic_pnspace *s)
{
	return s->rx_next - 1;
}

/* Record @pn as received; ranges stay sorted newest first and merged. */
void quic_pnspace_recv(struct quic_pnspace *s, u64 pn, ktime_t now)
{
	struct quic_range *r = s->ranges;
	u32 i;

	if (!s->nranges || pn > r[0].end) {
		s->largest_recv_time = now;
		if (s->nranges && pn == r[0].end + 1) {
			r[0].end = pn;
			return;
		}
		if (s->nranges == QUIC_RANGES_MAX)
			s->nranges--;	/* forget the oldest */
		memmove(&r[1], &r[0], s->nranges * sizeof(*r));
		r[0].start = pn;
		r[0].end = pn;
		s->nranges++;
		return;
	}

	for (i = 0; i < s->nranges; i++) {
		if (pn > r[i].end) {
			/* a gap between r[i - 1] and r[i]; pn + 1 ==
			 * r[i - 1].start was handled at i - 1
			 */
			if (pn != r[i].end + 1) {
				if (s->nranges == QUIC_RANGES_MAX)
					return;
				memmove(&r[i + 1], &r[i],
					(s->nranges - i) * sizeof(*r));
				r[i].start = pn;
				r[i].end = pn;
				s->nranges++;
				return;
			}
			r[i].end = pn;
			/* r[i] grew up to r[i - 1]: merge */
			if (r[i].end + 1 == r[i - 1].start) {
				r[i - 1].start = r[i].start;
				memmove(&r[i], &r[i + 1],
					(s->nranges - i - 1) * sizeof(*r));
				s->nranges--;
			}
			return;
		}
		if (pn >= r[i].start)
			return;	/* duplicate */
		if (pn + 1 == r[i].start) {
			r[i].start = pn;
			if (i + 1 < s->nranges && r[i + 1].end + 1 == pn) {
				r[i].start = r[i + 1].start;
				memmove(&r[i + 1], &r[i + 2],
					(s->nranges - i - 2) * sizeof(*r));
				s->nranges--;
			}
			return;
		}
	}
	/* older than every range */
	if (s->nranges < QUIC_RANGES_MAX) {
		r[s->nranges].start = pn;
		r[s->nranges].end = pn;
		s->nranges++;
	}
}

/**
 * quic_pnspace_ack_frame - encode an ACK frame for the received ranges
 * @s: the space
 * @buf: output
 * @len: room; ranges that do not fit are left out
 * @ack_delay: encoded ACK Delay field (already scaled by the exponent)
 *
 * Return: bytes written, or 0 when there is nothing to acknowledge or no
 * room for even the first range.
 */
int quic_pnspace_ack_frame(const struct quic_pnspace *s, u8 *buf,
			   unsigned int len, u64 ack_delay)
{
	const struct quic_range *r = s->ranges;
	unsigned int n, first_len;
	u64 gap, rlen;
	u8 *p = buf;
	u32 i, count;

	if (!s->nranges)
		return 0;

	/* type, largest, delay, range count (at most 1 byte), first range */
	first_len = 1 + quic_varint_len(r[0].end) +
		    quic_varint_len(ack_delay) + 1 +
		    quic_varint_len(r[0].end - r[0].start);
	if (first_len > len)
		return 0;

	/* how many more ranges fit */
	n = first_len;
	for (count = 0, i = 1; i < s->nranges && count < 63; i++) {
		gap = r[i - 1].start - r[i].end - 2;
		rlen = r[i].end - r[i].start;
		if (n + quic_varint_len(gap) + quic_varint_len(rlen) > len)
			break;
		n += quic_varint_len(gap) + quic_varint_len(rlen);
		count++;
	}

	*p++ = 0x02;	/* ACK */
	p += quic_varint_put(p, r[0].end);
	p += quic_varint_put(p, ack_delay);
	p += quic_varint_put(p, count);
	p += quic_varint_put(p, r[0].end - r[0].start);
	for (i = 1; i <= count; i++) {
		p += quic_varint_put(p, r[i - 1].start - r[i].end - 2);
		p += quic_varint_put(p, r[i].end - r[i].start);
	}
	return p - buf;
}
