// tests/vm_session_test.cpp — vm::session in both roles: greetings, requests and responses,
// local completion codes, deadlines, capability gating, outbound chunking, and one named test
// per bad-input class. Time is a steady_clock time point moved by hand; nothing sleeps.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <ipmikit/vm/session.hpp>

#include "test_support.hpp"

namespace {

using namespace ipmikit;
using namespace std::chrono_literals;
using test::bytes;
using test::hex;
using clk = std::chrono::steady_clock;

using emulator = vm::emulator_session<clk>;
using bmc_end = vm::bmc_session<clk>;

/// Everything a session reported, as plain values.
struct recorder {
  struct response {
    std::uint8_t msg_id;
    bytes body;
    bool local;
  };
  std::vector<response> responses;
  std::vector<std::pair<std::uint8_t, bytes>> requests;
  std::vector<vm::command> hardware;
  std::vector<std::uint8_t> versions;
  std::vector<std::uint8_t> caps;
  std::vector<vm::protocol_event> problems;

  void operator()(const vm::response_event& r) {
    responses.push_back({r.msg_id, {r.body.begin(), r.body.end()}, r.local});
  }
  void operator()(const vm::request_event& r) { requests.emplace_back(r.msg_id, bytes(r.body.begin(), r.body.end())); }
  void operator()(const vm::hardware_event& h) { hardware.push_back(h.code); }
  void operator()(const vm::version_event& v) { versions.push_back(v.version); }
  void operator()(const vm::capabilities_event& c) { caps.push_back(c.caps.to_byte()); }
  void operator()(const vm::protocol_event& p) { problems.push_back(p); }

  /// The one problem reported; none or several fail the test.
  [[nodiscard]] const vm::protocol_event& only_problem() const {
    REQUIRE(problems.size() == 1);
    return problems[0];
  }
};

const clk::time_point t0{};

/// An emulator session connected at t0 (its greeting is in its outbound buffer) and what it reported.
struct connected_emulator {
  emulator e;
  recorder r;
  connected_emulator() { e.connect(t0, r); }
};

/// Takes everything the session has to send, honouring chunks but not the command gap.
template <class Session>
bytes drain(Session& s, clk::time_point now) {
  bytes out;
  for (int i = 0; i < 100 && !s.pending().empty(); ++i) {
    const auto chunk = s.pending();
    out.insert(out.end(), chunk.begin(), chunk.end());
    s.consume(chunk.size(), now);
  }
  return out;
}

bytes frame(std::uint8_t msg_id, const bytes& body) { return test::reference_message_frame(msg_id, body); }

// The session is constexpr throughout, so it runs in constant evaluation, where outbound()
// finds the end of the first command with a plain loop instead of memchr. The same chunking
// rules must hold there: a chunk ends with the first command, message frames go out together,
// and a chunk that ends in a command starts the BMC's command gap.
constexpr bool bmc_session_chunks_at_compile_time() {
  using namespace std::chrono_literals;
  vm::bmc_session<clk> b;
  const clk::time_point start{};
  auto ignore = [](const auto&) {};
  b.connect(start, ignore);
  // The emulator's greeting, then Get Device ID as message id 0.
  const std::uint8_t from_emulator[] = {0xFF, 0x01, 0xA1, 0x08, 0x3F, 0xA1, 0x00, 0x18, 0x01, 0xE7, 0xA0};
  b.receive(from_emulator, start, ignore);
  if (!b.awaiting_response(0) || b.peer_capabilities() != vm::qemu_capabilities) return false;
  const std::uint8_t response[] = {0x1C, 0x01, 0x00};
  if (b.respond(0, response) != vm::session_error::ok) return false;
  if (b.set_attention(true) != vm::session_error::ok) return false;
  // Pending: FF 01 A1 | 00 1C 01 00 E3 A0 01 A1. The first chunk is the greeting alone.
  auto chunk = b.outbound(start);
  if (chunk.size() != 3 || chunk[0] != 0xFF || chunk[2] != 0xA1) return false;
  b.consume(chunk.size(), start);
  if (!b.outbound(start + 9ms).empty()) return false;  // the command gap runs
  chunk = b.outbound(start + 10ms);
  const std::uint8_t second[] = {0x00, 0x1C, 0x01, 0x00, 0xE3, 0xA0, 0x01, 0xA1};
  if (chunk.size() != std::size(second)) return false;
  for (std::size_t i = 0; i < chunk.size(); ++i) {
    if (chunk[i] != second[i]) return false;
  }
  b.consume(chunk.size(), start + 10ms);
  // A chunk without any command is everything pending.
  const std::uint8_t request[] = {0x01, 0x18, 0x01, 0xE6, 0xA0};
  b.receive(request, start + 20ms, ignore);
  if (b.respond(1, response) != vm::session_error::ok) return false;
  return b.outbound(start + 20ms).size() == 6 && b.outbound(start + 20ms).back() == 0xA0;
}
static_assert(bmc_session_chunks_at_compile_time());

}  // namespace

