// ipmikit/vm/protocol.hpp — constants of the "VM" serial protocol spoken between QEMU's
// ipmi-bmc-extern device and an external BMC such as OpenIPMI's ipmi_sim.
//
// The wire is a byte stream with no start marker: every byte since the previous terminator
// belongs to the next frame. A frame ending in 0xA0 is an IPMI message
// (`msg_id, netfn<<2|lun, cmd, data…, checksum`); one ending in 0xA1 is a VM command
// (`code [argument]`). The three special bytes inside a frame are escaped as 0xAA followed by
// the byte with bit 0x10 set. (QEMU hw/ipmi/ipmi_bmc_extern.c; OpenIPMI lanserv/serial_ipmi.c.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "../detail/simd/common.hpp"

namespace ipmikit::vm {

// ---------------------------------------------------------------------------------------------
// Special bytes (QEMU ipmi_bmc_extern VM_MSG_CHAR / VM_CMD_CHAR / VM_ESCAPE_CHAR).
inline constexpr std::uint8_t end_of_message = 0xA0;  // ends a message
inline constexpr std::uint8_t end_of_command = 0xA1;  // ends a VM command
inline constexpr std::uint8_t escape = 0xAA;          // escapes the next byte
inline constexpr std::uint8_t escape_bit = 0x10;      // escaped byte = special | 0x10 (QEMU addchar)

/// True for the three bytes that must be escaped inside a frame.
[[nodiscard]] constexpr bool is_special(std::uint8_t b) noexcept {
  return b == end_of_message || b == end_of_command || b == escape;
}

namespace detail {
/// The special bytes and their escaping as the byte-scanning kernels take them
/// (ipmikit/detail/simd, which know nothing of this protocol).
using special_set = ipmikit::detail::simd::byte_set<end_of_message, end_of_command, escape>;
using special_escaping = ipmikit::detail::simd::escaping<special_set, escape, escape_bit>;
}  // namespace detail

/// The protocol version both peers announce (QEMU / OpenIPMI VM_PROTOCOL_VERSION).
inline constexpr std::uint8_t protocol_version = 1;

/// QEMU's largest IPMI message body (netfn/LUN, cmd, data): MAX_IPMI_MSG_SIZE in
/// include/hw/ipmi/ipmi.h.
inline constexpr std::size_t max_message_size = 300;

/// A message frame's bytes beside the body: the message id and the checksum.
inline constexpr std::size_t message_overhead = 2;

/// Fewest unescaped bytes in a request frame: msg_id, netfn/LUN, cmd, checksum
/// (OpenIPMI vm_handle_msg drops anything shorter).
inline constexpr std::size_t min_request_frame = 4;
/// Fewest unescaped bytes in a response frame: a completion code on top of a request's
/// (QEMU ipmi_bmc_extern handle_msg drops anything shorter).
inline constexpr std::size_t min_response_frame = 5;

// ---------------------------------------------------------------------------------------------
// VM commands (QEMU ipmi_bmc_extern VM_CMD_*; OpenIPMI serial_ipmi.c).
enum class command : std::uint8_t {
  no_attention = 0x00,       // BMC→VM: clear SMS_ATN
  attention = 0x01,          // BMC→VM: set SMS_ATN, no interrupt
  attention_irq = 0x02,      // BMC→VM: set SMS_ATN and raise the interrupt if enabled
  power_off = 0x03,          // BMC→VM: power the machine off
  reset = 0x04,              // BMC→VM: hard reset; VM→BMC: "the machine was reset"
  enable_irq = 0x05,         // BMC→VM: the host enabled interface interrupts
  disable_irq = 0x06,        // BMC→VM: the host disabled them
  send_nmi = 0x07,           // BMC→VM: inject an NMI
  capabilities = 0x08,       // VM→BMC, one argument byte: what the VM can do
  graceful_shutdown = 0x09,  // BMC→VM: ACPI soft shutdown (QEMU ≥ 2.x; old QEMU: FORCEOFF)
  version = 0xFF,            // both, one argument byte: protocol version
};

/// True when `code` is one of the commands above.
[[nodiscard]] constexpr bool is_known_command(std::uint8_t code) noexcept {
  return code <= static_cast<std::uint8_t>(command::graceful_shutdown) ||
         code == static_cast<std::uint8_t>(command::version);
}

/// How many argument bytes a command carries between its code and 0xA1.
[[nodiscard]] constexpr std::size_t argument_count(command c) noexcept {
  return (c == command::version || c == command::capabilities) ? 1 : 0;
}

/// The longest command frame before escaping: code plus one argument.
inline constexpr std::size_t max_command_size = 2;

[[nodiscard]] constexpr std::string_view name(command c) noexcept {
  switch (c) {
    case command::no_attention: return "NOATTN";
    case command::attention: return "ATTN";
    case command::attention_irq: return "ATTN_IRQ";
    case command::power_off: return "POWEROFF";
    case command::reset: return "RESET";
    case command::enable_irq: return "ENABLE_IRQ";
    case command::disable_irq: return "DISABLE_IRQ";
    case command::send_nmi: return "SEND_NMI";
    case command::capabilities: return "CAPABILITIES";
    case command::graceful_shutdown: return "GRACEFUL_SHUTDOWN";
    case command::version: return "VERSION";
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Capabilities: the argument of CAPABILITIES (QEMU ipmi_bmc_extern VM_CAPABILITIES_*).
enum class capability : std::uint8_t {
  power = 0x01,              // the VM can power off
  reset = 0x02,              // the VM can be reset
  irq = 0x04,                // the interface has an interrupt
  nmi = 0x08,                // the VM can take an NMI
  attention = 0x10,          // the interface has SMS_ATN
  graceful_shutdown = 0x20,  // the VM can do an ACPI shutdown (QEMU ≥ 2.x)
};

inline constexpr capability all_capabilities_list[] = {
    capability::power, capability::reset,     capability::irq,
    capability::nmi,   capability::attention, capability::graceful_shutdown};

[[nodiscard]] constexpr std::string_view name(capability c) noexcept {
  switch (c) {
    case capability::power: return "POWER";
    case capability::reset: return "RESET";
    case capability::irq: return "IRQ";
    case capability::nmi: return "NMI";
    case capability::attention: return "ATTN";
    case capability::graceful_shutdown: return "GRACEFUL_SHUTDOWN";
  }
  return {};
}

/// A set of capabilities. Built from flags (`capability::irq | capability::attention`) or from
/// the byte on the wire; bits no version defines are kept, so a byte round-trips unchanged.
class capabilities {
 public:
  constexpr capabilities() noexcept = default;
  constexpr capabilities(capability c) noexcept : bits_(static_cast<std::uint8_t>(c)) {}  // NOLINT

  [[nodiscard]] static constexpr capabilities from_byte(std::uint8_t bits) noexcept {
    capabilities c;
    c.bits_ = bits;
    return c;
  }
  [[nodiscard]] constexpr std::uint8_t to_byte() const noexcept { return bits_; }

  [[nodiscard]] constexpr bool has(capability c) const noexcept {
    return (bits_ & static_cast<std::uint8_t>(c)) != 0;
  }
  [[nodiscard]] constexpr bool contains(capabilities other) const noexcept {
    return (bits_ & other.bits_) == other.bits_;
  }
  [[nodiscard]] constexpr bool empty() const noexcept { return bits_ == 0; }
  /// Bits that no known capability names.
  [[nodiscard]] constexpr std::uint8_t unknown_bits() const noexcept {
    return static_cast<std::uint8_t>(bits_ & ~0x3Fu);
  }

  constexpr capabilities& operator|=(capabilities o) noexcept {
    bits_ = static_cast<std::uint8_t>(bits_ | o.bits_);
    return *this;
  }
  constexpr capabilities& operator&=(capabilities o) noexcept {
    bits_ = static_cast<std::uint8_t>(bits_ & o.bits_);
    return *this;
  }
  constexpr capabilities& remove(capabilities o) noexcept {
    bits_ = static_cast<std::uint8_t>(bits_ & ~o.bits_);
    return *this;
  }
  friend constexpr capabilities operator|(capabilities a, capabilities b) noexcept { return a |= b; }
  friend constexpr capabilities operator&(capabilities a, capabilities b) noexcept { return a &= b; }
  friend constexpr bool operator==(capabilities, capabilities) noexcept = default;

 private:
  std::uint8_t bits_ = 0;
};

constexpr capabilities operator|(capability a, capability b) noexcept {
  return capabilities(a) | capabilities(b);
}

/// What QEMU 7.2 and later announce with a KCS or BT interface: `08 3F A1` (qemu-live.md).
inline constexpr capabilities qemu_capabilities = capabilities::from_byte(0x3F);
/// What QEMU before GRACEFUL_SHUTDOWN (≤ 2.x) announced: 0x1F.
inline constexpr capabilities legacy_qemu_capabilities = capabilities::from_byte(0x1F);

}  // namespace ipmikit::vm
