// tests/bmc_support.hpp — what the BMC-core component tests share: a clock the tests set by
// hand and the names they all use (bmc_names), one request through a dispatcher as bytes, and
// the check of what an add_*_commands registered. Each test file declares its own Context (the
// components it composes) and uses these.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include <ipmikit/bmc/controller.hpp>
#include <ipmikit/bmc/dispatcher.hpp>

#include "test_support.hpp"

namespace ipmikit::test {

/// A controller's identity as the controller and vm_link tests configure it: device 21h,
/// revision 3, firmware 2.15, chassis and SEL device, manufacturer A0A2h, product 0201h.
constexpr bmc::controller_config controller_identity() {
  bmc::controller_config c;
  c.identity.device_id = 0x21;
  c.identity.device_revision = 3;
  c.identity.firmware_major = 2;
  c.identity.firmware_minor = 0x15;
  c.identity.additional_support = bmc::device_support::chassis_device | bmc::device_support::sel_device;
  c.identity.manufacturer_id = 0xA0A2;
  c.identity.product_id = 0x0201;
  return c;
}

/// A clock nobody reads: the tests say what time it is (nanoseconds since an epoch, as
/// steady_clock and, on Linux, system_clock count).
struct bmc_test_clock {
  using rep = std::int64_t;
  using period = std::nano;
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<bmc_test_clock>;
};

/// The names every BMC component test uses, brought in at once with
/// `using namespace ipmikit::test::bmc_names;`: the test clock, its time points, bytes and
/// dispatch_bytes (below), and the chrono literals.
namespace bmc_names {
using test_clock = bmc_test_clock;
using tp = bmc_test_clock::time_point;
using namespace std::chrono_literals;
}  // namespace bmc_names

/// A value of T with some fields set: the typed commands (cmd/) derive from their layout, so
/// they take no designated initializers (`make<cmd::bmc_global_enables>([](auto& e) { e.oem0 = true; })`).
template <class T, class Fill>
constexpr T make(Fill fill) {
  T v{};
  fill(v);
  return v;
}

/// Dispatches one request message and returns the whole response message (netfn/LUN, command,
/// completion code, data). A request the dispatcher does not answer fails the test.
/// `out_size` limits the response buffer, for tests of a response that does not fit.
template <class Context, std::size_t Capacity>
std::vector<std::uint8_t> dispatch_bytes(bmc::dispatcher<Context, Capacity>& d, Context& context,
                                         const std::vector<std::uint8_t>& request, bmc::origin from = {},
                                         std::size_t out_size = 300) {
  std::array<std::uint8_t, 300> out{};  // more than the largest IPMI response message
  const auto r = d.dispatch(context, request, from, std::span(out).first(std::min(out_size, out.size())));
  REQUIRE(r);
  return std::vector<std::uint8_t>(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(r.size));
}

/// A command a dispatcher holds, and the privilege it requires.
struct registered {
  netfn function;
  std::uint8_t code;
  bmc::privilege required;
};

/// `d` holds exactly the `expected` commands, each requiring its privilege.
template <class Context, std::size_t Capacity>
void check_registered(const bmc::dispatcher<Context, Capacity>& d, std::initializer_list<registered> expected) {
  CHECK(d.entries().size() == expected.size());
  for (const registered& r : expected) {
    INFO("netfn ", static_cast<unsigned>(r.function), " command ", static_cast<unsigned>(r.code));
    const auto* e = d.find(r.function, r.code);
    REQUIRE(e != nullptr);
    CHECK(e->required == r.required);
  }
}

/// Registers `id` with a handler that answers nothing, only to take a place in `d` (for the
/// tests of an add_*_commands that finds too few places left).
template <class Context, std::size_t Capacity>
void take_a_place(bmc::dispatcher<Context, Capacity>& d, command_id id) {
  REQUIRE(d.add({id, 0, 0, bmc::privilege::user,
                 [](Context&, const bmc::request&, std::span<std::uint8_t>) { return bmc::reply{}; }}) ==
          bmc::add_error::ok);
}

/// The all-or-none contract of an add_*_commands function (`add`, called with a dispatcher):
/// into `d` it succeeds, adding `count` entries, and a second time it is refused as duplicate
/// and adds none; into `small`, with too few places left, it is refused as full and adds none.
template <class Dispatcher, class Small, class Add>
void check_all_or_none(Dispatcher& d, Small& small, Add add, std::size_t count) {
  const std::size_t before = d.entries().size(), small_before = small.entries().size();
  REQUIRE(add(d) == bmc::add_error::ok);
  CHECK(d.entries().size() == before + count);
  CHECK(add(d) == bmc::add_error::duplicate);
  CHECK(d.entries().size() == before + count);
  CHECK(add(small) == bmc::add_error::full);
  CHECK(small.entries().size() == small_before);
}

namespace bmc_names {
using test::bytes;
using test::dispatch_bytes;
}  // namespace bmc_names

}  // namespace ipmikit::test
