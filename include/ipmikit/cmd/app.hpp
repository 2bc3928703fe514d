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
    static constexpr std::size_t min_size = 2;
    static constexpr std::size_t max_size = 2;

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
  static constexpr std::size_t min_size = 16;
  static constexpr std::size_t max_size = 16;

  guid value{};

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept { io.bytes(v.value); }
  friend constexpr bool operator==(const guid_layout&, const guid_layout&) noexcept = default;
};
using guid_response = with_codec<guid_layout>;
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
[[nodiscard]] constexpr bool test(std::uint8_t v, unsigned n) noexcept { return ((static_cast<unsigned>(v) >> n) & 1u) != 0; }
}  // namespace detail::app

// ---------------------------------------------------------------------------------------------
// Set / Get BMC Global Enables (IPMI v2.0 §22.1, §22.2)

/// The BMC Global Enables byte: Set's request and Get's response (IPMI v2.0 §22.1). Bit 4 is
/// reserved.
struct bmc_global_enables_layout {
  static constexpr std::size_t min_size = 1;
  static constexpr std::size_t max_size = 1;

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
struct message_flags_layout {
  static constexpr std::size_t min_size = 1;
  static constexpr std::size_t max_size = 1;

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

  struct response_layout {
    static constexpr std::size_t min_size = 16;  // always 16 bytes (IPMI v2.0 §22.8)
    static constexpr std::size_t max_size = 16;

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
    return detail::app::test(to_byte(), static_cast<unsigned>(u)) && u != watchdog_timer_use::none;
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
/// Set's request: Insyde's H2O BIOS sends "don't stop" as 60h (b6 and the reserved b5) and
/// OpenIPMI's lanserv ignores them; Linux's ipmi_watchdog, ipmitool and FreeIPMI's bmc-watchdog
/// never set them, so ignoring costs nothing and keeps such firmware's timer running.
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

struct reset_watchdog_timer {
  static constexpr command_id id = commands::reset_watchdog_timer;
  using request = no_data;
  using response = no_data;
};

struct set_watchdog_timer {
  static constexpr command_id id = commands::set_watchdog_timer;
  using response = no_data;

  struct request_layout {
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
/// Reads a byte of [7:4] reserved, [3:0] channel number.
constexpr std::uint8_t read_channel(reader& r) noexcept {
  const std::uint8_t b = r.u8();
  r.reserved_zero(b, 0xF0);
  if (!channel_ok(b & 0x0F)) r.fail(parse_error::reserved_value);
  return b & 0x0F;
}
/// The same as a field: [7:4] reserved, [3:0] channel number.
template <class IO, class C>
constexpr void channel_field(IO& io, C& channel) noexcept {
  io.bits([&](auto& b) {
    b.field(0, 0x0F, channel);
    b.reserved(0xF0);
  });
  io.require(channel_ok(channel), parse_error::reserved_value);
}
/// A byte of [7:4] reserved, [3:0] a privilege level that `ok` accepts.
template <class IO, class P>
constexpr void privilege_field(IO& io, P& level, bool (*ok)(privilege)) noexcept {
  io.bits([&](auto& b) {
    b.field(0, 0x0F, level);
    b.reserved(0xF0);
  });
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
/// Reads a byte of [7:6] reserved (b7 for Set User Password is the caller's), [5:0] user ID.
constexpr std::uint8_t read_user_id(reader& r, std::uint8_t reserved = 0xC0) noexcept {
  const std::uint8_t b = r.u8();
  r.reserved_zero(b, reserved);
  if (!user_id_ok(b & 0x3F)) r.fail(parse_error::reserved_value);
  return b & 0x3F;
}
}  // namespace detail::app

// ---------------------------------------------------------------------------------------------
// Get Channel Authentication Capabilities (IPMI v2.0 §22.13; lan.md §3)

struct get_channel_authentication_capabilities {
  static constexpr command_id id = commands::get_channel_authentication_capabilities;

  struct request_layout {
    static constexpr std::size_t min_size = 2;
    static constexpr std::size_t max_size = 2;

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
    static constexpr std::size_t min_size = 8;
    static constexpr std::size_t max_size = 8;

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
    static constexpr std::size_t min_size = 3;
    static constexpr std::size_t max_size = 3;

