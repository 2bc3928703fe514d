// Typed Chassis commands (NetFn 00h): status, control, restart cause, POH counter, system boot
// options (include/ipmikit/cmd/chassis.hpp): known byte layouts (what ipmitool's `chassis
// bootdev`, `chassis power …` and `chassis bootparam get` send, the sequence Ironic drives
// through it), the laws of cmd_support.hpp on generated values, each bad-input class by name,
// and compile-time use.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <span>
#include <utility>
#include <variant>

#include <ipmikit/cmd/chassis.hpp>

#include "cmd_support.hpp"

using namespace ipmikit;
using test::bytes;
using test::encode_bytes;
using test::encode_error_of;

namespace {

cmd::boot::parameter random_boot_parameter(test::random_source& rng) {
  switch (rng.below(5)) {
    case 0: return cmd::boot::set_in_progress{static_cast<cmd::set_in_progress_state>(rng.below(3))};
    case 1:
      return cmd::boot::valid_bit_clearing{rng.chance(50), rng.chance(50), rng.chance(50), rng.chance(50),
                                           rng.chance(50)};
    case 2:
      return cmd::boot::boot_info_acknowledge{static_cast<std::uint8_t>(rng.below(32)),
                                              static_cast<std::uint8_t>(rng.below(32))};
    case 3: return test::random_value<cmd::boot::boot_flags>(rng);
    default: return test::random_opaque<cmd::boot::family, cmd::boot::opaque>(rng, 128);  // 7-bit numbers
  }
}

// `chassis bootdev pxe` as ipmitool 1.8.19 sends it, whole request messages (netfn 00, cmd 08):
// param 0 = 01, param 4 = 01 01, param 5 = 80 04 00 00 00, param 0 = 02, param 0 = 00
// (shared/reference/lan.md §14.1; Ironic's ipmitool driver runs this command).
const std::array<bytes, 5> bootdev_pxe_messages{
    bytes{0x00, 0x08, 0x00, 0x01}, bytes{0x00, 0x08, 0x04, 0x01, 0x01},
    bytes{0x00, 0x08, 0x05, 0x80, 0x04, 0x00, 0x00, 0x00}, bytes{0x00, 0x08, 0x00, 0x02},
    bytes{0x00, 0x08, 0x00, 0x00}};

cmd::set_system_boot_options::request set_boot(cmd::boot::parameter p) {
  cmd::set_system_boot_options::request r;
  r.value = p;
  return r;
}

}  // namespace

