// fuzz/fuzz_bridge.cpp — si::emulator_bridge over a KCS or a BT device and a VM emulator session,
// with a BMC session at the other end of an in-memory wire: arbitrary host register accesses,
// whole requests and response reads, arbitrary and well-formed BMC bytes, the BMC's commands,
// clock jumps, disconnects, device resets, deferred service.
//
// Input: 1 setup byte, then operations until the input ends.
//   setup: bit 0 BT (else KCS); bit 1 deferred device; bit 2 small device (16 bytes, so a BMC
//          response can be too long for it); bit 3 start disconnected.
//   op o (o % 12), arguments from the following bytes:
//     0 host register write: offset (o >> 4) % registers, value u8
//     1 host register read: offset (o >> 4) % registers
//     2 the spec's host writes a request of 2 + u8 % 40 bytes (netfn/LUN 0x18, cmd and data u8s)
//     3 the spec's host reads a response (bounded)
//     4 raw bytes from the BMC's side: n = u8 % 64, then n bytes
//     5 the BMC answers the last request it received: length u8 % 48 (+3) bytes
//     6 a BMC command: (o >> 4) % 9 → ATTN, ATTN_IRQ, NOATTN, ENABLE_IRQ, DISABLE_IRQ, POWEROFF,
//       RESET, NMI, GRACEFUL_SHUTDOWN
//     7 the clock advances u8 × 20 ms, then the bridge polls
//     8 disconnect (o & 16) or connect
//     9 device reset()
//    10 device service()
//    11 the wire: emulator → BMC
//   After every op the wire carries BMC → emulator through the bridge, and forward() runs.
//
// Invariants (FUZZ_CHECK aborts):
//   * the bridge has a request in flight exactly while the session has one outstanding;
//   * every accepted respond() in the device is a delivery the bridge counted, and every
//     response event the caller saw is counted once as delivered or dropped;
//   * forward() sends a device request at most once, and leaves no request behind: after it,
//     a pending request that was never sent means the session is busy or its buffer full;
//   * commands_applied counts exactly the attention/interrupt commands the caller saw;
//   * the device's own contract: a request the bridge delivered an answer for is the one it
//     forwarded (ids never go back).
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

#include <ipmikit/bt/device.hpp>
#include <ipmikit/kcs/device.hpp>
#include <ipmikit/si/bridge.hpp>

#include "fuzz_common.hpp"
#include "session_exchange.hpp"  // tests/

namespace {

using namespace ipmikit;

struct fake_clock {
  using duration = std::chrono::microseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<fake_clock>;
};

// A register access by number: offsets 0 .. Registers-1 of the interface's register_offset.
template <class RegisterOffset, unsigned Registers>
struct register_access {
  static constexpr unsigned registers = Registers;
  template <class D>
  static si::event write(D& d, unsigned offset, std::uint8_t v) {
    return d.write(static_cast<RegisterOffset>(offset), v);
  }
  template <class D>
  static std::uint8_t read(D& d, unsigned offset) { return d.read(static_cast<RegisterOffset>(offset)); }
};

// How a spec host writes and reads each interface.
struct kcs_ops : register_access<kcs::register_offset, 2> {
  template <class D>
  static void write_request(D& d, std::span<const std::uint8_t> req) {
    (void)d.write_command(kcs::control_code::write_start);
    (void)d.read_data();
    for (std::size_t i = 0; i + 1 < req.size(); ++i) {
      (void)d.write_data(req[i]);
      (void)d.read_data();
    }
    (void)d.write_command(kcs::control_code::write_end);
    (void)d.read_data();
    (void)d.write_data(req.back());
  }
  template <class D>
  static void read_response(D& d) {
    for (int i = 0; i < 400; ++i) {
      const kcs::status s = d.read_status();
      if (!s.obf() || s.state() != kcs::state::read) return;
      (void)d.read_data();
      (void)d.write_data(static_cast<std::uint8_t>(kcs::control_code::read));
    }
  }
};

struct bt_ops : register_access<bt::register_offset, 3> {
  template <class D>
  static void write_request(D& d, std::span<const std::uint8_t> req) {
    static std::uint8_t seq = 0;
    (void)d.write_control(bt::control_bit::clr_wr_ptr);
    d.write_buffer(static_cast<std::uint8_t>(req.size() + 1));
    d.write_buffer(req[0]);
    d.write_buffer(seq++);
    for (std::size_t i = 1; i < req.size(); ++i) d.write_buffer(req[i]);
    (void)d.write_control(bt::control_bit::h2b_atn);
  }
  template <class D>
  static void read_response(D& d) {
    namespace cb = bt::control_bit;
    if (!d.read_control().b2h_atn()) return;
    (void)d.write_control(cb::h_busy | cb::b2h_atn | cb::clr_rd_ptr);
    const std::uint8_t n = d.read_buffer();
    for (unsigned i = 0; i < n; ++i) (void)d.read_buffer();
    (void)d.write_control(cb::h_busy);
  }
};

template <class Ops, class Device>
struct harness {
  using session_t = vm::emulator_session<fake_clock>;
  Device device;
  session_t emulator;
  vm::bmc_session<fake_clock> bmc{vm::bmc_session<fake_clock>::config{.command_gap = {}}};
  si::emulator_bridge<Device, session_t> bridge{device, emulator};
  fake_clock::time_point now{};
  std::optional<std::uint8_t> last_bmc_request;
  std::optional<std::uint32_t> last_forwarded;
  std::uint64_t responses_seen = 0;
  std::uint64_t interface_commands_seen = 0;

