// ipmikit/cmd/sdr.hpp — the Sensor Data Record repository: the SDR commands (Storage NetFn
// 0Ah), the record header, and the typed Full Sensor, Compact Sensor, FRU Device Locator and
// MC Device Locator records.
//
// The conventions (encode/parse/min_size/max_size, what the data bytes are) are codec.hpp's;
// each record type follows them for the whole record, header included, so a record read with
// Get SDR (or assembled from partial reads) parses with its type's parse().
// Layouts: IPMI v2.0 §33 (SDR repository commands), §43 (record formats), §36.3 (reading
// conversion); ../shared/reference/bmc-commands.md §4.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "codec.hpp"
#include "repository.hpp"  // read_whole_record, detail::id16, record reads, the info layout

namespace ipmikit::cmd {

// ---------------------------------------------------------------------------------------------
// Constants

inline constexpr std::uint8_t sdr_version = 0x51;            // IPMI v2.0 §43: SDR version 51h (v1.5 and v2.0)
inline constexpr std::size_t sdr_header_size = 5;            // IPMI v2.0 §43: record ID, version, type, length
inline constexpr std::size_t sdr_max_record_size = 5 + 255;  // IPMI v2.0 §43: the length byte counts the rest
inline constexpr std::uint16_t sdr_first_record = 0x0000;    // IPMI v2.0 §33.12: record ID 0000h = first
inline constexpr std::uint16_t sdr_last_record = 0xFFFF;     // IPMI v2.0 §33.12: FFFFh = last; as next ID, "no more"
inline constexpr std::size_t sdr_id_capacity = 16;           // IPMI v2.0 §43.1: ID string bytes, 16 at most

/// Record types (IPMI v2.0 §43, bmc-commands.md §4).
namespace sdr_type {
inline constexpr std::uint8_t full_sensor = 0x01;              // IPMI v2.0 §43.1
inline constexpr std::uint8_t compact_sensor = 0x02;           // IPMI v2.0 §43.2
inline constexpr std::uint8_t event_only = 0x03;               // IPMI v2.0 §43.3
inline constexpr std::uint8_t entity_association = 0x08;       // IPMI v2.0 §43.4
inline constexpr std::uint8_t device_relative_entity = 0x09;   // IPMI v2.0 §43.5
inline constexpr std::uint8_t generic_device_locator = 0x10;   // IPMI v2.0 §43.7
inline constexpr std::uint8_t fru_device_locator = 0x11;       // IPMI v2.0 §43.8
inline constexpr std::uint8_t mc_device_locator = 0x12;        // IPMI v2.0 §43.9
inline constexpr std::uint8_t mc_confirmation = 0x13;          // IPMI v2.0 §43.10
inline constexpr std::uint8_t bmc_message_channel_info = 0x14;  // IPMI v2.0 §43.11
inline constexpr std::uint8_t oem = 0xC0;                      // IPMI v2.0 §43.12
}  // namespace sdr_type

// ---------------------------------------------------------------------------------------------
// The record header (IPMI v2.0 §43)

/// The 5 bytes every record starts with (what ipmitool reads first: offset 0, 5 bytes). The
/// version must be 51h (out_of_range otherwise).
struct sdr_header {
  static constexpr std::size_t min_size = sdr_header_size;
  static constexpr std::size_t max_size = sdr_header_size;

  std::uint16_t record_id = 0;
  std::uint8_t record_type = 0;
  std::uint8_t remaining_length = 0;  // bytes after the header

  [[nodiscard]] constexpr std::size_t record_size() const noexcept { return sdr_header_size + remaining_length; }

  /// Record ID, version 51h (another is out_of_range), type, remaining length.
  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.le16(v.record_id);
    std::uint8_t version = sdr_version;
    io.u8(version);
    io.require(version == sdr_version);
    io.u8(v.record_type);
    io.u8(v.remaining_length);
  }
  constexpr void write(writer& w) const noexcept { detail::write_fields(w, *this); }
  [[nodiscard]] static constexpr sdr_header read(reader& r) noexcept { return detail::read_fields<sdr_header>(r); }

  [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
    writer w(out);
    write(w);
    return w.result();
  }
  [[nodiscard]] static constexpr parsed<sdr_header> parse(std::span<const std::uint8_t> data) noexcept {
    reader r(data);
    const sdr_header h = read(r);
    return r.result(h);
  }
  friend constexpr bool operator==(const sdr_header&, const sdr_header&) noexcept = default;
};

