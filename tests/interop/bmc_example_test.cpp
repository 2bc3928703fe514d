// tests/interop/bmc_example_test.cpp — the program ipmikit-bmc (apps/ipmikit-bmc/)
// as the external BMC of a real QEMU 7.2, and of a scripted VM for what QEMU cannot show.
//
//   scripted  the test plays the emulator on ipmikit-bmc's VM socket and announces no
//             capabilities: actions the VM cannot do are refused (D5), no ENABLE_IRQ goes out,
//             completion codes for bad requests, a malformed frame is ignored, a second
//             connection is closed at once, a reconnect is greeted again, SIGTERM exits 0.
//   qemu      QEMU + isa-ipmi-kcs, the guest played over qtest: Get Device ID, self test,
//             the watchdog Set/Get round trip (exact bytes), chassis status, completion codes,
//             Set BMC Global Enables 0x0F answered promptly after ENABLE_IRQ (the session's
//             command chunking and gap), a pre-timeout messaging interrupt (SMS_ATN, message
//             flag, cleared by Clear Message Flags), then the watchdog's "power down": QEMU
//             exits. A second QEMU connects to the same ipmikit-bmc: the watchdog's "hard
//             reset" resets it and the KCS interface answers afterwards; soft shutdown and NMI.
//
//   fleet     one ipmikit-bmc, a configuration file with three VMs (two UNIX sockets, one TCP)
//             and a control socket: a VM that sends garbage and then floods requests without
//             reading does not delay another VM's answers; control commands over the real
//             socket (list, status, power nmi reaching the VM, errors); a disconnect and a
//             reconnect touch only that VM; a second connection is refused; SIGTERM exits 0
//             and removes the socket files.
//   persist   a state_dir: Add SEL Entry, boot options and a FRU write, kill -9 right after the
//             last response, a new process reads them back; a corrupt SEL file is named in the
//             log, kept aside, and the SEL starts empty.
//   crash     25 runs on one state_dir, each killed with SIGKILL during a stream of changes
//             (Add SEL Entry, persistent boot device, user names and passwords, Write FRU
//             Data, Set SEL Time, the LAN IP address) at a different point, mostly with one
//             request in flight: each restart reads everything back, and every change that
//             was answered with success is there, nothing else is (the one in flight may be).
//
// Usage: ipmikit_interop_bmc_example_test PATH/TO/ipmikit-bmc [scripted] [qemu] [fleet] [persist] [crash]
//        (no section named: all)
// Exit status: 0 passed, 1 a check failed, 77 skipped (QEMU missing; with
// IPMIKIT_INTEROP_REQUIRED=1 that is a failure instead). IPMIKIT_INTEROP_KEEP=1 keeps the
// temporary directory (logs of ipmikit-bmc and QEMU); it is always kept when a check fails.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <cstdlib>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ipmikit/vm/protocol.hpp>

#include "bmc_control.hpp"
#include "check.hpp"
#include "common.hpp"
#include "ipmi_sim.hpp"  // proc_net_has_socket: readiness without a probe connection
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
  say("  --- " + what + " log (" + path + "), tail:\n" + file_tail(path, 4000) + "\n  ---");
}

/// SIGTERM: ipmikit-bmc must log it and exit 0.
void stop_bmc(checker& c, bmc_process& b) {
  c.check(b.proc.alive(), "ipmikit-bmc still running at the end");
  const auto ended = b.proc.stop(millis(5000));
  if (c.check_ok(ended, "ipmikit-bmc stopped"))
    c.check(ended->success(), "SIGTERM: ipmikit-bmc " + ended->describe() + " (wants exit 0)");
  c.check(count_in_log(b.log_path, "event=stopping signal=SIGTERM") == 1, "it logged the signal");
}

/// A second connection while a VM is connected is closed at once (EOF within 2 s).
void check_second_connection_refused(checker& c, const bmc_process& b, std::size_t refusals_before) {
  auto fd = connect_tcp(b.port, 2000);
  if (!c.check_ok(fd, "a second TCP connection to ipmikit-bmc")) return;
  std::array<std::uint8_t, 16> buf{};
  auto r = read_some(fd->get(), buf, 2000);
  c.check(r.ok() && r->state == read_state::eof,
          "it is closed at once, without a byte", r.ok() ? "" : r.error());
  c.check(wait_for_log(b.log_path, "event=refused ", refusals_before + 1, 2000),
          "ipmikit-bmc logged the refusal");
}

// ---------------------------------------------------------------------------------------------
// scripted: the test is the emulator

/// Sends a request and returns the response's body (netfn, cmd, cc, data); commands that arrive
/// first go to `commands`.
result<bytes> scripted_request(vm_connection& conn, std::uint8_t msg_id, std::span<const std::uint8_t> body,
                               std::vector<vm_event>* commands = nullptr) {
  auto sent = conn.send_message(msg_id, body);
  if (!sent) return fail(sent.error());
  for (int i = 0; i < 16; ++i) {
    auto e = conn.next_event(3000);
    if (!e) return fail(e.error());
    if (e->is_message()) {
      if (e->msg_id != msg_id) return fail("response with msg_id " + hex(e->msg_id) + ": " + e->describe());
      return std::move(e->body);
    }
    if (commands != nullptr) commands->push_back(std::move(*e));
  }
  return fail("no response after 16 frames");
}
result<bytes> scripted_request(vm_connection& conn, std::uint8_t msg_id, std::initializer_list<std::uint8_t> body,
                               std::vector<vm_event>* commands = nullptr) {
  return scripted_request(conn, msg_id, std::span<const std::uint8_t>(body.begin(), body.size()), commands);
}

