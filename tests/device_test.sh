#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# device_test.sh: QUIC sockets bound to a device (SO_BINDTODEVICE) or a
# VRF.  Two network namespaces joined by two veth pairs:
#	quic-dev-a: veth-a1 10.78.1.1/24   veth-a2 10.78.2.1/24
#	quic-dev-b: veth-b1 10.78.1.2/24   veth-b2 10.78.2.2/24
# - two servers in quic-dev-b on the same wildcard address and port, one
#   bound to veth-b1 and one to veth-b2: both listen (each has a UDP socket
#   of its own: the bound device is part of what QUIC sockets share UDP
#   sockets by), and a client through each link reaches its own server;
# - veth-b2 enslaved to a VRF (vrf-quic, table 10): a server bound to the
#   VRF takes the client that comes through veth-b2 and answers it through
#   the VRF's routing table, while a server bound to veth-b1 on the same
#   port takes the other one.
# Each client does a 64 KiB PUT and GET (tests/interop_peer), each server
# serves one connection and exits 0.  Prints TAP.
#
# Runs as root in the guest (tests/guest.sh).
set -u

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

IP=/sbin/ip
PEER=$PWD/tests/interop_peer
NS1=quic-dev-a
NS2=quic-dev-b
PSK=$(mktemp /tmp/device_test.XXXXXX) || exit 1
LOG=$(mktemp -d /tmp/device_test.XXXXXX) || exit 1
. tests/lib/tap.sh
PLAN=8

del_ns() {
	$IP netns del $NS1 2>/dev/null
	$IP netns del $NS2 2>/dev/null
}

cleanup() {
	del_ns
	rm -rf "$PSK" "$LOG"
}
trap cleanup EXIT

setup() {
	del_ns
	$IP netns add $NS1 &&
	$IP netns add $NS2 &&
	$IP link add veth-a1 netns $NS1 type veth peer name veth-b1 netns $NS2 &&
	$IP link add veth-a2 netns $NS1 type veth peer name veth-b2 netns $NS2 &&
	$IP -n $NS1 addr add 10.78.1.1/24 dev veth-a1 &&
	$IP -n $NS1 addr add 10.78.2.1/24 dev veth-a2 &&
	$IP -n $NS2 addr add 10.78.1.2/24 dev veth-b1 &&
	$IP -n $NS2 addr add 10.78.2.2/24 dev veth-b2 &&
	for ns in $NS1 $NS2; do
		$IP -n $ns link set lo up || return 1
	done &&
	$IP -n $NS1 link set veth-a1 up &&
	$IP -n $NS1 link set veth-a2 up &&
	$IP -n $NS2 link set veth-b1 up &&
	$IP -n $NS2 link set veth-b2 up
}

# serve_pair DESC PORT DEV1 DEV2: servers on 0.0.0.0:PORT bound to DEV1 and
# DEV2 in NS2; clients to 10.78.1.2 and 10.78.2.2 from NS1
serve_pair() {
	local desc=$1 port=$2 d1=$3 d2=$4 s1 s2 c1 c2 r1 r2 rc1 rc2 up

	in_ns $NS2 "$PEER" server -k "$PSK" -N 1 -I "$d1" 0.0.0.0 "$port" \
		>"$LOG/s1.log" 2>&1 &
	s1=$!
	in_ns $NS2 "$PEER" server -k "$PSK" -N 1 -I "$d2" 0.0.0.0 "$port" \
		>"$LOG/s2.log" 2>&1 &
	s2=$!
	for _ in $(seq 50); do
		up=$(cat "$LOG/s1.log" "$LOG/s2.log" | grep -c '^STEP listen')
		[ "$up" -ge 2 ] && break
		sleep 0.1
	done
	if grep -q '^STEP listen ok' "$LOG/s1.log" &&
	   grep -q '^STEP listen ok' "$LOG/s2.log"; then
		ok "$desc: servers bound to $d1 and $d2 both listen on port $port"
	else
		diag_files "$LOG/s1.log" "$LOG/s2.log"
		not_ok "$desc: servers bound to $d1 and $d2 both listen on port $port"
	fi
	in_ns $NS1 timeout 40 "$PEER" client -p "$PSK" -n 65536 10.78.1.2 \
		"$port" >"$LOG/c1.log" 2>&1 &
	c1=$!
	in_ns $NS1 timeout 40 "$PEER" client -p "$PSK" -n 65536 10.78.2.2 \
		"$port" >"$LOG/c2.log" 2>&1 &
	c2=$!
	wait $c1
	rc1=$?
	wait $c2
	rc2=$?
	( sleep 20; kill $s1 $s2 2>/dev/null ) &
	wait $s1
	r1=$?
	wait $s2
	r2=$?
	diag_files "$LOG/c1.log" "$LOG/c2.log" "$LOG/s1.log" "$LOG/s2.log"
	if [ $rc1 -eq 0 ] && [ $r1 -eq 0 ]; then
		ok "$desc: a client through 10.78.1.2 is served by the server on $d1"
	else
		not_ok "$desc: a client through 10.78.1.2 is served by the server on $d1 (client $rc1, server $r1)"
	fi
	if [ $rc2 -eq 0 ] && [ $r2 -eq 0 ]; then
		ok "$desc: a client through 10.78.2.2 is served by the server on $d2"
	else
		not_ok "$desc: a client through 10.78.2.2 is served by the server on $d2 (client $rc2, server $r2)"
	fi
}

echo "TAP version 13"
echo "1..$PLAN"

if [ ! -x "$PEER" ]; then
	for _ in $(seq $PLAN); do
		not_ok "tests/interop_peer is missing (make tests)"
	done
	exit 1
fi
# a PSK both sides read: identity "quic", 32 random bytes
printf 'quic:%s\n' "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" >"$PSK"

if setup 2>"$LOG/setup.err"; then
	ok "two namespaces joined by two veth pairs"
else
	diag_files "$LOG/setup.err"
	not_ok "two namespaces joined by two veth pairs"
	for _ in $(seq 2 $PLAN); do
		not_ok "skipped: no namespaces"
	done
	exit 1
fi

serve_pair "SO_BINDTODEVICE" 4600 veth-b1 veth-b2

if $IP -n $NS2 link add vrf-quic type vrf table 10 2>"$LOG/vrf.err" &&
   $IP -n $NS2 link set vrf-quic up 2>>"$LOG/vrf.err" &&
   $IP -n $NS2 link set veth-b2 master vrf-quic 2>>"$LOG/vrf.err"; then
	ok "veth-b2 enslaved to VRF vrf-quic (table 10)"
else
	diag_files "$LOG/vrf.err"
	not_ok "veth-b2 enslaved to VRF vrf-quic (table 10)"
fi
serve_pair "VRF" 4601 veth-b1 vrf-quic

[ $failed -eq 0 ]
