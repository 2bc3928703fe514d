// ipmikit/detail/scan.hpp — byte-scanning kernels shared by the checksum, encoder and decoder.
//
// Internal; never named by users (except tests, which pick a kernel with set_kernel). Jobs,
// all on the VM protocol's hot path:
//  * sum a run of bytes (the checksum);
//  * find the first "special" byte (0xA0, 0xA1, 0xAA — QEMU ipmi_bmc_extern) while summing
//    the plain bytes before it (scan_plain), and optionally copying them (scan_copy), so the
//    decoder and encoder make one pass over the data: scan, copy and checksum together.
//
// Kernels (`kernel`): a portable 64-bit SWAR `scalar` kernel for every target and the path
// forced by tests; `sse2`, always there on x86-64 (no dispatch, no -m flags); `avx2`, compiled
// with __attribute__((target("avx2"))) so users need no -mavx2 and chosen at run time when the
// CPU has it (cpuid, cached); `neon`, always there on little-endian AArch64 (NEON is part of
// the base architecture: no dispatch, no flags), tested by cross-compiling and running under
// qemu-user (scripts/test-aarch64.sh). constexpr evaluation never reaches these kernels
// (callers test std::is_constant_evaluated first). Every kernel gives the same results
// for every input: the byte-at-a-time definition in tests/ is the oracle they are all run
// against (tests/vm_property_test.cpp, fuzz/fuzz_checksum.cpp, fuzz/fuzz_decoder.cpp).
//
// Kernel choice: active_kernel() is the best available kernel, or `scalar` when the
// environment variable IPMIKIT_FORCE_SCALAR is set to anything but "" or "0" (read once, at
// the first use), or whatever set_kernel() chose last (tests and fuzzers loop over
// available_kernels()).
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#if defined(__x86_64__) || defined(_M_X64)
#include <emmintrin.h>
#define IPMIKIT_HAVE_SSE2 1
#else
#define IPMIKIT_HAVE_SSE2 0
#endif

// NEON: AArch64 only (32-bit ARM lacks vaddvq/vqtbl1q), little-endian only (lane numbering).
#if defined(__aarch64__) && defined(__ARM_NEON) && !defined(__ARM_BIG_ENDIAN)
#include <arm_neon.h>
#define IPMIKIT_HAVE_NEON 1
#else
#define IPMIKIT_HAVE_NEON 0
#endif

#if IPMIKIT_HAVE_SSE2 && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define IPMIKIT_HAVE_AVX2 1
#define IPMIKIT_TARGET_AVX2 __attribute__((target("avx2")))
#else
#define IPMIKIT_HAVE_AVX2 0
#define IPMIKIT_TARGET_AVX2
#endif

