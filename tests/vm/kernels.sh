#!/usr/bin/env bash
# Fetch and unpack Debian cloud kernels for the QEMU test VM.
#
# Usage:
#   tests/vm/kernels.sh [SERIES|all|RELEASE...]   prepare kernels (default: all)
#   tests/vm/kernels.sh --print SERIES|RELEASE    print the newest cached
#                                                 release, download nothing
#
# Series: 6.1 and 6.12 (Debian 12, bookworm and its security updates),
# trixie (Debian 13's 6.12) and trixie-bpo (the newest kernel series of
# trixie-backports); "all" is all four.  For each series the newest
# linux-image-<release> that apt knows and whose linux-headers-<release>
# is available is chosen (sort -V).  The headers are installed where the
# module is built against them: on the host for Debian 12's kernels, in
# the trixie chroot (tests/vm/trixie.sh, made here when missing) for
# Debian 13's, whose headers need gcc 14.  The image is downloaded and
# unpacked into $QUIC_CACHE/kernels/<release>/ (QUIC_CACHE defaults to
# <repo>/.cache), its modules are decompressed and depmod'ed.  A finished
# kernel tree carries a .stamp file; later runs only check it.
#
# The prepared releases are printed on stdout, one per line; everything else
# goes to stderr.
set -euo pipefail

prog=kernels.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
QUIC_CACHE=${QUIC_CACHE:-$repo/.cache}
kcache=$QUIC_CACHE/kernels
export DEBIAN_FRONTEND=noninteractive

log() { echo "$prog: $*" >&2; }
die() { echo "$prog: error: $*" >&2; exit 1; }

usage() {
	sed -n '2,21s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit "${1:-2}"
}

# Regex matching the image package names of a series.
series_regex() {
	case $1 in
	6.1) echo '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$' ;;
	6.12) echo '^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64$' ;;
	trixie) echo '^linux-image-6\.12\.[0-9]+\+deb13-cloud-amd64$' ;;
	# any series after 6.12
	trixie-bpo) echo '^linux-image-(6\.(1[3-9]|[2-9][0-9])|([7-9]|[1-9][0-9])\.[0-9]+)\.[0-9]+\+deb13-cloud-amd64$' ;;
	*) return 1 ;;
	esac
}

# Series of a full release string, e.g. 6.12.117+deb12-cloud-amd64 -> 6.12.
release_series() {
	case $1 in
	6.1.0-*-cloud-amd64) echo 6.1 ;;
	6.12.*+deb12-cloud-amd64) echo 6.12 ;;
	6.12.*+deb13-cloud-amd64) echo trixie ;;
	*+deb13-cloud-amd64) echo trixie-bpo ;;
	*) return 1 ;;
	esac
}

