#!/usr/bin/env python3
"""Measures Serial over LAN end to end: characters/s of serial output reaching a real SOL console
(`ipmitool -I lanplus sol activate` in a pty) through ipmikit-bmc, beside a plain socket relay
of the same bytes and OpenIPMI's ipmi_sim; writes the "Serial over LAN through ipmikit-bmc"
section of docs/performance.md.

Every run starts its own processes on 127.0.0.1 and stops them by PID:

  ipmikit   this script is the VM's serial port: a UNIX listening socket (what QEMU's
            `-chardev socket,server=on` is); ipmikit-bmc (`serial = unix:PATH`) connects to it.
            ipmitool `-C 17` (and `-C 3`) `sol activate` runs in a raw pty; once it says
            "[SOL Session operational…]" the script writes the payload into the socket as fast
            as it takes it and reads the pty until the end marker.
  relay     the same socket and pty, joined by a minimal relay (Python: connect, then read 64 KiB
            → write to its stdout, the pty): the ceiling for "just moving the bytes".
  ipmi_sim  Debian openipmi's simulator, `sol "telnet:127.0.0.1:PORT" 115200`: ipmi_sim connects
            to this script's TCP listener (its serial port; telnet mode: the payload holds no FF
            byte) and ipmitool `-C 3` (the only suite it serves) activates SOL.

The payload is lines of printable ASCII ending CR LF (SOL is 8-bit clean, and with the pty raw
nothing is translated), then an end marker. characters/s = characters received / (time the
end marker, or the last character, arrived − time the first byte was written). Received bytes
are compared with the sent ones: the count, and SHA-256 when the count is the same. ipmikit-bmc
drops, by design, what does not fit its 64 KiB SOL buffer while the console is slower than the
VM (the next packet says "transmit overrun"); so a writer that never waits loses characters, and
the loss is reported. When it does, a paced writer (4 KiB every 4 KiB/rate seconds) is also run
at fractions of the delivered rate until one loses nothing: the highest lossless rate found.

    cmake --preset release-fleet && ninja -C build/release-fleet ipmikit-bmc
    python3 bench/sol_bench.py --repetitions 3           # writes the section
    python3 bench/sol_bench.py --quick --no-write         # a look: 512 KiB, 1 repetition

The section sits between `<!-- sol_bench.py:begin -->` and `<!-- sol_bench.py:end -->`, right
after bench/sol_bench.cpp's; bench/perf_table.py keeps it. Standard library only.
"""

import argparse
import datetime
import errno
import hashlib
import json
import os
import pathlib
import pty
import re
import select
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tty

from bench_common import (ROOT, SOL_END, SOLPY_BEGIN, SOLPY_END, add_run_file_arguments, cpu_model,
                          insert_before_goals, replace_section)

PASSWORD = "sol-bench-pass"
# What the console prints before the payload, up to its end of line (ipmitool prints it with a
# bare "\n": the pty is raw, so nothing adds a CR).
BANNER = {"ipmikit": b"[SOL Session operational.  Use ~? for help]\n",
          "ipmi_sim": b"[SOL Session operational.  Use ~? for help]\n",
          "relay": b"[relay operational]\r\n"}
CLK_TCK = os.sysconf("SC_CLK_TCK")
MIN_CPU = 0.05  # seconds: below this a CPU-time figure is mostly tick rounding (shown as –)

RELAY = r'''
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
os.write(1, b"[relay operational]\r\n")
while True:
    b = s.recv(65536)
    if not b:
        break
    v = memoryview(b)
    while v:
        v = v[os.write(1, v):]
'''

SIM_CONF = """name "solbench"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 {port}
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid a123456789abcdefa123456789abcdef
  endlan
  sol "telnet:127.0.0.1:{peer}" 115200
  user 2 true    "admin" "{password}" admin  10  none md2 md5 straight
"""

SIM_EMU = """mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02
mc_enable 0x20
"""


def log(*a):
    print("sol_bench:", *a, file=sys.stderr, flush=True)


