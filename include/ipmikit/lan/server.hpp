// ipmikit/lan/server.hpp — the BMC side of IPMI over LAN: ASF presence, session-less
// discovery, and RMCP+ sessions (Open Session, RAKP 1-4, Set Session Privilege Level, Close
// Session, the inactivity timeout) with cipher suites 3 and 17, as a sans-IO object: one
// datagram and its source in, at most one datagram out, the time given by the caller.
//
//   lan::server<lan::openssl_crypto, 64> srv(lan::openssl_crypto{}, {});
//   const std::size_t n = srv.receive(datagram, from, local, now, handler, reply);  // send reply[0, n) to `from`
//   srv.poll(now, handler);                       // closes idle sessions; srv.next_deadline() says when
//
// The handler is the caller's (concept lan::server_handler): it finds a user by the name a
// console logs in with (and so may route one port to many BMCs: the login's `target`), answers
// each IPMI request through a bmc::dispatcher at the session's privilege, and hears the session
// events (opened, closed, timed out, authentication failed, throttled) to log them.
//
// Secure by default (lan.md §15, docs/lan.md "Security"):
//   - only suites 3 and 17, each only if enabled; suite 0 and every "none" algorithm refused
//     in Open Session; no IPMI 1.5 session (only session-less requests in the 1.5 format);
//   - an unknown user, a user who may not log in, and the null user get a RAKP 2 like any
//     other (status ok, a key-exchange code under a secret random key, the same work), so
//     neither the answer nor its timing says whether the name exists; the login then fails at
//     RAKP 3 as a wrong password does. (What IPMI v2.0 cannot hide: RAKP 2 of a real user is
//     an HMAC of the password over public values — an offline guess check, CVE-2013-4786.)
//   - failed logins are limited per source address: a burst of `failure_burst`, then one per
//     `failure_refill`; a throttled address is refused before any password is checked;
//   - every packet of an active session must be authenticated and encrypted, from the address
//     and port that opened it; its AuthCode is compared in constant time before anything else
//     is looked at, and its sequence number must be new within the window (−16…+15 around the
//     highest seen, lan.md §10): a replayed packet never executes twice;
//   - keys and passwords stay in the object; no event carries one.
//
// Sans-IO: no I/O, no clock (every call takes `now`), no heap, no exceptions.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <initializer_list>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "../bmc/dispatcher.hpp"
#include "../cmd/app.hpp"
#include "../detail/constant_time.hpp"
#include "../message.hpp"
#include "crypto.hpp"
#include "packet.hpp"
#include "rmcp.hpp"
#include "sol.hpp"

