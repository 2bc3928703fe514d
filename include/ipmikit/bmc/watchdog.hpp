// ipmikit/bmc/watchdog.hpp — the BMC watchdog timer (IPMI v2.0 §27) as a component: Set, Get and
// Reset Watchdog Timer, the countdown in 100 ms units, the pre-timeout interrupt, the expiry with
// its timeout action, the timer use expiration flags, the pre-timeout message flag, and the
// Watchdog 2 sensor event (§42.2 table 42-3) each of those would log.
//
//   bmc::watchdog wd;                                        // steady_clock
//   wd.set(request, now);                                    // Set Watchdog Timer: a completion code
//   wd.reset(now);                                           // Reset Watchdog Timer
//   wd.poll(now, [&](const auto& event) { ... });            // pre-timeout / expiry, when due
//   if (auto t = wd.next_deadline()) sleep_until(*t);
//   bmc::add_watchdog_commands<&my_bmc::wd>(dispatcher);     // the three commands; my_bmc::now()
//
// Sans-IO: no clock (every call takes `now`, a Clock::time_point; Clock::now() is never called),
// no heap, no exceptions, no I/O. Everything is constexpr. The event message buffer, the SEL and
// the power actions are the owner's: poll() reports what happened, the owner carries it out.
// docs/bmc-core.md, "The watchdog".
#pragma once

#include <array>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ratio>
#include <span>
#include <type_traits>

#include "../cmd/app.hpp"
#include "../cmd/codec.hpp"
#include "../cmd/sel.hpp"
#include "../message.hpp"
#include "dispatcher.hpp"

namespace ipmikit::bmc {

// ---------------------------------------------------------------------------------------------
// Numbers

/// The countdown's unit: 100 ms (IPMI v2.0 §27.6, initial countdown bytes 5-6).
using watchdog_tenths = std::chrono::duration<std::int64_t, std::deci>;

inline constexpr std::uint8_t watchdog2_sensor_type = 0x23;        // IPMI v2.0 §42.2 table 42-3: Watchdog 2
inline constexpr std::uint8_t sensor_specific_event_type = 0x6F;   // IPMI v2.0 §42.1 table 42-1: sensor-specific
inline constexpr std::uint8_t watchdog2_timer_interrupt = 0x08;    // IPMI v2.0 §42.2 table 42-3: offset 08h
// Offsets 00h timer expired, 01h hard reset, 02h power down, 03h power cycle (IPMI v2.0 §42.2
// table 42-3): the numbers of the timeout actions none, hard reset, power down, power cycle.
inline constexpr std::uint8_t event_data1_byte2_extension = 0xC0;  // IPMI v2.0 §29.7 table 29-6: [7:6]=11b, byte 2 is a sensor-specific extension
inline constexpr std::uint8_t event_data_unspecified = 0xFF;       // IPMI v2.0 §29.7 table 29-6: FFh = unspecified byte 3
inline constexpr std::uint8_t bmc_generator_address = 0x20;        // IPMI v2.0 §5.5: the BMC's slave address as generator ID

// ---------------------------------------------------------------------------------------------
// Events

/// The Watchdog 2 sensor event a pre-timeout or an expiry carries (IPMI v2.0 §42.2 table 42-3):
/// sensor type 23h, sensor-specific, assertion; event data 1 = C0h | offset, event data 2 =
/// interrupt type [7:4] and timer use [3:0] at the event, event data 3 unspecified.
struct watchdog_event_data {
  std::uint8_t sensor_type = watchdog2_sensor_type;
  std::uint8_t event_type = sensor_specific_event_type;
  std::array<std::uint8_t, 3> data{};  // event data 1-3

  /// The Watchdog 2 offset: 00h-03h expired / hard reset / power down / power cycle, 08h timer
  /// interrupt.
  [[nodiscard]] constexpr std::uint8_t offset() const noexcept { return static_cast<std::uint8_t>(data[0] & 0x0F); }

