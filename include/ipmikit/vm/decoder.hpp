// ipmikit/vm/decoder.hpp — the resumable VM protocol decoder.
//
// Feed it the received byte stream in any chunking, down to one byte at a time: it reports the
// same events, in the same order, with the same stream offsets, for every split of the same
// stream. Events go to a handler callable with each of:
//
//   void operator()(const message_event&)   // checksum verified and removed
//   void operator()(const command_event&)   // a known VM command with the right arguments
//   void operator()(const error_event&)     // a malformed frame, counted in stats()
//
// After an error, decoding goes on with the next frame. Memory is bounded: one buffer of
// `Capacity` unescaped bytes (default: QEMU's receive buffer, a 300-byte body plus message id
// and checksum). The decoder is a trivially copyable value; copying it forks the stream state.
//
// ## Rules for malformed input (each has a test in tests/vm_decoder_test.cpp)
//
// A frame is every byte since the previous terminator (0xA0 or 0xA1). Exactly one event is
// reported per frame, when its terminator arrives. If a frame has several problems, the first
// one in stream order is reported:
//
// * `invalid_escape`: 0xAA followed by a byte other than 0xB0, 0xB1, 0xBA. The two bytes are
//   dropped; the frame is reported as invalid at its terminator, and the bytes after the pair
//   are still counted in `length` and kept in `bytes` for diagnosis. (QEMU clears bit 4 of any
//   byte after an escape; ipmikit does not guess what the peer meant.) 0xAA 0xAA is an
//   invalid escape too. `offset` is the byte after the 0xAA.
// * `escape_before_terminator`: 0xAA directly before 0xA0/0xA1. The terminator still ends the
//   frame and the escape state is cleared, so the next frame decodes normally. (QEMU keeps the
//   escape flag across the terminator and corrupts the next frame's first byte.) `offset` is
//   the terminator's.
// * `frame_too_long`: more than `Capacity` unescaped bytes. The first `Capacity` bytes are
//   kept and handed out in the error (its `header()` gives msg_id, netfn/LUN and cmd so a
//   session can answer 0xC6 "request data truncated", as QEMU does); the rest up to the
//   terminator is skipped. Reported at the terminator, whatever the terminator is.
// * `message_too_short`: a message frame with fewer unescaped bytes than the minimum given to
//   the constructor (default 4: msg_id, netfn/LUN, cmd, checksum, which is what OpenIPMI
//   accepts for a request; pass `min_response_frame` (5) for QEMU's rule for responses).
//   A lone 0xA0 is a message of length 0 and reported as too short.
// * `checksum_mismatch`: the unescaped bytes, checksum included, do not sum to zero.
// * `empty_command`: 0xA1 with nothing before it (QEMU and OpenIPMI silently ignore it; a
//   decoder used for debugging should show it).
// * `unknown_command`: a command code outside vm::command. The code and arguments are in the
//   error's `bytes`.
// * `wrong_argument_count`: a known command with a different number of argument bytes than
//   vm::argument_count (QEMU only looks at the code; ipmikit wants the frame to be exact).
//
// Unlike QEMU, bytes after a command in the same chunk are decoded normally.
//
// ## Views and their lifetime
//
// Spans in an event are valid only during the handler call. A message or command that arrives
// whole inside one feed() call and contains no escape is handed out as a view into the
// caller's buffer (`zero_copy` is true), with no copy; otherwise it points into the decoder's
// own buffer. The handler must not call feed() or reset() on the same decoder.
#pragma once

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

#include "../checksum.hpp"
#include "../detail/enum_name.hpp"
#include "../detail/simd/select.hpp"
#include "../message.hpp"
#include "protocol.hpp"

