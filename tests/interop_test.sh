#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# interop_test.sh: QUIC v1 interop between quic.ko and an independent
# implementation, quiche 0.18 (the npm package @matrixai/quic 2.0.9, its
# native binding; tests/interop/quiche_peer.mjs), in both directions, over
# IPv4 and IPv6 on lo:
#   A: our client (tests/interop_peer, libquic) -> the quiche server
#   B: the quiche client -> our server
# Each connection: X.509 handshake (a test CA made here with certtool,
# ALPN "interop"), a 1 MiB upload checked by its SHA-256, a 1 MiB download
# checked byte by byte, then the client closes.  Then the same over IPv4
# with ChaCha20-Poly1305 and with AES-256-GCM forced by our side (256 KiB).
#
# Runs in the guest (tests/guest.sh) with quic.ko loaded.  Prints TAP, the
# plan at the end.  Every peer runs under a time limit.
#
# Environment:
#   QUIC_INTEROP_BYTES   transfer size (default 1048576)
#   QUIC_INTEROP_KEEP    a directory to keep the logs, captures (when
#                        dumpcap exists) and key logs in
set -u -o pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
. tests/interop/lib.sh

BYTES=${QUIC_INTEROP_BYTES:-1048576}
PEER=tests/interop_peer
QPEER=tests/interop/quiche_peer.mjs
# seconds for one peer process (its own give-up time: 5 s less), scaled
# on slow (debug) kernels
LIMIT=$((40 * ${QUIC_TIMEOUT_SCALE:-1}))

work=$(mktemp -d /tmp/quic-interop.XXXXXX) || exit 1
cleanup() {
	capture_stop
	kill_children
	if [[ -n ${QUIC_INTEROP_KEEP:-} ]]; then
		mkdir -p "$QUIC_INTEROP_KEEP" && cp -r "$work"/. "$QUIC_INTEROP_KEEP"/
	fi
	rm -rf "$work"
}
trap cleanup EXIT

echo "TAP version 13"

# ---------------------------------------------------------------- setup

missing=()
command -v node >/dev/null || missing+=("node")
[[ -f tests/interop/node_modules/@matrixai/quic/package.json &&
   -f tests/interop/node_modules/@matrixai/quic-linux-x64/node.napi.node ]] ||
	missing+=("npm packages in tests/interop/node_modules (tests/interop/setup.sh, run by tests/deps.sh)")