namespace ipmikit::lan {

// ---------------------------------------------------------------------------------------------
// Numbers

inline constexpr std::uint8_t set_session_privilege_command = 0x3B;  // IPMI v2.0 §22.18 (App)
inline constexpr std::uint8_t activate_payload_command = 0x48;        // IPMI v2.0 §24.1 (App), sol.md §2
inline constexpr std::uint8_t deactivate_payload_command = 0x49;      // IPMI v2.0 §24.2 (App)
inline constexpr std::uint8_t payload_activation_status_command = 0x4A;  // IPMI v2.0 §24.4 (App)
inline constexpr std::uint8_t payload_instance_info_command = 0x4B;   // IPMI v2.0 §24.5 (App)
inline constexpr completion_code payload_already_active = static_cast<completion_code>(0x80);       // IPMI v2.0 §24.1 (Activate): 80h on another session
inline constexpr completion_code payload_disabled = static_cast<completion_code>(0x81);             // IPMI v2.0 §24.1: 81h payload type disabled
inline constexpr completion_code payload_needs_encryption = static_cast<completion_code>(0x84);     // IPMI v2.0 §24.1: 84h cannot activate without encryption
inline constexpr completion_code payload_already_deactivated = static_cast<completion_code>(0x80);  // IPMI v2.0 §24.2 (Deactivate): 80h
/// Activate Payload's aux byte 1 b7: "activate with encryption" (IPMI v2.0 §24.1, sol.md §2).
inline constexpr std::uint8_t activate_with_encryption = 0x80;
/// The one SOL instance of a target (Get Payload Activation Status: capacity 1).
inline constexpr std::uint8_t sol_instance_number = 1;
inline constexpr std::uint8_t close_session_command = 0x3C;          // IPMI v2.0 §22.19 (App)
inline constexpr completion_code privilege_not_available = static_cast<completion_code>(0x80);  // IPMI v2.0 §22.18: 80h level not available for this user
inline constexpr completion_code privilege_exceeds_limit = static_cast<completion_code>(0x81);  // IPMI v2.0 §22.18: 81h exceeds user/channel limit
inline constexpr completion_code invalid_session_id_code = static_cast<completion_code>(0x87);  // IPMI v2.0 §22.19: 87h invalid session ID
/// Sequence-number window around the highest accepted number (lan.md §10: −16…+15).
inline constexpr std::uint32_t window_below = 16;
inline constexpr std::uint32_t window_above = 15;

// ---------------------------------------------------------------------------------------------
// Types

/// A remote address and port (IPv4 as ::ffff:a.b.c.d), as the caller's socket reported it.
struct endpoint {
  std::array<std::uint8_t, 16> address{};
  std::uint16_t port = 0;
  friend constexpr bool operator==(const endpoint&, const endpoint&) noexcept = default;
};

/// What the handler says of a user name: whom it logs in to and with what.
struct login {
  std::uint32_t target = 0;   // the caller's: the BMC the session's requests go to
  std::uint8_t user_id = 0;
  cmd::privilege limit = cmd::privilege::no_access;  // the most this user may have on the channel
  key20 key{};                // K_uid: the password, zero-padded (a secret)
};

/// The caller's side of a server.
///   lookup(name, local) -> std::optional<login>: the user `name` (RAKP 1's, at most 16 bytes)
///     on the socket `local`; nothing when it is unknown or may not log in.
///   guid(local) -> std::array<uint8_t,16>: the GUID RAKP 2 and 4 carry on socket `local`.
///   dispatch(target, origin, request, out) -> bmc::dispatch_result: a session's request body.
///   dispatch_sessionless(local, origin, request, out): a request outside a session
///     (origin.level is unspecified: only Get Channel Authentication Capabilities, Get Channel
///     Cipher Suites and Get System GUID are allowed by a bmc::dispatcher).
///   on_event(const server_event&): a session or authentication event, to log.
template <class H>
concept server_handler = requires(H& h, std::span<const std::uint8_t> in, std::span<std::uint8_t> out,
                                  std::uint32_t u32, bmc::origin o) {
  { h.lookup(in, u32) } -> std::same_as<std::optional<login>>;
  { h.guid(u32) } -> std::same_as<std::array<std::uint8_t, 16>>;
  { h.dispatch(u32, o, in, out) } -> std::same_as<bmc::dispatch_result>;
  { h.dispatch_sessionless(u32, o, in, out) } -> std::same_as<bmc::dispatch_result>;
};

/// What Activate Payload of SOL gets from the handler: whether this session may, and the UDP
/// port the console is told to use (the one it talks to: ipmitool refuses any other).
struct sol_grant {
  completion_code code = completion_code::success;  // success, payload_disabled, insufficient_privilege, …
  std::uint16_t port = rmcp_port;
};

/// Optional handler members for Serial over LAN (payload type 1, lan/sol.hpp). With them the
/// server answers Activate and Deactivate Payload, Get Payload Activation Status and Get
/// Payload Instance Info for SOL instance 1 of each target (one session at a time per target),
/// and hands the active session's SOL packets over; without them these commands go to dispatch
/// (a bmc::dispatcher answers C1) and SOL packets are dropped.
///   sol_activation(target, origin) -> sol_grant: may this session activate SOL now.
///   sol_payload(target, payload, now, reply) -> std::size_t: a SOL packet from the session that
///     holds the target's instance; the answer's size (0: none). Start and stop the instance on
///     the events sol_activated and sol_deactivated (the latter also when its session ends).
///   Send the instance's own packets with server::encode_sol(), given the session ID the
///   sol_activated event carried.
template <class H, class TimePoint>
concept sol_handler = requires(H& h, std::span<const std::uint8_t> in, std::span<std::uint8_t> out,
                               std::uint32_t u32, bmc::origin o, TimePoint t) {
  { h.sol_activation(u32, o) } -> std::same_as<sol_grant>;
  { h.sol_payload(u32, in, t, out) } -> std::same_as<std::size_t>;
};

/// Session events, for the caller's log.
enum class event_kind : std::uint8_t {
  session_opened = 0,      // RAKP 3 verified: the session is active
  session_closed = 1,      // Close Session
  session_timed_out = 2,   // idle past session_timeout
  auth_failed = 3,         // see failure
  throttled = 4,           // a login from a source that used its failures, refused unchecked
  session_evicted = 5,     // a session still in setup, dropped to make room
  sol_activated = 6,       // the session holds its target's SOL instance now
  sol_deactivated = 7,     // it does not any more (Deactivate Payload, or the session ended)
};

[[nodiscard]] constexpr std::string_view name(event_kind k) noexcept {
  return detail::enum_name<event_kind, 8>(k, {"session_opened", "session_closed", "session_timed_out", "auth_failed",
                                              "throttled", "session_evicted", "sol_activated", "sol_deactivated"});
}

/// Why a login failed (auth_failed).
enum class auth_failure : std::uint8_t {
  none = 0,
  bad_key_exchange_code = 1,  // RAKP 3's code is wrong: a wrong password, or a user that may not log in
  console_refused = 2,        // RAKP 3 carried an error status: the console found RAKP 2 wrong (a wrong password, its side)
  abandoned = 3,              // RAKP 2 went out and no RAKP 3 came before setup_timeout
};

[[nodiscard]] constexpr std::string_view name(auth_failure f) noexcept {
  return detail::enum_name<auth_failure, 4>(f, {"none", "bad_key_exchange_code", "console_refused", "abandoned"});
}

struct server_event {
  event_kind kind = event_kind::session_opened;
  auth_failure failure = auth_failure::none;
  endpoint from{};
  std::uint32_t local = 0;
  std::uint32_t target = 0;
  bool known_user = false;  // the name was found (false: the name is not in `user`, it may be a typo'd password)
  std::array<char, max_user_name> user{};  // only when known_user
  std::uint8_t user_size = 0;
  std::uint32_t session_id = 0;  // the BMC's
  std::uint8_t suite = 0;
  cmd::privilege privilege = cmd::privilege::unspecified;      // the session's level now (an active session's)
  cmd::privilege max_privilege = cmd::privilege::unspecified;  // the most it may rise to
  [[nodiscard]] constexpr std::string_view user_name() const noexcept {
    return {user.data(), user_size};
  }
};

/// What the owner configures.
template <class Duration>
struct basic_server_config {
  std::uint8_t channel = 1;                                    // the LAN channel (IPMI v2.0 §6.3)
  cmd::privilege channel_limit = cmd::privilege::administrator; // what Open Session offers for "highest" (0)
  bool suite_3 = true;
  bool suite_17 = true;
  Duration session_timeout = std::chrono::duration_cast<Duration>(std::chrono::seconds(60));  // lan.md §12: 60 s (phosphor, pyghmi)
  Duration setup_timeout = std::chrono::duration_cast<Duration>(std::chrono::seconds(3));     // Open Session → RAKP 3 (lan.md §12: phosphor's 3 s); ipmitool restarts a login after 1 s
  /// A RAKP 2 this old without its RAKP 3 counts as a failed login of its source at once (a
  /// console that finds RAKP 2 wrong — a wrong password — usually just stops: ipmitool does).
  /// (1 s: ipmitool restarts a login that heard nothing for 1 s, so a RAKP 2 older than that
  /// is dead; a BMC more than 1 s behind its own queue would count it at abandonment anyway.)
  Duration pending_grace = std::chrono::duration_cast<Duration>(std::chrono::seconds(1));
  std::uint8_t failure_burst = 5;                              // failed logins per address before throttling
  Duration failure_refill = std::chrono::duration_cast<Duration>(std::chrono::seconds(10));   // then one more per refill
  /// K_g (the BMC key, "two-key login"): when set, the SIK is keyed by it instead of K_uid.
  std::optional<key20> kg{};
};

/// Counters, for a status display and the tests.
struct server_stats {
  std::uint64_t datagrams = 0;
  std::uint64_t malformed = 0;          // parse_packet refused
  std::uint64_t asf_pings = 0;
  std::uint64_t sessionless = 0;        // session-less requests answered
  std::uint64_t ipmi15_refused = 0;     // IPMI 1.5 packets with a session or an authentication type
  std::uint64_t open_refused = 0;       // Open Session answered with an error status
  std::uint64_t sessions_opened = 0;    // activated (RAKP 3 verified)
  std::uint64_t sessions_closed = 0;
  std::uint64_t sessions_timed_out = 0;
  std::uint64_t sessions_evicted = 0;
  std::uint64_t table_full = 0;         // Open Session refused: every slot active
  std::uint64_t auth_failures = 0;
  std::uint64_t throttled = 0;
  std::uint64_t unknown_session = 0;    // a packet for no active session of that source
  std::uint64_t unprotected = 0;        // an active session's packet without integrity and confidentiality
  std::uint64_t bad_integrity = 0;      // AuthCode wrong
  std::uint64_t bad_encryption = 0;
  std::uint64_t replayed = 0;           // sequence number seen before or outside the window
  std::uint64_t bad_messages = 0;       // an IPMI message inside that does not parse
  std::uint64_t requests = 0;           // session requests answered
  std::uint64_t sol_packets = 0;        // SOL packets handed to the handler
};

/// A datagram the caller sends on its own (encode_sol): where to, from which socket.
struct outbound {
  std::size_t size = 0;  // 0: nothing (no such session, or it holds no SOL instance)
  endpoint to{};
  std::uint32_t local = 0;
};

// ---------------------------------------------------------------------------------------------
// The server

template <crypto_provider Crypto, std::size_t MaxSessions = 32, class Clock = std::chrono::steady_clock,
          std::size_t TrackedSources = 64>
class server {
  static_assert(MaxSessions >= 1 && MaxSessions < 0xFFFF, "a session's slot is the low 16 bits of its ID");
  static_assert(TrackedSources >= 1);

