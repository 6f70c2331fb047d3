// Issue 11, paths: the real agent driven with every path-taking request and stack or repo
// field set to `../` forms, absolute paths and symlinks (inside and outside). A canary tree
// outside root_directory, and another stack's folder inside it, are hashed (content, mode,
// mtime, entries) before and after: nothing there is read, written or deleted, and no answer
// carries a canary byte. Also: a reclone with an unreachable remote keeps the stack folder
// and its .env, a fresh CloneRepo keeps the old checkout until the new one is ready, and a
// request body or stack file nested 100 000 levels deep is refused naming the limit.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/compose/labels.h"
#include "hooks/stack.h"
#include "tests/support/engine_support.h"
#include "tests/support/git_server.h"
#include "tests/support/support.h"

namespace varan::test {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kCanary = "CANARY-5e1f0a";  // in every canary file
constexpr const char* kSecret = "agent-secret-77c3";

// Every entry under `root` (not following symlinks): its type, mode, mtime, and the hash of
// its content or its link target.
std::map<std::string, std::string> snapshot(const std::string& root) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(root, ec))) return out;
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::end(it); it.increment(ec)) {
    std::string p = it->path().string();
    struct stat st {};
    ::lstat(p.c_str(), &st);
    std::string v = std::to_string(st.st_mode) + " " + std::to_string(st.st_mtim.tv_sec) + "." +
                    std::to_string(st.st_mtim.tv_nsec);
    if (S_ISREG(st.st_mode)) v += " " + sha256_hex(read_text(p));
    if (S_ISLNK(st.st_mode)) v += " -> " + fs::read_symlink(p).string();
    out[p.substr(root.size())] = v;
  }
  return out;
}

