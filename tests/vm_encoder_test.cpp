// tests/vm_encoder_test.cpp — ipmikit/vm/encoder.hpp: golden frames from the reference
// documents (at compile time and at run time), escaping, buffer sizing, argument validation,
// and agreement with the reference encoder.
#include <array>
#include <cstdint>
#include <functional>
#include <set>
#include <span>
#include <string_view>
#include <vector>

// test_support.hpp (and with it vm/decoder.hpp) comes before vm/encoder.hpp on purpose: the
// other order does not compile (see header_test.cmake, which checks every order).
#include "test_support.hpp"

#include <ipmikit/vm/encoder.hpp>

using namespace ipmikit;
using test::bytes;
using test::hex;
using test::view;
using vm::command;
using vm::encode_error;

namespace {

template <class Frame, std::size_t N>
constexpr bool frame_is(const Frame& f, const std::array<std::uint8_t, N>& expected) {
  return f.equals(expected);
}

// ---- Golden frames, encoded at compile time -------------------------------------------------

// QEMU 7.2's greeting (qemu-live.md): VERSION 1, CAPABILITIES 0x3F.
static_assert(frame_is(vm::make_emulator_greeting(vm::qemu_capabilities),
                       std::to_array<std::uint8_t>({0xFF, 0x01, 0xA1, 0x08, 0x3F, 0xA1})));
// Old QEMU: CAPABILITIES 0x1F.
static_assert(frame_is(vm::make_emulator_greeting(vm::legacy_qemu_capabilities),
                       std::to_array<std::uint8_t>({0xFF, 0x01, 0xA1, 0x08, 0x1F, 0xA1})));
// ipmi_sim's greeting (openipmi.md §4): VERSION 1, NOATTN.
static_assert(frame_is(vm::make_command_frame(command::version, std::to_array<std::uint8_t>({0x01})),
                       std::to_array<std::uint8_t>({0xFF, 0x01, 0xA1})));
static_assert(frame_is(vm::make_command_frame(command::no_attention),
                       std::to_array<std::uint8_t>({0x00, 0xA1})));
// A known command with the wrong number of arguments makes an empty frame.
static_assert(vm::make_command_frame(command::version).size == 0);
static_assert(vm::make_command_frame(command::reset, std::to_array<std::uint8_t>({0x00})).size == 0);

// Get Device ID, msg_id 0 (qemu.md §1.5, qemu-live.md).
static_assert(frame_is(vm::make_message_frame(0x00, std::to_array<std::uint8_t>({0x18, 0x01})),
                       std::to_array<std::uint8_t>({0x00, 0x18, 0x01, 0xE7, 0xA0})));
// Set BMC Global Enables 0x0F, msg_id 1: the checksum 0xAA goes out escaped (qemu.md §1.5).
static_assert(frame_is(vm::make_message_frame(0x01, std::to_array<std::uint8_t>({0x18, 0x2E, 0x0F})),
                       std::to_array<std::uint8_t>({0x01, 0x18, 0x2E, 0x0F, 0xAA, 0xBA, 0xA0})));
// ipmi_sim's live Get Device ID request and response (openipmi.md §2).
static_assert(frame_is(vm::make_message_frame(0x01, std::to_array<std::uint8_t>({0x18, 0x01})),
                       std::to_array<std::uint8_t>({0x01, 0x18, 0x01, 0xE6, 0xA0})));
static_assert(frame_is(
    vm::make_message_frame(0x01, std::to_array<std::uint8_t>({0x1C, 0x01, 0x00, 0x00, 0x03, 0x09,
                                                              0x08, 0x02, 0x9F, 0x91, 0x12, 0x00,
                                                              0x02, 0x0F, 0x00, 0x00, 0x00, 0x00})),
    std::to_array<std::uint8_t>({0x01, 0x1C, 0x01, 0x00, 0x00, 0x03, 0x09, 0x08, 0x02, 0x9F, 0x91,
                                 0x12, 0x00, 0x02, 0x0F, 0x00, 0x00, 0x00, 0x00, 0x79, 0xA0})));
// QEMU-live Get Device ID response: product id 0xA0 goes out escaped (qemu-live.md).
static_assert(frame_is(
    vm::make_message_frame(0x00, std::to_array<std::uint8_t>({0x1C, 0x01, 0x00, 0x20, 0x81, 0x02,
                                                              0x17, 0x02, 0xBF, 0x57, 0x01, 0x00,
                                                              0xA0, 0x00, 0x00, 0x00, 0x00, 0x00})),
    std::to_array<std::uint8_t>({0x00, 0x1C, 0x01, 0x00, 0x20, 0x81, 0x02, 0x17, 0x02, 0xBF, 0x57,
                                 0x01, 0x00, 0xAA, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x70, 0xA0})));
// The reply to Set BMC Global Enables (qemu.md §1.5).
static_assert(frame_is(vm::make_message_frame(0x01, std::to_array<std::uint8_t>({0x1C, 0x2E, 0x00})),
                       std::to_array<std::uint8_t>({0x01, 0x1C, 0x2E, 0x00, 0xB5, 0xA0})));

// Worst-case sizes.
static_assert(vm::max_frame_size(0) == 1);
static_assert(vm::max_message_frame_size(2) == 9);      // 4 bytes all escaped + terminator
static_assert(vm::max_message_frame_size(300) == 605);  // QEMU's outbuf (qemu.md §1.9)
static_assert(vm::max_command_frame_size() == 5);
static_assert(vm::max_command_frame_size(0) == 3);

// Exact sizes.
static_assert(vm::message_frame_size(0x00, std::to_array<std::uint8_t>({0x18, 0x01})) == 5);
static_assert(vm::message_frame_size(0x01, std::to_array<std::uint8_t>({0x18, 0x2E, 0x0F})) == 7);
// 0xAA + 0xA0 + 0xA1 = 0x1EB -> checksum 0x15: three escaped bytes, a plain checksum, A0.
static_assert(vm::message_frame_size(0xAA, std::to_array<std::uint8_t>({0xA0, 0xA1})) == 8);

// Encode errors are data: 0 is ok.
static_assert(static_cast<int>(encode_error::ok) == 0);
static_assert(!vm::encode_result{0, encode_error::buffer_too_small, 5});
static_assert(vm::encode_result{5, encode_error::ok, 0}.ok());

// ---- Run-time helpers ----------------------------------------------------------------------

using encode_fn = std::function<vm::encode_result(std::span<std::uint8_t>)>;

constexpr std::uint8_t guard = 0x5C;

/// Encodes into a buffer of exactly `size` bytes inside a larger guard buffer and checks that
/// nothing outside the span changed. Returns the encoded bytes (empty on error) and the result.
struct encoded {
  vm::encode_result result;
  bytes frame;
};
encoded encode_into(const encode_fn& encode, std::size_t size) {
  std::vector<std::uint8_t> buffer(size + 64, guard);
  const auto out = std::span<std::uint8_t>(buffer).subspan(16, size);
  const vm::encode_result r = encode(out);
  for (std::size_t i = 0; i < 16; ++i) REQUIRE_MESSAGE(buffer[i] == guard, "wrote before the span");
  for (std::size_t i = 16 + size; i < buffer.size(); ++i)
    REQUIRE_MESSAGE(buffer[i] == guard, "wrote past the span, byte ", i - 16);
  encoded e{r, {}};
  if (r.ok()) {
    REQUIRE(r.size <= size);
    e.frame.assign(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(r.size));
  } else {
    CHECK(r.size == 0);
    bool untouched = true;
    for (std::uint8_t b : out) untouched = untouched && b == guard;
    CHECK_MESSAGE(untouched, "a failed encode wrote into the buffer");
  }
  return e;
}

/// The buffer-size contract for one frame: every size below the exact size fails with
/// buffer_too_small and `required` == exact size, writing nothing; the exact size and every
/// larger size up to past the worst case give the same bytes.
void check_sizing(const encode_fn& encode, const bytes& expected, std::size_t worst_case) {
  const std::size_t exact = expected.size();
  REQUIRE(exact <= worst_case);
  for (std::size_t size = 0; size < exact; ++size) {
    CAPTURE(size);
    const encoded e = encode_into(encode, size);
    CHECK(e.result.error == encode_error::buffer_too_small);
    CHECK_FALSE(e.result);
    CHECK(e.result.required == exact);
  }
  for (std::size_t size = exact; size <= worst_case + 17; ++size) {
    CAPTURE(size);
    const encoded e = encode_into(encode, size);
    REQUIRE(e.result.ok());
    CHECK(e.result.size == exact);
    CHECK(e.frame == expected);
  }
}

encode_fn message_encoder(std::uint8_t msg_id, const bytes& body) {
  return [msg_id, body](std::span<std::uint8_t> out) { return vm::encode_message(out, msg_id, view(body)); };
}

}  // namespace

