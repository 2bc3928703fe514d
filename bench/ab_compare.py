#!/usr/bin/env python3
"""Compares two builds of a benchmark executable on this machine: A (before) and B (after).

    bench/ab_compare.py A_BENCH B_BENCH [--rounds N] [--filter REGEX] [--min-time S]

Runs A and B alternately, N rounds each (A B A B …), so both see the same machine load over
time; keeps each benchmark's best run per binary (the least disturbed one on a shared machine)
and prints B / A for every benchmark both binaries have, with the spread of the rounds. Two
identical binaries differ by a few percent this way on the project's shared 2-core machine:
run A against a copy of itself first to see the noise level of the day.

Bytes/s when the benchmark reports it, else items/s, else 1 / time per iteration: higher is
faster in every column, and B / A > 1 means B is faster.
"""
import argparse
import json
import subprocess
import sys


def run(binary, bench_filter, min_time):
    cmd = [binary, "--benchmark_format=json", f"--benchmark_min_time={min_time}"]
    if bench_filter:
        cmd.append(f"--benchmark_filter={bench_filter}")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    speeds = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type") == "aggregate":
            continue
        if "bytes_per_second" in b:
            speed = b["bytes_per_second"]
        elif "items_per_second" in b:
            speed = b["items_per_second"]
        else:
            speed = 1.0 / b["real_time"]
        speeds[b["name"]] = speed
    return speeds


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("a", help="benchmark executable A (before)")
    p.add_argument("b", help="benchmark executable B (after)")
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--filter", default="")
    p.add_argument("--min-time", default="0.2")
    args = p.parse_args()
    if args.rounds < 1:
        sys.exit("ab_compare.py: --rounds must be at least 1")

    runs = {"A": [], "B": []}
    for r in range(args.rounds):
        for side, binary in (("A", args.a), ("B", args.b)):
            print(f"round {r + 1}/{args.rounds}: {side}", file=sys.stderr)
            runs[side].append(run(binary, args.filter, args.min_time))

    names = [n for n in runs["A"][0] if all(n in s for s in runs["A"] + runs["B"])]
    if not names:
        sys.exit("ab_compare.py: the two binaries have no benchmark in common")
    width = max(len(n) for n in names)
    print(f"{'benchmark':<{width}}  {'B / A (best)':>12}  {'B / A (median)':>14}  A spread  B spread")
    for n in names:
        a = sorted(s[n] for s in runs["A"])
        b = sorted(s[n] for s in runs["B"])
        med = lambda v: v[len(v) // 2]
        spread = lambda v: f"{(v[-1] / v[0] - 1) * 100:6.1f} %"
        print(f"{n:<{width}}  {b[-1] / a[-1]:>11.3f}×  {med(b) / med(a):>13.3f}×  {spread(a)}  {spread(b)}")


if __name__ == "__main__":
    main()
