#!/usr/bin/env bash
# tests/interop/fleet_load_test.sh — the fleet ipmikit-bmc under load: N VMs (default 1,000) in
# one process, each on its own UNIX socket, all connected at once by ipmikit-load (one emulator
# session per connection, QEMU's role) and then driven request after request for a few seconds.
#
#   fleet_load_test.sh [--rss-limit BYTES] [--vms N] [--duration S] IPMIKIT_BMC IPMIKIT_LOAD
#
# Checks (any failing one fails the test, exit 1):
#   * `ipmikit-bmc --config FILE --check` accepts the generated config (exit 0);
#   * the server logs `event=ready vms=N` within 30 s;
#   * every VM's connection is established and answers its first request; the server logs
#     `event=connected` once per VM;
#   * resident memory per idle connected VM is at most --rss-limit (default 4096 bytes, the
#     issue's goal; 0 = measure and print only, for sanitizer builds whose allocator is not the
#     product's) per connection, and at most --rss-limit-all-in (default: --rss-limit) all in,
#     measured two ways:
#       - per connection: (server VmRSS with N connected and idle − VmRSS with none connected) / N;
#       - all in: a second server with N/2 VMs, all connected and idle;
#         (VmRSS(N) − VmRSS(N/2)) / (N − N/2), i.e. what one more configured, connected VM costs,
#         whether the server allocates it at start or on connect;
#   * a few seconds of load: 0 failures (errors, timeouts, disconnects), every VM answered;
#   * the server is still alive afterwards, logs `event=disconnected` for every VM once the
#     load generator has gone, and exits 0 on SIGTERM.
# Throughput is printed, never asserted: performance is reported by bench/fleet_bench.py.
# The scratch directory (config, logs) is kept when a check fails.
set -uo pipefail

rss_limit=4096
rss_limit_all_in=
vms=1000
duration=3
while [ $# -gt 0 ]; do
  case "$1" in
    --rss-limit) rss_limit=$2; shift 2 ;;
    --rss-limit-all-in) rss_limit_all_in=$2; shift 2 ;;
    --vms) vms=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --) shift; break ;;
    -*) echo "fleet_load_test: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
if [ $# -ne 2 ]; then
  echo "usage: fleet_load_test.sh [--rss-limit BYTES] [--rss-limit-all-in BYTES] [--vms N] [--duration S] IPMIKIT_BMC IPMIKIT_LOAD" >&2
  exit 2
fi
bmc=$1
load=$2

say() { printf 'fleet_load_test: %s\n' "$*"; }
failed=0
check() {  # check DESCRIPTION COMMAND...: runs the command, records a failure if it fails
  local what=$1
  shift
  if "$@"; then
    say "ok: $what"
  else
    say "FAILED: $what"
    failed=1
  fi
}

# Short paths: a UNIX socket path must fit in 108 bytes.
tmp=$(mktemp -d /tmp/ipmikit-fleet-XXXXXX) || exit 1
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  if [ "$failed" -eq 0 ]; then rm -rf "$tmp"; else say "scratch directory kept: $tmp"; fi
}
trap cleanup EXIT

# File descriptors: the server holds a listener and a connection per VM, the load generator a
# connection per VM. Raise the soft limit (inherited by both) to the hard one.
need=$((2 * vms + 64))
ulimit -n "$(ulimit -Hn)" 2>/dev/null
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
  ulimit -Hn "$need" 2>/dev/null && ulimit -n "$need" 2>/dev/null
fi
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
  say "FAILED: $vms VMs need $need file descriptors, 'ulimit -n' is $(ulimit -n) (hard $(ulimit -Hn))"
  failed=1
  exit 1
fi

# The config, as SPEC.md describes it: one [vm NAME] section per VM with its own listen address.
write_config() {  # write_config FILE COUNT PREFIX
  local i
  {
    echo "# $2 VMs for fleet_load_test.sh"
    echo "[bmc]"
    echo "control = $tmp/$3ctl.sock"
    for ((i = 0; i < $2; i++)); do
      echo
      echo "[vm $3vm$i]"
      echo "listen = unix:$tmp/$3vm$i.sock"
    done
  } >"$1"
}

# start_server CONFIG LOG COUNT: sets server_pid; waits for event=ready (30 s) or fails.
start_server() {
  : >"$2"  # exists before the first grep below
  "$bmc" --config "$1" >>"$2" 2>&1 &
  server_pid=$!
  ready=
  local i
  for ((i = 0; i < 600; i++)); do
    if grep -q 'event=ready' "$2"; then
      ready=$(grep -m1 'event=ready' "$2")
      break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
    sleep 0.05
  done
  if [ -z "$ready" ]; then
    say "FAILED: no event=ready from the server within 30 s; its log:"
    tail -20 "$2" | sed 's/^/  /'
    failed=1
    exit 1
  fi
  say "server pid $server_pid: $ready"
  check "the ready line says vms=$3" grep -q "event=ready.* vms=$3\b" <<<"$ready"
}

