// fuzz/fuzz_lan_session.cpp — lan::server (lan/server.hpp) after a login: every run logs a
// lan::client in (fuzz_lan.hpp's counting_crypto on both sides, so the session ID, the keys and
// every IV are the same in every run), then the input drives the session: requests the client
// authenticates and encrypts with the real keys (reaching the dispatcher, Set Session Privilege
// Level and Close Session), packets with a chosen sequence number, raw datagrams, the last good
// packet mutated and sent again, clock jumps and polls.
//
// Input: a setup byte (b0: cipher suite 3, else 17; b1: user "op", else "admin"), then
// operations, an op byte each (op % 6) and its operands (at most 64 operations):
//   0 a request [n] n body bytes (netFn/LUN, command, data; fewer than 2: the OEM poke);
//     from another port or address when op b7
//   1 a request with a chosen sequence number [d] [n] n body bytes: the model's highest + int8 d,
//     or, when op b7, 4 more bytes [s0..s3]: that number (little-endian)
//   2 a raw datagram [src] [n] n bytes (n + 256 when op b7)
//   3 the last packet the client made, mutated: [mode] [pos hi] [pos lo] [x]: mode % 3 = 0 XOR
//     the byte at pos (mod size) with x (0: 01h), 1 cut to pos (mod size) bytes, 2 append x
//   4 the clock jumps [hi] [lo] x 100 ms, then poll()
//   5 Close Session from the client (client.close())
//
// Checked after every step (std::abort on failure), against a model of the session:
// - the login succeeds, the server holds one active session with the client's BMC session ID;
// - a packet of the session from its own address and port gets an answer exactly when the
//   model's sequence window (lan.md §10: not 0, new, within −16…+15 of the highest accepted
//   number; any number first) accepts it and the session is open, and the dispatcher answered
//   (Set Session Privilege and Close Session always are); stats().requests counts those,
//   stats().replayed the refused ones; from another source it gets no answer (unknown_session);
//   a request with a response's netFn spends its number and counts as bad_messages;
// - every answer the client reads is a response (its AuthCode verifies under the client's
//   keys) to the request: the request's netFn + 1 and command, a completion code;
// - the OEM poke (operator) runs only for an accepted packet whose answer says success, once:
//   a replayed or mutated packet never runs it again; without data it succeeds exactly while
//   the session's privilege (the model's: User after login, what Set Session Privilege
//   granted) is operator or more;
// - a mutated packet (any byte the AuthCode covers, or cut, or longer) gets no answer and one
//   of malformed / unknown_session / unprotected / bad_integrity / bad_encryption /
//   ipmi15_refused counts it; RMCP header bytes 1-2 and class bits 5-6, which no AuthCode
//   covers, leave the same packet: the window decides, as for a re-sent one;
// - no raw datagram gets an answer of the session (no forgery); every reply parses;
// - the session closes only by Close Session (its answer is success) or poll() at least 60 s
//   after its last accepted packet; active_sessions() is 1 while open, 0 after.
#include <algorithm>
#include <array>
#include <memory>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz_lan.hpp"

namespace {

using namespace ipmikit;
using namespace ipmikit::fuzz_lan;

constexpr std::size_t max_operations = 64;
constexpr std::array<std::uint8_t, 2> poke_body{oem_netfn << 2, poke_command};

/// lan.md §10's window, written from the rule: the numbers accepted so far and the highest.
struct window_model {
  std::uint32_t highest = 0;
  std::vector<std::uint32_t> seen;

  [[nodiscard]] bool accepts(std::uint32_t seq) const {
    if (seq == 0) return false;
    if (highest == 0) return true;
    if (std::find(seen.begin(), seen.end(), seq) != seen.end()) return false;
    const std::uint32_t ahead = seq - highest;
    const std::uint32_t behind = highest - seq;
    return (ahead >= 1 && ahead <= 15) || (behind >= 1 && behind <= 16);
  }
  void accept(std::uint32_t seq) {
    const std::uint32_t ahead = seq - highest;
    if (highest == 0 || (ahead >= 1 && ahead <= 15)) highest = seq;
    seen.push_back(seq);
    std::erase_if(seen, [this](std::uint32_t s) { return highest - s > 32; });
  }
};

struct harness {
  lan_bmc b;
  lan_dispatcher d;
  handler h{&b, &d, true};
  server_type srv{counting_crypto{}, config()};
  client_type c;
  time_point now = time_point{} + std::chrono::hours(1);
  std::vector<std::uint8_t> reply = std::vector<std::uint8_t>(lan::max_packet_size);
  std::array<std::uint8_t, lan::max_packet_size> buf{};

