// ipmikit/bmc/sdr.hpp — the SDR repository (IPMI v2.0 §33) and the BMC's sensors (§35) as a
// component: a fixed-capacity repository of Sensor Data Records (§43) with record IDs it assigns,
// add and erase times, reservations, Get SDR's partial reads; and the present state of each
// sensor a record describes (a reading, discrete states, the scanning / event bits), which the
// BMC's author sets at run time and Get Sensor Reading / Get Sensor Thresholds report.
//
//   bmc::sdr_repository<16> sdr;                             // 16 records of up to 64 bytes
//   sdr.build({.threshold_sensors = temps}, now);            // MC and FRU 0 locators, Watchdog 2, yours
//   sdr.set_reading(0x10, 0x2D);                             // a sensor's raw reading, when it changes
//   sdr.set_states(bmc::watchdog_sensor_number, 1u << e.event.offset());  // a watchdog event's state
//   bmc::add_sdr_commands<&my_bmc::sdr>(dispatcher);         // SDR Info / Reserve / Get, Reading, Thresholds
//
// Sans-IO: no clock (add, erase and build take `now`, a Clock::time_point; Clock::now() is never
// called), no heap, no exceptions, no I/O. Everything is constexpr. Nothing here is durable: the
// repository is built from configuration at each start, and sensor readings are the present's.
// The records are cmd/sdr.hpp's; docs/bmc-sdr.md.
#pragma once

#include <array>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "../cmd/codec.hpp"
#include "../cmd/sdr.hpp"
#include "../cmd/sensor.hpp"
#include "../message.hpp"
#include "dispatcher.hpp"
#include "repository.hpp"
#include "watchdog.hpp"  // the Watchdog 2 sensor type and the sensor-specific event/reading type