int test_scripted(const temp_dir& dir, const std::string& binary) {
  say("== scripted VM with no capabilities: the test plays the emulator");
  checker c;
  auto b = start_bmc(dir, binary, "scripted");
  if (!c.check_ok(b, "ipmikit-bmc listening")) return c.failures();
  const int before = c.failures();
  auto body = [&]() {
    auto fd = connect_tcp(b->port, 5000);
    if (!c.check_ok(fd, "connected to ipmikit-bmc")) return;
    vm_connection conn(std::move(*fd), vm::min_response_frame);
    if (!check_next_command(c, conn, "first frame", vm::command::version, 1, "ipmikit-bmc greets with VERSION 1")) return;
    if (!c.check_ok(conn.send_command(vm::command::version, 1), "sent VERSION 1") ||
        !c.check_ok(conn.send_command(vm::command::capabilities, 0x00), "sent CAPABILITIES 0x00"))
      return;
    c.check(wait_for_log(b->log_path, "event=capabilities caps=0x00 names=none", 1, 3000), "ipmikit-bmc logged the capabilities");

    std::uint8_t id = 0;
    auto expect = [&](std::initializer_list<std::uint8_t> request, std::initializer_list<std::uint8_t> want,
                      const std::string& what) {
      std::vector<vm_event> commands;
      auto r = scripted_request(conn, id++, request, &commands);
      if (!c.check_ok(r, what)) return;
      c.check_bytes(*r, want, what);
      std::string cmds;
      for (const auto& e : commands) cmds += e.describe() + "; ";
      c.check(commands.empty(), "  no VM command before it", cmds);
    };
    expect({0x00, 0x02, 0x03}, {0x04, 0x02, 0xD5}, "Chassis Control hard reset without RESET: D5");
    expect({0x00, 0x02, 0x00}, {0x04, 0x02, 0xD5}, "Chassis Control power down without POWER: D5");
    expect({0x00, 0x02, 0x04}, {0x04, 0x02, 0xD5}, "Chassis Control diagnostic interrupt without NMI: D5");
    expect({0x00, 0x02, 0x05}, {0x04, 0x02, 0xD5}, "Chassis Control soft shutdown without GRACEFUL_SHUTDOWN: D5");
    expect({0x00, 0x02, 0x01}, {0x04, 0x02, 0x00}, "Chassis Control power up: already on, 00");
    expect({0x00, 0x02, 0x06}, {0x04, 0x02, 0xCC}, "Chassis Control 06 (reserved): CC");
    expect({0x00, 0x02}, {0x04, 0x02, 0xC7}, "Chassis Control without data: C7");
    expect({0x18, 0x2E, 0x01}, {0x1C, 0x2E, 0x00}, "Set BMC Global Enables 01 without IRQ: 00, no ENABLE_IRQ");
    c.check(count_in_log(b->log_path, "event=enable_irq result=missing_capability") == 1, "  logged as not sent");
    expect({0x18, 0x24, 0x04, 0x01, 0x00, 0x00, 0x14, 0x00}, {0x1C, 0x24, 0xD5},
           "Set Watchdog Timer with hard reset, VM without RESET: D5");
    expect({0x18, 0x24, 0x04, 0x30, 0x01, 0x00, 0x14, 0x00}, {0x1C, 0x24, 0xD5},
           "Set Watchdog Timer with a messaging interrupt, VM without ATTN: D5");
    expect({0x18, 0x22}, {0x1C, 0x22, 0x80}, "Reset Watchdog Timer, never set: 80 (§27.5)");
    expect({0x18, 0x24, 0x04, 0x10, 0x01, 0x00, 0x14, 0x00}, {0x1C, 0x24, 0xCC},
           "Set Watchdog Timer with an SMI pre-timeout: CC");
    expect({0x18, 0x24, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00}, {0x1C, 0x24, 0xCC},
           "Set Watchdog Timer with timer use 0 (reserved): CC");
    expect({0x18, 0x24, 0x04, 0x04, 0x00, 0x00, 0x14, 0x00}, {0x1C, 0x24, 0xCC},
           "Set Watchdog Timer with timeout action 4 (reserved): CC");
    expect({0x18, 0x24, 0x04, 0x00, 0x00, 0x00, 0x14}, {0x1C, 0x24, 0xC7}, "Set Watchdog Timer, 5 bytes: C7");
    expect({0x18, 0x24, 0x05, 0x00, 0x00, 0x00, 0x14, 0x00}, {0x1C, 0x24, 0x00},
           "Set Watchdog Timer, OEM use, no action: 00");
    expect({0x18, 0x25}, {0x1C, 0x25, 0x00, 0x05, 0x00, 0x00, 0x00, 0x14, 0x00, 0x14, 0x00},
           "Get Watchdog Timer: 8 data bytes");
    expect({0x18, 0x01, 0x00}, {0x1C, 0x01, 0xC7}, "Get Device ID with a data byte: C7");
    expect({0x1A, 0x01}, {0x1E, 0x01, 0xC2}, "Get Device ID on LUN 2: C2, LUN echoed");
    expect({0x18, 0x99}, {0x1C, 0x99, 0xC1}, "App command 0x99: C1");
    expect({0x28, 0x01}, {0x2C, 0x01, 0xC1}, "Storage command: C1");

    // A frame with a bad checksum is logged and ignored; the next request is answered.
    const std::uint8_t bad[] = {0x30, 0x18, 0x01, 0x00, 0xA0};
    if (c.check_ok(conn.send(bad), "sent a frame with a bad checksum")) {
      c.check(wait_for_log(b->log_path, "event=protocol_problem", 1, 3000), "ipmikit-bmc logged a protocol problem");
      expect({0x18, 0x04}, {0x1C, 0x04, 0x00, 0x55, 0x00}, "Get Self Test Results after it");
    }

    check_second_connection_refused(c, *b, 0);

    // The VM goes away and comes back: a new greeting, a working link.
    conn.close();
    c.check(wait_for_log(b->log_path, "event=disconnected reason=\"closed by the VM\"", 1, 3000), "ipmikit-bmc saw the close");
    auto fd2 = connect_tcp(b->port, 5000);
    if (!c.check_ok(fd2, "reconnected")) return;
    vm_connection conn2(std::move(*fd2), vm::min_response_frame);
    (void)check_next_command(c, conn2, "first frame after the reconnect", vm::command::version, {}, "VERSION again");
    (void)conn2.send_command(vm::command::capabilities, 0x00);
    auto r = scripted_request(conn2, 0x42, {0x00, 0x01});
    if (c.check_ok(r, "Get Chassis Status after the reconnect"))
      c.check_bytes(*r, {0x04, 0x01, 0x00, 0x61, 0x00, 0x00}, "power on, restore policy unknown");
  };
  body();
  stop_bmc(c, *b);
  if (c.failures() != before) show_log("ipmikit-bmc", b->log_path);
  return c.failures();
}

// ---------------------------------------------------------------------------------------------
// qemu: real QEMU, the test is the guest

result<bytes> kcs(qtest& qt, std::initializer_list<std::uint8_t> request) {
  return kcs_transaction(qt, std::span<const std::uint8_t>(request.begin(), request.size()), millis(8000));
}

struct guest {
  checker& c;
  qtest& qt;

  /// One KCS transaction; checks the exact response.
  bool expect(std::initializer_list<std::uint8_t> request, std::initializer_list<std::uint8_t> want,
              const std::string& what) {
    auto r = kcs(qt, request);
    if (!c.check_ok(r, what)) return false;
    return c.check_bytes(*r, want, what);
  }
  std::optional<bytes> ask(std::initializer_list<std::uint8_t> request, const std::string& what) {
    auto r = kcs(qt, request);
    if (!c.check_ok(r, what)) return std::nullopt;
    return std::move(*r);
  }
};

/// Starts QEMU with isa-ipmi-kcs connected to the BMC and waits until ipmikit-bmc has its
/// capabilities (the `nth` connection in its log).
std::optional<qemu_instance> start_vm(checker& c, const temp_dir& dir, const bmc_process& b, std::size_t nth) {
  const auto t0 = steady::now();
  auto q = start_qemu(dir, b.port, ipmi_interface::kcs);
  if (!c.check_ok(q, "QEMU started (qtest connected)")) return std::nullopt;
  say("  QEMU pid " + std::to_string(q->proc.pid()) + ", qtest after " + std::to_string(elapsed_ms(t0)) + " ms");
  if (!c.check(wait_for_log(b.log_path, "event=capabilities caps=0x3F names=POWER,RESET,IRQ,NMI,ATTN,GRACEFUL_SHUTDOWN", nth, 10000),
               "ipmikit-bmc: QEMU connected and announced 0x3F (connection " + std::to_string(nth) + ")"))
    return std::nullopt;
  say("  BMC link up after " + std::to_string(elapsed_ms(t0)) + " ms");
  c.check(q->qt.irq_intercept_in("ioapic"), "qtest irq_intercept_in ioapic", q->qt.last_error());
  return std::move(*q);
}

std::uint16_t le16(const bytes& r, std::size_t at) {
  return static_cast<std::uint16_t>(r[at] | (r[at + 1] << 8));
}
std::uint32_t le32(const bytes& r, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t k = 4; k-- > 0;) v = v << 8 | r[at + k];
  return v;
}

