#!/usr/bin/env python3
"""Compiles the C++ blocks of the docs, so they cannot drift from the API.

Every ```cpp block in the given Markdown files must be one of:
  * a whole translation unit: it has an #include and is compiled as it is;
  * a fragment, preceded by `<!-- snippet: context NAME -->`: its #include lines are put first,
    the rest in place of the line `@@` of the context NAME, defined once anywhere in the same
    file as a hidden comment
        <!-- snippet-context NAME
        #include ...
        void example(...) {
        @@
        }
        -->
  * a synopsis (declarations shown for reading, not code), preceded by
    `<!-- snippet: synopsis -->`: not compiled;
  * a program of the repository shown whole, preceded by `<!-- snippet: file PATH -->` (PATH
    relative to the Markdown file): the block must be the file as it is, and is compiled.
A block with none of these is an error: the author decides which it is.

    scripts/check-doc-snippets.py --cxx g++ --include include README.md docs/*.md

Each compiled block is checked with -fsyntax-only and the project's warnings as errors (unused
parameters and variables aside).
Standard library only.
"""

import argparse
import pathlib
import re
import subprocess
import sys
import tempfile

BLOCK = re.compile(r"^```cpp\n(.*?)^```", re.S | re.M)
DIRECTIVE = re.compile(r"<!--\s*snippet:\s*(synopsis|context\s+([\w-]+)|file\s+(\S+))\s*-->\s*$")
CONTEXT = re.compile(r"<!--\s*snippet-context\s+([\w-]+)\n(.*?)-->", re.S)
# The project's warnings, but for unused names: snippets show placeholders (a handler's
# parameter whose use is a comment).
WARNINGS = ["-Wall", "-Wextra", "-Wpedantic", "-Wconversion", "-Wsign-conversion", "-Wshadow", "-Werror",
            "-Wno-unused-parameter", "-Wno-unused-variable"]


def blocks(path):
    """(line, kind, context name, code) for each ```cpp block of the file."""
    text = path.read_text()
    contexts = {m.group(1): m.group(2) for m in CONTEXT.finditer(text)}
    for m in BLOCK.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        before = text[:m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        d = DIRECTIVE.search(before)
        code = m.group(1)
        if d and d.group(1) == "synopsis":
            yield line, "synopsis", None, code
        elif d and d.group(3):
            shown = path.parent / d.group(3)
            if not shown.is_file():
                yield line, "error", f"no file {shown}", code
            elif shown.read_text() != code:
                yield line, "error", f"differs from {shown}: the page must show the file as it is", code
            else:
                yield line, "unit", None, code
        elif d:
            name = d.group(2)
            if name not in contexts:
                yield line, "error", f"no snippet-context '{name}' in the file", code
            elif "@@" not in contexts[name]:
                yield line, "error", f"snippet-context '{name}' has no @@ line", code
            else:
                # The fragment's own #include lines go first, the rest where @@ stands.
                lines = code.rstrip("\n").split("\n")
                includes = "".join(x + "\n" for x in lines if x.startswith("#include"))
                body = "\n".join(x for x in lines if not x.startswith("#include"))
                yield line, "fragment", name, includes + contexts[name].replace("@@", body, 1)
        elif "#include" in code:
            yield line, "unit", None, code
        else:
            yield line, "error", "a fragment without '<!-- snippet: context NAME -->' or '<!-- snippet: synopsis -->'", code


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cxx", default="c++")
    ap.add_argument("--include", action="append", default=[], help="include directory")
    ap.add_argument("--expect-failures", type=int, default=0,
                    help="succeed only with exactly this many failed blocks (the checker's own test)")
    ap.add_argument("files", nargs="+", type=pathlib.Path)
    args = ap.parse_args()
    failed = compiled = skipped = 0
    with tempfile.TemporaryDirectory() as tmp:
        for path in args.files:
            for line, kind, info, code in blocks(path):
                where = f"{path}:{line}"
                if kind == "synopsis":
                    skipped += 1
                    continue
                if kind == "error":
                    print(f"{where}: {info}", file=sys.stderr)
                    failed += 1
                    continue
                source = pathlib.Path(tmp) / f"snippet_{failed + compiled}.cpp"
                # Errors in a whole unit point at the Markdown file's own lines.
                source.write_text((f"#line {line + 1} \"{path}\"\n" if kind == "unit" else "") + code)
                cmd = [args.cxx, "-std=c++20", "-fsyntax-only", *WARNINGS,
                       *(f"-I{d}" for d in args.include), str(source)]
                r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                compiled += 1
                if r.returncode != 0:
                    failed += 1
                    how = "" if kind == "unit" else f" (in snippet-context '{info}')"
                    print(f"{where}: does not compile{how}:\n{r.stdout}", file=sys.stderr)
    print(f"doc snippets: {compiled} compiled, {skipped} synopses skipped, {failed} failed")
    return 0 if failed == args.expect_failures else 1


if __name__ == "__main__":
    sys.exit(main())
