// bench/kcs_bench.cpp — a full Get Device ID transaction over KCS, in memory:
//
//   kcs_get_device_id/host     kcs::host driven by kcs::drive() over a kcs::device whose BMC
//                              answers at once (the machine under test)
//   kcs_get_device_id/direct   the same register accesses written as a plain blocking loop
//                              (what a minimal firmware driver does, no state machine), over
//                              the same device: the floor for the register traffic itself
//   kcs_get_device_id/memcpy   memcpy of the request and response bytes (scale only)
//   kcs_chain/host             kcs::host ⇄ device ⇄ emulator session ⇄ bytes ⇄ BMC session:
//                              the whole path of the README demo
//
// Items are transactions; the "accesses" counter is register accesses per second and
// "accesses_per_txn" the register accesses one transaction takes. Bytes are the request and
// response bytes moved. bench/perf_table.py tabulates them in docs/performance.md. The host and
// chain benchmarks and the loop around the plain one are bench_support.hpp's, shared with BT.
#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <ipmikit/kcs/device.hpp>
#include <ipmikit/kcs/host.hpp>

#include "bench_support.hpp"

namespace {

namespace kcs = ipmikit::kcs;

constexpr auto& request = ipmikit::bench::get_device_id_request;
constexpr auto& response = ipmikit::bench::get_device_id_response;

// The device with a BMC that answers every request with `response` at once.
struct answering_device {
  kcs::device device;
  std::uint64_t accesses = 0;

  std::uint8_t read_status() { return ++accesses, device.read_status(); }
  std::uint8_t read_data() { return ++accesses, device.read_data(); }
  void write_command(std::uint8_t v) { ++accesses, device.write_command(v); }
  void write_data(std::uint8_t v) {
    ++accesses;
    if (device.write_data(v) == kcs::event::request_ready)
      (void)device.respond(device.pending_request()->id, response);
  }
};

// The plain loop: spec flow, no timeouts, no recovery; returns the response length or 0.
std::size_t direct_transaction(answering_device& d, std::span<std::uint8_t> out) {
  auto wait_ibf = [&] {
    std::uint8_t s = 0;
    for (int i = 0; i < 1000; ++i)
      if (((s = d.read_status()) & 0x02) == 0) return s;
    return std::uint8_t{0xFF};
  };
  auto clear_obf = [&](std::uint8_t s) {
    if (s & 0x01) (void)d.read_data();
  };
  clear_obf(wait_ibf());
  d.write_command(0x61);
  for (std::size_t i = 0; i + 1 < request.size(); ++i) {
    clear_obf(wait_ibf());
    d.write_data(request[i]);
  }
  clear_obf(wait_ibf());
  d.write_command(0x62);
  clear_obf(wait_ibf());
  d.write_data(request.back());
  std::size_t n = 0;
  for (;;) {
    const std::uint8_t s = wait_ibf();
    if ((s >> 6) == 1 && n < out.size()) {
      out[n++] = d.read_data();
      d.write_data(0x68);
    } else {
      if (s & 0x01) (void)d.read_data();
      return (s >> 6) == 0 ? n : 0;
    }
  }
}

void kcs_direct(benchmark::State& state) {
  answering_device bus;
  std::array<std::uint8_t, kcs::default_capacity> out{};
  ipmikit::bench::direct_transactions(state, bus, out,
                                      [&](std::span<std::uint8_t> o) { return direct_transaction(bus, o); });
}

}  // namespace

BENCHMARK(ipmikit::bench::answered_transactions<kcs::host, answering_device>)->Name("kcs_get_device_id/host");
BENCHMARK(kcs_direct)->Name("kcs_get_device_id/direct");
BENCHMARK(ipmikit::bench::payload_memcpy)->Name("kcs_get_device_id/memcpy");
BENCHMARK(ipmikit::bench::chain_transactions<kcs::host, kcs::device>)->Name("kcs_chain/host");
