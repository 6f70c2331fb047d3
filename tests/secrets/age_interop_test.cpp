// Interop with the reference implementation, both ways: Debian's `age` / `age-keygen`
// (Go) and OpenSSH's `ssh-keygen` for SSH keys. Sizes around the 64 KiB chunk boundary.
#include <gtest/gtest.h>

#include "tests/support/support.h"

namespace varan::test {
namespace {

const std::vector<std::size_t> kSizes = {0, 1, 64 * 1024, 64 * 1024 + 1, 3 * 1024 * 1024};

class AgeInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    VARAN_REQUIRE(which("age") && which("age-keygen"), "the age CLI (Debian package age)");
    VARAN_REQUIRE(which("ssh-keygen"), "ssh-keygen (Debian package openssh-client)");
  }
  RunResult varan(std::vector<std::string> args, const RunOptions& o = {}) {
    args.insert(args.begin(), {VARAN_BIN, "age"});
    return run(args, o);
  }
  std::string age_key(const std::string& name) {
    auto r = run({"age-keygen", "-o", dir / name});
    EXPECT_EQ(r.status, 0) << r.err;
    auto y = run({"age-keygen", "-y", dir / name});
    return y.out.substr(0, y.out.size() - 1);
  }
  std::string varan_key(const std::string& name) {
    auto r = varan({"keygen", "-o", dir / name});
    EXPECT_EQ(r.status, 0) << r.err;
    return r.err.substr(12, r.err.size() - 13);  // "Public key: age1...\n"
  }
  std::string ssh_key(const std::string& type, const std::string& name) {
    std::vector<std::string> args = {"ssh-keygen", "-q", "-t",   type, "-N",
                                     "",           "-C", "test", "-f", dir / name};
    if (type == "rsa") args.insert(args.end(), {"-b", "2048"});
    auto r = run(args);
    EXPECT_EQ(r.status, 0) << r.err;
    std::string pub = read_text(dir / (name + ".pub"));
    return pub.substr(0, pub.find('\n'));
  }
  TempDir dir;
};

TEST_F(AgeInterop, AgeEncryptsVaranDecrypts) {
  std::string r1 = age_key("a.txt"), r2 = varan_key("v.txt");
  for (std::size_t size : kSizes) {
    for (bool armor : {false, true}) {
      SCOPED_TRACE("size " + std::to_string(size) + (armor ? " armored" : " binary"));
      std::string plain = pattern_bytes(size, static_cast<unsigned>(size));
      write_text(dir / "plain", plain);
      std::vector<std::string> args = {"age", "-r", r1, "-r", r2, "-o", dir / "f.age"};
      if (armor) args.push_back("-a");
      args.push_back(dir / "plain");
      auto enc = run(args);
      ASSERT_EQ(enc.status, 0) << enc.err;
      for (const char* key : {"a.txt", "v.txt"}) {
        auto dec = varan({"-d", "-i", dir / key, "-o", dir / "out", dir / "f.age"});
        ASSERT_EQ(dec.status, 0) << dec.err;
        EXPECT_EQ(sha256_hex(read_text(dir / "out")), sha256_hex(plain));
      }
    }
  }
}

TEST_F(AgeInterop, VaranEncryptsAgeDecrypts) {
  std::string r1 = age_key("a.txt"), r2 = varan_key("v.txt");
  write_text(dir / "recipients", "# team\n" + r1 + "\n\n" + r2 + "\n");
  for (std::size_t size : kSizes) {
    for (bool armor : {false, true}) {
      SCOPED_TRACE("size " + std::to_string(size) + (armor ? " armored" : " binary"));
      std::string plain = pattern_bytes(size, static_cast<unsigned>(size) + 7);
      std::vector<std::string> args = {"-R", dir / "recipients", "-o", dir / "f.age"};
      if (armor) args.push_back("-a");
      auto enc = varan(args, {.input = plain});
      ASSERT_EQ(enc.status, 0) << enc.err;
      for (const char* key : {"a.txt", "v.txt"}) {
        auto dec = run({"age", "-d", "-i", dir / key, "-o", dir / "out", dir / "f.age"});
        ASSERT_EQ(dec.status, 0) << dec.err;
        EXPECT_EQ(sha256_hex(read_text(dir / "out")), sha256_hex(plain));
      }
    }
  }
}

TEST_F(AgeInterop, SshKeysBothWays) {
  for (std::string type : {"ed25519", "rsa"}) {
    SCOPED_TRACE(type);
    std::string pub = ssh_key(type, "id_" + type);
    std::string key = dir / ("id_" + type);
    for (std::size_t size : kSizes) {
      SCOPED_TRACE(size);
      std::string plain = pattern_bytes(size, 99);
      // age -> varan
      auto enc = run({"age", "-R", key + ".pub", "-o", dir / "s.age"}, {.input = plain});
      ASSERT_EQ(enc.status, 0) << enc.err;
      auto dec = varan({"-d", "-i", key, dir / "s.age"});
      ASSERT_EQ(dec.status, 0) << dec.err;
      EXPECT_EQ(sha256_hex(dec.out), sha256_hex(plain));
      // varan -> age
      auto venc = varan({"-r", pub, "-o", dir / "v.age"}, {.input = plain});
      ASSERT_EQ(venc.status, 0) << venc.err;
      auto adec = run({"age", "-d", "-i", key, dir / "v.age"});
      ASSERT_EQ(adec.status, 0) << adec.err;
      EXPECT_EQ(sha256_hex(adec.out), sha256_hex(plain));
    }
  }
}

