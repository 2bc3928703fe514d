#!/usr/bin/env bash
# The whole test suite: g++ Debug and Release builds + tests, clang ASan/UBSan build + tests,
# every fuzz target for a bounded time on its checked-in corpus, a benchmark smoke run, and the consumer tests
# (find_package on an installed tree, add_subdirectory), and the codec cross-compiled for
# AArch64 and run under qemu-user (the NEON kernel; scripts/test-aarch64.sh). Exits non-zero on
# any failure. The interop tests include a Linux guest in QEMU (tests/interop/linux_guest_test.sh):
# its first run fetches Debian's kernel package with apt-get download into build/linux-guest, once.
# Installs what it needs from Debian's packages when it is missing.
# The Linux guest tests (label linux_guest, ~3 min a build) run in the Release and ASan builds, not
# in Debug: Release is what users run, ASan is where a memory error shows.
#   FUZZ_SECONDS=N  seconds per fuzz target (default 20; long campaigns are run apart: fuzz/README.md)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root=$(repo_root)
cd "$root"

ensure_packages g++ clang cmake ninja-build pkgconf doctest-dev libbenchmark-dev libssl-dev nlohmann-json3-dev python3 \
  openipmi ipmitool freeipmi-tools python3-pyghmi qemu-system-x86 \
  libclang-rt-14-dev libfuzzer-14-dev \
  busybox-static cpio kmod xz-utils

fuzz_seconds=${FUZZ_SECONDS:-20}
# The real peers were installed above: an interop test must not pass as "skipped".
export IPMIKIT_INTEROP_REQUIRED=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0

stage "the Linux guest of the interop tests (Debian's kernel package, fetched once)"
scripts/build-guest.sh build/linux-guest
passed=$((passed + 1))

stage "g++: build and test (warnings are errors)"
cmake --workflow --preset gcc-debug
passed=$((passed + 1))

stage "g++ Release (CMake's -O3 -DNDEBUG, as a packager builds it): build and test (warnings are errors)"
# GCC's -O2/-O3 warnings (-Warray-bounds, -Wrestrict, -Wformat-truncation, -Wmaybe-uninitialized…)
# only appear in optimised builds: this keeps a packager's first build from breaking again.
cmake --workflow --preset gcc-release
passed=$((passed + 1))

stage "clang++ with ASan + UBSan: build and test"
cmake --workflow --preset clang-asan
passed=$((passed + 1))

stage "the codec with its vector kernels forced off (IPMIKIT_FORCE_SCALAR=1): unit, property, no-alloc tests"
IPMIKIT_FORCE_SCALAR=1 ctest --test-dir build/clang-asan -R '^ipmikit_(tests|no_alloc_test|noexcept_test)$' \
  --output-on-failure
passed=$((passed + 1))

stage "libFuzzer targets: build, replay corpora, then ${fuzz_seconds}s of fuzzing each, two at a time"
cmake --workflow --preset clang-fuzz
# campaign CORPUS: one target on its corpus; its output in $tmp/NAME.out, its status in $tmp/NAME.rc.
campaign() {
  local corpus=$1 name target rc=0
  name=$(basename "$corpus")
  target=build/clang-fuzz/fuzz/fuzz_${name#fuzz_}
  local dict=()
  [ -f fuzz/vm.dict ] && dict=(-dict=fuzz/vm.dict)
  mkdir -p "$tmp/$name"
  # New inputs go to the scratch directory (first); the checked-in corpus is only read.
  "$target" "$tmp/$name" "$corpus" "${dict[@]}" -max_total_time="$fuzz_seconds" \
    -print_final_stats=1 -close_fd_mask=1 >"$tmp/$name.out" 2>&1 || rc=$?
  echo "$rc" >"$tmp/$name.rc"
}
corpora=(fuzz/corpus/*/)
for corpus in "${corpora[@]}"; do
  name=$(basename "$corpus")
  [ -x "build/clang-fuzz/fuzz/fuzz_${name#fuzz_}" ] || { echo "no fuzz target for corpus $corpus" >&2; exit 1; }
done
# Two at a time (the CI machine has two cores); each reported when its pair is done.
for ((i = 0; i < ${#corpora[@]}; i += 2)); do
  pair=("${corpora[@]:i:2}")
  for corpus in "${pair[@]}"; do campaign "$corpus" & done
  wait
  for corpus in "${pair[@]}"; do
    name=$(basename "$corpus")
    echo "-- build/clang-fuzz/fuzz/fuzz_${name#fuzz_} (${fuzz_seconds}s)"
    grep -E '^(stat::number_of_executed_units|#[0-9]+ +DONE)' "$tmp/$name.out" || true
    if [ "$(cat "$tmp/$name.rc")" != 0 ]; then
      tail -n 60 "$tmp/$name.out"
      echo "fuzz target fuzz_${name#fuzz_} failed (exit $(cat "$tmp/$name.rc"))" >&2
      exit 1
    fi
  done
done
passed=$((passed + 1))

stage "AArch64 under qemu-user: the NEON kernel (cross-compiled codec tests, fuzz corpora, short campaigns)"
"$root/scripts/test-aarch64.sh"
passed=$((passed + 1))

stage "benchmarks: release build and a short smoke run"
cmake --workflow --preset release-bench
build/release-bench/bench/ipmikit_bench --benchmark_min_time=0.01 >/dev/null
passed=$((passed + 1))

stage "consumer: an installed tree (the programs, their unit and sample), find_package(ipmikit) on it, and pkg-config"
# A packager's build: the library and the programs (IPMIKIT_BUILD_APPS is on at top level).
cmake -S . -B "$tmp/pkg-build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DIPMIKIT_BUILD_TESTS=OFF \
  -DIPMIKIT_BUILD_EXAMPLES=OFF -DCMAKE_INSTALL_PREFIX="$tmp/prefix" >/dev/null
cmake --build "$tmp/pkg-build"
cmake --install "$tmp/pkg-build" >/dev/null
tests/consumer/check_install.sh "$tmp/prefix"
cmake -S tests/consumer/find_package -B "$tmp/consumer-find" -G Ninja \
  -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/consumer-find"
"$tmp/consumer-find/consumer"
# shellcheck disable=SC2046
g++ -o "$tmp/consumer-pc" tests/consumer/consumer.cpp \
  $(PKG_CONFIG_PATH="$tmp/prefix/share/pkgconfig" pkg-config --cflags ipmikit)
"$tmp/consumer-pc"
passed=$((passed + 1))

stage "consumer: add_subdirectory(ipmikit)"
cmake -S tests/consumer/add_subdirectory -B "$tmp/consumer-sub" -G Ninja \
  -DIPMIKIT_SOURCE_DIR="$root" >/dev/null
cmake --build "$tmp/consumer-sub"
"$tmp/consumer-sub/consumer"
passed=$((passed + 1))

echo
echo "test stages: $passed passed, 0 failed"
