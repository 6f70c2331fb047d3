/// Where SOPS data keys come from and go to with the age key source: identities gathered
/// exactly as sops gathers them (every source combined), the data key unwrapped from a
/// file's key groups (Shamir across several groups) and wrapped for each recipient.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "secrets/age/recipient.h"
#include "secrets/sops/metadata.h"

namespace varan::sops {

/// The identities found, the places looked at that held none, and what went wrong loading.
struct IdentityLoad {
  age::Identities identities;
  std::vector<std::string> unused_locations;
  std::vector<std::string> errors;
};

/// Gathers age identities as sops does, from SOPS_AGE_SSH_PRIVATE_KEY_FILE,
/// SOPS_AGE_SSH_PRIVATE_KEY_CMD, ~/.ssh/id_ed25519, ~/.ssh/id_rsa, SOPS_AGE_KEY,
/// SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD and $XDG_CONFIG_HOME/sops/age/keys.txt (else
/// ~/.config/...). Commands run without a shell, with SOPS_AGE_RECIPIENT set to `recipient`.
IdentityLoad load_identities(const std::string& recipient);

/// Where identities come from when opening a file.
class KeySource {
 public:
  virtual ~KeySource() = default;
  virtual const IdentityLoad& identities_for(const std::string& recipient) = 0;
};

/// The environment and files, as sops reads them; results are cached per recipient only
/// when a *_CMD variable makes them depend on it.
class EnvironmentKeySource final : public KeySource {
 public:
  const IdentityLoad& identities_for(const std::string& recipient) override;

 private:
  std::map<std::string, IdentityLoad> cache_;
};

/// Identities given directly (e.g. from a daemon's configuration), plus nothing else.
class FixedKeySource final : public KeySource {
 public:
  explicit FixedKeySource(age::Identities ids) { load_.identities = std::move(ids); }
  const IdentityLoad& identities_for(const std::string&) override { return load_; }

 private:
  IdentityLoad load_;
};

/// Recovers the 32-byte data key. Throws DataKeyError (errors.h).
SecureBytes recover_data_key(const Metadata& md, KeySource& keys);

/// Encrypts `data_key` to every age recipient of `md` (split with Shamir when there are
/// several groups). Other key types can't be written by Varan and are an error.
void wrap_data_key(Metadata& md, std::span<const std::uint8_t, 32> data_key);

/// Splits a command line as google/shlex does (quotes, backslashes, '#' comments).
std::vector<std::string> shlex_split(std::string_view s);

}  // namespace varan::sops
