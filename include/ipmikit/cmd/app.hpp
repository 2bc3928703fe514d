// ipmikit/cmd/app.hpp — typed App commands (NetFn 06h): device identity and self test, the BMC's
// global enables, message flags and event message buffer, the watchdog timer, channel
// authentication, cipher suites, channel information and access, users, and the system interface
// capabilities.
//
// The conventions (encode/parse/min_size/max_size, what the data bytes are) are codec.hpp's.
// Layouts: IPMI v2.0 §20 (Get Device ID, Get Self Test Results, Get Device GUID), §22 (messaging
// support: global enables and flags §22.1-§22.8, Get System Interface Capabilities §22.9, Get
// Channel Authentication Capabilities §22.13, Get Channel Cipher Suites §22.15, Get System GUID
// §22.14, channel access and info §22.22-§22.24, users §22.26-§22.30) and §27 (the watchdog);
// ../shared/reference/bmc-commands.md §1, lan.md §3-§4, ssif.md §5.
//
// What parse() refuses: a reserved bit set, or a code the specification reserves, is
// reserved_value; a value the specification rules out otherwise (a count past its maximum) is
// out_of_range. encode() refuses with out_of_range every value parse() would refuse, so whatever
// encodes parses back to the same value.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "codec.hpp"

namespace ipmikit::cmd {

// ---------------------------------------------------------------------------------------------
// Get Device ID (IPMI v2.0 §20.1)

struct get_device_id {
  static constexpr command_id id = commands::get_device_id;
  using request = no_data;

  struct response {
    static constexpr std::size_t min_size = 11;  // through the product ID
    static constexpr std::size_t max_size = 15;  // with the auxiliary firmware revision

    std::uint8_t device_id = 0;
    std::uint8_t device_revision = 0;        // [3:0]
    bool provides_device_sdrs = false;       // byte 2 b7
    std::uint8_t firmware_major = 0;         // [6:0]
    bool update_in_progress = false;         // byte 3 b7: "device available" is 0 when normal
    std::uint8_t firmware_minor = 0;         // BCD, as sent
    std::uint8_t ipmi_version = 0x02;        // BCD, LS nibble major: 0x02 = 2.0, 0x51 = 1.5
    std::uint8_t additional_support = 0;     // b7 chassis, b6 bridge, … b0 sensor device
    std::uint32_t manufacturer_id = 0;       // IANA enterprise number, 20 bits
    std::uint16_t product_id = 0;
    bool has_aux_firmware_revision = false;  // the optional 4 bytes are present
    std::array<std::uint8_t, 4> aux_firmware_revision{};

    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      writer w(out);
      if (device_revision > 0x0F || firmware_major > 0x7F || manufacturer_id > 0xFFFFF)
        w.fail(encode_error::out_of_range);
      w.u8(device_id);
      w.u8(static_cast<std::uint8_t>((provides_device_sdrs ? 0x80 : 0) | device_revision));
      w.u8(static_cast<std::uint8_t>((update_in_progress ? 0x80 : 0) | firmware_major));
      w.u8(firmware_minor);
      w.u8(ipmi_version);
      w.u8(additional_support);
      w.le24(manufacturer_id);
      w.le16(product_id);
      if (has_aux_firmware_revision) w.bytes(aux_firmware_revision);
      return w.result();
    }

    [[nodiscard]] static constexpr parsed<response> parse(std::span<const std::uint8_t> data) noexcept {
      reader r(data);
      response v;
      v.device_id = r.u8();
      const std::uint8_t rev = r.u8();
      r.reserved_zero(rev, 0x70);
      v.provides_device_sdrs = (rev & 0x80) != 0;
      v.device_revision = rev & 0x0F;
      const std::uint8_t fw = r.u8();
      v.update_in_progress = (fw & 0x80) != 0;
      v.firmware_major = fw & 0x7F;
      v.firmware_minor = r.u8();
      v.ipmi_version = r.u8();
      v.additional_support = r.u8();
      v.manufacturer_id = r.le24();
      r.reserved_zero(static_cast<std::uint8_t>(v.manufacturer_id >> 16), 0xF0);
      v.manufacturer_id &= 0xFFFFF;
      v.product_id = r.le16();
      if (r.remaining() == 4) {  // optional; anything but 0 or 4 bytes more is too long
        v.has_aux_firmware_revision = true;
        r.bytes(v.aux_firmware_revision);
      }
      return r.result(v);
    }

    friend constexpr bool operator==(const response&, const response&) noexcept = default;
  };
};

