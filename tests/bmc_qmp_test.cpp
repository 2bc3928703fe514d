// tests/bmc_qmp_test.cpp — ipmikit-bmc's QMP power control without a socket: the `qmp` key,
// the QMP machine (apps/ipmikit-bmc/qmp.hpp) fed lines, and one VM's BMC with a fake QEMU that
// answers its commands as QEMU 7.2 did when recorded by hand (stop → STOP, paused; system_reset
// → RESET, prelaunch when not running; cont → RESUME, running). The real QEMU is
// tests/interop/qmp_power_test.sh.
#include <doctest/doctest.h>

#include <ipmikit-bmc/bmc.hpp>
#include <ipmikit-bmc/config.hpp>
#include <ipmikit-bmc/control.hpp>
#include <ipmikit-bmc/qmp.hpp>
#include "bmc_rig.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace {

using namespace ipmikit_bmc;
using namespace std::chrono_literals;
using bytes = std::vector<std::uint8_t>;

std::vector<std::string> g_qmp_lines;
void capture_qmp(std::string_view line) { g_qmp_lines.emplace_back(line); }
std::size_t qmp_logged(std::string_view needle) {
  std::size_t n = 0;
  for (const auto& l : g_qmp_lines) if (l.find(needle) != std::string::npos) ++n;
  return n;
}

const time_point t0 = time_point{} + 1h;
constexpr std::string_view greeting = R"({"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}}, "capabilities": ["oob"]}})";

qmp_feed_result feed(qmp_machine& m, std::string_view text) { return m.receive(std::span<const char>(text.data(), text.size())); }

/// The commands queued, by name, in order (and takes them).
std::vector<std::string> take_commands(std::string_view out) {
  std::vector<std::string> names;
  std::size_t at = 0;
  while ((at = out.find("\"execute\":\"", at)) != std::string_view::npos) {
    at += 11;
    names.emplace_back(out.substr(at, out.find('"', at) - at));
  }
  return names;
}
std::vector<std::string> take(qmp_machine& m) {
  auto n = take_commands(m.outbound());
  m.consume(m.outbound().size());
  return n;
}
using names = std::vector<std::string>;

/// The id of the last command queued.
std::string last_id(std::string_view out) {
  const auto at = out.rfind("\"id\":");
  return std::string(out.substr(at + 5, out.find('}', at) - at - 5));
}

/// A machine connected, negotiated, with QEMU's status `s`.
qmp_machine ready_machine(std::string_view s) {
  qmp_machine m;
  m.connected(t0);
  (void)feed(m, std::string(greeting) + "\n");
  const std::string cap = last_id(m.outbound());
  m.consume(m.outbound().size());
  (void)feed(m, R"({"return": {}, "id": )" + cap + "}\n");
  const std::string q = last_id(m.outbound());
  m.consume(m.outbound().size());
  (void)feed(m, R"({"return": {"status": ")" + std::string(s) + R"(", "running": false}, "id": )" + q + "}\n");
  return m;
}

/// Answers every command the machine queued as QEMU does, with the events QEMU sends.
struct fake_qemu {
  std::string status = "running";
  std::vector<std::string> executed;
  std::string answer(std::string_view out) {
    std::string in;
    std::size_t at = 0;
    while ((at = out.find("\"execute\":\"", at)) != std::string_view::npos) {
      at += 11;
      const std::string cmd(out.substr(at, out.find('"', at) - at));
      const auto id_at = out.find("\"id\":", at) + 5;
      const std::string id(out.substr(id_at, out.find('}', id_at) - id_at));
      executed.push_back(cmd);
      if (cmd == "stop" && status == "running") {
        status = "paused";
        in += R"({"event": "STOP"})" "\n";
      } else if (cmd == "system_reset") {
        in += R"({"event": "RESET", "data": {"guest": false}})" "\n";
        if (status != "running") status = "prelaunch";
      } else if (cmd == "cont" && status != "running") {
        status = "running";
        in += R"({"event": "RESUME"})" "\n";
      } else if (cmd == "system_powerdown") {
        in += R"({"event": "POWERDOWN"})" "\n";
      }
      if (cmd == "query-status")
        in += R"({"return": {"status": ")" + status + R"(", "running": )" + (status == "running" ? "true" : "false") +
              "}, \"id\": " + id + "}\n";
      else
        in += "{\"return\": {}, \"id\": " + id + "}\n";
    }
    return in;
  }
};

