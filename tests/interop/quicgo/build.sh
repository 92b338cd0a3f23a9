#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# build.sh: builds tests/interop/quicgo/quicgo_peer (peer.go) with Debian 12's
# Go 1.19 and quic-go 0.29 (golang-github-lucas-clemente-quic-go-dev and the
# packages it depends on, in /usr/share/gocode), in GOPATH mode: no module
# download, nothing fetched but Debian packages.  Installs them with apt-get
# when missing (as root); does nothing when the binary is newer than
# peer.go.  Run by tests/deps.sh; safe to run again.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$here/quicgo_peer
pkgs=(golang-go golang-github-lucas-clemente-quic-go-dev)
src=/usr/share/gocode/src/github.com/lucas-clemente/quic-go

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if ((${#missing[@]})); then
	if ((EUID != 0)); then
		echo "build.sh: missing Debian packages ${missing[*]} (run as root to install them)" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	log=$(mktemp /tmp/quicgo-apt.XXXXXX)
	# quiet unless it fails; the package lists may be missing or stale
	if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1 &&
	   ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends \
		"${missing[@]}"; } >>"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		echo "build.sh: could not install ${missing[*]}" >&2
		exit 1
	fi
	rm -f "$log"
fi
[[ -d $src ]] || { echo "build.sh: $src missing" >&2; exit 1; }

# Debian 12's go is 1.19; /usr/lib/go is the default one
GO=$(command -v go || true)
[[ -n $GO ]] || GO=/usr/lib/go/bin/go
if [[ -x $out && $out -nt $here/peer.go && $out -nt $here/build.sh &&
      $out -nt $src/go.mod ]]; then
	exit 0
fi

# a private, writable GOPATH whose src/quicgo_peer holds peer.go; quic-go and
# its dependencies come from /usr/share/gocode
tmp=$(mktemp -d /tmp/quicgo-build.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/gopath/src/quicgo_peer" "$tmp/cache" "$tmp/home"
cp "$here/peer.go" "$tmp/gopath/src/quicgo_peer/"
cd "$tmp/gopath/src/quicgo_peer"
env GO111MODULE=off GOPATH="$tmp/gopath:/usr/share/gocode" GOCACHE="$tmp/cache" \
	HOME="$tmp/home" GOFLAGS= GOPROXY=off CGO_ENABLED=0 \
	"$GO" build -o "$out.tmp" .
mv -f "$out.tmp" "$out"
echo "build.sh: built $out ($("$GO" version | cut -d' ' -f3), quic-go $(dpkg-query -W -f='${Version}' golang-github-lucas-clemente-quic-go-dev))"
