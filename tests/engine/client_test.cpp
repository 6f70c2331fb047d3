// Every call of the engine client against the real engine (label "engine"). Each test
// labels what it creates with varan.test.case=<test> and removes it afterwards.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <future>
#include <set>
#include <stdexcept>
#include <thread>

#include "engine/client.h"
#include "engine/tar.h"
#include "tests/support/engine_proxy.h"
#include "tests/support/engine_support.h"

namespace varan::test {
namespace {

using namespace varan::engine;

class Engine : public ::testing::Test {
 protected:
  void SetUp() override {
    VARAN_REQUIRE_ENGINE();
    ensure_test_images();
    name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    remove_labelled(name_);
  }
  void TearDown() override {
    if (engine_problem().empty()) remove_labelled(name_);
  }
  Client& c() { return engine_client(); }
  Labels labels() const { return {{"varan.test.case", name_}}; }
  // A create body for `image` with this test's label.
  Json body(const std::string& image, Json extra = Json::object()) const {
    Json b = {{"Image", image}, {"Labels", labels()}};
    for (auto& [k, v] : extra.items())
      b[k] = v;
    return b;
  }
  std::string run(const std::string& name, const std::string& image, Json extra = Json::object()) {
    std::string id = c().create_container(name, body(image, extra));
    c().start_container(id);
    return id;
  }
  std::string name_;
};

TEST_F(Engine, PingVersionInfoAndNegotiation) {
  std::string engine_version = c().ping();
  ASSERT_FALSE(engine_version.empty());
  // The lower of ours and the engine's, compared as numbers ("1.9" < "1.41").
  auto numeric = [](const std::string& version) {
    auto dot = version.find('.');
    return std::pair(std::stoi(version.substr(0, dot)), std::stoi(version.substr(dot + 1)));
  };
  std::string expected = numeric(engine_version) < numeric(Client::kMaxApiVersion)
                             ? engine_version
                             : Client::kMaxApiVersion;
  EXPECT_EQ(c().api_version(), expected) << "engine " << engine_version;
  VersionInfo info = c().version();
  EXPECT_EQ(info.api_version, engine_version);
  EXPECT_FALSE(info.version.empty());
  EXPECT_TRUE(c().info().contains("Containers"));
  // DOCKER_API_VERSION overrides the negotiation.
  ::setenv("DOCKER_API_VERSION", "1.40", 1);
  Client pinned;
  EXPECT_EQ(pinned.api_version(), "1.40");
  EXPECT_NO_THROW(pinned.list_containers());
  ::unsetenv("DOCKER_API_VERSION");
}

TEST_F(Engine, ContainerLifecycleAndPortBindings) {
  Json extra = {{"ExposedPorts", {{"8080/tcp", Json::object()}}},
                {"HostConfig",
                 {{"PortBindings", {{"8080/tcp", {{{"HostIp", "127.0.0.1"}, {"HostPort", ""}}}}}}}},
                {"Env", {"GREETING=hi"}}};
  std::string id = c().create_container("varan-test-lifecycle", body("varan-test/httpd", extra));
  ContainerInspect created = c().inspect_container(id);
  EXPECT_EQ(created.state.status, "created");
  EXPECT_EQ(created.name, "varan-test-lifecycle");
  EXPECT_EQ(created.labels.at("varan.test.case"), name_);
  EXPECT_NE(std::find(created.env.begin(), created.env.end(), "GREETING=hi"), created.env.end());
  EXPECT_EQ(created.port_bindings.at("8080/tcp").at(0).host_ip, "127.0.0.1");

  c().start_container(id);
  ContainerInspect running = c().inspect_container("varan-test-lifecycle");  // by name too
  EXPECT_TRUE(running.state.running);
  const auto& bound = running.ports.at("8080/tcp");
  ASSERT_FALSE(bound.empty());
  int port = std::stoi(bound[0].host_port);
  EXPECT_GT(port, 0);
  std::string page;
  for (int i = 0; i < 50 && page.empty(); ++i) {
    page = http_get(port, "/index.html");
    if (page.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(page, "hello from varan-test/httpd\n");
  // The listed summary shows the same binding.
  auto listed = c().list_containers(true, {{"label", {"varan.test.case=" + name_}}});
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].name(), "varan-test-lifecycle");
  ASSERT_EQ(listed[0].ports.size(), 1u);
  EXPECT_EQ(listed[0].ports[0].public_port, port);

  c().pause_container(id);
  EXPECT_TRUE(c().inspect_container(id).state.paused);
  c().unpause_container(id);
  c().stop_container(id, 2);
  EXPECT_EQ(c().inspect_container(id).state.status, "exited");
  c().restart_container(id, 1);
  EXPECT_TRUE(c().inspect_container(id).state.running);
  c().kill_container(id, "SIGKILL");
  EXPECT_EQ(c().wait_container(id).status_code, 137);
  c().rename_container(id, "varan-test-renamed");
  EXPECT_EQ(c().inspect_container(id).name, "varan-test-renamed");
  c().remove_container(id);
  EXPECT_THROW(c().inspect_container(id), NotFound);
}

TEST_F(Engine, LogsKeepStdoutAndStderrApart) {
  std::string id = run("varan-test-logs", "varan-test/exit", {{"Env", {"EXIT_CODE=3"}}});
  EXPECT_EQ(c().wait_container(id).status_code, 3);
  std::string out, err;
  c().logs(id, {}, [&](StreamType t, std::string_view d) {
    (t == StreamType::kStderr ? err : out).append(d);
  });
  EXPECT_EQ(out, "out\n");
  EXPECT_EQ(err, "err\n");
  // Only stderr; with timestamps; tail.
  std::string only_err;
  LogOptions o;
  o.stdout_stream = false;
  o.timestamps = true;
  c().logs(id, o, [&](StreamType t, std::string_view d) {
    EXPECT_EQ(t, StreamType::kStderr);
    only_err.append(d);
  });
  EXPECT_TRUE(only_err.ends_with(" err\n")) << only_err;
  EXPECT_EQ(only_err.find('T'), 10u) << "RFC 3339 timestamp first: " << only_err;
  // A container with a TTY has one raw stream.
  std::string tty = run("varan-test-tty", "varan-test/exit", {{"Tty", true}});
  c().wait_container(tty);
  std::string raw;
  c().logs(tty, {}, [&](StreamType t, std::string_view d) {
    EXPECT_EQ(t, StreamType::kStdout);
    raw.append(d);
  });
  EXPECT_EQ(raw, "out\r\nerr\r\n");
}

TEST_F(Engine, FollowedLogsAreCancelledPromptly) {
  std::string id = run("varan-test-follow", "varan-test/sleep",
                       {{"Cmd", {"sh", "-c", "while true; do echo tick; sleep 0.1; done"}}});
  Cancel cancel;
  std::atomic<int> ticks{0};
  auto follow = std::async(std::launch::async, [&] {
    LogOptions o;
    o.follow = true;
    c().logs(
        id, o,
        [&](StreamType, std::string_view d) {
          for (char ch : d)
            ticks += ch == '\n';
        },
        &cancel);
  });
  while (ticks < 3)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  cancel.cancel();
  // The stream ends because it was cancelled, not because the container stopped: it still
  // runs. (The wait is a hang guard, not a timing assertion.)
  ASSERT_EQ(follow.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  follow.get();
  EXPECT_TRUE(c().inspect_container(id).state.running);
}

TEST_F(Engine, EventsAreSeenForCreateStartDie) {
  Cancel cancel;
  std::mutex m;
  std::vector<std::string> actions;
  std::promise<void> subscribed;
  auto watcher = std::async(std::launch::async, [&] {
    c().events(
        {{"type", {"container"}}, {"label", {"varan.test.case=" + name_}}},
        [&](const Event& e) {
          std::lock_guard lock(m);
          actions.push_back(e.action);
          EXPECT_EQ(e.attributes.at("varan.test.case"), name_);
          return e.action != "destroy";
        },
        &cancel, std::to_string(std::time(nullptr) - 1));
  });
  std::string id = run("varan-test-events", "varan-test/exit");
  c().wait_container(id);
  c().remove_container(id);
  ASSERT_EQ(watcher.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  watcher.get();
  std::set<std::string> seen(actions.begin(), actions.end());
  for (const char* a : {"create", "start", "die", "destroy"})
    EXPECT_TRUE(seen.count(a)) << a;
}

TEST_F(Engine, TheHealthcheckImageBecomesHealthyOrUnhealthy) {
  std::string good = run("varan-test-healthy", "varan-test/health", {{"Env", {"HEALTHY_AFTER=1"}}});
  std::string bad =
      run("varan-test-unhealthy", "varan-test/health", {{"Env", {"NEVER_HEALTHY=1"}}});
  std::string good_state, bad_state;
  for (int i = 0; i < 300 && (good_state != "healthy" || bad_state != "unhealthy"); ++i) {
    good_state = c().inspect_container(good).state.health;
    bad_state = c().inspect_container(bad).state.health;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(good_state, "healthy");
  EXPECT_EQ(bad_state, "unhealthy");
}

TEST_F(Engine, APullThatCannotSucceedReportsTheEnginesError) {
  try {
    c().pull_image("127.0.0.1:1/varan/nothing-here:latest");
    FAIL() << "pulled from nowhere";
  } catch (const engine::Error& e) {
    EXPECT_FALSE(e.engine_message().empty());
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:1/varan/nothing-here"), std::string::npos)
        << e.what();
  }
}

TEST_F(Engine, ExecExitCodesAndOutput) {
  std::string id = run("varan-test-exec", "varan-test/sleep");
  std::string exec = c().exec_create(
      id, {{"sh", "-c", "echo to-out; echo to-err >&2; exit 7"}, {"X=1"}, "", "/tmp"});
  ExecOutput out = c().exec_start(exec);
  EXPECT_EQ(out.out, "to-out\n");
  EXPECT_EQ(out.err, "to-err\n");
  ExecInspect info = c().exec_inspect(exec);
  EXPECT_FALSE(info.running);
  EXPECT_EQ(info.exit_code, 7);
  std::string ok = c().exec_create(id, {{"sh", "-c", "echo $X; pwd"}, {"X=from-env"}, "", "/tmp"});
  EXPECT_EQ(c().exec_start(ok).out, "from-env\n/tmp\n");
  EXPECT_EQ(c().exec_inspect(ok).exit_code, 0);
}

TEST_F(Engine, ArchiveUploadAndStats) {
  std::string id = run("varan-test-archive", "varan-test/sleep");
  TarBuilder t;
  t.add_directory("secrets");
  t.add_file("secrets/token", "s3cret\n", 0400);
  c().put_archive(id, "/tmp", t.finish());
  std::string exec = c().exec_create(id, {{"cat", "/tmp/secrets/token"}});
  EXPECT_EQ(c().exec_start(exec).out, "s3cret\n");
  Json stats = c().stats(id);
  EXPECT_TRUE(stats.contains("memory_stats"));
  EXPECT_TRUE(stats.contains("cpu_stats"));
}

TEST_F(Engine, ImagesBuildTagInspectRemove) {
  // ensure_test_images() built these through POST /build: target, dockerfile path, build
  // args and labels all took effect.
  ImageInspect img = c().inspect_image("varan-test/health:latest");
  EXPECT_EQ(img.labels.at("varan.test"), "1");
  EXPECT_EQ(img.labels.at("varan.test.variant"), "health");
  EXPECT_TRUE(img.raw["Config"].contains("Healthcheck"));
  c().tag_image("varan-test/sleep:latest", "varan-test/tagged", name_ + "-tag");
  std::string tagged = "varan-test/tagged:" + name_ + "-tag";
  EXPECT_EQ(c().inspect_image(tagged).id, c().inspect_image("varan-test/sleep:latest").id);
  bool listed = false;
  for (const auto& i : c().list_images({{"reference", {"varan-test/tagged"}}}))
    for (const auto& t : i.repo_tags)
      listed |= t == tagged;
  EXPECT_TRUE(listed);
  c().remove_image(tagged);
  EXPECT_THROW(c().inspect_image(tagged), NotFound);
  // A failing build reports the builder's error.
  TarBuilder bad;
  bad.add_file("Dockerfile", "FROM scratch\nCOPY missing-file /\n");
  BuildOptions o;
  o.tags = {"varan-test/broken:latest"};
  std::vector<std::string> lines;
  try {
    c().build_image(bad.finish(), o, [&](const Progress& p) { lines.push_back(p.stream); });
    FAIL() << "a broken build succeeded";
  } catch (const engine::Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing-file"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(lines.empty()) << "build output is streamed";
}

TEST_F(Engine, NetworksAndVolumes) {
  std::string net =
      c().create_network({{"Name", "varan-test-net"}, {"Driver", "bridge"}, {"Labels", labels()}});
  NetworkInfo n = c().inspect_network(net);
  EXPECT_EQ(n.name, "varan-test-net");
  EXPECT_EQ(n.labels.at("varan.test.case"), name_);
  EXPECT_EQ(c().list_networks({{"label", {"varan.test.case=" + name_}}}).size(), 1u);
  std::string id = run("varan-test-netuser", "varan-test/sleep");
  c().connect_network(net, id, {{"Aliases", {"web"}}});
  ContainerInspect joined = c().inspect_container(id);
  ASSERT_TRUE(joined.networks.count("varan-test-net"));
  EXPECT_EQ(joined.networks.at("varan-test-net").network_id, net);
  EXPECT_EQ(c().inspect_network(net).containers.count(id), 1u);
  c().disconnect_network(net, id);
  EXPECT_FALSE(c().inspect_container(id).networks.count("varan-test-net"));
  c().remove_network(net);
  EXPECT_THROW(c().inspect_network(net), NotFound);

  VolumeInfo v = c().create_volume({{"Name", "varan-test-vol"}, {"Labels", labels()}});
  EXPECT_EQ(v.name, "varan-test-vol");
  EXPECT_EQ(c().inspect_volume("varan-test-vol").labels.at("varan.test.case"), name_);
  EXPECT_EQ(c().list_volumes({{"label", {"varan.test.case=" + name_}}}).size(), 1u);
  c().remove_volume("varan-test-vol");
  EXPECT_THROW(c().inspect_volume("varan-test-vol"), NotFound);
}

TEST_F(Engine, ErrorsCarryTheStatusAndTheEnginesMessage) {
  try {
    c().start_container("varan-test-no-such-container");
    FAIL();
  } catch (const NotFound& e) {
    EXPECT_EQ(e.status(), 404);
    EXPECT_NE(e.engine_message().find("No such container"), std::string::npos)
        << e.engine_message();
    EXPECT_NE(std::string(e.what()).find("varan-test-no-such-container"), std::string::npos);
  }
  std::string id = c().create_container("varan-test-dup", body("varan-test/sleep"));
  try {
    c().create_container("varan-test-dup", body("varan-test/sleep"));
    FAIL();
  } catch (const engine::Error& e) {
    EXPECT_EQ(e.status(), 409);
    EXPECT_NE(e.engine_message().find("already in use"), std::string::npos) << e.engine_message();
  }
  c().remove_container(id);
}

// Through a proxy in front of the engine (tests/support/engine_proxy.h): every request reaches
// the engine, over a few kept connections.
TEST_F(Engine, SafeFromSeveralThreadsAndReusesConnections) {
  const Endpoint& real = c().endpoint();
  VARAN_REQUIRE(real.address.starts_with("unix://"), "an engine on a unix socket");
  TempDir d;
  EngineProxy proxy(d / "engine.sock", real.address.substr(7));
  Client client(parse_endpoint("unix://" + d / "engine.sock", false, ""));
  std::vector<std::future<std::size_t>> f;
  for (int t = 0; t < 4; ++t)
    f.push_back(std::async(std::launch::async, [&] {
      std::size_t n = 0;
      for (int i = 0; i < 25; ++i) {
        client.list_containers();
        ++n;
      }
      return n;
    }));
  for (auto& x : f)
    EXPECT_EQ(x.get(), 25u);
  EXPECT_EQ(client.request_count(), 100u);
  EXPECT_EQ(proxy.requests("GET", "/containers/json"), 100);
  // 100 requests from 4 threads: connections are kept and reused, not one per request.
  EXPECT_GE(proxy.connections(), 1);
  EXPECT_LE(proxy.connections(), 8) << "connections are not reused";
}

// The suite's guard for cases that act on the whole engine (stop all, prune): on the host's
// engine with anything on it, they may not run unless told explicitly.
TEST_F(Engine, CasesThatActOnTheWholeEngineRefuseAHostEngineWithOthersThings) {
  run("varan-test-whole-engine", "varan-test/sleep");
  ScopedEnv host("VARAN_TEST_HOST_ENGINE", std::nullopt);
  ScopedEnv allow("VARAN_TEST_ALLOW_HOST_ENGINE", std::nullopt);
  EXPECT_EQ(whole_engine_problem(), "") << "the private engine is the suite's own";
  ::setenv("VARAN_TEST_HOST_ENGINE", "1", 1);
  std::string problem = whole_engine_problem();
  EXPECT_NE(problem.find("holds containers the suite did not make"), std::string::npos) << problem;
  EXPECT_NE(problem.find("VARAN_TEST_ALLOW_HOST_ENGINE=destructive"), std::string::npos) << problem;
  ::setenv("VARAN_TEST_ALLOW_HOST_ENGINE", "destructive", 1);
  EXPECT_EQ(whole_engine_problem(), "");
}

TEST(EngineAddress, AMissingEngineNamesItsAddress) {
  Client nowhere(parse_endpoint("unix:///nonexistent/varan.sock", false, ""));
  try {
    nowhere.ping();
    FAIL();
  } catch (const Unreachable& e) {
    EXPECT_NE(std::string(e.what()).find("unix:///nonexistent/varan.sock"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("dockerd is not answering"), std::string::npos)
        << e.what();
  }
}

TEST(EngineAddress, NoCallHangsOnASilentEngine) {
  // A socket that accepts and never answers.
  TempDir dir;
  std::string path = dir / "silent.sock";
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  Client silent(parse_endpoint("unix://" + path, false, ""));
  silent.set_timeout(std::chrono::milliseconds(300));
  try {
    silent.ping();
    FAIL();
  } catch (const engine::Error& e) {
    EXPECT_NE(std::string(e.what()).find("did not answer in time"), std::string::npos) << e.what();
  }
  ::close(fd);
}

}  // namespace
}  // namespace varan::test
