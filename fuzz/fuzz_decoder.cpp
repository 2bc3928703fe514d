// fuzz/fuzz_decoder.cpp — the resumable VM decoder against the scalar reference decoder.
//
// The input is split libmctp-style into a control block and a data stream:
//
//   [0] config  bits 0-1: capacity  0: vm::decoder (302)  1: basic_decoder<8>
//                                   2: basic_decoder<32>  3: basic_decoder<5> (the minimum)
//               bits 2-3: min_message  0: default constructor  1: explicit value from byte [1]
//                                      (mod 32)  2: vm::min_response_frame  3: explicit 0 (→ 4)
//               bits 4-7: fork: when k != 0, after chunk k-1 the decoder is copied and both
//                         copies are fed the rest; they must report the same events
//   [1] min_message value (mode 1)
//   [2] n = [2] % 17 chunk sizes follow (0: the whole data in one feed() call)
//   [3 .. 3+n) chunk sizes, used in a cycle: 0 = an empty feed() call, 0xFF = the rest of the
//              data, other = that many bytes
//   rest        the data stream
//
// The data is fed in those chunks to ipmikit's decoder and byte by byte to
// test::reference_decoder of the same capacity and min_message; the event lists must be equal.
// Then independent invariants are checked: frames line up with the terminators in the data,
// every message re-encodes (reference encoder) to exactly its bytes on the wire (so checksum and
// escaping are consistent), kept bytes <= capacity, stats() match the events, zero_copy is set
// exactly for frames that arrived whole in one feed() call without an escape, and re-encoding a
// message with vm::encode_message and decoding it again gives the same message.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <ipmikit/vm/decoder.hpp>
#include <ipmikit/vm/encoder.hpp>

#include "fuzz_common.hpp"
#include "reference_codec.hpp"

namespace {

using namespace ipmikit;
using test::event;

struct chunk {
  std::size_t begin = 0;
  std::size_t end = 0;
};

/// Records events and checks zero-copy views against the chunk being fed.
struct checking_handler {
  test::event_recorder rec;
  std::vector<bool> zero_copy;  // per event; false for commands and errors
  std::span<const std::uint8_t> data;
  chunk current;

