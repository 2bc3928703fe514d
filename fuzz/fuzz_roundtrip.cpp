// fuzz/fuzz_roundtrip.cpp — encode a list of frames, compare with the reference encoder, decode
// the concatenation, and require exactly the frames back.
//
// Input layout:
//   [0] [1]   split point (little endian) for the two-part decode, taken mod (stream size + 1)
//   records until the input ends (at most 16 frames), each starting with a type byte t:
//     t bit 0 = 0: a message
//         [msg_id] [L] [buf]  body length = 2 + ((L | (t bit 1) << 8) % 299), i.e. 2..300
//         t bits 2-3 choose the body bytes: 0 = taken from the input (zero-padded at its end),
//         1 = one byte [b] repeated, 2 = A0 A1 AA cycled from phase [p], 3 = a mix of specials
//         and plain bytes driven by a seed byte [s]
//     t bit 0 = 1: a VM command
//         t bit 1 = 0: a known command, code = [c] (mod 10 if [c] is unknown), then its argument
//                      bytes (vm::argument_count)
//         t bit 1 = 1: an unknown code, 0x0A + [c] % 0xF5, with (t bits 2-3) argument bytes:
//                      encode_command frames it as given; the decoder reports unknown_command
//         [buf]
//   [buf] picks one more output buffer size in 0..worst case.
//
// Every frame is encoded into buffers of the exact size, the worst-case size, one byte too few,
// and the chosen size, each surrounded by guard bytes: success must give the reference
// encoder's bytes; a short buffer must give buffer_too_small with `required` equal to the exact
// size and leave the buffer and the guards untouched. Invalid calls (body too short / too long,
// wrong argument count) must fail and write nothing. The exact frames are concatenated and
// decoded whole, split in two at the chosen point, byte by byte (streams up to 256 B), and by
// the reference decoder.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include <ipmikit/vm/decoder.hpp>
#include <ipmikit/vm/encoder.hpp>

#include "fuzz_common.hpp"
#include "reference_codec.hpp"

namespace {

using namespace ipmikit;
using test::event;

constexpr std::size_t guard = 32;
constexpr std::uint8_t fill_byte = 0x5C;  // not special, so it cannot pass for an escape
// The largest buffer tested: a 300-byte body's worst case (605) plus room for a 310-byte one.
constexpr std::size_t max_buffer = 2 * (vm::max_message_size + 10 + vm::message_overhead) + 1;

// All fill_byte: buffers are compared with memcmp, which is far cheaper under the fuzzer's
// comparison tracing than a byte loop.
alignas(16) const std::array<std::uint8_t, max_buffer + 2 * guard> fill_pattern = [] {
  std::array<std::uint8_t, max_buffer + 2 * guard> a{};
  a.fill(fill_byte);
  return a;
}();

/// A buffer of `size` bytes between two guard areas, all filled with fill_byte. One static
/// array is reused (no allocation per call); ASan's global redzones still catch a write past
/// the whole array, the guard comparison catches one into the guards.
struct guarded {
  static inline std::array<std::uint8_t, max_buffer + 2 * guard> mem{};
  std::size_t size;

