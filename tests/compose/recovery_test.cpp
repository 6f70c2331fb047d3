// `varan compose up` after an up that was killed during a recreate (issue 11, item 9). A
// recreate creates the new container as `<id12>_<name>`, stops the old one, starts the new
// one, removes the old one and renames the new one: killed in between, the temporary name
// stayed for good and later runs called it up to date (Komodo looks containers up by name).
// The states are made directly through the engine client, then the real `up` runs.
#include <gtest/gtest.h>

#include <fstream>

#include "engine/compose/labels.h"
#include "tests/support/engine_support.h"

namespace varan::test {
namespace {

namespace labels = compose::labels;

class Recovery : public ::testing::Test {
 protected:
  void SetUp() override {
    VARAN_REQUIRE_ENGINE();
    ensure_test_images();
    std::string n = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    project_ = "vrt-";
    for (char c : n)
      project_ += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    down();
    std::ofstream(dir_ / "compose.yaml")
        << "services:\n  web:\n    image: varan-test/sleep\n    stop_grace_period: 1s\n";
  }
  void TearDown() override {
    if (engine_problem().empty()) down();
  }
  void down() {
    run({VARAN_BIN, "compose", "-p", project_, "down", "-v", "--remove-orphans", "-t", "0"});
  }
  RunResult up() {
    return run({VARAN_BIN, "compose", "-p", project_, "up", "-d"}, {.cwd = dir_.path()});
  }
  // name -> ID of every container of the project.
  std::map<std::string, std::string> containers() {
    std::map<std::string, std::string> out;
    for (const auto& c : engine_client().list_containers(
             true, {{"label", {std::string(labels::kProject) + "=" + project_}}}))
      out[c.name()] = c.id;
    return out;
  }
  std::string name() const { return project_ + "-web-1"; }
  std::string project_;
  TempDir dir_;
};

// Killed after the old container was removed, before the rename: only the new container is
// left, under its temporary name. It takes its proper name; nothing is recreated.
TEST_F(Recovery, ATemporaryNameAloneIsRenamed) {
  RunResult r = up();
  ASSERT_EQ(r.status, 0) << r.err;
  std::string id = engine_client().inspect_container(name()).id;
  std::string tmp = id.substr(0, 12) + "_" + name();
  engine_client().rename_container(id, tmp);

  r = up();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(containers(), (std::map<std::string, std::string>{{name(), id}})) << r.out << r.err;
  EXPECT_TRUE(engine_client().inspect_container(name()).state.running);
  // The next run has nothing to finish.
  r = run({VARAN_BIN, "compose", "-p", project_, "up", "-d", "--dry-run"}, {.cwd = dir_.path()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.find("rename web"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("keep web"), std::string::npos) << r.out;
}

// Killed after the new container was created (and started) under its temporary name, before
// the old one was removed: the old one still holds the name, so the new one goes.
TEST_F(Recovery, ATemporaryNameBesideTheProperOneIsRemoved) {
  RunResult r = up();
  ASSERT_EQ(r.status, 0) << r.err;
  auto old = engine_client().inspect_container(name());
  engine::Json body = {{"Image", "varan-test/sleep"}, {"Labels", old.labels}};
  std::string tmp = old.id.substr(0, 12) + "_" + name();
  std::string fresh = engine_client().create_container(tmp, body);
  engine_client().start_container(fresh);
  engine_client().stop_container(old.id, 0);

  r = up();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(containers(), (std::map<std::string, std::string>{{name(), old.id}})) << r.out << r.err;
  EXPECT_TRUE(engine_client().inspect_container(name()).state.running);
}

}  // namespace
}  // namespace varan::test