// ---------------------------------------------------------------------------------------------
// Get Self Test Results (IPMI v2.0 §20.4)

/// The first response byte (IPMI v2.0 §20.4); other values are device-specific.
enum class self_test_result : std::uint8_t {
  passed = 0x55,
  not_implemented = 0x56,
  corrupted_or_inaccessible = 0x57,  // the second byte's bits say what
  fatal_hardware_error = 0x58,       // the second byte is a device-specific code
};

/// The second byte's bits when the result is corrupted_or_inaccessible.
namespace self_test_bit {
inline constexpr std::uint8_t sel_inaccessible = 0x80;
inline constexpr std::uint8_t sdr_inaccessible = 0x40;
inline constexpr std::uint8_t bmc_fru_inaccessible = 0x20;
inline constexpr std::uint8_t ipmb_lines_dead = 0x10;
inline constexpr std::uint8_t sdr_empty = 0x08;
inline constexpr std::uint8_t internal_fru_corrupted = 0x04;
inline constexpr std::uint8_t boot_block_firmware_corrupted = 0x02;
inline constexpr std::uint8_t operational_firmware_corrupted = 0x01;
}  // namespace self_test_bit

struct get_self_test_results {
  static constexpr command_id id = commands::get_self_test_results;
  using request = no_data;

  struct response {
    static constexpr std::size_t min_size = 2;
    static constexpr std::size_t max_size = 2;

    self_test_result result = self_test_result::passed;  // any byte value is carried as is
    std::uint8_t detail = 0;

    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      writer w(out);
      w.u8(static_cast<std::uint8_t>(result));
      w.u8(detail);
      return w.result();
    }
    [[nodiscard]] static constexpr parsed<response> parse(std::span<const std::uint8_t> data) noexcept {
      reader r(data);
      response v;
      v.result = static_cast<self_test_result>(r.u8());
      v.detail = r.u8();
      return r.result(v);
    }
    friend constexpr bool operator==(const response&, const response&) noexcept = default;
  };
};

// ---------------------------------------------------------------------------------------------
// Get Device GUID (IPMI v2.0 §20.8) and Get System GUID (§22.14)

/// A GUID as the 16 bytes on the wire. IPMI sends it least significant byte first, the reverse
/// of RFC 4122's order (IPMI v2.0 §20.8; EDK2's IpmiFeature.h says the same); ipmitool's
/// `mc guid` guesses the encoding, FreeIPMI's `-W guidformat` lets the user choose.
using guid = std::array<std::uint8_t, 16>;

/// The wire bytes of the GUID whose 16 bytes in RFC 4122 order (the order of the `8-4-4-4-12`
/// hex text QEMU's `-uuid` takes) are `rfc4122_order`: all 16 reversed.
[[nodiscard]] constexpr guid guid_from_rfc4122(const std::array<std::uint8_t, 16>& rfc4122_order) noexcept {
  guid g{};
  for (std::size_t i = 0; i < 16; ++i) g[i] = rfc4122_order[15 - i];
  return g;
}

namespace detail {
struct guid_response {
  static constexpr std::size_t min_size = 16;
  static constexpr std::size_t max_size = 16;

  guid value{};

  [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
    writer w(out);
    w.bytes(value);
    return w.result();
  }
  [[nodiscard]] static constexpr parsed<guid_response> parse(std::span<const std::uint8_t> data) noexcept {
    reader r(data);
    guid_response v;
    r.bytes(v.value);
    return r.result(v);
  }
  friend constexpr bool operator==(const guid_response&, const guid_response&) noexcept = default;
};
}  // namespace detail

struct get_device_guid {
  static constexpr command_id id = commands::get_device_guid;
  using request = no_data;
  using response = detail::guid_response;
};

struct get_system_guid {
  static constexpr command_id id = commands::get_system_guid;
  using request = no_data;
  using response = detail::guid_response;
};

// ---------------------------------------------------------------------------------------------
// Bits of a byte, for the flag fields below.

namespace detail::app {
/// `1 << bit` when `on`, else 0.
[[nodiscard]] constexpr std::uint8_t bit(bool on, unsigned n) noexcept {
  return on ? static_cast<std::uint8_t>(1u << n) : std::uint8_t{0};
}
[[nodiscard]] constexpr bool test(std::uint8_t v, unsigned n) noexcept { return ((v >> n) & 1u) != 0; }
}  // namespace detail::app

