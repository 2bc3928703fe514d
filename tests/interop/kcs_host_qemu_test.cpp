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
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ipmikit/kcs/host.hpp>
#include <ipmikit/vm/session.hpp>

#include "bmc_link.hpp"
#include "check.hpp"
#include "common.hpp"
#include "ipmi_sim.hpp"
#include "kcs_bus.hpp"
#include "kcs_qtest.hpp"
#include "net.hpp"
#include "process.hpp"
#include "qemu.hpp"

namespace {

using namespace ipmikit::interop;
namespace ik = ::ipmikit::kcs;  // (ipmikit::interop::kcs is kcs_qtest.hpp's constants)
namespace vm = ::ipmikit::vm;
using host_t = ik::basic_host<steady>;
using op = kcs_bus_access::op;

// ---------------------------------------------------------------------------------------------
// What the ipmikit BMC answers

/// Get Device ID: dev id 20, rev 81, fw 2.17, IPMI 2.0, support BF, mfg 000157, product
/// AAA1, aux 0. The product id bytes A1 and AA are VM-protocol special characters and travel
/// escaped (AA B1, AA BA) between the session and QEMU.
const bytes device_id_response = {0x1C, 0x01, 0x00, 0x20, 0x81, 0x02, 0x17, 0x02, 0xBF,
                                  0x57, 0x01, 0x00, 0xA1, 0xAA, 0x00, 0x00, 0x00, 0x00};

constexpr std::uint8_t oem_netfn_lun = 0x30 << 2;  // OEM netfn 0x30, LUN 0
constexpr std::uint8_t oem_echo_cmd = 0x01;

/// Get Device ID, Set BMC Global Enables (cc 00), the OEM echo command (cc 00 + the request
/// data reversed) and everything else with cc C1.
bytes answer_for(const vm::request_event& r) {
  if (r.body.size() == 2 && r.body[0] == 0x18 && r.body[1] == 0x01) return device_id_response;
  if (r.body.size() == 3 && r.body[0] == 0x18 && r.body[1] == 0x2E) return {0x1C, 0x2E, 0x00};
  if (r.body.size() >= 2 && r.body[0] == oem_netfn_lun && r.body[1] == oem_echo_cmd) {
    bytes rsp = {static_cast<std::uint8_t>(oem_netfn_lun | 0x04), oem_echo_cmd, 0x00};
    rsp.insert(rsp.end(), r.body.rbegin(), r.body.rend() - 2);
    return rsp;
  }
  return {static_cast<std::uint8_t>(r.body[0] | 0x04), r.body[1], 0xC1};
}

void answer(bmc_link& link, bmc_session& s, const vm::request_event& r) {
  const auto e = s.respond(r.msg_id, answer_for(r));
  if (e != vm::session_error::ok) link.note_error("respond: " + std::string(vm::name(e)));
}

// ---------------------------------------------------------------------------------------------
// The rig and host helpers

struct rig {
  std::optional<bmc_link> link;         // the bmc run
  std::optional<ipmi_sim_instance> sim;  // the ipmi_sim run
  std::optional<qemu_instance> q;
  std::optional<qtest_kcs_bus> bus;
  bool qemu_stopped_on_purpose = false;  // the qtest-loss case ran
};

[[nodiscard]] host_t::config host_config(millis response_timeout = millis(6000), millis ibf_timeout = millis(5000)) {
  host_t::config cfg;
  cfg.response_timeout = response_timeout;
  cfg.ibf_timeout = ibf_timeout;
  cfg.obf_timeout = millis(2000);
  return cfg;
}

/// The result of one host transaction.
struct run_result {
  ik::outcome outcome = ik::outcome::idle;
  ik::host_error start_error = ik::host_error::ok;
  long long ms = 0;
  std::size_t trace_from = 0;
};

/// Starts `request` on `host` and drives it over the bus (at most `budget`).
template <class Host>
run_result run(rig& r, Host& host, std::initializer_list<std::uint8_t> request, millis budget = millis(3000)) {
  run_result res;
  qtest_kcs_bus& bus = *r.bus;
  res.trace_from = bus.mark();
  const auto t0 = steady::now();
  res.start_error = host.start(std::span<const std::uint8_t>(request.begin(), request.size()), t0);
  if (res.start_error == ik::host_error::ok) (void)drive_host(host, bus, budget);
  res.outcome = host.outcome();
  res.ms = elapsed_ms(t0);
  return res;
}

template <class Host>
std::string host_state(const Host& h) {
  const auto& st = h.stats();
  return std::string("outcome ") + std::string(ik::name(h.outcome())) + ", problem " +
         std::string(ik::name(h.problem())) + ", error_code " + hex(static_cast<std::uint8_t>(h.error_code())) +
         ", attempts " + std::to_string(h.attempts()) + ", last status " + hex(h.last_status().value) +
         "; stats: transactions " + std::to_string(st.transactions) + " done " + std::to_string(st.done) +
         " failed " + std::to_string(st.failed) + " hosed " + std::to_string(st.hosed) + " aborts " +
         std::to_string(st.aborts) + " retries " + std::to_string(st.retries) + " accesses " +
         std::to_string(st.accesses) + " polls " + std::to_string(st.polls);
}

/// Checks that a run ended done with no bus error; prints the trace otherwise.
template <class Host>
bool check_done(checker& c, rig& r, const Host& h, const run_result& res, const std::string& what) {
  const bool ok = res.start_error == ik::host_error::ok && res.outcome == ik::outcome::done && !r.bus->failed();
  c.check(ok, what + " done in " + std::to_string(res.ms) + " ms",
          "start: " + std::string(ik::name(res.start_error)) + "; " + host_state(h) + "; bus: " +
              (r.bus->failed() ? r.bus->error() : std::string("ok")) + "\n         trace: " + r.bus->describe(res.trace_from));
  return ok;
}

// trace_matches(bus, from, pattern, whole): qtest_bus.hpp.

/// Polls the status register (through the bus, so it is traced) until `pred` holds; the status,
/// or nullopt after `timeout`.
template <class Pred>
std::optional<std::uint8_t> wait_status(rig& r, Pred pred, millis timeout) {
  const deadline d(timeout);
  for (int i = 0; i < 1000000; ++i) {
    const std::uint8_t s = r.bus->read_status();
    if (r.bus->failed()) return std::nullopt;
    if (pred(s)) return s;
    if (d.expired()) return std::nullopt;
    sleep_ms(i < 20 ? 0 : 2);
  }
  return std::nullopt;
}

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
  bmc_link& link = *r.link;
  const std::size_t mark = link.log_size();
  host_t host(host_config());
  int good = 0;
  long long total_ms = 0;
  for (int i = 0; i < 5; ++i) {
    const auto res = run(r, host, {0x18, 0x01});
    total_ms += res.ms;
    if (check_done(c, r, host, res, "Get Device ID #" + std::to_string(i + 1)) &&
        std::ranges::equal(host.response(), device_id_response))
      ++good;
  }
  c.check(good == 5, "all five answers exact (" + std::to_string(good) + "/5); " + std::to_string(total_ms / 5) +
                         " ms per transaction");
  auto res = run(r, host, {0x18, 0x2E, 0x0C});
  if (check_done(c, r, host, res, "Set BMC Global Enables 0C"))
    c.check_bytes(host.response(), {0x1C, 0x2E, 0x00}, "its response");
  res = run(r, host, {0x18, 0x99});
  if (check_done(c, r, host, res, "an unknown App command 99"))
    c.check_bytes(host.response(), {0x1C, 0x99, 0xC1}, "cc C1 from the BMC (a response like any other)");
  bytes req = {oem_netfn_lun, oem_echo_cmd};
  for (std::uint8_t i = 0; i < 40; ++i) req.push_back(static_cast<std::uint8_t>(0xA0 + i));  // A0 A1 … AA …
  const std::size_t m = r.bus->mark();
  const auto t0 = steady::now();
  const auto e = host.start(req, t0);
  (void)drive_host(host, *r.bus, millis(3000));
  res = run_result{host.outcome(), e, elapsed_ms(t0), m};
  if (check_done(c, r, host, res, "OEM echo: a 42-byte request")) {
    bytes want = {static_cast<std::uint8_t>(oem_netfn_lun | 0x04), oem_echo_cmd, 0x00};
    want.insert(want.end(), req.rbegin(), req.rend() - 2);
    c.check_bytes(host.response(), want, "the 43-byte response (the data reversed)");
  }
  c.check(host.stats().transactions == 8 && host.stats().done == 8 && host.stats().aborts == 0 &&
              host.stats().retries == 0,
          "stats: 8 transactions, 8 done, no abort", host_state(host));
  const auto reqs = link.requests_since(mark);
  bool consecutive = reqs.size() == 8;
  for (std::size_t i = 1; consecutive && i < reqs.size(); ++i)
    consecutive = reqs[i].msg_id == static_cast<std::uint8_t>(reqs[i - 1].msg_id + 1);
  c.check(consecutive, "the BMC got 8 requests with consecutive msg_ids" +
                           (reqs.empty() ? std::string() : " (" + hex(reqs.front().msg_id) + ".." + hex(reqs.back().msg_id) + ")"));
  if (reqs.size() == 8) c.check_bytes(reqs[7].body, req, "the OEM request arrived intact");
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

/// The BMC holds back the next `n` requests (the session forgets them: discard()).
void hold_back(bmc_link& link, int n) {
  auto left = std::make_shared<int>(n);
  link.set_hook([&link, left](bmc_session& s, const vm::request_event& rq, bool&) {
    if (*left > 0) {
      --*left;
      (void)s.discard(rq.msg_id);
      return;
    }
    answer(link, s, rq);
  });
}

/// The BMC never answers; response_timeout 6 s > QEMU's 4 s: QEMU's local cc C3 reaches the
/// host as an ordinary response.
void bmc_silent_long_timeout(checker& c, rig& r) {
  bmc_link& link = *r.link;
  hold_back(link, 1);
  const std::size_t mark = link.log_size();
  host_t host(host_config(millis(6000)));
  const auto res = run(r, host, {0x18, 0x01}, millis(10000));
  if (check_done(c, r, host, res, "response_timeout 6 s, silent BMC")) {
    c.check_bytes(host.response(), {0x1C, 0x01, 0xC3}, "QEMU's own answer: cc C3 (timeout)");
    c.check(res.ms >= 3800 && res.ms <= 6000, "after " + std::to_string(res.ms) + " ms (QEMU's timer: 4 s)");
    c.check(host.attempts() == 1 && host.stats().aborts == 0 && host.problem() == ik::problem::none,
            "one attempt, no abort, no problem: the host cannot tell QEMU's C3 from the BMC's", host_state(host));
  }
  c.check(link.requests_since(mark).size() == 1, "the BMC got the request once");
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
  const auto st = wait_status(r, [](std::uint8_t s) { return (s & 0x02) == 0; }, millis(5000));
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
  const auto st = wait_status(r, [](std::uint8_t s) { return (s & 0x04) == 0; }, millis(1000));
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
// Setup and teardown

bool start_rig_qemu(checker& c, const temp_dir& dir, rig& r, std::uint16_t port) {
  auto q = start_qemu(dir, port, ipmi_interface::kcs);
  if (!c.check_ok(q, "QEMU started with isa-ipmi-kcs (BMC port " + std::to_string(port) + ")")) return false;
  r.q.emplace(std::move(*q));
  say("  QEMU pid " + std::to_string(r.q->proc.pid()));
  r.bus.emplace(r.q->qt);
  const auto st = r.bus->read_status();
  return c.check(!r.bus->failed() && st == 0x00, "KCS status 00 (IDLE) at the start: " + hex(st), r.bus->error());
}

void stop_rig(checker& c, rig& r, int failures_before) {
  if (r.bus) {
    say("  bus: " + std::to_string(r.bus->accesses()) + " accesses, " + std::to_string(r.bus->idles()) + " idle() calls, " +
        std::to_string(r.bus->sleeps()) + " sleeps");
    if (!r.qemu_stopped_on_purpose) c.check(!r.bus->failed(), "no qtest I/O error on the bus", r.bus->error());
    // QEMU never sets C/D (08) nor the OEM bits (30) (qemu.md §2.2); the host does not need them.
    std::size_t reads = 0, flagged = 0;
    for (const auto& a : r.bus->trace()) {
      if (a.what != op::read_status || !a.ok) continue;
      reads += a.count;
      if ((a.value & 0x38) != 0) flagged += a.count;
    }
    c.check(reads > 0 && flagged == 0, "C/D and OEM bits clear in all " + std::to_string(reads) + " status reads");
  }
  if (r.link) {
    r.link->stop();
    const auto log = r.link->log();
    const std::string errs = r.link->errors();
    c.check(errs.empty() && log.problems() == 0, "the BMC session met no error",
            errs + (log.problems() == 0 ? "" : "; protocol problems:\n" + log.describe()));
  }
  if (r.q) {
    if (!r.qemu_stopped_on_purpose) c.check(r.q->proc.alive(), "QEMU still running at the end");
    r.bus.reset();
    r.q->qt.close();
    const auto st = r.q->proc.stop();
    if (!r.qemu_stopped_on_purpose) c.check_ok(st, "QEMU stopped (pid " + std::to_string(r.q->proc.pid()) + ")");
    if (c.failures() != failures_before) say("  QEMU log tail:\n" + file_tail(r.q->log_path, 3000));
  }
  if (r.sim) {
    c.check(r.sim->proc.alive(), "ipmi_sim still running at the end");
    const auto st = r.sim->proc.stop();
    c.check_ok(st, "ipmi_sim stopped");
    if (c.failures() != failures_before) say("  ipmi_sim log tail:\n" + file_tail(r.sim->log_path, 3000));
  }
}

/// One run: its own temporary directory (kept when a check failed) and rig; `body(c, dir, r)`
/// starts the peers and runs the cases. The number of failed checks.
template <class Body>
int run_in_dir(const std::string& title, const std::string& dir_name, const std::string& run_name, Body body) {
  say("== " + title);
  auto dir = temp_dir::create(dir_name);
  if (!dir) {
    say("FAIL temporary directory: " + dir.error());
    return 1;
  }
  checker c;
  rig r;
  const auto t0 = steady::now();
  body(c, *dir, r);
  stop_rig(c, r, 0);
  say("  " + run_name + " run took " + std::to_string(elapsed_ms(t0)) + " ms");
  if (c.failures() != 0 || keep_requested()) {
    dir->keep();
    say("kept " + dir->path());
  }
  return c.failures();
}

int run_bmc() {
  return run_in_dir("QEMU isa-ipmi-kcs ⇄ ipmikit BMC session; the guest is kcs::host over qtest",
                    "ipmikit-kcs-host-qemu-bmc", "bmc", [](checker& c, const temp_dir& dir, rig& r) {
    const auto answer_all = [&r](bmc_session& s, const vm::request_event& rq, bool&) { answer(*r.link, s, rq); };
    const auto port = start_bmc_link(c, r.link, answer_all);
    if (!port) return;
    if (!start_rig_qemu(c, dir, r, *port)) return;
    if (!c.check(r.link->wait_greeting(0, 10000), "QEMU connected to the BMC session and greeted")) return;

    struct section {
      const char* title;
      void (*fn)(checker&, rig&);
    };
    const section sections[] = {
        {"Get Device ID", bmc_get_device_id},
        {"eight transactions in a row", bmc_in_a_row},
        {"abort in the middle of a write", bmc_abort_mid_write},
        {"a response longer than the host's Capacity", bmc_too_long},
        {"BMC silent, response_timeout 6 s (QEMU answers C3)", bmc_silent_long_timeout},
        {"BMC silent once, response_timeout 1 s (the abort waits for QEMU's IBF)", bmc_silent_abort_waits},
        {"BMC silent, response_timeout 1 s, ibf_timeout 0.5 s (hosed, reset)", bmc_silent_hosed},
        {"SMS_ATN", bmc_attention},
    };
    for (const auto& s : sections) {
      const auto ts = steady::now();
      say("-- " + std::string(s.title));
      r.link->set_hook(answer_all);
      s.fn(c, r);
      say("   (" + std::to_string(elapsed_ms(ts)) + " ms)");
      if (r.bus->failed()) break;
    }
    if (!r.bus->failed()) {
      say("-- the qtest connection is lost mid-transaction (QEMU stopped)");
      qtest_lost(c, r);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Run (b): QEMU ⇄ OpenIPMI's ipmi_sim

/// Get Device ID as bmc.emu (ipmi_sim.hpp) makes ipmi_sim answer it (openipmi.md §2, live):
/// dev id 00, rev 03, fw 9.08, IPMI 2.0, support 9F, mfg 001291, product 0F02, aux 0.
const bytes sim_device_id = {0x1C, 0x01, 0x00, 0x00, 0x03, 0x09, 0x08, 0x02, 0x9F,
                             0x91, 0x12, 0x00, 0x02, 0x0F, 0x00, 0x00, 0x00, 0x00};

void check_sim_device_id(checker& c, std::span<const std::uint8_t> rsp, const std::string& what) {
  c.check(rsp.size() >= 3 && rsp[0] == 0x1C && rsp[1] == 0x01 && rsp[2] == 0x00,
          what + ": netfn/LUN 1C, cmd 01, cc 00: " + hex(rsp));
  c.check(rsp.size() == 18, what + ": 18 bytes (cc + 15 data bytes with the aux revision)");
  c.check_bytes(rsp, sim_device_id, what + ": the bmc.emu values");
}

void sim_cases(checker& c, rig& r) {
  // QEMU connects to ipmi_sim on its own (reconnect=1); until then it answers D2 at once.
  host_t host(host_config());
  say("-- Get Device ID");
  run_result res;
  int d2 = 0;
  for (int i = 0; i < 50; ++i) {
    res = run(r, host, {0x18, 0x01});
    if (res.outcome != ik::outcome::done || host.response().size() != 3 || host.response()[2] != 0xD2) break;
    ++d2;
    sleep_ms(200);
  }
  if (d2 != 0) c.note("QEMU answered D2 (not connected to ipmi_sim yet) " + std::to_string(d2) + " time(s)");
  if (!check_done(c, r, host, res, "Get Device ID through kcs::host")) return;
  check_sim_device_id(c, host.response(), "ipmi_sim's answer");
  c.check(host.attempts() == 1 && host.stats().aborts == 0, "one attempt, no abort", host_state(host));
  say("    trace: " + r.bus->describe(res.trace_from, 24) + " …");

  say("-- transactions in a row");
  host_t row(host_config());
  int good = 0;
  long long total = 0;
  for (int i = 0; i < 5; ++i) {
    res = run(r, row, {0x18, 0x01});
    total += res.ms;
    if (check_done(c, r, row, res, "Get Device ID #" + std::to_string(i + 1)) &&
        std::ranges::equal(row.response(), sim_device_id))
      ++good;
  }
  c.check(good == 5, "all five exact (" + std::to_string(good) + "/5), " + std::to_string(total / 5) + " ms each");
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
  res = run(r, row, {0x18, 0x04});  // Get Self Test Results: not implemented by ipmi_sim
  if (check_done(c, r, row, res, "Get Self Test Results"))
    c.check_bytes(row.response(), {0x1C, 0x04, 0xC1}, "cc C1: ipmi_sim does not implement it");
  res = run(r, row, {0x18, 0x2F});  // Get BMC Global Enables
  if (check_done(c, r, row, res, "Get BMC Global Enables"))
    c.check(row.response().size() == 4 && row.response()[0] == 0x1C && row.response()[1] == 0x2F &&
                row.response()[2] == 0x00,
            "1C 2F 00 + 1 byte: " + hex(row.response()));
  c.check(row.stats().done == 8 && row.stats().aborts == 0, "stats: 8 done, no abort", host_state(row));

  say("-- abort in the middle of a write");
  const auto got = abort_mid_write(c, r);
  if (!got.empty()) check_sim_device_id(c, got, "the retried request's response");
}

int run_ipmi_sim() {
  return run_in_dir("QEMU isa-ipmi-kcs ⇄ OpenIPMI ipmi_sim; the guest is kcs::host over qtest",
                    "ipmikit-kcs-host-qemu-sim", "ipmi_sim", [](checker& c, const temp_dir& dir, rig& r) {
    auto vm_port = free_tcp_port();
    auto lan_port = free_udp_port();
    if (!c.check_ok(vm_port, "free TCP port for the VM channel") || !c.check_ok(lan_port, "free UDP port for LAN"))
      return;
    auto sim = start_ipmi_sim(dir, *vm_port, *lan_port);
    if (!c.check_ok(sim, "ipmi_sim started (VM 127.0.0.1:" + std::to_string(*vm_port) + ")")) return;
    r.sim.emplace(std::move(*sim));
    if (!start_rig_qemu(c, dir, r, *vm_port)) return;
    sim_cases(c, r);
  });
}

}  // namespace

int main(int argc, char** argv) {
  bool want_bmc = argc <= 1, want_sim = argc <= 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "bmc") {
      want_bmc = true;
    } else if (a == "ipmi_sim") {
      want_sim = true;
    } else {
      std::fprintf(stderr, "usage: %s [bmc] [ipmi_sim]\n", argv[0]);
      return 2;
    }
  }
  if (!find_program("qemu-system-x86_64")) return missing_program_exit("qemu-system-x86_64");
  int failures = 0;
  if (want_bmc) failures += run_bmc();
  bool sim_missing = false;
  if (want_sim) {
    if (find_program("ipmi_sim")) failures += run_ipmi_sim();
    else sim_missing = true;
  }
  if (failures != 0) {
    say("FAIL: " + std::to_string(failures) + " check(s) failed");
    return 1;
  }
  if (sim_missing) return missing_program_exit("ipmi_sim");
  say("PASS (" + std::to_string(elapsed_ms(g_test_start)) + " ms)");
  return 0;
}
