#!/usr/bin/env bash
# tests/interop/qmp_power_test.sh — true power control over QMP, end to end: a real QEMU (no
# guest: the machine sits in its firmware) run with -no-shutdown and two QMP sockets, one for
# ipmikit-bmc (`qmp = unix:PATH`) and one for this test's own look at QEMU's run state;
# ipmitool -I lanplus -C 17 on loopback and the control socket drive it.
#
#   qmp_power_test.sh IPMIKIT_BMC
#
# Checks (docs/ipmikit-bmc.md, "Power"):
#   * QEMU started after ipmikit-bmc: QMP connects (retried every second); power status on;
#   * power off: status off, QEMU still alive, its run state "prelaunch"; power off again: success,
#     nothing sent (result=already_off);
#   * power on: status on, run state "running"; power on again: success, nothing sent;
#   * power cycle while on: off then on (the log shows power_state off, then on), running;
#   * Get Chassis Status (raw 00 01, the command a guest sends in-band) agrees: power on bit;
#   * the control socket: power off / on / on again / cycle, and `list` shows the true power;
#   * hard reset while off: refused (D5);
#   * QEMU killed: power status off within 2 s, power on refused; QEMU restarted: QMP reconnects
#     and power reads on again within 3 s.
# Exit 77 when ipmitool, python3 or qemu-system-x86_64 is missing (unless IPMIKIT_INTEROP_REQUIRED
# is set), 1 on a failed check; every wait is bounded. Loopback only; UDP port 9670.
set -uo pipefail

bmc=${1:?usage: qmp_power_test.sh IPMIKIT_BMC}
skip() {
  if [ -n "${IPMIKIT_INTEROP_REQUIRED:-}" ]; then echo "FAIL: $1 (IPMIKIT_INTEROP_REQUIRED is set)" >&2; exit 1; fi
  echo "SKIP: $1"; exit 77
}
command -v ipmitool >/dev/null || skip "ipmitool not in PATH"
command -v python3 >/dev/null || skip "python3 not in PATH"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not in PATH"

tmp=$(mktemp -d /tmp/ipmikit-qmp-power-XXXXXX)
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
port=${IPMIKIT_QMP_POWER_PORT:-9670}
cat >"$tmp/bmc.conf" <<EOF
[bmc]
control = $tmp/ctl.sock
[vm web1]
listen = unix:$tmp/web1.sock
lan = 127.0.0.1:$port
qmp = unix:$tmp/qmp.sock
user2 = admin administrator
user2_password = s3cret-pass
EOF
"$bmc" --config "$tmp/bmc.conf" >"$tmp/bmc.log" 2>&1 &
bmc_pid=$!
for _ in $(seq 50); do grep -q "event=ready" "$tmp/bmc.log" && break; sleep 0.1; done
grep -q "event=ready" "$tmp/bmc.log" || { not_ok "ipmikit-bmc ready"; cat "$tmp/bmc.log"; exit 1; }

