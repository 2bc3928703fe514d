// tests/interop/kcs_qtest.hpp — a minimal KCS host (the guest's side of the interface) over
// qtest port I/O, following reference/qemu.md §2/§4.1 and the live trace in qemu-live.md:
//
//   wait IBF=0 (state IDLE) → 0x61 WRITE_START to the command port → wait IBF=0, state WRITE,
//   read the dummy byte → every request byte but the last to the data port (each time: wait
//   IBF=0, state WRITE, clear OBF) → 0x62 WRITE_END → last byte (QEMU frames the request to
//   the BMC now; IBF stays 1 until the response or QEMU's 4 s timeout) → read phase: wait
//   IBF=0; state READ: read a byte, write 0x68 READ; state IDLE: read the final dummy byte.
//
// Unlike QEMU's own ipmi-kcs-test, the last request byte is written *after* WRITE_END, so the
// BMC receives exactly the request (the qtest sends an extra 0x00).
//
// Every wait polls the status register (no sleep for the first polls, then 1 ms sleeps) and is
// bounded by a wall-clock deadline and a poll count. On failure the message includes a trace
// of the register accesses; pass `trace` to get it on success too.
#pragma once

#include <string>
#include <vector>

#include <ipmikit/kcs/registers.hpp>

#include "common.hpp"
#include "qemu.hpp"

namespace ipmikit::interop {

namespace kcs {
inline constexpr std::uint16_t default_data_port = ::ipmikit::kcs::default_data_port;      // 0xCA2
inline constexpr std::uint16_t default_status_port = ::ipmikit::kcs::default_status_port;  // 0xCA3

// The status register bits (IPMI v2.0 §9.7; QEMU ipmi_kcs.c) are registers.hpp's: obf, ibf,
// sms_atn, state_mask. Only the names and values come from the library; the transaction below
// is written from the spec and QEMU, not from kcs::host.
using namespace ::ipmikit::kcs::status_bit;
/// The state field of the status register for `s`.
[[nodiscard]] constexpr std::uint8_t state_bits(::ipmikit::kcs::state s) noexcept {
  return static_cast<std::uint8_t>(static_cast<unsigned>(s) << state_shift);
}
inline constexpr std::uint8_t state_idle = state_bits(::ipmikit::kcs::state::idle);    // 0x00
inline constexpr std::uint8_t state_read = state_bits(::ipmikit::kcs::state::read);    // 0x40
inline constexpr std::uint8_t state_write = state_bits(::ipmikit::kcs::state::write);  // 0x80

// Control codes (the command port's, and READ on the data port in the read phase).
using code = ::ipmikit::kcs::control_code;
inline constexpr std::uint8_t write_start = static_cast<std::uint8_t>(code::write_start);  // 0x61
inline constexpr std::uint8_t write_end = static_cast<std::uint8_t>(code::write_end);      // 0x62
inline constexpr std::uint8_t read = static_cast<std::uint8_t>(code::read);                // 0x68

[[nodiscard]] constexpr std::uint8_t state_of(std::uint8_t status) noexcept {
  return static_cast<std::uint8_t>(status & state_mask);
}
[[nodiscard]] inline std::string_view state_name(std::uint8_t status) noexcept {
  switch (state_of(status)) {
    case state_idle: return "IDLE";
    case state_read: return "READ";
    case state_write: return "WRITE";
    default: return "ERROR";
  }
}
}  // namespace kcs

struct kcs_ports {
  std::uint16_t data = kcs::default_data_port;
  std::uint16_t status = kcs::default_status_port;
};

/// The status register, or nullopt (see qt.last_error()).
[[nodiscard]] inline std::optional<std::uint8_t> kcs_status(qtest& qt, kcs_ports ports = {}) {
  return qt.inb(ports.status);
}

namespace detail {

/// Register access with a trace, shared by the KCS and BT hosts.
class port_io {
 public:
  explicit port_io(qtest& qt) : qt_(qt) {}

