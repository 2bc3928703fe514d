// The BMC watchdog component (include/ipmikit/bmc/watchdog.hpp): the behaviour ipmikit-bmc's
// watchdog has (tests/bmc_fleet_test.cpp, ported), every refusal by name, the countdown
// arithmetic, the order of the events, each timeout action, the flags, clocks that jump, the
// three commands through a dispatcher byte for byte, and a watchdog run at compile time.
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <span>

#include <ipmikit/bmc/dispatcher.hpp>
#include <ipmikit/bmc/watchdog.hpp>
#include <ipmikit/cmd/app.hpp>

#include "bmc_support.hpp"
#include "test_support.hpp"

using namespace ipmikit;
using namespace ipmikit::test::bmc_names;

namespace {

using wd_t = bmc::basic_watchdog<test_clock>;
using use = cmd::watchdog_timer_use;
using intr = cmd::watchdog_pretimeout_interrupt;
using action = cmd::watchdog_timeout_action;

constexpr tp t0 = tp{} + 1h;

constexpr cmd::set_watchdog_timer::request settings(std::uint16_t countdown, action a = action::none,
                                                    intr p = intr::none, std::uint8_t interval = 0,
                                                    use u = use::sms_os) {
  cmd::set_watchdog_timer::request r;
  r.timer_use = u;
  r.timeout_action = a;
  r.pretimeout_interrupt = p;
  r.pretimeout_interval = interval;
  r.initial_countdown = countdown;
  return r;
}

/// A watchdog set with `rq` and started by Reset Watchdog Timer, both at t0.
wd_t started(const cmd::set_watchdog_timer::request& rq) {
  wd_t wd;
  REQUIRE(wd.set(rq, t0) == completion_code::success);
  REQUIRE(wd.reset(t0) == completion_code::success);
  return wd;
}

/// What poll() reported: counts, the order ('p' pre-timeout, 'e' expiry), the last of each.
struct seen {
  int pretimeouts = 0;
  int expiries = 0;
  std::array<char, 8> order{};
  std::size_t n = 0;
  wd_t::pretimeout_event pre{};
  wd_t::expiry_event exp{};

  constexpr void operator()(const wd_t::pretimeout_event& e) {
    ++pretimeouts;
    pre = e;
    if (n < order.size()) order[n++] = 'p';
  }
  constexpr void operator()(const wd_t::expiry_event& e) {
    ++expiries;
    exp = e;
    if (n < order.size()) order[n++] = 'e';
  }
  [[nodiscard]] constexpr bool order_is(const char* s) const {
    std::size_t i = 0;
    for (; s[i] != '\0'; ++i)
      if (i >= n || order[i] != s[i]) return false;
    return i == n;
  }
};

/// A BMC whose Context holds the watchdog and says what time it is.
struct my_bmc {
  wd_t watchdog;
  tp clock = t0;
  [[nodiscard]] constexpr tp now() const { return clock; }
};

using wd_dispatcher = bmc::dispatcher<my_bmc, 8>;


}  // namespace

