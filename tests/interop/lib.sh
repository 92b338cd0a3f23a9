# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# lib.sh: shell helpers of tests/interop_test.sh and tests/tshark_test.sh
# (sourced, from the repository root): TAP output, waiting for a peer to be
# ready, packet capture, and the peers' "STEP name ok|fail details" lines.

n=0
failed=0

# tap STATUS DESCRIPTION: one result; STATUS 0 passes
tap() {
	n=$((n + 1))
	if (($1 == 0)); then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
	return "$1"
}

diag() {	# diag LINES...: each argument may hold several lines
	local a l
	for a in "$@"; do
		while IFS= read -r l; do echo "# $l"; done <<<"$a"
	done
}

# diag_file FILE: a log file as diagnostics, at most 60 lines of it
diag_file() {
	[[ -s $1 ]] || return 0
	echo "# --- $1"
	head -n 60 "$1" | while IFS= read -r l; do echo "#   $l"; done
}

finish() {
	echo "1..$n"
	((failed == 0)) || diag "$failed of $n tests failed"
	((failed == 0 && n > 0))
	exit
}

# wait_for FILE REGEX SECONDS [PID]: until a line of FILE matches; fails
# early when PID has exited
wait_for() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		if [[ -n ${4:-} ]] && ! kill -0 "$4" 2>/dev/null; then
			grep -qE "$2" "$1" 2>/dev/null
			return
		fi
		sleep 0.1
	done
	return 1
}

# wait_udp PORT SECONDS PID: until a UDP socket is bound to PORT (a peer
# that prints nothing when it is ready); fails early when PID has exited
wait_udp() {
	local port i
	port=$(printf ':%04X ' "$1")
	for ((i = 0; i < $2 * 10; i++)); do
		grep -q "$port" /proc/net/udp /proc/net/udp6 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# wait_pid PID SECONDS: wait for a child to exit; kill it after SECONDS.
# Returns its exit status (124 when it had to be killed).
wait_pid() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		kill "$1" 2>/dev/null
		sleep 0.5
		kill -9 "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		return 124
	fi
	wait "$1"
}

# step FILE NAME: the STEP line NAME of a peer's output passed
step_ok() {
	grep -qE "^STEP $2 ok( |$)" "$1"
}

# step_text FILE NAME: that line's details (or why it is missing)
step_text() {
	local l
	l=$(grep -E "^STEP $2 (ok|fail)( |$)" "$1" | head -n 1)
	if [[ -n $l ]]; then
		echo "${l#STEP "$2" }"
	else
		echo "(no \"$2\" result)"
	fi
}

# tap_step FILE NAME DESCRIPTION: a result from a STEP line, its details
# as a diagnostic
tap_step() {
	step_ok "$1" "$2"
	tap $? "$3"
	diag "$2: $(step_text "$1" "$2")"
}

# tap_steps FILE DESCRIPTION NAME...: one result, passed iff every STEP
# line NAME passed; their details as diagnostics
tap_steps() {
	local f=$1 d=$2 name ok=0
	shift 2
	for name; do
		step_ok "$f" "$name" || ok=1
	done
	tap $ok "$d"
	for name; do
		diag "$name: $(step_text "$f" "$name")"
	done
}

# capture_start PORT FILE LOG: dumpcap on lo for one UDP port, in the
# background (CAPTURE_PID, CAPTURE_FILE), with a 16 MiB kernel buffer;
# returns once it captures
capture_start() {
	CAPTURE_FILE=$2
	dumpcap -i lo -B 16 -f "udp port $1" -w "$2" >"$3" 2>&1 &
	CAPTURE_PID=$!
	wait_for "$3" 'Capturing on' 30 "$CAPTURE_PID"
}

# capture_stop: once the capture file has not grown for a second (dumpcap
# writes packets out in blocks, some time after they were sent; at most
# 15 s), stop dumpcap; its log then ends with the packet counts
capture_stop() {
	local size last=-1 still=0 i
	[[ -n ${CAPTURE_PID:-} ]] || return 0
	for ((i = 0; i < 60 && still < 4; i++)); do
		sleep 0.25
		size=$(stat -c %s "$CAPTURE_FILE" 2>/dev/null || echo 0)
		if [[ $size == "$last" ]]; then
			still=$((still + 1))
		else
			still=0
		fi
		last=$size
	done
	kill -INT "$CAPTURE_PID" 2>/dev/null
	wait_pid "$CAPTURE_PID" 10
	CAPTURE_PID=
}

# capture_dropped LOG: the packets dumpcap or the kernel dropped (from the
# "Packets received/dropped on interface 'lo': R/D" line), "?" if unknown
capture_dropped() {
	sed -n "s|^Packets received/dropped on interface .*: [0-9]*/\([0-9]*\) .*|\1|p" \
		"$1" | head -n 1 | grep . || echo "?"
}

# kill_children: end the background processes this script started
kill_children() {
	local p
	for p in $(jobs -p); do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
}

# interop_cleanup: what a script's EXIT trap does: the capture stopped
# (when one runs), the children killed, $work kept in $QUIC_INTEROP_KEEP
# when that is set, then removed
interop_cleanup() {
	capture_stop
	kill_children
	if [[ -n ${QUIC_INTEROP_KEEP:-} ]]; then
		mkdir -p "$QUIC_INTEROP_KEEP" && cp -r "$work"/. "$QUIC_INTEROP_KEEP"/
	fi
	rm -rf "$work"
}

# start_server TAG LOG CMD...: a server in the background (its pid in SP)
# until its "STEP listen ok" line; else a failed result and status 1
start_server() {
	local tag=$1 log=$2
	shift 2
	"$@" >"$log" 2>&1 </dev/null &
	SP=$!
	wait_for "$log" '^STEP listen' 30 "$SP" && step_ok "$log" listen &&
		return 0
	tap 1 "$tag: the server listens ($1)"
	diag_file "$log"
	wait_pid "$SP" 1
	return 1
}

# since T0: milliseconds since T0 ($(date +%s%N))
since() {
	echo $((($(date +%s%N) - $1) / 1000000))
}
