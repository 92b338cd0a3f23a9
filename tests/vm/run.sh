#!/usr/bin/env bash
# Run a command as root in a QEMU (TCG) guest that boots a cached Debian cloud
# kernel and uses the host's own / (virtiofs) as its root file system.
#
# Usage:
#   tests/vm/run.sh [-k SERIES_OR_RELEASE] [-t TIMEOUT_SECONDS] [-m PATH_TO_quic.ko]
#                   [-l LOGDIR] [-e NAME=VALUE]... [-i] [--no-quic] [-r ROOT]
#                   [--] CMD [ARGS...]
#
#   -k 6.12|6.1|RELEASE  guest kernel (default 6.12); see tests/vm/kernels.sh
#   -t SECONDS           time limit for the whole run (default 600); exit 124
#   -m PATH              module to insmod (default <repo>/build/<release>/quic.ko)
#   --no-quic            do not load (nor unload) any module of ours
#   -l LOGDIR            where <release>-console.log and <release>-dmesg.txt go
#                        (default <repo>/tests/vm/logs)
#   -e NAME=VALUE        add to the command's environment (repeatable); it
#                        otherwise gets only PATH, HOME=/root and TERM
#   -i                   interactive shell on the serial console instead of CMD
#                        (QEMU's escape: Ctrl-a x)
#   -r ROOT              boot into the tree ROOT instead of the host's / (a
#                        Debian chroot with bash, kmod, iproute2 and the
#                        kernel's own /lib/modules/RELEASE); CMD runs in its
#                        /, and the run's files live in ROOT/tmp; implies
#                        --no-quic (the packages' tests load what DKMS built)
#
# CMD runs in the caller's working directory, with stdin from /dev/null; its
# output (stdout and stderr together) is streamed to our stdout. Exit status:
# CMD's; 1 if CMD succeeded but the kernel logged a splat or the module did
# not unload; 124 on timeout; 125 if the VM itself failed (boot, insmod, ...).
#
# Environment: QUIC_CACHE (default <repo>/.cache), QUIC_VM_APPEND (extra kernel
# command line), QUIC_VM_SPLAT_IGNORE (ERE of dmesg lines not to count as splats).
set -euo pipefail

prog=run.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
QUIC_CACHE=${QUIC_CACHE:-$repo/.cache}
export DEBIAN_FRONTEND=noninteractive

# Modules loaded in the guest before quic.ko (missing or built-in ones are
# reported, not fatal).
GUEST_MODULES=(udp_tunnel ip6_udp_tunnel gcm ccm chacha20poly1305 aesni_intel
	ghash_clmulni_intel sch_netem veth tls inet_diag)
# Modules the initramfs needs to mount the virtiofs root (when not built in).
INITRAMFS_MODULES=(virtio_pci virtiofs)
# dmesg lines that fail a run.
SPLAT_RE='BUG:|Oops|WARNING:|KASAN|UBSAN|possible circular locking|lockdep|INFO: task .* blocked|refcount_t|unreferenced object|general protection fault|Call Trace:'
# Lines matching SPLAT_RE that are not splats (boot banners of debug kernels).
SPLAT_OK_RE='KernelAddressSanitizer initialized|kmemleak: Kernel memory leak detector initialized|RCU lockdep checking is enabled'

log() { echo "$prog: $*" >&2; }
die() { echo "$prog: error: $*" >&2; exit 125; }

usage() {
	sed -n '4,26s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit "${1:-125}"
}

# ---------------------------------------------------------------- arguments
kernel=6.12
timeout=600
ko=
logdir=$repo/tests/vm/logs
interactive=0
no_quic=0
extra_env=()
root=/
while (($#)); do
	case $1 in
	-k | -t | -m | -l | -e | -r)
		(($# >= 2)) || { log "option $1 needs an argument"; usage; }
		case $1 in
		-k) kernel=$2 ;;
		-t) timeout=$2 ;;
		-m) ko=$2 ;;
		-l) logdir=$2 ;;
		-r) root=$2; no_quic=1 ;;
		-e)
			[[ $2 == [A-Za-z_]*=* ]] || { log "-e wants NAME=VALUE, got '$2'"; usage; }
			extra_env+=("$2")
			;;
		esac
		shift 2
		;;
	-i) interactive=1; shift ;;
	--no-quic) no_quic=1; shift ;;
	-h | --help) usage 0 ;;
	--) shift; break ;;
	-*) log "unknown option '$1'"; usage ;;
	*) break ;;
	esac