namespace ipmikit::bmc {

// ---------------------------------------------------------------------------------------------
// Numbers

/// The bytes a record may take here: a full sensor record with a 16-byte ID string, the longest
/// of cmd/sdr.hpp's four typed records (64). Free space is counted in such slots.
inline constexpr std::size_t sdr_slot_size = cmd::full_sensor_record::max_size;
inline constexpr std::uint16_t sdr_first_record_id = detail::first_assigned_id;  // the first ID assigned (0000h means "first", FFFFh "last")
inline constexpr std::uint32_t sdr_time_never = 0xFFFFFFFF;    // no add / erase yet: the SEL's convention (IPMI v2.0 §31.2)
inline constexpr std::uint16_t sdr_free_space_limit = 0xFFFE;  // IPMI v2.0 §33.9: FFFFh means "unspecified"
inline constexpr std::uint8_t watchdog_sensor_number = 0x00;   // ipmi_sim and QEMU's ipmi-bmc-sim: the watchdog is sensor 0
inline constexpr std::uint16_t watchdog2_states = 0x010F;      // IPMI v2.0 §42.2 table 42-3: offsets 00h-03h and 08h

/// Get Sensor Reading's reserved bits (IPMI v2.0 §35.14: "reserved. Returned as 1b"): byte 3
/// [7:6] of a threshold sensor, byte 4 b7 of a discrete one. ipmi_sim and QEMU return 0 there;
/// ipmitool ignores them.
inline constexpr std::uint8_t reading_threshold_reserved = 0xC0;  // IPMI v2.0 §35.14 byte 3 [7:6]
inline constexpr std::uint8_t reading_discrete_reserved = 0x80;   // IPMI v2.0 §35.14 byte 4 [7]

/// Sensor record byte 10, sensor initialization (IPMI v2.0 §43.1).
namespace sensor_init {
inline constexpr std::uint8_t scanning_on = 0x01;  // IPMI v2.0 §43.1 byte 10 b0: sensor scanning enabled at power up
inline constexpr std::uint8_t events_on = 0x02;    // IPMI v2.0 §43.1 byte 10 b1: event generation enabled at power up
}  // namespace sensor_init

/// Sensor record byte 11, sensor capabilities (IPMI v2.0 §43.1), as the sensors built here have them.
namespace sensor_capability {
inline constexpr std::uint8_t hysteresis_fixed = 0x30;     // IPMI v2.0 §43.1 byte 11 [5:4] 11b: fixed at the SDR's values
inline constexpr std::uint8_t thresholds_readable = 0x04;  // IPMI v2.0 §43.1 byte 11 [3:2] 01b: Get Sensor Thresholds only
inline constexpr std::uint8_t no_events = 0x03;            // IPMI v2.0 §43.1 byte 11 [1:0] 11b: no events from this sensor
}  // namespace sensor_capability

inline constexpr std::uint8_t entity_system_board = 0x07;  // IPMI v2.0 §43.14 table 43-13: system board
inline constexpr std::uint8_t sensor_type_temperature = 0x01;  // IPMI v2.0 §42.2 table 42-3
inline constexpr std::uint8_t unit_degrees_c = 0x01;           // IPMI v2.0 §43.17 table 43-15
inline constexpr std::uint8_t fru_device_type_inventory = 0x10;  // IPMI v2.0 §43.8: 10h, FRU inventory behind a controller

// ---------------------------------------------------------------------------------------------
// Configured records

namespace detail::sdr {
/// The key of a sensor record built here: `sensor`'s number, entity, type and ID; scanning on
/// at power up, events off; a reading format of `format`.
template <class Sensor>
[[nodiscard]] constexpr cmd::sensor_record_key key_of(const Sensor& sensor, std::uint8_t event_reading_type,
                                                      std::uint8_t capabilities, cmd::analog_format format) noexcept {
  cmd::sensor_record_key k;
  k.sensor_number = sensor.number;
  k.entity_id = sensor.entity_id;
  k.entity_instance = sensor.entity_instance;
  k.initialization = sensor_init::scanning_on;
  k.capabilities = capabilities;
  k.sensor_type = sensor.sensor_type;
  k.event_reading_type = event_reading_type;
  k.units_1 = static_cast<std::uint8_t>(static_cast<unsigned>(format) << 6);  // IPMI v2.0 §43.1 byte 20 [7:6]
  return k;
}
}  // namespace detail::sdr

/// A threshold sensor with a linear reading (a temperature, a voltage, a fan): a Full Sensor
/// Record (§43.1). Raw readings convert as y = (M·x + B·10^Bexp)·10^Rexp (cmd::convert_reading).
/// `thresholds` holds the raw thresholds and, as its readable mask (cmd::threshold_bit), which
/// of the six exist: those are readable with Get Sensor Thresholds and compared with the
/// reading in Get Sensor Reading. The hysteresis is carried in the record (fixed); no events.
struct threshold_sensor {
  std::string_view name{};  // the ID string, 16 characters at most (8-bit text)
  std::uint8_t number = 0;
  std::uint8_t sensor_type = sensor_type_temperature;
  std::uint8_t entity_id = entity_system_board;
  std::uint8_t entity_instance = 1;
  std::uint8_t base_unit = unit_degrees_c;
  cmd::analog_format format = cmd::analog_format::unsigned_value;
  std::int16_t m = 1;     // −512 to 511
  std::int16_t b = 0;     // −512 to 511
  std::int8_t r_exp = 0;  // −8 to 7
  std::int8_t b_exp = 0;  // −8 to 7
  cmd::get_sensor_thresholds::response thresholds{};  // .readable: the ones that exist
  std::uint8_t positive_hysteresis = 0;  // raw counts
  std::uint8_t negative_hysteresis = 0;
  std::uint8_t sensor_min = 0x00;  // raw
  std::uint8_t sensor_max = 0xFF;

  /// The record (its ID is the repository's to assign). The threshold reading masks (assertion
  /// and deassertion mask bits 14:12) and the readable mask name the thresholds that exist;
  /// nothing is settable.
  [[nodiscard]] constexpr cmd::full_sensor_record record() const noexcept {
    cmd::full_sensor_record r;
    r.key = detail::sdr::key_of(*this, cmd::event_reading_type_threshold,
                                static_cast<std::uint8_t>(sensor_capability::hysteresis_fixed |
                                                          sensor_capability::thresholds_readable |
                                                          sensor_capability::no_events),
                                format);
    const unsigned t = thresholds.readable & cmd::threshold_bit::all;
    r.key.assertion_mask = static_cast<std::uint16_t>((t & 0x07u) << 12);  // IPMI v2.0 §43.1 bytes 14-15 [14:12]: LNR, LC, LNC compared
    r.key.deassertion_mask = static_cast<std::uint16_t>((t >> 3) << 12);   // IPMI v2.0 §43.1 bytes 16-17 [14:12]: UNR, UC, UNC compared
    r.key.reading_mask = static_cast<std::uint16_t>(t);                    // IPMI v2.0 §43.1 bytes 18-19: readable [5:0], settable [13:8] none
    r.key.base_unit = base_unit;
    r.m = m;
    r.b = b;
    r.r_exp = r_exp;
    r.b_exp = b_exp;
    r.sensor_min = sensor_min;
    r.sensor_max = sensor_max;
    r.lower_non_critical = thresholds.lower_non_critical;
    r.lower_critical = thresholds.lower_critical;
    r.lower_non_recoverable = thresholds.lower_non_recoverable;
    r.upper_non_critical = thresholds.upper_non_critical;
    r.upper_critical = thresholds.upper_critical;
    r.upper_non_recoverable = thresholds.upper_non_recoverable;
    r.positive_hysteresis = positive_hysteresis;
    r.negative_hysteresis = negative_hysteresis;
    r.id = cmd::sdr_id_string::of_text(name);
    return r;
  }
};

/// A discrete sensor (a power state, a presence, the watchdog): a Compact Sensor Record
/// (§43.2) whose states (offsets 0-14 of its event/reading type) are set as a mask.
struct discrete_sensor {
  std::string_view name{};
  std::uint8_t number = 0;
  std::uint8_t sensor_type = 0;
  std::uint8_t event_reading_type = sensor_specific_event_type;  // 6Fh, or a generic 02h-0Ch
  std::uint8_t entity_id = entity_system_board;
  std::uint8_t entity_instance = 1;
  std::uint16_t states = 0;  // the offsets the sensor can report: bit n, offset n (0-14)

