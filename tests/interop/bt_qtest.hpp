// tests/interop/bt_qtest.hpp — a minimal BT host (the guest's side of the interface) over
// qtest port I/O, following reference/qemu.md §3/§4.2 and the live trace in qemu-live.md:
//
//   wait B_BUSY=0 → CLR_WR_PTR → write len, netfn, seq, cmd, data to the buffer → H2B_ATN
//   (QEMU frames the request to the BMC now; the seq byte stays in QEMU) → wait B2H_ATN →
//   H_BUSY on, clear B2H_ATN, CLR_RD_PTR → read len, then len bytes (netfn, seq, cmd, cc,
//   data) → H_BUSY off.
//
// Waits are bounded like the KCS host's (kcs_qtest.hpp). H_BUSY is a toggle: once set, it is
// toggled back off on every exit path.
#pragma once

#include <string>
#include <vector>

#include <ipmikit/bt/registers.hpp>

#include "common.hpp"
#include "kcs_qtest.hpp"  // detail::port_io
#include "qemu.hpp"

namespace ipmikit::interop {

namespace bt {
inline constexpr std::uint16_t default_control_port = ::ipmikit::bt::default_control_port;  // 0xE4
inline constexpr std::uint16_t default_buffer_port = ::ipmikit::bt::default_buffer_port;    // 0xE5
inline constexpr std::uint16_t default_intmask_port = ::ipmikit::bt::default_interrupt_mask_port;  // 0xE6
// The control register bits (IPMI v2.0 §11.6; QEMU ipmi_bt.c) are registers.hpp's: clr_wr_ptr,
// clr_rd_ptr, h2b_atn, b2h_atn, sms_atn, oem0, h_busy, b_busy. Only the names come from the
// library; the transaction below is written from the spec and QEMU, not from bt::host.
using namespace ::ipmikit::bt::control_bit;
}  // namespace bt

struct bt_ports {
  std::uint16_t control = bt::default_control_port;
  std::uint16_t buffer = bt::default_buffer_port;
  std::uint16_t intmask = bt::default_intmask_port;
};

/// The control register, or nullopt (see qt.last_error()).
[[nodiscard]] inline std::optional<std::uint8_t> bt_control(qtest& qt, bt_ports ports = {}) {
  return qt.inb(ports.control);
}

struct bt_response {
  std::uint8_t length = 0;         // the length byte: bytes that followed it
  std::uint8_t seq = 0;            // the sequence number, echoed
  std::vector<std::uint8_t> body;  // netfn<<2|lun, cmd, completion code, data (as over KCS)
};

/// One BT request/response transaction. `request` = netfn<<2|lun, cmd, data (≥ 2 bytes); `seq`
/// is the BT sequence number. `response_timeout` bounds the wait for the BMC (QEMU answers
/// 0xC3 itself after 4 s, so use at least 6 s).
[[nodiscard]] inline result<bt_response> bt_transaction(qtest& qt,
                                                        std::span<const std::uint8_t> request,
                                                        std::uint8_t seq,
                                                        millis response_timeout = millis(8000),
                                                        bt_ports ports = {},
                                                        std::string* trace = nullptr) {
  if (request.size() < 2) return fail("bt_transaction: a request needs netfn/LUN and cmd");
  if (request.size() + 1 > 0xFF) return fail("bt_transaction: request too long for BT");
  detail::port_io io(qt);
  const millis step(2000);
  using rsp = result<bt_response>;
  bool busy = false;  // H_BUSY set by us
  auto finish = [&](rsp r) {
    if (busy && io.out(ports.control, bt::h_busy)) busy = false;  // toggle back off
    if (trace != nullptr) *trace = io.trace();
    return r;
  };

  // 1. Idle: B_BUSY clear; drop leftovers of an earlier failed transaction.
  auto ctrl = io.wait(
      ports.control, [](std::uint8_t c) { return (c & bt::b_busy) == 0; }, step, "B_BUSY=0");
  if (!ctrl) return finish(io.failed(ctrl.error()));
  if ((*ctrl & bt::h_busy) != 0 && !io.out(ports.control, bt::h_busy))
    return finish(io.failed_io("clearing a stale H_BUSY"));
  if ((*ctrl & bt::b2h_atn) != 0 && !io.out(ports.control, bt::b2h_atn))
    return finish(io.failed_io("clearing a stale B2H_ATN"));

  // 2. The request: len, netfn/LUN, seq, cmd, data.
  if (!io.out(ports.control, bt::clr_wr_ptr)) return finish(io.failed_io("CLR_WR_PTR"));
  if (!io.out(ports.buffer, static_cast<std::uint8_t>(request.size() + 1)) ||
      !io.out(ports.buffer, request[0]) || !io.out(ports.buffer, seq))
    return finish(io.failed_io("writing the request header"));
  for (std::size_t i = 1; i < request.size(); ++i)
    if (!io.out(ports.buffer, request[i]))
      return finish(io.failed_io("writing request byte " + std::to_string(i)));

  // 3. H2B_ATN, then wait for the response.
  if (!io.out(ports.control, bt::h2b_atn)) return finish(io.failed_io("H2B_ATN"));
  ctrl = io.wait(
      ports.control, [](std::uint8_t c) { return (c & bt::b2h_atn) != 0; }, response_timeout,
      "the response (B2H_ATN)");
  if (!ctrl) return finish(io.failed(ctrl.error()));

  // 4. H_BUSY on, clear B2H_ATN, rewind the read pointer.
  if (!io.out(ports.control, bt::h_busy)) return finish(io.failed_io("setting H_BUSY"));
  busy = true;
  if (!io.out(ports.control, bt::b2h_atn)) return finish(io.failed_io("clearing B2H_ATN"));
  if (!io.out(ports.control, bt::clr_rd_ptr)) return finish(io.failed_io("CLR_RD_PTR"));

  // 5. len, netfn, seq, cmd, cc, data.
  const auto len = io.in(ports.buffer);
  if (!len) return finish(io.failed_io("reading the length byte"));
  if (*len < 4)
    return finish(io.failed("response length byte " + hex(*len) +
                            " (needs netfn, seq, cmd and completion code)"));
  bt_response out;
  out.length = *len;
  std::vector<std::uint8_t> raw;
  for (unsigned i = 0; i < *len; ++i) {
    const auto b = io.in(ports.buffer);
    if (!b) return finish(io.failed_io("reading response byte " + std::to_string(i)));
    raw.push_back(*b);
  }
  out.seq = raw[1];
  out.body.push_back(raw[0]);
  out.body.insert(out.body.end(), raw.begin() + 2, raw.end());

  // 6. H_BUSY off.
  if (!io.out(ports.control, bt::h_busy)) return finish(io.failed_io("clearing H_BUSY"));
  busy = false;
  return finish(std::move(out));
}

[[nodiscard]] inline result<bt_response> bt_transaction(qtest& qt,
                                                        std::initializer_list<std::uint8_t> request,
                                                        std::uint8_t seq,
                                                        millis response_timeout = millis(8000),
                                                        bt_ports ports = {},
                                                        std::string* trace = nullptr) {
  return bt_transaction(qt, std::span<const std::uint8_t>(request.begin(), request.size()), seq,
                        response_timeout, ports, trace);
}

}  // namespace ipmikit::interop
