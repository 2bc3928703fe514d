// The BMC core's chassis component (include/ipmikit/bmc/chassis.hpp): ipmitool's `chassis bootdev
// pxe` and `chassis bootparam get 5` byte for byte through a dispatcher, power status and chassis
// status, Chassis Control as requests the owner drains, the restart cause, the POH counter, the
// boot flags valid bit's clearing, every refusal by name, save/load, and a chassis at compile time.
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <span>

#include <ipmikit/bmc/chassis.hpp>
#include <ipmikit/bmc/dispatcher.hpp>
#include <ipmikit/bmc/watchdog.hpp>
#include <ipmikit/cmd/chassis.hpp>

#include "bmc_support.hpp"
#include "test_support.hpp"

using namespace ipmikit;
using namespace ipmikit::test::bmc_names;

namespace {

using chassis_t = bmc::basic_chassis<test_clock>;
using action = cmd::chassis_action;
using cause = cmd::restart_cause;

constexpr tp t0 = tp{} + 1h;

/// A BMC whose Context holds the chassis (and a watchdog) and says what time it is.
struct my_bmc {
  chassis_t chassis;
  bmc::basic_watchdog<test_clock> watchdog;
  tp clock = t0;
  [[nodiscard]] constexpr tp now() const { return clock; }
};

using ch_dispatcher = bmc::dispatcher<my_bmc, 16>;

constexpr bmc::origin lan_operator{bmc::privilege::operator_, 1};
constexpr bmc::origin lan_user{bmc::privilege::user, 1};


ch_dispatcher make_dispatcher() {
  ch_dispatcher d;
  REQUIRE(bmc::add_chassis_commands<&my_bmc::chassis>(d) == bmc::add_error::ok);
  REQUIRE(bmc::add_watchdog_commands<&my_bmc::watchdog>(d) == bmc::add_error::ok);
  return d;
}

/// ipmitool's `chassis bootdev pxe` (lan.md §14.1): five Set System Boot Options requests.
void bootdev(ch_dispatcher& d, my_bmc& b, std::uint8_t byte1 = 0x80, std::uint8_t device = 0x04,
             bmc::origin from = lan_operator) {
  CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x00, 0x01}, from) == bytes{0x04, 0x08, 0x00});              // param 0 = set in progress
  CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x04, 0x01, 0x01}, from) == bytes{0x04, 0x08, 0x00});        // param 4 = mask 01, data 01
  CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x05, byte1, device, 0x00, 0x00, 0x00}, from) == bytes{0x04, 0x08, 0x00});  // param 5
  CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x00, 0x02}, from) == bytes{0x04, 0x08, 0x00});              // param 0 = commit write
  CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x00, 0x00}, from) == bytes{0x04, 0x08, 0x00});              // param 0 = set complete
}

constexpr cmd::set_system_boot_options::request set_flags(bool valid, bool persistent,
                                                          cmd::boot::boot_device dev = cmd::boot::boot_device::pxe) {
  cmd::boot::boot_flags f;
  f.valid = valid;
  f.persistent = persistent;
  f.device = dev;
  cmd::set_system_boot_options::request r;
  r.value = cmd::boot::parameter{f};  // whole variants: clang 14 + libstdc++ 12 in constant evaluation
  return r;
}

constexpr cmd::set_system_boot_options::request set_clearing(std::uint8_t bits) {
  cmd::set_system_boot_options::request r;
  r.value = cmd::boot::parameter{cmd::boot::valid_bit_clearing{(bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0,
                                                               (bits & 8) != 0, (bits & 16) != 0}};
  return r;
}

}  // namespace

