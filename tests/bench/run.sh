#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Loopback benchmark of kernel TCP, kTLS (TLS 1.3 AES-128-GCM) and QUIC
# (quic.ko + libquic) in one QEMU guest boot per kernel: bulk throughput
# client->server for several message sizes, and handshake latency.  A
# benchmark, not a test: it fails only when a run cannot be made at all.
#
# Usage:
#   tests/bench/run.sh [-k 6.12|6.1|all|RELEASE]... [-t TOTAL] [-R N] [-s "1K 16K 64K"]
#                      [-n HANDSHAKES] [-w WARMUP] [-p "tcp ktls quic"] [-H "MODES"] [-D MS]
#                      [-r RUN_TIMEOUT] [-T VM_TIMEOUT] [-V 0|1] [-b]
#
#   -k K        kernel(s) to boot (default 6.12; repeatable; "all": 6.12 6.1)
#   -t TOTAL    bytes per throughput run (default 256M; K/M/G suffixes)
#   -R N        make each throughput run N times and report the best (for a
#               busy host; default 1)
#   -s SIZES    message sizes (default "1K 16K 64K")
#   -n N        sequential handshakes per mode (default 20)
#   -w W        untimed warm-up handshakes before them (default 1)
#   -p PROTOS   throughput protocols (default "tcp ktls quic"; "" for none)
#   -H MODES    handshake modes (default "tls-cert quic-cert tls-psk quic-psk
#               quic-lib-cert quic-lib-psk quic-ttfb-full quic-ttfb-resume
#               quic-ttfb-0rtt"; "" for none)
#   -D MS       netem delay on lo, each way, during the handshake runs (none
#               by default), so that round trips count as on a network
#   -r SECS     time limit of one run (default 300); a run over it is FAIL
#   -T SECS     time limit of the whole guest (default 3600)
#   -V 0|1      checksum the received stream (default 1)
#   -b          build quic.ko first (make module-for REL=...); by default
#               build/<release>/quic.ko is used as it is
#
# Environment: BENCH_PROFILE=1 adds, after the measurements, perf profiles
# (cpu-clock, all CPUs, call graphs) of a QUIC and a kTLS run with 64K
# messages (tests/bench/profile.sh; PROFILE_* variables there).
#
# Output: the table on stdout, also written (with the raw RESULT lines and
# the crypto drivers of the guest) to tests/bench/results-<release>.txt.
# The benchmark program is tests/bench/bench (bench.c), built here when it
# is missing or older than its sources.
set -euo pipefail

prog=bench/run.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
bench=$here/bench

log() { echo "$prog: $*" >&2; }
die() { echo "$prog: error: $*" >&2; exit 1; }

total=256M
sizes="1K 16K 64K"
nhs=20
warmup=1
repeat=1
protos="tcp ktls quic"
hsmodes="tls-cert quic-cert tls-psk quic-psk quic-lib-cert quic-lib-psk quic-ttfb-full quic-ttfb-resume quic-ttfb-0rtt"
run_timeout=300
vm_timeout=3600
verify=1
build=0
kernels=()
guest=0
delay=

while [[ $# -gt 0 ]]; do
	case $1 in
	-k) kernels+=("$2"); shift 2 ;;
	-t) total=$2; shift 2 ;;
	-s) sizes=$2; shift 2 ;;
	-n) nhs=$2; shift 2 ;;
	-w) warmup=$2; shift 2 ;;
	-R) repeat=$2; shift 2 ;;
	-p) protos=$2; shift 2 ;;
	-H) hsmodes=$2; shift 2 ;;
	-D) delay=$2; shift 2 ;;
	-r) run_timeout=$2; shift 2 ;;
	-T) vm_timeout=$2; shift 2 ;;
	-V) verify=$2; shift 2 ;;
	-b) build=1; shift ;;
	--guest) guest=1; shift ;;
	-h | --help) sed -n '9,38s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
	*) die "unknown argument $1 (see -h)" ;;
	esac
done

# ------------------------------------------------------------ guest side