  /// The record: `states` is its discrete reading mask (bytes 18-19); no analog reading.
  [[nodiscard]] constexpr cmd::compact_sensor_record record() const noexcept {
    cmd::compact_sensor_record r;
    r.key = detail::sdr::key_of(*this, event_reading_type, sensor_capability::no_events,
                                cmd::analog_format::no_analog_reading);
    r.key.reading_mask = static_cast<std::uint16_t>(states & 0x7FFF);
    r.id = cmd::sdr_id_string::of_text(name);
    return r;
  }
};

/// The Watchdog 2 sensor (IPMI v2.0 §42.2 table 42-3, sensor type 23h, sensor-specific) the
/// watchdog's events name: offsets 00h-03h (the expiry's action) and 08h (the pre-timeout).
[[nodiscard]] constexpr discrete_sensor watchdog_sensor(std::uint8_t number = watchdog_sensor_number) noexcept {
  return {"Watchdog", number, watchdog2_sensor_type, sensor_specific_event_type, entity_system_board, 1,
          watchdog2_states};
}

/// What build() makes the repository of, in this order: the BMC's MC Device Locator, FRU
/// device 0's locator, the Watchdog 2 sensor (unless `watchdog` is false), the threshold
/// sensors, the discrete sensors.
struct sdr_config {
  std::string_view controller_name = "BMC";
  std::uint8_t controller_capabilities = cmd::mc_capability::sensor_device | cmd::mc_capability::sdr_repository |
                                         cmd::mc_capability::sel_device | cmd::mc_capability::fru_inventory |
                                         cmd::mc_capability::chassis_device;
  std::string_view fru_name = "Builtin FRU";
  bool watchdog = true;
  std::uint8_t watchdog_number = watchdog_sensor_number;
  std::span<const threshold_sensor> threshold_sensors{};
  std::span<const discrete_sensor> discrete_sensors{};

  /// The MC Device Locator (§43.9): the BMC at 20h, channel 0.
  [[nodiscard]] constexpr cmd::mc_device_locator_record controller() const noexcept {
    cmd::mc_device_locator_record r;
    r.device_slave_address = bmc_generator_address;
    r.capabilities = controller_capabilities;
    r.id = cmd::sdr_id_string::of_text(controller_name);
    return r;
  }
  /// The FRU Device Locator (§43.8) of FRU device 0, the BMC's own (bmc/fru.hpp), logical.
  [[nodiscard]] constexpr cmd::fru_device_locator_record fru() const noexcept {
    cmd::fru_device_locator_record r;
    r.device_access_address = bmc_generator_address;
    r.fru_device_id = 0;
    r.logical = true;
    r.device_type = fru_device_type_inventory;
    r.entity_id = entity_system_board;
    r.entity_instance = 1;
    r.id = cmd::sdr_id_string::of_text(fru_name);
    return r;
  }
};

// ---------------------------------------------------------------------------------------------
// Results

/// Why add() or build() refused (and changed nothing).
enum class sdr_add_error : std::uint8_t {
  ok = 0,
  full = 1,              // Capacity records already (the overflow flag is set)
  bad_record = 2,        // not a record: a header that is not 51h / its length, longer than a slot, a field that does not encode
  duplicate_sensor = 3,  // a sensor record with the number and LUN of one present
};

[[nodiscard]] constexpr std::string_view name(sdr_add_error e) noexcept {
  return cmd::detail::enum_name<sdr_add_error, 4>(e, {"ok", "full", "bad_record", "duplicate_sensor"});
}

/// What add() did: the error and, with ok, the record ID assigned.
struct sdr_add_result {
  sdr_add_error error = sdr_add_error::ok;
  std::uint16_t record_id = 0;

