// The periphery agent: its configuration (Komodo's keys, defaults, PERIPHERY_* overrides,
// unknown keys reported), the IP guard, and the real agent over HTTPS with its self-signed
// certificate: Komodo's request shapes answered, and a wrong passkey, a disallowed IP,
// malformed JSON, an unknown type, a missing field, a wrong content type and an oversized
// body each get their status and a Serror body while the agent keeps serving.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "engine/compose/labels.h"
#include "periphery/config.h"
#include "periphery/server.h"
#include "tests/support/engine_support.h"
#include "tests/support/git_server.h"

namespace varan::test {
namespace {

using Json = nlohmann::json;
using namespace varan::periphery;

TEST(PeripheryConfig, KomodoKeysDefaultsOverridesAndUnknownKeys) {
  TempDir d;
  write_text(
      d / "a.toml",
      "port = 9000\ncolour = \"blue\"\nroot_directory = \"/srv/komodo/\"\npasskeys = [\"one\"]\n"
      "allowed_ips = [\"10.0.0.0/8\"]\n[secrets]\nDB = \"pw\"\n[logging]\nlevel = \"debug\"\n"
      "[[git_provider]]\ndomain = \"git.example\"\n"
      "");
  write_text(d / "b.json", R"({"passkeys": ["two"], "ssl_enabled": false})");
  Config c = load_config({d / "a.toml", d / "b.json"}, {{"PERIPHERY_PORT", "9100"},
                                                        {"PERIPHERY_ALLOWED_IPS", "::1, 127.0.0.1"},
                                                        {"PERIPHERY_WRITE_PLAINTEXT", "false"}});
  EXPECT_EQ(c.port, 9100);
  EXPECT_EQ(c.bind_ip, "[::]");
  EXPECT_EQ(c.root_directory, "/srv/komodo");
  EXPECT_EQ(c.stack_dir, "/srv/komodo/stacks");
  EXPECT_EQ(c.repo_dir, "/srv/komodo/repos");
  EXPECT_EQ(c.ssl_key_file, "/srv/komodo/ssl/key.pem");
  EXPECT_EQ(c.passkeys, (std::vector<std::string>{"one", "two"}));  // arrays extend
  EXPECT_EQ(c.allowed_ips, (std::vector<std::string>{"::1", "127.0.0.1"}));
  EXPECT_FALSE(c.ssl_enabled);
  EXPECT_FALSE(c.write_plaintext);
  EXPECT_EQ(c.secrets.at("DB"), "pw");
  EXPECT_EQ(c.logging_level, "debug");
  EXPECT_EQ(c.git_providers.size(), 1u);
  EXPECT_EQ(c.stats_polling_rate, "5-sec");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("colour"), std::string::npos);
  EXPECT_THROW(load_config({}, {{"PERIPHERY_PORT", "http"}}), ConfigError);
  EXPECT_THROW(load_config({}, {{"PERIPHERY_SSL_ENABLED", "yes"}}), ConfigError);
  write_text(d / "bad.toml", "port = \"x\"\n");
  EXPECT_THROW(load_config({d / "bad.toml"}, {}), ConfigError);
}

TEST(PeripheryServer, IpGuardWithCidrsAndMappedAddresses) {
  EXPECT_TRUE(ip_allowed("203.0.113.9", {}));
  EXPECT_TRUE(ip_allowed("10.1.2.3", {"10.0.0.0/8"}));
  EXPECT_FALSE(ip_allowed("11.1.2.3", {"10.0.0.0/8"}));
  EXPECT_TRUE(ip_allowed("::ffff:192.168.1.5", {"192.168.1.0/24"}));
  EXPECT_TRUE(ip_allowed("::ffff:10.0.0.1", {"10.0.0.1"}));
  EXPECT_TRUE(ip_allowed("2001:db8::1", {"2001:db8::/32"}));
  EXPECT_FALSE(ip_allowed("2001:db9::1", {"2001:db8::/32"}));
  EXPECT_TRUE(ip_allowed("127.0.0.1", {"127.0.0.1"}));
  EXPECT_FALSE(ip_allowed("127.0.0.2", {"127.0.0.1"}));
  EXPECT_FALSE(ip_allowed("not-an-ip", {"0.0.0.0/0"}));
}

class Agent : public ::testing::Test {
 protected:
  void start(const std::string& extra = "", const std::map<std::string, std::string>& env = {}) {
    port_ = free_port();
    write_text(dir_ / "periphery.toml", "port = " + std::to_string(port_) +
                                            "\nbind_ip = \"127.0.0.1\"\nroot_directory = \"" +
                                            dir_.path() + "/root\"\npasskeys = [\"pk-1\"]\n" +
                                            extra);
    pid_ = spawn_background({PERIPHERY_BIN, "--config-path", dir_ / "periphery.toml"},
                            dir_ / "agent.log", env);
    ASSERT_TRUE(wait_for_port(port_)) << read_text(dir_ / "agent.log");
  }
  void TearDown() override { EXPECT_EQ(stop_daemon(pid_, dir_ / "agent.log"), ""); }
  struct Answer {
    int status = 0;
    std::string body;
    Json json() const { return Json::parse(body, nullptr, false); }
  };
  Answer post(const std::string& body, const std::string& passkey = "pk-1",
              const std::string& content_type = "application/json") {
    std::vector<std::string> argv = {"curl",
                                     "-sS",
                                     "-k",
                                     "-o",
                                     dir_ / "body",
                                     "-w",
                                     "%{http_code}",
                                     "-X",
                                     "POST",
                                     "https://127.0.0.1:" + std::to_string(port_) + "/",
                                     "--data-binary",
                                     "@" + dir_ / "req"};
    write_text(dir_ / "req", body);
    if (!passkey.empty()) argv.insert(argv.end(), {"-H", "authorization: " + passkey});
    argv.insert(argv.end(), {"-H", "content-type: " + content_type});
    RunResult r = run(argv);
    Answer a;
    a.status = std::atoi(r.out.c_str());
    a.body = file_exists(dir_ / "body") ? read_text(dir_ / "body") : "";
    return a;
  }
  void expect_serror(const Answer& a, int status, const std::string& says) {
    EXPECT_EQ(a.status, status) << a.body;
    Json j = a.json();
    ASSERT_TRUE(j.is_object()) << a.body;
    EXPECT_TRUE(j["trace"].is_array()) << a.body;
    EXPECT_NE(j.value("error", "").find(says), std::string::npos) << a.body;
    EXPECT_EQ(post(R"({"type":"GetHealth","params":{}})").status, 200)
        << "the agent stopped serving";
  }

  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(Agent, AnswersKomodoRequestsAndRejectsBadOnesWithSerror) {
  start();
  struct stat st {};
  ASSERT_EQ(::stat((dir_.path() + "/root/ssl/key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Answer a = post(R"({"type":"GetHealth","params":{}})");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "{}");
  a = post(R"({"type":"GetVersion","params":{}})");
  EXPECT_EQ(a.json()["version"], "1.19.5");
  a = post(R"({"type":"GetSystemInformation","params":{}})");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_GT(a.json()["core_count"].get<int>(), 0);
  EXPECT_FALSE(a.json()["kernel"].get<std::string>().empty());
  post(R"({"type":"GetSystemStats","params":{}})");
  a = post(R"({"type":"GetSystemStats","params":{}})");
  ASSERT_EQ(a.status, 200) << a.body;
  Json stats = a.json();
  EXPECT_GT(stats["mem_total_gb"].get<double>(), 0.1);
  EXPECT_GE(stats["cpu_perc"].get<double>(), 0.0);
  EXPECT_EQ(stats["polling_rate"], "5-sec");
  ASSERT_FALSE(stats["disks"].empty()) << a.body;
  for (const auto& d : stats["disks"])
    EXPECT_NE(d["file_system"], "overlay");
  std::filesystem::create_directories(dir_.path() + "/root/stacks/my_stack/app");
  write_text(dir_.path() + "/root/stacks/my_stack/app/compose.yaml", "services: {}\n");
  a = post(R"({"type":"GetComposeContentsOnHost","params":{"name":"my stack",)"
           R"("run_directory":"app","file_paths":["compose.yaml",{"path":"gone.yaml"}]}})");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.json()["contents"][0]["contents"], "services: {}\n");
  EXPECT_EQ(a.json()["errors"][0]["path"], "gone.yaml");
  expect_serror(post(R"({"type":"GetHealth","params":{}})", "pk-2"), 401,
                "request passkey invalid");
  expect_serror(post(R"({"type":"GetHealth","params":{}})", ""), 401,
                "request was not sent with passkey");
  expect_serror(post(R"({"type":"GetHealth",)"), 400, "Failed to parse the request body as JSON");
  expect_serror(post(R"({"type":"LaunchRockets","params":{}})"), 422,
                "unknown variant `LaunchRockets`");
  expect_serror(post(R"({"type":"GetContainerLog","params":{"tail":5}})"), 422,
                "missing field `name`");
  expect_serror(post(R"({"type":"GetHealth"})"), 422, "missing field `params`");
  expect_serror(post(R"({"type":"GetHealth","params":{}})", "pk-1", "text/plain"), 415,
                "Content-Type: application/json");
  expect_serror(post(std::string(33u << 20, ' ')), 413, "larger than");
}

TEST_F(Agent, ADisallowedIpIsRefused) {
  start("allowed_ips = [\"10.0.0.0/8\"]\n");
  Answer a = post(R"({"type":"GetHealth","params":{}})");
  EXPECT_EQ(a.status, 401);
  EXPECT_NE(a.body.find("requesting ip 127.0.0.1 not allowed"), std::string::npos) << a.body;
}

TEST_F(Agent, ContainerLogsAndLifecycleThroughTheEngine) {
  VARAN_REQUIRE_ENGINE();
  ensure_test_images();
  auto& c = engine_client();
  std::string name = "varan-test-periphery-log";
  try {
    c.remove_container(name, true);
  } catch (const std::exception&) {
  }
  Json body = {{"Image", "varan-test/exit"}, {"Labels", {{"varan.test.case", "periphery"}}}};
  c.start_container(c.create_container(name, body));
  c.wait_container(name);
  start();
  Answer a = post(R"({"type":"GetContainerLog","params":{"name":")" + name + R"(","tail":10}})");
  ASSERT_EQ(a.status, 200) << a.body;
  Json log = a.json();
  EXPECT_EQ(log["stage"], "get container log");
  EXPECT_EQ(log["stdout"], "out\n");
  EXPECT_EQ(log["stderr"], "err\n");
  EXPECT_TRUE(log["success"].get<bool>());
  EXPECT_GE(log["end_ts"].get<std::int64_t>(), log["start_ts"].get<std::int64_t>());
  a = post(R"({"type":"RemoveContainer","params":{"name":")" + name + R"(","time":1}})");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_TRUE(a.json()["success"].get<bool>()) << a.body;
  a = post(R"({"type":"StartContainer","params":{"name":")" + name + R"("}})");
  EXPECT_EQ(a.status, 200);
  EXPECT_FALSE(a.json()["success"].get<bool>());
  EXPECT_NE(a.json()["stderr"].get<std::string>().find(name), std::string::npos) << a.body;
}

// Driven as Komodo Core 1.19 drives it: ComposeUp of a Stack resource whose repo is served
// over smart HTTP with a token from the agent's git_providers and a sops-decrypt
// pre_deploy; then GetDockerLists, GetContainerLog, ComposeExecution stop and down; and
// StopAllContainers, which skips a komodo.skip container.
TEST_F(Agent, DeploysAStackFromGitAsKomodoCoreDoes) {
  VARAN_REQUIRE_ENGINE();
  VARAN_REQUIRE_WHOLE_ENGINE();
  ensure_test_images();
  const std::string token = "tok-periphery-5a1c93";
  GitServer git("token", token);
  VARAN_REQUIRE(git.problem().empty(), git.problem());
  std::string work = dir_ / "work", key = dir_ / "key.txt";
  ASSERT_EQ(run({VARAN_BIN, "age", "keygen", "-o", key}).status, 0);
  std::string recipient = run({VARAN_BIN, "age", "keygen", "-y", key}).out;
  recipient.pop_back();
  git.create_repo("stacks", work);
  write_text(work + "/.sops.yaml",
             "creation_rules:\n  - path_regex: \\.sops\\.env$\n    age: " + recipient + "\n");
  std::filesystem::create_directories(work + "/app");
  write_text(work + "/app/compose.yaml",
             "services:\n"
             "  one:\n    image: varan-test/sleep\n    init: true\n    env_file: .env\n"
             "  two:\n    image: varan-test/sleep\n    init: true\n");
  write_text(work + "/app/.sops.env", "DB_PASSWORD=from-sops\n");
  ASSERT_EQ(run({VARAN_BIN, "secrets", "encrypt", "-i", "app/.sops.env"}, {.cwd = work}).status, 0);
  git.commit(work, "stack");
  std::string provider = "127.0.0.1:" + std::to_string(git.port());
  start("stack_dir = \"" + dir_.path() + "/stacks\"\n[[git_provider]]\ndomain = \"" + provider +
            "\"\nhttps = false\naccounts = [{ username = \"token\", token = \"" + token + "\" }]\n",
        {{"SOPS_AGE_KEY_FILE", key}});
  const std::string project = "vpt-stack";
  auto cleanup = [&] {
    auto& c = engine_client();
    for (const auto& ct : c.list_containers(
             true, {{"label", {std::string(compose::labels::kProject) + "=" + project}}}))
      c.remove_container(ct.id, true);
    for (const char* n : {"vpt-skip", "vpt-plain"})
      try {
        c.remove_container(n, true);
      } catch (const std::exception&) {
      }
  };
  cleanup();
  Json up = {{"type", "ComposeUp"},
             {"params",
              {{"stack",
                {{"_id", {{"$oid", "6650c0ffee0000000000a001"}}},
                 {"name", project},
                 {"description", ""},
                 {"tags", Json::array()},
                 {"info", {{"deployed_project_name", nullptr}}},
                 {"config",
                  {{"repo", "stacks.git"},
                   {"git_provider", provider},
                   {"git_https", false},
                   {"git_account", "token"},
                   {"branch", "main"},
                   {"run_directory", "app"},
                   {"file_paths", Json::array({"compose.yaml"})},
                   {"environment", ""},
                   {"env_file_path", ".env"},
                   {"pre_deploy", {{"path", ""}, {"command", "sops-decrypt.sh"}}},
                   {"post_deploy", {{"path", ""}, {"command", ""}}},
                   {"auto_pull", false},
                   {"extra_args", Json::array()}}}}},
               {"services", Json::array()},
               {"repo", nullptr},
               {"git_token", nullptr},
               {"registry_token", nullptr},
               {"replacers", Json::array()}}}};
  Answer a = post(up.dump());
  ASSERT_EQ(a.status, 200) << a.body;
  Json res = a.json();
  EXPECT_TRUE(res["deployed"].get<bool>()) << a.body;
  EXPECT_EQ(res["services"].size(), 2u) << a.body;
  EXPECT_EQ(res["commit_hash"].get<std::string>().size(), 7u);
  EXPECT_EQ(res["missing_files"], Json::array());
  EXPECT_EQ(a.body.find(token), std::string::npos);
  EXPECT_EQ(a.body.find("from-sops"), std::string::npos) << "a decrypted value in the response";
  bool pre = false;
  for (const auto& l : res["logs"])
    pre = pre || (l["stage"] == "Pre Deploy" && l["success"].get<bool>());
  EXPECT_TRUE(pre) << a.body;
  std::string env;
  for (const auto& e : engine_client().inspect_container(project + "-one-1").env)
    env += e + "\n";
  EXPECT_NE(env.find("DB_PASSWORD=from-sops\n"), std::string::npos);

  a = post(R"({"type":"GetDockerLists","params":{}})");
  ASSERT_EQ(a.status, 200);
  Json lists = a.json();
  bool listed = false, project_listed = false;
  for (const auto& c : lists["containers"]["Ok"])
    listed = listed || c["name"] == project + "-one-1";
  for (const auto& p : lists["projects"]["Ok"])
    project_listed = project_listed || p["name"] == project;
  EXPECT_TRUE(listed && project_listed) << a.body.substr(0, 2000);
  EXPECT_TRUE(lists["images"].contains("Ok"));
  EXPECT_TRUE(lists["networks"].contains("Ok"));
  EXPECT_TRUE(lists["volumes"].contains("Ok"));

  a = post(Json{{"type", "GetContainerLog"}, {"params", {{"name", project + "-one-1"}}}}.dump());
  EXPECT_EQ(a.status, 200);
  EXPECT_TRUE(a.json()["success"].get<bool>());

  a = post(Json{{"type", "ComposeExecution"},
                {"params", {{"project", project}, {"command", "stop --timeout 1 two"}}}}
               .dump());
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(engine_client().inspect_container(project + "-two-1").state.status, "exited");
  EXPECT_EQ(engine_client().inspect_container(project + "-one-1").state.status, "running");
  a = post(Json{{"type", "ComposeExecution"},
                {"params", {{"project", project}, {"command", "build --no-cache"}}}}
               .dump());
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(a.body.find("build --no-cache"), std::string::npos) << a.body;
  a = post(Json{{"type", "ComposeExecution"},
                {"params", {{"project", project}, {"command", "down --remove-orphans"}}}}
               .dump());
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_TRUE(engine_client()
                  .list_containers(
                      true, {{"label", {std::string(compose::labels::kProject) + "=" + project}}})
                  .empty());

  auto& c = engine_client();
  c.start_container(c.create_container(
      "vpt-skip", {{"Image", "varan-test/sleep"},
                   {"Labels", {{"komodo.skip", ""}, {"varan.test.case", "periphery"}}},
                   {"HostConfig", {{"Init", true}}}}));
  c.start_container(c.create_container("vpt-plain", {{"Image", "varan-test/sleep"},
                                                     {"Labels", {{"varan.test.case", "periphery"}}},
                                                     {"HostConfig", {{"Init", true}}}}));
  a = post(R"({"type":"StopAllContainers","params":{}})");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_TRUE(a.json().is_array());
  EXPECT_EQ(c.inspect_container("vpt-skip").state.status, "running");
  EXPECT_EQ(c.inspect_container("vpt-plain").state.status, "exited");
  cleanup();
}

TEST(PeripheryConfig, YamlFilesReadAsKomodoReadsThem) {
  TempDir d;
  write_text(d / "p.yaml",
             "port: 8200\nssl_enabled: false\npasskeys: [\"a\", b]\nroot_directory: /srv/k\n"
             "secrets:\n  PIN: \"0042\"\nstats_polling_rate: 1-min\n");
  Config c = load_config({d / "p.yaml"}, {});
  EXPECT_EQ(c.port, 8200);
  EXPECT_FALSE(c.ssl_enabled);
  EXPECT_EQ(c.passkeys, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c.stack_dir, "/srv/k/stacks");
  EXPECT_EQ(c.secrets.at("PIN"), "0042");
  EXPECT_EQ(c.stats_polling_rate, "1-min");
  write_text(d / "bad.yml", "port: [1\n");
  try {
    load_config({d / "bad.yml"}, {});
    ADD_FAILURE() << "a broken YAML file was taken";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.yml"), std::string::npos) << e.what();
  }
  write_text(d / "list.yaml", "- 1\n");
  EXPECT_THROW(load_config({d / "list.yaml"}, {}), ConfigError);
}

TEST(PeripheryConfig, StatsPollingRateIsAKomodoTimeLength) {
  EXPECT_EQ(polling_ms("1-sec"), 1000);
  EXPECT_EQ(polling_ms("5-sec"), 5000);
  EXPECT_EQ(polling_ms("1-min"), 60000);
  EXPECT_EQ(polling_ms("1-hr"), 3600000);
  EXPECT_EQ(polling_ms("5 seconds"), 0);
  EXPECT_EQ(polling_ms("-sec"), 0);
  try {
    load_config({}, {{"PERIPHERY_STATS_POLLING_RATE", "5-seconds"}});
    ADD_FAILURE() << "an invalid stats_polling_rate was taken";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("stats_polling_rate"), std::string::npos) << e.what();
  }
}

// Stats are read on the agent's own timer: answers carry the time of the last reading,
// which moves on by the polling rate whether or not anyone asks.
TEST_F(Agent, SystemStatsAreRefreshedAtThePollingRate) {
  start("stats_polling_rate = \"1-sec\"\n");
  auto refresh = [&] {
    Answer a = post(R"({"type":"GetSystemStats","params":{}})");
    EXPECT_EQ(a.status, 200) << a.body;
    EXPECT_EQ(a.json()["polling_rate"], "1-sec");
    return a.json()["refresh_ts"].get<std::int64_t>();
  };
  // Readings move on without being asked: wait (30 s at most, a liveness bound, not a timing
  // assertion) for two newer readings.
  std::int64_t t0 = refresh(), t1 = t0;
  for (int i = 0; i < 300 && t1 == t0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    t1 = refresh();
  }
  EXPECT_GT(t1, t0) << "no new reading in 30 s at a 1-sec rate";
  std::int64_t t2 = t1;
  for (int i = 0; i < 300 && t2 == t1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    t2 = refresh();
  }
  EXPECT_GT(t2, t1) << "the timer stopped after one reading";
  // A reading is never newer than the answer that carries it.
  std::int64_t t3 = refresh();
  auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  EXPECT_LE(t3, after);
  EXPECT_GE(t3, t2);
}

// Requests run concurrently: while a long request (a RunCommand of 10 s) is in flight,
// GetHealth and GetSystemStats are answered; the long one is still running afterwards.
TEST_F(Agent, ALongRequestDoesNotHoldUpHealthOrStats) {
  start();
  write_text(dir_ / "long.json",
             R"({"type":"RunCommand","params":{"command":{"path":"","command":"touch )" +
                 dir_ / "slow.started" + R"(; sleep 10"}}})");
  pid_t slow =
      spawn_background({"curl", "-sk", "-H", "authorization: pk-1", "-H",
                        "content-type: application/json", "--data-binary", "@" + dir_ / "long.json",
                        "https://127.0.0.1:" + std::to_string(port_) + "/"},
                       dir_ / "slow.log");
  // The slow one is in once its command has started (30 s at most).
  for (int i = 0; i < 300 && !file_exists(dir_ / "slow.started"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(file_exists(dir_ / "slow.started")) << "the slow RunCommand never started";
  EXPECT_EQ(post(R"({"type":"GetHealth","params":{}})").status, 200);
  EXPECT_EQ(post(R"({"type":"GetSystemStats","params":{}})").status, 200);
  int status = 0;
  EXPECT_EQ(::waitpid(slow, &status, WNOHANG), 0) << "the long request ended first";
  stop_background(slow);
}

// The agent's secrets never leave it: a RunCommand that prints one gets it masked.
TEST_F(Agent, SecretsAreMaskedInAnswers) {
  start("[secrets]\nAPI_TOKEN = \"tok-9d8e7f6a\"\n");
  Answer a = post(
      R"({"type":"RunCommand","params":{"command":{"path":"","command":"echo tok-9d8e7f6a; echo tok-9d8e7f6a >&2"}}})");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body.find("tok-9d8e7f6a"), std::string::npos) << a.body;
  EXPECT_NE(a.json()["stdout"].get<std::string>().find("API_TOKEN"), std::string::npos) << a.body;
  EXPECT_TRUE(a.json()["success"].get<bool>());
}