# Tabulate the RESULT lines of $1.
report() {
	awk -v total="$total" -v repeat="$repeat" -v delay="$delay" '
	function kv(line, key,   n, i, a, b) {
		n = split(line, a, " ")
		for (i = 1; i <= n; i++) {
			split(a[i], b, "=")
			if (b[1] == key)
				return substr(a[i], length(key) + 2)
		}
		return ""
	}
	function human(b) {
		if (b % 1048576 == 0) return (b / 1048576) " MiB"
		if (b % 1024 == 0) return (b / 1024) " KiB"
		return b " B"
	}
	function ratio(a, b) {
		return (a == "" || b == "" || b + 0 == 0) ? "-" : sprintf("%.2f", a / b)
	}
	function cell(v) { return v == "" ? "FAIL" : v }
	/^RESULT tput / {
		m = kv($0, "mode"); s = kv($0, "msg")
		if (!(s in seen)) { seen[s] = 1; order[++ns] = s }
		v = kv($0, "gbps") + 0; nrun[m, s]++
		if (kv($0, "verify") == "FAILED") bad[m, s] = 1
		if (!((m, s) in best) || v > best[m, s]) {
			best[m, s] = v
			cpu[m, s] = kv($0, "cpu_usr/sys/si/idle")
		}
		g[m, s] = sprintf("%.3f", best[m, s]) (bad[m, s] ? "!" : "")
		aead[m] = kv($0, "aead"); cipher[m] = kv($0, "cipher")
		tot = kv($0, "total")
	}
	/^RESULT tput-fail / { m = kv($0, "mode"); s = kv($0, "msg"); nfail[m, s]++
		if (!(s in seen)) { seen[s] = 1; order[++ns] = s } }
	/^RESULT hs / {
		m = kv($0, "mode")
		med[m] = kv($0, "median_ms"); p90[m] = kv($0, "p90_ms")
		hc[m] = kv($0, "cipher"); hn = kv($0, "n")
	}
	/^RESULT calib / { cal[++nc] = kv($0, "mbytes_per_s") }
	/^RESULT hs-fail / { m = kv($0, "mode"); med[m] = ""; p90[m] = ""; failed[m] = 1 }
	END {
		if (nc)
			printf "CPU speed index (user-space checksum, MB/s) before/after: %s/%s; a busy host lowers it\n\n", cal[1], cal[nc]
		if (ns) {
			printf "Throughput client->server over loopback, %s per run, Gbit/s%s\n", human(tot ? tot : total), (repeat > 1 ? " (best of " repeat ")" : "")
			printf "%-10s %9s %9s %9s %10s %10s\n", "message", "TCP", "kTLS", "QUIC", "QUIC/TCP", "QUIC/kTLS"
			for (i = 1; i <= ns; i++) {
				s = order[i]
				printf "%-10s %9s %9s %9s %10s %10s\n", human(s),
					cell(g["tcp", s]), cell(g["ktls", s]), cell(g["quic", s]),
					ratio(g["quic", s], g["tcp", s]), ratio(g["quic", s], g["ktls", s])
			}
			printf "CPU%% of both vCPUs during the run (user/sys/softirq/idle):\n"
			for (i = 1; i <= ns; i++) {
				s = order[i]
				printf "%-10s %14s %14s %14s\n", human(s), cell(cpu["tcp", s]),
					cell(cpu["ktls", s]), cell(cpu["quic", s])
			}
			if ("ktls" in aead) printf "kTLS: %s, AEAD in use: %s\n", cipher["ktls"], aead["ktls"]
			if ("quic" in aead) printf "QUIC: cipher %s, AEAD in use: %s\n", cipher["quic"], aead["quic"]
			fl = ""
			for (k in nfail) { split(k, kk, SUBSEP); fl = fl sprintf(" %s/%s x%d", kk[1], human(kk[2]), nfail[k]) }
			if (fl != "") printf "failed runs (see the raw results):%s\n", fl
			printf "(\"!\": checksum mismatch; FAIL: no result)\n\n"
		}
		nh = split("tls-cert quic-cert quic-lib-cert tls-psk quic-psk quic-lib-psk quic-ttfb-full quic-ttfb-resume quic-ttfb-0rtt", hm, " ")
		any = 0
		for (i = 1; i <= nh; i++) if ((hm[i] in med) || (hm[i] in failed)) any = 1
		if (any) {
			printf "Handshake latency, %s sequential handshakes, ms (client: socket() to handshake done)\n", hn
			printf "%-16s %9s %9s  %s\n", "mode", "median", "p90", "cipher"
			for (i = 1; i <= nh; i++) {
				m = hm[i]
				if (!(m in med) && !(m in failed)) continue
				printf "%-16s %9s %9s  %s\n", m, cell(med[m]), cell(p90[m]), hc[m]
			}
			if (("quic-cert" in med) && ("tls-cert" in med))
				printf "QUIC/TLS-over-TCP, cert: median %s, p90 %s\n", ratio(med["quic-cert"], med["tls-cert"]), ratio(p90["quic-cert"], p90["tls-cert"])
			if (("quic-psk" in med) && ("tls-psk" in med))
				printf "QUIC/TLS-over-TCP, PSK:  median %s, p90 %s\n", ratio(med["quic-psk"], med["tls-psk"]), ratio(p90["quic-psk"], p90["tls-psk"])
			if ("quic-ttfb-full" in med)
				printf "quic-ttfb-*: socket() to the first byte of the answer to a one-byte request%s\n", delay != "" ? sprintf(" (lo with netem delay %s ms each way)", delay) : ""
			if (("quic-ttfb-resume" in med) && ("quic-ttfb-full" in med))
				printf "resumed/full: median %s, p90 %s\n", ratio(med["quic-ttfb-resume"], med["quic-ttfb-full"]), ratio(p90["quic-ttfb-resume"], p90["quic-ttfb-full"])
			if (("quic-ttfb-0rtt" in med) && ("quic-ttfb-full" in med))
				printf "0-RTT/full:   median %s, p90 %s\n", ratio(med["quic-ttfb-0rtt"], med["quic-ttfb-full"]), ratio(p90["quic-ttfb-0rtt"], p90["quic-ttfb-full"])
		}
	}' "$1"
}