  [[nodiscard]] constexpr explicit operator bool() const noexcept { return error == sdr_add_error::ok; }
  friend constexpr bool operator==(const sdr_add_result&, const sdr_add_result&) noexcept = default;
};

/// A sensor's present state: what the BMC's author sets, and Get Sensor Reading reports.
struct sensor_state {
  std::uint8_t reading = 0;    // raw, as the record converts it
  std::uint16_t states = 0;    // threshold sensors: unused; discrete: bit n = offset n asserted
  bool scanning = true;        // Get Sensor Reading byte 2 b6
  bool events = false;         // byte 2 b7
  bool unavailable = true;     // byte 2 b5: until the first set_reading or set_states
  friend constexpr bool operator==(const sensor_state&, const sensor_state&) noexcept = default;
};

// ---------------------------------------------------------------------------------------------
// The repository

template <std::size_t Capacity, class Clock>
class basic_sdr_repository {
 public:
  static_assert(Capacity >= 1 && Capacity <= 0xFFFD,
                "record IDs are 0001h-FFFEh: a repository holds at least one and at most FFFDh records");
  using clock = Clock;
  using time_point = typename Clock::time_point;
  using slot = std::array<std::uint8_t, sdr_slot_size>;

  static constexpr std::size_t capacity = Capacity;

  constexpr basic_sdr_repository() noexcept = default;

  // --- building ------------------------------------------------------------------------------

  /// Adds a whole record (header first; the record ID in it is ignored and replaced by the one
  /// the repository assigns). Refused, and nothing changes: `full` (and the overflow flag set),
  /// `bad_record` (fewer than 5 bytes, an SDR version other than 51h, a length byte that does
  /// not count the rest, more than sdr_slot_size bytes, a Full or Compact Sensor Record that
  /// does not parse), `duplicate_sensor`. Otherwise the last add time is `now`'s whole seconds
  /// and the reservation is cancelled; a sensor record's sensor starts as sensor_state's
  /// defaults, with scanning and events as its initialization byte says.
  constexpr sdr_add_result add(std::span<const std::uint8_t> record, time_point now) noexcept {
    const auto h = cmd::sdr_header::parse(record.first(record.size() < cmd::sdr_header_size ? record.size()
                                                                                             : cmd::sdr_header_size));
    if (!h || h.value.record_size() != record.size() || record.size() > sdr_slot_size) return {sdr_add_error::bad_record, 0};
    slot s{};
    for (std::size_t i = 0; i < record.size(); ++i) s[i] = record[i];
    const auto key = sensor_key(s);
    if (is_sensor(h.value.record_type) && !key) return {sdr_add_error::bad_record, 0};
    if (key && find_sensor(key->sensor_number, key->owner_lun) != count_) return {sdr_add_error::duplicate_sensor, 0};
    if (count_ == Capacity) {
      overflow_ = true;
      return {sdr_add_error::full, 0};
    }
    const std::uint16_t id = free_id();
    s[0] = static_cast<std::uint8_t>(id);
    s[1] = static_cast<std::uint8_t>(id >> 8);
    sensor_state st{};
    if (key) {
      st.scanning = (key->initialization & sensor_init::scanning_on) != 0;
      st.events = (key->initialization & sensor_init::events_on) != 0;
    }
    records_[count_] = s;
    sizes_[count_] = static_cast<std::uint8_t>(record.size());
    sensors_[count_] = st;
    ++count_;
    next_id_ = detail::id_after(id);
    last_add_ = seconds(now);
    reservation_.cancel();  // IPMI v2.0 §33.11: a change to the repository cancels the reservation
    return {sdr_add_error::ok, id};
  }

  /// Adds a typed record of cmd/sdr.hpp (its record_id is ignored), as add(bytes, now).
  template <class Record>
    requires requires(const Record& r, std::span<std::uint8_t> out) {
      { r.encode(out) } -> std::same_as<cmd::encoded>;
    }
  constexpr sdr_add_result add(const Record& record, time_point now) noexcept {
    slot s{};
    const cmd::encoded e = record.encode(s);
    if (!e) return {sdr_add_error::bad_record, 0};
    return add(std::span<const std::uint8_t>(s).first(e.size), now);
  }

  /// Erases the record `record_id` (0000h the first, FFFFh the last); false when there is none.
  /// The last erase time is `now`'s whole seconds and the reservation is cancelled.
  constexpr bool erase(std::uint16_t record_id, time_point now) noexcept {
    const std::size_t i = find(record_id);
    if (i == count_) return false;
    for (std::size_t j = i; j + 1 < count_; ++j) {
      records_[j] = records_[j + 1];
      sizes_[j] = sizes_[j + 1];
      sensors_[j] = sensors_[j + 1];
    }
    --count_;
    records_[count_] = slot{};
    erased(now);
    return true;
  }

