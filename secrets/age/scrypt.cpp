#include "secrets/age/scrypt.h"

#include "secrets/age/errors.h"
#include "secrets/primitives.h"

namespace varan::age {

namespace {
constexpr std::string_view kLabel = "age-encryption.org/v1/scrypt";
constexpr std::size_t kSaltSize = 16;

SecureBytes derive(const SecretString& pass, std::span<const std::uint8_t> salt, int log_n) {
  Bytes full(kLabel.begin(), kLabel.end());
  full.insert(full.end(), salt.begin(), salt.end());
  SecureBytes key(32);
  crypto::scrypt(pass.bytes(), full, std::uint64_t(1) << log_n, 8, 1, key);
  return key;
}

[[noreturn]] void bad(const std::string& why) {
  throw Error(Failure::kHeader, "invalid scrypt stanza: " + why);
}
}  // namespace

ScryptRecipient::ScryptRecipient(SecretString passphrase, int work_factor)
    : passphrase_(std::move(passphrase)), work_factor_(work_factor) {
  if (passphrase_.empty()) throw Error(Failure::kKey, "the passphrase can't be empty");
  if (work_factor_ < 1 || work_factor_ > 30)
    throw Error(Failure::kKey, "invalid scrypt work factor");
}

std::vector<Stanza> ScryptRecipient::wrap(FileKey file_key) const {
  std::array<std::uint8_t, kSaltSize> salt;
  crypto::random_bytes(salt);
  auto key = derive(passphrase_, salt, work_factor_);
  Stanza s{"scrypt",
           {b64(salt), std::to_string(work_factor_)},
           aead_wrap(std::span<const std::uint8_t, 32>(key.data(), 32), file_key)};
  return {std::move(s)};
}

std::optional<SecureBytes> ScryptIdentity::unwrap(std::span<const Stanza> stanzas) const {
  const Stanza* found = nullptr;
  for (const auto& s : stanzas) {
    if (s.type != "scrypt") continue;
    if (stanzas.size() != 1) bad("an scrypt recipient must be the only one");
    found = &s;
  }
  if (found == nullptr) return std::nullopt;
  const Stanza& s = *found;
  if (s.args.size() != 2) bad("wrong number of arguments");
  auto salt = unb64(s.args[0]);
  if (!salt || salt->size() != kSaltSize) bad("malformed salt");
  const std::string& w = s.args[1];
  // Decimal without sign or leading zero, exactly as age requires.
  if (w.empty() || w.size() > 9 || w[0] < '1' || w[0] > '9') bad("malformed work factor");
  for (char c : w)
    if (c < '0' || c > '9') bad("malformed work factor");
  int log_n = std::stoi(w);
  if (log_n > max_work_factor_) bad("work factor " + w + " is too large");
  auto key = derive(passphrase_, *salt, log_n);
  return aead_unwrap(std::span<const std::uint8_t, 32>(key.data(), 32), s.body, "scrypt");
}

std::unique_ptr<Recipient> ScryptIdentity::recipient() const {
  return std::make_unique<ScryptRecipient>(passphrase_);
}

}  // namespace varan::age
