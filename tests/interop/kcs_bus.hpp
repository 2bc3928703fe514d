// tests/interop/kcs_bus.hpp — a kcs::register_bus over QEMU's qtest port I/O, so that
// ipmikit's KCS host machine (include/ipmikit/kcs/host.hpp) drives QEMU's real isa-ipmi-kcs:
//
//   read_status   → inb  0xCA3        write_command → outb 0xCA3
//   read_data     → inb  0xCA2        write_data    → outb 0xCA2
//
// The generic parts — idle() (spin, then bounded sleeps), remembering the first qtest error
// (then 0xFF reads and dropped writes without touching the socket), the folded access trace,
// the options, drive_host() (which stops as soon as the bus has failed; plain kcs::drive() does
// not) — are qtest_bus.hpp's, shared with bt_bus.hpp; read its comment. Here: the four KCS
// accesses and their trace tokens.
//
// The bus also offers raw access (the same four operations) for a test that puts the interface
// in a state by hand; those accesses are traced as well.
//
// The library's namespace is always spelled ::ipmikit::kcs here: kcs_qtest.hpp declares an
// ipmikit::interop::kcs namespace (its own constants) that would otherwise be found first.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <ipmikit/kcs/host.hpp>

#include "common.hpp"
#include "qemu.hpp"
#include "qtest_bus.hpp"

namespace ipmikit::interop {

/// The KCS accesses, for qtest_port_bus.
struct kcs_registers {
  enum class op : std::uint8_t { read_status, read_data, write_command, write_data };
  static constexpr op poll = op::read_status;
  /// "S=82" (status read), "D=1C" (data read), "C<-61" (command write), "W<-68" (data write).
  static constexpr std::array<std::string_view, 4> tokens = {"S=", "D=", "C<-", "W<-"};

  struct ports {
    std::uint16_t data_port = ::ipmikit::kcs::default_data_port;      // isa-ipmi-kcs `ioport` default
    std::uint16_t status_port = ::ipmikit::kcs::default_status_port;  // data port + 1
  };
};

/// One traced register access.
using kcs_bus_access = port_access<kcs_registers>;

class qtest_kcs_bus : public qtest_port_bus<kcs_registers> {
 public:
  using qtest_port_bus::qtest_port_bus;

  // --- kcs::register_bus (idle() is the base's) ------------------------------------------------

  [[nodiscard]] std::uint8_t read_status() { return in(settings().status_port, op::read_status); }
  [[nodiscard]] std::uint8_t read_data() { return in(settings().data_port, op::read_data); }
  void write_command(std::uint8_t v) { out(settings().status_port, v, op::write_command); }
  void write_data(std::uint8_t v) { out(settings().data_port, v, op::write_data); }
};

static_assert(::ipmikit::kcs::register_bus<qtest_kcs_bus>);

}  // namespace ipmikit::interop
