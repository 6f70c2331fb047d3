// `include:` as compose-go has it: each entry a project of its own (its folder for relative
// paths, its .env or env_file for interpolation, the including project's environment
// winning), its resources imported, conflicts and cycles refused with compose's words.
#include <gtest/gtest.h>

#include "tests/compose/load_fixture.h"

namespace varan::compose {
namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class Include : public Load {
 protected:
  void SetUp() override {
    write("sub/compose.yaml",
          "name: ignored\nservices:\n  db:\n    image: db:${DB_TAG}\n    env_file: ./db.env\n"
          "    volumes: [./data:/data]\nvolumes:\n  cache: {}\n");
    write("sub/db.env", "PASSWORD=${DB_PASSWORD:-pw}\n");
    write("sub/.env", "DB_TAG=from-sub-env\n");
  }
};

TEST_F(Include, ShortFormImportsAProjectWithItsOwnFolderAndEnv) {
  auto p = load(
      "include:\n  - sub/compose.yaml\nservices:\n  web:\n    image: web\n"
      "    depends_on: [db]\n");
  const Json& db = svc(p, "db");
  EXPECT_EQ(db["image"], "db:from-sub-env");
  EXPECT_EQ(db["volumes"][0]["source"], dir_ / "sub/data");
  EXPECT_EQ(db["environment"]["PASSWORD"], "pw");
  EXPECT_NE(p.volume("cache"), nullptr);
  EXPECT_EQ(p.name, "t");  // an included file's name: does not name the project
  EXPECT_EQ(svc(p, "web")["depends_on"].size(), 1u);
}

TEST_F(Include, TheIncludingEnvironmentWinsOverTheIncludedEnvFile) {
  LoadOptions o;
  o.project_name = "t";
  o.environment = {{"DB_TAG", "from-parent"}};
  auto p = load("include: [sub/compose.yaml]\nservices: {}\n", o);
  EXPECT_EQ(svc(p, "db")["image"], "db:from-parent");
}

TEST_F(Include, LongFormWithOverridesProjectDirectoryAndEnvFiles) {
  write("sub/override.yaml", "services:\n  db:\n    image: db:override-${EXTRA}\n");
  write("env/extra.env", "EXTRA=x1\nDB_TAG=t1\n");
  write("elsewhere/db.env", "PASSWORD=elsewhere\n");
  auto p = load(
      "include:\n  - path: [sub/compose.yaml, sub/override.yaml]\n"
      "    project_directory: elsewhere\n    env_file: [env/extra.env]\nservices: {}\n");
  const Json& db = svc(p, "db");
  EXPECT_EQ(db["image"], "db:override-x1");
  // Relative paths of the included files are taken in its project_directory.
  EXPECT_EQ(db["volumes"][0]["source"], dir_ / "elsewhere/data");
  EXPECT_EQ(db["environment"]["PASSWORD"], "elsewhere");
  // env_file given: the included folder's .env (DB_TAG=from-sub-env) is not read.
  p = load(
      "include:\n  - path: sub/compose.yaml\n    env_file: env/extra.env\n"
      "    project_directory: sub\nservices: {}\n");
  EXPECT_EQ(svc(p, "db")["image"], "db:t1");
}

TEST_F(Include, ConflictsAndCyclesAreRefusedWithComposesWords) {
  std::string m = error("include: [sub/compose.yaml]\nservices:\n  db:\n    image: other\n");
  EXPECT_TRUE(has(m, "services.db conflicts with imported resource")) << m;
  EXPECT_TRUE(has(m, "compose.yaml:")) << m;
  // The same definition on both sides is no conflict (compose-go compares them).
  write("same.yaml", "services:\n  s:\n    image: same\n");
  EXPECT_EQ(svc(load("include: [same.yaml]\nservices:\n  s:\n    image: same\n"), "s")["image"],
            "same");
  write("a.yaml", "include: [b.yaml]\nservices:\n  a:\n    image: a\n");
  write("b.yaml", "include: [a.yaml]\nservices:\n  b:\n    image: b\n");
  m = error("include: [a.yaml]\nservices: {}\n");
  EXPECT_TRUE(has(m, "include cycle detected:\n" + (dir_ / "compose.yaml") + "\n include " +
                         (dir_ / "a.yaml") + "\n include " + (dir_ / "b.yaml") + "\n include " +
                         (dir_ / "a.yaml")))
      << m;
  m = error("include: [missing.yaml]\nservices: {}\n");
  EXPECT_TRUE(has(m, "compose.yaml:1: include: " + (dir_ / "missing.yaml") + " not found")) << m;
  m = error("include:\n  - path: sub/compose.yaml\n    wat: 1\nservices: {}\n");
  EXPECT_TRUE(has(m, "include: unknown key \"wat\"")) << m;
}

TEST_F(Include, NestedIncludesResolveInTheirOwnFolder) {
  write("sub/inner/compose.yaml",
        "services:\n  inner:\n    image: inner\n"
        "    volumes: [./x:/x]\n");
  write("sub/compose.yaml", "include: [inner/compose.yaml]\nservices:\n  db:\n    image: db\n");
  auto p = load("include: [sub/compose.yaml]\nservices: {}\n");
  EXPECT_EQ(svc(p, "inner")["volumes"][0]["source"], dir_ / "sub/inner/x");
  EXPECT_EQ(p.services.size(), 2u);
}

}  // namespace
}  // namespace varan::compose

namespace varan::compose {
namespace {

// A file included many times by a file included many times multiplies: the loader stops at
// kMaxIncludedFiles instead of loading 100 x 100 files.
TEST_F(Include, ManyIncludesOfIncludesStopAtTheLimit) {
  write("leaf.yaml", "services:\n  leaf:\n    image: leaf\n");
  std::string mid = "include:\n";
  for (int i = 0; i < 100; ++i)
    mid += "  - leaf.yaml\n";
  write("mid.yaml", mid + "services: {}\n");
  std::string top = "include:\n";
  for (int i = 0; i < 100; ++i)
    top += "  - mid.yaml\n";
  std::string m = error(top + "services: {}\n");
  EXPECT_TRUE(has(m, "files included in all, the loader's limit")) << m;
  EXPECT_EQ(svc(load("include: [mid.yaml]\nservices: {}\n"), "leaf")["image"], "leaf");
}

}  // namespace
}  // namespace varan::compose
