#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# interop_quicgo.sh: QUIC v1 interop between quic.ko (with libquic) and
# quic-go 0.29 (Debian 12's golang-github-lucas-clemente-quic-go-dev; our
# peer program tests/interop/quicgo/peer.go, built by
# tests/interop/quicgo/build.sh), over IPv4 on lo, about address validation
# (Retry, RFC 9000 section 8.1.2) first, then session resumption and 0-RTT.
# The application protocol is interop_peer's (PUT and GET of 16 KiB,
# checked by SHA-256 and byte by byte; peer.go's comment tells it):
#   QA: our client (tests/interop_peer) -> the quic-go server requiring
#       address validation (quic.Config.RequireAddressValidation): quic-go's
#       tracer sees it send our client exactly one Retry, and the connection
#       then completes with the Retry's token, its transport parameters
#       carrying that Retry's Source Connection ID as
#       retry_source_connection_id; a PUT and a GET intact, our client
#       closes with no error
#   QB: the quic-go client -> our server with validate_peer_address
#       (interop_peer -V): quic-go's tracer sees exactly one Retry
#       (ReceivedRetry), quic-go then checks our original_destination and
#       retry_source_connection_id and completes the handshake; a PUT and a
#       GET intact, quic-go closes, our server sees it
#   QSA: our client -> the quic-go server with Retry and 0-RTT, twice
#       (interop_peer -r -e): the first through a Retry; the second, with
#       quic-go's NEW_TOKEN token, its ticket and transport parameters, gets
#       no Retry, resumes and sends its PUT in 0-RTT, which quic-go accepts
#       (quic-go's ConnectionState: DidResume, Used0RTT)
#   QSB: the quic-go client (a TLS session cache, a token store) -> our
#       server (-V -r -e -N 2), twice: the first through a Retry; the second
#       resumes and writes its PUT in 0-RTT; our server accepts the early
#       data; quic-go sends our server's NEW_TOKEN token in its second
#       Initial (quic.NewLRUTokenStore), and our server, validating it,
#       sends no Retry
#
# Runs in the guest (tests/guest.sh) with quic.ko loaded.  Prints TAP, the
# plan at the end.  Fails (not ok) when the quic-go peer is not built: run
# tests/interop/quicgo/build.sh (tests/deps.sh does).  Every peer runs under
# a time limit, scaled by QUIC_TIMEOUT_SCALE.
#
# Environment:
#   QUIC_INTEROP_KEEP    a directory to keep the logs and key logs in
set -u -o pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
. tests/interop/lib.sh

PEER=tests/interop_peer
GPEER=tests/interop/quicgo/quicgo_peer
BYTES=16384
# seconds for one peer process (its own give-up time: 5 s less)
LIMIT=$((20 * ${QUIC_TIMEOUT_SCALE:-1}))

work=$(mktemp -d /tmp/quic-interop-quicgo.XXXXXX) || exit 1
trap interop_cleanup EXIT

echo "TAP version 13"

# ---------------------------------------------------------------- setup

