#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make check: build everything warning-free, lint, run the host tests and
# the guest suite on every supported Debian kernel, build the Debian
# packages and test them in clean chroots and guests (tests/pkg), and end
# with one line "N passed, N failed".
#
# QUIC_CHECK_KERNELS selects the kernels (default "6.1 6.12 trixie
# trixie-bpo debug"): Debian series (tests/vm/kernels.sh: Debian 12's 6.1
# and 6.12, Debian 13's 6.12 and the newest trixie-backports kernel), and
# "debug", the -quic-debug kernel (KASAN, KMEMLEAK, lockdep, ...) that
# tests/vm/debug-kernel.sh builds once per machine.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
logs=$top/tests/vm/logs
mkdir -p "$logs"
cd "$top" || exit 1

pass=0
fail=0
n=0

# result OK|FAIL description
result() {
	n=$((n + 1))
	if [ "$1" = OK ]; then
		pass=$((pass + 1))
		echo "ok $n - $2"
	else
		fail=$((fail + 1))
		echo "not ok $n - $2"
	fi
}

# Count the TAP results in a file; a SKIP counts as a failure: a test
# that could not run has not passed.
tap_count() {
	local p f
	p=$(grep -cE '^ok [0-9]+' "$1" | head -n 1)
	f=$(grep -cE '^not ok [0-9]+' "$1" | head -n 1)
	s=$(grep -E '^ok [0-9]+' "$1" | grep -ciE '#[[:space:]]*skip')
	pass=$((pass + p - s))
	fail=$((fail + f + s))
}

start=$(date +%s)
"$top/tests/deps.sh" || { echo "check: installing dependencies failed" >&2; exit 1; }

series=${QUIC_CHECK_KERNELS:-6.1 6.12 trixie trixie-bpo debug}
# The debug kernel (a kernel build, once per machine: minutes on two
# cores) builds in the background while what needs no guest runs: the
# Debian kernels' download, the builds, lint, the host tests, the
# packages' chroots.  The guests wait for it: they must not share the
# CPUs with a kernel build.
debug_pid=
debug_t0=$(date +%s)
if [[ " $series " == *" debug "* ]]; then
	"$top/tests/vm/debug-kernel.sh" >"$logs/debug-kernel.out" 2>"$logs/debug-kernel.log" &
	debug_pid=$!
fi
rels=()
for s in $series; do
	[ "$s" = debug ] && continue
	if ! r=$("$top/tests/vm/kernels.sh" "$s" | tail -n 1) || [ -z "$r" ]; then
		result FAIL "Debian $s kernel fetched and cached"
		continue
	fi
	rels+=("$r")
done

# user space, -Wall -Wextra -Werror
if make -s -C "$top" libquic tests tools handshake >"$logs/build-user.log" 2>&1; then
	result OK "user space builds with -Wall -Wextra -Werror"
else
	cat "$logs/build-user.log"
	result FAIL "user space builds with -Wall -Wextra -Werror"
fi

# the module, per kernel, with W=1 and sparse
build_for() {
	local r=$1 blog=$logs/build-$1.log
	if make -C "$top" module-for REL="$r" W=1 C=1 >"$blog" 2>&1 &&
	   make -C "$top/tests/kmod" REL="$r" W=1 C=1 >>"$blog" 2>&1 &&
	   ! grep -qiE 'warning:|error:|sparse: ' "$blog"; then
		result OK "$r: quic.ko and the test module build with W=1 C=1, no warnings"
	else
		grep -iE 'warning|error|sparse' "$blog" | head -n 40
		result FAIL "$r: quic.ko and the test module build with W=1 C=1, no warnings"
	fi
}
for r in "${rels[@]}"; do
	build_for "$r"
done

if "$top/tests/lint.sh" >"$logs/lint.log" 2>&1; then
	result OK "checkpatch --strict clean"
else
	cat "$logs/lint.log"
	result FAIL "checkpatch --strict clean"
fi

# host tests
for t in "$top"/tests/abi_test "$top"/tests/handshake_test \
	 "$top"/tests/handshaked_unit "$top"/tests/qlog_test.sh; do
	out=$logs/host-$(basename "$t").tap
	if [ -x "$t" ]; then
		"$t" >"$out" 2>&1
		cat "$out"
		tap_count "$out"
	else
		result FAIL "$(basename "$t") built"
	fi
done

# the Debian packages: built and linted, then installed in clean Debian
# 12 and 13 chroots whose DKMS builds the module for each release kernel
# (tests/pkg/deb_test.sh --phase prep, before the guests), which are
# booted after the guest suites (--phase boot)
t0=$(date +%s)
pkg_rels=("${rels[@]}")
if make -s -C "$top" deb >"$logs/deb.log" 2>&1; then
	result OK "make deb: five packages, lintian --pedantic without error or warning"
