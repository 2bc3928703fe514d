// ipmikit/lan/openssl.hpp — a lan::crypto_provider (lan/crypto.hpp) on OpenSSL 3's libcrypto:
// HMAC-SHA1/SHA256 with the one-shot HMAC(), AES-128-CBC with an EVP_CIPHER_CTX and padding off,
// random bytes from RAND_bytes.
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

#include <openssl/evp.h>
#include <openssl/hmac.h>
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
    if (out.size() < digest_size(h) || key.size() > INT_MAX) return false;
    // OpenSSL wants a non-null pointer even for zero bytes.
    static constexpr std::uint8_t none = 0;
    unsigned int written = 0;
    const unsigned char* result =
        HMAC(h == hash::sha1 ? EVP_sha1() : EVP_sha256(), key.empty() ? &none : key.data(),
             static_cast<int>(key.size()), data.empty() ? &none : data.data(), data.size(), out.data(), &written);
    return result != nullptr && written == digest_size(h);
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
    if (EVP_CipherInit_ex(c.ctx, EVP_aes_128_cbc(), nullptr, key.data(), iv.data(), encrypt) != 1) return false;
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
