// tests/lan_server_test.cpp — lan::server (the BMC side of RMCP+) against lan::client in
// memory, with OpenSSL's crypto: logins with suites 3 and 17, session-less discovery, the
// session's requests through a bmc::dispatcher at its privilege, and every refusal the issue
// lists, each a named test case: suite 0 and "none" algorithms, a wrong password, an unknown
// user, the null user, IPMI 1.5 sessions, a replayed packet, a bad AuthCode, a session used
// after Close Session or its timeout, and throttling after failed logins.
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include <ipmikit/bmc/users.hpp>
#include <ipmikit/lan/client.hpp>
#include <ipmikit/lan/openssl.hpp>
#include <ipmikit/lan/server.hpp>

#include "bmc_support.hpp"
#include "test_support.hpp"

using namespace ipmikit;
using namespace ipmikit::test::bmc_names;
using test::hex;

namespace {

constexpr std::uint8_t poke_command = 0x01;  // an OEM command that counts its calls (operator)

/// The BMC behind the server: users and channels, and a counter a replay would move twice.
struct lan_bmc {
  bmc::users users{[] {
    bmc::users_config c;
    c.lan_channel = 1;
    return c;
  }()};
  int pokes = 0;
};

bmc::reply poke(lan_bmc& b, const bmc::request&, std::span<std::uint8_t>) {
  ++b.pokes;
  return {completion_code::success, 0};
}

using lan_dispatcher = bmc::dispatcher<lan_bmc, 24>;
using test_server = lan::server<lan::openssl_crypto, 4, test_clock>;
using test_client = lan::client<lan::openssl_crypto>;

constexpr std::array<std::uint8_t, 16> test_guid{0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                                                 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F};

/// The server's handler: users from bmc::users, requests to a dispatcher, events kept.
struct handler {
  lan_bmc* b;
  lan_dispatcher* d;
  std::vector<lan::server_event> events;

  std::optional<lan::login> lookup(std::span<const std::uint8_t> name, std::uint32_t) {
    const auto id = b->users.find_user(std::string_view(reinterpret_cast<const char*>(name.data()), name.size()));
    if (!id || !b->users.can_log_in(*id)) return std::nullopt;
    return lan::login{7, *id, b->users.login_limit(*id), b->users.password_key(*id)};
  }
  std::array<std::uint8_t, 16> guid(std::uint32_t) { return test_guid; }
  bmc::dispatch_result dispatch(std::uint32_t target, bmc::origin o, std::span<const std::uint8_t> in,
                                std::span<std::uint8_t> out) {
    CHECK(target == 7);
    return d->dispatch(*b, in, o, out);
  }
  bmc::dispatch_result dispatch_sessionless(std::uint32_t, bmc::origin o, std::span<const std::uint8_t> in,
                                            std::span<std::uint8_t> out) {
    CHECK(o.level == bmc::privilege::unspecified);
    return d->dispatch(*b, in, o, out);
  }
  void on_event(const lan::server_event& e) { events.push_back(e); }
  [[nodiscard]] int count(lan::event_kind k) const {
    int n = 0;
    for (const auto& e : events) n += e.kind == k ? 1 : 0;
    return n;
  }
};

/// A handler that also serves SOL (lan::sol_handler): one instance for target 7.
struct sol_test_handler : handler {
  lan::sol_instance<1024, test_clock> sol;
  lan::sol_grant grant{completion_code::success, 623};
  std::vector<std::uint8_t> serial;  // what the console typed
  std::size_t characters(std::span<const std::uint8_t> c) {
    serial.insert(serial.end(), c.begin(), c.end());
    return c.size();
  }
  lan::sol_grant sol_activation(std::uint32_t target, bmc::origin o) {
    CHECK(target == 7);
    CHECK(o.channel == 1);
    return grant;
  }
  std::size_t sol_payload(std::uint32_t target, std::span<const std::uint8_t> payload, tp now, std::span<std::uint8_t> out) {
    CHECK(target == 7);
    return sol.receive(payload, now, *this, out);
  }
  void on_event(const lan::server_event& e) {
    handler::on_event(e);
    if (e.kind == lan::event_kind::sol_activated) sol.activate(tp{});
    if (e.kind == lan::event_kind::sol_deactivated) sol.deactivate();
  }
};

const lan::endpoint console{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 127, 0, 0, 1}, 40000};

template <class Handler>
struct basic_lan_rig {
  lan_bmc b;
  lan_dispatcher d;
  Handler h = make_handler(&b, &d);
  static Handler make_handler(lan_bmc* bp, lan_dispatcher* dp) {
    if constexpr (std::is_same_v<Handler, handler>)
      return handler{bp, dp, {}};
    else
      return Handler{{bp, dp, {}}, {}, {completion_code::success, 623}, {}};
  }
  test_server srv{lan::openssl_crypto{}, config()};
  tp now = tp{} + 1000s;
  std::array<std::uint8_t, lan::max_packet_size> buf{}, reply{};

  static test_server::config config() {
    test_server::config c;
    c.session_timeout = 60s;
    c.setup_timeout = 3s;
    c.failure_burst = 5;
    c.failure_refill = 10s;
    return c;
  }

  basic_lan_rig() {
    REQUIRE(bmc::add_user_commands<&lan_bmc::users>(d) == bmc::add_error::ok);
    REQUIRE(bmc::add_channel_commands<&lan_bmc::users>(d) == bmc::add_error::ok);
    REQUIRE(d.add({command_id{netfn::oem, poke_command}, 0, 0, bmc::privilege::operator_, &poke}) == bmc::add_error::ok);
    REQUIRE(b.users.set_user(2, {.name = "admin", .password = "s3cret-pass", .limit = bmc::privilege::administrator}) ==
            bmc::user_error::ok);
    REQUIRE(b.users.set_user(3, {.name = "op", .password = "op-pass-123", .limit = bmc::privilege::operator_}) ==
            bmc::user_error::ok);
  }