  /// Erases every record and the overflow flag; the last erase time is `now`'s whole seconds.
  constexpr void clear(time_point now) noexcept {
    for (std::size_t i = 0; i < count_; ++i) records_[i] = slot{};
    count_ = 0;
    overflow_ = false;
    erased(now);
  }

  /// Clears the repository and adds the records `config` names, in its order: the MC Device
  /// Locator, FRU 0's locator, the watchdog sensor, the threshold and the discrete sensors.
  /// On the first refusal nothing has changed, and it is returned; otherwise the result of
  /// the last add. Record IDs restart at 0001h.
  constexpr sdr_add_result build(const sdr_config& config, time_point now) noexcept {
    basic_sdr_repository next = *this;
    if (!next.empty() || next.overflow_) next.clear(now);  // an erase only when there was something to erase
    next.next_id_ = sdr_first_record_id;
    sdr_add_result r = next.add(config.controller(), now);
    if (r) r = next.add(config.fru(), now);
    if (r && config.watchdog) r = next.add(watchdog_sensor(config.watchdog_number).record(), now);
    for (const auto& t : config.threshold_sensors)
      if (r) r = next.add(t.record(), now);
    for (const auto& d : config.discrete_sensors)
      if (r) r = next.add(d.record(), now);
    if (r) *this = next;
    return r;
  }

  // --- the SDR commands -----------------------------------------------------------------------

  /// Get SDR Repository Info (IPMI v2.0 §33.9): version 51h, the records, the free space (the
  /// free slots' bytes, FFFEh at most), the last add and erase times (sdr_time_never: none),
  /// the overflow flag; update support unspecified; Reserve supported, and no Delete, Partial
  /// Add or Get Allocation Info (the repository is the BMC's configuration, not the client's).
  [[nodiscard]] constexpr cmd::get_sdr_repository_info::response info() const noexcept {
    auto r = detail::repository_info<cmd::get_sdr_repository_info::response>(cmd::sdr_version, last_add_, last_erase_,
                                                                              overflow_);
    r.record_count = static_cast<std::uint16_t>(count_);
    r.free_space = detail::free_space((Capacity - count_) * sdr_slot_size, sdr_free_space_limit);
    return r;
  }

  /// Reserve SDR Repository (IPMI v2.0 §33.11): a new reservation ID, never 0, which replaces
  /// the previous one. Any add, erase, clear or build cancels it.
  constexpr std::uint16_t reserve() noexcept { return reservation_.take(); }

  /// Whether `id` is the outstanding reservation (0 never is).
  [[nodiscard]] constexpr bool reservation_valid(std::uint16_t id) const noexcept { return reservation_.valid(id); }

  /// The most record bytes one Get SDR returns (FFh: a whole record always fits); a read of
  /// more is 0xCA, and ipmitool shrinks its chunk until it fits (a BMC behind a small buffer).
  constexpr void set_max_read(std::uint8_t bytes) noexcept { max_read_ = bytes; }
  [[nodiscard]] constexpr std::uint8_t max_read() const noexcept { return max_read_; }

  /// Get SDR (IPMI v2.0 §33.12). Refused, in this order:
  ///   - 0xC5 a reservation that is not the outstanding one; reservation 0 is accepted only at
  ///     offset 0 (§33.12: the reservation is required for partial reads at a non-zero offset);
  ///   - 0xCB no such record (0000h is the first, FFFFh the last; an empty repository has none);
  ///   - 0xC9 an offset at or past the record's end; 0xCC 0 bytes to read;
  ///   - 0xCA a count reaching past the record's end, or more than max_read() (FFh reads from
  ///     the offset to the end, and is 0xCA too when that is more than max_read()).
  /// The next record ID is FFFFh after the last.
  constexpr completion_code get(const cmd::get_sdr::request& rq, cmd::get_sdr::response& out) const noexcept {
    if (rq.bytes_to_read == 0) return completion_code::invalid_data_field;  // nothing to read: checked first
    if (rq.reservation_id != 0 ? !reservation_valid(rq.reservation_id) : rq.offset != 0)
      return completion_code::reservation_canceled;
    const std::size_t i = find(rq.record_id);
    if (i == count_) return completion_code::requested_sensor_not_present;  // 0xCB: requested record not present
    const detail::record_range range = detail::read_range(sizes_[i], rq.offset, rq.bytes_to_read);
    if (range.code != completion_code::success) return range.code;
    if (max_read_ != cmd::read_whole_record && range.count > max_read_) return completion_code::cannot_return_requested_bytes;
    out.next_record_id = ids().after_index(i);
    (void)out.assign(std::span<const std::uint8_t>(records_[i]).subspan(rq.offset, range.count));
    return completion_code::success;
  }