TEST_SUITE("vm") {

TEST_CASE("the golden message frames encode the same at run time, in any buffer size") {
  struct golden {
    std::uint8_t msg_id;
    const char* body;
    const char* frame;
  };
  const golden frames[] = {
      {0x00, "18 01", "00 18 01 E7 A0"},
      {0x01, "18 2E 0F", "01 18 2E 0F AA BA A0"},
      {0x02, "18 01", "02 18 01 E5 A0"},
      {0x01, "18 01", "01 18 01 E6 A0"},
      {0x01, "1C 01 00 00 03 09 08 02 9F 91 12 00 02 0F 00 00 00 00",
       "01 1C 01 00 00 03 09 08 02 9F 91 12 00 02 0F 00 00 00 00 79 A0"},
      {0x00, "1C 01 00 20 81 02 17 02 BF 57 01 00 A0 00 00 00 00 00",
       "00 1C 01 00 20 81 02 17 02 BF 57 01 00 AA B0 00 00 00 00 00 70 A0"},
      {0x00, "1C 01 00 20 00 00 00 02 09 00 00 00 00 00", "00 1C 01 00 20 00 00 00 02 09 00 00 00 00 00 B8 A0"},
  };
  for (const auto& g : frames) {
    CAPTURE(g.frame);
    const bytes body = hex(g.body);
    const bytes expected = hex(g.frame);
    CHECK(vm::message_frame_size(g.msg_id, view(body)) == expected.size());
    check_sizing(message_encoder(g.msg_id, body), expected, vm::max_message_frame_size(body.size()));
    // The field-wise overload gives the same frame.
    const encode_fn fields = [&](std::span<std::uint8_t> out) {
      return vm::encode_message(out, g.msg_id, body[0], body[1], view(body).subspan(2));
    };
    check_sizing(fields, expected, vm::max_message_frame_size(body.size()));
    CHECK(test::reference_message_frame(g.msg_id, view(body)) == expected);
  }
}

TEST_CASE("a message id that is a special byte goes out escaped") {
  // Checksums by hand: 0x100 - ((id + 0x18 + 0x01) & 0xFF).
  const bytes body = hex("18 01");
  const std::pair<std::uint8_t, const char*> cases[] = {
      {0xA0, "AA B0 18 01 47 A0"},
      {0xA1, "AA B1 18 01 46 A0"},
      {0xAA, "AA BA 18 01 3D A0"},
  };
  for (const auto& c : cases) {
    const std::uint8_t id = c.first;
    const char* const frame = c.second;
    CAPTURE(frame);
    const bytes expected = hex(frame);
    CHECK(vm::message_frame_size(id, view(body)) == expected.size());
    check_sizing(message_encoder(id, body), expected, vm::max_message_frame_size(body.size()));
  }
}

TEST_CASE("a checksum that is a special byte goes out escaped") {
  // 0x18 + 0x47 = 0x5F -> checksum 0xA1; 0x18 + 0x48 = 0x60 -> 0xA0; 0x18 + 0x3E = 0x56 -> 0xAA.
  const std::pair<const char*, const char*> cases[] = {
      {"18 47", "00 18 47 AA B1 A0"},
      {"18 48", "00 18 48 AA B0 A0"},
      {"18 3E", "00 18 3E AA BA A0"},
  };
  for (const auto& c : cases) {
    const char* const body_text = c.first;
    const char* const frame = c.second;
    CAPTURE(frame);
    const bytes body = hex(body_text);
    const bytes expected = hex(frame);
    check_sizing(message_encoder(0x00, body), expected, vm::max_message_frame_size(body.size()));
  }
}

TEST_CASE("a frame where every byte is special fills the worst-case buffer exactly") {
  // msg_id 0xA0 and six body bytes 0xA0: the sum is 7 * 0xA0 = 0x460, so the checksum is
  // 0x100 - 0x60 = 0xA0 as well, and every one of the 8 bytes is escaped.
  const bytes body(6, 0xA0);
  REQUIRE(test::reference_checksum(bytes(7, 0xA0)) == 0xA0);
  bytes expected;
  for (int i = 0; i < 8; ++i) {
    expected.push_back(0xAA);
    expected.push_back(0xB0);
  }
  expected.push_back(0xA0);
  REQUIRE(expected.size() == vm::max_message_frame_size(body.size()));
  check_sizing(message_encoder(0xA0, body), expected, vm::max_message_frame_size(body.size()));
}

TEST_CASE("an encode into a too-small buffer reports the exact size and writes nothing") {
  test::random_source rnd(77);
  for (int round = 0; round < 40; ++round) {
    const bytes body = rnd.body(rnd.between(2, 40), round % 2 == 0);
    const std::uint8_t id = rnd.special_dense_byte();
    const bytes expected = test::reference_message_frame(id, view(body));
    CAPTURE(test::to_hex(expected));
    check_sizing(message_encoder(id, body), expected, vm::max_message_frame_size(body.size()));
  }
}

TEST_CASE("encode_frame escapes content as-is and appends the terminator") {
  const bytes content = hex("A0 01 A1 AA 02 B0");
  const bytes expected_a0 = hex("AA B0 01 AA B1 AA BA 02 B0 A0");
  const bytes expected_a1 = hex("AA B0 01 AA B1 AA BA 02 B0 A1");
  check_sizing([&](std::span<std::uint8_t> out) { return vm::encode_frame(out, view(content), 0xA0); },
               expected_a0, vm::max_frame_size(content.size()));
  check_sizing([&](std::span<std::uint8_t> out) { return vm::encode_frame(out, view(content), 0xA1); },
               expected_a1, vm::max_frame_size(content.size()));
  // No checksum, no validation: an empty frame is just the terminator.
  check_sizing([](std::span<std::uint8_t> out) { return vm::encode_frame(out, {}, 0xA1); }, hex("A1"),
               vm::max_frame_size(0));
  // Content longer than a message is fine here (a test peer can send anything).
  test::random_source rnd(5);
  for (int round = 0; round < 30; ++round) {
    const bytes c = rnd.special_dense_bytes(rnd.below(400));
    bytes expected(2 * c.size() + 1);
    test::reference_encoder ref(expected.data(), expected.size());
    for (std::uint8_t b : c) REQUIRE(ref.add_char(b));
    REQUIRE(ref.add_raw(0xA0));
    expected.resize(ref.size());
    std::vector<std::uint8_t> out(vm::max_frame_size(c.size()));
    const auto r = vm::encode_frame(out, view(c), 0xA0);
    REQUIRE(r.ok());
    CHECK(bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(r.size)) == expected);
  }
}