class Paths : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::canonical(dir_.path()).string();
    root_ = base_ + "/root";
    canary_ = base_ + "/canary";
    // Outside the root: secrets, a compose file, an env file, a folder that looks like a clone.
    fs::create_directories(canary_ + "/sub");
    fs::create_directories(canary_ + "/victim/.git");
    write_text(canary_ + "/secret.txt", std::string(kCanary) + " secret\n", 0600);
    write_text(canary_ + "/sub/compose.yaml",
               std::string("# ") + kCanary + "\nservices:\n  x:\n    image: varan-test/sleep\n");
    write_text(canary_ + "/.env", std::string("C=") + kCanary + "\n");
    write_text(canary_ + "/victim/.git/HEAD", std::string(kCanary) + "\n");
    write_text(canary_ + "/victim/data", std::string(kCanary) + " data\n");
    // Inside the root: another stack's folder, and a stack "ok" with links in and out.
    victim_ = root_ + "/stacks/victim";
    fs::create_directories(victim_);
    write_text(victim_ + "/compose.yaml", std::string("# ") + kCanary + "\nservices: {}\n");
    write_text(victim_ + "/.env", std::string("V=") + kCanary + "\n", 0600);
    ok_ = root_ + "/stacks/ok";
    fs::create_directories(ok_ + "/app");
    write_text(ok_ + "/app/compose.yaml", "services:\n  one:\n    image: varan-test/sleep\n");
    fs::create_directory_symlink("app", ok_ + "/inside-link");
    fs::create_directory_symlink(canary_, ok_ + "/abs-out");
    fs::create_directory_symlink("../../../canary", ok_ + "/rel-out");
    fs::create_directory_symlink("../victim", ok_ + "/to-victim");
    fs::create_symlink("../../../canary/secret.txt", ok_ + "/app/secret-link");
    before_ = state();
  }

  std::map<std::string, std::string> state() {
    auto s = snapshot(canary_);
    for (auto& [k, v] : snapshot(victim_))
      s["victim:" + k] = v;
    return s;
  }

  void start(const std::string& extra = "") {
    port_ = free_port();
    write_text(dir_ / "periphery.toml",
               "port = " + std::to_string(port_) +
                   "\nbind_ip = \"127.0.0.1\"\nroot_directory = \"" + root_ +
                   "\"\npasskeys = [\"pk-1\"]\n[secrets]\nSECRET = \"" + kSecret + "\"\n" + extra);
    pid_ = spawn_background({PERIPHERY_BIN, "--config-path", dir_ / "periphery.toml"},
                            dir_ / "agent.log");
    ASSERT_TRUE(wait_for_port(port_)) << read_text(dir_ / "agent.log");
  }
  // Nothing here should deploy; if a regression does, what it made (found by its working
  // folder, inside this test's folder) goes too.
  void TearDown() override {
    if (pid_ > 0) stop_background(pid_);
    if (!engine_problem().empty()) return;
    auto& c = engine_client();
    std::set<std::string> projects;
    for (const auto& ct : c.list_containers(true, {{"label", {compose::labels::kWorkingDir}}})) {
      auto dir = ct.labels.find(compose::labels::kWorkingDir);
      if (dir == ct.labels.end() || !dir->second.starts_with(base_ + "/")) continue;
      projects.insert(ct.labels.at(compose::labels::kProject));
      c.remove_container(ct.id, true);
    }
    for (const auto& p : projects)
      for (const auto& n :
           c.list_networks({{"label", {std::string(compose::labels::kProject) + "=" + p}}}))
        c.remove_network(n.id);
  }

  struct Answer {
    int status = 0;
    std::string body;
    Json json() const { return Json::parse(body, nullptr, false); }
  };
  Answer post(const std::string& body) {
    write_text(dir_ / "req", body);
    RunResult r = run({"curl", "-sS", "-k", "-o", dir_ / "body", "-w", "%{http_code}", "-X", "POST",
                       "https://127.0.0.1:" + std::to_string(port_) + "/", "--data-binary",
                       "@" + dir_ / "req", "-H", "authorization: pk-1", "-H",
                       "content-type: application/json"});
    Answer a;
    a.status = std::atoi(r.out.c_str());
    a.body = file_exists(dir_ / "body") ? read_text(dir_ / "body") : "";
    return a;
  }
  Answer request(const std::string& type, const Json& params) {
    return post(Json{{"type", type}, {"params", params}}.dump());
  }

  // The answer is an error (a 4xx/5xx Serror, a failed Log, or an errors list), carries no
  // canary byte and no secret, and names `says`.
  void expect_refused(const Answer& a, const std::string& what, const std::string& says) {
    SCOPED_TRACE(what);
    EXPECT_EQ(a.body.find(kCanary), std::string::npos) << a.body;
    EXPECT_EQ(a.body.find(kSecret), std::string::npos) << a.body;
    EXPECT_NE(a.body.find(says), std::string::npos) << a.body;
    Json j = a.json();
    bool error = a.status >= 400;
    if (a.status == 200 && j.is_object()) {
      if (j.contains("deployed")) error = !j["deployed"].get<bool>();
      if (j.contains("errors")) error = !j["errors"].empty() && j["contents"].empty();
      if (j.contains("res"))
        for (const auto& l : j["res"]["logs"])
          error = error || !l["success"].get<bool>();
    }
    EXPECT_TRUE(error) << a.status << " " << a.body;
  }

  Json stack_up(const std::string& name, const Json& config) {
    return {{"stack", {{"name", name}, {"config", config}}},
            {"services", Json::array()},
            {"repo", nullptr},
            {"git_token", nullptr},
            {"replacers", Json::array()}};
  }
  Json repo_args(const std::string& name, const Json& extra_args, const Json& extra = {}) {
    Json args = {{"name", name},       {"provider", provider_},  {"https", false},
                 {"account", nullptr}, {"repo", "infra"},        {"branch", "main"},
                 {"commit", nullptr},  {"destination", nullptr}, {"default_folder", "Repos"}};
    if (extra_args.is_object()) args.update(extra_args);
    Json p = {{"args", args},
              {"git_token", nullptr},
              {"environment", Json::array()},
              {"env_file_path", ".env"},
              {"skip_secret_interp", false},
              {"replacers", Json::array()}};
    if (extra.is_object()) p.update(extra);
    return p;
  }

  TempDir dir_;
  std::string base_, root_, canary_, victim_, ok_;
  std::string provider_ = "127.0.0.1:1";  // nothing listens there
  std::map<std::string, std::string> before_;
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(Paths, GetComposeContentsOnHostReadsNothingOutsideTheStack) {
  start();
  auto contents = [&](const std::string& name, const std::string& run_dir, const Json& files) {
    return request("GetComposeContentsOnHost",
                   {{"name", name}, {"run_directory", run_dir}, {"file_paths", files}});
  };
  // Inside, also through a symlink that stays inside: read.
  Answer a = contents("ok", "", {"inside-link/compose.yaml", "app/compose.yaml"});
  ASSERT_EQ(a.status, 200) << a.body;
  ASSERT_EQ(a.json()["contents"].size(), 2u) << a.body;
  EXPECT_NE(a.json()["contents"][0]["contents"].get<std::string>().find("one:"), std::string::npos);
  struct Case {
    std::string name, run_dir;
    Json files;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {"ok", "", {"../../../canary/secret.txt"}, "file_paths"},
           {"ok", "", {"../../../../../../../../../etc/shadow"}, "file_paths"},
           {"ok", "", {"../victim/.env"}, "file_paths"},
           {"ok", "", {canary_ + "/secret.txt"}, "file_paths"},
           {"ok", "", {"abs-out/secret.txt"}, "file_paths"},
           {"ok", "", {"rel-out/secret.txt"}, "file_paths"},
           {"ok", "", {"to-victim/.env"}, "file_paths"},
           {"ok", "", {"app/secret-link"}, "file_paths"},
           {"ok", "../../../canary", {"secret.txt"}, "run_directory"},
           {"ok", "../victim", {".env"}, "run_directory"},
           {"ok", "rel-out", {"secret.txt"}, "run_directory"},
           {"ok", "abs-out", {"secret.txt"}, "run_directory"},
           {"../../canary", "", {"secret.txt"}, "name"},
           {"..", "victim", {".env"}, "name"},
           {"ok/../../../canary", "", {"secret.txt"}, "name"},
       })
    expect_refused(contents(c.name, c.run_dir, c.files),
                   c.name + " " + c.run_dir + " " + c.files.dump(), c.says);
  EXPECT_EQ(state(), before_);
}

