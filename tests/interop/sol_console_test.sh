#!/usr/bin/env bash
# tests/interop/sol_console_test.sh — tests/interop/sol_console.py (the pty driver the SOL tests
# use) against a real Serial over LAN peer: OpenIPMI's ipmi_sim with a `sol "telnet:…"` line
# (sol.md §5), whose serial port is a small TCP "serial peer" this test runs, and the real
# `ipmitool -I lanplus sol activate` in a pty. All on 127.0.0.1.
#
#   sol_console_test.sh
#
# The serial peer (Python, standard library) listens on 127.0.0.1:$peer_port; ipmi_sim connects
# to it as a TCP client at start-up (telnet mode: it sends IAC negotiation first, which the peer
# skips). Per line it receives (CR, CR LF or CR NUL ends a line) it answers:
#   empty line → "SOLPEER READY banner" (a getty-like prompt: a banner sent at connect time is
#                dropped by ipmi_sim while no SOL session is active, so the test asks for it);
#   "big N"    → N numbered lines of 80 characters, then "BIG DONE N";
#   otherwise  → "ECHO:" + the line upper-cased.
# It logs every chunk it receives (hex) to peer.log.
# Checks, each bounded in time (ipmi_sim has no suite 17: ipmitool runs with -C 3):
#   1. sol activate: "[SOL Session operational.  Use ~? for help]", Enter → the banner, a line →
#      its upper-cased echo, a 2,593-byte burst arrives whole and in order (many SOL packets);
#   2. meanwhile a second `sol activate` (a second RMCP+ session) is refused with
#      "Info: SOL payload already active on another session";
#   3. `~.` ends the session: ipmitool exits 0 ("[terminated ipmitool]");
#   4. the payload is free again: a new sol activate works (and ends with ~.);
#   5. `sol deactivate` of the inactive payload: what ipmitool prints and its exit status are
#      checked against what ipmi_sim 2.0.33 does (see the comment there);
#   6. the driver itself fails when it should: an expect that cannot match exits 1 and shows
#      the output with control characters made visible.
# Exit 0 passed, 1 failed, 77 skipped (no ipmi_sim, ipmitool or python3; a failure instead when
# IPMIKIT_INTEROP_REQUIRED=1). UDP port $IPMIKIT_SOL_TEST_PORT (default 9680, range 9680-9689
# is this test's), TCP port +10 for the peer. IPMIKIT_INTEROP_KEEP=1 keeps the temporary dir.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
driver=$here/sol_console.py
python=/usr/bin/python3
skip() {
  if [ "${IPMIKIT_INTEROP_REQUIRED:-0}" = 1 ]; then echo "FAIL: $1 (IPMIKIT_INTEROP_REQUIRED=1)" >&2; exit 1; fi
  echo "SKIP: $1"; exit 77
}
command -v ipmi_sim >/dev/null || skip "ipmi_sim not in PATH (package openipmi)"
command -v ipmitool >/dev/null || skip "ipmitool not in PATH"
[ -x "$python" ] || skip "no $python"

lan_port=${IPMIKIT_SOL_TEST_PORT:-9680}
peer_port=$((lan_port + 10))
user="admin"
pass=sol-test-pass
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ipmikit-sol-console.XXXXXX")
sim_pid=
peer_pid=
failed=0
# shellcheck disable=SC2317  # stop_pid and cleanup run from the EXIT trap
stop_pid() {  # SIGTERM, SIGKILL after 3 s, by PID
  local pid=$1
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}
# shellcheck disable=SC2317
cleanup() {
  [ -n "$sim_pid" ] && stop_pid "$sim_pid"
  [ -n "$peer_pid" ] && stop_pid "$peer_pid"
  if [ "$failed" = 0 ] && [ "${IPMIKIT_INTEROP_KEEP:-0}" = 0 ]; then rm -rf "$tmp"; else echo "kept $tmp"; fi
}
trap cleanup EXIT
trap 'failed=1; exit 1' INT TERM
ok() { echo "ok - $1"; }
fail() {
  failed=1
  echo "not ok - $1"
  echo "---- serial peer (peer.log) ----"; tail -n 20 "$tmp/peer.log" 2>/dev/null
  echo "---- ipmi_sim (sim.log) ----"; tail -n 20 "$tmp/sim.log" 2>/dev/null
  exit 1
}