TEST_CASE("encode_command frames known commands and validates their argument count") {
  check_sizing([](std::span<std::uint8_t> out) { return vm::encode_command(out, command::version, 0x01); },
               hex("FF 01 A1"), vm::max_command_frame_size(1));
  check_sizing([](std::span<std::uint8_t> out) { return vm::encode_command(out, command::attention); },
               hex("01 A1"), vm::max_command_frame_size(0));
  check_sizing([](std::span<std::uint8_t> out) { return vm::encode_command(out, command::capabilities, 0x3F); },
               hex("08 3F A1"), vm::max_command_frame_size(1));
  // An argument that is special is escaped.
  check_sizing([](std::span<std::uint8_t> out) { return vm::encode_command(out, command::capabilities, 0xAA); },
               hex("08 AA BA A1"), vm::max_command_frame_size(1));
  check_sizing([](std::span<std::uint8_t> out) { return vm::encode_command(out, command::version, 0xA1); },
               hex("FF AA B1 A1"), vm::max_command_frame_size(1));

  std::array<std::uint8_t, 16> out{};
  const std::uint8_t two[] = {0x01, 0x02};
  const struct {
    command code;
    std::size_t args;
  } wrong[] = {
      {command::version, 0},     {command::version, 2},      {command::capabilities, 0},
      {command::capabilities, 2}, {command::no_attention, 1}, {command::reset, 2},
      {command::graceful_shutdown, 1},
  };
  for (const auto& w : wrong) {
    CAPTURE(vm::name(w.code));
    CAPTURE(w.args);
    out.fill(guard);
    const auto r = vm::encode_command(out, w.code, std::span<const std::uint8_t>(two, w.args));
    CHECK(r.error == encode_error::wrong_argument_count);
    CHECK(r.size == 0);
    CHECK(out[0] == guard);
  }
}