  void operator()(const vm::message_event& m) {
    FUZZ_CHECK(m.body.size() >= 2);
    FUZZ_CHECK(m.is_response() == (((m.body[0] >> 2) & 1u) != 0));
    if (m.zero_copy) {
      // A view into the caller's buffer: msg_id at offset, body after it, then checksum, A0.
      FUZZ_CHECK(m.offset >= current.begin);
      const std::size_t at = static_cast<std::size_t>(m.offset) - current.begin;
      const std::uint8_t* base = data.data() + current.begin;
      FUZZ_CHECK(m.body.data() == base + at + 1);
      FUZZ_CHECK(at + 1 + m.body.size() + 1 < current.end - current.begin);
      FUZZ_CHECK(base[at] == m.msg_id);
      FUZZ_CHECK(base[at + 1 + m.body.size() + 1] == vm::end_of_message);
    }
    rec(m);
    zero_copy.push_back(m.zero_copy);
  }
  void operator()(const vm::command_event& c) {
    rec(c);
    zero_copy.push_back(false);
  }
  void operator()(const vm::error_event& e) {
    rec(e);
    zero_copy.push_back(false);
  }
};

struct config {
  unsigned capacity_variant = 0;
  unsigned min_mode = 0;
  std::size_t min_value = 0;
  std::size_t fork_after = 0;  // 0: no fork; k: after chunk k-1
  std::vector<std::uint8_t> chunk_sizes;
};

std::vector<chunk> make_chunks(const config& cfg, std::size_t total) {
  std::vector<chunk> chunks;
  if (cfg.chunk_sizes.empty()) {
    chunks.push_back({0, total});
    return chunks;
  }
  std::size_t pos = 0;
  std::size_t k = 0;
  // Empty feeds are allowed but bounded, so an all-zero size list still terminates.
  std::size_t empties = 0;
  while (pos < total) {
    const std::uint8_t s = cfg.chunk_sizes[k++ % cfg.chunk_sizes.size()];
    std::size_t n = s == 0xFF ? total - pos : s;
    if (n == 0) {
      if (++empties > 64) n = 1;
    }
    n = std::min(n, total - pos);
    chunks.push_back({pos, pos + n});
    pos += n;
  }
  if (chunks.empty()) chunks.push_back({0, 0});
  return chunks;
}

bool stats_equal(const vm::decoder_stats& a, const vm::decoder_stats& b) {
  return a.bytes == b.bytes && a.messages == b.messages &&
         a.zero_copy_messages == b.zero_copy_messages && a.commands == b.commands &&
         a.errors == b.errors;
}

/// A decoder (ipmikit's or the reference) with the minimum message size the config chose.
template <class Decoder>
Decoder make_decoder(const config& cfg) {
  switch (cfg.min_mode) {
    case 1: return Decoder(cfg.min_value);
    case 2: return Decoder(vm::min_response_frame);
    case 3: return Decoder(0);
    default: return Decoder();
  }
}

/// Re-encodes a decoded message with ipmikit's encoder and decodes it again.
void check_reencode(const event& e) {
  std::vector<std::uint8_t> frame(vm::max_message_frame_size(e.bytes.size()));
  const auto r = vm::encode_message(frame, e.id_or_code, e.bytes);
  FUZZ_CHECK(r.ok());
  frame.resize(r.size);
  FUZZ_CHECK(frame == test::reference_message_frame(e.id_or_code, e.bytes));
  vm::decoder again;
  test::event_recorder rec;
  again.feed(frame, rec);
  FUZZ_CHECK(rec.events.size() == 1);
  const event& back = rec.events[0];
  FUZZ_CHECK(back.what == event::type::message);
  FUZZ_CHECK(back.id_or_code == e.id_or_code);
  FUZZ_CHECK(back.bytes == e.bytes);
  FUZZ_CHECK(back.frame_offset == 0);
}

template <std::size_t Capacity>
void run(const config& cfg, std::span<const std::uint8_t> data) {
  auto dec = make_decoder<vm::basic_decoder<Capacity>>(cfg);
  const std::size_t min_message = dec.min_message();
  FUZZ_CHECK(min_message >= vm::min_request_frame);

  // ipmikit, in the chosen chunks.
  const std::vector<chunk> chunks = make_chunks(cfg, data.size());
  checking_handler h;
  h.data = data;
  std::vector<vm::basic_decoder<Capacity>> forked;  // at most one
  checking_handler fh;
  fh.data = data;
  std::size_t events_at_fork = 0;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const chunk c = chunks[i];
    const auto bytes = data.subspan(c.begin, c.end - c.begin);
    h.current = c;
    dec.feed(bytes, h);
    if (!forked.empty()) {
      fh.current = c;
      forked.front().feed(bytes, fh);
    }
    if (cfg.fork_after != 0 && i + 1 == cfg.fork_after) {
      forked.push_back(dec);  // trivially copyable value: the copy continues the same stream
      events_at_fork = h.rec.events.size();
    }
  }
  FUZZ_CHECK(dec.offset() == data.size());

  // The reference, byte by byte.
  auto ref = make_decoder<test::reference_decoder<Capacity>>(cfg);
  test::event_recorder ref_rec;
  for (std::size_t i = 0; i < data.size(); ++i) ref.feed(data.subspan(i, 1), ref_rec);

  const std::vector<event>& events = h.rec.events;
  if (events != ref_rec.events) {
    fuzz::print_event_diff("ipmikit", events, "reference", ref_rec.events);
    FUZZ_CHECK(events == ref_rec.events);
  }

