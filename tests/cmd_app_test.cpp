// Typed App commands (include/ipmikit/cmd/app.hpp), and the codec they are written with
// (cmd/codec.hpp): known byte layouts, the laws of cmd_support.hpp on generated values, each
// bad-input class by name, and compile-time use.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <span>

#include <ipmikit/cmd/app.hpp>

#include "cmd_support.hpp"

using namespace ipmikit;
using test::bytes;

namespace {

cmd::get_device_id::response random_device_id(test::random_source& rng) {
  cmd::get_device_id::response r;
  r.device_id = rng.byte();
  r.device_revision = static_cast<std::uint8_t>(rng.below(16));
  r.provides_device_sdrs = rng.chance(50);
  r.firmware_major = static_cast<std::uint8_t>(rng.below(128));
  r.update_in_progress = rng.chance(50);
  r.firmware_minor = rng.byte();
  r.ipmi_version = rng.byte();
  r.additional_support = rng.byte();
  r.manufacturer_id = static_cast<std::uint32_t>(rng.below(0x100000));
  r.product_id = static_cast<std::uint16_t>(rng.below(0x10000));
  r.has_aux_firmware_revision = rng.chance(50);
  if (r.has_aux_firmware_revision)
    for (auto& b : r.aux_firmware_revision) b = rng.byte();
  return r;
}

// ipmi_sim's Get Device ID answer, data after the completion code (a live capture:
// shared/reference/openipmi.md, "Get Device ID: VM sends 01 18 01 E6 A0; BMC answers …").
constexpr std::array<std::uint8_t, 15> ipmi_sim_device_id{0x00, 0x03, 0x09, 0x08, 0x02, 0x9F, 0x91, 0x12,
                                                          0x00, 0x02, 0x0F, 0x00, 0x00, 0x00, 0x00};

}  // namespace

