// tests/interop/kcs_host_qemu_test.cpp — ipmikit's KCS host state machine (kcs::basic_host,
// include/ipmikit/kcs/host.hpp) driving QEMU's real isa-ipmi-kcs device model through qtest
// port I/O (kcs_bus.hpp: 0xCA2 data, 0xCA3 status/command). No guest: QEMU runs the halting
// BIOS of qemu.hpp, the test is the guest.
//
// Two runs, each with its own QEMU:
//   bmc       QEMU's ipmi-bmc-extern → ipmikit's BMC session (vm::bmc_session on a thread,
//             answering with responses this test chooses):
//               Get Device ID (exact bytes, exact register trace, same answer as the
//               hand-written host of kcs_qtest.hpp); eight transactions in a row (msg_ids
//               consecutive, a 40-byte request and 43-byte response); abort in the middle of
//               a write; a response longer than the host's Capacity (abort in the read phase);
//               the BMC never answers, three ways (response_timeout 6 s: QEMU's own cc C3;
//               response_timeout 1 s: the host's abort waits out QEMU's IBF hold, then retries;
//               response_timeout 1 s + ibf_timeout 0.5 s: hosed, then reset() + a new
//               transaction once QEMU lets IBF go); SMS_ATN raised and cleared by the session;
//               last, QEMU stopped mid-transaction (the bus reports the qtest failure, which
//               the host alone would take for "no device").
//   ipmi_sim  QEMU's ipmi-bmc-extern → OpenIPMI's ipmi_sim (ipmi_sim.hpp's bmc.emu):
//               Get Device ID (netfn/cmd/cc, length 18, the bmc.emu values), eight
//               transactions in a row (Get Device ID ×5, Get BMC Global Enables, Get Watchdog
//               Timer, Get Self Test Results → C1), abort in the middle of a write.
//
// Takes about 13 s, 12 of them QEMU's 4 s response timer (three times).
//
// Usage: ipmikit_interop_kcs_host_qemu_test [bmc] [ipmi_sim]   (no argument: both)
// Exit status: 0 passed, 1 a check failed, 77 skipped (qemu-system-x86_64 or ipmi_sim missing,
// unless IPMIKIT_INTEROP_REQUIRED=1). IPMIKIT_INTEROP_KEEP=1 keeps the temporary directories.
//
// The rig (QEMU, the BMC, the qtest bus), one transaction (run, check_done), the runs, main()
// and the scenarios both interfaces run alike (eight transactions in a row, a silent BMC
// answered by QEMU's C3, Get Device ID once QEMU has connected to ipmi_sim) are host_qemu.hpp's,
// shared with bt_host_qemu_test.cpp; this file describes the interface (the traits) and keeps
// its own scenarios and checks.
#include <algorithm>
#include <array>
#include <optional>
#include <span>
#include <string>

#include <ipmikit/kcs/host.hpp>
#include <ipmikit/vm/session.hpp>

#include "host_qemu.hpp"
#include "kcs_bus.hpp"
#include "kcs_qtest.hpp"

namespace {

using namespace ipmikit::interop;
using namespace ipmikit::interop::host_qemu;
namespace ik = ::ipmikit::kcs;  // (ipmikit::interop::kcs is kcs_qtest.hpp's constants)
namespace vm = ::ipmikit::vm;
using host_t = ik::basic_host<steady>;
using op = kcs_bus_access::op;

// ---------------------------------------------------------------------------------------------
// The interface, for host_qemu.hpp's rig

template <class Host>
std::string host_state(const Host& h) {
  return describe_host(h,
                       ", error_code " + hex(static_cast<std::uint8_t>(h.error_code())) + ", last status " +
                           hex(h.last_status().value),
                       " aborts " + std::to_string(h.stats().aborts));
}

struct kcs_traits {
  using bus = qtest_kcs_bus;
  static constexpr ipmi_interface iface = ipmi_interface::kcs;
  static constexpr std::string_view name = "kcs", device = "isa-ipmi-kcs";
  // QEMU never sets C/D (08) nor the OEM bits (30) (qemu.md §2.2); the host does not need them.
  static constexpr std::uint8_t never_set = 0x38;
  static constexpr std::string_view never_set_what = "C/D and OEM bits clear", poll_what = "status";

