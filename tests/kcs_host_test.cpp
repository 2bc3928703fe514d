// tests/kcs_host_test.cpp — kcs::host: the spec flow access by access, error recovery (abort
// sequence, retries, hosed, reset), timeouts on an explicit clock, and devices that are not
// the spec (IBF held while the BMC works, no final dummy byte, no device at all). The device
// on the other side is kcs::device, with a scripted BMC; time moves only by hand.
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <ipmikit/kcs/device.hpp>
#include <ipmikit/kcs/host.hpp>

#include "scripted_bmc.hpp"
#include "test_support.hpp"

namespace {

using namespace ipmikit;
using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;
using kcs::access;
using kcs::outcome;
using kcs::problem;
using test::bytes;
using test::response_of;
using test::run;
using test::transact;

const bytes get_device_id = {0x18, 0x01};
const bytes device_id_response = {0x1C, 0x01, 0x00, 0x20, 0x81, 0x02, 0x17, 0x02, 0xBF,
                                  0x57, 0x01, 0x00, 0xA0, 0x00, 0x00, 0x00, 0x00, 0x00};

// A kcs::device with a scripted BMC, the clock, and a trace of every access.
template <std::size_t Capacity = kcs::default_capacity>
struct test_bus : test::scripted_bmc<kcs::basic_device<Capacity>> {
  using base = test::scripted_bmc<kcs::basic_device<Capacity>>;
  using base::device;
  using base::maybe_answer;
  using base::note;
  using base::polls;

  // BMC behaviour beyond the scripted answers.
  bool hide_final_dummy = false;  // a BMC that never writes the last dummy byte
  bool stuck_ibf = false;         // a device whose status always shows IBF
  int slow_obf_polls = 0;         // status reads after each READ that show no byte yet (-1: always)
  int obf_hidden_left = 0;

  explicit test_bus(typename kcs::basic_device<Capacity>::config cfg = {}) : base(cfg) {}

  std::uint8_t read_status() {
    kcs::status s = device.read_status();
    if (hide_final_dummy && s.state() == kcs::state::idle && s.obf() && last_was_read_ack) {
      (void)device.read_data();
      s = device.read_status();
    }
    if (stuck_ibf) s = static_cast<std::uint8_t>(s | kcs::status_bit::ibf);
    if (obf_hidden_left != 0 && s.state() == kcs::state::read && s.obf()) {
      s = static_cast<std::uint8_t>(s & ~kcs::status_bit::obf);  // the BMC has not written it yet
      if (obf_hidden_left > 0) --obf_hidden_left;
    }
    note("rs=", s.value);
    return s;
  }
  std::uint8_t read_data() {
    const std::uint8_t v = device.read_data();
    note("rd=", v);
    return v;
  }
  void write_command(std::uint8_t v) {
    note("wc ", v);
    last_was_read_ack = false;
    obf_hidden_left = 0;
    device.write_command(v);
  }
  void write_data(std::uint8_t v) {
    note("wd ", v);
    last_was_read_ack = v == 0x68;
    obf_hidden_left = last_was_read_ack ? slow_obf_polls : 0;
    if (device.write_data(v) == kcs::event::request_ready) {
      polls = 0;
      maybe_answer();
    }
  }
  // The host is polling: the BMC works.
  void idle() {
    ++polls;
    device.service();
    maybe_answer();
  }
  bool last_was_read_ack = false;
};

// The machine runs in constant evaluation: a whole transaction over kcs::device with a BMC that
// answers at once, the error exit included (someone left a write half done: WRITE at start).
constexpr bool constexpr_transaction() {
  struct answering_bus {
    kcs::device device;
    constexpr std::uint8_t read_status() { return device.read_status(); }
    constexpr std::uint8_t read_data() { return device.read_data(); }
    constexpr void write_command(std::uint8_t v) { device.write_command(v); }
    constexpr void write_data(std::uint8_t v) {
      if (device.write_data(v) == kcs::event::request_ready) test::answer_at_once(device);
    }
  } bus;
  bus.device.write_command(kcs::control_code::write_start);
  bus.device.write_data(0x18);
  kcs::host h;
  return test::get_device_id_answered(h, bus) && h.attempts() == 2 && h.problem() == problem::unexpected_state &&
         h.stats().aborts == 1;
}
static_assert(constexpr_transaction());

}  // namespace

