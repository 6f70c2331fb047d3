// `varan compose` on the real engine: the labels compose tools read, interop with Debian's
// docker-compose, the plan's reasons, and bad input (port taken, image missing, unhealthy
// dependency, cycle, unset required variable): one clear message naming the service, and
// the containers that ran before still run.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "engine/compose/commands.h"
#include "engine/compose/labels.h"
#include "engine/compose/load.h"
#include "tests/support/engine_support.h"

namespace varan::test {
namespace {

namespace labels = compose::labels;

class ComposeUp : public ::testing::Test {
 protected:
  void SetUp() override {
    VARAN_REQUIRE_ENGINE();
    ensure_test_images();
    std::string n = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    project_ = "vut-";
    for (char c : n)
      project_ += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    down();
  }
  void TearDown() override {
    if (engine_problem().empty()) down();
  }
  void down() {
    run({VARAN_BIN, "compose", "-p", project_, "down", "-v", "--remove-orphans", "-t", "0"});
  }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  RunResult varan(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    std::vector<std::string> argv = {VARAN_BIN, "compose", "-p", project_};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, {.env = env, .cwd = dir_.path()});
  }
  // service#number -> ID, of running containers.
  std::map<std::string, std::string> running() {
    std::map<std::string, std::string> out;
    for (const auto& c : engine_client().list_containers(
             false, {{"label", {std::string(labels::kProject) + "=" + project_}}}))
      out[c.labels.at(labels::kService) + "#" + c.labels.at(labels::kNumber)] = c.id;
    return out;
  }
  std::string project_;
  TempDir dir_;
};

const char* kTwo =
    "services:\n"
    "  web:\n    image: varan-test/httpd\n    stop_grace_period: 1s\n    environment: {A: \"1\"}\n"
    "    labels: {mine: yes-please}\n"
    "  side:\n    image: varan-test/sleep\n    stop_grace_period: 1s\n";

TEST_F(ComposeUp, WritesComposeLabelsAndDockerComposeSeesTheContainers) {
  write("compose.yaml", kTwo);
  write(".env", "UNUSED=1\n");
  RunResult r = varan({"up", "-d"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto c = engine_client().inspect_container(project_ + "-web-1");
  const auto& l = c.labels;
  EXPECT_EQ(l.at(labels::kProject), project_);
  EXPECT_EQ(l.at(labels::kService), "web");
  EXPECT_EQ(l.at(labels::kNumber), "1");
  EXPECT_EQ(l.at(labels::kOneOff), "False");
  EXPECT_EQ(l.at(labels::kConfigHash).size(), 64u);
  EXPECT_EQ(l.at(labels::kImage), engine_client().inspect_image("varan-test/httpd").id);
  EXPECT_EQ(l.at(labels::kWorkingDir), dir_.path());
  EXPECT_EQ(l.at(labels::kConfigFiles), dir_.path() + "/compose.yaml");
  EXPECT_TRUE(l.contains(labels::kDependsOn));
  EXPECT_EQ(l.at("mine"), "yes-please");
  EXPECT_EQ(c.name, project_ + "-web-1");
  auto net = engine_client().inspect_network(project_ + "_default");
  EXPECT_EQ(net.labels.at(labels::kProject), project_);
  EXPECT_EQ(net.labels.at(labels::kNetwork), "default");

  auto dc = which("docker-compose");
  VARAN_REQUIRE(dc.has_value(), "docker-compose");
  r = run({*dc, "-p", project_, "ps"}, {.cwd = dir_.path()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find(project_ + "-web-1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(project_ + "-side-1"), std::string::npos) << r.out;
  // docker-compose v1 finds exactly our two containers, and its logs reads them.
  r = run({*dc, "-p", project_, "ps", "-q"}, {.cwd = dir_.path()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2) << r.out;
  r = run({*dc, "-p", project_, "logs", "--no-color"}, {.cwd = dir_.path()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("Attaching to"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(project_ + "-web-1"), std::string::npos) << r.out;
}

TEST_F(ComposeUp, DownRemovesAProjectDockerComposeMade) {
  auto dc = which("docker-compose");
  VARAN_REQUIRE(dc.has_value(), "docker-compose");
  write("docker-compose.yml", std::string(kTwo) + "volumes:\n  keep: {}\n");
  RunResult r = run({*dc, "-p", project_, "up", "-d"}, {.cwd = dir_.path()});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(running().size(), 2u);
  r = varan({"down", "-t", "1"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(
      engine_client()
          .list_containers(true, {{"label", {std::string(labels::kProject) + "=" + project_}}})
          .empty());
  EXPECT_THROW(engine_client().inspect_network(project_ + "_default"), engine::NotFound);
}

TEST_F(ComposeUp, DryRunSaysWhyAndChangesNothing) {
  write("compose.yaml", kTwo);
  ASSERT_EQ(varan({"up", "-d"}).status, 0);
  auto before = running();
  std::string changed = kTwo;
  changed.replace(changed.find("A: \"1\""), 6, "A: \"2\"");
  write("compose.yaml", changed);
  RunResult r = varan({"up", "-d", "--dry-run"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("recreate web (" + project_ + "-web-1): environment changed"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("keep side (" + project_ + "-side-1): up to date"), std::string::npos)
      << r.out;
  EXPECT_EQ(running(), before);
  r = varan({"up", "-d"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto after = running();
  EXPECT_NE(after["web#1"], before["web#1"]);
  EXPECT_EQ(after["side#1"], before["side#1"]);
  auto web = engine_client().inspect_container(after["web#1"]);
  EXPECT_EQ(web.labels.at(labels::kReplace), "web-1");
  // --force-recreate recreates everything; --no-recreate nothing.
  write("compose.yaml", kTwo);
  ASSERT_EQ(varan({"up", "-d", "--no-recreate"}).status, 0);
  EXPECT_EQ(running(), after);
  ASSERT_EQ(varan({"up", "-d", "--force-recreate"}).status, 0);
  auto forced = running();
  EXPECT_NE(forced["side#1"], after["side#1"]);
  EXPECT_NE(forced["web#1"], after["web#1"]);
}

TEST_F(ComposeUp, PortAlreadyTakenLeavesTheOldContainerRunning) {
  // Something outside the project holds a port.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int taken = ntohs(a.sin_port);
  write("compose.yaml", kTwo);
  ASSERT_EQ(varan({"up", "-d"}).status, 0);
  auto before = running();
  std::string y = kTwo;
  y.replace(y.find("    environment"), 0, "    ports: [\"" + std::to_string(taken) + ":8080\"]\n");
  write("compose.yaml", y);
  RunResult r = varan({"up", "-d"});
  ::close(fd);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("service \"web\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("running again"), std::string::npos) << r.err;
  EXPECT_EQ(running(), before) << "the old containers must still run, unchanged";
  auto all = engine_client().list_containers(
      true, {{"label", {std::string(labels::kProject) + "=" + project_}}});
  EXPECT_EQ(all.size(), 2u) << "no leftover container";
}

TEST_F(ComposeUp, MissingImageChangesNothing) {
  write("compose.yaml", kTwo);
  ASSERT_EQ(varan({"up", "-d"}).status, 0);
  auto before = running();
  write("compose.yaml", std::string(kTwo) + "  ghost:\n    image: varan-test/does-not-exist:1\n");
  RunResult r = varan({"up", "-d"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("service \"ghost\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("varan-test/does-not-exist:1"), std::string::npos) << r.err;
  EXPECT_EQ(running(), before);
}

TEST_F(ComposeUp, UnhealthyDependencyStopsTheDependentOnly) {
  write("compose.yaml",
        "services:\n"
        "  db:\n    image: varan-test/health\n    stop_grace_period: 1s\n    environment: "
        "{NEVER_HEALTHY: \"1\"}\n"
        "  web:\n    image: varan-test/sleep\n    stop_grace_period: 1s\n    depends_on:\n"
        "      db:\n        condition: service_healthy\n"
        "  side:\n    image: varan-test/sleep\n    stop_grace_period: 1s\n");
  RunResult r = varan({"up", "-d"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("service \"web\" not started: dependency \"db\" is unhealthy"),
            std::string::npos)
      << r.err;
  auto now = running();
  EXPECT_TRUE(now.contains("db#1"));
  EXPECT_TRUE(now.contains("side#1"));
  EXPECT_FALSE(now.contains("web#1"));
}

TEST_F(ComposeUp, CycleAndRequiredVariableFailBeforeAnythingChanges) {
  write("compose.yaml", kTwo);
  ASSERT_EQ(varan({"up", "-d"}).status, 0);
  auto before = running();
  write("compose.yaml",
        "services:\n  a:\n    image: varan-test/sleep\n    depends_on: [b]\n  b:\n    image: "
        "varan-test/sleep\n"
        "    depends_on: [a]\n");
  RunResult r = varan({"up", "-d"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("dependency cycle detected: a -> b -> a"), std::string::npos) << r.err;
  write("compose.yaml",
        "services:\n  web:\n    image: varan-test/httpd\n    environment:\n      KEY: "
        "${API_KEY:?set API_KEY}\n");
  r = varan({"up", "-d"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("required variable API_KEY is missing a value: set API_KEY"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("services.web.environment.KEY"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(running(), before);
}

TEST_F(ComposeUp, ScaleOrphansPsLogsAndDownVolumes) {
  write("compose.yaml",
        "services:\n  job:\n    image: varan-test/exit\n    restart: \"no\"\n"
        "  web:\n    image: varan-test/sleep\n    stop_grace_period: 1s\n    scale: 2\n    "
        "volumes: [data:/data, /anon]\n"
        "  old:\n    image: varan-test/sleep\n    stop_grace_period: 1s\n"
        "volumes:\n  data: {}\n");
  ASSERT_EQ(varan({"up", "-d"}).status, 0);
  auto first = running();
  EXPECT_TRUE(first.contains("web#2"));
  // ps: running ones by default, all with -a, JSON lines with --format json.
  RunResult r = varan({"ps", "--format", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3) << r.out;
  EXPECT_NE(r.out.find("\"Service\":\"web\""), std::string::npos);
  r = varan({"ps", "-a"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find(project_ + "-job-1"), std::string::npos) << r.out;
  // logs: prefixed with the container name, stdout and stderr.
  r = varan({"logs", "job"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find(project_ + "-job-1  | out\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(project_ + "-job-1  | err\n"), std::string::npos) << r.out;
  // The anonymous volume survives a recreate.
  auto web = engine_client().inspect_container(first["web#1"]);
  std::string anon;
  for (const auto& m : web.mounts)
    if (m.destination == "/anon") anon = m.name;
  ASSERT_FALSE(anon.empty());
  // Remove a service: an orphan, warned about; removed with --remove-orphans.
  write("compose.yaml",
        "services:\n  job:\n    image: varan-test/exit\n    restart: \"no\"\n"
        "  web:\n    image: varan-test/sleep\n    stop_grace_period: 1s\n    scale: 2\n    "
        "volumes: [data:/data, /anon]\n"
        "    labels: {changed: \"1\"}\n"
        "volumes:\n  data: {}\n");
  r = varan({"up", "-d"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("orphan"), std::string::npos) << r.err;
  EXPECT_TRUE(running().contains("old#1"));
  auto web2 = engine_client().inspect_container(project_ + "-web-1");
  std::string anon2;
  for (const auto& m : web2.mounts)
    if (m.destination == "/anon") anon2 = m.name;
  EXPECT_EQ(anon2, anon);
  r = varan({"up", "-d", "--remove-orphans"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(running().contains("old#1"));
  // down -v takes the named volume with it.
  ASSERT_NO_THROW(engine_client().inspect_volume(project_ + "_data"));
  r = varan({"down", "-v", "-t", "1"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THROW(engine_client().inspect_volume(project_ + "_data"), engine::NotFound);
  EXPECT_THROW(engine_client().inspect_volume(anon), engine::NotFound);
}

TEST_F(ComposeUp, WaitStartStopRestartAndExternalNetworks) {
  write("compose.yaml",
        "services:\n  db:\n    image: varan-test/health\n    stop_grace_period: 1s\n"
        "  web:\n    image: varan-test/sleep\n    stop_grace_period: 1s\n    depends_on: [db]\n");
  RunResult r = varan({"up", "-d", "--wait"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(engine_client().inspect_container(project_ + "-db-1").state.health, "healthy");
  ASSERT_EQ(varan({"stop"}).status, 0);
  EXPECT_TRUE(running().empty());
  ASSERT_EQ(varan({"start"}).status, 0);
  EXPECT_EQ(running().size(), 2u);
  auto before = running();
  std::string started = engine_client().inspect_container(project_ + "-web-1").state.started_at;
  ASSERT_EQ(varan({"restart", "web"}).status, 0);
  EXPECT_EQ(running(), before);  // same containers
  EXPECT_NE(engine_client().inspect_container(project_ + "-web-1").state.started_at, started)
      << "restart did not restart web";
  write("compose.yaml",
        "services:\n  web:\n    image: varan-test/sleep\n    networks: [outside]\n"
        "networks:\n  outside:\n    external: true\n    name: varan-test-no-such-network\n");
  r = varan({"up", "-d"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("varan-test-no-such-network is declared as external"), std::string::npos)
      << r.err;
}

TEST_F(ComposeUp, ConfigPrintsTheResolvedModel) {
  write(".env", "TAG=latest\n");
  write("compose.yaml",
        "services:\n  web:\n    image: varan-test/sleep:${TAG}\n    ports: [\"8080:80\"]\n");
  RunResult r = varan({"config"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("image: varan-test/sleep:latest"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("published: \"8080\""), std::string::npos) << r.out;
  r = varan({"config", "--services"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "web\n");
}

// A no-op `up -d` costs one container list plus one inspect per distinct image, counted
// from a fresh client (so the version negotiation is included): no ping, no network or
// volume listing for things already seen on the containers.
TEST_F(ComposeUp, ANoOpUpIsOneListAndOneInspectPerDistinctImage) {
  write("compose.yaml",
        "services:\n"
        "  a:\n    image: varan-test/sleep\n    init: true\n    volumes: [data:/data]\n"
        "  b:\n    image: varan-test/sleep\n    init: true\n    networks: [default, back]\n"
        "  c:\n    image: varan-test/httpd\n    depends_on: [a]\n"
        "networks:\n  back: {}\nvolumes:\n  data: {}\n");
  compose::LoadOptions lo;
  lo.project_name = project_;
  lo.cwd = dir_.path();
  compose::Project p = compose::load_project(lo);
  {
    engine::Client cold;
    compose::up(cold, p, {});
  }
  engine::Client client;
  auto r = compose::up(client, p, {});
  EXPECT_EQ(r.applied.created.size() + r.applied.recreated.size() + r.applied.started.size(), 0u);
  EXPECT_EQ(r.applied.kept.size(), 3u);
  EXPECT_EQ(client.request_count(), 1u + 2u) << "one list and two image inspects";
}

}  // namespace
}  // namespace varan::test
