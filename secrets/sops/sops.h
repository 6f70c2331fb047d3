/// SOPS files end to end, for the age key source: decrypt (with the MAC checked), encrypt,
/// rotate the data key and update the recipients. Formats go through store.h, keys through
/// keys.h; errors carry sops' exit codes (errors.h).
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "secrets/sops/config.h"
#include "secrets/sops/errors.h"
#include "secrets/sops/keys.h"
#include "secrets/sops/store.h"

namespace varan::sops {

/// One step of an --extract path: a mapping key or a list index.
using PathStep = std::variant<std::string, int>;
/// Parses '["a"][0]["b"]' as sops does; throws Error(kInvalidTreePathFormat).
std::vector<PathStep> parse_tree_path(std::string_view path);

/// Loads and decrypts an encrypted file; the MAC is verified unless `ignore_mac`.
Tree decrypt_file(std::string_view encrypted, Format input, KeySource& keys, bool ignore_mac);

/// Writes a decrypted tree in `output` format, or the value at `extract` (a string leaf
/// raw, a subtree in the output format, other scalars as the store writes them).
SecretString emit_plain(const Tree& tree, Format output, const std::vector<PathStep>& extract,
                        const StoreOptions& opts = {});

/// Encrypts a plain document for the rule's key groups and encryption rule.
/// Throws Error(kFileAlreadyEncrypted) when it already has sops metadata.
std::string encrypt_file(std::string_view plain, Format format, const CreationRule& rule,
                         const StoreOptions& opts = {});

/// Re-encrypts with a new data key for the same recipients.
std::string rotate_file(std::string_view encrypted, Format format, KeySource& keys,
                        const StoreOptions& opts = {});

/// Re-wraps the data key for the rule's key groups (the values are not re-encrypted).
std::string update_keys(std::string_view encrypted, Format format, const CreationRule& rule,
                        KeySource& keys, const StoreOptions& opts = {});

}  // namespace varan::sops
