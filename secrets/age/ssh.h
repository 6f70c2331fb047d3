/// SSH keys as age recipients and identities (ssh-ed25519 and ssh-rsa), for reusing the
/// keys people already have. Unencrypted OpenSSH private keys, and PEM/PKCS#8 via OpenSSL.
#pragma once

#include <string_view>

#include "secrets/age/recipient.h"

namespace varan::age::ssh {

/// Parses an authorized_keys style line ("ssh-ed25519 AAAA... comment").
/// Throws Error(kKey) naming the problem.
std::unique_ptr<Recipient> parse_recipient(std::string_view line);

/// Parses a private key file's contents. `name` is used in messages.
std::unique_ptr<Identity> parse_identity(std::span<const std::uint8_t> pem, std::string_view name);

/// True when `line` looks like an SSH public key of some type (for skipping unknown types).
bool looks_like_public_key(std::string_view line, std::string* type);

}  // namespace varan::age::ssh
