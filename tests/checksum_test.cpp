// tests/checksum_test.cpp — ipmikit/checksum.hpp against the IPMI two's-complement rule.
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include <ipmikit/checksum.hpp>

#include "test_support.hpp"

using namespace ipmikit;
using test::bytes;
using test::hex;
using test::view;

namespace {

// Compile time: the checksum of QEMU's first Get Device ID request (qemu.md §1.5) is 0xE7,
// and of Set BMC Global Enables 0x0F with msg_id 1 it is 0xAA.
constexpr std::array<std::uint8_t, 3> get_device_id_request{0x00, 0x18, 0x01};
constexpr std::array<std::uint8_t, 4> set_global_enables_request{0x01, 0x18, 0x2E, 0x0F};
static_assert(compute_checksum(get_device_id_request) == 0xE7);
static_assert(compute_checksum(set_global_enables_request) == 0xAA);
static_assert(checksum{}.add(0x18).add(0x01).value() == 0xE7);
static_assert(checksum{}.add(0xFF).add(0xFF).sum() == 0xFE);
static_assert(checksum{}.value() == 0x00 && checksum{}.valid());
static_assert(checksum_ok(std::array<std::uint8_t, 4>{0x00, 0x18, 0x01, 0xE7}));
static_assert(!checksum_ok(std::array<std::uint8_t, 4>{0x00, 0x18, 0x01, 0xE8}));
static_assert(!checksum_ok(std::span<const std::uint8_t>{}));
static_assert(checksum_ok(std::array<std::uint8_t, 1>{0x00}));
static_assert(noexcept(checksum{}.add(std::uint8_t{1})));
static_assert(noexcept(compute_checksum(std::span<const std::uint8_t>{})));

// The unescaped frame contents (msg_id … checksum) of every frame in the reference documents.
const char* const golden_frames[] = {
    "00 18 01 E7",                                                    // qemu.md §1.5 request
    "00 1C 01 00 20 00 00 00 02 09 00 00 00 00 00 B8",                // qemu.md §1.5 reply
    "01 18 2E 0F AA",                                                 // checksum 0xAA
    "01 1C 2E 00 B5",                                                 // its reply
    "02 18 01 E5",                                                    // third request
    "01 18 01 E6",                                                    // openipmi.md §2 (live)
    "01 1C 01 00 00 03 09 08 02 9F 91 12 00 02 0F 00 00 00 00 79",    // ipmi_sim's reply (live)
    "00 1C 01 00 20 81 02 17 02 BF 57 01 00 A0 00 00 00 00 00 70",    // qemu-live.md reply
};

}  // namespace