  /// The event as a system event SEL record (IPMI v2.0 §32.1), for the SEL or the event message
  /// buffer (§22.8). The record ID, the timestamp and the sensor number are the owner's.
  [[nodiscard]] constexpr cmd::sel_record sel_record(std::uint16_t record_id, std::uint32_t timestamp,
                                                     std::uint8_t sensor_number,
                                                     std::uint8_t generator_address = bmc_generator_address) const noexcept {
    cmd::sel_record r;
    r.record_id = record_id;
    r.record_type = cmd::sel_type_system_event;
    r.timestamp = timestamp;
    r.generator_address = generator_address;
    r.evm_revision = cmd::evm_revision_2_0;
    r.sensor_type = sensor_type;
    r.sensor_number = sensor_number;
    r.event_type = event_type;
    r.event_data = data;
    return r;
  }
  friend constexpr bool operator==(const watchdog_event_data&, const watchdog_event_data&) noexcept = default;
};

/// The pre-timeout interrupt fired (it fires once per countdown).
template <class Clock>
struct watchdog_pretimeout_event {
  cmd::watchdog_pretimeout_interrupt interrupt = cmd::watchdog_pretimeout_interrupt::none;  // what to raise
  cmd::watchdog_timer_use timer_use = cmd::watchdog_timer_use::none;
  bool dont_log = false;                 // the timer's "don't log" bit: the owner logs no event
  typename Clock::time_point due{};      // when it was due (poll may come later)
  typename Clock::time_point expires{};  // when the timer will expire
  watchdog_event_data event{};           // offset 08h, timer interrupt
};

/// The timer expired: it has stopped, its present countdown is 0 and the expiration flag of its
/// timer use is set. The owner carries out `action`.
template <class Clock>
struct watchdog_expiry_event {
  cmd::watchdog_timer_use timer_use = cmd::watchdog_timer_use::none;
  cmd::watchdog_timeout_action action = cmd::watchdog_timeout_action::none;
  cmd::watchdog_pretimeout_interrupt interrupt = cmd::watchdog_pretimeout_interrupt::none;
  bool dont_log = false;             // the timer's "don't log" bit: the owner logs no event
  typename Clock::time_point due{};  // when it was due (poll may come later)
  watchdog_event_data event{};       // offset 00h-03h: the action
};

/// What the platform can carry out. Set Watchdog Timer refuses a pre-timeout interrupt or a
/// timeout action it cannot: SMI as an invalid value (0xCC; a platform without SMI, such as a
/// VM, never has one), the others with 0xD5, "not supported in present state" (a VM may offer
/// them later). The owner may change it at any time (set_support); an armed timer keeps its
/// settings, and enforceable() says whether they can still be carried out.
struct watchdog_support {
  bool smi = false;
  bool nmi = true;
  bool messaging = true;
  bool hard_reset = true;
  bool power_down = true;
  bool power_cycle = true;

  /// Indexed by the code (IPMI v2.0 §27.6); none is always possible.
  [[nodiscard]] constexpr bool can(cmd::watchdog_pretimeout_interrupt p) const noexcept {
    using s = watchdog_support;
    return supports<s, cmd::watchdog_pretimeout_interrupt, 4>(*this, p, {nullptr, &s::smi, &s::nmi, &s::messaging});
  }
  [[nodiscard]] constexpr bool can(cmd::watchdog_timeout_action a) const noexcept {
    using s = watchdog_support;
    return supports<s, cmd::watchdog_timeout_action, 4>(*this, a, {nullptr, &s::hard_reset, &s::power_down,
                                                                    &s::power_cycle});
  }
  friend constexpr bool operator==(const watchdog_support&, const watchdog_support&) noexcept = default;
};

// ---------------------------------------------------------------------------------------------
// The watchdog

template <class Clock>
class basic_watchdog {
 public:
  using clock = Clock;
  using time_point = typename Clock::time_point;
  using duration = typename Clock::duration;
  using pretimeout_event = watchdog_pretimeout_event<Clock>;
  using expiry_event = watchdog_expiry_event<Clock>;
  static_assert(!std::chrono::treat_as_floating_point_v<typename duration::rep>,
                "the watchdog rounds deadlines up to the clock's tick: an integer clock is needed");