 public:
  using clock = Clock;
  using time_point = typename Clock::time_point;
  using duration = typename Clock::duration;
  using config = basic_server_config<duration>;
  static constexpr std::size_t max_sessions = MaxSessions;

  enum class state : std::uint8_t { free, opened, authenticating, active };

  constexpr server(Crypto crypto, const config& cfg) noexcept : crypto_(crypto), cfg_(cfg) {}

  [[nodiscard]] constexpr const config& configuration() const noexcept { return cfg_; }
  [[nodiscard]] constexpr const server_stats& stats() const noexcept { return stats_; }
  [[nodiscard]] constexpr Crypto& crypto() noexcept { return crypto_; }
  /// Sessions that are active (RAKP 3 verified).
  [[nodiscard]] constexpr std::size_t active_sessions() const noexcept {
    std::size_t n = 0;
    for (const slot& s : slots_) n += s.st == state::active ? 1 : 0;
    return n;
  }
  [[nodiscard]] constexpr std::size_t active_sessions(std::uint32_t target) const noexcept {
    std::size_t n = 0;
    for (const slot& s : slots_) n += s.st == state::active && s.target == target ? 1 : 0;
    return n;
  }
  /// The state of the session with BMC session ID `id` (free when there is none).
  [[nodiscard]] constexpr state session_state(std::uint32_t id) const noexcept {
    const slot* s = find(id);
    return s == nullptr ? state::free : s->st;
  }
  /// The earliest time poll() has work (a session's timeout), or nothing.
  [[nodiscard]] constexpr std::optional<time_point> next_deadline() const noexcept {
    std::optional<time_point> d;
    for (const slot& s : slots_)
      if (s.st != state::free && (!d || deadline(s) < *d)) d = deadline(s);
    return d;
  }
  /// Whether a login from `from` would be refused unchecked now: its failures, and its logins
  /// waiting for RAKP 3 longer than pending_grace, have used the burst.
  [[nodiscard]] constexpr bool throttled(const endpoint& from, time_point now) const noexcept {
    const source* s = find_source(from.address);
    std::size_t left = s == nullptr ? cfg_.failure_burst : tokens(*s, now);
    for (const slot& p : slots_)
      if (left != 0 && p.st == state::authenticating && p.from.address == from.address && now - p.last >= cfg_.pending_grace)
        --left;
    return left == 0;
  }

  /// Handles one datagram from `from`, received on the caller's socket `local`; writes the
  /// answer, if any, to `out` (max_packet_size fits any) and returns its size (0: nothing to send).
  template <server_handler Handler>
  constexpr std::size_t receive(std::span<const std::uint8_t> datagram, const endpoint& from, std::uint32_t local,
                                time_point now, Handler& h, std::span<std::uint8_t> out) noexcept {
    ++stats_.datagrams;
    const packet p = parse_packet(datagram);
    switch (p.kind) {
      case packet_kind::invalid: ++stats_.malformed; return 0;
      case packet_kind::asf_ping: ++stats_.asf_pings; return encode_asf_pong(p.asf_tag, out);
      case packet_kind::ipmi15: return receive_ipmi15(p.ipmi15, local, h, out);
      case packet_kind::rmcpp: break;
    }
    const rmcpp_fields& f = p.rmcpp;
    if (f.session_id != 0) return receive_in_session(f, from, local, now, h, out);
    if (f.authenticated || f.encrypted || f.sequence != 0) {  // lan.md §10: session-less is plain, seq 0
      ++stats_.malformed;
      return 0;
    }
    switch (f.type) {
      case payload_type::ipmi: return sessionless_v20(f.payload, local, h, out);
      case payload_type::open_session_request: return open_session(f.payload, from, local, now, h, out);
      case payload_type::rakp1: return rakp_1(f.payload, from, local, now, h, out);
      case payload_type::rakp3: return rakp_3(f.payload, from, local, now, h, out);
      default: ++stats_.malformed; return 0;
    }
  }

  /// Closes sessions idle past their timeout (counting an abandoned login as a failure).
  /// A packet for a session past its timeout ends it the same way, whether or not poll() ran.
  template <server_handler Handler>
  constexpr void poll(time_point now, Handler& h) noexcept {
    for (slot& s : slots_) {
      if (s.st == state::free || now < deadline(s)) continue;
      expire(s, now, h);
    }
  }

  /// The session that holds `target`'s SOL instance (its BMC session ID), or 0.
  [[nodiscard]] constexpr std::uint32_t sol_session(std::uint32_t target) const noexcept {
    for (const slot& s : slots_)
      if (s.st == state::active && s.sol && s.target == target) return s.id;
    return 0;
  }

  /// A SOL packet of an instance (lan/sol.hpp: sol_instance::poll) as a datagram of the
  /// session `session_id` that holds it (the sol_activated event's), written to `out`
  /// (max_packet_size fits); size 0 when that session does not exist or holds no instance.
  /// Found by its slot, not by a search: this runs for every packet of serial output.
  constexpr outbound encode_sol(std::uint32_t session_id, std::span<const std::uint8_t> payload,
                                std::span<std::uint8_t> out) noexcept {
    outbound o;
    slot* s = find(session_id);
    if (s == nullptr || s->st != state::active || !s->sol) return o;
    o.size = encode_protected(crypto_, s->keys, payload_type::sol, s->console_id, next_out(*s), payload, out);
    o.to = s->from;
    o.local = s->local;
    return o;
  }