def make_payload(size):
    """`size` bytes (rounded up to whole lines) of 80-character lines "NNNNNNNN text\\r\\n",
    printable ASCII only (no FF for telnet mode, no '~'), and the end marker."""
    alphabet = bytes(range(0x21, 0x7E))  # '!'..'}': printable, without '~' and DEL
    lines = []
    n = 0
    i = 0
    while n < size:
        k = i % len(alphabet)
        body = (alphabet[k:] + alphabet[:k])[:69]
        line = b"%08d %s\r\n" % (i, body)
        lines.append(line)
        n += len(line)
        i += 1
    return b"".join(lines), b"SOLBENCH-END-%08x\r\n" % (os.getpid() ^ int(time.time()))


def cpu_seconds(pid):
    """utime + stime of `pid` (/proc/PID/stat), seconds; None when it is gone."""
    try:
        f = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(f[11]) + int(f[12])) / CLK_TCK


def stop(proc, grace=3.0):
    """SIGTERM, then SIGKILL, by PID."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def udp_bound(port):
    try:
        lines = pathlib.Path("/proc/net/udp").read_text().splitlines()[1:]
    except OSError:
        return False
    for line in lines:
        f = line.split()
        addr, p = f[1].split(":")
        if int(p, 16) == port and addr in ("0100007F", "00000000") and f[3] == "07":
            return True
    return False


def wait_until(what, cond, timeout, proc=None, logfile=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.02)
    tail = logfile.read_text()[-1500:] if logfile and logfile.exists() else ""
    raise RuntimeError(f"{what} (within {timeout} s) {tail}")


def accept(listener, timeout, what):
    r, _, _ = select.select([listener], [], [], timeout)
    if not r:
        raise RuntimeError(f"nobody connected to {what} within {timeout} s")
    conn, _ = listener.accept()
    conn.setblocking(False)
    return conn


class Console:
    """A program in a raw pty (its stdin, stdout, stderr), the output read by `read()`."""

    def __init__(self, cmd, logf):
        self.master, slave = pty.openpty()
        tty.setraw(slave)
        self.proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                                     close_fds=True)
        os.close(slave)
        os.set_blocking(self.master, False)
        self.out = bytearray()
        self.logf = logf

    def read(self):
        """What is there now (b"" for nothing yet; None at end of output)."""
        try:
            b = os.read(self.master, 1 << 16)
        except BlockingIOError:
            return b""
        except OSError as e:
            if e.errno == errno.EIO:
                return None
            raise
        return b if b else None

    def expect(self, marker, timeout):
        """Reads until `marker`; the bytes after it stay in self.out."""
        deadline = time.monotonic() + timeout
        while marker not in self.out:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                raise RuntimeError(f"no {marker!r} from {self.proc.args[0]} within {timeout} s: "
                                   f"{bytes(self.out[-500:])!r}")
            select.select([self.master], [], [], min(left, 0.1))
            b = self.read()
            if b:
                self.out += b
        self.out = self.out[self.out.index(marker) + len(marker):]

    def close(self, escape):
        if escape and self.proc.poll() is None:
            try:
                os.write(self.master, b"\r~.")
            except OSError:
                pass
            deadline = time.monotonic() + 5
            while self.proc.poll() is None and time.monotonic() < deadline:
                select.select([self.master], [], [], 0.1)
                if self.read() is None:
                    break
        try:
            self.proc.wait(2)
        except subprocess.TimeoutExpired:
            pass
        stop(self.proc)
        os.close(self.master)


def transfer(serial, console, payload, end, rate, args, watch):
    """Writes payload + end into `serial` (rate: bytes/s in 4 KiB chunks, None: as fast as it
    takes them) and reads `console` until the end marker, or until nothing arrived for
    --idle seconds after the last write. `watch`: {name: pid} whose CPU time is taken."""
    data = memoryview(payload + end)
    sent = 0
    got = bytearray(console.out)
    t_first = t_last = None
    cpu0 = {}
    deadline = time.monotonic() + args.timeout
    chunk = 4096
    next_write = time.monotonic()
    last_rx = time.monotonic()
    end_seen = False
    while True:
        now = time.monotonic()
        if now > deadline:
            log(f"  timeout after {args.timeout} s: {sent} sent, {len(got)} received")
            break
        want_write = sent < len(data) and (rate is None or now >= next_write)
        timeout = 0.05
        if rate is not None and sent < len(data) and not want_write:
            timeout = max(0.0, min(timeout, next_write - now))
        r, w, _ = select.select([console.master, serial], [serial] if want_write else [], [], timeout)
        if w:
            n_max = chunk if rate is not None else 1 << 16
            try:
                n = serial.send(data[sent:sent + n_max])
            except BlockingIOError:
                n = 0
            if n:
                if t_first is None:
                    t_first = time.perf_counter()
                    cpu0 = {k: cpu_seconds(p) for k, p in watch.items()}
                sent += n
                if rate is not None:
                    next_write = max(next_write + n / rate, time.monotonic() - 0.1)
        if serial in r:
            try:
                if serial.recv(65536) == b"":
                    raise RuntimeError("the serial peer closed its connection")
            except BlockingIOError:
                pass
        if console.master in r:
            b = console.read()
            if b is None:
                log("  the console ended")
                break
            if b:
                got += b
                t_last = time.perf_counter()
                last_rx = time.monotonic()
                if end in got[-len(b) - len(end):]:
                    end_seen = True
                    break
        if sent == len(data) and time.monotonic() - last_rx > args.idle:
            break
    cpu1 = {k: cpu_seconds(p) for k, p in watch.items()}
    if end_seen:
        got = got[:got.rindex(end)]
    received = bytes(got)
    cpu = {k: (cpu1[k] - cpu0[k]) if cpu0.get(k) is not None and cpu1[k] is not None else None for k in watch}
    seconds = (t_last - t_first) if t_first is not None and t_last is not None else None
    r = {"sent": len(payload), "received": len(received), "end_seen": end_seen, "seconds": seconds,
         "cpu": cpu, "rate_asked": rate}
    r["identical"] = received == payload
    r["lost"] = len(payload) - len(received)
    if not r["identical"]:
        r.update(check_lines(payload, received))
    r["chars_per_second"] = len(received) / seconds if seconds else 0
    return r


LINE = re.compile(rb"(\d{8}) [^\r\n]*\r\n")


def check_lines(payload, received):
    """For a run that lost characters: how many whole lines arrived intact and in order, and
    whether anything arrived that was never sent (a broken line is where a drop cut in)."""
    sent_lines = payload.split(b"\r\n")
    intact = 0
    last = -1
    disorder = 0
    for m in LINE.finditer(received):
        i = int(m.group(1))
        if i < len(sent_lines) and sent_lines[i] + b"\r\n" == m.group(0):
            intact += 1
            if i <= last:
                disorder += 1
            last = i
    return {"lines_sent": payload.count(b"\r\n"), "lines_intact": intact, "out_of_order": disorder,
            "received_sha256": hashlib.sha256(received).hexdigest()[:16]}


def run_ipmikit(args, tmp, port, suite, payload, end, rate):
    serial_path = tmp / f"vm0-{port}.serial"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(serial_path))
    listener.listen(1)
    conf = tmp / f"ipmikit-{port}.conf"
    conf.write_text("\n".join(["[bmc]", f"lan = 127.0.0.1:{port}", "", "[vm vm0]",
                               f"listen = unix:{tmp}/vm0-{port}.sock", f"serial = unix:{serial_path}",
                               "user2 = admin administrator", f"user2_password = {PASSWORD}", ""]))
    logpath = tmp / f"ipmikit-{port}.log"
    bmc = subprocess.Popen([str(args.bmc), "--config", str(conf)], stdout=open(logpath, "w"),
                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    serial = console = None
    try:
        wait_until("ipmikit-bmc ready", lambda: udp_bound(port) and "event=ready" in logpath.read_text(), 20,
                   bmc, logpath)
        serial = accept(listener, 10, "the serial socket")
        console = Console(sol_activate(port, suite, "admin@vm0"), None)
        console.expect(BANNER["ipmikit"], 20)
        r = transfer(serial, console, payload, end, rate, args, {"bmc": bmc.pid, "console": console.proc.pid})
    finally:
        close_run(console, serial, listener, bmc)
    return r


def sol_activate(port, suite, user):
    """ipmitool's `sol activate` command line for the BMC on 127.0.0.1:port."""
    return ["ipmitool", "-I", "lanplus", "-C", str(suite), "-H", "127.0.0.1", "-p", str(port), "-U", user, "-P",
            PASSWORD, "sol", "activate"]