namespace ipmikit::detail {

// VM protocol special bytes (QEMU ipmi_bmc_extern VM_MSG_CHAR, VM_CMD_CHAR, VM_ESCAPE_CHAR).
// Repeated here, not included from vm/protocol.hpp, because detail/ sits below every layer.
inline constexpr std::uint8_t special_msg = 0xA0;
inline constexpr std::uint8_t special_cmd = 0xA1;
inline constexpr std::uint8_t special_esc = 0xAA;

[[nodiscard]] constexpr bool is_special(std::uint8_t b) noexcept {
  return b == special_msg || b == special_cmd || b == special_esc;
}

constexpr std::array<std::uint8_t, 256> make_special_table() noexcept {
  std::array<std::uint8_t, 256> t{};
  t[special_msg] = t[special_cmd] = t[special_esc] = 1;
  return t;
}
// 1 for the special bytes, 0 elsewhere: one load instead of three compares in scalar loops.
inline constexpr std::array<std::uint8_t, 256> special_table = make_special_table();

// ---------------------------------------------------------------------------------------------
// Kernel selection

enum class kernel : std::uint8_t { scalar = 0, sse2 = 1, avx2 = 2, neon = 3 };
inline constexpr kernel all_kernels[] = {kernel::scalar, kernel::sse2, kernel::avx2, kernel::neon};

[[nodiscard]] constexpr std::string_view name(kernel k) noexcept {
  switch (k) {
    case kernel::scalar: return "scalar";
    case kernel::sse2: return "sse2";
    case kernel::avx2: return "avx2";
    case kernel::neon: return "neon";
  }
  return {};
}

/// True when `k` is compiled in and the CPU running this can execute it.
[[nodiscard]] inline bool kernel_available(kernel k) noexcept {
  switch (k) {
    case kernel::scalar: return true;
    case kernel::sse2: return IPMIKIT_HAVE_SSE2 != 0;
    case kernel::avx2:
#if IPMIKIT_HAVE_AVX2
      return __builtin_cpu_supports("avx2") != 0;
#else
      return false;
#endif
    case kernel::neon: return IPMIKIT_HAVE_NEON != 0;
  }
  return false;
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
// Kernels

/// Result of scan_plain / scan_copy: where the first special byte is (or `end`), and the 8-bit
/// sum of the plain bytes before it.
struct plain_run {
  const std::uint8_t* stop;
  std::uint8_t sum;
};

/// Bytes that scan_copy may write past `room` (block stores): destinations need this slack.
inline constexpr std::size_t copy_slack = 32;

// ---- scalar (portable SWAR)

inline std::uint64_t load64(const std::uint8_t* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Horizontal 8-bit sum of the eight bytes of v.
inline std::uint8_t hsum64(std::uint64_t v) noexcept {
  const std::uint64_t pairs = (v & 0x00FF00FF00FF00FFull) + ((v >> 8) & 0x00FF00FF00FF00FFull);
  return static_cast<std::uint8_t>((pairs * 0x0001000100010001ull) >> 48);
}

inline bool has_zero_byte(std::uint64_t v) noexcept {
  return ((v - 0x0101010101010101ull) & ~v & 0x8080808080808080ull) != 0;
}

inline bool has_special(std::uint64_t v) noexcept {
  return has_zero_byte(v ^ 0xA0A0A0A0A0A0A0A0ull) || has_zero_byte(v ^ 0xA1A1A1A1A1A1A1A1ull) ||
         has_zero_byte(v ^ 0xAAAAAAAAAAAAAAAAull);
}

inline std::uint8_t sum_bytes_scalar(const std::uint8_t* p, std::size_t n) noexcept {
  std::uint32_t s = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) s += hsum64(load64(p + i));
  if (i != n && n >= 8) {
    // The last 8 bytes again, the ones already summed shifted out: no byte loop.
    const std::uint64_t last = load64(p + n - 8);
    const auto drop = static_cast<unsigned>(8 * (8 - (n - i)));
    return static_cast<std::uint8_t>(s + hsum64(std::endian::native == std::endian::little ? last >> drop : last << drop));
  }
  for (; i < n; ++i) s += p[i];
  return static_cast<std::uint8_t>(s);
}

/// Scan [p, end) for the first special byte, summing the bytes before it; when `dst` is not
/// null, also copy the first min(n, room) of them to dst (block stores may write up to
/// copy_slack bytes past dst + room).
template <bool Copy>
inline plain_run scan_scalar(const std::uint8_t* p, const std::uint8_t* end, std::uint8_t* dst,
                             std::size_t room) noexcept {
  const std::uint8_t* const start = p;
  std::uint32_t s = 0;
  while (end - p >= 8) {
    const std::uint64_t v = load64(p);
    if (has_special(v)) break;
    if (Copy && static_cast<std::size_t>(p - start) < room) std::memcpy(dst + (p - start), &v, 8);
    s += hsum64(v);
    p += 8;
  }
  for (; p != end && !is_special(*p); ++p) {
    if (Copy && static_cast<std::size_t>(p - start) < room) dst[p - start] = *p;
    s += *p;
  }
  return {p, static_cast<std::uint8_t>(s)};
}

#if IPMIKIT_HAVE_SSE2

// 0xFF in the first 32 bytes, 0x00 in the next 32: loading B bytes at offset 32 - n gives a
// mask that keeps the first n lanes (B = 16 or 32).
alignas(32) inline constexpr std::uint8_t prefix_mask_table[64] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
// A 16-byte mask keeping the first n lanes (0 <= n <= 16).
inline const std::uint8_t* prefix_mask16(unsigned n) noexcept { return prefix_mask_table + 32 - n; }

inline std::uint32_t sad_total(__m128i sad) noexcept {
  return static_cast<std::uint32_t>(_mm_cvtsi128_si32(sad)) +
         static_cast<std::uint32_t>(_mm_cvtsi128_si32(_mm_unpackhi_epi64(sad, sad)));
}

inline std::uint8_t sum_bytes_sse2(const std::uint8_t* p, std::size_t n) noexcept {
  const __m128i zero = _mm_setzero_si128();
  __m128i acc = zero;
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    acc = _mm_add_epi64(acc, _mm_sad_epu8(v, zero));
  }
  std::uint32_t s = sad_total(acc);
  for (; i < n; ++i) s += p[i];
  return static_cast<std::uint8_t>(s);
}

// 0xFF in the lanes holding 0xA0, 0xA1 or 0xAA: (v & 0xFE) == 0xA0, or v == 0xAA.
inline __m128i special_lanes(__m128i v) noexcept {
  return _mm_or_si128(
      _mm_cmpeq_epi8(_mm_and_si128(v, _mm_set1_epi8(static_cast<char>(0xFE))),
                     _mm_set1_epi8(static_cast<char>(special_msg))),
      _mm_cmpeq_epi8(v, _mm_set1_epi8(static_cast<char>(special_esc))));
}

inline std::uint32_t special_mask(__m128i v) noexcept {
  return static_cast<std::uint32_t>(_mm_movemask_epi8(special_lanes(v)));
}

template <bool Copy>
inline plain_run scan_sse2(const std::uint8_t* p, const std::uint8_t* end, std::uint8_t* dst,
                           std::size_t room) noexcept {
  const std::uint8_t* const start = p;
  const __m128i zero = _mm_setzero_si128();
  __m128i acc = zero;
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const std::uint32_t mask = special_mask(v);
    if (Copy && static_cast<std::size_t>(p - start) < room)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + (p - start)), v);
    if (mask != 0) {
      const unsigned n = static_cast<unsigned>(__builtin_ctz(mask));
      const __m128i keep = _mm_loadu_si128(reinterpret_cast<const __m128i*>(prefix_mask16(n)));
      acc = _mm_add_epi64(acc, _mm_sad_epu8(_mm_and_si128(v, keep), zero));
      return {p + n, static_cast<std::uint8_t>(sad_total(acc))};
    }
    acc = _mm_add_epi64(acc, _mm_sad_epu8(v, zero));
    p += 16;
  }
  std::uint32_t s = sad_total(acc);
  for (; p != end && !is_special(*p); ++p) {
    if (Copy && static_cast<std::size_t>(p - start) < room) dst[p - start] = *p;
    s += *p;
  }
  return {p, static_cast<std::uint8_t>(s)};
}

