// ipmikit/vm/encoder.hpp — the VM protocol's escape encoder.
//
// Frames a message (`msg_id, netfn<<2|lun, cmd, data…, checksum, 0xA0`) or a VM command
// (`code [argument], 0xA1`) into a caller-supplied buffer. Every byte inside the frame that is
// 0xA0, 0xA1 or 0xAA — message id and checksum included — goes out as 0xAA, byte|0x10
// (QEMU ipmi_bmc_extern addchar; OpenIPMI vm_add_char).
//
// Sizing: `max_message_frame_size(n)` / `max_command_frame_size(n)` are compile-time worst cases
// for a payload of n bytes, so a `std::array` can be sized by the type system; `message_frame_size`
// is the exact size of one frame (the "count only" mode). Writing into a buffer that is too small
// is reported (`encode_error::buffer_too_small`, with the size needed) and writes nothing past
// the buffer. `out` is scratch space: bytes of it after the returned size may be overwritten
// (the fast path stores whole 8- and 16-byte blocks), bytes past its end never are. All functions are constexpr; at run time a buffer of at least the worst-case size
// takes an SSE2/SWAR fast path.
#pragma once

#include <algorithm>
#include <array>
#include <cstring>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "../checksum.hpp"
#include "../detail/scan.hpp"
#include "protocol.hpp"

namespace ipmikit::vm {

// ---------------------------------------------------------------------------------------------
// Errors and results

/// Why an encode call wrote nothing. Zero is success, as in Boost.Beast's error enums.
enum class encode_error : std::uint8_t {
  ok = 0,
  buffer_too_small = 1,   // `encode_result::required` says how many bytes the frame needs
  body_too_short = 2,     // a message body needs at least netfn/LUN and command
  body_too_long = 3,      // a message body longer than max_message_size (QEMU's 300)
  wrong_argument_count = 4,  // a known VM command with the wrong number of argument bytes
};

[[nodiscard]] constexpr std::string_view name(encode_error e) noexcept {
  switch (e) {
    case encode_error::ok: return "ok";
    case encode_error::buffer_too_small: return "buffer_too_small";
    case encode_error::body_too_short: return "body_too_short";
    case encode_error::body_too_long: return "body_too_long";
    case encode_error::wrong_argument_count: return "wrong_argument_count";
  }
  return {};
}

struct encode_result {
  std::size_t size = 0;                     // bytes written; 0 unless ok
  encode_error error = encode_error::ok;
  std::size_t required = 0;                 // on buffer_too_small: the exact frame size