/// The first QEMU: requests, completion codes, global enables, pre-timeout, then power down.
void qemu_first_vm(checker& c, const temp_dir& dir, bmc_process& b) {
  auto q = start_vm(c, dir, b, 1);
  if (!q) return;
  guest g{c, q->qt};
  const int before = c.failures();

  g.expect({0x18, 0x22}, {0x1C, 0x22, 0x80}, "Reset Watchdog Timer before any Set: 80");
  g.expect({0x18, 0x01}, {0x1C, 0x01, 0x00, 0x20, 0x01, 0x00, 0x01, 0x02, 0x8F, 0x00, 0x00, 0x00, 0x01, 0x00},
           "Get Device ID");
  g.expect({0x18, 0x04}, {0x1C, 0x04, 0x00, 0x55, 0x00}, "Get Self Test Results: 55 00");
  g.expect({0x00, 0x01}, {0x04, 0x01, 0x00, 0x61, 0x00, 0x00}, "Get Chassis Status: power on");

  // Watchdog round trip: SMS/OS, pre-timeout messaging interrupt 5 s, hard reset, 60.0 s.
  g.expect({0x18, 0x24, 0x04, 0x31, 0x05, 0x00, 0x58, 0x02}, {0x1C, 0x24, 0x00},
           "Set Watchdog Timer: exactly netfn, cmd, cc");
  g.expect({0x18, 0x25}, {0x1C, 0x25, 0x00, 0x04, 0x31, 0x05, 0x00, 0x58, 0x02, 0x58, 0x02},
           "Get Watchdog Timer: stopped, present = initial");
  g.expect({0x18, 0x22}, {0x1C, 0x22, 0x00}, "Reset Watchdog Timer starts it");
  if (auto r = g.ask({0x18, 0x25}, "Get Watchdog Timer while running")) {
    c.check(r->size() == 11 && (*r)[2] == 0x00 && (*r)[3] == 0x44,
            "running: timer use byte 44 (bit 6 = running): " + hex(*r));
    if (r->size() == 11)
      c.check(le16(*r, 9) <= 600 && le16(*r, 9) >= 550,
              "present countdown " + std::to_string(le16(*r, 9)) + " (of 600, counting down)");
  }
  // "Don't stop": the new countdown (30.0 s, no action) continues from its new value.
  g.expect({0x18, 0x24, 0x44, 0x00, 0x00, 0x10, 0x2C, 0x01}, {0x1C, 0x24, 0x00}, "Set Watchdog Timer, don't stop");
  if (auto r = g.ask({0x18, 0x25}, "Get Watchdog Timer after it")) {
    c.check(r->size() == 11 && (*r)[3] == 0x44 && le16(*r, 7) == 300 && le16(*r, 9) <= 300 && le16(*r, 9) >= 250,
            "still running from 300: " + hex(*r));
  }
  g.expect({0x18, 0x24, 0x04, 0x00, 0x00, 0x00, 0x2C, 0x01}, {0x1C, 0x24, 0x00}, "Set Watchdog Timer stops it");
  g.expect({0x18, 0x25}, {0x1C, 0x25, 0x00, 0x04, 0x00, 0x00, 0x00, 0x2C, 0x01, 0x2C, 0x01}, "stopped again");

  // Completion codes through QEMU.
  g.expect({0x18, 0x01, 0x00}, {0x1C, 0x01, 0xC7}, "Get Device ID with a data byte: C7");
  g.expect({0x18, 0x99}, {0x1C, 0x99, 0xC1}, "App command 0x99: C1");
  g.expect({0x1A, 0x01}, {0x1E, 0x01, 0xC2}, "Get Device ID on LUN 2: C2");
  g.expect({0x18, 0x24, 0x04, 0x11, 0x01, 0x00, 0x14, 0x00}, {0x1C, 0x24, 0xCC}, "SMI pre-timeout: CC");
  g.expect({0x00, 0x02, 0x06}, {0x04, 0x02, 0xCC}, "Chassis Control 06: CC");
  g.expect({0x18, 0x2E, 0x10}, {0x1C, 0x2E, 0xCC}, "Set BMC Global Enables with reserved bit 4: CC");

  // A command and a response back to back: ENABLE_IRQ in a write of its own, the response
  // after the session's 10 ms command gap. A lost response would show as QEMU's own C3 after
  // 4 s. (QEMU 7.2 reads its chardev one byte at a time, so it would also survive both in one
  // write; the gap guards builds that do not — see vm/session.hpp.)
  const std::size_t irq_raises = q->qt.irq(5).raises;
  const auto t1 = steady::now();
  const bool enabled = g.expect({0x18, 0x2E, 0x0F}, {0x1C, 0x2E, 0x00}, "Set BMC Global Enables 0F");
  const long long took = elapsed_ms(t1);
  if (enabled) c.check(took < 2500, "answered in " + std::to_string(took) + " ms (QEMU's timeout: 4000)");
  c.check(count_in_log(b.log_path, "event=enable_irq result=ok") == 1, "ipmikit-bmc sent ENABLE_IRQ once");
  g.expect({0x18, 0x2F}, {0x1C, 0x2F, 0x00, 0x0F}, "Get BMC Global Enables: 0F");
  c.check(q->qt.irq(5).raises > irq_raises,
          "QEMU raised IRQ 5 for the responses since (ENABLE_IRQ took effect): " + q->qt.irq_summary());

  // Pre-timeout messaging interrupt: 3 s before a 4.0 s countdown with no timeout action (the
  // 3 s leave time for the requests below before the expiry, even on a loaded machine).
  g.expect({0x18, 0x24, 0x04, 0x30, 0x03, 0x00, 0x28, 0x00}, {0x1C, 0x24, 0x00},
           "Set Watchdog Timer: messaging pre-timeout 3 s before a 4.0 s countdown, no action");
  g.expect({0x18, 0x22}, {0x1C, 0x22, 0x00}, "Reset Watchdog Timer");
  const auto t2 = steady::now();
  bool attention = false;
  for (int i = 0; i < 1000 && elapsed_ms(t2) < 5000; ++i) {
    const auto st = kcs_status(q->qt);
    if (!st) {
      c.check(false, "read the KCS status", q->qt.last_error());
      break;
    }
    if ((*st & kcs::sms_atn) != 0) {
      attention = true;
      break;
    }
    sleep_ms(10);
  }
  const long long atn_ms = elapsed_ms(t2);
  if (c.check(attention, "KCS status shows SMS_ATN after " + std::to_string(atn_ms) + " ms"))
    c.check(atn_ms >= 700 && atn_ms < 3000, "about 1 s after the reset");
  // One ATTN_IRQ for both flags the pre-timeout sets: its own (08) and the event buffer's (02).
  c.check(count_in_log(b.log_path, "event=attention on=yes irq=yes flags=0x0A result=ok") == 1,
          "ipmikit-bmc sent ATTN_IRQ (the receive message queue interrupt is enabled)");
  g.expect({0x18, 0x22}, {0x1C, 0x22, 0xD5}, "Reset Watchdog Timer after the pre-timeout: D5 (§27.5)");
  // Global enables 0F include the event message buffer: the pre-timeout also leaves a
  // Watchdog 2 "timer interrupt" event there (flag 02).
  g.expect({0x18, 0x31}, {0x1C, 0x31, 0x00, 0x0A}, "Get Message Flags: watchdog pre-timeout (08) + event buffer full (02)");
  if (const auto ev = g.ask({0x18, 0x35}, "Read Event Message Buffer")) {
    c.check(ev->size() == 19 && (*ev)[2] == 0x00, "Read Event Message Buffer: 00 and 16 bytes: " + hex(*ev));
    if (ev->size() == 19)
      c.check((*ev)[3 + 2] == 0x02 && (*ev)[3 + 10] == 0x23 && (*ev)[3 + 12] == 0x6F && (*ev)[3 + 13] == 0xC8 &&
                  (*ev)[3 + 14] == 0x34,
              "  a system event record: Watchdog 2 (23h), sensor-specific, timer interrupt, messaging/SMS-OS");
  }
  g.expect({0x18, 0x35}, {0x1C, 0x35, 0x80}, "Read Event Message Buffer again: empty (80h)");
  g.expect({0x18, 0x31}, {0x1C, 0x31, 0x00, 0x08}, "Get Message Flags: watchdog pre-timeout (08)");
  g.expect({0x18, 0x30, 0x08}, {0x1C, 0x30, 0x00}, "Clear Message Flags 08");
  if (const auto st = kcs_status(q->qt))
    c.check((*st & kcs::sms_atn) == 0, "SMS_ATN is clear when the response is in: status " + hex(*st));
  c.check(wait_for_log(b.log_path, "event=watchdog_expired action=none use=sms_os", 1, 5000),
          "ipmikit-bmc logged the expiry (no action)");
  g.expect({0x18, 0x25}, {0x1C, 0x25, 0x00, 0x04, 0x30, 0x03, 0x10, 0x28, 0x00, 0x00, 0x00},
           "Get Watchdog Timer: stopped, SMS/OS expired (10), present 0");

  check_second_connection_refused(c, b, 0);

  // The HA case: the guest stops petting; power down after 2.0 s makes QEMU 7.2 shut down.
  g.expect({0x18, 0x24, 0x04, 0x02, 0x00, 0x10, 0x14, 0x00}, {0x1C, 0x24, 0x00},
           "Set Watchdog Timer: power down after 2.0 s");
  g.expect({0x18, 0x22}, {0x1C, 0x22, 0x00}, "Reset Watchdog Timer starts it; no more pets");
  const auto t3 = steady::now();
  const auto ended = q->proc.wait_exit(millis(10000));
  const long long exit_ms = elapsed_ms(t3);
  if (c.check(ended.has_value(), "QEMU exited " + std::to_string(exit_ms) + " ms after the last pet")) {
    c.check(exit_ms >= 1500 && exit_ms < 8000, "about 2 s");
    c.check(ended->success(), "QEMU " + ended->describe());
  }
  c.check(count_in_log(b.log_path, "event=watchdog_expired action=power_off use=sms_os") == 1,
          "ipmikit-bmc logged the expiry");
  c.check(count_in_log(b.log_path, "event=power action=power_off reason=watchdog result=sent") == 1,
          "ipmikit-bmc logged POWEROFF");
  c.check(wait_for_log(b.log_path, "event=disconnected reason=\"closed by the VM\"", 1, 3000), "ipmikit-bmc saw QEMU go");
  if (c.failures() != before) show_log("QEMU", q->log_path);
}

