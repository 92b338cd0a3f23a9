#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make against one kernel's headers, where they are: on the host
# (/usr/src/linux-headers-REL: Debian 12's kernels, the debug kernel) or
# in the trixie chroot (Debian 13's, built with its gcc 14; see
# tests/vm/trixie.sh).
#
# Usage: tests/vm/kmake.sh REL MAKE-ARGUMENTS...
#   runs make -j$(nproc) -C /usr/src/linux-headers-REL MAKE-ARGUMENTS...
set -euo pipefail

[[ $# -ge 1 && -n $1 ]] || { echo "kmake.sh: usage: kmake.sh REL MAKE-ARGUMENTS..." >&2; exit 2; }
rel=$1
shift
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kdir=/usr/src/linux-headers-$rel
jobs=-j$(nproc)

if [[ -d $kdir ]]; then
	exec make "$jobs" -C "$kdir" "$@"
fi
if root=$("$here/trixie.sh" root 2>/dev/null) && [[ -d $root$kdir ]]; then
	# MAKEFLAGS (W=1, C=1, -s) reach the chroot's make in the environment
	exec "$here/trixie.sh" run make "$jobs" -C "$kdir" "$@"
fi
echo "kmake.sh: no $kdir, on the host or in the trixie chroot (tests/vm/kernels.sh fetches them)" >&2
exit 1
