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
# Then the extras (interop_peer -x, quiche_peer.mjs --extras), both
# directions over IPv4 and IPv6, one connection each:
#   XA: our client -> the quiche server,  XB: the quiche client -> our server
# after a 64 KiB PUT and GET (the server then has its 1-RTT keys: datagrams
# sent before may be dropped, RFC 9001 section 5.7):
# - RFC 9221 datagrams both ways: the client sends 20 (10 to 960 bytes),
#   the server echoes them, the client checks all 20 come back intact;
# - RESET_STREAM from the client (stream 8, code 17) seen by the server,
#   which answers on the stream's other half;
# - STOP_SENDING from the client (stream 12, code 34) while the server is
#   blocked writing 4 MiB there: the server's write fails (ours: ECONNRESET
#   and SEND_STATE_RESET_SENT; quiche: StreamStopped(34)), its stack
#   answers with RESET_STREAM (seen by our client as RECV_STATE_RESET_RECVD
#   with code 34), and the server tells the client the code on stream 16;
# then the client closes.
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
# the PUT and GET before the extras
XBYTES=65536
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

# run_x_a HOST PORT TAG: the extras, our client -> the quiche server
run_x_a() {
	local host=$1 port=$2 tag=$3 d=$work/$3 sp rcs rcc t0
	mkdir -p "$d"
	((have_dumpcap)) && capture_start "$port" "$d/capture.pcapng" "$d/dumpcap.log"
	node "$QPEER" server --extras --cert "$pki/cert.pem" --key "$pki/key.pem" \
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
		timeout -k 5 "$LIMIT" "$PEER" client -x -n "$XBYTES" -s localhost \
		"$host" "$port" >"$d/client.log" 2>&1 </dev/null
	rcc=$?
	wait_pid "$sp" 15
	rcs=$?
	capture_stop
	diag "$tag: our client exited $rcc, the quiche server $rcs," \
		"$(( ($(date +%s%N) - t0) / 1000000 )) ms after the client started"

	tap_step "$d/client.log" handshake \
		"$tag: our client, offering datagrams, completes a handshake with quiche over $host"
	tap_step "$d/client.log" upload \
		"$tag: first a PUT of $XBYTES bytes (SHA-256 checked)"
	tap_step "$d/client.log" download \
		"$tag: then a GET of $XBYTES bytes (checked byte by byte)"
	tap_step "$d/server.log" dgram-server \
		"$tag: quiche receives all 20 datagrams of our client and echoes them"
	tap_step "$d/client.log" dgram \
		"$tag: our client gets the 20 echoes from quiche intact (RFC 9221 both ways)"
	tap_step "$d/server.log" reset-server \
		"$tag: quiche sees our RESET_STREAM on stream 8 with code 17"
	tap_step "$d/client.log" reset \
		"$tag: our client reads quiche's answer on reset stream 8; sendmsg() on it fails with EINVAL"
	tap_step "$d/server.log" stop-server \
		"$tag: our STOP_SENDING (code 34) stops quiche's writer on stream 12"
	tap_step "$d/client.log" stop-reset \
		"$tag: quiche's stack answers it with RESET_STREAM: RECV_STATE_RESET_RECVD, code 34, nothing after"
	tap_step "$d/client.log" stop \
		"$tag: quiche reports the STOP_SENDING code 34 on stream 16"
	tap_step "$d/server.log" peer-close \
		"$tag: quiche gets our CONNECTION_CLOSE with no error on close()"
	((rcc == 0 && rcs == 0))
	tap $? "$tag: both peers exit 0 within $LIMIT s, quiche saw no error" ||
		{ diag_file "$d/client.log"; diag_file "$d/server.log"; }
}

# run_x_b HOST PORT TAG: the extras, the quiche client -> our server
run_x_b() {
	local host=$1 port=$2 tag=$3 d=$work/$3 sp rcs rcc t0
	mkdir -p "$d"
	((have_dumpcap)) && capture_start "$port" "$d/capture.pcapng" "$d/dumpcap.log"
	timeout -k 5 "$LIMIT" "$PEER" server -x -c "$pki/cert.pem" \
		-k "$pki/key.pem" "$host" "$port" >"$d/server.log" 2>&1 </dev/null &
	sp=$!
	if ! wait_for "$d/server.log" '^STEP listen' 10 "$sp"; then
		tap 1 "$tag: our server listening on $host port $port"
		diag_file "$d/server.log"
		wait_pid "$sp" 1
		capture_stop
		return
	fi
	t0=$(date +%s%N)
	timeout -k 5 "$LIMIT" node "$QPEER" client --extras --ca "$pki/ca.pem" \
		--sni localhost --bytes "$XBYTES" --timeout $((LIMIT - 5)) \
		--keylog "$d/quiche.keys" "$host" "$port" \
		>"$d/client.log" 2>&1 </dev/null
	rcc=$?
	wait_pid "$sp" 15
	rcs=$?
	capture_stop
	diag "$tag: the quiche client exited $rcc, our server $rcs," \
		"$(( ($(date +%s%N) - t0) / 1000000 )) ms after the client started"

	tap_step "$d/client.log" handshake \
		"$tag: quiche, offering datagrams, completes a handshake with our server over $host"
	tap_step "$d/client.log" upload \
		"$tag: first a PUT of $XBYTES bytes (SHA-256 checked)"
	tap_step "$d/client.log" download \
		"$tag: then a GET of $XBYTES bytes (checked byte by byte)"
	tap_step "$d/server.log" dgram-server \
		"$tag: our server receives all 20 datagrams of quiche (MSG_QUIC_DATAGRAM) and echoes them"
	tap_step "$d/client.log" dgram \
		"$tag: quiche gets the 20 echoes from our server intact (RFC 9221 both ways)"
	tap_step "$d/server.log" reset-server \
		"$tag: our server gets quiche's RESET_STREAM on stream 8: RECV_STATE_RESET_RECVD, code 17"
	tap_step "$d/client.log" reset \
		"$tag: quiche reads our server's answer on reset stream 8"
	tap_step "$d/server.log" stop-server \
		"$tag: quiche's STOP_SENDING (code 34) ends our blocked sendmsg() with ECONNRESET, SEND_STATE_RESET_SENT code 34"
	tap_step "$d/client.log" stop \
		"$tag: our server reports the STOP_SENDING code 34 on stream 16"
	tap_step "$d/client.log" close \
		"$tag: quiche closes cleanly, our server sent no error"
	tap_step "$d/server.log" peer-close \
		"$tag: our server's recvmsg() ends with EOF/ECONNRESET/ENOTCONN on quiche's CONNECTION_CLOSE"
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
# the extras: datagrams, RESET_STREAM, STOP_SENDING
run_x_a 127.0.0.1 14441 XA4
run_x_b 127.0.0.1 14442 XB4
run_x_a ::1 14444 XA6
run_x_b ::1 14445 XB6
finish
