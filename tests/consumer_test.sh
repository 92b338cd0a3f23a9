#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# In-kernel consumers of QUIC handshakes (run in a guest, as root, with
# quic.ko loaded, from anywhere in the tree):
#	tests/vm/run.sh -k 6.12 -- tests/consumer_test.sh
#
# Where the kernel has net/handshake (Debian's 6.12: CONFIG_NET_HANDSHAKE=y)
# this is tests/consumer_test: handshake/quic-handshaked serving the
# requests of the test module build/<release>/quic_consumer_test.ko
# (make -C tests/kmod REL=<release>), against libquic peers.
#
# Where it has not (Debian's 6.1, and our debug kernel, built without
# it) there is no in-kernel consumer to test and the test module is not
# built; what is true there and checked instead: the daemon refuses to
# run, with exit status 2 and a message that names net/handshake.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
rel=$(uname -r)
daemon=${QUIC_HANDSHAKED:-$top/handshake/quic-handshaked}

if [[ $(id -u) -ne 0 ]]; then
	echo "consumer_test.sh: must run as root" >&2
	exit 1
fi

# the kernel exports the request calls iff it has net/handshake
if grep -qw tls_client_hello_x509 /proc/kallsyms; then
	exec "$top/tests/consumer_test" "$@"
fi

echo "TAP version 13"
echo "1..1"
echo "# $rel has no net/handshake (no tls_client_hello_x509 in /proc/kallsyms):"
echo "# in-kernel consumers cannot ask for handshakes here, so the consumer"
echo "# tests do not apply and quic_consumer_test.ko is not built for it."
tmp=$(mktemp /tmp/consumer_test.XXXXXX) || exit 1
trap 'rm -f "$tmp"' EXIT
status=0
if [[ ! -x $daemon ]]; then
	echo "not ok 1 - the daemon exits with status 2 naming net/handshake: $daemon is missing (make)"
	exit 1
fi
timeout 20 "$daemon" -s -c /dev/null >"$tmp" 2>&1
rc=$?
if ((rc == 2)) && grep -q 'net/handshake' "$tmp" &&
   [[ ! -e $top/build/$rel/quic_consumer_test.ko ]]; then
	echo "ok 1 - without net/handshake the daemon exits with status 2 naming it, and no consumer test module is built"
else
	echo "not ok 1 - without net/handshake the daemon exits with status 2 naming it, and no consumer test module is built"
	echo "# exit status $rc; its output:"
	sed 's/^/#   /' "$tmp"
	[[ -e $top/build/$rel/quic_consumer_test.ko ]] &&
		echo "# yet $top/build/$rel/quic_consumer_test.ko exists"
	status=1
fi
exit "$status"
