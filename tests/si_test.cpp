// tests/si_test.cpp — what every system interface promises (include/ipmikit/si/interface.hpp),
// checked once over KCS, BT and SSIF: request ids, refused responses, abandoned requests
// reported, reset(), attention and interrupts; the host cases over the register interfaces (KCS
// and BT: SSIF's host is ssif_host_test.cpp's); and the emulator bridge (si/bridge.hpp) over
// every device:
// forwarding, routing back, dropping the answer to an abandoned request, local answers, the
// BMC's hardware commands, a response too long for the device, a full outbound buffer.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <set>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include <ipmikit/si/bridge.hpp>

#include "scripted_bmc.hpp"
#include "session_exchange.hpp"
#include "si_interfaces.hpp"
#include "test_support.hpp"

namespace {

using namespace ipmikit;
using namespace std::chrono_literals;
using test::bytes;
using clk = std::chrono::steady_clock;

const bytes get_device_id = {0x18, 0x01};
const bytes device_id_answer = {0x1C, 0x01, 0x00, 0x20, 0x81, 0x02, 0x17};

static_assert(si::device<kcs::device> && si::device<bt::device> && si::device<ssif::device>);
static_assert(si::device<kcs::basic_device<16>> && si::device<bt::basic_device<16>>);
static_assert(si::host_machine<kcs::host> && si::host_machine<bt::host> && si::host_machine<ssif::host>);
static_assert(!si::device<kcs::host> && !si::host_machine<kcs::device>);

// The event values are bits: a replaced request is a new request and a cancelled one.
static_assert(si::has_new_request(si::event::request_ready) && !si::cancels_request(si::event::request_ready));
static_assert(si::has_new_request(si::event::request_replaced) && si::cancels_request(si::event::request_replaced));
static_assert(!si::has_new_request(si::event::request_cancelled) && si::cancels_request(si::event::request_cancelled));
static_assert(!si::has_new_request(si::event::request_rejected) && !si::cancels_request(si::event::request_rejected));
static_assert(!si::has_new_request(si::event::bmc_reset_requested) && !si::cancels_request(si::event::none));

// A bridge over a device and an emulator session, with a BMC session at the other end of an
// in-memory wire; `events` collects what the bridge hands to the caller.
template <class Iface, class Device = typename Iface::device, std::size_t Outbound = 2048>
struct rig {
  Device device;
  vm::emulator_session<clk, Outbound> emulator;
  vm::bmc_session<clk> bmc{vm::bmc_session<clk>::config{.command_gap = clk::duration::zero()}};
  si::emulator_bridge<Device, vm::emulator_session<clk, Outbound>> bridge{device, emulator};
  clk::time_point now{};
  std::vector<bytes> bmc_requests;  // request bodies the BMC received
  std::vector<std::uint8_t> bmc_ids;
  std::vector<vm::command> commands;  // hardware commands the caller was handed
  std::vector<bytes> responses;       // responses the caller was handed

  explicit rig(bool connect = true) {
    if (connect) {
      bridge.connect(now, on_event());
      bmc.connect(now, si::ignore_events{});
      to_bmc();  // the emulator's VERSION and CAPABILITIES: the BMC may now send commands
    }
  }

  auto on_event() {
    return [this](const auto& e) {
      using E = std::decay_t<decltype(e)>;
      if constexpr (std::is_same_v<E, vm::hardware_event>) commands.push_back(e.code);
      if constexpr (std::is_same_v<E, vm::response_event>) responses.emplace_back(e.body.begin(), e.body.end());
    };
  }

  // Emulator → BMC: the BMC records each request.
  void to_bmc() {
    test::relay(emulator, bmc, now, [this](const auto& e) {
      if constexpr (std::is_same_v<std::decay_t<decltype(e)>, vm::request_event>) {
        bmc_requests.emplace_back(e.body.begin(), e.body.end());
        bmc_ids.push_back(e.msg_id);
      }
    }, 8);
  }

  // BMC → emulator, through the bridge.
  void to_emulator() { test::relay(bmc, bridge, now, on_event(), 8); }

