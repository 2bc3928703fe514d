// tests/lan_sol_test.cpp — lan/sol.hpp: the SOL payload's bytes (every parse error by name) and
// sol_instance, the BMC side of one SOL instance: when characters go out (threshold,
// accumulate interval, 255 per packet), acknowledgements (whole, partial, NACK), retries and
// giving up, the sequence numbers' wrap, a full buffer (overrun), and the console's packets
// (taken, partly taken, repeated, with operations, with no serial port).
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include <ipmikit/lan/sol.hpp>

#include "bmc_support.hpp"
#include "test_support.hpp"

using namespace ipmikit;
using namespace std::chrono_literals;
using namespace ipmikit::test::bmc_names;
using test::hex;

namespace {

using instance = lan::sol_instance<512, test_clock>;

/// The serial port's side: what it took, how much it takes, whether it is there.
struct serial_sink {
  std::vector<std::uint8_t> got;
  std::size_t room = 1000;
  bool present = true;
  std::vector<std::uint8_t> operations;
  std::size_t characters(std::span<const std::uint8_t> c) {
    const std::size_t n = std::min(room, c.size());
    got.insert(got.end(), c.begin(), c.begin() + static_cast<std::ptrdiff_t>(n));
    room -= n;
    return n;
  }
  void operation(std::uint8_t bits) { operations.push_back(bits); }
  [[nodiscard]] bool available() const { return present; }
};

struct sol_rig {
  instance sol{[] {
    instance::settings s;
    s.accumulate_interval = 60ms;
    s.send_threshold = 96;
    s.retry_count = 3;
    s.retry_interval = 500ms;
    return s;
  }()};
  serial_sink sink;
  tp now = tp{} + 100s;
  std::array<std::uint8_t, lan::sol_max_payload> out{};

  sol_rig() { sol.activate(now); }
  test::bytes poll() {
    const std::size_t n = sol.poll(now, out);
    return test::bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
  }
  test::bytes receive(const test::bytes& payload) {
    const std::size_t n = sol.receive(payload, now, sink, out);
    return test::bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
  }
  void write(std::string_view text) {
    (void)sol.write(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), now);
  }
};

test::bytes text_bytes(std::string_view t) { return test::bytes(t.begin(), t.end()); }

}  // namespace

