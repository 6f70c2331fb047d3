// SOPS files end to end through the library: the real sops files of the test vectors,
// every kind of tampering with its exit code, encrypt -> decrypt round trips of every
// format and key-group layout, the encryption rules, .sops.yaml, and identity discovery.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string_view>
#include <vector>

#include "secrets/age/x25519.h"
#include "secrets/sops/sops.h"
#include "tests/support/support.h"

namespace varan::sops {
namespace {

std::string vec(const std::string& rel) { return test::vectors_dir() + "/sops/" + rel; }

age::Identities key_file_identities(const std::string& path) {
  std::string text = test::read_text(path);
  age::Identities ids;
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    std::string line = text.substr(start, nl - start);
    if (line.starts_with("AGE-SECRET-KEY-1")) ids.push_back(age::X25519Identity::parse(line));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return ids;
}

Tree open(const std::string& file, const std::string& keys, Format f) {
  FixedKeySource source(key_file_identities(keys));
  return decrypt_file(test::read_text(file), f, source, false);
}

std::string as_json(const Tree& t) { return make_store(Format::kJson)->emit_plain(t.branches); }

class SopsVectors : public ::testing::Test {
 protected:
  void SetUp() override { VARAN_REQUIRE(test::file_exists(vec("sops-age-js/key.txt")), vec("")); }
};

TEST_F(SopsVectors, RealSopsFilesDecryptWithTheirMacVerified) {
  std::string keys = vec("sops-age-js/key.txt");
  // JSON (sops 3.9.2): exactly secret.json. Its ints were written as floats; both print as 7.
  auto expected =
      make_store(Format::kJson)->load_plain(test::read_text(vec("sops-age-js/secret.json")));
  Tree json = open(vec("sops-age-js/secret.enc.json"), keys, Format::kJson);
  EXPECT_EQ(as_json(json), make_store(Format::kJson)->emit_plain(expected));
  // YAML (sops 3.8.1): the same values without "0word".
  auto& items = expected[0].map;
  std::erase_if(items, [](const auto& kv) { return kv.first.str == "0word"; });
  Tree yaml = open(vec("sops-age-js/secret.enc.yaml"), keys, Format::kYaml);
  EXPECT_EQ(as_json(yaml), make_store(Format::kJson)->emit_plain(expected));
  // dotenv (sops 3.8.1).
  Tree env = open(vec("sops-age-js/secret.enc.env"), keys, Format::kDotenv);
  EXPECT_EQ(emit_plain(env, Format::kDotenv, {}).str(),
            "secret=this is a secret\nanother_secret=7\n");
  // sops-nix (sops 3.7.1, age + pgp recipients): list items share the list's path.
  Tree nix = open(vec("sops-nix/secrets.yaml"), vec("sops-nix/age-keys.txt"), Format::kYaml);
  EXPECT_EQ(as_json(nix),
            "{\n\t\"test_key\": \"test_value\",\n\t\"a_list\": "
            "[\n\t\t\"e1\",\n\t\t\"e3\"\n\t],\n\t\"nested\": {\n\t\t\"test\": "
            "{\n\t\t\t\"file\": \"another value\"\n\t\t}\n\t}\n}\n");
  EXPECT_EQ(
      emit_plain(nix, Format::kYaml, parse_tree_path("[\"nested\"][\"test\"][\"file\"]")).str(),
      "another value");
  EXPECT_EQ(emit_plain(nix, Format::kYaml, parse_tree_path("[\"a_list\"][1]")).str(), "e3");
}

// Replaces the character after the n-th occurrence of `marker` by another base64 character.
std::string tamper_after(std::string text, const std::string& marker, int nth = 0) {
  std::size_t pos = 0;
  for (int i = 0; i <= nth; ++i) {
    pos = text.find(marker, i == 0 ? 0 : pos + 1);
    if (pos == std::string::npos) ADD_FAILURE() << "no " << marker;
  }
  char& c = text[pos + marker.size()];
  c = c == 'A' ? 'B' : 'A';
  return text;
}

TEST_F(SopsVectors, EveryTamperingFailsWithSopsExitCode) {
  struct File {
    std::string path, keys;
    Format f;
  };
  std::vector<File> files = {
      {vec("sops-age-js/secret.enc.yaml"), vec("sops-age-js/key.txt"), Format::kYaml},
      {vec("sops-age-js/secret.enc.json"), vec("sops-age-js/key.txt"), Format::kJson},
      {vec("sops-age-js/secret.enc.env"), vec("sops-age-js/key.txt"), Format::kDotenv},
      {vec("sops-nix/secrets.yaml"), vec("sops-nix/age-keys.txt"), Format::kYaml}};
  for (const auto& f : files) {
    SCOPED_TRACE(f.path);
    std::string text = test::read_text(f.path);
    auto code_of = [&](const std::string& changed) {
      FixedKeySource source(key_file_identities(f.keys));
      try {
        decrypt_file(changed, f.f, source, false);
      } catch (const Error& e) {
        return e.code();
      }
      return 0;
    };
    EXPECT_EQ(code_of(text), 0);
    EXPECT_EQ(code_of(tamper_after(text, "data:")), codes::kErrorDecryptingTree) << "value";
    EXPECT_EQ(code_of(tamper_after(text, "iv:")), codes::kErrorDecryptingTree) << "iv";
    EXPECT_EQ(code_of(tamper_after(text, "tag:")), codes::kErrorDecryptingTree) << "tag";
    std::size_t mac = text.find("mac");
    std::string mac_changed = text;
    auto data = mac_changed.find("data:", mac);
    mac_changed[data + 5] = mac_changed[data + 5] == 'A' ? 'B' : 'A';
    EXPECT_EQ(code_of(mac_changed), codes::kMacMismatch) << "mac";
    std::string time_changed = text;
    auto lm = time_changed.find("lastmodified");
    auto t = time_changed.find("T", lm) + 7;  // the tens of seconds digit
    time_changed[t] = time_changed[t] == '1' ? '2' : '1';
    EXPECT_EQ(code_of(time_changed), codes::kMacMismatch) << "lastmodified";
  }
}

TEST_F(SopsVectors, WrongKeyIs128AndNamesTheRecipients) {
  age::Identities wrong;
  wrong.push_back(age::X25519Identity::generate());
  FixedKeySource source(std::move(wrong));
  try {
    decrypt_file(test::read_text(vec("sops-age-js/secret.enc.yaml")), Format::kYaml, source, false);
    FAIL();
  } catch (const DataKeyError& e) {
    EXPECT_EQ(e.code(), codes::kCouldNotRetrieveKey);
    EXPECT_NE(std::string(e.what()).find(
                  "age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr"),
              std::string::npos);
    EXPECT_NE(
        e.report().find("Group 0: FAILED\n  "
                        "age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr: FAILED\n"
                        "    - | failed to create reader for decrypting sops data key with"),
        std::string::npos)
        << e.report();
    EXPECT_NE(
        e.report().find("Recovery failed because no master key was able to decrypt the file."),
        std::string::npos);
  }
}

// ---- round trips ----

struct Keys {
  std::vector<std::unique_ptr<age::X25519Identity>> ids;
  std::string recipient(std::size_t i) const { return ids[i]->recipient()->str(); }
  FixedKeySource source(std::initializer_list<std::size_t> which) const {
    age::Identities v;
    for (auto i : which)
      v.push_back(std::make_unique<age::X25519Identity>(*ids[i]));
    return FixedKeySource(std::move(v));
  }
};

Keys make_keys(int n) {
  Keys k;
  for (int i = 0; i < n; ++i)
    k.ids.push_back(age::X25519Identity::generate());
  return k;
}

CreationRule rule_for(const Keys& k, std::vector<std::vector<std::size_t>> groups,
                      int threshold = 0) {
  CreationRule r;
  for (const auto& g : groups) {
    KeyGroup kg;
    for (auto i : g)
      kg.age.push_back({k.recipient(i), ""});
    r.key_groups.push_back(kg);
  }
  r.shamir_threshold = threshold;
  return r;
}

const char* kYaml =
    "# a comment\nname: web\nport: 8080 # inline\nratio: 0.25\nenabled: true\nnothing: null\n"
    "password_unencrypted: visible\nnested:\n    # inside\n    user: admin\n    deeper:\n        "
    "list:\n"
    "            - a\n            - 2\n            - false\nmulti: |\n    line one\n    line "
    "two\nempty: \"\"\n"
    "unicode: héllo ✓ 日本\n";
const char* kJson =
    "{\n\t\"name\": \"web\",\n\t\"port\": 8080,\n\t\"ratio\": 0.25,\n\t\"enabled\": "
    "false,\n\t\"nothing\": null,\n"
    "\t\"token_unencrypted\": \"visible\",\n\t\"nested\": {\n\t\t\"list\": "
    "[\n\t\t\t\"a\",\n\t\t\t1.5,\n\t\t\ttrue\n\t\t]\n\t},\n"
    "\t\"multi\": \"one\\ntwo\",\n\t\"empty\": \"\",\n\t\"unicode\": \"héllo ✓\"\n}\n";
const char* kDotenv =
    "# database\nDB_USER=admin\nDB_PASSWORD=p@ss "
    "w0rd=\nMULTI=a\\nb\nEMPTY=\nUNICODE=héllo\nPUBLIC_unencrypted=shown\n";
const char* kIni =
    "; settings\n[db]\nhost = localhost\n; the password\npass = s3cret\n\n[app]\nname = web\n";

TEST(SopsRoundTrip, EveryFormatComesBackAsItWas) {
  Keys k = make_keys(1);
  struct Case {
    Format f;
    const char* text;
    std::vector<std::string> secrets;  // values in `text` that encryption must hide
  };
  for (const auto& c : {Case{Format::kYaml, kYaml, {"admin", "line one", "héllo"}},
                        Case{Format::kJson, kJson, {"héllo ✓", "one\\ntwo"}},
                        Case{Format::kDotenv, kDotenv, {"admin", "p@ss w0rd=", "héllo"}},
                        Case{Format::kIni, kIni, {"localhost", "s3cret"}},
                        Case{Format::kBinary, "\x01\x02 binary \xff\n", {" binary "}}}) {
    SCOPED_TRACE(std::string(format_name(c.f)));
    std::string encrypted = encrypt_file(c.text, c.f, rule_for(k, {{0}}));
    for (const auto& secret : c.secrets) {
      ASSERT_NE(std::string_view(c.text).find(secret), std::string::npos) << secret;
      EXPECT_EQ(encrypted.find(secret), std::string::npos) << secret << " left in plaintext";
    }
    auto source = k.source({0});
    Tree t = decrypt_file(encrypted, c.f, source, false);
    EXPECT_EQ(emit_plain(t, c.f, {}).str(), std::string(c.text));
  }
  // What stays in plaintext: keys with the suffix, empty values, null.
  std::string yaml = encrypt_file(kYaml, Format::kYaml, rule_for(k, {{0}}));
  EXPECT_NE(yaml.find("password_unencrypted: visible\n"), std::string::npos);
  EXPECT_NE(yaml.find("empty: \"\"\n"), std::string::npos);
  EXPECT_NE(yaml.find("nothing: null\n"), std::string::npos);
  EXPECT_NE(yaml.find("#ENC[AES256_GCM,"), std::string::npos) << "comments are encrypted";
  std::string env = encrypt_file(kDotenv, Format::kDotenv, rule_for(k, {{0}}));
  EXPECT_NE(env.find("PUBLIC_unencrypted=shown\n"), std::string::npos);
  EXPECT_NE(env.find("\nsops_age__list_0__map_recipient=" + k.recipient(0) + "\n"),
            std::string::npos);
}

TEST(SopsRoundTrip, KeyGroupsAndThresholds) {
  Keys k = make_keys(4);
  // One group, two recipients: either opens it.
  std::string one = encrypt_file(kYaml, Format::kYaml, rule_for(k, {{0, 1}}));
  for (std::size_t i : {0, 1}) {
    auto s = k.source({i});
    EXPECT_NO_THROW(decrypt_file(one, Format::kYaml, s, false));
  }
  // Two groups, threshold 2 (the default): both groups are needed.
  std::string two = encrypt_file(kJson, Format::kJson, rule_for(k, {{0}, {1}}));
  EXPECT_NE(two.find("\"key_groups\""), std::string::npos);
  EXPECT_NE(two.find("\"shamir_threshold\": 2"), std::string::npos);
  auto both = k.source({0, 1});
  EXPECT_EQ(emit_plain(decrypt_file(two, Format::kJson, both, false), Format::kJson, {}).str(),
            kJson);
  auto only_one = k.source({1});
  EXPECT_THROW(decrypt_file(two, Format::kJson, only_one, false), DataKeyError);
  // Three groups, threshold 2: any two groups.
  std::string three = encrypt_file(kDotenv, Format::kDotenv, rule_for(k, {{0}, {1, 3}, {2}}, 2));
  for (auto pair : {std::pair<std::size_t, std::size_t>{0, 1}, {0, 2}, {3, 2}}) {
    auto s = k.source({pair.first, pair.second});
    EXPECT_EQ(emit_plain(decrypt_file(three, Format::kDotenv, s, false), Format::kDotenv, {}).str(),
              kDotenv);
  }
  auto single = k.source({2});
  try {
    decrypt_file(three, Format::kDotenv, single, false);
    FAIL();
  } catch (const DataKeyError& e) {
    EXPECT_NE(e.report().find("Shamir threshold of\n2, but only 1 part(s)"), std::string::npos)
        << e.report();
    EXPECT_NE(e.report().find("Group 2: SUCCESS"), std::string::npos) << e.report();
  }
  // A threshold below 2 with several groups is refused, as sops' Shamir refuses it.
  EXPECT_THROW(encrypt_file(kIni, Format::kIni, rule_for(k, {{0}, {1}}, 1)), Error);
  std::string ini = encrypt_file(kIni, Format::kIni, rule_for(k, {{0}, {1}}, 2));
  auto s01 = k.source({0, 1});
  EXPECT_EQ(emit_plain(decrypt_file(ini, Format::kIni, s01, false), Format::kIni, {}).str(), kIni);
}

TEST(SopsRoundTrip, EncryptionRulesAndMacOnlyEncrypted) {
  Keys k = make_keys(1);
  auto source = k.source({0});
  CreationRule r = rule_for(k, {{0}});
  r.encryption.encrypted_regex = "^(password|token)$";
  std::string text = "user: admin\npassword: hunter2\nnested:\n    token: abc\n    other: plain\n";
  std::string enc = encrypt_file(text, Format::kYaml, r);
  EXPECT_NE(enc.find("user: admin\n"), std::string::npos);
  EXPECT_EQ(enc.find("hunter2"), std::string::npos);
  EXPECT_EQ(enc.find("abc"), std::string::npos);
  EXPECT_NE(enc.find("other: plain\n"), std::string::npos);
  EXPECT_NE(enc.find("encrypted_regex: ^(password|token)$\n"), std::string::npos);
  EXPECT_EQ(emit_plain(decrypt_file(enc, Format::kYaml, source, false), Format::kYaml, {}).str(),
            text);
  // Changing a plaintext value breaks the MAC...
  std::string edited = enc;
  edited.replace(edited.find("admin"), 5, "root!");
  try {
    decrypt_file(edited, Format::kYaml, source, false);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), codes::kMacMismatch);
  }
  EXPECT_NO_THROW(decrypt_file(edited, Format::kYaml, source, true));  // --ignore-mac
  // ...unless the MAC covers only encrypted values.
  r.mac_only_encrypted = true;
  std::string mac_only = encrypt_file(text, Format::kYaml, r);
  mac_only.replace(mac_only.find("admin"), 5, "root!");
  EXPECT_NO_THROW(decrypt_file(mac_only, Format::kYaml, source, false));
  // Suffix and comment rules.
  CreationRule suffix = rule_for(k, {{0}});
  suffix.encryption.encrypted_suffix = "_secret";
  std::string s = encrypt_file("a: 1\nb_secret: 2\n", Format::kYaml, suffix);
  EXPECT_NE(s.find("a: 1\n"), std::string::npos);
  EXPECT_EQ(s.find("b_secret: 2"), std::string::npos);
  CreationRule comment = rule_for(k, {{0}});
  comment.encryption.encrypted_comment_regex = "sops:enc";
  std::string c = encrypt_file("a: 1\n# sops:enc\nb: 2\n", Format::kYaml, comment);
  EXPECT_NE(c.find("a: 1\n"), std::string::npos);
  EXPECT_EQ(c.find("b: 2"), std::string::npos);
  EXPECT_EQ(emit_plain(decrypt_file(c, Format::kYaml, source, false), Format::kYaml, {}).str(),
            "a: 1\n# sops:enc\nb: 2\n");
  CreationRule unenc = rule_for(k, {{0}});
  unenc.encryption.unencrypted_regex = "^public_";
  std::string u = encrypt_file("public_name: web\nprivate: x\n", Format::kYaml, unenc);
  EXPECT_NE(u.find("public_name: web\n"), std::string::npos);
  EXPECT_EQ(u.find("private: x"), std::string::npos);
  CreationRule unenc_comment = rule_for(k, {{0}});
  unenc_comment.encryption.unencrypted_comment_regex = "plain";
  std::string uc = encrypt_file("a: 1\n# keep plain\nb: 2\n", Format::kYaml, unenc_comment);
  EXPECT_EQ(uc.find("a: 1\n"), std::string::npos);
  EXPECT_NE(uc.find("b: 2\n"), std::string::npos);
  EXPECT_EQ(emit_plain(decrypt_file(uc, Format::kYaml, source, false), Format::kYaml, {}).str(),
            "a: 1\n# keep plain\nb: 2\n");
  // An already encrypted file is refused with sops' code.
  try {
    encrypt_file(enc, Format::kYaml, rule_for(k, {{0}}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), codes::kFileAlreadyEncrypted);
  }
}

