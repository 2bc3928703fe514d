// ipmikit/cmd/fru.hpp — FRU inventory: the FRU commands (Storage NetFn 0Ah) and the FRU
// information storage format (common header; chassis, board and product info areas).
//
// The command conventions (encode/parse/min_size/max_size, what the data bytes are) are
// codec.hpp's. Layouts: IPMI v2.0 §34 (FRU commands); Platform Management FRU Information
// Storage Definition v1.0 (below "FRU spec") §8 (common header), §10–§12 (chassis, board,
// product info areas), §13 (type/length byte); ../shared/reference/bmc-commands.md §6.
//
// The storage format has its own error enum, fru_error: a FRU image is not a command, and
// parse_error cannot say "bad checksum" or "no end marker". Everything is fixed-capacity (a
// field holds at most the 63 bytes its type/length byte can count; an area at most
// fru_custom_capacity custom fields): no heap.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "codec.hpp"

namespace ipmikit::cmd {

// =============================================================================================
// Commands (IPMI v2.0 §34)

inline constexpr std::uint8_t fru_device_id_reserved = 0xFF;  // IPMI v2.0 §34.1: FRU device ID FFh is reserved
inline constexpr std::size_t fru_data_capacity = 255;          // a count byte (IPMI v2.0 §34.2/§34.3) counts at most 255

namespace detail {
/// The FRU device ID byte: FFh is reserved (IPMI v2.0 §34).
template <class IO, class D>
constexpr void fru_device_id_field(IO& io, D& id) noexcept {
  io.u8(id);
  io.require(id != fru_device_id_reserved, parse_error::reserved_value);
}
}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Get FRU Inventory Area Info (IPMI v2.0 §34.1)

struct get_fru_inventory_area_info {
  static constexpr command_id id = commands::get_fru_inventory_area_info;

  struct request_layout {
    std::uint8_t fru_device_id = 0;  // 0 = the BMC's own FRU; FFh reserved

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept { detail::fru_device_id_field(io, v.fru_device_id); }
    friend constexpr bool operator==(const request_layout&, const request_layout&) noexcept = default;
  };
  using request = detail::with_codec<request_layout>;

  struct response_layout {
    std::uint16_t area_size = 0;  // bytes
    bool word_access = false;     // byte 3 b0: 1 = offsets and counts are in words; [7:1] reserved

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      io.le16(v.area_size);
      io.bits([&](auto& b) {
        b.flag(0, v.word_access);
        b.reserved(0xFE);
      });
    }
    friend constexpr bool operator==(const response_layout&, const response_layout&) noexcept = default;
  };
  using response = detail::with_codec<response_layout>;
};

namespace detail {

/// Data bytes of a FRU read or write: 0 to fru_data_capacity bytes, the rest of `data` zero.
struct fru_bytes {
  std::size_t length = 0;
  std::array<std::uint8_t, fru_data_capacity> data{};

  [[nodiscard]] constexpr std::span<const std::uint8_t> bytes() const noexcept {
    return std::span<const std::uint8_t>(data).first(length <= fru_data_capacity ? length : fru_data_capacity);
  }
  /// Sets the bytes (false, and nothing changed, past the capacity).
  constexpr bool assign(std::span<const std::uint8_t> b) noexcept {
    if (b.size() > fru_data_capacity) return false;
    data = {};
    std::copy(b.begin(), b.end(), data.begin());
    length = b.size();
    return true;
  }
  /// `n` bytes as a field (n is the length when writing): at most fru_data_capacity.
  template <class IO, class V>
  static constexpr void bytes_field(IO& io, V& v, std::size_t n) noexcept {
    if constexpr (IO::reading) {
      (void)v.assign(io.raw().view(n));
    } else {
      io.require(v.length <= fru_data_capacity);
      io.raw().bytes(v.bytes());
    }
  }
  friend constexpr bool operator==(const fru_bytes&, const fru_bytes&) noexcept = default;
};

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Read FRU Data (IPMI v2.0 §34.2)

struct read_fru_data {
  static constexpr command_id id = commands::read_fru_data;

