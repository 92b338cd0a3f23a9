#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# netem_test.sh: QUIC transfers between two network namespaces joined by a
# veth pair (10.77.0.1/24 <-> 10.77.0.2/24), first on a clean link, then
# with netem on both ends:
#	loss 5% delay 100ms reorder 25% 50% duplicate 1%
# each direction once (with NewReno and with CUBIC), then with loss that
# hurts, each direction once:
#	loss 30% delay 10ms			(LOSSY_SIZE bytes, 128 KiB)
#	loss 10% delay 20ms reorder 25% 50%	(LOSSY_SIZE * 4)
# The data must arrive complete and intact (checked byte by byte and by
# SHA-256 by tests/conn_test --transfer).  Then RFC 9221 datagrams, DGRAM_COUNT
# (default 100000) each way at once (tests/dgram_test --peer), on the clean
# link and with
#	loss 2% delay 5ms reorder 10% 50% duplicate 1%
# where some must be lost (they are never sent again) and none may arrive
# twice or corrupted.  Prints TAP.
#
# Runs as root in the guest (tests/guest.sh); the namespaces exist only
# there.  NETEM_SIZE (bytes; default 1 MiB, about 35 s each way under
# this netem: 5% loss at 200 ms RTT holds NewReno to ~0.25 Mbit/s) and
# NETEM_TIMEOUT (seconds per transfer, default 150) change the load.
# NETEM_CAPTURE=DIR keeps, for debugging, a capture of each transfer (as
# seen on the client's veth) and the TLS key log in DIR: decrypt with
#	tshark -r DIR/N-DIR.pcapng -o tls.keylog_file:DIR/keys.log
set -u

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

IP=/sbin/ip
TC=/sbin/tc
CT=$PWD/tests/conn_test
NS1=quic-netem-a
NS2=quic-netem-b
SIZE=${NETEM_SIZE:-1048576}
TMO=${NETEM_TIMEOUT:-150}
NETEM=(loss 5% delay 100ms reorder 25% 50% duplicate 1%)
NETEM_30=(loss 30% delay 10ms)
NETEM_10R=(loss 10% delay 20ms reorder 25% 50%)
NETEM_DG=(loss 2% delay 5ms reorder 10% 50% duplicate 1%)
DT=$PWD/tests/dgram_test
DGRAM_COUNT=${DGRAM_COUNT:-100000}
LOSSY_SIZE=${NETEM_LOSSY_SIZE:-131072}
PORT=4433

. tests/lib/tap.sh
tmp=$(mktemp -d /tmp/netem_test.XXXXXX) || exit 1

