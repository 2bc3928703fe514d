// Typed Sensor/Event commands (NetFn 04h): Get Sensor Reading, Get Sensor Thresholds, Platform
// Event Message in both forms (include/ipmikit/cmd/sensor.hpp): known byte layouts, the laws of
// cmd_support.hpp on generated values, each bad-input class by name, and compile-time use.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <span>

#include <ipmikit/cmd/sensor.hpp>

#include "cmd_support.hpp"

using namespace ipmikit;
using test::bytes;
using test::encode_bytes;
using test::encode_error_of;

namespace {

}  // namespace

TEST_SUITE("cmd") {
  TEST_CASE("cmd sensor: Get Sensor Reading, request and the three- and four-byte answers") {
    std::array<std::uint8_t, cmd::max_request_message_size<cmd::get_sensor_reading>> msg{};
    const auto e = cmd::build_request<cmd::get_sensor_reading>({0x30}, msg);
    REQUIRE(e);
    CHECK(bytes(msg.begin(), msg.begin() + static_cast<std::ptrdiff_t>(e.size)) == bytes{0x10, 0x2D, 0x30});

    // A threshold sensor reading 1Ah, events and scanning on, at or above upper non-critical.
    const bytes threshold{0x14, 0x2D, 0x00, 0x1A, 0xC0, 0x08};
    const auto t = cmd::parse_response<cmd::get_sensor_reading>(threshold);
    REQUIRE(t);
    CHECK(t.response->reading == 0x1A);
    CHECK(t.response->event_messages_enabled);
    CHECK(t.response->scanning_enabled);
    CHECK_FALSE(t.response->reading_unavailable);
    CHECK(t.response->usable());
    CHECK(t.response->state == cmd::threshold_bit::upper_non_critical);
    CHECK_FALSE(t.response->has_extended_state);

    // A discrete sensor with byte 4: states 0 and 8; byte 4's b7 is carried but is no state.
    const bytes discrete{0x00, 0x60, 0x01, 0x81};
    const auto d = cmd::get_sensor_reading::response::parse(discrete);
    REQUIRE(d);
    CHECK_FALSE(d->event_messages_enabled);
    CHECK(d->reading_unavailable);
    CHECK_FALSE(d->usable());
    CHECK(d->has_extended_state);
    CHECK(d->discrete_states() == 0x0101);
    CHECK(encode_bytes(*d) == discrete);
  }

  TEST_CASE("cmd sensor: Get Sensor Thresholds reads the mask and six values in order") {
    const bytes in{0x1B, 0x05, 0x03, 0x01, 0x5A, 0x5F, 0x64};
    const auto p = cmd::get_sensor_thresholds::response::parse(in);
    REQUIRE(p);
    CHECK(p->readable == (cmd::threshold_bit::lower_non_critical | cmd::threshold_bit::lower_critical |
                          cmd::threshold_bit::upper_non_critical | cmd::threshold_bit::upper_critical));
    CHECK(p->lower_non_critical == 0x05);
    CHECK(p->lower_critical == 0x03);
    CHECK(p->lower_non_recoverable == 0x01);
    CHECK(p->upper_non_critical == 0x5A);
    CHECK(p->upper_critical == 0x5F);
    CHECK(p->upper_non_recoverable == 0x64);
    CHECK(encode_bytes(*p) == in);
    CHECK(encode_bytes(cmd::get_sensor_thresholds::request{0x07}) == bytes{0x07});
  }

  TEST_CASE("cmd sensor: Platform Event Message without and with the generator ID") {
    cmd::event_message ev;
    ev.sensor_type = 0x01;  // temperature
    ev.sensor_number = 0x30;
    ev.deassertion = true;
    ev.event_type = 0x01;  // threshold
    ev.event_data = {0x52, 0xFF, 0xFF};
    CHECK(encode_bytes(cmd::platform_event_message::request{ev}) == bytes{0x04, 0x01, 0x30, 0x81, 0x52, 0xFF, 0xFF});

    cmd::platform_event_message_with_generator::request sys;
    sys.event = ev;
    sys.event.event_data_length = 1;
    std::array<std::uint8_t, cmd::max_request_message_size<cmd::platform_event_message_with_generator>> msg{};
    const auto e = cmd::build_request<cmd::platform_event_message_with_generator>(sys, msg);
    REQUIRE(e);
    CHECK(bytes(msg.begin(), msg.begin() + static_cast<std::ptrdiff_t>(e.size)) ==
          bytes{0x10, 0x02, 0x41, 0x04, 0x01, 0x30, 0x81, 0x52});

    const bytes two_data{0x20, 0x04, 0x02, 0x07, 0x6F, 0x01, 0x02};
    const auto p = cmd::platform_event_message_with_generator::request::parse(two_data);
    REQUIRE(p);
    CHECK(p->generator_id == 0x20);
    CHECK(p->event.evm_revision == 0x04);
    CHECK(p->event.sensor_type == 0x02);
    CHECK(p->event.sensor_number == 0x07);
    CHECK_FALSE(p->event.deassertion);
    CHECK(p->event.event_type == 0x6F);
    CHECK(p->event.event_data_length == 2);
    CHECK(p->event.event_data[0] == 0x01);
    CHECK(p->event.event_data[1] == 0x02);
    CHECK(encode_bytes(*p) == two_data);
  }

  TEST_CASE("cmd sensor: the two Platform Event forms overlap in length, so the type decides") {
    // Six bytes are a valid request of both forms, with different meanings.
    const bytes six{0x41, 0x04, 0x01, 0x30, 0x01, 0x52};
    const auto with = cmd::platform_event_message_with_generator::request::parse(six);
    const auto without = cmd::platform_event_message::request::parse(six);
    REQUIRE(with);
    REQUIRE(without);
    CHECK(with->generator_id == 0x41);
    CHECK(with->event.sensor_type == 0x01);
    CHECK(with->event.event_data_length == 1);
    CHECK(without->event.evm_revision == 0x41);
    CHECK(without->event.sensor_type == 0x04);
    CHECK(without->event.event_data_length == 2);
    static_assert(cmd::platform_event_message::id == cmd::platform_event_message_with_generator::id);
  }

  TEST_CASE("cmd sensor: generated values obey the codec laws; arbitrary bytes parse or fail by name") {
    test::random_source rng(3501);
    for (int i = 0; i < 300; ++i) {
      test::check_codec_laws(cmd::get_sensor_reading::request{rng.byte()});
      test::check_codec_laws(test::random_value<cmd::get_sensor_reading::response>(rng));
      test::check_codec_laws(test::random_value<cmd::get_sensor_thresholds::response>(rng));
      test::check_codec_laws(cmd::platform_event_message::request{test::random_value<cmd::event_message>(rng)});
      test::check_codec_laws(cmd::platform_event_message_with_generator::request{rng.byte(), test::random_value<cmd::event_message>(rng)});
    }
    test::check_codec_laws(cmd::platform_event_message::response{});
    test::check_parse_random<cmd::get_sensor_reading::request>(rng, 500);
    test::check_parse_random<cmd::get_sensor_reading::response>(rng, 2000);
    test::check_parse_random<cmd::get_sensor_thresholds::request>(rng, 500);
    test::check_parse_random_each<cmd::get_sensor_thresholds::response, cmd::platform_event_message::request,
                                  cmd::platform_event_message_with_generator::request>(rng, 2000);
  }

  TEST_CASE("cmd sensor: event data past the length sent is not part of the value") {
    cmd::event_message a;
    a.event_data_length = 1;
    a.event_data = {0x01, 0x00, 0x00};
    cmd::event_message b = a;
    b.event_data[2] = 0x77;
    CHECK(a == b);
    b.event_data[0] = 0x02;
    CHECK_FALSE(a == b);
    b = a;
    b.event_data_length = 2;
    CHECK_FALSE(a == b);
  }

  TEST_CASE("cmd sensor: truncated input is too_short") {
    CHECK(cmd::get_sensor_reading::request::parse({}).error == cmd::parse_error::too_short);
    const bytes two{0x1A, 0xC0};
    CHECK(cmd::get_sensor_reading::response::parse(two).error == cmd::parse_error::too_short);
    const bytes six{0x3F, 1, 2, 3, 4, 5};
    CHECK(cmd::get_sensor_thresholds::response::parse(six).error == cmd::parse_error::too_short);
    const bytes four{0x04, 0x01, 0x30, 0x01};  // no event data 1
    CHECK(cmd::platform_event_message::request::parse(four).error == cmd::parse_error::too_short);
    const bytes five{0x41, 0x04, 0x01, 0x30, 0x01};
    CHECK(cmd::platform_event_message_with_generator::request::parse(five).error == cmd::parse_error::too_short);
  }

  TEST_CASE("cmd sensor: oversized input is too_long") {
    const bytes two{0x30, 0x00};
    CHECK(cmd::get_sensor_reading::request::parse(two).error == cmd::parse_error::too_long);
    CHECK(cmd::get_sensor_thresholds::request::parse(two).error == cmd::parse_error::too_long);
    const bytes five{0x1A, 0xC0, 0x00, 0x00, 0x00};
    CHECK(cmd::get_sensor_reading::response::parse(five).error == cmd::parse_error::too_long);
    const bytes eight{0x3F, 1, 2, 3, 4, 5, 6, 7};
    CHECK(cmd::get_sensor_thresholds::response::parse(eight).error == cmd::parse_error::too_long);
    CHECK(cmd::platform_event_message::request::parse(eight).error == cmd::parse_error::too_long);
    const bytes nine{0x41, 0x04, 0x01, 0x30, 0x01, 1, 2, 3, 4};
    CHECK(cmd::platform_event_message_with_generator::request::parse(nine).error == cmd::parse_error::too_long);
    CHECK(cmd::platform_event_message::response::parse(two).error == cmd::parse_error::too_long);
  }

  TEST_CASE("cmd sensor: reserved bits are reserved_value") {
    for (std::uint8_t bit = 0x01; bit <= 0x10; bit = static_cast<std::uint8_t>(bit << 1)) {
      const bytes flags{0x1A, static_cast<std::uint8_t>(0xC0 | bit), 0x00};
      CHECK(cmd::get_sensor_reading::response::parse(flags).error == cmd::parse_error::reserved_value);
    }
    const bytes mask_b6{0x40, 1, 2, 3, 4, 5, 6};
    CHECK(cmd::get_sensor_thresholds::response::parse(mask_b6).error == cmd::parse_error::reserved_value);
    const bytes mask_b7{0x80, 1, 2, 3, 4, 5, 6};
    CHECK(cmd::get_sensor_thresholds::response::parse(mask_b7).error == cmd::parse_error::reserved_value);
  }

  TEST_CASE("cmd sensor: fields that do not fit are out_of_range in encode") {
    cmd::get_sensor_thresholds::response t;
    t.readable = 0x40;
    CHECK(encode_error_of(t) == cmd::encode_error::out_of_range);
    cmd::platform_event_message::request rq;
    rq.event.event_type = 0x80;
    CHECK(encode_error_of(rq) == cmd::encode_error::out_of_range);
    rq.event.event_type = 0x6F;
    rq.event.event_data_length = 0;
    CHECK(encode_error_of(rq) == cmd::encode_error::out_of_range);
    rq.event.event_data_length = 4;
    CHECK(encode_error_of(rq) == cmd::encode_error::out_of_range);
    cmd::platform_event_message_with_generator::request sys;
    sys.event.event_type = 0xFF;
    CHECK(encode_error_of(sys) == cmd::encode_error::out_of_range);
  }

  TEST_CASE("cmd sensor: encode and parse run at compile time") {
    test::check_at_compile_time([] {
      cmd::platform_event_message_with_generator::request rq;
      rq.event.sensor_type = 0x01;
      rq.event.event_type = 0x01;
      rq.event.event_data = {0x57, 0x10, 0x20};
      const auto t = test::round_trip(rq);
      return t.same && t.size == 8 && t.bytes[0] == 0x41 && t.bytes[1] == 0x04 && t.bytes[5] == 0x57;
    });
    constexpr auto reading = [] {
      const std::array<std::uint8_t, 3> in{0x1A, 0xC0, 0x08};
      const auto p = cmd::get_sensor_reading::response::parse(in);
      return p && p->reading == 0x1A && p->usable() && p->state == cmd::threshold_bit::upper_non_critical;
    };
    static_assert(reading());
  }
}
