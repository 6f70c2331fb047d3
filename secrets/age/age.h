/// age (C2SP age-encryption.org/v1) end to end: encrypt to recipients, decrypt with
/// identities, streaming both ways in constant memory. The pieces it composes are the
/// header format (format.h), the payload (stream.h), the armor (armor.h) and one file per
/// recipient type (x25519.h, scrypt.h, ssh.h).
#pragma once

#include <memory>
#include <span>

#include "common/io.h"
#include "secrets/age/errors.h"
#include "secrets/age/recipient.h"

namespace varan::age {

/// A Sink that writes an age file for `recipients` to `out`: the header is written at
/// construction, the payload as data arrives, and finish() seals the last chunk (and the
/// armor footer when `armor`). Abandoning it without finish() leaves an unusable file.
class Encryptor final : public Sink {
 public:
  Encryptor(Sink& out, std::span<const std::unique_ptr<Recipient>> recipients, bool armor = false);
  ~Encryptor() override;
  void write(const std::uint8_t* buf, std::size_t n) override;
  using Sink::write;
  void finish() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Unwraps the file key from `header` with the first identity that matches (native ones
/// first) and checks the header MAC. Throws Error(kNoMatch / kHeader / kHmac).
SecureBytes unwrap_file_key(const Header& header,
                            std::span<const std::unique_ptr<Identity>> identities);

/// Decrypts a binary age file from `in` to `out`. What reaches `out` before a kPayload
/// error was authentic; callers writing a file should discard it on error.
void decrypt(BufferedReader& in, std::span<const std::unique_ptr<Identity>> identities, Sink& out);

/// Like decrypt(), but first detects ASCII armor (leading whitespace allowed) and reads
/// through it.
void decrypt_any(BufferedReader& in, std::span<const std::unique_ptr<Identity>> identities,
                 Sink& out);

}  // namespace varan::age
