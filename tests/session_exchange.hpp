// tests/session_exchange.hpp — an emulator session and a BMC session wired together in memory:
// one exchange hands what each has to send to the other. Free of doctest, for the tests that
// run without it (no_alloc_test.cpp, noexcept_test.cpp).
#pragma once

namespace ipmikit::test {

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
