// End-to-end tests of the age library: round trips at the sizes where chunking changes,
// and every kind of damage giving its own named failure.
#include "secrets/age/age.h"

#include <gtest/gtest.h>

#include "secrets/age/armor.h"
#include "secrets/age/format.h"
#include "secrets/age/keys.h"
#include "secrets/age/scrypt.h"
#include "secrets/age/stream.h"
#include "secrets/age/x25519.h"
#include "tests/support/support.h"

namespace varan::age {
namespace {

struct Keys {
  Identities ids;
  Recipients recs;
};

Keys x25519_keys(int n) {
  Keys k;
  for (int i = 0; i < n; ++i) {
    auto id = X25519Identity::generate();
    k.recs.push_back(id->recipient());
    k.ids.push_back(std::move(id));
  }
  return k;
}

std::string encrypt(const std::string& plain, const Recipients& recs, bool armor = false) {
  MemorySink out;
  Encryptor enc(out, recs, armor);
  // Uneven writes exercise the chunk buffering.
  std::size_t pos = 0, step = 1000;
  while (pos < plain.size()) {
    std::size_t k = std::min(step, plain.size() - pos);
    enc.write(as_bytes(std::string_view(plain).substr(pos, k)));
    pos += k;
    step = step * 3 % 70001 + 1;
  }
  enc.finish();
  return std::string(out.str());
}

struct Outcome {
  std::optional<Failure> failure;
  std::string released;
};

Outcome decrypt(const std::string& file, const Identities& ids) {
  MemorySource src(file);
  BufferedReader in(src);
  MemorySink out;
  Outcome o;
  try {
    decrypt_any(in, ids, out);
  } catch (const Error& e) {
    o.failure = e.failure();
  }
  o.released = std::string(out.str());
  return o;
}

class RoundTrip : public ::testing::TestWithParam<std::size_t> {};

TEST_P(RoundTrip, BinaryAndArmored) {
  auto keys = x25519_keys(3);
  std::string plain = test::pattern_bytes(GetParam(), static_cast<unsigned>(GetParam()));
  for (bool armor : {false, true}) {
    std::string file = encrypt(plain, keys.recs, armor);
    // Every recipient alone can decrypt.
    for (auto& id : keys.ids) {
      Identities one;
      one.push_back(std::make_unique<X25519Identity>(*static_cast<X25519Identity*>(id.get())));
      auto o = decrypt(file, one);
      EXPECT_FALSE(o.failure) << "size " << GetParam() << " armor " << armor;
      EXPECT_EQ(o.released, plain);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, RoundTrip,
                         ::testing::Values(0, 1, 47, 48, 49, kChunkSize - 1, kChunkSize,
                                           kChunkSize + 1, 2 * kChunkSize, 3 * kChunkSize + 17));

TEST(Age, PayloadSizeMatchesTheFormat) {
  auto keys = x25519_keys(1);
  // header + 16-byte nonce + per chunk 16-byte tag; an empty file has one empty chunk.
  for (std::size_t n : {std::size_t(0), std::size_t(5), kChunkSize, kChunkSize + 1}) {
    std::string file = encrypt(test::pattern_bytes(n), keys.recs);
    MemorySource src(file);
    BufferedReader in(src);
    auto h = parse_header(in);
    std::size_t chunks = n == 0 ? 1 : (n + kChunkSize - 1) / kChunkSize;
    EXPECT_EQ(file.size(), marshal(h).size() + 16 + n + 16 * chunks) << n;
  }
}

TEST(Age, WrongIdentityIsNoMatch) {
  auto keys = x25519_keys(1), other = x25519_keys(2);
  auto o = decrypt(encrypt("secret", keys.recs), other.ids);
  EXPECT_EQ(o.failure, Failure::kNoMatch);
  EXPECT_TRUE(o.released.empty());
}

TEST(Age, TamperedHeaderIsHmacFailure) {
  auto keys = x25519_keys(2);
  std::string file = encrypt("secret", keys.recs);
  // Swap the two stanzas: each still unwraps, but the MAC covers their order.
  MemorySource src(file);
  BufferedReader in(src);
  auto h = parse_header(in);
  std::string rest(as_string(in.available()));
  std::swap(h.stanzas[0], h.stanzas[1]);
  auto o = decrypt(marshal(h) + rest, keys.ids);
  EXPECT_EQ(o.failure, Failure::kHmac);
}

TEST(Age, PayloadDamageIsPayloadFailureAfterAuthenticChunksOnly) {
  auto keys = x25519_keys(1);
  std::string plain = test::pattern_bytes(3 * kChunkSize + 100);
  std::string file = encrypt(plain, keys.recs);
  std::size_t payload_start = file.size() - (plain.size() + 4 * 16);

  std::string flipped = file;
  flipped[payload_start + kEncChunkSize + 5] ^= 1;  // inside chunk 1
  auto o = decrypt(flipped, keys.ids);
  EXPECT_EQ(o.failure, Failure::kPayload);
  EXPECT_EQ(o.released, plain.substr(0, kChunkSize));  // chunk 0 only

  auto truncated = decrypt(file.substr(0, payload_start + 2 * kEncChunkSize), keys.ids);
  EXPECT_EQ(truncated.failure, Failure::kPayload);
  EXPECT_EQ(truncated.released, plain.substr(0, 2 * kChunkSize));

  auto trailing = decrypt(file + "x", keys.ids);
  EXPECT_EQ(trailing.failure, Failure::kPayload);

  // A file cut inside the nonce is a header failure, as the CCTV kit defines it.
  auto no_nonce = decrypt(file.substr(0, payload_start - 3), keys.ids);
  EXPECT_EQ(no_nonce.failure, Failure::kHeader);
}

TEST(Age, ArmorWriterIsExact) {
  auto keys = x25519_keys(1);
  std::string armored = encrypt("hello", keys.recs, true);
  EXPECT_TRUE(armored.starts_with(std::string(kArmorHeader) + "\n"));
  EXPECT_TRUE(armored.ends_with("\n" + std::string(kArmorFooter) + "\n"));
  std::size_t start = kArmorHeader.size() + 1;
  std::string body = armored.substr(start, armored.size() - start - kArmorFooter.size() - 1);
  // Full lines are 64 columns; only the last may be shorter, and it is never empty.
  std::size_t pos = 0;
  while (pos < body.size()) {
    auto nl = body.find('\n', pos);
    ASSERT_NE(nl, std::string::npos);
    std::size_t len = nl - pos;
    if (nl + 1 < body.size()) {
      EXPECT_EQ(len, 64u);
    }
    EXPECT_GT(len, 0u);
    pos = nl + 1;
  }
  // When the binary length is a multiple of 48 bytes, the footer follows the last full line.
  MemorySink out;
  ArmorWriter w(out);
  w.write(Bytes(96, 0));
  w.finish();
  EXPECT_EQ(out.str(), std::string(kArmorHeader) + "\n" + std::string(64, 'A') + "\n" +
                           std::string(64, 'A') + "\n" + std::string(kArmorFooter) + "\n");
}

TEST(Age, ArmoredInputIsDetectedAfterWhitespace) {
  auto keys = x25519_keys(1);
  auto o = decrypt("\n  \r\n" + encrypt("data", keys.recs, true) + "\n\n", keys.ids);
  EXPECT_FALSE(o.failure);
  EXPECT_EQ(o.released, "data");
  auto bad = decrypt(encrypt("data", keys.recs, true) + "garbage", keys.ids);
  EXPECT_EQ(bad.failure, Failure::kArmor);
}

TEST(Age, ScryptRoundTripAndRules) {
  Recipients recs;
  recs.push_back(std::make_unique<ScryptRecipient>(SecretString("correct horse"), 10));
  std::string file = encrypt("by passphrase", recs);
  Identities right, wrong;
  right.push_back(std::make_unique<ScryptIdentity>(SecretString("correct horse")));
  wrong.push_back(std::make_unique<ScryptIdentity>(SecretString("battery staple")));
  EXPECT_EQ(decrypt(file, right).released, "by passphrase");
  EXPECT_EQ(decrypt(file, wrong).failure, Failure::kNoMatch);
  // The work factor limit of the reader is honoured.
  Identities strict;
  strict.push_back(std::make_unique<ScryptIdentity>(SecretString("correct horse"), 9));
  EXPECT_EQ(decrypt(file, strict).failure, Failure::kHeader);
  // A passphrase can't be mixed with other recipients.
  auto keys = x25519_keys(1);
  recs.push_back(std::move(keys.recs[0]));
  MemorySink sink;
  EXPECT_THROW(Encryptor(sink, recs), Error);
}

TEST(Keys, KeygenTextHasAgeKeygenShape) {
  auto id = X25519Identity::generate();
  std::string text = keygen_text(*id, 0).str();
  EXPECT_TRUE(text.starts_with("# created: 19"));  // local time
  EXPECT_NE(text.find("\n# public key: " + id->recipient()->str() + "\n"), std::string::npos);
  EXPECT_TRUE(text.ends_with(id->str().str() + "\n"));
  auto parsed = parse_identity_lines(text, "keys.txt");
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed[0]->recipient()->str(), id->recipient()->str());
}

TEST(Keys, IdentityAndRecipientFilesReportLines) {
  auto id = X25519Identity::generate();
  auto recipient = id->recipient()->str();
  try {
    parse_identity_lines("# comment\n\n" + recipient + "\n", "keys.txt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 3: apparent recipient"), std::string::npos)
        << e.what();
  }
  try {
    parse_recipients_file("# c\n" + id->str().str() + "\n", "recips.txt", nullptr);
    FAIL();
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("line 2: apparent identity"), std::string::npos) << msg;
    EXPECT_EQ(msg.find(id->str().str()), std::string::npos)
        << "the secret key leaked into the message";
  }
  std::vector<std::string> warnings;
  auto recs = parse_recipients_file(
      recipient +
          "\necdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBA== x\n",
      "r.txt", &warnings);
  EXPECT_EQ(recs.size(), 1u);
  EXPECT_EQ(warnings.size(), 1u);
  EXPECT_THROW(parse_recipients_file("# only comments\n", "r.txt", nullptr), Error);
}

}  // namespace
}  // namespace varan::age
