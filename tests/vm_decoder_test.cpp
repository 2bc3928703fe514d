// tests/vm_decoder_test.cpp — ipmikit/vm/decoder.hpp: one test case per malformed-input rule of
// the decoder.hpp header comment, golden streams from the reference documents, zero-copy,
// reset(), offsets, constexpr decoding and small capacities.
//
// Every stream runs three ways (doctest subcases): fed whole, byte by byte, and split in two at
// every point; all must give the hand-written event list. The reference decoder must agree too.
#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <set>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include <ipmikit/vm/decoder.hpp>
#include <ipmikit/vm/encoder.hpp>

#include "test_support.hpp"

using namespace ipmikit;
using test::bytes;
using test::cat;
using test::chunking;
using test::event;
using test::hex;
using test::view;
using vm::command;
using vm::decode_error;

namespace {

constexpr auto msg = vm::frame_kind::message;
constexpr auto cmd_frame = vm::frame_kind::command;

static_assert(std::is_trivially_copyable_v<vm::decoder>);
static_assert(std::is_trivially_copyable_v<vm::basic_decoder<8>>);
static_assert(vm::decoder::capacity == 302);  // QEMU's inbuf: MAX_IPMI_MSG_SIZE + 2
static_assert(vm::decoder_handler<test::event_recorder>);
static_assert(!vm::decoder_handler<int>);

/// Records events like test::event_recorder, plus what event_recorder leaves out.
struct probe {
  test::event_recorder rec;
  std::vector<std::optional<vm::message_header>> headers;  // one per error event
  std::vector<bool> zero_copy;                             // one per message event
  std::vector<const std::uint8_t*> body_data;              // one per message event

  void operator()(const vm::message_event& m) {
    rec(m);
    zero_copy.push_back(m.zero_copy);
    body_data.push_back(m.body.data());
  }
  void operator()(const vm::command_event& c) { rec(c); }
  void operator()(const vm::error_event& e) {
    rec(e);
    headers.push_back(e.header());
  }
};

/// `d` fed `chunks` in turn, reporting to a fresh probe; REQUIREs `messages` message events.
probe fed(vm::decoder& d, std::initializer_list<std::span<const std::uint8_t>> chunks, std::size_t messages) {
  probe p;
  for (const auto chunk : chunks) d.feed(chunk, p);
  REQUIRE(p.zero_copy.size() == messages);
  return p;
}

/// A frame every decoder here must accept (5 bytes: also a valid response for
/// min_response_frame, and it fits a capacity of 5).
bytes good_frame() { return hex("00 1C 01 00 E3 A0"); }

/// stats() must agree with the events reported.
template <class Decoder>
void check_stats(const Decoder& d, const std::vector<event>& events, std::size_t stream_size) {
  std::uint64_t messages = 0, commands = 0;
  std::array<std::uint64_t, vm::decode_error_count + 1> errors{};
  for (const auto& e : events) {
    if (e.what == event::type::message) ++messages;
    if (e.what == event::type::command) ++commands;
    if (e.what == event::type::error) ++errors[static_cast<std::size_t>(e.error)];
  }
  CHECK(d.stats().bytes == stream_size);
  CHECK(d.stats().messages == messages);
  CHECK(d.stats().commands == commands);
  CHECK(d.stats().zero_copy_messages <= messages);
  std::uint64_t total = 0;
  for (std::size_t k = 1; k <= vm::decode_error_count; ++k) {
    CAPTURE(vm::name(static_cast<decode_error>(k)));
    CHECK(d.stats().count(static_cast<decode_error>(k)) == errors[k]);
    total += errors[k];
  }
  CHECK(d.stats().total_errors() == total);
}

/// The decoder is usable after the stream: a good frame (`good_frame`, lengthened with zero
/// data bytes to the decoder's minimum) decodes, at the next offset.
template <class Decoder>
void check_usable(const Decoder& d, std::size_t stream_size) {
  CHECK(d.offset() == stream_size);
  CHECK_FALSE(d.in_frame());
  bytes body = hex("1C 01 00");
  while (body.size() + 2 < d.min_message()) body.push_back(0x00);
  const bytes frame = body.size() == 3 ? good_frame() : test::reference_message_frame(0x00, view(body));
  Decoder after = d;
  test::event_recorder r;
  after.feed(view(frame), r);
  const std::vector<event> expected{test::message(0x00, stream_size, body)};
  CHECK(r.events == expected);
}

using extra_check = std::function<void(const probe&)>;

/// Runs `stream` with every runner (one doctest subcase each, test::pick_chunking), requires the
/// hand-written events, checks stats and usability, and checks that the reference decoder
/// agrees with the hand-written events.
template <class Decoder = vm::decoder>
void expect_events(const bytes& stream, const std::vector<event>& expected, const Decoder& fresh = Decoder{},
                   const extra_check& extra = {}) {
  const chunking how = test::pick_chunking();
  test::run_decoder<probe>(how, view(stream), fresh, [&](const Decoder& d, const probe& p) {
    CHECK(p.rec.events == expected);
    check_stats(d, p.rec.events, stream.size());
    check_usable(d, stream.size());
    if (extra) extra(p);
  });
  CHECK(test::reference_events<Decoder::capacity>(view(stream), fresh.min_message()) == expected);
}

bytes repeat(std::uint8_t b, std::size_t n) { return bytes(n, b); }

}  // namespace

