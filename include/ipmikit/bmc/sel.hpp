// ipmikit/bmc/sel.hpp — the System Event Log (IPMI v2.0 §31) as a component: a fixed-capacity
// SEL of 16-byte records (§32) with record IDs it assigns, the SEL time, reservations, the Clear
// SEL erase protocol, the overflow flag, and a versioned byte format the owner persists. The
// records live in a std::array of Capacity (the default: no heap) or in storage the owner
// grows, such as a std::vector, so that memory follows the records held (a fleet of VMs).
//
//   bmc::sel<64> log;                                        // system_clock: SEL time is UTC
//   const auto added = log.add(record, now);                 // the BMC's own event: {code, record_id}
//   log.info();                                              // Get SEL Info
//   if (log.generation() != saved) n = log.save(buffer);     // persist after each durable change
//   log.load(bytes);                                         // at start: a bmc::sel_load_error
//   bmc::add_sel_commands<&my_bmc::log>(dispatcher);         // the eight commands; my_bmc::now()
//   bmc::basic_sel<1024, clock, std::vector<bmc::sel_entry>>  // grows with its records instead
//
// Sans-IO: no clock (every call that needs the time takes `now`, a Clock::time_point;
// Clock::now() is never called), no heap, no exceptions, no I/O, no files. Everything is
// constexpr. A full SEL refuses new records (0xC4) and sets the overflow flag; it never
// overwrites. docs/bmc-sel.md.
#pragma once

#include <array>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <type_traits>

#include "../cmd/codec.hpp"
#include "../cmd/sel.hpp"
#include "../message.hpp"
#include "dispatcher.hpp"
#include "repository.hpp"

namespace ipmikit::bmc {

// ---------------------------------------------------------------------------------------------
// Numbers

inline constexpr std::uint32_t sel_time_never = 0xFFFFFFFF;  // IPMI v2.0 §31.2: FFFFFFFFh, no add / erase yet
inline constexpr std::uint16_t sel_first_record_id = detail::first_assigned_id;  // the first ID a SEL assigns (0000h, FFFFh never)

/// The saved format (see basic_sel::save): "iSEL", a version byte, then the state.
inline constexpr std::array<std::uint8_t, 4> sel_saved_magic{0x69, 0x53, 0x45, 0x4C};  // "iSEL"
inline constexpr std::uint8_t sel_saved_version = 1;
inline constexpr std::size_t sel_saved_header_size = 26;  // magic 4, version 1, flags 1, next ID 2,
                                                           // offset 8, last add 4, last erase 4, count 2
inline constexpr std::uint8_t sel_saved_flag_overflow = 0x01;
/// The largest time offset load() accepts, in seconds, either way (about 146 billion years:
/// anything larger is a corrupt file, and the arithmetic stays far from overflow).
inline constexpr std::int64_t sel_max_time_offset = std::int64_t{1} << 62;

/// One record as the SEL keeps it: the 16 bytes Get SEL Entry returns.
using sel_entry = std::array<std::uint8_t, cmd::sel_record_size>;

/// Where a SEL keeps its records. Fixed: a std::array<sel_entry, Capacity> (the default; no
/// heap, constexpr). Growable: a container with resize() whose size the SEL keeps equal to its
/// record count, e.g. std::vector<sel_entry> — it grows as records arrive and gives its memory
/// back on Clear SEL. A growable storage's allocation failure is the container's (the SEL's
/// members are noexcept: std::vector's bad_alloc ends the program).
template <class S>
concept sel_storage = std::default_initializable<S> && requires(S& s, const S& c, std::size_t i) {
  { s[i] } -> std::same_as<sel_entry&>;
  { c[i] } -> std::same_as<const sel_entry&>;
  { c.size() } -> std::convertible_to<std::size_t>;
};
template <class S>
concept growable_sel_storage = sel_storage<S> && requires(S& s, std::size_t n) { s.resize(n); };

// ---------------------------------------------------------------------------------------------
// Results

/// What add() and remove() did: the completion code and, with success, the record ID (the
/// one assigned, the one deleted).
struct sel_result {
  completion_code code = completion_code::success;
  std::uint16_t record_id = 0;

