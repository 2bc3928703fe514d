// ipmikit/checksum.hpp — the IPMI two's-complement checksum, and the CRC-32 that saved BMC
// state carries.
//
// IPMI v2.0 §13.8 (IPMB) and the VM protocol (QEMU ipmi_bmc_extern, OpenIPMI serial_ipmi.c)
// protect a frame with one byte chosen so that the 8-bit sum of the covered bytes plus the
// checksum is zero. `checksum` accumulates incrementally (byte, span, or another accumulator's
// state); the free functions cover the common one-shot cases. Everything is constexpr and
// noexcept; at run time spans are summed with the SIMD kernels of detail/simd/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "detail/simd/select.hpp"

namespace ipmikit {

/// Incremental two's-complement checksum. Feed the covered bytes, then either read `value()`
/// (the byte to append when sending) or, after also feeding the received checksum byte,
/// ask `valid()`.
class checksum {
 public:
  constexpr checksum() noexcept = default;

  constexpr checksum& add(std::uint8_t byte) noexcept {
    sum_ = static_cast<std::uint8_t>(sum_ + byte);
    return *this;
  }

  constexpr checksum& add(std::span<const std::uint8_t> bytes) noexcept {
    if (std::is_constant_evaluated()) {
      for (std::uint8_t b : bytes) add(b);
    } else {
      sum_ = static_cast<std::uint8_t>(sum_ + detail::sum_bytes(bytes.data(), bytes.size()));
    }
    return *this;
  }

  /// The 8-bit sum of everything added so far.
  [[nodiscard]] constexpr std::uint8_t sum() const noexcept { return sum_; }

  /// The checksum byte that makes the covered bytes sum to zero.
  [[nodiscard]] constexpr std::uint8_t value() const noexcept {
    return static_cast<std::uint8_t>(0u - sum_);
  }

  /// True when the bytes added (checksum byte included) sum to zero.
  [[nodiscard]] constexpr bool valid() const noexcept { return sum_ == 0; }

  constexpr void reset() noexcept { sum_ = 0; }

 private:
  std::uint8_t sum_ = 0;
};

/// The checksum byte for `bytes`.
[[nodiscard]] constexpr std::uint8_t compute_checksum(std::span<const std::uint8_t> bytes) noexcept {
  return checksum{}.add(bytes).value();
}

/// True when `bytes` ends with a correct checksum (the whole span sums to zero mod 256).
/// An empty span has nothing to check and is not valid.
[[nodiscard]] constexpr bool checksum_ok(std::span<const std::uint8_t> bytes_with_checksum) noexcept {
  return !bytes_with_checksum.empty() && checksum{}.add(bytes_with_checksum).valid();
}

/// CRC-32 as zlib computes it (the reflected 04C11DB7h polynomial, initial and final value
/// FFFFFFFFh): what the BMC core's saved formats and ipmikit-bmc's state files carry, so that a
/// damaged file is detected (`crc32("123456789") == CBF43926h`). Bit at a time: state files are
/// small and written rarely.
[[nodiscard]] constexpr std::uint32_t crc32(std::span<const std::uint8_t> bytes,
                                            std::uint32_t previous = 0) noexcept {
  std::uint32_t c = ~previous;
  for (std::uint8_t b : bytes) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c & 1u) != 0 ? (c >> 1) ^ 0xEDB88320u : c >> 1;
  }
  return ~c;
}

}  // namespace ipmikit