  // The model.
  std::uint32_t id = 0;  // the BMC session ID
  bool open = false;     // on the server's side
  bool is_op = false;    // logged in as "op" (operator), else "admin"
  window_model window;
  time_point last_accepted{};
  cmd::privilege current = cmd::privilege::user;
  int pokes = 0;
  // The last packet the client made, and its sequence number.
  std::vector<std::uint8_t> last_packet;
  std::uint32_t last_sequence = 0;
  std::vector<std::uint8_t> last_body;

  static server_type::config config() {
    server_type::config cfg;
    cfg.session_timeout = std::chrono::seconds(60);
    cfg.setup_timeout = std::chrono::seconds(10);
    return cfg;
  }

  // A copy is a logged-in session to run from (LLVMFuzzerTestOneInput copies one of four made
  // once): every member is a value, but the handler points at this object's own BMC.
  harness(const harness& o)
      : b(o.b), d(o.d), h(o.h), srv(o.srv), c(o.c), now(o.now), reply(o.reply), buf(o.buf), id(o.id), open(o.open),
        is_op(o.is_op), window(o.window), last_accepted(o.last_accepted), current(o.current), pokes(o.pokes),
        last_packet(o.last_packet), last_sequence(o.last_sequence), last_body(o.last_body) {
    h.b = &b;
    h.d = &d;
  }
  harness& operator=(const harness&) = delete;

  explicit harness(std::uint8_t setup)
      : c(counting_crypto{{}, 0x80},
          {.user = (setup & 2u) != 0 ? "op" : "admin",
           .password = (setup & 2u) != 0 ? "op-pass-123" : "s3cret-pass",
           .privilege = (setup & 2u) != 0 ? cmd::privilege::operator_ : cmd::privilege::administrator,
           .suite = static_cast<std::uint8_t>((setup & 1u) != 0 ? 3 : 17)}) {
    provision(b, d);
    is_op = (setup & 2u) != 0;
  }

  std::span<const std::uint8_t> to_server(std::span<const std::uint8_t> datagram, const lan::endpoint& from) {
    const std::size_t n = srv.receive(datagram, from, 0, now, h, std::span<std::uint8_t>(reply));
    FUZZ_CHECK(n <= reply.size());
    const auto answer = std::span<const std::uint8_t>(reply).first(n);
    if (n != 0) (void)check_reply(answer);
    return answer;
  }

  void login() {
    std::size_t n = c.open(buf);
    for (int step = 0; step < 4 && n != 0 && !c.active(); ++step) {
      const auto answer = to_server(std::span<const std::uint8_t>(buf).first(n), endpoints[0]);
      FUZZ_CHECK(!answer.empty());
      std::vector<std::uint8_t> copy(answer.begin(), answer.end());
      const lan::client_result r = c.receive(copy, buf);
      FUZZ_CHECK(r.event == lan::client_event::none || r.event == lan::client_event::active);
      n = r.size;
    }
    FUZZ_CHECK(c.active());
    id = c.bmc_session_id();
    FUZZ_CHECK(srv.session_state(id) == server_type::state::active);
    FUZZ_CHECK(srv.stats().sessions_opened == 1 && srv.active_sessions() == 1);
    FUZZ_CHECK(h.count(lan::event_kind::session_opened) == 1);
    open = true;
    last_accepted = now;
  }

  [[nodiscard]] std::uint64_t refusals() const {
    const lan::server_stats& s = srv.stats();
    return s.malformed + s.unknown_session + s.unprotected + s.bad_integrity + s.bad_encryption + s.ipmi15_refused;
  }