  explicit guarded(std::size_t n) : size(n) {
    FUZZ_CHECK(n <= max_buffer);
    std::memcpy(mem.data(), fill_pattern.data(), n + 2 * guard);
  }
  std::span<std::uint8_t> span() { return {mem.data() + guard, size}; }
  [[nodiscard]] bool guards_intact() const {
    return std::memcmp(mem.data(), fill_pattern.data(), guard) == 0 &&
           std::memcmp(mem.data() + guard + size, fill_pattern.data(), guard) == 0;
  }
  [[nodiscard]] bool untouched() const {
    return std::memcmp(mem.data(), fill_pattern.data(), size + 2 * guard) == 0;
  }
  [[nodiscard]] bool holds(std::span<const std::uint8_t> expect) const {
    return expect.size() <= size &&
           (expect.empty() || std::memcmp(mem.data() + guard, expect.data(), expect.size()) == 0);
  }
};

/// Checks one encode call's result against the reference frame.
template <class Encode>
void check_encode(std::size_t buffer_size, const std::vector<std::uint8_t>& expect, Encode&& encode) {
  guarded buf(buffer_size);
  const vm::encode_result r = encode(buf.span());
  FUZZ_CHECK(buf.guards_intact());
  if (buffer_size >= expect.size()) {
    FUZZ_CHECK(r.ok());
    FUZZ_CHECK(static_cast<bool>(r));
    FUZZ_CHECK(r.size == expect.size());
    FUZZ_CHECK(buf.holds(expect));
  } else {
    FUZZ_CHECK(!r.ok());
    FUZZ_CHECK(r.error == vm::encode_error::buffer_too_small);
    FUZZ_CHECK(r.required == expect.size());
    FUZZ_CHECK(r.size == 0);
    FUZZ_CHECK(buf.untouched());
  }
}

/// Checks that an invalid encode call fails with `error` and writes nothing.
template <class Encode>
void check_rejected(vm::encode_error error, std::size_t buffer_size, Encode&& encode) {
  guarded buf(buffer_size);
  const vm::encode_result r = encode(buf.span());
  FUZZ_CHECK(r.error == error);
  FUZZ_CHECK(r.size == 0);
  FUZZ_CHECK(buf.untouched());
}

struct frame {
  bool is_message = true;
  std::uint8_t id_or_code = 0;
  std::vector<std::uint8_t> bytes;  // body or arguments
  std::vector<std::uint8_t> wire;   // the reference encoding
  bool unknown = false;             // a command outside vm::command
};

std::vector<std::uint8_t> make_body(fuzz::reader& in, std::uint8_t t, std::size_t len) {
  std::vector<std::uint8_t> body(len);
  switch ((t >> 2) & 3u) {
    case 0: {
      const auto got = in.take(len);
      std::copy(got.begin(), got.end(), body.begin());
      break;
    }
    case 1: std::fill(body.begin(), body.end(), in.u8()); break;
    case 2: {
      static constexpr std::uint8_t specials[3] = {0xA0, 0xA1, 0xAA};
      const std::size_t phase = in.u8() % 3u;
      for (std::size_t i = 0; i < len; ++i) body[i] = specials[(i + phase) % 3];
      break;
    }
    default: {
      std::uint32_t s = in.u8() * 2654435761u + 1u;
      for (std::size_t i = 0; i < len; ++i) {
        s = s * 1103515245u + 12345u;
        const auto r = static_cast<std::uint8_t>(s >> 24);
        static constexpr std::uint8_t pick[4] = {0xA0, 0xA1, 0xAA, 0x00};
        body[i] = (r & 1u) ? pick[(r >> 1) & 3u] : static_cast<std::uint8_t>(r ^ (s >> 16));
      }
      break;
    }
  }
  return body;
}

void check_message(frame& f, std::uint8_t buf_choice) {
  const std::span<const std::uint8_t> body(f.bytes);
  const std::uint8_t id = f.id_or_code;
  f.wire = test::reference_message_frame(id, body);
  FUZZ_CHECK(!f.wire.empty());
  FUZZ_CHECK(vm::message_frame_size(id, body) == f.wire.size());
  const std::size_t worst = vm::max_message_frame_size(body.size());
  FUZZ_CHECK(f.wire.size() <= worst);

  const std::size_t chosen = buf_choice * (worst + 1) / 256;
  for (const std::size_t n : {f.wire.size(), worst, f.wire.size() - 1, chosen}) {
    check_encode(n, f.wire, [&](std::span<std::uint8_t> out) { return vm::encode_message(out, id, body); });
  }
  // The field-wise overload builds the same body: once fast path, once checked path.
  for (const std::size_t n : {worst, chosen}) {
    check_encode(n, f.wire, [&](std::span<std::uint8_t> out) {
      return vm::encode_message(out, id, body[0], body[1], body.subspan(2));
    });
  }
  // Too short a body is rejected whatever the buffer.
  for (std::size_t k = 0; k < 2; ++k) {
    check_rejected(vm::encode_error::body_too_short, worst, [&](std::span<std::uint8_t> out) {
      return vm::encode_message(out, id, body.first(k));
    });
  }
}

void check_command(frame& f, std::uint8_t buf_choice) {
  const std::span<const std::uint8_t> args(f.bytes);
  const auto code = static_cast<vm::command>(f.id_or_code);
  f.wire = test::reference_command_frame(f.id_or_code, args);
  FUZZ_CHECK(!f.wire.empty());
  const std::size_t worst = vm::max_command_frame_size(args.size());
  FUZZ_CHECK(f.wire.size() <= worst);

  const std::size_t chosen = buf_choice * (worst + 1) / 256;
  for (const std::size_t n : {f.wire.size(), worst, f.wire.size() - 1, chosen}) {
    check_encode(n, f.wire, [&](std::span<std::uint8_t> out) { return vm::encode_command(out, code, args); });
    if (args.empty()) {
      check_encode(n, f.wire, [&](std::span<std::uint8_t> out) { return vm::encode_command(out, code); });
    } else if (args.size() == 1) {
      check_encode(n, f.wire,
                   [&](std::span<std::uint8_t> out) { return vm::encode_command(out, code, args[0]); });
    }
  }
  if (!f.unknown) {
    // The wrong number of arguments is rejected and writes nothing.
    const std::uint8_t extra[3] = {args.empty() ? std::uint8_t{0xA0} : args[0], 0xAA, 0x01};
    for (std::size_t k = 0; k <= 3; ++k) {
      if (k == args.size()) continue;
      check_rejected(vm::encode_error::wrong_argument_count, 16, [&](std::span<std::uint8_t> out) {
        return vm::encode_command(out, code, std::span<const std::uint8_t>(extra, k));
      });
    }
    if (args.size() == 1) {
      check_rejected(vm::encode_error::wrong_argument_count, 16,
                     [&](std::span<std::uint8_t> out) { return vm::encode_command(out, code); });
    } else {
      check_rejected(vm::encode_error::wrong_argument_count, 16,
                     [&](std::span<std::uint8_t> out) { return vm::encode_command(out, code, 0x42); });
    }
  }
}

/// The body_too_long checks, once per input: 301..310 byte bodies.
void check_too_long(std::uint8_t id, std::uint8_t seed) {
  std::array<std::uint8_t, vm::max_message_size + 10> big{};
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(seed + i * 7);
  const std::size_t len = vm::max_message_size + 1 + seed % 10u;
  const std::span<const std::uint8_t> body(big.data(), len);
  check_rejected(vm::encode_error::body_too_long, vm::max_message_frame_size(len),
                 [&](std::span<std::uint8_t> out) { return vm::encode_message(out, id, body); });
  check_rejected(vm::encode_error::body_too_long, vm::max_message_frame_size(len),
                 [&](std::span<std::uint8_t> out) {
                   return vm::encode_message(out, id, body[0], body[1], body.subspan(2));
                 });
}

template <class Feed>
std::vector<event> decode(Feed&& feed) {
  vm::decoder dec;
  test::event_recorder rec;
  feed(dec, rec);
  return std::move(rec.events);
}

}  // namespace

