// ipmikit/bmc/repository.hpp — what the SEL (bmc/sel.hpp) and the SDR repository (bmc/sdr.hpp)
// components share: the reservation (IPMI v2.0 §31.4, §33.11), record IDs (0000h "first", FFFFh
// "last", neither ever assigned), and the range checks of a partial record read (Get SEL Entry
// §31.5, Get SDR §33.12). Internal: the components keep their own names and answers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "../cmd/repository.hpp"
#include "../message.hpp"

namespace ipmikit::bmc::detail {

inline constexpr std::uint16_t first_record = 0x0000;  // IPMI v2.0 §31.5, §33.12: 0000h asks for the first record
inline constexpr std::uint16_t last_record = 0xFFFF;   // IPMI v2.0 §31.5, §33.12: FFFFh the last; as the next ID, none
inline constexpr std::uint16_t first_assigned_id = 0x0001;

/// The outstanding reservation: a new one replaces the previous; IDs count from 1 and skip 0
/// (0 means "no reservation"); the owner cancels it when the repository changes.
class reservation {
 public:
  constexpr std::uint16_t take() noexcept {
    id_ = id_ == 0xFFFF ? std::uint16_t{1} : static_cast<std::uint16_t>(id_ + 1);
    outstanding_ = true;
    return id_;
  }
  [[nodiscard]] constexpr bool valid(std::uint16_t id) const noexcept { return outstanding_ && id != 0 && id == id_; }
  constexpr void cancel() noexcept { outstanding_ = false; }

 private:
  std::uint16_t id_ = 0;
  bool outstanding_ = false;
};

/// The ID after `id`, wrapping from FFFEh to 0001h.
[[nodiscard]] constexpr std::uint16_t id_after(std::uint16_t id) noexcept {
  return id >= 0xFFFE ? first_assigned_id : static_cast<std::uint16_t>(id + 1);
}

/// The record IDs of `count` records, the i-th one's `id_at(i)`.
template <class IdAt>
struct record_ids {
  std::size_t count = 0;
  IdAt id_at;

  /// The index of the record with ID `id`, or count.
  [[nodiscard]] constexpr std::size_t find_exact(std::uint16_t id) const noexcept {
    for (std::size_t i = 0; i < count; ++i)
      if (id_at(i) == id) return i;
    return count;
  }
  /// The same, with 0000h the first record and FFFFh the last.
  [[nodiscard]] constexpr std::size_t find(std::uint16_t id) const noexcept {
    if (count == 0) return count;
    if (id == first_record) return 0;
    if (id == last_record) return count - 1;
    return find_exact(id);
  }
  [[nodiscard]] constexpr bool contains(std::uint16_t id) const noexcept {
    return id != first_record && id != last_record && find_exact(id) != count;
  }
  /// `next`, or the first ID after it no record holds (never 0000h or FFFFh).
  [[nodiscard]] constexpr std::uint16_t free_from(std::uint16_t next) const noexcept {
    while (next == first_record || next == last_record || find_exact(next) != count) next = id_after(next);
    return next;
  }
  /// The next record ID a read of record i answers: FFFFh after the last.
  [[nodiscard]] constexpr std::uint16_t after_index(std::size_t i) const noexcept {
    return i + 1 < count ? id_at(i + 1) : last_record;
  }
};
template <class IdAt>
record_ids(std::size_t, IdAt) -> record_ids<IdAt>;

/// Which bytes of a record of `size` bytes a read of `count` at `offset` takes: refused with 0xC9
/// (parameter out of range) an offset at or past the end, 0xCC a count of 0, 0xCA (cannot return
/// the requested bytes) a count reaching past the end; FFh reads from the offset to the end.
struct record_range {
  completion_code code = completion_code::success;
  std::size_t count = 0;
};
[[nodiscard]] constexpr record_range read_range(std::size_t size, std::uint8_t offset, std::uint8_t count) noexcept {
  if (offset >= size) return {completion_code::parameter_out_of_range, 0};
  if (count == 0) return {completion_code::invalid_data_field, 0};
  const std::size_t rest = size - offset;
  if (count == cmd::read_whole_record) return {completion_code::success, rest};
  if (count > rest) return {completion_code::cannot_return_requested_bytes, 0};
  return {completion_code::success, count};
}

/// An Info response (Get SEL Info, Get SDR Repository Info: IPMI v2.0 §31.2, §33.9) with the
/// members the two share filled as a repository keeps them: Reserve supported; Delete, Partial
/// Add and Get Allocation Info not (the SEL sets its Delete).
template <class Info>
[[nodiscard]] constexpr Info repository_info(std::uint8_t version, std::uint32_t last_add, std::uint32_t last_erase,
                                             bool overflow) noexcept {
  Info r;
  static_cast<cmd::detail::repository_info&>(r) = {.version = version,
                                                   .last_add_time = last_add,
                                                   .last_erase_time = last_erase,
                                                   .overflow = overflow,
                                                   .supports_reserve = true};
  return r;
}

/// `bytes` as an Info response's free space, held to `limit`.
[[nodiscard]] constexpr std::uint16_t free_space(std::size_t bytes, std::uint16_t limit) noexcept {
  return bytes >= limit ? limit : static_cast<std::uint16_t>(bytes);
}

}  // namespace ipmikit::bmc::detail
