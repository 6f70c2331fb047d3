/// Bottom layer: the OpenSSL primitives (hashes, HMAC, HKDF, ciphers, X25519, scrypt) age and
/// sops are built from, each a thin wrapper over libcrypto 3. No hand-written cryptography.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "common/secure.h"

namespace varan::crypto {

using Key32 = std::array<std::uint8_t, 32>;

/// Initialises libcrypto for a short-lived command: no error strings, no openssl.cnf
/// (nothing there applies to the primitives used here). Saves a third of the start-up
/// time and memory. Daemons that speak TLS must not call it.
void init_for_cli();

/// Fills `out` from the operating system's CSPRNG (RAND_bytes); throws on failure.
void random_bytes(std::span<std::uint8_t> out);

std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> data);
std::array<std::uint8_t, 64> sha512(std::span<const std::uint8_t> data);
std::array<std::uint8_t, 32> hmac_sha256(std::span<const std::uint8_t> key,
                                         std::span<const std::uint8_t> msg);

/// Incremental SHA-512.
class Sha512 {
 public:
  Sha512();
  ~Sha512();
  Sha512(const Sha512&) = delete;
  Sha512& operator=(const Sha512&) = delete;
  void update(std::span<const std::uint8_t> data);
  std::array<std::uint8_t, 64> finish();

 private:
  void* ctx_;
};

/// HKDF-SHA-256 (RFC 5869): extract with `salt` (empty means zeros), expand with `info`.
void hkdf_sha256(std::span<const std::uint8_t> ikm, std::span<const std::uint8_t> salt,
                 std::string_view info, std::span<std::uint8_t> out);

/// X25519 (RFC 7748). The scalar is clamped by the function. Returns nullopt when the
/// result is all zeros (a low-order point), which callers must treat as an error.
std::optional<Key32> x25519(std::span<const std::uint8_t, 32> scalar,
                            std::span<const std::uint8_t, 32> point);
Key32 x25519_base(std::span<const std::uint8_t, 32> scalar);

/// scrypt (RFC 7914) with the memory limit raised to what N and r need.
void scrypt(std::span<const std::uint8_t> passphrase, std::span<const std::uint8_t> salt,
            std::uint64_t n, std::uint32_t r, std::uint32_t p, std::span<std::uint8_t> out);

/// ChaCha20-Poly1305 (RFC 8439), reusable across messages with the same key.
class ChaChaPoly {
 public:
  static constexpr std::size_t kTagSize = 16;
  explicit ChaChaPoly(std::span<const std::uint8_t, 32> key);
  ~ChaChaPoly();
  ChaChaPoly(const ChaChaPoly&) = delete;
  ChaChaPoly& operator=(const ChaChaPoly&) = delete;

  /// out must hold in.size() + kTagSize bytes.
  void seal(std::span<const std::uint8_t, 12> nonce, std::span<const std::uint8_t> in,
            std::uint8_t* out);
  /// out must hold in.size() - kTagSize bytes; false when authentication fails (out is then
  /// wiped).
  bool open(std::span<const std::uint8_t, 12> nonce, std::span<const std::uint8_t> in,
            std::uint8_t* out);

 private:
  void* enc_;
  void* dec_;
};

/// AES-256-GCM with an IV of any length (sops uses 32 bytes) and additional data.
/// out must hold in.size() bytes; the tag is separate.
void aes256gcm_seal(std::span<const std::uint8_t, 32> key, std::span<const std::uint8_t> iv,
                    std::span<const std::uint8_t> aad, std::span<const std::uint8_t> in,
                    std::uint8_t* out, std::span<std::uint8_t, 16> tag);
bool aes256gcm_open(std::span<const std::uint8_t, 32> key, std::span<const std::uint8_t> iv,
                    std::span<const std::uint8_t> aad, std::span<const std::uint8_t> in,
                    std::span<const std::uint8_t> tag, std::uint8_t* out);

/// Constant-time comparison.
bool equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

}  // namespace varan::crypto