  /// One datagram to the server; its answer (empty: none).
  test::bytes send(std::span<const std::uint8_t> datagram, const lan::endpoint& from = console) {
    const std::size_t n = srv.receive(datagram, from, 0, now, h, reply);
    return test::bytes(reply.begin(), reply.begin() + static_cast<std::ptrdiff_t>(n));
  }

  /// Runs a client's login to the end (at most 4 round trips); its last event.
  lan::client_event login(test_client& c, const lan::endpoint& from = console) {
    std::size_t n = c.open(buf);
    for (int step = 0; step < 4 && n != 0; ++step) {
      const test::bytes answer = send(std::span(buf).first(n), from);
      if (answer.empty()) return lan::client_event::ignored;
      const lan::client_result r = c.receive(answer, buf);
      if (r.event == lan::client_event::active || r.event == lan::client_event::failed) {
        if (r.size != 0) (void)send(std::span(buf).first(r.size), from);  // RAKP 3 with an error status
        return r.event;
      }
      n = r.size;
    }
    return lan::client_event::none;
  }

  /// One request in the client's session; the response body (empty: no answer).
  test::bytes request(test_client& c, const test::bytes& body, const lan::endpoint& from = console) {
    const std::size_t n = c.request(body, buf);
    REQUIRE(n != 0);
    const test::bytes answer = send(std::span(buf).first(n), from);
    if (answer.empty()) return {};
    const lan::client_result r = c.receive(answer, buf);
    if (r.event != lan::client_event::response) return {};
    return test::bytes(c.response().begin(), c.response().end());
  }
};
using lan_rig = basic_lan_rig<handler>;
using sol_rig = basic_lan_rig<sol_test_handler>;

test_client admin_client(std::uint8_t suite = 17, std::string_view password = "s3cret-pass",
                         std::string_view user = "admin") {
  return test_client(lan::openssl_crypto{}, {.user = user, .password = password, .suite = suite});
}

const test::bytes poke_request = {static_cast<std::uint8_t>(0x30 << 2), poke_command};  // OEM netFn 30h
const test::bytes set_privilege_admin = {0x18, 0x3B, 0x04};           // App, Set Session Privilege Level, administrator
const test::bytes get_channel_access_1 = {0x18, 0x41, 0x01, 0x40};    // App, Get Channel Access, channel 1, volatile

}  // namespace

