// The loader, one syntax at a time, from small compose files in a temporary folder.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/compose/load.h"
#include "engine/compose/merge.h"
#include "tests/compose/load_fixture.h"
#include "tests/support/support.h"

namespace varan::compose {
namespace {

using test::TempDir;

TEST_F(Load, AnchorsAndMergeKeys) {
  auto p = load(
      "x-base: &base\n  image: busybox\n  environment: {A: \"1\"}\n"
      "x-more: &more\n  labels: {l: v}\n"
      "services:\n  a:\n    <<: [*base, *more]\n    environment: {B: \"2\"}\n  b: *base\n");
  EXPECT_EQ(svc(p, "a")["image"], "busybox");
  EXPECT_EQ(svc(p, "a")["environment"], Json({{"B", "2"}}));  // the local key wins whole
  EXPECT_EQ(svc(p, "a")["labels"], Json({{"l", "v"}}));
  EXPECT_EQ(svc(p, "b")["environment"], Json({{"A", "1"}}));
}

TEST_F(Load, YamlErrorsNameFileAndLine) {
  std::string m = error("services:\n  web:\n    image: [unclosed\n");
  EXPECT_NE(m.find("compose.yaml:"), std::string::npos) << m;
  m = error("services:\n  web:\n    image: a\n    image: b\n");
  EXPECT_NE(m.find("compose.yaml:4"), std::string::npos) << m;
  EXPECT_NE(m.find("duplicate key"), std::string::npos) << m;
}

TEST_F(Load, BillionLaughsIsRefused) {
  std::string y = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i)
    y += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) +
         ", *a" + std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" +
         std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" + std::to_string(i - 1) +
         ", *a" + std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" +
         std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + "]\n";
  EXPECT_NE(error(y + "services: {}\n").find("too many nodes"), std::string::npos);
}

TEST_F(Load, InterpolationFromEnvironmentAndDotEnv) {
  write(".env", "TAG=1.2\nFROM_FILE=file\nBOTH=file\n");
  LoadOptions o;
  o.environment = {{"BOTH", "process"}};
  o.project_name = "t";
  auto p = load(
      "services:\n  web:\n    image: app:${TAG}\n    environment:\n      - F=${FROM_FILE}\n      - "
      "B=${BOTH}\n",
      o);
  EXPECT_EQ(svc(p, "web")["image"], "app:1.2");
  EXPECT_EQ(svc(p, "web")["environment"]["F"], "file");
  EXPECT_EQ(svc(p, "web")["environment"]["B"],
            "process");  // the process environment wins over .env
}

TEST_F(Load, EnvFileOptionReplacesDotEnv) {
  write(".env", "TAG=dotenv\n");
  write("other.env", "TAG=other\n");
  LoadOptions o;
  o.env_files = {"other.env"};
  auto p = load("services:\n  web:\n    image: app:${TAG}\n", o);
  EXPECT_EQ(svc(p, "web")["image"], "app:other");
  EXPECT_EQ(p.env_files.size(), 1u);
  o.env_files = {"missing.env"};
  EXPECT_NE(error("", o).find("missing.env"), std::string::npos);
}

TEST_F(Load, UnsetVariablesWarn) {
  auto p = load("services:\n  web:\n    image: app${NOPE}\n");
  ASSERT_FALSE(p.warnings.empty());
  EXPECT_NE(p.warnings[0].find("NOPE"), std::string::npos);
}

TEST_F(Load, RequiredVariableErrorNamesVariableAndFile) {
  std::string m = error(
      "services:\n  web:\n    image: app\n    environment:\n      PW: ${PW:?the db password}\n");
  EXPECT_NE(m.find("PW"), std::string::npos);
  EXPECT_NE(m.find("the db password"), std::string::npos);
  EXPECT_NE(m.find("compose.yaml:5"), std::string::npos) << m;
  EXPECT_NE(m.find("services.web"), std::string::npos) << m;
}

