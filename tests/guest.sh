#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# guest.sh: the tests that run inside the QEMU guest, as root, with quic.ko
# loaded and QUIC_KO naming it:
#	tests/vm/run.sh -k 6.12 -e QUIC_KO=$PWD/build/REL/quic.ko -- tests/guest.sh
# Runs each test from the repository root and prints its TAP output as it
# is.  Exit status: 0 iff every test program ran and passed.
set -u

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

TESTS=(
	tests/socket_test
	tests/conn_test
	tests/hostile_test
	tests/attack_test
	tests/poll_test
	tests/stream_test
	tests/dgram_test
	tests/cid_test
	tests/sockapi_test
	tests/resume_test
	tests/ops_test
	tests/close_test	# its shutdown tests after every other connection test
	tests/fuzz_syscall
	tests/fuzz_packet
	tests/netem_test.sh
	tests/device_test.sh
	tests/kmod_test.sh
	tests/consumer_test.sh	# in-kernel consumers: net/handshake, quic-handshaked
	tests/interop_test.sh
	tests/interop_quicgo.sh
	tests/interop_quinn.sh
	tests/tshark_test.sh
	tests/unload_test.sh
)
TIMEOUT=300	# seconds per test program, unless TIMEOUTS says otherwise;
		# times QUIC_TIMEOUT_SCALE (a debug kernel is slower)
# conn_test, hostile_test, poll_test and close_test take about 100, 70, 2
# and 25 s; each limit leaves room for the longest test of the program to
# time out (240, 120, 90 and 90 s) on top of the rest.  attack_test takes
# about 15 s: the default leaves room for its longest limit (240 s).
# fuzz_packet's two modes take about a minute together.
declare -A TIMEOUTS=([tests/conn_test]=400 [tests/hostile_test]=240
		     [tests/poll_test]=120 [tests/close_test]=180
		     [tests/netem_test.sh]=600 [tests/fuzz_syscall]=240
		     [tests/fuzz_packet]=300)
# On a slow (debug) kernel (QUIC_TIMEOUT_SCALE > 1) the point is what
# KASAN, lockdep and kmemleak see along every path, not volume: check.sh
# sets QUIC_TEST_SHRINK there (conn_test's big transfers and ops_test's
# thousand connections shrink), and the
# programs below get this environment: fuzz_packet sends for at most a
# minute a mode (some 12000 Initials and 17000 1-RTT packets there:
# every mutation still comes many times); consumer_test times 20
# handshakes, not 100.
declare -A SLOW_ENV=([tests/fuzz_packet]="QUIC_FUZZ_SECS=60"
		     [tests/consumer_test.sh]="CONSUMER_LAT_N=20")
# Not run there at all, to keep make check within CI's time on a fresh
# machine (the debug guest took 32 of its 88 minutes): tests whose
# point is the bytes on the wire and the behaviour against other stacks
# and lossy links, which do not depend on the kernel's debug options, and
# whose time there is mostly TCG moving data.  They run on both release
# kernels; the kernel paths they drive (handshakes, streams, loss
# recovery, datagrams, Retry, 0-RTT) run on the debug kernel through
# conn_test, hostile_test, dgram_test, resume_test and the fuzzers.
# The same tests are left out of the core suite (QUIC_SUITE=core, for
# runs by hand): what they check does not change with the kernel series,
# and the kernel's own code paths (compat.h) run through the rest.
declare -A SLOW_SKIP=([tests/tshark_test.sh]=1 [tests/netem_test.sh]=1
		      [tests/interop_test.sh]=1 [tests/interop_quicgo.sh]=1
		      [tests/interop_quinn.sh]=1)
# The smoke suite (QUIC_SUITE=smoke), which tests/check.sh runs on the
# release kernels other than the newest: the socket API, connections
# (handshakes, transfers, many streams: fewer of them, with
# QUIC_MANY_STREAMS below), streams and datagrams, the module's crypto
# against the kernel's, an in-kernel consumer, interop with quic-go and
# quinn, and the unload.  What a kernel series can break in this module
# (the compat.h paths: socket callbacks, UDP tunnels, timers, crypto, diag)
# is on these paths; the rest of the suite runs on the newest kernel and
# the debug kernel.
declare -A SMOKE=([tests/socket_test]=1 [tests/conn_test]=1
		  [tests/stream_test]=1 [tests/dgram_test]=1
		  [tests/sockapi_test]=1 [tests/kmod_test.sh]=1
		  [tests/consumer_test.sh]=1 [tests/interop_quicgo.sh]=1
		  [tests/interop_quinn.sh]=1 [tests/unload_test.sh]=1)
declare -A SMOKE_ENV=([tests/conn_test]="QUIC_MANY_STREAMS=50000")

# The UDP sockets that exist before any test: unload_test.sh checks that
# none is left beyond these.
QUIC_UDP_BASELINE=$(mktemp /tmp/quic-udp-baseline.XXXXXX) || exit 1
trap 'rm -f "$QUIC_UDP_BASELINE"' EXIT
awk 'FNR > 1 { print FILENAME, $2 }' /proc/net/udp /proc/net/udp6 | sort >"$QUIC_UDP_BASELINE"
export QUIC_UDP_BASELINE

status=0
for t in "${TESTS[@]}"; do
	echo "# $t"
	if [[ ! -x $t ]]; then
		echo "not ok - $t is missing or not executable (make tests)"
		status=1
		continue
	fi
	if (( ${QUIC_TIMEOUT_SCALE:-1} > 1 )) && [[ -n ${SLOW_SKIP[$t]:-} ]]; then
		echo "# slow kernel: $t not run here (see tests/guest.sh)"
		continue
	fi
	if [[ ${QUIC_SUITE:-full} == core && -n ${SLOW_SKIP[$t]:-} ]]; then
		echo "# core suite: $t runs on the newest kernel (see tests/guest.sh)"
		continue
	fi
	if [[ ${QUIC_SUITE:-full} == smoke && -z ${SMOKE[$t]:-} ]]; then
		echo "# smoke suite: $t runs on the newest kernel (see tests/guest.sh)"
		continue
	fi
	tmo=$(( ${TIMEOUTS[$t]:-$TIMEOUT} * ${QUIC_TIMEOUT_SCALE:-1} ))
	t0=$SECONDS
	env=()
	if (( ${QUIC_TIMEOUT_SCALE:-1} > 1 )); then
		read -r -a env <<<"${SLOW_ENV[$t]:-}"
		if ((${#env[@]})); then
			echo "# slow kernel: ${env[*]} $t"
		fi
	elif [[ ${QUIC_SUITE:-full} == smoke ]]; then
		read -r -a env <<<"${SMOKE_ENV[$t]:-}"
		if ((${#env[@]})); then
			echo "# smoke suite: ${env[*]} $t"
		fi
	fi
	timeout -k 10 "$tmo" env "${env[@]}" "$t"
	rc=$?
	echo "# $t took $((SECONDS - t0)) s"
	if ((rc == 124 || rc == 137)); then
		echo "not ok - $t timed out after $tmo s"
		status=1
	elif ((rc != 0)); then
		echo "# $t exited with status $rc"
		status=1
	fi
done
exit "$status"
