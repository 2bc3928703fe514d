// tests/bt_device_test.cpp — bt::device: the spec's request and response handshakes register by
// register, and one named test per bad-input rule listed at the top of bt/device.hpp.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <vector>

#include <ipmikit/bt/device.hpp>

#include "test_support.hpp"

namespace {

using namespace ipmikit;
using bt::event;
using test::bytes;
namespace cb = bt::control_bit;

// Writes Length, NetFn/LUN, Seq, Cmd, Data… after CLR_WR_PTR and sets H2B_ATN.
template <class Device>
event send(Device& d, std::uint8_t seq, const bytes& body, int length_delta = 0) {
  d.write_control(cb::clr_wr_ptr);
  d.write_buffer(static_cast<std::uint8_t>(static_cast<int>(body.size()) + 1 + length_delta));
  d.write_buffer(body[0]);
  d.write_buffer(seq);
  for (std::size_t i = 1; i < body.size(); ++i) d.write_buffer(body[i]);
  return d.write_control(cb::h2b_atn);
}

// The host's read of a response (H_BUSY, clear B2H_ATN, CLR_RD_PTR, Length + bytes, H_BUSY).
template <class Device>
bytes receive(Device& d) {
  REQUIRE(d.read_control().b2h_atn());
  d.write_control(cb::h_busy);
  d.write_control(cb::b2h_atn);
  d.write_control(cb::clr_rd_ptr);
  bytes out{d.read_buffer()};
  for (std::uint8_t i = 0; i < out[0]; ++i) out.push_back(d.read_buffer());
  d.write_control(cb::h_busy);
  return out;
}

const bytes get_device_id = {0x18, 0x01};

constexpr bool constexpr_transaction() {
  bt::device d;
  d.write_control(cb::clr_wr_ptr);
  for (std::uint8_t b : std::array<std::uint8_t, 4>{0x03, 0x18, 0x07, 0x01}) d.write_buffer(b);
  if (d.write_control(cb::h2b_atn) != event::request_ready) return false;
  const auto r = d.pending_request();
  if (!r || r->seq != 0x07 || r->bytes.size() != 2) return false;
  const std::array<std::uint8_t, 3> rsp{0x1C, 0x01, 0x00};
  if (d.respond(r->id, rsp) != bt::device_error::ok) return false;
  if (d.read_control() != cb::b2h_atn) return false;
  d.write_control(cb::h_busy | cb::b2h_atn | cb::clr_rd_ptr);
  const std::array<std::uint8_t, 5> want{0x04, 0x1C, 0x07, 0x01, 0x00};
  for (std::uint8_t w : want)
    if (d.read_buffer() != w) return false;
  d.write_control(cb::h_busy);
  return d.read_control() == 0;
}
static_assert(constexpr_transaction());

}  // namespace

