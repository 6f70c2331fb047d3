#include "secrets/age/age.h"

#include <algorithm>

#include "secrets/age/armor.h"
#include "secrets/age/format.h"
#include "secrets/age/stream.h"
#include "secrets/primitives.h"

namespace varan::age {

std::string_view failure_name(Failure f) {
  switch (f) {
    case Failure::kNoMatch:
      return "no identity matched";
    case Failure::kHeader:
      return "header failure";
    case Failure::kHmac:
      return "HMAC failure";
    case Failure::kPayload:
      return "payload failure";
    case Failure::kArmor:
      return "armor failure";
    case Failure::kKey:
      return "key failure";
  }
  return "failure";
}

namespace {

constexpr std::size_t kNonceSize = 16;

SecureBytes payload_key(std::span<const std::uint8_t> file_key,
                        std::span<const std::uint8_t> nonce) {
  SecureBytes key(32);
  crypto::hkdf_sha256(file_key, nonce, "payload", key);
  return key;
}

}  // namespace

struct Encryptor::Impl {
  std::unique_ptr<ArmorWriter> armor;
  std::unique_ptr<PayloadEncryptor> payload;
};

Encryptor::Encryptor(Sink& out, std::span<const std::unique_ptr<Recipient>> recipients, bool armor)
    : impl_(std::make_unique<Impl>()) {
  if (recipients.empty()) throw Error(Failure::kKey, "no recipients specified");
  for (const auto& r : recipients)
    if (r->must_be_alone() && recipients.size() > 1)
      throw Error(Failure::kKey, "a passphrase can't be combined with other recipients");
  SecureBytes file_key(kFileKeySize);
  crypto::random_bytes(file_key);
  FileKey fk(file_key.data(), kFileKeySize);
  Header h;
  for (const auto& r : recipients)
    for (auto& s : r->wrap(fk))
      h.stanzas.push_back(std::move(s));
  h.mac = header_mac(file_key, h);

  Sink* dst = &out;
  if (armor) {
    impl_->armor = std::make_unique<ArmorWriter>(out);
    dst = impl_->armor.get();
  }
  std::array<std::uint8_t, kNonceSize> nonce;
  crypto::random_bytes(nonce);
  dst->write(marshal(h));
  dst->write(nonce);
  auto key = payload_key(file_key, nonce);
  impl_->payload =
      std::make_unique<PayloadEncryptor>(std::span<const std::uint8_t, 32>(key.data(), 32), *dst);
}

Encryptor::~Encryptor() = default;

void Encryptor::write(const std::uint8_t* buf, std::size_t n) { impl_->payload->write(buf, n); }

void Encryptor::finish() {
  impl_->payload->finish();
  if (impl_->armor) impl_->armor->finish();
}

SecureBytes unwrap_file_key(const Header& header,
                            std::span<const std::unique_ptr<Identity>> identities) {
  if (identities.empty()) throw Error(Failure::kNoMatch, "no identities specified");
  std::vector<const Identity*> order;
  for (const auto& id : identities)
    order.push_back(id.get());
  std::stable_partition(order.begin(), order.end(), [](const Identity* i) { return i->native(); });
  for (const Identity* id : order) {
    auto key = id->unwrap(header.stanzas);
    if (!key) continue;
    if (key->size() != kFileKeySize)
      throw Error(Failure::kHeader, "invalid age header: unwrapped file key has the wrong size");
    auto mac = header_mac(*key, header);
    if (!crypto::equal(mac, header.mac))
      throw Error(Failure::kHmac, "invalid age header: bad header MAC (the header was modified)");
    return std::move(*key);
  }
  if (header.stanzas.size() == 1 && header.stanzas[0].type == "scrypt")
    throw Error(Failure::kNoMatch, "incorrect passphrase");
  throw Error(Failure::kNoMatch, "no identity matched any of the recipients");
}

void decrypt(BufferedReader& in, std::span<const std::unique_ptr<Identity>> identities, Sink& out) {
  Header h = parse_header(in);
  auto file_key = unwrap_file_key(h, identities);
  std::array<std::uint8_t, kNonceSize> nonce;
  if (in.read(nonce.data(), nonce.size()) != nonce.size())
    throw Error(Failure::kHeader, "invalid age file: truncated before the payload nonce");
  auto key = payload_key(file_key, nonce);
  decrypt_payload(std::span<const std::uint8_t, 32>(key.data(), 32), in, out);
}

void decrypt_any(BufferedReader& in, std::span<const std::unique_ptr<Identity>> identities,
                 Sink& out) {
  if (!looks_armored(in)) {
    decrypt(in, identities, out);
    return;
  }
  ArmorReader armor(in);
  BufferedReader decoded(armor, kEncChunkSize + 1);
  decrypt(decoded, identities, out);
}

}  // namespace varan::age
