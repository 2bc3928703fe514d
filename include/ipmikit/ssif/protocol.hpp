// ipmikit/ssif/protocol.hpp — the vocabulary of SSIF, the SMBus System Interface (IPMI v2.0
// §12): its SMBus commands, how a response is cut into 32-byte blocks, the SMBus PEC, and the
// transfers a host machine asks a bus to make.
//
// SSIF is not a register file: the host talks to the BMC, an SMBus slave at a 7-bit address,
// in whole SMBus transfers (ssif.md §1):
//
//   request   Block Write, command 02h (single-part, ≤ 32 bytes), or 06h (start, 32 bytes),
//             07h (middle, 32 bytes) …, 08h (end, 1–32 bytes)
//   response  Block Read, command 03h: the whole response if it is ≤ 32 bytes; otherwise
//             00h 01h + its first 30 bytes, then Block Reads with command 09h: a block number
//             (0, 1, …) + 31 bytes for each middle block, FFh + the last 1–31 bytes
//
// A message is NetFn/LUN, Cmd, data (response: NetFn/LUN, Cmd, cc, data), with no length,
// sequence number, slave address or checksum: SMBus's byte count and optional PEC frame it.
// The BMC NAKs a read until its response is ready; the host retries (ssif.md §4).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "../detail/enum_name.hpp"

namespace ipmikit::ssif {

// ---------------------------------------------------------------------------------------------
// SMBus commands and sizes

/// The SMBus command byte of an SSIF transfer (IPMI v2.0 §12; ssif.md §1).
enum class smbus_command : std::uint8_t {
  write_single = 0x02,  // Block Write: a whole request (IPMI v2.0 §12.2)
  read_start = 0x03,    // Block Read: a whole response, or a multi-part response's first block
  write_start = 0x06,   // Block Write: a multi-part request's first 32 bytes
  write_middle = 0x07,  // Block Write: 32 more bytes (QEMU also ends on a shorter one)
  write_end = 0x08,     // Block Write: a multi-part request's last bytes
  read_next = 0x09,     // Block Read: the next block of a multi-part response
  read_retry = 0x0A,    // a multi-part read retry (QEMU only; Linux never sends it; not served)
};

[[nodiscard]] constexpr std::string_view name(smbus_command c) noexcept {
  switch (c) {
    case smbus_command::write_single: return "write_single";
    case smbus_command::read_start: return "read_start";
    case smbus_command::write_start: return "write_start";
    case smbus_command::write_middle: return "write_middle";
    case smbus_command::write_end: return "write_end";
    case smbus_command::read_next: return "read_next";
    case smbus_command::read_retry: return "read_retry";
  }
  return {};
}

/// The most data bytes in one SMBus block transfer (SMBus 2.0 §5.5.7; ssif.md §1).
inline constexpr std::size_t block_size = 32;
/// The longest message either way: QEMU smbus-ipmi's MAX_SSIF_IPMI_MSG_SIZE is 255 (ssif.md §6).
inline constexpr std::size_t max_message = 255;
/// A multi-part response's first block starts 00h 01h and carries 30 message bytes (ssif.md §2).
inline constexpr std::uint8_t first_block_marker[2] = {0x00, 0x01};
inline constexpr std::size_t first_block_data = block_size - 2;
/// A middle block: its number, then 31 message bytes; the last block: FFh, then 1–31 bytes.
inline constexpr std::size_t next_block_data = block_size - 1;
inline constexpr std::uint8_t last_block_marker = 0xFF;  // ssif.md §2

/// ipmikit's default slave address. QEMU's smbus-ipmi defaults to 0, which Linux takes as "no
/// interface" in SMBIOS type 38 (ssif.md §6): 10h is what the tests and docs use.
inline constexpr std::uint8_t default_address = 0x10;

// ---------------------------------------------------------------------------------------------
// PEC: SMBus Packet Error Code (SMBus 2.0 §5.4.1.4), a CRC-8 with polynomial x⁸+x²+x+1 (07h),
// initial value 0, over every byte of the transfer including the address bytes.

class pec {
 public:
  constexpr pec& add(std::uint8_t byte) noexcept {
    std::uint8_t crc = static_cast<std::uint8_t>(crc_ ^ byte);
    for (int bit = 0; bit < 8; ++bit)
      crc = static_cast<std::uint8_t>((crc & 0x80) ? (crc << 1) ^ polynomial : crc << 1);
    crc_ = crc;
    return *this;
  }
  constexpr pec& add(std::span<const std::uint8_t> bytes) noexcept {
    for (std::uint8_t b : bytes) add(b);
    return *this;
  }
  [[nodiscard]] constexpr std::uint8_t value() const noexcept { return crc_; }

