// ipmikit/lan/client.hpp — the console side of an RMCP+ session (cipher suites 3 and 17), as a
// sans-IO object: it writes the datagrams to send and reads the ones received. For a test
// engineer's tool, a load generator, or a fuzzer that needs authenticated traffic.
//
//   lan::client<lan::openssl_crypto> c(lan::openssl_crypto{}, {.user = "admin", .password = "s3cret-pass"});
//   send(c.open(buf));                                  // Open Session Request
//   while (!c.active()) send(c.receive(datagram, buf).size ... );   // Open Session Response → RAKP 1 → 2 → 3 → 4
//   send(c.request(body, buf));                         // netFn/LUN, command, data
//   const auto r = c.receive(datagram, buf);            // r.event == client_event::response: c.response()
//
// It does not retransmit or time out: a caller that hears nothing sends again (the session's
// numbering makes the retry a new packet) or starts over. It trusts nothing it receives: RAKP 2
// and RAKP 4 are checked (a BMC that does not know the password, or a forged answer, fails the
// login), and every session packet's AuthCode before its payload.
//
// Sans-IO: no I/O, no clock, no heap, no exceptions. The password and keys stay inside.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "../cmd/app.hpp"
#include "../detail/constant_time.hpp"
#include "../message.hpp"
#include "crypto.hpp"
#include "packet.hpp"
#include "rmcp.hpp"
#include "sol.hpp"

namespace ipmikit::lan {

/// What a client logs in with.
struct client_config {
  std::string_view user{};       // at most 16 bytes
  std::string_view password{};   // at most 20 bytes
  cmd::privilege privilege = cmd::privilege::administrator;  // asked for in RAKP 1 and Set Session Privilege
  std::uint8_t suite = 17;       // 3 or 17
  std::uint32_t console_session_id = 0xA0A2A3A4;  // SIDm (ipmitool's, lan.md §6)
  std::optional<key20> kg{};
};

enum class client_event : std::uint8_t {
  none = 0,        // nothing for the caller (a datagram to send, maybe)
  active = 1,      // RAKP 4 verified: requests may be sent
  response = 2,    // a response arrived: response()
  failed = 3,      // the login failed: failure() says at which step and status()
  ignored = 4,     // a datagram that is not for this client, or does not verify
  sol = 5,         // a SOL payload arrived (lan/sol.hpp): sol_payload()
};

[[nodiscard]] constexpr std::string_view name(client_event e) noexcept {
  return detail::enum_name<client_event, 6>(e, {"none", "active", "response", "failed", "ignored", "sol"});
}

enum class client_failure : std::uint8_t {
  none = 0,
  bad_config = 1,          // a user name, password or suite it cannot use
  open_refused = 2,        // Open Session Response carried an error status
  wrong_algorithms = 3,    // the BMC chose other algorithms than asked
  rakp2_refused = 4,       // RAKP 2 carried an error status
  rakp2_mismatch = 5,      // RAKP 2's code is not the password's: the BMC does not know it (or lies)
  rakp4_refused = 6,       // RAKP 4 carried an error status (the BMC refused RAKP 3)
  rakp4_mismatch = 7,      // RAKP 4's code does not verify
  crypto_failed = 8,
};

[[nodiscard]] constexpr std::string_view name(client_failure f) noexcept {
  return detail::enum_name<client_failure, 9>(f, {"none", "bad_config", "open_refused", "wrong_algorithms",
                                                  "rakp2_refused", "rakp2_mismatch", "rakp4_refused",
                                                  "rakp4_mismatch", "crypto_failed"});
}

struct client_result {
  client_event event = client_event::none;
  std::size_t size = 0;  // bytes of the next datagram to send (written to `out`)
};

template <crypto_provider Crypto>
class client {
 public:
  enum class state : std::uint8_t { idle, opening, rakp1_sent, rakp3_sent, active, failed, closed };

  constexpr client(Crypto crypto, const client_config& cfg) noexcept : crypto_(crypto), cfg_(cfg) {
    suite_ = find_suite(cfg.suite);
    ok_ = suite_ != nullptr && cfg.user.size() <= max_user_name && cfg.password.size() <= kuid_.size();
    for (std::size_t i = 0; ok_ && i < cfg.password.size(); ++i) kuid_[i] = static_cast<std::uint8_t>(cfg.password[i]);
    for (std::size_t i = 0; ok_ && i < cfg.user.size(); ++i) name_[i] = static_cast<std::uint8_t>(cfg.user[i]);
    name_size_ = ok_ ? static_cast<std::uint8_t>(cfg.user.size()) : 0;
    role_ = static_cast<std::uint8_t>(role_name_only_lookup | static_cast<std::uint8_t>(cfg.privilege));
  }

