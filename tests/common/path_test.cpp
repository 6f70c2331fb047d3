// Paths kept beneath their folder (resolve_beneath, open_beneath: `..`, absolute paths and
// symlinks inside and outside) and the JSON depth scan every JSON reader runs first.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/nesting.h"
#include "common/path.h"
#include "tests/support/support.h"

namespace varan::test {
namespace {

namespace fs = std::filesystem;

class Beneath : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::canonical(dir_.path()).string() + "/base";
    fs::create_directories(base_ + "/app/sub");
    write_text(base_ + "/app/compose.yaml", "services: {}\n");
    write_text(dir_ / "outside.txt", "canary\n");
    fs::create_directory_symlink("app", base_ + "/inside-link");         // stays inside
    fs::create_directory_symlink("../..", base_ + "/app/up-two");        // leaves
    fs::create_symlink(dir_ / "outside.txt", base_ + "/app/abs-link");   // absolute
    fs::create_symlink("sub/../compose.yaml", base_ + "/app/rel-file");  // stays inside
    fs::create_symlink("loop-b", base_ + "/loop-a");
    fs::create_symlink("loop-a", base_ + "/loop-b");
  }
  std::string resolve(const std::string& p) { return resolve_beneath(base_, p, "file_paths"); }

  TempDir dir_;
  std::string base_;
};

TEST_F(Beneath, PathsInsideResolveToTheirRealPlace) {
  EXPECT_EQ(resolve("app/compose.yaml"), base_ + "/app/compose.yaml");
  EXPECT_EQ(resolve("./app//sub/../compose.yaml"), base_ + "/app/compose.yaml");
  EXPECT_EQ(resolve("inside-link/compose.yaml"), base_ + "/app/compose.yaml");
  EXPECT_EQ(resolve("app/rel-file"), base_ + "/app/compose.yaml");
  EXPECT_EQ(resolve(base_ + "/app/compose.yaml"), base_ + "/app/compose.yaml");
  EXPECT_EQ(resolve(""), base_);
  EXPECT_EQ(resolve("app/new/deeper/.env"), base_ + "/app/new/deeper/.env") << "to be made";
}

TEST_F(Beneath, EscapesAreRefusedNamingTheFieldAndThePath) {
  for (const std::string& p :
       std::vector<std::string>{"../outside.txt", "app/../../outside.txt",
                                "../../../../../../etc/shadow", "app/up-two/outside.txt",
                                "app/abs-link", "/etc/shadow", "loop-a", "app/missing/../.."}) {
    try {
      resolve(p);
      ADD_FAILURE() << p << " was accepted";
    } catch (const PathError& e) {
      std::string what = e.what();
      EXPECT_NE(what.find("file_paths"), std::string::npos) << what;
      EXPECT_NE(what.find(p), std::string::npos) << what;
    }
  }
  // The base itself may be reached through a symlink: it is trusted, what is under it is not.
  fs::create_directory_symlink(base_, dir_ / "base-link");
  EXPECT_EQ(resolve_beneath(dir_ / "base-link", "app", "x"), base_ + "/app");
  EXPECT_THROW(resolve_beneath(dir_ / "base-link", "../outside.txt", "x"), PathError);
}

TEST_F(Beneath, OpenBeneathReadsInsideAndNeverOutside) {
  EXPECT_EQ(as_string(read_file_beneath(base_, "inside-link/compose.yaml", "f", 1 << 20)),
            "services: {}\n");
  for (const std::string& p : std::vector<std::string>{"../outside.txt", "app/up-two/outside.txt",
                                                       "app/abs-link", dir_ / "outside.txt"})
    EXPECT_THROW(read_file_beneath(base_, p, "f", 1 << 20), PathError) << p;
  EXPECT_THROW(read_file_beneath(base_, "app/none.yaml", "f", 1 << 20), IoError);
  EXPECT_THROW(read_file_beneath(base_, "app/compose.yaml", "f", 4), PathError) << "too large";
  EXPECT_THROW(read_file_beneath(base_, "app", "f", 1 << 20), Error) << "a folder";
}

TEST(PathComponent, OnlyOneSafeComponentIsAName) {
  for (const std::string ok : {"web", "my stack", "a.b", "...", "x-1_2"})
    EXPECT_NO_THROW(check_path_component(ok, "name")) << ok;
  for (const std::string& bad :
       std::vector<std::string>{"", ".", "..", "../x", "a/b", "/etc", std::string("a\0b", 3),
                                "a\nb", std::string(300, 'a')})
    EXPECT_THROW(check_path_component(bad, "name"), PathError) << bad;
  EXPECT_TRUE(is_within("/a/b", "/a/b/c/../d"));
  EXPECT_FALSE(is_within("/a/b", "/a/bc"));
  EXPECT_FALSE(is_within("/a/b", "/a/b/../c"));
}

TEST(JsonDepth, CountsBracketsOutsideStringsInOnePass) {
  EXPECT_EQ(json_depth(R"({"a":[1,{"b":2}]})"), 3u);
  EXPECT_EQ(json_depth(R"({"a":"[[[[{{{{\"[[["})"), 1u) << "brackets in strings, escaped quote";
  EXPECT_EQ(json_depth(R"(["\\", [[]]])"), 3u) << "an escaped backslash ends the string";
  EXPECT_EQ(json_depth("42"), 0u);
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(json_depth(deep), 100000u);
  EXPECT_NO_THROW(check_json_limits(R"({"a":1})", "request", 1 << 20));
  try {
    check_json_limits(deep, "request", 1 << 20);
    ADD_FAILURE() << "100 000 levels accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("128 levels"), std::string::npos) << e.what();
  }
  EXPECT_THROW(check_json_limits(std::string(2000, ' '), "request", 1000), Error);
}

}  // namespace
}  // namespace varan::test
