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
// OpenSSL::Crypto). The object keeps one HMAC context per hash and one cipher context, made on
// first use and re-keyed by every call (no allocation per call; a copy starts with its own), so
// one object serves every session of a server — one thread's object, not shared between
// threads. The last call's key schedule stays in those contexts until the next call re-keys
// them or the object is destroyed (OpenSSL cleanses them when it frees them). No exceptions and
// no heap of ours (OpenSSL allocates inside).
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
  openssl_crypto() noexcept = default;
  /// A copy has contexts of its own (made on its first use); nothing is shared.
  openssl_crypto(const openssl_crypto&) noexcept {}
  openssl_crypto& operator=(const openssl_crypto& other) noexcept {
    if (this != &other) release();
    return *this;
  }
  openssl_crypto(openssl_crypto&& other) noexcept : mac_(other.mac_), cipher_(other.cipher_) {
    other.mac_ = {};
    other.cipher_ = nullptr;
  }
  openssl_crypto& operator=(openssl_crypto&& other) noexcept {
    if (this != &other) {
      release();
      mac_ = other.mac_;
      cipher_ = other.cipher_;
      other.mac_ = {};
      other.cipher_ = nullptr;
    }
    return *this;
  }
  ~openssl_crypto() { release(); }

  /// HMAC-h(key, data) → digest_size(h) bytes at the start of `out`; false when `out` is too
  /// small or OpenSSL fails.
  bool hmac(hash h, std::span<const std::uint8_t> key, std::span<const std::uint8_t> data,
            std::span<std::uint8_t> out) noexcept {
    if (out.size() < digest_size(h)) return false;
    EVP_MAC_CTX*& ctx = mac_[h == hash::sha1 ? 0 : 1];
    if (ctx == nullptr) {
      const fetched& f = algorithms();
      const EVP_MAC_CTX* keyless = h == hash::sha1 ? f.hmac_sha1 : f.hmac_sha256;
      if (keyless == nullptr || (ctx = EVP_MAC_CTX_dup(keyless)) == nullptr) return false;
    }
    // OpenSSL wants a non-null pointer even for zero bytes. A key always given: init re-keys.
    static constexpr std::uint8_t none = 0;
    std::size_t written = 0;
    return EVP_MAC_init(ctx, key.empty() ? &none : key.data(), key.size(), nullptr) == 1 &&
           EVP_MAC_update(ctx, data.empty() ? &none : data.data(), data.size()) == 1 &&
           EVP_MAC_final(ctx, out.data(), &written, out.size()) == 1 && written == digest_size(h);
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

  void release() noexcept {
    for (EVP_MAC_CTX*& c : mac_) {
      EVP_MAC_CTX_free(c);
      c = nullptr;
    }
    EVP_CIPHER_CTX_free(cipher_);
    cipher_ = nullptr;
  }

  bool aes128_cbc(int encrypt, const std::array<std::uint8_t, 16>& key, const std::array<std::uint8_t, 16>& iv,
                  std::span<const std::uint8_t> in, std::span<std::uint8_t> out) noexcept {
    if (in.size() % block_size != 0 || out.size() < in.size() || in.size() > INT_MAX) return false;
    if (in.empty()) return true;
    if (cipher_ == nullptr && (cipher_ = EVP_CIPHER_CTX_new()) == nullptr) return false;
    const EVP_CIPHER* aes = algorithms().aes_128_cbc;
    if (aes == nullptr || EVP_CipherInit_ex2(cipher_, aes, key.data(), iv.data(), encrypt, nullptr) != 1) return false;
    if (EVP_CIPHER_CTX_set_padding(cipher_, 0) != 1) return false;
    int written = 0;
    if (EVP_CipherUpdate(cipher_, out.data(), &written, in.data(), static_cast<int>(in.size())) != 1) return false;
    int final_written = 0;
    if (EVP_CipherFinal_ex(cipher_, out.data() + written, &final_written) != 1) return false;
    return static_cast<std::size_t>(written) + static_cast<std::size_t>(final_written) == in.size();
  }

  std::array<EVP_MAC_CTX*, 2> mac_{};  // HMAC-SHA1, HMAC-SHA256
  EVP_CIPHER_CTX* cipher_ = nullptr;
};

static_assert(crypto_provider<openssl_crypto>);

}  // namespace ipmikit::lan
