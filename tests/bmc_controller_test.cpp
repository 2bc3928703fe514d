// The BMC core's controller component (include/ipmikit/bmc/controller.hpp): `mc info`, global
// enables, message flags and the event message buffer byte for byte through a dispatcher (the
// expectations ipmikit-bmc's tests had of its own code), attention and the interrupt as
// take_changes() reports them, the watchdog's events and Platform Event Message delivered to
// the SEL and the buffer as the global enables say, every refusal by name, and a controller run
// at compile time.
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <vector>

#include <ipmikit/bmc/controller.hpp>
#include <ipmikit/bmc/dispatcher.hpp>
#include <ipmikit/bmc/sel.hpp>
#include <ipmikit/bmc/watchdog.hpp>

#include "bmc_support.hpp"

using namespace ipmikit;
using namespace ipmikit::test::bmc_names;

namespace {

constexpr tp t0 = tp{} + std::chrono::seconds(0x61000000);  // the SEL's time is the clock's


struct my_bmc {
  bmc::controller mc{test::controller_identity()};
  bmc::basic_watchdog<test_clock> wd;
  bmc::basic_sel<4, test_clock> sel;
  tp at = t0;
  [[nodiscard]] constexpr tp now() const { return at; }
};

using mc_dispatcher = bmc::dispatcher<my_bmc, 32>;

mc_dispatcher make_dispatcher() {
  mc_dispatcher d;
  REQUIRE(bmc::add_controller_commands<&my_bmc::mc, &my_bmc::wd>(d) == bmc::add_error::ok);
  REQUIRE(bmc::add_event_receiver_commands<&my_bmc::mc, &my_bmc::sel>(d) == bmc::add_error::ok);
  REQUIRE(bmc::add_watchdog_commands<&my_bmc::wd>(d) == bmc::add_error::ok);
  REQUIRE(bmc::add_sel_commands<&my_bmc::sel>(d) == bmc::add_error::ok);
  return d;
}

/// The response's completion code.
std::uint8_t cc(const bytes& response) { return response.at(2); }

constexpr bmc::origin lan_user{bmc::privilege::user, 1};
constexpr bmc::origin lan_operator{bmc::privilege::operator_, 1};

/// The watchdog's pre-timeout, as the owner delivers it.
void poll_watchdog(my_bmc& b) {
  b.wd.poll(b.at, [&](const auto& e) {
    if (!e.dont_log) (void)bmc::deliver_event(b.mc, b.sel, e.event.sel_record(0, 0, 0x01), b.at);
  });
}

}  // namespace