TEST_SUITE("bt") {
  TEST_CASE("bt::control: each accessor reads exactly its bit; every bit has its name") {
    for (unsigned v = 0; v < 256; ++v) {
      const bt::control c(static_cast<std::uint8_t>(v));
      CAPTURE(v);
      CHECK(c.h2b_atn() == ((v & cb::h2b_atn) != 0));
      CHECK(c.b2h_atn() == ((v & cb::b2h_atn) != 0));
      CHECK(c.sms_atn() == ((v & cb::sms_atn) != 0));
      CHECK(c.oem0() == ((v & cb::oem0) != 0));
      CHECK(c.h_busy() == ((v & cb::h_busy) != 0));
      CHECK(c.b_busy() == ((v & cb::b_busy) != 0));
      CHECK(static_cast<std::uint8_t>(c) == v);
      const bool one_bit = v != 0 && (v & (v - 1)) == 0;
      CHECK(bt::control_bit_name(static_cast<std::uint8_t>(v)).empty() == !one_bit);
    }
    CHECK(bt::control_bit_name(cb::clr_wr_ptr) == "clr_wr_ptr");
    CHECK(bt::control_bit_name(cb::clr_rd_ptr) == "clr_rd_ptr");
    CHECK(bt::control_bit_name(cb::b2h_atn) == "b2h_atn");
    CHECK(bt::control_bit_name(cb::sms_atn) == "sms_atn");
    CHECK(bt::control_bit_name(cb::oem0) == "oem0");
    CHECK(bt::control_bit_name(cb::h_busy) == "h_busy");
    CHECK(bt::control_bit_name(cb::b_busy) == "b_busy");
  }

  TEST_CASE("bt::control names its bits; capabilities parse") {
    constexpr bt::control c(0xC8);
    static_assert(c.b_busy() && c.h_busy() && c.b2h_atn() && !c.sms_atn());
    CHECK(bt::control_bit_name(cb::h2b_atn) == "h2b_atn");
    CHECK(bt::control_bit_name(0x03).empty());
    const bytes qemu_caps = {0x1C, 0x36, 0x00, 0x01, 0xFF, 0xFF, 0x0A, 0x00};
    const auto caps = bt::parse_capabilities(qemu_caps);
    REQUIRE(caps);
    CHECK(*caps == bt::interface_capabilities{1, 0xFF, 0xFF, 10, 0});
    CHECK_FALSE(bt::parse_capabilities(bytes{0x1C, 0x36, 0xC1}));
    CHECK_FALSE(bt::parse_capabilities(bytes{0x1C, 0x36, 0x00, 0x01, 0xFF}));
    CHECK_FALSE(bt::parse_capabilities(bytes{0x1C, 0x01, 0x00, 0x01, 0xFF, 0xFF, 0x0A, 0x00}));
  }

  TEST_CASE("a request and its response, register by register, with the Seq carried through") {
    bt::device d;
    CHECK(d.read_control() == 0x00);
    CHECK(send(d, 0x2A, get_device_id) == event::request_ready);
    CHECK(d.read_control() == 0x00);  // taken at once: H2B_ATN and B_BUSY clear again
    const auto r = d.pending_request();
    REQUIRE(r);
    CHECK(r->seq == 0x2A);
    CHECK(bytes(r->bytes.begin(), r->bytes.end()) == get_device_id);

    const bytes rsp = {0x1C, 0x01, 0x00, 0x20, 0x81};
    CHECK(d.respond(r->id, rsp) == bt::device_error::ok);
    CHECK_FALSE(d.pending_request());
    CHECK(d.read_control() == cb::b2h_atn);
    d.write_control(cb::h_busy);
    CHECK(d.read_control() == (cb::b2h_atn | cb::h_busy));
    d.write_control(cb::b2h_atn);
    CHECK(d.read_control() == cb::h_busy);
    d.write_control(cb::clr_rd_ptr);
    bytes got;
    for (int i = 0; i < 7; ++i) got.push_back(d.read_buffer());
    CHECK(got == test::hex("06 1C 2A 01 00 20 81"));
    d.write_control(cb::h_busy);  // toggles off
    CHECK(d.read_control() == 0x00);
    CHECK(d.stats().requests == 1);
    CHECK(d.stats().responses == 1);
  }

  TEST_CASE("requests of every length up to the capacity arrive intact") {
    for (std::size_t n = 2; n <= bt::device::max_body; n += 31) {
      bt::device d;
      bytes body(n);
      for (std::size_t i = 0; i < n; ++i) body[i] = static_cast<std::uint8_t>(i * 5 + 1);
      REQUIRE(send(d, 1, body) == event::request_ready);
      const auto r = d.pending_request();
      CHECK(bytes(r->bytes.begin(), r->bytes.end()) == body);
      bytes rsp(n + 1, 0x33);
      if (rsp.size() > bt::device::max_body) rsp.resize(bt::device::max_body);
      REQUIRE(d.respond(r->id, rsp) == bt::device_error::ok);
      const bytes got = receive(d);
      CHECK(got.size() == rsp.size() + 2);
    }
  }

  TEST_CASE("a Length byte that disagrees with the bytes written is rejected, and the device goes on") {
    for (int delta : {-2, -1, 1, 5}) {
      CAPTURE(delta);
      bt::device d;
      CHECK(send(d, 3, get_device_id, delta) == event::request_rejected);
      CHECK_FALSE(d.pending_request());
      CHECK(d.read_control() == 0x00);  // B_BUSY not left set (QEMU leaves it set)
      CHECK(d.stats().rejected == 1);
      CHECK(send(d, 4, get_device_id) == event::request_ready);
    }
  }

  TEST_CASE("a request shorter than Length, NetFn, Seq, Cmd is rejected; so is H2B_ATN on an empty buffer") {
    bt::device d;
    d.write_control(cb::clr_wr_ptr);
    d.write_buffer(0x02);
    d.write_buffer(0x18);
    d.write_buffer(0x01);
    CHECK(d.write_control(cb::h2b_atn) == event::request_rejected);
    d.write_control(cb::clr_wr_ptr);
    CHECK(d.write_control(cb::h2b_atn) == event::request_rejected);
    CHECK(d.stats().rejected == 2);
  }

  TEST_CASE("bytes past the capacity are dropped and counted; the request is rejected") {
    bt::basic_device<16> d;
    d.write_control(cb::clr_wr_ptr);
    for (int i = 0; i < 20; ++i) d.write_buffer(static_cast<std::uint8_t>(i == 0 ? 19 : i));
    CHECK(d.stats().overruns == 4);
    CHECK(d.written() == 17);
    CHECK(d.write_control(cb::h2b_atn) == event::request_rejected);
    CHECK(send(d, 1, get_device_id) == event::request_ready);
  }

  TEST_CASE("BMC2HOST read past the response's end gives 0xFF and is counted") {
    bt::device d;
    send(d, 1, get_device_id);
    d.respond(d.pending_request()->id, bytes{0x1C, 0x01, 0x00});
    d.write_control(cb::clr_rd_ptr);
    for (int i = 0; i < 5; ++i) (void)d.read_buffer();
    CHECK(d.read_buffer() == 0xFF);
    CHECK(d.stats().underruns == 1);
    // Without CLR_RD_PTR the pointer stays where the host left it.
    CHECK(d.read_buffer() == 0xFF);
    d.write_control(cb::clr_rd_ptr);
    CHECK(d.read_buffer() == 0x04);
  }

  TEST_CASE("deferred: H2B_ATN stays set until service(); buffer writes meanwhile are dropped") {
    bt::device d(bt::device::config{.deferred = true});
    CHECK(send(d, 9, get_device_id) == event::none);
    CHECK(d.read_control() == cb::h2b_atn);
    d.write_buffer(0x55);                 // dropped: the BMC owns the buffer
    d.write_control(cb::clr_wr_ptr);      // dropped too
    CHECK(d.stats().writes_while_busy == 2);
    CHECK(d.service() == event::request_ready);
    CHECK(d.read_control() == 0x00);
    CHECK(d.pending_request()->seq == 9);
    CHECK(bytes(d.pending_request()->bytes.begin(), d.pending_request()->bytes.end()) == get_device_id);
    CHECK(d.service() == event::none);
  }

  TEST_CASE("deferred: a request whose bytes were partly dropped is rejected; CLR_WR_PTR starts over") {
    bt::device d(bt::device::config{.deferred = true});
    send(d, 1, get_device_id);          // announced, not yet taken
    d.write_control(cb::clr_wr_ptr);    // a second request begins: dropped…
    d.write_buffer(0x03);
    d.write_buffer(0x18);               // …dropped
    CHECK(d.service() == event::request_ready);  // the announced one is intact
    CHECK(d.pending_request()->seq == 1);
    d.write_buffer(0x02);               // the rest lands after the old request's bytes
    d.write_buffer(0x01);
    CHECK(d.write_control(cb::h2b_atn) == event::none);
    CHECK(d.service() == event::request_rejected);  // never a request stitched from two
    CHECK(send(d, 3, get_device_id) == event::none);  // started over with CLR_WR_PTR
    CHECK(d.service() == event::request_replaced);    // seq 1 was never answered
    CHECK(d.pending_request()->seq == 3);
  }

  TEST_CASE("a new request replaces an unanswered one, reported as such; the old id is stale") {
    bt::device d;
    send(d, 1, get_device_id);
    const auto old_id = d.pending_request()->id;
    CHECK(send(d, 2, bytes{0x18, 0x04}) == event::request_replaced);
    CHECK(ipmikit::si::cancels_request(event::request_replaced));
    CHECK(ipmikit::si::has_new_request(event::request_replaced));
    CHECK(d.stats().cancelled == 1);
    CHECK(d.respond(old_id, bytes{0x1C, 0x01, 0x00}) == bt::device_error::stale_request);
    CHECK(d.pending_request()->seq == 2);
  }

  TEST_CASE("respond() refuses bad calls and changes nothing") {
    bt::basic_device<12> d;
    CHECK(d.respond(0, bytes{0x1C, 0x01, 0x00}) == bt::device_error::no_request);
    send(d, 1, get_device_id);
    const auto id = d.pending_request()->id;
    CHECK(d.respond(id + 7, bytes{0x1C, 0x01, 0x00}) == bt::device_error::stale_request);
    CHECK(d.respond(id, bytes{0x1C, 0x01}) == bt::device_error::response_too_short);
    CHECK(d.respond(id, bytes(11, 0)) == bt::device_error::response_too_long);
    CHECK(d.stats().responses_refused == 4);
    CHECK(d.read_control() == 0x00);
    CHECK(d.respond(id, bytes(10, 0x44)) == bt::device_error::ok);
    CHECK(receive(d).size() == 12);
  }

  TEST_CASE("a response while the host still reads the previous one is queued, then published") {
    bt::device d;
    send(d, 1, get_device_id);
    d.respond(d.pending_request()->id, bytes{0x1C, 0x01, 0x00, 0x11});
    d.write_control(cb::h_busy);  // the host starts reading the first response…
    send(d, 2, get_device_id);    // …and (allowed: B_BUSY clear) sends its next request
    d.respond(d.pending_request()->id, bytes{0x1C, 0x01, 0x00, 0x22});
    CHECK(d.response_queued());
    CHECK(d.stats().responses_queued == 1);
    d.write_control(cb::b2h_atn | cb::clr_rd_ptr);
    bytes first;
    for (int i = 0; i < 6; ++i) first.push_back(d.read_buffer());
    CHECK(first == test::hex("05 1C 01 01 00 11"));
    CHECK(d.response_queued());    // H_BUSY still set
    d.write_control(cb::h_busy);   // done reading: the second is published
    CHECK_FALSE(d.response_queued());
    CHECK(receive(d) == test::hex("05 1C 02 01 00 22"));
  }

  TEST_CASE("H_BUSY toggles; B_BUSY and OEM0 writes from the host are ignored") {
    bt::device d;
    d.write_control(cb::h_busy);
    CHECK(d.read_control() == cb::h_busy);
    d.write_control(cb::h_busy);
    CHECK(d.read_control() == 0x00);
    d.write_control(cb::b_busy | cb::oem0);
    CHECK(d.read_control() == 0x00);
    d.set_oem0(true);
    CHECK(d.read_control() == cb::oem0);
  }

  TEST_CASE("SMS_ATN: set by the BMC, cleared by the host") {
    bt::device d;
    d.set_attention(true);
    CHECK(d.read_control() == cb::sms_atn);
    d.write_control(cb::sms_atn);
    CHECK(d.read_control() == 0x00);
    CHECK_FALSE(d.attention());
    d.set_interrupts_enabled(true);
    d.write_interrupt_mask(bt::interrupt_bit::b2h_irq_enable);
    d.set_attention(true, false);  // QEMU's ATTN: no interrupt
    CHECK_FALSE(d.irq());
    d.write_control(cb::sms_atn);
    d.set_attention(true);  // ATTN_IRQ
    CHECK(d.irq());
  }

  TEST_CASE("B_BUSY held by the BMC: a request waits in the buffer until it is cleared") {
    bt::device d;
    d.set_busy(true);
    CHECK(d.read_control() == cb::b_busy);
    CHECK(send(d, 5, get_device_id) == event::none);
    CHECK(d.read_control() == (cb::b_busy | cb::h2b_atn));
    CHECK(d.set_busy(false) == event::request_ready);
    CHECK(d.read_control() == 0x00);
  }

  TEST_CASE("the interrupt: enable, raise on B2H_ATN, clear, enable while an attention is up") {
    namespace ib = bt::interrupt_bit;
    bt::device d;
    d.set_interrupts_enabled(true);
    d.write_interrupt_mask(ib::b2h_irq_enable);
    CHECK(d.read_interrupt_mask() == ib::b2h_irq_enable);
    send(d, 1, get_device_id);
    d.respond(d.pending_request()->id, bytes{0x1C, 0x01, 0x00});
    CHECK(d.read_interrupt_mask() == (ib::b2h_irq_enable | ib::b2h_irq));
    CHECK(d.irq());
    d.write_interrupt_mask(ib::b2h_irq_enable | ib::b2h_irq);  // Linux's "clear, keep enabled"
    CHECK_FALSE(d.irq());
    d.write_interrupt_mask(0);
    d.write_interrupt_mask(ib::b2h_irq_enable);  // B2H_ATN still up: at once
    CHECK(d.irq());
    d.set_interrupts_enabled(false);
    CHECK_FALSE(d.irq());
    CHECK(d.write_interrupt_mask(ib::bmc_hwrst) == event::bmc_reset_requested);
    d.write_interrupt_mask(0x1C);
    CHECK(d.read_interrupt_mask() == 0x1C);
  }

  TEST_CASE("reset: power-on state, the unanswered request cancelled, old ids stale, statistics kept") {
    bt::device d;
    CHECK(d.reset() == event::none);  // nothing to abandon
    send(d, 1, get_device_id);
    const auto id = d.pending_request()->id;
    d.set_attention(true);
    CHECK(d.reset() == event::request_cancelled);
    CHECK(d.stats().cancelled == 1);
    CHECK(d.read_control() == 0x00);
    CHECK_FALSE(d.pending_request());
    CHECK(d.respond(id, bytes{0x1C, 0x01, 0x00}) == bt::device_error::no_request);
    CHECK(d.stats().requests == 1);
    send(d, 2, get_device_id);
    CHECK(d.pending_request()->id != id);
  }

  TEST_CASE("by register offset") {
    bt::device d;
    d.write(bt::register_offset::control, cb::h_busy);
    CHECK(d.read(bt::register_offset::control) == cb::h_busy);
    d.write(bt::register_offset::interrupt_mask, 0x01);
    CHECK(d.read(bt::register_offset::interrupt_mask) == 0x01);
    d.write(bt::register_offset::buffer, 0x42);
    CHECK(d.written() == 1);
    // An offset past the three registers (an emulator's I/O region rounded up) is open bus:
    // reads 0xFF, writes change nothing.
    const auto past_end = static_cast<bt::register_offset>(3);
    CHECK(d.read(past_end) == 0xFF);
    CHECK(d.write(past_end, cb::clr_wr_ptr) == bt::event::none);
    CHECK(d.written() == 1);
    CHECK(d.read(bt::register_offset::control) == cb::h_busy);
  }

  TEST_CASE("by register offset: a whole request and its response") {
    bt::device d;
    d.write(bt::register_offset::control, cb::clr_wr_ptr);
    for (std::uint8_t b : bytes{0x03, 0x18, 0x07, 0x01}) d.write(bt::register_offset::buffer, b);
    CHECK(d.write(bt::register_offset::control, cb::h2b_atn) == bt::event::request_ready);
    const auto r = d.pending_request();
    REQUIRE(r);
    REQUIRE(d.respond(r->id, bytes{0x1C, 0x01, 0x00, 0x20}) == bt::device_error::ok);
    CHECK((d.read(bt::register_offset::control) & cb::b2h_atn) != 0);
    d.write(bt::register_offset::control, cb::clr_rd_ptr);
    bytes got;
    for (int i = 0; i < 6; ++i) got.push_back(d.read(bt::register_offset::buffer));
    CHECK(got == bytes{0x05, 0x1C, 0x07, 0x01, 0x00, 0x20});  // Length, NetFn/LUN, Seq, Cmd, cc, data
  }
}
