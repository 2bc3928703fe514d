// ipmikit/detail/simd/avx2.hpp — the AVX2 kernel set (kernel::avx2): 32 and 64 bytes per step,
// and escaping by table shuffles (pshufb). Compiled with __attribute__((target("avx2"))), so
// users pass no -mavx2, and chosen at run time when the CPU has AVX2 (select.hpp). Same
// functions and contracts as swar.hpp.
//
// Internal; never named by users. The functions are not inlined into their callers (those are
// not compiled for AVX2): a call per run of bytes, which is why count uses the SSE2 kernel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "common.hpp"
#include "sse2.hpp"
#include "swar.hpp"

#if IPMIKIT_HAVE_SSE2 && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define IPMIKIT_HAVE_AVX2 1
#define IPMIKIT_TARGET_AVX2 __attribute__((target("avx2")))
// The kernels callers call: each starts a 64-byte block, so where the linker puts it does not
// decide whether its loop straddles two fetch blocks (docs/performance.md, Kernels).
#define IPMIKIT_AVX2_KERNEL __attribute__((target("avx2"), aligned(64)))
#else
#define IPMIKIT_HAVE_AVX2 0
#define IPMIKIT_TARGET_AVX2
#define IPMIKIT_AVX2_KERNEL
#endif

#if IPMIKIT_HAVE_AVX2

namespace ipmikit::detail::simd {

struct avx2 {
  static constexpr kernel id = kernel::avx2;
  /// The CPU running this has AVX2 (cpuid, read once by the compiler's runtime).
  [[nodiscard]] static bool supported() noexcept { return __builtin_cpu_supports("avx2") != 0; }

  IPMIKIT_AVX2_KERNEL static std::uint8_t sum(const std::uint8_t* p, std::size_t n) noexcept {
    const __m256i zero = _mm256_setzero_si256();
    __m256i acc = zero;
    std::size_t i = 0;
    for (; i + 32 <= n; i += 32) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
      acc = _mm256_add_epi64(acc, _mm256_sad_epu8(v, zero));
    }
    std::uint32_t s = sad_total(acc);
    for (; i < n; ++i) s += p[i];
    return static_cast<std::uint8_t>(s);
  }

  template <class Set>
  IPMIKIT_AVX2_KERNEL static plain_run scan(const std::uint8_t* p, const std::uint8_t* end) noexcept {
    return run<Set, false>(p, end, nullptr, 0);
  }

  template <class Set>
  IPMIKIT_AVX2_KERNEL static plain_run scan_copy(const std::uint8_t* p, const std::uint8_t* end,
                                                 std::uint8_t* dst, std::size_t room) noexcept {
    return run<Set, true>(p, end, dst, room);
  }

  /// The SSE2 kernel: spans to count are a frame's body, a few hundred bytes at most, and an
  /// inlined SSE2 loop beats a call into an AVX2 function (docs/performance.md, Kernels).
  template <class Set>
  static set_count count(const std::uint8_t* p, std::size_t n) noexcept {
    return sse2::count<Set>(p, n);
  }