TEST_F(AgeInterop, KeygenOutputsAgree) {
  varan_key("v.txt");
  // age reads our key file, and both tools derive the same recipient from it.
  auto ours = varan({"keygen", "-y", dir / "v.txt"});
  auto theirs = run({"age-keygen", "-y", dir / "v.txt"});
  ASSERT_EQ(ours.status, 0) << ours.err;
  ASSERT_EQ(theirs.status, 0) << theirs.err;
  EXPECT_EQ(ours.out, theirs.out);
  age_key("a.txt");
  auto ours_a = varan({"keygen", "-y", dir / "a.txt"});
  auto theirs_a = run({"age-keygen", "-y", dir / "a.txt"});
  ASSERT_EQ(ours_a.status, 0) << ours_a.err;
  ASSERT_EQ(theirs_a.status, 0) << theirs_a.err;
  EXPECT_EQ(ours_a.out, theirs_a.out);
  // Same three-line layout: "# created: ...", "# public key: ...", the key.
  std::string v = read_text(dir / "v.txt"), a = read_text(dir / "a.txt");
  EXPECT_TRUE(v.starts_with("# created: ") && a.starts_with("# created: "));
  EXPECT_EQ(v.find("\n# public key: age1"), a.find("\n# public key: age1"));
  EXPECT_EQ(v.size(), a.size());
}

// Passphrase (scrypt) files both ways. The age CLI reads a passphrase only from a terminal:
// tests/interop/age_pty.py runs it on a pseudo-terminal and answers its prompts from
// $AGE_TEST_PASSPHRASE. Varan reads it from AGE_PASSPHRASE with -j batchpass.
TEST_F(AgeInterop, PassphraseFilesBothWays) {
  VARAN_REQUIRE(file_exists("/usr/bin/python3"), "Debian's python3 (its pty module)");
  const std::string pty = std::string(SOURCE_DIR) + "/tests/interop/age_pty.py";
  const std::string pass = "correct horse battery staple";
  // Each scrypt costs about a second (work factor 18): two cases, not the whole matrix.
  for (auto [size, armor] :
       {std::pair{std::size_t{64 * 1024 + 1}, false}, std::pair{std::size_t{0}, true}}) {
    {
      SCOPED_TRACE("size " + std::to_string(size) + (armor ? " armored" : " binary"));
      std::string plain = pattern_bytes(size, 7);
      write_text(dir / "plain", plain);
      // Varan encrypts, age decrypts.
      std::vector<std::string> args = {"-e", "-j", "batchpass", "-o", dir / "v.age"};
      if (armor) args.push_back("-a");
      args.push_back(dir / "plain");
      auto enc = varan(args, {.env = {{"AGE_PASSPHRASE", pass}}});
      ASSERT_EQ(enc.status, 0) << enc.err;
      EXPECT_NE(read_text(dir / "v.age").find(armor ? "BEGIN AGE ENCRYPTED FILE" : "-> scrypt "),
                std::string::npos);
      ::unlink((dir / "out").c_str());
      auto dec = run({"/usr/bin/python3", pty, "age", "-d", "-o", dir / "out", dir / "v.age"},
                     {.env = {{"AGE_TEST_PASSPHRASE", pass}}});
      ASSERT_EQ(dec.status, 0) << dec.err;
      EXPECT_EQ(sha256_hex(read_text(dir / "out")), sha256_hex(plain));
      auto wrong = run({"/usr/bin/python3", pty, "age", "-d", "-o", dir / "out2", dir / "v.age"},
                       {.env = {{"AGE_TEST_PASSPHRASE", "not it"}}});
      EXPECT_NE(wrong.status, 0);
      // age encrypts, Varan decrypts.
      std::vector<std::string> aargs = {"/usr/bin/python3", pty, "age", "-p", "-o", dir / "a.age"};
      if (armor) aargs.push_back("-a");
      aargs.push_back(dir / "plain");
      auto aenc = run(aargs, {.env = {{"AGE_TEST_PASSPHRASE", pass}}});
      ASSERT_EQ(aenc.status, 0) << aenc.err;
      auto vdec = varan({"-d", "-j", "batchpass", "-o", dir / "out3", dir / "a.age"},
                        {.env = {{"AGE_PASSPHRASE", pass}}});
      ASSERT_EQ(vdec.status, 0) << vdec.err;
      EXPECT_EQ(sha256_hex(read_text(dir / "out3")), sha256_hex(plain));
      auto vwrong = varan({"-d", "-j", "batchpass", "-o", dir / "out4", dir / "a.age"},
                          {.env = {{"AGE_PASSPHRASE", "not it"}}});
      EXPECT_NE(vwrong.status, 0);
    }
  }
}

}  // namespace
}  // namespace varan::test
