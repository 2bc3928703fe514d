// tests/ssif_device_test.cpp — ssif::device: the SMBus transfers of IPMI v2.0 §12 with their
// exact block bytes, Get System Interface Capabilities, PEC, and one named test per bad-input
// rule listed at the top of ssif/device.hpp.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include <ipmikit/ssif/device.hpp>

#include "test_support.hpp"

namespace {

using namespace ipmikit;
using ssif::event;
using ssif::fault;
using ssif::smbus_command;
using test::bytes;
using test::hex;

constexpr auto cmd(smbus_command c) { return static_cast<std::uint8_t>(c); }

template <class Device>
ssif::write_result write(Device& d, smbus_command c, const bytes& data, std::optional<std::uint8_t> pec = {}) {
  return d.block_write(cmd(c), data, pec);
}

struct block {
  bool ack = false;
  bytes data;
  std::optional<std::uint8_t> pec;
  fault why = fault::none;
};

template <class Device>
block read(Device& d, std::uint8_t command) {
  std::array<std::uint8_t, ssif::block_size> out{};
  const ssif::read_result r = d.block_read(command, out);
  return {r.ack, bytes(out.begin(), out.begin() + r.count), r.pec, r.fault};
}
template <class Device>
block read(Device& d, smbus_command c) {
  return read(d, cmd(c));
}

// A response of `n` bytes: 1C 01 00, then 03 04 05 … (each byte its index).
bytes response_of(std::size_t n) {
  bytes r{0x1C, 0x01, 0x00};
  for (std::size_t i = 3; i < n; ++i) r.push_back(static_cast<std::uint8_t>(i));
  return r;
}

template <class Device>
std::uint32_t ask(Device& d, const bytes& request = {0x18, 0x01}) {
  REQUIRE(write(d, smbus_command::write_single, request).event == event::request_ready);
  REQUIRE(d.pending_request());
  return d.pending_request()->id;
}

}  // namespace

