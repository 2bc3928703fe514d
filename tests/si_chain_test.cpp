// tests/si_chain_test.cpp — host ⇄ device ⇄ emulator bridge ⇄ vm::session<emulator> ⇄ bytes ⇄
// vm::session<bmc> ⇄ a responder, all in memory (tests/chain.hpp), once for every system
// interface: requests go all the way through and back, attention and the interrupt line travel
// from the BMC to the host, and the recovery paths (a BMC that is silent or late, a host that
// gives up) never hand a host the wrong response. The host's view of attention and a host
// retrying after its timeout are the register interfaces' (SSIF's: ssif_host_test.cpp). What only
// one interface has is in kcs_*_test.cpp / bt_chain_test.cpp / ssif_*_test.cpp.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "chain.hpp"
#include "si_interfaces.hpp"
#include "test_support.hpp"

namespace {

using namespace ipmikit;
using namespace std::chrono_literals;
using test::bytes;

const bytes get_device_id = {0x18, 0x01};
const bytes device_id_response = {0x1C, 0x01, 0x00, 0x20, 0x81, 0x02, 0x17, 0x02, 0xBF,
                                  0x57, 0x01, 0x00, 0xA0, 0x00, 0x00, 0x00, 0x00, 0x00};

// Echo-style BMC: Get Device ID gets the canned answer, anything else its data back.
bytes answer(std::span<const std::uint8_t> req) {
  if (req.size() == 2 && req[0] == 0x18 && req[1] == 0x01) return device_id_response;
  bytes rsp{static_cast<std::uint8_t>(req[0] | 0x04), req[1], 0x00};
  rsp.insert(rsp.end(), req.begin() + 2, req.end());
  return rsp;
}

template <class Iface>
using chain = test::chain<typename Iface::device>;

template <class Iface>
si::outcome transact(typename Iface::host& h, chain<Iface>& c, const bytes& request,
                     std::size_t max = 2'000'000) {
  REQUIRE(h.start(request, c.now) == si::host_error::ok);
  return Iface::drive(h, c, [&] { return c.tick(); }, max);
}

}  // namespace

