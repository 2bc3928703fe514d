// ipmikit/bmc/controller.hpp — the management controller (IPMI v2.0 §20, §22) as a component:
// the device identity (Get Device ID, Get Self Test Results), the BMC Global Enables, the
// message flags, the event message buffer, and the attention a system interface raises for
// them; plus the event receiver (Platform Event Message, §29.3) that logs to a SEL and the
// buffer as the global enables say.
//
//   bmc::controller mc({.identity = my_device_id});
//   bmc::deliver_event(mc, sel, watchdog_event.event.sel_record(0, 0, sensor), now);  // an event
//   const auto change = mc.take_changes(wd.pretimeout_flag(), vm_has_irq);  // after each request
//   if (change.attention) vm.set_attention(change.attention->on, change.attention->interrupt);
//   bmc::add_controller_commands<&my_bmc::mc, &my_bmc::wd>(dispatcher);  // the seven commands
//   bmc::add_event_receiver_commands<&my_bmc::mc, &my_bmc::sel>(dispatcher);  // Platform Event
//
// Sans-IO: no clock, no heap, no exceptions, no I/O; everything is constexpr. The controller
// raises nothing itself: take_changes() says what the system interface must be told (attention
// on or off, with or without the interrupt; the receive message interrupt enabled or not), and
// the owner tells it. The watchdog keeps its own pre-timeout flag (Set Watchdog Timer clears
// it); the controller reads it where Get Message Flags and attention need it.
// docs/bmc-controller.md.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

#include "../cmd/app.hpp"
#include "../cmd/codec.hpp"
#include "../cmd/sel.hpp"
#include "../cmd/sensor.hpp"
#include "../message.hpp"
#include "dispatcher.hpp"

namespace ipmikit::bmc {

// ---------------------------------------------------------------------------------------------
// Numbers

/// Get Device ID byte 6, "additional device support" (IPMI v2.0 §20.1 table 20-2).
namespace device_support {
inline constexpr std::uint8_t sensor_device = 0x01;      // IPMI v2.0 §20.1: b0
inline constexpr std::uint8_t sdr_repository = 0x02;     // IPMI v2.0 §20.1: b1
inline constexpr std::uint8_t sel_device = 0x04;         // IPMI v2.0 §20.1: b2
inline constexpr std::uint8_t fru_inventory = 0x08;      // IPMI v2.0 §20.1: b3
inline constexpr std::uint8_t ipmb_event_receiver = 0x10;   // IPMI v2.0 §20.1: b4
inline constexpr std::uint8_t ipmb_event_generator = 0x20;  // IPMI v2.0 §20.1: b5
inline constexpr std::uint8_t bridge = 0x40;             // IPMI v2.0 §20.1: b6
inline constexpr std::uint8_t chassis_device = 0x80;     // IPMI v2.0 §20.1: b7
}  // namespace device_support

/// The generator ID of a Platform Event Message that came without one (LAN, IPMB): a remote
/// console's system software ID 40h, 81h on the wire (IPMI v2.0 §5.5 table 5-4: software IDs
/// 40h-46h are remote consoles; bit 0 = 1 marks a software ID).
inline constexpr std::uint8_t remote_console_generator_id = 0x81;

// ---------------------------------------------------------------------------------------------
// Configuration, results, changes

/// What the controller starts with.
struct controller_config {
  cmd::get_device_id::response identity{};              // Get Device ID, as is
  cmd::get_self_test_results::response self_test{};     // Get Self Test Results: 55h 00h, passed
  /// The BMC Global Enables at start: system event logging on (IPMI v2.0 §22.1 lets the BMC
  /// log by default; QEMU's ipmi-bmc-sim starts so), the buffer and interrupts off until the
  /// host's driver turns them on.
  cmd::bmc_global_enables enables = [] {
    cmd::bmc_global_enables e;
    e.system_event_logging = true;
    return e;
  }();
};

/// What post_event() did with an event for the event message buffer.
enum class event_post : std::uint8_t {
  buffered = 0,         // the buffer holds it; the "event message buffer full" flag is set
  buffer_disabled = 1,  // the global enables have the buffer off: dropped
  buffer_full = 2,      // the buffer holds an unread event, which it keeps (IPMI v2.0 §22.8)
};

[[nodiscard]] constexpr std::string_view name(event_post p) noexcept {
  return cmd::detail::enum_name<event_post, 3>(p, {"buffered", "buffer_disabled", "buffer_full"});
}

/// SMS attention (the SMS_ATN bit of KCS/BT, SSIF's alert) as the system interface should show
/// it, and whether to raise the interface's interrupt with it.
struct attention_state {
  bool on = false;
  bool interrupt = false;
  friend constexpr bool operator==(const attention_state&, const attention_state&) noexcept = default;
};

/// What the system interface must be told, once each (take_changes).
struct controller_changes {
  std::optional<bool> receive_interrupt;      // the receive message queue interrupt, enabled or not
  std::optional<attention_state> attention;   // attention to show now
  [[nodiscard]] constexpr bool empty() const noexcept { return !receive_interrupt && !attention; }
};

/// Counts (not saved).
struct controller_stats {
  std::uint64_t events_buffered = 0;  // post_event: buffered
  std::uint64_t events_dropped = 0;   // post_event: buffer_disabled or buffer_full
  std::uint64_t events_read = 0;      // Read Event Message Buffer answered with an event
};

// ---------------------------------------------------------------------------------------------
// The controller

class controller {
 public:
  using message = std::array<std::uint8_t, cmd::sel_record_size>;

