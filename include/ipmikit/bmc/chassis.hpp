// ipmikit/bmc/chassis.hpp — the chassis (IPMI v2.0 §28) as a component: the power state, the
// restore policy and the last power event (Get Chassis Status), Chassis Control as requests the
// owner carries out, the restart cause, the POH counter, and the system boot options (set in
// progress, valid-bit clearing, boot info acknowledge, boot flags, boot initiator info) with the
// valid bit's 60-second timeout; the durable part saved to and loaded from bytes.
//
//   bmc::chassis ch;                                          // steady_clock
//   ch.control(cmd::chassis_action::power_cycle, now);        // Chassis Control: a completion code
//   while (auto rq = ch.take_request()) vm.do(rq->action);    // the owner carries it out ...
//   ch.power_changed(true, cmd::restart_cause::chassis_control, now);  // ... and reports back
//   ch.poll(now);                                             // the valid bit's 60 s timeout
//   if (ch.generation() != saved) n = ch.save(buffer);        // the durable state, versioned
//   bmc::add_chassis_commands<&my_bmc::chassis>(dispatcher);  // the six commands; my_bmc::now()
//
// Sans-IO: no clock (every call takes `now`, a Clock::time_point; Clock::now() is never called),
// no heap, no exceptions, no I/O. Everything is constexpr. The component never powers anything:
// Chassis Control queues a request, the owner drains the queue, and reports what the machine did
// with power_changed(). docs/bmc-chassis.md.
#pragma once

#include <array>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <variant>

#include "../cmd/app.hpp"
#include "../cmd/chassis.hpp"
#include "../cmd/codec.hpp"
#include "../message.hpp"
#include "dispatcher.hpp"

namespace ipmikit::bmc {

// ---------------------------------------------------------------------------------------------
// Numbers

/// The boot flags valid bit clears itself this long after it was set (IPMI v2.0 §28.12: 60 s
/// ±10% unless a Chassis Control command restarts the countdown or parameter 3 bit 3 disables it).
inline constexpr std::chrono::seconds boot_flags_valid_timeout{60};

/// Minutes per POH count (IPMI v2.0 §28.14 byte 2: minutes per count). This component counts
/// every minute.
inline constexpr std::uint8_t poh_minutes_per_count = 1;

/// Set/Get System Boot Options completion codes (IPMI v2.0 §28.12, §28.13).
inline constexpr completion_code boot_parameter_not_supported = static_cast<completion_code>(0x80);  // IPMI v2.0 §28.12: 80h parameter not supported
inline constexpr completion_code boot_set_in_progress_conflict = static_cast<completion_code>(0x81);  // IPMI v2.0 §28.12: 81h 'set in progress' not in set complete state
inline constexpr completion_code boot_parameter_read_only = static_cast<completion_code>(0x82);     // IPMI v2.0 §28.12: 82h write to a read-only parameter

/// Boot option parameter numbers (IPMI v2.0 §28.13 table 28-14).
namespace boot_parameter {
inline constexpr std::uint8_t set_in_progress = 0;            // IPMI v2.0 §28.13: parameter 0
inline constexpr std::uint8_t service_partition_selector = 1; // IPMI v2.0 §28.13: parameter 1
inline constexpr std::uint8_t service_partition_scan = 2;     // IPMI v2.0 §28.13: parameter 2
inline constexpr std::uint8_t valid_bit_clearing = 3;         // IPMI v2.0 §28.13: parameter 3
inline constexpr std::uint8_t boot_info_acknowledge = 4;      // IPMI v2.0 §28.13: parameter 4
inline constexpr std::uint8_t boot_flags = 5;                 // IPMI v2.0 §28.13: parameter 5
inline constexpr std::uint8_t boot_initiator_info = 6;        // IPMI v2.0 §28.13: parameter 6
}  // namespace boot_parameter

/// Parameter 6's size: channel, session ID (4), boot info timestamp (4) (IPMI v2.0 §28.13).
inline constexpr std::size_t boot_initiator_info_size = 9;

/// How many Chassis Control requests wait for the owner at most; one more is refused with 0xC0
/// (node busy, IPMI v2.0 §5.2) until the owner takes one.
inline constexpr std::size_t chassis_queue_capacity = 4;

// ---------------------------------------------------------------------------------------------
// What the platform can do, and what it is asked to do

/// What the platform can carry out. Chassis Control refuses an action it cannot with 0xD5, "not
/// supported in present state" (the value is valid; this VM cannot do it now), and queues
/// nothing. The owner may change it at any time (set_support), e.g. when a VM connects.
struct chassis_support {
  bool power_down = true;
  bool power_up = true;
  bool power_cycle = true;
  bool hard_reset = true;
  bool diagnostic_interrupt = true;
  bool soft_shutdown = true;