  struct request_layout {
    std::uint8_t fru_device_id = 0;
    std::uint16_t offset = 0;  // bytes, or words for a word-access device
    std::uint8_t count = 1;    // 1 to 255; 0 is out_of_range

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      detail::fru_device_id_field(io, v.fru_device_id);
      io.le16(v.offset);
      io.u8(v.count);
      io.require(v.count != 0);
    }
    friend constexpr bool operator==(const request_layout&, const request_layout&) noexcept = default;
  };
  using request = detail::with_codec<request_layout>;

  /// The count returned, then that many bytes: a count past the bytes sent is too_short, bytes
  /// past the count too_long.
  struct response_layout : detail::fru_bytes {
    static constexpr std::size_t min_size = 1;
    static constexpr std::size_t max_size = 1 + fru_data_capacity;

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      auto count = static_cast<std::uint8_t>(v.length);
      io.u8(count);
      bytes_field(io, v, count);
    }
    friend constexpr bool operator==(const response_layout&, const response_layout&) noexcept = default;
  };
  using response = detail::with_codec<response_layout>;
};

// ---------------------------------------------------------------------------------------------
// Write FRU Data (IPMI v2.0 §34.3)

struct write_fru_data {
  static constexpr command_id id = commands::write_fru_data;

  /// Device ID, offset, then 1 to fru_data_capacity bytes to write.
  struct request_layout : detail::fru_bytes {
    static constexpr std::size_t min_size = 4;
    static constexpr std::size_t max_size = 3 + fru_data_capacity;

    std::uint8_t fru_device_id = 0;
    std::uint16_t offset = 0;

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      detail::fru_device_id_field(io, v.fru_device_id);
      io.le16(v.offset);
      // At least one byte to write (none is too_short); more than the capacity is too_long.
      if constexpr (IO::reading) {
        if (io.raw().at_end()) (void)io.raw().u8();
        bytes_field(io, v, std::min(io.raw().remaining(), fru_data_capacity));
      } else {
        io.require(v.length >= 1);
        bytes_field(io, v, v.length);
      }
    }
    friend constexpr bool operator==(const request_layout&, const request_layout&) noexcept = default;
  };
  using request = detail::with_codec<request_layout>;

  struct response_layout {
    std::uint8_t count_written = 0;

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept { io.u8(v.count_written); }
    friend constexpr bool operator==(const response_layout&, const response_layout&) noexcept = default;
  };
  using response = detail::with_codec<response_layout>;
};

// =============================================================================================
// FRU information storage format (FRU spec)

inline constexpr std::uint8_t fru_format_version = 0x01;    // FRU spec §8: common header format version 01h
inline constexpr std::uint8_t fru_area_version = 0x01;      // FRU spec §10–§12: area format version 01h
inline constexpr std::size_t fru_header_size = 8;           // FRU spec §8: the common header is 8 bytes
inline constexpr std::size_t fru_block = 8;                 // FRU spec §8: offsets and area lengths count 8 bytes
inline constexpr std::uint8_t fru_end_of_fields = 0xC1;     // FRU spec §13: type 11b, length 1 ends the fields
inline constexpr std::uint8_t fru_empty_field = 0xC0;       // FRU spec §13: type 11b, length 0, an empty field
inline constexpr std::size_t fru_field_capacity = 63;       // FRU spec §13: type/length [5:0]
inline constexpr std::size_t fru_area_max_size = 255 * 8;   // FRU spec §10: the length byte counts 8-byte blocks
inline constexpr std::int64_t fru_epoch_unix = 820454400;   // FRU spec §11: 1996-01-01 00:00 UTC (bmc-commands.md §6.1)
inline constexpr std::uint32_t fru_mfg_time_unspecified = 0;  // FRU spec §11: 0 = unspecified
inline constexpr std::uint8_t fru_language_english = 0x00;  // FRU spec §11: language code 0 = English
inline constexpr std::size_t fru_custom_capacity = 8;       // ipmikit's bound on custom fields per area

