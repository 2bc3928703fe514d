// The BMC core's fru component (include/ipmikit/bmc/fru.hpp): `ipmitool fru print 0`'s access
// pattern through a dispatcher, reads and writes at the end of the area, each refusal by name,
// the board date, write protection, save/load and each load error, the GUID text parser and the
// GUIDs' byte order, Get System GUID without a session, and all of it at compile time.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <ipmikit/bmc/dispatcher.hpp>
#include <ipmikit/bmc/fru.hpp>
#include <ipmikit/cmd/app.hpp>
#include <ipmikit/cmd/fru.hpp>

#include "bmc_support.hpp"
#include "test_support.hpp"

using namespace ipmikit;
using test::bytes;
using test::dispatch_bytes;

namespace {

constexpr std::uint32_t minutes_2024 = 14726880;  // 2024-01-01 00:00 UTC: (1704067200 - 820454400) / 60

constexpr bmc::fru_config full_config() {
  bmc::fru_config c;
  c.chassis_type = 0x17;
  c.chassis_part = "CH-PART-0001";
  c.chassis_serial = "CH-SERIAL-42";
  c.board_manufacturer = "ACME Boards";
  c.board_product = "VM Mainboard";
  c.board_serial = "BRD-SN-7";
  c.board_part = "BRD-PN-9";
  c.board_mfg_minutes = minutes_2024;
  c.product_manufacturer = "ipmikit";
  c.product_name = "Virtual Server";
  c.product_part = "VS-1000";
  c.product_version = "2";  // one character: stored as 6-bit ASCII (C1h would end the fields)
  c.product_serial = "PRD-SN-0042";
  c.product_asset_tag = "ASSET-0815";
  return c;
}

struct my_bmc {
  bmc::fru_inventory fru;
  bmc::guids ids;
};

using fru_dispatcher = bmc::dispatcher<my_bmc, 8>;

fru_dispatcher fru_commands() {
  fru_dispatcher d;
  REQUIRE(bmc::add_fru_commands<&my_bmc::fru>(d) == bmc::add_error::ok);
  REQUIRE(bmc::add_guid_commands<&my_bmc::ids>(d) == bmc::add_error::ok);
  return d;
}


bytes read_rq(std::uint16_t offset, std::uint8_t count, std::uint8_t id = 0) {
  return {0x28, 0x11, id, static_cast<std::uint8_t>(offset), static_cast<std::uint8_t>(offset >> 8), count};
}
bytes write_rq(std::uint16_t offset, const bytes& data, std::uint8_t id = 0) {
  // Built by push_back: a braced list followed by insert() draws GCC 12's false -Warray-bounds
  // at -O3 (a memmove "out of the bounds [0, 5]"; meta-bug PR 56456).
  bytes r;
  r.reserve(5 + data.size());
  for (std::uint8_t b : {std::uint8_t{0x28}, std::uint8_t{0x12}, id, static_cast<std::uint8_t>(offset),
                         static_cast<std::uint8_t>(offset >> 8)})
    r.push_back(b);
  for (std::uint8_t b : data) r.push_back(b);
  return r;
}

std::string text(const cmd::fru_field& f) {
  std::array<char, 128> buf{};
  const auto e = f.text(buf);
  REQUIRE(e);
  return std::string(buf.data(), e.size);
}

/// What `ipmitool fru print 0` does: Get FRU Inventory Area Info, then Read FRU Data from offset 0
/// in chunks of `chunk` bytes (min(255, max response − 2) and less; bmc-commands.md §6), asking
/// for less than a chunk at the end. Returns the bytes reassembled.
bytes fru_print_reads(fru_dispatcher& d, my_bmc& b, std::uint8_t chunk, int& reads) {
  const bytes info = dispatch_bytes(d, b, {0x28, 0x10, 0x00});
  REQUIRE(info.size() == 6);
  REQUIRE(info[2] == 0x00);
  CHECK(info[5] == 0x00);  // byte access
  const std::size_t size = info[3] | (std::size_t{info[4]} << 8);
  bytes image;
  reads = 0;
  while (image.size() < size) {
    const auto want = static_cast<std::uint8_t>(size - image.size() < chunk ? size - image.size() : chunk);
    const bytes r = dispatch_bytes(d, b, read_rq(static_cast<std::uint16_t>(image.size()), want));
    ++reads;
    REQUIRE(r.size() >= 4);
    REQUIRE(r[2] == 0x00);
    REQUIRE(r[3] == want);
    REQUIRE(r.size() == 4u + want);
    image.insert(image.end(), r.begin() + 4, r.end());
  }
  return image;
}

}  // namespace

