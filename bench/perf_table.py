#!/usr/bin/env python3
"""Runs bench/ipmikit_bench and writes docs/performance.md.

For every workload the benchmark binary measures ipmikit, the scalar reference codec
(tests/reference_codec.hpp) and memcpy on the same bytes; this script takes the median of a few
repetitions of each and tabulates bytes/s and the ratios ipmikit/reference and ipmikit/memcpy.

    python3 bench/perf_table.py                          # build/release-bench/bench/ipmikit_bench
    python3 bench/perf_table.py --bench PATH --out docs/performance.md
    python3 bench/perf_table.py --from-json run.json     # re-render a saved run

Standard library only.
"""

import argparse
import datetime
import json
import os
import pathlib
import shlex
import subprocess
import sys

from bench_common import FLEET_BEGIN, FLEET_END, LAN_BEGIN, LAN_END, SOL_BEGIN, SOL_END, SOLPY_BEGIN, SOLPY_END, ROOT, add_run_file_arguments, cpu_model, insert_before_goals

IMPLS = ("ipmikit", "reference", "memcpy")

SECTIONS = [
    ("Decoding", [
        ("decode_small", "small frames (bodies 3–40 B), one `feed()` of ~256 KiB"),
        ("decode_small_1500", "small frames, fed in 1500-byte chunks"),
        ("decode_large", "large frames (bodies 200–272 B), one `feed()`"),
        ("decode_large_1500", "large frames, fed in 1500-byte chunks"),
        ("decode_large_plain", "large frames with no escape anywhere (zero copy), one `feed()`"),
        ("decode_large_plain_1500", "large escape-free frames, fed in 1500-byte chunks"),
        ("decode_escape_heavy", "escape-heavy (bodies 8–64 B, ~7/8 special bytes), one `feed()`"),
        ("decode_escape_heavy_1500", "escape-heavy, fed in 1500-byte chunks"),
    ]),
    ("Encoding", [
        ("encode_small", "the small frames, into one buffer"),
        ("encode_large", "the large frames"),
        ("encode_large_plain", "the large escape-free frames"),
        ("encode_escape_heavy", "the escape-heavy frames"),
        ("encode_small_exact", "the small frames, each into a buffer sized exactly first (`message_frame_size`)"),
        ("encode_large_exact", "the large frames, each into a buffer sized exactly first"),
    ]),
    ("Checksum", [
        ("checksum_16", "16 bytes"),
        ("checksum_256", "256 bytes"),
        ("checksum_4096", "4096 bytes"),
    ]),
]

# The project's goals (issue 6): ipmikit at least this many times the reference's throughput.
GOALS = {
    "decode_small": 3.0,
    "decode_small_1500": 3.0,
    "decode_large": 8.0,
    "decode_large_1500": 8.0,
    "decode_large_plain": 8.0,
    "decode_large_plain_1500": 8.0,
    "decode_escape_heavy": 1.0,
    "decode_escape_heavy_1500": 1.0,
    "encode_small": 3.0,
    "encode_large": 3.0,
    "encode_large_plain": 3.0,
    "encode_escape_heavy": 3.0,
    "encode_small_exact": 3.0,
    "encode_large_exact": 3.0,
}
# ... and at least this fraction of memcpy's throughput on the same bytes.
MEMCPY_GOALS = {
    "decode_large_plain": 0.25,
}


def run_bench(args):
    cmd = [str(args.bench), "--benchmark_format=json",
           f"--benchmark_min_time={args.min_time}",
           f"--benchmark_repetitions={args.repetitions}",
           # Repetitions of all benchmarks in random order, not each benchmark's back to back:
           # a slow stretch of the shared machine then spreads over all columns instead of
           # landing on one (seen: the bare codec round trip at 51 ns in one full run and 98 ns
           # in another, which swung the session/codec ratio from 1.5x to 2.3x).
           "--benchmark_enable_random_interleaving=true"]
    if args.filter:
        cmd.append(f"--benchmark_filter={args.filter}")
    print("running:", shlex.join(cmd), file=sys.stderr)
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    return cmd, json.loads(out)


