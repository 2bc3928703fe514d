// fuzz/fuzz_lan_sol_session.cpp — Serial over LAN through lan::server (lan/server.hpp): two
// lan::clients logged in (fuzz_lan.hpp's counting_crypto, so every run is the same), "admin"
// from endpoints[0] and "op" from endpoints[1], and a handler that serves SOL with one
// lan::sol_instance for the target. The input drives Activate / Deactivate Payload (ipmitool's
// bytes or chosen payload type, instance and aux byte), SOL packets from either client,
// serial output the instance sends to whoever holds it, the last datagram replayed or
// mutated, Get Payload Activation Status / Instance Info, Close Session and timeouts.
//
// Input: a setup byte (b0: cipher suite 3, else 17), then operations, an op byte each
// (op % 10; the client is op b4) and its operands (at most 64 operations):
//   0 Activate Payload [aux]; with op b5 first [type] [instance]
//   1 Deactivate Payload; with op b5 first [type] [instance]
//   2 a SOL packet [seq] [ack] [accepted] [control] [n] n characters; ack F0h: the last packet
//     the client got from the BMC, accepted = all of it
//   3 the last datagram sent again, unchanged, from where it came
//   4 the last datagram mutated [mode] [pos] [x]: mode % 3 = 0 XOR the byte at 4 + pos (mod
//     size − 4) with x (0: 01h), 1 cut to pos (mod size) bytes, 2 append x
//   5 the clock jumps [hi] [lo] × 100 ms, then the server's poll()
//   6 Close Session from the client
//   7 Get Payload Activation Status (op b5: Get Payload Instance Info) for SOL
//   8 serial output [n] n characters: written to the instance, polled; a packet goes out
//     through encode_sol to the session that holds it
//   9 what the handler answers activation with [code]: % 3 = success, 81h (disabled), D4h
//
// Checked after every step (std::abort on failure), against a model:
// - sol_session(target) is 0 or the BMC session ID of the client the model says holds the
//   instance (and that session is active); the handler's instance is active exactly then;
//   sol_activated − sol_deactivated is 1 while held, else 0 (so never two holders);
// - Activate answers 84h without the encryption bit, the handler's refusal, 80h while held
//   (by either), else success with 12 bytes (sizes 259, the port, no VLAN); another type or
//   instance CCh; Deactivate 80h when not held, else success whoever asks (sol.md §4);
//   Activation Status / Instance Info say who holds it;
// - a SOL packet of the holder reaches the instance (sol_packets counts it) and its answer,
//   if any, reaches the client as a SOL payload; of another session it is dropped
//   (bad_messages); a replayed datagram is refused by the window (replayed) and never reaches
//   the sink again; a mutated one is refused and reaches nothing;
// - the instance's packets reach the holder's client, verified under its keys, unchanged;
//   encode_sol writes nothing while no one holds the instance;
// - Close Session and a timeout (60 s after a session's last accepted packet) end the
//   holder's SOL with its session.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <ipmikit/lan/sol.hpp>

#include "fuzz_lan.hpp"

namespace {

using namespace ipmikit;
using namespace ipmikit::fuzz_lan;

constexpr std::size_t max_operations = 64;
constexpr std::uint16_t sol_port = 623;

/// fuzz_lan's handler, serving SOL with one instance for target_id; itself the serial sink.
struct sol_handler : handler {
  lan::sol_instance<1024, fuzz_lan::clock> sol;
  lan::sol_grant grant{completion_code::success, sol_port};
  time_point now{};
  std::uint64_t activated = 0;
  std::uint64_t deactivated = 0;
  std::uint64_t sink_characters = 0;  // what reached the serial port
  std::uint64_t payloads = 0;         // sol_payload calls