TEST_CASE("encode_command frames an unknown code with whatever arguments it is given") {
  // A test peer can put any command on the wire; a special code byte is escaped.
  check_sizing([](std::span<std::uint8_t> out) { return vm::encode_command(out, static_cast<command>(0x42)); },
               hex("42 A1"), vm::max_command_frame_size(0));
  const bytes args = hex("A0 01 AA");
  check_sizing(
      [&](std::span<std::uint8_t> out) { return vm::encode_command(out, static_cast<command>(0xA0), view(args)); },
      hex("AA B0 AA B0 01 AA BA A1"), vm::max_frame_size(1 + args.size()));
  for (unsigned code = 0; code < 256; ++code) {
    if (vm::is_known_command(static_cast<std::uint8_t>(code))) continue;
    const bytes a = code % 3 == 0 ? bytes{} : hex("01 02 03");
    std::array<std::uint8_t, 16> out{};
    const auto r = vm::encode_command(out, static_cast<command>(code), view(a));
    REQUIRE(r.ok());
    CHECK(bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(r.size)) ==
          test::reference_command_frame(static_cast<std::uint8_t>(code), view(a)));
  }
}

TEST_CASE("a message body shorter than netfn/LUN and cmd is body_too_short") {
  std::array<std::uint8_t, 32> out{};
  const std::uint8_t one[] = {0x18};
  for (std::size_t n : {std::size_t{0}, std::size_t{1}}) {
    out.fill(guard);
    const auto r = vm::encode_message(out, 0x00, std::span<const std::uint8_t>(one, n));
    CHECK(r.error == encode_error::body_too_short);
    CHECK(r.size == 0);
    CHECK(out[0] == guard);
  }
  // Also with a buffer that is too small: the body is checked first.
  const auto small = vm::encode_message(std::span<std::uint8_t>(out).first(0), 0x00, std::span<const std::uint8_t>(one));
  CHECK(small.error == encode_error::body_too_short);
}

