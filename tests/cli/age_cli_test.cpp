// `varan age` as a user runs it: flags, standard streams, files, exit status, one-line
// errors, and no partial output file on failure.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "tests/support/support.h"

namespace varan::test {
namespace {

RunResult varan(std::vector<std::string> args, const RunOptions& opts = {}) {
  args.insert(args.begin(), {VARAN_BIN, "age"});
  return run(args, opts);
}

void expect_one_line_error(const RunResult& r, const std::string& needle) {
  EXPECT_NE(r.status, 0);
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "more than one line: " << r.err;
  EXPECT_TRUE(r.err.starts_with("varan age: error: ")) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

struct Key {
  std::string file, recipient;
};

Key keygen(const TempDir& dir, const std::string& name) {
  Key k{dir / name, ""};
  auto r = varan({"keygen", "-o", k.file});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.err.starts_with("Public key: age1")) << r.err;
  k.recipient = r.err.substr(12, r.err.size() - 13);
  return k;
}

TEST(AgeCli, StdinToStdoutRoundTrip) {
  TempDir dir;
  auto k = keygen(dir, "key.txt");
  auto enc = varan({"-r", k.recipient}, {.input = "hello\n"});
  ASSERT_EQ(enc.status, 0) << enc.err;
  EXPECT_TRUE(enc.out.starts_with("age-encryption.org/v1\n"));
  auto dec = varan({"-d", "-i", k.file}, {.input = enc.out});
  ASSERT_EQ(dec.status, 0) << dec.err;
  EXPECT_EQ(dec.out, "hello\n");
  EXPECT_EQ(dec.err, "");
}

TEST(AgeCli, ArmoredFilesAndEncryptToIdentity) {
  TempDir dir;
  auto k = keygen(dir, "key.txt");
  write_text(dir / "plain", "some data");
  auto enc = varan({"-e", "-i", k.file, "-a", "-o", dir / "out.age", dir / "plain"});
  ASSERT_EQ(enc.status, 0) << enc.err;
  EXPECT_TRUE(read_text(dir / "out.age").starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"));
  auto dec = varan({"--decrypt", "--identity", k.file, "--output", dir / "back", dir / "out.age"});
  ASSERT_EQ(dec.status, 0) << dec.err;
  EXPECT_EQ(read_text(dir / "back"), "some data");
  struct stat st {};
  ASSERT_EQ(::stat((dir / "back").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(AgeCli, FailedDecryptLeavesNoOutputAndKeepsAnExistingOne) {
  TempDir dir;
  auto k = keygen(dir, "key.txt"), other = keygen(dir, "other.txt");
  std::string plain = pattern_bytes(200000);
  auto enc = varan({"-r", k.recipient, "-o", dir / "f.age"}, {.input = plain});
  ASSERT_EQ(enc.status, 0);
  std::string file = read_text(dir / "f.age");

  // Wrong key: nothing written.
  auto r = varan({"-d", "-i", other.file, "-o", dir / "new.txt", dir / "f.age"});
  expect_one_line_error(r, "matched");
  EXPECT_FALSE(file_exists(dir / "new.txt"));

  // Tampered last chunk: the first chunks decrypt, but the output file never appears, and an
  // existing one stays byte for byte.
  std::string tampered = file;
  tampered[tampered.size() - 20] ^= 0x40;
  write_text(dir / "t.age", tampered);
  write_text(dir / "existing.txt", "previous contents\n");
  r = varan({"-d", "-i", k.file, "-o", dir / "existing.txt", dir / "t.age"});
  expect_one_line_error(r, "payload");
  EXPECT_EQ(read_text(dir / "existing.txt"), "previous contents\n");

  // Truncated.
  write_text(dir / "short.age", file.substr(0, file.size() - 70000));
  r = varan({"-d", "-i", k.file, "-o", dir / "short.txt", dir / "short.age"});
  expect_one_line_error(r, "payload");
  EXPECT_FALSE(file_exists(dir / "short.txt"));

  // Only the target itself was ever created in the folder: no temporary files left.
  for (auto& e : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

TEST(AgeCli, UsageErrorsAreOneClearLine) {
  TempDir dir;
  auto k = keygen(dir, "key.txt");
  expect_one_line_error(varan({}, {.input = "x"}), "missing recipients");
  expect_one_line_error(varan({"-d", "-a", "-i", k.file}),
                        "armored files are detected automatically");
  expect_one_line_error(varan({"-d", "-r", k.recipient}), "-i/--identity");
  expect_one_line_error(varan({"-i", k.file}, {.input = "x"}), "-e/--encrypt");
  expect_one_line_error(varan({"-r", "age1bogus"}, {.input = "x"}), "age1bogus");
  expect_one_line_error(varan({"-r", k.recipient, "/nonexistent/in"}), "/nonexistent/in");
  expect_one_line_error(varan({"-d", "-i", dir / "missing-key"}, {.input = "x"}), "missing-key");
  expect_one_line_error(varan({"-d", "-i", k.file}, {.input = "not an age file"}), "header");
  write_text(dir / "f", "x");
  expect_one_line_error(varan({"-r", k.recipient, "-o", dir / "f", dir / "f"}), "same");
  expect_one_line_error(varan({"-d", "-i", "-"}, {.input = read_text(k.file)}), "standard input");
}

TEST(AgeCli, KeygenNeverOverwritesAndConverts) {
  TempDir dir;
  auto k = keygen(dir, "key.txt");
  std::string before = read_text(k.file);
  auto again = varan({"keygen", "-o", k.file});
  EXPECT_NE(again.status, 0);
  EXPECT_EQ(read_text(k.file), before);
  struct stat st {};
  ASSERT_EQ(::stat(k.file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto y = varan({"keygen", "-y", k.file});
  ASSERT_EQ(y.status, 0) << y.err;
  EXPECT_EQ(y.out, k.recipient + "\n");
  // To standard output (not a terminal): the key on stdout, the public key on stderr.
  auto out = varan({"keygen"});
  ASSERT_EQ(out.status, 0);
  EXPECT_NE(out.out.find("AGE-SECRET-KEY-1"), std::string::npos);
  EXPECT_TRUE(out.err.starts_with("Public key: age1"));
}

TEST(AgeCli, BatchpassPassphraseFromTheEnvironment) {
  TempDir dir;
  RunOptions env{.input = "by passphrase",
                 .env = {{"AGE_PASSPHRASE", "hunter2"}, {"AGE_PASSPHRASE_WORK_FACTOR", "10"}}};
  auto enc = varan({"-j", "batchpass", "-o", dir / "p.age"}, env);
  ASSERT_EQ(enc.status, 0) << enc.err;
  EXPECT_NE(read_text(dir / "p.age").find("\n-> scrypt "), std::string::npos);
  auto dec =
      varan({"-d", "-j", "batchpass", dir / "p.age"}, {.env = {{"AGE_PASSPHRASE", "hunter2"}}});
  ASSERT_EQ(dec.status, 0) << dec.err;
  EXPECT_EQ(dec.out, "by passphrase");
  auto wrong =
      varan({"-d", "-j", "batchpass", dir / "p.age"}, {.env = {{"AGE_PASSPHRASE", "hunter3"}}});
  expect_one_line_error(wrong, "incorrect passphrase");
  EXPECT_EQ(wrong.err.find("hunter"), std::string::npos);
  // A passphrase file given with -i is named as the mistake it is.
  auto k = keygen(dir, "key.txt");
  expect_one_line_error(varan({"-d", "-i", k.file, dir / "p.age"}), "passphrase-encrypted");
}

TEST(AgeCli, MemoryStaysConstantFor1GiB) {
#ifdef VARAN_SANITIZED
  GTEST_SKIP() << "peak memory is measured in the release build, not under the sanitizers";
#endif
  TempDir dir;
  auto k = keygen(dir, "key.txt");
  std::string big = dir / "zeros.bin";
  {
    int fd = ::open(big.c_str(), O_WRONLY | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, 1l << 30), 0);  // sparse: 1 GiB of zeros without the disk
    ::close(fd);
  }
  auto enc = varan({"-r", k.recipient, "-o", dir / "big.age", big});
  ASSERT_EQ(enc.status, 0) << enc.err;
  EXPECT_LT(enc.max_rss_kib, 16 * 1024)
      << "encrypting 1 GiB peaked at " << enc.max_rss_kib << " KiB";
  ::unlink(big.c_str());
  auto dec = varan({"-d", "-i", k.file, "-o", "/dev/null", dir / "big.age"});
  ASSERT_EQ(dec.status, 0) << dec.err;
  EXPECT_LT(dec.max_rss_kib, 16 * 1024)
      << "decrypting 1 GiB peaked at " << dec.max_rss_kib << " KiB";
  auto armored = varan({"-r", k.recipient, "-a", "-o", "/dev/null", dir / "big.age"});
  ASSERT_EQ(armored.status, 0) << armored.err;
  EXPECT_LT(armored.max_rss_kib, 16 * 1024)
      << "armoring 1 GiB peaked at " << armored.max_rss_kib << " KiB";
}

}  // namespace
}  // namespace varan::test
