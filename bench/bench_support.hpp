// bench/bench_support.hpp — what the KCS and BT transaction benchmarks share: the Get Device ID
// exchange they run, the counters they report, and the memcpy of its payload for scale.
#pragma once

#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <cstring>

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

/// memcpy of the request and response bytes, one transaction's payload per iteration.
inline void payload_memcpy(benchmark::State& state) {
  std::array<std::uint8_t, payload> src{}, dst{};
  std::memcpy(src.data(), get_device_id_request.data(), get_device_id_request.size());
  std::memcpy(src.data() + get_device_id_request.size(), get_device_id_response.data(),
              get_device_id_response.size());
  for (auto _ : state) {
    benchmark::DoNotOptimize(src.data());
    std::memcpy(dst.data(), src.data(), src.size());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(payload));
}

}  // namespace ipmikit::bench