TEST_SUITE("checksum") {

TEST_CASE("the checksum of the golden frames makes them sum to zero") {
  for (const char* text : golden_frames) {
    const bytes frame = hex(text);
    CAPTURE(text);
    CHECK(checksum_ok(view(frame)));
    const auto covered = view(frame).first(frame.size() - 1);
    CHECK(compute_checksum(covered) == frame.back());
    CHECK(compute_checksum(covered) == test::reference_checksum(covered));
  }
}

TEST_CASE("checksum_ok rejects a golden frame with any single bit flipped") {
  for (const char* text : golden_frames) {
    const bytes frame = hex(text);
    for (std::size_t i = 0; i < frame.size(); ++i) {
      for (unsigned bit = 0; bit < 8; ++bit) {
        bytes bad = frame;
        bad[i] = static_cast<std::uint8_t>(bad[i] ^ (1u << bit));
        CAPTURE(text);
        CAPTURE(i);
        CAPTURE(bit);
        CHECK_FALSE(checksum_ok(view(bad)));
      }
    }
  }
}

TEST_CASE("an empty span is never a valid checksummed frame, a single zero byte is") {
  CHECK_FALSE(checksum_ok(std::span<const std::uint8_t>{}));
  const std::uint8_t zero[] = {0x00};
  const std::uint8_t one[] = {0x01};
  CHECK(checksum_ok(zero));
  CHECK_FALSE(checksum_ok(one));
  CHECK(compute_checksum(std::span<const std::uint8_t>{}) == 0x00);
}

TEST_CASE("value() is the byte that makes the covered bytes sum to zero") {
  test::random_source rnd(0xC0FFEE);
  for (int round = 0; round < 500; ++round) {
    const bytes b = rnd.random_bytes(rnd.below(200));
    checksum c;
    c.add(view(b));
    const std::uint8_t v = c.value();
    CHECK(v == test::reference_checksum(view(b)));
    CHECK(static_cast<std::uint8_t>(c.sum() + v) == 0);
    CHECK(c.valid() == (c.sum() == 0));
    c.add(v);
    CHECK(c.valid());
    CHECK(c.sum() == 0);
    bytes with = b;
    with.push_back(v);
    CHECK(checksum_ok(view(with)));
  }
}

TEST_CASE("incremental checksums equal the one-shot checksum for every split") {
  test::random_source rnd(1234);
  for (int round = 0; round < 200; ++round) {
    const bytes b = rnd.random_bytes(rnd.below(80));
    const std::uint8_t expected = test::reference_checksum(view(b));
    REQUIRE(compute_checksum(view(b)) == expected);
    for (std::size_t at = 0; at <= b.size(); ++at) {
      checksum c;
      c.add(view(b).first(at)).add(view(b).subspan(at));
      CHECK(c.value() == expected);
    }
    checksum bytewise;
    for (std::uint8_t x : b) bytewise.add(x);
    CHECK(bytewise.value() == expected);
    CHECK(bytewise.sum() == static_cast<std::uint8_t>(0u - expected));
  }
}

TEST_CASE("the vectorised sum agrees with the scalar sum at every length and alignment") {
  test::random_source rnd(99);
  bytes buffer = rnd.random_bytes(600);
  // All-0xFF maximises carries in the 16-bit SAD lanes.
  bytes ones(600, 0xFF);
  for (const bytes* src : {&buffer, &ones}) {
    for (std::size_t offset = 0; offset < 17; ++offset) {
      for (std::size_t len = 0; len + offset <= 200; ++len) {
        const auto s = view(*src).subspan(offset, len);
        CHECK(compute_checksum(s) == test::reference_checksum(s));
      }
      const auto big = view(*src).subspan(offset);
      CHECK(compute_checksum(big) == test::reference_checksum(big));
    }
  }
}

TEST_CASE("reset() starts a fresh sum") {
  checksum c;
  c.add(0x12).add(0x34);
  REQUIRE(c.sum() == 0x46);
  c.reset();
  CHECK(c.sum() == 0);
  CHECK(c.valid());
  c.add(0x18).add(0x01);
  CHECK(c.value() == 0xE7);
}

TEST_CASE("constexpr and run-time checksums agree") {
  constexpr auto at_compile_time = compute_checksum(set_global_enables_request);
  const std::vector<std::uint8_t> v(set_global_enables_request.begin(), set_global_enables_request.end());
  CHECK(compute_checksum(view(v)) == at_compile_time);
}

TEST_CASE("crc32 is zlib's CRC-32: the check value, incremental, and every bit flip detected") {
  constexpr std::array<std::uint8_t, 9> digits{'1', '2', '3', '4', '5', '6', '7', '8', '9'};
  static_assert(crc32(digits) == 0xCBF43926u);  // the CRC-32 check value (zlib, PNG, Ethernet)
  CHECK(crc32(std::span<const std::uint8_t>{}) == 0);
  CHECK(crc32(std::span(digits).subspan(4), crc32(std::span(digits).first(4))) == 0xCBF43926u);
  std::array<std::uint8_t, 9> flipped = digits;
  for (std::size_t bit = 0; bit < flipped.size() * 8; ++bit) {
    flipped[bit / 8] = static_cast<std::uint8_t>(flipped[bit / 8] ^ (1u << (bit % 8)));
    CHECK(crc32(flipped) != 0xCBF43926u);
    flipped = digits;
  }
}

}  // TEST_SUITE
