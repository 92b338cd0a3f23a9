#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The Debian packages of `make deb`, installed where users install them,
# and the modules DKMS makes of them booted.  For each Debian release of
# the kernels given (6.1.0-* and *+deb12-*: bookworm, *+deb13-*: trixie):
#
#  1. a clean chroot of the release (debootstrap --variant=minbase, kept
#     as a tarball under $QUIC_CACHE/pkgroot and unpacked afresh);
#  2. `apt-get install` of the packages' .deb files in it, with no
#     kernel headers yet: the install works, the DKMS source is added;
#  3. a program built against libquic-dev with pkg-config, linked to
#     libquic1; quic-qlog and quic-ss run;
#  4. each kernel's linux-image and linux-headers installed, oldest first:
#     DKMS's kernel hook (/etc/kernel/header_postinst.d/dkms, the
#     autoinstall of new kernels) builds quic.ko and quic_diag.ko for it;
#  5. each kernel booted in a QEMU guest with the chroot as its root
#     (tests/vm/run.sh -r): the module DKMS installed is the one
#     modprobe finds, socket(IPPROTO_QUIC) autoloads it, a transfer runs
#     through libquic, quic-ss autoloads quic_diag, both unload.  On the
#     kernels of QUIC_PKG_GUEST_BUILD (default: the oldest given), the
#     guest also purges quic-dkms and installs it again, so that DKMS
#     builds the module inside the guest, for the running kernel;
#  6. `apt-get purge quic-dkms` removes the modules from every kernel.
#
# Usage: tests/pkg/deb_test.sh [--phase prep|boot|all] DEBDIR RELEASE...
#   DEBDIR holds the .deb files (build/deb after `make deb`).
#   --phase prep does steps 1 to 4 and leaves the chroots in
#   $QUIC_CACHE/pkgroot; --phase boot (same arguments) does 5 and 6 with
#   them; all (the default) does both.  make check runs prep, which
#   needs no guest, while the debug kernel builds.
# TAP on stdout; the logs go to tests/vm/logs/pkg-*.
set -uo pipefail

prog=deb_test.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
QUIC_CACHE=${QUIC_CACHE:-$repo/.cache}
mirror=${QUIC_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${QUIC_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
logs=$repo/tests/vm/logs
export DEBIAN_FRONTEND=noninteractive

log() { echo "# $prog: $*"; }
die() { echo "$prog: error: $*" >&2; exit 1; }

phase=all
if [[ ${1:-} == --phase ]]; then
	phase=${2:-}
	shift 2 || die "--phase wants prep, boot or all"
fi
[[ $phase == @(prep|boot|all) ]] || die "--phase wants prep, boot or all, not '$phase'"
(($# >= 2)) || die "usage: deb_test.sh [--phase prep|boot|all] DEBDIR RELEASE..."
debdir=$(realpath "$1") || die "no $1"
shift
[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, chroot, QEMU)"
debs=()
for f in "$debdir"/*.deb; do
	[[ $f == *-dbgsym_* ]] || debs+=("$f")
done
((${#debs[@]} >= 5)) || die "expected the five packages of make deb in $debdir, found ${#debs[@]}"
# their paths in the chroots
in_debs=()
for f in "${debs[@]}"; do
	in_debs+=("/tmp/quic-pkg/${f##*/}")
done
mkdir -p "$logs" "$QUIC_CACHE/pkgroot"

n=0
failed=0
# result OK|FAIL DESCRIPTION
result() {
	n=$((n + 1))
	if [[ $1 == OK ]]; then
		echo "ok $n - $2"
	else
		failed=$((failed + 1))
		echo "not ok $n - $2"
	fi
}

# check DESCRIPTION CMD...: CMD's output goes to $step_log, whose tail
# is shown when it fails
check() {
	local d=$1
	shift
	echo "## $d" >>"$step_log"
	if "$@" >>"$step_log" 2>&1; then
		result OK "$d"
	else
		tail -n 25 "$step_log" | sed 's/^/#   /'
		result FAIL "$d"
		return 1
	fi
}

suite_of() {
	case $1 in
	6.1.0-*-amd64 | *+deb12-*) echo bookworm ;;
	*+deb13-*) echo trixie ;;
	*) return 1 ;;
	esac
}

