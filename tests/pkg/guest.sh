#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Runs in a guest booted by tests/pkg/deb_test.sh, whose root is a Debian
# chroot with the project's packages and the running kernel's headers
# installed: checks that what DKMS installed works in this kernel.  One
# line per check, "OK what" or "FAIL what"; deb_test.sh makes TAP of them.
#
# Usage: guest.sh load|build
#   build: purge quic-dkms and install it again first, so that DKMS
#          builds the modules here, for the running kernel
set -u

dir=/tmp/quic-pkg
rel=$(uname -r)
failed=0

# check WHAT CMD...
check() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then
		echo "OK $what"
	else
		echo "FAIL $what"
		printf '%s\n' "$out" | tail -n 20 | sed 's/^/    /'
		failed=1
		return 1
	fi
}

dkms_module() {
	local p
	p=$(modinfo -n quic) || return 1
	echo "$p"
	[[ $p == /lib/modules/$rel/updates/dkms/quic.ko* ||
	   $p == /usr/lib/modules/$rel/updates/dkms/quic.ko* ]]
}

reinstall() {
	local t0=$SECONDS
	dpkg --purge quic-dkms || return 1
	if modinfo -n quic 2>/dev/null; then
		echo "quic.ko still there after the purge"
		return 1
	fi
	dpkg -i "$dir"/quic-dkms_*_all.deb || return 1
	echo "DKMS took $((SECONDS - t0)) s in the guest"
}

autoload() {
	if grep -q '^quic ' /proc/modules; then
		echo "quic.ko loaded before any socket"
		return 1
	fi
	python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM, 261).close()' ||
		return 1
	grep '^quic ' /proc/modules
}

quic_ss() {
	quic-ss -a || return 1
	[[ -d /sys/module/quic_diag ]] || { echo "quic_diag not loaded"; return 1; }
}

# Closed connections linger for their closing period (three PTOs) and
# hold the module until then: retry for up to 30 s.
unload() {
	for _ in $(seq 60); do
		modprobe -r quic_diag quic 2>/dev/null && return 0
		sleep 0.5
	done
	modprobe -r quic_diag quic
}

echo "# guest kernel $rel"
if [[ ${1:-load} == build ]]; then
	t0=$SECONDS
	check "dpkg -i quic-dkms builds and installs the modules for the running kernel" reinstall
	echo "# DKMS's build in the guest (TCG) took $((SECONDS - t0)) s"
fi
check "modprobe finds the quic.ko DKMS installed for $rel" dkms_module
check "socket(AF_INET, SOCK_DGRAM, IPPROTO_QUIC) autoloads quic.ko" autoload
check "a 4 MiB transfer through libquic (packaged) over quic.ko" \
	"$dir/demo_transfer" "$dir/psk" 4
check "quic-ss runs, sock_diag autoloads quic_diag.ko" quic_ss
check "modprobe -r quic_diag quic, once the transfer's closed connections are gone" unload
exit "$failed"