def close_run(console, serial, listener, bmc):
    """Ends a run: the console with ~., the serial side, the listener, the BMC by its PID."""
    if console:
        console.close(escape=True)
    if serial:
        serial.close()
    listener.close()
    stop(bmc)


def run_relay(args, tmp, port, payload, end, rate):
    serial_path = tmp / f"relay-{port}.serial"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(serial_path))
    listener.listen(1)
    script = tmp / "relay.py"
    script.write_text(RELAY)
    serial = console = None
    try:
        console = Console([sys.executable, str(script), str(serial_path)], None)
        serial = accept(listener, 10, "the serial socket")
        console.expect(BANNER["relay"], 10)
        r = transfer(serial, console, payload, end, rate, args, {"console": console.proc.pid})
    finally:
        if serial:
            serial.close()  # the relay sees end of input and exits
        if console:
            console.close(escape=False)
        listener.close()
    return r


def run_sim(args, tmp, port, payload, end, rate):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    peer = listener.getsockname()[1]
    d = tmp / f"sim-{port}"
    (d / "state").mkdir(parents=True)
    (d / "lan.conf").write_text(SIM_CONF.format(port=port, peer=peer, password=PASSWORD))
    (d / "bmc.emu").write_text(SIM_EMU)
    logpath = d / "sim.log"
    sim = subprocess.Popen(["ipmi_sim", "-c", str(d / "lan.conf"), "-f", str(d / "bmc.emu"), "-s", str(d / "state"),
                            "-p", "-n"], stdout=open(logpath, "w"), stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL)
    serial = console = None
    try:
        serial = accept(listener, 10, "the TCP serial peer (ipmi_sim connects at start)")
        wait_until("ipmi_sim listens", lambda: udp_bound(port), 20, sim, logpath)
        console = Console(sol_activate(port, 3, "admin"), None)
        console.expect(BANNER["ipmi_sim"], 20)
        r = transfer(serial, console, payload, end, rate, args, {"bmc": sim.pid, "console": console.proc.pid})
    finally:
        close_run(console, serial, listener, sim)
    return r