/// What was wrong with FRU storage bytes (or with fields to be written). 0 is success.
enum class fru_error : std::uint8_t {
  ok = 0,
  too_short = 1,               // fewer bytes than the header, or an area than its fixed fields
  bad_version = 2,             // a format version other than 01h
  bad_checksum = 3,            // the header's or an area's bytes do not sum to 0
  length_past_end = 4,         // an area's offset or length reaches past the bytes given
  missing_end_marker = 5,      // no C1h before the area's checksum byte
  field_overrun = 6,           // a type/length byte's length runs past the area
  missing_field = 7,           // C1h before all the area's predefined fields
  too_many_custom_fields = 8,  // more than fru_custom_capacity custom fields
  field_too_long = 9,          // more bytes than a type/length byte can count (63)
  reserved_field = 10,         // an 8-bit text field of 1 byte: its type/length is C1h, the end marker
  out_of_range = 11,           // a time before 1996 or past 24 bits of minutes, a character 6-bit ASCII lacks
  buffer_too_small = 12,       // the output span is shorter than the encoding
};

[[nodiscard]] constexpr std::string_view name(fru_error e) noexcept {
  return detail::enum_name<fru_error, 13>(
      e, {"ok", "too_short", "bad_version", "bad_checksum", "length_past_end", "missing_end_marker", "field_overrun",
          "missing_field", "too_many_custom_fields", "field_too_long", "reserved_field", "out_of_range",
          "buffer_too_small"});
}

/// A FRU parse result: the value when `error` is ok (value-initialised otherwise).
template <class T>
using fru_parsed = parsed<T, fru_error>;

/// A FRU encode result: the bytes written when `error` is ok (0 otherwise).
using fru_encoded = basic_encoded<fru_error>;

/// The zero checksum of `bytes` (FRU spec §8): the byte that makes them sum to 0 modulo 256.
[[nodiscard]] constexpr std::uint8_t fru_checksum(std::span<const std::uint8_t> bytes) noexcept {
  unsigned sum = 0;
  for (std::uint8_t b : bytes) sum += b;
  return static_cast<std::uint8_t>(0x100u - (sum & 0xFFu));
}

// ---------------------------------------------------------------------------------------------
// Board manufacturing time (FRU spec §11): minutes since 1996-01-01 00:00 UTC, 3 bytes

/// The Unix time (seconds since 1970) of `minutes` since 1996-01-01 00:00 UTC.
[[nodiscard]] constexpr std::int64_t fru_time_to_unix(std::uint32_t minutes) noexcept {
  return fru_epoch_unix + static_cast<std::int64_t>(minutes) * 60;
}

/// Minutes since 1996-01-01 00:00 UTC of a Unix time, rounded down to the minute: out_of_range
/// before 1996 or past what 24 bits of minutes hold (about 2027-11).
[[nodiscard]] constexpr fru_parsed<std::uint32_t> fru_time_from_unix(std::int64_t unix_seconds) noexcept {
  if (unix_seconds < fru_epoch_unix) return {0, fru_error::out_of_range};
  const std::int64_t minutes = (unix_seconds - fru_epoch_unix) / 60;
  if (minutes > 0xFFFFFF) return {0, fru_error::out_of_range};
  return {static_cast<std::uint32_t>(minutes), fru_error::ok};
}

// ---------------------------------------------------------------------------------------------
// 6-bit packed ASCII (FRU spec §13): 4 characters in 3 bytes, character = 20h + 6-bit code,
// packed least significant bits first ("IPMI" is 29h DCh A6h).

/// Bytes the packed form of `chars` characters takes: ceil(chars·6/8).
[[nodiscard]] constexpr std::size_t ascii6_packed_size(std::size_t chars) noexcept { return (chars * 6 + 7) / 8; }
/// Characters `bytes` packed bytes hold: floor(bytes·8/6) (a partial last group decodes with
/// spaces, code 0, where the packer padded with zero bits).
[[nodiscard]] constexpr std::size_t ascii6_unpacked_size(std::size_t bytes) noexcept { return bytes * 8 / 6; }

/// Packs `text` (characters 20h–5Fh: space, digits, upper case, punctuation) into `out`.
[[nodiscard]] constexpr fru_encoded encode_ascii6(std::string_view text, std::span<std::uint8_t> out) noexcept {
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x5F) return {0, fru_error::out_of_range};
  const std::size_t n = ascii6_packed_size(text.size());
  if (out.size() < n) return {0, fru_error::buffer_too_small};
  std::uint32_t acc = 0;
  unsigned bits = 0;
  std::size_t pos = 0;
  for (char c : text) {
    acc |= static_cast<std::uint32_t>(static_cast<unsigned char>(c) - 0x20u) << bits;
    bits += 6;
    while (bits >= 8) {
      out[pos++] = static_cast<std::uint8_t>(acc & 0xFF);
      acc >>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) out[pos++] = static_cast<std::uint8_t>(acc & 0xFF);
  return {pos, fru_error::ok};
}

