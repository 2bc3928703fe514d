// ipmikit/lan/crypto.hpp — the cryptography of an RMCP+ (IPMI v2.0 over LAN) session for cipher
// suites 3 and 17: the RAKP authentication codes, the session keys (SIK, K1, K2), the session
// trailer's AuthCode, and the AES-CBC-128 payload encryption (../shared/reference/lan.md §5, §8,
// §9, §2.2).
//
// Crypto-agnostic: the primitives (HMAC-SHA1/SHA256, AES-128-CBC, random bytes) come from a
// crypto_provider the caller supplies; lan/openssl.hpp is one on OpenSSL 3's libcrypto (its own
// CMake target, ipmikit::openssl; this header needs none). What is here is only how RMCP+ puts
// those primitives together, so a provider with constexpr primitives makes all of it constexpr.
//
//   lan::openssl_crypto c;
//   const lan::cipher_suite* s = lan::find_suite(auth, integrity, confidentiality);  // Open Session
//   lan::digest code = lan::rakp2_auth_code(c, *s, kuid, sid_m, sid_c, rm, rc, guid, role, name);
//   lan::digest sik = lan::session_integrity_key(c, *s, kuid, rm, rc, role, name);
//   lan::digest k1 = lan::k1(c, *s, sik), k2 = lan::k2(c, *s, sik);
//   if (!lan::integrity_code(c, *s, k1, packet_without_authcode).matches(received_authcode)) ...
//   n = lan::encrypt_payload(c, k2, plain, out);        // IV ‖ AES-CBC(plain ‖ 01 02 … ‖ pad_len)
//
// Secrets: a digest (and key20) holds key material (K_uid, SIK, K1, K2) or an authentication
// code. None of these types can be printed, named or streamed (no operator<<, no name()), and
// digest has no operator==: compare received codes with digest::matches(), which takes constant
// time. The functions zero their own temporaries (the bytes hashed, the AES key and last block)
// before they return; the caller zeroes the digests it keeps when the session ends (clear()).
//
// No heap, no exceptions, no I/O, no clock.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "../detail/constant_time.hpp"
#include "../detail/enum_name.hpp"

