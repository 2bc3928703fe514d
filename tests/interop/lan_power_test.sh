#!/usr/bin/env bash
# tests/interop/lan_power_test.sh — power over LAN, end to end: ipmitool -I lanplus drives a real
# QEMU (no guest: the machine sits in its firmware) through ipmikit-bmc.
#
#   lan_power_test.sh IPMIKIT_BMC
#
# QEMU connects its ipmi-bmc-extern device to ipmikit-bmc's VM socket; then over the LAN
# (ipmitool -C 17, and -C 3 for a second NMI; user admin):
#   * chassis power status reads "on" while QEMU is connected;
#   * power reset, power diag (NMI) and power soft (ACPI power button) are answered and reach
#     QEMU: ipmikit-bmc logs each as `event=power action=… reason=lan result=sent`, and QEMU
#     is still running afterwards;
#   * power on while on: answered (nothing to do);
#   * an operator session (-L OPERATOR) may reset, a user session (-L USER) may not (D4);
#   * power off: QEMU exits (a shutdown request), and then power status reads "off" and
#     power on is refused (the VM protocol cannot power a VM on).
# Exit 77 when ipmitool or qemu-system-x86_64 is missing (unless IPMIKIT_INTEROP_REQUIRED is
# set), 1 on a failed check; every wait is bounded. Loopback only.
set -uo pipefail

bmc=${1:?usage: lan_power_test.sh IPMIKIT_BMC}
skip() {
  if [ -n "${IPMIKIT_INTEROP_REQUIRED:-}" ]; then echo "FAIL: $1 (IPMIKIT_INTEROP_REQUIRED is set)" >&2; exit 1; fi
  echo "SKIP: $1"; exit 77
}
command -v ipmitool >/dev/null || skip "ipmitool not in PATH"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not in PATH"

tmp=$(mktemp -d /tmp/ipmikit-lan-power-XXXXXX)
bmc_pid=
qemu_pid=
failed=0
cleanup() {
  [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null
  [ -n "$bmc_pid" ] && kill "$bmc_pid" 2>/dev/null
  wait 2>/dev/null
  if [ "$failed" = 0 ]; then rm -rf "$tmp"; else echo "kept $tmp"; fi
}
trap cleanup EXIT

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; failed=1; }
port=${IPMIKIT_LAN_POWER_PORT:-9663}
cat >"$tmp/bmc.conf" <<EOF
[vm web1]
listen = unix:$tmp/web1.sock
lan = 127.0.0.1:$port
user2 = admin administrator
user2_password = s3cret-pass
user3 = op operator
user3_password = op-pass-123
user4 = viewer user
user4_password = viewer-pass
EOF
"$bmc" --config "$tmp/bmc.conf" >"$tmp/bmc.log" 2>&1 &
bmc_pid=$!
for _ in $(seq 50); do grep -q "event=ready" "$tmp/bmc.log" && break; sleep 0.1; done
grep -q "event=ready" "$tmp/bmc.log" || { not_ok "ipmikit-bmc ready"; cat "$tmp/bmc.log"; exit 1; }

# shellcheck disable=SC2054  # the commas are inside -device/-chardev values
qemu-system-x86_64 -machine pc -accel tcg -m 64 -nodefaults -no-user-config -display none -serial none \
  -chardev "socket,id=ipmi0,path=$tmp/web1.sock,reconnect=1" \
  -device ipmi-bmc-extern,id=bmc0,chardev=ipmi0 -device isa-ipmi-kcs,bmc=bmc0 >"$tmp/qemu.log" 2>&1 &
qemu_pid=$!
for _ in $(seq 100); do grep -q "event=capabilities" "$tmp/bmc.log" && break; sleep 0.1; done
grep -q "event=capabilities" "$tmp/bmc.log" && ok "QEMU connected and announced its capabilities" ||
  { not_ok "QEMU connected"; cat "$tmp/bmc.log" "$tmp/qemu.log"; exit 1; }