// ---------------------------------------------------------------------------------------------
// Set / Get BMC Global Enables (IPMI v2.0 §22.1, §22.2)

/// The BMC Global Enables byte: Set's request and Get's response (IPMI v2.0 §22.1). Bit 4 is
/// reserved.
struct bmc_global_enables {
  static constexpr std::size_t min_size = 1;
  static constexpr std::size_t max_size = 1;

  bool receive_message_queue_interrupt = false;      // b0 (IPMI v2.0 §22.1)
  bool event_message_buffer_full_interrupt = false;  // b1 (IPMI v2.0 §22.1)
  bool event_message_buffer = false;                 // b2 (IPMI v2.0 §22.1)
  bool system_event_logging = false;                 // b3 (IPMI v2.0 §22.1)
  bool oem0 = false;                                 // b5 (IPMI v2.0 §22.1)
  bool oem1 = false;                                 // b6 (IPMI v2.0 §22.1)
  bool oem2 = false;                                 // b7 (IPMI v2.0 §22.1)

  [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
    using detail::app::bit;
    writer w(out);
    w.u8(static_cast<std::uint8_t>(bit(receive_message_queue_interrupt, 0) | bit(event_message_buffer_full_interrupt, 1) |
                                   bit(event_message_buffer, 2) | bit(system_event_logging, 3) | bit(oem0, 5) |
                                   bit(oem1, 6) | bit(oem2, 7)));
    return w.result();
  }
  [[nodiscard]] static constexpr parsed<bmc_global_enables> parse(std::span<const std::uint8_t> data) noexcept {
    using detail::app::test;
    reader r(data);
    const std::uint8_t b = r.u8();
    r.reserved_zero(b, 0x10);  // b4 reserved (IPMI v2.0 §22.1)
    bmc_global_enables v;
    v.receive_message_queue_interrupt = test(b, 0);
    v.event_message_buffer_full_interrupt = test(b, 1);
    v.event_message_buffer = test(b, 2);
    v.system_event_logging = test(b, 3);
    v.oem0 = test(b, 5);
    v.oem1 = test(b, 6);
    v.oem2 = test(b, 7);
    return r.result(v);
  }
  friend constexpr bool operator==(const bmc_global_enables&, const bmc_global_enables&) noexcept = default;
};

struct set_bmc_global_enables {
  static constexpr command_id id = commands::set_bmc_global_enables;
  using request = bmc_global_enables;
  using response = no_data;
};

struct get_bmc_global_enables {
  static constexpr command_id id = commands::get_bmc_global_enables;
  using request = no_data;
  using response = bmc_global_enables;
};

// ---------------------------------------------------------------------------------------------
// Clear / Get Message Flags (IPMI v2.0 §22.3, §22.4)

/// The message flags byte: Get Message Flags' response (the flags that are set) and Clear
/// Message Flags' request (the flags to clear), one layout (IPMI v2.0 §22.3, §22.4). Bits 2
/// and 4 are reserved.
struct message_flags {
  static constexpr std::size_t min_size = 1;
  static constexpr std::size_t max_size = 1;

  bool receive_message_available = false;  // b0: the receive message queue (IPMI v2.0 §22.4)
  bool event_message_buffer_full = false;  // b1: the event message buffer (IPMI v2.0 §22.4)
  bool watchdog_pretimeout = false;        // b3: the watchdog pre-timeout interrupt (IPMI v2.0 §22.4)
  bool oem0 = false;                       // b5: OEM 0 data available (IPMI v2.0 §22.4)
  bool oem1 = false;                       // b6: OEM 1 data available (IPMI v2.0 §22.4)
  bool oem2 = false;                       // b7: OEM 2 data available (IPMI v2.0 §22.4)

  [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
    using detail::app::bit;
    writer w(out);
    w.u8(static_cast<std::uint8_t>(bit(receive_message_available, 0) | bit(event_message_buffer_full, 1) |
                                   bit(watchdog_pretimeout, 3) | bit(oem0, 5) | bit(oem1, 6) | bit(oem2, 7)));
    return w.result();
  }
  [[nodiscard]] static constexpr parsed<message_flags> parse(std::span<const std::uint8_t> data) noexcept {
    using detail::app::test;
    reader r(data);
    const std::uint8_t b = r.u8();
    r.reserved_zero(b, 0x14);  // b4, b2 reserved (IPMI v2.0 §22.3, §22.4)
    message_flags v;
    v.receive_message_available = test(b, 0);
    v.event_message_buffer_full = test(b, 1);
    v.watchdog_pretimeout = test(b, 3);
    v.oem0 = test(b, 5);
    v.oem1 = test(b, 6);
    v.oem2 = test(b, 7);
    return r.result(v);
  }
  friend constexpr bool operator==(const message_flags&, const message_flags&) noexcept = default;
};