// ---------------------------------------------------------------------------------------------
// The ID string (IPMI v2.0 §43.15): a type/length byte, then up to 16 bytes

/// The type/length byte's [7:6] (IPMI v2.0 §43.15).
enum class sdr_id_type : std::uint8_t {
  unicode = 0,   // IPMI v2.0 §43.15: 00b Unicode
  bcd_plus = 1,  // IPMI v2.0 §43.15: 01b BCD plus
  ascii6 = 2,    // IPMI v2.0 §43.15: 10b 6-bit ASCII, packed
  text = 3,      // IPMI v2.0 §43.15: 11b 8-bit ASCII + Latin 1
};

/// A record's ID string as stored: its type and 0 to 16 bytes (bytes past `length` are 0).
/// The type/length byte's bit 5 is reserved; lengths past 16 are out_of_range. The bytes are
/// held as chars, since they are nearly always 8-bit text.
struct sdr_id_string {
  sdr_id_type type = sdr_id_type::text;
  std::uint8_t length = 0;
  std::array<char, sdr_id_capacity> data{};

  /// The bytes as they are stored (8-bit text: the string itself).
  [[nodiscard]] constexpr std::string_view chars() const noexcept {
    return std::string_view(data.data(), length <= sdr_id_capacity ? length : sdr_id_capacity);
  }
  [[nodiscard]] constexpr std::uint8_t type_length() const noexcept {
    return static_cast<std::uint8_t>((static_cast<unsigned>(type) << 6) | (length & 0x1Fu));
  }
  /// An 8-bit text ID of `s` (its first 16 characters).
  [[nodiscard]] static constexpr sdr_id_string of_text(std::string_view s) noexcept {
    sdr_id_string id;
    id.length = static_cast<std::uint8_t>(s.size() < sdr_id_capacity ? s.size() : sdr_id_capacity);
    for (std::size_t i = 0; i < id.length; ++i) id.data[i] = s[i];
    return id;
  }

  [[nodiscard]] constexpr bool valid() const noexcept {
    return static_cast<unsigned>(type) <= 3 && length <= sdr_id_capacity;
  }
  /// The type/length byte ([7:6] type, b5 reserved, [4:0] length, at most 16), then the bytes.
  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    std::uint8_t n = v.length;
    io.bits([&](auto& b) {
      b.field(6, 0x03, v.type);
      b.reserved(0x20);
      b.field(0, 0x1F, n);
    });
    io.require(n <= sdr_id_capacity);
    if constexpr (IO::reading) {
      const auto b = io.raw().view(n);
      if (n > sdr_id_capacity) v = V{};
      v.length = static_cast<std::uint8_t>(n > sdr_id_capacity ? 0 : b.size());
      for (std::size_t i = 0; i < v.length; ++i) v.data[i] = static_cast<char>(b[i]);
    } else {
      for (char c : v.chars()) io.raw().u8(static_cast<std::uint8_t>(c));
    }
  }
  constexpr void write(writer& w) const noexcept { detail::write_fields(w, *this); }
  [[nodiscard]] static constexpr sdr_id_string read(reader& r) noexcept { return detail::read_fields<sdr_id_string>(r); }
  friend constexpr bool operator==(const sdr_id_string&, const sdr_id_string&) noexcept = default;
};