# ---- the serial peer ---------------------------------------------------------------------------
cat >"$tmp/peer.py" <<'EOF'
import socket, sys, time
port, log = int(sys.argv[1]), open(sys.argv[2], "a", buffering=1)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(1)
log.write("listening\n")
def strip_telnet(data, state):
    # IAC (FF) commands from ipmi_sim's telnet mode: FF FB..FE xx (options), FF FF = data FF.
    out = bytearray()
    for b in data:
        if state[0] == 0:
            if b == 0xFF: state[0] = 1
            else: out.append(b)
        elif state[0] == 1:
            if b == 0xFF: out.append(b); state[0] = 0
            elif 0xFB <= b <= 0xFE: state[0] = 2
            else: state[0] = 0
        else:
            state[0] = 0
    return bytes(out)
while True:
    conn, _ = srv.accept()
    log.write("connected\n")
    conn.sendall(b"SOLPEER connect-time banner\r\n")
    buf, state, last_cr = b"", [0], False
    while True:
        data = conn.recv(4096)
        if not data:
            log.write("closed\n")
            break
        log.write("%.3f rx %s\n" % (time.monotonic(), data.hex()))
        for b in strip_telnet(data, state):
            c = bytes([b])
            if (c in (b"\n", b"\0")) and last_cr:
                last_cr = False
                continue
            last_cr = c == b"\r"
            if c not in (b"\r", b"\n"):
                buf += c
                continue
            line, buf = buf.decode("latin-1"), b""
            if line == "":
                reply = b"SOLPEER READY banner\r\n"
            elif line.startswith("big ") and line[4:].isdigit():
                n = int(line[4:])
                reply = b"".join(b"%04d %s\r\n" % (i, b"abcdefghijklmnopqrstuvwxyz0123456789" * 2 + b"ABCDEFG")
                                 for i in range(n)) + b"BIG DONE %d\r\n" % n
            else:
                reply = b"ECHO:" + line.upper().encode("latin-1") + b"\r\n"
            conn.sendall(reply)
            log.write("tx %d bytes\n" % len(reply))
EOF
"$python" "$tmp/peer.py" "$peer_port" "$tmp/peer.log" >"$tmp/peer.err" 2>&1 &
peer_pid=$!
# ipmi_sim connects once at start-up and then only every 10 s: the peer must listen first.
for _ in $(seq 50); do grep -q listening "$tmp/peer.log" 2>/dev/null && break; sleep 0.1; done
grep -q listening "$tmp/peer.log" 2>/dev/null || fail "the serial peer listens on $peer_port: $(cat "$tmp/peer.err")"

# ---- ipmi_sim ----------------------------------------------------------------------------------
cat >"$tmp/lan.conf" <<EOF
# sol_console_test.sh: LAN channel 1 on 127.0.0.1:$lan_port, SOL to the peer on $peer_port.
name "solsim"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 $lan_port
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid a123456789abcdefa123456789abcdef
  endlan
  sol "telnet:127.0.0.1:$peer_port" 115200
  user 1 true    ""        "test" user   10       none md2 md5 straight
  user 2 true    "$user"   "$pass" admin  10       none md2 md5 straight
EOF
cat >"$tmp/bmc.emu" <<'EOF'
mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02
mc_enable 0x20
EOF
mkdir "$tmp/state"
ipmi_sim -c "$tmp/lan.conf" -f "$tmp/bmc.emu" -s "$tmp/state" -p -n >"$tmp/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 50); do grep -q connected "$tmp/peer.log" && break; sleep 0.1; done
grep -q connected "$tmp/peer.log" || fail "ipmi_sim connects to the serial peer within 5 s"
kill -0 "$sim_pid" 2>/dev/null || fail "ipmi_sim runs"
ok "ipmi_sim on 127.0.0.1:$lan_port connected to the serial peer on $peer_port"

ipmi=(ipmitool -I lanplus -C 3 -H 127.0.0.1 -p "$lan_port" -U "$user" -P "$pass")
q() { printf '%q ' "$@"; }  # a command line for `run` (sh -c)