  // The fork saw the same tail and ended with the same statistics.
  if (!forked.empty()) {
    const std::vector<event> tail(events.begin() + static_cast<std::ptrdiff_t>(events_at_fork),
                                  events.end());
    if (fh.rec.events != tail) {
      fuzz::print_event_diff("original", tail, "copy", fh.rec.events);
      FUZZ_CHECK(fh.rec.events == tail);
    }
    FUZZ_CHECK(stats_equal(forked.front().stats(), dec.stats()));
    FUZZ_CHECK(forked.front().offset() == dec.offset());
  }

  // Frames line up with the terminators in the data.
  std::vector<std::size_t> terminators;
  for (std::size_t i = 0; i < data.size(); ++i)
    if (data[i] == vm::end_of_message || data[i] == vm::end_of_command) terminators.push_back(i);
  FUZZ_CHECK(events.size() == terminators.size());
  FUZZ_CHECK(dec.in_frame() == (terminators.empty() ? !data.empty()
                                                    : terminators.back() + 1 < data.size()));
  FUZZ_CHECK(dec.frame_offset() == (terminators.empty() ? 0 : terminators.back() + 1));

  std::uint64_t messages = 0, zero_copies = 0, commands = 0;
  std::array<std::uint64_t, vm::decode_error_count + 1> errors{};
  std::uint64_t previous_start = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const event& e = events[i];
    const std::size_t start = i == 0 ? 0 : terminators[i - 1] + 1;
    const std::size_t end = terminators[i];  // the terminator's offset
    FUZZ_CHECK(e.frame_offset == start);
    FUZZ_CHECK(e.frame_offset < data.size());
    FUZZ_CHECK(i == 0 || e.frame_offset > previous_start);
    previous_start = e.frame_offset;
    const auto wire = data.subspan(start, end - start + 1);
    const bool one_chunk = std::any_of(chunks.begin(), chunks.end(), [&](const chunk& c) {
      return c.begin <= start && end < c.end;
    });
    const bool has_escape =
        std::find(wire.begin(), wire.end(), vm::escape) != wire.end();

