#!/usr/bin/env bash
# tests/interop/guest_sol_power_test.sh — the project's Linux guest with its serial console and
# its power behind ipmikit-bmc, driven from outside with `ipmitool -I lanplus -C 17`, end to end.
#
# QEMU runs with -no-shutdown and a QMP socket (power that is true), its first serial port on a
# socket chardev that ipmikit-bmc bridges to Serial over LAN (the guest's console: the kernel,
# /init and its markers), its second on a file that /init writes its "IPMIKIT-GUEST:" markers to
# as well (guest_say_tty=ttyS1), for this script to read whether or not SOL is active. The guest's /init
# (scripts/guest-init.sh) runs the in-band inventory (sol info 1, channel getciphers ipmi 1 among
# it), skips its own watchdog and leaves a shell on ttyS0. Checks, each wait bounded:
#   1. boot 1; the in-band inventory passes;
#   2. over LAN: sel list, fru print 0 (the configured product), chassis power status "on";
#   3. sol activate through a pty (tests/interop/sol_console.py): the operational line, the
#      history (the guest's markers), a command typed into SOL runs in the guest and its output
#      comes back; a second concurrent `sol activate` is refused ("already active"); `~.`
#      deactivates and ipmitool exits 0; ipmikit-bmc killed (SIGKILL) and restarted finds the
#      console and QMP again and a new SOL session works;
#   4. power off → status off while QEMU still runs → power off again succeeds → power on →
#      status on → boot 2 → power on again succeeds and boots nothing → power cycle → boot 3 →
#      power reset → boot 4;
#   5. the watchdog, set over LAN to power cycle after 3 s and started, expires: ipmikit-bmc
#      logs it and cycles the power by itself → boot 5;
#   6. boots counted exactly (no boot without a command), ipmikit-bmc exits 0 on SIGTERM.
#
# Usage: guest_sol_power_test.sh PATH/TO/ipmikit-bmc [GUEST_DIR]
#   GUEST_DIR as in linux_guest_test.sh (default $IPMIKIT_GUEST_DIR, else build/linux-guest).
# Environment: IPMIKIT_INTEROP_REQUIRED=1 turns a skip into a failure; IPMIKIT_INTEROP_KEEP=1
#   keeps the temporary directory (always kept on failure); IPMIKIT_SOL_PORT (UDP, 9692).
# Exit: 0 passed, 1 failed, 2 usage, 77 skipped.
set -uo pipefail

