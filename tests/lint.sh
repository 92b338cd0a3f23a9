#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# checkpatch --strict over the kernel code; any error or warning fails.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cp=${CHECKPATCH:-/usr/src/linux-source-6.12/scripts/checkpatch.pl}
[ -x "$cp" ] || "$top/tests/deps.sh"
[ -x "$cp" ] || { echo "lint: $cp not found" >&2; exit 1; }

cd "$top"
files=$(ls modules/*.[ch] | grep -v "\.mod\.c$"; ls tests/kmod/*.c include/linux/quic.h include/uapi/linux/quic.h)
# shellcheck disable=SC2086
out=$("$cp" --no-tree --strict --show-types --terse \
	-f $files 2>&1) || true
if echo "$out" | grep -qE ': (ERROR|WARNING|CHECK):'; then
	echo "$out" | grep -E ': (ERROR|WARNING|CHECK):'
	echo "lint: checkpatch found problems" >&2
	exit 1
fi
echo "lint: checkpatch --strict clean ($(echo "$files" | wc -w) files)"