  /// Indexed by the action's code (IPMI v2.0 §28.3).
  [[nodiscard]] constexpr bool can(cmd::chassis_action a) const noexcept {
    using s = chassis_support;
    return supports<s, cmd::chassis_action, 6>(*this, a, {&s::power_down, &s::power_up, &s::power_cycle, &s::hard_reset,
                                                           &s::diagnostic_interrupt, &s::soft_shutdown});
  }
  friend constexpr bool operator==(const chassis_support&, const chassis_support&) noexcept = default;
};

/// An accepted Chassis Control: what to do, the channel it came in on, and when.
template <class Clock>
struct chassis_request {
  cmd::chassis_action action = cmd::chassis_action::power_down;
  std::uint8_t channel = cmd::system_interface_channel;
  typename Clock::time_point at{};
  friend constexpr bool operator==(const chassis_request&, const chassis_request&) noexcept = default;
};

/// Why load() refused the bytes (and changed nothing).
enum class chassis_load_error : std::uint8_t {
  ok = 0,
  too_short = 1,                  // fewer bytes than the version's layout
  too_long = 2,                   // more bytes than the version's layout
  unknown_version = 3,            // byte 0 is not a version this code reads
  bad_restore_policy = 4,         // reserved bits set
  bad_boot_flags = 5,             // parameter 5 bytes that Set would refuse
  bad_valid_bit_clearing = 6,     // parameter 3 with reserved bits
  bad_boot_info_acknowledge = 7,  // parameter 4 data with reserved bits
};

[[nodiscard]] constexpr std::string_view name(chassis_load_error e) noexcept {
  return cmd::detail::enum_name<chassis_load_error, 8>(
      e, {"ok", "too_short", "too_long", "unknown_version", "bad_restore_policy", "bad_boot_flags",
          "bad_valid_bit_clearing", "bad_boot_info_acknowledge"});
}

// ---------------------------------------------------------------------------------------------
// The chassis

template <class Clock>
class basic_chassis {
 public:
  using clock = Clock;
  using time_point = typename Clock::time_point;
  using duration = typename Clock::duration;
  using request_type = chassis_request<Clock>;
  static_assert(!std::chrono::treat_as_floating_point_v<typename duration::rep>,
                "the chassis rounds the valid bit's timeout up to the clock's tick: an integer clock is needed");

  /// The saved format's version, and its size (save() writes exactly this many bytes).
  static constexpr std::uint8_t save_version = 1;
  static constexpr std::size_t max_saved_size = 22;  // 1+1+5+1+1+9+4

  constexpr basic_chassis() noexcept = default;
  constexpr explicit basic_chassis(const chassis_support& s) noexcept : support_(s) {}

  // --- power ---------------------------------------------------------------------------------