suite=17
lan() {  # lan USER PASSWORD ARGS...: ipmitool -I lanplus -C $suite at the VM's port, ≤ 20 s
  local user=$1 password=$2
  shift 2
  timeout 20 ipmitool -I lanplus -C "$suite" -H 127.0.0.1 -p "$port" -U "$user" -P "$password" "$@" >"$tmp/out" 2>&1
}
expect_power_log() {  # expect_power_log ACTION COUNT: that many `action=ACTION reason=lan result=sent` lines (≤ 5 s)
  for _ in $(seq 50); do
    [ "$(grep -c "event=power action=$1 reason=lan result=sent" "$tmp/bmc.log")" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}
alive() { kill -0 "$qemu_pid" 2>/dev/null; }

lan admin s3cret-pass chassis power status && grep -q "Chassis Power is on" "$tmp/out" &&
  ok "power status: on while QEMU is connected" || not_ok "power status on: $(cat "$tmp/out")"
lan admin s3cret-pass chassis power reset && expect_power_log reset 1 && alive &&
  ok "power reset: sent to QEMU (reason=lan), QEMU still running" || not_ok "power reset: $(cat "$tmp/out")"
lan admin s3cret-pass chassis power diag && expect_power_log nmi 1 && alive &&
  ok "power diag: NMI sent to QEMU" || not_ok "power diag: $(cat "$tmp/out")"
lan admin s3cret-pass chassis power soft && expect_power_log soft_shutdown 1 && alive &&
  ok "power soft: ACPI power button sent to QEMU (no guest OS: QEMU stays)" || not_ok "power soft: $(cat "$tmp/out")"
lan admin s3cret-pass chassis power on && ok "power on while on: answered" || not_ok "power on while on: $(cat "$tmp/out")"
suite=3  # the same over suite 3
lan admin s3cret-pass chassis power diag && expect_power_log nmi 2 && alive &&
  ok "suite 3: power diag sent" || not_ok "suite 3 power diag: $(cat "$tmp/out")"
suite=17
lan op op-pass-123 -L OPERATOR chassis power reset && expect_power_log reset 2 &&
  ok "an operator session may reset" || not_ok "operator reset: $(cat "$tmp/out")"
if lan viewer viewer-pass -L USER chassis power reset; then
  not_ok "a user session must not reset: $(cat "$tmp/out")"
else
  grep -qi "insufficient privilege" "$tmp/out" && ok "a user session may not reset (insufficient privilege)" ||
    not_ok "user reset refused, but not for privilege: $(cat "$tmp/out")"
fi
[ "$(grep -c "event=power action=reset reason=lan" "$tmp/bmc.log")" = 2 ] &&
  ok "exactly two resets reached the VM" || not_ok "reset count: $(grep -c "action=reset" "$tmp/bmc.log")"

lan admin s3cret-pass chassis power off && expect_power_log power_off 1 &&
  ok "power off: sent (reason=lan)" || not_ok "power off: $(cat "$tmp/out")"
for _ in $(seq 100); do alive || break; sleep 0.1; done
if alive; then not_ok "QEMU exits on power off"; else ok "QEMU exited on power off"; qemu_pid=; fi
lan admin s3cret-pass chassis power status && grep -q "Chassis Power is off" "$tmp/out" &&
  ok "power status: off once QEMU is gone" || not_ok "power status off: $(cat "$tmp/out")"
if lan admin s3cret-pass chassis power on; then
  not_ok "power on while off must be refused: $(cat "$tmp/out")"
else
  ok "power on while off: refused (the VM protocol has no power-on)"
fi
grep -Eq "s3cret-pass|op-pass-123|viewer-pass" "$tmp/bmc.log" && not_ok "a password in the log" || ok "no password in the log"
kill -0 "$bmc_pid" 2>/dev/null && ok "ipmikit-bmc still running" || not_ok "ipmikit-bmc died"
exit "$failed"