TEST(SopsRoundTrip, RotateAndUpdateKeys) {
  Keys k = make_keys(3);
  auto s0 = k.source({0});
  std::string enc = encrypt_file(kYaml, Format::kYaml, rule_for(k, {{0}}));
  std::string rotated = rotate_file(enc, Format::kYaml, s0);
  EXPECT_NE(rotated, enc);
  EXPECT_EQ(emit_plain(decrypt_file(rotated, Format::kYaml, s0, false), Format::kYaml, {}).str(),
            kYaml);
  std::string updated = update_keys(enc, Format::kYaml, rule_for(k, {{1, 2}}), s0);
  auto s2 = k.source({2});
  EXPECT_EQ(emit_plain(decrypt_file(updated, Format::kYaml, s2, false), Format::kYaml, {}).str(),
            kYaml);
  EXPECT_THROW(decrypt_file(updated, Format::kYaml, s0, false), DataKeyError);
}

// ---- .sops.yaml and identity discovery ----

class ScopedEnv {
 public:
  ScopedEnv(std::initializer_list<std::pair<const char*, std::string>> vars) {
    for (const char* name :
         {"SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_AGE_KEY_CMD", "SOPS_AGE_SSH_PRIVATE_KEY_FILE",
          "SOPS_AGE_SSH_PRIVATE_KEY_CMD", "XDG_CONFIG_HOME", "HOME"}) {
      const char* old = std::getenv(name);
      saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
      ::unsetenv(name);
    }
    for (const auto& [k, v] : vars)
      ::setenv(k, v.c_str(), 1);
  }
  ~ScopedEnv() {
    for (const auto& [k, v] : saved_)
      v ? ::setenv(k, v->c_str(), 1) : ::unsetenv(k);
  }