struct clear_message_flags {
  static constexpr command_id id = commands::clear_message_flags;
  using request = message_flags;
  using response = no_data;
};

struct get_message_flags {
  static constexpr command_id id = commands::get_message_flags;
  using request = no_data;
  using response = message_flags;
};

// ---------------------------------------------------------------------------------------------
// Read Event Message Buffer (IPMI v2.0 §22.8)

/// Read Event Message Buffer's completion code when the buffer is empty: "data not available"
/// (IPMI v2.0 §22.8).
inline constexpr completion_code event_message_buffer_empty = static_cast<completion_code>(0x80);

struct read_event_message_buffer {
  static constexpr command_id id = commands::read_event_message_buffer;
  using request = no_data;

  struct response {
    static constexpr std::size_t min_size = 16;  // always 16 bytes (IPMI v2.0 §22.8)
    static constexpr std::size_t max_size = 16;

    /// The message as the buffer holds it: for a system event, the 16 bytes of a SEL record
    /// (IPMI v2.0 §32.1), record type in byte 2.
    std::array<std::uint8_t, 16> message{};

    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      writer w(out);
      w.bytes(message);
      return w.result();
    }
    [[nodiscard]] static constexpr parsed<response> parse(std::span<const std::uint8_t> data) noexcept {
      reader r(data);
      response v;
      r.bytes(v.message);
      return r.result(v);
    }
    friend constexpr bool operator==(const response&, const response&) noexcept = default;
  };
};

// ---------------------------------------------------------------------------------------------
// The watchdog: Reset (IPMI v2.0 §27.5), Set (§27.6) and Get Watchdog Timer (§27.7)

/// Timer use, bits [2:0] of the timer use byte (IPMI v2.0 §27.6); 6 and 7 are reserved.
enum class watchdog_timer_use : std::uint8_t {
  /// 000b, reserved (IPMI v2.0 §27.6): Set refuses it, but Get accepts it, since it is what a
  /// BMC whose timer was never set reports (ipmikit-bmc does: apps/ipmikit-bmc/bmc.hpp).
  none = 0,
  bios_frb2 = 1,  // BIOS FRB2 (IPMI v2.0 §27.6)
  bios_post = 2,  // BIOS/POST (IPMI v2.0 §27.6)
  os_load = 3,    // OS Load (IPMI v2.0 §27.6)
  sms_os = 4,     // SMS/OS (IPMI v2.0 §27.6)
  oem = 5,        // OEM (IPMI v2.0 §27.6)
};

/// Pre-timeout interrupt, timer actions bits [6:4] (IPMI v2.0 §27.6); 4-7 are reserved.
enum class watchdog_pretimeout_interrupt : std::uint8_t {
  none = 0,       // IPMI v2.0 §27.6
  smi = 1,        // IPMI v2.0 §27.6
  nmi = 2,        // "NMI / Diagnostic Interrupt" (IPMI v2.0 §27.6)
  messaging = 3,  // "Messaging Interrupt": the pre-timeout message flag (IPMI v2.0 §27.6)
};

/// Timeout action, timer actions bits [2:0] (IPMI v2.0 §27.6); 4-7 are reserved.
enum class watchdog_timeout_action : std::uint8_t {
  none = 0,         // "no action" (IPMI v2.0 §27.6)
  hard_reset = 1,   // IPMI v2.0 §27.6
  power_down = 2,   // IPMI v2.0 §27.6
  power_cycle = 3,  // IPMI v2.0 §27.6
};

/// Reset Watchdog Timer's completion code when no Set Watchdog Timer came first: "attempt to
/// start un-initialized watchdog" (IPMI v2.0 §27.5).
inline constexpr completion_code watchdog_not_initialized = static_cast<completion_code>(0x80);

/// The timer use expiration flags byte: Get's "expired" flags, Set's "clear these" flags
/// (IPMI v2.0 §27.6, §27.7). Bits 0, 6 and 7 are reserved.
struct watchdog_expiration_flags {
  bool bios_frb2 = false;  // b1 (IPMI v2.0 §27.6)
  bool bios_post = false;  // b2 (IPMI v2.0 §27.6)
  bool os_load = false;    // b3 (IPMI v2.0 §27.6)
  bool sms_os = false;     // b4 (IPMI v2.0 §27.6)
  bool oem = false;        // b5 (IPMI v2.0 §27.6)