  static std::uint8_t poll(bus& b) { return b.read_status(); }
  static bool check_power_on(checker& c, bus& b) {
    const auto st = b.read_status();
    return c.check(!b.failed() && st == 0x00, "KCS status 00 (IDLE) at the start: " + hex(st), b.error());
  }
  // What the ipmikit BMC answers: host_qemu.hpp's answer_for().
  static void answer(bmc_link& link, bmc_session& s, const vm::request_event& r) { respond(link, s, r, answer_for(r)); }
  template <class Host>
  static std::string host_state(const Host& h) {
    return ::host_state(h);
  }
};

using rig = host_qemu::rig<kcs_traits>;

[[nodiscard]] host_t::config host_config(millis response_timeout = millis(6000), millis ibf_timeout = millis(5000)) {
  host_t::config cfg;
  cfg.response_timeout = response_timeout;
  cfg.ibf_timeout = ibf_timeout;
  cfg.obf_timeout = millis(2000);
  return cfg;
}

void hold_back(bmc_link& link, int n) { host_qemu::hold_back<kcs_traits>(link, n); }

// ---------------------------------------------------------------------------------------------
// Cases shared by both runs

/// Puts QEMU's KCS in the middle of a write by hand (WRITE_START and one request byte, each
/// dummy byte read), then runs Get Device ID through a fresh host: it must find WRITE_STATE,
/// run the abort sequence, retry and succeed. Returns the host's response (empty on failure).
bytes abort_mid_write(checker& c, rig& r) {
  qtest_kcs_bus& bus = *r.bus;
  const std::size_t m0 = bus.mark();
  bus.write_command(0x61);
  const std::uint8_t s1 = bus.read_status();
  (void)bus.read_data();
  bus.write_data(0x18);
  const std::uint8_t s2 = bus.read_status();
  (void)bus.read_data();
  const std::uint8_t s3 = bus.read_status();
  c.check(!bus.failed() && s1 == 0x81 && s2 == 0x81 && s3 == 0x80,
          "by hand: WRITE_START, dummy, 18, dummy → status 80 (WRITE, the request half written): " + bus.describe(m0),
          bus.error());

  host_t host(host_config());
  const auto res = run(r, host, {0x18, 0x01});
  if (!check_done(c, r, host, res, "Get Device ID after the half-written request")) return {};
  c.check(host.stats().aborts == 1 && host.stats().retries == 1 && host.attempts() == 2,
          "one abort sequence, one retry, two attempts", host_state(host));
  c.check(host.problem() == ik::problem::unexpected_state,
          "problem() = unexpected_state (the WRITE state at the start; it stays after the retry fixed it): " +
              std::string(ik::name(host.problem())));
  c.check(host.error_code() == ik::error_code::aborted_by_command,
          "error_code() = 01 aborted_by_command (what QEMU returns in the abort sequence): " +
              hex(static_cast<std::uint8_t>(host.error_code())));
  c.check(bus.saw(op::write_command, 0x60, res.trace_from), "the trace has GET_STATUS/ABORT (C<-60)");
  // The abort sequence against QEMU, exactly: the state after 60 is ERROR (C1), not the WRITE the
  // spec's Figure 9-8 shows; 00 then yields READ with the status code 01; READ (68) → IDLE + dummy.
  // Then the request again, from WRITE_START to the first response byte.
  c.check(trace_matches(bus, res.trace_from,
                        "S=80 C<-60 S=C1 D=?? W<-00 S=41 D=01 W<-68 S=01 D=?? "
                        "S=00 C<-61 S=81 D=?? W<-18 S=81 D=?? C<-62 S=81 D=?? W<-01 S=82? S=41 D=1C W<-68",
                        false),
          "trace: S=80 C<-60 S=C1 (QEMU: ERROR_STATE|OBF after ABORT) D W<-00 S=41 D=01 W<-68 S=01 D, "
          "then the request again",
          bus.describe(res.trace_from));
  say("    trace: " + bus.describe(res.trace_from, 60));
  const auto st = bus.read_status();
  c.check(st == 0x00, "KCS idle afterwards (status " + hex(st) + ")");
  return bytes(host.response().begin(), host.response().end());
}

// ---------------------------------------------------------------------------------------------
// Run (a): QEMU ⇄ ipmikit's BMC session

const char* const get_device_id_trace =
    "S=00 C<-61 S=81 D=?? W<-18 S=81 D=?? C<-62 S=81 D=?? W<-01 S=82? "
    "S=41 D=1C W<-68 S=41 D=01 W<-68 S=41 D=00 W<-68 S=41 D=20 W<-68 S=41 D=81 W<-68 S=41 D=02 W<-68 "
    "S=41 D=17 W<-68 S=41 D=02 W<-68 S=41 D=BF W<-68 S=41 D=57 W<-68 S=41 D=01 W<-68 S=41 D=00 W<-68 "
    "S=41 D=A1 W<-68 S=41 D=AA W<-68 S=41 D=00 W<-68 S=41 D=00 W<-68 S=41 D=00 W<-68 S=41 D=00 W<-68 "
    "S=01 D=??";

void bmc_get_device_id(checker& c, rig& r) {
  bmc_link& link = *r.link;
  const std::size_t mark = link.log_size();
  host_t host(host_config());
  const auto res = run(r, host, {0x18, 0x01});
  if (!check_done(c, r, host, res, "Get Device ID through kcs::host")) return;
  c.check_bytes(host.response(), device_id_response, "the response, exactly (A1 and AA escaped on the wire)");
  c.check(host.problem() == ik::problem::none && host.attempts() == 1 && host.stats().aborts == 0,
          "no problem, one attempt, no abort", host_state(host));
  c.check(trace_matches(*r.bus, res.trace_from, get_device_id_trace),
          "the register trace is the spec's flow (qemu-live.md): WRITE_START, 18, WRITE_END, 01, "
          "IBF held (82) until the BMC answers, 18 × (41, read, 68), IDLE + dummy",
          r.bus->describe(res.trace_from));
  say("    trace: " + r.bus->describe(res.trace_from, 24) + " …");
  const auto req = link.requests_since(mark);
  if (c.check(req.size() == 1, "the BMC session got one request"))
    c.check_bytes(req[0].body, {0x18, 0x01}, "its body (msg_id " + hex(req[0].msg_id) + ")");
  // The hand-written host of kcs_qtest.hpp reads the same answer.
  auto hand = kcs_transaction(r.q->qt, {0x18, 0x01}, millis(6000));
  if (c.check_ok(hand, "the same request through kcs_qtest.hpp's hand-written host"))
    c.check_bytes(*hand, host.response(), "the same response bytes");
}

void bmc_in_a_row(checker& c, rig& r) {
  host_t host(host_config());
  eight_in_a_row(c, r, host, "", [](const run_result&) {});
  c.check(host.stats().aborts == 0, "stats: no abort", host_state(host));
}

void bmc_abort_mid_write(checker& c, rig& r) {
  bmc_link& link = *r.link;
  const std::size_t mark = link.log_size();
  const auto before = link.requests_since(0);
  const auto got = abort_mid_write(c, r);
  if (!got.empty()) c.check_bytes(got, device_id_response, "the retried request's response");
  const auto after = link.requests_since(mark);
  if (c.check(after.size() == 1, "the BMC got exactly one request (the half-written one never left QEMU)") &&
      !before.empty()) {
    const std::uint8_t prev = before.back().msg_id;
    c.check(after[0].msg_id == static_cast<std::uint8_t>(prev + 2),
            "its msg_id is " + hex(after[0].msg_id) + " = the previous " + hex(prev) +
                " + 2: QEMU's KCS counts an ABORT like a response (qemu.md §2.4, waiting_rsp++)");
  }
}

/// A host with room for 8 bytes gets the 18-byte Get Device ID response: it stops reading at
/// the ninth byte and aborts in QEMU's READ state.
void bmc_too_long(checker& c, rig& r) {
  ik::basic_host<steady, 8> small(ik::basic_host<steady, 8>::config{});
  const auto res = run(r, small, {0x18, 0x01});
  c.check(res.outcome == ik::outcome::failed && small.problem() == ik::problem::response_too_long && !r.bus->failed(),
          "Capacity 8: failed with response_too_long after " + std::to_string(res.ms) + " ms", host_state(small));
  c.check(small.error_code() == ik::error_code::aborted_by_command && small.stats().retries == 0 &&
              small.stats().aborts == 1,
          "one abort (status code 01 from QEMU's READ state), no retry", host_state(small));
  c.check_bytes(small.response(), std::span<const std::uint8_t>(device_id_response.data(), 8),
                "response() keeps the 8 bytes read");
  // The ninth byte is read and not acknowledged, then the abort from QEMU's READ state:
  // … D=BF S=40 C<-60 S=C1 D W<-00 S=41 D=01 W<-68 S=01 D.
  c.check(trace_matches(*r.bus, res.trace_from,
                        "S=00 C<-61 S=81 D=?? W<-18 S=81 D=?? C<-62 S=81 D=?? W<-01 S=82? "
                        "S=41 D=1C W<-68 S=41 D=01 W<-68 S=41 D=00 W<-68 S=41 D=20 W<-68 S=41 D=81 W<-68 "
                        "S=41 D=02 W<-68 S=41 D=17 W<-68 S=41 D=02 W<-68 S=41 D=BF "
                        "S=40 C<-60 S=C1 D=?? W<-00 S=41 D=01 W<-68 S=01 D=??"),
          "trace: eight bytes acknowledged, the ninth read, then S=40 C<-60 S=C1 … D=01 … S=01 D",
          r.bus->describe(res.trace_from));
  const std::size_t mark = r.link->requests_since(0).size();
  host_t host(host_config());
  const auto res2 = run(r, host, {0x18, 0x01});
  if (check_done(c, r, host, res2, "the next transaction (full-size host)"))
    c.check_bytes(host.response(), device_id_response, "exact response");
  const auto reqs = r.link->requests_since(0);
  if (c.check(reqs.size() == mark + 1 && mark >= 1, "one more request reached the BMC"))
    c.check(reqs[mark].msg_id == static_cast<std::uint8_t>(reqs[mark - 1].msg_id + 2),
            "msg_ids " + hex(reqs[mark - 1].msg_id) + ", " + hex(reqs[mark].msg_id) +
                ": +2 (the response and the ABORT in the read phase each count)");
}

/// The BMC never answers; response_timeout 6 s > QEMU's 4 s: QEMU's local cc C3 reaches the
/// host as an ordinary response.
void bmc_silent_long_timeout(checker& c, rig& r) {
  host_t host(host_config(millis(6000)));
  silent_bmc_qemu_answers(c, r, host, [&](const run_result&) {
    c.check(host.attempts() == 1 && host.stats().aborts == 0 && host.problem() == ik::problem::none,
            "one attempt, no abort, no problem: the host cannot tell QEMU's C3 from the BMC's", host_state(host));
  });
}

/// The BMC does not answer the first request; response_timeout 1 s < QEMU's 4 s, ibf_timeout
/// 5 s: the host times out, starts the abort sequence — and waits for IBF=0, which QEMU holds
/// until its own 4 s timer answers C3. Then the abort runs in the READ state (the C3 response
/// is lost: its first byte is cleared as a stale OBF), and the retry gets the BMC's answer.
void bmc_silent_abort_waits(checker& c, rig& r) {
  bmc_link& link = *r.link;
  hold_back(link, 1);
  const std::size_t mark = link.log_size();
  host_t host(host_config(millis(1000), millis(5000)));
  const auto res = run(r, host, {0x18, 0x01}, millis(10000));
  if (check_done(c, r, host, res, "response_timeout 1 s, ibf_timeout 5 s, BMC silent once")) {
    c.check_bytes(host.response(), device_id_response, "the retry's answer, from the BMC");
    c.check(res.ms >= 3800 && res.ms <= 6000,
            "after " + std::to_string(res.ms) + " ms: not 1 s — the abort could only start when QEMU let IBF go at 4 s");
    c.check(host.problem() == ik::problem::response_timeout && host.stats().aborts == 1 &&
                host.stats().retries == 1 && host.error_code() == ik::error_code::aborted_by_command,
            "problem response_timeout, one abort (status 01), one retry", host_state(host));
  }
  // The register trace: IBF held (82) through the response timeout and the abort's IBF wait,
  // then QEMU's C3 (41 with 1C in Data_Out) is cleared as a stale byte and ABORT goes in.
  const auto& t = r.bus->trace();
  bool found = false;
  for (std::size_t i = res.trace_from; i + 3 < t.size(); ++i) {
    if (t[i].token() == "S=82" && t[i + 1].token() == "S=41" && t[i + 2].token() == "D=1C" &&
        t[i + 3].token() == "C<-60") {
      found = true;
      break;
    }
  }
  c.check(found, "trace: S=82 (held) → S=41 D=1C (QEMU's C3, cleared as stale) → C<-60",
          r.bus->describe(res.trace_from, 60));
  const auto req = link.requests_since(mark);
  if (c.check(req.size() == 2, "the BMC got the request twice"))
    c.check(req[1].msg_id == static_cast<std::uint8_t>(req[0].msg_id + 2),
            "msg_ids " + hex(req[0].msg_id) + ", " + hex(req[1].msg_id) + ": +2 (QEMU's C3 and the ABORT each count)");
}

/// The BMC does not answer; response_timeout 1 s and ibf_timeout 0.5 s: the abort sequence
/// cannot even write ABORT while QEMU holds IBF, three attempts time out, the host is hosed
/// after ~2.5 s. An ABORT written anyway is dropped by QEMU. Once QEMU answers C3 itself
/// (4 s), reset() and a new transaction recover.
void bmc_silent_hosed(checker& c, rig& r) {
  bmc_link& link = *r.link;
  hold_back(link, 1);
  const std::size_t mark = link.log_size();
  host_t host(host_config(millis(1000), millis(500)));
  const auto t0 = steady::now();
  const auto res = run(r, host, {0x18, 0x01}, millis(10000));
  c.check(res.outcome == ik::outcome::hosed && !r.bus->failed(),
          "response_timeout 1 s, ibf_timeout 0.5 s: hosed after " + std::to_string(res.ms) + " ms", host_state(host));
  c.check(res.ms >= 2300 && res.ms <= 3500, "≈ 1 s + 3 × 0.5 s (" + std::to_string(res.ms) + " ms), before QEMU's 4 s");
  c.check(host.problem() == ik::problem::ibf_timeout && host.stats().aborts == 3 && host.stats().retries == 0,
          "problem ibf_timeout, three abort sequences begun, no retry", host_state(host));
  c.check(!r.bus->saw(op::write_command, 0x60, res.trace_from),
          "the host never wrote ABORT (it waits for IBF=0 first, correctly)", r.bus->describe(res.trace_from));
  const std::array<std::uint8_t, 2> get_device_id = {0x18, 0x01};
  c.check(host.start(get_device_id, steady::now()) == ik::host_error::hosed,
          "start() while hosed is refused with host_error::hosed");

  // ABORT by hand while IBF is held: QEMU drops it.
  const std::size_t m = r.bus->mark();
  const std::uint8_t s_before = r.bus->read_status();
  r.bus->write_command(0x60);
  const std::uint8_t s_after = r.bus->read_status();
  const long long at = ms_between(t0, steady::now());
  c.check(s_before == 0x82 && s_after == 0x82,
          "ABORT written by hand at " + std::to_string(at) + " ms while IBF is held: dropped (status " + hex(s_before) +
              " → " + hex(s_after) + ")",
          r.bus->describe(m));

  // Wait for QEMU to let IBF go (its 4 s timer answers C3).
  const auto st = wait_poll(r, [](std::uint8_t s) { return (s & 0x02) == 0; }, millis(5000));
  const long long released = ms_between(t0, steady::now());
  c.check(st == std::optional<std::uint8_t>(0x41),
          "QEMU released IBF " + std::to_string(released) + " ms after the request with READ|OBF (41): its C3 response " +
              "(the dropped ABORT left no trace)",
          st ? hex(*st) : std::string("still held / error"));
  c.check(released >= 3800 && released <= 5500, "released at ≈ 4 s");

  host.reset();
  c.check(host.outcome() == ik::outcome::idle, "reset(): idle");
  const auto res2 = run(r, host, {0x18, 0x01}, millis(3000));
  if (check_done(c, r, host, res2, "reset() + Get Device ID")) {
    c.check_bytes(host.response(), device_id_response, "the BMC's answer");
    c.check(host.stats().aborts == 4 && host.attempts() == 1 && host.error_code() == ik::error_code::aborted_by_command,
            "the new transaction began with an abort sequence (resync), status 01, then the request", host_state(host));
    c.check(trace_matches(*r.bus, res2.trace_from, "S=41 D=1C C<-60 S=C1 D=?? W<-00 S=41 D=01 W<-68 S=01 D=?? S=00 C<-61",
                          false),
            "trace: S=41 D=1C (QEMU's C3 cleared as stale) C<-60 S=C1 … S=01 D, then WRITE_START",
            r.bus->describe(res2.trace_from, 40));
  }
  const auto req = link.requests_since(mark);
  if (c.check(req.size() == 2, "the BMC got two requests"))
    c.check(req[1].msg_id == static_cast<std::uint8_t>(req[0].msg_id + 2), "msg_ids " + hex(req[0].msg_id) + ", " +
                                                                                hex(req[1].msg_id) + " (+2)");
}

void bmc_attention(checker& c, rig& r) {
  bmc_link& link = *r.link;
  host_t host(host_config());
  auto res = run(r, host, {0x18, 0x01});
  if (check_done(c, r, host, res, "a transaction before ATTN")) c.check(!host.attention(), "attention() false");

  const std::size_t writes_before = link.write_count();
  auto e = link.with([](bmc_session& s) { return s.set_attention(true); });
  c.check(e == vm::session_error::ok, "the BMC session set_attention(true): " + std::string(vm::name(e)));
  // The session sends 01 A1 from its thread; wait for that write without touching the KCS.
  for (int i = 0; i < 500 && link.write_count() == writes_before; ++i) sleep_ms(1);
  c.check(link.write_count() > writes_before, "the session wrote ATTN");
  sleep_ms(50);
  res = run(r, host, {0x18, 0x01});
  if (check_done(c, r, host, res, "a transaction after ATTN")) {
    c.check_bytes(host.response(), device_id_response, "the response is unaffected");
    c.check(host.attention(), "attention() true (last status " + hex(host.last_status().value) + ")");
    bool all = true;
    for (std::size_t i = res.trace_from; i < r.bus->trace().size(); ++i) {
      const auto& a = r.bus->trace()[i];
      if (a.what == op::read_status && (a.value & 0x04) == 0) all = false;
    }
    c.check(all, "SMS_ATN (04) in every status read of the transaction; the state checks ignore it",
            r.bus->describe(res.trace_from, 12));
  }
  e = link.with([](bmc_session& s) { return s.set_attention(false); });
  c.check(e == vm::session_error::ok, "set_attention(false): " + std::string(vm::name(e)));
  const auto st = wait_poll(r, [](std::uint8_t s) { return (s & 0x04) == 0; }, millis(1000));
  c.check(st.has_value(), "SMS_ATN cleared in the status register");
  res = run(r, host, {0x18, 0x01});
  if (check_done(c, r, host, res, "a transaction after NOATTN")) c.check(!host.attention(), "attention() false again");
}

/// The qtest connection dies in the middle of a transaction (the test stops QEMU while the
/// host waits for the response). The host cannot see I/O errors — it only gets bytes — so the
/// bus remembers the failure, answers 0xFF without touching the socket, and drive_host() stops.
void qtest_lost(checker& c, rig& r) {
  hold_back(*r.link, 1);
  host_t host(host_config());
  const std::array<std::uint8_t, 2> get_device_id = {0x18, 0x01};
  c.check(host.start(get_device_id, steady::now()) == ik::host_error::ok, "Get Device ID started (the BMC will not answer)");
  (void)drive_host(host, *r.bus, millis(300));
  c.check(host.outcome() == ik::outcome::busy && host.last_status().value == 0x82 && !r.bus->failed(),
          "after 300 ms the host is still waiting, IBF held (82)", host_state(host));
  r.qemu_stopped_on_purpose = true;
  const auto st = r.q->proc.stop();
  c.check_ok(st, "QEMU stopped mid-transaction (pid " + std::to_string(r.q->proc.pid()) + ")");
  const auto t0 = steady::now();
  const auto sent = r.q->qt.commands_sent();
  (void)drive_host(host, *r.bus, millis(10000));
  const long long took = elapsed_ms(t0);
  c.check(r.bus->failed() && !r.bus->error().empty(), "the bus remembered the qtest failure: " + r.bus->error());
  c.check(took < 1000 && host.outcome() == ik::outcome::busy,
          "drive_host() stopped after " + std::to_string(took) + " ms with the host still busy (its own timeout is 6 s)",
          host_state(host));
  c.check(r.q->qt.commands_sent() == sent + 1, "one qtest command failed; no later access touched the socket (" +
                                                   std::to_string(r.q->qt.commands_sent() - sent) + " sent)");
  c.check(!r.bus->trace().empty() && !r.bus->trace().back().ok, "the trace marks the failed access: " +
                                                                     r.bus->describe(r.bus->trace().size() - 1));
  // What the host alone would make of it: a new transaction driven by plain kcs::drive (which
  // does not know about bus failures) reads 0xFF as its first status — "no device".
  host_t fresh(host_config());
  c.check(fresh.start(get_device_id, steady::now()) == ik::host_error::ok, "a new host, start()");
  const auto o = ik::drive(fresh, *r.bus, [] { return steady::now(); }, 1000);
  c.check(o == ik::outcome::failed && fresh.problem() == ik::problem::no_device,
          "plain kcs::drive over the dead bus: " + std::string(ik::name(o)) + ", problem " +
              std::string(ik::name(fresh.problem())) + " — only bus.failed() tells the real cause",
          host_state(fresh));
  c.check(r.q->qt.commands_sent() == sent + 1, "still no qtest command sent");
}

// ---------------------------------------------------------------------------------------------
// Run (b): QEMU ⇄ OpenIPMI's ipmi_sim

void check_sim_device_id(checker& c, std::span<const std::uint8_t> rsp, const std::string& what) {
  c.check(rsp.size() >= 3 && rsp[0] == 0x1C && rsp[1] == 0x01 && rsp[2] == 0x00,
          what + ": netfn/LUN 1C, cmd 01, cc 00: " + hex(rsp));
  c.check(rsp.size() == 18, what + ": 18 bytes (cc + 15 data bytes with the aux revision)");
  c.check_bytes(rsp, sim_device_id, what + ": the bmc.emu values");
}

void sim_cases(checker& c, rig& r) {
  host_t host(host_config());
  say("-- Get Device ID");
  run_result res = device_id_once_connected(c, r, host);
  if (!check_done(c, r, host, res, "Get Device ID through kcs::host")) return;
  check_sim_device_id(c, host.response(), "ipmi_sim's answer");
  c.check(host.attempts() == 1 && host.stats().aborts == 0, "one attempt, no abort", host_state(host));
  say("    trace: " + r.bus->describe(res.trace_from, 24) + " …");

  say("-- transactions in a row");
  host_t row(host_config());
  const row_result five = device_id_five_times(c, r, row, sim_device_id, [](const run_result&) {});
  c.check(five.good == 5, "all five exact (" + std::to_string(five.good) + "/5), " + std::to_string(five.total_ms / 5) +
                              " ms each");
  // Get Watchdog Timer: the spec's answer is cc + 8 bytes; ipmi_sim sends cc + 6 (its
  // handle_get_watchdog_timer sets *rdata_len = 7, leaving out the present countdown it writes
  // at rdata[7..8]). Either length is accepted; the host reads what QEMU got, nothing more.
  res = run(r, row, {0x18, 0x25});
  if (check_done(c, r, row, res, "Get Watchdog Timer")) {
    const auto rsp = row.response();
    c.check((rsp.size() == 9 || rsp.size() == 11) && rsp[0] == 0x1C && rsp[1] == 0x25 && rsp[2] == 0x00,
            "1C 25 00 + 6 or 8 bytes: " + hex(rsp));
    if (rsp.size() == 9) c.note("ipmi_sim's Get Watchdog Timer answer is 2 bytes short (no present countdown)");
  }
  sim_self_test_and_enables(c, r, row);
  c.check(row.stats().done == 8 && row.stats().aborts == 0, "stats: 8 done, no abort", host_state(row));

  say("-- abort in the middle of a write");
  const auto got = abort_mid_write(c, r);
  if (!got.empty()) check_sim_device_id(c, got, "the retried request's response");
}

const section<kcs_traits> bmc_sections[] = {
    {"Get Device ID", bmc_get_device_id},
    {"eight transactions in a row", bmc_in_a_row},
    {"abort in the middle of a write", bmc_abort_mid_write},
    {"a response longer than the host's Capacity", bmc_too_long},
    {"BMC silent, response_timeout 6 s (QEMU answers C3)", bmc_silent_long_timeout},
    {"BMC silent once, response_timeout 1 s (the abort waits for QEMU's IBF)", bmc_silent_abort_waits},
    {"BMC silent, response_timeout 1 s, ibf_timeout 0.5 s (hosed, reset)", bmc_silent_hosed},
    {"SMS_ATN", bmc_attention},
};

}  // namespace

int main(int argc, char** argv) {
  return run_main<kcs_traits>(
      argc, argv, {bmc_sections, section<kcs_traits>{"the qtest connection is lost mid-transaction (QEMU stopped)", qtest_lost}, sim_cases});
}