  /// Chassis Control (IPMI v2.0 §28.3): queues `a` for the owner (take_request) and restarts the
  /// boot flags valid bit's 60 s countdown (§28.12). Refused, nothing queued: a reserved action
  /// (0xCC; a typed request holds one only by a cast), one the platform cannot carry out
  /// (0xD5), a full queue (0xC0). The power state does not change until power_changed().
  constexpr completion_code control(cmd::chassis_action a, time_point now,
                                    std::uint8_t channel = cmd::system_interface_channel) noexcept {
    expire(now);
    if (static_cast<std::uint8_t>(a) > 5) return completion_code::invalid_data_field;  // IPMI v2.0 §28.3: 6h-Fh reserved
    if (!support_.can(a)) return completion_code::not_supported_in_present_state;
    if (queued_ == chassis_queue_capacity) return completion_code::node_busy;
    queue_[(head_ + queued_) % chassis_queue_capacity] = request_type{a, channel, now};
    ++queued_;
    control_channel_ = channel;
    if (valid_timer_) valid_deadline_ = now + valid_timeout();
    return completion_code::success;
  }
  /// control() as add_chassis_commands registers it: for the channel the request came in on.
  constexpr completion_code chassis_control(const cmd::chassis_control::request& rq, time_point now,
                                            std::uint8_t channel) noexcept {
    return control(rq.action, now, channel);
  }

  /// The oldest request not taken yet (and removes it), or none.
  constexpr std::optional<request_type> take_request() noexcept {
    if (queued_ == 0) return std::nullopt;
    const request_type r = queue_[head_];
    head_ = (head_ + 1) % chassis_queue_capacity;
    --queued_;
    return r;
  }
  [[nodiscard]] constexpr std::size_t pending_requests() const noexcept { return queued_; }

  /// The owner reports that the machine powered on (`on`: a power-up, or a reset of a running
  /// machine — a boot either way) or off, and why. A boot sets the restart cause (Get System
  /// Restart Cause; the channel is the last Chassis Control's for `chassis_control`, else 0),
  /// "last power on via IPMI command" (Get Chassis Status byte 2 b4) and starts the POH count;
  /// it returns the boot flags this boot uses (none unless valid) and clears their valid bit
  /// unless they are persistent or parameter 3 keeps them for this cause. Power off stops the
  /// POH count. Returns none for power off.
  constexpr std::optional<cmd::boot::boot_flags> power_changed(bool on, cmd::restart_cause cause, time_point now) noexcept {
    expire(now);
    if (!on) {
      stop_poh(now);
      power_on_ = false;
      return std::nullopt;
    }
    if (!power_on_) on_since_ = now;
    power_on_ = true;
    cause_ = cause;
    cause_channel_ = cause == cmd::restart_cause::chassis_control ? control_channel_ : std::uint8_t{0};
    last_on_via_ipmi_ = cause == cmd::restart_cause::chassis_control;
    if (!flags_.valid) return std::nullopt;
    const cmd::boot::boot_flags used = flags_;
    if (!flags_.persistent && !kept_at_boot(cause)) {
      flags_.valid = false;
      valid_timer_ = false;
      changed();
    }
    return used;
  }

  /// Sets the power state without a boot (the owner learnt it after a restart of its own): no
  /// restart cause, no boot flags consumed; the POH count starts or stops.
  constexpr void assume_power(bool on, time_point now) noexcept {
    if (on == power_on_) return;
    if (on) {
      on_since_ = now;
    } else {
      stop_poh(now);
    }
    power_on_ = on;
  }

  [[nodiscard]] constexpr bool power_on() const noexcept { return power_on_; }

  /// Get Chassis Status (IPMI v2.0 §28.2): power on, the restore policy, last power on via IPMI
  /// command; no faults, no intrusion, no identify, no front panel byte.
  [[nodiscard]] constexpr cmd::get_chassis_status::response status() const noexcept {
    cmd::get_chassis_status::response r;
    r.power_on = power_on_;
    r.restore_policy = policy_;
    r.last_on_via_ipmi = last_on_via_ipmi_;
    return r;
  }

  /// Get System Restart Cause (IPMI v2.0 §28.11): the cause of the last boot (unknown before
  /// any) and its channel.
  [[nodiscard]] constexpr cmd::get_system_restart_cause::response restart_cause() const noexcept {
    return {cause_, cause_channel_};
  }