TEST_SUITE("cmd") {
  TEST_CASE("cmd codec: the reader reads little-endian fields and reports running past the end") {
    const std::array<std::uint8_t, 7> in{0x01, 0x34, 0x12, 0x56, 0x34, 0x12, 0x99};
    cmd::reader r(in);
    CHECK(r.u8() == 0x01);
    CHECK(r.le16() == 0x1234);
    CHECK(r.le24() == 0x123456);
    CHECK(r.finish() == cmd::parse_error::too_long);  // one byte left
    CHECK(r.u8() == 0x99);
    CHECK(r.finish() == cmd::parse_error::ok);
    CHECK(r.le32() == 0);  // past the end: zeros, and too_short from now on
    CHECK(r.finish() == cmd::parse_error::too_short);
  }

  TEST_CASE("cmd codec: the writer writes little-endian fields and never past its span") {
    std::array<std::uint8_t, 6> out{};
    cmd::writer w(out);
    w.le32(0x11223344);
    w.le16(0x5566);
    CHECK(w.result().size == 6);
    CHECK(out == std::array<std::uint8_t, 6>{0x44, 0x33, 0x22, 0x11, 0x66, 0x55});
    w.u8(0x77);
    CHECK(w.result().error == cmd::encode_error::buffer_too_small);
    CHECK(w.result().size == 0);
    cmd::writer w24(out);
    w24.le24(0x1000000);
    CHECK(w24.result().error == cmd::encode_error::out_of_range);
  }

  TEST_CASE("cmd codec: parse errors map to the completion codes a BMC answers with") {
    CHECK(cmd::to_completion_code(cmd::parse_error::too_short) == completion_code::request_data_length_invalid);
    CHECK(cmd::to_completion_code(cmd::parse_error::too_long) == completion_code::request_data_length_invalid);
    CHECK(cmd::to_completion_code(cmd::parse_error::reserved_value) == completion_code::invalid_data_field);
    CHECK(cmd::to_completion_code(cmd::parse_error::out_of_range) == completion_code::invalid_data_field);
    CHECK(cmd::to_completion_code(cmd::parse_error::ok) == completion_code::success);
    CHECK(cmd::name(cmd::parse_error::reserved_value) == "reserved_value");
    CHECK(cmd::name(cmd::encode_error::buffer_too_small) == "buffer_too_small");
    CHECK(cmd::name(static_cast<cmd::parse_error>(99)).empty());
  }

  TEST_CASE("cmd: Get Device ID as ipmi_sim sends it") {
    const auto p = cmd::get_device_id::response::parse(ipmi_sim_device_id);
    REQUIRE(p);
    CHECK(p->device_id == 0x00);
    CHECK_FALSE(p->provides_device_sdrs);
    CHECK(p->device_revision == 3);
    CHECK(p->firmware_major == 9);
    CHECK(p->firmware_minor == 0x08);
    CHECK(p->ipmi_version == 0x02);
    CHECK(p->additional_support == 0x9F);
    CHECK(p->manufacturer_id == 0x001291);
    CHECK(p->product_id == 0x0F02);
    CHECK(p->has_aux_firmware_revision);
    std::array<std::uint8_t, cmd::get_device_id::response::max_size> out{};
    const auto e = p->encode(out);
    REQUIRE(e);
    CHECK(bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(e.size)) ==
          bytes(ipmi_sim_device_id.begin(), ipmi_sim_device_id.end()));
  }

  TEST_CASE("cmd: Get Device ID, generated values obey the codec laws; arbitrary bytes never crash") {
    test::random_source rng(1501);
    for (int i = 0; i < 500; ++i) test::check_codec_laws(random_device_id(rng));
    test::check_parse_random<cmd::get_device_id::response>(rng, 2000);
  }

  TEST_CASE("cmd: Get Device ID refuses each bad input by name") {
    std::array<std::uint8_t, 15> b = ipmi_sim_device_id;
    SUBCASE("truncated") {
      CHECK(cmd::get_device_id::response::parse(std::span(b).first(10)).error == cmd::parse_error::too_short);
    }
    SUBCASE("oversized: 12 to 14 bytes are neither form") {
      CHECK(cmd::get_device_id::response::parse(std::span(b).first(12)).error == cmd::parse_error::too_long);
      CHECK(cmd::get_device_id::response::parse(std::span(b).first(14)).error == cmd::parse_error::too_long);
    }
    SUBCASE("reserved bits in the device revision") {
      b[1] = 0x13;
      CHECK(cmd::get_device_id::response::parse(b).error == cmd::parse_error::reserved_value);
    }
    SUBCASE("a manufacturer ID over 20 bits") {
      b[8] = 0x10;
      CHECK(cmd::get_device_id::response::parse(b).error == cmd::parse_error::reserved_value);
    }
    SUBCASE("fields too wide to encode") {
      cmd::get_device_id::response r;
      std::array<std::uint8_t, 15> out{};
      r.firmware_major = 0x80;
      CHECK(r.encode(out).error == cmd::encode_error::out_of_range);
      r.firmware_major = 1;
      r.manufacturer_id = 0x100000;
      CHECK(r.encode(out).error == cmd::encode_error::out_of_range);
    }
  }

  TEST_CASE("cmd: Get Self Test Results and the GUID commands") {
    test::check_codec_laws(cmd::get_self_test_results::response{cmd::self_test_result::passed, 0});
    test::check_codec_laws(cmd::get_self_test_results::response{cmd::self_test_result::corrupted_or_inaccessible,
                                                                cmd::self_test_bit::sdr_empty});
    test::random_source rng(1502);
    for (int i = 0; i < 100; ++i) {
      cmd::get_system_guid::response g;
      for (auto& b : g.value) b = rng.byte();
      test::check_codec_laws(g);
    }
    test::check_parse_random<cmd::get_self_test_results::response>(rng, 500);
    test::check_parse_random<cmd::get_device_guid::response>(rng, 500);
    // RFC 4122 order 00112233-4455-6677-8899-aabbccddeeff goes on the wire reversed.
    std::array<std::uint8_t, 16> text_order{};
    for (std::size_t i = 0; i < 16; ++i) text_order[i] = static_cast<std::uint8_t>(i * 0x11);
    const cmd::guid wire = cmd::guid_from_rfc4122(text_order);
    CHECK(wire[0] == 0xFF);
    CHECK(wire[15] == 0x00);
  }

  TEST_CASE("cmd: requests without data parse only empty data") {
    CHECK(cmd::get_device_id::request::parse({}));
    const std::array<std::uint8_t, 1> one{0};
    CHECK(cmd::get_device_id::request::parse(one).error == cmd::parse_error::too_long);
  }

  TEST_CASE("cmd: whole messages: build_request, parse_request, build_response, parse_response") {
    std::array<std::uint8_t, cmd::max_request_message_size<cmd::get_device_id>> rq{};
    const auto e = cmd::build_request<cmd::get_device_id>({}, rq);
    REQUIRE(e);
    CHECK(bytes(rq.begin(), rq.begin() + static_cast<std::ptrdiff_t>(e.size)) == bytes{0x18, 0x01});
    CHECK(cmd::parse_request<cmd::get_device_id>(std::span(rq).first(e.size)));
    CHECK(cmd::parse_request<cmd::get_self_test_results>(std::span(rq).first(e.size)).error ==
          cmd::parse_error::out_of_range);

    std::array<std::uint8_t, cmd::max_response_message_size<cmd::get_device_id>> rs{};
    const auto d = *cmd::get_device_id::response::parse(ipmi_sim_device_id);
    const auto f = cmd::build_response<cmd::get_device_id>(d, rs);
    REQUIRE(f);
    CHECK(f.size == 18);
    CHECK(rs[0] == 0x1C);
    CHECK(rs[2] == 0x00);
    const auto back = cmd::parse_response<cmd::get_device_id>(std::span(rs).first(f.size));
    REQUIRE(back);
    CHECK(back.response.value == d);

    SUBCASE("an error completion code is returned as it is, with no data parsed") {
      const std::array<std::uint8_t, 3> busy{0x1C, 0x01, 0xC0};
      const auto r = cmd::parse_response<cmd::get_device_id>(busy);
      CHECK_FALSE(r);
      CHECK(r.code == completion_code::node_busy);
      CHECK(r.response.error == cmd::parse_error::ok);
    }
    SUBCASE("another command's response, a request, or too few bytes") {
      const std::array<std::uint8_t, 5> other{0x1C, 0x04, 0x00, 0x55, 0x00};
      CHECK(cmd::parse_response<cmd::get_device_id>(other).response.error == cmd::parse_error::out_of_range);
      CHECK(cmd::parse_response<cmd::get_device_id>(std::span(rq).first(2)).response.error ==
            cmd::parse_error::too_short);
      const std::array<std::uint8_t, 3> request_netfn{0x18, 0x01, 0x00};
      CHECK(cmd::parse_response<cmd::get_device_id>(request_netfn).response.error == cmd::parse_error::out_of_range);
    }
    SUBCASE("buffers too small for the header") {
      std::array<std::uint8_t, 2> tiny{};
      CHECK(cmd::build_response<cmd::get_device_id>(d, tiny).error == cmd::encode_error::buffer_too_small);
      CHECK(cmd::build_request<cmd::get_device_id>({}, std::span(tiny).first(1)).error ==
            cmd::encode_error::buffer_too_small);
      CHECK(cmd::build_response<cmd::get_device_id>(d, std::span(rs).first(10)).error ==
            cmd::encode_error::buffer_too_small);
    }
  }

  TEST_CASE("cmd: encode and parse run at compile time") {
    constexpr auto round_trip = [] {
      cmd::get_device_id::response r;
      r.device_id = 0x20;
      r.manufacturer_id = 0xABCDE;
      r.product_id = 0x1234;
      std::array<std::uint8_t, 15> out{};
      const auto e = r.encode(out);
      const auto p = cmd::get_device_id::response::parse(std::span<const std::uint8_t>(out.data(), e.size));
      return p && p.value == r && e.size == 11 && out[6] == 0xDE && out[8] == 0x0A;
    };
    static_assert(round_trip());
    CHECK(round_trip());
  }
}
