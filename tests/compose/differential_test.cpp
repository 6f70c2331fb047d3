// `varan compose up -d` against Debian's docker-compose (v1) on the real engine. Both tools
// get the same files, step after step; after each step the set of containers each created,
// recreated, started, removed and left alone (by container ID, per service and number) must
// be the same, and a second `varan compose up -d` must touch nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/compose/labels.h"
#include "tests/support/engine_support.h"

namespace varan::test {
namespace {

namespace fs = std::filesystem;
namespace labels = compose::labels;

// service#number -> (container ID, running)
using Snapshot = std::map<std::string, std::pair<std::string, bool>>;
// service#number -> created | recreated | started | removed | untouched
using Touched = std::map<std::string, std::string>;

Snapshot snapshot(const std::string& project) {
  Snapshot s;
  auto& c = engine_client();
  for (const auto& ct :
       c.list_containers(true, {{"label", {std::string(labels::kProject) + "=" + project}}}))
    s[ct.labels.at(labels::kService) + "#" + ct.labels.at(labels::kNumber)] = {
        ct.id, ct.state == "running"};
  return s;
}

Touched diff(const Snapshot& before, const Snapshot& after) {
  Touched t;
  for (const auto& [k, v] : after) {
    auto it = before.find(k);
    if (it == before.end())
      t[k] = "created";
    else if (it->second.first != v.first)
      t[k] = "recreated";
    else if (!it->second.second && v.second)
      t[k] = "started";
    else
      t[k] = "untouched";
  }
  for (const auto& [k, v] : before)
    if (!after.contains(k)) t[k] = "removed";
  return t;
}

std::string show(const Touched& t) {
  std::string out;
  for (const auto& [k, v] : t)
    out += k + "=" + v + " ";
  return out;
}

// Only what changed: untouched entries left out.
Touched changed(const Touched& t) {
  Touched out;
  for (const auto& [k, v] : t)
    if (v != "untouched") out[k] = v;
  return out;
}

struct Files {
  std::map<std::string, std::string> text;  // file name -> content
  std::vector<std::string> profiles;
};

class Differential : public ::testing::Test {
 protected:
  void SetUp() override {
    VARAN_REQUIRE_ENGINE();
    auto dc = which("docker-compose");
    VARAN_REQUIRE(dc.has_value(), "docker-compose (Debian package docker-compose)");
    dc_ = *dc;
    ensure_test_images();
    engine_client().tag_image("varan-test/sleep:latest", "varan-test/sleep", "v2");
    down_all();
  }
  void TearDown() override {
    if (engine_problem().empty() && !dc_.empty()) down_all();
  }
  void down_all() {
    for (const char* p : {kDc, kVa})
      run({VARAN_BIN, "compose", "-p", p, "down", "-v", "--remove-orphans", "-t", "1"});
  }

  void write(const std::string& dir, const Files& f, const std::string& port_base) {
    for (const auto& e : fs::directory_iterator(dir))
      fs::remove_all(e.path());
    for (const auto& [name, text] : f.text) {
      std::ofstream(dir + "/" + name) << text;
    }
    std::ofstream(dir + "/.env") << "WEB_PORT=" << port_base << "1\nWEB_PORT2=" << port_base
                                 << "2\n";
    fs::create_directories(dir + "/conf");
  }