// GetContainerLogSearch as Komodo's `grep -E` (Or) and lookahead (And) pipelines select
// lines, done in-process over the last 5000 lines of both streams.
TEST_F(Agent, SearchesContainerLogsInProcess) {
  VARAN_REQUIRE_ENGINE();
  ensure_test_images();
  auto& c = engine_client();
  std::string name = "varan-test-periphery-search";
  try {
    c.remove_container(name, true);
  } catch (const std::exception&) {
  }
  Json body = {{"Image", "varan-test/sleep"},
               {"Entrypoint",
                {"sh", "-c",
                 "printf 'alpha one\\nbeta two\\nalpha beta\\ngamma 42\\n'; echo 'err delta' >&2"}},
               {"Labels", {{"varan.test.case", "periphery"}}}};
  c.start_container(c.create_container(name, body));
  c.wait_container(name);
  start();
  auto search = [&](const Json& terms, const std::string& combinator, bool invert) {
    Answer a = post(Json{{"type", "GetContainerLogSearch"},
                         {"params",
                          {{"name", name},
                           {"terms", terms},
                           {"combinator", combinator},
                           {"invert", invert},
                           {"timestamps", false}}}}
                        .dump());
    EXPECT_EQ(a.status, 200) << a.body;
    return a.json();
  };
  Json r = search({"alpha", "gamma"}, "Or", false);
  EXPECT_EQ(r["stdout"], "alpha one\nalpha beta\ngamma 42\n") << r;
  EXPECT_TRUE(r["success"].get<bool>());
  EXPECT_NE(r["command"].get<std::string>().find("grep -E 'alpha|gamma'"), std::string::npos);
  r = search({"alpha", "beta"}, "And", false);
  EXPECT_EQ(r["stdout"], "alpha beta\n") << r;
  r = search({"alpha"}, "Or", true);
  std::string out = r["stdout"];
  EXPECT_NE(out.find("beta two\n"), std::string::npos) << r;
  EXPECT_NE(out.find("gamma 42\n"), std::string::npos) << r;
  EXPECT_NE(out.find("err delta\n"), std::string::npos) << "stderr is searched too: " << r;
  EXPECT_EQ(out.find("alpha"), std::string::npos) << r;
  r = search({"^ga[a-z]+ [0-9]{2}$"}, "Or", false);
  EXPECT_EQ(r["stdout"], "gamma 42\n") << r;
  r = search({"zeta"}, "Or", false);
  EXPECT_EQ(r["stdout"], "");
  EXPECT_FALSE(r["success"].get<bool>()) << "grep's status: nothing selected";
  r = search({"(unclosed"}, "Or", false);
  EXPECT_FALSE(r["success"].get<bool>());
  EXPECT_NE(r["stderr"].get<std::string>().find("(unclosed"), std::string::npos) << r;
  Answer a = post(Json{{"type", "GetContainerLogSearch"},
                       {"params", {{"name", name}, {"terms", {"a"}}, {"combinator", "Xor"}}}}
                      .dump());
  EXPECT_EQ(a.status, 422) << a.body;
  c.remove_container(name, true);
}

