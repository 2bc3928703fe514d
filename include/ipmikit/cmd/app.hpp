// ipmikit/cmd/app.hpp — typed App commands (NetFn 06h): device identity and self test.
//
// The conventions (encode/parse/min_size/max_size, what the data bytes are) are codec.hpp's.
// Layouts: IPMI v2.0 §20 (Get Device ID, Get Self Test Results, Get Device GUID) and §22.14
// (Get System GUID); ../shared/reference/bmc-commands.md §1.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "codec.hpp"

namespace ipmikit::cmd {

// ---------------------------------------------------------------------------------------------
// Get Device ID (IPMI v2.0 §20.1)

struct get_device_id {
  static constexpr command_id id = commands::get_device_id;
  using request = no_data;

  struct response {
    static constexpr std::size_t min_size = 11;  // through the product ID
    static constexpr std::size_t max_size = 15;  // with the auxiliary firmware revision

    std::uint8_t device_id = 0;
    std::uint8_t device_revision = 0;        // [3:0]
    bool provides_device_sdrs = false;       // byte 2 b7
    std::uint8_t firmware_major = 0;         // [6:0]
    bool update_in_progress = false;         // byte 3 b7: "device available" is 0 when normal
    std::uint8_t firmware_minor = 0;         // BCD, as sent
    std::uint8_t ipmi_version = 0x02;        // BCD, LS nibble major: 0x02 = 2.0, 0x51 = 1.5
    std::uint8_t additional_support = 0;     // b7 chassis, b6 bridge, … b0 sensor device
    std::uint32_t manufacturer_id = 0;       // IANA enterprise number, 20 bits
    std::uint16_t product_id = 0;
    bool has_aux_firmware_revision = false;  // the optional 4 bytes are present
    std::array<std::uint8_t, 4> aux_firmware_revision{};

    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      writer w(out);
      if (device_revision > 0x0F || firmware_major > 0x7F || manufacturer_id > 0xFFFFF)
        w.fail(encode_error::out_of_range);
      w.u8(device_id);
      w.u8(static_cast<std::uint8_t>((provides_device_sdrs ? 0x80 : 0) | device_revision));
      w.u8(static_cast<std::uint8_t>((update_in_progress ? 0x80 : 0) | firmware_major));
      w.u8(firmware_minor);
      w.u8(ipmi_version);
      w.u8(additional_support);
      w.le24(manufacturer_id);
      w.le16(product_id);
      if (has_aux_firmware_revision) w.bytes(aux_firmware_revision);
      return w.result();
    }

    [[nodiscard]] static constexpr parsed<response> parse(std::span<const std::uint8_t> data) noexcept {
      reader r(data);
      response v;
      v.device_id = r.u8();
      const std::uint8_t rev = r.u8();
      r.reserved_zero(rev, 0x70);
      v.provides_device_sdrs = (rev & 0x80) != 0;
      v.device_revision = rev & 0x0F;
      const std::uint8_t fw = r.u8();
      v.update_in_progress = (fw & 0x80) != 0;
      v.firmware_major = fw & 0x7F;
      v.firmware_minor = r.u8();
      v.ipmi_version = r.u8();
      v.additional_support = r.u8();
      v.manufacturer_id = r.le24();
      r.reserved_zero(static_cast<std::uint8_t>(v.manufacturer_id >> 16), 0xF0);
      v.manufacturer_id &= 0xFFFFF;
      v.product_id = r.le16();
      if (r.remaining() == 4) {  // optional; anything but 0 or 4 bytes more is too long
        v.has_aux_firmware_revision = true;
        r.bytes(v.aux_firmware_revision);
      }
      return r.result(v);
    }

    friend constexpr bool operator==(const response&, const response&) noexcept = default;
  };
};

// ---------------------------------------------------------------------------------------------
// Get Self Test Results (IPMI v2.0 §20.4)

