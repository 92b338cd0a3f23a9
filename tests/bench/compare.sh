#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Compare two builds of quic.ko in one QEMU guest boot: QUIC throughput
# (1, 16 and 64 KiB messages) and handshake latency, measured with module
# A loaded, then B, alternating ROUNDS times so that both see the same
# host load.  Prints the best throughput and the median handshake of each
# and the ratios B/A.  A benchmark, not a test.
#
# Usage:
#   tests/bench/compare.sh [-k 6.12|6.1|RELEASE] [-t TOTAL] [-R ROUNDS]
#                          [-n HANDSHAKES] [-T] A.ko B.ko
#
#   -T   also measure B with all of its tracepoints enabled (events/quic,
#        recorded into the ftrace ring buffer), reported as "B+trace"
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
bench=$here/bench
kernel=6.12
total=128M
rounds=2
nhs=20
trace=0

while getopts "k:t:R:n:T" o; do
	case $o in
	k) kernel=$OPTARG ;;
	t) total=$OPTARG ;;
	R) rounds=$OPTARG ;;
	n) nhs=$OPTARG ;;
	T) trace=1 ;;
	*) sed -n '3,15s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[[ $# -eq 2 && -f $1 && -f $2 ]] || { echo "compare.sh: need A.ko B.ko" >&2; exit 2; }
a=$(realpath "$1")
b=$(realpath "$2")

# one benchmark run of module $1: its RESULT lines, tagged; what it said
# on stderr only when it failed (then the comparison stops)
run_bench() {
	local m=$1 out
	shift
	out=$(mktemp /tmp/quic-compare-run.XXXXXX)
	if ! "$bench" "$@" >"$out" 2>&1; then
		echo "bench $* failed with module $m:" >&2
		tail -n 20 "$out" >&2
		rm -f "$out"
		exit 1
	fi
	sed -n "s/^RESULT/RESULT $m/p" "$out"
	rm -f "$out"
}

if [[ ${COMPARE_GUEST:-0} == 1 ]]; then
	variants="A B"
	[[ $trace == 1 ]] && variants="A B C"
	tr=/sys/kernel/tracing
	[[ -d $tr/events ]] || mount -t tracefs nodev "$tr"
	for ((r = 1; r <= rounds; r++)); do
		for m in $variants; do
			ko=$a
			[[ $m != A ]] && ko=$b
			insmod "$ko" || { echo "insmod $ko failed" >&2; exit 1; }
			if [[ $m == C ]]; then
				echo 8192 >"$tr/buffer_size_kb"
				echo 1 >"$tr/events/quic/enable"
				echo 1 >"$tr/tracing_on"
			fi
			for s in 1K 16K 64K; do
				run_bench "$m" tput quic -s "$s" -t "$total" -V 0
			done
			run_bench "$m" hs quic-cert -n "$nhs" -w 1
			if [[ $m == C ]]; then
				echo 0 >"$tr/events/quic/enable"
				echo "C: $(grep -c . "$tr/trace") trace lines kept" >&2
				echo >"$tr/trace"
			fi
			sleep 3	# closing periods end before the unload
			rmmod quic || { sleep 5; rmmod quic; } ||
				{ echo "rmmod of $ko failed" >&2; exit 1; }
		done
	done
	exit 0
fi

if [[ ! -x $bench || $here/bench.c -nt $bench ]]; then
	make -s -C "$top" libquic
	${CC:-gcc} -O2 -g -Wall -Wextra -Werror -I"$top/include/uapi" \
		-I"$top/libquic" -o "$bench" "$here/bench.c" \
		"$top/libquic/libquic.a" -lgnutls -pthread
fi
rel=$("$top/tests/vm/kernels.sh" "$kernel" | tail -n 1)
raw=$(mktemp /tmp/quic-compare.XXXXXX)
trap 'rm -f "$raw"' EXIT
"$top/tests/vm/run.sh" -k "$rel" --no-quic -t 3000 -e COMPARE_GUEST=1 -- \
	"$0" -t "$total" -R "$rounds" -n "$nhs" $([[ $trace == 1 ]] && echo -T) \
	"$a" "$b" >"$raw"
grep '^RESULT' "$raw" | awk -v rel="$rel" '
function kv(line, key,   n, i, x, y) {
	n = split(line, x, " ")
	for (i = 1; i <= n; i++) {
		split(x[i], y, "=")
		if (y[1] == key)
			return y[2]
	}
	return ""
}
$3 == "tput" {
	k = $2 " " kv($0, "msg"); v = kv($0, "gbps") + 0
	if (!(k in best) || v > best[k]) best[k] = v
}
$3 == "hs" {
	k = $2; v = kv($0, "median_ms") + 0
	hs[k] = hs[k] " " v; nh[k]++
}
END {
	printf "%s: best Gbit/s of each module, ratio B/A\n", rel
	n = split("1024 16384 65536", sz, " ")
	for (i = 1; i <= n; i++) {
		printf "  %6d B: A %.3f  B %.3f  B/A %.2f", sz[i],
		       best["A " sz[i]], best["B " sz[i]],
		       best["A " sz[i]] ? best["B " sz[i]] / best["A " sz[i]] : 0
		if (("C " sz[i]) in best)
			printf "  B+trace %.3f  B+trace/A %.2f", best["C " sz[i]],
			       best["A " sz[i]] ? best["C " sz[i]] / best["A " sz[i]] : 0
		printf "\n"
	}
	printf "  handshake medians (ms): A%s  B%s", hs["A"], hs["B"]
	if ("C" in hs)
		printf "  B+trace%s", hs["C"]
	printf "\n"
}'