  /// Get POH Counter (IPMI v2.0 §28.14): whole minutes powered on, at `now`.
  [[nodiscard]] constexpr cmd::get_poh_counter::response poh(time_point now) const noexcept {
    const auto total = std::chrono::floor<std::chrono::minutes>(poh_total(now)).count();
    const auto counter = total > 0xFFFFFFFF ? std::uint32_t{0xFFFFFFFF} : static_cast<std::uint32_t>(total);
    return {poh_minutes_per_count, counter};
  }

  /// The power restore policy (Get Chassis Status byte 1 [6:5]): durable. The owner carries it
  /// out when the platform starts. False, and nothing changes, for a value over 3.
  [[nodiscard]] constexpr cmd::power_restore_policy restore_policy() const noexcept { return policy_; }
  constexpr bool set_restore_policy(cmd::power_restore_policy p) noexcept {
    if (static_cast<std::uint8_t>(p) > 3) return false;
    if (p != policy_) {
      policy_ = p;
      changed();
    }
    return true;
  }

  [[nodiscard]] constexpr const chassis_support& support() const noexcept { return support_; }
  constexpr void set_support(const chassis_support& s) noexcept { support_ = s; }

  // --- system boot options ---------------------------------------------------------------------

  /// Set System Boot Options (IPMI v2.0 §28.12). Parameters 0, 3, 4, 5, 6 are written; 1 and 2
  /// (no service partition here) are read-only, 0x82; any other, 0x80. Parameter 0: set in
  /// progress while already in progress is 0x81, commit write is accepted (every write takes
  /// effect at once) and leaves the state as it is. Parameter 5 with the valid bit set, not
  /// persistent, starts the 60 s countdown at `now`. Bit 7 of byte 1 ("mark parameter invalid")
  /// is stored per parameter and read back in Get's byte 2 b7.
  constexpr completion_code set_boot_option(const cmd::set_system_boot_options::request& r, time_point now) noexcept {
    expire(now);
    const std::uint8_t n = cmd::boot::number(r.value);
    if (const auto* p = std::get_if<cmd::boot::set_in_progress>(&r.value)) {
      if (static_cast<std::uint8_t>(p->state) > 2) return completion_code::invalid_data_field;  // IPMI v2.0 §28.13: 11b reserved
      if (p->state == cmd::set_in_progress_state::set_in_progress && in_progress_) return boot_set_in_progress_conflict;
      if (p->state != cmd::set_in_progress_state::commit_write)
        in_progress_ = p->state == cmd::set_in_progress_state::set_in_progress;
    } else if (const auto* c = std::get_if<cmd::boot::valid_bit_clearing>(&r.value)) {
      if (!(*c == clearing_)) {
        clearing_ = *c;
        changed();
      }
    } else if (const auto* a = std::get_if<cmd::boot::boot_info_acknowledge>(&r.value)) {
      if (((a->mask | a->data) & cmd::boot::info_bit::reserved) != 0) return completion_code::invalid_data_field;
      const auto ack = static_cast<std::uint8_t>((ack_ & ~a->mask) | (a->data & a->mask));
      if (ack != ack_) {
        ack_ = ack;
        changed();
      }
    } else if (const auto* f = std::get_if<cmd::boot::boot_flags>(&r.value)) {
      std::array<std::uint8_t, cmd::boot::boot_flags::size> check{};
      cmd::writer w(check);
      cmd::detail::write_fields(w, *f);
      if (!w.result()) return completion_code::invalid_data_field;  // a reserved value held by a cast
      flags_ = *f;
      valid_timer_ = f->valid;
      valid_deadline_ = now + valid_timeout();
      changed();
    } else {
      const auto& o = std::get<cmd::boot::opaque>(r.value);
      if (n == boot_parameter::service_partition_selector || n == boot_parameter::service_partition_scan)
        return boot_parameter_read_only;
      if (n != boot_parameter::boot_initiator_info) return boot_parameter_not_supported;
      if (o.data.size != boot_initiator_info_size) return completion_code::request_data_length_invalid;
      for (std::size_t i = 0; i < boot_initiator_info_size; ++i) initiator_[i] = o.data.bytes[i];
      changed();
    }
    const auto bit = static_cast<std::uint8_t>(1u << n);
    invalid_ = static_cast<std::uint8_t>(r.mark_invalid ? (invalid_ | bit) : (invalid_ & ~bit));
    return completion_code::success;
  }

