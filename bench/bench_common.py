"""What bench/perf_table.py and bench/fleet_bench.py share: the repository root, the CPU's name,
the fleet section's markers in docs/performance.md, where a section goes in that file, and the
options that choose where a run is read from and written to.

Standard library only.
"""

import pathlib
import platform

ROOT = pathlib.Path(__file__).resolve().parent.parent

# fleet_bench.py's section of docs/performance.md; perf_table.py carries it over untouched.
FLEET_BEGIN = "<!-- fleet_bench.py:begin -->"
FLEET_END = "<!-- fleet_bench.py:end -->"
# lan_bench.py's section, likewise carried over.
LAN_BEGIN = "<!-- lan_bench.py:begin -->"
LAN_END = "<!-- lan_bench.py:end -->"
SOL_BEGIN = "<!-- sol_bench:begin -->"  # bench/sol_bench.cpp's section, kept by perf_table.py
SOL_END = "<!-- sol_bench:end -->"
# bench/sol_bench.py's section (SOL through real processes), right after it; likewise kept.
SOLPY_BEGIN = "<!-- sol_bench.py:begin -->"
SOLPY_END = "<!-- sol_bench.py:end -->"


def cpu_model():
    """'model name' from /proc/cpuinfo, with the x86 family/model numbers (a VM often shows only
    "AMD EPYC", and the generation changes the ratios: memcpy and branch predictors differ)."""
    fields = {}
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if ":" in line:
                key, value = (x.strip() for x in line.split(":", 1))
                if key in fields:  # the first processor is enough
                    break
                fields[key] = value
    except OSError:
        pass
    name = fields.get("model name") or platform.processor() or "unknown"
    if "cpu family" in fields and "model" in fields:
        extras = [f"x86 family {fields['cpu family']} model {fields['model']}"]
        flags = fields.get("flags", "").split()
        extras.append("has AVX-512" if "avx512bw" in flags else "has AVX2" if "avx2" in flags else "no AVX2")
        name += " (" + ", ".join(extras) + ")"
    return name


def replace_section(text, begin, end, section):
    """`text` with what lies from `begin` to `end` (both markers included) replaced by
    `section`, or None when `text` lacks either marker."""
    if begin not in text or end not in text:
        return None
    a = text.index(begin)
    b = text.index(end) + len(end)
    return text[:a] + section.rstrip("\n") + text[b:]


def insert_before_goals(text, section):
    """`text` with `section` put before its '## Goals', or at the end when it has none."""
    i = text.find("\n## Goals")
    if i < 0:
        return text.rstrip("\n") + "\n\n" + section
    return text[:i + 1] + section + "\n" + text[i + 1:]


def add_run_file_arguments(ap, saved_what):
    """--out (the page), --save-json and --from-json (a run saved as `saved_what`)."""
    ap.add_argument("--out", type=pathlib.Path, default=ROOT / "docs" / "performance.md")
    ap.add_argument("--save-json", type=pathlib.Path, help=f"also save {saved_what} here")
    ap.add_argument("--from-json", type=pathlib.Path, help="render a saved run instead")