missing=()
[[ -x $GPEER ]] || missing+=("$GPEER (tests/interop/quicgo/build.sh, run by tests/deps.sh)")
[[ -x $PEER ]] || missing+=("$PEER (make tests)")
command -v certtool >/dev/null || missing+=("certtool (gnutls-bin, tests/deps.sh)")
((${#missing[@]} == 0))
tap $? "prerequisites: the quic-go peer, interop_peer, certtool"
if ((${#missing[@]})); then
	diag "missing: ${missing[*]}"
	finish
fi

tests/interop/mkcerts.sh "$work/pki" >"$work/mkcerts.log" 2>&1
tap $? "test CA and server certificate made with certtool" ||
	{ diag_file "$work/mkcerts.log"; finish; }
pki=$work/pki

# the quic-go server's count of Retry packets sent to connection N
server_retries() {
	sed -n "s/^# server: connection $2 from .*: \([0-9]*\) Retry packets sent to it\$/\1/p" \
		"$1" | head -n 1
}

# ------------------------------------------------------------- the runs

# run_qa HOST PORT TAG: our client -> the quic-go server sending a Retry
run_qa() {
	local host=$1 port=$2 tag=$3 d=$work/$3 rcs rcc t0 r
	mkdir -p "$d"
	start_server "$tag" "$d/server.log" timeout -k 5 "$LIMIT" "$GPEER" \
		server -retry -cert "$pki/cert.pem" -key "$pki/key.pem" \
		-timeout $((LIMIT - 5)) -keylog "$d/quicgo.keys" \
		"$host" "$port" || return
	t0=$(date +%s%N)
	QUIC_CA_FILE=$pki/ca.pem SSLKEYLOGFILE=$d/ours.keys \
		timeout -k 5 "$LIMIT" "$PEER" client -n "$BYTES" -s localhost \
		"$host" "$port" >"$d/client.log" 2>&1 </dev/null
	rcc=$?
	wait_pid "$SP" 15
	rcs=$?
	diag "$tag: our client exited $rcc, the quic-go server $rcs, $(since "$t0") ms after the client started"

	r=$(server_retries "$d/server.log" 1)
	[[ $r == 1 ]] && step_ok "$d/server.log" retry-server
	tap $? "$tag: quic-go sends our client exactly one Retry (${r:-no} Retry packets), then completes the connection with its token (retry_source_connection_id = the Retry's SCID)"
	diag "retry-server: $(step_text "$d/server.log" retry-server)"
	tap_step "$d/client.log" handshake \
		"$tag: our client completes the handshake after the Retry (ALPN interop; quic-go's original_destination and retry_source_connection_id checked by quic.ko)"
	tap_step "$d/server.log" handshake \
		"$tag: quic-go's side of the handshake: complete, ALPN interop"
	tap_steps "$d/client.log" \
		"$tag: then a PUT (SHA-256) and a GET (byte by byte) of $BYTES bytes, both intact" \
		upload download
	tap_step "$d/server.log" serve \
		"$tag: quic-go served both requests"
	tap_step "$d/server.log" peer-close \
		"$tag: quic-go gets our CONNECTION_CLOSE with no error on close()"
	((rcc == 0 && rcs == 0))
	tap $? "$tag: both peers exit 0 within $LIMIT s" ||
		{ diag_file "$d/client.log"; diag_file "$d/server.log"; }
}

# run_qb HOST PORT TAG: the quic-go client -> our server validating addresses
run_qb() {
	local host=$1 port=$2 tag=$3 d=$work/$3 rcs rcc t0
	mkdir -p "$d"
	start_server "$tag" "$d/server.log" timeout -k 5 "$LIMIT" "$PEER" \
		server -V -c "$pki/cert.pem" -k "$pki/key.pem" "$host" "$port" ||
		return
	t0=$(date +%s%N)
	timeout -k 5 "$LIMIT" "$GPEER" client -retry 1 -ca "$pki/ca.pem" \
		-sni localhost -bytes "$BYTES" -timeout $((LIMIT - 5)) \
		-keylog "$d/quicgo.keys" "$host" "$port" \
		>"$d/client.log" 2>&1 </dev/null
	rcc=$?
	wait_pid "$SP" 15
	rcs=$?
	diag "$tag: the quic-go client exited $rcc, our server $rcs, $(since "$t0") ms after the client started"

	tap_step "$d/client.log" retry \
		"$tag: quic-go gets exactly one Retry from our server (validate_peer_address)"
	tap_step "$d/client.log" handshake \
		"$tag: quic-go completes the handshake after it (our original_destination and retry_source_connection_id checked by quic-go)"
	tap_step "$d/server.log" handshake \
		"$tag: our server's side of the handshake: complete, ALPN interop"
	tap_steps "$d/client.log" \
		"$tag: then a PUT (SHA-256) and a GET (byte by byte) of $BYTES bytes, both intact, and quic-go closes" \
		upload download close
	tap_step "$d/server.log" peer-close \
		"$tag: our server's recvmsg() ends with EOF/ECONNRESET/ENOTCONN on quic-go's CONNECTION_CLOSE"
	((rcc == 0 && rcs == 0))
	tap $? "$tag: both peers exit 0 within $LIMIT s" ||
		{ diag_file "$d/client.log"; diag_file "$d/server.log"; }
}

# run_qsa HOST PORT TAG: our client -> the quic-go server with Retry and
# 0-RTT, twice
run_qsa() {
	local host=$1 port=$2 tag=$3 d=$work/$3 rcs rcc t0 r1 r2
	mkdir -p "$d"
	start_server "$tag" "$d/server.log" timeout -k 5 "$LIMIT" "$GPEER" \
		server -retry -early -conns 2 -cert "$pki/cert.pem" \
		-key "$pki/key.pem" -timeout $((LIMIT - 5)) \
		-keylog "$d/quicgo.keys" "$host" "$port" || return
	t0=$(date +%s%N)
	QUIC_CA_FILE=$pki/ca.pem SSLKEYLOGFILE=$d/ours.keys \
		timeout -k 5 "$LIMIT" "$PEER" client -r -e -n "$BYTES" \
		-s localhost "$host" "$port" >"$d/client.log" 2>&1 </dev/null
	rcc=$?
	wait_pid "$SP" 15
	rcs=$?
	diag "$tag: our client exited $rcc, the quic-go server $rcs, $(since "$t0") ms after the client started"

	r1=$(server_retries "$d/server.log" 1)
	r2=$(server_retries "$d/server.log" 2)
	[[ $r1 == 1 ]] && step_ok "$d/server.log" retry-server
	tap $? "$tag: our client's first connection goes through exactly one Retry (${r1:-no} Retry packets) and completes with its token"
	diag "retry-server: $(step_text "$d/server.log" retry-server)"
	tap_steps "$d/client.log" \
		"$tag: that first connection: a handshake, a PUT and a GET of $BYTES bytes intact" \
		handshake upload download
	tap_step "$d/client.log" ticket \
		"$tag: our client gets session data from quic-go's ticket, its transport parameters and its NEW_TOKEN token"
	[[ $r2 == 0 ]] && step_ok "$d/server.log" handshake-2
	tap $? "$tag: the second connection, with that token (QUIC_SOCKOPT_TOKEN), gets no Retry (${r2:-?} Retry packets): quic-go validates the token"
	tap_step "$d/client.log" resumed-2 \
		"$tag: the second connection resumes the session (gnutls_session_is_resumed())"
	tap_step "$d/server.log" resumed-server-2 \
		"$tag: quic-go sees it resumed (DidResume)"
	tap_step "$d/client.log" early-2 \
		"$tag: our PUT sent before the handshake: quic-go accepts the early data"
	tap_step "$d/server.log" early-server-2 \
		"$tag: quic-go got our PUT before the handshake completed, in 0-RTT (Used0RTT)"
	tap_steps "$d/client.log" \
		"$tag: quic-go's answer to that PUT is right; a GET follows, intact" \
		upload-2 download-2
	tap_steps "$d/server.log" \
		"$tag: quic-go gets our CONNECTION_CLOSE with no error, both times" \
		peer-close peer-close-2
	((rcc == 0 && rcs == 0))
	tap $? "$tag: both peers exit 0 within $LIMIT s" ||
		{ diag_file "$d/client.log"; diag_file "$d/server.log"; }
}

# run_qsb HOST PORT TAG: the quic-go client -> our server (validate,
# resumption and 0-RTT), twice
run_qsb() {
	local host=$1 port=$2 tag=$3 d=$work/$3 rcs rcc t0
	mkdir -p "$d"
	start_server "$tag" "$d/server.log" timeout -k 5 "$LIMIT" "$PEER" \
		server -V -r -e -N 2 -c "$pki/cert.pem" -k "$pki/key.pem" \
		"$host" "$port" || return
	t0=$(date +%s%N)
	timeout -k 5 "$LIMIT" "$GPEER" client -retry 1 -retry2 0 -resume -early \
		-ca "$pki/ca.pem" -sni localhost -bytes "$BYTES" \
		-timeout $((LIMIT - 5)) -keylog "$d/quicgo.keys" \
		"$host" "$port" >"$d/client.log" 2>&1 </dev/null
	rcc=$?
	wait_pid "$SP" 15
	rcs=$?
	diag "$tag: the quic-go client exited $rcc, our server $rcs, $(since "$t0") ms after the client started"

	tap_steps "$d/client.log" \
		"$tag: quic-go's first connection: exactly one Retry, a handshake, a PUT and a GET of $BYTES bytes intact" \
		retry handshake upload download
	tap_step "$d/client.log" retry-2 \
		"$tag: quic-go's second connection, with our server's NEW_TOKEN token (its token store), gets no Retry: our server validates the token"
	tap_step "$d/client.log" resumed-2 \
		"$tag: quic-go's second connection resumes the session from our server's ticket (DidResume)"
	tap_step "$d/server.log" resumed-server \
		"$tag: our server sees the first one full, the second resumed (gnutls_session_is_resumed())"
	tap_step "$d/client.log" early-2 \
		"$tag: quic-go writes its PUT before the handshake, in 0-RTT, and our server accepts it (Used0RTT)"
	tap_step "$d/server.log" early-server \
		"$tag: our server accepted that early data (GNUTLS_SFLAGS_EARLY_DATA)"
	tap_steps "$d/client.log" \
		"$tag: our answer to that PUT is right; a GET follows, intact; quic-go closes" \
		upload-2 download-2 close-2
	((rcc == 0 && rcs == 0))
	tap $? "$tag: both peers exit 0 within $LIMIT s" ||
		{ diag_file "$d/client.log"; diag_file "$d/server.log"; }
}

run_qa 127.0.0.1 14460 QA4
run_qb 127.0.0.1 14461 QB4
run_qsa 127.0.0.1 14462 QSA4
run_qsb 127.0.0.1 14463 QSB4
finish