namespace detail {

/// A record's header, from `v.record_id`, `type`, and the length fixed_size and the ID string
/// make (out_of_range past 255); read, a header of another type is out_of_range.
template <class IO, class V>
constexpr sdr_header record_start(IO& io, V& v, std::uint8_t type) noexcept {
  sdr_header h{v.record_id, type, 0};
  if constexpr (!IO::reading) {
    const std::size_t body = V::fixed_size - sdr_header_size + v.id.length;
    io.require(body <= 255);
    h.remaining_length = static_cast<std::uint8_t>(body);
  }
  sdr_header::fields(io, h);
  io.require(h.record_type == type);
  if constexpr (IO::reading) v.record_id = h.record_id;
  return h;
}
/// The OEM byte and the ID string; read, the header's remaining length must count exactly the
/// body read (out_of_range otherwise; a record cut short or with bytes after it is too_short /
/// too_long, as always).
template <class IO, class V>
constexpr void record_end(IO& io, V& v, const sdr_header& h) noexcept {
  io.u8(v.oem);
  sdr_id_string::fields(io, v.id);
  if constexpr (IO::reading) io.require(io.raw().position() == h.record_size());
}
/// A sensor record's header and key.
template <class IO, class V>
constexpr sdr_header sensor_start(IO& io, V& v, std::uint8_t type) noexcept {
  const sdr_header h = record_start(io, v, type);
  decltype(v.key)::fields(io, v.key);
  return h;
}
/// A sensor record's hysteresis bytes, `reserved` bytes of 00h, the OEM byte and the ID string.
template <class IO, class V>
constexpr void sensor_end(IO& io, V& v, std::size_t reserved, const sdr_header& h) noexcept {
  io.u8(v.positive_hysteresis);
  io.u8(v.negative_hysteresis);
  io.zeros(reserved);
  record_end(io, v, h);
}

/// A 4-bit two's complement nibble, sign-extended.
[[nodiscard]] constexpr std::int8_t signed4(unsigned v) noexcept {
  v &= 0x0Fu;
  return static_cast<std::int8_t>(v >= 8 ? static_cast<int>(v) - 16 : static_cast<int>(v));
}
/// A 10-bit two's complement value, sign-extended.
[[nodiscard]] constexpr std::int16_t signed10(unsigned v) noexcept {
  v &= 0x3FFu;
  return static_cast<std::int16_t>(v >= 512 ? static_cast<int>(v) - 1024 : static_cast<int>(v));
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Sensor records: the fields Full and Compact share (IPMI v2.0 §43.1/§43.2, offsets 5–22)

/// Units 1 [7:6]: how a reading's byte is signed (IPMI v2.0 §43.1).
enum class analog_format : std::uint8_t {
  unsigned_value = 0,     // IPMI v2.0 §43.1: 00b unsigned
  ones_complement = 1,    // IPMI v2.0 §43.1: 01b 1's complement (signed)
  twos_complement = 2,    // IPMI v2.0 §43.1: 10b 2's complement (signed)
  no_analog_reading = 3,  // IPMI v2.0 §43.1: 11b no analog (numeric) reading
};

inline constexpr std::uint8_t event_reading_type_threshold = 0x01;  // IPMI v2.0 §42.1: 01h threshold
inline constexpr std::uint8_t linearization_linear = 0x00;          // IPMI v2.0 §43.1: 00h linear

struct sensor_record_key {
  std::uint8_t owner_id = 0x20;    // byte 5: [7:1] IPMB address or software ID, b0 1 = software ID
  std::uint8_t owner_channel = 0;  // byte 6 [7:4]; [3:2] reserved
  std::uint8_t owner_lun = 0;      // byte 6 [1:0]
  std::uint8_t sensor_number = 0;
  std::uint8_t entity_id = 0;
  std::uint8_t entity_instance = 0;  // b7 logical, [6:0] instance
  std::uint8_t initialization = 0;   // byte 10, as sent
  std::uint8_t capabilities = 0;     // byte 11, as sent
  std::uint8_t sensor_type = 0;
  std::uint8_t event_reading_type = event_reading_type_threshold;
  std::uint16_t assertion_mask = 0;    // or the lower-threshold reading mask
  std::uint16_t deassertion_mask = 0;  // or the upper-threshold reading mask
  std::uint16_t reading_mask = 0;      // discrete reading mask, or settable/readable thresholds
  std::uint8_t units_1 = 0;            // [7:6] analog format, [5:3] rate, [2:1] modifier, b0 percentage
  std::uint8_t base_unit = 0;          // 01h °C, 02h °F, 03h K, 04h V, 05h A, 06h W, …
  std::uint8_t modifier_unit = 0;

  [[nodiscard]] constexpr analog_format format() const noexcept { return static_cast<analog_format>(units_1 >> 6); }

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.u8(v.owner_id);
    io.bits([&](auto& b) {
      b.field(0, 0x03, v.owner_lun);
      b.reserved(0x0C);
      b.field(4, 0x0F, v.owner_channel);
    });
    for (auto* f : {&v.sensor_number, &v.entity_id, &v.entity_instance, &v.initialization, &v.capabilities,
                    &v.sensor_type, &v.event_reading_type})
      io.u8(*f);
    for (auto* mask : {&v.assertion_mask, &v.deassertion_mask, &v.reading_mask}) io.le16(*mask);
    for (auto* f : {&v.units_1, &v.base_unit, &v.modifier_unit}) io.u8(*f);
  }
  constexpr void write(writer& w) const noexcept { detail::write_fields(w, *this); }
  [[nodiscard]] static constexpr sensor_record_key read(reader& r) noexcept {
    return detail::read_fields<sensor_record_key>(r);
  }
  friend constexpr bool operator==(const sensor_record_key&, const sensor_record_key&) noexcept = default;
};

// ---------------------------------------------------------------------------------------------
// Full Sensor Record (IPMI v2.0 §43.1, type 01h)

struct full_sensor_record_layout {
  static constexpr std::size_t fixed_size = 48;  // through the ID type/length byte (offset 47)
  static constexpr std::size_t min_size = fixed_size;
  static constexpr std::size_t max_size = fixed_size + sdr_id_capacity;

