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
# Then address validation, session resumption and 0-RTT, over IPv4, with
# 16 KiB transfers (interop_peer -V, -r, -e; quiche_peer.mjs --retry,
# --resume, --early; their comments tell the details):
#   RA: our client -> the quiche server sending a Retry (quiche.retry(), a
#       token of its own): our client follows it, checks quiche's
#       original_destination_connection_id and retry_source_connection_id;
#       a PUT and a GET
#   RB: the quiche client -> our server with validate_peer_address: quiche
#       gets one Retry; a PUT and a GET
#   SA: our client -> the quiche server with early data enabled, twice: the
#       first gets a ticket; the second resumes (gnutls_session_is_resumed
#       on our side, isResumed() on quiche's) and sends its PUT before the
#       handshake: quiche reads it in early data, from 0-RTT packets
#   SB: the quiche client -> our server (its own GnuTLS session, to report
#       what it did), twice: the second resumes (isResumed()) and writes
#       its PUT in early data, 0-RTT packets that our server accepts.  The
#       quiche client times that second ClientHello so that the ticket age
#       BoringSSL puts in it, in whole seconds, is not above the real one:
#       GnuTLS's anti-replay refuses the early data otherwise (about half
#       the time: quiche_peer.mjs, startClient())
# Then ngtcp2 0.12 from Debian (gtlsserver and gtlsclient, HTTP/3 with
# GnuTLS; interop_peer -3 speaks the little HTTP/3 needed), over IPv4:
#   NA: our client -> gtlsserver -V (address validation), twice: the
#       first through a Retry, a GET of a 100000-byte file checked by its
#       SHA-256; the second with the first's ticket, transport parameters
#       and NEW_TOKEN token: no Retry, resumed, the GET in 0-RTT packets
#       that gtlsserver takes as such
#   NB: gtlsclient -> our server (validate_peer_address,
#       quic_server_handshake()), twice: both through a Retry; the second
#       with the first's --session-file and --tp-file: its GET goes in
#       0-RTT and is not rejected; each body checked by its SHA-256
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
# the transfers of the Retry and resumption runs
SBYTES=16384
# the file of the HTTP/3 runs
HBYTES=100000
# seconds for one peer process (its own give-up time: 5 s less), scaled
# on slow (debug) kernels
LIMIT=$((40 * ${QUIC_TIMEOUT_SCALE:-1}))

work=$(mktemp -d /tmp/quic-interop.XXXXXX) || exit 1
trap interop_cleanup EXIT

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
# gtlsserver is in /usr/sbin
PATH=$PATH:/usr/sbin
missing=()
for p in gtlsserver gtlsclient sha256sum; do
	command -v $p >/dev/null || missing+=("$p")
