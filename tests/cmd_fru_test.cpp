// FRU inventory (include/ipmikit/cmd/fru.hpp): the FRU commands (Storage NetFn 0Ah) and the FRU
// information storage format: known byte layouts, the codec laws on generated values, a whole
// image built and parsed back, each bad-input class by name, and compile-time use.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <ipmikit/cmd/fru.hpp>

#include "cmd_support.hpp"

using namespace ipmikit;
using test::bytes;

namespace {

template <class Area>
bytes encode_area(const Area& a) {
  std::array<std::uint8_t, 4096> out{};
  const cmd::fru_encoded e = a.encode(out);
  REQUIRE_MESSAGE(e, "encode failed: ", cmd::name(e.error));
  return bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(e.size));
}

cmd::fru_field text(std::string_view s) {
  const auto f = cmd::fru_field::of_text(s);
  REQUIRE_MESSAGE(f, "of_text: ", cmd::name(f.error));
  return *f;
}

std::string field_text(const cmd::fru_field& f) {
  std::array<char, 128> out{};
  const auto e = f.text(out);
  REQUIRE_MESSAGE(e, "text(): ", cmd::name(e.error));
  return std::string(out.data(), e.size);
}

/// Sets an area's last byte so that its bytes sum to 0 again.
void fix_checksum(std::span<std::uint8_t> area) {
  area.back() = cmd::fru_checksum(area.first(area.size() - 1));
}

/// What parse() says of chassis area `a` once byte `at` is `value` and the checksum fixed.
template <std::size_t N>
cmd::fru_error chassis_with(std::array<std::uint8_t, N>& a, std::size_t at, std::uint8_t value) {
  a[at] = value;
  fix_checksum(a);
  return cmd::fru_chassis_info::parse(a).error;
}

bool sums_to_zero(std::span<const std::uint8_t> b) {
  unsigned s = 0;
  for (std::uint8_t x : b) s += x;
  return (s & 0xFF) == 0;
}

cmd::fru_field random_field(test::random_source& rng) {
  cmd::fru_field f;
  f.type = static_cast<cmd::fru_field_type>(rng.below(4));
  std::size_t n = rng.below(64);
  if (rng.chance(20)) n = 0;
  if (f.type == cmd::fru_field_type::text && n == 1) n = 2;
  f.length = static_cast<std::uint8_t>(n);
  for (std::size_t i = 0; i < n; ++i) f.data[i] = rng.byte();
  return f;
}

cmd::fru_custom_fields random_custom(test::random_source& rng) {
  cmd::fru_custom_fields c;
  const std::size_t n = rng.below(cmd::fru_custom_capacity + 1);
  for (std::size_t i = 0; i < n; ++i) REQUIRE(c.add(random_field(rng)));
  return c;
}

cmd::fru_chassis_info random_chassis(test::random_source& rng) {
  cmd::fru_chassis_info a;
  a.chassis_type = rng.byte();
  a.part_number = random_field(rng);
  a.serial_number = random_field(rng);
  a.custom = random_custom(rng);
  return a;
}

cmd::fru_board_info random_board(test::random_source& rng) {
  cmd::fru_board_info a;
  a.language = rng.byte();
  a.mfg_minutes = static_cast<std::uint32_t>(rng.below(0x1000000));
  for (auto* f : {&a.manufacturer, &a.product_name, &a.serial_number, &a.part_number, &a.fru_file_id})
    *f = random_field(rng);
  a.custom = random_custom(rng);
  return a;
}

cmd::fru_product_info random_product(test::random_source& rng) {
  cmd::fru_product_info a;
  a.language = rng.byte();
  for (auto* f :
       {&a.manufacturer, &a.product_name, &a.part_number, &a.version, &a.serial_number, &a.asset_tag, &a.fru_file_id})
    *f = random_field(rng);
  a.custom = random_custom(rng);
  return a;
}