  std::uint16_t record_id = 0;
  sensor_record_key key;
  std::uint8_t linearization = linearization_linear;  // byte 23 [6:0]; b7 reserved
  std::int16_t m = 1;                  // 10 bits, two's complement: −512 to 511
  std::uint8_t tolerance = 0;          // 6 bits, in ±½ raw counts
  std::int16_t b = 0;                  // 10 bits, two's complement
  std::uint16_t accuracy = 0;          // 10 bits, unsigned, in 1/100 percent
  std::uint8_t accuracy_exp = 0;       // 2 bits
  std::uint8_t sensor_direction = 0;   // 2 bits: 0 n/a, 1 input, 2 output
  std::int8_t r_exp = 0;               // 4 bits, two's complement: −8 to 7
  std::int8_t b_exp = 0;               // 4 bits, two's complement
  std::uint8_t analog_flags = 0;       // b2 normal min given, b1 normal max, b0 nominal
  std::uint8_t nominal_reading = 0;
  std::uint8_t normal_max = 0;
  std::uint8_t normal_min = 0;
  std::uint8_t sensor_max = 0xFF;
  std::uint8_t sensor_min = 0x00;
  std::uint8_t upper_non_recoverable = 0;
  std::uint8_t upper_critical = 0;
  std::uint8_t upper_non_critical = 0;
  std::uint8_t lower_non_recoverable = 0;
  std::uint8_t lower_critical = 0;
  std::uint8_t lower_non_critical = 0;
  std::uint8_t positive_hysteresis = 0;
  std::uint8_t negative_hysteresis = 0;
  std::uint8_t oem = 0;  // bytes 44–45 before it are reserved, 00h
  sdr_id_string id;

  [[nodiscard]] constexpr bool fields_fit() const noexcept {
    return linearization <= 0x7F && m >= -512 && m <= 511 && tolerance <= 0x3F && b >= -512 && b <= 511 &&
           accuracy <= 0x3FF && accuracy_exp <= 3 && sensor_direction <= 3 && r_exp >= -8 && r_exp <= 7 &&
           b_exp >= -8 && b_exp <= 7;
  }

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    const sdr_header h = detail::sensor_start(io, v, sdr_type::full_sensor);
    io.byte(v.linearization, 0x80);
    // M and B are 10-bit two's complement: the LS byte, then [9:8] in b7:6 beside the tolerance
    // and accuracy [5:0]; accuracy [9:6] is byte 28 [7:4]; R and B exponents 4-bit two's complement.
    const auto mu = static_cast<unsigned>(v.m) & 0x3FFu;
    const auto bu = static_cast<unsigned>(v.b) & 0x3FFu;
    auto m_ls = static_cast<std::uint8_t>(mu);
    auto m_ms = static_cast<std::uint8_t>(mu >> 8);
    auto b_ls = static_cast<std::uint8_t>(bu);
    auto b_ms = static_cast<std::uint8_t>(bu >> 8);
    auto acc_ls = static_cast<std::uint8_t>(v.accuracy & 0x3Fu);
    auto acc_ms = static_cast<std::uint8_t>((v.accuracy >> 6) & 0x0Fu);
    auto r4 = static_cast<std::uint8_t>(static_cast<unsigned>(v.r_exp) & 0x0Fu);
    auto b4 = static_cast<std::uint8_t>(static_cast<unsigned>(v.b_exp) & 0x0Fu);
    io.require(v.fields_fit());
    io.u8(m_ls);
    io.bits([&](auto& bits) {
      bits.field(0, 0x3F, v.tolerance);
      bits.field(6, 0x03, m_ms);
    });
    io.u8(b_ls);
    io.bits([&](auto& bits) {
      bits.field(0, 0x3F, acc_ls);
      bits.field(6, 0x03, b_ms);
    });
    io.bits([&](auto& bits) {
      bits.field(0, 0x03, v.sensor_direction);
      bits.field(2, 0x03, v.accuracy_exp);
      bits.field(4, 0x0F, acc_ms);
    });
    io.bits([&](auto& bits) {
      bits.field(0, 0x0F, b4);
      bits.field(4, 0x0F, r4);
    });
    if constexpr (IO::reading) {
      v.m = detail::signed10(m_ls | (static_cast<unsigned>(m_ms) << 8));
      v.b = detail::signed10(b_ls | (static_cast<unsigned>(b_ms) << 8));
      v.accuracy = static_cast<std::uint16_t>(acc_ls | (acc_ms << 6));
      v.r_exp = detail::signed4(r4);
      v.b_exp = detail::signed4(b4);
    }
    for (auto* f : {&v.analog_flags, &v.nominal_reading, &v.normal_max, &v.normal_min, &v.sensor_max, &v.sensor_min,
                    &v.upper_non_recoverable, &v.upper_critical, &v.upper_non_critical, &v.lower_non_recoverable,
                    &v.lower_critical, &v.lower_non_critical})
      io.u8(*f);
    detail::sensor_end(io, v, 2, h);
  }
  friend constexpr bool operator==(const full_sensor_record_layout&, const full_sensor_record_layout&) noexcept = default;
};
using full_sensor_record = detail::with_codec<full_sensor_record_layout>;

