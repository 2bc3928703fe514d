// tests/interop/harness_test.cpp — proves the real-peer harness against the real programs,
// using only ipmikit's wire codec (no session layer):
//
//   ipmi_sim  OpenIPMI's simulator as the BMC; the test plays the emulator (QEMU's side):
//             greeting, Get Device ID, and `ipmitool chassis power reset` → RESET on the wire.
//   kcs, bt   QEMU's ipmi-bmc-extern + isa-ipmi-kcs / isa-ipmi-bt with no guest; the test
//             plays the BMC (a thread answering Get Device ID with the wire codec) and the
//             guest (port I/O over qtest).
//
//   kcs-errors, bt-errors (opt-in, ~5 s each): QEMU's own answers, cc C3 after its 4 s
//             timeout and D2 while the BMC is disconnected, then its reconnect after 1 s.
//
// Usage: ipmikit_interop_harness_test [ipmi_sim] [kcs] [bt] [kcs-errors] [bt-errors]
//        (no argument: ipmi_sim kcs bt)
// Exit status: 0 passed, 1 a check failed, 77 skipped (a program is missing).
// IPMIKIT_INTEROP_KEEP=1 keeps the temporary directory (configs and logs); it is always kept
// when a check fails.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <ipmikit/vm/decoder.hpp>
#include <ipmikit/vm/encoder.hpp>
#include <ipmikit/vm/protocol.hpp>

#include "bt_qtest.hpp"
#include "check.hpp"
#include "common.hpp"
#include "ipmi_sim.hpp"
#include "kcs_qtest.hpp"
#include "net.hpp"
#include "process.hpp"
#include "qemu.hpp"
#include "vm_wire.hpp"