    std::uint8_t channel = present_channel;  // byte 1 [3:0]
    payload_type payload = payload_type::ipmi;  // byte 2 [5:0]
    bool list_by_cipher_suite = true;  // byte 3 b7: 1 the cipher suite records, 0 the supported algorithms
    std::uint8_t list_index = 0;       // byte 3 [5:0]

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      detail::app::channel_field(io, v.channel);
      io.bits([&](auto& b) {
        b.field(0, 0x3F, v.payload);
        b.reserved(0xC0);  // [7:6] (IPMI v2.0 §22.15)
      });
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

  struct response {
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

    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      writer w(out);
      bool tail_zero = true;
      for (std::size_t i = size; i < data.size(); ++i) tail_zero = tail_zero && data[i] == 0;
      if (!detail::app::channel_ok(channel) || size > bytes_per_response || !tail_zero)
        w.fail(encode_error::out_of_range);
      w.u8(channel);
      w.bytes(records());
      return w.result();
    }
    [[nodiscard]] static constexpr parsed<response> parse(std::span<const std::uint8_t> data) noexcept {
      reader r(data);
      response v;
      v.channel = detail::app::read_channel(r);
      const std::size_t n = r.remaining() < bytes_per_response ? r.remaining() : bytes_per_response;
      const auto d = r.view(n);
      for (std::size_t i = 0; i < d.size(); ++i) v.data[i] = d[i];
      v.size = static_cast<std::uint8_t>(d.size());
      return r.result(v);
    }
    friend constexpr bool operator==(const response&, const response&) noexcept = default;
  };
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
  static constexpr std::size_t min_size = 1;
  static constexpr std::size_t max_size = 1;

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
    static constexpr std::size_t min_size = 9;
    static constexpr std::size_t max_size = 9;

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
      io.bits([&](auto& b) {
        b.field(0, 0x7F, v.medium);
        b.reserved(0x80);  // b7 (IPMI v2.0 §22.24)
      });
      io.require(detail::app::medium_ok(v.medium), parse_error::reserved_value);
      io.bits([&](auto& b) {
        b.field(0, 0x1F, v.protocol);
        b.reserved(0xE0);  // [7:5] (IPMI v2.0 §22.24)
      });
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
struct access_bits {
  bool pef_alerting_disabled = false;
  bool per_message_auth_disabled = false;
  bool user_level_auth_disabled = false;
  channel_access_mode access_mode = channel_access_mode::always_available;

  [[nodiscard]] constexpr bool ok() const noexcept { return static_cast<std::uint8_t>(access_mode) <= 3; }
  [[nodiscard]] constexpr std::uint8_t to_byte() const noexcept {
    return static_cast<std::uint8_t>(bit(pef_alerting_disabled, 5) | bit(per_message_auth_disabled, 4) |
                                     bit(user_level_auth_disabled, 3) | static_cast<std::uint8_t>(access_mode));
  }
  static constexpr access_bits from_byte(reader& r, std::uint8_t b) noexcept {
    access_bits a{test(b, 5), test(b, 4), test(b, 3), static_cast<channel_access_mode>(b & 0x07)};
    if (!a.ok()) r.fail(parse_error::reserved_value);
    return a;
  }
};
}  // namespace detail::app

struct get_channel_access {
  static constexpr command_id id = commands::get_channel_access;

  struct request {
    static constexpr std::size_t min_size = 2;
    static constexpr std::size_t max_size = 2;

