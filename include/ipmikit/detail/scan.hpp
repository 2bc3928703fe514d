// ipmikit/detail/scan.hpp — byte-scanning kernels shared by the checksum, encoder and decoder.
//
// Internal; never named by users. Two jobs, both on the VM protocol's hot path:
//  * sum a run of bytes (the checksum), and
//  * find the first "special" byte (0xA0, 0xA1, 0xAA — QEMU ipmi_bmc_extern) while summing
//    the plain bytes before it, so the decoder and encoder do one pass over the data.
// x86-64 always has SSE2, so the SSE2 kernels need no run-time dispatch and no -m flags. Other
// targets use a portable 64-bit SWAR kernel. The byte-at-a-time definition of both jobs lives
// in tests/ as the oracle every kernel is checked against.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define IPMIKIT_HAVE_SSE2 1
#else
#define IPMIKIT_HAVE_SSE2 0
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

/// Result of scan_plain: where the first special byte is (or `end`), and the 8-bit sum of the
/// plain bytes before it.
struct plain_run {
  const std::uint8_t* stop;
  std::uint8_t sum;
};

#if IPMIKIT_HAVE_SSE2

// 0xFF in the first 16 bytes, 0x00 in the next 16: loading 16 bytes at offset 16 - n gives a
// mask that keeps the first n lanes.
alignas(16) inline constexpr std::uint8_t prefix_mask_table[32] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

inline std::uint32_t sad_total(__m128i sad) noexcept {
  return static_cast<std::uint32_t>(_mm_cvtsi128_si32(sad)) +
         static_cast<std::uint32_t>(_mm_cvtsi128_si32(_mm_unpackhi_epi64(sad, sad)));
}

inline std::uint8_t sum_bytes(const std::uint8_t* p, std::size_t n) noexcept {
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

inline std::uint32_t special_mask(__m128i v) noexcept {
  const __m128i m = _mm_or_si128(
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(static_cast<char>(special_msg))),
                   _mm_cmpeq_epi8(v, _mm_set1_epi8(static_cast<char>(special_cmd)))),
      _mm_cmpeq_epi8(v, _mm_set1_epi8(static_cast<char>(special_esc))));
  return static_cast<std::uint32_t>(_mm_movemask_epi8(m));
}

/// Scan [p, end) for the first special byte, summing the bytes before it.
inline plain_run scan_plain(const std::uint8_t* p, const std::uint8_t* end) noexcept {
  const __m128i zero = _mm_setzero_si128();
  __m128i acc = zero;
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const std::uint32_t mask = special_mask(v);
    if (mask != 0) {
      const unsigned n = static_cast<unsigned>(__builtin_ctz(mask));
      const __m128i keep =
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(prefix_mask_table + 16 - n));
      acc = _mm_add_epi64(acc, _mm_sad_epu8(_mm_and_si128(v, keep), zero));
      return {p + n, static_cast<std::uint8_t>(sad_total(acc))};
    }
    acc = _mm_add_epi64(acc, _mm_sad_epu8(v, zero));
    p += 16;
  }
  std::uint32_t s = sad_total(acc);
  for (; p != end && !is_special(*p); ++p) s += *p;
  return {p, static_cast<std::uint8_t>(s)};
}

#else  // portable SWAR

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

inline std::uint8_t sum_bytes(const std::uint8_t* p, std::size_t n) noexcept {
  std::uint32_t s = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) s += hsum64(load64(p + i));
  for (; i < n; ++i) s += p[i];
  return static_cast<std::uint8_t>(s);
}

inline plain_run scan_plain(const std::uint8_t* p, const std::uint8_t* end) noexcept {
  std::uint32_t s = 0;
  while (end - p >= 8) {
    const std::uint64_t v = load64(p);
    if (has_special(v)) break;
    s += hsum64(v);
    p += 8;
  }
  for (; p != end && !is_special(*p); ++p) s += *p;
  return {p, static_cast<std::uint8_t>(s)};
}

#endif

/// Number of special bytes in [p, p + n): the exact escaped size of a payload is n + this.
inline std::size_t count_special(const std::uint8_t* p, std::size_t n) noexcept {
  std::size_t count = 0;
  const std::uint8_t* end = p + n;
  while (p != end) {
    p = scan_plain(p, end).stop;
    if (p == end) break;
    ++count;
    ++p;
  }
  return count;
}

}  // namespace ipmikit::detail
