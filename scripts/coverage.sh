#!/usr/bin/env bash
# Line coverage of include/ipmikit/ by every test: clang 14 source-based coverage
# (-fprofile-instr-generate -fcoverage-mapping, the `coverage` preset in CMakePresets.json).
#
#   scripts/coverage.sh [--min PERCENT] [--html DIR] [--uncovered] [--jobs N] [--report-only]
#                       [-- CTEST_ARGS...]
#
# 1. configures and builds the `coverage` preset in build/coverage (nice -n 10);
# 2. runs every ctest entry (unit, property, no-alloc, no-exceptions, examples, ipmikit-bmc,
#    interop, fleet load, Linux guest) with LLVM_PROFILE_FILE=build/coverage/profiles/%p-%m.profraw,
#    so every instrumented process writes its own profile: the test executables and the
#    programs the tests start (ipmikit-bmc, ipmikit-load, ipmikit-dump, the examples); then, as
#    scripts/test.sh does, the codec's tests again with IPMIKIT_FORCE_SCALAR=1;
# 3. merges the profiles (llvm-profdata-14) and prints, for every header under include/ipmikit/,
#    its lines, missed lines and line coverage, with llvm-cov-14 reading every instrumented
#    executable of the build (-object each), and the total.
#
#   --min PERCENT   exit 1 when the total line coverage of include/ipmikit/ is below PERCENT
#   --html DIR      also write llvm-cov's HTML report of the headers to DIR
#   --uncovered     also list each header's uncovered lines (ranges)
#   --jobs N        ctest -jN (default 2)
#   --report-only   no build, no test run: report the profiles already in build/coverage/profiles
#                   (e.g. after `cmake --workflow --preset coverage`, whose test preset sets
#                   the same LLVM_PROFILE_FILE)
#   -- ARGS         passed to ctest, e.g. `-- -LE interop` for a quick run without the real peers
#
# Failing tests are listed (and their profiles still count); they do not change the exit
# status, which is about coverage: scripts/test.sh is what judges the tests. Tests that need
# QEMU, ipmi_sim or the Linux guest are skipped when those are missing; skipped tests are
# listed too. docs/coverage.md explains what counts and how to read the table.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root=$(repo_root)
cd "$root"

min=
html=
uncovered=
jobs=2
report_only=
ctest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --min) min=${2:?--min needs a percentage}; shift 2 ;;
    --html) html=${2:?--html needs a directory}; shift 2 ;;
    --uncovered) uncovered=1; shift ;;
    --jobs) jobs=${2:?--jobs needs a number}; shift 2 ;;
    --report-only) report_only=1; shift ;;
    --) shift; ctest_args=("$@"); break ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "coverage.sh: unknown option '$1' (--help)" >&2; exit 2 ;;
  esac
done

build=$root/build/coverage
profiles=$build/profiles

if [ -z "$report_only" ]; then
  ensure_packages clang-14 llvm-14 cmake ninja-build doctest-dev python3 \
    openipmi ipmitool qemu-system-x86 busybox-static cpio kmod xz-utils

  stage "the Linux guest of the interop tests (Debian's kernel package, fetched once)"
  scripts/build-guest.sh build/linux-guest

  stage "configure and build the coverage preset (clang++-14, -fprofile-instr-generate -fcoverage-mapping)"
  nice -n 10 cmake --preset coverage >/dev/null
  nice -n 10 cmake --build --preset coverage -j "$jobs"

  rm -rf "$profiles" "$build/ctest.log"
  mkdir -p "$profiles"
  export LLVM_PROFILE_FILE="$profiles/%p-%m.profraw"
  ctest_rc=0
  # run_ctest ARGS...: ctest on the coverage build, its output also appended to ctest.log.
  run_ctest() {
    set +e
    nice -n 10 ctest --test-dir "$build" -j "$jobs" --timeout 600 --output-on-failure "$@" 2>&1 |
      tee -a "$build/ctest.log"
    local rc=${PIPESTATUS[0]}
    set -e
    [ "$rc" -eq 0 ] || ctest_rc=$rc
  }

  stage "every test, one profile per process in ${profiles#"$root"/}"
  run_ctest "${ctest_args[@]}"

  # As scripts/test.sh does: the codec's tests again with the vector kernels forced off, so the
  # scalar kernel's run-time paths count too.
  stage "the codec's tests with IPMIKIT_FORCE_SCALAR=1 (the scalar kernel)"
  IPMIKIT_FORCE_SCALAR=1 run_ctest -R '^ipmikit_(tests|no_alloc_test|noexcept_test)$'
fi

shopt -s nullglob
raw=("$profiles"/*.profraw)
shopt -u nullglob
[ ${#raw[@]} -gt 0 ] || { echo "coverage.sh: no profiles in $profiles" >&2; exit 2; }

stage "merge ${#raw[@]} profiles (llvm-profdata-14)"
llvm-profdata-14 merge -sparse -o "$build/coverage.profdata" "${raw[@]}"

# Every instrumented executable the build links (Ninja's list, so a program left over from an
# older build, whose line numbers may be stale, is never read), when it has coverage mappings.
objects=()
while IFS= read -r f; do
  # (grep reads it all: with -q, pipefail would see llvm-readelf's SIGPIPE as "no")
  if [ -f "$build/$f" ] && llvm-readelf-14 --section-headers "$build/$f" 2>/dev/null |
      grep '__llvm_covmap' >/dev/null; then
    objects+=("$build/$f")
  fi
done < <(ninja -C "$build" -t targets all | sed -n 's/^\([^:]*\): CXX_EXECUTABLE_LINKER_.*/\1/p' | sort)
[ ${#objects[@]} -gt 0 ] || { echo "coverage.sh: no instrumented executables in $build" >&2; exit 2; }

report=(python3 "$root/scripts/coverage-table.py" --llvm-cov llvm-cov-14
        --profdata "$build/coverage.profdata" --include "$root/include/ipmikit")
[ -n "$uncovered" ] && report+=(--uncovered)
[ -n "$html" ] && report+=(--html "$html")
[ -n "$min" ] && report+=(--min "$min")

# The commit, "-dirty" when the tree has changes (the table then describes more than the commit).
commit=$(git describe --always --dirty 2>/dev/null || echo 'no git')
stage "line coverage of include/ipmikit/ at $commit, $(date +%F)"
echo "objects: ${objects[*]#"$build"/}"
set +e
"${report[@]}" "${objects[@]}"
report_rc=$?
set -e

if [ -z "$report_only" ]; then
  echo
  if [ "$ctest_rc" -eq 0 ]; then
    echo "tests: all passed"
  else
    echo "tests: NOT all passed (ctest exit $ctest_rc); from $build/ctest.log:"
  fi
  # ctest's own summary of failed and skipped tests.
  awk '/^The following tests (FAILED|did not run):/ { p = 1; print; next }
       p && /^[ \t]/ { print; next }
       { p = 0 }' "$build/ctest.log"
fi
exit "$report_rc"
