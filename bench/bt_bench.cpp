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
// register accesses of one transaction. The host and chain benchmarks and the loop around the
// plain one are bench_support.hpp's, shared with KCS.
#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include <ipmikit/bt/device.hpp>
#include <ipmikit/bt/host.hpp>

#include "bench_support.hpp"

namespace {

namespace bt = ipmikit::bt;
namespace cb = ipmikit::bt::control_bit;
using ipmikit::bench::get_device_id_request;
using ipmikit::bench::get_device_id_response;

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
  std::uint8_t seq = 0;
  ipmikit::bench::direct_transactions(state, bus, out,
                                      [&](std::span<std::uint8_t> o) { return direct_transaction(bus, seq++, o); });
}

}  // namespace

BENCHMARK(ipmikit::bench::answered_transactions<bt::host, answering_device>)->Name("bt_get_device_id/host");
BENCHMARK(bt_direct)->Name("bt_get_device_id/direct");
BENCHMARK(ipmikit::bench::payload_memcpy)->Name("bt_get_device_id/memcpy");
BENCHMARK(ipmikit::bench::chain_transactions<bt::host, bt::device>)->Name("bt_chain/host");
