// ipmikit/bt/registers.hpp — the vocabulary of the BT (Block Transfer) system interface
// (IPMI v2.0 §11): the control register's bits, the interrupt mask register's bits, and the
// layout of a BT message in the buffers.
//
// A BT interface is three byte-wide host registers (IPMI v2.0 §11.6):
//
//   offset 0  BT_CTRL    read: status bits          write: 1 bits are actions (set, clear, toggle)
//   offset 1  buffer     read: BMC2HOST, next byte  write: HOST2BMC, next byte (pointers auto-advance)
//   offset 2  BT_INTMASK read/write: interrupt enable, pending interrupt, BMC hardware reset
//
// Conventionally at I/O ports 0xE4–0xE6 (QEMU isa-ipmi-bt default; Linux bt-bmc BT_IO_BASE).
//
// A message in either buffer starts with a length byte counting the bytes after it:
//   request   Length, NetFn/LUN, Seq, Cmd, Data…
//   response  Length, NetFn/LUN, Seq, Cmd, Completion code, Data…
// Seq is the requester's, echoed in the response to match the two (IPMI v2.0 §11.5).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "../message.hpp"

namespace ipmikit::bt {

// ---------------------------------------------------------------------------------------------
// Registers

/// A host register, by its offset from the interface's base address (IPMI v2.0 §11.6).
enum class register_offset : std::uint8_t {
  control = 0,         // BT_CTRL
  buffer = 1,          // BMC2HOST (read) / HOST2BMC (write)
  interrupt_mask = 2,  // BT_INTMASK
};

inline constexpr std::uint16_t default_control_port = 0xE4;  // QEMU isa-ipmi-bt `ioport` default
inline constexpr std::uint16_t default_buffer_port = 0xE5;
inline constexpr std::uint16_t default_interrupt_mask_port = 0xE6;

/// The largest message a BT machine buffers by default, length byte included: the length byte
/// can count at most 255 bytes (Linux bt-bmc BT_BMC_BUFFER_SIZE is 256 too).
inline constexpr std::size_t default_capacity = 256;

// ---------------------------------------------------------------------------------------------
// BT_CTRL (IPMI v2.0 §11.6.1, Table 11-1; Linux ipmi_bt_sm BT_* and bt-bmc BT_CTRL_*)

namespace control_bit {
inline constexpr std::uint8_t clr_wr_ptr = 0x01;  // host writes 1: HOST2BMC write pointer to 0
inline constexpr std::uint8_t clr_rd_ptr = 0x02;  // host writes 1: BMC2HOST read pointer to 0
inline constexpr std::uint8_t h2b_atn = 0x04;     // host writes 1: a request is in HOST2BMC
inline constexpr std::uint8_t b2h_atn = 0x08;     // BMC: a response is in BMC2HOST; host writes 1 to clear
inline constexpr std::uint8_t sms_atn = 0x10;     // BMC: a message/event for system software; host writes 1 to clear
inline constexpr std::uint8_t oem0 = 0x20;        // OEM use
inline constexpr std::uint8_t h_busy = 0x40;      // host: reading BMC2HOST; host writes 1 to toggle
inline constexpr std::uint8_t b_busy = 0x80;      // BMC: working on HOST2BMC; read-only to the host
}  // namespace control_bit

/// A BT_CTRL value read by the host, with named accessors.
struct control {
  std::uint8_t value = 0;

  constexpr control() noexcept = default;
  constexpr control(std::uint8_t raw) noexcept : value(raw) {}  // NOLINT: a register value
  [[nodiscard]] constexpr operator std::uint8_t() const noexcept { return value; }

