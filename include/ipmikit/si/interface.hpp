// ipmikit/si/interface.hpp — what every system interface (KCS, BT and SSIF) shares:
// the vocabulary of its device and host machines, the contract each fulfils, and the loop that
// drives a host machine over a bus.
//
// A system interface (IPMI v2.0 §9 KCS, §11 BT, §12 SSIF) carries one request at a time from a
// host driver to a BMC and the response back. ipmikit has two machines per interface:
//
//   device  (kcs::device, bt::device, ssif::device)  what a host sees (a register file; SSIF:
//           an SMBus slave) and the BMC behind it, as an emulator or a BMC implements it. Host
//           accesses go in; `pending_request()` and `respond(id, bytes)` face the BMC. The
//           `si::device` concept below is the contract the emulator bridge (si/bridge.hpp) needs.
//   host    (kcs::host, bt::host, ssif::host)  a driver that never touches a port or a bus:
//           `start(request, now)`, then `next()` names an access (SSIF: an SMBus transfer),
//           the caller makes it and reports `complete(now, result)`, until `outcome()` is no
//           longer busy. `si::drive()` is that loop over any bus.
//
// ## The device contract
//
// - Request ids. Each request the device hands to the BMC gets a new id; `respond(id, …)` is
//   accepted only for the request that is waiting (`stale_request` otherwise), so a response
//   computed for a request the host abandoned can never reach a later request.
// - Abandoned requests are reported, never dropped silently. A host write, `service()` or
//   `reset()` that abandons the request the BMC had returns an event for which
//   `cancels_request(e)` is true: `request_cancelled`, or `request_replaced` when a newer request
//   took its place in the same write (BT: a host retrying after its timeout). The device counts
//   it in `stats().cancelled`.
// - `reset()` returns the device to its power-on state (statistics kept) and returns
//   `request_cancelled` when it abandoned a request whose transaction was not finished: not yet
//   answered, or its response not yet read by the host.
// - Attention (`set_attention(on, interrupt)`), the BMC's interrupt enable
//   (`set_interrupts_enabled`) and the interrupt line (`irq()`) mean the same on every device,
//   so the VM protocol's ATTN/ATTN_IRQ/NOATTN/ENABLE_IRQ/DISABLE_IRQ map onto any of them.
#pragma once

#include <array>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "../detail/enum_name.hpp"
#include "../message.hpp"

