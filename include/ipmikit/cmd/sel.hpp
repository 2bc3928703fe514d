// ipmikit/cmd/sel.hpp — the System Event Log: the 16-byte SEL record and the SEL commands
// (Storage NetFn 0Ah).
//
// The conventions (encode/parse/min_size/max_size, what the data bytes are) are codec.hpp's.
// Layouts: IPMI v2.0 §31 (SEL commands) and §32 (SEL record formats);
// ../shared/reference/bmc-commands.md §3.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "codec.hpp"
#include "repository.hpp"  // read_whole_record, detail::id16, record reads, the info layout

namespace ipmikit::cmd {

// ---------------------------------------------------------------------------------------------
// Constants

inline constexpr std::size_t sel_record_size = 16;          // IPMI v2.0 §32: every SEL record is 16 bytes
inline constexpr std::uint16_t sel_first_entry = 0x0000;    // IPMI v2.0 §31.5: record ID 0000h = first entry
inline constexpr std::uint16_t sel_last_entry = 0xFFFF;     // IPMI v2.0 §31.5: FFFFh = last entry; as next ID, "no more"
inline constexpr std::uint8_t sel_version_2_0 = 0x51;       // IPMI v2.0 §31.2: SEL version 51h (v1.5 and v2.0)
inline constexpr std::uint8_t evm_revision_2_0 = 0x04;      // IPMI v2.0 §32.1: EvM revision 04h (v1.5 and v2.0)
inline constexpr std::uint8_t sel_type_system_event = 0x02;  // IPMI v2.0 §32.1: record type 02h, system event
inline constexpr std::uint8_t sel_type_oem_timestamped_first = 0xC0;      // IPMI v2.0 §32.2: C0h–DFh
inline constexpr std::uint8_t sel_type_oem_non_timestamped_first = 0xE0;  // IPMI v2.0 §32.3: E0h–FFh

// ---------------------------------------------------------------------------------------------
// The SEL record (IPMI v2.0 §32)

namespace detail {
/// The event fields a system event record (IPMI v2.0 §32.1, bytes 10–13) and a Platform Event
/// Message (§29.3, sensor.hpp) share, up to the event data: EvM revision, sensor type, sensor
/// number, and the event dir/type byte (b7 deassertion, [6:0] event/reading type).
template <class IO, class V>
constexpr void event_fields(IO& io, V& v) noexcept {
  io.u8(v.evm_revision);
  io.u8(v.sensor_type);
  io.u8(v.sensor_number);
  io.bits([&](auto& b) {
    b.field(0, 0x7F, v.event_type);
    b.flag(7, v.deassertion);
  });
}
}  // namespace detail

/// One 16-byte SEL record. Which fields it carries depends on `record_type`:
///
/// - 02h, system event (§32.1): `timestamp`, the generator ID, `evm_revision`, `sensor_type`,
///   `sensor_number`, `deassertion`, `event_type`, `event_data`.
/// - C0h–DFh, OEM timestamped (§32.2): `timestamp`, then 9 bytes in `oem[0..8]` (manufacturer ID,
///   3 bytes LS first, then 6 OEM-defined bytes).
/// - E0h–FFh, OEM non-timestamped (§32.3): the 13 bytes after the record type in `oem`.
///
/// Other record types are reserved: parse() refuses them (reserved_value) and encode() too
/// (out_of_range). encode() ignores the fields the type does not carry; parse() leaves them at
/// their defaults, so a value built with only its type's fields set round-trips.
struct sel_record_layout {
  std::uint16_t record_id = 0;
  std::uint8_t record_type = sel_type_system_event;
  std::uint32_t timestamp = 0;  // seconds since 1970-01-01 00:00 UTC (IPMI v2.0 §37)

  // Generator ID, bytes 7–8 (IPMI v2.0 §32.1, Table 32-1)
  std::uint8_t generator_address = 0x20;  // byte 7 [7:1] as an 8-bit address: 20h = BMC; bit 0 must be 0
  bool software_generator = false;        // byte 7 b0: 1 = [7:1] is a system software ID
  std::uint8_t generator_channel = 0;     // byte 8 [7:4]; [3:2] reserved
  std::uint8_t generator_lun = 0;         // byte 8 [1:0]

  std::uint8_t evm_revision = evm_revision_2_0;
  std::uint8_t sensor_type = 0;
  std::uint8_t sensor_number = 0;
  bool deassertion = false;                  // byte 12 b7: 0 assertion, 1 deassertion
  std::uint8_t event_type = 0;               // byte 12 [6:0]: event/reading type code
  std::array<std::uint8_t, 3> event_data{};  // event data 1–3

