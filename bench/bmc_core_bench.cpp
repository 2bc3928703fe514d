// bench/bmc_core_bench.cpp — what the BMC core (bmc/dispatcher.hpp and the components) costs
// per request in memory: a dispatcher with the watchdog, chassis, SEL, FRU and GUID commands
// registered (as a BMC built on the core has them), answering whole request messages.
//
//   bmc_core/<request>/core    dispatcher.dispatch(): LUN, lookup, privilege, length, parse,
//                              handler, encode
//   bmc_core/<request>/direct  the plain reference: a switch on netfn and command writing the
//                              same response bytes by hand (what a minimal firmware BMC does)
//   bmc_core/<request>/memcpy  copying the response bytes, for scale
//
// Items are requests answered. The session round trip the core sits behind
// (roundtrip_small/session in session_bench.cpp) runs in the same binary, so the table can say
// what share of a request's in-memory cost the core is.
#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <span>

#include <ipmikit/bmc/chassis.hpp>
#include <ipmikit/bmc/dispatcher.hpp>
#include <ipmikit/bmc/fru.hpp>
#include <ipmikit/bmc/sel.hpp>
#include <ipmikit/bmc/watchdog.hpp>

namespace {

using namespace ipmikit;
using clk = std::chrono::steady_clock;

struct core {
  bmc::basic_watchdog<clk> watchdog{};
  bmc::basic_chassis<clk> chassis{};
  bmc::basic_sel<64, clk> sel{};
  bmc::basic_fru_inventory<256> fru{};
  bmc::guids ids{};
  clk::time_point clock = clk::time_point{} + std::chrono::hours(1);
  [[nodiscard]] clk::time_point now() const { return clock; }
};

completion_code device_id(core&, const cmd::no_data&, cmd::get_device_id::response& r, const bmc::request&) {
  r.device_id = 0x20;
  r.firmware_major = 1;
  r.ipmi_version = 0x02;
  return completion_code::success;
}

bmc::dispatcher<core> make_dispatcher() {
  bmc::dispatcher<core> d;
  d.add<cmd::get_device_id, &device_id>(bmc::privilege::user);
  (void)bmc::add_watchdog_commands<&core::watchdog>(d);
  (void)bmc::add_chassis_commands<&core::chassis>(d);
  (void)bmc::add_sel_commands<&core::sel>(d);
  (void)bmc::add_fru_commands<&core::fru>(d);
  (void)bmc::add_guid_commands<&core::ids>(d);
  return d;
}

constexpr std::array<std::uint8_t, 2> get_device_id_request{0x18, 0x01};
constexpr std::array<std::uint8_t, 2> get_chassis_status_request{0x00, 0x01};
// Get SEL Entry of record 32 of 64 (no reservation, whole record), as `sel list` asks.
constexpr std::array<std::uint8_t, 8> get_sel_entry_request{0x28, 0x43, 0x00, 0x00, 0x20, 0x00, 0x00, 0xFF};
constexpr std::array<std::uint8_t, 2> unknown_request{0x18, 0x7F};  // registered nowhere: 0xC1

void run_core(benchmark::State& state, std::span<const std::uint8_t> request) {
  core c;
  bmc::dispatcher<core> d = make_dispatcher();
  for (std::uint32_t i = 0; i < 64; ++i) {
    cmd::sel_record r;
    r.record_type = cmd::sel_type_system_event;
    r.sensor_type = 0x23;
    r.event_data = {static_cast<std::uint8_t>(i), 0, 0};
    (void)c.sel.add(r, c.now());
  }
  std::array<std::uint8_t, 300> out{};
  for (auto _ : state) {
    benchmark::DoNotOptimize(request.data());
    const auto r = d.dispatch(c, request, {}, out);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// The plain reference: the response bytes written by hand, after a switch on netfn and command.
std::size_t direct_answer(std::span<const std::uint8_t> rq, std::span<std::uint8_t> out) {
  out[0] = static_cast<std::uint8_t>(rq[0] | 0x04);
  out[1] = rq[1];
  switch (rq[0] >> 2) {
    case 0x06:
      if (rq[1] == 0x01 && rq.size() == 2) {
        constexpr std::uint8_t id[] = {0x00, 0x20, 0x01, 0x00, 0x02, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        std::memcpy(out.data() + 2, id, sizeof id);
        return 2 + sizeof id;
      }
      break;
    case 0x00:
      if (rq[1] == 0x01 && rq.size() == 2) {
        constexpr std::uint8_t status[] = {0x00, 0x01, 0x00, 0x00};
        std::memcpy(out.data() + 2, status, sizeof status);
        return 2 + sizeof status;
      }
      break;
    default: break;
  }
  out[2] = 0xC1;
  return 3;
}

void run_direct(benchmark::State& state, std::span<const std::uint8_t> request) {
  std::array<std::uint8_t, 300> out{};
  for (auto _ : state) {
    benchmark::DoNotOptimize(request.data());
    benchmark::DoNotOptimize(direct_answer(request, out));
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void run_memcpy(benchmark::State& state, std::size_t response_size) {
  std::array<std::uint8_t, 300> in{}, out{};
  for (auto _ : state) {
    benchmark::DoNotOptimize(in.data());
    std::memcpy(out.data(), in.data(), response_size);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void get_device_id_core(benchmark::State& s) { run_core(s, get_device_id_request); }
void get_device_id_direct(benchmark::State& s) { run_direct(s, get_device_id_request); }
void get_device_id_memcpy(benchmark::State& s) { run_memcpy(s, 18); }
void get_chassis_status_core(benchmark::State& s) { run_core(s, get_chassis_status_request); }
void get_chassis_status_direct(benchmark::State& s) { run_direct(s, get_chassis_status_request); }
void get_sel_entry_core(benchmark::State& s) { run_core(s, get_sel_entry_request); }
void get_sel_entry_memcpy(benchmark::State& s) { run_memcpy(s, 21); }
void unknown_core(benchmark::State& s) { run_core(s, unknown_request); }
void unknown_direct(benchmark::State& s) { run_direct(s, unknown_request); }

}  // namespace

BENCHMARK(get_device_id_core)->Name("bmc_core/get_device_id/core");
BENCHMARK(get_device_id_direct)->Name("bmc_core/get_device_id/direct");
BENCHMARK(get_device_id_memcpy)->Name("bmc_core/get_device_id/memcpy");
BENCHMARK(get_chassis_status_core)->Name("bmc_core/get_chassis_status/core");
BENCHMARK(get_chassis_status_direct)->Name("bmc_core/get_chassis_status/direct");
BENCHMARK(get_sel_entry_core)->Name("bmc_core/get_sel_entry/core");
BENCHMARK(get_sel_entry_memcpy)->Name("bmc_core/get_sel_entry/memcpy");
BENCHMARK(unknown_core)->Name("bmc_core/unknown_command/core");
BENCHMARK(unknown_direct)->Name("bmc_core/unknown_command/direct");
