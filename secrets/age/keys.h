/// Keys as users write them: recipient strings and recipients files, identity files (age
/// keys, SSH keys, passphrase-encrypted identity files) and age-keygen's output format.
#pragma once

#include <ctime>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "secrets/age/recipient.h"
#include "secrets/age/x25519.h"

namespace varan::age {

/// "age1..." or "ssh-ed25519 AAAA..." / "ssh-rsa AAAA...". Throws Error(kKey).
std::unique_ptr<Recipient> parse_recipient(std::string_view s);

/// One recipient per line; empty lines and lines starting with '#' are skipped. SSH keys of
/// other types are skipped with a warning appended to `warnings`. Throws Error(kKey)
/// naming the file and line.
Recipients parse_recipients_file(std::string_view contents, std::string_view name,
                                 std::vector<std::string>* warnings);

/// Asks for a passphrase with the given prompt.
using PassphraseFn = std::function<SecretString(const std::string& prompt)>;

/// An identity file: AGE-SECRET-KEY-1 lines, an SSH private key, or a passphrase-encrypted
/// age file holding such lines (then `ask` is called). Throws Error(kKey) naming the file;
/// secret key material never appears in messages.
Identities parse_identities_file(std::span<const std::uint8_t> contents, std::string_view name,
                                 const PassphraseFn& ask);

/// Identity lines only (AGE-SECRET-KEY-1...), as in keys.txt.
Identities parse_identity_lines(std::string_view text, std::string_view name);

/// What age-keygen writes: "# created: <RFC 3339 local time>", "# public key: age1...", the key.
SecretString keygen_text(const X25519Identity& id, std::time_t now);

}  // namespace varan::age
