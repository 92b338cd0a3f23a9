#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# interop_quinn.sh: QUIC v1 interop between quic.ko and quinn 0.9 (Rust,
# rustls 0.20; Debian 12's crates), focused on address validation with a
# Retry (RFC 9000 section 8.1.2), over IPv4 and IPv6 on lo.  The quinn side
# is tests/interop/quinn/quinn_peer (built by tests/interop/quinn/build.sh;
# its src/main.rs tells the details), which reads the long headers of the
# datagrams its socket sends and receives: it counts the Retry packets and
# checks that the Initials that follow carry the Retry's token.  Our side is
# tests/interop_peer; the application protocol the one of
# tests/interop_test.sh (a PUT checked by its SHA-256, a GET checked byte by
# byte; 16 KiB each).
#   UA: our client -> the quinn server with use_retry(true): quinn sends
#       exactly one Retry and gets its token back in our client's next
#       Initial (else quinn accepts no connection: its tokens are
#       authenticated); our client completes the handshake (quic.ko checks
#       quinn's original_destination_connection_id and
#       retry_source_connection_id); a PUT and a GET
#   UB: the quinn client -> our server with validate_peer_address (-V):
#       quinn gets exactly one Retry, sends its token back, completes the
#       handshake (quinn checks our retry_source_connection_id); a PUT and
#       a GET, and quinn closes cleanly
#   UC: the same without -V: the quinn client sees no Retry (the check of
#       UB is not one that always passes)
# Then resumption and 0-RTT, over IPv4:
#   SA: our client (-r -e) -> the quinn server with early data, twice: the
#       second connection resumes and sends its PUT in 0-RTT packets, which
#       quinn takes (a stream opened in 0-RTT)
#   SB: the quinn client -> our server (-V -r -e), twice: both through a
#       Retry; the second resumes (rustls' session cache) and sends its PUT
#       in 0-RTT, resent after the Retry, which our server accepts.  Only
#       with QUIC_QUINN_SB=1: about one time in four (6.1 and 6.12 guests,
#       with or without -V) quinn's second connection reports the handshake
#       complete and 0-RTT accepted after our server's Initial and
#       Handshake flight, yet sends nothing more (no Handshake packet with
#       its Finished, no probe: seen in a capture), and both ends time out.
#       Not understood yet (quinn-udp drops sendmsg errors silently).
#
# Runs in the guest (tests/guest.sh) with quic.ko loaded.  Prints TAP, the
# plan at the end.  Every peer runs under a time limit (scaled by
# QUIC_TIMEOUT_SCALE on slow kernels).  A missing quinn_peer is a failure,
# never a skip.
#
# Environment:
#   QUIC_INTEROP_KEEP    a directory to keep the logs and key logs in
#   QUIC_QUINN_SB        1: run SB too (see above)
set -u -o pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
. tests/interop/lib.sh

PEER=tests/interop_peer
QUINN=tests/interop/quinn/quinn_peer
BYTES=16384
# seconds for one peer process (quinn_peer's own give-up time: 5 s less)
LIMIT=$((30 * ${QUIC_TIMEOUT_SCALE:-1}))

work=$(mktemp -d /tmp/quic-quinn.XXXXXX) || exit 1
trap interop_cleanup EXIT

echo "TAP version 13"

