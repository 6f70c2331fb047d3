// `sops-decrypt`'s folder mode in a folder someone made to hurt: symlinks in a target's or an
// input's place, a double `.sops` infix, names with a newline, a huge input, and targets
// owned by another user. Runs the real binaries.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "tests/support/support.h"

namespace varan::test {
namespace {

RunResult sops_decrypt(std::vector<std::string> args, RunOptions o = {}) {
  args.insert(args.begin(), SOPS_DECRYPT_BIN);
  return run(args, o);
}

// A folder to decrypt (`stack`) next to one it must never touch (`outside`), and a key.
struct Workspace {
  TempDir dir;
  std::string stack = dir / "stack", outside = dir / "outside", key_file = dir / "keys.txt";
  std::string recipient;
  std::map<std::string, std::string> env;
  Workspace() {
    auto r = run({VARAN_BIN, "age", "keygen", "-o", key_file});
    recipient = r.err.substr(12, r.err.size() - 13);
    ::mkdir(stack.c_str(), 0755);
    ::mkdir(outside.c_str(), 0755);
    ::mkdir((dir / "home").c_str(), 0700);
    env = {{"SOPS_AGE_KEY_FILE", key_file},
           {"HOME", dir / "home"},
           {"XDG_CONFIG_HOME", dir / "home/.config"}};
  }
  // Writes the dotenv `plain`, encrypted, to `path`.
  void encrypt(const std::string& path, const std::string& plain) {
    std::string tmp = dir / "plaintext-input";
    write_text(tmp, plain);
    auto r =
        run({VARAN_BIN, "secrets", "encrypt", "--age", recipient, "--input-type", "dotenv", tmp},
            {.env = env});
    ASSERT_EQ(r.status, 0) << r.err;
    write_text(path, r.out);
    ::unlink(tmp.c_str());
  }
  RunResult decrypt_stack() { return sops_decrypt({stack}, {.env = env}); }
};

struct stat lstat_of(const std::string& p) {
  struct stat st {};
  ::lstat(p.c_str(), &st);
  return st;
}

TEST(SopsDecryptFolderHardening, ATargetSymlinkOrHardLinkIsReplacedNeverChmoddedThrough) {
  Workspace s;
  s.encrypt(s.stack + "/app.sops.env", "A=1\n");
  s.encrypt(s.stack + "/hard.sops.env", "H=1\n");
  // Outside files whose contents already match the plaintext, reached through a symlink
  // and a hard link in the targets' places.
  write_text(s.outside + "/victim", "A=1\n", 0644);
  write_text(s.outside + "/hard-victim", "H=1\n", 0644);
  ASSERT_EQ(::symlink("../outside/victim", (s.stack + "/app.env").c_str()), 0);
  ASSERT_EQ(::link((s.outside + "/hard-victim").c_str(), (s.stack + "/hard.env").c_str()), 0);
  auto r = s.decrypt_stack();
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* f : {"victim", "hard-victim"}) {
    EXPECT_EQ(lstat_of(s.outside + "/" + f).st_mode & 07777, 0644u) << f << " was chmodded";
    EXPECT_EQ(read_text(s.outside + "/" + f), f[0] == 'v' ? "A=1\n" : "H=1\n");
  }
  for (const char* f : {"app.env", "hard.env"}) {
    struct stat st = lstat_of(s.stack + "/" + f);
    EXPECT_TRUE(S_ISREG(st.st_mode)) << f << " is still a link";
    EXPECT_EQ(st.st_nlink, 1u) << f;
    EXPECT_EQ(st.st_mode & 07777, 0600u) << f;
  }
  EXPECT_EQ(read_text(s.stack + "/app.env"), "A=1\n");
  // Now plain files of our own: left alone.
  auto again = s.decrypt_stack();
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.err.find("app.env: unchanged"), std::string::npos) << again.err;
}

