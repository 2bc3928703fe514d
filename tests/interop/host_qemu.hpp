// tests/interop/host_qemu.hpp — the rig of kcs_host_qemu_test.cpp and bt_host_qemu_test.cpp:
// ipmikit's host state machine (kcs::basic_host, bt::basic_host) as the guest of a real QEMU,
// driving QEMU's isa-ipmi-kcs / isa-ipmi-bt over qtest port I/O (kcs_bus.hpp, bt_bus.hpp),
// with an external BMC behind QEMU's ipmi-bmc-extern. What is here is the same for both
// interfaces; each test keeps its register traces, its interface's scenarios and the checks
// only its interface has.
//
//   the rig            `rig<Traits>`: the BMC (ipmikit's BMC session on a thread, bmc_link.hpp,
//                      or OpenIPMI's ipmi_sim), QEMU with the interface's device, the qtest bus;
//                      started by start_rig_qemu(), checked and stopped by stop_rig()
//   one transaction    run() (start + drive_host within a budget), check_done() (ended done, no
//                      bus error; the trace otherwise), wait_poll() (poll the status register)
//   the BMC's answers  answer_for() (Get Device ID, Set BMC Global Enables, the OEM echo, cc C1
//                      for the rest), answer_all(), hold_all(), hold_back()
//   shared scenarios   eight transactions in a row, a silent BMC past QEMU's own 4 s timer,
//                      Get Device ID until QEMU has connected to ipmi_sim
//   the runs           run_peer(): against the BMC session (sections) or ipmi_sim, each in a
//                      temporary directory of its own (kept when a check failed); run_main()
//
// A test describes its interface in a traits struct:
//
//   using bus = qtest_kcs_bus;                      the qtest bus
//   static constexpr ipmi_interface iface;
//   static constexpr std::string_view name, device; "kcs", "isa-ipmi-kcs"
//   static std::uint8_t poll(bus&);                 the status read a host polls (traced)
//   static bool check_power_on(checker&, bus&);     the registers right after QEMU started
//   static constexpr std::uint8_t never_set;        bits QEMU never shows in a poll read,
//   static constexpr std::string_view never_set_what, poll_what;  and the check's words
//   static void answer(bmc_link&, bmc_session&, const vm::request_event&);  the BMC's answer
//   template <class Host> static std::string host_state(const Host&);       for failures
//
// Usage of a test program: NAME [bmc] [ipmi_sim] (no argument: both). Exit status: 0 passed,
// 1 a check failed, 2 usage, 77 skipped (qemu-system-x86_64 or ipmi_sim missing, unless
// IPMIKIT_INTEROP_REQUIRED=1). IPMIKIT_INTEROP_KEEP=1 keeps the temporary directories.
#pragma once

#include <algorithm>
#include <cstdio>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <ipmikit/si/interface.hpp>
#include <ipmikit/vm/session.hpp>

#include "bmc_link.hpp"
#include "check.hpp"
#include "common.hpp"
#include "ipmi_sim.hpp"
#include "net.hpp"
#include "process.hpp"
#include "qemu.hpp"
#include "qtest_bus.hpp"