# stop_server: SIGTERM by PID; exit 0 within 10 s.
stop_server() {
  local i rc
  kill -TERM "$server_pid"
  for ((i = 0; i < 200; i++)); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$server_pid" 2>/dev/null; then
    say "FAILED: the server did not exit within 10 s of SIGTERM"
    failed=1
    return
  fi
  wait "$server_pid"
  rc=$?
  server_pid=
  check "the server exited 0 on SIGTERM (got $rc)" test "$rc" -eq 0
}

config=$tmp/fleet.conf
write_config "$config" "$vms" ""

say "$vms VMs, config $config"
"$bmc" --config "$config" --check >"$tmp/check.log" 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then
  say "FAILED: '$bmc --config $config --check' exited $rc (is this the fleet ipmikit-bmc?):"
  sed 's/^/  /' "$tmp/check.log" | head -20
  failed=1
  exit 1
fi
say "ok: the config passes --check"

start_server "$config" "$tmp/bmc.log" "$vms"

# Connect all, answer one request each, hold 1 s idle and sample the server's RSS; then load.
"$load" --connect "unix:$tmp/vm%d.sock+$vms" --idle 1 --warmup 0.5 --duration "$duration" \
  --timeout 5 --connect-timeout 20 --server-pid "$server_pid" >"$tmp/load.out" 2>"$tmp/load.err"
load_rc=$?
sed 's/^/  /' "$tmp/load.err" | head -40
value() { sed -n "s/^$1=//p" "$tmp/load.out"; }
say "$(value requests) requests in $(value seconds) s: $(value requests_per_second) req/s," \
  "latency p50 $(value latency_p50_us) us, p99 $(value latency_p99_us) us, max $(value latency_max_us) us"
say "server: $(value server_cpu_us_per_request) us CPU per request; RSS $(value server_rss_before_kib) KiB" \
  "with no VM connected, $(value server_rss_idle_kib) KiB with $vms idle," \
  "$(value server_rss_per_idle_vm_bytes) bytes per idle connected VM"
say "load generator: $(value load_cpu_us_per_request) us CPU per request"

check "ipmikit-load exited 0 (got $load_rc)" test "$load_rc" -eq 0
check "all $vms connections established" test "$(value established)" = "$vms"
check "every VM answered" test "$(value vms_answered)" = "$vms"
check "0 failures (got $(value failures))" test "$(value failures)" = 0
check "requests were answered under load" test "$(value requests)" -gt 0
per_vm=$(value server_rss_per_idle_vm_bytes)
if [ "$rss_limit" -gt 0 ]; then
  check "RSS per idle connected VM, per connection, ${per_vm} bytes <= $rss_limit" test "${per_vm:-999999}" -le "$rss_limit"
else
  say "RSS per idle connected VM: ${per_vm} bytes (not checked in this build)"
fi
check "the server is still running" kill -0 "$server_pid"

connected=$(grep -c 'event=connected' "$tmp/bmc.log")
check "event=connected logged once per VM ($connected)" test "$connected" -eq "$vms"
# The load generator closed every connection on exit: every VM logs its disconnect (bounded).
for ((i = 0; i < 200; i++)); do
  [ "$(grep -c 'event=disconnected' "$tmp/bmc.log")" -ge "$vms" ] && break
  sleep 0.05
done
disconnected=$(grep -c 'event=disconnected' "$tmp/bmc.log")
check "event=disconnected logged once per VM ($disconnected)" test "$disconnected" -eq "$vms"

stop_server

# All in: the same with half the VMs, connected and idle; the difference is what the other
# half costs, wherever the server keeps it.
half=$((vms / 2))
if [ "$half" -ge 1 ]; then
  write_config "$tmp/half.conf" "$half" "h"
  start_server "$tmp/half.conf" "$tmp/bmc-half.log" "$half"
  "$load" --connect "unix:$tmp/hvm%d.sock+$half" --idle 1 --timeout 5 --connect-timeout 20 \
    --server-pid "$server_pid" >"$tmp/load-half.out" 2>"$tmp/load-half.err"
  half_rc=$?
  check "ipmikit-load with $half VMs exited 0 (got $half_rc)" test "$half_rc" -eq 0
  idle_full=$(value server_rss_idle_kib)
  idle_half=$(sed -n 's/^server_rss_idle_kib=//p' "$tmp/load-half.out")
  slope=$(((${idle_full:-0} - ${idle_half:-0}) * 1024 / (vms - half)))
  say "server RSS: ${idle_half} KiB with $half VMs connected and idle, ${idle_full} KiB with $vms:" \
    "$slope bytes per idle connected VM, all in"
  if [ "$rss_limit" -gt 0 ]; then
    check "RSS per idle connected VM, all in, $slope bytes <= ${rss_limit_all_in:-$rss_limit}" \
      test "$slope" -le "${rss_limit_all_in:-$rss_limit}"
  fi
  stop_server
fi

if [ "$failed" -ne 0 ]; then
  say "server log (last lines):"
  tail -20 "$tmp/bmc.log" | sed 's/^/  /'
  exit 1
fi
say "passed"
exit 0