if [[ $guest -eq 1 ]]; then
	rel=$(uname -r)
	raw=$(mktemp /tmp/quic-bench-raw.XXXXXX)
	out=$here/results-$rel.txt
	trap 'rm -f "$raw"' EXIT

	{
		echo "# quic bench on $rel, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
		echo "# tree: $(git -C "$top" describe --always --dirty 2>/dev/null || echo '?')," \
			"quic.ko: ${QUIC_KO:-none}" \
			"(${QUIC_KO:+$(date -u -r "$QUIC_KO" '+%Y-%m-%d %H:%M:%S UTC'), md5 $(md5sum "$QUIC_KO" | cut -c1-12)})"
		echo "# guest: $(nproc) vCPUs, $(awk '/MemTotal/ {printf "%d MiB", $2 / 1024}' /proc/meminfo)," \
			"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')," \
			"flags: $(grep -m1 -o -w -E 'aes|pclmulqdq|avx2|vaes|vpclmulqdq|avx512f' /proc/cpuinfo | sort -u | tr '\n' ' ')"
		echo "# gcm(aes) in /proc/crypto (driver priority async):"
		awk '/^name/ {n = $3} /^driver/ {d = $3} /^priority/ {p = $3}
		     /^async/ {a = $3} /^$/ {if (n == "gcm(aes)") print "#   " d, p, a; n = ""}' /proc/crypto
	} >"$raw"

	run() {	# label mode size -- command...
		local kind=$1 mode=$2 size=$3 rc=0
		shift 3
		log "$kind $mode${size:+ $size} ..."
		timeout -k 5 "$run_timeout" "$@" >>"$raw" 2>"$raw.err" || rc=$?
		if [[ $rc -ne 0 ]]; then
			[[ $rc -eq 124 ]] && echo "timed out after ${run_timeout}s" >>"$raw.err"
			sed "s/^/# $kind $mode $size: /" "$raw.err" | tee -a "$raw" >&2
			echo "RESULT $kind-fail mode=$mode msg=$size rc=$rc" >>"$raw"
		fi
		rm -f "$raw.err"
		tail -n 1 "$raw" | grep '^RESULT' >&2 || true
	}

	"$bench" calib >>"$raw" 2>&1 || true
	# sizes outer, protocols inner: the runs compared sit close in time
	for ((i = 1; i <= repeat; i++)); do
		for s in $sizes; do
			bytes=$(numfmt --from=iec "$s")
			for p in $protos; do
				run tput "$p" "$bytes" "$bench" tput "$p" -s "$s" \
					-t "$total" -V "$verify"
			done
		done
	done
	if [[ -n $delay ]]; then
		/sbin/tc qdisc add dev lo root netem delay "${delay}ms" ||
			die "netem delay on lo"
	fi
	for m in $hsmodes; do
		run hs "$m" "" "$bench" hs "$m" -n "$nhs" -w "$warmup"
	done
	if [[ -n $delay ]]; then
		/sbin/tc qdisc del dev lo root || true
	fi
	"$bench" calib >>"$raw" 2>&1 || true
	if [[ ${BENCH_PROFILE:-0} == 1 ]]; then
		log "profiling (perf) ..."
		"$here/profile.sh" >>"$raw" 2>&1 || true
		log "the profiles are in the results file"
	fi

	{
		report "$raw"
		echo
		echo "# raw results"
		cat "$raw"
	} >"$out"
	echo
	report "$raw"
	log "written to $out"
	exit 0
