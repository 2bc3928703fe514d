// bench/session_bench.cpp — request → response round trips through an emulator session and a
// BMC session joined in memory, beside the bare codec doing the same framing for the same
// frames (encode the request, decode it, encode the response, decode it). Registered as
// "<workload>/session" and "<workload>/codec"; items are round trips, bytes the wire bytes of
// both frames. The overhead of the sessions is codec rate / session rate (goal: at most 2×).
#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <span>

#include <ipmikit/vm/session.hpp>

namespace {

namespace vm = ipmikit::vm;
using clk = std::chrono::steady_clock;

// Get Device ID, and a response body of `n` bytes (netfn, cmd, cc, data).
constexpr std::array<std::uint8_t, 2> request_body{0x18, 0x01};

std::array<std::uint8_t, vm::max_message_size> response_body(std::size_t n) {
  std::array<std::uint8_t, vm::max_message_size> b{};
  b[0] = 0x1C;
  b[1] = 0x01;
  b[2] = 0x00;
  for (std::size_t i = 3; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 37 + 11);
  return b;
}

struct emulator_handler {
  std::uint64_t responses = 0;
  std::uint64_t problems = 0;
  void operator()(const vm::response_event& r) { responses += r.body.size(); }
  void operator()(const vm::hardware_event&) {}
  void operator()(const vm::version_event&) {}
  void operator()(const vm::protocol_event&) { ++problems; }
};

struct bmc_handler {
  vm::bmc_session<clk>* bmc;
  std::span<const std::uint8_t> response;
  void operator()(const vm::request_event& r) { benchmark::DoNotOptimize(bmc->respond(r.msg_id, response)); }
  void operator()(const vm::capabilities_event&) {}
  void operator()(const vm::hardware_event&) {}
  void operator()(const vm::version_event&) {}
  void operator()(const vm::protocol_event&) {}
};

void bench_session(benchmark::State& state, std::size_t response_size) {
  const auto rsp = response_body(response_size);
  vm::emulator_session<clk> emu;
  vm::bmc_session<clk> bmc;
  emulator_handler eh;
  bmc_handler bh{&bmc, std::span<const std::uint8_t>(rsp.data(), response_size)};
  const clk::time_point now{};
  emu.connect(now, eh);
  bmc.connect(now, bh);
  // Greetings at `now`; the round trips run at `t`, past the command gap the greeting started.
  const clk::time_point t = now + std::chrono::seconds(1);
  bmc.receive(emu.pending(), now, bh);
  emu.consume(emu.pending().size(), now);
  emu.receive(bmc.pending(), now, eh);
  bmc.consume(bmc.pending().size(), now);
  std::uint8_t id = 0;
  std::uint64_t wire = 0;
  for (auto _ : state) {
    emu.send_request(id++, request_body, t, eh);
    const auto req = emu.outbound(t);
    wire += req.size();
    bmc.receive(req, t, bh);
    emu.consume(req.size(), t);
    const auto resp = bmc.outbound(t);
    wire += resp.size();
    emu.receive(resp, t, eh);
    bmc.consume(resp.size(), t);
  }
  benchmark::DoNotOptimize(eh.responses);
  if (emu.stats().local_responses != 0 || eh.problems != 0 ||
      emu.stats().responses != static_cast<std::uint64_t>(state.iterations()))
    state.SkipWithError("round trip failed");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(wire));
}

struct codec_handler {
  std::uint64_t messages = 0;
  std::uint64_t errors = 0;
  std::uint8_t last_id = 0;
  void operator()(const vm::message_event& m) {
    ++messages;
    last_id = m.msg_id;
  }
  void operator()(const vm::command_event&) { ++errors; }
  void operator()(const vm::error_event&) { ++errors; }
};

void bench_codec(benchmark::State& state, std::size_t response_size) {
  const auto rsp = response_body(response_size);
  const std::span<const std::uint8_t> response(rsp.data(), response_size);
  std::array<std::uint8_t, vm::max_message_frame_size(vm::max_message_size)> out{};
  vm::decoder at_bmc;
  vm::decoder at_emulator(vm::min_response_frame);
  codec_handler h;
  std::uint8_t id = 0;
  std::uint64_t wire = 0;
  for (auto _ : state) {
    auto r = vm::encode_message(out, id++, request_body);
    wire += r.size;
    at_bmc.feed(std::span<const std::uint8_t>(out.data(), r.size), h);
    r = vm::encode_message(out, h.last_id, response);
    wire += r.size;
    at_emulator.feed(std::span<const std::uint8_t>(out.data(), r.size), h);
  }
  benchmark::DoNotOptimize(h.messages);
  if (h.errors != 0 || h.messages != 2 * static_cast<std::uint64_t>(state.iterations()))
    state.SkipWithError("codec round trip failed");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(wire));
}

// Get Device ID's real response is 15 bytes of body; 200 is a large SDR/FRU read.
BENCHMARK_CAPTURE(bench_session, roundtrip_small/session, 15)->Name("roundtrip_small/session");
BENCHMARK_CAPTURE(bench_codec, roundtrip_small/codec, 15)->Name("roundtrip_small/codec");
BENCHMARK_CAPTURE(bench_session, roundtrip_large/session, 200)->Name("roundtrip_large/session");
BENCHMARK_CAPTURE(bench_codec, roundtrip_large/codec, 200)->Name("roundtrip_large/codec");

}  // namespace
