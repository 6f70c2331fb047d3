// git/ on its own, against a real smart-HTTP server (nginx + git-http-backend, token auth):
// clone and pull (local edits discarded, untracked files kept, orphan branches followed,
// pins honoured), trust of folders owned by another user, a reclone beside the folder that
// swaps in only when ready, and credentials that reach neither disk nor errors. No engine.
#include "git/repo.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "tests/support/git_server.h"

namespace varan::test {
namespace {

namespace fs = std::filesystem;
using namespace varan::git;

const std::string kToken = "tok-5c71e0a9d3b24f68";

class Repo : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<GitServer>("token", kToken);
    VARAN_REQUIRE(server_->problem().empty(), server_->problem());
    work_ = tmp_ / "work";
    server_->create_repo("stacks", work_);
    fs::create_directories(work_ + "/app");
    write_text(work_ + "/app/compose.yaml", "services: {}\n");
    write_text(work_ + "/README.md", "stacks\n");
    head_ = server_->commit(work_, "initial");
    spec_ = {server_->url("stacks"), "main", "", "", SecretString(kToken), ""};
  }

  std::unique_ptr<GitServer> server_;
  TempDir tmp_;
  std::string work_, head_;
  RepoSpec spec_;
};

TEST_F(Repo, PullDiscardsEditsKeepsUntrackedFollowsOrphanBranchesAndPins) {
  std::string dir = tmp_ / "clone";
  RepoSpec spec = spec_;
  SyncResult first = sync_repo(spec, dir, {dir, {}});
  EXPECT_TRUE(first.cloned);
  write_text(dir + "/README.md", "local edit\n");
  write_text(dir + "/app/.env", "KEEP=1\n");
  write_text(work_ + "/README.md", "remote edit\n");
  std::string second = server_->commit(work_, "second");
  SyncResult r = sync_repo(spec, dir, {dir, {}});
  EXPECT_FALSE(r.cloned);
  EXPECT_EQ(r.before.hash, head_);
  EXPECT_EQ(r.after.hash, second);
  EXPECT_EQ(r.after.message, "second");
  EXPECT_EQ(read_text(dir + "/README.md"), "remote edit\n");
  EXPECT_EQ(read_text(dir + "/app/.env"), "KEEP=1\n");
  // An orphan branch with other files, then back to main.
  git(work_, {"checkout", "-q", "--orphan", "svc-only"});
  git(work_, {"rm", "-rq", "--cached", "."});
  fs::remove_all(work_ + "/app");
  write_text(work_ + "/only.yaml", "services: {}\n");
  std::string orphan = server_->commit(work_, "orphan root", "svc-only");
  spec.branch = "svc-only";
  r = sync_repo(spec, dir, {dir, {}});
  EXPECT_EQ(r.after.hash, orphan);
  EXPECT_TRUE(file_exists(dir + "/only.yaml"));
  EXPECT_FALSE(file_exists(dir + "/app/compose.yaml"));
  spec.branch = "main";
  spec.commit = head_;  // pinned to the first commit
  r = sync_repo(spec, dir, {dir, {}});
  EXPECT_EQ(r.after.hash, head_);
  EXPECT_EQ(read_text(dir + "/README.md"), "stacks\n");
  spec.commit = "0123456789abcdef0123456789abcdef01234567";
  EXPECT_THROW(sync_repo(spec, dir, {dir, {}}), git::Error);
}

