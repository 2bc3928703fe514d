// Typed App commands (include/ipmikit/cmd/app.hpp), and the codec they are written with
// (cmd/codec.hpp): known byte layouts, the laws of cmd_support.hpp on generated values, each
// bad-input class by name, and compile-time use.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

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

/// The bytes x encodes to, as "04 00 32" (REQUIREs that it encodes).
template <class T>
std::string encoded_hex(const T& x) {
  std::array<std::uint8_t, T::max_size + 1> buf{};
  const cmd::encoded e = x.encode(buf);
  REQUIRE_MESSAGE(e, "encode failed: ", cmd::name(e.error));
  return test::to_hex(std::span<const std::uint8_t>(buf.data(), e.size));
}

/// The error parse() gives for the bytes of `text` ("04 00 32").
template <class T>
cmd::parse_error parse_error_of(std::string_view text) {
  return T::parse(test::hex(text)).error;
}

/// The error encode() gives for x into a buffer of max_size.
template <class T>
cmd::encode_error encode_error_of(const T& x) {
  std::array<std::uint8_t, T::max_size + 1> buf{};
  return x.encode(std::span<std::uint8_t>(buf.data(), T::max_size)).error;
}

cmd::bmc_global_enables random_global_enables(test::random_source& rng) {
  return {rng.chance(50), rng.chance(50), rng.chance(50), rng.chance(50), rng.chance(50), rng.chance(50),
          rng.chance(50)};
}

cmd::message_flags random_message_flags(test::random_source& rng) {
  return {rng.chance(50), rng.chance(50), rng.chance(50), rng.chance(50), rng.chance(50), rng.chance(50)};
}

cmd::watchdog_expiration_flags random_expiration_flags(test::random_source& rng) {
  return {rng.chance(50), rng.chance(50), rng.chance(50), rng.chance(50), rng.chance(50)};
}

cmd::set_watchdog_timer::request random_set_watchdog(test::random_source& rng) {
  cmd::set_watchdog_timer::request r;
  r.timer_use = static_cast<cmd::watchdog_timer_use>(rng.between(1, 5));
  r.dont_stop = rng.chance(50);
  r.dont_log = rng.chance(50);
  r.pretimeout_interrupt = static_cast<cmd::watchdog_pretimeout_interrupt>(rng.below(4));
  r.timeout_action = static_cast<cmd::watchdog_timeout_action>(rng.below(4));
  r.pretimeout_interval = rng.byte();
  r.clear_expiration_flags = random_expiration_flags(rng);
  r.initial_countdown = static_cast<std::uint16_t>(rng.below(0x10000));
  return r;
}

cmd::get_watchdog_timer::response random_get_watchdog(test::random_source& rng) {
  cmd::get_watchdog_timer::response r;
  r.timer_use = static_cast<cmd::watchdog_timer_use>(rng.below(6));
  r.running = rng.chance(50);
  r.dont_log = rng.chance(50);
  r.pretimeout_interrupt = static_cast<cmd::watchdog_pretimeout_interrupt>(rng.below(4));
  r.timeout_action = static_cast<cmd::watchdog_timeout_action>(rng.below(4));
  r.pretimeout_interval = rng.byte();
  r.expiration_flags = random_expiration_flags(rng);
  r.initial_countdown = static_cast<std::uint16_t>(rng.below(0x10000));
  r.present_countdown = static_cast<std::uint16_t>(rng.below(0x10000));
  return r;
}

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

// ---------------------------------------------------------------------------------------------
// BMC Global Enables, message flags, the event message buffer

