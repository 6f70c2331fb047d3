#include "common/io.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "common/error.h"
#include "tests/support/support.h"

namespace varan {
namespace {

TEST(BufferedReader, ReadsLinesAndLooksAhead) {
  MemorySource src("first\nsecond\nno newline");
  BufferedReader r(src, 4);  // tiny buffer: lines span refills
  EXPECT_EQ(*r.read_line(100), "first\n");
  EXPECT_GE(r.fill(3), 3u);
  EXPECT_EQ(as_string(r.available().first(3)), "sec");
  EXPECT_EQ(*r.read_line(100), "second\n");
  EXPECT_EQ(*r.read_line(4), "no n");  // truncated at max, no '\n'
  EXPECT_EQ(*r.read_line(100), "ewline");
  EXPECT_FALSE(r.read_line(100));
  EXPECT_TRUE(r.at_end());
}

TEST(BufferedReader, LargeReadsBypassTheBuffer) {
  std::string data = test::pattern_bytes(1 << 20);
  MemorySource src(data);
  BufferedReader r(src, 1024);
  std::string out(data.size(), '\0');
  EXPECT_EQ(r.read(reinterpret_cast<std::uint8_t*>(out.data()), out.size()), data.size());
  EXPECT_EQ(out, data);
}

TEST(AtomicFile, ReplacesOnlyOnCommitWithMode0600) {
  test::TempDir dir;
  std::string target = dir / "target.env";
  test::write_text(target, "OLD=1\n", 0644);
  {
    AtomicFile f(target);
    f.write(std::string_view("NEW=2\n"));
    // Not committed: the target is untouched.
  }
  EXPECT_EQ(test::read_text(target), "OLD=1\n");
  {
    AtomicFile f(target);
    f.write(std::string_view("NEW=2\n"));
    f.commit();
  }
  EXPECT_EQ(test::read_text(target), "NEW=2\n");
  struct stat st {};
  ASSERT_EQ(::stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // No temporary file is left next to the target.
  int entries = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir.path()))
    ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(AtomicFile, ErrorsNameTheFile) {
  try {
    AtomicFile f("/nonexistent-dir/x");
    FAIL() << "expected an error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x"), std::string::npos) << e.what();
  }
}

TEST(ReadFile, NamesMissingFile) {
  try {
    read_file("/nonexistent/file.txt");
    FAIL() << "expected an error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/file.txt"), std::string::npos);
    EXPECT_EQ(e.code(), ENOENT);
  }
}

}  // namespace
}  // namespace varan