namespace ipmikit::lan {

// ---------------------------------------------------------------------------------------------
// Algorithms and cipher suites

/// The hash under every HMAC of a suite.
enum class hash : std::uint8_t { sha1, sha256 };

/// Bytes of a digest of `h`: 20 for SHA-1, 32 for SHA-256.
[[nodiscard]] constexpr std::size_t digest_size(hash h) noexcept { return h == hash::sha1 ? 20 : 32; }

/// The largest digest_size().
inline constexpr std::size_t max_digest_size = 32;

/// The algorithm numbers of Open Session's three algorithm payloads (lan.md §5; byte 4, bits 5:0).
namespace algorithm_number {
inline constexpr std::uint8_t rakp_hmac_sha1 = 0x01;     // lan.md §5: authentication 01h
inline constexpr std::uint8_t rakp_hmac_sha256 = 0x03;   // lan.md §5: authentication 03h
inline constexpr std::uint8_t hmac_sha1_96 = 0x01;       // lan.md §5: integrity 01h
inline constexpr std::uint8_t hmac_sha256_128 = 0x04;    // lan.md §5: integrity 04h
inline constexpr std::uint8_t aes_cbc_128 = 0x01;        // lan.md §5: confidentiality 01h
}  // namespace algorithm_number

/// The cipher suites implemented (lan.md §5): 3 and 17.
struct cipher_suite {
  std::uint8_t id;                  // 3 or 17
  std::uint8_t authentication;      // RAKP-HMAC-SHA1 = 01h, RAKP-HMAC-SHA256 = 03h
  std::uint8_t integrity;           // HMAC-SHA1-96 = 01h, HMAC-SHA256-128 = 04h
  std::uint8_t confidentiality;     // AES-CBC-128 = 01h
  hash algorithm;                   // the HMAC of authentication, integrity, SIK, K1, K2
  std::size_t integrity_code_size;  // 12 / 16 (the AuthCode trailer)
  std::size_t rakp4_code_size;      // 12 / 16
};

/// Suite 3: RAKP-HMAC-SHA1 / HMAC-SHA1-96 / AES-CBC-128 (lan.md §5, §2.2, §7).
inline constexpr cipher_suite suite_3{
    .id = 3,
    .authentication = algorithm_number::rakp_hmac_sha1,
    .integrity = algorithm_number::hmac_sha1_96,
    .confidentiality = algorithm_number::aes_cbc_128,
    .algorithm = hash::sha1,
    .integrity_code_size = 12,  // lan.md §2.2: SHA1-96
    .rakp4_code_size = 12,      // lan.md §7: RAKP4 ICV 12 bytes for SHA1
};

/// Suite 17: RAKP-HMAC-SHA256 / HMAC-SHA256-128 / AES-CBC-128 (lan.md §5, §2.2, §7).
inline constexpr cipher_suite suite_17{
    .id = 17,
    .authentication = algorithm_number::rakp_hmac_sha256,
    .integrity = algorithm_number::hmac_sha256_128,
    .confidentiality = algorithm_number::aes_cbc_128,
    .algorithm = hash::sha256,
    .integrity_code_size = 16,  // lan.md §2.2: SHA256-128
    .rakp4_code_size = 16,      // lan.md §7: RAKP4 ICV 16 bytes for SHA256
};

/// Every suite implemented, in the order Get Channel Cipher Suites lists them.
inline constexpr std::array<const cipher_suite*, 2> implemented_suites{&suite_3, &suite_17};

/// Bytes of the RAKP2 and RAKP3 key-exchange auth codes: the whole HMAC (lan.md §7: 20 / 32).
[[nodiscard]] constexpr std::size_t rakp_code_size(const cipher_suite& s) noexcept { return digest_size(s.algorithm); }

/// The suite whose three algorithm numbers are these (as in Open Session, bits 5:0 already
/// taken), or nullptr.
[[nodiscard]] constexpr const cipher_suite* find_suite(std::uint8_t auth, std::uint8_t integrity,
                                                       std::uint8_t conf) noexcept {
  for (const cipher_suite* s : implemented_suites)
    if (s->authentication == auth && s->integrity == integrity && s->confidentiality == conf) return s;
  return nullptr;
}

/// The suite numbered `id` (3 or 17), or nullptr.
[[nodiscard]] constexpr const cipher_suite* find_suite(std::uint8_t id) noexcept {
  for (const cipher_suite* s : implemented_suites)
    if (s->id == id) return s;
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// The provider

/// What a crypto provider gives (the caller's; one adapter on OpenSSL is in lan/openssl.hpp).
/// hmac(h, key, data, out): HMAC-h(key, data) → writes digest_size(h) bytes to out (out.size() >=
/// digest_size); false on failure. aes128_cbc_encrypt/decrypt(key, iv, in, out): AES-128-CBC
/// without padding; in.size() % 16 == 0, out.size() >= in.size(), in and out do not overlap;
/// false on failure. random(out): cryptographically random bytes; false on failure.
template <class C>
concept crypto_provider = requires(C& c, hash h, std::span<const std::uint8_t> in, std::span<std::uint8_t> out,
                                   const std::array<std::uint8_t, 16>& key16) {
  { c.hmac(h, in /*key*/, in /*data*/, out) } -> std::same_as<bool>;
  { c.aes128_cbc_encrypt(key16 /*key*/, key16 /*iv*/, in, out) } -> std::same_as<bool>;
  { c.aes128_cbc_decrypt(key16, key16, in, out) } -> std::same_as<bool>;
  { c.random(out) } -> std::same_as<bool>;
};

// ---------------------------------------------------------------------------------------------
// Keys and codes

/// A key or an authentication code: the first `size` bytes of `bytes` (size 0: none, a failure).
/// Key material: not printable, no operator== (use matches()).
struct digest {
  std::array<std::uint8_t, max_digest_size> bytes{};
  std::size_t size = 0;

  [[nodiscard]] constexpr std::span<const std::uint8_t> view() const noexcept {
    return std::span<const std::uint8_t>(bytes).first(size <= bytes.size() ? size : bytes.size());
  }
  /// This code equals `received` (same size, same bytes), compared in constant time; never for
  /// an empty digest (a failed computation matches nothing).
  [[nodiscard]] constexpr bool matches(std::span<const std::uint8_t> received) const noexcept {
    return size != 0 && ipmikit::detail::equal_in_constant_time(view(), received);
  }
  /// Zeroes the bytes and the size.
  constexpr void clear() noexcept;
};

/// K_uid (the user's password zero-padded to 20 bytes) or K_g (the BMC key) (lan.md §8).
using key20 = std::array<std::uint8_t, 20>;

/// The longest user name RAKP1 carries (lan.md §7: ULENGTHm 0-16).
inline constexpr std::size_t max_name_size = 16;

/// The IV and block size of AES-CBC-128 (lan.md §9).
inline constexpr std::size_t aes_block_size = 16;

namespace detail {

/// Sets `bytes` to zero in a way the optimizer does not drop as a dead store.
constexpr void wipe(std::span<std::uint8_t> bytes) noexcept {
  if (std::is_constant_evaluated()) {
    for (std::uint8_t& b : bytes) b = 0;
    return;
  }
  volatile std::uint8_t* p = bytes.data();
  for (std::size_t i = 0; i < bytes.size(); ++i) p[i] = 0;
}

/// The bytes one HMAC hashes, gathered on the stack (the longest, RAKP2's, is 58 + 16).
struct hmac_input {
  std::array<std::uint8_t, 80> bytes{};
  std::size_t size = 0;

  constexpr void put(std::uint8_t b) noexcept { bytes[size++] = b; }
  constexpr void put(std::span<const std::uint8_t> s) noexcept {
    for (std::uint8_t b : s) put(b);
  }
  /// A session ID in its wire form, little-endian (lan.md §8).
  constexpr void put_le32(std::uint32_t v) noexcept {
    for (int shift = 0; shift < 32; shift += 8) put(static_cast<std::uint8_t>(v >> shift));
  }
  /// ROLEm ‖ ULENGTHm ‖ UNAMEm (lan.md §8; name at most max_name_size, checked by the caller).
  constexpr void put_role_and_name(std::uint8_t role, std::span<const std::uint8_t> name) noexcept {
    put(role);
    put(static_cast<std::uint8_t>(name.size()));
    put(name);
  }
  [[nodiscard]] constexpr std::span<const std::uint8_t> view() const noexcept {
    return std::span<const std::uint8_t>(bytes).first(size);
  }
  constexpr ~hmac_input() { wipe(bytes); }
};

/// HMAC-(s.algorithm)(key, data), truncated to `keep` bytes (0: the whole digest); an empty
/// digest when the provider fails.
template <crypto_provider C>
[[nodiscard]] constexpr digest hmac(C& c, const cipher_suite& s, std::span<const std::uint8_t> key,
                                    std::span<const std::uint8_t> data, std::size_t keep = 0) noexcept {
  digest d;
  const std::size_t full = digest_size(s.algorithm);
  if (!c.hmac(s.algorithm, key, data, std::span<std::uint8_t>(d.bytes))) {
    d.clear();
    return d;
  }
  d.size = keep != 0 && keep < full ? keep : full;
  wipe(std::span<std::uint8_t>(d.bytes).subspan(d.size));
  return d;
}

/// A key derived from the SIK (lan.md §8): HMAC(SIK, 20 × `constant`); empty for an SIK of the
/// wrong size.
template <crypto_provider C>
[[nodiscard]] constexpr digest from_sik(C& c, const cipher_suite& s, const digest& sik, std::uint8_t constant) noexcept {
  if (sik.size != digest_size(s.algorithm)) return {};
  std::array<std::uint8_t, 20> data{};
  for (std::uint8_t& b : data) b = constant;
  return hmac(c, s, sik.view(), data);
}

}  // namespace detail

constexpr void digest::clear() noexcept {
  detail::wipe(bytes);
  size = 0;
}

/// RAKP values (lan.md §8). Each returns a digest, empty (size 0) when the provider fails or the
/// name is longer than max_name_size. sid_m / sid_c are host integers, hashed little-endian; role
/// is the WHOLE RAKP1 byte 24 (the lookup bit included); name is UNAMEm.
///
/// RAKP2's key-exchange auth code: HMAC(K_uid, SIDm ‖ SIDc ‖ Rm ‖ Rc ‖ GUIDc ‖ ROLEm ‖ ULENGTHm ‖
/// UNAMEm), the whole digest (20 / 32 bytes).
template <crypto_provider C>
[[nodiscard]] constexpr digest rakp2_auth_code(C& c, const cipher_suite& s, const key20& kuid, std::uint32_t sid_m,
                                               std::uint32_t sid_c, const std::array<std::uint8_t, 16>& rm,
                                               const std::array<std::uint8_t, 16>& rc,
                                               const std::array<std::uint8_t, 16>& guid_c, std::uint8_t role,
                                               std::span<const std::uint8_t> name) noexcept {
  if (name.size() > max_name_size) return {};
  detail::hmac_input in;
  in.put_le32(sid_m);
  in.put_le32(sid_c);
  in.put(rm);
  in.put(rc);
  in.put(guid_c);
  in.put_role_and_name(role, name);
  return detail::hmac(c, s, kuid, in.view());
}

/// RAKP3's auth code (what the console sends; the BMC compares): HMAC(K_uid, Rc ‖ SIDm ‖ ROLEm ‖
/// ULENGTHm ‖ UNAMEm), the whole digest.
template <crypto_provider C>
[[nodiscard]] constexpr digest rakp3_auth_code(C& c, const cipher_suite& s, const key20& kuid,
                                               const std::array<std::uint8_t, 16>& rc, std::uint32_t sid_m,
                                               std::uint8_t role, std::span<const std::uint8_t> name) noexcept {
  if (name.size() > max_name_size) return {};
  detail::hmac_input in;
  in.put(rc);
  in.put_le32(sid_m);
  in.put_role_and_name(role, name);
  return detail::hmac(c, s, kuid, in.view());
}

/// The Session Integrity Key: HMAC(K_g when it is non-null, else K_uid — the caller chooses;
/// Rm ‖ Rc ‖ ROLEm ‖ ULENGTHm ‖ UNAMEm), the whole digest.
template <crypto_provider C>
[[nodiscard]] constexpr digest session_integrity_key(C& c, const cipher_suite& s, const key20& kg_or_kuid,
                                                     const std::array<std::uint8_t, 16>& rm,
                                                     const std::array<std::uint8_t, 16>& rc, std::uint8_t role,
                                                     std::span<const std::uint8_t> name) noexcept {
  if (name.size() > max_name_size) return {};
  detail::hmac_input in;
  in.put(rm);
  in.put(rc);
  in.put_role_and_name(role, name);
  return detail::hmac(c, s, kg_or_kuid, in.view());
}

/// K1, the integrity key: HMAC(SIK, 20 × 01h), the whole digest (the AuthCode's HMAC key). Empty
/// when `sik` is not a whole digest of the suite's hash.
template <crypto_provider C>
[[nodiscard]] constexpr digest k1(C& c, const cipher_suite& s, const digest& sik) noexcept {
  return detail::from_sik(c, s, sik, 0x01);  // lan.md §8: 20 × 01h
}

/// K2, the confidentiality key: HMAC(SIK, 20 × 02h), the whole digest; the AES key is its first
/// 16 bytes. Empty when `sik` is not a whole digest of the suite's hash.
template <crypto_provider C>
[[nodiscard]] constexpr digest k2(C& c, const cipher_suite& s, const digest& sik) noexcept {
  return detail::from_sik(c, s, sik, 0x02);  // lan.md §8: 20 × 02h
}

/// RAKP4's integrity check value: HMAC(SIK, Rm ‖ SIDc ‖ GUIDc) truncated to rakp4_code_size.
/// Empty when `sik` is not a whole digest of the suite's hash.
template <crypto_provider C>
[[nodiscard]] constexpr digest rakp4_integrity_code(C& c, const cipher_suite& s, const digest& sik,
                                                    const std::array<std::uint8_t, 16>& rm, std::uint32_t sid_c,
                                                    const std::array<std::uint8_t, 16>& guid_c) noexcept {
  if (sik.size != digest_size(s.algorithm)) return {};
  detail::hmac_input in;
  in.put(rm);
  in.put_le32(sid_c);
  in.put(guid_c);
  return detail::hmac(c, s, sik.view(), in.view(), s.rakp4_code_size);
}

/// The session trailer's AuthCode (lan.md §2.2): HMAC(K1, bytes) truncated to
/// integrity_code_size, where `bytes` run from the auth type byte through the next header byte.
/// Empty when `k1_key` is not a whole digest of the suite's hash.
template <crypto_provider C>
[[nodiscard]] constexpr digest integrity_code(C& c, const cipher_suite& s, const digest& k1_key,
                                              std::span<const std::uint8_t> bytes) noexcept {
  if (k1_key.size != digest_size(s.algorithm)) return {};
  return detail::hmac(c, s, k1_key.view(), bytes, s.integrity_code_size);
}

// ---------------------------------------------------------------------------------------------
// Confidentiality: AES-CBC-128 payloads (lan.md §9)

/// Bytes encrypt_payload() writes for `plain` bytes: the IV, then the plaintext, its pad and the
/// pad length byte rounded up to whole blocks: 16 + round_up(plain + 1, 16).
[[nodiscard]] constexpr std::size_t encrypted_size(std::size_t plain) noexcept {
  return aes_block_size + (plain / aes_block_size + 1) * aes_block_size;
}

/// out = IV (16 bytes from c.random) ‖ AES-CBC(K2[0..15], IV, plain ‖ 01 02 03 … ‖ pad_len), with
/// pad_len (0-15) making the encrypted part whole blocks. Returns the bytes written,
/// encrypted_size(plain.size()), or 0: `out` too small, `k2_key` shorter than 16 bytes, or the
/// provider failed (then nothing of `out` holds plaintext). `plain` and `out` must not overlap.
template <crypto_provider C>
[[nodiscard]] constexpr std::size_t encrypt_payload(C& c, const digest& k2_key, std::span<const std::uint8_t> plain,
                                                    std::span<std::uint8_t> out) noexcept {
  const std::size_t total = encrypted_size(plain.size());
  if (out.size() < total || k2_key.size < aes_block_size) return 0;
  std::array<std::uint8_t, aes_block_size> key{};
  std::array<std::uint8_t, aes_block_size> iv{};
  std::array<std::uint8_t, aes_block_size> last{};  // the final block: the tail of plain, the pad, pad_len
  for (std::size_t i = 0; i < aes_block_size; ++i) key[i] = k2_key.bytes[i];

  // The whole blocks of `plain` go straight from `plain` to `out`; the last block (0-15 bytes of
  // plain, then the pad) is put together on the stack.
  const std::size_t whole = plain.size() / aes_block_size * aes_block_size;
  const std::size_t tail = plain.size() - whole;
  for (std::size_t i = 0; i < tail; ++i) last[i] = plain[whole + i];
  const auto pad_length = static_cast<std::uint8_t>(aes_block_size - 1 - tail);
  for (std::size_t at = tail; at + 1 < aes_block_size; ++at)  // lan.md §9: pad 01 02 03 …
    last[at] = static_cast<std::uint8_t>(at - tail + 1);
  last[aes_block_size - 1] = pad_length;

  bool ok = c.random(std::span<std::uint8_t>(iv));
  if (ok) {
    for (std::size_t i = 0; i < aes_block_size; ++i) out[i] = iv[i];
    if (whole != 0) {
      ok = c.aes128_cbc_encrypt(key, iv, plain.first(whole), out.subspan(aes_block_size, whole));
      // CBC chains on: the last block's IV is the ciphertext block before it.
      for (std::size_t i = 0; ok && i < aes_block_size; ++i) iv[i] = out[whole + i];
    }
  }
  if (ok) ok = c.aes128_cbc_encrypt(key, iv, last, out.subspan(aes_block_size + whole, aes_block_size));
  detail::wipe(key);
  detail::wipe(last);
  if (!ok) {
    detail::wipe(out.first(total));
    return 0;
  }
  return total;
}

/// Why decrypt_payload() refused. 0 is success.
enum class decrypt_error : std::uint8_t {
  ok = 0,
  too_short = 1,          // fewer than 32 bytes: no IV and one block
  not_block_aligned = 2,  // the bytes after the IV are not whole 16-byte blocks
  bad_pad_length = 3,     // the decrypted pad length byte is more than 15
  bad_pad_bytes = 4,      // the pad is not exactly 01 02 03 … (lan.md §9)
  crypto_failed = 5,      // the provider failed, or the key is shorter than 16 bytes
  no_room = 6,            // `out` is smaller than the plaintext
};

[[nodiscard]] constexpr std::string_view name(decrypt_error e) noexcept {
  return ipmikit::detail::enum_name<decrypt_error, 7>(
      e, {"ok", "too_short", "not_block_aligned", "bad_pad_length", "bad_pad_bytes", "crypto_failed", "no_room"});
}

/// What decrypt_payload() did: the error, and the plaintext bytes written to `out` (0 on error).
struct decrypt_result {
  decrypt_error error;
  std::size_t size;
};

/// The reverse of encrypt_payload(): `encrypted` = IV ‖ ciphertext; writes the plaintext without
/// the pad to `out`. Check the packet's AuthCode before decrypting (suites 3 and 17 always
/// authenticate encrypted packets), so the pad checks here reveal nothing to an attacker.
/// `encrypted` and `out` must not overlap. On error nothing of `out` holds plaintext.
template <crypto_provider C>
[[nodiscard]] constexpr decrypt_result decrypt_payload(C& c, const digest& k2_key,
                                                       std::span<const std::uint8_t> encrypted,
                                                       std::span<std::uint8_t> out) noexcept {
  if (encrypted.size() < 2 * aes_block_size) return {decrypt_error::too_short, 0};
  if (encrypted.size() % aes_block_size != 0) return {decrypt_error::not_block_aligned, 0};
  if (k2_key.size < aes_block_size) return {decrypt_error::crypto_failed, 0};
  std::array<std::uint8_t, aes_block_size> key{};
  std::array<std::uint8_t, aes_block_size> iv{};
  std::array<std::uint8_t, aes_block_size> last{};
  for (std::size_t i = 0; i < aes_block_size; ++i) key[i] = k2_key.bytes[i];

  // The last block first (its IV is the ciphertext block before it): it holds the pad, and so
  // says how long the plaintext is before anything is written to `out`.
  const std::size_t last_at = encrypted.size() - aes_block_size;
  const std::size_t whole = last_at - aes_block_size;  // the plaintext bytes of the blocks before it
  for (std::size_t i = 0; i < aes_block_size; ++i) iv[i] = encrypted[last_at - aes_block_size + i];
  decrypt_error error = decrypt_error::ok;
  std::size_t tail = 0;  // plaintext bytes in the last block
  if (!c.aes128_cbc_decrypt(key, iv, encrypted.subspan(last_at), last)) {
    error = decrypt_error::crypto_failed;
  } else if (last[aes_block_size - 1] > aes_block_size - 1) {
    error = decrypt_error::bad_pad_length;  // lan.md §9: 0-15
  } else {
    const std::size_t pad_length = last[aes_block_size - 1];
    tail = aes_block_size - 1 - pad_length;
    for (std::size_t i = 0; i < pad_length; ++i)
      if (last[tail + i] != i + 1) error = decrypt_error::bad_pad_bytes;  // lan.md §9: 01 02 03 …
    if (error == decrypt_error::ok && out.size() < whole + tail) error = decrypt_error::no_room;
  }
  if (error == decrypt_error::ok && whole != 0) {
    for (std::size_t i = 0; i < aes_block_size; ++i) iv[i] = encrypted[i];
    if (!c.aes128_cbc_decrypt(key, iv, encrypted.subspan(aes_block_size, whole), out.first(whole))) {
      detail::wipe(out.first(whole));
      error = decrypt_error::crypto_failed;
    }
  }
  if (error == decrypt_error::ok)
    for (std::size_t i = 0; i < tail; ++i) out[whole + i] = last[i];
  detail::wipe(key);
  detail::wipe(last);
  return {error, error == decrypt_error::ok ? whole + tail : 0};
}

}  // namespace ipmikit::lan
