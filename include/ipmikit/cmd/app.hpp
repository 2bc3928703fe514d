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

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <tuple>

#include "codec.hpp"

namespace ipmikit::cmd {

// ---------------------------------------------------------------------------------------------
// Get Device ID (IPMI v2.0 §20.1)

struct get_device_id {
  static constexpr command_id id = commands::get_device_id;
  using request = no_data;

  struct response_layout {
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

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      io.u8(v.device_id);
      io.bits([&](auto& b) {
        b.field(0, 0x0F, v.device_revision);
        b.reserved(0x70);
        b.flag(7, v.provides_device_sdrs);
      });
      io.bits([&](auto& b) {
        b.field(0, 0x7F, v.firmware_major);
        b.flag(7, v.update_in_progress);
      });
      io.u8(v.firmware_minor);
      io.u8(v.ipmi_version);
      io.u8(v.additional_support);
      io.le24(v.manufacturer_id);
      io.require(v.manufacturer_id <= 0xFFFFF, parse_error::reserved_value);  // [23:20] reserved
      io.le16(v.product_id);
      // Optional; anything but 0 or 4 bytes more is too long.
      if constexpr (IO::reading) v.has_aux_firmware_revision = io.raw().remaining() == 4;
      if (v.has_aux_firmware_revision) io.bytes(v.aux_firmware_revision);
    }
    friend constexpr bool operator==(const response_layout&, const response_layout&) noexcept = default;
  };
  using response = detail::with_codec<response_layout>;
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

  struct response_layout {
    self_test_result result = self_test_result::passed;  // any byte value is carried as is
    std::uint8_t detail = 0;

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      io.u8(v.result);
      io.u8(v.detail);
    }
    friend constexpr bool operator==(const response_layout&, const response_layout&) noexcept = default;
  };
  using response = detail::with_codec<response_layout>;
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
struct guid_layout {
  guid value{};

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept { io.bytes(v.value); }
  friend constexpr bool operator==(const guid_layout&, const guid_layout&) noexcept = default;
};
using guid_response = with_codec<guid_layout>;
}  // namespace detail

using get_device_guid = detail::typed_command<commands::get_device_guid, no_data, detail::guid_response>;

using get_system_guid = detail::typed_command<commands::get_system_guid, no_data, detail::guid_response>;


// ---------------------------------------------------------------------------------------------
// Set / Get BMC Global Enables (IPMI v2.0 §22.1, §22.2)

/// The BMC Global Enables byte: Set's request and Get's response (IPMI v2.0 §22.1). Bit 4 is
/// reserved.
struct bmc_global_enables_layout {
  bool receive_message_queue_interrupt = false;      // b0 (IPMI v2.0 §22.1)
  bool event_message_buffer_full_interrupt = false;  // b1 (IPMI v2.0 §22.1)
  bool event_message_buffer = false;                 // b2 (IPMI v2.0 §22.1)
  bool system_event_logging = false;                 // b3 (IPMI v2.0 §22.1)
  bool oem0 = false;                                 // b5 (IPMI v2.0 §22.1)
  bool oem1 = false;                                 // b6 (IPMI v2.0 §22.1)
  bool oem2 = false;                                 // b7 (IPMI v2.0 §22.1)

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.bits([&](auto& b) {
      b.flags({0, 1, 2, 3, 5, 6, 7}, v.receive_message_queue_interrupt, v.event_message_buffer_full_interrupt,
              v.event_message_buffer, v.system_event_logging, v.oem0, v.oem1, v.oem2);
      b.reserved(0x10);  // b4 (IPMI v2.0 §22.1)
    });
  }
  friend constexpr bool operator==(const bmc_global_enables_layout&, const bmc_global_enables_layout&) noexcept =
      default;
};
using bmc_global_enables = detail::with_codec<bmc_global_enables_layout>;

using set_bmc_global_enables = detail::typed_command<commands::set_bmc_global_enables, bmc_global_enables, no_data>;

using get_bmc_global_enables = detail::typed_command<commands::get_bmc_global_enables, no_data, bmc_global_enables>;

// ---------------------------------------------------------------------------------------------
// Clear / Get Message Flags (IPMI v2.0 §22.3, §22.4)

/// The message flags byte: Get Message Flags' response (the flags that are set) and Clear
/// Message Flags' request (the flags to clear), one layout (IPMI v2.0 §22.3, §22.4). Bits 2
/// and 4 are reserved.
struct message_flags_layout {
  bool receive_message_available = false;  // b0: the receive message queue (IPMI v2.0 §22.4)
  bool event_message_buffer_full = false;  // b1: the event message buffer (IPMI v2.0 §22.4)
  bool watchdog_pretimeout = false;        // b3: the watchdog pre-timeout interrupt (IPMI v2.0 §22.4)
  bool oem0 = false;                       // b5: OEM 0 data available (IPMI v2.0 §22.4)
  bool oem1 = false;                       // b6: OEM 1 data available (IPMI v2.0 §22.4)
  bool oem2 = false;                       // b7: OEM 2 data available (IPMI v2.0 §22.4)

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.bits([&](auto& b) {
      b.flags({0, 1, 3, 5, 6, 7}, v.receive_message_available, v.event_message_buffer_full, v.watchdog_pretimeout,
              v.oem0, v.oem1, v.oem2);
      b.reserved(0x14);  // b4, b2 (IPMI v2.0 §22.3, §22.4)
    });
  }
  friend constexpr bool operator==(const message_flags_layout&, const message_flags_layout&) noexcept = default;
};
using message_flags = detail::with_codec<message_flags_layout>;

using clear_message_flags = detail::typed_command<commands::clear_message_flags, message_flags, no_data>;

using get_message_flags = detail::typed_command<commands::get_message_flags, no_data, message_flags>;

// ---------------------------------------------------------------------------------------------
// Read Event Message Buffer (IPMI v2.0 §22.8)

/// Read Event Message Buffer's completion code when the buffer is empty: "data not available"
/// (IPMI v2.0 §22.8).
inline constexpr completion_code event_message_buffer_empty = static_cast<completion_code>(0x80);

struct read_event_message_buffer {
  static constexpr command_id id = commands::read_event_message_buffer;
  using request = no_data;

  struct response_layout {
    /// The message as the buffer holds it: for a system event, the 16 bytes of a SEL record
    /// (IPMI v2.0 §32.1), record type in byte 2.
    std::array<std::uint8_t, 16> message{};

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept { io.bytes(v.message); }
    friend constexpr bool operator==(const response_layout&, const response_layout&) noexcept = default;
  };
  using response = detail::with_codec<response_layout>;
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

  static constexpr std::uint8_t reserved_mask = 0xC1;  // b7, b6, b0 (IPMI v2.0 §27.6)