  /// One packet of the session the client made for `body` with `seq`, sent from `from`; the
  /// model says what must happen.
  void session_packet(std::span<const std::uint8_t> packet, std::uint32_t seq, std::span<const std::uint8_t> body,
                      const lan::endpoint& from) {
    const bool own = from == endpoints[0];
    const bool accepted = own && open && window.accepts(seq);
    const lan::server_stats before = srv.stats();
    const int pokes_before = b.pokes;
    const std::uint64_t dispatched = h.dispatched;
    const auto answer = to_server(packet, from);
    const lan::server_stats& after = srv.stats();
    const auto q = request_view::parse(body);
    FUZZ_CHECK(q.has_value());
    const bool poke = q->function == netfn::oem && q->command == poke_command;
    const bool server_command = q->function == netfn::app && (q->command == 0x3B || q->command == 0x3C);
    if (!accepted) {
      FUZZ_CHECK(answer.empty() && b.pokes == pokes_before && after.requests == before.requests);
      if (own && open) FUZZ_CHECK(after.replayed == before.replayed + 1);
      else FUZZ_CHECK(after.unknown_session == before.unknown_session + 1);
      return;
    }
    window.accept(seq);
    last_accepted = now;
    if (!is_request(q->function)) {  // a response's netFn: the number is spent, nothing runs
      FUZZ_CHECK(answer.empty() && after.bad_messages == before.bad_messages + 1);
      FUZZ_CHECK(after.requests == before.requests && h.dispatched == dispatched && b.pokes == pokes);
      return;
    }
    FUZZ_CHECK(after.requests == before.requests + 1);
    FUZZ_CHECK(h.dispatched == dispatched + (server_command ? 0 : 1));
    if (answer.empty()) {
      FUZZ_CHECK(!server_command);  // the dispatcher gave no answer: nothing ran
      FUZZ_CHECK(b.pokes == pokes);
      return;
    }
    std::vector<std::uint8_t> copy(answer.begin(), answer.end());
    const lan::client_result r = c.receive(copy, buf);
    FUZZ_CHECK(r.event == lan::client_event::response && r.size == 0);
    const auto rs = c.response();
    FUZZ_CHECK(rs.size() >= 3);
    FUZZ_CHECK(netfn_of(rs[0]) == response_netfn(q->function) && rs[1] == q->command);
    const auto cc = static_cast<completion_code>(rs[2]);
    if (poke && cc == completion_code::success) ++pokes;  // ran once, for this packet
    FUZZ_CHECK(b.pokes == pokes);
    if (poke && body.size() == 2 && q->lun == lun::bmc)
      FUZZ_CHECK((cc == completion_code::success) == (current >= cmd::privilege::operator_));
    if (q->function == netfn::app && q->command == 0x3B && cc == completion_code::success) {
      FUZZ_CHECK(rs.size() == 4 && q->data.size() == 1);
      if (q->data[0] != 0) current = static_cast<cmd::privilege>(q->data[0]);
      FUZZ_CHECK(rs[3] == static_cast<std::uint8_t>(current));
      FUZZ_CHECK(current <= (is_op ? cmd::privilege::operator_ : cmd::privilege::administrator));
    }
    if (srv.session_state(id) != server_type::state::active) {  // it closed: only Close Session of its own ID
      FUZZ_CHECK(q->function == netfn::app && q->command == 0x3C && cc == completion_code::success);
      FUZZ_CHECK(q->data.size() >= 4 && lan::detail::le32_at(q->data, 0) == id);
      FUZZ_CHECK(after.sessions_closed == before.sessions_closed + 1);
      open = false;
    }
  }

  void check_invariants() const {
    FUZZ_CHECK(srv.active_sessions() == (open ? 1u : 0u));
    FUZZ_CHECK(srv.session_state(id) == (open ? server_type::state::active : server_type::state::free));
    FUZZ_CHECK(b.pokes == pokes);
    FUZZ_CHECK(srv.stats().sessions_opened == 1);
  }

  void remember(std::span<const std::uint8_t> packet, std::uint32_t seq, std::span<const std::uint8_t> body) {
    last_packet.assign(packet.begin(), packet.end());
    last_sequence = seq;
    last_body.assign(body.begin(), body.end());
  }

  // --- the operations --------------------------------------------------------------------

  void request(std::span<const std::uint8_t> body, std::uint8_t op) {
    const std::uint32_t seq = c.next_sequence();
    const std::size_t n = c.request(body, buf);
    if (c.current() != client_type::state::active) {
      FUZZ_CHECK(n == 0);
      return;
    }
    FUZZ_CHECK(n != 0);
    const auto packet = std::span<const std::uint8_t>(buf).first(n);
    remember(packet, seq, body);
    const lan::endpoint& from = (op & 0x80u) != 0 ? endpoints[1 + (op >> 5 & 1u) * 2] : endpoints[0];
    session_packet(std::vector<std::uint8_t>(packet.begin(), packet.end()), seq, body, from);
  }

  void request_with_sequence(std::span<const std::uint8_t> body, std::uint32_t seq) {
    const std::size_t n = c.request_with_sequence(body, seq, buf);
    if (c.current() != client_type::state::active) return;
    FUZZ_CHECK(n != 0);
    const auto packet = std::span<const std::uint8_t>(buf).first(n);
    remember(packet, seq, body);
    session_packet(std::vector<std::uint8_t>(packet.begin(), packet.end()), seq, body, endpoints[0]);
  }

  void raw(std::span<const std::uint8_t> datagram, std::uint8_t src) {
    const std::uint64_t requests = srv.stats().requests;
    const auto answer = to_server(datagram, endpoints[src & 3u]);
    if (!answer.empty()) FUZZ_CHECK(!lan::parse_packet(answer).rmcpp.authenticated);  // no forgery
    FUZZ_CHECK(srv.stats().requests == requests);
    if (open && srv.session_state(id) != server_type::state::active) FUZZ_CHECK(false);
  }