start_qemu() {
  # shellcheck disable=SC2054  # the commas are inside -device/-chardev/-qmp values
  qemu-system-x86_64 -machine pc -accel tcg -m 64 -nodefaults -no-user-config -display none -serial none \
    -no-shutdown -qmp "unix:$tmp/qmp.sock,server=on,wait=off" -qmp "unix:$tmp/probe.sock,server=on,wait=off" \
    -chardev "socket,id=ipmi0,path=$tmp/web1.sock,reconnect=1" \
    -device ipmi-bmc-extern,id=bmc0,chardev=ipmi0 -device isa-ipmi-kcs,bmc=bmc0 >>"$tmp/qemu.log" 2>&1 &
  qemu_pid=$!
}
alive() { [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; }
# run_state: QEMU's run state through the test's own QMP socket (≤ 5 s).
run_state() {
  timeout 5 python3 - "$tmp/probe.sock" <<'EOF' 2>/dev/null
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(4)
s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()
for c in ("qmp_capabilities", "query-status"):
    f.write(json.dumps({"execute": c}) + "\n"); f.flush()
    while True:
        m = json.loads(f.readline())
        if "return" in m or "error" in m: break
print(m["return"]["status"])
EOF
}
# control LINE: one command on the control socket; its whole answer in $tmp/ctl (≤ 5 s).
control() {
  timeout 5 python3 - "$tmp/ctl.sock" "$1" >"$tmp/ctl" 2>&1 <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(4)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
out = b""
while not (out.endswith(b"\n") and (out.split(b"\n")[-2].startswith(b"ok") or out.split(b"\n")[-2].startswith(b"error"))):
    d = s.recv(4096)
    if not d: break
    out += d
sys.stdout.write(out.decode())
EOF
}
lan() {  # lan ARGS...: ipmitool -I lanplus -C 17 as admin at the VM's port, ≤ 20 s
  timeout 20 ipmitool -I lanplus -C 17 -H 127.0.0.1 -p "$port" -U admin -P s3cret-pass "$@" >"$tmp/out" 2>&1
}
# wait_power on|off: ipmitool's chassis power status reads it (≤ 30 tries, 0.1 s apart)
wait_power() {
  for _ in $(seq 30); do
    lan chassis power status && grep -q "Chassis Power is $1" "$tmp/out" && return 0
    sleep 0.1
  done
  return 1
}
log_count() { grep -c -- "$1" "$tmp/bmc.log"; }

start_qemu
for _ in $(seq 50); do grep -q "event=power_state power=on" "$tmp/bmc.log" && break; sleep 0.1; done
grep -q "event=qmp_connected" "$tmp/bmc.log" && grep -q "event=power_state power=on status=running source=qmp" "$tmp/bmc.log" &&
  ok "QEMU started after ipmikit-bmc: QMP connected, power on" || { not_ok "QMP connected"; cat "$tmp/bmc.log" "$tmp/qemu.log"; exit 1; }
[ "$(log_count "event=qmp_disconnected")" -le 1 ] && ok "the failed connects before QEMU started were logged once" ||
  not_ok "qmp_disconnected logged $(log_count "event=qmp_disconnected") times before QEMU started"
lan chassis power status && grep -q "Chassis Power is on" "$tmp/out" && ok "power status: on" || not_ok "power status on: $(cat "$tmp/out")"

lan chassis power off && wait_power off && ok "power off: status off" || not_ok "power off: $(cat "$tmp/out")"
alive && ok "QEMU still alive after power off" || not_ok "QEMU exited on power off"
[ "$(run_state)" = prelaunch ] && ok "QEMU's run state after power off: prelaunch" || not_ok "run state after off: $(run_state)"
lan chassis power off && grep -q "event=power action=power_off reason=lan result=already_off" "$tmp/bmc.log" &&
  ok "power off while off: success, nothing sent" || not_ok "power off while off: $(cat "$tmp/out")"
lan chassis power reset
grep -qi "not supported in present state\|0xd5" "$tmp/out" && ok "hard reset while off: refused (D5)" ||
  not_ok "hard reset while off: $(cat "$tmp/out")"

lan chassis power on && wait_power on && ok "power on: status on" || not_ok "power on: $(cat "$tmp/out")"
[ "$(run_state)" = running ] && ok "QEMU's run state after power on: running" || not_ok "run state after on: $(run_state)"
lan chassis power on && grep -q "event=power action=power_on reason=lan result=already_on" "$tmp/bmc.log" &&
  [ "$(log_count "action=power_on reason=lan result=sent")" = 1 ] &&
  ok "power on while on: success, nothing sent" || not_ok "power on while on: $(cat "$tmp/out")"

offs=$(log_count "event=power_state power=off")
ons=$(log_count "event=power_state power=on")
lan chassis power cycle && grep -q "Chassis Power Control: Cycle" "$tmp/out" && ok "power cycle: answered" ||
  not_ok "power cycle: $(cat "$tmp/out")"
for _ in $(seq 50); do [ "$(log_count "event=power_state power=on")" -gt "$ons" ] && break; sleep 0.1; done
[ "$(log_count "event=power_state power=off")" -gt "$offs" ] && [ "$(log_count "event=power_state power=on")" -gt "$ons" ] &&
  ok "power cycle while on: off, then on" || not_ok "power cycle: $(tail -5 "$tmp/bmc.log")"
wait_power on && [ "$(run_state)" = running ] && ok "after the cycle: status on, running" || not_ok "after the cycle: $(run_state)"
# Get Chassis Status (NetFn 00h cmd 01h): byte 1 bit 0 is "power is on" (IPMI v2.0 §28.2).
lan raw 0x00 0x01 && [ $((0x$(awk '{print $1; exit}' "$tmp/out") & 1)) = 1 ] &&
  ok "Get Chassis Status agrees: power on" || not_ok "Get Chassis Status: $(cat "$tmp/out")"

control "power off web1" && grep -q "^ok sent" "$tmp/ctl" && wait_power off && ok "control: power off" ||
  not_ok "control power off: $(cat "$tmp/ctl")"
control "list" && grep -q "web1 .*power=off" "$tmp/ctl" && ok "control: list shows power=off" || not_ok "list: $(cat "$tmp/ctl")"
control "power on web1" && grep -q "^ok sent" "$tmp/ctl" && wait_power on && ok "control: power on" ||
  not_ok "control power on: $(cat "$tmp/ctl")"
control "power on web1" && grep -q "^ok already on" "$tmp/ctl" && ok "control: power on while on: ok already on" ||
  not_ok "control power on again: $(cat "$tmp/ctl")"
ons=$(log_count "event=power_state power=on")
control "power cycle web1" && grep -q "^ok sent" "$tmp/ctl" && ok "control: power cycle sent" || not_ok "control cycle: $(cat "$tmp/ctl")"
for _ in $(seq 50); do [ "$(log_count "event=power_state power=on")" -gt "$ons" ] && break; sleep 0.1; done
[ "$(log_count "event=power_state power=on")" -gt "$ons" ] && [ "$(run_state)" = running ] &&
  ok "control: power cycle came back on" || not_ok "control cycle: $(tail -5 "$tmp/bmc.log")"
control "list" && grep -q "web1 .*power=on" "$tmp/ctl" && ok "control: list shows power=on" || not_ok "list: $(cat "$tmp/ctl")"
control "status web1" && grep -q "^qmp_status=running" "$tmp/ctl" && grep -q "^power=on" "$tmp/ctl" &&
  ok "control: status shows qmp_status=running" || not_ok "status: $(cat "$tmp/ctl")"

kill "$qemu_pid"
wait "$qemu_pid" 2>/dev/null
qemu_pid=
start=$(date +%s%N)
wait_power off && ok "QEMU killed: power status off within $(( ($(date +%s%N) - start) / 1000000 )) ms" ||
  not_ok "power status after QEMU died: $(cat "$tmp/out")"
lan chassis power on && not_ok "power on without QEMU must be refused" || ok "power on without QEMU: refused"
start_qemu
wait_power on && ok "QEMU restarted: QMP reconnected, power on" || not_ok "after QEMU restart: $(tail -5 "$tmp/bmc.log")"

grep -q "s3cret-pass" "$tmp/bmc.log" && not_ok "a password in the log" || ok "no password in the log"
kill -0 "$bmc_pid" 2>/dev/null && ok "ipmikit-bmc still running" || not_ok "ipmikit-bmc died"
exit "$failed"