  /// Closes every session of `target` (its BMC went away); returns how many.
  template <server_handler Handler>
  constexpr std::size_t close_target(std::uint32_t target, Handler& h) noexcept {
    std::size_t n = 0;
    for (slot& s : slots_)
      if (s.st != state::free && s.target == target && s.has_target) {
        if (s.st == state::active) {
          ++stats_.sessions_closed;
          emit(h, event_kind::session_closed, s);
        }
        release(s);
        ++n;
      }
    return n;
  }

 private:
  struct slot {
    state st = state::free;
    std::uint32_t id = 0;          // the BMC's session ID (SIDc)
    std::uint32_t console_id = 0;  // SIDm
    endpoint from{};
    std::uint32_t local = 0;
    std::uint32_t target = 0;
    bool has_target = false;
    bool known_user = false;
    time_point last{};
    const cipher_suite* suite = nullptr;
    cmd::privilege requested = cmd::privilege::unspecified;  // Open Session's
    cmd::privilege max = cmd::privilege::unspecified;
    cmd::privilege current = cmd::privilege::unspecified;
    // Setup (RAKP 1 → 3):
    random16 rm{}, rc{};
    std::uint8_t role = 0;
    std::array<std::uint8_t, max_user_name> name{};
    std::uint8_t name_size = 0;
    key20 kuid{};
    std::array<std::uint8_t, 16> guid{};
    // Active:
    session_keys keys{};
    std::uint32_t highest = 0;  // the highest accepted inbound sequence number (0: none yet)
    std::uint32_t seen = 0;     // bit i: highest − i was accepted
    std::uint32_t out_seq = 0;
    bool sol = false;  // holds its target's SOL instance
    [[nodiscard]] constexpr std::span<const std::uint8_t> name_view() const noexcept { return {name.data(), name_size}; }
  };

  struct source {
    std::array<std::uint8_t, 16> address{};
    std::uint8_t used = 0;  // failures counted and not yet refilled
    time_point since{};     // when `used` last went down (or the first failure)
    bool in_use = false;
  };

  // --- session-less ---------------------------------------------------------------------------

  template <class Handler>
  constexpr std::size_t receive_ipmi15(const ipmi15_fields& f, std::uint32_t local, Handler& h,
                                       std::span<std::uint8_t> out) noexcept {
    // lan.md §15: no IPMI 1.5 session; a 1.5 header is only the session-less discovery form.
    if (f.auth_type != auth_type_none || f.session_id != 0 || f.sequence != 0) {
      ++stats_.ipmi15_refused;
      return 0;
    }
    std::array<std::uint8_t, max_ipmi_payload> message{};
    const std::size_t n = answer_sessionless(f.message, local, h, message);
    return n == 0 ? 0 : encode_ipmi15(std::span<const std::uint8_t>(message.data(), n), out);
  }

  template <class Handler>
  constexpr std::size_t sessionless_v20(std::span<const std::uint8_t> payload, std::uint32_t local, Handler& h,
                                        std::span<std::uint8_t> out) noexcept {
    std::array<std::uint8_t, max_ipmi_payload> message{};
    const std::size_t n = answer_sessionless(payload, local, h, message);
    return n == 0 ? 0 : encode_rmcpp_plain(payload_type::ipmi, 0, 0, std::span<const std::uint8_t>(message.data(), n), out);
  }

  template <class Handler>
  constexpr std::size_t answer_sessionless(std::span<const std::uint8_t> message, std::uint32_t local, Handler& h,
                                           std::span<std::uint8_t> out) noexcept {
    const lan_request_result q = parse_lan_request(message);
    if (!q) {
      ++stats_.bad_messages;
      return 0;
    }
    std::array<std::uint8_t, 3 + 255> body{};
    const bmc::dispatch_result r =
        h.dispatch_sessionless(local, bmc::origin{cmd::privilege::unspecified, cfg_.channel}, q.value.view(), body);
    if (!r) return 0;
    ++stats_.sessionless;
    return encode_lan_response(q.value, std::span<const std::uint8_t>(body.data(), r.size), out);
  }

  // --- Open Session ---------------------------------------------------------------------------

  template <class Handler>
  constexpr std::size_t open_session(std::span<const std::uint8_t> payload, const endpoint& from, std::uint32_t local,
                                     time_point now, Handler& h, std::span<std::uint8_t> out) noexcept {
    const auto rq = parse_open_session_request(payload);
    std::array<std::uint8_t, open_session_response_size> body{};
    open_session_response rs;
    rs.tag = rq.value.tag;
    rs.console_session_id = rq.value.console_session_id;
    const auto refuse = [&](rmcpp_status s) {
      ++stats_.open_refused;
      rs.status = s;
      rs.max_privilege = 0;
      const std::size_t n = encode_open_session_response(rs, body);
      return encode_rmcpp_plain(payload_type::open_session_response, 0, 0, std::span<const std::uint8_t>(body.data(), n), out);
    };
    if (!rq) return refuse(rmcpp_status::illegal_parameter);
    const open_session_request& r = rq.value;
    if (r.console_session_id == 0) return refuse(rmcpp_status::invalid_session_id);
    // 0 asks for the highest the channel allows: answer that level (lan.md §6: FreeIPMI
    // checks it against what it wants; echoing 0 fails it).
    const auto wanted = static_cast<cmd::privilege>(r.max_privilege);
    if (r.max_privilege > static_cast<std::uint8_t>(cmd::privilege::oem)) return refuse(rmcpp_status::invalid_role);
    const cmd::privilege offered = wanted == cmd::privilege::unspecified ? cfg_.channel_limit : wanted;
    if (offered > cfg_.channel_limit) return refuse(rmcpp_status::unauthorized_role);
    // The algorithms: each proposed one must be one of ours; "BMC picks" takes suite 17's (or 3's).
    const cipher_suite* preferred = cfg_.suite_17 ? find_suite(17) : find_suite(3);
    if (preferred == nullptr || (!cfg_.suite_3 && !cfg_.suite_17)) return refuse(rmcpp_status::no_cipher_suite_match);
    const std::uint8_t auth = r.authentication.proposed ? r.authentication.algorithm : preferred->authentication;
    const std::uint8_t integ = r.integrity.proposed ? r.integrity.algorithm : preferred->integrity;
    const std::uint8_t conf = r.confidentiality.proposed ? r.confidentiality.algorithm : preferred->confidentiality;
    if (!known_algorithm(auth, &cipher_suite::authentication)) return refuse(rmcpp_status::invalid_authentication_algorithm);
    if (!known_algorithm(integ, &cipher_suite::integrity)) return refuse(rmcpp_status::invalid_integrity_algorithm);
    if (!known_algorithm(conf, &cipher_suite::confidentiality)) return refuse(rmcpp_status::invalid_confidentiality_algorithm);
    const cipher_suite* suite = find_suite(auth, integ, conf);
    if (suite == nullptr || !enabled(*suite)) return refuse(rmcpp_status::no_cipher_suite_match);
    if (throttled(from, now)) {
      ++stats_.throttled;
      slot refused{};
      refused.from = from;
      refused.local = local;
      refused.suite = suite;
      emit(h, event_kind::throttled, refused);
      return refuse(rmcpp_status::insufficient_resources);
    }
    slot* s = take_slot(now, h);
    if (s == nullptr) {
      ++stats_.table_full;
      return refuse(rmcpp_status::insufficient_resources);
    }
    std::array<std::uint8_t, 2> r16{};
    if (!crypto_.random(r16)) {
      release(*s);
      return refuse(rmcpp_status::insufficient_resources);
    }
    const auto index = static_cast<std::uint32_t>(s - slots_.data());
    const std::uint32_t high = (static_cast<std::uint32_t>(r16[0]) << 8 | r16[1]) | 1u;  // never 0: the ID is never 0
    s->id = high << 16 | index;
    s->st = state::opened;
    s->console_id = r.console_session_id;
    s->from = from;
    s->local = local;
    s->last = now;
    s->suite = suite;
    s->requested = offered;
    rs.status = rmcpp_status::ok;
    rs.max_privilege = static_cast<std::uint8_t>(offered);
    rs.bmc_session_id = s->id;
    rs.authentication = suite->authentication;
    rs.integrity = suite->integrity;
    rs.confidentiality = suite->confidentiality;
    const std::size_t n = encode_open_session_response(rs, body);
    return encode_rmcpp_plain(payload_type::open_session_response, 0, 0, std::span<const std::uint8_t>(body.data(), n), out);
  }

