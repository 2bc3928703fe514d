// fuzz/fuzz_machine.hpp — what the state-machine fuzz targets share (KCS: fuzz_kcs_*, BT:
// fuzz_bt_*): the split input (control stream + data stream), a fake nanosecond clock and its
// unit, and FUZZ_FAIL.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_common.hpp"

/// An unconditional failure with a message.
#define FUZZ_FAIL(what) ::ipmikit::fuzz::fail(__FILE__, __LINE__, what)

namespace fuzz_machine {

/// A clock that only the target moves: the host machines never call now().
struct fake_clock {
  using rep = std::int64_t;
  using period = std::nano;
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<fake_clock, duration>;
  static constexpr bool is_steady = true;
  static time_point now() noexcept { return time_point{}; }
};

/// The time unit of the targets' timeouts and clock steps.
inline constexpr fake_clock::duration unit = std::chrono::microseconds(1);

/// The input after a fixed header: [n] then n control bytes, then the data stream. Both read
/// as 0 / empty past their end.
struct split_input {
  ipmikit::fuzz::reader ctrl{{}};
  ipmikit::fuzz::reader data{{}};

  explicit split_input(ipmikit::fuzz::reader& in) noexcept {
    const std::size_t n = in.u8();
    ctrl = ipmikit::fuzz::reader(in.take(n));
    data = ipmikit::fuzz::reader(in.rest());
  }
};

/// ceil(limit / step) for a step > 0; 0 for a limit <= 0.
[[nodiscard]] inline std::uint64_t steps_to(std::int64_t limit_ns, std::int64_t step_ns) noexcept {
  if (limit_ns <= 0) return 0;
  return (static_cast<std::uint64_t>(limit_ns) + static_cast<std::uint64_t>(step_ns) - 1) /
         static_cast<std::uint64_t>(step_ns);
}

}  // namespace fuzz_machine
