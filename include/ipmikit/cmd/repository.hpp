// ipmikit/cmd/repository.hpp — what the SEL (sel.hpp) and the SDR repository (sdr.hpp) share:
// the 16-bit ID wrappers (reservation and record IDs), the record read request and response
// (Get SEL Entry, Get SDR), and the info layout (Get SEL Info, Get SDR Repository Info).
//
// The commands keep their own names and fields; what is here is detail:: except
// read_whole_record. The conventions (encode/parse/min_size/max_size) are codec.hpp's.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "codec.hpp"

namespace ipmikit::cmd {

inline constexpr std::uint8_t read_whole_record = 0xFF;  // IPMI v2.0 §31.5 / §33.12: bytes to read FFh = entire record

namespace detail {

/// A 16-bit ID alone: Reserve SEL's reservation, Add/Delete SEL Entry's record ID, …
/// `nonzero` refuses 0 (a reservation ID is never 0: 0 means "no reservation").
template <bool nonzero>
struct id16 {
  static constexpr std::size_t min_size = 2;
  static constexpr std::size_t max_size = 2;

  std::uint16_t value = nonzero ? 1 : 0;

  [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
    writer w(out);
    if (nonzero && value == 0) w.fail(encode_error::out_of_range);
    w.le16(value);
    return w.result();
  }
  [[nodiscard]] static constexpr parsed<id16> parse(std::span<const std::uint8_t> data) noexcept {
    reader r(data);
    id16 v;
    v.value = r.le16();
    if (nonzero && v.value == 0) r.fail(parse_error::out_of_range);
    return r.result(v);
  }
  friend constexpr bool operator==(const id16&, const id16&) noexcept = default;
};

/// The request of Get SEL Entry and Get SDR: reservation, record ID, offset, bytes to read.
/// Every offset and count parses: only the BMC knows the record's length, and it answers 0xC9
/// (parameter out of range) for an offset past the record's end and 0xCA (cannot return the
/// number of requested bytes) for a count that does not fit (IPMI v2.0 §31.5, §33.12), which a
/// parse error (0xCC) could not say. FFh reads the whole record.
struct record_read_request {
  static constexpr std::size_t min_size = 6;
  static constexpr std::size_t max_size = 6;

  std::uint16_t reservation_id = 0;  // 0 = none: allowed for a whole-record read from offset 0
  std::uint16_t record_id = 0;       // 0000h first, FFFFh last
  std::uint8_t offset = 0;
  std::uint8_t bytes_to_read = read_whole_record;

  using layout = plain_layout<record_read_request, &record_read_request::reservation_id,
                              &record_read_request::record_id, &record_read_request::offset,
                              &record_read_request::bytes_to_read>;
  [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
    return layout::encode(*this, out);
  }
  [[nodiscard]] static constexpr parsed<record_read_request> parse(std::span<const std::uint8_t> data) noexcept {
    return layout::parse(data);
  }
  friend constexpr bool operator==(const record_read_request&, const record_read_request&) noexcept = default;
};

/// The response of Get SEL Entry and Get SDR: the next record ID, then the bytes read (1 to
/// `capacity`). A whole-record read of a SEL entry is 16 bytes, which sel_record::parse reads.
template <std::size_t capacity>
struct record_read_response {
  static constexpr std::size_t min_size = 3;
  static constexpr std::size_t max_size = 2 + capacity;

  std::uint16_t next_record_id = 0;  // FFFFh: this was the last record
  std::size_t length = 0;            // bytes in `data`, 1 to capacity
  std::array<std::uint8_t, capacity> data{};  // bytes past `length` are 0

  /// The bytes read.
  [[nodiscard]] constexpr std::span<const std::uint8_t> bytes() const noexcept {
    return std::span<const std::uint8_t>(data).first(length <= capacity ? length : capacity);
  }
  /// Sets the bytes read (false, and nothing changed, when more than capacity or none).
  constexpr bool assign(std::span<const std::uint8_t> b) noexcept {
    if (b.empty() || b.size() > capacity) return false;
    data = {};
    for (std::size_t i = 0; i < b.size(); ++i) data[i] = b[i];
    length = b.size();
    return true;
  }