namespace {

using namespace ipmikit::interop;
namespace vm = ipmikit::vm;
using bytes = std::vector<std::uint8_t>;


void show_log(const std::string& what, const std::string& path) {
  say("  --- " + what + " log (" + path + "), tail:\n" + file_tail(path, 3000) + "\n  ---");
}

/// Waits up to `timeout_ms` for an event matching `pred`; the others go to `skipped`.
template <class Pred>
result<vm_event> wait_for_event(vm_connection& conn, Pred pred, int timeout_ms,
                                std::vector<vm_event>& skipped) {
  const deadline d{millis(timeout_ms)};
  for (int i = 0; i < 1000; ++i) {
    auto e = conn.poll_event(d.remaining_ms());
    if (!e) return fail(e.error());
    if (!*e) break;
    if (pred(**e)) return std::move(**e);
    skipped.push_back(std::move(**e));
  }
  return fail("no matching VM frame within " + std::to_string(timeout_ms) + " ms");
}

std::string describe_all(const std::vector<vm_event>& events) {
  std::string s;
  for (const auto& e : events) s += (s.empty() ? "" : "; ") + e.describe();
  return s.empty() ? "none" : s;
}

// ---------------------------------------------------------------------------------------------
// a. ipmi_sim as the BMC, the test as the emulator

int test_ipmi_sim(const temp_dir& dir) {
  say("== ipmi_sim: the test plays QEMU's side of the VM protocol");
  checker c;
  auto vm_port = free_tcp_port();
  auto lan_port = free_udp_port();
  if (!c.check_ok(vm_port, "free TCP port for the VM channel") ||
      !c.check_ok(lan_port, "free UDP port for IPMI LAN"))
    return c.failures();

  const auto t0 = steady::now();
  auto sim = start_ipmi_sim(dir, *vm_port, *lan_port);
  if (!c.check_ok(sim, "ipmi_sim started and bound VM 127.0.0.1:" + std::to_string(*vm_port) +
                           " (TCP) and LAN 127.0.0.1:" + std::to_string(*lan_port) + " (UDP)"))
    return c.failures();
  say("  ipmi_sim pid " + std::to_string(sim->proc.pid()) + ", ready after " +
      std::to_string(elapsed_ms(t0)) + " ms");
  const int before = c.failures();
  auto body = [&]() {
    auto fd = connect_with_retry(*vm_port, 5000);
    if (!c.check_ok(fd, "connected to the VM port")) return;
    vm_connection conn(std::move(*fd), vm::min_response_frame);

    // The BMC speaks first: VERSION 1, then the ATTN state.
    if (!check_next_command(c, conn, "first frame from ipmi_sim", vm::command::version, 1, "it is VERSION 1") ||
        !check_next_command(c, conn, "second frame from ipmi_sim", vm::command::no_attention, {}, "it is NOATTN"))
      return;
    c.check_bytes(conn.received(), {0xFF, 0x01, 0xA1, 0x00, 0xA1}, "greeting on the wire");

    // Our greeting, as QEMU 7.2 sends it.
    const auto greeting = vm::make_emulator_greeting(vm::qemu_capabilities);
    c.check_bytes(greeting.view(), {0xFF, 0x01, 0xA1, 0x08, 0x3F, 0xA1},
                  "emulator greeting (encoder)");
    if (!c.check_ok(conn.send(greeting.view()), "sent VERSION 1, CAPABILITIES 0x3F")) return;

    // Get Device ID, msg_id 1.
    const std::uint8_t get_device_id[] = {0x18, 0x01};
    bytes frame;
    if (!c.check_ok(conn.send_message(1, get_device_id, &frame), "sent Get Device ID (msg_id 1)"))
      return;
    c.check_bytes(frame, {0x01, 0x18, 0x01, 0xE6, 0xA0}, "request frame");
    std::vector<vm_event> skipped;
    auto rsp = wait_for_event(conn, [](const vm_event& e) { return e.is_message(); }, 5000, skipped);
    if (!c.check_ok(rsp, "a message came back within 5 s")) return;
    say("  response: " + rsp->describe());
    c.check(rsp->msg_id == 1 && rsp->netfn() == 0x07 && rsp->cmd() == 0x01 &&
                rsp->completion_code() == 0x00,
            "Get Device ID response: msg_id 01, netfn 0x07 (App response), cmd 01, cc 00");
    c.check(skipped.empty(), "no other frame before it", describe_all(skipped));

    // IPMI LAN: chassis status and reset through ipmitool.
    const auto t1 = steady::now();
    auto power = ipmitool_lan(dir, *lan_port, {"chassis", "power", "status"});
    if (c.check_ok(power, "ipmitool chassis power status ran")) {
      say("  ipmitool (" + std::to_string(elapsed_ms(t1)) + " ms, " + power->ended.describe() +
          "): " + power->output);
      c.check(power->ended.success() && power->output.find("Chassis Power is on") != std::string::npos,
              "power reads on while the VM socket is connected", power->output);
    }
    const auto t2 = steady::now();
    auto reset = ipmitool_lan(dir, *lan_port, {"chassis", "power", "reset"});
    if (!c.check_ok(reset, "ipmitool chassis power reset ran")) return;
    say("  ipmitool (" + std::to_string(elapsed_ms(t2)) + " ms, " + reset->ended.describe() +
        "): " + reset->output);
    c.check(reset->ended.success() && reset->output.find("Reset") != std::string::npos,
            "ipmitool reports the reset", reset->output);
    skipped.clear();
    const std::size_t mark = conn.received().size();
    auto cmd = wait_for_event(
        conn, [](const vm_event& e) { return e.is_command(vm::command::reset); }, 5000, skipped);
    if (c.check_ok(cmd, "RESET arrived on the VM socket")) {
      const auto& rx = conn.received();
      c.check_bytes(std::span<const std::uint8_t>(rx).subspan(mark), {0x04, 0xA1},
                    "bytes after the Get Device ID response");
    }
    c.check(skipped.empty(), "no other frame before RESET", describe_all(skipped));
  };
  body();

  c.check(sim->proc.alive(), "ipmi_sim still running at the end");
  const auto stopped = sim->proc.stop();
  if (c.check_ok(stopped, "ipmi_sim stopped (pid " + std::to_string(sim->proc.pid()) + ")"))
    say("  ipmi_sim " + stopped->describe());
  if (c.failures() != before) show_log("ipmi_sim", sim->log_path);
  return c.failures();
}

// ---------------------------------------------------------------------------------------------
// b. QEMU with the test as the external BMC (a thread) and as the guest (qtest)

/// Get Device ID data the fake BMC returns (qemu-live.md); byte 12 is 0xA0, which the
/// encoder must escape.
constexpr std::uint8_t device_id_response[] = {0x1C, 0x01, 0x00, 0x20, 0x81, 0x02,
                                               0x17, 0x02, 0xBF, 0x57, 0x01, 0x00,
                                               0xA0, 0x00, 0x00, 0x00, 0x00, 0x00};

/// The command the fake BMC never answers (App "Get Self Test Results"), to make QEMU time out.
constexpr std::uint8_t silent_cmd = 0x04;

/// A BMC on one VM connection: answers Get Device ID, ignores `silent_cmd`, answers anything
/// else with cc 0xC1.
class fake_bmc {
 public:
  explicit fake_bmc(vm_connection& conn) : conn_(conn) {}

