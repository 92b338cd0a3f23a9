# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tap.sh: TAP output and network namespaces for the shell tests that set
# up their own links (tests/netem_test.sh, tests/device_test.sh); sourced
# from the repository root.  The caller prints the plan and exits with
# "[ $failed -eq 0 ]".

n=0
failed=0

ok() {	# ok DESCRIPTION
	n=$((n + 1))
	echo "ok $n - $1"
}

not_ok() {	# not_ok DESCRIPTION
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
}

diag_files() {	# diag_files FILE...: their lines as diagnostics
	sed 's/^/# /' "$@"
}

# in_ns NS CMD...: CMD in namespace NS's network, not through "ip netns
# exec", whose private /sys hides debugfs: a stalled transfer's report
# shows the namespace's sockets from /sys/kernel/debug/quic/sockets
in_ns() {
	local ns=$1

	shift
	nsenter --net=/run/netns/"$ns" "$@"
}
