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
struct sel_record {
  static constexpr std::size_t min_size = sel_record_size;
  static constexpr std::size_t max_size = sel_record_size;

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

  [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
    writer w(out);
    w.le16(record_id);
    w.u8(record_type);
    if (is_system_event()) {
      if ((generator_address & 0x01) != 0 || generator_channel > 0x0F || generator_lun > 0x03 || event_type > 0x7F)
        w.fail(encode_error::out_of_range);
      w.le32(timestamp);
      w.u8(static_cast<std::uint8_t>(generator_address | (software_generator ? 0x01 : 0x00)));
      w.u8(static_cast<std::uint8_t>((generator_channel << 4) | generator_lun));
      w.u8(evm_revision);
      w.u8(sensor_type);
      w.u8(sensor_number);
      w.u8(static_cast<std::uint8_t>((deassertion ? 0x80 : 0x00) | event_type));
      w.bytes(event_data);
    } else if (is_oem_timestamped()) {
      w.le32(timestamp);
      w.bytes(std::span<const std::uint8_t>(oem).first(9));
    } else if (is_oem_non_timestamped()) {
      w.bytes(oem);
    } else {
      w.fail(encode_error::out_of_range);  // a reserved record type
      w.fill(13, 0);
    }
    return w.result();
  }

  [[nodiscard]] static constexpr parsed<sel_record> parse(std::span<const std::uint8_t> data) noexcept {
    reader r(data);
    sel_record v;
    v.record_id = r.le16();
    v.record_type = r.u8();
    if (v.is_system_event()) {
      v.timestamp = r.le32();
      const std::uint8_t gen = r.u8();
      v.generator_address = gen & 0xFE;
      v.software_generator = (gen & 0x01) != 0;
      const std::uint8_t chan = r.u8();
      r.reserved_zero(chan, 0x0C);
      v.generator_channel = static_cast<std::uint8_t>(chan >> 4);
      v.generator_lun = chan & 0x03;
      v.evm_revision = r.u8();
      v.sensor_type = r.u8();
      v.sensor_number = r.u8();
      const std::uint8_t dir = r.u8();
      v.deassertion = (dir & 0x80) != 0;
      v.event_type = dir & 0x7F;
      r.bytes(v.event_data);
    } else {
      // Everything an OEM record does not carry stays at its default.
      if (v.is_oem_timestamped()) {
        v.timestamp = r.le32();
        std::array<std::uint8_t, 9> oem{};  // not a loop of u8(): see reader::bytes
        r.bytes(oem);
        std::copy_n(oem.begin(), oem.size(), v.oem.begin());
      } else if (v.is_oem_non_timestamped()) {
        r.bytes(v.oem);
      } else {
        r.fail(parse_error::reserved_value);  // record types 00h–01h, 03h–BFh are reserved
        std::array<std::uint8_t, 13> skipped{};
        r.bytes(skipped);
      }
    }
    return r.result(v);
  }

  friend constexpr bool operator==(const sel_record&, const sel_record&) noexcept = default;
};

namespace detail {

/// A 32-bit time in seconds since 1970 (Get/Set SEL Time, IPMI v2.0 §31.10/§31.11).
struct time32 {
  static constexpr std::size_t min_size = 4;
  static constexpr std::size_t max_size = 4;

  std::uint32_t seconds = 0;

  using layout = detail::plain_layout<time32, &time32::seconds>;
  [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
    return layout::encode(*this, out);
  }
  [[nodiscard]] static constexpr parsed<time32> parse(std::span<const std::uint8_t> data) noexcept {
    return layout::parse(data);
  }
  friend constexpr bool operator==(const time32&, const time32&) noexcept = default;
};

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
  struct response {
    static constexpr std::size_t min_size = 14;
    static constexpr std::size_t max_size = 14;

    std::uint8_t version = sel_version_2_0;  // BCD, as sent: 51h = v1.5/v2.0
    std::uint16_t entries = 0;
    std::uint16_t free_bytes = 0;            // FFFFh = 65535 or more
    std::uint32_t last_add_time = 0;         // FFFFFFFFh: never (IPMI v2.0 §31.2)
    std::uint32_t last_erase_time = 0;
    bool overflow = false;
    bool supports_delete = false;
    bool supports_partial_add = false;
    bool supports_reserve = false;
    bool supports_get_allocation_info = false;

    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      writer w(out);
      detail::write_repository_info(w, *this, entries, free_bytes, 0);
      return w.result();
    }
    [[nodiscard]] static constexpr parsed<response> parse(std::span<const std::uint8_t> data) noexcept {
      reader r(data);
      response v;
      detail::read_repository_info(r, v, v.entries, v.free_bytes, sel_support_bit::reserved);
      return r.result(v);
    }
    friend constexpr bool operator==(const response&, const response&) noexcept = default;
  };
};

