// fuzz/fuzz_vm_link.cpp — bmc::vm_link (bmc/vm_link.hpp) on a vm::bmc_session with a small
// outbound buffer, over a dispatcher of the controller's, event receiver's, watchdog's and SEL's
// tables, driven by arbitrary bytes: what the emulator sends (raw bytes, well-formed
// requests, CAPABILITIES) delivered in any chunking, clock jumps forward and back, watchdog and
// session polls, connects and disconnects, and the BMC's output drained in pieces of any size.
//
// Input: a setup byte (the capabilities the emulator announces first), then operations, an op
// byte each (op % 9) and its operands:
//   0 raw bytes to the BMC's input [n] n bytes      1 a request frame [id] [which] operands
//   2 deliver [n] input bytes (0: all)               3 CAPABILITIES [caps]
//   4 the clock jumps [ms hi] [ms lo] x 7 (back when op b7), the watchdog and the session polled
//   5 the watchdog polled                            6 drain [k] bytes of outbound(now) (0: all)
//   7 drain everything pending, past the command gap 8 reconnect (b4 of op clear) or disconnect
//
// Checked after every step (std::abort on failure):
// - every message the emulator decodes is a response to a request the BMC received and had not
//   answered: in the order the link answered them, with that request's message id, its netfn
//   + 1 and LUN, its command, and a completion code; a request whose response the session
//   refused (dropped) never gets one; the BMC's output never holds a malformed frame, nor a
//   command a BMC does not send (CAPABILITIES, GRACEFUL_SHUTDOWN);
// - the link's stats agree with the session's: every request the session reports reaches the
//   link, requests = answered + dropped + unanswered, unanswered stays 0 (the session never
//   reports a response's netfn as a request), answered = the responses the session queued;
//   each watchdog event leads to the one action it asks for, sent or refused, and is logged at
//   most once (never with "don't log"), as a Watchdog 2 record with the configured sensor;
// - the SEL never holds more than its capacity; the watchdog's present countdown never exceeds
//   its initial one;
// - attention as the VM last heard it (ATTN / ATTN_IRQ / NOATTN; unknown from a reconnect
//   until the emulator's first CAPABILITIES, and for the rest of a connection whose later
//   CAPABILITIES QEMU would not send) equals what the controller believes it shows whenever the
//   BMC's output has all been written — also after an ATTN or NOATTN the full output refused
//   (controller::attention_not_told; found by this target: forget_attention() there left a
//   VM showing attention that no NOATTN would ever clear).
#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <optional>
#include <iterator>
#include <span>
#include <type_traits>
#include <vector>

#include <ipmikit/bmc/controller.hpp>
#include <ipmikit/bmc/dispatcher.hpp>
#include <ipmikit/bmc/sel.hpp>
#include <ipmikit/bmc/vm_link.hpp>
#include <ipmikit/bmc/watchdog.hpp>
#include <ipmikit/vm/decoder.hpp>
#include <ipmikit/vm/encoder.hpp>
#include <ipmikit/vm/session.hpp>

#include "fuzz_common.hpp"

namespace {

using namespace ipmikit;

using fuzz_clock = fuzz::manual_clock;  // time comes from the input
using time_point = fuzz_clock::time_point;

constexpr std::size_t sel_capacity = 8;  // small: the fuzzer fills it
constexpr std::uint8_t wd_sensor = 0x61;
// One largest frame: a few responses left undrained fill it, so refusals are reached.
constexpr std::size_t outbound_capacity = vm::max_message_frame_size(vm::max_message_size);

struct core {
  bmc::controller mc{};
  bmc::basic_watchdog<fuzz_clock> wd{bmc::watchdog_support{}};
  bmc::basic_sel<sel_capacity, fuzz_clock> sel{};
  time_point clock = time_point{} + std::chrono::hours(1);
  [[nodiscard]] constexpr time_point now() const { return clock; }
};

constexpr std::size_t table_room = 7 + 1 + 3 + 8;
using core_dispatcher = bmc::dispatcher<core, table_room>;
// Built at compile time, as tiny_bmc.cpp builds its own (bmc_vm_link_test.cpp checks it
// dispatches as a dispatcher registered at run time).
constexpr core_dispatcher commands_table = bmc::make_dispatcher<core, table_room>(
    bmc::add_controller_commands<&core::mc, &core::wd>, bmc::add_event_receiver_commands<&core::mc, &core::sel>,
    bmc::add_watchdog_commands<&core::wd>, bmc::add_sel_commands<&core::sel>);
static_assert(commands_table.entries().size() == table_room);

using bmc_end = vm::bmc_session<fuzz_clock, outbound_capacity>;
using link_type = bmc::vm_link<bmc_end, core, table_room, bmc::basic_watchdog<fuzz_clock>,
                               bmc::basic_sel<sel_capacity, fuzz_clock>>;

struct reader {
  const std::uint8_t* p;
  const std::uint8_t* end;
  std::uint8_t next() { return p != end ? *p++ : 0; }
  [[nodiscard]] bool done() const { return p == end; }
};

struct harness {
  core c;
  core_dispatcher d = commands_table;
  bmc_end vm_side;
  link_type link{vm_side, d, c, c.mc, c.wd, c.sel, {.from = {}, .watchdog_sensor = wd_sensor}};

