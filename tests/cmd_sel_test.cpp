// The System Event Log (include/ipmikit/cmd/sel.hpp): the 16-byte SEL record and the SEL
// commands (Storage NetFn 0Ah): known byte layouts, the laws of cmd_support.hpp on generated
// values, each bad-input class by name, and compile-time use.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <span>

#include <ipmikit/bmc/sel.hpp>
#include <ipmikit/cmd/sel.hpp>

#include "cmd_support.hpp"

using namespace ipmikit;
using test::bytes;
using test::encode_bytes;

namespace {

// A watchdog 2 event as a BMC logs it (IPMI v2.0 §32.1 layout, §42.2 sensor type 23h): record
// 0001h, system event, time 1700000000 (6553F100h), generator 20h (BMC) channel 0 LUN 0, EvM
// revision 04h, sensor type 23h (Watchdog 2), sensor 0 (ipmi_sim's watchdog sensor,
// openipmi.md), assertion of sensor-specific type 6Fh, data 1 offset 01h (hard reset), data 2
// and 3 unspecified.
constexpr std::array<std::uint8_t, 16> watchdog_event{0x01, 0x00, 0x02, 0x00, 0xF1, 0x53, 0x65, 0x20,
                                                      0x00, 0x04, 0x23, 0x00, 0x6F, 0x01, 0xFF, 0xFF};

/// The BMC side Get SEL Entry reads from: a SEL holding one system event record, with
/// reservation 0001h outstanding.
bmc::sel<4> one_record_sel() {
  bmc::sel<4> log;
  cmd::sel_record r;
  r.sensor_type = 0x23;
  REQUIRE(log.add(r, {}));
  REQUIRE(log.reserve() == 1);
  return log;
}

}  // namespace