  [[nodiscard]] constexpr bool h2b_atn() const noexcept { return (value & control_bit::h2b_atn) != 0; }
  [[nodiscard]] constexpr bool b2h_atn() const noexcept { return (value & control_bit::b2h_atn) != 0; }
  [[nodiscard]] constexpr bool sms_atn() const noexcept { return (value & control_bit::sms_atn) != 0; }
  [[nodiscard]] constexpr bool oem0() const noexcept { return (value & control_bit::oem0) != 0; }
  [[nodiscard]] constexpr bool h_busy() const noexcept { return (value & control_bit::h_busy) != 0; }
  [[nodiscard]] constexpr bool b_busy() const noexcept { return (value & control_bit::b_busy) != 0; }
};

/// The name of one BT_CTRL bit ("b2h_atn"), or an empty view for a value that is not one bit.
[[nodiscard]] constexpr std::string_view control_bit_name(std::uint8_t bit) noexcept {
  switch (bit) {
    case control_bit::clr_wr_ptr: return "clr_wr_ptr";
    case control_bit::clr_rd_ptr: return "clr_rd_ptr";
    case control_bit::h2b_atn: return "h2b_atn";
    case control_bit::b2h_atn: return "b2h_atn";
    case control_bit::sms_atn: return "sms_atn";
    case control_bit::oem0: return "oem0";
    case control_bit::h_busy: return "h_busy";
    case control_bit::b_busy: return "b_busy";
    default: return {};
  }
}

// ---------------------------------------------------------------------------------------------
// BT_INTMASK (IPMI v2.0 §11.6.2, Table 11-2; Linux ipmi_si IPMI_BT_INTMASK_*, bt-bmc BT_INTMASK_*)

namespace interrupt_bit {
inline constexpr std::uint8_t b2h_irq_enable = 0x01;  // host: interrupt when the BMC sets B2H_ATN
inline constexpr std::uint8_t b2h_irq = 0x02;         // an interrupt is pending; host writes 1 to clear
inline constexpr std::uint8_t oem_mask = 0x1C;        // OEM bits 2–4
inline constexpr std::uint8_t bmc_hwrst = 0x80;       // host writes 1: reset the BMC (optional)
}  // namespace interrupt_bit

// ---------------------------------------------------------------------------------------------
// Message layout (IPMI v2.0 §11.5, Tables 11-3/11-4)

namespace layout {
inline constexpr std::size_t length = 0;           // bytes that follow the length byte
inline constexpr std::size_t netfn_lun = 1;
inline constexpr std::size_t seq = 2;
inline constexpr std::size_t cmd = 3;
inline constexpr std::size_t completion_code = 4;  // responses only
inline constexpr std::size_t request_data = 4;
inline constexpr std::size_t response_data = 5;
inline constexpr std::size_t min_request = 4;      // length, netfn/LUN, seq, cmd
inline constexpr std::size_t min_response = 5;     // … and the completion code
}  // namespace layout

// ---------------------------------------------------------------------------------------------
// Get BT Interface Capabilities (App netfn, cmd 0x36; IPMI v2.0 §22.10)

inline constexpr std::uint8_t get_bt_capabilities_cmd = commands::get_bt_interface_capabilities.code;

/// What a BMC says about its BT interface. The defaults are what a host assumes before it asks
/// (Linux ipmi_bt_sm: 5 s, 2 retries; 64-byte buffers, the spec's minimum).
struct interface_capabilities {
  std::uint8_t outstanding_requests = 1;
  std::uint8_t input_buffer_size = 64;   // largest request, length byte excluded (OpenBMC)
  std::uint8_t output_buffer_size = 64;  // largest response, likewise
  std::uint8_t response_time_seconds = 5;
  std::uint8_t retries = 2;

  friend constexpr bool operator==(const interface_capabilities&, const interface_capabilities&) noexcept = default;
};

/// Parses a Get BT Interface Capabilities response (netfn/LUN, cmd, completion code, 5 data
/// bytes). Nullopt unless it is one, with completion code 0 and all five bytes.
[[nodiscard]] constexpr std::optional<interface_capabilities> parse_capabilities(
    std::span<const std::uint8_t> response) noexcept {
  if (response.size() < response_view::min_size + 5 ||
      netfn_of(response[0]) != response_netfn(netfn::app) || response[1] != get_bt_capabilities_cmd ||
      static_cast<completion_code>(response[2]) != completion_code::success)
    return std::nullopt;
  return interface_capabilities{response[3], response[4], response[5], response[6], response[7]};
}

}  // namespace ipmikit::bt
