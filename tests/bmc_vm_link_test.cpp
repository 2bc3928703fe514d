// bmc::vm_link (include/ipmikit/bmc/vm_link.hpp) between a vm::bmc_session and the
// vm::emulator_session QEMU runs, joined in memory with the test clock: requests answered by the
// dispatcher with their message ids; the watchdog's pre-timeout and each expiry action carried
// out on the VM and logged in the SEL (or not, with "don't log"); attention and its interrupt
// told before the response that changes them, and again when the emulator re-announces itself
// (a NOATTN the full output refused, with the next change); a response the session cannot take,
// and an action it refuses, counted. Then
// bmc::make_dispatcher (dispatcher.hpp): its tables registered at compile time, dispatching as
// the same tables registered at run time (that a table which cannot be registered does not
// compile is tests/make_dispatcher_compile_fail.cmake's check).
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <ipmikit/bmc/controller.hpp>
#include <ipmikit/bmc/dispatcher.hpp>
#include <ipmikit/bmc/sel.hpp>
#include <ipmikit/bmc/vm_link.hpp>
#include <ipmikit/bmc/watchdog.hpp>
#include <ipmikit/vm/session.hpp>

#include "bmc_support.hpp"
#include "session_exchange.hpp"
#include "test_support.hpp"

using namespace ipmikit;
using namespace ipmikit::test::bmc_names;

namespace {

constexpr tp t0 = tp{} + std::chrono::seconds(0x61000000);
constexpr std::uint8_t wd_sensor = 0x42;  // the link's config::watchdog_sensor

// Get Device ID's response for test::controller_identity(), as bmc_controller_test.cpp has it byte for byte.
const bytes device_id_response{0x1C, 0x01, 0x00, 0x21, 0x03, 0x02, 0x15, 0x02, 0x84, 0xA2, 0xA0, 0x00, 0x01, 0x02};

struct link_bmc {
  bmc::controller mc{test::controller_identity()};
  bmc::basic_watchdog<test_clock> wd{};
  bmc::basic_sel<4, test_clock> sel{};
  tp at = t0;
  [[nodiscard]] constexpr tp now() const { return at; }
};

// The controller's 7, the watchdog's 3 and the SEL's 8 commands, registered at compile time.
constexpr std::size_t table_room = 24;
using link_dispatcher = bmc::dispatcher<link_bmc, table_room>;
constexpr auto controller_table = bmc::add_controller_commands<&link_bmc::mc, &link_bmc::wd>;
constexpr auto watchdog_table = bmc::add_watchdog_commands<&link_bmc::wd>;
constexpr auto sel_table = bmc::add_sel_commands<&link_bmc::sel>;
constexpr link_dispatcher compiled =
    bmc::make_dispatcher<link_bmc, table_room>(controller_table, watchdog_table, sel_table);

/// The items, joined with ", ".
std::string joined(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) {
    if (!s.empty()) s += ", ";
    s += i;
  }
  return s;
}

/// What the emulator session decoded of the BMC's output, in stream order: "RESET",
/// "response 07: 1C 01 00 …" (" local" when the session answered itself).
struct qemu_log {
  std::vector<std::string> items;
  std::vector<vm::protocol_event> problems;

  void operator()(const vm::response_event& r) {
    items.push_back("response " + test::to_hex(std::span(&r.msg_id, 1)) + ": " + test::to_hex(r.body) +
                    (r.local ? " local" : ""));
  }
  void operator()(const vm::hardware_event& h) { items.emplace_back(vm::name(h.code)); }
  void operator()(const vm::protocol_event& p) { problems.push_back(p); }
  void operator()(const auto&) {}  // VERSION

  /// Everything since the last call, joined with ", ".
  std::string take() {
    std::string s = joined(items);
    items.clear();
    return s;
  }
};

/// One BMC built on a vm_link, its session's emulator end, and the clock. The BMC session has
/// no command gap, so everything it queues reaches the emulator at once, in order.
template <std::size_t Outbound = 2048>
struct rig {
  using bmc_end = vm::bmc_session<test_clock, Outbound>;
  using emulator = vm::emulator_session<test_clock>;
  using link_type = bmc::vm_link<bmc_end, link_bmc, table_room, bmc::basic_watchdog<test_clock>,
                                 bmc::basic_sel<4, test_clock>>;

