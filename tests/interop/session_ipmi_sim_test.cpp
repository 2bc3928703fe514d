// tests/interop/session_ipmi_sim_test.cpp — ipmikit's EMULATOR session (vm::emulator_session,
// what QEMU's ipmi-bmc-extern does) against the real OpenIPMI ipmi_sim on its VM port, with
// ipmitool driving ipmi_sim's IPMI LAN port. Everything on 127.0.0.1.
//
//   full   a fresh ipmi_sim; the session announces QEMU's capabilities (0x3F). Greeting both
//          ways, requests with the answers ipmi_sim really gives (and its quirks, each a named
//          check citing reference/openipmi.md), ipmitool power off / reset / soft / diag →
//          POWEROFF / RESET / GRACEFUL_SHUTDOWN / nothing, Set BMC Global Enables →
//          ENABLE_IRQ / DISABLE_IRQ before the response, and the watchdog pre-timeout → ATTN.
//   bare   another fresh ipmi_sim (it ORs capability bits in and never clears them, so the
//          "without" case needs its own process); the session announces no capability
//          (0x00): soft-off and reset are refused with 0xCC and send nothing, power off still
//          works (POWER is assumed), Set BMC Global Enables sends no ENABLE_IRQ.
//
// The session is driven by a single-threaded poll loop over the socket (emulator_link):
// outbound(now) chunks written with write_all then consume()d, receive() on every read,
// poll(now) at next_deadline(). ipmitool runs as a child while that loop keeps pumping.
//
// Usage: ipmikit_interop_session_ipmi_sim_test [full] [bare]   (no argument: both)
// Exit status: 0 passed, 1 a check failed, 77 skipped (ipmi_sim or ipmitool missing, unless
// IPMIKIT_INTEROP_REQUIRED=1). IPMIKIT_INTEROP_KEEP=1 keeps the temporary directory.
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include <ipmikit/vm/session.hpp>

#include "common.hpp"
#include "ipmi_sim.hpp"
#include "net.hpp"
#include "process.hpp"
#include "session_support.hpp"

namespace {

using namespace ipmikit::interop;
namespace vm = ipmikit::vm;
using emu_session = vm::emulator_session<steady>;
using kind = session_record::kind;

// ---------------------------------------------------------------------------------------------
// The poll loop around an emulator session

class emulator_link {
 public:
  emulator_link(unique_fd fd, const emu_session::config& cfg) : fd_(std::move(fd)), session_(cfg) {}

  [[nodiscard]] emu_session& session() noexcept { return session_; }
  [[nodiscard]] const session_log& log() const noexcept { return log_; }
  [[nodiscard]] const bytes& received() const noexcept { return rx_; }
  /// Every write() made, in order (one entry per outbound() chunk).
  [[nodiscard]] const std::vector<bytes>& writes() const noexcept { return writes_; }
  [[nodiscard]] bool eof() const noexcept { return eof_; }

  void connect() {
    log_.mark(kind::connected);
    session_.connect(steady::now(), handler{*this});
  }

  /// One round: write what the session has to send, wait up to `max_wait_ms` (less if the
  /// session has a deadline sooner) for input, feed it, then poll the session.
  [[nodiscard]] status pump(int max_wait_ms) {
    if (auto f = flush(); !f) return f;
    int wait = max_wait_ms;
    if (const auto d = session_.next_deadline()) {
      const auto left = std::chrono::ceil<millis>(*d - steady::now()).count();
      wait = static_cast<int>(std::clamp<long long>(left, 0, wait));
    }
    if (!eof_ && fd_) {
      std::array<std::uint8_t, 4096> buf{};
      auto r = read_some(fd_.get(), buf, wait);
      if (!r) return fail(r.error());
      if (r->state == read_state::data) {
        const std::span<const std::uint8_t> got(buf.data(), r->size);
        rx_.insert(rx_.end(), got.begin(), got.end());
        session_.receive(got, steady::now(), handler{*this});
      } else if (r->state == read_state::eof) {
        eof_ = true;
        log_.mark(kind::disconnected);
        session_.disconnect(steady::now(), handler{*this});
      }
    } else if (wait > 0) {
      sleep_ms(std::min(wait, 10));
    }
    session_.poll(steady::now(), handler{*this});
    return flush();
  }