# CMD in the chroot $root, in a private mount namespace
in_root() {
	unshare -m --propagation private -- /bin/sh -c '
		root=$1
		shift
		mount -t proc proc "$root/proc" &&
		mount --bind /dev "$root/dev" &&
		mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts" ||
			exit 125
		exec chroot "$root" /usr/bin/env -u LD_PRELOAD \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root DEBIAN_FRONTEND=noninteractive "$@"
	' sh "$root" "$@"
}

# A clean minbase tree of SUITE, made once and kept as a tarball.
base_tarball() {
	local suite=$1 tar=$QUIC_CACHE/pkgroot/$1-minbase.tar.gz tmp
	if [[ ! -s $tar ]]; then
		command -v debootstrap >/dev/null || die "debootstrap missing (tests/deps.sh installs it)"
		tmp=$QUIC_CACHE/pkgroot/$suite-minbase.tmp
		rm -rf "$tmp"
		debootstrap --variant=minbase "$suite" "$tmp" "$mirror" >&2 || {
			rm -rf "$tmp"
			return 1
		}
		tar -C "$tmp" -czf "$tar.tmp" . && mv "$tar.tmp" "$tar" || return 1
		rm -rf "$tmp"
	fi
	echo "$tar"
}

new_root() {
	local suite=$1 tar
	tar=$(base_tarball "$suite") || return 1
	rm -rf "$root"
	mkdir -p "$root"
	tar -C "$root" -xzf "$tar" || return 1
	{
		echo "deb $mirror $suite main"
		echo "deb $mirror $suite-updates main"
		echo "deb $security $suite-security main"
		[[ $suite == bookworm ]] || echo "deb $mirror $suite-backports main"
	} >"$root/etc/apt/sources.list"
	# no daemon started, no initramfs made: the guests boot our own
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	in_root dpkg-divert --local --rename --divert /usr/sbin/update-initramfs.real \
		--add /usr/sbin/update-initramfs || return 1
	ln -sf /bin/true "$root/usr/sbin/update-initramfs"
	mkdir -p "$root/tmp/quic-pkg"
	cp "${debs[@]}" "$root/tmp/quic-pkg/"
	cp "$repo/tests/demo_transfer.c" "$repo/tests/data/quic-trace.txt" \
		"$here/guest.sh" "$root/tmp/quic-pkg/"
	echo "pkg:$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" >"$root/tmp/quic-pkg/psk"
	in_root apt-get update -q
}

