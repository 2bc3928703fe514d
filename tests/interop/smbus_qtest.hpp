// tests/interop/smbus_qtest.hpp — the PIIX4 SMBus host controller of QEMU's `-machine pc`
// (I/O 0xB100) driven over qtest port I/O: SMBus Block Write and Block Read, the transfers of
// SSIF (reference/ssif.md §7, the register map and the live traces there). Written from that
// fact sheet, not from ssif::host:
//
//   Block Write  HST_STS ← FF (clear), XMIT_SLVA ← addr<<1, HST_CMD ← command, HST_D0 ← count,
//                count bytes to HOST_BLOCK_DB (the 32-byte block buffer: AUX_CTL BLK, forced on
//                by PIIX4), HST_CNT ← 54 (START | block data protocol, no INTREN), then HST_STS
//                read until HOST_BUSY is clear: INTR (02) = acknowledged, DEV_ERR (04) = NAK.
//   Block Read   the same with XMIT_SLVA ← addr<<1 | 1 and no data; on INTR HST_D0 is the
//                count and HOST_BLOCK_DB gives the bytes one read each.
//
// Without INTREN QEMU runs the transaction at the next read of HST_STS, so the first read
// shows HOST_BUSY (01) and the next the result; the poll is bounded (polls and wall clock).
//
// `smbus_qtest_bus` adapts it to ssif::host: `perform(bus, ssif::action)` makes the transfer
// the host asks for, so `ssif::drive(host, bus, now, n)` runs the host over QEMU's smbus-ipmi.
// QEMU's SMBus has no PEC here (smbus-ipmi neither sends nor checks one: ssif.md §4): an
// action asking for PEC is refused as a PEC error. A wait sleeps until the host's deadline
// (bounded to 100 ms a wait).
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <ipmikit/ssif/protocol.hpp>

#include "common.hpp"
#include "qemu.hpp"

namespace ipmikit::interop {

namespace piix4_smbus {
inline constexpr std::uint16_t default_base = 0xB100;  // pc_piix.c's SMBus I/O base (ssif.md §7)
// Register offsets (ssif.md §7).
inline constexpr std::uint16_t hst_sts = 0x0;
inline constexpr std::uint16_t hst_cnt = 0x2;
inline constexpr std::uint16_t hst_cmd = 0x3;
inline constexpr std::uint16_t xmit_slva = 0x4;
inline constexpr std::uint16_t hst_d0 = 0x5;
inline constexpr std::uint16_t host_block_db = 0x7;
inline constexpr std::uint16_t aux_ctl = 0xD;
// HST_STS bits (ssif.md §7).
inline constexpr std::uint8_t host_busy = 0x01;
inline constexpr std::uint8_t intr = 0x02;
inline constexpr std::uint8_t dev_err = 0x04;
inline constexpr std::uint8_t bus_err = 0x08;
inline constexpr std::uint8_t failed = 0x10;
inline constexpr std::uint8_t errors = dev_err | bus_err | failed;
// HST_CNT: START | protocol 5 (block data) << 2, no INTREN (ssif.md §7).
inline constexpr std::uint8_t start_block_data = 0x40 | (5 << 2);  // 0x54
inline constexpr std::uint8_t aux_blk = 0x02;                      // AUX_CTL: 32-byte block buffer
}  // namespace piix4_smbus

/// One SMBus transfer as the controller reported it.
struct smbus_transfer {
  bool ack = false;          // INTR and no error bit
  std::uint8_t status = 0;   // the final HST_STS
  std::uint32_t polls = 0;   // HST_STS reads until HOST_BUSY cleared
  std::vector<std::uint8_t> data;  // a read's block (HST_D0 bytes)

  /// "ack: 1C 01 00" / "ack" (a write) / "nak (HST_STS 04)".
  [[nodiscard]] std::string describe(bool read) const {
    if (!ack) return "nak (HST_STS " + hex(status) + ")";
    if (!read) return "ack";
    return "ack " + std::to_string(data.size()) + (data.empty() ? std::string() : ": " + hex(data));
  }
};

/// The PIIX4 SMBus at `base`, addressed to the 7-bit `address`.
class piix4_smbus_host {
 public:
  explicit piix4_smbus_host(qtest& qt, std::uint8_t address = ssif_address,
                            std::uint16_t base = piix4_smbus::default_base)
      : qt_(&qt), address_(address), base_(base) {}

