// fuzz/fuzz_lan.hpp — what fuzz_lan_server and fuzz_lan_session share: a crypto provider whose
// random bytes come from a counter (OpenSSL for the rest), so a run is the same every time and
// the BMC session IDs a login gets are known; the BMC behind the server (users "admin" and "op",
// and an OEM command that counts its calls), the server's handler, the remote endpoints, and
// the checks every datagram the server sends must pass.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include <ipmikit/bmc/dispatcher.hpp>
#include <ipmikit/bmc/users.hpp>
#include <ipmikit/lan/client.hpp>
#include <ipmikit/lan/openssl.hpp>
#include <ipmikit/lan/server.hpp>

#include "fuzz_common.hpp"

namespace ipmikit::fuzz_lan {

/// OpenSSL's HMAC and AES, and "random" bytes that count up from `next`: the server's session
/// IDs (the first Open Session gets 0x0001'0000 + its slot from seed 0), the stand-in key,
/// Rm, Rc and the IVs are the same in every run. For fuzzing only.
struct counting_crypto {
  lan::openssl_crypto real{};
  std::uint8_t next = 0;

  bool hmac(lan::hash h, std::span<const std::uint8_t> key, std::span<const std::uint8_t> data,
            std::span<std::uint8_t> out) noexcept {
    return real.hmac(h, key, data, out);
  }
  bool aes128_cbc_encrypt(const std::array<std::uint8_t, 16>& key, const std::array<std::uint8_t, 16>& iv,
                          std::span<const std::uint8_t> in, std::span<std::uint8_t> out) noexcept {
    return real.aes128_cbc_encrypt(key, iv, in, out);
  }
  bool aes128_cbc_decrypt(const std::array<std::uint8_t, 16>& key, const std::array<std::uint8_t, 16>& iv,
                          std::span<const std::uint8_t> in, std::span<std::uint8_t> out) noexcept {
    return real.aes128_cbc_decrypt(key, iv, in, out);
  }
  bool random(std::span<std::uint8_t> out) noexcept {
    for (std::uint8_t& b : out) b = next++;
    return true;
  }
};
static_assert(lan::crypto_provider<counting_crypto>);

using clock = fuzz::manual_clock;
using time_point = clock::time_point;
using server_type = lan::server<counting_crypto, 4, clock>;
using client_type = lan::client<counting_crypto>;

constexpr std::uint8_t poke_command = 0x01;  // OEM netFn 30h: counts its calls (operator)
constexpr std::uint8_t oem_netfn = 0x30;
constexpr std::uint32_t target_id = 7;

/// The BMC behind the server: users and channels, and a counter a replay would move twice.
struct lan_bmc {
  bmc::users users{[] {
    bmc::users_config c;
    c.lan_channel = 1;
    return c;
  }()};
  int pokes = 0;
};

inline bmc::reply poke(lan_bmc& b, const bmc::request&, std::span<std::uint8_t>) {
  ++b.pokes;
  return {completion_code::success, 0};
}

using lan_dispatcher = bmc::dispatcher<lan_bmc, 24>;

/// Users 2 "admin" (administrator) and 3 "op" (operator), the user and channel commands, poke.
inline void provision(lan_bmc& b, lan_dispatcher& d) {
  FUZZ_CHECK(bmc::add_user_commands<&lan_bmc::users>(d) == bmc::add_error::ok);
  FUZZ_CHECK(bmc::add_channel_commands<&lan_bmc::users>(d) == bmc::add_error::ok);
  FUZZ_CHECK(d.add({command_id{netfn::oem, poke_command}, 0, 0, bmc::privilege::operator_, &poke}) ==
             bmc::add_error::ok);
  FUZZ_CHECK(b.users.set_user(2, {.name = "admin", .password = "s3cret-pass", .limit = bmc::privilege::administrator}) ==
             bmc::user_error::ok);
  FUZZ_CHECK(b.users.set_user(3, {.name = "op", .password = "op-pass-123", .limit = bmc::privilege::operator_}) ==
             bmc::user_error::ok);
}

constexpr std::array<std::uint8_t, 16> bmc_guid{0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                                                0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F};

/// The server's handler: users from bmc::users, requests to the dispatcher, events counted.
/// `sessions_allowed` false: a session request reaching dispatch() is a failure (before any
/// login none can).
struct handler {
  lan_bmc* b;
  lan_dispatcher* d;
  bool sessions_allowed = false;
  std::array<std::uint64_t, 6> events{};  // by lan::event_kind
  std::uint64_t dispatched = 0;