TEST_SUITE("si") {
  TEST_CASE_TEMPLATE("chain: Get Device ID from the host registers to the BMC and back", Iface,
                     IPMIKIT_SYSTEM_INTERFACES) {
    chain<Iface> c;
    c.responder = answer;
    typename Iface::host h;
    CHECK(transact<Iface>(h, c, get_device_id) == si::outcome::done);
    CHECK(bytes(h.response().begin(), h.response().end()) == device_id_response);
    REQUIRE(c.requests_seen_by_bmc.size() == 1);
    CHECK(c.requests_seen_by_bmc[0] == get_device_id);  // no interface framing on the wire
    CHECK(c.wire_bytes > 0);
    CHECK(h.stats().retries == 0);
    CHECK(c.device.stats().requests == 1);
    CHECK(c.emulator.stats().responses == 1);
    CHECK(c.bmc.stats().requests == 1);
    CHECK(c.bridge.stats().delivered == 1);
  }

  TEST_CASE_TEMPLATE("chain: many requests in a row, with bytes the wire must escape", Iface,
                     IPMIKIT_SYSTEM_INTERFACES) {
    chain<Iface> c;
    c.responder = answer;
    typename Iface::host h;
    for (int i = 0; i < 20; ++i) {
      bytes req{0x18, 0x3A};
      for (int j = 0; j < i * 11; ++j) req.push_back(static_cast<std::uint8_t>(0xA0 + (j % 12)));
      CAPTURE(i);
      REQUIRE(transact<Iface>(h, c, req) == si::outcome::done);
      CHECK(bytes(h.response().begin(), h.response().end()) == answer(req));
    }
    CHECK(c.bmc.stats().requests == 20);
    CHECK(c.emulator.stats().count(vm::protocol_problem::malformed_frame) == 0);
  }

  TEST_CASE_TEMPLATE("chain: the BMC's attention reaches the host, and goes away", Iface,
                     IPMIKIT_REGISTER_INTERFACES) {
    chain<Iface> c;
    c.responder = answer;
    typename Iface::host h;
    REQUIRE(c.bmc.set_attention(true) == vm::session_error::ok);
    c.pump();
    CHECK(c.device.attention());
    CHECK(transact<Iface>(h, c, bytes{0x18, 0x31}) == si::outcome::done);
    CHECK(Iface::host_attention(h));
    REQUIRE(c.bmc.set_attention(false) == vm::session_error::ok);
    c.pump();
    CHECK_FALSE(c.device.attention());
    CHECK(transact<Iface>(h, c, get_device_id) == si::outcome::done);
    CHECK_FALSE(Iface::host_attention(h));
    CHECK(c.commands_seen_by_emulator ==
          std::vector<vm::command>{vm::command::attention, vm::command::no_attention});
  }

  TEST_CASE_TEMPLATE("chain: interrupts enabled by the BMC raise the device's line", Iface,
                     IPMIKIT_SYSTEM_INTERFACES) {
    chain<Iface> c;
    c.responder = answer;
    typename Iface::host h;
    Iface::enable_host_interrupts(c.device);
    CHECK(transact<Iface>(h, c, get_device_id) == si::outcome::done);
    CHECK_FALSE(c.irq_seen);
    REQUIRE(c.bmc.enable_irq(true) == vm::session_error::ok);
    c.pump();
    CHECK(c.device.interrupts_enabled());
    CHECK(transact<Iface>(h, c, get_device_id) == si::outcome::done);
    CHECK(c.irq_seen);
  }

  TEST_CASE_TEMPLATE("chain: a BMC that never answers: the emulator answers 0xC3 after 4 s, the host gets it",
                     Iface, IPMIKIT_SYSTEM_INTERFACES) {
    chain<Iface> c;
    c.step = 1ms;
    typename Iface::host h;  // response_timeout 5 s > the emulator's 4 s
    CHECK(transact<Iface>(h, c, get_device_id) == si::outcome::done);
    REQUIRE(h.response().size() == 3);
    CHECK(h.response()[2] == 0xC3);
    CHECK(c.local_responses == 1);
    CHECK(c.now >= std::chrono::steady_clock::time_point{} + 4s);
  }

  TEST_CASE_TEMPLATE("chain: a host that gives up never gets the late answer to its abandoned request",
                     Iface, IPMIKIT_REGISTER_INTERFACES) {
    chain<Iface> c;
    c.step = 1ms;
    int calls = 0;
    c.responder = [&](std::span<const std::uint8_t> req) {
      if (++calls == 1) return bytes{};  // the first request: no answer for now
      return answer(req);
    };
    typename Iface::host::config cfg;
    cfg.response_timeout = 100ms;
    typename Iface::host h(cfg);
    REQUIRE(h.start(bytes{0x18, 0x3A, 0x01}, c.now) == si::host_error::ok);
    // Run until the host has given up once and sent its request again (the new one waits in
    // the device: the emulator still has the first one outstanding).
    for (int i = 0; i < 100000 && h.stats().retries == 0; ++i) {
      const auto v = Iface::perform(c, h.next());
      if (h.next().repeat) c.idle();
      h.complete(c.tick(), v);
    }
    REQUIRE(h.stats().retries == 1);
    for (int i = 0; i < 100000 && c.device.stats().requests < 2; ++i) {
      const auto v = Iface::perform(c, h.next());
      h.complete(c.tick(), v);
    }
    CHECK(c.device.stats().cancelled == 1);
    // Now the BMC answers the first request, late, with a marker the host must never see.
    REQUIRE(c.bmc.awaiting_response(0));
    REQUIRE(c.bmc.respond(0, bytes{0x1C, 0x3A, 0x00, 0xEE}) == vm::session_error::ok);
    CHECK(Iface::drive(h, c, [&] { return c.tick(); }, 100000) == si::outcome::done);
    CHECK(bytes(h.response().begin(), h.response().end()) == bytes{0x1C, 0x3A, 0x00, 0x01});
    CHECK(c.device.stats().responses_refused == 1);  // the late answer, refused as stale
    CHECK(c.bridge.stats().dropped == 1);
    CHECK(c.requests_seen_by_bmc.size() == 2);
  }
}