  constexpr basic_watchdog() noexcept = default;
  constexpr explicit basic_watchdog(const watchdog_support& s) noexcept : support_(s) {}

  // --- the commands ------------------------------------------------------------------------

  /// Set Watchdog Timer (IPMI v2.0 §27.6). Refused, and nothing changes: a reserved timer use,
  /// interrupt or action (0xCC; a typed request can only hold one by a cast), SMI when the
  /// platform has none (0xCC), another interrupt or action it cannot carry out (0xD5).
  /// Otherwise it stores the settings, clears the expiration flags `r.clear_expiration_flags`
  /// names and the pre-timeout message flag; without "don't stop" it stops the timer (the
  /// present countdown reads the initial one); with it, a running timer starts over from the
  /// new countdown at `now` and a stopped one stays stopped.
  constexpr completion_code set(const cmd::set_watchdog_timer::request& r, time_point now) noexcept {
    const auto use = static_cast<unsigned>(r.timer_use);
    const auto pre = static_cast<unsigned>(r.pretimeout_interrupt);
    const auto act = static_cast<unsigned>(r.timeout_action);
    // Timer use 0, 6, 7, interrupts 4-7 and actions 4-7 are reserved (IPMI v2.0 §27.6).
    if (use == 0 || use > 5 || pre > 3 || act > 3) return completion_code::invalid_data_field;
    if (r.pretimeout_interrupt == cmd::watchdog_pretimeout_interrupt::smi && !support_.smi)
      return completion_code::invalid_data_field;
    if (!support_.can(r.pretimeout_interrupt) || !support_.can(r.timeout_action))
      return completion_code::not_supported_in_present_state;

    const bool keep_running = r.dont_stop && running_;  // "don't stop" (IPMI v2.0 §27.6 byte 1 b6)
    initialized_ = true;
    use_ = r.timer_use;
    dont_log_ = r.dont_log;
    pre_ = r.pretimeout_interrupt;
    action_ = r.timeout_action;
    interval_s_ = r.pretimeout_interval;
    expired_ = static_cast<std::uint8_t>(expired_ & ~r.clear_expiration_flags.to_byte());
    initial_ = r.initial_countdown;
    if (keep_running) {
      start(now);  // the countdown goes on from the new value
    } else {
      running_ = false;
      pretimeout_fired_ = false;
      stopped_count_ = initial_;
    }
    pretimeout_flag_ = false;  // Set Watchdog Timer clears the pre-timeout flag, running or not
    return completion_code::success;
  }

  /// Reset Watchdog Timer (IPMI v2.0 §27.5): starts or restarts the countdown from the initial
  /// value at `now`. 0x80 before any Set; 0xD5 once this countdown's pre-timeout interrupt has
  /// fired (§27.5: the timer is not restarted then; only Set stops it) and nothing changes.
  constexpr completion_code reset(time_point now) noexcept {
    if (!initialized_) return cmd::watchdog_not_initialized;
    if (running_ && pretimeout_fired_) return completion_code::not_supported_in_present_state;
    start(now);
    return completion_code::success;
  }

  /// Get Watchdog Timer (IPMI v2.0 §27.7) at `now`: the settings, the expiration flags, the
  /// initial countdown and the present one (100 ms units, rounded up: the initial value right
  /// after a reset, 0 once the deadline has passed).
  [[nodiscard]] constexpr cmd::get_watchdog_timer::response get(time_point now) const noexcept {
    cmd::get_watchdog_timer::response g;
    g.timer_use = use_;
    g.running = running_;
    g.dont_log = dont_log_;
    g.pretimeout_interrupt = pre_;
    g.timeout_action = action_;
    g.pretimeout_interval = interval_s_;
    g.expiration_flags = cmd::watchdog_expiration_flags::from_byte(expired_);
    g.initial_countdown = initial_;
    g.present_countdown = present_countdown(now);
    return g;
  }

  // --- time --------------------------------------------------------------------------------