  // --- RAKP 1 → 2 -----------------------------------------------------------------------------

  template <class Handler>
  constexpr std::size_t rakp_1(std::span<const std::uint8_t> payload, const endpoint& from, std::uint32_t local,
                               time_point now, Handler& h, std::span<std::uint8_t> out) noexcept {
    const auto rq = parse_rakp1(payload);
    rakp2 rs;
    rs.tag = rq.value.tag;
    std::array<std::uint8_t, 40 + max_digest_size> body{};
    const auto send = [&](const rakp2& m) {
      const std::size_t n = encode_rakp2(m, body);
      return encode_rmcpp_plain(payload_type::rakp2, 0, 0, std::span<const std::uint8_t>(body.data(), n), out);
    };
    slot* s = find_live(rq.value.bmc_session_id, now, h);
    if (s == nullptr || !(s->from == from) || s->local != local ||
        (s->st != state::opened && s->st != state::authenticating)) {
      ++stats_.unknown_session;
      rs.status = rmcpp_status::invalid_session_id;
      return send(rs);
    }
    rs.console_session_id = s->console_id;
    if (!rq) {
      rs.status = rq.error == cmd::parse_error::out_of_range ? rmcpp_status::invalid_name_length
                                                             : rmcpp_status::illegal_parameter;
      release(*s);
      return send(rs);
    }
    const rakp1& r = rq.value;
    const auto role_level = static_cast<cmd::privilege>(r.role & role_privilege_mask);
    if ((r.role & ~(role_privilege_mask | role_name_only_lookup)) != 0 || role_level > cmd::privilege::oem) {
      rs.status = rmcpp_status::invalid_role;
      release(*s);
      return send(rs);
    }
    if (throttled(from, now)) {
      ++stats_.throttled;
      emit_throttled(h, *s, r);
      rs.status = rmcpp_status::insufficient_resources;
      release(*s);
      return send(rs);
    }
    // The user, or a stand-in that costs the same and can never log in (a random key).
    const std::optional<login> who = h.lookup(r.name_view(), local);
    s->known_user = who.has_value();
    if (who) {
      s->kuid = who->key;
      s->target = who->target;
      s->has_target = true;
      const cmd::privilege asked = role_level == cmd::privilege::unspecified ? who->limit : role_level;
      s->max = min(min(asked, who->limit), cfg_.channel_limit);
    } else {
      if (!stand_in_key(s->kuid)) {
        rs.status = rmcpp_status::insufficient_resources;
        release(*s);
        return send(rs);
      }
      s->has_target = false;
      s->max = role_level == cmd::privilege::unspecified ? cfg_.channel_limit : role_level;
    }
    s->rm = r.console_random;
    s->role = r.role;
    s->name = r.name;
    s->name_size = r.name_size;
    s->guid = h.guid(local);
    if (!crypto_.random(s->rc)) {
      rs.status = rmcpp_status::insufficient_resources;
      release(*s);
      return send(rs);
    }
    const digest code = rakp2_auth_code(crypto_, *s->suite, s->kuid, s->console_id, s->id, s->rm, s->rc, s->guid,
                                        s->role, s->name_view());
    if (code.size == 0) {
      rs.status = rmcpp_status::insufficient_resources;
      release(*s);
      return send(rs);
    }
    s->st = state::authenticating;
    s->last = now;
    rs.status = rmcpp_status::ok;
    rs.bmc_random = s->rc;
    rs.bmc_guid = s->guid;
    rs.auth_code = code.view();
    return send(rs);
  }

  // --- RAKP 3 → 4 -----------------------------------------------------------------------------