  [[nodiscard]] constexpr explicit operator bool() const noexcept { return code == completion_code::success; }
  friend constexpr bool operator==(const sel_result&, const sel_result&) noexcept = default;
};

/// Why load() refused a saved SEL (and left the SEL as it was).
enum class sel_load_error : std::uint8_t {
  ok = 0,
  truncated = 1,            // shorter than the header, or than the entries it announces
  bad_magic = 2,            // not "iSEL"
  bad_version = 3,          // a version this code does not read
  reserved_flags = 4,       // a flag bit this version does not define
  bad_next_id = 5,          // next record ID 0000h or FFFFh
  bad_time_offset = 6,      // beyond ±sel_max_time_offset
  too_many_entries = 7,     // more entries than the Capacity (or the limit, set_limit)
  bad_record_id = 8,        // an entry with ID 0000h or FFFFh
  duplicate_record_id = 9,  // two entries with the same ID
  bad_record = 10,          // an entry that is not a valid record (reserved type, reserved bits)
  trailing_bytes = 11,      // bytes after the last entry
};

[[nodiscard]] constexpr std::string_view name(sel_load_error e) noexcept {
  return cmd::detail::enum_name<sel_load_error, 12>(
      e, {"ok", "truncated", "bad_magic", "bad_version", "reserved_flags", "bad_next_id", "bad_time_offset",
          "too_many_entries", "bad_record_id", "duplicate_record_id", "bad_record", "trailing_bytes"});
}

/// Counts, by outcome (not saved: they start at 0 with each object).
struct sel_stats {
  std::uint64_t adds = 0;     // records added (the BMC's and Add SEL Entry's)
  std::uint64_t deletes = 0;  // records deleted by Delete SEL Entry
  std::uint64_t clears = 0;   // erases initiated by Clear SEL
  std::uint64_t dropped = 0;  // adds refused because the SEL was full (0xC4)
  std::uint64_t refused = 0;  // other refused adds, deletes and clears (0xC5, 0xCB, 0xCC)
  friend constexpr bool operator==(const sel_stats&, const sel_stats&) noexcept = default;
};

// ---------------------------------------------------------------------------------------------
// The SEL

template <std::size_t Capacity, class Clock, sel_storage Storage = std::array<sel_entry, Capacity>>
class basic_sel {
 public:
  static_assert(Capacity >= 1 && Capacity <= 0xFFFD,
                "record IDs are 0001h-FFFEh: a SEL holds at least one and at most FFFDh records, so a free ID "
                "always exists");
  using clock = Clock;
  using time_point = typename Clock::time_point;
  using record_bytes = sel_entry;
  using storage_type = Storage;
  static_assert(growable_sel_storage<Storage> || Storage{}.size() >= Capacity,
                "a fixed storage has room for Capacity records");

  static constexpr std::size_t capacity = Capacity;
  /// The largest save(): the header and Capacity entries.
  static constexpr std::size_t max_saved_size = sel_saved_header_size + Capacity * cmd::sel_record_size;

  constexpr basic_sel() noexcept = default;

  // --- the BMC's own records and Add SEL Entry ---------------------------------------------

  /// Adds `r` (IPMI v2.0 §31.6): the SEL assigns the record ID (r.record_id is ignored) and, for
  /// a system event (02h) or an OEM timestamped record (C0h-DFh), sets the timestamp to the SEL
  /// time at `now`; an OEM non-timestamped record (E0h-FFh) is kept as it is. Refused, and
  /// nothing changes: a full SEL with 0xC4 (out of space), which sets the overflow flag — the
  /// SEL never overwrites; a record that does not encode (reserved type, a field its wire field
  /// cannot carry) with 0xCC. Otherwise the last add time is the SEL time and the reservation
  /// is cancelled.
  constexpr sel_result add(const cmd::sel_record& r, time_point now) noexcept {
    if (count_ >= limit_) {
      ++stats_.dropped;
      if (!overflow_) {
        overflow_ = true;
        ++generation_;
      }
      return {completion_code::out_of_space, 0};
    }
    const std::uint32_t t = time(now);
    cmd::sel_record stored = r;
    stored.record_id = free_id();
    if (stored.is_system_event() || stored.is_oem_timestamped()) stored.timestamp = t;
    record_bytes b{};
    if (!stored.encode(b)) {
      ++stats_.refused;
      return {completion_code::invalid_data_field, 0};
    }
    hold(count_ + 1);
    entries_[count_++] = b;
    next_id_ = detail::id_after(stored.record_id);
    last_add_ = t;
    changed();
    ++stats_.adds;
    return {completion_code::success, stored.record_id};
  }

