// tests/chain.hpp — the whole path in one process, as DESIGN.md draws it:
//
//   kcs::host ⇄ kcs::device ⇄ vm::session<emulator> ⇄ bytes ⇄ vm::session<bmc> ⇄ responder
//   bt::host  ⇄ bt::device  ⇄ (the same)
//
// `chain<Device>` is a kcs::register_bus or a bt::register_bus, after its device: a host drives
// it with kcs::drive() / bt::drive(). Its idle() hook
// (called while the host polls) moves everything else one step: a complete request goes from
// the device into the emulator session, bytes cross the in-memory wire both ways, the BMC
// session's requests go to the responder, and responses and hardware commands come back to
// the device (attention → SMS_ATN, interrupt enable → the device's interrupt line). The glue is
// what an emulator such as QEMU does between isa-ipmi-kcs and ipmi-bmc-extern.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include <ipmikit/ipmikit.hpp>

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
  bool irq_seen = false;

  chain() {
    emulator.connect(now, ignore{});
    bmc.connect(now, ignore{});
    pump();
  }

  // --- kcs::register_bus -----------------------------------------------------------------------
  std::uint8_t read_status() requires requires(Device& d) { d.read_status(); } { return device.read_status(); }
  std::uint8_t read_data() requires requires(Device& d) { d.read_data(); } { return device.read_data(); }
  void write_command(std::uint8_t v) requires requires(Device& d) { d.write_command(std::uint8_t{}); } {
    device.write_command(v);
  }
  void write_data(std::uint8_t v) requires requires(Device& d) { d.write_data(std::uint8_t{}); } { device.write_data(v); }

  // --- bt::register_bus ------------------------------------------------------------------------
  std::uint8_t read_control() requires requires(Device& d) { d.read_control(); } { return device.read_control(); }
  std::uint8_t read_buffer() requires requires(Device& d) { d.read_buffer(); } { return device.read_buffer(); }
  void write_control(std::uint8_t v) requires requires(Device& d) { d.write_control(std::uint8_t{}); } {
    device.write_control(v);
  }
  void write_buffer(std::uint8_t v) requires requires(Device& d) { d.write_buffer(std::uint8_t{}); } {
    device.write_buffer(v);
  }
  void idle() { pump(); }
  clk::time_point tick() {
    irq_seen = irq_seen || device.irq();
    return now += step;
  }

 private:
  struct ignore {
    template <class E>
    void operator()(const E&) const {}
  };

  auto emulator_handler() {
    return [this](const auto& e) {
      using E = std::decay_t<decltype(e)>;
      if constexpr (std::is_same_v<E, vm::response_event>) {
        if (e.local) ++local_responses;
        // A response for a request the host abandoned is refused by the device: fine.
        if (in_flight_) (void)device.respond(*in_flight_, e.body);
        in_flight_.reset();
      } else if constexpr (std::is_same_v<E, vm::hardware_event>) {
        commands_seen_by_emulator.push_back(e.code);
        switch (e.code) {
          case vm::command::attention: device.set_attention(true, false); break;
          case vm::command::attention_irq: device.set_attention(true, true); break;
          case vm::command::no_attention: device.set_attention(false); break;
          case vm::command::enable_irq: device.set_interrupts_enabled(true); break;
          case vm::command::disable_irq: device.set_interrupts_enabled(false); break;
          default: break;
        }
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

  // The device's complete request → the emulator session (one at a time, like QEMU).
  bool forward_request() {
    const auto r = device.pending_request();
    if (!r || forwarded_ == r->id || emulator.request_outstanding()) return false;
    forwarded_ = r->id;
    in_flight_ = r->id;
    (void)emulator.send_request(next_msg_id_++, r->bytes, now, emulator_handler());
    return true;
  }

  template <class From, class To, class Handler>
  bool carry(From& from, To& to, Handler&& handler) {
    bool moved = false;
    for (int i = 0; i < 16; ++i) {
      const auto out = from.outbound(now);
      if (out.empty()) break;
      to.receive(out, now, handler);
      wire_bytes += out.size();
      from.consume(out.size(), now);
      moved = true;
    }
    return moved;
  }

 public:
  /// Moves everything that can move, a bounded number of rounds.
  void pump() {
    for (int round = 0; round < 8; ++round) {
      bool moved = forward_request();
      moved = carry(emulator, bmc, bmc_handler()) || moved;
      moved = carry(bmc, emulator, emulator_handler()) || moved;
      emulator.poll(now, emulator_handler());
      bmc.poll(now, bmc_handler());
      if (!moved) return;
    }
  }

 private:
  std::optional<std::uint32_t> forwarded_;
  std::optional<std::uint32_t> in_flight_;
  std::uint8_t next_msg_id_ = 0;
};

}  // namespace ipmikit::test