  link_bmc b;
  link_dispatcher d = compiled;
  bmc_end vm_side;
  emulator qemu;
  link_type link{vm_side, d, b, b.mc, b.wd, b.sel, {.from = {}, .watchdog_sensor = wd_sensor}};
  qemu_log seen;
  std::uint8_t next_id = 1;

  explicit rig(vm::capabilities caps = vm::qemu_capabilities) : vm_side(no_gap()), qemu(announcing(caps)) {
    vm_side.connect(b.at, link);
    qemu.connect(b.at, seen);
    pump();
  }

  static typename bmc_end::config no_gap() {
    typename bmc_end::config c;
    c.command_gap = {};
    return c;
  }
  static typename emulator::config announcing(vm::capabilities caps) {
    typename emulator::config c;
    c.caps = caps;
    return c;
  }

  /// Moves bytes both ways until neither side has any left.
  void pump() {
    for (int i = 0; i < 16; ++i) {
      const std::size_t moved = test::relay(qemu, vm_side, b.at, link, 8) + test::relay(vm_side, qemu, b.at, seen, 8);
      if (moved == 0) return;
    }
    FAIL("the sessions did not settle");
  }

  /// Sends `request` from the emulator as `msg_id` and moves the bytes both ways.
  void send(std::uint8_t msg_id, const bytes& request) {
    REQUIRE(qemu.send_request(msg_id, request, b.at, seen) == vm::session_error::ok);
    pump();
  }
  /// Sends `request` with the next message id; returns what the emulator decoded meanwhile.
  std::string ask(const bytes& request) {
    send(next_id++, request);
    return seen.take();
  }
  /// The clock moves on; the watchdog is polled with the link as its handler.
  std::string advance(test_clock::duration by) {
    b.at += by;
    b.wd.poll(b.at, link);
    pump();
    return seen.take();
  }
};

/// Whether `d` registered the command (a function, not `d.find(…) != nullptr` in a
/// static_assert: g++ 12 warns that the address of a constant's element is never null).
template <class Dispatcher>
constexpr bool holds(const Dispatcher& d, netfn function, std::uint8_t code) {
  return d.find(function, code) != nullptr;
}

/// "response NN: " for message id `id`, and the body in hex.
std::string response(std::uint8_t id, const bytes& body) {
  return "response " + test::to_hex(std::span(&id, 1)) + ": " + test::to_hex(body);
}

// Set Watchdog Timer (IPMI v2.0 §27.6): byte 1 timer use (b7 don't log), byte 2 pre-timeout
// interrupt [6:4] and timeout action [2:0], byte 3 the pre-timeout interval in seconds, byte 4
// the expiration flags to clear, bytes 5-6 the countdown in 100 ms.
constexpr std::uint8_t sms_os = 0x04, dont_log = 0x80;
constexpr std::uint8_t pre_nmi = 0x20, pre_messaging = 0x30;
bytes set_watchdog(std::uint8_t use, std::uint8_t interrupt_action, std::uint8_t interval_s, std::uint16_t tenths) {
  return {0x18, 0x24, use, interrupt_action, interval_s, 0x00, static_cast<std::uint8_t>(tenths & 0xFF),
          static_cast<std::uint8_t>(tenths >> 8)};
}
const bytes reset_watchdog{0x18, 0x22};
const bytes clear_watchdog_flag{0x18, 0x30, 0x08};  // Clear Message Flags: the pre-timeout flag

/// Arms the watchdog through the emulator: Set, then Reset (the countdown starts at b.at).
template <class Rig>
void arm(Rig& r, std::uint8_t use, std::uint8_t interrupt_action, std::uint8_t interval_s, std::uint16_t tenths) {
  REQUIRE(r.ask(set_watchdog(use, interrupt_action, interval_s, tenths)).ends_with(": 1C 24 00"));
  REQUIRE(r.ask(reset_watchdog).ends_with(": 1C 22 00"));
}