[[ -x $PEER ]] || missing+=("$PEER (make tests)")
command -v certtool >/dev/null || missing+=("certtool (gnutls-bin, tests/deps.sh)")
((${#missing[@]} == 0))
tap $? "prerequisites: node, @matrixai/quic, interop_peer, certtool"
if ((${#missing[@]})); then
	diag "missing: ${missing[*]}"
	finish
fi

# resolved from tests/interop, where node_modules is
out=$(cd tests/interop && node --input-type=module -e \
	"import { quiche } from '@matrixai/quic/native/index.js'; console.log(quiche.PROTOCOL_VERSION)" \
	2>&1 </dev/null)
rc=$?
[[ $rc == 0 && $out == 1 ]]
tap $? "quiche's native binding loads (QUIC version $out)" ||
	{ diag "$out"; finish; }

tests/interop/mkcerts.sh "$work/pki" >"$work/mkcerts.log" 2>&1
tap $? "test CA and server certificate made with certtool" ||
	{ diag_file "$work/mkcerts.log"; finish; }
pki=$work/pki

have_dumpcap=0
if [[ -n ${QUIC_INTEROP_KEEP:-} ]] && command -v dumpcap >/dev/null; then
	have_dumpcap=1
fi

# ------------------------------------------------------------ the runs

# run_a HOST PORT TAG [CIPHER BYTES]: our client -> the quiche server; with
# CIPHER, our client offers that TLS cipher suite only
run_a() {
	local host=$1 port=$2 tag=$3 d=$work/$3 sp rcs rcc t0
	local cipher=${4:-} bytes=${5:-$BYTES} copt=()
	[[ -n $cipher ]] && copt=(-C "$cipher")
	mkdir -p "$d"
	((have_dumpcap)) && capture_start "$port" "$d/capture.pcapng" "$d/dumpcap.log"
	node "$QPEER" server --cert "$pki/cert.pem" --key "$pki/key.pem" \
		--timeout $((LIMIT - 5)) --keylog "$d/quiche.keys" "$host" "$port" \
		>"$d/server.log" 2>&1 </dev/null &
	sp=$!
	if ! wait_for "$d/server.log" '^STEP listen' 30 "$sp"; then
		tap 1 "$tag: quiche server listening on $host port $port"
		diag_file "$d/server.log"
		wait_pid "$sp" 1
		capture_stop
		return
	fi
	t0=$(date +%s%N)
	QUIC_CA_FILE=$pki/ca.pem SSLKEYLOGFILE=$d/ours.keys \
		timeout -k 5 "$LIMIT" "$PEER" client -n "$bytes" -s localhost \
		"${copt[@]}" "$host" "$port" >"$d/client.log" 2>&1 </dev/null
	rcc=$?
	wait_pid "$sp" 15
	rcs=$?
	capture_stop
	diag "$tag: our client exited $rcc, the quiche server $rcs," \
		"$(( ($(date +%s%N) - t0) / 1000000 )) ms after the client started"

	tap_step "$d/client.log" handshake \
		"$tag: our client completes a handshake with quiche over $host (X.509, ALPN${cipher:+, $cipher only})"
	tap_step "$d/client.log" upload \
		"$tag: $bytes bytes from our client reach quiche intact (SHA-256)"
	tap_step "$d/client.log" download \
		"$tag: $bytes bytes from quiche reach our client intact"
	tap_step "$d/server.log" peer-close \
		"$tag: quiche gets our CONNECTION_CLOSE with no error on close()"
	tap_step "$d/server.log" max-udp-payload \
		"$tag: our datagrams respect quiche's max_udp_payload_size"
	((rcc == 0 && rcs == 0))
	tap $? "$tag: both peers exit 0 within $LIMIT s, quiche saw no error" ||
		{ diag_file "$d/client.log"; diag_file "$d/server.log"; }
}

# run_b HOST PORT TAG [CIPHER BYTES]: the quiche client -> our server; with
# CIPHER, our server accepts that TLS cipher suite only
run_b() {
	local host=$1 port=$2 tag=$3 d=$work/$3 sp rcs rcc t0
	local cipher=${4:-} bytes=${5:-$BYTES} copt=()
	[[ -n $cipher ]] && copt=(-C "$cipher")
	mkdir -p "$d"
	((have_dumpcap)) && capture_start "$port" "$d/capture.pcapng" "$d/dumpcap.log"
	timeout -k 5 "$LIMIT" "$PEER" server -c "$pki/cert.pem" -k "$pki/key.pem" \
		"${copt[@]}" "$host" "$port" >"$d/server.log" 2>&1 </dev/null &
	sp=$!
	if ! wait_for "$d/server.log" '^STEP listen' 10 "$sp"; then
		tap 1 "$tag: our server listening on $host port $port"
		diag_file "$d/server.log"
		wait_pid "$sp" 1
		capture_stop
		return
	fi
	t0=$(date +%s%N)
	timeout -k 5 "$LIMIT" node "$QPEER" client --ca "$pki/ca.pem" \
		--sni localhost --bytes "$bytes" --timeout $((LIMIT - 5)) \
		--keylog "$d/quiche.keys" "$host" "$port" \
		>"$d/client.log" 2>&1 </dev/null
	rcc=$?
	wait_pid "$sp" 15
	rcs=$?
	capture_stop
	diag "$tag: the quiche client exited $rcc, our server $rcs," \
		"$(( ($(date +%s%N) - t0) / 1000000 )) ms after the client started"

	tap_step "$d/client.log" handshake \
		"$tag: quiche completes a handshake with our server over $host (X.509, ALPN)"
	[[ -n $cipher ]] && tap_step "$d/server.log" handshake \
		"$tag: our server, allowing $cipher only, negotiates it with quiche"
	tap_step "$d/client.log" upload \
		"$tag: $bytes bytes from quiche reach our server intact (SHA-256)"
	tap_step "$d/client.log" download \
		"$tag: $bytes bytes from our server reach quiche intact"
	tap_step "$d/client.log" close \
		"$tag: quiche closes cleanly, our server sent no error"
	tap_step "$d/server.log" peer-close \
		"$tag: our server's recvmsg() ends with EOF/ECONNRESET/ENOTCONN on quiche's CONNECTION_CLOSE"
	tap_step "$d/client.log" max-udp-payload \
		"$tag: our datagrams respect quiche's max_udp_payload_size"
	((rcc == 0 && rcs == 0))
	tap $? "$tag: both peers exit 0 within $LIMIT s" ||
		{ diag_file "$d/client.log"; diag_file "$d/server.log"; }
}

run_a 127.0.0.1 14433 A4
run_b 127.0.0.1 14434 B4
run_a ::1 14435 A6
run_b ::1 14436 B6
# the other AEADs and header protection ciphers, on a smaller transfer
run_a 127.0.0.1 14437 A4-chacha20 CHACHA20-POLY1305 262144
run_b 127.0.0.1 14438 B4-chacha20 CHACHA20-POLY1305 262144
run_a 127.0.0.1 14439 A4-aes256 AES-256-GCM 262144
run_b 127.0.0.1 14440 B4-aes256 AES-256-GCM 262144
finish