#endif  // IPMIKIT_HAVE_SSE2

#if IPMIKIT_HAVE_AVX2

IPMIKIT_TARGET_AVX2 inline __m256i special_lanes_avx2(__m256i v) noexcept {
  return _mm256_or_si256(
      _mm256_cmpeq_epi8(_mm256_and_si256(v, _mm256_set1_epi8(static_cast<char>(0xFE))),
                        _mm256_set1_epi8(static_cast<char>(special_msg))),
      _mm256_cmpeq_epi8(v, _mm256_set1_epi8(static_cast<char>(special_esc))));
}

IPMIKIT_TARGET_AVX2 inline std::uint8_t sad_total_avx2(__m256i acc) noexcept {
  const __m128i s = _mm_add_epi64(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  return static_cast<std::uint8_t>(_mm_cvtsi128_si32(s) + _mm_cvtsi128_si32(_mm_unpackhi_epi64(s, s)));
}

IPMIKIT_TARGET_AVX2 inline std::uint8_t sum_bytes_avx2(const std::uint8_t* p, std::size_t n) noexcept {
  const __m256i zero = _mm256_setzero_si256();
  __m256i acc = zero;
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    acc = _mm256_add_epi64(acc, _mm256_sad_epu8(v, zero));
  }
  std::uint32_t s = sad_total_avx2(acc);
  for (; i < n; ++i) s += p[i];
  return static_cast<std::uint8_t>(s);
}