TEST_F(Paths, ComposeUpWritesAndReadsNothingOutsideTheStack) {
  start();
  const std::string env = "X=[[SECRET]]";
  struct Case {
    std::string name;
    Json config;
    std::string says;
  };
  Json ui = {{"file_contents", "services:\n  one:\n    image: varan-test/sleep\n"},
             {"environment", env}};
  auto with = [](Json base, const Json& more) {
    base.update(more);
    return base;
  };
  Json on_host = {{"files_on_host", true},
                  {"run_directory", "app"},
                  {"environment", env},
                  {"auto_pull", false}};
  Json repo = {{"repo", "nothing.git"}, {"git_provider", provider_}, {"git_https", false},
               {"reclone", true},       {"environment", env},        {"auto_pull", false}};
  for (const Case& c : std::vector<Case>{
           {"../canary", ui, "name"},
           {"../../../canary/x", ui, "name"},
           {"..", ui, "name"},
           {"new1", with(ui, {{"file_paths", {"../../../canary/evil.yaml"}}}), "file_paths"},
           {"new2", with(ui, {{"file_paths", {"../victim/compose.yaml"}}}), "file_paths"},
           {"new3", with(ui, {{"run_directory", "../../../canary"}}), "run_directory"},
           {"new4", with(ui, {{"run_directory", canary_}}), "run_directory"},
           {"ok", with(ui, {{"run_directory", "rel-out"}}), "run_directory"},
           {"ok", with(ui, {{"run_directory", "to-victim"}}), "run_directory"},
           {"ok", with(ui, {{"file_paths", {"app/secret-link"}}}), "file_paths"},
           {"ok", with(on_host, {{"env_file_path", "../../../../canary/.env"}}), "env_file_path"},
           {"ok", with(on_host, {{"env_file_path", "../../victim/.env"}}), "env_file_path"},
           {"ok", with(on_host, {{"env_file_path", canary_ + "/.env"}}), "env_file_path"},
           {"ok", with(on_host, {{"env_file_path", "../rel-out/.env"}}), "env_file_path"},
           {"ok", with(on_host, {{"additional_env_files", {"../../../../canary/.env"}}}),
            "additional_env_files"},
           {"ok", with(on_host, {{"file_paths", {"../../../../canary/sub/compose.yaml"}}}),
            "file_paths"},
           {"ok", with(on_host, {{"file_paths", {"../abs-out/sub/compose.yaml"}}}), "file_paths"},
           {"ok", with(on_host, {{"run_directory", "../../../canary/sub"}}), "run_directory"},
           {"ok", with(on_host, {{"run_directory", "rel-out/sub"}}), "run_directory"},
           {"ok",
            with(on_host,
                 {{"pre_deploy", {{"path", "../../../../canary"}, {"command", "touch x"}}}}),
            "pre_deploy.path"},
           {"ok",
            with(on_host,
                 {{"pre_deploy", {{"path", "../rel-out"}, {"command", "sops-decrypt.sh"}}}}),
            "pre_deploy.path"},
           {"ok",
            with(on_host,
                 {{"pre_deploy", {{"path", ""}, {"command", "sops-decrypt ../../../../canary"}}}}),
            "sops-decrypt folder"},
           {"rc1", with(repo, {{"clone_path", "../../../canary/victim"}}), "clone_path"},
           {"rc2", with(repo, {{"clone_path", "../victim"}}), "clone_path"},
           {"rc3", with(repo, {{"clone_path", canary_ + "/victim"}}), "clone_path"},
           {"rc4", with(repo, {{"clone_path", victim_ + "/.."}}), "clone_path"},
       })
    expect_refused(request("ComposeUp", stack_up(c.name, c.config)), c.name + " " + c.config.dump(),
                   c.says);
  // A linked repo whose name or path leaves repo_dir.
  for (const auto& [name, path] : std::vector<std::pair<std::string, std::string>>{
           {"../stacks/victim", ""}, {"shared", "../../../canary/victim"}, {"shared", canary_}}) {
    Json p = stack_up("linked", {{"run_directory", ""}, {"auto_pull", false}});
    p["repo"] = {
        {"name", name},
        {"config",
         {{"repo", "x.git"}, {"git_provider", provider_}, {"git_https", false}, {"path", path}}}};
    expect_refused(request("ComposeUp", p), name + " " + path, "linked repo");
  }
  EXPECT_EQ(state(), before_);
}

