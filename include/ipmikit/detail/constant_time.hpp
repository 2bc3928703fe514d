// ipmikit/detail/constant_time.hpp — comparing secrets (passwords, MACs) in time that does not
// depend on where they differ. Internal; never named by users.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace ipmikit::detail {

/// a == b, byte for byte. Spans of different sizes are unequal (sizes are not secret); for equal
/// sizes every byte is visited and the differences ORed together, with no early exit, so the time
/// depends only on the size.
[[nodiscard]] constexpr bool equal_in_constant_time(std::span<const std::uint8_t> a,
                                                    std::span<const std::uint8_t> b) noexcept {
  if (a.size() != b.size()) return false;
  unsigned diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace ipmikit::detail