// 32 bytes per step, 64 while the run goes on; below 32 bytes left, one 16-byte step, then
// bytes. Not inlined into callers (they are not compiled for AVX2): one call per run.
template <bool Copy>
IPMIKIT_TARGET_AVX2 plain_run scan_avx2(const std::uint8_t* p, const std::uint8_t* end,
                                        std::uint8_t* dst, std::size_t room) noexcept {
  const std::uint8_t* const start = p;
  const __m256i zero = _mm256_setzero_si256();
  __m256i acc = zero;
  const std::uint8_t* stop = end;
  // Most frames are short: try one 32-byte block before the 64-byte loop.
  bool first = true;
  for (;;) {
    if (end - p >= 64 && !first) {
      const __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
      const __m256i v1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
      const __m256i s0 = special_lanes_avx2(v0);
      const __m256i s1 = special_lanes_avx2(v1);
      if (Copy && static_cast<std::size_t>(p - start) < room) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + (p - start)), v0);
        if (static_cast<std::size_t>(p - start) + 32 < room)
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + (p - start) + 32), v1);
      }
      if (_mm256_testz_si256(_mm256_or_si256(s0, s1), _mm256_or_si256(s0, s1))) {
        acc = _mm256_add_epi64(acc, _mm256_add_epi64(_mm256_sad_epu8(v0, zero), _mm256_sad_epu8(v1, zero)));
        p += 64;
        continue;
      }
      const std::uint64_t mask =
          static_cast<std::uint32_t>(_mm256_movemask_epi8(s0)) |
          (static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm256_movemask_epi8(s1))) << 32);
      const unsigned n = static_cast<unsigned>(__builtin_ctzll(mask));
      if (n >= 32) {
        acc = _mm256_add_epi64(acc, _mm256_sad_epu8(v0, zero));
        const __m256i keep =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(prefix_mask_table + 64 - n));
        acc = _mm256_add_epi64(acc, _mm256_sad_epu8(_mm256_and_si256(v1, keep), zero));
      } else {
        const __m256i keep =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(prefix_mask_table + 32 - n));
        acc = _mm256_add_epi64(acc, _mm256_sad_epu8(_mm256_and_si256(v0, keep), zero));
      }
      stop = p + n;
      break;
    }
    if (end - p >= 32) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
      const auto mask = static_cast<std::uint32_t>(_mm256_movemask_epi8(special_lanes_avx2(v)));
      if (Copy && static_cast<std::size_t>(p - start) < room)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + (p - start)), v);
      if (mask == 0) {
        acc = _mm256_add_epi64(acc, _mm256_sad_epu8(v, zero));
        p += 32;
        first = false;
        continue;
      }
      const unsigned n = static_cast<unsigned>(__builtin_ctz(mask));
      const __m256i keep =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(prefix_mask_table + 32 - n));
      acc = _mm256_add_epi64(acc, _mm256_sad_epu8(_mm256_and_si256(v, keep), zero));
      stop = p + n;
      break;
    }
    // Fewer than 32 bytes left.
    const plain_run tail =
        scan_sse2<Copy>(p, end, Copy ? dst + (p - start) : nullptr,
                        room > static_cast<std::size_t>(p - start) ? room - static_cast<std::size_t>(p - start) : 0);
    return {tail.stop, static_cast<std::uint8_t>(sad_total_avx2(acc) + tail.sum)};
  }
  return {stop, sad_total_avx2(acc)};
}

#endif  // IPMIKIT_HAVE_AVX2

#if IPMIKIT_HAVE_NEON

// ---- neon (AArch64 Advanced SIMD, 16-byte registers)
//
// Sums are kept per lane modulo 256 (vaddq_u8 wraps): the checksum is an 8-bit sum, so the
// across-lanes total of the wrapped lanes (vaddvq_u8, itself mod 256) is the same result as
// any wider accumulation. NEON has no movemask: "which lanes are special" becomes a 64-bit
// scalar by narrowing (nibble_mask_neon) or by weighting lanes with their bit (lane_bits8_neon).

// 0, 1, ..., 15: lane numbers, compared with n to keep the first n lanes.
alignas(16) inline constexpr std::uint8_t lane_index_neon[16] = {0, 1, 2,  3,  4,  5,  6,  7,
                                                                 8, 9, 10, 11, 12, 13, 14, 15};
// 1 << (lane % 8): ANDed with 0xFF/0x00 lanes and summed across 8 lanes, gives an 8-bit mask.
alignas(16) inline constexpr std::uint8_t lane_bits8_neon[16] = {1, 2, 4, 8, 16, 32, 64, 128,
                                                                 1, 2, 4, 8, 16, 32, 64, 128};

