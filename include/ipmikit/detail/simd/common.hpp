// ipmikit/detail/simd/common.hpp — what every kernel set shares: the kernel names, the result
// types, the byte sets the kernels look for, and the table the escape kernels expand bytes with.
//
// Internal; never named by users. The kernels know nothing of the VM protocol: they scan for,
// count and escape the bytes of a compile-time byte_set, and vm/protocol.hpp says which bytes
// those are for the VM wire.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "../enum_name.hpp"

namespace ipmikit::detail {

/// The kernel sets, one per instruction set (detail/simd/<name>.hpp); select.hpp picks one.
enum class kernel : std::uint8_t { scalar = 0, sse2 = 1, avx2 = 2, neon = 3 };
inline constexpr kernel all_kernels[] = {kernel::scalar, kernel::sse2, kernel::avx2, kernel::neon};

[[nodiscard]] constexpr std::string_view name(kernel k) noexcept {
  return ipmikit::detail::enum_name<kernel, 4>(k, {"scalar", "sse2", "avx2", "neon"});
}

/// Result of scan / scan_copy: where the first byte of the set is (or `end`), and the 8-bit sum
/// of the bytes before it.
struct plain_run {
  const std::uint8_t* stop;
  std::uint8_t sum;
};

/// Result of count: how many bytes of the set a span holds, and the 8-bit sum of all its bytes.
struct set_count {
  std::size_t count;
  std::uint8_t sum;
};

/// Bytes that scan_copy may write past `room` (block stores): destinations need this slack.
inline constexpr std::size_t copy_slack = 32;

namespace simd {

/// A byte b matches the rule when (b & mask) == value.
struct byte_rule {
  std::uint8_t mask;
  std::uint8_t value;
};

/// The bytes of a set as the fewest rules: two bytes that differ in one bit share a rule (0xA0
/// and 0xA1 are (b & 0xFE) == 0xA0), so a vector kernel needs one compare for both.
struct byte_rules {
  std::array<byte_rule, 8> rule{};
  std::size_t size = 0;
};

template <std::size_t N>
constexpr byte_rules make_byte_rules(const std::array<std::uint8_t, N>& bytes) noexcept {
  byte_rules r;
  std::array<bool, N> done{};
  for (std::size_t i = 0; i < N; ++i) {
    if (done[i]) continue;
    done[i] = true;
    byte_rule rule{0xFF, bytes[i]};
    for (std::size_t j = i + 1; j < N; ++j) {
      const auto diff = static_cast<std::uint8_t>(bytes[i] ^ bytes[j]);
      if (done[j] || std::popcount(diff) > 1) continue;
      done[j] = true;  // a duplicate (diff 0) is dropped, a one-bit neighbour shares the rule
      if (diff == 0) continue;
      rule = {static_cast<std::uint8_t>(~diff), static_cast<std::uint8_t>(bytes[i] & ~diff)};
      break;
    }
    r.rule[r.size++] = rule;
  }
  return r;
}

/// A set of byte values known at compile time: what the kernels scan for and count.
template <std::uint8_t... Bytes>
struct byte_set {
  static_assert(sizeof...(Bytes) >= 1 && sizeof...(Bytes) <= 8, "a set of 1 to 8 bytes");

  static constexpr std::array<std::uint8_t, sizeof...(Bytes)> bytes{Bytes...};

  [[nodiscard]] static constexpr bool contains(std::uint8_t b) noexcept { return ((b == Bytes) || ...); }

  /// 1 for the bytes of the set, 0 elsewhere: one load instead of compares in byte loops.
  static constexpr std::array<std::uint8_t, 256> table = [] {
    std::array<std::uint8_t, 256> t{};
    ((t[Bytes] = 1), ...);
    return t;
  }();

  static constexpr byte_rules rule_list = make_byte_rules(bytes);
  /// The rules a vector kernel compares lanes with (see byte_rules).
  static constexpr std::array<byte_rule, rule_list.size> rules = [] {
    std::array<byte_rule, rule_list.size> a{};
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = rule_list.rule[i];
    return a;
  }();
};

/// scan and scan_copy of a kernel set whose `run<Set, Copy>` is both (one loop; the copy is a
/// compile-time flag): the scalar, SSE2 and NEON sets derive from it. AVX2 spells its own,
/// since its entry points carry the target and alignment attributes.
template <class Kernel>
struct run_entry_points {
  template <class Set>
  static plain_run scan(const std::uint8_t* p, const std::uint8_t* end) noexcept {
    return Kernel::template run<Set, false>(p, end, nullptr, 0);
  }

  template <class Set>
  static plain_run scan_copy(const std::uint8_t* p, const std::uint8_t* end, std::uint8_t* dst,
                             std::size_t room) noexcept {
    return Kernel::template run<Set, true>(p, end, dst, room);
  }
};

/// How the escape kernels write a byte of `Set`: `Escape`, then the byte with `Bit` set. Every
/// other byte is copied.
template <class Set, std::uint8_t Escape, std::uint8_t Bit>
struct escaping {
  using set = Set;
  static constexpr std::uint8_t escape = Escape;
  static constexpr std::uint8_t bit = Bit;
};

/// For each 8-bit mask of escaped lanes in 8 input bytes: the shuffle indexes that spread the
/// bytes over 8 + popcount(mask) output lanes, and the bytes to OR in (the escape byte, and the
/// bit on the escaped byte). An escape byte's lane has index 0x80, which both table shuffles
/// turn into 0: pshufb (top bit set) and vqtbl1q_u8 (any index >= 16).
struct alignas(32) expand_entry {
  std::uint8_t shuffle[16];
  std::uint8_t add[16];
};

template <class Esc>
constexpr std::array<expand_entry, 256> make_expand_table() noexcept {
  std::array<expand_entry, 256> t{};
  for (unsigned m = 0; m < 256; ++m) {
    for (unsigned i = 0; i < 16; ++i) {
      t[m].shuffle[i] = 0x80;
      t[m].add[i] = 0;
    }
    unsigned o = 0;
    for (unsigned i = 0; i < 8; ++i) {
      if (m & (1u << i)) {
        t[m].add[o++] = Esc::escape;
        t[m].add[o] = Esc::bit;
      }
      t[m].shuffle[o++] = static_cast<std::uint8_t>(i);
    }
  }
  return t;
}

template <class Esc>
inline constexpr std::array<expand_entry, 256> expand_table = make_expand_table<Esc>();

}  // namespace simd
}  // namespace ipmikit::detail
