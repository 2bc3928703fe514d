// tests/ssif_host_test.cpp — ssif::host: the transfers it asks for (the capabilities probe,
// single- and multi-part writes and reads, the waits), its retries with Linux's intervals, the
// responses it refuses, PEC, and the SSIF chain cases the register interfaces run in
// si_chain_test.cpp their own way (a host that gives up, attention).
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <ipmikit/ssif/device.hpp>
#include <ipmikit/ssif/host.hpp>

#include "chain.hpp"
#include "test_support.hpp"

namespace {

using namespace ipmikit;
using namespace std::chrono_literals;
using test::bytes;
using test::hex;
using clk = std::chrono::steady_clock;
using ssif::smbus_command;

// One transfer as the bus saw it: "W02 18 01", "R03", "wait".
std::string describe(const ssif::action& a) {
  std::string s;
  char buf[8];
  switch (a.kind) {
    case ssif::access::block_write:
      std::snprintf(buf, sizeof buf, "W%02X", static_cast<unsigned>(a.command));
      s = buf;
      for (const std::uint8_t b : a.data) {
        std::snprintf(buf, sizeof buf, " %02X", static_cast<unsigned>(b));
        s += buf;
      }
      return s;
    case ssif::access::block_read:
      std::snprintf(buf, sizeof buf, "R%02X", static_cast<unsigned>(a.command));
      return buf;
    case ssif::access::wait: return "wait";
    case ssif::access::none: break;
  }
  return "none";
}

// An answer to `req` of `n` bytes: NetFn + 1, Cmd, cc 00, then `fill`.
bytes answer_of_length(std::span<const std::uint8_t> req, std::size_t n, std::uint8_t fill) {
  bytes r(n, fill);  // (not resize(): g++ 12 -O3 warns falsely on growing a 3-byte vector)
  r[0] = static_cast<std::uint8_t>(req[0] | 0x04);
  r[1] = req[1];
  r[2] = 0x00;
  return r;
}

// An SMBus with an ssif::device and a BMC answering at the first wait (or as `answer` says);
// `fault(action)` may turn a transfer into a NAK or a PEC error. Records every transfer.
struct bus {
  ssif::device device;
  ssif::device_bus<ssif::device> smbus{device};
  clk::time_point now{};
  std::vector<std::string> trace;
  std::function<bytes(std::span<const std::uint8_t>)> answer = [](std::span<const std::uint8_t> req) {
    bytes r(req.size() + 1);  // NetFn + 1, Cmd, cc 00, the request's data echoed
    r[0] = static_cast<std::uint8_t>(req[0] | 0x04);
    r[1] = req[1];
    std::copy(req.begin() + 2, req.end(), r.begin() + 3);
    return r;
  };
  std::function<std::optional<ssif::transfer_status>(const ssif::action&)> fault;

  explicit bus(ssif::device::config cfg = {}) : device(cfg) {}

  void idle() {
    if (const auto r = device.pending_request()) {
      const bytes rsp = answer(r->bytes);
      if (!rsp.empty()) (void)device.respond(r->id, rsp);
    }
  }
};

ssif::transfer_result perform(bus& b, const ssif::action& a) {
  b.trace.push_back(describe(a));
  if (b.fault) {
    if (const auto f = b.fault(a)) return {*f, {}};
  }
  return perform(b.smbus, a);
}

template <class Host>
si::outcome transact(Host& h, bus& b, const bytes& request, std::size_t max = 100000) {
  REQUIRE(h.start(request, b.now) == si::host_error::ok);
  return si::drive(h, b, [&] { return b.now += 1ms; }, max);
}

// The trace without its waits (how many there are depends on the clock's step).
std::vector<std::string> transfers(const std::vector<std::string>& trace) {
  std::vector<std::string> out;
  for (const auto& t : trace)
    if (t != "wait") out.push_back(t);
  return out;
}

}  // namespace