  [[nodiscard]] std::uint8_t address() const noexcept { return address_; }
  void set_address(std::uint8_t a) noexcept { address_ = a; }

  /// AUX_CTL (02 on pc: the block buffer).
  [[nodiscard]] result<std::uint8_t> aux_control() { return in(piix4_smbus::aux_ctl); }

  /// SMBus Block Write of `data` (the count is data.size(); the controller's buffer holds 32)
  /// with `command`.
  [[nodiscard]] result<smbus_transfer> block_write(std::uint8_t command, std::span<const std::uint8_t> data) {
    if (data.size() > 0xFF) return fail("block_write: more than 255 bytes");
    if (auto st = setup(static_cast<std::uint8_t>(address_ << 1), command); !st) return fail(st.error());
    if (auto st = out(piix4_smbus::hst_d0, static_cast<std::uint8_t>(data.size())); !st) return fail(st.error());
    for (const std::uint8_t b : data)
      if (auto st = out(piix4_smbus::host_block_db, b); !st) return fail(st.error());
    return run(false);
  }

  /// SMBus Block Read with `command`: the block's bytes (HST_D0 of them) when acknowledged.
  [[nodiscard]] result<smbus_transfer> block_read(std::uint8_t command) {
    if (auto st = setup(static_cast<std::uint8_t>((address_ << 1) | 1), command); !st) return fail(st.error());
    return run(true);
  }

 private:
  [[nodiscard]] result<std::uint8_t> in(std::uint16_t offset) {
    const auto v = qt_->inb(static_cast<std::uint16_t>(base_ + offset));
    if (!v) return fail("inb " + hex_port(static_cast<std::uint16_t>(base_ + offset)) + ": " + qt_->last_error());
    return *v;
  }
  [[nodiscard]] status out(std::uint16_t offset, std::uint8_t v) {
    if (!qt_->outb(static_cast<std::uint16_t>(base_ + offset), v))
      return fail("outb " + hex_port(static_cast<std::uint16_t>(base_ + offset)) + ": " + qt_->last_error());
    return success();
  }

  // Clears the status, sets the slave address byte and the command.
  [[nodiscard]] status setup(std::uint8_t slave_byte, std::uint8_t command) {
    if (auto st = out(piix4_smbus::hst_sts, 0xFF); !st) return st;
    if (auto st = out(piix4_smbus::xmit_slva, slave_byte); !st) return st;
    return out(piix4_smbus::hst_cmd, command);
  }

  // START, then HST_STS until HOST_BUSY is clear (QEMU runs the transfer at the first read).
  [[nodiscard]] result<smbus_transfer> run(bool read) {
    if (auto st = out(piix4_smbus::hst_cnt, piix4_smbus::start_block_data); !st) return fail(st.error());
    smbus_transfer t;
    const deadline d(millis(2000));
    for (;;) {
      auto s = in(piix4_smbus::hst_sts);
      if (!s) return fail(s.error());
      ++t.polls;
      t.status = *s;
      if ((*s & piix4_smbus::host_busy) == 0) break;
      if (d.expired() || t.polls > 10000)
        return fail("SMBus: HOST_BUSY still set after " + std::to_string(t.polls) + " polls (HST_STS " + hex(*s) + ")");
      if (t.polls > 50) sleep_ms(1);
    }
    t.ack = (t.status & piix4_smbus::intr) != 0 && (t.status & piix4_smbus::errors) == 0;
    if (!t.ack || !read) return t;
    auto n = in(piix4_smbus::hst_d0);
    if (!n) return fail(n.error());
    for (unsigned i = 0; i < *n; ++i) {
      auto b = in(piix4_smbus::host_block_db);
      if (!b) return fail(b.error());
      t.data.push_back(*b);
    }
    return t;
  }