  [[nodiscard]] constexpr state current() const noexcept { return st_; }
  [[nodiscard]] constexpr bool active() const noexcept { return st_ == state::active; }
  [[nodiscard]] constexpr client_failure failure() const noexcept { return failure_; }
  [[nodiscard]] constexpr rmcpp_status status() const noexcept { return status_; }
  [[nodiscard]] constexpr std::uint32_t bmc_session_id() const noexcept { return bmc_id_; }
  [[nodiscard]] constexpr cmd::privilege granted_privilege() const noexcept { return granted_; }
  /// The last response body: netFn/LUN, command, completion code, data.
  [[nodiscard]] constexpr std::span<const std::uint8_t> response() const noexcept { return {response_.data(), response_size_}; }
  /// The last SOL payload received (lan/sol.hpp: parse_sol_packet reads it).
  [[nodiscard]] constexpr std::span<const std::uint8_t> sol_payload() const noexcept { return {sol_.data(), sol_size_}; }
  /// The sequence number the next request goes out with.
  [[nodiscard]] constexpr std::uint32_t next_sequence() const noexcept { return out_seq_ + 1; }

  /// Starts a login: writes the Open Session Request. 0 when the config cannot be used.
  constexpr std::size_t open(std::span<std::uint8_t> out) noexcept {
    if (!ok_) return fail(client_failure::bad_config).size;
    open_session_request r;
    r.tag = ++tag_;
    r.max_privilege = static_cast<std::uint8_t>(cfg_.privilege);
    r.console_session_id = cfg_.console_session_id;
    r.authentication.algorithm = suite_->authentication;
    r.integrity.algorithm = suite_->integrity;
    r.confidentiality.algorithm = suite_->confidentiality;
    std::array<std::uint8_t, open_session_request_size> body{};
    const std::size_t n = encode_open_session_request(r, body);
    st_ = state::opening;
    return encode_rmcpp_plain(payload_type::open_session_request, 0, 0, std::span<const std::uint8_t>(body.data(), n), out);
  }

  /// A request in the active session: `body` is netFn/LUN, command, data. 0 when not active.
  constexpr std::size_t request(std::span<const std::uint8_t> body, std::span<std::uint8_t> out) noexcept {
    if (st_ != state::active) return 0;
    std::array<std::uint8_t, max_ipmi_payload> message{};
    const std::size_t m = encode_lan_request(body, rq_seq_++, message);
    if (m == 0) return 0;
    if (++out_seq_ == 0) out_seq_ = 1;
    return encode_protected(crypto_, keys_, payload_type::ipmi, bmc_id_, out_seq_,
                            std::span<const std::uint8_t>(message.data(), m), out);
  }

  /// A SOL payload (lan/sol.hpp: encode_sol_packet) in the active session, after Activate
  /// Payload succeeded. 0 when not active or longer than sol_max_payload.
  constexpr std::size_t send_sol(std::span<const std::uint8_t> payload, std::span<std::uint8_t> out) noexcept {
    if (st_ != state::active || payload.size() > sol_max_payload) return 0;
    if (++out_seq_ == 0) out_seq_ = 1;
    return encode_protected(crypto_, keys_, payload_type::sol, bmc_id_, out_seq_, payload, out);
  }

  /// The same packet again with its old sequence number: what a replaying attacker sends (for
  /// tests). 0 when not active.
  constexpr std::size_t request_with_sequence(std::span<const std::uint8_t> body, std::uint32_t sequence,
                                              std::span<std::uint8_t> out) noexcept {
    if (st_ != state::active) return 0;
    std::array<std::uint8_t, max_ipmi_payload> message{};
    const std::size_t m = encode_lan_request(body, rq_seq_++, message);
    return m == 0 ? 0 : encode_protected(crypto_, keys_, payload_type::ipmi, bmc_id_, sequence,
                                         std::span<const std::uint8_t>(message.data(), m), out);
  }

