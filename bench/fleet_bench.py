#!/usr/bin/env python3
"""Runs the fleet ipmikit-bmc under ipmikit-load and writes the fleet section of docs/performance.md.

For each number of VMs (default 1,000 and 10,000) and each transport (UNIX sockets, TCP on
127.0.0.1): writes an ipmikit-bmc config with one [vm NAME] section per VM (fleet SPEC), starts
`ipmikit-bmc --config FILE`, waits for `event=ready`, and runs ipmikit-load against it: every
VM connected at once (one emulator session per connection, QEMU's role), held idle to sample
the server's resident memory, then warm-up and measured load (one outstanding request per
connection, as QEMU). The server is stopped with SIGTERM and must exit 0. In the same run,
bench/session_bench's in-memory round trip (roundtrip_small/session: an emulator session and a
BMC session joined in memory) gives the CPU cost of the protocol alone; the server's CPU per
request minus that is the socket and event-loop cost.

    cmake --workflow --preset release-fleet
    python3 bench/fleet_bench.py                 # writes the section into docs/performance.md
    python3 bench/fleet_bench.py --vms 1000 --transports unix --no-write   # a quick look
    python3 bench/fleet_bench.py --from-json run.json                      # re-render a saved run

The section sits between `<!-- fleet_bench.py:begin -->` and `<!-- fleet_bench.py:end -->`;
bench/perf_table.py keeps it when it rewrites the rest of the file. Standard library only.
Needs enough file descriptors (2 per VM in the server, 1 in the load generator): the script
raises RLIMIT_NOFILE for both (as root also the hard limit).
"""

import argparse
import datetime
import json
import os
import pathlib
import re
import resource
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from bench_common import FLEET_BEGIN, FLEET_END, ROOT, add_run_file_arguments, cpu_model, insert_before_goals


RPS_GOAL = 100_000        # requests per second across 1,000 VMs (the fleet issue)
RPS_GOAL_VMS = 1000
RSS_GOAL = 4096           # bytes of resident memory per idle connected VM


def log(*a):
    print("fleet_bench:", *a, file=sys.stderr, flush=True)


FD_SLACK = 64  # descriptors beyond 2 per VM (ipmikit-bmc asks for 2 per VM + 32)


def fds_needed(vms):
    return 2 * vms + FD_SLACK