  [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
    writer w(out);
    if (length == 0 || length > capacity) w.fail(encode_error::out_of_range);
    w.le16(next_record_id);
    w.bytes(bytes());
    return w.result();
  }
  [[nodiscard]] static constexpr parsed<record_read_response> parse(std::span<const std::uint8_t> data) noexcept {
    reader r(data);
    record_read_response v;
    v.next_record_id = r.le16();
    if (r.remaining() == 0) {
      r.u8();  // at least one byte read: too_short
    } else if (r.remaining() > capacity) {
      return {record_read_response{}, parse_error::too_long};
    } else {
      v.assign(r.rest());
    }
    return r.result(v);
  }
  friend constexpr bool operator==(const record_read_response&, const record_read_response&) noexcept = default;
};


/// Byte 14's bits that Get SEL Info and Get SDR Repository Info share (IPMI v2.0 §31.2, §33.9);
/// the public names are sel_support_bit's and sdr_support_bit's.
namespace repository_bit {
inline constexpr std::uint8_t overflow = 0x80;             // IPMI v2.0 §31.2, §33.9: b7 overflow
inline constexpr std::uint8_t delete_entry = 0x08;         // IPMI v2.0 §31.2, §33.9: b3 Delete supported
inline constexpr std::uint8_t partial_add = 0x04;          // IPMI v2.0 §31.2, §33.9: b2 Partial Add supported
inline constexpr std::uint8_t reserve = 0x02;              // IPMI v2.0 §31.2, §33.9: b1 Reserve supported
inline constexpr std::uint8_t get_allocation_info = 0x01;  // IPMI v2.0 §31.2, §33.9: b0 Get Allocation Info supported
}  // namespace repository_bit

/// The 14 bytes of Get SEL Info's and Get SDR Repository Info's responses (IPMI v2.0 §31.2,
/// §33.9): version, entry count and free space (LS byte first; passed apart, since the two
/// responses name them differently), last add and last erase times, then the operation support
/// byte. `Info` has version, last_add_time, last_erase_time, overflow and the four
/// supports_… flags. `extra` is ORed into byte 14 (the SDR's update support bits).
template <class Info>
constexpr void write_repository_info(writer& w, const Info& v, std::uint16_t count, std::uint16_t free_space,
                                     std::uint8_t extra) noexcept {
  w.u8(v.version);
  w.le16(count);
  w.le16(free_space);
  w.le32(v.last_add_time);
  w.le32(v.last_erase_time);
  w.u8(static_cast<std::uint8_t>(extra | (v.overflow ? repository_bit::overflow : 0) |
                                 (v.supports_delete ? repository_bit::delete_entry : 0) |
                                 (v.supports_partial_add ? repository_bit::partial_add : 0) |
                                 (v.supports_reserve ? repository_bit::reserve : 0) |
                                 (v.supports_get_allocation_info ? repository_bit::get_allocation_info : 0)));
}
/// Reads what write_repository_info() writes into `v`, `count` and `free_space`; byte 14's
/// `reserved` bits must be 0. Returns byte 14, for the caller's own bits.
template <class Info>
constexpr std::uint8_t read_repository_info(reader& r, Info& v, std::uint16_t& count, std::uint16_t& free_space,
                                            std::uint8_t reserved) noexcept {
  v.version = r.u8();
  count = r.le16();
  free_space = r.le16();
  v.last_add_time = r.le32();
  v.last_erase_time = r.le32();
  const std::uint8_t ops = r.u8();
  r.reserved_zero(ops, reserved);
  v.overflow = (ops & repository_bit::overflow) != 0;
  v.supports_delete = (ops & repository_bit::delete_entry) != 0;
  v.supports_partial_add = (ops & repository_bit::partial_add) != 0;
  v.supports_reserve = (ops & repository_bit::reserve) != 0;
  v.supports_get_allocation_info = (ops & repository_bit::get_allocation_info) != 0;
  return ops;
}

}  // namespace detail

}  // namespace ipmikit::cmd
