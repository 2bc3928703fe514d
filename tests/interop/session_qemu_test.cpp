// tests/interop/session_qemu_test.cpp — real QEMU (ipmi-bmc-extern + isa-ipmi-kcs or
// isa-ipmi-bt, no guest) ⇄ ipmikit's BMC session (vm::bmc_session, what ipmi_sim does).
// Everything on 127.0.0.1; the test also plays the guest through qtest port I/O.
//
// The BMC session runs on its own thread (bmc_link.hpp): it listens on a free port before QEMU
// starts, accepts QEMU's connection (and its reconnects), and answers requests through a hook
// the test sets; the main thread runs the qtest host (kcs_transaction / bt_transaction) and
// reaches the session only through bmc_link::with(), under the link's lock.
//
//   kcs  greeting (VERSION 1, CAPABILITIES 3F), Get Device ID, SMS_ATN set/cleared through
//        set_attention(), a command and a response back to back (enable_irq + respond, as
//        ipmi_sim does) with the session's chunking, the same with both in ONE write() (the
//        negative control), a response later than QEMU's 4 s (cc C3, then ignored), and the
//        BMC closing mid-request (cc D2, QEMU reconnects, the session connect()s again).
//   bt   greeting, Get Device ID with the BT sequence number echoed, SMS_ATN in the control
//        register, the back-to-back command and response, and the one-write control.
//
// Usage: ipmikit_interop_session_qemu_test [kcs] [bt]   (no argument: both)
// Exit status: 0 passed, 1 a check failed, 77 skipped (qemu-system-x86_64 missing, unless
// IPMIKIT_INTEROP_REQUIRED=1). IPMIKIT_INTEROP_KEEP=1 keeps the temporary directory.
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <ipmikit/vm/session.hpp>

#include "bmc_link.hpp"
#include "bt_qtest.hpp"
#include "check.hpp"
#include "common.hpp"
#include "kcs_qtest.hpp"
#include "net.hpp"
#include "process.hpp"
#include "qemu.hpp"
#include "session_support.hpp"

