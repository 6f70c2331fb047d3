/// The age payload: STREAM over ChaCha20-Poly1305 in 64 KiB chunks, an 11-byte big-endian
/// chunk counter and a last-chunk flag in the nonce. Memory use is constant.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "common/io.h"

namespace varan::age {

inline constexpr std::size_t kChunkSize = 64 * 1024;
inline constexpr std::size_t kTagSize = 16;
inline constexpr std::size_t kEncChunkSize = kChunkSize + kTagSize;

/// Decrypts the payload that follows the 16-byte nonce, writing verified plaintext to
/// `out` chunk by chunk. Throws Error(kPayload) on truncation, trailing data or a chunk
/// that fails authentication; everything written before that was authentic.
void decrypt_payload(std::span<const std::uint8_t, 32> key, BufferedReader& in, Sink& out);

/// A Sink that encrypts what is written to it as the payload; finish() seals the last
/// chunk (it must be called exactly once, and never for an abandoned file).
class PayloadEncryptor final : public Sink {
 public:
  PayloadEncryptor(std::span<const std::uint8_t, 32> key, Sink& out);
  ~PayloadEncryptor() override;
  void write(const std::uint8_t* buf, std::size_t n) override;
  using Sink::write;
  void finish() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace varan::age