  /// Pumps for `ms` milliseconds.
  [[nodiscard]] status pump_for(int ms) {
    const deadline d{millis(ms)};
    for (int i = 0; i < 100000 && !d.expired(); ++i)
      if (auto p = pump(std::max(1, std::min(20, d.remaining_ms()))); !p) return p;
    return success();
  }

  /// Pumps until `pred()` holds (checked after every round), at most `timeout_ms`.
  template <class Pred>
  [[nodiscard]] result<bool> pump_until(Pred pred, int timeout_ms) {
    const deadline d{millis(timeout_ms)};
    for (int i = 0; i < 100000; ++i) {
      if (pred()) return true;
      if (d.expired()) return false;
      if (auto p = pump(std::max(1, std::min(20, d.remaining_ms()))); !p) return fail(p.error());
    }
    return pred();
  }

  /// Sends a request with the next message id and pumps until its response (from ipmi_sim or
  /// the session's own 4 s timeout), at most `timeout_ms`.
  [[nodiscard]] result<session_record> request(std::span<const std::uint8_t> body,
                                               int timeout_ms = 6000) {
    const std::uint8_t id = next_id_++;
    const std::size_t mark = log_.size();
    const auto err = session_.send_request(id, body, steady::now(), handler{*this});
    if (err != vm::session_error::ok)
      return fail("send_request refused: " + std::string(vm::name(err)));
    auto is_mine = [&](const session_record& r) { return r.what == kind::response && r.msg_id == id; };
    auto got = pump_until([&] { return !log_.select(mark, is_mine).empty(); }, timeout_ms);
    if (!got) return fail(got.error());
    if (!*got) return fail("no response to msg_id " + hex(id) + " within " + std::to_string(timeout_ms) + " ms");
    return log_.select(mark, is_mine).front();
  }
  [[nodiscard]] result<session_record> request(std::initializer_list<std::uint8_t> body,
                                               int timeout_ms = 6000) {
    return request(std::span<const std::uint8_t>(body.begin(), body.size()), timeout_ms);
  }

 private:
  struct handler {
    emulator_link& link;
    template <class Event>
    void operator()(const Event& e) {
      link.log_.add(e);
    }
  };

  [[nodiscard]] status flush() {
    for (int i = 0; i < 64; ++i) {
      const auto now = steady::now();
      const auto chunk = session_.outbound(now);
      if (chunk.empty()) return success();
      if (eof_ || !fd_) return fail("output pending on a closed connection");
      if (auto w = write_all(fd_.get(), chunk, 2000); !w) return w;
      writes_.emplace_back(chunk.begin(), chunk.end());
      session_.consume(chunk.size(), now);
    }
    return fail("flush: more than 64 chunks");
  }

