// fuzz/fuzz_lan_server.cpp — lan::server (lan/server.hpp) before any login: a server of 4
// sessions with a manual clock and counting_crypto (fuzz_lan.hpp: deterministic random bytes,
// so the first Open Session gets BMC session ID 0001'0000h + slot), its handler a bmc::dispatcher
// with bmc::users ("admin" / "s3cret-pass", "op" / "op-pass-123"), fed datagrams from four
// sources (two ports of one address, two other addresses) and two local sockets, clock jumps and
// polls. Nobody here knows a password's HMAC, so no login can succeed.
//
// Input: operations, an op byte each (op % 8) and its operands (at most 128 operations):
//   0 a raw datagram [src] [n] n bytes (n + 256 when op b7)
//   1 the clock jumps [hi] [lo] x 50 ms; then poll() when op b7
//   2 poll()
//   3 Open Session Request [src] [tag] [privilege] [auth] [integrity] [confidentiality] [flags]:
//     flags b0-b2 propose each algorithm (else length 0, "BMC picks"), b3 drop the absent ones
//     from the end, b6 console session ID 0
//   4 RAKP 1 [src] [which ID] [role] [name] [tag]: ID k-th last the server handed out (or a
//     made-up one); name 0 "admin", 1 "op", 2 "nobody", 3 empty, 4 "admin" zero-padded to 16,
//     else (name − 5) % 20 bytes from the input
//   5 RAKP 3 [src] [which ID] [status] [code size] code bytes [tag]
//   6 a session-less request [src] [form: b0 IPMI 1.5, else RMCP+] [n] n body bytes (netFn/LUN,
//     command, data; ≥ 2 bytes)
//   7 a session packet, unauthenticatable [src] [which ID] [payload type byte] [seq] [n] n
//     payload bytes [t] t trailer bytes
// [src]: b0-1 the endpoint, b2 the local socket (0 or 1).
//
// Checked after every step (std::abort on failure):
// - every reply is at most max_packet_size bytes (written into a heap buffer of exactly that
//   size: ASan sees a write past it), parses with parse_packet (an ASF pong equals
//   encode_asf_pong's), is session-less (no AuthCode, session ID 0), and its payload parses as
//   its type says: a LAN response with good checksums, an Open Session Response, RAKP 2, RAKP 4;
// - a datagram parse_packet refuses is counted malformed and unanswered; a ping is answered
//   with the pong of its tag; stats().datagrams counts every datagram;
// - an Open Session Response with status ok names a session in state opened; a RAKP 2 with
//   status ok leaves its session authenticating; a RAKP 4 never says ok;
// - no session is ever active: stats().sessions_opened == 0, active_sessions() == 0, no
//   session_opened event, the handler's dispatch() (a session's request) never called;
//   at most 4 sessions in setup;
// - auth_failed events ≤ stats().auth_failures ≤ those + sessions_evicted (an evicted login in
//   RAKP 2 counts as a failure without an event); throttled events ≤ stats().throttled;
// - every counter only grows; after poll(now), next_deadline() is nothing or later than now.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz_lan.hpp"

namespace {

using namespace ipmikit;
using namespace ipmikit::fuzz_lan;

constexpr std::size_t max_operations = 128;

struct harness {
  lan_bmc b;
  lan_dispatcher d;
  handler h{&b, &d};
  server_type srv{counting_crypto{}, config()};
  time_point now = time_point{} + std::chrono::hours(1);
  std::vector<std::uint32_t> ids;  // the BMC session IDs handed out, in order
  std::vector<std::uint8_t> reply = std::vector<std::uint8_t>(lan::max_packet_size);
  lan::server_stats last{};

  static server_type::config config() {
    server_type::config c;
    c.session_timeout = std::chrono::seconds(60);
    c.setup_timeout = std::chrono::seconds(10);
    c.failure_burst = 5;
    c.failure_refill = std::chrono::seconds(10);
    return c;
  }

  harness() { provision(b, d); }

  [[nodiscard]] std::uint32_t pick_id(std::uint8_t which) const {
    if (which >= 0xF0) return 0x00010000u + (which & 0x0Fu);  // made up: a likely ID, slot 0-15
    if (ids.empty()) return 0x00010000u;
    return ids[ids.size() - 1 - which % ids.size()];
  }

