/// The `sops` metadata section: key groups (age keys, plus other key types kept verbatim),
/// the MAC, lastmodified, the encryption rules and the version. Read in every layout sops
/// has written (3.7 to 3.13 key orders, empty lists or null, key_groups + shamir_threshold);
/// written as 3.13 does (keys sorted, empty lists omitted).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "secrets/sops/encryption_rule.h"
#include "secrets/sops/tree.h"

namespace varan::sops {

inline constexpr std::string_view kVersion = "3.13.2";  // the format version written

struct AgeKey {
  std::string recipient;
  std::string enc;  // an armored age file holding the data key (or this group's share)
};

struct KeyGroup {
  std::vector<AgeKey> age;
  /// Keys of other types (pgp, kms, gcp_kms, azure_kv, hc_vault, hckms): field name and entry,
  /// carried through unchanged. Varan cannot use them to decrypt.
  std::vector<std::pair<std::string, Node>> others;
};

struct Metadata {
  std::vector<KeyGroup> key_groups;
  int shamir_threshold = 0;
  std::string lastmodified;   // RFC 3339
  std::string mac;            // ENC[...] of the MAC, or empty
  EncryptionRule encryption;  // normalise()d when read or encrypted: then exactly one is set
  bool mac_only_encrypted = false;
  std::string version;
};

/// Reads the metadata mapping (the value of the `sops` key, already unflattened).
Metadata metadata_from_node(const Node& m);
/// The metadata mapping as sops 3.13 writes it.
Node metadata_to_node(const Metadata& md);

/// lastmodified as sops uses it for the MAC's additional data: parsed as RFC 3339 and
/// formatted again (fractional seconds dropped, a zero offset written as "Z").
/// Throws Error(kGeneric) when it does not parse.
std::string reformat_rfc3339(std::string_view s);
/// The current UTC time in RFC 3339, seconds precision.
std::string now_rfc3339();

// --- flattening, for the dotenv and INI stores ---

/// {"a": {"b": [x]}} -> {"a__map_b__list_0": x}, with `prefix` before every key.
Node flatten(const Node& mapping, const std::string& prefix);
/// The reverse; throws on collisions and incomplete lists.
Node unflatten(const Node& flat);

}  // namespace varan::sops