namespace {

int fuzz_one(const std::uint8_t* bytes, std::size_t size) {
  fuzz::reader in(std::span<const std::uint8_t>(bytes, size));
  const std::size_t split_choice = in.u8() | static_cast<std::size_t>(in.u8()) << 8;

  std::vector<frame> frames;
  while (!in.empty() && frames.size() < 16) {
    const std::uint8_t t = in.u8();
    frame f;
    if ((t & 1u) == 0) {
      f.is_message = true;
      f.id_or_code = in.u8();
      const std::size_t raw = in.u8() | static_cast<std::size_t>((t >> 1) & 1u) << 8;
      const std::size_t len = 2 + raw % 299u;
      f.bytes = make_body(in, t, len);
      check_message(f, in.u8());
    } else {
      f.is_message = false;
      std::uint8_t c = in.u8();
      if ((t & 2u) == 0) {
        if (!vm::is_known_command(c)) c = static_cast<std::uint8_t>(c % 10u);
        f.id_or_code = c;
        const std::size_t n = vm::argument_count(static_cast<vm::command>(c));
        for (std::size_t i = 0; i < n; ++i) f.bytes.push_back(in.u8());
      } else {
        f.unknown = true;
        f.id_or_code = static_cast<std::uint8_t>(0x0A + c % 0xF5u);
        FUZZ_CHECK(!vm::is_known_command(f.id_or_code));
        const std::size_t n = (t >> 2) & 3u;
        for (std::size_t i = 0; i < n; ++i) f.bytes.push_back(in.u8());
      }
      check_command(f, in.u8());
    }
    frames.push_back(std::move(f));
  }
  check_too_long(static_cast<std::uint8_t>(split_choice), static_cast<std::uint8_t>(split_choice >> 8));

  // The stream and the events it must decode to.
  std::vector<std::uint8_t> stream;
  std::vector<event> expect;
  for (const frame& f : frames) {
    const std::uint64_t at = stream.size();
    stream.insert(stream.end(), f.wire.begin(), f.wire.end());
    const std::uint64_t terminator = stream.size() - 1;
    if (f.is_message) {
      expect.push_back({event::type::message, f.id_or_code, {}, vm::frame_kind::message, at, at,
                        f.bytes.size(), f.bytes});
    } else if (!f.unknown) {
      expect.push_back({event::type::command, f.id_or_code, {}, vm::frame_kind::command, at, at,
                        f.bytes.size(), f.bytes});
    } else {
      std::vector<std::uint8_t> kept{f.id_or_code};
      kept.insert(kept.end(), f.bytes.begin(), f.bytes.end());
      expect.push_back({event::type::error, 0, vm::decode_error::unknown_command,
                        vm::frame_kind::command, at, terminator, kept.size(), kept});
    }
  }
  const std::span<const std::uint8_t> all(stream);
  const std::size_t split = split_choice % (stream.size() + 1);

  const auto check = [&](const char* how, const std::vector<event>& got) {
    if (got != expect) {
      fuzz::print_event_diff("expected", expect, how, got);
      FUZZ_CHECK(got == expect);
    }
  };
  check("whole", decode([&](vm::decoder& d, test::event_recorder& r) { d.feed(all, r); }));
  check("split", decode([&](vm::decoder& d, test::event_recorder& r) {
          d.feed(all.first(split), r);
          d.feed(all.subspan(split), r);
        }));
  if (all.size() <= 256) {  // fuzz_decoder covers every chunking; keep the long inputs fast
    check("byte by byte", decode([&](vm::decoder& d, test::event_recorder& r) {
            for (std::size_t i = 0; i < all.size(); ++i) d.feed(all.subspan(i, 1), r);
          }));
  }
  {
    // The oracle agrees too (a failure here is a bug in tests/reference_codec.hpp).
    test::reference_decoder<> ref;
    test::event_recorder rec;
    ref.feed(all, rec);
    check("reference", rec.events);
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
