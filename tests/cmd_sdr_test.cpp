// The SDR repository (include/ipmikit/cmd/sdr.hpp): the SDR commands (Storage NetFn 0Ah), the
// record header and the typed records: known byte layouts, the laws of cmd_support.hpp on
// generated values, each bad-input class by name, reading conversion, and compile-time use.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <initializer_list>
#include <string_view>
#include <utility>

#include <ipmikit/cmd/sdr.hpp>

#include "cmd_support.hpp"

using namespace ipmikit;
using test::bytes;
using test::encode_bytes;

namespace {

/// Random bytes shaped as a record of `type` whose fixed part is `fixed` bytes: version 51h, the
/// type, a remaining length that counts the rest, and an ID type/length byte whose length (0 to
/// 16) fits, so that parsing them reaches the body (random bytes almost never have such a header).
bytes random_record_bytes(test::random_source& rng, std::uint8_t type, std::size_t fixed) {
  const std::size_t idlen = rng.below(17);
  bytes b = rng.random_bytes(fixed + idlen);
  b[2] = 0x51;
  b[3] = type;
  b[4] = static_cast<std::uint8_t>(b.size() - 5);
  b[fixed - 1] = static_cast<std::uint8_t>((b[fixed - 1] & 0xC0) | idlen);
  return b;
}

/// A random valid record R of `type`: random_record_bytes with every reserved bit and byte
/// cleared (test::read_cleared), until every rule of R's layout holds.
template <class R>
R random_record(test::random_source& rng, std::uint8_t type) {
  for (;;) {
    if (const auto r = test::read_cleared<R>(random_record_bytes(rng, type, R::fixed_size))) return *r;
  }
}

// A Full Sensor Record by hand (IPMI v2.0 §43.1 offsets, bmc-commands.md §4): record 0010h,
// version 51h, type 01h, 51 bytes more; owner 20h, LUN 0, sensor 1, entity 03h instance 1,
// init 7Fh, capabilities 68h, temperature (01h), threshold (01h), masks 7A95h 7A95h 3F3Fh,
// unsigned, °C; linear; M = −2 (3FEh) with tolerance 5; B = −300 (2D4h) with accuracy 341
// (155h), accuracy exponent 2, direction 1 (input); Rexp −3, Bexp 2; analog flags 07h;
// nominal 28h, normal max 50h, min 0Ah, sensor max FFh, min 00h; thresholds UNR 60h, UC 5Ah,
// UNC 55h, LNR 00h, LC 01h, LNC 02h; hysteresis 2 and 3; OEM 00h; "CPU Temp".
constexpr std::array<std::uint8_t, 56> cpu_temp{
    0x10, 0x00, 0x51, 0x01, 0x33,                                      // header
    0x20, 0x00, 0x01, 0x03, 0x01, 0x7F, 0x68, 0x01, 0x01,              // 5–13
    0x95, 0x7A, 0x95, 0x7A, 0x3F, 0x3F,                                // 14–19
    0x00, 0x01, 0x00, 0x00,                                            // 20–23
    0xFE, 0xC5, 0xD4, 0x95, 0x59, 0xD2,                                // 24–29
    0x07, 0x28, 0x50, 0x0A, 0xFF, 0x00,                                // 30–35
    0x60, 0x5A, 0x55, 0x00, 0x01, 0x02, 0x02, 0x03, 0x00, 0x00, 0x00,  // 36–46
    0xC8, 'C', 'P', 'U', ' ', 'T', 'e', 'm', 'p'};                     // 47–55

// A Compact Sensor Record: ipmi_sim's watchdog sensor (sensor 0, type 23h, sensor-specific 6Fh,
// openipmi.md), entity 07h instance 1, no analog reading (units 1 C0h), "Watchdog".
constexpr std::array<std::uint8_t, 40> watchdog_compact{
    0x02, 0x00, 0x51, 0x02, 0x23,                    // header: 35 bytes more
    0x20, 0x00, 0x00, 0x07, 0x01, 0x63, 0x40, 0x23, 0x6F,  // 5–13
    0x0F, 0x00, 0x00, 0x00, 0x0F, 0x00,              // 14–19
    0xC0, 0x00, 0x00,                                // 20–22
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // 23–30: sharing, hysteresis, reserved, OEM
    0xC8, 'W', 'a', 't', 'c', 'h', 'd', 'o', 'g'};   // 31–39

// An MC Device Locator: the BMC at 20h, channel 0, capabilities 9Fh (ipmi_sim's dev-support),
// entity 07h instance 1, "BMC".
constexpr std::array<std::uint8_t, 19> bmc_locator{0x01, 0x00, 0x51, 0x12, 0x0E, 0x20, 0x00, 0x00, 0x9F, 0x00,
                                                   0x00, 0x00, 0x07, 0x01, 0x00, 0xC3, 'B',  'M',  'C'};

// A FRU Device Locator: logical FRU device 0 behind the BMC (20h), LUN 0, bus 0, channel 0,
// device type 10h, entity 07h instance 1, "FRU0".
constexpr std::array<std::uint8_t, 20> fru0_locator{0x03, 0x00, 0x51, 0x11, 0x0F, 0x20, 0x00, 0x80, 0x00, 0x00,
                                                    0x10, 0x00, 0x07, 0x01, 0x00, 0xC4, 'F',  'R',  'U',  '0'};

/// What every record type refuses, then the record's own reserved bytes: `good` with each of
/// `reserved_bytes` (offset, value) set, one at a time, is reserved_value.
template <class Record, std::size_t N>
void check_record_rejects(const std::array<std::uint8_t, N>& good, const char* reserved_case,
                          std::initializer_list<std::pair<std::size_t, std::uint8_t>> reserved_bytes) {
  REQUIRE(Record::parse(good));
  SUBCASE(reserved_case) {
    for (const auto& change : reserved_bytes) {
      std::array<std::uint8_t, N> c = good;
      const std::size_t offset = change.first;
      CAPTURE(offset);
      c[offset] = change.second;
      CHECK(Record::parse(c).error == cmd::parse_error::reserved_value);
    }
  }
  std::array<std::uint8_t, N> b = good;
  SUBCASE("truncated") {
    for (std::size_t n = 0; n < N; ++n) CHECK(Record::parse(std::span(b).first(n)).error == cmd::parse_error::too_short);
  }
  SUBCASE("oversized") {
    bytes l(b.begin(), b.end());
    l.push_back(0);
    CHECK(Record::parse(l).error == cmd::parse_error::too_long);
  }
  SUBCASE("out of range: an SDR version other than 51h") {
    b[2] = 0x02;
    CHECK(Record::parse(b).error == cmd::parse_error::out_of_range);
  }
  SUBCASE("out of range: another record type") {
    b[3] = 0xC0;
    CHECK(Record::parse(b).error == cmd::parse_error::out_of_range);
  }
  SUBCASE("out of range: a remaining length that does not count the body") {
    b[4] = static_cast<std::uint8_t>(b[4] + 1);
    CHECK(Record::parse(b).error == cmd::parse_error::out_of_range);
    b[4] = static_cast<std::uint8_t>(b[4] - 2);
    CHECK(Record::parse(b).error == cmd::parse_error::out_of_range);
  }
  SUBCASE("reserved value: bit 5 of the ID type/length byte") {
    b[Record::fixed_size - 1] |= 0x20;
    CHECK(Record::parse(b).error == cmd::parse_error::reserved_value);
  }
  SUBCASE("out of range: an ID string longer than 16 bytes") {
    // 17 bytes claimed: the record's bytes run out first (too_short); with 17 bytes there the
    // length itself is refused.
    b[Record::fixed_size - 1] = 0xD1;
    CHECK(Record::parse(b).error == cmd::parse_error::too_short);
    bytes l(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(Record::fixed_size));
    l.resize(Record::fixed_size + 17, 'x');
    l[4] = static_cast<std::uint8_t>(l.size() - 5);
    CHECK(Record::parse(l).error == cmd::parse_error::out_of_range);
  }
}

}  // namespace

