/// The two interfaces everything in age composes through: a Recipient wraps a file key
/// into stanzas, an Identity unwraps stanzas back into the file key. "This identity does
/// not match" is an ordinary answer (nullopt), not an error.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/secure.h"
#include "secrets/age/format.h"

namespace varan::age {

using FileKey = std::span<const std::uint8_t, kFileKeySize>;

class Recipient {
 public:
  virtual ~Recipient() = default;
  virtual std::vector<Stanza> wrap(FileKey file_key) const = 0;
  /// A passphrase (scrypt) recipient must be the only one in a file.
  virtual bool must_be_alone() const { return false; }
  /// The recipient as a user writes it (age1..., ssh-ed25519 AAAA...), for messages.
  virtual std::string str() const = 0;
};

class Identity {
 public:
  virtual ~Identity() = default;
  /// The file key if one of `stanzas` is for this identity, nullopt if none is.
  /// Throws Error(kHeader) when a stanza of this identity's type is malformed.
  virtual std::optional<SecureBytes> unwrap(std::span<const Stanza> stanzas) const = 0;
  /// Native identities (X25519, scrypt) are tried before SSH keys, as age does.
  virtual bool native() const { return true; }
  /// The recipient that encrypts to this identity (for `-e -i` and keygen -y).
  virtual std::unique_ptr<Recipient> recipient() const = 0;
};

using Recipients = std::vector<std::unique_ptr<Recipient>>;
using Identities = std::vector<std::unique_ptr<Identity>>;

/// ChaCha20-Poly1305 with an all-zero nonce, as every age stanza uses to wrap the file key.
Bytes aead_wrap(std::span<const std::uint8_t, 32> key, std::span<const std::uint8_t> file_key);
/// Unwraps a stanza body; nullopt when authentication fails. The body must be exactly
/// file key + tag long, else Error(kHeader) naming `what`.
std::optional<SecureBytes> aead_unwrap(std::span<const std::uint8_t, 32> key,
                                       std::span<const std::uint8_t> body, const char* what);

}  // namespace varan::age
