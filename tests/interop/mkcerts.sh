#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# mkcerts.sh DIR: a throw-away test CA and a server certificate for
# "localhost" (and 127.0.0.1, ::1) signed by it, made with GnuTLS's certtool:
#	DIR/ca.pem DIR/ca-key.pem DIR/cert.pem DIR/key.pem
# ECDSA P-256 keys; valid for one day.
set -euo pipefail

dir=${1:?usage: mkcerts.sh DIR}
mkdir -p "$dir"
cd "$dir"

command -v certtool >/dev/null || {
	echo "mkcerts.sh: certtool missing (Debian package gnutls-bin; tests/deps.sh)" >&2
	exit 1
}

cat >ca.tmpl <<'T'
cn = "QUIC interop test CA"
ca
cert_signing_key
expiration_days = 1
T
cat >server.tmpl <<'T'
cn = "localhost"
dns_name = "localhost"
ip_address = "127.0.0.1"
ip_address = "::1"
tls_www_server
signing_key
encryption_key
expiration_days = 1
T

certtool --no-text --generate-privkey --key-type=ecdsa --curve=secp256r1 \
	--outfile ca-key.pem 2>/dev/null
certtool --no-text --generate-self-signed --load-privkey ca-key.pem \
	--template ca.tmpl --outfile ca.pem 2>/dev/null
certtool --no-text --generate-privkey --key-type=ecdsa --curve=secp256r1 \
	--outfile key.pem 2>/dev/null
certtool --no-text --generate-certificate --load-privkey key.pem \
	--load-ca-certificate ca.pem --load-ca-privkey ca-key.pem \
	--template server.tmpl --outfile cert.pem 2>/dev/null
rm -f ca.tmpl server.tmpl