TEST_F(Load, EnvironmentListMapBareAndEnvFiles) {
  write("a.env", "A=from_a\nSHARED=a\n");
  write("b.env", "B=from_b\nSHARED=b\n");
  LoadOptions o;
  o.environment = {{"HOSTVAR", "host"}};
  o.project_name = "t";
  auto p = load(
      "services:\n"
      "  list:\n    image: x\n    environment: [\"K=v\", \"EQ=a=b\", HOSTVAR, MISSING]\n"
      "  map:\n    image: x\n    environment:\n      K: v\n      N: 1\n      HOSTVAR:\n    "
      "env_file: [a.env, b.env]\n"
      "  long:\n    image: x\n    env_file:\n      - path: a.env\n      - path: nope.env\n        "
      "required: false\n"
      "    environment:\n      SHARED: local\n",
      o);
  // MISSING is set nowhere: it stays, without a value (compose-go's TestEnvironmentList).
  EXPECT_EQ(svc(p, "list")["environment"],
            Json({{"K", "v"}, {"EQ", "a=b"}, {"HOSTVAR", "host"}, {"MISSING", nullptr}}));
  EXPECT_EQ(svc(p, "map")["environment"], Json({{"K", "v"},
                                                {"N", "1"},
                                                {"HOSTVAR", "host"},
                                                {"A", "from_a"},
                                                {"B", "from_b"},
                                                {"SHARED", "b"}}));
  EXPECT_EQ(svc(p, "long")["environment"], Json({{"A", "from_a"}, {"SHARED", "local"}}));
  EXPECT_FALSE(svc(p, "map").contains("env_file"));
  std::string m = error("services:\n  web:\n    image: x\n    env_file: missing.env\n");
  EXPECT_NE(m.find("missing.env"), std::string::npos) << m;
  EXPECT_NE(m.find("\"web\""), std::string::npos) << m;
}

TEST_F(Load, CommandAndEntrypoint) {
  auto p = load(
      "services:\n  a:\n    image: x\n    command: sh -c 'echo \"hi there\"' x\\ y\n    "
      "entrypoint: [\"/bin/e\", \"-v\"]\n"
      "  b:\n    image: x\n    command: []\n");
  EXPECT_EQ(svc(p, "a")["command"], Json({"sh", "-c", "echo \"hi there\"", "x y"}));
  EXPECT_EQ(svc(p, "a")["entrypoint"], Json({"/bin/e", "-v"}));
  EXPECT_EQ(svc(p, "b")["command"], Json::array());
}

TEST_F(Load, PortsShortAndLong) {
  auto p = load(
      "services:\n  web:\n    image: x\n    ports:\n"
      "      - \"80\"\n      - 8080:80\n      - 127.0.0.1:9000:9000/udp\n      - "
      "\"[::1]:7000:7000\"\n"
      "      - 6000-6001:6000-6001\n      - 127.0.0.1::5000\n"
      "      - target: 443\n        published: 8443\n        host_ip: 0.0.0.0\n        protocol: "
      "tcp\n        mode: host\n");
  const Json& ports = svc(p, "web")["ports"];
  ASSERT_EQ(ports.size(), 8u);
  EXPECT_EQ(ports[0], Json({{"target", 80}, {"protocol", "tcp"}, {"mode", "ingress"}}));
  EXPECT_EQ(
      ports[1],
      Json({{"target", 80}, {"published", "8080"}, {"protocol", "tcp"}, {"mode", "ingress"}}));
  EXPECT_EQ(ports[2]["host_ip"], "127.0.0.1");
  EXPECT_EQ(ports[2]["protocol"], "udp");
  EXPECT_EQ(ports[3]["host_ip"], "::1");
  EXPECT_EQ(ports[4]["published"], "6000");
  EXPECT_EQ(ports[5]["published"], "6001");
  EXPECT_EQ(ports[5]["target"], 6001);
  EXPECT_FALSE(ports[6].contains("published"));
  EXPECT_EQ(ports[7], Json({{"target", 443},
                            {"published", "8443"},
                            {"host_ip", "0.0.0.0"},
                            {"protocol", "tcp"},
                            {"mode", "host"}}));
  EXPECT_NE(
      error("services:\n  w:\n    image: x\n    ports: [\"99999:80\"]\n").find("out of range"),
      std::string::npos);
  EXPECT_NE(error("services:\n  w:\n    image: x\n    ports: [\"1-3:1-2\"]\n").find("\"w\""),
            std::string::npos);
}

