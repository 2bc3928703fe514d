// tests/test_support.hpp — shared helpers of the doctest suite: hex literals, printing of
// test::event lists, the "runners" that feed a stream whole / byte by byte / split at every
// point, random stream generators for the property tests, and check_at_compile_time.
//
// Nothing here decodes or encodes: the only reference implementation is reference_codec.hpp.
#pragma once

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <ipmikit/ipmikit.hpp>

#include "reference_codec.hpp"

namespace ipmikit::test {

using bytes = std::vector<std::uint8_t>;

// ---------------------------------------------------------------------------------------------
// Literals

/// Parses "FF 01 A1" (whitespace between bytes is optional) into bytes. Any other character
/// fails the current test.
inline bytes hex(std::string_view text) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  bytes out;
  int high = -1;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\t') {
      REQUIRE_MESSAGE(high < 0, "odd hex digit in: ", std::string(text));
      continue;
    }
    const int v = nibble(c);
    REQUIRE_MESSAGE(v >= 0, "bad hex digit in: ", std::string(text));
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(high * 16 + v));
      high = -1;
    }
  }
  REQUIRE_MESSAGE(high < 0, "odd number of hex digits in: ", std::string(text));
  return out;
}

inline bytes cat(std::initializer_list<bytes> parts) {
  bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline std::span<const std::uint8_t> view(const bytes& b) { return {b.data(), b.size()}; }

inline std::string to_hex(std::span<const std::uint8_t> b) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string s;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i) s += ' ';
    s += digits[b[i] >> 4];
    s += digits[b[i] & 15];
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Expected events, built by hand in the tests

inline event message(std::uint8_t msg_id, std::uint64_t frame_offset, bytes body) {
  const std::size_t n = body.size();
  return {event::type::message, msg_id, {}, vm::frame_kind::message, frame_offset, frame_offset, n,
          std::move(body)};
}

inline event command(vm::command code, std::uint64_t frame_offset, bytes arguments = {}) {
  const std::size_t n = arguments.size();
  return {event::type::command, static_cast<std::uint8_t>(code), {}, vm::frame_kind::command,
          frame_offset, frame_offset, n, std::move(arguments)};
}

inline event error(vm::decode_error e, vm::frame_kind kind, std::uint64_t frame_offset,
                   std::uint64_t offset, std::size_t length, bytes kept) {
  return {event::type::error, 0, e, kind, frame_offset, offset, length, std::move(kept)};
}

// Printing, so that doctest shows the event lists of a failed comparison (found by ADL).
inline std::ostream& operator<<(std::ostream& os, const event& e) {
  switch (e.what) {
    case event::type::message:
      os << "message{id=" << unsigned{e.id_or_code} << " @" << e.frame_offset << " body=["
         << to_hex(e.bytes) << "]}";
      break;
    case event::type::command:
      os << "command{" << vm::name(static_cast<vm::command>(e.id_or_code)) << " @"
         << e.frame_offset << " args=[" << to_hex(e.bytes) << "]}";
      break;
    case event::type::error:
      os << "error{" << vm::name(e.error)
         << (e.kind == vm::frame_kind::message ? " msg" : " cmd") << " frame@" << e.frame_offset
         << " at@" << e.offset << " len=" << e.length << " kept=[" << to_hex(e.bytes) << "]}";
      break;
  }
  return os;
}

inline std::ostream& operator<<(std::ostream& os, const std::vector<event>& events) {
  os << "[";
  for (std::size_t i = 0; i < events.size(); ++i) os << (i ? ",\n " : "") << events[i];
  return os << "]";
}

// ---------------------------------------------------------------------------------------------
// Runners (picohttpparser style): the same stream fed whole, byte by byte, or split in two at
// every point must give the same events.

enum class chunking { whole, byte_by_byte, every_split };

inline const char* chunking_name(chunking c) {
  switch (c) {
    case chunking::whole: return "whole";
    case chunking::byte_by_byte: return "byte by byte";
    case chunking::every_split: return "split in two at every point";
  }
  return "?";
}

