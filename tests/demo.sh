#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make demo: boot a Debian 6.12 guest with quic.ko and show it at work.
# (Until connections land this shows the module and bound sockets.)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tests/deps.sh"
rel=$("$top/tests/vm/kernels.sh" "${K:-6.12}" | tail -n 1)
make -s -C "$top" module-for REL="$rel" >/dev/null

exec "$top/tests/vm/run.sh" -k "$rel" -- /bin/sh -c '
echo "== guest kernel: $(uname -r)"
echo "== quic.ko loaded:"; grep "^quic " /proc/modules
echo "== registered protocols:"; grep -E "^(QUIC|QUICv6) " /proc/net/protocols
python3 - <<PY
import socket
IPPROTO_QUIC = 261
socks = []
for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    for typ in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(fam, typ, IPPROTO_QUIC)
        s.bind((addr, 4433))
        socks.append(s)
        print("== bound", s, "->", s.getsockname())
print("== four QUIC sockets share two kernel UDP sockets on port 4433:")
for f in ("/proc/net/udp", "/proc/net/udp6"):
    for line in open(f):
        if ":%04X " % 4433 in line:
            print(f, line.split()[1])
PY
'