TEST_F(Load, VolumesShortLongNamedAnonymousTmpfs) {
  auto p = load(
      "services:\n  web:\n    image: x\n    volumes:\n"
      "      - ./data:/data\n      - /abs:/abs:ro,z\n      - named:/named:nocopy\n      - /anon\n  "
      "    - ~/h:/h\n"
      "      - type: tmpfs\n        target: /tmp/\n        tmpfs: {size: 64m}\n"
      "      - type: bind\n        source: ../up\n        target: /up\n        bind: "
      "{create_host_path: false}\n"
      "volumes:\n  named: {}\n",
      {.project_name = "t", .environment = {{"HOME", "/home/u"}}});
  const Json& v = svc(p, "web")["volumes"];
  ASSERT_EQ(v.size(), 7u);
  EXPECT_EQ(v[0], Json({{"type", "bind"},
                        {"source", dir_.path() + "/data"},
                        {"target", "/data"},
                        {"bind", {{"create_host_path", true}}}}));
  EXPECT_EQ(v[1]["read_only"], true);
  EXPECT_EQ(v[1]["bind"]["selinux"], "z");
  EXPECT_EQ(v[2], Json({{"type", "volume"},
                        {"source", "named"},
                        {"target", "/named"},
                        {"volume", {{"nocopy", true}}}}));
  EXPECT_EQ(v[3], Json({{"type", "volume"}, {"target", "/anon"}}));
  EXPECT_EQ(v[4]["source"], "/home/u/h");
  EXPECT_EQ(v[5],
            Json({{"type", "tmpfs"}, {"target", "/tmp"}, {"tmpfs", {{"size", 64 * 1024 * 1024}}}}));
  EXPECT_EQ(v[6]["source"], std::filesystem::path(dir_.path()).parent_path().string() + "/up");
  EXPECT_EQ(v[6]["bind"]["create_host_path"], false);
  EXPECT_EQ(p.volume("named")->name, "t_named");
  std::string m = error("services:\n  web:\n    image: x\n    volumes: [\"undeclared:/x\"]\n");
  EXPECT_NE(m.find("undefined volume \"undeclared\""), std::string::npos) << m;
}

TEST_F(Load, NetworksAliasesExternalAndDefault) {
  auto p = load(
      "services:\n"
      "  a:\n    image: x\n    networks:\n      front:\n        aliases: [api]\n        priority: "
      "10\n      back:\n"
      "  b:\n    image: x\n    networks: [back]\n"
      "  c:\n    image: x\n"
      "  d:\n    image: x\n    network_mode: host\n"
      "networks:\n  front:\n  back:\n    external: true\n    name: shared-back\n");
  EXPECT_EQ(p.find("a")->network_keys(), (std::vector<std::string>{"front", "back"}));
  EXPECT_EQ(svc(p, "a")["networks"]["front"]["aliases"], Json({"api"}));
  EXPECT_EQ(p.network("front")->name, "t_front");
  EXPECT_EQ(p.network("back")->name, "shared-back");
  EXPECT_TRUE(p.network("back")->external);
  EXPECT_EQ(p.find("c")->network_keys(), (std::vector<std::string>{"default"}));
  EXPECT_EQ(p.network("default")->name, "t_default");
  EXPECT_TRUE(p.find("d")->network_keys().empty());
  EXPECT_NE(error("services:\n  a:\n    image: x\n    networks: [nope]\n")
                .find("undefined network \"nope\""),
            std::string::npos);
}