/// Enters one of three doctest subcases and says which; the test case body after the call runs
/// once per runner.
inline chunking pick_chunking() {
  chunking how = chunking::whole;
  SUBCASE("fed whole") { how = chunking::whole; }
  SUBCASE("fed byte by byte") { how = chunking::byte_by_byte; }
  SUBCASE("split in two at every point") { how = chunking::every_split; }
  return how;
}

/// Feeds `stream` to copies of `fresh` the way `how` says, with a fresh `Handler` each run, and
/// calls `check(const Decoder& after, const Handler& handler)` after every run.
template <class Handler = event_recorder, class Decoder, class Check>
void run_decoder(chunking how, std::span<const std::uint8_t> stream, const Decoder& fresh,
                 Check&& check) {
  INFO("runner: ", chunking_name(how), "; stream: ", to_hex(stream));
  switch (how) {
    case chunking::whole: {
      Decoder d = fresh;
      Handler h{};
      d.feed(stream, h);
      check(static_cast<const Decoder&>(d), static_cast<const Handler&>(h));
      break;
    }
    case chunking::byte_by_byte: {
      Decoder d = fresh;
      Handler h{};
      for (std::size_t i = 0; i < stream.size(); ++i) d.feed(stream.subspan(i, 1), h);
      check(static_cast<const Decoder&>(d), static_cast<const Handler&>(h));
      break;
    }
    case chunking::every_split:
      for (std::size_t at = 0; at <= stream.size(); ++at) {
        INFO("split at ", at);
        Decoder d = fresh;
        Handler h{};
        d.feed(stream.first(at), h);
        d.feed(stream.subspan(at), h);
        check(static_cast<const Decoder&>(d), static_cast<const Handler&>(h));
      }
      break;
  }
}

/// Events of the reference decoder (the oracle) for a whole stream.
template <std::size_t Capacity = vm::max_message_size + vm::message_overhead>
std::vector<event> reference_events(std::span<const std::uint8_t> stream,
                                    std::size_t min_message = vm::min_request_frame) {
  reference_decoder<Capacity> ref(min_message);
  event_recorder rec;
  ref.feed(stream, rec);
  return rec.events;
}

/// Events of ipmikit's decoder for a stream cut into the given chunk sizes (the rest, if any,
/// is fed as a last chunk).
template <class Decoder>
std::vector<event> decode_chunked(Decoder d, std::span<const std::uint8_t> stream,
                                  std::span<const std::size_t> chunk_sizes) {
  event_recorder rec;
  std::size_t at = 0;
  for (std::size_t n : chunk_sizes) {
    if (at >= stream.size()) break;
    const std::size_t take = n < stream.size() - at ? n : stream.size() - at;
    d.feed(stream.subspan(at, take), rec);
    at += take;
  }
  d.feed(stream.subspan(at), rec);
  return rec.events;
}

// ---------------------------------------------------------------------------------------------
// Random data (fixed seeds; std::mt19937 is fully specified, the distributions are libstdc++'s).
// Every random draw is its own statement: the order in which function arguments are evaluated
// differs between compilers, and the streams should be the same with gcc and clang.

class random_source {
 public:
  explicit random_source(std::uint32_t seed) : rng_(seed) {}

  std::size_t below(std::size_t n) {  // [0, n)
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }
  std::size_t between(std::size_t lo, std::size_t hi) {  // [lo, hi]
    return std::uniform_int_distribution<std::size_t>(lo, hi)(rng_);
  }
  std::uint8_t byte() { return static_cast<std::uint8_t>(below(256)); }
  bool chance(std::size_t percent) { return below(100) < percent; }

  /// A byte that is one of the protocol's interesting values about half the time.
  std::uint8_t special_dense_byte() {
    static constexpr std::uint8_t interesting[] = {0xA0, 0xA1, 0xAA, 0xB0, 0xB1, 0xBA,
                                                   0x00, 0x01, 0x08, 0xFF};
    return chance(50) ? interesting[below(std::size(interesting))] : byte();
  }
  /// A uniformly random byte, or a special-dense one.
  std::uint8_t payload_byte(bool special_dense) {
    return special_dense ? special_dense_byte() : byte();
  }

