#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Prints 1 when the checker ($1, with its flags) can check these headers:
# it runs, and parses __typeof_unqual__, which newer kernels' headers use.
# The kernel's Makefile calls scripts/checker-valid.sh before C=1 builds;
# Debian's linux-headers packages do not ship one, so tests/vm/kernels.sh
# puts this in the trixie chroot's headers where it is missing.
f=/tmp/checker-valid.$$.c
echo 'static int a; int f(void); int f(void) { __typeof_unqual__(a) b = a; return b; }' >"$f"
if "$@" "$f" >/dev/null 2>&1; then
	echo 1
fi
rm -f "$f"