  template <class Handler>
  constexpr std::size_t rakp_3(std::span<const std::uint8_t> payload, const endpoint& from, std::uint32_t local,
                               time_point now, Handler& h, std::span<std::uint8_t> out) noexcept {
    const auto rq = parse_rakp34(payload);
    rakp34 rs;
    rs.tag = rq.value.tag;
    std::array<std::uint8_t, 8 + max_digest_size> body{};
    const auto send = [&](const rakp34& m) {
      const std::size_t n = encode_rakp34(m, body);
      return encode_rmcpp_plain(payload_type::rakp4, 0, 0, std::span<const std::uint8_t>(body.data(), n), out);
    };
    slot* s = rq ? find_live(rq.value.session_id, now, h) : nullptr;
    if (s == nullptr || !(s->from == from) || s->local != local || s->st != state::authenticating) {
      ++stats_.unknown_session;
      rs.status = rmcpp_status::invalid_session_id;
      return send(rs);
    }
    rs.session_id = s->console_id;
    const rakp34& r = rq.value;
    if (r.status != rmcpp_status::ok) {  // the console refused RAKP 2: its password differs
      fail_login(h, *s, now, auth_failure::console_refused);
      rs.status = rmcpp_status::invalid_integrity_check_value;
      return send(rs);
    }
    if (throttled(from, now)) {
      ++stats_.throttled;
      emit(h, event_kind::throttled, *s);
      release(*s);
      rs.status = rmcpp_status::insufficient_resources;
      return send(rs);
    }
    const digest expected = rakp3_auth_code(crypto_, *s->suite, s->kuid, s->rc, s->console_id, s->role, s->name_view());
    const bool good = expected.size != 0 && expected.size == r.code.size() &&
                      ipmikit::detail::equal_in_constant_time(expected.view(), r.code) && s->known_user;
    if (!good) {
      fail_login(h, *s, now, auth_failure::bad_key_exchange_code);
      rs.status = rmcpp_status::invalid_integrity_check_value;
      return send(rs);
    }
    const key20& sik_key = cfg_.kg ? *cfg_.kg : s->kuid;
    const digest sik = session_integrity_key(crypto_, *s->suite, sik_key, s->rm, s->rc, s->role, s->name_view());
    const digest icv = rakp4_integrity_code(crypto_, *s->suite, sik, s->rm, s->id, s->guid);
    if (sik.size == 0 || icv.size == 0 || !derive_session_keys(crypto_, *s->suite, sik, s->keys)) {
      release(*s);
      rs.status = rmcpp_status::insufficient_resources;
      return send(rs);
    }
    s->kuid = {};  // no longer needed: the session keys are derived
    s->st = state::active;
    s->last = now;
    // IPMI v2.0 §13.14: a session starts at User level (or its maximum, if lower); Set
    // Session Privilege Level raises it.
    s->current = min(cmd::privilege::user, s->max);
    forgive(from);
    ++stats_.sessions_opened;
    emit(h, event_kind::session_opened, *s);
    rs.status = rmcpp_status::ok;
    rs.code = icv.view();
    return send(rs);
  }

  // --- an active session ----------------------------------------------------------------------

  template <class Handler>
  constexpr std::size_t receive_in_session(const rmcpp_fields& f, const endpoint& from, std::uint32_t local,
                                           time_point now, Handler& h, std::span<std::uint8_t> out) noexcept {
    slot* s = find_live(f.session_id, now, h);
    if (s == nullptr || s->st != state::active || !(s->from == from) || s->local != local) {
      ++stats_.unknown_session;
      return 0;
    }
    std::array<std::uint8_t, max_packet_size> plain{};
    const unprotect_result u = open_protected(crypto_, s->keys, f, plain);
    switch (u.error) {
      case unprotect_error::ok: break;
      case unprotect_error::not_protected: ++stats_.unprotected; return 0;
      case unprotect_error::bad_trailer:
      case unprotect_error::bad_integrity_code: ++stats_.bad_integrity; return 0;
      case unprotect_error::bad_encryption: ++stats_.bad_encryption; return 0;
    }
    if (!accept_sequence(*s, f.sequence)) {
      ++stats_.replayed;
      return 0;
    }
    s->last = now;
    if (f.type == payload_type::sol) return sol_in_session(*s, std::span<const std::uint8_t>(plain.data(), u.size), now, h, out);
    if (f.type != payload_type::ipmi) {  // OEM payloads: not served here
      ++stats_.bad_messages;
      return 0;
    }
    const lan_request_result q = parse_lan_request(std::span<const std::uint8_t>(plain.data(), u.size));
    if (!q) {
      ++stats_.bad_messages;
      return 0;
    }
    ++stats_.requests;
    std::array<std::uint8_t, 3 + 255> body{};
    bool close_after = false;
    const std::size_t n = answer(*s, q.value, h, body, close_after);
    std::array<std::uint8_t, max_ipmi_payload> message{};
    const std::size_t m = encode_lan_response(q.value, std::span<const std::uint8_t>(body.data(), n), message);
    const std::size_t size = m == 0 ? 0
                                    : encode_protected(crypto_, s->keys, payload_type::ipmi, s->console_id, next_out(*s),
                                                       std::span<const std::uint8_t>(message.data(), m), out);
    if (close_after) {
      ++stats_.sessions_closed;
      emit(h, event_kind::session_closed, *s);
      release(*s);
    }
    return size;
  }

  template <class Handler>
  constexpr std::size_t sol_in_session(slot& s, std::span<const std::uint8_t> payload, time_point now, Handler& h,
                                       std::span<std::uint8_t> out) noexcept {
    if constexpr (sol_handler<Handler, time_point>) {
      if (s.sol) {
        ++stats_.sol_packets;
        std::array<std::uint8_t, sol_max_payload> reply{};
        const std::size_t n = h.sol_payload(s.target, payload, now, reply);
        return n == 0 ? 0
                      : encode_protected(crypto_, s.keys, payload_type::sol, s.console_id, next_out(s),
                                         std::span<const std::uint8_t>(reply.data(), std::min(n, reply.size())), out);
      }
    }
    ++stats_.bad_messages;  // SOL not served, or not activated by this session
    return 0;
  }

