#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A Debian 13 (trixie) chroot under the cache, for the kernels whose
# headers want trixie's compiler (gcc 14) and kbuild tools: Debian 13's
# own 6.12 and the trixie-backports kernel.  The host stays Debian 12.
#
# Usage:
#   tests/vm/trixie.sh setup           create or update the chroot
#   tests/vm/trixie.sh root            print its path (exit 1: none yet)
#   tests/vm/trixie.sh run CMD ARG...  run CMD in it, as root, with the
#                                      tree bind-mounted at its own path
#
# The chroot is $QUIC_CACHE/trixie (QUIC_CACHE defaults to <repo>/.cache),
# made by debootstrap from deb.debian.org with trixie, trixie-updates,
# trixie-security and trixie-backports in its apt sources, and the
# packages of $pkgs below.  `run` works in a private mount namespace
# (unshare -m): its bind mounts and /proc go away with it, nothing is
# left mounted on the host.
set -euo pipefail

prog=trixie.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
QUIC_CACHE=${QUIC_CACHE:-$repo/.cache}
root=$QUIC_CACHE/trixie
mirror=${QUIC_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${QUIC_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
export DEBIAN_FRONTEND=noninteractive

# what building a module for a trixie kernel needs, with W=1 C=1
pkgs=(build-essential gcc-14 sparse kmod bc bison flex libelf-dev libssl-dev
      xz-utils zstd)

log() { echo "$prog: $*" >&2; }
die() { echo "$prog: error: $*" >&2; exit 1; }

# CMD in the chroot, the tree at its own path, in a private mount
# namespace (run0: also while the chroot is being made)
run() {
	[[ -f $root/.stamp ]] || die "no chroot in $root: run '$0 setup'"
	run0 "$@"
}

run0() {
	unshare -m --propagation private -- /bin/sh -c '
		root=$1 repo=$2
		shift 2
		mkdir -p "$root$repo" "$root/proc" "$root/dev"
		mount --bind "$repo" "$root$repo" &&
		mount -t proc proc "$root/proc" &&
		mount --bind /dev "$root/dev" || exit 125
		exec chroot "$root" /usr/bin/env -u LD_PRELOAD \
			PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
	' sh "$root" "$repo" "$@"
}

# Newer kernels' headers use __typeof_unqual__, which trixie's sparse
# (0.6.4) cannot parse: their C=1 builds take sid's, the sparse binary
# alone (it needs only the C library), as /usr/local/bin/sparse.  sid is
# in the chroot's apt sources at priority 1: nothing else comes from it.
sparse_of_sid() {
	rm -rf "$root/tmp/sparse-sid"
	mkdir -p "$root/tmp/sparse-sid"
	run0 sh -c 'cd /tmp/sparse-sid && apt-get download -q sparse/sid &&
		dpkg-deb -x sparse_*.deb x &&
		install -m 755 x/usr/bin/sparse /usr/local/bin/sparse' >&2 || return 1
	rm -rf "$root/tmp/sparse-sid"
	run0 /usr/local/bin/sparse --version >&2
}

setup() {
	local want have
	[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, chroot)"
	want=$(printf '%s\n' "${pkgs[@]}" | sort | tr '\n' ' ')
	want="3 $want"	# 2: update-initramfs diverted, 3: sparse of sid
	if [[ -f $root/.stamp ]]; then
		have=$(cat "$root/.stamp")
		if [[ $have == "$want" ]]; then
			log "chroot ready in $root"
			return 0
		fi
	fi
	if ! command -v debootstrap >/dev/null 2>&1; then
		log "installing debootstrap"
		apt-get install -y -q --no-install-recommends debootstrap >&2 ||
			{ apt-get update -q >&2 &&
			  apt-get install -y -q --no-install-recommends debootstrap >&2; } ||
			die "apt-get install debootstrap failed"
	fi
	if [[ ! -x $root/usr/bin/apt-get ]]; then
		rm -rf "$root" "$root.tmp"
		mkdir -p "$QUIC_CACHE"
		log "debootstrap trixie into $root (minbase)"
		debootstrap --variant=minbase trixie "$root.tmp" "$mirror" >&2 ||
			die "debootstrap trixie failed (see $root.tmp/debootstrap/debootstrap.log)"
		mv "$root.tmp" "$root"
	fi
	cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror trixie main
deb $mirror trixie-updates main
deb $security trixie-security main
deb $mirror trixie-backports main
EOF
	# sid for sparse_of_sid() only (and this archive may be a snapshot
	# older than sid's one-week validity)
	echo "deb [check-valid-until=no] $mirror sid main" \
		>"$root/etc/apt/sources.list.d/sid.list"
	printf 'Package: *\nPin: release n=sid\nPin-Priority: 1\n' \
		>"$root/etc/apt/preferences.d/sid"
	# the headers pull in their kernel's image: no initramfs for it here
	run0 dpkg-divert --local --rename --divert /usr/sbin/update-initramfs.real \
		--add /usr/sbin/update-initramfs >&2
	ln -sf /bin/true "$root/usr/sbin/update-initramfs"
	# no daemons started by package scripts in the chroot
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	: >"$root/.stamp"
	log "installing ${pkgs[*]} in the chroot"
	run apt-get update -q >&2 || { rm -f "$root/.stamp"; die "apt-get update in the chroot failed"; }
	run apt-get install -y -q --no-install-recommends "${pkgs[@]}" >&2 ||
		{ rm -f "$root/.stamp"; die "apt-get install ${pkgs[*]} in the chroot failed"; }
	sparse_of_sid || { rm -f "$root/.stamp"; die "sparse from sid could not be installed"; }
	echo "$want" >"$root/.stamp"
	log "chroot ready in $root"
}

case ${1:-} in
setup) setup ;;
root) [[ -f $root/.stamp ]] || exit 1; echo "$root" ;;
run) shift; (($#)) || die "run needs a command"; run "$@" ;;
*) sed -n '3,19s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
esac