TEST_SUITE("session") {
  // ------------------------------------------------------------------------------------------
  // Emulator role

  TEST_CASE_FIXTURE(connected_emulator, "the emulator greets with VERSION 1 and its capabilities, like QEMU 7.2") {
    CHECK(e.connected());
    CHECK(drain(e, t0) == hex("FF 01 A1 08 3F A1"));
  }

  TEST_CASE("the emulator announces the capabilities its caller declares") {
    emulator::config cfg;
    cfg.caps = vm::capability::irq | vm::capability::attention;
    emulator e(cfg);
    recorder r;
    e.connect(t0, r);
    CHECK(drain(e, t0) == hex("FF 01 A1 08 14 A1"));
  }

  TEST_CASE("the emulator accepts ipmi_sim's greeting before or after its own") {
    for (const bool bmc_first : {true, false}) {
      CAPTURE(bmc_first);
      emulator e;
      recorder r;
      if (bmc_first) {
        // ipmi_sim speaks as soon as it accepts: bytes may be handed over before connect().
        e.connect(t0, r);
        e.receive(hex("FF 01 A1 00 A1"), t0, r);
        drain(e, t0);
      } else {
        e.connect(t0, r);
        drain(e, t0);
        e.receive(hex("FF 01 A1 00 A1"), t0, r);
      }
      CHECK(r.versions == std::vector<std::uint8_t>{1});
      CHECK(r.hardware == std::vector<vm::command>{vm::command::no_attention});
      CHECK(e.peer_version() == 1);
      CHECK(r.problems.empty());
    }
  }

  TEST_CASE_FIXTURE(connected_emulator, "a request is framed on the wire and its response is delivered") {
    drain(e, t0);
    REQUIRE(e.send_request(0x00, hex("18 01"), t0, r) == vm::session_error::ok);
    CHECK(e.request_outstanding());
    CHECK(drain(e, t0) == hex("00 18 01 E7 A0"));  // reference/qemu.md §1.5
    e.receive(hex("00 1C 01 00 20 81 02 17 02 BF 57 01 00 AA B0 00 00 00 00 00 70 A0"), t0, r);
    REQUIRE(r.responses.size() == 1);
    CHECK(r.responses[0].msg_id == 0);
    CHECK_FALSE(r.responses[0].local);
    CHECK(r.responses[0].body == hex("1C 01 00 20 81 02 17 02 BF 57 01 00 A0 00 00 00 00 00"));
    CHECK_FALSE(e.request_outstanding());
  }

  TEST_CASE_FIXTURE(connected_emulator, "a request shorter than netfn and cmd is answered locally with 0xC7") {
    drain(e, t0);
    CHECK(e.send_request(3, hex("18"), t0, r) == vm::session_error::ok);
    REQUIRE(r.responses.size() == 1);
    CHECK(r.responses[0].local);
    CHECK(r.responses[0].msg_id == 3);
    CHECK(r.responses[0].body == hex("1C 00 C7"));
    CHECK(e.pending().empty());
    CHECK_FALSE(e.request_outstanding());
  }

  TEST_CASE_FIXTURE(connected_emulator, "a request longer than 300 bytes is answered locally with 0xC6") {
    drain(e, t0);
    bytes body(301, 0x11);
    body[0] = 0x18;
    body[1] = 0x22;
    CHECK(e.send_request(4, body, t0, r) == vm::session_error::ok);
    REQUIRE(r.responses.size() == 1);
    CHECK(r.responses[0].body == hex("1C 22 C6"));
    CHECK(e.pending().empty());
  }

  TEST_CASE("a request while disconnected is answered locally with 0xD2 and sends nothing") {
    emulator e;
    recorder r;
    CHECK(e.send_request(5, hex("18 01"), t0, r) == vm::session_error::ok);
    REQUIRE(r.responses.size() == 1);
    CHECK(r.responses[0].body == hex("1C 01 D2"));
    CHECK(r.responses[0].local);
    CHECK(e.pending().empty());
  }

  TEST_CASE_FIXTURE(connected_emulator, "a second request while one is outstanding is refused, not sent") {
    drain(e, t0);
    REQUIRE(e.send_request(1, hex("18 01"), t0, r) == vm::session_error::ok);
    const bytes wire = drain(e, t0);
    CHECK(e.send_request(2, hex("18 04"), t0, r) == vm::session_error::request_outstanding);
    CHECK(e.pending().empty());
    CHECK(r.responses.empty());
    // The first request is still the one answered.
    e.receive(frame(1, hex("1C 01 00")), t0, r);
    REQUIRE(r.responses.size() == 1);
    CHECK(r.responses[0].msg_id == 1);
    CHECK(wire == hex("01 18 01 E6 A0"));
  }

  TEST_CASE("no response before the deadline gives a local 0xC3 at the deadline, not before") {
    emulator::config cfg;
    cfg.response_timeout = std::chrono::duration_cast<clk::duration>(2s);
    emulator e(cfg);
    recorder r;
    e.connect(t0, r);
    drain(e, t0);
    e.send_request(9, hex("18 01"), t0, r);
    REQUIRE(e.next_deadline() == t0 + 2s);
    e.poll(t0 + 1999ms, r);
    CHECK(r.responses.empty());
    e.poll(t0 + 2s, r);
    REQUIRE(r.responses.size() == 1);
    CHECK(r.responses[0].body == hex("1C 01 C3"));
    CHECK(r.responses[0].local);
    CHECK_FALSE(e.next_deadline());
    // A late answer afterwards is unexpected and dropped.
    e.receive(frame(9, hex("1C 01 00")), t0 + 3s, r);
    CHECK(r.responses.size() == 1);
    CHECK(e.stats().count(vm::protocol_problem::unexpected_response) == 1);
  }

  TEST_CASE_FIXTURE(connected_emulator, "the default response deadline is QEMU's 4 seconds") {
    e.send_request(0, hex("18 01"), t0, r);
    CHECK(e.next_deadline() == t0 + 4s);
  }

  TEST_CASE_FIXTURE(connected_emulator, "response with no request outstanding is reported and dropped") {
    e.receive(frame(7, hex("1C 01 00")), t0, r);
    CHECK(r.responses.empty());
    CHECK(r.only_problem().problem == vm::protocol_problem::unexpected_response);
    CHECK(r.only_problem().msg_id == 7);
  }

  TEST_CASE_FIXTURE(connected_emulator, "response with the wrong message id is reported and dropped; the right one still counts") {
    e.send_request(4, hex("18 01"), t0, r);
    e.receive(frame(5, hex("1C 01 00")), t0, r);
    CHECK(r.responses.empty());
    CHECK(e.request_outstanding());
    CHECK(r.only_problem().problem == vm::protocol_problem::mismatched_response);
    CHECK(r.only_problem().msg_id == 5);
    e.receive(frame(4, hex("1C 01 00")), t0, r);
    CHECK(r.responses.size() == 1);
  }

  TEST_CASE_FIXTURE(connected_emulator, "duplicate response: the second copy is reported as unexpected") {
    e.send_request(4, hex("18 01"), t0, r);
    const bytes rsp = frame(4, hex("1C 01 00"));
    e.receive(test::cat({rsp, rsp}), t0, r);
    CHECK(r.responses.size() == 1);
    CHECK(e.stats().count(vm::protocol_problem::unexpected_response) == 1);
  }

  TEST_CASE_FIXTURE(connected_emulator, "short frame: a response without completion code is malformed (QEMU's 5-byte rule)") {
    e.send_request(1, hex("18 01"), t0, r);
    e.receive(frame(1, hex("1C 01")), t0, r);  // 4 bytes before A0
    CHECK(r.responses.empty());
    CHECK(r.only_problem().problem == vm::protocol_problem::malformed_frame);
    CHECK(r.only_problem().decode == vm::decode_error::message_too_short);
    CHECK(e.request_outstanding());
  }

  TEST_CASE_FIXTURE(connected_emulator, "bad checksum: reported, dropped, the request still waits") {
    e.send_request(1, hex("18 01"), t0, r);
    e.receive(hex("01 1C 01 00 E3 A0"), t0, r);  // checksum off by one
    CHECK(r.responses.empty());
    CHECK(r.only_problem().decode == vm::decode_error::checksum_mismatch);
    CHECK(e.request_outstanding());
    e.receive(frame(1, hex("1C 01 00")), t0, r);
    CHECK(r.responses.size() == 1);
  }

  TEST_CASE_FIXTURE(connected_emulator, "oversized frame: a too-long response for the outstanding request becomes 0xC6") {
    e.send_request(2, hex("0A 11 00 00 00 FF"), t0, r);  // Read FRU Data
    bytes body(320, 0x42);
    body[0] = 0x2C;
    body[1] = 0x11;
    body[2] = 0x00;
    bytes wire = test::reference_message_frame(2, body);
    e.receive(wire, t0, r);
    REQUIRE(r.responses.size() == 1);
    CHECK(r.responses[0].body == hex("0E 11 C6"));
    CHECK(r.responses[0].local);
    CHECK(r.only_problem().decode == vm::decode_error::frame_too_long);
    CHECK_FALSE(e.request_outstanding());
  }

  TEST_CASE_FIXTURE(connected_emulator, "escape before a terminator: reported, and the next frame decodes") {
    e.send_request(1, hex("18 01"), t0, r);
    e.receive(test::cat({hex("01 1C 01 AA A0"), frame(1, hex("1C 01 00"))}), t0, r);
    CHECK(r.only_problem().decode == vm::decode_error::escape_before_terminator);
    CHECK(r.responses.size() == 1);
  }

  TEST_CASE("a command and a response arriving in the same read are both delivered") {
    // QEMU discards what follows a command in the same read; ipmikit does not.
    emulator e;
    recorder r;
    e.connect(t0, r);
    e.send_request(1, hex("18 2E 0F"), t0, r);
    e.receive(test::cat({hex("05 A1"), frame(1, hex("1C 2E 00"))}), t0, r);
    CHECK(r.hardware == std::vector<vm::command>{vm::command::enable_irq});
    REQUIRE(r.responses.size() == 1);
    CHECK(r.responses[0].body == hex("1C 2E 00"));
  }

  TEST_CASE_FIXTURE(connected_emulator, "unknown command: reported, the session goes on") {
    e.receive(hex("42 A1 01 A1"), t0, r);
    CHECK(r.only_problem().decode == vm::decode_error::unknown_command);
    CHECK(r.hardware == std::vector<vm::command>{vm::command::attention});
  }

  TEST_CASE_FIXTURE(connected_emulator, "command with missing argument: VERSION without its byte is reported") {
    e.receive(hex("FF A1"), t0, r);
    CHECK(r.only_problem().decode == vm::decode_error::wrong_argument_count);
    CHECK(r.versions.empty());
    CHECK_FALSE(e.peer_version());
  }

  TEST_CASE_FIXTURE(connected_emulator, "every BMC command becomes a hardware event in the emulator role") {
    e.receive(hex("00 A1 01 A1 02 A1 03 A1 04 A1 05 A1 06 A1 07 A1 09 A1"), t0, r);
    using c = vm::command;
    CHECK(r.hardware == std::vector<c>{c::no_attention, c::attention, c::attention_irq, c::power_off,
                                       c::reset, c::enable_irq, c::disable_irq, c::send_nmi,
                                       c::graceful_shutdown});
    CHECK(e.stats().commands_in == 9);
  }

  TEST_CASE_FIXTURE(connected_emulator, "CAPABILITIES sent to the emulator is an unexpected command") {
    e.receive(hex("08 3F A1"), t0, r);
    CHECK(r.only_problem().problem == vm::protocol_problem::unexpected_command);
    CHECK(r.only_problem().code == 0x08);
  }

  TEST_CASE_FIXTURE(connected_emulator, "peer of another version: reported, and the session goes on speaking version 1") {
    e.receive(hex("FF 02 A1"), t0, r);
    CHECK(r.versions == std::vector<std::uint8_t>{2});
    CHECK(e.peer_version() == 2);
    CHECK(r.only_problem().problem == vm::protocol_problem::version_mismatch);
    e.send_request(1, hex("18 01"), t0, r);
    e.receive(frame(1, hex("1C 01 00")), t0, r);
    CHECK(r.responses.size() == 1);
  }

  TEST_CASE_FIXTURE(connected_emulator, "disconnect mid-request answers 0xD2; mid-frame bytes are forgotten") {
    e.send_request(6, hex("18 01"), t0, r);
    e.receive(hex("06 1C 01"), t0, r);  // half a response
    e.disconnect(t0, r);
    REQUIRE(r.responses.size() == 1);
    CHECK(r.responses[0].body == hex("1C 01 D2"));
    CHECK(r.responses[0].local);
    CHECK(e.pending().empty());
    CHECK_FALSE(e.next_deadline());
    // Bytes after the disconnect are not decoded; a reconnect starts from a clean frame.
    e.receive(hex("00 E3 A0"), t0, r);
    e.connect(t0, r);
    drain(e, t0);
    e.send_request(7, hex("18 01"), t0, r);
    e.receive(hex("00 E3 A0"), t0, r);  // would complete the old half frame if it were kept
    CHECK(r.responses.size() == 1);
    CHECK(e.stats().count(vm::protocol_problem::malformed_frame) == 1);
  }

  TEST_CASE_FIXTURE(connected_emulator, "reconnect re-sends the greeting and discards unsent output") {
    e.send_request(1, hex("18 01"), t0, r);  // not drained
    e.connect(t0 + 1s, r);                   // reconnect without an explicit disconnect
    REQUIRE(r.responses.size() == 1);
    CHECK(r.responses[0].body == hex("1C 01 D2"));
    CHECK(drain(e, t0) == hex("FF 01 A1 08 3F A1"));
    CHECK(e.stats().connects == 2);
  }

  TEST_CASE("notify_reset queues RESET behind the frame in flight") {
    emulator e;
    recorder r;
    CHECK(e.notify_reset() == vm::session_error::not_connected);
    e.connect(t0, r);
    drain(e, t0);
    e.send_request(1, hex("18 01"), t0, r);
    CHECK(e.notify_reset() == vm::session_error::ok);
    CHECK(drain(e, t0) == hex("01 18 01 E6 A0 04 A1"));
  }

  // ------------------------------------------------------------------------------------------
  // BMC role

  TEST_CASE("the BMC greets with VERSION 1 and tracks the emulator's version and capabilities") {
    bmc_end b;
    recorder r;
    b.connect(t0, r);
    CHECK(drain(b, t0) == hex("FF 01 A1"));
    b.receive(hex("FF 01 A1 08 3F A1"), t0, r);
    CHECK(r.versions == std::vector<std::uint8_t>{1});
    CHECK(r.caps == std::vector<std::uint8_t>{0x3F});
    CHECK(b.peer_capabilities() == vm::qemu_capabilities);
    CHECK(b.peer_version() == 1);
  }

  TEST_CASE("requests become events and respond() frames the answer with the request's id") {
    bmc_end b;
    recorder r;
    b.connect(t0, r);
    drain(b, t0);
    b.receive(hex("01 18 2E 0F AA BA A0"), t0, r);  // Set BMC Global Enables, escaped checksum
    REQUIRE(r.requests.size() == 1);
    CHECK(r.requests[0].first == 1);
    CHECK(r.requests[0].second == hex("18 2E 0F"));
    CHECK(b.awaiting_response(1));
    CHECK(b.respond(1, hex("1C 2E 00")) == vm::session_error::ok);
    CHECK(drain(b, t0) == hex("01 1C 2E 00 B5 A0"));
    CHECK_FALSE(b.awaiting_response(1));
  }

  TEST_CASE("a request event reads netfn, LUN, command and data from its body, without a copy") {
    bmc_end b;
    std::vector<std::string> seen;
    auto h = [&](const auto& ev) {
      if constexpr (std::is_same_v<std::decay_t<decltype(ev)>, vm::request_event>) {
        CHECK(ev.function() == netfn::app);
        CHECK(ev.lun() == lun::sms);
        CHECK(ev.cmd() == 0x2E);
        REQUIRE(ev.data().size() == 2);
        CHECK(ev.data()[0] == 0x0F);
        CHECK(ev.data()[1] == 0xA0);  // unescaped
        CHECK(ev.data().data() == ev.body.data() + 2);
        seen.push_back("request " + std::to_string(ev.msg_id));
      }
    };
    b.connect(t0, h);
    b.receive(frame(0x42, hex("1A 2E 0F A0")), t0, h);  // Set BMC Global Enables on the SMS LUN
    CHECK(seen == std::vector<std::string>{"request 66"});
  }

  TEST_CASE("answering an id that was never received, or twice, is refused") {
    bmc_end b;
    recorder r;
    b.connect(t0, r);
    drain(b, t0);
    CHECK(b.respond(9, hex("1C 01 00")) == vm::session_error::unknown_message_id);
    b.receive(frame(9, hex("18 01")), t0, r);
    CHECK(b.respond(9, hex("1C 01 00")) == vm::session_error::ok);
    CHECK(b.respond(9, hex("1C 01 00")) == vm::session_error::unknown_message_id);
    CHECK(drain(b, t0) == frame(9, hex("1C 01 00")));
  }

  TEST_CASE("discard forgets an unanswered request; answering it afterwards is refused") {
    bmc_end b;
    recorder r;
    b.connect(t0, r);
    b.receive(frame(6, hex("18 01")), t0, r);
    CHECK(b.discard(7) == vm::session_error::unknown_message_id);
    CHECK(b.discard(6) == vm::session_error::ok);
    CHECK_FALSE(b.awaiting_response(6));
    CHECK(b.respond(6, hex("1C 01 00")) == vm::session_error::unknown_message_id);
    CHECK(b.discard(6) == vm::session_error::unknown_message_id);
  }

  TEST_CASE("a response body without a completion code is refused") {
    bmc_end b;
    recorder r;
    b.connect(t0, r);
    b.receive(frame(2, hex("18 01")), t0, r);
    CHECK(b.respond(2, hex("1C 01")) == vm::session_error::invalid_response);
    CHECK(b.awaiting_response(2));
  }

  TEST_CASE("BMC command the peer has no capability for is refused with missing_capability") {
    bmc_end b;
    recorder r;
    b.connect(t0, r);
    drain(b, t0);
    CHECK(b.power_off() == vm::session_error::missing_capability);
    CHECK(b.send_reset() == vm::session_error::missing_capability);
    CHECK(b.send_nmi() == vm::session_error::missing_capability);
    CHECK(b.graceful_shutdown() == vm::session_error::missing_capability);
    CHECK(b.enable_irq(true) == vm::session_error::missing_capability);
    CHECK(b.set_attention(true) == vm::session_error::missing_capability);
    CHECK(b.pending().empty());
    // Old QEMU (0x1F) lacks GRACEFUL_SHUTDOWN only.
    b.receive(hex("08 1F A1"), t0, r);
    CHECK(b.graceful_shutdown() == vm::session_error::missing_capability);
    CHECK(b.power_off() == vm::session_error::ok);
    CHECK(b.send_reset() == vm::session_error::ok);
    CHECK(b.send_nmi() == vm::session_error::ok);
    CHECK(b.enable_irq(true) == vm::session_error::ok);
    CHECK(b.enable_irq(false) == vm::session_error::ok);
    CHECK(b.set_attention(true, true) == vm::session_error::ok);
    CHECK(b.set_attention(true) == vm::session_error::ok);
    CHECK(b.set_attention(false) == vm::session_error::ok);
    CHECK(drain(b, t0) == hex("03 A1 04 A1 07 A1 05 A1 06 A1 02 A1 01 A1 00 A1"));
  }

  TEST_CASE("attention with interrupt needs IRQ as well as ATTN") {
    bmc_end b;
    recorder r;
    b.connect(t0, r);
    b.receive(hex("08 10 A1"), t0, r);  // ATTN only
    CHECK(b.set_attention(true, true) == vm::session_error::missing_capability);
    CHECK(b.set_attention(true, false) == vm::session_error::ok);
  }

  TEST_CASE("assumed capabilities stand in for an emulator that never announces any") {
    bmc_end::config cfg;
    cfg.assumed_caps = vm::capability::power;  // what OpenIPMI assumes
    bmc_end b(cfg);
    recorder r;
    b.connect(t0, r);
    CHECK(b.power_off() == vm::session_error::ok);
    CHECK(b.send_reset() == vm::session_error::missing_capability);
  }

  TEST_CASE("BMC role: RESET from the emulator is an event, ATTN sent to a BMC is unexpected") {
    bmc_end b;
    recorder r;
    b.connect(t0, r);
    b.receive(hex("04 A1 01 A1"), t0, r);
    CHECK(r.hardware == std::vector<vm::command>{vm::command::reset});
    CHECK(r.only_problem().problem == vm::protocol_problem::unexpected_command);
    CHECK(r.only_problem().code == 0x01);
  }

  TEST_CASE("bmc role: a response sent to the BMC is a protocol problem, not a request") {
    bmc_end b;
    recorder r;
    b.connect(t0, r);
    drain(b, t0);
    b.receive(hex("FF 01 A1"), t0, r);  // the emulator's VERSION: 3 bytes, so the frame is at 3
    // Get Device ID *response* (netfn 0x07, odd), as if the emulator were a BMC.
    const bytes rsp = frame(0x30, hex("1C 01 00 20 81 02 17 02 BF 57 01 00 A0 00 00 00 00 00"));
    REQUIRE(rsp.front() == 0x30);
    REQUIRE(rsp.back() == 0xA0);
    b.receive(rsp, t0, r);
    CHECK(r.requests.empty());
    CHECK(r.only_problem().problem == vm::protocol_problem::unexpected_response);
    CHECK(r.only_problem().msg_id == 0x30);
    CHECK(r.only_problem().offset == 3);
    CHECK(b.stats().count(vm::protocol_problem::unexpected_response) == 1);
    CHECK(b.stats().requests == 0);
    CHECK_FALSE(b.awaiting_response(0x30));
    CHECK(b.respond(0x30, hex("1C 01 C1")) == vm::session_error::unknown_message_id);
    CHECK(b.discard(0x30) == vm::session_error::unknown_message_id);
    CHECK(b.pending().empty());  // nothing answers a response
    // Every odd netfn, whatever the LUN, and however short the body.
    for (const std::uint8_t netfn_lun : {std::uint8_t{0x05}, std::uint8_t{0x1D}, std::uint8_t{0x2F},
                                         std::uint8_t{0xFF}}) {
      CAPTURE(netfn_lun);
      b.receive(frame(0x31, bytes{netfn_lun, 0x01}), t0, r);
      CHECK(r.problems.back().problem == vm::protocol_problem::unexpected_response);
      CHECK_FALSE(b.awaiting_response(0x31));
    }
    CHECK(r.problems.size() == 5);
    CHECK(r.requests.empty());
    CHECK(b.stats().count(vm::protocol_problem::unexpected_response) == 5);
    // The session stays usable: the next request (even netfn; LUN bits do not matter) is one.
    b.receive(frame(0x30, hex("19 01")), t0, r);
    REQUIRE(r.requests.size() == 1);
    CHECK(r.requests[0].first == 0x30);
    CHECK(r.requests[0].second == hex("19 01"));
    CHECK(b.stats().requests == 1);
    CHECK(b.awaiting_response(0x30));
    CHECK(b.respond(0x30, hex("1D 01 00 20 81")) == vm::session_error::ok);
    CHECK(drain(b, t0) == frame(0x30, hex("1D 01 00 20 81")));
    CHECK_FALSE(b.awaiting_response(0x30));
    CHECK(r.problems.size() == 5);
  }

  TEST_CASE("BMC role: calls while disconnected are refused") {
    bmc_end b;
    CHECK(b.power_off() == vm::session_error::not_connected);
    CHECK(b.respond(0, hex("1C 01 00")) == vm::session_error::not_connected);
  }

  TEST_CASE("a command always ends an outbound chunk, and the BMC holds output back for the gap") {
    bmc_end b;  // default gap 10 ms
    recorder r;
    b.connect(t0, r);
    drain(b, t0);  // the greeting is a command, so a gap starts at t0 too
    const auto t1 = t0 + 1s;
    b.receive(hex("08 3F A1"), t1, r);
    b.receive(frame(3, hex("18 2E 0D")), t1, r);
    // ipmi_sim's order: the command the request caused, then the response.
    REQUIRE(b.enable_irq(true) == vm::session_error::ok);
    REQUIRE(b.respond(3, hex("1C 2E 00")) == vm::session_error::ok);
    auto chunk = b.outbound(t1);
    CHECK(bytes(chunk.begin(), chunk.end()) == hex("05 A1"));
    b.consume(chunk.size(), t1);
    CHECK(b.outbound(t1).empty());  // the gap runs
    CHECK(b.outbound(t1 + 9ms).empty());
    CHECK(b.next_deadline() == t1 + 10ms);
    chunk = b.outbound(t1 + 10ms);
    CHECK(bytes(chunk.begin(), chunk.end()) == frame(3, hex("1C 2E 00")));
    b.consume(chunk.size(), t1 + 10ms);
    b.poll(t1 + 10ms, r);
    CHECK_FALSE(b.next_deadline());
  }

  TEST_CASE("message frames go out together in one chunk; a partial write keeps the rest") {
    bmc_end b;
    recorder r;
    b.connect(t0, r);
    drain(b, t0);
    const auto t1 = t0 + 1s;  // past the greeting's command gap
    b.receive(test::cat({frame(1, hex("18 01")), frame(2, hex("18 04"))}), t1, r);
    b.respond(1, hex("1C 01 00"));
    b.respond(2, hex("1C 04 00 55 00"));
    const bytes both = test::cat({frame(1, hex("1C 01 00")), frame(2, hex("1C 04 00 55 00"))});
    auto chunk = b.outbound(t1);
    CHECK(bytes(chunk.begin(), chunk.end()) == both);
    b.consume(3, t1);  // the socket took only 3 bytes
    chunk = b.outbound(t1);
    CHECK(bytes(chunk.begin(), chunk.end()) == bytes(both.begin() + 3, both.end()));
  }

  TEST_CASE("outbound buffer full: would_block, nothing lost, nothing overrun") {
    using small_bmc = vm::bmc_session<clk, vm::max_message_frame_size(vm::max_message_size)>;
    small_bmc b;
    recorder r;
    b.connect(t0, r);
    drain(b, t0);
    for (std::uint8_t id = 0; id < 8; ++id) b.receive(frame(id, hex("18 01")), t0, r);
    bytes big(vm::max_message_size, 0xA0);  // worst case: every byte escaped
    big[0] = 0x1C;
    big[1] = 0x01;
    big[2] = 0x00;
    REQUIRE(b.respond(0, big) == vm::session_error::ok);
    CHECK(b.respond(1, hex("1C 01 00")) == vm::session_error::would_block);
    CHECK(b.stats().would_block == 1);
    CHECK(b.awaiting_response(1));  // refused, so still unanswered
    const bytes first = drain(b, t0);
    CHECK(first == test::reference_message_frame(0, big));
    CHECK(b.respond(1, hex("1C 01 00")) == vm::session_error::ok);
    CHECK(drain(b, t0) == frame(1, hex("1C 01 00")));
  }

  TEST_CASE("emulator: a full outbound buffer refuses the request, which is not outstanding") {
    using small_emulator = vm::emulator_session<clk, vm::max_message_frame_size(vm::max_message_size)>;
    small_emulator e;
    recorder r;
    e.connect(t0, r);  // greeting occupies 6 bytes
    bytes big(vm::max_message_size, 0xAA);
    big[0] = 0x18;
    CHECK(e.send_request(1, big, t0, r) == vm::session_error::would_block);
    CHECK_FALSE(e.request_outstanding());
    CHECK(r.responses.empty());
    drain(e, t0);
    CHECK(e.send_request(1, big, t0, r) == vm::session_error::ok);
  }

  TEST_CASE("emulator and BMC sessions joined in memory complete a request with attention") {
    emulator e;
    bmc_end b;
    recorder er;
    recorder br;
    e.connect(t0, er);
    b.connect(t0, br);
    auto now = t0;
    auto pump = [&] {
      for (int i = 0; i < 20; ++i) {
        const bytes to_bmc = drain(e, now);
        if (!to_bmc.empty()) b.receive(to_bmc, now, br);
        const auto chunk = b.outbound(now);
        const bytes to_emu(chunk.begin(), chunk.end());
        b.consume(chunk.size(), now);
        if (!to_emu.empty()) e.receive(to_emu, now, er);
        now += 5ms;
        b.poll(now, br);
        e.poll(now, er);
      }
    };
    pump();
    CHECK(b.peer_capabilities() == vm::qemu_capabilities);
    REQUIRE(e.send_request(0x20, hex("18 01"), now, er) == vm::session_error::ok);
    pump();
    REQUIRE(br.requests.size() == 1);
    CHECK(b.set_attention(true, true) == vm::session_error::ok);
    CHECK(b.respond(0x20, hex("1C 01 00 20 81")) == vm::session_error::ok);
    pump();
    CHECK(er.hardware == std::vector<vm::command>{vm::command::attention_irq});
    REQUIRE(er.responses.size() == 1);
    CHECK(er.responses[0].body == hex("1C 01 00 20 81"));
    CHECK(er.problems.empty());
    CHECK(br.problems.empty());
  }
  // ------------------------------------------------------------------------------------------
  // Names, completion codes of answers, a full or fragmented outbound buffer

  TEST_CASE("every session_error, protocol_problem and role has its own name; other values have none") {
    using e = vm::session_error;
    const std::pair<e, std::string_view> errors[] = {
        {e::ok, "ok"}, {e::not_connected, "not_connected"}, {e::request_outstanding, "request_outstanding"},
        {e::would_block, "would_block"}, {e::unknown_message_id, "unknown_message_id"},
        {e::invalid_response, "invalid_response"}, {e::missing_capability, "missing_capability"},
    };
    for (const auto& [value, text] : errors) CHECK(vm::name(value) == text);
    CHECK(vm::name(static_cast<e>(7)).empty());
    CHECK(vm::name(static_cast<e>(0xFF)).empty());

    using p = vm::protocol_problem;
    const std::pair<p, std::string_view> problems[] = {
        {p::malformed_frame, "malformed_frame"}, {p::unexpected_response, "unexpected_response"},
        {p::mismatched_response, "mismatched_response"}, {p::unexpected_command, "unexpected_command"},
        {p::version_mismatch, "version_mismatch"},
    };
    // protocol_problem_count sizes session_stats::problems: every problem has its own counter.
    REQUIRE(std::size(problems) == vm::protocol_problem_count);
    const vm::session_stats fresh{};
    for (const auto& [value, text] : problems) {
      CHECK(vm::name(value) == text);
      CHECK(static_cast<std::size_t>(value) < fresh.problems.size());
      CHECK(fresh.count(value) == 0);
    }
    CHECK(vm::name(static_cast<p>(0)).empty());
    CHECK(vm::name(static_cast<p>(6)).empty());

    CHECK(vm::name(vm::role::emulator) == "emulator");
    CHECK(vm::name(vm::role::bmc) == "bmc");
  }

  TEST_CASE("response_event::code() is the completion code: the BMC's, or the one QEMU answers locally") {
    emulator::config cfg;
    cfg.response_timeout = std::chrono::duration_cast<clk::duration>(1s);
    emulator e(cfg);
    std::vector<completion_code> codes;
    std::vector<bool> local;
    auto h = [&](const auto& ev) {
      if constexpr (std::is_same_v<std::decay_t<decltype(ev)>, vm::response_event>) {
        codes.push_back(ev.code());
        local.push_back(ev.local);
        CHECK(static_cast<std::uint8_t>(ev.code()) == ev.body[2]);
      }
    };
    CHECK(e.send_request(1, hex("18 01"), t0, h) == vm::session_error::ok);  // not connected
    e.connect(t0, h);
    drain(e, t0);
    CHECK(e.send_request(2, hex("18"), t0, h) == vm::session_error::ok);  // too short
    bytes too_long(301, 0x01);
    too_long[0] = 0x18;
    CHECK(e.send_request(3, too_long, t0, h) == vm::session_error::ok);  // too long
    CHECK(e.send_request(4, hex("18 01"), t0, h) == vm::session_error::ok);
    e.poll(t0 + 1s, h);  // no answer in time
    CHECK(e.send_request(5, hex("18 01"), t0 + 1s, h) == vm::session_error::ok);
    e.receive(frame(5, hex("1C 01 C1")), t0 + 1s, h);  // the BMC's own answer: invalid command
    CHECK(e.send_request(6, hex("18 01"), t0 + 1s, h) == vm::session_error::ok);
    e.receive(frame(6, hex("1C 01 00 20")), t0 + 1s, h);
    CHECK(e.send_request(7, hex("18 01"), t0 + 1s, h) == vm::session_error::ok);
    e.disconnect(t0 + 1s, h);  // the connection drops
    using cc = completion_code;
    CHECK(codes == std::vector<cc>{cc::bmc_initialization_in_progress, cc::request_data_length_invalid,
                                   cc::request_data_truncated, cc::timeout, cc::invalid_command,
                                   cc::success, cc::bmc_initialization_in_progress});
    CHECK(local == std::vector<bool>{true, true, true, true, false, false, true});
  }

  TEST_CASE("commands the peer does not read pile up until the buffer is full, then would_block") {
    // A BMC whose emulator stopped reading: every command is kept until there is no room for
    // the next one, which is refused whole (never half written) and counted; after a drain the
    // same call succeeds.
    constexpr std::size_t capacity = vm::max_message_frame_size(vm::max_message_size);  // odd: 605
    using small_bmc = vm::bmc_session<clk, capacity>;
    small_bmc::config cfg;
    cfg.assumed_caps = vm::capability::irq;
    small_bmc b(cfg);
    recorder r;
    b.connect(t0, r);  // VERSION 1: 3 bytes, not drained
    std::size_t accepted = 0;
    vm::session_error last = vm::session_error::ok;
    for (std::size_t i = 0; i < capacity && last == vm::session_error::ok; ++i) {
      last = b.enable_irq(i % 2 == 0);
      if (last == vm::session_error::ok) ++accepted;
    }
    CHECK(last == vm::session_error::would_block);
    CHECK(accepted == (capacity - 3) / 2);  // 2 bytes each
    CHECK(b.outbound_room() == 0);
    CHECK(b.pending().size() == capacity);
    CHECK(b.stats().would_block == 1);
    CHECK(b.stats().commands_out == 1 + accepted);
    // Nothing was lost or reordered: VERSION, then ENABLE_IRQ / DISABLE_IRQ alternating.
    const auto all = b.pending();
    CHECK(bytes(all.begin(), all.begin() + 3) == hex("FF 01 A1"));
    for (std::size_t i = 0; i < accepted; ++i) {
      CAPTURE(i);
      CHECK(all[3 + 2 * i] == (i % 2 == 0 ? 0x05 : 0x06));
      CHECK(all[4 + 2 * i] == 0xA1);
    }
    // The refused command goes out once there is room.
    drain(b, t0);
    CHECK(b.enable_irq(false) == vm::session_error::ok);
    CHECK(drain(b, t0) == hex("06 A1"));
    CHECK(b.stats().would_block == 1);
  }

  TEST_CASE("after a partial write the buffer is compacted: a largest frame still fits, bytes in order") {
    // The room left behind the unsent bytes is too small for a worst-case frame, the room at
    // the front (already written) makes up for it: the session moves the unsent bytes to the
    // front instead of refusing.
    constexpr std::size_t largest = vm::max_message_frame_size(vm::max_message_size);
    constexpr std::size_t capacity = largest + 20;
    using tight_bmc = vm::bmc_session<clk, capacity>;
    tight_bmc b;
    recorder r;
    b.connect(t0, r);
    drain(b, t0);  // the greeting
    b.receive(test::cat({frame(0x01, hex("18 01")), frame(0xA0, hex("18 01"))}), t0, r);
    bytes small(26, 0x11);
    small[0] = 0x1C;
    small[1] = 0x01;
    small[2] = 0x00;
    const bytes first = frame(0x01, small);
    REQUIRE(b.respond(0x01, small) == vm::session_error::ok);
    b.consume(first.size() - 5, t0 + 1s);  // the socket took all but 5 bytes
    // A 300-byte response of special bytes with a special message id: almost every byte escaped.
    bytes big(vm::max_message_size, 0xAA);
    big[0] = 0x1C;
    big[1] = 0x01;
    big[2] = 0x00;
    const bytes second = frame(0xA0, big);
    REQUIRE(second.size() > capacity - first.size());  // does not fit behind the first frame
    REQUIRE(second.size() <= capacity - 5);            // fits once the 5 bytes move to the front
    CHECK(b.outbound_room() == capacity - 5);
    CHECK(b.respond(0xA0, big) == vm::session_error::ok);
    CHECK(b.stats().would_block == 0);
    CHECK(b.outbound_room() == capacity - 5 - second.size());
    const auto pending = b.pending();
    CHECK(bytes(pending.begin(), pending.end()) ==
          test::cat({bytes(first.end() - 5, first.end()), second}));
    CHECK(drain(b, t0 + 1s) == test::cat({bytes(first.end() - 5, first.end()), second}));
    CHECK(b.outbound_room() == capacity);
  }
}