  /// The flag of timer use `u` (bit u of the byte); false for none.
  [[nodiscard]] constexpr bool operator[](watchdog_timer_use u) const noexcept {
    return u != watchdog_timer_use::none && ((static_cast<unsigned>(to_byte()) >> static_cast<unsigned>(u)) & 1u) != 0;
  }
  /// The bits, one description for to_byte(), from_byte() and the commands' fields(); the
  /// reserved ones are the caller's (reserved_mask).
  template <class Bits, class F>
  static constexpr void bits(Bits& b, F& f) noexcept {
    b.flag(1, f.bios_frb2);
    b.flag(2, f.bios_post);
    b.flag(3, f.os_load);
    b.flag(4, f.sms_os);
    b.flag(5, f.oem);
  }
  [[nodiscard]] constexpr std::uint8_t to_byte() const noexcept {
    detail::bits_writer b;
    bits(b, *this);
    return b.value();
  }
  [[nodiscard]] static constexpr watchdog_expiration_flags from_byte(std::uint8_t v) noexcept {
    const detail::bits_reader b(v);
    watchdog_expiration_flags f;
    bits(b, f);
    return f;
  }

  friend constexpr bool operator==(const watchdog_expiration_flags&, const watchdog_expiration_flags&) noexcept =
      default;
};

namespace detail::app {
/// Timer use [2:0] 1-5; 0 only where `allow_none` (Get: a timer never set reports it).
[[nodiscard]] constexpr bool timer_use_ok(watchdog_timer_use u, bool allow_none) noexcept {
  const auto n = static_cast<std::uint8_t>(u);
  return n <= 5 && (allow_none || n != 0);
}
[[nodiscard]] constexpr bool timer_actions_ok(watchdog_pretimeout_interrupt p, watchdog_timeout_action a) noexcept {
  return static_cast<std::uint8_t>(p) <= 3 && static_cast<std::uint8_t>(a) <= 3;
}

/// Which of the two commands the timer fields are.
enum class timer_fields_of : std::uint8_t { set_request, get_response };

/// Bytes 1-6, the layout Set Watchdog Timer's request and Get Watchdog Timer's response share
/// (IPMI v2.0 §27.6, §27.7): the timer use byte (b7 don't log), the timer actions, the
/// pre-timeout interval, the expiration flags byte, the initial countdown. The two name byte 1
/// b6 and byte 4 their own way (Set: don't stop, flags to clear; Get: running, flags expired),
/// passed as `b6` and `flags`. Reserved codes are refused in both (timer use 6 and 7, and 0 in
/// Set; interrupts and actions 4-7). Reserved bits are refused in Get's response but ignored in
/// Set's request: firmware does set them (Insyde's H2O BIOS headers define "don't stop" as 60h,
/// b6 and the reserved b5), while Linux's ipmi_watchdog (the 04 00 00 00 32 00 / 44 01 … that
/// cmd_app_test decodes) and ipmitool send them clear, so ignoring them refuses nobody and keeps
/// such firmware's timer running.
template <class IO, class V, class B6, class Flags>
constexpr void timer_fields(IO& io, V& v, B6& b6, Flags& flags, timer_fields_of of) noexcept {
  const bool set = of == timer_fields_of::set_request;
  const auto reserved = [set](auto& b, std::uint8_t mask) { set ? b.ignored(mask) : b.reserved(mask); };
  io.bits([&](auto& b) {
    b.field(0, 0x07, v.timer_use);
    reserved(b, 0x38);  // [5:3] (IPMI v2.0 §27.6, §27.7)
    b.flag(6, b6);
    b.flag(7, v.dont_log);
  });
  io.require(timer_use_ok(v.timer_use, !set), parse_error::reserved_value);
  io.bits([&](auto& b) {
    b.field(0, 0x07, v.timeout_action);
    reserved(b, 0x88);  // b7, b3 (IPMI v2.0 §27.6)
    b.field(4, 0x07, v.pretimeout_interrupt);
  });
  io.require(timer_actions_ok(v.pretimeout_interrupt, v.timeout_action), parse_error::reserved_value);
  io.u8(v.pretimeout_interval);
  io.bits([&](auto& b) {
    watchdog_expiration_flags::bits(b, flags);
    reserved(b, watchdog_expiration_flags::reserved_mask);
  });
  io.le16(v.initial_countdown);
}
}  // namespace detail::app

using reset_watchdog_timer = detail::typed_command<commands::reset_watchdog_timer, no_data, no_data>;

struct set_watchdog_timer {
  static constexpr command_id id = commands::set_watchdog_timer;
  using response = no_data;

  struct request_layout {
    watchdog_timer_use timer_use = watchdog_timer_use::sms_os;  // byte 1 [2:0]; none is refused
    bool dont_stop = false;  // byte 1 b6: a running timer keeps running with the new settings
    bool dont_log = false;   // byte 1 b7: no SEL/event on expiry
    watchdog_pretimeout_interrupt pretimeout_interrupt = watchdog_pretimeout_interrupt::none;  // byte 2 [6:4]
    watchdog_timeout_action timeout_action = watchdog_timeout_action::none;                     // byte 2 [2:0]
    std::uint8_t pretimeout_interval = 0;  // byte 3: seconds before the timeout
    watchdog_expiration_flags clear_expiration_flags{};  // byte 4: the expiration flags to clear
    std::uint16_t initial_countdown = 0;  // bytes 5-6: in 100 ms units (IPMI v2.0 §27.6)

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      detail::app::timer_fields(io, v, v.dont_stop, v.clear_expiration_flags,
                                detail::app::timer_fields_of::set_request);
    }
    friend constexpr bool operator==(const request_layout&, const request_layout&) noexcept = default;
  };
  using request = detail::with_codec<request_layout>;
};

struct get_watchdog_timer {
  static constexpr command_id id = commands::get_watchdog_timer;
  using request = no_data;

  struct response_layout {
    watchdog_timer_use timer_use = watchdog_timer_use::none;  // byte 1 [2:0]
    bool running = false;   // byte 1 b6: "timer is started" (IPMI v2.0 §27.7)
    bool dont_log = false;  // byte 1 b7
    watchdog_pretimeout_interrupt pretimeout_interrupt = watchdog_pretimeout_interrupt::none;  // byte 2 [6:4]
    watchdog_timeout_action timeout_action = watchdog_timeout_action::none;                     // byte 2 [2:0]
    std::uint8_t pretimeout_interval = 0;         // byte 3: seconds
    watchdog_expiration_flags expiration_flags{};  // byte 4: the uses whose timer expired
    std::uint16_t initial_countdown = 0;          // bytes 5-6: 100 ms units
    std::uint16_t present_countdown = 0;          // bytes 7-8: 100 ms units

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      detail::app::timer_fields(io, v, v.running, v.expiration_flags, detail::app::timer_fields_of::get_response);
      io.le16(v.present_countdown);
    }
    friend constexpr bool operator==(const response_layout&, const response_layout&) noexcept = default;
  };
  using response = detail::with_codec<response_layout>;
};