 private:
  std::vector<std::pair<const char*, std::optional<std::string>>> saved_;
};

TEST(SopsConfig, FirstMatchingCreationRuleFromTheFilesFolderUp) {
  test::TempDir dir;
  Keys k = make_keys(2);
  ::mkdir((dir / "stacks").c_str(), 0755);
  ::mkdir((dir / "stacks/web").c_str(), 0755);
  test::write_text(
      dir / ".sops.yaml",
      "creation_rules:\n  - path_regex: web/.*\\.sops\\.env$\n    age: " + k.recipient(0) + ", " +
          k.recipient(1) + "\n    encrypted_regex: ^DB_\n  - path_regex: ''\n    age:\n      - " +
          k.recipient(1) + "\n");
  auto found = find_config(dir / "stacks/web");
  ASSERT_TRUE(found.path);
  EXPECT_EQ(*found.path, dir.path() + "/.sops.yaml");
  CreationRule web = creation_rule_for(*found.path, dir / "stacks/web/.sops.env");
  ASSERT_EQ(web.key_groups.size(), 1u);
  EXPECT_EQ(web.key_groups[0].age.size(), 2u);
  EXPECT_EQ(web.encryption.encrypted_regex, "^DB_");
  CreationRule other = creation_rule_for(*found.path, dir / "stacks/other.yaml");
  EXPECT_EQ(other.key_groups[0].age.size(), 1u);
  EXPECT_EQ(other.key_groups[0].age[0].recipient, k.recipient(1));
  test::write_text(dir / "stacks/.sops.yml", "ignored: true\n");
  EXPECT_FALSE(find_config(dir / "stacks").warning.empty());
}