/// The first response byte (IPMI v2.0 §20.4); other values are device-specific.
enum class self_test_result : std::uint8_t {
  passed = 0x55,
  not_implemented = 0x56,
  corrupted_or_inaccessible = 0x57,  // the second byte's bits say what
  fatal_hardware_error = 0x58,       // the second byte is a device-specific code
};

/// The second byte's bits when the result is corrupted_or_inaccessible.
namespace self_test_bit {
inline constexpr std::uint8_t sel_inaccessible = 0x80;
inline constexpr std::uint8_t sdr_inaccessible = 0x40;
inline constexpr std::uint8_t bmc_fru_inaccessible = 0x20;
inline constexpr std::uint8_t ipmb_lines_dead = 0x10;
inline constexpr std::uint8_t sdr_empty = 0x08;
inline constexpr std::uint8_t internal_fru_corrupted = 0x04;
inline constexpr std::uint8_t boot_block_firmware_corrupted = 0x02;
inline constexpr std::uint8_t operational_firmware_corrupted = 0x01;
}  // namespace self_test_bit

struct get_self_test_results {
  static constexpr command_id id = commands::get_self_test_results;
  using request = no_data;

  struct response {
    static constexpr std::size_t min_size = 2;
    static constexpr std::size_t max_size = 2;

    self_test_result result = self_test_result::passed;  // any byte value is carried as is
    std::uint8_t detail = 0;

    [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
      writer w(out);
      w.u8(static_cast<std::uint8_t>(result));
      w.u8(detail);
      return w.result();
    }
    [[nodiscard]] static constexpr parsed<response> parse(std::span<const std::uint8_t> data) noexcept {
      reader r(data);
      response v;
      v.result = static_cast<self_test_result>(r.u8());
      v.detail = r.u8();
      return r.result(v);
    }
    friend constexpr bool operator==(const response&, const response&) noexcept = default;
  };
};

// ---------------------------------------------------------------------------------------------
// Get Device GUID (IPMI v2.0 §20.8) and Get System GUID (§22.14)

/// A GUID as the 16 bytes on the wire. IPMI sends it least significant byte first, the reverse
/// of RFC 4122's order (IPMI v2.0 §20.8; EDK2's IpmiFeature.h says the same); ipmitool's
/// `mc guid` guesses the encoding, FreeIPMI's `-W guidformat` lets the user choose.
using guid = std::array<std::uint8_t, 16>;

/// The wire bytes of the GUID whose 16 bytes in RFC 4122 order (the order of the `8-4-4-4-12`
/// hex text QEMU's `-uuid` takes) are `rfc4122_order`: all 16 reversed.
[[nodiscard]] constexpr guid guid_from_rfc4122(const std::array<std::uint8_t, 16>& rfc4122_order) noexcept {
  guid g{};
  for (std::size_t i = 0; i < 16; ++i) g[i] = rfc4122_order[15 - i];
  return g;
}

namespace detail {
struct guid_response {
  static constexpr std::size_t min_size = 16;
  static constexpr std::size_t max_size = 16;

  guid value{};

  [[nodiscard]] constexpr encoded encode(std::span<std::uint8_t> out) const noexcept {
    writer w(out);
    w.bytes(value);
    return w.result();
  }
  [[nodiscard]] static constexpr parsed<guid_response> parse(std::span<const std::uint8_t> data) noexcept {
    reader r(data);
    guid_response v;
    r.bytes(v.value);
    return r.result(v);
  }
  friend constexpr bool operator==(const guid_response&, const guid_response&) noexcept = default;
};
}  // namespace detail

struct get_device_guid {
  static constexpr command_id id = commands::get_device_guid;
  using request = no_data;
  using response = detail::guid_response;
};

struct get_system_guid {
  static constexpr command_id id = commands::get_system_guid;
  using request = no_data;
  using response = detail::guid_response;
};

}  // namespace ipmikit::cmd