  bytes random_bytes(std::size_t n) {
    bytes b(n);
    for (auto& x : b) x = byte();
    return b;
  }
  bytes special_dense_bytes(std::size_t n) {
    bytes b(n);
    for (auto& x : b) x = special_dense_byte();
    return b;
  }
  /// A message body (netfn/LUN, cmd, data) of `n` >= 2 bytes.
  bytes body(std::size_t n, bool special_dense) {
    bytes b(n);
    for (auto& x : b) x = payload_byte(special_dense);
    return b;
  }

  /// One piece of a test stream: a valid frame (made with the reference encoder), garbage, or a
  /// deliberately malformed frame.
  bytes piece(std::size_t max_body) {
    switch (below(12)) {
      case 0:
      case 1:
      case 2: {  // valid message
        const std::size_t n = between(2, max_body);
        const bytes b = body(n, chance(50));
        const std::uint8_t id = payload_byte(chance(30));
        return reference_message_frame(id, view(b));
      }
      case 3: {  // valid or invalid command, known or unknown code
        const std::uint8_t code = chance(70) ? static_cast<std::uint8_t>(below(11) == 10 ? 0xFF : below(10))
                                             : special_dense_byte();
        const std::size_t n = below(3);
        const bytes args = body(n, chance(50));
        return reference_command_frame(code, view(args));
      }
      case 4:  // plain garbage
        return random_bytes(below(40));
      case 5:  // special-dense garbage
        return special_dense_bytes(below(40));
      case 6: {  // message with a wrong checksum
        const std::size_t n = between(2, max_body);
        const bytes b = body(n, chance(50));
        bytes f = reference_message_frame(byte(), view(b));
        f[0] = static_cast<std::uint8_t>(f[0] == 0x42 ? 0x43 : 0x42);  // msg_id changes the sum
        return f;
      }
      case 7: {  // invalid escape inside a frame
        bytes f = random_bytes(below(6));
        std::uint8_t after = byte();
        while (after == 0xB0 || after == 0xB1 || after == 0xBA || after == 0xA0 || after == 0xA1)
          after = byte();
        f.push_back(0xAA);
        f.push_back(after);
        const bytes tail = body(below(6), true);
        f.insert(f.end(), tail.begin(), tail.end());
        f.push_back(chance(50) ? 0xA0 : 0xA1);
        return f;
      }
      case 8: {  // escape directly before a terminator
        bytes f = body(below(6), false);
        f.push_back(0xAA);
        f.push_back(chance(50) ? 0xA0 : 0xA1);
        return f;
      }
      case 9: {  // an over-long frame
        const std::size_t n = between(max_body, max_body + 40);
        const bytes b = body(n, chance(30));
        return reference_message_frame(byte(), view(b));
      }
      case 10: {  // lone terminators
        const std::size_t n = between(1, 3);
        return bytes(n, chance(50) ? 0xA0 : 0xA1);
      }
      default: {  // short message frames (too short for some decoders)
        const std::size_t n = between(2, 4);
        const bytes b = body(n, chance(50));
        return reference_message_frame(byte(), view(b));
      }
    }
  }

  /// A stream of pieces, `max_size` bytes or a little more.
  bytes mixed_stream(std::size_t max_size, std::size_t max_body) {
    bytes s;
    while (s.size() < max_size) {
      const bytes p = piece(max_body);
      s.insert(s.end(), p.begin(), p.end());
    }
    return s;
  }

  std::vector<std::size_t> chunk_sizes(std::size_t total, std::size_t max_chunk) {
    std::vector<std::size_t> sizes;
    std::size_t sum = 0;
    while (sum < total) {  // every pass adds at least one byte
      if (chance(5)) sizes.push_back(0);  // zero-length feeds are legal too
      const std::size_t n = between(1, max_chunk);
      sizes.push_back(n);
      sum += n;
    }
    return sizes;
  }

  std::mt19937& engine() { return rng_; }

 private:
  std::mt19937 rng_;
};

/// `f()` (a lambda without captures) holds in constant evaluation, and again at run time,
/// where coverage and the sanitizers see it.
template <class F>
void check_at_compile_time(F) {
  static_assert(F{}());
  CHECK(F{}());
}

}  // namespace ipmikit::test
