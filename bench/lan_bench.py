#!/usr/bin/env python3
"""Measures IPMI over LAN: ipmikit-bmc beside ipmi_sim's LAN and pyghmi's BMC, in the same run
on the same machine, all driven by ipmikit-load-lan; writes the "IPMI over LAN" section of
docs/performance.md.

For each BMC and configuration, one BMC process is started on 127.0.0.1, then ipmikit-load-lan
runs twice against it: authenticated requests (N sessions logged in, Get Device ID one
outstanding per session, warm-up then measured) and session setups (--setup-only: Open
Session, RAKP 1-4, Close Session, again). The BMC's CPU time over the measured phase
(/proc/PID/stat) gives its requests (or setups) per CPU-second: the per-core figure, fair
between a BMC that used one core and one that used less.

  ipmikit-bmc  one process, N VMs ([vm NAME] sections) on the shared [bmc] lan port, session i
               logged in as admin@vm(i mod N); 1, 100 and 1,000 VMs with as many sessions;
               suite 3 (the only one the others serve) and 17; and 1 VM with the sessions the
               others get, for the side-by-side ratios.
  ipmi_sim     OpenIPMI's simulator (Debian openipmi): one process is one BMC, suite 3; one
               VM, as many sessions as its session table takes (--sim-sessions).
  pyghmi       pyghmi.ipmi.bmc.Bmc (VirtualBMC's engine) under /usr/bin/python3 (Debian
               python3-pyghmi), one BMC per port, suite 3; one VM, --compare-sessions sessions.

    cmake --preset release-fleet && ninja -C build/release-fleet ipmikit-bmc ipmikit-load-lan
    python3 bench/lan_bench.py --repetitions 3           # writes the section
    python3 bench/lan_bench.py --quick --no-write         # a look: 1 s runs, 1 repetition

The section sits between `<!-- lan_bench.py:begin -->` and `<!-- lan_bench.py:end -->`;
bench/perf_table.py keeps it. Standard library only.
"""

import argparse
import datetime
import json
import os
import pathlib
import resource
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from bench_common import (LAN_BEGIN, LAN_END, ROOT, add_run_file_arguments, cpu_model, insert_before_goals,
                          replace_section)

PASSWORD = "s3cret-pass"
PYGHMI_GOAL = 10   # ipmikit / pyghmi's BMC, requests per second (the LAN issue)
SIM_GOAL = 2       # ipmikit / ipmi_sim, requests per CPU-second (per core)

PYGHMI_BMC = r'''
import sys
import pyghmi.ipmi.bmc as bmc

class DeviceIdBmc(bmc.Bmc):
    """pyghmi's Bmc answers Get Device ID itself (handle_raw_request); power is stubbed."""
    def get_power_state(self):
        return "off"

port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
DeviceIdBmc({user: password}, port=port, address="127.0.0.1")
print("ready", flush=True)
DeviceIdBmc.listen(timeout=30)
'''

SIM_CONF = """name "lanbench"
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
  #    num enabled name      passwd priv  max-sess auths
  user 2 true    "admin" "{password}" admin  {sessions}  none md2 md5 straight
"""

SIM_EMU = """mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02
mc_enable 0x20
"""