/// Unpacks `packed` into `out`: ascii6_unpacked_size(packed.size()) characters, or
/// buffer_too_small.
[[nodiscard]] constexpr fru_encoded decode_ascii6(std::span<const std::uint8_t> packed, std::span<char> out) noexcept {
  const std::size_t n = ascii6_unpacked_size(packed.size());
  if (out.size() < n) return {0, fru_error::buffer_too_small};
  std::uint32_t acc = 0;
  unsigned bits = 0;
  std::size_t pos = 0;
  for (std::uint8_t b : packed) {
    acc |= static_cast<std::uint32_t>(b) << bits;
    bits += 8;
    while (bits >= 6) {
      out[pos++] = static_cast<char>(0x20 + (acc & 0x3F));
      acc >>= 6;
      bits -= 6;
    }
  }
  return {pos, fru_error::ok};
}

// ---------------------------------------------------------------------------------------------
// Fields (FRU spec §13)

/// The type/length byte's [7:6] (FRU spec §13).
enum class fru_field_type : std::uint8_t {
  binary = 0,    // FRU spec §13: 00b binary or unspecified
  bcd_plus = 1,  // FRU spec §13: 01b BCD plus
  ascii6 = 2,    // FRU spec §13: 10b 6-bit ASCII, packed
  text = 3,      // FRU spec §13: 11b 8-bit ASCII + Latin 1 (English), 16-bit Unicode otherwise
};

/// One variable-length field: its type and up to 63 bytes as stored (a 6-bit ASCII field's
/// bytes stay packed; text() unpacks). Bytes past `length` are 0.
struct fru_field {
  fru_field_type type = fru_field_type::text;
  std::uint8_t length = 0;
  std::array<std::uint8_t, fru_field_capacity> data{};

  [[nodiscard]] constexpr std::span<const std::uint8_t> bytes() const noexcept {
    return std::span<const std::uint8_t>(data).first(length <= fru_field_capacity ? length : fru_field_capacity);
  }
  [[nodiscard]] constexpr std::uint8_t type_length() const noexcept {
    return static_cast<std::uint8_t>((static_cast<unsigned>(type) << 6) | (length & 0x3Fu));
  }
  [[nodiscard]] constexpr bool empty() const noexcept { return length == 0; }

  /// Why this field cannot be written, or ok.
  [[nodiscard]] constexpr fru_error check() const noexcept {
    if (static_cast<unsigned>(type) > 3) return fru_error::out_of_range;
    if (length > fru_field_capacity) return fru_error::field_too_long;
    if (type == fru_field_type::text && length == 1) return fru_error::reserved_field;
    return fru_error::ok;
  }

  /// The characters of an 8-bit text or 6-bit ASCII field, written to `out`; binary and BCD
  /// plus fields give out_of_range (their bytes are bytes()).
  [[nodiscard]] constexpr fru_encoded text(std::span<char> out) const noexcept {
    if (type == fru_field_type::ascii6) return decode_ascii6(bytes(), out);
    if (type != fru_field_type::text) return {0, fru_error::out_of_range};
    if (out.size() < length) return {0, fru_error::buffer_too_small};
    for (std::size_t i = 0; i < length; ++i) out[i] = static_cast<char>(data[i]);
    return {length, fru_error::ok};
  }