  void answer_last(const bytes& body) {
    REQUIRE(!bmc_ids.empty());
    REQUIRE(bmc.respond(bmc_ids.back(), body) == vm::session_error::ok);
    to_emulator();
  }
};

}  // namespace

TEST_SUITE("si") {
  // --- the device contract -------------------------------------------------------------------

  TEST_CASE_TEMPLATE("si device: each request gets a new id; respond() refuses what it must and changes nothing",
                     Iface, IPMIKIT_SYSTEM_INTERFACES) {
    typename Iface::device d;
    CHECK(d.respond(0, device_id_answer) == si::device_error::no_request);
    CHECK(Iface::write_request(d, get_device_id) == si::event::request_ready);
    const auto r = d.pending_request();
    REQUIRE(r);
    CHECK(bytes(r->bytes.begin(), r->bytes.end()) == get_device_id);
    CHECK(d.respond(r->id + 1, device_id_answer) == si::device_error::stale_request);
    CHECK(d.respond(r->id, bytes{0x1C, 0x01}) == si::device_error::response_too_short);
    CHECK(d.respond(r->id, bytes(d.capacity + 1, 0x1C)) == si::device_error::response_too_long);
    CHECK(d.stats().responses_refused == 4);
    REQUIRE(d.pending_request());  // nothing changed
    CHECK(d.pending_request()->id == r->id);
    CHECK(d.respond(r->id, device_id_answer) == si::device_error::ok);
    CHECK(Iface::read_response(d) == device_id_answer);
    CHECK(d.respond(r->id, device_id_answer) == si::device_error::no_request);
    CHECK(Iface::write_request(d, get_device_id) == si::event::request_ready);
    CHECK(d.pending_request()->id != r->id);
    CHECK(d.stats().requests == 2);
    CHECK(d.stats().responses == 1);
  }

  TEST_CASE_TEMPLATE("si device: a request the host abandons is reported, counted, and its answer refused",
                     Iface, IPMIKIT_SYSTEM_INTERFACES) {
    typename Iface::device d;
    REQUIRE(Iface::write_request(d, bytes{0x18, 0x3A, 0x01}) == si::event::request_ready);
    const auto old_id = d.pending_request()->id;
    const si::event e = Iface::abandon(d);
    CAPTURE(si::name(e));
    CHECK(si::cancels_request(e));
    CHECK(d.stats().cancelled == 1);
    CHECK(d.respond(old_id, bytes{0x1C, 0x3A, 0x00, 0x01}) != si::device_error::ok);
    // Nothing of the old request reaches the host.
    CHECK(Iface::read_response(d).empty());
  }

  TEST_CASE_TEMPLATE("si device: reset() reports an unfinished request, keeps statistics and ids counting",
                     Iface, IPMIKIT_SYSTEM_INTERFACES) {
    typename Iface::device d;
    CHECK(d.reset() == si::event::none);  // nothing to abandon
    CHECK(d.stats().cancelled == 0);

    // An unanswered request.
    REQUIRE(Iface::write_request(d, get_device_id) == si::event::request_ready);
    const auto first = d.pending_request()->id;
    d.set_attention(true, true);
    d.set_interrupts_enabled(true);
    CHECK(d.reset() == si::event::request_cancelled);
    CHECK(d.stats().cancelled == 1);
    CHECK(d.stats().requests == 1);
    CHECK_FALSE(d.pending_request());
    CHECK_FALSE(d.attention());
    CHECK_FALSE(d.interrupts_enabled());
    CHECK_FALSE(d.irq());
    CHECK(d.respond(first, device_id_answer) == si::device_error::no_request);

    // An answered request whose response the host has not read yet.
    REQUIRE(Iface::write_request(d, get_device_id) == si::event::request_ready);
    const auto second = d.pending_request()->id;
    CHECK(second != first);
    REQUIRE(d.respond(second, device_id_answer) == si::device_error::ok);
    CHECK(d.reset() == si::event::request_cancelled);
    CHECK(d.stats().cancelled == 2);
    CHECK(Iface::read_response(d).empty());

    // A finished transaction: nothing to cancel.
    REQUIRE(Iface::write_request(d, get_device_id) == si::event::request_ready);
    REQUIRE(d.respond(d.pending_request()->id, device_id_answer) == si::device_error::ok);
    CHECK(Iface::read_response(d) == device_id_answer);
    CHECK(d.reset() == si::event::none);
    CHECK(d.stats().cancelled == 2);
    CHECK(d.stats().responses == 2);
  }

  TEST_CASE_TEMPLATE("si device: attention with and without an interrupt; the BMC's interrupt enable",
                     Iface, IPMIKIT_SYSTEM_INTERFACES) {
    typename Iface::device d;
    Iface::enable_host_interrupts(d);
    d.set_attention(true, true);
    CHECK(d.attention());
    CHECK_FALSE(d.irq());  // the BMC's enable is off
    d.set_attention(false, false);
    d.set_interrupts_enabled(true);
    CHECK(d.interrupts_enabled());
    d.set_attention(true, false);  // ATTN: no interrupt
    CHECK(d.attention());
    CHECK_FALSE(d.irq());
    d.set_attention(false, false);
    CHECK_FALSE(d.attention());
    d.set_attention(true, true);  // ATTN_IRQ
    CHECK(d.irq());
    d.set_interrupts_enabled(false);
    CHECK_FALSE(d.irq());
  }

  // --- the host contract ---------------------------------------------------------------------

  TEST_CASE_TEMPLATE("si host: a first register read of 0xFF means no device, and nothing is written", Iface,
                     IPMIKIT_REGISTER_INTERFACES) {
    // Every register reads 0xFF, as ports nothing decodes do; each host uses its own two of each.
    struct absent {
      std::uint8_t read_status() { return 0xFF; }   // KCS
      std::uint8_t read_data() { return 0xFF; }
      std::uint8_t read_control() { return 0xFF; }  // BT
      std::uint8_t read_buffer() { return 0xFF; }
      void write_command(std::uint8_t) { ++writes; }
      void write_data(std::uint8_t) { ++writes; }
      void write_control(std::uint8_t) { ++writes; }
      void write_buffer(std::uint8_t) { ++writes; }
      int writes = 0;
    } bus;
    using tp = typename Iface::host::time_point;
    typename Iface::host h;
    REQUIRE(h.start(get_device_id, tp{}) == si::host_error::ok);
    CHECK(Iface::drive(h, bus, [] { return tp{}; }, 100) == si::outcome::failed);
    CHECK(h.problem() == decltype(h.problem())::no_device);
    CHECK(bus.writes == 0);
  }

  TEST_CASE_TEMPLATE("si host: perform() of no access touches nothing", Iface, IPMIKIT_REGISTER_INTERFACES) {
    test::register_bus<typename Iface::device> bus;
    using action = decltype(std::declval<typename Iface::host&>().next());
    CHECK(Iface::perform(bus, action{}) == 0);
    CHECK(bus.trace.empty());
  }

  TEST_CASE_TEMPLATE("si host: no response within the response timeout → the same request again, then done", Iface,
                     IPMIKIT_REGISTER_INTERFACES) {
    test::register_bus<typename Iface::device> bus;
    bus.ignore = 1;  // the first request is never answered
    typename Iface::host::config cfg;
    cfg.response_timeout = 100ms;
    typename Iface::host h(cfg);
    CHECK(test::transact(h, bus, get_device_id) == si::outcome::done);
    CHECK(h.problem() == decltype(h.problem())::response_timeout);
    CHECK(h.attempts() == 2);
    CHECK(h.stats().retries == 1);
    CHECK(bus.device.stats().cancelled == 1);  // the request again replaced the unanswered one
    CHECK(bus.device.stats().requests == 2);
    CHECK(bus.now >= decltype(bus.now){} + 100ms);
    CHECK(bus.now < decltype(bus.now){} + 200ms);
    if constexpr (requires { h.seq(); }) CHECK(h.seq() == 0);  // BT: the same Seq
  }

  TEST_CASE_TEMPLATE("si host: a BMC that never answers → failed after max_retries, the interface idle; the next "
                     "request is done",
                     Iface, IPMIKIT_REGISTER_INTERFACES) {
    for (const std::uint8_t retries : {std::uint8_t{1}, std::uint8_t{2}}) {
      INFO("max_retries ", static_cast<unsigned>(retries));
      test::register_bus<typename Iface::device> bus;
      bus.answer_after_polls = -1;
      typename Iface::host::config cfg;
      cfg.response_timeout = 50ms;
      cfg.max_retries = retries;
      typename Iface::host h(cfg);
      CHECK(test::transact(h, bus, get_device_id) == si::outcome::failed);
      CHECK(h.problem() == decltype(h.problem())::response_timeout);
      CHECK(h.attempts() == retries + 1u);
      CHECK(h.stats().failed == 1);
      CHECK(bus.now < decltype(bus.now){} + (retries + 1) * 100ms);
      if constexpr (requires { bus.device.phase(); }) CHECK(bus.device.phase() == kcs::device_phase::idle);
      bus.answer_after_polls = 0;
      CHECK(test::transact(h, bus, get_device_id) == si::outcome::done);
    }
  }

  TEST_CASE_TEMPLATE("si host: the BMC's SMS_ATN is seen through attention()", Iface, IPMIKIT_REGISTER_INTERFACES) {
    test::register_bus<typename Iface::device> bus;
    bus.device.set_attention(true);
    typename Iface::host h;
    CHECK(test::transact(h, bus, get_device_id) == si::outcome::done);
    CHECK(h.attention());
    if constexpr (requires { h.take_attention(); }) {  // BT: noted, cleared on the device, taken once
      CHECK_FALSE(bus.device.attention());
      CHECK(h.take_attention());
      CHECK_FALSE(h.attention());
    } else {  // KCS: what the last status read showed
      CHECK(h.last_status().sms_atn());
    }
  }

  TEST_CASE_TEMPLATE("si host: the clock going back an hour during a wait does not break it", Iface,
                     IPMIKIT_REGISTER_INTERFACES) {
    for (const int jump_at : {10, 15}) {
      INFO("the clock jumps back at access ", jump_at);
      test::register_bus<typename Iface::device> bus;
      bus.answer_after_polls = 20;
      typename Iface::host h;
      REQUIRE(h.start(get_device_id, bus.now) == si::host_error::ok);
      int i = 0;
      CHECK(Iface::drive(h, bus, [&] { return bus.now += (++i == jump_at ? -1h : 1ms); }, 10000) ==
            si::outcome::done);
      CHECK(h.stats().retries == 0);  // no spurious timeout
      if constexpr (requires { h.stats().aborts; }) CHECK(h.stats().aborts == 0);
    }
  }

  // --- the emulator bridge -------------------------------------------------------------------

  TEST_CASE_TEMPLATE("si bridge: a request goes to the session once, the answer back to the device",
                     Iface, IPMIKIT_SYSTEM_INTERFACES) {
    rig<Iface> r;
    CHECK_FALSE(r.bridge.forward(r.now));  // nothing pending
    REQUIRE(Iface::write_request(r.device, get_device_id) == si::event::request_ready);
    CHECK(r.bridge.forward(r.now));
    CHECK_FALSE(r.bridge.forward(r.now));  // never twice
    CHECK(r.bridge.in_flight() == r.device.pending_request()->id);
    r.to_bmc();
    REQUIRE(r.bmc_requests.size() == 1);
    CHECK(r.bmc_requests[0] == get_device_id);
    r.answer_last(device_id_answer);
    CHECK_FALSE(r.bridge.in_flight());
    CHECK(Iface::read_response(r.device) == device_id_answer);
    REQUIRE(r.responses.size() == 1);  // the caller sees the response too
    CHECK(r.responses[0] == device_id_answer);
    CHECK(r.bridge.stats().forwarded == 1);
    CHECK(r.bridge.stats().delivered == 1);
    CHECK(r.bridge.stats().dropped == 0);
  }

  TEST_CASE_TEMPLATE("si bridge: the answer to an abandoned request is dropped; the newer request goes next",
                     Iface, IPMIKIT_SYSTEM_INTERFACES) {
    rig<Iface> r;
    REQUIRE(Iface::write_request(r.device, bytes{0x18, 0x3A, 0x01}) == si::event::request_ready);
    REQUIRE(r.bridge.forward(r.now));
    r.to_bmc();
    // The host gives up and sends another request; QEMU keeps one outstanding, so it waits.
    (void)Iface::abandon(r.device);
    (void)Iface::write_request(r.device, bytes{0x18, 0x3A, 0x02});
    REQUIRE(r.device.pending_request());
    CHECK_FALSE(r.bridge.forward(r.now));
    // The late answer to the first arrives: dropped, and the second is forwarded at once.
    r.answer_last(bytes{0x1C, 0x3A, 0x00, 0xEE});
    CHECK(r.bridge.stats().dropped == 1);
    CHECK(r.bridge.stats().forwarded == 2);
    CHECK(Iface::read_response(r.device).empty());  // the host never sees 0xEE
    r.to_bmc();
    REQUIRE(r.bmc_requests.size() == 2);
    CHECK(r.bmc_requests[1] == bytes{0x18, 0x3A, 0x02});
    r.answer_last(bytes{0x1C, 0x3A, 0x00, 0x02});
    CHECK(Iface::read_response(r.device) == bytes{0x1C, 0x3A, 0x00, 0x02});
    CHECK(r.bridge.stats().delivered == 1);
  }

  TEST_CASE_TEMPLATE("si bridge: the session's own answers reach the device (0xD2 disconnected, 0xC3 timeout)",
                     Iface, IPMIKIT_SYSTEM_INTERFACES) {
    rig<Iface> r(false);  // not connected
    REQUIRE(Iface::write_request(r.device, get_device_id) == si::event::request_ready);
    CHECK(r.bridge.forward(r.now));
    CHECK(Iface::read_response(r.device) == bytes{0x1C, 0x01, 0xD2});
    CHECK(r.bridge.stats().local == 1);

    r.bridge.connect(r.now);
    r.bmc.connect(r.now, si::ignore_events{});
    r.to_bmc();
    REQUIRE(Iface::write_request(r.device, get_device_id) == si::event::request_ready);
    REQUIRE(r.bridge.forward(r.now));
    r.to_bmc();  // the BMC never answers
    r.now += 3s;
    r.bridge.poll(r.now);
    CHECK(Iface::read_response(r.device).empty());
    r.now += 2s;  // past the session's 4 s
    r.bridge.poll(r.now);
    CHECK(Iface::read_response(r.device) == bytes{0x1C, 0x01, 0xC3});

    // A connection that drops with a request outstanding: 0xD2.
    REQUIRE(Iface::write_request(r.device, get_device_id) == si::event::request_ready);
    REQUIRE(r.bridge.forward(r.now));
    r.bridge.disconnect(r.now);
    CHECK(Iface::read_response(r.device) == bytes{0x1C, 0x01, 0xD2});
    CHECK(r.bridge.stats().local == 3);
    CHECK(r.bridge.stats().delivered == 3);
  }

  TEST_CASE_TEMPLATE("si bridge: attention and interrupt commands go to the device, the machine's to the caller",
                     Iface, IPMIKIT_SYSTEM_INTERFACES) {
    rig<Iface> r;
    Iface::enable_host_interrupts(r.device);
    REQUIRE(r.bmc.set_attention(true, false) == vm::session_error::ok);
    r.to_emulator();
    CHECK(r.device.attention());
    CHECK_FALSE(r.device.irq());
    REQUIRE(r.bmc.enable_irq(true) == vm::session_error::ok);
    r.to_emulator();
    CHECK(r.device.interrupts_enabled());
    REQUIRE(r.bmc.set_attention(false) == vm::session_error::ok);
    r.to_emulator();
    CHECK_FALSE(r.device.attention());
    REQUIRE(r.bmc.set_attention(true, true) == vm::session_error::ok);
    r.to_emulator();
    CHECK(r.device.irq());
    REQUIRE(r.bmc.enable_irq(false) == vm::session_error::ok);
    r.to_emulator();
    CHECK_FALSE(r.device.interrupts_enabled());
    CHECK(r.bridge.stats().commands_applied == 5);

    // The machine's commands change nothing in the device and reach the caller.
    REQUIRE(r.bmc.power_off() == vm::session_error::ok);
    r.to_emulator();
    REQUIRE(r.bmc.send_reset() == vm::session_error::ok);
    r.to_emulator();
    REQUIRE(r.bmc.send_nmi() == vm::session_error::ok);
    r.to_emulator();
    REQUIRE(r.bmc.graceful_shutdown() == vm::session_error::ok);
    r.to_emulator();
    CHECK(r.bridge.stats().commands_applied == 5);
    CHECK(r.device.attention());  // as the ATTN_IRQ left it
    CHECK(r.commands == std::vector<vm::command>{
                            vm::command::attention, vm::command::enable_irq, vm::command::no_attention,
                            vm::command::attention_irq, vm::command::disable_irq, vm::command::power_off,
                            vm::command::reset, vm::command::send_nmi, vm::command::graceful_shutdown});
  }

  TEST_CASE_TEMPLATE("si bridge: a response too long for the device reaches the host as 0xC6, not as silence",
                     Iface, IPMIKIT_SYSTEM_INTERFACES) {
    rig<Iface, typename Iface::template device_type<16>> r;
    REQUIRE(Iface::write_request(r.device, get_device_id) == si::event::request_ready);
    REQUIRE(r.bridge.forward(r.now));
    r.to_bmc();
    bytes long_answer{0x1C, 0x01, 0x00};
    long_answer.resize(40, 0x55);
    r.answer_last(long_answer);
    CHECK(Iface::read_response(r.device) == bytes{0x1C, 0x01, 0xC6});
    CHECK(r.bridge.stats().delivered == 1);
    CHECK(r.device.stats().responses_refused == 1);
  }

  // The bridge is generic over the session. ipmikit's own never hands it a response shorter than
  // netfn, cmd and completion code (its decoder refuses such a frame; the request then times out
  // with 0xC3), but a caller's session may: this one answers each request at once, from
  // send_request(), with the body it is given.
  struct answering_session {
    using time_point = clk::time_point;
    bytes answer;
    int sent = 0;
    [[nodiscard]] constexpr bool request_outstanding() const noexcept { return false; }
    template <class Handler>
    vm::session_error send_request(std::uint8_t msg_id, std::span<const std::uint8_t>, time_point, Handler&& handler) {
      ++sent;
      handler(vm::response_event{msg_id, answer, false});
      return vm::session_error::ok;
    }
  };

  TEST_CASE_TEMPLATE("si bridge: a response without a completion code reaches the host as 0xFF",
                     Iface, IPMIKIT_SYSTEM_INTERFACES) {
    typename Iface::device device;
    answering_session session{bytes{0x1C, 0x01}, 0};  // netfn and cmd, no completion code
    si::emulator_bridge bridge(device, session);
    REQUIRE(Iface::write_request(device, get_device_id) == si::event::request_ready);
    CHECK(bridge.forward(clk::time_point{}));
    CHECK(Iface::read_response(device) == bytes{0x1C, 0x01, 0xFF});
    CHECK(bridge.stats().delivered == 1);
    CHECK(device.stats().responses_refused == 1);
  }

  TEST_CASE_TEMPLATE("si bridge: a response the device cannot take in any form is dropped, and the request is not sent again",
                     Iface, IPMIKIT_SYSTEM_INTERFACES) {
    typename Iface::device device;
    answering_session session{bytes{0x1C}, 0};  // not even a command byte to answer with
    si::emulator_bridge bridge(device, session);
    REQUIRE(Iface::write_request(device, get_device_id) == si::event::request_ready);
    CHECK(bridge.forward(clk::time_point{}));
    CHECK(bridge.stats().dropped == 1);
    CHECK_FALSE(bridge.in_flight());
    REQUIRE(device.pending_request());  // the host still waits; its own timeout will retry
    CHECK_FALSE(bridge.forward(clk::time_point{}));  // the BMC answered this request already
    CHECK(session.sent == 1);
    CHECK(bridge.stats().forwarded == 1);
  }

  TEST_CASE_TEMPLATE("si bridge: a full outbound buffer: the request waits and goes when there is room",
                     Iface, IPMIKIT_SYSTEM_INTERFACES) {
    rig<Iface> r;
    bytes request{0x18, 0x3A};
    request.resize(200, 0x11);  // a 203-byte frame
    for (int i = 0; i < 1000 && r.emulator.outbound_room() >= request.size(); ++i)
      REQUIRE(r.emulator.notify_reset() == vm::session_error::ok);
    REQUIRE(r.emulator.outbound_room() < request.size());
    REQUIRE(Iface::write_request(r.device, request) == si::event::request_ready);
    CHECK_FALSE(r.bridge.forward(r.now));
    CHECK(r.bridge.stats().would_block == 1);
    CHECK_FALSE(r.bridge.in_flight());
    for (int i = 0; i < 1000 && !r.emulator.outbound(r.now).empty(); ++i)  // the wire takes them
      r.emulator.consume(r.emulator.outbound(r.now).size(), r.now);
    CHECK(r.bridge.forward(r.now));
    r.to_bmc();
    REQUIRE(r.bmc_requests.size() == 1);
    CHECK(r.bmc_requests[0] == request);
  }
}

