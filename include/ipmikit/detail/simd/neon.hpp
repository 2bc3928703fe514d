// ipmikit/detail/simd/neon.hpp — the NEON kernel set (kernel::neon), AArch64 Advanced SIMD,
// 16-byte registers. NEON is part of the base AArch64 architecture: always there and the
// default, no dispatch, no flags. Little-endian only (lane numbering); 32-bit ARM lacks
// vaddvq/vqtbl1q. Same functions and contracts as swar.hpp. Tested by cross-compiling and
// running under qemu-user (scripts/test-aarch64.sh).
//
// Internal; never named by users. Sums are kept per lane modulo 256 (vaddq_u8 wraps): the
// result is an 8-bit sum, so the across-lanes total of the wrapped lanes (vaddvq_u8, itself
// mod 256) is the same as any wider accumulation. NEON has no movemask: "which lanes match"
// becomes a 64-bit scalar by narrowing (nibble_mask) or by weighting lanes with their bit
// (lane_bits8).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "common.hpp"
#include "swar.hpp"

#if defined(__aarch64__) && defined(__ARM_NEON) && !defined(__ARM_BIG_ENDIAN)
#include <arm_neon.h>
#define IPMIKIT_HAVE_NEON 1
#else
#define IPMIKIT_HAVE_NEON 0
#endif

#if IPMIKIT_HAVE_NEON

namespace ipmikit::detail::simd {

struct neon : run_entry_points<neon> {
  static constexpr kernel id = kernel::neon;
  [[nodiscard]] static bool supported() noexcept { return true; }