bmc=${1:-}
if [ -z "$bmc" ] || [ $# -gt 2 ]; then echo "usage: $0 PATH/TO/ipmikit-bmc [GUEST_DIR]" >&2; exit 2; fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src_root=$(cd "$here/../.." && pwd)
guest_dir=${2:-${IPMIKIT_GUEST_DIR:-$src_root/build/linux-guest}}
python=/usr/bin/python3
port=${IPMIKIT_SOL_PORT:-9692}
password=sol-pass-42
product=ipmikit-sol-guest

say() { printf '%s\n' "$*"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
t_start=$(now_ms)
since() { local ms=$(( $(now_ms) - ${1:-$t_start} )); printf '%d.%03d s' $((ms / 1000)) $((ms % 1000)); }
skip() {
  if [ "${IPMIKIT_INTEROP_REQUIRED:-0}" = 1 ]; then say "FAIL (IPMIKIT_INTEROP_REQUIRED=1, would skip): $*"; exit 1; fi
  say "SKIP $*"; exit 77
}
[ -x "$bmc" ] || { say "FAIL no executable ipmikit-bmc at $bmc"; exit 1; }
for p in qemu-system-x86_64 ipmitool; do command -v "$p" >/dev/null || skip "$p not in PATH"; done
[ -x "$python" ] || skip "no $python"
"$src_root/scripts/build-guest.sh" "$guest_dir" </dev/null || skip "scripts/build-guest.sh $guest_dir failed"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ipmikit-guest-sol.XXXXXX")
markers=$tmp/markers.log
bmc_log=$tmp/bmc.log
bmc_pid=
qemu_pid=
failed=0
stop_rc=0
stop_pid() {  # SIGTERM, SIGKILL after 5 s; the exit status in $stop_rc
  kill -TERM "$1" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$1" 2>/dev/null && { kill -KILL "$1" 2>/dev/null; say "(pid $1 needed SIGKILL)"; }
  stop_rc=0
  wait "$1" 2>/dev/null || stop_rc=$?
}
# shellcheck disable=SC2317  # runs from the EXIT trap
cleanup() {
  [ -n "$qemu_pid" ] && { stop_pid "$qemu_pid"; qemu_pid=; }
  [ -n "$bmc_pid" ] && { stop_pid "$bmc_pid"; bmc_pid=; }
  if [ "$failed" = 0 ] && [ "${IPMIKIT_INTEROP_KEEP:-0}" = 0 ]; then rm -rf "$tmp"; else say "kept $tmp"; fi
}
trap cleanup EXIT
trap 'failed=1; exit 1' INT TERM

fail() {
  failed=1
  say "FAIL $* (after $(since))"
  say "---- guest markers (ttyS1) ----"; tr -d '\r' <"$markers" 2>/dev/null | tail -n 30
  say "---- ipmikit-bmc log ----"; grep -v -E 'event=(rx|tx) ' "$bmc_log" 2>/dev/null | tail -n 40
  say "---- qemu stderr ----"; tail -n 10 "$tmp/qemu.log" 2>/dev/null
  exit 1
}
count() { local c; c=$(grep -c -E "$1" "$2" 2>/dev/null); echo "${c:-0}"; }
wait_for() {  # wait_for WHAT PATTERN FILE N SECONDS
  local deadline=$(( $(now_ms) + $5 * 1000 ))
  while [ "$(count "$2" "$3")" -lt "$4" ]; do
    [ "$(count 'IPMIKIT-GUEST: .*(failed|cannot|no /dev)|Kernel panic' "$markers")" -gt 0 ] &&
      fail "the guest reported a failure while waiting for $1"
    kill -0 "$bmc_pid" 2>/dev/null || fail "ipmikit-bmc exited while waiting for $1"
    [ -n "$qemu_pid" ] && ! kill -0 "$qemu_pid" 2>/dev/null && fail "QEMU exited while waiting for $1"
    [ "$(now_ms)" -ge "$deadline" ] && fail "timed out ($5 s) waiting for $1"
    sleep 0.1
  done
}
lan() { timeout 20 ipmitool -I lanplus -C 17 -H 127.0.0.1 -p "$port" -U admin@guest -P "$password" "$@" 2>&1; }
# expect_lan WHAT PATTERN ARGS...: ipmitool exits 0 and prints PATTERN.
expect_lan() {
  local what=$1 pattern=$2 out rc=0
  shift 2
  out=$(lan "$@") || rc=$?
  [ "$rc" = 0 ] || fail "$what: ipmitool $* exited $rc: $out"
  echo "$out" | grep -q -E "$pattern" || fail "$what: ipmitool $* printed no /$pattern/: $out"
  say "ok   $what ($(since))"
}
power_status() { lan chassis power status | grep -o -E 'is (on|off)' | cut -d' ' -f2; }
wait_power() {  # wait_power on|off SECONDS
  local deadline=$(( $(now_ms) + $2 * 1000 )) s
  while s=$(power_status); [ "$s" != "$1" ]; do
    [ "$(now_ms)" -ge "$deadline" ] && fail "chassis power status says '${s:-nothing}', not '$1', after $2 s"
    sleep 0.2
  done
}
boots() { count 'IPMIKIT-GUEST: boot ' "$markers"; }

# ---- ipmikit-bmc: LAN on loopback, the VM with its serial console and QMP --------------------
cat >"$tmp/bmc.conf" <<EOF
# guest_sol_power_test.sh
[bmc]
lan = 127.0.0.1:$port
control = $tmp/control.sock
[vm guest]
listen = unix:$tmp/vm.sock
serial = unix:$tmp/serial.sock
qmp = unix:$tmp/qmp.sock
state_dir = $tmp/state
fru_product_name = $product
user2 = admin administrator
user2_password = $password
EOF
mkdir -p "$tmp/state"
"$bmc" --config "$tmp/bmc.conf" --check >"$tmp/check.log" 2>&1 || fail "ipmikit-bmc --check: $(cat "$tmp/check.log")"
"$bmc" --config "$tmp/bmc.conf" </dev/null >"$bmc_log" 2>&1 &
bmc_pid=$!
wait_for "ipmikit-bmc to be ready" 'event=ready' "$bmc_log" 1 10

# ---- QEMU ----------------------------------------------------------------------------------
kernel=$guest_dir/vmlinux
[ -s "$kernel" ] || kernel=$guest_dir/vmlinuz
# The console is ttyS0 (SOL); /init copies its markers to ttyS1, the file. (console=ttyS1 as a
# second console does not work: ttyS1 registers after the consoles are chosen.)
# shellcheck disable=SC2054
qemu=(qemu-system-x86_64 -machine pc -accel tcg -m 256 -nodefaults -no-user-config
  -display none -monitor none -no-shutdown
  -qmp "unix:$tmp/qmp.sock,server=on,wait=off"
  -kernel "$kernel" -initrd "$guest_dir/initramfs.cpio"
  -append "console=ttyS0 quiet panic=0 guest_console_shell=1 guest_watchdog=0 guest_inventory=1 guest_fru_product=$product guest_say_tty=ttyS1"
  -chardev "socket,id=ipmi0,path=$tmp/vm.sock,reconnect=1" -device ipmi-bmc-extern,id=bmc0,chardev=ipmi0
  -device isa-ipmi-kcs,bmc=bmc0
  -chardev "socket,id=ser0,path=$tmp/serial.sock,server=on,wait=off" -serial chardev:ser0
  -serial "file:$markers")
say "qemu: ${qemu[*]}"
"${qemu[@]}" </dev/null >"$tmp/qemu.log" 2>&1 &
qemu_pid=$!

# ---- 1. boot 1 and the in-band inventory ------------------------------------------------------
wait_for "boot 1" 'IPMIKIT-GUEST: boot ' "$markers" 1 60
say "ok   boot 1 ($(since))"
wait_for "the in-band inventory" 'IPMIKIT-GUEST: inventory done' "$markers" 1 90
say "ok   in-band inventory, $(count 'IPMIKIT-GUEST: inv [a-z0-9-]+ ok' "$markers") commands, sol info 1 and channel getciphers ipmi 1 among them ($(since))"
[ "$(count 'inv (sol-info-1|channel-getciphers-1) ok' "$markers")" = 2 ] || fail "sol info 1 / channel getciphers in the guest"
wait_for "the console shell" 'IPMIKIT-GUEST: console shell on ttyS0' "$markers" 1 30
wait_for "ipmikit-bmc on the serial console" 'event=serial_connected' "$bmc_log" 1 10

# ---- 2. LAN ---------------------------------------------------------------------------------
expect_lan "sel list over LAN" '' sel list
expect_lan "fru print 0 over LAN" "Product Name +: $product" fru print 0
expect_lan "chassis power status: on" 'Chassis Power is on' chassis power status

# ---- 3. SOL ---------------------------------------------------------------------------------
# --raw: ipmitool makes its tty raw only after its "operational" line; lines end \r*\n.
sol=(ipmitool -I lanplus -C 17 -H 127.0.0.1 -p "$port" -U admin@guest -P "$password")
# shellcheck disable=SC2016  # $((6*7)) is for the guest's shell
"$python" "$here/sol_console.py" --raw --log "$tmp/sol.raw" --timeout 20 --total 60 \
  expect 'SOL Session operational' \
  expect 'IPMIKIT-GUEST: console shell on ttyS0' \
  send '' expect 'guest# ' \
  send 'echo SOL-$((6*7)) $(uname -s)' expect 'SOL-42 Linux\r*\n' expect 'guest# ' \
  run "${sol[*]} sol activate </dev/null 2>&1 | grep -q 'SOL payload already active on another session'" \
  escape expect-exit 0 \
  -- "${sol[@]}" sol activate >"$tmp/sol.log" 2>&1 || { cat "$tmp/sol.log"; fail "sol activate"; }
say "ok   sol activate: the history, a command typed into SOL ran in the guest (SOL-42 Linux), a second activation refused, ~. ($(since))"
wait_for "sol_deactivated" 'event=sol_deactivated' "$bmc_log" 1 5

# ipmikit-bmc killed (SIGKILL) and started again: it finds the console again by itself, and a
# new SOL session sees the guest's shell (QEMU never noticed: it is the chardev's server).
kill -KILL "$bmc_pid"
wait "$bmc_pid" 2>/dev/null
"$bmc" --config "$tmp/bmc.conf" </dev/null >>"$bmc_log" 2>&1 &
bmc_pid=$!
wait_for "the restarted ipmikit-bmc on the serial console" 'event=serial_connected' "$bmc_log" 2 10
wait_for "the restarted ipmikit-bmc on QMP" 'event=qmp_connected' "$bmc_log" 2 10
# shellcheck disable=SC2016
"$python" "$here/sol_console.py" --raw --log "$tmp/sol2.raw" --timeout 20 --total 40 \
  expect 'SOL Session operational' send '' expect 'guest# ' \
  send 'echo again-$((7*7))' expect 'again-49\r*\n' escape expect-exit 0 \
  -- "${sol[@]}" sol activate >"$tmp/sol2.log" 2>&1 || { cat "$tmp/sol2.log"; fail "sol activate after ipmikit-bmc's restart"; }
say "ok   ipmikit-bmc killed and restarted: serial console and QMP found again, SOL works ($(since))"

# ---- 4. power -------------------------------------------------------------------------------
expect_lan "power off" 'Chassis Power Control: Down/Off' chassis power off
wait_power off 10
kill -0 "$qemu_pid" 2>/dev/null || fail "QEMU exited on power off (it must stay, -no-shutdown)"
say "ok   power status off, QEMU still running ($(since))"
expect_lan "power off again (off already: success)" 'Chassis Power Control: Down/Off' chassis power off
expect_lan "power on" 'Chassis Power Control: Up/On' chassis power on
wait_power on 10
wait_for "boot 2 (power on)" 'IPMIKIT-GUEST: boot ' "$markers" 2 60
say "ok   boot 2 after power on ($(since))"
expect_lan "power on again (on already: success, no action)" 'Chassis Power Control: Up/On' chassis power on
expect_lan "power cycle" 'Chassis Power Control: Cycle' chassis power cycle
wait_for "boot 3 (power cycle)" 'IPMIKIT-GUEST: boot ' "$markers" 3 60
say "ok   boot 3 after power cycle ($(since))"
wait_power on 10
expect_lan "power reset" 'Chassis Power Control: Reset' chassis power reset
wait_for "boot 4 (power reset)" 'IPMIKIT-GUEST: boot ' "$markers" 4 60
say "ok   boot 4 after power reset ($(since))"

# ---- 5. the watchdog power-cycles by itself ----------------------------------------------------
# Set Watchdog Timer (App 24h): timer use SMS/OS (04h), action power cycle (03h), no pre-timeout,
# clear no flags, 30 × 100 ms; then Reset Watchdog Timer starts it. Nobody pets it.
shells=$(count 'IPMIKIT-GUEST: console shell on ttyS0' "$markers")  # boots 2-4 may not have got that far
expect_lan "watchdog set: power cycle after 3 s" '' raw 0x06 0x24 0x04 0x03 0x00 0x00 0x1e 0x00
expect_lan "watchdog started" '' mc watchdog reset
wait_for "the watchdog's expiry" 'event=watchdog_expired action=power_cycle' "$bmc_log" 1 15
wait_for "boot 5 (the watchdog's power cycle)" 'IPMIKIT-GUEST: boot ' "$markers" 5 60
say "ok   boot 5 after the watchdog's power cycle ($(since))"

# ---- 6. nothing booted on its own; a clean stop ----------------------------------------------
wait_for "the console shell of boot 5" 'IPMIKIT-GUEST: console shell on ttyS0' "$markers" $((shells + 1)) 60
[ "$(boots)" = 5 ] || fail "the guest booted $(boots) times, expected exactly 5"
stop_pid "$qemu_pid"
qemu_pid=
stop_pid "$bmc_pid"
bmc_pid=
[ "$stop_rc" = 0 ] || fail "ipmikit-bmc exited $stop_rc on SIGTERM"
say "PASS total $(since)"
exit 0
