// ipmikit/cmd/repository.hpp — what the SEL (sel.hpp) and the SDR repository (sdr.hpp) share:
// the 16-bit ID wrappers (reservation and record IDs), the record read request and response
// (Get SEL Entry, Get SDR), and the info layout (Get SEL Info, Get SDR Repository Info).
//
// The commands keep their own names and fields; what is here is detail:: except
// read_whole_record. The conventions (encode/parse/min_size/max_size) are codec.hpp's.
#pragma once

#include <algorithm>
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
struct id16_layout {
  std::uint16_t value = nonzero ? 1 : 0;

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.le16(v.value);
    io.require(!nonzero || v.value != 0);
  }
  friend constexpr bool operator==(const id16_layout&, const id16_layout&) noexcept = default;
};
template <bool nonzero>
using id16 = with_codec<id16_layout<nonzero>>;

/// The request of Get SEL Entry and Get SDR: reservation, record ID, offset, bytes to read.
/// Every offset and count parses: only the BMC knows the record's length, and it answers 0xC9
/// (parameter out of range) for an offset past the record's end and 0xCA (cannot return the
/// number of requested bytes) for a count that does not fit (IPMI v2.0 §31.5, §33.12), which a
/// parse error (0xCC) could not say. FFh reads the whole record.
struct record_read_layout {
  std::uint16_t reservation_id = 0;  // 0 = none: allowed for a whole-record read from offset 0
  std::uint16_t record_id = 0;       // 0000h first, FFFFh last
  std::uint8_t offset = 0;
  std::uint8_t bytes_to_read = read_whole_record;

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.le16(v.reservation_id);
    io.le16(v.record_id);
    io.u8(v.offset);
    io.u8(v.bytes_to_read);
  }
  friend constexpr bool operator==(const record_read_layout&, const record_read_layout&) noexcept = default;
};
using record_read_request = with_codec<record_read_layout>;

/// The response of Get SEL Entry and Get SDR: the next record ID, then the bytes read (1 to
/// `capacity`). A whole-record read of a SEL entry is 16 bytes, which sel_record::parse reads.
template <std::size_t capacity>
struct record_read_response_layout {
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
    std::copy(b.begin(), b.end(), data.begin());
    length = b.size();
    return true;
  }

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    io.le16(v.next_record_id);
    if constexpr (IO::reading) {
      if (io.raw().at_end()) (void)io.raw().u8();  // at least one byte read: too_short
      (void)v.assign(io.raw().view(std::min(io.raw().remaining(), capacity)));  // more: too_long
    } else {
      io.require(v.length >= 1 && v.length <= capacity);
      io.raw().bytes(v.bytes());
    }
  }
  friend constexpr bool operator==(const record_read_response_layout&, const record_read_response_layout&) noexcept =
      default;
};
template <std::size_t capacity>
using record_read_response = with_codec<record_read_response_layout<capacity>>;


/// Reserve SEL and Reserve SDR Repository (IPMI v2.0 §31.4, §33.11): no request data; the
/// response is the reservation ID (`value`), never 0.
template <command_id Id>
struct reserve_command {
  static constexpr command_id id = Id;
  using request = no_data;
  using response = id16<true>;
};

/// Get SEL Entry and Get SDR (IPMI v2.0 §31.5, §33.12): reservation, record ID, offset, bytes to
/// read (FFh = the whole record); the next record ID (FFFFh: none), then the bytes read.
template <command_id Id, std::size_t RecordCapacity>
struct record_read_command {
  static constexpr command_id id = Id;
  using request = record_read_request;
  using response = record_read_response<RecordCapacity>;
};

/// The members Get SEL Info's and Get SDR Repository Info's responses share (IPMI v2.0 §31.2,
/// §33.9), besides the entry count and free space, which the two name differently.
struct repository_info {
  std::uint8_t version = 0x51;         // BCD, as sent: 51h = v1.5/v2.0 (IPMI v2.0 §31.2, §33.9)
  std::uint32_t last_add_time = 0;     // FFFFFFFFh: never (IPMI v2.0 §31.2)
  std::uint32_t last_erase_time = 0;
  bool overflow = false;
  bool supports_delete = false;
  bool supports_partial_add = false;
  bool supports_reserve = false;
  bool supports_get_allocation_info = false;

  friend constexpr bool operator==(const repository_info&, const repository_info&) noexcept = default;
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
/// byte. `V` has version, last_add_time, last_erase_time, overflow and the four supports_…
/// flags. Byte 14's `reserved` bits must be 0; `own(bits)` names the caller's own bits of it
/// (the SDR's update support).
template <class IO, class V, class Count, class Own>
constexpr void repository_info_fields(IO& io, V& v, Count& count, Count& free_space, std::uint8_t reserved,
                                      Own own) noexcept {
  io.u8(v.version);
  io.le16(count);
  io.le16(free_space);
  io.le32(v.last_add_time);
  io.le32(v.last_erase_time);
  io.bits([&](auto& b) {
    // repository_bit: b7 overflow, b3 delete, b2 partial add, b1 reserve, b0 get allocation info
    b.flags({7, 3, 2, 1, 0}, v.overflow, v.supports_delete, v.supports_partial_add, v.supports_reserve,
            v.supports_get_allocation_info);
    b.reserved(reserved);
    own(b);
  });
}

}  // namespace detail

}  // namespace ipmikit::cmd
