/// Passphrase encryption: the scrypt stanza, which must be alone in a file.
#pragma once

#include "secrets/age/recipient.h"

namespace varan::age {

inline constexpr int kScryptDefaultWorkFactor = 18;  // what age uses to encrypt
inline constexpr int kScryptMaxWorkFactor = 22;      // what age accepts to decrypt

class ScryptRecipient final : public Recipient {
 public:
  ScryptRecipient(SecretString passphrase, int work_factor = kScryptDefaultWorkFactor);
  std::vector<Stanza> wrap(FileKey file_key) const override;
  bool must_be_alone() const override { return true; }
  std::string str() const override { return "passphrase"; }

 private:
  SecretString passphrase_;
  int work_factor_;
};

class ScryptIdentity final : public Identity {
 public:
  explicit ScryptIdentity(SecretString passphrase, int max_work_factor = kScryptMaxWorkFactor)
      : passphrase_(std::move(passphrase)), max_work_factor_(max_work_factor) {}
  std::optional<SecureBytes> unwrap(std::span<const Stanza> stanzas) const override;
  std::unique_ptr<Recipient> recipient() const override;

 private:
  SecretString passphrase_;
  int max_work_factor_;
};

}  // namespace varan::age
