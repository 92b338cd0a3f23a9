#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# build.sh: build tests/interop/quinn/quinn_peer, the quinn side of
# tests/interop_quinn.sh, offline: Debian 12's cargo and rustc (1.63) on
# Debian 12's Rust crates (librust-quinn-dev and its dependencies, unpacked
# in /usr/share/cargo/registry), the way dh-cargo builds Debian's Rust
# packages.  Installs those packages with apt-get when they are missing
# (root needed then); nothing is fetched from crates.io.  CARGO_HOME is
# .cargo-home here, cargo's output target/ here: no global state.
#
#   tests/interop/quinn/build.sh [-f]     -f: rebuild even if up to date
set -euo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$dir"

pkgs=(cargo rustc gcc libc6-dev librust-quinn-dev librust-quinn-udp-dev
      librust-rustls-dev librust-rustls-pemfile-dev librust-ring-dev
      librust-tokio-dev)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if ((${#missing[@]})); then
	echo "build.sh: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		{ apt-get update -qq && apt-get install -y -qq \
			--no-install-recommends "${missing[@]}" >/dev/null; }
fi

# Debian's cargo and rustc, the versions Debian's crates are packaged for
# (not a rustup toolchain that may come first in PATH)
export CARGO=/usr/bin/cargo RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
export CARGO_HOME=$dir/.cargo-home CARGO_TARGET_DIR=$dir/target
unset RUSTUP_TOOLCHAIN RUSTFLAGS CARGO_BUILD_TARGET
mkdir -p "$CARGO_HOME"
cat >"$CARGO_HOME/config.toml" <<'T'
[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "/usr/share/cargo/registry"

[net]
offline = true
T

if [[ ${1:-} != -f && -x quinn_peer && -z $(find Cargo.toml Cargo.lock src \
	-newer quinn_peer 2>/dev/null) ]]; then
	exit 0
fi
# Cargo.lock pins Debian 12's crate versions; if Debian ever changes them,
# cargo resolves again (offline) rather than failing
"$CARGO" build --offline --release --quiet
cp target/release/quinn_peer quinn_peer.tmp
mv quinn_peer.tmp quinn_peer