// ---------------------------------------------------------------------------------------------
// Reserve SEL (IPMI v2.0 §31.4)

struct reserve_sel {
  static constexpr command_id id = commands::reserve_sel;
  using request = no_data;
  /// The reservation ID (`value`), never 0; any add, delete or clear cancels it.
  using response = detail::id16<true>;
};

// ---------------------------------------------------------------------------------------------
// Get SEL Entry (IPMI v2.0 §31.5)

struct get_sel_entry {
  static constexpr command_id id = commands::get_sel_entry;
  /// ipmitool's `sel list` sends `00 00 <id LS> <id MS> 00 FF`: no reservation, offset 0, the
  /// whole record, from record 0000h until the next ID is FFFFh.
  using request = detail::record_read_request;
  /// The next record ID and the bytes read; a whole record parses with sel_record::parse(bytes()).
  using response = detail::record_read_response<sel_record_size>;
};

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

  struct request {
    static constexpr std::size_t min_size = 4;
    static constexpr std::size_t max_size = 4;

    std::uint16_t reservation_id = 0;
    std::uint16_t record_id = 0;  // 0000h first, FFFFh last

    using layout = detail::plain_layout<request, &request::reservation_id, &request::record_id>;
    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      return layout::encode(*this, out);
    }
    [[nodiscard]] static constexpr parsed<request> parse(std::span<const std::uint8_t> data) noexcept {
      return layout::parse(data);
    }
    friend constexpr bool operator==(const request&, const request&) noexcept = default;
  };
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

  struct request {
    static constexpr std::size_t min_size = 6;
    static constexpr std::size_t max_size = 6;

    std::uint16_t reservation_id = 0;
    clear_sel_action action = clear_sel_action::initiate_erase;

    /// Whether `data` (a whole request) carries the 'CLR' signature; parse() refuses the request
    /// with out_of_range when it does not (a BMC answers CCh).
    [[nodiscard]] static constexpr bool has_signature(std::span<const std::uint8_t> data) noexcept {
      return data.size() >= 5 && data[2] == clear_sel_signature[0] && data[3] == clear_sel_signature[1] &&
             data[4] == clear_sel_signature[2];
    }

    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      writer w(out);
      if (action != clear_sel_action::get_status && action != clear_sel_action::initiate_erase)
        w.fail(encode_error::out_of_range);
      w.le16(reservation_id);
      w.bytes(clear_sel_signature);
      w.u8(static_cast<std::uint8_t>(action));
      return w.result();
    }
    [[nodiscard]] static constexpr parsed<request> parse(std::span<const std::uint8_t> data) noexcept {
      reader r(data);
      request v;
      v.reservation_id = r.le16();
      std::array<std::uint8_t, 3> sig{};
      r.bytes(sig);
      if (sig != clear_sel_signature) r.fail(parse_error::out_of_range);
      const std::uint8_t a = r.u8();
      v.action = static_cast<clear_sel_action>(a);
      if (v.action != clear_sel_action::get_status && v.action != clear_sel_action::initiate_erase)
        r.fail(parse_error::out_of_range);
      return r.result(v);
    }
    friend constexpr bool operator==(const request&, const request&) noexcept = default;
  };

  struct response {
    static constexpr std::size_t min_size = 1;
    static constexpr std::size_t max_size = 1;

    erase_progress progress = erase_progress::completed;

    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      writer w(out);
      if (progress != erase_progress::in_progress && progress != erase_progress::completed)
        w.fail(encode_error::out_of_range);
      w.u8(static_cast<std::uint8_t>(progress));
      return w.result();
    }
    [[nodiscard]] static constexpr parsed<response> parse(std::span<const std::uint8_t> data) noexcept {
      reader r(data);
      response v;
      const std::uint8_t b = r.u8();
      r.reserved_zero(b, 0xF0);
      if ((b & 0x0F) > 1) r.fail(parse_error::out_of_range);
      v.progress = static_cast<erase_progress>(b & 0x0F);
      return r.result(v);
    }
    friend constexpr bool operator==(const response&, const response&) noexcept = default;
  };
};

// ---------------------------------------------------------------------------------------------
// Get SEL Time (IPMI v2.0 §31.10) and Set SEL Time (§31.11)

struct get_sel_time {
  static constexpr command_id id = commands::get_sel_time;
  using request = no_data;
  using response = detail::time32;  // seconds since 1970-01-01 00:00 UTC, LS byte first
};

struct set_sel_time {
  static constexpr command_id id = commands::set_sel_time;
  using request = detail::time32;
  using response = no_data;
};

}  // namespace ipmikit::cmd