// ---------------------------------------------------------------------------------------------
// Channels and privilege levels

/// Channel numbers with a fixed meaning (IPMI v2.0 §6.3 table 6-1); 1h-Bh are the
/// implementation's, Ch-Dh are reserved.
inline constexpr std::uint8_t primary_ipmb_channel = 0x0;      // IPMI v2.0 §6.3 table 6-1
inline constexpr std::uint8_t present_channel = 0xE;           // "present I/F": the one the request came in on (§6.3)
inline constexpr std::uint8_t system_interface_channel = 0xF;  // IPMI v2.0 §6.3 table 6-1

/// Privilege levels, the [3:0] codes of the channel and user commands (IPMI v2.0 §6.8, §22.13,
/// §22.22, §22.26). Which values a field takes is the field's: a limit is callback to oem,
/// a user's limit may also be no_access, and unspecified appears only where nothing is set.
enum class privilege : std::uint8_t {
  unspecified = 0x0,    // 0h: reserved as a level (IPMI v2.0 §22.13, §22.22)
  callback = 0x1,       // IPMI v2.0 §6.8
  user = 0x2,           // IPMI v2.0 §6.8
  operator_ = 0x3,      // "Operator" (IPMI v2.0 §6.8; operator is a C++ keyword)
  administrator = 0x4,  // IPMI v2.0 §6.8
  oem = 0x5,            // "OEM Proprietary" (IPMI v2.0 §6.8)
  no_access = 0xF,      // a user's limit only (IPMI v2.0 §22.26)
};

[[nodiscard]] constexpr std::string_view name(privilege p) noexcept {
  switch (p) {
    case privilege::unspecified: return "unspecified";
    case privilege::callback: return "callback";
    case privilege::user: return "user";
    case privilege::operator_: return "operator";
    case privilege::administrator: return "administrator";
    case privilege::oem: return "oem";
    case privilege::no_access: return "no_access";
  }
  return {};
}

namespace detail::app {
/// A channel number the request fields take: 0h-Bh, Eh, Fh (Ch-Dh reserved, §6.3).
[[nodiscard]] constexpr bool channel_ok(std::uint8_t c) noexcept { return c <= 0xF && c != 0xC && c != 0xD; }
/// A byte of [7:4] reserved, [3:0] channel number.
constexpr std::uint8_t read_channel(reader& r) noexcept {
  const std::uint8_t b = r.u8();
  r.reserved_zero(b, 0xF0);
  if (!channel_ok(b & 0x0F)) r.fail(parse_error::reserved_value);
  return b & 0x0F;
}
/// The same as a field: [7:4] reserved, [3:0] channel number.
template <class IO, class C>
constexpr void channel_field(IO& io, C& channel) noexcept {
  io.byte(channel, 0xF0);
  io.require(channel_ok(channel), parse_error::reserved_value);
}
/// A byte of [7:4] reserved, [3:0] a privilege level that `ok` accepts.
template <class IO, class P>
constexpr void privilege_field(IO& io, P& level, bool (*ok)(privilege)) noexcept {
  io.byte(level, 0xF0);
  io.require(ok(level), parse_error::reserved_value);
}
/// callback to oem: a channel's limit, a requested maximum.
[[nodiscard]] constexpr bool level_ok(privilege p) noexcept {
  return p >= privilege::callback && p <= privilege::oem;
}
/// A user's limit: callback to oem, or no_access.
[[nodiscard]] constexpr bool user_level_ok(privilege p) noexcept { return level_ok(p) || p == privilege::no_access; }
/// A user ID: [5:0], 0 reserved (IPMI v2.0 §22.26-§22.30).
[[nodiscard]] constexpr bool user_id_ok(std::uint8_t id) noexcept { return id >= 1 && id <= 0x3F; }
}  // namespace detail::app

// ---------------------------------------------------------------------------------------------
// Get Channel Authentication Capabilities (IPMI v2.0 §22.13; lan.md §3)

struct get_channel_authentication_capabilities {
  static constexpr command_id id = commands::get_channel_authentication_capabilities;

  struct request_layout {
    std::uint8_t channel = present_channel;             // byte 1 [3:0]
    bool extended_data = true;                          // byte 1 b7: "get IPMI v2.0+ extended data"
    privilege max_privilege = privilege::administrator;  // byte 2 [3:0]: callback to oem

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      io.bits([&](auto& b) {
        b.field(0, 0x0F, v.channel);
        b.reserved(0x70);  // [6:4] (IPMI v2.0 §22.13)
        b.flag(7, v.extended_data);
      });
      io.require(detail::app::channel_ok(v.channel), parse_error::reserved_value);
      detail::app::privilege_field(io, v.max_privilege, &detail::app::level_ok);
    }
    friend constexpr bool operator==(const request_layout&, const request_layout&) noexcept = default;
  };
  using request = detail::with_codec<request_layout>;

  struct response_layout {
    std::uint8_t channel = 0;                // byte 1 [3:0]
    bool extended_capabilities = false;      // byte 2 b7: IPMI v2.0+ extended capabilities (byte 4)
    bool auth_none = false;                  // byte 2 b0: authentication type "none" enabled
    bool auth_md2 = false;                   // byte 2 b1
    bool auth_md5 = false;                   // byte 2 b2
    bool auth_straight_password = false;     // byte 2 b4: straight password / key
    bool auth_oem = false;                   // byte 2 b5: OEM proprietary
    bool kg_nonzero = false;                 // byte 3 b5: "KG status", a non-zero K_g is set
    bool per_message_auth_disabled = false;  // byte 3 b4
    bool user_level_auth_disabled = false;   // byte 3 b3
    bool non_null_usernames = false;         // byte 3 b2: non-null usernames enabled
    bool null_usernames = false;             // byte 3 b1: null usernames enabled
    bool anonymous_login = false;            // byte 3 b0: anonymous login enabled
    bool supports_ipmi_v20 = false;          // byte 4 b1: IPMI v2.0 (RMCP+) connections
    bool supports_ipmi_v15 = false;          // byte 4 b0: IPMI v1.5 connections
    std::uint32_t oem_id = 0;                // bytes 5-7: OEM IANA enterprise number (24 bits)
    std::uint8_t oem_auxiliary_data = 0;     // byte 8

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      detail::app::channel_field(io, v.channel);
      io.bits([&](auto& b) {
        b.flags({7, 5, 4, 2, 1, 0}, v.extended_capabilities, v.auth_oem, v.auth_straight_password, v.auth_md5,
                v.auth_md2, v.auth_none);
        b.reserved(0x48);  // b6, b3 (IPMI v2.0 §22.13)
      });
      io.bits([&](auto& b) {
        b.flags({5, 4, 3, 2, 1, 0}, v.kg_nonzero, v.per_message_auth_disabled, v.user_level_auth_disabled,
                v.non_null_usernames, v.null_usernames, v.anonymous_login);
        b.reserved(0xC0);  // [7:6] (IPMI v2.0 §22.13)
      });
      io.bits([&](auto& b) {
        b.flags({1, 0}, v.supports_ipmi_v20, v.supports_ipmi_v15);
        b.reserved(0xFC);  // [7:2] (IPMI v2.0 §22.13)
      });
      io.le24(v.oem_id);
      io.u8(v.oem_auxiliary_data);
    }
    friend constexpr bool operator==(const response_layout&, const response_layout&) noexcept = default;
  };
  using response = detail::with_codec<response_layout>;
};