// Komodo's reclone with a remote that can't be reached: the stack folder and its .env stay
// exactly as they were (issue 11, item 8), and no half-made clone is left beside it.
TEST_F(Paths, RecloneWithAnUnreachableRemoteKeepsTheStackFolder) {
  start();
  std::string keep = root_ + "/stacks/keep";
  fs::create_directories(keep + "/.git");
  write_text(keep + "/compose.yaml", "services: {}\n");
  write_text(keep + "/.env", "OLD=kept\n", 0600);
  auto keep_before = snapshot(keep);
  Answer a = request("ComposeUp", stack_up("keep", {{"repo", "nothing.git"},
                                                    {"git_provider", provider_},
                                                    {"git_https", false},
                                                    {"reclone", true},
                                                    {"environment", "X=[[SECRET]]"},
                                                    {"auto_pull", false}}));
  expect_refused(a, "reclone", "Clone Repo");
  EXPECT_EQ(snapshot(keep), keep_before);
  EXPECT_EQ(read_text(keep + "/.env"), "OLD=kept\n");
  for (const auto& e : fs::directory_iterator(root_ + "/stacks"))
    EXPECT_EQ(e.path().filename().string().find("reclone"), std::string::npos) << e.path();
  EXPECT_EQ(state(), before_);
}

// A reclone whose clone works but whose deploy then fails (a compose file that does not load)
// puts the previous checkout back, .env and all: nothing is lost before the new one deployed.
TEST_F(Paths, ARecloneWhoseDeployFailsPutsTheOldCheckoutBack) {
  const std::string token = "tok-paths-5d70";
  GitServer git("token", token);
  VARAN_REQUIRE(git.problem().empty(), git.problem());
  std::string work = dir_ / "work";
  git.create_repo("broken", work);
  write_text(work + "/compose.yaml", "services: [not, a, map\n");
  git.commit(work, "broken compose file");
  provider_ = "127.0.0.1:" + std::to_string(git.port());
  start("[[git_provider]]\ndomain = \"" + provider_ +
        "\"\nhttps = false\naccounts = [{ username = \"token\", token = \"" + token + "\" }]\n");
  std::string keep = root_ + "/stacks/keep";
  fs::create_directories(keep);
  write_text(keep + "/compose.yaml", "services: {}\n");
  write_text(keep + "/.env", "OLD=kept\n", 0600);
  auto keep_before = snapshot(keep);
  Answer a = request("ComposeUp", stack_up("keep", {{"repo", "broken.git"},
                                                    {"git_provider", provider_},
                                                    {"git_https", false},
                                                    {"git_account", "token"},
                                                    {"reclone", true},
                                                    {"environment", "X=[[SECRET]]"},
                                                    {"auto_pull", false}}));
  expect_refused(a, "a reclone of a broken stack", "Compose Config");
  bool cloned = false;
  Json answer = a.json();
  for (const auto& l : answer["logs"])
    cloned = cloned || (l["stage"] == "Clone Repo" && l["success"].get<bool>());
  EXPECT_TRUE(cloned) << a.body;
  EXPECT_EQ(snapshot(keep), keep_before);
  for (const auto& e : fs::directory_iterator(root_ + "/stacks"))
    EXPECT_EQ(e.path().filename().string().find("reclone"), std::string::npos) << e.path();
  EXPECT_EQ(state(), before_);
}