  // --- the commands ------------------------------------------------------------------------

  /// Get SEL Info (IPMI v2.0 §31.2): version 51h, the entries, the free bytes (16 a free entry,
  /// FFFFh for 65535 or more), the last add and erase times (FFFFFFFFh: none yet), the overflow
  /// flag; Delete and Reserve supported, Partial Add and Get SEL Allocation Info not.
  [[nodiscard]] constexpr cmd::get_sel_info::response info() const noexcept {
    auto r = detail::repository_info<cmd::get_sel_info::response>(cmd::sel_version_2_0, last_add_, last_erase_,
                                                                   overflow_);
    r.entries = static_cast<std::uint16_t>(count_);
    r.free_bytes = detail::free_space((count_ < limit_ ? limit_ - count_ : 0) * cmd::sel_record_size, 0xFFFF);
    r.supports_delete = true;
    return r;
  }

  /// Reserve SEL (IPMI v2.0 §31.4): a new reservation ID, never 0, which replaces the previous
  /// one. Any add, delete or clear cancels it.
  constexpr std::uint16_t reserve() noexcept { return reservation_.take(); }

  /// Whether `id` is the outstanding reservation (0 never is).
  [[nodiscard]] constexpr bool reservation_valid(std::uint16_t id) const noexcept { return reservation_.valid(id); }

  /// Get SEL Entry (IPMI v2.0 §31.5). The typed request takes any offset and count: they are
  /// checked here, against the record. Refused, in this order:
  ///   - 0xC5 a reservation that is not the outstanding one; reservation 0 is accepted only for
  ///     a whole-record read (offset 0, FFh or 16 bytes), as ipmitool's `sel list` sends;
  ///   - 0xCB no such record (an empty SEL has no first or last one);
  ///   - 0xC9 an offset at or past the record's 16 bytes, 0xCC 0 bytes to read,
  ///     0xCA a count reaching past the record's end (FFh reads from the offset to the end).
  /// 0000h is the first record, FFFFh the last; the next record ID is FFFFh after the last.
  constexpr completion_code get(const cmd::get_sel_entry::request& rq,
                                cmd::get_sel_entry::response& out) const noexcept {
    const bool whole = rq.offset == 0 && (rq.bytes_to_read == cmd::read_whole_record ||
                                          rq.bytes_to_read == cmd::sel_record_size);
    if (rq.reservation_id != 0 ? !reservation_valid(rq.reservation_id) : !whole)
      return completion_code::reservation_canceled;
    const std::size_t i = find(rq.record_id);
    if (i == count_) return completion_code::requested_sensor_not_present;  // 0xCB: requested record not present
    const detail::record_range range = detail::read_range(cmd::sel_record_size, rq.offset, rq.bytes_to_read);
    if (range.code != completion_code::success) return range.code;
    out.next_record_id = ids().after_index(i);
    (void)out.assign(std::span<const std::uint8_t>(entries_[i]).subspan(rq.offset, range.count));
    return completion_code::success;
  }

  /// Delete SEL Entry (IPMI v2.0 §31.8): 0000h the first record, FFFFh the last. Refused, and
  /// nothing changes: 0xC5 without the outstanding reservation, 0xCB no such record. Otherwise
  /// the record is gone (the others keep their order and IDs), the last erase time is the SEL
  /// time at `now` and the reservation is cancelled; the result names the ID deleted.
  constexpr sel_result remove(const cmd::delete_sel_entry::request& rq, time_point now) noexcept {
    if (!reservation_valid(rq.reservation_id)) return refuse(completion_code::reservation_canceled);
    const std::size_t i = find(rq.record_id);
    if (i == count_) return refuse(completion_code::requested_sensor_not_present);
    const std::uint16_t id = id_at(i);
    for (std::size_t j = i; j + 1 < count_; ++j) entries_[j] = entries_[j + 1];
    entries_[--count_] = record_bytes{};
    hold(count_);
    last_erase_ = time(now);
    changed();
    ++stats_.deletes;
    return {completion_code::success, id};
  }

