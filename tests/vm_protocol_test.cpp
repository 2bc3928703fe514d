// tests/vm_protocol_test.cpp — ipmikit/vm/protocol.hpp: special bytes, VM commands and
// capabilities, checked against qemu.md §1.1–1.3 and openipmi.md §3.
#include <cstdint>
#include <set>
#include <string_view>

#include <ipmikit/vm/protocol.hpp>

#include "test_support.hpp"

using namespace ipmikit;
using vm::capabilities;
using vm::capability;
using vm::command;

namespace {

static_assert(vm::end_of_message == 0xA0 && vm::end_of_command == 0xA1 && vm::escape == 0xAA);
static_assert(vm::escape_bit == 0x10);
static_assert(vm::protocol_version == 1);
static_assert(vm::max_message_size == 300);
static_assert(vm::min_request_frame == 4 && vm::min_response_frame == 5);
static_assert(vm::qemu_capabilities.to_byte() == 0x3F);
static_assert(vm::legacy_qemu_capabilities.to_byte() == 0x1F);
static_assert((capability::irq | capability::attention).to_byte() == 0x14);
static_assert(capabilities::from_byte(0xC1).unknown_bits() == 0xC0);

// Every command of qemu.md §1.2 with its code, name and argument count.
struct command_fact {
  std::uint8_t code;
  command value;
  std::string_view name;
  std::size_t arguments;
};
constexpr command_fact vm_commands[] = {
    {0x00, command::no_attention, "NOATTN", 0},
    {0x01, command::attention, "ATTN", 0},
    {0x02, command::attention_irq, "ATTN_IRQ", 0},
    {0x03, command::power_off, "POWEROFF", 0},
    {0x04, command::reset, "RESET", 0},
    {0x05, command::enable_irq, "ENABLE_IRQ", 0},
    {0x06, command::disable_irq, "DISABLE_IRQ", 0},
    {0x07, command::send_nmi, "SEND_NMI", 0},
    {0x08, command::capabilities, "CAPABILITIES", 1},
    {0x09, command::graceful_shutdown, "GRACEFUL_SHUTDOWN", 0},
    {0xFF, command::version, "VERSION", 1},
};

// qemu.md §1.3.
struct capability_fact {
  std::uint8_t bit;
  capability value;
  std::string_view name;
};
constexpr capability_fact capability_facts[] = {
    {0x01, capability::power, "POWER"},          {0x02, capability::reset, "RESET"},
    {0x04, capability::irq, "IRQ"},              {0x08, capability::nmi, "NMI"},
    {0x10, capability::attention, "ATTN"},       {0x20, capability::graceful_shutdown, "GRACEFUL_SHUTDOWN"},
};

}  // namespace

TEST_SUITE("vm") {

TEST_CASE("exactly 0xA0, 0xA1 and 0xAA are special") {
  for (unsigned b = 0; b < 256; ++b) {
    CAPTURE(b);
    CHECK(vm::is_special(static_cast<std::uint8_t>(b)) == (b == 0xA0 || b == 0xA1 || b == 0xAA));
  }
  // The escaped forms are not special themselves.
  CHECK_FALSE(vm::is_special(0xA0 | vm::escape_bit));
  CHECK_FALSE(vm::is_special(0xA1 | vm::escape_bit));
  CHECK_FALSE(vm::is_special(0xAA | vm::escape_bit));
}

TEST_CASE("every VM command has its QEMU code, name and argument count") {
  std::set<std::string_view> names;
  for (const auto& c : vm_commands) {
    CAPTURE(c.name);
    CHECK(static_cast<std::uint8_t>(c.value) == c.code);
    CHECK(vm::name(c.value) == c.name);
    CHECK(vm::argument_count(c.value) == c.arguments);
    CHECK(c.arguments <= vm::max_command_size - 1);
    names.insert(vm::name(c.value));
  }
  CHECK(names.size() == std::size(vm_commands));
  CHECK(vm::name(static_cast<command>(0x0A)).empty());
  CHECK(vm::name(static_cast<command>(0xFE)).empty());
}

TEST_CASE("is_known_command is true for 0x00-0x09 and 0xFF only, over all 256 codes") {
  int known = 0;
  for (unsigned code = 0; code < 256; ++code) {
    CAPTURE(code);
    const bool expected = code <= 0x09 || code == 0xFF;
    CHECK(vm::is_known_command(static_cast<std::uint8_t>(code)) == expected);
    CHECK(vm::name(static_cast<command>(code)).empty() == !expected);
    known += expected ? 1 : 0;
  }
  CHECK(known == 11);
}

TEST_CASE("every capability has its QEMU bit and name") {
  std::uint8_t all = 0;
  for (const auto& c : capability_facts) {
    CAPTURE(c.name);
    CHECK(static_cast<std::uint8_t>(c.value) == c.bit);
    CHECK(vm::name(c.value) == c.name);
    all = static_cast<std::uint8_t>(all | c.bit);
  }
  CHECK(all == 0x3F);
  REQUIRE(std::size(vm::all_capabilities_list) == std::size(capability_facts));
  for (std::size_t i = 0; i < std::size(capability_facts); ++i)
    CHECK(vm::all_capabilities_list[i] == capability_facts[i].value);
  CHECK(vm::name(static_cast<capability>(0x40)).empty());
}

TEST_CASE("capabilities round-trip every byte, unknown bits included") {
  for (unsigned b = 0; b < 256; ++b) {
    CAPTURE(b);
    const auto byte = static_cast<std::uint8_t>(b);
    const capabilities caps = capabilities::from_byte(byte);
    CHECK(caps.to_byte() == byte);
    CHECK(caps.unknown_bits() == (b & 0xC0u));
    CHECK(caps.empty() == (b == 0));
    for (const auto& c : capability_facts) CHECK(caps.has(c.value) == ((b & c.bit) != 0));
    CHECK(caps == capabilities::from_byte(byte));
    CHECK(caps.contains(capabilities{}));
    CHECK(caps.contains(caps));
  }
}

TEST_CASE("capability sets support union, intersection, removal and containment") {
  const capabilities a = capability::power | capability::irq;
  CHECK(a.to_byte() == 0x05);
  CHECK(a.has(capability::power));
  CHECK(a.has(capability::irq));
  CHECK_FALSE(a.has(capability::reset));

  const capabilities b = capabilities(capability::irq) | capability::nmi;
  CHECK((a | b).to_byte() == 0x0D);
  CHECK((a & b).to_byte() == 0x04);
  CHECK((a & b) == capabilities(capability::irq));

  capabilities c = a;
  c |= capability::attention;
  CHECK(c.to_byte() == 0x15);
  c &= b;
  CHECK(c.to_byte() == 0x04);
  c.remove(capability::irq);
  CHECK(c.empty());
  CHECK(c == capabilities{});

  CHECK(vm::qemu_capabilities.contains(a));
  CHECK(vm::qemu_capabilities.contains(vm::legacy_qemu_capabilities));
  CHECK_FALSE(vm::legacy_qemu_capabilities.contains(capability::graceful_shutdown));
  CHECK_FALSE(a.contains(b));

  // Removal and union keep bits no version defines.
  capabilities u = capabilities::from_byte(0xC3);
  u.remove(capability::power);
  CHECK(u.to_byte() == 0xC2);
  CHECK((u | capability::irq).unknown_bits() == 0xC0);

  for (const auto& f : capability_facts) {
    CHECK(vm::qemu_capabilities.has(f.value));
    CHECK(vm::legacy_qemu_capabilities.has(f.value) == (f.value != capability::graceful_shutdown));
  }
}

}  // TEST_SUITE
