// tests/reference_codec.hpp — the plain scalar reference of the VM wire codec: the oracle.
//
// Byte at a time, the way QEMU's ipmi_bmc_extern receive()/addchar() work: every byte goes
// through a switch, every kept byte is copied into an input buffer, the checksum is computed
// over that buffer when the terminator arrives. It implements ipmikit's documented rules for
// malformed input (see include/ipmikit/vm/decoder.hpp), written independently of the optimized
// decoder so that the two can be compared. Used by tests/, fuzz/ and bench/ (as the baseline).
// This is the one plain reference implementation the project allows; do not add another.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <ipmikit/vm/decoder.hpp>
#include <ipmikit/vm/protocol.hpp>

namespace ipmikit::test {

// ---------------------------------------------------------------------------------------------
// Checksum: sum every byte, negate.
inline std::uint8_t reference_checksum(std::span<const std::uint8_t> bytes) {
  unsigned sum = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) sum += bytes[i];
  return static_cast<std::uint8_t>(0x100u - (sum & 0xFFu));
}

// ---------------------------------------------------------------------------------------------
// Encoder: one byte at a time with a bounds check per byte (QEMU addchar). Returns the frame
// size, or 0 if `capacity` is too small.
class reference_encoder {
 public:
  reference_encoder(std::uint8_t* out, std::size_t capacity) : out_(out), cap_(capacity) {}

  bool add_char(std::uint8_t ch) {
    switch (ch) {
      case 0xA0:
      case 0xA1:
      case 0xAA:
        if (len_ + 2 > cap_) return false;
        out_[len_++] = 0xAA;
        out_[len_++] = static_cast<std::uint8_t>(ch | 0x10);
        return true;
      default:
        if (len_ + 1 > cap_) return false;
        out_[len_++] = ch;
        return true;
    }
  }
  bool add_raw(std::uint8_t ch) {
    if (len_ + 1 > cap_) return false;
    out_[len_++] = ch;
    return true;
  }
  std::size_t size() const { return len_; }

 private:
  std::uint8_t* out_;
  std::size_t cap_;
  std::size_t len_ = 0;
};

inline std::size_t reference_encode_message(std::uint8_t* out, std::size_t capacity,
                                             std::uint8_t msg_id,
                                             std::span<const std::uint8_t> body) {
  reference_encoder e(out, capacity);
  std::uint8_t sum = msg_id;
  bool ok = e.add_char(msg_id);
  for (std::size_t i = 0; ok && i < body.size(); ++i) {
    sum = static_cast<std::uint8_t>(sum + body[i]);
    ok = e.add_char(body[i]);
  }
  ok = ok && e.add_char(static_cast<std::uint8_t>(-sum)) && e.add_raw(0xA0);
  return ok ? e.size() : 0;
}

inline std::size_t reference_encode_command(std::uint8_t* out, std::size_t capacity,
                                             std::uint8_t code,
                                             std::span<const std::uint8_t> args) {
  reference_encoder e(out, capacity);
  bool ok = e.add_char(code);
  for (std::size_t i = 0; ok && i < args.size(); ++i) ok = e.add_char(args[i]);
  ok = ok && e.add_raw(0xA1);
  return ok ? e.size() : 0;
}

inline std::vector<std::uint8_t> reference_message_frame(std::uint8_t msg_id,
                                                         std::span<const std::uint8_t> body) {
  std::vector<std::uint8_t> out(2 * (body.size() + 2) + 1);
  out.resize(reference_encode_message(out.data(), out.size(), msg_id, body));
  return out;
}

