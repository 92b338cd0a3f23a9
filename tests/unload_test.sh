#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# unload_test.sh: run in the guest after socket_test, with quic.ko loaded
# and no QUIC socket left.  Checks that the module unloads and leaves
# nothing behind (protocols, module, slab caches, UDP tunnel sockets),
# then loads it again from $QUIC_KO (the harness unloads it at the end)
# and checks that it works.  Prints TAP, the plan at the end.
#
# Environment:
#   QUIC_KO             absolute path of the quic.ko that was loaded (required)
#   QUIC_UDP_BASELINE   optional file with the local addresses in
#                       /proc/net/udp{,6} before the tests ran (tests/guest.sh
#                       writes it); without it, those at this script's start
set -u -o pipefail

n=0
failed=0

ok() {	# ok DESCRIPTION: the last command's status decides
	local rc=$?
	n=$((n + 1))
	if ((rc == 0)); then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		failed=$((failed + 1))
	fi
	return "$rc"
}

diag() {	# diag LINES...: each argument may hold several lines
	local a l
	for a in "$@"; do
		while IFS= read -r l; do echo "# $l"; done <<<"$a"
	done
}

finish() {
	echo "1..$n"
	((failed == 0)) || diag "$failed of $n tests failed"
	((failed == 0 && n > 0))
	exit
}

# local address:port of every UDP socket, one per line
udp_sockets() {
	awk 'FNR > 1 { print FILENAME, $2 }' /proc/net/udp /proc/net/udp6 | sort
}

module_loaded() {
	grep -q '^quic ' /proc/modules
}

module_refs() {
	awk '$1 == "quic" { print $3 }' /proc/modules
}

# /proc/net/protocols lines of QUIC and QUICv6
quic_protocols() {
	awk '$1 == "QUIC" || $1 == "QUICv6" { print $1 }' /proc/net/protocols
}

# The QUIC and QUICv6 slab caches, one line each: "NAME cache" when the
# cache is its own (a /sys/kernel/slab/NAME directory, a /proc/slabinfo
# line), "NAME alias TARGET ALIASES" when SLUB merged it into TARGET (a
# symlink, which SLUB leaves behind when the alias is destroyed: then
# TARGET's alias count, or TARGET going away, tells), "NAME none" when
# neither shows.
slab_state() {
	local c p t
	for c in QUIC QUICv6; do
		p=/sys/kernel/slab/$c
		if [[ -L $p ]]; then
			t=$(readlink -f "$p")
			echo "$c alias ${t##*/} $(cat "$t/aliases" 2>/dev/null)"
		elif [[ -d $p ]] || awk -v c="$c" '$1 == c { f = 1 } END { exit !f }' \
			/proc/slabinfo 2>/dev/null; then
			echo "$c cache"
		else
			echo "$c none"
		fi
	done
}

# After the unload: no cache of our own left, and each cache ours were
# merged into has as many fewer aliases as ours pointed at it.
slabs_gone() {
	local before=$1 name kind target aliases now want
	while read -r name kind target aliases; do
		case $kind in
		cache)
			now=$(slab_state | awk -v c="$name" '$1 == c { print $2 }')
			[[ $now != cache ]] || { echo "$name: still a cache"; return 1; }
			;;
		alias)
			# ALIASES is the target's use count less one: when
			# ours were all its users, the target goes too
			want=$((aliases - $(grep -c " alias $target " <<<"$before")))
			if ((want < 0)); then
				[[ ! -e /sys/kernel/slab/$target ]] ||
					{ echo "$name: $target still exists"; return 1; }
				continue
			fi
			now=$(cat "/sys/kernel/slab/$target/aliases" 2>/dev/null)
			[[ $now == "$want" ]] ||
				{ echo "$name: $target has '$now' aliases, want $want"; return 1; }
			;;
		esac
	done <<<"$before"
	return 0
}

# ------------------------------------------------------------ preconditions
[[ -n ${QUIC_KO:-} ]]
ok "QUIC_KO is set (path of quic.ko to load again)" ||
	diag "error: QUIC_KO is not in the environment; the harness must export it"
[[ -n ${QUIC_KO:-} && -f $QUIC_KO ]]
ok "QUIC_KO (${QUIC_KO:-unset}) is a file" || finish

