#include "secrets/sops/encryption_rule.h"

#include "secrets/sops/errors.h"

namespace varan::sops {

namespace {
constexpr std::string_view kNamesListed =
    "more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, "
    "encrypted_comment_regex, or unencrypted_comment_regex";
}  // namespace

int EncryptionRule::count() const {
  int n = 0;
  for (const auto& f : fields())
    n += !(this->*f.value).empty();
  return n;
}

std::string EncryptionRule::conflict(Place place) const {
  if (count() <= 1) return "";
  // sops words the two checks differently; both are kept as sops prints them.
  if (place == Place::kCreationRule)
    return "cannot use " + std::string(kNamesListed) + " for the same rule";
  return "Cannot use " + std::string(kNamesListed) + " in the same file";
}

void EncryptionRule::normalise() {
  if (std::string why = conflict(Place::kFile); !why.empty()) throw Error(codes::kGeneric, why);
  if (empty()) unencrypted_suffix = kDefaultUnencryptedSuffix;
}

void EncryptionRule::write(std::map<std::string, Node>& out) const {
  for (const auto& f : fields())
    if (const std::string& v = this->*f.value; !v.empty())
      out[std::string(f.name)] = Node::string(v);
}

}  // namespace varan::sops
