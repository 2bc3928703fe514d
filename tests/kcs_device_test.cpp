// tests/kcs_device_test.cpp — kcs::device: the spec's write, read and abort phases register by
// register, and one named test per bad-input rule listed at the top of kcs/device.hpp.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <vector>

#include <ipmikit/kcs/device.hpp>

#include "si_interfaces.hpp"
#include "test_support.hpp"

namespace {

using namespace ipmikit;
using kcs::device_phase;
using kcs::error_code;
using kcs::event;
using kcs::state;
using test::bytes;

constexpr std::uint8_t idle = 0x00, read_st = 0x40, write_st = 0x80, error_st = 0xC0;
constexpr std::uint8_t obf = 0x01, ibf = 0x02, atn = 0x04, cd = 0x08;

// Writes a request the way the spec's host does (Figure 9-6), clearing OBF after each write;
// returns the event of the last byte (tests/si_interfaces.hpp, shared with the typed tests).
template <class Device>
event write_request(Device& d, std::span<const std::uint8_t> request) {
  return test::kcs_interface::write_request(d, request);
}

// Reads a response the way the spec's host does (Figure 9-7); returns the bytes, and checks the
// final dummy byte and IDLE.
template <class Device>
bytes read_response(Device& d) {
  bytes out;
  for (int guard = 0; guard < 400; ++guard) {
    const kcs::status s = d.read_status();
    REQUIRE(s.obf());
    const std::uint8_t b = d.read_data();
    if (s.state() == state::idle) {
      CHECK(b == kcs::dummy_byte);
      return out;
    }
    REQUIRE(s.state() == state::read);
    out.push_back(b);
    d.write_data(0x68);
  }
  FAIL("the read phase did not end");
  return out;
}

// Runs the GET_STATUS/ABORT sequence (Figure 9-8) and returns the status code.
template <class Device>
std::uint8_t abort_sequence(Device& d) {
  d.write_command(kcs::control_code::get_status_abort);
  CHECK(d.read_status().state() == state::write);
  (void)d.read_data();
  d.write_data(0x00);
  const kcs::status s = d.read_status();
  CHECK(s.state() == state::read);
  CHECK(s.obf());
  const std::uint8_t code = d.read_data();
  d.write_data(0x68);
  const kcs::status end = d.read_status();
  CHECK(end.state() == state::idle);
  CHECK(end.obf());
  CHECK(d.read_data() == kcs::dummy_byte);
  return code;
}

const bytes get_device_id = {0x18, 0x01};
// The Get Device ID response of qemu-live.md (product id byte A0).
const bytes device_id_response = {0x1C, 0x01, 0x00, 0x20, 0x81, 0x02, 0x17, 0x02, 0xBF,
                                  0x57, 0x01, 0x00, 0xA0, 0x00, 0x00, 0x00, 0x00, 0x00};

// A constexpr transaction: the device works at compile time.
constexpr bool constexpr_transaction() {
  kcs::device d;
  const std::array<std::uint8_t, 2> req{0x18, 0x01};
  const std::array<std::uint8_t, 3> rsp{0x1C, 0x01, 0x00};
  d.write_command(kcs::control_code::write_start);
  (void)d.read_data();
  d.write_data(req[0]);
  (void)d.read_data();
  d.write_command(kcs::control_code::write_end);
  (void)d.read_data();
  if (d.write_data(req[1]) != event::request_ready) return false;
  const auto r = d.pending_request();
  if (!r || r->bytes.size() != 2 || r->bytes[1] != 0x01) return false;
  if (d.respond(r->id, rsp) != kcs::device_error::ok) return false;
  std::array<std::uint8_t, 3> got{};
  for (auto& b : got) {
    b = d.read_data();
    d.write_data(0x68);
  }
  return got == rsp && d.read_status() == (idle | obf) && d.read_data() == 0;
}
static_assert(constexpr_transaction());

/// A deferred-service device after WRITE_START (serviced) and the first request byte, 18h, which
/// sits latched with IBF set because service() has not run since.
kcs::device deferred_with_first_byte_latched() {
  kcs::device d(kcs::device::config{.deferred = true});
  d.write_command(0x61);
  d.service();
  (void)d.read_data();
  d.write_data(0x18);
  return d;
}

}  // namespace