    std::uint8_t channel = present_channel;              // byte 1 [3:0]
    channel_setting setting = channel_setting::volatile_;  // byte 2 [7:6]: non_volatile or volatile_

    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      writer w(out);
      if (!detail::app::channel_ok(channel) ||
          (setting != channel_setting::non_volatile && setting != channel_setting::volatile_))
        w.fail(encode_error::out_of_range);
      w.u8(channel);
      w.u8(static_cast<std::uint8_t>(static_cast<unsigned>(setting) << 6));
      return w.result();
    }
    [[nodiscard]] static constexpr parsed<request> parse(std::span<const std::uint8_t> data) noexcept {
      reader r(data);
      request v;
      v.channel = detail::app::read_channel(r);
      const std::uint8_t b = r.u8();
      r.reserved_zero(b, 0x3F);  // [5:0] reserved (IPMI v2.0 §22.23)
      v.setting = static_cast<channel_setting>(b >> 6);
      if (v.setting != channel_setting::non_volatile && v.setting != channel_setting::volatile_)
        r.fail(parse_error::reserved_value);  // 00b and 11b reserved
      return r.result(v);
    }
    friend constexpr bool operator==(const request&, const request&) noexcept = default;
  };

  struct response {
    static constexpr std::size_t min_size = 2;
    static constexpr std::size_t max_size = 2;

    bool pef_alerting_disabled = false;      // byte 1 b5
    bool per_message_auth_disabled = false;  // byte 1 b4
    bool user_level_auth_disabled = false;   // byte 1 b3
    channel_access_mode access_mode = channel_access_mode::always_available;  // byte 1 [2:0]
    privilege privilege_limit = privilege::administrator;  // byte 2 [3:0]: callback to oem

    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      writer w(out);
      const detail::app::access_bits a{pef_alerting_disabled, per_message_auth_disabled, user_level_auth_disabled,
                                       access_mode};
      if (!a.ok() || !detail::app::level_ok(privilege_limit)) w.fail(encode_error::out_of_range);
      w.u8(a.to_byte());
      w.u8(static_cast<std::uint8_t>(privilege_limit));
      return w.result();
    }
    [[nodiscard]] static constexpr parsed<response> parse(std::span<const std::uint8_t> data) noexcept {
      reader r(data);
      response v;
      const std::uint8_t b = r.u8();
      r.reserved_zero(b, 0xC0);  // [7:6] reserved (IPMI v2.0 §22.23)
      const auto a = detail::app::access_bits::from_byte(r, b);
      v.pef_alerting_disabled = a.pef_alerting_disabled;
      v.per_message_auth_disabled = a.per_message_auth_disabled;
      v.user_level_auth_disabled = a.user_level_auth_disabled;
      v.access_mode = a.access_mode;
      const std::uint8_t p = r.u8();
      r.reserved_zero(p, 0xF0);  // [7:4] reserved (IPMI v2.0 §22.23)
      v.privilege_limit = static_cast<privilege>(p & 0x0F);
      if (!detail::app::level_ok(v.privilege_limit)) r.fail(parse_error::reserved_value);
      return r.result(v);
    }
    friend constexpr bool operator==(const response&, const response&) noexcept = default;
  };
};

struct set_channel_access {
  static constexpr command_id id = commands::set_channel_access;
  using response = no_data;

  struct request {
    static constexpr std::size_t min_size = 3;
    static constexpr std::size_t max_size = 3;

