#!/usr/bin/env bash
# scripts/test-aarch64.sh — the codec on AArch64, where the NEON kernel is the default:
# cross-compiles with Debian's aarch64-linux-gnu-g++ (warnings are errors) and runs under
# qemu-user (qemu-aarch64 -L /usr/aarch64-linux-gnu):
#  1. a probe that lists detail::available_kernels() and fails unless it includes neon;
#  2. the codec's doctest suites (checksum, message, vm, session: unit and property tests, which run
#     every available kernel, so scalar and neon, against the oracle tests/reference_codec.hpp;
#     simd: each kernel set of ipmikit/detail/simd, neon included, against byte loops);
#  3. the codec fuzz targets (fuzz_decoder, fuzz_roundtrip, fuzz_checksum; every input on every
#     kernel) with standalone_main.cpp, replaying fuzz/corpus/<target> and fuzz/regressions/<target>;
#  4. the same targets with campaign_main.cpp for CAMPAIGN_RUNS generated inputs each (default
#     20000; the long campaigns are described in fuzz/README.md).
# Installs what it needs from Debian's packages. About 1.5 minutes on 2 cores.
#   AARCH64_BUILD_DIR=DIR  build directory (default build/aarch64)
#   JOBS=N                 parallel compilations (default 2)
#   CAMPAIGN_RUNS=N        generated inputs per fuzz target in step 4 (default 20000)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root=$(repo_root)
cd "$root"

ensure_packages g++-aarch64-linux-gnu qemu-user doctest-dev

out=${AARCH64_BUILD_DIR:-build/aarch64}
jobs=${JOBS:-2}
campaign_runs=${CAMPAIGN_RUNS:-20000}
cxx=aarch64-linux-gnu-g++
sysroot=/usr/aarch64-linux-gnu
mkdir -p "$out/obj" "$out/include"
# doctest is header-only: point the cross compiler at it alone, not at all of /usr/include.
ln -sfn /usr/include/doctest "$out/include/doctest"
flags=(-std=c++20 -O1 -Werror -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow
       -Iinclude -Itests -Ifuzz -isystem "$out/include")
run() { qemu-aarch64 -L "$sysroot" "$@"; }

# compile SRC...: one object per source, at most $jobs compilers at a time.
compile() {
  local src pids=() failed=0 pid
  for src in "$@"; do
    if [ ${#pids[@]} -ge "$jobs" ]; then
      wait "${pids[0]}" || failed=1
      pids=("${pids[@]:1}")
    fi
    "$cxx" "${flags[@]}" -c "$src" -o "$out/obj/$(basename "${src%.cpp}").o" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  return $failed
}
obj() { local s; for s in "$@"; do printf '%s/obj/%s.o ' "$out" "$(basename "${s%.cpp}")"; done; }

echo "-- compiling with $($cxx --version | head -1)"
cat > "$out/kernels_probe.cpp" <<'EOF'
// Lists the codec kernels this build can run; fails unless NEON is among them.
#include <cstdio>
#include <ipmikit/detail/simd/select.hpp>
int main() {
  namespace d = ipmikit::detail;
  d::kernel ks[std::size(d::all_kernels)];
  const std::size_t n = d::available_kernels(ks);
  bool neon = false;
  std::printf("available kernels:");
  for (std::size_t i = 0; i < n; ++i) {
    std::printf(" %.*s", static_cast<int>(d::name(ks[i]).size()), d::name(ks[i]).data());
    neon = neon || ks[i] == d::kernel::neon;
  }
  std::printf("; default: %.*s\n", static_cast<int>(d::name(d::active_kernel()).size()),
              d::name(d::active_kernel()).data());
  return neon && d::active_kernel() == d::kernel::neon ? 0 : 1;
}
EOF
test_sources=(tests/test_main.cpp tests/checksum_test.cpp tests/message_test.cpp
              tests/vm_protocol_test.cpp tests/vm_encoder_test.cpp tests/vm_decoder_test.cpp
              tests/vm_property_test.cpp tests/vm_session_test.cpp tests/simd_test.cpp)
fuzz_targets=(fuzz_decoder fuzz_roundtrip fuzz_checksum)
fuzz_sources=()
for t in "${fuzz_targets[@]}"; do fuzz_sources+=("fuzz/$t.cpp"); done
compile "$out/kernels_probe.cpp" "${test_sources[@]}" fuzz/standalone_main.cpp fuzz/campaign_main.cpp \
  "${fuzz_sources[@]}"
link() { local o=$1; shift; "$cxx" -o "$out/$o" "$@"; }
# shellcheck disable=SC2046
{
  link kernels_probe $(obj kernels_probe.cpp)
  link codec_tests $(obj "${test_sources[@]}")
  for t in "${fuzz_targets[@]}"; do
    link "${t}_standalone" $(obj "$t.cpp" standalone_main.cpp)
    link "${t}_campaign" $(obj "$t.cpp" campaign_main.cpp)
  done
}

echo "-- kernels (qemu-aarch64)"
run "$out/kernels_probe"

echo "-- codec tests: checksum, message, simd, vm, session suites (every kernel against the oracle)"
run "$out/codec_tests"

for t in "${fuzz_targets[@]}"; do
  dirs=("fuzz/corpus/$t")
  [ -d "fuzz/regressions/$t" ] && dirs+=("fuzz/regressions/$t")
  echo "-- $t: replay ${dirs[*]}"
  run "$out/${t}_standalone" "${dirs[@]}"
done

for t in "${fuzz_targets[@]}"; do
  echo "-- $t: $campaign_runs generated inputs, every kernel"
  run "$out/${t}_campaign" -runs="$campaign_runs" -seed=1 -dict=fuzz/vm.dict \
    -artifact="$out/campaign-crash-$t" "fuzz/corpus/$t" | tail -1
done
echo "aarch64: all passed"