TEST_SUITE("ssif") {
  TEST_CASE("ssif host: the first transaction asks the capabilities, then sends the request; the next does not") {
    bus b;
    ssif::host h;
    CHECK(transact(h, b, hex("18 01")) == si::outcome::done);
    CHECK(bytes(h.response().begin(), h.response().end()) == hex("1C 01 00"));
    CHECK(transfers(b.trace) == std::vector<std::string>{"W02 18 57 00", "R03", "W02 18 01", "R03"});
    REQUIRE(h.capabilities_in_use());
    CHECK(h.capabilities_in_use()->transactions == cmd::ssif_transaction_support::start_middle_end);
    CHECK(h.capabilities_in_use()->max_request == 255);
    CHECK_FALSE(h.capabilities_in_use()->pec);
    CHECK(h.stats().probes == 1);
    CHECK(h.problem() == ssif::problem::none);
    CHECK(h.attempts() == 1);
    b.trace.clear();
    CHECK(transact(h, b, hex("18 01")) == si::outcome::done);
    CHECK(transfers(b.trace) == std::vector<std::string>{"W02 18 01", "R03"});
    CHECK(h.stats().probes == 1);
    CHECK(b.device.stats().capabilities == 1);
  }

  TEST_CASE("ssif host: the first read waits first_read_delay after the write; NAKs are read again every 60 ms") {
    bus b;
    b.answer = [&](std::span<const std::uint8_t> req) -> bytes {
      if (b.now < clk::time_point{} + 150ms) return {};  // the BMC takes 150 ms
      return bytes{static_cast<std::uint8_t>(req[0] | 0x04), req[1], 0x00};
    };
    ssif::host::config cfg;
    cfg.query_capabilities = false;
    ssif::host h(cfg);
    REQUIRE(h.start(hex("18 01"), b.now) == si::host_error::ok);
    CHECK(describe(h.next()) == "W02 18 01");
    h.complete(b.now, perform(b, h.next()));
    CHECK(h.next().kind == ssif::access::wait);
    REQUIRE(h.next_deadline());
    CHECK(*h.next_deadline() == b.now + 5ms);
    h.complete(b.now + 4ms, {});  // too early: still waiting
    CHECK(h.next().kind == ssif::access::wait);
    CHECK(si::drive(h, b, [&] { return b.now += 1ms; }, 100000) == si::outcome::done);
    // Reads at 5, 65, 125 ms are NAKed; the one at 185 ms gets the response.
    CHECK(h.stats().nacks == 3);
    CHECK(b.now >= clk::time_point{} + 185ms);
    CHECK(b.now < clk::time_point{} + 190ms);
    CHECK(b.device.stats().not_ready == h.stats().nacks);
  }

  TEST_CASE("ssif host: a request over 32 bytes is written 06h, 07h, 08h; a response over 32 bytes read 03h, 09h…") {
    bus b;
    ssif::host h;
    bytes request{0x18, 0x3A};
    for (int i = 0; i < 98; ++i) request.push_back(static_cast<std::uint8_t>(i));  // 100 bytes
    CHECK(transact(h, b, request) == si::outcome::done);
    bytes expected{0x1C, 0x3A, 0x00};
    expected.insert(expected.end(), request.begin() + 2, request.end());  // 101 bytes
    CHECK(bytes(h.response().begin(), h.response().end()) == expected);
    const auto t = transfers(b.trace);
    REQUIRE(t.size() == 2 + 4 + 4);  // probe; 06 07 07 08; 03 09 09 09
    CHECK(t[2].substr(0, 3) == "W06");
    CHECK(t[3].substr(0, 3) == "W07");
    CHECK(t[4].substr(0, 3) == "W07");
    CHECK(t[5] == "W08 5E 5F 60 61");  // the last 4 bytes
    CHECK(std::vector<std::string>(t.begin() + 6, t.end()) == std::vector<std::string>{"R03", "R09", "R09", "R09"});
    CHECK(h.stats().multipart_writes == 1);
    CHECK(h.stats().multipart_reads == 1);
    CHECK(b.device.stats().requests == 1);
  }

  TEST_CASE("ssif host: exactly 32 and 64 bytes: one 02h; 06h + 08h with 32 bytes") {
    for (const std::size_t n : {std::size_t{32}, std::size_t{64}}) {
      CAPTURE(n);
      bus b;
      ssif::host::config cfg;
      cfg.query_capabilities = false;
      ssif::host h(cfg);
      bytes request(n, 0x42);
      request[0] = 0x18;
      CHECK(transact(h, b, request) == si::outcome::done);
      const auto t = transfers(b.trace);
      if (n == 32) {
        CHECK(t[0].substr(0, 3) == "W02");
      } else {
        REQUIRE(t.size() >= 2);
        CHECK(t[0].substr(0, 3) == "W06");
        CHECK(t[1].substr(0, 3) == "W08");
        CHECK(t[1].size() == 3 + 32 * 3);
      }
    }
  }

  TEST_CASE("ssif host: an absent device NAKs every write: 1 + 5 attempts 60 ms apart, then failed write_refused") {
    bus b;
    b.fault = [](const ssif::action&) { return ssif::transfer_status::nack; };
    ssif::host h;
    CHECK(transact(h, b, hex("18 01")) == si::outcome::failed);
    CHECK(h.problem() == ssif::problem::write_refused);
    CHECK(h.attempts() == 6);
    CHECK(h.stats().retries == 5);
    CHECK(transfers(b.trace).size() == 6);
    CHECK(b.now >= clk::time_point{} + 5 * 60ms);
    CHECK(b.now < clk::time_point{} + 6 * 60ms);
    CHECK_FALSE(h.capabilities_in_use());  // the probe never got an answer: asked again next time
  }

  TEST_CASE("ssif host: a BMC that never answers: max_read_retries reads, then failed response_timeout; the next request is done") {
    bus b;
    b.answer = [](std::span<const std::uint8_t>) { return bytes{}; };
    ssif::host::config cfg;
    cfg.query_capabilities = false;
    cfg.max_read_retries = 10;
    ssif::host h(cfg);
    CHECK(transact(h, b, hex("18 01")) == si::outcome::failed);
    CHECK(h.problem() == ssif::problem::response_timeout);
    CHECK(h.stats().nacks == 11);  // the first read and 10 retries
    CHECK(b.now >= clk::time_point{} + 5ms + 10 * 60ms);
    b.answer = [](std::span<const std::uint8_t> req) { return bytes{0x1C, req[1], 0x00}; };
    CHECK(transact(h, b, hex("18 01")) == si::outcome::done);
    CHECK(b.device.stats().cancelled == 1);  // the new request replaced the unanswered one
  }

  TEST_CASE("ssif host: a response that is not ours (QEMU's previous response) is dropped and the read repeated") {
    bus b;
    int reads = 0;
    std::array<std::uint8_t, 3> stale{0x1C, 0x01, 0x00};  // Get Device ID's, while we asked 3Ah
    b.fault = [](const ssif::action&) -> std::optional<ssif::transfer_status> { return std::nullopt; };
    ssif::host::config cfg;
    cfg.query_capabilities = false;
    ssif::host h(cfg);
    REQUIRE(h.start(hex("18 3A"), b.now) == si::host_error::ok);
    for (int i = 0; i < 1000 && h.outcome() == si::outcome::busy; ++i) {
      const auto a = h.next();
      if (a.repeat) b.idle();
      ssif::transfer_result r = perform(b, a);
      if (a.kind == ssif::access::block_read && ++reads == 1) r = {ssif::transfer_status::ack, stale};
      h.complete(b.now += 1ms, r);
    }
    CHECK(h.outcome() == si::outcome::done);
    CHECK(bytes(h.response().begin(), h.response().end()) == hex("1C 3A 00"));
    CHECK(h.stats().responses_dropped == 1);
    CHECK(h.problem() == ssif::problem::not_ours);  // what went wrong on the way
  }

  TEST_CASE("ssif host: a multi-part read with a block out of sequence starts over with 03h") {
    bus b;
    b.answer = [](std::span<const std::uint8_t> req) { return answer_of_length(req, 80, 0x33); };
    ssif::host::config cfg;
    cfg.query_capabilities = false;
    ssif::host h(cfg);
    REQUIRE(h.start(hex("18 3A"), b.now) == si::host_error::ok);
    bool broken = false;
    std::array<std::uint8_t, 32> wrong{};
    wrong[0] = 0x05;  // block 5 where 0 was due
    for (int i = 0; i < 1000 && h.outcome() == si::outcome::busy; ++i) {
      const auto a = h.next();
      if (a.repeat) b.idle();
      ssif::transfer_result r = perform(b, a);
      if (a.kind == ssif::access::block_read && a.command == smbus_command::read_next && !broken) {
        broken = true;
        r = {ssif::transfer_status::ack, wrong};
      }
      h.complete(b.now += 1ms, r);
    }
    CHECK(h.outcome() == si::outcome::done);
    CHECK(h.response().size() == 80);
    CHECK(h.problem() == ssif::problem::bad_multipart);
    CHECK(h.stats().responses_dropped == 1);
    CHECK(b.device.stats().reads >= 5);  // 03 09 (broken), 03 09 09
  }

  TEST_CASE("ssif host: with a PEC-capable device the host asks for PEC; a bad read PEC is read again") {
    bus b({.pec = true});
    ssif::host h;
    int corrupt = 1;
    b.fault = [&](const ssif::action& a) -> std::optional<ssif::transfer_status> {
      const bool probed = !h.probing();  // after the probe: PEC on every transfer
      if (a.kind != ssif::access::wait) CHECK(a.pec == probed);
      if (a.kind == ssif::access::block_read && probed && corrupt-- > 0) return ssif::transfer_status::pec_error;
      return std::nullopt;
    };
    CHECK(transact(h, b, hex("18 01")) == si::outcome::done);
    REQUIRE(h.capabilities_in_use());
    CHECK(h.capabilities_in_use()->pec);
    CHECK(h.stats().pec_errors == 1);
    CHECK(h.problem() == ssif::problem::pec_error);
    CHECK(b.device.stats().pec_errors == 0);  // the host's writes carried a correct PEC

    ssif::host::config no_pec;
    no_pec.use_pec = false;
    bus b2({.pec = true});
    ssif::host h2(no_pec);
    REQUIRE(h2.start(hex("18 01"), b2.now) == si::host_error::ok);
    for (int i = 0; i < 1000 && h2.outcome() == si::outcome::busy; ++i) {
      CHECK_FALSE(h2.next().pec);
      if (h2.next().repeat) b2.idle();
      h2.complete(b2.now += 1ms, perform(b2, h2.next()));
    }
    CHECK(h2.outcome() == si::outcome::done);
  }

  TEST_CASE("ssif host: capabilities answered with an error: Linux's defaults (single-part, 32 bytes)") {
    bus b({.answer_capabilities = false});
    b.answer = [](std::span<const std::uint8_t> req) { return bytes{static_cast<std::uint8_t>(req[0] | 0x04), req[1], 0xC1}; };
    ssif::host h;
    bytes longer(40, 0x11);
    longer[0] = 0x18;
    CHECK(transact(h, b, longer) == si::outcome::failed);  // 40 bytes: more than single-part carries
    CHECK(h.problem() == ssif::problem::request_too_long);
    REQUIRE(h.capabilities_in_use());
    CHECK(h.capabilities_in_use()->transactions == cmd::ssif_transaction_support::single_part);
    CHECK(h.capabilities_in_use()->max_request == 32);
    CHECK(h.start(longer, b.now) == si::host_error::request_too_long);  // now refused at once
    CHECK(transact(h, b, hex("18 01")) == si::outcome::done);
  }

  TEST_CASE("ssif host: apply() clamps as Linux does") {
    ssif::host h;
    h.apply({.ssif = true, .transaction_support = cmd::ssif_transaction_support::start_end, .pec_supported = false,
             .max_input_size = 200, .max_output_size = 200});
    CHECK(h.capabilities_in_use()->max_request == 64);
    CHECK(h.capabilities_in_use()->max_response == 61);
    h.apply({.ssif = true, .transaction_support = cmd::ssif_transaction_support::single_part, .pec_supported = true,
             .max_input_size = 200, .max_output_size = 200});
    CHECK(h.capabilities_in_use()->max_request == 32);
    CHECK(h.capabilities_in_use()->pec);
    h.apply({.ssif = true, .transaction_support = cmd::ssif_transaction_support::start_middle_end,
             .pec_supported = false, .max_input_size = 0, .max_output_size = 0});
    CHECK(h.capabilities_in_use()->max_request == 2);  // never below NetFn and Cmd
  }

  TEST_CASE("ssif host bad input: start() refuses short, long and busy requests and changes nothing") {
    ssif::host h;
    CHECK(h.start(hex("18"), {}) == si::host_error::request_too_short);
    CHECK(h.start(bytes(256, 0x18), {}) == si::host_error::request_too_long);
    CHECK(h.outcome() == si::outcome::idle);
    REQUIRE(h.start(hex("18 01"), {}) == si::host_error::ok);
    CHECK(h.start(hex("18 01"), {}) == si::host_error::busy);
    CHECK(h.stats().transactions == 1);
  }

  TEST_CASE("ssif host: cancel() ends at once; the device abandons the half-written request at the next start") {
    bus b;
    ssif::host::config cfg;
    cfg.query_capabilities = false;
    ssif::host h(cfg);
    REQUIRE(h.start(bytes(70, 0x18), b.now) == si::host_error::ok);
    h.complete(b.now, perform(b, h.next()));  // 06h written
    CHECK(b.device.writing());
    h.cancel(b.now);
    CHECK(h.outcome() == si::outcome::failed);
    CHECK(h.problem() == ssif::problem::cancelled);
    CHECK(h.next().kind == ssif::access::none);
    CHECK(transact(h, b, hex("18 01")) == si::outcome::done);
    CHECK(b.device.stats().writes_abandoned == 1);
  }

  TEST_CASE("ssif host: a response longer than the host's Capacity fails response_too_long") {
    bus b;
    b.answer = [](std::span<const std::uint8_t> req) { return answer_of_length(req, 100, 0x01); };
    ssif::basic_host<clk, 64>::config cfg;
    cfg.query_capabilities = false;
    ssif::basic_host<clk, 64> h(cfg);
    CHECK(transact(h, b, hex("18 3A")) == si::outcome::failed);
    CHECK(h.problem() == ssif::problem::response_too_long);
    CHECK(h.response().size() == 64);
  }

  // --- the chain: host ⇄ device ⇄ bridge ⇄ emulator session ⇄ wire ⇄ BMC session --------------

  TEST_CASE("ssif chain: a host that gives up never gets the late answer; the next request is answered") {
    test::chain<ssif::device> c;
    c.step = 1ms;
    int calls = 0;
    c.responder = [&](std::span<const std::uint8_t> req) {
      if (++calls == 1) return bytes{};  // the first request: no answer for now
      return bytes{static_cast<std::uint8_t>(req[0] | 0x04), req[1], 0x00, req[2]};
    };
    ssif::host::config cfg;
    cfg.max_read_retries = 3;
    ssif::host h(cfg);
    REQUIRE(h.start(hex("18 3A 01"), c.now) == si::host_error::ok);
    CHECK(si::drive(h, c, [&] { return c.tick(); }, 100000) == si::outcome::failed);
    CHECK(h.problem() == ssif::problem::response_timeout);
    REQUIRE(h.start(hex("18 3A 02"), c.now) == si::host_error::ok);
    // The new request replaced the unanswered one in the device; the emulator still waits for
    // the first. Now the BMC answers the first, late, with a marker the host must never see.
    for (int i = 0; i < 100 && c.device.stats().requests < 2; ++i) h.complete(c.tick(), perform(c, h.next()));
    CHECK(c.device.stats().cancelled == 1);
    REQUIRE(c.bmc.awaiting_response(0));
    REQUIRE(c.bmc.respond(0, bytes{0x1C, 0x3A, 0x00, 0xEE}) == vm::session_error::ok);
    CHECK(si::drive(h, c, [&] { return c.tick(); }, 100000) == si::outcome::done);
    CHECK(bytes(h.response().begin(), h.response().end()) == bytes{0x1C, 0x3A, 0x00, 0x02});
    CHECK(c.device.stats().responses_refused == 1);
    CHECK(c.bridge.stats().dropped == 1);
  }

  TEST_CASE("ssif chain: the BMC's attention reaches the device (the host learns it from Get Message Flags)") {
    test::chain<ssif::device> c;
    c.responder = [&](std::span<const std::uint8_t> req) {
      // Get Message Flags (App 31h): bit 0 = receive message available, as the BMC's attention.
      return bytes{static_cast<std::uint8_t>(req[0] | 0x04), req[1], 0x00, 0x01};
    };
    REQUIRE(c.bmc.set_attention(true) == vm::session_error::ok);
    c.pump();
    CHECK(c.device.attention());
    ssif::host h;
    REQUIRE(h.start(hex("18 31"), c.now) == si::host_error::ok);
    CHECK(si::drive(h, c, [&] { return c.tick(); }, 100000) == si::outcome::done);
    CHECK(bytes(h.response().begin(), h.response().end()) == hex("1C 31 00 01"));
    REQUIRE(c.bmc.set_attention(false) == vm::session_error::ok);
    c.pump();
    CHECK_FALSE(c.device.attention());
  }
}
