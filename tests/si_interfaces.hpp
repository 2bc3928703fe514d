// tests/si_interfaces.hpp — one description per system interface, so that a test of what every
// interface promises (si/interface.hpp's contract, the emulator bridge, the whole chain) is
// written once as a doctest TEST_CASE_TEMPLATE over `test::interfaces`.
//
// Each description names the interface's device and host types and gives the few things a test
// does differently on each: write a request into a device the way the spec's host does, read
// the response out, abandon the request the BMC has, and let the host see interrupts.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include <ipmikit/ipmikit.hpp>

namespace ipmikit::test {

namespace detail {
// Unqualified, so that argument-dependent lookup finds the host's own drive() and perform()
// (kcs:: or bt::); inside a description the names would find its members instead.
template <class Host, class Bus, class Now>
si::outcome drive_in_host_namespace(Host& h, Bus& bus, Now&& now, std::size_t max) {
  return drive(h, bus, now, max);
}
template <class Bus, class Action>
auto perform_in_host_namespace(Bus& bus, const Action& a) {
  return perform(bus, a);
}
}  // namespace detail

/// What every description says the same way: the device template, the host, and the host's
/// driving loop and register access.
template <template <std::size_t> class Device, std::size_t DefaultCapacity, class Host>
struct interface_types {
  template <std::size_t Capacity = DefaultCapacity>
  using device_type = Device<Capacity>;
  using device = device_type<>;
  using host = Host;

  template <class Bus, class Now>
  static si::outcome drive(host& h, Bus& bus, Now&& now, std::size_t max) {
    return detail::drive_in_host_namespace(h, bus, now, max);
  }
  template <class Bus, class Action>
  static auto perform(Bus& bus, const Action& a) {
    return detail::perform_in_host_namespace(bus, a);
  }
};

struct kcs_interface : interface_types<kcs::basic_device, kcs::default_capacity, kcs::host> {
  static constexpr const char* name = "kcs";

  // Figure 9-6: WRITE_START, the bytes, WRITE_END, the last byte (OBF cleared after each write).
  // Returns the event of the last write.
  template <class Device>
  static si::event write_request(Device& d, std::span<const std::uint8_t> request) {
    d.write_command(kcs::control_code::write_start);
    (void)d.read_data();
    for (std::size_t i = 0; i + 1 < request.size(); ++i) {
      d.write_data(request[i]);
      (void)d.read_data();
    }
    d.write_command(kcs::control_code::write_end);
    (void)d.read_data();
    return d.write_data(request.back());
  }

  // Figure 9-7: one READ per byte until the device says IDLE. Empty if no response is there.
  template <class Device>
  static std::vector<std::uint8_t> read_response(Device& d) {
    std::vector<std::uint8_t> out;
    for (int guard = 0; guard < 400; ++guard) {
      const kcs::status s = d.read_status();
      if (!s.obf() || (s.state() != kcs::state::read && s.state() != kcs::state::idle)) return {};
      const std::uint8_t b = d.read_data();
      if (s.state() == kcs::state::idle) return out;
      out.push_back(b);
      d.write_data(static_cast<std::uint8_t>(kcs::control_code::read));
    }
    FAIL("the read phase did not end");
    return out;
  }

  // The host abandons the request the BMC has: it starts a new write (WRITE_START).
  template <class Device>
  static si::event abandon(Device& d) {
    return d.write_command(kcs::control_code::write_start);
  }

  // A KCS host needs nothing to receive interrupts: the device's enable is the BMC's.
  template <class Device>
  static void enable_host_interrupts(Device&) {}

  static bool host_attention(host& h) { return h.attention(); }
};

struct bt_interface : interface_types<bt::basic_device, bt::default_capacity, bt::host> {
  static constexpr const char* name = "bt";

  // CLR_WR_PTR, Length, NetFn/LUN, Seq, Cmd, Data…, H2B_ATN. Seq counts up per request.
  template <class Device>
  static si::event write_request(Device& d, std::span<const std::uint8_t> request) {
    static std::uint8_t seq = 0;
    d.write_control(bt::control_bit::clr_wr_ptr);
    d.write_buffer(static_cast<std::uint8_t>(request.size() + 1));
    d.write_buffer(request[0]);
    d.write_buffer(seq++);
    for (std::size_t i = 1; i < request.size(); ++i) d.write_buffer(request[i]);
    return d.write_control(bt::control_bit::h2b_atn);
  }