else
	tail -n 40 "$logs/deb.log"
	result FAIL "make deb: five packages, lintian --pedantic without error or warning"
	pkg_rels=()
fi
grep -E '^[EWIPNO]: ' "$logs/deb.log" | sed 's/^/# lintian: /'
# deb_test.sh PHASE: its TAP into logs/pkg-PHASE.tap, counted
deb_test() {
	local tap=$logs/pkg-$1.tap rc
	"$top/tests/pkg/deb_test.sh" --phase "$1" "$top/build/deb" "${pkg_rels[@]}" >"$tap" 2>&1
	rc=$?
	cat "$tap"
	tap_count "$tap"
	if [ $rc -ne 0 ] && ! grep -qE '^not ok ' "$tap"; then
		result FAIL "tests/pkg/deb_test.sh --phase $1: exit status $rc explained by a failed test"
	fi
}
((${#pkg_rels[@]} == 0)) || deb_test prep
echo "# packages built, chroots prepared in $(( $(date +%s) - t0 )) s"

if [[ -n $debug_pid ]]; then
	if wait "$debug_pid" && r=$(tail -n 1 "$logs/debug-kernel.out") && [ -n "$r" ]; then
		echo "# debug kernel $r ready after $(( $(date +%s) - debug_t0 )) s"
		build_for "$r"
		rels+=("$r")
	else
		tail -n 40 "$logs/debug-kernel.log"
		result FAIL "debug kernel built and cached"
	fi
fi

# guest suite, per kernel: the whole of it on the newest release kernel
# and the debug kernel; on the other release kernels the smoke suite
# (tests/guest.sh, QUIC_SUITE=smoke: socket API, connections, streams,
# datagrams, crypto, a kernel consumer, interop with quic-go and quinn),
# to keep make check within CI's time
newest=
for r in "${rels[@]}"; do
	[[ $r == *-quic-debug ]] && continue
	[[ -z $newest ]] || [[ $(printf '%s\n' "$newest" "$r" | sort -V | tail -n 1) == "$r" ]] &&
		newest=$r
done
declare -A took=()
for r in "${rels[@]}"; do
	echo "# === guest $r ==="
	out=$logs/guest-$r.tap
	err=$logs/guest-$r.stderr
	t0=$(date +%s)
	# the debug kernel runs everything several times slower
	case $r in
	# (tests/guest.sh says what shrinks there, and why)
	# (limits: hang guards, twice a loaded machine's run or more)
	*-quic-debug) limit=3600 scale=4 shrink=8 ;;
	*) limit=1800 scale=1 shrink=1 ;;
	esac
	suite=full
	[[ $r == *-quic-debug || $r == "$newest" ]] || suite=smoke
	"$top/tests/vm/run.sh" -k "$r" -l "$logs" -t "$limit" \
		-e QUIC_TIMEOUT_SCALE="$scale" -e QUIC_TEST_SHRINK="$shrink" \
		-e QUIC_SUITE="$suite" -- tests/guest.sh >"$out" 2>"$err"
	rc=$?
	cat "$out"
	tap_count "$out"
	took[$r]="$(( $(date +%s) - t0 )) s, exit $rc"
	echo "# $r: guest run took ${took[$r]}"
	if [ $rc -ge 124 ] || grep -qE 'kernel splat|unload failed' "$err"; then
		cat "$err"
		result FAIL "$r: guest ran to the end, no kernel splat, quic.ko unloaded"
	else
		result OK "$r: guest ran to the end, no kernel splat, quic.ko unloaded"
	fi
	if [ $rc -ne 0 ] && ! grep -qE '^not ok ' "$out"; then
		cat "$err"
		result FAIL "$r: guest suite exit status $rc explained by a failed test"
	fi
done

# the packages' guests
if ((${#pkg_rels[@]})); then
	t0=$(date +%s)
	deb_test boot
	echo "# packages' guests took $(( $(date +%s) - t0 )) s"
fi

# Where the time went, at the end where a truncated log still shows it.
for r in "${rels[@]}"; do
	out=$logs/guest-$r.tap
	[ -f "$out" ] || continue
	echo "# $r (${took[$r]:-?}): $(sed -n 's|^# tests/\(.*\) took \([0-9]*\) s$|\1 \2|p' "$out" |
		sort -k2,2nr | awk '{ printf "%s%s %s s", (NR > 1 ? ", " : ""), $1, $2 }')"
done
echo "# make check took $(( $(date +%s) - start )) s"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