TEST(SopsIdentities, EverySourceIsCombined) {
  test::TempDir dir;
  Keys k = make_keys(5);
  std::vector<std::string> secrets;
  for (auto& id : k.ids)
    secrets.push_back(id->str().str());
  test::write_text(dir / "keyfile.txt", "# key file\n" + secrets[1] + "\n");
  test::write_text(dir / "cmd-key.txt", secrets[2] + "\n");
  ::mkdir((dir / "xdg").c_str(), 0700);
  ::mkdir((dir / "xdg/sops").c_str(), 0700);
  ::mkdir((dir / "xdg/sops/age").c_str(), 0700);
  test::write_text(dir / "xdg/sops/age/keys.txt", secrets[3] + "\n");
  ::mkdir((dir / "home").c_str(), 0700);
  // Several keys on one line are allowed in SOPS_AGE_KEY.
  ScopedEnv env({{"SOPS_AGE_KEY", secrets[0] + " " + secrets[4]},
                 {"SOPS_AGE_KEY_FILE", dir / "keyfile.txt"},
                 {"SOPS_AGE_KEY_CMD", "cat '" + (dir / "cmd-key.txt") + "'"},
                 {"XDG_CONFIG_HOME", dir / "xdg"},
                 {"HOME", dir / "home"}});
  IdentityLoad load = load_identities("age1unused");
  EXPECT_EQ(load.identities.size(), 5u);
  EXPECT_TRUE(load.errors.empty()) << load.errors[0];
  // Each source alone opens a file made for its key.
  EnvironmentKeySource source;
  for (std::size_t i = 0; i < 5; ++i) {
    std::string enc = encrypt_file("a: b\n", Format::kYaml, rule_for(k, {{i}}));
    EXPECT_NO_THROW(decrypt_file(enc, Format::kYaml, source, false)) << i;
  }
}