// --- names: what logs, traces and fuzz reports print -----------------------------------------

namespace {

// Checks name() over all 256 values of E: exactly the listed enumerators have a name, the
// listed one, and no two share it (a copy-and-paste slip would show in every log line).
template <class E>
void check_names(std::initializer_list<std::pair<unsigned, std::string_view>> expected) {
  std::set<std::string_view> seen;
  for (unsigned v = 0; v < 256; ++v) {
    std::string_view want;
    for (const auto& [value, text] : expected)
      if (value == v) want = text;
    CAPTURE(v);
    const std::string_view got = name(static_cast<E>(v));
    CHECK(got == want);
    if (!got.empty()) CHECK(seen.insert(got).second);
  }
  CHECK(seen.size() == expected.size());
}

}  // namespace

TEST_SUITE("si") {
  TEST_CASE("names of every system-interface enumerator, and none for other values") {
    using namespace ipmikit;
    check_names<si::event>({{0, "none"}, {1, "request_ready"}, {2, "request_cancelled"}, {3, "request_replaced"},
                            {4, "request_rejected"}, {8, "bmc_reset_requested"}});
    check_names<si::device_error>({{0, "ok"}, {1, "no_request"}, {2, "stale_request"}, {3, "response_too_short"},
                                   {4, "response_too_long"}});
    check_names<si::outcome>({{0, "idle"}, {1, "busy"}, {2, "done"}, {3, "failed"}, {4, "hosed"}});
    check_names<si::host_error>({{0, "ok"}, {1, "busy"}, {2, "hosed"}, {3, "request_too_short"},
                                 {4, "request_too_long"}});
    check_names<kcs::device_phase>({{0, "idle"}, {1, "write"}, {2, "write_last"}, {3, "wait_response"},
                                    {4, "read"}, {5, "abort_status"}, {6, "abort_read"}, {7, "error"}});
    check_names<kcs::state>({{0, "idle"}, {1, "read"}, {2, "write"}, {3, "error"}});
    check_names<kcs::control_code>({{0x60, "get_status_abort"}, {0x61, "write_start"}, {0x62, "write_end"},
                                    {0x68, "read"}});
    check_names<kcs::error_code>({{0x00, "no_error"}, {0x01, "aborted_by_command"}, {0x02, "illegal_control_code"},
                                  {0x06, "length_error"}, {0xFF, "unspecified"}});
    check_names<kcs::access>({{0, "none"}, {1, "read_status"}, {2, "read_data"}, {3, "write_command"},
                              {4, "write_data"}});
    check_names<kcs::problem>({{0, "none"}, {1, "no_device"}, {2, "ibf_timeout"}, {3, "obf_timeout"},
                               {4, "response_timeout"}, {5, "unexpected_state"}, {6, "device_error"},
                               {7, "response_too_long"}, {8, "response_too_short"}, {9, "cancelled"}});
    check_names<bt::access>({{0, "none"}, {1, "read_control"}, {2, "write_control"}, {3, "read_buffer"},
                             {4, "write_buffer"}});
    check_names<bt::problem>({{0, "none"}, {1, "no_device"}, {2, "busy_timeout"}, {3, "response_timeout"},
                              {4, "response_too_long"}, {5, "cancelled"}});
  }
}
