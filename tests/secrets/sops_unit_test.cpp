// Unit tests of the SOPS building blocks: value encryption, number formatting as Go does
// it, Shamir, timestamps, flattening and the metadata layouts sops has written.
#include <gtest/gtest.h>

#include "common/base64.h"
#include "secrets/sops/errors.h"
#include "secrets/sops/metadata.h"
#include "secrets/sops/shamir.h"
#include "secrets/sops/store.h"
#include "secrets/sops/value_cipher.h"

namespace varan::sops {
namespace {

TEST(SopsCipher, DecryptsTheFixedVectorOfSops) {
  // aes/cipher_test.go: key 32 x 'f', additional data "bar:".
  std::array<std::uint8_t, 32> key;
  key.fill('f');
  Node v = decrypt_value(
      "ENC[AES256_GCM,data:oYyi,iv:MyIDYbT718JRr11QtBkcj3Dwm4k1aCGZBVeZf0EyV8o=,tag:"
      "t5z2Z023Up0kxwCgw1gNxg==,type:str]",
      key, "bar:");
  EXPECT_EQ(v, Node::string("foo"));
  EXPECT_THROW(
      decrypt_value("ENC[AES256_GCM,data:oYyi,iv:MyIDYbT718JRr11QtBkcj3Dwm4k1aCGZBVeZf0EyV8o=,tag:"
                    "t5z2Z023Up0kxwCgw1gNxg==,type:str]",
                    key, "baz:"),
      Error);
}

TEST(SopsCipher, RoundTripsEveryTypeWith32ByteIvs) {
  std::array<std::uint8_t, 32> key;
  key.fill(7);
  for (const Node& v :
       {Node::string("héllo"), Node::integer(-42), Node::floating(1234.56789), Node::floating(7),
        Node::boolean(true), Node::boolean(false), Node::comment(" a comment")}) {
    std::string enc = encrypt_value(v, key, "a:b:");
    auto parsed = parse_enc(enc);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->iv.size(), 32u);
    EXPECT_EQ(parsed->tag.size(), 16u);
    EXPECT_EQ(decrypt_value(enc, key, "a:b:"), v);
  }
  // Booleans are "True"/"False" inside, floats use Go's shortest 'f' form.
  auto b = parse_enc(encrypt_value(Node::boolean(true), key, ":"));
  EXPECT_EQ(b->data.size(), 4u);
  EXPECT_EQ(b->type, "bool");
  EXPECT_EQ(encrypt_value(Node::string(""), key, "x:"), "");
  EXPECT_EQ(decrypt_value("", key, "x:"), Node::string(""));
}

TEST(SopsCipher, ParsesLikeTheRegularExpression) {
  auto v = parse_enc("ENC[AES256_GCM,data:YQ==,iv:Yg==,tag:Yw==,type:str] trailing");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->type, "str");
  EXPECT_EQ(std::string(v->data.begin(), v->data.end()), "a");
  EXPECT_FALSE(parse_enc("ENC[AES256_GCM,data:,iv:Yg==,tag:Yw==,type:str]"));
  EXPECT_FALSE(parse_enc("ENC[AES256_GCM,data:YQ==,iv:Yg==,type:str]"));
  EXPECT_FALSE(parse_enc("ENC[AES256_GCM,data:!!!,iv:Yg==,tag:Yw==,type:str]"));
  EXPECT_FALSE(parse_enc("plain text"));
}