/// A converted reading, exactly: value = mantissa · 10^exponent.
struct converted_reading {
  std::int64_t mantissa = 0;
  int exponent = 0;

  [[nodiscard]] constexpr double to_double() const noexcept {
    double v = static_cast<double>(mantissa);
    for (int i = 0; i < exponent; ++i) v *= 10.0;
    for (int i = 0; i > exponent; --i) v /= 10.0;
    return v;
  }
  friend constexpr bool operator==(const converted_reading&, const converted_reading&) noexcept = default;
};

/// The raw reading byte as the signed or unsigned number x the record's analog format says
/// (a format of no_analog_reading reads as unsigned).
[[nodiscard]] constexpr int raw_reading_value(analog_format f, std::uint8_t raw) noexcept {
  switch (f) {
    case analog_format::ones_complement: return raw < 0x80 ? raw : static_cast<int>(raw) - 0xFF;
    case analog_format::twos_complement: return raw < 0x80 ? raw : static_cast<int>(raw) - 0x100;
    case analog_format::unsigned_value:
    case analog_format::no_analog_reading: break;
  }
  return raw;
}

/// y = (M·x + B·10^Bexp)·10^Rexp (IPMI v2.0 §36.3), exactly, for a linear sensor (linearization
/// 00h; the non-linear functions of §36.3 are the caller's to apply to the result).
[[nodiscard]] constexpr converted_reading convert_reading(const full_sensor_record& rec, std::uint8_t raw) noexcept {
  const std::int64_t x = raw_reading_value(rec.key.format(), raw);
  std::int64_t mx = std::int64_t{rec.m} * x;
  std::int64_t b = rec.b;
  int exponent = rec.r_exp;
  if (rec.b_exp >= 0) {
    for (int i = 0; i < rec.b_exp; ++i) b *= 10;
  } else {  // scale M·x up instead: (M·x·10^-Bexp + B)·10^(Rexp+Bexp)
    for (int i = 0; i < -rec.b_exp; ++i) mx *= 10;
    exponent += rec.b_exp;
  }
  return {mx + b, exponent};
}

// ---------------------------------------------------------------------------------------------
// Compact Sensor Record (IPMI v2.0 §43.2, type 02h)

struct compact_sensor_record_layout {
  static constexpr std::size_t fixed_size = 32;  // through the ID type/length byte (offset 31)
  static constexpr std::size_t min_size = fixed_size;
  static constexpr std::size_t max_size = fixed_size + sdr_id_capacity;