TEST(SopsDecryptFolderHardening, ASymlinkedInputIsFollowedInsideTheFolderAndRefusedOutside) {
  Workspace s;
  ::mkdir((s.stack + "/shared").c_str(), 0755);
  s.encrypt(s.stack + "/shared/common.sops.env", "SHARED=1\n");
  s.encrypt(s.outside + "/other-stack.sops.env", "OTHER=secret\n");
  ASSERT_EQ(::symlink("shared/common.sops.env", (s.stack + "/.sops.env").c_str()), 0);
  ASSERT_EQ(::symlink("../outside/other-stack.sops.env", (s.stack + "/b.sops.env").c_str()), 0);
  ASSERT_EQ(
      ::symlink((s.outside + "/other-stack.sops.env").c_str(), (s.stack + "/c.sops.env").c_str()),
      0);
  ASSERT_EQ(::symlink("missing.sops.env", (s.stack + "/d.sops.env").c_str()), 0);
  auto r = s.decrypt_stack();
  EXPECT_EQ(r.status, 2) << "a refused link is an error (input not readable): " << r.err;
  EXPECT_EQ(read_text(s.stack + "/.env"), "SHARED=1\n") << r.err;
  for (const char* f : {"b.env", "c.env", "d.env"})
    EXPECT_FALSE(file_exists(s.stack + "/" + f)) << f;
  EXPECT_NE(r.err.find("b.sops.env: error: Error reading file: " + s.stack +
                       "/b.sops.env is a symbolic link to " + s.outside +
                       "/other-stack.sops.env, outside " + s.stack),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("c.sops.env: error:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("d.sops.env: error: Error reading file: " + s.stack +
                       "/d.sops.env is a symbolic link that leads nowhere"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("OTHER=secret"), std::string::npos);
}

TEST(SopsDecryptFolderHardening, ADoubleSopsInfixIsStrippedOnceAndItsOutputIsNeverAnInput) {
  Workspace s;
  s.encrypt(s.stack + "/a.sops.sops.env", "A=1\n");
  for (int run = 1; run <= 2; ++run) {
    auto r = s.decrypt_stack();
    ASSERT_EQ(r.status, 0) << "run " << run << ": " << r.err;
    EXPECT_EQ(read_text(s.stack + "/a.sops.env"), "A=1\n");
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(run == 1 ? "a.sops.sops.env -> " + s.stack + "/a.sops.env: written"
                                  : "a.sops.sops.env -> " + s.stack + "/a.sops.env: unchanged"),
              std::string::npos)
        << r.err;
  }
  EXPECT_FALSE(file_exists(s.stack + "/a.env"));
}

TEST(SopsDecryptFolderHardening, NamesAreEscapedInEveryLine) {
  Workspace s;
  s.encrypt(s.stack + "/evil\nx: ok\n.sops.env", "E=1\n");
  write_text(s.stack + "/bad\tname.sops.env", "not sops\n");
  auto r = s.decrypt_stack();
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(read_text(s.stack + "/evil\nx: ok\n.env"), "E=1\n");
  // One line per file, the newline shown as \n, a tab as \t.
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 2) << r.err;
  EXPECT_NE(r.err.find("/evil\\nx: ok\\n.sops.env -> " + s.stack + "/evil\\nx: ok\\n.env: written"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("/bad\\tname.sops.env: error:"), std::string::npos) << r.err;
}

TEST(SopsDecryptFolderHardening, AnInputOverTheLimitIsRefusedBeforeItIsRead) {
  Workspace s;
  // 1 GiB and one byte, sparse: costs no disk, but reading it would cost the memory.
  std::string big = s.stack + "/big.sops.env";
  int fd = ::open(big.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, (off_t(1) << 30) + 1), 0);
  ::close(fd);
  s.encrypt(s.stack + "/small.sops.env", "S=1\n");
  auto r = s.decrypt_stack();
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("big.sops.env: error: Error reading file: " + big +
                       " is larger than 1073741824 bytes; refusing to read it"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(read_text(s.stack + "/small.env"), "S=1\n") << "the other files go on";
  EXPECT_LT(r.max_rss_kib, 200 * 1024) << "the input was read before it was refused";
}

TEST(SopsDecryptFolderHardening, ATargetBelongsToTheUserRunningItWhetherRewrittenOrNot) {
  VARAN_REQUIRE(::geteuid() == 0, "root, to give a target to another user");
  Workspace s;
  s.encrypt(s.stack + "/same.sops.env", "SAME=1\n");
  s.encrypt(s.stack + "/changed.sops.env", "CHANGED=new\n");
  // Targets planted by another user: one already holding the plaintext, one not.
  write_text(s.stack + "/same.env", "SAME=1\n", 0600);
  write_text(s.stack + "/changed.env", "CHANGED=old\n", 0600);
  for (const char* f : {"same.env", "changed.env"})
    ASSERT_EQ(::chown((s.stack + "/" + f).c_str(), 65534, 65534), 0);
  auto r = s.decrypt_stack();
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* f : {"same.env", "changed.env"}) {
    struct stat st = lstat_of(s.stack + "/" + f);
    EXPECT_EQ(st.st_uid, ::geteuid()) << f << " still belongs to the user who planted it";
    EXPECT_EQ(st.st_mode & 07777, 0600u) << f;
  }
  EXPECT_EQ(read_text(s.stack + "/same.env"), "SAME=1\n");
  EXPECT_EQ(read_text(s.stack + "/changed.env"), "CHANGED=new\n");
  // Ours now: the next run leaves both alone.
  auto again = s.decrypt_stack();
  EXPECT_NE(again.err.find("same.env: unchanged"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("changed.env: unchanged"), std::string::npos) << again.err;
}

}  // namespace
}  // namespace varan::test
