// ipmikit/cmd/sensor.hpp — typed Sensor/Event commands (NetFn 04h): sensor reading, sensor
// thresholds, platform event message.
//
// The conventions (encode/parse/min_size/max_size, what the data bytes are) are codec.hpp's.
// Layouts: IPMI v2.0 §29.3 (Platform Event Message), §35.9 (Get Sensor Thresholds), §35.14
// (Get Sensor Reading); ../shared/reference/bmc-commands.md §5.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "codec.hpp"

namespace ipmikit::cmd {

/// The threshold bits of Get Sensor Reading's byte 3 and Get Sensor Thresholds' readable mask
/// (IPMI v2.0 §35.9, §35.14; bmc-commands.md §5). [7:6] reserved.
namespace threshold_bit {
inline constexpr std::uint8_t lower_non_critical = 0x01;     // IPMI v2.0 §35.9: b0 LNC
inline constexpr std::uint8_t lower_critical = 0x02;         // IPMI v2.0 §35.9: b1 LC
inline constexpr std::uint8_t lower_non_recoverable = 0x04;  // IPMI v2.0 §35.9: b2 LNR
inline constexpr std::uint8_t upper_non_critical = 0x08;     // IPMI v2.0 §35.9: b3 UNC
inline constexpr std::uint8_t upper_critical = 0x10;         // IPMI v2.0 §35.9: b4 UC
inline constexpr std::uint8_t upper_non_recoverable = 0x20;  // IPMI v2.0 §35.9: b5 UNR
inline constexpr std::uint8_t all = 0x3F;
}  // namespace threshold_bit

/// A request of one byte, the sensor number (Get Sensor Reading, Get Sensor Thresholds).
struct sensor_number_request {
  static constexpr std::size_t min_size = 1;
  static constexpr std::size_t max_size = 1;

  std::uint8_t sensor_number = 0;

  using layout = detail::plain_layout<sensor_number_request, &sensor_number_request::sensor_number>;
  [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
    return layout::encode(*this, out);
  }
  [[nodiscard]] static constexpr parsed<sensor_number_request> parse(std::span<const std::uint8_t> data) noexcept {
    return layout::parse(data);
  }
  friend constexpr bool operator==(const sensor_number_request&, const sensor_number_request&) noexcept = default;
};

// ---------------------------------------------------------------------------------------------
// Get Sensor Reading (IPMI v2.0 §35.14)

struct get_sensor_reading {
  static constexpr command_id id = commands::get_sensor_reading;
  using request = sensor_number_request;

  /// Byte 1 the raw reading; byte 2 the flags ([4:0] reserved); byte 3 the threshold comparison
  /// status (threshold_bit) or discrete states 0–7; byte 4, optional, discrete states 8–14.
  struct response {
    static constexpr std::size_t min_size = 3;  // bmc-commands.md §5: bytes 1–3
    static constexpr std::size_t max_size = 4;  // bmc-commands.md §5: byte 4 optional

    std::uint8_t reading = 0;                // raw; the SDR converts it
    bool event_messages_enabled = false;     // byte 2 b7
    bool scanning_enabled = false;           // byte 2 b6
    bool reading_unavailable = false;        // byte 2 b5
    std::uint8_t state = 0;                  // byte 3, carried whole
    bool has_extended_state = false;         // byte 4 present
    std::uint8_t extended_state = 0;         // byte 4, carried whole