  /// 16 bytes per step, each half of a block with a byte to escape expanded by one pshufb from
  /// expand_table: the same cost for every density of escaped bytes.
  template <class Esc>
  IPMIKIT_AVX2_KERNEL static std::uint8_t* escape(std::uint8_t* o, std::uint8_t* const o_end,
                                                  const std::uint8_t* p, std::size_t n,
                                                  std::uint32_t& s) noexcept {
    using Set = typename Esc::set;
    const std::uint8_t* const end = p + n;
    const __m128i zero = _mm_setzero_si128();
    __m128i acc = zero;
    // 16 input bytes left: the worst-case room left is at least 32, enough for two 16-byte stores.
    while (end - p >= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      const std::uint32_t m = sse2::mask<Set>(v);
      acc = _mm_add_epi64(acc, _mm_sad_epu8(v, zero));
      p += 16;
      if (m == 0) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(o), v);
        o += 16;
        continue;
      }
      o = expand8<Esc>(o, v, m & 0xFFu);
      o = expand8<Esc>(o, _mm_srli_si128(v, 8), m >> 8);
    }
    if (end - p >= 8) {  // room >= 16
      const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
      acc = _mm_add_epi64(acc, _mm_sad_epu8(v, zero));
      o = expand8<Esc>(o, v, sse2::mask<Set>(v) & 0xFFu);
      p += 8;
    }
    // r < 8 bytes left: the input's last 8 bytes shifted down by 8 - r, when a 16-byte store
    // fits. The 8 - r zero lanes shifted in add nothing to the sum, are never escaped (masked
    // out when 0 is in the set) and come out last: dropped.
    if (const auto r = static_cast<unsigned>(end - p); r > 0 && n >= 8 && o_end - o >= 16) {
      std::uint64_t last;
      std::memcpy(&last, end - 8, 8);
      const __m128i v = _mm_cvtsi64_si128(static_cast<long long>(last >> (8 * (8 - r))));
      acc = _mm_add_epi64(acc, _mm_sad_epu8(v, zero));
      const unsigned lanes = Set::contains(0) ? (1u << r) - 1 : 0xFFu;
      o = expand8<Esc>(o, v, sse2::mask<Set>(v) & lanes) - (8 - r);
      p = end;
    }
    s += sse2::sad_total(acc);
    return swar::escape_tail<Esc>(o, p, end, s);
  }

  // ---- building blocks

  IPMIKIT_TARGET_AVX2 static std::uint8_t sad_total(__m256i acc) noexcept {
    const __m128i s = _mm_add_epi64(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    return static_cast<std::uint8_t>(_mm_cvtsi128_si32(s) + _mm_cvtsi128_si32(_mm_unpackhi_epi64(s, s)));
  }

  /// 0xFF in the lanes holding a byte of Set: one compare per rule of the set.
  template <class Set, std::size_t I = 0>
  IPMIKIT_TARGET_AVX2 static __m256i match(__m256i v) noexcept {
    constexpr byte_rule r = Set::rules[I];
    const __m256i value = _mm256_set1_epi8(static_cast<char>(r.value));
    __m256i m;
    if constexpr (r.mask == 0xFF) {
      m = _mm256_cmpeq_epi8(v, value);
    } else {
      m = _mm256_cmpeq_epi8(_mm256_and_si256(v, _mm256_set1_epi8(static_cast<char>(r.mask))), value);
    }
    if constexpr (I + 1 < Set::rules.size()) {
      return _mm256_or_si256(m, match<Set, I + 1>(v));
    } else {
      return m;
    }
  }

  /// Escapes the 8 low bytes of v (escaped-lane mask m) to o with one 16-byte store; returns
  /// the new end.
  template <class Esc>
  IPMIKIT_TARGET_AVX2 static std::uint8_t* expand8(std::uint8_t* o, __m128i v, unsigned m) noexcept {
    const expand_entry& e = expand_table<Esc>[m];
    const __m128i out = _mm_or_si128(
        _mm_shuffle_epi8(v, _mm_load_si128(reinterpret_cast<const __m128i*>(e.shuffle))),
        _mm_load_si128(reinterpret_cast<const __m128i*>(e.add)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o), out);
    return o + 8 + __builtin_popcount(m);
  }

  /// 32 bytes per step, 64 while the run goes on; below 32 bytes left, the SSE2 kernel. The
  /// body of scan and scan_copy, inlined into each (else scan_copy is a jump to it).
  template <class Set, bool Copy>
  [[gnu::always_inline]] IPMIKIT_TARGET_AVX2 static plain_run run(const std::uint8_t* p, const std::uint8_t* end,
                                           std::uint8_t* dst, std::size_t room) noexcept {
    const std::uint8_t* const start = p;
    const __m256i zero = _mm256_setzero_si256();
    __m256i acc = zero;
    const std::uint8_t* stop = end;
    // Most frames are short: one 32-byte block before the 64-byte loop.
    bool first = true;
    for (;;) {
      if (end - p >= 64 && !first) {
        const __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
        const __m256i v1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
        const __m256i s0 = match<Set>(v0);
        const __m256i s1 = match<Set>(v1);
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
              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sse2::prefix_mask_table + 64 - n));
          acc = _mm256_add_epi64(acc, _mm256_sad_epu8(_mm256_and_si256(v1, keep), zero));
        } else {
          const __m256i keep =
              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sse2::prefix_mask_table + 32 - n));
          acc = _mm256_add_epi64(acc, _mm256_sad_epu8(_mm256_and_si256(v0, keep), zero));
        }
        stop = p + n;
        break;
      }
      if (end - p >= 32) {
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
        const auto mask = static_cast<std::uint32_t>(_mm256_movemask_epi8(match<Set>(v)));
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
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sse2::prefix_mask_table + 32 - n));
        acc = _mm256_add_epi64(acc, _mm256_sad_epu8(_mm256_and_si256(v, keep), zero));
        stop = p + n;
        break;
      }
      // Fewer than 32 bytes left.
      const auto done = static_cast<std::size_t>(p - start);
      const plain_run tail =
          sse2::run<Set, Copy>(p, end, Copy ? dst + done : nullptr, room > done ? room - done : 0);
      return {tail.stop, static_cast<std::uint8_t>(sad_total(acc) + tail.sum)};
    }
    return {stop, sad_total(acc)};
  }
};

}  // namespace ipmikit::detail::simd

#endif  // IPMIKIT_HAVE_AVX2