TEST_SUITE("cmd") {
  TEST_CASE("cmd chassis: Get Chassis Status reads each bit where IPMI puts it") {
    const std::array<std::uint8_t, 3> three{0x21, 0x10, 0x40};
    const auto p = cmd::get_chassis_status::response::parse(three);
    REQUIRE(p);
    CHECK(p->power_on);
    CHECK_FALSE(p->power_overload);
    CHECK(p->restore_policy == cmd::power_restore_policy::previous);
    CHECK(p->last_on_via_ipmi);
    CHECK_FALSE(p->last_ac_failed);
    CHECK(p->identify_supported);
    CHECK(p->identify == cmd::identify_state::off);
    CHECK_FALSE(p->has_front_panel);
    CHECK(encode_bytes(*p) == bytes{0x21, 0x10, 0x40});

    const std::array<std::uint8_t, 4> four{0x5E, 0x0F, 0x6F, 0xA5};
    const auto q = cmd::get_chassis_status::response::parse(four);
    REQUIRE(q);
    CHECK_FALSE(q->power_on);
    CHECK(q->power_overload);
    CHECK(q->interlock);
    CHECK(q->main_power_fault);
    CHECK(q->power_control_fault);
    CHECK(q->restore_policy == cmd::power_restore_policy::always_on);
    CHECK(q->last_ac_failed);
    CHECK(q->last_power_fault);
    CHECK_FALSE(q->last_on_via_ipmi);
    CHECK(q->intrusion);
    CHECK(q->cooling_fault);
    CHECK(q->identify == cmd::identify_state::indefinite_on);
    CHECK(q->identify_supported);
    CHECK(q->has_front_panel);
    CHECK(q->front_panel == 0xA5);
    CHECK(encode_bytes(*q) == bytes{0x5E, 0x0F, 0x6F, 0xA5});
  }

  TEST_CASE("cmd chassis: ipmitool's power commands are Chassis Control 00 to 05") {
    const std::array<std::pair<cmd::chassis_action, std::uint8_t>, 6> table{{
        {cmd::chassis_action::power_down, 0x00},  // power off
        {cmd::chassis_action::power_up, 0x01},    // power on
        {cmd::chassis_action::power_cycle, 0x02},
        {cmd::chassis_action::hard_reset, 0x03},
        {cmd::chassis_action::pulse_diagnostic_interrupt, 0x04},
        {cmd::chassis_action::soft_shutdown, 0x05},
    }};
    for (const auto& [action, code] : table) {
      std::array<std::uint8_t, cmd::max_request_message_size<cmd::chassis_control>> msg{};
      const auto e = cmd::build_request<cmd::chassis_control>({action}, msg);
      REQUIRE(e);
      CHECK(bytes(msg.begin(), msg.begin() + static_cast<std::ptrdiff_t>(e.size)) == bytes{0x00, 0x02, code});
      const auto back = cmd::parse_request<cmd::chassis_control>(std::span(msg).first(e.size));
      REQUIRE(back);
      CHECK(back->action == action);
    }
    // The response carries no data.
    const std::array<std::uint8_t, 3> ok{0x04, 0x02, 0x00};
    CHECK(cmd::parse_response<cmd::chassis_control>(ok));
  }

  TEST_CASE("cmd chassis: Get System Restart Cause and Get POH Counter known layouts") {
    const std::array<std::uint8_t, 2> cause{0x07, 0x01};
    const auto c = cmd::get_system_restart_cause::response::parse(cause);
    REQUIRE(c);
    CHECK(c->cause == cmd::restart_cause::restore_previous_policy);
    CHECK(c->channel == 1);
    CHECK(encode_bytes(cmd::get_system_restart_cause::response{cmd::restart_cause::rtc_wakeup, 0x0F}) ==
          bytes{0x0B, 0x0F});

    const std::array<std::uint8_t, 5> poh{0x3C, 0x10, 0x27, 0x00, 0x00};
    const auto p = cmd::get_poh_counter::response::parse(poh);
    REQUIRE(p);
    CHECK(p->minutes_per_count == 60);
    CHECK(p->counter == 10000);
    CHECK(p->minutes() == 600000);
    CHECK(encode_bytes(cmd::get_poh_counter::response{1, 0x12345678}) == bytes{0x01, 0x78, 0x56, 0x34, 0x12});
  }

  TEST_CASE("cmd chassis: chassis bootdev pxe, the sequence Ironic drives, byte for byte") {
    cmd::boot::boot_flags pxe;
    pxe.valid = true;
    pxe.device = cmd::boot::boot_device::pxe;
    const std::array<cmd::boot::parameter, 5> sequence{
        cmd::boot::set_in_progress{cmd::set_in_progress_state::set_in_progress},
        cmd::boot::boot_info_acknowledge{cmd::boot::info_bit::bios_post, cmd::boot::info_bit::bios_post},
        pxe,
        cmd::boot::set_in_progress{cmd::set_in_progress_state::commit_write},
        cmd::boot::set_in_progress{cmd::set_in_progress_state::set_complete},
    };
    for (std::size_t i = 0; i < sequence.size(); ++i) {
      CAPTURE(i);
      std::array<std::uint8_t, cmd::max_request_message_size<cmd::set_system_boot_options>> msg{};
      const auto e = cmd::build_request<cmd::set_system_boot_options>(set_boot(sequence[i]), msg);
      REQUIRE(e);
      CHECK(bytes(msg.begin(), msg.begin() + static_cast<std::ptrdiff_t>(e.size)) == bootdev_pxe_messages[i]);
      // And the BMC side reads each back as the typed parameter.
      const auto back = cmd::parse_request<cmd::set_system_boot_options>(bootdev_pxe_messages[i]);
      REQUIRE(back);
      CHECK_FALSE(back->mark_invalid);
      CHECK(back->value == sequence[i]);
    }
    const auto flags = cmd::parse_request<cmd::set_system_boot_options>(bootdev_pxe_messages[2]);
    REQUIRE(flags);
    const auto* f = std::get_if<cmd::boot::boot_flags>(&flags->value);
    REQUIRE(f != nullptr);
    CHECK(f->valid);
    CHECK_FALSE(f->persistent);
    CHECK_FALSE(f->efi);
    CHECK(f->device == cmd::boot::boot_device::pxe);
    const auto ack = cmd::parse_request<cmd::set_system_boot_options>(bootdev_pxe_messages[1]);
    REQUIRE(ack);
    const auto* a = std::get_if<cmd::boot::boot_info_acknowledge>(&ack->value);
    REQUIRE(a != nullptr);
    CHECK(a->mask == 0x01);
    CHECK(a->data == 0x01);
  }

  TEST_CASE("cmd chassis: bootdev options persistent and efiboot set 40 and 20 in boot flags byte 1") {
    cmd::boot::boot_flags f;
    f.valid = true;
    f.persistent = true;
    f.efi = true;
    f.device = cmd::boot::boot_device::hard_disk;
    CHECK(encode_bytes(set_boot(f)) == bytes{0x05, 0xE0, 0x08, 0x00, 0x00, 0x00});
    f.persistent = false;
    CHECK(encode_bytes(set_boot(f)) == bytes{0x05, 0xA0, 0x08, 0x00, 0x00, 0x00});
    // The device selector's whole-byte values ipmitool uses (lan.md §14.1).
    const std::array<std::pair<cmd::boot::boot_device, std::uint8_t>, 8> devices{{
        {cmd::boot::boot_device::none, 0x00},
        {cmd::boot::boot_device::pxe, 0x04},
        {cmd::boot::boot_device::hard_disk, 0x08},
        {cmd::boot::boot_device::hard_disk_safe, 0x0C},
        {cmd::boot::boot_device::diagnostic, 0x10},
        {cmd::boot::boot_device::cd_dvd, 0x14},
        {cmd::boot::boot_device::bios_setup, 0x18},
        {cmd::boot::boot_device::floppy, 0x3C},
    }};
    for (const auto& [device, byte2] : devices) {
      cmd::boot::boot_flags g;
      g.valid = true;
      g.device = device;
      CHECK(encode_bytes(set_boot(g)) == bytes{0x05, 0x80, byte2, 0x00, 0x00, 0x00});
    }
    // Every other flag, one at a time, in its place.
    cmd::boot::boot_flags h;
    h.cmos_clear = true;
    h.lock_keyboard = true;
    h.screen_blank = true;
    h.lock_reset_button = true;
    h.lock_power_button = true;
    h.verbosity = cmd::boot::firmware_verbosity::verbose;
    h.force_progress_event_traps = true;
    h.user_password_bypass = true;
    h.lock_sleep_button = true;
    h.console = cmd::boot::console_redirection::enable;
    h.bios_shared_mode_override = true;
    h.mux = cmd::boot::bios_mux_control::force_to_system;
    h.device_instance = 0x15;
    CHECK(encode_bytes(set_boot(h)) == bytes{0x05, 0x00, 0xC3, 0xDE, 0x0A, 0x15});
  }

  TEST_CASE("cmd chassis: valid-bit clearing, parameter 3, and mark parameter invalid") {
    cmd::boot::valid_bit_clearing v;
    v.dont_clear_on_chassis_control = true;
    CHECK(encode_bytes(set_boot(v)) == bytes{0x03, 0x08});
    v = {true, true, true, true, true};
    CHECK(encode_bytes(set_boot(v)) == bytes{0x03, 0x1F});
    const std::array<std::uint8_t, 2> pef{0x03, 0x10};
    const auto p = cmd::set_system_boot_options::request::parse(pef);
    REQUIRE(p);
    const auto* c = std::get_if<cmd::boot::valid_bit_clearing>(&p->value);
    REQUIRE(c != nullptr);
    CHECK(c->dont_clear_on_pef);
    CHECK_FALSE(c->dont_clear_on_power_button);

    auto locked = set_boot(cmd::boot::set_in_progress{});
    locked.mark_invalid = true;
    CHECK(encode_bytes(locked) == bytes{0x80, 0x00});
    const std::array<std::uint8_t, 2> in{0x85, 0x00};  // mark param 5 invalid, too few data bytes
    CHECK(cmd::set_system_boot_options::request::parse(in).error == cmd::parse_error::too_short);
  }

  TEST_CASE("cmd chassis: chassis bootparam get 5, the request and the answer") {
    std::array<std::uint8_t, cmd::max_request_message_size<cmd::get_system_boot_options>> msg{};
    const auto e = cmd::build_request<cmd::get_system_boot_options>({5, 0, 0}, msg);
    REQUIRE(e);
    CHECK(bytes(msg.begin(), msg.begin() + static_cast<std::ptrdiff_t>(e.size)) == bytes{0x00, 0x09, 0x05, 0x00, 0x00});

    // pyghmi's answer (bmc-commands.md §2: `01 05 …`), with a BMC's response header.
    const bytes answer{0x04, 0x09, 0x00, 0x01, 0x05, 0x80, 0x14, 0x00, 0x00, 0x00};
    const auto r = cmd::parse_response<cmd::get_system_boot_options>(answer);
    REQUIRE(r);
    CHECK_FALSE(r.response->invalid);
    CHECK(cmd::boot::number(r.response->value) == 5);
    const auto* f = std::get_if<cmd::boot::boot_flags>(&r.response->value);
    REQUIRE(f != nullptr);
    CHECK(f->valid);
    CHECK(f->device == cmd::boot::boot_device::cd_dvd);

    // Parameter 0 locked, and an opaque parameter (7, the boot initiator mailbox).
    cmd::get_system_boot_options::response locked;
    locked.invalid = true;
    locked.value = cmd::boot::set_in_progress{cmd::set_in_progress_state::set_in_progress};
    CHECK(encode_bytes(locked) == bytes{0x01, 0x80, 0x01});
    const bytes mailbox{0x01, 0x07, 0x00, 0x57, 0x01, 0x00, 0xAA};
    const auto m = cmd::get_system_boot_options::response::parse(mailbox);
    REQUIRE(m);
    const auto* o = std::get_if<cmd::boot::opaque>(&m->value);
    REQUIRE(o != nullptr);
    CHECK(o->number == 7);
    CHECK(bytes(o->data.view().begin(), o->data.view().end()) == bytes{0x00, 0x57, 0x01, 0x00, 0xAA});
    CHECK(encode_bytes(*m) == mailbox);
  }

  TEST_CASE("cmd chassis: generated values obey the codec laws; arbitrary bytes parse or fail by name") {
    test::random_source rng(2801);
    for (int i = 0; i < 300; ++i) {
      test::check_codec_laws(test::random_value<cmd::get_chassis_status::response>(rng));
      test::check_codec_laws(cmd::chassis_control::request{static_cast<cmd::chassis_action>(rng.below(6))});
      test::check_codec_laws(cmd::get_system_restart_cause::response{
          static_cast<cmd::restart_cause>(rng.below(12)), rng.byte()});
      test::check_codec_laws(cmd::get_poh_counter::response{
          rng.byte(), static_cast<std::uint32_t>(rng.below(0x10000) | (rng.below(0x10000) << 16))});
      cmd::set_system_boot_options::request s;
      s.mark_invalid = rng.chance(20);
      s.value = random_boot_parameter(rng);
      test::check_codec_laws(s);
      test::check_codec_laws(cmd::get_system_boot_options::request{static_cast<std::uint8_t>(rng.below(128)),
                                                                   rng.byte(), rng.byte()});
      cmd::get_system_boot_options::response g;
      g.invalid = rng.chance(20);
      g.value = random_boot_parameter(rng);
      test::check_codec_laws(g);
    }
    test::check_codec_laws(cmd::get_chassis_status::request{});
    test::check_codec_laws(cmd::chassis_control::response{});
    test::check_parse_random<cmd::get_chassis_status::response>(rng, 2000);
    test::check_parse_random_each<cmd::chassis_control::request, cmd::get_system_restart_cause::response,
                                  cmd::get_poh_counter::response>(rng, 500);
    test::check_parse_random<cmd::set_system_boot_options::request>(rng, 3000);
    test::check_parse_random<cmd::get_system_boot_options::request>(rng, 500);
    test::check_parse_random<cmd::get_system_boot_options::response>(rng, 3000);
    // Random bytes rarely hit the typed parameters: feed them those numbers on purpose.
    for (int i = 0; i < 2000; ++i) {
      bytes b = rng.random_bytes(rng.below(8));
      if (!b.empty()) b[0] = static_cast<std::uint8_t>(std::array<int, 4>{0, 3, 4, 5}[rng.below(4)] |
                                                       (rng.chance(20) ? 0x80 : 0));
      test::check_parse_any<cmd::set_system_boot_options::request>(b);
      bytes r{0x01};
      r.insert(r.end(), b.begin(), b.end());
      test::check_parse_any<cmd::get_system_boot_options::response>(r);
    }
  }

  TEST_CASE("cmd chassis: truncated input is too_short") {
    const bytes two{0x21, 0x10};
    CHECK(cmd::get_chassis_status::response::parse(two).error == cmd::parse_error::too_short);
    CHECK(cmd::chassis_control::request::parse({}).error == cmd::parse_error::too_short);
    CHECK(cmd::get_system_restart_cause::response::parse(std::span(two).first(1)).error ==
          cmd::parse_error::too_short);
    const bytes poh{0x01, 0x02, 0x03, 0x04};
    CHECK(cmd::get_poh_counter::response::parse(poh).error == cmd::parse_error::too_short);
    const bytes flags4{0x05, 0x80, 0x04, 0x00, 0x00};  // boot flags need 5 data bytes
    CHECK(cmd::set_system_boot_options::request::parse(flags4).error == cmd::parse_error::too_short);
    const bytes ack1{0x04, 0x01};  // boot info acknowledge needs mask and data
    CHECK(cmd::set_system_boot_options::request::parse(ack1).error == cmd::parse_error::too_short);
    CHECK(cmd::set_system_boot_options::request::parse({}).error == cmd::parse_error::too_short);
    CHECK(cmd::get_system_boot_options::request::parse(std::span(flags4).first(2)).error ==
          cmd::parse_error::too_short);
    const bytes version_only{0x01};
    CHECK(cmd::get_system_boot_options::response::parse(version_only).error == cmd::parse_error::too_short);
    const bytes flags_short{0x01, 0x05, 0x80};
    CHECK(cmd::get_system_boot_options::response::parse(flags_short).error == cmd::parse_error::too_short);
  }

  TEST_CASE("cmd chassis: oversized input is too_long") {
    const bytes five{0x21, 0x10, 0x40, 0x00, 0x00};
    CHECK(cmd::get_chassis_status::response::parse(five).error == cmd::parse_error::too_long);
    const bytes control{0x01, 0x00};
    CHECK(cmd::chassis_control::request::parse(control).error == cmd::parse_error::too_long);
    const bytes flags6{0x05, 0x80, 0x04, 0x00, 0x00, 0x00, 0x00};
    CHECK(cmd::set_system_boot_options::request::parse(flags6).error == cmd::parse_error::too_long);
    const bytes progress2{0x00, 0x01, 0x00};
    CHECK(cmd::set_system_boot_options::request::parse(progress2).error == cmd::parse_error::too_long);
    bytes opaque(1 + cmd::boot::opaque::capacity + 1, 0x00);  // param 1, one byte over the capacity
    opaque[0] = 0x01;
    CHECK(cmd::set_system_boot_options::request::parse(opaque).error == cmd::parse_error::too_long);
    opaque.pop_back();
    CHECK(cmd::set_system_boot_options::request::parse(opaque));
    const bytes get4{0x05, 0x00, 0x00, 0x00};
    CHECK(cmd::get_system_boot_options::request::parse(get4).error == cmd::parse_error::too_long);
    const bytes locked{0x01, 0x80, 0x01, 0x00};
    CHECK(cmd::get_system_boot_options::response::parse(locked).error == cmd::parse_error::too_long);
    CHECK(cmd::get_chassis_status::request::parse(control).error == cmd::parse_error::too_long);
  }

  TEST_CASE("cmd chassis: reserved values are reserved_value") {
    auto set = [](bytes b) { return cmd::set_system_boot_options::request::parse(b).error; };
    const bytes status_b1{0xA1, 0x10, 0x40};  // byte 1 b7
    CHECK(cmd::get_chassis_status::response::parse(status_b1).error == cmd::parse_error::reserved_value);
    const bytes status_b2{0x21, 0x20, 0x40};  // byte 2 b5
    CHECK(cmd::get_chassis_status::response::parse(status_b2).error == cmd::parse_error::reserved_value);
    const bytes identify3{0x21, 0x10, 0x70};  // identify state 11b
    CHECK(cmd::get_chassis_status::response::parse(identify3).error == cmd::parse_error::reserved_value);
    const bytes control6{0x06};
    CHECK(cmd::chassis_control::request::parse(control6).error == cmd::parse_error::reserved_value);
    const bytes control_hi{0x11};
    CHECK(cmd::chassis_control::request::parse(control_hi).error == cmd::parse_error::reserved_value);
    const bytes cause_c{0x0C, 0x00};
    CHECK(cmd::get_system_restart_cause::response::parse(cause_c).error == cmd::parse_error::reserved_value);
    CHECK(set({0x00, 0x03}) == cmd::parse_error::reserved_value);        // set in progress 11b
    CHECK(set({0x00, 0x05}) == cmd::parse_error::reserved_value);        // [7:2] of parameter 0
    CHECK(set({0x03, 0x20}) == cmd::parse_error::reserved_value);        // valid-bit clearing b5
    CHECK(set({0x04, 0x20, 0x00}) == cmd::parse_error::reserved_value);  // acknowledge mask b5
    CHECK(set({0x04, 0x01, 0x80}) == cmd::parse_error::reserved_value);  // acknowledge data b7
    CHECK(set({0x05, 0x81, 0x04, 0x00, 0x00, 0x00}) == cmd::parse_error::reserved_value);  // flags byte 1 b0
    CHECK(set({0x05, 0x80, 0x28, 0x00, 0x00, 0x00}) == cmd::parse_error::reserved_value);  // device Ah
    CHECK(set({0x05, 0x80, 0x38, 0x00, 0x00, 0x00}) == cmd::parse_error::reserved_value);  // device Eh
    CHECK(set({0x05, 0x80, 0x04, 0x60, 0x00, 0x00}) == cmd::parse_error::reserved_value);  // verbosity 11b
    CHECK(set({0x05, 0x80, 0x04, 0x03, 0x00, 0x00}) == cmd::parse_error::reserved_value);  // console 11b
    CHECK(set({0x05, 0x80, 0x04, 0x00, 0x03, 0x00}) == cmd::parse_error::reserved_value);  // mux 011b
    CHECK(set({0x05, 0x80, 0x04, 0x00, 0x10, 0x00}) == cmd::parse_error::reserved_value);  // byte 4 b4
    CHECK(set({0x05, 0x80, 0x04, 0x00, 0x00, 0x20}) == cmd::parse_error::reserved_value);  // byte 5 b5
    const bytes get_b7{0x85, 0x00, 0x00};
    CHECK(cmd::get_system_boot_options::request::parse(get_b7).error == cmd::parse_error::reserved_value);
    const bytes version_hi{0x11, 0x00, 0x00};
    CHECK(cmd::get_system_boot_options::response::parse(version_hi).error == cmd::parse_error::reserved_value);
  }

  TEST_CASE("cmd chassis: values outside the defined range are out_of_range, in parse and encode") {
    const bytes version2{0x02, 0x00, 0x00};  // parameter version other than 01h
    CHECK(cmd::get_system_boot_options::response::parse(version2).error == cmd::parse_error::out_of_range);

    CHECK(encode_error_of(cmd::chassis_control::request{static_cast<cmd::chassis_action>(6)}) ==
          cmd::encode_error::out_of_range);
    CHECK(encode_error_of(cmd::get_system_restart_cause::response{static_cast<cmd::restart_cause>(12), 0}) ==
          cmd::encode_error::out_of_range);
    cmd::get_chassis_status::response st;
    st.identify = static_cast<cmd::identify_state>(3);
    CHECK(encode_error_of(st) == cmd::encode_error::out_of_range);
    st.identify = cmd::identify_state::off;
    st.restore_policy = static_cast<cmd::power_restore_policy>(4);
    CHECK(encode_error_of(st) == cmd::encode_error::out_of_range);

    cmd::boot::boot_flags f;
    f.device = static_cast<cmd::boot::boot_device>(0xA);
    CHECK(encode_error_of(set_boot(f)) == cmd::encode_error::out_of_range);
    f.device = cmd::boot::boot_device::pxe;
    f.device_instance = 0x20;
    CHECK(encode_error_of(set_boot(f)) == cmd::encode_error::out_of_range);
    f.device_instance = 0;
    f.mux = static_cast<cmd::boot::bios_mux_control>(3);
    CHECK(encode_error_of(set_boot(f)) == cmd::encode_error::out_of_range);
    CHECK(encode_error_of(set_boot(cmd::boot::set_in_progress{static_cast<cmd::set_in_progress_state>(3)})) ==
          cmd::encode_error::out_of_range);
    CHECK(encode_error_of(set_boot(cmd::boot::boot_info_acknowledge{0x20, 0x00})) == cmd::encode_error::out_of_range);

    cmd::boot::opaque o;
    o.number = 5;  // a typed parameter's number: it would parse back as boot flags
    CHECK(encode_error_of(set_boot(o)) == cmd::encode_error::out_of_range);
    o.number = 0x80;  // the selector has 7 bits
    CHECK(encode_error_of(set_boot(o)) == cmd::encode_error::out_of_range);
    o.number = 0x60;
    o.data.size = cmd::boot::opaque::capacity + 1;
    CHECK(encode_error_of(set_boot(o)) == cmd::encode_error::out_of_range);
    const std::array<std::uint8_t, 33> too_many{};
    CHECK_FALSE(o.data.assign(too_many));
    CHECK(encode_error_of(cmd::get_system_boot_options::request{0x80, 0, 0}) == cmd::encode_error::out_of_range);
  }

  TEST_CASE("cmd chassis: opaque parameter bytes compare only the bytes in use") {
    cmd::parameter_bytes<4> a;
    cmd::parameter_bytes<4> b;
    const std::array<std::uint8_t, 2> two{1, 2};
    CHECK(a.assign(two));
    CHECK(b.assign(two));
    b.bytes[3] = 0x99;  // past size: not part of the value
    CHECK(a == b);
    b.bytes[1] = 0x98;
    CHECK_FALSE(a == b);
    b.bytes[1] = 2;
    b.size = 1;
    CHECK_FALSE(a == b);
  }

  TEST_CASE("cmd chassis: boot options encode and parse at compile time") {
    test::check_at_compile_time([] {
      cmd::boot::boot_flags f;
      f.valid = true;
      f.efi = true;
      f.device = cmd::boot::boot_device::pxe;
      cmd::set_system_boot_options::request rq;
      rq.value = cmd::boot::parameter{f};  // clang 14 with libstdc++ 12 cannot assign a T to a variant in constant evaluation
      const auto t = test::round_trip(rq);
      return t.same && t.size == 6 && t.bytes[0] == 0x05 && t.bytes[1] == 0xA0 && t.bytes[2] == 0x04;
    });
    constexpr auto status = [] {
      const std::array<std::uint8_t, 3> in{0x21, 0x10, 0x40};
      const auto p = cmd::get_chassis_status::response::parse(in);
      return p && p->power_on && p->restore_policy == cmd::power_restore_policy::previous;
    };
    static_assert(status());
  }
}
