// ipmikit/detail/simd/swar.hpp — the portable kernel set (kernel::scalar): 64-bit words as
// eight byte lanes (SWAR) and branch-free byte loops, for every target. It is also the path
// IPMIKIT_FORCE_SCALAR forces, and the byte tails of the vector kernel sets.
//
// Internal; never named by users. Every kernel set (swar, sse2, avx2, neon) has the same
// static functions with the same contracts, documented here once:
//
//   sum(p, n)                         8-bit sum of [p, p + n)
//   scan<Set>(p, end)                 first byte of Set in [p, end) (or end), and the sum of
//                                     the bytes before it
//   scan_copy<Set>(p, end, dst, room) scan, also copying the first min(run, room) bytes of the
//                                     run to dst; block stores may write up to copy_slack bytes
//                                     past dst + room
//   count<Set>(p, n)                  bytes of Set in [p, p + n), and the sum of all of them
//   escape<Esc>(o, o_end, p, n, s)    [p, p + n) escaped to o (Esc: the set, the escape byte and
//                                     bit), adding the bytes to s; o_end - o >= 2n (the worst
//                                     case), nothing is written at or past o_end; returns the
//                                     end of the bytes written
//
// constexpr evaluation never reaches a kernel: callers test std::is_constant_evaluated first.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "common.hpp"

namespace ipmikit::detail::simd {

struct swar : run_entry_points<swar> {
  static constexpr kernel id = kernel::scalar;
  [[nodiscard]] static bool supported() noexcept { return true; }

  static std::uint8_t sum(const std::uint8_t* p, std::size_t n) noexcept {
    std::uint32_t s = 0;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) s += hsum64(load64(p + i));
    if (i != n && n >= 8) {
      // The last 8 bytes again, the ones already summed shifted out: no byte loop.
      const std::uint64_t last = load64(p + n - 8);
      const auto drop = static_cast<unsigned>(8 * (8 - (n - i)));
      return static_cast<std::uint8_t>(
          s + hsum64(std::endian::native == std::endian::little ? last >> drop : last << drop));
    }
    for (; i < n; ++i) s += p[i];
    return static_cast<std::uint8_t>(s);
  }

  /// A table lookup per byte, no branch.
  template <class Set>
  static set_count count(const std::uint8_t* p, std::size_t n) noexcept {
    std::size_t count = 0;
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
      count += Set::table[p[i]];
      sum += p[i];
    }
    return {count, static_cast<std::uint8_t>(sum)};
  }

  template <class Esc>
  static std::uint8_t* escape(std::uint8_t* o, std::uint8_t* const /*o_end*/, const std::uint8_t* p,
                              std::size_t n, std::uint32_t& s) noexcept {
    return escape_tail<Esc>(o, p, p + n, s);
  }

  // ---- building blocks, shared with the vector kernel sets

  static std::uint64_t load64(const std::uint8_t* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }

  /// Horizontal 8-bit sum of the eight bytes of v.
  static std::uint8_t hsum64(std::uint64_t v) noexcept {
    const std::uint64_t pairs = (v & 0x00FF00FF00FF00FFull) + ((v >> 8) & 0x00FF00FF00FF00FFull);
    return static_cast<std::uint8_t>((pairs * 0x0001000100010001ull) >> 48);
  }

  static bool has_zero_byte(std::uint64_t v) noexcept {
    return ((v - 0x0101010101010101ull) & ~v & 0x8080808080808080ull) != 0;
  }

  /// True when a byte of v is in Set.
  template <class Set, std::size_t I = 0>
  static bool has_any(std::uint64_t v) noexcept {
    const bool hit = has_zero_byte(v ^ (0x0101010101010101ull * Set::bytes[I]));
    if constexpr (I + 1 < Set::bytes.size()) {
      return hit || has_any<Set, I + 1>(v);
    } else {
      return hit;
    }
  }

  /// Escapes one byte without a branch on the data: o[1] is written for a plain byte too (the
  /// worst-case room allows it). Returns the new end.
  template <class Esc>
  static std::uint8_t* escape_byte(std::uint8_t* o, std::uint8_t b) noexcept {
    const std::uint8_t k = Esc::set::table[b];
    o[0] = k ? Esc::escape : b;
    o[1] = static_cast<std::uint8_t>(b | Esc::bit);
    return o + 1 + k;
  }

  /// escape, byte by byte: the tail of every escape kernel.
  template <class Esc>
  static std::uint8_t* escape_tail(std::uint8_t* o, const std::uint8_t* p, const std::uint8_t* end,
                                   std::uint32_t& s) noexcept {
    std::uint32_t sum = s;
    for (; p != end; ++p) {
      o = escape_byte<Esc>(o, *p);
      sum += *p;
    }
    s = sum;
    return o;
  }

  /// The bytes of [p, end) up to the first of Set, copied to dst (up to room) when Copy;
  /// 8 bytes at a time, then one at a time.
  template <class Set, bool Copy>
  static plain_run run(const std::uint8_t* p, const std::uint8_t* end, std::uint8_t* dst,
                       std::size_t room) noexcept {
    const std::uint8_t* const start = p;
    std::uint32_t s = 0;
    while (end - p >= 8) {
      const std::uint64_t v = load64(p);
      if (has_any<Set>(v)) break;
      if (Copy && static_cast<std::size_t>(p - start) < room) std::memcpy(dst + (p - start), &v, 8);
      s += hsum64(v);
      p += 8;
    }
    return tail<Set, Copy>(start, p, end, dst, room, s);
  }

  /// The byte loop that ends every scan: from p (start: where the scan began, for dst offsets),
  /// adding to the sum s so far.
  template <class Set, bool Copy>
  static plain_run tail(const std::uint8_t* start, const std::uint8_t* p, const std::uint8_t* end,
                        std::uint8_t* dst, std::size_t room, std::uint32_t s) noexcept {
    for (; p != end && !Set::contains(*p); ++p) {
      if (Copy && static_cast<std::size_t>(p - start) < room) dst[p - start] = *p;
      s += *p;
    }
    return {p, static_cast<std::uint8_t>(s)};
  }
};

}  // namespace ipmikit::detail::simd
