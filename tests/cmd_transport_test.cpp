// Typed Transport commands (NetFn 0Ch): LAN and SOL configuration parameters
// (include/ipmikit/cmd/transport.hpp): what `ipmitool lan print` and `sol info` send and the
// typed values of the answers, the laws of cmd_support.hpp on generated values, each bad-input
// class by name, and compile-time use.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <span>
#include <utility>
#include <variant>

#include <ipmikit/cmd/transport.hpp>

#include "cmd_support.hpp"

using namespace ipmikit;
using test::bytes;
using test::encode_bytes;
using test::encode_error_of;
using test::random_array;

namespace {

std::uint8_t auth_bits(test::random_source& rng) {
  return static_cast<std::uint8_t>(rng.byte() & ~cmd::lan::auth_type_bit::reserved);
}

cmd::lan::parameter random_lan_parameter(test::random_source& rng) {
  namespace lan = cmd::lan;
  switch (rng.below(22)) {
    case 0: return lan::set_in_progress{static_cast<cmd::set_in_progress_state>(rng.below(3))};
    case 1: return lan::auth_type_support{auth_bits(rng)};
    case 2: return lan::auth_type_enables{auth_bits(rng), auth_bits(rng), auth_bits(rng), auth_bits(rng), auth_bits(rng)};
    case 3: return lan::ip_address{random_array<4>(rng)};
    case 4: return lan::ip_address_source{static_cast<lan::ip_source>(rng.below(5))};
    case 5: return lan::mac_address{random_array<6>(rng)};
    case 6: return lan::subnet_mask{random_array<4>(rng)};
    case 7:
      return lan::ipv4_header_parameters{rng.byte(), static_cast<std::uint8_t>(rng.below(8)),
                                         static_cast<std::uint8_t>(rng.below(8)), static_cast<std::uint8_t>(rng.below(16))};
    case 8: return lan::arp_control{rng.chance(50), rng.chance(50)};
    case 9: return lan::gratuitous_arp_interval{rng.byte()};
    case 10: return lan::default_gateway_ip{random_array<4>(rng)};
    case 11: return lan::default_gateway_mac{random_array<6>(rng)};
    case 12: return lan::backup_gateway_ip{random_array<4>(rng)};
    case 13: return lan::backup_gateway_mac{random_array<6>(rng)};
    case 14: return lan::community_string{random_array<18>(rng)};
    case 15: return lan::vlan_id{rng.chance(50), static_cast<std::uint16_t>(rng.below(0x1000))};
    case 16: return lan::vlan_priority{static_cast<std::uint8_t>(rng.below(8))};
    case 17: return lan::cipher_suite_entry_count{static_cast<std::uint8_t>(rng.below(17))};
    case 18: {
      lan::cipher_suite_entries e;
      e.ids.assign(rng.random_bytes(rng.below(17)));
      return e;
    }
    case 19: {
      lan::cipher_suite_privileges p;
      for (auto& x : p.max_privilege) x = static_cast<lan::cipher_privilege>(rng.below(6));
      return p;
    }
    case 20:
      return lan::bad_password_threshold{rng.chance(50), rng.byte(), static_cast<std::uint16_t>(rng.below(0x10000)),
                                         static_cast<std::uint16_t>(rng.below(0x10000))};
    default: return test::random_opaque<lan::family, lan::opaque>(rng);
  }
}

constexpr std::array<cmd::sol::bit_rate, 6> all_bit_rates{cmd::sol::bit_rate::serial_setting, cmd::sol::bit_rate::bps_9600,
                                                          cmd::sol::bit_rate::bps_19200,      cmd::sol::bit_rate::bps_38400,
                                                          cmd::sol::bit_rate::bps_57600,      cmd::sol::bit_rate::bps_115200};

cmd::sol::parameter random_sol_parameter(test::random_source& rng) {
  namespace sol = cmd::sol;
  switch (rng.below(10)) {
    case 0: return sol::set_in_progress{static_cast<cmd::set_in_progress_state>(rng.below(3))};
    case 1: return sol::enable{rng.chance(50)};
    case 2:
      return sol::authentication{rng.chance(50), rng.chance(50), static_cast<sol::privilege>(rng.between(1, 5))};
    case 3: return sol::character_accumulate{rng.byte(), rng.byte()};
    case 4: return sol::retry{static_cast<std::uint8_t>(rng.below(8)), rng.byte()};
    case 5: return sol::non_volatile_bit_rate{all_bit_rates[rng.below(all_bit_rates.size())]};
    case 6: return sol::volatile_bit_rate{all_bit_rates[rng.below(all_bit_rates.size())]};
    case 7: return sol::payload_channel{rng.byte()};
    case 8: return sol::payload_port{static_cast<std::uint16_t>(rng.below(0x10000))};
    default: return test::random_opaque<sol::family, sol::opaque>(rng);
  }
}

/// A Get LAN / SOL Configuration Parameters response parsed from `data` (REQUIREd to parse).
template <class Response>
Response parsed_answer(const bytes& data) {
  const auto p = Response::parse(data);
  REQUIRE(p);
  return *p;
}
constexpr auto* lan_answer = &parsed_answer<cmd::get_lan_configuration_parameters::response>;
constexpr auto* sol_answer = &parsed_answer<cmd::get_sol_configuration_parameters::response>;

/// Each (parameter, answer bytes): the answer has revision 11h and a typed value of that
/// parameter (number() gives it back), and the BMC side, that value written into a response,
/// gives the same bytes.
template <class Response, std::size_t N, class Number>
void check_typed_answers(const std::array<std::pair<std::uint8_t, bytes>, N>& answers, Number number) {
  for (const auto& entry : answers) {
    const std::uint8_t p = entry.first;
    const bytes& data = entry.second;
    CAPTURE(int{p});
    const auto rs = parsed_answer<Response>(data);
    CHECK(rs.revision == cmd::configuration_parameter_revision);
    const auto v = rs.value(p);
    REQUIRE_MESSAGE(v, cmd::name(v.error));
    CHECK(number(*v) == p);
    Response back;
    REQUIRE(back.set_value(*v) == cmd::encode_error::ok);
    CHECK(encode_bytes(back) == data);
  }
}

// The parameters `ipmitool lan print` reads, in its order (bmc-commands.md §7).
constexpr std::array<std::uint8_t, 21> lan_print_order{0, 1, 2, 4, 3, 6, 5, 16, 7, 10, 11,
                                                       12, 13, 14, 15, 20, 21, 22, 23, 24, 26};

}  // namespace