  /// Activate/Deactivate Payload, Get Payload Activation Status and Instance Info for SOL
  /// (IPMI v2.0 §24; sol.md §2); nothing (dispatch answers) for the other commands.
  template <class Handler, class Reply>
  constexpr std::optional<std::size_t> payload_command(slot& s, const request_view& v, Handler& h,
                                                       const Reply& reply) noexcept {
    if (v.function != netfn::app) return std::nullopt;
    const auto& d = v.data;
    const bool sol_instance_1 = d.size() >= 2 && (d[0] & payload_type_mask) == static_cast<std::uint8_t>(payload_type::sol) &&
                                (d[1] & 0x0Fu) == sol_instance_number;
    switch (v.command) {
      case activate_payload_command: {
        if (d.size() != 6) return reply(completion_code::request_data_length_invalid, {});
        if (!sol_instance_1) return reply(completion_code::invalid_data_field, {});
        // Every packet of our sessions is encrypted; SOL is never sent in the clear.
        if ((d[2] & activate_with_encryption) == 0) return reply(payload_needs_encryption, {});
        const sol_grant g = h.sol_activation(s.target, bmc::origin{s.current, cfg_.channel});
        if (g.code != completion_code::success) return reply(g.code, {});
        if (sol_session(s.target) != 0) return reply(payload_already_active, {});
        s.sol = true;
        emit(h, event_kind::sol_activated, s);
        constexpr auto size = static_cast<std::uint16_t>(sol_max_payload);
        return reply(completion_code::success,
                     {0, 0, 0, 0, static_cast<std::uint8_t>(size & 0xFF), static_cast<std::uint8_t>(size >> 8),
                      static_cast<std::uint8_t>(size & 0xFF), static_cast<std::uint8_t>(size >> 8),
                      static_cast<std::uint8_t>(g.port & 0xFF), static_cast<std::uint8_t>(g.port >> 8), 0xFF, 0xFF});
      }
      case deactivate_payload_command: {
        if (d.size() != 6) return reply(completion_code::request_data_length_invalid, {});
        if (!sol_instance_1) return reply(completion_code::invalid_data_field, {});
        // Any session of the target may (sol.md §4: `ipmitool sol deactivate` is a new session).
        slot* holder = find(sol_session(s.target));
        if (holder == nullptr) return reply(payload_already_deactivated, {});
        emit(h, event_kind::sol_deactivated, *holder);
        holder->sol = false;
        return reply(completion_code::success, {});
      }
      case payload_activation_status_command: {
        if (d.size() != 1) return reply(completion_code::request_data_length_invalid, {});
        if ((d[0] & payload_type_mask) != static_cast<std::uint8_t>(payload_type::sol))
          return reply(completion_code::invalid_data_field, {});
        return reply(completion_code::success, {sol_instance_number, sol_session(s.target) != 0 ? std::uint8_t{1} : std::uint8_t{0}, 0});
      }
      case payload_instance_info_command: {
        if (d.size() != 2) return reply(completion_code::request_data_length_invalid, {});
        if (!sol_instance_1) return reply(completion_code::invalid_data_field, {});
        const std::uint32_t id = sol_session(s.target);
        return reply(completion_code::success, {static_cast<std::uint8_t>(id), static_cast<std::uint8_t>(id >> 8),
                                                static_cast<std::uint8_t>(id >> 16), static_cast<std::uint8_t>(id >> 24),
                                                0, 0, 0, 0, 0, 0, 0, 0});
      }
      default: return std::nullopt;
    }
  }

  /// The response body (netFn/LUN, command, completion code, data) to one session request.
  template <class Handler>
  constexpr std::size_t answer(slot& s, const lan_request& q, Handler& h, std::span<std::uint8_t> body,
                               bool& close_after) noexcept {
    const auto view = request_view::parse(q.view());
    const auto reply = [&](completion_code cc, std::initializer_list<std::uint8_t> data) {
      body[0] = pack_netfn_lun(response_netfn(view->function), view->lun);
      body[1] = view->command;
      body[2] = static_cast<std::uint8_t>(cc);
      std::size_t n = 3;
      for (std::uint8_t b : data) body[n++] = b;
      return n;
    };
    if (view && view->function == netfn::app && view->command == set_session_privilege_command) {
      if (view->data.size() != 1) return reply(completion_code::request_data_length_invalid, {});
      const std::uint8_t level = view->data[0] & 0x0Fu;
      if ((view->data[0] & 0xF0u) != 0 || level > static_cast<std::uint8_t>(cmd::privilege::oem))
        return reply(completion_code::invalid_data_field, {});
      if (level == 0) return reply(completion_code::success, {static_cast<std::uint8_t>(s.current)});
      const auto wanted = static_cast<cmd::privilege>(level);
      if (wanted < cmd::privilege::user && wanted != cmd::privilege::callback) return reply(completion_code::invalid_data_field, {});
      if (wanted > s.max) return reply(privilege_exceeds_limit, {});
      s.current = wanted;
      return reply(completion_code::success, {level});
    }
    if (view && view->function == netfn::app && view->command == close_session_command) {
      if (view->data.size() != 4 && view->data.size() != 5) return reply(completion_code::request_data_length_invalid, {});
      const std::uint32_t id = detail::le32_at(view->data, 0);
      if (id == s.id) {
        close_after = true;
        return reply(completion_code::success, {});
      }
      // Another session: an administrator may close one of the same BMC (IPMI v2.0 §22.19).
      slot* other = find(id);
      if (other == nullptr || other->st != state::active || s.current < cmd::privilege::administrator ||
          other->target != s.target)
        return reply(invalid_session_id_code, {});
      ++stats_.sessions_closed;
      emit(h, event_kind::session_closed, *other);
      release(*other);
      return reply(completion_code::success, {});
    }
    if constexpr (sol_handler<Handler, time_point>)
      if (view)
        if (const auto n = payload_command(s, *view, h, reply)) return *n;
    const bmc::dispatch_result r = h.dispatch(s.target, bmc::origin{s.current, cfg_.channel}, q.view(), body);
    return r ? r.size : 0;
  }

  /// lan.md §10: accept a number not 0, at most window_above past the highest, or at most
  /// window_below before it and not seen yet; only after the packet authenticated.
  static constexpr bool accept_sequence(slot& s, std::uint32_t seq) noexcept {
    if (seq == 0) return false;
    if (s.highest == 0) {  // the first: any (it authenticated; the console counts from anywhere)
      s.highest = seq;
      s.seen = 1;
      return true;
    }
    const std::uint32_t ahead = seq - s.highest;  // modulo 2^32
    if (ahead != 0 && ahead <= window_above) {
      s.seen = ahead >= 32 ? 1u : (s.seen << ahead) | 1u;
      s.highest = seq;
      return true;
    }
    const std::uint32_t behind = s.highest - seq;
    if (behind >= window_below + 1 || behind >= 32) return false;
    const std::uint32_t bit = 1u << behind;
    if ((s.seen & bit) != 0) return false;
    s.seen |= bit;
    return true;
  }

  static constexpr std::uint32_t next_out(slot& s) noexcept {
    if (++s.out_seq == 0) s.out_seq = 1;  // lan.md §10: skips 0 on wrap
    return s.out_seq;
  }

  // --- slots ----------------------------------------------------------------------------------

  [[nodiscard]] constexpr slot* find(std::uint32_t id) noexcept {
    const std::uint32_t index = id & 0xFFFFu;
    if (id == 0 || index >= MaxSessions || slots_[index].st == state::free || slots_[index].id != id) return nullptr;
    return &slots_[index];
  }
  [[nodiscard]] constexpr const slot* find(std::uint32_t id) const noexcept {
    return const_cast<server*>(this)->find(id);
  }

