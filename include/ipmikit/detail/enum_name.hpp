// ipmikit/detail/enum_name.hpp — the names of an enumeration numbered 0, 1, 2 …, listed once, in
// order. Internal; never named by users (they call the name() overloads).
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace ipmikit::detail {

/// The name of enumerator `e` of an enumeration numbered 0, 1, 2 …: names[e], or an empty view
/// for a value past the table. `names` lists the enumerators in order, N of them (the tests
/// name each one).
template <class E, std::size_t N>
[[nodiscard]] constexpr std::string_view enum_name(E e, const std::array<std::string_view, N>& names) noexcept {
  const auto i = static_cast<std::size_t>(e);
  return i < N ? names[i] : std::string_view{};
}

}  // namespace ipmikit::detail