  // --- the sensors ----------------------------------------------------------------------------

  /// Sets sensor `number`'s raw reading (and makes it available); 0xCB when no sensor record
  /// has that number on `lun`. The same for set_states (a discrete sensor's offsets, bit n =
  /// offset n), set_scanning, set_events and set_unavailable.
  constexpr completion_code set_reading(std::uint8_t number, std::uint8_t raw, std::uint8_t lun = 0) noexcept {
    return update(number, lun, [raw](sensor_state& s) {
      s.reading = raw;
      s.unavailable = false;
    });
  }
  constexpr completion_code set_states(std::uint8_t number, std::uint16_t states, std::uint8_t lun = 0) noexcept {
    return update(number, lun, [states](sensor_state& s) {
      s.states = static_cast<std::uint16_t>(states & 0x7FFF);
      s.unavailable = false;
    });
  }
  constexpr completion_code set_scanning(std::uint8_t number, bool on, std::uint8_t lun = 0) noexcept {
    return update(number, lun, [on](sensor_state& s) { s.scanning = on; });
  }
  constexpr completion_code set_events(std::uint8_t number, bool on, std::uint8_t lun = 0) noexcept {
    return update(number, lun, [on](sensor_state& s) { s.events = on; });
  }
  constexpr completion_code set_unavailable(std::uint8_t number, bool unavailable, std::uint8_t lun = 0) noexcept {
    return update(number, lun, [unavailable](sensor_state& s) { s.unavailable = unavailable; });
  }

  /// Sensor `number`'s state on `lun`, or null.
  [[nodiscard]] constexpr const sensor_state* sensor(std::uint8_t number, std::uint8_t lun = 0) const noexcept {
    const std::size_t i = find_sensor(number, lun);
    return i == count_ ? nullptr : &sensors_[i];
  }

  /// Get Sensor Reading (IPMI v2.0 §35.14); 0xCB for a sensor no record describes. A threshold
  /// sensor (event/reading type 01h) answers 3 bytes: byte 3 has a bit for each threshold its
  /// record compares (the threshold reading masks), set when the reading is at or below a lower
  /// threshold or at or above an upper one, compared as the record's analog format signs them
  /// (0 while the reading is unavailable); [7:6] are 1. A discrete sensor answers 4 bytes: its
  /// states within the record's reading mask, 0-7 in byte 3 and 8-14 in byte 4, whose b7 is 1.
  constexpr completion_code reading(std::uint8_t number, std::uint8_t lun,
                                    cmd::get_sensor_reading::response& out) const noexcept {
    const std::size_t i = find_sensor(number, lun);
    if (i == count_) return completion_code::requested_sensor_not_present;
    const sensor_state& s = sensors_[i];
    const auto key = sensor_key(records_[i]);
    out.reading = s.reading;
    out.event_messages_enabled = s.events;
    out.scanning_enabled = s.scanning;
    out.reading_unavailable = s.unavailable;
    if (key->event_reading_type == cmd::event_reading_type_threshold) {
      out.state = static_cast<std::uint8_t>(reading_threshold_reserved | (s.unavailable ? 0u : comparison(i)));
      out.has_extended_state = false;
    } else {
      const auto st = static_cast<unsigned>(s.states & key->reading_mask);
      out.state = static_cast<std::uint8_t>(st & 0xFFu);
      out.has_extended_state = true;
      out.extended_state = static_cast<std::uint8_t>(reading_discrete_reserved | ((st >> 8) & 0x7Fu));
    }
    return completion_code::success;
  }

  /// Get Sensor Thresholds (IPMI v2.0 §35.9): the readable mask (the record's bytes 18 [5:0])
  /// and the raw thresholds of a Full Sensor Record's threshold sensor (0 for one not
  /// readable). 0xCB no such sensor; 0xCD a sensor that is not a threshold sensor with a
  /// full record (a compact record carries no threshold values).
  constexpr completion_code thresholds(std::uint8_t number, std::uint8_t lun,
                                       cmd::get_sensor_thresholds::response& out) const noexcept {
    const std::size_t i = find_sensor(number, lun);
    if (i == count_) return completion_code::requested_sensor_not_present;
    const auto full = full_record(i);
    if (!full || full.value.key.event_reading_type != cmd::event_reading_type_threshold)
      return completion_code::command_illegal_for_sensor;
    const cmd::full_sensor_record& r = full.value;
    const auto readable = static_cast<std::uint8_t>(r.key.reading_mask & cmd::threshold_bit::all);
    const auto pick = [readable](std::uint8_t bit, std::uint8_t v) { return (readable & bit) != 0 ? v : std::uint8_t{0}; };
    out.readable = readable;
    out.lower_non_critical = pick(cmd::threshold_bit::lower_non_critical, r.lower_non_critical);
    out.lower_critical = pick(cmd::threshold_bit::lower_critical, r.lower_critical);
    out.lower_non_recoverable = pick(cmd::threshold_bit::lower_non_recoverable, r.lower_non_recoverable);
    out.upper_non_critical = pick(cmd::threshold_bit::upper_non_critical, r.upper_non_critical);
    out.upper_critical = pick(cmd::threshold_bit::upper_critical, r.upper_critical);
    out.upper_non_recoverable = pick(cmd::threshold_bit::upper_non_recoverable, r.upper_non_recoverable);
    return completion_code::success;
  }

