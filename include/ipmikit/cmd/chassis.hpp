// ipmikit/cmd/chassis.hpp — typed Chassis commands (NetFn 00h): status, control, restart cause,
// POH counter, system boot options.
//
// The conventions (encode/parse/min_size/max_size, what the data bytes are) are codec.hpp's.
// Layouts: IPMI v2.0 §28; ../shared/reference/bmc-commands.md §2 and §2.1, lan.md §14.1
// (what ipmitool's `chassis bootdev` sends).
//
// The system boot options are a parameter family as parameters.hpp describes it (parameter 0,
// parameter_bytes, detail::parameter_family, detail::opaque_parameter), shared with
// transport.hpp's LAN and SOL parameters.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>

#include "codec.hpp"
#include "parameters.hpp"

namespace ipmikit::cmd {

// ---------------------------------------------------------------------------------------------
// Get Chassis Status (IPMI v2.0 §28.2)

/// Current power state byte [6:5] (IPMI v2.0 §28.2; bmc-commands.md §2).
enum class power_restore_policy : std::uint8_t {
  always_off = 0,  // IPMI v2.0 §28.2: 00b chassis stays powered off after AC returns
  previous = 1,    // IPMI v2.0 §28.2: 01b power restored to the state it was in
  always_on = 2,   // IPMI v2.0 §28.2: 10b chassis always powers up
  unknown = 3,     // IPMI v2.0 §28.2: 11b unknown
};

/// Misc. chassis state byte [5:4] (IPMI v2.0 §28.2): 3 is reserved.
enum class identify_state : std::uint8_t {
  off = 0,              // IPMI v2.0 §28.2: 00b chassis identify off
  timed_on = 1,         // IPMI v2.0 §28.2: 01b temporary (timed) on
  indefinite_on = 2,    // IPMI v2.0 §28.2: 10b indefinite on
};

struct get_chassis_status {
  static constexpr command_id id = commands::get_chassis_status;
  using request = no_data;

  struct response_layout {
    static constexpr std::size_t min_size = 3;  // IPMI v2.0 §28.2: bytes 1–3
    static constexpr std::size_t max_size = 4;  // IPMI v2.0 §28.2: front panel byte 4 optional

    // Byte 1, current power state ([7] reserved)
    bool power_on = false;               // b0
    bool power_overload = false;         // b1
    bool interlock = false;              // b2
    bool main_power_fault = false;       // b3
    bool power_control_fault = false;    // b4
    power_restore_policy restore_policy = power_restore_policy::always_off;  // [6:5]
    // Byte 2, last power event ([7:5] reserved)
    bool last_ac_failed = false;         // b0
    bool last_power_overload = false;    // b1
    bool last_interlock = false;         // b2
    bool last_power_fault = false;       // b3
    bool last_on_via_ipmi = false;       // b4: the last 'power is on' state came from a command
    // Byte 3, misc. chassis state ([7] reserved)
    bool intrusion = false;              // b0
    bool front_panel_lockout = false;    // b1
    bool drive_fault = false;            // b2
    bool cooling_fault = false;          // b3
    identify_state identify = identify_state::off;  // [5:4], meaningful when identify_supported
    bool identify_supported = false;     // b6
    // Byte 4 (optional), front panel button capabilities and disable/enable status (IPMI v2.0
    // §28.2, as a whole byte: b7..b4 standby, diagnostic interrupt, reset, power off button
    // disable allowed; b3..b0 the same buttons disabled).
    bool has_front_panel = false;
    std::uint8_t front_panel = 0;

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      io.bits([&](auto& b) {
        b.flags({0, 1, 2, 3, 4}, v.power_on, v.power_overload, v.interlock, v.main_power_fault, v.power_control_fault);
        b.field(5, 0x03, v.restore_policy);
        b.reserved(0x80);
      });
      io.bits([&](auto& b) {
        b.flags({0, 1, 2, 3, 4}, v.last_ac_failed, v.last_power_overload, v.last_interlock, v.last_power_fault,
                v.last_on_via_ipmi);
        b.reserved(0xE0);
      });
      io.bits([&](auto& b) {
        b.flags({0, 1, 2, 3, 6}, v.intrusion, v.front_panel_lockout, v.drive_fault, v.cooling_fault,
                v.identify_supported);
        b.field(4, 0x03, v.identify);
        b.reserved(0x80);
      });
      io.require(static_cast<std::uint8_t>(v.identify) != 3, parse_error::reserved_value);  // IPMI v2.0 §28.2: 11b
      if (io.more(v.has_front_panel)) io.u8(v.front_panel);
    }
    friend constexpr bool operator==(const response_layout&, const response_layout&) noexcept = default;
  };
  using response = detail::with_codec<response_layout>;
};