// ---------------------------------------------------------------------------------------------
// Get Channel Cipher Suites (IPMI v2.0 §22.15; lan.md §4)

/// Payload types, [5:0] (IPMI v2.0 §13.27.3 table 13-16); 20h-27h are OEM payloads, the rest of
/// 03h-3Fh reserved.
enum class payload_type : std::uint8_t {
  ipmi = 0x00,                   // IPMI message (IPMI v2.0 table 13-16)
  sol = 0x01,                    // serial over LAN (IPMI v2.0 table 13-16)
  oem_explicit = 0x02,           // IPMI v2.0 table 13-16
  open_session_request = 0x10,   // RMCP+ (IPMI v2.0 table 13-16)
  open_session_response = 0x11,  // IPMI v2.0 table 13-16
  rakp_1 = 0x12,                 // IPMI v2.0 table 13-16
  rakp_2 = 0x13,                 // IPMI v2.0 table 13-16
  rakp_3 = 0x14,                 // IPMI v2.0 table 13-16
  rakp_4 = 0x15,                 // IPMI v2.0 table 13-16
};

namespace detail::app {
[[nodiscard]] constexpr bool payload_type_ok(payload_type t) noexcept {
  const auto n = static_cast<std::uint8_t>(t);
  return n <= 0x02 || (n >= 0x10 && n <= 0x15) || (n >= 0x20 && n <= 0x27);  // table 13-16
}
}  // namespace detail::app

struct get_channel_cipher_suites {
  static constexpr command_id id = commands::get_channel_cipher_suites;

  /// Record data bytes in one response: bytes [16·index, 16·index + 16) of the list; fewer ends
  /// the list (IPMI v2.0 §22.15; lan.md §4).
  static constexpr std::size_t bytes_per_response = 16;
  /// The highest list index (IPMI v2.0 §22.15: 00h-3Fh).
  static constexpr std::uint8_t max_list_index = 0x3F;

  struct request_layout {
    std::uint8_t channel = present_channel;  // byte 1 [3:0]
    payload_type payload = payload_type::ipmi;  // byte 2 [5:0]
    bool list_by_cipher_suite = true;  // byte 3 b7: 1 the cipher suite records, 0 the supported algorithms
    std::uint8_t list_index = 0;       // byte 3 [5:0]

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      detail::app::channel_field(io, v.channel);
      io.byte(v.payload, 0xC0);  // [7:6] (IPMI v2.0 §22.15)
      io.require(detail::app::payload_type_ok(v.payload), parse_error::reserved_value);
      io.bits([&](auto& b) {
        b.field(0, max_list_index, v.list_index);
        b.reserved(0x40);  // b6 (IPMI v2.0 §22.15)
        b.flag(7, v.list_by_cipher_suite);
      });
    }
    friend constexpr bool operator==(const request_layout&, const request_layout&) noexcept = default;
  };
  using request = detail::with_codec<request_layout>;

  struct response_layout {
    static constexpr std::size_t min_size = 1;                       // the channel alone: an empty list
    static constexpr std::size_t max_size = 1 + bytes_per_response;  // and 16 record bytes

    std::uint8_t channel = 0;  // byte 1 [3:0]
    /// Bytes 2..: up to 16 bytes of the record list as it is sent (records may straddle two
    /// responses; ipmitool and phosphor concatenate them). Bytes past `size` are 0.
    std::array<std::uint8_t, bytes_per_response> data{};
    std::uint8_t size = 0;  // how many of `data` were sent

    [[nodiscard]] constexpr std::span<const std::uint8_t> records() const noexcept {
      return std::span<const std::uint8_t>(data).first(size <= bytes_per_response ? size : bytes_per_response);
    }
    /// True when the list goes on at the next index (a response of exactly 16 record bytes).
    [[nodiscard]] constexpr bool more() const noexcept { return size == bytes_per_response; }

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      detail::app::channel_field(io, v.channel);
      if constexpr (IO::reading) {
        const auto d = io.raw().view(std::min(io.raw().remaining(), bytes_per_response));
        std::copy(d.begin(), d.end(), v.data.begin());
        v.size = static_cast<std::uint8_t>(d.size());
      } else {
        const bool tail_zero = std::all_of(v.data.begin() + v.records().size(), v.data.end(),
                                           [](std::uint8_t b) { return b == 0; });
        io.require(v.size <= bytes_per_response && tail_zero);
        io.raw().bytes(v.records());
      }
    }
    friend constexpr bool operator==(const response_layout&, const response_layout&) noexcept = default;
  };
  using response = detail::with_codec<response_layout>;
};

// ---------------------------------------------------------------------------------------------
// Get Channel Info (IPMI v2.0 §22.24; bmc-commands.md §1.1)

/// Channel medium types, [6:0] (IPMI v2.0 §6.5 table 6-3); 60h-7Fh are OEM, 00h and 0Dh-5Fh
/// reserved.
enum class channel_medium : std::uint8_t {
  ipmb = 0x01,              // IPMB (I2C) (IPMI v2.0 table 6-3)
  icmb_v10 = 0x02,          // ICMB v1.0 (IPMI v2.0 table 6-3)
  icmb_v09 = 0x03,          // ICMB v0.9 (IPMI v2.0 table 6-3)
  lan_802_3 = 0x04,         // 802.3 LAN (IPMI v2.0 table 6-3)
  serial = 0x05,            // asynchronous serial/modem (RS-232) (IPMI v2.0 table 6-3)
  other_lan = 0x06,         // IPMI v2.0 table 6-3
  pci_smbus = 0x07,         // IPMI v2.0 table 6-3
  smbus_v1x = 0x08,         // SMBus v1.0/1.1 (IPMI v2.0 table 6-3)
  smbus_v20 = 0x09,         // SMBus v2.0 (IPMI v2.0 table 6-3; bmc-commands.md says 0Ah, which is USB 1.x)
  usb_1x = 0x0A,            // IPMI v2.0 table 6-3
  usb_2x = 0x0B,            // IPMI v2.0 table 6-3
  system_interface = 0x0C,  // KCS, SMIC, BT, SSIF (IPMI v2.0 table 6-3)
};