  /// Close Session (App 3Ch) for this session; the caller reads its response, then the client is closed.
  constexpr std::size_t close(std::span<std::uint8_t> out) noexcept {
    std::array<std::uint8_t, 6> body{pack_netfn_lun(netfn::app, lun::bmc), 0x3C, 0, 0, 0, 0};
    detail::put_le32(body, 2, bmc_id_);
    const std::size_t n = request(body, out);
    if (n != 0) closing_ = true;
    return n;
  }

  /// Reads one received datagram; writes the next one to send, if any.
  constexpr client_result receive(std::span<const std::uint8_t> datagram, std::span<std::uint8_t> out) noexcept {
    const packet p = parse_packet(datagram);
    if (p.kind != packet_kind::rmcpp) return {client_event::ignored, 0};
    const rmcpp_fields& f = p.rmcpp;
    switch (st_) {
      case state::opening:
        return f.type == payload_type::open_session_response ? on_open(f.payload, out) : ignored();
      case state::rakp1_sent: return f.type == payload_type::rakp2 ? on_rakp2(f.payload, out) : ignored();
      case state::rakp3_sent: return f.type == payload_type::rakp4 ? on_rakp4(f.payload) : ignored();
      case state::active: return on_session(f);
      default: return ignored();
    }
  }

 private:
  static constexpr client_result ignored() noexcept { return {client_event::ignored, 0}; }
  constexpr client_result fail(client_failure f, rmcpp_status s = rmcpp_status::ok) noexcept {
    st_ = state::failed;
    failure_ = f;
    status_ = s;
    return {client_event::failed, 0};
  }

  constexpr client_result on_open(std::span<const std::uint8_t> payload, std::span<std::uint8_t> out) noexcept {
    const auto r = parse_open_session_response(payload);
    if (!r || r.value.tag != tag_ || r.value.console_session_id != cfg_.console_session_id) return ignored();
    if (r.value.status != rmcpp_status::ok) return fail(client_failure::open_refused, r.value.status);
    if (r.value.authentication != suite_->authentication || r.value.integrity != suite_->integrity ||
        r.value.confidentiality != suite_->confidentiality)
      return fail(client_failure::wrong_algorithms);
    bmc_id_ = r.value.bmc_session_id;
    if (!crypto_.random(rm_)) return fail(client_failure::crypto_failed);
    rakp1 m;
    m.tag = ++tag_;
    m.bmc_session_id = bmc_id_;
    m.console_random = rm_;
    m.role = role_;
    m.name = name_;
    m.name_size = name_size_;
    std::array<std::uint8_t, rakp1_min_size + max_user_name> body{};
    const std::size_t n = encode_rakp1(m, body);
    st_ = state::rakp1_sent;
    return {client_event::none,
            encode_rmcpp_plain(payload_type::rakp1, 0, 0, std::span<const std::uint8_t>(body.data(), n), out)};
  }

  constexpr client_result on_rakp2(std::span<const std::uint8_t> payload, std::span<std::uint8_t> out) noexcept {
    const auto r = parse_rakp2(payload);
    if (!r || r.value.tag != tag_) return ignored();
    if (r.value.status != rmcpp_status::ok) return fail(client_failure::rakp2_refused, r.value.status);
    rc_ = r.value.bmc_random;
    guid_ = r.value.bmc_guid;
    const digest expected = rakp2_auth_code(crypto_, *suite_, kuid_, cfg_.console_session_id, bmc_id_, rm_, rc_, guid_,
                                            role_, std::span<const std::uint8_t>(name_.data(), name_size_));
    rakp34 m;
    m.tag = ++tag_;
    m.session_id = bmc_id_;
    std::array<std::uint8_t, 8 + max_digest_size> body{};
    const bool good = expected.size != 0 && expected.size == r.value.auth_code.size() &&
                      ipmikit::detail::equal_in_constant_time(expected.view(), r.value.auth_code);
    if (!good) {  // tell the BMC (lan.md §7: status 0Fh, no code), then give up
      m.status = rmcpp_status::invalid_integrity_check_value;
      const std::size_t n = encode_rakp34(m, body);
      const std::size_t size =
          encode_rmcpp_plain(payload_type::rakp3, 0, 0, std::span<const std::uint8_t>(body.data(), n), out);
      (void)fail(client_failure::rakp2_mismatch);
      return {client_event::failed, size};
    }
    const digest code = rakp3_auth_code(crypto_, *suite_, kuid_, rc_, cfg_.console_session_id, role_,
                                        std::span<const std::uint8_t>(name_.data(), name_size_));
    if (code.size == 0) return fail(client_failure::crypto_failed);
    m.code = code.view();
    const std::size_t n = encode_rakp34(m, body);
    st_ = state::rakp3_sent;
    return {client_event::none,
            encode_rmcpp_plain(payload_type::rakp3, 0, 0, std::span<const std::uint8_t>(body.data(), n), out)};
  }

