// ipmikit/cmd/sensor.hpp — typed Sensor/Event commands (NetFn 04h): sensor reading, sensor
// thresholds, platform event message.
//
// The conventions (encode/parse/min_size/max_size, what the data bytes are) are codec.hpp's.
// Layouts: IPMI v2.0 §29.3 (Platform Event Message), §35.9 (Get Sensor Thresholds), §35.14
// (Get Sensor Reading); ../shared/reference/bmc-commands.md §5.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "codec.hpp"
#include "sel.hpp"  // detail::event_fields: the event fields a SEL record carries too

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
struct sensor_number_layout {
  std::uint8_t sensor_number = 0;

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept { io.u8(v.sensor_number); }
  friend constexpr bool operator==(const sensor_number_layout&, const sensor_number_layout&) noexcept = default;
};
using sensor_number_request = detail::with_codec<sensor_number_layout>;

// ---------------------------------------------------------------------------------------------
// Get Sensor Reading (IPMI v2.0 §35.14)

struct get_sensor_reading {
  static constexpr command_id id = commands::get_sensor_reading;
  using request = sensor_number_request;

  /// Byte 1 the raw reading; byte 2 the flags ([4:0] reserved); byte 3 the threshold comparison
  /// status (threshold_bit) or discrete states 0–7; byte 4, optional, discrete states 8–14.
  struct response_layout {
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

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      io.u8(v.reading);
      io.bits([&](auto& b) {
        b.flags({7, 6, 5}, v.event_messages_enabled, v.scanning_enabled, v.reading_unavailable);
        b.reserved(0x1F);  // IPMI v2.0 §35.14: byte 2 [4:0]
      });
      io.u8(v.state);
      if (io.more(v.has_extended_state)) io.u8(v.extended_state);
    }
    friend constexpr bool operator==(const response_layout&, const response_layout&) noexcept = default;
  };
  using response = detail::with_codec<response_layout>;
};

// ---------------------------------------------------------------------------------------------
// Get Sensor Thresholds (IPMI v2.0 §35.9)

struct get_sensor_thresholds {
  static constexpr command_id id = commands::get_sensor_thresholds;
  using request = sensor_number_request;

  /// Byte 1 the readable mask (threshold_bit), bytes 2–7 the raw LNC, LC, LNR, UNC, UC, UNR.
  struct response_layout {
    std::uint8_t readable = 0;  // threshold_bit values
    std::uint8_t lower_non_critical = 0;
    std::uint8_t lower_critical = 0;
    std::uint8_t lower_non_recoverable = 0;
    std::uint8_t upper_non_critical = 0;
    std::uint8_t upper_critical = 0;
    std::uint8_t upper_non_recoverable = 0;

    /// bmc-commands.md §5: the mask, then the six thresholds.
    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      io.bits([&](auto& b) {
        b.field(0, threshold_bit::all, v.readable);
        b.reserved(0xC0);  // IPMI v2.0 §35.9: [7:6]
      });
      for (auto* t : {&v.lower_non_critical, &v.lower_critical, &v.lower_non_recoverable, &v.upper_non_critical,
                      &v.upper_critical, &v.upper_non_recoverable})
        io.u8(*t);
    }
    friend constexpr bool operator==(const response_layout&, const response_layout&) noexcept = default;
  };
  using response = detail::with_codec<response_layout>;
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

  template <class IO, class V>
  static constexpr void fields(IO& io, V& v) noexcept {
    detail::event_fields(io, v);
    // Event data 2 and 3 are optional: as many as are sent, 1 to 3.
    if constexpr (IO::reading)
      v.event_data_length = static_cast<std::uint8_t>(std::clamp<std::size_t>(io.raw().remaining(), 1, 3));
    io.require(v.event_data_length >= 1 && v.event_data_length <= 3);
    for (std::size_t i = 0; i < std::clamp<std::size_t>(v.event_data_length, 1, 3); ++i) io.u8(v.event_data[i]);
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

  struct request_layout {
    static constexpr std::size_t min_size = event_message::min_size;
    static constexpr std::size_t max_size = event_message::max_size;

    event_message event{};

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept { event_message::fields(io, v.event); }
    friend constexpr bool operator==(const request_layout&, const request_layout&) noexcept = default;
  };
  using request = detail::with_codec<request_layout>;

  using response = no_data;
};

/// The system interface form: the generator ID byte first ([7:1] software ID or slave address,
/// b0 1 = software ID; bmc-commands.md §3's generator ID byte 7), then the event.
struct platform_event_message_with_generator {
  static constexpr command_id id = commands::platform_event_message;

  struct request_layout {
    static constexpr std::size_t min_size = 1 + event_message::min_size;
    static constexpr std::size_t max_size = 1 + event_message::max_size;

    std::uint8_t generator_id = 0x41;  // IPMI v2.0 §5.5 (not in the reference): system management software, b0 = 1
    event_message event{};

    template <class IO, class V>
    static constexpr void fields(IO& io, V& v) noexcept {
      io.u8(v.generator_id);
      event_message::fields(io, v.event);
    }
    friend constexpr bool operator==(const request_layout&, const request_layout&) noexcept = default;
  };
  using request = detail::with_codec<request_layout>;

  using response = no_data;
};

}  // namespace ipmikit::cmd
