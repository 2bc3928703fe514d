// tests/chain.hpp — the whole path in one process, as DESIGN.md draws it:
//
//   kcs::host ⇄ kcs::device ⇄ vm::session<emulator> ⇄ bytes ⇄ vm::session<bmc> ⇄ responder
//   bt::host  ⇄ bt::device  ⇄ (the same)
//   ssif::host ⇄ ssif::device ⇄ (the same)
//
// `chain<Device>` is a kcs::register_bus or a bt::register_bus, after its device, or an SMBus
// for an SSIF device: a host drives it with kcs::drive() / bt::drive() / ssif::drive(). Its idle() hook
// (called while the host polls) moves everything else one step: a complete request goes from
// the device into the emulator session, bytes cross the in-memory wire both ways, the BMC
// session's requests go to the responder, and responses and hardware commands come back to
// the device (attention → SMS_ATN, interrupt enable → the device's interrupt line). The glue
// between the device and the emulator session is the library's si::emulator_bridge (what an
// emulator such as QEMU does between isa-ipmi-kcs and ipmi-bmc-extern); this file only adds the
// in-memory wire and the BMC.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include <ipmikit/ipmikit.hpp>

#include "session_exchange.hpp"

namespace ipmikit::test {

template <class Device>
struct chain {
  using clk = std::chrono::steady_clock;
  using bytes = std::vector<std::uint8_t>;

  Device device;
  vm::emulator_session<clk> emulator;
  // No command gap: the in-memory wire delivers every write separately (session.hpp explains
  // the gap, a defence for QEMU builds that parse one command per read).
  vm::bmc_session<clk> bmc{vm::bmc_session<clk>::config{.command_gap = clk::duration::zero()}};
  clk::time_point now{};
  clk::duration step = std::chrono::microseconds(10);  // per register access

  /// The BMC's logic: request body → response body (netfn|1, cmd, cc, data…). Returning an
  /// empty vector leaves the request unanswered.
  std::function<bytes(std::span<const std::uint8_t>)> responder;

  // What happened, for the tests.
  std::vector<bytes> requests_seen_by_bmc;
  std::vector<vm::command> commands_seen_by_emulator;
  std::uint64_t wire_bytes = 0;
  std::uint64_t local_responses = 0;
  std::uint64_t accesses = 0;  // register accesses the host made (the benchmarks report them)
  bool irq_seen = false;

  si::emulator_bridge<Device, vm::emulator_session<clk>> bridge{device, emulator};

  chain() {
    bridge.connect(now, ignore{});
    bmc.connect(now, ignore{});
    pump();
  }

  // --- kcs::register_bus -----------------------------------------------------------------------
  std::uint8_t read_status() requires requires(Device& d) { d.read_status(); } {
    return ++accesses, device.read_status();
  }
  std::uint8_t read_data() requires requires(Device& d) { d.read_data(); } { return ++accesses, device.read_data(); }
  void write_command(std::uint8_t v) requires requires(Device& d) { d.write_command(std::uint8_t{}); } {
    ++accesses, device.write_command(v);
  }
  void write_data(std::uint8_t v) requires requires(Device& d) { d.write_data(std::uint8_t{}); } {
    ++accesses, device.write_data(v);
  }

  // --- bt::register_bus ------------------------------------------------------------------------
  std::uint8_t read_control() requires requires(Device& d) { d.read_control(); } {
    return ++accesses, device.read_control();
  }
  std::uint8_t read_buffer() requires requires(Device& d) { d.read_buffer(); } {
    return ++accesses, device.read_buffer();
  }
  void write_control(std::uint8_t v) requires requires(Device& d) { d.write_control(std::uint8_t{}); } {
    ++accesses, device.write_control(v);
  }
  void write_buffer(std::uint8_t v) requires requires(Device& d) { d.write_buffer(std::uint8_t{}); } {
    ++accesses, device.write_buffer(v);
  }
  // --- SSIF: an SMBus with the device on it (ssif::perform below) ----------------------------
  ssif::device_bus<Device> smbus{device};

  void idle() { pump(); }
  clk::time_point tick() {
    irq_seen = irq_seen || device.irq();
    return now += step;
  }

 private:
  using ignore = si::ignore_events;

  // The emulator's side: what the bridge did not apply to the device is recorded for the tests.
  auto emulator_handler() {
    return [this](const auto& e) {
      using E = std::decay_t<decltype(e)>;
      if constexpr (std::is_same_v<E, vm::response_event>) {
        if (e.local) ++local_responses;
      } else if constexpr (std::is_same_v<E, vm::hardware_event>) {
        commands_seen_by_emulator.push_back(e.code);
      }
    };
  }

  auto bmc_handler() {
    return [this](const auto& e) {
      using E = std::decay_t<decltype(e)>;
      if constexpr (std::is_same_v<E, vm::request_event>) {
        requests_seen_by_bmc.emplace_back(e.body.begin(), e.body.end());
        if (!responder) return;
        const bytes rsp = responder(e.body);
        if (!rsp.empty()) (void)bmc.respond(e.msg_id, rsp);
      }
    };
  }

  // The emulator's wire bytes go to the BMC session; the BMC's come back through the bridge.
  bool carry_to_bmc() {
    const std::size_t moved = test::relay(emulator, bmc, now, bmc_handler(), 16);
    wire_bytes += moved;
    return moved > 0;
  }

  bool carry_to_emulator() {
    // The bridge's handler touches only the emulator's buffers.
    const std::size_t moved = test::relay(bmc, bridge, now, emulator_handler(), 16);
    wire_bytes += moved;
    return moved > 0;
  }

 public:
  /// Moves everything that can move, a bounded number of rounds.
  void pump() {
    for (int round = 0; round < 8; ++round) {
      bool moved = bridge.forward(now, emulator_handler());
      moved = carry_to_bmc() || moved;
      moved = carry_to_emulator() || moved;
      bridge.poll(now, emulator_handler());
      bmc.poll(now, bmc_handler());
      if (!moved) return;
    }
  }

};

/// SSIF transfers on the chain's SMBus (found by ssif::drive()).
template <class Device>
  requires requires(Device& d, std::span<std::uint8_t, ssif::block_size> out) { d.block_read(std::uint8_t{}, out); }
ssif::transfer_result perform(chain<Device>& c, const ssif::action& a) {
  ++c.accesses;
  return perform(c.smbus, a);
}

}  // namespace ipmikit::test