TEST_CASE("a message body longer than QEMU's 300 bytes is body_too_long") {
  std::vector<std::uint8_t> out(vm::max_message_frame_size(400), guard);
  const bytes body301(301, 0x11);
  const auto r = vm::encode_message(out, 0x00, view(body301));
  CHECK(r.error == encode_error::body_too_long);
  CHECK(r.size == 0);
  CHECK(out[0] == guard);

  const bytes body300(300, 0x11);
  const auto ok = vm::encode_message(out, 0x00, view(body300));
  REQUIRE(ok.ok());
  CHECK(bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(ok.size)) ==
        test::reference_message_frame(0x00, view(body300)));

  // The field-wise overload: 2 + 299 data bytes is one too many, 2 + 298 is fine.
  const bytes data299(299, 0x22);
  CHECK(vm::encode_message(out, 0x00, 0x18, 0x01, view(data299)).error == encode_error::body_too_long);
  const bytes data298(298, 0x22);
  CHECK(vm::encode_message(out, 0x00, 0x18, 0x01, view(data298)).ok());
  const bytes data_huge(5000, 0x22);
  CHECK(vm::encode_message(out, 0x00, 0x18, 0x01, view(data_huge)).error == encode_error::body_too_long);
}

TEST_CASE("message_frame_size equals the size actually written") {
  test::random_source rnd(4242);
  std::vector<std::uint8_t> out(vm::max_message_frame_size(vm::max_message_size));
  for (int round = 0; round < 300; ++round) {
    const bytes body = rnd.body(rnd.between(2, vm::max_message_size), round % 3 != 0);
    const std::uint8_t id = rnd.special_dense_byte();
    const auto r = vm::encode_message(out, id, view(body));
    REQUIRE(r.ok());
    CHECK(vm::message_frame_size(id, view(body)) == r.size);
    CHECK(r.size <= vm::max_message_frame_size(body.size()));
  }
}

