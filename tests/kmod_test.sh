#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Guest tests that run inside the kernel: load each test module of
# tests/kmod, whose init runs its tests and logs one TAP line per case,
# print those lines, unload it.
#	quic_crypto_test: packet protection, the known-answer tests of
#	    RFC 9001 and RFC 9369 appendix A, key update, AES-256-GCM,
#	    AES-128-CCM (modules/crypto.c)
#	quic_pnspace_test: duplicate detection over the receive window and
#	    ACK ranges (modules/pnspace.c)
#
# Usage (as root, in a guest: tests/vm/run.sh -k 6.12 --no-quic -- tests/kmod_test.sh):
#	tests/kmod_test.sh [MODULE...]
# The modules are in $QUIC_TEST_KMOD_DIR, default build/$(uname -r)/ at
# the top of the tree; build them with: make -C tests/kmod REL=<release>.
#
# Exit status: 0 iff every module loaded, each logged at least one result
# and none is "not ok".
set -uo pipefail

prog=kmod_test.sh
top=$(cd "$(dirname "$0")/.." && pwd)
rel=$(uname -r)
dir=${QUIC_TEST_KMOD_DIR:-$top/build/$rel}
mods=("$@")
((${#mods[@]})) || mods=(quic_crypto_test quic_pnspace_test)

if [[ $(id -u) -ne 0 ]]; then
	echo "$prog: must run as root" >&2
	exit 1
fi

# The algorithms the tests use; the kernel autoloads them when
# /lib/modules/$rel is the guest's module tree, but load them anyway and
# say what is missing.
want=(gcm ccm chacha20poly1305 aesni_intel ghash_clmulni_intel
	chacha_generic chacha_x86_64 poly1305_generic poly1305_x86_64
	ghash_generic sha512_generic sha512_ssse3 ecb ctr cbc)
builtin_list=/lib/modules/$rel/modules.builtin
loaded=() builtin=() missing=()
for m in "${want[@]}"; do
	if [[ -f $builtin_list ]] &&
	   tr '-' '_' <"$builtin_list" | grep -q "/$m\.ko$"; then
		builtin+=("$m")
	elif [[ -d /sys/module/$m ]] || modprobe -q "$m" 2>/dev/null; then
		loaded+=("$m")
	else
		missing+=("$m")
	fi
done
echo "# crypto modules loaded: ${loaded[*]:-none}; built in: ${builtin[*]:-none}; unavailable: ${missing[*]:-none}"

# run_module NAME: load, collect its TAP lines, unload
run_module() {
	local mod=$1 ko prefix marker insmod_out insmod_rc lines n_ok n_fail
	ko=$dir/$mod.ko
	prefix="$mod: "
	if [[ ! -f $ko ]]; then
		echo "not ok - $ko not found (make -C tests/kmod REL=$rel)"
		return 1
	fi
	# a leftover from an earlier run in this boot
	if [[ -d /sys/module/$mod ]]; then
		rmmod "$mod" || { echo "$prog: cannot unload an earlier $mod" >&2; return 1; }
	fi

	marker="$prog: start $$ $(date +%s%N)"
	echo "$marker" >/dev/kmsg
	insmod_out=$(insmod "$ko" 2>&1)
	insmod_rc=$?
	# the kernel log after our marker, module lines only, prefix stripped
	lines=$(dmesg | sed -n "\\|$marker|,\$p" | sed -n "s/^.*$prefix//p" |
		grep -E '^(not )?ok [0-9]+|^#|^1\.\.[0-9]+$')
	[[ -n $lines ]] && echo "$lines"

	if [[ -d /sys/module/$mod ]]; then
		rmmod "$mod" || { echo "$prog: rmmod $mod failed" >&2; insmod_rc=1; }
	fi

	n_ok=$(grep -cE '^ok [0-9]+' <<<"$lines")
	n_fail=$(grep -cE '^not ok [0-9]+' <<<"$lines")
	local status=0
	if ((insmod_rc != 0)); then
		echo "$prog: insmod $ko failed: $insmod_out" >&2
		status=1
	fi
	if ((n_ok + n_fail == 0)); then
		echo "$prog: no test results in the kernel log" >&2
		status=1
	fi
	if ((n_fail > 0)); then
		echo "$prog: $n_fail of $((n_ok + n_fail)) failed" >&2
		status=1
	fi
	echo "# $mod: $n_ok passed, $n_fail failed"
	return $status
}

rc=0
for m in "${mods[@]}"; do
	run_module "$m" || rc=1
done
exit $rc