  explicit harness(const typename Device::config& cfg) : device(cfg) {}

  auto on_event() {
    return [this](const auto& e) {
      using E = std::decay_t<decltype(e)>;
      if constexpr (std::is_same_v<E, vm::response_event>) {
        ++responses_seen;
        FUZZ_CHECK(e.body.size() >= 3);
      } else if constexpr (std::is_same_v<E, vm::hardware_event>) {
        switch (e.code) {
          case vm::command::attention:
          case vm::command::attention_irq:
          case vm::command::no_attention:
          case vm::command::enable_irq:
          case vm::command::disable_irq: ++interface_commands_seen; break;
          default: break;
        }
      }
    };
  }

  void connect() {
    bridge.connect(now, on_event());
    bmc.connect(now, si::ignore_events{});
    to_bmc();
  }

  void to_bmc() {
    test::relay(emulator, bmc, now, [this](const auto& e) {
      if constexpr (std::is_same_v<std::decay_t<decltype(e)>, vm::request_event>) last_bmc_request = e.msg_id;
    }, 64);
  }

  void to_emulator() { test::relay(bmc, bridge, now, on_event(), 64); }

  void forward() {
    const auto pending = device.pending_request();
    const bool busy_before = emulator.request_outstanding();
    const auto sent_before = bridge.stats().forwarded;
    const auto blocked_before = bridge.stats().would_block;
    const bool sent = bridge.forward(now, on_event());
    FUZZ_CHECK(sent == (bridge.stats().forwarded == sent_before + 1));
    if (sent) {
      FUZZ_CHECK(pending.has_value());
      FUZZ_CHECK(!last_forwarded || pending->id != *last_forwarded);  // never twice
      last_forwarded = pending->id;
    } else if (pending && !busy_before && pending->id != last_forwarded) {
      FUZZ_CHECK(bridge.stats().would_block == blocked_before + 1);  // nothing left behind
    }
  }

  void check() {
    FUZZ_CHECK(bridge.in_flight().has_value() == emulator.request_outstanding());
    const auto& s = bridge.stats();
    FUZZ_CHECK(device.stats().responses == s.delivered);
    FUZZ_CHECK(s.delivered + s.dropped == responses_seen);
    FUZZ_CHECK(s.local <= responses_seen);
    FUZZ_CHECK(s.commands_applied == interface_commands_seen);
    FUZZ_CHECK(s.forwarded <= device.stats().requests);
  }

  void run(fuzz::reader& in) {
    std::array<std::uint8_t, 64> buf{};
    for (int step = 0; step < 4096 && !in.empty(); ++step) {
      const std::uint8_t o = in.u8();
      switch (o % 12u) {
        case 0: (void)Ops::write(device, (o >> 4) % Ops::registers, in.u8()); break;
        case 1: (void)Ops::read(device, (o >> 4) % Ops::registers); break;
        case 2: {
          const std::size_t n = 2 + in.u8() % 40u;
          buf[0] = 0x18;
          for (std::size_t i = 1; i < n; ++i) buf[i] = in.u8();
          Ops::write_request(device, std::span<const std::uint8_t>(buf.data(), n));
          break;
        }
        case 3: Ops::read_response(device); break;
        case 4: {
          const auto bytes = in.take(in.u8() % 64u);
          bridge.receive(bytes, now, on_event());
          break;
        }
        case 5:
          if (last_bmc_request) {
            const std::size_t n = 3 + in.u8() % 48u;
            buf[0] = 0x1C;
            for (std::size_t i = 1; i < n; ++i) buf[i] = in.u8();
            (void)bmc.respond(*last_bmc_request, std::span<const std::uint8_t>(buf.data(), n));
          }
          break;
        case 6:
          switch ((o >> 4) % 9u) {
            case 0: (void)bmc.set_attention(true, false); break;
            case 1: (void)bmc.set_attention(true, true); break;
            case 2: (void)bmc.set_attention(false); break;
            case 3: (void)bmc.enable_irq(true); break;
            case 4: (void)bmc.enable_irq(false); break;
            case 5: (void)bmc.power_off(); break;
            case 6: (void)bmc.send_reset(); break;
            case 7: (void)bmc.send_nmi(); break;
            default: (void)bmc.graceful_shutdown(); break;
          }
          break;
        case 7:
          now += std::chrono::milliseconds(20) * in.u8();
          bridge.poll(now, on_event());
          break;
        case 8:
          if (o & 16u) {
            bridge.disconnect(now, on_event());
            bmc.disconnect(now, si::ignore_events{});
            last_bmc_request.reset();
          } else if (!emulator.connected()) {
            connect();
          }
          break;
        case 9: (void)device.reset(); break;
        case 10: (void)device.service(); break;
        default: to_bmc(); break;
      }
      to_emulator();
      forward();
      check();
    }
  }
};

template <class Ops, class Device>
void one(std::uint8_t setup, fuzz::reader& in) {
  typename Device::config cfg;
  cfg.deferred = (setup & 2u) != 0;
  harness<Ops, Device> h(cfg);
  if ((setup & 8u) == 0) h.connect();
  h.run(in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::reader in(std::span<const std::uint8_t>(data, size));
  const std::uint8_t setup = in.u8();
  switch (setup & 5u) {
    case 0: one<kcs_ops, kcs::device>(setup, in); break;
    case 1: one<bt_ops, bt::device>(setup, in); break;
    case 4: one<kcs_ops, kcs::basic_device<16>>(setup, in); break;
    default: one<bt_ops, bt::basic_device<16>>(setup, in); break;
  }
  return 0;
}