// ---------------------------------------------------------------------------------------------
// Chassis Control (IPMI v2.0 §28.3)

/// Byte 1 [3:0] (IPMI v2.0 §28.3; bmc-commands.md §2; ipmitool `chassis power …`): 6–F reserved.
enum class chassis_action : std::uint8_t {
  power_down = 0,                  // IPMI v2.0 §28.3: 0h power down (`power off`)
  power_up = 1,                    // IPMI v2.0 §28.3: 1h power up (`power on`)
  power_cycle = 2,                 // IPMI v2.0 §28.3: 2h power cycle (`power cycle`)
  hard_reset = 3,                  // IPMI v2.0 §28.3: 3h hard reset (`power reset`)
  pulse_diagnostic_interrupt = 4,  // IPMI v2.0 §28.3: 4h pulse diagnostic interrupt, NMI (`power diag`)
  soft_shutdown = 5,               // IPMI v2.0 §28.3: 5h ACPI soft shutdown via overtemperature (`power soft`)
};

struct chassis_control {
  static constexpr command_id id = commands::chassis_control;

  struct request_layout {
    chassis_action action = chassis_action::power_down;

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      detail::enum_byte(io, v.action, 0xF0, 5);  // IPMI v2.0 §28.3: 6h–Fh reserved
    }
    friend constexpr bool operator==(const request_layout&, const request_layout&) noexcept = default;
  };
  using request = detail::with_codec<request_layout>;

  using response = no_data;
};

// ---------------------------------------------------------------------------------------------
// Get System Restart Cause (IPMI v2.0 §28.11)

/// Byte 1 [3:0] (IPMI v2.0 §28.11; bmc-commands.md §2): C–F reserved.
enum class restart_cause : std::uint8_t {
  unknown = 0x0,                  // IPMI v2.0 §28.11: 0h unknown
  chassis_control = 0x1,          // IPMI v2.0 §28.11: 1h Chassis Control command
  reset_button = 0x2,             // IPMI v2.0 §28.11: 2h reset via pushbutton
  power_button = 0x3,             // IPMI v2.0 §28.11: 3h power-up via power pushbutton
  watchdog = 0x4,                 // IPMI v2.0 §28.11: 4h watchdog expiration
  oem = 0x5,                      // IPMI v2.0 §28.11: 5h OEM
  always_restore_policy = 0x6,    // IPMI v2.0 §28.11: 6h automatic power-up, 'always restore'
  restore_previous_policy = 0x7,  // IPMI v2.0 §28.11: 7h automatic power-up, 'restore previous'
  pef_reset = 0x8,                // IPMI v2.0 §28.11: 8h reset via PEF
  pef_power_cycle = 0x9,          // IPMI v2.0 §28.11: 9h power-cycle via PEF
  soft_reset = 0xA,               // IPMI v2.0 §28.11: Ah soft reset (e.g. CTRL-ALT-DEL)
  rtc_wakeup = 0xB,               // IPMI v2.0 §28.11: Bh power-up via RTC wakeup
};

struct get_system_restart_cause {
  static constexpr command_id id = commands::get_system_restart_cause;
  using request = no_data;

  struct response_layout {
    restart_cause cause = restart_cause::unknown;
    std::uint8_t channel = 0;  // byte 2: the channel the command or event came from

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      detail::enum_byte(io, v.cause, 0xF0, 0x0B);  // IPMI v2.0 §28.11: Ch–Fh reserved
      io.u8(v.channel);
    }
    friend constexpr bool operator==(const response_layout&, const response_layout&) noexcept = default;
  };
  using response = detail::with_codec<response_layout>;
};

// ---------------------------------------------------------------------------------------------
// Get POH Counter (IPMI v2.0 §28.14)

struct get_poh_counter {
  static constexpr command_id id = commands::get_poh_counter;
  using request = no_data;

  struct response_layout {
    std::uint8_t minutes_per_count = 60;
    std::uint32_t counter = 0;  // LS byte first

    /// The powered-on time in minutes.
    [[nodiscard]] constexpr std::uint64_t minutes() const noexcept {
      return static_cast<std::uint64_t>(minutes_per_count) * counter;
    }

    /// IPMI v2.0 §28.14: minutes per count, then the 4-byte counter.
    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      io.u8(v.minutes_per_count);
      io.le32(v.counter);
    }
    friend constexpr bool operator==(const response_layout&, const response_layout&) noexcept = default;
  };
  using response = detail::with_codec<response_layout>;
};