  std::vector<std::uint8_t> to_bmc;  // sent by the emulator, not yet delivered
  // What the emulator must decode, in order: the responses the link queued.
  struct expected_response {
    std::uint8_t msg_id, netfn_lun, cmd;
  };
  std::deque<expected_response> expected;
  vm::decoder from_bmc{vm::min_response_frame};  // the emulator's decoder
  vm::decoder inbound_model{vm::min_request_frame};  // the BMC's input, decoded again
  std::uint64_t requests_sent = 0;  // even-netfn messages the model decoder saw
  bool vm_attention = false;        // as the VM last heard it
  bool attention_known = false;     // since the emulator's CAPABILITIES on this connection
  std::optional<bool> announced_attention;  // whether they had ATTN

  // --- the session's events: to the link, checked around it ------------------------------

  /// Calls the link; whether the session refused a frame meanwhile (its output full).
  template <class Event>
  bool call_link(const Event& e) {
    const std::uint64_t refused = vm_side.stats().would_block;
    link(e);
    return vm_side.stats().would_block != refused;
  }

  struct session_events {
    harness& h;
    void operator()(const vm::request_event& r) {
      const bmc::vm_link_stats before = h.link.stats();
      (void)h.call_link(r);
      const bmc::vm_link_stats& after = h.link.stats();
      FUZZ_CHECK(after.requests == before.requests + 1);
      FUZZ_CHECK(after.unanswered == before.unanswered);  // the session filtered responses' netfns
      if (after.dropped_responses == before.dropped_responses) {
        FUZZ_CHECK(!h.vm_side.awaiting_response(r.msg_id));
        h.expected.push_back({r.msg_id, static_cast<std::uint8_t>(r.body[0] | 0x04u), r.body[1]});
      } else {
        FUZZ_CHECK(after.dropped_responses == before.dropped_responses + 1);
        FUZZ_CHECK(!h.vm_side.awaiting_response(r.msg_id));  // discarded
      }
    }
    /// The first CAPABILITIES on a connection: from here on the VM's attention is what the
    /// link tells it. QEMU announces them once per connection, after which it shows no
    /// attention. After a fuzzed announcement later on the same connection that adds or drops
    /// ATTN, or comes while the VM shows attention (or will, once the output is written: the
    /// link forgets what it told and tells only what is wanted), what the VM shows is unknown
    /// until the next connection.
    void operator()(const vm::capabilities_event& e) {
      const bool attention = e.caps.has(vm::capability::attention);
      if (!h.announced_attention) {
        h.announced_attention = attention;
        h.attention_known = true;
      } else if (*h.announced_attention != attention || h.attention_once_written()) {
        h.attention_known = false;
      }
      (void)h.call_link(e);
    }
    template <class Event>
    void operator()(const Event& e) {
      h.link(e);
    }
  };

  // --- the watchdog's events: to the link, checked around it ------------------------------

  struct watchdog_events {
    harness& h;
    template <class Event>
    void operator()(const Event& e) {
      const bmc::vm_link_stats before = h.link.stats();
      const std::size_t records = h.c.sel.size();
      (void)h.call_link(e);
      const bmc::vm_link_stats& after = h.link.stats();
      bool acts = false;
      if constexpr (std::is_same_v<Event, bmc::watchdog_pretimeout_event<fuzz_clock>>)
        acts = e.interrupt == cmd::watchdog_pretimeout_interrupt::nmi;
      else
        acts = e.action != cmd::watchdog_timeout_action::none;
      FUZZ_CHECK(after.actions + after.actions_refused == before.actions + before.actions_refused + (acts ? 1u : 0u));
      FUZZ_CHECK(after.events_logged <= before.events_logged + 1);
      if (e.dont_log) FUZZ_CHECK(after.events_logged == before.events_logged);
      if (after.events_logged != before.events_logged) {
        FUZZ_CHECK(h.c.sel.size() == records + 1);
        const cmd::sel_record r = h.c.sel.at(h.c.sel.size() - 1);
        FUZZ_CHECK(r.sensor_type == bmc::watchdog2_sensor_type && r.sensor_number == wd_sensor);
        FUZZ_CHECK(r.event_data == e.event.data);
      } else {
        FUZZ_CHECK(h.c.sel.size() == records);
      }
    }
  };