  /// Get System Boot Options (IPMI v2.0 §28.13) at `now` (a valid bit whose 60 s are up reads
  /// 0): parameters 0-6, the set and block selectors ignored; any other, 0x80. Parameter 4 reads
  /// a write mask of 0 and the acknowledge data.
  constexpr completion_code get_boot_option(const cmd::get_system_boot_options::request& r,
                                            cmd::get_system_boot_options::response& out, time_point now) noexcept {
    expire(now);
    // Assigned as whole variants: clang 14 with libstdc++ 12 cannot assign a T to a variant in
    // constant evaluation.
    const std::uint8_t n = r.parameter;
    switch (n) {
      case boot_parameter::set_in_progress:
        out.value = cmd::boot::parameter{cmd::boot::set_in_progress{
            in_progress_ ? cmd::set_in_progress_state::set_in_progress : cmd::set_in_progress_state::set_complete}};
        break;
      case boot_parameter::service_partition_selector:
      case boot_parameter::service_partition_scan: {
        cmd::boot::opaque o;
        o.number = n;
        o.data.size = 1;  // 00h: unspecified / no service partition (IPMI v2.0 §28.13)
        out.value = cmd::boot::parameter{o};
        break;
      }
      case boot_parameter::valid_bit_clearing: out.value = cmd::boot::parameter{clearing_}; break;
      case boot_parameter::boot_info_acknowledge: out.value = cmd::boot::parameter{cmd::boot::boot_info_acknowledge{0, ack_}}; break;
      case boot_parameter::boot_flags: out.value = cmd::boot::parameter{flags_}; break;
      case boot_parameter::boot_initiator_info: {
        cmd::boot::opaque o;
        o.number = n;
        o.data.assign(initiator_);
        out.value = cmd::boot::parameter{o};
        break;
      }
      default: return boot_parameter_not_supported;
    }
    out.invalid = (invalid_ & (1u << n)) != 0;
    return completion_code::success;
  }

  [[nodiscard]] constexpr const cmd::boot::boot_flags& boot_flags() const noexcept { return flags_; }
  /// The boot flags as Get System Boot Options would read them at `now` (a valid bit whose 60 s
  /// are up reads 0), changing nothing: for an operator's view from a const chassis.
  [[nodiscard]] constexpr cmd::boot::boot_flags boot_flags_at(time_point now) const noexcept {
    cmd::boot::boot_flags f = flags_;
    if (timer_armed() && now >= valid_deadline_) f.valid = false;
    return f;
  }
  [[nodiscard]] constexpr const cmd::boot::valid_bit_clearing& valid_bit_clearing() const noexcept { return clearing_; }
  [[nodiscard]] constexpr std::uint8_t boot_info_acknowledge() const noexcept { return ack_; }
  [[nodiscard]] constexpr bool set_in_progress() const noexcept { return in_progress_; }

  // --- time ----------------------------------------------------------------------------------

  /// Clears the boot flags valid bit when its 60 s are up at `now` (the commands do this too,
  /// at their own `now`). True if it did.
  constexpr bool poll(time_point now) noexcept { return expire(now); }

  /// When poll() will clear the valid bit: none unless the flags are valid, not persistent, and
  /// parameter 3 bit 3 does not disable the timeout.
  [[nodiscard]] constexpr std::optional<time_point> next_deadline() const noexcept {
    if (!timer_armed()) return std::nullopt;
    return valid_deadline_;
  }

  // --- durable state -----------------------------------------------------------------------------

