// ipmikit/detail/simd/select.hpp — which kernel set runs: one entry point per kernel, taking
// the kernel to use, and the process-wide choice.
//
// Internal; never named by users (except tests and fuzzers, which force a kernel with
// set_kernel). The choice, active_kernel(), is the best kernel set available (AVX2 when the CPU
// has it, else SSE2 on x86-64, NEON on AArch64, else the portable one), or kernel::scalar when
// the environment variable IPMIKIT_FORCE_SCALAR is set to anything but "" or "0" (read once, at
// the first use), or whatever set_kernel() chose last. A hot loop reads active_kernel() once and
// passes it along. Every kernel gives the same results for every input: tests/simd_test.cpp
// runs each one against a byte loop, and the codec's tests and fuzzers run every one.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iterator>

#include "avx2.hpp"
#include "common.hpp"
#include "neon.hpp"
#include "sse2.hpp"
#include "swar.hpp"

namespace ipmikit::detail {

// ---------------------------------------------------------------------------------------------
// The choice

/// True when `k` is compiled in and the CPU running this can execute it.
[[nodiscard]] inline bool kernel_available(kernel k) noexcept {
  switch (k) {
    case kernel::scalar: return simd::swar::supported();
#if IPMIKIT_HAVE_SSE2
    case kernel::sse2: return simd::sse2::supported();
#endif
#if IPMIKIT_HAVE_AVX2
    case kernel::avx2: return simd::avx2::supported();
#endif
#if IPMIKIT_HAVE_NEON
    case kernel::neon: return simd::neon::supported();
#endif
    default: return false;
  }
}

/// The fastest available kernel.
[[nodiscard]] inline kernel best_kernel() noexcept {
  if (kernel_available(kernel::avx2)) return kernel::avx2;
  if (kernel_available(kernel::sse2)) return kernel::sse2;
  if (kernel_available(kernel::neon)) return kernel::neon;
  return kernel::scalar;
}

inline constexpr std::uint8_t kernel_unset = 0xFF;
inline std::atomic<std::uint8_t> active_kernel_state{kernel_unset};

[[nodiscard]] inline kernel initial_kernel() noexcept {
  const char* force = std::getenv("IPMIKIT_FORCE_SCALAR");  // NOLINT(concurrency-mt-unsafe)
  if (force != nullptr && force[0] != '\0' && !(force[0] == '0' && force[1] == '\0'))
    return kernel::scalar;
  return best_kernel();
}

/// The kernel the codec uses now (one relaxed load; the first call reads the environment).
[[nodiscard]] inline kernel active_kernel() noexcept {
  std::uint8_t k = active_kernel_state.load(std::memory_order_relaxed);
  if (k == kernel_unset) [[unlikely]] {
    k = static_cast<std::uint8_t>(initial_kernel());
    active_kernel_state.store(k, std::memory_order_relaxed);
  }
  return static_cast<kernel>(k);
}

/// Makes the codec use `k` from now on (tests, fuzzers, benchmarks). Returns false and changes
/// nothing when `k` is not available here.
inline bool set_kernel(kernel k) noexcept {
  if (!kernel_available(k)) return false;
  active_kernel_state.store(static_cast<std::uint8_t>(k), std::memory_order_relaxed);
  return true;
}

/// Back to the default choice (environment, then the best kernel).
inline void reset_kernel() noexcept {
  active_kernel_state.store(static_cast<std::uint8_t>(initial_kernel()), std::memory_order_relaxed);
}

/// The available kernels, scalar first; returns how many were written to `out`.
inline std::size_t available_kernels(kernel (&out)[std::size(all_kernels)]) noexcept {
  std::size_t n = 0;
  for (kernel k : all_kernels)
    if (kernel_available(k)) out[n++] = k;
  return n;
}

// ---------------------------------------------------------------------------------------------
// The kernels (contracts: swar.hpp)

inline std::uint8_t sum_bytes(kernel k, const std::uint8_t* p, std::size_t n) noexcept {
  // Short spans (IPMB messages, most VM frames) are summed inline: a call into a vector kernel
  // and its byte tail cost more than the 8-byte words.
  if (n < 32) return simd::swar::sum(p, n);
  switch (k) {
#if IPMIKIT_HAVE_AVX2
    case kernel::avx2: return simd::avx2::sum(p, n);
#endif
#if IPMIKIT_HAVE_SSE2
    case kernel::sse2: return simd::sse2::sum(p, n);
#endif
#if IPMIKIT_HAVE_NEON
    case kernel::neon: return simd::neon::sum(p, n);
#endif
    default: return simd::swar::sum(p, n);
  }
}

inline std::uint8_t sum_bytes(const std::uint8_t* p, std::size_t n) noexcept {
  return sum_bytes(active_kernel(), p, n);
}

template <class Set>
inline plain_run scan_plain(kernel k, const std::uint8_t* p, const std::uint8_t* end) noexcept {
  switch (k) {
#if IPMIKIT_HAVE_AVX2
    case kernel::avx2: return simd::avx2::scan<Set>(p, end);
#endif
#if IPMIKIT_HAVE_SSE2
    case kernel::sse2: return simd::sse2::scan<Set>(p, end);
#endif
#if IPMIKIT_HAVE_NEON
    case kernel::neon: return simd::neon::scan<Set>(p, end);
#endif
    default: return simd::swar::scan<Set>(p, end);
  }
}

/// dst must have room + copy_slack writable bytes.
template <class Set>
inline plain_run scan_copy(kernel k, const std::uint8_t* p, const std::uint8_t* end, std::uint8_t* dst,
                    std::size_t room) noexcept {
  switch (k) {
#if IPMIKIT_HAVE_AVX2
    case kernel::avx2: return simd::avx2::scan_copy<Set>(p, end, dst, room);
#endif
#if IPMIKIT_HAVE_SSE2
    case kernel::sse2: return simd::sse2::scan_copy<Set>(p, end, dst, room);
#endif
#if IPMIKIT_HAVE_NEON
    case kernel::neon: return simd::neon::scan_copy<Set>(p, end, dst, room);
#endif
    default: return simd::swar::scan_copy<Set>(p, end, dst, room);
  }
}

template <class Set>
inline set_count count_bytes(kernel k, const std::uint8_t* p, std::size_t n) noexcept {
  if (n < 16) return simd::swar::count<Set>(p, n);  // inline, as in sum_bytes: most frame bodies
  switch (k) {
#if IPMIKIT_HAVE_SSE2
    case kernel::avx2:  // avx2::count is sse2::count: one call site, so it is inlined
    case kernel::sse2: return simd::sse2::count<Set>(p, n);
#endif
#if IPMIKIT_HAVE_NEON
    case kernel::neon: return simd::neon::count<Set>(p, n);
#endif
    default: return simd::swar::count<Set>(p, n);
  }
}

/// o_end - o >= 2n; adds the bytes to s; returns the end of the bytes written.
template <class Esc>
inline std::uint8_t* escape_bytes(kernel k, std::uint8_t* o, std::uint8_t* o_end, const std::uint8_t* p,
                           std::size_t n, std::uint32_t& s) noexcept {
  switch (k) {
#if IPMIKIT_HAVE_AVX2
    case kernel::avx2: return simd::avx2::escape<Esc>(o, o_end, p, n, s);
#endif
#if IPMIKIT_HAVE_SSE2
    case kernel::sse2: return simd::sse2::escape<Esc>(o, o_end, p, n, s);
#endif
#if IPMIKIT_HAVE_NEON
    case kernel::neon: return simd::neon::escape<Esc>(o, o_end, p, n, s);
#endif
    default: return simd::swar::escape<Esc>(o, o_end, p, n, s);
  }
}

}  // namespace ipmikit::detail