    std::uint8_t channel = present_channel;                      // byte 1 [3:0]
    channel_setting access_setting = channel_setting::dont_set;  // byte 2 [7:6]
    bool pef_alerting_disabled = false;                          // byte 2 b5
    bool per_message_auth_disabled = false;                      // byte 2 b4
    bool user_level_auth_disabled = false;                       // byte 2 b3
    channel_access_mode access_mode = channel_access_mode::disabled;  // byte 2 [2:0]
    channel_setting privilege_setting = channel_setting::dont_set;     // byte 3 [7:6]
    /// Byte 3 [3:0]: callback to oem; unspecified (0h) only with privilege_setting dont_set.
    privilege privilege_limit = privilege::unspecified;

    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      writer w(out);
      const detail::app::access_bits a{pef_alerting_disabled, per_message_auth_disabled, user_level_auth_disabled,
                                       access_mode};
      if (!detail::app::channel_ok(channel) || static_cast<std::uint8_t>(access_setting) > 2 ||
          static_cast<std::uint8_t>(privilege_setting) > 2 || !a.ok() || !privilege_ok(privilege_setting, privilege_limit))
        w.fail(encode_error::out_of_range);
      w.u8(channel);
      w.u8(static_cast<std::uint8_t>((static_cast<unsigned>(access_setting) << 6) | a.to_byte()));
      w.u8(static_cast<std::uint8_t>((static_cast<unsigned>(privilege_setting) << 6) |
                                     static_cast<unsigned>(privilege_limit)));
      return w.result();
    }
    [[nodiscard]] static constexpr parsed<request> parse(std::span<const std::uint8_t> data) noexcept {
      reader r(data);
      request v;
      v.channel = detail::app::read_channel(r);
      const std::uint8_t b = r.u8();
      v.access_setting = static_cast<channel_setting>(b >> 6);
      if (static_cast<std::uint8_t>(v.access_setting) > 2) r.fail(parse_error::reserved_value);  // 11b reserved
      const auto a = detail::app::access_bits::from_byte(r, b);
      v.pef_alerting_disabled = a.pef_alerting_disabled;
      v.per_message_auth_disabled = a.per_message_auth_disabled;
      v.user_level_auth_disabled = a.user_level_auth_disabled;
      v.access_mode = a.access_mode;
      const std::uint8_t p = r.u8();
      r.reserved_zero(p, 0x30);  // [5:4] reserved (IPMI v2.0 §22.22)
      v.privilege_setting = static_cast<channel_setting>(p >> 6);
      v.privilege_limit = static_cast<privilege>(p & 0x0F);
      if (static_cast<std::uint8_t>(v.privilege_setting) > 2 || !privilege_ok(v.privilege_setting, v.privilege_limit))
        r.fail(parse_error::reserved_value);
      return r.result(v);
    }
    friend constexpr bool operator==(const request&, const request&) noexcept = default;

   private:
    [[nodiscard]] static constexpr bool privilege_ok(channel_setting s, privilege p) noexcept {
      return detail::app::level_ok(p) || (s == channel_setting::dont_set && p == privilege::unspecified);
    }
  };
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

/// A request of one byte: [7:6] reserved, [5:0] user ID (1-63).
struct user_id_request {
  static constexpr std::size_t min_size = 1;
  static constexpr std::size_t max_size = 1;

  std::uint8_t user_id = 1;

  [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
    writer w(out);
    if (!user_id_ok(user_id)) w.fail(encode_error::out_of_range);
    w.u8(user_id);
    return w.result();
  }
  [[nodiscard]] static constexpr parsed<user_id_request> parse(std::span<const std::uint8_t> data) noexcept {
    reader r(data);
    user_id_request v;
    v.user_id = read_user_id(r);
    return r.result(v);
  }
  friend constexpr bool operator==(const user_id_request&, const user_id_request&) noexcept = default;
};
}  // namespace detail::app

struct get_user_name {
  static constexpr command_id id = commands::get_user_name;
  using request = detail::app::user_id_request;  // byte 1 [5:0]: user ID

  struct response {
    static constexpr std::size_t min_size = 16;
    static constexpr std::size_t max_size = 16;

    user_name name{};  // bytes 1-16, as sent (name_view() gives the text)

    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      writer w(out);
      detail::app::write_name(w, name);
      return w.result();
    }
    [[nodiscard]] static constexpr parsed<response> parse(std::span<const std::uint8_t> data) noexcept {
      reader r(data);
      response v;
      detail::app::read_name(r, v.name);
      return r.result(v);
    }
    friend constexpr bool operator==(const response&, const response&) noexcept = default;
  };
};

struct set_user_name {
  static constexpr command_id id = commands::set_user_name;
  using response = no_data;

  struct request {
    static constexpr std::size_t min_size = 17;
    static constexpr std::size_t max_size = 17;