# ---- 1-3: a session, a refused second one, ~. ---------------------------------------------------
burst=30  # lines of 86 bytes: 2,580 bytes + "BIG DONE 30\r\n" = 2,593 (ipmi_sim: 12 SOL packets)
second="out=\$($(q timeout 20 "${ipmi[@]}" sol activate) 2>&1); rc=\$?; echo \"rc=\$rc \$out\";"
second+=" echo \"\$out\" | grep -q 'SOL payload already active on another session'"
if "$python" "$driver" --raw --log "$tmp/session1.raw" --timeout 10 --total 90 \
  expect '\[SOL Session operational\.  Use ~\? for help\]' \
  send '' expect 'SOLPEER READY banner\r\n' \
  send 'hello over sol' expect 'ECHO:HELLO OVER SOL\r\n' \
  run:25 "$second" \
  send "big $burst" expect:20 "BIG DONE $burst\r\n" \
  escape expect 'terminated ipmitool' expect-exit 0 \
  -- "${ipmi[@]}" sol activate >"$tmp/session1.txt" 2>&1; then
  cat "$tmp/session1.txt"
  ok "sol activate: operational, banner, echo, a second activation refused, a $burst-line burst, ~. exits 0"
else
  cat "$tmp/session1.txt"
  fail "the first SOL session"
fi
# The burst arrived whole and in order (the driver's log is the raw pty output).
"$python" - "$tmp/session1.raw" "$burst" <<'EOF' || fail "the burst arrived whole and in order"
import re, sys
text = open(sys.argv[1], "rb").read().decode("latin-1")
n = int(sys.argv[2])
got = re.findall(r"^(\d{4}) (\S+)\r$", text, re.M)
want = [("%04d" % i, "abcdefghijklmnopqrstuvwxyz0123456789" * 2 + "ABCDEFG") for i in range(n)]
if got != want:
    print("burst lines: got %d, first difference at %s" % (len(got),
          next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))))
    sys.exit(1)
EOF
ok "the $burst-line burst ($((burst * 86)) bytes) arrived whole and in order"

# ---- 4: the payload is free again ---------------------------------------------------------------
if "$python" "$driver" --raw --timeout 10 --total 40 \
  expect 'SOL Session operational' send 'again' expect 'ECHO:AGAIN' escape expect-exit 0 \
  -- "${ipmi[@]}" sol activate >"$tmp/session2.txt" 2>&1; then
  ok "after ~. the payload can be activated again"
else
  cat "$tmp/session2.txt"
  fail "a second SOL session after ~."
fi

# ---- 5: sol deactivate of an inactive payload ---------------------------------------------------
# ipmi_sim 2.0.33 answers Deactivate Payload of an inactive SOL instance with cc 80, which
# ipmitool 1.8.19 prints as "Info: SOL payload already de-activated", exiting 1 (seen live).
deact_rc=0
deact=$(timeout 20 "${ipmi[@]}" sol deactivate 2>&1) || deact_rc=$?
echo "   sol deactivate (inactive): exit $deact_rc: $deact"
echo "$deact" | grep -q 'SOL payload already de-activated' ||
  fail "sol deactivate of the inactive payload prints 'SOL payload already de-activated'"
[ "$deact_rc" = 1 ] || fail "sol deactivate of the inactive payload exits 1 (got $deact_rc)"
ok "sol deactivate of an inactive payload: 'SOL payload already de-activated' (exit $deact_rc)"

# ---- 6: the driver fails when it should ---------------------------------------------------------
neg_rc=0
"$python" "$driver" --raw --timeout 3 --total 30 \
  expect 'SOL Session operational' sendraw 'x\x01\r' expect 'this never appears' \
  -- "${ipmi[@]}" sol activate >"$tmp/negative.txt" 2>&1 || neg_rc=$?
[ "$neg_rc" = 1 ] || { cat "$tmp/negative.txt"; fail "sol_console.py exits 1 on an unmatched expect (got $neg_rc)"; }
if ! grep -q "^FAIL expect 'this never appears'" "$tmp/negative.txt" ||
  ! grep -q 'ECHO:X\\x01\\r\\n' "$tmp/negative.txt"; then
  cat "$tmp/negative.txt"
  fail "sol_console.py names the failed step and shows the output, control characters visible"
fi
ok "sol_console.py: an unmatched expect fails (exit 1) and shows the output (ECHO:X\\x01\\r\\n)"
# ipmitool was killed by PID (SIGTERM) without ~.: the payload stays active in ipmi_sim until
# its session times out, so nothing more is activated here.
kill -0 "$sim_pid" 2>/dev/null || fail "ipmi_sim still runs"
echo "PASS"
exit 0