def median_rows(data):
    """The rows to tabulate: the median aggregates when the run has repetitions (the single
    repetitions are kept in the JSON for spreads), else the plain runs."""
    has_aggregates = any(b.get("run_type") == "aggregate" for b in data["benchmarks"])
    for b in data["benchmarks"]:
        if b.get("error_occurred"):
            raise SystemExit(f"benchmark {b['name']} failed: {b.get('error_message')}")
        if has_aggregates and not (b.get("run_type") == "aggregate" and b.get("aggregate_name") == "median"):
            continue
        yield b


def per_repetition(data, name, field):
    """The single repetitions' values of `field` for benchmark `name` (empty without them)."""
    return [float(b[field]) for b in data["benchmarks"]
            if b.get("run_type") == "iteration" and b.get("run_name", b["name"]) == name and field in b]


def medians(data):
    """{(workload, impl): bytes_per_second} from the median aggregates (or plain runs)."""
    result = {}
    for b in median_rows(data):
        name = b.get("run_name", b["name"])
        if "/" not in name or "bytes_per_second" not in b:
            continue
        workload, impl = name.split("/", 1)
        result[(workload, impl)] = float(b["bytes_per_second"])
    return result


def items(data):
    """{(workload, impl): items_per_second} for benchmarks that count items (round trips)."""
    result = {}
    for b in median_rows(data):
        name = b.get("run_name", b["name"])
        if "/" in name and "items_per_second" in b:
            workload, impl = name.split("/", 1)
            result[(workload, impl)] = float(b["items_per_second"])
    return result


SESSION_ROWS = [
    ("roundtrip_small", "Get Device ID, 15-byte response body"),
    ("roundtrip_large", "200-byte response body"),
]
SESSION_GOAL = 2.0  # session time per round trip at most 2x the bare codec's


def mib(v):
    return f"{v / (1 << 20):,.0f}"


def ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "–"


def judged_ratio(a, b, goal, what, missed):
    """ratio(a, b) with ✅ or ❌ when there is a goal for it; a missed goal is added to `missed`."""
    r = ratio(a, b)
    if goal and a and b:
        ok = a / b >= goal
        r += f" {'✅' if ok else '❌'}"
        if not ok:
            missed.append((what, a / b, goal))
    return r


