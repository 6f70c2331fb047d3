#include "common/base64.h"

#include <gtest/gtest.h>

namespace varan {
namespace {

std::string str(const SecureBytes& b) { return std::string(b.begin(), b.end()); }

TEST(Base64, EncodesPaddedAndUnpadded) {
  EXPECT_EQ(base64::encode(as_bytes("")), "");
  EXPECT_EQ(base64::encode(as_bytes("f")), "Zg==");
  EXPECT_EQ(base64::encode(as_bytes("fo")), "Zm8=");
  EXPECT_EQ(base64::encode(as_bytes("foo")), "Zm9v");
  EXPECT_EQ(base64::encode(as_bytes("foob"), false), "Zm9vYg");
  EXPECT_EQ(base64::encode(as_bytes("fooba"), false), "Zm9vYmE");
}

TEST(Base64, DecodesCanonicalInput) {
  EXPECT_EQ(str(*base64::decode("Zm9vYmFy")), "foobar");
  EXPECT_EQ(str(*base64::decode("Zg==")), "f");
  EXPECT_EQ(str(*base64::decode("Zm8=")), "fo");
  EXPECT_EQ(str(*base64::decode("Zm9vYg", false)), "foob");
  EXPECT_EQ(str(*base64::decode("Zm9vYmE", false)), "fooba");
  EXPECT_EQ(str(*base64::decode("", false)), "");
}

TEST(Base64, RejectsNonCanonicalAndMalformedInput) {
  EXPECT_FALSE(base64::decode("Zh=="));         // non-zero unused bits
  EXPECT_FALSE(base64::decode("Zm9=", true));   // non-zero unused bits
  EXPECT_FALSE(base64::decode("Zg", true));     // missing padding
  EXPECT_FALSE(base64::decode("Zg==", false));  // padding where none is allowed
  EXPECT_FALSE(base64::decode("Zm9v\n"));
  EXPECT_FALSE(base64::decode(" Zm9v"));
  EXPECT_FALSE(base64::decode("Zm9vY", false));  // 1 char tail is impossible
  EXPECT_FALSE(base64::decode("Z=g="));
  EXPECT_FALSE(base64::decode("Zm9vYh", false));
  EXPECT_FALSE(base64::decode("Zm-v"));
}

}  // namespace
}  // namespace varan
