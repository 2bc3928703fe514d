// tests/readme_test.cpp — the usage example of README.md, compiled and run, so the README
// cannot drift from the API. Keep the block between the markers in step with the README (there
// the lambdas hold comments; here they record what they saw).
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include <ipmikit/ipmikit.hpp>

namespace {
template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;  // clang 14 has no CTAD for aggregates
}  // namespace

TEST_SUITE("readme") {
  TEST_CASE("the README's usage example encodes Get Device ID and decodes it back") {
    std::vector<std::uint8_t> seen_body;
    int messages = 0;
    int others = 0;
    // --- README block begins
    namespace vm = ipmikit::vm;

    // Frame Get Device ID (App netfn, LUN 0, cmd 0x01) as message id 0: 00 18 01 E7 A0
    const std::uint8_t body[] = {ipmikit::pack_netfn_lun(ipmikit::netfn::app, ipmikit::lun::bmc), 0x01};
    std::array<std::uint8_t, vm::max_message_frame_size(sizeof body)> wire;
    vm::encode_result r = vm::encode_message(wire, 0x00, body);   // r.size == 5, or r.error

    // Decode a byte stream in whatever chunks it arrives.
    vm::decoder dec;
    dec.feed(std::span(wire.data(), r.size), overloaded{
        [&](const vm::message_event& m) { seen_body.assign(m.body.begin(), m.body.end()); ++messages; },
        [&](const vm::command_event&) { ++others; },
        [&](const vm::error_event&) { ++others; }});
    // --- README block ends
    REQUIRE(r);
    CHECK(r.size == 5);
    const std::array<std::uint8_t, 5> expected{0x00, 0x18, 0x01, 0xE7, 0xA0};
    CHECK(std::equal(wire.begin(), wire.begin() + 5, expected.begin()));
    CHECK(messages == 1);
    CHECK(others == 0);
    CHECK(seen_body == std::vector<std::uint8_t>{0x18, 0x01});
  }
}