// ---------------------------------------------------------------------------------------------
// System boot options (IPMI v2.0 §28.12, §28.13): the parameters

namespace boot {

/// Parameter 0, set in progress.
using set_in_progress = set_in_progress_parameter;

/// Parameter 3, BMC boot flag valid-bit clearing (IPMI v2.0 §28.13; bmc-commands.md §2.1): each
/// bit set stops the BMC clearing the boot flags' valid bit on that event. [7:5] reserved.
struct valid_bit_clearing {
  static constexpr std::uint8_t number = 3;  // IPMI v2.0 §28.13: parameter 3

  bool dont_clear_on_power_button = false;     // b0: power up via power pushbutton or wake event
  bool dont_clear_on_reset_button = false;     // b1: pushbutton reset / soft reset
  bool dont_clear_on_watchdog = false;         // b2: watchdog timeout
  bool dont_clear_on_chassis_control = false;  // b3: Chassis Control command
  bool dont_clear_on_pef = false;              // b4: PEF action

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.bits([&](auto& b) {
      b.flags({0, 1, 2, 3, 4}, v.dont_clear_on_power_button, v.dont_clear_on_reset_button, v.dont_clear_on_watchdog,
              v.dont_clear_on_chassis_control, v.dont_clear_on_pef);
      b.reserved(0xE0);
    });
  }
  friend constexpr bool operator==(const valid_bit_clearing&, const valid_bit_clearing&) noexcept = default;
};

/// The boot info acknowledge bits (IPMI v2.0 §28.13; bmc-commands.md §2.1): [7:5] reserved.
namespace info_bit {
inline constexpr std::uint8_t bios_post = 0x01;             // IPMI v2.0 §28.13: b0 BIOS/POST
inline constexpr std::uint8_t os_loader = 0x02;             // IPMI v2.0 §28.13: b1 OS loader
inline constexpr std::uint8_t os_service_partition = 0x04;  // IPMI v2.0 §28.13: b2 OS / service partition
inline constexpr std::uint8_t sms = 0x08;                   // IPMI v2.0 §28.13: b3 SMS
inline constexpr std::uint8_t oem = 0x10;                   // IPMI v2.0 §28.13: b4 OEM
inline constexpr std::uint8_t reserved = 0xE0;              // IPMI v2.0 §28.13: [7:5] reserved
}  // namespace info_bit

/// Parameter 4, boot info acknowledge: byte 1 the write mask (which bits byte 2 changes), byte 2
/// the data. ipmitool's bootdev writes mask 01, data 01 (lan.md §14.1).
struct boot_info_acknowledge {
  static constexpr std::uint8_t number = 4;  // IPMI v2.0 §28.13: parameter 4

  std::uint8_t mask = 0;  // info_bit values
  std::uint8_t data = 0;  // info_bit values

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    for (auto* b : {&v.mask, &v.data}) {
      io.bits([&](auto& bits) {
        bits.field(0, static_cast<std::uint8_t>(~info_bit::reserved), *b);
        bits.reserved(info_bit::reserved);
      });
    }
  }
  friend constexpr bool operator==(const boot_info_acknowledge&, const boot_info_acknowledge&) noexcept = default;
};

/// Boot flags byte 2 [5:2], the boot device selector (IPMI v2.0 §28.13; bmc-commands.md §2.1,
/// ipmitool's BF2_BOOTDEV_*): Ah and Ch–Eh reserved.
enum class boot_device : std::uint8_t {
  none = 0x0,                  // IPMI v2.0 §28.13: 0h no override (byte 2 = 00)
  pxe = 0x1,                   // IPMI v2.0 §28.13: 1h force PXE (byte 2 = 04)
  hard_disk = 0x2,             // IPMI v2.0 §28.13: 2h force boot from default hard drive (08)
  hard_disk_safe = 0x3,        // IPMI v2.0 §28.13: 3h default hard drive, safe mode (0C)
  diagnostic = 0x4,            // IPMI v2.0 §28.13: 4h default diagnostic partition (10)
  cd_dvd = 0x5,                // IPMI v2.0 §28.13: 5h default CD/DVD (14)
  bios_setup = 0x6,            // IPMI v2.0 §28.13: 6h BIOS setup (18)
  remote_floppy = 0x7,         // IPMI v2.0 §28.13: 7h remotely connected floppy / primary removable
  remote_cd_dvd = 0x8,         // IPMI v2.0 §28.13: 8h remotely connected CD/DVD
  remote_primary_media = 0x9,  // IPMI v2.0 §28.13: 9h primary remote media
  remote_hard_disk = 0xB,      // IPMI v2.0 §28.13: Bh remotely connected hard drive
  floppy = 0xF,                // IPMI v2.0 §28.13: Fh floppy / primary removable media (3C)
};

