// fuzz/fuzz_ssif.hpp — helpers shared by the SSIF fuzz targets (fuzz_ssif_device, fuzz_ssif_host,
// fuzz_ssif_pair): an SMBus PEC written independently of ssif/protocol.hpp (bit-serial LFSR
// form, so that a mistake in the library's CRC is not repeated here), and the SSIF response
// framing of ssif.md §2 as an independent reassembler. The split input and the fake clock are
// fuzz_machine.hpp's.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <ipmikit/ssif/device.hpp>
#include <ipmikit/ssif/host.hpp>
#include <ipmikit/ssif/protocol.hpp>

#include "fuzz_machine.hpp"

namespace fuzz_ssif {

using namespace ipmikit;
using fuzz_machine::fake_clock;
using fuzz_machine::split_input;
using fuzz_machine::unit;

/// CRC-8, x⁸+x²+x+1, initial 0, MSB first, over `bytes` (SMBus 2.0 §5.4.1.4), as an LFSR.
struct crc8 {
  std::uint8_t crc = 0;
  crc8& add(std::uint8_t byte) noexcept {
    for (int i = 7; i >= 0; --i) {
      const unsigned feedback = (static_cast<unsigned>(crc >> 7) ^ static_cast<unsigned>(byte >> i)) & 1u;
      crc = static_cast<std::uint8_t>((static_cast<unsigned>(crc) << 1) ^ (feedback ? 0x07u : 0u));
    }
    return *this;
  }
  crc8& add(std::span<const std::uint8_t> bytes) noexcept {
    for (std::uint8_t b : bytes) add(b);
    return *this;
  }
};

/// A Block Write's PEC: address (W), command, count, data.
[[nodiscard]] inline std::uint8_t write_pec(std::uint8_t address, std::uint8_t command,
                                            std::span<const std::uint8_t> data) noexcept {
  return crc8{}
      .add(static_cast<std::uint8_t>(address << 1))
      .add(command)
      .add(static_cast<std::uint8_t>(data.size()))
      .add(data)
      .crc;
}

/// A Block Read's PEC: address (W), command, address (R), count, data.
[[nodiscard]] inline std::uint8_t read_pec(std::uint8_t address, std::uint8_t command,
                                           std::span<const std::uint8_t> data) noexcept {
  return crc8{}
      .add(static_cast<std::uint8_t>(address << 1))
      .add(command)
      .add(static_cast<std::uint8_t>((address << 1) | 1))
      .add(static_cast<std::uint8_t>(data.size()))
      .add(data)
      .crc;
}

/// The response framing of ssif.md §2, read by a host: feed it the 03h block, then each 09h
/// block; it says whether the response is whole, needs more, or the blocks broke the rules.
struct reassembler {
  enum class state : std::uint8_t { idle, more, whole, broken };
  state st = state::idle;
  std::array<std::uint8_t, 512> bytes{};
  std::size_t length = 0;
  std::uint8_t next_number = 0;

  void append(std::span<const std::uint8_t> b) noexcept {
    for (std::uint8_t x : b)
      if (length < bytes.size()) bytes[length++] = x;
  }
  /// The 03h block (bytes after the count).
  state first(std::span<const std::uint8_t> block) noexcept {
    length = 0;
    next_number = 0;
    if (block.size() == 32 && block[0] == 0x00 && block[1] == 0x01) {
      append(block.subspan(2));
      return st = state::more;
    }
    append(block);
    return st = state::whole;
  }
  /// A 09h block.
  state next(std::span<const std::uint8_t> block) noexcept {
    if (!block.empty() && block[0] == 0xFF) {
      append(block.subspan(1));
      return st = state::whole;
    }
    if (block.size() != 32 || block[0] != next_number) return st = state::broken;
    append(block.subspan(1));
    ++next_number;
    return st = state::more;
  }
  [[nodiscard]] std::span<const std::uint8_t> message() const noexcept { return {bytes.data(), length}; }
};

/// The transaction support by two bits: 0 single-part, 1 start/end, 2 and 3 start/middle/end.
[[nodiscard]] inline cmd::ssif_transaction_support transactions(unsigned bits) noexcept {
  switch (bits & 3u) {
    case 0: return cmd::ssif_transaction_support::single_part;
    case 1: return cmd::ssif_transaction_support::start_end;
    default: return cmd::ssif_transaction_support::start_middle_end;
  }
}

}  // namespace fuzz_ssif
