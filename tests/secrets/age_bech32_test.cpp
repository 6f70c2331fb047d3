#include "secrets/age/bech32.h"

#include "secrets/age/errors.h"

#include <gtest/gtest.h>

#include "secrets/age/x25519.h"

namespace varan::age {
namespace {

// Public test keys published by sops-age, sops-nix and sops (see shared/notes).
struct KnownPair {
  const char* identity;
  const char* recipient;
};
constexpr KnownPair kKnown[] = {
    {"AGE-SECRET-KEY-1QXRVEJH9S4NQU0FPD6V79ESZQ8S6PXH3L8V40EVPTHFH6KNKD4DQ7SKC4P",
     "age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr"},
    {"AGE-SECRET-KEY-1NJT5YCS2LWU4V4QAJQ6R4JNU7LXPDX602DZ9NUFANVU5GDTGUWCQ5T59M6",
     "age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw"},
};

TEST(Bech32, KnownIdentitiesGiveTheirRecipients) {
  for (const auto& k : kKnown) {
    auto id = X25519Identity::parse(k.identity);
    EXPECT_EQ(id->recipient()->str(), k.recipient);
    EXPECT_EQ(id->str().str(), k.identity);  // re-encodes exactly, uppercase
  }
}

TEST(Bech32, RoundTripsAndKeepsCase) {
  std::uint8_t data[32];
  for (int i = 0; i < 32; ++i)
    data[i] = static_cast<std::uint8_t>(i * 7);
  auto lower = bech32::encode("age", data);
  EXPECT_TRUE(lower.starts_with("age1"));
  auto d = bech32::decode(lower);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->hrp, "age");
  EXPECT_EQ(d->data, SecureBytes(data, data + 32));
  auto upper = bech32::encode("AGE-SECRET-KEY-", data);
  EXPECT_TRUE(upper.starts_with("AGE-SECRET-KEY-1"));
  EXPECT_EQ(bech32::decode(upper)->hrp, "AGE-SECRET-KEY-");
}

TEST(Bech32, RejectsMixedCaseBadChecksumAndBadPadding) {
  std::string r = kKnown[0].recipient;
  std::string why;
  std::string mixed = r;
  mixed[5] = static_cast<char>(std::toupper(mixed[5]));
  EXPECT_FALSE(bech32::decode(mixed, &why));
  EXPECT_EQ(why, "mixed case");
  std::string flipped = r;
  flipped[10] = flipped[10] == 'q' ? 'p' : 'q';
  EXPECT_FALSE(bech32::decode(flipped, &why));
  EXPECT_EQ(why, "invalid checksum");
  EXPECT_FALSE(bech32::decode("age1", &why));
  EXPECT_FALSE(bech32::decode("age1qqqqqqb", &why));  // 'b' is not in the charset
  // A whole uppercase recipient is accepted (only mixed case is refused).
  std::string up;
  for (char c : r)
    up += static_cast<char>(std::toupper(c));
  EXPECT_TRUE(bech32::decode(up));
}

TEST(Bech32, RecipientParsingNamesTheProblem) {
  try {
    X25519Recipient::parse("age1notarealkey");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.failure(), Failure::kKey);
    EXPECT_NE(std::string(e.what()).find("age1notarealkey"), std::string::npos);
  }
  // A secret key given where a recipient belongs is refused by type.
  EXPECT_THROW(X25519Recipient::parse(kKnown[0].identity), Error);
}

TEST(Bech32, IdentityErrorsNeverEchoTheKey) {
  std::string bad = kKnown[0].identity;
  bad.back() = bad.back() == 'P' ? 'Q' : 'P';
  try {
    X25519Identity::parse(bad);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find(bad.substr(16, 20)), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace varan::age