done
((${#missing[@]} == 0))
tap $? "prerequisites: ngtcp2's gtlsserver and gtlsclient (ngtcp2-server, ngtcp2-client: tests/deps.sh)"
have_ngtcp2=$?
((have_ngtcp2 == 0)) || diag "missing: ${missing[*]}"

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

# ------------------------------------- Retry, resumption and 0-RTT

# run_ra HOST PORT TAG: our client -> the quiche server sending a Retry
run_ra() {
	local host=$1 port=$2 tag=$3 d=$work/$3 rcs rcc t0
	mkdir -p "$d"
	start_server "$tag" "$d/server.log" node "$QPEER" server --retry \
		--cert "$pki/cert.pem" --key "$pki/key.pem" \
		--timeout $((LIMIT - 5)) --keylog "$d/quiche.keys" \
		"$host" "$port" || return
	t0=$(date +%s%N)
	QUIC_CA_FILE=$pki/ca.pem SSLKEYLOGFILE=$d/ours.keys \
		timeout -k 5 "$LIMIT" "$PEER" client -n "$SBYTES" -s localhost \
		"$host" "$port" >"$d/client.log" 2>&1 </dev/null
	rcc=$?
	wait_pid "$SP" 15
	rcs=$?
	diag "$tag: our client exited $rcc, the quiche server $rcs, $(since "$t0") ms after the client started"

	tap_step "$d/server.log" retry-server \
		"$tag: quiche sends our client a Retry, then accepts its Initial with the Retry's token"
	tap_step "$d/client.log" handshake \
		"$tag: our client completes the handshake after the Retry (quiche's original_destination and retry_source_connection_id checked)"
	tap_steps "$d/client.log" \
		"$tag: then a PUT and a GET of $SBYTES bytes, both intact" \
		upload download
	((rcc == 0 && rcs == 0))
	tap $? "$tag: both peers exit 0 within $LIMIT s, quiche saw no error" ||
		{ diag_file "$d/client.log"; diag_file "$d/server.log"; }
}

# run_rb HOST PORT TAG: the quiche client -> our server validating addresses
run_rb() {
	local host=$1 port=$2 tag=$3 d=$work/$3 rcs rcc t0
	mkdir -p "$d"
	start_server "$tag" "$d/server.log" timeout -k 5 "$LIMIT" "$PEER" \
		server -V -c "$pki/cert.pem" -k "$pki/key.pem" "$host" "$port" ||
		return
	t0=$(date +%s%N)
	timeout -k 5 "$LIMIT" node "$QPEER" client --retry --ca "$pki/ca.pem" \
		--sni localhost --bytes "$SBYTES" --timeout $((LIMIT - 5)) \
		--keylog "$d/quiche.keys" "$host" "$port" \
		>"$d/client.log" 2>&1 </dev/null
	rcc=$?
	wait_pid "$SP" 15
	rcs=$?
	diag "$tag: the quiche client exited $rcc, our server $rcs, $(since "$t0") ms after the client started"

	tap_step "$d/client.log" retry \
		"$tag: quiche gets one Retry from our server (validate_peer_address)"
	tap_step "$d/client.log" handshake \
		"$tag: quiche completes the handshake after it (our original_destination and retry_source_connection_id checked)"
	tap_steps "$d/client.log" \
		"$tag: then a PUT and a GET of $SBYTES bytes, both intact, and quiche closes cleanly" \
		upload download close
	((rcc == 0 && rcs == 0))
	tap $? "$tag: both peers exit 0 within $LIMIT s" ||
		{ diag_file "$d/client.log"; diag_file "$d/server.log"; }
}

# run_sa HOST PORT TAG: our client -> the quiche server, twice: resumption
# and 0-RTT
run_sa() {
	local host=$1 port=$2 tag=$3 d=$work/$3 rcs rcc t0
	mkdir -p "$d"
	start_server "$tag" "$d/server.log" node "$QPEER" server --resume \
		--early --cert "$pki/cert.pem" --key "$pki/key.pem" \
		--timeout $((LIMIT - 5)) --keylog "$d/quiche.keys" \
		"$host" "$port" || return
	t0=$(date +%s%N)
	QUIC_CA_FILE=$pki/ca.pem SSLKEYLOGFILE=$d/ours.keys \
		timeout -k 5 "$LIMIT" "$PEER" client -r -e -n "$SBYTES" \
		-s localhost "$host" "$port" >"$d/client.log" 2>&1 </dev/null
	rcc=$?
	wait_pid "$SP" 15
	rcs=$?
	diag "$tag: our client exited $rcc, the quiche server $rcs, $(since "$t0") ms after the client started"

	tap_steps "$d/client.log" \
		"$tag: our client's first connection (its own GnuTLS session): a handshake, a PUT and a GET of $SBYTES bytes" \
		handshake upload download
	tap_step "$d/client.log" ticket \
		"$tag: our client gets session data from quiche's ticket (quic_session_get_data()) and quiche's transport parameters"
	tap_step "$d/client.log" resumed-2 \
		"$tag: the second connection resumes the session (gnutls_session_is_resumed())"
	tap_step "$d/server.log" resumed-server-2 \
		"$tag: quiche sees the first one full, the second resumed (isResumed())"
	tap_step "$d/client.log" early-2 \
		"$tag: our PUT sent before the handshake: quiche accepts the early data (GNUTLS_SFLAGS_EARLY_DATA)"
	tap_step "$d/server.log" early-server-2 \
		"$tag: quiche reads our PUT on stream 0 in early data (isInEarlyData()), from our 0-RTT packets"
	tap_steps "$d/client.log" \
		"$tag: quiche's answer to that PUT of $SBYTES bytes is right; a GET follows" \
		upload-2 download-2
	tap_steps "$d/server.log" \
		"$tag: our datagrams, the 0-RTT ones too, respect quiche's max_udp_payload_size (1500; remembered with QUIC_SOCKOPT_TRANSPORT_PARAM)" \
		max-udp-payload max-udp-payload-2
	((rcc == 0 && rcs == 0))
	tap $? "$tag: both peers exit 0 within $LIMIT s, quiche saw no error" ||
		{ diag_file "$d/client.log"; diag_file "$d/server.log"; }
}

# run_sb HOST PORT TAG: the quiche client -> our server, twice: resumption
# and 0-RTT
run_sb() {
	local host=$1 port=$2 tag=$3 d=$work/$3 rcs rcc t0
	mkdir -p "$d"
	start_server "$tag" "$d/server.log" timeout -k 5 "$LIMIT" "$PEER" \
		server -r -e -N 2 -c "$pki/cert.pem" -k "$pki/key.pem" \
		"$host" "$port" || return
	t0=$(date +%s%N)
	timeout -k 5 "$LIMIT" node "$QPEER" client --resume --early \
		--ca "$pki/ca.pem" --sni localhost --bytes "$SBYTES" \
		--timeout $((LIMIT - 5)) --keylog "$d/quiche.keys" \
		"$host" "$port" >"$d/client.log" 2>&1 </dev/null
	rcc=$?
	wait_pid "$SP" 15
	rcs=$?
	diag "$tag: the quiche client exited $rcc, our server $rcs, $(since "$t0") ms after the client started"
	diag "$(sed -n 's/^# \(.*its ClientHello.*\)/\1/p' "$d/client.log")"

	tap_steps "$d/client.log" \
		"$tag: quiche's first connection to our server: a handshake, a PUT and a GET of $SBYTES bytes" \
		handshake upload download
	tap_step "$d/client.log" ticket \
		"$tag: quiche gets a session from our server's ticket (Connection.session())"
	tap_step "$d/client.log" resumed-2 \
		"$tag: quiche's second connection resumes it (isResumed())"
	tap_step "$d/server.log" resumed-server \
		"$tag: our server sees the first one full, the second resumed (gnutls_session_is_resumed())"
	tap_step "$d/client.log" early-2 \
		"$tag: quiche writes its PUT in early data, in 0-RTT packets, and our answer to it is right"
	tap_step "$d/server.log" early-server \
		"$tag: our server accepted that early data (GNUTLS_SFLAGS_EARLY_DATA)"
	tap_steps "$d/client.log" \
		"$tag: then a GET of $SBYTES bytes, and quiche closes cleanly" \
		download-2 close-2
	((rcc == 0 && rcs == 0))
	tap $? "$tag: both peers exit 0 within $LIMIT s" ||
		{ diag_file "$d/client.log"; diag_file "$d/server.log"; }
}

# ------------------------------------------------------------- ngtcp2

# get_ok FILE STEP WANT: the STEP line of a GET passed with a body of
# HBYTES bytes whose SHA-256 is WANT
get_ok() {
	step_ok "$1" "$2" &&
		grep -qE "^STEP $2 ok status 200, body $HBYTES bytes sha256 $3 " "$1"
}

# run_na HOST PORT TAG: our client -> gtlsserver -V, twice (HTTP/3)
run_na() {
	local host=$1 port=$2 tag=$3 d=$work/$3 sp rcc t0 want p1 p2 l
	mkdir -p "$d/htdocs"
	head -c "$HBYTES" /dev/urandom >"$d/htdocs/blob"
	want=$(sha256sum <"$d/htdocs/blob") && want=${want%% *}
	gtlsserver -V -d "$d/htdocs" --no-quic-dump --no-http-dump \
		--timeout=$((LIMIT))s "$host" "$port" "$pki/key.pem" \
		"$pki/cert.pem" >"$d/server.log" 2>&1 </dev/null &
	sp=$!
	if ! wait_udp "$port" 10 "$sp"; then
		tap 1 "$tag: gtlsserver listening on $host port $port"
		diag_file "$d/server.log"
		wait_pid "$sp" 1
		return
	fi
	t0=$(date +%s%N)
	QUIC_CA_FILE=$pki/ca.pem SSLKEYLOGFILE=$d/ours.keys \
		timeout -k 5 "$LIMIT" "$PEER" client -a h3 -3 /blob -n "$HBYTES" \
		-r -e -s localhost "$host" "$port" >"$d/client.log" 2>&1 </dev/null
	rcc=$?
	diag "$tag: our client exited $rcc $(since "$t0") ms after it started"
	wait_pid "$sp" 0
	p1=$(sed -n 's/^# client: connection 1 from port \([0-9]*\)$/\1/p' "$d/client.log")
	p2=$(sed -n 's/^# client: connection 2 from port \([0-9]*\)$/\1/p' "$d/client.log")

	tap_step "$d/client.log" handshake \
		"$tag: our client completes a handshake with gtlsserver -V over $host (ALPN h3)"
	l=$(grep -cE "^Sending Retry packet to \[.*\]:$p1\$" "$d/server.log")
	[[ -n $p1 && $l == 1 ]] &&
		grep -qE "^Verifying Retry token from \[.*\]:$p1\$" "$d/server.log" &&
		grep -q "^Token was successfully validated" "$d/server.log"
	tap $? "$tag: gtlsserver sends that first connection (port ${p1:-?}) a Retry, and validates the token our client then sends" ||
		diag "$(grep -E 'Retry|[Tt]oken' "$d/server.log" | head -n 10)"
	get_ok "$d/client.log" get "$want"
	tap $? "$tag: an HTTP/3 GET of a $HBYTES-byte file: status 200 and the body intact (SHA-256)"
	diag "get: $(step_text "$d/client.log" get); the file's sha256 $want"
	tap_step "$d/client.log" ticket \
		"$tag: our client gets session data from gtlsserver's ticket, its transport parameters and its NEW_TOKEN token"
	[[ -n $p2 ]] && ! grep -qE "^Sending Retry packet to \[.*\]:$p2\$" "$d/server.log" &&
		grep -qE "^Verifying token from \[.*\]:$p2\$" "$d/server.log"
	tap $? "$tag: the second connection (port ${p2:-?}), with that token (QUIC_SOCKOPT_TOKEN), gets no Retry: gtlsserver validates the token" ||
		diag "$(grep -E 'Retry|[Tt]oken' "$d/server.log" | head -n 10)"
	tap_step "$d/client.log" resumed-2 \
		"$tag: it resumes the session (gnutls_session_is_resumed())"
	tap_step "$d/client.log" early-2 \
		"$tag: its GET sent before the handshake: gtlsserver accepts the early data"
	l=$(grep -cE ' frm rx [0-9]+ 0RTT STREAM\([^)]*\) id=0x0 ' "$d/server.log")
	((l > 0))
	tap $? "$tag: gtlsserver receives that GET (stream 0) in 0-RTT packets ($l STREAM frames)"
	get_ok "$d/client.log" get-2 "$want"
	tap $? "$tag: the answer to it: status 200 and the body intact"
	diag "get-2: $(step_text "$d/client.log" get-2)"
	((rcc == 0))
	tap $? "$tag: our client exits 0 within $LIMIT s" ||
		{ diag_file "$d/client.log"; diag_file "$d/server.log"; }
}

# run_nb HOST PORT TAG: gtlsclient -> our server (validate_peer_address,
# quic_server_handshake()), twice (HTTP/3)
run_nb() {
	local host=$1 port=$2 tag=$3 d=$work/$3 rcs t0 i want l
	local rc=()
	mkdir -p "$d/dl1" "$d/dl2"
	start_server "$tag" "$d/server.log" timeout -k 5 "$LIMIT" "$PEER" \
		server -3 -a h3 -V -N 2 -n "$HBYTES" -c "$pki/cert.pem" \
		-k "$pki/key.pem" "$host" "$port" || return
	t0=$(date +%s%N)
	for i in 1 2; do
		timeout -k 5 "$LIMIT" gtlsclient --exit-on-all-streams-close \
			--session-file="$d/session" --tp-file="$d/tp" \
			--token-file="$d/token" --download="$d/dl$i" \
			--no-quic-dump --no-http-dump --timeout=10s \
			"$host" "$port" https://localhost/blob \
			>"$d/client$i.log" 2>&1 </dev/null
		rc[i]=$?
	done
	wait_pid "$SP" 15
	rcs=$?
	diag "$tag: gtlsclient exited ${rc[1]} and ${rc[2]}, our server $rcs, $(since "$t0") ms after the first started"
	want=$(sed -n 's/^STEP get-server ok .* sha256 \([0-9a-f]*\)$/\1/p' \
		"$d/server.log" | head -n 1)

	grep -qE ' pkt rx .* type=Retry ' "$d/client1.log" &&
		grep -q '^Negotiated ALPN is h3' "$d/client1.log"
	tap $? "$tag: gtlsclient gets a Retry from our server (validate_peer_address) and completes the handshake (ALPN h3)"
	l=$(sha256sum <"$d/dl1/blob" 2>/dev/null) && l=${l%% *}
	[[ -n $want && $l == "$want" ]] && step_ok "$d/server.log" get-server
	tap $? "$tag: our HTTP/3 answer: gtlsclient downloads the $HBYTES bytes intact (SHA-256)"
	diag "get-server: $(step_text "$d/server.log" get-server); gtlsclient got sha256 ${l:-none}"
	[[ -s $d/session && -s $d/tp ]]
	tap $? "$tag: gtlsclient saves our server's session ticket and transport parameters (--session-file, --tp-file)"
	l=$(grep -cE ' frm tx [0-9]+ 0RTT STREAM\([^)]*\) id=0x0 ' "$d/client2.log")
	((l > 0)) && grep -q '^Negotiated ALPN is h3' "$d/client2.log" &&
		! grep -q 'Early data was rejected' "$d/client2.log"
	tap $? "$tag: gtlsclient's second connection resumes and sends its GET in 0-RTT ($l STREAM frames); our server does not reject the early data" ||
		diag "$(grep -iE 'early|rejected' "$d/client2.log" | head -n 5)"
	l=$(grep -cE ' pkt rx .* type=Retry ' "$d/client2.log")
	diag "$tag: gtlsclient's second connection got $l Retry packets"
	if grep -q '^Could not read token in' "$d/client2.log"; then
		diag "$tag: gtlsclient 0.12.1 cannot read back the token file it wrote (\"$(grep -m 1 '^Could not read token in' "$d/client2.log")\"): it cannot use our NEW_TOKEN token, and its second connection goes through a Retry too, its 0-RTT packets sent again after it"
	fi
	l=$(sha256sum <"$d/dl2/blob" 2>/dev/null) && l=${l%% *}
	[[ -n $want && $l == "$want" ]] && step_ok "$d/server.log" get-server-2
	tap $? "$tag: the answer to that GET reaches gtlsclient intact"
	tap_steps "$d/server.log" \
		"$tag: our server's recvmsg() ends on each of gtlsclient's CONNECTION_CLOSE" \
		peer-close peer-close-2
	((rc[1] == 0 && rc[2] == 0 && rcs == 0))
	tap $? "$tag: gtlsclient (both times) and our server exit 0 within $LIMIT s" ||
		{ diag_file "$d/server.log"; diag_file "$d/client2.log"; }
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
# address validation, resumption and 0-RTT
run_ra 127.0.0.1 14446 RA4
run_rb 127.0.0.1 14447 RB4
run_sa 127.0.0.1 14448 SA4
run_sb 127.0.0.1 14449 SB4
if ((have_ngtcp2 == 0)); then
	run_na 127.0.0.1 14450 NA4
	run_nb 127.0.0.1 14451 NB4
fi
finish