TEST_F(Load, DependsOnForms) {
  auto p = load(
      "services:\n  db:\n    image: x\n  cache:\n    image: x\n  init:\n    image: x\n"
      "  web:\n    image: x\n    depends_on:\n      db:\n        condition: service_healthy\n      "
      "  restart: true\n"
      "      init:\n        condition: service_completed_successfully\n      cache:\n        "
      "condition: service_started\n"
      "        required: false\n"
      "  short:\n    image: x\n    depends_on: [db]\n");
  const Service* web = p.find("web");
  ASSERT_EQ(web->depends_on.size(), 3u);
  EXPECT_EQ(web->depends_on[0].service, "cache");
  EXPECT_FALSE(web->depends_on[0].required);
  EXPECT_EQ(web->depends_on[1].condition, "service_healthy");
  EXPECT_TRUE(web->depends_on[1].restart);
  EXPECT_EQ(web->depends_on[2].condition, "service_completed_successfully");
  EXPECT_EQ(p.find("short")->depends_on[0].condition, "service_started");
  auto order = p.dependency_order();
  auto pos = [&](const std::string& n) {
    return std::find(order.begin(), order.end(), n) - order.begin();
  };
  EXPECT_LT(pos("db"), pos("web"));
  EXPECT_LT(pos("init"), pos("web"));
}

TEST_F(Load, DependencyCyclesAndUnknownServicesAreErrors) {
  std::string m = error(
      "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: "
      "[c]\n"
      "  c:\n    image: x\n    depends_on: [a]\n");
  EXPECT_NE(m.find("dependency cycle"), std::string::npos) << m;
  EXPECT_NE(m.find("a -> b -> c -> a"), std::string::npos) << m;
  m = error("services:\n  a:\n    image: x\n    depends_on: [ghost]\n");
  EXPECT_NE(m.find("service \"a\" depends on undefined service \"ghost\""), std::string::npos) << m;
}