namespace ipmikit::si {

// ---------------------------------------------------------------------------------------------
// Device side

/// What a host access (or `service()`, `reset()`, a BMC call) changed that the BMC must know.
/// The values are bits: request_replaced is request_ready and request_cancelled at once.
enum class event : std::uint8_t {
  none = 0,
  request_ready = 1,        // a request is in pending_request(); answer it with respond()
  request_cancelled = 2,    // the request the BMC had was abandoned; a respond() for it is refused
  request_replaced = 3,     // the request the BMC had was abandoned and a newer one is pending
  request_rejected = 4,     // the host announced a malformed request; there is nothing to answer
  bmc_reset_requested = 8,  // the host asked for a BMC reset (BT BMC_HWRST); the BMC decides
};

[[nodiscard]] constexpr std::string_view name(event e) noexcept {
  switch (e) {
    case event::none: return "none";
    case event::request_ready: return "request_ready";
    case event::request_cancelled: return "request_cancelled";
    case event::request_replaced: return "request_replaced";
    case event::request_rejected: return "request_rejected";
    case event::bmc_reset_requested: return "bmc_reset_requested";
  }
  return {};
}

/// True when a (new) request waits in pending_request() after `e`.
[[nodiscard]] constexpr bool has_new_request(event e) noexcept {
  return (static_cast<unsigned>(e) & static_cast<unsigned>(event::request_ready)) != 0;
}

/// True when `e` abandoned the request the BMC had (its response will be refused).
[[nodiscard]] constexpr bool cancels_request(event e) noexcept {
  return (static_cast<unsigned>(e) & static_cast<unsigned>(event::request_cancelled)) != 0;
}

/// Why the BMC side's call was refused. Zero is success.
enum class device_error : std::uint8_t {
  ok = 0,
  no_request = 1,          // respond(): no request is waiting for a response
  stale_request = 2,       // respond(): the id is not the waiting request's (abandoned or old)
  response_too_short = 3,  // respond(): fewer than netfn/LUN, cmd and completion code
  response_too_long = 4,   // respond(): more than the device can carry
};

[[nodiscard]] constexpr std::string_view name(device_error e) noexcept {
  return ipmikit::detail::enum_name<device_error, 5>(
      e, {"ok", "no_request", "stale_request", "response_too_short", "response_too_long"});
}

/// A request as the BMC sees it: `bytes` = netfn<<2|lun, cmd, data…; valid until the next
/// call that changes the device. (Not ipmikit::request_view, which parses any message.)
struct device_request {
  std::uint32_t id = 0;
  std::span<const std::uint8_t> bytes;
};

/// The counters every device keeps; each interface's device_stats adds its own.
struct device_stats {
  std::uint64_t requests = 0;           // requests handed to the BMC
  std::uint64_t responses = 0;          // responses accepted by respond()
  std::uint64_t responses_refused = 0;  // respond() calls refused
  std::uint64_t cancelled = 0;          // requests the BMC had that were abandoned
};

/// The device contract (see the header comment): what the emulator bridge needs.
template <class D>
concept device = requires(D& d, const D& cd, std::uint32_t id, std::span<const std::uint8_t> bytes,
                          bool on) {
  { cd.pending_request()->id } -> std::convertible_to<std::uint32_t>;
  { cd.pending_request()->bytes } -> std::convertible_to<std::span<const std::uint8_t>>;
  { d.respond(id, bytes) } -> std::same_as<device_error>;
  { d.service() } -> std::same_as<event>;
  { d.reset() } -> std::same_as<event>;
  d.set_attention(on, on);
  { cd.attention() } -> std::same_as<bool>;
  d.set_interrupts_enabled(on);
  { cd.interrupts_enabled() } -> std::same_as<bool>;
  { cd.irq() } -> std::same_as<bool>;
  { cd.stats() } -> std::convertible_to<const device_stats&>;
};

// ---------------------------------------------------------------------------------------------
// Host side

/// Where a host machine is, as a caller sees it.
enum class outcome : std::uint8_t {
  idle = 0,    // no transaction yet
  busy = 1,    // a transaction is running: follow next()
  done = 2,    // response() holds the response
  failed = 3,  // the transaction is over without a response; problem() says why
  hosed = 4,   // the interface is not following the protocol; reset() before the next start
};

[[nodiscard]] constexpr std::string_view name(outcome o) noexcept {
  return ipmikit::detail::enum_name<outcome, 5>(o, {"idle", "busy", "done", "failed", "hosed"});
}

/// Why start() was refused (local errors). Zero is success.
enum class host_error : std::uint8_t {
  ok = 0,
  busy = 1,               // a transaction is running
  hosed = 2,              // call reset() first
  request_too_short = 3,  // a request needs netfn/LUN and cmd
  request_too_long = 4,   // more than the host's capacity or what the interface carries
};

[[nodiscard]] constexpr std::string_view name(host_error e) noexcept {
  return ipmikit::detail::enum_name<host_error, 5>(e, {"ok", "busy", "hosed", "request_too_short", "request_too_long"});
}

/// The access a host machine asks for next. `Access` is the interface's list of accesses
/// (kcs::access, bt::access); `none` means nothing to do.
template <class Access>
struct basic_action {
  Access kind{};
  std::uint8_t value = 0;  // for writes
  bool repeat = false;     // a poll whose previous read did not satisfy the wait