  std::optional<lan::login> lookup(std::span<const std::uint8_t> name, std::uint32_t) {
    FUZZ_CHECK(name.size() <= lan::max_user_name);
    const auto id = b->users.find_user(std::string_view(reinterpret_cast<const char*>(name.data()), name.size()));
    if (!id || !b->users.can_log_in(*id)) return std::nullopt;
    return lan::login{target_id, *id, b->users.login_limit(*id), b->users.password_key(*id)};
  }
  std::array<std::uint8_t, 16> guid(std::uint32_t) { return bmc_guid; }
  bmc::dispatch_result dispatch(std::uint32_t target, bmc::origin o, std::span<const std::uint8_t> in,
                                std::span<std::uint8_t> out) {
    FUZZ_CHECK(sessions_allowed);
    FUZZ_CHECK(target == target_id);
    FUZZ_CHECK(o.level >= cmd::privilege::callback && o.level <= cmd::privilege::administrator);
    ++dispatched;
    return d->dispatch(*b, in, o, out);
  }
  bmc::dispatch_result dispatch_sessionless(std::uint32_t, bmc::origin o, std::span<const std::uint8_t> in,
                                            std::span<std::uint8_t> out) {
    FUZZ_CHECK(o.level == cmd::privilege::unspecified);
    return d->dispatch(*b, in, o, out);
  }
  void on_event(const lan::server_event& e) {
    const auto k = static_cast<std::size_t>(e.kind);
    FUZZ_CHECK(k < events.size());
    ++events[k];
    FUZZ_CHECK(e.user_size <= lan::max_user_name);
    if (!e.known_user) FUZZ_CHECK(e.user_size == 0);  // a name that may be a typo'd password is not told
  }
  [[nodiscard]] std::uint64_t count(lan::event_kind k) const { return events[static_cast<std::size_t>(k)]; }
};

/// The remote consoles: [0] is the one that logs in; [1] the same address from another port;
/// [2] and [3] other addresses.
inline constexpr std::array<lan::endpoint, 4> endpoints{{
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 127, 0, 0, 1}, 40000},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 127, 0, 0, 1}, 40001},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 10, 1, 2, 3}, 623},
    {{0xFE, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9}, 50000},
}};

/// A LAN response message (rqAddr, netFn/LUN, chk1, rsAddr, seq/LUN, cmd, cc, data, chk2):
/// both checksums good, a response's netFn.
inline void check_lan_response(std::span<const std::uint8_t> m) {
  FUZZ_CHECK(m.size() >= lan::lan_message_overhead + 1);
  FUZZ_CHECK(checksum_ok(m.first(3)));
  FUZZ_CHECK(checksum_ok(m.subspan(3)));
  FUZZ_CHECK(!is_request(netfn_of(m[1])));
}

/// What a reply the server wrote is, checked: an ASF pong equal to encode_asf_pong's; or a
/// packet parse_packet accepts, whose payload parses as what its type says.
struct reply_info {
  lan::packet p{};
  bool pong = false;
  bool in_session = false;  // authenticated and encrypted: an active session's
};

inline reply_info check_reply(std::span<const std::uint8_t> reply) {
  reply_info info;
  FUZZ_CHECK(reply.size() <= lan::max_packet_size);
  info.p = lan::parse_packet(reply);
  if (info.p.kind == lan::packet_kind::invalid) {
    // Only a pong fails to parse as a request would: compare it with the encoder's.
    FUZZ_CHECK(info.p.error == lan::packet_error::not_asf_ping);
    std::array<std::uint8_t, 64> pong{};
    const std::size_t n = lan::encode_asf_pong(reply.size() > 9 ? reply[9] : 0, pong);
    FUZZ_CHECK(n == reply.size());
    for (std::size_t i = 0; i < n; ++i) FUZZ_CHECK(pong[i] == reply[i]);
    info.pong = true;
    return info;
  }
  FUZZ_CHECK(info.p.kind != lan::packet_kind::asf_ping);
  if (info.p.kind == lan::packet_kind::ipmi15) {
    FUZZ_CHECK(info.p.ipmi15.auth_type == lan::auth_type_none && info.p.ipmi15.session_id == 0 &&
               info.p.ipmi15.sequence == 0);
    check_lan_response(info.p.ipmi15.message);
    return info;
  }
  const lan::rmcpp_fields& f = info.p.rmcpp;
  FUZZ_CHECK(f.authenticated == f.encrypted);
  if (f.authenticated) {
    FUZZ_CHECK(f.type == lan::payload_type::ipmi && f.session_id != 0 && f.sequence != 0);
    info.in_session = true;
    return info;
  }
  FUZZ_CHECK(f.session_id == 0 && f.sequence == 0);
  switch (f.type) {
    case lan::payload_type::ipmi: check_lan_response(f.payload); break;
    case lan::payload_type::open_session_response: FUZZ_CHECK(lan::parse_open_session_response(f.payload)); break;
    case lan::payload_type::rakp2: FUZZ_CHECK(lan::parse_rakp2(f.payload)); break;
    case lan::payload_type::rakp4: FUZZ_CHECK(lan::parse_rakp34(f.payload)); break;
    default: FUZZ_CHECK(false);  // nothing else goes out of a BMC
  }
  return info;
}

}  // namespace ipmikit::fuzz_lan