TEST(SopsFormat, FloatsAsGoFormatsThem) {
  EXPECT_EQ(go_format_float(1234.56789, 'f'), "1234.56789");
  EXPECT_EQ(go_format_float(7, 'f'), "7");
  EXPECT_EQ(go_format_float(1e21, 'f'), "1000000000000000000000");
  EXPECT_EQ(go_format_float(0.1, 'f'), "0.1");
  EXPECT_EQ(go_format_float(1e6, 'g'), "1e+06");
  EXPECT_EQ(go_format_float(123456, 'g'), "123456");
  EXPECT_EQ(go_format_float(1234567, 'g'), "1.234567e+06");
  EXPECT_EQ(go_format_float(0.0001, 'g'), "0.0001");
  EXPECT_EQ(go_format_float(0.00001, 'g'), "1e-05");
  EXPECT_EQ(go_format_float(-2.5, 'g'), "-2.5");
  EXPECT_EQ(value_to_string(Node::floating(7)), "7.0");
  EXPECT_EQ(value_to_string(Node::floating(3.14)), "3.14");
  EXPECT_EQ(value_to_string(Node::floating(1e21)), "1E+21");
  EXPECT_EQ(value_to_string(Node::boolean(true)), "true");
  EXPECT_EQ(to_bytes(Node::boolean(false)), "False");
  EXPECT_EQ(to_bytes(Node::floating(7)), "7");
}

TEST(SopsShamir, AnyThresholdOfSharesRecoversTheSecret) {
  SecureBytes secret(32);
  for (int i = 0; i < 32; ++i)
    secret[i] = static_cast<std::uint8_t>(i * 37 + 1);
  auto shares = shamir::split(secret, 3, 2);
  ASSERT_EQ(shares.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i)
    EXPECT_EQ(shares[i].back(), i + 1);
  for (std::size_t a = 0; a < 3; ++a)
    for (std::size_t b = a + 1; b < 3; ++b)
      EXPECT_EQ(shamir::combine({shares[a], shares[b]}), secret);
  EXPECT_EQ(shamir::combine(shares), secret);
  EXPECT_THROW(shamir::combine({shares[0]}), Error);
  EXPECT_THROW(shamir::combine({shares[0], shares[0]}), Error);
  // With threshold 3, two shares give something else.
  auto three = shamir::split(secret, 3, 3);
  EXPECT_NE(shamir::combine({three[0], three[1]}), secret);
  EXPECT_EQ(shamir::combine(three), secret);
}

TEST(SopsMetadata, ReformatsLastModifiedAsSopsDoes) {
  EXPECT_EQ(reformat_rfc3339("2024-03-25T22:08:10Z"), "2024-03-25T22:08:10Z");
  EXPECT_EQ(reformat_rfc3339("2024-03-25T22:08:10.123456789Z"), "2024-03-25T22:08:10Z");
  EXPECT_EQ(reformat_rfc3339("2024-03-25T22:08:10+00:00"), "2024-03-25T22:08:10Z");
  EXPECT_EQ(reformat_rfc3339("2024-03-25T22:08:10.5+02:00"), "2024-03-25T22:08:10+02:00");
  EXPECT_THROW(reformat_rfc3339("2024-03-25 22:08:10Z"), Error);
  EXPECT_THROW(reformat_rfc3339("yesterday"), Error);
}

TEST(SopsMetadata, FlattenAndUnflattenAreInverse) {
  Node m = Node::mapping();
  Node list = Node::sequence();
  Node entry = Node::mapping();
  entry.add("enc", Node::string("E"));
  entry.add("recipient", Node::string("R"));
  list.list.push_back(entry);
  m.add("age", list);
  m.add("version", Node::string("3.13.2"));
  Node flat = flatten(m, "sops_");
  ASSERT_EQ(flat.map.size(), 3u);
  EXPECT_EQ(flat.map[0].first.str, "sops_age__list_0__map_enc");
  EXPECT_EQ(flat.map[1].first.str, "sops_age__list_0__map_recipient");
  Node noprefix = flatten(m, "");
  EXPECT_EQ(unflatten(noprefix), m);
  Node broken = Node::mapping();
  broken.add("a__list_1", Node::string("x"));
  EXPECT_THROW(unflatten(broken), Error);
}

Metadata load_meta(Format f, const std::string& text) {
  return load_encrypted(*make_store(f), text).metadata;
}

