#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Install what building and testing need, when it is missing (Debian 12).
set -euo pipefail

pkgs=(
	build-essential make gcc
	qemu-system-x86 busybox-static cpio xz-utils kmod
	iproute2 python3
	python3-jsonschema	# tests/qlog_validate.py: qlog_test.sh, ops_test
	sparse linux-source-6.12
	libgnutls28-dev libnl-genl-3-dev libnl-3-dev pkg-config
	gnutls-bin tshark
	ngtcp2-client ngtcp2-server	# gtlsclient, gtlsserver: interop_test.sh
	debhelper dh-dkms lintian debootstrap	# make deb, tests/pkg/deb_test.sh
	# tests/vm/debug-kernel.sh's, here so that it needs no apt-get of its
	# own while check.sh runs it beside the other apt users
	bc bison flex libelf-dev libssl-dev util-linux
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	# tshark: no setuid dumpcap (the tests capture as root)
	echo 'wireshark-common wireshark-common/install-setuid boolean false' |
		debconf-set-selections
	if ! apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
		apt-get update >&2
		apt-get install -y --no-install-recommends "${missing[@]}" >&2
	fi
fi

# checkpatch comes from the kernel source package
src=/usr/src/linux-source-6.12
if [ ! -x "$src/scripts/checkpatch.pl" ]; then
	echo "deps: unpacking $src.tar.xz" >&2
	tar -C /usr/src -xJf "$src.tar.xz" \
		linux-source-6.12/scripts linux-source-6.12/Documentation/dev-tools
fi

# the interop tests' quiche peer: npm packages from tests/interop's lock
# file (without them tests/interop_test.sh fails, the rest can run)
"$(dirname "$0")/interop/setup.sh" ||
	echo "deps: tests/interop/setup.sh failed: the interop tests will fail" >&2

# the quic-go peer (Debian's Go 1.19 and quic-go 0.29, built in GOPATH
# mode; without it tests/interop_quicgo.sh fails)
"$(dirname "$0")/interop/quicgo/build.sh" ||
	echo "deps: tests/interop/quicgo/build.sh failed: interop_quicgo.sh will fail" >&2

# the quinn peer (Debian's cargo and rustc on Debian's quinn 0.9 crates,
# offline; without it tests/interop_quinn.sh fails)
"$(dirname "$0")/interop/quinn/build.sh" ||
	echo "deps: tests/interop/quinn/build.sh failed: interop_quinn.sh will fail" >&2