    switch (e.what) {
      case event::type::message: {
        ++messages;
        FUZZ_CHECK(data[end] == vm::end_of_message);
        FUZZ_CHECK(e.bytes.size() >= 2);
        FUZZ_CHECK(e.bytes.size() + vm::message_overhead <= Capacity);
        FUZZ_CHECK(e.bytes.size() + vm::message_overhead >= min_message);
        // Checksum and escaping: the message re-encodes to exactly its bytes on the wire.
        const auto expect = test::reference_message_frame(e.id_or_code, e.bytes);
        FUZZ_CHECK(std::equal(expect.begin(), expect.end(), wire.begin(), wire.end()));
        // Zero-copy exactly when the frame arrived whole in one feed() and needed no unescaping.
        FUZZ_CHECK(h.zero_copy[i] == (one_chunk && !has_escape));
        if (h.zero_copy[i]) ++zero_copies;
        check_reencode(e);
        break;
      }
      case event::type::command: {
        ++commands;
        FUZZ_CHECK(data[end] == vm::end_of_command);
        FUZZ_CHECK(vm::is_known_command(e.id_or_code));
        FUZZ_CHECK(e.bytes.size() == vm::argument_count(static_cast<vm::command>(e.id_or_code)));
        const auto expect = test::reference_command_frame(e.id_or_code, e.bytes);
        FUZZ_CHECK(std::equal(expect.begin(), expect.end(), wire.begin(), wire.end()));
        break;
      }
      case event::type::error: {
        const auto code = static_cast<std::size_t>(e.error);
        FUZZ_CHECK(code >= 1 && code <= vm::decode_error_count);
        ++errors[code];
        FUZZ_CHECK((e.kind == vm::frame_kind::message) == (data[end] == vm::end_of_message));
        FUZZ_CHECK(e.offset >= e.frame_offset && e.offset <= end);
        FUZZ_CHECK(e.bytes.size() == std::min(e.length, Capacity));
        FUZZ_CHECK(e.bytes.size() <= Capacity);
        // The unescaped length is bounded by the wire bytes before the terminator.
        FUZZ_CHECK(e.length <= end - start);
        switch (e.error) {
          case vm::decode_error::message_too_short:
            FUZZ_CHECK(e.kind == vm::frame_kind::message && e.length < min_message);
            FUZZ_CHECK(e.offset == end);
            break;
          case vm::decode_error::checksum_mismatch: {
            FUZZ_CHECK(e.kind == vm::frame_kind::message && e.length >= min_message);
            FUZZ_CHECK(e.length <= Capacity && e.offset == end);
            FUZZ_CHECK(test::reference_checksum(e.bytes) != 0);
            break;
          }
          case vm::decode_error::frame_too_long:
            FUZZ_CHECK(e.length > Capacity && e.bytes.size() == Capacity);
            break;
          case vm::decode_error::escape_before_terminator:
            FUZZ_CHECK(e.offset == end && end > start && data[end - 1] == vm::escape);
            break;
          case vm::decode_error::invalid_escape:
            FUZZ_CHECK(e.offset > start && e.offset < end && data[e.offset - 1] == vm::escape);
            FUZZ_CHECK(data[e.offset] != 0xB0 && data[e.offset] != 0xB1 && data[e.offset] != 0xBA);
            break;
          case vm::decode_error::empty_command:
            FUZZ_CHECK(e.kind == vm::frame_kind::command && e.length == 0 && start == end);
            break;
          case vm::decode_error::unknown_command:
            FUZZ_CHECK(e.kind == vm::frame_kind::command && e.length >= 1);
            FUZZ_CHECK(!vm::is_known_command(e.bytes[0]));
            break;
          case vm::decode_error::wrong_argument_count:
            FUZZ_CHECK(e.kind == vm::frame_kind::command && e.length >= 1);
            FUZZ_CHECK(vm::is_known_command(e.bytes[0]));
            FUZZ_CHECK(e.length - 1 != vm::argument_count(static_cast<vm::command>(e.bytes[0])));
            break;
        }
        break;
      }
    }
  }

  const vm::decoder_stats& s = dec.stats();
  FUZZ_CHECK(s.bytes == data.size());
  FUZZ_CHECK(s.messages == messages);
  FUZZ_CHECK(s.zero_copy_messages == zero_copies);
  FUZZ_CHECK(s.commands == commands);
  for (const vm::decode_error e : vm::all_decode_errors) {
    const auto k = static_cast<std::size_t>(e);
    FUZZ_CHECK(s.errors[k] == errors[k]);
    FUZZ_CHECK(s.count(e) == errors[k]);
  }
  FUZZ_CHECK(s.errors[0] == 0);
  FUZZ_CHECK(s.total_errors() + s.messages + s.commands == events.size());
}

}  // namespace

namespace {

int fuzz_one(const std::uint8_t* bytes, std::size_t size) {
  fuzz::reader in(std::span<const std::uint8_t>(bytes, size));
  config cfg;
  const std::uint8_t c0 = in.u8();
  cfg.capacity_variant = c0 & 3u;
  cfg.min_mode = (c0 >> 2) & 3u;
  cfg.fork_after = static_cast<std::size_t>(c0 >> 4);
  cfg.min_value = static_cast<std::size_t>(in.u8() % 32u);
  const std::size_t n = in.u8() % 17u;
  const auto sizes = in.take(n);
  cfg.chunk_sizes.assign(sizes.begin(), sizes.end());
  const auto data = in.rest();

  switch (cfg.capacity_variant) {
    case 0: run<vm::decoder::capacity>(cfg, data); break;
    case 1: run<8>(cfg, data); break;
    case 2: run<32>(cfg, data); break;
    default: run<5>(cfg, data); break;
  }
  return 0;
}

}  // namespace

// Every input runs once per available scanning kernel (scalar, SSE2, AVX2), each against the
// same oracle: the executions libFuzzer reports are executions of every path.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  ipmikit::fuzz::for_each_kernel([&] { fuzz_one(bytes, size); });
  return 0;
}