inline std::vector<std::uint8_t> reference_command_frame(std::uint8_t code,
                                                         std::span<const std::uint8_t> args) {
  std::vector<std::uint8_t> out(2 * (args.size() + 1) + 1);
  out.resize(reference_encode_command(out.data(), out.size(), code, args));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoder: reports ipmikit's event types to a handler, one byte at a time.
template <std::size_t Capacity = vm::max_message_size + vm::message_overhead>
class reference_decoder {
 public:
  explicit reference_decoder(std::size_t min_message = vm::min_request_frame)
      : min_message_(min_message < 4 ? 4 : min_message) {}

  template <class Handler>
  void feed(std::span<const std::uint8_t> bytes, Handler&& handler) {
    for (std::size_t i = 0; i < bytes.size(); ++i) feed_byte(bytes[i], handler);
  }

  template <class Handler>
  void feed_byte(std::uint8_t ch, Handler& handler) {
    switch (ch) {
      case 0xA0:
      case 0xA1:
        if (in_escape_) note(vm::decode_error::escape_before_terminator);
        end_frame(ch, handler);
        frame_start_ = pos_ + 1;
        break;
      case 0xAA:
        if (in_escape_) {
          note(vm::decode_error::invalid_escape);
          in_escape_ = false;
        } else {
          in_escape_ = true;
        }
        break;
      default:
        if (in_escape_) {
          in_escape_ = false;
          if (ch == 0xB0 || ch == 0xB1 || ch == 0xBA) {
            keep(static_cast<std::uint8_t>(ch & 0xEF));
          } else {
            note(vm::decode_error::invalid_escape);
          }
        } else {
          keep(ch);
        }
        break;
    }
    ++pos_;
  }

 private:
  void note(vm::decode_error e) {
    if (!has_error_) {
      has_error_ = true;
      error_ = e;
      error_at_ = pos_;
    }
  }

  void keep(std::uint8_t ch) {
    if (count_ < Capacity) {
      inbuf_[count_] = ch;
    } else {
      note(vm::decode_error::frame_too_long);
    }
    ++count_;
  }

  template <class Handler>
  void end_frame(std::uint8_t terminator, Handler& handler) {
    const vm::frame_kind kind =
        terminator == 0xA0 ? vm::frame_kind::message : vm::frame_kind::command;
    const std::size_t kept = count_ < Capacity ? count_ : Capacity;
    if (!has_error_) {
      if (kind == vm::frame_kind::message) {
        unsigned sum = 0;
        for (std::size_t i = 0; i < kept; ++i) sum += inbuf_[i];
        if (count_ < min_message_) {
          note(vm::decode_error::message_too_short);
        } else if ((sum & 0xFF) != 0) {
          note(vm::decode_error::checksum_mismatch);
        }
      } else if (count_ == 0) {
        note(vm::decode_error::empty_command);
      } else if (!(inbuf_[0] <= 0x09 || inbuf_[0] == 0xFF)) {
        note(vm::decode_error::unknown_command);
      } else {
        const std::size_t want = (inbuf_[0] == 0xFF || inbuf_[0] == 0x08) ? 1 : 0;
        if (count_ - 1 != want) note(vm::decode_error::wrong_argument_count);
      }
    }
    const std::span<const std::uint8_t> bytes(inbuf_, kept);
    const std::size_t length = count_;
    const bool failed = has_error_;
    const vm::decode_error error = error_;
    const std::uint64_t error_at = error_at_;
    count_ = 0;
    in_escape_ = false;
    has_error_ = false;
    if (failed) {
      handler(vm::error_event{error, kind, frame_start_, error_at, length, bytes});
    } else if (kind == vm::frame_kind::message) {
      handler(vm::message_event{bytes[0], bytes.subspan(1, length - 2), frame_start_, false});
    } else {
      handler(vm::command_event{static_cast<vm::command>(bytes[0]), bytes.subspan(1), frame_start_});
    }
  }

  std::uint8_t inbuf_[Capacity] = {};
  std::size_t count_ = 0;
  std::size_t min_message_;
  bool in_escape_ = false;
  bool has_error_ = false;
  vm::decode_error error_{};
  std::uint64_t error_at_ = 0;
  std::uint64_t pos_ = 0;
  std::uint64_t frame_start_ = 0;
};

// ---------------------------------------------------------------------------------------------
// A decoded event as a plain value, so event streams from different decoders can be compared.
struct event {
  enum class type : std::uint8_t { message, command, error };
  type what = type::message;
  std::uint8_t id_or_code = 0;        // message id or command code
  vm::decode_error error{};
  vm::frame_kind kind{};
  std::uint64_t frame_offset = 0;
  std::uint64_t offset = 0;           // error offset (messages, commands: the frame offset)
  std::size_t length = 0;             // error: frame length
  std::vector<std::uint8_t> bytes;    // message body, command arguments, or error's kept bytes

  friend bool operator==(const event&, const event&) = default;
};

/// A decoder handler that records every event as a test::event.
struct event_recorder {
  std::vector<event> events;

  void operator()(const vm::message_event& m) {
    events.push_back({event::type::message, m.msg_id, {}, vm::frame_kind::message, m.offset,
                      m.offset, m.body.size(), {m.body.begin(), m.body.end()}});
  }
  void operator()(const vm::command_event& c) {
    events.push_back({event::type::command, static_cast<std::uint8_t>(c.code), {},
                      vm::frame_kind::command, c.offset, c.offset, c.arguments.size(),
                      {c.arguments.begin(), c.arguments.end()}});
  }
  void operator()(const vm::error_event& e) {
    events.push_back({event::type::error, 0, e.error, e.kind, e.frame_offset, e.offset, e.length,
                      {e.bytes.begin(), e.bytes.end()}});
  }
};

}  // namespace ipmikit::test
