// ipmikit/kcs/registers.hpp — the vocabulary of the KCS (Keyboard Controller Style) system
// interface (IPMI v2.0 §9): the status register's bits and states, the control codes a host
// writes, and the interface status codes the GET_STATUS/ABORT sequence returns.
//
// A KCS interface is two byte-wide host registers (IPMI v2.0 §9.3):
//
//   offset 0  read: Data_Out (clears OBF)       write: Data_In (sets IBF, clears C/D)
//   offset 1  read: Status                      write: Command (sets IBF, sets C/D)
//
// Conventionally at I/O ports 0xCA2/0xCA3 (QEMU isa-ipmi-kcs default, SMBIOS type 38).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "../detail/enum_name.hpp"

namespace ipmikit::kcs {

// ---------------------------------------------------------------------------------------------
// Registers

/// A host register, by its offset from the interface's base address (IPMI v2.0 §9.3).
enum class register_offset : std::uint8_t {
  data = 0,    // read Data_Out, write Data_In
  status = 1,  // read Status, write Command
};

inline constexpr std::uint16_t default_data_port = 0xCA2;    // QEMU isa-ipmi-kcs `ioport` default
inline constexpr std::uint16_t default_status_port = 0xCA3;  // data port + 1

/// The largest request or response a KCS machine buffers by default: Linux's
/// IPMI_MAX_MSG_LENGTH (ipmi_msgdefs.h), which covers 256 data bytes and the header.
/// Every machine takes its own capacity as a template argument.
inline constexpr std::size_t default_capacity = 272;

// ---------------------------------------------------------------------------------------------
// Status register (IPMI v2.0 §9.7, Table 9-1)

/// The four interface states in status bits 7:6 (IPMI v2.0 Table 9-2).
enum class state : std::uint8_t {
  idle = 0,   // no transfer in progress
  read = 1,   // the BMC is transferring a response to the host
  write = 2,  // the BMC is receiving a request from the host
  error = 3,  // the BMC saw a protocol error; the host must run GET_STATUS/ABORT
};

[[nodiscard]] constexpr std::string_view name(state s) noexcept {
  return ipmikit::detail::enum_name<state, 4>(s, {"idle", "read", "write", "error"});
}

/// Status register bits (IPMI v2.0 Table 9-1; Linux kcs_bmc KCS_STATUS_*).
namespace status_bit {
inline constexpr std::uint8_t obf = 0x01;        // Output Buffer Full: Data_Out holds a byte for the host
inline constexpr std::uint8_t ibf = 0x02;        // Input Buffer Full: the BMC has not taken the host's write
inline constexpr std::uint8_t sms_atn = 0x04;    // the BMC has a message or event for system software
inline constexpr std::uint8_t command_data = 0x08;  // C/D#: the last host write went to Command
inline constexpr std::uint8_t oem1 = 0x10;       // OEM use
inline constexpr std::uint8_t oem2 = 0x20;       // OEM use
inline constexpr std::uint8_t state_mask = 0xC0;  // S1:S0, see `state`
inline constexpr unsigned state_shift = 6;
inline constexpr std::uint8_t oem_mask = oem1 | oem2;
}  // namespace status_bit

/// A status register value with named accessors. Implicitly built from and turned back into
/// the raw byte, so it can be compared and printed either way.
struct status {
  std::uint8_t value = 0;

  constexpr status() noexcept = default;
  constexpr status(std::uint8_t raw) noexcept : value(raw) {}  // NOLINT: a register value
  constexpr status(kcs::state s, std::uint8_t flags) noexcept
      : value(static_cast<std::uint8_t>((static_cast<unsigned>(s) << status_bit::state_shift) |
                                        (flags & unsigned{0x3F}))) {}

  [[nodiscard]] constexpr operator std::uint8_t() const noexcept { return value; }

  [[nodiscard]] constexpr kcs::state state() const noexcept {
    return static_cast<kcs::state>(value >> status_bit::state_shift);
  }
  [[nodiscard]] constexpr bool obf() const noexcept { return (value & status_bit::obf) != 0; }
  [[nodiscard]] constexpr bool ibf() const noexcept { return (value & status_bit::ibf) != 0; }
  [[nodiscard]] constexpr bool sms_atn() const noexcept { return (value & status_bit::sms_atn) != 0; }
  [[nodiscard]] constexpr bool command_data() const noexcept {
    return (value & status_bit::command_data) != 0;
  }
  [[nodiscard]] constexpr std::uint8_t oem() const noexcept {
    return static_cast<std::uint8_t>((value & status_bit::oem_mask) >> 4);
  }
};

// ---------------------------------------------------------------------------------------------
// Control codes (IPMI v2.0 §9.10, Table 9-3)

enum class control_code : std::uint8_t {
  get_status_abort = 0x60,  // Command register: abort any transfer, then report the status code
  write_start = 0x61,       // Command register: the first step of writing a request
  write_end = 0x62,         // Command register: the next data byte is the request's last
  read = 0x68,              // Data_In (not Command): "got that byte, send the next"
};

/// The enumerator's name, or an empty view for a byte that is no control code.
[[nodiscard]] constexpr std::string_view name(control_code c) noexcept {
  switch (c) {
    case control_code::get_status_abort: return "get_status_abort";
    case control_code::write_start: return "write_start";
    case control_code::write_end: return "write_end";
    case control_code::read: return "read";
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Interface status codes (IPMI v2.0 §9.11, Table 9-4): the byte the BMC returns in the
// GET_STATUS/ABORT sequence. 0x40–0x7E are OEM codes; the rest are reserved.
enum class error_code : std::uint8_t {
  no_error = 0x00,
  aborted_by_command = 0x01,    // the host's GET_STATUS/ABORT ended a transfer in progress
  illegal_control_code = 0x02,  // an unknown control code, or a control code out of place
  length_error = 0x06,          // the request overran the BMC's buffer (or underran)
  unspecified = 0xFF,
};

/// The enumerator's name, or an empty view for reserved and OEM codes.
[[nodiscard]] constexpr std::string_view name(error_code e) noexcept {
  switch (e) {
    case error_code::no_error: return "no_error";
    case error_code::aborted_by_command: return "aborted_by_command";
    case error_code::illegal_control_code: return "illegal_control_code";
    case error_code::length_error: return "length_error";
    case error_code::unspecified: return "unspecified";
  }
  return {};
}

/// True for the OEM range of interface status codes (IPMI v2.0 Table 9-4).
[[nodiscard]] constexpr bool is_oem(error_code e) noexcept {
  return static_cast<std::uint8_t>(e) >= 0x40 && static_cast<std::uint8_t>(e) <= 0x7E;
}

/// The byte hosts write to Data_In in step 2 of the GET_STATUS/ABORT sequence, and the
/// dummy byte a BMC puts in Data_Out when it only needs to set OBF (IPMI v2.0 §9.15).
inline constexpr std::uint8_t dummy_byte = 0x00;

}  // namespace ipmikit::kcs