inline std::uint8_t sum_bytes_neon(const std::uint8_t* p, std::size_t n) noexcept {
  uint8x16_t acc0 = vdupq_n_u8(0);
  uint8x16_t acc1 = acc0;  // two accumulators: independent adds
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = vaddq_u8(acc0, vld1q_u8(p + i));
    acc1 = vaddq_u8(acc1, vld1q_u8(p + i + 16));
  }
  if (i + 16 <= n) {
    acc0 = vaddq_u8(acc0, vld1q_u8(p + i));
    i += 16;
  }
  std::uint32_t s = vaddvq_u8(vaddq_u8(acc0, acc1));
  for (; i < n; ++i) s += p[i];
  return static_cast<std::uint8_t>(s);
}

// 0xFF in the lanes holding 0xA0, 0xA1 or 0xAA: (v & 0xFE) == 0xA0, or v == 0xAA (vceqq_u8
// sets every bit of an equal lane).
inline uint8x16_t special_lanes_neon(uint8x16_t v) noexcept {
  return vorrq_u8(vceqq_u8(vandq_u8(v, vdupq_n_u8(0xFE)), vdupq_n_u8(special_msg)),
                  vceqq_u8(v, vdupq_n_u8(special_esc)));
}
inline uint8x8_t special_lanes_neon(uint8x8_t v) noexcept {
  return vorr_u8(vceq_u8(vand_u8(v, vdup_n_u8(0xFE)), vdup_n_u8(special_msg)),
                 vceq_u8(v, vdup_n_u8(special_esc)));
}

// 0xFF/0x00 lanes to a 64-bit mask with 4 bits per lane (nibble i = 0xF when lane i is set):
// vshrn_n_u16 shifts each 16-bit pair of lanes right by 4 and keeps its low byte.
inline std::uint64_t nibble_mask_neon(uint8x16_t lanes) noexcept {
  return vget_lane_u64(vreinterpret_u64_u8(vshrn_n_u16(vreinterpretq_u16_u8(lanes), 4)), 0);
}

// 0xFF in the first n lanes (0 <= n <= 16), 0x00 after.
inline uint8x16_t prefix_lanes_neon(unsigned n) noexcept {
  return vcltq_u8(vld1q_u8(lane_index_neon), vdupq_n_u8(static_cast<std::uint8_t>(n)));
}
inline uint8x8_t prefix_lanes_neon8(unsigned n) noexcept {
  return vclt_u8(vld1_u8(lane_index_neon), vdup_n_u8(static_cast<std::uint8_t>(n)));
}