  /// Clear SEL (IPMI v2.0 §31.9); the 'CLR' signature is the typed request's (its parse refuses
  /// another with 0xCC). AAh initiates the erase, which completes at once: every record, the
  /// overflow flag, the last erase time is the SEL time at `now`, the reservation cancelled.
  /// 00h asks for the status and changes nothing. Both answer "erase completed" (01h) with
  /// success. Refused with 0xC5, nothing changed: AAh without the outstanding reservation; 00h
  /// without it or the reservation that initiated the last erase (which that erase cancelled,
  /// so that a client may poll the status with the ID it erased with).
  constexpr completion_code clear(const cmd::clear_sel::request& rq, time_point now) noexcept {
    if (rq.action == cmd::clear_sel_action::get_status) {
      if (reservation_valid(rq.reservation_id) || (rq.reservation_id != 0 && rq.reservation_id == eraser_))
        return completion_code::success;
      return refuse(completion_code::reservation_canceled).code;
    }
    if (rq.action != cmd::clear_sel_action::initiate_erase) return refuse(completion_code::invalid_data_field).code;
    if (!reservation_valid(rq.reservation_id)) return refuse(completion_code::reservation_canceled).code;
    empty_storage();
    overflow_ = false;
    last_erase_ = time(now);
    changed();
    eraser_ = rq.reservation_id;
    ++stats_.clears;
    return completion_code::success;
  }

  /// add() and remove() as add_sel_commands registers them (Add SEL Entry, Delete SEL Entry):
  /// the record ID in the response.
  constexpr completion_code add_sel_entry(const cmd::sel_record& r, cmd::add_sel_entry::response& rs,
                                          time_point now) noexcept {
    const sel_result a = add(r, now);
    rs.value = a.record_id;
    return a.code;
  }
  constexpr completion_code delete_sel_entry(const cmd::delete_sel_entry::request& rq,
                                             cmd::delete_sel_entry::response& rs, time_point now) noexcept {
    const sel_result d = remove(rq, now);
    rs.value = d.record_id;
    return d.code;
  }

  // --- time --------------------------------------------------------------------------------

  /// The SEL time at `now` (Get SEL Time, IPMI v2.0 §31.10): `now`'s whole seconds since the
  /// clock's epoch plus the offset Set SEL Time stored, held to 0-FFFFFFFFh. With system_clock
  /// and no Set, UTC seconds since 1970 (IPMI v2.0 §37).
  [[nodiscard]] constexpr std::uint32_t time(time_point now) const noexcept {
    const std::int64_t t = sat_add(seconds_of(now), offset_);
    if (t <= 0) return 0;
    if (t >= std::int64_t{0xFFFFFFFF}) return 0xFFFFFFFF;
    return static_cast<std::uint32_t>(t);
  }

  /// Set SEL Time (IPMI v2.0 §31.11): from `now` on, the SEL time is `seconds` and advances
  /// with the clock. Stores the offset to the clock (a durable change when it differs).
  constexpr void set_time(std::uint32_t seconds, time_point now) noexcept {
    const std::int64_t o = sat_sub(std::int64_t{seconds}, seconds_of(now));
    if (o == offset_) return;
    offset_ = o;
    ++generation_;
  }
  /// set_time() as add_sel_commands registers it.
  constexpr void set_sel_time(const cmd::set_sel_time::request& rq, time_point now) noexcept {
    set_time(rq.seconds, now);
  }

  /// The SEL time minus the clock, in seconds.
  [[nodiscard]] constexpr std::int64_t time_offset() const noexcept { return offset_; }

  // --- the contents ------------------------------------------------------------------------