TEST_SUITE("bmc") {
  // --- boot options: Ironic's sequence -------------------------------------------------------

  TEST_CASE("bmc chassis: ipmitool's chassis bootdev pxe succeeds byte for byte and bootparam get 5 then reads PXE") {
    auto d = make_dispatcher();
    my_bmc b;
    bootdev(d, b);
    b.clock = t0 + 5s;
    // `chassis bootparam get 5`: 09 05 00 00 -> version 01, parameter 05, 80 04 00 00 00.
    CHECK(dispatch_bytes(d, b, {0x00, 0x09, 0x05, 0x00, 0x00}, lan_operator) ==
          bytes{0x04, 0x09, 0x00, 0x01, 0x05, 0x80, 0x04, 0x00, 0x00, 0x00});
    CHECK(b.chassis.boot_flags().device == cmd::boot::boot_device::pxe);
    // Parameter 0 is back to set complete, parameter 4 holds the BIOS/POST bit ipmitool wrote.
    CHECK(dispatch_bytes(d, b, {0x00, 0x09, 0x00, 0x00, 0x00}) == bytes{0x04, 0x09, 0x00, 0x01, 0x00, 0x00});
    CHECK(dispatch_bytes(d, b, {0x00, 0x09, 0x04, 0x00, 0x00}) == bytes{0x04, 0x09, 0x00, 0x01, 0x04, 0x00, 0x01});
    // The same again (a second Ironic run) succeeds too: set in progress was released.
    bootdev(d, b, 0x80, 0x08);
    CHECK(dispatch_bytes(d, b, {0x00, 0x09, 0x05, 0x00, 0x00}) == bytes{0x04, 0x09, 0x00, 0x01, 0x05, 0x80, 0x08, 0x00, 0x00, 0x00});
  }

  TEST_CASE("bmc chassis: bootdev with options=persistent,efiboot reads back E0 and survives the next boot") {
    auto d = make_dispatcher();
    my_bmc b;
    bootdev(d, b, 0xE0, 0x04);
    const auto used = b.chassis.power_changed(true, cause::chassis_control, t0 + 1s);
    REQUIRE(used.has_value());
    CHECK(used->efi);
    CHECK(used->persistent);
    CHECK(used->device == cmd::boot::boot_device::pxe);
    b.clock = t0 + 1h;  // no 60 s timeout for persistent flags
    CHECK(dispatch_bytes(d, b, {0x00, 0x09, 0x05, 0x00, 0x00}) == bytes{0x04, 0x09, 0x00, 0x01, 0x05, 0xE0, 0x04, 0x00, 0x00, 0x00});
    CHECK(b.chassis.power_changed(true, cause::power_button, t0 + 2h).has_value());
    CHECK(b.chassis.boot_flags().valid);
  }

  // --- power status, chassis status, control --------------------------------------------------

  TEST_CASE("bmc chassis: chassis power status and chassis status follow the power the owner reports") {
    auto d = make_dispatcher();
    my_bmc b;
    // Off, restore policy unknown (11b in [6:5]), no last power event, nothing else.
    CHECK(dispatch_bytes(d, b, {0x00, 0x01}, lan_user) == bytes{0x04, 0x01, 0x00, 0x60, 0x00, 0x00});
    b.chassis.power_changed(true, cause::power_button, t0);
    CHECK(dispatch_bytes(d, b, {0x00, 0x01}, lan_user) == bytes{0x04, 0x01, 0x00, 0x61, 0x00, 0x00});
    CHECK(b.chassis.set_restore_policy(cmd::power_restore_policy::always_on));
    CHECK(dispatch_bytes(d, b, {0x00, 0x01}) == bytes{0x04, 0x01, 0x00, 0x41, 0x00, 0x00});
    // `chassis power off`: answered, queued; the power stays on until the owner reports it.
    CHECK(dispatch_bytes(d, b, {0x00, 0x02, 0x00}, lan_operator) == bytes{0x04, 0x02, 0x00});
    CHECK(b.chassis.power_on());
    CHECK(b.chassis.pending_requests() == 1);
    const auto rq = b.chassis.take_request();
    REQUIRE(rq.has_value());
    CHECK(rq->action == action::power_down);
    CHECK(rq->channel == 1);
    CHECK(rq->at == t0);
    CHECK_FALSE(b.chassis.take_request().has_value());
    b.chassis.power_changed(false, cause::chassis_control, t0 + 1s);
    CHECK(dispatch_bytes(d, b, {0x00, 0x01}) == bytes{0x04, 0x01, 0x00, 0x40, 0x00, 0x00});
    // `chassis power on`, carried out: last power on via IPMI command (byte 2 b4).
    CHECK(dispatch_bytes(d, b, {0x00, 0x02, 0x01}, lan_operator) == bytes{0x04, 0x02, 0x00});
    CHECK(b.chassis.take_request()->action == action::power_up);
    b.chassis.power_changed(true, cause::chassis_control, t0 + 2s);
    CHECK(dispatch_bytes(d, b, {0x00, 0x01}) == bytes{0x04, 0x01, 0x00, 0x41, 0x10, 0x00});
  }

  TEST_CASE("bmc chassis: Chassis Control queues every action in order, and a full queue answers C0") {
    chassis_t ch;
    const action all[] = {action::power_down, action::power_up, action::power_cycle, action::hard_reset};
    for (const action a : all) CHECK(ch.control(a, t0) == completion_code::success);
    CHECK(ch.control(action::soft_shutdown, t0) == completion_code::node_busy);
    CHECK(ch.pending_requests() == bmc::chassis_queue_capacity);
    for (const action a : all) CHECK(ch.take_request()->action == a);
    CHECK(ch.control(action::pulse_diagnostic_interrupt, t0) == completion_code::success);
    CHECK(ch.control(action::soft_shutdown, t0) == completion_code::success);
    CHECK(ch.take_request()->action == action::pulse_diagnostic_interrupt);
    CHECK(ch.take_request()->action == action::soft_shutdown);
    CHECK(ch.pending_requests() == 0);
  }

  // --- restart cause ------------------------------------------------------------------------

  TEST_CASE("bmc chassis: chassis restart_cause after a Chassis Control reset names the command and its channel") {
    auto d = make_dispatcher();
    my_bmc b;
    CHECK(dispatch_bytes(d, b, {0x00, 0x07}, lan_user) == bytes{0x04, 0x07, 0x00, 0x00, 0x00});  // unknown before any boot
    b.chassis.power_changed(true, cause::power_button, t0);
    CHECK(dispatch_bytes(d, b, {0x00, 0x07}, lan_user) == bytes{0x04, 0x07, 0x00, 0x03, 0x00});
    CHECK(dispatch_bytes(d, b, {0x00, 0x02, 0x03}, lan_operator) == bytes{0x04, 0x02, 0x00});  // `chassis power reset`
    REQUIRE(b.chassis.take_request()->action == action::hard_reset);
    b.chassis.power_changed(true, cause::chassis_control, t0 + 1s);  // a reset: on, and on again
    CHECK(dispatch_bytes(d, b, {0x00, 0x07}, lan_user) == bytes{0x04, 0x07, 0x00, 0x01, 0x01});  // chassis control, channel 1
  }

  TEST_CASE("bmc chassis: chassis restart_cause after a watchdog hard reset reads watchdog") {
    auto d = make_dispatcher();
    my_bmc b;
    b.chassis.power_changed(true, cause::power_button, t0);
    // SMS/OS, hard reset, 1.0 s; reset; the expiry's action is the owner's: a reset, reported back.
    CHECK(dispatch_bytes(d, b, {0x18, 0x24, 0x04, 0x01, 0x00, 0x00, 0x0A, 0x00}) == bytes{0x1C, 0x24, 0x00});
    CHECK(dispatch_bytes(d, b, {0x18, 0x22}) == bytes{0x1C, 0x22, 0x00});
    int resets = 0;
    b.watchdog.poll(t0 + 1s, [&](const auto& e) {
      if constexpr (std::is_same_v<std::decay_t<decltype(e)>, bmc::basic_watchdog<test_clock>::expiry_event>) {
        if (e.action == cmd::watchdog_timeout_action::hard_reset) {
          ++resets;
          b.chassis.power_changed(true, cause::watchdog, e.due);
        }
      }
    });
    CHECK(resets == 1);
    CHECK(dispatch_bytes(d, b, {0x00, 0x07}) == bytes{0x04, 0x07, 0x00, 0x04, 0x00});
    CHECK(b.chassis.power_on());
    CHECK(dispatch_bytes(d, b, {0x00, 0x01}) == bytes{0x04, 0x01, 0x00, 0x61, 0x00, 0x00});
  }

  // --- POH ------------------------------------------------------------------------------------

  TEST_CASE("bmc chassis: chassis poh counts the minutes powered on, one minute per count, and stops while off") {
    auto d = make_dispatcher();
    my_bmc b;
    b.clock = t0 + 10min;
    CHECK(dispatch_bytes(d, b, {0x00, 0x0F}, lan_user) == bytes{0x04, 0x0F, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00});
    b.chassis.power_changed(true, cause::power_button, t0);
    b.clock = t0 + 90min + 59s;
    CHECK(dispatch_bytes(d, b, {0x00, 0x0F}, lan_user) == bytes{0x04, 0x0F, 0x00, 0x01, 90, 0x00, 0x00, 0x00});
    b.chassis.power_changed(false, cause::unknown, t0 + 100min + 30s);
    b.clock = t0 + 1000min;  // off: nothing more
    CHECK(dispatch_bytes(d, b, {0x00, 0x0F}) == bytes{0x04, 0x0F, 0x00, 0x01, 100, 0x00, 0x00, 0x00});
    b.chassis.power_changed(true, cause::power_button, t0 + 1000min);
    b.clock = t0 + 1000min + 300min + 30s;  // 100.5 + 300.5 = 401 minutes
    CHECK(dispatch_bytes(d, b, {0x00, 0x0F}) == bytes{0x04, 0x0F, 0x00, 0x01, 0x91, 0x01, 0x00, 0x00});
    // A reset while on does not restart the count; a clock that goes back counts nothing.
    b.chassis.power_changed(true, cause::chassis_control, t0 + 1300min + 30s);
    CHECK(b.chassis.poh(t0 + 1310min + 30s).counter == 411);
    CHECK(b.chassis.poh(t0).counter == 100);
    CHECK(b.chassis.poh(t0).minutes() == 100);
  }

  // --- the valid bit ---------------------------------------------------------------------------

  TEST_CASE("bmc chassis: the valid bit clears 60 s after the flags were set, and a Chassis Control restarts the "
            "countdown") {
    auto d = make_dispatcher();
    my_bmc b;
    bootdev(d, b);  // at t0
    CHECK(b.chassis.next_deadline() == t0 + 60s);
    CHECK_FALSE(b.chassis.poll(t0 + 59s));
    CHECK(b.chassis.boot_flags().valid);
    CHECK(b.chassis.boot_flags_at(t0 + 59s).valid);
    const auto later = b.chassis.boot_flags_at(t0 + 60s);  // read as Get would, nothing changed
    CHECK_FALSE(later.valid);
    CHECK(later.device == cmd::boot::boot_device::pxe);
    CHECK(b.chassis.boot_flags().valid);
    CHECK(b.chassis.next_deadline() == t0 + 60s);
    b.clock = t0 + 60s;  // Get sees the timeout without a poll
    CHECK(dispatch_bytes(d, b, {0x00, 0x09, 0x05, 0x00, 0x00}) == bytes{0x04, 0x09, 0x00, 0x01, 0x05, 0x00, 0x04, 0x00, 0x00, 0x00});
    CHECK_FALSE(b.chassis.next_deadline().has_value());
    CHECK_FALSE(b.chassis.poll(t0 + 61s));

    bootdev(d, b);  // again, at t0 + 60 s
    b.clock = t0 + 110s;
    CHECK(dispatch_bytes(d, b, {0x00, 0x02, 0x02}, lan_operator) == bytes{0x04, 0x02, 0x00});  // `chassis power cycle`
    CHECK(b.chassis.next_deadline() == t0 + 170s);
    CHECK_FALSE(b.chassis.poll(t0 + 169s));
    CHECK(b.chassis.poll(t0 + 170s));
    CHECK_FALSE(b.chassis.boot_flags().valid);
    CHECK(b.chassis.boot_flags().device == cmd::boot::boot_device::pxe);  // only the valid bit goes
  }

  TEST_CASE("bmc chassis: the next boot uses and clears non-persistent flags; persistent ones stay valid") {
    chassis_t ch;
    REQUIRE(ch.set_boot_option(set_flags(true, false), t0) == completion_code::success);
    const auto used = ch.power_changed(true, cause::chassis_control, t0 + 10s);
    REQUIRE(used.has_value());
    CHECK(used->device == cmd::boot::boot_device::pxe);
    CHECK_FALSE(ch.boot_flags().valid);
    CHECK_FALSE(ch.next_deadline().has_value());
    CHECK_FALSE(ch.power_changed(true, cause::chassis_control, t0 + 20s).has_value());  // the one after: none

    REQUIRE(ch.set_boot_option(set_flags(true, true), t0 + 30s) == completion_code::success);
    CHECK_FALSE(ch.next_deadline().has_value());
    for (int i = 0; i < 3; ++i) CHECK(ch.power_changed(true, cause::reset_button, t0 + 40s + i * 1min).has_value());
    CHECK(ch.boot_flags().valid);
    // A power off is no boot: nothing used, nothing cleared.
    REQUIRE(ch.set_boot_option(set_flags(true, false), t0 + 5min) == completion_code::success);
    CHECK_FALSE(ch.power_changed(false, cause::unknown, t0 + 5min + 1s).has_value());
    CHECK(ch.boot_flags().valid);
  }

  TEST_CASE("bmc chassis: parameter 3 keeps the valid bit at a boot of its cause and bit 3 disables the 60 s "
            "timeout") {
    chassis_t ch;
    REQUIRE(ch.set_boot_option(set_clearing(0x08), t0) == completion_code::success);  // b3: no timeout
    REQUIRE(ch.set_boot_option(set_flags(true, false), t0) == completion_code::success);
    CHECK_FALSE(ch.next_deadline().has_value());
    CHECK_FALSE(ch.poll(t0 + 1h));
    CHECK(ch.boot_flags().valid);
    // b2: a watchdog boot keeps the bit; a power button boot (b0 clear) clears it.
    REQUIRE(ch.set_boot_option(set_clearing(0x0C), t0 + 1h) == completion_code::success);
    CHECK(ch.power_changed(true, cause::watchdog, t0 + 1h).has_value());
    CHECK(ch.boot_flags().valid);
    CHECK(ch.power_changed(true, cause::power_button, t0 + 1h).has_value());
    CHECK_FALSE(ch.boot_flags().valid);
    // Each bit against its causes.
    struct row {
      std::uint8_t bit;
      cause c;
    };
    for (const row r : {row{0x01, cause::power_button}, row{0x01, cause::rtc_wakeup}, row{0x02, cause::reset_button},
                        row{0x02, cause::soft_reset}, row{0x04, cause::watchdog}, row{0x10, cause::pef_reset},
                        row{0x10, cause::pef_power_cycle}}) {
      INFO("bit ", static_cast<unsigned>(r.bit), " cause ", static_cast<unsigned>(r.c));
      chassis_t c;
      REQUIRE(c.set_boot_option(set_clearing(r.bit), t0) == completion_code::success);
      REQUIRE(c.set_boot_option(set_flags(true, false), t0) == completion_code::success);
      CHECK(c.power_changed(true, r.c, t0 + 1s).has_value());
      CHECK(c.boot_flags().valid);
      CHECK(c.power_changed(true, cause::chassis_control, t0 + 2s).has_value());  // no bit keeps it for this
      CHECK_FALSE(c.boot_flags().valid);
    }
    // Without bit 3, the 60 s timeout applies again, from when the flags were set.
    chassis_t c;
    REQUIRE(c.set_boot_option(set_clearing(0x08), t0) == completion_code::success);
    REQUIRE(c.set_boot_option(set_flags(true, false), t0) == completion_code::success);
    REQUIRE(c.set_boot_option(set_clearing(0x00), t0 + 2min) == completion_code::success);
    CHECK(c.next_deadline() == t0 + 60s);
    CHECK(c.poll(t0 + 2min));
    CHECK_FALSE(c.boot_flags().valid);
  }

  // --- refusals by name -------------------------------------------------------------------------

  TEST_CASE("bmc chassis: every refusal by name — 80 unsupported, 81 set in progress, 82 read-only, CC reserved, "
            "C7 length, D5 not possible, D4 privilege") {
    auto d = make_dispatcher();
    my_bmc b;
    // 0x80: parameter 7 (the mailbox is not kept), 8, OEM 96, both Set and Get.
    CHECK(bmc::boot_parameter_not_supported == static_cast<completion_code>(0x80));
    CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x07, 0x00, 0x01, 0x02}) == bytes{0x04, 0x08, 0x80});
    CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x08}) == bytes{0x04, 0x08, 0x80});
    CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x60, 0x00}) == bytes{0x04, 0x08, 0x80});
    CHECK(dispatch_bytes(d, b, {0x00, 0x09, 0x07, 0x00, 0x00}) == bytes{0x04, 0x09, 0x80});
    CHECK(dispatch_bytes(d, b, {0x00, 0x09, 0x7F, 0x00, 0x00}) == bytes{0x04, 0x09, 0x80});
    // 0x81: set in progress while in progress; a Set of another parameter meanwhile is fine.
    CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x00, 0x01}) == bytes{0x04, 0x08, 0x00});
    CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x00, 0x01}, lan_operator) == bytes{0x04, 0x08, 0x81});
    CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x05, 0x80, 0x08, 0x00, 0x00, 0x00}, lan_operator) == bytes{0x04, 0x08, 0x00});
    CHECK(dispatch_bytes(d, b, {0x00, 0x09, 0x00, 0x00, 0x00}) == bytes{0x04, 0x09, 0x00, 0x01, 0x00, 0x01});
    CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x00, 0x00}) == bytes{0x04, 0x08, 0x00});
    // 0x82: parameters 1 and 2 read 00 and cannot be written.
    CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x01, 0x00}) == bytes{0x04, 0x08, 0x82});
    CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x02, 0x01}) == bytes{0x04, 0x08, 0x82});
    CHECK(dispatch_bytes(d, b, {0x00, 0x09, 0x01, 0x00, 0x00}) == bytes{0x04, 0x09, 0x00, 0x01, 0x01, 0x00});
    CHECK(dispatch_bytes(d, b, {0x00, 0x09, 0x02, 0x00, 0x00}) == bytes{0x04, 0x09, 0x00, 0x01, 0x02, 0x00});
    // 0xCC: reserved values and bits, and nothing changes.
    CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x00, 0x03}) == bytes{0x04, 0x08, 0xCC});                            // param 0 = 11b
    CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x05, 0x80, 0x28, 0x00, 0x00, 0x00}) == bytes{0x04, 0x08, 0xCC});    // device Ah
    CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x05, 0x81, 0x04, 0x00, 0x00, 0x00}) == bytes{0x04, 0x08, 0xCC});    // byte 1 b0
    CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x03, 0x20}) == bytes{0x04, 0x08, 0xCC});                            // param 3 b5
    CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x04, 0x20, 0x00}) == bytes{0x04, 0x08, 0xCC});                      // param 4 b5
    CHECK(dispatch_bytes(d, b, {0x00, 0x02, 0x06}, lan_operator) == bytes{0x04, 0x02, 0xCC});                    // action 6
    CHECK(dispatch_bytes(d, b, {0x00, 0x09, 0x85, 0x00, 0x00}) == bytes{0x04, 0x09, 0xCC});                      // Get b7
    CHECK(b.chassis.boot_flags().device == cmd::boot::boot_device::hard_disk);
    CHECK(b.chassis.pending_requests() == 0);
    // 0xC7: wrong lengths.
    CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x05, 0x80, 0x04, 0x00, 0x00}) == bytes{0x04, 0x08, 0xC7});
    CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x06, 0x01, 0x02}) == bytes{0x04, 0x08, 0xC7});  // param 6 is 9 bytes
    CHECK(dispatch_bytes(d, b, {0x00, 0x02}) == bytes{0x04, 0x02, 0xC7});
    CHECK(dispatch_bytes(d, b, {0x00, 0x09, 0x05}) == bytes{0x04, 0x09, 0xC7});
    // 0xD5: a power cycle the VM cannot do is refused and not queued; the others still work.
    bmc::chassis_support s;
    s.power_cycle = false;
    s.diagnostic_interrupt = false;
    b.chassis.set_support(s);
    CHECK(dispatch_bytes(d, b, {0x00, 0x02, 0x02}, lan_operator) == bytes{0x04, 0x02, 0xD5});
    CHECK(dispatch_bytes(d, b, {0x00, 0x02, 0x04}, lan_operator) == bytes{0x04, 0x02, 0xD5});
    CHECK(b.chassis.pending_requests() == 0);
    CHECK(dispatch_bytes(d, b, {0x00, 0x02, 0x03}, lan_operator) == bytes{0x04, 0x02, 0x00});
    CHECK(b.chassis.pending_requests() == 1);
    // 0xD4: Chassis Control and the boot options need operator; status, cause and POH user.
    CHECK(dispatch_bytes(d, b, {0x00, 0x02, 0x01}, lan_user) == bytes{0x04, 0x02, 0xD4});
    CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x00, 0x00}, lan_user) == bytes{0x04, 0x08, 0xD4});
    CHECK(dispatch_bytes(d, b, {0x00, 0x09, 0x05, 0x00, 0x00}, lan_user) == bytes{0x04, 0x09, 0xD4});
    CHECK(dispatch_bytes(d, b, {0x00, 0x01}, {bmc::privilege::callback, 1}) == bytes{0x04, 0x01, 0xD4});
    CHECK(dispatch_bytes(d, b, {0x00, 0x07}, lan_user)[2] == 0x00);
    CHECK(dispatch_bytes(d, b, {0x00, 0x0F}, lan_user)[2] == 0x00);
  }

  TEST_CASE("bmc chassis: parameter 6 and the mark-invalid bit read back; parameter 4 applies its write mask") {
    auto d = make_dispatcher();
    my_bmc b;
    CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x06, 0x01, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88}) ==
          bytes{0x04, 0x08, 0x00});
    CHECK(dispatch_bytes(d, b, {0x00, 0x09, 0x06, 0x00, 0x00}) ==
          bytes{0x04, 0x09, 0x00, 0x01, 0x06, 0x01, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88});
    CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x04, 0x1F, 0x15}) == bytes{0x04, 0x08, 0x00});
    CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x04, 0x03, 0x02}) == bytes{0x04, 0x08, 0x00});  // b0 -> 0, b1 -> 1
    CHECK(dispatch_bytes(d, b, {0x00, 0x09, 0x04, 0x00, 0x00}) == bytes{0x04, 0x09, 0x00, 0x01, 0x04, 0x00, 0x16});
    CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x83, 0x01}) == bytes{0x04, 0x08, 0x00});  // param 3, marked invalid
    CHECK(dispatch_bytes(d, b, {0x00, 0x09, 0x03, 0x00, 0x00}) == bytes{0x04, 0x09, 0x00, 0x01, 0x83, 0x01});
    CHECK(dispatch_bytes(d, b, {0x00, 0x08, 0x03, 0x01}) == bytes{0x04, 0x08, 0x00});
    CHECK(dispatch_bytes(d, b, {0x00, 0x09, 0x03, 0x00, 0x00}) == bytes{0x04, 0x09, 0x00, 0x01, 0x03, 0x01});
  }

  TEST_CASE("bmc chassis: add_chassis_commands registers all six or none, with Appendix G's privileges") {
    ch_dispatcher d;
    bmc::dispatcher<my_bmc, 8> small;
    REQUIRE(bmc::add_watchdog_commands<&my_bmc::watchdog>(small) == bmc::add_error::ok);  // 3 of 8 places
    test::check_all_or_none(d, small, [](auto& x) { return bmc::add_chassis_commands<&my_bmc::chassis>(x); }, 6);
    CHECK(small.entries().size() == 3);
    using p = bmc::privilege;
    test::check_registered(d, {{netfn::chassis, 0x01, p::user}, {netfn::chassis, 0x02, p::operator_},
                               {netfn::chassis, 0x07, p::user}, {netfn::chassis, 0x08, p::operator_},
                               {netfn::chassis, 0x09, p::operator_}, {netfn::chassis, 0x0F, p::user}});
  }

  // --- durable state ----------------------------------------------------------------------------

  TEST_CASE("bmc chassis: save and load round trip the persistent flags, the policy and the POH; generation "
            "follows every durable change") {
    chassis_t a;
    const auto g0 = a.generation();
    REQUIRE(a.set_boot_option(set_flags(true, true, cmd::boot::boot_device::cd_dvd), t0) == completion_code::success);
    CHECK(a.generation() != g0);
    auto g = a.generation();
    CHECK(a.set_restore_policy(cmd::power_restore_policy::previous));
    CHECK(a.generation() != g);
    g = a.generation();
    CHECK(a.set_restore_policy(cmd::power_restore_policy::previous));
    CHECK(a.generation() == g);  // no change, no new generation
    REQUIRE(a.set_boot_option(set_clearing(0x05), t0) == completion_code::success);
    a.power_changed(true, cause::power_button, t0);
    g = a.generation();
    CHECK(a.control(action::power_down, t0 + 1s) == completion_code::success);  // volatile: no change
    CHECK(a.generation() == g);
    a.power_changed(false, cause::chassis_control, t0 + 7min);
    CHECK(a.generation() != g);  // the POH of a finished period is durable

    std::array<std::uint8_t, chassis_t::max_saved_size> buf{};
    REQUIRE(a.save(buf) == chassis_t::max_saved_size);
    CHECK(bytes(buf.begin(), buf.end()) == bytes{0x01, 0x01, 0xC0, 0x14, 0x00, 0x00, 0x00, 0x05, 0x00, 0, 0, 0, 0,
                                                 0,    0,    0,    0,    0,    0xA4, 0x01, 0x00, 0x00});
    chassis_t b;
    const auto gb = b.generation();
    CHECK(b.load(buf) == bmc::chassis_load_error::ok);
    CHECK(b.generation() != gb);
    CHECK(b.boot_flags() == a.boot_flags());
    CHECK(b.restore_policy() == cmd::power_restore_policy::previous);
    CHECK(b.valid_bit_clearing() == a.valid_bit_clearing());
    CHECK(b.poh(t0).counter == 7);
    CHECK_FALSE(b.power_on());  // the power state is the owner's to tell
    std::array<std::uint8_t, chassis_t::max_saved_size> again{};
    REQUIRE(b.save(again) == chassis_t::max_saved_size);
    CHECK(again == buf);
    std::array<std::uint8_t, chassis_t::max_saved_size - 1> small{};
    CHECK(a.save(small) == 0);
  }

  TEST_CASE("bmc chassis: non-persistent valid flags load with the valid bit clear") {
    chassis_t a;
    REQUIRE(a.set_boot_option(set_flags(true, false), t0) == completion_code::success);
    std::array<std::uint8_t, chassis_t::max_saved_size> buf{};
    REQUIRE(a.save(buf) == buf.size());
    CHECK(buf[2] == 0x80);
    chassis_t b;
    REQUIRE(b.load(buf) == bmc::chassis_load_error::ok);
    CHECK_FALSE(b.boot_flags().valid);
    CHECK(b.boot_flags().device == cmd::boot::boot_device::pxe);
  }

  TEST_CASE("bmc chassis: each load error by name, and the chassis unchanged after a failed load") {
    chassis_t a;
    REQUIRE(a.set_boot_option(set_flags(true, true, cmd::boot::boot_device::hard_disk), t0) == completion_code::success);
    REQUIRE(a.set_restore_policy(cmd::power_restore_policy::always_on));
    std::array<std::uint8_t, chassis_t::max_saved_size> good{};
    REQUIRE(a.save(good) == good.size());

    chassis_t target;
    REQUIRE(target.set_boot_option(set_flags(true, true, cmd::boot::boot_device::bios_setup), t0) ==
            completion_code::success);
    REQUIRE(target.set_restore_policy(cmd::power_restore_policy::always_off));
    std::array<std::uint8_t, chassis_t::max_saved_size> before{};
    REQUIRE(target.save(before) == before.size());
    const auto gen = target.generation();

    struct row {
      std::size_t at;  // the byte to change (or the size to cut to / grow to)
      std::uint8_t value;
      bmc::chassis_load_error want;
    };
    const row rows[] = {
        {0, 0x02, bmc::chassis_load_error::unknown_version},
        {0, 0x00, bmc::chassis_load_error::unknown_version},
        {1, 0x04, bmc::chassis_load_error::bad_restore_policy},
        {2, 0xC1, bmc::chassis_load_error::bad_boot_flags},    // byte 1 reserved bit
        {3, 0x28, bmc::chassis_load_error::bad_boot_flags},    // device Ah
        {4, 0x60, bmc::chassis_load_error::bad_boot_flags},    // verbosity 11b
        {5, 0x03, bmc::chassis_load_error::bad_boot_flags},    // mux 011b
        {6, 0x20, bmc::chassis_load_error::bad_boot_flags},    // byte 5 reserved
        {7, 0x20, bmc::chassis_load_error::bad_valid_bit_clearing},
        {8, 0x80, bmc::chassis_load_error::bad_boot_info_acknowledge},
    };
    for (const row& r : rows) {
      INFO("byte ", r.at, " = ", static_cast<unsigned>(r.value));
      auto bad = good;
      bad[r.at] = r.value;
      CHECK(target.load(bad) == r.want);
      CHECK(bmc::name(r.want) != "");
    }
    CHECK(target.load(std::span<const std::uint8_t>{}) == bmc::chassis_load_error::too_short);
    CHECK(target.load(std::span(good).first(good.size() - 1)) == bmc::chassis_load_error::too_short);
    std::array<std::uint8_t, chassis_t::max_saved_size + 1> longer{};
    for (std::size_t i = 0; i < good.size(); ++i) longer[i] = good[i];
    CHECK(target.load(longer) == bmc::chassis_load_error::too_long);
    CHECK(bmc::name(bmc::chassis_load_error::too_long) == "too_long");

    CHECK(target.generation() == gen);
    std::array<std::uint8_t, chassis_t::max_saved_size> after{};
    REQUIRE(target.save(after) == after.size());
    CHECK(after == before);
    CHECK(target.boot_flags().device == cmd::boot::boot_device::bios_setup);
    CHECK(target.load(good) == bmc::chassis_load_error::ok);
    CHECK(target.boot_flags().device == cmd::boot::boot_device::hard_disk);
  }

  // --- at compile time ------------------------------------------------------------------------

  TEST_CASE("bmc chassis: the bootdev sequence through a dispatcher, a boot and save/load run in constant "
            "evaluation") {
    test::check_at_compile_time([] {
      bmc::dispatcher<my_bmc, 8> d;
      if (bmc::add_chassis_commands<&my_bmc::chassis>(d) != bmc::add_error::ok) return false;
      my_bmc b;
      std::array<std::uint8_t, 48> out{};
      const std::array<std::uint8_t, 4> p0_1{0x00, 0x08, 0x00, 0x01};
      const std::array<std::uint8_t, 5> p4{0x00, 0x08, 0x04, 0x01, 0x01};
      const std::array<std::uint8_t, 8> p5{0x00, 0x08, 0x05, 0x80, 0x04, 0x00, 0x00, 0x00};
      const std::array<std::uint8_t, 4> p0_2{0x00, 0x08, 0x00, 0x02};
      const std::array<std::uint8_t, 4> p0_0{0x00, 0x08, 0x00, 0x00};
      for (const std::span<const std::uint8_t> m : {std::span<const std::uint8_t>(p0_1), std::span<const std::uint8_t>(p4),
                                                    std::span<const std::uint8_t>(p5), std::span<const std::uint8_t>(p0_2),
                                                    std::span<const std::uint8_t>(p0_0)})
        if (d.dispatch(b, m, {}, out).code != completion_code::success) return false;
      const std::array<std::uint8_t, 5> get5{0x00, 0x09, 0x05, 0x00, 0x00};
      const auto r = d.dispatch(b, get5, {}, out);
      if (r.size != 10 || out[5] != 0x80 || out[6] != 0x04) return false;
      const auto used = b.chassis.power_changed(true, cause::chassis_control, t0 + 1s);
      if (!used || used->device != cmd::boot::boot_device::pxe || b.chassis.boot_flags().valid) return false;
      std::array<std::uint8_t, chassis_t::max_saved_size> buf{};
      if (b.chassis.save(buf) != buf.size()) return false;
      chassis_t c;
      return c.load(buf) == bmc::chassis_load_error::ok && c.boot_flags().device == cmd::boot::boot_device::pxe &&
             b.chassis.restart_cause().cause == cause::chassis_control;
    });

    // steady_clock's alias compiles and runs at compile time as well (its now() is never called).
    constexpr auto steady = [] {
      bmc::chassis ch;
      const std::chrono::steady_clock::time_point t{};
      (void)ch.set_boot_option(set_flags(true, false), t);
      return ch.poll(t + 60s) && !ch.boot_flags().valid;
    };
    static_assert(steady());
  }
}