/// The SEL's i-th record is the Watchdog 2 event `offset` with the link's sensor number.
template <class Sel>
void check_watchdog_record(const Sel& sel, std::size_t i, std::uint8_t offset, std::uint8_t interrupt_and_use) {
  REQUIRE(sel.size() > i);
  const cmd::sel_record rec = sel.at(i);
  CHECK(rec.sensor_type == bmc::watchdog2_sensor_type);
  CHECK(rec.sensor_number == wd_sensor);
  CHECK(rec.event_type == bmc::sensor_specific_event_type);
  CHECK(rec.generator_address == bmc::bmc_generator_address);
  CHECK(rec.event_data == std::array<std::uint8_t, 3>{static_cast<std::uint8_t>(0xC0 | offset), interrupt_and_use, 0xFF});
}

}  // namespace

TEST_SUITE("bmc") {
  TEST_CASE("bmc vm_link: a request is answered by the dispatcher under its message id") {
    rig r;
    r.send(0x07, {0x18, 0x01});
    CHECK(r.seen.take() == response(0x07, device_id_response));
    // Message ids the wire escapes come back as they went.
    r.send(0xA0, {0x18, 0x77});  // no such command: C1
    CHECK(r.seen.take() == response(0xA0, {0x1C, 0x77, 0xC1}));
    r.send(0xAA, {0x18, 0x01, 0x00});  // Get Device ID takes no data: C7
    CHECK(r.seen.take() == response(0xAA, {0x1C, 0x01, 0xC7}));
    CHECK(r.link.stats().requests == 3);
    CHECK(r.link.stats().unanswered == 0);
    CHECK(r.link.stats().dropped_responses == 0);
    CHECK(r.d.stats().requests == 3);
    CHECK(r.seen.problems.empty());
  }

  TEST_CASE("bmc vm_link: a message with a response's netfn is not answered") {
    rig r;
    // Through the session: it reports the message and the link never sees it; the emulator
    // times its request out itself.
    r.send(0x09, {0x1C, 0x01});
    CHECK(r.vm_side.stats().count(vm::protocol_problem::unexpected_response) == 1);
    CHECK(r.seen.take().empty());
    CHECK(r.link.stats().requests == 0);
    r.b.at += 4s;
    r.qemu.poll(r.b.at, r.seen);
    CHECK(r.seen.take() == response(0x09, {0x1C, 0x01, 0xC3}) + " local");
    // Handed to the link directly: counted as unanswered, and nothing is sent.
    const bytes odd{0x1C, 0x01};
    r.link(vm::request_event{0x0A, odd});
    CHECK(r.link.stats().requests == 1);
    CHECK(r.link.stats().unanswered == 1);
    CHECK(r.d.stats().not_requests == 1);
    CHECK(r.vm_side.pending().empty());
  }

  TEST_CASE("bmc vm_link: the pre-timeout NMI reaches the VM and the SEL holds its Watchdog 2 event") {
    rig r;
    arm(r, sms_os, pre_nmi | 0x01, 1, 30);  // hard reset after 3 s, NMI 1 s before
    CHECK(r.advance(1900ms).empty());
    CHECK(r.b.sel.size() == 0);
    CHECK(r.advance(100ms) == "SEND_NMI");
    REQUIRE(r.b.sel.size() == 1);
    check_watchdog_record(r.b.sel, 0, bmc::watchdog2_timer_interrupt, 0x24);  // NMI (2), SMS/OS (4)
    CHECK(r.b.sel.at(0).timestamp == r.b.sel.time(r.b.at));
    CHECK(r.link.stats().events_logged == 1);
    CHECK(r.link.stats().actions == 1);
    CHECK(r.link.stats().actions_refused == 0);
    CHECK(r.advance(1s) == "RESET");
    check_watchdog_record(r.b.sel, 1, 0x01, 0x24);
    CHECK(r.link.stats().events_logged == 2);
    CHECK(r.link.stats().actions == 2);
  }

  TEST_CASE("bmc vm_link: each timeout action is carried out and logged with its offset; 'don't log' only skips the SEL") {
    struct expiry {
      std::uint8_t action;  // Set Watchdog Timer byte 2 [2:0], and the Watchdog 2 offset
      const char* sent;     // what the VM receives
    };
    // Power cycle is a RESET: the VM protocol has no power-on (vm_link.hpp says why).
    const expiry cases[] = {{0x00, ""}, {0x01, "RESET"}, {0x02, "POWEROFF"}, {0x03, "RESET"}};
    for (const expiry& c : cases) {
      for (const bool quiet : {false, true}) {
        CAPTURE(static_cast<int>(c.action));
        CAPTURE(quiet);
        rig r;
        arm(r, static_cast<std::uint8_t>(sms_os | (quiet ? dont_log : 0)), c.action, 0, 10);
        CHECK(r.advance(999ms).empty());
        CHECK(r.advance(1ms) == c.sent);
        CHECK(r.b.wd.expiration_flags().to_byte() == 0x10);  // SMS/OS expired
        if (quiet) {
          CHECK(r.b.sel.size() == 0);
          CHECK(r.link.stats().events_logged == 0);
        } else {
          REQUIRE(r.b.sel.size() == 1);
          check_watchdog_record(r.b.sel, 0, c.action, 0x04);
          CHECK(r.link.stats().events_logged == 1);
        }
        CHECK(r.link.stats().actions == (c.action == 0 ? 0u : 1u));
        CHECK(r.link.stats().actions_refused == 0);
      }
    }
  }

  TEST_CASE("bmc vm_link: a messaging pre-timeout raises attention; Clear Message Flags drops it before its response") {
    SUBCASE("without the interrupt: the guest did not enable it") {
      rig r;
      arm(r, sms_os, pre_messaging, 1, 20);
      CHECK(r.advance(1s) == "ATTN");
      CHECK(r.b.sel.size() == 1);
      CHECK(r.ask({0x18, 0x31}) == response(3, {0x1C, 0x31, 0x00, 0x08}));  // Get Message Flags: attention stays
      CHECK(r.ask(clear_watchdog_flag) == joined({"NOATTN", response(4, {0x1C, 0x30, 0x00})}));
      CHECK(r.ask({0x18, 0x31}) == response(5, {0x1C, 0x31, 0x00, 0x00}));
    }
    SUBCASE("with the interrupt the guest enabled, on a VM that has one") {
      rig r;
      // Set BMC Global Enables: receive message queue interrupt (b0) and event logging (b3).
      CHECK(r.ask({0x18, 0x2E, 0x09}) == joined({"ENABLE_IRQ", response(1, {0x1C, 0x2E, 0x00})}));
      arm(r, sms_os, pre_messaging, 1, 20);
      CHECK(r.advance(1s) == "ATTN_IRQ");
      CHECK(r.ask(clear_watchdog_flag) == joined({"NOATTN", response(4, {0x1C, 0x30, 0x00})}));
      CHECK(r.ask({0x18, 0x2E, 0x08}) == joined({"DISABLE_IRQ", response(5, {0x1C, 0x2E, 0x00})}));
    }
    SUBCASE("the guest enabled the interrupt, but the VM has none") {
      rig r(vm::capabilities::from_byte(vm::qemu_capabilities.to_byte() & ~0x04u));
      CHECK(r.ask({0x18, 0x2E, 0x09}) == response(1, {0x1C, 0x2E, 0x00}));
      arm(r, sms_os, pre_messaging, 1, 20);
      CHECK(r.advance(1s) == "ATTN");
      CHECK(r.ask(clear_watchdog_flag) == joined({"NOATTN", response(4, {0x1C, 0x30, 0x00})}));
    }
  }

  TEST_CASE("bmc vm_link: the emulator announcing its capabilities again is shown attention again while a flag is set") {
    rig r;
    arm(r, sms_os, pre_messaging, 1, 20);
    CHECK(r.advance(1s) == "ATTN");
    // QEMU reconnects: it forgot SMS_ATN with the old connection.
    r.vm_side.connect(r.b.at, r.link);
    r.qemu.connect(r.b.at, r.seen);
    r.pump();
    CHECK(r.seen.take() == "ATTN");
    CHECK(r.link.stats().requests == 2);
    // Capabilities again on the same connection: attention again.
    const bytes caps{0x08, 0x3F, 0xA1};
    r.vm_side.receive(caps, r.b.at, r.link);
    r.pump();
    CHECK(r.seen.take() == "ATTN");
    // Once the flag is clear, a reconnect shows nothing.
    CHECK(r.ask(clear_watchdog_flag) == joined({"NOATTN", response(3, {0x1C, 0x30, 0x00})}));
    r.vm_side.connect(r.b.at, r.link);
    r.qemu.connect(r.b.at, r.seen);
    r.pump();
    CHECK(r.seen.take().empty());
  }

  TEST_CASE("bmc vm_link: a response the session cannot take is dropped and its message id forgotten") {
    // An outbound buffer of one largest frame, never drained while requests arrive.
    rig<vm::max_message_frame_size(vm::max_message_size)> r;
    const bytes get_device_id{0x18, 0x01};
    std::uint8_t dropped = 0;
    for (std::uint8_t id = 1; id < 100 && dropped == 0; ++id) {
      r.vm_side.receive(test::reference_message_frame(id, get_device_id), r.b.at, r.link);
      if (r.link.stats().dropped_responses != 0) dropped = id;
    }
    REQUIRE(dropped > 1);
    CHECK(r.link.stats().dropped_responses == 1);
    CHECK(r.link.stats().requests == dropped);
    CHECK(r.vm_side.stats().would_block == 1);
    CHECK_FALSE(r.vm_side.awaiting_response(dropped));
    CHECK(r.vm_side.stats().responses == dropped - 1u);
    // Drained: the emulator, which sent none of them, decodes every response but that one.
    r.pump();
    REQUIRE(r.seen.problems.size() == dropped - 1u);
    for (std::size_t i = 0; i < r.seen.problems.size(); ++i) {
      CHECK(r.seen.problems[i].problem == vm::protocol_problem::unexpected_response);
      CHECK(static_cast<std::size_t>(r.seen.problems[i].msg_id) == i + 1);
    }
    // The id again, now that there is room: answered, once.
    r.send(dropped, {0x18, 0x01});
    CHECK(r.seen.take() == response(dropped, device_id_response));
    CHECK(r.link.stats().dropped_responses == 1);
  }

  TEST_CASE("bmc vm_link: NOATTN the session cannot take is sent with the next change, not forgotten") {
    rig<vm::max_message_frame_size(vm::max_message_size)> r;
    arm(r, sms_os, pre_messaging, 1, 20);
    REQUIRE(r.advance(1s) == "ATTN");
    // Requests the emulator did not send fill the BMC's output to its last byte or the one
    // before (so that NOATTN, two bytes, cannot follow): short answers whose frames are 6, 7
    // and 8 bytes without escapes, each chosen to leave a room the others can still fill.
    struct filler {
      bytes request, response;
    };
    const filler fillers[] = {{{0x18, 0x77}, {0x1C, 0x77, 0xC1}},                    // unknown: C1
                              {{0x18, 0x2F}, {0x1C, 0x2F, 0x00, 0x08}},              // Get BMC Global Enables
                              {{0x18, 0x04}, {0x1C, 0x04, 0x00, 0x55, 0x00}}};       // Get Self Test Results
    const auto frame_size = [](std::uint8_t id, const bytes& body) {
      std::array<std::uint8_t, 32> out{};
      return vm::encode_message(out, id, body).size;
    };
    std::uint8_t id = 0x10;
    for (int guard = 0; guard < 400 && r.vm_side.outbound_room() > 1; ++guard, ++id) {
      const std::size_t room = r.vm_side.outbound_room();
      const filler* pick = nullptr;
      for (const filler& f : fillers) {
        const std::size_t size = frame_size(id, f.response);
        if (size > room || size != f.response.size() + 3) continue;  // escaped: another id
        const std::size_t left = room - size;
        if (left <= 1 || (room >= 18 && &f == &fillers[0]) || (room < 18 && left >= 6 && left <= 9)) pick = &f;
        if (pick != nullptr) break;
      }
      if (pick != nullptr) r.vm_side.receive(test::reference_message_frame(id, pick->request), r.b.at, r.link);
    }
    REQUIRE(r.vm_side.outbound_room() <= 1);
    REQUIRE(r.link.stats().dropped_responses == 0);
    // Clear Message Flags: the flag clears, but neither NOATTN nor the response fits.
    r.vm_side.receive(test::reference_message_frame(id, clear_watchdog_flag), r.b.at, r.link);
    CHECK(r.link.stats().dropped_responses == 1);
    CHECK_FALSE(r.b.wd.pretimeout_flag());
    r.pump();
    CHECK(r.seen.take().empty());  // the emulator still shows attention
    // The next request finds room: NOATTN goes out before its response.
    CHECK(r.ask({0x18, 0x31}) == joined({"NOATTN", response(3, {0x1C, 0x31, 0x00, 0x00})}));
  }

  TEST_CASE("bmc vm_link: an action the session refuses is counted and nothing is sent") {
    SUBCASE("not connected") {
      rig r;
      arm(r, sms_os, 0x01, 0, 10);  // hard reset after 1 s
      r.vm_side.disconnect(r.b.at, r.link);
      CHECK(r.advance(1s).empty());
      CHECK(r.vm_side.pending().empty());
      CHECK(r.link.stats().actions == 0);
      CHECK(r.link.stats().actions_refused == 1);
      CHECK(r.b.sel.size() == 1);  // logged all the same
    }
    SUBCASE("the VM lacks NMI and RESET") {
      rig r(vm::capabilities::from_byte(vm::qemu_capabilities.to_byte() & ~0x0Au));
      arm(r, sms_os, pre_nmi | 0x01, 1, 20);
      CHECK(r.advance(1s).empty());
      CHECK(r.advance(1s).empty());
      CHECK(r.vm_side.pending().empty());
      CHECK(r.link.stats().actions == 0);
      CHECK(r.link.stats().actions_refused == 2);
      CHECK(r.link.stats().events_logged == 2);
    }
  }

  TEST_CASE("bmc make_dispatcher: the tables registered at compile time, in order, dispatching as at run time") {
    static_assert(compiled.entries().size() == 7 + 3 + 8);
    static_assert(compiled.entries().front().id == commands::get_device_id);  // the controller's table first
    static_assert(compiled.entries()[7].id == commands::reset_watchdog_timer);
    static_assert(compiled.entries().back().id == commands::set_sel_time);
    static_assert(holds(compiled, netfn::app, 0x24) && compiled.find(netfn::app, 0x24)->required == bmc::privilege::operator_);
    static_assert(holds(compiled, netfn::storage, 0x40));
    static_assert(!holds(compiled, netfn::app, 0x77));
    static_assert(compiled.stats().requests == 0);
    // A lambda is a table too.
    static constexpr auto one = bmc::make_dispatcher<link_bmc, 1>([](auto& d) {
      return d.add({commands::cold_reset, 0, 0, bmc::privilege::administrator,
                    [](link_bmc&, const bmc::request&, std::span<std::uint8_t>) { return bmc::reply{}; }});
    });
    static_assert(one.entries().size() == 1 && holds(one, netfn::app, 0x02));

    link_dispatcher at_run_time;
    REQUIRE(controller_table(at_run_time) == bmc::add_error::ok);
    REQUIRE(watchdog_table(at_run_time) == bmc::add_error::ok);
    REQUIRE(sel_table(at_run_time) == bmc::add_error::ok);
    link_dispatcher at_compile_time = compiled;
    link_bmc a, b;
    const bytes requests[] = {{0x18, 0x01}, {0x18, 0x04}, {0x18, 0x77}, {0x18, 0x01, 0x00}, {0x18, 0x25},
                              set_watchdog(sms_os, 0x01, 0, 50), reset_watchdog, {0x18, 0x25},
                              {0x28, 0x40}, {0x28, 0x42}, {0x18, 0x2E, 0x0C}, {0x18, 0x2F}, {0x18, 0x31}};
    for (const bytes& rq : requests) {
      CAPTURE(test::to_hex(rq));
      CHECK(dispatch_bytes(at_compile_time, a, rq) == dispatch_bytes(at_run_time, b, rq));
    }
    CHECK(at_compile_time.stats().handled == at_run_time.stats().handled);
    CHECK(at_compile_time.stats().unknown == 1);
    CHECK(dispatch_bytes(at_compile_time, a, {0x18, 0x01}) == device_id_response);
  }

  TEST_CASE("bmc make_dispatcher: a dispatcher it builds answers in constant evaluation") {
    test::check_at_compile_time([] {
      auto d = bmc::make_dispatcher<link_bmc, table_room>(controller_table, watchdog_table, sel_table);
      link_bmc b;
      std::array<std::uint8_t, 32> out{};
      const std::array<std::uint8_t, 2> get_device_id{0x18, 0x01};
      const auto r = d.dispatch(b, get_device_id, {}, out);
      return r.size == 14 && out[2] == 0x00 && out[3] == 0x21 && d.stats().handled == 1;
    });
  }
}