TEST_SUITE("bmc controller") {
  TEST_CASE("bmc controller: mc info and mc selftest byte for byte") {
    auto d = make_dispatcher();
    my_bmc b;
    CHECK(dispatch_bytes(d, b, {0x18, 0x01}) ==
          bytes{0x1C, 0x01, 0x00, 0x21, 0x03, 0x02, 0x15, 0x02, 0x84, 0xA2, 0xA0, 0x00, 0x01, 0x02});
    CHECK(dispatch_bytes(d, b, {0x18, 0x04}) == bytes{0x1C, 0x04, 0x00, 0x55, 0x00});
    CHECK(dispatch_bytes(d, b, {0x18, 0x01}, lan_user)[2] == 0x00);  // user privilege is enough
  }

  TEST_CASE("bmc controller: global enables start with system event logging; Set/Get round trip") {
    auto d = make_dispatcher();
    my_bmc b;
    CHECK(dispatch_bytes(d, b, {0x18, 0x2F}) == bytes{0x1C, 0x2F, 0x00, 0x08});
    CHECK(dispatch_bytes(d, b, {0x18, 0x2E, 0x0F}) == bytes{0x1C, 0x2E, 0x00});
    CHECK(dispatch_bytes(d, b, {0x18, 0x2F}) == bytes{0x1C, 0x2F, 0x00, 0x0F});
    CHECK(dispatch_bytes(d, b, {0x18, 0x2E, 0xEF}) == bytes{0x1C, 0x2E, 0x00});  // OEM bits are kept
    CHECK(dispatch_bytes(d, b, {0x18, 0x2F}) == bytes{0x1C, 0x2F, 0x00, 0xEF});
  }

  TEST_CASE("bmc controller: the receive message interrupt enable is reported once per change") {
    bmc::controller mc;
    CHECK(mc.take_changes(false, true).empty());
    mc.set_global_enables(test::make<cmd::bmc_global_enables>([](auto& e) { e.receive_message_queue_interrupt = true; }));
    auto c = mc.take_changes(false, true);
    REQUIRE(c.receive_interrupt);
    CHECK(*c.receive_interrupt);
    CHECK_FALSE(c.attention);
    CHECK(mc.take_changes(false, true).empty());
    // On and off again before anyone asked: nothing to tell.
    mc.set_global_enables({});
    mc.set_global_enables(test::make<cmd::bmc_global_enables>([](auto& e) { e.receive_message_queue_interrupt = true; }));
    CHECK(mc.take_changes(false, true).empty());
    mc.set_global_enables({});
    c = mc.take_changes(false, true);
    REQUIRE(c.receive_interrupt);
    CHECK_FALSE(*c.receive_interrupt);
  }

  TEST_CASE("bmc controller: the event message buffer holds one event until it is read; 80h when empty") {
    auto d = make_dispatcher();
    my_bmc b;
    cmd::sel_record r;
    r.sensor_type = 0x07;
    r.sensor_number = 0x02;
    r.event_type = 0x6F;
    r.event_data = {0x01, 0xFF, 0xFF};
    CHECK(dispatch_bytes(d, b, {0x18, 0x35}) == bytes{0x1C, 0x35, 0x80});
    CHECK(b.mc.post_event(r) == bmc::event_post::buffer_disabled);  // the buffer is off at start
    CHECK(dispatch_bytes(d, b, {0x18, 0x2E, 0x04})[2] == 0x00);
    CHECK(b.mc.post_event(r) == bmc::event_post::buffered);
    r.sensor_number = 0x03;
    CHECK(b.mc.post_event(r) == bmc::event_post::buffer_full);  // the first one stays
    CHECK(dispatch_bytes(d, b, {0x18, 0x31}) == bytes{0x1C, 0x31, 0x00, 0x02});
    CHECK(dispatch_bytes(d, b, {0x18, 0x35}) == bytes{0x1C, 0x35, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
                                                      0x20, 0x00, 0x04, 0x07, 0x02, 0x6F, 0x01, 0xFF, 0xFF});
    CHECK(dispatch_bytes(d, b, {0x18, 0x31}) == bytes{0x1C, 0x31, 0x00, 0x00});
    CHECK(dispatch_bytes(d, b, {0x18, 0x35}) == bytes{0x1C, 0x35, 0x80});
    CHECK(b.mc.stats().events_buffered == 1);
    CHECK(b.mc.stats().events_dropped == 2);
    CHECK(b.mc.stats().events_read == 1);
  }

  TEST_CASE("bmc controller: Clear Message Flags and disabling the buffer empty it; reserved bits are ignored") {
    auto d = make_dispatcher();
    my_bmc b;
    CHECK(dispatch_bytes(d, b, {0x18, 0x2E, 0x04})[2] == 0x00);
    REQUIRE(b.mc.post_event(cmd::sel_record{}) == bmc::event_post::buffered);
    CHECK(dispatch_bytes(d, b, {0x18, 0x30, 0x01})[2] == 0x00);  // the receive queue's flag: nothing here
    CHECK(b.mc.buffer_full());
    CHECK(dispatch_bytes(d, b, {0x18, 0x30, 0xFF}) == bytes{0x1C, 0x30, 0x00});  // every bit, reserved too
    CHECK_FALSE(b.mc.buffer_full());
    CHECK(dispatch_bytes(d, b, {0x18, 0x35})[2] == 0x80);

    REQUIRE(b.mc.post_event(cmd::sel_record{}) == bmc::event_post::buffered);
    CHECK(dispatch_bytes(d, b, {0x18, 0x2E, 0x00})[2] == 0x00);  // §22.1: not used while off
    CHECK(dispatch_bytes(d, b, {0x18, 0x31}) == bytes{0x1C, 0x31, 0x00, 0x00});
  }

  TEST_CASE("bmc controller: attention follows the flags; the interrupt only where the guest enabled it") {
    bmc::controller mc;
    mc.set_global_enables(test::make<cmd::bmc_global_enables>([](auto& e) { e.event_message_buffer = true; }));
    (void)mc.take_changes(false, true);
    REQUIRE(mc.post_event(cmd::sel_record{}) == bmc::event_post::buffered);
    auto c = mc.take_changes(false, true);
    REQUIRE(c.attention);
    CHECK(*c.attention == bmc::attention_state{true, false});  // the buffer's interrupt is off
    // A second flag joins: attention is on already, nothing to tell.
    CHECK(mc.take_changes(true, true).empty());
    mc.clear_message_flags(test::make<cmd::message_flags>([](auto& f) { f.event_message_buffer_full = true; }));
    CHECK(mc.take_changes(true, true).empty());  // the watchdog's flag still holds it
    c = mc.take_changes(false, true);
    REQUIRE(c.attention);
    CHECK(*c.attention == bmc::attention_state{false, false});

    mc.set_global_enables(test::make<cmd::bmc_global_enables>([](auto& e) { e.receive_message_queue_interrupt = true; e.event_message_buffer = true; }));
    c = mc.take_changes(true, true);
    CHECK(c.receive_interrupt == std::optional<bool>(true));
    REQUIRE(c.attention);
    CHECK(*c.attention == bmc::attention_state{true, true});  // pre-timeout with its interrupt enabled
    mc.forget_attention();                                      // the VM reconnected
    c = mc.take_changes(true, false);                           // ... without an interrupt line
    REQUIRE(c.attention);
    CHECK(*c.attention == bmc::attention_state{true, false});
    CHECK(mc.wanted_attention(false, true) == bmc::attention_state{false, false});
  }

  TEST_CASE("bmc controller: a change of attention that was not told is reported again while it is wanted") {
    bmc::controller mc;
    auto c = mc.take_changes(true, false);
    REQUIRE(c.attention);
    mc.attention_not_told(*c.attention);  // ATTN refused: the interface shows nothing
    CHECK_FALSE(mc.attention_shown());
    c = mc.take_changes(true, false);
    REQUIRE(c.attention);
    CHECK(c.attention->on);
    c = mc.take_changes(false, false);
    REQUIRE(c.attention);
    mc.attention_not_told(*c.attention);  // NOATTN refused: the interface still shows attention
    CHECK(mc.attention_shown());
    c = mc.take_changes(false, false);
    REQUIRE(c.attention);
    CHECK_FALSE(c.attention->on);
    CHECK(mc.take_changes(false, false).empty());
    // Refused and no longer wanted: nothing to tell.
    c = mc.take_changes(true, false);
    REQUIRE(c.attention);
    mc.attention_not_told(*c.attention);
    CHECK(mc.take_changes(false, false).empty());
  }

  TEST_CASE("bmc controller: the watchdog's messaging pre-timeout sets its flag, the event reaches the SEL "
            "and the buffer; Clear Message Flags clears the watchdog's flag") {
    auto d = make_dispatcher();
    my_bmc b;
    CHECK(dispatch_bytes(d, b, {0x18, 0x2E, 0x0F})[2] == 0x00);
    // SMS/OS, messaging pre-timeout 1 s before, no action, 3.0 s.
    CHECK(dispatch_bytes(d, b, {0x18, 0x24, 0x04, 0x30, 0x01, 0x00, 0x1E, 0x00})[2] == 0x00);
    CHECK(dispatch_bytes(d, b, {0x18, 0x22})[2] == 0x00);
    b.at += 2100ms;
    poll_watchdog(b);
    CHECK(dispatch_bytes(d, b, {0x18, 0x31}) == bytes{0x1C, 0x31, 0x00, 0x0A});
    const auto c = b.mc.take_changes(b.wd.pretimeout_flag(), true);
    REQUIRE(c.attention);
    CHECK(*c.attention == bmc::attention_state{true, true});
    REQUIRE(b.sel.size() == 1);
    // The SEL's record 0001h at the SEL's time (61000002h), generator the BMC (20h), Watchdog 2
    // (23h) sensor 01h, sensor-specific assertion, timer interrupt (C8h), messaging + SMS/OS (34h).
    CHECK(dispatch_bytes(d, b, {0x18, 0x35}) == bytes{0x1C, 0x35, 0x00, 0x01, 0x00, 0x02, 0x02, 0x00, 0x00, 0x61, 0x20,
                                                      0x00, 0x04, 0x23, 0x01, 0x6F, 0xC8, 0x34, 0xFF});
    CHECK(dispatch_bytes(d, b, {0x18, 0x31}) == bytes{0x1C, 0x31, 0x00, 0x08});
    CHECK(dispatch_bytes(d, b, {0x18, 0x30, 0x08})[2] == 0x00);
    CHECK_FALSE(b.wd.pretimeout_flag());
    CHECK(dispatch_bytes(d, b, {0x18, 0x31}) == bytes{0x1C, 0x31, 0x00, 0x00});
    CHECK(b.mc.take_changes(b.wd.pretimeout_flag(), true).attention == bmc::attention_state{false, false});
  }

  TEST_CASE("bmc controller: the watchdog's 'don't log' keeps its events out; logging off keeps them out of the SEL") {
    auto d = make_dispatcher();
    my_bmc b;
    CHECK(dispatch_bytes(d, b, {0x18, 0x2E, 0x04})[2] == 0x00);  // buffer on, system event logging off
    CHECK(dispatch_bytes(d, b, {0x18, 0x24, 0x84, 0x00, 0x00, 0x00, 0x05, 0x00})[2] == 0x00);
    CHECK(dispatch_bytes(d, b, {0x18, 0x22})[2] == 0x00);
    b.at += 600ms;
    poll_watchdog(b);
    CHECK(dispatch_bytes(d, b, {0x18, 0x35})[2] == 0x80);
    CHECK(b.sel.empty());
    // Without "don't log": the buffer has it, the SEL does not (logging is off), record ID 0.
    CHECK(dispatch_bytes(d, b, {0x18, 0x24, 0x04, 0x01, 0x00, 0x00, 0x05, 0x00})[2] == 0x00);
    CHECK(dispatch_bytes(d, b, {0x18, 0x22})[2] == 0x00);
    b.at += 600ms;
    poll_watchdog(b);
    CHECK(b.sel.empty());
    const bytes ev = dispatch_bytes(d, b, {0x18, 0x35});
    REQUIRE(ev.size() == 19);
    CHECK((ev[3] | ev[4]) == 0x00);
    CHECK(ev[3 + 13] == 0xC1);  // hard reset
  }

  TEST_CASE("bmc controller: Platform Event Message from the system interface and from LAN, logged as sent") {
    auto d = make_dispatcher();
    my_bmc b;
    // ipmitool `event 1` in-band: generator 41h, EvM 04h, temperature sensor 30h, threshold, UNC.
    CHECK(dispatch_bytes(d, b, {0x10, 0x02, 0x41, 0x04, 0x01, 0x30, 0x01, 0x57, 0x2A}) == bytes{0x14, 0x02, 0x00});
    REQUIRE(b.sel.size() == 1);
    const auto r = b.sel.at(0);
    CHECK(r.generator_address == 0x40);
    CHECK(r.software_generator);
    CHECK(r.generator_channel == 0);
    CHECK(r.sensor_type == 0x01);
    CHECK(r.sensor_number == 0x30);
    CHECK(r.event_type == 0x01);
    CHECK(r.event_data == std::array<std::uint8_t, 3>{0x57, 0x2A, 0xFF});  // data 3 not sent: unspecified
    CHECK(r.timestamp == 0x61000000);
    // The LAN form has no generator ID: a remote console's, with the channel.
    CHECK(dispatch_bytes(d, b, {0x10, 0x02, 0x04, 0x01, 0x30, 0x81, 0x57}, lan_operator) == bytes{0x14, 0x02, 0x00});
    REQUIRE(b.sel.size() == 2);
    CHECK(b.sel.at(1).generator_address == 0x80);
    CHECK(b.sel.at(1).generator_channel == 1);
    CHECK(b.sel.at(1).deassertion);
    // Logging off: received, not logged.
    CHECK(dispatch_bytes(d, b, {0x18, 0x2E, 0x00})[2] == 0x00);
    CHECK(dispatch_bytes(d, b, {0x10, 0x02, 0x41, 0x04, 0x01, 0x30, 0x01, 0x57})[2] == 0x00);
    CHECK(b.sel.size() == 2);
  }

  TEST_CASE("bmc controller: refusals, by name") {
    auto d = make_dispatcher();
    my_bmc b;
    SUBCASE("a reserved global enables bit: CCh, nothing changes") {
      CHECK(dispatch_bytes(d, b, {0x18, 0x2E, 0x10}) == bytes{0x1C, 0x2E, static_cast<std::uint8_t>(completion_code::invalid_data_field)});
      CHECK(b.mc.global_enables() == test::make<cmd::bmc_global_enables>([](auto& e) { e.system_event_logging = true; }));
    }
    SUBCASE("wrong lengths: C7h") {
      const auto length = static_cast<std::uint8_t>(completion_code::request_data_length_invalid);
      CHECK(cc(dispatch_bytes(d, b, {0x18, 0x01, 0x00})) == length);
      CHECK(cc(dispatch_bytes(d, b, {0x18, 0x2E})) == length);
      CHECK(cc(dispatch_bytes(d, b, {0x18, 0x30})) == length);
      CHECK(cc(dispatch_bytes(d, b, {0x18, 0x30, 0x02, 0x00})) == length);
      CHECK(cc(dispatch_bytes(d, b, {0x18, 0x35, 0x00})) == length);
      CHECK(cc(dispatch_bytes(d, b, {0x10, 0x02, 0x41, 0x04, 0x01, 0x30})) == length);  // no event data 1
    }
    SUBCASE("privilege: the driver's commands need administrator, the event operator: D4h") {
      const auto denied = static_cast<std::uint8_t>(completion_code::insufficient_privilege);
      CHECK(cc(dispatch_bytes(d, b, {0x18, 0x2E, 0x0F}, lan_operator)) == denied);
      CHECK(cc(dispatch_bytes(d, b, {0x18, 0x30, 0x02}, lan_operator)) == denied);
      CHECK(cc(dispatch_bytes(d, b, {0x18, 0x35}, lan_operator)) == denied);
      CHECK(cc(dispatch_bytes(d, b, {0x10, 0x02, 0x04, 0x01, 0x30, 0x01, 0x57}, lan_user)) == denied);
      CHECK(cc(dispatch_bytes(d, b, {0x18, 0x2F}, lan_user)) == 0x00);
      CHECK(cc(dispatch_bytes(d, b, {0x18, 0x31}, lan_user)) == 0x00);
    }
    SUBCASE("registering twice, or without room: duplicate, full, nothing added") {
      CHECK(bmc::add_controller_commands<&my_bmc::mc>(d) == bmc::add_error::duplicate);
      CHECK(bmc::add_event_receiver_commands<&my_bmc::mc, &my_bmc::sel>(d) == bmc::add_error::duplicate);
      bmc::dispatcher<my_bmc, 6> small;
      CHECK(bmc::add_controller_commands<&my_bmc::mc>(small) == bmc::add_error::full);
      CHECK(small.entries().empty());
      CHECK(bmc::name(bmc::event_post::buffer_full) == "buffer_full");
    }
    SUBCASE("without a watchdog member the pre-timeout flag is never reported") {
      bmc::dispatcher<my_bmc, 8> alone;
      REQUIRE(bmc::add_controller_commands<&my_bmc::mc>(alone) == bmc::add_error::ok);
      b.wd.set(test::make<cmd::set_watchdog_timer::request>([](auto& r) {
                 r.timer_use = cmd::watchdog_timer_use::sms_os;
                 r.pretimeout_interrupt = cmd::watchdog_pretimeout_interrupt::messaging;
                 r.initial_countdown = 1;
               }),
               b.at);
      REQUIRE(b.wd.reset(b.at) == completion_code::success);
      b.at += 1s;
      poll_watchdog(b);
      REQUIRE(b.wd.pretimeout_flag());
      CHECK(dispatch_bytes(alone, b, {0x18, 0x31}) == bytes{0x1C, 0x31, 0x00, 0x00});
    }
  }

  TEST_CASE("bmc controller: enables, an event, flags and the buffer in constant evaluation") {
    test::check_at_compile_time([] {
      mc_dispatcher d;
      if (bmc::add_controller_commands<&my_bmc::mc, &my_bmc::wd>(d) != bmc::add_error::ok) return false;
      if (bmc::add_event_receiver_commands<&my_bmc::mc, &my_bmc::sel>(d) != bmc::add_error::ok) return false;
      my_bmc b;
      std::array<std::uint8_t, 32> out{};
      const std::array<std::uint8_t, 3> enable{0x18, 0x2E, 0x0C};
      if (d.dispatch(b, enable, {}, out).code != completion_code::success) return false;
      const std::array<std::uint8_t, 9> event{0x10, 0x02, 0x41, 0x04, 0x01, 0x30, 0x01, 0x57, 0x2A};
      if (d.dispatch(b, event, {}, out).code != completion_code::success) return false;
      if (b.sel.size() != 1 || !b.mc.buffer_full()) return false;
      const std::array<std::uint8_t, 2> flags{0x18, 0x31};
      if (d.dispatch(b, flags, {}, out).size != 4 || out[3] != 0x02) return false;
      const auto c = b.mc.take_changes(false, true);
      if (!c.attention || !c.attention->on || c.attention->interrupt) return false;
      const std::array<std::uint8_t, 2> read{0x18, 0x35};
      const auto r = d.dispatch(b, read, {}, out);
      return r.size == 19 && out[3] == 0x01 && out[3 + 11] == 0x30 && !b.mc.buffer_full();
    });
  }
}