  constexpr controller() noexcept = default;
  constexpr explicit controller(const controller_config& cfg) noexcept : cfg_(cfg), enables_(cfg.enables) {}

  // --- identity ------------------------------------------------------------------------------

  [[nodiscard]] constexpr const cmd::get_device_id::response& device_id() const noexcept { return cfg_.identity; }
  constexpr void set_device_id(const cmd::get_device_id::response& id) noexcept { cfg_.identity = id; }
  [[nodiscard]] constexpr const cmd::get_self_test_results::response& self_test() const noexcept { return cfg_.self_test; }

  // --- global enables (IPMI v2.0 §22.1, §22.2) ------------------------------------------------

  /// Set BMC Global Enables. A change of the receive message queue interrupt is reported by
  /// take_changes(); turning the event message buffer off empties it (§22.1: the buffer is not
  /// used while disabled).
  constexpr void set_global_enables(const cmd::bmc_global_enables& e) noexcept {
    if (e.receive_message_queue_interrupt != enables_.receive_message_queue_interrupt)
      receive_interrupt_changed_ = !receive_interrupt_changed_;  // a change and its undo cancel out
    enables_ = e;
    if (!e.event_message_buffer) buffer_full_ = false;
  }
  [[nodiscard]] constexpr const cmd::bmc_global_enables& global_enables() const noexcept { return enables_; }

  // --- message flags (IPMI v2.0 §22.3, §22.4) -------------------------------------------------

  /// Get Message Flags: the event message buffer's flag, and the watchdog's pre-timeout flag
  /// as its owner passes it. No receive message queue, no OEM flags here.
  [[nodiscard]] constexpr cmd::message_flags message_flags(bool watchdog_pretimeout = false) const noexcept {
    cmd::message_flags f;
    f.event_message_buffer_full = buffer_full_;
    f.watchdog_pretimeout = watchdog_pretimeout;
    return f;
  }

  /// Clear Message Flags: clearing "event message buffer full" empties the buffer. Flags of
  /// queues this controller does not have clear nothing; that is not an error (the watchdog's
  /// flag is its owner's to clear).
  constexpr void clear_message_flags(const cmd::message_flags& which) noexcept {
    if (which.event_message_buffer_full) buffer_full_ = false;
  }

  // --- the event message buffer (IPMI v2.0 §22.8) ---------------------------------------------

  /// Puts a 16-byte event message (a SEL record's bytes) in the buffer, when the global enables
  /// have it on and it is empty: a full buffer keeps its unread event (§22.8).
  constexpr event_post post_event(const message& m) noexcept {
    if (!enables_.event_message_buffer) return dropped(event_post::buffer_disabled);
    if (buffer_full_) return dropped(event_post::buffer_full);
    buffer_ = m;
    buffer_full_ = true;
    ++stats_.events_buffered;
    return event_post::buffered;
  }
  /// The same, for a record (encoded; a record that does not encode is dropped as disabled
  /// would be — it cannot be shown).
  constexpr event_post post_event(const cmd::sel_record& r) noexcept {
    message m{};
    if (!r.encode(m)) return dropped(event_post::buffer_disabled);
    return post_event(m);
  }