/// One VM's BMC with `qmp` set, its VM connection up, and a fake QEMU on its QMP side.
struct qmp_rig : ipmikit_bmc::testing::rig {
  fake_qemu qemu;
  static vm_config qmp_vm() {
    vm_config v = default_vm();
    v.qmp_path = "/tmp/vm1.qmp";
    return v;
  }
  explicit qmp_rig(std::string status = "running")
      : ipmikit_bmc::testing::rig((g_qmp_lines.clear(), qmp_vm()), ipmikit::vm::qemu_capabilities, &capture_qmp) {
    qemu.status = std::move(status);
    REQUIRE(bmc->qmp_connect_due(now));
    bmc->qmp_connected(now);
    REQUIRE(bmc->qmp_receive(std::span<const char>(greeting.data(), greeting.size()), now));
    REQUIRE(bmc->qmp_receive(std::span<const char>("\n", 1), now));
    settle();
  }
  /// Lets QEMU answer until nothing is left to answer.
  void settle() {
    for (int i = 0; i < 20 && !bmc->qmp_outbound().empty(); ++i) {
      const std::string out(bmc->qmp_outbound());
      bmc->qmp_consumed(out.size());
      std::string in = out.find("qmp_capabilities") != std::string::npos ? std::string() : qemu.answer(out);
      if (out.find("qmp_capabilities") != std::string::npos) {
        const auto id_at = out.find("\"id\":") + 5;
        in = "{\"return\": {}, \"id\": " + out.substr(id_at, out.find('}', id_at) - id_at) + "}\n";
      }
      REQUIRE(bmc->qmp_receive(std::span<const char>(in.data(), in.size()), now));
    }
  }
  bytes request(std::uint8_t netfn, std::uint8_t cmd, bytes data = {}) {
    bytes body{static_cast<std::uint8_t>(netfn << 2), cmd};
    body.insert(body.end(), data.begin(), data.end());
    responses.clear();
    REQUIRE(emu.send_request(next_id++, body, now, handler()) == ipmikit::vm::session_error::ok);
    REQUIRE(pump());
    REQUIRE(responses.size() == 1);
    return responses.front();
  }
  bool chassis_status_on() { return (request(0x00, 0x01).at(3) & 0x01) != 0; }
  std::uint8_t chassis_control(std::uint8_t action) { return request(0x00, 0x02, {action}).at(2); }
};

}  // namespace

