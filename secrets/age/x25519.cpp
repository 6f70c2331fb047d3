#include "secrets/age/x25519.h"

#include "secrets/age/bech32.h"
#include "secrets/age/errors.h"
#include "secrets/primitives.h"

namespace varan::age {

namespace {
constexpr std::string_view kLabel = "age-encryption.org/v1/X25519";

std::array<std::uint8_t, 64> salt_of(std::span<const std::uint8_t> share,
                                     std::span<const std::uint8_t> pub) {
  std::array<std::uint8_t, 64> salt;
  std::copy(share.begin(), share.end(), salt.begin());
  std::copy(pub.begin(), pub.end(), salt.begin() + 32);
  return salt;
}
}  // namespace

Bytes aead_wrap(std::span<const std::uint8_t, 32> key, std::span<const std::uint8_t> file_key) {
  crypto::ChaChaPoly aead(key);
  Bytes out(file_key.size() + crypto::ChaChaPoly::kTagSize);
  aead.seal(std::array<std::uint8_t, 12>{}, file_key, out.data());
  return out;
}

std::optional<SecureBytes> aead_unwrap(std::span<const std::uint8_t, 32> key,
                                       std::span<const std::uint8_t> body, const char* what) {
  if (body.size() != kFileKeySize + crypto::ChaChaPoly::kTagSize)
    throw Error(Failure::kHeader,
                std::string("invalid ") + what + " stanza: incorrect file key size");
  crypto::ChaChaPoly aead(key);
  SecureBytes out(kFileKeySize);
  if (!aead.open(std::array<std::uint8_t, 12>{}, body, out.data())) return std::nullopt;
  return out;
}

std::unique_ptr<X25519Recipient> X25519Recipient::parse(std::string_view s) {
  std::string why;
  auto d = bech32::decode(s, &why);
  if (!d) throw Error(Failure::kKey, "malformed recipient \"" + std::string(s) + "\": " + why);
  if (d->hrp != "age")
    throw Error(Failure::kKey,
                "malformed recipient \"" + std::string(s) + "\": invalid type \"" + d->hrp + "\"");
  if (d->data.size() != 32)
    throw Error(Failure::kKey,
                "malformed recipient \"" + std::string(s) + "\": invalid X25519 public key");
  std::array<std::uint8_t, 32> pub;
  std::copy(d->data.begin(), d->data.end(), pub.begin());
  return std::make_unique<X25519Recipient>(pub);
}

std::vector<Stanza> X25519Recipient::wrap(FileKey file_key) const {
  SecureBytes eph(32);
  crypto::random_bytes(eph);
  auto share = crypto::x25519_base(std::span<const std::uint8_t, 32>(eph.data(), 32));
  auto shared = crypto::x25519(std::span<const std::uint8_t, 32>(eph.data(), 32), pub_);
  if (!shared)
    throw Error(Failure::kKey, "invalid X25519 recipient " + str() + ": low-order point");
  SecureBytes wrap_key(32);
  crypto::hkdf_sha256(*shared, salt_of(share, pub_), kLabel, wrap_key);
  wipe(shared->data(), shared->size());
  Stanza s{"X25519",
           {b64(share)},
           aead_wrap(std::span<const std::uint8_t, 32>(wrap_key.data(), 32), file_key)};
  return {std::move(s)};
}

std::string X25519Recipient::str() const { return bech32::encode("age", pub_); }

X25519Identity::X25519Identity(std::span<const std::uint8_t, 32> secret) {
  std::copy(secret.begin(), secret.end(), secret_.begin());
  pub_ = crypto::x25519_base(secret_);
}

X25519Identity::~X25519Identity() { wipe(secret_.data(), secret_.size()); }

std::unique_ptr<X25519Identity> X25519Identity::generate() {
  std::array<std::uint8_t, 32> k;
  crypto::random_bytes(k);
  auto id = std::make_unique<X25519Identity>(k);
  wipe(k.data(), k.size());
  return id;
}

std::unique_ptr<X25519Identity> X25519Identity::parse(std::string_view s) {
  std::string why;
  auto d = bech32::decode(s, &why);
  if (!d) throw Error(Failure::kKey, "malformed secret key: " + why);
  if (d->hrp != "AGE-SECRET-KEY-")
    throw Error(Failure::kKey, "malformed secret key: unknown type \"" + d->hrp + "\"");
  if (d->data.size() != 32)
    throw Error(Failure::kKey, "malformed secret key: invalid X25519 secret key");
  return std::make_unique<X25519Identity>(std::span<const std::uint8_t, 32>(d->data.data(), 32));
}

std::optional<SecureBytes> X25519Identity::unwrap(std::span<const Stanza> stanzas) const {
  for (const auto& s : stanzas) {
    if (s.type != "X25519") continue;
    if (s.args.size() != 1)
      throw Error(Failure::kHeader, "invalid X25519 stanza: wrong number of arguments");
    auto share = unb64(s.args[0]);
    if (!share || share->size() != 32)
      throw Error(Failure::kHeader, "invalid X25519 stanza: malformed share");
    std::span<const std::uint8_t, 32> share32(share->data(), 32);
    auto shared = crypto::x25519(secret_, share32);
    if (!shared) throw Error(Failure::kHeader, "invalid X25519 stanza: low-order share");
    SecureBytes wrap_key(32);
    crypto::hkdf_sha256(*shared, salt_of(share32, pub_), kLabel, wrap_key);
    wipe(shared->data(), shared->size());
    auto key =
        aead_unwrap(std::span<const std::uint8_t, 32>(wrap_key.data(), 32), s.body, "X25519");
    if (key) return key;
  }
  return std::nullopt;
}

std::unique_ptr<Recipient> X25519Identity::recipient() const {
  return std::make_unique<X25519Recipient>(pub_);
}

SecretString X25519Identity::str() const {
  return SecretString(bech32::encode("AGE-SECRET-KEY-", secret_));
}

}  // namespace varan::age