  [[nodiscard]] std::optional<std::uint8_t> in(std::uint16_t port) {
    auto v = qt_.inb(port);
    if (v) note("r " + hex_port(port) + "=" + hex(*v));
    return v;
  }
  [[nodiscard]] bool out(std::uint16_t port, std::uint8_t value) {
    note("w " + hex_port(port) + "<-" + hex(value));
    return qt_.outb(port, value);
  }

  /// Polls `port` until `pred(value)` holds, for at most `timeout`. Only the last value read
  /// goes into the trace, with the number of polls.
  template <class Pred>
  [[nodiscard]] result<std::uint8_t> wait(std::uint16_t port, Pred pred, millis timeout,
                                          std::string_view what) {
    const deadline d(timeout);
    const long long max_polls = 200 + timeout.count() * 2;  // 1 ms sleeps after the first 200
    std::uint8_t v = 0;
    for (long long polls = 1;; ++polls) {
      const auto r = qt_.inb(port);
      if (!r) return fail("inb " + hex_port(port) + " while waiting for " + std::string(what) +
                          ": " + qt_.last_error());
      v = *r;
      if (pred(v)) {
        note("r " + hex_port(port) + "=" + hex(v) +
             (polls > 1 ? " (" + std::to_string(polls) + " polls)" : std::string()));
        return v;
      }
      if (d.expired() || polls >= max_polls) {
        note("r " + hex_port(port) + "=" + hex(v) + " (" + std::to_string(polls) +
             " polls, gave up)");
        return fail("timed out after " + std::to_string(timeout.count()) + " ms waiting for " +
                    std::string(what) + " (last value " + hex(v) + ")");
      }
      if (polls >= 200) sleep_ms(1);
    }
  }

  [[nodiscard]] failure failed(std::string_view what) const {
    return fail(std::string(what) + "; trace: " + trace_);
  }
  [[nodiscard]] failure failed_io(std::string_view what) const {
    return fail(std::string(what) + ": " + qt_.last_error() + "; trace: " + trace_);
  }

  [[nodiscard]] const std::string& trace() const noexcept { return trace_; }

 private:
  void note(const std::string& s) {
    if (!trace_.empty()) trace_ += ", ";
    trace_ += s;
  }