TEST_SUITE("cmd") {
  TEST_CASE("cmd sel: a watchdog event record reads field by field and encodes back byte for byte") {
    const auto p = cmd::sel_record::parse(watchdog_event);
    REQUIRE(p);
    CHECK(p->record_id == 0x0001);
    CHECK(p->record_type == 0x02);
    CHECK(p->is_system_event());
    CHECK(p->timestamp == 1700000000u);
    CHECK(p->generator_address == 0x20);
    CHECK_FALSE(p->software_generator);
    CHECK(p->generator_channel == 0);
    CHECK(p->generator_lun == 0);
    CHECK(p->evm_revision == 0x04);
    CHECK(p->sensor_type == 0x23);
    CHECK(p->sensor_number == 0x00);
    CHECK_FALSE(p->deassertion);
    CHECK(p->event_type == 0x6F);
    CHECK(p->event_data == std::array<std::uint8_t, 3>{0x01, 0xFF, 0xFF});
    CHECK(p->oem == std::array<std::uint8_t, 13>{});
    CHECK(encode_bytes(*p) == bytes(watchdog_event.begin(), watchdog_event.end()));

    // The same event, deasserted, from BIOS (software ID 01h: byte 03h) on channel 5 LUN 2.
    cmd::sel_record d = *p;
    d.deassertion = true;
    d.generator_address = 0x02;
    d.software_generator = true;
    d.generator_channel = 5;
    d.generator_lun = 2;
    const bytes b = encode_bytes(d);
    CHECK(b[7] == 0x03);
    CHECK(b[8] == 0x52);
    CHECK(b[12] == 0xEF);
  }

  TEST_CASE("cmd sel: OEM records keep their bytes, timestamped ones their time") {
    const std::array<std::uint8_t, 16> ts{0x10, 0x00, 0xC1, 0x78, 0x56, 0x34, 0x12, 0x57,
                                          0x01, 0x00, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6};
    const auto p = cmd::sel_record::parse(ts);
    REQUIRE(p);
    CHECK(p->is_oem_timestamped());
    CHECK(p->timestamp == 0x12345678u);
    CHECK(p->oem_manufacturer_id() == 0x000157);  // Intel, 343
    CHECK(p->oem[8] == 0xA6);
    CHECK(p->oem[9] == 0x00);
    CHECK(p->sensor_type == 0);  // a system event's fields stay at their defaults
    CHECK(encode_bytes(*p) == bytes(ts.begin(), ts.end()));

    const std::array<std::uint8_t, 16> nts{0x11, 0x00, 0xE0, 0x01, 0x02, 0x03, 0x04, 0x05,
                                           0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D};
    const auto q = cmd::sel_record::parse(nts);
    REQUIRE(q);
    CHECK(q->is_oem_non_timestamped());
    CHECK(q->timestamp == 0);
    CHECK(q->oem_manufacturer_id() == 0);
    CHECK(q->oem[0] == 0x01);
    CHECK(q->oem[12] == 0x0D);
    CHECK(encode_bytes(*q) == bytes(nts.begin(), nts.end()));
  }

  TEST_CASE("cmd sel: generated SEL records obey the codec laws; arbitrary bytes never crash") {
    test::random_source rng(3101);
    test::check_codec_laws_generated<cmd::sel_record>(rng, 600);
    test::check_parse_random<cmd::sel_record>(rng, 3000);
    // Arbitrary 16-byte records parse exactly when their type is 02h or C0h–FFh and byte 8's
    // reserved bits are clear.
    for (int i = 0; i < 1000; ++i) {
      const bytes b = rng.random_bytes(16);
      const bool valid = (b[2] == 0x02 && (b[8] & 0x0C) == 0) || b[2] >= 0xC0;
      CHECK(static_cast<bool>(cmd::sel_record::parse(b)) == valid);
    }
  }

  TEST_CASE("cmd sel: a SEL record refuses each bad input by name") {
    std::array<std::uint8_t, 16> b = watchdog_event;
    SUBCASE("truncated") {
      CHECK(cmd::sel_record::parse(std::span(b).first(15)).error == cmd::parse_error::too_short);
      CHECK(cmd::sel_record::parse(std::span(b).first(3)).error == cmd::parse_error::too_short);
    }
    SUBCASE("oversized") {
      const bytes longer = [&] {
        bytes l(b.begin(), b.end());
        l.push_back(0);
        return l;
      }();
      CHECK(cmd::sel_record::parse(longer).error == cmd::parse_error::too_long);
    }
    SUBCASE("a reserved record type") {
      for (const std::uint8_t t : std::array<std::uint8_t, 5>{0x00, 0x01, 0x03, 0x10, 0xBF}) {
        b[2] = t;
        CHECK(cmd::sel_record::parse(b).error == cmd::parse_error::reserved_value);
      }
      b[2] = 0x03;  // truncated still wins over the reserved type
      CHECK(cmd::sel_record::parse(std::span(b).first(10)).error == cmd::parse_error::too_short);
    }
    SUBCASE("reserved bits in the generator's channel byte") {
      b[8] = 0x04;
      CHECK(cmd::sel_record::parse(b).error == cmd::parse_error::reserved_value);
    }
    SUBCASE("fields too wide to encode") {
      const cmd::sel_record r = *cmd::sel_record::parse(watchdog_event);
      CHECK(test::encode_error_of(r) == cmd::encode_error::ok);
      CHECK(test::encode_error_with(r, [](auto& v) { v.generator_address = 0x21; }) == cmd::encode_error::out_of_range);
      CHECK(test::encode_error_with(r, [](auto& v) { v.generator_channel = 16; }) == cmd::encode_error::out_of_range);
      CHECK(test::encode_error_with(r, [](auto& v) { v.generator_lun = 4; }) == cmd::encode_error::out_of_range);
      CHECK(test::encode_error_with(r, [](auto& v) { v.event_type = 0x80; }) == cmd::encode_error::out_of_range);
      CHECK(test::encode_error_with(r, [](auto& v) { v.record_type = 0x05; }) == cmd::encode_error::out_of_range);
    }
  }

  TEST_CASE("cmd sel: Get SEL Entry as ipmitool's sel list sends it, and the whole record it gets back") {
    const cmd::get_sel_entry::request rq{0x0000, 0x1234, 0x00, cmd::read_whole_record};
    CHECK(encode_bytes(rq) == bytes{0x00, 0x00, 0x34, 0x12, 0x00, 0xFF});
    std::array<std::uint8_t, cmd::max_request_message_size<cmd::get_sel_entry>> msg{};
    const auto e = cmd::build_request<cmd::get_sel_entry>(rq, msg);
    REQUIRE(e);
    CHECK(bytes(msg.begin(), msg.begin() + static_cast<std::ptrdiff_t>(e.size)) ==
          bytes{0x28, 0x43, 0x00, 0x00, 0x34, 0x12, 0x00, 0xFF});
    const auto back = cmd::parse_request<cmd::get_sel_entry>(std::span(msg).first(e.size));
    REQUIRE(back);
    CHECK(back.value == rq);

    // The answer: cc 00, next record 0002h, then the 16 bytes of the record.
    bytes rs{0x2C, 0x43, 0x00, 0x02, 0x00};
    rs.insert(rs.end(), watchdog_event.begin(), watchdog_event.end());
    const auto r = cmd::parse_response<cmd::get_sel_entry>(rs);
    REQUIRE(r);
    CHECK(r.response->next_record_id == 0x0002);
    CHECK(r.response->length == 16);
    const auto rec = cmd::sel_record::parse(r.response->bytes());
    REQUIRE(rec);
    CHECK(rec->sensor_type == 0x23);

    // A partial read (offset 10, 4 bytes) is just bytes.
    const cmd::get_sel_entry::request part{0x0101, 0x0001, 10, 4};
    CHECK(encode_bytes(part) == bytes{0x01, 0x01, 0x01, 0x00, 0x0A, 0x04});
    const bytes partial{0xFF, 0xFF, 0x23, 0x00, 0x6F, 0x01};
    const auto pr = cmd::get_sel_entry::response::parse(partial);
    REQUIRE(pr);
    CHECK(pr->next_record_id == cmd::sel_last_entry);
    CHECK(bytes(pr->bytes().begin(), pr->bytes().end()) == bytes{0x23, 0x00, 0x6F, 0x01});
    CHECK_FALSE(cmd::sel_record::parse(pr->bytes()));
  }

  // IPMI v2.0 §31.5: the typed request parses any offset and count, so that the BMC can answer
  // with the codes the specification names (a parse error could only be 0xCC).
  TEST_CASE("cmd sel: Get SEL Entry past the record's end is 0xC9 (parameter out of range) from the BMC") {
    const auto rq = cmd::parse_request<cmd::get_sel_entry>(test::hex("28 43 01 00 00 00 10 01"));
    REQUIRE(rq);
    cmd::get_sel_entry::response rs;
    CHECK(one_record_sel().get(*rq, rs) == completion_code::parameter_out_of_range);
  }
  TEST_CASE("cmd sel: Get SEL Entry of more bytes than the record has left is 0xCA from the BMC") {
    const auto rq = cmd::parse_request<cmd::get_sel_entry>(test::hex("28 43 01 00 00 00 0A 08"));
    REQUIRE(rq);
    cmd::get_sel_entry::response rs;
    CHECK(one_record_sel().get(*rq, rs) == completion_code::cannot_return_requested_bytes);
  }
  TEST_CASE("cmd sel: Get SEL Entry of FFh bytes reads from the offset to the record's end") {
    const auto rq = cmd::parse_request<cmd::get_sel_entry>(test::hex("28 43 01 00 00 00 0A FF"));
    REQUIRE(rq);
    CHECK(rq->bytes_to_read == cmd::read_whole_record);
    cmd::get_sel_entry::response rs;
    REQUIRE(one_record_sel().get(*rq, rs) == completion_code::success);
    CHECK(rs.bytes().size() == 6);
    CHECK(rs.next_record_id == cmd::sel_last_entry);
  }

  TEST_CASE("cmd sel: Get SEL Entry refuses each bad input by name") {
    SUBCASE("nothing out of range: the offset and count are the BMC's to judge against the record") {
      for (const bytes& b : {bytes{0, 0, 0, 0, 16, 0xFF}, bytes{0, 0, 0, 0, 8, 9}, bytes{0, 0, 0, 0, 0, 0},
                             bytes{0, 0, 0, 0, 0xFF, 0xFE}}) {
        const auto p = cmd::get_sel_entry::request::parse(b);
        REQUIRE(p);
        CHECK(encode_bytes(*p) == b);
      }
    }
    SUBCASE("truncated and oversized requests") {
      CHECK(cmd::get_sel_entry::request::parse(bytes{0, 0, 0, 0, 0}).error == cmd::parse_error::too_short);
      CHECK(cmd::get_sel_entry::request::parse(bytes{0, 0, 0, 0, 0, 0xFF, 0}).error == cmd::parse_error::too_long);
    }
    SUBCASE("a response with no record bytes, or more than a record") {
      CHECK(cmd::get_sel_entry::response::parse(bytes{0xFF, 0xFF}).error == cmd::parse_error::too_short);
      CHECK(cmd::get_sel_entry::response::parse(bytes(19, 0)).error == cmd::parse_error::too_long);
      cmd::get_sel_entry::response r;
      CHECK_FALSE(r.assign(bytes(17, 0)));
      CHECK_FALSE(r.assign(bytes{}));
      std::array<std::uint8_t, 18> out{};
      CHECK(r.encode(out).error == cmd::encode_error::out_of_range);  // length 0
    }
  }

  TEST_CASE("cmd sel: Get SEL Info is exactly 14 bytes") {
    // Version 51h, 3 entries, F000h bytes free, added at 60000000h, never erased (FFFFFFFFh),
    // overflow, and Reserve and Delete supported.
    const bytes info{0x51, 0x03, 0x00, 0x00, 0xF0, 0x00, 0x00, 0x00, 0x60, 0xFF, 0xFF, 0xFF, 0xFF, 0x8A};
    const auto p = test::check_repository_info<cmd::get_sel_info::response>(
        info, {.version = cmd::sel_version_2_0,
               .last_add_time = 0x60000000u,
               .last_erase_time = 0xFFFFFFFFu,
               .overflow = true,
               .supports_delete = true,
               .supports_partial_add = false,
               .supports_reserve = true,
               .supports_get_allocation_info = false});
    CHECK(p.entries == 3);
    CHECK(p.free_bytes == 0xF000);

    SUBCASE("reserved operation-support bits") {
      for (const std::uint8_t bit : std::array<std::uint8_t, 3>{0x10, 0x20, 0x40}) {
        bytes b = info;
        b[13] = static_cast<std::uint8_t>(b[13] | bit);
        CHECK(cmd::get_sel_info::response::parse(b).error == cmd::parse_error::reserved_value);
      }
    }
  }

  TEST_CASE("cmd sel: Clear SEL carries 'CLR', and refuses a wrong signature") {
    const cmd::clear_sel::request rq{0x1234, cmd::clear_sel_action::initiate_erase};
    CHECK(encode_bytes(rq) == bytes{0x34, 0x12, 0x43, 0x4C, 0x52, 0xAA});
    CHECK(encode_bytes(cmd::clear_sel::request{0x0001, cmd::clear_sel_action::get_status}) ==
          bytes{0x01, 0x00, 'C', 'L', 'R', 0x00});
    CHECK(cmd::clear_sel::request::has_signature(bytes{0x34, 0x12, 'C', 'L', 'R', 0xAA}));

    SUBCASE("a wrong 'CLR' signature") {
      for (std::size_t i = 2; i < 5; ++i) {
        bytes b{0x34, 0x12, 'C', 'L', 'R', 0xAA};
        b[i] = static_cast<std::uint8_t>(b[i] + 0x20);  // lower case
        CHECK_FALSE(cmd::clear_sel::request::has_signature(b));
        const auto p = cmd::clear_sel::request::parse(b);
        CHECK(p.error == cmd::parse_error::out_of_range);
        CHECK(cmd::to_completion_code(p.error) == completion_code::invalid_data_field);
      }
    }
    SUBCASE("an action that is neither AAh nor 00h") {
      CHECK(cmd::clear_sel::request::parse(bytes{0, 0, 'C', 'L', 'R', 0x55}).error == cmd::parse_error::out_of_range);
      std::array<std::uint8_t, 6> out{};
      CHECK(cmd::clear_sel::request{0, static_cast<cmd::clear_sel_action>(1)}.encode(out).error ==
            cmd::encode_error::out_of_range);
    }
    SUBCASE("truncated and oversized") {
      CHECK(cmd::clear_sel::request::parse(bytes{0, 0, 'C', 'L', 'R'}).error == cmd::parse_error::too_short);
      CHECK(cmd::clear_sel::request::parse(bytes{0, 0, 'C', 'L', 'R', 0xAA, 0}).error == cmd::parse_error::too_long);
    }
    SUBCASE("the erase progress: reserved bits, values past 'completed'") {
      CHECK(cmd::clear_sel::response::parse(bytes{0x00})->progress == cmd::erase_progress::in_progress);
      CHECK(cmd::clear_sel::response::parse(bytes{0x01})->progress == cmd::erase_progress::completed);
      CHECK(cmd::clear_sel::response::parse(bytes{0x11}).error == cmd::parse_error::reserved_value);
      CHECK(cmd::clear_sel::response::parse(bytes{0x02}).error == cmd::parse_error::out_of_range);
      std::array<std::uint8_t, 1> out{};
      CHECK(cmd::clear_sel::response{static_cast<cmd::erase_progress>(2)}.encode(out).error ==
            cmd::encode_error::out_of_range);
    }
  }

  TEST_CASE("cmd sel: Reserve, Add, Delete and the SEL time, known bytes and bad inputs") {
    CHECK(encode_bytes(cmd::reserve_sel::response{0xBEEF}) == bytes{0xEF, 0xBE});
    SUBCASE("a reservation ID of 0 is out of range") {
      CHECK(cmd::reserve_sel::response::parse(bytes{0x00, 0x00}).error == cmd::parse_error::out_of_range);
      std::array<std::uint8_t, 2> out{};
      CHECK(cmd::reserve_sel::response{0}.encode(out).error == cmd::encode_error::out_of_range);
    }
    const auto add = cmd::parse_request<cmd::add_sel_entry>([] {
      bytes m{0x28, 0x44};
      m.insert(m.end(), watchdog_event.begin(), watchdog_event.end());
      return m;
    }());
    REQUIRE(add);
    CHECK(add->sensor_type == 0x23);
    CHECK(encode_bytes(cmd::add_sel_entry::response{0x0102}) == bytes{0x02, 0x01});
    CHECK(encode_bytes(cmd::delete_sel_entry::request{0x0A0B, 0x0C0D}) == bytes{0x0B, 0x0A, 0x0D, 0x0C});
    CHECK(cmd::delete_sel_entry::request::parse(bytes{1, 2, 3}).error == cmd::parse_error::too_short);
    CHECK(cmd::delete_sel_entry::response::parse(bytes{1, 2, 3}).error == cmd::parse_error::too_long);
    CHECK(encode_bytes(cmd::set_sel_time::request{0x65432100}) == bytes{0x00, 0x21, 0x43, 0x65});
    CHECK(cmd::get_sel_time::response::parse(bytes{0x00, 0xF1, 0x53, 0x65})->seconds == 1700000000u);
    CHECK(cmd::get_sel_time::response::parse(bytes{0x00, 0xF1, 0x53}).error == cmd::parse_error::too_short);
    CHECK(cmd::set_sel_time::response::parse(bytes{0x00}).error == cmd::parse_error::too_long);
    static_assert(cmd::get_sel_time::id == command_id{netfn::storage, 0x48});
    static_assert(cmd::clear_sel::id == command_id{netfn::storage, 0x47});
    static_assert(cmd::delete_sel_entry::id == command_id{netfn::storage, 0x46});
  }

  TEST_CASE("cmd sel: every SEL request and response obeys the codec laws on generated values") {
    test::random_source rng(3102);
    for (int i = 0; i < 300; ++i) {
      test::check_codec_laws(test::random_value<cmd::get_sel_info::response>(rng));
      test::check_codec_laws(test::random_value<cmd::get_sel_entry::request>(rng));
      test::check_codec_laws(test::random_value<cmd::get_sel_entry::response>(rng));
      test::check_codec_laws(cmd::reserve_sel::response{static_cast<std::uint16_t>(rng.between(1, 0xFFFF))});
      test::check_codec_laws(cmd::add_sel_entry::response{static_cast<std::uint16_t>(rng.below(0x10000))});
      test::check_codec_laws(cmd::delete_sel_entry::request{static_cast<std::uint16_t>(rng.below(0x10000)),
                                                            static_cast<std::uint16_t>(rng.below(0x10000))});
      test::check_codec_laws(cmd::delete_sel_entry::response{static_cast<std::uint16_t>(rng.below(0x10000))});
      test::check_codec_laws(cmd::clear_sel::request{
          static_cast<std::uint16_t>(rng.below(0x10000)),
          rng.chance(50) ? cmd::clear_sel_action::initiate_erase : cmd::clear_sel_action::get_status});
      test::check_codec_laws(cmd::clear_sel::response{rng.chance(50) ? cmd::erase_progress::completed
                                                                      : cmd::erase_progress::in_progress});
      test::check_codec_laws(cmd::get_sel_time::response{static_cast<std::uint32_t>(rng.below(0x100000000ULL))});
      test::check_codec_laws(cmd::set_sel_time::request{static_cast<std::uint32_t>(rng.below(0x100000000ULL))});
    }
    test::check_codec_laws(cmd::get_sel_info::request{});
    test::check_codec_laws(cmd::set_sel_time::response{});
  }

  TEST_CASE("cmd sel: every SEL request and response, arbitrary bytes: a named error or a round trip") {
    test::random_source rng(3103);
    test::check_parse_random<cmd::get_sel_info::response>(rng, 1000);
    test::check_parse_random<cmd::reserve_sel::response>(rng, 500);
    test::check_parse_random_each<cmd::get_sel_entry::request, cmd::get_sel_entry::response,
                                  cmd::add_sel_entry::request>(rng, 1000);
    test::check_parse_random_each<cmd::add_sel_entry::response, cmd::delete_sel_entry::request,
                                  cmd::delete_sel_entry::response>(rng, 300);
    test::check_parse_random<cmd::clear_sel::request>(rng, 1000);
    test::check_parse_random_each<cmd::clear_sel::response, cmd::get_sel_time::response,
                                  cmd::set_sel_time::request>(rng, 300);
    // Random bytes almost never carry 'CLR': plant it, so the action byte is what decides.
    for (int i = 0; i < 300; ++i) {
      bytes b = rng.random_bytes(6);
      b[2] = 'C';
      b[3] = 'L';
      b[4] = 'R';
      const auto p = cmd::clear_sel::request::parse(b);
      CHECK(static_cast<bool>(p) == (b[5] == 0x00 || b[5] == 0xAA));
      test::check_parse_any<cmd::clear_sel::request>(b);
    }
  }

  TEST_CASE("cmd sel: encode and parse run at compile time") {
    test::check_at_compile_time([] {
      const auto rec = cmd::sel_record::parse(watchdog_event);
      std::array<std::uint8_t, 16> out{};
      const auto e = rec.value.encode(out);
      const auto clr = cmd::clear_sel::request::parse(std::array<std::uint8_t, 6>{0x34, 0x12, 'C', 'L', 'R', 0xAA});
      const auto bad = cmd::clear_sel::request::parse(std::array<std::uint8_t, 6>{0x34, 0x12, 'C', 'L', 'X', 0xAA});
      std::array<std::uint8_t, 6> rq{};
      const auto q = cmd::get_sel_entry::request{0, 0x1234, 0, 0xFF}.encode(rq);
      return rec && e.size == 16 && out == watchdog_event && rec->event_type == 0x6F && clr &&
             clr->reservation_id == 0x1234 && bad.error == cmd::parse_error::out_of_range && q.size == 6 &&
             rq[2] == 0x34 && rq[5] == 0xFF;
    });
  }
}

// The sizes with_codec measures from fields() are the specification's (IPMI v2.0 §31, §32).
static_assert(cmd::sel_record::min_size == cmd::sel_record_size && cmd::sel_record::max_size == cmd::sel_record_size);
static_assert(cmd::get_sel_info::response::min_size == 14 && cmd::get_sel_info::response::max_size == 14);
static_assert(cmd::get_sel_entry::request::min_size == 6 && cmd::reserve_sel::response::max_size == 2);
static_assert(cmd::delete_sel_entry::request::max_size == 4 && cmd::get_sel_time::response::max_size == 4);
static_assert(cmd::clear_sel::request::min_size == 6 && cmd::clear_sel::response::max_size == 1);