  std::size_t characters(std::span<const std::uint8_t> c) {
    sink_characters += c.size();
    return c.size();
  }
  lan::sol_grant sol_activation(std::uint32_t target, bmc::origin o) {
    FUZZ_CHECK(target == target_id);
    FUZZ_CHECK(o.level >= cmd::privilege::callback && o.level <= cmd::privilege::administrator);
    return grant;
  }
  std::size_t sol_payload(std::uint32_t target, std::span<const std::uint8_t> payload, time_point t,
                          std::span<std::uint8_t> out) {
    FUZZ_CHECK(target == target_id);
    FUZZ_CHECK(sol.active());
    FUZZ_CHECK(out.size() >= lan::sol_max_payload);
    ++payloads;
    return sol.receive(payload, t, *this, out);
  }
  void on_event(const lan::server_event& e) {
    if (e.kind == lan::event_kind::sol_activated) {
      FUZZ_CHECK(!sol.active());
      ++activated;
      sol.activate(now);
      return;
    }
    if (e.kind == lan::event_kind::sol_deactivated) {
      FUZZ_CHECK(sol.active());
      ++deactivated;
      sol.deactivate();
      return;
    }
    handler::on_event(e);
  }
};
static_assert(lan::sol_handler<sol_handler, time_point>);

using sol_server = lan::server<counting_crypto, 4, fuzz_lan::clock>;

struct harness {
  lan_bmc b;
  lan_dispatcher d;
  sol_handler h = make_handler(&b, &d);

  static sol_handler make_handler(lan_bmc* bp, lan_dispatcher* dp) {
    sol_handler s;
    s.b = bp;
    s.d = dp;
    s.sessions_allowed = true;
    return s;
  }
  sol_server srv{counting_crypto{}, config()};
  std::array<client_type, 2> c;
  time_point now = time_point{} + std::chrono::hours(1);
  std::vector<std::uint8_t> reply = std::vector<std::uint8_t>(lan::max_packet_size);
  std::array<std::uint8_t, lan::max_packet_size> buf{};

  // The model.
  std::array<std::uint32_t, 2> id{};
  std::array<bool, 2> open{};
  std::array<time_point, 2> last_accepted{};
  int holder = -1;  // which client's session holds the instance
  std::vector<std::uint8_t> last_datagram;
  std::size_t last_from = 0;
  std::array<std::vector<std::uint8_t>, 2> from_bmc;  // the last SOL payload each client got

  static sol_server::config config() {
    sol_server::config cfg;
    cfg.session_timeout = std::chrono::seconds(60);
    cfg.setup_timeout = std::chrono::seconds(10);
    return cfg;
  }

  harness(const harness& o)
      : b(o.b), d(o.d), h(o.h), srv(o.srv), c(o.c), now(o.now), reply(o.reply), buf(o.buf), id(o.id), open(o.open),
        last_accepted(o.last_accepted), holder(o.holder), last_datagram(o.last_datagram), last_from(o.last_from),
        from_bmc(o.from_bmc) {
    h.b = &b;
    h.d = &d;
  }
  harness& operator=(const harness&) = delete;

  explicit harness(std::uint8_t setup)
      : c{client_type(counting_crypto{{}, 0x80}, {.user = "admin",
                                                 .password = "s3cret-pass",
                                                 .privilege = cmd::privilege::administrator,
                                                 .suite = static_cast<std::uint8_t>((setup & 1u) != 0 ? 3 : 17)}),
          client_type(counting_crypto{{}, 0xC0}, {.user = "op",
                                                 .password = "op-pass-123",
                                                 .privilege = cmd::privilege::operator_,
                                                 .suite = static_cast<std::uint8_t>((setup & 1u) != 0 ? 3 : 17),
                                                 .console_session_id = 0x11223344})} {
    provision(b, d);
  }

  std::span<const std::uint8_t> to_server(std::span<const std::uint8_t> datagram, std::size_t k) {
    h.now = now;
    const std::size_t n = srv.receive(datagram, endpoints[k], 0, now, h, std::span<std::uint8_t>(reply));
    FUZZ_CHECK(n <= reply.size());
    const auto answer = std::span<const std::uint8_t>(reply).first(n);
    if (n != 0) (void)check_reply_sol(answer);
    return answer;
  }