  // Runs one step with both tools; returns what varan touched.
  Touched step(const std::string& what, const Files& f) {
    write(dc_dir_.path(), f, "281");
    write(va_dir_.path(), f, "282");
    std::vector<std::string> dc_args = {dc_, "-p", kDc};
    std::vector<std::string> va_args = {VARAN_BIN, "compose", "-p", kVa};
    for (const auto& p : f.profiles) {
      dc_args.insert(dc_args.end(), {"--profile", p});
      va_args.insert(va_args.end(), {"--profile", p});
    }
    dc_args.insert(dc_args.end(), {"up", "-d"});
    va_args.insert(va_args.end(), {"up", "-d"});

    Snapshot dc_before = snapshot(kDc);
    RunResult r = run(dc_args, {.cwd = dc_dir_.path()});
    EXPECT_EQ(r.status, 0) << what << ": docker-compose: " << r.err;
    Touched dc = diff(dc_before, snapshot(kDc));

    Snapshot va_before = snapshot(kVa);
    r = run(va_args, {.cwd = va_dir_.path()});
    EXPECT_EQ(r.status, 0) << what << ": varan: " << r.err;
    Touched va = diff(va_before, snapshot(kVa));
    EXPECT_EQ(show(va), show(dc)) << what;

    // Run after run: the second up touches nothing.
    Snapshot again_before = snapshot(kVa);
    r = run(va_args, {.cwd = va_dir_.path()});
    EXPECT_EQ(r.status, 0) << what << ": varan (again): " << r.err;
    EXPECT_EQ(show(changed(diff(again_before, snapshot(kVa)))), "") << what << ": second up";
    return changed(va);
  }