/// A second QEMU on the same ipmikit-bmc: hard reset, then soft shutdown and NMI.
void qemu_second_vm(checker& c, const temp_dir& dir, bmc_process& b) {
  auto q = start_vm(c, dir, b, 2);
  if (!q) return;
  guest g{c, q->qt};
  const int before = c.failures();

  // The settings (and the expiration flag) outlived the first VM; the timer is stopped.
  g.expect({0x18, 0x25}, {0x1C, 0x25, 0x00, 0x04, 0x02, 0x00, 0x10, 0x14, 0x00, 0x00, 0x00},
           "Get Watchdog Timer on the new connection: settings kept, stopped");
  g.expect({0x18, 0x24, 0x04, 0x01, 0x00, 0x10, 0x14, 0x00}, {0x1C, 0x24, 0x00},
           "Set Watchdog Timer: hard reset after 2.0 s");
  g.expect({0x18, 0x22}, {0x1C, 0x22, 0x00}, "Reset Watchdog Timer starts it");
  const auto t0 = steady::now();
  const bool reset = wait_for_log(b.log_path, "event=power action=reset reason=watchdog result=sent", 1, 10000);
  const long long reset_ms = elapsed_ms(t0);
  if (c.check(reset, "ipmikit-bmc sent RESET " + std::to_string(reset_ms) + " ms after the start"))
    c.check(reset_ms >= 1500 && reset_ms < 8000, "about 2 s");
  sleep_ms(300);
  c.check(q->proc.alive(), "QEMU keeps running after the reset");
  g.expect({0x18, 0x01}, {0x1C, 0x01, 0x00, 0x20, 0x01, 0x00, 0x01, 0x02, 0x8F, 0x00, 0x00, 0x00, 0x01, 0x00},
           "the KCS interface answers after the reset");
  g.expect({0x18, 0x25}, {0x1C, 0x25, 0x00, 0x04, 0x01, 0x00, 0x10, 0x14, 0x00, 0x00, 0x00},
           "Get Watchdog Timer: expired and stopped");
  say(std::string("  QEMU ") + (count_in_log(b.log_path, "event=vm_reports command=RESET") != 0 ? "did" : "did not") +
      " send RESET back after the machine reset");

  // Chassis Control: the response comes first, then the command.
  g.expect({0x00, 0x02, 0x03}, {0x04, 0x02, 0x00}, "Chassis Control hard reset");
  c.check(wait_for_log(b.log_path, "event=power action=reset reason=chassis_control result=sent", 1, 3000), "ipmikit-bmc sent RESET");
  g.expect({0x00, 0x02, 0x05}, {0x04, 0x02, 0x00}, "Chassis Control soft shutdown");
  c.check(wait_for_log(b.log_path, "event=power action=soft_shutdown reason=chassis_control result=sent", 1, 3000),
          "ipmikit-bmc sent GRACEFUL_SHUTDOWN");
  g.expect({0x00, 0x02, 0x04}, {0x04, 0x02, 0x00}, "Chassis Control pulse diagnostic interrupt");
  c.check(wait_for_log(b.log_path, "event=power action=nmi reason=chassis_control result=sent", 1, 3000),
          "ipmikit-bmc sent SEND_NMI");
  sleep_ms(300);
  c.check(q->proc.alive(), "QEMU still runs (the halted BIOS has no ACPI: soft shutdown does nothing)");
  // Byte 2 bit 4: the last power-on (the hard reset above) came by IPMI command (§28.2).
  g.expect({0x00, 0x01}, {0x04, 0x01, 0x00, 0x61, 0x10, 0x00}, "Get Chassis Status still answers");

  say("  qtest: " + std::to_string(q->qt.commands_sent()) + " commands; IRQ lines: " + q->qt.irq_summary());
  q->qt.close();
  const auto stopped = q->proc.stop();
  if (c.check_ok(stopped, "QEMU stopped (pid " + std::to_string(q->proc.pid()) + ")")) say("  QEMU " + stopped->describe());
  c.check(wait_for_log(b.log_path, "event=disconnected reason=\"closed by the VM\"", 2, 3000), "ipmikit-bmc saw QEMU go");
  if (c.failures() != before) show_log("QEMU", q->log_path);
}

// ---------------------------------------------------------------------------------------------
// fleet: several VMs in one process, isolation, the control socket

/// Get Device ID as the emulator; true when answered with 00 within `timeout_ms`.
bool get_device_id(vm_connection& conn, std::uint8_t id, int timeout_ms) {
  const std::uint8_t body[] = {0x18, 0x01};
  if (!conn.send_message(id, body)) return false;
  for (int i = 0; i < 16; ++i) {
    auto e = conn.next_event(timeout_ms);
    if (!e) return false;
    if (e->is_message()) return e->msg_id == id && e->completion_code() == 0x00;
  }
  return false;
}