TEST(SopsIdentities, SshKeysAndTheHomeFolder) {
  VARAN_REQUIRE(test::which("ssh-keygen"), "ssh-keygen");
  test::TempDir dir;
  ::mkdir((dir / "home").c_str(), 0700);
  ::mkdir((dir / "home/.ssh").c_str(), 0700);
  auto r = test::run(
      {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir / "home/.ssh/id_ed25519"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string pub = test::read_text(dir / "home/.ssh/id_ed25519.pub");
  pub = pub.substr(0, pub.find('\n'));
  CreationRule rule;
  KeyGroup g;
  g.age.push_back({pub, ""});
  rule.key_groups.push_back(g);
  std::string enc = encrypt_file("k: v\n", Format::kYaml, rule);
  {
    ScopedEnv env({{"HOME", dir / "home"}});
    EnvironmentKeySource source;
    EXPECT_EQ(emit_plain(decrypt_file(enc, Format::kYaml, source, false), Format::kYaml, {}).str(),
              "k: v\n");
  }
  {
    ::rename((dir / "home/.ssh/id_ed25519").c_str(), (dir / "elsewhere").c_str());
    ScopedEnv env({{"HOME", dir / "home"}, {"SOPS_AGE_SSH_PRIVATE_KEY_FILE", dir / "elsewhere"}});
    EnvironmentKeySource source;
    EXPECT_NO_THROW(decrypt_file(enc, Format::kYaml, source, false));
  }
  {
    ScopedEnv env({{"HOME", dir / "home"}});
    EnvironmentKeySource source;
    try {
      decrypt_file(enc, Format::kYaml, source, false);
      FAIL();
    } catch (const DataKeyError& e) {
      // Nothing found anywhere: every place looked at is named, as sops does.
      EXPECT_NE(
          e.report().find("failed to load age identities. Did not find keys in\n      | locations "
                          "'SOPS_AGE_SSH_PRIVATE_KEY_FILE',"),
          std::string::npos)
          << e.report();
      EXPECT_NE(e.what(), std::string()) << "one line names the recipient";
      EXPECT_NE(std::string(e.what()).find(pub.substr(0, 30)), std::string::npos);
      EXPECT_NE(e.report().find("keys.txt"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace varan::sops