// CloneRepo: a name, a destination, an env_file_path or an on_clone path that leaves its
// folder is refused (a symlink committed to the repo included); a fresh clone over an
// existing checkout replaces it only once the new one is there (issue 11, items 1 and 8).
TEST_F(Paths, CloneRepoDeletesAndWritesNothingOutsideItsFolder) {
  const std::string token = "tok-paths-0c4e";
  GitServer git("token", token);
  VARAN_REQUIRE(git.problem().empty(), git.problem());
  std::string work = dir_ / "work";
  git.create_repo("infra", work);
  write_text(work + "/README", "one\n");
  fs::create_directory_symlink("../../../canary", work + "/out");  // committed; leaves the repo
  git.commit(work, "first");
  provider_ = "127.0.0.1:" + std::to_string(git.port());
  start("[[git_provider]]\ndomain = \"" + provider_ +
        "\"\nhttps = false\naccounts = [{ username = \"token\", token = \"" + token + "\" }]\n");
  Json secret_env = {{"environment", {{{"variable", "X"}, {"value", "[[SECRET]]"}}}}};
  auto with = [](Json base, const Json& more) {
    base.update(more);
    return base;
  };
  struct Case {
    Json args, extra;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {{{"name", "../../canary/victim"}}, {}, "name"},
           {{{"name", ".."}}, {}, "name"},
           {{{"name", "a"}, {"destination", canary_ + "/victim"}}, {}, "destination"},
           {{{"name", "a"}, {"destination", "../../../canary/victim"}}, {}, "destination"},
           {{{"name", "a"}, {"destination", "../../stacks/victim"}}, {}, "destination"},
           {{{"name", "a"}, {"destination", root_ + "/stacks"}}, {}, "destination"},
           {{{"name", "a"}, {"destination", root_}}, {}, "destination"},
           {{{"name", "e1"}, {"account", "token"}},
            with(secret_env, {{"env_file_path", "../../../canary/.env"}}),
            "env_file_path"},
           {{{"name", "e2"}, {"account", "token"}},
            with(secret_env, {{"env_file_path", "out/.env"}}),
            "env_file_path"},
           {{{"name", "e3"}, {"account", "token"}},
            {{"on_clone", {{"path", "out"}, {"command", "touch pwned"}}}},
            "on_clone.path"},
           {{{"name", "e4"}, {"account", "token"}},
            {{"on_clone", {{"path", "../../../canary"}, {"command", "touch pwned"}}}},
            "on_clone.path"},
       })
    expect_refused(request("CloneRepo", repo_args("", c.args, c.extra)),
                   c.args.dump() + " " + c.extra.dump(), c.says);
  EXPECT_EQ(state(), before_);
  EXPECT_FALSE(file_exists(canary_ + "/pwned"));

  // A fresh clone that fails keeps the old checkout; one that works replaces it.
  std::string checkout = root_ + "/repos/fresh";
  Json good = {{"name", "fresh"}, {"account", "token"}};
  Answer a = request("CloneRepo", repo_args("", good));
  ASSERT_EQ(a.status, 200) << a.body;
  ASSERT_TRUE(file_exists(checkout + "/README")) << a.body;
  write_text(checkout + "/.env", "LOCAL=1\n", 0600);
  a = request("CloneRepo", repo_args("", good, {{"git_token", "wrong-token"}}));
  expect_refused(a, "a clone with a wrong token", "Clone Repo");
  EXPECT_EQ(read_text(checkout + "/.env"), "LOCAL=1\n") << "the old checkout was deleted first";
  EXPECT_TRUE(file_exists(checkout + "/README"));
  a = request("CloneRepo", repo_args("", good));
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_TRUE(a.json()["res"]["logs"][0]["success"].get<bool>()) << a.body;
  EXPECT_FALSE(file_exists(checkout + "/.env")) << "a fresh clone replaces the checkout";
  EXPECT_TRUE(file_exists(checkout + "/README"));
  for (const auto& e : fs::directory_iterator(root_ + "/repos"))
    EXPECT_EQ(e.path().filename().string().find("reclone"), std::string::npos) << e.path();
  EXPECT_EQ(state(), before_);
}

