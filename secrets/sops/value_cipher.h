/// One value's layer: a leaf to and from ENC[AES256_GCM,data:...,iv:...,tag:...,type:...],
/// with a 32-byte IV and the path of mapping keys as additional data. Knows no tree walk.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/secure.h"
#include "secrets/sops/tree.h"

namespace varan::sops {

using DataKey = std::span<const std::uint8_t, 32>;

struct EncValue {
  SecureBytes data;
  SecureBytes iv;
  SecureBytes tag;
  std::string type;
};

/// Parses an ENC[...] string the way sops' regular expression does (greedy fields, not
/// anchored at the end); nullopt when it does not match or a field is not base64.
std::optional<EncValue> parse_enc(std::string_view s);

/// True when `s` looks like an encrypted value (starts with "ENC[AES256_GCM,").
bool looks_encrypted(std::string_view s);

/// Encrypts a scalar or comment leaf. Empty strings (and empty comments) stay empty.
std::string encrypt_value(const Node& leaf, DataKey key, std::string_view aad);

/// Decrypts a value; "" decrypts to "". Throws Error(kErrorDecryptingTree) naming what failed
/// (never the plaintext).
Node decrypt_value(std::string_view ciphertext, DataKey key, std::string_view aad);

}  // namespace varan::sops