TEST_SUITE("bmc") {
  // --- ported from tests/bmc_fleet_test.cpp ------------------------------------------------

  TEST_CASE("bmc watchdog: Reset before any Set is refused with 80h, and the timer stays stopped") {
    wd_t wd;
    CHECK(wd.reset(t0) == cmd::watchdog_not_initialized);
    CHECK(static_cast<unsigned>(wd.reset(t0)) == 0x80);
    CHECK_FALSE(wd.initialized());
    CHECK_FALSE(wd.running());
    CHECK_FALSE(wd.next_deadline().has_value());
    const auto g = wd.get(t0);
    CHECK(g.timer_use == use::none);  // what a never-set timer reports
    CHECK(g.initial_countdown == 0);
  }

  TEST_CASE("bmc watchdog: Set and Get round trip; Reset starts the countdown; expiry stops it and flags SMS/OS") {
    wd_t wd;
    auto rq = settings(20, action::hard_reset);
    rq.clear_expiration_flags.sms_os = true;
    CHECK(wd.set(rq, t0) == completion_code::success);
    auto g = wd.get(t0);
    CHECK(g.timer_use == use::sms_os);
    CHECK_FALSE(g.running);
    CHECK(g.timeout_action == action::hard_reset);
    CHECK(g.pretimeout_interrupt == intr::none);
    CHECK(g.initial_countdown == 20);
    CHECK(g.present_countdown == 20);
    CHECK(wd.reset(t0) == completion_code::success);
    g = wd.get(t0 + 500ms);
    CHECK(g.running);
    CHECK(g.present_countdown == 15);  // 1.5 s left: the present countdown, not the initial one
    seen s;
    CHECK(wd.poll(t0 + 1999ms, s) == 0);
    CHECK(wd.poll(t0 + 2100ms, s) == 1);
    CHECK(s.expiries == 1);
    CHECK(s.exp.action == action::hard_reset);
    CHECK(s.exp.timer_use == use::sms_os);
    g = wd.get(t0 + 2100ms);
    CHECK_FALSE(g.running);
    CHECK(g.expiration_flags.to_byte() == 0x10);
    CHECK(g.present_countdown == 0);
  }

  TEST_CASE("bmc watchdog: 'don't stop' keeps a running timer running; without it Set stops the timer") {
    wd_t wd = started(settings(100));
    auto keep = settings(50);
    keep.dont_stop = true;
    CHECK(wd.set(keep, t0 + 3s) == completion_code::success);
    CHECK(wd.running());
    CHECK(wd.get(t0 + 3s).present_countdown == 50);  // goes on from the new countdown
    CHECK(*wd.next_deadline() == t0 + 8s);
    CHECK(wd.set(settings(50), t0 + 4s) == completion_code::success);
    CHECK_FALSE(wd.running());
    CHECK(wd.get(t0 + 4s).present_countdown == 50);  // a stopped timer reads its initial countdown
    CHECK(wd.set(keep, t0 + 5s) == completion_code::success);
    CHECK_FALSE(wd.running());  // "don't stop" does not start a stopped timer
    seen s;
    CHECK(wd.poll(t0 + 1h, s) == 0);
  }

  TEST_CASE("bmc watchdog: a messaging pre-timeout sets the flag and reports a Watchdog 2 timer interrupt; Reset "
            "after it is refused with D5; Set clears the flag") {
    wd_t wd;
    // SMS/OS, messaging pre-timeout 1 s before, no action, 3.0 s.
    REQUIRE(wd.set(settings(30, action::none, intr::messaging, 1), t0) == completion_code::success);
    REQUIRE(wd.reset(t0) == completion_code::success);
    CHECK(*wd.next_deadline() == t0 + 2s);
    seen s;
    CHECK(wd.poll(t0 + 2100ms, s) == 1);
    REQUIRE(s.pretimeouts == 1);
    CHECK(s.pre.interrupt == intr::messaging);
    CHECK(s.pre.timer_use == use::sms_os);
    CHECK(s.pre.due == t0 + 2s);
    CHECK(s.pre.expires == t0 + 3s);
    CHECK(s.pre.event.sensor_type == 0x23);
    CHECK(s.pre.event.event_type == 0x6F);
    CHECK(s.pre.event.offset() == 0x08);
    CHECK(s.pre.event.data == std::array<std::uint8_t, 3>{0xC8, 0x34, 0xFF});  // timer interrupt; messaging, SMS/OS
    CHECK(wd.pretimeout_flag());
    CHECK(wd.pretimeout_fired());
    CHECK(*wd.next_deadline() == t0 + 3s);
    // §27.5: no restart after the pre-timeout; the countdown goes on.
    CHECK(wd.reset(t0 + 2200ms) == completion_code::not_supported_in_present_state);
    CHECK(*wd.next_deadline() == t0 + 3s);
    // The record the event message buffer holds (ipmikit-bmc's bytes, record ID and time aside).
    std::array<std::uint8_t, 16> rec{};
    REQUIRE(s.pre.event.sel_record(0x0001, 0x01020304, 0x01).encode(rec));
    CHECK(bytes(rec.begin(), rec.end()) ==
          bytes{0x01, 0x00, 0x02, 0x04, 0x03, 0x02, 0x01, 0x20, 0x00, 0x04, 0x23, 0x01, 0x6F, 0xC8, 0x34, 0xFF});
    wd.clear_pretimeout_flag();  // the owner's Clear Message Flags
    CHECK_FALSE(wd.pretimeout_flag());
    CHECK(wd.poll(t0 + 3s, s) == 1);
    CHECK(s.order_is("pe"));
    CHECK(s.exp.event.data == std::array<std::uint8_t, 3>{0xC0, 0x34, 0xFF});
    // Set clears the flag, running or not.
    REQUIRE(wd.set(settings(30, action::none, intr::messaging, 1), t0 + 4s) == completion_code::success);
    REQUIRE(wd.reset(t0 + 4s) == completion_code::success);
    CHECK(wd.poll(t0 + 6s, s) == 1);
    CHECK(wd.pretimeout_flag());
    CHECK(wd.set(settings(30), t0 + 6s) == completion_code::success);
    CHECK_FALSE(wd.pretimeout_flag());
  }

  TEST_CASE("bmc watchdog: 'don't log' is reported with each event, so the owner logs none") {
    wd_t wd;
    auto rq = settings(5, action::none, intr::nmi, 0);
    rq.dont_log = true;
    REQUIRE(wd.set(rq, t0) == completion_code::success);
    REQUIRE(wd.reset(t0) == completion_code::success);
    CHECK(wd.get(t0).dont_log);
    seen s;
    CHECK(wd.poll(t0 + 600ms, s) == 2);
    CHECK(s.pre.dont_log);
    CHECK(s.exp.dont_log);
    CHECK_FALSE(wd.pretimeout_flag());  // NMI, not the messaging interrupt
    REQUIRE(wd.set(settings(5), t0 + 1s) == completion_code::success);
    REQUIRE(wd.reset(t0 + 1s) == completion_code::success);
    CHECK(wd.poll(t0 + 2s, s) == 1);
    CHECK_FALSE(s.exp.dont_log);
  }

  TEST_CASE("bmc watchdog: stop() (a disconnect) stops the timer with no event; the settings stay and Reset starts "
            "it again") {
    wd_t wd = started(settings(10, action::hard_reset));
    wd.stop(t0 + 300ms);
    CHECK_FALSE(wd.running());
    CHECK_FALSE(wd.next_deadline().has_value());
    CHECK(wd.get(t0 + 5s).present_countdown == 7);  // where it stopped
    seen s;
    CHECK(wd.poll(t0 + 1h, s) == 0);
    CHECK(wd.timeout_action() == action::hard_reset);
    CHECK(wd.reset(t0 + 1h) == completion_code::success);
    CHECK(wd.get(t0 + 1h).present_countdown == 10);
    CHECK(wd.poll(t0 + 1h + 1s, s) == 1);
    CHECK(s.exp.action == action::hard_reset);
  }

  // --- refusals -----------------------------------------------------------------------------

  TEST_CASE("bmc watchdog: reserved timer uses, interrupts and actions are refused with 0xCC and change nothing") {
    wd_t wd;
    REQUIRE(wd.set(settings(40, action::power_down), t0) == completion_code::success);
    const auto before = wd.get(t0);
    for (const unsigned u : {0u, 6u, 7u}) {
      INFO("timer use ", u);
      CHECK(wd.set(settings(10, action::none, intr::none, 0, static_cast<use>(u)), t0) ==
            completion_code::invalid_data_field);
    }
    for (const unsigned p : {4u, 5u, 6u, 7u}) {
      INFO("interrupt ", p);
      CHECK(wd.set(settings(10, action::none, static_cast<intr>(p)), t0) == completion_code::invalid_data_field);
    }
    for (const unsigned a : {4u, 5u, 6u, 7u}) {
      INFO("action ", a);
      CHECK(wd.set(settings(10, static_cast<action>(a)), t0) == completion_code::invalid_data_field);
    }
    // SMI: valid IPMI, but a platform without one (the default, a VM's) refuses it as invalid.
    CHECK(wd.set(settings(10, action::none, intr::smi), t0) == completion_code::invalid_data_field);
    CHECK(wd.get(t0) == before);
    wd_t with_smi(bmc::watchdog_support{.smi = true});
    CHECK(with_smi.set(settings(10, action::none, intr::smi), t0) == completion_code::success);
  }

  TEST_CASE("bmc watchdog: an interrupt or action the platform cannot carry out is refused with 0xD5; "
            "enforceable() follows the support") {
    wd_t wd(bmc::watchdog_support{.hard_reset = false});
    CHECK(wd.set(settings(10, action::hard_reset), t0) == completion_code::not_supported_in_present_state);
    CHECK_FALSE(wd.initialized());
    CHECK(wd.set(settings(10, action::power_cycle), t0) == completion_code::success);
    wd.set_support({.nmi = false, .power_cycle = false});
    CHECK_FALSE(wd.enforceable());  // the armed settings stay
    CHECK(wd.timeout_action() == action::power_cycle);
    CHECK(wd.set(settings(10, action::none, intr::nmi), t0) == completion_code::not_supported_in_present_state);
    CHECK(wd.set(settings(10, action::power_down, intr::messaging), t0) == completion_code::success);
    CHECK(wd.enforceable());
    wd.set_support({.messaging = false});
    CHECK_FALSE(wd.enforceable());
  }

  TEST_CASE("bmc watchdog: Reset is refused with 0xD5 only while the fired pre-timeout's countdown runs") {
    wd_t wd = started(settings(20, action::none, intr::nmi, 1));
    CHECK(wd.reset(t0 + 500ms) == completion_code::success);  // a pet before the pre-timeout restarts
    CHECK(*wd.next_deadline() == t0 + 1500ms);
    seen s;
    CHECK(wd.poll(t0 + 1500ms, s) == 1);
    CHECK(wd.reset(t0 + 1600ms) == completion_code::not_supported_in_present_state);
    CHECK(wd.poll(t0 + 2500ms, s) == 1);
    CHECK(wd.reset(t0 + 3s) == completion_code::success);  // expired: a Reset starts it again
    CHECK_FALSE(wd.pretimeout_fired());
    CHECK(*wd.next_deadline() == t0 + 4s);
  }

  // --- the countdown ------------------------------------------------------------------------

  TEST_CASE("bmc watchdog: the countdown is in 100 ms units, rounded up, and 0 from the deadline on") {
    wd_t wd = started(settings(20));
    CHECK(*wd.next_deadline() == t0 + 2s);
    CHECK(wd.get(t0).present_countdown == 20);
    CHECK(wd.get(t0 + 1ns).present_countdown == 20);
    CHECK(wd.get(t0 + 99ms).present_countdown == 20);
    CHECK(wd.get(t0 + 100ms).present_countdown == 19);
    CHECK(wd.get(t0 + 101ms).present_countdown == 19);
    CHECK(wd.get(t0 + 1999ms).present_countdown == 1);
    CHECK(wd.get(t0 + 2s - 1ns).present_countdown == 1);
    CHECK(wd.get(t0 + 2s).present_countdown == 0);
    CHECK(wd.get(t0 + 2s).running);  // until poll() reports the expiry
    // The largest countdown: FFFFh tenths, 6553.5 s.
    REQUIRE(wd.set(settings(0xFFFF), t0) == completion_code::success);
    REQUIRE(wd.reset(t0) == completion_code::success);
    CHECK(*wd.next_deadline() == t0 + 6553500ms);
    CHECK(wd.get(t0 + 50ms).present_countdown == 0xFFFF);
    CHECK(wd.get(t0 + 6553s).present_countdown == 5);
    // A countdown of 0 expires at the next poll.
    REQUIRE(wd.set(settings(0, action::power_down), t0) == completion_code::success);
    REQUIRE(wd.reset(t0) == completion_code::success);
    CHECK(wd.get(t0).present_countdown == 0);
    seen s;
    CHECK(wd.poll(t0, s) == 1);
    CHECK(s.exp.action == action::power_down);
  }

  TEST_CASE("bmc watchdog: the pre-timeout comes before the expiry: at countdown minus interval, at once when the "
            "interval is longer, with the expiry when it is 0") {
    SUBCASE("interval 1 s of 3 s: two polls") {
      wd_t wd = started(settings(30, action::hard_reset, intr::nmi, 1));
      seen s;
      CHECK(wd.poll(t0 + 2s - 1ns, s) == 0);
      CHECK(wd.poll(t0 + 2s, s) == 1);
      CHECK(s.pre.interrupt == intr::nmi);
      CHECK(wd.poll(t0 + 3s - 1ns, s) == 0);
      CHECK(wd.poll(t0 + 3s, s) == 1);
      CHECK(s.order_is("pe"));
    }
    SUBCASE("interval longer than the countdown: the pre-timeout at the first poll") {
      wd_t wd = started(settings(10, action::none, intr::messaging, 5));
      CHECK(*wd.next_deadline() == t0 - 4s);
      CHECK(wd.due(t0));
      seen s;
      CHECK(wd.poll(t0, s) == 1);
      CHECK(s.pre.due == t0 - 4s);
      CHECK(*wd.next_deadline() == t0 + 1s);
      CHECK(wd.poll(t0 + 1s, s) == 1);
      CHECK(s.order_is("pe"));
    }
    SUBCASE("one poll at the expiry: interval 0 gives both, the pre-timeout first; no interrupt only the expiry") {
      struct one_poll {
        cmd::set_watchdog_timer::request rq;
        unsigned events;
        const char* order;
      };
      for (const one_poll& c : {one_poll{settings(10, action::power_cycle, intr::nmi, 0), 2, "pe"},
                                one_poll{settings(10, action::none, intr::none, 5), 1, "e"}}) {
        CAPTURE(c.order);
        wd_t wd = started(c.rq);
        CHECK(*wd.next_deadline() == t0 + 1s);
        seen s;
        CHECK(wd.poll(t0 + 1s, s) == c.events);
        CHECK(s.order_is(c.order));
      }
    }
    SUBCASE("a handler that stops the timer at the pre-timeout: no expiry") {
      wd_t wd = started(settings(10, action::hard_reset, intr::nmi, 0));
      int expiries = 0;
      const auto n = wd.poll(t0 + 1s, [&](const auto& e) {
        if constexpr (std::is_same_v<std::decay_t<decltype(e)>, wd_t::pretimeout_event>)
          CHECK(wd.set(settings(10), t0 + 1s) == completion_code::success);
        else
          ++expiries;
      });
      CHECK(n == 1);
      CHECK(expiries == 0);
      CHECK_FALSE(wd.running());
    }
  }

  TEST_CASE("bmc watchdog: expiry with each timeout action reports it with its Watchdog 2 offset") {
    struct row {
      action a;
      std::uint8_t offset;
    };
    for (const row r : {row{action::none, 0x00}, row{action::hard_reset, 0x01}, row{action::power_down, 0x02},
                        row{action::power_cycle, 0x03}}) {
      INFO("action ", static_cast<unsigned>(r.a));
      wd_t wd = started(settings(10, r.a, intr::nmi, 0, use::os_load));
      seen s;
      CHECK(wd.poll(t0 + 1s, s) == 2);
      CHECK(s.exp.action == r.a);
      CHECK(s.exp.timer_use == use::os_load);
      CHECK(s.exp.interrupt == intr::nmi);
      CHECK(s.exp.due == t0 + 1s);
      CHECK(s.exp.event.sensor_type == 0x23);
      CHECK(s.exp.event.offset() == r.offset);
      CHECK(s.exp.event.data == std::array<std::uint8_t, 3>{static_cast<std::uint8_t>(0xC0 | r.offset), 0x23, 0xFF});
      CHECK_FALSE(wd.running());
      CHECK(wd.expiration_flags().os_load);
    }
  }

  TEST_CASE("bmc watchdog: each timer use sets its own expiration flag on expiry; Set clears the ones its mask "
            "names") {
    wd_t wd;
    tp now = t0;
    for (const use u : {use::bios_frb2, use::bios_post, use::os_load, use::sms_os, use::oem}) {
      REQUIRE(wd.set(settings(1, action::none, intr::none, 0, u), now) == completion_code::success);
      REQUIRE(wd.reset(now) == completion_code::success);
      seen s;
      CHECK(wd.poll(now + 100ms, s) == 1);
      CHECK(wd.expiration_flags()[u]);
      now += 1s;
    }
    CHECK(wd.get(now).expiration_flags.to_byte() == 0x3E);
    auto rq = settings(10);
    rq.clear_expiration_flags.bios_post = true;
    rq.clear_expiration_flags.sms_os = true;
    REQUIRE(wd.set(rq, now) == completion_code::success);
    CHECK(wd.get(now).expiration_flags.to_byte() == 0x2A);
    CHECK(wd.set(settings(10), now) == completion_code::success);  // an empty mask clears nothing
    CHECK(wd.get(now).expiration_flags.to_byte() == 0x2A);
    rq.clear_expiration_flags = cmd::watchdog_expiration_flags::from_byte(0x3E);
    REQUIRE(wd.set(rq, now) == completion_code::success);
    CHECK(wd.get(now).expiration_flags.to_byte() == 0x00);
  }

  // --- clocks that jump ---------------------------------------------------------------------

  TEST_CASE("bmc watchdog: a clock that jumps backwards fires nothing and the countdown never grows past the "
            "initial one") {
    wd_t wd = started(settings(20, action::hard_reset, intr::nmi, 1));
    seen s;
    CHECK(wd.poll(t0 - 1h, s) == 0);
    CHECK_FALSE(wd.due(t0 - 1h));
    CHECK(wd.get(t0 - 1h).present_countdown == 20);
    CHECK(*wd.next_deadline() == t0 + 1s);  // the deadline does not move
    CHECK(wd.poll(t0 + 1s, s) == 1);
    CHECK(wd.poll(t0 - 1h, s) == 0);  // back again after the pre-timeout: nothing twice
    CHECK(wd.poll(t0 + 2s, s) == 1);
    CHECK(wd.poll(t0, s) == 0);
    CHECK(wd.poll(t0 + 2s, s) == 0);
    CHECK(s.order_is("pe"));
  }

  TEST_CASE("bmc watchdog: a clock that jumps far forwards fires the pre-timeout and the expiry once each, in order") {
    wd_t wd = started(settings(20, action::power_down, intr::messaging, 1));
    seen s;
    constexpr auto ten_years = std::chrono::hours(24 * 365 * 10);
    CHECK(wd.poll(t0 + ten_years, s) == 2);
    CHECK(s.order_is("pe"));
    CHECK(s.pre.due == t0 + 1s);
    CHECK(s.exp.due == t0 + 2s);
    CHECK(wd.poll(t0 + ten_years, s) == 0);
    CHECK(wd.poll(t0 + 2 * ten_years, s) == 0);
    CHECK(s.pretimeouts == 1);
    CHECK(s.expiries == 1);
    CHECK_FALSE(wd.next_deadline().has_value());
    CHECK(wd.get(t0 + ten_years).present_countdown == 0);
  }

  // --- the commands through a dispatcher ----------------------------------------------------

  TEST_CASE("bmc watchdog: the three commands through a dispatcher, request bytes in, response bytes out") {
    wd_dispatcher d;
    REQUIRE(bmc::add_watchdog_commands<&my_bmc::watchdog>(d) == bmc::add_error::ok);
    CHECK(d.entries().size() == 3);
    my_bmc b;
    CHECK(dispatch_bytes(d, b, {0x18, 0x22}) == bytes{0x1C, 0x22, 0x80});  // Reset before Set
    // SMS/OS, hard reset, no pre-timeout, clear SMS/OS expiration flag, 2.0 s (as the fleet test).
    CHECK(dispatch_bytes(d, b, {0x18, 0x24, 0x04, 0x01, 0x00, 0x10, 0x14, 0x00}) == bytes{0x1C, 0x24, 0x00});
    CHECK(dispatch_bytes(d, b, {0x18, 0x25}) == bytes{0x1C, 0x25, 0x00, 0x04, 0x01, 0x00, 0x00, 0x14, 0x00, 0x14, 0x00});
    CHECK(dispatch_bytes(d, b, {0x18, 0x22}) == bytes{0x1C, 0x22, 0x00});
    b.clock = t0 + 500ms;
    CHECK(dispatch_bytes(d, b, {0x18, 0x25}) == bytes{0x1C, 0x25, 0x00, 0x44, 0x01, 0x00, 0x00, 0x14, 0x00, 0x0F, 0x00});
    seen s;
    CHECK(b.watchdog.poll(t0 + 2100ms, s) == 1);
    CHECK(s.exp.action == action::hard_reset);
    b.clock = t0 + 2100ms;
    CHECK(dispatch_bytes(d, b, {0x18, 0x25}) == bytes{0x1C, 0x25, 0x00, 0x04, 0x01, 0x00, 0x10, 0x14, 0x00, 0x00, 0x00});
    // Refusals on the wire: invalid fields CC, wrong lengths C7, privilege D4.
    CHECK(dispatch_bytes(d, b, {0x18, 0x24, 0x00, 0x01, 0x00, 0x00, 0x0A, 0x00})[2] == 0xCC);  // use 0
    CHECK(dispatch_bytes(d, b, {0x18, 0x24, 0x04, 0x11, 0x00, 0x00, 0x0A, 0x00})[2] == 0xCC);  // SMI
    CHECK(dispatch_bytes(d, b, {0x18, 0x24, 0x04, 0x04, 0x00, 0x00, 0x0A, 0x00})[2] == 0xCC);  // action 4
    CHECK(dispatch_bytes(d, b, {0x18, 0x24, 0x04, 0x41, 0x00, 0x00, 0x0A, 0x00})[2] == 0xCC);  // interrupt 4
    CHECK(dispatch_bytes(d, b, {0x18, 0x24, 0x04, 0x00, 0x00, 0x00, 0x0A}) == bytes{0x1C, 0x24, 0xC7});
    CHECK(dispatch_bytes(d, b, {0x18, 0x22, 0x00}) == bytes{0x1C, 0x22, 0xC7});
    CHECK(dispatch_bytes(d, b, {0x18, 0x25, 0x00}) == bytes{0x1C, 0x25, 0xC7});
    CHECK(dispatch_bytes(d, b, {0x18, 0x24, 0x04, 0x01, 0x00, 0x00, 0x0A, 0x00}, {bmc::privilege::user, 1}) ==
          bytes{0x1C, 0x24, 0xD4});
    CHECK(dispatch_bytes(d, b, {0x18, 0x22}, {bmc::privilege::user, 1}) == bytes{0x1C, 0x22, 0xD4});
    CHECK(dispatch_bytes(d, b, {0x18, 0x25}, {bmc::privilege::callback, 1}) == bytes{0x1C, 0x25, 0xD4});
    CHECK(dispatch_bytes(d, b, {0x18, 0x25}, {bmc::privilege::user, 1})[2] == 0x00);
    CHECK(dispatch_bytes(d, b, {0x18, 0x22}, {bmc::privilege::operator_, 1})[2] == 0x00);
    // Reserved bits are ignored, as ipmikit-bmc does: byte 1 [5:3], byte 2 b7/b3, byte 4 b7/b6/b0.
    CHECK(dispatch_bytes(d, b, {0x18, 0x24, 0x3C, 0x8A, 0x00, 0xD1, 0x0A, 0x00}) == bytes{0x1C, 0x24, 0x00});
    CHECK(dispatch_bytes(d, b, {0x18, 0x25}) == bytes{0x1C, 0x25, 0x00, 0x04, 0x02, 0x00, 0x00, 0x0A, 0x00, 0x0A, 0x00});
    // "Don't stop" through the wire: a running timer keeps running.
    CHECK(dispatch_bytes(d, b, {0x18, 0x22})[2] == 0x00);
    CHECK(dispatch_bytes(d, b, {0x18, 0x24, 0x44, 0x00, 0x00, 0x00, 0x32, 0x00})[2] == 0x00);
    CHECK(b.watchdog.running());
    CHECK(dispatch_bytes(d, b, {0x18, 0x24, 0x04, 0x00, 0x00, 0x00, 0x32, 0x00})[2] == 0x00);
    CHECK_FALSE(b.watchdog.running());
  }

  TEST_CASE("bmc watchdog: add_watchdog_commands registers all three or none, with the dispatcher's error") {
    wd_dispatcher d;
    bmc::dispatcher<my_bmc, 4> small;
    test::take_a_place(small, commands::get_device_id);
    test::take_a_place(small, commands::cold_reset);  // 2 of 4 places
    test::check_all_or_none(d, small, [](auto& x) { return bmc::add_watchdog_commands<&my_bmc::watchdog>(x); }, 3);
    CHECK(small.entries().size() == 2);
    using p = bmc::privilege;
    test::check_registered(d, {{netfn::app, 0x22, p::operator_}, {netfn::app, 0x24, p::operator_},
                               {netfn::app, 0x25, p::user}});
  }

  // --- at compile time ----------------------------------------------------------------------

  TEST_CASE("bmc watchdog: set, reset, poll and the dispatcher path run in constant evaluation") {
    test::check_at_compile_time([] {
      wd_t wd;
      if (wd.set(settings(30, action::power_cycle, intr::messaging, 1), t0) != completion_code::success) return false;
      if (wd.reset(t0) != completion_code::success) return false;
      seen s;
      if (wd.poll(t0 + 1999ms, s) != 0 || wd.poll(t0 + 2s, s) != 1 || !wd.pretimeout_flag()) return false;
      if (wd.get(t0 + 2050ms).present_countdown != 10) return false;
      if (wd.poll(t0 + 3s, s) != 1 || !s.order_is("pe") || s.exp.event.data[0] != 0xC3) return false;
      return wd.expiration_flags().sms_os && !wd.running();
    });

    test::check_at_compile_time([] {
      bmc::dispatcher<my_bmc, 4> d;
      if (bmc::add_watchdog_commands<&my_bmc::watchdog>(d) != bmc::add_error::ok) return false;
      my_bmc b;
      std::array<std::uint8_t, 16> out{};
      const std::array<std::uint8_t, 8> set{0x18, 0x24, 0x04, 0x01, 0x00, 0x00, 0x14, 0x00};
      const std::array<std::uint8_t, 2> reset{0x18, 0x22};
      const std::array<std::uint8_t, 2> get{0x18, 0x25};
      if (d.dispatch(b, set, {}, out).code != completion_code::success) return false;
      if (d.dispatch(b, reset, {}, out).code != completion_code::success) return false;
      b.clock = t0 + 1s;
      const auto r = d.dispatch(b, get, {}, out);
      return r.size == 11 && out[3] == 0x44 && out[9] == 10;
    });

    // steady_clock's alias compiles and runs at compile time as well (its now() is never called).
    constexpr auto steady = [] {
      bmc::watchdog wd;
      const std::chrono::steady_clock::time_point t{};
      (void)wd.set(settings(10), t);
      (void)wd.reset(t);
      return wd.poll(t + 1s, [](const auto&) {});
    };
    static_assert(steady() == 1);
  }
}