    /// The discrete states 0–14 as one mask (bit n = state n); byte 4's b7 is not a state.
    [[nodiscard]] constexpr std::uint16_t discrete_states() const noexcept {
      return static_cast<std::uint16_t>(state | (has_extended_state ? (extended_state & 0x7F) << 8 : 0));
    }
    /// Whether ipmitool shows a value ("na" otherwise: reading unavailable or scanning disabled).
    [[nodiscard]] constexpr bool usable() const noexcept { return scanning_enabled && !reading_unavailable; }

    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      writer w(out);
      w.u8(reading);
      w.u8(static_cast<std::uint8_t>((event_messages_enabled ? 0x80 : 0) | (scanning_enabled ? 0x40 : 0) |
                                     (reading_unavailable ? 0x20 : 0)));
      w.u8(state);
      if (has_extended_state) w.u8(extended_state);
      return w.result();
    }
    [[nodiscard]] static constexpr parsed<response> parse(std::span<const std::uint8_t> data) noexcept {
      reader r(data);
      response v;
      v.reading = r.u8();
      const std::uint8_t flags = r.u8();
      r.reserved_zero(flags, 0x1F);  // IPMI v2.0 §35.14: byte 2 [4:0] reserved
      v.event_messages_enabled = (flags & 0x80) != 0;
      v.scanning_enabled = (flags & 0x40) != 0;
      v.reading_unavailable = (flags & 0x20) != 0;
      v.state = r.u8();
      if (!r.at_end()) {
        v.has_extended_state = true;
        v.extended_state = r.u8();
      }
      return r.result(v);
    }
    friend constexpr bool operator==(const response&, const response&) noexcept = default;
  };
};

// ---------------------------------------------------------------------------------------------
// Get Sensor Thresholds (IPMI v2.0 §35.9)

struct get_sensor_thresholds {
  static constexpr command_id id = commands::get_sensor_thresholds;
  using request = sensor_number_request;

  /// Byte 1 the readable mask (threshold_bit), bytes 2–7 the raw LNC, LC, LNR, UNC, UC, UNR.
  struct response {
    static constexpr std::size_t min_size = 7;  // bmc-commands.md §5: mask + six thresholds
    static constexpr std::size_t max_size = 7;

    std::uint8_t readable = 0;  // threshold_bit values
    std::uint8_t lower_non_critical = 0;
    std::uint8_t lower_critical = 0;
    std::uint8_t lower_non_recoverable = 0;
    std::uint8_t upper_non_critical = 0;
    std::uint8_t upper_critical = 0;
    std::uint8_t upper_non_recoverable = 0;

    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      writer w(out);
      if ((readable & ~threshold_bit::all) != 0) w.fail(encode_error::out_of_range);
      w.u8(readable);
      w.u8(lower_non_critical);
      w.u8(lower_critical);
      w.u8(lower_non_recoverable);
      w.u8(upper_non_critical);
      w.u8(upper_critical);
      w.u8(upper_non_recoverable);
      return w.result();
    }
    [[nodiscard]] static constexpr parsed<response> parse(std::span<const std::uint8_t> data) noexcept {
      reader r(data);
      response v;
      v.readable = r.u8();
      r.reserved_zero(v.readable, 0xC0);  // IPMI v2.0 §35.9: [7:6] reserved
      v.lower_non_critical = r.u8();
      v.lower_critical = r.u8();
      v.lower_non_recoverable = r.u8();
      v.upper_non_critical = r.u8();
      v.upper_critical = r.u8();
      v.upper_non_recoverable = r.u8();
      return r.result(v);
    }
    friend constexpr bool operator==(const response&, const response&) noexcept = default;
  };
};

// ---------------------------------------------------------------------------------------------
// Platform Event Message (IPMI v2.0 §29.3)
//
// The request has two forms. Sent over IPMB or LAN it has no generator ID: the BMC takes the
// requester's address. Sent by system software on the system interface (KCS, BT, SSIF) it
// starts with the generator ID byte. Event data 2 and 3 are optional, so the lengths overlap
// (5–7 bytes without, 6–8 with) and the bytes cannot tell the forms apart: the interface the
// request came in on does. So there are two command types with the same command id and
// response: platform_event_message (no generator ID) and platform_event_message_with_generator
// (the system interface form); a BMC picks the one for the interface it read the request from.

/// EvM revision for IPMI v1.5 and v2.0 event messages (IPMI v2.0 §29.3; bmc-commands.md §5).
inline constexpr std::uint8_t event_message_revision = 0x04;  // IPMI v2.0 §29.3: EvM Rev 04h

/// The event fields both forms carry.
struct event_message {
  static constexpr std::size_t min_size = 5;  // IPMI v2.0 §29.3: through event data 1
  static constexpr std::size_t max_size = 7;  // IPMI v2.0 §29.3: with event data 2 and 3