TEST_SUITE("ssif") {
  TEST_CASE("ssif PEC: the SMBus CRC-8 check value, and the write and read PECs cover the addresses") {
    // CRC-8 with polynomial 07h, initial 0: "123456789" → F4h (the catalogue's check value).
    const bytes digits{'1', '2', '3', '4', '5', '6', '7', '8', '9'};
    CHECK(ssif::pec{}.add(digits).value() == 0xF4);
    static_assert(ssif::pec{}.add(0x00).value() == 0x00);
    const bytes data{0x18, 0x01};
    // Write: address 10h → 20h (W), command 02h, count 2, data.
    CHECK(ssif::write_pec(0x10, 0x02, data) == ssif::pec{}.add(bytes{0x20, 0x02, 0x02, 0x18, 0x01}).value());
    // Read: 20h (W), command, 21h (R), count, data.
    CHECK(ssif::read_pec(0x10, 0x03, data) == ssif::pec{}.add(bytes{0x20, 0x03, 0x21, 0x02, 0x18, 0x01}).value());
    CHECK(ssif::write_pec(0x10, 0x02, data) != ssif::write_pec(0x11, 0x02, data));
  }

  TEST_CASE("ssif device: a single-part request and response (02h, 03h), the BMC in between") {
    ssif::device d;
    const auto w = write(d, smbus_command::write_single, hex("18 01"));
    CHECK(w.ack);
    CHECK(w.event == event::request_ready);
    REQUIRE(d.pending_request());
    CHECK(bytes(d.pending_request()->bytes.begin(), d.pending_request()->bytes.end()) == hex("18 01"));
    // Not answered yet: reads are NAKed, the host polls.
    const block early = read(d, smbus_command::read_start);
    CHECK_FALSE(early.ack);
    CHECK(early.why == fault::not_ready);
    CHECK(d.fault() == fault::not_ready);
    CHECK(d.stats().not_ready == 1);
    const bytes answer = hex("1C 01 00 20 00 00 00 02 07 00 00 00 00 00");  // QEMU's, ssif.md §7
    REQUIRE(d.respond(d.pending_request()->id, answer) == ssif::device_error::ok);
    const block b = read(d, smbus_command::read_start);
    CHECK(b.ack);
    CHECK(b.data == answer);
    CHECK_FALSE(b.pec);  // no PEC unless configured or used by the host
    CHECK(d.fault() == fault::none);
    CHECK(d.stats().requests == 1);
    CHECK(d.stats().responses == 1);
    CHECK(d.stats().writes == 1);
    CHECK(d.stats().reads == 1);
  }

  TEST_CASE("ssif device: a 32-byte response is one block; 33 bytes is 00 01 + 30, then FF + 3") {
    ssif::device d;
    REQUIRE(d.respond(ask(d), response_of(32)) == ssif::device_error::ok);
    CHECK(read(d, smbus_command::read_start).data == response_of(32));
    CHECK_FALSE(d.reading());

    const bytes r33 = response_of(33);
    REQUIRE(d.respond(ask(d), r33) == ssif::device_error::ok);
    const block first = read(d, smbus_command::read_start);
    REQUIRE(first.data.size() == 32);
    CHECK(first.data[0] == 0x00);
    CHECK(first.data[1] == 0x01);
    CHECK(bytes(first.data.begin() + 2, first.data.end()) == bytes(r33.begin(), r33.begin() + 30));
    CHECK(d.reading());
    const block last = read(d, smbus_command::read_next);
    CHECK(last.data == hex("FF 1E 1F 20"));  // FF + the last three bytes (30, 31, 32)
    CHECK_FALSE(d.reading());
  }

  TEST_CASE("ssif device: a 255-byte response: first block, middle blocks numbered 0…6, the last FF + 8") {
    ssif::device d;
    const bytes r = response_of(255);
    REQUIRE(d.respond(ask(d), r) == ssif::device_error::ok);
    bytes got;
    const block first = read(d, smbus_command::read_start);
    REQUIRE(first.data.size() == 32);
    got.insert(got.end(), first.data.begin() + 2, first.data.end());
    for (std::uint8_t n = 0; n < 7; ++n) {
      const block mid = read(d, smbus_command::read_next);
      REQUIRE(mid.data.size() == 32);
      CHECK(mid.data[0] == n);
      got.insert(got.end(), mid.data.begin() + 1, mid.data.end());
    }
    const block last = read(d, smbus_command::read_next);
    REQUIRE(last.data.size() == 9);  // 255 = 30 + 7×31 + 8
    CHECK(last.data[0] == 0xFF);
    got.insert(got.end(), last.data.begin() + 1, last.data.end());
    CHECK(got == r);
  }

  TEST_CASE("ssif device: 61 and 62 bytes: the last block carries 31 bytes, or a middle and 1 byte") {
    ssif::device d;
    REQUIRE(d.respond(ask(d), response_of(61)) == ssif::device_error::ok);
    CHECK(read(d, smbus_command::read_start).data.size() == 32);
    const block last61 = read(d, smbus_command::read_next);
    CHECK(last61.data.size() == 32);
    CHECK(last61.data[0] == 0xFF);

    REQUIRE(d.respond(ask(d), response_of(62)) == ssif::device_error::ok);
    CHECK(read(d, smbus_command::read_start).data.size() == 32);
    const block mid = read(d, smbus_command::read_next);
    CHECK(mid.data.size() == 32);
    CHECK(mid.data[0] == 0x00);
    CHECK(read(d, smbus_command::read_next).data == hex("FF 3D"));
  }

  TEST_CASE("ssif device: a multi-part request 06h, 07h, 08h reaches the BMC whole") {
    ssif::device d;
    bytes request{0x2C, 0x02};  // 80 bytes
    for (int i = 0; i < 78; ++i) request.push_back(static_cast<std::uint8_t>(i));
    CHECK(write(d, smbus_command::write_start, bytes(request.begin(), request.begin() + 32)).event == event::none);
    CHECK(d.writing());
    CHECK_FALSE(d.pending_request());
    CHECK(write(d, smbus_command::write_middle, bytes(request.begin() + 32, request.begin() + 64)).event == event::none);
    const auto end = write(d, smbus_command::write_end, bytes(request.begin() + 64, request.end()));
    CHECK(end.ack);
    CHECK(end.event == event::request_ready);
    CHECK_FALSE(d.writing());
    REQUIRE(d.pending_request());
    CHECK(bytes(d.pending_request()->bytes.begin(), d.pending_request()->bytes.end()) == request);
    CHECK(d.stats().writes == 3);
  }

  TEST_CASE("ssif device: a middle part shorter than 32 bytes (even empty) ends the request, as in QEMU and Linux's probe") {
    for (const std::size_t tail : {std::size_t{0}, std::size_t{5}}) {
      CAPTURE(tail);
      ssif::device d;
      bytes request{0x18, 0x01};
      request.resize(32 + tail, 0x44);
      REQUIRE(write(d, smbus_command::write_start, bytes(request.begin(), request.begin() + 32)).ack);
      const auto w = write(d, smbus_command::write_middle, bytes(request.begin() + 32, request.end()));
      CHECK(w.event == event::request_ready);
      REQUIRE(d.pending_request());
      CHECK(d.pending_request()->bytes.size() == request.size());
    }
  }

  TEST_CASE("ssif device: a response read to its end is read again with 03h until the next request") {
    ssif::device d;
    REQUIRE(d.respond(ask(d), response_of(40)) == ssif::device_error::ok);
    for (int round = 0; round < 2; ++round) {
      CAPTURE(round);
      CHECK(read(d, smbus_command::read_start).data.size() == 32);
      CHECK(read(d, smbus_command::read_next).data.size() == 11);
    }
    CHECK(d.stats().rereads == 1);
    // 09h after the last block: no multi-part read under way.
    const block past = read(d, smbus_command::read_next);
    CHECK_FALSE(past.ack);
    CHECK(past.why == fault::out_of_order);
    // A multi-part read may also be started over in the middle (a host retry).
    CHECK(read(d, smbus_command::read_start).data[1] == 0x01);
    CHECK(read(d, smbus_command::read_start).data[1] == 0x01);
    CHECK(read(d, smbus_command::read_next).data[0] == 0xFF);
    // The next request makes the old response unreadable.
    ask(d);
    CHECK_FALSE(read(d, smbus_command::read_start).ack);
    CHECK(d.stats().responses_unread == 0);  // it had been read
  }

  TEST_CASE("ssif device: Get System Interface Capabilities is answered by the device, not the BMC") {
    struct variant {
      cmd::ssif_transaction_support transactions;
      bool pec;
      const char* answer;
    };
    for (const variant v : {variant{cmd::ssif_transaction_support::start_middle_end, false, "1C 57 00 00 80 FF FF"},
                            variant{cmd::ssif_transaction_support::start_end, true, "1C 57 00 00 48 40 3D"},
                            variant{cmd::ssif_transaction_support::single_part, false, "1C 57 00 00 00 20 20"}}) {
      CAPTURE(v.answer);
      ssif::device d({.transactions = v.transactions, .pec = v.pec});
      const auto w = write(d, smbus_command::write_single, hex("18 57 00"));
      CHECK(w.ack);
      CHECK(w.event == event::none);  // nothing for the BMC
      CHECK_FALSE(d.pending_request());
      CHECK(read(d, smbus_command::read_start).data == hex(v.answer));
      CHECK(d.stats().capabilities == 1);
      CHECK(d.stats().requests == 0);
      // The answer parses as the SSIF form and says what the device does.
      const bytes answer = hex(v.answer);
      const auto parsed = cmd::get_system_interface_capabilities::response::parse(std::span(answer).subspan(3));
      REQUIRE(parsed);
      CHECK(parsed->transaction_support == v.transactions);
      CHECK(parsed->pec_supported == v.pec);
      CHECK(parsed->max_input_size == d.max_request());
      CHECK(parsed->max_output_size == d.max_response());
    }
    ssif::device d;
    write(d, smbus_command::write_single, hex("18 57"));  // no interface type: C7h, as QEMU
    CHECK(read(d, smbus_command::read_start).data == hex("1C 57 C7"));
    write(d, smbus_command::write_single, hex("18 57 01"));  // KCS asked of SSIF: CCh, as QEMU
    CHECK(read(d, smbus_command::read_start).data == hex("1C 57 CC"));
    // Asked with answer_capabilities off, the BMC gets it.
    ssif::device to_bmc({.answer_capabilities = false});
    CHECK(write(to_bmc, smbus_command::write_single, hex("18 57 00")).event == event::request_ready);
  }

  TEST_CASE("ssif device: a capabilities request while the BMC has one cancels the BMC's") {
    ssif::device d;
    const auto id = ask(d);
    CHECK(write(d, smbus_command::write_single, hex("18 57 00")).event == event::request_cancelled);
    CHECK(d.stats().cancelled == 1);
    CHECK(d.respond(id, response_of(14)) == ssif::device_error::no_request);
    CHECK(read(d, smbus_command::read_start).data == hex("1C 57 00 00 80 FF FF"));
  }

  // --- PEC -------------------------------------------------------------------------------------

  TEST_CASE("ssif device bad input: a write whose PEC does not match is NAKed and changes nothing") {
    ssif::device d;
    const bytes data = hex("18 01");
    const std::uint8_t good = ssif::write_pec(ssif::default_address, 0x02, data);
    const auto bad = write(d, smbus_command::write_single, data, static_cast<std::uint8_t>(good ^ 0x01));
    CHECK_FALSE(bad.ack);
    CHECK(bad.fault == fault::pec_mismatch);
    CHECK(bad.event == event::none);
    CHECK(d.stats().pec_errors == 1);
    CHECK_FALSE(d.pending_request());
    // A multi-part write in progress survives a bad PEC on its next part (the host sends it again).
    bytes request(40, 0x11);
    request[0] = 0x18;
    REQUIRE(write(d, smbus_command::write_start, bytes(request.begin(), request.begin() + 32)).ack);
    const bytes tail(request.begin() + 32, request.end());
    CHECK(write(d, smbus_command::write_end, tail, 0x00).fault == fault::pec_mismatch);
    CHECK(d.writing());
    CHECK(write(d, smbus_command::write_end, tail, ssif::write_pec(ssif::default_address, 0x08, tail)).event ==
          event::request_ready);
    CHECK(d.pending_request()->bytes.size() == 40);
  }

  TEST_CASE("ssif device: once the host uses PEC (or with config::pec), reads carry a correct one") {
    ssif::device d;
    const bytes data = hex("18 01");
    REQUIRE(write(d, smbus_command::write_single, data, ssif::write_pec(0x10, 0x02, data)).ack);
    REQUIRE(d.respond(d.pending_request()->id, response_of(40)) == ssif::device_error::ok);
    const block first = read(d, smbus_command::read_start);
    REQUIRE(first.pec);
    CHECK(*first.pec == ssif::read_pec(0x10, 0x03, first.data));
    const block last = read(d, smbus_command::read_next);
    REQUIRE(last.pec);
    CHECK(*last.pec == ssif::read_pec(0x10, 0x09, last.data));

    ssif::device configured({.address = 0x22, .pec = true});
    REQUIRE(configured.respond(ask(configured), response_of(5)) == ssif::device_error::ok);
    const block b = read(configured, smbus_command::read_start);
    REQUIRE(b.pec);
    CHECK(*b.pec == ssif::read_pec(0x22, 0x03, b.data));
  }

  // --- bad host behaviour, one rule each ---------------------------------------------------------

  TEST_CASE("ssif device bad input: bad_length — over 32 bytes, a short single part, a start that is not 32 bytes") {
    ssif::device d;
    const auto over = write(d, smbus_command::write_single, bytes(33, 0x18));
    CHECK_FALSE(over.ack);
    CHECK(over.fault == fault::bad_length);
    CHECK(over.event == event::request_rejected);
    const auto short_single = write(d, smbus_command::write_single, hex("18"));
    CHECK(short_single.fault == fault::bad_length);
    CHECK(short_single.event == event::request_rejected);
    const auto short_start = write(d, smbus_command::write_start, bytes(31, 0x18));
    CHECK(short_start.fault == fault::bad_length);
    CHECK_FALSE(d.writing());
    CHECK_FALSE(d.pending_request());
    CHECK(d.stats().rejected == 3);
    CHECK(d.stats().requests == 0);
    // Usable afterwards.
    CHECK(write(d, smbus_command::write_single, hex("18 01")).event == event::request_ready);
  }

  TEST_CASE("ssif device bad input: bad_length — a multi-part request longer than the device takes") {
    ssif::basic_device<64> d;
    REQUIRE(write(d, smbus_command::write_start, bytes(32, 0x18)).ack);
    REQUIRE(write(d, smbus_command::write_middle, bytes(32, 0x18)).ack);
    const auto w = write(d, smbus_command::write_end, hex("01"));
    CHECK_FALSE(w.ack);
    CHECK(w.fault == fault::bad_length);
    CHECK(w.event == event::request_rejected);
    CHECK_FALSE(d.writing());
    CHECK_FALSE(d.pending_request());
    // The end that follows has no start any more.
    CHECK(write(d, smbus_command::write_end, hex("01")).fault == fault::out_of_order);
  }

  TEST_CASE("ssif device bad input: out_of_order — a middle or an end without a start, 09h without a multi-part read") {
    ssif::device d;
    const auto middle = write(d, smbus_command::write_middle, bytes(32, 0x18));
    CHECK(middle.fault == fault::out_of_order);
    CHECK(middle.event == event::request_rejected);
    CHECK(write(d, smbus_command::write_end, hex("18 01")).fault == fault::out_of_order);
    CHECK_FALSE(d.pending_request());
    const block next = read(d, smbus_command::read_next);
    CHECK_FALSE(next.ack);
    CHECK(next.why == fault::out_of_order);
    REQUIRE(d.respond(ask(d), response_of(10)) == ssif::device_error::ok);
    CHECK_FALSE(read(d, smbus_command::read_next).ack);  // a single-part response has no 09h
    CHECK(read(d, smbus_command::read_start).data == response_of(10));
  }

  TEST_CASE("ssif device bad input: not_supported — multi-part transfers the configuration does not allow") {
    ssif::device single({.transactions = cmd::ssif_transaction_support::single_part});
    const auto start = write(single, smbus_command::write_start, bytes(32, 0x18));
    CHECK(start.fault == fault::not_supported);
    CHECK(start.event == event::request_rejected);
    CHECK(single.respond(ask(single), response_of(33)) == ssif::device_error::response_too_long);

    ssif::device two({.transactions = cmd::ssif_transaction_support::start_end});
    REQUIRE(write(two, smbus_command::write_start, bytes(32, 0x18)).ack);
    CHECK(write(two, smbus_command::write_middle, bytes(32, 0x18)).fault == fault::not_supported);
    REQUIRE(write(two, smbus_command::write_start, bytes(32, 0x18)).ack);
    CHECK(write(two, smbus_command::write_end, bytes(32, 0x18)).event == event::request_ready);
    CHECK(two.pending_request()->bytes.size() == 64);
    CHECK(two.respond(two.pending_request()->id, response_of(62)) == ssif::device_error::response_too_long);
    CHECK(two.respond(two.pending_request()->id, response_of(61)) == ssif::device_error::ok);
  }

  TEST_CASE("ssif device bad input: a new request interrupts an unfinished multi-part write (abandoned, counted)") {
    ssif::device d;
    REQUIRE(write(d, smbus_command::write_start, bytes(32, 0x77)).ack);
    CHECK(write(d, smbus_command::write_single, hex("18 01")).event == event::request_ready);
    CHECK(d.stats().writes_abandoned == 1);
    CHECK(bytes(d.pending_request()->bytes.begin(), d.pending_request()->bytes.end()) == hex("18 01"));
    REQUIRE(write(d, smbus_command::write_start, bytes(32, 0x77)).ack);
    REQUIRE(write(d, smbus_command::write_start, bytes(32, 0x66)).ack);  // started over
    CHECK(d.stats().writes_abandoned == 2);
    CHECK(write(d, smbus_command::write_end, hex("01")).event == event::request_replaced);
    CHECK(d.pending_request()->bytes[0] == 0x66);
  }

  TEST_CASE("ssif device bad input: unsupported_command — a read command written, 0Ah, others; a write command read") {
    ssif::device d;
    for (const std::uint8_t c : {std::uint8_t{0x03}, std::uint8_t{0x09}, std::uint8_t{0x0A}, std::uint8_t{0x00},
                                 std::uint8_t{0x55}, std::uint8_t{0xFF}}) {
      CAPTURE(c);
      const auto w = d.block_write(c, hex("18 01"));
      CHECK_FALSE(w.ack);
      CHECK(w.fault == fault::unsupported_command);
      CHECK(w.event == event::none);
    }
    REQUIRE(d.respond(ask(d), response_of(5)) == ssif::device_error::ok);
    for (const std::uint8_t c : {std::uint8_t{0x02}, std::uint8_t{0x0A}, std::uint8_t{0x08}, std::uint8_t{0xFF}}) {
      CAPTURE(c);
      const block b = read(d, c);
      CHECK_FALSE(b.ack);
      CHECK(b.why == fault::unsupported_command);
    }
    CHECK(read(d, smbus_command::read_start).data == response_of(5));  // nothing was lost
  }

  TEST_CASE("ssif device bad input: not_ready — a read with no request, and while the BMC works") {
    ssif::device d;
    CHECK(read(d, smbus_command::read_start).why == fault::not_ready);
    ask(d);
    CHECK(read(d, smbus_command::read_start).why == fault::not_ready);
    CHECK(d.stats().not_ready == 2);
  }

  TEST_CASE("ssif device: a new request replaces an unanswered one, and discards an unread response") {
    ssif::device d;
    const auto first = ask(d, hex("18 3A 01"));
    CHECK(write(d, smbus_command::write_single, hex("18 3A 02")).event == event::request_replaced);
    CHECK(d.stats().cancelled == 1);
    CHECK(d.respond(first, response_of(5)) == ssif::device_error::stale_request);
    REQUIRE(d.respond(d.pending_request()->id, hex("1C 3A 00 02")) == ssif::device_error::ok);
    ask(d, hex("18 3A 03"));  // the host gave up on the answer to 02
    CHECK(d.stats().responses_unread == 1);
    CHECK_FALSE(read(d, smbus_command::read_start).ack);
    REQUIRE(d.respond(d.pending_request()->id, hex("1C 3A 00 03")) == ssif::device_error::ok);
    CHECK(read(d, smbus_command::read_start).data == hex("1C 3A 00 03"));
  }

  TEST_CASE("ssif device: SMBALERT# is a response waiting to be read, or an attention with interrupt, when enabled") {
    ssif::device d;
    REQUIRE(d.respond(ask(d), response_of(5)) == ssif::device_error::ok);
    CHECK_FALSE(d.irq());  // the BMC has not enabled interrupts
    d.set_interrupts_enabled(true);
    CHECK(d.irq());
    (void)read(d, smbus_command::read_start);
    CHECK_FALSE(d.irq());  // read
    d.set_attention(true, false);
    CHECK_FALSE(d.irq());
    d.set_attention(true, true);
    CHECK(d.irq());
    d.set_attention(false, false);
    CHECK_FALSE(d.irq());
  }

  TEST_CASE("ssif names: faults and SMBus commands") {
    CHECK(ssif::name(fault::pec_mismatch) == "pec_mismatch");
    CHECK(ssif::name(fault::not_ready) == "not_ready");
    CHECK(ssif::name(static_cast<fault>(7)).empty());
    CHECK(ssif::name(smbus_command::write_end) == "write_end");
    CHECK(ssif::name(static_cast<smbus_command>(0x04)).empty());
    CHECK(ssif::name(ssif::access::wait) == "wait");
    CHECK(ssif::name(ssif::transfer_status::pec_error) == "pec_error");
  }
}
