#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build (once per machine) the -quic-debug test kernel: Debian's
# linux-source-6.12 configured by tests/vm/debug-config (allnoconfig plus
# what the guest needs plus KASAN, KMEMLEAK, lockdep, UBSAN, ...).
#
# Usage: tests/vm/debug-kernel.sh [--print]
#
# The kernel is cached outside the clone, in $QUIC_KERNEL_CACHE (default
# /var/cache/quic-kernels), under a key made of the config fragment, the
# source package's version and this script, so that every clone on a
# machine shares one build and a changed config builds a new one. The
# cached tree holds boot/vmlinuz-<release>, lib/modules/<release>/ and
# build/ (the kernel tree, to build quic.ko against). It is then made
# visible the way tests/vm/run.sh and `make module-for` expect a Debian
# kernel: $QUIC_CACHE/kernels/<release> and /usr/src/linux-headers-<release>
# are symbolic links into it.
#
# Prints the release (ends in -quic-debug) on stdout; --print only prints
# it when the kernel is already built, and fails otherwise.
set -euo pipefail

prog=debug-kernel.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
QUIC_CACHE=${QUIC_CACHE:-$repo/.cache}
QUIC_KERNEL_CACHE=${QUIC_KERNEL_CACHE:-/var/cache/quic-kernels}
src_tar=/usr/src/linux-source-6.12.tar.xz
fragment=$here/debug-config
export DEBIAN_FRONTEND=noninteractive

log() { echo "$prog: $*" >&2; }
die() { echo "$prog: error: $*" >&2; exit 1; }

print_only=0
case ${1:-} in
--print) print_only=1 ;;
"") ;;
*) sed -n '4,21s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
esac

# ---------------------------------------------------------------- tools
need=()
for p in linux-source-6.12 bc bison flex libelf-dev libssl-dev kmod cpio xz-utils \
	util-linux; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		need+=("$p")
done
if ((${#need[@]})); then
	((print_only == 0)) || die "not built (missing ${need[*]})"
	log "installing ${need[*]}"
	apt-get install -y -q --no-install-recommends "${need[@]}" >&2 ||
		{ apt-get update -q >&2 && apt-get install -y -q --no-install-recommends "${need[@]}" >&2; } ||
		die "apt-get install ${need[*]} failed"
fi
[[ -f $src_tar ]] || die "$src_tar missing after installing linux-source-6.12"

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
key=$({
	echo "$srcver"
	cat "$fragment" "${BASH_SOURCE[0]}"
} | sha256sum | cut -c1-16)
dir=$QUIC_KERNEL_CACHE/6.12-debug-$key

# ---------------------------------------------------------------- publish
publish() {
	local rel
	rel=$(<"$dir/release")
	mkdir -p "$QUIC_CACHE/kernels"
	ln -sfn "$dir" "$QUIC_CACHE/kernels/$rel"
	ln -sfn "$dir/build" "/usr/src/linux-headers-$rel"
	echo "$rel"
}

if [[ -f $dir/.stamp ]]; then
	publish
	exit 0
fi
((print_only == 0)) || die "the debug kernel for this config is not built ($dir)"

# ---------------------------------------------------------------- build
mkdir -p "$QUIC_KERNEL_CACHE"
exec 9>"$QUIC_KERNEL_CACHE/.lock"
flock 9
if [[ -f $dir/.stamp ]]; then # another run built it meanwhile
	publish
	exit 0
fi
rm -rf "$dir"
mkdir -p "$dir/build"
t0=$(date +%s)
log "building the debug kernel in $dir (linux-source-6.12 $srcver)"
tar -C "$dir/build" --strip-components=1 -xJf "$src_tar" ||
	die "unpacking $src_tar failed"
cd "$dir/build"

grep -E '^CONFIG_' "$fragment" >"$dir/fragment.config"
make -s KCONFIG_ALLCONFIG="$dir/fragment.config" allnoconfig >&2 ||
	die "make allnoconfig with $fragment failed"
# Each line of the fragment must have survived (an unmet dependency drops
# a symbol silently).
lost=()
while IFS= read -r line; do
	sym=${line%%=*}
	val=${line#*=}
	if [[ $val == n ]]; then
		grep -qE "^$sym=" .config && lost+=("$line")
	else
		grep -qxF -- "$line" .config || lost+=("$line")
	fi
done <"$dir/fragment.config"
((${#lost[@]} == 0)) || die "config lines not in the result (unmet dependencies?): ${lost[*]}"

jobs=$(nproc)
log "make -j$jobs (a few minutes)"
if ! make -s -j"$jobs" bzImage modules >"$dir/build.log" 2>&1; then
	tail -n 40 "$dir/build.log" >&2
	die "building the kernel failed (log: $dir/build.log)"
fi
rel=$(make -s kernelrelease)
[[ $rel == *-quic-debug ]] || die "unexpected release '$rel'"
mkdir -p "$dir/boot"
cp arch/x86/boot/bzImage "$dir/boot/vmlinuz-$rel"
cp .config "$dir/boot/config-$rel"
make -s INSTALL_MOD_PATH="$dir" modules_install >&2 ||
	die "make modules_install failed"
# modules_install links build/ back here; the guest does not need it
rm -f "$dir/lib/modules/$rel/build" "$dir/lib/modules/$rel/source"
depmod -b "$dir" "$rel" || die "depmod failed"
# external modules need the headers, scripts and Module.symvers, not the
# objects of the kernel itself
find . -name '*.o' -not -path './scripts/*' -not -path './tools/*' -delete
echo "$rel" >"$dir/release"
echo "$srcver" >"$dir/.stamp"
log "built $rel in $(($(date +%s) - t0)) s"
publish