def configurations(args):
    """(name, suite)."""
    out = []
    if not args.only or "relay" in args.only:
        out.append(("relay", None))
    if not args.only or "ipmikit" in args.only:
        out += [("ipmikit", 17), ("ipmikit", 3)]
    if not args.only or "ipmi_sim" in args.only:
        out.append(("ipmi_sim", 3))
    return out


def one_run(args, tmp, port, kind, suite, payload, end, rate):
    if kind == "ipmikit":
        return run_ipmikit(args, tmp, port, suite, payload, end, rate)
    if kind == "relay":
        return run_relay(args, tmp, port, payload, end, rate)
    return run_sim(args, tmp, port, payload, end, rate)


def describe(r):
    s = f"{r['chars_per_second']:,.0f} characters/s, {r['received']:,}/{r['sent']:,} received"
    if r["identical"]:
        s += ", identical"
    else:
        s += f", {r['lost']:,} lost ({r.get('lines_intact', 0):,}/{r.get('lines_sent', 0):,} lines intact)"
    if r["cpu"].get("bmc") is not None and r["seconds"]:
        s += f", BMC CPU {r['cpu']['bmc']:.2f} s, console CPU {r['cpu'].get('console') or 0:.2f} s over {r['seconds']:.2f} s"
    return s


def measure(args):
    payload, end = make_payload(args.size)
    log(f"payload {len(payload):,} bytes ({len(payload) // 80:,} lines of 80)")
    results = []
    port = args.port
    with tempfile.TemporaryDirectory(prefix="sol_bench.") as t:
        tmp = pathlib.Path(t)
        for rep in range(args.repetitions):
            for kind, suite in configurations(args):
                port += 1
                try:
                    r = one_run(args, tmp, port, kind, suite, payload, end, None)
                except RuntimeError as e:
                    r = {"error": str(e)[:500], "sent": len(payload), "received": 0, "identical": False,
                         "chars_per_second": 0, "lost": len(payload), "cpu": {}, "seconds": None, "rate_asked": None}
                r.update(bmc=kind, suite=suite, repetition=rep, mode="full")
                log(f"rep {rep + 1}/{args.repetitions} {kind}{'' if suite is None else f' -C {suite}'} full speed: "
                    + (r.get("error") or describe(r)))
                results.append(r)
        # Paced: for a BMC that lost characters at full speed, fractions of what it delivered:
        # up from 0.9 while nothing is lost, or down from it until nothing is.
        if not args.no_paced:
            for kind, suite in configurations(args):
                full = [r for r in results if r["bmc"] == kind and r["suite"] == suite and r["mode"] == "full"]
                if not full or all(r["identical"] for r in full) or any("error" in r for r in full):
                    continue
                delivered = statistics.median(r["chars_per_second"] for r in full)
                fractions = [0.9]
                while fractions:
                    fraction = fractions.pop(0)
                    rate = delivered * fraction
                    runs = []
                    for rep in range(args.repetitions):
                        port += 1
                        r = one_run(args, tmp, port, kind, suite, payload, end, rate)
                        r.update(bmc=kind, suite=suite, repetition=rep, mode="paced", fraction=fraction)
                        log(f"rep {rep + 1}/{args.repetitions} {kind} -C {suite} paced at {rate:,.0f}/s "
                            f"({fraction:.2f}× delivered): " + describe(r))
                        runs.append(r)
                    results += runs
                    lossless = all(r["identical"] for r in runs)
                    if lossless and fraction >= 0.9 and fraction < max(args.paced_up):
                        fractions = [min(f for f in args.paced_up if f > fraction)]
                    elif not lossless and fraction <= 0.9 and fraction > min(args.paced_down):
                        fractions = [max(f for f in args.paced_down if f < fraction)]
    return results