tmp=$(mktemp -d /tmp/quic-unload-test.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
if [[ -n ${QUIC_UDP_BASELINE:-} && -r $QUIC_UDP_BASELINE ]]; then
	cp "$QUIC_UDP_BASELINE" "$tmp/baseline"
else
	diag "no QUIC_UDP_BASELINE: comparing with the UDP sockets there now"
	udp_sockets >"$tmp/baseline"
fi

# UDP sockets not in the baseline, one per line; fails when unreadable
new_udp_sockets() {
	udp_sockets >"$tmp/now" || return 2
	grep -vxF -f "$tmp/baseline" "$tmp/now"
	(($? <= 1))
}

module_loaded
ok "quic is loaded before the test" || finish

[[ $(quic_protocols | sort | tr '\n' ' ') == "QUIC QUICv6 " ]]
ok "/proc/net/protocols lists QUIC and QUICv6 while loaded" ||
	diag "$(grep -i quic /proc/net/protocols)"

slabs_before=$(slab_state)
! grep -q ' none$' <<<"$slabs_before"
ok "the QUIC and QUICv6 slab caches exist while loaded"
diag "slab caches: $slabs_before"

# ------------------------------------------------------------ unload
# quic_diag.ko (sock_diag) holds quic while loaded: quic does not go
# first, and quic_diag goes when asked (ops_test leaves it loaded)
if [[ -d /sys/module/quic_diag ]]; then
	! rmmod quic 2>/dev/null
	ok "rmmod quic fails while quic_diag is loaded"
	out=$(rmmod quic_diag 2>&1)
	ok "rmmod quic_diag succeeds" || diag "$out"
fi

# A connection closed by close() lingers for its closing or draining period
# (three PTOs, RFC 9000 10.2: well under a second on loopback, 3 s at most
# before any RTT sample with the default 333 ms initial RTT), then goes.
for _ in $(seq 50); do
	refs=$(module_refs)
	[[ $refs == 0 ]] && break
	sleep 0.1
done
[[ $refs == 0 ]]
ok "quic's use count drops to 0 once the tests have exited (closing periods over within 5 s)" ||
	diag "use count '$refs'"

out=$(rmmod quic 2>&1)
ok "rmmod quic succeeds" || { diag "$out"; finish; }

! module_loaded
ok "quic is gone from /proc/modules" || diag "$(grep '^quic ' /proc/modules)"

[[ ! -e /sys/module/quic ]]
ok "/sys/module/quic is gone"

[[ -z $(quic_protocols) ]]
ok "/proc/net/protocols has no QUIC or QUICv6 line" ||
	diag "$(grep -i quic /proc/net/protocols)"

out=$(slabs_gone "$slabs_before")
ok "the QUIC and QUICv6 slab caches are destroyed" ||
	diag "$out" "while loaded: $slabs_before" "now: $(slab_state)"

left=$(new_udp_sockets) && [[ -z $left ]]
ok "no UDP socket is left beyond those present before the tests" ||
	diag "new UDP sockets (file, local address:port in hex):" "$left"

# ------------------------------------------------------------ load again
out=$(insmod "$QUIC_KO" 2>&1)
ok "insmod \$QUIC_KO loads quic again" || { diag "$out"; finish; }

module_loaded && [[ -d /sys/module/quic ]]
ok "quic is in /proc/modules and /sys/module again"

[[ $(quic_protocols | sort | tr '\n' ' ') == "QUIC QUICv6 " ]]
ok "/proc/net/protocols lists QUIC and QUICv6 again"

out=$(python3 - 2>&1 <<'PY'
import socket
for fam, ip in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    for typ in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(fam, typ, 261)
        assert s.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL) == 261
        s.bind((ip, 0))
        assert s.getsockname()[1] != 0
        s.close()
PY
)
ok "the reloaded module creates and binds QUIC sockets (v4, v6; DGRAM, STREAM)" ||
	diag "$out"

# The namespace's socket table (hash/unhash), through the debug file
# that reads it: each socket is in it from creation to release, and only
# in its own namespace's.
socktab=/sys/kernel/debug/quic/sockets
out=$(python3 - "$socktab" 2>&1 <<'PY'
import socket, subprocess, sys
path = sys.argv[1]
def count():
    # one line per socket, then "sockets: N" and "orphans: N"
    with open(path) as f:
        lines = f.read().splitlines()
    tot = [l for l in lines if l.startswith("sockets: ")]
    socks = [l for l in lines if not l.endswith(":") and ": " not in l]
    assert len(tot) == 1, lines
    n = int(tot[0].split()[1])
    assert len(socks) == n, lines
    return n
base = count()
socks = [socket.socket(fam, socket.SOCK_DGRAM, 261)
         for fam in (socket.AF_INET, socket.AF_INET6) * 3]
socks[0].bind(("127.0.0.1", 0)); socks[0].listen(1)
assert count() == base + 6, (base, count())
other = subprocess.run(["unshare", "-n", "python3", "-c",
    "import socket; s = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM, 261)"
    " for i in range(3)]; print([l for l in open('%s').read().splitlines()"
    " if l.startswith('sockets: ')][0])" % path],
    capture_output=True, text=True, check=True).stdout.strip()
assert other == "sockets: 3", other
assert count() == base + 6, (base, count())
for s in socks:
    s.close()
assert count() == base, (base, count())
print("table: %d before, %d with 6 open, 3 in another namespace" % (base, base + 6))
PY
)
ok "the socket table counts each socket of its namespace from creation to close" ||
	diag "$out"

refs=$(module_refs)
[[ $refs == 0 ]]
ok "the use count is back to 0 after those sockets closed" ||
	diag "use count '$refs'"

left=$(new_udp_sockets) && [[ -z $left ]]
ok "their UDP sockets are gone" || diag "$left"

finish
