// bench/ssif_bench.cpp — SSIF transactions in memory, beside bench/kcs_bench.cpp and
// bench/bt_bench.cpp:
//
//   ssif_get_device_id/host      ssif::host driven by ssif::drive() over an ssif::device_bus
//                                whose BMC answers at once (in the write that completes the
//                                request): 02h write, 03h read
//   ssif_get_device_id/direct    the same SMBus transfers as a plain blocking loop (what a
//                                minimal firmware driver does, no state machine)
//   ssif_get_device_id/memcpy    memcpy of the request and response bytes (scale only)
//   ssif_multipart_100/host      a 100-byte request and a 100-byte response: 06h 07h 07h 08h,
//                                then 03h 09h 09h 09h (ssif.md §2)
//   ssif_multipart_100/direct    the same transfers as a plain loop
//   ssif_multipart_100/memcpy    memcpy of those 200 bytes
//
// The host asks no capabilities (query_capabilities off: it assumes QEMU smbus-ipmi's answer,
// multi-part start/middle/end, 255 bytes, no PEC) and its first-read delay and retry intervals
// are zero, so the clock standing still never waits: what is timed is the machine and the
// device, not Linux's 5 ms / 60 ms pauses (which dominate any real SSIF transaction). The
// "accesses" counters count SMBus transfers (Block Writes and Block Reads), not the host's
// zero-length waits.
#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include <ipmikit/ssif/device.hpp>
#include <ipmikit/ssif/host.hpp>

#include "bench_support.hpp"

namespace {

namespace ssif = ipmikit::ssif;
namespace si = ipmikit::si;
using ipmikit::bench::get_device_id_request;
using ipmikit::bench::get_device_id_response;

// A 100-byte request (Storage, Write FRU Data: id 0, offset 0, 97 bytes) answered with a
// 100-byte response of the same NetFn + 1 and Cmd: each one multi-part (more than 32 bytes).
constexpr std::size_t long_size = 100;
constexpr std::array<std::uint8_t, long_size> long_request = [] {
  std::array<std::uint8_t, long_size> m{0x28, 0x12, 0x00, 0x00, 0x00};
  for (std::size_t i = 5; i < m.size(); ++i) m[i] = static_cast<std::uint8_t>(i * 7);
  return m;
}();
constexpr std::array<std::uint8_t, long_size> long_response = [] {
  std::array<std::uint8_t, long_size> m{0x2C, 0x12, 0x00};
  for (std::size_t i = 3; i < m.size(); ++i) m[i] = static_cast<std::uint8_t>(i * 13);
  return m;
}();

// The SMBus with the device on it; its BMC answers a request with `response` as soon as the
// write that completes it is acknowledged.
struct answering_bus {
  ssif::device device{ssif::device::config{}};
  ssif::device_bus<ssif::device> smbus{device};
  std::span<const std::uint8_t> response = get_device_id_response;
  std::uint64_t accesses = 0;
};

ssif::transfer_result perform(answering_bus& b, const ssif::action& a) {
  if (a.kind == ssif::access::block_write || a.kind == ssif::access::block_read) ++b.accesses;
  const ssif::transfer_result r = ssif::perform(b.smbus, a);
  if (a.kind == ssif::access::block_write && r.status == ssif::transfer_status::ack) {
    if (const auto req = b.device.pending_request()) (void)b.device.respond(req->id, b.response);
  }
  return r;
}

ssif::host::config bench_host_config() {
  ssif::host::config cfg;
  cfg.query_capabilities = false;
  cfg.first_read_delay = {};
  cfg.read_retry_interval = {};
  cfg.write_retry_interval = {};
  return cfg;
}

// `request` on an ssif::host over `bus` once per iteration, the clock standing still.
void host_transactions(benchmark::State& state, answering_bus& bus, std::span<const std::uint8_t> request,
                       std::span<const std::uint8_t> response) {
  bus.response = response;
  ssif::host host(bench_host_config());
  const std::chrono::steady_clock::time_point t0{};
  std::uint64_t failures = 0;
  for (auto _ : state) {
    (void)host.start(request, t0);
    if (ssif::drive(host, bus, [&] { return t0; }, 100) != si::outcome::done) ++failures;
    benchmark::DoNotOptimize(host.response().data());
  }
  if (failures != 0 || host.response().size() != response.size() ||
      std::memcmp(host.response().data(), response.data(), response.size()) != 0)
    state.SkipWithError("a transaction did not end done with the response");
}

// The plain loop: 02h, or 06h 07h… 08h; then 03h, and 09h until FFh. No retries, no waits, no
// checks beyond the framing; returns the response length, or 0.
std::size_t direct_transaction(answering_bus& b, std::span<const std::uint8_t> request, std::span<std::uint8_t> out) {
  const auto write = [&](ssif::smbus_command c, std::span<const std::uint8_t> data) {
    return perform(b, ssif::action{ssif::access::block_write, c, data, false, false}).status ==
           ssif::transfer_status::ack;
  };
  const auto read = [&](ssif::smbus_command c) {
    return perform(b, ssif::action{ssif::access::block_read, c, {}, false, false});
  };
  constexpr std::size_t block = ssif::block_size;
  if (request.size() <= block) {
    if (!write(ssif::smbus_command::write_single, request)) return 0;
  } else {
    if (!write(ssif::smbus_command::write_start, request.first(block))) return 0;
    std::size_t at = block;
    for (; request.size() - at > block; at += block)
      if (!write(ssif::smbus_command::write_middle, request.subspan(at, block))) return 0;
    if (!write(ssif::smbus_command::write_end, request.subspan(at))) return 0;
  }
  auto r = read(ssif::smbus_command::read_start);
  if (r.status != ssif::transfer_status::ack || r.data.size() > out.size()) return 0;
  if (r.data.size() < block || r.data[0] != 0x00 || r.data[1] != 0x01) {
    std::memcpy(out.data(), r.data.data(), r.data.size());
    return r.data.size();
  }
  std::size_t n = r.data.size() - 2;
  std::memcpy(out.data(), r.data.data() + 2, n);
  for (;;) {
    r = read(ssif::smbus_command::read_next);
    if (r.status != ssif::transfer_status::ack || r.data.empty() || n + r.data.size() - 1 > out.size()) return 0;
    std::memcpy(out.data() + n, r.data.data() + 1, r.data.size() - 1);
    n += r.data.size() - 1;
    if (r.data[0] == ssif::last_block_marker) return n;
  }
}

void direct_transactions(benchmark::State& state, answering_bus& bus, std::span<const std::uint8_t> request,
                         std::span<const std::uint8_t> response) {
  bus.response = response;
  std::array<std::uint8_t, ssif::max_message> out{};
  std::uint64_t failures = 0;
  for (auto _ : state) {
    if (direct_transaction(bus, request, out) != response.size()) ++failures;
    benchmark::DoNotOptimize(out.data());
  }
  if (failures != 0 || std::memcmp(out.data(), response.data(), response.size()) != 0)
    state.SkipWithError("the direct loop did not get the response");
}

// Items = transactions, bytes = request + response bytes, "accesses" = SMBus transfers.
void set_counters(benchmark::State& state, const answering_bus& bus, std::size_t payload) {
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(payload));
  state.counters["accesses"] = benchmark::Counter(static_cast<double>(bus.accesses), benchmark::Counter::kIsRate);
  state.counters["accesses_per_txn"] = static_cast<double>(bus.accesses) / static_cast<double>(state.iterations());
}