  void send(std::span<const std::uint8_t> datagram, std::uint8_t src) {
    const lan::endpoint& from = endpoints[src & 3u];
    const std::uint32_t local = (src >> 2) & 1u;
    const lan::packet in = lan::parse_packet(datagram);
    const std::size_t n = srv.receive(datagram, from, local, now, h, std::span<std::uint8_t>(reply));
    FUZZ_CHECK(n <= reply.size());
    const lan::server_stats& s = srv.stats();
    FUZZ_CHECK(s.datagrams == last.datagrams + 1);
    if (in.kind == lan::packet_kind::invalid) FUZZ_CHECK(n == 0 && s.malformed == last.malformed + 1);
    if (in.kind == lan::packet_kind::asf_ping) FUZZ_CHECK(n != 0 && reply[9] == in.asf_tag);
    if (n != 0) {
      const reply_info r = check_reply(std::span<const std::uint8_t>(reply).first(n));
      FUZZ_CHECK(!r.in_session);
      FUZZ_CHECK(r.pong == (in.kind == lan::packet_kind::asf_ping));
      if (r.p.kind == lan::packet_kind::rmcpp) check_setup_reply(r.p.rmcpp, in);
    }
    check_invariants();
  }

  void check_setup_reply(const lan::rmcpp_fields& f, const lan::packet& in) {
    switch (f.type) {
      case lan::payload_type::open_session_response: {
        FUZZ_CHECK(in.rmcpp.type == lan::payload_type::open_session_request);
        const auto r = lan::parse_open_session_response(f.payload);
        FUZZ_CHECK(r && r.value.console_session_id == lan::parse_open_session_request(in.rmcpp.payload).value.console_session_id);
        if (r.value.status == lan::rmcpp_status::ok) {
          FUZZ_CHECK(srv.session_state(r.value.bmc_session_id) == server_type::state::opened);
          FUZZ_CHECK(r.value.max_privilege >= 1 && r.value.max_privilege <= 4);
          FUZZ_CHECK(lan::find_suite(r.value.authentication, r.value.integrity, r.value.confidentiality) != nullptr);
          ids.push_back(r.value.bmc_session_id);
          if (ids.size() > 16) ids.erase(ids.begin());
        } else {
          FUZZ_CHECK(srv.stats().open_refused == last.open_refused + 1);
        }
        break;
      }
      case lan::payload_type::rakp2: {
        FUZZ_CHECK(in.rmcpp.type == lan::payload_type::rakp1);
        const auto r = lan::parse_rakp2(f.payload);
        if (r.value.status == lan::rmcpp_status::ok) {
          const auto rq = lan::parse_rakp1(in.rmcpp.payload);
          FUZZ_CHECK(rq);
          FUZZ_CHECK(srv.session_state(rq.value.bmc_session_id) == server_type::state::authenticating);
          FUZZ_CHECK(r.value.bmc_guid == bmc_guid);
          const std::size_t code = r.value.auth_code.size();
          FUZZ_CHECK(code == 20 || code == 32);
        }
        break;
      }
      case lan::payload_type::rakp4: {
        FUZZ_CHECK(in.rmcpp.type == lan::payload_type::rakp3);
        const auto r = lan::parse_rakp34(f.payload);
        FUZZ_CHECK(r.value.status != lan::rmcpp_status::ok && r.value.code.empty());
        break;
      }
      case lan::payload_type::ipmi: FUZZ_CHECK(in.rmcpp.type == lan::payload_type::ipmi); break;
      default: FUZZ_CHECK(false);
    }
  }