// CloneRepo, PullRepo and PullOrCloneRepo with Komodo's RepoExecArgs block: the token from
// the agent's git_providers, the environment written (secrets interpolated, masked in the
// answer), on_clone/on_pull run in the checkout.
TEST_F(Agent, ClonesAndPullsReposAsKomodoCoreAsks) {
  const std::string token = "tok-repo-31c0ffee";
  GitServer git("token", token);
  VARAN_REQUIRE(git.problem().empty(), git.problem());
  std::string work = dir_ / "work";
  git.create_repo("infra", work);
  write_text(work + "/README", "one\n");
  std::string first = git.commit(work, "first");
  std::string provider = "127.0.0.1:" + std::to_string(git.port());
  start("[secrets]\nDB_PASS = \"pw-55aa77\"\n[[git_provider]]\ndomain = \"" + provider +
        "\"\nhttps = false\naccounts = [{ username = \"token\", token = \"" + token + "\" }]\n");
  auto request = [&](const std::string& type, const std::string& name, const Json& extra) {
    Json params = {{"args",
                    {{"name", name},
                     {"provider", provider},
                     {"https", false},
                     {"account", "token"},
                     {"repo", "infra"},
                     {"branch", "main"},
                     {"commit", nullptr},
                     {"destination", nullptr},
                     {"default_folder", "Repos"}}},
                   {"git_token", nullptr},
                   {"environment", Json::array()},
                   {"env_file_path", ".env"},
                   {"skip_secret_interp", false},
                   {"replacers", Json::array()}};
    params.update(extra);
    return post(Json{{"type", type}, {"params", params}}.dump());
  };
  std::string repo = dir_.path() + "/root/repos/infra";
  Answer a = request("CloneRepo", "infra",
                     {{"environment", {{{"variable", "DB"}, {"value", "[[DB_PASS]]"}}}},
                      {"on_clone", {{"path", ""}, {"command", "touch cloned"}}},
                      {"on_pull", nullptr}});
  ASSERT_EQ(a.status, 200) << a.body;
  Json res = a.json();
  EXPECT_EQ(res["res"]["path"], repo);
  EXPECT_EQ(res["res"]["commit_hash"], first.substr(0, 7)) << a.body;
  EXPECT_EQ(res["res"]["commit_message"], "first");
  EXPECT_EQ(res["env_file_path"], repo + "/.env");
  EXPECT_EQ(read_text(repo + "/README"), "one\n");
  EXPECT_EQ(read_text(repo + "/.env"), "DB=pw-55aa77\n");
  EXPECT_TRUE(file_exists(repo + "/cloned")) << a.body;
  EXPECT_EQ(a.body.find(token), std::string::npos);
  EXPECT_EQ(a.body.find("pw-55aa77"), std::string::npos);
  for (const auto& l : res["res"]["logs"])
    EXPECT_TRUE(l["success"].get<bool>()) << l;

  write_text(work + "/README", "two\n");
  std::string second = git.commit(work, "second");
  a = request("PullRepo", "infra", {{"on_pull", {{"path", ""}, {"command", "touch pulled"}}}});
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.json()["res"]["commit_hash"], second.substr(0, 7)) << a.body;
  EXPECT_EQ(read_text(repo + "/README"), "two\n");
  EXPECT_TRUE(file_exists(repo + "/pulled"));
  EXPECT_TRUE(file_exists(repo + "/.env")) << "a pull keeps untracked files";
  EXPECT_TRUE(a.json()["env_file_path"].is_null());

  a = request("PullOrCloneRepo", "infra copy",
              {{"args",
                {{"name", "infra copy"},
                 {"provider", provider},
                 {"https", false},
                 {"account", "token"},
                 {"repo", "infra"},
                 {"branch", "main"},
                 {"commit", first},
                 {"destination", "checkout"},
                 {"default_folder", "Stacks"}}}});
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.json()["res"]["path"], dir_.path() + "/root/stacks/infra_copy/checkout");
  EXPECT_EQ(a.json()["res"]["commit_hash"], first.substr(0, 7)) << a.body;
  EXPECT_EQ(a.json()["res"]["logs"][0]["stage"], "Clone Repo");

  a = request("PullRepo", "infra", {{"git_token", "wrong-token"}});
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_FALSE(a.json()["res"]["logs"][0]["success"].get<bool>()) << a.body;
  EXPECT_EQ(a.body.find("wrong-token"), std::string::npos) << a.body;

  Json na = {{"name", "x"},        {"provider", provider},   {"https", false},
             {"account", nullptr}, {"repo", "infra"},        {"branch", "main"},
             {"commit", nullptr},  {"destination", nullptr}, {"default_folder", "NotApplicable"}};
  expect_serror(request("CloneRepo", "x", {{"args", na}}), 400, "NotApplicable");
  expect_serror(post(R"({"type":"PullRepo","params":{"git_token":null}})"), 422,
                "missing field `args`");
}