 private:
  static constexpr std::uint8_t polynomial = 0x07;  // SMBus 2.0 §5.4.1.4
  std::uint8_t crc_ = 0;
};

/// The PEC of a Block Write of `data` with `command` to the 7-bit `address`: over the address
/// byte (write), the command, the byte count and the data.
[[nodiscard]] constexpr std::uint8_t write_pec(std::uint8_t address, std::uint8_t command,
                                               std::span<const std::uint8_t> data) noexcept {
  return pec{}
      .add(static_cast<std::uint8_t>(address << 1))
      .add(command)
      .add(static_cast<std::uint8_t>(data.size()))
      .add(data)
      .value();
}

/// The PEC of a Block Read returning `data`: over the address byte (write), the command, the
/// address byte (read, after the repeated start), the byte count and the data.
[[nodiscard]] constexpr std::uint8_t read_pec(std::uint8_t address, std::uint8_t command,
                                              std::span<const std::uint8_t> data) noexcept {
  return pec{}
      .add(static_cast<std::uint8_t>(address << 1))
      .add(command)
      .add(static_cast<std::uint8_t>((address << 1) | 1))
      .add(static_cast<std::uint8_t>(data.size()))
      .add(data)
      .value();
}

// ---------------------------------------------------------------------------------------------
// Transfers: what a host machine asks for (ssif::host::next()) and what the bus reports back

/// The transfer the caller must make next.
enum class access : std::uint8_t {
  none = 0,     // nothing to do: see host::outcome()
  block_write,  // SMBus Block Write of `data` with `command`
  block_read,   // SMBus Block Read with `command`; report the bytes after the count
  wait,         // nothing on the bus until host::next_deadline(); then report it (any result)
};

[[nodiscard]] constexpr std::string_view name(access a) noexcept {
  return ipmikit::detail::enum_name<access, 4>(a, {"none", "block_write", "block_read", "wait"});
}

/// One transfer to make. `data` points into the host machine and stays valid until the next
/// complete(); `pec` asks the bus to append a PEC to a write and to check the one a read
/// returns (in hardware, or with write_pec()/read_pec()).
struct action {
  access kind = access::none;
  smbus_command command{};
  std::span<const std::uint8_t> data;  // block_write: the bytes after the count (≤ 32)
  bool pec = false;
  bool repeat = false;  // a wait or a read retry: the previous read was not the response yet
};

/// How a transfer went, as the bus saw it.
enum class transfer_status : std::uint8_t {
  ack = 0,        // done (a read's bytes are in transfer_result::data)
  nack = 1,       // the slave did not acknowledge (SSIF: a read before the response is ready)
  pec_error = 2,  // a read's PEC did not match (or was missing); a write's PEC was refused
};

[[nodiscard]] constexpr std::string_view name(transfer_status s) noexcept {
  return ipmikit::detail::enum_name<transfer_status, 3>(s, {"ack", "nack", "pec_error"});
}

/// What complete() is told: the status, and for a read the block's bytes after the count
/// (valid for the call).
struct transfer_result {
  transfer_status status = transfer_status::ack;
  std::span<const std::uint8_t> data;
};

}  // namespace ipmikit::ssif
