/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * testlib.h - the helpers the QUIC test programs share, instead of a copy
 * in each: one header per file of tests/lib/, all included here.
 *
 *	util.h		now_s(), msleep(), hex(), KIB/MIB, slab_kib(),
 *			slab_in_use_kib() (empty slabs given back first),
 *			pat_fill(): the test data, byte N of stream SEED,
 *			at any offset
 *	net.h		struct addr, mkaddr(), parse_addr(), local_port(),
 *			set_timeouts(), set_nonblock(), udp_to(),
 *			set_event(), set_tp(), tp_small (16 KiB windows)
 *	creds.h		creds_setup(): a CA, a server certificate, a rogue
 *			one and PSK files in a temporary directory, with
 *			their GnuTLS credentials; creds_file() (another
 *			file there), creds_load() (X.509 credentials from
 *			files of one's own); handshake() runs one side's
 *			handshake as struct hs_cfg says
 *	pair.h		listener(), client_socket(), cli_main(), a connected
 *			client/server pair (pair_open(), pair_close(),
 *			REQUIRE_PAIR()), recv_wait()
 *	xfer.h		send_all(); hashed transfers: xfer_send_main(),
 *			xfer_recv_main() (thread functions), xfer_check(),
 *			pair_transfer()
 *	runner.h	the isolated-test runner: test_add(), runner_setup(),
 *			runner_main() (-v, -l, -t GLOB; a child and a time
 *			limit per test; TAP with the plan); libquic's log
 *			kept for checks: log_keep(), log_has()
 *	onertt.h	forged 1-RTT packets in a live connection of our
 *			own client and server: the key log (keylog_setup(),
 *			keylog_read()), raw sockets that send as the client
 *			(spoof_send()) and listen to the server
 *			(sniff_open(), sniff_recv(), dgram_short()),
 *			onertt_seal(), onertt_isolate() (the real client
 *			cut off), the transport error names (err_name())
 *
 * The forged Initial packets of attack tests, the frame types and a byte
 * writer are in tests/forge.h (which onertt.h includes), the
 * certificate maker in tests/certs.h, the checks in tests/tap.h (whose
 * state is one per program, so that the checks of these helpers count
 * for the test that calls them).
 *
 * Built by the top-level Makefile into tests/lib/libtest.a, which the test
 * programs that use it link before libquic.a:
 *
 *	#include "lib/testlib.h"
 *
 *	static void test_hello(const void *arg)
 *	{
 *		struct pcfg cfg = { .family = AF_INET, .hs = { .psk = 1 } };
 *		struct pair p;
 *
 *		REQUIRE_PAIR(&p, &cfg);
 *		pair_transfer(&p, 1 * MIB, 1, 0);
 *		pair_close(&p);
 *	}
 *
 *	int main(int argc, char **argv)
 *	{
 *		test_add("hello", "1 MiB up", test_hello, NULL, 60);
 *		return runner_main(argc, argv);
 *	}
 */
#ifndef QUIC_TESTLIB_H
#define QUIC_TESTLIB_H

#include "../tap.h"
#include "util.h"
#include "net.h"
#include "creds.h"
#include "pair.h"
#include "xfer.h"
#include "runner.h"
#include "onertt.h"

#endif /* QUIC_TESTLIB_H */
