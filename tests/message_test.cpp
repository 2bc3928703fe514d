// tests/message_test.cpp — ipmikit/message.hpp: netfn/LUN packing, netfn pairing, completion
// codes (IPMI v2.0 Table 5-2), command names (Appendix G), request/response views.
#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include <ipmikit/message.hpp>

#include "test_support.hpp"

using namespace ipmikit;
using test::bytes;
using test::hex;
using test::view;

namespace {

static_assert(pack_netfn_lun(netfn::app, lun::bmc) == 0x18);        // Get Device ID request
static_assert(pack_netfn_lun(response_netfn(netfn::app), lun::bmc) == 0x1C);  // its response
static_assert(netfn_of(0x1C) == static_cast<netfn>(0x07) && lun_of(0x1E) == lun::sms);
static_assert(is_request(netfn::app) && is_response(response_netfn(netfn::app)));
static_assert(request_view::parse(std::array<std::uint8_t, 2>{0x18, 0x01})->command == 0x01);
static_assert(!response_view::parse(std::array<std::uint8_t, 2>{0x1C, 0x01}).has_value());

constexpr netfn fn(unsigned v) { return static_cast<netfn>(v); }
constexpr completion_code cc(unsigned v) { return static_cast<completion_code>(v); }

// IPMI v2.0 Table 5-2: the completion codes with a name.
bool in_table_5_2(unsigned v) { return v == 0x00 || (v >= 0xC0 && v <= 0xD6) || v == 0xFF; }

}  // namespace