fi

# ------------------------------------------------------------- host side

[[ ${#kernels[@]} -gt 0 ]] || kernels=(6.12)
if [[ " ${kernels[*]} " == *" all "* ]]; then
	kernels=(6.12 6.1)
fi

# the benchmark program
if [[ ! -x $bench || $here/bench.c -nt $bench || $top/libquic/libquic.a -nt $bench ]]; then
	make -s -C "$top" libquic
	log "building $bench"
	${CC:-gcc} -O2 -g -Wall -Wextra -Werror -I"$top/include/uapi" -I"$top/libquic" \
		-o "$bench" "$here/bench.c" "$top/libquic/libquic.a" -lgnutls -pthread
fi

rc=0
for k in "${kernels[@]}"; do
	rel=$("$top/tests/vm/kernels.sh" --print "$k" 2>/dev/null) ||
		rel=$("$top/tests/vm/kernels.sh" "$k" | tail -n 1)
	[[ -n $rel ]] || die "no kernel for $k"
	if [[ $build -eq 1 ]]; then
		make -s -C "$top" module-for REL="$rel"
	fi
	ko=$top/build/$rel/quic.ko
	[[ -f $ko ]] || die "$ko missing: make module-for REL=$rel (or -b)"
	newer=$(find "$top/modules" -newer "$ko" -name '*.[ch]' 2>/dev/null | head -n 3 | tr '\n' ' ')
	[[ -z $newer ]] || log "note: $ko is older than $newer(use -b to rebuild)"
	log "$rel: total $total, sizes $sizes, protos '$protos', $nhs handshakes of '$hsmodes'"
	args=(--guest -t "$total" -R "$repeat" -s "$sizes" -n "$nhs" -w "$warmup" -p "$protos" -H "$hsmodes"
		-r "$run_timeout" -V "$verify")
	[[ -z $delay ]] || args+=(-D "$delay")
	stamp=$(date +%s)
	load0=$(cut -d' ' -f1-3 /proc/loadavg)
	[[ ${load0%%.*} -lt 1 ]] ||
		log "note: host load average $load0 on $(nproc) CPUs: other work slows the guest, the figures will be low"
	envs=(-e BENCH_PROFILE="${BENCH_PROFILE:-0}")
	for v in PROFILE_TOTAL PROFILE_MSG PROFILE_FREQ PROFILE_TOP; do
		[[ -z ${!v:-} ]] || envs+=(-e "$v=${!v}")
	done
	"$top/tests/vm/run.sh" -k "$rel" -t "$vm_timeout" "${envs[@]}" -- \
		"$here/run.sh" "${args[@]}" || rc=$?
	[[ $rc -eq 0 ]] || log "$rel: guest run exit status $rc"
	load1=$(cut -d' ' -f1-3 /proc/loadavg)
	res=$here/results-$rel.txt
	if [[ -f $res && $(stat -c %Y "$res") -ge $stamp ]]; then
		sed -i "1i # host: $(nproc) CPUs, load average before $load0, after $load1" "$res"
		log "host load average before $load0, after $load1"
	fi
done
exit "$rc"