TEST_SUITE("cmd") {
  TEST_CASE("cmd sdr: Get SDR as ipmitool reads a record header: offset 0, 5 bytes") {
    const cmd::get_sdr::request rq{0x0001, cmd::sdr_first_record, 0, 5};
    CHECK(encode_bytes(rq) == bytes{0x01, 0x00, 0x00, 0x00, 0x00, 0x05});
    std::array<std::uint8_t, cmd::max_request_message_size<cmd::get_sdr>> msg{};
    const auto e = cmd::build_request<cmd::get_sdr>(rq, msg);
    REQUIRE(e);
    CHECK(bytes(msg.begin(), msg.begin() + static_cast<std::ptrdiff_t>(e.size)) ==
          bytes{0x28, 0x23, 0x01, 0x00, 0x00, 0x00, 0x00, 0x05});

    // The answer: next record 0002h, then the header of the CPU temperature record.
    const bytes rs{0x2C, 0x23, 0x00, 0x02, 0x00, 0x10, 0x00, 0x51, 0x01, 0x33};
    const auto r = cmd::parse_response<cmd::get_sdr>(rs);
    REQUIRE(r);
    CHECK(r.response->next_record_id == 0x0002);
    const auto h = cmd::sdr_header::parse(r.response->bytes());
    REQUIRE(h);
    CHECK(h->record_id == 0x0010);
    CHECK(h->record_type == cmd::sdr_type::full_sensor);
    CHECK(h->remaining_length == 0x33);
    CHECK(h->record_size() == 56);
    CHECK(encode_bytes(*h) == bytes{0x10, 0x00, 0x51, 0x01, 0x33});

    // Then the body in chunks from offset 5; assembled, the whole record parses.
    const cmd::get_sdr::request body{0x0001, 0x0010, 5, 0x33};
    CHECK(encode_bytes(body) == bytes{0x01, 0x00, 0x10, 0x00, 0x05, 0x33});
    cmd::get_sdr::response whole;
    REQUIRE(whole.assign(cpu_temp));
    whole.next_record_id = cmd::sdr_last_record;
    const bytes wb = encode_bytes(whole);
    CHECK(wb.size() == 58);
    CHECK(wb[0] == 0xFF);
    CHECK(wb[1] == 0xFF);
    const auto back = cmd::get_sdr::response::parse(wb);
    REQUIRE(back);
    CHECK(cmd::full_sensor_record::parse(back->bytes()));
  }

  TEST_CASE("cmd sdr: a Full Sensor Record field by field, factors sign-extended, and back byte for byte") {
    const auto p = cmd::full_sensor_record::parse(cpu_temp);
    REQUIRE_MESSAGE(p, cmd::name(p.error));
    CHECK(p->record_id == 0x0010);
    CHECK(p->key.owner_id == 0x20);
    CHECK(p->key.sensor_number == 1);
    CHECK(p->key.entity_id == 0x03);
    CHECK(p->key.initialization == 0x7F);
    CHECK(p->key.capabilities == 0x68);
    CHECK(p->key.sensor_type == 0x01);
    CHECK(p->key.event_reading_type == cmd::event_reading_type_threshold);
    CHECK(p->key.assertion_mask == 0x7A95);
    CHECK(p->key.reading_mask == 0x3F3F);
    CHECK(p->key.format() == cmd::analog_format::unsigned_value);
    CHECK(p->key.base_unit == 0x01);
    CHECK(p->linearization == cmd::linearization_linear);
    CHECK(p->m == -2);
    CHECK(p->tolerance == 5);
    CHECK(p->b == -300);
    CHECK(p->accuracy == 341);
    CHECK(p->accuracy_exp == 2);
    CHECK(p->sensor_direction == 1);
    CHECK(p->r_exp == -3);
    CHECK(p->b_exp == 2);
    CHECK(p->analog_flags == 0x07);
    CHECK(p->nominal_reading == 0x28);
    CHECK(p->normal_max == 0x50);
    CHECK(p->normal_min == 0x0A);
    CHECK(p->sensor_max == 0xFF);
    CHECK(p->upper_non_recoverable == 0x60);
    CHECK(p->upper_critical == 0x5A);
    CHECK(p->upper_non_critical == 0x55);
    CHECK(p->lower_non_recoverable == 0x00);
    CHECK(p->lower_critical == 0x01);
    CHECK(p->lower_non_critical == 0x02);
    CHECK(p->positive_hysteresis == 2);
    CHECK(p->negative_hysteresis == 3);
    CHECK(p->id.type == cmd::sdr_id_type::text);
    CHECK(p->id.chars() == "CPU Temp");
    CHECK(encode_bytes(*p) == bytes(cpu_temp.begin(), cpu_temp.end()));

    SUBCASE("the extremes of each signed field") {
      cmd::full_sensor_record r = *p;
      r.m = -512;
      r.b = 511;
      r.r_exp = -8;
      r.b_exp = 7;
      r.accuracy = 1023;
      const bytes b = encode_bytes(r);
      CHECK(b[24] == 0x00);
      CHECK((b[25] & 0xC0) == 0x80);
      CHECK(b[26] == 0xFF);
      CHECK((b[27] & 0xC0) == 0x40);
      CHECK((b[27] & 0x3F) == 0x3F);
      CHECK((b[28] & 0xF0) == 0xF0);
      CHECK(b[29] == 0x87);
      CHECK(cmd::full_sensor_record::parse(b).value == r);
    }
    SUBCASE("fields too wide to encode") {
      std::array<std::uint8_t, 64> out{};
      for (int i = 0; i < 7; ++i) {
        cmd::full_sensor_record r = *p;
        switch (i) {
          case 0: r.m = 512; break;
          case 1: r.b = -513; break;
          case 2: r.r_exp = 8; break;
          case 3: r.b_exp = -9; break;
          case 4: r.accuracy = 1024; break;
          case 5: r.tolerance = 64; break;
          default: r.key.owner_lun = 4; break;
        }
        CHECK(r.encode(out).error == cmd::encode_error::out_of_range);
      }
    }
  }

  TEST_CASE("cmd sdr: readings convert with y = (M·x + B·10^Bexp)·10^Rexp") {
    const auto p = *cmd::full_sensor_record::parse(cpu_temp);
    // M −2, B −300, Bexp 2, Rexp −3, x = 100: (−200 − 30000)·10^−3 = −30.2
    const auto y = cmd::convert_reading(p, 100);
    CHECK(y == cmd::converted_reading{-30200, -3});
    CHECK(y.to_double() == doctest::Approx(-30.2));

    cmd::full_sensor_record r;
    CHECK(cmd::convert_reading(r, 0x2A).to_double() == doctest::Approx(42.0));  // M 1, B 0
    // A negative B exponent: M 5, B 3, Bexp −1, Rexp −1, x = 10: (50 + 0.3)·0.1 = 5.03
    r.m = 5;
    r.b = 3;
    r.b_exp = -1;
    r.r_exp = -1;
    CHECK(cmd::convert_reading(r, 10) == cmd::converted_reading{503, -2});
    CHECK(cmd::convert_reading(r, 10).to_double() == doctest::Approx(5.03));
    // Signed readings: two's complement FFh is −1, one's complement FFh is −0 and FEh −1.
    r = {};
    r.key.units_1 = 0x80;
    CHECK(cmd::convert_reading(r, 0xFF) == cmd::converted_reading{-1, 0});
    CHECK(cmd::convert_reading(r, 0x80) == cmd::converted_reading{-128, 0});
    r.key.units_1 = 0x40;
    CHECK(cmd::convert_reading(r, 0xFF) == cmd::converted_reading{0, 0});
    CHECK(cmd::convert_reading(r, 0xFE) == cmd::converted_reading{-1, 0});
    CHECK(cmd::convert_reading(r, 0x7F) == cmd::converted_reading{127, 0});
    // A voltage: M 78, Rexp −4 (7.8 mV a count), x = 154: 1.2012 V.
    r = {};
    r.m = 78;
    r.r_exp = -4;
    CHECK(cmd::convert_reading(r, 154).to_double() == doctest::Approx(1.2012));
  }

  TEST_CASE("cmd sdr: a Compact Sensor Record, and the locator records, field by field and byte for byte") {
    const auto c = cmd::compact_sensor_record::parse(watchdog_compact);
    REQUIRE_MESSAGE(c, cmd::name(c.error));
    CHECK(c->record_id == 0x0002);
    CHECK(c->key.sensor_number == 0);
    CHECK(c->key.sensor_type == 0x23);
    CHECK(c->key.event_reading_type == 0x6F);
    CHECK(c->key.assertion_mask == 0x000F);
    CHECK(c->key.format() == cmd::analog_format::no_analog_reading);
    CHECK(c->id.chars() == "Watchdog");
    CHECK(encode_bytes(*c) == bytes(watchdog_compact.begin(), watchdog_compact.end()));

    const auto m = cmd::mc_device_locator_record::parse(bmc_locator);
    REQUIRE_MESSAGE(m, cmd::name(m.error));
    CHECK(m->record_id == 0x0001);
    CHECK(m->device_slave_address == 0x20);
    CHECK(m->channel == 0);
    CHECK(m->capabilities == 0x9F);
    CHECK((m->capabilities & cmd::mc_capability::chassis_device) != 0);
    CHECK((m->capabilities & cmd::mc_capability::sdr_repository) != 0);
    CHECK((m->capabilities & cmd::mc_capability::bridge) == 0);
    CHECK(m->entity_id == 0x07);
    CHECK(m->entity_instance == 0x01);
    CHECK(m->id.chars() == "BMC");
    CHECK(encode_bytes(*m) == bytes(bmc_locator.begin(), bmc_locator.end()));

    const auto f = cmd::fru_device_locator_record::parse(fru0_locator);
    REQUIRE_MESSAGE(f, cmd::name(f.error));
    CHECK(f->record_id == 0x0003);
    CHECK(f->device_access_address == 0x20);
    CHECK(f->fru_device_id == 0);
    CHECK(f->logical);
    CHECK(f->access_lun == 0);
    CHECK(f->private_bus == 0);
    CHECK(f->device_type == 0x10);
    CHECK(f->id.chars() == "FRU0");
    CHECK(encode_bytes(*f) == bytes(fru0_locator.begin(), fru0_locator.end()));
    cmd::fru_device_locator_record g = *f;
    g.logical = false;
    g.access_lun = 3;
    g.private_bus = 5;
    g.channel = 7;
    const bytes gb = encode_bytes(g);
    CHECK(gb[7] == 0x1D);
    CHECK(gb[8] == 0x70);
  }

  TEST_CASE("cmd sdr: a Full Sensor Record refuses each bad input by name") {
    check_record_rejects<cmd::full_sensor_record>(
        cpu_temp, "reserved value: the owner LUN byte's bits 3:2, bytes 44–45, linearization b7",
        {{6, 0x04}, {45, 0x01}, {23, 0x80}});
  }
  TEST_CASE("cmd sdr: a Compact Sensor Record refuses each bad input by name") {
    check_record_rejects<cmd::compact_sensor_record>(watchdog_compact, "reserved value: bytes 27–29", {{28, 0x10}});
  }
  TEST_CASE("cmd sdr: an MC Device Locator refuses each bad input by name") {
    check_record_rejects<cmd::mc_device_locator_record>(
        bmc_locator, "reserved value: address bit 0, channel [7:4], bytes 9–11", {{5, 0x21}, {6, 0x10}, {10, 0x01}});
  }
  TEST_CASE("cmd sdr: a FRU Device Locator refuses each bad input by name") {
    check_record_rejects<cmd::fru_device_locator_record>(
        fru0_locator, "reserved value: access bits 6:5, channel [3:0], byte 9", {{7, 0xA0}, {8, 0x01}, {9, 0x01}});
  }

  TEST_CASE("cmd sdr: generated records obey the codec laws; arbitrary bytes never crash") {
    test::random_source rng(3401);
    for (int i = 0; i < 300; ++i) {
      test::check_codec_laws(random_record<cmd::full_sensor_record>(rng, cmd::sdr_type::full_sensor));
      test::check_codec_laws(random_record<cmd::compact_sensor_record>(rng, cmd::sdr_type::compact_sensor));
      test::check_codec_laws(random_record<cmd::fru_device_locator_record>(rng, cmd::sdr_type::fru_device_locator));
      test::check_codec_laws(random_record<cmd::mc_device_locator_record>(rng, cmd::sdr_type::mc_device_locator));
    }
    test::check_parse_random<cmd::sdr_header>(rng, 500);
    test::check_parse_random_each<cmd::full_sensor_record, cmd::compact_sensor_record, cmd::fru_device_locator_record,
                                  cmd::mc_device_locator_record>(rng, 1000);
    // Random bytes almost never have a right header: give them one, and an ID length that fits,
    // so parsing reaches the body's reserved bits.
    for (int i = 0; i < 2000; ++i) {
      const std::uint8_t types[] = {0x01, 0x02, 0x11, 0x12};
      const std::size_t fixed[] = {48, 32, 16, 16};
      const std::size_t k = rng.below(4);
      const bytes b = random_record_bytes(rng, types[k], fixed[k]);
      test::check_parse_any<cmd::full_sensor_record>(b);
      test::check_parse_any<cmd::compact_sensor_record>(b);
      test::check_parse_any<cmd::fru_device_locator_record>(b);
      test::check_parse_any<cmd::mc_device_locator_record>(b);
    }
  }

  TEST_CASE("cmd sdr: the SDR commands obey the codec laws on generated values; arbitrary bytes never crash") {
    test::random_source rng(3402);
    for (int i = 0; i < 300; ++i) {
      test::check_codec_laws(test::random_value<cmd::get_sdr_repository_info::response>(rng));
      test::check_codec_laws(cmd::reserve_sdr_repository::response{static_cast<std::uint16_t>(rng.between(1, 0xFFFF))});
      cmd::get_sdr::request rq;
      rq.reservation_id = static_cast<std::uint16_t>(rng.below(0x10000));
      rq.record_id = static_cast<std::uint16_t>(rng.below(0x10000));
      rq.offset = rng.byte();
      // Offset + count stay within the longest record (5 + 255 bytes), or FFh for all of it.
      rq.bytes_to_read = rng.chance(20) ? cmd::read_whole_record
                                        : static_cast<std::uint8_t>(rng.between(1, std::min<std::size_t>(
                                                                                       254, 260u - rq.offset)));
      test::check_codec_laws(rq);
      cmd::get_sdr::response rs;
      rs.next_record_id = static_cast<std::uint16_t>(rng.below(0x10000));
      REQUIRE(rs.assign(rng.random_bytes(rng.chance(10) ? cmd::sdr_max_record_size : rng.between(1, 64))));
      test::check_codec_laws(rs);
      test::check_codec_laws(cmd::sdr_header{static_cast<std::uint16_t>(rng.below(0x10000)), rng.byte(), rng.byte()});
    }
    test::check_codec_laws(cmd::get_sdr_repository_info::request{});
    test::check_parse_random<cmd::get_sdr_repository_info::response>(rng, 1000);
    test::check_parse_random<cmd::reserve_sdr_repository::response>(rng, 300);
    test::check_parse_random_each<cmd::get_sdr::request, cmd::get_sdr::response>(rng, 1000);
  }

  TEST_CASE("cmd sdr: Get SDR Repository Info, known bytes and bad inputs") {
    // Version 51h, 12 records, 800h bytes free, times, non-modal update, Reserve and Delete.
    const bytes info{0x51, 0x0C, 0x00, 0x00, 0x08, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x2A};
    const auto p = test::check_repository_info<cmd::get_sdr_repository_info::response>(
        info, {.version = cmd::sdr_version,
               .last_add_time = 0x04030201u,
               .last_erase_time = 0x08070605u,
               .overflow = false,
               .supports_delete = true,
               .supports_partial_add = false,
               .supports_reserve = true,
               .supports_get_allocation_info = false});
    CHECK(p.record_count == 12);
    CHECK(p.free_space == 0x0800);
    CHECK(p.update_support == cmd::sdr_update_support::non_modal);
    SUBCASE("reserved value: bit 4") {
      bytes b = info;
      b[13] |= 0x10;
      CHECK(cmd::get_sdr_repository_info::response::parse(b).error == cmd::parse_error::reserved_value);
    }
    SUBCASE("out of range: a reservation of 0; Get SDR's offset and count are the BMC's to judge") {
      CHECK(cmd::reserve_sdr_repository::response::parse(bytes{0, 0}).error == cmd::parse_error::out_of_range);
      // IPMI v2.0 §33.12: past the record the BMC answers 0xC9 / 0xCA, which it can only when
      // the request parses (a parse error is 0xCC).
      CHECK(cmd::get_sdr::request::parse(bytes{1, 0, 0, 0, 0, 0}));
      CHECK(cmd::get_sdr::request::parse(bytes{1, 0, 0, 0, 0xFE, 0xFF}));
      CHECK(cmd::get_sdr::request::parse(bytes{1, 0, 0, 0, 0xFE, 0x07}));
      CHECK(cmd::get_sdr::response::parse(bytes{0xFF, 0xFF}).error == cmd::parse_error::too_short);
    }
    static_assert(cmd::get_sdr::id == command_id{netfn::storage, 0x23});
  }

  TEST_CASE("cmd sdr: encode and parse run at compile time") {
    test::check_at_compile_time([] {
      const auto p = cmd::full_sensor_record::parse(cpu_temp);
      std::array<std::uint8_t, 64> out{};
      const auto e = p.value.encode(out);
      bool same = e.size == cpu_temp.size();
      for (std::size_t i = 0; same && i < e.size; ++i) same = out[i] == cpu_temp[i];
      const auto y = cmd::convert_reading(p.value, 100);
      const auto m = cmd::mc_device_locator_record::parse(bmc_locator);
      const auto h = cmd::sdr_header::parse(std::array<std::uint8_t, 5>{0x10, 0x00, 0x51, 0x01, 0x33});
      return p && same && p->m == -2 && p->b == -300 && p->r_exp == -3 && y.mantissa == -30200 && m &&
             m->id.chars() == "BMC" && h && h->remaining_length == 0x33;
    });
  }
}