  /// A field of `type` holding `b` as stored.
  [[nodiscard]] static constexpr fru_parsed<fru_field> of(fru_field_type type, std::span<const std::uint8_t> b) noexcept {
    if (b.size() > fru_field_capacity) return {fru_field{}, fru_error::field_too_long};
    fru_field f;
    f.type = type;
    f.length = static_cast<std::uint8_t>(b.size());
    for (std::size_t i = 0; i < b.size(); ++i) f.data[i] = b[i];
    const fru_error e = f.check();
    if (e != fru_error::ok) return {fru_field{}, e};
    return {f, fru_error::ok};
  }
  /// An 8-bit text field (0 or 2–63 characters: one character alone would be C1h, the end marker).
  [[nodiscard]] static constexpr fru_parsed<fru_field> of_text(std::string_view s) noexcept {
    if (s.size() > fru_field_capacity) return {fru_field{}, fru_error::field_too_long};
    std::array<std::uint8_t, fru_field_capacity> b{};
    for (std::size_t i = 0; i < s.size(); ++i) b[i] = static_cast<std::uint8_t>(s[i]);
    return of(fru_field_type::text, std::span<const std::uint8_t>(b).first(s.size()));
  }
  /// A 6-bit packed ASCII field (up to 84 characters, 20h–5Fh).
  [[nodiscard]] static constexpr fru_parsed<fru_field> of_ascii6(std::string_view s) noexcept {
    if (ascii6_packed_size(s.size()) > fru_field_capacity) return {fru_field{}, fru_error::field_too_long};
    fru_field f;
    f.type = fru_field_type::ascii6;
    const fru_encoded e = encode_ascii6(s, f.data);
    if (!e) return {fru_field{}, e.error};
    f.length = static_cast<std::uint8_t>(e.size);
    return {f, fru_error::ok};
  }

  friend constexpr bool operator==(const fru_field&, const fru_field&) noexcept = default;
};

/// An area's custom fields, after its predefined ones: at most fru_custom_capacity.
struct fru_custom_fields {
  std::size_t count = 0;
  std::array<fru_field, fru_custom_capacity> fields{};

  [[nodiscard]] constexpr std::span<const fru_field> view() const noexcept {
    return std::span<const fru_field>(fields).first(count <= fru_custom_capacity ? count : fru_custom_capacity);
  }
  /// Appends `f` (false when full).
  constexpr bool add(const fru_field& f) noexcept {
    if (count >= fru_custom_capacity) return false;
    fields[count++] = f;
    return true;
  }
  friend constexpr bool operator==(const fru_custom_fields&, const fru_custom_fields&) noexcept = default;
};

namespace detail {

/// Writes an area (FRU spec §10–§12): version 01h, length, the fixed bytes, the predefined
/// fields, the custom fields, C1h, zero padding to a multiple of 8 with the checksum last.
template <std::size_t NFixed, std::size_t NFields>
[[nodiscard]] constexpr fru_encoded encode_fru_area(std::span<std::uint8_t> out,
                                                    const std::array<std::uint8_t, NFixed>& fixed,
                                                    const std::array<const fru_field*, NFields>& predefined,
                                                    const fru_custom_fields& custom) noexcept {
  if (custom.count > fru_custom_capacity) return {0, fru_error::too_many_custom_fields};
  std::size_t n = 2 + NFixed + 1;  // version, length, fixed bytes, …, C1h
  for (const fru_field* f : predefined) {
    const fru_error e = f->check();
    if (e != fru_error::ok) return {0, e};
    n += 1 + f->length;
  }
  for (const fru_field& f : custom.view()) {
    const fru_error e = f.check();
    if (e != fru_error::ok) return {0, e};
    n += 1 + f.length;
  }
  const std::size_t total = (n + 1 + fru_block - 1) / fru_block * fru_block;  // with the checksum
  if (total > fru_area_max_size) return {0, fru_error::field_too_long};
  if (out.size() < total) return {0, fru_error::buffer_too_small};
  std::size_t pos = 0;
  out[pos++] = fru_area_version;
  out[pos++] = static_cast<std::uint8_t>(total / fru_block);
  for (std::uint8_t b : fixed) out[pos++] = b;
  const auto put = [&](const fru_field& f) {
    out[pos++] = f.type_length();
    for (std::uint8_t b : f.bytes()) out[pos++] = b;
  };
  for (const fru_field* f : predefined) put(*f);
  for (const fru_field& f : custom.view()) put(f);
  out[pos++] = fru_end_of_fields;
  while (pos < total - 1) out[pos++] = 0x00;
  out[pos] = fru_checksum(out.first(total - 1));
  return {total, fru_error::ok};
}

/// Reads an area from the start of `in` (which may go on past it): checks the length, the
/// checksum and the version, then gives the fixed bytes and fields in order.
class fru_area_reader {
 public:
  constexpr explicit fru_area_reader(std::span<const std::uint8_t> in) noexcept {
    if (in.size() < 2) {
      error_ = fru_error::too_short;
      return;
    }
    const std::size_t len = std::size_t{in[1]} * fru_block;
    if (len == 0) {
      error_ = fru_error::too_short;
      return;
    }
    if (len > in.size()) {
      error_ = fru_error::length_past_end;
      return;
    }
    area_ = in.first(len);
    unsigned sum = 0;
    for (std::uint8_t b : area_) sum += b;
    if ((sum & 0xFF) != 0) {
      error_ = fru_error::bad_checksum;
      return;
    }
    if (area_[0] != fru_area_version) error_ = fru_error::bad_version;
  }

