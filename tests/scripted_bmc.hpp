// tests/scripted_bmc.hpp — the BMC behind the in-memory bus of a host test (kcs_host_test.cpp,
// bt_host_test.cpp): it owns the device, answers the device's pending request with `answer`
// (by default success, echoing the request's data), after some host polls, never, or not the
// first `ignore` requests, and keeps the bus's clock and its trace of register accesses. Each
// test's bus derives from it and adds its interface's registers; run(), transact() and
// response_of() drive either interface's host over such a bus.
#pragma once

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
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

  explicit scripted_bmc(typename Device::config cfg = {}) : device(cfg) {}

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

/// A bus straight to a scripted BMC's device: every register access forwarded and traced ("rs="
/// status, "rd=" data, "rc=" control, "rb=" buffer reads; "wc " command or control, "wd " data,
/// "wb " buffer writes), the BMC told of a new request (on_request, then maybe_answer) and of
/// each poll (idle()). A KCS host uses the status and data registers, a BT host the control and
/// buffer ones.
template <class Device>
struct register_bus : scripted_bmc<Device> {
  using scripted_bmc<Device>::scripted_bmc;

  std::function<void(register_bus&)> on_request;  // BMC behaviour beyond the scripted answers

  std::uint8_t read_status() { return read("rs=", this->device.read_status()); }
  std::uint8_t read_data() { return read("rd=", this->device.read_data()); }
  std::uint8_t read_control() { return read("rc=", this->device.read_control()); }
  std::uint8_t read_buffer() { return read("rb=", this->device.read_buffer()); }
  void write_command(std::uint8_t v) { write("wc ", v, [&] { return this->device.write_command(v); }); }
  void write_data(std::uint8_t v) { write("wd ", v, [&] { return this->device.write_data(v); }); }
  void write_control(std::uint8_t v) { write("wc ", v, [&] { return this->device.write_control(v); }); }
  void write_buffer(std::uint8_t v) { write("wb ", v, [&] { return this->device.write_buffer(v); }); }
  // The host is polling: the BMC works.
  void idle() {
    ++this->polls;
    if (this->device.service() == si::event::request_ready) this->polls = 0;
    this->maybe_answer();
  }

 private:
  std::uint8_t read(std::string_view what, std::uint8_t value) {
    this->note(what, value);
    return value;
  }
  template <class Write>
  void write(std::string_view what, std::uint8_t value, Write&& to_device) {
    this->note(what, value);
    if constexpr (std::is_void_v<decltype(to_device())>) {
      to_device();
    } else if (to_device() == si::event::request_ready) {
      this->polls = 0;
      if (on_request) on_request(*this);
      this->maybe_answer();
    }
  }
};

/// What a BMC that answers at once puts in `d`: the pending request's response, cc 00 and no
/// data. For the buses of the tests that run a host in constant evaluation.
template <class Device>
constexpr void answer_at_once(Device& d) {
  const auto r = d.pending_request();
  const std::array<std::uint8_t, 3> rsp{static_cast<std::uint8_t>(r->bytes[0] | 0x04), r->bytes[1], 0x00};
  (void)d.respond(r->id, rsp);
}

/// Get Device ID started on `h` at time 0 and driven over `bus` (1 ms an access, at most 1000)
/// to done, with answer_at_once's response: usable in constant evaluation.
template <class Host, class Bus>
constexpr bool get_device_id_answered(Host& h, Bus& bus) {
  const std::array<std::uint8_t, 2> request{0x18, 0x01};
  typename Host::time_point t{};
  if (h.start(request, t) != si::host_error::ok) return false;
  if (drive(h, bus, [&] { return t += std::chrono::milliseconds(1); }, 1000) != si::outcome::done) return false;
  const auto r = h.response();
  return r.size() == 3 && r[0] == 0x1C && r[1] == 0x01 && r[2] == 0x00;
}

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