  void check_invariants() {
    const lan::server_stats& s = srv.stats();
    FUZZ_CHECK(s.sessions_opened == 0 && s.requests == 0 && s.sessions_closed == 0 && s.sessions_timed_out == 0);
    FUZZ_CHECK(srv.active_sessions() == 0 && srv.active_sessions(target_id) == 0);
    FUZZ_CHECK(h.count(lan::event_kind::session_opened) == 0 && h.dispatched == 0);
    FUZZ_CHECK(h.count(lan::event_kind::auth_failed) <= s.auth_failures);
    FUZZ_CHECK(s.auth_failures <= h.count(lan::event_kind::auth_failed) + s.sessions_evicted);
    FUZZ_CHECK(h.count(lan::event_kind::throttled) <= s.throttled);
    std::size_t in_setup = 0;  // the distinct IDs still in setup (an ID may come again: slot + 16 random bits)
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const auto st = srv.session_state(ids[i]);
      FUZZ_CHECK(st != server_type::state::active);
      const bool again = std::find(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(i), ids[i]) !=
                         ids.begin() + static_cast<std::ptrdiff_t>(i);
      in_setup += st != server_type::state::free && !again ? 1 : 0;
    }
    FUZZ_CHECK(in_setup <= server_type::max_sessions);
    // Every counter only grows.
    const std::uint64_t before[] = {last.malformed, last.asf_pings, last.sessionless, last.ipmi15_refused,
                                    last.open_refused, last.sessions_evicted, last.table_full, last.auth_failures,
                                    last.throttled, last.unknown_session, last.unprotected, last.bad_integrity,
                                    last.bad_encryption, last.replayed, last.bad_messages};
    const std::uint64_t after[] = {s.malformed, s.asf_pings, s.sessionless, s.ipmi15_refused, s.open_refused,
                                   s.sessions_evicted, s.table_full, s.auth_failures, s.throttled, s.unknown_session,
                                   s.unprotected, s.bad_integrity, s.bad_encryption, s.replayed, s.bad_messages};
    for (std::size_t i = 0; i < std::size(before); ++i) FUZZ_CHECK(after[i] >= before[i]);
    last = s;
  }

  void poll() {
    srv.poll(now, h);
    const auto deadline = srv.next_deadline();
    FUZZ_CHECK(!deadline || *deadline > now);
    check_invariants();
  }

  // --- the operations --------------------------------------------------------------------

  void open_session(fuzz::reader& in) {
    const std::uint8_t src = in.u8();
    lan::open_session_request r;
    r.tag = in.u8();
    r.max_privilege = in.u8();
    r.authentication.algorithm = in.u8();
    r.integrity.algorithm = in.u8();
    r.confidentiality.algorithm = in.u8();
    const std::uint8_t flags = in.u8();
    r.authentication.proposed = (flags & 1u) != 0;
    r.integrity.proposed = (flags & 2u) != 0;
    r.confidentiality.proposed = (flags & 4u) != 0;
    r.console_session_id = (flags & 0x40u) != 0 ? 0 : 0xA0A2A3A4u;
    std::array<std::uint8_t, lan::open_session_request_size> body{};
    std::size_t size = lan::encode_open_session_request(r, body);
    if ((flags & 8u) != 0) {  // leave out the "BMC picks" payloads at the end
      while (size > 8 && body[size - 8 + 3] == 0) size -= 8;
    }
    std::array<std::uint8_t, 64> packet{};
    const std::size_t n = lan::encode_rmcpp_plain(lan::payload_type::open_session_request, 0, 0,
                                                  std::span<const std::uint8_t>(body).first(size), packet);
    send(std::span<const std::uint8_t>(packet).first(n), src);
  }

  void rakp1(fuzz::reader& in) {
    const std::uint8_t src = in.u8();
    lan::rakp1 m;
    m.bmc_session_id = pick_id(in.u8());
    m.role = in.u8();
    const std::uint8_t name = in.u8();
    m.tag = in.u8();
    for (std::size_t i = 0; i < 16; ++i) m.console_random[i] = static_cast<std::uint8_t>(0x40 + i);
    const auto set_name = [&m](std::string_view s) {
      for (std::size_t i = 0; i < s.size(); ++i) m.name[i] = static_cast<std::uint8_t>(s[i]);
      m.name_size = static_cast<std::uint8_t>(s.size());
    };
    std::size_t padding = 0;
    switch (name) {
      case 0: set_name("admin"); break;
      case 1: set_name("op"); break;
      case 2: set_name("nobody"); break;
      case 3: set_name(""); break;
      case 4: set_name("admin"); padding = 11; break;
      default: {
        const auto raw = in.take((name - 5u) % 20u);
        m.name_size = static_cast<std::uint8_t>(raw.size() > 16 ? 16 : raw.size());
        for (std::size_t i = 0; i < m.name_size; ++i) m.name[i] = raw[i];
        if (raw.size() > 16) padding = raw.size() - 16;  // longer than the name says: too long
        break;
      }
    }
    std::array<std::uint8_t, lan::rakp1_min_size + 2 * lan::max_user_name> body{};
    const std::size_t size = lan::encode_rakp1(m, body);
    FUZZ_CHECK(size != 0);
    std::array<std::uint8_t, 96> packet{};
    const std::size_t n = lan::encode_rmcpp_plain(lan::payload_type::rakp1, 0, 0,
                                                  std::span<const std::uint8_t>(body).first(size + padding), packet);
    send(std::span<const std::uint8_t>(packet).first(n), src);
  }

