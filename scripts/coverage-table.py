#!/usr/bin/env python3
"""The per-header line coverage table of include/ipmikit/ (scripts/coverage.sh runs it).

    coverage-table.py --llvm-cov llvm-cov-14 --profdata MERGED.profdata --include DIR
                      [--uncovered] [--html DIR] [--min PERCENT] OBJECT...

Every OBJECT (an instrumented executable) is given to llvm-cov, so a header's count is the
union over every program that includes it; only the headers under --include are reported.

Columns (docs/coverage.md):
  lines    source lines clang mapped code to (declarations, comments and templates that no
           program instantiates have none);
  missed   those that never ran: in no program and in no instantiation of their template
           (llvm-cov show's line counts with the instantiations merged, as the HTML shows them);
  cover    (lines - missed) / lines, the figure --min checks;
  report   llvm-cov report's own "Lines" cover, which scores each template by its single best
           instantiation instead of the union (so a line that only one role of a template runs,
           behind `if constexpr`, counts as missed there); kept for comparison with figures
           taken with `llvm-cov report`.
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
        print(f"coverage-table: {cmd[0]} {cmd[1]} failed ({r.returncode})", file=sys.stderr)
        sys.exit(2)
    # llvm-cov's "N functions have mismatched data" is expected and not shown: an inline function
    # that one program includes but never calls has a placeholder record there, and its counts
    # come from the programs that do call it.
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


# llvm-cov show's text lines: "  line|  count|source"; count is blank for lines without code
# and abbreviated from 1000 on ("1.23k"), so only "0" is zero.
SHOW_LINE = re.compile(r"^\s*([0-9]+)\|\s*([0-9.]+[kMGTPE]?|)\s*\|")


def line_counts(llvm_cov, base, headers):
    """{path: (lines with code, [lines that never ran])}, instantiations and programs merged."""
    text = run([llvm_cov, "show", *base, "-show-instantiations=false", "-show-expansions=false",
                "-show-line-counts", *headers])
    result, current = {}, None
    for line in text.splitlines():
        if line.endswith(":") and line[:-1] in headers:
            current = line[:-1]
            result[current] = (0, [])
            continue
        m = SHOW_LINE.match(line)
        if current is None or not m or not m.group(2):
            continue
        count, missed = result[current]
        if m.group(2) == "0":
            missed.append(int(m.group(1)))
        result[current] = (count + 1, missed)
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
    # Two or more files, so that llvm-cov show names each file before its lines.
    headers = sorted(str(p) for p in include.rglob("*.hpp"))
    if len(headers) < 2:
        print(f"coverage-table: fewer than two headers under {include}", file=sys.stderr)
        return 2
    base = [f"-instr-profile={args.profdata}", args.objects[0]]
    base += [f"-object={o}" for o in args.objects[1:]]

    counts = line_counts(args.llvm_cov, base, headers)
    data = json.loads(run([args.llvm_cov, "export", "-format=text", "-summary-only", *base, *headers]))
    report = {f["filename"]: f["summary"]["lines"] for d in data["data"] for f in d["files"]}

    rows = []
    total = missed_total = report_total = report_covered = 0
    for h in headers:
        rel = str(pathlib.Path(h).relative_to(include.parent))
        lines, missed = counts.get(h, (0, []))
        r = report.get(h, {"count": 0, "covered": 0})
        if lines == 0:
            rows.append((rel, "", "", "no code", ""))  # only declarations, or nothing instantiated
            continue
        total += lines
        missed_total += len(missed)
        report_total += r["count"]
        report_covered += r["covered"]
        rows.append((rel, lines, len(missed), f"{100.0 * (lines - len(missed)) / lines:.1f}%",
                     f"{100.0 * r['covered'] / r['count']:.1f}%" if r["count"] else ""))
    percent = 100.0 * (total - missed_total) / total if total else 0.0
    report_percent = 100.0 * report_covered / report_total if report_total else 0.0

    width = max(len(r[0]) for r in rows)
    rule = f"{'-' * width}  {'-' * 6}  {'-' * 6}  {'-' * 7}  {'-' * 7}"
    print(f"{'header':<{width}}  {'lines':>6}  {'missed':>6}  {'cover':>7}  {'report':>7}")
    print(rule)
    for rel, lines, missed, cover, rep in rows:
        print(f"{rel:<{width}}  {lines:>6}  {missed:>6}  {cover:>7}  {rep:>7}")
    print(rule)
    print(f"{'TOTAL':<{width}}  {total:>6}  {missed_total:>6}  {percent:>6.1f}%  {report_percent:>6.1f}%")

    if args.uncovered:
        print("\nuncovered lines:")
        for h in headers:
            missed = counts.get(h, (0, []))[1]
            if missed:
                print(f"  {pathlib.Path(h).relative_to(include.parent)}: {ranges(missed)}")

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
