#!/usr/bin/env bash
# tests/interop/guest_console_test.sh — the Linux guest's console shell (scripts/guest-init.sh
# with guest_console_shell=1 guest_watchdog=0), driven through tests/interop/sol_console.py with
# QEMU's serial port on the driver's pty (-serial stdio). The groundwork of the SOL end-to-end
# test, which will put the same console behind ipmikit-bmc and `ipmitool sol activate`.
#
#   guest_console_test.sh PATH/TO/ipmikit-bmc [GUEST_DIR]
#
# ipmikit-bmc (--config, one VM on a UNIX socket) is the guest's BMC, as in linux_guest_test.sh.
# Checks, every wait bounded: the guest's /init does its work (mc info, chassis status), skips
# the watchdog, says "console shell on ttyS0" and shows the prompt "guest# "; a command typed
# runs (echo $((6*7)) → 42; ipmitool mc info in the guest → "Device Available : yes"); ^C ends a
# running command and the prompt returns (ttyS0 is the shell's controlling terminal); `exit`
# ends the shell and /init starts a new one.
# GUEST_DIR as in linux_guest_test.sh (default $IPMIKIT_GUEST_DIR, else build/linux-guest).
# Exit 0 passed, 1 failed, 2 usage, 77 skipped (no QEMU or guest; a failure instead when
# IPMIKIT_INTEROP_REQUIRED=1). IPMIKIT_INTEROP_KEEP=1 keeps the temporary directory.
set -uo pipefail

bmc=${1:-}
if [ -z "$bmc" ] || [ $# -gt 2 ]; then echo "usage: $0 PATH/TO/ipmikit-bmc [GUEST_DIR]" >&2; exit 2; fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src_root=$(cd "$here/../.." && pwd)
guest_dir=${2:-${IPMIKIT_GUEST_DIR:-$src_root/build/linux-guest}}
python=/usr/bin/python3
skip() {
  if [ "${IPMIKIT_INTEROP_REQUIRED:-0}" = 1 ]; then echo "FAIL: $1 (IPMIKIT_INTEROP_REQUIRED=1)" >&2; exit 1; fi
  echo "SKIP: $1"; exit 77
}
[ -x "$bmc" ] || { echo "FAIL: no executable ipmikit-bmc at $bmc"; exit 1; }
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not in PATH"
[ -x "$python" ] || skip "no $python"
"$src_root/scripts/build-guest.sh" "$guest_dir" </dev/null || skip "scripts/build-guest.sh $guest_dir failed"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ipmikit-guest-console.XXXXXX")
bmc_pid=
failed=0
# shellcheck disable=SC2317  # runs from the EXIT trap
cleanup() {
  if [ -n "$bmc_pid" ]; then
    kill -TERM "$bmc_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$bmc_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$bmc_pid" 2>/dev/null && kill -KILL "$bmc_pid" 2>/dev/null
    wait "$bmc_pid" 2>/dev/null
  fi
  if [ "$failed" = 0 ] && [ "${IPMIKIT_INTEROP_KEEP:-0}" = 0 ]; then rm -rf "$tmp"; else echo "kept $tmp"; fi
}
trap cleanup EXIT
trap 'failed=1; exit 1' INT TERM

cat >"$tmp/bmc.conf" <<EOF
# guest_console_test.sh: one VM, the guest, on a UNIX socket
[vm guest]
listen = unix:$tmp/vm.sock
EOF
"$bmc" --config "$tmp/bmc.conf" </dev/null >"$tmp/bmc.log" 2>&1 &
bmc_pid=$!
for _ in $(seq 100); do grep -q 'event=ready' "$tmp/bmc.log" && break; sleep 0.1; done
grep -q 'event=ready' "$tmp/bmc.log" || { failed=1; echo "not ok - ipmikit-bmc ready"; cat "$tmp/bmc.log"; exit 1; }

kernel=$guest_dir/vmlinux
[ -s "$kernel" ] || kernel=$guest_dir/vmlinuz
# --raw: QEMU's stdio serial keeps the terminal's signal keys, so in a cooked pty ^C would stop
# QEMU instead of reaching the guest. The guest's tty echoes what is typed: each expect below
# looks for something the typed line does not contain. Lines end in \r\r\n here (the guest's
# \r\n, and QEMU's stdio adds a \r); a pattern ends a line with \r*\n, never $ (which also
# matches at the end of what has arrived so far).
# shellcheck disable=SC2016  # $((6*7)) is for the guest's shell
if "$python" "$here/sol_console.py" --raw --log "$tmp/console.raw" --timeout 30 --total 150 \
  expect:90 'IPMIKIT-GUEST: mc-info ok' \
  expect 'IPMIKIT-GUEST: watchdog skipped' \
  expect 'IPMIKIT-GUEST: console shell on ttyS0' \
  expect 'guest# ' \
  send 'echo $((6*7))' expect '^42\r*\n' expect 'guest# ' \
  send 'ipmitool mc info | grep Available' expect 'Device Available +: yes' expect 'guest# ' \
  send 'sleep 300' sleep 0.5 sendraw '\x03' expect:10 'guest# ' \
  send 'tty' expect '^/dev/ttyS0\r*\n' expect 'guest# ' \
  send 'exit' expect 'IPMIKIT-GUEST: console shell on ttyS0' expect 'guest# ' \
  send 'echo again $((7*7))' expect '^again 49\r*\n' \
  reject 'IPMIKIT-GUEST: .*(failed|cannot|no /dev)|Kernel panic' \
  -- qemu-system-x86_64 -machine pc -accel tcg -m 256 -nodefaults -no-user-config \
  -display none -monitor none -kernel "$kernel" -initrd "$guest_dir/initramfs.cpio" \
  -append "console=ttyS0 quiet panic=0 guest_console_shell=1 guest_watchdog=0" \
  -chardev "socket,id=ipmi0,path=$tmp/vm.sock,reconnect=1" \
  -device ipmi-bmc-extern,id=bmc0,chardev=ipmi0 -device isa-ipmi-kcs,bmc=bmc0 \
  -serial stdio; then
  echo "PASS"
  exit 0
fi
failed=1
echo "not ok - the guest's console shell"
echo "---- ipmikit-bmc log ----"
tail -n 20 "$tmp/bmc.log"
exit 1