// 32 bytes per step (one test for both blocks: vmaxvq_u8 of their special lanes), then one
// 16-byte and one 8-byte step, then bytes. Same contract as scan_scalar: block stores start
// below dst + room, so they end before dst + room + 31.
template <bool Copy>
inline plain_run scan_neon(const std::uint8_t* p, const std::uint8_t* end, std::uint8_t* dst,
                           std::size_t room) noexcept {
  const std::uint8_t* const start = p;
  uint8x16_t acc = vdupq_n_u8(0);
  while (end - p >= 32) {
    const uint8x16_t v0 = vld1q_u8(p);
    const uint8x16_t v1 = vld1q_u8(p + 16);
    const uint8x16_t s0 = special_lanes_neon(v0);
    const uint8x16_t s1 = special_lanes_neon(v1);
    if (Copy && static_cast<std::size_t>(p - start) < room) {
      vst1q_u8(dst + (p - start), v0);
      if (static_cast<std::size_t>(p - start) + 16 < room) vst1q_u8(dst + (p - start) + 16, v1);
    }
    if (vmaxvq_u8(vorrq_u8(s0, s1)) == 0) {
      acc = vaddq_u8(acc, vaddq_u8(v0, v1));
      p += 32;
      continue;
    }
    uint8x16_t v = v0;
    std::uint64_t mask = nibble_mask_neon(s0);
    if (mask == 0) {  // the first special byte is in the second block
      acc = vaddq_u8(acc, v0);
      p += 16;
      v = v1;
      mask = nibble_mask_neon(s1);
    }
    const unsigned n = static_cast<unsigned>(__builtin_ctzll(mask)) / 4;
    acc = vaddq_u8(acc, vandq_u8(v, prefix_lanes_neon(n)));
    return {p + n, vaddvq_u8(acc)};
  }
  if (end - p >= 16) {
    const uint8x16_t v = vld1q_u8(p);
    const std::uint64_t mask = nibble_mask_neon(special_lanes_neon(v));
    if (Copy && static_cast<std::size_t>(p - start) < room) vst1q_u8(dst + (p - start), v);
    if (mask != 0) {
      const unsigned n = static_cast<unsigned>(__builtin_ctzll(mask)) / 4;
      acc = vaddq_u8(acc, vandq_u8(v, prefix_lanes_neon(n)));
      return {p + n, vaddvq_u8(acc)};
    }
    acc = vaddq_u8(acc, v);
    p += 16;
  }
  std::uint32_t s = vaddvq_u8(acc);
  if (end - p >= 8) {
    const uint8x8_t v = vld1_u8(p);
    // 8 lanes of 0xFF/0x00 are already a 64-bit mask with 8 bits per lane.
    const std::uint64_t mask = vget_lane_u64(vreinterpret_u64_u8(special_lanes_neon(v)), 0);
    if (Copy && static_cast<std::size_t>(p - start) < room) vst1_u8(dst + (p - start), v);
    if (mask != 0) {
      const unsigned n = static_cast<unsigned>(__builtin_ctzll(mask)) / 8;
      return {p + n, static_cast<std::uint8_t>(s + vaddv_u8(vand_u8(v, prefix_lanes_neon8(n))))};
    }
    s += vaddv_u8(v);
    p += 8;
  }
  for (; p != end && !is_special(*p); ++p) {
    if (Copy && static_cast<std::size_t>(p - start) < room) dst[p - start] = *p;
    s += *p;
  }
  return {p, static_cast<std::uint8_t>(s)};
}

// The encoder's escaping on kernel::neon (vm/encoder.hpp, escape_fast): the same expansion as
// its AVX2 kernel, with vqtbl1q_u8 for pshufb (an index >= 16 gives 0 in both).

// An escaped special byte is sent as 0xAA (special_esc), then the byte with this bit set
// (A0/A1/AA -> B0/B1/BA).
inline constexpr std::uint8_t escape_bit_neon = 0x10;

/// For each 8-bit mask of special lanes in 8 input bytes: vqtbl1q_u8 indexes spreading the
/// bytes over 8 + popcount(mask) output lanes (0xFF, giving 0, where an escape byte goes) and
/// the bytes to OR in (0xAA for the escape, 0x10 on the escaped byte).
struct expand_entry_neon {
  std::uint8_t index[16];
  std::uint8_t add[16];
};
constexpr std::array<expand_entry_neon, 256> make_expand_table_neon() noexcept {
  std::array<expand_entry_neon, 256> t{};
  for (unsigned m = 0; m < 256; ++m) {
    for (unsigned i = 0; i < 16; ++i) {
      t[m].index[i] = 0xFF;
      t[m].add[i] = 0;
    }
    unsigned o = 0;
    for (unsigned i = 0; i < 8; ++i) {
      if (m & (1u << i)) {
        t[m].add[o++] = special_esc;
        t[m].add[o] = escape_bit_neon;
      }
      t[m].index[o++] = static_cast<std::uint8_t>(i);
    }
  }
  return t;
}
alignas(16) inline constexpr std::array<expand_entry_neon, 256> expand_table_neon =
    make_expand_table_neon();

// Escapes the 8 low lanes of v (special-lane mask m) to o with one 16-byte store; returns the
// new end.
inline std::uint8_t* expand8_neon(std::uint8_t* o, uint8x16_t v, unsigned m) noexcept {
  const expand_entry_neon& e = expand_table_neon[m];
  vst1q_u8(o, vorrq_u8(vqtbl1q_u8(v, vld1q_u8(e.index)), vld1q_u8(e.add)));
  return o + 8 + __builtin_popcount(m);
}

// Special-lane mask of the 8 low lanes of v.
inline unsigned special_mask8_neon(uint8x16_t v) noexcept {
  return vaddv_u8(vand_u8(special_lanes_neon(vget_low_u8(v)), vld1_u8(lane_bits8_neon)));
}