TEST_SUITE("cmd") {
  TEST_CASE("cmd: BMC Global Enables as Linux's ipmi_ssif sets it, and each bit in its place") {
    // Linux enables the event message buffer and the receive message interrupt (ssif.md §8).
    const auto p = cmd::set_bmc_global_enables::request::parse(test::hex("05"));
    REQUIRE(p);
    CHECK(p->receive_message_queue_interrupt);
    CHECK_FALSE(p->event_message_buffer_full_interrupt);
    CHECK(p->event_message_buffer);
    CHECK_FALSE(p->system_event_logging);
    CHECK_FALSE(p->oem0);
    cmd::bmc_global_enables e;
    e.system_event_logging = true;
    CHECK(encoded_hex(e) == "08");
    e = {};
    e.event_message_buffer_full_interrupt = true;
    CHECK(encoded_hex(e) == "02");
    e = {};
    e.oem0 = e.oem1 = e.oem2 = true;
    CHECK(encoded_hex(e) == "E0");
    CHECK(cmd::get_bmc_global_enables::response::parse(test::hex("EF"))->oem2);
  }

  TEST_CASE("cmd: BMC Global Enables and message flags obey the codec laws on generated values and arbitrary bytes") {
    test::random_source rng(1601);
    for (int i = 0; i < 300; ++i) {
      test::check_codec_laws(random_global_enables(rng));
      test::check_codec_laws(random_message_flags(rng));
    }
    test::check_parse_random<cmd::get_bmc_global_enables::response>(rng, 500);
    test::check_parse_random<cmd::clear_message_flags::request>(rng, 500);
    test::check_parse_random<cmd::set_bmc_global_enables::response>(rng, 50);
    test::check_parse_random<cmd::get_message_flags::request>(rng, 50);
  }

  TEST_CASE("cmd: BMC Global Enables refuses each bad input by name") {
    using E = cmd::bmc_global_enables;
    SUBCASE("truncated") { CHECK(parse_error_of<E>("") == cmd::parse_error::too_short); }
    SUBCASE("oversized") { CHECK(parse_error_of<E>("01 00") == cmd::parse_error::too_long); }
    SUBCASE("reserved bit 4") { CHECK(parse_error_of<E>("10") == cmd::parse_error::reserved_value); }
    SUBCASE("no data where none is sent") {
      CHECK(parse_error_of<cmd::set_bmc_global_enables::response>("00") == cmd::parse_error::too_long);
    }
  }

  TEST_CASE("cmd: message flags as Linux clears them and as a BMC reports them") {
    // Linux clears the watchdog pre-timeout flag at probe (ssif.md §8: `18 30 08`).
    const auto c = cmd::clear_message_flags::request::parse(test::hex("08"));
    REQUIRE(c);
    CHECK(c->watchdog_pretimeout);
    CHECK_FALSE(c->receive_message_available);
    CHECK_FALSE(c->event_message_buffer_full);
    // 0x01 receive message available, 0x02 event message buffer full (kcs-bt.md).
    const auto g = cmd::get_message_flags::response::parse(test::hex("03"));
    REQUIRE(g);
    CHECK(g->receive_message_available);
    CHECK(g->event_message_buffer_full);
    CHECK_FALSE(g->watchdog_pretimeout);
    cmd::message_flags f;
    f.oem1 = true;
    f.watchdog_pretimeout = true;
    CHECK(encoded_hex(f) == "48");
  }

  TEST_CASE("cmd: message flags refuse each bad input by name") {
    using F = cmd::message_flags;
    SUBCASE("truncated") { CHECK(parse_error_of<F>("") == cmd::parse_error::too_short); }
    SUBCASE("oversized") { CHECK(parse_error_of<F>("08 08") == cmd::parse_error::too_long); }
    SUBCASE("reserved bits 2 and 4") {
      CHECK(parse_error_of<F>("04") == cmd::parse_error::reserved_value);
      CHECK(parse_error_of<F>("10") == cmd::parse_error::reserved_value);
      CHECK(parse_error_of<F>("FF") == cmd::parse_error::reserved_value);
    }
  }

  TEST_CASE("cmd: Read Event Message Buffer carries its 16 bytes as they are") {
    // The Watchdog 2 event ipmikit-bmc puts in the buffer: record 1, system event record,
    // generator 20h, EvM rev 04, sensor type 23h, sensor 1, sensor-specific, offset 1 (hard reset).
    const auto b = test::hex("01 00 02 78 56 34 12 20 00 04 23 01 6F C1 04 FF");
    const auto p = cmd::read_event_message_buffer::response::parse(b);
    REQUIRE(p);
    CHECK(p->message[2] == 0x02);
    CHECK(p->message[3] == 0x78);
    CHECK(p->message[10] == 0x23);
    CHECK(p->message[15] == 0xFF);
    CHECK(encoded_hex(*p) == "01 00 02 78 56 34 12 20 00 04 23 01 6F C1 04 FF");
    test::random_source rng(1602);
    for (int i = 0; i < 300; ++i) {
      cmd::read_event_message_buffer::response r;
      for (auto& x : r.message) x = rng.byte();
      test::check_codec_laws(r);
    }
    test::check_parse_random<cmd::read_event_message_buffer::response>(rng, 500);
    SUBCASE("truncated") {
      CHECK(cmd::read_event_message_buffer::response::parse(std::span(b).first(15)).error ==
            cmd::parse_error::too_short);
    }
    SUBCASE("oversized") {
      CHECK(cmd::read_event_message_buffer::response::parse(test::cat({b, {0x00}})).error ==
            cmd::parse_error::too_long);
    }
    CHECK(cmd::event_message_buffer_empty == static_cast<completion_code>(0x80));
  }

  // -------------------------------------------------------------------------------------------
  // The watchdog

  TEST_CASE("cmd: Set Watchdog Timer as Linux's ipmi_watchdog sends it") {
    // docs/ipmikit-bmc-guest.md: SMS/OS, no action, 5.0 s; then don't stop, hard reset.
    const auto first = cmd::set_watchdog_timer::request::parse(test::hex("04 00 00 00 32 00"));
    REQUIRE(first);
    CHECK(first->timer_use == cmd::watchdog_timer_use::sms_os);
    CHECK_FALSE(first->dont_stop);
    CHECK_FALSE(first->dont_log);
    CHECK(first->pretimeout_interrupt == cmd::watchdog_pretimeout_interrupt::none);
    CHECK(first->timeout_action == cmd::watchdog_timeout_action::none);
    CHECK(first->pretimeout_interval == 0);
    CHECK(first->clear_expiration_flags == cmd::watchdog_expiration_flags{});
    CHECK(first->initial_countdown == 50);

    const auto second = cmd::set_watchdog_timer::request::parse(test::hex("44 01 00 00 32 00"));
    REQUIRE(second);
    CHECK(second->dont_stop);
    CHECK(second->timeout_action == cmd::watchdog_timeout_action::hard_reset);

    cmd::set_watchdog_timer::request r;
    r.timer_use = cmd::watchdog_timer_use::os_load;
    r.dont_log = true;
    r.pretimeout_interrupt = cmd::watchdog_pretimeout_interrupt::messaging;
    r.timeout_action = cmd::watchdog_timeout_action::power_cycle;
    r.pretimeout_interval = 10;
    r.clear_expiration_flags.sms_os = true;
    r.clear_expiration_flags.bios_frb2 = true;
    r.initial_countdown = 6000;  // 600.0 s
    CHECK(encoded_hex(r) == "83 33 0A 12 70 17");
  }

  TEST_CASE("cmd: Get Watchdog Timer as a running SMS/OS timer reports itself") {
    // After the two Sets above, running, the SMS/OS use expired once before, 3.0 s left.
    const auto p = cmd::get_watchdog_timer::response::parse(test::hex("44 01 00 10 32 00 1E 00"));
    REQUIRE(p);
    CHECK(p->timer_use == cmd::watchdog_timer_use::sms_os);
    CHECK(p->running);
    CHECK_FALSE(p->dont_log);
    CHECK(p->timeout_action == cmd::watchdog_timeout_action::hard_reset);
    CHECK(p->expiration_flags.sms_os);
    CHECK(p->expiration_flags[cmd::watchdog_timer_use::sms_os]);
    CHECK_FALSE(p->expiration_flags[cmd::watchdog_timer_use::os_load]);
    CHECK_FALSE(p->expiration_flags.bios_frb2);
    CHECK(p->initial_countdown == 50);
    CHECK(p->present_countdown == 30);
    // A BMC whose timer was never set: timer use 0 (reserved for Set) is accepted here.
    const auto unset = cmd::get_watchdog_timer::response::parse(test::hex("00 00 00 00 00 00 00 00"));
    REQUIRE(unset);
    CHECK(unset->timer_use == cmd::watchdog_timer_use::none);
    cmd::get_watchdog_timer::response r;
    r.timer_use = cmd::watchdog_timer_use::bios_post;
    r.pretimeout_interrupt = cmd::watchdog_pretimeout_interrupt::nmi;
    r.timeout_action = cmd::watchdog_timeout_action::power_down;
    r.expiration_flags.oem = true;
    r.initial_countdown = 0x1234;
    r.present_countdown = 0x0102;
    CHECK(encoded_hex(r) == "02 22 00 20 34 12 02 01");
  }

  TEST_CASE("cmd: the watchdog commands obey the codec laws on generated values and arbitrary bytes") {
    test::random_source rng(1603);
    for (int i = 0; i < 400; ++i) {
      test::check_codec_laws(random_set_watchdog(rng));
      test::check_codec_laws(random_get_watchdog(rng));
    }
    test::check_parse_random<cmd::set_watchdog_timer::request>(rng, 2000);
    test::check_parse_random<cmd::get_watchdog_timer::response>(rng, 2000);
    test::check_parse_random<cmd::reset_watchdog_timer::request>(rng, 50);
    test::check_parse_random<cmd::set_watchdog_timer::response>(rng, 50);
    CHECK(cmd::watchdog_not_initialized == static_cast<completion_code>(0x80));
  }

  TEST_CASE("cmd: Set Watchdog Timer refuses each bad input by name") {
    using R = cmd::set_watchdog_timer::request;
    SUBCASE("truncated") { CHECK(parse_error_of<R>("04 00 00 00 32") == cmd::parse_error::too_short); }
    SUBCASE("oversized") { CHECK(parse_error_of<R>("04 00 00 00 32 00 00") == cmd::parse_error::too_long); }
    SUBCASE("reserved timer uses 0, 6 and 7") {
      CHECK(parse_error_of<R>("00 00 00 00 32 00") == cmd::parse_error::reserved_value);
      CHECK(parse_error_of<R>("06 00 00 00 32 00") == cmd::parse_error::reserved_value);
      CHECK(parse_error_of<R>("47 00 00 00 32 00") == cmd::parse_error::reserved_value);
    }
    SUBCASE("reserved bits of the timer use byte") {
      CHECK(parse_error_of<R>("0C 00 00 00 32 00") == cmd::parse_error::reserved_value);
      CHECK(parse_error_of<R>("24 00 00 00 32 00") == cmd::parse_error::reserved_value);
    }
    SUBCASE("reserved pre-timeout interrupts and timeout actions") {
      CHECK(parse_error_of<R>("04 40 00 00 32 00") == cmd::parse_error::reserved_value);
      CHECK(parse_error_of<R>("04 04 00 00 32 00") == cmd::parse_error::reserved_value);
      CHECK(parse_error_of<R>("04 08 00 00 32 00") == cmd::parse_error::reserved_value);
      CHECK(parse_error_of<R>("04 81 00 00 32 00") == cmd::parse_error::reserved_value);
    }
    SUBCASE("reserved expiration flag bits 0, 6 and 7") {
      CHECK(parse_error_of<R>("04 00 00 01 32 00") == cmd::parse_error::reserved_value);
      CHECK(parse_error_of<R>("04 00 00 40 32 00") == cmd::parse_error::reserved_value);
      CHECK(parse_error_of<R>("04 00 00 80 32 00") == cmd::parse_error::reserved_value);
    }
    SUBCASE("out of range: values encode() cannot send") {
      R r;
      r.timer_use = cmd::watchdog_timer_use::none;
      CHECK(encode_error_of(r) == cmd::encode_error::out_of_range);
      r.timer_use = static_cast<cmd::watchdog_timer_use>(6);
      CHECK(encode_error_of(r) == cmd::encode_error::out_of_range);
      r.timer_use = cmd::watchdog_timer_use::sms_os;
      r.timeout_action = static_cast<cmd::watchdog_timeout_action>(4);
      CHECK(encode_error_of(r) == cmd::encode_error::out_of_range);
      r.timeout_action = cmd::watchdog_timeout_action::none;
      r.pretimeout_interrupt = static_cast<cmd::watchdog_pretimeout_interrupt>(8);
      CHECK(encode_error_of(r) == cmd::encode_error::out_of_range);
    }
  }

  TEST_CASE("cmd: Get Watchdog Timer refuses each bad input by name") {
    using R = cmd::get_watchdog_timer::response;
    SUBCASE("truncated") { CHECK(parse_error_of<R>("44 01 00 10 32 00 1E") == cmd::parse_error::too_short); }
    SUBCASE("oversized") { CHECK(parse_error_of<R>("44 01 00 10 32 00 1E 00 00") == cmd::parse_error::too_long); }
    SUBCASE("reserved timer uses and bits") {
      CHECK(parse_error_of<R>("07 01 00 00 32 00 1E 00") == cmd::parse_error::reserved_value);
      CHECK(parse_error_of<R>("14 01 00 00 32 00 1E 00") == cmd::parse_error::reserved_value);
      CHECK(parse_error_of<R>("44 71 00 00 32 00 1E 00") == cmd::parse_error::reserved_value);
      CHECK(parse_error_of<R>("44 01 00 41 32 00 1E 00") == cmd::parse_error::reserved_value);
    }
    SUBCASE("out of range: values encode() cannot send") {
      R r;
      r.timer_use = static_cast<cmd::watchdog_timer_use>(7);
      CHECK(encode_error_of(r) == cmd::encode_error::out_of_range);
    }
  }

  TEST_CASE("cmd: the watchdog and flag commands encode and parse at compile time") {
    constexpr auto round_trip = [] {
      cmd::set_watchdog_timer::request r;
      r.timeout_action = cmd::watchdog_timeout_action::hard_reset;
      r.initial_countdown = 50;
      std::array<std::uint8_t, 6> out{};
      const auto e = r.encode(out);
      const auto p = cmd::set_watchdog_timer::request::parse(out);
      const std::array<std::uint8_t, 1> flags{0x08};
      return e.size == 6 && out[0] == 0x04 && out[1] == 0x01 && out[4] == 0x32 && p && p.value == r &&
             cmd::clear_message_flags::request::parse(flags)->watchdog_pretimeout;
    };
    static_assert(round_trip());
    CHECK(round_trip());
  }
}
