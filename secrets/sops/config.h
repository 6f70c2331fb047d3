/// `.sops.yaml`: creation rules (first matching path_regex wins, tested against the path
/// relative to the config file's folder) and store settings. Looked up from the encrypted
/// file's folder upward, at most 100 levels; `.sops.yml` is ignored with a warning, as
/// sops does.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "secrets/sops/encryption_rule.h"
#include "secrets/sops/metadata.h"
#include "secrets/sops/store.h"

namespace varan::sops {

struct CreationRule {
  std::vector<KeyGroup> key_groups;  // recipients only (enc empty)
  int shamir_threshold = 0;
  EncryptionRule encryption;  // as written: not normalised
  bool mac_only_encrypted = false;
};

struct ConfigLookup {
  std::optional<std::string> path;
  std::string warning;  // e.g. a .sops.yml that was ignored
};

/// Searches `start_dir` and its parents for .sops.yaml.
ConfigLookup find_config(const std::string& start_dir);

/// The first creation rule of `config_path` matching `file_path`. Throws
/// Error(kErrorReadingConfig) for a config that can't be read, and
/// Error(kNoEncryptionKeyFound) when no rule matches.
CreationRule creation_rule_for(const std::string& config_path, const std::string& file_path);

/// The store settings of `config_path` (stores.yaml.indent, stores.json.indent).
StoreOptions store_options(const std::string& config_path);

/// Age recipients from a comma-separated list (as --age and SOPS_AGE_RECIPIENTS give them).
KeyGroup group_from_recipients(std::string_view comma_separated);

}  // namespace varan::sops
