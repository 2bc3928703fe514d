// ipmikit/detail/enum_name.hpp — the names of an enumeration numbered in sequence, listed once,
// in order. Internal; never named by users (they call the name() and describe() overloads).
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace ipmikit::detail {

/// The name of enumerator `e` of an enumeration numbered first, first + 1, … (0 unless said):
/// names[e - first], or an empty view for a value outside the table. `names` lists the
/// enumerators in order, N of them (the tests name each one).
template <class E, std::size_t N>
[[nodiscard]] constexpr std::string_view enum_name(E e, const std::array<std::string_view, N>& names,
                                                   std::size_t first = 0) noexcept {
  const auto i = static_cast<std::size_t>(e);
  return i >= first && i - first < N ? names[i - first] : std::string_view{};
}

}  // namespace ipmikit::detail