  /// reading() and thresholds() as add_sdr_commands registers them: the sensor is looked up on
  /// the LUN the request came to.
  constexpr completion_code get_sensor_reading(const cmd::sensor_number_request& rq,
                                               cmd::get_sensor_reading::response& out, const request& r) const noexcept {
    return reading(rq.sensor_number, static_cast<std::uint8_t>(r.target), out);
  }
  constexpr completion_code get_sensor_thresholds(const cmd::sensor_number_request& rq,
                                                  cmd::get_sensor_thresholds::response& out,
                                                  const request& r) const noexcept {
    return thresholds(rq.sensor_number, static_cast<std::uint8_t>(r.target), out);
  }

  // --- the contents ---------------------------------------------------------------------------

  [[nodiscard]] constexpr std::size_t size() const noexcept { return count_; }
  [[nodiscard]] constexpr bool empty() const noexcept { return count_ == 0; }
  [[nodiscard]] constexpr bool overflow() const noexcept { return overflow_; }
  /// The bytes of the i-th record (i < size()), as Get SDR returns them whole.
  [[nodiscard]] constexpr std::span<const std::uint8_t> bytes_at(std::size_t i) const noexcept {
    return std::span<const std::uint8_t>(records_[i]).first(sizes_[i]);
  }
  /// The ID of the i-th record.
  [[nodiscard]] constexpr std::uint16_t id_at(std::size_t i) const noexcept {
    return static_cast<std::uint16_t>(records_[i][0] | (records_[i][1] << 8));
  }
  [[nodiscard]] constexpr bool contains(std::uint16_t record_id) const noexcept {
    return ids().contains(record_id);
  }

 private:
  static constexpr bool is_sensor(std::uint8_t type) noexcept {
    return type == cmd::sdr_type::full_sensor || type == cmd::sdr_type::compact_sensor;
  }
  /// A sensor record's key, or nothing for another record (or a sensor record that does not parse).
  struct optional_key {
    bool present = false;
    cmd::sensor_record_key value{};
    [[nodiscard]] constexpr explicit operator bool() const noexcept { return present; }
    [[nodiscard]] constexpr const cmd::sensor_record_key* operator->() const noexcept { return &value; }
  };
  static constexpr optional_key sensor_key(const slot& s) noexcept {
    const std::span<const std::uint8_t> b(s.data(), cmd::sdr_header_size + s[4]);
    if (s[3] == cmd::sdr_type::full_sensor) {
      const auto r = cmd::full_sensor_record::parse(b);
      return {static_cast<bool>(r), r.value.key};
    }
    if (s[3] == cmd::sdr_type::compact_sensor) {
      const auto r = cmd::compact_sensor_record::parse(b);
      return {static_cast<bool>(r), r.value.key};
    }
    return {};
  }
  [[nodiscard]] constexpr cmd::parsed<cmd::full_sensor_record> full_record(std::size_t i) const noexcept {
    return cmd::full_sensor_record::parse(bytes_at(i));
  }
  /// The threshold comparison bits of sensor record i at its present reading.
  [[nodiscard]] constexpr unsigned comparison(std::size_t i) const noexcept {
    const auto full = full_record(i);
    if (!full) return 0;  // a compact threshold sensor: no threshold values to compare with
    const cmd::full_sensor_record& r = full.value;
    const unsigned compared = ((r.key.assertion_mask >> 12) & 0x07u) | (((r.key.deassertion_mask >> 12) & 0x07u) << 3);
    const auto value = [&r](std::uint8_t raw) { return cmd::raw_reading_value(r.key.format(), raw); };
    const int x = value(sensors_[i].reading);
    unsigned bits = 0;
    if (x <= value(r.lower_non_critical)) bits |= cmd::threshold_bit::lower_non_critical;
    if (x <= value(r.lower_critical)) bits |= cmd::threshold_bit::lower_critical;
    if (x <= value(r.lower_non_recoverable)) bits |= cmd::threshold_bit::lower_non_recoverable;
    if (x >= value(r.upper_non_critical)) bits |= cmd::threshold_bit::upper_non_critical;
    if (x >= value(r.upper_critical)) bits |= cmd::threshold_bit::upper_critical;
    if (x >= value(r.upper_non_recoverable)) bits |= cmd::threshold_bit::upper_non_recoverable;
    return bits & compared;
  }