/// An area's encoding: a multiple of 8 bytes, version 01h, its length byte right, C1h before
/// the padding, summing to 0; and it parses back to the same value.
template <class Area>
void check_area_round_trip(const Area& a) {
  const bytes b = encode_area(a);
  REQUIRE(b.size() % 8 == 0);
  CHECK(b[0] == 0x01);
  CHECK(b[1] * 8u == b.size());
  CHECK(sums_to_zero(b));
  const auto p = Area::parse(b);
  REQUIRE_MESSAGE(p, "parse(encode(a)) failed: ", cmd::name(p.error));
  CHECK(p.value == a);
  // Too small a buffer: refused, whatever the shortfall.
  std::vector<std::uint8_t> small(b.size() - 1);
  CHECK(a.encode(small).error == cmd::fru_error::buffer_too_small);
  // Every truncation of the area: a named error, never a value.
  for (std::size_t n = 0; n < b.size(); n += 3) {
    const auto t = Area::parse(std::span(b).first(n));
    CHECK_FALSE(t);
    CHECK(t.value == Area{});
  }
}

/// Arbitrary bytes into an area parser: a named error, or a value that encodes and parses back
/// unchanged.
template <class Area>
void check_area_any(std::span<const std::uint8_t> in) {
  const auto p = Area::parse(in);
  if (!p) {
    CHECK(!cmd::name(p.error).empty());
    CHECK(p.value == Area{});
    return;
  }
  const bytes b = encode_area(p.value);
  const auto again = Area::parse(b);
  REQUIRE(again);
  CHECK(again.value == p.value);
}

/// A random area-shaped byte string: version 01h, a plausible length, random fields, C1h, and
/// a right checksum most of the time, so parsing gets past the first checks.
bytes random_area_bytes(test::random_source& rng) {
  const std::size_t blocks = rng.between(1, 12);
  bytes b = rng.random_bytes(blocks * 8);
  b[0] = 0x01;
  b[1] = static_cast<std::uint8_t>(blocks);
  std::size_t pos = 2 + rng.below(5);
  while (pos + 1 < b.size()) {
    if (rng.chance(15)) {
      b[pos] = 0xC1;
      break;
    }
    const std::size_t len = rng.below(8);
    b[pos] = static_cast<std::uint8_t>((rng.below(4) << 6) | len);
    pos += 1 + len;
  }
  if (rng.chance(90)) fix_checksum(b);
  return b;
}

// A chassis area by hand (FRU spec §10): version 01h, 2 blocks, rack mount (17h), part number
// "P1" (C2h 50h 31h), serial "S1", C1h, five pad bytes, checksum 9Ch.
constexpr std::array<std::uint8_t, 16> chassis_area{0x01, 0x02, 0x17, 0xC2, 0x50, 0x31, 0xC2, 0x53,
                                                    0x31, 0xC1, 0x00, 0x00, 0x00, 0x00, 0x00, 0x9C};

}  // namespace