    std::uint8_t user_id = 1;  // byte 1 [5:0]
    user_name name{};          // bytes 2-17

    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      writer w(out);
      if (!detail::app::user_id_ok(user_id)) w.fail(encode_error::out_of_range);
      w.u8(user_id);
      detail::app::write_name(w, name);
      return w.result();
    }
    [[nodiscard]] static constexpr parsed<request> parse(std::span<const std::uint8_t> data) noexcept {
      reader r(data);
      request v;
      v.user_id = detail::app::read_user_id(r);
      detail::app::read_name(r, v.name);
      return r.result(v);
    }
    friend constexpr bool operator==(const request&, const request&) noexcept = default;
  };
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
  struct request {
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

    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      writer w(out);
      if (!canonical()) w.fail(encode_error::out_of_range);
      w.u8(static_cast<std::uint8_t>(detail::app::bit(twenty_byte, 7) | user_id));
      w.u8(static_cast<std::uint8_t>(operation));
      w.bytes(password_bytes());
      return w.result();
    }
    [[nodiscard]] static constexpr parsed<request> parse(std::span<const std::uint8_t> data) noexcept {
      reader r(data);
      request v;
      const std::uint8_t b = r.u8();
      v.twenty_byte = detail::app::test(b, 7);
      r.reserved_zero(b, 0x40);  // b6 reserved (IPMI v2.0 §22.30)
      v.user_id = b & 0x3F;
      if (!detail::app::user_id_ok(v.user_id)) r.fail(parse_error::reserved_value);
      const std::uint8_t op = r.u8();
      r.reserved_zero(op, 0xFC);  // [7:2] reserved (IPMI v2.0 §22.30)
      v.operation = static_cast<password_operation>(op & 0x03);
      const bool needs_password =
          v.operation == password_operation::set_password || v.operation == password_operation::test_password;
      v.has_password = needs_password || !r.at_end();
      if (v.has_password) {  // 16 or 20 bytes as b7 says; fewer is too short, more too long
        const auto p = r.view(v.twenty_byte ? long_password_size : short_password_size);
        for (std::size_t i = 0; i < p.size(); ++i) v.password[i] = p[i];
      }
      return r.result(v);
    }
    friend constexpr bool operator==(const request&, const request&) noexcept = default;

   private:
    /// What parse() can give: a valid user ID and operation, a password where one is needed,
    /// and zeros in the bytes the form does not send.
    [[nodiscard]] constexpr bool canonical() const noexcept {
      if (!detail::app::user_id_ok(user_id) || static_cast<std::uint8_t>(operation) > 3) return false;
      if (!has_password &&
          (operation == password_operation::set_password || operation == password_operation::test_password))
        return false;
      const std::size_t sent = !has_password ? 0 : twenty_byte ? long_password_size : short_password_size;
      for (std::size_t i = sent; i < password.size(); ++i)
        if (password[i] != 0) return false;
      return true;
    }
  };
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

  struct request {
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

    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      using detail::app::bit;
      writer w(out);
      if (!detail::app::channel_ok(channel) || !detail::app::user_id_ok(user_id) ||
          !detail::app::user_level_ok(privilege_limit) || session_limit > (has_session_limit ? 0x0F : 0))
        w.fail(encode_error::out_of_range);
      w.u8(static_cast<std::uint8_t>(bit(change_bits, 7) | bit(callback_only, 6) | bit(link_auth, 5) |
                                     bit(ipmi_messaging, 4) | channel));
      w.u8(user_id);
      w.u8(static_cast<std::uint8_t>(privilege_limit));
      if (has_session_limit) w.u8(session_limit);
      return w.result();
    }
    [[nodiscard]] static constexpr parsed<request> parse(std::span<const std::uint8_t> data) noexcept {
      using detail::app::test;
      reader r(data);
      request v;
      const std::uint8_t b = r.u8();
      v.change_bits = test(b, 7);
      v.callback_only = test(b, 6);
      v.link_auth = test(b, 5);
      v.ipmi_messaging = test(b, 4);
      v.channel = b & 0x0F;
      if (!detail::app::channel_ok(v.channel)) r.fail(parse_error::reserved_value);
      v.user_id = detail::app::read_user_id(r);
      const std::uint8_t p = r.u8();
      r.reserved_zero(p, 0xF0);  // [7:4] reserved (IPMI v2.0 §22.26)
      v.privilege_limit = static_cast<privilege>(p & 0x0F);
      if (!detail::app::user_level_ok(v.privilege_limit)) r.fail(parse_error::reserved_value);
      if (!r.at_end()) {
        v.has_session_limit = true;
        const std::uint8_t s = r.u8();
        r.reserved_zero(s, 0xF0);  // [7:4] reserved (IPMI v2.0 §22.26)
        v.session_limit = s & 0x0F;
      }
      return r.result(v);
    }
    friend constexpr bool operator==(const request&, const request&) noexcept = default;
  };
};