  /// One fixed byte (0, and too_short, past the fields' room).
  constexpr std::uint8_t u8() noexcept {
    if (error_ != fru_error::ok) return 0;
    if (pos_ >= area_.size() - 1) {
      error_ = fru_error::too_short;
      return 0;
    }
    return area_[pos_++];
  }
  /// A predefined field: C1h here is missing_field.
  constexpr fru_field field() noexcept {
    fru_field f;
    if (next(f) == step::end && error_ == fru_error::ok) error_ = fru_error::missing_field;
    return f;
  }
  /// The custom fields up to C1h.
  constexpr fru_custom_fields customs() noexcept {
    fru_custom_fields c;
    fru_field f;
    while (error_ == fru_error::ok && next(f) == step::field) {
      if (!c.add(f)) error_ = fru_error::too_many_custom_fields;
    }
    return c;
  }
  [[nodiscard]] constexpr fru_error error() const noexcept { return error_; }

 private:
  enum class step { field, end, failed };

  constexpr step next(fru_field& f) noexcept {
    if (error_ != fru_error::ok) return step::failed;
    if (pos_ >= area_.size() - 1) {  // the last byte is the checksum
      error_ = fru_error::missing_end_marker;
      return step::failed;
    }
    const std::uint8_t tl = area_[pos_++];
    if (tl == fru_end_of_fields) return step::end;
    const std::size_t len = tl & 0x3Fu;
    if (pos_ + len > area_.size() - 1) {
      error_ = fru_error::field_overrun;
      return step::failed;
    }
    f = fru_field{};
    f.type = static_cast<fru_field_type>(tl >> 6);
    f.length = static_cast<std::uint8_t>(len);
    for (std::size_t i = 0; i < len; ++i) f.data[i] = area_[pos_++];
    return step::field;
  }