namespace ipmikit::vm {

// ---------------------------------------------------------------------------------------------
// Types

/// What was wrong with a frame. Zero means no error.
enum class decode_error : std::uint8_t {
  message_too_short = 1,
  checksum_mismatch = 2,
  frame_too_long = 3,
  escape_before_terminator = 4,
  invalid_escape = 5,
  empty_command = 6,
  unknown_command = 7,
  wrong_argument_count = 8,
};
inline constexpr std::size_t decode_error_count = 8;
inline constexpr decode_error all_decode_errors[decode_error_count] = {
    decode_error::message_too_short,        decode_error::checksum_mismatch,
    decode_error::frame_too_long,           decode_error::escape_before_terminator,
    decode_error::invalid_escape,           decode_error::empty_command,
    decode_error::unknown_command,          decode_error::wrong_argument_count};

[[nodiscard]] constexpr std::string_view name(decode_error e) noexcept {
  return ipmikit::detail::enum_name<decode_error, 8>(
      e, {"message_too_short", "checksum_mismatch", "frame_too_long", "escape_before_terminator", "invalid_escape",
          "empty_command", "unknown_command", "wrong_argument_count"}, 1);
}

[[nodiscard]] constexpr std::string_view describe(decode_error e) noexcept {
  return ipmikit::detail::enum_name<decode_error, 8>(
      e, {"message shorter than the minimum frame",
          "message checksum does not sum to zero",
          "frame longer than the decoder's capacity",
          "escape byte directly before a terminator",
          "byte after an escape is not 0xB0, 0xB1 or 0xBA",
          "command terminator with no command byte",
          "unknown VM command code",
          "VM command with the wrong number of argument bytes"}, 1);
}

/// Which terminator ended a frame.
enum class frame_kind : std::uint8_t { message, command };

/// The first three bytes of a message frame.
struct message_header {
  std::uint8_t msg_id = 0;
  std::uint8_t netfn_lun = 0;
  std::uint8_t cmd = 0;
  friend constexpr bool operator==(const message_header&, const message_header&) = default;
};

struct message_event {
  std::uint8_t msg_id = 0;
  std::span<const std::uint8_t> body;  // netfn<<2|lun, cmd, data… (checksum removed)
  std::uint64_t offset = 0;            // stream offset of the frame's first byte
  bool zero_copy = false;              // body points into the buffer given to feed()

  [[nodiscard]] constexpr std::uint8_t netfn_lun() const noexcept { return body[0]; }
  [[nodiscard]] constexpr ipmikit::netfn function() const noexcept { return netfn_of(body[0]); }
  [[nodiscard]] constexpr ipmikit::lun lun() const noexcept { return lun_of(body[0]); }
  [[nodiscard]] constexpr std::uint8_t cmd() const noexcept { return body[1]; }
  [[nodiscard]] constexpr std::span<const std::uint8_t> data() const noexcept { return body.subspan(2); }
  /// True for a response (odd netfn); its data then starts with the completion code.
  [[nodiscard]] constexpr bool is_response() const noexcept { return ipmikit::is_response(function()); }
};

struct command_event {
  vm::command code{};
  std::span<const std::uint8_t> arguments;  // exactly argument_count(code) bytes
  std::uint64_t offset = 0;                 // stream offset of the frame's first byte

  /// The argument byte of VERSION / CAPABILITIES (0 for commands without one).
  [[nodiscard]] constexpr std::uint8_t argument() const noexcept {
    return arguments.empty() ? 0 : arguments[0];
  }
};

struct error_event {
  decode_error error{};
  frame_kind kind{};                  // the terminator that ended the frame
  std::uint64_t frame_offset = 0;     // stream offset of the frame's first byte
  std::uint64_t offset = 0;           // stream offset of the byte where the problem was seen
  std::size_t length = 0;             // unescaped bytes in the frame (may exceed capacity)
  std::span<const std::uint8_t> bytes;  // the unescaped bytes kept (at most the capacity)

  /// msg_id, netfn/LUN and cmd, when at least three bytes were kept.
  [[nodiscard]] constexpr std::optional<message_header> header() const noexcept {
    if (bytes.size() < 3) return std::nullopt;
    return message_header{bytes[0], bytes[1], bytes[2]};
  }
};

struct decoder_stats {
  std::uint64_t bytes = 0;               // bytes fed
  std::uint64_t messages = 0;            // message events
  std::uint64_t zero_copy_messages = 0;  // of which handed out without a copy
  std::uint64_t commands = 0;            // command events
  std::array<std::uint64_t, decode_error_count + 1> errors{};  // indexed by decode_error