TEST_SUITE("cmd") {
  TEST_CASE("cmd transport: the requests ipmitool lan print 1 sends, each for a typed parameter") {
    for (std::uint8_t p : lan_print_order) {
      CAPTURE(int{p});
      cmd::get_lan_configuration_parameters::request rq;
      rq.channel = 1;
      rq.parameter = p;
      std::array<std::uint8_t, cmd::max_request_message_size<cmd::get_lan_configuration_parameters>> msg{};
      const auto e = cmd::build_request<cmd::get_lan_configuration_parameters>(rq, msg);
      REQUIRE(e);
      CHECK(bytes(msg.begin(), msg.begin() + static_cast<std::ptrdiff_t>(e.size)) == bytes{0x30, 0x02, 0x01, p, 0x00, 0x00});
      CHECK(cmd::lan::family::is_typed(p));
    }
    CHECK_FALSE(cmd::lan::family::is_typed(8));
    CHECK_FALSE(cmd::lan::family::is_typed(25));
  }

  TEST_CASE("cmd transport: lan print's answers read as typed values and write back the same bytes") {
    namespace lan = cmd::lan;
    // (parameter, data after the completion code) as a BMC on 192.168.1.100 might answer.
    const std::array<std::pair<std::uint8_t, bytes>, 21> answers{{
        {0, {0x11, 0x00}},
        {1, {0x11, 0x15}},
        {2, {0x11, 0x14, 0x14, 0x14, 0x14, 0x00}},
        {3, {0x11, 0xC0, 0xA8, 0x01, 0x64}},
        {4, {0x11, 0x02}},
        {5, {0x11, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56}},
        {6, {0x11, 0xFF, 0xFF, 0xFF, 0x00}},
        {7, {0x11, 0x40, 0x40, 0x10}},
        {10, {0x11, 0x02}},
        {11, {0x11, 0x04}},
        {12, {0x11, 0xC0, 0xA8, 0x01, 0x01}},
        {13, {0x11, 0x52, 0x54, 0x00, 0xAA, 0xBB, 0xCC}},
        {14, {0x11, 0x00, 0x00, 0x00, 0x00}},
        {15, {0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}},
        {16, {0x11, 'p', 'u', 'b', 'l', 'i', 'c', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
        {20, {0x11, 0x0A, 0x80}},
        {21, {0x11, 0x03}},
        {22, {0x11, 0x02}},
        {23, {0x11, 0x00, 0x03, 0x11}},
        {24, {0x11, 0x00, 0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}},
        {26, {0x11, 0x01, 0x03, 0x06, 0x00, 0x3C, 0x00}},
    }};
    check_typed_answers<cmd::get_lan_configuration_parameters::response>(answers,
                                                                         [](const auto& v) { return lan::number(v); });
    auto value = [&](std::size_t i) { return *lan_answer(answers[i].second).value(answers[i].first); };
    CHECK(std::get<lan::set_in_progress>(value(0)).state == cmd::set_in_progress_state::set_complete);
    CHECK(std::get<lan::auth_type_support>(value(1)).types ==
          (lan::auth_type_bit::none | lan::auth_type_bit::md5 | lan::auth_type_bit::straight_password));
    CHECK(std::get<lan::auth_type_enables>(value(2)).administrator == 0x14);
    CHECK(std::get<lan::auth_type_enables>(value(2)).oem == 0x00);
    CHECK(std::get<lan::ip_address>(value(3)).address == std::array<std::uint8_t, 4>{192, 168, 1, 100});
    CHECK(std::get<lan::ip_address_source>(value(4)).source == lan::ip_source::dhcp);
    CHECK(std::get<lan::mac_address>(value(5)).address[5] == 0x56);
    CHECK(std::get<lan::subnet_mask>(value(6)).address == std::array<std::uint8_t, 4>{255, 255, 255, 0});
    const auto hdr = std::get<lan::ipv4_header_parameters>(value(7));
    CHECK(hdr.time_to_live == 0x40);
    CHECK(hdr.flags == 2);
    CHECK(hdr.precedence == 0);
    CHECK(hdr.type_of_service == 8);
    CHECK(hdr == lan::ipv4_header_parameters{});  // the defaults
    CHECK(std::get<lan::arp_control>(value(8)).gratuitous_arps);
    CHECK_FALSE(std::get<lan::arp_control>(value(8)).arp_responses);
    CHECK(std::get<lan::gratuitous_arp_interval>(value(9)).interval == 4);
    CHECK(std::get<lan::default_gateway_ip>(value(10)).address[3] == 1);
    CHECK(std::get<lan::default_gateway_mac>(value(11)).address[3] == 0xAA);
    CHECK(std::get<lan::community_string>(value(14)).text[0] == 'p');
    const auto vlan = std::get<lan::vlan_id>(value(15));
    CHECK(vlan.enabled);
    CHECK(vlan.id == 10);
    CHECK(std::get<lan::vlan_priority>(value(16)).priority == 3);
    CHECK(std::get<lan::cipher_suite_entry_count>(value(17)).count == 2);
    const auto entries = std::get<lan::cipher_suite_entries>(value(18));  // view() points into it
    const auto ids = entries.ids.view();
    CHECK(bytes(ids.begin(), ids.end()) == bytes{0x03, 0x11});
    const auto privs = std::get<lan::cipher_suite_privileges>(value(19)).max_privilege;
    CHECK(privs[0] == lan::cipher_privilege::administrator);
    CHECK(privs[1] == lan::cipher_privilege::administrator);
    CHECK(privs[2] == lan::cipher_privilege::unused);
    const auto bad = std::get<lan::bad_password_threshold>(value(20));
    CHECK(bad.generate_event);
    CHECK(bad.threshold == 3);
    CHECK(bad.reset_interval == 6);
    CHECK(bad.lockout_interval == 60);
  }

  TEST_CASE("cmd transport: Set LAN Configuration Parameters known layouts") {
    cmd::set_lan_configuration_parameters::request rq;
    rq.channel = 1;
    rq.value = cmd::lan::ip_address{{192, 168, 1, 100}};
    std::array<std::uint8_t, cmd::max_request_message_size<cmd::set_lan_configuration_parameters>> msg{};
    const auto e = cmd::build_request<cmd::set_lan_configuration_parameters>(rq, msg);
    REQUIRE(e);
    CHECK(bytes(msg.begin(), msg.begin() + static_cast<std::ptrdiff_t>(e.size)) ==
          bytes{0x30, 0x01, 0x01, 0x03, 0xC0, 0xA8, 0x01, 0x64});
    rq.value = cmd::lan::ip_address_source{cmd::lan::ip_source::static_address};
    CHECK(encode_bytes(rq) == bytes{0x01, 0x04, 0x01});
    rq.value = cmd::lan::vlan_id{true, 0x123};
    CHECK(encode_bytes(rq) == bytes{0x01, 0x14, 0x23, 0x81});
    rq.value = cmd::lan::set_in_progress{cmd::set_in_progress_state::set_in_progress};
    CHECK(encode_bytes(rq) == bytes{0x01, 0x00, 0x01});
    // An opaque parameter: 8, the primary RMCP port.
    cmd::lan::opaque port;
    port.number = 8;
    const std::array<std::uint8_t, 2> p623{0x6F, 0x02};
    REQUIRE(port.data.assign(p623));
    rq.value = port;
    CHECK(encode_bytes(rq) == bytes{0x01, 0x08, 0x6F, 0x02});
    const bytes in{0x01, 0x08, 0x6F, 0x02};
    const auto back = cmd::set_lan_configuration_parameters::request::parse(in);
    REQUIRE(back);
    CHECK(back->value == cmd::lan::parameter{port});
  }

  TEST_CASE("cmd transport: revision only asks for, and gets, the revision byte alone") {
    cmd::get_lan_configuration_parameters::request rq;
    rq.revision_only = true;
    rq.channel = 1;
    rq.parameter = 3;
    CHECK(encode_bytes(rq) == bytes{0x81, 0x03, 0x00, 0x00});
    const bytes in{0x81, 0x03, 0x00, 0x00};
    const auto p = cmd::get_lan_configuration_parameters::request::parse(in);
    REQUIRE(p);
    CHECK(p->revision_only);
    CHECK(p->channel == 1);
    const auto rs = lan_answer({0x11});
    CHECK(rs.data.size == 0);
    CHECK(rs.value(3).error == cmd::parse_error::too_short);
  }

  TEST_CASE("cmd transport: sol info's requests and answers, parameters 0 to 8") {
    namespace sol = cmd::sol;
    for (std::uint8_t p = 0; p <= 8; ++p) {
      std::array<std::uint8_t, cmd::max_request_message_size<cmd::get_sol_configuration_parameters>> msg{};
      const auto e = cmd::build_request<cmd::get_sol_configuration_parameters>({false, 1, p, 0, 0}, msg);
      REQUIRE(e);
      CHECK(bytes(msg.begin(), msg.begin() + static_cast<std::ptrdiff_t>(e.size)) == bytes{0x30, 0x22, 0x01, p, 0x00, 0x00});
      CHECK(sol::family::is_typed(p));
    }
    const std::array<std::pair<std::uint8_t, bytes>, 9> answers{{
        {0, {0x11, 0x00}},
        {1, {0x11, 0x01}},
        {2, {0x11, 0xC4}},
        {3, {0x11, 0x0C, 0x60}},
        {4, {0x11, 0x07, 0x32}},
        {5, {0x11, 0x0A}},
        {6, {0x11, 0x06}},
        {7, {0x11, 0x01}},
        {8, {0x11, 0x6F, 0x02}},
    }};
    check_typed_answers<cmd::get_sol_configuration_parameters::response>(answers,
                                                                         [](const auto& v) { return sol::number(v); });
    auto value = [&](std::size_t i) { return *sol_answer(answers[i].second).value(answers[i].first); };
    CHECK(std::get<sol::enable>(value(1)).enabled);
    const auto auth = std::get<sol::authentication>(value(2));
    CHECK(auth.force_encryption);
    CHECK(auth.force_authentication);
    CHECK(auth.min_privilege == sol::privilege::administrator);
    CHECK(std::get<sol::character_accumulate>(value(3)).interval == 0x0C);
    CHECK(std::get<sol::character_accumulate>(value(3)).threshold == 0x60);
    CHECK(std::get<sol::retry>(value(4)).count == 7);
    CHECK(std::get<sol::retry>(value(4)).interval == 0x32);
    CHECK(std::get<sol::non_volatile_bit_rate>(value(5)).rate == sol::bit_rate::bps_115200);
    CHECK(std::get<sol::volatile_bit_rate>(value(6)).rate == sol::bit_rate::bps_9600);
    CHECK(std::get<sol::payload_channel>(value(7)).channel == 1);
    CHECK(std::get<sol::payload_port>(value(8)).port == 623);

    cmd::set_sol_configuration_parameters::request set;
    set.channel = 1;
    set.value = sol::enable{true};
    CHECK(encode_bytes(set) == bytes{0x01, 0x01, 0x01});
    set.value = sol::volatile_bit_rate{sol::bit_rate::bps_115200};
    CHECK(encode_bytes(set) == bytes{0x01, 0x06, 0x0A});
  }

  TEST_CASE("cmd transport: generated values obey the codec laws; arbitrary bytes parse or fail by name") {
    test::random_source rng(2301);
    for (int i = 0; i < 400; ++i) {
      cmd::set_lan_configuration_parameters::request lan_set;
      lan_set.channel = static_cast<std::uint8_t>(rng.below(16));
      lan_set.value = random_lan_parameter(rng);
      test::check_codec_laws(lan_set);
      cmd::set_sol_configuration_parameters::request sol_set;
      sol_set.channel = static_cast<std::uint8_t>(rng.below(16));
      sol_set.value = random_sol_parameter(rng);
      test::check_codec_laws(sol_set);
      test::check_codec_laws(cmd::get_lan_configuration_parameters::request{
          rng.chance(30), static_cast<std::uint8_t>(rng.below(16)), rng.byte(), rng.byte(), rng.byte()});
      cmd::get_lan_configuration_parameters::response lan_rs;
      lan_rs.revision = rng.chance(80) ? cmd::configuration_parameter_revision : rng.byte();
      REQUIRE(lan_rs.set_value(random_lan_parameter(rng)) == cmd::encode_error::ok);
      test::check_codec_laws(lan_rs);
      cmd::get_sol_configuration_parameters::response sol_rs;
      REQUIRE(sol_rs.set_value(random_sol_parameter(rng)) == cmd::encode_error::ok);
      test::check_codec_laws(sol_rs);
    }
    test::check_codec_laws(cmd::set_lan_configuration_parameters::response{});
    test::check_parse_random_each<cmd::set_lan_configuration_parameters::request,
                                  cmd::set_sol_configuration_parameters::request>(rng, 3000);
    test::check_parse_random_each<cmd::get_lan_configuration_parameters::request,
                                  cmd::get_sol_configuration_parameters::request>(rng, 500);
    test::check_parse_random_each<cmd::get_lan_configuration_parameters::response,
                                  cmd::get_sol_configuration_parameters::response>(rng, 1000);
    // Random bytes rarely carry a typed parameter's exact length: aim at those numbers.
    for (int i = 0; i < 4000; ++i) {
      bytes b = rng.random_bytes(rng.between(2, 22));
      b[0] = static_cast<std::uint8_t>(rng.below(16));
      b[1] = static_cast<std::uint8_t>(rng.below(27));
      test::check_parse_any<cmd::set_lan_configuration_parameters::request>(b);
      test::check_parse_any<cmd::set_sol_configuration_parameters::request>(b);
      // And a Get response's data read as that parameter: an error, or a value that writes back.
      bytes answer(b.size() - 1);  // revision, then b's data bytes (a loop: g++ 12 -O2 misreads insert())
      answer[0] = cmd::configuration_parameter_revision;
      for (std::size_t k = 2; k < b.size(); ++k) answer[k - 1] = b[k];
      const auto rs = lan_answer(answer);
      const auto v = rs.value(b[1]);
      if (v) {
        cmd::get_lan_configuration_parameters::response back;
        back.revision = rs.revision;
        REQUIRE(back.set_value(*v) == cmd::encode_error::ok);
        CHECK(back == rs);
      }
    }
  }

  TEST_CASE("cmd transport: truncated input is too_short") {
    auto lan_set = [](bytes b) { return cmd::set_lan_configuration_parameters::request::parse(b).error; };
    auto sol_set = [](bytes b) { return cmd::set_sol_configuration_parameters::request::parse(b).error; };
    CHECK(lan_set({0x01}) == cmd::parse_error::too_short);
    CHECK(lan_set({0x01, 0x03, 0xC0, 0xA8, 0x01}) == cmd::parse_error::too_short);  // 3 of 4 address bytes
    CHECK(lan_set({0x01, 0x10, 'p', 'u', 'b'}) == cmd::parse_error::too_short);     // community is 18 bytes
    CHECK(lan_set({0x01, 0x18, 0x00, 0x44}) == cmd::parse_error::too_short);        // privileges are 9 bytes
    CHECK(lan_set({0x01, 0x14, 0x0A}) == cmd::parse_error::too_short);              // VLAN ID is 2 bytes
    CHECK(sol_set({0x01, 0x03, 0x0C}) == cmd::parse_error::too_short);
    CHECK(sol_set({0x01, 0x08, 0x6F}) == cmd::parse_error::too_short);
    const bytes three{0x01, 0x03, 0x00};
    CHECK(cmd::get_lan_configuration_parameters::request::parse(three).error == cmd::parse_error::too_short);
    CHECK(cmd::get_lan_configuration_parameters::response::parse({}).error == cmd::parse_error::too_short);
    CHECK(lan_answer({0x11, 0x00, 0x00}).value(26).error == cmd::parse_error::too_short);
  }

  TEST_CASE("cmd transport: oversized input is too_long") {
    auto lan_set = [](bytes b) { return cmd::set_lan_configuration_parameters::request::parse(b).error; };
    auto sol_set = [](bytes b) { return cmd::set_sol_configuration_parameters::request::parse(b).error; };
    CHECK(lan_set({0x01, 0x03, 0xC0, 0xA8, 0x01, 0x64, 0x00}) == cmd::parse_error::too_long);
    CHECK(lan_set({0x01, 0x00, 0x00, 0x00}) == cmd::parse_error::too_long);
    bytes ids{0x01, 23, 0x00};
    for (int i = 0; i < 16; ++i) ids.push_back(static_cast<std::uint8_t>(i));
    CHECK(lan_set(ids) == cmd::parse_error::ok);
    ids.push_back(0x11);  // a 17th cipher suite ID
    CHECK(lan_set(ids) == cmd::parse_error::too_long);
    bytes opaque(2 + cmd::lan::opaque::capacity + 1, 0x00);
    opaque[0] = 0x01;
    opaque[1] = 0xC0;  // OEM parameter, one byte over the capacity
    CHECK(lan_set(opaque) == cmd::parse_error::too_long);
    CHECK(sol_set({0x01, 0x01, 0x01, 0x00}) == cmd::parse_error::too_long);
    CHECK(sol_set({0x01, 0x08, 0x6F, 0x02, 0x00}) == cmd::parse_error::too_long);
    const bytes five{0x01, 0x03, 0x00, 0x00, 0x00};
    CHECK(cmd::get_sol_configuration_parameters::request::parse(five).error == cmd::parse_error::too_long);
    bytes big(1 + cmd::lan::max_data_size + 1, 0x00);
    big[0] = 0x11;
    CHECK(cmd::get_lan_configuration_parameters::response::parse(big).error == cmd::parse_error::too_long);
    CHECK(lan_answer({0x11, 0x02, 0x00}).value(4).error == cmd::parse_error::too_long);
  }

  TEST_CASE("cmd transport: reserved values are reserved_value") {
    auto lan_set = [](bytes b) { return cmd::set_lan_configuration_parameters::request::parse(b).error; };
    auto sol_set = [](bytes b) { return cmd::set_sol_configuration_parameters::request::parse(b).error; };
    CHECK(lan_set({0x11, 0x04, 0x01}) == cmd::parse_error::reserved_value);  // channel byte [7:4]
    CHECK(lan_set({0x01, 0x00, 0x03}) == cmd::parse_error::reserved_value);  // set in progress 11b
    CHECK(lan_set({0x01, 0x01, 0x08}) == cmd::parse_error::reserved_value);  // auth type b3
    CHECK(lan_set({0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x40}) == cmd::parse_error::reserved_value);
    CHECK(lan_set({0x01, 0x04, 0x05}) == cmd::parse_error::reserved_value);  // IP source 5
    CHECK(lan_set({0x01, 0x04, 0x12}) == cmd::parse_error::reserved_value);  // IP source [7:4]
    CHECK(lan_set({0x01, 0x07, 0x40, 0x41, 0x10}) == cmd::parse_error::reserved_value);
    CHECK(lan_set({0x01, 0x07, 0x40, 0x40, 0x11}) == cmd::parse_error::reserved_value);
    CHECK(lan_set({0x01, 0x0A, 0x04}) == cmd::parse_error::reserved_value);
    CHECK(lan_set({0x01, 0x14, 0x0A, 0x90}) == cmd::parse_error::reserved_value);  // VLAN [14:12]
    CHECK(lan_set({0x01, 0x15, 0x08}) == cmd::parse_error::reserved_value);
    CHECK(lan_set({0x01, 0x16, 0x22}) == cmd::parse_error::reserved_value);
    CHECK(lan_set({0x01, 0x17, 0x01, 0x03}) == cmd::parse_error::reserved_value);  // param 23's first byte
    CHECK(lan_set({0x01, 0x18, 0x00, 0x46, 0, 0, 0, 0, 0, 0, 0}) == cmd::parse_error::reserved_value);  // privilege 6
    CHECK(lan_set({0x01, 0x18, 0x01, 0x44, 0, 0, 0, 0, 0, 0, 0}) == cmd::parse_error::reserved_value);
    CHECK(lan_set({0x01, 0x1A, 0x02, 0x03, 0, 0, 0, 0}) == cmd::parse_error::reserved_value);
    CHECK(sol_set({0x01, 0x01, 0x02}) == cmd::parse_error::reserved_value);
    CHECK(sol_set({0x01, 0x02, 0x14}) == cmd::parse_error::reserved_value);  // [5:4]
    CHECK(sol_set({0x01, 0x02, 0x00}) == cmd::parse_error::reserved_value);  // privilege 0
    CHECK(sol_set({0x01, 0x02, 0x06}) == cmd::parse_error::reserved_value);  // privilege 6
    CHECK(sol_set({0x01, 0x04, 0x08, 0x00}) == cmd::parse_error::reserved_value);
    CHECK(sol_set({0x01, 0x05, 0x05}) == cmd::parse_error::reserved_value);  // bit rate 5
    CHECK(sol_set({0x01, 0x06, 0x0B}) == cmd::parse_error::reserved_value);  // bit rate B
    CHECK(sol_set({0x01, 0x06, 0x1A}) == cmd::parse_error::reserved_value);  // bit rate [7:4]
    const bytes get_reserved{0x41, 0x03, 0x00, 0x00};
    CHECK(cmd::get_lan_configuration_parameters::request::parse(get_reserved).error == cmd::parse_error::reserved_value);
  }

  TEST_CASE("cmd transport: values outside the defined range are out_of_range, in parse and encode") {
    const bytes count17{0x01, 0x16, 0x11};  // 17 cipher suites
    CHECK(cmd::set_lan_configuration_parameters::request::parse(count17).error == cmd::parse_error::out_of_range);

    cmd::set_lan_configuration_parameters::request rq;
    rq.channel = 16;
    CHECK(encode_error_of(rq) == cmd::encode_error::out_of_range);
    rq.channel = 1;
    rq.value = cmd::lan::vlan_id{true, 0x1000};
    CHECK(encode_error_of(rq) == cmd::encode_error::out_of_range);
    rq.value = cmd::lan::vlan_priority{8};
    CHECK(encode_error_of(rq) == cmd::encode_error::out_of_range);
    rq.value = cmd::lan::cipher_suite_entry_count{17};
    CHECK(encode_error_of(rq) == cmd::encode_error::out_of_range);
    rq.value = cmd::lan::ip_address_source{static_cast<cmd::lan::ip_source>(5)};
    CHECK(encode_error_of(rq) == cmd::encode_error::out_of_range);
    rq.value = cmd::lan::ipv4_header_parameters{0x40, 8, 0, 0};
    CHECK(encode_error_of(rq) == cmd::encode_error::out_of_range);
    rq.value = cmd::lan::auth_type_support{0x08};
    CHECK(encode_error_of(rq) == cmd::encode_error::out_of_range);
    cmd::lan::cipher_suite_privileges privs;
    privs.max_privilege[15] = static_cast<cmd::lan::cipher_privilege>(6);
    rq.value = privs;
    CHECK(encode_error_of(rq) == cmd::encode_error::out_of_range);
    cmd::lan::opaque o;
    o.number = 3;  // the IP address's number: would parse back typed
    rq.value = o;
    CHECK(encode_error_of(rq) == cmd::encode_error::out_of_range);

    cmd::set_sol_configuration_parameters::request srq;
    srq.value = cmd::sol::retry{8, 0};
    CHECK(encode_error_of(srq) == cmd::encode_error::out_of_range);
    srq.value = cmd::sol::authentication{false, false, static_cast<cmd::sol::privilege>(0)};
    CHECK(encode_error_of(srq) == cmd::encode_error::out_of_range);
    srq.value = cmd::sol::volatile_bit_rate{static_cast<cmd::sol::bit_rate>(3)};
    CHECK(encode_error_of(srq) == cmd::encode_error::out_of_range);
    CHECK(encode_error_of(cmd::get_sol_configuration_parameters::request{false, 0x10, 0, 0, 0}) ==
          cmd::encode_error::out_of_range);

    cmd::get_lan_configuration_parameters::response rs;
    CHECK(rs.set_value(cmd::lan::vlan_priority{9}) == cmd::encode_error::out_of_range);
    CHECK(rs.data.size == 0);
  }

  TEST_CASE("cmd transport: encode and parse run at compile time") {
    test::check_at_compile_time([] {
      cmd::set_lan_configuration_parameters::request rq;
      rq.channel = 1;
      rq.value = cmd::lan::parameter{cmd::lan::vlan_id{true, 100}};
      const auto t = test::round_trip(rq);
      return t.same && t.size == 4 && t.bytes[1] == 20 && t.bytes[2] == 100 && t.bytes[3] == 0x80;
    });
    constexpr auto sol_port = [] {
      const std::array<std::uint8_t, 3> in{0x11, 0x6F, 0x02};
      const auto rs = cmd::get_sol_configuration_parameters::response::parse(in);
      const auto v = rs->value(8);
      const auto* port = std::get_if<cmd::sol::payload_port>(&v.value);
      return rs && v && port != nullptr && port->port == 623;
    };
    static_assert(sol_port());
  }
}