namespace {

using namespace ipmikit::interop;
namespace vm = ipmikit::vm;
using kind = session_record::kind;

// ---------------------------------------------------------------------------------------------
// BMC behaviour

/// The Get Device ID answer (as in harness_test.cpp); byte 12 is 0xA0, which must be escaped.
const bytes device_id_response = {0x1C, 0x01, 0x00, 0x20, 0x81, 0x02, 0x17, 0x02, 0xBF,
                                  0x57, 0x01, 0x00, 0xA0, 0x00, 0x00, 0x00, 0x00, 0x00};

/// Answers Get Device ID, Set BMC Global Enables (cc 00) and everything else with cc C1.
void answer_plainly(bmc_session& s, const vm::request_event& r, std::vector<std::string>& errors) {
  bytes rsp;
  if (r.body.size() == 2 && r.body[0] == 0x18 && r.body[1] == 0x01) {
    rsp = device_id_response;
  } else if (r.body.size() == 3 && r.body[0] == 0x18 && r.body[1] == 0x2E) {
    rsp = {0x1C, 0x2E, 0x00};
  } else {
    rsp = {static_cast<std::uint8_t>(r.body[0] | 0x04), r.body[1], 0xC1};
  }
  const auto e = s.respond(r.msg_id, rsp);
  if (e != vm::session_error::ok) errors.push_back("respond: " + std::string(vm::name(e)));
}

/// Errors the hooks met (they run on the link's thread under its lock; read them through
/// bmc_link::with()).
struct hook_state {
  std::vector<std::string> errors;
  std::vector<std::uint8_t> deferred;  // msg_ids not answered (the late-answer case)
};

/// The link hook that answers every request plainly, noting its errors in `hs`.
auto plain_hook(hook_state& hs) {
  return [&hs](bmc_session& s, const vm::request_event& r, bool&) { answer_plainly(s, r, hs.errors); };
}

// ---------------------------------------------------------------------------------------------
// The rig

struct qemu_rig {
  ipmi_interface iface = ipmi_interface::kcs;
  std::optional<bmc_link> link;
  std::optional<qemu_instance> q;
  hook_state hooks;
};

result<bytes> transact(qemu_rig& rig, std::initializer_list<std::uint8_t> request, std::uint8_t seq,
                       millis timeout = millis(8000)) {
  qtest& qt = rig.q->qt;
  if (rig.iface == ipmi_interface::kcs) return kcs_transaction(qt, request, timeout);
  auto r = bt_transaction(qt, request, seq, timeout);
  if (!r) return fail(r.error());
  if (r->seq != seq) return fail("BT seq " + hex(r->seq) + " came back instead of " + hex(seq));
  if (r->length != r->body.size() + 1)
    return fail("BT length byte " + hex(r->length) + " for " + std::to_string(r->body.size()) + " bytes");
  return std::move(r->body);
}

/// transact(), timed: its result and the milliseconds it took.
std::pair<result<bytes>, long long> timed_transact(qemu_rig& rig, std::initializer_list<std::uint8_t> request,
                                                   std::uint8_t seq, millis timeout = millis(8000)) {
  const auto t = steady::now();
  auto r = transact(rig, request, seq, timeout);
  return {std::move(r), elapsed_ms(t)};
}

/// The SMS_ATN bit of the interface: KCS status 0x04 at 0xCA3, BT control 0x10 at 0xE4.
std::optional<bool> sms_atn(qemu_rig& rig) {
  qtest& qt = rig.q->qt;
  if (rig.iface == ipmi_interface::kcs) {
    const auto st = kcs_status(qt);
    if (!st) return std::nullopt;
    return (*st & kcs::sms_atn) != 0;
  }
  const auto ctl = bt_control(qt);
  if (!ctl) return std::nullopt;
  return (*ctl & bt::sms_atn) != 0;
}

/// Polls SMS_ATN until it reads `want` (at most `timeout_ms`); returns the milliseconds it
/// took, or nullopt.
std::optional<long long> wait_sms_atn(qemu_rig& rig, bool want, int timeout_ms) {
  const auto t0 = steady::now();
  const deadline d{millis(timeout_ms)};
  for (int i = 0; i < 100000; ++i) {
    const auto v = sms_atn(rig);
    if (v && *v == want) return ms_between(t0, steady::now());
    if (!v || d.expired()) return std::nullopt;
    if (i > 20) sleep_ms(1);
  }
  return std::nullopt;
}


/// Checks the greeting records after `from`: connected, version_event 1, capabilities_event 3F,
/// and peer_capabilities() == qemu_capabilities.
void check_greeting(checker& c, qemu_rig& rig, std::size_t from, const std::string& when) {
  bmc_link& link = *rig.link;
  const auto ev = link.log().select(from, [](const session_record& r) {
    return r.what == kind::connected || r.what == kind::version || r.what == kind::capabilities ||
           r.what == kind::problem || r.what == kind::hardware;
  });
  c.check(ev.size() == 3 && ev[0].what == kind::connected && ev[1].what == kind::version && ev[1].value == 1 &&
              ev[2].what == kind::capabilities && ev[2].value == 0x3F,
          when + ": connected, version_event 1, capabilities_event 3F", link.log().describe(from));
  const auto caps = link.with([](bmc_session& s) { return s.peer_capabilities(); });
  c.check(caps == vm::qemu_capabilities, when + ": peer_capabilities() == qemu_capabilities (" + hex(caps.to_byte()) + ")");
  const auto ver = link.with([](bmc_session& s) { return s.peer_version(); });
  c.check(ver == std::optional<std::uint8_t>(1), when + ": peer_version() == 1");
}

bool setup(checker& c, const temp_dir& dir, qemu_rig& rig) {
  const auto port = start_bmc_link(c, rig.link, plain_hook(rig.hooks));
  if (!port) return false;
  bmc_link& link = *rig.link;

  const auto t0 = steady::now();
  auto q = start_qemu(dir, *port, rig.iface);
  if (!c.check_ok(q, "QEMU started with " + std::string(name(rig.iface)) + " (BMC port " + std::to_string(*port) + ")"))
    return false;
  rig.q.emplace(std::move(*q));
  say("  QEMU pid " + std::to_string(rig.q->proc.pid()));
  if (!c.check(link.wait_greeting(0, 10000), "QEMU connected and greeted within 10 s", link.log().describe()))
    return false;
  say("  BMC link up " + std::to_string(elapsed_ms(t0)) + " ms after QEMU was started");
  check_greeting(c, rig, 0, "greeting");
  c.check_bytes(link.received(), {0xFF, 0x01, 0xA1, 0x08, 0x3F, 0xA1}, "QEMU's greeting on the wire");
  // The session queued VERSION on connect(); the loop writes it on its next round.
  bytes first_write;
  for (int i = 0; i < 1000 && first_write.empty(); ++i) {
    const auto w = link.writes();
    if (!w.empty()) first_write = w[0].data;
    else sleep_ms(1);
  }
  c.check_bytes(first_write, {0xFF, 0x01, 0xA1}, "the session's first write: VERSION 1");
  qtest& qt = rig.q->qt;
  c.check(qt.irq_intercept_in("ioapic"), "qtest irq_intercept_in ioapic", qt.last_error());
  const auto atn = sms_atn(rig);
  return c.check(atn.has_value() && !*atn, "SMS_ATN clear at the start", qt.last_error());
}

void teardown(checker& c, qemu_rig& rig, int failures_before) {
  if (rig.link) {
    rig.link->stop();
    const std::string errs = rig.link->errors();
    c.check(errs.empty(), "the BMC thread met no socket error", errs);
    c.check(rig.hooks.errors.empty(), "every respond()/command in the hooks was accepted", join(rig.hooks.errors));
    c.check(rig.link->log().problems() == 0, "no protocol problem reported by the session");
    if (c.failures() != failures_before) say("  session log:\n" + rig.link->log().describe());
  }
  if (rig.q) {
    say("  qtest: " + std::to_string(rig.q->qt.commands_sent()) + " commands; IRQ lines: " + rig.q->qt.irq_summary());
    c.check(rig.q->proc.alive(), "QEMU still running at the end");
    rig.q->qt.close();
    const auto st = rig.q->proc.stop();
    c.check_ok(st, "QEMU stopped (pid " + std::to_string(rig.q->proc.pid()) + ")");
    if (c.failures() != failures_before) say("  QEMU log tail:\n" + file_tail(rig.q->log_path, 3000));
  }
}

// ---------------------------------------------------------------------------------------------
// Sections shared by KCS and BT

void get_device_id(checker& c, qemu_rig& rig, std::uint8_t seq) {
  const std::string ifname(name(rig.iface));
  const std::size_t mark = rig.link->log_size();
  const auto t = steady::now();
  auto r = transact(rig, {0x18, 0x01}, seq);
  if (!c.check_ok(r, ifname + ": Get Device ID" + (rig.iface == ipmi_interface::bt ? " (seq " + hex(seq) + " echoed)" : "")))
    return;
  say("    took " + std::to_string(elapsed_ms(t)) + " ms");
  c.check_bytes(*r, device_id_response, ifname + ": the host read exactly the response body");
  const auto req = rig.link->requests_since(mark);
  if (c.check(req.size() == 1, "the session got one request_event"))
    c.check_bytes(req[0].body, {0x18, 0x01}, "request_event body (msg_id " + hex(req[0].msg_id) + ")");
}

void attention(checker& c, qemu_rig& rig) {
  const std::string reg = rig.iface == ipmi_interface::kcs ? "KCS status 0xCA3 bit 0x04" : "BT control 0xE4 bit 0x10";
  auto e = rig.link->with([](bmc_session& s) { return s.set_attention(true); });
  c.check(e == vm::session_error::ok, "set_attention(true) accepted: " + std::string(vm::name(e)));
  auto took = wait_sms_atn(rig, true, 1000);
  c.check(took.has_value(), "SMS_ATN set (" + reg + ")" + (took ? " after " + std::to_string(*took) + " ms" : " within 1 s"));
  e = rig.link->with([](bmc_session& s) { return s.set_attention(false); });
  c.check(e == vm::session_error::ok, "set_attention(false) accepted: " + std::string(vm::name(e)));
  took = wait_sms_atn(rig, false, 1000);
  c.check(took.has_value(), "SMS_ATN cleared" + (took ? " after " + std::to_string(*took) + " ms" : std::string(" within 1 s")));
  // The two commands were sent 10 ms apart at least (the command gap) in writes of their own.
  const auto w = rig.link->writes();
  if (c.check(w.size() >= 2, "writes recorded")) {
    const auto& a = w[w.size() - 2];
    const auto& b = w[w.size() - 1];
    c.check(a.data == bytes{0x01, 0xA1} && b.data == bytes{0x00, 0xA1},
            "ATTN and NOATTN went out as 01 A1 and 00 A1: " + hex(a.data) + " / " + hex(b.data));
  }
}

/// The hazard, with the session's chunking: a command (enable_irq) and the response queued
/// together in the request hook, exactly as ipmi_sim does (openipmi.md §0.7).
void back_to_back(checker& c, qemu_rig& rig) {
  const std::string ifname(name(rig.iface));
  hook_state& hs = rig.hooks;
  rig.link->set_hook([&hs](bmc_session& s, const vm::request_event& r, bool&) {
    if (r.body.size() == 3 && r.body[0] == 0x18 && r.body[1] == 0x2E) {
      const bool on = (r.body[2] & 0x01) != 0;
      if (auto e = s.enable_irq(on); e != vm::session_error::ok) hs.errors.push_back("enable_irq: " + std::string(vm::name(e)));
    }
    answer_plainly(s, r, hs.errors);
  });
  const std::size_t writes_before = rig.link->writes().size();
  const auto irq5_before = rig.q->qt.irq(5).raises;
  auto [r, took] = timed_transact(rig, {0x18, 0x2E, 0x0D}, 0x21);
  if (c.check_ok(r, ifname + ": Set BMC Global Enables 0D answered")) {
    c.check_bytes(*r, {0x1C, 0x2E, 0x00}, ifname + ": the response (not QEMU's C3)");
    c.check(took < 1000, ifname + ": it came after " + std::to_string(took) + " ms (< 1 s; QEMU's timeout is 4 s)");
  }
  const auto w = rig.link->writes();
  if (c.check(w.size() >= writes_before + 2, "two writes for it")) {
    const auto& cmd = w[writes_before];
    const auto& rsp = w[writes_before + 1];
    const auto gap_us = std::chrono::duration_cast<std::chrono::microseconds>(rsp.at - cmd.at).count();
    c.check(cmd.data == bytes{0x05, 0xA1}, "write 1 is ENABLE_IRQ alone: " + hex(cmd.data));
    c.check(!rsp.data.empty() && rsp.data.back() == 0xA0 && rsp.data.size() > 2,
            "write 2 is the response frame: " + hex(rsp.data));
    c.check(gap_us >= 10000, "write 2 went " + std::to_string(gap_us) + " µs after write 1 (command_gap 10 ms)");
  }
  if (rig.iface == ipmi_interface::kcs) {
    // QEMU executed ENABLE_IRQ: the response's OBF now raises IRQ 5 (qemu.md §2.7).
    (void)kcs_status(rig.q->qt);  // collect pending IRQ lines
    const auto raises = rig.q->qt.irq(5).raises - irq5_before;
    c.check(raises > 0, "KCS: IRQ 5 was raised " + std::to_string(raises) + " times (ENABLE_IRQ took effect)");
  }
  // Back to no interrupts, same way.
  r = transact(rig, {0x18, 0x2E, 0x0C}, 0x22);
  if (c.check_ok(r, ifname + ": Set BMC Global Enables 0C (DISABLE_IRQ + response)"))
    c.check_bytes(*r, {0x1C, 0x2E, 0x00}, ifname + ": the response");
}

/// Negative control: ATTN and the response in ONE write() (pending(), bypassing outbound()'s
/// chunks and the gap). If QEMU discarded the rest of a read after a command, the host would
/// get C3 after 4 s. With QEMU 7.2 it does not happen: ipmi_bmc_extern's can_receive() returns
/// 1, so the socket chardev hands receive() one byte per read (strace: every recvmsg on the
/// BMC socket has iov_len=1) and nothing can follow a command within one read. Both outcomes
/// are accepted; which one happened is printed.
void one_write_control(checker& c, qemu_rig& rig) {
  const std::string ifname(name(rig.iface));
  hook_state& hs = rig.hooks;
  rig.link->set_hook([&hs](bmc_session& s, const vm::request_event& r, bool&) {
    if (auto e = s.set_attention(true); e != vm::session_error::ok) hs.errors.push_back("set_attention: " + std::string(vm::name(e)));
    answer_plainly(s, r, hs.errors);
  });
  rig.link->set_one_write(true);
  const std::size_t writes_before = rig.link->writes().size();
  auto [r, took] = timed_transact(rig, {0x18, 0x01}, 0x31, millis(8000));
  rig.link->set_one_write(false);
  rig.link->set_hook(plain_hook(hs));

  const auto w = rig.link->writes();
  if (c.check(w.size() == writes_before + 1, ifname + ": ATTN and the response left in one write()")) {
    const auto& one = w[writes_before];
    c.check(one.data.size() > 3 && one.data[0] == 0x01 && one.data[1] == 0xA1 && one.data.back() == 0xA0,
            "that write is 01 A1 + the response frame: " + hex(one.data));
  }
  if (!c.check_ok(r, ifname + ": the host's transaction completed")) return;
  const auto atn = sms_atn(rig);
  c.check(atn.has_value() && *atn, ifname + ": SMS_ATN is set (QEMU executed the ATTN command)");
  const bool got_response = *r == device_id_response;
  const bool got_timeout = r->size() == 3 && (*r)[2] == 0xC3;
  if (got_response && took < 1000) {
    c.note(ifname + ": negative control NOT reproduced: the host read the full response after " +
           std::to_string(took) + " ms although command and response shared one write(). QEMU's socket "
           "chardev reads at most can_receive() = 1 byte per read (ipmi_bmc_extern can_receive), so "
           "nothing ever follows a command within one read");
  } else if (got_timeout) {
    c.note(ifname + ": negative control reproduced: cc C3 after " + std::to_string(took) +
           " ms — QEMU dropped the response that followed the command in the same read");
  }
  c.check((got_response && took < 1000) || (got_timeout && took >= 3500 && took <= 6500),
          ifname + ": the outcome is either the response at once or QEMU's C3 after ~4 s: [" + hex(*r) + "] after " +
              std::to_string(took) + " ms");
  auto e = rig.link->with([](bmc_session& s) { return s.set_attention(false); });
  c.check(e == vm::session_error::ok && wait_sms_atn(rig, false, 1000).has_value(), ifname + ": SMS_ATN cleared again");
}

// ---------------------------------------------------------------------------------------------
// KCS only: late answer, BMC gone mid-request

/// Get Device ID after an error path: answered by the BMC, as one request with `expected_id`
/// (`why_that_id` says why).
void check_next_transaction(checker& c, qemu_rig& rig, std::uint8_t seq, const std::string& what,
                            const std::string& answered, std::uint8_t expected_id, const std::string& why_that_id) {
  const std::size_t mark = rig.link->log_size();
  const auto r = transact(rig, {0x18, 0x01}, seq);
  if (c.check_ok(r, what)) c.check_bytes(*r, device_id_response, answered);
  const auto req = rig.link->requests_since(mark);
  if (c.check(req.size() == 1, "one request"))
    c.check(req[0].msg_id == expected_id, "its msg_id is " + hex(req[0].msg_id) + why_that_id);
}

void late_answer(checker& c, qemu_rig& rig) {
  hook_state& hs = rig.hooks;
  rig.link->set_hook([&hs](bmc_session&, const vm::request_event& r, bool&) { hs.deferred.push_back(r.msg_id); });
  const std::size_t mark = rig.link->log_size();
  auto [r, took] = timed_transact(rig, {0x18, 0x01}, 0x41, millis(8000));
  if (c.check_ok(r, "KCS: Get Device ID the BMC holds back completed")) {
    c.check_bytes(*r, {0x1C, 0x01, 0xC3}, "QEMU's own timeout response");
    c.check(took >= 3800 && took <= 6500, "after " + std::to_string(took) + " ms (QEMU: 4 s)");
  }
  const auto req = rig.link->requests_since(mark);
  if (!c.check(req.size() == 1, "the session got the request")) return;
  const std::uint8_t late_id = req[0].msg_id;
  // The session still accepts the answer: it knows nothing of QEMU's timer.
  const auto e = rig.link->with([&](bmc_session& s) {
    const bool waiting = s.awaiting_response(late_id);
    return std::make_pair(waiting, s.respond(late_id, device_id_response));
  });
  c.check(e.first, "awaiting_response(" + hex(late_id) + ") is still true after QEMU gave up");
  c.check(e.second == vm::session_error::ok, "the late respond() is accepted: " + std::string(vm::name(e.second)));
  sleep_ms(200);
  const auto st = kcs_status(rig.q->qt);
  c.check(st.has_value() && *st == 0x00, "KCS idle after the late response arrived (status " + (st ? hex(*st) : std::string("?")) + ")");
  rig.link->set_hook(plain_hook(hs));
  check_next_transaction(c, rig, 0x42, "KCS: the next transaction", "answered by the BMC (the late frame was ignored)",
                         static_cast<std::uint8_t>(late_id + 1),
                         " = the timed-out " + hex(late_id) +
                             " + 1: QEMU's C3 counted as the answer, so the late frame's id was stale");
}

void bmc_gone(checker& c, qemu_rig& rig) {
  hook_state& hs = rig.hooks;
  rig.link->set_hook([](bmc_session&, const vm::request_event&, bool& drop) { drop = true; });
  const std::size_t mark = rig.link->log_size();
  auto [r, took] = timed_transact(rig, {0x18, 0x01}, 0x51, millis(3000));
  if (c.check_ok(r, "KCS: Get Device ID while the BMC closes the connection")) {
    c.check_bytes(*r, {0x1C, 0x01, 0xD2}, "QEMU's 'BMC initialization in progress'");
    c.check(took < 1000, "after " + std::to_string(took) + " ms");
  }
  const auto req = rig.link->requests_since(mark);
  if (!c.check(req.size() == 1, "the session got the request before the close")) return;
  const std::uint8_t dropped_id = req[0].msg_id;
  rig.link->set_hook(plain_hook(hs));

  // QEMU reconnects after reconnect=1 s; the link accepts and connect()s the session again.
  const bool back = rig.link->wait_greeting(mark, 5000);
  const auto log = rig.link->log();
  const auto down = log.select(mark, [](const session_record& e) { return e.what == kind::disconnected; });
  const auto up = log.select(mark, [](const session_record& e) { return e.what == kind::connected; });
  if (!c.check(back && !down.empty() && !up.empty(), "QEMU reconnected within 5 s", log.describe(mark))) return;
  say("    reconnected " + std::to_string(ms_between(down[0].at, up[0].at)) + " ms after the close");
  c.check(ms_between(down[0].at, up[0].at) >= 800 && ms_between(down[0].at, up[0].at) <= 3000,
          "about 1 s after the close (reconnect=1)");
  const std::size_t from_up = [&] {
    for (std::size_t i = mark; i < log.events().size(); ++i)
      if (log.events()[i].what == kind::connected) return i;
    return log.events().size();
  }();
  check_greeting(c, rig, from_up, "greeting again");
  const auto stats = rig.link->with([](bmc_session& s) { return s.stats(); });
  c.check(stats.connects == 2, "stats().connects == 2: " + std::to_string(stats.connects));
  c.check(rig.link->with([&](bmc_session& s) { return !s.awaiting_response(dropped_id); }),
          "the dropped request is forgotten (awaiting_response false)");

  check_next_transaction(c, rig, 0x52, "KCS: the next transaction after the reconnect", "answered by the BMC session",
                         static_cast<std::uint8_t>(dropped_id + 1), " (the D2-answered " + hex(dropped_id) + " counted)");
}

// ---------------------------------------------------------------------------------------------

int run_interface(ipmi_interface iface) {
  const std::string ifname(name(iface));
  say("== QEMU + " + ifname + " ⇄ ipmikit BMC session");
  auto dir = temp_dir::create(std::string("ipmikit-session-qemu-") + (iface == ipmi_interface::kcs ? "kcs" : "bt"));
  if (!dir) {
    say("FAIL temporary directory: " + dir.error());
    return 1;
  }
  say("temporary directory " + dir->path());
  checker c;
  qemu_rig rig;
  rig.iface = iface;
  const auto t0 = steady::now();
  if (setup(c, *dir, rig)) {
    say("-- Get Device ID");
    get_device_id(c, rig, 0x05);
    if (iface == ipmi_interface::bt) get_device_id(c, rig, 0xA5);
    say("-- attention");
    attention(c, rig);
    say("-- command and response back to back (session chunking)");
    back_to_back(c, rig);
    say("-- negative control: command and response in one write()");
    one_write_control(c, rig);
    if (iface == ipmi_interface::kcs) {
      say("-- a response after QEMU's 4 s timeout");
      late_answer(c, rig);
      say("-- the BMC closes the connection mid-request");
      bmc_gone(c, rig);
    }
  }
  teardown(c, rig, 0);
  say("  " + ifname + " section took " + std::to_string(elapsed_ms(t0)) + " ms");
  keep_for_inspection(*dir, c.failures());
  return c.failures();
}

}  // namespace

int main(int argc, char** argv) {
  const auto chosen = choose_sections(argc, argv, {{"kcs"}, {"bt"}});
  if (!chosen) return 2;
  const auto [want_kcs, want_bt] = *chosen;
  if (!find_program("qemu-system-x86_64")) return missing_program_exit("qemu-system-x86_64");
  int failures = 0;
  if (want_kcs) failures += run_interface(ipmi_interface::kcs);
  if (want_bt) failures += run_interface(ipmi_interface::bt);
  return pass_or_fail(failures);
}
