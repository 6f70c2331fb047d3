/// Native age keys: X25519 recipients (age1...) and identities (AGE-SECRET-KEY-1...).
#pragma once

#include <array>
#include <string_view>

#include "secrets/age/recipient.h"

namespace varan::age {

class X25519Recipient final : public Recipient {
 public:
  explicit X25519Recipient(const std::array<std::uint8_t, 32>& pub) : pub_(pub) {}
  /// Parses "age1..."; throws Error(kKey) naming the string.
  static std::unique_ptr<X25519Recipient> parse(std::string_view s);
  std::vector<Stanza> wrap(FileKey file_key) const override;
  std::string str() const override;

 private:
  std::array<std::uint8_t, 32> pub_;
};

class X25519Identity final : public Identity {
 public:
  explicit X25519Identity(std::span<const std::uint8_t, 32> secret);
  ~X25519Identity() override;
  static std::unique_ptr<X25519Identity> generate();
  /// Parses "AGE-SECRET-KEY-1..."; throws Error(kKey) without echoing the key.
  static std::unique_ptr<X25519Identity> parse(std::string_view s);
  std::optional<SecureBytes> unwrap(std::span<const Stanza> stanzas) const override;
  std::unique_ptr<Recipient> recipient() const override;
  /// The identity in its Bech32 form; the caller must treat it as a secret.
  SecretString str() const;

 private:
  std::array<std::uint8_t, 32> secret_;
  std::array<std::uint8_t, 32> pub_;
};

}  // namespace varan::age