  static std::uint8_t sum(const std::uint8_t* p, std::size_t n) noexcept {
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

  /// Run by run through scan from 32 bytes on; the table loop below that.
  template <class Set>
  static set_count count(const std::uint8_t* p, std::size_t n) noexcept {
    if (n < 32) return swar::count<Set>(p, n);
    std::size_t count = 0;
    std::uint32_t sum = 0;
    const std::uint8_t* const end = p + n;
    while (p != end) {
      const plain_run r = scan<Set>(p, end);
      sum += r.sum;
      p = r.stop;
      if (p == end) break;
      ++count;
      sum += *p++;
    }
    return {count, static_cast<std::uint8_t>(sum)};
  }

  /// The AVX2 kernel's table expansion, with vqtbl1q_u8 for pshufb. While 16 input bytes are
  /// left the worst-case room is at least 32: two 16-byte stores fit; with 8 left, one.
  template <class Esc>
  static std::uint8_t* escape(std::uint8_t* o, std::uint8_t* const o_end, const std::uint8_t* p,
                              std::size_t n, std::uint32_t& s) noexcept {
    using Set = typename Esc::set;
    const std::uint8_t* const end = p + n;
    uint8x16_t acc = vdupq_n_u8(0);
    while (end - p >= 16) {
      const uint8x16_t v = vld1q_u8(p);
      const uint8x16_t lanes = match<Set>(v);
      acc = vaddq_u8(acc, v);
      p += 16;
      if (vmaxvq_u8(lanes) == 0) {
        vst1q_u8(o, v);
        o += 16;
        continue;
      }
      const uint8x16_t bits = vandq_u8(lanes, vld1q_u8(lane_bits8));
      o = expand8<Esc>(o, v, vaddv_u8(vget_low_u8(bits)));
      o = expand8<Esc>(o, vextq_u8(v, v, 8), vaddv_u8(vget_high_u8(bits)));  // high lanes down
    }
    const uint8x8_t zero8 = vdup_n_u8(0);
    if (end - p >= 8) {
      const uint8x16_t v = vcombine_u8(vld1_u8(p), zero8);
      acc = vaddq_u8(acc, v);
      o = expand8<Esc>(o, v, mask8<Set>(v));
      p += 8;
    }
    // r < 8 bytes left: the input's last 8 bytes shifted down by 8 - r lanes, when the 16-byte
    // store fits. The zeros shifted in add nothing, are never escaped (masked out when 0 is in
    // the set) and come out last: dropped.
    if (const auto r = static_cast<unsigned>(end - p); r > 0 && n >= 8 && o_end - o >= 16) {
      std::uint64_t last;
      std::memcpy(&last, end - 8, 8);
      const uint8x16_t v = vcombine_u8(vcreate_u8(last >> (8 * (8 - r))), zero8);
      acc = vaddq_u8(acc, v);
      const unsigned lanes = Set::contains(0) ? (1u << r) - 1 : 0xFFu;
      o = expand8<Esc>(o, v, mask8<Set>(v) & lanes) - (8 - r);
      p = end;
    }
    s += vaddvq_u8(acc);
    return swar::escape_tail<Esc>(o, p, end, s);
  }

  // ---- building blocks

  /// 0, 1, ..., 15: lane numbers, compared with n to keep the first n lanes.
  alignas(16) static constexpr std::uint8_t lane_index[16] = {0, 1, 2,  3,  4,  5,  6,  7,
                                                              8, 9, 10, 11, 12, 13, 14, 15};
  /// 1 << (lane % 8): ANDed with 0xFF/0x00 lanes and summed across 8 lanes, gives an 8-bit mask.
  alignas(16) static constexpr std::uint8_t lane_bits8[16] = {1, 2, 4, 8, 16, 32, 64, 128,
                                                              1, 2, 4, 8, 16, 32, 64, 128};

  /// 0xFF in the lanes holding a byte of Set (vceqq_u8 sets every bit of an equal lane): one
  /// compare per rule of the set.
  template <class Set, std::size_t I = 0>
  static uint8x16_t match(uint8x16_t v) noexcept {
    constexpr byte_rule r = Set::rules[I];
    uint8x16_t m;
    if constexpr (r.mask == 0xFF) {
      m = vceqq_u8(v, vdupq_n_u8(r.value));
    } else {
      m = vceqq_u8(vandq_u8(v, vdupq_n_u8(r.mask)), vdupq_n_u8(r.value));
    }
    if constexpr (I + 1 < Set::rules.size()) {
      return vorrq_u8(m, match<Set, I + 1>(v));
    } else {
      return m;
    }
  }
  template <class Set, std::size_t I = 0>
  static uint8x8_t match(uint8x8_t v) noexcept {
    constexpr byte_rule r = Set::rules[I];
    uint8x8_t m;
    if constexpr (r.mask == 0xFF) {
      m = vceq_u8(v, vdup_n_u8(r.value));
    } else {
      m = vceq_u8(vand_u8(v, vdup_n_u8(r.mask)), vdup_n_u8(r.value));
    }
    if constexpr (I + 1 < Set::rules.size()) {
      return vorr_u8(m, match<Set, I + 1>(v));
    } else {
      return m;
    }
  }

  /// Match mask of the 8 low lanes of v, one bit per lane.
  template <class Set>
  static unsigned mask8(uint8x16_t v) noexcept {
    return vaddv_u8(vand_u8(match<Set>(vget_low_u8(v)), vld1_u8(lane_bits8)));
  }

  /// 0xFF/0x00 lanes to a 64-bit mask with 4 bits per lane (nibble i = 0xF when lane i is set):
  /// vshrn_n_u16 shifts each 16-bit pair of lanes right by 4 and keeps its low byte.
  static std::uint64_t nibble_mask(uint8x16_t lanes) noexcept {
    return vget_lane_u64(vreinterpret_u64_u8(vshrn_n_u16(vreinterpretq_u16_u8(lanes), 4)), 0);
  }

  /// 0xFF in the first n lanes (0 <= n <= 16), 0x00 after.
  static uint8x16_t prefix_lanes(unsigned n) noexcept {
    return vcltq_u8(vld1q_u8(lane_index), vdupq_n_u8(static_cast<std::uint8_t>(n)));
  }
  static uint8x8_t prefix_lanes8(unsigned n) noexcept {
    return vclt_u8(vld1_u8(lane_index), vdup_n_u8(static_cast<std::uint8_t>(n)));
  }

  /// Escapes the 8 low lanes of v (escaped-lane mask m) to o with one 16-byte store; returns
  /// the new end.
  template <class Esc>
  static std::uint8_t* expand8(std::uint8_t* o, uint8x16_t v, unsigned m) noexcept {
    const expand_entry& e = expand_table<Esc>[m];
    vst1q_u8(o, vorrq_u8(vqtbl1q_u8(v, vld1q_u8(e.shuffle)), vld1q_u8(e.add)));
    return o + 8 + __builtin_popcount(m);
  }

  /// 32 bytes per step (one test for both blocks: vmaxvq_u8 of their match lanes), then one
  /// 16-byte and one 8-byte step, then bytes. Block stores start below dst + room, so they end
  /// before dst + room + 31.
  template <class Set, bool Copy>
  static plain_run run(const std::uint8_t* p, const std::uint8_t* end, std::uint8_t* dst,
                       std::size_t room) noexcept {
    const std::uint8_t* const start = p;
    uint8x16_t acc = vdupq_n_u8(0);
    while (end - p >= 32) {
      const uint8x16_t v0 = vld1q_u8(p);
      const uint8x16_t v1 = vld1q_u8(p + 16);
      const uint8x16_t s0 = match<Set>(v0);
      const uint8x16_t s1 = match<Set>(v1);
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
      std::uint64_t mask = nibble_mask(s0);
      if (mask == 0) {  // the first match is in the second block
        acc = vaddq_u8(acc, v0);
        p += 16;
        v = v1;
        mask = nibble_mask(s1);
      }
      const unsigned n = static_cast<unsigned>(__builtin_ctzll(mask)) / 4;
      acc = vaddq_u8(acc, vandq_u8(v, prefix_lanes(n)));
      return {p + n, vaddvq_u8(acc)};
    }
    if (end - p >= 16) {
      const uint8x16_t v = vld1q_u8(p);
      const std::uint64_t mask = nibble_mask(match<Set>(v));
      if (Copy && static_cast<std::size_t>(p - start) < room) vst1q_u8(dst + (p - start), v);
      if (mask != 0) {
        const unsigned n = static_cast<unsigned>(__builtin_ctzll(mask)) / 4;
        acc = vaddq_u8(acc, vandq_u8(v, prefix_lanes(n)));
        return {p + n, vaddvq_u8(acc)};
      }
      acc = vaddq_u8(acc, v);
      p += 16;
    }
    std::uint32_t s = vaddvq_u8(acc);
    if (end - p >= 8) {
      const uint8x8_t v = vld1_u8(p);
      // 8 lanes of 0xFF/0x00 are already a 64-bit mask with 8 bits per lane.
      const std::uint64_t mask = vget_lane_u64(vreinterpret_u64_u8(match<Set>(v)), 0);
      if (Copy && static_cast<std::size_t>(p - start) < room) vst1_u8(dst + (p - start), v);
      if (mask != 0) {
        const unsigned n = static_cast<unsigned>(__builtin_ctzll(mask)) / 8;
        return {p + n, static_cast<std::uint8_t>(s + vaddv_u8(vand_u8(v, prefix_lanes8(n))))};
      }
      s += vaddv_u8(v);
      p += 8;
    }
    return swar::tail<Set, Copy>(start, p, end, dst, room, s);
  }
};

}  // namespace ipmikit::detail::simd

#endif  // IPMIKIT_HAVE_NEON