missing=()
[[ -x $QUINN ]] || missing+=("$QUINN (tests/interop/quinn/build.sh, run by tests/deps.sh)")
[[ -x $PEER ]] || missing+=("$PEER (make tests)")
command -v certtool >/dev/null || missing+=("certtool (gnutls-bin, tests/deps.sh)")
((${#missing[@]} == 0))
tap $? "prerequisites: quinn_peer, interop_peer, certtool"
if ((${#missing[@]})); then
	diag "missing: ${missing[*]}"
	finish
fi

tests/interop/mkcerts.sh "$work/pki" >"$work/mkcerts.log" 2>&1
tap $? "test CA and server certificate made with certtool" ||
	{ diag_file "$work/mkcerts.log"; finish; }
pki=$work/pki

# run_ua HOST PORT TAG: our client -> the quinn server sending a Retry
run_ua() {
	local host=$1 port=$2 tag=$3 d=$work/$3 rcs rcc t0
	mkdir -p "$d"
	SSLKEYLOGFILE=$d/quinn.keys start_server "$tag" "$d/server.log" \
		timeout -k 5 "$LIMIT" "$QUINN" server --retry \
		--cert "$pki/cert.pem" --key "$pki/key.pem" \
		--timeout $((LIMIT - 5)) "$host" "$port" || return
	t0=$(date +%s%N)
	QUIC_CA_FILE=$pki/ca.pem SSLKEYLOGFILE=$d/ours.keys \
		timeout -k 5 "$LIMIT" "$PEER" client -n "$BYTES" -s localhost \
		"$host" "$port" >"$d/client.log" 2>&1 </dev/null
	rcc=$?
	wait_pid "$SP" 15
	rcs=$?
	diag "$tag: our client exited $rcc, the quinn server $rcs, $(since "$t0") ms after the client started"

	tap_step "$d/server.log" retry-server \
		"$tag: quinn (use_retry) sends our client exactly one Retry and gets its token back in our next Initial ($host)"
	tap_steps "$d/client.log" \
		"$tag: our client completes the handshake after the Retry (quinn's original_destination and retry_source_connection_id checked)" \
		handshake
	tap_step "$d/server.log" handshake-server \
		"$tag: quinn completes it too (ALPN interop)"
	tap_steps "$d/client.log" \
		"$tag: then a PUT and a GET of $BYTES bytes, both intact" \
		upload download
	tap_steps "$d/server.log" \
		"$tag: quinn served both (the PUT's bytes checked), and saw our CONNECTION_CLOSE with code 0" \
		serve peer-close
	((rcc == 0 && rcs == 0))
	tap $? "$tag: both peers exit 0 within $LIMIT s" ||
		{ diag_file "$d/client.log"; diag_file "$d/server.log"; }
}

# run_ub HOST PORT TAG [noretry]: the quinn client -> our server validating
# addresses (-V); with "noretry", our server without -V, and the quinn
# client expecting no Retry
run_ub() {
	local host=$1 port=$2 tag=$3 d=$work/$3 rcs rcc t0 v=-V r=--retry
	local what="gets exactly one Retry from our server (validate_peer_address) and sends its token back in its next Initial"
	if [[ ${4:-} == noretry ]]; then
		v= r=
		what="gets no Retry from our server without validate_peer_address"
	fi
	mkdir -p "$d"
	start_server "$tag" "$d/server.log" timeout -k 5 "$LIMIT" "$PEER" \
		server $v -n "$BYTES" -c "$pki/cert.pem" -k "$pki/key.pem" \
		"$host" "$port" || return
	t0=$(date +%s%N)
	SSLKEYLOGFILE=$d/quinn.keys timeout -k 5 "$LIMIT" "$QUINN" client $r \
		--ca "$pki/ca.pem" --sni localhost --bytes "$BYTES" \
		--timeout $((LIMIT - 5)) "$host" "$port" \
		>"$d/client.log" 2>&1 </dev/null
	rcc=$?
	wait_pid "$SP" 15
	rcs=$?
	diag "$tag: the quinn client exited $rcc, our server $rcs, $(since "$t0") ms after the client started"

	tap_step "$d/client.log" retry "$tag: quinn $what ($host)"
	tap_step "$d/client.log" handshake \
		"$tag: quinn completes the handshake (our original_destination${v:+ and retry_source}_connection_id checked)"
	tap_steps "$d/client.log" \
		"$tag: then a PUT and a GET of $BYTES bytes, both intact, and quinn closes with code 0" \
		upload download close
	tap_step "$d/server.log" peer-close \
		"$tag: our server's recvmsg() ends on quinn's CONNECTION_CLOSE"
	((rcc == 0 && rcs == 0))
	tap $? "$tag: both peers exit 0 within $LIMIT s" ||
		{ diag_file "$d/client.log"; diag_file "$d/server.log"; }
}

# run_sa HOST PORT TAG: our client -> the quinn server, twice: resumption
# and 0-RTT
run_sa() {
	local host=$1 port=$2 tag=$3 d=$work/$3 rcs rcc t0
	mkdir -p "$d"
	SSLKEYLOGFILE=$d/quinn.keys start_server "$tag" "$d/server.log" \
		timeout -k 5 "$LIMIT" "$QUINN" server --early --conns 2 \
		--cert "$pki/cert.pem" --key "$pki/key.pem" \
		--timeout $((LIMIT - 5)) "$host" "$port" || return
	t0=$(date +%s%N)
	QUIC_CA_FILE=$pki/ca.pem SSLKEYLOGFILE=$d/ours.keys \
		timeout -k 5 "$LIMIT" "$PEER" client -r -e -n "$BYTES" \
		-s localhost "$host" "$port" >"$d/client.log" 2>&1 </dev/null
	rcc=$?
	wait_pid "$SP" 15
	rcs=$?
	diag "$tag: our client exited $rcc, the quinn server $rcs, $(since "$t0") ms after the client started"

	tap_steps "$d/client.log" \
		"$tag: our client's first connection: a handshake, a PUT and a GET of $BYTES bytes" \
		handshake upload download
	tap_step "$d/client.log" ticket \
		"$tag: our client gets session data from quinn's (rustls') ticket and quinn's transport parameters"
	tap_step "$d/client.log" resumed-2 \
		"$tag: the second connection resumes the session (gnutls_session_is_resumed())"
	tap_step "$d/client.log" early-2 \
		"$tag: our PUT sent before the handshake: quinn accepts the early data (GNUTLS_SFLAGS_EARLY_DATA)"
	tap_step "$d/server.log" early-server-2 \
		"$tag: quinn reads our PUT on a stream opened in 0-RTT, from our 0-RTT packets"
	tap_steps "$d/client.log" \
		"$tag: quinn's answer to that PUT is right; a GET follows" \
		upload-2 download-2
	tap_steps "$d/server.log" \
		"$tag: quinn served both connections and saw them closed with code 0" \
		serve serve-2 peer-close peer-close-2
	((rcc == 0 && rcs == 0))
	tap $? "$tag: both peers exit 0 within $LIMIT s" ||
		{ diag_file "$d/client.log"; diag_file "$d/server.log"; }
}

# run_sb HOST PORT TAG: the quinn client -> our server (-V -r -e), twice:
# Retry each time, resumption and 0-RTT
run_sb() {
	local host=$1 port=$2 tag=$3 d=$work/$3 rcs rcc t0
	mkdir -p "$d"
	start_server "$tag" "$d/server.log" timeout -k 5 "$LIMIT" "$PEER" \
		server -V -r -e -N 2 -n "$BYTES" -c "$pki/cert.pem" \
		-k "$pki/key.pem" "$host" "$port" || return
	t0=$(date +%s%N)
	SSLKEYLOGFILE=$d/quinn.keys timeout -k 5 "$LIMIT" "$QUINN" client \
		--retry --resume --early --ca "$pki/ca.pem" --sni localhost \
		--bytes "$BYTES" --timeout $((LIMIT - 5)) "$host" "$port" \
		>"$d/client.log" 2>&1 </dev/null
	rcc=$?
	wait_pid "$SP" 15
	rcs=$?
	diag "$tag: the quinn client exited $rcc, our server $rcs, $(since "$t0") ms after the client started"

	tap_steps "$d/client.log" \
		"$tag: quinn's first connection: one Retry, a handshake, a PUT and a GET of $BYTES bytes" \
		retry handshake upload download
	tap_step "$d/client.log" ticket \
		"$tag: quinn (rustls) stores our server's session ticket"
	tap_step "$d/client.log" retry-2 \
		"$tag: its second connection gets one Retry too, and sends its token back"
	tap_step "$d/client.log" early-2 \
		"$tag: it sends its PUT in 0-RTT packets (resent after the Retry): our server accepts the early data"
	tap_step "$d/server.log" resumed-server \
		"$tag: our server sees the first connection full, the second resumed (gnutls_session_is_resumed())"
	tap_step "$d/server.log" early-server \
		"$tag: our server accepted that early data (GNUTLS_SFLAGS_EARLY_DATA)"
	tap_steps "$d/client.log" \
		"$tag: our answer to that PUT is right, a GET follows, and quinn closes with code 0" \
		upload-2 download-2 close-2
	((rcc == 0 && rcs == 0))
	tap $? "$tag: both peers exit 0 within $LIMIT s" ||
		{ diag_file "$d/client.log"; diag_file "$d/server.log"; }
}

run_ua 127.0.0.1 14460 UA4
run_ub 127.0.0.1 14461 UB4
run_ua ::1 14462 UA6
run_ub ::1 14463 UB6
run_ub 127.0.0.1 14464 UC4 noretry
run_sa 127.0.0.1 14465 SA4
if [[ ${QUIC_QUINN_SB:-} == 1 ]]; then
	run_sb 127.0.0.1 14466 SB4
fi
finish
