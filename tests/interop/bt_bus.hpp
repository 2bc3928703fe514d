// tests/interop/bt_bus.hpp — a bt::register_bus over QEMU's qtest port I/O, so that ipmikit's
// BT host machine (include/ipmikit/bt/host.hpp) drives QEMU's real isa-ipmi-bt:
//
//   read_control  → inb  0xE4         write_control → outb 0xE4
//   read_buffer   → inb  0xE5         write_buffer  → outb 0xE5
//   (raw only)      inb  0xE6           (raw only)    outb 0xE6    BT_INTMASK
//
// The BT twin of kcs_bus.hpp. The generic parts — idle() (spin, then bounded sleeps; a wait
// ends with any access other than a BT_CTRL read), remembering the first qtest error (then
// 0xFF reads and dropped writes without touching the socket), the folded access trace, the
// options, drive_host() — are qtest_bus.hpp's; read its comment. Here: the BT accesses, their
// trace tokens and write_frame().
//
// Trace tokens: "C=08" BT_CTRL read, "C<-40" BT_CTRL write, "B=1C" BMC2HOST read, "B<-18"
// HOST2BMC write, "I=00" / "I<-01" BT_INTMASK read / write. Equal consecutive BT_CTRL reads fold
// ("C=80x1234").
//
// The library's namespace is always spelled ::ipmikit::bt here: bt_qtest.hpp declares an
// ipmikit::interop::bt namespace (its own constants) that would otherwise be found first.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

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
  static constexpr std::array<std::string_view, 6> tokens = {"C=", "B=", "C<-", "B<-", "I=", "I<-"};

  struct ports {
    std::uint16_t control_port = ::ipmikit::bt::default_control_port;  // isa-ipmi-bt `ioport` default
    std::uint16_t buffer_port = ::ipmikit::bt::default_buffer_port;
    std::uint16_t intmask_port = ::ipmikit::bt::default_interrupt_mask_port;
  };
};

/// One traced register access.
using bt_bus_access = port_access<bt_registers>;

class qtest_bt_bus : public qtest_port_bus<bt_registers> {
 public:
  using qtest_port_bus::qtest_port_bus;

  // --- bt::register_bus (idle() is the base's) -------------------------------------------------

  [[nodiscard]] std::uint8_t read_control() { return in(settings().control_port, op::read_control); }
  [[nodiscard]] std::uint8_t read_buffer() { return in(settings().buffer_port, op::read_buffer); }
  void write_control(std::uint8_t v) { out(settings().control_port, v, op::write_control); }
  void write_buffer(std::uint8_t v) { out(settings().buffer_port, v, op::write_buffer); }

  // --- raw extras ------------------------------------------------------------------------------

  [[nodiscard]] std::uint8_t read_intmask() { return in(settings().intmask_port, op::read_intmask); }
  void write_intmask(std::uint8_t v) { out(settings().intmask_port, v, op::write_intmask); }

  /// By hand, what a host does to send: CLR_WR_PTR, `frame` (Length, NetFn/LUN, Seq, Cmd,
  /// Data… exactly as given, a wrong Length included) to the buffer, H2B_ATN. No waiting.
  void write_frame(std::span<const std::uint8_t> frame) {
    write_control(::ipmikit::bt::control_bit::clr_wr_ptr);
    for (const std::uint8_t b : frame) write_buffer(b);
    write_control(::ipmikit::bt::control_bit::h2b_atn);
  }
};

static_assert(::ipmikit::bt::register_bus<qtest_bt_bus>);

}  // namespace ipmikit::interop
