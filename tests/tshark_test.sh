#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tshark_test.sh: Wireshark as an oracle for our wire format.  Captures one
# connection between our own client and server (tests/interop_peer: X.509
# handshake, 1 MiB each way) on lo with dumpcap, the client writing the NSS
# key log through libquic/GnuTLS (SSLKEYLOGFILE), then checks with tshark
# that every packet decrypts, the TLS messages and transport parameters
# decode, the decrypted STREAM frames carry exactly the bytes sent, the
# RFC 9000 rules tests/interop/pcap_check.py knows hold, and that tshark
# reports no malformed packet and no expert error.
#
# Runs in the guest (tests/guest.sh) with quic.ko loaded.  Prints TAP, the
# plan at the end.
#
# Environment:
#   QUIC_TSHARK_KEEP   a directory to keep the capture, key log and logs in
set -u -o pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
. tests/interop/lib.sh

BYTES=1048576
PORT=14443
PEER=tests/interop_peer
LIMIT=60

work=$(mktemp -d /tmp/quic-tshark.XXXXXX) || exit 1
cleanup() {
	capture_stop
	kill_children
	if [[ -n ${QUIC_TSHARK_KEEP:-} ]]; then
		mkdir -p "$QUIC_TSHARK_KEEP" && cp -r "$work"/. "$QUIC_TSHARK_KEEP"/
	fi
	rm -rf "$work"
}
trap cleanup EXIT

echo "TAP version 13"

missing=()
for c in tshark dumpcap certtool python3; do
	command -v "$c" >/dev/null || missing+=("$c")