namespace ipmikit::interop::host_qemu {

// ---------------------------------------------------------------------------------------------
// What the BMCs answer

/// Get Device ID from ipmikit's BMC session: dev id 20, rev 81, fw 2.17, IPMI 2.0, support BF,
/// mfg 000157, product AAA1, aux 0. The product id bytes A1 and AA are VM-protocol special
/// characters and travel escaped (AA B1, AA BA) between the session and QEMU.
inline const bytes device_id_response = {0x1C, 0x01, 0x00, 0x20, 0x81, 0x02, 0x17, 0x02, 0xBF,
                                         0x57, 0x01, 0x00, 0xA1, 0xAA, 0x00, 0x00, 0x00, 0x00};

/// Get Device ID as bmc.emu (ipmi_sim.hpp) makes ipmi_sim answer it (openipmi.md §2, live):
/// dev id 00, rev 03, fw 9.08, IPMI 2.0, support 9F, mfg 001291, product 0F02, aux 0.
inline const bytes sim_device_id = {0x1C, 0x01, 0x00, 0x00, 0x03, 0x09, 0x08, 0x02, 0x9F,
                                    0x91, 0x12, 0x00, 0x02, 0x0F, 0x00, 0x00, 0x00, 0x00};

inline constexpr std::uint8_t oem_netfn_lun = 0x30 << 2;  // OEM netfn 0x30, LUN 0
inline constexpr std::uint8_t oem_echo_cmd = 0x01;

/// Get Device ID, Set BMC Global Enables (cc 00), the OEM echo command (cc 00 + the request
/// data reversed) and everything else with cc C1.
[[nodiscard]] inline bytes answer_for(const vm::request_event& r) {
  if (r.body.size() == 2 && r.body[0] == 0x18 && r.body[1] == 0x01) return device_id_response;
  if (r.body.size() == 3 && r.body[0] == 0x18 && r.body[1] == 0x2E) return {0x1C, 0x2E, 0x00};
  if (r.body.size() >= 2 && r.body[0] == oem_netfn_lun && r.body[1] == oem_echo_cmd) {
    bytes rsp = {static_cast<std::uint8_t>(oem_netfn_lun | 0x04), oem_echo_cmd, 0x00};
    rsp.insert(rsp.end(), r.body.rbegin(), r.body.rend() - 2);
    return rsp;
  }
  return {static_cast<std::uint8_t>(r.body[0] | 0x04), r.body[1], 0xC1};
}

/// The session answers `r` with `rsp`; a refused respond() is an error of the link.
inline void respond(bmc_link& link, bmc_session& s, const vm::request_event& r, std::span<const std::uint8_t> rsp) {
  const auto e = s.respond(r.msg_id, rsp);
  if (e != vm::session_error::ok) link.note_error("respond: " + std::string(vm::name(e)));
}

/// The BMC answers every request with Traits::answer.
template <class Traits>
void answer_all(bmc_link& link) {
  link.set_hook([&link](bmc_session& s, const vm::request_event& rq, bool&) { Traits::answer(link, s, rq); });
}

/// The BMC holds back every request until the test answers (the hook only records them).
inline void hold_all(bmc_link& link) {
  link.set_hook([](bmc_session&, const vm::request_event&, bool&) {});
}

/// The BMC holds back the next `n` requests (the session forgets them: discard()), then
/// answers with Traits::answer.
template <class Traits>
void hold_back(bmc_link& link, int n) {
  auto left = std::make_shared<int>(n);
  link.set_hook([&link, left](bmc_session& s, const vm::request_event& rq, bool&) {
    if (*left > 0) {
      --*left;
      (void)s.discard(rq.msg_id);
      return;
    }
    Traits::answer(link, s, rq);
  });
}

// ---------------------------------------------------------------------------------------------
// The rig and one transaction

template <class Traits>
struct rig {
  std::optional<bmc_link> link;          // the bmc run
  std::optional<ipmi_sim_instance> sim;  // the ipmi_sim run
  std::optional<qemu_instance> q;
  std::optional<typename Traits::bus> bus;
  bool qemu_stopped_on_purpose = false;  // a case stopped QEMU (the bus failed on purpose)
};

/// The result of one host transaction.
struct run_result {
  si::outcome outcome = si::outcome::idle;
  si::host_error start_error = si::host_error::ok;
  long long ms = 0;
  std::size_t trace_from = 0;
};

/// Starts `request` on `host` and drives it over the bus (at most `budget`).
template <class Traits, class Host>
run_result run(rig<Traits>& r, Host& host, std::span<const std::uint8_t> request, millis budget = millis(3000)) {
  run_result res;
  auto& bus = *r.bus;
  res.trace_from = bus.mark();
  const auto t0 = steady::now();
  res.start_error = host.start(request, t0);
  if (res.start_error == si::host_error::ok) (void)drive_host(host, bus, budget);
  res.outcome = host.outcome();
  res.ms = elapsed_ms(t0);
  return res;
}
template <class Traits, class Host>
run_result run(rig<Traits>& r, Host& host, std::initializer_list<std::uint8_t> request, millis budget = millis(3000)) {
  return run(r, host, std::span<const std::uint8_t>(request.begin(), request.size()), budget);
}

/// What the tests print about a host: outcome, problem, attempts, `own` (the interface's
/// fields: ", seq 05"), then the statistics every host keeps with `own_stats` (" aborts 1").
template <class Host>
std::string describe_host(const Host& h, const std::string& own, const std::string& own_stats) {
  const auto& st = h.stats();
  return std::string("outcome ") + std::string(si::name(h.outcome())) + ", problem " + std::string(name(h.problem())) +
         ", attempts " + std::to_string(h.attempts()) + own + "; stats: transactions " +
         std::to_string(st.transactions) + " done " + std::to_string(st.done) + " failed " + std::to_string(st.failed) +
         " hosed " + std::to_string(st.hosed) + " retries " + std::to_string(st.retries) + own_stats + " accesses " +
         std::to_string(st.accesses) + " polls " + std::to_string(st.polls);
}

/// Checks that a run ended done with no bus error; prints the trace otherwise.
template <class Traits, class Host>
bool check_done(checker& c, rig<Traits>& r, const Host& h, const run_result& res, const std::string& what) {
  const bool ok = res.start_error == si::host_error::ok && res.outcome == si::outcome::done && !r.bus->failed();
  c.check(ok, what + " done in " + std::to_string(res.ms) + " ms",
          "start: " + std::string(si::name(res.start_error)) + "; " + Traits::host_state(h) + "; bus: " +
              (r.bus->failed() ? r.bus->error() : std::string("ok")) + "\n         trace: " + r.bus->describe(res.trace_from));
  return ok;
}

// trace_matches(bus, from, pattern, whole): qtest_bus.hpp.

/// Polls the status register (KCS status, BT BT_CTRL; through the bus, so it is traced) until
/// `pred` holds; the value, or nullopt after `timeout`.
template <class Traits, class Pred>
std::optional<std::uint8_t> wait_poll(rig<Traits>& r, Pred pred, millis timeout) {
  const deadline d(timeout);
  for (int i = 0; i < 1000000; ++i) {
    const std::uint8_t s = Traits::poll(*r.bus);
    if (r.bus->failed()) return std::nullopt;
    if (pred(s)) return s;
    if (d.expired()) return std::nullopt;
    sleep_ms(i < 20 ? 0 : 2);
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Scenarios both interfaces run the same way

/// Get Device ID five times on `host`, each checked done with `want`; `each(res)` after every
/// run. How many were exact, and their total time.
struct row_result {
  int good = 0;
  long long total_ms = 0;
};
template <class Traits, class Host, class Each>
row_result device_id_five_times(checker& c, rig<Traits>& r, Host& host, std::span<const std::uint8_t> want, Each each) {
  row_result row;
  for (int i = 0; i < 5; ++i) {
    const auto res = run(r, host, {0x18, 0x01});
    row.total_ms += res.ms;
    each(res);
    if (check_done(c, r, host, res, "Get Device ID #" + std::to_string(i + 1)) && std::ranges::equal(host.response(), want))
      ++row.good;
  }
  return row;
}

/// Eight transactions in a row on a fresh host against ipmikit's BMC session: Get Device ID
/// five times, Set BMC Global Enables 0C, an unknown App command (cc C1 from the BMC), the OEM
/// echo of a 42-byte request (A0 A1 … AA … : the special characters escaped on the wire); each
/// checked done with its exact answer, `each(res)` after every run. Then the host counted 8
/// transactions, 8 done and no retry (what else it counted is the caller's to check), the BMC
/// got eight requests with consecutive msg_ids (`ids_note` added to that check's text) and the
/// OEM request intact.
template <class Traits, class Host, class Each>
void eight_in_a_row(checker& c, rig<Traits>& r, Host& host, const std::string& ids_note, Each each) {
  const std::size_t mark = r.link->log_size();
  const row_result row = device_id_five_times(c, r, host, device_id_response, each);
  c.check(row.good == 5, "all five answers exact (" + std::to_string(row.good) + "/5); " +
                             std::to_string(row.total_ms / 5) + " ms per transaction");
  auto res = run(r, host, {0x18, 0x2E, 0x0C});
  each(res);
  if (check_done(c, r, host, res, "Set BMC Global Enables 0C"))
    c.check_bytes(host.response(), {0x1C, 0x2E, 0x00}, "its response");
  res = run(r, host, {0x18, 0x99});
  each(res);
  if (check_done(c, r, host, res, "an unknown App command 99"))
    c.check_bytes(host.response(), {0x1C, 0x99, 0xC1}, "cc C1 from the BMC (a response like any other)");
  bytes req = {oem_netfn_lun, oem_echo_cmd};
  for (std::uint8_t i = 0; i < 40; ++i) req.push_back(static_cast<std::uint8_t>(0xA0 + i));  // A0 A1 … AA …
  res = run(r, host, req);
  each(res);
  if (check_done(c, r, host, res, "OEM echo: a 42-byte request")) {
    bytes want = {static_cast<std::uint8_t>(oem_netfn_lun | 0x04), oem_echo_cmd, 0x00};
    want.insert(want.end(), req.rbegin(), req.rend() - 2);
    c.check_bytes(host.response(), want, "the 43-byte response (the data reversed)");
  }
  c.check(host.stats().transactions == 8 && host.stats().done == 8 && host.stats().retries == 0,
          "stats: 8 transactions, 8 done, no retry", Traits::host_state(host));
  const auto reqs = r.link->requests_since(mark);
  bool consecutive = reqs.size() == 8;
  for (std::size_t i = 1; consecutive && i < reqs.size(); ++i)
    consecutive = reqs[i].msg_id == static_cast<std::uint8_t>(reqs[i - 1].msg_id + 1);
  c.check(consecutive, "the BMC got 8 requests with consecutive msg_ids" +
                           (reqs.empty() ? std::string() : " (" + hex(reqs.front().msg_id) + ".." + hex(reqs.back().msg_id) + ")") +
                           ids_note);
  if (reqs.size() == 8) c.check_bytes(reqs[7].body, req, "the OEM request arrived intact");
}

/// The BMC never answers; the host's response_timeout (6 s) is longer than QEMU's 4 s: QEMU's
/// local cc C3 reaches `host` as an ordinary response. `more(res)` adds the interface's checks
/// of the done transaction; the BMC got the request once.
template <class Traits, class Host, class More>
void silent_bmc_qemu_answers(checker& c, rig<Traits>& r, Host& host, More more) {
  bmc_link& link = *r.link;
  hold_back<Traits>(link, 1);
  const std::size_t mark = link.log_size();
  const auto res = run(r, host, {0x18, 0x01}, millis(10000));
  if (check_done(c, r, host, res, "response_timeout 6 s, silent BMC")) {
    c.check_bytes(host.response(), {0x1C, 0x01, 0xC3}, "QEMU's own answer: cc C3 (timeout)");
    c.check(res.ms >= 3800 && res.ms <= 6000, "after " + std::to_string(res.ms) + " ms (QEMU's timer: 4 s)");
    more(res);
  }
  c.check(link.requests_since(mark).size() == 1, "the BMC got the request once");
}

/// Two App commands on `host` against ipmi_sim: Get Self Test Results (cc C1: ipmi_sim does not
/// implement it) and Get BMC Global Enables (cc 00 and one byte).
template <class Traits, class Host>
void sim_self_test_and_enables(checker& c, rig<Traits>& r, Host& host) {
  auto res = run(r, host, {0x18, 0x04});  // Get Self Test Results: not implemented by ipmi_sim
  if (check_done(c, r, host, res, "Get Self Test Results"))
    c.check_bytes(host.response(), {0x1C, 0x04, 0xC1}, "cc C1: ipmi_sim does not implement it");
  res = run(r, host, {0x18, 0x2F});  // Get BMC Global Enables
  if (check_done(c, r, host, res, "Get BMC Global Enables"))
    c.check(host.response().size() == 4 && host.response()[0] == 0x1C && host.response()[1] == 0x2F &&
                host.response()[2] == 0x00,
            "1C 2F 00 + 1 byte: " + hex(host.response()));
}

/// QEMU connects to ipmi_sim on its own (reconnect=1); until then it answers D2 at once. Get
/// Device ID on `host` until the answer is not D2 (at most 50 times, 200 ms apart); the last run.
template <class Traits, class Host>
run_result device_id_once_connected(checker& c, rig<Traits>& r, Host& host) {
  run_result res;
  int d2 = 0;
  for (int i = 0; i < 50; ++i) {
    res = run(r, host, {0x18, 0x01});
    if (res.outcome != si::outcome::done || host.response().size() != 3 || host.response()[2] != 0xD2) break;
    ++d2;
    sleep_ms(200);
  }
  if (d2 != 0) c.note("QEMU answered D2 (not connected to ipmi_sim yet) " + std::to_string(d2) + " time(s)");
  return res;
}

// ---------------------------------------------------------------------------------------------
// Setup and teardown

/// QEMU with the interface's device, its BMC on `port`; the bus on its qtest socket; the
/// registers at power-on checked.
template <class Traits>
bool start_rig_qemu(checker& c, const temp_dir& dir, rig<Traits>& r, std::uint16_t port) {
  auto q = start_qemu(dir, port, Traits::iface);
  if (!c.check_ok(q, "QEMU started with " + std::string(Traits::device) + " (BMC port " + std::to_string(port) + ")"))
    return false;
  r.q.emplace(std::move(*q));
  say("  QEMU pid " + std::to_string(r.q->proc.pid()));
  r.bus.emplace(r.q->qt);
  return Traits::check_power_on(c, *r.bus);
}

/// Stops what the rig started, with the checks of the end: no qtest error (unless QEMU was
/// stopped on purpose), no poll read showing Traits::never_set, the BMC session met no error,
/// QEMU and ipmi_sim still running and stopped cleanly. Log tails when a check failed.
template <class Traits>
void stop_rig(checker& c, rig<Traits>& r, int failures_before) {
  if (r.bus) {
    say("  bus: " + std::to_string(r.bus->accesses()) + " accesses, " + std::to_string(r.bus->idles()) + " idle() calls, " +
        std::to_string(r.bus->sleeps()) + " sleeps");
    if (!r.qemu_stopped_on_purpose) c.check(!r.bus->failed(), "no qtest I/O error on the bus", r.bus->error());
    std::size_t reads = 0, flagged = 0;
    for (const auto& a : r.bus->trace()) {
      if (a.what != Traits::bus::registers::poll || !a.ok) continue;
      reads += a.count;
      if ((a.value & Traits::never_set) != 0) flagged += a.count;
    }
    c.check(reads > 0 && flagged == 0, std::string(Traits::never_set_what) + " in all " + std::to_string(reads) + " " +
                                           std::string(Traits::poll_what) + " reads");
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
template <class Traits, class Body>
int run_in_dir(const std::string& title, const std::string& dir_name, const std::string& run_name, Body body) {
  say("== " + title);
  auto dir = temp_dir::create(dir_name);
  if (!dir) {
    say("FAIL temporary directory: " + dir.error());
    return 1;
  }
  checker c;
  rig<Traits> r;
  const auto t0 = steady::now();
  body(c, *dir, r);
  stop_rig(c, r, 0);
  say("  " + run_name + " run took " + std::to_string(elapsed_ms(t0)) + " ms");
  keep_for_inspection(*dir, c.failures());
  return c.failures();
}

/// A titled case of a run.
template <class Traits>
struct section {
  const char* title;
  void (*fn)(checker&, rig<Traits>&);
};

/// What a test runs: the cases against ipmikit's BMC session (each with the BMC answering
/// everything at its start; they stop at a bus failure), optionally one last case that may
/// break the bus (run only when it has not failed), and the cases against ipmi_sim.
template <class Traits>
struct cases {
  std::span<const section<Traits>> bmc;
  std::optional<section<Traits>> bmc_last;
  void (*ipmi_sim)(checker&, rig<Traits>&) = nullptr;
};

/// Run (a), `sim` false: QEMU ⇄ ipmikit's BMC session (vm::bmc_session on a thread), the
/// cases what.bmc and what.bmc_last. Run (b), `sim` true: QEMU ⇄ OpenIPMI's ipmi_sim
/// (ipmi_sim.hpp's bmc.emu), the cases what.ipmi_sim. The number of failed checks.
template <class Traits>
int run_peer(const cases<Traits>& what, bool sim) {
  const std::string name(Traits::name);
  const std::string peer = sim ? "OpenIPMI ipmi_sim" : "ipmikit BMC session";
  return run_in_dir<Traits>("QEMU " + std::string(Traits::device) + " ⇄ " + peer + "; the guest is " + name +
                                "::host over qtest",
                            "ipmikit-" + name + "-host-qemu-" + (sim ? "sim" : "bmc"), sim ? "ipmi_sim" : "bmc",
                            [&what, sim](checker& c, const temp_dir& dir, rig<Traits>& r) {
    if (sim) {
      auto vm_port = free_tcp_port();
      auto lan_port = free_udp_port();
      if (!c.check_ok(vm_port, "free TCP port for the VM channel") || !c.check_ok(lan_port, "free UDP port for LAN"))
        return;
      auto instance = start_ipmi_sim(dir, *vm_port, *lan_port);
      if (!c.check_ok(instance, "ipmi_sim started (VM 127.0.0.1:" + std::to_string(*vm_port) + ")")) return;
      r.sim.emplace(std::move(*instance));
      if (!start_rig_qemu(c, dir, r, *vm_port)) return;
      what.ipmi_sim(c, r);
      return;
    }
    const auto hook = [&r](bmc_session& s, const vm::request_event& rq, bool&) { Traits::answer(*r.link, s, rq); };
    const auto port = start_bmc_link(c, r.link, hook);
    if (!port) return;
    if (!start_rig_qemu(c, dir, r, *port)) return;
    if (!c.check(r.link->wait_greeting(0, 10000), "QEMU connected to the BMC session and greeted")) return;
    for (const auto& s : what.bmc) {
      const auto ts = steady::now();
      say("-- " + std::string(s.title));
      answer_all<Traits>(*r.link);
      s.fn(c, r);
      say("   (" + std::to_string(elapsed_ms(ts)) + " ms)");
      if (r.bus->failed()) break;
    }
    if (what.bmc_last && !r.bus->failed()) {
      say("-- " + std::string(what.bmc_last->title));
      what.bmc_last->fn(c, r);
    }
  });
}

/// The test program: `[bmc] [ipmi_sim]` (no argument: both).
template <class Traits>
int run_main(int argc, char** argv, const cases<Traits>& what) {
  const auto chosen = choose_sections(argc, argv, {{"bmc"}, {"ipmi_sim"}});
  if (!chosen) return 2;
  const auto [want_bmc, want_sim] = *chosen;
  if (!find_program("qemu-system-x86_64")) return missing_program_exit("qemu-system-x86_64");
  int failures = 0;
  if (want_bmc) failures += run_peer(what, false);
  bool sim_missing = false;
  if (want_sim) {
    if (find_program("ipmi_sim")) failures += run_peer(what, true);
    else sim_missing = true;
  }
  if (failures == 0 && sim_missing) return missing_program_exit("ipmi_sim");
  return pass_or_fail(failures);
}

}  // namespace ipmikit::interop::host_qemu
