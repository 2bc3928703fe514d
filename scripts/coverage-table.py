#!/usr/bin/env python3
"""The per-header line coverage table of include/ipmikit/ (scripts/coverage.sh runs it).

    coverage-table.py --llvm-cov llvm-cov-14 --profdata MERGED.profdata --include DIR
                      [--uncovered] [--html DIR] [--min PERCENT] OBJECT...

Every OBJECT (an instrumented executable) is given to llvm-cov, so a header's count is the
union over every program that includes it; only the headers under --include are reported.
A line is counted when clang mapped code to it (declarations, comments and templates never
instantiated have no code); it is covered when any of its regions ran in any instantiation.
Exit: 0, or 1 when --min is given and the total is below it, 2 on error.
Standard library only.
"""

import argparse
import json
import pathlib
import re
import subprocess
import sys


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        sys.exit(f"coverage-table: {cmd[0]} {cmd[1]} failed ({r.returncode})")
    return r.stdout


def ranges(numbers):
    """'12-14, 20' for [12, 13, 14, 20]."""
    out, start, prev = [], None, None
    for n in numbers:
        if start is None:
            start = prev = n
        elif n == prev + 1:
            prev = n
        else:
            out.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = n
    if start is not None:
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ", ".join(out)


# llvm-cov show's text lines: "  line|  count|source"; count is blank for lines without code.
SHOW_LINE = re.compile(r"^\s*([0-9]+)\|\s*([0-9.]+[kMGTPE]?|)\s*\|")


def uncovered_lines(llvm_cov, base, headers):
    """{path: [line, ...]} of lines with code that never ran (instantiations merged)."""
    text = run([llvm_cov, "show", *base, "-show-instantiations=false", "-show-expansions=false",
                "-show-line-counts", *headers])
    result, current = {}, None
    for line in text.splitlines():
        if line.endswith(":") and line[:-1] in headers:
            current = line[:-1]
            result[current] = []
            continue
        m = SHOW_LINE.match(line)
        if current is not None and m and m.group(2) == "0":
            result[current].append(int(m.group(1)))
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--llvm-cov", default="llvm-cov-14")
    ap.add_argument("--profdata", required=True)
    ap.add_argument("--include", required=True, help="the directory of the headers to report")
    ap.add_argument("--uncovered", action="store_true", help="list each header's uncovered lines")
    ap.add_argument("--html", help="also write llvm-cov's HTML report to this directory")
    ap.add_argument("--min", type=float, help="exit 1 when the total is below this percentage")
    ap.add_argument("objects", nargs="+")
    args = ap.parse_args()

    include = pathlib.Path(args.include).resolve()
    headers = sorted(str(p) for p in include.rglob("*.hpp"))
    if not headers:
        sys.exit(f"coverage-table: no headers under {include}")
    base = [f"-instr-profile={args.profdata}", args.objects[0]]
    base += [f"-object={o}" for o in args.objects[1:]]

    data = json.loads(run([args.llvm_cov, "export", "-format=text", "-summary-only", *base, *headers]))
    files = {f["filename"]: f["summary"]["lines"] for d in data["data"] for f in d["files"]}
    missing = {}
    if args.uncovered:
        missing = uncovered_lines(args.llvm_cov, base, headers)

    rows, total, covered = [], 0, 0
    for h in headers:
        rel = str(pathlib.Path(h).relative_to(include.parent))
        s = files.get(h)
        if s is None or s["count"] == 0:
            rows.append((rel, 0, 0, "no code"))  # only declarations, or nothing instantiated
            continue
        total += s["count"]
        covered += s["covered"]
        rows.append((rel, s["count"], s["count"] - s["covered"], f"{100.0 * s['covered'] / s['count']:.1f}%"))

    width = max(len(r[0]) for r in rows + [("TOTAL",)])
    print(f"{'header':<{width}}  {'lines':>6}  {'missed':>6}  {'cover':>7}")
    print(f"{'-' * width}  {'-' * 6}  {'-' * 6}  {'-' * 7}")
    for rel, count, miss, cover in rows:
        print(f"{rel:<{width}}  {count:>6}  {miss:>6}  {cover:>7}")
    print(f"{'-' * width}  {'-' * 6}  {'-' * 6}  {'-' * 7}")
    percent = 100.0 * covered / total if total else 0.0
    print(f"{'TOTAL':<{width}}  {total:>6}  {total - covered:>6}  {percent:>6.1f}%")

    if args.uncovered:
        print("\nuncovered lines:")
        for h in headers:
            lines = missing.get(h, [])
            if lines:
                print(f"  {pathlib.Path(h).relative_to(include.parent)}: {ranges(lines)}")

    if args.html:
        run([args.llvm_cov, "show", *base, "-format=html", f"-output-dir={args.html}",
             "-show-line-counts-or-regions", *headers])
        print(f"\nHTML report: {args.html}/index.html")

    if args.min is not None and percent < args.min:
        print(f"\nline coverage {percent:.1f}% is below --min {args.min:g}%", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