int test_fleet(const temp_dir& dir, const std::string& binary) {
  say("== fleet: three VMs and a control socket in one ipmikit-bmc");
  checker c;
  auto port = free_tcp_port();
  if (!c.check_ok(port, "a free TCP port")) return c.failures();
  const std::string sock_a = dir.file("a.sock"), sock_b = dir.file("b.sock"), ctl = dir.file("ctl.sock");
  const std::string conf = dir.file("fleet.conf");
  const std::string text = "[bmc]\ncontrol = " + ctl + "\n[vm a]\nlisten = unix:" + sock_a + "\n[vm b]\nlisten = unix:" +
                           sock_b + "\nproduct = 0x0B0B\n[vm c]\nlisten = 127.0.0.1:" + std::to_string(*port) + "\n";
  if (!c.check_ok(write_file(conf, text), "wrote " + conf)) return c.failures();
  const std::string log = dir.file("ipmikit-bmc-fleet.log");
  auto p = process::spawn({binary, "--config", conf}, {log, true});
  if (!c.check_ok(p, "ipmikit-bmc --config started")) return c.failures();
  const int before = c.failures();
  auto body = [&]() {
    if (!c.check(wait_for_log(log, "event=ready vms=3", 1, 10000), "ipmikit-bmc logged event=ready vms=3")) return;
    auto fa = connect_unix(sock_a, 3000);
    auto fb = connect_unix(sock_b, 3000);
    auto fc = connect_tcp(*port, 3000);
    if (!c.check_ok(fa, "connected to VM a") || !c.check_ok(fb, "connected to VM b") || !c.check_ok(fc, "connected to VM c"))
      return;
    auto a = connect_vm(std::move(*fa));
    auto b = connect_vm(std::move(*fb));
    auto cc = connect_vm(std::move(*fc));
    if (!c.check_ok(a, "VM a greeted") || !c.check_ok(b, "VM b greeted") || !c.check_ok(cc, "VM c greeted")) return;
    c.check(wait_for_log(log, "vm=b event=capabilities caps=0x3F", 1, 3000), "VM b's capabilities logged under its name");
    c.check(get_device_id(*b, 1, 2000), "VM b: Get Device ID answered");
    c.check(get_device_id(*cc, 1, 2000), "VM c (TCP): Get Device ID answered");

    // A second ipmikit-bmc on the same configuration must not take the running one's sockets.
    const std::string log2 = dir.file("ipmikit-bmc-fleet-second.log");
    if (auto p2 = process::spawn({binary, "--config", conf}, {log2, true}); c.check_ok(p2, "a second ipmikit-bmc started")) {
      const auto ended2 = p2->wait_exit(millis(5000));
      if (c.check(ended2.has_value(), "  it ended by itself"))
        c.check(ended2->exited && ended2->code == 1, "  with exit 1: " + ended2->describe());
      c.check(count_in_log(log2, "a process is listening there already") == 1, "  saying the address is in use");
    }
    c.check(get_device_id(*b, 70, 2000), "VM b still served by the first ipmikit-bmc");
    if (auto fx = connect_unix(sock_b, 2000); c.check_ok(fx, "  its socket file is still the first one's")) {
      std::array<std::uint8_t, 16> buf{};
      auto r = read_some(fx->get(), buf, 2000);
      c.check(r.ok() && r->state == read_state::eof, "  (a new connection to b is refused by the first: b is connected)");
    }

    // VM a: 64 KiB of garbage, then requests without ever reading the answers.
    std::vector<std::uint8_t> junk(65536);
    for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<std::uint8_t>((i * 131u + 7u) ^ (i >> 3));
    junk.push_back(0xA0);
    c.check_ok(a->send(junk, 5000), "VM a sent 64 KiB of garbage");
    std::vector<std::uint8_t> flood;
    for (int i = 0; i < 60000; ++i) {  // ~360 KB, ~1 MB of answers: more than the socket buffers
      std::array<std::uint8_t, vm::max_message_frame_size(2)> f{};
      const std::uint8_t req[] = {0x18, 0x01};
      const auto r = vm::encode_message(f, static_cast<std::uint8_t>(i), req);
      flood.insert(flood.end(), f.begin(), f.begin() + static_cast<std::ptrdiff_t>(r.size));
    }
    // Written without reading: the kernel buffers fill and ipmikit-bmc stops reading VM a.
    (void)::send(a->fd(), flood.data(), flood.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    int answered = 0;
    const auto t0 = steady::now();
    for (int i = 0; i < 50; ++i) answered += get_device_id(*b, static_cast<std::uint8_t>(2 + i), 2000) ? 1 : 0;
    const long long took = elapsed_ms(t0);
    c.check(answered == 50, "VM b: 50 requests answered while VM a floods (" + std::to_string(answered) + ", " +
                                std::to_string(took) + " ms)");
    c.check(took < 5000, "  in under 5 s");

    struct stat ctl_stat {};
    c.check(::stat(ctl.c_str(), &ctl_stat) == 0 && (ctl_stat.st_mode & 0777) == 0600,
            "the control socket is mode 0600 (docs)");
    if (auto lf = connect_unix(ctl, 2000); c.check_ok(lf, "control: a 600-byte line without a newline")) {
      const std::string longline(600, 'x');
      (void)write_all(lf->get(), std::span(reinterpret_cast<const std::uint8_t*>(longline.data()), longline.size()), 2000);
      const auto got = read_until_eof(lf->get(), 8000);
      c.check(got && *got == "error line longer than 512 bytes\n",
              "  answered with an error and closed (docs): " + got.value_or("(not closed)"));
    }
    {  // At most 16 control connections at once (docs): the 17th is told so and closed.
      std::vector<unique_fd> held;
      bool all_answered = true;
      while (held.size() < 16 && all_answered) {
        auto fd = connect_unix(ctl, 2000);
        if (!fd) break;
        // An answer proves the server has taken this connection before the next one.
        const auto answer = ask(fd->get(), "help");
        all_answered = answer && answer->ends_with("ok\n");
        held.push_back(std::move(*fd));
      }
      c.check(all_answered && held.size() == 16, "control: 16 connections held open, each answered");
      if (auto extra = connect_unix(ctl, 2000); c.check_ok(extra, "control: a 17th connection")) {
        const auto got = read_until_eof(extra->get(), 8000);
        c.check(got && *got == "error too many control connections\n",
                "  refused with an error and closed: " + got.value_or("(not closed)"));
      }
      held.pop_back();
      c.check(control_served(ctl, 1000), "  after one of the 16 closes, a new connection is served");
      held.clear();
      c.check(control_served(ctl, 1000), "  and after all of them");
    }
    auto list = control(ctl, "list");
    if (c.check_ok(list, "control: list"))
      c.check(list->find("a state=connected power=on") != std::string::npos &&
                  list->find("b state=connected power=on") != std::string::npos &&
                  list->find("c state=connected power=on") != std::string::npos && list->ends_with("ok\n"),
              "  three VMs connected: " + *list);
    auto st = control(ctl, "status a");
    if (c.check_ok(st, "control: status a")) {
      c.check(st->find("protocol_problems=0\n") == std::string::npos && st->find("connected=yes") != std::string::npos,
              "  VM a's protocol problems are counted");
      say("  " + std::string(st->substr(st->find("requests="), 60)));
    }
    auto nmi = control(ctl, "power nmi b");
    if (c.check_ok(nmi, "control: power nmi b")) c.check(*nmi == "ok sent\n", "  ok sent: " + *nmi);
    bool got_nmi = false;
    for (int i = 0; i < 8 && !got_nmi; ++i) {
      auto e = b->next_event(2000);
      if (!e) break;
      got_nmi = e->is_command(vm::command::send_nmi);
    }
    c.check(got_nmi, "VM b received SEND_NMI");
    c.check(count_in_log(log, "vm=b event=power action=nmi reason=control result=sent") == 1, "  logged with reason=control");
    auto bad = control(ctl, "power reset nobody");
    if (c.check_ok(bad, "control: power reset nobody")) c.check(*bad == "error no VM named 'nobody'\n", "  " + *bad);

    // A second connection to b is refused; a disconnects and comes back; b is unaffected.
    if (auto f2 = connect_unix(sock_b, 2000); c.check_ok(f2, "a second connection to VM b")) {
      std::array<std::uint8_t, 16> buf{};
      auto r = read_some(f2->get(), buf, 2000);
      c.check(r.ok() && r->state == read_state::eof, "  closed at once");
    }
    a->close();
    c.check(wait_for_log(log, "vm=a event=disconnected", 1, 3000), "VM a's disconnect logged under its name");
    c.check(get_device_id(*b, 60, 2000), "VM b still answered after VM a went away");
    auto fa2 = connect_unix(sock_a, 3000);
    if (c.check_ok(fa2, "VM a reconnected")) {
      auto a2 = connect_vm(std::move(*fa2));
      if (c.check_ok(a2, "  greeted with VERSION again")) c.check(get_device_id(*a2, 1, 2000), "  and answered");
    }
    c.check(count_in_log(log, "event=fatal") == 0, "no fatal event");
  };
  body();
  c.check(p->alive(), "ipmikit-bmc still running at the end");
  const auto ended = p->stop(millis(5000));
  if (c.check_ok(ended, "ipmikit-bmc stopped"))
    c.check(ended->success(), "SIGTERM: ipmikit-bmc " + ended->describe() + " (wants exit 0)");
  c.check(::access(sock_a.c_str(), F_OK) != 0 && ::access(ctl.c_str(), F_OK) != 0, "socket files removed");
  if (c.failures() != before) show_log("ipmikit-bmc", log);
  return c.failures();
}

// ---------------------------------------------------------------------------------------------
// persist: state_dir across kill -9

/// One run of ipmikit-bmc on `conf`, with VM p connected; `steps` talks to it; then kill -9
/// (nothing is flushed, no destructor runs: what survives is what was on disk).
void persist_run(checker& c, const temp_dir& dir, const std::string& binary, const std::string& conf,
                 const std::string& sock, const std::string& tag,
                 const std::function<void(vm_connection&, const std::string& log)>& steps) {
  const std::string log = dir.file("ipmikit-bmc-persist-" + tag + ".log");
  auto p = process::spawn({binary, "--config", conf}, {log, true});
  if (!c.check_ok(p, tag + ": ipmikit-bmc started")) return;
  if (c.check(wait_for_log(log, "event=ready vms=1", 1, 10000), tag + ": ready")) {
    auto fd = connect_unix(sock, 3000);
    if (c.check_ok(fd, tag + ": connected to VM p")) {
      auto conn = connect_vm(std::move(*fd));
      if (c.check_ok(conn, tag + ": greeted")) steps(*conn, log);
    }
  }
  ::kill(p->pid(), SIGKILL);
  const auto ended = p->wait_exit(millis(3000));
  c.check(ended.has_value() && !ended->exited, tag + ": killed with SIGKILL");
}

int test_persist(const temp_dir& dir, const std::string& binary) {
  say("== persist: the SEL, boot options and FRU writes survive kill -9; a corrupt file is set aside");
  checker c;
  const std::string sock = dir.file("p.sock"), state = dir.file("state"), ctl = dir.file("persist-control.sock");
  const std::string conf = dir.file("persist.conf");
  if (!c.check_ok(write_file(conf, "[bmc]\nstate_dir = " + state + "\ncontrol = " + ctl + "\n[vm p]\nlisten = unix:" + sock + "\n"),
                  "wrote " + conf))
    return c.failures();
  // The [bmc] state_dir must exist (systemd's StateDirectory= makes it); each VM's is created.
  if (!c.check(::mkdir(state.c_str(), 0700) == 0, "created " + state)) return c.failures();
  std::uint8_t id = 0;
  auto expect = [&](vm_connection& conn, std::initializer_list<std::uint8_t> request,
                    std::initializer_list<std::uint8_t> want, const std::string& what) {
    auto r = scripted_request(conn, id++, request);
    if (c.check_ok(r, what)) c.check_bytes(*r, want, what);
  };
  persist_run(c, dir, binary, conf, sock, "first", [&](vm_connection& conn, const std::string&) {
    expect(conn, {0x28, 0x44, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x41, 0x00, 0x04, 0x07, 0x09, 0x6F, 0x01, 0xFF, 0xFF},
           {0x2C, 0x44, 0x00, 0x01, 0x00}, "Add SEL Entry: record 1");
    expect(conn, {0x00, 0x08, 0x05, 0xC0, 0x04, 0x00, 0x00, 0x00}, {0x04, 0x08, 0x00},
           "Set System Boot Options: persistent PXE");
    expect(conn, {0x28, 0x12, 0x00, 0x10, 0x00, 0x5A, 0xA5}, {0x2C, 0x12, 0x00, 0x02}, "Write FRU Data at 16");
    // kill -9 now: the last response is out, so its change must be on disk.
  });
  persist_run(c, dir, binary, conf, sock, "second", [&](vm_connection& conn, const std::string& log) {
    c.check(count_in_log(log, "event=state_loaded") == 3, "three state files loaded");
    auto r = scripted_request(conn, id++, {0x28, 0x43, 0x00, 0x00, 0x01, 0x00, 0x00, 0xFF});
    if (c.check_ok(r, "Get SEL Entry 1 after kill -9") && c.check(r->size() == 3 + 2 + 16, "  a whole record"))
      c.check((*r)[5 + 11] == 0x09 && (*r)[5 + 13] == 0x01, "  the record added before the kill");
    expect(conn, {0x00, 0x09, 0x05, 0x00, 0x00}, {0x04, 0x09, 0x00, 0x01, 0x05, 0xC0, 0x04, 0x00, 0x00, 0x00},
           "Get System Boot Options: still persistent PXE");
    expect(conn, {0x28, 0x11, 0x00, 0x10, 0x00, 0x02}, {0x2C, 0x11, 0x00, 0x02, 0x5A, 0xA5}, "Read FRU Data: the write");
  });
  const std::string sel_file = state + "/p/sel.state";
  if (!c.check_ok(write_file(sel_file, std::string_view("garbage, not a SEL")), "corrupted " + sel_file))
    return c.failures();
  persist_run(c, dir, binary, conf, sock, "third", [&](vm_connection& conn, const std::string& log) {
    c.check(count_in_log(log, "event=state_corrupt path=" + sel_file + " error=bad_magic kept_as=" + sel_file + ".bad-1") == 1,
            "the corrupt file is named, with where it was kept");
    expect(conn, {0x28, 0x40}, {0x2C, 0x40, 0x00, 0x51, 0x00, 0x00, 0x00, 0x40, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x0A},
           "Get SEL Info: a fresh, empty SEL");
    expect(conn, {0x00, 0x09, 0x05, 0x00, 0x00}, {0x04, 0x09, 0x00, 0x01, 0x05, 0xC0, 0x04, 0x00, 0x00, 0x00},
           "the boot options are not affected");
    // The operator's changes through the control socket are written like the guest's.
    expect(conn, {0x28, 0x44, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x41, 0x00, 0x04, 0x07, 0x09, 0x6F, 0x01, 0xFF, 0xFF},
           {0x2C, 0x44, 0x00, 0x01, 0x00}, "Add SEL Entry: record 1 in the fresh SEL");
    auto list = control(ctl, "sel list p");
    if (c.check_ok(list, "control: sel list p"))
      c.check(list->starts_with("entries=1 capacity=1024 overflow=no\nid=0x0001 type=0x02 time=") &&
                  list->find(" record=010002") != std::string::npos && list->ends_with("41000407096F01FFFF\nok\n"),
              "  the record: " + *list);
    auto cleared = control(ctl, "sel clear p");
    if (c.check_ok(cleared, "control: sel clear p")) c.check(*cleared == "ok cleared 1\n", "  " + *cleared);
    auto boot = control(ctl, "boot set p cdrom persistent");
    if (c.check_ok(boot, "control: boot set p cdrom persistent")) c.check(*boot == "ok\n", "  " + *boot);
    auto shown = control(ctl, "boot get p");
    if (c.check_ok(shown, "control: boot get p"))
      c.check(*shown == "device=cdrom\nvalid=yes\npersistent=yes\nefi=no\nok\n", "  " + *shown);
    // kill -9 now: both answers are in, so both changes are on disk.
  });
  persist_run(c, dir, binary, conf, sock, "fourth", [&](vm_connection& conn, const std::string&) {
    auto info = scripted_request(conn, id++, {0x28, 0x40});
    if (c.check_ok(info, "Get SEL Info after kill -9"))
      c.check(info->size() == 17 && (*info)[2] == 0x00 && (*info)[4] == 0x00 && (*info)[5] == 0x00 &&
                  !std::all_of(info->begin() + 12, info->begin() + 16, [](std::uint8_t b) { return b == 0xFF; }),
              "  the SEL the operator cleared is empty, with an erase time: " + hex(*info));
    expect(conn, {0x00, 0x09, 0x05, 0x00, 0x00}, {0x04, 0x09, 0x00, 0x01, 0x05, 0xC0, 0x14, 0x00, 0x00, 0x00},
           "Get System Boot Options: the operator's persistent CD/DVD");
  });
  return c.failures();
}

// ---------------------------------------------------------------------------------------------
// crash: kill -9 at many points during a stream of changes

/// What the test has been told is durable: every change answered with success (docs: "Durable
/// before acknowledged"), and the one request in flight when the process was killed, which
/// may or may not have taken effect.
struct durable_model {
  struct change {
    int kind = 0;  // crash_change_kind
    std::uint8_t user = 0;
    bytes value;   // the record, device, name, password, FRU byte, SEL time or IP address
    std::uint16_t offset = 0;
  };
  std::vector<bytes> sel;                    // 16-byte records as added (ID and time set by the BMC)
  std::uint8_t boot_device = 0;              // boot flags byte 2, persistent
  std::array<bytes, 4> names{};              // users 2-5: the 16-byte name
  std::array<bytes, 4> passwords{};          // users 2-5: the 16-byte password
  std::array<std::uint8_t, 32> fru{};        // FRU bytes 16-47
  std::uint32_t sel_time = 0;                // the last Set SEL Time; 0: none (no std::optional: GCC 12 -O3 false -Wmaybe-uninitialized)
  bytes ip;                                  // LAN parameter 3
  std::optional<change> in_flight;           // sent, not answered before the kill
};

enum crash_change_kind : int { add_sel, boot_device, user_name, user_password, fru_write, sel_time, lan_ip, kinds };

/// The `s`-th change of the stream: its request and what it changes.
std::pair<bytes, durable_model::change> crash_change(unsigned s) {
  durable_model::change c;
  c.kind = static_cast<int>(s % kinds);
  c.user = static_cast<std::uint8_t>(2 + (s / kinds) % 4);
  const auto hi = static_cast<std::uint8_t>(s >> 8), lo = static_cast<std::uint8_t>(s);
  bytes rq;
  switch (c.kind) {
    case add_sel:  // a system event: generator 41h, sensor type 07h, the sensor number and event data say s
      c.value = {0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x41, 0x00, 0x04, 0x07, lo, 0x6F, 0x01, hi, lo};
      rq = {0x28, 0x44};
      break;
    case boot_device: {  // persistent, valid: PXE, disk, CD/DVD, BIOS setup, floppy (byte 2)
      constexpr std::uint8_t devices[] = {0x04, 0x08, 0x14, 0x18, 0x3C};
      c.value = {devices[(s / kinds) % std::size(devices)]};
      return {{0x00, 0x08, 0x05, 0xC0, c.value[0], 0x00, 0x00, 0x00}, c};
    }
    case user_name:
    case user_password: {
      c.value.assign(16, 0);
      const std::string text = (c.kind == user_name ? "user" : "pw") + std::to_string(s);
      std::copy(text.begin(), text.end(), c.value.begin());
      rq = c.kind == user_name ? bytes{0x18, 0x45, c.user} : bytes{0x18, 0x47, c.user, 0x02};
      break;
    }
    case fru_write:
      c.offset = static_cast<std::uint16_t>(16 + (s * 7) % 32);
      c.value = {static_cast<std::uint8_t>(lo ^ 0x5A)};
      rq = {0x28, 0x12, 0x00, static_cast<std::uint8_t>(c.offset), 0x00};
      break;
    case sel_time: {  // 0x50000000 + s * 65536 s: ranges that cannot overlap during the test
      const std::uint32_t t = 0x50000000u + s * 0x10000u;
      c.value = {static_cast<std::uint8_t>(t), static_cast<std::uint8_t>(t >> 8), static_cast<std::uint8_t>(t >> 16),
                 static_cast<std::uint8_t>(t >> 24)};
      rq = {0x28, 0x49};
      break;
    }
    default:  // LAN parameter 3, the IP address 10.0.hi.lo
      c.value = {10, 0, hi, lo};
      rq = {0x30, 0x01, 0x01, 0x03};
      break;
  }
  std::copy(c.value.begin(), c.value.end(), std::back_inserter(rq));
  return {rq, c};
}

void apply(durable_model& m, const durable_model::change& c) {
  const std::size_t u = c.user - 2u;
  switch (c.kind) {
    case add_sel: m.sel.push_back(c.value); break;
    case boot_device: m.boot_device = c.value[0]; break;
    case user_name: m.names[u] = c.value; break;
    case user_password: m.passwords[u] = c.value; break;
    case fru_write: m.fru[c.offset - 16u] = c.value[0]; break;
    case sel_time: m.sel_time = le32(c.value, 0); break;
    default: m.ip = c.value; break;
  }
}

/// Reads everything back from a restarted ipmikit-bmc and compares it with the model: each part
/// must be what was acknowledged, or what the request in flight would have made it — nothing
/// else. An in-flight change that is found is acknowledged from then on. Returns what differs.
std::string verify_durable(vm_connection& conn, std::uint8_t& id, durable_model& m, long long since_ms,
                           bool& in_flight_found) {
  std::string wrong;
  auto request = [&](const bytes& rq) -> bytes {
    auto r = scripted_request(conn, id++, rq);
    return r ? std::move(*r) : bytes{};
  };
  const auto& f = m.in_flight;
  bool flight_seen = false;
  auto judge = [&](bool as_acked, bool as_in_flight, const std::string& what) {
    if (as_acked) return;
    if (as_in_flight) {
      flight_seen = true;
      return;
    }
    wrong += what + "; ";
  };

  // The SEL: the acknowledged records in order, then perhaps the one in flight.
  std::vector<bytes> sel;
  const bytes info = request({0x28, 0x40});
  const std::size_t count = info.size() >= 7 && info[2] == 0 ? static_cast<std::size_t>(info[4] | info[5] << 8) : 0;
  std::uint16_t next = 0;
  for (std::size_t k = 0; k < count && k < 2048; ++k) {
    const bytes r = request({0x28, 0x43, 0x00, 0x00, static_cast<std::uint8_t>(next), static_cast<std::uint8_t>(next >> 8), 0x00, 0xFF});
    if (r.size() != 3 + 2 + 16 || r[2] != 0) {
      wrong += "Get SEL Entry " + std::to_string(next) + ": " + hex(r) + "; ";
      break;
    }
    bytes rec(r.begin() + 5, r.end());
    std::fill(rec.begin(), rec.begin() + 2, 0);      // record ID: the BMC's
    std::fill(rec.begin() + 3, rec.begin() + 7, 0);  // timestamp: the BMC's
    sel.push_back(rec);
    next = static_cast<std::uint16_t>(r[3] | r[4] << 8);
    if (next == 0xFFFF) break;
  }
  const bool sel_flight = f && f->kind == add_sel && sel.size() == m.sel.size() + 1 &&
                          std::equal(m.sel.begin(), m.sel.end(), sel.begin()) && sel.back() == f->value;
  judge(sel == m.sel, sel_flight,
        "SEL: " + std::to_string(sel.size()) + " records, " + std::to_string(m.sel.size()) + " acknowledged");

  const bytes boot = request({0x00, 0x09, 0x05, 0x00, 0x00});
  const bool boot_ok = boot.size() == 10 && boot[2] == 0 && boot[4] == 0x05 && (m.boot_device == 0 ? boot[5] == 0 : boot[5] == 0xC0);
  judge(boot_ok && boot[6] == m.boot_device, boot_ok && f && f->kind == boot_device && boot[6] == f->value[0],
        "boot flags: " + hex(boot));

  for (std::uint8_t u = 2; u <= 5; ++u) {
    const std::size_t i = u - 2u;
    const bytes name = request({0x18, 0x46, u});
    const bytes want_name = m.names[i].empty() ? bytes(16, 0) : m.names[i];
    const bool name_ok = name.size() == 19 && name[2] == 0;
    judge(name_ok && std::equal(want_name.begin(), want_name.end(), name.begin() + 3),
          name_ok && f && f->kind == user_name && f->user == u && std::equal(f->value.begin(), f->value.end(), name.begin() + 3),
          "user " + std::to_string(u) + " name: " + hex(name));
    auto test = [&](const bytes& pw) {
      bytes rq{0x18, 0x47, u, 0x03};
      std::copy(pw.begin(), pw.end(), std::back_inserter(rq));
      const bytes r = request(rq);
      return r.size() == 3 && r[2] == 0x00;
    };
    judge(test(m.passwords[i].empty() ? bytes(16, 0) : m.passwords[i]),
          f && f->kind == user_password && f->user == u && test(f->value),
          "user " + std::to_string(u) + ": the password acknowledged does not test equal");
  }

  const bytes fru = request({0x28, 0x11, 0x00, 0x10, 0x00, 0x20});
  if (fru.size() != 4 + 32 || fru[2] != 0) {
    wrong += "Read FRU Data: " + hex(fru) + "; ";
  } else {
    for (std::size_t k = 0; k < 32; ++k)
      judge(fru[4 + k] == m.fru[k], f && f->kind == fru_write && f->offset == 16 + k && fru[4 + k] == f->value[0],
            "FRU byte " + std::to_string(16 + k) + ": " + hex(fru[4 + k]));
  }

  const bytes t = request({0x28, 0x48});
  if (t.size() != 7 || t[2] != 0) {
    wrong += "Get SEL Time: " + hex(t) + "; ";
  } else {
    const std::uint32_t now = le32(t, 3);
    // Set at T: now reads T plus the seconds since (at most the test's run time).
    const auto near = [&](std::uint32_t set) { return now >= set && now - set <= since_ms / 1000 + 5; };
    judge(m.sel_time == 0 ? now > 0x60000000u : near(m.sel_time), f && f->kind == sel_time && near(le32(f->value, 0)),
          "SEL time " + std::to_string(now));
  }

  const bytes ip = request({0x30, 0x02, 0x01, 0x03, 0x00, 0x00});
  const bool ip_ok = ip.size() == 8 && ip[2] == 0;
  const bytes want_ip = m.ip.empty() ? bytes(4, 0) : m.ip;
  judge(ip_ok && std::equal(want_ip.begin(), want_ip.end(), ip.begin() + 4),
        ip_ok && f && f->kind == lan_ip && std::equal(f->value.begin(), f->value.end(), ip.begin() + 4),
        "LAN IP address: " + hex(ip));

  in_flight_found = flight_seen && wrong.empty();
  if (in_flight_found) apply(m, *f);
  m.in_flight.reset();
  return wrong;
}

int test_crash(const temp_dir& dir, const std::string& binary) {
  say("== crash: kill -9 at many points during a stream of changes; every acknowledged change survives");
  checker c;
  const std::string sock = dir.file("crash.sock"), state = dir.file("crash-state");
  const std::string conf = dir.file("crash.conf");
  if (!c.check_ok(write_file(conf, "[vm crash]\nlisten = unix:" + sock + "\nstate_dir = " + state + "\n"), "wrote " + conf))
    return c.failures();
  durable_model m;
  unsigned s = 0;  // the stream's next change
  std::uint8_t id = 0;
  std::size_t acknowledged = 0, in_flight_found = 0, answered_before_kill = 0;
  const auto t0 = steady::now();
  constexpr int iterations = 24;
  for (int i = 0; i <= iterations; ++i) {
    const std::string tag = "crash-" + std::to_string(i);
    const std::string log = dir.file("ipmikit-bmc-" + tag + ".log");
    auto p = process::spawn({binary, "--config", conf}, {log, true});
    if (!c.check_ok(p, tag + ": ipmikit-bmc started")) return c.failures();
    bool ok = c.check(wait_for_log(log, "event=ready vms=1", 1, 10000), tag + ": ready") &&
              c.check(count_in_log(log, "event=state_corrupt") == 0, tag + ": no state file is corrupt");
    std::optional<vm_connection> conn;
    if (ok) {
      auto fd = connect_unix(sock, 3000);
      auto v = fd ? connect_vm(std::move(*fd)) : result<vm_connection>(fail(fd.error()));
      ok = c.check_ok(v, tag + ": connected as the VM");
      if (ok) conn.emplace(std::move(*v));
    }
    if (ok) {
      const bool had_flight = m.in_flight.has_value();
      bool found = false;
      const std::string wrong = verify_durable(*conn, id, m, elapsed_ms(t0), found);
      ok = c.check(wrong.empty(), tag + ": every acknowledged change is there, nothing else" +
                                      std::string(had_flight ? (found ? " (and the one in flight)" : " (not the one in flight)") : ""),
                   wrong);
      in_flight_found += found ? 1u : 0u;
    }
    if (!ok || i == iterations) {
      if (ok) {
        const auto ended = p->stop(millis(5000));
        c.check(ended && ended->success(), "the last run stops on SIGTERM with exit 0");
      } else {
        ::kill(p->pid(), SIGKILL);
        (void)p->wait_exit(millis(3000));
        show_log(tag, log);
      }
      break;
    }
    // A stream of 2-14 acknowledged changes, then (4 runs in 5) one more in flight, and kill -9
    // 0-13.7 ms after it was sent (a change takes a few ms, most of it fsync): before it is read,
    // while it is handled, while its file is written, after its response went out. (kill -9
    // leaves the page cache: what it tests is the order, durable before acknowledged; fsync
    // itself would need a power cut.)
    const int stream = 2 + (i * 5) % 13;
    for (int k = 0; k < stream && ok; ++k, ++s) {
      const auto [rq, change] = crash_change(s);
      auto r = scripted_request(*conn, id++, rq);
      if (r && r->size() >= 3 && (*r)[2] == 0x00) {
        apply(m, change);
        ++acknowledged;
      } else {
        ok = c.check(false, tag + ": change " + std::to_string(s) + " (" + hex(rq) + ") answered with success",
                     r ? hex(*r) : r.error());
      }
    }
    std::uint8_t flight_id = 0;
    if (ok && i % 5 != 4) {
      const auto [rq, change] = crash_change(s++);
      flight_id = id++;
      ok = c.check_ok(conn->send_message(flight_id, rq), tag + ": sent a change, not waiting for its answer");
      m.in_flight = change;
      sleep_us((i % 6) * 2500 + (i % 4) * 400);
    }
    ::kill(p->pid(), SIGKILL);
    const auto ended = p->wait_exit(millis(3000));
    if (!c.check(ended && ended->killed_by(SIGKILL), tag + ": killed with SIGKILL")) break;
    // A response that arrived before the kill acknowledges the change in flight: it must be there.
    for (int k = 0; k < 8 && m.in_flight; ++k) {
      auto e = conn->poll_event(200);
      if (!e || !*e) break;
      if ((*e)->is_message() && (*e)->msg_id == flight_id && (*e)->completion_code() == 0x00) {
        apply(m, *m.in_flight);
        m.in_flight.reset();
        ++acknowledged;
        ++answered_before_kill;
      }
    }
    if (!ok) break;
  }
  c.check(acknowledged >= 100, "at least 100 changes acknowledged in all (" + std::to_string(acknowledged) + ")");
  say("  " + std::to_string(acknowledged) + " changes acknowledged, " + std::to_string(in_flight_found) +
      " in-flight changes found after the kill (" + std::to_string(answered_before_kill) +
      " more answered just before it), " + std::to_string(elapsed_ms(t0)) + " ms");
  return c.failures();
}

int test_qemu(const temp_dir& dir, const temp_dir& dir2, const std::string& binary) {
  say("== QEMU + KCS with ipmikit-bmc as the external BMC; the test plays the guest");
  checker c;
  auto b = start_bmc(dir, binary, "qemu");
  if (!c.check_ok(b, "ipmikit-bmc listening")) return c.failures();
  say("  ipmikit-bmc pid " + std::to_string(b->proc.pid()) + " on 127.0.0.1:" + std::to_string(b->port));
  const int before = c.failures();
  qemu_first_vm(c, dir, *b);
  say("-- a second QEMU on the same ipmikit-bmc");
  qemu_second_vm(c, dir2, *b);
  stop_bmc(c, *b);
  if (c.failures() != before) show_log("ipmikit-bmc", b->log_path);
  return c.failures();
}

}  // namespace