  [[nodiscard]] constexpr explicit operator bool() const noexcept { return error == encode_error::ok; }
  [[nodiscard]] constexpr bool ok() const noexcept { return error == encode_error::ok; }
};

// ---------------------------------------------------------------------------------------------
// Sizes

/// Worst-case encoded size of a frame whose unescaped content is `content` bytes: every byte
/// escaped, plus the terminator.
[[nodiscard]] constexpr std::size_t max_frame_size(std::size_t content) noexcept {
  return 2 * content + 1;
}
/// Worst-case size of a message frame for a body (netfn/LUN, cmd, data) of `body` bytes.
[[nodiscard]] constexpr std::size_t max_message_frame_size(std::size_t body) noexcept {
  return max_frame_size(body + message_overhead);
}
/// Worst-case size of a command frame with `arguments` argument bytes.
[[nodiscard]] constexpr std::size_t max_command_frame_size(std::size_t arguments = 1) noexcept {
  return max_frame_size(1 + arguments);
}

namespace detail {

/// The special bytes of `bytes` and their 8-bit sum, in one pass (plain loop at compile time).
constexpr ipmikit::detail::special_summary summarize(std::span<const std::uint8_t> bytes) noexcept {
  if (std::is_constant_evaluated()) {
    ipmikit::detail::special_summary r{0, 0};
    for (std::uint8_t b : bytes) {
      r.count += ipmikit::detail::is_special(b) ? 1u : 0u;
      r.sum = static_cast<std::uint8_t>(r.sum + b);
    }
    return r;
  }
  return ipmikit::detail::summarize_special(bytes.data(), bytes.size());
}

constexpr std::size_t count_special(std::span<const std::uint8_t> bytes) noexcept {
  return summarize(bytes).count;
}

constexpr std::uint8_t checksum_of(std::uint8_t msg_id, std::span<const std::uint8_t> body) noexcept {
  return checksum{}.add(msg_id).add(body).value();
}

/// Writes b escaped at out[i] (room already checked). Returns the new index.
constexpr std::size_t put_escaped(std::span<std::uint8_t> out, std::size_t i, std::uint8_t b) noexcept {
  if (is_special(b)) {
    out[i] = escape;
    out[i + 1] = static_cast<std::uint8_t>(b | escape_bit);
    return i + 2;
  }
  out[i] = b;
  return i + 1;
}

constexpr std::size_t put_escaped(std::span<std::uint8_t> out, std::size_t i,
                                  std::span<const std::uint8_t> bytes) noexcept {
  for (std::uint8_t b : bytes) i = put_escaped(out, i, b);
  return i;
}

#if IPMIKIT_HAVE_AVX2
/// For each 8-bit mask of special lanes in 8 input bytes: a pshufb control that spreads the
/// bytes over 8 + popcount(mask) output lanes (0x80, giving 0, where an escape byte goes) and
/// the bytes to OR in (0xAA for the escape, 0x10 to turn A0/A1/AA into B0/B1/BA).
struct expand_entry {
  std::uint8_t shuffle[16];
  std::uint8_t add[16];
};
constexpr std::array<expand_entry, 256> make_expand_table() noexcept {
  std::array<expand_entry, 256> t{};
  for (unsigned m = 0; m < 256; ++m) {
    unsigned o = 0;
    for (unsigned i = 0; i < 16; ++i) {
      t[m].shuffle[i] = 0x80;
      t[m].add[i] = 0;
    }
    for (unsigned i = 0; i < 8; ++i) {
      if (m & (1u << i)) {
        t[m].add[o] = escape;
        ++o;
        t[m].shuffle[o] = static_cast<std::uint8_t>(i);
        t[m].add[o] = escape_bit;
      } else {
        t[m].shuffle[o] = static_cast<std::uint8_t>(i);
      }
      ++o;
    }
  }
  return t;
}
alignas(32) inline constexpr std::array<expand_entry, 256> expand_table = make_expand_table();

// Escapes the 8 low bytes of v (special-lane mask m) to o with one 16-byte store; returns the
// new end.
IPMIKIT_TARGET_AVX2 inline std::uint8_t* expand8(std::uint8_t* o, __m128i v, unsigned m) noexcept {
  const expand_entry& e = expand_table[m];
  const __m128i out = _mm_or_si128(
      _mm_shuffle_epi8(v, _mm_load_si128(reinterpret_cast<const __m128i*>(e.shuffle))),
      _mm_load_si128(reinterpret_cast<const __m128i*>(e.add)));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(o), out);
  return o + 8 + __builtin_popcount(m);
}

/// The AVX2-machine kernel of escape_fast (pshufb expansion: the same cost for every density
/// of special bytes). Same contract as escape_fast.
IPMIKIT_TARGET_AVX2 inline std::uint8_t* escape_avx2(std::uint8_t* o, std::uint8_t* const o_end,
                                                     const std::uint8_t* p, std::size_t n,
                                                     std::uint32_t& s) noexcept {
  const std::uint8_t* const end = p + n;
  const __m128i zero = _mm_setzero_si128();
  __m128i acc = zero;
  // 16 input bytes left: the worst-case room left is at least 32, enough for two 16-byte stores.
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const std::uint32_t mask = ipmikit::detail::special_mask(v);
    acc = _mm_add_epi64(acc, _mm_sad_epu8(v, zero));
    p += 16;
    if (mask == 0) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(o), v);
      o += 16;
      continue;
    }
    o = expand8(o, v, mask & 0xFFu);
    o = expand8(o, _mm_srli_si128(v, 8), mask >> 8);
  }
  if (end - p >= 8) {  // room >= 16
    const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
    acc = _mm_add_epi64(acc, _mm_sad_epu8(v, zero));
    o = expand8(o, v, ipmikit::detail::special_mask(v) & 0xFFu);
    p += 8;
  }
  // r < 8 bytes left: the input's last 8 bytes shifted down by 8 - r (zeros shifted in are not
  // special and add nothing to the sum), when a 16-byte store fits.
  if (const auto r = static_cast<unsigned>(end - p); r > 0 && n >= 8 && o_end - o >= 16) {
    std::uint64_t last;
    std::memcpy(&last, end - 8, 8);
    const __m128i v = _mm_cvtsi64_si128(static_cast<long long>(last >> (8 * (8 - r))));
    acc = _mm_add_epi64(acc, _mm_sad_epu8(v, zero));
    // The 8 - r zero lanes are plain and come out last: drop them.
    o = expand8(o, v, ipmikit::detail::special_mask(v) & 0xFFu) - (8 - r);
    p = end;
  }
  s += ipmikit::detail::sad_total(acc);
  const auto& special = ipmikit::detail::special_table;
  for (; p != end; ++p) {
    const std::uint8_t b = *p;
    const std::uint8_t k = special[b];
    o[0] = k ? escape : b;
    o[1] = static_cast<std::uint8_t>(b | escape_bit);
    o += 1 + k;
    s += b;
  }
  return o;
}
#endif