  std::uint16_t record_id = 0;
  sensor_record_key key;
  std::uint8_t direction_sharing = 0;  // byte 23: [7:6] direction, [5:4] ID modifier type, [3:0] share count
  std::uint8_t instance_sharing = 0;   // byte 24: b7 entity instance sharing, [6:0] ID modifier offset
  std::uint8_t positive_hysteresis = 0;
  std::uint8_t negative_hysteresis = 0;
  std::uint8_t oem = 0;  // bytes 27–29 before it are reserved, 00h
  sdr_id_string id;

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    const sdr_header h = detail::sensor_start(io, v, sdr_type::compact_sensor);
    io.u8(v.direction_sharing);
    io.u8(v.instance_sharing);
    detail::sensor_end(io, v, 3, h);
  }
  friend constexpr bool operator==(const compact_sensor_record_layout&, const compact_sensor_record_layout&) noexcept = default;
};
using compact_sensor_record = detail::with_codec<compact_sensor_record_layout>;

// ---------------------------------------------------------------------------------------------
// FRU Device Locator (IPMI v2.0 §43.8, type 11h)

struct fru_device_locator_record_layout {
  static constexpr std::size_t fixed_size = 16;  // through the ID type/length byte (offset 15)
  static constexpr std::size_t min_size = fixed_size;
  static constexpr std::size_t max_size = fixed_size + sdr_id_capacity;

  std::uint16_t record_id = 0;
  std::uint8_t device_access_address = 0x20;  // byte 5 [7:1] as an 8-bit address; b0 reserved
  std::uint8_t fru_device_id = 0;             // byte 6: logical FRU device ID, or slave address
  bool logical = true;                        // byte 7 b7: 1 logical FRU device; [6:5] reserved
  std::uint8_t access_lun = 0;                // byte 7 [4:3]
  std::uint8_t private_bus = 0;               // byte 7 [2:0]
  std::uint8_t channel = 0;                   // byte 8 [7:4]; [3:0] reserved
  std::uint8_t device_type = 0x10;            // byte 10 (10h: FRU inventory device behind a controller)
  std::uint8_t device_type_modifier = 0;
  std::uint8_t entity_id = 0;
  std::uint8_t entity_instance = 0;
  std::uint8_t oem = 0;  // byte 9 before the device type is reserved, 00h
  sdr_id_string id;

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    const sdr_header h = detail::record_start(io, v, sdr_type::fru_device_locator);
    io.byte(v.device_access_address, 0x01);
    io.u8(v.fru_device_id);
    io.bits([&](auto& b) {
      b.field(0, 0x07, v.private_bus);
      b.field(3, 0x03, v.access_lun);
      b.reserved(0x60);
      b.flag(7, v.logical);
    });
    io.bits([&](auto& b) {
      b.field(4, 0x0F, v.channel);
      b.reserved(0x0F);
    });
    io.zeros(1);
    for (auto* f : {&v.device_type, &v.device_type_modifier, &v.entity_id, &v.entity_instance}) io.u8(*f);
    detail::record_end(io, v, h);
  }
  friend constexpr bool operator==(const fru_device_locator_record_layout&, const fru_device_locator_record_layout&) noexcept = default;
};
using fru_device_locator_record = detail::with_codec<fru_device_locator_record_layout>;

// ---------------------------------------------------------------------------------------------
// Management Controller Device Locator (IPMI v2.0 §43.9, type 12h)

/// Byte 8's device capability bits (IPMI v2.0 §43.9, bmc-commands.md §4).
namespace mc_capability {
inline constexpr std::uint8_t chassis_device = 0x80;        // IPMI v2.0 §43.9
inline constexpr std::uint8_t bridge = 0x40;                // IPMI v2.0 §43.9
inline constexpr std::uint8_t ipmb_event_generator = 0x20;  // IPMI v2.0 §43.9
inline constexpr std::uint8_t ipmb_event_receiver = 0x10;   // IPMI v2.0 §43.9
inline constexpr std::uint8_t fru_inventory = 0x08;         // IPMI v2.0 §43.9
inline constexpr std::uint8_t sel_device = 0x04;            // IPMI v2.0 §43.9
inline constexpr std::uint8_t sdr_repository = 0x02;        // IPMI v2.0 §43.9
inline constexpr std::uint8_t sensor_device = 0x01;         // IPMI v2.0 §43.9
}  // namespace mc_capability

struct mc_device_locator_record_layout {
  static constexpr std::size_t fixed_size = 16;  // through the ID type/length byte (offset 15)
  static constexpr std::size_t min_size = fixed_size;
  static constexpr std::size_t max_size = fixed_size + sdr_id_capacity;