  void run() {
    const deadline life(millis(110000));
    for (int i = 0; i < 1000000 && !stop_.load() && !life.expired(); ++i) {
      auto e = conn_.poll_event(20);
      if (!e) {
        if (!stop_.load()) note(e.error());
        return;
      }
      if (*e) handle(**e);
    }
  }
  void stop() { stop_.store(true); }

  struct exchange {
    vm_event request;
    bytes response_frame;  // empty: not answered
  };
  [[nodiscard]] std::vector<exchange> exchanges() {
    std::lock_guard<std::mutex> lock(mutex_);
    return exchanges_;
  }
  [[nodiscard]] std::string problems() {
    std::lock_guard<std::mutex> lock(mutex_);
    return join(problems_);
  }

 private:
  void handle(const vm_event& e) {
    if (!e.is_message() || (e.netfn() & 1) != 0) {
      note("unexpected frame from QEMU: " + e.describe());
      return;
    }
    bytes frame;
    status sent = success();
    if (e.netfn_lun() == 0x18 && e.cmd() == silent_cmd) {
      // no answer
    } else if (e.netfn_lun() == 0x18 && e.cmd() == 0x01 && e.body.size() == 2) {
      sent = conn_.send_message(e.msg_id, device_id_response, &frame);
    } else {
      const std::uint8_t body[] = {static_cast<std::uint8_t>(e.netfn_lun() | 0x04), e.cmd(), 0xC1};
      sent = conn_.send_message(e.msg_id, body, &frame);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    exchanges_.push_back({e, frame});
    if (!sent) problems_.push_back("sending a response: " + sent.error());
  }
  void note(std::string s) {
    std::lock_guard<std::mutex> lock(mutex_);
    problems_.push_back(std::move(s));
  }

  vm_connection& conn_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<exchange> exchanges_;
  std::vector<std::string> problems_;
};

/// Runs a fake_bmc on its own thread; joins it on every exit path.
class bmc_thread {
 public:
  explicit bmc_thread(fake_bmc& bmc) : bmc_(bmc), thread_([&bmc] { bmc.run(); }) {}
  bmc_thread(const bmc_thread&) = delete;
  bmc_thread& operator=(const bmc_thread&) = delete;
  ~bmc_thread() { join(); }
  void join() {
    bmc_.stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  fake_bmc& bmc_;
  std::thread thread_;
};

/// One transaction on either interface; returns netfn/LUN, cmd, cc, data. For BT it also
/// checks the sequence number echo and the length byte.
result<bytes> transact(qtest& qt, ipmi_interface iface, std::initializer_list<std::uint8_t> request,
                       std::uint8_t seq, std::string* trace = nullptr) {
  if (iface == ipmi_interface::kcs) return kcs_transaction(qt, request, millis(8000), {}, trace);
  auto r = bt_transaction(qt, request, seq, millis(8000), {}, trace);
  if (!r) return fail(r.error());
  if (r->seq != seq) return fail("BT seq " + hex(r->seq) + " came back instead of " + hex(seq));
  if (r->length != r->body.size() + 1)
    return fail("BT length byte " + hex(r->length) + " for " + std::to_string(r->body.size()) +
                " bytes");
  return std::move(r->body);
}

std::optional<std::uint8_t> interface_register(qtest& qt, ipmi_interface iface) {
  return iface == ipmi_interface::kcs ? kcs_status(qt) : bt_control(qt);
}

/// QEMU, the BMC listener and the accepted BMC connection.
struct qemu_rig {
  ipmi_interface iface = ipmi_interface::kcs;
  unique_fd listener;
  std::optional<qemu_instance> q;
  std::optional<vm_connection> conn;
  steady::time_point t0;
};

/// Accepts QEMU's BMC connection, checks its greeting and answers VERSION 1.
bool accept_bmc_link(checker& c, qemu_rig& rig, int timeout_ms) {
  auto fd = accept_with_timeout(rig.listener.get(), timeout_ms);
  if (!c.check_ok(fd, "QEMU connected to the BMC port")) return false;
  rig.conn.emplace(std::move(*fd), vm::min_request_frame);
  vm_connection& conn = *rig.conn;
  if (!check_next_command(c, conn, "first frame from QEMU", vm::command::version, 1, "it is VERSION 1") ||
      !check_next_command(c, conn, "second frame from QEMU", vm::command::capabilities, 0x3F, "it is CAPABILITIES 0x3F"))
    return false;
  c.check_bytes(conn.received(), {0xFF, 0x01, 0xA1, 0x08, 0x3F, 0xA1}, "greeting on the wire");
  return c.check_ok(conn.send_command(vm::command::version, vm::protocol_version),
                    "sent VERSION 1 to QEMU");
}

/// Listens, starts QEMU, accepts its BMC connection, intercepts IRQs and checks that the
/// interface register reads 00.
bool setup_qemu(checker& c, const temp_dir& dir, qemu_rig& rig) {
  const std::string ifname(name(rig.iface));
  auto listener = listen_tcp(0);
  if (!c.check_ok(listener, "BMC listening on 127.0.0.1")) return false;
  rig.listener = std::move(*listener);
  auto port = local_port(rig.listener.get());
  if (!c.check_ok(port, "BMC port")) return false;

  rig.t0 = steady::now();
  auto q = start_qemu(dir, *port, rig.iface);
  if (!c.check_ok(q, "QEMU started and connected to qtest (BMC port " + std::to_string(*port) + ")"))
    return false;
  rig.q.emplace(std::move(*q));
  say("  QEMU pid " + std::to_string(rig.q->proc.pid()) + ", qtest connected after " +
      std::to_string(elapsed_ms(rig.t0)) + " ms");
  if (!accept_bmc_link(c, rig, 10000)) return false;
  say("  BMC link up after " + std::to_string(elapsed_ms(rig.t0)) + " ms");

  qtest& qt = rig.q->qt;
  c.check(qt.irq_intercept_in("ioapic"), "qtest irq_intercept_in ioapic", qt.last_error());
  const auto reg = interface_register(qt, rig.iface);
  if (!c.check(reg.has_value(), "read the " + ifname + " status/control register", qt.last_error()))
    return false;
  return c.check(*reg == 0x00, ifname + " register reads 00 before the first request: " + hex(*reg));
}

/// Stops QEMU (by PID) and shows its logs if a check of this section failed.
void teardown_qemu(checker& c, qemu_rig& rig, int failures_before) {
  if (!rig.q) return;
  say("  qtest: " + std::to_string(rig.q->qt.commands_sent()) + " commands; IRQ lines: " +
      rig.q->qt.irq_summary());
  c.check(rig.q->proc.alive(), "QEMU still running at the end");
  rig.q->qt.close();
  const auto stopped = rig.q->proc.stop();
  if (c.check_ok(stopped, "QEMU stopped (pid " + std::to_string(rig.q->proc.pid()) + ")"))
    say("  QEMU " + stopped->describe());
  if (c.failures() != failures_before) {
    show_log("QEMU", rig.q->log_path);
    say("  (qtest protocol log: " + rig.q->qtest_log_path + ")");
  }
}

/// Starts QEMU with the `iface` device, connected to this process as its BMC, runs
/// `body(checker, rig, qtest)` and stops QEMU; returns the number of failed checks.
template <class Body>
int with_qemu(const temp_dir& dir, ipmi_interface iface, const std::string& title, Body body) {
  say("== QEMU + " + std::string(name(iface)) + title);
  checker c;
  qemu_rig rig;
  rig.iface = iface;
  if (setup_qemu(c, dir, rig)) body(c, rig, rig.q->qt);
  teardown_qemu(c, rig, 0);
  return c.failures();
}

int test_qemu(const temp_dir& dir, ipmi_interface iface) {
  const std::string ifname(name(iface));
  return with_qemu(dir, iface, ": the test plays the external BMC and the guest", [&](checker& c, qemu_rig& rig, qtest& qt) {
    fake_bmc bmc(*rig.conn);
    bmc_thread thread(bmc);
    const std::uint8_t seqs[] = {0x05, 0xA5};
    for (std::size_t i = 0; i < 2; ++i) {
      const auto t1 = steady::now();
      std::string trace;
      auto r = transact(qt, iface, {0x18, 0x01}, seqs[i], &trace);
      if (!c.check_ok(r, ifname + " transaction " + std::to_string(i + 1) + ": Get Device ID" +
                             (iface == ipmi_interface::bt ? ", seq " + hex(seqs[i]) + " echoed" : "")))
        return;
      say("  took " + std::to_string(elapsed_ms(t1)) + " ms; register trace: " + trace);
      c.check_bytes(*r, device_id_response, ifname + " response");
    }
    thread.join();

    const auto ex = bmc.exchanges();
    const auto problems = bmc.problems();
    c.check(problems.empty(), "the BMC thread saw nothing unexpected", problems);
    if (c.check(ex.size() == 2, "QEMU sent 2 requests: " + std::to_string(ex.size()))) {
      c.check_bytes(ex[0].request.raw, {0x00, 0x18, 0x01, 0xE7, 0xA0}, "request 1 on the wire");
      c.check_bytes(ex[1].request.raw, {0x01, 0x18, 0x01, 0xE6, 0xA0}, "request 2 on the wire");
      c.check_bytes(ex[0].response_frame,
                    {0x00, 0x1C, 0x01, 0x00, 0x20, 0x81, 0x02, 0x17, 0x02, 0xBF, 0x57, 0x01,
                     0x00, 0xAA, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x70, 0xA0},
                    "response 1 on the wire (0xA0 escaped)");
    }
    const auto after = interface_register(qt, iface);
    if (c.check(after.has_value(), "read the " + ifname + " register again", qt.last_error()))
      c.check(*after == 0x00, ifname + " register reads 00 after the transactions: " + hex(*after));
  });
}

/// Opt-in (about 5 s per interface): QEMU's own answers. No BMC response → cc C3 after 4 s;
/// BMC connection closed → cc D2 at once; QEMU reconnects after 1 s and resends its greeting;
/// msg_id counts every completed transaction, including the locally answered ones.
int test_qemu_errors(const temp_dir& dir, ipmi_interface iface) {
  return with_qemu(dir, iface, " error paths: no response → C3, BMC gone → D2, reconnect", [&](checker& c, qemu_rig& rig, qtest& qt) {
    {
      fake_bmc bmc(*rig.conn);
      bmc_thread thread(bmc);
      auto t1 = steady::now();
      auto r = transact(qt, iface, {0x18, silent_cmd}, 0x11);
      const long long waited = elapsed_ms(t1);
      if (!c.check_ok(r, "transaction the BMC never answers completed")) return;
      c.check_bytes(*r, {0x1C, silent_cmd, 0xC3}, "QEMU's timeout response");
      c.check(waited >= 3800 && waited <= 6500,
              "it came after " + std::to_string(waited) + " ms (QEMU's timer: 4 s)");
      r = transact(qt, iface, {0x18, 0x01}, 0x12);
      if (c.check_ok(r, "the next transaction"))
        c.check_bytes(*r, device_id_response, "answered by the BMC");
      thread.join();
      const auto ex = bmc.exchanges();
      c.check(bmc.problems().empty(), "the BMC thread saw nothing unexpected", bmc.problems());
      if (c.check(ex.size() == 2, "QEMU sent 2 requests: " + std::to_string(ex.size())))
        c.check(ex[0].request.msg_id == 0 && ex[1].request.msg_id == 1,
                "msg_ids 00, 01: the timed-out request counted");
    }

    // The BMC goes away: QEMU answers D2 at once.
    rig.conn->close();
    const auto closed_at = steady::now();
    sleep_ms(100);
    auto t2 = steady::now();
    auto r = transact(qt, iface, {0x18, 0x01}, 0x13);
    const long long waited = elapsed_ms(t2);
    if (c.check_ok(r, "transaction with the BMC disconnected")) {
      c.check_bytes(*r, {0x1C, 0x01, 0xD2}, "QEMU's not-connected response");
      c.check(waited < 1000, "it came after " + std::to_string(waited) + " ms");
    }

    // QEMU reconnects (reconnect=1) and greets again; the link works and msg_id went on.
    if (!accept_bmc_link(c, rig, 5000)) return;
    say("  reconnected " + std::to_string(elapsed_ms(closed_at)) + " ms after the close");
    fake_bmc bmc(*rig.conn);
    bmc_thread thread(bmc);
    r = transact(qt, iface, {0x18, 0x01}, 0x14);
    if (c.check_ok(r, "transaction after the reconnect"))
      c.check_bytes(*r, device_id_response, "answered by the BMC");
    thread.join();
    const auto ex = bmc.exchanges();
    if (c.check(ex.size() == 1, "QEMU sent 1 request: " + std::to_string(ex.size())))
      c.check(ex[0].request.msg_id == 3,
              "its msg_id is 03 (00 timed out, 01 answered, 02 answered D2 locally): " +
                  hex(ex[0].request.msg_id));
  });
}

}  // namespace

int main(int argc, char** argv) {
  const auto chosen = choose_sections(
      argc, argv, {{"ipmi_sim"}, {"kcs"}, {"bt"}, {"kcs-errors", false}, {"bt-errors", false}});
  if (!chosen) return 2;
  auto [want_sim, want_kcs, want_bt, want_kcs_errors, want_bt_errors] = *chosen;
  const bool have_sim = find_program("ipmi_sim") && find_program("ipmitool");
  const bool have_qemu = find_program("qemu-system-x86_64").has_value();
  if (peers_required() && !(have_sim && have_qemu))
    return missing_program_exit("ipmi_sim, ipmitool or qemu-system-x86_64");
  if (want_sim && !have_sim) {
    say("SKIP ipmi_sim section: ipmi_sim or ipmitool not in PATH");
    want_sim = false;
  }
  if ((want_kcs || want_bt || want_kcs_errors || want_bt_errors) && !have_qemu) {
    say("SKIP QEMU sections: qemu-system-x86_64 not in PATH");
    want_kcs = want_bt = want_kcs_errors = want_bt_errors = false;
  }
  if (!want_sim && !want_kcs && !want_bt && !want_kcs_errors && !want_bt_errors) return 77;

  auto dir = temp_dir::create();
  if (!dir) {
    say("FAIL temporary directory: " + dir.error());
    return 1;
  }
  say("temporary directory " + dir->path());
  if (keep_requested()) dir->keep();

  int failures = 0;
  if (want_sim) failures += test_ipmi_sim(*dir);
  if (want_kcs) failures += test_qemu(*dir, ipmi_interface::kcs);
  if (want_bt) failures += test_qemu(*dir, ipmi_interface::bt);
  if (want_kcs_errors) failures += test_qemu_errors(*dir, ipmi_interface::kcs);
  if (want_bt_errors) failures += test_qemu_errors(*dir, ipmi_interface::bt);

  if (failures != 0) dir->keep();
  if (dir->kept()) say("kept " + dir->path());
  return pass_or_fail(failures);
}
