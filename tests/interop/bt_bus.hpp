// tests/interop/bt_bus.hpp — a bt::register_bus over QEMU's qtest port I/O, so that ipmikit's
// BT host machine (include/ipmikit/bt/host.hpp) drives QEMU's real isa-ipmi-bt:
//
//   read_control  → inb  0xE4         write_control → outb 0xE4
//   read_buffer   → inb  0xE5         write_buffer  → outb 0xE5
//   (raw only)      inb  0xE6           (raw only)    outb 0xE6    BT_INTMASK
//
// The BT twin of kcs_bus.hpp. The generic parts — idle() (spin, then bounded sleeps; a wait
// ends with any access other than a BT_CTRL read), remembering the first qtest error (then
// 0xFF reads and dropped writes without touching the socket), the folded access trace,
// drive_in_slices() — are qtest_bus.hpp's; read its comment. Here: the BT accesses, their
// trace tokens and drive_host().
//
// Trace tokens: "C=08" BT_CTRL read, "C<-40" BT_CTRL write, "B=1C" BMC2HOST read, "B<-18"
// HOST2BMC write, "I=00" / "I<-01" BT_INTMASK read / write. Equal consecutive BT_CTRL reads fold
// ("C=80x1234").
//
// The library's namespace is always spelled ::ipmikit::bt here: bt_qtest.hpp declares an
// ipmikit::interop::bt namespace (its own constants) that would otherwise be found first.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include <ipmikit/bt/host.hpp>

#include "common.hpp"
#include "qemu.hpp"
#include "qtest_bus.hpp"

namespace ipmikit::interop {

/// The BT accesses, for qtest_port_bus.
struct bt_registers {
  enum class op : std::uint8_t {
    read_control,
    read_buffer,
    write_control,
    write_buffer,
    read_intmask,
    write_intmask
  };
  static constexpr op poll = op::read_control;

  [[nodiscard]] static std::string token(op what, std::uint8_t value) {
    switch (what) {
      case op::read_control: return "C=" + hex(value);
      case op::read_buffer: return "B=" + hex(value);
      case op::write_control: return "C<-" + hex(value);
      case op::write_buffer: return "B<-" + hex(value);
      case op::read_intmask: return "I=" + hex(value);
      case op::write_intmask: return "I<-" + hex(value);
    }
    return "?";
  }
};

/// One traced register access.
using bt_bus_access = port_access<bt_registers>;

class qtest_bt_bus : public qtest_port_bus<bt_registers> {
 public:
  struct options : port_bus_options {
    std::uint16_t control_port = ::ipmikit::bt::default_control_port;  // isa-ipmi-bt `ioport` default
    std::uint16_t buffer_port = ::ipmikit::bt::default_buffer_port;
    std::uint16_t intmask_port = ::ipmikit::bt::default_interrupt_mask_port;
  };

  explicit qtest_bt_bus(qtest& qt) : qtest_bt_bus(qt, options{}) {}
  qtest_bt_bus(qtest& qt, const options& opt) : qtest_port_bus(qt, opt), opt_(opt) {}

  // --- bt::register_bus (idle() is the base's) -------------------------------------------------

  [[nodiscard]] std::uint8_t read_control() { return in(opt_.control_port, op::read_control); }
  [[nodiscard]] std::uint8_t read_buffer() { return in(opt_.buffer_port, op::read_buffer); }
  void write_control(std::uint8_t v) { out(opt_.control_port, v, op::write_control); }
  void write_buffer(std::uint8_t v) { out(opt_.buffer_port, v, op::write_buffer); }

  // --- raw extras ------------------------------------------------------------------------------

  [[nodiscard]] std::uint8_t read_intmask() { return in(opt_.intmask_port, op::read_intmask); }
  void write_intmask(std::uint8_t v) { out(opt_.intmask_port, v, op::write_intmask); }

  /// By hand, what a host does to send: CLR_WR_PTR, `frame` (Length, NetFn/LUN, Seq, Cmd,
  /// Data… exactly as given, a wrong Length included) to the buffer, H2B_ATN. No waiting.
  void write_frame(std::span<const std::uint8_t> frame) {
    write_control(::ipmikit::bt::control_bit::clr_wr_ptr);
    for (const std::uint8_t b : frame) write_buffer(b);
    write_control(::ipmikit::bt::control_bit::h2b_atn);
  }

  [[nodiscard]] const options& settings() const noexcept { return opt_; }

 private:
  options opt_;
};

static_assert(::ipmikit::bt::register_bus<qtest_bt_bus>);

/// Runs `host` over `bus` with bt::drive() in slices until it is no longer busy, the bus has
/// failed (a qtest error), `max_accesses` accesses were made or `budget` (wall clock) ran out.
/// Returns the host's outcome (busy when the budget or the bus ended the run: check
/// bus.failed()).
template <class Host>
::ipmikit::bt::outcome drive_host(Host& host, qtest_bt_bus& bus, millis budget, std::size_t max_accesses = 2000000) {
  return drive_in_slices(host, bus, budget, max_accesses, [](auto& h, auto& b, auto now, std::size_t n) {
    return ::ipmikit::bt::drive(h, b, now, n);
  });
}

}  // namespace ipmikit::interop
