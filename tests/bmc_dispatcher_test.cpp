// The BMC core's command registry (include/ipmikit/bmc/dispatcher.hpp): every shared rule by
// name, typed and raw handlers, the registry's bounds, and a dispatcher built and run at
// compile time.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <span>

#include <ipmikit/bmc/dispatcher.hpp>
#include <ipmikit/cmd/app.hpp>

#include "bmc_support.hpp"
#include "test_support.hpp"

using namespace ipmikit;
using test::bytes;
using test::dispatch_bytes;

namespace {

struct fake_bmc {
  int device_id_calls = 0;
  int reset_calls = 0;
  bool can_reset = true;
  std::uint8_t device_id = 0x20;
};

constexpr completion_code get_device_id(fake_bmc& b, const cmd::get_device_id::request&,
                                        cmd::get_device_id::response& rs, const bmc::request&) {
  ++b.device_id_calls;
  rs.device_id = b.device_id;
  rs.device_revision = 1;
  rs.firmware_major = 2;
  rs.manufacturer_id = 0xABCDE;
  return completion_code::success;
}

// A raw handler: Cold Reset, refused while the VM cannot be reset (0xD5, as ipmikit-bmc does
// for a capability the emulator did not offer).
constexpr bmc::reply cold_reset(fake_bmc& b, const bmc::request&, std::span<std::uint8_t>) {
  if (!b.can_reset) return {completion_code::not_supported_in_present_state, 0};
  ++b.reset_calls;
  return {completion_code::success, 0};
}

// A handler that writes data and then fails: the data must not reach the response.
constexpr bmc::reply failing(fake_bmc&, const bmc::request&, std::span<std::uint8_t> out) {
  out[0] = 0x42;
  return {static_cast<completion_code>(0x80), 1};
}

// A handler that claims more data than it was given room for.
constexpr bmc::reply overrun(fake_bmc&, const bmc::request&, std::span<std::uint8_t> out) {
  return {completion_code::success, out.size() + 1};
}

using dispatcher = bmc::dispatcher<fake_bmc, 8>;

dispatcher make_dispatcher() {
  dispatcher d;
  REQUIRE(d.add<cmd::get_device_id, &get_device_id>(bmc::privilege::user) == bmc::add_error::ok);
  REQUIRE(d.add({commands::cold_reset, 0, 0, bmc::privilege::administrator, &cold_reset}) == bmc::add_error::ok);
  return d;
}


}  // namespace