def render(cmd, data, values, args):
    ctx = data.get("context", {})
    lines = []
    w = lines.append
    w("# Performance")
    w("")
    w("Throughput of ipmikit's VM codec against the project's scalar reference codec")
    w("(`tests/reference_codec.hpp`: byte at a time, the way QEMU's `ipmi_bmc_extern` works) and")
    w("against `memcpy` of the same number of bytes, all three on the same bytes in the same run.")
    w("Generated by `bench/perf_table.py` from `bench/ipmikit_bench.cpp`; do not edit by hand.")
    w("")
    w("**Absolute numbers are noise**: the machine is a shared 2-core VM with other jobs running.")
    w("The ratios, measured side by side in one run, are what matter.")
    w("")
    w("## How this was measured")
    w("")
    w(f"- Command: `{shlex.join(cmd) if cmd else '(re-rendered from ' + str(args.from_json) + ')'}`")
    w(f"- Date: {args.date}")
    compiler = ctx.get("ipmikit_compiler", "unknown")
    flags = ctx.get("ipmikit_flags", "")
    w(f"- Compiler: {compiler}" + (f", flags `{flags}`" if flags else "") + " (no `-march`: x86-64 baseline, SSE2)")
    w(f"- CPU: {args.cpu} ({ctx.get('num_cpus', '?')} logical CPUs visible"
      + (f", {ctx['mhz_per_cpu']} MHz" if 'mhz_per_cpu' in ctx else "") + ")")
    if "load_avg" in ctx:
        w(f"- Load average at start: {', '.join(f'{x:.2f}' for x in ctx['load_avg'])}")
    version = ctx.get("library_version", "1.7.1 (Debian libbenchmark-dev)")
    w(f"- Google Benchmark {version}; its library reports build type"
      f" `{ctx.get('library_build_type', '?')}` (Debian's build; this affects only the harness,"
      " not the code measured)")
    reps = next((b.get("repetitions") for b in data.get("benchmarks", []) if b.get("repetitions")), args.repetitions)
    w(f"- Each value is the median of {reps} repetitions of at least {args.min_time} s,"
      " the repetitions of all benchmarks run in random order (`--benchmark_enable_random_interleaving`);"
      " bytes/s are in MiB/s (2^20 bytes per second).")
    w("")
    w("Bytes counted: for decoding and encoding, the encoded wire stream (the same count for all")
    w("three columns; an escape-heavy stream is about twice its unescaped size); for the checksum,")
    w("the input.")

    missed = []
    for title, rows in SECTIONS:
        w("")
        w(f"## {title}")
        w("")
        w("| workload | ipmikit MiB/s | reference MiB/s | memcpy MiB/s | ipmikit / reference | ipmikit / memcpy |")
        w("|---|--:|--:|--:|--:|--:|")
        for key, desc in rows:
            ip, ref, mc = (values.get((key, i)) for i in IMPLS)
            if ip is None and ref is None and mc is None:
                continue
            r = judged_ratio(ip, ref, GOALS.get(key), key, missed)
            rm = judged_ratio(ip, mc, MEMCPY_GOALS.get(key), key + " / memcpy", missed)
            w(f"| `{key}`: {desc} | {mib(ip) if ip else '–'} | {mib(ref) if ref else '–'} | "
              f"{mib(mc) if mc else '–'} | {r} | {rm} |")

    rt = items(data)
    if any((k, "session") in rt for k, _ in SESSION_ROWS):
        w("")
        w("## VM session round trips")
        w("")
        w("A request and its response through an emulator session and a BMC session joined in")
        w("memory (`bench/session_bench.cpp`), beside the bare codec doing the same framing for the")
        w("same frames (encode the request, decode it, encode the response, decode it).")
        w("")
        w("| workload | session round trips/s | codec alone round trips/s | time per round trip, session / codec (range over repetitions) | session overhead (time per round trip, session / codec) |")
        w("|---|--:|--:|--:|--:|")
        for key, desc in SESSION_ROWS:
            sess, codec = rt.get((key, "session")), rt.get((key, "codec"))
            if not sess or not codec:
                continue
            over = codec / sess
            ok = over <= SESSION_GOAL
            if not ok:
                missed.append((key + " overhead", over, SESSION_GOAL))

            def spread(impl):
                rates = per_repetition(data, f"{key}/{impl}", "items_per_second")
                return f"{1e9 / max(rates):.0f}–{1e9 / min(rates):.0f} ns" if rates else "–"
            w(f"| `{key}`: {desc} | {sess:,.0f} | {codec:,.0f} | {spread('session')} / {spread('codec')} "
              f"| {over:.2f}× {'✅' if ok else '❌'} |")

    si_rows = [b for b in median_rows(data)
               if b.get("run_name", b["name"]).startswith(
                   ("kcs_get_device_id/", "kcs_chain/", "bt_get_device_id/", "bt_chain/",
                    "ssif_get_device_id/", "ssif_multipart_100/"))]
    if si_rows:
        w("")
        w("## KCS, BT and SSIF transactions in memory")
        w("")
        w("A full Get Device ID transaction (2-byte request, 15-byte response) over each system")
        w("interface (`bench/kcs_bench.cpp`, `bench/bt_bench.cpp`, `bench/ssif_bench.cpp`): the")
        w("host machine driven by `kcs::drive()` / `bt::drive()` / `ssif::drive()` over the device")
        w("whose BMC answers at once; the same accesses as a plain blocking loop with no state")
        w("machine (`direct`: what a minimal firmware driver does, the floor for the bus traffic);")
        w("`memcpy` of the 17 payload bytes for scale; and the whole README-demo chain (host ⇄")
        w("device ⇄ emulator session ⇄ wire bytes ⇄ BMC session ⇄ responder). SSIF also runs a")
        w("100-byte request answered with a 100-byte response (`ssif_multipart_100`: 06h 07h 07h 08h,")
        w("then 03h 09h 09h 09h; memcpy of 200 bytes). For SSIF an access is an SMBus transfer (a")
        w("Block Write or Read), and the host asks no capabilities (it assumes multi-part, 255 bytes,")
        w("no PEC) and has its first-read delay and retry intervals set to zero: Linux's 5 ms before")
        w("the first read and 60 ms between retries would dominate any real SSIF transaction, and")
        w("are not what is measured here.")
        w("")
        w("| workload | transactions/s | accesses/s | accesses per transaction | time per transaction | host / direct |")
        w("|---|--:|--:|--:|--:|--:|")
        rate = {b.get("run_name", b["name"]): b.get("items_per_second") for b in si_rows}
        for b in sorted(si_rows, key=lambda b: b.get("run_name", b["name"])):
            name = b.get("run_name", b["name"])
            ips = b.get("items_per_second")
            acc = b.get("accesses")
            per = b.get("accesses_per_txn")
            direct = rate.get(name.split("/", 1)[0] + "/direct")
            rel = f"{ips / direct:.2f}×" if name.endswith("/host") and "chain" not in name and direct else ""
            w(f"| `{name}` | {ips:,.0f} | {f'{acc:,.0f}' if acc else '–'} | "
              f"{f'{per:.0f}' if per else '–'} | {1e9 / ips:,.1f} ns | {rel} |")
        w("")
        w("The state machines run at a fraction of the plain loop's rate: the price of a machine")
        w("that can be suspended between any two accesses, times every wait, checks every state")
        w("and recovers. At real port speeds (an x86 `inb`/`outb` to an LPC KCS or BT interface")
        w("takes about 1 µs) the machines' few nanoseconds per access are invisible. BT needs half")
        w("the accesses of KCS for the same exchange: no per-byte handshake. SSIF moves whole")
        w("blocks: two transfers for Get Device ID, eight for 100 bytes each way; on a real 100 kHz")
        w("SMBus each transfer of a full block takes about 3 ms, so the machine's cost is invisible")
        w("there too.")

    core_rows = {b.get("run_name", b["name"]): float(b["items_per_second"]) for b in median_rows(data)
                 if b.get("run_name", b["name"]).startswith("bmc_core/") and "items_per_second" in b}
    if core_rows:
        session_rt = rt.get(("roundtrip_small", "session"))
        w("")
        w("## The BMC core per request")
        w("")
        w("A whole request message answered by `bmc::dispatcher` with the watchdog, chassis, SEL,")
        w("FRU and GUID components registered (`bench/bmc_core_bench.cpp`): the LUN check, the")
        w("lookup, the privilege and length checks, the typed parse, the component's handler and the")
        w("typed encode. Beside it, the plain reference (`direct`: a switch on netfn and command")
        w("writing the same response bytes by hand, what a minimal firmware BMC does), `memcpy` of")
        w("the response bytes for scale, and the VM session round trip the core sits behind in")
        w("ipmikit-bmc (`roundtrip_small/session` above), all in the same run.")
        w("")
        w("| request | core requests/s | time per request: core | direct | memcpy | core / direct (time) | core / session round trip (time) |")
        w("|---|--:|--:|--:|--:|--:|--:|")
        for request in dict.fromkeys(n.split("/")[1] for n in core_rows):
            core = core_rows.get(f"bmc_core/{request}/core")
            direct = core_rows.get(f"bmc_core/{request}/direct")
            copy = core_rows.get(f"bmc_core/{request}/memcpy")
            if not core:
                continue
            ns = lambda r: f"{1e9 / r:,.1f} ns" if r else "–"
            w(f"| `{request}` | {core:,.0f} | {ns(core)} | {ns(direct)} | {ns(copy)} | "
              f"{f'{direct / core:.2f}×' if direct else '–'} | "
              f"{f'{session_rt / core:.2f}×' if session_rt else '–'} |")
        w("")
        w("The core's cost is a fraction of the session round trip that carries each request, and")
        w("both are far below a socket's system calls (ipmikit-bmc's fleet table below: several µs")
        w("of server CPU per request).")

    w("")
    w("## Goals")
    w("")
    w("The goals (issue 6; ✅/❌ above): decoding 200–272-byte frames at least 8× the reference and,")
    w("with no escape, at least 25 % of `memcpy`; decoding 3–40-byte frames at least 3×; the")
    w("escape-heavy worst case never slower than the reference (1×); encoding at least 3×; sessions")
    w("at most 2× the bare codec per round trip (the overhead the session issue measured).")
    w("")
    if missed:
        for key, got, goal in missed:
            if "overhead" in key:  # an upper bound
                w(f"- **Missed**: `{key}` at {got:.2f}× (goal at most {goal:.2f}×). The ratio moves with the")
                w("  bare codec's own figure, which swings between runs (this table's codec round trip is")
                w("  measured beside the session's in the same run; compare the two rates above).")
            else:
                w(f"- **Missed**: `{key}` at {got:.2f}× (goal {goal:.2f}×, short by {goal / got:.2f}×)."
                  + (" See below: the ratio depends on the machine kind." if "memcpy" in key else ""))
    else:
        w("All goals are met in this run.")
    w("")
    w("Kernels: the run uses the best kernel set of the machine (`ipmikit_kernel` in the JSON")
    w("context; see [Kernels](#kernels) below). Run the binary with `IPMIKIT_FORCE_SCALAR=1` to")
    w("measure the portable one.")
    w("")
    w("Where the time goes, and the gap to `memcpy`: `memcpy` moves 32 bytes per load/store pair")
    w("with nothing to decide; the decoder, for each 32 or 64 bytes, also compares against the")
    w("three special bytes, sums the bytes for the checksum (`vpsadbw`) and tests for a stop, and")
    w("per frame it pays a call into the AVX2 kernel (not inlinable into code built without")
    w("`-mavx2`), the partial block at the frame's end (a mispredicted loop exit), the checksum and")
    w("length checks, the statistics and the handler call. For a ~250-byte frame that fixed cost")
    w("is of the order of the scan itself. A frame with an escape is not handed out in place: its")
    w("plain prefix is copied to the decoder's buffer after the scan, and then the decoder")
    w("alternates between the vector kernel (runs of plain bytes, copied and summed in one pass)")
    w("and a branch-free step for each escape pair or lone plain byte, so random frames")
    w("(`decode_large`, ~3 escapes per frame) run at a fraction of the escape-free speed.")
    w("The encoder expands special bytes with `pshufb` (AVX2 machines) at the same cost for every")
    w("density of special bytes.")
    w("")
    w("The escape-free ratio to `memcpy` depends on the machine kind. The decoder's cost per frame")
    w("is bounded by latency, not throughput: a frame's end is found by a loop whose exit is")
    w("mispredicted (frame lengths are data), and the next frame's loads wait for it; `memcpy`")
    w("is pure throughput. On the machine of 2026-11-25 (AMD EPYC at 2445 MHz, `memcpy` of")
    w("the stream ~40 GB/s) the decoder reached 0.30–0.32× `memcpy`; on AMD family 26 (Zen 5,")
    w("2026-12-04), `memcpy` of the same 256 KiB runs at ~100–113 GB/s, 2.5× faster, while a")
    w("frame-by-frame scan gained far less, so the ratio falls to 0.16–0.20×. Measured there, in one")
    w("process, interleaved: the AVX2 scan alone in a loop over the frames (no decoder) 0.19–0.20×;")
    w("glibc's `memchr` looking for `A0` alone (no checksum, no `A1`/`AA`) 0.29–0.30×; a software")
    w("prefetch ahead of each frame: no change. Tried and not adopted: an AVX-512 scan kernel (64")
    w("bytes per step, masked loads for the tail): no gain, the same latency chain; an AVX-512")
    w("window index (the terminators' positions and the sums before them for 2 KiB at a time, no")
    w("branch per frame in the scan): the index alone runs at 0.29–0.37× `memcpy`, the decoder with")
    w("it 0.20–0.22×, and 10–27 % slower on frames with escapes (`decode_large`); a single small")
    w("frame per `feed()` also became 2× slower (a 64-byte load over bytes just stored by 16-byte")
    w("stores fails store-to-load forwarding).")
    w("")
    w("## Kernels")
    w("")
    w("The byte work of the checksum, the encoder and the decoder is done by five kernels: `sum`")
    w("(8-bit sum), `scan` (the first special byte and the sum of the bytes before it), `scan_copy`")
    w("(the same, copying those bytes), `count` (special bytes and the sum of all bytes: the exact")
    w("size of a frame before it is written) and `escape` (escaping and summing in one pass). Each")
    w("instruction set has one header with all five, under `include/ipmikit/detail/simd/`:")
    w("`swar.hpp` (the portable set, `kernel::scalar`: 64-bit words as byte lanes, branch-free byte")
    w("loops), `sse2.hpp` (always there on x86-64), `avx2.hpp` (built with")
    w("`__attribute__((target(\"avx2\")))`, chosen when `cpuid` reports AVX2) and `neon.hpp` (AArch64);")
    w("`select.hpp` chooses among them at run time. The kernels take the bytes to look for as a")
    w("compile-time set (`vm/protocol.hpp` names the VM protocol's), so two bytes one bit apart")
    w("(`A0`, `A1`) cost one vector compare. `tests/simd_test.cpp` runs every kernel of every set")
    w("against byte loops.")
    w("")
    w("Choices these tables rest on, each measured when it was made:")
    w("")
    w("- Spans under 32 bytes are summed by the portable kernel inline, whatever the machine: a call")
    w("  into a vector kernel and its byte tail cost more than 8-byte words (16 bytes through the")
    w("  SSE2 kernel took 1.8× as long as a byte loop).")
    w("- Spans under 16 bytes are counted inline by the portable kernel too (most small frame")
    w("  bodies). On AVX2 machines `count` runs the SSE2 kernel: the spans it sees are frame bodies")
    w("  of at most a few hundred bytes, and the SSE2 loop, which the compiler may inline into the")
    w("  encoder, was faster there than a call into an AVX2 function (code built without `-mavx2`")
    w("  cannot inline one). The SSE2 kernel counts per byte lane in rounds of at most 255 blocks,")
    w("  folded by `psadbw`: no `popcnt`, which is not in the x86-64 baseline (a library call).")
    w("- The AVX2 scan tries one 32-byte block before its 64-byte loop: most frames are short.")
    w("- The decoder copies a frame's plain prefix to its buffer after the scan, and only when the")
    w("  frame has an escape or is cut by the end of the input; copying during the scan")
    w("  (`scan_copy` for every frame) made the zero-copy frames ~25 % slower for nothing.")
    w("- Code placement: the decoder's byte loop and the AVX2 kernels' loops are short and run many")
    w("  times per frame, so where their blocks fall matters. Measured while the kernels were split")
    w("  into one header per instruction set (2026-12-05, AMD family 26; the same instructions, but")
    w("  for one register move, placed differently): `decode_escape_heavy` 17 % slower when a block")
    w("  of the byte loop straddled a 64-byte boundary, `checksum_256` 17 % slower when the AVX2 sum")
    w("  loop did. Hence the escape pair, the common step of that loop, is its straight path (the")
    w("  loop's own branch is the only one it takes), and the AVX2 entry points start a 64-byte")
    w("  block (`aligned(64)`), so the linker's placement of them no longer decides.")
    w("- The split into one header per instruction set was checked against the build before it,")
    w("  both binaries alternated 8 to 14 times on the same machine (best of each; two identical")
    w("  binaries differ by up to 3 % this way): small and escape-heavy frames decoded within 2 %,")
    w("  the large-frame decoding rows 1–4 % slower, encoding 2–19 % and `checksum_16`/`_256` 4–8 %")
    w("  faster; callgrind counts from 6 % fewer to 0.1 % more instructions per pass on the codec")
    w("  workloads.")
    w("- The whole restructuring of issue 14 (5843406 → fec5294: the si/ layer, the host machines")
    w("  rewritten, the SIMD split, the kernels' shared entry points), checked against its start with")
    w("  `bench/ab_compare.py` (both release-bench binaries alternated, 5 rounds each, best of each,")
    w("  2026-12-05, AMD family 26): decoding 0.96–1.02× (`decode_large` and `decode_large_1500`")
    w("  0.96×, `decode_large_plain_1500` 0.97×, the rest 0.99–1.02×), encoding 1.02–1.23× (faster;")
    w("  `encode_small` 1.23×), checksums 0.97–1.12×; in the same runs the reference codec's rows")
    w("  moved 0.91–1.04× and `memcpy`'s 0.88–1.07× with no code change, so the 3–4 % on large")
    w("  frames is within what this machine's noise does to identical code.")
    w("- Escaping: AVX2 (with `pshufb`) and NEON (with `vqtbl1q_u8`) spread each 8 bytes with a")
    w("  special byte over a 16-byte store from one shared 256-entry table, the same cost at every")
    w("  density; SSE2, without a byte shuffle in the baseline, copies blocks of 16 with none or one")
    w("  special byte and escapes denser blocks a byte at a time.")
    w("")
    w("## Workloads")
    w("")
    w("- Frames are IPMI message frames (`msg_id`, body, checksum, `A0`) encoded back to back by the")
    w("  reference encoder into one ~256 KiB stream per workload. Bodies of the small and large")
    w("  workloads start with a real netfn/LUN byte and a command byte, then uniformly random bytes,")
    w("  so about 1.2 % of bytes are special (`A0`/`A1`/`AA`) and need escaping. Escape-heavy bodies")
    w("  are ~7/8 special bytes. The `_plain` workload's frames (msg_id, body and checksum) contain no")
    w("  special byte at all: every frame is decoded in place (zero copy).")
    w("- Why 256 KiB: a pass over the same bytes repeats, and a recent branch predictor learns a")
    w("  short stream's branch pattern. On AMD family 26 (Zen 5) the reference encoder ran the")
    w("  64 KiB escape-heavy stream (random specials, ~7/8 of bytes) at 2.6–2.9 GB/s and fresh data")
    w("  at 0.38–0.40 GB/s: measured with streams of 4 KiB to 8 MiB, the collapse comes between 64")
    w("  and 256 KiB. 256 KiB is past it and still within L2 (the `memcpy` column is L2-resident).")
    w("- Decoding: a fresh decoder per pass; the handler adds up body sizes (kept alive with")
    w("  `benchmark::DoNotOptimize`). Every pass is checked once against the expected totals.")
    w("  The `_1500` variants feed the same stream in 1500-byte chunks, like TCP reads, so frames")
    w("  straddle `feed()` calls; the reference is fed the same chunks.")
    w("- Encoding: all frames of a workload into one output buffer sized for the worst case")
    w("  (ipmikit's fast path); the output is checked once against the reference encoder's. The")
    w("  `_exact` variants make ipmikit size each frame first (`message_frame_size`: one pass that")
    w("  counts special bytes and sums) and encode into a span of exactly that size (escaped and")
    w("  summed in one pass into a worst-case scratch frame on the stack, then copied out); the")
    w("  reference encodes as in the plain variants, with its per-byte bounds check.")
    w("- `memcpy`: the same byte count copied (in the same chunks for the `_1500` variants), the")
    w("  destination half a page away from the source to avoid 4K aliasing.")
    w("")
    w("Reproduce:")
    w("")
    w("```sh")
    w("cmake --workflow --preset release-bench")
    w("python3 bench/perf_table.py   # runs build/release-bench/bench/ipmikit_bench")
    w("```")
    w("")
    return "\n".join(lines), missed


