// bench/bt_bench.cpp — a full Get Device ID transaction over BT, in memory, the twin of
// bench/kcs_bench.cpp:
//
//   bt_get_device_id/host     bt::host driven by bt::drive() over a bt::device whose BMC
//                             answers at once
//   bt_get_device_id/direct   the same register accesses as a plain blocking loop (no state
//                             machine, no timeouts, no Seq check beyond equality)
//   bt_get_device_id/memcpy   memcpy of the request and response bytes (scale only)
//   bt_chain/host             bt::host ⇄ device ⇄ emulator session ⇄ bytes ⇄ BMC session
//
// Items are transactions; "accesses" is register accesses per second, "accesses_per_txn" the
// register accesses of one transaction.
#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include <ipmikit/bt/device.hpp>
#include <ipmikit/bt/host.hpp>

#include "bench_support.hpp"
#include "chain.hpp"

namespace {

namespace bt = ipmikit::bt;
namespace cb = ipmikit::bt::control_bit;
using clk = std::chrono::steady_clock;
using ipmikit::bench::get_device_id_request;
using ipmikit::bench::get_device_id_response;
using ipmikit::bench::set_transaction_counters;

struct answering_device {
  bt::device device;
  std::uint64_t accesses = 0;

  std::uint8_t read_control() { return ++accesses, device.read_control(); }
  std::uint8_t read_buffer() { return ++accesses, device.read_buffer(); }
  void write_control(std::uint8_t v) {
    ++accesses;
    if (ipmikit::si::has_new_request(device.write_control(v)))
      (void)device.respond(device.pending_request()->id, get_device_id_response);
  }
  void write_buffer(std::uint8_t v) { ++accesses, device.write_buffer(v); }
};

void bt_host(benchmark::State& state) {
  answering_device bus;
  bt::host host;
  const clk::time_point t0{};
  std::uint64_t failures = 0;
  for (auto _ : state) {
    (void)host.start(get_device_id_request, t0);
    if (bt::drive(host, bus, [&] { return t0; }, 1000) != bt::outcome::done) ++failures;
    benchmark::DoNotOptimize(host.response().data());
  }
  if (failures != 0 || host.response().size() != get_device_id_response.size())
    state.SkipWithError("a transaction did not end done with the response");
  set_transaction_counters(state, bus.accesses);
}

// The plain loop: spec flow, no timeouts; returns the response body length or 0.
std::size_t direct_transaction(answering_device& d, std::uint8_t seq, std::span<std::uint8_t> out) {
  for (int i = 0; i < 1000 && (d.read_control() & (cb::b_busy | cb::h2b_atn)) != 0; ++i) {
  }
  d.write_control(cb::clr_wr_ptr);
  d.write_buffer(static_cast<std::uint8_t>(get_device_id_request.size() + 1));
  d.write_buffer(get_device_id_request[0]);
  d.write_buffer(seq);
  for (std::size_t i = 1; i < get_device_id_request.size(); ++i) d.write_buffer(get_device_id_request[i]);
  d.write_control(cb::h2b_atn);
  for (int i = 0; i < 1000 && (d.read_control() & cb::b2h_atn) == 0; ++i) {
  }
  d.write_control(cb::h_busy);
  d.write_control(cb::b2h_atn);
  d.write_control(cb::clr_rd_ptr);
  const std::uint8_t length = d.read_buffer();
  std::size_t n = 0;
  for (std::uint8_t i = 0; i < length; ++i) {
    const std::uint8_t b = d.read_buffer();
    if (i != 1 && n < out.size()) out[n++] = b;  // drop the Seq
  }
  d.write_control(cb::h_busy);
  return n;
}

void bt_direct(benchmark::State& state) {
  answering_device bus;
  std::array<std::uint8_t, bt::default_capacity> out{};
  std::uint64_t failures = 0;
  std::uint8_t seq = 0;
  for (auto _ : state) {
    if (direct_transaction(bus, seq++, out) != get_device_id_response.size()) ++failures;
    benchmark::DoNotOptimize(out.data());
  }
  if (failures != 0 || std::memcmp(out.data(), get_device_id_response.data(), get_device_id_response.size()) != 0)
    state.SkipWithError("the direct loop did not get the response");
  set_transaction_counters(state, bus.accesses);
}

struct counting_chain : ipmikit::test::chain<bt::device> {
  std::uint64_t accesses = 0;
  std::uint8_t read_control() { return ++accesses, chain::read_control(); }
  std::uint8_t read_buffer() { return ++accesses, chain::read_buffer(); }
  void write_control(std::uint8_t v) { ++accesses, chain::write_control(v); }
  void write_buffer(std::uint8_t v) { ++accesses, chain::write_buffer(v); }
};

void bt_chain_host(benchmark::State& state) {
  counting_chain c;
  c.responder = [](std::span<const std::uint8_t>) {
    return std::vector<std::uint8_t>(get_device_id_response.begin(), get_device_id_response.end());
  };
  bt::host host;
  std::uint64_t failures = 0;
  for (auto _ : state) {
    (void)host.start(get_device_id_request, c.now);
    if (bt::drive(host, c, [&] { return c.tick(); }, 10000) != bt::outcome::done) ++failures;
    benchmark::DoNotOptimize(host.response().data());
  }
  if (failures != 0) state.SkipWithError("a transaction through the chain failed");
  set_transaction_counters(state, c.accesses);
}

}  // namespace

BENCHMARK(bt_host)->Name("bt_get_device_id/host");
BENCHMARK(bt_direct)->Name("bt_get_device_id/direct");
BENCHMARK(ipmikit::bench::payload_memcpy)->Name("bt_get_device_id/memcpy");
BENCHMARK(bt_chain_host)->Name("bt_chain/host");