# the module DKMS installed for REL, with REL's vermagic
dkms_built_for() {
	local rel=$1 m v
	for m in quic quic_diag; do
		v=$(in_root modinfo -k "$rel" -F vermagic "$m") || { echo "$m: not found for $rel"; return 1; }
		in_root modinfo -k "$rel" -n "$m"
		[[ $v == "$rel "* ]] || { echo "$m: vermagic '$v', not $rel"; return 1; }
		[[ $(in_root modinfo -k "$rel" -n "$m") == */updates/dkms/* ]] ||
			{ echo "$m: not DKMS's"; return 1; }
	done
}

dkms_added() {
	in_root dkms status quic | grep '^quic/'
}

purge_dkms() {
	local left
	in_root apt-get purge -y -q quic-dkms || return 1
	left=$(find -L "$root"/lib/modules/*/updates -name 'quic*.ko*' 2>/dev/null)
	[[ -z $left ]] || { echo "left behind: $left"; return 1; }
	! in_root dkms status quic | grep .
}

declare -A by_suite=()
for rel in "$@"; do
	s=$(suite_of "$rel") || die "$rel: not a Debian 12 or 13 kernel release"
	by_suite[$s]+="$rel "
done
# the kernels whose guest builds the module itself: about 11 minutes
# under TCG (656 s for 6.1, 650 s for 7.3), so by default only one, the
# oldest.
# The compiler and headers of every kernel are proven by the builds of
# DKMS's kernel hook in the chroot; the guest adds DKMS's own path for
# the running kernel, which does not depend on the kernel.
oldest=$(printf '%s\n' "$@" | sort -V | head -n 1)
guest_build=" ${QUIC_PKG_GUEST_BUILD-$oldest} "

# Steps 1 to 4 for $suite, $rels and $root.  $root.prep records how
# many checks failed, for the boot phase.
prep_suite() {
	local f0=$failed rel target
	rm -f "$root.prep"
	check "$suite: clean chroot made (debootstrap minbase)" new_root "$suite" || return
	check "$suite: apt-get install of the packages in the clean chroot" \
		in_root apt-get install -y -q --no-install-recommends "${in_debs[@]}" || return
	check "$suite: DKMS has the quic source, no kernel yet" dkms_added
	check "$suite: a program builds with pkg-config libquic and links libquic.so.1" \
		in_root sh -c 'apt-get install -y -q --no-install-recommends gcc libc6-dev pkg-config &&
			cd /tmp/quic-pkg &&
			gcc -Wall -Wextra -Werror $(pkg-config --cflags libquic) \
				-o demo_transfer demo_transfer.c $(pkg-config --libs libquic) &&
			ldd demo_transfer | grep -E "libquic\.so\.1 => /(usr/)?lib/"'
	check "$suite: quic-qlog turns a trace into qlog; quic-ss and quic-handshaked run" \
		in_root sh -c 'quic-qlog /tmp/quic-pkg/quic-trace.txt | grep "\"file_schema\"" &&
			quic-ss -h 2>&1 | grep "^usage: quic-ss" &&
			quic-handshaked -h 2>&1 | grep "^Usage: quic-handshaked"'
	# what the guests' run.sh needs besides the kernel: ip
	in_root apt-get install -y -q --no-install-recommends iproute2 >>"$step_log" 2>&1
	for rel in "${rels[@]}"; do
		# a backports kernel comes with its backports' dependencies
		# (linux-base), as users install it: apt-get -t SUITE-backports
		target=()
		in_root apt-cache policy "linux-image-$rel" 2>>"$step_log" |
			grep -q -- "$suite-backports" && target=(-t "$suite-backports")
		check "$suite: installing linux-image-$rel and its headers runs DKMS's kernel hook, which builds the modules" \
			in_root apt-get install -y -q --no-install-recommends "${target[@]}" \
			"linux-image-$rel" "linux-headers-$rel" &&
			check "$suite: quic.ko and quic_diag.ko installed by DKMS for $rel" dkms_built_for "$rel"
	done
	echo $((failed - f0)) >"$root.prep"
}

# Steps 5 and 6; the chroot goes when everything passed.
boot_suite() {
	local f0=$failed rel mode glog rc st d
	if [[ ! -s $root.prep ]]; then
		result FAIL "$suite: the chroot of the prep phase is there"
		return
	fi
	for rel in "${rels[@]}"; do
		mode=load
		[[ $guest_build != *" $rel "* ]] || mode=build
		glog=$logs/pkg-guest-$rel.log
		"$repo/tests/vm/run.sh" -k "$rel" -r "$root" -t 1200 -l "$logs" \
			-- /bin/bash /tmp/quic-pkg/guest.sh "$mode" >"$glog" 2>&1
		rc=$?
		grep '^# ' "$glog"
		while read -r st d; do
			result "$st" "$rel guest: $d"
		done < <(sed -n 's/^\(OK\|FAIL\) /\1 /p' "$glog")
		if ((rc != 0)); then
			tail -n 30 "$glog" | sed 's/^/#   /'
			result FAIL "$rel guest: ran to the end (exit $rc), no kernel splat"
		else
			result OK "$rel guest: ran to the end, no kernel splat"
		fi
	done
	check "$suite: apt-get purge quic-dkms removes the modules of every kernel" \
		purge_dkms
	if ((failed == f0 && $(<"$root.prep") == 0)); then
		rm -rf "$root" "$root.prep"
	fi
}

for suite in bookworm trixie; do
	[[ -n ${by_suite[$suite]:-} ]] || continue
	mapfile -t rels < <(printf '%s\n' ${by_suite[$suite]} | sort -V)
	root=$QUIC_CACHE/pkgroot/$suite
	step_log=$logs/pkg-$suite.log
	t0=$(date +%s)
	log "$suite: kernels ${rels[*]}"
	if [[ $phase != boot ]]; then
		: >"$step_log"
		prep_suite
	fi
	[[ $phase == prep ]] || boot_suite
	log "$suite ($phase) took $(($(date +%s) - t0)) s"
done
((n > 0)) || die "no test ran"
exit $((failed > 0))