  [[nodiscard]] constexpr std::uint64_t count(decode_error e) const noexcept {
    return errors[static_cast<std::size_t>(e)];
  }
  [[nodiscard]] constexpr std::uint64_t total_errors() const noexcept {
    std::uint64_t n = 0;
    for (auto e : errors) n += e;
    return n;
  }
};

/// A handler the decoder can report every kind of event to.
template <class H>
concept decoder_handler = std::invocable<H&, const message_event&> &&
                          std::invocable<H&, const command_event&> &&
                          std::invocable<H&, const error_event&>;

// ---------------------------------------------------------------------------------------------
// The decoder

template <std::size_t Capacity = max_message_size + message_overhead>
class basic_decoder {
  static_assert(Capacity >= min_response_frame, "a decoder must hold at least a minimal response");

 public:
  static constexpr std::size_t capacity = Capacity;

  /// `min_message`: fewest unescaped bytes a message frame needs (values under 4 count as 4).
  constexpr explicit basic_decoder(std::size_t min_message = min_request_frame) noexcept
      : min_message_(std::max(min_message, min_request_frame)) {}

  /// Decodes `input`, calling `handler` for each complete frame. Always consumes everything.
  template <decoder_handler Handler>
  constexpr void feed(std::span<const std::uint8_t> input, Handler&& handler);

  /// Forgets any partial frame (e.g. after a reconnect). Statistics and offsets are kept.
  constexpr void reset() noexcept { clear_frame(pos_); }

  /// True while bytes of an unterminated frame are held.
  [[nodiscard]] constexpr bool in_frame() const noexcept { return !at_frame_start(); }

  /// Stream offset of the next byte to be fed.
  [[nodiscard]] constexpr std::uint64_t offset() const noexcept { return pos_; }

  /// Stream offset where the current frame began: with in_frame(), where an unterminated
  /// frame starts (e.g. to report a stream cut off mid-frame).
  [[nodiscard]] constexpr std::uint64_t frame_offset() const noexcept { return frame_start_; }

  [[nodiscard]] constexpr const decoder_stats& stats() const noexcept { return stats_; }

  [[nodiscard]] constexpr std::size_t min_message() const noexcept { return min_message_; }

 private:
  [[nodiscard]] constexpr bool at_frame_start() const noexcept {
    return len_ == 0 && !escaped_ && poison_ == decode_error{};
  }

  constexpr void poison(decode_error e, std::uint64_t where) noexcept {
    if (poison_ == decode_error{}) {
      poison_ = e;
      poison_offset_ = where;
    }
  }

  // Per byte: bit 0 terminator (A0, A1), bit 1 valid after an escape (B0, B1, BA).
  static constexpr std::array<std::uint8_t, 256> byte_class = [] {
    std::array<std::uint8_t, 256> t{};
    t[end_of_message] = t[end_of_command] = 1;
    t[end_of_message | escape_bit] = t[end_of_command | escape_bit] = t[escape | escape_bit] = 2;
    return t;
  }();

  // The bytes of a frame with an escape, or cut by the end of the input (defined below).
  template <class Handler>
  const std::uint8_t* copy_frame(ipmikit::detail::kernel k, const std::uint8_t* p,
                                 const std::uint8_t* end, Handler& handler);

  constexpr void store(std::uint8_t v) noexcept {
    if (len_ < Capacity) {
      buf_[len_] = v;
    } else {
      poison(decode_error::frame_too_long, pos_);
    }
    ++len_;
    sum_ = static_cast<std::uint8_t>(sum_ + v);
  }

  template <class Handler>
  constexpr void step(std::uint8_t b, Handler& handler) {
    if (b == end_of_message || b == end_of_command) {
      if (escaped_) poison(decode_error::escape_before_terminator, pos_);
      finish(std::span<const std::uint8_t>(buf_.data(), std::min(len_, Capacity)), len_, sum_, b,
             poison_, poison_offset_, false, handler);
      return;
    }
    if (escaped_) {
      escaped_ = false;
      const auto v = static_cast<std::uint8_t>(b & ~escape_bit);
      if (b != v && is_special(v)) {
        store(v);
      } else {
        poison(decode_error::invalid_escape, pos_);
      }
    } else if (b == escape) {
      escaped_ = true;
    } else {
      store(b);
    }
    ++pos_;
  }