TEST_F(Repo, AFolderOwnedByAnotherUserOpensOnlyWhenTrusted) {
  VARAN_REQUIRE(::geteuid() == 0, "root, to chown the checkout to another user");
  std::string dir = tmp_ / "elsewhere";
  ASSERT_EQ(sync_repo(spec_, dir, {}).after.hash, head_);
  for (const auto& e : fs::recursive_directory_iterator(dir))
    ::lchown(e.path().c_str(), 4242, 4242);
  ::chown(dir.c_str(), 4242, 4242);
  try {
    sync_repo(spec_, dir, {});
    FAIL() << "an untrusted repo was opened";
  } catch (const git::Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("owned by uid 4242"), std::string::npos) << m;
    EXPECT_NE(m.find("safe_directories"), std::string::npos) << m;
    EXPECT_EQ(m.find("not a git repository"), std::string::npos) << m;
  }
  EXPECT_THROW(head_commit(dir, {}), git::Error);
  write_text(work_ + "/app/x.txt", "x\n");
  std::string next = server_->commit(work_, "next");
  EXPECT_EQ(sync_repo(spec_, dir, {"", {dir}}).after.hash, next);
  EXPECT_EQ(sync_repo(spec_, dir, {"", {"*"}}).after.hash, next);
  EXPECT_EQ(sync_repo(spec_, dir, {tmp_.path(), {}}).after.hash, next);   // under the root
  EXPECT_EQ(sync_repo(spec_, dir, {"", {tmp_ / "*"}}).after.hash, next);  // a DIR/* prefix
  EXPECT_EQ(head_commit(dir, {"", {dir}}).hash, next);
}

// Komodo's reclone: the fresh clone is made beside the folder and swapped in whole; until
// then the old folder (and its untracked .env) is untouched, and a failed clone leaves
// nothing behind.
TEST_F(Repo, ARecloneIsMadeBesideAndSwappedInWhole) {
  std::string dir = tmp_ / "stack";
  sync_repo(spec_, dir, {dir, {}});
  write_text(dir + "/app/.env", "OLD=1\n");
  write_text(work_ + "/README.md", "newer\n");
  std::string next = server_->commit(work_, "newer");
  SyncResult result;
  std::string fresh = clone_beside(spec_, dir, {tmp_.path(), {}}, result);
  EXPECT_EQ(fs::path(fresh).parent_path(), fs::path(dir).parent_path());
  EXPECT_EQ(result.after.hash, next);
  EXPECT_EQ(read_text(dir + "/app/.env"), "OLD=1\n");
  EXPECT_EQ(head_commit(dir, {tmp_.path(), {}}).hash, head_);
  exchange_folders(dir, fresh);
  EXPECT_EQ(head_commit(dir, {tmp_.path(), {}}).hash, next);
  EXPECT_FALSE(file_exists(dir + "/app/.env"));
  EXPECT_EQ(read_text(fresh + "/app/.env"), "OLD=1\n");  // the old folder, swapped aside
  // A clone that fails (no such repo) leaves no folder beside `dir`.
  auto entries = [&] {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(tmp_.path()))
      names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  };
  auto before = entries();
  RepoSpec missing = spec_;
  missing.url = server_->url("missing");
  SyncResult ignored;
  EXPECT_THROW(clone_beside(missing, dir, {tmp_.path(), {}}, ignored), git::Error);
  EXPECT_EQ(entries(), before);
  EXPECT_THROW(exchange_folders(dir, tmp_ / "nowhere"), git::Error);
}

TEST_F(Repo, TheTokenReachesNeitherDiskNorErrors) {
  std::string dir = tmp_ / "clone";
  sync_repo(spec_, dir, {dir, {}});
  EXPECT_EQ(read_text(dir + "/.git/config").find(kToken), std::string::npos);
  EXPECT_EQ(read_text(dir + "/.git/config").find("@127.0.0.1"), std::string::npos);
  RepoSpec wrong = spec_;
  wrong.token = SecretString("wrong-token-8086");
  try {
    sync_repo(wrong, tmp_ / "other", {tmp_.path(), {}});
    FAIL() << "a wrong token was accepted";
  } catch (const git::Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("refused the credentials"), std::string::npos) << m;
    EXPECT_NE(m.find(server_->url("stacks")), std::string::npos) << m;
    EXPECT_EQ(m.find("wrong-token-8086"), std::string::npos) << m;
  }
  EXPECT_FALSE(file_exists(tmp_ / "other/.git/config"));
}

}  // namespace
}  // namespace varan::test
