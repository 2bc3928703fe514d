// tests/bt_chain_test.cpp — what only BT has in the in-memory chain (tests/chain.hpp): the Seq
// counting up and never on the wire, Get BT Interface Capabilities applied, and a host that
// resends never taking the late answer to an older Seq for its own. What every interface does
// is in si_chain_test.cpp.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "chain.hpp"
#include "test_support.hpp"

namespace {

using namespace ipmikit;
using namespace std::chrono_literals;
using test::bytes;
using chain = test::chain<bt::device>;

bytes answer(std::span<const std::uint8_t> req) {
  if (req[1] == bt::get_bt_capabilities_cmd) return {0x1C, 0x36, 0x00, 0x01, 0x3F, 0x3F, 0x02, 0x01};
  bytes rsp{static_cast<std::uint8_t>(req[0] | 0x04), req[1], 0x00};
  rsp.insert(rsp.end(), req.begin() + 2, req.end());
  return rsp;
}

template <class Host>
bt::outcome transact(Host& h, chain& c, const bytes& request, std::size_t max = 2'000'000) {
  REQUIRE(h.start(request, c.now) == bt::host_error::ok);
  return bt::drive(h, c, [&] { return c.tick(); }, max);
}

}  // namespace

TEST_SUITE("bt") {
  TEST_CASE("bt chain: requests from the host registers to the BMC and back, Seq counting up") {
    chain c;
    c.responder = answer;
    bt::host h;
    for (int i = 0; i < 10; ++i) {
      bytes req{0x18, 0x3A};
      for (int j = 0; j < i * 23; ++j) req.push_back(static_cast<std::uint8_t>(0xA0 + j % 16));
      CAPTURE(i);
      REQUIRE(transact(h, c, req) == bt::outcome::done);
      CHECK(bytes(h.response().begin(), h.response().end()) == answer(req));
      CHECK(h.seq() == i);
    }
    REQUIRE(c.requests_seen_by_bmc.size() == 10);
    CHECK(c.requests_seen_by_bmc[0] == bytes{0x18, 0x3A});  // no Length, no Seq on the wire
  }

  TEST_CASE("bt chain: Get BT Interface Capabilities from the BMC, applied") {
    chain c;
    c.responder = answer;
    bt::host h;
    REQUIRE(transact(h, c, bytes{0x18, bt::get_bt_capabilities_cmd}) == bt::outcome::done);
    const auto caps = bt::parse_capabilities(h.response());
    REQUIRE(caps);
    CHECK(caps->input_buffer_size == 0x3F);
    h.apply(*caps);
    CHECK(h.settings().max_retries == 1);
    CHECK(h.start(bytes(63, 0x18), c.now) == bt::host_error::request_too_long);
  }

  TEST_CASE("bt chain: a late answer to a resent request is taken once, never twice") {
    chain c;
    c.step = 1ms;
    int calls = 0;
    c.responder = [&](std::span<const std::uint8_t> req) {
      if (++calls == 1) return bytes{};  // the first copy: no answer for now
      return answer(req);
    };
    bt::host::config cfg;
    cfg.response_timeout = 2s;  // the resend at 2 s, the emulator's own timeout at 4 s
    bt::host h(cfg);
    CHECK(transact(h, c, bytes{0x18, 0x3A, 0x05}) == bt::outcome::done);
    CHECK(bytes(h.response().begin(), h.response().end()) == bytes{0x1C, 0x3A, 0x00, 0x05});
    // The resend waited in the device until the emulator's first request timed out (0xC3 at 4 s,
    // refused by the device as stale: the resend had replaced it), then went to the BMC.
    CHECK(h.attempts() == 2);
    CHECK(c.device.stats().cancelled == 1);
    CHECK(c.bridge.stats().dropped == 1);
    CHECK(c.device.stats().responses_refused == 1);
    CHECK(c.local_responses == 1);
    // The next transaction is clean and gets its own answer.
    CHECK(transact(h, c, bytes{0x18, 0x3A, 0x06}) == bt::outcome::done);
    CHECK(h.response()[3] == 0x06);
  }
}