  /// A free slot, or the one in setup that has waited longest (a flood of Open Sessions never
  /// locks out an active session or a login that completes), or nothing.
  template <class Handler>
  constexpr slot* take_slot(time_point now, Handler& h) noexcept {
    slot* oldest = nullptr;
    for (slot& s : slots_) {
      if (s.st == state::free) return &s;
      if (s.st != state::active && now >= deadline(s)) {  // expired: poll() just did not run yet
        if (s.st == state::authenticating) {
          count_failure(s.from, now);
          emit(h, event_kind::auth_failed, s, auth_failure::abandoned);
        }
        release(s);
        return &s;
      }
      if (s.st != state::active && (oldest == nullptr || s.last < oldest->last)) oldest = &s;
    }
    if (oldest != nullptr) {
      ++stats_.sessions_evicted;
      // RAKP 2 went out and RAKP 3 never came: what a harvester of RAKP 2 codes does.
      const bool abandoned = oldest->st == state::authenticating;
      if (abandoned) count_failure(oldest->from, now);
      emit(h, event_kind::session_evicted, *oldest, abandoned ? auth_failure::abandoned : auth_failure::none);
      release(*oldest);
    }
    return oldest;
  }

  static constexpr void release(slot& s) noexcept { s = slot{}; }  // keys and password zeroed with it

  // A session past its deadline ends: timed out (active), or an abandoned login (a failure).
  template <class Handler>
  constexpr void expire(slot& s, time_point now, Handler& h) noexcept {
    if (s.st == state::active) {
      ++stats_.sessions_timed_out;
      emit(h, event_kind::session_timed_out, s);
    } else if (s.st == state::authenticating) {
      count_failure(s.from, now);
      emit(h, event_kind::auth_failed, s, auth_failure::abandoned);
    }
    release(s);
  }

  // find() for a packet arriving at `now`: a session past its deadline is ended first (as poll()
  // would have), so it is never answered because poll() ran late.
  template <class Handler>
  constexpr slot* find_live(std::uint32_t id, time_point now, Handler& h) noexcept {
    slot* s = find(id);
    if (s == nullptr || now < deadline(*s)) return s;
    expire(*s, now, h);
    return nullptr;
  }

  [[nodiscard]] constexpr time_point deadline(const slot& s) const noexcept {
    return s.last + (s.st == state::active ? cfg_.session_timeout : cfg_.setup_timeout);
  }

  [[nodiscard]] constexpr bool enabled(const cipher_suite& c) const noexcept {
    return (c.id == 3 && cfg_.suite_3) || (c.id == 17 && cfg_.suite_17);
  }
  [[nodiscard]] constexpr bool known_algorithm(std::uint8_t a, std::uint8_t cipher_suite::*field) const noexcept {
    for (const std::uint8_t id : {std::uint8_t{3}, std::uint8_t{17}}) {
      const cipher_suite* c = find_suite(id);
      if (c != nullptr && enabled(*c) && (*c).*field == a) return true;
    }
    return false;
  }

  static constexpr cmd::privilege min(cmd::privilege a, cmd::privilege b) noexcept { return a < b ? a : b; }

  /// A key no password matches: random, drawn once.
  constexpr bool stand_in_key(key20& k) noexcept {
    if (!stand_in_ready_) stand_in_ready_ = crypto_.random(stand_in_);
    k = stand_in_;
    return stand_in_ready_;
  }

  // --- failed logins per source ---------------------------------------------------------------

  [[nodiscard]] constexpr const source* find_source(const std::array<std::uint8_t, 16>& a) const noexcept {
    for (const source& s : sources_)
      if (s.in_use && s.address == a) return &s;
    return nullptr;
  }
  [[nodiscard]] constexpr std::uint8_t tokens(const source& s, time_point now) const noexcept {
    std::uint32_t used = s.used;
    if (cfg_.failure_refill > duration::zero() && now > s.since)
      used -= static_cast<std::uint32_t>(std::min<std::int64_t>(used, (now - s.since) / cfg_.failure_refill));
    return used >= cfg_.failure_burst ? std::uint8_t{0} : static_cast<std::uint8_t>(cfg_.failure_burst - used);
  }
  constexpr void count_failure(const endpoint& from, time_point now) noexcept {
    ++stats_.auth_failures;
    source* s = const_cast<source*>(find_source(from.address));
    if (s == nullptr) {  // a new one, or the one with the fewest failures left to forget
      s = &sources_[0];
      for (source& each : sources_) {
        if (!each.in_use) {
          s = &each;
          break;
        }
        if (tokens(each, now) > tokens(*s, now)) s = &each;
      }
      *s = source{from.address, 0, now, true};
    }
    // Refill what time gave back, then count this one.
    const std::uint8_t left = tokens(*s, now);
    s->used = static_cast<std::uint8_t>(cfg_.failure_burst - left);
    s->since = now;
    if (s->used < 0xFF) ++s->used;
  }
  constexpr void forgive(const endpoint& from) noexcept {
    if (source* s = const_cast<source*>(find_source(from.address))) *s = source{};
  }

  template <class Handler>
  constexpr void fail_login(Handler& h, slot& s, time_point now, auth_failure why) noexcept {
    count_failure(s.from, now);
    emit(h, event_kind::auth_failed, s, why);
    release(s);
  }

  // --- events ---------------------------------------------------------------------------------

  template <class Handler>
  constexpr void emit(Handler& h, event_kind k, const slot& s, auth_failure why = auth_failure::none) noexcept {
    if (s.sol && (k == event_kind::session_closed || k == event_kind::session_timed_out))
      emit(h, event_kind::sol_deactivated, s);  // the instance ends with its session
    if constexpr (requires { h.on_event(server_event{}); }) {
      server_event e;
      e.kind = k;
      e.failure = why;
      e.from = s.from;
      e.local = s.local;
      e.target = s.has_target ? s.target : 0;
      e.known_user = s.known_user;
      if (s.known_user) {
        for (std::size_t i = 0; i < s.name_size; ++i) e.user[i] = static_cast<char>(s.name[i]);
        e.user_size = s.name_size;
      }
      e.session_id = s.id;
      e.suite = s.suite != nullptr ? s.suite->id : 0;
      e.privilege = s.st == state::active ? s.current : cmd::privilege::unspecified;
      e.max_privilege = s.max;
      h.on_event(e);
    }
  }
  template <class Handler>
  constexpr void emit_throttled(Handler& h, const slot& s, const rakp1&) noexcept {
    emit(h, event_kind::throttled, s);
  }

  Crypto crypto_;
  config cfg_;
  server_stats stats_{};
  std::array<slot, MaxSessions> slots_{};
  std::array<source, TrackedSources> sources_{};
  key20 stand_in_{};
  bool stand_in_ready_ = false;
};

}  // namespace ipmikit::lan
