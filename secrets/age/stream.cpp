#include "secrets/age/stream.h"

#include <array>
#include <cstring>

#include "secrets/age/errors.h"
#include "secrets/crypto.h"

namespace varan::age {

namespace {

using Nonce = std::array<std::uint8_t, 12>;

Nonce nonce_for(std::uint64_t counter, bool last) {
  Nonce n{};
  for (int i = 0; i < 8; ++i) n[10 - i] = static_cast<std::uint8_t>(counter >> (8 * i));
  n[11] = last ? 1 : 0;
  return n;
}

[[noreturn]] void fail(const std::string& why) {
  throw Error(Failure::kPayload, "invalid age payload: " + why);
}

}  // namespace

void decrypt_payload(std::span<const std::uint8_t, 32> key, BufferedReader& in, Sink& out) {
  crypto::ChaChaPoly aead(key);
  SecureBytes plain(kChunkSize);
  std::uint64_t counter = 0;
  for (;;) {
    // One byte of look-ahead tells a chunk at the end of the file from one followed by more.
    std::size_t avail = in.fill(kEncChunkSize + 1);
    if (avail == 0) fail("the file is truncated (the final chunk is missing)");
    auto data = in.available();
    if (avail < kEncChunkSize) {
      // A short chunk can only be the last one; it is empty only when the whole file is.
      if (counter != 0 && avail == kTagSize) fail("the last chunk is empty");
      if (avail < kTagSize || !aead.open(nonce_for(counter, true), data.first(avail), plain.data()))
        fail("chunk " + std::to_string(counter) + " failed authentication; the file is corrupted or was tampered with");
      out.write(plain.data(), avail - kTagSize);
      in.consume(avail);
      return;
    }
    auto chunk = data.first(kEncChunkSize);
    if (aead.open(nonce_for(counter, false), chunk, plain.data())) {
      out.write(plain.data(), kChunkSize);
      in.consume(kEncChunkSize);
      ++counter;
      continue;
    }
    // A full-size chunk may also be the last one.
    if (!aead.open(nonce_for(counter, true), chunk, plain.data()))
      fail("chunk " + std::to_string(counter) + " failed authentication; the file is corrupted or was tampered with");
    out.write(plain.data(), kChunkSize);
    in.consume(kEncChunkSize);
    if (avail > kEncChunkSize) fail("trailing data after the final chunk");
    return;
  }
}

struct PayloadEncryptor::Impl {
  explicit Impl(std::span<const std::uint8_t, 32> key, Sink& o) : aead(key), out(o) {
    plain.reserve(kChunkSize);
    sealed.resize(kEncChunkSize);
  }
  void seal(bool last) {
    aead.seal(nonce_for(counter, last), plain, sealed.data());
    out.write(sealed.data(), plain.size() + kTagSize);
    ++counter;
    plain.clear();
  }
  crypto::ChaChaPoly aead;
  Sink& out;
  SecureBytes plain;
  Bytes sealed;
  std::uint64_t counter = 0;
  bool finished = false;
};

PayloadEncryptor::PayloadEncryptor(std::span<const std::uint8_t, 32> key, Sink& out)
    : impl_(std::make_unique<Impl>(key, out)) {}

PayloadEncryptor::~PayloadEncryptor() = default;

void PayloadEncryptor::write(const std::uint8_t* buf, std::size_t n) {
  auto& s = *impl_;
  while (n > 0) {
    // A full chunk is sealed only once more data arrives: until then it may be the last.
    if (s.plain.size() == kChunkSize) s.seal(false);
    std::size_t k = std::min(n, kChunkSize - s.plain.size());
    s.plain.insert(s.plain.end(), buf, buf + k);
    buf += k;
    n -= k;
  }
}

void PayloadEncryptor::finish() {
  auto& s = *impl_;
  if (s.finished) return;
  s.finished = true;
  s.seal(true);
}

}  // namespace varan::age