  friend constexpr bool operator==(const basic_action&, const basic_action&) noexcept = default;
};

/// The counters every host machine keeps; each interface's host_stats adds its own.
struct host_stats {
  std::uint64_t transactions = 0;  // start() calls accepted
  std::uint64_t done = 0;
  std::uint64_t failed = 0;
  std::uint64_t hosed = 0;
  std::uint64_t retries = 0;   // requests sent again (after an abort sequence or a timeout)
  std::uint64_t accesses = 0;  // accesses completed
  std::uint64_t polls = 0;     // status reads that did not satisfy a wait
};

/// The host contract. `complete(now, result)` is not part of it: what an access returns is the
/// interface's (a register byte for KCS and BT, a transfer result for SSIF).
template <class H>
concept host_machine = requires(H& h, const H& ch, std::span<const std::uint8_t> request,
                                typename H::time_point now) {
  { h.start(request, now) } -> std::same_as<host_error>;
  { ch.next().repeat } -> std::convertible_to<bool>;
  h.cancel(now);
  h.reset();
  { ch.outcome() } -> std::same_as<outcome>;
  { ch.response() } -> std::convertible_to<std::span<const std::uint8_t>>;
  { ch.next_deadline() } -> std::same_as<std::optional<typename H::time_point>>;
  { ch.stats() } -> std::convertible_to<const host_stats&>;
};

/// What every host machine keeps and does alike, as the base of kcs::basic_host and
/// bt::basic_host (`Derived`, which provides `step(now, value)`, the transition function):
/// the outcome, the access to make next, the last problem (`Problem`: none, no_device, …), the
/// attempts, the statistics (`Stats`, derived from host_stats), the clock of the current wait,
/// and the response read. A derived machine's stage matters only while busy.
/// `Action` is what next() returns (basic_action<Access> for a register interface; SSIF's
/// carries a whole SMBus transfer) and `Result` what an access returns to complete() (the
/// register byte read; SSIF's transfer result).
template <class Derived, class Clock, class Access, class Problem, class Stats, std::size_t Capacity,
          class Action = basic_action<Access>, class Result = std::uint8_t>
class basic_host_machine {
 public:
  using clock = Clock;
  using time_point = typename Clock::time_point;
  using duration = typename Clock::duration;
  using action = Action;
  using access_result = Result;
  static constexpr std::size_t capacity = Capacity;

  /// The access to make now (kind none unless busy).
  [[nodiscard]] constexpr action next() const noexcept { return action_; }

  /// Reports the access next() named as made, at `now`; `value` is what it returned (a
  /// register read's byte, ignored for writes; SSIF: the transfer's result). Does nothing
  /// unless busy.
  // complete() and step() are inlined into the caller's loop (g++ -O2 inlines neither by itself,
  // and a call per access made bench/kcs_bench.cpp's transaction 25–30 % slower).
  [[gnu::always_inline]] constexpr void complete(time_point now, Result value = {}) noexcept {
    if (outcome_ != si::outcome::busy) return;
    ++stats_.accesses;
    static_cast<Derived&>(*this).step(now, value);
  }

  /// Forgets a hosed (or any) state.
  constexpr void reset() noexcept {
    outcome_ = si::outcome::idle;
    action_ = {};
    cancelling_ = false;
  }

  [[nodiscard]] constexpr si::outcome outcome() const noexcept { return outcome_; }
  /// The response (netfn<<2|lun, cmd, completion code, data…) once done; after a failure, what
  /// was read of it (for diagnosis).
  [[nodiscard]] constexpr std::span<const std::uint8_t> response() const noexcept {
    return {response_.data(), response_length_};
  }
  /// The last thing that went wrong, including ones a retry fixed (none if nothing did).
  [[nodiscard]] constexpr Problem problem() const noexcept { return problem_; }
  /// Times the request was sent in the current (or last) transaction.
  [[nodiscard]] constexpr unsigned attempts() const noexcept { return attempts_; }
  [[nodiscard]] constexpr const Stats& stats() const noexcept { return stats_; }

 protected:
  /// start()'s refusals, before it changes anything; `max_request` is the longest request.
  [[nodiscard]] constexpr host_error refusal(std::span<const std::uint8_t> request,
                                             std::size_t max_request) const noexcept {
    if (outcome_ == si::outcome::busy) return host_error::busy;
    if (outcome_ == si::outcome::hosed) return host_error::hosed;
    if (request.size() < request_view::min_size) return host_error::request_too_short;
    if (request.size() > max_request) return host_error::request_too_long;
    return host_error::ok;
  }