done
cmd=("$@")
[[ $timeout =~ ^[1-9][0-9]*$ ]] || { log "-t wants a positive number of seconds, got '$timeout'"; usage; }
if ((interactive)); then
	((${#cmd[@]} == 0)) || { log "-i takes no command"; usage; }
else
	((${#cmd[@]})) || { log "no command given"; usage; }
fi
[[ -z $ko || $no_quic -eq 0 ]] || { log "-m excludes --no-quic and -r"; usage; }
if [[ $root != / ]]; then
	[[ -x $root/bin/bash && -d $root/tmp ]] || { log "-r $root: not a root file system (no bin/bash, tmp)"; usage; }
	root=$(realpath "$root")
fi
[[ $(id -u) -eq 0 ]] || die "must run as root (virtiofsd exports / as root)"

# ---------------------------------------------------------------- host tools
apt_updated=0
apt_install() {
	log "installing $*"
	if ! apt-get install -y -q --no-install-recommends "$@" >&2; then
		((apt_updated)) || { apt-get update -q >&2 || die "apt-get update failed"; apt_updated=1; }
		apt-get install -y -q --no-install-recommends "$@" >&2 || die "apt-get install $* failed"
	fi
}

find_virtiofsd() {
	local p
	for p in /usr/libexec/virtiofsd /usr/lib/qemu/virtiofsd; do
		[[ -x $p ]] && { echo "$p"; return 0; }
	done
	return 1
}

ensure_host_tools() {
	local need=()
	command -v qemu-system-x86_64 >/dev/null 2>&1 || need+=(qemu-system-x86)
	find_virtiofsd >/dev/null || need+=(qemu-system-common)
	# The initramfs holds nothing but busybox: it must be the static one.
	[[ $(dpkg-query -W -f='${db:Status-Status}' busybox-static 2>/dev/null || true) == installed ]] ||
		need+=(busybox-static)
	command -v cpio >/dev/null 2>&1 || need+=(cpio)
	command -v modprobe >/dev/null 2>&1 || need+=(kmod)
	command -v setsid >/dev/null 2>&1 || need+=(util-linux)
	command -v gzip >/dev/null 2>&1 || need+=(gzip)
	[[ -x /sbin/ip ]] || need+=(iproute2) # the guest brings lo up with it
	((${#need[@]} == 0)) || apt_install "${need[@]}"
	command -v qemu-system-x86_64 >/dev/null 2>&1 || die "qemu-system-x86_64 missing after installing qemu-system-x86"
	virtiofsd=$(find_virtiofsd) || {
		# Later Debian releases ship it in its own package.
		apt_install virtiofsd
		virtiofsd=$(find_virtiofsd) || die "no virtiofsd in /usr/libexec or /usr/lib/qemu"
	}
	[[ -x /bin/busybox ]] || die "/bin/busybox missing after installing busybox-static"
}

# ---------------------------------------------------------------- kernel
resolve_kernel() {
	local out
	case $kernel in
	6.1 | 6.12)
		if out=$("$here/kernels.sh" "$kernel"); then
			rel=$(tail -n 1 <<<"$out")
		else
			rel=$("$here/kernels.sh" --print "$kernel") ||
				die "no $kernel kernel: tests/vm/kernels.sh $kernel failed and none is cached"
			log "warning: tests/vm/kernels.sh $kernel failed; using cached $rel"
		fi
		;;
	*)
		rel=$kernel
		# A tree already in the cache (possibly a home-built one) is used as is.
		[[ -f $QUIC_CACHE/kernels/$rel/.stamp ]] ||
			"$here/kernels.sh" "$rel" >/dev/null || die "tests/vm/kernels.sh $rel failed"
		;;
	esac
	[[ -n $rel ]] || die "could not determine the kernel release for -k $kernel"
	# the guest bind-mounts paths under it: no symbolic links (a home-built
	# kernel's tree is one, see debug-kernel.sh)
	kdir=$(realpath "$QUIC_CACHE/kernels/$rel")
	vmlinuz=$kdir/boot/vmlinuz-$rel
	[[ -f $vmlinuz ]] || die "$vmlinuz missing (remove $kdir and rerun tests/vm/kernels.sh)"
	[[ -d $kdir/lib/modules/$rel ]] || die "$kdir/lib/modules/$rel missing"
}

# ---------------------------------------------------------------- initramfs
# /init of the initramfs (busybox sh): load the virtiofs modules, mount the
# host's / and switch_root into it, running the per-run guest script named by
# quicvm.script= on the kernel command line.
initramfs_init() {
	cat <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
fail() {
	echo "quic-vm initramfs: error: $*" >/dev/console
	echo o >/proc/sysrq-trigger
	sleep 30
	exit 1
}
mount -t proc proc /proc || fail "mount /proc"
mount -t sysfs sysfs /sys || fail "mount /sys"
mount -t devtmpfs devtmpfs /dev || fail "mount /dev"
while read -r m; do
	[ -n "$m" ] || continue
	insmod "/modules/$m" || fail "insmod $m failed"
done </modules/order
script= moddir=
for w in $(cat /proc/cmdline); do
	case $w in
	quicvm.script=*) script=${w#quicvm.script=} ;;
	quicvm.moddir=*) moddir=${w#quicvm.moddir=} ;;
	esac
done
[ -n "$script" ] || fail "no quicvm.script= on the kernel command line"
mount -t virtiofs hostroot /newroot || fail "cannot mount virtiofs tag hostroot"
[ -f "/newroot$script" ] || fail "$script not found in the virtiofs root"
# The guest's mounts are made here: busybox execs are much cheaper than the
# host's dynamically linked tools over virtiofs. /tmp stays the host's.
mount --move /dev /newroot/dev || fail "mount --move /dev"
mount --move /sys /newroot/sys || fail "mount --move /sys"
mount --move /proc /newroot/proc || fail "mount --move /proc"
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /newroot/dev/pts || fail "mount devpts"
mount -t tmpfs -o mode=1777 tmpfs /newroot/dev/shm || fail "mount /dev/shm"
# what udev would provide: bash process substitution needs /dev/fd
ln -sf /proc/self/fd /newroot/dev/fd
ln -sf /proc/self/fd/0 /newroot/dev/stdin
ln -sf /proc/self/fd/1 /newroot/dev/stdout
ln -sf /proc/self/fd/2 /newroot/dev/stderr
# /run is host state: the guest gets its own (ip netns keeps its mounts there).
mount -t tmpfs -o mode=755 tmpfs /newroot/run || fail "mount /run"
mkdir -p /newroot/run/lock /newroot/run/netns
mount -t debugfs debugfs /newroot/sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /newroot/sys/kernel/tracing 2>/dev/null
mount -t cgroup2 cgroup2 /newroot/sys/fs/cgroup 2>/dev/null
# The cached module tree becomes the guest's /lib/modules/RELEASE, so modprobe
# and the kernel's own module requests (crypto-gcm(aes), rtnl-link-veth) work.
if [ -n "$moddir" ]; then
	rel=$(uname -r)
	mount -t tmpfs -o mode=755 tmpfs /newroot/lib/modules &&
		mkdir "/newroot/lib/modules/$rel" &&
		mount --bind "/newroot$moddir" "/newroot/lib/modules/$rel" ||
		echo "quic-vm initramfs: warning: cannot mount $moddir on /lib/modules/$rel" >/dev/console
fi
hostname quic-vm
exec switch_root /newroot /bin/bash "$script"
fail "switch_root failed"
EOF
}

build_initramfs() {
	local m line p deps mods=() key stage
	initrd=$QUIC_CACHE/initramfs-$rel.cpio.gz
	for m in "${INITRAMFS_MODULES[@]}"; do
		deps=$(modprobe -d "$kdir" -S "$rel" --show-depends "$m" 2>&1) ||
			die "$m: not in the modules of $rel, but needed to mount virtiofs: $deps"
		while read -r line; do
			case $line in
			insmod\ *)
				p=${line#insmod }
				p=${p%% *}
				[[ " ${mods[*]} " == *" $p "* ]] || mods+=("$p")
				;;
			esac
		done <<<"$deps"
	done
	key=$({
		initramfs_init
		printf '%s\n' "${mods[@]##*/}"
		sha256sum </bin/busybox
	} | sha256sum | cut -d' ' -f1)
	if [[ -f $initrd && -f $initrd.key && $(<"$initrd.key") == "$key" ]]; then
		return 0
	fi
	log "building $initrd (modules: ${mods[*]##*/})"
	stage=$(mktemp -d "${TMPDIR:-/tmp}/quic-vm-initramfs.XXXXXX")
	mkdir -p "$stage"/{bin,dev,proc,sys,newroot,modules}
	cp /bin/busybox "$stage/bin/busybox"
	ln -s busybox "$stage/bin/sh"
	initramfs_init >"$stage/init"
	chmod 755 "$stage/init"
	: >"$stage/modules/order"
	for p in "${mods[@]}"; do
		cp "$p" "$stage/modules/"
		echo "${p##*/}" >>"$stage/modules/order"
	done
	mknod "$stage/dev/console" c 5 1
	mknod "$stage/dev/null" c 1 3
	mkdir -p "$QUIC_CACHE"
	if ! (cd "$stage" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --quiet -R 0:0 | gzip -1) >"$stage.cpio.gz"; then
		rm -rf "$stage" "$stage.cpio.gz"
		die "creating the initramfs with cpio failed"
	fi
	rm -rf "$stage"
	mv "$stage.cpio.gz" "$initrd"
	echo "$key" >"$initrd.key"
}

# ---------------------------------------------------------------- guest script
q() { printf '%q' "$1"; }
qa() { local a; for a in "$@"; do printf ' %q' "$a"; done; }

write_guest_script() {
	{
		echo '#!/bin/bash'
		echo '# Generated by tests/vm/run.sh; runs as PID 1 in the guest.'
		echo "R=$(q "${rundir#"${root%/}"}")"
		echo "REL=$(q "$rel")"
		echo "KDIR=$(q "$guest_kdir")"
		echo "KO=$(q "$ko")"
		echo "KONAME=$(q "$koname")"
		echo "INTERACTIVE=$interactive"
		echo "CWD=$(q "$guest_cwd")"
		echo "MODS=($(qa "${GUEST_MODULES[@]}"))"
		echo "CMD=($(qa "${cmd[@]}"))"
		echo "CMD_ENV=($(qa "${extra_env[@]}"))"
		echo "TERM_=$(q "${TERM:-dumb}")"
		cat <<'EOF'
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
note() { echo "$*" >>"$R/setup.log"; }
# Guest uptime at the setup stages, for tuning the boot.
stage() { local up; read -r up _ </proc/uptime; echo "$up $*" >>"$R/stages"; }
stage init

finish() {
	local rc=$1
	dmesg >"$R/dmesg.txt" 2>&1
	if [[ -w /sys/kernel/debug/kmemleak ]]; then
		# kmemleak reports objects once they are 5 s old.
		sleep 5
		stage "kmemleak scan"
		echo scan >/sys/kernel/debug/kmemleak
		stage "kmemleak scanned"
		{ echo '=== /sys/kernel/debug/kmemleak'; cat /sys/kernel/debug/kmemleak; } >>"$R/dmesg.txt"
	fi
	echo "$rc" >"$R/rc.tmp" && mv "$R/rc.tmp" "$R/rc"
	sync
	# Start the sleep before the power-off takes the root file system away.
	sleep 60 &
	echo o >/proc/sysrq-trigger
	wait
	exit "$rc"
}
fatal() { note "error: $*"; finish 125; }

[[ -r /proc/uptime && -d /sys/kernel && -c /dev/null && -d /dev/pts ]] ||
	fatal "the initramfs did not mount /proc, /sys, /dev, /dev/pts"
modprobe=(modprobe)
if [[ ! -f /lib/modules/$REL/modules.dep ]]; then
	note "warning: /lib/modules/$REL is not the cached tree; the kernel cannot autoload modules"
	modprobe=(modprobe -d "$KDIR" -S "$REL")
fi
stage mounted
/sbin/ip link set lo up || fatal "/sbin/ip link set lo up failed"

stage "lo up"
# One modprobe for all (each exec costs ~0.1 s under TCG); then sort out
# which are built in, loaded or unavailable.
out=$("${modprobe[@]}" -a "${MODS[@]}" 2>&1) || true
declare -A inbuilt=()
if [[ -f $KDIR/lib/modules/$REL/modules.builtin ]]; then
	while read -r p; do
		p=${p##*/}
		p=${p%.ko}
		inbuilt[${p//-/_}]=1
	done <"$KDIR/lib/modules/$REL/modules.builtin"
fi
loaded=() builtin=() missing=()
for m in "${MODS[@]}"; do
	if [[ -n ${inbuilt[$m]:-} ]]; then
		builtin+=("$m")
	elif [[ -d /sys/module/$m ]]; then
		loaded+=("$m")
	else
		missing+=("$m")
	fi
done
((${#missing[@]} == 0)) || note "modprobe said: ${out//$'\n'/ | }"
note "modules loaded: ${loaded[*]:-none}; built in: ${builtin[*]:-none}; unavailable: ${missing[*]:-none}"

stage "modules loaded"
if [[ -n $KO ]]; then
	out=$(insmod "$KO" 2>&1) || fatal "insmod $KO failed: $out"
	note "inserted $KO"
fi

stage "module inserted"
cd "$CWD" || fatal "cannot cd to $CWD"
stage "command started"
cat /proc/uptime >"$R/started.tmp" && mv "$R/started.tmp" "$R/started"
if ((INTERACTIVE)); then
	sed 's/^/quic-vm: /' "$R/setup.log" >/dev/ttyS0
	setsid -c -w env TERM="$TERM_" QUIC_KO="$KO" "${CMD_ENV[@]}" /bin/bash -i </dev/ttyS0 >/dev/ttyS0 2>&1
	rc=$?
else
	env -i PATH="$PATH" HOME=/root TERM="$TERM_" QUIC_KO="$KO" "${CMD_ENV[@]}" "${CMD[@]}" </dev/null >>"$R/output" 2>&1
	rc=$?
fi
stage "command ended"
cd /

# Whatever the command left running goes now, so the module can unload.
left=()
for d in /proc/[0-9]*; do
	[[ ${d#/proc/} != "$$" ]] || continue
	c=
	read -r -d '' c <"$d/cmdline" 2>/dev/null
	[[ -z $c ]] || left+=("${d#/proc/}:${c##*/}")
done
if ((${#left[@]})); then
	note "killing processes left behind: ${left[*]}"
	kill -TERM -1 2>/dev/null && sleep 0.5
	kill -KILL -1 2>/dev/null
fi
if [[ -n $KO ]]; then
	ok=0
	for _ in 1 2 3 4 5 6; do
		if out=$(rmmod "$KONAME" 2>&1); then ok=1; break; fi
		# Sockets may still be going away (RCU, timers): retry only "in use".
		[[ $out == *"in use"* ]] || break
		sleep 0.5
	done
	((ok)) || { note "quic.ko unload failed: rmmod $KONAME: $out"; : >"$R/unload-failed"; }
fi
stage "module removed"
finish "$rc"
EOF
	} >"$rundir/guest.sh"
}

# ---------------------------------------------------------------- run
rundir=
vfs_pid=
qemu_pid=
tail_pid=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	local p
	for p in "$tail_pid" "$qemu_pid" "$vfs_pid"; do
		if [[ -n $p ]]; then kill "$p" 2>/dev/null || true; fi
	done
	for p in "$tail_pid" "$qemu_pid" "$vfs_pid"; do
		if [[ -n $p ]]; then wait "$p" 2>/dev/null || true; fi
	done
	[[ -z $rundir ]] || rm -rf "$rundir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { date +%s.%N; }
# Print the guest's setup notes not printed yet.
setup_lines=0
show_setup_log() {
	local n
	n=$(wc -l <"$rundir/setup.log")
	((n > setup_lines)) || return 0
	tail -n "+$((setup_lines + 1))" "$rundir/setup.log" | head -n "$((n - setup_lines))" |
		sed "s/^/$prog: guest: /" >&2
	setup_lines=$n
}
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

ensure_host_tools
resolve_kernel
if ((no_quic)); then
	ko=
	koname=
else
	[[ -n $ko ]] || ko=$repo/build/$rel/quic.ko
	[[ -f $ko ]] || die "module $ko not found (build quic.ko for $rel first, pass -m PATH, or use --no-quic)"
	ko=$(realpath "$ko")
	koname=$(modinfo -F name "$ko" 2>/dev/null || true)
	[[ -n $koname ]] || { koname=${ko##*/}; koname=${koname%.ko}; koname=${koname//-/_}; }
fi
build_initramfs

mkdir -p "$logdir" || die "cannot create log directory $logdir"
logdir=$(realpath "$logdir")
console_log=$logdir/$rel-console.log
dmesg_log=$logdir/$rel-dmesg.txt
rm -f "$dmesg_log"
if [[ $root == / ]]; then
	rundir=$(mktemp -d "${TMPDIR:-/tmp}/quic-vm.XXXXXX")
	guest_kdir=$kdir guest_cwd=$PWD
	moddir_arg="quicvm.moddir=$kdir/lib/modules/$rel"
else
	# the guest sees ROOT only: its own /lib/modules/$rel
	rundir=$(mktemp -d "$root/tmp/quic-vm.XXXXXX")
	guest_kdir=/ guest_cwd=/ moddir_arg=
fi
chmod 755 "$rundir"
: >"$rundir/output"
: >"$rundir/setup.log"
write_guest_script

sock=$rundir/vfs.sock
append="console=ttyS0 quiet loglevel=3 panic=-1 quicvm.script=${rundir#"${root%/}"}/guest.sh $moddir_arg ${QUIC_VM_APPEND:-}"
# shellcheck disable=SC2054 # the commas belong to QEMU's option syntax
qemu=(qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 2G -nographic -no-reboot -net none
	-object memory-backend-memfd,id=mem,size=2G,share=on -numa node,memdev=mem
	-chardev "socket,id=c0,path=$sock" -device vhost-user-fs-pci,chardev=c0,tag=hostroot
	-kernel "$vmlinuz" -initrd "$initrd" -append "$append")

# start_virtiofsd: share $root with the guest (virtiofsd serves one
# connection: a second boot needs a new one)
start_virtiofsd() {
	rm -f "$sock"
	"$virtiofsd" --socket-path="$sock" -o "source=$root" -o "cache=${QUIC_VM_VIRTIOFS_CACHE:-always}" -o sandbox=chroot \
		</dev/null >"$rundir/virtiofsd.log" 2>&1 &
	vfs_pid=$!
	for _ in $(seq 100); do
		[[ -S $sock ]] && break
		kill -0 "$vfs_pid" 2>/dev/null || break
		sleep 0.05
	done
	if [[ ! -S $sock ]]; then
		cat "$rundir/virtiofsd.log" >&2
		die "virtiofsd ($virtiofsd) did not create its socket $sock"
	fi
}

# boot_once: boot the guest and wait for it; sets qrc, timed_out, boot_s
boot_once() {
	t0=$(now)
	timed_out=0
	if ((interactive)); then
		log "booting $rel; interactive shell on the serial console (Ctrl-a x kills QEMU)"
		"${qemu[@]}" && qrc=0 || qrc=$?
	else
		"${qemu[@]}" -serial "file:$console_log" -monitor none </dev/null >"$rundir/qemu.log" 2>&1 &
		qemu_pid=$!
		deadline=$(($(date +%s) + timeout))
		boot_s=
		done_at=
		while kill -0 "$qemu_pid" 2>/dev/null; do
			if [[ -z $boot_s && -e $rundir/started ]]; then
				boot_s=$(elapsed "$t0")
				show_setup_log
				log "$rel booted; command started after ${boot_s} s (guest uptime $(cut -d' ' -f1 "$rundir/started") s)"
				tail -n +1 -s 0.2 -F --pid="$qemu_pid" "$rundir/output" 2>/dev/null &
				tail_pid=$!
			fi
			if (($(date +%s) >= deadline)); then
				timed_out=1
				kill "$qemu_pid" 2>/dev/null || true
				break
			fi
			# The guest reported its exit code and powered off: QEMU has
			# a while to exit, then it goes (its exit is not the test).
			if [[ -z $done_at && -e $rundir/rc ]]; then
				done_at=$(date +%s)
			elif [[ -n $done_at ]] && (($(date +%s) >= done_at + 30)); then
				log "warning: QEMU still running 30 s after the guest powered off; killed it"
				kill "$qemu_pid" 2>/dev/null || true
				break
			fi
			sleep 0.1
		done
		wait "$qemu_pid" && qrc=0 || qrc=$?
		qemu_pid=
		if [[ -n $tail_pid ]]; then
			wait "$tail_pid" || true
			tail_pid=
		elif [[ -s $rundir/output ]]; then
			cat "$rundir/output"
		fi
	fi
}

# A TCG guest kernel now and then dies early in its boot, before any of
# our code runs (seen: an int3 Oops in the idle loop of 7.x kernels,
# where another vCPU ran code that the kernel's text patching had just
# rewritten): with no stage of the guest script reached, boot again,
# twice at most.  Anything after the script's first stage counts.
for attempt in 1 2 3; do
	start_virtiofsd
	boot_once
	((!interactive && !timed_out)) || break
	[[ ! -f $rundir/rc && ! -f $rundir/stages ]] || break
	grep -q -E -- "$SPLAT_RE|Kernel panic" "$console_log" || break
	((attempt < 3)) || break
	log "warning: the $rel kernel crashed while booting, before the guest script ran; booting again (console:)"
	grep -E -- "$SPLAT_RE|Kernel panic" "$console_log" | head -n 5 >&2
	cp "$console_log" "$logdir/$rel-console-boot$attempt.log"
	wait "$vfs_pid" 2>/dev/null || true
	vfs_pid=
	: >"$rundir/output"
	: >"$rundir/setup.log"
done
total_s=$(elapsed "$t0")

if ((timed_out)); then
	log "error: timeout: $rel run exceeded ${timeout} s; killed QEMU. Console log tail ($console_log):"
	tail -n 40 "$console_log" >&2 || true
	if [[ -f $rundir/stages ]]; then
		cp "$rundir/stages" "$logdir/$rel-stages.txt"
		log "the guest's stages (guest uptime, s):"
		sed 's/^/  /' "$rundir/stages" >&2
	fi
	exit 124
fi

[[ ! -f $rundir/stages ]] || cp "$rundir/stages" "$logdir/$rel-stages.txt"
[[ -f $rundir/dmesg.txt ]] && cp "$rundir/dmesg.txt" "$dmesg_log"
((interactive)) || show_setup_log

if [[ ! -f $rundir/rc ]]; then
	log "error: the $rel guest stopped without reporting an exit code (QEMU exit status $qrc)"
	[[ ! -s $rundir/qemu.log ]] || { log "QEMU said:"; cat "$rundir/qemu.log" >&2; }
	if ((!interactive)); then
		if grep -q -E -- "$SPLAT_RE|Kernel panic" "$console_log"; then
			log "kernel errors on the console:"
			grep -E -- "$SPLAT_RE|Kernel panic" "$console_log" | head -n 20 >&2
		fi
		log "console log tail ($console_log):"
		tail -n 40 "$console_log" >&2 || true
	fi
	exit 125
fi
rc=$(<"$rundir/rc")
[[ $rc =~ ^[0-9]+$ ]] || die "bad exit code '$rc' from the guest"

status=$rc
if [[ -f $rundir/unload-failed ]]; then
	log "error: quic.ko unload failed ($koname)"
	((status)) || status=1
fi
splats=$(grep -E -- "$SPLAT_RE" "$rundir/dmesg.txt" | grep -v -E -- "$SPLAT_OK_RE" |
	{ if [[ -n ${QUIC_VM_SPLAT_IGNORE:-} ]]; then grep -v -E -- "$QUIC_VM_SPLAT_IGNORE"; else cat; fi; } || true)
if [[ -n $splats ]]; then
	log "error: kernel splat in the $rel guest's dmesg (full log: $dmesg_log):"
	printf '%s\n' "$splats" | head -n 60 >&2
	((status)) || status=1
fi
log "$rel: command exit status $rc; VM run took ${total_s} s (boot to command ${boot_s:-?} s); exit $status"
exit "$status"