struct get_user_access {
  static constexpr command_id id = commands::get_user_access;

  struct request {
    static constexpr std::size_t min_size = 2;
    static constexpr std::size_t max_size = 2;

    std::uint8_t channel = present_channel;  // byte 1 [3:0]
    std::uint8_t user_id = 1;                // byte 2 [5:0]

    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      writer w(out);
      if (!detail::app::channel_ok(channel) || !detail::app::user_id_ok(user_id)) w.fail(encode_error::out_of_range);
      w.u8(channel);
      w.u8(user_id);
      return w.result();
    }
    [[nodiscard]] static constexpr parsed<request> parse(std::span<const std::uint8_t> data) noexcept {
      reader r(data);
      request v;
      v.channel = detail::app::read_channel(r);
      v.user_id = detail::app::read_user_id(r);
      return r.result(v);
    }
    friend constexpr bool operator==(const request&, const request&) noexcept = default;
  };

  struct response {
    static constexpr std::size_t min_size = 4;
    static constexpr std::size_t max_size = 4;

    std::uint8_t max_user_ids = 1;  // byte 1 [5:0]: user IDs the BMC has, counting user 1 (1-63)
    user_enable_status enable_status = user_enable_status::unspecified;  // byte 2 [7:6]
    std::uint8_t enabled_user_ids = 0;     // byte 2 [5:0]: at most max_user_ids
    std::uint8_t fixed_name_user_ids = 0;  // byte 3 [5:0]: at most max_user_ids
    bool callback_only = false;            // byte 4 b6
    bool link_auth = false;                // byte 4 b5
    bool ipmi_messaging = false;           // byte 4 b4
    privilege privilege_limit = privilege::no_access;  // byte 4 [3:0]: callback to oem, or no_access

    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      using detail::app::bit;
      writer w(out);
      if (!counts_ok(max_user_ids, enabled_user_ids, fixed_name_user_ids) ||
          static_cast<std::uint8_t>(enable_status) > 2 || !detail::app::user_level_ok(privilege_limit))
        w.fail(encode_error::out_of_range);
      w.u8(max_user_ids);
      w.u8(static_cast<std::uint8_t>((static_cast<unsigned>(enable_status) << 6) | enabled_user_ids));
      w.u8(fixed_name_user_ids);
      w.u8(static_cast<std::uint8_t>(bit(callback_only, 6) | bit(link_auth, 5) | bit(ipmi_messaging, 4) |
                                     static_cast<std::uint8_t>(privilege_limit)));
      return w.result();
    }
    [[nodiscard]] static constexpr parsed<response> parse(std::span<const std::uint8_t> data) noexcept {
      using detail::app::test;
      reader r(data);
      response v;
      const std::uint8_t m = r.u8();
      r.reserved_zero(m, 0xC0);  // [7:6] reserved (IPMI v2.0 §22.27)
      v.max_user_ids = m & 0x3F;
      const std::uint8_t e = r.u8();
      v.enable_status = static_cast<user_enable_status>(e >> 6);
      if (static_cast<std::uint8_t>(v.enable_status) > 2) r.fail(parse_error::reserved_value);  // 11b
      v.enabled_user_ids = e & 0x3F;
      const std::uint8_t f = r.u8();
      r.reserved_zero(f, 0xC0);  // [7:6] reserved (IPMI v2.0 §22.27)
      v.fixed_name_user_ids = f & 0x3F;
      const std::uint8_t a = r.u8();
      r.reserved_zero(a, 0x80);  // b7 reserved (IPMI v2.0 §22.27)
      v.callback_only = test(a, 6);
      v.link_auth = test(a, 5);
      v.ipmi_messaging = test(a, 4);
      v.privilege_limit = static_cast<privilege>(a & 0x0F);
      if (!detail::app::user_level_ok(v.privilege_limit)) r.fail(parse_error::reserved_value);
      if (!counts_ok(v.max_user_ids, v.enabled_user_ids, v.fixed_name_user_ids)) r.fail(parse_error::out_of_range);
      return r.result(v);
    }
    friend constexpr bool operator==(const response&, const response&) noexcept = default;

   private:
    /// At least one user ID (user 1), at most 63; the enabled and fixed-name counts are counts
    /// of those user IDs (IPMI v2.0 §22.27).
    [[nodiscard]] static constexpr bool counts_ok(std::uint8_t max, std::uint8_t enabled, std::uint8_t fixed) noexcept {
      return max >= 1 && max <= 0x3F && enabled <= max && fixed <= max;
    }
  };
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

  struct request {
    static constexpr std::size_t min_size = 1;
    static constexpr std::size_t max_size = 1;

    system_interface_type interface_type = system_interface_type::ssif;  // byte 1 [3:0]

    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      writer w(out);
      if (static_cast<std::uint8_t>(interface_type) > 2) w.fail(encode_error::out_of_range);
      w.u8(static_cast<std::uint8_t>(interface_type));
      return w.result();
    }
    [[nodiscard]] static constexpr parsed<request> parse(std::span<const std::uint8_t> data) noexcept {
      reader r(data);
      request v;
      const std::uint8_t b = r.u8();
      r.reserved_zero(b, 0xF0);  // [7:4] reserved (IPMI v2.0 §22.9)
      v.interface_type = static_cast<system_interface_type>(b & 0x0F);
      if (b > 2) r.fail(parse_error::reserved_value);
      return r.result(v);
    }
    friend constexpr bool operator==(const request&, const request&) noexcept = default;
  };

  /// The SSIF form (4 bytes) or the KCS/SMIC form (3 bytes), told apart by length: byte 1
  /// reserved (00h); byte 2 [2:0] the interface version, 000b the only one defined, and for
  /// SSIF [7:6] transaction support and b3 PEC; byte 3 the largest request message the BMC
  /// takes; byte 4 (SSIF) the largest response message it sends (IPMI v2.0 §22.9).
  struct response {
    static constexpr std::size_t min_size = 3;
    static constexpr std::size_t max_size = 4;

    bool ssif = true;  // the 4-byte SSIF form; false: the 3-byte KCS/SMIC form
    ssif_transaction_support transaction_support = ssif_transaction_support::single_part;  // SSIF only
    bool pec_supported = false;       // SSIF only: byte 2 b3
    std::uint8_t max_input_size = 0;  // byte 3: bytes, including netfn and command
    std::uint8_t max_output_size = 0;  // SSIF only: byte 4

    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      writer w(out);
      if (static_cast<std::uint8_t>(transaction_support) > 2 ||
          (!ssif && (transaction_support != ssif_transaction_support::single_part || pec_supported ||
                     max_output_size != 0)))
        w.fail(encode_error::out_of_range);
      w.u8(0x00);
      w.u8(static_cast<std::uint8_t>((static_cast<unsigned>(transaction_support) << 6) |
                                     detail::app::bit(pec_supported, 3)));
      w.u8(max_input_size);
      if (ssif) w.u8(max_output_size);
      return w.result();
    }
    [[nodiscard]] static constexpr parsed<response> parse(std::span<const std::uint8_t> data) noexcept {
      reader r(data);
      response v;
      v.ssif = data.size() >= 4;
      r.reserved_zero(r.u8(), 0xFF);  // byte 1 reserved (IPMI v2.0 §22.9)
      const std::uint8_t b = r.u8();
      // [5:4] reserved and [2:0] version 000b (SSIF); [7:3] reserved and [2:0] 000b (KCS/SMIC).
      r.reserved_zero(b, v.ssif ? 0x37 : 0xFF);
      v.transaction_support = static_cast<ssif_transaction_support>(v.ssif ? b >> 6 : 0);
      if (static_cast<std::uint8_t>(v.transaction_support) > 2) r.fail(parse_error::reserved_value);
      v.pec_supported = v.ssif && detail::app::test(b, 3);
      v.max_input_size = r.u8();
      if (v.ssif) v.max_output_size = r.u8();
      return r.result(v);
    }
    friend constexpr bool operator==(const response&, const response&) noexcept = default;
  };
};

}  // namespace ipmikit::cmd