  /// Changes on every change of the durable state: the restore policy, parameters 3, 4, 5, 6,
  /// the POH minutes of finished power-on periods. Save when it differs from the saved one's.
  [[nodiscard]] constexpr std::uint32_t generation() const noexcept { return generation_; }

  /// Writes the durable state (version 1, max_saved_size bytes): version, restore policy, the
  /// boot flags (5), valid-bit clearing, boot info acknowledge, boot initiator info (9), POH
  /// seconds of finished power-on periods (LS byte first). 0 when `out` is too small.
  constexpr std::size_t save(std::span<std::uint8_t> out) const noexcept {
    if (out.size() < max_saved_size) return 0;
    cmd::writer w(out);
    w.u8(save_version);
    w.u8(static_cast<std::uint8_t>(policy_));
    cmd::detail::write_fields(w, flags_);
    cmd::detail::write_fields(w, clearing_);
    w.u8(ack_);
    w.bytes(initiator_);
    const auto s = std::chrono::floor<std::chrono::seconds>(poh_done_).count();
    w.le32(s > 0xFFFFFFFF ? 0xFFFFFFFFu : static_cast<std::uint32_t>(s < 0 ? 0 : s));
    const cmd::encoded e = w.result();
    return e ? e.size : 0;
  }

  /// Reads what save() wrote. Every field is checked first; on an error nothing changes. Boot
  /// flags that were valid but not persistent load with the valid bit clear (their 60 s cannot
  /// be resumed); the power state, the restart cause, set in progress and the queue are not
  /// part of it. A successful load changes generation().
  constexpr chassis_load_error load(std::span<const std::uint8_t> in) noexcept {
    if (in.empty()) return chassis_load_error::too_short;
    if (in[0] != save_version) return chassis_load_error::unknown_version;
    if (in.size() < max_saved_size) return chassis_load_error::too_short;
    if (in.size() > max_saved_size) return chassis_load_error::too_long;
    // Version 1: 0 version, 1 policy, 2-6 boot flags, 7 clearing, 8 acknowledge, 9-17 initiator
    // info, 18-21 POH seconds.
    const std::uint8_t policy = in[1];
    if (policy > 3) return chassis_load_error::bad_restore_policy;
    cmd::reader fr(in.subspan(2, cmd::boot::boot_flags::size));
    auto flags = cmd::detail::read_fields<cmd::boot::boot_flags>(fr);
    if (fr.finish() != cmd::parse_error::ok) return chassis_load_error::bad_boot_flags;
    cmd::reader cr(in.subspan(7, 1));
    const auto clearing = cmd::detail::read_fields<cmd::boot::valid_bit_clearing>(cr);
    if (cr.finish() != cmd::parse_error::ok) return chassis_load_error::bad_valid_bit_clearing;
    const std::uint8_t ack = in[8];
    if ((ack & cmd::boot::info_bit::reserved) != 0) return chassis_load_error::bad_boot_info_acknowledge;
    cmd::reader r(in.subspan(9));
    std::array<std::uint8_t, boot_initiator_info_size> initiator{};
    r.bytes(initiator);
    const std::uint32_t seconds = r.le32();

    if (!flags.persistent) flags.valid = false;
    policy_ = static_cast<cmd::power_restore_policy>(policy);
    flags_ = flags;
    valid_timer_ = false;
    clearing_ = clearing;
    ack_ = ack;
    initiator_ = initiator;
    poh_done_ = std::chrono::ceil<duration>(std::chrono::seconds(seconds));
    changed();
    return chassis_load_error::ok;
  }