/// Channel protocol types, [4:0] (IPMI v2.0 §6.4 table 6-2); 1Ch-1Fh are OEM protocols 1-4,
/// 03h and 0Ah-1Bh reserved.
enum class channel_protocol : std::uint8_t {
  not_applicable = 0x00,  // "n/a" (IPMI v2.0 table 6-2)
  ipmb = 0x01,            // IPMB-1.0, also LAN channels (IPMI v2.0 table 6-2)
  icmb = 0x02,            // ICMB-1.0 (IPMI v2.0 table 6-2)
  ipmi_smbus = 0x04,      // IPMI-SMBus, SSIF (IPMI v2.0 table 6-2)
  kcs = 0x05,             // IPMI v2.0 table 6-2
  smic = 0x06,            // IPMI v2.0 table 6-2
  bt_10 = 0x07,           // BT-10, IPMI v1.0 BT (IPMI v2.0 table 6-2)
  bt_15 = 0x08,           // BT-15, IPMI v1.5 BT (IPMI v2.0 table 6-2)
  tmode = 0x09,           // terminal mode (IPMI v2.0 table 6-2)
  oem_1 = 0x1C,           // IPMI v2.0 table 6-2
  oem_2 = 0x1D,           // IPMI v2.0 table 6-2
  oem_3 = 0x1E,           // IPMI v2.0 table 6-2
  oem_4 = 0x1F,           // IPMI v2.0 table 6-2
};

/// Session support, byte 4 [7:6] of Get Channel Info (IPMI v2.0 §22.24).
enum class session_support : std::uint8_t {
  session_less = 0,    // IPMI v2.0 §22.24
  single_session = 1,  // IPMI v2.0 §22.24
  multi_session = 2,   // IPMI v2.0 §22.24
  session_based = 3,   // IPMI v2.0 §22.24
};

/// The IPMI Forum's IANA enterprise number, Get Channel Info's protocol vendor ID for the
/// IPMI-defined protocols (IPMI v2.0 §22.24; bmc-commands.md §1.1: 7154, `F2 1B 00`).
inline constexpr std::uint32_t ipmi_forum_iana = 7154;

namespace detail::app {
[[nodiscard]] constexpr bool medium_ok(channel_medium m) noexcept {
  const auto n = static_cast<std::uint8_t>(m);
  return (n >= 0x01 && n <= 0x0C) || (n >= 0x60 && n <= 0x7F);  // table 6-3
}
[[nodiscard]] constexpr bool protocol_ok(channel_protocol p) noexcept {
  const auto n = static_cast<std::uint8_t>(p);
  return n <= 0x02 || (n >= 0x04 && n <= 0x09) || (n >= 0x1C && n <= 0x1F);  // table 6-2
}
}  // namespace detail::app

namespace detail {
/// A request of one byte: [7:4] reserved, [3:0] channel number.
struct channel_request_layout {
  std::uint8_t channel = present_channel;

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept { app::channel_field(io, v.channel); }
  friend constexpr bool operator==(const channel_request_layout&, const channel_request_layout&) noexcept = default;
};
using channel_request = with_codec<channel_request_layout>;
}  // namespace detail

struct get_channel_info {
  static constexpr command_id id = commands::get_channel_info;
  using request = detail::channel_request;  // Eh: the channel this request came in on

  struct response_layout {
    std::uint8_t channel = 0;                                 // byte 1 [3:0]: the actual channel
    channel_medium medium = channel_medium::system_interface;  // byte 2 [6:0]
    channel_protocol protocol = channel_protocol::kcs;         // byte 3 [4:0]
    session_support sessions = session_support::session_less;  // byte 4 [7:6]
    std::uint8_t active_sessions = 0;                         // byte 4 [5:0]
    std::uint32_t protocol_vendor_id = ipmi_forum_iana;       // bytes 5-7: IANA number (24 bits)
    /// Bytes 8-9: for channel Fh the SMS and event message buffer interrupt types, else
    /// reserved or OEM (IPMI v2.0 §22.24).
    std::array<std::uint8_t, 2> auxiliary_info{};

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      detail::app::channel_field(io, v.channel);
      io.byte(v.medium, 0x80);  // b7 (IPMI v2.0 §22.24)
      io.require(detail::app::medium_ok(v.medium), parse_error::reserved_value);
      io.byte(v.protocol, 0xE0);  // [7:5] (IPMI v2.0 §22.24)
      io.require(detail::app::protocol_ok(v.protocol), parse_error::reserved_value);
      io.bits([&](auto& b) {
        b.field(0, 0x3F, v.active_sessions);
        b.field(6, 0x03, v.sessions);
      });
      io.le24(v.protocol_vendor_id);
      io.bytes(v.auxiliary_info);
    }
    friend constexpr bool operator==(const response_layout&, const response_layout&) noexcept = default;
  };
  using response = detail::with_codec<response_layout>;
};

// ---------------------------------------------------------------------------------------------
// Get Channel Access (IPMI v2.0 §22.23) and Set Channel Access (§22.22); bmc-commands.md §1.1

/// Which setting a channel access field is about: [7:6] of Get's byte 2 and of Set's bytes 2
/// and 3 (IPMI v2.0 §22.22, §22.23); 11b is reserved, and so is dont_set for Get.
enum class channel_setting : std::uint8_t {
  dont_set = 0,      // Set: leave this setting as it is (IPMI v2.0 §22.22)
  non_volatile = 1,  // IPMI v2.0 §22.22, §22.23 (ipmitool's 40h)
  volatile_ = 2,     // the present, active setting (IPMI v2.0 §22.22, §22.23; ipmitool's 80h)
};

/// Channel access mode, [2:0] (IPMI v2.0 §22.22); 4-7 are reserved.
enum class channel_access_mode : std::uint8_t {
  disabled = 0,          // IPMI v2.0 §22.22
  pre_boot_only = 1,     // IPMI v2.0 §22.22
  always_available = 2,  // IPMI v2.0 §22.22
  shared = 3,            // IPMI v2.0 §22.22
};

namespace detail::app {
/// The access byte's [5:0] (b5 PEF alerting disabled, b4 per-message authentication disabled,
/// b3 user level authentication disabled, [2:0] access mode), shared by Get and Set.
template <class Bits, class V>
constexpr void access_bits(Bits& b, V& v) noexcept {
  b.flags({5, 4, 3}, v.pef_alerting_disabled, v.per_message_auth_disabled, v.user_level_auth_disabled);
  b.field(0, 0x07, v.access_mode);
}
[[nodiscard]] constexpr bool access_mode_ok(channel_access_mode m) noexcept { return static_cast<std::uint8_t>(m) <= 3; }
/// Get's setting: non_volatile or volatile_ (00b and 11b reserved, IPMI v2.0 §22.23).
[[nodiscard]] constexpr bool get_setting_ok(channel_setting s) noexcept {
  return s == channel_setting::non_volatile || s == channel_setting::volatile_;
}
/// Set's setting: 11b reserved (IPMI v2.0 §22.22).
[[nodiscard]] constexpr bool set_setting_ok(channel_setting s) noexcept { return static_cast<std::uint8_t>(s) <= 2; }
}  // namespace detail::app