// PruneSystem is `docker system prune -a -f --volumes` done with the engine's prune calls.
// Every image already on the engine (other tests' images, the periphery image's build
// cache) is kept in use by a running container meanwhile, so only what this test made is
// unused: a stopped container, a network and a volume.
TEST_F(Agent, PruneSystemRemovesWhatIsUnused) {
  VARAN_REQUIRE_ENGINE();
  VARAN_REQUIRE_WHOLE_ENGINE();
  ensure_test_images();
  auto& c = engine_client();
  const std::string busybox = "/bin/busybox";
  VARAN_REQUIRE(file_exists(busybox), "no static busybox at /bin/busybox");
  std::vector<std::string> keepers;
  auto remove_all = [&] {
    for (const auto& k : c.list_containers(true, {{"label", {"varan.test.case=periphery-prune"}}}))
      c.remove_container(k.id, true);
  };
  remove_all();
  std::vector<std::string> images_before;
  for (const auto& img : c.list_images()) {
    images_before.push_back(img.id);
    Json body = {{"Image", img.id},
                 // busybox picks its applet by the name it runs as: keep that "busybox".
                 {"Entrypoint", {"/varan-keeper/busybox", "sleep", "600"}},
                 {"Cmd", nullptr},
                 {"User", "0"},
                 {"Labels", {{"varan.test.case", "periphery-prune"}, {"komodo.skip", "false"}}},
                 {"HostConfig",
                  {{"Binds", {busybox + ":/varan-keeper/busybox:ro"}}, {"NetworkMode", "none"}}}};
    std::string id = c.create_container("", body);
    keepers.push_back(id);
    c.start_container(id);
  }
  // Never prune unless every image is held: a keeper that is not running holds nothing.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  for (const auto& id : keepers)
    if (c.inspect_container(id).state.status != "running") {
      remove_all();
      FAIL() << "a keeper container did not keep running; not pruning: " << id;
    }
  // What the prune must take: a stopped container, and a network and a volume nothing uses.
  std::string stopped = c.create_container(
      "", {{"Image", "varan-test/exit"}, {"Labels", {{"varan.test.case", "periphery-prune"}}}});
  c.start_container(stopped);
  c.wait_container(stopped);
  c.create_network({{"Name", "varan-test-prune-net"}, {"Labels", {{"varan.test", "1"}}}});
  c.create_volume({{"Name", "varan-test-prune-vol"}, {"Labels", {{"varan.test", "1"}}}});
  start();
  Answer a = post(R"({"type":"PruneSystem","params":{}})");
  ASSERT_EQ(a.status, 200) << a.body;
  Json log = a.json();
  EXPECT_TRUE(log["success"].get<bool>()) << a.body;
  EXPECT_EQ(log["command"], "docker system prune -a -f --volumes");
  std::string out = log["stdout"];
  EXPECT_NE(out.find(stopped), std::string::npos) << out;
  EXPECT_NE(out.find("varan-test-prune-net"), std::string::npos) << out;
  EXPECT_NE(out.find("varan-test-prune-vol"), std::string::npos) << out;
  EXPECT_NE(out.find("Total reclaimed space: "), std::string::npos) << out;
  EXPECT_THROW(c.inspect_container(stopped), std::exception);
  EXPECT_TRUE(c.list_networks({{"name", {"varan-test-prune-net"}}}).empty());
  EXPECT_TRUE(c.list_volumes({{"name", {"varan-test-prune-vol"}}}).empty());
  std::set<std::string> after;
  for (const auto& img : c.list_images())
    after.insert(img.id);
  for (const auto& id : images_before)
    EXPECT_TRUE(after.contains(id)) << "an image in use was pruned: " << id;
  remove_all();
}