  template <class Change>
  constexpr completion_code update(std::uint8_t number, std::uint8_t lun, Change change) noexcept {
    const std::size_t i = find_sensor(number, lun);
    if (i == count_) return completion_code::requested_sensor_not_present;
    change(sensors_[i]);
    return completion_code::success;
  }
  /// The index of the sensor record with `number` on `lun`, or count_.
  [[nodiscard]] constexpr std::size_t find_sensor(std::uint8_t number, std::uint8_t lun) const noexcept {
    for (std::size_t i = 0; i < count_; ++i) {
      const slot& s = records_[i];
      if (is_sensor(s[3]) && s[7] == number && (s[6] & 0x03) == lun) return i;  // IPMI v2.0 §43.1: bytes 6 LUN, 7 number
    }
    return count_;
  }
  /// The record IDs, for finding a record and a free ID.
  [[nodiscard]] constexpr auto ids() const noexcept {
    return detail::record_ids{count_, [this](std::size_t i) { return id_at(i); }};
  }
  /// The index of `record_id` (0000h the first, FFFFh the last), or count_.
  [[nodiscard]] constexpr std::size_t find(std::uint16_t record_id) const noexcept { return ids().find(record_id); }
  /// next_id_, or the first ID after it no record holds (never 0000h or FFFFh).
  [[nodiscard]] constexpr std::uint16_t free_id() const noexcept { return ids().free_from(next_id_); }
  /// `now`'s whole seconds since the clock's epoch, held to 0-FFFFFFFEh (FFFFFFFFh is "never").
  static constexpr std::uint32_t seconds(time_point now) noexcept {
    const auto s = std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
    if (s <= 0) return 0;
    if (s >= static_cast<decltype(s)>(sdr_time_never)) return sdr_time_never - 1;
    return static_cast<std::uint32_t>(s);
  }
  constexpr void erased(time_point now) noexcept {
    last_erase_ = seconds(now);
    reservation_.cancel();  // IPMI v2.0 §33.11: a change to the repository cancels the reservation
  }

  std::array<slot, Capacity> records_{};
  std::array<std::uint8_t, Capacity> sizes_{};
  std::array<sensor_state, Capacity> sensors_{};
  std::size_t count_ = 0;
  std::uint16_t next_id_ = sdr_first_record_id;
  std::uint32_t last_add_ = sdr_time_never;
  std::uint32_t last_erase_ = sdr_time_never;
  bool overflow_ = false;
  detail::reservation reservation_{};
  std::uint8_t max_read_ = cmd::read_whole_record;
};

/// A repository whose times are UTC seconds: system_clock's epoch is 1970-01-01 00:00 UTC.
template <std::size_t Capacity>
using sdr_repository = basic_sdr_repository<Capacity, std::chrono::system_clock>;

// ---------------------------------------------------------------------------------------------
// The five commands on a dispatcher

/// A Context whose SDR repository member `Member` the commands read. No clock: none of the
/// commands changes the repository (add, erase and build are the BMC's own calls, with `now`).
template <class Context, auto Member>
concept sdr_context =
    has_member<Context, Member> && detail::sized_typed_instance_of<member_type<Member>, basic_sdr_repository>;

/// Registers Get SDR Repository Info, Reserve SDR Repository, Get SDR, Get Sensor Reading and
/// Get Sensor Thresholds, all at user privilege (IPMI v2.0 Appendix G), on `d`, reading
/// `context.*Member`. All five or none (duplicate, full). A sensor is looked up on the LUN the
/// request came to.
template <auto Member, class R = member_type<Member>>
inline constexpr command_table<Member, command<cmd::get_sdr_repository_info, &R::info, privilege::user>,
                               command<cmd::reserve_sdr_repository, &R::reserve, privilege::user>,
                               command<cmd::get_sdr, &R::get, privilege::user>,
                               command<cmd::get_sensor_reading, &R::get_sensor_reading, privilege::user>,
                               command<cmd::get_sensor_thresholds, &R::get_sensor_thresholds, privilege::user>>
    add_sdr_commands{};

}  // namespace ipmikit::bmc