  // --- the emulator's decoder of the BMC's output -------------------------------------------

  struct output_events {
    harness& h;
    void operator()(const vm::message_event& m) {
      FUZZ_CHECK(!h.expected.empty());
      const expected_response want = h.expected.front();
      h.expected.pop_front();
      FUZZ_CHECK(m.msg_id == want.msg_id);
      FUZZ_CHECK(m.body.size() >= 3);
      FUZZ_CHECK(m.body[0] == want.netfn_lun);
      FUZZ_CHECK(m.body[1] == want.cmd);
      FUZZ_CHECK(m.is_response());
    }
    void operator()(const vm::command_event& e) {
      switch (e.code) {
        case vm::command::attention:
        case vm::command::attention_irq: h.vm_attention = true; break;
        case vm::command::no_attention: h.vm_attention = false; break;
        case vm::command::power_off:
        case vm::command::reset:
        case vm::command::enable_irq:
        case vm::command::disable_irq:
        case vm::command::send_nmi:
        case vm::command::version: break;
        default: FUZZ_CHECK(false);  // CAPABILITIES, GRACEFUL_SHUTDOWN: never from this BMC
      }
    }
    void operator()(const vm::error_event&) { FUZZ_CHECK(false); }  // the BMC wrote a bad frame
  };

  struct inbound_events {
    harness& h;
    void operator()(const vm::message_event& m) {
      if (!m.is_response()) ++h.requests_sent;
    }
    void operator()(const vm::command_event&) {}
    void operator()(const vm::error_event&) {}
  };

  /// The VM's attention once everything the BMC queued is written: a copy of the emulator's
  /// decoder reads the pending bytes.
  [[nodiscard]] bool attention_once_written() const {
    struct attention_only {
      bool on;
      void operator()(const vm::command_event& e) {
        if (e.code == vm::command::attention || e.code == vm::command::attention_irq) on = true;
        if (e.code == vm::command::no_attention) on = false;
      }
      void operator()(const vm::message_event&) {}
      void operator()(const vm::error_event&) {}
    };
    vm::decoder copy = from_bmc;
    attention_only a{vm_attention};
    copy.feed(vm_side.pending(), a);
    return a.on;
  }

  // --- steps -----------------------------------------------------------------------------

  void connect() {
    vm_side.connect(c.now(), session_events{*this});
    forget_connection();
  }
  void disconnect() {
    vm_side.disconnect(c.now(), session_events{*this});
    forget_connection();
  }
  /// A new connection (or none): nothing in flight survives, and the VM's attention is unknown
  /// until it announces its capabilities.
  void forget_connection() {
    to_bmc.clear();
    expected.clear();
    from_bmc.reset();
    inbound_model.reset();
    vm_attention = false;
    attention_known = false;
    announced_attention.reset();
  }

  void deliver(std::size_t n) {
    n = std::min(n == 0 ? to_bmc.size() : n, to_bmc.size());
    const std::vector<std::uint8_t> chunk(to_bmc.begin(), to_bmc.begin() + static_cast<std::ptrdiff_t>(n));
    to_bmc.erase(to_bmc.begin(), to_bmc.begin() + static_cast<std::ptrdiff_t>(n));
    if (!vm_side.connected()) return;  // lost with the connection
    inbound_model.feed(chunk, inbound_events{*this});
    vm_side.receive(chunk, c.now(), session_events{*this});
  }