def keep_fleet_section(out, text):
    """Carries bench/fleet_bench.py's section (fleet over sockets) and bench/lan_bench.py's (IPMI
    over LAN) over from the old file, before '## Goals': this script runs neither, so it must not
    drop their figures."""
    try:
        old = out.read_text()
    except OSError:
        return text
    # bench/lan_bench.py's section (IPMI over LAN) likewise.
    # bench/sol_bench.cpp's section (Serial over LAN) is written by hand from its own run;
    # bench/sol_bench.py's (SOL through real processes) follows it.
    for begin, end in ((FLEET_BEGIN, FLEET_END), (LAN_BEGIN, LAN_END), (SOL_BEGIN, SOL_END),
                       (SOLPY_BEGIN, SOLPY_END)):
        if begin in old and end in old:
            text = insert_before_goals(text, old[old.index(begin):old.index(end) + len(end)] + "\n")
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", type=pathlib.Path, default=ROOT / "build" / "release-bench" / "bench" / "ipmikit_bench")
    add_run_file_arguments(ap, "the raw JSON")
    ap.add_argument("--min-time", default="0.2", help="--benchmark_min_time, seconds")
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--filter", default="", help="--benchmark_filter regex")
    args = ap.parse_args()

    if args.from_json:
        data = json.loads(args.from_json.read_text())
        cmd = data.get("perf_table_command")
    else:
        if not os.access(args.bench, os.X_OK):
            raise SystemExit(f"no benchmark binary at {args.bench}: build it first (see --help)")
        cmd, data = run_bench(args)
        try:  # show the command relative to the repository when it can be
            cmd[0] = str(pathlib.Path(cmd[0]).resolve().relative_to(ROOT))
        except ValueError:
            pass
        data["perf_table_command"] = cmd
        data["perf_table_cpu"] = cpu_model()
    if args.save_json:
        args.save_json.write_text(json.dumps(data, indent=1))
    args.date = data.get("context", {}).get("date") or datetime.datetime.now().isoformat(timespec="seconds")
    args.cpu = data.get("perf_table_cpu") or cpu_model()
    text, missed = render(cmd, data, medians(data), args)
    text = keep_fleet_section(args.out, text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"wrote {args.out}", file=sys.stderr)
    for key, got, goal in missed:
        print(f"goal missed: {key} {got:.2f}x < {goal:.2f}x", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