TEST(SopsMetadata, ReadsEveryLayoutSopsHasWritten) {
  const std::string mac = "ENC[AES256_GCM,data:YQ==,iv:Yg==,tag:Yw==,type:str]";
  // 3.7-3.9 YAML: struct order, empty lists written out.
  auto old =
      load_meta(Format::kYaml,
                "a: b\nsops:\n    kms: []\n    gcp_kms: []\n    azure_kv: []\n    hc_vault: []\n"
                "    age:\n        - recipient: age1x\n          enc: E1\n    lastmodified: "
                "\"2024-01-01T00:00:00Z\"\n    mac: " +
                    mac +
                    "\n    pgp: []\n"
                    "    unencrypted_suffix: _unencrypted\n    version: 3.7.1\n");
  ASSERT_EQ(old.key_groups.size(), 1u);
  EXPECT_EQ(old.key_groups[0].age[0].recipient, "age1x");
  EXPECT_EQ(old.version, "3.7.1");
  // JSON with null lists.
  auto json = load_meta(Format::kJson,
                        R"({"a":"b","sops":{"kms":null,"age":[{"recipient":"age1y","enc":"E"}],)"
                        R"("lastmodified":"2024-01-01T00:00:00Z","mac":")" +
                            mac + R"(","pgp":null,"version":"3.9.2"}})");
  EXPECT_EQ(json.key_groups[0].age[0].recipient, "age1y");
  EXPECT_EQ(json.encryption.unencrypted_suffix,
            "_unencrypted");  // the default when no rule is named
  // key_groups + shamir_threshold, keys sorted (3.13).
  auto groups = load_meta(
      Format::kYaml,
      "a: b\nsops:\n    key_groups:\n        - age:\n            - enc: E1\n              "
      "recipient: r1\n"
      "        - age:\n            - enc: E2\n              recipient: r2\n          pgp:\n"
      "            - created_at: \"2024-01-01T00:00:00Z\"\n              enc: P\n              fp: "
      "F\n"
      "    lastmodified: \"2024-01-01T00:00:00Z\"\n    mac: " +
          mac +
          "\n    shamir_threshold: 2\n"
          "    version: 3.13.2\n");
  ASSERT_EQ(groups.key_groups.size(), 2u);
  EXPECT_EQ(groups.shamir_threshold, 2);
  EXPECT_EQ(groups.key_groups[1].age[0].recipient, "r2");
  ASSERT_EQ(groups.key_groups[1].others.size(), 1u);
  EXPECT_EQ(groups.key_groups[1].others[0].first, "pgp");
  // dotenv: fully flattened, every value a string.
  auto env = load_meta(
      Format::kDotenv,
      "A=1\nsops_age__list_0__map_enc=E\nsops_age__list_0__map_recipient=r\n"
      "sops_lastmodified=2024-01-01T00:00:00Z\nsops_mac=" +
          mac + "\nsops_mac_only_encrypted=true\nsops_shamir_threshold=0\nsops_version=3.8.1\n");
  EXPECT_TRUE(env.mac_only_encrypted);
  EXPECT_EQ(env.key_groups[0].age[0].enc, "E");
  // Two rules at once is an error.
  EXPECT_THROW(load_meta(Format::kYaml,
                         "a: b\nsops:\n    age:\n        - recipient: r\n          enc: E\n"
                         "    lastmodified: \"2024-01-01T00:00:00Z\"\n    encrypted_regex: x\n"
                         "    unencrypted_suffix: y\n"),
               Error);
  // Not encrypted at all.
  try {
    load_meta(Format::kYaml, "a: b\n");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "sops metadata not found");
    EXPECT_EQ(e.code(), codes::kGeneric);
  }
}

TEST(SopsMetadata, WritesTheLayoutOf3_13) {
  Metadata md;
  md.key_groups.push_back({{{"age1r", "E"}}, {}});
  md.lastmodified = "2024-01-01T00:00:00Z";
  md.mac = "M";
  md.encryption.unencrypted_suffix = "_unencrypted";
  md.version = "3.13.2";
  Node n = metadata_to_node(md);
  std::vector<std::string> keys;
  for (const auto& [k, v] : n.map)
    keys.push_back(k.str);
  EXPECT_EQ(keys, (std::vector<std::string>{"age", "lastmodified", "mac", "unencrypted_suffix",
                                            "version"}));
  EXPECT_EQ(n.find("age")->list[0].map[0].first.str, "enc");
}

}  // namespace
}  // namespace varan::sops