  [[nodiscard]] constexpr std::size_t size() const noexcept { return count_; }
  [[nodiscard]] constexpr bool empty() const noexcept { return count_ == 0; }
  [[nodiscard]] constexpr bool full() const noexcept { return count_ >= limit_; }

  /// The most records this SEL holds: Capacity unless set_limit() lowered it (a BMC whose SEL
  /// size is configured at run time, within the storage its type reserves). False, and nothing
  /// changes, outside 1 to Capacity. Records above a lowered limit stay; adds are refused (and
  /// set the overflow flag) until deletes bring the count under it, and load() refuses more.
  constexpr bool set_limit(std::size_t records) noexcept {
    if (records == 0 || records > Capacity) return false;
    limit_ = records;
    return true;
  }
  [[nodiscard]] constexpr std::size_t limit() const noexcept { return limit_; }
  [[nodiscard]] constexpr bool overflow() const noexcept { return overflow_; }
  /// The record ID the next add will get (or the first free one after it).
  [[nodiscard]] constexpr std::uint16_t next_record_id() const noexcept { return free_id(); }
  /// The i-th record, oldest first (i < size()).
  [[nodiscard]] constexpr cmd::sel_record at(std::size_t i) const noexcept {
    return cmd::sel_record::parse(entries_[i]).value;
  }
  /// The 16 bytes of the i-th record, as Get SEL Entry returns them.
  [[nodiscard]] constexpr const record_bytes& bytes_at(std::size_t i) const noexcept { return entries_[i]; }
  /// Where the records are: the first size() entries, oldest first (a growable storage holds
  /// exactly those; a fixed one has Capacity, the rest zero).
  [[nodiscard]] constexpr const Storage& entries() const noexcept { return entries_; }
  [[nodiscard]] constexpr bool contains(std::uint16_t record_id) const noexcept {
    return ids().contains(record_id);
  }

  [[nodiscard]] constexpr const sel_stats& stats() const noexcept { return stats_; }

  // --- durable state ------------------------------------------------------------------------

  /// Changes with every durable change: an add, a delete, a clear, the overflow flag set, a
  /// new time offset, a load. The owner saves when it differs from the one it last saved at.
  [[nodiscard]] constexpr std::uint64_t generation() const noexcept { return generation_; }

  /// The size save() writes now.
  [[nodiscard]] constexpr std::size_t saved_size() const noexcept {
    return sel_saved_header_size + count_ * cmd::sel_record_size;
  }

  /// Writes the durable state to `out` and returns its size (saved_size(); max_saved_size at
  /// most), or 0 when `out` is smaller. The format, multi-byte fields LS byte first:
  ///   0-3 "iSEL"; 4 version 1; 5 flags (b0 overflow, others 0); 6-7 next record ID;
  ///   8-15 time offset (seconds, two's complement); 16-19 last add time; 20-23 last erase
  ///   time; 24-25 entry count; then each entry's 16 bytes, oldest first.
  /// Reservations, the stats and the generation are not saved. No checksum: the owner's.
  constexpr std::size_t save(std::span<std::uint8_t> out) const noexcept {
    const std::size_t n = saved_size();
    if (out.size() < n) return 0;
    std::size_t p = 0;
    for (const std::uint8_t b : sel_saved_magic) out[p++] = b;
    out[p++] = sel_saved_version;
    out[p++] = overflow_ ? sel_saved_flag_overflow : std::uint8_t{0};
    put_le(out, p, next_id_, 2);
    put_le(out, p, static_cast<std::uint64_t>(offset_), 8);
    put_le(out, p, last_add_, 4);
    put_le(out, p, last_erase_, 4);
    put_le(out, p, count_, 2);
    for (std::size_t i = 0; i < count_; ++i)
      for (const std::uint8_t b : entries_[i]) out[p++] = b;
    return p;
  }