/// Run-time fast path: escapes [p, p + n) to o, which has room for the worst case (2n) before
/// o_end, and adds the bytes to `sum` in the same pass. Returns the end of the written bytes.
inline std::uint8_t* escape_fast(std::uint8_t* o, std::uint8_t* const o_end, const std::uint8_t* p,
                                 std::size_t n, std::uint8_t& sum) noexcept {
  const std::uint8_t* const end = p + n;
  const auto& special = ipmikit::detail::special_table;
  std::uint32_t s = sum;
  // Branch-free per byte; o[1] is always within the worst-case room.
  auto one = [&](std::uint8_t b) {
    const std::uint8_t k = special[b];
    o[0] = k ? escape : b;
    o[1] = static_cast<std::uint8_t>(b | escape_bit);
    o += 1 + k;
    s += b;
  };
  const ipmikit::detail::kernel kern = ipmikit::detail::active_kernel();
#if IPMIKIT_HAVE_AVX2
  if (kern == ipmikit::detail::kernel::avx2) {
    o = escape_avx2(o, o_end, p, n, s);
    sum = static_cast<std::uint8_t>(s);
    return o;
  }
#endif
#if IPMIKIT_HAVE_NEON
  if (kern == ipmikit::detail::kernel::neon) {
    o = ipmikit::detail::escape_neon(o, o_end, p, n, s);
    sum = static_cast<std::uint8_t>(s);
    return o;
  }
#endif
#if IPMIKIT_HAVE_SSE2
  if (kern != ipmikit::detail::kernel::scalar) {
  // 16 bytes at a time. A store of 16 bytes is safe: with 16 input bytes left the worst-case
  // room left is at least 32.
  const __m128i zero = _mm_setzero_si128();
  __m128i acc = zero;
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const std::uint32_t mask = ipmikit::detail::special_mask(v);
    if (mask == 0) {  // nothing to escape: copy the block
      _mm_storeu_si128(reinterpret_cast<__m128i*>(o), v);
      acc = _mm_add_epi64(acc, _mm_sad_epu8(v, zero));
      o += 16;
      p += 16;
    } else if ((mask & (mask - 1)) == 0) {  // one special byte: copy up to it, escape it
      _mm_storeu_si128(reinterpret_cast<__m128i*>(o), v);
      const auto k = static_cast<unsigned>(__builtin_ctz(mask));
      o += k;
      const std::uint8_t b = p[k];
      o[0] = escape;
      o[1] = static_cast<std::uint8_t>(b | escape_bit);
      o += 2;
      const __m128i keep = _mm_loadu_si128(
          reinterpret_cast<const __m128i*>(ipmikit::detail::prefix_mask16(k + 1)));
      acc = _mm_add_epi64(acc, _mm_sad_epu8(_mm_and_si128(v, keep), zero));
      p += k + 1;
    } else {  // dense: escape the block byte by byte
      for (int i = 0; i < 16; ++i) one(*p++);
    }
  }
  // Fewer than 16 bytes left. Write 8 bytes at a time when the output has room for a full
  // 8-byte store: first a whole 8-byte block, then the last r < 8 bytes through a load of the
  // input's final 8 bytes shifted down by 8 - r (x86 is little-endian), if the input has 8.
  if (end - p >= 8 && o_end - o >= 8) {
    const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
    if ((ipmikit::detail::special_mask(v) & 0xFFu) == 0) {
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
    if ((ipmikit::detail::special_mask(v) & 0xFFu) == 0) {  // shifted-in zeros are not special
      _mm_storel_epi64(reinterpret_cast<__m128i*>(o), v);
      acc = _mm_add_epi64(acc, _mm_sad_epu8(v, zero));
      o += r;
      p = end;
    }
  }
  s += ipmikit::detail::sad_total(acc);
  }
#endif
  while (p != end) one(*p++);
  sum = static_cast<std::uint8_t>(s);
  return o;
}

inline std::uint8_t* escape_byte_fast(std::uint8_t* o, std::uint8_t b) noexcept {
  const std::uint8_t k = ipmikit::detail::special_table[b];
  o[0] = k ? escape : b;
  o[1] = static_cast<std::uint8_t>(b | escape_bit);
  return o + 1 + k;
}