  /// A transaction begins: busy, its first attempt, nothing read or gone wrong yet.
  constexpr void begin_transaction() noexcept {
    response_length_ = 0;
    problem_ = Problem::none;
    attempts_ = 1;
    first_read_ = true;
    cancelling_ = false;
    outcome_ = si::outcome::busy;
    ++stats_.transactions;
  }

  /// The status register read `value`: true when it was the transaction's first read and showed
  /// no device (0xFF, with `detect` on); the machine has then failed with Problem::no_device.
  constexpr bool no_device(std::uint8_t value, bool detect) noexcept {
    if (!first_read_) return false;
    first_read_ = false;
    if (!detect || value != 0xFF) return false;
    problem_ = Problem::no_device;
    finish(si::outcome::failed);
    return true;
  }

  constexpr void finish(si::outcome o) noexcept {
    outcome_ = o;
    action_ = {};
    cancelling_ = false;
    if (o == si::outcome::done) ++stats_.done;
    if (o == si::outcome::failed) ++stats_.failed;
    if (o == si::outcome::hosed) ++stats_.hosed;
  }

  /// A wait begins at `now`: its clock and poll count start.
  constexpr void start_clock(time_point now) noexcept {
    wait_since_ = now;
    polls_ = 0;
  }
  /// The wait's condition does not hold yet: read the status again.
  constexpr void keep_polling() noexcept {
    ++stats_.polls;
    action_.repeat = true;
  }
  [[nodiscard]] constexpr bool wait_expired(time_point now, duration limit, std::uint32_t max_polls) const noexcept {
    const duration elapsed = now > wait_since_ ? now - wait_since_ : duration::zero();
    return elapsed >= limit || (max_polls != 0 && polls_ >= max_polls);
  }

  si::outcome outcome_ = si::outcome::idle;
  action action_{};
  Problem problem_ = Problem::none;
  time_point wait_since_{};
  std::uint32_t polls_ = 0;  // status reads in the current wait
  unsigned attempts_ = 0;
  bool first_read_ = false;
  bool cancelling_ = false;
  std::size_t response_length_ = 0;
  std::array<std::uint8_t, Capacity> response_{};  // NetFn/LUN, Cmd, cc, data…
  Stats stats_{};
};

/// Runs `machine` until it leaves `busy` or `max_accesses` accesses were made: each access is
/// made by `perform(bus, machine.next())`, and what it returns is reported with
/// `machine.complete(now(), result)`. `bus.idle()`, if it exists, is called before each repeated
/// poll (the place to let an in-memory BMC work, or to sleep). Returns the outcome (busy if the
/// budget ran out). kcs::drive() and bt::drive() are this with their register operations.
template <host_machine Machine, class Bus, class Perform, class Now>
constexpr outcome drive(Machine& machine, Bus& bus, Perform&& perform, Now&& now,
                        std::size_t max_accesses) {
  for (std::size_t i = 0; i < max_accesses && machine.outcome() == outcome::busy; ++i) {
    const auto a = machine.next();
    if constexpr (requires { bus.idle(); }) {
      if (a.repeat) bus.idle();
    }
    const auto result = perform(bus, a);
    machine.complete(now(), result);
  }
  return machine.outcome();
}

/// drive() over a register interface, each access made by the interface's own
/// `perform(bus, action)` (kcs::perform, bt::perform: found by the action's type); `kcs::drive`
/// and `bt::drive` are this.
template <host_machine Machine, class Bus, class Now>
  requires requires(Bus& bus, const Machine& m) { perform(bus, m.next()); }
constexpr outcome drive(Machine& machine, Bus& bus, Now&& now, std::size_t max_accesses) {
  return drive(machine, bus, [](Bus& b, const auto& a) { return perform(b, a); }, now, max_accesses);
}

}  // namespace ipmikit::si