  std::span<const std::uint8_t> area_;
  std::size_t pos_ = 2;
  fru_error error_ = fru_error::ok;
};

template <class T>
[[nodiscard]] constexpr fru_parsed<T> fru_result(const fru_area_reader& r, const T& v) noexcept {
  if (r.error() != fru_error::ok) return {T{}, r.error()};
  return {v, fru_error::ok};
}

/// Reads the rest of an area into `v` (its fixed bytes read): its predefined fields, in
/// T::predefined_fields' order, and its custom fields.
template <class T>
[[nodiscard]] constexpr fru_parsed<T> read_fru_fields(fru_area_reader& r, T& v) noexcept {
  for (fru_field* f : T::predefined_fields(v)) *f = r.field();
  v.custom = r.customs();
  return fru_result(r, v);
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Common header (FRU spec §8)

/// The 8-byte common header: format version 01h, five area offsets in 8-byte units (0 = no
/// such area), a pad byte 00h, the zero checksum.
struct fru_common_header {
  std::uint8_t internal_use_offset = 0;
  std::uint8_t chassis_offset = 0;
  std::uint8_t board_offset = 0;
  std::uint8_t product_offset = 0;
  std::uint8_t multirecord_offset = 0;

  [[nodiscard]] constexpr fru_encoded encode(std::span<std::uint8_t> out) const noexcept {
    if (out.size() < fru_header_size) return {0, fru_error::buffer_too_small};
    out[0] = fru_format_version;
    out[1] = internal_use_offset;
    out[2] = chassis_offset;
    out[3] = board_offset;
    out[4] = product_offset;
    out[5] = multirecord_offset;
    out[6] = 0x00;
    out[7] = fru_checksum(out.first(7));
    return {fru_header_size, fru_error::ok};
  }
  /// Reads the header at the start of `in` (an image: more bytes may follow).
  [[nodiscard]] static constexpr fru_parsed<fru_common_header> parse(std::span<const std::uint8_t> in) noexcept {
    if (in.size() < fru_header_size) return {fru_common_header{}, fru_error::too_short};
    unsigned sum = 0;
    for (std::uint8_t b : in.first(fru_header_size)) sum += b;
    if ((sum & 0xFF) != 0) return {fru_common_header{}, fru_error::bad_checksum};
    if (in[0] != fru_format_version) return {fru_common_header{}, fru_error::bad_version};
    return {fru_common_header{in[1], in[2], in[3], in[4], in[5]}, fru_error::ok};
  }
  friend constexpr bool operator==(const fru_common_header&, const fru_common_header&) noexcept = default;
};

// ---------------------------------------------------------------------------------------------
// Chassis Info Area (FRU spec §10)

struct fru_chassis_info {
  std::uint8_t chassis_type = 0x17;  // SMBIOS enclosure type: 17h rack mount chassis
  fru_field part_number;
  fru_field serial_number;
  fru_custom_fields custom;

  /// The predefined fields of `a` (a fru_chassis_info, const or not), in the area's order.
  template <class Area>
  [[nodiscard]] static constexpr auto predefined_fields(Area& a) noexcept {
    return std::array{&a.part_number, &a.serial_number};
  }

  [[nodiscard]] constexpr fru_encoded encode(std::span<std::uint8_t> out) const noexcept {
    return detail::encode_fru_area(out, std::array<std::uint8_t, 1>{chassis_type}, predefined_fields(*this), custom);
  }
  /// Reads the area at the start of `in` (more bytes may follow).
  [[nodiscard]] static constexpr fru_parsed<fru_chassis_info> parse(std::span<const std::uint8_t> in) noexcept {
    detail::fru_area_reader r(in);
    fru_chassis_info v;
    v.chassis_type = r.u8();
    return detail::read_fru_fields(r, v);
  }
  friend constexpr bool operator==(const fru_chassis_info&, const fru_chassis_info&) noexcept = default;
};

// ---------------------------------------------------------------------------------------------
// Board Info Area (FRU spec §11)

struct fru_board_info {
  std::uint8_t language = fru_language_english;
  std::uint32_t mfg_minutes = fru_mfg_time_unspecified;  // since 1996-01-01 00:00 UTC, 24 bits
  fru_field manufacturer;
  fru_field product_name;
  fru_field serial_number;
  fru_field part_number;
  fru_field fru_file_id;
  fru_custom_fields custom;

  [[nodiscard]] constexpr std::int64_t mfg_time_unix() const noexcept { return fru_time_to_unix(mfg_minutes); }

  /// The predefined fields of `a` (a fru_board_info, const or not), in the area's order.
  template <class Area>
  [[nodiscard]] static constexpr auto predefined_fields(Area& a) noexcept {
    return std::array{&a.manufacturer, &a.product_name, &a.serial_number, &a.part_number, &a.fru_file_id};
  }

  [[nodiscard]] constexpr fru_encoded encode(std::span<std::uint8_t> out) const noexcept {
    if (mfg_minutes > 0xFFFFFF) return {0, fru_error::out_of_range};
    return detail::encode_fru_area(out,
                                   std::array<std::uint8_t, 4>{language, static_cast<std::uint8_t>(mfg_minutes),
                                                               static_cast<std::uint8_t>(mfg_minutes >> 8),
                                                               static_cast<std::uint8_t>(mfg_minutes >> 16)},
                                   predefined_fields(*this), custom);
  }
  [[nodiscard]] static constexpr fru_parsed<fru_board_info> parse(std::span<const std::uint8_t> in) noexcept {
    detail::fru_area_reader r(in);
    fru_board_info v;
    v.language = r.u8();
    const std::uint32_t b0 = r.u8();
    const std::uint32_t b1 = r.u8();
    const std::uint32_t b2 = r.u8();
    v.mfg_minutes = b0 | (b1 << 8) | (b2 << 16);
    return detail::read_fru_fields(r, v);
  }
  friend constexpr bool operator==(const fru_board_info&, const fru_board_info&) noexcept = default;
};

// ---------------------------------------------------------------------------------------------
// Product Info Area (FRU spec §12)

struct fru_product_info {
  std::uint8_t language = fru_language_english;
  fru_field manufacturer;
  fru_field product_name;
  fru_field part_number;  // part / model number
  fru_field version;
  fru_field serial_number;
  fru_field asset_tag;
  fru_field fru_file_id;
  fru_custom_fields custom;

  /// The predefined fields of `a` (a fru_product_info, const or not), in the area's order.
  template <class Area>
  [[nodiscard]] static constexpr auto predefined_fields(Area& a) noexcept {
    return std::array{&a.manufacturer, &a.product_name, &a.part_number, &a.version,
                      &a.serial_number, &a.asset_tag, &a.fru_file_id};
  }

  [[nodiscard]] constexpr fru_encoded encode(std::span<std::uint8_t> out) const noexcept {
    return detail::encode_fru_area(out, std::array<std::uint8_t, 1>{language}, predefined_fields(*this), custom);
  }
  [[nodiscard]] static constexpr fru_parsed<fru_product_info> parse(std::span<const std::uint8_t> in) noexcept {
    detail::fru_area_reader r(in);
    fru_product_info v;
    v.language = r.u8();
    return detail::read_fru_fields(r, v);
  }
  friend constexpr bool operator==(const fru_product_info&, const fru_product_info&) noexcept = default;
};

// ---------------------------------------------------------------------------------------------
// A whole image: common header, then the chassis, board and product areas present

/// The chassis, board and product areas of a FRU image. encode() writes the common header and
/// the areas present, in that order, right after one another; parse() reads the areas the
/// header points to (the internal use and multirecord areas are left alone: see
/// fru_common_header for their offsets).
struct fru_image {
  bool has_chassis = false;
  fru_chassis_info chassis;
  bool has_board = false;
  fru_board_info board;
  bool has_product = false;
  fru_product_info product;

  [[nodiscard]] constexpr fru_encoded encode(std::span<std::uint8_t> out) const noexcept {
    if (out.size() < fru_header_size) return {0, fru_error::buffer_too_small};
    fru_common_header h;
    std::size_t pos = fru_header_size;
    const auto place = [&](const auto& area, std::uint8_t& offset) -> fru_error {
      const fru_encoded e = area.encode(out.subspan(pos));
      if (!e) return e.error;
      if (pos / fru_block > 0xFF) return fru_error::length_past_end;  // past the offsets' reach
      offset = static_cast<std::uint8_t>(pos / fru_block);
      pos += e.size;
      return fru_error::ok;
    };
    fru_error err = fru_error::ok;
    if (has_chassis) err = place(chassis, h.chassis_offset);
    if (err == fru_error::ok && has_board) err = place(board, h.board_offset);
    if (err == fru_error::ok && has_product) err = place(product, h.product_offset);
    if (err != fru_error::ok) return {0, err};
    (void)h.encode(out);
    return {pos, fru_error::ok};
  }

  [[nodiscard]] static constexpr fru_parsed<fru_image> parse(std::span<const std::uint8_t> in) noexcept {
    const auto h = fru_common_header::parse(in);
    if (!h) return {fru_image{}, h.error};
    fru_image v;
    const auto area = [&](std::uint8_t offset, auto& out_area, bool& present) -> fru_error {
      if (offset == 0) return fru_error::ok;
      const std::size_t start = std::size_t{offset} * fru_block;
      if (start >= in.size()) return fru_error::length_past_end;
      const auto p = std::remove_reference_t<decltype(out_area)>::parse(in.subspan(start));
      if (!p) return p.error;
      out_area = p.value;
      present = true;
      return fru_error::ok;
    };
    fru_error err = area(h->chassis_offset, v.chassis, v.has_chassis);
    if (err == fru_error::ok) err = area(h->board_offset, v.board, v.has_board);
    if (err == fru_error::ok) err = area(h->product_offset, v.product, v.has_product);
    if (err != fru_error::ok) return {fru_image{}, err};
    return {v, fru_error::ok};
  }
  friend constexpr bool operator==(const fru_image&, const fru_image&) noexcept = default;
};

}  // namespace ipmikit::cmd
