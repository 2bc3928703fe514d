#!/usr/bin/env bash
# tests/interop/lan_load_test.sh — IPMI over LAN under load, through the real binaries: one
# ipmikit-bmc with 10 VMs on the shared [bmc] lan port, ipmikit-load-lan with 10 RMCP+ sessions
# (session i logs in as admin@vm<i>), suite 17 then suite 3, about 2 s of authenticated requests
# each and 1 s of session setups (login, Close Session, login again).
#
#   lan_load_test.sh [--vms N] [--duration S] IPMIKIT_BMC IPMIKIT_LOAD_LAN
#
# Checks (any failing one fails the test, exit 1): the server logs `event=ready`; every run of
# the load generator exits 0 with failures=0 (no failed login, timeout or bad response) and a
# non-zero count of requests (or setups); the server is still alive afterwards and exits 0 on
# SIGTERM. Throughput is printed, never asserted: bench/lan_bench.py reports performance.
# The scratch directory (config, logs) is kept when a check fails.
set -uo pipefail

vms=10
duration=2
while [ $# -gt 0 ]; do
  case "$1" in
    --vms) vms=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    -*) echo "lan_load_test: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -eq 2 ] || { echo "usage: lan_load_test.sh [--vms N] [--duration S] IPMIKIT_BMC IPMIKIT_LOAD_LAN" >&2; exit 2; }
bmc=$1
load=$2
work=$(mktemp -d /tmp/ipmikit-lan-load.XXXXXX)
failures=0
server=

check() {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then
    echo "ok: $what"
  else
    echo "FAIL: $what"
    failures=$((failures + 1))
  fi
}

cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then kill -KILL "$server" 2>/dev/null; fi
  if [ "$failures" -eq 0 ]; then rm -rf "$work"; else echo "lan_load_test: kept $work"; fi
}
trap cleanup EXIT

# A UDP port nobody holds (ipmikit-bmc refuses to start on a busy one: then try the next).
port=$((20000 + $$ % 20000))
for attempt in 1 2 3 4 5; do
  {
    echo "[bmc]"
    echo "lan = 127.0.0.1:$port"
    for ((i = 0; i < vms; i++)); do
      echo "[vm vm$i]"
      echo "listen = unix:$work/vm$i.sock"
      echo "user2 = admin administrator"
      echo "user2_password = lan-load-pass"
    done
  } >"$work/bmc.conf"
  "$bmc" --config "$work/bmc.conf" >"$work/bmc.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do
    grep -q "event=ready" "$work/bmc.log" && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
  done
  grep -q "event=ready" "$work/bmc.log" && break
  wait "$server" 2>/dev/null
  server=
  port=$((port + 1))
done
check "ipmikit-bmc with $vms VMs logs event=ready (UDP 127.0.0.1:$port)" test -n "$server"
[ -n "$server" ] || exit 1

run() {  # run NAME ARGS...: one load generator run, checked
  local name=$1
  shift
  "$load" --lan "127.0.0.1:$port" --sessions "$vms" --user-format 'admin@vm%d' --password lan-load-pass \
    --warmup 0.2 --server-pid "$server" -q "$@" >"$work/$name.out" 2>"$work/$name.err"
  local rc=$?
  local count
  count=$(grep -E '^(requests|setups)=' "$work/$name.out" | cut -d= -f2)
  echo "$name: $(grep -E '^(requests_per_second|setups_per_second|failures|latency_p99_us)=' "$work/$name.out" | tr '\n' ' ')"
  check "$name: ipmikit-load-lan exits 0 (exit $rc; $(tail -c 300 "$work/$name.err"))" test "$rc" -eq 0
  check "$name: failures=0" grep -qx "failures=0" "$work/$name.out"
  check "$name: answered some ($count)" test "${count:-0}" -gt 0
}

run requests-suite17 --suite 17 --duration "$duration"
run requests-suite3 --suite 3 --duration "$duration"
run setups-suite17 --suite 17 --duration 1 --setup-only

# A flood of wrong passwords from one address: the throttle refuses most of it, and the log
# stays bounded (a budget of 20 failure lines, then one a second, with suppressed=N).
"$load" --lan "127.0.0.1:$port" --sessions "$vms" --user-format 'admin@vm%d' --password wrong-pass \
  --warmup 0 --duration 2 --setup-only -q >"$work/flood.out" 2>"$work/flood.err"
flood_rc=$?
failure_lines=$(grep -Ec 'event=lan_(auth_failed|throttled)' "$work/bmc.log")
echo "flood: exit $flood_rc, $failure_lines failure lines, $(grep -o 'suppressed=[0-9]*' "$work/bmc.log" | tail -1)"
check "flood: the load generator saw its logins fail (exit $flood_rc)" test "$flood_rc" -ne 0
check "flood: the failure log lines are bounded ($failure_lines <= 26)" test "$failure_lines" -le 26
check "flood: some failures were counted as suppressed" grep -q 'event=lan_.*suppressed=[1-9]' "$work/bmc.log"
check "flood: no password in the log" bash -c "! grep -q -e wrong-pass -e lan-load-pass '$work/bmc.log'"
check "ipmikit-bmc is still running" kill -0 "$server"
kill -TERM "$server"
wait "$server"
rc=$?
server=
check "ipmikit-bmc exits 0 on SIGTERM (exit $rc)" test "$rc" -eq 0
[ "$failures" -eq 0 ] || { echo "lan_load_test: $failures check(s) failed"; exit 1; }
echo "lan_load_test: all checks passed"