void ssif_get_device_id_host(benchmark::State& state) {
  answering_bus bus;
  host_transactions(state, bus, get_device_id_request, get_device_id_response);
  set_counters(state, bus, ipmikit::bench::payload);
}

void ssif_get_device_id_direct(benchmark::State& state) {
  answering_bus bus;
  direct_transactions(state, bus, get_device_id_request, get_device_id_response);
  set_counters(state, bus, ipmikit::bench::payload);
}

void ssif_multipart_host(benchmark::State& state) {
  answering_bus bus;
  host_transactions(state, bus, long_request, long_response);
  set_counters(state, bus, 2 * long_size);
}

void ssif_multipart_direct(benchmark::State& state) {
  answering_bus bus;
  direct_transactions(state, bus, long_request, long_response);
  set_counters(state, bus, 2 * long_size);
}

// memcpy of the 200 request and response bytes, one transaction's payload per iteration.
void ssif_multipart_memcpy(benchmark::State& state) {
  ipmikit::bench::memcpy_of<2 * long_size>(state, long_request, long_response);
}

}  // namespace

BENCHMARK(ssif_get_device_id_host)->Name("ssif_get_device_id/host");
BENCHMARK(ssif_get_device_id_direct)->Name("ssif_get_device_id/direct");
BENCHMARK(ipmikit::bench::payload_memcpy)->Name("ssif_get_device_id/memcpy");
BENCHMARK(ssif_multipart_host)->Name("ssif_multipart_100/host");
BENCHMARK(ssif_multipart_direct)->Name("ssif_multipart_100/direct");
BENCHMARK(ssif_multipart_memcpy)->Name("ssif_multipart_100/memcpy");