TEST_SUITE("message") {

TEST_CASE("netfn/LUN packing round-trips all 256 bytes") {
  for (unsigned b = 0; b < 256; ++b) {
    const auto byte = static_cast<std::uint8_t>(b);
    CAPTURE(b);
    CHECK(static_cast<unsigned>(netfn_of(byte)) == (b >> 2));
    CHECK(static_cast<unsigned>(lun_of(byte)) == (b & 3u));
    CHECK(pack_netfn_lun(netfn_of(byte), lun_of(byte)) == byte);
  }
}

TEST_CASE("packing keeps the six netfn bits and the two LUN bits apart") {
  for (unsigned f = 0; f <= netfn_max; ++f) {
    for (unsigned l = 0; l < 4; ++l) {
      const std::uint8_t b = pack_netfn_lun(fn(f), static_cast<lun>(l));
      CHECK(b == static_cast<std::uint8_t>((f << 2) | l));
      CHECK(netfn_of(b) == fn(f));
      CHECK(lun_of(b) == static_cast<lun>(l));
    }
  }
  // Bits outside the fields are masked off rather than bleeding into the other field.
  CHECK(pack_netfn_lun(fn(0x7F), lun::bmc) == 0xFC);
  CHECK(pack_netfn_lun(netfn::chassis, static_cast<lun>(7)) == 0x03);
}

TEST_CASE("every request netfn pairs with the response netfn one above it") {
  for (unsigned f = 0; f <= netfn_max; ++f) {
    CAPTURE(f);
    const netfn n = fn(f);
    CHECK(is_request(n) == (f % 2 == 0));
    CHECK(is_response(n) == (f % 2 == 1));
    CHECK(static_cast<unsigned>(response_netfn(n)) == (f | 1u));
    CHECK(static_cast<unsigned>(request_netfn(n)) == (f & ~1u));
    CHECK(is_response(response_netfn(n)));
    CHECK(is_request(request_netfn(n)));
    CHECK(request_netfn(response_netfn(n)) == request_netfn(n));
    CHECK(response_netfn(request_netfn(n)) == response_netfn(n));
    CHECK(name(n) == name(response_netfn(n)));
    CHECK_FALSE(name(n).empty());
  }
}

TEST_CASE("netfn families are named as in IPMI v2.0 Table 5-1") {
  CHECK(name(netfn::chassis) == "Chassis");
  CHECK(name(netfn::bridge) == "Bridge");
  CHECK(name(netfn::sensor_event) == "Sensor/Event");
  CHECK(name(netfn::app) == "App");
  CHECK(name(fn(0x07)) == "App");
  CHECK(name(netfn::firmware) == "Firmware");
  CHECK(name(netfn::storage) == "Storage");
  CHECK(name(netfn::transport) == "Transport");
  CHECK(name(netfn::group_extension) == "Group Extension");
  CHECK(name(netfn::oem_group) == "OEM/Group");
  for (unsigned f = 0x0E; f <= 0x2B; ++f) CHECK(name(fn(f)) == "reserved");
  for (unsigned f = 0x30; f <= 0x3F; ++f) CHECK(name(fn(f)) == "OEM");
}

TEST_CASE("LUNs have names") {
  CHECK(name(lun::bmc) == "BMC");
  CHECK(name(lun::oem1) == "OEM1");
  CHECK(name(lun::sms) == "SMS");
  CHECK(name(lun::oem2) == "OEM2");
  CHECK(name(static_cast<lun>(4)) == "invalid");
}

TEST_CASE("every Table 5-2 completion code has a distinct name and description") {
  std::set<std::string_view> names;
  std::set<std::string_view> descriptions;
  for (unsigned v = 0; v < 256; ++v) {
    CAPTURE(v);
    const std::string_view n = name(cc(v));
    const std::string_view d = describe(cc(v));
    CHECK_FALSE(d.empty());
    if (in_table_5_2(v)) {
      CHECK_FALSE(n.empty());
      names.insert(n);
      descriptions.insert(d);
    } else {
      CHECK(n.empty());
    }
  }
  // 0x00, 0xC0..0xD6 (23 codes), 0xFF
  CHECK(names.size() == 25);
  CHECK(descriptions.size() == 25);
  CHECK(name(completion_code::success) == "success");
  CHECK(name(cc(0xC3)) == "timeout");
  CHECK(name(cc(0xC6)) == "request_data_truncated");
  CHECK(name(cc(0xD2)) == "bmc_initialization_in_progress");
  CHECK(name(cc(0xD6)) == "sub_function_disabled");
  CHECK(name(cc(0xFF)) == "unspecified");
}

TEST_CASE("describe() names the OEM, command-specific and reserved ranges") {
  const std::string_view oem = describe(cc(0x01));
  const std::string_view specific = describe(cc(0x80));
  const std::string_view reserved = describe(cc(0xD7));
  CHECK(oem.find("OEM") != std::string_view::npos);
  CHECK(specific.find("Command-specific") != std::string_view::npos);
  CHECK(reserved.find("Reserved") != std::string_view::npos);
  for (unsigned v = 0; v < 256; ++v) {
    CAPTURE(v);
    const std::string_view d = describe(cc(v));
    if (v >= 0x01 && v <= 0x7E) {
      CHECK(d == oem);
    } else if (v >= 0x80 && v <= 0xBE) {
      CHECK(d == specific);
    } else if (!in_table_5_2(v)) {  // 0x7F, 0xBF, 0xD7..0xFE
      CHECK(d == reserved);
    } else {
      CHECK(d != oem);
      CHECK(d != specific);
      CHECK(d != reserved);
    }
  }
}

TEST_CASE("command_name gives Appendix G's name for exactly the commands of its table") {
  // IPMI v2.0 Appendix G (Command Assignments), by request netfn, for the commands the header
  // lists; a response netfn names its request's commands; every other (netfn, cmd) pair, in
  // all 64 netfns, must give an empty view.
  struct named_command {
    netfn function;
    std::uint8_t cmd;
    std::string_view name;
  };
  static constexpr named_command appendix_g[] = {
      {netfn::chassis, 0x00, "Get Chassis Capabilities"},
      {netfn::chassis, 0x01, "Get Chassis Status"},
      {netfn::chassis, 0x02, "Chassis Control"},
      {netfn::chassis, 0x03, "Chassis Reset"},
      {netfn::chassis, 0x04, "Chassis Identify"},
      {netfn::chassis, 0x05, "Set Chassis Capabilities"},
      {netfn::chassis, 0x06, "Set Power Restore Policy"},
      {netfn::chassis, 0x07, "Get System Restart Cause"},
      {netfn::chassis, 0x08, "Set System Boot Options"},
      {netfn::chassis, 0x09, "Get System Boot Options"},
      {netfn::chassis, 0x0F, "Get POH Counter"},
      {netfn::sensor_event, 0x00, "Set Event Receiver"},
      {netfn::sensor_event, 0x01, "Get Event Receiver"},
      {netfn::sensor_event, 0x02, "Platform Event Message"},
      {netfn::sensor_event, 0x20, "Get Device SDR Info"},
      {netfn::sensor_event, 0x21, "Get Device SDR"},
      {netfn::sensor_event, 0x22, "Reserve Device SDR Repository"},
      {netfn::sensor_event, 0x26, "Set Sensor Thresholds"},
      {netfn::sensor_event, 0x27, "Get Sensor Thresholds"},
      {netfn::sensor_event, 0x28, "Set Sensor Event Enable"},
      {netfn::sensor_event, 0x29, "Get Sensor Event Enable"},
      {netfn::sensor_event, 0x2B, "Get Sensor Event Status"},
      {netfn::sensor_event, 0x2D, "Get Sensor Reading"},
      {netfn::sensor_event, 0x2F, "Get Sensor Type"},
      {netfn::app, 0x01, "Get Device ID"},
      {netfn::app, 0x02, "Cold Reset"},
      {netfn::app, 0x03, "Warm Reset"},
      {netfn::app, 0x04, "Get Self Test Results"},
      {netfn::app, 0x05, "Manufacturing Test On"},
      {netfn::app, 0x06, "Set ACPI Power State"},
      {netfn::app, 0x07, "Get ACPI Power State"},
      {netfn::app, 0x08, "Get Device GUID"},
      {netfn::app, 0x09, "Get NetFn Support"},
      {netfn::app, 0x0A, "Get Command Support"},
      {netfn::app, 0x22, "Reset Watchdog Timer"},
      {netfn::app, 0x24, "Set Watchdog Timer"},
      {netfn::app, 0x25, "Get Watchdog Timer"},
      {netfn::app, 0x2E, "Set BMC Global Enables"},
      {netfn::app, 0x2F, "Get BMC Global Enables"},
      {netfn::app, 0x30, "Clear Message Flags"},
      {netfn::app, 0x31, "Get Message Flags"},
      {netfn::app, 0x32, "Enable Message Channel Receive"},
      {netfn::app, 0x33, "Get Message"},
      {netfn::app, 0x34, "Send Message"},
      {netfn::app, 0x35, "Read Event Message Buffer"},
      {netfn::app, 0x36, "Get BT Interface Capabilities"},
      {netfn::app, 0x37, "Get System GUID"},
      {netfn::app, 0x38, "Get Channel Authentication Capabilities"},
      {netfn::app, 0x40, "Set Channel Access"},
      {netfn::app, 0x41, "Get Channel Access"},
      {netfn::app, 0x42, "Get Channel Info"},
      {netfn::app, 0x43, "Set User Access"},
      {netfn::app, 0x44, "Get User Access"},
      {netfn::app, 0x45, "Set User Name"},
      {netfn::app, 0x46, "Get User Name"},
      {netfn::app, 0x47, "Set User Password"},
      {netfn::app, 0x54, "Get Channel Cipher Suites"},
      {netfn::app, 0x57, "Get System Interface Capabilities"},
      {netfn::app, 0x58, "Set System Info Parameters"},
      {netfn::app, 0x59, "Get System Info Parameters"},
      {netfn::storage, 0x10, "Get FRU Inventory Area Info"},
      {netfn::storage, 0x11, "Read FRU Data"},
      {netfn::storage, 0x12, "Write FRU Data"},
      {netfn::storage, 0x20, "Get SDR Repository Info"},
      {netfn::storage, 0x22, "Reserve SDR Repository"},
      {netfn::storage, 0x23, "Get SDR"},
      {netfn::storage, 0x40, "Get SEL Info"},
      {netfn::storage, 0x42, "Reserve SEL"},
      {netfn::storage, 0x43, "Get SEL Entry"},
      {netfn::storage, 0x44, "Add SEL Entry"},
      {netfn::storage, 0x46, "Delete SEL Entry"},
      {netfn::storage, 0x47, "Clear SEL"},
      {netfn::storage, 0x48, "Get SEL Time"},
      {netfn::storage, 0x49, "Set SEL Time"},
      {netfn::transport, 0x01, "Set LAN Configuration Parameters"},
      {netfn::transport, 0x02, "Get LAN Configuration Parameters"},
      {netfn::transport, 0x10, "Set Serial/Modem Configuration"},
      {netfn::transport, 0x11, "Get Serial/Modem Configuration"},
      {netfn::transport, 0x21, "Set SOL Configuration Parameters"},
      {netfn::transport, 0x22, "Get SOL Configuration Parameters"},
  };
  static_assert(command_name(netfn::storage, 0x23) == "Get SDR");  // usable at compile time

  auto expected = [](unsigned f, unsigned c) -> std::string_view {
    for (const auto& e : appendix_g) {
      if (static_cast<unsigned>(e.function) == (f & ~1u) && e.cmd == c) return e.name;
    }
    return {};
  };
  std::set<std::string_view> names;
  for (unsigned f = 0; f <= netfn_max; ++f) {
    for (unsigned c = 0; c < 256; ++c) {
      const std::string_view want = expected(f, c);
      const std::string_view got = command_name(fn(f), static_cast<std::uint8_t>(c));
      CAPTURE(f);
      CAPTURE(c);
      CHECK(got == want);
      if (!got.empty()) names.insert(got);
    }
  }
  // Each name belongs to one command: no copy-and-paste slip gives two commands one name.
  CHECK(names.size() == std::size(appendix_g));
}

TEST_CASE("commands:: constants name the code command_name() names") {
  // A few constants against Appendix G directly (the table above checks every name).
  static_assert(commands::get_device_id == command_id{netfn::app, 0x01});
  static_assert(commands::get_chassis_status == command_id{netfn::chassis, 0x01});
  static_assert(commands::set_watchdog_timer == command_id{netfn::app, 0x24});
  static_assert(commands::get_sel_entry == command_id{netfn::storage, 0x43});
  static_assert(commands::get_sensor_reading == command_id{netfn::sensor_event, 0x2D});
  static_assert(commands::get_lan_configuration_parameters == command_id{netfn::transport, 0x02});
  static_assert(command_name(commands::get_device_id) == "Get Device ID");
  static_assert(command_name(commands::get_poh_counter) == "Get POH Counter");
  CHECK(command_name(commands::reset_watchdog_timer) == "Reset Watchdog Timer");
  CHECK(command_name(command_id{netfn::app, 0xFE}).empty());
  // Every constant is a request netfn (even) and distinct from every other.
  std::set<std::pair<unsigned, unsigned>> ids;
  for (const auto& row : detail::command_table) {
    CAPTURE(row.name);
    CHECK(is_request(row.id.function));
    CHECK(command_name(row.id) == row.name);
    CHECK(ids.insert({static_cast<unsigned>(row.id.function), row.id.code}).second);
  }
}

TEST_CASE("command_id::matches a request or a response of its command, any LUN; request() builds one") {
  constexpr auto id = commands::get_message_flags;
  static_assert(id.request() == std::array<std::uint8_t, 2>{0x18, 0x31});
  static_assert(id.request(lun::sms) == std::array<std::uint8_t, 2>{0x1A, 0x31});
  CHECK(id.matches(0x18, 0x31));  // request, BMC LUN
  CHECK(id.matches(0x1E, 0x31));  // response, SMS LUN
  CHECK_FALSE(id.matches(0x18, 0x30));  // another command
  CHECK_FALSE(id.matches(0x00, 0x31));  // another netfn (Chassis)
  CHECK_FALSE(id.matches(0x20, 0x31));  // App+2 (firmware) is not App's response
  const auto rq = id.request(lun::oem1);
  CHECK(netfn_of(rq[0]) == netfn::app);
  CHECK(lun_of(rq[0]) == lun::oem1);
}

TEST_CASE("request_view parses a body and rejects one shorter than netfn/LUN and cmd") {
  const bytes body = hex("1A 2E 0F 42");
  const auto r = request_view::parse(view(body));
  REQUIRE(r.has_value());
  CHECK(r->function == netfn::app);
  CHECK(r->lun == lun::sms);
  CHECK(r->command == 0x2E);
  REQUIRE(r->data.size() == 2);
  CHECK(r->data.data() == body.data() + 2);  // a view, not a copy
  CHECK(r->data[1] == 0x42);

  const bytes two = hex("18 01");
  const auto minimal = request_view::parse(view(two));
  REQUIRE(minimal.has_value());
  CHECK(minimal->data.empty());
  CHECK(request_view::min_size == 2);

  const bytes one = hex("18");
  CHECK_FALSE(request_view::parse(view(one)).has_value());
  CHECK_FALSE(request_view::parse(std::span<const std::uint8_t>{}).has_value());
}

TEST_CASE("response_view parses the completion code and rejects bodies without one") {
  // The QEMU-live Get Device ID response body (qemu-live.md), product id byte 0xA0.
  const bytes body = hex("1C 01 00 20 81 02 17 02 BF 57 01 00 A0 00 00 00 00 00");
  const auto r = response_view::parse(view(body));
  REQUIRE(r.has_value());
  CHECK(r->function == fn(0x07));
  CHECK(is_response(r->function));
  CHECK(r->lun == lun::bmc);
  CHECK(r->command == 0x01);
  CHECK(r->code == completion_code::success);
  REQUIRE(r->data.size() == 15);
  CHECK(r->data.data() == body.data() + 3);
  CHECK(r->data[0] == 0x20);   // device id
  CHECK(r->data[9] == 0xA0);   // product id, low byte

  const bytes failed = hex("1C 2E C1");
  const auto f = response_view::parse(view(failed));
  REQUIRE(f.has_value());
  CHECK(f->code == completion_code::invalid_command);
  CHECK(f->data.empty());
  CHECK(response_view::min_size == 3);

  for (std::size_t n = 0; n < 3; ++n) {
    CAPTURE(n);
    CHECK_FALSE(response_view::parse(view(failed).first(n)).has_value());
  }
}

}  // TEST_SUITE
