#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# setup.sh: install the npm packages of the interop peers into
# tests/interop/node_modules with `npm ci` from package-lock.json, when
# they are missing or older than the lock file.  tests/deps.sh runs it;
# the tests themselves only check (the guest has no network).
#
# package-lock.json also lists @matrixai/quic's optional addons for other
# platforms (darwin-*, win32-x64) at 2.0.9 with their os/cpu, although the
# registry has no such versions: `npm install` leaves them out of the lock
# file, and `npm ci` then refuses the lock file as out of sync.  On Linux
# x64 npm skips them by their os/cpu and installs quic-linux-x64 only.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

if [[ -f node_modules/.package-lock.json &&
      node_modules/.package-lock.json -nt package-lock.json &&
      -f node_modules/@matrixai/quic-linux-x64/node.napi.node ]]; then
	exit 0
fi
command -v npm >/dev/null || {
	echo "interop/setup.sh: npm is missing (Node.js 20 with npm is needed)" >&2
	exit 1
}
echo "interop/setup.sh: npm ci in $PWD" >&2
npm ci --no-audit --no-fund >&2