TEST_SUITE("bmc") {
  // --- fru print ------------------------------------------------------------------------------

  TEST_CASE("bmc fru: fru print 0's reads through the dispatcher reassemble an image with every configured field") {
    auto d = fru_commands();
    for (const std::uint8_t chunk : {std::uint8_t{255}, std::uint8_t{253}, std::uint8_t{32}, std::uint8_t{7}}) {
      CAPTURE(chunk);
      my_bmc b;
      const auto built = b.fru.build(full_config());
      REQUIRE(built);
      CHECK(built.size % 8 == 0);
      CHECK(built.size < 1024);
      int reads = 0;
      const bytes image = fru_print_reads(d, b, chunk, reads);
      CHECK(reads == static_cast<int>((1024 + chunk - 1) / chunk));
      REQUIRE(image.size() == 1024);
      CHECK(image == bytes(b.fru.bytes().begin(), b.fru.bytes().end()));

      const auto p = cmd::fru_image::parse(image);
      REQUIRE(p);
      REQUIRE(p->has_chassis);
      REQUIRE(p->has_board);
      REQUIRE(p->has_product);
      CHECK(p->chassis.chassis_type == 0x17);
      CHECK(text(p->chassis.part_number) == "CH-PART-0001");
      CHECK(text(p->chassis.serial_number) == "CH-SERIAL-42");
      CHECK(text(p->board.manufacturer) == "ACME Boards");
      CHECK(text(p->board.product_name) == "VM Mainboard");
      CHECK(text(p->board.serial_number) == "BRD-SN-7");
      CHECK(text(p->board.part_number) == "BRD-PN-9");
      CHECK(p->board.mfg_minutes == minutes_2024);
      CHECK(text(p->product.manufacturer) == "ipmikit");
      CHECK(text(p->product.product_name) == "Virtual Server");
      CHECK(text(p->product.part_number) == "VS-1000");
      CHECK(p->product.version.type == cmd::fru_field_type::ascii6);
      CHECK(text(p->product.version) == "2");
      CHECK(text(p->product.serial_number) == "PRD-SN-0042");
      CHECK(text(p->product.asset_tag) == "ASSET-0815");
      // The component reads what the wire gave.
      const auto mine = b.fru.image();
      REQUIRE(mine);
      CHECK(mine.value == p.value);
    }
  }

  TEST_CASE("bmc fru: an area is written only when one of its fields is set, and the header points at each") {
    bmc::fru_inventory fru;
    bmc::fru_config c;
    c.board_manufacturer = "ACME";
    REQUIRE(fru.build(c));
    const auto h = cmd::fru_common_header::parse(fru.bytes());
    REQUIRE(h);
    CHECK(h->chassis_offset == 0);
    CHECK(h->board_offset == 1);  // right after the 8-byte header
    CHECK(h->product_offset == 0);
    const auto p = fru.image();
    REQUIRE(p);
    CHECK_FALSE(p->has_chassis);
    CHECK(p->has_board);
    CHECK_FALSE(p->has_product);
    CHECK(text(p->board.manufacturer) == "ACME");
    CHECK(p->board.product_name.empty());
    // Nothing configured: a header alone, which says there are no areas.
    REQUIRE(fru.build(bmc::fru_config{}).size == 8);
    CHECK(fru.bytes()[0] == 0x01);
    CHECK(cmd::fru_common_header::parse(fru.bytes())->board_offset == 0);
  }

  TEST_CASE("bmc fru: the board date is minutes since 1996-01-01 00:00 UTC, 3 bytes least significant first") {
    bmc::fru_inventory fru;
    const auto m = cmd::fru_time_from_unix(1704067200);  // 2024-01-01 00:00:00 UTC
    REQUIRE(m);
    CHECK(m.value == minutes_2024);
    bmc::fru_config c;
    c.board_product = "X1";
    c.board_mfg_minutes = m.value;
    REQUIRE(fru.build(c));
    const std::size_t board = std::size_t{fru.bytes()[3]} * 8;
    CHECK(fru.bytes()[board + 2] == 0x00);  // language: English
    CHECK(fru.bytes()[board + 3] == 0xE0);  // 14726880 = E0B6E0h
    CHECK(fru.bytes()[board + 4] == 0xB6);
    CHECK(fru.bytes()[board + 5] == 0xE0);
    CHECK(fru.image()->board.mfg_time_unix() == 1704067200);
    // The date alone makes a board area; 1996-01-01 00:01 is minute 1.
    bmc::fru_config only_date;
    only_date.board_mfg_minutes = 1;
    REQUIRE(fru.build(only_date));
    CHECK(fru.image()->board.mfg_time_unix() == 820454400 + 60);
    // Past 24 bits of minutes: refused, and the area is unchanged.
    const auto before = bytes(fru.bytes().begin(), fru.bytes().end());
    const auto gen = fru.generation();
    only_date.board_mfg_minutes = 0x1000000;
    CHECK(fru.build(only_date).error == cmd::fru_error::out_of_range);
    CHECK(bytes(fru.bytes().begin(), fru.bytes().end()) == before);
    CHECK(fru.generation() == gen);
    CHECK(cmd::fru_time_from_unix(820454399).error == cmd::fru_error::out_of_range);  // before 1996
  }

  TEST_CASE("bmc fru: build refuses, and changes nothing, an image that does not fit or a field that cannot be "
            "written") {
    bmc::basic_fru_inventory<64> small;
    bmc::fru_config c;
    c.board_manufacturer = "ACME";
    REQUIRE(small.build(c));
    const auto before = bytes(small.bytes().begin(), small.bytes().end());
    CHECK(small.generation() == 1);
    CHECK(small.build(full_config()).error == cmd::fru_error::buffer_too_small);
    CHECK(bytes(small.bytes().begin(), small.bytes().end()) == before);
    CHECK(small.generation() == 1);

    bmc::fru_inventory fru;
    bmc::fru_config bad;
    bad.product_version = "x";  // one lower-case character: neither 8-bit text (C1h) nor 6-bit ASCII
    CHECK(fru.build(bad).error == cmd::fru_error::reserved_field);
    bad.product_version = std::string_view("0123456789012345678901234567890123456789012345678901234567890123");
    CHECK(fru.build(bad).error == cmd::fru_error::field_too_long);  // 64 characters
    CHECK(fru.generation() == 0);
    CHECK(fru.bytes()[0] == 0x00);
    // A raw image (QEMU's frudatafile=) is taken as it is; one larger than the area is not.
    const std::array<std::uint8_t, 3> raw{1, 2, 3};
    CHECK(fru.assign(raw));
    CHECK(fru.bytes()[2] == 3);
    CHECK(fru.generation() == 1);
    const std::array<std::uint8_t, 65> big{};
    CHECK_FALSE(small.assign(big));
    CHECK(small.generation() == 1);
  }

  // --- reads and writes -----------------------------------------------------------------------

  TEST_CASE("bmc fru: a read past the end returns the bytes up to the end and says how many") {
    auto d = fru_commands();
    my_bmc b;
    std::array<std::uint8_t, 1024> pattern{};
    for (std::size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<std::uint8_t>(i * 7);
    REQUIRE(b.fru.assign(pattern));
    bytes r = dispatch_bytes(d, b, read_rq(1000, 100));
    REQUIRE(r.size() == 4 + 24);
    CHECK(r[2] == 0x00);
    CHECK(r[3] == 24);
    CHECK(r[4] == pattern[1000]);
    CHECK(r.back() == pattern[1023]);
    r = dispatch_bytes(d, b, read_rq(1023, 255));
    CHECK(r == bytes{0x2C, 0x11, 0x00, 0x01, pattern[1023]});
    // In the component: the count is the bytes copied.
    std::array<std::uint8_t, 255> out{};
    const auto res = b.fru.read({0, 1020, 255}, out);
    CHECK(res == bmc::fru_io_result{completion_code::success, 4});
    cmd::read_fru_data::response typed;
    CHECK(b.fru.read({0, 1022, 8}, typed) == completion_code::success);
    CHECK(typed.length == 2);
    CHECK(typed.data[1] == pattern[1023]);
    // More than the response can carry: 0xCA, after clamping at the end (ipmitool then asks less).
    CHECK(dispatch_bytes(d, b, read_rq(0, 100), {}, 40) == bytes{0x2C, 0x11, 0xCA});
    CHECK(dispatch_bytes(d, b, read_rq(0, 36), {}, 40).size() == 40);  // 3 + count byte + 36
    CHECK(dispatch_bytes(d, b, read_rq(1020, 255), {}, 40) ==
          bytes{0x2C, 0x11, 0x00, 0x04, pattern[1020], pattern[1021], pattern[1022], pattern[1023]});
  }

  TEST_CASE("bmc fru: writes within the area change what is read and bump generation()") {
    auto d = fru_commands();
    my_bmc b;
    REQUIRE(b.fru.build(full_config()));
    const auto gen = b.fru.generation();
    CHECK(dispatch_bytes(d, b, write_rq(100, {0xDE, 0xAD, 0xBE, 0xEF})) == bytes{0x2C, 0x12, 0x00, 0x04});
    CHECK(b.fru.generation() == gen + 1);
    CHECK(dispatch_bytes(d, b, read_rq(99, 6)) == bytes{0x2C, 0x11, 0x00, 0x06, b.fru.bytes()[99], 0xDE, 0xAD, 0xBE, 0xEF,
                                             b.fru.bytes()[104]});
    // The same bytes again: written and counted, but nothing changed, so no new generation.
    CHECK(dispatch_bytes(d, b, write_rq(100, {0xDE, 0xAD, 0xBE, 0xEF})) == bytes{0x2C, 0x12, 0x00, 0x04});
    CHECK(b.fru.generation() == gen + 1);
    // Past the end: the bytes that fit are written and counted (IPMI v2.0 §34.3 "count written").
    CHECK(dispatch_bytes(d, b, write_rq(1020, {1, 2, 3, 4, 5, 6, 7, 8})) == bytes{0x2C, 0x12, 0x00, 0x04});
    CHECK(dispatch_bytes(d, b, read_rq(1020, 8)) == bytes{0x2C, 0x11, 0x00, 0x04, 1, 2, 3, 4});
    CHECK(b.fru.generation() == gen + 2);
    // A whole 255-byte write, as `ipmitool fru write` may send.
    bytes chunk(255);
    for (std::size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<std::uint8_t>(255 - i);
    CHECK(dispatch_bytes(d, b, write_rq(512, chunk)) == bytes{0x2C, 0x12, 0x00, 0xFF});
    CHECK(dispatch_bytes(d, b, read_rq(512, 255)) == test::cat({bytes{0x2C, 0x11, 0x00, 0xFF}, chunk}));
    // Writing the image with ipmitool's pattern reproduces it: a changed asset tag reads back.
    bmc::fru_config c = full_config();
    c.product_asset_tag = "ASSET-9999";
    bmc::fru_inventory other;
    REQUIRE(other.build(c));
    for (std::uint16_t off = 0; off < 1024; off = static_cast<std::uint16_t>(off + 128)) {
      const bytes part(other.bytes().begin() + off, other.bytes().begin() + off + 128);
      CHECK(dispatch_bytes(d, b, write_rq(off, part)) == bytes{0x2C, 0x12, 0x00, 0x80});
    }
    REQUIRE(b.fru.image());
    CHECK(text(b.fru.image()->product.asset_tag) == "ASSET-9999");
    // Write FRU Data needs operator privilege; reading, user.
    CHECK(dispatch_bytes(d, b, write_rq(0, {0x01}), {bmc::privilege::user, 1}) == bytes{0x2C, 0x12, 0xD4});
    CHECK(dispatch_bytes(d, b, write_rq(0, {0x01}), {bmc::privilege::operator_, 1}) == bytes{0x2C, 0x12, 0x00, 0x01});
    CHECK(dispatch_bytes(d, b, read_rq(0, 1), {bmc::privilege::user, 1}) == bytes{0x2C, 0x11, 0x00, 0x01, 0x01});
    CHECK(dispatch_bytes(d, b, read_rq(0, 1), {bmc::privilege::callback, 1}) == bytes{0x2C, 0x11, 0xD4});
    CHECK(dispatch_bytes(d, b, {0x28, 0x10, 0x00}, {bmc::privilege::callback, 1}) == bytes{0x2C, 0x10, 0xD4});
  }

  TEST_CASE("bmc fru: refusals by name: unknown FRU id, offset past the end, write-protected, malformed") {
    auto d = fru_commands();
    my_bmc b;
    REQUIRE(b.fru.build(full_config()));
    const auto before = bytes(b.fru.bytes().begin(), b.fru.bytes().end());
    const auto gen = b.fru.generation();
    const auto cc = [](const bytes& r) { return static_cast<completion_code>(r.at(2)); };

    // FRU device 1 is not there: 0xCB, requested sensor, data, or record not present.
    CHECK(cc(dispatch_bytes(d, b, {0x28, 0x10, 0x01})) == completion_code::requested_sensor_not_present);
    CHECK(cc(dispatch_bytes(d, b, read_rq(0, 8, 1))) == completion_code::requested_sensor_not_present);
    CHECK(cc(dispatch_bytes(d, b, write_rq(0, {1, 2}, 1))) == completion_code::requested_sensor_not_present);
    CHECK(dispatch_bytes(d, b, {0x28, 0x10, 0x01}) == bytes{0x2C, 0x10, 0xCB});
    // FFh is reserved (IPMI v2.0 §34.1): the typed parse's invalid data field.
    CHECK(cc(dispatch_bytes(d, b, {0x28, 0x10, 0xFF})) == completion_code::invalid_data_field);
    CHECK(cc(dispatch_bytes(d, b, read_rq(0, 8, 0xFF))) == completion_code::invalid_data_field);

    // An offset at or past the end: 0xC9, parameter out of range.
    CHECK(cc(dispatch_bytes(d, b, read_rq(1024, 1))) == completion_code::parameter_out_of_range);
    CHECK(cc(dispatch_bytes(d, b, read_rq(0xFFFF, 255))) == completion_code::parameter_out_of_range);
    CHECK(cc(dispatch_bytes(d, b, write_rq(1024, {1}))) == completion_code::parameter_out_of_range);
    CHECK(dispatch_bytes(d, b, write_rq(0xFFFF, {1, 2})) == bytes{0x2C, 0x12, 0xC9});

    // Write-protected: 80h when any byte to be written is protected, and nothing is written.
    CHECK(b.fru.protect(0, 8));  // the common header
    CHECK(b.fru.is_protected(7));
    CHECK_FALSE(b.fru.is_protected(8));
    CHECK(cc(dispatch_bytes(d, b, write_rq(0, {0xFF}))) == bmc::fru_write_protected);
    CHECK(dispatch_bytes(d, b, write_rq(6, {0xAA, 0xBB, 0xCC})) == bytes{0x2C, 0x12, 0x80});  // 6, 7 protected, 8 not
    CHECK(cc(dispatch_bytes(d, b, write_rq(8, {0xAA}))) == completion_code::success);         // the first byte after it
    CHECK(b.fru.bytes()[8] == 0xAA);
    CHECK(b.fru.bytes()[6] == before[6]);
    CHECK(b.fru.generation() == gen + 1);
    CHECK(b.fru.unprotect(4, 4));
    CHECK(cc(dispatch_bytes(d, b, write_rq(6, {before[6], before[7]}))) == completion_code::success);
    CHECK(b.fru.is_protected(3));
    CHECK_FALSE(b.fru.protect(1020, 5));  // past the area: refused, nothing marked
    CHECK_FALSE(b.fru.is_protected(1020));
    CHECK(b.fru.protect(1020, 4));
    CHECK(b.fru.write(0, 1000, bytes(40, 0x11)).code == bmc::fru_write_protected);  // only 1020-1023 protected
    CHECK(b.fru.bytes()[1000] == before[1000]);

    // Malformed requests: count 0 is out of range (0xCC); no byte to write, or a short read (0xC7).
    CHECK(cc(dispatch_bytes(d, b, read_rq(0, 0))) == completion_code::invalid_data_field);
    CHECK(cc(dispatch_bytes(d, b, {0x28, 0x12, 0x00, 0x00, 0x00})) == completion_code::request_data_length_invalid);
    CHECK(cc(dispatch_bytes(d, b, {0x28, 0x11, 0x00, 0x00, 0x00})) == completion_code::request_data_length_invalid);
    CHECK(cc(dispatch_bytes(d, b, {0x28, 0x10})) == completion_code::request_data_length_invalid);
    // After all of it, only the bytes the successful writes wrote changed.
    CHECK(b.fru.bytes()[8] == 0xAA);
    bytes now(b.fru.bytes().begin(), b.fru.bytes().end());
    now[8] = before[8];
    CHECK(now == before);
  }

  TEST_CASE("bmc fru: add_fru_commands and add_guid_commands register with Appendix G's privileges, all or none") {
    fru_dispatcher d;
    REQUIRE(bmc::add_guid_commands<&my_bmc::ids>(d) == bmc::add_error::ok);
    bmc::dispatcher<my_bmc, 4> small;
    REQUIRE(bmc::add_guid_commands<&my_bmc::ids>(small) == bmc::add_error::ok);  // 2 of 4 places
    test::check_all_or_none(d, small, [](auto& x) { return bmc::add_fru_commands<&my_bmc::fru>(x); }, 3);
    CHECK(small.entries().size() == 2);
    CHECK(bmc::add_guid_commands<&my_bmc::ids>(d) == bmc::add_error::duplicate);
    using p = bmc::privilege;
    test::check_registered(d, {{netfn::storage, 0x10, p::user}, {netfn::storage, 0x11, p::user},
                               {netfn::storage, 0x12, p::operator_}, {netfn::app, 0x08, p::user},
                               {netfn::app, 0x37, p::unspecified}});
  }

  // --- durability -----------------------------------------------------------------------------

  TEST_CASE("bmc fru: save and load round trip the area, so FRU writes survive a restart") {
    bmc::fru_inventory fru;
    REQUIRE(fru.build(full_config()));
    CHECK(fru.write(0, 700, bytes{9, 8, 7}).count == 3);
    std::vector<std::uint8_t> saved(bmc::fru_inventory::saved_size);
    CHECK(bmc::fru_inventory::saved_size == 16 + 1024);
    REQUIRE(fru.save(saved) == saved.size());
    CHECK(saved[0] == 'i');
    CHECK(saved[3] == 'R');
    CHECK(saved[4] == 1);                        // format version
    CHECK(saved[8] == 0x00);                     // area size 1024, little-endian
    CHECK(saved[9] == 0x04);
    bmc::fru_inventory restarted;
    CHECK(restarted.load(saved) == bmc::fru_load_error::ok);
    CHECK(bytes(restarted.bytes().begin(), restarted.bytes().end()) == bytes(fru.bytes().begin(), fru.bytes().end()));
    CHECK(restarted.generation() == 1);  // the bytes changed
    CHECK(restarted.image()->product.asset_tag == fru.image()->product.asset_tag);
    CHECK(restarted.bytes()[701] == 8);
    // Too small a buffer: 0, and nothing written.
    std::vector<std::uint8_t> short_buf(bmc::fru_inventory::saved_size - 1, 0x5A);
    CHECK(fru.save(short_buf) == 0);
    CHECK(short_buf == std::vector<std::uint8_t>(short_buf.size(), 0x5A));
    // Saving is deterministic: the same area saves the same bytes.
    std::vector<std::uint8_t> again(bmc::fru_inventory::saved_size);
    CHECK(restarted.save(again) == again.size());
    CHECK(again == saved);
  }

  TEST_CASE("bmc fru: load refuses each damaged or foreign save by name and changes nothing") {
    bmc::fru_inventory source;
    REQUIRE(source.build(full_config()));
    std::vector<std::uint8_t> good(bmc::fru_inventory::saved_size);
    REQUIRE(source.save(good) == good.size());

    bmc::fru_inventory fru;
    bmc::fru_config c;
    c.product_name = "Before";
    REQUIRE(fru.build(c));
    const bytes before(fru.bytes().begin(), fru.bytes().end());
    const auto gen = fru.generation();
    const auto refused = [&](std::span<const std::uint8_t> in, bmc::fru_load_error want) {
      CAPTURE(bmc::name(want));
      CHECK(fru.load(in) == want);
      CHECK(bytes(fru.bytes().begin(), fru.bytes().end()) == before);
      CHECK(fru.generation() == gen);
    };

    refused(std::span(good).first(11), bmc::fru_load_error::too_short);
    refused({}, bmc::fru_load_error::too_short);
    auto bad = good;
    bad[0] = 'I';
    refused(bad, bmc::fru_load_error::bad_magic);
    bad = good;
    bad[4] = 2;
    refused(bad, bmc::fru_load_error::bad_version);
    bad = good;
    bad[6] = 1;
    refused(bad, bmc::fru_load_error::bad_version);
    bmc::basic_fru_inventory<512> other;
    REQUIRE(other.build(c));
    std::vector<std::uint8_t> other_saved(decltype(other)::saved_size);
    REQUIRE(other.save(other_saved) == other_saved.size());
    refused(other_saved, bmc::fru_load_error::size_mismatch);
    refused(std::span(good).first(good.size() - 1), bmc::fru_load_error::bad_length);
    bad = good;
    bad.push_back(0);
    refused(bad, bmc::fru_load_error::bad_length);
    bad = good;
    bad[100] ^= 0x01;  // one bit of the area
    refused(bad, bmc::fru_load_error::bad_checksum);
    bad = good;
    bad.back() ^= 0x80;  // one bit of the CRC
    refused(bad, bmc::fru_load_error::bad_checksum);
    CHECK(bmc::name(bmc::fru_load_error::bad_checksum) == "bad_checksum");
    // And the good one still loads after all of that.
    CHECK(fru.load(good) == bmc::fru_load_error::ok);
    CHECK(fru.generation() == gen + 1);
    CHECK(text(fru.image()->product.product_name) == "Virtual Server");
  }

  // --- GUIDs ----------------------------------------------------------------------------------

  TEST_CASE("bmc fru: a growable storage answers as the fixed area and holds only the bytes that may be nonzero") {
    // A fixed basic_fru_inventory<256> and a vector-backed one get the same seeded steps:
    // builds, assigns, writes (zeros too, at the end, past the image), protection, reads, saves
    // and each loading the other's save. Every answer, the area read back byte by byte, the
    // image, the generation and the saved bytes must agree; the vector never holds a byte past
    // the last nonzero one it was given, and a build holds exactly the image.
    using fixed = bmc::basic_fru_inventory<256>;
    using growing = bmc::basic_fru_inventory<256, std::vector<std::uint8_t>>;
    fixed f;
    growing g;
    test::random_source rnd(1206);
    const auto read_all = [](const auto& fru) {
      bytes all;
      for (std::uint16_t off = 0; off < 256; off = static_cast<std::uint16_t>(off + 32)) {
        cmd::read_fru_data::response rs;
        REQUIRE(fru.read({0, off, 32}, rs) == completion_code::success);
        all.insert(all.end(), rs.data.begin(), rs.data.begin() + static_cast<std::ptrdiff_t>(rs.length));
      }
      return all;
    };
    std::size_t writes = 0, refusals = 0, loads = 0, images = 0;
    for (int step = 0; step < 3000; ++step) {
      CAPTURE(step);
      switch (rnd.below(8)) {
        case 0: {  // a build, from fields of random lengths
          std::string part(rnd.below(20), 'P'), serial(rnd.below(40), 'S');
          bmc::fru_config c;
          c.chassis_part = part;
          c.board_serial = serial;
          c.product_name = rnd.chance(50) ? std::string_view("Virtual Server") : std::string_view();
          const auto a = f.build(c);
          const auto b = g.build(c);
          REQUIRE(a.error == b.error);
          REQUIRE(a.size == b.size);
          if (a) REQUIRE(g.bytes().size() == a.size);  // exactly the image
          break;
        }
        case 1: {  // raw bytes, trailing zeros included
          bytes raw = rnd.random_bytes(rnd.below(300));
          if (rnd.chance(50)) raw.insert(raw.end(), rnd.below(20), std::uint8_t{0});
          REQUIRE(f.assign(raw) == g.assign(raw));
          break;
        }
        case 2:
        case 3: {  // Write FRU Data anywhere, sometimes zeros, sometimes past the end
          const auto off = static_cast<std::uint16_t>(rnd.below(270));
          bytes data = rnd.chance(30) ? bytes(rnd.between(1, 16), 0) : rnd.random_bytes(rnd.between(1, 16));
          const auto a = f.write(0, off, data);
          const auto b = g.write(0, off, data);
          REQUIRE(a == b);
          writes += a.code == completion_code::success;
          refusals += a.code != completion_code::success;
          break;
        }
        case 4: {  // write protection
          const std::size_t off = rnd.below(256), n = rnd.below(40);
          const bool on = rnd.chance(50);
          REQUIRE((on ? f.protect(off, n) : f.unprotect(off, n)) == (on ? g.protect(off, n) : g.unprotect(off, n)));
          break;
        }
        case 5: {  // reads at random places, past the end too
          const cmd::read_fru_data::request rq{0, static_cast<std::uint16_t>(rnd.below(270)),
                                               static_cast<std::uint8_t>(rnd.below(40))};
          cmd::read_fru_data::response a, b;
          REQUIRE(f.read(rq, a) == g.read(rq, b));
          REQUIRE(a == b);
          break;
        }
        default: {  // save one, the other loads it (and the reverse)
          bytes fs(fixed::saved_size), gs(growing::saved_size);
          REQUIRE(f.save(fs) == fs.size());
          REQUIRE(g.save(gs) == gs.size());
          REQUIRE(fs == gs);
          if (rnd.chance(50)) {
            REQUIRE(g.load(fs) == bmc::fru_load_error::ok);
            REQUIRE(f.load(gs) == bmc::fru_load_error::ok);
            ++loads;
          }
          break;
        }
      }
      REQUIRE(read_all(f) == read_all(g));
      REQUIRE(f.generation() == g.generation());
      const auto fi = f.image(), gi = g.image();
      REQUIRE(fi.error == gi.error);
      if (fi) REQUIRE(fi.value == gi.value);
      images += static_cast<bool>(fi);
      const auto held = g.bytes();
      REQUIRE(held.size() <= 256);
      for (std::size_t i = held.size(); i < 256; ++i) REQUIRE(f.bytes()[i] == 0);  // the rest is zeros
    }
    CHECK(writes > 200);
    CHECK(refusals > 20);  // protected ranges and offsets past the end
    CHECK(loads > 100);
    CHECK(images > 100);   // valid images were compared, not only errors
  }

  TEST_CASE("bmc guid: RFC 4122 text parses in text order and goes on the wire reversed") {
    const auto rfc = bmc::parse_rfc4122("00112233-4455-6677-8899-aabbccddeeff");
    REQUIRE(rfc);
    CHECK(rfc.value == cmd::guid{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD,
                                 0xEE, 0xFF});
    const auto wire = bmc::guid_from_text("00112233-4455-6677-8899-aabbccddeeff");
    REQUIRE(wire);
    CHECK(wire.value == cmd::guid{0xFF, 0xEE, 0xDD, 0xCC, 0xBB, 0xAA, 0x99, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22,
                                  0x11, 0x00});
    CHECK(wire.value == cmd::guid_from_rfc4122(rfc.value));
    // Upper case is the same GUID; the text comes back lower case.
    const auto upper = bmc::guid_from_text("00112233-4455-6677-8899-AABBCCDDEEFF");
    REQUIRE(upper);
    CHECK(upper.value == wire.value);
    const auto t = bmc::guid_to_text(wire.value);
    CHECK(std::string_view(t.data(), t.size()) == "00112233-4455-6677-8899-aabbccddeeff");
    const auto q = bmc::guid_from_text("12345678-9abc-def0-1234-56789abcdef0");
    REQUIRE(q);
    CHECK(q.value[0] == 0xF0);
    CHECK(q.value[15] == 0x12);
  }

  TEST_CASE("bmc guid: bad text is refused by name: wrong length, misplaced dashes, bad hex") {
    using E = bmc::guid_text_error;
    const auto err = [](std::string_view s) { return bmc::guid_from_text(s).error; };
    CHECK(err("") == E::wrong_length);
    CHECK(err("00112233-4455-6677-8899-aabbccddeef") == E::wrong_length);     // 35
    CHECK(err("00112233-4455-6677-8899-aabbccddeeff0") == E::wrong_length);   // 37
    CHECK(err("{00112233-4455-6677-8899-aabbccddeeff}") == E::wrong_length);  // braces
    CHECK(err("00112233445566778899aabbccddeeff") == E::wrong_length);        // no dashes: 32
    CHECK(err("0011223-34455-6677-8899-aabbccddeeff") == E::misplaced_dash);
    CHECK(err("00112233-4455-6677-8899a-abbccddeeff") == E::misplaced_dash);
    CHECK(err("00112233_4455-6677-8899-aabbccddeeff") == E::misplaced_dash);
    CHECK(err("00112233-4455-6677-8899-aabbccdde-ff") == E::misplaced_dash);
    CHECK(err("0011223g-4455-6677-8899-aabbccddeeff") == E::bad_hex);
    CHECK(err("00112233-4455-6677-8899-aabbccddeeF ") == E::bad_hex);
    CHECK(err("00112233-4455-6677-8899-+abbccddeeff") == E::bad_hex);
    CHECK(bmc::name(E::misplaced_dash) == "misplaced_dash");
    // A refused text leaves the GUID as it was.
    bmc::guids ids;
    REQUIRE(ids.set_system_uuid("00112233-4455-6677-8899-aabbccddeeff") == E::ok);
    const auto kept = ids.system();
    CHECK(ids.set_system_uuid("00112233-4455-6677-8899-aabbccddeefg") == E::bad_hex);
    CHECK(ids.system() == kept);
    CHECK(ids.set_device_uuid("nonsense") == E::wrong_length);
    CHECK(ids.device() == cmd::guid{});
  }

  TEST_CASE("bmc guid: Get System GUID answers without a session (privilege unspecified); Device GUID needs user") {
    auto d = fru_commands();
    my_bmc b;
    REQUIRE(b.ids.set_system_uuid("00112233-4455-6677-8899-aabbccddeeff") == bmc::guid_text_error::ok);
    REQUIRE(b.ids.set_device_uuid("12345678-9abc-def0-1234-56789abcdef0") == bmc::guid_text_error::ok);
    const bmc::origin sessionless{bmc::privilege::unspecified, 1};
    CHECK(dispatch_bytes(d, b, {0x18, 0x37}, sessionless) == bytes{0x1C, 0x37, 0x00, 0xFF, 0xEE, 0xDD, 0xCC, 0xBB, 0xAA, 0x99,
                                                         0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00});
    CHECK(dispatch_bytes(d, b, {0x18, 0x08}, sessionless) == bytes{0x1C, 0x08, 0xD4});
    CHECK(dispatch_bytes(d, b, {0x18, 0x08}, {bmc::privilege::user, 1}) ==
          bytes{0x1C, 0x08, 0x00, 0xF0, 0xDE, 0xBC, 0x9A, 0x78, 0x56, 0x34, 0x12, 0xF0, 0xDE, 0xBC, 0x9A, 0x78, 0x56,
                0x34, 0x12});
    CHECK(dispatch_bytes(d, b, {0x18, 0x37, 0x00}) == bytes{0x1C, 0x37, 0xC7});
    // What the typed response parses is what was set.
    const bytes r = dispatch_bytes(d, b, {0x18, 0x37});
    const auto p = cmd::get_system_guid::response::parse(std::span(r).subspan(3));
    REQUIRE(p);
    CHECK(p->value == b.ids.system());
  }

  // --- at compile time ------------------------------------------------------------------------

  TEST_CASE("bmc fru: build, the dispatcher's reads and writes, save/load and the GUID parser run at compile time") {
    test::check_at_compile_time([] {
      bmc::dispatcher<my_bmc, 8> d;
      if (bmc::add_fru_commands<&my_bmc::fru>(d) != bmc::add_error::ok) return false;
      if (bmc::add_guid_commands<&my_bmc::ids>(d) != bmc::add_error::ok) return false;
      my_bmc b;
      bmc::fru_config c;
      c.board_manufacturer = "ACME";
      c.board_mfg_minutes = minutes_2024;
      if (!b.fru.build(c)) return false;
      std::array<std::uint8_t, 300> out{};
      const std::array<std::uint8_t, 6> rd{0x28, 0x11, 0x00, 0x00, 0x00, 0xFF};
      if (d.dispatch(b, rd, {}, out).size != 3 + 1 + 255 || out[3] != 255) return false;
      const std::array<std::uint8_t, 7> wr{0x28, 0x12, 0x00, 0xFE, 0x03, 0x55, 0x66};  // 1022: both fit
      if (d.dispatch(b, wr, {}, out).code != completion_code::success || out[3] != 2) return false;
      if (b.fru.generation() != 2 || b.fru.bytes()[1023] != 0x66) return false;
      const std::array<std::uint8_t, 6> past{0x28, 0x11, 0x00, 0x00, 0x04, 0x01};
      if (d.dispatch(b, past, {}, out).code != completion_code::parameter_out_of_range) return false;
      std::array<std::uint8_t, bmc::fru_inventory::saved_size> saved{};
      if (b.fru.save(saved) != saved.size()) return false;
      bmc::fru_inventory again;
      if (again.load(saved) != bmc::fru_load_error::ok || again.bytes()[1023] != 0x66) return false;
      const auto img = again.image();
      return img && img->board.mfg_minutes == minutes_2024;
    });

    static_assert(bmc::guid_from_text("00112233-4455-6677-8899-aabbccddeeff").value[0] == 0xFF);
    static_assert(bmc::guid_from_text("00112233-4455-6677-8899-aabbccddeeff").value[15] == 0x00);
    static_assert(bmc::guid_from_text("00112233-4455-6677-8899-aabbccddeef").error ==
                  bmc::guid_text_error::wrong_length);
    static_assert(bmc::guid_from_text("0011223x-4455-6677-8899-aabbccddeeff").error == bmc::guid_text_error::bad_hex);
    constexpr auto sessionless_guid = [] {
      bmc::dispatcher<my_bmc, 4> d;
      if (bmc::add_guid_commands<&my_bmc::ids>(d) != bmc::add_error::ok) return false;
      my_bmc b;
      if (b.ids.set_system_uuid("00112233-4455-6677-8899-aabbccddeeff") != bmc::guid_text_error::ok) return false;
      std::array<std::uint8_t, 32> out{};
      const std::array<std::uint8_t, 2> rq{0x18, 0x37};
      const auto r = d.dispatch(b, rq, {bmc::privilege::unspecified, 1}, out);
      return r.size == 19 && out[2] == 0x00 && out[3] == 0xFF && out[18] == 0x00;
    };
    static_assert(sessionless_guid());
  }
}