  // Reports the frame ending at pos_ (the terminator's offset) and starts the next one.
  template <class Handler>
  constexpr void finish(std::span<const std::uint8_t> kept, std::size_t length, std::uint8_t sum,
                        std::uint8_t terminator, decode_error problem, std::uint64_t problem_at,
                        bool zero_copy, Handler& handler) {
    const std::uint64_t start = frame_start_;
    const std::uint64_t at = pos_;
    const frame_kind kind = terminator == end_of_message ? frame_kind::message : frame_kind::command;
    if (problem == decode_error{}) {
      if (kind == frame_kind::message) {
        if (length < min_message_) {
          problem = decode_error::message_too_short;
        } else if (sum != 0) {
          problem = decode_error::checksum_mismatch;
        }
      } else if (length == 0) {
        problem = decode_error::empty_command;
      } else if (!is_known_command(kept[0])) {
        problem = decode_error::unknown_command;
      } else if (length - 1 != argument_count(static_cast<command>(kept[0]))) {
        problem = decode_error::wrong_argument_count;
      }
      problem_at = at;
    }
    // Clear first: the handler sees a decoder ready for the next frame.
    clear_frame(at + 1);
    if (problem != decode_error{}) {
      ++stats_.errors[static_cast<std::size_t>(problem)];
      handler(error_event{problem, kind, start, problem_at, length, kept});
    } else if (kind == frame_kind::message) {
      ++stats_.messages;
      if (zero_copy) ++stats_.zero_copy_messages;
      handler(message_event{kept[0], kept.subspan(1, length - 2), start, zero_copy});
    } else {
      ++stats_.commands;
      handler(command_event{static_cast<command>(kept[0]), kept.subspan(1), start});
    }
  }

  constexpr void clear_frame(std::uint64_t next) noexcept {
    len_ = 0;
    sum_ = 0;
    escaped_ = false;
    poison_ = decode_error{};
    poison_offset_ = 0;
    pos_ = next;
    frame_start_ = next;
  }

