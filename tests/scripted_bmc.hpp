// tests/scripted_bmc.hpp — the BMC behind the in-memory bus of a host test (kcs_host_test.cpp,
// bt_host_test.cpp): it owns the device, answers the device's pending request with `answer`
// (by default success, echoing the request's data), after some host polls, never, or not the
// first `ignore` requests, and keeps the bus's clock and its trace of register accesses. Each
// test's bus derives from it and adds its interface's registers; run(), transact() and
// response_of() drive either interface's host over such a bus.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <ipmikit/si/interface.hpp>

#include "test_support.hpp"

namespace ipmikit::test {

template <class Device>
struct scripted_bmc {
  using clock = std::chrono::steady_clock;

  Device device;
  std::vector<std::string> trace;  // one token per register access, in order
  clock::time_point now{};
  clock::duration step = std::chrono::milliseconds(1);  // time each access takes

  std::function<bytes(std::span<const std::uint8_t>)> answer = [](std::span<const std::uint8_t> r) {
    // Built by push_back: `bytes{a, b, c}` followed by insert() draws GCC 12's false
    // -Warray-bounds at -O2 (a memcpy "out of the bounds [0, 3]"; meta-bug PR 56456).
    bytes rsp;
    rsp.reserve(r.size() + 1);
    rsp.push_back(static_cast<std::uint8_t>(r[0] | 0x04));
    rsp.push_back(r[1]);
    rsp.push_back(0x00);
    rsp.insert(rsp.end(), r.begin() + 2, r.end());
    return rsp;
  };
  int answer_after_polls = 0;  // polls of the host before the BMC answers (-1: never)
  int polls = 0;               // polls since the request arrived
  int ignore = 0;              // requests to leave unanswered before answering again
  std::uint32_t ignored_id = 0xFFFFFFFF;

  explicit scripted_bmc(typename Device::config cfg) : device(cfg) {}

  /// Answers the pending request if its time has come.
  void maybe_answer() {
    const auto r = device.pending_request();
    if (!r || answer_after_polls < 0 || polls < answer_after_polls || r->id == ignored_id) return;
    if (ignore > 0) {
      --ignore;
      ignored_id = r->id;
      return;
    }
    const auto error = device.respond(r->id, answer(r->bytes));
    REQUIRE(error == decltype(error)::ok);
  }

  /// One access in the trace: what it was ("rs=" a read, "wc " a write) and the value, in hex.
  void note(std::string_view what, std::uint8_t value) {
    trace.push_back(std::string(what) + to_hex(std::span<const std::uint8_t>(&value, 1)));
  }
  clock::time_point tick() { return now += step; }

  /// The trace, space-separated.
  [[nodiscard]] std::string joined() const {
    std::string out;
    for (const auto& t : trace) out += (out.empty() ? "" : " ") + t;
    return out;
  }
};

/// `h` driven over `bus` (kcs::drive or bt::drive, found by the host's namespace), each access
/// a tick of the bus's clock, for at most `max_accesses`.
template <class Host, class Bus>
si::outcome run(Host& h, Bus& bus, std::size_t max_accesses = 100000) {
  return drive(h, bus, [&] { return bus.tick(); }, max_accesses);
}
/// `request` started at the bus's time and run.
template <class Host, class Bus>
si::outcome transact(Host& h, Bus& bus, const bytes& request) {
  REQUIRE(h.start(request, bus.now) == si::host_error::ok);
  return run(h, bus);
}
template <class Host>
bytes response_of(const Host& h) {
  return {h.response().begin(), h.response().end()};
}

}  // namespace ipmikit::test