// The other two stack sources Core sends: a linked Repo resource (checked out under the
// agent's repo_dir, shared by stacks) and an inline repo with a clone_path and reclone
// (a fresh checkout each deploy).
TEST_F(Agent, ComposeUpFromALinkedRepoAndFromAClonePathWithReclone) {
  VARAN_REQUIRE_ENGINE();
  ensure_test_images();
  const std::string token = "tok-linked-77e1";
  GitServer git("token", token);
  VARAN_REQUIRE(git.problem().empty(), git.problem());
  std::string work = dir_ / "work";
  git.create_repo("shared", work);
  std::filesystem::create_directories(work + "/app");
  write_text(work + "/app/compose.yaml",
             "services:\n  one:\n    image: varan-test/sleep\n    init: true\n");
  git.commit(work, "shared stack");
  std::string provider = "127.0.0.1:" + std::to_string(git.port());
  start("[[git_provider]]\ndomain = \"" + provider +
        "\"\nhttps = false\naccounts = [{ username = \"token\", token = \"" + token + "\" }]\n");
  auto& c = engine_client();
  auto cleanup = [&] {
    for (const char* project : {"vpt-linked", "vpt-clone"})
      for (const auto& ct : c.list_containers(
               true, {{"label", {std::string(compose::labels::kProject) + "=" + project}}}))
        c.remove_container(ct.id, true);
  };
  cleanup();
  Json up = {{"type", "ComposeUp"},
             {"params",
              {{"stack",
                {{"name", "vpt-linked"},
                 {"config",
                  {{"run_directory", "app"},
                   {"file_paths", {"compose.yaml"}},
                   {"linked_repo", "6650c0ffee0000000000b002"},
                   {"auto_pull", false}}}}},
               {"services", Json::array()},
               {"repo",
                {{"name", "shared repo"},
                 {"config",
                  {{"repo", "shared.git"},
                   {"git_provider", provider},
                   {"git_https", false},
                   {"git_account", "token"},
                   {"branch", "main"},
                   {"path", ""}}}}},
               {"git_token", nullptr},
               {"replacers", Json::array()}}}};
  Answer a = post(up.dump());
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_TRUE(a.json()["deployed"].get<bool>()) << a.body;
  EXPECT_TRUE(file_exists(dir_.path() + "/root/repos/shared_repo/app/compose.yaml")) << a.body;
  EXPECT_EQ(c.inspect_container("vpt-linked-one-1").state.status, "running");
  EXPECT_EQ(a.body.find(token), std::string::npos);

  Json inline_up = {{"type", "ComposeUp"},
                    {"params",
                     {{"stack",
                       {{"name", "vpt-clone"},
                        {"config",
                         {{"repo", "shared.git"},
                          {"git_provider", provider},
                          {"git_https", false},
                          {"git_account", "token"},
                          {"clone_path", "src"},
                          {"reclone", true},
                          {"run_directory", "app"},
                          {"auto_pull", false}}}}},
                      {"services", Json::array()},
                      {"repo", nullptr},
                      {"replacers", Json::array()}}}};
  a = post(inline_up.dump());
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_TRUE(a.json()["deployed"].get<bool>()) << a.body;
  std::string checkout = dir_.path() + "/root/stacks/vpt-clone/src";
  ASSERT_TRUE(file_exists(checkout + "/app/compose.yaml")) << a.body;
  write_text(checkout + "/stray", "left by hand\n");
  std::string id = c.inspect_container("vpt-clone-one-1").id;
  a = post(inline_up.dump());
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_TRUE(a.json()["deployed"].get<bool>()) << a.body;
  EXPECT_FALSE(file_exists(checkout + "/stray")) << "reclone keeps the old checkout";
  EXPECT_EQ(a.json()["logs"][0]["stage"], "Clone Repo") << a.body;
  EXPECT_EQ(c.inspect_container("vpt-clone-one-1").id, id) << "an unchanged stack was recreated";
  cleanup();
}