TEST_F(Load, HealthcheckRestartAndScalars) {
  auto p = load(
      "services:\n  a:\n    image: x\n    healthcheck:\n      test: curl -f localhost\n      "
      "interval: 1m30s\n"
      "      timeout: 500ms\n      start_period: 10s\n      retries: 3\n"
      "    restart: on-failure:5\n    user: \"1000:1000\"\n    working_dir: /w\n    hostname: h\n"
      "    cap_add: [NET_ADMIN]\n    cap_drop: [ALL]\n    privileged: true\n    read_only: yes\n   "
      " init: true\n"
      "    extra_hosts: [\"db:10.0.0.2\", \"cache=10.0.0.3\"]\n    dns: 8.8.8.8\n    tmpfs: /run\n"
      "    ulimits:\n      nofile: {soft: 1024, hard: 2048}\n      nproc: 512\n"
      "    logging:\n      driver: json-file\n      options: {max-size: 10m}\n"
      "    stop_signal: SIGINT\n    stop_grace_period: 1m\n"
      "    deploy:\n      resources:\n        limits: {cpus: '0.5', memory: 256M, pids: 100}\n"
      "        reservations: {memory: 64m}\n"
      "  b:\n    image: x\n    healthcheck:\n      disable: true\n    deploy:\n      replicas: 3\n"
      "  c:\n    image: x\n    scale: 2\n    pull_policy: never\n");
  const Json& a = svc(p, "a");
  EXPECT_EQ(a["healthcheck"]["test"], Json({"CMD-SHELL", "curl -f localhost"}));
  EXPECT_EQ(a["healthcheck"]["interval"], 90'000'000'000LL);
  EXPECT_EQ(a["healthcheck"]["timeout"], 500'000'000LL);
  EXPECT_EQ(a["healthcheck"]["retries"], 3);
  EXPECT_EQ(a["restart"], "on-failure:5");
  EXPECT_EQ(a["privileged"], true);
  EXPECT_EQ(a["read_only"], true);
  EXPECT_EQ(a["extra_hosts"], Json({{"db", "10.0.0.2"}, {"cache", "10.0.0.3"}}));
  EXPECT_EQ(a["dns"], Json({"8.8.8.8"}));
  EXPECT_EQ(a["tmpfs"], Json({"/run"}));
  EXPECT_EQ(a["ulimits"]["nproc"], Json({{"soft", 512}, {"hard", 512}}));
  EXPECT_EQ(a["logging"]["options"]["max-size"], "10m");
  EXPECT_EQ(a["stop_grace_period"], 60'000'000'000LL);
  EXPECT_EQ(a["deploy"]["resources"]["limits"]["memory"], 256LL * 1024 * 1024);
  EXPECT_EQ(a["deploy"]["resources"]["limits"]["cpus"], 0.5);
  EXPECT_EQ(svc(p, "b")["healthcheck"]["test"], Json({"NONE"}));
  EXPECT_EQ(p.find("c")->scale, 2);
  EXPECT_EQ(p.find("c")->pull_policy, "never");
  EXPECT_NE(error("services:\n  a:\n    image: x\n    restart: sometimes\n").find("restart"),
            std::string::npos);
  EXPECT_NE(error("services:\n  a:\n    image: x\n    privileged: maybe\n").find("privileged"),
            std::string::npos);
  EXPECT_NE(error("services:\n  a:\n    image: x\n    scale: 2\n    container_name: one\n")
                .find("container_name"),
            std::string::npos);
}

TEST_F(Load, SecretsAndConfigsFromFiles) {
  write("pw.txt", "secret");
  auto p = load(
      "services:\n  a:\n    image: x\n    secrets: [pw, {source: pw, target: other}]\n    configs: "
      "[cfg]\n"
      "secrets:\n  pw:\n    file: ./pw.txt\nconfigs:\n  cfg:\n    file: ./pw.txt\n");
  EXPECT_EQ(svc(p, "a")["secrets"][0]["source"], "pw");
  EXPECT_EQ(p.secrets["pw"]["file"], dir_.path() + "/pw.txt");
  std::string m = error("services:\n  a:\n    image: x\nsecrets:\n  pw:\n    environment: PW\n");
  EXPECT_NE(m.find("environment"), std::string::npos) << m;
}

TEST_F(Load, UnsupportedKeysFailNamingKeyAndServiceUnlessIgnored) {
  std::string y = "services:\n  web:\n    image: x\n    build: .\n";
  std::string m = error(y);
  EXPECT_NE(m.find("service \"web\": build"), std::string::npos) << m;
  EXPECT_NE(m.find("compose.yaml:4"), std::string::npos) << m;
  EXPECT_NE(m.find("--ignore-unsupported"), std::string::npos) << m;
  LoadOptions o;
  o.ignore_unsupported = true;
  auto p = load(y, o);
  ASSERT_FALSE(p.warnings.empty());
  EXPECT_NE(p.warnings.back().find("build"), std::string::npos);
  EXPECT_FALSE(svc(p, "web").contains("build"));
  m = error("services:\n  web:\n    image: x\n    imagee: y\n");
  EXPECT_NE(m.find("imagee"), std::string::npos) << m;
  m = error("services:\n  web:\n    image: x\nunknown_top: 1\n");
  EXPECT_NE(m.find("unknown_top"), std::string::npos) << m;
  m = error("include: [other.yaml]\nservices: {}\n");
  EXPECT_NE(m.find("include"), std::string::npos) << m;
  // Extensions are fine anywhere.
  load("x-top: 1\nservices:\n  web:\n    image: x\n    x-mine: {a: 1}\n");
}

TEST_F(Load, SeveralFilesMergeWithComposeRules) {
  write("compose.yaml",
        "services:\n  web:\n    image: app:1\n    command: [a, b]\n    environment: {A: \"1\", B: "
        "\"1\"}\n"
        "    ports: [\"8080:80\", \"9090:90\"]\n    volumes: [\"./a:/data\", \"./logs:/logs\"]\n"
        "    cap_add: [NET_ADMIN]\n    labels: [x=1]\n    healthcheck:\n      test: [CMD, old]\n   "
        "   retries: 5\n"
        "    dns: [1.1.1.1]\n"
        "  gone:\n    image: y\n");
  write("override.yaml",
        "services:\n  web:\n    image: app:2\n    command: [c]\n    environment: [B=2, C=3]\n"
        "    ports: [\"8080:80\", \"7070:70\"]\n    volumes: [\"./b:/data\"]\n    cap_add: "
        "[NET_ADMIN, SYS_TIME]\n"
        "    labels: {y: \"2\"}\n    healthcheck:\n      test: [CMD, new]\n    dns: !reset []\n"
        "  gone: !reset\n");
  LoadOptions o;
  o.files = {"compose.yaml", "override.yaml"};
  auto p = load("", o);
  const Json& w = svc(p, "web");
  EXPECT_EQ(w["image"], "app:2");
  EXPECT_EQ(w["command"], Json({"c"}));
  EXPECT_EQ(w["environment"], Json({{"A", "1"}, {"B", "2"}, {"C", "3"}}));
  EXPECT_EQ(w["ports"].size(), 3u);
  ASSERT_EQ(w["volumes"].size(), 2u);
  EXPECT_EQ(w["volumes"][0]["source"], dir_.path() + "/b");
  EXPECT_EQ(w["cap_add"], Json({"NET_ADMIN", "SYS_TIME"}));
  EXPECT_EQ(w["labels"], Json({{"x", "1"}, {"y", "2"}}));
  EXPECT_EQ(w["healthcheck"]["test"], Json({"CMD", "new"}));
  EXPECT_EQ(w["healthcheck"]["retries"], 5);
  EXPECT_FALSE(w.contains("dns"));
  EXPECT_EQ(p.find("gone"), nullptr);
  EXPECT_EQ(p.config_files.size(), 2u);
}

TEST_F(Load, OverrideTagReplacesWhole) {
  write("compose.yaml",
        "services:\n  web:\n    image: a\n    environment: {A: \"1\"}\n    ports: [\"80:80\"]\n");
  write("o.yaml",
        "services:\n  web:\n    environment: !override {B: \"2\"}\n    ports: !override "
        "[\"81:81\"]\n");
  LoadOptions o;
  o.files = {"compose.yaml", "o.yaml"};
  auto p = load("", o);
  EXPECT_EQ(svc(p, "web")["environment"], Json({{"B", "2"}}));
  ASSERT_EQ(svc(p, "web")["ports"].size(), 1u);
  EXPECT_EQ(svc(p, "web")["ports"][0]["target"], 81);
}

TEST_F(Load, DefaultFilesOverrideAndUpwardSearch) {
  write("compose.yaml", "services:\n  web:\n    image: a\n");
  write("compose.override.yaml", "services:\n  web:\n    image: b\n");
  write("sub/dir/.keep", "");
  LoadOptions o;
  o.cwd = dir_.path() + "/sub/dir";
  auto p = load("", o);
  EXPECT_EQ(svc(p, "web")["image"], "b");
  EXPECT_EQ(p.working_dir, dir_.path());
  EXPECT_EQ(find_default_files(dir_.path() + "/sub").size(), 2u);
}

TEST_F(Load, ComposeFileVariable) {
  write("one.yaml", "services:\n  a:\n    image: x\n");
  write("two.yaml", "services:\n  b:\n    image: x\n");
  LoadOptions o;
  o.environment = {{"COMPOSE_FILE", "one.yaml:two.yaml"}, {"COMPOSE_PROJECT_NAME", "cf"}};
  auto p = load("", o);
  EXPECT_NE(p.find("a"), nullptr);
  EXPECT_NE(p.find("b"), nullptr);
  EXPECT_EQ(p.name, "cf");
}

TEST_F(Load, ProjectNamePrecedenceAndNormalisation) {
  std::string y = "name: from-file\nservices:\n  web:\n    image: x\n";
  write("compose.yaml", y);
  LoadOptions o;
  o.cwd = dir_.path();
  o.inherit_environment = false;
  EXPECT_EQ(load_project(o).name, "from-file");
  o.environment = {{"COMPOSE_PROJECT_NAME", "from-env"}};
  EXPECT_EQ(load_project(o).name, "from-env");
  o.project_name = "from-flag";
  EXPECT_EQ(load_project(o).name, "from-flag");
  o.project_name = "Bad Name";
  EXPECT_THROW(load_project(o), Error);
  write("compose.yaml", "services:\n  web:\n    image: x\n");
  o.project_name.clear();
  o.environment.clear();
  std::string base = normalize_project_name(std::filesystem::path(dir_.path()).filename().string());
  EXPECT_EQ(load_project(o).name, base);
  EXPECT_EQ(normalize_project_name("__My.App-1_"), "myapp-1_");
  EXPECT_EQ(normalize_project_name("-x"), "x");
}

TEST_F(Load, ProfilesEnableServices) {
  std::string y =
      "services:\n  web:\n    image: x\n  debug:\n    image: x\n    profiles: [dev]\n"
      "  tools:\n    image: x\n    profiles: [ops, dev]\n";
  auto p = load(y);
  EXPECT_EQ(p.services.size(), 1u);
  EXPECT_EQ(p.disabled.size(), 2u);
  EXPECT_TRUE(p.knows("debug"));
  LoadOptions o;
  o.profiles = {"ops"};
  p = load(y, o);
  EXPECT_NE(p.find("tools"), nullptr);
  EXPECT_EQ(p.find("debug"), nullptr);
  o = {};
  o.environment = {{"COMPOSE_PROFILES", "dev"}};
  o.project_name = "t";
  EXPECT_EQ(load(y, o).services.size(), 3u);
  o = {};
  o.services = {"debug"};
  EXPECT_NE(load(y, o).find("debug"), nullptr);
  o = {};
  o.profiles = {"*"};
  EXPECT_EQ(load(y, o).services.size(), 3u);
  std::string m = error(
      "services:\n  web:\n    image: x\n    depends_on: [debug]\n  debug:\n    image: x\n    "
      "profiles: [dev]\n");
  EXPECT_NE(m.find("profiles"), std::string::npos) << m;
}

TEST_F(Load, ExtendsSameFileAndOtherFile) {
  write("common/base.yaml",
        "services:\n  base:\n    image: base\n    environment: {FROM: base}\n    volumes: "
        "[\"./conf:/conf\"]\n"
        "  derived:\n    extends: base\n    labels: {d: \"1\"}\n");
  auto p = load(
      "services:\n"
      "  local:\n    image: local\n    environment: {A: \"1\"}\n"
      "  child:\n    extends: local\n    environment: {B: \"2\"}\n"
      "  remote:\n    extends:\n      file: common/base.yaml\n      service: derived\n    image: "
      "mine\n");
  EXPECT_EQ(svc(p, "child")["image"], "local");
  EXPECT_EQ(svc(p, "child")["environment"], Json({{"A", "1"}, {"B", "2"}}));
  EXPECT_EQ(svc(p, "remote")["image"], "mine");
  EXPECT_EQ(svc(p, "remote")["labels"], Json({{"d", "1"}}));
  EXPECT_EQ(svc(p, "remote")["environment"], Json({{"FROM", "base"}}));
  // Relative paths in the other file are relative to that file.
  EXPECT_EQ(svc(p, "remote")["volumes"][0]["source"], dir_.path() + "/common/conf");
  std::string m = error("services:\n  a:\n    extends: b\n  b:\n    extends: a\n");
  EXPECT_NE(m.find("circular"), std::string::npos) << m;
  m = error("services:\n  a:\n    extends: nope\n");
  EXPECT_NE(m.find("\"nope\" is not defined"), std::string::npos) << m;
}

TEST_F(Load, VersionIsObsoleteAndWarns) {
  auto p = load("version: \"3.8\"\nservices:\n  web:\n    image: x\n");
  ASSERT_FALSE(p.warnings.empty());
  EXPECT_NE(p.warnings[0].find("obsolete"), std::string::npos);
}

TEST_F(Load, NoImageIsAnError) {
  EXPECT_NE(
      error("services:\n  web:\n    environment: {A: b}\n").find("service \"web\" has no image"),
      std::string::npos);
}

TEST_F(Load, ConfigHashIgnoresScaleAndProfilesButNotTheRest) {
  auto hash_of = [&](const std::string& y) { return config_hash(*load(y).find("web")); };
  std::string base = "services:\n  web:\n    image: x\n    environment: {A: \"1\"}\n";
  std::string h = hash_of(base);
  EXPECT_EQ(hash_of(base + "    scale: 3\n"), h);
  EXPECT_EQ(hash_of(base + "    pull_policy: always\n"), h);
  EXPECT_EQ(hash_of(base + "    deploy: {replicas: 2}\n"), h);
  EXPECT_NE(hash_of(base + "    labels: {a: b}\n"), h);
  EXPECT_NE(hash_of("services:\n  web:\n    image: x\n    environment: {A: \"2\"}\n"), h);
  // Same meaning, different spelling: same hash.
  EXPECT_EQ(hash_of("services:\n  web:\n    image: x\n    environment: [A=1]\n"), h);
  EXPECT_EQ(changed_keys("environment:aaaaaaaa,image:bbbbbbbb",
                         "environment:cccccccc,image:bbbbbbbb,ports:dddddddd"),
            (std::vector<std::string>{"environment", "ports"}));
}

TEST_F(Load, ConfigYamlRoundTrips) {
  auto p = load(
      "services:\n  web:\n    image: x\n    environment: {A: \"yes\", B: \"1\", C: \"a: b\", D: "
      "\"\"}\n"
      "    command: [\"echo\", \"# not a comment\"]\n    ports: [\"80:80\"]\n    healthcheck: "
      "{test: [CMD, t], interval: 90s}\n");
  std::string y = p.to_yaml();
  write("again.yaml", y);
  LoadOptions o;
  o.files = {"again.yaml"};
  auto q = load("", o);
  EXPECT_EQ(svc(q, "web"), svc(p, "web")) << y;
  EXPECT_NE(y.find("interval: 1m30s"), std::string::npos) << y;
}

TEST(Units, DurationsAndBytes) {
  EXPECT_EQ(parse_duration("1h2m3s"), 3723'000'000'000LL);
  EXPECT_EQ(parse_duration("1.5s"), 1'500'000'000LL);
  EXPECT_EQ(parse_duration("250ms"), 250'000'000LL);
  EXPECT_EQ(parse_duration("0"), 0);
  EXPECT_FALSE(parse_duration("10"));
  EXPECT_FALSE(parse_duration("1x"));
  EXPECT_EQ(parse_bytes("1g"), 1024LL * 1024 * 1024);
  EXPECT_EQ(parse_bytes("512M"), 512LL * 1024 * 1024);
  EXPECT_EQ(parse_bytes("64kb"), 64LL * 1024);
  EXPECT_EQ(parse_bytes("100"), 100);
  EXPECT_FALSE(parse_bytes("lots"));
}

TEST(Merge, SequencesAppendScalarListsDedupe) {
  YNode a = parse_yaml("services:\n  s:\n    dns: [a, b]\n    expose: [\"1\"]\n", "a");
  YNode b = parse_yaml("services:\n  s:\n    dns: [b, c]\n    expose: [\"2\"]\n", "b");
  merge_files(a, b);
  const YNode* s = a.find("services")->find("s");
  ASSERT_EQ(s->find("dns")->seq.size(), 3u);
  EXPECT_EQ(s->find("expose")->seq.size(), 2u);
}

}  // namespace
}  // namespace varan::compose