def summarise(results):
    groups = {}
    for r in results:
        groups.setdefault((r["bmc"], r["suite"], r["mode"], r.get("fraction")), []).append(r)
    out = {}
    for key, rs in groups.items():
        rates = [r["chars_per_second"] for r in rs]
        # CPU time comes in 10 ms ticks: a figure needs at least MIN_CPU of it.
        per_cpu = [r["received"] / r["cpu"]["bmc"] for r in rs if (r["cpu"].get("bmc") or 0) >= MIN_CPU]
        console_cpu = [r["received"] / r["cpu"]["console"] for r in rs if (r["cpu"].get("console") or 0) >= MIN_CPU]
        out[key] = {
            "rate": statistics.median(rates), "rate_min": min(rates), "rate_max": max(rates),
            "per_cpu": statistics.median(per_cpu) if per_cpu else None,
            "console_per_cpu": statistics.median(console_cpu) if console_cpu else None,
            "lost": statistics.median(r["lost"] for r in rs), "lost_max": max(r["lost"] for r in rs),
            "identical": sum(1 for r in rs if r["identical"]), "runs": len(rs),
            "sent": rs[0]["sent"], "rate_asked": rs[0].get("rate_asked"),
            "errors": sum(1 for r in rs if "error" in r),
        }
    return out


def best_lossless(s, kind, suite):
    """The paced line of the highest rate whose every run arrived intact, or None."""
    ok = [v for k, v in s.items() if k[:3] == (kind, suite, "paced") and v["identical"] == v["runs"]]
    return max(ok, key=lambda v: v["rate_asked"]) if ok else None


def si(v):
    if v is None:
        return "–"
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if v >= div:
            return f"{v / div:.3g} {unit}"
    return f"{v:.3g}"