// registry_provider + registry_account: the pull goes out with the account's credentials
// (from the agent's docker_registries), which a registry asking for them receives through
// the real engine; the token is in no answer. Without a token, nothing is deployed and the
// Log names the account and where to set it.
TEST_F(Agent, ComposeUpPullsWithTheStacksRegistryAccount) {
  VARAN_REQUIRE_ENGINE();
  int reg_port = free_port();
  std::string seen = dir_ / "authorizations";
  pid_t registry =
      spawn_background({"python3", std::string(SOURCE_DIR) + "/tests/support/fake_registry.py",
                        std::to_string(reg_port), seen},
                       dir_ / "registry.log");
  ASSERT_TRUE(wait_for_port(reg_port)) << read_text(dir_ / "registry.log");
  std::string domain = "localhost:" + std::to_string(reg_port);
  const std::string token = "reg-tok-4b1d";
  start("[[docker_registry]]\ndomain = \"" + domain +
        "\"\naccounts = [{ username = \"deployer\", token = \"" + token + "\" }]\n");
  auto up = [&](const std::string& account) {
    Json req = {
        {"type", "ComposeUp"},
        {"params",
         {{"stack",
           {{"name", "vpt-registry"},
            {"config",
             {{"file_contents", "services:\n  app:\n    image: " + domain + "/varan/app:1\n"},
              {"registry_provider", domain},
              {"registry_account", account},
              {"auto_pull", true}}}}},
          {"services", Json::array()},
          {"registry_token", nullptr},
          {"replacers", Json::array()}}}};
    return post(req.dump());
  };
  Answer a = up("deployer");
  stop_background(registry);
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_FALSE(a.json()["deployed"].get<bool>()) << "the registry has no such image: " << a.body;
  EXPECT_NE(a.body.find("can't pull"), std::string::npos) << a.body;
  EXPECT_EQ(a.body.find(token), std::string::npos) << a.body;
  std::string expected =
      "Basic " +
      base64::encode(std::span(reinterpret_cast<const std::uint8_t*>("deployer:reg-tok-4b1d"),
                               std::strlen("deployer:reg-tok-4b1d")));
  ASSERT_TRUE(file_exists(seen)) << "the engine sent no credentials: " << a.body;
  EXPECT_NE(read_text(seen).find(expected + "\n"), std::string::npos) << read_text(seen);

  a = up("nobody");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_FALSE(a.json()["deployed"].get<bool>());
  EXPECT_EQ(a.json()["logs"][0]["stage"], "Docker Login") << a.body;
  EXPECT_NE(a.json()["logs"][0]["stderr"].get<std::string>().find("\"nobody\""), std::string::npos)
      << a.body;
}