[[nodiscard]] constexpr bool is_defined(boot_device d) noexcept {
  const auto v = static_cast<std::uint8_t>(d);
  return v <= 0x9 || v == 0xB || v == 0xF;
}

/// Boot flags byte 3 [6:5] (IPMI v2.0 §28.13; bmc-commands.md §2.1): 3 reserved.
enum class firmware_verbosity : std::uint8_t {
  system_default = 0,  // IPMI v2.0 §28.13: 00b system default
  quiet = 1,           // IPMI v2.0 §28.13: 01b request quiet display
  verbose = 2,         // IPMI v2.0 §28.13: 10b request verbose display
};

/// Boot flags byte 3 [1:0] (IPMI v2.0 §28.13, not in bmc-commands.md beyond the field's name): 3 reserved.
enum class console_redirection : std::uint8_t {
  system_default = 0,  // IPMI v2.0 §28.13: 00b per BIOS configuration
  suppress = 1,        // IPMI v2.0 §28.13: 01b suppress (skip) console redirection
  enable = 2,          // IPMI v2.0 §28.13: 10b request console redirection enabled
};

/// Boot flags byte 4 [2:0] (IPMI v2.0 §28.13, not in bmc-commands.md beyond the field's name): 3–7 reserved.
enum class bios_mux_control : std::uint8_t {
  recommended = 0,       // IPMI v2.0 §28.13: 000b BIOS uses its recommended mux setting
  force_to_bmc = 1,      // IPMI v2.0 §28.13: 001b force the mux to the BMC
  force_to_system = 2,   // IPMI v2.0 §28.13: 010b force the mux to the system
};

/// Parameter 5, boot flags: 5 bytes (IPMI v2.0 §28.13; bmc-commands.md §2.1). `chassis bootdev
/// pxe` writes 80 04 00 00 00.
struct boot_flags {
  static constexpr std::uint8_t number = 5;  // IPMI v2.0 §28.13: parameter 5
  static constexpr std::size_t size = 5;     // IPMI v2.0 §28.13: 5 data bytes

  // Byte 1 ([4:0] reserved)
  bool valid = false;       // b7
  bool persistent = false;  // b6: all future boots, else the next boot only
  bool efi = false;         // b5: EFI boot, else PC compatible (legacy)
  // Byte 2
  bool cmos_clear = false;         // b7
  bool lock_keyboard = false;      // b6
  boot_device device = boot_device::none;  // [5:2]
  bool screen_blank = false;       // b1
  bool lock_reset_button = false;  // b0
  // Byte 3
  bool lock_power_button = false;        // b7 (lock out power off / sleep request)
  firmware_verbosity verbosity = firmware_verbosity::system_default;  // [6:5]
  bool force_progress_event_traps = false;  // b4
  bool user_password_bypass = false;        // b3
  bool lock_sleep_button = false;           // b2
  console_redirection console = console_redirection::system_default;  // [1:0]
  // Byte 4 ([7:4] reserved)
  bool bios_shared_mode_override = false;  // b3
  bios_mux_control mux = bios_mux_control::recommended;  // [2:0]
  // Byte 5 ([7:5] reserved)
  std::uint8_t device_instance = 0;  // [4:0]

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.bits([&](auto& b) {
      b.flags({7, 6, 5}, v.valid, v.persistent, v.efi);
      b.reserved(0x1F);
    });
    io.bits([&](auto& b) {
      b.flags({7, 6, 1, 0}, v.cmos_clear, v.lock_keyboard, v.screen_blank, v.lock_reset_button);
      b.field(2, 0x0F, v.device);
    });
    io.require(is_defined(v.device), parse_error::reserved_value);  // IPMI v2.0 §28.13: Ah, Ch–Eh reserved
    io.bits([&](auto& b) {
      b.flags({7, 4, 3, 2}, v.lock_power_button, v.force_progress_event_traps, v.user_password_bypass,
              v.lock_sleep_button);
      b.field(5, 0x03, v.verbosity);
      b.field(0, 0x03, v.console);
    });
    // IPMI v2.0 §28.13: 11b verbosity and console, 011b–111b mux are reserved.
    io.require(static_cast<std::uint8_t>(v.verbosity) != 3 && static_cast<std::uint8_t>(v.console) != 3,
               parse_error::reserved_value);
    io.bits([&](auto& b) {
      b.flag(3, v.bios_shared_mode_override);
      b.field(0, 0x07, v.mux);
      b.reserved(0xF0);
    });
    io.require(static_cast<std::uint8_t>(v.mux) <= 2, parse_error::reserved_value);
    io.byte(v.device_instance, 0xE0);
  }
  friend constexpr bool operator==(const boot_flags&, const boot_flags&) noexcept = default;
};

