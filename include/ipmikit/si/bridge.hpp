// ipmikit/si/bridge.hpp — a system-interface device connected to a VM-protocol emulator session:
// the glue an emulator writes between its device model and its BMC connection, written once.
//
//   host driver ⇄ Device (kcs::device, bt::device, …) ⇄ emulator_bridge ⇄ vm::emulator_session ⇄ bytes ⇄ BMC
//
// What QEMU does between isa-ipmi-kcs / isa-ipmi-bt and ipmi-bmc-extern:
//
// - A complete request in the device goes to the session, one at a time (QEMU keeps one
//   outstanding request; a newer request waits until the older one is answered or times out).
// - The session's response goes back to the device with `respond()`. If the host abandoned the
//   request meanwhile (abort, restart, a BT retry that replaced it), the device refuses it as
//   stale and the response is dropped (counted): it can never reach a later request. A response
//   the device cannot carry (longer than its buffer) reaches the host as an error response
//   (0xC6) instead, so the host is answered rather than left to time out.
// - Responses the session makes itself (0xC3 after its timeout, 0xD2 while disconnected, 0xC6,
//   0xC7: vm/session.hpp) reach the device the same way.
// - The BMC's hardware commands that belong to the interface are applied to the device:
//   ATTN → set_attention(true, false), ATTN_IRQ → set_attention(true, true), NOATTN →
//   set_attention(false), ENABLE_IRQ / DISABLE_IRQ → set_interrupts_enabled(). POWEROFF, RESET,
//   SEND_NMI and GRACEFUL_SHUTDOWN are the machine's: the caller acts on them.
//
// Every session event is also handed to the caller's handler after the bridge has acted on it
// (so the caller can log it, and must act on the machine's commands); the handler is called
// with each of the session's event types (vm/session.hpp), a generic lambda is the usual one.
//
// The bridge holds references to a device and a session it does not own; no heap, no clock
// (every call takes `now`), no I/O: the caller still moves the session's bytes
// (`session.outbound(now)` / `consume`) and feeds what arrives through `receive()`. After a host
// access that returned an event (or simply after every access, it is cheap), call `forward(now)`.
// With a device in deferred mode the caller calls `device.service()` as its firmware would.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <type_traits>

#include "../vm/session.hpp"
#include "interface.hpp"

namespace ipmikit::si {

struct bridge_stats {
  std::uint64_t forwarded = 0;        // requests sent into the session
  std::uint64_t delivered = 0;        // responses the device accepted
  std::uint64_t dropped = 0;          // responses the device refused: the host abandoned the request
  std::uint64_t local = 0;            // responses (delivered or dropped) the session made itself
  std::uint64_t commands_applied = 0;  // ATTN, ATTN_IRQ, NOATTN, ENABLE_IRQ, DISABLE_IRQ
  std::uint64_t would_block = 0;      // forward() found the session's outbound buffer full
};

/// A handler that ignores every event, for calls whose events the caller does not need.
struct ignore_events {
  template <class Event>
  constexpr void operator()(const Event&) const noexcept {}
};

template <device Device, class Session>
class emulator_bridge {
 public:
  using time_point = typename Session::time_point;

  constexpr emulator_bridge(Device& device, Session& session) noexcept
      : device_(device), session_(session) {}

  // --- device → session ------------------------------------------------------------------------

  /// Sends the device's pending request to the session if it was not sent yet and the session
  /// has no request outstanding. Returns true when one was sent (a local answer from the
  /// session, e.g. 0xD2 while disconnected, is delivered to the device before this returns).
  template <class Handler = ignore_events>
  constexpr bool forward(time_point now, Handler&& handler = {}) {
    const auto request = device_.pending_request();
    if (!request || forwarded_ == request->id || session_.request_outstanding()) return false;
    in_flight_ = request->id;
    const auto e = session_.send_request(next_msg_id_, request->bytes, now, router(handler));
    if (e != vm::session_error::ok) {  // would_block: try again on the next call
      in_flight_.reset();
      ++stats_.would_block;
      return false;
    }
    forwarded_ = request->id;
    ++next_msg_id_;
    ++stats_.forwarded;
    return true;
  }