struct get_channel_access {
  static constexpr command_id id = commands::get_channel_access;

  struct request_layout {
    std::uint8_t channel = present_channel;              // byte 1 [3:0]
    channel_setting setting = channel_setting::volatile_;  // byte 2 [7:6]: non_volatile or volatile_

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      detail::app::channel_field(io, v.channel);
      io.bits([&](auto& b) {
        b.field(6, 0x03, v.setting);
        b.reserved(0x3F);  // [5:0] (IPMI v2.0 §22.23)
      });
      io.require(detail::app::get_setting_ok(v.setting), parse_error::reserved_value);
    }
    friend constexpr bool operator==(const request_layout&, const request_layout&) noexcept = default;
  };
  using request = detail::with_codec<request_layout>;

  struct response_layout {
    bool pef_alerting_disabled = false;      // byte 1 b5
    bool per_message_auth_disabled = false;  // byte 1 b4
    bool user_level_auth_disabled = false;   // byte 1 b3
    channel_access_mode access_mode = channel_access_mode::always_available;  // byte 1 [2:0]
    privilege privilege_limit = privilege::administrator;  // byte 2 [3:0]: callback to oem

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      io.bits([&](auto& b) {
        detail::app::access_bits(b, v);
        b.reserved(0xC0);  // [7:6] (IPMI v2.0 §22.23)
      });
      io.require(detail::app::access_mode_ok(v.access_mode), parse_error::reserved_value);
      detail::app::privilege_field(io, v.privilege_limit, &detail::app::level_ok);
    }
    friend constexpr bool operator==(const response_layout&, const response_layout&) noexcept = default;
  };
  using response = detail::with_codec<response_layout>;
};

struct set_channel_access {
  static constexpr command_id id = commands::set_channel_access;
  using response = no_data;

  struct request_layout {
    std::uint8_t channel = present_channel;                      // byte 1 [3:0]
    channel_setting access_setting = channel_setting::dont_set;  // byte 2 [7:6]
    bool pef_alerting_disabled = false;                          // byte 2 b5
    bool per_message_auth_disabled = false;                      // byte 2 b4
    bool user_level_auth_disabled = false;                       // byte 2 b3
    channel_access_mode access_mode = channel_access_mode::disabled;  // byte 2 [2:0]
    channel_setting privilege_setting = channel_setting::dont_set;     // byte 3 [7:6]
    /// Byte 3 [3:0]: callback to oem; unspecified (0h) only with privilege_setting dont_set.
    privilege privilege_limit = privilege::unspecified;

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      detail::app::channel_field(io, v.channel);
      io.bits([&](auto& b) {
        b.field(6, 0x03, v.access_setting);
        detail::app::access_bits(b, v);
      });
      io.require(detail::app::set_setting_ok(v.access_setting) && detail::app::access_mode_ok(v.access_mode),
                 parse_error::reserved_value);
      io.bits([&](auto& b) {
        b.field(0, 0x0F, v.privilege_limit);
        b.reserved(0x30);  // [5:4] (IPMI v2.0 §22.22)
        b.field(6, 0x03, v.privilege_setting);
      });
      io.require(detail::app::set_setting_ok(v.privilege_setting) && privilege_ok(v.privilege_setting, v.privilege_limit),
                 parse_error::reserved_value);
    }
    friend constexpr bool operator==(const request_layout&, const request_layout&) noexcept = default;

   private:
    [[nodiscard]] static constexpr bool privilege_ok(channel_setting s, privilege p) noexcept {
      return detail::app::level_ok(p) || (s == channel_setting::dont_set && p == privilege::unspecified);
    }
  };
  using request = detail::with_codec<request_layout>;
};

// ---------------------------------------------------------------------------------------------
// Users: names (IPMI v2.0 §22.28, §22.29), passwords (§22.30), access (§22.26, §22.27);
// bmc-commands.md §1.2

/// A user name as sent: 16 bytes of ASCII, NUL padded (IPMI v2.0 §22.28).
using user_name = std::array<char, 16>;

/// The name `text`, NUL padded; nothing when it is longer than 16 bytes.
[[nodiscard]] constexpr std::optional<user_name> make_user_name(std::string_view text) noexcept {
  if (text.size() > user_name{}.size()) return std::nullopt;
  user_name n{};
  for (std::size_t i = 0; i < text.size(); ++i) n[i] = text[i];
  return n;
}

/// The name up to its first NUL (all 16 bytes when there is none).
[[nodiscard]] constexpr std::string_view name_view(const user_name& n) noexcept {
  std::size_t len = 0;
  while (len < n.size() && n[len] != '\0') ++len;
  return std::string_view(n.data(), len);
}

namespace detail::app {
constexpr void write_name(writer& w, const user_name& n) noexcept {
  for (const char c : n) w.u8(static_cast<std::uint8_t>(c));
}
constexpr void read_name(reader& r, user_name& n) noexcept {
  std::array<std::uint8_t, std::tuple_size_v<user_name>> raw{};
  r.bytes(raw);  // not a loop of u8(): see reader::bytes
  n = std::bit_cast<user_name>(raw);
}

/// The name as a field: 16 bytes as they stand.
template <class IO, class N>
constexpr void name_field(IO& io, N& n) noexcept {
  if constexpr (IO::reading) {
    read_name(io.raw(), n);
  } else {
    write_name(io.raw(), n);
  }
}
/// A byte of [7:6] reserved (b7 for Set User Password is the caller's), [5:0] user ID (1-63).
template <class IO, class U>
constexpr void user_id_field(IO& io, U& user_id) noexcept {
  io.byte(user_id, 0xC0);
  io.require(user_id_ok(user_id), parse_error::reserved_value);
}

/// A request of one byte: [7:6] reserved, [5:0] user ID (1-63).
struct user_id_request_layout {
  std::uint8_t user_id = 1;

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept { user_id_field(io, v.user_id); }
  friend constexpr bool operator==(const user_id_request_layout&, const user_id_request_layout&) noexcept = default;
};
using user_id_request = with_codec<user_id_request_layout>;
}  // namespace detail::app

struct get_user_name {
  static constexpr command_id id = commands::get_user_name;
  using request = detail::app::user_id_request;  // byte 1 [5:0]: user ID

  struct response_layout {
    user_name name{};  // bytes 1-16, as sent (name_view() gives the text)

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept { detail::app::name_field(io, v.name); }
    friend constexpr bool operator==(const response_layout&, const response_layout&) noexcept = default;
  };
  using response = detail::with_codec<response_layout>;
};