  std::array<std::uint8_t, 13> oem{};  // OEM record bytes (see above); zero for a system event

  [[nodiscard]] constexpr bool is_system_event() const noexcept { return record_type == sel_type_system_event; }
  [[nodiscard]] constexpr bool is_oem_timestamped() const noexcept {
    return record_type >= sel_type_oem_timestamped_first && record_type < sel_type_oem_non_timestamped_first;
  }
  [[nodiscard]] constexpr bool is_oem_non_timestamped() const noexcept {
    return record_type >= sel_type_oem_non_timestamped_first;
  }
  /// An OEM timestamped record's manufacturer ID (IANA, 3 bytes LS first); 0 for other types.
  [[nodiscard]] constexpr std::uint32_t oem_manufacturer_id() const noexcept {
    if (!is_oem_timestamped()) return 0;
    return static_cast<std::uint32_t>(oem[0] | (oem[1] << 8) | (oem[2] << 16));
  }

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.le16(v.record_id);
    io.u8(v.record_type);
    if (v.is_system_event()) {
      io.le32(v.timestamp);
      io.bits([&](auto& b) {
        b.field(0, 0xFE, v.generator_address);
        b.flag(0, v.software_generator);
      });
      io.require((v.generator_address & 0x01) == 0);  // bit 0 is software_generator's
      io.bits([&](auto& b) {
        b.field(0, 0x03, v.generator_lun);
        b.reserved(0x0C);  // [3:2] (IPMI v2.0 §32.1)
        b.field(4, 0x0F, v.generator_channel);
      });
      detail::event_fields(io, v);
      io.bytes(v.event_data);
    } else if (v.is_oem_timestamped()) {  // everything an OEM record does not carry stays at its default
      io.le32(v.timestamp);
      io.template bytes_first<9>(v.oem);
    } else if (v.is_oem_non_timestamped()) {
      io.bytes(v.oem);
    } else {
      io.require(false, parse_error::reserved_value);  // record types 00h–01h, 03h–BFh are reserved
      io.padding(13);
    }
  }
  friend constexpr bool operator==(const sel_record_layout&, const sel_record_layout&) noexcept = default;
};
using sel_record = detail::with_codec<sel_record_layout>;

namespace detail {

/// A 32-bit time in seconds since 1970 (Get/Set SEL Time, IPMI v2.0 §31.10/§31.11).
struct time32_layout {
  std::uint32_t seconds = 0;

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept { io.le32(v.seconds); }
  friend constexpr bool operator==(const time32_layout&, const time32_layout&) noexcept = default;
};
using time32 = with_codec<time32_layout>;

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Get SEL Info (IPMI v2.0 §31.2)

/// Byte 14 of Get SEL Info (IPMI v2.0 §31.2); bits 6:4 are reserved.
namespace sel_support_bit {
inline constexpr std::uint8_t overflow = detail::repository_bit::overflow;  // IPMI v2.0 §31.2: events dropped, SEL full
inline constexpr std::uint8_t delete_sel =
    detail::repository_bit::delete_entry;  // IPMI v2.0 §31.2: Delete SEL Entry supported
inline constexpr std::uint8_t partial_add =
    detail::repository_bit::partial_add;  // IPMI v2.0 §31.2: Partial Add SEL Entry supported
inline constexpr std::uint8_t reserve_sel = detail::repository_bit::reserve;  // IPMI v2.0 §31.2: Reserve SEL supported
inline constexpr std::uint8_t get_allocation_info =
    detail::repository_bit::get_allocation_info;  // IPMI v2.0 §31.2: Get SEL Allocation Info supported
inline constexpr std::uint8_t reserved = 0x70;  // IPMI v2.0 §31.2: reserved
}  // namespace sel_support_bit

struct get_sel_info {
  static constexpr command_id id = commands::get_sel_info;
  using request = no_data;

  /// Exactly 14 bytes: ipmitool refuses any other length (bmc-commands.md §3).
  struct response_layout : detail::repository_info {
    std::uint16_t entries = 0;
    std::uint16_t free_bytes = 0;  // FFFFh = 65535 or more

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      detail::repository_info_fields(io, v, v.entries, v.free_bytes, sel_support_bit::reserved, [](auto&) {});
    }
    friend constexpr bool operator==(const response_layout&, const response_layout&) noexcept = default;
  };
  using response = detail::with_codec<response_layout>;
};

// ---------------------------------------------------------------------------------------------
// Reserve SEL (IPMI v2.0 §31.4)