  /// The flag of timer use `u` (bit u of the byte); false for none.
  [[nodiscard]] constexpr bool operator[](watchdog_timer_use u) const noexcept {
    return detail::app::test(to_byte(), static_cast<unsigned>(u)) && u != watchdog_timer_use::none;
  }
  [[nodiscard]] constexpr std::uint8_t to_byte() const noexcept {
    using detail::app::bit;
    return static_cast<std::uint8_t>(bit(bios_frb2, 1) | bit(bios_post, 2) | bit(os_load, 3) | bit(sms_os, 4) |
                                     bit(oem, 5));
  }
  /// The flags of `b`; reserved bits are the caller's to check (reserved_mask).
  [[nodiscard]] static constexpr watchdog_expiration_flags from_byte(std::uint8_t b) noexcept {
    using detail::app::test;
    return {test(b, 1), test(b, 2), test(b, 3), test(b, 4), test(b, 5)};
  }
  static constexpr std::uint8_t reserved_mask = 0xC1;  // b7, b6, b0 (IPMI v2.0 §27.6)

  friend constexpr bool operator==(const watchdog_expiration_flags&, const watchdog_expiration_flags&) noexcept =
      default;
};

namespace detail::app {
/// The timer use byte's [2:0] and b7 (don't log); b6 is the caller's. `allow_none` is Get's.
[[nodiscard]] constexpr bool timer_use_ok(watchdog_timer_use u, bool allow_none) noexcept {
  const auto n = static_cast<std::uint8_t>(u);
  return n <= 5 && (allow_none || n != 0);
}
[[nodiscard]] constexpr bool timer_actions_ok(watchdog_pretimeout_interrupt p, watchdog_timeout_action a) noexcept {
  return static_cast<std::uint8_t>(p) <= 3 && static_cast<std::uint8_t>(a) <= 3;
}
[[nodiscard]] constexpr std::uint8_t timer_actions_byte(watchdog_pretimeout_interrupt p,
                                                        watchdog_timeout_action a) noexcept {
  return static_cast<std::uint8_t>((static_cast<unsigned>(p) << 4) | static_cast<unsigned>(a));
}
/// Reads the timer use byte's [2:0] (refusing reserved uses) and [5:3] (reserved); returns b7
/// and b6 in `dont_log` and `b6`.
constexpr watchdog_timer_use read_timer_use(reader& r, bool allow_none, bool& dont_log, bool& b6) noexcept {
  const std::uint8_t b = r.u8();
  r.reserved_zero(b, 0x38);  // [5:3] reserved (IPMI v2.0 §27.6, §27.7)
  const auto u = static_cast<watchdog_timer_use>(b & 0x07);
  if (!timer_use_ok(u, allow_none)) r.fail(parse_error::reserved_value);
  dont_log = test(b, 7);
  b6 = test(b, 6);
  return u;
}
/// Reads the timer actions byte: b7 and b3 reserved, reserved codes refused.
constexpr void read_timer_actions(reader& r, watchdog_pretimeout_interrupt& p, watchdog_timeout_action& a) noexcept {
  const std::uint8_t b = r.u8();
  r.reserved_zero(b, 0x88);  // b7, b3 reserved (IPMI v2.0 §27.6)
  p = static_cast<watchdog_pretimeout_interrupt>((b >> 4) & 0x07);
  a = static_cast<watchdog_timeout_action>(b & 0x07);
  if (!timer_actions_ok(p, a)) r.fail(parse_error::reserved_value);
}
}  // namespace detail::app

struct reset_watchdog_timer {
  static constexpr command_id id = commands::reset_watchdog_timer;
  using request = no_data;
  using response = no_data;
};

struct set_watchdog_timer {
  static constexpr command_id id = commands::set_watchdog_timer;
  using response = no_data;

  struct request {
    static constexpr std::size_t min_size = 6;
    static constexpr std::size_t max_size = 6;