 private:
  [[nodiscard]] static constexpr duration valid_timeout() noexcept {
    return std::chrono::ceil<duration>(boot_flags_valid_timeout);
  }
  [[nodiscard]] constexpr bool timer_armed() const noexcept {
    return valid_timer_ && flags_.valid && !flags_.persistent && !clearing_.dont_clear_on_chassis_control;
  }
  constexpr bool expire(time_point now) noexcept {
    if (!timer_armed() || now < valid_deadline_) return false;
    flags_.valid = false;
    valid_timer_ = false;
    changed();
    return true;
  }
  /// Parameter 3's bit for a boot of this cause (IPMI v2.0 §28.13 parameter 3): b0 power button
  /// or wake, b1 reset button or soft reset, b2 watchdog, b4 PEF. Bit 3 is the 60 s timeout's.
  [[nodiscard]] constexpr bool kept_at_boot(cmd::restart_cause c) const noexcept {
    switch (c) {
      case cmd::restart_cause::power_button:
      case cmd::restart_cause::rtc_wakeup: return clearing_.dont_clear_on_power_button;
      case cmd::restart_cause::reset_button:
      case cmd::restart_cause::soft_reset: return clearing_.dont_clear_on_reset_button;
      case cmd::restart_cause::watchdog: return clearing_.dont_clear_on_watchdog;
      case cmd::restart_cause::pef_reset:
      case cmd::restart_cause::pef_power_cycle: return clearing_.dont_clear_on_pef;
      default: return false;
    }
  }
  [[nodiscard]] constexpr duration poh_total(time_point now) const noexcept {
    if (!power_on_ || now <= on_since_) return poh_done_;
    return poh_done_ + (now - on_since_);
  }
  constexpr void stop_poh(time_point now) noexcept {
    if (!power_on_) return;
    const duration before = poh_done_;
    poh_done_ = poh_total(now);
    if (poh_done_ != before) changed();
  }
  constexpr void changed() noexcept { ++generation_; }

  chassis_support support_{};
  // power
  bool power_on_ = false;
  bool last_on_via_ipmi_ = false;
  cmd::power_restore_policy policy_ = cmd::power_restore_policy::unknown;
  cmd::restart_cause cause_ = cmd::restart_cause::unknown;
  std::uint8_t cause_channel_ = 0;
  std::uint8_t control_channel_ = cmd::system_interface_channel;
  std::array<request_type, chassis_queue_capacity> queue_{};
  std::size_t head_ = 0;
  std::size_t queued_ = 0;
  // POH
  duration poh_done_{};  // finished power-on periods
  time_point on_since_{};
  // boot options
  bool in_progress_ = false;
  std::uint8_t invalid_ = 0;  // "mark parameter invalid", bit n for parameter n
  cmd::boot::boot_flags flags_{};
  cmd::boot::valid_bit_clearing clearing_{};
  std::uint8_t ack_ = 0;
  std::array<std::uint8_t, boot_initiator_info_size> initiator_{};
  bool valid_timer_ = false;  // the 60 s countdown of flags_.valid runs
  time_point valid_deadline_{};
  std::uint32_t generation_ = 0;
};

using chassis = basic_chassis<std::chrono::steady_clock>;

// ---------------------------------------------------------------------------------------------
// The six commands on a dispatcher

/// A Context whose chassis member `Member` the commands drive, and which says what time it is:
/// `context.now()` returns the chassis clock's time_point (the dispatcher has no clock).
template <class Context, auto Member>
concept chassis_context = component_context<Context, Member, basic_chassis>;

/// Registers Get Chassis Status, Get System Restart Cause, Get POH Counter (user) and Chassis
/// Control, Set and Get System Boot Options (operator) — the privileges of IPMI v2.0 Appendix
/// G — on `d`, driving `context.*Member` at `context.now()`. All six or none: a registered one
/// or too little room is refused (duplicate, full) before any is added.
template <auto Member, class C = member_type<Member>>
inline constexpr command_table<Member, command<cmd::get_chassis_status, &C::status, privilege::user>,
                               command<cmd::chassis_control, &C::chassis_control, privilege::operator_>,
                               command<cmd::get_system_restart_cause, &C::restart_cause, privilege::user>,
                               command<cmd::get_poh_counter, &C::poh, privilege::user>,
                               command<cmd::set_system_boot_options, &C::set_boot_option, privilege::operator_>,
                               command<cmd::get_system_boot_options, &C::get_boot_option, privilege::operator_>>
    add_chassis_commands{};

}  // namespace ipmikit::bmc