  /// Replaces the durable state with a saved one, after checking all of it; on any error the
  /// SEL is unchanged. A successful load cancels the reservation and is a durable change.
  constexpr sel_load_error load(std::span<const std::uint8_t> in) noexcept {
    if (in.size() < sel_saved_header_size) return sel_load_error::truncated;
    for (std::size_t i = 0; i < sel_saved_magic.size(); ++i)
      if (in[i] != sel_saved_magic[i]) return sel_load_error::bad_magic;
    if (in[4] != sel_saved_version) return sel_load_error::bad_version;
    if ((in[5] & ~sel_saved_flag_overflow) != 0) return sel_load_error::reserved_flags;
    std::size_t p = 6;
    const auto next = static_cast<std::uint16_t>(get_le(in, p, 2));
    const auto offset = static_cast<std::int64_t>(get_le(in, p, 8));
    const auto last_add = static_cast<std::uint32_t>(get_le(in, p, 4));
    const auto last_erase = static_cast<std::uint32_t>(get_le(in, p, 4));
    const auto count = static_cast<std::size_t>(get_le(in, p, 2));
    if (next == cmd::sel_first_entry || next == cmd::sel_last_entry) return sel_load_error::bad_next_id;
    if (offset > sel_max_time_offset || offset < -sel_max_time_offset) return sel_load_error::bad_time_offset;
    if (count > limit_) return sel_load_error::too_many_entries;
    const std::span<const std::uint8_t> body = in.subspan(sel_saved_header_size);
    if (body.size() < count * cmd::sel_record_size) return sel_load_error::truncated;
    if (body.size() > count * cmd::sel_record_size) return sel_load_error::trailing_bytes;
    for (std::size_t i = 0; i < count; ++i) {
      const auto e = body.subspan(i * cmd::sel_record_size, cmd::sel_record_size);
      const auto id = static_cast<std::uint16_t>(e[0] | (e[1] << 8));
      if (id == cmd::sel_first_entry || id == cmd::sel_last_entry) return sel_load_error::bad_record_id;
      for (std::size_t j = 0; j < i; ++j) {
        const auto o = body.subspan(j * cmd::sel_record_size, 2);
        if (id == static_cast<std::uint16_t>(o[0] | (o[1] << 8))) return sel_load_error::duplicate_record_id;
      }
      if (!cmd::sel_record::parse(e)) return sel_load_error::bad_record;
    }
    // All checked: nothing below can fail.
    empty_storage();
    hold(count);
    for (std::size_t i = 0; i < count; ++i)
      for (std::size_t k = 0; k < cmd::sel_record_size; ++k) entries_[i][k] = body[i * cmd::sel_record_size + k];
    count_ = count;
    next_id_ = next;
    offset_ = offset;
    last_add_ = last_add;
    last_erase_ = last_erase;
    overflow_ = (in[5] & sel_saved_flag_overflow) != 0;
    eraser_ = 0;
    changed();
    return sel_load_error::ok;
  }