  /// Reports what is due at `now`, in order: the pre-timeout (handler(pretimeout_event)), then
  /// the expiry (handler(expiry_event)). Each fires once per countdown: a later poll, even at a
  /// `now` far past the deadline, reports nothing again; a `now` before a deadline reports
  /// nothing. The state is updated before each call, so the handler may call set/reset/get.
  /// Returns the number of events reported.
  template <class Handler>
  constexpr unsigned poll(time_point now, Handler&& handler) {
    unsigned n = 0;
    if (pretimeout_pending() && now >= pretimeout_at()) {
      pretimeout_fired_ = true;
      if (pre_ == cmd::watchdog_pretimeout_interrupt::messaging) pretimeout_flag_ = true;
      const pretimeout_event e{pre_, use_, dont_log_, pretimeout_at(), expires_, event_data(watchdog2_timer_interrupt)};
      ++n;
      handler(e);
    }
    if (running_ && now >= expires_) {
      const expiry_event e{use_, action_, pre_, dont_log_, expires_, event_data(static_cast<std::uint8_t>(action_))};
      running_ = false;
      stopped_count_ = 0;
      expired_ = static_cast<std::uint8_t>(expired_ | (1u << static_cast<unsigned>(use_)));
      ++n;
      handler(e);
    }
    return n;
  }

  /// True when poll(now) would report an event.
  [[nodiscard]] constexpr bool due(time_point now) const noexcept {
    if (!running_) return false;
    return now >= expires_ || (pretimeout_pending() && now >= pretimeout_at());
  }

  /// When poll() has something to report next: the pre-timeout while it is pending, else the
  /// expiry; none while the timer is stopped.
  [[nodiscard]] constexpr std::optional<time_point> next_deadline() const noexcept {
    if (!running_) return std::nullopt;
    if (pretimeout_pending() && pretimeout_at() < expires_) return pretimeout_at();
    return expires_;
  }

  /// Stops the timer without a command (the host went away, say): the present countdown is
  /// kept, the settings and flags stay, and the next Reset starts it again from the initial
  /// countdown. Nothing is reported.
  constexpr void stop(time_point now) noexcept {
    if (!running_) return;
    stopped_count_ = present_countdown(now);
    running_ = false;
  }

  // --- flags and state ----------------------------------------------------------------------

  /// The pre-timeout message flag (IPMI v2.0 §22.4 bit 3): set when a messaging pre-timeout
  /// interrupt fires, cleared by Set Watchdog Timer and by clear_pretimeout_flag() (the
  /// owner's Clear Message Flags). The owner's Get Message Flags reports it.
  [[nodiscard]] constexpr bool pretimeout_flag() const noexcept { return pretimeout_flag_; }
  constexpr void clear_pretimeout_flag() noexcept { pretimeout_flag_ = false; }

  /// The timer use expiration flags (Get byte 4): set on expiry, cleared by Set's byte 4.
  [[nodiscard]] constexpr cmd::watchdog_expiration_flags expiration_flags() const noexcept {
    return cmd::watchdog_expiration_flags::from_byte(expired_);
  }

  [[nodiscard]] constexpr bool initialized() const noexcept { return initialized_; }
  [[nodiscard]] constexpr bool running() const noexcept { return running_; }
  [[nodiscard]] constexpr bool pretimeout_fired() const noexcept { return pretimeout_fired_; }
  [[nodiscard]] constexpr cmd::watchdog_timer_use timer_use() const noexcept { return use_; }
  [[nodiscard]] constexpr bool dont_log() const noexcept { return dont_log_; }
  [[nodiscard]] constexpr cmd::watchdog_pretimeout_interrupt pretimeout_interrupt() const noexcept { return pre_; }
  [[nodiscard]] constexpr cmd::watchdog_timeout_action timeout_action() const noexcept { return action_; }
  [[nodiscard]] constexpr std::uint8_t pretimeout_interval() const noexcept { return interval_s_; }
  [[nodiscard]] constexpr std::uint16_t initial_countdown() const noexcept { return initial_; }

