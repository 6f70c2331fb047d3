// The planner without an engine: observed state is made up from the labels a container of
// the project would carry, and each change must give the action and reason compose gives.
#include <gtest/gtest.h>

#include <fstream>

#include "engine/compose/apply.h"
#include "engine/compose/labels.h"
#include "engine/compose/load.h"
#include "engine/compose/plan.h"
#include "tests/support/support.h"

namespace varan::compose {
namespace {

class PlanTest : public ::testing::Test {
 protected:
  Project load(const std::string& yaml, std::vector<std::string> profiles = {}) {
    std::ofstream(dir_ / "compose.yaml") << yaml;
    LoadOptions o;
    o.cwd = dir_.path();
    o.project_name = "p";
    o.inherit_environment = false;
    o.profiles = std::move(profiles);
    return load_project(o);
  }
  // A running container as `project` would have made it.
  engine::ContainerSummary made(const Project& p, const std::string& service, int n,
                                const std::string& state = "running") {
    engine::ContainerSummary c;
    c.id = service + std::to_string(n) + std::string(60, '0');
    c.names = {"/" + container_name(p, *p.find(service), n)};
    c.state = state;
    // The labels by name, as docker compose writes them, not by the code under test; only
    // the config hash and the per-key digests (Varan's own) come from it.
    const Service& s = *p.find(service);
    c.labels = {{"com.docker.compose.project", p.name},
                {"com.docker.compose.service", service},
                {"com.docker.compose.container-number", std::to_string(n)},
                {"com.docker.compose.oneoff", "False"},
                {"com.docker.compose.config-hash", config_hash(s)},
                {"dev.varan.compose.config-keys", key_digests(s)},
                {"com.docker.compose.image", "sha256:img"}};
    for (const auto& k : p.find(service)->network_keys())
      c.networks.push_back(p.network(k)->name);
    return c;
  }
  Observed observed(const Project& p, std::vector<engine::ContainerSummary> cs) {
    Observed o;
    o.containers = std::move(cs);
    for (const auto& s : p.services)
      o.image_ids[s.image] = "sha256:img";
    for (const auto& n : p.networks)
      o.networks.insert(n.name);
    for (const auto& v : p.volumes)
      o.volumes.insert(v.name);
    return o;
  }
  static std::string ops(const Plan& plan) {
    std::string out;
    for (const auto& a : plan.actions)
      out += std::string(op_name(a.op)) + " " +
             (a.service.empty() ? a.name : a.service + "#" + std::to_string(a.number)) + "; ";
    return out;
  }
  test::TempDir dir_;
};

const char* kBase =
    "services:\n  web:\n    image: app\n    environment: {A: \"1\"}\n  db:\n    image: db\n";

TEST_F(PlanTest, NothingChangedIsAllKeeps) {
  Project p = load(kBase);
  Plan plan = make_plan(p, observed(p, {made(p, "web", 1), made(p, "db", 1)}), {});
  EXPECT_FALSE(plan.changes());
  EXPECT_EQ(ops(plan), "keep web#1; keep db#1; ");
}

// What the plans above rely on: the containers Varan makes carry compose's labels, by name.
TEST_F(PlanTest, ContainersCarryComposesLabelsByName) {
  Project p = load(kBase);
  auto l = container_labels(p, *p.find("web"), 2, "sha256:img");
  EXPECT_EQ(l.at("com.docker.compose.project"), "p");
  EXPECT_EQ(l.at("com.docker.compose.service"), "web");
  EXPECT_EQ(l.at("com.docker.compose.container-number"), "2");
  EXPECT_EQ(l.at("com.docker.compose.oneoff"), "False");
  EXPECT_EQ(l.at("com.docker.compose.image"), "sha256:img");
  EXPECT_EQ(l.at("com.docker.compose.project.working_dir"), dir_.path());
  EXPECT_EQ(l.at("com.docker.compose.project.config_files"), dir_ / "compose.yaml");
  EXPECT_EQ(l.at("com.docker.compose.config-hash"), config_hash(*p.find("web")));
  EXPECT_TRUE(l.contains("com.docker.compose.depends_on"));
  EXPECT_TRUE(l.contains("com.docker.compose.version"));
}

TEST_F(PlanTest, ChangesSayWhichKeys) {
  Project before = load(kBase);
  auto cs = std::vector{made(before, "web", 1), made(before, "db", 1)};
  Project after = load(
      "services:\n  web:\n    image: app\n    environment: {A: \"2\"}\n    ports: [\"80:80\"]\n  "
      "db:\n    image: db\n");
  Plan plan = make_plan(after, observed(after, cs), {});
  ASSERT_TRUE(plan.changes());
  EXPECT_NE(plan.describe().find("recreate web (p-web-1): environment, ports changed"),
            std::string::npos)
      << plan.describe();
  EXPECT_NE(plan.describe().find("keep db (p-db-1): up to date"), std::string::npos);
}

TEST_F(PlanTest, ImageIdNetworksAndStoppedContainers) {
  Project p = load(kBase);
  auto web = made(p, "web", 1);
  auto db = made(p, "db", 1, "exited");
  Observed o = observed(p, {web, db});
  o.image_ids["app"] = "sha256:new";
  Plan plan = make_plan(p, o, {});
  EXPECT_NE(plan.describe().find("recreate web (p-web-1): image changed"), std::string::npos)
      << plan.describe();
  EXPECT_NE(plan.describe().find("start db (p-db-1): not running (exited)"), std::string::npos)
      << plan.describe();
  // A running container missing a network is recreated.
  web.networks.clear();
  plan = make_plan(p, observed(p, {web, made(p, "db", 1)}), {});
  EXPECT_NE(plan.describe().find("recreate web (p-web-1): not on network p_default"),
            std::string::npos)
      << plan.describe();
}

TEST_F(PlanTest, ScaleOrphansPoliciesAndMissingThings) {
  Project p = load("services:\n  web:\n    image: app\n    scale: 2\n  db:\n    image: db\n");
  auto stray = made(p, "web", 1);
  stray.labels[labels::kService] = "gone";
  stray.id = "stray";
  Observed o = observed(
      p, {made(p, "web", 1), made(p, "web", 2), made(p, "web", 3), made(p, "db", 1), stray});
  Plan plan = make_plan(p, o, {});
  EXPECT_EQ(ops(plan), "orphan gone#1; remove web#3; keep web#1; keep web#2; keep db#1; ");
  plan = make_plan(p, o, {.remove_orphans = true});
  EXPECT_EQ(ops(plan), "remove gone#1; remove web#3; keep web#1; keep web#2; keep db#1; ");
  plan = make_plan(p, o, {.recreate = RecreatePolicy::kForce});
  EXPECT_NE(ops(plan).find("recreate web#1"), std::string::npos);
  // Missing image, network and volume: pull, create; an empty project: everything new.
  Observed empty;
  empty.image_ids = {{"app", ""}, {"db", "sha256:x"}};
  plan = make_plan(p, empty, {});
  EXPECT_EQ(ops(plan),
            "pull app; create network p_default; create web#1; create web#2; create db#1; ");
  plan = make_plan(p, empty, {.pull = "never"});
  EXPECT_EQ(ops(plan).find("pull"), std::string::npos);
}

TEST_F(PlanTest, SelectedServicesBringTheirDependencies) {
  Project p = load(
      "services:\n  web:\n    image: app\n    depends_on: [db]\n  db:\n    image: db\n  other:\n   "
      " image: o\n");
  Observed empty;
  empty.image_ids = {{"app", "i"}, {"db", "i"}, {"o", "i"}};
  Plan plan = make_plan(p, empty, {.services = {"web"}});
  EXPECT_EQ(ops(plan), "create network p_default; create db#1; create web#1; ");
}

TEST_F(PlanTest, RestartTrueFollowsARecreatedDependency) {
  Project p = load(
      "services:\n  web:\n    image: app\n    depends_on:\n      db: {condition: service_started, "
      "restart: true}\n  db:\n    image: db\n");
  Observed o = observed(p, {made(p, "web", 1), made(p, "db", 1)});
  o.image_ids["db"] = "sha256:other";
  Plan plan = make_plan(p, o, {});
  EXPECT_EQ(ops(plan), "recreate db#1; restart web#1; ");
}

TEST_F(PlanTest, CreateBodyCarriesTheService) {
  Project p = load(
      "services:\n  web:\n    image: app\n    command: [a, b]\n    environment: {K: v}\n    ports: "
      "[\"127.0.0.1:8080:80/udp\"]\n"
      "    volumes: [\"./d:/d:ro\", data:/data, /anon]\n    restart: on-failure:3\n    "
      "healthcheck: {test: [CMD, t], interval: 2s}\n"
      "    networks: {front: {aliases: [api]}, back: {}}\n    cap_add: [NET_ADMIN]\n    "
      "stop_grace_period: 5s\n"
      "    deploy: {resources: {limits: {memory: 64m, cpus: \"0.5\"}}}\n"
      "networks:\n  front: {}\n  back: {}\nvolumes:\n  data: {}\n");
  Json b = create_body(p, *p.find("web"), 1, "sha256:img");
  EXPECT_EQ(b["Image"], "app");
  EXPECT_EQ(b["Cmd"], Json({"a", "b"}));
  EXPECT_EQ(b["Env"], Json({"K=v"}));
  EXPECT_EQ(b["HostConfig"]["PortBindings"]["80/udp"][0],
            Json({{"HostIp", "127.0.0.1"}, {"HostPort", "8080"}}));
  EXPECT_EQ(b["HostConfig"]["Binds"], Json({dir_.path() + "/d:/d:ro"}));
  EXPECT_EQ(b["HostConfig"]["Mounts"][0]["Source"], "p_data");
  EXPECT_FALSE(b["HostConfig"]["Mounts"][1].contains("Source"));
  EXPECT_EQ(b["HostConfig"]["RestartPolicy"],
            Json({{"Name", "on-failure"}, {"MaximumRetryCount", 3}}));
  EXPECT_EQ(b["Healthcheck"]["Interval"], 2'000'000'000LL);
  EXPECT_EQ(b["HostConfig"]["NetworkMode"], "p_back");  // same priority: by name
  EXPECT_EQ(b["NetworkingConfig"]["EndpointsConfig"]["p_back"]["Aliases"],
            Json({"web", "p-web-1"}));
  EXPECT_EQ(b["StopTimeout"], 5);
  EXPECT_EQ(b["HostConfig"]["Memory"], 64 * 1024 * 1024);
  EXPECT_EQ(b["HostConfig"]["NanoCpus"], 500'000'000LL);
  EXPECT_EQ(b["Labels"][labels::kOneOff], "False");
  EXPECT_EQ(b["Labels"][labels::kImage], "sha256:img");
}

}  // namespace
}  // namespace varan::compose
