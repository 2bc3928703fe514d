// ipmikit/bmc/vm_link.hpp — the glue between a BMC built from the components and a VM on QEMU's
// ipmi-bmc-extern protocol (a vm::bmc_session), written once: the session's requests are
// answered by a bmc::dispatcher; the watchdog's events are logged in the SEL (unless "don't
// log") and carried out on the VM (pre-timeout NMI; expiry RESET or POWEROFF); and what the
// controller says the system interface must show (SMS attention, the receive message interrupt)
// is told to the VM before each response and after each watchdog event.
//
//   bmc::vm_link link{session, dispatcher, my_bmc, my_bmc.mc, my_bmc.watchdog, my_bmc.sel};
//   session.connect(now, link);
//   session.receive(bytes, now, link);   // each request answered, in order
//   my_bmc.watchdog.poll(now, link);     // the watchdog's events carried out
//
// One object is the event handler of both the session and the watchdog. Sans-IO like its parts:
// the caller moves the session's bytes and owns the clock — the time a watchdog event is logged
// at is the Context's now(), the clock the dispatcher's handlers read. examples/tiny_bmc.cpp is
// a whole BMC on it. ipmikit-bmc does more per event (log lines, persistence, the capabilities a
// VM announces turned into what the components accept, power through QMP), so it has its own.
// docs/bmc-core.md.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "controller.hpp"
#include "dispatcher.hpp"
#include "watchdog.hpp"
#include "../vm/session.hpp"

namespace ipmikit::bmc {

/// What a vm_link did, counted.
struct vm_link_stats {
  std::uint64_t requests = 0;           // request events
  std::uint64_t unanswered = 0;         // not answered: a response's netfn (the session reports it)
  std::uint64_t dropped_responses = 0;  // the session refused the response (its output is full)
  std::uint64_t events_logged = 0;      // watchdog events the SEL added
  std::uint64_t actions = 0;            // RESET, POWEROFF or NMI sent to the VM
  std::uint64_t actions_refused = 0;    // one the session refused (not connected, no capability)
};

/// The event handler that joins a vm::bmc_session, a dispatcher over `Context`, and the
/// Context's controller, watchdog and SEL (all held by reference; they outlive the link).
template <class Session, class Context, std::size_t Capacity, class Watchdog, class Sel>
  requires requires(Context& c) {
    { c.now() } -> std::convertible_to<typename Sel::time_point>;
  }
class vm_link {
 public:
  struct config {
    origin from{};                     // the system interface, at its highest privilege
    std::uint8_t watchdog_sensor = 0;  // the sensor number the watchdog's SEL events carry
  };

  constexpr vm_link(Session& session, dispatcher<Context, Capacity>& commands, Context& context, controller& mc,
                    Watchdog& timer, Sel& sel, const config& cfg = {}) noexcept
      : session_(session), commands_(commands), context_(context), mc_(mc), watchdog_(timer), sel_(sel), cfg_(cfg) {}

  // --- the session's events ------------------------------------------------------------------

  /// A request: answered by the dispatcher, the interface's state told first (so an enabled
  /// interrupt is raised, and attention is off once Clear Message Flags is answered). A response
  /// the session cannot take is discarded: the VM times the request out and may retry.
  constexpr void operator()(const vm::request_event& r) {
    ++stats_.requests;
    std::array<std::uint8_t, vm::max_message_size> out{};
    const dispatch_result answer = commands_.dispatch(context_, r.body, cfg_.from, out);
    if (!answer) {
      ++stats_.unanswered;
      return;
    }
    tell_interface();
    if (session_.respond(r.msg_id, std::span<const std::uint8_t>(out).first(answer.size)) != vm::session_error::ok) {
      (void)session_.discard(r.msg_id);
      ++stats_.dropped_responses;
    }
  }

  /// The emulator (re)announced its capabilities, as it does on every connection: QEMU drops
  /// attention when a connection closes, so attention is shown again if a flag is set.
  constexpr void operator()(const vm::capabilities_event&) {
    mc_.forget_attention();
    tell_interface();
  }

  /// The session's other events (version, hardware, protocol problems): nothing to do.
  template <class Event>
  constexpr void operator()(const Event&) noexcept {}

  // --- the watchdog's events -----------------------------------------------------------------

  /// The pre-timeout interrupt: logged; an NMI sent, or attention raised for the messaging
  /// interrupt (the watchdog's pre-timeout flag). SMI: a VM has none (the watchdog refuses it).
  template <class Clock>
  constexpr void operator()(const watchdog_pretimeout_event<Clock>& e) {
    log(e);
    if (e.interrupt == cmd::watchdog_pretimeout_interrupt::nmi) act(session_.send_nmi());
    tell_interface();
  }

  /// The timer expired: logged, then its action carried out. Power cycle is a RESET: the VM
  /// protocol has no power-on (OpenIPMI's ipmi_sim sends POWEROFF and starts the VM's process
  /// again itself; QEMU's ipmi-bmc-sim refuses power cycle), and with no process to restart, a
  /// reset is what brings the machine back.
  template <class Clock>
  constexpr void operator()(const watchdog_expiry_event<Clock>& e) {
    log(e);
    tell_interface();
    switch (e.action) {
      case cmd::watchdog_timeout_action::hard_reset:
      case cmd::watchdog_timeout_action::power_cycle: act(session_.send_reset()); break;
      case cmd::watchdog_timeout_action::power_down: act(session_.power_off()); break;
      case cmd::watchdog_timeout_action::none: break;
    }
  }

  [[nodiscard]] constexpr const vm_link_stats& stats() const noexcept { return stats_; }
  [[nodiscard]] constexpr const config& settings() const noexcept { return cfg_; }

 private:
  template <class Event>
  constexpr void log(const Event& e) {
    if (e.dont_log) return;
    const auto d = deliver_event(mc_, sel_, e.event.sel_record(0, 0, cfg_.watchdog_sensor),
                                 typename Sel::time_point(context_.now()));
    if (d.logged) ++stats_.events_logged;
  }

  constexpr void act(vm::session_error e) noexcept { ++(e == vm::session_error::ok ? stats_.actions : stats_.actions_refused); }

  /// What the controller says changed, told to the VM (ENABLE_IRQ / DISABLE_IRQ, ATTN / ATTN_IRQ
  /// / NOATTN). Attention that could not be told (on or off) is told at the next change that
  /// still wants it.
  constexpr void tell_interface() {
    if (!session_.connected()) return;
    const bool has_irq = session_.peer_capabilities().has(vm::capability::irq);
    const controller_changes c = mc_.take_changes(watchdog_.pretimeout_flag(), has_irq);
    if (c.receive_interrupt) (void)session_.enable_irq(*c.receive_interrupt);
    if (c.attention && session_.set_attention(c.attention->on, c.attention->interrupt) != vm::session_error::ok)
      mc_.attention_not_told(*c.attention);
  }

  Session& session_;
  dispatcher<Context, Capacity>& commands_;
  Context& context_;
  controller& mc_;
  Watchdog& watchdog_;
  Sel& sel_;
  config cfg_;
  vm_link_stats stats_{};
};

}  // namespace ipmikit::bmc