  std::uint8_t evm_revision = event_message_revision;
  std::uint8_t sensor_type = 0;
  std::uint8_t sensor_number = 0;
  bool deassertion = false;            // b7 of the event dir/type byte: 0 assertion, 1 deassertion
  std::uint8_t event_type = 0;         // [6:0] event/reading type code
  std::array<std::uint8_t, 3> event_data{};
  std::uint8_t event_data_length = 3;  // 1–3: how many of event_data are sent

  constexpr void encode(writer& w) const noexcept {
    if (event_type > 0x7F || event_data_length < 1 || event_data_length > 3) w.fail(encode_error::out_of_range);
    w.u8(evm_revision);
    w.u8(sensor_type);
    w.u8(sensor_number);
    w.u8(static_cast<std::uint8_t>((deassertion ? 0x80 : 0) | (event_type & 0x7F)));
    const std::size_t n = event_data_length < 1 ? 1 : (event_data_length > 3 ? 3 : event_data_length);
    w.bytes(std::span<const std::uint8_t>(event_data.data(), n));
  }
  [[nodiscard]] static constexpr event_message parse(reader& r) noexcept {
    event_message v;
    v.evm_revision = r.u8();
    v.sensor_type = r.u8();
    v.sensor_number = r.u8();
    const std::uint8_t dir = r.u8();
    v.deassertion = (dir & 0x80) != 0;
    v.event_type = dir & 0x7F;
    v.event_data_length = static_cast<std::uint8_t>(r.remaining() > 3 ? 3 : (r.remaining() == 0 ? 1 : r.remaining()));
    for (std::size_t i = 0; i < v.event_data_length; ++i) v.event_data[i] = r.u8();
    return v;
  }
  /// Event data bytes past event_data_length do not count.
  friend constexpr bool operator==(const event_message& a, const event_message& b) noexcept {
    if (a.evm_revision != b.evm_revision || a.sensor_type != b.sensor_type || a.sensor_number != b.sensor_number ||
        a.deassertion != b.deassertion || a.event_type != b.event_type || a.event_data_length != b.event_data_length)
      return false;
    for (std::size_t i = 0; i < a.event_data_length && i < 3; ++i)
      if (a.event_data[i] != b.event_data[i]) return false;
    return true;
  }
};

/// The IPMB / LAN form: no generator ID.
struct platform_event_message {
  static constexpr command_id id = commands::platform_event_message;

  struct request {
    static constexpr std::size_t min_size = event_message::min_size;
    static constexpr std::size_t max_size = event_message::max_size;

    event_message event{};

    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      writer w(out);
      event.encode(w);
      return w.result();
    }
    [[nodiscard]] static constexpr parsed<request> parse(std::span<const std::uint8_t> data) noexcept {
      reader r(data);
      request v;
      v.event = event_message::parse(r);
      return r.result(v);
    }
    friend constexpr bool operator==(const request&, const request&) noexcept = default;
  };

  using response = no_data;
};

/// The system interface form: the generator ID byte first ([7:1] software ID or slave address,
/// b0 1 = software ID; bmc-commands.md §3's generator ID byte 7), then the event.
struct platform_event_message_with_generator {
  static constexpr command_id id = commands::platform_event_message;

  struct request {
    static constexpr std::size_t min_size = 1 + event_message::min_size;
    static constexpr std::size_t max_size = 1 + event_message::max_size;

    std::uint8_t generator_id = 0x41;  // IPMI v2.0 §5.5 (not in the reference): system management software, b0 = 1
    event_message event{};

    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      writer w(out);
      w.u8(generator_id);
      event.encode(w);
      return w.result();
    }
    [[nodiscard]] static constexpr parsed<request> parse(std::span<const std::uint8_t> data) noexcept {
      reader r(data);
      request v;
      v.generator_id = r.u8();
      v.event = event_message::parse(r);
      return r.result(v);
    }
    friend constexpr bool operator==(const request&, const request&) noexcept = default;
  };

  using response = no_data;
};

}  // namespace ipmikit::cmd
