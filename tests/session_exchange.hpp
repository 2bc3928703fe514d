// tests/session_exchange.hpp — sessions wired together in memory: one exchange hands what an
// emulator session and a BMC session each have to send to the other; relay() hands what one
// side has to send to the other until it has nothing left. Free of doctest, for the tests that
// run without it (no_alloc_test.cpp, noexcept_test.cpp) and the fuzz targets.
#pragma once

#include <cstddef>

namespace ipmikit::test {

/// Hands what `from` has to send (outbound(), then consume()) to `to`'s receive() with
/// `on_event`, at `now`, until `from` has nothing left or `max_chunks` chunks went: the bytes
/// handed over.
template <class From, class To, class TimePoint, class Events>
std::size_t relay(From& from, To& to, TimePoint now, Events&& on_event, int max_chunks) {
  std::size_t moved = 0;
  for (int i = 0; i < max_chunks; ++i) {
    const auto out = from.outbound(now);
    if (out.empty()) break;
    to.receive(out, now, on_event);
    moved += out.size();
    from.consume(out.size(), now);
  }
  return moved;
}

/// Everything the emulator has to send goes to the BMC, then everything the BMC has to send
/// (its answer included) goes to the emulator, all at `now`.
template <class Emulator, class EmulatorEvents, class Bmc, class BmcEvents, class TimePoint>
void exchange(Emulator& emu, EmulatorEvents& emu_events, Bmc& bmc, BmcEvents& bmc_events, TimePoint now) {
  const auto to_bmc = emu.outbound(now);
  bmc.receive(to_bmc, now, bmc_events);
  emu.consume(to_bmc.size(), now);
  const auto to_emulator = bmc.outbound(now);
  emu.receive(to_emulator, now, emu_events);
  bmc.consume(to_emulator.size(), now);
}

}  // namespace ipmikit::test
