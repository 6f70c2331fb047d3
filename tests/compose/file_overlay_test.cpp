// LoadOptions::file_overlay: env files given in memory (as a pre_deploy step decrypts them)
// are read instead of the disk, for the project .env and for a service's env_file, and only by
// the load they are given to.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include "engine/compose/load.h"
#include "tests/support/support.h"

namespace varan::compose {
namespace {

using test::TempDir;

class FileOverlay : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_path_ = std::filesystem::canonical(dir_.path()).string();
    test::write_text(dir_path_ + "/compose.yaml",
                     "services:\n"
                     "  web:\n"
                     "    image: nginx:${TAG:-latest}\n"
                     "    env_file: app.env\n");
  }
  LoadOptions options(const std::map<std::string, std::string>* overlay) {
    LoadOptions o;
    o.cwd = dir_path_;
    o.project_name = "t";
    o.inherit_environment = false;
    o.file_overlay = overlay;
    return o;
  }
  TempDir dir_;
  std::string dir_path_;
};

TEST_F(FileOverlay, OverlaidFilesAreReadInsteadOfTheDisk) {
  test::write_text(dir_path_ + "/.env", "TAG=disk\n");
  std::map<std::string, std::string> overlay = {{dir_path_ + "/.env", "TAG=memory\n"},
                                                {dir_path_ + "/app.env", "SECRET=s3cr3t\n"}};
  Project p = load_project(options(&overlay));
  ASSERT_EQ(p.services.size(), 1u);
  EXPECT_EQ(p.services[0].image, "nginx:memory");
  EXPECT_EQ(p.services[0].config["environment"]["SECRET"], "s3cr3t");
}

TEST_F(FileOverlay, OnlyTheLoadItIsGivenToSeesIt) {
  std::map<std::string, std::string> overlay = {{dir_path_ + "/app.env", "SECRET=s3cr3t\n"}};
  EXPECT_NO_THROW(load_project(options(&overlay)));
  // The same thread, no overlay: app.env is neither on disk nor remembered from before.
  try {
    load_project(options(nullptr));
    ADD_FAILURE() << "expected a missing env_file error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("app.env not found"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace varan::compose
