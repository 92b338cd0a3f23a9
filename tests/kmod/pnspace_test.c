// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tests of duplicate detection and ACK ranges (modules/pnspace.c), RFC
 * 9000 section 12.3: a packet number is processed once for the whole
 * receive window, whatever the ACK ranges could record, and a packet
 * older than the window counts as a duplicate.  Results go to the kernel
 * log as TAP lines ("quic_pnspace_test: ok N - ..."); module init fails
 * with -EINVAL if any test failed.
 */
#define pr_fmt(fmt) "quic_pnspace_test: " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "pnspace.h"

static unsigned int tc_num, tc_failed;

static __printf(2, 3) void tc_report(bool ok, const char *fmt, ...)
{
	char desc[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	tc_num++;
	if (!ok)
		tc_failed++;
	pr_info("%sok %u - %s\n", ok ? "" : "not ", tc_num, desc);
}

/* What the receive path does with a packet that decrypted: returns
 * whether its frames were processed (not a duplicate); @ack says whether
 * it was taken whole and so enters the ACK ranges.
 */
static bool tc_rx(struct quic_pnspace *s, u64 pn, bool ack)
{
	if (quic_pnspace_recv_dup(s, pn))
		return false;
	quic_pnspace_processed(s, pn);
	if (ack)
		quic_pnspace_recv(s, pn, 0);
	return true;
}

/* every other packet lost: more gaps than the ACK ranges can hold */
static void tc_many_gaps(struct quic_pnspace *s)
{
	unsigned int twice = 0, once = 0;
	u64 pn;

	quic_pnspace_init(s);
	for (pn = 0; pn < 4 * QUIC_RANGES_MAX; pn += 2)
		once += tc_rx(s, pn, true);
	/* the lost ones arrive late, oldest last, then all are replayed */
	for (pn = 4 * QUIC_RANGES_MAX - 1; pn < 4 * QUIC_RANGES_MAX; pn -= 2)
		once += tc_rx(s, pn, true);
	for (pn = 0; pn < 4 * QUIC_RANGES_MAX; pn++)
		twice += tc_rx(s, pn, true);
	tc_report(once == 4 * QUIC_RANGES_MAX && !twice,
		  "%u gaps: each of %u packets processed once (%u, replays %u)",
		  2 * QUIC_RANGES_MAX, 4 * QUIC_RANGES_MAX, once, twice);
}

/* a packet whose data could not be held stays unacknowledged, and a copy
 * of it is still a duplicate: its other frames were acted on
 */
static void tc_held(struct quic_pnspace *s)
{
	bool first, again;
	u8 buf[64];

	quic_pnspace_init(s);
	tc_rx(s, 0, true);
	first = tc_rx(s, 1, false);
	again = tc_rx(s, 1, true);
	tc_report(first && !again, "a held packet is not processed twice");
	tc_report(quic_pnspace_ack_frame(s, buf, sizeof(buf), 0) > 0 &&
		  s->nranges == 1 && s->ranges[0].end == 0,
		  "a held packet is not acknowledged");
}

/* a window's worth of reordering, then older than the window */
static void tc_window(struct quic_pnspace *s)
{
	unsigned int late = 0;
	u64 pn, top = 5 * QUIC_RX_WINDOW;

	quic_pnspace_init(s);
	tc_rx(s, top, true);
	for (pn = top - QUIC_RX_WINDOW + 1; pn < top; pn++)
		late += tc_rx(s, pn, true);
	tc_report(late == QUIC_RX_WINDOW - 1,
		  "%u packets reordered within the window are taken (%u)",
		  QUIC_RX_WINDOW - 1, late);
	tc_report(!tc_rx(s, top - QUIC_RX_WINDOW, true) && !tc_rx(s, 0, true),
		  "packets older than the window are duplicates");
	/* a jump forward forgets what the window leaves */
	tc_rx(s, top + 3 * QUIC_RX_WINDOW, true);
	tc_report(tc_rx(s, top + 3 * QUIC_RX_WINDOW - 1, true) &&
		  !tc_rx(s, top + 3 * QUIC_RX_WINDOW - 1, true) &&
		  quic_pnspace_largest_processed(s) == top + 3 * QUIC_RX_WINDOW,
		  "after a jump the window starts afresh");
}

static void tc_edges(struct quic_pnspace *s)
{
	const u64 max = (1ULL << 62) - 1;

	quic_pnspace_init(s);
	tc_report(quic_pnspace_largest_processed(s) == (u64)-1 &&
		  !quic_pnspace_recv_dup(s, 0), "an empty space has seen none");
	tc_report(tc_rx(s, max, true) && !tc_rx(s, max, true) &&
		  tc_rx(s, max - 1, true) && !tc_rx(s, 0, true),
		  "the largest packet number, 2^62-1");
}

static int __init quic_pnspace_test_init(void)
{
	struct quic_pnspace *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	tc_many_gaps(s);
	tc_held(s);
	tc_window(s);
	tc_edges(s);
	kfree(s);
	pr_info("1..%u\n", tc_num);
	pr_info("# %u passed, %u failed\n", tc_num - tc_failed, tc_failed);
	return tc_failed ? -EINVAL : 0;
}

static void __exit quic_pnspace_test_exit(void)
{
}

module_init(quic_pnspace_test_init);
module_exit(quic_pnspace_test_exit);
MODULE_DESCRIPTION("QUIC packet number space tests");
MODULE_LICENSE("GPL");