  void rakp3(fuzz::reader& in) {
    const std::uint8_t src = in.u8();
    lan::rakp34 m;
    m.session_id = pick_id(in.u8());
    m.status = static_cast<lan::rmcpp_status>(in.u8() % 0x14u);
    const std::uint8_t size = in.u8();
    static constexpr std::size_t sizes[] = {20, 32, 16, 0, 12, 33};
    const auto code = in.take(sizes[size % std::size(sizes)]);
    m.code = code;
    m.tag = in.u8();
    std::array<std::uint8_t, 8 + 40> body{};
    const std::size_t size_of_body = lan::encode_rakp34(m, body);
    std::array<std::uint8_t, 96> packet{};
    const std::size_t n = lan::encode_rmcpp_plain(lan::payload_type::rakp3, 0, 0,
                                                  std::span<const std::uint8_t>(body).first(size_of_body), packet);
    send(std::span<const std::uint8_t>(packet).first(n), src);
  }

  void sessionless(fuzz::reader& in) {
    const std::uint8_t src = in.u8();
    const std::uint8_t form = in.u8();
    std::array<std::uint8_t, 2 + 255> body{0x18, 0x38};
    const auto data = in.take(in.u8());
    std::size_t size = 2;
    if (data.size() >= 2) {
      size = data.size();
      for (std::size_t i = 0; i < size; ++i) body[i] = data[i];
    }
    std::array<std::uint8_t, lan::max_ipmi_payload> message{};
    const std::size_t m = lan::encode_lan_request(std::span<const std::uint8_t>(body).first(size), form >> 2, message);
    FUZZ_CHECK(m != 0);
    std::array<std::uint8_t, lan::max_packet_size> packet{};
    const auto msg = std::span<const std::uint8_t>(message).first(m);
    const std::size_t n = (form & 1u) != 0 ? lan::encode_ipmi15(msg, packet)
                                           : lan::encode_rmcpp_plain(lan::payload_type::ipmi, 0, 0, msg, packet);
    if (n == 0) {  // only an IPMI 1.5 header cannot carry it: its length is one byte
      FUZZ_CHECK((form & 1u) != 0 && m > 255);
      return;
    }
    const std::uint64_t before = srv.stats().sessionless;
    send(std::span<const std::uint8_t>(packet).first(n), src);
    // A well-formed session-less request is answered exactly when the dispatcher answers it.
    FUZZ_CHECK(srv.stats().sessionless <= before + 1);
  }

  void session_packet(fuzz::reader& in) {
    const std::uint8_t src = in.u8();
    const std::uint32_t id = pick_id(in.u8());
    const std::uint8_t type = in.u8();
    const std::uint8_t seq = in.u8();
    const auto payload = in.take(in.u8());
    const auto trailer = in.take(in.u8());
    std::vector<std::uint8_t> packet(lan::rmcp_header_size + lan::rmcpp_header_size + payload.size());
    const std::size_t n = lan::encode_rmcpp_plain(lan::payload_type::ipmi, id, seq, payload, packet);
    FUZZ_CHECK(n == packet.size());
    packet[5] = type;
    packet.insert(packet.end(), trailer.begin(), trailer.end());
    send(packet, src);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::reader in({data, size});
  harness t;
  for (std::size_t step = 0; step < max_operations && !in.empty(); ++step) {
    const std::uint8_t op = in.u8();
    switch (op % 8u) {
      case 0: {
        const std::uint8_t src = in.u8();
        const std::size_t n = in.u8() + ((op & 0x80u) != 0 ? 256u : 0u);
        t.send(in.take(n), src);
        break;
      }
      case 1: {
        const unsigned hi = in.u8();
        const unsigned lo = in.u8();
        t.now += std::chrono::milliseconds(50) * (hi << 8 | lo);
        if ((op & 0x80u) != 0) t.poll();
        break;
      }
      case 2: t.poll(); break;
      case 3: t.open_session(in); break;
      case 4: t.rakp1(in); break;
      case 5: t.rakp3(in); break;
      case 6: t.sessionless(in); break;
      case 7: t.session_packet(in); break;
      default: break;
    }
  }
  return 0;
}
