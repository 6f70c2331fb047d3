// .dockerignore matching: moby's rules case by case, then side by side with docker-py's
// PatternMatcher (Debian's python3-docker, which docker-compose 1.29 packs contexts with) on a
// tree and a set of .dockerignore files: the same files must be sent.
#include "engine/dockerignore.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "common/error.h"
#include "tests/support/support.h"

namespace varan::engine {
namespace {

namespace fs = std::filesystem;

bool ex(const std::string& ignore, const std::string& path) {
  return IgnoreMatcher::parse(ignore).excluded(path);
}

TEST(DockerIgnore, PatternsAsMobyReadsThem) {
  EXPECT_TRUE(ex("*.go", "a.go"));
  EXPECT_FALSE(ex("*.go", "dir/a.go"));  // `*` stays in one segment, at the root
  EXPECT_TRUE(ex("**/*.go", "a.go"));
  EXPECT_TRUE(ex("**/*.go", "a/b/c.go"));
  EXPECT_TRUE(ex("dir", "dir/sub/file"));  // a parent folder matches
  EXPECT_FALSE(ex("dir", "dirt"));
  EXPECT_TRUE(ex("dir/**", "dir/x/y"));
  EXPECT_TRUE(ex("/abs", "abs"));          // a leading / is the context's root
  EXPECT_TRUE(ex("./x/../y//z/", "y/z"));  // cleaned
  EXPECT_TRUE(ex("a?c", "abc"));
  EXPECT_FALSE(ex("a?c", "a/c"));
  EXPECT_TRUE(ex("[a-c].txt", "b.txt"));
  EXPECT_FALSE(ex("[^a].txt", "a.txt"));
  EXPECT_TRUE(ex("[^a].txt", "z.txt"));
  EXPECT_TRUE(ex("\\*", "*"));
  EXPECT_TRUE(ex("weird\\[1\\].txt", "weird[1].txt"));  // moby escapes; docker-py does not
  EXPECT_FALSE(ex("\\*", "x"));
  EXPECT_TRUE(ex("a**b", "ab"));  // `**` is `(.*/)?` inside a pattern, as moby's regexp has it
  EXPECT_TRUE(ex("a**b", "a/x/b"));
  EXPECT_FALSE(ex("a**b", "axb"));
  // Comments only at the very start of a line; spaces around a pattern go.
  EXPECT_FALSE(ex("# secret\n", "# secret"));
  EXPECT_TRUE(ex(" # kept \n", "# kept"));
  EXPECT_TRUE(ex("  spaced.txt\t\r\n", "spaced.txt"));
  // The last pattern that matches decides; an exception brings a file back.
  IgnoreMatcher m = IgnoreMatcher::parse("logs\n!logs/keep.log\n*.md\n!README.md\n");
  EXPECT_TRUE(m.excluded("logs/a.log"));
  EXPECT_FALSE(m.excluded("logs/keep.log"));
  EXPECT_TRUE(m.excluded("NOTES.md"));
  EXPECT_FALSE(m.excluded("README.md"));
  EXPECT_FALSE(m.excluded("src/main.c"));
  EXPECT_TRUE(m.look_inside("logs"));
  EXPECT_FALSE(m.look_inside("src"));
  EXPECT_FALSE(IgnoreMatcher::parse("big\n!**/keep\n").look_inside("big"));
}

TEST(DockerIgnore, BadPatternsNameTheLine) {
  try {
    IgnoreMatcher::parse("ok\n!\n", "ctx/.dockerignore");
    FAIL() << "a lone ! was accepted";
  } catch (const varan::Error& e) {
    EXPECT_NE(std::string(e.what()).find("ctx/.dockerignore:2: illegal exclusion pattern"),
              std::string::npos)
        << e.what();
  }
  try {
    IgnoreMatcher::parse("a\nb\n[abc\n");
    FAIL() << "an unclosed [ was accepted";
  } catch (const varan::Error& e) {
    EXPECT_NE(std::string(e.what()).find(".dockerignore:3: syntax error in pattern"),
              std::string::npos)
        << e.what();
  }
}

TEST(DockerIgnore, TheDockerfileAndTheIgnoreFileAreAlwaysSent) {
  IgnoreMatcher m = IgnoreMatcher::parse("*\n");
  m.keep_build_files("docker/Dockerfile.prod");
  EXPECT_FALSE(m.excluded("docker/Dockerfile.prod"));
  EXPECT_FALSE(m.excluded(".dockerignore"));
  EXPECT_TRUE(m.excluded("docker/other"));
  IgnoreMatcher none = IgnoreMatcher::parse("*.txt\n");
  none.keep_build_files("Dockerfile");
  EXPECT_EQ(none.size(), 1u);  // nothing excluded them: nothing added
}

TEST(DockerIgnore, HostileInputEndsQuickly) {
  // Many stars against a long path: a backtracking matcher takes exponential time here.
  std::string pattern;
  for (int i = 0; i < 200; ++i)
    pattern += "*a";
  std::string path(4000, 'a');
  path += "b";
  EXPECT_FALSE(ex(pattern + "\n", path));
  EXPECT_FALSE(ex("**/**/**/**/**/**/**/**/x\n", std::string(2000, '/') + "y"));
  EXPECT_THROW(ex("a\n", std::string(5000, 'a')), varan::Error);
  EXPECT_THROW(IgnoreMatcher::parse(std::string(5000, 'p')), varan::Error);
  EXPECT_EQ(clean_path(""), ".");
  EXPECT_EQ(clean_path("a/../../b"), "../b");
  EXPECT_EQ(clean_path("/../a/"), "/a");
}

// docker-py's exclude_paths over the same tree: it adds "!Dockerfile" itself, so we do too.
std::set<std::string> ours(const std::string& root, const std::string& ignore) {
  IgnoreMatcher m = IgnoreMatcher::parse(ignore);
  m.add("!Dockerfile");
  std::set<std::string> sent;
  std::vector<std::string> dirs{""};
  while (!dirs.empty()) {
    std::string dir = dirs.back();
    dirs.pop_back();
    for (const auto& e : fs::directory_iterator(root + "/" + dir)) {
      std::string rel = (dir.empty() ? "" : dir + "/") + e.path().filename().string();
      bool out = m.excluded(rel);
      if (e.is_directory()) {
        if (!out || m.look_inside(rel)) dirs.push_back(rel);
      } else if (!out) {
        sent.insert(rel);
      }
    }
  }
  return sent;
}

TEST(DockerIgnore, SendsWhatDockerPySends) {
  VARAN_REQUIRE(test::file_exists("/usr/lib/python3/dist-packages/docker/utils/build.py"),
                "Debian's python3-docker (docker-compose's dependency; scripts/setup.sh)");
  test::TempDir d;
  std::string root = d / "ctx";
  for (const char* f : {"Dockerfile",     "README.md",       "NOTES.md",
                        "a.go",           "b.txt",           "src/main.go",
                        "src/lib/x.go",   "src/lib/y.txt",   "logs/a.log",
                        "logs/keep.log",  "logs/deep/b.log", "node_modules/m/i.js",
                        "docs/img/p.png", "docs/keep/k.md",  "x/y/z/file",
                        "weird[1].txt",   "sp ace.txt",      ".git/config",
                        ".env",           "build/out.bin"}) {
    fs::create_directories(fs::path(root + "/" + f).parent_path());
    test::write_text(root + "/" + f, "x");
  }
  const std::vector<std::string> ignores = {
      "",
      "*\n!src\n",
      "**/*.go\n",
      "*.md\n!README.md\n",
      "logs\n!logs/keep.log\n",
      "node_modules\n.git\n.env\nbuild/\n",
      "docs/**\n!docs/keep/**\n",
      "**/lib\n",
      "src/*/x.go\n",
      "x/**/file\n",
      // `weird\[1\].txt` is left out: moby (the docker CLI, compose v2) reads `\` as an
      // escape and excludes weird[1].txt; docker-py's fnmatch does not (a difference of theirs).
      "weird[1].txt\nsp?ace.txt\n",
      "*\n!**/*.txt\n",
      "/src/lib\n!/src/lib/y.txt\n",
      "[a-b].*\n",
      "**\n!Dockerfile\n!README.md\n",
      " # not a comment\n# a comment\n  *.log  \n**/*.log\n",
  };
  for (const auto& ignore : ignores) {
    std::string script =
        "import sys\nfrom docker.utils.build import exclude_paths\nimport os\n"
        "root = sys.argv[1]\npats = [l for l in open(sys.argv[2]).read().split('\\n')]\n"
        // docker-py reads the file as docker-compose does: its own comment and blank rules.
        "pats = [p.strip() for p in pats if p.strip() and not p.startswith('#')]\n"
        "for p in sorted(exclude_paths(root, pats)):\n"
        "  if os.path.isfile(os.path.join(root, p)): print(p)\n";
    test::write_text(d / "ignore", ignore);
    test::RunResult r = test::run({"/usr/bin/python3", "-c", script, root, d / "ignore"});
    ASSERT_EQ(r.status, 0) << r.err;
    std::set<std::string> theirs;
    std::istringstream lines(r.out);
    for (std::string l; std::getline(lines, l);)
      theirs.insert(l);
    EXPECT_EQ(ours(root, ignore), theirs) << "for .dockerignore:\n" << ignore;
    EXPECT_FALSE(theirs.empty());
  }
}

}  // namespace
}  // namespace varan::engine
