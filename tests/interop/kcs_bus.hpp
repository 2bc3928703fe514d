// tests/interop/kcs_bus.hpp — a kcs::register_bus over QEMU's qtest port I/O, so that
// ipmikit's KCS host machine (include/ipmikit/kcs/host.hpp) drives QEMU's real isa-ipmi-kcs:
//
//   read_status   → inb  0xCA3        write_command → outb 0xCA3
//   read_data     → inb  0xCA2        write_data    → outb 0xCA2
//
// The generic parts — idle() (spin, then bounded sleeps), remembering the first qtest error
// (then 0xFF reads and dropped writes without touching the socket), the folded access trace,
// drive_in_slices() — are qtest_bus.hpp's, shared with bt_bus.hpp; read its comment. Here: the
// four KCS accesses, their trace tokens and drive_host().
//
// `drive_host()` below stops as soon as the bus has failed. (Plain kcs::drive() does not: a
// host whose first status read fails sees 0xFF and ends failed with problem::no_device; in the
// middle of a transaction 0xFF reads as IBF set, and it polls until its own timeout.)
//
// The bus also offers raw access (the same four operations) for a test that puts the interface
// in a state by hand; those accesses are traced as well.
//
// The library's namespace is always spelled ::ipmikit::kcs here: kcs_qtest.hpp declares an
// ipmikit::interop::kcs namespace (its own constants) that would otherwise be found first.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

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
  [[nodiscard]] static std::string token(op what, std::uint8_t value) {
    switch (what) {
      case op::read_status: return "S=" + hex(value);
      case op::read_data: return "D=" + hex(value);
      case op::write_command: return "C<-" + hex(value);
      case op::write_data: return "W<-" + hex(value);
    }
    return "?";
  }
};

/// One traced register access.
using kcs_bus_access = port_access<kcs_registers>;

class qtest_kcs_bus : public qtest_port_bus<kcs_registers> {
 public:
  struct options : port_bus_options {
    std::uint16_t data_port = 0xCA2;    // isa-ipmi-kcs `ioport` default
    std::uint16_t status_port = 0xCA3;  // data port + 1
  };

  explicit qtest_kcs_bus(qtest& qt) : qtest_kcs_bus(qt, options{}) {}
  qtest_kcs_bus(qtest& qt, const options& opt) : qtest_port_bus(qt, opt), opt_(opt) {}

  // --- kcs::register_bus (idle() is the base's) ------------------------------------------------

  [[nodiscard]] std::uint8_t read_status() { return in(opt_.status_port, op::read_status); }
  [[nodiscard]] std::uint8_t read_data() { return in(opt_.data_port, op::read_data); }
  void write_command(std::uint8_t v) { out(opt_.status_port, v, op::write_command); }
  void write_data(std::uint8_t v) { out(opt_.data_port, v, op::write_data); }

  [[nodiscard]] const options& settings() const noexcept { return opt_; }

 private:
  options opt_;
};

static_assert(::ipmikit::kcs::register_bus<qtest_kcs_bus>);

/// Runs `host` over `bus` with kcs::drive() in slices until it is no longer busy, the bus has
/// failed (a qtest error), `max_accesses` accesses were made or `budget` (wall clock) ran out.
/// Returns the host's outcome (busy when the budget or the bus ended the run: check
/// bus.failed()).
template <class Host>
::ipmikit::kcs::outcome drive_host(Host& host, qtest_kcs_bus& bus, millis budget,
                                   std::size_t max_accesses = 2000000) {
  return drive_in_slices(host, bus, budget, max_accesses, [](auto& h, auto& b, auto now, std::size_t n) {
    return ::ipmikit::kcs::drive(h, b, now, n);
  });
}

}  // namespace ipmikit::interop
