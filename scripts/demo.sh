#!/usr/bin/env bash
# The demo: ipmikit-bmc serving a real Linux guest in QEMU, end to end, driven from outside the
# way an operator does it — `ipmitool -I lanplus -C 17` reads the guest's SEL and FRU, shows its
# serial console over SOL and types a command into it, and switches its power off and on (the
# guest boots again). Then the library alone: a KCS driver reaching a BMC through every ipmikit
# layer in one process (kcs-loopback).
#
# The guest is the test suite's (scripts/build-guest.sh: Debian's kernel with its IPMI drivers,
# ipmitool and busybox; fetched with apt-get download into build/linux-guest once, then reused).
# Everything listens on 127.0.0.1 or in a temporary directory; every wait is bounded; QEMU and
# ipmikit-bmc are stopped by their PIDs at the end (or on Ctrl-C).
# Installs what it needs from Debian's packages when it is missing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root=$(repo_root)
cd "$root"

ensure_packages g++ cmake ninja-build pkgconf libssl-dev nlohmann-json3-dev python3 ipmitool \
  qemu-system-x86 busybox-static cpio kmod xz-utils

stage "building ipmikit-bmc and the examples (Release)"
cmake --preset demo >/dev/null
cmake --build --preset demo

stage "the Linux guest (Debian's kernel package, fetched once)"
scripts/build-guest.sh build/linux-guest

