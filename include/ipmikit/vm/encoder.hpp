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
// (the fast path stores whole 8- and 16-byte blocks), bytes past its end never are.
//
// All functions are constexpr, and evaluated at compile time they escape byte by byte. At run
// time a buffer of at least the worst-case size is written in one pass that escapes and sums
// together, through the kernels of ipmikit/detail/simd; a smaller one goes through a worst-case
// scratch frame. The helpers are at the end of this file.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>

#include "../checksum.hpp"
#include "../detail/enum_name.hpp"
#include "../detail/simd/select.hpp"
#include "protocol.hpp"

namespace ipmikit::vm {

struct encode_result;

namespace detail {
// The helpers, defined at the end of this file.
constexpr ipmikit::detail::set_count summarize(std::span<const std::uint8_t> bytes) noexcept;
constexpr std::size_t put_escaped(std::span<std::uint8_t> out, std::size_t i, std::uint8_t b) noexcept;
constexpr std::size_t put_escaped(std::span<std::uint8_t> out, std::size_t i,
                                  std::span<const std::uint8_t> bytes) noexcept;
inline std::uint8_t* escape_fast(std::uint8_t* o, std::uint8_t* o_end, const std::uint8_t* p,
                                 std::size_t n, std::uint8_t& sum) noexcept;
inline std::uint8_t* message_fast(std::uint8_t* o, std::uint8_t* o_end, std::uint8_t msg_id,
                                  std::span<const std::uint8_t> body) noexcept;
encode_result encode_message_exact(std::span<std::uint8_t> out, std::uint8_t msg_id,
                                   std::span<const std::uint8_t> body) noexcept;  // out of line
}  // namespace detail

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
  return ipmikit::detail::enum_name<encode_error, 5>(
      e, {"ok", "buffer_too_small", "body_too_short", "body_too_long", "wrong_argument_count"});
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

/// Exact encoded size of the message frame for `msg_id` and `body` (terminator included). One
/// pass over the body at run time: the special bytes are counted and the checksum summed together.
[[nodiscard]] constexpr std::size_t message_frame_size(std::uint8_t msg_id,
                                                       std::span<const std::uint8_t> body) noexcept {
  const ipmikit::detail::set_count b = detail::summarize(body);
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
  const std::size_t need = content.size() + detail::summarize(content).count + 1;
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
  const std::uint8_t cs = checksum{}.add(msg_id).add(body).value();
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
  std::size_t need = 1 + (is_special(raw) ? 1u : 0u) + 1;
  for (std::uint8_t b : arguments) need += is_special(b) ? 2u : 1u;  // a byte or two: no kernel
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

// ---------------------------------------------------------------------------------------------
// The helpers: byte by byte at compile time, through the kernels at run time.

namespace detail {

/// The special bytes of `bytes` and their 8-bit sum, in one pass.
constexpr ipmikit::detail::set_count summarize(std::span<const std::uint8_t> bytes) noexcept {
  if (std::is_constant_evaluated()) {
    ipmikit::detail::set_count r{0, 0};
    for (std::uint8_t b : bytes) {
      r.count += is_special(b) ? 1u : 0u;
      r.sum = static_cast<std::uint8_t>(r.sum + b);
    }
    return r;
  }
  return ipmikit::detail::count_bytes<special_set>(ipmikit::detail::active_kernel(), bytes.data(),
                                                   bytes.size());
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

/// Escapes [p, p + n) to o, which has room for the worst case (2n) before o_end, and adds the
/// bytes to `sum` in the same pass. Returns the end of the written bytes.
inline std::uint8_t* escape_fast(std::uint8_t* o, std::uint8_t* const o_end, const std::uint8_t* p,
                                 std::size_t n, std::uint8_t& sum) noexcept {
  std::uint32_t s = sum;
  o = ipmikit::detail::escape_bytes<special_escaping>(ipmikit::detail::active_kernel(), o, o_end, p, n, s);
  sum = static_cast<std::uint8_t>(s);
  return o;
}

/// A whole message frame into [o, o_end), which has room for the worst case; escaped and
/// summed in one pass. Returns the frame's end.
inline std::uint8_t* message_fast(std::uint8_t* o, std::uint8_t* o_end, std::uint8_t msg_id,
                                  std::span<const std::uint8_t> body) noexcept {
  using kernels = ipmikit::detail::simd::swar;
  std::uint8_t sum = msg_id;
  o = kernels::escape_byte<special_escaping>(o, msg_id);
  o = escape_fast(o, o_end, body.data(), body.size(), sum);
  o = kernels::escape_byte<special_escaping>(o, static_cast<std::uint8_t>(0u - sum));
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
}  // namespace ipmikit::vm