TEST_SUITE("kcs") {
  TEST_CASE("kcs::status: each accessor reads exactly its bits, and builds back") {
    for (unsigned v = 0; v < 256; ++v) {
      const kcs::status st(static_cast<std::uint8_t>(v));
      CAPTURE(v);
      CHECK(st.obf() == ((v & 0x01) != 0));
      CHECK(st.ibf() == ((v & 0x02) != 0));
      CHECK(st.sms_atn() == ((v & 0x04) != 0));
      CHECK(st.command_data() == ((v & 0x08) != 0));
      CHECK(st.oem() == ((v >> 4) & 3));
      CHECK(static_cast<unsigned>(st.state()) == v >> 6);
      CHECK(kcs::status(st.state(), static_cast<std::uint8_t>(v)) == v);  // state + flags = the byte
      CHECK(kcs::is_oem(static_cast<error_code>(v)) == (v >= 0x40 && v <= 0x7E));
    }
  }

  TEST_CASE("kcs::status names its bits and state") {
    constexpr kcs::status s(0xC5);
    static_assert(s.state() == state::error && s.obf() && s.sms_atn() && !s.ibf());
    static_assert(kcs::status(state::read, 0x03) == 0x43);
    static_assert(kcs::status(0x30).oem() == 3 && kcs::status(0x08).command_data());
    CHECK(kcs::name(state::write) == "write");
    CHECK(kcs::name(kcs::control_code::write_end) == "write_end");
    CHECK(kcs::name(static_cast<kcs::control_code>(0x63)).empty());
    CHECK(kcs::name(error_code::length_error) == "length_error");
    CHECK(kcs::is_oem(static_cast<error_code>(0x40)));
    CHECK_FALSE(kcs::is_oem(error_code::unspecified));
  }

  TEST_CASE("a device powers up idle with nothing to read") {
    kcs::device d;
    CHECK(d.read_status() == idle);
    CHECK(d.phase() == device_phase::idle);
    CHECK_FALSE(d.pending_request());
    CHECK_FALSE(d.irq());
  }

  TEST_CASE("write phase, read phase and the dummy-byte handshake register by register") {
    kcs::device d;
    // Figure 9-6: WRITE_START → WRITE state with a dummy byte; C/D shows the command write.
    CHECK(d.write_command(0x61) == event::none);
    CHECK(d.read_status() == (write_st | cd | obf));
    CHECK(d.read_data() == 0x00);
    CHECK(d.read_status() == (write_st | cd));
    CHECK(d.write_data(0x18) == event::none);
    CHECK(d.read_status() == (write_st | obf));  // C/D cleared by the data write
    (void)d.read_data();
    CHECK(d.write_command(0x62) == event::none);
    CHECK(d.read_status() == (write_st | cd | obf));
    (void)d.read_data();
    // The last byte: READ state, no OBF until the BMC answers.
    CHECK(d.write_data(0x01) == event::request_ready);
    CHECK(d.read_status() == read_st);
    const auto r = d.pending_request();
    REQUIRE(r);
    CHECK(bytes(r->bytes.begin(), r->bytes.end()) == get_device_id);
    CHECK(d.phase() == device_phase::wait_response);

    REQUIRE(d.respond(r->id, device_id_response) == kcs::device_error::ok);
    CHECK_FALSE(d.pending_request());
    CHECK(read_response(d) == device_id_response);
    CHECK(d.read_status() == idle);
    CHECK(d.phase() == device_phase::idle);
    CHECK(d.stats().requests == 1);
    CHECK(d.stats().responses == 1);
    CHECK(d.stats().errors == 0);
  }

  TEST_CASE("the read and write operations by register offset are the same operations") {
    kcs::device d;
    d.write(kcs::register_offset::status, 0x61);
    CHECK(d.read(kcs::register_offset::status) == (write_st | cd | obf));
    CHECK(d.read(kcs::register_offset::data) == 0x00);
    d.write(kcs::register_offset::data, 0x18);
    CHECK(d.peek_status() == (write_st | obf));
  }

  TEST_CASE("a one-byte request (WRITE_END right after WRITE_START) is delivered") {
    kcs::device d;
    CHECK(write_request(d, bytes{0x42}) == event::request_ready);
    REQUIRE(d.pending_request());
    CHECK(d.pending_request()->bytes.size() == 1);
  }

  TEST_CASE("requests of every length up to the capacity arrive intact") {
    for (std::size_t n = 2; n <= kcs::device::capacity; n += 27) {
      kcs::device d;
      bytes req(n);
      for (std::size_t i = 0; i < n; ++i) req[i] = static_cast<std::uint8_t>(i * 7 + 3);
      REQUIRE(write_request(d, req) == event::request_ready);
      const auto r = d.pending_request();
      REQUIRE(r);
      CHECK(bytes(r->bytes.begin(), r->bytes.end()) == req);
    }
  }

  TEST_CASE("GET_STATUS/ABORT: the abort sequence in every phase") {
    SUBCASE("idle: nothing was aborted, the status is no_error") {
      kcs::device d;
      CHECK(abort_sequence(d) == 0x00);
    }
    SUBCASE("after WRITE_START and mid-write: aborted_by_command") {
      kcs::device d;
      d.write_command(0x61);
      CHECK(abort_sequence(d) == 0x01);
      d.write_command(0x61);
      d.write_data(0x18);
      CHECK(abort_sequence(d) == 0x01);
      CHECK(d.stats().cancelled == 0);  // the BMC never had these requests
    }
    SUBCASE("after WRITE_END") {
      kcs::device d;
      d.write_command(0x61);
      d.write_data(0x18);
      d.write_command(0x62);
      CHECK(abort_sequence(d) == 0x01);
    }
    SUBCASE("while the BMC works: the request is cancelled and its response refused") {
      kcs::device d;
      write_request(d, get_device_id);
      const auto id = d.pending_request()->id;
      CHECK(d.write_command(0x60) == event::request_cancelled);
      CHECK_FALSE(d.pending_request());
      CHECK(d.respond(id, device_id_response) == kcs::device_error::no_request);
      (void)d.read_data();
      d.write_data(0x00);
      CHECK(d.read_data() == 0x01);
      d.write_data(0x68);
      CHECK(d.read_status() == (idle | obf));
      CHECK(d.stats().cancelled == 1);
    }
    SUBCASE("mid-read") {
      kcs::device d;
      write_request(d, get_device_id);
      d.respond(d.pending_request()->id, device_id_response);
      (void)d.read_data();
      d.write_data(0x68);
      (void)d.read_data();
      CHECK(d.write_command(0x60) == event::request_cancelled);
      (void)d.read_data();
      d.write_data(0x00);
      CHECK(d.read_status() == (read_st | obf));
      CHECK(d.read_data() == 0x01);
    }
    SUBCASE("in the error state: the error's own code is reported") {
      kcs::device d;
      d.write_command(0x63);
      CHECK(d.read_status().state() == state::error);
      CHECK(abort_sequence(d) == 0x02);
      CHECK(d.last_error() == error_code::no_error);  // reported, then cleared
    }
    SUBCASE("twice while idle: still nothing was aborted") {
      kcs::device d;
      d.write_command(0x60);
      (void)d.read_data();
      CHECK(abort_sequence(d) == 0x00);
    }
    SUBCASE("during an abort sequence: it starts over") {
      kcs::device d;
      d.write_command(0x61);
      d.write_command(0x60);
      d.write_data(0x00);
      CHECK(abort_sequence(d) == 0x01);
      CHECK(d.phase() == device_phase::idle);
    }
  }

  TEST_CASE("WRITE_START in any phase abandons what was in progress") {
    kcs::device d;
    write_request(d, get_device_id);
    const auto old_id = d.pending_request()->id;
    CHECK(d.write_command(0x61) == event::request_cancelled);
    CHECK(d.read_status() == (write_st | cd | obf));
    (void)d.read_data();
    d.write_data(0x18);
    (void)d.read_data();
    d.write_command(0x62);
    (void)d.read_data();
    CHECK(d.write_data(0x02) == event::request_ready);
    CHECK(d.respond(old_id, device_id_response) == kcs::device_error::stale_request);
    CHECK(d.pending_request()->bytes[1] == 0x02);

    CHECK(d.write_command(0x63) == event::request_cancelled);  // an error cancels…
    CHECK(d.write_command(0x61) == event::none);                // …then a fresh start
    CHECK(d.last_error() == error_code::no_error);
    CHECK(d.phase() == device_phase::write);
  }

  TEST_CASE("WRITE_END outside the write phase is an illegal control code") {
    for (int where = 0; where < 3; ++where) {
      kcs::device d;
      if (where == 1) {
        d.write_command(0x61);
        d.write_command(0x62);  // legal: WRITE_END right after WRITE_START
      }
      if (where == 2) write_request(d, get_device_id);
      const event e = d.write_command(0x62);
      CHECK(e == (where == 2 ? event::request_cancelled : event::none));
      CHECK(d.read_status() == (error_st | cd | obf));
      CHECK(d.last_error() == error_code::illegal_control_code);
      (void)d.read_data();
      CHECK(abort_sequence(d) == 0x02);
    }
  }

  TEST_CASE("unknown control codes, and READ written to Command, are illegal") {
    for (int code_int : {0x00, 0x5F, 0x63, 0x67, 0x68, 0x69, 0xFF}) {
      const auto code = static_cast<std::uint8_t>(code_int);
      CAPTURE(code);
      kcs::device d;
      d.write_command(0x61);
      d.write_data(0x18);
      d.write_command(code);
      CHECK(d.read_status().state() == state::error);
      CHECK(d.last_error() == error_code::illegal_control_code);
      CHECK(abort_sequence(d) == 0x02);
      CHECK(d.phase() == device_phase::idle);
    }
  }

  TEST_CASE("a data byte in the read phase that is not READ is an illegal control code") {
    kcs::device d;
    write_request(d, get_device_id);
    d.respond(d.pending_request()->id, device_id_response);
    (void)d.read_data();
    CHECK(d.write_data(0x69) == event::request_cancelled);
    CHECK(d.read_status().state() == state::error);
    CHECK(abort_sequence(d) == 0x02);
  }

  TEST_CASE("data written while idle, while the BMC works or in error is an unspecified error") {
    SUBCASE("idle") {
      kcs::device d;
      d.write_data(0x18);
      CHECK(d.read_status().state() == state::error);
      CHECK(abort_sequence(d) == 0xFF);
    }
    SUBCASE("while the BMC works") {
      kcs::device d;
      write_request(d, get_device_id);
      CHECK(d.write_data(0x68) == event::request_cancelled);
      CHECK(d.last_error() == error_code::unspecified);
    }
    SUBCASE("in error: the first error's code is kept") {
      kcs::device d;
      d.write_command(0x63);
      d.write_data(0x00);
      CHECK(d.last_error() == error_code::illegal_control_code);
      CHECK(d.stats().errors == 2);
    }
  }

  TEST_CASE("a request longer than the device's capacity is a length error at the byte that does not fit") {
    kcs::basic_device<8> d;
    d.write_command(0x61);
    for (int i = 0; i < 8; ++i) {
      d.write_data(static_cast<std::uint8_t>(i));
      CHECK(d.read_status().state() == state::write);
      (void)d.read_data();
    }
    d.write_data(8);  // the ninth byte
    CHECK(d.read_status().state() == state::error);
    CHECK(d.last_error() == error_code::length_error);
    CHECK(abort_sequence(d) == 0x06);
    // Also when the byte that does not fit is the last one.
    d.write_command(0x61);
    for (int i = 0; i < 8; ++i) d.write_data(0);
    d.write_command(0x62);
    CHECK(d.write_data(0) == event::none);
    CHECK(d.last_error() == error_code::length_error);
    // And the device goes on working.
    CHECK(abort_sequence(d) == 0x06);
    CHECK(write_request(d, get_device_id) == event::request_ready);
  }

  TEST_CASE("the abort sequence accepts any byte in step 2 and as the final READ") {
    kcs::device d;
    d.write_command(0x61);
    d.write_command(0x60);
    d.write_data(0x5A);  // not 0x00
    CHECK(d.read_status() == (read_st | obf));
    CHECK(d.read_data() == 0x01);
    d.write_data(0x00);  // not READ
    CHECK(d.read_status() == (idle | obf));
  }

  TEST_CASE("respond() refuses bad calls and changes nothing") {
    kcs::basic_device<16> d;
    CHECK(d.respond(0, device_id_response) == kcs::device_error::no_request);
    write_request(d, get_device_id);
    const auto id = d.pending_request()->id;
    CHECK(d.respond(id + 1, bytes{0x1C, 0x01, 0x00}) == kcs::device_error::stale_request);
    CHECK(d.respond(id, bytes{0x1C, 0x01}) == kcs::device_error::response_too_short);
    CHECK(d.respond(id, bytes(17, 0x00)) == kcs::device_error::response_too_long);
    CHECK(d.stats().responses_refused == 4);
    CHECK(d.read_status() == read_st);
    REQUIRE(d.pending_request());
    CHECK(d.respond(id, bytes(16, 0x07)) == kcs::device_error::ok);
    CHECK(read_response(d) == bytes(16, 0x07));
    CHECK(d.respond(id, bytes{0x1C, 0x01, 0x00}) == kcs::device_error::no_request);
  }

  TEST_CASE("the host reading Data_Out with OBF clear gets the stale byte and it is counted") {
    kcs::device d;
    d.write_command(0x61);
    CHECK(d.read_data() == 0x00);
    CHECK(d.read_data() == 0x00);
    CHECK(d.stats().stray_data_reads == 1);
    CHECK(d.read_status() == (write_st | cd));
  }

  TEST_CASE("deferred service: IBF and C/D stay visible until the BMC services the write") {
    kcs::device d(kcs::device::config{.deferred = true});
    CHECK(d.write_command(0x61) == event::none);
    CHECK(d.read_status() == (idle | ibf | cd));
    CHECK(d.service() == event::none);
    CHECK(d.read_status() == (write_st | cd | obf));
    CHECK(d.service() == event::none);  // nothing latched
    (void)d.read_data();
    d.write_data(0x18);
    CHECK(d.peek_status() == (write_st | ibf));
    d.service();
    (void)d.read_data();
    d.write_command(0x62);
    d.service();
    (void)d.read_data();
    d.write_data(0x01);
    CHECK(d.peek_status().ibf());
    CHECK(d.service() == event::request_ready);
    CHECK(d.read_status() == read_st);
  }

  TEST_CASE("deferred service: a host write while IBF is set damages the transfer and says so") {
    kcs::device d = deferred_with_first_byte_latched();
    d.write_data(0x01);  // IBF still set: dropped
    CHECK(d.stats().overruns == 1);
    CHECK(d.service() == event::none);
    CHECK(d.read_status().state() == state::error);
    CHECK(d.last_error() == error_code::unspecified);
  }

  TEST_CASE("deferred service: GET_STATUS/ABORT while IBF is set replaces the latched write") {
    kcs::device d = deferred_with_first_byte_latched();
    d.write_data(0x99);  // overrun…
    d.write_command(0x60);  // …but the abort wins
    CHECK(d.stats().overruns == 2);
    d.service();
    CHECK(d.read_status() == (write_st | cd | obf));
    CHECK(d.phase() == device_phase::abort_status);
    (void)d.read_data();
    d.write_data(0x00);
    d.service();
    CHECK(d.read_data() == 0x01);
  }

  TEST_CASE("attention sets SMS_ATN and raises the interrupt until the status is read") {
    kcs::device d;
    d.set_attention(true);
    CHECK(d.peek_status() == atn);
    CHECK_FALSE(d.irq());  // interrupts disabled
    d.set_attention(false);
    d.set_interrupts_enabled(true);
    d.set_attention(true);
    CHECK(d.irq());
    CHECK(d.read_status() == atn);
    CHECK_FALSE(d.irq());  // acknowledged by the status read; the bit stays
    CHECK(d.attention());
    d.set_attention(false);
    CHECK(d.read_status() == idle);
    d.set_attention(true, false);  // QEMU's ATTN: the bit without the interrupt
    CHECK(d.peek_status() == atn);
    CHECK_FALSE(d.irq());
  }

  TEST_CASE("the interrupt follows OBF while enabled") {
    kcs::device d;
    d.set_interrupts_enabled(true);
    d.write_command(0x61);
    CHECK(d.irq());
    (void)d.read_data();
    CHECK_FALSE(d.irq());
    d.set_interrupts_enabled(false);
    d.write_data(0x18);
    CHECK_FALSE(d.irq());
  }

  TEST_CASE("OEM bits are the BMC's and show in the status") {
    kcs::device d;
    d.set_oem_bits(3);
    CHECK(d.read_status() == 0x30);
    d.set_oem_bits(1);
    CHECK(d.read_status().oem() == 1);
  }

  TEST_CASE("force_abort and reset") {
    kcs::device d;
    write_request(d, get_device_id);
    CHECK(d.force_abort(error_code::length_error) == event::request_cancelled);
    CHECK(d.read_status().state() == state::error);
    CHECK(abort_sequence(d) == 0x06);
    write_request(d, get_device_id);
    const auto id = d.pending_request()->id;
    d.set_attention(true);
    CHECK(d.reset() == event::request_cancelled);
    CHECK(d.read_status() == idle);
    CHECK(d.stats().cancelled == 2);
    write_request(d, get_device_id);
    CHECK(d.pending_request()->id != id);  // ids keep counting across reset
  }
}