    watchdog_timer_use timer_use = watchdog_timer_use::sms_os;  // byte 1 [2:0]; none is refused
    bool dont_stop = false;  // byte 1 b6: a running timer keeps running with the new settings
    bool dont_log = false;   // byte 1 b7: no SEL/event on expiry
    watchdog_pretimeout_interrupt pretimeout_interrupt = watchdog_pretimeout_interrupt::none;  // byte 2 [6:4]
    watchdog_timeout_action timeout_action = watchdog_timeout_action::none;                     // byte 2 [2:0]
    std::uint8_t pretimeout_interval = 0;  // byte 3: seconds before the timeout
    watchdog_expiration_flags clear_expiration_flags{};  // byte 4: the expiration flags to clear
    std::uint16_t initial_countdown = 0;  // bytes 5-6: in 100 ms units (IPMI v2.0 §27.6)

    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      using detail::app::bit;
      writer w(out);
      if (!detail::app::timer_use_ok(timer_use, false) ||
          !detail::app::timer_actions_ok(pretimeout_interrupt, timeout_action))
        w.fail(encode_error::out_of_range);
      w.u8(static_cast<std::uint8_t>(bit(dont_log, 7) | bit(dont_stop, 6) | static_cast<std::uint8_t>(timer_use)));
      w.u8(detail::app::timer_actions_byte(pretimeout_interrupt, timeout_action));
      w.u8(pretimeout_interval);
      w.u8(clear_expiration_flags.to_byte());
      w.le16(initial_countdown);
      return w.result();
    }
    [[nodiscard]] static constexpr parsed<request> parse(std::span<const std::uint8_t> data) noexcept {
      reader r(data);
      request v;
      v.timer_use = detail::app::read_timer_use(r, false, v.dont_log, v.dont_stop);
      detail::app::read_timer_actions(r, v.pretimeout_interrupt, v.timeout_action);
      v.pretimeout_interval = r.u8();
      const std::uint8_t clear = r.u8();
      r.reserved_zero(clear, watchdog_expiration_flags::reserved_mask);
      v.clear_expiration_flags = watchdog_expiration_flags::from_byte(clear);
      v.initial_countdown = r.le16();
      return r.result(v);
    }
    friend constexpr bool operator==(const request&, const request&) noexcept = default;
  };
};

struct get_watchdog_timer {
  static constexpr command_id id = commands::get_watchdog_timer;
  using request = no_data;

  struct response {
    static constexpr std::size_t min_size = 8;
    static constexpr std::size_t max_size = 8;

    watchdog_timer_use timer_use = watchdog_timer_use::none;  // byte 1 [2:0]
    bool running = false;   // byte 1 b6: "timer is started" (IPMI v2.0 §27.7)
    bool dont_log = false;  // byte 1 b7
    watchdog_pretimeout_interrupt pretimeout_interrupt = watchdog_pretimeout_interrupt::none;  // byte 2 [6:4]
    watchdog_timeout_action timeout_action = watchdog_timeout_action::none;                     // byte 2 [2:0]
    std::uint8_t pretimeout_interval = 0;         // byte 3: seconds
    watchdog_expiration_flags expiration_flags{};  // byte 4: the uses whose timer expired
    std::uint16_t initial_countdown = 0;          // bytes 5-6: 100 ms units
    std::uint16_t present_countdown = 0;          // bytes 7-8: 100 ms units

    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      using detail::app::bit;
      writer w(out);
      if (!detail::app::timer_use_ok(timer_use, true) ||
          !detail::app::timer_actions_ok(pretimeout_interrupt, timeout_action))
        w.fail(encode_error::out_of_range);
      w.u8(static_cast<std::uint8_t>(bit(dont_log, 7) | bit(running, 6) | static_cast<std::uint8_t>(timer_use)));
      w.u8(detail::app::timer_actions_byte(pretimeout_interrupt, timeout_action));
      w.u8(pretimeout_interval);
      w.u8(expiration_flags.to_byte());
      w.le16(initial_countdown);
      w.le16(present_countdown);
      return w.result();
    }
    [[nodiscard]] static constexpr parsed<response> parse(std::span<const std::uint8_t> data) noexcept {
      reader r(data);
      response v;
      v.timer_use = detail::app::read_timer_use(r, true, v.dont_log, v.running);
      detail::app::read_timer_actions(r, v.pretimeout_interrupt, v.timeout_action);
      v.pretimeout_interval = r.u8();
      const std::uint8_t flags = r.u8();
      r.reserved_zero(flags, watchdog_expiration_flags::reserved_mask);
      v.expiration_flags = watchdog_expiration_flags::from_byte(flags);
      v.initial_countdown = r.le16();
      v.present_countdown = r.le16();
      return r.result(v);
    }
    friend constexpr bool operator==(const response&, const response&) noexcept = default;
  };
};

}  // namespace ipmikit::cmd