TEST_SUITE("lan") {
  TEST_CASE_FIXTURE(lan_rig, "lan server: a login with suite 17 and one with suite 3, requests at the session's privilege, "
                             "Close Session") {
    for (const std::uint8_t suite : {std::uint8_t{17}, std::uint8_t{3}}) {
      CAPTURE(static_cast<int>(suite));
      test_client c = admin_client(suite);
      REQUIRE(login(c) == lan::client_event::active);
      CHECK(h.events.back().kind == lan::event_kind::session_opened);
      CHECK(h.events.back().user_name() == "admin");
      CHECK(h.events.back().suite == suite);
      CHECK(srv.active_sessions() == 1);
      // A session starts at User: the OEM command (operator) is refused, then allowed.
      CHECK(request(c, poke_request) == hex("C4 01 D4"));
      CHECK(request(c, set_privilege_admin) == hex("1C 3B 00 04"));
      CHECK(request(c, poke_request) == hex("C4 01 00"));
      CHECK(request(c, hex("18 3B 00")) == hex("1C 3B 00 04"));  // 0: the current level
      CHECK(request(c, get_channel_access_1).at(2) == 0x00);
      const std::size_t n = c.close(buf);
      REQUIRE(n != 0);
      const test::bytes answer = send(std::span(buf).first(n));
      REQUIRE(c.receive(answer, buf).event == lan::client_event::response);
      CHECK(test::bytes(c.response().begin(), c.response().end()) == hex("1C 3C 00"));
      CHECK(srv.active_sessions() == 0);
      CHECK(h.events.back().kind == lan::event_kind::session_closed);
    }
    CHECK(b.pokes == 2);
  }

  TEST_CASE_FIXTURE(lan_rig, "lan server: an ASF presence ping gets a pong that names IPMI") {
    std::array<std::uint8_t, 16> ping{};
    const std::size_t n = lan::encode_asf_ping(0x5A, ping);
    CHECK(test::to_hex(send(std::span(ping).first(n))) ==
          test::to_hex(hex("06 00 FF 06 000011BE 40 5A 00 10 000011BE 00000000 81 00 000000000000")));
  }

  TEST_CASE_FIXTURE(lan_rig, "lan server: session-less Get Channel Authentication Capabilities (IPMI 1.5 form) and Get "
                             "Channel Cipher Suites (RMCP+ form)") {
    // ipmitool's first packet (lan.md §3): 8E 04 in an IPMI 1.5 header.
    std::array<std::uint8_t, 16> message15{};
    const std::size_t m15 = lan::encode_lan_request(hex("18 38 8E 04"), 0, message15);
    std::array<std::uint8_t, 64> authcap{};
    const std::size_t a = lan::encode_ipmi15(std::span(message15).first(m15), authcap);
    const test::bytes answer = send(std::span(authcap).first(a));
    // v1.5 header, then 81 1C 63 20 00 38 00 | 01 80 04 02 000000 00 | checksum
    REQUIRE(answer.size() == 4 + 10 + 16);
    CHECK(test::to_hex(test::bytes(answer.begin() + 14, answer.end() - 1)) ==
          test::to_hex(hex("81 1C 63 20 00 38 00 01 80 04 02 00 00 00 00")));
    CHECK(checksum_ok(std::span(answer).subspan(14 + 3)));
    // Get Channel Cipher Suites, list index 0 by suite: 3 and 17, nothing else.
    std::array<std::uint8_t, 16> message{};
    const std::size_t m = lan::encode_lan_request(hex("18 54 0E 00 80"), 1, message);
    std::array<std::uint8_t, 64> packet{};
    const std::size_t p = lan::encode_rmcpp_plain(lan::payload_type::ipmi, 0, 0, std::span(message).first(m), packet);
    const test::bytes suites = send(std::span(packet).first(p));
    REQUIRE(suites.size() > 16 + 7);
    CHECK(test::to_hex(test::bytes(suites.begin() + 16 + 5, suites.end() - 1)) ==
          test::to_hex(hex("54 00 01 C0 03 01 41 81 C0 11 03 44 81")));
    CHECK(srv.stats().sessionless == 2);
  }

  TEST_CASE_FIXTURE(lan_rig, "lan server: session-less requests other than discovery are refused (D4)") {
    std::array<std::uint8_t, 16> message{};
    const std::size_t m = lan::encode_lan_request(get_channel_access_1, 1, message);
    std::array<std::uint8_t, 64> packet{};
    const std::size_t p = lan::encode_rmcpp_plain(lan::payload_type::ipmi, 0, 0, std::span(message).first(m), packet);
    const test::bytes answer = send(std::span(packet).first(p));
    REQUIRE(answer.size() >= 16 + 8);
    CHECK(answer[16 + 6] == 0xD4);
  }

  TEST_CASE_FIXTURE(lan_rig, "lan refused: cipher suite 0 and every 'none' algorithm in Open Session") {
    struct proposal {
      std::uint8_t auth, integrity, conf;
      lan::rmcpp_status expected;
    };
    const proposal cases[] = {
        {0, 0, 0, lan::rmcpp_status::invalid_authentication_algorithm},   // suite 0
        {1, 0, 0, lan::rmcpp_status::invalid_integrity_algorithm},        // suite 1
        {1, 1, 0, lan::rmcpp_status::invalid_confidentiality_algorithm},  // suite 2
        {3, 0, 0, lan::rmcpp_status::invalid_integrity_algorithm},        // suite 15
        {3, 4, 0, lan::rmcpp_status::invalid_confidentiality_algorithm},  // suite 16
        {2, 2, 1, lan::rmcpp_status::invalid_authentication_algorithm},   // MD5, suite 8
        {1, 4, 1, lan::rmcpp_status::no_cipher_suite_match},              // SHA1 with SHA256-128: no suite
    };
    for (const proposal& c : cases) {
      lan::open_session_request r;
      r.tag = 9;
      r.console_session_id = 0x11223344;
      r.authentication.algorithm = c.auth;
      r.integrity.algorithm = c.integrity;
      r.confidentiality.algorithm = c.conf;
      std::array<std::uint8_t, 32> body{};
      REQUIRE(lan::encode_open_session_request(r, body) == 32);
      const std::size_t n = lan::encode_rmcpp_plain(lan::payload_type::open_session_request, 0, 0, body, buf);
      const test::bytes answer = send(std::span(buf).first(n));
      const auto p = lan::parse_packet(answer);
      REQUIRE(p.kind == lan::packet_kind::rmcpp);
      const auto rs = lan::parse_open_session_response(p.rmcpp.payload);
      REQUIRE(rs);
      CHECK(rs.value.status == c.expected);
      CHECK(rs.value.tag == 9);
    }
    CHECK(srv.session_state(0) == test_server::state::free);
    CHECK(srv.stats().open_refused == std::size(cases));
  }

  TEST_CASE_FIXTURE(lan_rig, "lan server: Open Session asking for privilege 0 gets the real level, not 0") {
    lan::open_session_request r;
    r.console_session_id = 0x01020304;
    r.max_privilege = 0;
    r.authentication.algorithm = 3;
    r.integrity.algorithm = 4;
    r.confidentiality.algorithm = 1;
    std::array<std::uint8_t, 32> body{};
    REQUIRE(lan::encode_open_session_request(r, body) == 32);
    const std::size_t n = lan::encode_rmcpp_plain(lan::payload_type::open_session_request, 0, 0, body, buf);
    const test::bytes answer = send(std::span(buf).first(n));
    const auto p = lan::parse_packet(answer);  // its spans point into `answer`
    const auto rs = lan::parse_open_session_response(p.rmcpp.payload);
    REQUIRE(rs);
    CHECK(rs.value.status == lan::rmcpp_status::ok);
    CHECK(rs.value.max_privilege == 4);
    CHECK(rs.value.bmc_session_id != 0);
  }

  TEST_CASE_FIXTURE(lan_rig, "lan refused: a wrong password (the console sees a RAKP 2 that does not verify)") {
    test_client c = admin_client(17, "wrong-pass");
    CHECK(login(c) == lan::client_event::failed);
    CHECK(c.failure() == lan::client_failure::rakp2_mismatch);
    CHECK(srv.active_sessions() == 0);
    CHECK(h.count(lan::event_kind::auth_failed) == 1);
    CHECK(h.events.back().failure == lan::auth_failure::console_refused);
    CHECK(h.events.back().known_user);
  }

  TEST_CASE_FIXTURE(lan_rig, "lan refused: a RAKP 3 with a guessed code (an attacker who skips RAKP 2's check)") {
    // Open Session and RAKP 1 as admin, then RAKP 3 with a code from the wrong password.
    test_client c = admin_client(17);
    std::size_t n = c.open(buf);
    lan::client_result r = c.receive(send(std::span(buf).first(n)), buf);  // → RAKP 1
    REQUIRE(r.size != 0);
    const test::bytes rakp2 = send(std::span(buf).first(r.size));
    const auto p2 = lan::parse_rakp2(lan::parse_packet(rakp2).rmcpp.payload);
    REQUIRE(p2);
    CHECK(p2.value.status == lan::rmcpp_status::ok);
    std::array<std::uint8_t, 8 + 32> rakp3{};
    rakp3[0] = p2.value.tag;
    lan::detail::put_le32(rakp3, 4, c.bmc_session_id());
    for (std::size_t i = 8; i < rakp3.size(); ++i) rakp3[i] = 0xAB;
    n = lan::encode_rmcpp_plain(lan::payload_type::rakp3, 0, 0, rakp3, buf);
    const auto p4 = lan::parse_rakp34(lan::parse_packet(send(std::span(buf).first(n))).rmcpp.payload);
    REQUIRE(p4);
    CHECK(p4.value.status == lan::rmcpp_status::invalid_integrity_check_value);
    CHECK(p4.value.code.empty());
    CHECK(srv.active_sessions() == 0);
    CHECK(h.events.back().failure == lan::auth_failure::bad_key_exchange_code);
  }

  TEST_CASE_FIXTURE(lan_rig, "lan refused: an unknown user gets a RAKP 2 like a real one's, and fails as a wrong "
                             "password does") {
    test_client c = admin_client(17, "s3cret-pass", "nobody");
    CHECK(login(c) == lan::client_event::failed);
    CHECK(c.failure() == lan::client_failure::rakp2_mismatch);  // not rakp2_refused: no status tells
    CHECK(srv.active_sessions() == 0);
    REQUIRE(h.count(lan::event_kind::auth_failed) == 1);
    CHECK_FALSE(h.events.back().known_user);
    CHECK(h.events.back().user_name().empty());  // a name that may be a mistyped password is not logged
  }

  TEST_CASE_FIXTURE(lan_rig, "lan refused: the null user (empty name, empty password)") {
    test_client c = admin_client(17, "", "");
    CHECK(login(c) == lan::client_event::failed);
    CHECK(c.failure() == lan::client_failure::rakp2_mismatch);
    CHECK(srv.active_sessions() == 0);
  }

  TEST_CASE_FIXTURE(lan_rig, "lan refused: IPMI 1.5 sessions (auth type none with a session, MD5, straight password) "
                             "and Get Session Challenge") {
    // Activate Session (App 3Ah) in the 1.5 format: auth type MD5 (02h), a session ID and a 16-byte AuthCode.
    std::array<std::uint8_t, 32> message{};
    const std::size_t m = lan::encode_lan_request(hex("18 3A 02 04 00000000 00000000 00000000 00000000 01000000"), 1, message);
    test::bytes md5 = hex("06 00 FF 07 02 01000000 44332211");
    md5.insert(md5.end(), 16, 0x5A);
    md5.push_back(static_cast<std::uint8_t>(m));
    md5.insert(md5.end(), message.begin(), message.begin() + static_cast<std::ptrdiff_t>(m));
    CHECK(send(md5).empty());
    // Straight password (04h), and auth type none inside a session.
    test::bytes straight = md5;
    straight[4] = 0x04;
    CHECK(send(straight).empty());
    test::bytes none = hex("06 00 FF 07 00 01000000 44332211");
    none.push_back(static_cast<std::uint8_t>(m));
    none.insert(none.end(), message.begin(), message.begin() + static_cast<std::ptrdiff_t>(m));
    CHECK(send(none).empty());
    CHECK(srv.stats().ipmi15_refused == 3);
    // Get Session Challenge (App 39h), session-less: not a command this BMC has (C1).
    const std::size_t c = lan::encode_lan_request(hex("18 39 02 61 64 6D 69 6E 00 00 00 00 00 00 00 00 00 00 00"), 2, message);
    std::array<std::uint8_t, 64> packet{};
    const std::size_t p = lan::encode_ipmi15(std::span(message).first(c), packet);
    const test::bytes challenge = send(std::span(packet).first(p));
    REQUIRE(challenge.size() > 14 + 6);
    CHECK(challenge[14 + 6] == 0xC1);
  }

  TEST_CASE_FIXTURE(lan_rig, "lan refused: a replayed authenticated packet does not execute twice") {
    test_client c = admin_client();
    REQUIRE(login(c) == lan::client_event::active);
    REQUIRE(request(c, set_privilege_admin) == hex("1C 3B 00 04"));
    const std::size_t n = c.request(poke_request, buf);
    const test::bytes captured(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK_FALSE(send(captured).empty());
    CHECK(b.pokes == 1);
    CHECK(send(captured).empty());  // the same bytes again
    CHECK(b.pokes == 1);
    CHECK(srv.stats().replayed == 1);
    // Numbers outside the window are refused; an older unseen one inside it is accepted once.
    const std::uint32_t next = c.next_sequence() - 1;  // the highest accepted so far
    std::size_t m = c.request_with_sequence(poke_request, next + 15, buf);
    CHECK_FALSE(send(std::span(buf).first(m)).empty());  // +15: the highest now
    CHECK(b.pokes == 2);
    m = c.request_with_sequence(poke_request, next + 15 + 16, buf);
    CHECK(send(std::span(buf).first(m)).empty());  // 16 past the highest
    m = c.request_with_sequence(poke_request, next + 15 - 17, buf);
    CHECK(send(std::span(buf).first(m)).empty());  // 17 before it
    m = c.request_with_sequence(poke_request, next + 3, buf);
    const test::bytes late(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(m));
    CHECK_FALSE(send(late).empty());  // 12 before the highest, unseen: late, accepted
    CHECK(send(late).empty());
    m = c.request_with_sequence(poke_request, 0, buf);
    CHECK(send(std::span(buf).first(m)).empty());  // 0 is never a session's number
    CHECK(b.pokes == 3);
    CHECK(srv.stats().replayed == 5);
  }

  TEST_CASE_FIXTURE(lan_rig, "lan refused: a packet with a bad integrity code, or changed anywhere, or unprotected") {
    test_client c = admin_client();
    REQUIRE(login(c) == lan::client_event::active);
    REQUIRE(request(c, set_privilege_admin) == hex("1C 3B 00 04"));
    const std::size_t n = c.request(poke_request, buf);
    const test::bytes good(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    for (std::size_t at : {n - 1, std::size_t{20}, std::size_t{4 + 12 + 16}, std::size_t{5}}) {
      CAPTURE(at);
      test::bytes bad = good;
      bad[at] ^= 0x01;
      CHECK(send(bad).empty());
    }
    CHECK(b.pokes == 0);
    CHECK(srv.stats().bad_integrity + srv.stats().unprotected == 4);
    CHECK_FALSE(send(good).empty());  // the genuine packet still works: nothing was spent on the forgeries
    CHECK(b.pokes == 1);
  }

  TEST_CASE_FIXTURE(lan_rig, "lan refused: a packet for a session past its timeout is not answered even before poll() runs") {
    // ipmikit-bmc's loop may read a datagram before its timer fires (seen under ASan in CI): the
    // server must not answer a session that is already past its timeout.
    test_client c = admin_client();
    REQUIRE(login(c) == lan::client_event::active);
    now += 59s;
    CHECK_FALSE(request(c, get_channel_access_1).empty());  // in time: answered, the clock restarts
    now += 61s;                                             // no poll() in between
    CHECK(request(c, get_channel_access_1).empty());
    CHECK(srv.active_sessions() == 0);
    CHECK(h.count(lan::event_kind::session_timed_out) == 1);
    CHECK(srv.stats().sessions_timed_out == 1);
    srv.poll(now, h);  // nothing left to time out: the event is not repeated
    CHECK(h.count(lan::event_kind::session_timed_out) == 1);
    // A login whose RAKP 3 comes after the setup timeout (3 s here) is ended the same way: an
    // abandoned login, counted as an authentication failure.
    test_client late = admin_client();
    std::size_t n = late.open(buf);
    lan::client_result r = late.receive(send(std::span(buf).first(n)), buf);  // → RAKP 1
    REQUIRE(r.size != 0);
    r = late.receive(send(std::span(buf).first(r.size)), buf);  // RAKP 2 → RAKP 3
    REQUIRE(r.size != 0);
    REQUIRE(srv.session_state(late.bmc_session_id()) == test_server::state::authenticating);
    const int failures = h.count(lan::event_kind::auth_failed);
    now += 4s;  // no poll() in between
    const auto p4 = lan::parse_rakp34(lan::parse_packet(send(std::span(buf).first(r.size))).rmcpp.payload);
    REQUIRE(p4);
    CHECK(p4.value.status == lan::rmcpp_status::invalid_session_id);  // RAKP 4 refusing it, as for no session
    CHECK(srv.session_state(late.bmc_session_id()) == test_server::state::free);
    CHECK(h.count(lan::event_kind::auth_failed) == failures + 1);
    CHECK(srv.active_sessions() == 0);
  }

  TEST_CASE_FIXTURE(lan_rig, "lan refused: a session used after Close Session, after its timeout, or from another port") {
    test_client c = admin_client();
    REQUIRE(login(c) == lan::client_event::active);
    const std::size_t n = c.request(get_channel_access_1, buf);
    const test::bytes in_session(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    lan::endpoint other = console;
    other.port = 40001;
    CHECK(send(in_session, other).empty());  // another port: not this session's
    CHECK_FALSE(send(in_session).empty());
    // Timeout: 60 s idle.
    now += 59s;
    srv.poll(now, h);
    CHECK(srv.active_sessions() == 1);
    now += 2s;
    CHECK(srv.next_deadline().has_value());
    srv.poll(now, h);
    CHECK(srv.active_sessions() == 0);
    CHECK(h.events.back().kind == lan::event_kind::session_timed_out);
    CHECK(request(c, get_channel_access_1).empty());
    // Close Session, then the session's packets.
    test_client second = admin_client();
    REQUIRE(login(second) == lan::client_event::active);
    const std::size_t k = second.request(get_channel_access_1, buf);
    const test::bytes before_close(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(k));
    const std::size_t m = second.close(buf);
    REQUIRE_FALSE(send(std::span(buf).first(m)).empty());
    CHECK(send(before_close).empty());
    CHECK(srv.stats().unknown_session >= 3);
  }

  TEST_CASE_FIXTURE(lan_rig, "lan refused: after 5 failed logins from one address the next is throttled, even with the "
                             "right password; one more is allowed every 10 s") {
    for (int i = 0; i < 5; ++i) {
      test_client bad = admin_client(17, "wrong-pass");
      CHECK(login(bad) == lan::client_event::failed);
      now += 1s;
    }
    CHECK(srv.throttled(console, now));
    test_client good = admin_client();
    CHECK(login(good) == lan::client_event::failed);
    CHECK(good.failure() == lan::client_failure::open_refused);
    CHECK(good.status() == lan::rmcpp_status::insufficient_resources);
    // Another address is not affected.
    lan::endpoint elsewhere = console;
    elsewhere.address[15] = 2;
    test_client other = admin_client();
    CHECK(login(other, elsewhere) == lan::client_event::active);
    // 10 s after the last failure one attempt is back; a success forgets the rest.
    now += 6s;
    CHECK(srv.throttled(console, now));
    now += 5s;
    CHECK_FALSE(srv.throttled(console, now));
    test_client again = admin_client();
    CHECK(login(again) == lan::client_event::active);
    CHECK_FALSE(srv.throttled(console, now));
  }

  TEST_CASE_FIXTURE(lan_rig, "lan refused: RAKP 2s left unanswered (a wrong password in ipmitool, or a harvester of "
                             "RAKP 2 codes) count as failures after 1 s, and are logged as abandoned") {
    const auto stop_after_rakp2 = [&](test_client& c) {
      std::size_t n = c.open(buf);
      const lan::client_result r = c.receive(send(std::span(buf).first(n)), buf);
      REQUIRE(r.size != 0);
      n = r.size;
      CHECK(lan::parse_rakp2(lan::parse_packet(send(std::span(buf).first(n))).rmcpp.payload).value.status ==
            lan::rmcpp_status::ok);
    };
    for (int i = 0; i < 5; ++i) {
      test_client c = admin_client();
      stop_after_rakp2(c);
    }
    CHECK_FALSE(srv.throttled(console, now));  // a console answers RAKP 2 within milliseconds: not yet
    now += 900ms;
    CHECK_FALSE(srv.throttled(console, now));
    now += 200ms;
    CHECK(srv.throttled(console, now));
    test_client good = admin_client();
    CHECK(login(good) == lan::client_event::failed);
    CHECK(good.status() == lan::rmcpp_status::insufficient_resources);
    // At the setup timeout each becomes a failure of its own, logged.
    now += 2s;
    srv.poll(now, h);
    // The table holds 4: the fifth login took the first's slot (evicted, counted as abandoned).
    CHECK(h.count(lan::event_kind::session_evicted) == 1);
    CHECK(h.count(lan::event_kind::auth_failed) == 4);
    CHECK(h.events.back().failure == lan::auth_failure::abandoned);
    CHECK(srv.throttled(console, now));
    now += 50s;
    CHECK_FALSE(srv.throttled(console, now));
  }

  TEST_CASE_FIXTURE(lan_rig, "lan server: an operator's session cannot rise to administrator") {
    test_client c(lan::openssl_crypto{}, {.user = "op", .password = "op-pass-123", .suite = 17});
    REQUIRE(login(c) == lan::client_event::active);
    CHECK(request(c, set_privilege_admin) == hex("1C 3B 81"));
    CHECK(request(c, hex("18 3B 03")) == hex("1C 3B 00 03"));
    CHECK(request(c, poke_request) == hex("C4 01 00"));
    CHECK(request(c, hex("18 45 04 78 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")).at(2) == 0xD4);  // Set User Name
  }

  TEST_CASE_FIXTURE(lan_rig, "lan server: a full table drops the oldest login still in setup, never an active session") {
    std::vector<test_client> active;
    for (int i = 0; i < 3; ++i) {
      active.push_back(admin_client());
      REQUIRE(login(active.back()) == lan::client_event::active);
    }
    // Two Open Sessions for the last slot: the second takes it from the first.
    test_client a = admin_client(), b2 = admin_client();
    const std::size_t na = a.open(buf);
    REQUIRE_FALSE(send(std::span(buf).first(na)).empty());
    const std::size_t nb = b2.open(buf);
    const test::bytes rb = send(std::span(buf).first(nb));
    CHECK(lan::parse_open_session_response(lan::parse_packet(rb).rmcpp.payload).value.status == lan::rmcpp_status::ok);
    CHECK(srv.stats().sessions_evicted == 1);
    CHECK(srv.active_sessions() == 3);
    // b2 goes on to RAKP 2 and stops there; a complete login takes its slot (the oldest in setup).
    const lan::client_result r1 = b2.receive(rb, buf);
    REQUIRE(r1.size != 0);
    REQUIRE_FALSE(send(std::span(buf).first(r1.size)).empty());
    now += 1s;
    test_client e = admin_client();
    REQUIRE(login(e) == lan::client_event::active);
    CHECK(srv.stats().sessions_evicted == 2);
    // Now all 4 are active: a fifth is refused.
    test_client f = admin_client();
    CHECK(login(f) == lan::client_event::failed);
    CHECK(f.status() == lan::rmcpp_status::insufficient_resources);
    CHECK(srv.stats().table_full == 1);
    for (auto& c : active) CHECK(request(c, hex("18 3B 00")) == hex("1C 3B 00 02"));
  }
}

TEST_SUITE("lan") {
  TEST_CASE("lan rmcp: a LAN response fits a buffer of exactly its size, and a largest one (255 data bytes) is written") {
    lan::lan_request q;
    q.body_size = 2;
    q.body[0] = 0x18;
    q.body[1] = 0x01;
    q.sequence = 5;
    test::bytes body(3 + 254, 0x5A);  // netFn/LUN, command, cc, 254 data bytes
    body[0] = 0x1C;
    body[1] = 0x01;
    body[2] = 0x00;
    std::vector<std::uint8_t> out(body.size() + 5);  // rqAddr, netFn, chk1, rsAddr, seq: then cmd … data, chk2
    CHECK(lan::encode_lan_response(q, body, out) == out.size());
    CHECK(checksum_ok(std::span(out).first(3)));
    CHECK(checksum_ok(std::span(out).subspan(3)));
    CHECK(out[4] == (5 << 2));
    out.pop_back();
    CHECK(lan::encode_lan_response(q, body, out) == 0);  // one byte short: refused, nothing claimed
    std::array<std::uint8_t, lan::max_ipmi_payload> largest{};
    body.push_back(0x5A);  // 255 data bytes
    CHECK(lan::encode_lan_response(q, body, largest) == body.size() + 5);
  }
}

TEST_SUITE("lan") {
  TEST_CASE_FIXTURE(lan_rig, "lan client: a late answer to an earlier request (a retry's first attempt) is not taken "
                             "for the last one") {
    test_client c = admin_client();
    REQUIRE(login(c) == lan::client_event::active);
    std::size_t n = c.request(get_channel_access_1, buf);
    const test::bytes first_answer = send(std::span(buf).first(n));  // its answer arrives "late"
    n = c.request(hex("18 3B 00"), buf);
    const test::bytes second_answer = send(std::span(buf).first(n));
    CHECK(c.receive(first_answer, buf).event == lan::client_event::ignored);
    REQUIRE(c.receive(second_answer, buf).event == lan::client_event::response);
    CHECK(test::bytes(c.response().begin(), c.response().end()) == hex("1C 3B 00 02"));
  }
}

TEST_SUITE("lan") {
  TEST_CASE("lan openssl_crypto: one object re-keyed call after call, its copy and a moved-to object agree with fresh ones") {
    const auto mac = [](lan::openssl_crypto& c, lan::hash h, std::string_view key, std::string_view data) {
      std::array<std::uint8_t, 32> out{};
      const auto k = std::span(reinterpret_cast<const std::uint8_t*>(key.data()), key.size());
      const auto d = std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
      REQUIRE(c.hmac(h, k, d, out));
      return out;
    };
    lan::openssl_crypto reused;
    for (const lan::hash h : {lan::hash::sha1, lan::hash::sha256}) {
      for (const std::string_view key : {"key one", "", "a much longer key of twenty-odd bytes", "key one"}) {
        lan::openssl_crypto fresh;
        CHECK(mac(reused, h, key, "data") == mac(fresh, h, key, "data"));
        lan::openssl_crypto copy(reused);
        CHECK(mac(copy, h, key, "more data") == mac(fresh, h, key, "more data"));
        lan::openssl_crypto moved(std::move(copy));
        CHECK(mac(moved, h, key, "data") == mac(fresh, h, key, "data"));
      }
    }
    // AES on one object, key and direction changing every call.
    const std::array<std::uint8_t, 16> k1{1}, k2{2}, iv{3};
    const std::array<std::uint8_t, 32> plain{4, 5, 6};
    std::array<std::uint8_t, 32> a{}, b{}, back{};
    REQUIRE(reused.aes128_cbc_encrypt(k1, iv, plain, a));
    REQUIRE(reused.aes128_cbc_encrypt(k2, iv, plain, b));
    CHECK(a != b);
    REQUIRE(reused.aes128_cbc_decrypt(k1, iv, a, back));
    CHECK(back == plain);
    REQUIRE(reused.aes128_cbc_decrypt(k2, iv, b, back));
    CHECK(back == plain);
  }
}

TEST_SUITE("lan") {
  TEST_CASE_FIXTURE(lan_rig, "lan server: the table of failing sources is bounded (64) and, when full, forgets the "
                             "source with the most attempts left, never a throttled one") {
    const auto from = [](int i) {
      lan::endpoint e = console;
      e.address[14] = static_cast<std::uint8_t>(i >> 8);
      e.address[15] = static_cast<std::uint8_t>(i);
      return e;
    };
    for (int k = 0; k < 5; ++k) {
      test_client bad = admin_client(17, "wrong-pass");
      CHECK(login(bad, from(1)) == lan::client_event::failed);
    }
    CHECK(srv.throttled(from(1), now));
    // 100 more sources, one failure each: more than the table holds.
    for (int i = 2; i < 102; ++i) {
      test_client bad = admin_client(17, "wrong-pass");
      CHECK(login(bad, from(i)) == lan::client_event::failed);
    }
    CHECK(srv.throttled(from(1), now));  // still remembered
    CHECK(srv.stats().auth_failures == 105);
    test_client good = admin_client();
    CHECK(login(good, from(101)) == lan::client_event::active);  // one failure is not a throttle
  }
}

namespace {

/// One SOL packet from a client in its session; what the server answers (a SOL payload, or
/// nothing).
template <class Rig>
test::bytes sol_exchange(Rig& r, test_client& c, const test::bytes& payload, const lan::endpoint& from = console) {
  const std::size_t n = c.send_sol(payload, r.buf);
  REQUIRE(n != 0);
  const test::bytes answer = r.send(std::span(r.buf).first(n), from);
  if (answer.empty()) return {};
  const lan::client_result got = c.receive(answer, r.buf);
  if (got.event != lan::client_event::sol) return {};
  return test::bytes(c.sol_payload().begin(), c.sol_payload().end());
}

const test::bytes activate_sol = {0x18, 0x48, 0x01, 0x01, 0xC6, 0x00, 0x00, 0x00};  // ipmitool's, sol.md §4
const test::bytes deactivate_sol = {0x18, 0x49, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00};

}  // namespace

TEST_SUITE("lan") {
  TEST_CASE_FIXTURE(sol_rig, "lan sol server: Activate Payload as ipmitool sends it, characters both ways, Deactivate") {
    test_client c = admin_client();
    REQUIRE(login(c) == lan::client_event::active);
    // Before activation a SOL packet is dropped.
    CHECK(sol_exchange(*this, c, hex("01 00 00 00 61")).empty());
    CHECK(h.serial.empty());
    // 12 data bytes: aux, inbound and outbound sizes 259 (LS first), the port, no VLAN.
    CHECK(request(c, activate_sol) == hex("1C 48 00 00 00 00 00 03 01 03 01 6F 02 FF FF"));
    CHECK(h.count(lan::event_kind::sol_activated) == 1);
    CHECK(h.events.back().session_id == c.bmc_session_id());  // what encode_sol is given
    CHECK(h.sol.active());
    CHECK(srv.sol_session(7) == c.bmc_session_id());
    CHECK(request(c, hex("18 4A 01")) == hex("1C 4A 00 01 01 00"));  // Get Payload Activation Status: instance 1 active
    // Console → serial, acknowledged with the count.
    CHECK(sol_exchange(*this, c, test::cat({hex("01 00 00 00"), test::bytes{'l', 's', '\r'}})) == hex("00 01 03 00"));
    CHECK(h.serial == test::bytes{'l', 's', '\r'});
    // Serial → console: the instance's packet goes out in the session that holds it.
    const test::bytes out = {'o', 'k'};
    REQUIRE(h.sol.write(out, now) == 2);
    std::array<std::uint8_t, lan::sol_max_payload> payload{};
    const std::size_t pn = h.sol.poll(now + 1s, payload);
    REQUIRE(pn == 6);
    const lan::outbound o = srv.encode_sol(c.bmc_session_id(), std::span(payload).first(pn), reply);
    REQUIRE(o.size != 0);
    CHECK(o.to == console);
    REQUIRE(c.receive(std::span(reply).first(o.size), buf).event == lan::client_event::sol);
    CHECK(test::bytes(c.sol_payload().begin(), c.sol_payload().end()) == hex("01 00 00 00 6F 6B"));
    CHECK(srv.encode_sol(0, std::span(payload).first(pn), reply).size == 0);  // no such session
    // Deactivate: the instance stops; a second Deactivate says it already is.
    CHECK(request(c, deactivate_sol) == hex("1C 49 00"));
    CHECK(h.count(lan::event_kind::sol_deactivated) == 1);
    CHECK(!h.sol.active());
    CHECK(request(c, deactivate_sol) == hex("1C 49 80"));
    CHECK(srv.encode_sol(c.bmc_session_id(), std::span(payload).first(pn), reply).size == 0);  // holds none now
    CHECK(request(c, hex("18 4A 01")) == hex("1C 4A 00 01 00 00"));
    CHECK(sol_exchange(*this, c, test::cat({hex("02 00 00 00"), test::bytes{'x'}})).empty());
    CHECK(srv.stats().sol_packets == 1);
  }

  TEST_CASE_FIXTURE(sol_rig, "lan sol refused: a second activation on another session (80h, what ipmitool reports as "
                             "'already active'), which may deactivate it") {
    test_client first = admin_client();
    REQUIRE(login(first) == lan::client_event::active);
    lan::endpoint other = console;
    other.port = 40001;
    test_client second(lan::openssl_crypto{}, {.user = "op", .password = "op-pass-123", .console_session_id = 0x11223344});
    REQUIRE(login(second, other) == lan::client_event::active);
    REQUIRE(request(first, activate_sol).at(2) == 0x00);
    CHECK(request(second, activate_sol, other) == hex("1C 48 80"));
    CHECK(request(first, activate_sol) == hex("1C 48 80"));  // the holder itself: already active
    CHECK(request(second, hex("18 4B 01 01"), other) ==
          test::cat({hex("1C 4B 00"), test::bytes{static_cast<std::uint8_t>(first.bmc_session_id()),
                                                  static_cast<std::uint8_t>(first.bmc_session_id() >> 8),
                                                  static_cast<std::uint8_t>(first.bmc_session_id() >> 16),
                                                  static_cast<std::uint8_t>(first.bmc_session_id() >> 24)},
                                     test::bytes(8, 0)}));
    // `ipmitool sol deactivate` from another session frees it; the first session's SOL packets are dropped.
    CHECK(request(second, deactivate_sol, other) == hex("1C 49 00"));
    CHECK(sol_exchange(*this, first, test::cat({hex("01 00 00 00"), test::bytes{'x'}})).empty());
    CHECK(request(second, activate_sol, other).at(2) == 0x00);
    CHECK(srv.sol_session(7) == second.bmc_session_id());
  }

  TEST_CASE_FIXTURE(sol_rig, "lan sol refused: activation without encryption (84h), of another payload or instance "
                             "(CCh), with bad lengths (C7h), and what the handler refuses (SOL disabled, privilege)") {
    test_client c = admin_client();
    REQUIRE(login(c) == lan::client_event::active);
    CHECK(request(c, hex("18 48 01 01 40 00 00 00")) == hex("1C 48 84"));  // authenticate, not encrypt
    CHECK(request(c, hex("18 48 00 01 C6 00 00 00")) == hex("1C 48 CC"));  // payload type IPMI
    CHECK(request(c, hex("18 48 01 02 C6 00 00 00")) == hex("1C 48 CC"));  // instance 2
    CHECK(request(c, hex("18 48 01 01 C6 00 00")) == hex("1C 48 C7"));
    CHECK(request(c, hex("18 49 01 01")) == hex("1C 49 C7"));
    CHECK(request(c, hex("18 4A")) == hex("1C 4A C7"));
    h.grant = {static_cast<completion_code>(0x81), 623};
    CHECK(request(c, activate_sol) == hex("1C 48 81"));
    h.grant = {completion_code::insufficient_privilege, 623};
    CHECK(request(c, activate_sol) == hex("1C 48 D4"));
    CHECK(h.count(lan::event_kind::sol_activated) == 0);
    CHECK(srv.sol_session(7) == 0);
  }

  TEST_CASE_FIXTURE(sol_rig, "lan sol: the instance ends with its session (Close Session, the timeout), and a "
                             "replayed SOL packet is not applied twice") {
    test_client c = admin_client();
    REQUIRE(login(c) == lan::client_event::active);
    REQUIRE(request(c, activate_sol).at(2) == 0x00);
    const test::bytes typed = test::cat({hex("01 00 00 00"), test::bytes{'y', '\r'}});
    const std::size_t n = c.send_sol(typed, buf);
    const test::bytes datagram(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK(!send(datagram).empty());
    CHECK(send(datagram).empty());  // the session's sequence window drops the copy
    CHECK(h.serial == test::bytes{'y', '\r'});
    CHECK(srv.stats().replayed == 1);
    now += 61s;
    srv.poll(now, h);
    CHECK(h.count(lan::event_kind::session_timed_out) == 1);
    CHECK(h.count(lan::event_kind::sol_deactivated) == 1);
    CHECK(!h.sol.active());
    CHECK(srv.sol_session(7) == 0);
    test_client again = admin_client();
    REQUIRE(login(again) == lan::client_event::active);
    REQUIRE(request(again, activate_sol).at(2) == 0x00);
    const std::size_t cn = again.close(buf);
    CHECK(!send(std::span(buf).first(cn)).empty());
    CHECK(h.count(lan::event_kind::sol_deactivated) == 2);
    CHECK(srv.sol_session(7) == 0);
  }
}
