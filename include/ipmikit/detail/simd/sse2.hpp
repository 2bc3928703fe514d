// ipmikit/detail/simd/sse2.hpp — the SSE2 kernel set (kernel::sse2): 16 bytes per step.
// SSE2 is part of x86-64, so this set is always there on x86-64, with no dispatch and no -m
// flags. Same functions and contracts as swar.hpp.
//
// Internal; never named by users.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "common.hpp"
#include "swar.hpp"

#if defined(__x86_64__) || defined(_M_X64)
#include <emmintrin.h>
#define IPMIKIT_HAVE_SSE2 1
#else
#define IPMIKIT_HAVE_SSE2 0
#endif

#if IPMIKIT_HAVE_SSE2

namespace ipmikit::detail::simd {

struct sse2 : run_entry_points<sse2> {
  static constexpr kernel id = kernel::sse2;
  [[nodiscard]] static bool supported() noexcept { return true; }

  static std::uint8_t sum(const std::uint8_t* p, std::size_t n) noexcept {
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

  /// 16 bytes per step with no branch on the data. Matches are counted per byte lane (0xFF is
  /// -1: subtracting counts one), in rounds of at most 255 blocks, each folded into 64-bit
  /// totals by psadbw before a lane can wrap; no popcount (not in the x86-64 baseline: a
  /// library call).
  template <class Set>
  static set_count count(const std::uint8_t* p, std::size_t n) noexcept {
    const __m128i zero = _mm_setzero_si128();
    __m128i sums = zero;    // byte sums, 64-bit lanes
    __m128i counts = zero;  // matches, 64-bit lanes
    std::size_t i = 0;
    while (n - i >= 16) {
      const std::size_t round_end = i + std::min((n - i) & ~std::size_t{15}, std::size_t{255 * 16});
      __m128i lanes = zero;
      for (; i != round_end; i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
        lanes = _mm_sub_epi8(lanes, match<Set>(v));
        sums = _mm_add_epi64(sums, _mm_sad_epu8(v, zero));
      }
      counts = _mm_add_epi64(counts, _mm_sad_epu8(lanes, zero));
    }
    if (i != n && n >= 16) {  // the last 16 bytes again, the lanes already counted masked out
      const __m128i seen =
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(prefix_mask16(static_cast<unsigned>(16 - (n - i)))));
      const __m128i v = _mm_andnot_si128(seen, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n - 16)));
      const __m128i ones = _mm_sub_epi8(zero, _mm_andnot_si128(seen, match<Set>(v)));
      counts = _mm_add_epi64(counts, _mm_sad_epu8(ones, zero));
      sums = _mm_add_epi64(sums, _mm_sad_epu8(v, zero));
      i = n;
    }
    const set_count rest = swar::count<Set>(p + i, n - i);  // all of it under 16 bytes
    return {sad_total(counts) + rest.count, static_cast<std::uint8_t>(sad_total(sums) + rest.sum)};
  }

  /// Blocks of 16 with no byte of the set are copied; a block with one is copied up to it and
  /// the byte escaped; a denser block goes byte by byte. Then the tail in 8-byte stores when
  /// they fit, then bytes.
  template <class Esc>
  static std::uint8_t* escape(std::uint8_t* o, std::uint8_t* const o_end, const std::uint8_t* p,
                              std::size_t n, std::uint32_t& s_io) noexcept {
    using Set = typename Esc::set;
    const std::uint8_t* const end = p + n;
    std::uint32_t s = s_io;
    const __m128i zero = _mm_setzero_si128();
    __m128i acc = zero;
    // A 16-byte store is safe: with 16 input bytes left the worst-case room left is at least 32.
    while (end - p >= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      const std::uint32_t m = mask<Set>(v);
      if (m == 0) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(o), v);
        acc = _mm_add_epi64(acc, _mm_sad_epu8(v, zero));
        o += 16;
        p += 16;
      } else if ((m & (m - 1)) == 0) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(o), v);
        const auto k = static_cast<unsigned>(__builtin_ctz(m));
        o += k;
        const std::uint8_t b = p[k];
        o[0] = Esc::escape;
        o[1] = static_cast<std::uint8_t>(b | Esc::bit);
        o += 2;
        const __m128i keep = _mm_loadu_si128(reinterpret_cast<const __m128i*>(prefix_mask16(k + 1)));
        acc = _mm_add_epi64(acc, _mm_sad_epu8(_mm_and_si128(v, keep), zero));
        p += k + 1;
      } else {
        for (int i = 0; i < 16; ++i, ++p) {
          o = swar::escape_byte<Esc>(o, *p);
          s += *p;
        }
      }
    }
    // Fewer than 16 bytes left: a whole 8-byte block, then the last r < 8 bytes through a load
    // of the input's final 8 bytes shifted down by 8 - r (x86 is little-endian), each when it
    // has no byte to escape (a zero shifted in counts too: a set may hold 0) and the output
    // has room for the 8-byte store.
    if (end - p >= 8 && o_end - o >= 8) {
      const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
      if ((mask<Set>(v) & 0xFFu) == 0) {
        _mm_storel_epi64(reinterpret_cast<__m128i*>(o), v);
        acc = _mm_add_epi64(acc, _mm_sad_epu8(v, zero));
        o += 8;
        p += 8;
      }
    }
    if (const auto r = static_cast<unsigned>(end - p); r > 0 && r < 8 && n >= 8 && o_end - o >= 8) {
      std::uint64_t last;
      std::memcpy(&last, end - 8, 8);
      const __m128i v = _mm_cvtsi64_si128(static_cast<long long>(last >> (8 * (8 - r))));
      if ((mask<Set>(v) & 0xFFu) == 0) {
        _mm_storel_epi64(reinterpret_cast<__m128i*>(o), v);
        acc = _mm_add_epi64(acc, _mm_sad_epu8(v, zero));
        o += r;
        p = end;
      }
    }
    s += sad_total(acc);
    s_io = s;
    return swar::escape_tail<Esc>(o, p, end, s_io);
  }

  // ---- building blocks, shared with the AVX2 set

  /// 0xFF in the first 32 bytes, 0x00 in the next 32: loading B bytes at offset 32 - n gives a
  /// mask that keeps the first n lanes (B = 16 or 32).
  alignas(32) static constexpr std::uint8_t prefix_mask_table[64] = {
      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  /// A 16-byte mask keeping the first n lanes (0 <= n <= 16).
  static const std::uint8_t* prefix_mask16(unsigned n) noexcept { return prefix_mask_table + 32 - n; }

  static std::uint32_t sad_total(__m128i sad) noexcept {
    return static_cast<std::uint32_t>(_mm_cvtsi128_si32(sad)) +
           static_cast<std::uint32_t>(_mm_cvtsi128_si32(_mm_unpackhi_epi64(sad, sad)));
  }

  /// 0xFF in the lanes holding a byte of Set: one compare per rule of the set.
  template <class Set, std::size_t I = 0>
  static __m128i match(__m128i v) noexcept {
    constexpr byte_rule r = Set::rules[I];
    const __m128i value = _mm_set1_epi8(static_cast<char>(r.value));
    __m128i m;
    if constexpr (r.mask == 0xFF) {
      m = _mm_cmpeq_epi8(v, value);
    } else {
      m = _mm_cmpeq_epi8(_mm_and_si128(v, _mm_set1_epi8(static_cast<char>(r.mask))), value);
    }
    if constexpr (I + 1 < Set::rules.size()) {
      return _mm_or_si128(m, match<Set, I + 1>(v));
    } else {
      return m;
    }
  }

  /// Bit i set when lane i holds a byte of Set.
  template <class Set>
  static std::uint32_t mask(__m128i v) noexcept {
    return static_cast<std::uint32_t>(_mm_movemask_epi8(match<Set>(v)));
  }

  template <class Set, bool Copy>
  static plain_run run(const std::uint8_t* p, const std::uint8_t* end, std::uint8_t* dst,
                       std::size_t room) noexcept {
    const std::uint8_t* const start = p;
    const __m128i zero = _mm_setzero_si128();
    __m128i acc = zero;
    while (end - p >= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      const std::uint32_t m = mask<Set>(v);
      if (Copy && static_cast<std::size_t>(p - start) < room)
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + (p - start)), v);
      if (m != 0) {
        const unsigned n = static_cast<unsigned>(__builtin_ctz(m));
        const __m128i keep = _mm_loadu_si128(reinterpret_cast<const __m128i*>(prefix_mask16(n)));
        acc = _mm_add_epi64(acc, _mm_sad_epu8(_mm_and_si128(v, keep), zero));
        return {p + n, static_cast<std::uint8_t>(sad_total(acc))};
      }
      acc = _mm_add_epi64(acc, _mm_sad_epu8(v, zero));
      p += 16;
    }
    return swar::tail<Set, Copy>(start, p, end, dst, room, sad_total(acc));
  }
};

}  // namespace ipmikit::detail::simd

#endif  // IPMIKIT_HAVE_SSE2