  // Capacity bytes, then slack for the kernels' block stores (never part of a frame).
  std::array<std::uint8_t, Capacity + ipmikit::detail::copy_slack> buf_{};
  std::size_t len_ = 0;             // unescaped bytes in the current frame (may exceed Capacity)
  std::size_t min_message_ = min_request_frame;
  std::uint64_t pos_ = 0;           // stream offset of the next byte
  std::uint64_t frame_start_ = 0;   // stream offset of the current frame's first byte
  std::uint64_t poison_offset_ = 0;
  decoder_stats stats_{};
  std::uint8_t sum_ = 0;
  bool escaped_ = false;
  decode_error poison_{};
};

/// The decoder sized like QEMU's receive buffer.
using decoder = basic_decoder<>;

// ---------------------------------------------------------------------------------------------
// How feed() works

template <std::size_t Capacity>
template <decoder_handler Handler>
constexpr void basic_decoder<Capacity>::feed(std::span<const std::uint8_t> input, Handler&& handler) {
  stats_.bytes += input.size();
  if (std::is_constant_evaluated()) {
    for (std::uint8_t b : input) step(b, handler);
    return;
  }
  const ipmikit::detail::kernel k = ipmikit::detail::active_kernel();
  const std::uint8_t* p = input.data();
  const std::uint8_t* const end = p + input.size();
  while (p != end) {
    if (at_frame_start()) {
      // One pass finds the frame's end and sums it. A frame that is whole and unescaped is
      // handed out in place; otherwise its plain prefix (already summed) is copied to buf_
      // after the scan (copying during it slows the zero-copy frames: docs/performance.md).
      const ipmikit::detail::plain_run run = ipmikit::detail::scan_plain<detail::special_set>(k, p, end);
      const auto n = static_cast<std::size_t>(run.stop - p);
      if (run.stop != end && *run.stop != escape) {
        // The whole frame is in the caller's buffer and needs no unescaping.
        pos_ += n;
        finish(std::span<const std::uint8_t>(p, std::min(n, Capacity)), n, run.sum, *run.stop,
               n > Capacity ? decode_error::frame_too_long : decode_error{},
               frame_start_ + Capacity, true, handler);
        p = run.stop + 1;
        continue;
      }
      std::memcpy(buf_.data(), p, std::min(n, Capacity));
      if (n > Capacity) poison(decode_error::frame_too_long, pos_ + Capacity);
      len_ = n;
      sum_ = run.sum;
      pos_ += n;
      p = run.stop;
      if (p == end) break;
    }
    p = copy_frame(k, p, end, handler);
  }
}

// Unescapes and copies bytes of the current frame until its terminator (which it handles) or
// the end of the input; returns where it stopped. Runs of two or more plain bytes go through
// the vector kernel (scan, copy and sum in one pass); an escape pair or a lone plain byte
// between special bytes is one step of the loop, the pair on its straight path (every branch
// it takes costs escape-dense frames: docs/performance.md). The hot state lives in locals: a
// store into buf_ is a char-typed store that would otherwise force every member to be reloaded.
template <std::size_t Capacity>
template <class Handler>
const std::uint8_t* basic_decoder<Capacity>::copy_frame(ipmikit::detail::kernel k, const std::uint8_t* p,
                                                        const std::uint8_t* const end, Handler& handler) {
  std::size_t len = len_;
  std::uint8_t sum = sum_;
  std::uint64_t pos = pos_;
  bool escaped = escaped_;
  std::uint8_t* const buf = buf_.data();
  const auto& special = detail::special_set::table;
  while (p != end) {
    const std::uint8_t b = *p;
    const std::uint8_t next = end - p >= 2 ? p[1] : end_of_message;
    // A plain run: the kernel's call dwarfs a taken branch, which the byte steps below avoid.
    if ((special[b] | special[next] | static_cast<unsigned>(escaped)) == 0) [[unlikely]] {
      const std::size_t room = len < Capacity ? Capacity - len : 0;
      const ipmikit::detail::plain_run run =
          ipmikit::detail::scan_copy<detail::special_set>(k, p, end, buf + (Capacity - room), room);
      const auto n = static_cast<std::size_t>(run.stop - p);
      if (n > room) poison(decode_error::frame_too_long, pos + room);
      len += n;
      sum = static_cast<std::uint8_t>(sum + run.sum);
      pos += n;
      p = run.stop;
      continue;
    }
    if (escaped) [[unlikely]] {  // an escape was the last byte of the previous chunk or invalid
      if (byte_class[b] & 1u) break;  // a terminator: step() reports the escape before it
      escaped = false;
      if (byte_class[b] & 2u) {
        buf[len < Capacity ? len : Capacity] = static_cast<std::uint8_t>(b ^ escape_bit);
        if (len >= Capacity) poison(decode_error::frame_too_long, pos);
        ++len;
        sum = static_cast<std::uint8_t>(sum + (b ^ escape_bit));
      } else {
        poison(decode_error::invalid_escape, pos);
      }
      ++p;
      ++pos;
      continue;
    }
    // An escape pair, the likely case (a plain run took the branch above), or a lone plain byte.
    std::uint8_t v = b;
    unsigned step = 1;
    if (b == escape) [[likely]] {
      if ((byte_class[next] & 2u) == 0) [[unlikely]] {
        escaped = true;  // invalid, or the next byte is in the next chunk: the next byte decides
        ++p;
        ++pos;
        continue;
      }
      v = static_cast<std::uint8_t>(next ^ escape_bit);
      step = 2;
    } else if (special[b]) [[unlikely]] {
      break;  // a terminator
    }
    if (len >= Capacity) [[unlikely]] poison(decode_error::frame_too_long, pos + step - 1);
    buf[len < Capacity ? len : Capacity] = v;  // buf_ has slack past Capacity
    ++len;
    sum = static_cast<std::uint8_t>(sum + v);
    p += step;
    pos += step;
  }
  len_ = len;
  sum_ = sum;
  pos_ = pos;
  escaped_ = escaped;
  if (p == end) return p;
  step(*p, handler);  // the terminator
  return p + 1;
}

}  // namespace ipmikit::vm
