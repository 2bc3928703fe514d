// ipmikit/detail/drive.hpp — the loop that runs a register-interface host machine (kcs::host,
// bt::host) over a bus, shared by kcs::drive() and bt::drive(). Not named by users.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ipmikit::detail {

/// Runs `machine` until it leaves `busy` or `max_accesses` accesses were made: each access is
/// made by `perform(bus, action)`, then reported with `now()`. `bus.idle()`, if it exists, is
/// called before each repeated poll.
template <class Machine, class Bus, class Perform, class Now>
constexpr auto drive(Machine& machine, Bus& bus, Perform&& perform, Now&& now, std::size_t max_accesses) {
  using outcome_type = decltype(machine.outcome());
  for (std::size_t i = 0; i < max_accesses && machine.outcome() == outcome_type::busy; ++i) {
    const auto a = machine.next();
    if constexpr (requires { bus.idle(); }) {
      if (a.repeat) bus.idle();
    }
    const std::uint8_t value = perform(bus, a);
    machine.complete(now(), value);
  }
  return machine.outcome();
}

}  // namespace ipmikit::detail