  void drain(std::span<const std::uint8_t> out, std::size_t k) {
    const std::size_t n = k == 0 ? out.size() : std::min(k, out.size());
    const std::vector<std::uint8_t> written(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
    vm_side.consume(n, c.now());
    from_bmc.feed(written, output_events{*this});
  }

  void poll_watchdog() { c.wd.poll(c.now(), watchdog_events{*this}); }

  void append_frame(std::uint8_t msg_id, std::span<const std::uint8_t> body) {
    std::array<std::uint8_t, vm::max_message_frame_size(64)> frame{};
    const vm::encode_result r = vm::encode_message(frame, msg_id, body);
    FUZZ_CHECK(static_cast<bool>(r));
    to_bmc.insert(to_bmc.end(), frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(r.size));
  }

  void append_request(reader& in) {
    const std::uint8_t id = in.next();
    const std::uint8_t which = in.next();
    std::array<std::uint8_t, 32> body{};
    std::size_t n = 2;
    const auto put = [&](std::initializer_list<std::uint8_t> b) {
      for (const std::uint8_t x : b) body[n++] = x;
    };
    body[0] = 0x18;  // app, LUN 0
    switch (which % 12) {
      case 0: body[1] = 0x01; break;  // Get Device ID
      case 1:  // Set Watchdog Timer: use, interrupt/action, interval, flags, countdown (small)
        body[1] = 0x24;
        put({in.next(), in.next(), static_cast<std::uint8_t>(in.next() % 8u), in.next(),
             static_cast<std::uint8_t>(in.next() % 64u), 0x00});
        break;
      case 2: body[1] = 0x22; break;  // Reset Watchdog Timer
      case 3: body[1] = 0x25; break;  // Get Watchdog Timer
      case 4: body[1] = 0x30; put({in.next()}); break;  // Clear Message Flags
      case 5: body[1] = 0x31; break;  // Get Message Flags
      case 6: body[1] = 0x2E; put({in.next()}); break;  // Set BMC Global Enables
      case 7: body[1] = 0x35; break;  // Read Event Message Buffer
      case 8:  // Platform Event Message from the system interface: generator, EvMRev, type, number, dir/type, data
        body[0] = 0x04 << 2;
        body[1] = 0x02;
        put({0x41, 0x04, in.next(), in.next(), in.next(), in.next(), in.next(), in.next()});
        break;
      case 9: body[0] = 0x0A << 2; body[1] = 0x40; break;  // Get SEL Info
      case 10:  // Clear SEL without a reservation: initiate erase
        body[0] = 0x0A << 2;
        body[1] = 0x47;
        put({0x00, 0x00, 'C', 'L', 'R', 0xAA});
        break;
      default: {  // any netfn/LUN and command, a few data bytes
        body[0] = in.next();
        body[1] = in.next();
        const std::size_t extra = in.next() % 8u;
        for (std::size_t i = 0; i < extra; ++i) body[n++] = in.next();
        break;
      }
    }
    append_frame(id, std::span(body).first(n));
  }

  void check() {
    const bmc::vm_link_stats& s = link.stats();
    FUZZ_CHECK(s.unanswered == 0);
    FUZZ_CHECK(s.requests == vm_side.stats().requests);
    FUZZ_CHECK(s.requests == requests_sent);
    FUZZ_CHECK(s.requests >= s.dropped_responses + s.unanswered);
    FUZZ_CHECK(s.requests - s.dropped_responses - s.unanswered == vm_side.stats().responses);
    FUZZ_CHECK(d.stats().requests == s.requests);
    FUZZ_CHECK(c.sel.size() <= sel_capacity);
    FUZZ_CHECK(c.wd.present_countdown(c.now()) <= c.wd.initial_countdown());
    if (vm_side.connected() && attention_known && vm_side.pending().empty())
      FUZZ_CHECK(vm_attention == c.mc.attention_shown());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reader in{data, data + size};
  harness h;
  h.connect();
  const std::uint8_t caps[] = {static_cast<std::uint8_t>(vm::command::capabilities), in.next(), vm::end_of_command};
  h.to_bmc.assign(std::begin(caps), std::end(caps));

  for (unsigned step = 0; step < 512 && !in.done(); ++step) {
    const std::uint8_t op = in.next();
    switch (op % 9) {
      case 0: {
        const std::size_t n = in.next() % 48u;
        for (std::size_t i = 0; i < n; ++i) h.to_bmc.push_back(in.next());
        break;
      }
      case 1: h.append_request(in); break;
      case 2: h.deliver(in.next()); break;
      case 3: {
        const std::uint8_t again[] = {static_cast<std::uint8_t>(vm::command::capabilities), in.next(),
                                      vm::end_of_command};
        h.to_bmc.insert(h.to_bmc.end(), std::begin(again), std::end(again));
        break;
      }
      case 4: {
        const int high = in.next();
        const auto amount = std::chrono::milliseconds((high << 8 | in.next()) * 7);
        h.c.clock = (op & 0x80u) != 0 ? h.c.clock - amount : h.c.clock + amount;
        h.poll_watchdog();
        h.vm_side.poll(h.c.now(), harness::session_events{h});
        break;
      }
      case 5: h.poll_watchdog(); break;
      case 6: h.drain(h.vm_side.outbound(h.c.now()), in.next()); break;
      case 7:
        for (int i = 0; i < 64 && !h.vm_side.pending().empty(); ++i) h.drain(h.vm_side.pending(), 0);
        FUZZ_CHECK(h.vm_side.pending().empty());
        break;
      case 8:
        if ((op & 0x10u) == 0) h.connect();
        else h.disconnect();
        break;
      default: break;
    }
    h.check();
  }
  return 0;
}