TEST_SUITE("vm") {

// ---- Malformed input, one rule per test case ------------------------------------------------

TEST_CASE("a message frame under four bytes is message_too_short, a lone A0 included") {
  const bytes stream = hex("A0  01 A0  01 02 A0  00 18 E8 A0  00 18 01 E7 A0");
  expect_events(stream,
                {test::error(decode_error::message_too_short, msg, 0, 0, 0, {}),
                 test::error(decode_error::message_too_short, msg, 1, 2, 1, hex("01")),
                 test::error(decode_error::message_too_short, msg, 3, 5, 2, hex("01 02")),
                 test::error(decode_error::message_too_short, msg, 6, 9, 3, hex("00 18 E8")),
                 test::message(0x00, 10, hex("18 01"))},
                vm::decoder{}, [](const probe& p) {
                  REQUIRE(p.headers.size() == 4);
                  CHECK_FALSE(p.headers[0].has_value());
                  CHECK_FALSE(p.headers[2].has_value());
                  REQUIRE(p.headers[3].has_value());
                  CHECK(*p.headers[3] == vm::message_header{0x00, 0x18, 0xE8});
                });
}

TEST_CASE("a lone A0 between good frames is a message of length zero") {
  const bytes stream = hex("00 18 01 E7 A0  A0  A0  01 18 01 E6 A0");
  expect_events(stream,
                {test::message(0x00, 0, hex("18 01")),
                 test::error(decode_error::message_too_short, msg, 5, 5, 0, {}),
                 test::error(decode_error::message_too_short, msg, 6, 6, 0, {}),
                 test::message(0x01, 7, hex("18 01"))});
}

TEST_CASE("with min_response_frame a four-byte message is too short") {
  const bytes stream = hex("00 18 01 E7 A0  00 1C 01 00 E3 A0");
  SUBCASE("QEMU's rule for responses (5)") {
    const vm::decoder responses(vm::min_response_frame);
    CHECK(responses.min_message() == 5);
    expect_events(stream,
                  {test::error(decode_error::message_too_short, msg, 0, 4, 4, hex("00 18 01 E7")),
                   test::message(0x00, 5, hex("1C 01 00"))},
                  responses);
  }
  SUBCASE("OpenIPMI's rule for requests (4, the default)") {
    expect_events(stream,
                  {test::message(0x00, 0, hex("18 01")), test::message(0x00, 5, hex("1C 01 00"))});
  }
  SUBCASE("a larger minimum") {
    const vm::decoder seven(7);
    CHECK(seven.min_message() == 7);
    expect_events(stream,
                  {test::error(decode_error::message_too_short, msg, 0, 4, 4, hex("00 18 01 E7")),
                   test::error(decode_error::message_too_short, msg, 5, 10, 5, hex("00 1C 01 00 E3"))},
                  seven);
  }
}

TEST_CASE("a minimum under four counts as four") {
  for (std::size_t m : {std::size_t{0}, std::size_t{1}, std::size_t{3}, std::size_t{4}}) {
    CHECK(vm::decoder(m).min_message() == 4);
  }
  CHECK(vm::decoder().min_message() == vm::min_request_frame);
  CHECK(vm::decoder(5).min_message() == 5);
}

TEST_CASE("a message whose bytes do not sum to zero is checksum_mismatch") {
  // The second frame's checksum is an escaped 0xA1 instead of 0xAA: escaped bytes count
  // with their unescaped value, and the length counts unescaped bytes.
  const bytes stream = hex("00 18 01 E8 A0  01 18 2E 0F AA B1 A0  01 18 2E 0F AA BA A0");
  expect_events(stream,
                {test::error(decode_error::checksum_mismatch, msg, 0, 4, 4, hex("00 18 01 E8")),
                 test::error(decode_error::checksum_mismatch, msg, 5, 11, 5, hex("01 18 2E 0F A1")),
                 test::message(0x01, 12, hex("18 2E 0F"))});
}

TEST_CASE("a frame longer than the capacity is frame_too_long with the first bytes kept") {
  // msg_id 07, netfn/LUN 18, cmd 34 (Send Message), 299 data bytes 01, checksum: 303 unescaped
  // bytes, one more than the default capacity of 302. Sum 0x07+0x18+0x34+299 = 0x17E -> 0x82.
  const bytes body = cat({hex("18 34"), repeat(0x01, 299)});
  const bytes frame = cat({hex("07"), body, hex("82 A0")});
  REQUIRE(test::reference_checksum(cat({hex("07"), body})) == 0x82);
  const bytes kept = bytes(frame.begin(), frame.begin() + 302);
  const bytes stream = cat({frame, hex("00 18 01 E7 A0")});
  expect_events(stream,
                {test::error(decode_error::frame_too_long, msg, 0, 302, 303, kept),
                 test::message(0x00, 304, hex("18 01"))},
                vm::decoder{}, [](const probe& p) {
                  REQUIRE(p.headers.size() == 1);
                  REQUIRE(p.headers[0].has_value());
                  CHECK(p.headers[0]->msg_id == 0x07);
                  CHECK(p.headers[0]->netfn_lun == 0x18);
                  CHECK(p.headers[0]->cmd == 0x34);
                });
}

TEST_CASE("frame_too_long counts unescaped bytes and reports the offset of the first one too many") {
  // The first data byte is an escaped A0: 303 unescaped bytes on 304 wire bytes, so the first
  // byte beyond the capacity (the checksum) is at wire offset 303.
  const bytes frame = cat({hex("07 18 34 AA B0"), repeat(0x01, 298), hex("55 A0")});
  const bytes kept = cat({hex("07 18 34 A0"), repeat(0x01, 298)});
  REQUIRE(kept.size() == 302);
  const bytes stream = cat({frame, hex("00 18 01 E7 A0")});
  expect_events(stream,
                {test::error(decode_error::frame_too_long, msg, 0, 303, 303, kept),
                 test::message(0x00, 305, hex("18 01"))});
}

TEST_CASE("a command frame longer than the capacity is frame_too_long as well") {
  const bytes stream = cat({repeat(0x05, 400), hex("A1  FF 01 A1")});
  expect_events(stream,
                {test::error(decode_error::frame_too_long, cmd_frame, 0, 302, 400, repeat(0x05, 302)),
                 test::command(command::version, 401, hex("01"))},
                vm::decoder{}, [](const probe& p) {
                  REQUIRE(p.headers.size() == 1);
                  CHECK(p.headers[0] == vm::message_header{0x05, 0x05, 0x05});
                });
}

TEST_CASE("in a small decoder the byte too many can be the second byte of an escape pair") {
  // Capacity 8: eight plain bytes fit, the escaped A0 is the ninth; it is seen at offset 9.
  const bytes stream = hex("11 22 33 44 55 66 77 88 AA B0 A0  00 1C 01 00 E3 A0");
  expect_events(stream,
                {test::error(decode_error::frame_too_long, msg, 0, 9, 9, hex("11 22 33 44 55 66 77 88")),
                 test::message(0x00, 11, hex("1C 01 00"))},
                vm::basic_decoder<8>{});
}

TEST_CASE("an escape directly before a terminator is escape_before_terminator, and the next frame is fine") {
  // QEMU would keep the escape flag and unescape the next frame's first byte; ipmikit clears it.
  const bytes stream = hex("00 18 01 AA A0  00 18 01 E7 A0  FF AA A1  FF 01 A1  AA A0  AA A1  B0 18 01 37 A0");
  expect_events(stream,
                {test::error(decode_error::escape_before_terminator, msg, 0, 4, 3, hex("00 18 01")),
                 test::message(0x00, 5, hex("18 01")),
                 test::error(decode_error::escape_before_terminator, cmd_frame, 10, 12, 1, hex("FF")),
                 test::command(command::version, 13, hex("01")),
                 test::error(decode_error::escape_before_terminator, msg, 16, 17, 0, {}),
                 test::error(decode_error::escape_before_terminator, cmd_frame, 18, 19, 0, {}),
                 test::message(0xB0, 20, hex("18 01"))});
}

TEST_CASE("an escape followed by anything but B0, B1, BA is invalid_escape") {
  // The two bytes are dropped; the error keeps the frame's other unescaped bytes.
  const bytes stream = hex("00 AA 42 18 01 E7 A0  00 18 01 E7 A0  AA 10 A1  AA A0 A1");
  expect_events(stream,
                {test::error(decode_error::invalid_escape, msg, 0, 2, 4, hex("00 18 01 E7")),
                 test::message(0x00, 7, hex("18 01")),
                 test::error(decode_error::invalid_escape, cmd_frame, 12, 13, 0, {}),
                 // AA A0 is an escape before a terminator, and A1 then ends an empty command.
                 test::error(decode_error::escape_before_terminator, msg, 15, 16, 0, {}),
                 test::error(decode_error::empty_command, cmd_frame, 17, 17, 0, {})});
}

TEST_CASE("AA AA is an invalid escape and both bytes are dropped") {
  const bytes stream = hex("AA AA 01 A1  01 A1  00 AA AA B0 18 A0");
  expect_events(stream,
                {test::error(decode_error::invalid_escape, cmd_frame, 0, 1, 1, hex("01")),
                 test::command(command::attention, 4),
                 // After AA AA the B0 is a plain byte again.
                 test::error(decode_error::invalid_escape, msg, 6, 8, 3, hex("00 B0 18"))});
}

TEST_CASE("every byte after an escape is classified as the header comment says") {
  for (unsigned x = 0; x < 256; ++x) {
    CAPTURE(x);
    const auto b = static_cast<std::uint8_t>(x);
    const auto unescaped = static_cast<std::uint8_t>(b & 0xEF);
    const bool valid = b == 0xB0 || b == 0xB1 || b == 0xBA;
    const std::uint8_t cs = valid ? test::reference_checksum(bytes{0x00, 0x18, unescaped}) : 0x48;
    const bytes stream{0x00, 0x18, 0xAA, b, cs, 0xA0};
    std::vector<event> expected;
    if (valid) {
      expected = {test::message(0x00, 0, bytes{0x18, unescaped})};
    } else if (b == 0xA0 || b == 0xA1) {
      expected = {test::error(decode_error::escape_before_terminator, b == 0xA0 ? msg : cmd_frame, 0, 3, 2, hex("00 18")),
                  test::error(decode_error::message_too_short, msg, 4, 5, 1, bytes{cs})};
    } else {
      expected = {test::error(decode_error::invalid_escape, msg, 0, 3, 3, bytes{0x00, 0x18, cs})};
    }
    expect_events(stream, expected);
  }
}

TEST_CASE("A1 with nothing before it is empty_command") {
  const bytes stream = hex("A1 A1 FF 01 A1 A1");
  expect_events(stream,
                {test::error(decode_error::empty_command, cmd_frame, 0, 0, 0, {}),
                 test::error(decode_error::empty_command, cmd_frame, 1, 1, 0, {}),
                 test::command(command::version, 2, hex("01")),
                 test::error(decode_error::empty_command, cmd_frame, 5, 5, 0, {})});
}

TEST_CASE("a command code outside vm::command is unknown_command with code and arguments kept") {
  const bytes stream = hex("0A A1  42 07 A1  AA B0 A1  05 A1");
  expect_events(stream,
                {test::error(decode_error::unknown_command, cmd_frame, 0, 1, 1, hex("0A")),
                 test::error(decode_error::unknown_command, cmd_frame, 2, 4, 2, hex("42 07")),
                 test::error(decode_error::unknown_command, cmd_frame, 5, 7, 1, hex("A0")),
                 test::command(command::enable_irq, 8)});
}

TEST_CASE("a known command with the wrong number of arguments is wrong_argument_count") {
  const bytes stream = hex("FF A1  00 00 A1  08 3F 00 A1  08 3F A1");
  expect_events(stream,
                {test::error(decode_error::wrong_argument_count, cmd_frame, 0, 1, 1, hex("FF")),
                 test::error(decode_error::wrong_argument_count, cmd_frame, 2, 4, 2, hex("00 00")),
                 test::error(decode_error::wrong_argument_count, cmd_frame, 5, 8, 3, hex("08 3F 00")),
                 test::command(command::capabilities, 9, hex("3F"))});
}

TEST_CASE("every command code with zero, one and two arguments is classified") {
  for (unsigned code = 0; code < 256; ++code) {
    const auto c = static_cast<std::uint8_t>(code);
    // Which codes exist and how many arguments they take, from qemu.md §1.2.
    const bool known = code <= 0x09 || code == 0xFF;
    const std::size_t wants = (code == 0x08 || code == 0xFF) ? 1 : 0;
    for (std::size_t n = 0; n <= 2; ++n) {
      CAPTURE(code);
      CAPTURE(n);
      const bytes args = bytes(n, static_cast<std::uint8_t>(0xA0 + n));  // special args too
      const bytes frame = test::reference_command_frame(c, view(args));
      const bytes content = cat({bytes{c}, args});
      std::vector<event> expected;
      if (!known) {
        expected = {test::error(decode_error::unknown_command, cmd_frame, 0, frame.size() - 1, n + 1, content)};
      } else if (n != wants) {
        expected = {test::error(decode_error::wrong_argument_count, cmd_frame, 0, frame.size() - 1, n + 1, content)};
      } else {
        expected = {test::command(static_cast<command>(c), 0, args)};
      }
      expect_events(frame, expected);
    }
  }
}

TEST_CASE("when a frame has several problems the first one in stream order is reported") {
  struct first_problem {
    const char* what;
    const char* stream;
    event expected;
  };
  const first_problem cases[] = {
      {"an invalid escape before an escape at the terminator", "00 AA 42 18 AA A0",
       test::error(decode_error::invalid_escape, msg, 0, 2, 2, hex("00 18"))},
      {"an invalid escape in a message with a bad checksum and too short", "AA 42 A0",
       test::error(decode_error::invalid_escape, msg, 0, 1, 0, {})},
      {"an invalid escape in an unknown command", "42 AA 00 A1",
       test::error(decode_error::invalid_escape, cmd_frame, 0, 2, 1, hex("42"))},
  };
  for (const first_problem& c : cases) {
    CAPTURE(c.what);
    expect_events(hex(c.stream), {c.expected});
  }
  // With frames of at most 8 bytes.
  const first_problem short_frame_cases[] = {
      {"a frame too long before an invalid escape", "01 02 03 04 05 06 07 08 09 AA 42 A1",
       test::error(decode_error::frame_too_long, cmd_frame, 0, 8, 9, hex("01 02 03 04 05 06 07 08"))},
      {"an invalid escape before the frame gets too long", "AA 42 01 02 03 04 05 06 07 08 09 A0",
       test::error(decode_error::invalid_escape, msg, 0, 1, 9, hex("01 02 03 04 05 06 07 08"))},
      {"a frame too long that ends in an escape", "01 02 03 04 05 06 07 08 09 AA A0",
       test::error(decode_error::frame_too_long, msg, 0, 8, 9, hex("01 02 03 04 05 06 07 08"))},
  };
  for (const first_problem& c : short_frame_cases) {
    CAPTURE(c.what);
    expect_events(hex(c.stream), {c.expected}, vm::basic_decoder<8>{});
  }
}

// ---- Golden streams ---------------------------------------------------------------------------

TEST_CASE("ipmi_sim's greeting decodes as VERSION 1 then NOATTN") {
  expect_events(hex("FF 01 A1 00 A1"),
                {test::command(command::version, 0, hex("01")), test::command(command::no_attention, 3)});
}

TEST_CASE("QEMU's greeting decodes as VERSION 1 then CAPABILITIES 0x3F") {
  const bytes stream = hex("FF 01 A1 08 3F A1");
  expect_events(stream,
                {test::command(command::version, 0, hex("01")),
                 test::command(command::capabilities, 3, hex("3F"))});
  // The argument accessor and the capability set.
  struct {
    std::vector<std::uint8_t> args;
    void operator()(const vm::message_event&) {}
    void operator()(const vm::command_event& c) { args.push_back(c.argument()); }
    void operator()(const vm::error_event&) {}
  } h;
  vm::decoder d;
  d.feed(view(stream), h);
  REQUIRE(h.args.size() == 2);
  CHECK(h.args[0] == vm::protocol_version);
  CHECK(vm::capabilities::from_byte(h.args[1]) == vm::qemu_capabilities);
}

TEST_CASE("QEMU's requests of the qtest decode with the checksum removed") {
  expect_events(hex("00 18 01 E7 A0  01 18 2E 0F AA BA A0  02 18 01 E5 A0"),
                {test::message(0x00, 0, hex("18 01")), test::message(0x01, 5, hex("18 2E 0F")),
                 test::message(0x02, 12, hex("18 01"))});
}

TEST_CASE("a BMC's response, ENABLE_IRQ, response sequence decodes in order") {
  expect_events(hex("00 1C 01 00 20 00 00 00 02 09 00 00 00 00 00 B8 A0  05 A1  01 1C 2E 00 B5 A0"),
                {test::message(0x00, 0, hex("1C 01 00 20 00 00 00 02 09 00 00 00 00 00")),
                 test::command(command::enable_irq, 17), test::message(0x01, 19, hex("1C 2E 00"))});
}

TEST_CASE("ipmi_sim's live greeting and Get Device ID response decode") {
  expect_events(hex("FF 01 A1 00 A1  01 1C 01 00 00 03 09 08 02 9F 91 12 00 02 0F 00 00 00 00 79 A0"),
                {test::command(command::version, 0, hex("01")), test::command(command::no_attention, 3),
                 test::message(0x01, 5, hex("1C 01 00 00 03 09 08 02 9F 91 12 00 02 0F 00 00 00 00"))});
}

TEST_CASE("the QEMU-live Get Device ID response decodes with its escaped product id") {
  const bytes stream = hex("00 1C 01 00 20 81 02 17 02 BF 57 01 00 AA B0 00 00 00 00 00 70 A0");
  expect_events(stream,
                {test::message(0x00, 0, hex("1C 01 00 20 81 02 17 02 BF 57 01 00 A0 00 00 00 00 00"))});
  // The message_event accessors.
  struct {
    int seen = 0;
    void operator()(const vm::message_event& m) {
      ++seen;
      CHECK(m.netfn_lun() == 0x1C);
      CHECK(m.function() == static_cast<netfn>(0x07));
      CHECK(m.lun() == lun::bmc);
      CHECK(m.cmd() == 0x01);
      REQUIRE(m.data().size() == 16);
      CHECK(m.data()[0] == 0x00);   // completion code
      CHECK(m.data()[10] == 0xA0);  // product id, unescaped
      const auto r = response_view::parse(m.body);
      REQUIRE(r.has_value());
      CHECK(r->code == completion_code::success);
    }
    void operator()(const vm::command_event&) { FAIL("no command expected"); }
    void operator()(const vm::error_event&) { FAIL("no error expected"); }
  } h;
  vm::decoder d;
  d.feed(view(stream), h);
  CHECK(h.seen == 1);
}

TEST_CASE("bytes after a command in the same chunk are decoded, unlike QEMU") {
  // QEMU's receive() returns after a command and drops the rest of the read (qemu.md §1.8).
  const bytes stream = hex("05 A1 01 1C 2E 00 B5 A0");
  vm::decoder d;
  test::event_recorder r;
  d.feed(view(stream), r);
  const std::vector<event> expected{test::command(command::enable_irq, 0),
                                    test::message(0x01, 2, hex("1C 2E 00"))};
  CHECK(r.events == expected);
}

// ---- Zero copy ------------------------------------------------------------------------------

TEST_CASE("an unescaped message whole in one feed is handed out without a copy") {
  const bytes stream = hex("00 18 01 E7 A0  05 A1  01 18 01 E6 A0");
  vm::decoder d;
  const probe p = fed(d, {view(stream)}, 2);
  CHECK(p.zero_copy[0]);
  CHECK(p.zero_copy[1]);
  CHECK(p.body_data[0] == stream.data() + 1);
  CHECK(p.body_data[1] == stream.data() + 8);
  CHECK(d.stats().zero_copy_messages == 2);
  CHECK(d.stats().messages == 2);
}

TEST_CASE("the arguments of a command whole in one feed point into the caller's buffer") {
  const bytes stream = hex("08 3F A1 FF 01 A1");
  struct {
    std::vector<const std::uint8_t*> args;
    void operator()(const vm::message_event&) {}
    void operator()(const vm::command_event& c) { args.push_back(c.arguments.data()); }
    void operator()(const vm::error_event&) {}
  } h;
  vm::decoder d;
  d.feed(view(stream), h);
  REQUIRE(h.args.size() == 2);
  CHECK(h.args[0] == stream.data() + 1);
  CHECK(h.args[1] == stream.data() + 4);
}

TEST_CASE("a message split across feeds or containing an escape is copied") {
  SUBCASE("split") {
    const bytes first = hex("00 18");
    const bytes second = hex("01 E7 A0");
    vm::decoder d;
    const probe p = fed(d, {view(first), view(second)}, 1);
    CHECK_FALSE(p.zero_copy[0]);
    const std::less<const std::uint8_t*> before;
    const auto* body = p.body_data[0];
    const bool in_first = !before(body, first.data()) && before(body, first.data() + first.size());
    const bool in_second = !before(body, second.data()) && before(body, second.data() + second.size());
    CHECK_FALSE(in_first);
    CHECK_FALSE(in_second);
    CHECK(d.stats().zero_copy_messages == 0);
    CHECK(p.rec.events == std::vector<event>{test::message(0x00, 0, hex("18 01"))});
  }
  SUBCASE("escaped") {
    const bytes stream = hex("01 18 2E 0F AA BA A0");
    vm::decoder d;
    const probe p = fed(d, {view(stream)}, 1);
    CHECK_FALSE(p.zero_copy[0]);
    CHECK(d.stats().zero_copy_messages == 0);
    CHECK(d.stats().messages == 1);
  }
  SUBCASE("whole frames after a split one are zero-copy again") {
    const bytes first = hex("00 18 01");
    const bytes second = hex("E7 A0 01 18 01 E6 A0");
    vm::decoder d;
    const probe p = fed(d, {view(first), view(second)}, 2);
    CHECK_FALSE(p.zero_copy[0]);
    CHECK(p.zero_copy[1]);
    CHECK(p.body_data[1] == second.data() + 3);
    CHECK(d.stats().zero_copy_messages == 1);
  }
}

// ---- State: reset, offsets, copies ------------------------------------------------------------

TEST_CASE("reset() drops a partial frame and keeps offsets and statistics") {
  SUBCASE("plain bytes") {
    vm::decoder d;
    test::event_recorder r;
    d.feed(view(hex("00 18 01")), r);
    CHECK(d.in_frame());
    CHECK(d.offset() == 3);
    d.reset();
    CHECK_FALSE(d.in_frame());
    CHECK(d.offset() == 3);
    d.feed(view(hex("00 18 01 E7 A0")), r);
    CHECK(r.events == std::vector<event>{test::message(0x00, 3, hex("18 01"))});
    CHECK(d.stats().bytes == 8);
  }
  SUBCASE("without reset the bytes would join the next frame") {
    vm::decoder d;
    test::event_recorder r;
    d.feed(view(hex("00 18 01")), r);
    d.feed(view(hex("00 18 01 E7 A0")), r);
    CHECK(r.events == std::vector<event>{test::error(decode_error::checksum_mismatch, msg, 0, 7, 7,
                                                     hex("00 18 01 00 18 01 E7"))});
  }
  SUBCASE("a pending escape") {
    vm::decoder d;
    test::event_recorder r;
    d.feed(view(hex("00 AA")), r);
    CHECK(d.in_frame());
    d.reset();
    CHECK_FALSE(d.in_frame());
    // B0 is a plain message id now: 0xB0 + 0x18 + 0x01 = 0xC9 -> checksum 0x37.
    d.feed(view(hex("B0 18 01 37 A0")), r);
    CHECK(r.events == std::vector<event>{test::message(0xB0, 2, hex("18 01"))});
  }
  SUBCASE("a frame already known to be bad") {
    vm::decoder d;
    test::event_recorder r;
    d.feed(view(hex("AA 42")), r);
    CHECK(d.in_frame());
    d.reset();
    d.feed(view(hex("00 18 01 E7 A0")), r);
    CHECK(r.events == std::vector<event>{test::message(0x00, 2, hex("18 01"))});
    CHECK(d.stats().total_errors() == 0);
  }
  SUBCASE("an over-long frame") {
    vm::basic_decoder<8> d;
    test::event_recorder r;
    d.feed(view(hex("01 02 03 04 05 06 07 08 09 0A")), r);
    d.reset();
    d.feed(view(hex("00 18 01 E7 A0")), r);
    CHECK(r.events == std::vector<event>{test::message(0x00, 10, hex("18 01"))});
  }
  SUBCASE("on a fresh decoder") {
    vm::decoder d;
    d.reset();
    CHECK(d.offset() == 0);
    CHECK_FALSE(d.in_frame());
  }
}

TEST_CASE("offsets count stream bytes across feeds") {
  vm::decoder d;
  test::event_recorder r;
  const bytes chunks[] = {hex("FF 01"), hex("A1 00 18"), hex("01 E7 A0 05"), hex("A1"), {}};
  const std::uint64_t offsets[] = {2, 5, 9, 10, 10};
  const bool in_frame[] = {true, true, true, false, false};
  for (std::size_t i = 0; i < std::size(chunks); ++i) {
    CAPTURE(i);
    d.feed(view(chunks[i]), r);
    CHECK(d.offset() == offsets[i]);
    CHECK(d.in_frame() == in_frame[i]);
  }
  const std::vector<event> expected{test::command(command::version, 0, hex("01")),
                                    test::message(0x00, 3, hex("18 01")),
                                    test::command(command::enable_irq, 8)};
  CHECK(r.events == expected);
  CHECK(d.stats().bytes == 10);
}

TEST_CASE("inside the handler the decoder is already at the next frame") {
  vm::decoder d;
  struct {
    const vm::decoder* d = nullptr;
    std::vector<std::uint64_t> offsets;
    std::vector<bool> in_frame;
    void note() {
      offsets.push_back(d->offset());
      in_frame.push_back(d->in_frame());
    }
    void operator()(const vm::message_event&) { note(); }
    void operator()(const vm::command_event&) { note(); }
    void operator()(const vm::error_event&) { note(); }
  } h;
  h.d = &d;
  d.feed(view(hex("00 18 01 E7 A0 FF A1 05 A1")), h);
  CHECK(h.offsets == std::vector<std::uint64_t>{5, 7, 9});
  CHECK(h.in_frame == std::vector<bool>{false, false, false});
}

TEST_CASE("a copy of a decoder forks the stream state") {
  vm::decoder d;
  test::event_recorder r;
  d.feed(view(hex("FF 01 A1 00 18")), r);
  vm::decoder fork = d;
  test::event_recorder rd, rf;
  d.feed(view(hex("01 E7 A0")), rd);
  fork.feed(view(hex("01 E8 A0")), rf);
  CHECK(rd.events == std::vector<event>{test::message(0x00, 3, hex("18 01"))});
  CHECK(rf.events == std::vector<event>{test::error(decode_error::checksum_mismatch, msg, 3, 7, 4, hex("00 18 01 E8"))});
  CHECK(d.stats().messages == 1);
  CHECK(fork.stats().messages == 0);
  CHECK(d.stats().commands == 1);
  CHECK(fork.stats().commands == 1);
}

// ---- Compile time, small capacities -------------------------------------------------------------

namespace {

struct constexpr_probe {
  int messages = 0;
  int commands = 0;
  int errors = 0;
  std::uint8_t last_msg_id = 0;
  std::uint8_t last_cmd = 0;
  std::uint8_t last_body_byte = 0;
  std::uint8_t last_argument = 0;
  std::uint64_t last_offset = 0;
  decode_error last_error{};
  std::size_t last_error_length = 0;

  constexpr void operator()(const vm::message_event& m) {
    ++messages;
    last_msg_id = m.msg_id;
    last_cmd = m.cmd();
    last_body_byte = m.body.back();
    last_offset = m.offset;
  }
  constexpr void operator()(const vm::command_event& c) {
    ++commands;
    last_argument = c.argument();
    last_offset = c.offset;
  }
  constexpr void operator()(const vm::error_event& e) {
    ++errors;
    last_error = e.error;
    last_error_length = e.length;
    last_offset = e.frame_offset;
  }
};

template <class Decoder, std::size_t N>
constexpr constexpr_probe decode_at_compile_time(const std::array<std::uint8_t, N>& stream) {
  Decoder d;
  constexpr_probe p;
  d.feed(stream, p);
  return p;
}

constexpr auto compile_time_stream = std::to_array<std::uint8_t>(
    {0xFF, 0x01, 0xA1, 0x01, 0x18, 0x2E, 0x0F, 0xAA, 0xBA, 0xA0, 0x00, 0x18, 0x01, 0xE8, 0xA0});
constexpr constexpr_probe compile_time = decode_at_compile_time<vm::decoder>(compile_time_stream);
static_assert(compile_time.commands == 1 && compile_time.last_argument == 0x01);
static_assert(compile_time.messages == 1 && compile_time.last_msg_id == 0x01 && compile_time.last_cmd == 0x2E);
static_assert(compile_time.last_body_byte == 0x0F);
static_assert(compile_time.errors == 1 && compile_time.last_error == decode_error::checksum_mismatch);
static_assert(compile_time.last_error_length == 4 && compile_time.last_offset == 10);

// In a decoder of capacity 8, 9 bytes are too long.
constexpr auto too_long_stream =
    std::to_array<std::uint8_t>({0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0xA1, 0xFF, 0x01, 0xA1});
static_assert(decode_at_compile_time<vm::basic_decoder<8>>(too_long_stream).last_error == decode_error::frame_too_long);
static_assert(decode_at_compile_time<vm::basic_decoder<8>>(too_long_stream).commands == 1);
// In the default decoder the same frame is ATTN (0x01) with eight argument bytes.
static_assert(decode_at_compile_time<vm::decoder>(too_long_stream).last_error == decode_error::wrong_argument_count);

// The encoder's compile-time frames decode at compile time.
constexpr auto round_trip_frame = vm::make_message_frame(0xAA, std::to_array<std::uint8_t>({0x18, 0xA0, 0xA1}));
constexpr constexpr_probe round_trip = [] {
  vm::decoder d;
  constexpr_probe p;
  d.feed(round_trip_frame.view(), p);
  return p;
}();
static_assert(round_trip.messages == 1 && round_trip.last_msg_id == 0xAA && round_trip.last_body_byte == 0xA1);

}  // namespace

TEST_CASE("constexpr decoding gives the same events as run-time decoding") {
  vm::decoder d;
  constexpr_probe p;
  d.feed(compile_time_stream, p);
  CHECK(p.messages == compile_time.messages);
  CHECK(p.commands == compile_time.commands);
  CHECK(p.errors == compile_time.errors);
  CHECK(p.last_error == compile_time.last_error);
  CHECK(p.last_msg_id == compile_time.last_msg_id);
}

TEST_CASE("a decoder of capacity 8 takes frames of up to 8 unescaped bytes") {
  // 01 18 01 02 03 04 05 + checksum: 0x01+0x18+0x01+0x02+0x03+0x04+0x05 = 0x28 -> 0xD8.
  // With one more data byte 06 the checksum is 0xD2 and the frame has 9 bytes.
  const bytes stream = hex("01 18 01 02 03 04 05 D8 A0  01 18 01 02 03 04 05 06 D2 A0  FF 01 A1");
  static_assert(vm::basic_decoder<8>::capacity == 8);
  expect_events(stream,
                {test::message(0x01, 0, hex("18 01 02 03 04 05")),
                 test::error(decode_error::frame_too_long, msg, 9, 17, 9, hex("01 18 01 02 03 04 05 06")),
                 test::command(command::version, 19, hex("01"))},
                vm::basic_decoder<8>{});
}

TEST_CASE("a decoder of the minimum capacity 5 takes a minimal response") {
  const bytes stream = hex("00 1C 01 00 E3 A0  00 1C 01 00 00 E3 A0");
  expect_events(stream,
                {test::message(0x00, 0, hex("1C 01 00")),
                 test::error(decode_error::frame_too_long, msg, 6, 11, 6, hex("00 1C 01 00 00"))},
                vm::basic_decoder<5>(vm::min_response_frame));
}

TEST_CASE("all_decode_errors lists the eight errors once, in enum order") {
  REQUIRE(std::size(vm::all_decode_errors) == vm::decode_error_count);
  for (std::size_t k = 0; k < vm::decode_error_count; ++k)
    CHECK(static_cast<std::size_t>(vm::all_decode_errors[k]) == k + 1);
}

TEST_CASE("frame_offset() says where the unterminated frame began") {
  vm::decoder d;
  test::event_recorder r;
  CHECK(d.frame_offset() == 0);
  d.feed(view(hex("00 18 01 E7 A0 01 18")), r);
  CHECK(d.in_frame());
  CHECK(d.frame_offset() == 5);
  CHECK(d.offset() == 7);
  d.feed(view(hex("AA")), r);
  CHECK(d.frame_offset() == 5);
  d.feed(view(hex("B0 47 A0")), r);  // 01 18 A0, checksum 0x100 - 0xB9 = 0x47
  CHECK_FALSE(d.in_frame());
  CHECK(d.frame_offset() == 11);
  CHECK(d.frame_offset() == d.offset());
  CHECK(r.events == std::vector<event>{test::message(0x00, 0, hex("18 01")), test::message(0x01, 5, hex("18 A0"))});
  d.feed(view(hex("42")), r);
  d.reset();
  CHECK(d.frame_offset() == 12);
}

TEST_CASE("message_event::is_response() follows the netfn's low bit") {
  struct {
    std::vector<bool> responses;
    void operator()(const vm::message_event& m) { responses.push_back(m.is_response()); }
    void operator()(const vm::command_event&) {}
    void operator()(const vm::error_event&) {}
  } h;
  vm::decoder d;
  d.feed(view(hex("00 18 01 E7 A0  00 1C 01 00 E3 A0  00 1A 01 E5 A0")), h);
  CHECK(h.responses == std::vector<bool>{false, true, false});
}

TEST_CASE("decode errors have distinct names and descriptions") {
  std::set<std::string_view> names, descriptions;
  for (std::size_t k = 1; k <= vm::decode_error_count; ++k) {
    const auto e = static_cast<decode_error>(k);
    CHECK_FALSE(vm::name(e).empty());
    CHECK_FALSE(vm::describe(e).empty());
    names.insert(vm::name(e));
    descriptions.insert(vm::describe(e));
  }
  CHECK(names.size() == vm::decode_error_count);
  CHECK(descriptions.size() == vm::decode_error_count);
  CHECK(vm::name(decode_error::frame_too_long) == "frame_too_long");
  CHECK(vm::name(decode_error{}).empty());
  CHECK(vm::describe(static_cast<decode_error>(9)).empty());
}

TEST_CASE("an empty feed changes nothing") {
  vm::decoder d;
  test::event_recorder r;
  d.feed(std::span<const std::uint8_t>{}, r);
  CHECK(r.events.empty());
  CHECK(d.offset() == 0);
  d.feed(view(hex("00 18")), r);
  d.feed(std::span<const std::uint8_t>{}, r);
  CHECK(d.in_frame());
  CHECK(d.offset() == 2);
  CHECK(d.stats().bytes == 2);
}

}  // TEST_SUITE