/// Escapes [p, p + n) to o, which has room for the worst case (2n) before o_end, and adds the
/// bytes to s. Returns the end of the written bytes. While 16 input bytes are left the
/// worst-case room is at least 32: two 16-byte stores fit; with 8 left, one.
inline std::uint8_t* escape_neon(std::uint8_t* o, std::uint8_t* const o_end, const std::uint8_t* p,
                                 std::size_t n, std::uint32_t& s) noexcept {
  const std::uint8_t* const end = p + n;
  uint8x16_t acc = vdupq_n_u8(0);
  while (end - p >= 16) {
    const uint8x16_t v = vld1q_u8(p);
    const uint8x16_t lanes = special_lanes_neon(v);
    acc = vaddq_u8(acc, v);
    p += 16;
    if (vmaxvq_u8(lanes) == 0) {
      vst1q_u8(o, v);
      o += 16;
      continue;
    }
    const uint8x16_t bits = vandq_u8(lanes, vld1q_u8(lane_bits8_neon));
    o = expand8_neon(o, v, vaddv_u8(vget_low_u8(bits)));
    o = expand8_neon(o, vextq_u8(v, v, 8), vaddv_u8(vget_high_u8(bits)));  // high lanes down
  }
  const uint8x8_t zero8 = vdup_n_u8(0);
  if (end - p >= 8) {
    const uint8x16_t v = vcombine_u8(vld1_u8(p), zero8);
    acc = vaddq_u8(acc, v);
    o = expand8_neon(o, v, special_mask8_neon(v));
    p += 8;
  }
  // r < 8 bytes left: the input's last 8 bytes shifted down by 8 - r lanes (zeros shifted in
  // are not special, add nothing and come out last, where they are dropped), when the
  // 16-byte store fits.
  if (const auto r = static_cast<unsigned>(end - p); r > 0 && n >= 8 && o_end - o >= 16) {
    std::uint64_t last;
    std::memcpy(&last, end - 8, 8);
    const uint8x16_t v = vcombine_u8(vcreate_u8(last >> (8 * (8 - r))), zero8);
    acc = vaddq_u8(acc, v);
    o = expand8_neon(o, v, special_mask8_neon(v)) - (8 - r);
    p = end;
  }
  s += vaddvq_u8(acc);
  for (; p != end; ++p) {
    const std::uint8_t b = *p;
    const std::uint8_t k = special_table[b];
    o[0] = k ? special_esc : b;
    o[1] = static_cast<std::uint8_t>(b | escape_bit_neon);
    o += 1 + k;
    s += b;
  }
  return o;
}

#endif  // IPMIKIT_HAVE_NEON

// ---------------------------------------------------------------------------------------------
// Dispatch (the caller reads active_kernel() once and passes it along a hot loop)

inline std::uint8_t sum_bytes(kernel k, const std::uint8_t* p, std::size_t n) noexcept {
  // Short spans (IPMB messages, most VM frames) are summed inline: a call into a vector kernel
  // and its byte tail cost more than the 8-byte words (measured: 16 bytes took 1.8x the byte loop).
  if (n < 32) return sum_bytes_scalar(p, n);
  switch (k) {
#if IPMIKIT_HAVE_AVX2
    case kernel::avx2: return sum_bytes_avx2(p, n);
#endif
#if IPMIKIT_HAVE_SSE2
    case kernel::sse2: return sum_bytes_sse2(p, n);
#endif
#if IPMIKIT_HAVE_NEON
    case kernel::neon: return sum_bytes_neon(p, n);
#endif
    default: return sum_bytes_scalar(p, n);
  }
}

inline std::uint8_t sum_bytes(const std::uint8_t* p, std::size_t n) noexcept {
  return sum_bytes(active_kernel(), p, n);
}

/// Scan [p, end) for the first special byte, summing the bytes before it.
inline plain_run scan_plain(kernel k, const std::uint8_t* p, const std::uint8_t* end) noexcept {
  switch (k) {
#if IPMIKIT_HAVE_AVX2
    case kernel::avx2: return scan_avx2<false>(p, end, nullptr, 0);
#endif
#if IPMIKIT_HAVE_SSE2
    case kernel::sse2: return scan_sse2<false>(p, end, nullptr, 0);
#endif
#if IPMIKIT_HAVE_NEON
    case kernel::neon: return scan_neon<false>(p, end, nullptr, 0);
#endif
    default: return scan_scalar<false>(p, end, nullptr, 0);
  }
}