// ---------------------------------------------------------------------------------------------
// Growable outbound storage: the same session, its buffer held only while output waits

TEST_CASE("session: a growable outbound storage behaves as the fixed one and holds no memory when nothing waits") {
  // The two sessions of each role get the same seeded steps (bytes in, responses of every size
  // up to the largest, commands, partial writes, time, reconnects); every result, every chunk,
  // the room and the stats must agree, and the vector must be empty of memory whenever nothing
  // is pending. A small capacity makes would_block frequent.
  using fixed_bmc = vm::bmc_session<clk, 1024>;
  using growing_bmc = vm::bmc_session<clk, 1024, std::vector<std::uint8_t>>;
  using fixed_emulator = vm::emulator_session<clk, 1024>;
  using growing_emulator = vm::emulator_session<clk, 1024, std::vector<std::uint8_t>>;
  fixed_bmc fb;
  growing_bmc gb;
  fixed_emulator fe;
  growing_emulator ge;
  recorder fbr, gbr, fer, ger;
  test::random_source rnd(20261206);
  clk::time_point now = t0;
  const auto same_output = [&](const auto& f, const auto& g) {
    REQUIRE(bytes(f.pending().begin(), f.pending().end()) == bytes(g.pending().begin(), g.pending().end()));
    REQUIRE(f.outbound(now).size() == g.outbound(now).size());
    REQUIRE(f.outbound_room() == g.outbound_room());
    REQUIRE(f.stats().would_block == g.stats().would_block);
    REQUIRE(f.stats().commands_out == g.stats().commands_out);
    REQUIRE(f.stats().responses == g.stats().responses);
    REQUIRE(f.stats().requests == g.stats().requests);
    if (g.pending().empty()) REQUIRE(g.outbound_storage_in_use().capacity() == 0);
    else REQUIRE(g.outbound_storage_in_use().size() == 1024);
  };
  fb.connect(now, fbr);
  gb.connect(now, gbr);
  fe.connect(now, fer);
  ge.connect(now, ger);
  std::size_t would_blocks = 0, emptied = 0;
  for (int step = 0; step < 4000; ++step) {
    CAPTURE(step);
    const std::size_t op = rnd.below(9);
    if (op == 0) {  // a request arrives at the BMCs
      const auto id = static_cast<std::uint8_t>(rnd.below(64));
      const bytes f = frame(id, bytes{0x18, static_cast<std::uint8_t>(rnd.byte())});
      fb.receive(f, now, fbr);
      gb.receive(f, now, gbr);
    } else if (op == 1 || op == 2) {  // a request, and a response of any size up to the largest
      const auto id = static_cast<std::uint8_t>(rnd.below(64));
      const bytes request = frame(id, bytes{0x18, 0x01});
      fb.receive(request, now, fbr);
      gb.receive(request, now, gbr);
      bytes body = rnd.special_dense_bytes(rnd.between(3, vm::max_message_size));
      body[0] = 0x1C;
      const auto a = fb.respond(id, body);
      REQUIRE(a == gb.respond(id, body));
      would_blocks += a == vm::session_error::would_block;
    } else if (op == 3) {  // commands
      const bool on = rnd.chance(50);
      REQUIRE(fb.set_attention(on) == gb.set_attention(on));
    } else if (op == 4) {  // the emulators send a request of any size
      bytes body = rnd.special_dense_bytes(rnd.between(2, vm::max_message_size));
      body[0] = static_cast<std::uint8_t>(body[0] & ~0x04u);  // a request's netfn
      const auto id = static_cast<std::uint8_t>(rnd.below(64));
      REQUIRE(fe.send_request(id, body, now, fer) == ge.send_request(id, body, now, ger));
    } else if (op == 5 || op == 8) {  // the peer reads what is offered, or part of it
      const std::size_t offered = fb.outbound(now).size();
      const std::size_t fn = rnd.chance(50) ? offered : rnd.below(offered + 1);
      fb.consume(fn, now);
      gb.consume(fn, now);
      const std::size_t en = rnd.below(fe.outbound(now).size() + 1);
      fe.consume(en, now);
      ge.consume(en, now);
      emptied += gb.pending().empty() && fn > 0;
    } else if (op == 7) {  // time passes: command gaps end, requests time out
      now += std::chrono::milliseconds(rnd.below(3000));
      fb.poll(now, fbr);
      gb.poll(now, gbr);
      fe.poll(now, fer);
      ge.poll(now, ger);
    } else if (op == 6 && rnd.chance(10)) {  // a reconnect drops what was unsent
      fb.connect(now, fbr);
      gb.connect(now, gbr);
      fe.connect(now, fer);
      ge.connect(now, ger);
    }
    same_output(fb, gb);
    same_output(fe, ge);
    REQUIRE(fbr.requests.size() == gbr.requests.size());
    REQUIRE(fer.responses.size() == ger.responses.size());
  }
  CHECK(would_blocks > 50);  // the buffer was full often enough to matter
  CHECK(emptied > 50);       // and drained to nothing often
  CHECK(fer.responses.size() > 100);
}