  /// check_reply, with SOL payloads allowed in a session (the server's answers to SOL packets).
  static void check_reply_sol(std::span<const std::uint8_t> answer) {
    const lan::packet p = lan::parse_packet(answer);
    if (p.kind == lan::packet_kind::rmcpp && p.rmcpp.type == lan::payload_type::sol) {
      FUZZ_CHECK(p.rmcpp.authenticated && p.rmcpp.encrypted && p.rmcpp.session_id != 0 && p.rmcpp.sequence != 0);
      return;
    }
    (void)check_reply(answer);
  }

  void login(std::size_t k) {
    std::size_t n = c[k].open(buf);
    for (int step = 0; step < 4 && n != 0 && !c[k].active(); ++step) {
      const auto answer = to_server(std::span<const std::uint8_t>(buf).first(n), k);
      FUZZ_CHECK(!answer.empty());
      std::vector<std::uint8_t> copy(answer.begin(), answer.end());
      const lan::client_result r = c[k].receive(copy, buf);
      FUZZ_CHECK(r.event == lan::client_event::none || r.event == lan::client_event::active);
      n = r.size;
    }
    FUZZ_CHECK(c[k].active());
    id[k] = c[k].bmc_session_id();
    FUZZ_CHECK(srv.session_state(id[k]) == sol_server::state::active);
    open[k] = true;
    last_accepted[k] = now;
  }

  void check_invariants() const {
    const std::uint32_t holding = srv.sol_session(target_id);
    FUZZ_CHECK(holding == (holder >= 0 ? id[static_cast<std::size_t>(holder)] : 0u));
    if (holding != 0) FUZZ_CHECK(srv.session_state(holding) == sol_server::state::active);
    FUZZ_CHECK(h.sol.active() == (holder >= 0));
    FUZZ_CHECK(h.activated - h.deactivated == (holder >= 0 ? 1u : 0u));
    for (std::size_t k = 0; k < 2; ++k)
      FUZZ_CHECK(srv.session_state(id[k]) == (open[k] ? sol_server::state::active : sol_server::state::free));
    FUZZ_CHECK(h.sol.stats().characters_received == h.sink_characters);
    FUZZ_CHECK(h.count(lan::event_kind::session_opened) == 2);
  }

  void remember(std::span<const std::uint8_t> datagram, std::size_t k) {
    last_datagram.assign(datagram.begin(), datagram.end());
    last_from = k;
  }