  /// Read Event Message Buffer: the event, which leaves the buffer (and its flag clears); 0x80
  /// "data not available" when empty (§22.8).
  constexpr completion_code read_event_buffer(cmd::read_event_message_buffer::response& out) noexcept {
    if (!buffer_full_) return cmd::event_message_buffer_empty;
    out.message = buffer_;
    buffer_full_ = false;
    ++stats_.events_read;
    return completion_code::success;
  }
  [[nodiscard]] constexpr bool buffer_full() const noexcept { return buffer_full_; }

  // --- what the system interface must be told --------------------------------------------------

  /// The attention the flags ask for: on while any flag is set; with the interrupt when the
  /// guest enabled the one for a set flag (receive message queue interrupt for the pre-timeout
  /// flag, event message buffer full interrupt for the buffer's) and `can_interrupt` (the
  /// interface has one).
  [[nodiscard]] constexpr attention_state wanted_attention(bool watchdog_pretimeout, bool can_interrupt) const noexcept {
    const bool irq = (watchdog_pretimeout && enables_.receive_message_queue_interrupt) ||
                     (buffer_full_ && enables_.event_message_buffer_full_interrupt);
    const bool on = watchdog_pretimeout || buffer_full_;
    return {on, on && irq && can_interrupt};
  }

  /// What changed since the last call: the receive message interrupt enable (Set BMC Global
  /// Enables), attention turning on or off. Attention is reported when it turns on or off, not
  /// when a second flag joins the first (the interface shows it already). The owner tells the
  /// interface before it sends the response of the request that caused it, so the response
  /// finds the interface in its new state (QEMU, ipmi_sim order them so).
  constexpr controller_changes take_changes(bool watchdog_pretimeout, bool can_interrupt) noexcept {
    controller_changes c;
    if (receive_interrupt_changed_) c.receive_interrupt = enables_.receive_message_queue_interrupt;
    receive_interrupt_changed_ = false;
    const attention_state want = wanted_attention(watchdog_pretimeout, can_interrupt);
    if (want.on != shown_) {
      c.attention = want;
      shown_ = want.on;
    }
    return c;
  }

  /// The interface lost what it was told (the VM connection closed, QEMU forgot SMS_ATN): the
  /// next take_changes() reports attention again if a flag is set.
  constexpr void forget_attention() noexcept { shown_ = false; }
  /// The attention change take_changes() just reported (`reported`) could not be told (the
  /// interface's output was full, or it has no SMS_ATN): the interface shows what it showed
  /// before, so the next take_changes() reports the change again while it is still wanted. (Not
  /// forget_attention(): after a NOATTN that was not sent, the interface still shows attention.)
  constexpr void attention_not_told(const attention_state& reported) noexcept { shown_ = !reported.on; }
  /// Attention as last reported by take_changes().
  [[nodiscard]] constexpr bool attention_shown() const noexcept { return shown_; }

  [[nodiscard]] constexpr const controller_stats& stats() const noexcept { return stats_; }

 private:
  constexpr event_post dropped(event_post why) noexcept {
    ++stats_.events_dropped;
    return why;
  }