cleanup() {
	$IP netns del $NS1 2>/dev/null
	$IP netns del $NS2 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

setup() {
	cleanup 2>/dev/null
	mkdir -p "$tmp"
	$IP netns add $NS1 &&
	$IP netns add $NS2 &&
	$IP link add veth-a netns $NS1 type veth peer name veth-b netns $NS2 &&
	$IP -n $NS1 addr add 10.77.0.1/24 dev veth-a &&
	$IP -n $NS2 addr add 10.77.0.2/24 dev veth-b &&
	$IP -n $NS1 link set lo up &&
	$IP -n $NS2 link set lo up &&
	$IP -n $NS1 link set veth-a up &&
	$IP -n $NS2 link set veth-b up || return 1
	# until the link watcher has given the devices their qdiscs, what
	# is sent is dropped (noop qdisc): wait for that, 5 s at most
	for _ in $(seq 50); do
		$TC -n $NS1 qdisc show dev veth-a | grep -q noop ||
		$TC -n $NS2 qdisc show dev veth-b | grep -q noop || break
		sleep 0.1
	done
	! $TC -n $NS1 qdisc show dev veth-a | grep -q noop &&
	! $TC -n $NS2 qdisc show dev veth-b | grep -q noop
}

# impair add|change NETEM-ARGS...: the same netem on both ends
impair() {
	local op=$1

	shift
	$TC -n $NS1 qdisc "$op" dev veth-a root netem "$@" &&
	$TC -n $NS2 qdisc "$op" dev veth-b root netem "$@"
}

# transfer DIR(up|down) DESC [CONG [SIZE]]: the server in NS2, the client in
# NS1, both with congestion control CONG (reno, the default, or cubic)
transfer() {
	local dir=$1 desc=$2 cong=${3:-reno} size=${4:-$SIZE}
	local t0 t1 spid cpid src crc cap=
	local slog=$tmp/server.log clog=$tmp/client.log

	PORT=$((PORT + 1))
	if [ -n "${NETEM_CAPTURE:-}" ]; then
		mkdir -p "$NETEM_CAPTURE"
		export SSLKEYLOGFILE=$NETEM_CAPTURE/keys.log
		$IP netns exec $NS1 dumpcap -q -i veth-a \
			-w "$NETEM_CAPTURE/$PORT-$dir.pcapng" 2>/dev/null &
		cap=$!
		sleep 1
	fi
	t0=$(date +%s.%N)
	in_ns $NS2 "$CT" --transfer server --addr 10.77.0.2 \
		--port $PORT --size "$size" --dir "$dir" --timeout "$TMO" \
		--cong "$cong" >"$slog" 2>&1 &
	spid=$!
	for _ in $(seq 50); do
		grep -q listening "$slog" && break
		sleep 0.1
	done
	in_ns $NS1 "$CT" --transfer client --addr 10.77.0.2 \
		--port $PORT --size "$size" --dir "$dir" --timeout "$TMO" \
		--cong "$cong" >"$clog" 2>&1 &
	cpid=$!
	wait $cpid
	crc=$?
	wait $spid
	src=$?
	t1=$(date +%s.%N)
	if [ -n "${cap:-}" ]; then
		kill "$cap"
		wait "$cap"
		cap=
	fi
	diag_files "$slog" "$clog"
	echo "# time $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s, client exit $crc, server exit $src"
	if [ $crc -eq 0 ] && [ $src -eq 0 ]; then
		ok "$desc"
	else
		not_ok "$desc"
	fi
}

# dgram DESC [--expect-loss]: DGRAM_COUNT datagrams each way at once, the
# server in NS2, the client in NS1
dgram() {
	local desc=$1 spid cpid src crc t0 t1
	local slog=$tmp/server.log clog=$tmp/client.log

	shift
	PORT=$((PORT + 1))
	t0=$(date +%s.%N)
	in_ns $NS2 "$DT" --peer server --addr 10.77.0.2 --port $PORT \
		--count "$DGRAM_COUNT" --timeout "$TMO" "$@" >"$slog" 2>&1 &
	spid=$!
	for _ in $(seq 50); do
		grep -q listening "$slog" && break
		sleep 0.1
	done
	in_ns $NS1 "$DT" --peer client --addr 10.77.0.2 --port $PORT \
		--count "$DGRAM_COUNT" --timeout "$TMO" "$@" >"$clog" 2>&1 &
	cpid=$!
	wait $cpid
	crc=$?
	wait $spid
	src=$?
	t1=$(date +%s.%N)
	diag_files "$slog" "$clog"
	echo "# time $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s, client exit $crc, server exit $src"
	if [ $crc -eq 0 ] && [ $src -eq 0 ]; then
		ok "$desc"
	else
		not_ok "$desc"
	fi
}

echo "TAP version 13"
echo "1..17"

if [ ! -x "$CT" ] || [ ! -x "$DT" ]; then
	for _ in $(seq 17); do
		not_ok "tests/conn_test or tests/dgram_test is missing (make tests)"
	done
	exit 1
fi

if setup 2>"$tmp/setup.err"; then
	ok "two namespaces joined by veth, 10.77.0.1 <-> 10.77.0.2"
else
	diag_files "$tmp/setup.err"
	not_ok "two namespaces joined by veth, 10.77.0.1 <-> 10.77.0.2"
	for _ in $(seq 2 17); do
		not_ok "skipped: no namespaces"
	done
	exit 1
fi

mib=$(awk "BEGIN { printf \"%g\", $SIZE / 1048576 }")
transfer up "clean link: $mib MiB client -> server, intact"
transfer down "clean link: $mib MiB server -> client, intact"
dgram "clean link: $DGRAM_COUNT datagrams each way at once, none twice, none corrupt"

if impair add "${NETEM[@]}" 2>"$tmp/tc.err"; then
	ok "netem on both ends: ${NETEM[*]}"
else
	diag_files "$tmp/tc.err"
	not_ok "netem on both ends: ${NETEM[*]}"
fi

transfer up "netem: $mib MiB client -> server, intact"
transfer down "netem: $mib MiB server -> client, intact"
transfer up "netem, CUBIC (RFC 9438) on both ends: $mib MiB client -> server, intact" cubic
transfer down "netem, CUBIC (RFC 9438) on both ends: $mib MiB server -> client, intact" cubic

$TC -n $NS1 -s qdisc show dev veth-a | diag_files
$TC -n $NS2 -s qdisc show dev veth-b | diag_files

# loss that hurts: the handshake and the transfer get through all the same
lossy() {
	local size=$1 kib

	shift
	kib=$((size / 1024))
	if impair change "$@" 2>"$tmp/tc.err"; then
		ok "netem on both ends: $*"
	else
		diag_files "$tmp/tc.err"
		not_ok "netem on both ends: $*"
	fi
	transfer up "netem $*: $kib KiB client -> server, intact" reno "$size"
	transfer down "netem $*: $kib KiB server -> client, intact" reno "$size"
	$TC -n $NS1 -s qdisc show dev veth-a | diag_files
	$TC -n $NS2 -s qdisc show dev veth-b | diag_files
}
lossy "$LOSSY_SIZE" "${NETEM_30[@]}"
lossy $((LOSSY_SIZE * 4)) "${NETEM_10R[@]}"

if impair change "${NETEM_DG[@]}" 2>"$tmp/tc.err"; then
	ok "netem on both ends: ${NETEM_DG[*]}"
else
	diag_files "$tmp/tc.err"
	not_ok "netem on both ends: ${NETEM_DG[*]}"
fi
dgram "netem ${NETEM_DG[*]}: $DGRAM_COUNT datagrams each way, some lost, none twice, none corrupt" --expect-loss
$TC -n $NS1 -s qdisc show dev veth-a | diag_files
$TC -n $NS2 -s qdisc show dev veth-b | diag_files

[ $failed -eq 0 ]