 private:
  static constexpr std::int64_t seconds_of(time_point now) noexcept {
    return static_cast<std::int64_t>(
        std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count());
  }
  static constexpr std::int64_t sat_add(std::int64_t a, std::int64_t b) noexcept {
    constexpr auto hi = std::numeric_limits<std::int64_t>::max();
    constexpr auto lo = std::numeric_limits<std::int64_t>::min();
    if (b > 0 && a > hi - b) return hi;
    if (b < 0 && a < lo - b) return lo;
    return a + b;
  }
  static constexpr std::int64_t sat_sub(std::int64_t a, std::int64_t b) noexcept {
    if (b == std::numeric_limits<std::int64_t>::min()) return a >= 0 ? std::numeric_limits<std::int64_t>::max() : a - b;
    return sat_add(a, -b);
  }
  static constexpr void put_le(std::span<std::uint8_t> out, std::size_t& p, std::uint64_t v, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) out[p++] = static_cast<std::uint8_t>(v >> (8 * i));
  }
  static constexpr std::uint64_t get_le(std::span<const std::uint8_t> in, std::size_t& p, std::size_t n) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(in[p++]) << (8 * i);
    return v;
  }

  [[nodiscard]] constexpr std::uint16_t id_at(std::size_t i) const noexcept {
    return static_cast<std::uint16_t>(entries_[i][0] | (entries_[i][1] << 8));
  }
  /// The record IDs, for finding a record and a free ID.
  [[nodiscard]] constexpr auto ids() const noexcept {
    return detail::record_ids{count_, [this](std::size_t i) { return id_at(i); }};
  }
  /// The index of `record_id` (0000h the first, FFFFh the last), or count_ when there is none.
  [[nodiscard]] constexpr std::size_t find(std::uint16_t record_id) const noexcept { return ids().find(record_id); }
  /// next_id_, or the first ID after it no record holds (never 0000h or FFFFh).
  [[nodiscard]] constexpr std::uint16_t free_id() const noexcept { return ids().free_from(next_id_); }
  /// A growable storage holds exactly `n` records (a fixed one always holds Capacity).
  constexpr void hold(std::size_t n) noexcept {
    if constexpr (growable_sel_storage<Storage>) entries_.resize(n);
  }
  /// No records: a fixed storage's are zeroed, a growable one gives its memory back.
  constexpr void empty_storage() noexcept {
    if constexpr (growable_sel_storage<Storage>) {
      entries_ = Storage{};
    } else {
      for (std::size_t i = 0; i < count_; ++i) entries_[i] = record_bytes{};
    }
    count_ = 0;
  }
  constexpr void changed() noexcept {
    reservation_.cancel();  // IPMI v2.0 §31.4: an add, a delete or a clear cancels the reservation
    ++generation_;
  }
  constexpr sel_result refuse(completion_code cc) noexcept {
    ++stats_.refused;
    return {cc, 0};
  }

  Storage entries_{};
  std::size_t limit_ = Capacity;
  std::size_t count_ = 0;
  std::uint16_t next_id_ = sel_first_record_id;
  std::int64_t offset_ = 0;  // SEL time minus the clock, seconds
  std::uint32_t last_add_ = sel_time_never;
  std::uint32_t last_erase_ = sel_time_never;
  bool overflow_ = false;
  detail::reservation reservation_{};
  std::uint16_t eraser_ = 0;    // the reservation the last erase was initiated with
  std::uint64_t generation_ = 0;
  sel_stats stats_{};
};

/// A SEL whose time is UTC: system_clock's epoch is 1970-01-01 00:00 UTC, as the SEL time's.
template <std::size_t Capacity>
using sel = basic_sel<Capacity, std::chrono::system_clock>;

// ---------------------------------------------------------------------------------------------
// The eight commands on a dispatcher

/// A Context whose SEL member `Member` the commands drive, and which says what time it is:
/// `context.now()` returns something convertible to the SEL clock's time_point (the dispatcher
/// has no clock). A Context with a watchdog on another clock returns a type convertible to both.
namespace detail {
template <class T>
inline constexpr bool is_basic_sel = false;
template <std::size_t N, class Clock, class Storage>
inline constexpr bool is_basic_sel<basic_sel<N, Clock, Storage>> = true;
}  // namespace detail

template <class Context, auto Member>
concept sel_context = has_member_and_clock<Context, Member> && detail::is_basic_sel<member_type<Member>>;

/// Registers Get SEL Info, Reserve SEL, Get SEL Entry, Get SEL Time (user) and Add SEL Entry,
/// Delete SEL Entry, Clear SEL, Set SEL Time (operator) — the privileges of IPMI v2.0
/// Appendix G — on `d`, driving `context.*Member` at `context.now()`. Clear SEL answers "erase
/// completed", its response's default: the erase is done in memory at once. All eight or none:
/// a registered one or too little room is refused (duplicate, full) before any is added.
template <auto Member, class S = member_type<Member>>
inline constexpr command_table<Member, command<cmd::get_sel_info, &S::info, privilege::user>,
                               command<cmd::reserve_sel, &S::reserve, privilege::user>,
                               command<cmd::get_sel_entry, &S::get, privilege::user>,
                               command<cmd::add_sel_entry, &S::add_sel_entry, privilege::operator_>,
                               command<cmd::delete_sel_entry, &S::delete_sel_entry, privilege::operator_>,
                               command<cmd::clear_sel, &S::clear, privilege::operator_>,
                               command<cmd::get_sel_time, &S::time, privilege::user>,
                               command<cmd::set_sel_time, &S::set_sel_time, privilege::operator_>>
    add_sel_commands{};

}  // namespace ipmikit::bmc