/// A whole message frame into [o, o_end), which has room for the worst case; escaped and
/// summed in one pass. Returns the frame's end.
inline std::uint8_t* message_fast(std::uint8_t* o, std::uint8_t* o_end, std::uint8_t msg_id,
                                  std::span<const std::uint8_t> body) noexcept {
  std::uint8_t sum = msg_id;
  o = escape_byte_fast(o, msg_id);
  o = escape_fast(o, o_end, body.data(), body.size(), sum);
  o = escape_byte_fast(o, static_cast<std::uint8_t>(0u - sum));
  *o++ = end_of_message;
  return o;
}

/// encode_message into a buffer under the worst case, at run time: the frame is built in one
/// pass in a worst-case scratch frame and copied out if it fits (a buffer sized exactly with
/// message_frame_size comes here: no pass to count, none to sum). Out of line: the scratch
/// frame would otherwise enlarge every caller's stack frame, the fast path's included.
[[gnu::noinline]] inline encode_result encode_message_exact(std::span<std::uint8_t> out, std::uint8_t msg_id,
                                                            std::span<const std::uint8_t> body) noexcept {
  std::array<std::uint8_t, max_message_frame_size(max_message_size)> scratch;  // NOLINT: written first
  const auto size = static_cast<std::size_t>(
      message_fast(scratch.data(), scratch.data() + scratch.size(), msg_id, body) - scratch.data());
  if (out.size() < size) return {0, encode_error::buffer_too_small, size};
  std::memcpy(out.data(), scratch.data(), size);
  return {size, encode_error::ok, 0};
}

}  // namespace detail

/// Exact encoded size of the message frame for `msg_id` and `body` (terminator included). One
/// pass over the body at run time: the special bytes are counted and the checksum summed together.
[[nodiscard]] constexpr std::size_t message_frame_size(std::uint8_t msg_id,
                                                       std::span<const std::uint8_t> body) noexcept {
  const ipmikit::detail::special_summary b = detail::summarize(body);
  const auto cs = static_cast<std::uint8_t>(0u - msg_id - b.sum);
  return body.size() + message_overhead + 1 + b.count + (is_special(msg_id) ? 1u : 0u) +
         (is_special(cs) ? 1u : 0u);
}

// ---------------------------------------------------------------------------------------------
// Encoding

/// Low-level: escapes `content` as-is and appends `terminator` (0xA0 or 0xA1). No checksum is
/// added and nothing is validated, so a test peer can put any frame on the wire.
constexpr encode_result encode_frame(std::span<std::uint8_t> out, std::span<const std::uint8_t> content,
                                     std::uint8_t terminator) noexcept {
  if (!std::is_constant_evaluated() && out.size() >= max_frame_size(content.size())) {
    std::uint8_t unused_sum = 0;
    std::uint8_t* o = detail::escape_fast(out.data(), out.data() + out.size(), content.data(),
                                          content.size(), unused_sum);
    *o++ = terminator;
    return {static_cast<std::size_t>(o - out.data()), encode_error::ok, 0};
  }
  const std::size_t need = content.size() + detail::count_special(content) + 1;
  if (out.size() < need) return {0, encode_error::buffer_too_small, need};
  std::size_t i = detail::put_escaped(out, 0, content);
  out[i++] = terminator;
  return {i, encode_error::ok, 0};
}

/// Frames an IPMI message: `msg_id`, then `body` (netfn<<2|lun, cmd, data…), then the checksum
/// over both, escaped, then 0xA0.
constexpr encode_result encode_message(std::span<std::uint8_t> out, std::uint8_t msg_id,
                                       std::span<const std::uint8_t> body) noexcept {
  if (body.size() < 2) return {0, encode_error::body_too_short, 0};
  if (body.size() > max_message_size) return {0, encode_error::body_too_long, 0};
  if (!std::is_constant_evaluated()) {
    if (out.size() >= max_message_frame_size(body.size())) {
      std::uint8_t* o = out.data();
      return {static_cast<std::size_t>(detail::message_fast(o, o + out.size(), msg_id, body) - o),
              encode_error::ok, 0};
    }
    return detail::encode_message_exact(out, msg_id, body);
  }
  const std::size_t need = message_frame_size(msg_id, body);
  if (out.size() < need) return {0, encode_error::buffer_too_small, need};
  const std::uint8_t cs = detail::checksum_of(msg_id, body);
  std::size_t i = detail::put_escaped(out, 0, msg_id);
  i = detail::put_escaped(out, i, body);
  i = detail::put_escaped(out, i, cs);
  out[i++] = end_of_message;
  return {i, encode_error::ok, 0};
}

