#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make demo: boot a Debian guest (K=6.12 by default) with quic.ko and run
# one QUIC connection over loopback: a TLS 1.3 handshake by libquic, then
# a transfer on a stream, checked by hash.  MIB=... sets the size.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tests/deps.sh"
rel=$("$top/tests/vm/kernels.sh" "${K:-6.12}" | tail -n 1)
make -s -C "$top" module-for REL="$rel" >/dev/null
make -s -C "$top" libquic tests >/dev/null

psk=$(mktemp /tmp/quic-demo-psk.XXXXXX)
trap 'rm -f "$psk"' EXIT
echo "demo:$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" >"$psk"

"$top/tests/vm/run.sh" -k "$rel" -- /bin/sh -c "
echo \"== guest kernel \$(uname -r), quic.ko loaded:\"
grep '^quic ' /proc/modules
tests/demo_transfer '$psk' ${MIB:-16}
"
