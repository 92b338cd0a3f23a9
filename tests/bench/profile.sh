#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Where the time goes in a bulk transfer, in the guest (run by
# tests/bench/run.sh with BENCH_PROFILE=1, or alone as root in a guest:
#	tests/vm/run.sh -k 6.12 -- tests/bench/profile.sh [quic ktls tcp]):
# perf with the cpu-clock software event (no PMU is needed, so it works
# under QEMU TCG), all CPUs, call graphs, around one `bench tput` run per
# protocol; then the flat profile, the split by task, and the callers of
# the hottest symbols.  Recording and reporting happen in the same boot so
# that quic.ko's symbols resolve.
#
# Environment: PROFILE_TOTAL (default 64M), PROFILE_MSG (default 64K),
# PROFILE_FREQ (samples per second and CPU, default 2000), PROFILE_TOP
# (callers are shown for this many symbols, default 6).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bench=$here/bench
total=${PROFILE_TOTAL:-64M}
msg=${PROFILE_MSG:-64K}
freq=${PROFILE_FREQ:-2000}
top=${PROFILE_TOP:-6}
protos=${*:-quic ktls}

if ! command -v perf >/dev/null 2>&1; then
	echo "# profile: perf not found (apt-get install linux-perf)"
	exit 0
fi
echo 0 >/proc/sys/kernel/kptr_restrict 2>/dev/null
echo -1 >/proc/sys/kernel/perf_event_paranoid 2>/dev/null
dir=$(mktemp -d /tmp/quic-bench-perf.XXXXXX)
trap 'rm -rf "$dir"' EXIT

for p in $protos; do
	data=$dir/$p.data
	echo "# ==== profile: $p, $msg messages, $total, perf cpu-clock at ${freq} Hz on all CPUs"
	perf record -q -e cpu-clock -F "$freq" -a -g -o "$data" -- \
		"$bench" tput "$p" -s "$msg" -t "$total" 2>&1 | sed 's/^/# /'
	echo "# ---- $p: flat profile (self time, all CPUs, idle included)"
	perf report -i "$data" --no-children --sort sym --stdio -g none \
		--percent-limit 0.5 2>/dev/null | grep -v '^#' | grep -v '^$' |
		head -n 40 | sed 's/^/#   /'
	echo "# ---- $p: by task"
	perf report -i "$data" --no-children --sort comm --stdio -g none \
		--percent-limit 1 2>/dev/null | grep -v '^#' | grep -v '^$' |
		head -n 10 | sed 's/^/#   /'
	echo "# ---- $p: inclusive (children) of quic/tls/crypto/alloc functions"
	perf report -i "$data" --children --sort sym --stdio -g none \
		--percent-limit 1 2>/dev/null | grep -v '^#' | grep -v '^$' |
		grep -E 'quic_|tls_|gcm|aes|alloc|lock|copy|memcpy|rep_movs|clear_page' |
		head -n 40 | sed 's/^/#   /'
	syms=$(perf report -i "$data" --no-children --sort sym --stdio -g none \
		2>/dev/null | grep -v '^#' | grep -v '^$' |
		grep -v -E 'safe_halt|default_idle|cpu_idle' |
		awk '{print $NF}' | head -n "$top")
	for s in $syms; do
		echo "# ---- $p: callers of $s"
		perf report -i "$data" --no-children --stdio -G -S "$s" \
			--percent-limit 0.5 2>/dev/null | grep -v '^#' | grep -v '^$' |
			head -n 45 | sed 's/^/#   /'
	done
done