  qtest* qt_;
  std::uint8_t address_;
  std::uint16_t base_;
};

/// ssif::host's bus over the PIIX4 SMBus (`perform` below). Like the register buses
/// (qtest_bus.hpp) it remembers its first qtest error and from then on NAKs every transfer
/// without touching the socket; check failed() after driving. `next_deadline`, when set, is
/// the host's (a wait sleeps until it, at most 100 ms).
struct smbus_qtest_bus {
  piix4_smbus_host smbus;
  std::function<std::optional<steady::time_point>()> next_deadline;
  std::array<std::uint8_t, 0x100> block{};  // the last read's bytes (valid until the next transfer)
  std::vector<std::string> trace;           // "W02 18 01 ack", "R03 nak (HST_STS 04)", "wait 5 ms" (bounded)
  std::size_t max_trace = 4000;
  bool broken = false;   // a qtest command failed (failed(), error())
  std::string broken_why;
  std::uint64_t transfers = 0, nacks = 0, waits = 0;

  explicit smbus_qtest_bus(qtest& qt, std::uint8_t address = ssif_address) : smbus(qt, address) {}

  [[nodiscard]] bool failed() const noexcept { return broken; }
  [[nodiscard]] const std::string& error() const noexcept { return broken_why; }

  void note(std::string s) {
    if (trace.size() < max_trace) trace.push_back(std::move(s));
  }
  /// The trace from index `from` on, one line.
  [[nodiscard]] std::string describe(std::size_t from = 0, std::size_t max_entries = 60) const {
    std::string s;
    for (std::size_t i = from, n = 0; i < trace.size(); ++i, ++n) {
      if (n == max_entries) return s + " …(" + std::to_string(trace.size() - i) + " more)";
      s += (s.empty() ? "" : " | ") + trace[i];
    }
    return s.empty() ? "(no transfer)" : s;
  }
};

/// Makes the transfer `a` over QEMU's SMBus for ssif::drive (found by argument-dependent lookup).
inline ssif::transfer_result perform(smbus_qtest_bus& bus, const ssif::action& a) {
  using ssif::transfer_status;
  const auto command = static_cast<std::uint8_t>(a.command);
  switch (a.kind) {
    case ssif::access::wait: {
      ++bus.waits;
      auto until = bus.next_deadline ? bus.next_deadline() : std::nullopt;
      const auto now = steady::now();
      auto d = until && *until > now ? std::chrono::duration_cast<std::chrono::microseconds>(*until - now)
                                     : std::chrono::microseconds(0);
      d = std::min(d, std::chrono::microseconds(100000));
      if (d.count() > 0) std::this_thread::sleep_for(d);
      return {};
    }
    case ssif::access::block_write:
    case ssif::access::block_read: {
      if (bus.broken) return {transfer_status::nack, {}};
      const bool read = a.kind == ssif::access::block_read;
      // Appended piece by piece: g++ 12 -O3 warns falsely (-Wrestrict) on `" " + std::string`.
      std::string what = read ? "R" : "W";
      what += hex(command);
      if (!read) {
        what += ' ';
        what += hex(a.data);
      }
      if (a.pec) {  // QEMU's smbus-ipmi has no PEC
        bus.note(what + " PEC asked: refused");
        return {transfer_status::pec_error, {}};
      }
      ++bus.transfers;
      auto t = read ? bus.smbus.block_read(command) : bus.smbus.block_write(command, a.data);
      if (!t) {
        bus.broken = true;
        bus.broken_why = t.error();
        bus.note(what + " qtest error");
        return {transfer_status::nack, {}};
      }
      bus.note(what + " " + t->describe(read));
      if (!t->ack) {
        ++bus.nacks;
        return {transfer_status::nack, {}};
      }
      std::copy(t->data.begin(), t->data.end(), bus.block.begin());
      return {transfer_status::ack, std::span<const std::uint8_t>(bus.block.data(), t->data.size())};
    }
    case ssif::access::none: break;
  }
  return {};
}

}  // namespace ipmikit::interop