  constexpr client_result on_rakp4(std::span<const std::uint8_t> payload) noexcept {
    const auto r = parse_rakp34(payload);
    if (!r || r.value.tag != tag_ || r.value.session_id != cfg_.console_session_id) return ignored();
    if (r.value.status != rmcpp_status::ok) return fail(client_failure::rakp4_refused, r.value.status);
    const key20& sik_key = cfg_.kg ? *cfg_.kg : kuid_;
    const digest sik = session_integrity_key(crypto_, *suite_, sik_key, rm_, rc_, role_,
                                             std::span<const std::uint8_t>(name_.data(), name_size_));
    const digest icv = rakp4_integrity_code(crypto_, *suite_, sik, rm_, bmc_id_, guid_);
    if (icv.size == 0 || icv.size != r.value.code.size() ||
        !ipmikit::detail::equal_in_constant_time(icv.view(), r.value.code))
      return fail(client_failure::rakp4_mismatch);
    if (!derive_session_keys(crypto_, *suite_, sik, keys_)) return fail(client_failure::crypto_failed);
    kuid_ = {};
    st_ = state::active;
    granted_ = cmd::privilege::user;
    return {client_event::active, 0};
  }

  constexpr client_result on_session(const rmcpp_fields& f) noexcept {
    if (f.session_id != cfg_.console_session_id || (f.type != payload_type::ipmi && f.type != payload_type::sol))
      return ignored();
    std::array<std::uint8_t, max_packet_size> plain{};
    const unprotect_result u = open_protected(crypto_, keys_, f, plain);
    if (f.type == payload_type::sol) {
      if (!u || u.size > sol_.size()) return ignored();
      std::copy_n(plain.begin(), u.size, sol_.begin());
      sol_size_ = u.size;
      return {client_event::sol, 0};
    }
    if (!u || u.size < lan_message_overhead + 1 || !checksum_ok(std::span<const std::uint8_t>(plain.data(), 3)) ||
        !checksum_ok(std::span<const std::uint8_t>(plain.data() + 3, u.size - 3)))
      return ignored();
    // The answer to the last request only: a late answer to one sent before (a retry's first
    // attempt) carries an older rqSeq and is not taken for it.
    if (static_cast<std::uint8_t>(plain[4] >> 2) != static_cast<std::uint8_t>((rq_seq_ - 1u) & 0x3Fu)) return ignored();
    // rqAddr, netFn/LUN, chk1, rsAddr, seq/LUN, cmd, cc, data, chk2 → netFn/LUN, cmd, cc, data
    response_[0] = plain[1];
    response_[1] = plain[5];
    response_size_ = 2;
    for (std::size_t i = 6; i + 1 < u.size; ++i) response_[response_size_++] = plain[i];
    if (closing_) st_ = state::closed;
    return {client_event::response, 0};
  }

  Crypto crypto_;
  client_config cfg_;
  const cipher_suite* suite_ = nullptr;
  bool ok_ = false;
  state st_ = state::idle;
  client_failure failure_ = client_failure::none;
  rmcpp_status status_ = rmcpp_status::ok;
  std::uint8_t tag_ = 0;
  key20 kuid_{};
  std::array<std::uint8_t, max_user_name> name_{};
  std::uint8_t name_size_ = 0;
  std::uint8_t role_ = 0;
  std::uint32_t bmc_id_ = 0;
  random16 rm_{}, rc_{};
  std::array<std::uint8_t, 16> guid_{};
  session_keys keys_{};
  std::uint32_t out_seq_ = 0;
  std::uint8_t rq_seq_ = 0;
  bool closing_ = false;
  cmd::privilege granted_ = cmd::privilege::unspecified;
  std::array<std::uint8_t, 3 + 255> response_{};
  std::size_t response_size_ = 0;
  std::array<std::uint8_t, sol_max_payload> sol_{};
  std::size_t sol_size_ = 0;
};

}  // namespace ipmikit::lan