TEST_SUITE("lan sol") {
  TEST_CASE("lan sol: a packet parses and encodes both ways; reserved sequence bits are ignored") {
    const test::bytes p = hex("01 00 00 00 48 49");
    const lan::sol_parse_result r = lan::parse_sol_packet(p);
    REQUIRE(r);
    CHECK(r.value.sequence == 1);
    CHECK(r.value.data.size() == 2);
    std::array<std::uint8_t, 8> buf{};
    REQUIRE(lan::encode_sol_packet(r.value, buf) == 6);
    CHECK(test::bytes(buf.begin(), buf.begin() + 6) == p);
    const lan::sol_parse_result high = lan::parse_sol_packet(hex("F3 E2 05 40"));
    REQUIRE(high);
    CHECK(high.value.sequence == 3);
    CHECK(high.value.ack_sequence == 2);
    CHECK(high.value.accepted == 5);
    CHECK(high.value.control == lan::sol_operation::nack);
  }

  TEST_CASE("lan sol refused: a packet shorter than its header, longer than 255 characters, or with characters "
            "and no sequence number") {
    CHECK(lan::parse_sol_packet(hex("01 00 00")).error == lan::sol_error::too_short);
    CHECK(lan::parse_sol_packet({}).error == lan::sol_error::too_short);
    test::bytes big(4 + 256, 0x41);
    big[0] = 1;
    CHECK(lan::parse_sol_packet(big).error == lan::sol_error::too_long);
    big.pop_back();
    CHECK(lan::parse_sol_packet(big));
    CHECK(lan::parse_sol_packet(hex("00 00 00 00 41")).error == lan::sol_error::data_without_sequence);
    CHECK(lan::name(lan::sol_error::data_without_sequence) == "data_without_sequence");
    // The encoder refuses what it could not write truthfully.
    std::array<std::uint8_t, 4 + 255> buf{};
    const test::bytes chars(256, 0x41);
    CHECK(lan::encode_sol_packet({1, 0, 0, 0, chars}, buf) == 0);
    CHECK(lan::encode_sol_packet({16, 0, 0, 0, {}}, buf) == 0);
    CHECK(lan::encode_sol_packet({1, 0, 0, 0, std::span(chars).first(2)}, std::span(buf).first(5)) == 0);
  }

  TEST_CASE_FIXTURE(sol_rig, "lan sol: characters wait for the accumulate interval, or go at once at the threshold") {
    write("login: ");
    CHECK(sol.next_deadline() == now + 60ms);
    now += 59ms;
    CHECK(poll().empty());
    now += 1ms;
    CHECK(poll() == test::cat({hex("01 00 00 00"), text_bytes("login: ")}));
    CHECK(sol.next_deadline() == now + 500ms);  // its retry
    CHECK(receive(hex("00 01 07 00")).empty());  // the ACK: nothing to answer
    CHECK(sol.buffered() == 0);
    CHECK(sol.stats().characters_acked == 7);
    CHECK(!sol.next_deadline());
    // 96 waiting: at once.
    write(std::string(96, 'x'));
    const test::bytes p = poll();
    REQUIRE(p.size() == 4 + 96);
    CHECK(p[0] == 2);
  }

  TEST_CASE_FIXTURE(sol_rig, "lan sol: at most 255 characters a packet; the rest goes as soon as the first is "
                             "acknowledged") {
    write(std::string(300, 'a'));
    const test::bytes first = poll();
    REQUIRE(first.size() == 4 + 255);
    CHECK(poll().empty());  // one packet in flight at a time
    CHECK(receive(hex("00 01 FF 00")).empty());
    CHECK(sol.next_deadline() <= now);
    const test::bytes second = poll();
    REQUIRE(second.size() == 4 + 45);
    CHECK(second[0] == 2);
  }

  TEST_CASE_FIXTURE(sol_rig, "lan sol: a partial ACK sends the rest again under a new number") {
    write("0123456789");
    now += 60ms;
    REQUIRE(poll().size() == 14);
    CHECK(receive(hex("00 01 04 00")).empty());  // 4 of 10 taken
    CHECK(poll() == test::cat({hex("02 00 00 00"), text_bytes("456789")}));
    CHECK(sol.stats().characters_acked == 4);
  }

  TEST_CASE_FIXTURE(sol_rig, "lan sol: an unacknowledged packet is sent again retry_count times, then given up") {
    write("boot");
    now += 60ms;
    const test::bytes p = poll();
    REQUIRE(!p.empty());
    for (int i = 0; i < 3; ++i) {
      now += 499ms;
      CHECK(poll().empty());
      now += 1ms;
      CHECK(poll() == p);  // the same number and characters
    }
    now += 500ms;
    CHECK(poll().empty());  // given up: nothing left
    CHECK(sol.buffered() == 0);
    CHECK(sol.stats().retransmissions == 3);
    CHECK(sol.stats().characters_given_up == 4);
    // A late ACK of the given-up packet changes nothing; the next packet takes the next number.
    CHECK(receive(hex("00 01 04 00")).empty());
    write("x");
    now += 60ms;
    CHECK(poll() == hex("02 00 00 00 78"));
  }

  TEST_CASE_FIXTURE(sol_rig, "lan sol: sequence numbers run 1 to 15, then 1 again") {
    for (int i = 1; i <= 16; ++i) {
      write("z");
      now += 60ms;
      const test::bytes p = poll();
      REQUIRE(p.size() == 5);
      CHECK(p[0] == (i - 1) % 15 + 1);
      CHECK(receive(test::bytes{0, p[0], 1, 0}).empty());
    }
    CHECK(sol.stats().characters_acked == 16);
  }

  TEST_CASE_FIXTURE(sol_rig, "lan sol: a full buffer drops what does not fit, counts it, and the next packet says "
                             "so once") {
    const test::bytes lots(600, 'q');
    CHECK(sol.write(lots, now) == 512);
    CHECK(sol.stats().characters_overrun == 88);
    const test::bytes p = poll();
    REQUIRE(p.size() == 4 + 255);
    CHECK(p[3] == lan::sol_status::transmit_overrun);
    CHECK(receive(hex("00 01 FF 00")).empty());
    const test::bytes q = poll();
    REQUIRE(!q.empty());
    CHECK(q[3] == 0);
  }

  TEST_CASE_FIXTURE(sol_rig, "lan sol: a NACK pauses sending until an ACK without NACK") {
    write("abc");
    now += 60ms;
    REQUIRE(!poll().empty());
    CHECK(receive(hex("00 01 00 40")).empty());  // NACK, nothing taken
    CHECK(sol.stats().nacks == 1);
    now += 1s;
    CHECK(poll().empty());
    CHECK(!sol.next_deadline());
    CHECK(receive(hex("00 01 00 00")).empty());  // resume
    CHECK(poll() == test::cat({hex("02 00 00 00"), text_bytes("abc")}));
  }

  TEST_CASE_FIXTURE(sol_rig, "lan sol: the console's characters reach the serial port and are acknowledged with the "
                             "count taken") {
    CHECK(receive(test::cat({hex("01 00 00 00"), text_bytes("ls\r")})) == hex("00 01 03 00"));
    CHECK(sink.got == text_bytes("ls\r"));
    sink.room = 2;  // the serial port takes two
    CHECK(receive(test::cat({hex("02 00 00 00"), text_bytes("pwd\r")})) == hex("00 02 02 00"));
    CHECK(sink.got == text_bytes("ls\rpw"));
    CHECK(sol.stats().characters_received == 5);
  }

  TEST_CASE_FIXTURE(sol_rig, "lan sol refused: a repeated console packet is acknowledged again and never applied "
                             "twice") {
    const test::bytes p = test::cat({hex("05 00 00 00"), text_bytes("rm x\r")});
    CHECK(receive(p) == hex("00 05 05 00"));
    CHECK(receive(p) == hex("00 05 05 00"));
    CHECK(sink.got == text_bytes("rm x\r"));
    CHECK(sol.stats().duplicates == 1);
    // A BREAK in a repeated packet is not sent twice either.
    const test::bytes brk = hex("06 00 00 10");
    CHECK(receive(brk) == hex("00 06 00 00"));
    CHECK(receive(brk) == hex("00 06 00 00"));
    CHECK(sink.operations == std::vector<std::uint8_t>{lan::sol_operation::generate_break});
  }

  TEST_CASE_FIXTURE(sol_rig, "lan sol refused: characters while the serial port is not there take nothing and say "
                             "'transfer unavailable'") {
    sink.present = false;
    CHECK(receive(test::cat({hex("01 00 00 00"), text_bytes("x")})) == hex("00 01 00 20"));
    CHECK(sink.got.empty());
  }

  TEST_CASE_FIXTURE(sol_rig, "lan sol: flush outbound drops what waits for the console, not the packet in flight") {
    write("first");
    now += 60ms;
    REQUIRE(!poll().empty());
    write("second");
    CHECK(receive(hex("01 00 00 01")) == hex("00 01 00 00"));
    CHECK(sol.buffered() == 5);
    CHECK(receive(hex("00 01 05 00")).empty());
    CHECK(sol.buffered() == 0);
  }

  TEST_CASE_FIXTURE(sol_rig, "lan sol refused: malformed packets are counted and unanswered; after deactivation the "
                             "console hears 'inactive' and nothing is taken") {
    CHECK(receive(hex("01 00")).empty());
    CHECK(receive(hex("00 00 00 00 41")).empty());
    CHECK(sol.stats().malformed == 2);
    write("gone");
    sol.deactivate();
    CHECK(sol.buffered() == 0);
    CHECK(!sol.next_deadline());
    CHECK(poll().empty());
    CHECK(receive(test::cat({hex("01 00 00 00"), text_bytes("x")})) == hex("00 01 00 10"));
    CHECK(sink.got.empty());
    CHECK(sol.write(text_bytes("late"), now) == 0);
    // Activated again: numbers start over, a new console's packet 1 is not a repeat.
    sol.activate(now);
    CHECK(receive(test::cat({hex("01 00 00 00"), text_bytes("y")})) == hex("00 01 01 00"));
    CHECK(sink.got == text_bytes("y"));
  }

  TEST_CASE_FIXTURE(sol_rig, "lan sol: a retransmission is the first packet byte for byte, even after an overrun "
                             "meanwhile") {
    write("abc");
    now += 60ms;
    const test::bytes first = poll();
    REQUIRE(first.size() == 7);
    (void)sol.write(test::bytes(600, 'z'), now);  // overflows while the packet is in flight
    now += 500ms;
    CHECK(poll() == first);
    CHECK(receive(hex("00 01 03 00")).empty());
    const test::bytes next = poll();
    REQUIRE(!next.empty());
    CHECK(next[3] == lan::sol_status::transmit_overrun);  // said in the next new packet
  }

  TEST_CASE_FIXTURE(sol_rig, "lan sol refused: an answer buffer too small changes nothing") {
    write(std::string(96, 'x'));
    std::array<std::uint8_t, 8> tiny{};
    CHECK(sol.poll(now, tiny) == 0);
    CHECK(sol.stats().packets_sent == 0);
    CHECK(poll().size() == 4 + 96);  // still due, with its first number
    CHECK(out[0] == 1);
    std::array<std::uint8_t, 3> smaller{};
    const test::bytes typed = test::cat({hex("01 00 00 00"), text_bytes("q")});
    CHECK(sol.receive(typed, now, sink, smaller) == 0);
    CHECK(sink.got.empty());
    CHECK(receive(typed) == hex("00 01 01 00"));
  }

  TEST_CASE_FIXTURE(sol_rig, "lan sol: the console keeps up until a packet needs a retry or it NACKs") {
    CHECK(sol.console_keeping_up());
    write("abc");
    now += 60ms;
    REQUIRE(!poll().empty());
    CHECK(sol.console_keeping_up());  // in flight, not overdue
    now += 500ms;
    REQUIRE(!poll().empty());          // a retry
    CHECK_FALSE(sol.console_keeping_up());
    CHECK(receive(hex("00 01 03 00")).empty());
    CHECK(sol.console_keeping_up());   // it answered
    write("d");
    now += 60ms;
    REQUIRE(!poll().empty());
    CHECK(receive(hex("00 02 00 40")).empty());  // NACK
    CHECK_FALSE(sol.console_keeping_up());
    sol.deactivate();
    CHECK_FALSE(sol.console_keeping_up());
  }

  TEST_CASE("lan sol: settings from SOL parameters 3 and 4 (5 ms and 10 ms units)") {
    const auto s = lan::sol_settings_from<std::chrono::nanoseconds>(cmd::sol::character_accumulate{12, 0},
                                                                    cmd::sol::retry{0xFF, 50});
    CHECK(s.accumulate_interval == 60ms);
    CHECK(s.send_threshold == 1);
    CHECK(s.retry_count == 7);
    CHECK(s.retry_interval == 500ms);
  }
}
