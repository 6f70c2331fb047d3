/// Which values of a file sops encrypts: at most one of six rules (a key suffix or regex
/// that keeps values plain or picks those to encrypt, or a regex on the comments above a
/// value), named alike in `.sops.yaml` creation rules, the encrypt flags and the metadata.
#pragma once

#include <array>
#include <map>
#include <string>
#include <string_view>

#include "secrets/sops/tree.h"

namespace varan::sops {

/// What a file with none of the six rules gets, as sops gives it.
inline constexpr std::string_view kDefaultUnencryptedSuffix = "_unencrypted";

struct EncryptionRule {
  std::string unencrypted_suffix, encrypted_suffix, unencrypted_regex, encrypted_regex,
      unencrypted_comment_regex, encrypted_comment_regex;

  /// A field and the name sops gives it in YAML, JSON and the metadata.
  struct Field {
    std::string_view name;
    std::string EncryptionRule::*value;
  };
  /// The six fields, in the order sops reads them.
  static constexpr std::array<Field, 6> fields() {
    return {{{"unencrypted_suffix", &EncryptionRule::unencrypted_suffix},
             {"encrypted_suffix", &EncryptionRule::encrypted_suffix},
             {"unencrypted_regex", &EncryptionRule::unencrypted_regex},
             {"encrypted_regex", &EncryptionRule::encrypted_regex},
             {"unencrypted_comment_regex", &EncryptionRule::unencrypted_comment_regex},
             {"encrypted_comment_regex", &EncryptionRule::encrypted_comment_regex}}};
  }

  /// How many of the six are set (sops allows one).
  int count() const;
  bool empty() const { return count() == 0; }

  /// Where sops checks that at most one is set; each place words its message its own way.
  enum class Place { kCreationRule, kFile };
  /// sops' message for `place` when more than one is set, else "".
  std::string conflict(Place place) const;

  /// A file's rule as sops settles it: Error(kGeneric) with the kFile message when more
  /// than one is set, the default suffix when none is.
  void normalise();

  /// Reads the fields present in mapping `m`, each value turned into text by
  /// `text(value, name)` (which decides what a value of another type becomes).
  template <class Text>
  static EncryptionRule read(const Node& m, Text&& text) {
    EncryptionRule r;
    for (const auto& f : fields())
      if (const Node* v = m.find(f.name)) r.*f.value = text(*v, f.name);
    return r;
  }
  /// Adds the fields that are set to `out`, as sops writes them (unset ones are omitted).
  void write(std::map<std::string, Node>& out) const;
};

}  // namespace varan::sops