  /// The present countdown at `now`, 100 ms units rounded up; never more than the initial one
  /// (a clock that went backwards does not make it grow).
  [[nodiscard]] constexpr std::uint16_t present_countdown(time_point now) const noexcept {
    if (!running_) return stopped_count_;
    if (now >= expires_) return 0;
    const auto left = std::chrono::ceil<watchdog_tenths>(expires_ - now).count();
    return left >= initial_ ? initial_ : static_cast<std::uint16_t>(left);
  }

  [[nodiscard]] constexpr const watchdog_support& support() const noexcept { return support_; }
  constexpr void set_support(const watchdog_support& s) noexcept { support_ = s; }
  /// Whether the platform can carry out the present settings' interrupt and action (support
  /// may have changed since Set accepted them).
  [[nodiscard]] constexpr bool enforceable() const noexcept { return support_.can(pre_) && support_.can(action_); }

 private:
  [[nodiscard]] constexpr bool pretimeout_pending() const noexcept {
    return running_ && pre_ != cmd::watchdog_pretimeout_interrupt::none && !pretimeout_fired_;
  }
  [[nodiscard]] constexpr time_point pretimeout_at() const noexcept {
    return expires_ - std::chrono::ceil<duration>(std::chrono::seconds(interval_s_));
  }
  constexpr void start(time_point now) noexcept {
    running_ = true;
    pretimeout_fired_ = false;
    expires_ = now + std::chrono::ceil<duration>(watchdog_tenths(initial_));
  }
  [[nodiscard]] constexpr watchdog_event_data event_data(std::uint8_t offset) const noexcept {
    watchdog_event_data e;
    e.data = {static_cast<std::uint8_t>(event_data1_byte2_extension | offset),
              static_cast<std::uint8_t>((static_cast<unsigned>(pre_) << 4) | static_cast<unsigned>(use_)),
              event_data_unspecified};
    return e;
  }

  watchdog_support support_{};
  bool initialized_ = false;
  bool running_ = false;
  bool pretimeout_fired_ = false;  // this countdown's pre-timeout interrupt has fired
  bool pretimeout_flag_ = false;
  bool dont_log_ = false;
  cmd::watchdog_timer_use use_ = cmd::watchdog_timer_use::none;
  cmd::watchdog_pretimeout_interrupt pre_ = cmd::watchdog_pretimeout_interrupt::none;
  cmd::watchdog_timeout_action action_ = cmd::watchdog_timeout_action::none;
  std::uint8_t interval_s_ = 0;     // pre-timeout interval, seconds
  std::uint8_t expired_ = 0;        // timer use expiration flags, Get byte 4
  std::uint16_t initial_ = 0;       // initial countdown, 100 ms units
  std::uint16_t stopped_count_ = 0; // the present countdown while stopped
  time_point expires_{};
};

using watchdog = basic_watchdog<std::chrono::steady_clock>;

// ---------------------------------------------------------------------------------------------
// The three commands on a dispatcher

/// A Context whose watchdog member `Member` the three commands drive, and which says what time
/// it is: `context.now()` returns the watchdog clock's time_point (the dispatcher has no clock).
template <class Context, auto Member>
concept watchdog_context = component_context<Context, Member, basic_watchdog>;

/// Registers Reset (operator), Set (operator) and Get Watchdog Timer (user) — the privileges of
/// IPMI v2.0 Appendix G — on `d`, driving `context.*Member` at `context.now()`. All three or
/// none: a registered one or too little room is refused (duplicate, full) before any is added.
/// Set Watchdog Timer's reserved bits are ignored by its typed parse (cmd/app.hpp says why).
template <auto Member, class W = member_type<Member>>
inline constexpr command_table<Member, command<cmd::reset_watchdog_timer, &W::reset, privilege::operator_>,
                               command<cmd::set_watchdog_timer, &W::set, privilege::operator_>,
                               command<cmd::get_watchdog_timer, &W::get, privilege::user>>
    add_watchdog_commands{};

}  // namespace ipmikit::bmc