def render(data):
    s = summarise(data["results"])
    a = data["args"]
    lines = []
    w = lines.append
    w(SOLPY_BEGIN)
    w("## Serial over LAN through ipmikit-bmc (real processes: a socket chardev → SOL → ipmitool)")
    w("")
    w("Characters/s of serial output reaching a real SOL console: the VM's serial port is a UNIX")
    w("socket the bench listens on (as QEMU's `-chardev socket,server=on`), ipmikit-bmc connects to")
    w("it (`serial = unix:PATH`), and `ipmitool -I lanplus sol activate` runs in a raw pty the")
    w("bench reads. The bench writes the payload as fast as the socket takes it (lines of")
    w("printable ASCII ending CR LF, then an end marker) and times first byte written → last byte")
    w("read. **relay** is the same socket and pty joined by a minimal relay (Python, 64 KiB reads):")
    w("the ceiling for moving the bytes at all. **ipmi_sim** (Debian openipmi) gets the same bytes")
    w("on its TCP serial port (`sol \"telnet:…\"`), suite 3, the only one it serves. Received bytes")
    w("are compared with the sent ones (count, SHA-256). Generated by `bench/sol_bench.py`; do not")
    w("edit by hand.")
    w("")
    w(f"- Command: `{data['command']}`")
    w(f"- Date: {data['date']}; CPU: {data['cpu']} ({os.cpu_count()} logical CPUs); load average at start: "
      f"{data['loadavg']}; {data.get('ipmitool', 'ipmitool')}")
    w(f"- Payload: {s[next(iter(s))]['sent']:,} characters; per line: {a['repetitions']} run(s), the median, "
      "lowest and highest run in parentheses. Per BMC CPU-second: characters received divided by the BMC "
      "process's CPU time over the transfer (`/proc/PID/stat`, 10 ms ticks); likewise for ipmitool")
    w("")
    w("| path | suite | writer | characters/s | / relay | per BMC CPU-second | per ipmitool CPU-second | received intact | lost (median, max) |")
    w("|---|--:|---|--:|--:|--:|--:|--:|--:|")
    relay = s.get(("relay", None, "full", None))
    order = {"relay": 0, "ipmikit": 1, "ipmi_sim": 2}
    for key in sorted(s, key=lambda k: (order[k[0]], -(k[1] or 99), k[2], -(k[3] or 0))):
        v = s[key]
        kind, suite, mode, fraction = key
        writer = "full speed" if mode == "full" else f"paced {si(v['rate_asked'])}/s ({fraction:.2f}× delivered)"
        spread = f" ({si(v['rate_min'])}–{si(v['rate_max'])})" if v["runs"] > 1 else ""
        ratio = f"{v['rate'] / relay['rate']:.4f}×" if relay and relay["rate"] and kind != "relay" else ("1×" if kind == "relay" else "–")
        lost = "0" if v["lost_max"] == 0 else f"0 ({v['lost_max'] / v['sent']:.1%})" if v["lost"] == 0 else f"{v['lost'] / v['sent']:.1%} ({v['lost_max'] / v['sent']:.1%})"
        w(f"| {kind} | {suite or ''} | {writer} | {si(v['rate'])}{spread} | {ratio} | "
          f"{si(v['per_cpu']) if kind != 'relay' else ''} | {si(v['console_per_cpu']) if kind != 'relay' else ''} | "
          f"{v['identical']}/{v['runs']} | {lost}{' — ' + str(v['errors']) + ' failed' if v['errors'] else ''} |")
    w("")
    sim = s.get(("ipmi_sim", 3, "full", None))
    for suite in (17, 3):
        full = s.get(("ipmikit", suite, "full", None))
        best = best_lossless(s, "ipmikit", suite)
        if not full:
            continue
        text = (f"ipmikit-bmc, suite {suite}: {si(full['rate'])} characters/s delivered at full speed "
                f"({255e6 / full['rate']:.0f} µs a 255-character packet)" if full["rate"] else f"ipmikit-bmc, suite {suite}: nothing delivered")
        if best:
            text += (f"; the highest paced rate that lost nothing: {si(best['rate'])} characters/s"
                     + (f", {si(best['per_cpu'])} characters per BMC CPU-second" if best["per_cpu"] else ""))
        if sim and sim["rate"] and suite == 3:
            ref = best or full
            text += f". Against ipmi_sim (suite 3, lossless at full speed): {ref['rate'] / sim['rate']:.2f}× characters/s"
            if ref["per_cpu"] and sim["per_cpu"]:
                text += f", {ref['per_cpu'] / sim['per_cpu']:.1f}× characters per BMC CPU-second"
        w(text + ".")
        w("")
    w("Why SOL is far below the relay: SOL is stop-and-wait (IPMI v2.0 §15): one packet of at most")
    w("255 characters in flight, the next sent only when the console has ACKed it, so throughput is")
    w("255 characters per round trip (BMC encrypts and sends → ipmitool receives, decrypts, ACKs →")
    w("the BMC reads the ACK), not a bandwidth. ipmitool 1.8.19 also sleeps after every ACK it sends")
    w("(`strace`: one `clock_nanosleep` of 100 µs per packet, about 0.2 ms on this machine with")
    w("timer slack and a busy scheduler, sometimes milliseconds), and writes each line of a packet")
    w("with its own `write()`. Both BMCs are limited by the same console, and neither loses a")
    w("character: ipmi_sim stops reading its serial port while its buffer is full; ipmikit-bmc")
    w("stops reading the VM's socket while its 64 KiB SOL buffer is full *and the console keeps up*")
    w("(flow control, as a UART's CTS: QEMU holds the guest's output). A console that stops")
    w("answering releases the VM after one retry interval (500 ms): from then on the VM is read at")
    w("full speed and what does not fit is dropped and counted (\"transmit overrun\"), so a dead")
    w("console never stalls a guest (docs/ipmikit-bmc.md, \"Serial over LAN\").")
    w("")
    for note in data.get("notes", []):
        w(note)
        w("")
    w(SOLPY_END)
    return "\n".join(lines) + "\n"