// A symlink committed to a stack's repo can't move run_directory, file_paths or the env file
// out of the checkout: pointing secret writes at another stack's folder is refused.
TEST_F(Paths, SymlinksInARepoCannotLeaveTheCheckout) {
  const std::string token = "tok-paths-9b21";
  GitServer git("token", token);
  VARAN_REQUIRE(git.problem().empty(), git.problem());
  std::string work = dir_ / "work";
  git.create_repo("evil", work);
  write_text(work + "/compose.yaml", "services:\n  one:\n    image: varan-test/sleep\n");
  fs::create_directory_symlink("../victim", work + "/app");
  fs::create_symlink("../victim/.env", work + "/evil.env");
  fs::create_symlink("../victim/compose.yaml", work + "/other.yaml");
  git.commit(work, "links out");
  provider_ = "127.0.0.1:" + std::to_string(git.port());
  start("[[git_provider]]\ndomain = \"" + provider_ +
        "\"\nhttps = false\naccounts = [{ username = \"token\", token = \"" + token + "\" }]\n");
  Json repo = {{"repo", "evil.git"},     {"git_provider", provider_},     {"git_https", false},
               {"git_account", "token"}, {"environment", "X=[[SECRET]]"}, {"auto_pull", false}};
  auto with = [&](const Json& more) {
    Json c = repo;
    c.update(more);
    return c;
  };
  for (const auto& [config, says] : std::vector<std::pair<Json, std::string>>{
           {with({{"run_directory", "app"}}), "run_directory"},
           {with({{"run_directory", ""}, {"env_file_path", "evil.env"}}), "env_file_path"},
           {with({{"run_directory", ""}, {"file_paths", {"other.yaml"}}}), "file_paths"},
           {with({{"run_directory", ""}, {"file_paths", {"app/compose.yaml"}}}), "file_paths"},
       })
    expect_refused(request("ComposeUp", stack_up("evil", config)), config.dump(), says);
  EXPECT_EQ(state(), before_);
}

// A request body nested 100 000 levels deep is a 400 naming the limit, and the agent goes on
// serving; so is a stack file (TOML or JSON) nested as deep.
TEST_F(Paths, DeeplyNestedBodiesAndStackFilesAreRefusedNamingTheLimit) {
  start();
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  Answer a = post(R"({"type":"GetHealth","params":{"x":)" + deep + "}}");
  EXPECT_EQ(a.status, 400) << a.body;
  EXPECT_NE(a.body.find("128 levels"), std::string::npos) << a.body;
  a = post(R"({"type":"GetHealth","params":{}})");
  EXPECT_EQ(a.status, 200) << "the agent stopped serving: " << a.body;
}

TEST(StackFileLimits, DeeplyNestedTomlAndJsonAreRefusedNamingTheLimit) {
  auto refused = [](auto parse, const std::string& text) {
    try {
      parse(text);
      ADD_FAILURE() << "accepted " << text.substr(0, 40);
    } catch (const hooks::Error& e) {
      EXPECT_NE(std::string(e.what()).find("128 levels"), std::string::npos) << e.what();
    }
  };
  auto toml = [](const std::string& t) { return hooks::parse_stack_toml(t, "s.toml"); };
  auto json = [](const std::string& t) { return hooks::parse_stack_json(t, "s.json"); };
  std::string keys, deep = std::string(100000, '[') + std::string(100000, ']');
  for (int i = 0; i < 100000; ++i)
    keys += "a.";
  refused(toml, keys + "b = 1\n");
  refused(toml, "[" + keys + "b]\n");
  refused(toml, "x = " + deep + "\n");
  refused(toml, "x = " + std::string(200, '{') + std::string(200, '}') + "\n");
  refused(json, R"({"stack":)" + deep + "}");
  // Brackets and dots in strings and comments are not nesting.
  std::string many = keys.substr(0, 600);
  hooks::StackFile f = hooks::parse_stack_toml(
      "# [[[[ " + many + "\n[[stack]]\nname = \"s\"\n[stack.config]\nrun_directory = \"" + many +
          "\"\nenvironment = '''\n[[[[ " + many + "\n'''\npre_deploy = { path = \"a.b\", " +
          "command = \"x\" }\n",
      "s.toml");
  EXPECT_EQ(f.stacks.at(0).name, "s");
  EXPECT_EQ(f.stacks.at(0).run_directory, many);
}

}  // namespace
}  // namespace varan::test
