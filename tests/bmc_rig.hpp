// tests/bmc_rig.hpp — one ipmikit-bmc VM (apps/ipmikit-bmc/bmc.hpp) joined in memory to
// the emulator session QEMU would run, with an explicit clock. Used by tests/bmc_fleet_test.cpp
// and fuzz/fuzz_bmc_vm.cpp. Requires doctest-free code paths: failures are reported through
// `settled()`, not assertions.
#pragma once

#include <ipmikit-bmc/bmc.hpp>

#include <chrono>
#include <memory>
#include <type_traits>
#include <vector>

namespace ipmikit_bmc::testing {

using bytes = std::vector<std::uint8_t>;
using namespace std::chrono_literals;

/// What the emulator session delivers: responses and the VM commands the BMC sent.
struct emu_events {
  std::vector<bytes>* responses;
  std::vector<ipmikit::vm::command>* commands;
  template <class E>
  void operator()(const E& e) const {
    if constexpr (std::is_same_v<E, ipmikit::vm::response_event>) responses->emplace_back(e.body.begin(), e.body.end());
    if constexpr (std::is_same_v<E, ipmikit::vm::hardware_event>) commands->push_back(e.code);
  }
};

/// One VM's BMC and the emulator session QEMU would run, joined in memory.
struct rig {
  vm_config cfg;
  std::unique_ptr<vm_bmc> bmc;
  ipmikit::vm::emulator_session<clock_type> emu;
  time_point now = time_point{} + 1h;
  std::vector<bytes> responses;
  std::vector<ipmikit::vm::command> commands;  // hardware commands the VM received
  std::uint8_t next_id = 1;

  explicit rig(vm_config c = default_vm(), ipmikit::vm::capabilities caps = ipmikit::vm::qemu_capabilities,
               void (*sink)(std::string_view) = [](std::string_view) {})
      : cfg(std::move(c)), emu(make_emu_config(caps)) {
    g_log_sink = sink;
    bmc = std::make_unique<vm_bmc>(cfg);
    bmc->connected(now, "test");
    emu.connect(now, handler());
    pump();
  }
  ~rig() { g_log_sink = &stdout_sink; }
  rig(const rig&) = delete;
  rig& operator=(const rig&) = delete;

  static vm_config default_vm() {
    vm_config v;
    v.name = "vm1";
    v.listen = {listen_address::kind::unix_socket, {}, 0, "/tmp/vm1.sock"};
    return v;
  }
  static ipmikit::vm::emulator_session<clock_type>::config make_emu_config(ipmikit::vm::capabilities caps) {
    ipmikit::vm::emulator_session<clock_type>::config c;
    c.caps = caps;
    return c;
  }

  emu_events handler() { return emu_events{&responses, &commands}; }

  /// Moves bytes both ways until nothing moves; waits out the BMC's command gap (bounded).
  /// False if it did not settle. The bound is far above what the BMC can queue (one power
  /// command in flight, at most one of each kind waiting, each followed by a 10 ms gap).
  bool pump() {
    for (int i = 0; i < 1000; ++i) {
      bool moved = false;
      if (auto out = emu.outbound(now); !out.empty()) {
        const bytes copy(out.begin(), out.end());
        emu.consume(copy.size(), now);
        bmc->receive(copy, now);
        moved = true;
      }
      if (auto out = bmc->session().outbound(now); !out.empty()) {
        const bytes copy(out.begin(), out.end());
        bmc->consumed(copy.size(), now);
        emu.receive(copy, now, handler());
        moved = true;
      }
      if (!moved) {
        if (bmc->session().pending().empty()) return true;
        now += 20ms;  // the command gap
        bmc->poll(now);
      }
    }
    return false;
  }

  void advance(std::chrono::milliseconds d) {
    const time_point end = now + d;
    for (int i = 0; i < 100000 && now < end; ++i) {
      auto due = bmc->next_deadline();
      now = (due && *due < end && *due > now) ? *due : end;
      bmc->poll(now);
      pump();
    }
  }

};

}  // namespace ipmikit_bmc::testing
