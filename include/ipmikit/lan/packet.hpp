// ipmikit/lan/packet.hpp — an active RMCP+ session's packets: the payload encrypted with
// AES-CBC-128 under K2 and the whole packet signed with the integrity algorithm under K1
// (IPMI v2.0 §13.28-§13.29, lan.md §2.2 and §9), both ways: what the BMC (lan/server.hpp) and
// a console (lan/client.hpp) send and check. The keys are a session's, derived in the RAKP
// exchange (lan/crypto.hpp).
//
//   const std::size_t n = lan::encode_protected(crypto, keys, lan::payload_type::ipmi, sid, seq, message, out);
//   const lan::unprotect_result r = lan::open_protected(crypto, keys, packet.rmcpp, plain);
//
// Sans-IO: no clock, no heap, no exceptions. The keys are secrets: nothing here prints them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "crypto.hpp"
#include "rmcp.hpp"

namespace ipmikit::lan {

/// What an active session protects its packets with.
struct session_keys {
  const cipher_suite* suite = nullptr;
  digest k1{};  // integrity key
  digest k2{};  // confidentiality key (its first 16 bytes are the AES key)
};

/// Derives K1 and K2 from the SIK (lan.md §8). False on a crypto failure.
template <crypto_provider C>
constexpr bool derive_session_keys(C& crypto, const cipher_suite& suite, const digest& sik, session_keys& keys) noexcept {
  keys.suite = &suite;
  keys.k1 = k1(crypto, suite, sik);
  keys.k2 = k2(crypto, suite, sik);
  return keys.k1.size != 0 && keys.k2.size >= 16;
}

/// Writes an authenticated and encrypted RMCP+ packet: RMCP header, session header (payload
/// type with bits 7 and 6 set), IV ‖ ciphertext, integrity pad, pad length, next header and
/// AuthCode. Returns its size, or 0 when `out` is too small or the crypto failed.
template <crypto_provider C>
constexpr std::size_t encode_protected(C& crypto, const session_keys& keys, payload_type type, std::uint32_t session_id,
                                       std::uint32_t sequence, std::span<const std::uint8_t> plain,
                                       std::span<std::uint8_t> out) noexcept {
  if (keys.suite == nullptr) return 0;
  const std::size_t payload = encrypted_size(plain.size());
  const std::size_t pad = integrity_pad_size(payload);
  const std::size_t size = rmcp_header_size + rmcpp_header_size + payload + pad + rmcpp_trailer_fixed +
                           keys.suite->integrity_code_size;
  if (payload > 0xFFFF || out.size() < size) return 0;
  write_rmcp_header(out);
  auto h = out.subspan(rmcp_header_size);
  h[0] = auth_type_rmcpp;
  h[1] = static_cast<std::uint8_t>(payload_encrypted | payload_authenticated | static_cast<std::uint8_t>(type));
  detail::put_le32(h, 2, session_id);
  detail::put_le32(h, 6, sequence);
  h[10] = static_cast<std::uint8_t>(payload);
  h[11] = static_cast<std::uint8_t>(payload >> 8);
  if (encrypt_payload(crypto, keys.k2, plain, h.subspan(rmcpp_header_size, payload)) != payload) return 0;
  std::size_t at = rmcpp_header_size + payload;
  for (std::size_t i = 0; i < pad; ++i) h[at++] = integrity_pad_byte;
  h[at++] = static_cast<std::uint8_t>(pad);
  h[at++] = next_header_ipmi;
  const digest code = integrity_code(crypto, *keys.suite, keys.k1, h.first(at));
  if (code.size != keys.suite->integrity_code_size) return 0;
  for (std::size_t i = 0; i < code.size; ++i) h[at++] = code.bytes[i];
  return size;
}

/// Why open_protected() refused a packet.
enum class unprotect_error : std::uint8_t {
  ok = 0,
  not_protected = 1,      // not both authenticated and encrypted: an active session accepts nothing else
  bad_trailer = 2,        // integrity pad, pad length, next header or AuthCode size wrong
  bad_integrity_code = 3, // the AuthCode does not match (a forged or damaged packet)
  bad_encryption = 4,     // authenticated, but the payload does not decrypt (see decrypt_error)
};

[[nodiscard]] constexpr std::string_view name(unprotect_error e) noexcept {
  return detail::enum_name<unprotect_error, 5>(
      e, {"ok", "not_protected", "bad_trailer", "bad_integrity_code", "bad_encryption"});
}

struct unprotect_result {
  unprotect_error error = unprotect_error::ok;
  std::size_t size = 0;  // plaintext bytes written
  [[nodiscard]] constexpr explicit operator bool() const noexcept { return error == unprotect_error::ok; }
};

/// Checks a received packet's AuthCode (in constant time) and only then decrypts its payload
/// into `plain`. The caller checks the session ID and the sequence number around it (a
/// replayed packet has a good AuthCode).
template <crypto_provider C>
constexpr unprotect_result open_protected(C& crypto, const session_keys& keys, const rmcpp_fields& f,
                                          std::span<std::uint8_t> plain) noexcept {
  if (keys.suite == nullptr || !f.authenticated || !f.encrypted) return {unprotect_error::not_protected, 0};
  const rmcpp_trailer t = parse_rmcpp_trailer(f, keys.suite->integrity_code_size);
  if (t.error != packet_error::ok) return {unprotect_error::bad_trailer, 0};
  const digest expected = integrity_code(crypto, *keys.suite, keys.k1, t.covered);
  if (expected.size != t.auth_code.size() ||
      !ipmikit::detail::equal_in_constant_time(expected.view(), t.auth_code))
    return {unprotect_error::bad_integrity_code, 0};
  const decrypt_result d = decrypt_payload(crypto, keys.k2, f.payload, plain);
  if (d.error != decrypt_error::ok) return {unprotect_error::bad_encryption, 0};
  return {unprotect_error::ok, d.size};
}

}  // namespace ipmikit::lan