/// Frames an IPMI message from its fields. The body is assembled in a bounded local buffer.
constexpr encode_result encode_message(std::span<std::uint8_t> out, std::uint8_t msg_id,
                                       std::uint8_t netfn_lun, std::uint8_t cmd,
                                       std::span<const std::uint8_t> data) noexcept {
  if (data.size() + 2 > max_message_size) return {0, encode_error::body_too_long, 0};
  std::array<std::uint8_t, max_message_size> body{};
  body[0] = netfn_lun;
  body[1] = cmd;
  std::copy(data.begin(), data.end(), body.begin() + 2);
  return encode_message(out, msg_id, std::span<const std::uint8_t>(body.data(), data.size() + 2));
}

/// Frames a VM command. A known command must carry exactly `argument_count(code)` argument
/// bytes; a code outside the enum (cast by a test peer) is framed with whatever it is given.
constexpr encode_result encode_command(std::span<std::uint8_t> out, command code,
                                       std::span<const std::uint8_t> arguments) noexcept {
  const auto raw = static_cast<std::uint8_t>(code);
  if (is_known_command(raw) && arguments.size() != argument_count(code))
    return {0, encode_error::wrong_argument_count, 0};
  const std::size_t need = 1 + (is_special(raw) ? 1u : 0u) + arguments.size() +
                           detail::count_special(arguments) + 1;
  if (out.size() < need) return {0, encode_error::buffer_too_small, need};
  std::size_t i = detail::put_escaped(out, 0, raw);
  i = detail::put_escaped(out, i, arguments);
  out[i++] = end_of_command;
  return {i, encode_error::ok, 0};
}

constexpr encode_result encode_command(std::span<std::uint8_t> out, command code) noexcept {
  return encode_command(out, code, std::span<const std::uint8_t>{});
}

constexpr encode_result encode_command(std::span<std::uint8_t> out, command code,
                                       std::uint8_t argument) noexcept {
  const std::uint8_t arg[1] = {argument};
  return encode_command(out, code, std::span<const std::uint8_t>(arg));
}

// ---------------------------------------------------------------------------------------------
// Fixed-size frames, for compile time and for callers who want a value instead of a buffer.

/// An encoded frame in a buffer of N bytes (N chosen from the worst-case size functions).
template <std::size_t N>
struct static_frame {
  std::array<std::uint8_t, N> bytes{};
  std::size_t size = 0;

  [[nodiscard]] constexpr std::span<const std::uint8_t> view() const noexcept {
    return {bytes.data(), size};
  }
  [[nodiscard]] constexpr bool equals(std::span<const std::uint8_t> other) const noexcept {
    return std::ranges::equal(view(), other);
  }
};

/// A message frame for a body known at compile time. Bodies shorter than 2 bytes are a
/// compile error here (use encode_message to get a runtime error instead).
template <std::size_t BodySize>
  requires(BodySize >= 2 && BodySize <= max_message_size)
constexpr static_frame<max_message_frame_size(BodySize)> make_message_frame(
    std::uint8_t msg_id, const std::array<std::uint8_t, BodySize>& body) noexcept {
  static_frame<max_message_frame_size(BodySize)> f;
  f.size = encode_message(f.bytes, msg_id, body).size;  // cannot fail: sized for the worst case
  return f;
}

/// A command frame.
template <std::size_t Arguments = 0>
  requires(Arguments <= 1)
constexpr static_frame<max_command_frame_size(Arguments)> make_command_frame(
    command code, const std::array<std::uint8_t, Arguments>& arguments = {}) noexcept {
  static_frame<max_command_frame_size(Arguments)> f;
  f.size = encode_command(f.bytes, code, arguments).size;  // 0 if the count is wrong
  return f;
}

/// What the emulator side sends on every connect: VERSION 1 then CAPABILITIES
/// (QEMU ipmi_bmc_extern chr_event; QEMU 7.2 sends `FF 01 A1 08 3F A1`).
constexpr static_frame<2 * max_command_frame_size(1)> make_emulator_greeting(
    capabilities caps) noexcept {
  static_frame<2 * max_command_frame_size(1)> f;
  const auto first = encode_command(f.bytes, command::version, protocol_version);
  const auto second = encode_command(std::span<std::uint8_t>(f.bytes).subspan(first.size),
                                     command::capabilities, caps.to_byte());
  f.size = first.size + second.size;
  return f;
}

}  // namespace ipmikit::vm