def log(*a):
    print("lan_bench:", *a, file=sys.stderr, flush=True)


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (need, max(hard, need)))
        except (ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def udp_bound(port):
    """127.0.0.1:port (or 0.0.0.0) has an unconnected UDP socket."""
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


class Server:
    """One BMC process; stop() ends it (SIGTERM, then SIGKILL)."""

    def __init__(self, kind, vms, port, tmp, args):
        self.kind, self.vms, self.port = kind, vms, port
        self.log_path = tmp / f"{kind}-{vms}.log"
        logf = open(self.log_path, "w")
        if kind == "ipmikit":
            conf = tmp / f"ipmikit-{vms}.conf"
            lines = ["[bmc]", f"lan = 127.0.0.1:{port}", ""]
            for i in range(vms):
                lines += [f"[vm vm{i}]", f"listen = unix:{tmp}/vm{i}.sock", "user2 = admin administrator",
                          f"user2_password = {PASSWORD}", ""]
            conf.write_text("\n".join(lines))
            cmd = [str(args.bmc), "--config", str(conf)]
        elif kind == "ipmi_sim":
            d = tmp / "sim"
            (d / "state").mkdir(parents=True, exist_ok=True)
            (d / "lan.conf").write_text(SIM_CONF.format(port=port, password=PASSWORD, sessions=args.sim_sessions))
            (d / "bmc.emu").write_text(SIM_EMU)
            cmd = ["ipmi_sim", "-c", str(d / "lan.conf"), "-f", str(d / "bmc.emu"), "-s", str(d / "state"), "-p", "-n"]
        else:
            script = tmp / "pyghmi_bmc.py"
            script.write_text(PYGHMI_BMC)
            cmd = [args.pyghmi_python, str(script), str(port), "admin", PASSWORD]
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{kind} exited at start: {self.log_path.read_text()[-2000:]}")
            if udp_bound(port) and (kind != "ipmikit" or "event=ready" in self.log_path.read_text()):
                return
            time.sleep(0.05)
        raise RuntimeError(f"{kind} did not start: {self.log_path.read_text()[-2000:]}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run_load(args, server, sessions, suite, setup_only):
    user = "admin@vm%d" if server.kind == "ipmikit" else "admin"
    cmd = [str(args.load), "--lan", f"127.0.0.1:{server.port}", "--sessions", str(sessions),
           "--vms", str(server.vms), "--user-format", user, "--password", PASSWORD, "--suite", str(suite),
           "--duration", str(args.duration), "--warmup", str(args.warmup), "--server-pid", str(server.proc.pid),
           "--login-timeout", "20", "--json"]
    if setup_only:
        cmd.append("--setup-only")
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    try:
        r = json.loads(p.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        r = {"error": p.stderr.strip()[-500:]}
    r["exit"] = p.returncode
    if p.returncode != 0:
        log(f"  exit {p.returncode}: {p.stderr.strip()[-300:]}")
    return cmd, r


def configurations(args):
    """(bmc, vms, sessions, suites)."""
    out = []
    if not args.only or "ipmikit" in args.only:
        out.append(("ipmikit", 1, args.compare_sessions, [3, 17]))
        for n in args.vms:
            out.append(("ipmikit", n, n, [3, 17]))
    if not args.only or "ipmi_sim" in args.only:
        out.append(("ipmi_sim", 1, args.sim_sessions, [3]))
    if not args.only or "pyghmi" in args.only:
        out.append(("pyghmi", 1, args.compare_sessions, [3]))
    return out


def measure(args):
    raise_nofile(4 * max(args.vms + [args.compare_sessions]) + 256)
    results = []
    commands = {}
    port = args.port
    with tempfile.TemporaryDirectory(prefix="lan_bench.") as t:
        tmp = pathlib.Path(t)
        for rep in range(args.repetitions):
            for kind, vms, sessions, suites in configurations(args):
                port += 1
                server = Server(kind, vms, port, tmp, args)
                try:
                    for suite in suites:
                        for setup_only in (False, True):
                            cmd, r = run_load(args, server, sessions, suite, setup_only)
                            r.update(bmc=kind, vms=vms, sessions=sessions, suite=suite,
                                     mode="setups" if setup_only else "requests", repetition=rep)
                            commands[kind] = shlex.join(server.cmd[:1] + ["…"])
                            rate = r.get("setups_per_second" if setup_only else "requests_per_second", 0)
                            log(f"rep {rep + 1}/{args.repetitions} {kind} vms={vms} sessions={sessions} suite={suite} "
                                f"{r['mode']}: {rate:,.0f}/s, BMC {r.get('server_ops_per_cpu_second', 0):,.0f} per CPU-s, "
                                f"failures {r.get('failures', '?')}")
                            results.append(r)
                finally:
                    server.stop()
    return results


def summarise(results):
    """{(bmc, vms, sessions, suite, mode): {rate, rate_min, rate_max, per_cpu, …}} medians."""
    groups = {}
    for r in results:
        groups.setdefault((r["bmc"], r["vms"], r["sessions"], r["suite"], r["mode"]), []).append(r)
    out = {}
    for key, rs in groups.items():
        rate_key = "setups_per_second" if key[4] == "setups" else "requests_per_second"
        rates = [r.get(rate_key, 0) for r in rs]
        per_cpu = [r.get("server_ops_per_cpu_second", 0) for r in rs]
        out[key] = {
            "rate": statistics.median(rates), "rate_min": min(rates), "rate_max": max(rates),
            "per_cpu": statistics.median(per_cpu), "per_cpu_min": min(per_cpu), "per_cpu_max": max(per_cpu),
            "p50": statistics.median(r.get("latency_p50_us", 0) for r in rs),
            "p99": statistics.median(r.get("latency_p99_us", 0) for r in rs),
            "load_us": statistics.median(r.get("load_cpu_us_per_op", 0) for r in rs),
            "failures": sum(int(r.get("failures", 0)) + (1 if r.get("exit") else 0) for r in rs),
            "runs": len(rs),
        }
    return out


def fmt_rate(s):
    spread = f" ({s['rate_min']:,.0f}–{s['rate_max']:,.0f})" if s["runs"] > 1 else ""
    return f"{s['rate']:,.0f}{spread}"


def fmt_cpu(s):
    spread = f" ({s['per_cpu_min']:,.0f}–{s['per_cpu_max']:,.0f})" if s["runs"] > 1 else ""
    return f"{s['per_cpu']:,.0f}{spread}"


def us(v):
    return f"{v / 1000:.2f} ms" if v >= 1000 else f"{v:.0f} µs"


def ratio(a, b, goal):
    if not a or not b:
        return "–"
    x = a / b
    mark = "" if goal is None else (" ✅" if x >= goal else " ❌")
    return f"{x:.1f}×{mark}"


def render(data):
    s = summarise(data["results"])
    a = data["args"]
    lines = []
    w = lines.append
    w(LAN_BEGIN)
    w("## IPMI over LAN (ipmikit-bmc beside ipmi_sim and pyghmi's BMC)")
    w("")
    w("Authenticated requests per second and RMCP+ session setups per second, each BMC on")
    w("127.0.0.1 driven by `ipmikit-load-lan` (`apps/ipmikit-load-lan/main.cpp`: one thread,")
    w("epoll, one UDP socket and one `lan::client` per session, one request outstanding per")
    w("session; Get Device ID). A setup is Open Session, RAKP 1-4 and Close Session, each from")
    w("a new source port. All three BMCs measured in the same run on the same 2-core machine,")
    w("with the load generator on it too: requests/s is what the BMC achieved beside its load")
    w("generator; **per CPU-second** divides by the BMC process's own CPU time over the")
    w("measured phase (`/proc/PID/stat`), the per-core figure. Generated by `bench/lan_bench.py`;")
    w("do not edit by hand.")
    w("")
    w(f"- Command: `{data['command']}`")
    w(f"- Date: {data['date']}; CPU: {data['cpu']} ({os.cpu_count()} logical CPUs); load average at start: {data['loadavg']}")
    w(f"- Per line: {a['repetitions']} run(s) of {a['warmup']} s warm-up + {a['duration']} s measured; the median, "
      "with the lowest and highest run in parentheses")
    w("- ipmikit-bmc: one process, N VMs on the shared `[bmc] lan` port, session i logs in as "
      "`admin@vm(i mod N)`; ipmi_sim: Debian openipmi, one process = one BMC, suite 3 only; "
      "pyghmi: `pyghmi.ipmi.bmc.Bmc` under `/usr/bin/python3` (Debian python3-pyghmi), suite 3 only")
    w("")
    w("| BMC | VMs | sessions | suite | requests/s | requests per BMC CPU-second | p50 | p99 | setups/s | setups per BMC CPU-second | failures |")
    w("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    keys = sorted({k[:4] for k in s}, key=lambda k: (["ipmikit", "ipmi_sim", "pyghmi"].index(k[0]), k[1], k[2], k[3]))
    for k in keys:
        rq = s.get(k + ("requests",))
        st = s.get(k + ("setups",))
        fails = (rq["failures"] if rq else 0) + (st["failures"] if st else 0)
        w(f"| {k[0]} | {k[1]:,} | {k[2]:,} | {k[3]} | {fmt_rate(rq) if rq else '–'} | {fmt_cpu(rq) if rq else '–'} | "
          f"{us(rq['p50']) if rq else '–'} | {us(rq['p99']) if rq else '–'} | {fmt_rate(st) if st else '–'} | "
          f"{fmt_cpu(st) if st else '–'} | {fails} |")
    w("")
    cs = a["compare_sessions"]
    ik = lambda mode, n=cs: s.get(("ipmikit", 1, n, 3, mode))
    py = lambda mode: s.get(("pyghmi", 1, cs, 3, mode))
    sim = lambda mode: s.get(("ipmi_sim", 1, a["sim_sessions"], 3, mode))
    w(f"Ratios, suite 3, one VM (ipmikit and pyghmi with {cs} sessions, ipmi_sim with {a['sim_sessions']}):")
    w("")
    w("| | requests/s | requests per BMC CPU-second | setups/s | setups per BMC CPU-second |")
    w("|---|--:|--:|--:|--:|")
    for name, other, goal_rate, goal_cpu in (("ipmikit / pyghmi", py, PYGHMI_GOAL, None),
                                            ("ipmikit / ipmi_sim", sim, None, SIM_GOAL)):
        cells = []
        for mode in ("requests", "setups"):
            a_, b_ = ik(mode, cs if other is py else a["sim_sessions"]), other(mode)
            cells.append(ratio(a_ and a_["rate"], b_ and b_["rate"], goal_rate if mode == "requests" else None))
            cells.append(ratio(a_ and a_["per_cpu"], b_ and b_["per_cpu"], goal_cpu if mode == "requests" else None))
        w(f"| {name} | " + " | ".join(cells) + " |")
    w("")
    big = s.get(("ipmikit", max(a["vms"]), max(a["vms"]), 3, "requests"))
    if big:
        w(f"Goals (the LAN issue): ≥ {PYGHMI_GOAL}× pyghmi's BMC, ≥ {SIM_GOAL}× ipmi_sim per core, "
          f"{max(a['vms']):,} concurrent sessions across {max(a['vms']):,} VMs: the last held with "
          f"{big['failures']} failures at {big['rate']:,.0f} requests/s.")
        w("")
    w("Reading it: the load generator needs about as much CPU per request as ipmikit-bmc (both do")
    w("the same HMAC and AES work), so on 2 shared cores requests/s is bounded by the pair, not by")
    w("the BMC alone; requests per BMC CPU-second is the BMC's own cost. ipmi_sim is given as many")
    w("sessions as its user's `max-sess` in the generated lan.conf (`--sim-sessions`). A failure")
    w("counted for pyghmi's BMC is a login whose answer came after the 1 s timeout (the generator")
    w("then starts that login over; the late answer is counted as `ignored`).")
    w("")
    for note in data.get("notes", []):
        w(note)
        w("")
    w(LAN_END)
    return "\n".join(lines) + "\n"


def write_section(path, section):
    old = path.read_text() if path.exists() else "# Performance\n"
    replaced = replace_section(old, LAN_BEGIN, LAN_END, section)
    return replaced if replaced is not None else insert_before_goals(old, section)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    build = ROOT / "build" / "release-fleet" / "apps"
    ap.add_argument("--bmc", type=pathlib.Path, default=build / "ipmikit-bmc")
    ap.add_argument("--load", type=pathlib.Path, default=build / "ipmikit-load-lan")
    ap.add_argument("--pyghmi-python", default="/usr/bin/python3", help="a python3 that has pyghmi")
    ap.add_argument("--vms", type=int, nargs="+", default=[1, 100, 1000])
    ap.add_argument("--compare-sessions", type=int, default=10, help="sessions for the 1-VM comparison")
    ap.add_argument("--sim-sessions", type=int, default=10, help="sessions ipmi_sim gets (its user's max-sess)")
    ap.add_argument("--only", nargs="+", choices=["ipmikit", "ipmi_sim", "pyghmi"])
    ap.add_argument("--duration", type=float, default=2.0)
    ap.add_argument("--warmup", type=float, default=0.5)
    ap.add_argument("--repetitions", type=int, default=1)
    ap.add_argument("--port", type=int, default=26230, help="UDP ports from here + 1")
    ap.add_argument("--quick", action="store_true", help="1 s runs, 0.2 s warm-up")
    ap.add_argument("--no-write", action="store_true")
    add_run_file_arguments(ap, "the raw runs (JSON)")
    args = ap.parse_args()
    if args.quick:
        args.duration, args.warmup = 1.0, 0.2
    if args.from_json:
        data = json.loads(args.from_json.read_text())
    else:
        for p in (args.bmc, args.load):
            if not p.exists():
                sys.exit(f"lan_bench: {p} is missing (cmake --preset release-fleet; ninja -C build/release-fleet "
                         "ipmikit-bmc ipmikit-load-lan)")
        loadavg = ", ".join(pathlib.Path("/proc/loadavg").read_text().split()[:3])
        results = measure(args)
        data = {
            "command": "python3 bench/lan_bench.py " + shlex.join(sys.argv[1:]),
            "date": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
            "cpu": cpu_model(), "loadavg": loadavg,
            "args": {k: (str(v) if isinstance(v, pathlib.Path) else v) for k, v in vars(args).items()},
            "results": results,
        }
        if args.save_json:
            args.save_json.write_text(json.dumps(data, indent=1))
    section = render(data)
    if args.no_write:
        print(section)
    else:
        args.out.write_text(write_section(args.out, section))
        log("wrote", args.out)
    bad = sum(int(r.get("failures", 0)) for r in data["results"])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