TEST_SUITE("ipmikit-bmc qmp") {
  TEST_CASE("config: qmp = unix:PATH is read; other forms, a path used twice, a listen or control path are errors with their line") {
    auto r = parse_config("[vm a]\nlisten = unix:/run/a.sock\nqmp = unix:/run/a.qmp\n");
    REQUIRE(r.ok());
    CHECK(r.cfg.vms[0].qmp_path == "/run/a.qmp");
    CHECK(parse_config("[vm a]\nlisten = unix:/run/a.sock\n").cfg.vms[0].qmp_path.empty());
    auto e = parse_config("[vm a]\nlisten = unix:/a\nqmp = 127.0.0.1:4444\n");
    REQUIRE_FALSE(e.ok());
    CHECK(e.error->line == 3);
    CHECK(e.error->message.find("qmp: expected unix:PATH") != std::string::npos);
    e = parse_config("[vm a]\nlisten = unix:/a\nqmp = unix:\n");
    REQUIRE_FALSE(e.ok());
    CHECK(e.error->line == 3);
    e = parse_config("[vm a]\nlisten = unix:/a\nqmp = unix:/" + std::string(120, 'x') + "\n");
    REQUIRE_FALSE(e.ok());
    CHECK(e.error->message.find("107 bytes") != std::string::npos);
    e = parse_config("[vm a]\nlisten = unix:/a\nqmp = unix:/q\n[vm b]\nlisten = unix:/b\nqmp = unix:/q\n");
    REQUIRE_FALSE(e.ok());
    CHECK(e.error->line == 6);
    CHECK(e.error->message.find("already VM 'a''s QMP socket") != std::string::npos);
    e = parse_config("[vm a]\nlisten = unix:/a\n[vm b]\nlisten = unix:/b\nqmp = unix:/a\n");
    REQUIRE_FALSE(e.ok());
    CHECK(e.error->line == 5);
    CHECK(e.error->message.find("VM 'a''s listen address") != std::string::npos);
    e = parse_config("[bmc]\ncontrol = /c\n[vm a]\nlisten = unix:/a\nqmp = unix:/c\n");
    REQUIRE_FALSE(e.ok());
    CHECK(e.error->line == 5);
    CHECK(e.error->message.find("control socket") != std::string::npos);
  }

  TEST_CASE("machine: greeting, qmp_capabilities, query-status; power follows the run state") {
    qmp_machine m;
    CHECK(m.connect_due(t0));
    m.connected(t0);
    CHECK_FALSE(m.connect_due(t0));
    CHECK(take(m).empty());
    auto r = feed(m, std::string(greeting) + "\n");
    CHECK_FALSE(r.close);
    CHECK(take_commands(m.outbound()) == names{"qmp_capabilities"});
    const std::string cap = last_id(m.outbound());
    m.consume(m.outbound().size());
    CHECK_FALSE(m.ready());
    (void)feed(m, R"({"return": {}, "id": )" + cap + "}\n");
    CHECK(m.ready());
    CHECK(take_commands(m.outbound()) == names{"query-status"});
    const std::string q = last_id(m.outbound());
    m.consume(m.outbound().size());
    CHECK_FALSE(m.on());  // no run state yet
    r = feed(m, R"({"return": {"status": "running", "singlestep": false, "running": true}, "id": )" + q + "}\n");
    CHECK(r.power_changed);
    CHECK(m.on());
    CHECK(m.status() == "running");
    for (const char* s : {"shutdown", "prelaunch"}) CHECK(off_status(s));
    for (const char* s : {"running", "paused", "suspended", "guest-panicked"}) CHECK_FALSE(off_status(s));
  }

  TEST_CASE("machine: events change the state at once and ask again; one query outstanding, one more at most") {
    qmp_machine m = ready_machine("running");
    REQUIRE(m.on());
    auto r = feed(m, "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true}}\n");
    CHECK(r.power_changed);
    CHECK_FALSE(m.on());
    CHECK(r.events == names{"SHUTDOWN"});
    const std::string q = last_id(m.outbound());
    CHECK(take(m) == names{"query-status"});
    (void)feed(m, "{\"event\": \"STOP\"}\n{\"event\": \"RESET\"}\n{\"event\": \"RESUME\"}\n");
    CHECK(m.on());          // RESUME: running
    CHECK(take(m).empty());  // a query is outstanding: one more after its answer, not three
    (void)feed(m, R"({"return": {"status": "shutdown", "running": false}, "id": )" + q + "}\n");
    CHECK(take(m) == names{"query-status"});
    (void)feed(m, "{\"event\": \"SOMETHING_NEW\"}\n{\"unknown\": 1}\n");
    CHECK(take(m).empty());
  }

  TEST_CASE("machine: a line over 64 KiB closes, fed whole or byte by byte; so do non-JSON and a missing greeting") {
    for (const bool per_byte : {false, true}) {
      qmp_machine m = ready_machine("running");
      const std::string big = "{\"return\": \"" + std::string(qmp_machine::max_line, 'x') + "\"}\n";
      std::optional<std::string> closed;
      if (per_byte) {
        for (const char c : big)
          if (auto r = feed(m, std::string_view(&c, 1)); r.close) {
            closed = r.close;
            break;
          }
      } else {
        closed = feed(m, big).close;
      }
      REQUIRE(closed);
      CHECK(closed->find("64 KiB") != std::string::npos);
    }
    qmp_machine ok = ready_machine("running");
    CHECK_FALSE(feed(ok, "{\"return\": \"" + std::string(qmp_machine::max_line - 20, 'x') + "\"}\n").close);
    qmp_machine m = ready_machine("running");
    CHECK(feed(m, "not json\n").close);
    qmp_machine g;
    g.connected(t0);
    auto r = feed(g, "{\"return\": {}}\n");
    REQUIRE(r.close);
    CHECK(r.close->find("greeting") != std::string::npos);
    qmp_machine silent;
    silent.connected(t0);
    CHECK_FALSE(silent.greeting_overdue(t0 + 4s));
    CHECK(silent.greeting_overdue(t0 + 5s));
  }

  TEST_CASE("machine: disconnected is off, and the next connect is due a second later") {
    qmp_machine m = ready_machine("running");
    m.disconnected(t0);
    CHECK_FALSE(m.on());
    CHECK_FALSE(m.connect_due(t0 + 999ms));
    CHECK(m.connect_due(t0 + 1s));
    CHECK(m.next_deadline() == t0 + 1s);
    CHECK_FALSE(m.request(qmp_op::power_on, t0));
  }

  TEST_CASE("machine: power operations send their commands; cycle waits 1 s off; errors are reported") {
    qmp_machine m = ready_machine("shutdown");
    REQUIRE(m.request(qmp_op::power_on, t0));
    CHECK(take(m) == names{"system_reset", "cont", "query-status"});
    CHECK(m.intended_on());
    CHECK_FALSE(m.on());
    qmp_machine c = ready_machine("running");
    REQUIRE(c.request(qmp_op::power_cycle, t0));
    CHECK(take(c) == names{"stop", "system_reset", "query-status"});
    c.poll(t0 + 999ms);
    CHECK(take(c).empty());
    CHECK(c.next_deadline() == t0 + 1s);
    c.poll(t0 + 1s);
    CHECK(take(c) == names{"system_reset", "cont", "query-status"});
    qmp_machine o = ready_machine("running");
    REQUIRE(o.request(qmp_op::power_off, t0));
    CHECK(take(o) == names{"stop", "system_reset", "query-status"});
    CHECK_FALSE(o.intended_on());
    auto r = feed(o, R"({"error": {"class": "GenericError", "desc": "nope"}, "id": 99})" "\n");
    CHECK(r.errors == names{"GenericError: nope"});
    CHECK_FALSE(r.close);
  }

  TEST_CASE("BMC: power follows QMP, not the VM connection; Get Chassis Status agrees") {
    qmp_rig r("running");
    CHECK(r.bmc->power_on());
    CHECK(r.chassis_status_on());
    r.bmc->disconnected(r.now, "the chardev dropped");  // the VM protocol's connection only
    CHECK(r.bmc->power_on());
    r.bmc->connected(r.now, "back");
    r.emu.disconnect(r.now, r.handler());
    r.emu.connect(r.now, r.handler());
    REQUIRE(r.pump());
    const std::string shutdown = "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true}}\n";
    REQUIRE(r.bmc->qmp_receive(std::span<const char>(shutdown.data(), shutdown.size()), r.now));
    r.qemu.status = "shutdown";
    r.settle();
    CHECK_FALSE(r.bmc->power_on());
    CHECK_FALSE(r.chassis_status_on());
    CHECK(qmp_logged("event=power_state power=off status=shutdown source=qmp") == 1);
    r.bmc->disconnected(r.now, "QEMU's chardev reconnects");  // the VM protocol comes and goes: still off
    r.bmc->connected(r.now, "again");
    r.emu.disconnect(r.now, r.handler());
    r.emu.connect(r.now, r.handler());
    REQUIRE(r.pump());
    CHECK_FALSE(r.chassis_status_on());
    r.bmc->qmp_disconnected(r.now, "closed by QEMU", true);
    CHECK_FALSE(r.bmc->power_on());
    CHECK(qmp_logged("event=qmp_disconnected") == 1);
  }

  TEST_CASE("BMC: power on, off and cycle are real and idempotent; reset and soft while off are D5") {
    qmp_rig r("shutdown");
    REQUIRE_FALSE(r.bmc->power_on());
    CHECK(r.chassis_control(0x03) == 0xD5);  // hard reset while off
    CHECK(r.chassis_control(0x05) == 0xD5);  // soft while off
    CHECK(r.chassis_control(0x00) == 0x00);  // off while off: nothing to do
    CHECK(qmp_logged("action=power_off reason=chassis_control result=already_off") == 1);
    CHECK(r.qemu.executed == names{"query-status"});
    CHECK(r.chassis_control(0x01) == 0x00);  // power up
    CHECK(r.chassis_control(0x01) == 0x00);  // again, before QEMU answered: one operation
    r.settle();
    auto count = [&](std::string_view c) { return std::count(r.qemu.executed.begin(), r.qemu.executed.end(), c); };
    CHECK(count("system_reset") == 1);  // two power ups, one operation
    CHECK(count("cont") == 1);
    CHECK(r.bmc->power_on());
    CHECK(r.chassis_status_on());
    CHECK(r.request(0x00, 0x07).at(3) == 0x01);  // Get System Restart Cause: chassis control command
    CHECK(r.chassis_control(0x01) == 0x00);     // on while on
    r.settle();
    CHECK(qmp_logged("action=power_on reason=chassis_control result=already_on") == 1);
    CHECK(count("system_reset") == 1);
    CHECK(count("cont") == 1);
    CHECK(r.chassis_control(0x00) == 0x00);
    r.settle();
    CHECK_FALSE(r.bmc->power_on());
    CHECK(r.qemu.status == "prelaunch");
    CHECK(r.chassis_control(0x02) == 0x00);  // cycle while off: powers on
    r.settle();
    CHECK(r.bmc->power_on());
    const std::size_t offs = qmp_logged("event=power_state power=off");
    CHECK(r.chassis_control(0x02) == 0x00);  // cycle while on: off, 1 s, on
    r.settle();
    CHECK_FALSE(r.bmc->power_on());
    CHECK(qmp_logged("event=power_state power=off") == offs + 1);
    r.advance(1100ms);
    r.settle();
    CHECK(r.bmc->power_on());
    CHECK(r.qemu.status == "running");
    CHECK(r.chassis_control(0x03) == 0x00);  // reset while on: QMP system_reset
    CHECK(r.chassis_control(0x05) == 0x00);  // soft: system_powerdown
    r.settle();
    const auto last_reset = std::find(r.qemu.executed.rbegin(), r.qemu.executed.rend(), "system_reset");
    const auto last_powerdown = std::find(r.qemu.executed.rbegin(), r.qemu.executed.rend(), "system_powerdown");
    CHECK(last_powerdown < last_reset);  // reverse iterators: the powerdown came after the reset
    CHECK(qmp_logged("action=reset reason=chassis_control result=sent via=qmp") == 1);
    CHECK(qmp_logged("action=soft_shutdown reason=chassis_control result=sent via=qmp") == 1);
    CHECK(r.commands.empty());  // nothing went over the VM protocol
  }

  TEST_CASE("BMC: QMP gone — off; power on refused (D5), power off succeeds; control words on and cycle") {
    qmp_rig r("running");
    r.bmc->qmp_disconnected(r.now, "closed by QEMU", true);
    CHECK(r.chassis_control(0x01) == 0xD5);
    CHECK(r.chassis_control(0x02) == 0xD5);
    CHECK(r.chassis_control(0x00) == 0x00);
    vm_bmc* vms[] = {r.bmc.get()};
    CHECK(control_command("power on vm1", vms, r.now) == "error QMP not connected (QEMU is not running)\n");
    CHECK(control_command("power off vm1", vms, r.now) == "ok already off\n");
    qmp_rig c("prelaunch");
    vm_bmc* cv[] = {c.bmc.get()};
    CHECK(control_command("list", cv, c.now) == "vm1 state=connected power=off watchdog=stopped\nok\n");
    CHECK(control_command("power on vm1", cv, c.now) == "ok sent\n");
    c.settle();
    CHECK(control_command("power on vm1", cv, c.now) == "ok already on\n");
    CHECK(control_command("power cycle vm1", cv, c.now) == "ok sent\n");
    CHECK(control_command("list", cv, c.now) == "vm1 state=connected power=on watchdog=stopped\nok\n");
    CHECK(control_command("power reboot vm1", cv, c.now).starts_with("error unknown power action 'reboot' (on, off, cycle"));
  }

  TEST_CASE("BMC: the watchdog's power_cycle action cycles over QMP (off, then on)") {
    qmp_rig r("running");
    // Set Watchdog Timer: SMS/OS, action power cycle (3), 1.0 s; then Reset Watchdog Timer.
    CHECK(r.request(0x06, 0x24, {0x04, 0x03, 0x00, 0x00, 0x0A, 0x00}).at(2) == 0x00);
    CHECK(r.request(0x06, 0x22).at(2) == 0x00);
    r.advance(1100ms);
    r.settle();
    CHECK(qmp_logged("event=power action=power_cycle reason=watchdog result=sent via=qmp") == 1);
    CHECK_FALSE(r.bmc->power_on());
    r.advance(1100ms);
    r.settle();
    CHECK(r.bmc->power_on());
    CHECK(r.commands.empty());
  }

  TEST_CASE("without qmp: power on is an error unless on, power cycle is a power off (as before)") {
    ipmikit_bmc::testing::rig r(ipmikit_bmc::testing::rig::default_vm(), ipmikit::vm::qemu_capabilities, &capture_qmp);
    vm_bmc* vms[] = {r.bmc.get()};
    CHECK(control_command("power on vm1", vms, r.now) == "ok already on\n");
    CHECK(control_command("power cycle vm1", vms, r.now) == "ok sent\n");
    REQUIRE(r.pump());
    CHECK(r.commands == std::vector<ipmikit::vm::command>{ipmikit::vm::command::power_off});
    CHECK(control_command("power on vm1", vms, r.now).starts_with("error no power on without qmp"));
  }
}