TEST_SUITE("kcs") {
  TEST_CASE("host: Get Device ID follows the spec flow access by access") {
    test_bus bus;
    kcs::host h;
    CHECK(h.outcome() == outcome::idle);
    CHECK(h.next().kind == access::none);
    bus.answer = [](auto) { return bytes{0x1C, 0x01, 0x00, 0x20}; };
    CHECK(transact(h, bus, get_device_id) == outcome::done);
    CHECK(response_of(h) == bytes{0x1C, 0x01, 0x00, 0x20});
    // Figure 9-6 then 9-7; OBF is cleared before every write; the dummy byte ends the read.
    CHECK(bus.joined() ==
          "rs=00 wc 61 rs=89 rd=00 wd 18 rs=81 rd=00 wc 62 rs=89 rd=00 wd 01 "
          "rs=41 rd=1C wd 68 rs=41 rd=01 wd 68 rs=41 rd=00 wd 68 rs=41 rd=20 wd 68 rs=01 rd=00");
    CHECK(h.problem() == problem::none);
    CHECK(h.attempts() == 1);
    CHECK(h.stats().accesses == bus.trace.size());
    CHECK(h.next().kind == access::none);
    // A second transaction on the same machine.
    bus.answer = test_bus<>{}.answer;
    CHECK(transact(h, bus, bytes{0x18, 0x04}) == outcome::done);
    CHECK(h.response()[1] == 0x04);
    CHECK(h.stats().done == 2);
  }

  TEST_CASE("host: requests of every length, responses up to the capacity") {
    for (std::size_t n = 2; n <= kcs::default_capacity - 1; n += 45) {
      test_bus bus;
      kcs::host h;
      bytes req(n);
      for (std::size_t i = 0; i < n; ++i) req[i] = static_cast<std::uint8_t>(i ^ 0x5A);
      req[0] = 0x18;
      CHECK(transact(h, bus, req) == outcome::done);
      CHECK(h.response().size() == n + 1);
      CHECK(std::equal(req.begin() + 2, req.end(), h.response().begin() + 3));
    }
  }

  TEST_CASE("host: start() refuses bad requests and a second start, and changes nothing") {
    test_bus bus;
    kcs::basic_host<clk, 8> h;
    CHECK(h.start(bytes{0x18}, bus.now) == kcs::host_error::request_too_short);
    CHECK(h.start(bytes(9, 0x18), bus.now) == kcs::host_error::request_too_long);
    CHECK(h.outcome() == outcome::idle);
    CHECK(h.start(get_device_id, bus.now) == kcs::host_error::ok);
    CHECK(h.start(get_device_id, bus.now) == kcs::host_error::busy);
    CHECK(run(h, bus) == outcome::done);
    CHECK(h.stats().transactions == 1);
    CHECK(kcs::name(kcs::host_error::busy) == "busy");
  }

  TEST_CASE("host: the BMC takes a while; the host polls with repeat set and waits") {
    test_bus bus;
    bus.answer_after_polls = 50;
    kcs::host h;
    CHECK(transact(h, bus, get_device_id) == outcome::done);
    CHECK(h.stats().polls >= 50);
    CHECK(h.stats().aborts == 0);
  }

  TEST_CASE("host: a device in WRITE state at start is brought back by the abort sequence") {
    test_bus bus;
    bus.device.write_command(0x61);  // someone left a write half done
    bus.device.write_data(0x18);
    kcs::host h;
    CHECK(transact(h, bus, get_device_id) == outcome::done);
    CHECK(h.problem() == problem::unexpected_state);  // what the retry fixed
    CHECK(h.error_code() == kcs::error_code::aborted_by_command);
    CHECK(h.attempts() == 2);
    CHECK(h.stats().aborts == 1);
    CHECK(h.stats().retries == 1);
    CHECK(bus.joined().find("wc 60") != std::string::npos);
  }

  TEST_CASE("host: a BMC slow to put each response byte is waited for under obf_timeout") {
    test_bus bus;
    bus.slow_obf_polls = 3;  // each byte after the first appears on the fourth status read
    kcs::host::config cfg;
    cfg.obf_timeout = 10ms;  // 3 polls of 1 ms each fit
    kcs::host h(cfg);
    CHECK(transact(h, bus, get_device_id) == outcome::done);
    CHECK(h.problem() == problem::none);
    CHECK(h.attempts() == 1);
    CHECK(response_of(h) == bytes{0x1C, 0x01, 0x00});
    CHECK(h.stats().polls >= 3 * 2);  // the 2 bytes after the first, then the end
  }

  TEST_CASE("host: no response byte within obf_timeout → obf_timeout, not response_timeout") {
    test_bus bus;
    bus.slow_obf_polls = -1;  // after the first byte, the BMC never writes another
    kcs::host::config cfg;
    cfg.obf_timeout = 20ms;
    cfg.response_timeout = 1s;  // the first byte comes at once: this limit must not be the one
    cfg.max_retries = 1;
    kcs::host h(cfg);
    const auto start = bus.now;
    CHECK(transact(h, bus, get_device_id) == outcome::failed);
    CHECK(h.problem() == problem::obf_timeout);
    CHECK(h.attempts() == 2);
    CHECK(h.stats().aborts == 2);
    CHECK(bus.now - start < 200ms);  // two OBF waits and their aborts, nowhere near 1 s
    CHECK(bus.device.phase() == kcs::device_phase::idle);
    bus.slow_obf_polls = 0;  // and the machine is usable again
    CHECK(transact(h, bus, get_device_id) == outcome::done);
  }

  TEST_CASE("host: IBF that never clears → hosed; start refused until reset(); reset resyncs") {
    test_bus bus;
    bus.stuck_ibf = true;
    kcs::host::config cfg;
    cfg.ibf_timeout = 20ms;
    kcs::host h(cfg);
    CHECK(transact(h, bus, get_device_id) == outcome::hosed);
    CHECK(h.problem() == problem::ibf_timeout);
    CHECK(h.stats().hosed == 1);
    CHECK(h.stats().aborts == cfg.max_abort_attempts);
    CHECK(h.next().kind == access::none);
    CHECK(h.start(get_device_id, bus.now) == kcs::host_error::hosed);
    // Time bound: one IBF wait, then max_abort_attempts abort waits.
    CHECK(bus.now <= clk::time_point{} + (1 + cfg.max_abort_attempts) * (cfg.ibf_timeout + 2ms));

    bus.stuck_ibf = false;
    h.reset();
    bus.trace.clear();
    CHECK(transact(h, bus, get_device_id) == outcome::done);
    CHECK(bus.trace.size() > 2);
    CHECK(bus.trace[1] == "wc 60");  // the resync abort comes first
  }

  TEST_CASE("host: max_polls bounds a wait without a clock") {
    test_bus bus;
    bus.step = 0ms;  // time stands still
    bus.answer_after_polls = -1;
    kcs::host::config cfg;
    cfg.max_polls = 10;
    cfg.max_retries = 0;
    kcs::host h(cfg);
    CHECK(transact(h, bus, get_device_id) == outcome::failed);
    CHECK(h.problem() == problem::response_timeout);
    CHECK(h.stats().accesses < 100);
  }

  TEST_CASE("host: the device's length error is reported, not retried") {
    test_bus<8> bus;
    kcs::host h;
    CHECK(transact(h, bus, bytes(12, 0x18)) == outcome::failed);
    CHECK(h.problem() == problem::device_error);
    CHECK(h.error_code() == kcs::error_code::length_error);
    CHECK(h.attempts() == 1);
    CHECK(bus.device.phase() == kcs::device_phase::idle);
  }

  TEST_CASE("host: a length error left over from an earlier transfer is not this request's") {
    SUBCASE("the device is found in ERROR with length_error") {
      test_bus bus;
      bus.device.force_abort(kcs::error_code::length_error);
      kcs::host h;
      CHECK(transact(h, bus, get_device_id) == outcome::done);
      CHECK(h.error_code() == kcs::error_code::length_error);  // read by the abort, then retried
      CHECK(h.attempts() == 2);
      CHECK(bus.device.stats().requests == 1);
    }
    SUBCASE("a resync after reset() reads it") {
      test_bus bus;
      kcs::host h;
      REQUIRE(h.start(get_device_id, bus.now) == kcs::host_error::ok);
      CHECK(run(h, bus, 3) == outcome::busy);
      h.reset();
      bus.device.force_abort(kcs::error_code::length_error);
      CHECK(transact(h, bus, get_device_id) == outcome::done);
      CHECK(bus.device.stats().requests == 1);
    }
  }

  TEST_CASE("host: a response longer than the host's capacity is cut off by an abort") {
    test_bus bus;
    bus.answer = [](auto) { return bytes(40, 0x11); };
    kcs::basic_host<clk, 16> h;
    CHECK(transact(h, bus, get_device_id) == outcome::failed);
    CHECK(h.problem() == problem::response_too_long);
    CHECK(h.response().size() == 16);
    CHECK(h.attempts() == 1);
    CHECK(bus.device.phase() == kcs::device_phase::idle);
    CHECK(bus.device.stats().cancelled == 1);
  }

  TEST_CASE("host: a response shorter than netfn, cmd and completion code") {
    // kcs::device refuses such responses, so the short read phase is scripted by hand.
    struct scripted {
      int n = 0;
      std::uint8_t status = 0x00;
      std::uint8_t read_status() { return status; }
      std::uint8_t read_data() {
        if (status == 0x41) {
          status = 0x01;  // one response byte, then IDLE with the dummy
          return 0x1C;
        }
        status = static_cast<std::uint8_t>(status & ~0x01);
        return 0x00;
      }
      void write_command(std::uint8_t) { status = 0x81; }
      void write_data(std::uint8_t v) {
        if (++n == 2) status = 0x41;  // the last request byte
        (void)v;
      }
    } bus;
    kcs::host h;
    REQUIRE(h.start(get_device_id, clk::time_point{}) == kcs::host_error::ok);
    clk::time_point t{};
    CHECK(kcs::drive(h, bus, [&] { return t += 1ms; }, 1000) == outcome::failed);
    CHECK(h.problem() == problem::response_too_short);
  }

  TEST_CASE("host: a BMC that never writes the final dummy byte (why Linux does not wait for it)") {
    test_bus bus;
    bus.hide_final_dummy = true;
    kcs::host h;
    CHECK(transact(h, bus, get_device_id) == outcome::done);
    CHECK(response_of(h) == bytes{0x1C, 0x01, 0x00});
    CHECK(h.stats().aborts == 0);
  }

  TEST_CASE("host: a late dummy byte is cleared at the next start") {
    test_bus bus;
    kcs::host h;
    CHECK(transact(h, bus, get_device_id) == outcome::done);
    bus.device.write_command(0x61);  // leave OBF set with the device idle again:
    bus.device.write_command(0x60);  // an abort sequence run by someone else…
    bus.device.write_data(0x00);
    bus.device.write_data(0x68);  // …ends IDLE with OBF set
    REQUIRE(bus.device.peek_status() == 0x01);
    bus.trace.clear();
    CHECK(transact(h, bus, get_device_id) == outcome::done);
    CHECK(bus.trace[0] == "rs=01");
    CHECK(bus.trace[1] == "rd=00");
    CHECK(bus.trace[2] == "wc 61");
  }

  TEST_CASE("host: a device that holds IBF while its BMC works (QEMU) is waited for") {
    test_bus bus(kcs::device::config{.deferred = true});
    bus.answer_after_polls = 30;
    // The deferred device services writes only in idle(), i.e. when the host polls.
    kcs::host h;
    CHECK(transact(h, bus, get_device_id) == outcome::done);
    CHECK(response_of(h) == bytes{0x1C, 0x01, 0x00});
    CHECK(bus.device.stats().overruns == 0);  // the host never wrote while IBF was set
  }

  TEST_CASE("host: cancel() aborts the transfer and leaves the interface idle") {
    test_bus bus;
    bus.answer_after_polls = -1;
    kcs::host h;
    REQUIRE(h.start(get_device_id, bus.now) == kcs::host_error::ok);
    CHECK(run(h, bus, 8) == outcome::busy);  // mid-write
    h.cancel(bus.now);
    CHECK(run(h, bus) == outcome::failed);
    CHECK(h.problem() == problem::cancelled);
    CHECK(bus.device.phase() == kcs::device_phase::idle);
    bus.answer_after_polls = 0;
    CHECK(transact(h, bus, get_device_id) == outcome::done);
    CHECK(h.problem() == problem::none);
  }

  TEST_CASE("host: next_deadline() is the current wait's limit") {
    test_bus bus;
    bus.answer_after_polls = -1;
    kcs::host::config cfg;
    cfg.response_timeout = 3s;
    kcs::host h(cfg);
    CHECK_FALSE(h.next_deadline());
    REQUIRE(h.start(get_device_id, bus.now) == kcs::host_error::ok);
    CHECK(h.next_deadline() == bus.now + cfg.ibf_timeout);
    // Run the write phase to the response wait.
    for (int i = 0; i < 100 && !(h.next().kind == access::read_status && h.next().repeat); ++i) {
      const auto v = kcs::perform(bus, h.next());
      h.complete(bus.now, v);
    }
    CHECK(h.next_deadline() == bus.now + 3s);
  }

  TEST_CASE("host: a transaction with the error exit runs in constant evaluation (and at run time)") {
    CHECK(constexpr_transaction());
  }

  TEST_CASE("host: names") {
    CHECK(kcs::name(access::write_data) == "write_data");
    CHECK(kcs::name(outcome::hosed) == "hosed");
    CHECK(kcs::name(problem::response_timeout) == "response_timeout");
    CHECK(kcs::name(problem::cancelled) == "cancelled");
  }
}