def raise_nofile(need):
    """Raises RLIMIT_NOFILE (inherited by both programs) towards `need`; returns the new soft
    limit. The hard limit only moves with CAP_SYS_RESOURCE."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, max(hard, need)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def vms_possible(requested):
    """The VM count the descriptor limit allows: `requested`, or the most that fits."""
    limit = raise_nofile(fds_needed(requested))
    if limit >= fds_needed(requested):
        return requested
    return max(1, (limit - FD_SLACK) // 2)


def write_config(path, tmp, vms, transport, port):
    lines = [f"# {vms} VMs for bench/fleet_bench.py", "[bmc]", f"control = {tmp}/ctl.sock"]
    for i in range(vms):
        listen = f"unix:{tmp}/vm{i}.sock" if transport == "unix" else f"127.0.0.1:{port + i}"
        lines += ["", f"[vm vm{i}]", f"listen = {listen}"]
    path.write_text("\n".join(lines) + "\n")


def run_fleet(args, vms, transport):
    """One server start, one ipmikit-load run. Returns the load generator's JSON + extras."""
    with tempfile.TemporaryDirectory(prefix="ipmikit-fleet-", dir="/tmp") as tmp:
        conf = pathlib.Path(tmp) / "fleet.conf"
        write_config(conf, tmp, vms, transport, args.tcp_port)
        logf = pathlib.Path(tmp) / "bmc.log"
        with open(logf, "wb") as out:
            server = subprocess.Popen([str(args.bmc), "--config", str(conf)], stdout=out,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            ready = None
            while time.monotonic() < deadline and server.poll() is None:
                m = re.search(r"^.*event=ready.*$", logf.read_text(errors="replace"), re.M)
                if m:
                    ready = m.group(0)
                    break
                time.sleep(0.05)
            if ready is None:
                raise SystemExit(f"ipmikit-bmc with {vms} VMs ({transport}): no event=ready; log:\n"
                                 + logf.read_text(errors="replace")[-2000:])
            started = time.monotonic()
            spec = (f"unix:{tmp}/vm%d.sock+{vms}" if transport == "unix"
                    else f"127.0.0.1:{args.tcp_port}+{vms}")
            def run_load(what, mode):
                """ipmikit-load against this server, `mode` its --idle or --rate option; its
                JSON figures and exit status."""
                cmd = [str(args.load), "--connect", spec, *mode, "--warmup", str(args.warmup),
                       "--duration", str(args.duration), "--timeout", "5", "--connect-timeout", "60",
                       "--server-pid", str(server.pid), "--json", "--quiet"]
                log(f"{vms} VMs over {transport}{what}: {shlex.join(cmd)}")
                p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                if p.stderr.strip():
                    log(p.stderr.strip())
                figures = json.loads(p.stdout) if p.stdout.strip() else {}
                figures["load_exit"] = p.returncode
                return figures

            result = run_load("", ["--idle", str(args.idle)])
            if args.rate > 0 and server.poll() is None:
                # The same server, an open loop at a fixed rate: latency of one request when the
                # server is not saturated.
                result["at_rate"] = run_load(", open loop", ["--rate", str(args.rate)])
            result["server_ready_line"] = ready
            result["server_alive_after"] = server.poll() is None
            result["wall_seconds"] = round(time.monotonic() - started, 3)
        finally:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
        result["server_exit"] = server.returncode
        result["vms"] = vms
        result["transport"] = transport
        return result


def run_session_bench(args):
    cmd = [str(args.bench), "--benchmark_format=json", "--benchmark_min_time=0.2",
           "--benchmark_repetitions=3", "--benchmark_report_aggregates_only=true",
           "--benchmark_filter=^roundtrip_small/(session|codec)$"]
    log("running:", shlex.join(cmd))
    data = json.loads(subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout)
    out = {}
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = b.get("run_name", b["name"])
        if "items_per_second" in b:
            out[name] = float(b["items_per_second"])
    return cmd, out


def median_run(runs):
    """The run with the median requests per second (its other figures go with it)."""
    ok = sorted(runs, key=lambda r: r.get("requests_per_second", 0))
    return ok[len(ok) // 2]


def rel(path):
    try:
        return str(pathlib.Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def vms_label(r):
    if r.get("vms_requested", r["vms"]) != r["vms"]:
        return f"{r['vms']:,} ({r['vms_requested']:,} requested)¹"
    return f"{r['vms']:,}"


def all_in_rss(results):
    """{(vms, transport): bytes}: the server's idle RSS slope from the next smaller VM count of
    the same transport, (RSS(N) − RSS(M)) / (N − M): what one more configured and connected VM
    costs, whether the server allocates it at start or on connect."""
    out = {}
    for t in {r["transport"] for r in results}:
        rs = sorted((r for r in results if r["transport"] == t and "server_rss_idle_kib" in r),
                    key=lambda r: r["vms"])
        for lo, hi in zip(rs, rs[1:]):
            if hi["vms"] > lo["vms"]:
                out[(hi["vms"], t)] = (hi["server_rss_idle_kib"] - lo["server_rss_idle_kib"]) * 1024 / (hi["vms"] - lo["vms"])
    return out


def render(data):
    lines = []
    w = lines.append
    rt = data["session_bench"].get("roundtrip_small/session")
    rt_us = 1e6 / rt if rt else None
    w(FLEET_BEGIN)
    w("## The fleet over sockets (ipmikit-bmc + ipmikit-load)")
    w("")
    w("One fleet `ipmikit-bmc --config` process serving N VMs, each on its own listen address,")
    w("all connected at once by `ipmikit-load` (`apps/ipmikit-load/main.cpp`: one thread, epoll,")
    w("one `vm::emulator_session` per connection, as QEMU's `ipmi-bmc-extern`). Each connection")
    w("has one request outstanding at a time (QEMU's behaviour; the session allows no more), Get")
    w("Device ID, sent again as soon as its response is checked. Both processes share the")
    w("machine's 2 cores, so the load generator's CPU is part of the budget: requests per second")
    w("are the server's rate with the load generator running beside it. Generated by")
    w("`bench/fleet_bench.py`; do not edit by hand.")
    w("")
    w(f"- Command: `{data['command']}`")
    w(f"- Date: {data['date']}; CPU: {data['cpu']}; load average at start: {data['loadavg']}")
    w(f"- Per configuration: {data['repetitions']} run(s), the median by requests/s shown; each run "
      f"{data['idle']} s idle (memory sample), {data['warmup']} s warm-up, {data['duration']} s measured")
    progs = data.get("programs", {})
    w("- Programs: " + ", ".join(f"{k} `{v}`" for k, v in progs.items())
      + " (preset `release-fleet`: g++ -O2, Release, unless the note says otherwise)")
    if data.get("note"):
        w(f"- Note: {data['note']}")
    w("")
    slopes = all_in_rss(data["results"])
    w("| VMs | transport | requests/s | p50 | p99 | max | server RSS per idle VM: per connection | all in | server CPU per request | load generator CPU per request | failures |")
    w("|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for r in data["results"]:
        rps = r.get("requests_per_second", 0)
        mark = ""
        if r["vms"] == RPS_GOAL_VMS:
            mark = " ✅" if rps >= RPS_GOAL else " ❌"
        per_vm = r.get("server_rss_per_idle_vm_bytes")
        per_vm_text = "–" if per_vm is None else f"{per_vm:,.0f} B{' ✅' if per_vm <= RSS_GOAL else ' ❌'}"
        fails = r.get("failures", "?")
        if r.get("load_exit") != 0 or r.get("server_exit") != 0:
            fails = f"{fails} (load exit {r.get('load_exit')}, server exit {r.get('server_exit')})"
        slope = slopes.get((r["vms"], r["transport"]))
        slope_text = "–" if slope is None else f"{slope:,.0f} B{' ✅' if slope <= RSS_GOAL else ' ❌'}"
        w(f"| {vms_label(r)} | {r['transport']} | {rps:,.0f}{mark} | {r.get('latency_p50_us', 0) / 1e3:.2f} ms | "
          f"{r.get('latency_p99_us', 0) / 1e3:.2f} ms | {r.get('latency_max_us', 0) / 1e3:.2f} ms | "
          f"{per_vm_text} | {slope_text} | {r.get('server_cpu_us_per_request', 0):.2f} µs | "
          f"{r.get('load_cpu_us_per_request', 0):.2f} µs | {fails} |")
    w("")
    if rt_us:
        w("CPU per request against the in-memory session round trip (`roundtrip_small/session` of")
        w("`bench/session_bench.cpp` in the same run: an emulator session and a BMC session joined in")
        w(f"memory, {rt:,.0f} round trips/s = {rt_us * 1e3:.0f} ns each, both sides' protocol work):")
        w("")
        ncpu = data.get("ncpu", 2)
        w(f"| VMs | transport | server CPU per request | in-memory round trip | server / in-memory | socket + event loop cost per request (server − in-memory) | both processes per request | share of the {ncpu} cores the two used | CPU-bound ceiling: {ncpu} cores / both per request |")
        w("|--:|---|--:|--:|--:|--:|--:|--:|--:|")
        for r in data["results"]:
            s = r.get("server_cpu_us_per_request", 0)
            both = s + r.get("load_cpu_us_per_request", 0)
            secs = r.get("seconds", 0)
            share = ((r.get("server_cpu_seconds", 0) + r.get("load_cpu_seconds", 0)) / (secs * ncpu)) if secs else 0
            ceiling = ncpu * 1e6 / both if both else 0
            w(f"| {vms_label(r)} | {r['transport']} | {s:.2f} µs | {rt_us:.3f} µs | {s / rt_us:,.0f}× | "
              f"{s - rt_us:.2f} µs | {both:.2f} µs | {share:.0%} | {ceiling:,.0f} req/s |")
        w("")
        w("The share column shows how much of the machine the server and the load generator got")
        w("during the measured phase; the rest went to other work on this shared machine. The")
        w("ceiling is the rate both would reach with the two cores to themselves at the same CPU")
        w("cost per request (an estimate, not a measurement).")
        w("")
    at_rate = [r for r in data["results"] if r.get("at_rate")]
    if at_rate:
        rate = data.get("rate", 0)
        w(f"Latency of one request when the server is not saturated: the same servers, an open loop")
        w(f"of {rate:,.0f} requests/s in total (`ipmikit-load --rate`), each request sent by the")
        w("connection idle longest and timed from when it was due; the load generator's own lateness")
        w("(timer wake-up on this shared machine) is part of it and shown on its own.")
        w("")
        w("| VMs | transport | requests/s | p50 | p90 | p99 | max | load generator lag p50 / p99 | server CPU per request | failures |")
        w("|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|")
        for r in at_rate:
            a = r["at_rate"]
            fails = a.get("failures", "?")
            if a.get("load_exit") != 0:
                fails = f"{fails} (load exit {a.get('load_exit')})"
            w(f"| {vms_label(r)} | {r['transport']} | {a.get('requests_per_second', 0):,.0f} | "
              f"{a.get('latency_p50_us', 0):,.0f} µs | {a.get('latency_p90_us', 0):,.0f} µs | "
              f"{a.get('latency_p99_us', 0):,.0f} µs | {a.get('latency_max_us', 0):,.0f} µs | "
              f"{a.get('send_lag_p50_us', 0):,.0f} / {a.get('send_lag_p99_us', 0):,.0f} µs | "
              f"{a.get('server_cpu_us_per_request', 0):.2f} µs | {fails} |")
        w("")
    w("Reading the figures:")
    w("")
    w("- Latency is the time from the request's `send()` (open loop: from when it was due) to its")
    w("  checked response, in a fixed log-linear histogram (< 6.25 % bucket error). In the first")
    w("  table every connection is busy all the time (closed loop), so latency ≈ VMs /")
    w("  (requests/s) (Little's law): it measures the queue of ready connections, not one")
    w("  request's path; the open-loop table shows the latter. p99 and max on this shared machine")
    w("  are mostly scheduling delays of the two processes (see the generator's lag).")
    w("- Server RSS per idle VM, per connection: (server VmRSS with every VM connected, each having")
    w("  answered one request, then idle for a moment − VmRSS with the server ready and nothing")
    w("  connected) / VMs. All in: the slope of that idle VmRSS between this VM count and the next")
    w("  smaller one of the same transport, (RSS(N) − RSS(M)) / (N − M), which also counts what the")
    w("  server allocates per VM at start (session buffers, listener). Kernel socket buffers are not")
    w("  in RSS.")
    w("- What all in holds since ipmikit-bmc runs on the BMC core (issue 15): each VM is a whole BMC,")
    w("  `vm_bmc` in apps/ipmikit-bmc/bmc.hpp, 3,144 B at 62bfe50 (g++ 12, x86-64): the VM session")
    w("  728 B, the SDR repository 616 B, the users 576 B, chassis, controller, watchdog and GUIDs")
    w("  320 B, the FRU 160 B, the SEL 120 B, the VM's bookkeeping ~600 B; on the heap only what")
    w("  they hold: the FRU area's ~200-byte image (not 1 KiB), the SEL's records, and the session's")
    w("  2 KiB outbound buffer while output waits — plus the VM's configuration (~0.7 KB). All in")
    w("  was 23.3 KB at f8707ca (the SEL reserved 16 KiB per VM) and 7.0 KB at 9d0dbf7 (the")
    w("  outbound buffer and the FRU area reserved); before the core (d04045a, 2026-12-05) 3.4 KB,")
    w("  a session and no BMC state. Per connection includes the outbound buffers glibc keeps after")
    w("  the connections that had output waiting at once gave them back (hundreds of bytes at")
    w("  1,000 VMs). The load test's all-in limit is 5.5 KiB (`fleet_load_test.sh")
    w("  --rss-limit-all-in`).")
    if any(r.get("vms_requested", r["vms"]) != r["vms"] for r in data["results"]):
        lim = max(r.get("nofile_limit", 0) for r in data["results"])
        w(f"- ¹ The open-file limit of this machine is {lim:,} and cannot be raised (no")
        w("  CAP_SYS_RESOURCE); the server needs a listener and a connection per VM plus a few, so")
        w("  this is the most VMs that fit.")
    w("- CPU: the server's utime + stime from `/proc/PID/stat` (10 ms ticks) and the load")
    w("  generator's `getrusage`, over the measured phase only, divided by the requests answered in")
    w("  it. Most of it is system time: per request each side makes one `recv()` and one `send()`")
    w("  and shares an `epoll_wait()` with the other ready connections.")
    w(f"- Goals (fleet issue): at least {RPS_GOAL:,} requests/s across {RPS_GOAL_VMS:,} VMs, at most "
      f"{RSS_GOAL:,} B resident per idle connected VM (✅/❌ above). The memory goal is also a pass")
    w("  criterion of the 1,000-VM load test (`tests/interop/fleet_load_test.sh`, ctest label")
    w("  `fleet_load`); throughput is only reported here, never asserted in a test.")
    w("")
    w("Reproduce:")
    w("")
    w("```sh")
    w("cmake --workflow --preset release-fleet")
    w("python3 bench/fleet_bench.py   # rewrites this section of docs/performance.md")
    w("```")
    w(FLEET_END)
    return "\n".join(lines) + "\n"


def splice(old, section):
    """Puts the section in place of the old one, or before '## Goals', or at the end."""
    if FLEET_BEGIN in old and FLEET_END in old:
        a = old.index(FLEET_BEGIN)
        b = old.index(FLEET_END) + len(FLEET_END)
        rest = old[b:]
        if rest.startswith("\n"):
            rest = rest[1:]
        return old[:a] + section + rest
    return insert_before_goals(old, section)


def main():
    build = ROOT / "build" / "release-fleet"
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bmc", type=pathlib.Path, default=build / "apps" / "ipmikit-bmc")
    ap.add_argument("--load", type=pathlib.Path, default=build / "apps" / "ipmikit-load")
    ap.add_argument("--bench", type=pathlib.Path, default=build / "bench" / "ipmikit_bench")
    ap.add_argument("--vms", default="1000,10000", help="comma-separated VM counts")
    ap.add_argument("--transports", default="unix,tcp", help="unix, tcp or both")
    ap.add_argument("--tcp-port", type=int, default=20000, help="first TCP port (VM i listens on port + i)")
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--warmup", type=float, default=1)
    ap.add_argument("--idle", type=float, default=2)
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--rate", type=float, default=10000,
                    help="requests/s of the open-loop latency run (0: no such run)")
    add_run_file_arguments(ap, "the run's figures")
    ap.add_argument("--no-write", action="store_true", help="print the section instead of writing it")
    ap.add_argument("--note", default="", help="a line of text for the section (e.g. which server build)")
    args = ap.parse_args()

    if args.from_json:
        data = json.loads(args.from_json.read_text())
    else:
        for p in (args.bmc, args.load, args.bench):
            if not os.access(p, os.X_OK):
                raise SystemExit(f"no program at {p}: cmake --workflow --preset release-fleet")
        data = {
            "command": "python3 bench/fleet_bench.py " + shlex.join(sys.argv[1:]),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "cpu": f"{cpu_model()} ({os.cpu_count()} logical CPUs)",
            "ncpu": os.cpu_count(),
            "loadavg": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
            "repetitions": args.repetitions, "idle": args.idle, "warmup": args.warmup,
            "duration": args.duration, "rate": args.rate,
            "programs": {"ipmikit-bmc": rel(args.bmc), "ipmikit-load": rel(args.load),
                         "ipmikit_bench": rel(args.bench)},
            "note": args.note,
            "results": [], "all_runs": [],
        }
        sess_cmd, data["session_bench"] = run_session_bench(args)
        data["session_bench_command"] = sess_cmd
        for requested in [int(v) for v in args.vms.split(",") if v]:
            vms = vms_possible(requested)
            if vms != requested:
                log(f"{requested} VMs need {fds_needed(requested)} descriptors, RLIMIT_NOFILE allows "
                    f"{resource.getrlimit(resource.RLIMIT_NOFILE)[0]} (hard limit, no CAP_SYS_RESOURCE): "
                    f"running {vms} VMs instead")
            for transport in [t for t in args.transports.split(",") if t]:
                if transport not in ("unix", "tcp"):
                    raise SystemExit(f"unknown transport {transport}")
                runs = [run_fleet(args, vms, transport) for _ in range(args.repetitions)]
                for r in runs:
                    r["vms_requested"] = requested
                    r["nofile_limit"] = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
                data["all_runs"] += runs
                best = median_run(runs)
                best["requests_per_second_all"] = [r.get("requests_per_second") for r in runs]
                data["results"].append(best)
                log(f"{vms} VMs {transport}: {best.get('requests_per_second', 0):,.0f} req/s "
                    f"(runs: {', '.join(f'{x:,.0f}' for x in best['requests_per_second_all'])}), "
                    f"p50 {best.get('latency_p50_us', 0):.0f} us, p99 {best.get('latency_p99_us', 0):.0f} us, "
                    f"RSS/VM {best.get('server_rss_per_idle_vm_bytes')} B, server "
                    f"{best.get('server_cpu_us_per_request', 0):.2f} us/req, failures {best.get('failures')}")
    if args.save_json:
        args.save_json.write_text(json.dumps(data, indent=1))
    section = render(data)
    if args.no_write:
        print(section)
    else:
        old = args.out.read_text() if args.out.exists() else "# Performance\n"
        args.out.write_text(splice(old, section))
        log(f"wrote {args.out}")
    bad = [r for r in data["results"] if r.get("load_exit") != 0 or r.get("server_exit") != 0
           or r.get("at_rate", {}).get("load_exit", 0) != 0]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