  /// A request from client k; the response body (netFn, cmd, cc, data) or empty when none came.
  std::vector<std::uint8_t> request(std::size_t k, std::span<const std::uint8_t> body) {
    const std::size_t n = c[k].request(body, buf);
    if (n == 0) {
      FUZZ_CHECK(!c[k].active());
      return {};
    }
    const std::vector<std::uint8_t> datagram(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    remember(datagram, k);
    const auto answer = to_server(datagram, k);
    if (!open[k]) {
      FUZZ_CHECK(answer.empty());
      return {};
    }
    last_accepted[k] = now;
    FUZZ_CHECK(!answer.empty());  // the server and the dispatcher answer every request here
    std::vector<std::uint8_t> copy(answer.begin(), answer.end());
    const lan::client_result r = c[k].receive(copy, buf);
    FUZZ_CHECK(r.event == lan::client_event::response);
    const auto rs = c[k].response();
    FUZZ_CHECK(rs.size() >= 3 && rs[1] == body[1]);
    return {rs.begin(), rs.end()};
  }

  // --- the operations --------------------------------------------------------------------

  void activate(std::size_t k, std::uint8_t type, std::uint8_t instance, std::uint8_t aux) {
    const std::array<std::uint8_t, 8> body{0x18, 0x48, type, instance, aux, 0, 0, 0};
    const bool was_open = open[k];
    const std::uint64_t activated = h.activated;
    const auto rs = request(k, body);
    if (!was_open) {
      FUZZ_CHECK(h.activated == activated);
      return;
    }
    const bool ours = (type & 0x3Fu) == 1 && (instance & 0x0Fu) == 1;
    std::uint8_t expected = 0;
    if (!ours) expected = 0xCC;
    else if ((aux & 0x80u) == 0) expected = 0x84;
    else if (h.grant.code != completion_code::success) expected = static_cast<std::uint8_t>(h.grant.code);
    else if (holder >= 0) expected = 0x80;
    FUZZ_CHECK(rs[2] == expected);
    if (expected != 0) {
      FUZZ_CHECK(rs.size() == 3 && h.activated == activated);
      return;
    }
    const std::vector<std::uint8_t> want{0x1C, 0x48, 0, 0, 0, 0, 0, 0x03, 0x01, 0x03, 0x01,
                                         sol_port & 0xFF, sol_port >> 8, 0xFF, 0xFF};
    FUZZ_CHECK(rs == want);
    FUZZ_CHECK(h.activated == activated + 1);
    holder = static_cast<int>(k);
  }

  void deactivate(std::size_t k, std::uint8_t type, std::uint8_t instance) {
    const std::array<std::uint8_t, 8> body{0x18, 0x49, type, instance, 0, 0, 0, 0};
    const bool was_open = open[k];
    const std::uint64_t deactivated = h.deactivated;
    const auto rs = request(k, body);
    if (!was_open) return;
    const bool ours = (type & 0x3Fu) == 1 && (instance & 0x0Fu) == 1;
    const std::uint8_t expected = !ours ? std::uint8_t{0xCC} : holder < 0 ? std::uint8_t{0x80} : std::uint8_t{0x00};
    FUZZ_CHECK(rs.size() == 3 && rs[2] == expected);
    FUZZ_CHECK(h.deactivated == deactivated + (expected == 0 ? 1u : 0u));
    if (expected == 0) holder = -1;
  }

  void status(std::size_t k, bool info) {
    const bool was_open = open[k];
    const std::array<std::uint8_t, 4> body{0x18, static_cast<std::uint8_t>(info ? 0x4B : 0x4A), 0x01, 0x01};
    const auto rs = request(k, std::span<const std::uint8_t>(body).first(info ? 4 : 3));
    if (!was_open) return;
    const std::uint32_t held = holder >= 0 ? id[static_cast<std::size_t>(holder)] : 0;
    if (info) {
      FUZZ_CHECK(rs.size() == 15 && rs[2] == 0 && lan::detail::le32_at(std::span<const std::uint8_t>(rs), 3) == held);
    } else {
      const std::vector<std::uint8_t> want{0x1C, 0x4A, 0, 1, static_cast<std::uint8_t>(held != 0 ? 1 : 0), 0};
      FUZZ_CHECK(rs == want);
    }
  }

  /// A SOL datagram from client k (new, replayed or mutated: `fresh` says it is the client's new one).
  void sol_datagram(std::size_t k, std::span<const std::uint8_t> datagram, bool fresh) {
    const lan::server_stats before = srv.stats();
    const std::uint64_t sink = h.sink_characters;
    const std::uint64_t payloads = h.payloads;
    const auto answer = to_server(datagram, k);
    const lan::server_stats& after = srv.stats();
    if (!fresh || !open[k]) {  // a copy the window refuses, or no session
      FUZZ_CHECK(answer.empty() && h.sink_characters == sink && h.payloads == payloads);
      FUZZ_CHECK(after.sol_packets == before.sol_packets);
      return;
    }
    last_accepted[k] = now;
    if (holder != static_cast<int>(k)) {
      FUZZ_CHECK(answer.empty() && after.bad_messages == before.bad_messages + 1 && h.payloads == payloads);
      return;
    }
    FUZZ_CHECK(after.sol_packets == before.sol_packets + 1 && h.payloads == payloads + 1);
    if (answer.empty()) return;
    std::vector<std::uint8_t> copy(answer.begin(), answer.end());
    const lan::client_result r = c[k].receive(copy, buf);
    FUZZ_CHECK(r.event == lan::client_event::sol);
    const lan::sol_parse_result p = lan::parse_sol_packet(c[k].sol_payload());
    FUZZ_CHECK(p && p.value.sequence == 0);  // an ACK
  }

  void sol_packet(std::size_t k, std::uint8_t seq, std::uint8_t ack, std::uint8_t accepted, std::uint8_t control,
                  std::span<const std::uint8_t> data) {
    std::array<std::uint8_t, lan::sol_max_payload> p{};
    if (ack == 0xF0 && from_bmc[k].size() >= lan::sol_header_size) {
      ack = from_bmc[k][0];
      accepted = static_cast<std::uint8_t>(from_bmc[k].size() - lan::sol_header_size);
    }
    p[0] = seq;
    p[1] = ack;
    p[2] = accepted;
    p[3] = control;
    const std::size_t m = std::min(data.size(), lan::sol_max_characters);
    std::copy_n(data.begin(), m, p.begin() + lan::sol_header_size);
    const std::size_t n = c[k].send_sol(std::span<const std::uint8_t>(p).first(lan::sol_header_size + m), buf);
    if (n == 0) {
      FUZZ_CHECK(!c[k].active());
      return;
    }
    const std::vector<std::uint8_t> datagram(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    remember(datagram, k);
    sol_datagram(k, datagram, true);
  }

  void replay() {
    if (last_datagram.empty()) return;
    const std::uint64_t sink = h.sink_characters;
    const std::uint64_t payloads = h.payloads;
    const std::uint64_t requests = srv.stats().requests;
    const auto answer = to_server(std::vector<std::uint8_t>(last_datagram), last_from);
    FUZZ_CHECK(answer.empty());
    FUZZ_CHECK(h.sink_characters == sink && h.payloads == payloads && srv.stats().requests == requests);
  }

  void mutate(std::uint8_t mode, std::uint8_t pos, std::uint8_t x) {
    if (last_datagram.size() <= 4) return;
    std::vector<std::uint8_t> m = last_datagram;
    switch (mode % 3u) {
      case 0: m[4 + pos % (m.size() - 4)] ^= x == 0 ? std::uint8_t{1} : x; break;
      case 1: m.resize(pos % m.size()); break;
      default: m.push_back(x); break;
    }
    const std::uint64_t sink = h.sink_characters;
    const std::uint64_t payloads = h.payloads;
    const std::uint64_t requests = srv.stats().requests;
    const lan::server_stats before = srv.stats();
    const auto answer = to_server(m, last_from);
    FUZZ_CHECK(answer.empty());
    FUZZ_CHECK(h.sink_characters == sink && h.payloads == payloads && srv.stats().requests == requests);
    FUZZ_CHECK(srv.stats().sol_packets == before.sol_packets);
  }

  void clock_jump(unsigned units) {
    now += std::chrono::milliseconds(100) * units;
    h.now = now;
    srv.poll(now, h);
    for (std::size_t k = 0; k < 2; ++k)
      if (open[k] && now >= last_accepted[k] + std::chrono::seconds(60)) {
        open[k] = false;
        if (holder == static_cast<int>(k)) holder = -1;
      }
  }

  void close(std::size_t k) {
    const std::size_t n = c[k].close(buf);
    if (n == 0) return;
    const std::vector<std::uint8_t> datagram(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    remember(datagram, k);
    const auto answer = to_server(datagram, k);
    if (!open[k]) {
      FUZZ_CHECK(answer.empty());
      return;
    }
    FUZZ_CHECK(!answer.empty());
    open[k] = false;
    if (holder == static_cast<int>(k)) holder = -1;
    std::vector<std::uint8_t> copy(answer.begin(), answer.end());
    (void)c[k].receive(copy, buf);
  }

  void serial(std::span<const std::uint8_t> chars) {
    const std::size_t space = h.sol.space();
    const std::size_t took = h.sol.write(chars, now);
    FUZZ_CHECK(took == (holder >= 0 ? std::min(chars.size(), space) : 0u));
    std::array<std::uint8_t, lan::sol_max_payload> payload{};
    const auto due = h.sol.next_deadline();
    if (due && *due > now) now = *due;  // wait for it (the server's sessions may time out meanwhile: poll)
    clock_jump(0);
    const std::size_t n = h.sol.poll(now, payload);
    const lan::outbound o = srv.encode_sol(srv.sol_session(target_id), std::span<const std::uint8_t>(payload).first(n), reply);
    if (holder < 0) {
      FUZZ_CHECK(n == 0 && o.size == 0);
      return;
    }
    if (n == 0) return;
    const auto k = static_cast<std::size_t>(holder);
    FUZZ_CHECK(o.size != 0 && o.to == endpoints[k] && o.local == 0);
    std::vector<std::uint8_t> copy(reply.begin(), reply.begin() + static_cast<std::ptrdiff_t>(o.size));
    const lan::client_result r = c[k].receive(copy, buf);
    FUZZ_CHECK(r.event == lan::client_event::sol);
    const auto got = c[k].sol_payload();
    FUZZ_CHECK(got.size() == n && std::equal(got.begin(), got.end(), payload.begin()));
    from_bmc[k].assign(got.begin(), got.end());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::reader in({data, size});
  const std::uint8_t setup = in.u8();
  // Both logins are the same for every input of a setup: done once and copied.
  static const std::array<std::unique_ptr<harness>, 2> logged_in = [] {
    std::array<std::unique_ptr<harness>, 2> each;
    for (std::uint8_t k = 0; k < 2; ++k) {
      each[k] = std::make_unique<harness>(k);
      each[k]->login(0);
      each[k]->login(1);
      each[k]->check_invariants();
    }
    return each;
  }();
  harness t(*logged_in[setup & 1u]);
  t.check_invariants();
  for (std::size_t step = 0; step < max_operations && !in.empty(); ++step) {
    const std::uint8_t op = in.u8();
    const std::size_t k = (op >> 4) & 1u;
    const bool alt = (op & 0x20u) != 0;
    switch (op % 10u) {
      case 0: {
        std::uint8_t type = 1, instance = 1;
        if (alt) {
          type = in.u8();
          instance = in.u8();
        }
        t.activate(k, type, instance, in.u8());
        break;
      }
      case 1: {
        std::uint8_t type = 1, instance = 1;
        if (alt) {
          type = in.u8();
          instance = in.u8();
        }
        t.deactivate(k, type, instance);
        break;
      }
      case 2: {
        const std::uint8_t seq = in.u8();
        const std::uint8_t ack = in.u8();
        const std::uint8_t accepted = in.u8();
        const std::uint8_t control = in.u8();
        t.sol_packet(k, seq, ack, accepted, control, in.take(in.u8()));
        break;
      }
      case 3: t.replay(); break;
      case 4: {
        const std::uint8_t mode = in.u8();
        const std::uint8_t pos = in.u8();
        t.mutate(mode, pos, in.u8());
        break;
      }
      case 5: {
        const unsigned hi = in.u8();
        const unsigned lo = in.u8();
        t.clock_jump(hi << 8 | lo);
        break;
      }
      case 6: t.close(k); break;
      case 7: t.status(k, alt); break;
      case 8: t.serial(in.take(in.u8())); break;
      default: {
        static constexpr std::array<completion_code, 3> codes{completion_code::success, static_cast<completion_code>(0x81),
                                                              completion_code::insufficient_privilege};
        t.h.grant.code = codes[in.u8() % 3u];
        break;
      }
    }
    t.check_invariants();
  }
  return 0;
}
