// bench/bench_support.hpp — what the KCS and BT transaction benchmarks share: the Get Device ID
// exchange they run, the benchmarks of a host machine over a device that answers at once and
// through the whole chain, the loop of the plain blocking driver, the counters they report, and
// the memcpy of its payload for scale.
#pragma once

#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include <ipmikit/si/interface.hpp>

#include "chain.hpp"

namespace ipmikit::bench {

inline constexpr std::array<std::uint8_t, 2> get_device_id_request{0x18, 0x01};  // App, Get Device ID
inline constexpr std::array<std::uint8_t, 15> get_device_id_response{
    0x1C, 0x01, 0x00, 0x20, 0x81, 0x02, 0x17, 0x02, 0xBF, 0x57, 0x01, 0x00, 0xA0, 0x00, 0x00};
inline constexpr std::size_t payload = get_device_id_request.size() + get_device_id_response.size();

/// Items = transactions, bytes = request + response bytes, and the register access counters.
inline void set_transaction_counters(benchmark::State& state, std::uint64_t accesses) {
  const auto txns = static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(payload));
  state.counters["accesses"] = benchmark::Counter(static_cast<double>(accesses), benchmark::Counter::kIsRate);
  state.counters["accesses_per_txn"] = static_cast<double>(accesses) / txns;
}

/// Get Device ID on `host` (kcs::host, bt::host) over `bus` once per iteration: start() at
/// start_time(), then the interface's drive() (kcs::drive, bt::drive, found by the host's type)
/// with the clock now(), at most `max_accesses` accesses. The run reports `error` when a
/// transaction did not end done (with `whole_response`, also when the last response is not the
/// whole answer), and the counters with the bus's `accesses`.
template <class Host, class Bus, class Start, class Now>
void host_transactions(benchmark::State& state, Host& host, Bus& bus, Start&& start_time, Now&& now,
                       std::size_t max_accesses, bool whole_response, const char* error) {
  std::uint64_t failures = 0;
  for (auto _ : state) {
    (void)host.start(get_device_id_request, start_time());
    if (drive(host, bus, now, max_accesses) != si::outcome::done) ++failures;
    benchmark::DoNotOptimize(host.response().data());
  }
  if (failures != 0 || (whole_response && host.response().size() != get_device_id_response.size()))
    state.SkipWithError(error);
  set_transaction_counters(state, bus.accesses);
}

/// Get Device ID on a `Host` over a `Bus` whose BMC answers at once (an `accesses` counter), the
/// clock standing still: the machine under test.
template <class Host, class Bus>
void answered_transactions(benchmark::State& state) {
  Bus bus;
  Host host;
  const std::chrono::steady_clock::time_point t0{};
  const auto at_t0 = [&] { return t0; };
  host_transactions(state, host, bus, at_t0, at_t0, 1000, true, "a transaction did not end done with the response");
}

/// Get Device ID on a `Host` through the whole chain (tests/chain.hpp): `Device` ⇄ emulator
/// session ⇄ the in-memory wire ⇄ BMC session, whose BMC answers every request with
/// get_device_id_response.
template <class Host, class Device>
void chain_transactions(benchmark::State& state) {
  test::chain<Device> c;
  c.responder = [](std::span<const std::uint8_t>) {
    return std::vector<std::uint8_t>(get_device_id_response.begin(), get_device_id_response.end());
  };
  Host host;
  host_transactions(state, host, c, [&] { return c.now; }, [&] { return c.tick(); }, 10000, false,
                    "a transaction through the chain failed");
}

/// The plain blocking loop of a benchmark, `transaction(out)` (the response length it read into
/// `out`, or 0), once per iteration. The run reports an error when a transaction did not read the
/// whole answer, and the counters with the bus's `accesses`.
template <class Bus, std::size_t N, class Transaction>
void direct_transactions(benchmark::State& state, Bus& bus, std::array<std::uint8_t, N>& out,
                         Transaction&& transaction) {
  std::uint64_t failures = 0;
  for (auto _ : state) {
    if (transaction(std::span<std::uint8_t>(out)) != get_device_id_response.size()) ++failures;
    benchmark::DoNotOptimize(out.data());
  }
  if (failures != 0 || std::memcmp(out.data(), get_device_id_response.data(), get_device_id_response.size()) != 0)
    state.SkipWithError("the direct loop did not get the response");
  set_transaction_counters(state, bus.accesses);
}

/// memcpy of a transaction's request and response bytes (`N` = both sizes), one transaction's
/// payload per iteration: the scale every transaction row is read against.
template <std::size_t N, std::size_t Request, std::size_t Response>
void memcpy_of(benchmark::State& state, const std::array<std::uint8_t, Request>& request,
                    const std::array<std::uint8_t, Response>& response) {
  static_assert(N == Request + Response);
  std::array<std::uint8_t, N> src{}, dst{};
  std::memcpy(src.data(), request.data(), Request);
  std::memcpy(src.data() + Request, response.data(), Response);
  for (auto _ : state) {
    benchmark::DoNotOptimize(src.data());
    benchmark::DoNotOptimize(dst.data());  // dst escapes: the copy cannot be dropped
    std::memcpy(dst.data(), src.data(), src.size());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(N));
}

/// The same for Get Device ID's request and response.
inline void payload_memcpy(benchmark::State& state) {
  memcpy_of<payload>(state, get_device_id_request, get_device_id_response);
}

}  // namespace ipmikit::bench