  // --- session side: the session's calls, with the routing -------------------------------------

  template <class Handler = ignore_events>
  constexpr void connect(time_point now, Handler&& handler = {}) {
    session_.connect(now, router(handler));
    forward(now, handler);
  }

  /// The connection dropped: the session answers an outstanding request with 0xD2.
  template <class Handler = ignore_events>
  constexpr void disconnect(time_point now, Handler&& handler = {}) {
    session_.disconnect(now, router(handler));
    forward(now, handler);
  }

  /// Bytes from the BMC.
  template <class Handler = ignore_events>
  constexpr void receive(std::span<const std::uint8_t> bytes, time_point now, Handler&& handler = {}) {
    session_.receive(bytes, now, router(handler));
    forward(now, handler);
  }

  /// The session's timers (the 0xC3 answer to a request the BMC did not answer in time).
  template <class Handler = ignore_events>
  constexpr void poll(time_point now, Handler&& handler = {}) {
    session_.poll(now, router(handler));
    forward(now, handler);
  }

  /// A handler for a session call the caller makes itself: routes, then calls `handler`.
  template <class Handler>
  [[nodiscard]] constexpr auto router(Handler& handler) {
    return [this, &handler](const auto& e) {
      this->route(e);  // `this->`: clang 14 otherwise calls the capture unused in a generic lambda
      handler(e);
    };
  }

  // --- state -----------------------------------------------------------------------------------

  /// The device request id whose response the session is waiting for, if any.
  [[nodiscard]] constexpr std::optional<std::uint32_t> in_flight() const noexcept { return in_flight_; }
  [[nodiscard]] constexpr const bridge_stats& stats() const noexcept { return stats_; }
  [[nodiscard]] constexpr Device& device() noexcept { return device_; }
  [[nodiscard]] constexpr Session& session() noexcept { return session_; }

 private:
  template <class Event>
  constexpr void route(const Event& e) {
    if constexpr (std::is_same_v<Event, vm::response_event>) {
      if (e.local) ++stats_.local;
      ++(in_flight_ && deliver(*in_flight_, e.body) ? stats_.delivered : stats_.dropped);
      in_flight_.reset();
    } else if constexpr (std::is_same_v<Event, vm::hardware_event>) {
      switch (e.code) {
        case vm::command::attention: device_.set_attention(true, false); break;
        case vm::command::attention_irq: device_.set_attention(true, true); break;
        case vm::command::no_attention: device_.set_attention(false, false); break;
        case vm::command::enable_irq: device_.set_interrupts_enabled(true); break;
        case vm::command::disable_irq: device_.set_interrupts_enabled(false); break;
        default: return;  // the machine's (power off, reset, NMI, shutdown): the caller's
      }
      ++stats_.commands_applied;
    }
  }

  // Gives the device the response; one it cannot carry becomes an error response so the host
  // is answered rather than left to time out (0xC6 for too long, as the session answers a
  // response frame too long for it; 0xFF for too short).
  constexpr bool deliver(std::uint32_t id, std::span<const std::uint8_t> body) {
    const device_error e = device_.respond(id, body);
    if (e == device_error::ok) return true;
    if ((e != device_error::response_too_long && e != device_error::response_too_short) ||
        body.size() < 2)
      return false;
    const auto cc = e == device_error::response_too_long ? completion_code::request_data_truncated
                                                         : completion_code::unspecified;
    const std::uint8_t error_response[3] = {body[0], body[1], static_cast<std::uint8_t>(cc)};
    return device_.respond(id, error_response) == device_error::ok;
  }

  Device& device_;
  Session& session_;
  std::optional<std::uint32_t> forwarded_;  // the last device request sent (never twice)
  std::optional<std::uint32_t> in_flight_;  // the device request the session waits on
  std::uint8_t next_msg_id_ = 0;
  bridge_stats stats_{};
};

}  // namespace ipmikit::si