/// Reserve SEL: the reservation ID (`value`), never 0; any add, delete or clear cancels it.
using reserve_sel = detail::reserve_command<commands::reserve_sel>;

// ---------------------------------------------------------------------------------------------
// Get SEL Entry (IPMI v2.0 §31.5)

/// ipmitool's `sel list` sends `00 00 <id LS> <id MS> 00 FF`: no reservation, offset 0, the whole
/// record, from record 0000h until the next ID is FFFFh. A whole record parses with
/// sel_record::parse(response.bytes()).
using get_sel_entry = detail::record_read_command<commands::get_sel_entry, sel_record_size>;

// ---------------------------------------------------------------------------------------------
// Add SEL Entry (IPMI v2.0 §31.6)

struct add_sel_entry {
  static constexpr command_id id = commands::add_sel_entry;
  /// The 16-byte record; the BMC ignores its record ID and assigns one.
  using request = sel_record;
  /// The record ID the BMC gave the entry (`value`).
  using response = detail::id16<false>;
};

// ---------------------------------------------------------------------------------------------
// Delete SEL Entry (IPMI v2.0 §31.8)

struct delete_sel_entry {
  static constexpr command_id id = commands::delete_sel_entry;

  struct request_layout {
    std::uint16_t reservation_id = 0;
    std::uint16_t record_id = 0;  // 0000h first, FFFFh last

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      io.le16(v.reservation_id);
      io.le16(v.record_id);
    }
    friend constexpr bool operator==(const request_layout&, const request_layout&) noexcept = default;
  };
  using request = detail::with_codec<request_layout>;
  /// The record ID deleted (`value`).
  using response = detail::id16<false>;
};

// ---------------------------------------------------------------------------------------------
// Clear SEL (IPMI v2.0 §31.9)

/// Clear SEL's last request byte (IPMI v2.0 §31.9); other values are out_of_range.
enum class clear_sel_action : std::uint8_t {
  get_status = 0x00,      // IPMI v2.0 §31.9: 00h get erasure status
  initiate_erase = 0xAA,  // IPMI v2.0 §31.9: AAh initiate erase
};

/// Clear SEL's response byte [3:0] (IPMI v2.0 §31.9); [7:4] reserved, other values out_of_range.
enum class erase_progress : std::uint8_t {
  in_progress = 0x0,  // IPMI v2.0 §31.9: 0h erasure in progress
  completed = 0x1,    // IPMI v2.0 §31.9: 1h erase completed
};

/// The three signature bytes 'C' 'L' 'R' (IPMI v2.0 §31.9).
inline constexpr std::array<std::uint8_t, 3> clear_sel_signature{0x43, 0x4C, 0x52};

struct clear_sel {
  static constexpr command_id id = commands::clear_sel;

  struct request_layout {
    std::uint16_t reservation_id = 0;
    clear_sel_action action = clear_sel_action::initiate_erase;

    /// Whether `data` (a whole request) carries the 'CLR' signature; parse() refuses the request
    /// with out_of_range when it does not (a BMC answers CCh).
    [[nodiscard]] static constexpr bool has_signature(std::span<const std::uint8_t> data) noexcept {
      return data.size() >= 5 && data[2] == clear_sel_signature[0] && data[3] == clear_sel_signature[1] &&
             data[4] == clear_sel_signature[2];
    }

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      io.le16(v.reservation_id);
      std::array<std::uint8_t, 3> signature = clear_sel_signature;
      io.bytes(signature);
      io.require(signature == clear_sel_signature);
      io.u8(v.action);
      io.require(v.action == clear_sel_action::get_status || v.action == clear_sel_action::initiate_erase);
    }
    friend constexpr bool operator==(const request_layout&, const request_layout&) noexcept = default;
  };
  using request = detail::with_codec<request_layout>;

  struct response_layout {
    erase_progress progress = erase_progress::completed;

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      io.byte(v.progress, 0xF0);  // [7:4] (IPMI v2.0 §31.9)
      io.require(v.progress == erase_progress::in_progress || v.progress == erase_progress::completed);
    }
    friend constexpr bool operator==(const response_layout&, const response_layout&) noexcept = default;
  };
  using response = detail::with_codec<response_layout>;
};

// ---------------------------------------------------------------------------------------------
// Get SEL Time (IPMI v2.0 §31.10) and Set SEL Time (§31.11)

/// Get SEL Time's response: seconds since 1970-01-01 00:00 UTC, LS byte first.
using get_sel_time = detail::typed_command<commands::get_sel_time, no_data, detail::time32>;
using set_sel_time = detail::typed_command<commands::set_sel_time, detail::time32, no_data>;

}  // namespace ipmikit::cmd