TEST_SUITE("cmd") {
  // ------------------------------------------------------------------------------------------
  // Storage format

  TEST_CASE("cmd fru: 6-bit packed ASCII: \"IPMI\" is 29 DC A6, and back") {
    std::array<std::uint8_t, 8> packed{};
    const auto e = cmd::encode_ascii6("IPMI", packed);
    REQUIRE(e);
    CHECK(e.size == 3);
    CHECK(bytes(packed.begin(), packed.begin() + 3) == bytes{0x29, 0xDC, 0xA6});
    std::array<char, 8> chars{};
    const auto d = cmd::decode_ascii6(std::span(packed).first(3), chars);
    REQUIRE(d);
    CHECK(std::string_view(chars.data(), d.size) == "IPMI");

    // 5 characters take 4 bytes; the 2 spare bits decode as nothing (32 / 6 = 5).
    const auto f = cmd::fru_field::of_ascii6("ABC12");
    REQUIRE(f);
    CHECK(f->type == cmd::fru_field_type::ascii6);
    CHECK(f->length == 4);
    CHECK(f->type_length() == 0x84);
    CHECK(field_text(*f) == "ABC12");
    // 3 characters take 3 bytes, which hold 4: the packer's zero bits come back as a space.
    CHECK(field_text(*cmd::fru_field::of_ascii6("XYZ")) == "XYZ ");

    SUBCASE("characters 6-bit ASCII cannot carry are out of range") {
      CHECK(cmd::encode_ascii6("ipmi", packed).error == cmd::fru_error::out_of_range);
      CHECK(cmd::encode_ascii6("A\x7F", packed).error == cmd::fru_error::out_of_range);
      CHECK(cmd::encode_ascii6("AB\n", packed).error == cmd::fru_error::out_of_range);
      CHECK(cmd::fru_field::of_ascii6("`").error == cmd::fru_error::out_of_range);
    }
    SUBCASE("output too small") {
      CHECK(cmd::encode_ascii6("IPMI", std::span(packed).first(2)).error == cmd::fru_error::buffer_too_small);
      CHECK(cmd::decode_ascii6(std::span(packed).first(3), std::span(chars).first(3)).error ==
            cmd::fru_error::buffer_too_small);
    }
    SUBCASE("every character from 20h to 5Fh, in strings of every length mod 4") {
      test::random_source rng(3601);
      for (int i = 0; i < 300; ++i) {
        std::string s(rng.below(85), ' ');
        for (auto& c : s) c = static_cast<char>(rng.between(0x20, 0x5F));
        const auto g = cmd::fru_field::of_ascii6(s);
        REQUIRE(g);
        CHECK(g->length == (s.size() * 3 + 3) / 4);
        const std::string back = field_text(*g);
        CHECK(back.substr(0, s.size()) == s);
        CHECK(back.size() - s.size() == (s.size() % 4 == 3 ? 1u : 0u));
      }
      CHECK(cmd::fru_field::of_ascii6(std::string(85, 'A')).error == cmd::fru_error::field_too_long);
    }
  }

  TEST_CASE("cmd fru: fields: type/length bytes, the 1-byte text field C1h cannot be, 63 bytes at most") {
    CHECK(text("").type_length() == cmd::fru_empty_field);
    CHECK(text("Acme").type_length() == 0xC4);
    CHECK(field_text(text("Acme")) == "Acme");
    CHECK(cmd::fru_field::of_text("X").error == cmd::fru_error::reserved_field);
    CHECK(cmd::fru_field::of_text(std::string(63, 'x')));
    CHECK(cmd::fru_field::of_text(std::string(64, 'x')).error == cmd::fru_error::field_too_long);
    const std::array<std::uint8_t, 1> one{0x42};
    const auto bin = cmd::fru_field::of(cmd::fru_field_type::binary, one);
    REQUIRE(bin);
    CHECK(bin->type_length() == 0x01);
    std::array<char, 4> out{};
    CHECK(bin->text(out).error == cmd::fru_error::out_of_range);
    CHECK(cmd::fru_field::of(cmd::fru_field_type::bcd_plus, one)->type_length() == 0x41);
  }

  TEST_CASE("cmd fru: board manufacturing time: minutes since 1996-01-01 00:00 UTC") {
    CHECK(cmd::fru_time_to_unix(0) == 820454400);
    CHECK(cmd::fru_time_to_unix(1) == 820454460);
    // 2020-01-01 00:00 UTC = 1577836800 s = 12623040 (C09CC0h) minutes after 1996.
    CHECK(cmd::fru_time_to_unix(0xC09CC0) == 1577836800);
    CHECK(*cmd::fru_time_from_unix(1577836800) == 0xC09CC0u);
    CHECK(*cmd::fru_time_from_unix(1577836859) == 0xC09CC0u);  // rounded down to the minute
    CHECK(*cmd::fru_time_from_unix(820454400) == 0u);
    SUBCASE("out of range: before 1996, past 24 bits of minutes") {
      CHECK(cmd::fru_time_from_unix(820454399).error == cmd::fru_error::out_of_range);
      CHECK(cmd::fru_time_from_unix(0).error == cmd::fru_error::out_of_range);
      CHECK(*cmd::fru_time_from_unix(cmd::fru_time_to_unix(0xFFFFFF)) == 0xFFFFFFu);
      CHECK(cmd::fru_time_from_unix(cmd::fru_time_to_unix(0xFFFFFF) + 60).error == cmd::fru_error::out_of_range);
      cmd::fru_board_info b;
      b.mfg_minutes = 0x1000000;
      std::array<std::uint8_t, 64> out{};
      CHECK(b.encode(out).error == cmd::fru_error::out_of_range);
    }
    // The three bytes go LS first.
    cmd::fru_board_info b;
    b.mfg_minutes = 0xC09CC0;
    const bytes area = encode_area(b);
    CHECK(area[3] == 0xC0);
    CHECK(area[4] == 0x9C);
    CHECK(area[5] == 0xC0);
    CHECK(cmd::fru_board_info::parse(area)->mfg_time_unix() == 1577836800);
  }

  TEST_CASE("cmd fru: a chassis area byte for byte") {
    cmd::fru_chassis_info c;
    c.chassis_type = 0x17;
    c.part_number = text("P1");
    c.serial_number = text("S1");
    CHECK(encode_area(c) == bytes(chassis_area.begin(), chassis_area.end()));
    const auto p = cmd::fru_chassis_info::parse(chassis_area);
    REQUIRE(p);
    CHECK(p->chassis_type == 0x17);
    CHECK(field_text(p->part_number) == "P1");
    CHECK(field_text(p->serial_number) == "S1");
    CHECK(p->custom.count == 0);
    CHECK(p.value == c);
  }

  TEST_CASE("cmd fru: an image with all three areas is built, checksummed and parsed back") {
    cmd::fru_image img;
    img.has_chassis = true;
    img.chassis.chassis_type = 0x17;
    img.chassis.part_number = text("CH-0001");
    img.chassis.serial_number = *cmd::fru_field::of_ascii6("SN12345");
    REQUIRE(img.chassis.custom.add(text("chassis custom")));
    img.has_board = true;
    img.board.mfg_minutes = *cmd::fru_time_from_unix(1577836800);
    img.board.manufacturer = text("ipmikit");
    img.board.product_name = text("Virtual BMC board");
    img.board.serial_number = text("B-42");
    img.board.part_number = text("PN-7");
    img.board.fru_file_id = text("");
    img.has_product = true;
    img.product.manufacturer = text("ipmikit");
    img.product.product_name = text("vbmc");
    img.product.part_number = text("M-1");
    img.product.version = text("1.0");
    img.product.serial_number = text("P-0001");
    img.product.asset_tag = text("ASSET-9");
    img.product.fru_file_id = text("");
    REQUIRE(img.product.custom.add(text("c1")));
    REQUIRE(img.product.custom.add(*cmd::fru_field::of(cmd::fru_field_type::binary, bytes{0xDE, 0xAD})));

    const bytes b = encode_area(img);
    REQUIRE(b.size() % 8 == 0);
    // The header: version 01h, no internal use area, chassis at 8 (block 1), board and product
    // after it, no multirecord area, pad 00h, the checksum.
    const auto h = cmd::fru_common_header::parse(b);
    REQUIRE(h);
    CHECK(b[0] == 0x01);
    CHECK(b[1] == 0x00);
    CHECK(b[2] == 0x01);
    CHECK(b[5] == 0x00);
    CHECK(b[6] == 0x00);
    CHECK(sums_to_zero(std::span(b).first(8)));
    CHECK(h->chassis_offset == 1);
    // Each area: where the header says, 8-byte blocks back to back, summing to 0.
    const std::size_t chassis_at = h->chassis_offset * 8u;
    const std::size_t board_at = h->board_offset * 8u;
    const std::size_t product_at = h->product_offset * 8u;
    CHECK(board_at == chassis_at + b[chassis_at + 1] * 8u);
    CHECK(product_at == board_at + b[board_at + 1] * 8u);
    CHECK(b.size() == product_at + b[product_at + 1] * 8u);
    CHECK(sums_to_zero(std::span(b).subspan(chassis_at, b[chassis_at + 1] * 8u)));
    CHECK(sums_to_zero(std::span(b).subspan(board_at, b[board_at + 1] * 8u)));
    CHECK(sums_to_zero(std::span(b).subspan(product_at, b[product_at + 1] * 8u)));
    // The board area's first bytes: version, length, English, the time LS first, then
    // "ipmikit" as C7h and its 7 bytes.
    CHECK(bytes(b.begin() + static_cast<std::ptrdiff_t>(board_at) + 2,
                b.begin() + static_cast<std::ptrdiff_t>(board_at) + 14) ==
          bytes{0x00, 0xC0, 0x9C, 0xC0, 0xC7, 'i', 'p', 'm', 'i', 'k', 'i', 't'});

    const auto p = cmd::fru_image::parse(b);
    REQUIRE_MESSAGE(p, cmd::name(p.error));
    CHECK(p.value == img);
    CHECK(field_text(p->chassis.serial_number) == "SN12345 ");  // 7 characters pack into 6 bytes = 8
    CHECK(field_text(p->board.product_name) == "Virtual BMC board");
    CHECK(p->board.mfg_time_unix() == 1577836800);
    CHECK(field_text(p->product.asset_tag) == "ASSET-9");
    REQUIRE(p->product.custom.count == 2);
    CHECK(p->product.custom.fields[1].type == cmd::fru_field_type::binary);
    CHECK(bytes(p->product.custom.fields[1].bytes().begin(), p->product.custom.fields[1].bytes().end()) ==
          bytes{0xDE, 0xAD});

    SUBCASE("an image without a chassis area") {
      cmd::fru_image only = img;
      only.has_chassis = false;
      only.chassis = {};
      const bytes o = encode_area(only);
      CHECK(o[2] == 0x00);
      CHECK(o[3] == 0x01);
      CHECK(cmd::fru_image::parse(o).value == only);
    }
    SUBCASE("an area offset past the image") {
      bytes cut(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(product_at));
      CHECK(cmd::fru_image::parse(cut).error == cmd::fru_error::length_past_end);
      cut.assign(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(product_at) + 8);  // the product
      // area begins, but its length runs past the end
      CHECK(cmd::fru_image::parse(cut).error == cmd::fru_error::length_past_end);
    }
    SUBCASE("a header with a bad checksum, a bad version, too few bytes") {
      bytes bad = b;
      bad[3] = static_cast<std::uint8_t>(bad[3] + 1);
      CHECK(cmd::fru_image::parse(bad).error == cmd::fru_error::bad_checksum);
      bad = b;
      bad[0] = 0x02;
      fix_checksum(std::span(bad).first(8));
      CHECK(cmd::fru_common_header::parse(bad).error == cmd::fru_error::bad_version);
      CHECK(cmd::fru_common_header::parse(std::span(b).first(7)).error == cmd::fru_error::too_short);
    }
    SUBCASE("a corrupted byte inside an area") {
      bytes bad = b;
      bad[board_at + 6] ^= 0x01;
      CHECK(cmd::fru_image::parse(bad).error == cmd::fru_error::bad_checksum);
    }
  }

  TEST_CASE("cmd fru: generated areas round-trip; arbitrary bytes give a named error or a round trip") {
    test::random_source rng(3602);
    for (int i = 0; i < 300; ++i) {
      check_area_round_trip(random_chassis(rng));
      check_area_round_trip(random_board(rng));
      check_area_round_trip(random_product(rng));
    }
    for (int i = 0; i < 3000; ++i) {
      const bytes b = rng.chance(50) ? random_area_bytes(rng) : rng.random_bytes(rng.below(80));
      check_area_any<cmd::fru_chassis_info>(b);
      check_area_any<cmd::fru_board_info>(b);
      check_area_any<cmd::fru_product_info>(b);
    }
    for (int i = 0; i < 500; ++i) {
      const bytes b = rng.random_bytes(rng.below(12));
      const auto h = cmd::fru_common_header::parse(b);
      if (!h) continue;
      std::array<std::uint8_t, 8> out{};
      REQUIRE(h->encode(out));
      CHECK(bytes(out.begin(), out.begin() + 5) == bytes(b.begin(), b.begin() + 5));
    }
  }

  TEST_CASE("cmd fru: an area refuses each bad input by name") {
    std::array<std::uint8_t, 16> a = chassis_area;
    SUBCASE("bad checksum") {
      a[15] = static_cast<std::uint8_t>(a[15] + 1);
      CHECK(cmd::fru_chassis_info::parse(a).error == cmd::fru_error::bad_checksum);
    }
    SUBCASE("bad version") {
      CHECK(chassis_with(a, 0, 0x02) == cmd::fru_error::bad_version);
    }
    SUBCASE("the area's length past the bytes given") {
      CHECK(cmd::fru_chassis_info::parse(std::span(a).first(15)).error == cmd::fru_error::length_past_end);
      a[1] = 3;
      CHECK(cmd::fru_chassis_info::parse(a).error == cmd::fru_error::length_past_end);
    }
    SUBCASE("too short: no length byte, a length of 0") {
      CHECK(cmd::fru_chassis_info::parse(std::span(a).first(1)).error == cmd::fru_error::too_short);
      a[1] = 0;
      CHECK(cmd::fru_chassis_info::parse(a).error == cmd::fru_error::too_short);
      // A 1-block board area holds the language and the 3 date bytes; its first field (00h, an
      // empty binary field) leaves only the checksum byte where the next field should begin.
      std::array<std::uint8_t, 8> tiny{0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
      fix_checksum(tiny);
      CHECK(cmd::fru_board_info::parse(tiny).error == cmd::fru_error::missing_end_marker);
    }
    SUBCASE("a field running past its area") {
      // the serial number claims 12 bytes; 8 are left before the checksum
      CHECK(chassis_with(a, 6, 0xCC) == cmd::fru_error::field_overrun);
      // 9 bytes: the last would be the checksum byte, one too many
      CHECK(chassis_with(a, 6, 0xC9) == cmd::fru_error::field_overrun);
      // 8 fit, but then the checksum is where C1h should be
      CHECK(chassis_with(a, 6, 0xC8) == cmd::fru_error::missing_end_marker);
    }
    SUBCASE("a missing end marker") {
      // an empty binary custom field where C1h was, then only padding fields
      CHECK(chassis_with(a, 9, 0x00) == cmd::fru_error::missing_end_marker);
    }
    SUBCASE("C1h before the predefined fields end") {
      CHECK(chassis_with(a, 6, 0xC1) == cmd::fru_error::missing_field);
    }
    SUBCASE("more custom fields than fru_custom_capacity") {
      cmd::fru_chassis_info c;
      for (std::size_t i = 0; i < cmd::fru_custom_capacity; ++i) REQUIRE(c.custom.add(text("")));
      CHECK_FALSE(c.custom.add(text("")));
      bytes b = encode_area(c);
      CHECK(cmd::fru_chassis_info::parse(b));
      // One more empty field (C0h) where C1h was, and C1h after it.
      const std::size_t end = 2 + 1 + 2 + cmd::fru_custom_capacity;
      REQUIRE(b[end] == 0xC1);
      b[end] = 0xC0;
      b[end + 1] = 0xC1;
      fix_checksum(b);
      CHECK(cmd::fru_chassis_info::parse(b).error == cmd::fru_error::too_many_custom_fields);
      c.custom.count = cmd::fru_custom_capacity + 1;
      std::array<std::uint8_t, 256> out{};
      CHECK(c.encode(out).error == cmd::fru_error::too_many_custom_fields);
    }
    SUBCASE("fields that cannot be written") {
      cmd::fru_product_info p;
      std::array<std::uint8_t, 1024> out{};
      p.version.type = cmd::fru_field_type::text;
      p.version.length = 1;
      CHECK(p.encode(out).error == cmd::fru_error::reserved_field);
      p.version.length = 64;
      CHECK(p.encode(out).error == cmd::fru_error::field_too_long);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Commands

  TEST_CASE("cmd fru: Read FRU Data, Write FRU Data and Get FRU Inventory Area Info, known bytes") {
    // ipmitool reads the common header first: device 0, offset 0, 8 bytes.
    CHECK(test::encode_bytes(cmd::read_fru_data::request{0, 0x0000, 8}) == bytes{0x00, 0x00, 0x00, 0x08});
    CHECK(test::encode_bytes(cmd::read_fru_data::request{3, 0x0110, 0x20}) == bytes{0x03, 0x10, 0x01, 0x20});
    bytes rs{0x08};
    rs.insert(rs.end(), chassis_area.begin(), chassis_area.begin() + 8);
    const auto r = cmd::read_fru_data::response::parse(rs);
    REQUIRE(r);
    CHECK(r->length == 8);
    CHECK(bytes(r->bytes().begin(), r->bytes().end()) == bytes(chassis_area.begin(), chassis_area.begin() + 8));
    CHECK(test::encode_bytes(r.value) == rs);

    cmd::write_fru_data::request w;
    w.fru_device_id = 0;
    w.offset = 0x0208;
    REQUIRE(w.assign(bytes{0xAA, 0xBB, 0xCC}));
    CHECK(test::encode_bytes(w) == bytes{0x00, 0x08, 0x02, 0xAA, 0xBB, 0xCC});
    CHECK(cmd::write_fru_data::request::parse(bytes{0x00, 0x08, 0x02, 0xAA, 0xBB, 0xCC}).value == w);
    CHECK(test::encode_bytes(cmd::write_fru_data::response{3}) == bytes{0x03});

    // QEMU's ipmi-bmc-sim default: 1024 bytes, byte access.
    const auto info = cmd::get_fru_inventory_area_info::response::parse(bytes{0x00, 0x04, 0x00});
    REQUIRE(info);
    CHECK(info->area_size == 1024);
    CHECK_FALSE(info->word_access);
    CHECK(test::encode_bytes(cmd::get_fru_inventory_area_info::response{0x0100, true}) == bytes{0x00, 0x01, 0x01});
    CHECK(test::encode_bytes(cmd::get_fru_inventory_area_info::request{0}) == bytes{0x00});
    static_assert(cmd::read_fru_data::id == command_id{netfn::storage, 0x11});
  }

  TEST_CASE("cmd fru: the FRU commands refuse each bad input by name") {
    SUBCASE("truncated") {
      CHECK(cmd::read_fru_data::request::parse(bytes{0, 0, 0}).error == cmd::parse_error::too_short);
      CHECK(cmd::read_fru_data::response::parse(bytes{0x04, 1, 2, 3}).error == cmd::parse_error::too_short);
      CHECK(cmd::read_fru_data::response::parse(bytes{}).error == cmd::parse_error::too_short);
      CHECK(cmd::write_fru_data::request::parse(bytes{0, 0, 0}).error == cmd::parse_error::too_short);
      CHECK(cmd::get_fru_inventory_area_info::response::parse(bytes{0, 4}).error == cmd::parse_error::too_short);
    }
    SUBCASE("oversized") {
      CHECK(cmd::read_fru_data::request::parse(bytes{0, 0, 0, 1, 0}).error == cmd::parse_error::too_long);
      CHECK(cmd::read_fru_data::response::parse(bytes{0x02, 1, 2, 3}).error == cmd::parse_error::too_long);
      CHECK(cmd::write_fru_data::request::parse(bytes(3 + 256, 0)).error == cmd::parse_error::too_long);
      CHECK(cmd::write_fru_data::response::parse(bytes{1, 2}).error == cmd::parse_error::too_long);
    }
    SUBCASE("reserved values: device ID FFh, access-type bits") {
      CHECK(cmd::get_fru_inventory_area_info::request::parse(bytes{0xFF}).error == cmd::parse_error::reserved_value);
      CHECK(cmd::read_fru_data::request::parse(bytes{0xFF, 0, 0, 1}).error == cmd::parse_error::reserved_value);
      CHECK(cmd::write_fru_data::request::parse(bytes{0xFF, 0, 0, 1}).error == cmd::parse_error::reserved_value);
      CHECK(cmd::get_fru_inventory_area_info::response::parse(bytes{0, 4, 0x02}).error ==
            cmd::parse_error::reserved_value);
    }
    SUBCASE("out of range: a count of 0") {
      CHECK(cmd::read_fru_data::request::parse(bytes{0, 0, 0, 0}).error == cmd::parse_error::out_of_range);
      std::array<std::uint8_t, 4> out{};
      CHECK(cmd::read_fru_data::request{0, 0, 0}.encode(out).error == cmd::encode_error::out_of_range);
      cmd::write_fru_data::request w;
      std::array<std::uint8_t, 8> wout{};
      CHECK(w.encode(wout).error == cmd::encode_error::out_of_range);
    }
  }

  TEST_CASE("cmd fru: the FRU commands obey the codec laws on generated values; arbitrary bytes never crash") {
    test::random_source rng(3603);
    for (int i = 0; i < 300; ++i) {
      test::check_codec_laws(cmd::get_fru_inventory_area_info::request{static_cast<std::uint8_t>(rng.below(255))});
      test::check_codec_laws(
          cmd::get_fru_inventory_area_info::response{static_cast<std::uint16_t>(rng.below(0x10000)), rng.chance(50)});
      test::check_codec_laws(cmd::read_fru_data::request{static_cast<std::uint8_t>(rng.below(255)),
                                                         static_cast<std::uint16_t>(rng.below(0x10000)),
                                                         static_cast<std::uint8_t>(rng.between(1, 255))});
      cmd::read_fru_data::response rr;
      REQUIRE(rr.assign(rng.random_bytes(rng.chance(10) ? 255 : rng.below(256))));
      test::check_codec_laws(rr);
      cmd::write_fru_data::request w;
      w.fru_device_id = static_cast<std::uint8_t>(rng.below(255));
      w.offset = static_cast<std::uint16_t>(rng.below(0x10000));
      REQUIRE(w.assign(rng.random_bytes(rng.chance(10) ? 255 : rng.between(1, 255))));
      test::check_codec_laws(w);
      test::check_codec_laws(cmd::write_fru_data::response{rng.byte()});
    }
    test::check_parse_random_each<cmd::get_fru_inventory_area_info::request,
                                  cmd::get_fru_inventory_area_info::response>(rng, 500);
    test::check_parse_random_each<cmd::read_fru_data::request, cmd::read_fru_data::response,
                                  cmd::write_fru_data::request>(rng, 1000);
    test::check_parse_random<cmd::write_fru_data::response>(rng, 300);
    // Random bytes rarely have a matching count: make it match, then nothing else can fail.
    for (int i = 0; i < 300; ++i) {
      bytes b = rng.random_bytes(rng.between(1, 256));
      b[0] = static_cast<std::uint8_t>(b.size() - 1);
      const auto p = cmd::read_fru_data::response::parse(b);
      REQUIRE(p);
      CHECK(p->length == b.size() - 1);
    }
  }

  TEST_CASE("cmd fru: encode and parse run at compile time") {
    test::check_at_compile_time([] {
      cmd::fru_image img;
      img.has_chassis = true;
      img.chassis.part_number = cmd::fru_field::of_text("P1").value;
      img.chassis.serial_number = cmd::fru_field::of_ascii6("IPMI").value;
      img.has_board = true;
      img.board.mfg_minutes = 0xC09CC0;
      img.board.manufacturer = cmd::fru_field::of_text("ipmikit").value;
      img.has_product = true;
      img.product.asset_tag = cmd::fru_field::of_text("tag").value;
      std::array<std::uint8_t, 256> out{};
      const auto e = img.encode(out);
      const auto p = cmd::fru_image::parse(std::span<const std::uint8_t>(out.data(), e.size));
      const auto c = cmd::fru_chassis_info::parse(chassis_area);
      std::array<std::uint8_t, 4> rq{};
      const auto q = cmd::read_fru_data::request{0, 0x10, 8}.encode(rq);
      return e && p && p.value == img && out[0] == 0x01 && img.chassis.serial_number.data[1] == 0xDC && c &&
             c->chassis_type == 0x17 && q.size == 4 && rq[1] == 0x10;
    });
  }
}
