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
using test::encode_error_of;

namespace {

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

/// True when the password bytes of `r` are those of `text`, NUL padded to the form's size;
/// compared without printing either.
bool password_is(const cmd::set_user_password::request& r, std::string_view text) {
  const auto p = r.password_bytes();
  if (text.size() > p.size()) return false;
  for (std::size_t i = 0; i < p.size(); ++i)
    if (p[i] != (i < text.size() ? static_cast<std::uint8_t>(text[i]) : 0)) return false;
  return true;
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
    test::check_codec_laws_generated<cmd::get_device_id::response>(rng, 500);
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
    test::check_parse_random_each<cmd::get_self_test_results::response, cmd::get_device_guid::response>(rng, 500);
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
    test::check_at_compile_time([] {
      cmd::get_device_id::response r;
      r.device_id = 0x20;
      r.manufacturer_id = 0xABCDE;
      r.product_id = 0x1234;
      const auto t = test::round_trip(r);
      return t.same && t.size == 11 && t.bytes[6] == 0xDE && t.bytes[8] == 0x0A;
    });
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
    test::check_codec_laws_generated<cmd::bmc_global_enables, cmd::message_flags>(rng, 300);
    test::check_parse_random_each<cmd::get_bmc_global_enables::response, cmd::clear_message_flags::request>(rng, 500);
    test::check_parse_random_each<cmd::set_bmc_global_enables::response, cmd::get_message_flags::request>(rng, 50);
  }

