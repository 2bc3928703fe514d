// ipmikit/lan/openssl.hpp — a lan::crypto_provider (lan/crypto.hpp) on OpenSSL 3's libcrypto:
// HMAC-SHA1/SHA256 with EVP_MAC, AES-128-CBC with an EVP_CIPHER_CTX and padding off, random
// bytes from RAND_bytes. The algorithms are fetched once per process (OpenSSL 3's one-shot
// HMAC() and the legacy EVP_aes_128_cbc() look them up on every call: about twice the time for
// the short messages of IPMI, docs/performance.md "IPMI over LAN").
//
//   // CMake: target_link_libraries(app PRIVATE ipmikit::openssl)   (Debian 12: libssl-dev)
//   #include <ipmikit/lan/openssl.hpp>
//   ipmikit::lan::openssl_crypto crypto;
//   ipmikit::lan::digest sik = ipmikit::lan::session_integrity_key(crypto, suite, kuid, rm, rc, role, name);
//
// Not part of the umbrella header ipmikit/ipmikit.hpp, which stays free of crypto libraries: a
// program that wants it includes it and links ipmikit::openssl (the library plus
// OpenSSL::Crypto). The object holds nothing (no keys); every call is self-contained, so one
// object may serve every session. No exceptions and no heap of ours (OpenSSL allocates inside).
#pragma once

#include <array>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <span>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "crypto.hpp"

namespace ipmikit::lan {

/// lan::crypto_provider on OpenSSL 3's libcrypto.
class openssl_crypto {
 public:
  /// HMAC-h(key, data) → digest_size(h) bytes at the start of `out`; false when `out` is too
  /// small or OpenSSL fails.
  bool hmac(hash h, std::span<const std::uint8_t> key, std::span<const std::uint8_t> data,
            std::span<std::uint8_t> out) noexcept {
    if (out.size() < digest_size(h)) return false;
    const fetched& f = algorithms();
    const EVP_MAC_CTX* keyless = h == hash::sha1 ? f.hmac_sha1 : f.hmac_sha256;
    if (keyless == nullptr) return false;
    mac_context c(EVP_MAC_CTX_dup(keyless));
    // OpenSSL wants a non-null pointer even for zero bytes.
    static constexpr std::uint8_t none = 0;
    std::size_t written = 0;
    return c.ctx != nullptr && EVP_MAC_init(c.ctx, key.empty() ? &none : key.data(), key.size(), nullptr) == 1 &&
           EVP_MAC_update(c.ctx, data.empty() ? &none : data.data(), data.size()) == 1 &&
           EVP_MAC_final(c.ctx, out.data(), &written, out.size()) == 1 && written == digest_size(h);
  }

  /// AES-128-CBC of whole blocks, no padding; false when `in` is not whole blocks, `out` is
  /// smaller than `in`, or OpenSSL fails.
  bool aes128_cbc_encrypt(const std::array<std::uint8_t, 16>& key, const std::array<std::uint8_t, 16>& iv,
                          std::span<const std::uint8_t> in, std::span<std::uint8_t> out) noexcept {
    return aes128_cbc(1, key, iv, in, out);
  }

  /// The reverse of aes128_cbc_encrypt(), with the same refusals.
  bool aes128_cbc_decrypt(const std::array<std::uint8_t, 16>& key, const std::array<std::uint8_t, 16>& iv,
                          std::span<const std::uint8_t> in, std::span<std::uint8_t> out) noexcept {
    return aes128_cbc(0, key, iv, in, out);
  }

  /// Cryptographically random bytes (RAND_bytes); false when OpenSSL cannot give them.
  bool random(std::span<std::uint8_t> out) noexcept {
    if (out.empty()) return true;
    if (out.size() > INT_MAX) return false;
    return RAND_bytes(out.data(), static_cast<int>(out.size())) == 1;
  }

 private:
  static constexpr std::size_t block_size = 16;  // AES

  /// The algorithms, fetched once per process and kept for its life (freeing them in a static
  /// destructor could run after OpenSSL's own cleanup at exit). Keyless HMAC contexts with
  /// their digest set are duplicated per call: a duplicate is not shared, so calls from
  /// several threads are safe.
  struct fetched {
    EVP_MAC_CTX* hmac_sha1 = nullptr;
    EVP_MAC_CTX* hmac_sha256 = nullptr;
    EVP_CIPHER* aes_128_cbc = nullptr;
  };
  static const fetched& algorithms() noexcept {
    static const fetched f = [] {
      fetched r;
      EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
      const auto keyless = [mac](const char* digest) -> EVP_MAC_CTX* {
        if (mac == nullptr) return nullptr;
        EVP_MAC_CTX* c = EVP_MAC_CTX_new(mac);
        const OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
            OSSL_PARAM_construct_end()};
        if (c != nullptr && EVP_MAC_CTX_set_params(c, params) != 1) {
          EVP_MAC_CTX_free(c);
          c = nullptr;
        }
        return c;
      };
      r.hmac_sha1 = keyless("SHA1");
      r.hmac_sha256 = keyless("SHA256");
      EVP_MAC_free(mac);  // the contexts hold their own reference
      r.aes_128_cbc = EVP_CIPHER_fetch(nullptr, "AES-128-CBC", nullptr);
      return r;
    }();
    return f;
  }

  /// One EVP_MAC_CTX per call, freed on every path.
  struct mac_context {
    EVP_MAC_CTX* ctx = nullptr;
    explicit mac_context(EVP_MAC_CTX* c) noexcept : ctx(c) {}
    mac_context(const mac_context&) = delete;
    mac_context& operator=(const mac_context&) = delete;
    ~mac_context() { EVP_MAC_CTX_free(ctx); }
  };

  /// One EVP_CIPHER_CTX per call, freed on every path.
  struct cipher_context {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    cipher_context() = default;
    cipher_context(const cipher_context&) = delete;
    cipher_context& operator=(const cipher_context&) = delete;
    ~cipher_context() { EVP_CIPHER_CTX_free(ctx); }
  };

  static bool aes128_cbc(int encrypt, const std::array<std::uint8_t, 16>& key, const std::array<std::uint8_t, 16>& iv,
                         std::span<const std::uint8_t> in, std::span<std::uint8_t> out) noexcept {
    if (in.size() % block_size != 0 || out.size() < in.size() || in.size() > INT_MAX) return false;
    if (in.empty()) return true;
    cipher_context c;
    if (c.ctx == nullptr) return false;
    const EVP_CIPHER* aes = algorithms().aes_128_cbc;
    if (aes == nullptr || EVP_CipherInit_ex2(c.ctx, aes, key.data(), iv.data(), encrypt, nullptr) != 1) return false;
    if (EVP_CIPHER_CTX_set_padding(c.ctx, 0) != 1) return false;
    int written = 0;
    if (EVP_CipherUpdate(c.ctx, out.data(), &written, in.data(), static_cast<int>(in.size())) != 1) return false;
    int final_written = 0;
    if (EVP_CipherFinal_ex(c.ctx, out.data() + written, &final_written) != 1) return false;
    return static_cast<std::size_t>(written) + static_cast<std::size_t>(final_written) == in.size();
  }
};

static_assert(crypto_provider<openssl_crypto>);

}  // namespace ipmikit::lan