  unique_fd fd_;
  emu_session session_;
  session_log log_;
  bytes rx_;
  std::vector<bytes> writes_;
  bool eof_ = false;
  std::uint8_t next_id_ = 0;
};

// ---------------------------------------------------------------------------------------------
// ipmitool as a child while the session keeps pumping

struct tool_run {
  exit_status ended;
  std::string output;
  steady::time_point started;
  steady::time_point finished;
};

result<tool_run> ipmitool_pumping(const temp_dir& dir, std::uint16_t lan_port,
                                  const std::vector<std::string>& args, emulator_link& link,
                                  int timeout_ms = 20000) {
  static int counter = 0;
  // ipmi_sim.hpp's ipmitool_lan() runs the same command line synchronously.
  const std::vector<std::string> argv = ipmitool_lan_argv(lan_port, args);
  const std::string log_path = dir.file("session-ipmitool-" + std::to_string(++counter) + ".log");
  tool_run run;
  run.started = steady::now();
  auto p = process::spawn(argv, {log_path, true});
  if (!p) return fail(p.error());
  const deadline d{millis(timeout_ms)};
  for (int i = 0; i < 100000; ++i) {
    if (auto st = p->wait_exit(millis(0))) {
      run.ended = *st;
      run.finished = steady::now();
      auto out = read_file(log_path);
      if (!out) return fail(out.error());
      run.output = *out;
      while (!run.output.empty() && (run.output.back() == '\n' || run.output.back() == '\r'))
        run.output.pop_back();
      return run;
    }
    if (d.expired()) break;
    if (auto pumped = link.pump(5); !pumped) return fail("while ipmitool ran: " + pumped.error());
  }
  (void)p->stop(millis(1000));
  return fail("ipmitool " + args.back() + " did not finish within " + std::to_string(timeout_ms) + " ms");
}

// ---------------------------------------------------------------------------------------------
// Shared steps

struct sim_rig {
  std::optional<ipmi_sim_instance> sim;
  std::optional<emulator_link> link;
};

/// Starts a fresh ipmi_sim, connects, connect()s the session and checks both greetings.
bool start_and_greet(checker& c, const temp_dir& dir, sim_rig& rig, vm::capabilities caps) {
  auto vm_port = free_tcp_port();
  auto lan_port = free_udp_port();
  if (!c.check_ok(vm_port, "free TCP port for the VM channel") ||
      !c.check_ok(lan_port, "free UDP port for IPMI LAN"))
    return false;
  auto sim = start_ipmi_sim(dir, *vm_port, *lan_port);
  if (!c.check_ok(sim, "ipmi_sim started (VM 127.0.0.1:" + std::to_string(*vm_port) +
                           ", LAN 127.0.0.1:" + std::to_string(*lan_port) + ")"))
    return false;
  rig.sim.emplace(std::move(*sim));
  say("  ipmi_sim pid " + std::to_string(rig.sim->proc.pid()));
  auto fd = connect_with_retry(*vm_port, 5000);
  if (!c.check_ok(fd, "connected to ipmi_sim's VM port")) return false;
  emu_session::config cfg;
  cfg.caps = caps;
  rig.link.emplace(std::move(*fd), cfg);
  emulator_link& link = *rig.link;
  link.connect();

  // ipmi_sim speaks first (openipmi.md §0.2, §4): VERSION 1, then its ATTN state (NOATTN).
  auto greeted = link.pump_until(
      [&] { return !link.log().select(0, [](const session_record& r) { return r.is_hardware(vm::command::no_attention); }).empty(); },
      3000);
  if (!c.check_ok(greeted, "pumped the greeting") ||
      !c.check(*greeted, "ipmi_sim's greeting arrived within 3 s", link.log().describe()))
    return false;
  const auto ev = link.log().select(0, [](const session_record& r) {
    return r.what == kind::version || r.what == kind::hardware || r.what == kind::problem;
  });
  c.check(ev.size() == 2 && ev[0].what == kind::version && ev[0].value == 1 &&
              ev[1].is_hardware(vm::command::no_attention),
          "the session reported version_event 1, then hardware_event NOATTN", link.log().describe());
  c.check(link.session().peer_version() == std::optional<std::uint8_t>(1), "peer_version() == 1");
  c.check_bytes(std::span<const std::uint8_t>(link.received()).first(std::min<std::size_t>(5, link.received().size())),
                {0xFF, 0x01, 0xA1, 0x00, 0xA1}, "ipmi_sim's greeting on the wire");
  // Our greeting: each command ends an outbound() chunk, so two writes.
  const auto& w = link.writes();
  if (c.check(w.size() >= 2, "the session wrote its greeting (" + std::to_string(w.size()) + " writes)")) {
    c.check_bytes(w[0], {0xFF, 0x01, 0xA1}, "write 1: VERSION 1");
    c.check_bytes(w[1], {0x08, caps.to_byte(), 0xA1}, "write 2: CAPABILITIES " + hex(caps.to_byte()));
  }
  return true;
}

/// One request; checks the completion code and the response length (netfn, cmd, cc, data).
std::optional<session_record> exchange(checker& c, emulator_link& link, std::initializer_list<std::uint8_t> req,
                                       const std::string& what, std::uint8_t want_cc,
                                       std::optional<std::size_t> want_len) {
  const bytes body(req);
  const auto t = steady::now();
  auto r = link.request(std::span<const std::uint8_t>(body));
  if (!c.check_ok(r, what + " [" + hex(body) + "] answered")) return std::nullopt;
  say("    response after " + std::to_string(ms_between(t, r->at)) + " ms: [" + hex(r->body) + "]" +
      (r->local ? " (local)" : ""));
  const bool header_ok = r->body.size() >= 3 && r->body[0] == (body[0] | 0x04) && r->body[1] == body[1];
  std::string want = "cc " + hex(want_cc);
  if (want_len) want += ", " + std::to_string(*want_len) + " bytes";
  c.check(!r->local && header_ok && r->body[2] == want_cc && (!want_len || r->body.size() == *want_len),
          what + ": " + want, "got [" + hex(r->body) + "]" + (r->local ? " (local)" : ""));
  return r.value();
}

std::string clip(const std::string& s, std::size_t n = 300) {
  std::string t = s;
  for (char& ch : t)
    if (ch == '\n') ch = '|';
  return t.size() <= n ? t : t.substr(0, n) + "…";
}

// ---------------------------------------------------------------------------------------------
// full: capabilities 0x3F

void run_full_body(checker& c, const temp_dir& dir, sim_rig& rig) {
  if (!start_and_greet(c, dir, rig, vm::qemu_capabilities)) return;
  emulator_link& link = *rig.link;
  const std::uint16_t lan = rig.sim->lan_port;

  say("-- requests from the VM side");
  // Get Device ID: the bmc.emu values (ipmi_sim.hpp) — dev id 0, no device SDRs, rev 3,
  // fw 9.08, IPMI 2.0, support 0x9F, mfg 0x001291, product 0x0F02, aux 0 (openipmi.md §2 live).
  if (auto r = exchange(c, link, {0x18, 0x01}, "Get Device ID", 0x00, 18)) {
    c.check_bytes(r->body, {0x1C, 0x01, 0x00, 0x00, 0x03, 0x09, 0x08, 0x02, 0x9F, 0x91, 0x12, 0x00,
                            0x02, 0x0F, 0x00, 0x00, 0x00, 0x00},
                  "Get Device ID body matches bmc.emu");
  }
  std::uint8_t enables = 0;
  if (auto r = exchange(c, link, {0x18, 0x2F}, "Get BMC Global Enables", 0x00, 4)) {
    enables = r->body[3];
    c.note("initial global enables " + hex(enables));
  }
  if (auto r = exchange(c, link, {0x18, 0x31}, "Get Message Flags", 0x00, 4))
    c.check(r->body[3] == 0x00, "no message flag set yet: " + hex(r->body[3]));
  if (auto r = exchange(c, link, {0x00, 0x01}, "Get Chassis Status (chassis netfn)", 0x00, std::nullopt)) {
    c.check(r->body.size() == 6 || r->body.size() == 7,
            "Get Chassis Status carries 3 or 4 data bytes: " + std::to_string(r->body.size() - 3));
    c.check(r->body.size() >= 4 && (r->body[3] & 0x01) != 0,
            "power is on while the VM socket is connected (openipmi.md §4 'Power state reporting')");
  }
  // Quirk (openipmi.md §4 watchdog; bmc_app.c handle_reset_watchdog_timer): before any Set
  // Watchdog Timer the reset is refused with 0x80 (IPMI: "attempt to start un-initialized
  // watchdog").
  exchange(c, link, {0x18, 0x22}, "quirk 'reset of an uninitialized watchdog': Reset Watchdog Timer", 0x80, 3);
  if (auto r = exchange(c, link, {0x18, 0x25}, "Get Watchdog Timer", 0x00, std::nullopt)) {
    // IPMI §27.7: cc + 8 data bytes (use, actions, pre-timeout, flags, initial countdown LSB/MSB,
    // present countdown LSB/MSB).
    if (r->body.size() != 3 + 8)
      c.check(r->body.size() == 3 + 6,
              "quirk 'Get Watchdog Timer is short': " + std::to_string(r->body.size() - 3) +
                  " data bytes instead of IPMI's 8 (bmc_app.c sets rdata_len 7: the present countdown is cut off)",
              "got [" + hex(r->body) + "]");
    else
      c.note("Get Watchdog Timer returns IPMI's 8 data bytes");
  }
  // Quirk (not in openipmi.md; seen live): ipmi_sim does not implement Get Self Test Results
  // (IPMI §20.4, mandatory for a BMC) and answers cc C1 "invalid command".
  exchange(c, link, {0x18, 0x04}, "quirk 'no self test': Get Self Test Results", 0xC1, 3);
  // Quirk (openipmi.md §0.5, §4): a watchdog with a pre-timeout NMI is refused with 0xCC even
  // though the session announced NMI — handle_set_watchdog_timer's PRE_NMI case falls through.
  if (auto r = link.request({0x18, 0x24, 0x04, 0x21, 0x01, 0x00, 0x14, 0x00});
      c.check_ok(r, "Set Watchdog Timer with pre-timeout NMI answered")) {
    say("    [" + hex(r->body) + "]");
    c.check(r->body.size() == 3 && r->body[2] == 0xCC,
            "quirk 'watchdog NMI pre-timeout rejected': cc CC although NMI was announced (openipmi.md §0.5)",
            "got [" + hex(r->body) + "]");
  }

  say("-- chassis control from ipmitool over LAN");
  struct power_case {
    const char* verb;
    std::optional<vm::command> want;  // nothing: the command must fail and send nothing
    const char* ipmitool_says;
  };
  const power_case cases[] = {
      {"off", vm::command::power_off, "Down/Off"},
      {"reset", vm::command::reset, "Reset"},
      {"soft", vm::command::graceful_shutdown, "Soft"},
      // Quirk (openipmi.md §0.5, §4): pulse diagnostic interrupt is always 0xCC, never SEND_NMI.
      {"diag", std::nullopt, nullptr},
  };
  for (const auto& pc : cases) {
    const std::size_t mark = link.log().size();
    auto run = ipmitool_pumping(dir, lan, {"chassis", "power", pc.verb}, link);
    const std::string what = std::string("ipmitool chassis power ") + pc.verb;
    if (!c.check_ok(run, what + " ran")) continue;
    say("    " + run->ended.describe() + " after " + std::to_string(ms_between(run->started, run->finished)) +
        " ms: " + clip(run->output));
    (void)link.pump_for(150);  // anything late
    const auto hw = link.log().hardware_since(mark);
    if (pc.want) {
      c.check(run->ended.success() && run->output.find(pc.ipmitool_says) != std::string::npos,
              what + " succeeded", run->output);
      c.check(hw.size() == 1 && hw[0].code == *pc.want,
              what + " → exactly one hardware_event " + std::string(vm::name(*pc.want)) + " (got " + command_names(hw) + ")");
      if (!hw.empty())
        say("    " + std::string(vm::name(hw[0].code)) + " arrived " + std::to_string(ms_between(run->started, hw[0].at)) +
            " ms after ipmitool started (it exited after " + std::to_string(ms_between(run->started, run->finished)) + " ms)");
    } else {
      c.check(!run->ended.success(), "quirk 'diag is unsupported': " + what + " fails", run->output);
      c.check(hw.empty(), "quirk 'diag is unsupported': no SEND_NMI or other hardware_event (got " + command_names(hw) + ")");
    }
  }

  say("-- Set BMC Global Enables → ENABLE_IRQ / DISABLE_IRQ (IRQ capability announced)");
  auto global_enables = [&](std::uint8_t value, std::optional<vm::command> want, const std::string& what) {
    const std::size_t mark = link.log().size();
    auto r = link.request({0x18, 0x2E, value});
    if (!c.check_ok(r, what + " answered")) return;
    c.check(r->body == bytes{0x1C, 0x2E, 0x00}, what + ": cc 00, no data: [" + hex(r->body) + "]");
    const auto after = link.log().select(mark, [](const session_record& e) {
      return e.what == kind::hardware || e.what == kind::response;
    });
    std::string order;
    for (const auto& e : after) order += (order.empty() ? "" : ", ") + (e.what == kind::response ? std::string("response") : std::string(vm::name(e.code)));
    if (want) {
      c.check(after.size() == 2 && after[0].is_hardware(*want) && after[1].what == kind::response,
              what + ": " + std::string(vm::name(*want)) + " before the response (openipmi.md §0.7): " + order);
    } else {
      c.check(after.size() == 1 && after[0].what == kind::response, what + ": no hardware_event: " + order);
    }
  };
  global_enables(0x0D, vm::command::enable_irq, "Set BMC Global Enables 0D (bit 0 set)");
  if (auto r = exchange(c, link, {0x18, 0x2F}, "Get BMC Global Enables", 0x00, 4))
    c.check(r->body[3] == 0x0D, "global enables read back 0D: " + hex(r->body[3]));
  global_enables(0x0F, std::nullopt, "Set BMC Global Enables 0F (bit 0 stays set)");
  global_enables(0x08, vm::command::disable_irq, "Set BMC Global Enables 08 (bit 0 cleared)");

  say("-- watchdog pre-timeout → ATTN");
  // IPMI §27.6 Set Watchdog Timer data: [timer use] [actions: pre-timeout interrupt << 4 |
  // timeout action] [pre-timeout interval, s] [expiration flags to clear] [countdown LSB, MSB
  // in 100 ms]. Timer use 0x04 = SMS/OS with bit 6 clear ("stop the timer"), so it only
  // runs after Reset Watchdog Timer. 0x30 = messaging interrupt, no action.
  //
  // Quirk (bmc_app.c do_watchdog_reset): with timeout action "none" Reset Watchdog Timer does
  // not start the timer at all, so no pre-timeout ever comes (IPMI says it should run).
  {
    auto set = link.request({0x18, 0x24, 0x04, 0x30, 0x01, 0x00, 0x0F, 0x00});
    if (c.check_ok(set, "Set Watchdog Timer 04 30 01 00 0F 00 (msg-int pre-timeout 1 s, no action, 1.5 s)"))
      say("    [" + hex(set->body) + "] (" + std::to_string(set->body.size()) + " bytes)");
    const std::size_t mark = link.log().size();
    exchange(c, link, {0x18, 0x22}, "Reset Watchdog Timer", 0x00, 3);
    (void)link.pump_for(1300);  // the pre-timeout would be due after 0.5 s
    const auto hw = link.log().hardware_since(mark);
    c.check(hw.empty(), "quirk 'watchdog with action none never runs': nothing within 1.3 s (got " + command_names(hw) + ")");
  }
  {
    // Timeout action hard reset (needs RESET, announced): 0x31. Countdown 2 s, pre-timeout 1 s.
    auto set = link.request({0x18, 0x24, 0x04, 0x31, 0x01, 0x00, 0x14, 0x00});
    if (c.check_ok(set, "Set Watchdog Timer 04 31 01 00 14 00 (msg-int pre-timeout 1 s, hard reset, 2 s)")) {
      say("    [" + hex(set->body) + "]");
      // Quirk (openipmi.md §2, §4): on success handle_set_watchdog_timer never sets the
      // response length, so the whole 36-byte buffer comes back: cc 00 + 35 stale bytes.
      c.check(set->body.size() == 3 + 35 && set->body[2] == 0x00,
              "quirk 'Set Watchdog Timer returns 35 bytes of stale memory': cc 00 + " +
                  std::to_string(set->body.size() - 3) + " data bytes (IPMI: none)");
    }
    const std::size_t mark = link.log().size();
    auto reset = exchange(c, link, {0x18, 0x22}, "Reset Watchdog Timer starts it", 0x00, 3);
    if (!reset) return;
    const auto started = reset->at;
    auto attn = link.pump_until(
        [&] {
          return !link.log().select(mark, [](const session_record& e) {
            return e.is_hardware(vm::command::attention) || e.is_hardware(vm::command::attention_irq);
          }).empty();
        },
        4000);
    (void)link.pump_for(300);  // what follows it
    const auto hw = link.log().hardware_since(mark);
    std::string timeline;
    for (const auto& e : hw)
      timeline += (timeline.empty() ? "" : ", ") + std::string(vm::name(e.code)) + " @" +
                  std::to_string(ms_between(started, e.at)) + " ms";
    say("    after Reset Watchdog Timer: " + (timeline.empty() ? std::string("nothing") : timeline));
    if (c.check(attn.ok() && *attn, "an ATTN or ATTN_IRQ arrived within 4 s", link.log().describe(mark))) {
      const auto& first = hw.front();
      const long long at = ms_between(started, first.at);
      // Global enables are 08 now (message interrupt off): set_atn(.., irq = msg ints on) → ATTN.
      c.check(first.is_hardware(vm::command::attention),
              "the first is ATTN (no IRQ: message interrupts are off): " + std::string(vm::name(first.code)));
      c.check(at >= 800 && at <= 1800, "it came " + std::to_string(at) + " ms after the reset (countdown 2 s − pre-timeout 1 s)");
      // Quirk (openipmi.md §4 timing): with a 1 s pre-timeout the remaining ~0.99 s has a
      // seconds part of 0 and is forced to 0, so the timeout action follows at once.
      const auto rst = std::find_if(hw.begin(), hw.end(), [](const session_record& e) { return e.is_hardware(vm::command::reset); });
      if (c.check(rst != hw.end(), "quirk '1 s pre-timeout: timeout action at once': RESET follows (" + command_names(hw) + ")"))
        c.check(ms_between(first.at, rst->at) < 200,
                "RESET " + std::to_string(ms_between(first.at, rst->at)) + " ms after the ATTN (not ~1000 ms)");
    }
    if (auto r = exchange(c, link, {0x18, 0x31}, "Get Message Flags after the pre-timeout", 0x00, 4))
      c.check((r->body[3] & 0x08) != 0, "the watchdog pre-timeout flag (bit 3) is set: " + hex(r->body[3]));
    const std::size_t before_clear = link.log().size();
    exchange(c, link, {0x18, 0x30, 0x08}, "Clear Message Flags 08", 0x00, 3);
    const auto after = link.log().select(before_clear, [](const session_record& e) {
      return e.what == kind::hardware || e.what == kind::response;
    });
    std::string order;
    for (const auto& e : after) order += (order.empty() ? "" : ", ") + (e.what == kind::response ? std::string("response") : std::string(vm::name(e.code)));
    // openipmi.md §4 [live, 2.0.33]: clearing the last flag sends NOATTN before the response.
    c.check(after.size() == 2 && after[0].is_hardware(vm::command::no_attention) && after[1].what == kind::response,
            "NOATTN before the Clear Message Flags response (openipmi.md §4, 2.0.33): " + order);
  }

  c.check(link.log().problems() == 0 && link.session().stats().count(vm::protocol_problem::malformed_frame) == 0,
          "no protocol problem in the whole run", link.log().describe());
}

/// Runs one section's body against its own ipmi_sim, then shows the session log and stops
/// ipmi_sim; returns the number of failed checks.
int run_section(const temp_dir& dir, const std::string& title, void (*body)(checker&, const temp_dir&, sim_rig&)) {
  say("== " + title);
  checker c;
  sim_rig rig;
  body(c, dir, rig);
  if (rig.link) say("  session log:\n" + rig.link->log().describe());
  if (rig.sim) {
    c.check(rig.sim->proc.alive(), "ipmi_sim still running at the end");
    const auto st = rig.sim->proc.stop();
    c.check_ok(st, "ipmi_sim stopped (pid " + std::to_string(rig.sim->proc.pid()) + ")");
    if (c.failures() != 0) say("  ipmi_sim log tail:\n" + file_tail(rig.sim->log_path, 3000));
  }
  return c.failures();
}

int run_full(const temp_dir& dir) {
  return run_section(dir, "full: emulator session with capabilities 3F ⇄ a fresh ipmi_sim", run_full_body);
}

// ---------------------------------------------------------------------------------------------
// bare: no capabilities announced

void run_bare_body(checker& c, const temp_dir& dir, sim_rig& rig) {
  if (!start_and_greet(c, dir, rig, vm::capabilities{})) return;
  emulator_link& link = *rig.link;
  const std::uint16_t lan = rig.sim->lan_port;
  exchange(c, link, {0x18, 0x01}, "Get Device ID", 0x00, 18);

  // openipmi.md §0.4, §3, §4: RESET and GRACEFUL_SHUTDOWN need the capability, else 0xCC.
  for (const char* verb : {"soft", "reset"}) {
    const std::size_t mark = link.log().size();
    auto run = ipmitool_pumping(dir, lan, {"chassis", "power", verb}, link);
    const std::string what = std::string("ipmitool chassis power ") + verb;
    if (!c.check_ok(run, what + " ran")) continue;
    say("    " + run->ended.describe() + ": " + clip(run->output));
    (void)link.pump_for(200);
    const auto hw = link.log().hardware_since(mark);
    c.check(!run->ended.success(), what + " fails without the capability", run->output);
    c.check(run->output.find("0xcc") != std::string::npos || run->output.find("Invalid data field") != std::string::npos,
            what + ": ipmitool reports cc 0xCC (invalid data field): " + clip(run->output, 160));
    c.check(hw.empty(), what + ": no hardware_event (got " + command_names(hw) + ")");
  }
  {
    // POWER is pre-set by vm_setup (openipmi.md §3): power off works with caps 0x00.
    const std::size_t mark = link.log().size();
    auto run = ipmitool_pumping(dir, lan, {"chassis", "power", "off"}, link);
    if (c.check_ok(run, "ipmitool chassis power off ran")) {
      say("    " + run->ended.describe() + ": " + clip(run->output));
      (void)link.pump_for(150);
      const auto hw = link.log().hardware_since(mark);
      c.check(run->ended.success(), "power off succeeds without any capability (POWER is assumed)", run->output);
      c.check(hw.size() == 1 && hw[0].is_hardware(vm::command::power_off),
              "→ hardware_event POWEROFF (got " + command_names(hw) + ")");
    }
  }
  {
    // No IRQ capability: Set BMC Global Enables with bit 0 answers 00 and sends nothing.
    const std::size_t mark = link.log().size();
    exchange(c, link, {0x18, 0x2E, 0x0D}, "Set BMC Global Enables 0D without IRQ capability", 0x00, 3);
    (void)link.pump_for(50);
    const auto hw = link.log().hardware_since(mark);
    c.check(hw.empty(), "no ENABLE_IRQ without the IRQ capability (got " + command_names(hw) + ")");
  }
  c.check(link.log().problems() == 0, "no protocol problem in the whole run", link.log().describe());
}

int run_bare(const temp_dir& dir) {
  return run_section(dir, "bare: emulator session with capabilities 00 ⇄ a fresh ipmi_sim", run_bare_body);
}

}  // namespace

int main(int argc, char** argv) {
  const auto chosen = choose_sections(argc, argv, {{"full"}, {"bare"}});
  if (!chosen) return 2;
  const auto [want_full, want_bare] = *chosen;
  if (!find_program("ipmi_sim") || !find_program("ipmitool"))
    return missing_program_exit("ipmi_sim or ipmitool");

  int failures = 0;
  // One temporary directory (lan.conf, bmc.emu, logs) per ipmi_sim; kept when a check failed.
  auto section = [&](const char* name, int (*run)(const temp_dir&)) {
    auto dir = temp_dir::create(std::string("ipmikit-session-sim-") + name);
    if (!dir) {
      say("FAIL temporary directory: " + dir.error());
      ++failures;
      return;
    }
    say("temporary directory " + dir->path());
    const int f = run(*dir);
    failures += f;
    keep_for_inspection(*dir, f);
  };
  if (want_full) section("full", run_full);
  if (want_bare) section("bare", run_bare);
  return pass_or_fail(failures);
}