done
[[ -x $PEER ]] || missing+=("$PEER (make tests)")
((${#missing[@]} == 0))
tap $? "prerequisites: tshark, dumpcap, certtool, python3, interop_peer" ||
	{ diag "missing: ${missing[*]} (tests/deps.sh)"; finish; }

tests/interop/mkcerts.sh "$work/pki" >"$work/mkcerts.log" 2>&1
tap $? "test CA and server certificate made with certtool" ||
	{ diag_file "$work/mkcerts.log"; finish; }
pki=$work/pki
cap=$work/capture.pcapng
keys=$work/keys.log

capture_start "$PORT" "$cap" "$work/dumpcap.log"
tap $? "dumpcap captures on lo (udp port $PORT)" ||
	{ diag_file "$work/dumpcap.log"; finish; }

"$PEER" server -c "$pki/cert.pem" -k "$pki/key.pem" 127.0.0.1 "$PORT" \
	>"$work/server.log" 2>&1 </dev/null &
sp=$!
if wait_for "$work/server.log" '^STEP listen' 10 "$sp"; then
	QUIC_CA_FILE=$pki/ca.pem SSLKEYLOGFILE=$keys \
		timeout -k 5 "$LIMIT" "$PEER" client -n "$BYTES" -s localhost \
		127.0.0.1 "$PORT" >"$work/client.log" 2>&1 </dev/null
	rcc=$?
	wait_pid "$sp" 30
	rcs=$?
else
	rcc=-1
	rcs=-1
	wait_pid "$sp" 1
fi
capture_stop
dropped=$(capture_dropped "$work/dumpcap.log")
[[ $dropped == 0 ]]
tap $? "the capture is complete: dumpcap and the kernel dropped no packet" ||
	diag_file "$work/dumpcap.log"
step_ok "$work/client.log" handshake && step_ok "$work/client.log" upload &&
	step_ok "$work/client.log" download
tap $? "our client and server: handshake, $BYTES bytes each way (client exit $rcc)" ||
	{ diag_file "$work/client.log"; diag_file "$work/server.log"; }
diag "client: $(step_text "$work/client.log" upload)" \
	"client: $(step_text "$work/client.log" download)" \
	"server exit $rcs: $(grep -E '^STEP (serve|peer-close)' "$work/server.log" | tr '\n' ' ')"

grep -q '^CLIENT_HANDSHAKE_TRAFFIC_SECRET ' "$keys" 2>/dev/null &&
	grep -q '^SERVER_HANDSHAKE_TRAFFIC_SECRET ' "$keys" &&
	grep -q '^CLIENT_TRAFFIC_SECRET_0 ' "$keys" &&
	grep -q '^SERVER_TRAFFIC_SECRET_0 ' "$keys"
tap $? "SSLKEYLOGFILE: libquic/GnuTLS wrote the handshake and traffic secrets" ||
	diag "key log: $(cut -d' ' -f1 "$keys" 2>/dev/null | tr '\n' ' ')"

# The shape of the conversation as tshark sees it, for the log.
tshark -n -r "$cap" -o "tls.keylog_file:$keys" -d "udp.port==$PORT,quic" \
	-Y quic -T fields -e frame.number -e udp.srcport -e frame.len \
	-e quic.long.packet_type -e quic.packet_number -e quic.frame_type \
	-e tls.handshake.type -E occurrence=a >"$work/fields.txt" 2>"$work/tshark.err"
tap $? "tshark reads the capture" || diag_file "$work/tshark.err"
diag "tshark: frame, source port, length, long packet type, packet number," \
	"frame types, TLS handshake types (the first 12 packets):"
diag "$(head -n 12 "$work/fields.txt")"

# CRYPTO and STREAM frames decrypted, handshake messages decoded
tls_types=$(cut -f7 "$work/fields.txt" | tr ',' '\n' | sort -un | tr '\n' ' ')
frame_types=$(cut -f6 "$work/fields.txt" | tr ',' '\n' | sort -un | tr '\n' ' ')
rc=0
for t in 1 2 8 11 15 20; do
	[[ " $tls_types " == *" $t "* ]] || rc=1
done
tap $rc "TLS handshake messages decoded from CRYPTO frames: ClientHello, ServerHello, EncryptedExtensions, Certificate, CertificateVerify, Finished" ||
	diag "handshake types seen: $tls_types"
[[ " $frame_types " == *" 6 "* ]] && grep -qE '(^|,)(8|9|10|11|12|13|14|15)(,|$)' \
	<(cut -f6 "$work/fields.txt")
tap $? "CRYPTO (0x06) and STREAM (0x08-0x0f) frames decrypted" ||
	diag "frame types seen: $frame_types"

# tshark's own verdict
tshark -n -r "$cap" -o "tls.keylog_file:$keys" -d "udp.port==$PORT,quic" \
	-q -z expert,error >"$work/expert-error.txt" 2>&1
! grep -qE '^Errors \(|Malformed' "$work/expert-error.txt"
tap $? "tshark -z expert,error: no errors" || diag_file "$work/expert-error.txt"
tshark -n -r "$cap" -o "tls.keylog_file:$keys" -d "udp.port==$PORT,quic" \
	-V >"$work/verbose.txt" 2>&1
! grep -qE 'Malformed|\[Expert Info \(Error' "$work/verbose.txt"
tap $? "tshark -V: no \"Malformed\", no \"[Expert Info (Error\"" ||
	diag "$(grep -nE 'Malformed|\[Expert Info \(Error' "$work/verbose.txt" | head -n 20)"
tshark -n -r "$cap" -o "tls.keylog_file:$keys" -d "udp.port==$PORT,quic" \
	-q -z expert >"$work/expert.txt" 2>&1
diag "tshark -z expert:" "$(grep -vE '^Running as|^$' "$work/expert.txt")"

# the detailed checks
python3 tests/interop/pcap_check.py --bytes "$BYTES" "$cap" "$keys" "$PORT" \
	>"$work/pcap_check.log" 2>&1
rc=$?
declare -A what=(
	[quic]="every datagram is QUIC"
	[decrypt]="every Initial, Handshake and 1-RTT packet decrypts with the key log"
	[tls]="each side's TLS handshake messages are all there"
	[transport-parameters]="transport parameters decode; their connection IDs match the headers (RFC 9000 7.3)"
	[initial-size]="Initial datagrams padded to 1200 bytes (RFC 9000 14.1)"
	[packet-numbers]="packet numbers increase in every space, never reused"
	[acks]="ACK frames acknowledge only packets that were sent"
	[reserved-bits]="reserved header bits are zero"
	[frames]="HANDSHAKE_DONE in 1-RTT, ACKs both ways, CONNECTION_CLOSE at the end"
	[stream-client-0]="decrypted client stream 0 is \"PUT $BYTES\" + the $BYTES bytes sent + FIN"
	[stream-client-4]="decrypted client stream 4 is \"GET $BYTES\" + FIN"
	[stream-server-0]="decrypted server stream 0 is the SHA-256 of the upload + FIN"
	[stream-server-4]="decrypted server stream 4 is the $BYTES bytes sent + FIN"
	[malformed]="no malformed packet, no expert error (PDML)"
	[expert-warnings]="no expert warning"
)
for c in quic decrypt tls transport-parameters initial-size packet-numbers \
	acks reserved-bits frames stream-client-0 stream-client-4 \
	stream-server-0 stream-server-4 malformed expert-warnings; do
	l=$(grep -E "^CHECK $c (ok|fail)( |$)" "$work/pcap_check.log" | head -n 1)
	[[ $l == "CHECK $c ok"* ]]
	tap $? "${what[$c]}"
	diag "${l:-no result for $c}"
done
# checks the list above does not know yet
grep -E '^CHECK ' "$work/pcap_check.log" | while read -r _ c _; do
	[[ -n ${what[$c]:-} ]] || echo "$c"
done | sort -u >"$work/unknown.txt"
[[ ! -s $work/unknown.txt ]] && grep -q '^# pcap_check: done' "$work/pcap_check.log"
tap $? "pcap_check.py ran to the end (exit $rc), no check unaccounted for" ||
	{ diag "unexpected checks: $(cat "$work/unknown.txt")"; diag_file "$work/pcap_check.log"; }
diag "$(grep '^# ' "$work/pcap_check.log" | sed 's/^# //' | head -n 30)"
finish