TEST_CASE("encoded messages equal the reference encoder's for random bodies") {
  test::random_source rnd(2024);
  for (int round = 0; round < 600; ++round) {
    const bool dense = round % 2 == 0;
    const std::size_t n = round % 7 == 0 ? rnd.between(2, 5) : rnd.between(2, vm::max_message_size);
    const bytes body = rnd.body(n, dense);
    const std::uint8_t id = dense ? rnd.special_dense_byte() : rnd.byte();
    const bytes expected = test::reference_message_frame(id, view(body));
    // Worst-case buffer (fast path), exact buffer (checked path), and a size in between.
    for (std::size_t size : {vm::max_message_frame_size(n), expected.size(),
                             expected.size() + (vm::max_message_frame_size(n) - expected.size()) / 2}) {
      std::vector<std::uint8_t> out(size);
      const auto r = vm::encode_message(out, id, view(body));
      REQUIRE(r.ok());
      CHECK(bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(r.size)) == expected);
    }
  }
}

TEST_CASE("encode errors have distinct names") {
  std::set<std::string_view> names;
  for (auto e : {encode_error::ok, encode_error::buffer_too_small, encode_error::body_too_short,
                 encode_error::body_too_long, encode_error::wrong_argument_count}) {
    CHECK_FALSE(vm::name(e).empty());
    names.insert(vm::name(e));
  }
  CHECK(names.size() == 5);
  CHECK(vm::name(encode_error::ok) == "ok");
  CHECK(vm::name(static_cast<encode_error>(99)).empty());
}

TEST_CASE("the emulator greeting is built at run time too") {
  const auto g = vm::make_emulator_greeting(vm::capabilities::from_byte(0xAA));
  CHECK(bytes(g.view().begin(), g.view().end()) == hex("FF 01 A1 08 AA BA A1"));
  const auto q = vm::make_emulator_greeting(vm::qemu_capabilities);
  CHECK(bytes(q.view().begin(), q.view().end()) == hex("FF 01 A1 08 3F A1"));
}

}  // TEST_SUITE

TEST_SUITE("vm") {
  TEST_CASE("the compile-time frame builders give, at run time, the frames encode_message/encode_command give") {
    // The static_asserts above fix the golden frames at compile time; here the same builders
    // run with values only known at run time, against the span encoders and the decoder.
    volatile std::uint8_t seed = 0xA0;  // a special byte: every body below needs escaping
    for (unsigned id = 0; id < 256; id += 51) {
      const auto msg_id = static_cast<std::uint8_t>(id);
      const std::array<std::uint8_t, 4> body{0x18, static_cast<std::uint8_t>(seed),
                                             static_cast<std::uint8_t>(seed + 1), static_cast<std::uint8_t>(seed + 10)};
      const auto f = vm::make_message_frame(msg_id, body);
      std::array<std::uint8_t, vm::max_message_frame_size(4)> out{};
      const auto r = vm::encode_message(out, msg_id, body);
      REQUIRE(r.error == encode_error::ok);
      CAPTURE(id);
      CHECK(f.size == r.size);
      CHECK(f.equals(std::span<const std::uint8_t>(out.data(), r.size)));
      CHECK_FALSE(f.equals(std::span<const std::uint8_t>(out.data(), r.size - 1)));  // shorter
      out[1] ^= 1;
      CHECK_FALSE(f.equals(std::span<const std::uint8_t>(out.data(), r.size)));  // one byte differs
    }
    const std::array<std::uint8_t, 1> one{static_cast<std::uint8_t>(seed - 0x9F)};  // VERSION 1
    const auto version = vm::make_command_frame(command::version, one);
    CHECK(version.equals(hex("FF 01 A1")));
    const auto reset = vm::make_command_frame(command::reset);
    CHECK(reset.equals(hex("04 A1")));
    CHECK(vm::make_command_frame(command::version).size == 0);  // VERSION needs its argument
    const auto greeting = vm::make_emulator_greeting(vm::capabilities::from_byte(static_cast<std::uint8_t>(seed - 0x61)));
    CHECK(greeting.equals(hex("FF 01 A1 08 3F A1")));
  }
}