  static constexpr const char* kDc = "vdiffdc";
  static constexpr const char* kVa = "vdiffva";
  std::string dc_;
  TempDir dc_dir_, va_dir_;
};

std::string base_yaml(const std::string& worker_env = "a",
                      const std::string& worker_image = "varan-test/sleep",
                      const std::string& web_port = "${WEB_PORT}",
                      const std::string& cache_extra = "", const std::string& worker_extra = "",
                      const std::string& web_extra = "", const std::string& services_extra = "",
                      const std::string& top_extra = "") {
  return "services:\n"
         "  db:\n    image: varan-test/health\n    stop_grace_period: 1s\n    environment:\n      "
         "HEALTHY_AFTER: \"1\"\n"
         "  web:\n    image: varan-test/httpd\n    stop_grace_period: 1s\n    ports: [\"" +
         web_port + ":8080\"]\n    env_file: [web.env]\n" + web_extra +
         "  worker:\n    image: " + worker_image +
         "\n    stop_grace_period: 1s\n    environment:\n      MODE: \"" + worker_env + "\"\n" +
         worker_extra +
         "  cache:\n    image: varan-test/sleep\n    stop_grace_period: 1s\n    volumes: "
         "[\"data:/data\"]\n" +
         cache_extra + services_extra + "volumes:\n  data: {}\n" + top_extra;
}

TEST_F(Differential, FifteenMutationsTouchTheSameContainersAsDockerCompose) {
  Files f;
  f.text["web.env"] = "GREETING=hello\n";
  f.text["compose.yaml"] = base_yaml();
  EXPECT_EQ(show(step("initial up", f)),
            "cache#1=created db#1=created web#1=created worker#1=created ");

  f.text["compose.yaml"] = base_yaml("b");
  EXPECT_EQ(show(step("1 environment", f)), "worker#1=recreated ");

  f.text["web.env"] = "GREETING=bonjour\n";
  EXPECT_EQ(show(step("2 env_file content", f)), "web#1=recreated ");

  f.text["compose.yaml"] = base_yaml("b", "varan-test/sleep:v2");
  EXPECT_EQ(show(step("3 image tag", f)), "worker#1=recreated ");

  f.text["compose.yaml"] = base_yaml("b", "varan-test/sleep:v2", "${WEB_PORT2}");
  EXPECT_EQ(show(step("4 port", f)), "web#1=recreated ");

  std::string cache_label = "    labels: {tier: cache}\n";
  f.text["compose.yaml"] = base_yaml("b", "varan-test/sleep:v2", "${WEB_PORT2}", cache_label);
  EXPECT_EQ(show(step("5 label", f)), "cache#1=recreated ");

  std::string cache_vol =
      "    labels: {tier: cache}\n    volumes: [\"data:/data\", \"./conf:/conf:ro\"]\n";
  // (the second volumes key replaces the first in a YAML mapping: write it whole instead)
  std::string y = base_yaml("b", "varan-test/sleep:v2", "${WEB_PORT2}", cache_label);
  y.replace(y.find("    volumes: [\"data:/data\"]\n"),
            std::string("    volumes: [\"data:/data\"]\n").size(),
            "    volumes: [\"data:/data\", \"./conf:/conf:ro\"]\n");
  f.text["compose.yaml"] = y;
  EXPECT_EQ(show(step("6 volume", f)), "cache#1=recreated ");
  auto with_volume = [&](std::string s) {
    s.replace(s.find("    volumes: [\"data:/data\"]\n"),
              std::string("    volumes: [\"data:/data\"]\n").size(),
              "    volumes: [\"data:/data\", \"./conf:/conf:ro\"]\n");
    return s;
  };
  (void)cache_vol;

  std::string worker_net = "    networks: [default, back]\n";
  std::string nets = "networks:\n  back: {}\n";
  f.text["compose.yaml"] = with_volume(
      base_yaml("b", "varan-test/sleep:v2", "${WEB_PORT2}", cache_label, worker_net, "", "", nets));
  EXPECT_EQ(show(step("7 network", f)), "worker#1=recreated ");

  std::string extra = "  extra:\n    image: varan-test/sleep\n    stop_grace_period: 1s\n";
  f.text["compose.yaml"] = with_volume(base_yaml("b", "varan-test/sleep:v2", "${WEB_PORT2}",
                                                 cache_label, worker_net, "", extra, nets));
  EXPECT_EQ(show(step("8 add a service", f)), "extra#1=created ");

  f.text["compose.yaml"] = with_volume(
      base_yaml("b", "varan-test/sleep:v2", "${WEB_PORT2}", cache_label, worker_net, "", "", nets));
  EXPECT_EQ(show(step("9 remove a service (left as an orphan by both)", f)), "");

  f.text["compose.yaml"] =
      with_volume(base_yaml("b", "varan-test/sleep:v2", "${WEB_PORT2}", cache_label,
                            worker_net + "    scale: 3\n", "", "", nets));
  EXPECT_EQ(show(step("10 scale 1 -> 3", f)), "worker#2=created worker#3=created ");

  f.text["compose.yaml"] =
      with_volume(base_yaml("b", "varan-test/sleep:v2", "${WEB_PORT2}", cache_label,
                            worker_net + "    scale: 1\n", "", "", nets));
  EXPECT_EQ(show(step("11 scale 3 -> 1", f)), "worker#2=removed worker#3=removed ");

  std::string web_dep = "    depends_on:\n      db:\n        condition: service_healthy\n";
  f.text["compose.yaml"] =
      with_volume(base_yaml("b", "varan-test/sleep:v2", "${WEB_PORT2}", cache_label,
                            worker_net + "    scale: 1\n", web_dep, "", nets));
  EXPECT_EQ(show(step("12 depends_on service_healthy", f)), "web#1=recreated ");

  std::string debug =
      "  debug:\n    image: varan-test/sleep\n    stop_grace_period: 1s\n    profiles: [dbg]\n";
  f.text["compose.yaml"] =
      with_volume(base_yaml("b", "varan-test/sleep:v2", "${WEB_PORT2}", cache_label,
                            worker_net + "    scale: 1\n", web_dep, debug, nets));
  f.profiles = {"dbg"};
  EXPECT_EQ(show(step("13 profile on", f)), "debug#1=created ");
  f.profiles = {};
  EXPECT_EQ(show(step("14 profile off (left running by both)", f)), "");

  // A stopped container is started again, and nothing else moves.
  for (const char* p : {kDc, kVa})
    for (const auto& [k, v] : snapshot(p))
      if (k == "worker#1") engine_client().stop_container(v.first, 1);
  EXPECT_EQ(show(step("15 a stopped container", f)), "worker#1=started ");
}

}  // namespace
}  // namespace varan::test