struct set_user_name {
  static constexpr command_id id = commands::set_user_name;
  using response = no_data;

  struct request_layout {
    std::uint8_t user_id = 1;  // byte 1 [5:0]
    user_name name{};          // bytes 2-17

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      detail::app::user_id_field(io, v.user_id);
      detail::app::name_field(io, v.name);
    }
    friend constexpr bool operator==(const request_layout&, const request_layout&) noexcept = default;
  };
  using request = detail::with_codec<request_layout>;
};

/// Set User Password's operation, byte 2 [1:0] (IPMI v2.0 §22.30).
enum class password_operation : std::uint8_t {
  disable_user = 0,   // IPMI v2.0 §22.30
  enable_user = 1,    // IPMI v2.0 §22.30
  set_password = 2,   // IPMI v2.0 §22.30
  test_password = 3,  // IPMI v2.0 §22.30
};

/// Set User Password's completion codes for test_password (IPMI v2.0 §22.30).
inline constexpr completion_code password_test_failed = static_cast<completion_code>(0x80);  // §22.30: wrong password
inline constexpr completion_code password_test_failed_wrong_size =
    static_cast<completion_code>(0x81);  // §22.30: wrong password size

struct set_user_password {
  static constexpr command_id id = commands::set_user_password;
  using response = no_data;

  /// The password sizes (IPMI v2.0 §22.30): byte 1 b7 clear 16, set 20.
  static constexpr std::size_t short_password_size = 16;
  static constexpr std::size_t long_password_size = 20;

  /// The request holds a password. Nothing in ipmikit prints it; a caller that logs requests
  /// must leave `password` out (tests compare it without printing it).
  struct request_layout {
    static constexpr std::size_t min_size = 2;   // disable/enable user without password bytes
    static constexpr std::size_t max_size = 22;  // the 20-byte form

    std::uint8_t user_id = 1;                                    // byte 1 [5:0]
    bool twenty_byte = false;                                    // byte 1 b7: the 20-byte form
    password_operation operation = password_operation::set_password;  // byte 2 [1:0]
    /// Bytes 3-18 or 3-22 are present: always for set_password and test_password; disable_user
    /// and enable_user may leave them out (ipmitool sends them, zeros).
    bool has_password = true;
    /// The password, NUL padded. The 16-byte form uses the first 16 and keeps the rest 0;
    /// without has_password all 20 are 0.
    std::array<std::uint8_t, long_password_size> password{};

    /// Puts `text` in `password` (has_password set, NUL padded): the 16-byte form when it fits
    /// in 16 bytes and `twenty` is false, else the 20-byte form. False, and nothing changed,
    /// when `text` is longer than 20 bytes.
    constexpr bool assign_password(std::string_view text, bool twenty = false) noexcept {
      if (text.size() > long_password_size) return false;
      twenty_byte = twenty || text.size() > short_password_size;
      has_password = true;
      password = {};
      for (std::size_t i = 0; i < text.size(); ++i) password[i] = static_cast<std::uint8_t>(text[i]);
      return true;
    }
    /// The password bytes the request carries (16 or 20, or none).
    [[nodiscard]] constexpr std::span<const std::uint8_t> password_bytes() const noexcept {
      if (!has_password) return {};
      return std::span<const std::uint8_t>(password).first(twenty_byte ? long_password_size : short_password_size);
    }

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      io.bits([&](auto& b) {
        b.field(0, 0x3F, v.user_id);
        b.reserved(0x40);  // b6 (IPMI v2.0 §22.30)
        b.flag(7, v.twenty_byte);
      });
      io.require(detail::app::user_id_ok(v.user_id), parse_error::reserved_value);
      io.byte(v.operation, 0xFC);  // [7:2] (IPMI v2.0 §22.30)
      if constexpr (IO::reading) {
        v.has_password = needs_password(v.operation) || !io.raw().at_end();
        if (v.has_password) {  // 16 or 20 bytes as b7 says; fewer is too short, more too long
          const auto p = io.raw().view(v.twenty_byte ? long_password_size : short_password_size);
          for (std::size_t i = 0; i < p.size(); ++i) v.password[i] = p[i];
        }
      } else {
        io.require(canonical(v));
        io.raw().bytes(v.password_bytes());
      }
    }
    friend constexpr bool operator==(const request_layout&, const request_layout&) noexcept = default;

   private:
    [[nodiscard]] static constexpr bool needs_password(password_operation op) noexcept {
      return op == password_operation::set_password || op == password_operation::test_password;
    }
    /// What parse() can give: a password where one is needed, and zeros in the bytes the form
    /// does not send.
    [[nodiscard]] static constexpr bool canonical(const request_layout& v) noexcept {
      if (!v.has_password && needs_password(v.operation)) return false;
      const std::size_t sent = !v.has_password ? 0 : v.twenty_byte ? long_password_size : short_password_size;
      for (std::size_t i = sent; i < v.password.size(); ++i)
        if (v.password[i] != 0) return false;
      return true;
    }
  };
  using request = detail::with_codec<request_layout>;
};

/// A user's enable status, Get User Access byte 2 [7:6] (IPMI v2.0 §22.27); 11b is reserved.
enum class user_enable_status : std::uint8_t {
  unspecified = 0,  // IPMI v2.0 §22.27
  enabled = 1,      // enabled by Set User Password (IPMI v2.0 §22.27)
  disabled = 2,     // disabled by Set User Password (IPMI v2.0 §22.27)
};

struct set_user_access {
  static constexpr command_id id = commands::set_user_access;
  using response = no_data;

  struct request_layout {
    static constexpr std::size_t min_size = 3;
    static constexpr std::size_t max_size = 4;  // with the optional session limit

    std::uint8_t channel = present_channel;  // byte 1 [3:0]
    bool change_bits = false;     // byte 1 b7: "enable change of bits 6:4"; when clear only the limit changes
    bool callback_only = false;   // byte 1 b6: user restricted to callback
    bool link_auth = false;       // byte 1 b5: user link authentication enabled
    bool ipmi_messaging = false;  // byte 1 b4: user IPMI messaging enabled
    std::uint8_t user_id = 1;     // byte 2 [5:0]
    privilege privilege_limit = privilege::administrator;  // byte 3 [3:0]: callback to oem, or no_access
    bool has_session_limit = false;  // byte 4 is present
    std::uint8_t session_limit = 0;  // byte 4 [3:0]: 0 = limited by the channel only

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      io.bits([&](auto& b) {
        b.field(0, 0x0F, v.channel);
        b.flags({7, 6, 5, 4}, v.change_bits, v.callback_only, v.link_auth, v.ipmi_messaging);
      });
      io.require(detail::app::channel_ok(v.channel), parse_error::reserved_value);
      detail::app::user_id_field(io, v.user_id);
      detail::app::privilege_field(io, v.privilege_limit, &detail::app::user_level_ok);
      if constexpr (IO::reading) v.has_session_limit = !io.raw().at_end();
      io.require(v.has_session_limit || v.session_limit == 0);
      if (v.has_session_limit) {
        io.byte(v.session_limit, 0xF0);  // [7:4] (IPMI v2.0 §22.26)
      }
    }
    friend constexpr bool operator==(const request_layout&, const request_layout&) noexcept = default;
  };
  using request = detail::with_codec<request_layout>;
};

