// fuzz/fuzz_common.hpp — helpers shared by the fuzz targets: a failing check that aborts with a
// message, an input reader, and printing of event lists for diagnosis.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <span>
#include <vector>

#include <ipmikit/detail/simd/select.hpp>
#include <ipmikit/vm/decoder.hpp>

#include "reference_codec.hpp"

namespace ipmikit::fuzz {

/// A clock that is never read: the targets move time themselves (clock jumps from the input),
/// and components templated on a Clock take its time_point and duration.
struct manual_clock {
  using rep = std::int64_t;
  using period = std::nano;
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<manual_clock>;
};

[[noreturn]] inline void fail(const char* file, int line, const char* what) {
  std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", file, line, what);
  std::fflush(stderr);
  std::abort();
}

#define FUZZ_CHECK(cond)                                        \
  do {                                                          \
    if (!(cond)) ::ipmikit::fuzz::fail(__FILE__, __LINE__, #cond); \
  } while (0)

/// The kernels for_each_kernel runs: every available one, or only the one named by the
/// environment variable IPMIKIT_FUZZ_KERNEL (e.g. "neon", for a long campaign of one path
/// under qemu-user; see campaign_main.cpp). Read once; an unknown or unavailable name fails.
inline std::size_t fuzz_kernels(detail::kernel (&out)[std::size(detail::all_kernels)]) {
  const char* only = std::getenv("IPMIKIT_FUZZ_KERNEL");  // NOLINT(concurrency-mt-unsafe)
  if (only == nullptr || only[0] == '\0') return detail::available_kernels(out);
  for (detail::kernel k : detail::all_kernels)
    if (detail::name(k) == only) {
      if (!detail::kernel_available(k)) break;
      out[0] = k;
      return 1;
    }
  fail(__FILE__, __LINE__, "IPMIKIT_FUZZ_KERNEL names no available kernel");
}

/// Runs f once with each available scanning kernel forced (detail::available_kernels: scalar,
/// SSE2, AVX2 where the CPU has it, NEON on AArch64), then restores the default: every
/// execution of a target that uses this is one execution of every path, each checked against
/// the oracle.
template <class F>
void for_each_kernel(F&& f) {
  static detail::kernel kernels[std::size(detail::all_kernels)];
  static const std::size_t n = fuzz_kernels(kernels);
  for (std::size_t i = 0; i < n; ++i) {
    if (!detail::set_kernel(kernels[i])) fail(__FILE__, __LINE__, "kernel not available");
    f();
  }
  detail::reset_kernel();
}

/// Reads the fuzzer's bytes front to back; past the end every read gives 0 / an empty span.
class reader {
 public:
  explicit reader(std::span<const std::uint8_t> bytes) noexcept : bytes_(bytes) {}

  std::uint8_t u8() noexcept {
    if (pos_ >= bytes_.size()) return 0;
    return bytes_[pos_++];
  }
  /// Up to n bytes (fewer at the end of the input).
  std::span<const std::uint8_t> take(std::size_t n) noexcept {
    const std::size_t k = n < remaining() ? n : remaining();
    const auto out = bytes_.subspan(pos_, k);
    pos_ += k;
    return out;
  }
  std::span<const std::uint8_t> rest() noexcept { return take(remaining()); }
  [[nodiscard]] std::size_t remaining() const noexcept { return bytes_.size() - pos_; }
  [[nodiscard]] bool empty() const noexcept { return remaining() == 0; }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

inline void print_bytes(std::span<const std::uint8_t> bytes) {
  for (std::size_t i = 0; i < bytes.size(); ++i) std::fprintf(stderr, "%s%02X", i ? " " : "", bytes[i]);
}

inline void print_event(const test::event& e) {
  switch (e.what) {
    case test::event::type::message:
      std::fprintf(stderr, "  message id=%02X @%llu body=[", e.id_or_code,
                   static_cast<unsigned long long>(e.frame_offset));
      break;
    case test::event::type::command:
      std::fprintf(stderr, "  command code=%02X @%llu args=[", e.id_or_code,
                   static_cast<unsigned long long>(e.frame_offset));
      break;
    case test::event::type::error:
      std::fprintf(stderr, "  error %.*s kind=%s frame@%llu at=%llu length=%zu kept=[",
                   static_cast<int>(vm::name(e.error).size()), vm::name(e.error).data(),
                   e.kind == vm::frame_kind::message ? "message" : "command",
                   static_cast<unsigned long long>(e.frame_offset),
                   static_cast<unsigned long long>(e.offset), e.length);
      break;
  }
  print_bytes(e.bytes);
  std::fprintf(stderr, "]\n");
}

/// Prints both event lists around their first difference.
inline void print_event_diff(const char* left_name, const std::vector<test::event>& left,
                             const char* right_name, const std::vector<test::event>& right) {
  std::size_t i = 0;
  while (i < left.size() && i < right.size() && left[i] == right[i]) ++i;
  std::fprintf(stderr, "event lists differ at index %zu (%s: %zu events, %s: %zu events)\n", i,
               left_name, left.size(), right_name, right.size());
  const std::size_t from = i > 2 ? i - 2 : 0;
  std::fprintf(stderr, "%s:\n", left_name);
  for (std::size_t k = from; k < left.size() && k < i + 3; ++k) print_event(left[k]);
  std::fprintf(stderr, "%s:\n", right_name);
  for (std::size_t k = from; k < right.size() && k < i + 3; ++k) print_event(right[k]);
}

}  // namespace ipmikit::fuzz