// The agent's secrets are interpolated into a UI-defined stack's contents (as Komodo's
// periphery does), never shown in the answer; skip_secret_interp leaves [[NAME]] as it is.
TEST_F(Agent, SecretsAreInterpolatedIntoStackContentsUnlessSkipped) {
  VARAN_REQUIRE_ENGINE();
  ensure_test_images();
  start("[secrets]\nAPP_SECRET = \"sec-3a5c7e\"\n");
  auto& c = engine_client();
  auto cleanup = [&] {
    for (const auto& ct : c.list_containers(
             true, {{"label", {std::string(compose::labels::kProject) + "=vpt-interp"}}}))
      c.remove_container(ct.id, true);
  };
  cleanup();
  auto up = [&](bool skip) {
    Json req = {{"type", "ComposeUp"},
                {"params",
                 {{"stack",
                   {{"name", "vpt-interp"},
                    {"config",
                     {{"file_contents",
                       "services:\n  app:\n    image: varan-test/sleep\n    init: true\n"
                       "    environment:\n      SECRET: \"[[APP_SECRET]]\"\n"},
                      {"skip_secret_interp", skip},
                      {"auto_pull", false}}}}},
                  {"services", Json::array()},
                  {"replacers", Json::array()}}}};
    return post(req.dump());
  };
  auto env = [&] {
    std::string all;
    for (const auto& e : c.inspect_container("vpt-interp-app-1").env)
      all += e + "\n";
    return all;
  };
  Answer a = up(false);
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_TRUE(a.json()["deployed"].get<bool>()) << a.body;
  EXPECT_NE(env().find("SECRET=sec-3a5c7e\n"), std::string::npos) << env();
  EXPECT_EQ(a.body.find("sec-3a5c7e"), std::string::npos) << a.body;
  a = up(true);
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_TRUE(a.json()["deployed"].get<bool>()) << a.body;
  EXPECT_NE(env().find("SECRET=[[APP_SECRET]]\n"), std::string::npos) << env();
  cleanup();
}

}  // namespace
}  // namespace varan::test