  // H_BUSY, clear B2H_ATN, CLR_RD_PTR, Length and the bytes, H_BUSY; NetFn/LUN, Cmd, cc, data…
  // are returned (Length and Seq removed). Empty if no response is there.
  template <class Device>
  static std::vector<std::uint8_t> read_response(Device& d) {
    namespace cb = bt::control_bit;
    if (!d.read_control().b2h_atn()) return {};
    d.write_control(cb::h_busy);
    d.write_control(cb::b2h_atn);
    d.write_control(cb::clr_rd_ptr);
    const std::uint8_t length = d.read_buffer();
    std::vector<std::uint8_t> raw;
    for (std::uint8_t i = 0; i < length; ++i) raw.push_back(d.read_buffer());
    d.write_control(cb::h_busy);
    if (raw.size() < 2) return raw;
    raw.erase(raw.begin() + 1);  // Seq
    return raw;
  }

  // The host abandons the request the BMC has: it sends a new one (a retry after a timeout).
  template <class Device>
  static si::event abandon(Device& d) {
    const std::uint8_t get_device_id[] = {0x18, 0x01};
    return write_request(d, get_device_id);
  }

  // The host's B2H_IRQ_EN (BT_INTMASK), on top of the BMC's enable.
  template <class Device>
  static void enable_host_interrupts(Device& d) {
    d.write_interrupt_mask(bt::interrupt_bit::b2h_irq_enable);
  }

  static bool host_attention(host& h) { return h.take_attention(); }
};

// SSIF: no registers, whole SMBus transfers (ssif/protocol.hpp). A device smaller than one
// SMBus block does not exist, so device_type<16> (a test's "small device") is one block.
template <std::size_t Capacity>
using ssif_device_of = ssif::basic_device<std::max(Capacity, ssif::block_size)>;

struct ssif_interface : interface_types<ssif_device_of, ssif::max_message, ssif::host> {
  static constexpr const char* name = "ssif";

  // 02h with the whole request, or 06h, 07h…, 08h (IPMI v2.0 §12). Returns the last write's event.
  template <class Device>
  static si::event write_request(Device& d, std::span<const std::uint8_t> request) {
    using ssif::smbus_command;
    const auto write = [&](smbus_command c, std::span<const std::uint8_t> part) {
      const ssif::write_result w = d.block_write(static_cast<std::uint8_t>(c), part);
      CHECK(w.ack);
      return w.event;
    };
    if (request.size() <= ssif::block_size) return write(smbus_command::write_single, request);
    (void)write(smbus_command::write_start, request.first(ssif::block_size));
    std::size_t at = ssif::block_size;
    for (; request.size() - at > ssif::block_size; at += ssif::block_size)
      (void)write(smbus_command::write_middle, request.subspan(at, ssif::block_size));
    return write(smbus_command::write_end, request.subspan(at));
  }

  // 03h, and 09h until the block that starts FFh (ssif.md §2). Empty if the device NAKs.
  template <class Device>
  static std::vector<std::uint8_t> read_response(Device& d) {
    std::array<std::uint8_t, ssif::block_size> block{};
    ssif::read_result r = d.block_read(static_cast<std::uint8_t>(ssif::smbus_command::read_start), block);
    if (!r.ack) return {};
    if (r.count < ssif::block_size || block[0] != 0x00 || block[1] != 0x01)
      return std::vector<std::uint8_t>(block.begin(), block.begin() + r.count);
    std::vector<std::uint8_t> out(block.begin() + 2, block.end());
    for (int guard = 0; guard < 16; ++guard) {
      r = d.block_read(static_cast<std::uint8_t>(ssif::smbus_command::read_next), block);
      REQUIRE(r.ack);
      REQUIRE(r.count >= 1);
      out.insert(out.end(), block.begin() + 1, block.begin() + r.count);
      if (block[0] == ssif::last_block_marker) return out;
    }
    FAIL("the multi-part read did not end");
    return out;
  }

  // The host abandons the request the BMC has: it writes a new one (after its retries ran out).
  template <class Device>
  static si::event abandon(Device& d) {
    const std::uint8_t get_device_id[] = {0x18, 0x01};
    return write_request(d, get_device_id);
  }

  // SMBALERT# needs nothing from the host: the enable is the BMC's.
  template <class Device>
  static void enable_host_interrupts(Device&) {}
};

/// Every system interface (the device contract, the bridge, the chain).
#define IPMIKIT_SYSTEM_INTERFACES \
  ::ipmikit::test::kcs_interface, ::ipmikit::test::bt_interface, ::ipmikit::test::ssif_interface
/// The register interfaces (their hosts poll a status register and see SMS_ATN in it).
#define IPMIKIT_REGISTER_INTERFACES ::ipmikit::test::kcs_interface, ::ipmikit::test::bt_interface

}  // namespace ipmikit::test