/// Any other parameter (1, 2, 6, 7, OEM 96–127 …): its number (0–127, not 0/3/4/5) and up to
/// `capacity` data bytes as sent. Parameter 7, the largest the specification defines, is 17.
using opaque = detail::opaque_parameter<32, 1, 0x7F>;  // IPMI v2.0 §28.12: [6:0] parameter selector

using family = detail::parameter_family<opaque, set_in_progress, valid_bit_clearing, boot_info_acknowledge, boot_flags>;

/// A system boot option parameter: one of the typed ones, or opaque.
using parameter = family::value;

/// Its parameter number.
[[nodiscard]] constexpr std::uint8_t number(const parameter& p) noexcept { return family::number(p); }

/// The largest parameter data kept: an opaque one's capacity (the typed ones are smaller).
inline constexpr std::size_t max_data_size = opaque::capacity;

}  // namespace boot

namespace detail {
/// The parameter byte of Set and Get System Boot Options, b7 `flag` (Set: mark invalid; Get:
/// invalid/locked) and [6:0] `value`'s number, then `value`'s data (codec.hpp's fields()).
template <class IO, class Flag, class Value>
constexpr void boot_parameter_field(IO& io, Flag& flag, Value& value) noexcept {
  std::uint8_t n = boot::number(value);
  io.bits([&](auto& b) {
    b.flag(7, flag);
    b.field(0, 0x7F, n);  // IPMI v2.0 §28.12, §28.13: [6:0] parameter selector
  });
  boot::family::data_field(io, value, n);
}
}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Set System Boot Options (IPMI v2.0 §28.12)

struct set_system_boot_options {
  static constexpr command_id id = commands::set_system_boot_options;

  /// Byte 1: b7 mark parameter invalid (locked), [6:0] parameter; then the parameter's data.
  struct request_layout {
    static constexpr std::size_t min_size = 1;  // the parameter byte (an opaque parameter may have no data)
    static constexpr std::size_t max_size = 1 + boot::max_data_size;

    bool mark_invalid = false;
    boot::parameter value{};

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      detail::boot_parameter_field(io, v.mark_invalid, v.value);
    }
    friend constexpr bool operator==(const request_layout&, const request_layout&) noexcept = default;
  };
  using request = detail::with_codec<request_layout>;

  using response = no_data;
};

// ---------------------------------------------------------------------------------------------
// Get System Boot Options (IPMI v2.0 §28.13)

struct get_system_boot_options {
  static constexpr command_id id = commands::get_system_boot_options;

  /// Byte 1 [6:0] parameter ([7] reserved), byte 2 set selector, byte 3 block selector.
  /// `chassis bootparam get 5` sends 05 00 00.
  struct request_layout {
    std::uint8_t parameter = 0;  // 0–127
    std::uint8_t set_selector = 0;
    std::uint8_t block_selector = 0;

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      io.byte(v.parameter, 0x80);  // IPMI v2.0 §28.13: [6:0] parameter selector
      io.u8(v.set_selector);
      io.u8(v.block_selector);
    }
    friend constexpr bool operator==(const request_layout&, const request_layout&) noexcept = default;
  };
  using request = detail::with_codec<request_layout>;

  /// Byte 1 [3:0] parameter version (01h; [7:4] reserved), byte 2 b7 parameter invalid/locked
  /// and [6:0] the parameter, then its data. A version other than 1 is out_of_range.
  struct response_layout {
    static constexpr std::uint8_t version = 0x01;  // IPMI v2.0 §28.13: parameter version 1
    static constexpr std::size_t min_size = 2;
    static constexpr std::size_t max_size = 2 + boot::max_data_size;

    bool invalid = false;
    boot::parameter value{};

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      std::uint8_t sent_version = version;
      io.byte(sent_version, 0xF0);
      io.require(sent_version == version);
      detail::boot_parameter_field(io, v.invalid, v.value);
    }
    friend constexpr bool operator==(const response_layout&, const response_layout&) noexcept = default;
  };
  using response = detail::with_codec<response_layout>;
};

}  // namespace ipmikit::cmd