inline plain_run scan_plain(const std::uint8_t* p, const std::uint8_t* end) noexcept {
  return scan_plain(active_kernel(), p, end);
}

/// scan_plain that also copies the first min(n, room) plain bytes to dst, in the same pass.
/// dst must have room + copy_slack writable bytes (block stores).
inline plain_run scan_copy(kernel k, const std::uint8_t* p, const std::uint8_t* end, std::uint8_t* dst,
                           std::size_t room) noexcept {
  switch (k) {
#if IPMIKIT_HAVE_AVX2
    case kernel::avx2: return scan_avx2<true>(p, end, dst, room);
#endif
#if IPMIKIT_HAVE_SSE2
    case kernel::sse2: return scan_sse2<true>(p, end, dst, room);
#endif
#if IPMIKIT_HAVE_NEON
    case kernel::neon: return scan_neon<true>(p, end, dst, room);
#endif
    default: return scan_scalar<true>(p, end, dst, room);
  }
}

/// What a payload needs to be framed: its special bytes (the escaped size is n + count) and the
/// 8-bit sum of all its bytes, in one pass.
struct special_summary {
  std::size_t count;
  std::uint8_t sum;
};

inline special_summary summarize_special(const std::uint8_t* p, std::size_t n) noexcept {
  const kernel k = active_kernel();
  std::size_t count = 0;
  std::uint32_t sum = 0;
  std::size_t i = 0;
#if IPMIKIT_HAVE_SSE2
  // x86: 16 bytes per step, no branch on the data (a body is at most a few hundred bytes: one
  // inlined SSE2 loop beats a call into the AVX2 kernel per run of plain bytes).
  // Special lanes are counted per lane (0xFF is -1: subtracting counts one), folded into 64-bit
  // totals by psadbw every 255 blocks before a lane can wrap; no popcount (not in the x86-64
  // baseline: it would be a library call).
  if (k != kernel::scalar) {
    const __m128i zero = _mm_setzero_si128();
    __m128i acc = zero;     // byte sums, 64-bit lanes
    __m128i counts = zero;  // special bytes, 64-bit lanes
    __m128i lanes = zero;   // special bytes per byte lane since the last fold
    unsigned blocks = 0;
    const auto block = [&](__m128i v) {
      lanes = _mm_sub_epi8(lanes, special_lanes(v));
      acc = _mm_add_epi64(acc, _mm_sad_epu8(v, zero));
      if (++blocks == 255) {
        counts = _mm_add_epi64(counts, _mm_sad_epu8(lanes, zero));
        lanes = zero;
        blocks = 0;
      }
    };
    for (; n - i >= 16; i += 16) block(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)));
    if (i != n && n >= 16) {  // the last 16 bytes again, the lanes already counted zeroed (not special)
      block(_mm_andnot_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(prefix_mask16(static_cast<unsigned>(16 - (n - i))))),
                             _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n - 16))));
      i = n;
    }
    counts = _mm_add_epi64(counts, _mm_sad_epu8(lanes, zero));
    count = sad_total(counts);
    sum = sad_total(acc);
  }
#elif IPMIKIT_HAVE_NEON
  if (k == kernel::neon && n >= 32) {  // run by run through the NEON kernel
    const std::uint8_t* q = p;
    const std::uint8_t* const end = p + n;
    while (q != end) {
      const plain_run run = scan_plain(k, q, end);
      sum += run.sum;
      q = run.stop;
      if (q == end) break;
      ++count;
      sum += *q++;
    }
    return {count, static_cast<std::uint8_t>(sum)};
  }
#endif
  // The rest (all of it with the scalar kernel): a table lookup per byte, no branch.
  for (; i < n; ++i) {
    count += special_table[p[i]];
    sum += p[i];
  }
  return {count, static_cast<std::uint8_t>(sum)};
}

/// Number of special bytes in [p, p + n): the exact escaped size of a payload is n + this.
inline std::size_t count_special(const std::uint8_t* p, std::size_t n) noexcept {
  return summarize_special(p, n).count;
}

}  // namespace ipmikit::detail