  controller_config cfg_{};
  cmd::bmc_global_enables enables_{cfg_.enables};
  message buffer_{};
  bool buffer_full_ = false;
  bool shown_ = false;                      // attention as last reported
  bool receive_interrupt_changed_ = false;  // since the last take_changes()
  controller_stats stats_{};
};

// ---------------------------------------------------------------------------------------------
// Events: to the SEL and the event message buffer, as the global enables say

/// What deliver_event() did.
struct event_delivery {
  bool logged = false;                   // the SEL added it
  completion_code sel_code = completion_code::success;  // the SEL's refusal when not logged and logging is on
  std::uint16_t record_id = 0;           // the SEL's record ID when logged
  event_post buffer = event_post::buffer_disabled;
};

/// Delivers an event (a system event record; its record ID and timestamp are the SEL's) the
/// BMC generated or received: to the SEL when the global enables have system event logging on,
/// and to the event message buffer when they have it on (post_event). The buffer's copy carries
/// the SEL's record ID and timestamp; when the SEL did not add it, record ID 0000h and the SEL
/// time at `now`. The watchdog's events: pass `e.event.sel_record(0, 0, sensor_number)` unless
/// `e.dont_log`.
template <class Sel>
constexpr event_delivery deliver_event(controller& mc, Sel& sel, cmd::sel_record r,
                                       typename Sel::time_point now) noexcept {
  event_delivery d;
  r.record_id = 0;
  r.timestamp = sel.time(now);
  if (mc.global_enables().system_event_logging) {
    const auto added = sel.add(r, now);
    d.logged = static_cast<bool>(added);
    d.sel_code = added.code;
    d.record_id = added.record_id;
    r.record_id = added.record_id;
  }
  d.buffer = mc.post_event(r);
  return d;
}

// ---------------------------------------------------------------------------------------------
// The commands on a dispatcher

namespace detail::mc {
/// No watchdog in the Context: the pre-timeout flag is never set.
inline constexpr std::nullptr_t no_watchdog = nullptr;

template <class Context, auto Watchdog>
[[nodiscard]] constexpr bool pretimeout_flag(Context& c) noexcept {
  if constexpr (std::is_null_pointer_v<decltype(Watchdog)>) return false;
  else return (c.*Watchdog).pretimeout_flag();
}

template <class Context, auto Mc, auto Watchdog>
constexpr completion_code get_flags_handler(Context& c, const cmd::no_data&, cmd::message_flags& rs, const request&) {
  rs = (c.*Mc).message_flags(pretimeout_flag<Context, Watchdog>(c));
  return completion_code::success;
}
/// Raw: the reserved bits (4 and 2, IPMI v2.0 §22.3) are ignored rather than refused, as
/// ipmi_sim and ipmikit-bmc always did; a driver clearing "everything" with FFh succeeds.
template <class Context, auto Mc, auto Watchdog>
constexpr reply clear_flags_handler(Context& c, const request& r, std::span<std::uint8_t>) {
  const std::array<std::uint8_t, 1> kept{static_cast<std::uint8_t>(r.data[0] & ~0x14u)};
  const auto which = cmd::message_flags::parse(kept);
  (c.*Mc).clear_message_flags(which.value);
  if constexpr (!std::is_null_pointer_v<decltype(Watchdog)>)
    if (which.value.watchdog_pretimeout) (c.*Watchdog).clear_pretimeout_flag();
  return {completion_code::success, 0};
}

/// Platform Event Message in the form of the interface it came in on (cmd/sensor.hpp): with the
/// generator ID byte from the system interface, without (remote_console_generator_id) else.
template <class Context, auto Mc, auto Sel>
constexpr reply platform_event_handler(Context& c, const request& r, std::span<std::uint8_t>) {
  cmd::sel_record rec;
  cmd::event_message ev;
  std::uint8_t generator = remote_console_generator_id;
  if (r.from.channel == cmd::system_interface_channel) {
    const auto rq = cmd::platform_event_message_with_generator::request::parse(r.data);
    if (!rq) return {cmd::to_completion_code(rq.error), 0};
    generator = rq.value.generator_id;
    ev = rq.value.event;
  } else {
    const auto rq = cmd::platform_event_message::request::parse(r.data);
    if (!rq) return {cmd::to_completion_code(rq.error), 0};
    ev = rq.value.event;
    rec.generator_channel = static_cast<std::uint8_t>(r.from.channel & 0x0F);
  }
  // IPMI v2.0 §32.1 byte 8: channel 0 for the system interface.
  rec.generator_address = static_cast<std::uint8_t>(generator & 0xFE);
  rec.software_generator = (generator & 0x01) != 0;
  rec.evm_revision = ev.evm_revision;
  rec.sensor_type = ev.sensor_type;
  rec.sensor_number = ev.sensor_number;
  rec.deassertion = ev.deassertion;
  rec.event_type = ev.event_type;
  // Event data not sent is FFh, "unspecified" (IPMI v2.0 §29.7 table 29-6).
  rec.event_data = {0xFF, 0xFF, 0xFF};
  for (std::size_t i = 0; i < ev.event_data_length; ++i) rec.event_data[i] = ev.event_data[i];
  using time_point = typename member_type<Sel>::time_point;
  (void)deliver_event(c.*Mc, c.*Sel, rec, time_point(c.now()));
  // The event was received: a full SEL is the SEL's overflow flag, not the sender's error.
  return {completion_code::success, 0};
}
}  // namespace detail::mc

/// A Context whose bmc::controller member `Member` the commands drive.
template <class Context, auto Member>
concept controller_context = has_member<Context, Member> && std::is_same_v<member_type<Member>, controller>;

namespace detail::mc {
/// add_controller_commands' table: an object, like every component's, so that it can be passed
/// (make_dispatcher); its handlers are instantiated for the dispatcher's Context.
template <auto Member, auto Watchdog>
struct controller_table {
  template <class Context, std::size_t Capacity>
    requires controller_context<Context, Member> &&
             (std::is_null_pointer_v<decltype(Watchdog)> || has_member<Context, Watchdog>)
  constexpr add_error operator()(dispatcher<Context, Capacity>& d) const noexcept {
    return add_commands<
        Member, command<cmd::get_device_id, &controller::device_id, privilege::user>,
        command<cmd::get_self_test_results, &controller::self_test, privilege::user>,
        command<cmd::set_bmc_global_enables, &controller::set_global_enables, privilege::administrator>,
        command<cmd::get_bmc_global_enables, &controller::global_enables, privilege::user>,
        command<cmd::clear_message_flags, &clear_flags_handler<Context, Member, Watchdog>, privilege::administrator>,
        command<cmd::get_message_flags, &get_flags_handler<Context, Member, Watchdog>, privilege::user>,
        command<cmd::read_event_message_buffer, &controller::read_event_buffer, privilege::administrator>>(d);
  }
};

/// add_event_receiver_commands' table.
template <auto Member, auto Sel>
struct event_receiver_table {
  template <class Context, std::size_t Capacity>
    requires controller_context<Context, Member> && has_member_and_clock<Context, Sel>
  constexpr add_error operator()(dispatcher<Context, Capacity>& d) const noexcept {
    // Lengths: the shorter form's least, the longer form's most; each form's parse checks its own.
    const entry<Context> entries[] = {
        {cmd::platform_event_message::id, cmd::platform_event_message::request::min_size,
         cmd::platform_event_message_with_generator::request::max_size, privilege::operator_,
         &platform_event_handler<Context, Member, Sel>},
    };
    return add_all(d, entries);
  }
};
}  // namespace detail::mc

/// Registers Get Device ID, Get Self Test Results, Get BMC Global Enables, Get Message Flags
/// (user), and Set BMC Global Enables, Clear Message Flags, Read Event Message Buffer
/// (administrator: they belong to the system software's driver, which runs at the system
/// interface's administrator level) on `d`, driving `context.*Member`:
/// `add_controller_commands<&my_bmc::mc, &my_bmc::wd>(d)`. With `Watchdog` (a
/// bmc::basic_watchdog member), Get Message Flags reports its pre-timeout flag and Clear
/// Message Flags clears it. All seven or none (duplicate, full).
template <auto Member, auto Watchdog = detail::mc::no_watchdog>
inline constexpr detail::mc::controller_table<Member, Watchdog> add_controller_commands{};

/// Registers Platform Event Message (operator, IPMI v2.0 Appendix G) on `d`
/// (`add_event_receiver_commands<&my_bmc::mc, &my_bmc::sel>(d)`): the event is delivered
/// (deliver_event) to `context.*Sel`, a bmc::basic_sel, at `context.now()`, and to the event
/// message buffer of `context.*Member`. The request's form follows the channel it came in on
/// (origin::channel): with the generator ID from the system interface (0Fh), without from any
/// other. Refused: duplicate, full.
template <auto Member, auto Sel>
inline constexpr detail::mc::event_receiver_table<Member, Sel> add_event_receiver_commands{};

}  // namespace ipmikit::bmc