  void mutate(std::uint8_t mode, std::size_t pos, std::uint8_t x) {
    if (last_packet.empty()) return;
    std::vector<std::uint8_t> m = last_packet;
    bool same_packet = false;  // only bytes no AuthCode covers changed
    switch (mode % 3u) {
      case 0: {
        const std::size_t at = pos % m.size();
        const std::uint8_t mask = x == 0 ? 1 : x;
        m[at] ^= mask;
        same_packet = at == 1 || at == 2 || (at == 3 && (mask & ~0x60u) == 0);
        break;
      }
      case 1: m.resize(pos % m.size()); break;
      default: m.push_back(x); break;
    }
    if (same_packet) {
      session_packet(m, last_sequence, last_body, endpoints[0]);
      return;
    }
    const std::uint64_t refused = refusals();
    const std::uint64_t requests = srv.stats().requests;
    const int pokes_before = b.pokes;
    const auto answer = to_server(m, endpoints[0]);
    FUZZ_CHECK(answer.empty());
    FUZZ_CHECK(refusals() == refused + 1);
    FUZZ_CHECK(srv.stats().requests == requests && b.pokes == pokes_before);
  }

  void clock_jump(unsigned units) {
    now += std::chrono::milliseconds(100) * units;
    const std::uint64_t timed_out = srv.stats().sessions_timed_out;
    srv.poll(now, h);
    if (open && now >= last_accepted + std::chrono::seconds(60)) {
      open = false;
      FUZZ_CHECK(srv.stats().sessions_timed_out == timed_out + 1);
    } else {
      FUZZ_CHECK(srv.stats().sessions_timed_out == timed_out);
    }
  }

  void close() {
    const std::uint32_t seq = c.next_sequence();
    const std::size_t n = c.close(buf);
    if (n == 0) return;
    std::array<std::uint8_t, 6> body{0x18, 0x3C, 0, 0, 0, 0};
    lan::detail::put_le32(body, 2, id);
    const auto packet = std::span<const std::uint8_t>(buf).first(n);
    remember(packet, seq, body);
    const bool was_open = open && window.accepts(seq);
    session_packet(std::vector<std::uint8_t>(packet.begin(), packet.end()), seq, body, endpoints[0]);
    if (was_open) FUZZ_CHECK(!open && c.current() == client_type::state::closed);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::reader in({data, size});
  const std::uint8_t setup = in.u8();
  // The login (key exchange, four HMACs and the key derivation) is the same for every input of
  // a setup: done once per setup and copied, so the executions go to what follows it.
  static const std::array<std::unique_ptr<harness>, 4> logged_in = [] {
    std::array<std::unique_ptr<harness>, 4> each;
    for (std::uint8_t k = 0; k < 4; ++k) {
      each[k] = std::make_unique<harness>(k);
      each[k]->login();
      each[k]->check_invariants();
    }
    return each;
  }();
  harness t(*logged_in[setup & 3u]);
  t.check_invariants();
  for (std::size_t step = 0; step < max_operations && !in.empty(); ++step) {
    const std::uint8_t op = in.u8();
    switch (op % 6u) {
      case 0: {
        const auto body = in.take(in.u8() % 48u);
        t.request(body.size() >= 2 ? body : std::span<const std::uint8_t>(poke_body), op);
        break;
      }
      case 1: {
        const auto d = static_cast<std::int8_t>(in.u8());
        std::uint32_t seq = 0;
        if ((op & 0x80u) != 0) {
          for (unsigned i = 0; i < 4; ++i) seq |= static_cast<std::uint32_t>(in.u8()) << (8 * i);
        } else {
          const std::uint32_t base = t.window.highest != 0 ? t.window.highest : t.c.next_sequence();
          seq = base + static_cast<std::uint32_t>(static_cast<std::int32_t>(d));
        }
        const auto body = in.take(in.u8() % 48u);
        t.request_with_sequence(body.size() >= 2 ? body : std::span<const std::uint8_t>(poke_body), seq);
        break;
      }
      case 2: {
        const std::uint8_t src = in.u8();
        const std::size_t n = in.u8() + ((op & 0x80u) != 0 ? 256u : 0u);
        t.raw(in.take(n), src);
        break;
      }
      case 3: {
        const std::uint8_t mode = in.u8();
        const std::size_t pos = static_cast<std::size_t>(in.u8()) << 8 | in.u8();
        t.mutate(mode, pos, in.u8());
        break;
      }
      case 4: {
        const unsigned hi = in.u8();
        const unsigned lo = in.u8();
        t.clock_jump(hi << 8 | lo);
        break;
      }
      case 5: t.close(); break;
      default: break;
    }
    t.check_invariants();
  }
  return 0;
}
