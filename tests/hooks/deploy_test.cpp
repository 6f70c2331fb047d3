// The deploy pipeline end to end on the real engine, from a repo served over smart HTTP with
// token auth (nginx + git-http-backend): containers run with the decrypted values; a commit
// changing one service recreates only it; a rotated secret used by two of three services
// recreates exactly those two; a commit that changes nothing for the engine leaves
// everything alone under --if-changed. Failures (a tampered .sops.env, a failing pre_deploy,
// a bad compose file, an unreachable remote) leave running containers and the previous
// .env as they were. The token is nowhere on disk or in output; a stack folder under the
// root opens whoever owns it; a deploy whose hooks are sops-decrypt starts no process.
// git/ alone (pull, pins, trust, reclone) is tested in tests/git.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "engine/compose/labels.h"
#include "hooks/deploy.h"
#include "tests/support/engine_proxy.h"
#include "tests/support/engine_support.h"
#include "tests/support/git_server.h"

namespace varan::test {
namespace {

namespace fs = std::filesystem;
using namespace varan::hooks;

const std::string kToken = "tok-9f3a7c1e5b2d8046";

const char* kCompose =
    "services:\n"
    "  one:\n    image: varan-test/sleep\n    init: true\n    stop_grace_period: 1s\n"
    "    env_file: .env\n"
    "  two:\n    image: varan-test/sleep\n    init: true\n    stop_grace_period: 1s\n"
    "    env_file: .env\n"
    "  three:\n    image: varan-test/sleep\n    init: true\n    stop_grace_period: 1s\n"
    "    environment: {MODE: \"a\"}\n";

// The regular files under `roots` that contain `needle`.
std::vector<std::string> files_containing(const std::string& needle,
                                          const std::vector<std::string>& roots) {
  std::vector<std::string> found;
  for (const auto& root : roots) {
    if (!fs::exists(root)) continue;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      if (!e.is_regular_file() || e.is_symlink()) continue;
      if (read_text(e.path()).find(needle) != std::string::npos) found.push_back(e.path());
    }
  }
  return found;
}

class Deploy : public ::testing::Test {
 protected:
  void SetUp() override {
    VARAN_REQUIRE_ENGINE();
    ensure_test_images();
    server_ = std::make_unique<GitServer>("token", kToken);
    VARAN_REQUIRE(server_->problem().empty(), server_->problem());
    std::string n = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    project_ = "vdt-";
    for (char c : n)
      project_ += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    clean();
    root_ = tmp_ / "root";
    work_ = tmp_ / "work";
    key_ = tmp_ / "key.txt";
    RunResult k = run({VARAN_BIN, "age", "keygen", "-o", key_});
    ASSERT_EQ(k.status, 0) << k.err;
    recipient_ = run({VARAN_BIN, "age", "keygen", "-y", key_}).out;
    while (!recipient_.empty() && recipient_.back() == '\n')
      recipient_.pop_back();
    ::setenv("SOPS_AGE_KEY_FILE", key_.c_str(), 1);
    server_->create_repo("stacks", work_);
    write_text(work_ + "/.sops.yaml",
               "creation_rules:\n  - path_regex: \\.sops\\.env$\n    age: " + recipient_ + "\n");
    fs::create_directories(work_ + "/app");
    write_text(work_ + "/app/compose.yaml", kCompose);
    set_secret("first");
    write_text(work_ + "/README.md", "stacks\n");
    head_ = server_->commit(work_, "initial");
    stack_.name = project_;
    stack_.repo = server_->url("stacks");
    stack_.branch = "main";
    stack_.git_token = SecretString(kToken);
    stack_.run_directory = "app";
    stack_.pre_deploy.command = "sops-decrypt.sh";
    stack_.auto_pull = false;
    opts_.root = root_;
  }
  void TearDown() override {
    if (engine_problem().empty()) clean();
    ::unsetenv("SOPS_AGE_KEY_FILE");
  }
  void clean() {
    auto& c = engine_client();
    for (const auto& ct : c.list_containers(
             true, {{"label", {std::string(compose::labels::kProject) + "=" + project_}}}))
      c.remove_container(ct.id, true, true);
    for (const auto& nw : c.list_networks({{"name", {project_ + "_default"}}}))
      c.remove_network(nw.id);
  }
  // Encrypts app/.sops.env with DB_PASSWORD=<value> (and a key only `one`/`two` read).
  void set_secret(const std::string& value) {
    write_text(work_ + "/app/.sops.env", "DB_PASSWORD=" + value + "\nAPI_KEY=k-123\n");
    RunResult r = run({VARAN_BIN, "secrets", "encrypt", "-i", "app/.sops.env"}, {.cwd = work_});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  DeployResult deploy(bool if_changed = false) {
    DeployOptions o = opts_;
    o.if_changed = if_changed;
    return hooks::deploy(stack_, {}, engine_client(), o);
  }
  // Running containers: service -> ID.
  std::map<std::string, std::string> ids() {
    std::map<std::string, std::string> out;
    for (const auto& c : engine_client().list_containers(
             false, {{"label", {std::string(compose::labels::kProject) + "=" + project_}}}))
      out[c.labels.at(compose::labels::kService)] = c.id;
    return out;
  }
  std::string env_of(const std::string& service) {
    std::string all;
    for (const auto& e : engine_client().inspect_container(project_ + "-" + service + "-1").env)
      all += e + "\n";
    return all;
  }
  std::string env_file() const { return root_ + "/" + project_ + "/app/.env"; }
  static std::string all_text(const DeployResult& r) {
    std::string t = r.error + "\n";
    for (const auto& l : r.logs)
      t += l.stage + "\n" + l.command + "\n" + l.stdout_text + "\n" + l.stderr_text + "\n";
    return t;
  }

  std::unique_ptr<GitServer> server_;
  TempDir tmp_;
  std::string project_, root_, work_, key_, recipient_, head_;
  Stack stack_;
  DeployOptions opts_;
};

TEST_F(Deploy, DecryptsRecreatesOnlyWhatChangedAndIfChangedTouchesNothing) {
  DeployResult r = deploy();
  ASSERT_TRUE(r.success) << all_text(r);
  EXPECT_EQ(r.commit_after.hash, head_);
  EXPECT_EQ(r.commit_after.message, "initial");
  auto first = ids();
  ASSERT_EQ(first.size(), 3u);
  EXPECT_NE(env_of("one").find("DB_PASSWORD=first\n"), std::string::npos);
  EXPECT_NE(env_of("two").find("API_KEY=k-123\n"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat(env_file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(read_text(env_file()), "DB_PASSWORD=first\nAPI_KEY=k-123\n");

  // A commit that changes one service: only it is recreated.
  std::string compose = kCompose;
  compose.replace(compose.find("MODE: \"a\""), 9, "MODE: \"b\"");
  write_text(work_ + "/app/compose.yaml", compose);
  server_->commit(work_, "three: mode b");
  r = deploy();
  ASSERT_TRUE(r.success) << all_text(r);
  EXPECT_EQ(r.commit_before.hash, head_);
  EXPECT_EQ(r.services_touched, (std::vector<std::string>{"three"}));
  auto second = ids();
  EXPECT_EQ(second["one"], first["one"]);
  EXPECT_EQ(second["two"], first["two"]);
  EXPECT_NE(second["three"], first["three"]);

  // A rotated secret used by two of the three services: exactly those two.
  set_secret("second");
  server_->commit(work_, "rotate DB_PASSWORD");
  r = deploy(true);
  ASSERT_TRUE(r.success) << all_text(r);
  EXPECT_EQ(r.services_touched, (std::vector<std::string>{"one", "two"}));
  auto third = ids();
  EXPECT_NE(third["one"], second["one"]);
  EXPECT_NE(third["two"], second["two"]);
  EXPECT_EQ(third["three"], second["three"]);
  EXPECT_NE(env_of("two").find("DB_PASSWORD=second\n"), std::string::npos);
  EXPECT_EQ(all_text(r).find("second"), std::string::npos) << "a secret reached the logs";

  // A commit that changes nothing for the engine: --if-changed touches nothing.
  write_text(work_ + "/README.md", "stacks, documented\n");
  std::string docs = server_->commit(work_, "docs only");
  auto mtime = fs::last_write_time(env_file());
  r = deploy(true);
  ASSERT_TRUE(r.success) << all_text(r);
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(r.commit_after.hash, docs);
  EXPECT_TRUE(r.touched.empty());
  EXPECT_NE(all_text(r).find("no changes"), std::string::npos) << all_text(r);
  EXPECT_EQ(ids(), third);
  EXPECT_EQ(fs::last_write_time(env_file()), mtime);
}

TEST_F(Deploy, FailuresLeaveContainersAndTheEnvFileAsTheyWere) {
  DeployResult r = deploy();
  ASSERT_TRUE(r.success) << all_text(r);
  auto before = ids();
  std::string env_before = read_text(env_file());
  auto unchanged = [&](const DeployResult& res, const std::string& must_say) {
    EXPECT_FALSE(res.success);
    EXPECT_EQ(res.error.find('\n'), std::string::npos) << res.error;
    EXPECT_NE(res.error.find(must_say), std::string::npos) << res.error;
    EXPECT_EQ(ids(), before);
    EXPECT_EQ(read_text(env_file()), env_before);
  };

  // A tampered .sops.env.
  std::string good = read_text(work_ + "/app/.sops.env");
  std::string bad = good;
  auto at = bad.find("data:") + 5;
  bad[at] = bad[at] == 'A' ? 'B' : 'A';
  write_text(work_ + "/app/.sops.env", bad);
  write_text(work_ + "/app/compose.yaml", std::string(kCompose) + "  # touched\n");
  server_->commit(work_, "tampered");
  r = deploy();
  unchanged(r, ".sops.env");
  write_text(work_ + "/app/.sops.env", good);
  server_->commit(work_, "good again");

  // A failing pre_deploy that scribbled on .env first.
  stack_.pre_deploy.command = "echo SCRIBBLED=1 > .env\nexit 3";
  r = deploy();
  unchanged(r, "pre_deploy failed (exit status 3)");
  stack_.pre_deploy.command = "sops-decrypt.sh";

  // A bad compose file.
  write_text(work_ + "/app/compose.yaml", "services:\n  one: [\n");
  server_->commit(work_, "broken yaml");
  r = deploy();
  unchanged(r, "compose.yaml");
  write_text(work_ + "/app/compose.yaml", kCompose);
  server_->commit(work_, "fixed");

  // An unreachable remote.
  stack_.repo = "http://127.0.0.1:9/nowhere.git";
  r = deploy();
  unchanged(r, "http://127.0.0.1:9/nowhere.git");
}

TEST_F(Deploy, TheTokenIsNowhereOnDiskOrInOutput) {
  DeployResult r = deploy();
  ASSERT_TRUE(r.success) << all_text(r);
  EXPECT_NE(server_->access_log().find("\"GET /stacks.git/info/refs"), std::string::npos);
  EXPECT_EQ(all_text(r).find(kToken), std::string::npos);
  // The CLI, with the token in the stack file, in text and JSON.
  std::string toml = tmp_ / "stacks.toml";
  write_text(toml, "[[stack]]\nname = \"" + project_ + "\"\n[stack.config]\nrepo = \"" +
                       server_->url("stacks") + "\"\ngit_token = \"[[GIT_TOKEN]]\"\n" +
                       "run_directory = \"app\"\nauto_pull = false\n" +
                       "pre_deploy.command = \"sops-decrypt.sh\"\n"
                       "post_deploy.command = \"echo the token is " +
                       "[[GIT_TOKEN]]\"\n" + "[secrets]\nGIT_TOKEN = \"" + kToken + "\"\n");
  // The CLI runs with a $TMPDIR and a $HOME of its own, scanned below with the root.
  std::string cli_tmp = tmp_ / "cli-tmp", cli_home = tmp_ / "cli-home";
  fs::create_directories(cli_tmp);
  fs::create_directories(cli_home);
  RunOptions cli{.env = {{"TMPDIR", cli_tmp}, {"HOME", cli_home}}};
  RunResult text = run({VARAN_BIN, "deploy", toml, "--root", root_}, cli);
  EXPECT_EQ(text.status, 0) << text.err;
  EXPECT_NE(text.out.find("the token is <GIT_TOKEN>"), std::string::npos) << text.out;
  RunResult json = run({VARAN_BIN, "deploy", toml, "--root", root_, "--json"}, cli);
  EXPECT_EQ(json.status, 0) << json.err;
  for (const RunResult* o : {&text, &json}) {
    EXPECT_EQ(o->out.find(kToken), std::string::npos);
    EXPECT_EQ(o->err.find(kToken), std::string::npos);
  }
  // Every file under the root (.git/config included), the CLI's $TMPDIR and its $HOME.
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(root_))
    files += e.is_regular_file() ? 1 : 0;
  EXPECT_GT(files, 5);
  EXPECT_EQ(files_containing(kToken, {root_, cli_tmp, cli_home}), std::vector<std::string>{});
  // The scan finds what it looks for (the control).
  write_text(cli_tmp + "/control", "x" + kToken + "x");
  EXPECT_EQ(files_containing(kToken, {root_, cli_tmp, cli_home}).size(), 1u);
  // A wrong token: refused, and not echoed.
  stack_.git_token = SecretString("wrong-token-5555");
  fs::remove_all(root_ + "/" + project_ + "/.git");
  fs::remove_all(root_ + "/" + project_);
  r = deploy();
  EXPECT_FALSE(r.success);
  EXPECT_NE(r.error.find("refused the credentials"), std::string::npos) << r.error;
  EXPECT_EQ(all_text(r).find("wrong-token-5555"), std::string::npos) << all_text(r);
}

// git::sync_repo's trust rules are tested in tests/git; here, through a deploy.
TEST_F(Deploy, AStackFolderUnderTheRootIsTrustedWhoeverOwnsIt) {
  VARAN_REQUIRE(::geteuid() == 0, "root, to chown the checkout to another user");
  // Through a deploy: a stack folder under Varan's root is trusted whoever owns it.
  ASSERT_TRUE(deploy().success);
  for (const auto& e : fs::recursive_directory_iterator(root_ + "/" + project_))
    ::lchown(e.path().c_str(), 4242, 4242);
  DeployResult r = deploy();
  EXPECT_TRUE(r.success) << all_text(r);
}

// Counts the programs started while `varan deploy` runs, with strace following every thread
// and child: exactly one execve (varan itself) when the hooks are sops-decrypt.
TEST_F(Deploy, SopsDecryptHooksStartNoProcess) {
  auto strace = which("strace");
  VARAN_REQUIRE(strace.has_value(), "strace (scripts/setup.sh)");
  auto toml = [&](const std::string& post) {
    std::string f = tmp_ / "stacks.toml";
    write_text(f, "[[stack]]\nname = \"" + project_ + "\"\n[stack.config]\nrepo = \"" +
                      server_->url("stacks") + "\"\ngit_token = \"" + kToken +
                      "\"\nrun_directory = \"app\"\nauto_pull = false\n"
                      "pre_deploy.command = \"sops-decrypt.sh\"\n"
                      "post_deploy.command = \"" +
                      post + "\"\n");
    return f;
  };
  auto execs = [&](const std::string& file) {
    std::string trace = tmp_ / "trace.txt";
    RunResult r = run({*strace, "-f", "-qq", "-e", "trace=execve,fork,vfork,clone,clone3", "-o",
                       trace, VARAN_BIN, "deploy", file, "--root", root_},
                      {.env = {{"ASAN_OPTIONS", "detect_leaks=0"}}});  // LSan can't run traced
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    // Programs started, and processes made: clone/clone3 without CLONE_THREAD is a process
    // (glibc's fork and posix_spawn use them); with it, a thread.
    int n = 0;
    std::istringstream in(read_text(trace));
    for (std::string line; std::getline(in, line);) {
      bool exec = line.find("execve(") != std::string::npos;
      bool forked = line.find("fork(") != std::string::npos;
      bool cloned =
          (line.find("clone(") != std::string::npos || line.find("clone3(") != std::string::npos) &&
          line.find("CLONE_THREAD") == std::string::npos;
      if (exec || forked || cloned) ++n;
    }
    return n;
  };
  EXPECT_EQ(execs(toml("sops-decrypt --check")), 1);
  write_text(work_ + "/app/compose.yaml", std::string(kCompose) + "# again\n");
  server_->commit(work_, "again");
  EXPECT_EQ(execs(toml("sops-decrypt")), 1);
  // The control: a shell hook is a process, and strace sees it.
  EXPECT_GE(execs(toml("true")), 2);
}

TEST_F(Deploy, TwoDeploysOfOneStackNeverOverlap) {
  std::string trace = tmp_ / "overlap.txt";
  stack_.pre_deploy.command = "sops-decrypt.sh\n";
  stack_.post_deploy.command = "echo start >> " + trace + "\nsleep 1\necho end >> " + trace;
  ASSERT_TRUE(deploy().success);
  write_text(trace, "");
  std::vector<DeployResult> results(2);
  std::thread a([&] { results[0] = deploy(); });
  std::thread b([&] { results[1] = deploy(); });
  a.join();
  b.join();
  EXPECT_TRUE(results[0].success) << all_text(results[0]);
  EXPECT_TRUE(results[1].success) << all_text(results[1]);
  EXPECT_EQ(read_text(trace), "start\nend\nstart\nend\n");
}

// The repo is brought to the remote: local edits go, ignored and untracked files stay;
// orphan branches (a branch per service) and pinned commits work.
// A stack whose files are on the host (no repo): --if-changed works for it too, and with
// write_plaintext = false the decrypted values reach the containers without touching disk.
TEST_F(Deploy, FilesOnHostIfChangedAndPlaintextKeptInMemory) {
  std::string dir = tmp_ / "onhost";
  fs::create_directories(dir);
  fs::copy_file(work_ + "/app/compose.yaml", dir + "/compose.yaml");
  fs::copy_file(work_ + "/app/.sops.env", dir + "/.sops.env");
  stack_.repo.clear();
  stack_.run_directory = dir;
  stack_.write_plaintext = false;
  // The deploy's temporary files go to a $TMPDIR of this test's, scanned with the root and the
  // stack's folder for the decrypted value.
  std::string own_tmp = tmp_ / "tmpdir";
  fs::create_directories(own_tmp);
  DeployResult r = [&] {
    ScopedEnv tmpdir("TMPDIR", own_tmp);
    return deploy(true);
  }();
  ASSERT_TRUE(r.success) << all_text(r);
  EXPECT_TRUE(r.changed);
  EXPECT_FALSE(file_exists(dir + "/.env"));
  EXPECT_EQ(files_containing("DB_PASSWORD=first", {dir, root_, own_tmp}),
            std::vector<std::string>{});
  EXPECT_NE(env_of("one").find("DB_PASSWORD=first\n"), std::string::npos);
  auto before = ids();
  r = deploy(true);
  ASSERT_TRUE(r.success) << all_text(r);
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(ids(), before);
  EXPECT_FALSE(file_exists(dir + "/.env"));
}

// post_deploy failing is reported while the stack stays deployed; --dry-run plans without
// updating the repo or touching containers; extra_args and destroy_before_deploy.
TEST_F(Deploy, PostDeployFailureDryRunExtraArgsAndDestroyBeforeDeploy) {
  ASSERT_TRUE(deploy().success);
  auto first = ids();
  stack_.post_deploy.command = "echo bye\nexit 4";
  DeployResult r = deploy();
  EXPECT_TRUE(r.success) << all_text(r);
  EXPECT_NE(r.error.find("post_deploy failed (exit status 4)"), std::string::npos) << r.error;
  ASSERT_FALSE(r.logs.empty());
  EXPECT_EQ(r.logs.back().stage, "Post Deploy");
  EXPECT_FALSE(r.logs.back().success);
  EXPECT_EQ(r.logs.back().stdout_text, "bye\n");
  EXPECT_EQ(ids(), first);
  stack_.post_deploy.command.clear();

  std::string compose = kCompose;
  compose.replace(compose.find("MODE: \"a\""), 9, "MODE: \"c\"");
  write_text(work_ + "/app/compose.yaml", compose);
  server_->commit(work_, "three: mode c");
  opts_.dry_run = true;
  r = deploy();
  opts_.dry_run = false;
  EXPECT_TRUE(r.success) << all_text(r);
  EXPECT_TRUE(r.changed);
  EXPECT_NE(r.commit_after.hash, head_);  // the plan is for the branch head
  EXPECT_TRUE(r.touched.empty());
  EXPECT_NE(all_text(r).find("recreate three"), std::string::npos) << all_text(r);
  EXPECT_EQ(ids(), first);

  stack_.extra_args = {"--force-recreate"};
  r = deploy();
  EXPECT_TRUE(r.success) << all_text(r);
  EXPECT_EQ(r.services_touched, (std::vector<std::string>{"one", "three", "two"}));
  auto second = ids();
  for (const auto& [svc, id] : second)
    EXPECT_NE(id, first[svc]) << svc;
  stack_.extra_args = {"--no-such-flag"};
  r = deploy();
  EXPECT_FALSE(r.success);
  EXPECT_NE(r.error.find("--no-such-flag"), std::string::npos) << r.error;
  EXPECT_EQ(ids(), second);

  stack_.extra_args.clear();
  stack_.destroy_before_deploy = true;
  r = deploy();
  EXPECT_TRUE(r.success) << all_text(r);
  EXPECT_NE(all_text(r).find("Compose Down"), std::string::npos);
  auto third = ids();
  ASSERT_EQ(third.size(), 3u);
  for (const auto& [svc, id] : third)
    EXPECT_NE(id, second[svc]) << svc;
}

// One observation and one pull per image: a deploy with a registry account asks the engine
// for the project's containers once and pulls each image once, even with pull_policy: always
// (up used to observe again and pull again, without the account). The image's registry is
// out of reach, so each pull fails and the local image is used, with a warning.
TEST_F(Deploy, ARegistryAccountDeployObservesOnceAndPullsEachImageOnce) {
  auto& real = engine_client();
  VARAN_REQUIRE(real.endpoint().address.starts_with("unix://"), "an engine on a unix socket");
  const std::string image = "127.0.0.1:1/varan/sleep";
  real.tag_image("varan-test/sleep", image, "pulls");
  std::string dir = tmp_ / "pulls";
  fs::create_directories(dir);
  write_text(dir + "/compose.yaml", "services:\n  a:\n    image: " + image +
                                        ":pulls\n    pull_policy: always\n    init: true\n"
                                        "  b:\n    image: " +
                                        image + ":pulls\n    init: true\n");
  stack_.repo.clear();
  stack_.run_directory = dir;
  stack_.pre_deploy.command.clear();
  stack_.auto_pull = true;
  DeployOptions o = opts_;
  o.registry = DeployOptions::RegistryLogin{"127.0.0.1:1", "deployer", SecretString("tok-77a1")};
  EngineProxy proxy(tmp_ / "engine.sock", real.endpoint().address.substr(7));
  engine::Client client(engine::parse_endpoint("unix://" + tmp_ / "engine.sock", false, ""));
  DeployResult r = hooks::deploy(stack_, {}, client, o);
  ASSERT_TRUE(r.success) << all_text(r);
  EXPECT_NE(all_text(r).find("using the local image"), std::string::npos) << all_text(r);
  EXPECT_EQ(proxy.requests("POST", "/images/create"), 1) << all_text(r);
  EXPECT_EQ(proxy.requests("GET", "/containers/json"), 1) << all_text(r);
  EXPECT_EQ(ids().size(), 2u);
  EXPECT_EQ(all_text(r).find("tok-77a1"), std::string::npos);
  real.remove_image(image + ":pulls");
}

}  // namespace
}  // namespace varan::test