int main(int argc, char** argv) {
  const auto chosen =
      choose_sections(argc, argv, {{"scripted"}, {"qemu"}, {"fleet"}, {"persist"}, {"crash"}}, 1, "PATH/TO/ipmikit-bmc");
  if (!chosen) return 2;
  auto [want_scripted, want_qemu, want_fleet, want_persist, want_crash] = *chosen;
  const std::string binary = argv[1];
  if (!find_program(binary)) {
    say("FAIL no executable ipmikit-bmc at " + binary);
    return 1;
  }
  const bool have_qemu = find_program("qemu-system-x86_64").has_value();
  if (peers_required() && !have_qemu) return missing_program_exit("qemu-system-x86_64");
  if (want_qemu && !have_qemu) {
    say("SKIP QEMU section: qemu-system-x86_64 not in PATH");
    want_qemu = false;
  }
  if (!want_scripted && !want_qemu && !want_fleet && !want_persist && !want_crash) return 77;

  auto dir = temp_dir::create("ipmikit-bmc-test");
  auto dir2 = temp_dir::create("ipmikit-bmc-test2");  // the second QEMU's files
  if (!dir || !dir2) {
    say("FAIL temporary directory: " + (dir ? dir2.error() : dir.error()));
    return 1;
  }
  say("temporary directories " + dir->path() + " " + dir2->path());
  if (keep_requested()) {
    dir->keep();
    dir2->keep();
  }

  int failures = 0;
  if (want_scripted) failures += test_scripted(*dir, binary);
  if (want_qemu) failures += test_qemu(*dir, *dir2, binary);
  if (want_fleet) failures += test_fleet(*dir, binary);
  if (want_persist) failures += test_persist(*dir, binary);
  if (want_crash) failures += test_crash(*dir, binary);

  if (failures != 0) {
    dir->keep();
    dir2->keep();
  }
  if (dir->kept()) say("kept " + dir->path() + " " + dir2->path());
  return pass_or_fail(failures);
}