  TEST_CASE("cmd: BMC Global Enables refuses each bad input by name") {
    using E = cmd::bmc_global_enables;
    SUBCASE("truncated and oversized") { test::check_exact_length<E>("01"); }
    SUBCASE("reserved bit 4") { CHECK(parse_error_of<E>("10") == cmd::parse_error::reserved_value); }
    SUBCASE("no data where none is sent") {
      test::check_refused<cmd::set_bmc_global_enables::response>(cmd::parse_error::too_long, {"00"});
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
      test::check_refused<F>(cmd::parse_error::reserved_value, {"04", "10", "FF"});
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
    test::check_codec_laws_generated<cmd::set_watchdog_timer::request, cmd::get_watchdog_timer::response>(rng, 400);
    test::check_parse_random_each<cmd::set_watchdog_timer::request, cmd::get_watchdog_timer::response>(rng, 2000);
    test::check_parse_random_each<cmd::reset_watchdog_timer::request, cmd::set_watchdog_timer::response>(rng, 50);
    CHECK(cmd::watchdog_not_initialized == static_cast<completion_code>(0x80));
  }

  // cmd/app.hpp's timer_fields says why: firmware sets them (Insyde's "don't stop" is 60h).
  TEST_CASE("cmd: Set Watchdog Timer ignores its reserved bits; Get Watchdog Timer's response refuses them") {
    using R = cmd::set_watchdog_timer::request;
    // Byte 1 [5:3], byte 2 b7 and b3, byte 4 b7, b6 and b0, each alone and all at once.
    for (const char* h : {"0C 00 00 00 32 00", "24 00 00 00 32 00", "64 00 00 00 32 00", "04 08 00 00 32 00",
                          "04 81 00 00 32 00", "04 00 00 01 32 00", "04 00 00 40 32 00", "04 00 00 80 32 00",
                          "FC 99 0A D3 32 00"}) {
      CAPTURE(h);
      const auto p = R::parse(test::hex(h));
      REQUIRE(p);
      // What is read is what the bytes say without those bits.
      bytes masked = test::hex(h);
      masked[0] &= 0xC7;
      masked[1] &= 0x77;
      masked[3] &= 0x3E;
      CHECK(p.value == *R::parse(masked));
      CHECK(test::encode_bytes(*p) == masked);
    }
    const auto insyde = R::parse(test::hex("64 00 00 00 32 00"));
    CHECK(insyde->dont_stop);
    CHECK(insyde->timer_use == cmd::watchdog_timer_use::sms_os);
    using G = cmd::get_watchdog_timer::response;
    test::check_refused<G>(cmd::parse_error::reserved_value, {"64 00 00 00 32 00 00 00", "04 08 00 00 32 00 00 00",
        "04 00 00 01 32 00 00 00"});
  }

  TEST_CASE("cmd: Set Watchdog Timer refuses each bad input by name") {
    using R = cmd::set_watchdog_timer::request;
    SUBCASE("truncated and oversized") { test::check_exact_length<R>("04 00 00 00 32 00"); }
    SUBCASE("reserved timer uses 0, 6 and 7") {
      test::check_refused<R>(cmd::parse_error::reserved_value, {"00 00 00 00 32 00", "06 00 00 00 32 00",
          "47 00 00 00 32 00"});
    }
    SUBCASE("reserved pre-timeout interrupts and timeout actions") {
      test::check_refused<R>(cmd::parse_error::reserved_value, {"04 40 00 00 32 00", "04 04 00 00 32 00"});
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
    SUBCASE("truncated and oversized") { test::check_exact_length<R>("44 01 00 10 32 00 1E 00"); }
    SUBCASE("reserved timer uses and bits") {
      test::check_refused<R>(cmd::parse_error::reserved_value, {"07 01 00 00 32 00 1E 00", "14 01 00 00 32 00 1E 00",
          "44 71 00 00 32 00 1E 00", "44 01 00 41 32 00 1E 00"});
    }
    SUBCASE("out of range: values encode() cannot send") {
      R r;
      r.timer_use = static_cast<cmd::watchdog_timer_use>(7);
      CHECK(encode_error_of(r) == cmd::encode_error::out_of_range);
    }
  }

  TEST_CASE("cmd: the watchdog and flag commands encode and parse at compile time") {
    test::check_at_compile_time([] {
      cmd::set_watchdog_timer::request r;
      r.timeout_action = cmd::watchdog_timeout_action::hard_reset;
      r.initial_countdown = 50;
      std::array<std::uint8_t, 6> out{};
      const auto e = r.encode(out);
      const auto p = cmd::set_watchdog_timer::request::parse(out);
      const std::array<std::uint8_t, 1> flags{0x08};
      return e.size == 6 && out[0] == 0x04 && out[1] == 0x01 && out[4] == 0x32 && p && p.value == r &&
             cmd::clear_message_flags::request::parse(flags)->watchdog_pretimeout;
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Channels: authentication capabilities, cipher suites, info, access

TEST_SUITE("cmd") {
  TEST_CASE("cmd: Get Channel Authentication Capabilities as ipmitool asks and pyghmi answers") {
    using C = cmd::get_channel_authentication_capabilities;
    // lan.md §3: ipmitool sends 8E 04, then 0E 04 on any error.
    const auto rq = C::request::parse(test::hex("8E 04"));
    REQUIRE(rq);
    CHECK(rq->extended_data);
    CHECK(rq->channel == cmd::present_channel);
    CHECK(rq->max_privilege == cmd::privilege::administrator);
    CHECK(encoded_hex(C::request{cmd::present_channel, false, cmd::privilege::administrator}) == "0E 04");
    CHECK(encoded_hex(C::request{1, true, cmd::privilege::user}) == "81 02");

    // pyghmi's answer: channel 1, v2.0 extended data and no v1.5 authentication types,
    // non-null usernames, IPMI v2.0 connections.
    const auto rs = C::response::parse(test::hex("01 80 04 02 00 00 00 00"));
    REQUIRE(rs);
    CHECK(rs->channel == 1);
    CHECK(rs->extended_capabilities);
    CHECK_FALSE(rs->auth_none);
    CHECK_FALSE(rs->auth_md5);
    CHECK(rs->non_null_usernames);
    CHECK_FALSE(rs->null_usernames);
    CHECK_FALSE(rs->anonymous_login);
    CHECK(rs->supports_ipmi_v20);
    CHECK_FALSE(rs->supports_ipmi_v15);
    CHECK(rs->oem_id == 0);

    C::response r;
    r.channel = 2;
    r.auth_none = r.auth_md2 = r.auth_md5 = r.auth_straight_password = r.auth_oem = true;
    r.kg_nonzero = r.per_message_auth_disabled = true;
    r.anonymous_login = true;
    r.supports_ipmi_v15 = true;
    r.oem_id = 0x001BF2;
    r.oem_auxiliary_data = 0x5A;
    CHECK(encoded_hex(r) == "02 37 31 01 F2 1B 00 5A");
  }

  TEST_CASE("cmd: Get Channel Authentication Capabilities obeys the codec laws on generated values and arbitrary bytes") {
    test::random_source rng(1701);
    test::check_command_laws<cmd::get_channel_authentication_capabilities>(rng, 400, 1000, 2000);
  }

  TEST_CASE("cmd: Get Channel Authentication Capabilities refuses each bad input by name") {
    using C = cmd::get_channel_authentication_capabilities;
    SUBCASE("truncated and oversized: one byte less, one more") {
      test::check_exact_length<C::request>("8E 04");
      test::check_exact_length<C::response>("01 80 04 02 00 00 00 00");
    }
    SUBCASE("reserved privilege levels, channels and bits") {
      // 8E 00: privilege 0; 8E 0F: no access is not asked for; 8C 04: channel Ch.
      test::check_refused<C::request>(cmd::parse_error::reserved_value, {"8E 00", "8E 06", "8E 0F", "8E 14", "8C 04",
          "9E 04"});
      // 01 C0 04 02 00 00 00 00: b6; 01 88 04 02 00 00 00 00: b3.
      test::check_refused<C::response>(cmd::parse_error::reserved_value, {"01 C0 04 02 00 00 00 00",
          "01 88 04 02 00 00 00 00", "01 80 44 02 00 00 00 00", "01 80 04 06 00 00 00 00", "11 80 04 02 00 00 00 00",
          "0D 80 04 02 00 00 00 00"});
    }
    SUBCASE("out of range: values encode() cannot send") {
      CHECK(encode_error_of(C::request{0x10, true, cmd::privilege::user}) == cmd::encode_error::out_of_range);
      CHECK(encode_error_of(C::request{0xC, true, cmd::privilege::user}) == cmd::encode_error::out_of_range);
      CHECK(encode_error_of(C::request{1, true, cmd::privilege::no_access}) == cmd::encode_error::out_of_range);
      CHECK(encode_error_of(C::request{1, true, cmd::privilege::unspecified}) == cmd::encode_error::out_of_range);
      C::response r;
      r.oem_id = 0x1000000;
      CHECK(encode_error_of(r) == cmd::encode_error::out_of_range);
    }
  }

  TEST_CASE("cmd: Get Channel Cipher Suites as ipmitool asks and pyghmi answers") {
    using C = cmd::get_channel_cipher_suites;
    // ipmitool's pre-session query (lan.md §4): this channel, IPMI payload, list by suite, index 0.
    const auto rq = C::request::parse(test::hex("0E 00 80"));
    REQUIRE(rq);
    CHECK(rq->channel == cmd::present_channel);
    CHECK(rq->payload == cmd::payload_type::ipmi);
    CHECK(rq->list_by_cipher_suite);
    CHECK(rq->list_index == 0);
    CHECK(encoded_hex(C::request{1, cmd::payload_type::sol, true, 2}) == "01 01 82");
    CHECK(encoded_hex(C::request{1, cmd::payload_type::ipmi, false, 0x3F}) == "01 00 3F");

    // Suite 3 only (pyghmi): C0 03 01 41 81 — fewer than 16 bytes, the list ends.
    const auto one = C::response::parse(test::hex("01 C0 03 01 41 81"));
    REQUIRE(one);
    CHECK(one->channel == 1);
    CHECK(one->size == 5);
    CHECK(test::to_hex(one->records()) == "C0 03 01 41 81");
    CHECK_FALSE(one->more());
    // Suites 3 and 17, then the first 6 bytes of an OEM record (C1, suite 20h, IANA, auth): 16 bytes, ask for index 1.
    const auto full = C::response::parse(test::hex("01 C0 03 01 41 81 C0 11 03 44 81 C1 20 F2 1B 00 01"));
    REQUIRE(full);
    CHECK(full->size == 16);
    CHECK(full->more());
    CHECK(full->data[6] == 0x11);
    CHECK(encoded_hex(*full) == "01 C0 03 01 41 81 C0 11 03 44 81 C1 20 F2 1B 00 01");
    const auto empty = C::response::parse(test::hex("01"));
    REQUIRE(empty);
    CHECK(empty->records().empty());
  }

  TEST_CASE("cmd: Get Channel Cipher Suites obeys the codec laws on generated values and arbitrary bytes") {
    test::random_source rng(1702);
    test::check_command_laws<cmd::get_channel_cipher_suites>(rng, 400, 2000, 2000);
  }

  TEST_CASE("cmd: Get Channel Cipher Suites refuses each bad input by name") {
    using C = cmd::get_channel_cipher_suites;
    SUBCASE("truncated") {
      test::check_refused<C::request>(cmd::parse_error::too_short, {"0E 00"});
      test::check_refused<C::response>(cmd::parse_error::too_short, {""});
    }
    SUBCASE("oversized: more than 16 record bytes") {
      test::check_refused<C::request>(cmd::parse_error::too_long, {"0E 00 80 00"});
      CHECK(parse_error_of<C::response>("01 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10") ==
            cmd::parse_error::too_long);
    }
    SUBCASE("reserved payload types and bits") {
      test::check_refused<C::request>(cmd::parse_error::reserved_value, {"0E 03 80", "0E 16 80", "0E 28 80",
          "0E 40 80", "0E 00 C0", "1E 00 80"});
      test::check_refused<C::response>(cmd::parse_error::reserved_value, {"F1 C0"});
    }
    SUBCASE("out of range: values encode() cannot send") {
      CHECK(encode_error_of(C::request{1, cmd::payload_type::ipmi, true, 0x40}) == cmd::encode_error::out_of_range);
      CHECK(encode_error_of(C::request{1, static_cast<cmd::payload_type>(0x05), true, 0}) ==
            cmd::encode_error::out_of_range);
      C::response r;
      r.size = 17;
      CHECK(encode_error_of(r) == cmd::encode_error::out_of_range);
      r.size = 2;
      r.data[5] = 0x01;  // a byte past size: not what parse() would give
      CHECK(encode_error_of(r) == cmd::encode_error::out_of_range);
    }
  }

  TEST_CASE("cmd: Get Channel Info for a LAN channel and for the system interface") {
    using C = cmd::get_channel_info;
    CHECK(encoded_hex(C::request{1}) == "01");
    CHECK(C::request::parse(test::hex("0E"))->channel == cmd::present_channel);
    // LAN channel 1: 802.3 LAN, IPMB-1.0 protocol, multi-session with 2 active, IPMI forum IANA.
    const auto lan = C::response::parse(test::hex("01 04 01 82 F2 1B 00 00 00"));
    REQUIRE(lan);
    CHECK(lan->channel == 1);
    CHECK(lan->medium == cmd::channel_medium::lan_802_3);
    CHECK(lan->protocol == cmd::channel_protocol::ipmb);
    CHECK(lan->sessions == cmd::session_support::multi_session);
    CHECK(lan->active_sessions == 2);
    CHECK(lan->protocol_vendor_id == cmd::ipmi_forum_iana);
    // The system interface (channel Fh), KCS, session-less.
    C::response si;
    si.channel = cmd::system_interface_channel;
    si.medium = cmd::channel_medium::system_interface;
    si.protocol = cmd::channel_protocol::kcs;
    si.auxiliary_info = {0x01, 0x02};
    CHECK(encoded_hex(si) == "0F 0C 05 00 F2 1B 00 01 02");
    // SMBus v2.0 is 09h, USB 1.x 0Ah (table 6-3).
    CHECK(C::response::parse(test::hex("02 09 04 00 F2 1B 00 00 00"))->medium == cmd::channel_medium::smbus_v20);
    CHECK(C::response::parse(test::hex("02 0A 04 00 F2 1B 00 00 00"))->medium == cmd::channel_medium::usb_1x);
  }

  TEST_CASE("cmd: Get Channel Info obeys the codec laws on generated values and arbitrary bytes") {
    test::random_source rng(1703);
    test::check_command_laws<cmd::get_channel_info>(rng, 400, 500, 2000);
  }

  TEST_CASE("cmd: Get Channel Info refuses each bad input by name") {
    using C = cmd::get_channel_info;
    SUBCASE("truncated and oversized: one byte less, one more") {
      test::check_exact_length<C::request>("01");
      test::check_exact_length<C::response>("01 04 01 82 F2 1B 00 00 00");
    }
    SUBCASE("reserved media, protocols, channels and bits") {
      test::check_refused<C::request>(cmd::parse_error::reserved_value, {"0D", "21"});
      test::check_refused<C::response>(cmd::parse_error::reserved_value, {"01 00 01 82 F2 1B 00 00 00",
          "01 0D 01 82 F2 1B 00 00 00", "01 5F 01 82 F2 1B 00 00 00", "01 84 01 82 F2 1B 00 00 00",
          "01 04 03 82 F2 1B 00 00 00", "01 04 0A 82 F2 1B 00 00 00", "01 04 21 82 F2 1B 00 00 00",
          "0C 04 01 82 F2 1B 00 00 00"});
    }
    SUBCASE("OEM media and protocols are accepted") {
      CHECK(C::response::parse(test::hex("01 60 1C 82 F2 1B 00 00 00")));
      CHECK(C::response::parse(test::hex("01 7F 1F 82 F2 1B 00 00 00")));
    }
    SUBCASE("out of range: values encode() cannot send") {
      C::response r;
      r.active_sessions = 64;
      CHECK(encode_error_of(r) == cmd::encode_error::out_of_range);
      r.active_sessions = 0;
      r.medium = static_cast<cmd::channel_medium>(0x0D);
      CHECK(encode_error_of(r) == cmd::encode_error::out_of_range);
      r.medium = cmd::channel_medium::ipmb;
      r.protocol = static_cast<cmd::channel_protocol>(0x03);
      CHECK(encode_error_of(r) == cmd::encode_error::out_of_range);
      CHECK(encode_error_of(C::request{0xD}) == cmd::encode_error::out_of_range);
    }
  }

  TEST_CASE("cmd: Get and Set Channel Access as ipmitool sends them") {
    using G = cmd::get_channel_access;
    using S = cmd::set_channel_access;
    // ipmitool `channel info`: the non-volatile (40h) and the volatile (80h) settings.
    const auto nv = G::request::parse(test::hex("01 40"));
    REQUIRE(nv);
    CHECK(nv->channel == 1);
    CHECK(nv->setting == cmd::channel_setting::non_volatile);
    CHECK(encoded_hex(G::request{1, cmd::channel_setting::volatile_}) == "01 80");
    // Always available, administrator; then everything disabled, shared, operator.
    const auto rs = G::response::parse(test::hex("02 04"));
    REQUIRE(rs);
    CHECK(rs->access_mode == cmd::channel_access_mode::always_available);
    CHECK(rs->privilege_limit == cmd::privilege::administrator);
    CHECK_FALSE(rs->pef_alerting_disabled);
    CHECK(encoded_hex(G::response{true, true, true, cmd::channel_access_mode::shared, cmd::privilege::operator_}) ==
          "3B 03");
    CHECK(encoded_hex(G::response{false, true, false, cmd::channel_access_mode::pre_boot_only,
                                  cmd::privilege::callback}) == "11 01");

    // Set: the volatile access to always available and the volatile limit to administrator.
    S::request s;
    s.channel = 1;
    s.access_setting = cmd::channel_setting::volatile_;
    s.access_mode = cmd::channel_access_mode::always_available;
    s.privilege_setting = cmd::channel_setting::volatile_;
    s.privilege_limit = cmd::privilege::administrator;
    CHECK(encoded_hex(s) == "01 82 84");
    const auto back = S::request::parse(test::hex("01 82 84"));
    REQUIRE(back);
    CHECK(*back == s);
    // Nothing set at all, and the limit alone in non-volatile storage.
    const auto none = S::request::parse(test::hex("01 00 00"));
    REQUIRE(none);
    CHECK(none->access_setting == cmd::channel_setting::dont_set);
    CHECK(none->privilege_limit == cmd::privilege::unspecified);
    const auto limit = S::request::parse(test::hex("02 00 42"));
    REQUIRE(limit);
    CHECK(limit->privilege_setting == cmd::channel_setting::non_volatile);
    CHECK(limit->privilege_limit == cmd::privilege::user);
  }

  TEST_CASE("cmd: Get and Set Channel Access obey the codec laws on generated values and arbitrary bytes") {
    test::random_source rng(1704);
    test::check_codec_laws_generated<cmd::get_channel_access::request,
        cmd::get_channel_access::response,
        cmd::set_channel_access::request>(rng, 400);
    test::check_parse_random_each<cmd::get_channel_access::request, cmd::get_channel_access::response>(rng, 1000);
    test::check_parse_random<cmd::set_channel_access::request>(rng, 2000);
    test::check_parse_random<cmd::set_channel_access::response>(rng, 50);
  }

  TEST_CASE("cmd: Get and Set Channel Access refuse each bad input by name") {
    using G = cmd::get_channel_access;
    using S = cmd::set_channel_access;
    SUBCASE("truncated and oversized: one byte less, one more") {
      test::check_exact_length<G::request>("01 40");
      test::check_exact_length<G::response>("02 04");
      test::check_exact_length<S::request>("01 82 84");
    }
    SUBCASE("reserved settings, access modes, privilege levels and bits") {
      // 01 00: neither setting.
      test::check_refused<G::request>(cmd::parse_error::reserved_value, {"01 00", "01 C0", "01 41"});
      // 04 04: access mode 4; 02 0F: no access is a user's.
      test::check_refused<G::response>(cmd::parse_error::reserved_value, {"04 04", "42 04", "02 00", "02 0F", "02 14"});
      // 01 82 80: set, but to 0h.
      test::check_refused<S::request>(cmd::parse_error::reserved_value, {"01 C2 84", "01 82 C4", "01 82 80",
          "01 82 94", "01 87 84", "01 00 06"});
    }
    SUBCASE("out of range: values encode() cannot send") {
      CHECK(encode_error_of(G::request{1, cmd::channel_setting::dont_set}) == cmd::encode_error::out_of_range);
      CHECK(encode_error_of(G::response{false, false, false, static_cast<cmd::channel_access_mode>(5),
                                        cmd::privilege::user}) == cmd::encode_error::out_of_range);
      CHECK(encode_error_of(G::response{false, false, false, cmd::channel_access_mode::shared,
                                        cmd::privilege::unspecified}) == cmd::encode_error::out_of_range);
      S::request s;
      s.privilege_setting = cmd::channel_setting::volatile_;  // with privilege unspecified
      CHECK(encode_error_of(s) == cmd::encode_error::out_of_range);
      s.privilege_limit = cmd::privilege::oem;
      s.access_setting = static_cast<cmd::channel_setting>(3);
      CHECK(encode_error_of(s) == cmd::encode_error::out_of_range);
    }
  }

  TEST_CASE("cmd: the channel commands encode and parse at compile time") {
    test::check_at_compile_time([] {
      const std::array<std::uint8_t, 8> caps{0x01, 0x80, 0x04, 0x02, 0x00, 0x00, 0x00, 0x00};
      const auto p = cmd::get_channel_authentication_capabilities::response::parse(caps);
      std::array<std::uint8_t, 9> out{};
      cmd::get_channel_info::response info;
      info.channel = 1;
      info.medium = cmd::channel_medium::lan_802_3;
      info.protocol = cmd::channel_protocol::ipmb;
      const auto e = info.encode(out);
      return p && p->supports_ipmi_v20 && p->non_null_usernames && e.size == 9 && out[1] == 0x04 &&
             out[4] == 0xF2 && out[5] == 0x1B && cmd::get_channel_info::response::parse(out).value == info;
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Users, and the system interface capabilities

TEST_SUITE("cmd") {
  TEST_CASE("cmd: Get and Set User Name as ipmitool's user list and user set name send them") {
    CHECK(encoded_hex(cmd::get_user_name::request{2}) == "02");
    const auto rs = cmd::get_user_name::response::parse(test::hex("61 64 6D 69 6E 00 00 00 00 00 00 00 00 00 00 00"));
    REQUIRE(rs);
    CHECK(cmd::name_view(rs->name) == "admin");
    const auto set = cmd::set_user_name::request{2, *cmd::make_user_name("admin")};
    CHECK(encoded_hex(set) == "02 61 64 6D 69 6E 00 00 00 00 00 00 00 00 00 00 00");
    const auto back = cmd::set_user_name::request::parse(test::hex("03 6F 70 65 72 61 74 6F 72 00 00 00 00 00 00 00 00"));
    REQUIRE(back);
    CHECK(back->user_id == 3);
    CHECK(cmd::name_view(back->name) == "operator");
    // A name of all 16 bytes has no NUL; one of 17 does not fit.
    const auto full = cmd::make_user_name("abcdefghijklmnop");
    REQUIRE(full);
    CHECK(cmd::name_view(*full) == "abcdefghijklmnop");
    CHECK_FALSE(cmd::make_user_name("abcdefghijklmnopq"));
    CHECK(cmd::name_view(cmd::user_name{}).empty());  // user 1, the null user
  }

  TEST_CASE("cmd: Get and Set User Name obey the codec laws on generated values and arbitrary bytes") {
    test::random_source rng(1801);
    test::check_codec_laws_generated<cmd::get_user_name::request,
        cmd::get_user_name::response,
        cmd::set_user_name::request>(rng, 300);
    test::check_parse_random<cmd::get_user_name::request>(rng, 500);
    test::check_parse_random_each<cmd::get_user_name::response, cmd::set_user_name::request>(rng, 1000);
    test::check_parse_random<cmd::set_user_name::response>(rng, 50);
  }

  TEST_CASE("cmd: Get and Set User Name refuse each bad input by name") {
    SUBCASE("truncated") {
      test::check_refused<cmd::get_user_name::request>(cmd::parse_error::too_short, {""});
      test::check_refused<cmd::get_user_name::response>(cmd::parse_error::too_short, {"61 64 6D 69 6E"});
      test::check_refused<cmd::set_user_name::request>(cmd::parse_error::too_short, {"02 61 64 6D 69 6E"});
    }
    SUBCASE("oversized") {
      test::check_refused<cmd::get_user_name::request>(cmd::parse_error::too_long, {"02 00"});
      CHECK(parse_error_of<cmd::set_user_name::request>("02 61 64 6D 69 6E 00 00 00 00 00 00 00 00 00 00 00 00") ==
            cmd::parse_error::too_long);
    }
    SUBCASE("reserved user ID 0 and bits") {
      test::check_refused<cmd::get_user_name::request>(cmd::parse_error::reserved_value, {"00", "42"});
      CHECK(parse_error_of<cmd::set_user_name::request>("80 61 64 6D 69 6E 00 00 00 00 00 00 00 00 00 00 00") ==
            cmd::parse_error::reserved_value);
    }
    SUBCASE("out of range: values encode() cannot send") {
      CHECK(encode_error_of(cmd::get_user_name::request{0}) == cmd::encode_error::out_of_range);
      CHECK(encode_error_of(cmd::get_user_name::request{64}) == cmd::encode_error::out_of_range);
      CHECK(encode_error_of(cmd::set_user_name::request{0, {}}) == cmd::encode_error::out_of_range);
    }
  }

  TEST_CASE("cmd: Set User Password in its 16- and 20-byte forms, as ipmitool sends them") {
    using R = cmd::set_user_password::request;
    // `user set password 2 secret`: 18 bytes.
    R r;
    r.user_id = 2;
    r.operation = cmd::password_operation::set_password;
    REQUIRE(r.assign_password("secret"));
    CHECK_FALSE(r.twenty_byte);
    std::array<std::uint8_t, R::max_size> out{};
    const auto e = r.encode(out);
    REQUIRE(e);
    CHECK(e.size == 18);
    CHECK(out[0] == 0x02);
    CHECK(out[1] == 0x02);
    const bool secret_sent = out[2] == 's' && out[7] == 't' && out[8] == 0 && out[17] == 0;
    CHECK(secret_sent);
    const auto back = R::parse(std::span<const std::uint8_t>(out.data(), e.size));
    REQUIRE(back);
    CHECK(back->user_id == 2);
    CHECK(back->has_password);
    CHECK(password_is(*back, "secret"));
    CHECK_FALSE(password_is(*back, "secreT"));
    const bool same = *back == r;
    CHECK(same);

    // The 20-byte form: byte 1 b7 set, 22 bytes; a password over 16 bytes chooses it.
    R t;
    t.user_id = 3;
    t.operation = cmd::password_operation::test_password;
    REQUIRE(t.assign_password("seventeen-letters"));
    CHECK(t.twenty_byte);
    const auto e20 = t.encode(out);
    REQUIRE(e20);
    CHECK(e20.size == 22);
    CHECK(out[0] == 0x83);
    CHECK(out[1] == 0x03);
    const auto t_back = R::parse(std::span<const std::uint8_t>(out.data(), e20.size));
    REQUIRE(t_back);
    CHECK(t_back->twenty_byte);
    CHECK(t_back->operation == cmd::password_operation::test_password);
    CHECK(password_is(*t_back, "seventeen-letters"));
    CHECK_FALSE(t.assign_password("twenty-one-characters"));
    CHECK(password_is(t, "seventeen-letters"));  // unchanged

    // `user enable 2`: ipmitool sends the 16 zero bytes; the 2-byte form parses too.
    const auto enable = R::parse(test::hex("02 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"));
    REQUIRE(enable);
    CHECK(enable->operation == cmd::password_operation::enable_user);
    CHECK(enable->has_password);
    const auto disable = R::parse(test::hex("02 00"));
    REQUIRE(disable);
    CHECK(disable->operation == cmd::password_operation::disable_user);
    CHECK_FALSE(disable->has_password);
    CHECK(disable->password_bytes().empty());
    CHECK(encoded_hex(*disable) == "02 00");
    CHECK(cmd::password_test_failed == static_cast<completion_code>(0x80));
    CHECK(cmd::password_test_failed_wrong_size == static_cast<completion_code>(0x81));
  }

  TEST_CASE("cmd: Set User Password obeys the codec laws on generated values and arbitrary bytes") {
    test::random_source rng(1802);
    test::check_codec_laws_generated<cmd::set_user_password::request>(rng, 400);
    test::check_parse_random<cmd::set_user_password::request>(rng, 2000);
    test::check_parse_random<cmd::set_user_password::response>(rng, 50);
    // Byte strings of the sizes that can parse, with the first two bytes valid more often.
    for (int i = 0; i < 1000; ++i) {
      static constexpr std::size_t sizes[] = {2, 18, 22};
      auto b = rng.random_bytes(sizes[rng.below(3)]);
      b[0] = static_cast<std::uint8_t>((b[0] & 0x80) | rng.between(1, 63));
      b[1] &= 0x03;
      test::check_parse_any<cmd::set_user_password::request>(b);
    }
  }

  TEST_CASE("cmd: Set User Password refuses each bad input by name") {
    using R = cmd::set_user_password::request;
    const std::string pw16 = " 70 77 00 00 00 00 00 00 00 00 00 00 00 00 00 00";
    SUBCASE("truncated: a password shorter than its form, or missing where needed") {
      // 02 02: set needs a password; 02 03: and so does test.
      test::check_refused<R>(cmd::parse_error::too_short, {"02", "02 02", "02 03", "02 02 70 77"});
      CHECK(parse_error_of<R>("82 02" + pw16) == cmd::parse_error::too_short);  // 20-byte form, 16 sent
    }
    SUBCASE("oversized: 20 bytes in the 16-byte form") {
      CHECK(parse_error_of<R>("02 02" + pw16 + " 00 00 00 00") == cmd::parse_error::too_long);
      CHECK(parse_error_of<R>("82 02" + pw16 + " 00 00 00 00 00") == cmd::parse_error::too_long);
    }
    SUBCASE("reserved user ID 0 and bits") {
      CHECK(parse_error_of<R>("00 02" + pw16) == cmd::parse_error::reserved_value);
      CHECK(parse_error_of<R>("42 02" + pw16) == cmd::parse_error::reserved_value);
      CHECK(parse_error_of<R>("02 06" + pw16) == cmd::parse_error::reserved_value);
    }
    SUBCASE("out of range: values encode() cannot send") {
      R r;
      r.user_id = 2;
      REQUIRE(r.assign_password("pw"));
      r.password[16] = 'x';  // past the 16-byte form
      CHECK(encode_error_of(r) == cmd::encode_error::out_of_range);
      r.password[16] = 0;
      r.has_password = false;  // set_password without one
      CHECK(encode_error_of(r) == cmd::encode_error::out_of_range);
      r.operation = cmd::password_operation::enable_user;  // without one, but bytes left in it
      CHECK(encode_error_of(r) == cmd::encode_error::out_of_range);
      r.password = {};
      CHECK(encode_error_of(r) == cmd::encode_error::ok);
      r.user_id = 0;
      CHECK(encode_error_of(r) == cmd::encode_error::out_of_range);
    }
  }

  TEST_CASE("cmd: Get and Set User Access as ipmitool's user list and user priv send them") {
    using G = cmd::get_user_access;
    using S = cmd::set_user_access;
    CHECK(encoded_hex(G::request{1, 2}) == "01 02");
    // 10 user IDs, user enabled, 2 enabled, 1 fixed name; IPMI messaging, administrator.
    const auto rs = G::response::parse(test::hex("0A 42 01 14"));
    REQUIRE(rs);
    CHECK(rs->max_user_ids == 10);
    CHECK(rs->enable_status == cmd::user_enable_status::enabled);
    CHECK(rs->enabled_user_ids == 2);
    CHECK(rs->fixed_name_user_ids == 1);
    CHECK(rs->ipmi_messaging);
    CHECK_FALSE(rs->link_auth);
    CHECK_FALSE(rs->callback_only);
    CHECK(rs->privilege_limit == cmd::privilege::administrator);
    G::response g;
    g.max_user_ids = 15;
    g.enable_status = cmd::user_enable_status::disabled;
    g.callback_only = g.link_auth = true;
    g.privilege_limit = cmd::privilege::no_access;
    CHECK(encoded_hex(g) == "0F 80 00 6F");

    // `user priv 2 4 1`: only the limit changes (b7 clear).
    const auto priv = S::request::parse(test::hex("01 02 04"));
    REQUIRE(priv);
    CHECK(priv->channel == 1);
    CHECK_FALSE(priv->change_bits);
    CHECK(priv->user_id == 2);
    CHECK(priv->privilege_limit == cmd::privilege::administrator);
    CHECK_FALSE(priv->has_session_limit);
    // With the bits and a session limit of 3.
    S::request s;
    s.channel = 1;
    s.change_bits = s.ipmi_messaging = s.link_auth = true;
    s.user_id = 5;
    s.privilege_limit = cmd::privilege::operator_;
    s.has_session_limit = true;
    s.session_limit = 3;
    CHECK(encoded_hex(s) == "B1 05 03 03");
  }

  TEST_CASE("cmd: Get and Set User Access obey the codec laws on generated values and arbitrary bytes") {
    test::random_source rng(1803);
    test::check_codec_laws_generated<cmd::get_user_access::request,
        cmd::get_user_access::response,
        cmd::set_user_access::request>(rng, 400);
    test::check_parse_random<cmd::get_user_access::request>(rng, 1000);
    test::check_parse_random_each<cmd::get_user_access::response, cmd::set_user_access::request>(rng, 2000);
    test::check_parse_random<cmd::set_user_access::response>(rng, 50);
  }

  TEST_CASE("cmd: Get and Set User Access refuse each bad input by name") {
    using G = cmd::get_user_access;
    using S = cmd::set_user_access;
    SUBCASE("truncated") {
      test::check_refused<G::request>(cmd::parse_error::too_short, {"01"});
      test::check_refused<G::response>(cmd::parse_error::too_short, {"0A 42 01"});
      test::check_refused<S::request>(cmd::parse_error::too_short, {"01 02"});
    }
    SUBCASE("oversized") {
      test::check_refused<G::request>(cmd::parse_error::too_long, {"01 02 00"});
      test::check_refused<G::response>(cmd::parse_error::too_long, {"0A 42 01 14 00"});
      test::check_refused<S::request>(cmd::parse_error::too_long, {"01 02 04 03 00"});
    }
    SUBCASE("reserved privilege levels, statuses, user IDs and bits") {
      test::check_refused<G::request>(cmd::parse_error::reserved_value, {"01 00", "0C 02"});
      // 0A C2 01 14: status 11b; 0A 42 01 10: privilege 0.
      test::check_refused<G::response>(cmd::parse_error::reserved_value, {"0A C2 01 14", "4A 42 01 14", "0A 42 41 14",
          "0A 42 01 94", "0A 42 01 10", "0A 42 01 17"});
      test::check_refused<S::request>(cmd::parse_error::reserved_value, {"01 02 00", "01 02 14", "01 42 04",
          "0D 02 04", "01 02 04 13"});
    }
    SUBCASE("out of range: counts past the number of user IDs") {
      // 00 00 00 14: no user IDs; 0A 4B 01 14: 11 of 10 enabled.
      test::check_refused<G::response>(cmd::parse_error::out_of_range, {"00 00 00 14", "0A 4B 01 14", "0A 42 0B 14"});
      G::response g;
      g.max_user_ids = 4;
      g.enabled_user_ids = 5;
      CHECK(encode_error_of(g) == cmd::encode_error::out_of_range);
      g.enabled_user_ids = 0;
      g.max_user_ids = 64;
      CHECK(encode_error_of(g) == cmd::encode_error::out_of_range);
      S::request s;
      s.has_session_limit = true;
      s.session_limit = 16;
      CHECK(encode_error_of(s) == cmd::encode_error::out_of_range);
      s.has_session_limit = false;
      s.session_limit = 1;  // a limit that would not be sent
      CHECK(encode_error_of(s) == cmd::encode_error::out_of_range);
      s.session_limit = 0;
      s.privilege_limit = cmd::privilege::unspecified;
      CHECK(encode_error_of(s) == cmd::encode_error::out_of_range);
    }
  }

  TEST_CASE("cmd: Get System Interface Capabilities as Linux asks and QEMU answers, SSIF and KCS forms") {
    using C = cmd::get_system_interface_capabilities;
    // Linux's ipmi_ssif probe sends `18 57 00`; QEMU answers 00 80 FF FF (ssif.md §5).
    const auto rq = C::request::parse(test::hex("00"));
    REQUIRE(rq);
    CHECK(rq->interface_type == cmd::system_interface_type::ssif);
    CHECK(encoded_hex(C::request{cmd::system_interface_type::kcs}) == "01");
    const auto qemu = C::response::parse(test::hex("00 80 FF FF"));
    REQUIRE(qemu);
    CHECK(qemu->ssif);
    CHECK(qemu->transaction_support == cmd::ssif_transaction_support::start_middle_end);
    CHECK_FALSE(qemu->pec_supported);
    CHECK(qemu->max_input_size == 255);
    CHECK(qemu->max_output_size == 255);
    C::response two_part;
    two_part.transaction_support = cmd::ssif_transaction_support::start_end;
    two_part.pec_supported = true;
    two_part.max_input_size = 63;
    two_part.max_output_size = 62;
    CHECK(encoded_hex(two_part) == "00 48 3F 3E");
    // KCS: reserved, version 000b, max message size FFh = 255 (kcs-bt.md).
    const auto kcs = C::response::parse(test::hex("00 00 FF"));
    REQUIRE(kcs);
    CHECK_FALSE(kcs->ssif);
    CHECK(kcs->max_input_size == 255);
    C::response k;
    k.ssif = false;
    k.max_input_size = 0x40;
    CHECK(encoded_hex(k) == "00 00 40");
  }

  TEST_CASE("cmd: Get System Interface Capabilities obeys the codec laws on generated values and arbitrary bytes") {
    test::random_source rng(1804);
    for (int i = 0; i < 400; ++i) {
      test::check_codec_laws(cmd::get_system_interface_capabilities::request{
          static_cast<cmd::system_interface_type>(rng.below(3))});
      test::check_codec_laws(test::random_value<cmd::get_system_interface_capabilities::response>(rng));
    }
    test::check_parse_random<cmd::get_system_interface_capabilities::request>(rng, 500);
    test::check_parse_random<cmd::get_system_interface_capabilities::response>(rng, 2000);
  }

  TEST_CASE("cmd: Get System Interface Capabilities refuses each bad input by name") {
    using C = cmd::get_system_interface_capabilities;
    SUBCASE("truncated") {
      test::check_refused<C::request>(cmd::parse_error::too_short, {""});
      test::check_refused<C::response>(cmd::parse_error::too_short, {"00 80"});
    }
    SUBCASE("oversized") {
      test::check_refused<C::request>(cmd::parse_error::too_long, {"00 00"});
      test::check_refused<C::response>(cmd::parse_error::too_long, {"00 80 FF FF 00"});
    }
    SUBCASE("reserved interface types, transaction support, versions and bytes") {
      test::check_refused<C::request>(cmd::parse_error::reserved_value, {"03", "10"});
      // 00 81 FF FF: SSIF version 1; 00 80 FF: KCS has no such bits.
      test::check_refused<C::response>(cmd::parse_error::reserved_value, {"00 C0 FF FF", "00 81 FF FF", "00 90 FF FF",
          "01 80 FF FF", "00 80 FF", "00 08 FF"});
    }
    SUBCASE("out of range: values encode() cannot send") {
      CHECK(encode_error_of(C::request{static_cast<cmd::system_interface_type>(3)}) == cmd::encode_error::out_of_range);
      C::response r;
      r.transaction_support = static_cast<cmd::ssif_transaction_support>(3);
      CHECK(encode_error_of(r) == cmd::encode_error::out_of_range);
      r.transaction_support = cmd::ssif_transaction_support::single_part;
      r.ssif = false;
      r.pec_supported = true;  // no PEC in the KCS form
      CHECK(encode_error_of(r) == cmd::encode_error::out_of_range);
    }
  }

  TEST_CASE("cmd: the user and system interface commands encode and parse at compile time") {
    test::check_at_compile_time([] {
      cmd::set_user_password::request r;
      r.user_id = 2;
      if (!r.assign_password("pw")) return false;
      const auto t = test::round_trip(r);
      const std::array<std::uint8_t, 4> caps{0x00, 0x80, 0xFF, 0xFF};
      const auto c = cmd::get_system_interface_capabilities::response::parse(caps);
      const auto name = cmd::make_user_name("root");
      return t.size == 18 && t.bytes[2] == 'p' && t.same && c && c->max_output_size == 255 && name &&
             cmd::name_view(*name) == "root";
    });
  }
}

// The sizes with_codec measures from fields() are the specification's (IPMI v2.0 §20-§22, §27).
static_assert(cmd::get_self_test_results::response::max_size == 2);
static_assert(cmd::get_device_guid::response::min_size == 16 && cmd::get_device_guid::response::max_size == 16);
static_assert(cmd::bmc_global_enables::max_size == 1 && cmd::message_flags::max_size == 1);
static_assert(cmd::read_event_message_buffer::response::max_size == 16);
static_assert(cmd::set_watchdog_timer::request::min_size == 6 && cmd::get_watchdog_timer::response::max_size == 8);
static_assert(cmd::get_channel_authentication_capabilities::request::max_size == 2 &&
              cmd::get_channel_authentication_capabilities::response::max_size == 8);
static_assert(cmd::get_channel_cipher_suites::request::max_size == 3 && cmd::get_channel_info::request::max_size == 1 &&
              cmd::get_channel_info::response::min_size == 9);
static_assert(cmd::get_channel_access::request::max_size == 2 && cmd::get_channel_access::response::max_size == 2 &&
              cmd::set_channel_access::request::max_size == 3);
static_assert(cmd::get_user_name::request::max_size == 1 && cmd::get_user_name::response::max_size == 16 &&
              cmd::set_user_name::request::min_size == 17);
static_assert(cmd::get_user_access::request::max_size == 2 && cmd::get_user_access::response::max_size == 4 &&
              cmd::get_system_interface_capabilities::request::max_size == 1);