  std::uint16_t record_id = 0;
  std::uint8_t device_slave_address = 0x20;  // byte 5 [7:1] as an 8-bit address; b0 reserved
  std::uint8_t channel = 0;                  // byte 6 [3:0]; [7:4] reserved
  std::uint8_t power_state_init = 0;         // byte 7, as sent: power state notification, global init
  std::uint8_t capabilities = 0;             // byte 8: mc_capability bits
  std::uint8_t entity_id = 0;                // bytes 9–11 before it are reserved, 00h
  std::uint8_t entity_instance = 0;
  std::uint8_t oem = 0;
  sdr_id_string id;

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    const sdr_header h = detail::record_start(io, v, sdr_type::mc_device_locator);
    io.byte(v.device_slave_address, 0x01);
    io.byte(v.channel, 0xF0);
    io.u8(v.power_state_init);
    io.u8(v.capabilities);
    io.zeros(3);
    io.u8(v.entity_id);
    io.u8(v.entity_instance);
    detail::record_end(io, v, h);
  }
  friend constexpr bool operator==(const mc_device_locator_record_layout&, const mc_device_locator_record_layout&) noexcept = default;
};
using mc_device_locator_record = detail::with_codec<mc_device_locator_record_layout>;

// ---------------------------------------------------------------------------------------------
// Get SDR Repository Info (IPMI v2.0 §33.9)

/// Byte 14 of Get SDR Repository Info (IPMI v2.0 §33.9); bit 4 is reserved.
namespace sdr_support_bit {
inline constexpr std::uint8_t overflow =
    detail::repository_bit::overflow;  // IPMI v2.0 §33.9: an add failed for lack of space
inline constexpr std::uint8_t update_mask = 0x60;  // IPMI v2.0 §33.9: [6:5] modal/non-modal update support
inline constexpr std::uint8_t delete_sdr =
    detail::repository_bit::delete_entry;  // IPMI v2.0 §33.9: Delete SDR supported
inline constexpr std::uint8_t partial_add =
    detail::repository_bit::partial_add;  // IPMI v2.0 §33.9: Partial Add SDR supported
inline constexpr std::uint8_t reserve =
    detail::repository_bit::reserve;  // IPMI v2.0 §33.9: Reserve SDR Repository supported
inline constexpr std::uint8_t get_allocation_info =
    detail::repository_bit::get_allocation_info;  // IPMI v2.0 §33.9: Get SDR Repository Allocation Info supported
inline constexpr std::uint8_t reserved = 0x10;  // IPMI v2.0 §33.9: reserved
}  // namespace sdr_support_bit

/// Bits [6:5] of that byte (IPMI v2.0 §33.9).
enum class sdr_update_support : std::uint8_t {
  unspecified = 0,  // IPMI v2.0 §33.9: 00b unspecified
  non_modal = 1,    // IPMI v2.0 §33.9: 01b non-modal update supported
  modal = 2,        // IPMI v2.0 §33.9: 10b modal update supported
  both = 3,         // IPMI v2.0 §33.9: 11b both
};

struct get_sdr_repository_info {
  static constexpr command_id id = commands::get_sdr_repository_info;
  using request = no_data;

  struct response_layout : detail::repository_info {
    std::uint16_t record_count = 0;
    std::uint16_t free_space = 0;  // bytes; FFFFh = unspecified
    sdr_update_support update_support = sdr_update_support::unspecified;

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      detail::repository_info_fields(io, v, v.record_count, v.free_space, sdr_support_bit::reserved,
                                     [&](auto& b) { b.field(5, 0x03, v.update_support); });
    }
    friend constexpr bool operator==(const response_layout&, const response_layout&) noexcept = default;
  };
  using response = detail::with_codec<response_layout>;
};

// ---------------------------------------------------------------------------------------------
// Reserve SDR Repository (IPMI v2.0 §33.11) and Get SDR (§33.12)

/// Reserve SDR Repository: the reservation ID (`value`), never 0.
using reserve_sdr_repository = detail::reserve_command<commands::reserve_sdr_repository>;

/// ipmitool reads each record's header first (offset 0, 5 bytes), then the body in chunks
/// from offset 5.
using get_sdr = detail::record_read_command<commands::get_sdr, sdr_max_record_size>;

}  // namespace ipmikit::cmd
