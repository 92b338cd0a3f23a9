#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# checkpatch --strict over the kernel code; any error or warning fails.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cp=${CHECKPATCH:-/usr/src/linux-source-6.12/scripts/checkpatch.pl}
[ -x "$cp" ] || "$top/tests/deps.sh"
[ -x "$cp" ] || { echo "lint: $cp not found" >&2; exit 1; }

cd "$top"
files=$(ls modules/*.[ch] | grep -v "\.mod\.c$" | grep -v "^modules/trace\.h$"; ls tests/kmod/*.c include/linux/quic.h include/uapi/linux/quic.h)
# shellcheck disable=SC2086
out=$("$cp" --no-tree --strict --show-types --terse \
	-f $files 2>&1) || true
# trace.h is written in the TRACE_EVENT() language, whose layout (the
# kernel's own trace headers') these three checks do not know; every
# other check holds there too
out+=$'\n'$("$cp" --no-tree --strict --show-types --terse \
	--ignore PARENTHESIS_ALIGNMENT,OPEN_ENDED_LINE,COMPLEX_MACRO \
	-f modules/trace.h 2>&1) || true
files+=" modules/trace.h"
if echo "$out" | grep -qE ': (ERROR|WARNING|CHECK):'; then
	echo "$out" | grep -E ': (ERROR|WARNING|CHECK):'
	echo "lint: checkpatch found problems" >&2
	exit 1
fi
echo "lint: checkpatch --strict clean ($(echo "$files" | wc -w) files)"