  qtest& qt_;
  std::string trace_;
};

}  // namespace detail

/// One KCS request/response transaction. `request` = netfn<<2|lun, cmd, data (≥ 2 bytes).
/// Returns the response netfn<<2|lun, cmd, completion code, data. `response_timeout` bounds
/// the wait for the BMC (QEMU answers 0xC3 itself after 4 s, so use at least 6 s).
[[nodiscard]] inline result<std::vector<std::uint8_t>> kcs_transaction(
    qtest& qt, std::span<const std::uint8_t> request, millis response_timeout = millis(8000),
    kcs_ports ports = {}, std::string* trace = nullptr) {
  if (request.size() < 2) return fail("kcs_transaction: a request needs netfn/LUN and cmd");
  if (request.size() > 300) return fail("kcs_transaction: request longer than 300 bytes");
  detail::port_io io(qt);
  const millis step(2000);  // a write step is handled synchronously by QEMU
  auto finish = [&](auto r) {
    if (trace != nullptr) *trace = io.trace();
    return r;
  };
  using rsp = result<std::vector<std::uint8_t>>;
  auto ibf_clear = [](std::uint8_t s) { return (s & kcs::ibf) == 0; };
  auto obf_set = [](std::uint8_t s) { return (s & kcs::obf) != 0; };

  // Waits for IBF clear (`when`: before or after what), then expects state `want`: the status.
  auto settle = [&](std::uint8_t want, const std::string& when) -> result<std::uint8_t> {
    auto s = io.wait(ports.status, ibf_clear, step, "IBF=0 " + when);
    if (!s) return s;
    if (kcs::state_of(*s) != want)
      return fail(std::string("KCS in state ") + std::string(kcs::state_name(*s)) + " (status " +
                  hex(*s) + ") " + when + ", expected " + std::string(kcs::state_name(want)));
    return s;
  };
  auto clear_obf = [&](std::uint8_t st) -> bool {
    if ((st & kcs::obf) == 0) return true;
    return io.in(ports.data).has_value();
  };

  // 1. Idle.
  auto st = settle(kcs::state_idle, "before WRITE_START");
  if (!st) return finish(rsp(io.failed(st.error())));
  if (!clear_obf(*st)) return finish(rsp(io.failed_io("clearing a stale OBF")));

  // 2. WRITE_START, then the dummy byte.
  if (!io.out(ports.status, kcs::write_start)) return finish(rsp(io.failed_io("WRITE_START")));
  st = settle(kcs::state_write, "after WRITE_START");
  if (!st) return finish(rsp(io.failed(st.error())));
  if ((*st & kcs::obf) == 0) return finish(rsp(io.failed("no OBF (dummy byte) after WRITE_START")));
  if (!io.in(ports.data)) return finish(rsp(io.failed_io("reading the dummy byte")));

  // 3. Every byte but the last.
  for (std::size_t i = 0; i + 1 < request.size(); ++i) {
    if (!io.out(ports.data, request[i]))
      return finish(rsp(io.failed_io("writing request byte " + std::to_string(i))));
    st = settle(kcs::state_write, "after request byte " + std::to_string(i));
    if (!st) return finish(rsp(io.failed(st.error())));
    if (!clear_obf(*st)) return finish(rsp(io.failed_io("clearing OBF")));
  }

  // 4. WRITE_END, then the last byte.
  if (!io.out(ports.status, kcs::write_end)) return finish(rsp(io.failed_io("WRITE_END")));
  st = settle(kcs::state_write, "after WRITE_END");
  if (!st) return finish(rsp(io.failed(st.error())));
  if (!clear_obf(*st)) return finish(rsp(io.failed_io("clearing OBF")));
  if (!io.out(ports.data, request.back()))
    return finish(rsp(io.failed_io("writing the last request byte")));

  // 5. Read phase. The first wait covers the BMC's answer; later ones are synchronous.
  std::vector<std::uint8_t> response;
  millis wait_for = response_timeout;
  for (int n = 0; n < 400; ++n) {
    st = io.wait(ports.status, ibf_clear, wait_for,
                 n == 0 ? "the response (IBF=0 after the last request byte)"
                            : "IBF=0 in the read phase");
    if (!st) return finish(rsp(io.failed(st.error())));
    wait_for = step;
    const std::uint8_t state = kcs::state_of(*st);
    if (state != kcs::state_read && state != kcs::state_idle)
      return finish(rsp(io.failed(std::string("KCS in state ") +
                                  std::string(kcs::state_name(*st)) + " (status " + hex(*st) +
                                  ") in the read phase")));
    if ((*st & kcs::obf) == 0) {
      st = io.wait(ports.status, obf_set, step, "OBF in the read phase");
      if (!st) return finish(rsp(io.failed(st.error())));
    }
    const auto b = io.in(ports.data);
    if (!b) return finish(rsp(io.failed_io("reading a response byte")));
    if (state == kcs::state_idle) {  // *b is the final dummy byte
      if (response.empty()) return finish(rsp(io.failed("KCS went IDLE without a response")));
      return finish(rsp(std::move(response)));
    }
    response.push_back(*b);
    if (!io.out(ports.data, kcs::read)) return finish(rsp(io.failed_io("writing READ")));
  }
  return finish(rsp(io.failed("response longer than 400 bytes")));
}

[[nodiscard]] inline result<std::vector<std::uint8_t>> kcs_transaction(
    qtest& qt, std::initializer_list<std::uint8_t> request, millis response_timeout = millis(8000),
    kcs_ports ports = {}, std::string* trace = nullptr) {
  return kcs_transaction(qt, std::span<const std::uint8_t>(request.begin(), request.size()),
                         response_timeout, ports, trace);
}

}  // namespace ipmikit::interop