# Newest release of SERIES (or the RELEASE itself) that is fully cached.
cached_release() {
	local want=$1 re d rel
	if re=$(series_regex "$want"); then
		for d in "$kcache"/*/; do
			[[ -d $d ]] || continue
			rel=$(basename "$d")
			[[ -f $d/.stamp ]] || continue
			if [[ linux-image-$rel =~ $re ]]; then echo "$rel"; fi
		done | sort -V | tail -n 1
	elif [[ -f $kcache/$want/.stamp ]]; then
		echo "$want"
	fi
}

# The kernels' apt: the host's for Debian 12's, the trixie chroot's for
# Debian 13's (use_dist picks one; $in prefixes the commands).
dist=bookworm
in=()
use_dist() {
	dist=$1
	if [[ $dist == trixie ]]; then
		if [[ ! -f ${trixie_root:=$QUIC_CACHE/trixie}/.stamp ]]; then
			"$here/trixie.sh" setup || die "the trixie chroot could not be made"
		fi
		in=("$here/trixie.sh" run)
	else
		in=()
	fi
	kernel_names=${names_of[$dist]:-}
	apt_updated=${updated_of[$dist]:-0}
}

# Print "PACKAGE CANDIDATE" for each PACKAGE given (one apt-cache call).
candidates() {
	"${in[@]}" apt-cache policy "$@" 2>/dev/null |
		awk '/^[^ ].*:$/ { p = substr($0, 1, length($0) - 1) }
		     $1 == "Candidate:" { print p, $2 }'
}

ensure_tools() {
	local missing=() t
	declare -A pkg_of=([dpkg-deb]=dpkg [depmod]=kmod [xz]=xz-utils [zstd]=zstd [flock]=util-linux)
	for t in dpkg-deb depmod xz flock; do
		command -v "$t" >/dev/null 2>&1 || missing+=("${pkg_of[$t]}")
	done
	((${#missing[@]} == 0)) && return 0
	log "installing missing tools: ${missing[*]}"
	apt_install "${missing[@]}"
}

apt_updated=0
declare -A updated_of=() names_of=()
apt_update() {
	((apt_updated)) && return 0
	log "running apt-get update ($dist)"
	"${in[@]}" apt-get update -q >&2 || die "apt-get update ($dist) failed"
	apt_updated=1
	updated_of[$dist]=1
}

# host tools
apt_install() {
	if ! apt-get install -y -q --no-install-recommends "$@" >&2; then
		apt-get update -q >&2 || die "apt-get update failed"
		apt-get install -y -q --no-install-recommends "$@" >&2 ||
			die "apt-get install $* failed"
	fi
}

# kernel packages, where their kernels are built for
kapt_install() {
	if ! "${in[@]}" apt-get install -y -q --no-install-recommends "$@" >&2; then
		apt_update
		"${in[@]}" apt-get install -y -q --no-install-recommends "$@" >&2 ||
			die "apt-get install $* ($dist) failed"
	fi
}

# Both lists come from one apt-cache call (each call costs ~0.5 s).
kernel_names=
load_names() {
	[[ -z $kernel_names ]] || return 0
	kernel_names=$("${in[@]}" apt-cache pkgnames linux- 2>/dev/null | grep -E '^linux-(image|headers)-[0-9]' || true)
	if [[ -z $kernel_names ]]; then
		apt_update
		kernel_names=$("${in[@]}" apt-cache pkgnames linux- 2>/dev/null | grep -E '^linux-(image|headers)-[0-9]' || true)
	fi
	names_of[$dist]=$kernel_names
}

headers_installed() {
	[[ $("${in[@]}" dpkg-query -W -f='${db:Status-Status}' "linux-headers-$1" 2>/dev/null || true) == installed ]]
}

# Set $picked to the newest release of SERIES with an image and matching
# headers available from apt. A release that is cached and whose headers are
# installed is taken without asking apt for candidates.
picked=
pick_release() {
	local series=$1 re name rel attempt c
	local -A known=()
	re=$(series_regex "$series") || die "unknown series '$series' (want 6.1, 6.12, trixie or trixie-bpo)"
	for attempt in 1 2; do
		load_names
		known=()
		for name in $kernel_names; do known[$name]=1; done
		while read -r name; do
			[[ -n $name ]] || continue
			rel=${name#linux-image-}
			[[ -n ${known[linux-headers-$rel]:-} ]] || continue
			if [[ -f $kcache/$rel/.stamp ]] && headers_installed "$rel"; then
				picked=$rel
				return 0
			fi
			c=$(candidates "$name" "linux-headers-$rel" | awk '$2 != "(none)"' | wc -l)
			if ((c == 2)); then
				picked=$rel
				return 0
			fi
		done < <(grep -E "$re" <<<"$kernel_names" | sort -V -r)
		((attempt == 1 && !apt_updated)) || break
		log "no $series kernel with headers in the apt lists; updating them"
		apt_update
		kernel_names=
	done
	return 1
}

# Names of the linux-modules-*, linux-binary-* and linux-base-REL packages
# PKG depends on (the latter two: newer kernels split in three).
kernel_deps() {
	"${in[@]}" apt-cache show --no-all-versions "$1" 2>/dev/null |
		sed -n 's/^\(Pre-\)\{0,1\}Depends: //p' | tr ',|' '\n' |
		sed 's/([^)]*)//g; s/:any//; s/[[:space:]]//g' |
		grep -E '^linux-(modules-|binary-|base-[0-9])' | sort -u || true
}

ensure_headers() {
	local rel=$1 mk
	if ! headers_installed "$rel"; then
		log "installing linux-headers-$rel ($dist)"
		kapt_install "linux-headers-$rel"
	fi
	[[ $dist == trixie ]] || return 0
	# C=1 needs scripts/checker-valid.sh, which the packages lack
	for mk in "$trixie_root"/usr/src/linux-headers-*/Makefile; do
		grep -qs checker-valid.sh "$mk" || continue
		[[ -e ${mk%/Makefile}/scripts/checker-valid.sh ]] && continue
		install -D -m 755 "$here/checker-valid.sh" "${mk%/Makefile}/scripts/checker-valid.sh"
	done
}