TEST_SUITE("bmc") {
  TEST_CASE("bmc dispatcher: a typed command is parsed, handled and encoded") {
    dispatcher d = make_dispatcher();
    fake_bmc b;
    CHECK(dispatch_bytes(d, b, {0x18, 0x01}) == bytes{0x1C, 0x01, 0x00, 0x20, 0x01, 0x02, 0x00, 0x02, 0x00, 0xDE, 0xBC, 0x0A, 0x00, 0x00});
    CHECK(b.device_id_calls == 1);
    CHECK(d.stats().handled == 1);
  }

  TEST_CASE("bmc dispatcher: the LUN of the request is answered on; a LUN not served is 0xC2") {
    dispatcher d = make_dispatcher();
    fake_bmc b;
    CHECK(dispatch_bytes(d, b, {0x1A, 0x01}) == bytes{0x1E, 0x01, 0xC2});  // LUN 2: the receive queue
    CHECK(b.device_id_calls == 0);
    CHECK(d.stats().wrong_lun == 1);
    bmc::dispatcher<fake_bmc, 8> d2({0x05});  // LUNs 0 and 2 served
    REQUIRE(d2.add<cmd::get_device_id, &get_device_id>(bmc::privilege::user) == bmc::add_error::ok);
    CHECK(dispatch_bytes(d2, b, {0x1A, 0x01})[2] == 0x00);
    CHECK(dispatch_bytes(d2, b, {0x1A, 0x01})[0] == 0x1E);
  }

  TEST_CASE("bmc dispatcher: an unknown command is 0xC1, in every netfn") {
    dispatcher d = make_dispatcher();
    fake_bmc b;
    CHECK(dispatch_bytes(d, b, {0x18, 0x99}) == bytes{0x1C, 0x99, 0xC1});
    CHECK(dispatch_bytes(d, b, {0x28, 0x40}) == bytes{0x2C, 0x40, 0xC1});   // storage: nothing registered
    CHECK(dispatch_bytes(d, b, {0xB8, 0x01, 0x00}) == bytes{0xBC, 0x01, 0xC1});  // OEM netfn 2Eh
    CHECK(d.stats().unknown == 3);
  }

  TEST_CASE("bmc dispatcher: a privilege below the command's is 0xD4 and the handler does not run") {
    dispatcher d = make_dispatcher();
    fake_bmc b;
    CHECK(dispatch_bytes(d, b, {0x18, 0x02}, {bmc::privilege::operator_, 1}) == bytes{0x1C, 0x02, 0xD4});
    CHECK(b.reset_calls == 0);
    CHECK(dispatch_bytes(d, b, {0x18, 0x01}, {bmc::privilege::callback, 1}) == bytes{0x1C, 0x01, 0xD4});
    CHECK(d.stats().refused_privilege == 2);
    CHECK(dispatch_bytes(d, b, {0x18, 0x02}, {bmc::privilege::administrator, 1}) == bytes{0x1C, 0x02, 0x00});
    CHECK(b.reset_calls == 1);
  }

  TEST_CASE("bmc dispatcher: request data of the wrong length is 0xC7 before any handler runs") {
    dispatcher d = make_dispatcher();
    fake_bmc b;
    CHECK(dispatch_bytes(d, b, {0x18, 0x01, 0x00}) == bytes{0x1C, 0x01, 0xC7});
    CHECK(dispatch_bytes(d, b, {0x18, 0x02, 0x00, 0x00}) == bytes{0x1C, 0x02, 0xC7});
    CHECK(b.device_id_calls == 0);
    CHECK(b.reset_calls == 0);
    CHECK(d.stats().bad_length == 2);
  }

  TEST_CASE("bmc dispatcher: a handler's error code is answered without data; 0xD5 for a missing capability") {
    dispatcher d = make_dispatcher();
    REQUIRE(d.add({commands::warm_reset, 0, 0, bmc::privilege::user, &failing}) == bmc::add_error::ok);
    fake_bmc b;
    b.can_reset = false;
    CHECK(dispatch_bytes(d, b, {0x18, 0x02}) == bytes{0x1C, 0x02, 0xD5});
    CHECK(dispatch_bytes(d, b, {0x18, 0x03}) == bytes{0x1C, 0x03, 0x80});
    CHECK(d.stats().handler_errors == 2);
  }

  TEST_CASE("bmc dispatcher: a handler that claims more than its room is answered 0xFF") {
    dispatcher d;
    REQUIRE(d.add({commands::warm_reset, 0, 0, bmc::privilege::user, &overrun}) == bmc::add_error::ok);
    fake_bmc b;
    std::array<std::uint8_t, 10> out{};
    const std::array<std::uint8_t, 2> rq{0x18, 0x03};
    const auto r = d.dispatch(b, rq, {}, out);
    REQUIRE(r);
    CHECK(r.size == 3);
    CHECK(out[2] == 0xFF);
  }

  TEST_CASE("bmc dispatcher: what cannot be answered is not, and says why") {
    dispatcher d = make_dispatcher();
    fake_bmc b;
    std::array<std::uint8_t, 300> out{};
    const std::array<std::uint8_t, 1> one{0x18};
    CHECK(d.dispatch(b, one, {}, out).error == bmc::dispatch_error::not_a_request);
    const std::array<std::uint8_t, 3> response{0x1C, 0x01, 0x00};
    CHECK(d.dispatch(b, response, {}, out).error == bmc::dispatch_error::not_a_request);
    const std::array<std::uint8_t, 2> rq{0x18, 0x01};
    CHECK(d.dispatch(b, rq, {}, std::span(out).first(2)).error == bmc::dispatch_error::buffer_too_small);
    CHECK(d.stats().not_requests == 2);
    CHECK(b.device_id_calls == 0);
    // A typed response that does not fit what is left of `out`: 0xFF, not a cut response.
    const auto r = d.dispatch(b, rq, {}, std::span(out).first(8));
    REQUIRE(r);
    CHECK(r.size == 3);
    CHECK(out[2] == 0xFF);
  }

  TEST_CASE("bmc dispatcher: the registry refuses duplicates, malformed entries and a full table, and changes nothing") {
    dispatcher d = make_dispatcher();
    CHECK(d.add({commands::cold_reset, 0, 0, bmc::privilege::user, &cold_reset}) == bmc::add_error::duplicate);
    CHECK(d.add({commands::warm_reset, 0, 0, bmc::privilege::user, nullptr}) == bmc::add_error::no_handler);
    CHECK(d.add({commands::warm_reset, 2, 1, bmc::privilege::user, &cold_reset}) == bmc::add_error::bad_lengths);
    CHECK(d.add({command_id{static_cast<netfn>(0x07), 0x03}, 0, 0, bmc::privilege::user, &cold_reset}) ==
          bmc::add_error::response_netfn);
    CHECK(d.entries().size() == 2);
    for (std::uint8_t c = 0x60; d.entries().size() < dispatcher::capacity(); ++c)
      REQUIRE(d.add({command_id{netfn::app, c}, 0, 0, bmc::privilege::user, &cold_reset}) == bmc::add_error::ok);
    CHECK(d.add({commands::warm_reset, 0, 0, bmc::privilege::user, &cold_reset}) == bmc::add_error::full);
    CHECK(d.find(netfn::app, 0x03) == nullptr);
    CHECK(bmc::name(bmc::add_error::full) == "full");
    CHECK(bmc::name(bmc::dispatch_error::not_a_request) == "not_a_request");
    CHECK(cmd::name(bmc::privilege::operator_) == "operator");
    CHECK(cmd::name(bmc::privilege::unspecified) == "unspecified");
  }

  TEST_CASE("bmc dispatcher: add_all registers every entry or none") {
    using e = bmc::entry<fake_bmc>;
    SUBCASE("all") {
      dispatcher d;
      const e both[] = {{commands::cold_reset, 0, 0, bmc::privilege::administrator, &cold_reset},
                        {commands::warm_reset, 0, 0, bmc::privilege::user, &cold_reset}};
      CHECK(bmc::add_all(d, both) == bmc::add_error::ok);
      CHECK(d.entries().size() == 2);
    }
    SUBCASE("none, whichever entry is wrong") {
      dispatcher d = make_dispatcher();  // has Get Device ID and Cold Reset
      const e duplicate[] = {{commands::warm_reset, 0, 0, bmc::privilege::user, &cold_reset},
                             {commands::cold_reset, 0, 0, bmc::privilege::user, &cold_reset}};
      CHECK(bmc::add_all(d, duplicate) == bmc::add_error::duplicate);
      const e no_handler[] = {{commands::warm_reset, 0, 0, bmc::privilege::user, &cold_reset},
                              {commands::get_self_test_results, 0, 0, bmc::privilege::user, nullptr}};
      CHECK(bmc::add_all(d, no_handler) == bmc::add_error::no_handler);
      const e lengths[] = {{commands::warm_reset, 3, 2, bmc::privilege::user, &cold_reset}};
      CHECK(bmc::add_all(d, lengths) == bmc::add_error::bad_lengths);
      const e response[] = {{command_id{static_cast<netfn>(0x07), 0x03}, 0, 0, bmc::privilege::user, &cold_reset}};
      CHECK(bmc::add_all(d, response) == bmc::add_error::response_netfn);
      CHECK(d.entries().size() == 2);
      CHECK(d.find(netfn::app, 0x03) == nullptr);
    }
    SUBCASE("none when they do not all fit") {
      bmc::dispatcher<fake_bmc, 3> d;
      REQUIRE(d.add({commands::cold_reset, 0, 0, bmc::privilege::user, &cold_reset}) == bmc::add_error::ok);
      const e three[] = {{commands::warm_reset, 0, 0, bmc::privilege::user, &cold_reset},
                       {commands::get_self_test_results, 0, 0, bmc::privilege::user, &cold_reset},
                       {commands::get_device_guid, 0, 0, bmc::privilege::user, &cold_reset}};
      CHECK(bmc::add_all(d, three) == bmc::add_error::full);
      CHECK(d.entries().size() == 1);
    }
  }

  TEST_CASE("bmc dispatcher: built and run in constant evaluation") {
    test::check_at_compile_time([] {
      bmc::dispatcher<fake_bmc, 4> d;
      d.add<cmd::get_device_id, &get_device_id>(bmc::privilege::user);
      fake_bmc b;
      b.device_id = 0x33;
      std::array<std::uint8_t, 32> out{};
      const std::array<std::uint8_t, 2> rq{0x18, 0x01};
      const auto r = d.dispatch(b, rq, {}, out);
      return r.size == 14 && out[2] == 0x00 && out[3] == 0x33 && b.device_id_calls == 1;
    });
  }
}