port=9699
password=demo-pass-1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ipmikit-demo.XXXXXX")
bmc_pid=
qemu_pid=
stop() {  # SIGTERM, SIGKILL after 5 s
  kill -TERM "$1" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
cleanup() {
  [ -n "$qemu_pid" ] && stop "$qemu_pid"
  [ -n "$bmc_pid" ] && stop "$bmc_pid"
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
t0=$(date +%s%N)
elapsed() { echo "$(( ($(date +%s%N) - t0) / 1000000 )) ms"; }
die() { echo "demo failed: $*" >&2; [ -f "$tmp/bmc.log" ] && tail -n 20 "$tmp/bmc.log" >&2; exit 1; }
# wait_for WHAT PATTERN FILE N SECONDS: until FILE has N lines matching PATTERN.
wait_for() {
  local end=$(( $(date +%s) + $5 )) c
  while c=$(grep -c -E "$2" "$3" 2>/dev/null || true); [ "${c:-0}" -lt "$4" ]; do
    [ "$(date +%s)" -ge "$end" ] && die "no $1 after $5 s"
    sleep 0.1
  done
}
ipmi() { timeout 20 ipmitool -I lanplus -C 17 -H 127.0.0.1 -p "$port" -U admin@guest -P "$password" "$@"; }
show() { echo; echo "\$ ipmitool -I lanplus -C 17 -H 127.0.0.1 -p $port -U admin@guest -P … $*"; ipmi "$@"; }

stage "ipmikit-bmc: one VM with its BMC, its LAN port, its serial console and QMP"
cat >"$tmp/bmc.conf" <<EOF
[bmc]
lan = 127.0.0.1:$port          # ipmitool -I lanplus; user "admin@guest" picks VM "guest"
[vm guest]
listen = unix:$tmp/vm.sock     # QEMU's ipmi-bmc-extern connects here (in-band IPMI)
serial = unix:$tmp/serial.sock # QEMU's serial console: Serial over LAN
qmp = unix:$tmp/qmp.sock       # QEMU's QMP: power on, off, cycle, and the true power state
fru_product_name = ipmikit-demo-guest
user2 = admin administrator
user2_password = $password
EOF
sed 's/^/    /' "$tmp/bmc.conf"
build/demo/apps/ipmikit-bmc --config "$tmp/bmc.conf" </dev/null >"$tmp/bmc.log" 2>&1 &
bmc_pid=$!
wait_for "ipmikit-bmc" 'event=ready' "$tmp/bmc.log" 1 10

stage "QEMU: the guest, with -no-shutdown, QMP, ipmi-bmc-extern + KCS, and its console on a socket"
guest=build/linux-guest
kernel=$guest/vmlinux
[ -s "$kernel" ] || kernel=$guest/vmlinuz
# The guest's /init (scripts/guest-init.sh) checks its BMC in-band (ipmitool mc info, the
# inventory) and leaves a shell on the console; its "IPMIKIT-GUEST:" lines also go to ttyS1.
qemu-system-x86_64 -machine pc -accel tcg -m 256 -nodefaults -no-user-config -display none -monitor none \
  -no-shutdown -qmp "unix:$tmp/qmp.sock,server=on,wait=off" \
  -kernel "$kernel" -initrd "$guest/initramfs.cpio" \
  -append "console=ttyS0 quiet panic=0 guest_console_shell=1 guest_watchdog=0 guest_inventory=1 guest_fru_product=ipmikit-demo-guest guest_say_tty=ttyS1" \
  -chardev "socket,id=ipmi0,path=$tmp/vm.sock,reconnect=1" -device ipmi-bmc-extern,id=bmc0,chardev=ipmi0 \
  -device isa-ipmi-kcs,bmc=bmc0 \
  -chardev "socket,id=ser0,path=$tmp/serial.sock,server=on,wait=off" -serial chardev:ser0 \
  -serial "file:$tmp/markers.log" </dev/null >"$tmp/qemu.log" 2>&1 &
qemu_pid=$!
wait_for "boot" 'IPMIKIT-GUEST: boot ' "$tmp/markers.log" 1 60
echo "booted in $(elapsed)"
wait_for "the guest's in-band checks" 'IPMIKIT-GUEST: inventory done' "$tmp/markers.log" 1 60
echo "the guest ran $(grep -c 'IPMIKIT-GUEST: inv .* ok' "$tmp/markers.log") ipmitool commands in-band over KCS, all ok ($(elapsed))"
wait_for "the guest's shell" 'IPMIKIT-GUEST: console shell' "$tmp/markers.log" 1 30

stage "out of band: ipmitool -I lanplus reads the SEL, the FRU and the power state"
show sel list || true  # an empty SEL says so and exits non-zero in some ipmitool versions
show fru print 0
show chassis power status

stage "Serial over LAN: ipmitool sol activate, a command typed into the guest's console, ~."
# shellcheck disable=SC2016  # for the guest's shell
/usr/bin/python3 tests/interop/sol_console.py --raw --log "$tmp/sol.log" --timeout 20 --total 60 \
  expect 'SOL Session operational' send '' expect 'guest# ' \
  send 'uname -sr; ipmitool mc info | head -n 3' expect 'Device Revision' expect 'guest# ' \
  escape expect-exit 0 \
  -- ipmitool -I lanplus -C 17 -H 127.0.0.1 -p "$port" -U admin@guest -P "$password" sol activate >/dev/null ||
  { cat "$tmp/sol.log"; die "sol activate"; }
echo "what the operator saw (the last lines; the first are the console's history):"
# (Busybox's line editor asks the terminal for the cursor position, ESC [6n: not shown here.)
tr -d '\r' <"$tmp/sol.log" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' | tail -n 12 | sed 's/^/    | /'

stage "power: off (QEMU stays, the guest is off), on (the guest boots again)"
show chassis power off
sleep 1
show chassis power status
kill -0 "$qemu_pid" || die "QEMU exited on power off"
show chassis power on
wait_for "the second boot" 'IPMIKIT-GUEST: boot ' "$tmp/markers.log" 2 60
echo
echo "the guest booted again ($(elapsed)): $(grep -a 'IPMIKIT-GUEST: boot ' "$tmp/markers.log" | tail -n 1 | tr -d '\r')"
show chassis power status

stage "what ipmikit-bmc logged (without the per-byte lines)"
grep -E 'event=(serial_connected|qmp_connected|sol_activated|sol_deactivated|power|power_state) ' "$tmp/bmc.log" | sed 's/^/    /'

stop "$qemu_pid"; qemu_pid=
stop "$bmc_pid"; bmc_pid=
echo
echo "ipmikit-bmc served the guest end to end in $(elapsed) (after the build and the guest)."

stage "the library alone — kcs-loopback: kcs::host ⇄ kcs::device ⇄ emulator session ⇄ wire ⇄ BMC session, in memory"
build/demo/examples/kcs-loopback | tail -n 15