struct get_user_access {
  static constexpr command_id id = commands::get_user_access;

  struct request_layout {
    std::uint8_t channel = present_channel;  // byte 1 [3:0]
    std::uint8_t user_id = 1;                // byte 2 [5:0]

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      detail::app::channel_field(io, v.channel);
      detail::app::user_id_field(io, v.user_id);
    }
    friend constexpr bool operator==(const request_layout&, const request_layout&) noexcept = default;
  };
  using request = detail::with_codec<request_layout>;

  struct response_layout {
    std::uint8_t max_user_ids = 1;  // byte 1 [5:0]: user IDs the BMC has, counting user 1 (1-63)
    user_enable_status enable_status = user_enable_status::unspecified;  // byte 2 [7:6]
    std::uint8_t enabled_user_ids = 0;     // byte 2 [5:0]: at most max_user_ids
    std::uint8_t fixed_name_user_ids = 0;  // byte 3 [5:0]: at most max_user_ids
    bool callback_only = false;            // byte 4 b6
    bool link_auth = false;                // byte 4 b5
    bool ipmi_messaging = false;           // byte 4 b4
    privilege privilege_limit = privilege::no_access;  // byte 4 [3:0]: callback to oem, or no_access

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      io.byte(v.max_user_ids, 0xC0);  // [7:6] (IPMI v2.0 §22.27)
      io.bits([&](auto& b) {
        b.field(0, 0x3F, v.enabled_user_ids);
        b.field(6, 0x03, v.enable_status);
      });
      io.require(static_cast<std::uint8_t>(v.enable_status) <= 2, parse_error::reserved_value);  // 11b
      io.byte(v.fixed_name_user_ids, 0xC0);  // [7:6] (IPMI v2.0 §22.27)
      io.bits([&](auto& b) {
        b.field(0, 0x0F, v.privilege_limit);
        b.flags({6, 5, 4}, v.callback_only, v.link_auth, v.ipmi_messaging);
        b.reserved(0x80);  // b7 (IPMI v2.0 §22.27)
      });
      io.require(detail::app::user_level_ok(v.privilege_limit), parse_error::reserved_value);
      io.require(counts_ok(v.max_user_ids, v.enabled_user_ids, v.fixed_name_user_ids));
    }
    friend constexpr bool operator==(const response_layout&, const response_layout&) noexcept = default;

   private:
    /// At least one user ID (user 1), at most 63; the enabled and fixed-name counts are counts
    /// of those user IDs (IPMI v2.0 §22.27).
    [[nodiscard]] static constexpr bool counts_ok(std::uint8_t max, std::uint8_t enabled, std::uint8_t fixed) noexcept {
      return max >= 1 && max <= 0x3F && enabled <= max && fixed <= max;
    }
  };
  using response = detail::with_codec<response_layout>;
};

// ---------------------------------------------------------------------------------------------
// Get System Interface Capabilities (IPMI v2.0 §22.9; ssif.md §5, kcs-bt.md)

/// The system interface asked about, request byte 1 [3:0] (IPMI v2.0 §22.9); 3h-Fh reserved.
enum class system_interface_type : std::uint8_t {
  ssif = 0,  // IPMI v2.0 §22.9
  kcs = 1,   // IPMI v2.0 §22.9
  smic = 2,  // IPMI v2.0 §22.9
};

/// SSIF transaction support, response byte 2 [7:6] (IPMI v2.0 §22.9); 11b is reserved.
enum class ssif_transaction_support : std::uint8_t {
  single_part = 0,       // single-part reads and writes only (IPMI v2.0 §22.9)
  start_end = 1,         // multi-part with start and end only: at most 2 parts (IPMI v2.0 §22.9)
  start_middle_end = 2,  // multi-part with middle parts (IPMI v2.0 §22.9)
};

struct get_system_interface_capabilities {
  static constexpr command_id id = commands::get_system_interface_capabilities;

  struct request_layout {
    system_interface_type interface_type = system_interface_type::ssif;  // byte 1 [3:0]

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      detail::enum_byte(io, v.interface_type, 0xF0, 2);  // [7:4] and 3h–Fh reserved (IPMI v2.0 §22.9)
    }
    friend constexpr bool operator==(const request_layout&, const request_layout&) noexcept = default;
  };
  using request = detail::with_codec<request_layout>;

  /// The SSIF form (4 bytes) or the KCS/SMIC form (3 bytes), told apart by length: byte 1
  /// reserved (00h); byte 2 [2:0] the interface version, 000b the only one defined, and for
  /// SSIF [7:6] transaction support and b3 PEC; byte 3 the largest request message the BMC
  /// takes; byte 4 (SSIF) the largest response message it sends (IPMI v2.0 §22.9).
  struct response_layout {
    static constexpr std::size_t min_size = 3;
    static constexpr std::size_t max_size = 4;

    bool ssif = true;  // the 4-byte SSIF form; false: the 3-byte KCS/SMIC form
    ssif_transaction_support transaction_support = ssif_transaction_support::single_part;  // SSIF only
    bool pec_supported = false;       // SSIF only: byte 2 b3
    std::uint8_t max_input_size = 0;  // byte 3: bytes, including netfn and command
    std::uint8_t max_output_size = 0;  // SSIF only: byte 4

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      if constexpr (IO::reading) v.ssif = io.raw().remaining() >= 4;
      io.require(v.ssif || (v.transaction_support == ssif_transaction_support::single_part && !v.pec_supported &&
                            v.max_output_size == 0));
      io.bits([](auto& b) { b.reserved(0xFF); });  // byte 1 reserved (IPMI v2.0 §22.9)
      // [5:4] reserved and [2:0] version 000b (SSIF); [7:3] reserved and [2:0] 000b (KCS/SMIC).
      io.bits([&](auto& b) {
        if (v.ssif) {
          b.field(6, 0x03, v.transaction_support);
          b.flag(3, v.pec_supported);
        }
        b.reserved(v.ssif ? 0x37 : 0xFF);
      });
      io.require(static_cast<std::uint8_t>(v.transaction_support) <= 2, parse_error::reserved_value);
      io.u8(v.max_input_size);
      if (v.ssif) io.u8(v.max_output_size);
    }
    friend constexpr bool operator==(const response_layout&, const response_layout&) noexcept = default;
  };
  using response = detail::with_codec<response_layout>;
};

}  // namespace ipmikit::cmd
