// `sops-decrypt` and `varan secrets` as users run them: the pre_deploy folder mode (atomic,
// 0600, unchanged files left alone, failures never touching a target), `sops -d`-style
// file mode, exec-env, exit codes, and interop with the sops-age npm package.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "common/process.h"
#include "tests/support/support.h"

namespace varan::test {
namespace {

RunResult sops_decrypt(std::vector<std::string> args, RunOptions o = {}) {
  args.insert(args.begin(), SOPS_DECRYPT_BIN);
  return run(args, o);
}

// The output of a run that must succeed: a non-zero exit (a crash, a sanitizer report) fails
// the test even when the output looks right.
std::string ok_out(const RunResult& r) {
  EXPECT_EQ(r.status, 0) << r.err;
  return r.out;
}

RunResult varan(std::vector<std::string> args, RunOptions o = {}) {
  args.insert(args.begin(), VARAN_BIN);
  return run(args, o);
}

struct Workspace {
  TempDir dir;
  std::string key_file, recipient;
  std::map<std::string, std::string> env;
  Workspace() {
    key_file = dir / "keys.txt";
    auto r = varan({"age", "keygen", "-o", key_file});
    recipient = r.err.substr(12, r.err.size() - 13);
    // An empty HOME: only the key named here is found.
    ::mkdir((dir / "home").c_str(), 0700);
    env = {{"SOPS_AGE_KEY_FILE", key_file},
           {"HOME", dir / "home"},
           {"XDG_CONFIG_HOME", dir / "home/.config"}};
  }
  std::string encrypt(const std::string& name, const std::string& plain) {
    std::string tmp = dir / "plaintext-input";
    write_text(tmp, plain);
    auto r = varan({"secrets", "encrypt", "--age", recipient, "--input-type", type_of(name), tmp},
                   {.env = env});
    EXPECT_EQ(r.status, 0) << r.err;
    write_text(dir / name, r.out);
    ::unlink(tmp.c_str());
    return r.out;
  }
  static std::string type_of(const std::string& name) {
    if (name.ends_with(".env")) return "dotenv";
    if (name.ends_with(".json")) return "json";
    if (name.ends_with(".yaml") || name.ends_with(".yml")) return "yaml";
    if (name.ends_with(".ini")) return "ini";
    return "binary";
  }
};

unsigned mode_of(const std::string& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 0777;
}

long mtime_ns(const std::string& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mtim.tv_sec * 1000000000L + st.st_mtim.tv_nsec;
}

TEST(SopsDecryptFolder, WritesEachTargetOnceAtomicallyWithMode0600) {
  Workspace s;
  s.encrypt("app.sops.env", "DB_PASSWORD=hunter2\nAPI=abc\n");
  s.encrypt(".sops.env", "ROOT=1\n");
  s.encrypt("cfg.sops.yaml", "a: 1\n");
  s.encrypt("cert.sops.pem", "-----BEGIN CERT-----\nxyz\n");
  ::mkdir((s.dir / "sub").c_str(), 0755);
  s.encrypt("sub/deep.sops.json", "{\"k\": \"v\"}\n");
  // sops' creation rules beside the files are configuration, not a file to decrypt.
  write_text(s.dir / ".sops.yaml", "creation_rules:\n  - path_regex: \\.sops\\.env$\n");
  auto r = sops_decrypt({}, {.env = s.env, .cwd = s.dir.path()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(file_exists(s.dir / ".yaml"));
  EXPECT_EQ(read_text(s.dir / "app.env"), "DB_PASSWORD=hunter2\nAPI=abc\n");
  EXPECT_EQ(read_text(s.dir / ".env"), "ROOT=1\n");
  EXPECT_EQ(read_text(s.dir / "cfg.yaml"), "a: 1\n");
  EXPECT_EQ(read_text(s.dir / "cert.pem"), "-----BEGIN CERT-----\nxyz\n");
  EXPECT_FALSE(file_exists(s.dir / "sub/deep.json")) << "not recursive without -r";
  for (const char* f : {"app.env", ".env", "cfg.yaml", "cert.pem"})
    EXPECT_EQ(mode_of(s.dir / f), 0600u) << f;
  // One line per file on stderr, never a secret.
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 4) << r.err;
  EXPECT_NE(r.err.find("app.sops.env -> ./app.env: written"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("hunter2"), std::string::npos);
  EXPECT_TRUE(r.out.empty());

  // Unchanged plaintext: nothing is rewritten, the mtime stays.
  long before = mtime_ns(s.dir / "app.env");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto again = sops_decrypt({"-r", s.dir.path()}, {.env = s.env});
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(mtime_ns(s.dir / "app.env"), before);
  EXPECT_NE(again.err.find("app.env: unchanged"), std::string::npos) << again.err;
  EXPECT_EQ(read_text(s.dir / "sub/deep.json"), "{\n\t\"k\": \"v\"\n}\n");

  // --check verifies without writing.
  ::unlink((s.dir / "cfg.yaml").c_str());
  auto check = sops_decrypt({"--check", s.dir.path()}, {.env = s.env});
  EXPECT_EQ(check.status, 0) << check.err;
  EXPECT_FALSE(file_exists(s.dir / "cfg.yaml"));
  EXPECT_NE(check.err.find("cfg.sops.yaml: ok"), std::string::npos) << check.err;
}

TEST(SopsDecryptFolder, AFailureLeavesTheExistingTargetByteForByte) {
  Workspace s;
  std::string enc = s.encrypt("app.sops.env", "NEW=value\n");
  write_text(s.dir / "app.env", "OLD=kept\n", 0640);
  long before = mtime_ns(s.dir / "app.env");
  // Tampered value.
  std::string bad = enc;
  bad[bad.find("data:") + 5] ^= 1;
  write_text(s.dir / "app.sops.env", bad);
  auto r = sops_decrypt({s.dir.path()}, {.env = s.env});
  EXPECT_EQ(r.status, 25) << r.err;
  EXPECT_EQ(read_text(s.dir / "app.env"), "OLD=kept\n");
  EXPECT_EQ(mtime_ns(s.dir / "app.env"), before);
  EXPECT_EQ(mode_of(s.dir / "app.env"), 0640u);
  EXPECT_NE(r.err.find("app.sops.env: error:"), std::string::npos) << r.err;
  // Wrong key.
  write_text(s.dir / "app.sops.env", enc);
  auto other = varan({"age", "keygen", "-o", s.dir / "other.txt"});
  auto env = s.env;
  env["SOPS_AGE_KEY_FILE"] = s.dir / "other.txt";
  auto wrong = sops_decrypt({s.dir.path()}, {.env = env});
  EXPECT_EQ(wrong.status, 128) << wrong.err;
  EXPECT_NE(wrong.err.find(s.recipient), std::string::npos)
      << "the recipients tried are named: " << wrong.err;
  EXPECT_EQ(read_text(s.dir / "app.env"), "OLD=kept\n");
  // Only what was there remains: no temporary files.
  for (auto& e : std::filesystem::directory_iterator(s.dir.path()))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

TEST(SopsDecryptFolder, AProcessKilledMidWriteNeverLeavesAPartialTarget) {
  Workspace s;
  // A large binary secret, so that killing the process lands in every phase of the run.
  std::string big = pattern_bytes(8 << 20, 5);
  s.encrypt("blob.sops.bin", big);
  const std::string old_contents = "previous\n";
  auto full = sops_decrypt({s.dir.path()}, {.env = s.env});
  ASSERT_EQ(full.status, 0) << full.err;
  // The kill lands while the target's temporary file is open (seen in /proc/<pid>/fd: an
  // O_TMPFILE shows as "(deleted)", a named one as ".tmp-"): at its first sight in odd
  // rounds, once it holds bytes in even ones. Not by sleeping, which may miss every write.
  auto temp_open = [&](pid_t pid, bool with_bytes) {
    std::string fds = "/proc/" + std::to_string(pid) + "/fd";
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(fds, ec)) {
      std::error_code lec;
      std::string target = std::filesystem::read_symlink(e.path(), lec).string();
      if (lec || !target.starts_with(s.dir.path())) continue;
      if (target.find("(deleted)") == std::string::npos &&
          target.find(".tmp-") == std::string::npos)
        continue;
      struct stat st {};
      if (::stat(e.path().c_str(), &st) != 0) continue;
      if (!with_bytes || st.st_size > 0) return true;
    }
    return false;
  };
  int killed = 0, mid_write = 0;
  for (int i = 1; i <= 12; ++i) {
    write_text(s.dir / "blob.bin", old_contents);
    pid_t pid = start_child({.argv = {SOPS_DECRYPT_BIN, s.dir.path()},
                             .env = s.env,
                             .out = ChildOutput::inherit(),
                             .err = ChildOutput::inherit()});
    int status = 0;
    bool done = false;
    for (;;) {
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        done = true;
        break;
      }
      if (temp_open(pid, i % 2 == 0)) {
        ++mid_write;
        break;
      }
    }
    if (!done) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
    }
    killed += WIFSIGNALED(status);
    std::string now = read_text(s.dir / "blob.bin");
    EXPECT_TRUE(now == old_contents || now == big)
        << "partial target of " << now.size() << " bytes after kill " << i;
    for (auto& e : std::filesystem::directory_iterator(s.dir.path()))
      EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  }
  EXPECT_GT(mid_write, 0) << "no run was killed while its target was being written";
  EXPECT_EQ(killed, mid_write);
}

TEST(SopsDecryptFile, BehavesLikeSopsDecrypt) {
  Workspace s;
  s.encrypt("s.sops.yaml",
            "db:\n    user: admin\n    hosts:\n        - a\n        - b\nport: 5432\n");
  auto r = sops_decrypt({s.dir / "s.sops.yaml"}, {.env = s.env});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "db:\n    user: admin\n    hosts:\n        - a\n        - b\nport: 5432\n");
  auto json = sops_decrypt({"--output-type", "json", s.dir / "s.sops.yaml"}, {.env = s.env});
  EXPECT_EQ(ok_out(json),
            "{\n\t\"db\": {\n\t\t\"user\": \"admin\",\n\t\t\"hosts\": "
            "[\n\t\t\t\"a\",\n\t\t\t\"b\"\n\t\t]\n\t},\n\t\"port\": 5432\n}\n");
  EXPECT_EQ(ok_out(sops_decrypt({"--extract", "[\"db\"][\"user\"]", s.dir / "s.sops.yaml"},
                                {.env = s.env})),
            "admin");
  EXPECT_EQ(ok_out(sops_decrypt({"--extract", "[\"db\"][\"hosts\"][1]", s.dir / "s.sops.yaml"},
                                {.env = s.env})),
            "b");
  EXPECT_EQ(
      ok_out(sops_decrypt({"--extract", "[\"port\"]", s.dir / "s.sops.yaml"}, {.env = s.env})),
      "5432\n");
  EXPECT_EQ(ok_out(sops_decrypt({"--extract", "[\"db\"]", s.dir / "s.sops.yaml"}, {.env = s.env})),
            "user: admin\nhosts:\n    - a\n    - b\n");
  auto out = sops_decrypt({"--output", s.dir / "out.yaml", s.dir / "s.sops.yaml"}, {.env = s.env});
  EXPECT_EQ(out.status, 0);
  EXPECT_EQ(mode_of(s.dir / "out.yaml"), 0600u);
  // Exit codes as sops defines them.
  auto missing = sops_decrypt({s.dir / "nope.sops.yaml"}, {.env = s.env});
  EXPECT_EQ(missing.status, 100);
  EXPECT_NE(missing.err.find("cannot operate on non-existent file"), std::string::npos)
      << missing.err;
  EXPECT_EQ(sops_decrypt({"--extract", "[\"db\"", s.dir / "s.sops.yaml"}, {.env = s.env}).status,
            91);
  EXPECT_EQ(
      sops_decrypt({"--extract", "[\"nothere\"]", s.dir / "s.sops.yaml"}, {.env = s.env}).status,
      1);
  write_text(s.dir / "plain.yaml", "a: 1\n");
  auto plain = sops_decrypt({s.dir / "plain.yaml"}, {.env = s.env});
  EXPECT_EQ(plain.status, 1);
  EXPECT_NE(plain.err.find("sops metadata not found"), std::string::npos);
  std::string text = read_text(s.dir / "s.sops.yaml");
  std::string mac = text;
  mac[mac.find("data:", mac.find("mac:")) + 5] ^= 1;
  write_text(s.dir / "mac.sops.yaml", mac);
  auto bad_mac =
      sops_decrypt({"--output", s.dir / "never.yaml", s.dir / "mac.sops.yaml"}, {.env = s.env});
  EXPECT_EQ(bad_mac.status, 51) << bad_mac.err;
  EXPECT_FALSE(file_exists(s.dir / "never.yaml"));
  EXPECT_EQ(sops_decrypt({"--ignore-mac", s.dir / "mac.sops.yaml"}, {.env = s.env}).status, 0);
  auto no_key = sops_decrypt({s.dir / "s.sops.yaml"},
                             {.env = {{"HOME", s.dir / "home"}, {"XDG_CONFIG_HOME", s.dir / "x"}}});
  EXPECT_EQ(no_key.status, 128);
  EXPECT_NE(no_key.err.find("Group 0: FAILED"), std::string::npos) << no_key.err;
}

TEST(SopsDecryptFile, ReadAndWriteFailuresHaveTheirCodes) {
  Workspace s;
  s.encrypt("s.sops.env", "A=1\n");
  ::mkdir((s.dir / "dir.sops.env").c_str(), 0755);
  auto unreadable =
      sops_decrypt({"--input-type", "dotenv", s.dir / "dir.sops.env"}, {.env = s.env});
  EXPECT_EQ(unreadable.status, 2) << unreadable.err;
  auto unwritable = sops_decrypt({"--output", s.dir / "missing-dir/out.env", s.dir / "s.sops.env"},
                                 {.env = s.env});
  EXPECT_EQ(unwritable.status, 3) << unwritable.err;
  EXPECT_NE(unwritable.err.find("missing-dir/out.env"), std::string::npos) << unwritable.err;
}

// The real sops files, tampered with, in the pre_deploy mode: the right exit code, and the
// existing target stays exactly as it was.
TEST(SopsDecryptFolder, TamperedRealSopsFilesWriteNothing) {
  std::string vectors = vectors_dir() + "/sops";
  VARAN_REQUIRE(file_exists(vectors + "/sops-age-js/key.txt"), vectors);
  struct Case {
    std::string file, keys, target_name;
  };
  std::vector<Case> cases = {
      {"sops-age-js/secret.enc.env", "sops-age-js/key.txt", "app.sops.env"},
      {"sops-age-js/secret.enc.yaml", "sops-age-js/key.txt", "app.sops.yaml"},
      {"sops-age-js/secret.enc.json", "sops-age-js/key.txt", "app.sops.json"},
      {"sops-nix/secrets.yaml", "sops-nix/age-keys.txt", "app.sops.yaml"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    std::string text = read_text(vectors + "/" + c.file);
    std::map<std::string, std::string> env = {{"SOPS_AGE_KEY_FILE", vectors + "/" + c.keys}};
    auto flip = [&](std::string t, std::size_t at) {
      t[at] = t[at] == 'A' ? 'B' : 'A';
      return t;
    };
    std::size_t mac = text.find("data:", text.find("mac"));
    std::size_t lm = text.find("T", text.find("lastmodified")) + 7;
    std::string time_changed = text;
    time_changed[lm] = time_changed[lm] == '1' ? '2' : '1';
    std::vector<std::pair<std::string, int>> variants = {{text, 0},
                                                         {flip(text, text.find("data:") + 5), 25},
                                                         {flip(text, text.find("iv:") + 3), 25},
                                                         {flip(text, text.find("tag:") + 4), 25},
                                                         {flip(text, mac + 5), 51},
                                                         {time_changed, 51}};
    for (std::size_t v = 0; v < variants.size(); ++v) {
      TempDir dir;
      write_text(dir / c.target_name, variants[v].first);
      std::string target = dir / ("app" + c.target_name.substr(c.target_name.rfind('.')));
      write_text(target, "previous contents\n");
      auto r = sops_decrypt({dir.path()}, {.env = env});
      EXPECT_EQ(r.status, variants[v].second) << "variant " << v << ": " << r.err;
      if (variants[v].second != 0) {
        EXPECT_EQ(read_text(target), "previous contents\n") << "variant " << v;
      } else {
        EXPECT_NE(read_text(target), "previous contents\n");
      }
    }
  }
}

TEST(SopsDecryptExecEnv, PutsTopLevelKeysInTheEnvironmentOnly) {
  Workspace s;
  s.encrypt("app.sops.env", "GREETING=hello world\nNUM=7\n");
  auto r = sops_decrypt({"exec-env", s.dir / "app.sops.env", "--", "/bin/sh", "-c",
                         "printf '%s|%s' \"$GREETING\" \"$NUM\""},
                        {.env = s.env, .cwd = s.dir.path()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "hello world|7");
  // sops' own form: one command string run by the shell.
  auto sh = sops_decrypt({"exec-env", s.dir / "app.sops.env", "echo $GREETING"},
                         {.env = s.env, .cwd = s.dir.path()});
  EXPECT_EQ(ok_out(sh), "hello world\n");
  EXPECT_FALSE(file_exists(s.dir / "app.env")) << "nothing is written to disk";
  auto status = sops_decrypt({"exec-env", s.dir / "app.sops.env", "--", "/bin/sh", "-c", "exit 3"},
                             {.env = s.env});
  EXPECT_EQ(status.status, 3);
}

TEST(VaranSecrets, EncryptWithSopsYamlRulesInPlaceRotateAndUpdatekeys) {
  Workspace s;
  auto second = varan({"age", "keygen", "-o", s.dir / "second.txt"});
  std::string second_recipient = second.err.substr(12, second.err.size() - 13);
  ::mkdir((s.dir / "stack").c_str(), 0755);
  write_text(s.dir / ".sops.yaml", "creation_rules:\n  - path_regex: \\.sops\\.env$\n    age: " +
                                       s.recipient + "\n    encrypted_regex: ^SECRET_\n");
  write_text(s.dir / "stack/.sops.env", "SECRET_TOKEN=abc\nPUBLIC=yes\n");
  auto enc = varan({"secrets", "encrypt", "-i", s.dir / "stack/.sops.env"}, {.env = s.env});
  ASSERT_EQ(enc.status, 0) << enc.err;
  std::string text = read_text(s.dir / "stack/.sops.env");
  EXPECT_NE(text.find("PUBLIC=yes\n"), std::string::npos);
  EXPECT_EQ(text.find("abc"), std::string::npos);
  EXPECT_NE(text.find("sops_encrypted_regex=^SECRET_\n"), std::string::npos);
  auto again = varan({"secrets", "encrypt", s.dir / "stack/.sops.env"}, {.env = s.env});
  EXPECT_EQ(again.status, 203) << again.err;
  auto dec = varan({"secrets", "decrypt", s.dir / "stack/.sops.env"}, {.env = s.env});
  EXPECT_EQ(ok_out(dec), "SECRET_TOKEN=abc\nPUBLIC=yes\n");
  auto rot = varan({"secrets", "rotate", "-i", s.dir / "stack/.sops.env"}, {.env = s.env});
  ASSERT_EQ(rot.status, 0) << rot.err;
  EXPECT_NE(read_text(s.dir / "stack/.sops.env"), text);
  // Add the second recipient in .sops.yaml and sync the file.
  write_text(s.dir / ".sops.yaml", "creation_rules:\n  - path_regex: \\.sops\\.env$\n    age: " +
                                       s.recipient + "," + second_recipient + "\n");
  auto upd = varan({"secrets", "updatekeys", "-y", s.dir / "stack/.sops.env"}, {.env = s.env});
  ASSERT_EQ(upd.status, 0) << upd.err;
  auto env2 = s.env;
  env2["SOPS_AGE_KEY_FILE"] = s.dir / "second.txt";
  EXPECT_EQ(ok_out(varan({"secrets", "decrypt", s.dir / "stack/.sops.env"}, {.env = env2})),
            "SECRET_TOKEN=abc\nPUBLIC=yes\n");
  // SOPS_AGE_RECIPIENTS wins over .sops.yaml; no recipients anywhere is exit 111.
  write_text(s.dir / "x.yaml", "k: v\n");
  auto env3 = s.env;
  env3["SOPS_AGE_RECIPIENTS"] = second_recipient;
  auto by_env = varan({"secrets", "encrypt", s.dir / "x.yaml"}, {.env = env3});
  EXPECT_NE(by_env.out.find(second_recipient), std::string::npos);
  EXPECT_EQ(by_env.out.find(s.recipient), std::string::npos);
  TempDir lone;
  write_text(lone / "x.yaml", "k: v\n");
  EXPECT_EQ(varan({"secrets", "encrypt", lone / "x.yaml"}, {.env = s.env}).status, 111);
}

class SopsAgeInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    VARAN_REQUIRE(which("node"), "node (Debian package nodejs)");
    VARAN_REQUIRE(file_exists(std::string(INTEROP_DIR) + "/node_modules/sops-age/package.json"),
                  "tests/interop/node_modules (scripts/setup.sh runs npm ci)");
  }
  std::string node_decrypt(const std::string& file, const std::string& type, const Workspace& s) {
    return node_decrypt(file, type, s.env);
  }
  std::string node_decrypt(const std::string& file, const std::string& type,
                           const std::map<std::string, std::string>& env) {
    auto r =
        run({"node", std::string(INTEROP_DIR) + "/sops_age_decrypt.mjs", file, type}, {.env = env});
    EXPECT_EQ(r.status, 0) << r.err;
    return r.out;
  }
};

TEST_F(SopsAgeInterop, FilesVaranEncryptsDecryptWithTheSopsAgePackage) {
  Workspace s;
  s.encrypt(
      "a.sops.yaml",
      "# comment\nname: web\nport: 8080\nratio: 0.5\non: true\nnested:\n    list:\n        - x\n"
      "        - 2\nmulti: |\n    one\n    two\nunicode: héllo ✓\nempty: \"\"\nkeep_unencrypted: "
      "plain\n");
  EXPECT_EQ(
      node_decrypt(s.dir / "a.sops.yaml", "yaml", s),
      "{\"name\":\"web\",\"port\":8080,\"ratio\":0.5,\"on\":true,\"nested\":{\"list\":[\"x\",2]},"
      "\"multi\":\"one\\ntwo\\n\",\"unicode\":\"héllo "
      "✓\",\"empty\":\"\",\"keep_unencrypted\":\"plain\"}\n");
  s.encrypt("b.sops.json",
            "{\"a\": 1, \"b\": [true, 2.5, \"x\"], \"c\": {\"d\": null, \"e\": \"ü\"}}");
  EXPECT_EQ(node_decrypt(s.dir / "b.sops.json", "json", s),
            "{\"a\":1,\"b\":[true,2.5,\"x\"],\"c\":{\"d\":null,\"e\":\"ü\"}}\n");
  s.encrypt("c.sops.env", "#comment\nUSER=admin\nPASSWORD=p@ss word\nEMPTY=\n");
  EXPECT_EQ(node_decrypt(s.dir / "c.sops.env", "env", s),
            "{\"USER\":\"admin\",\"PASSWORD\":\"p@ss word\",\"EMPTY\":\"\"}\n");
  // And the same files decrypt with sops-decrypt.
  EXPECT_EQ(ok_out(sops_decrypt({s.dir / "c.sops.env"}, {.env = s.env})),
            "#comment\nUSER=admin\nPASSWORD=p@ss word\nEMPTY=\n");
}

// What only Varan wrote is read by an independent implementation too: files after `rotate`
// (new data key) and `updatekeys` (a second recipient), the binary store (sops keeps the bytes
// as one JSON value, "data"), and the YAML that BehavesLikeSopsDecrypt prints. sops-age reads
// neither INI nor key groups with Shamir; the README says so.
TEST_F(SopsAgeInterop, RotatedUpdatedAndBinaryFilesDecryptWithTheSopsAgePackage) {
  Workspace s;
  s.encrypt("app.sops.env", "SECRET_TOKEN=abc\nPUBLIC=yes\n");
  auto rot = varan({"secrets", "rotate", "-i", s.dir / "app.sops.env"}, {.env = s.env});
  ASSERT_EQ(rot.status, 0) << rot.err;
  EXPECT_EQ(node_decrypt(s.dir / "app.sops.env", "env", s),
            "{\"SECRET_TOKEN\":\"abc\",\"PUBLIC\":\"yes\"}\n");
  // updatekeys adds a second recipient; sops-age opens the file with the second key alone.
  auto second = varan({"age", "keygen", "-o", s.dir / "second.txt"});
  ASSERT_EQ(second.status, 0) << second.err;
  std::string second_recipient = second.err.substr(12, second.err.size() - 13);
  write_text(s.dir / ".sops.yaml", "creation_rules:\n  - path_regex: \\.sops\\.env$\n    age: " +
                                       s.recipient + "," + second_recipient + "\n");
  auto upd = varan({"secrets", "updatekeys", "-y", s.dir / "app.sops.env"}, {.env = s.env});
  ASSERT_EQ(upd.status, 0) << upd.err;
  auto second_only = s.env;
  second_only["SOPS_AGE_KEY_FILE"] = s.dir / "second.txt";
  EXPECT_EQ(node_decrypt(s.dir / "app.sops.env", "env", second_only),
            "{\"SECRET_TOKEN\":\"abc\",\"PUBLIC\":\"yes\"}\n");
  // The binary store: sops writes {"data": ENC[...], "sops": {...}} as JSON.
  s.encrypt("blob.sops.bin", "line one\nline two\n");
  EXPECT_EQ(node_decrypt(s.dir / "blob.sops.bin", "json", s),
            "{\"data\":\"line one\\nline two\\n\"}\n");
  // The file BehavesLikeSopsDecrypt reads, with the same contents there.
  s.encrypt("s.sops.yaml",
            "db:\n    user: admin\n    hosts:\n        - a\n        - b\nport: 5432\n");
  EXPECT_EQ(node_decrypt(s.dir / "s.sops.yaml", "yaml", s),
            "{\"db\":{\"user\":\"admin\",\"hosts\":[\"a\",\"b\"]},\"port\":5432}\n");
}

}  // namespace
}  // namespace varan::test