def write_section(path, section):
    old = path.read_text() if path.exists() else "# Performance\n"
    replaced = replace_section(old, SOLPY_BEGIN, SOLPY_END, section)
    if replaced is not None:
        return replaced
    if SOL_END in old:  # right after bench/sol_bench.cpp's section
        b = old.index(SOL_END) + len(SOL_END)
        return old[:b] + "\n\n" + section.rstrip("\n") + old[b:]
    return insert_before_goals(old, section)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bmc", type=pathlib.Path, default=ROOT / "build" / "release-fleet" / "apps" / "ipmikit-bmc")
    ap.add_argument("--only", nargs="+", choices=["ipmikit", "ipmi_sim", "relay"])
    ap.add_argument("--size", type=int, default=2 << 20, help="payload bytes (whole 80-byte lines)")
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=180.0, help="limit of one transfer, seconds")
    ap.add_argument("--idle", type=float, default=3.0,
                    help="after the last write, end a transfer when nothing arrived for this long")
    ap.add_argument("--no-paced", action="store_true", help="skip the paced runs")
    ap.add_argument("--paced-up", type=float, nargs="+", default=[1.0, 1.1, 1.25],
                    help="paced rates tried above 0.9× the delivered one while nothing is lost")
    ap.add_argument("--paced-down", type=float, nargs="+", default=[0.75, 0.5, 0.25],
                    help="paced rates tried below 0.9× until nothing is lost")
    ap.add_argument("--port", type=int, default=26330, help="UDP ports from here + 1")
    ap.add_argument("--quick", action="store_true", help="512 KiB, 1 repetition")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--note", action="append", default=[], help="a paragraph added under the table")
    add_run_file_arguments(ap, "the raw runs (JSON)")
    args = ap.parse_args()
    if args.quick:
        args.size, args.repetitions = 512 << 10, 1
    if args.from_json:
        data = json.loads(args.from_json.read_text())
        data["notes"] = args.note or data.get("notes", [])
    else:
        if (not args.only or "ipmikit" in args.only) and not args.bmc.exists():
            sys.exit(f"sol_bench: {args.bmc} is missing (cmake --preset release-fleet; ninja -C build/release-fleet "
                     "ipmikit-bmc)")
        loadavg = ", ".join(pathlib.Path("/proc/loadavg").read_text().split()[:3])
        version = subprocess.run(["ipmitool", "-V"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True, timeout=10).stdout.strip()
        results = measure(args)
        data = {
            "command": "python3 bench/sol_bench.py " + shlex.join(sys.argv[1:]),
            "date": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
            "cpu": cpu_model(), "loadavg": loadavg, "ipmitool": version,
            "args": {k: (str(v) if isinstance(v, pathlib.Path) else v) for k, v in vars(args).items()},
            "results": results, "notes": args.note,
        }
        if args.save_json:
            args.save_json.write_text(json.dumps(data, indent=1))
    section = render(data)
    if args.no_write:
        print(section)
    else:
        args.out.write_text(write_section(args.out, section))
        log("wrote", args.out)
    return 1 if any("error" in r for r in data["results"]) else 0


if __name__ == "__main__":
    sys.exit(main())