# Download, unpack and depmod RELEASE into $kcache/RELEASE.
prepare() {
	local rel=$1 dir=$kcache/$1 tmp pkgs=() queue dep deb moddir n
	ensure_headers "$rel"
	if [[ -f $dir/.stamp ]]; then
		log "$rel: cached in $dir"
		return 0
	fi
	mkdir -p "$kcache"
	tmp=$(mktemp -d "$kcache/.tmp.$rel.XXXXXX")
	cleanup_dir=$tmp
	mkdir -p "$tmp/debs" "$tmp/root"

	# Image plus (transitively) any linux-modules-*/linux-binary-* packages.
	queue=("linux-image-$rel")
	while ((${#queue[@]})); do
		pkgs+=("${queue[0]}")
		for dep in $(kernel_deps "${queue[0]}"); do
			[[ " ${pkgs[*]} ${queue[*]} " == *" $dep "* ]] || queue+=("$dep")
		done
		queue=("${queue[@]:1}")
	done
	log "$rel: downloading ${pkgs[*]}"
	if [[ $dist == trixie ]]; then
		rm -rf "$trixie_root/var/cache/quic-download"
		mkdir -p "$trixie_root/var/cache/quic-download"
		"${in[@]}" sh -c 'cd /var/cache/quic-download && apt-get download -q -o APT::Sandbox::User=root "$@"' \
			sh "${pkgs[@]}" >&2 || die "$rel: apt-get download ${pkgs[*]} ($dist) failed"
		mv "$trixie_root"/var/cache/quic-download/*.deb "$tmp/debs/"
	else
		(cd "$tmp/debs" && apt-get download -q -o APT::Sandbox::User=root "${pkgs[@]}" >&2) ||
			die "$rel: apt-get download ${pkgs[*]} failed"
	fi
	for deb in "$tmp"/debs/*.deb; do
		dpkg-deb -x "$deb" "$tmp/root" || die "$rel: dpkg-deb -x $deb failed"
	done

	if [[ ! -d $tmp/root/lib/modules/$rel && -d $tmp/root/usr/lib/modules/$rel ]]; then
		[[ -e $tmp/root/lib ]] || ln -s usr/lib "$tmp/root/lib"
	fi
	moddir=$tmp/root/lib/modules/$rel
	[[ -d $moddir ]] || die "$rel: no lib/modules/$rel in ${pkgs[*]}"
	# newer kernels keep the image beside their modules
	# (linux-binary-*: /usr/lib/modules/REL/vmlinuz)
	if [[ ! -f $tmp/root/boot/vmlinuz-$rel && -f $moddir/vmlinuz ]]; then
		mkdir -p "$tmp/root/boot"
		ln -s "../lib/modules/$rel/vmlinuz" "$tmp/root/boot/vmlinuz-$rel"
	fi
	[[ -f $tmp/root/boot/vmlinuz-$rel ]] || die "$rel: no boot/vmlinuz-$rel in ${pkgs[*]}"

	n=$(find "$moddir" -name '*.ko.xz' | wc -l)
	if ((n)); then
		log "$rel: decompressing $n .ko.xz modules"
		find "$moddir" -name '*.ko.xz' -print0 | xargs -0 -r -n 64 -P "$(nproc)" xz -d ||
			die "$rel: xz -d of the modules failed"
	fi
	n=$(find "$moddir" -name '*.ko.zst' | wc -l)
	if ((n)); then
		command -v zstd >/dev/null 2>&1 || apt_install zstd
		log "$rel: decompressing $n .ko.zst modules"
		find "$moddir" -name '*.ko.zst' -print0 | xargs -0 -r -n 64 -P "$(nproc)" zstd -q -d --rm ||
			die "$rel: zstd -d of the modules failed"
	fi
	depmod -b "$tmp/root" "$rel" || die "$rel: depmod -b $tmp/root $rel failed"

	dpkg-deb -f "$tmp/debs/linux-image-${rel}"_*.deb Version >"$tmp/root/.stamp"
	rm -rf "$dir" "$tmp/debs"
	mv "$tmp/root" "$dir"
	rm -rf "$tmp"
	cleanup_dir=
	log "$rel: ready in $dir"
}

cleanup_dir=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() { [[ -z $cleanup_dir ]] || rm -rf "$cleanup_dir"; }
trap cleanup EXIT

main() {
	local args=() a rel series rels=() failed=0
	case ${1:-} in
	-h | --help) usage 0 ;;
	--print)
		[[ $# -eq 2 ]] || usage
		rel=$(cached_release "$2")
		[[ -n $rel ]] || { log "no cached kernel for '$2' in $kcache"; exit 1; }
		echo "$rel"
		exit 0
		;;
	esac
	(($#)) || set -- all
	for a in "$@"; do
		case $a in
		all) args+=(6.1 6.12 trixie trixie-bpo) ;;
		6.1 | 6.12 | trixie | trixie-bpo) args+=("$a") ;;
		-*) usage ;;
		*)
			release_series "$a" >/dev/null ||
				die "'$a' is neither a series, all nor a Debian 12 or 13 cloud-amd64 release"
			args+=("$a")
			;;
		esac
	done

	[[ $(id -u) -eq 0 ]] || die "must run as root (apt-get install, dpkg-deb)"
	ensure_tools
	mkdir -p "$kcache"
	exec 9>"$kcache/.lock"
	flock 9 || die "cannot lock $kcache/.lock"

	for a in "${args[@]}"; do
		if series_regex "$a" >/dev/null; then
			series=$a
		else
			series=$(release_series "$a")
		fi
		case $series in
		trixie*) use_dist trixie ;;
		*) use_dist bookworm ;;
		esac
		if series_regex "$a" >/dev/null; then
			if pick_release "$series"; then
				rel=$picked
			else
				rel=$(cached_release "$series")
				[[ -n $rel ]] || { log "error: no $series kernel with headers available from apt"; failed=1; continue; }
				log "warning: apt offers no $series kernel with headers; using cached $rel"
			fi
		else
			rel=$a
		fi
		prepare "$rel"
		rels+=("$rel")
	done
	((${#rels[@]} == 0)) || printf '%s\n' "${rels[@]}"
	exit "$failed"
}

main "$@"
