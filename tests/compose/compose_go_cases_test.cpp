// The loader against compose-go's own test expectations (issue 14's list of loader bugs): each
// case is named after the compose-go test it follows, with the value that test expects.
#include <gtest/gtest.h>

#include "engine/compose/create_body.h"
#include "engine/compose/plan.h"
#include "tests/compose/load_fixture.h"

namespace varan::compose {
namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Options for project "t" with `env` as the whole environment.
LoadOptions with_env(std::map<std::string, std::string> env) {
  LoadOptions o;
  o.project_name = "t";
  o.environment = std::move(env);
  return o;
}

std::vector<std::string> targets(const Json& volumes) {
  std::vector<std::string> out;
  for (const auto& v : volumes)
    out.push_back(v.value("target", ""));
  return out;
}

// 1. `!reset` / `!override` in a service that uses `extends`.
TEST_F(Load, TestExtendsReset) {
  write("reset.yaml",
        "services:\n  init:\n    image: alpine:latest\n    command: \"sleep infinity\"\n"
        "  base:\n    extends: {service: init}\n    command: !reset\n");
  auto p = load(
      "name: test-extends-reset\nservices:\n  test:\n"
      "    extends: {file: reset.yaml, service: base}\n");
  EXPECT_EQ(svc(p, "test")["image"], "alpine:latest");
  EXPECT_FALSE(svc(p, "test").contains("command")) << svc(p, "test").dump();
}

TEST_F(Load, TestLoadExtendsWihReset) {
  auto p = load(
      "name: load-extends\nservices:\n  foo:\n    extends:\n      service: bar\n"
      "    volumes: !reset []\n  bar:\n    image: alpine\n    command: echo\n"
      "    volumes:\n       - .:/src\n");
  EXPECT_EQ(p.services.size(), 2u);
  EXPECT_FALSE(svc(p, "foo").contains("volumes")) << svc(p, "foo").dump();
  EXPECT_EQ(svc(p, "foo")["command"], Json({"echo"}));
  EXPECT_EQ(targets(svc(p, "bar")["volumes"]), std::vector<std::string>{"/src"});
}

TEST_F(Load, TestOverrideMiddle) {
  write("base.yaml", "services:\n  base:\n    volumes: [/foo:/foo]\n    networks: [foo]\n");
  write("override.yaml",
        "services:\n  override:\n    extends: {file: ./base.yaml, service: base}\n"
        "    volumes: !override\n      - /bar:/bar\n    networks: !override\n      - bar\n");
  auto p = load(
      "name: test\nservices:\n  test:\n    image: test\n"
      "    extends: {file: ./override.yaml, service: override}\n"
      "    volumes:\n      - /zot:/zot\n    networks: !override\n      - zot\nnetworks:\n  zot: "
      "{}\n");
  const Json& t = svc(p, "test");
  EXPECT_EQ(targets(t["volumes"]), (std::vector<std::string>{"/bar", "/zot"}));
  EXPECT_EQ(t["volumes"][0]["source"], "/bar");
  EXPECT_EQ(t["networks"], Json({{"zot", nullptr}}));
}

TEST_F(Load, TestOverrideSelfExtends) {
  auto p = load(
      "name: test-override-extends\nservices:\n"
      "  depend_base: {image: nginx, ports: [\"8092:80\"]}\n"
      "  depend_one:  {image: nginx, ports: [\"8091:80\"]}\n"
      "  depend_two:\n    extends:\n      service: depend_one\n"
      "  main_one:\n    image: nginx\n    depends_on: [depend_one]\n    ports: [\"8090:80\"]\n"
      "  main_two:\n    extends: main_one\n    depends_on: !override\n      - depend_two\n"
      "  main:\n    extends:\n      service: main_two\n    depends_on:\n      - depend_base\n");
  Json deps = svc(p, "main")["depends_on"];
  std::vector<std::string> names;
  for (const auto& [k, v] : deps.items()) {
    names.push_back(k);
    EXPECT_EQ(v["condition"], "service_started");
    EXPECT_EQ(v["required"], true);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"depend_base", "depend_two"}));
  EXPECT_EQ(svc(p, "main_two")["depends_on"].size(), 1u);
}

// 2. COMPOSE_PROJECT_NAME in interpolation: the last `name:` of all files, or -p.
TEST_F(Load, TestProjectNameInterpolation) {
  LoadOptions none;
  none.environment = {{"UNRELATED", "1"}};  // no -p: the name comes from the files
  auto p = load(
      "name: interpolated\nservices:\n  web:\n    image: web\n"
      "    container_name: ${COMPOSE_PROJECT_NAME}-web\n",
      none);
  EXPECT_EQ(svc(p, "web")["container_name"], "interpolated-web");

  write("file1.yaml",
        "name: interpolated\nservices:\n  web:\n    image: web\n"
        "    container_name: ${COMPOSE_PROJECT_NAME}-web\n");
  write("file2.yaml",
        "name: overrided\nservices:\n  db:\n    image: db\n"
        "    container_name: ${COMPOSE_PROJECT_NAME}-db\n");
  write("file3.yaml",
        "services:\n  proxy:\n    image: proxy\n"
        "    container_name: ${COMPOSE_PROJECT_NAME}-proxy\n");
  LoadOptions three = none;
  three.files = {"file1.yaml", "file2.yaml", "file3.yaml"};
  p = load("", three);
  EXPECT_EQ(p.name, "overrided");
  EXPECT_EQ(svc(p, "web")["container_name"], "overrided-web");
  EXPECT_EQ(svc(p, "db")["container_name"], "overrided-db");
  EXPECT_EQ(svc(p, "proxy")["container_name"], "overrided-proxy");

  LoadOptions dash_p;
  dash_p.project_name = "interpolated";
  p = load(
      "name: another_name\nservices:\n  web:\n    image: web\n"
      "    container_name: ${COMPOSE_PROJECT_NAME}-web\n",
      dash_p);
  EXPECT_EQ(svc(p, "web")["container_name"], "interpolated-web");
}

// 3. `config` prints a `$` as `$$` (docker compose's runConfig), so its output loads back.
TEST_F(Load, ConfigEscapesDollarsSoItsOutputLoadsBack) {
  auto p = load(
      "services:\n  a:\n    image: busybox\n    command: [sh, -c, \"echo $$HOME\"]\n"
      "    environment: {PRICE: \"$$5\"}\n    labels: {l: \"a$$b\"}\n"
      "    healthcheck: {test: [CMD-SHELL, \"test $$X\"]}\n");
  EXPECT_EQ(svc(p, "a")["environment"]["PRICE"], "$5");
  std::string printed = p.to_yaml();
  EXPECT_TRUE(has(printed, "$$5")) << printed;
  EXPECT_TRUE(has(printed, "echo $$HOME")) << printed;
  EXPECT_FALSE(has(printed, "\"$5\"")) << printed;
  write("printed.yaml", printed);
  LoadOptions o;
  o.files = {"printed.yaml"};
  auto again = load("", o);
  EXPECT_EQ(svc(again, "a"), svc(p, "a"));
  EXPECT_EQ(again.to_yaml(), printed);
}

// 4. Braces inside a default or an error text.
TEST_F(Load, TestValueWithCurlyBracesDefault) {
  LoadOptions o = with_env({{"JSON", "{\"json\":2}"}});
  auto p = load(
      "services:\n  a:\n    image: busybox\n    environment:\n"
      "      SET: 'ok ${JSON:-{\"json\":1}}'\n      SET_DASH: 'ok ${JSON-{\"json\":1}}'\n"
      "      UNSET: 'ok ${missing:-{\"json\":1}}'\n      UNSET_DASH: 'ok ${missing-{\"json\":1}}'\n"
      "      NESTED: '${missing:-{a{b}c}}/tail'\n",
      o);
  const Json& env = svc(p, "a")["environment"];
  EXPECT_EQ(env["SET"], "ok {\"json\":2}");
  EXPECT_EQ(env["SET_DASH"], "ok {\"json\":2}");
  EXPECT_EQ(env["UNSET"], "ok {\"json\":1}");
  EXPECT_EQ(env["UNSET_DASH"], "ok {\"json\":1}");
  EXPECT_EQ(env["NESTED"], "{a{b}c}/tail");
  std::string m = error("services:\n  a:\n    image: \"${A:?{err}}\"\n", o);
  EXPECT_TRUE(has(m, "required variable A is missing a value: {err}")) << m;
}

// 5. `environment: [KEY]` with KEY set nowhere stays, without a value, over an env_file.
TEST_F(Load, TestEnvironmentMap) {
  LoadOptions o = with_env({{"MEU", "Shadoks"}});
  auto p = load(
      "services:\n  a:\n    image: busybox\n    environment:\n      FOO: \"1\"\n      BAR: 2\n"
      "      GA: 2.5\n      BU: \"\"\n      ZO:\n      MEU:\n"
      "  b:\n    image: busybox\n    environment: [FOO=1, BAR=2, BU=, ZO, MEU]\n",
      o);
  Json want = {{"FOO", "1"}, {"BAR", "2"},    {"GA", "2.5"},
               {"BU", ""},   {"ZO", nullptr}, {"MEU", "Shadoks"}};
  EXPECT_EQ(svc(p, "a")["environment"], want);
  want.erase("GA");
  EXPECT_EQ(svc(p, "b")["environment"], want);
  // The container gets `ZO` with no `=`: the engine then drops an image's ZO.
  Json body = create_body(p, *p.find("b"), 1, "sha256:0", {}, "", "1.41");
  EXPECT_NE(std::find(body["Env"].begin(), body["Env"].end(), Json("ZO")), body["Env"].end())
      << body["Env"].dump();
}

TEST_F(Load, Test_EnvironmentUnicity) {
  auto p = load(
      "services:\n  a:\n    image: busybox\n    environment:\n"
      "      [FOO=BAR, BAR=QIX, QIX=, ZOT, FOO=ZOT, QIX, ZOT=]\n");
  EXPECT_EQ(svc(p, "a")["environment"],
            Json({{"FOO", "ZOT"}, {"BAR", "QIX"}, {"QIX", nullptr}, {"ZOT", ""}}));
}

TEST_F(Load, ANullEnvironmentEntryWinsOverAnEnvFile) {
  write("a.env", "KEY=from_file\nOTHER=o\n");
  auto p = load(
      "services:\n  a:\n    image: busybox\n    env_file: a.env\n"
      "    environment: [KEY]\n");
  EXPECT_EQ(svc(p, "a")["environment"], Json({{"KEY", nullptr}, {"OTHER", "o"}}));
}

TEST_F(Load, Test_mergeYamlEnvironmentMapping) {
  write("compose.yaml", "services:\n  a:\n    image: busybox\n    environment: {FOO: BAR}\n");
  write("override.yaml", "services:\n  a:\n    environment: {EMPTY: \"\", NIL: null, QIX: ZOT}\n");
  LoadOptions o;
  o.files = {"compose.yaml", "override.yaml"};
  auto p = load("", o);
  EXPECT_EQ(svc(p, "a")["environment"],
            Json({{"FOO", "BAR"}, {"EMPTY", ""}, {"NIL", nullptr}, {"QIX", "ZOT"}}));
}

// 6. One file's duplicate mount targets and ports are one: the last, in the first's place.
TEST_F(Load, Test_VolumeUnicity) {
  auto p = load(
      "services:\n  a:\n    image: busybox\n    volumes: [.:/foo, foo:/bar, src:/foo]\n"
      "volumes:\n  foo: {}\n  src: {}\n");
  const Json& v = svc(p, "a")["volumes"];
  EXPECT_EQ(targets(v), (std::vector<std::string>{"/foo", "/bar"}));
  EXPECT_EQ(v[0]["source"], "src");
  EXPECT_EQ(v[1]["source"], "foo");
}

TEST_F(Load, Test_PortsShortUnicity) {
  auto p = load(
      "services:\n  a:\n    image: busybox\n    ports: [\"9080:80\", \"9081:81\", "
      "\"9080:80\", \"5000\", \"6060:6060/udp\", \"9080:6060/udp\", \"9080:80/tcp\"]\n");
  std::vector<std::string> got;
  for (const auto& e : svc(p, "a")["ports"])
    got.push_back(e.value("published", "") + ":" + std::to_string(e["target"].get<int>()) + "/" +
                  e.value("protocol", ""));
  EXPECT_EQ(got, (std::vector<std::string>{"9080:80/tcp", "9081:81/tcp", ":5000/tcp",
                                           "6060:6060/udp", "9080:6060/udp"}));
}

// 7. An empty file is refused.
TEST_F(Load, TestEmptyFile) {
  EXPECT_TRUE(has(error("# Empty file\n"), "empty compose file")) << error("# Empty file\n");
  write("compose.yaml", "");
  EXPECT_TRUE(has(error(""), "compose.yaml")) << error("");
  EXPECT_TRUE(has(error(""), "empty compose file"));
}

// 8. What compose refuses: keys and names that are not strings, a key with a trailing space.
TEST_F(Load, TestEnvironmentWhitespace) {
  std::string m = error(
      "name: test\nservices:\n  test:\n    image: busybox\n    environment:\n"
      "      - DEBUG = true\n");
  EXPECT_TRUE(has(m, "environment variable \"DEBUG \" is declared with a trailing space")) << m;
  EXPECT_TRUE(has(m, "compose.yaml:6")) << m;
}

TEST_F(Load, TestNonStringKeys) {
  std::string m = error("services:\n  foo:\n    image: busybox\n  123:\n    image: busybox\n");
  EXPECT_TRUE(has(m, "non-string key 123")) << m;
  EXPECT_TRUE(has(m, "compose.yaml:4")) << m;
  m = error("services:\n  dict-env:\n    image: busybox\n    environment:\n      1: FOO\n");
  EXPECT_TRUE(has(m, "non-string key 1")) << m;
  m = error("123:\n  foo: bar\n");
  EXPECT_TRUE(has(m, "non-string key 123")) << m;
  // Quoted, they are strings.
  auto p = load("services:\n  \"123\":\n    image: busybox\n    environment: {\"1\": FOO}\n");
  EXPECT_EQ(svc(p, "123")["environment"]["1"], "FOO");
}

TEST_F(Load, TestInvalidProjectNameTypeAndOtherNonStrings) {
  LoadOptions none;
  none.environment = {{"UNRELATED", "1"}};
  std::string m = error("name: 123\nservices: {}\n", none);
  EXPECT_TRUE(has(m, "name must be a string")) << m;
  m = error("services:\n  a:\n    image: 123\n");
  EXPECT_TRUE(has(m, "image")) << m;
  EXPECT_TRUE(has(m, "must be a string")) << m;
  EXPECT_EQ(svc(load("services:\n  a:\n    image: \"123\"\n"), "a")["image"], "123");
  m = error("services:\n  bad name:\n    image: busybox\n");
  EXPECT_TRUE(has(m, "service name \"bad name\" is not valid")) << m;
  m = error("services:\n  \"caf\xc3\xa9\":\n    image: busybox\n");
  EXPECT_TRUE(has(m, "is not valid")) << m;
  EXPECT_EQ(load("services:\n  a.b_c-9:\n    image: busybox\n").services.size(), 1u);
}

// Multi-document files: each document overrides the one before (TestLoadMulmtiDocumentYaml).
TEST_F(Load, TestLoadMultiDocumentYaml) {
  LoadOptions none;
  none.environment = {{"UNRELATED", "1"}};
  auto p = load(
      "name: load-multi-docs\nservices:\n  test:\n    image: nginx:latest\n---\n"
      "services:\n  test:\n    image: nginx:override\n",
      none);
  EXPECT_EQ(p.name, "load-multi-docs");
  EXPECT_EQ(svc(p, "test")["image"], "nginx:override");
}

}  // namespace
}  // namespace varan::compose

namespace varan::compose {
namespace {

// pull_policy as compose-go's GetPullPolicy reads it.
TEST_F(Load, PullPolicyRefreshIntervals) {
  auto p = load(
      "services:\n  d:\n    image: a\n    pull_policy: daily\n"
      "  w:\n    image: b\n    pull_policy: weekly\n"
      "  e:\n    image: c\n    pull_policy: every_1w2d3h\n"
      "  r:\n    image: d\n    pull_policy: refresh\n"
      "  i:\n    image: e\n    pull_policy: if_not_present\n");
  EXPECT_EQ(p.find("d")->pull_policy, "refresh");
  EXPECT_EQ(p.find("d")->pull_refresh_s, 86400);
  EXPECT_EQ(p.find("w")->pull_refresh_s, 7 * 86400);
  EXPECT_EQ(p.find("e")->pull_refresh_s, 9 * 86400 + 3 * 3600);
  EXPECT_EQ(p.find("r")->pull_policy, "missing");  // no interval: compose reads it as missing
  EXPECT_EQ(p.find("i")->pull_policy, "missing");
  EXPECT_EQ(svc(p, "d")["pull_policy"], "daily");  // printed as written
  for (const char* bad : {"every_", "every_5", "every_5x", "hourly"}) {
    std::string m =
        error(std::string("services:\n  a:\n    image: a\n    pull_policy: ") + bad + "\n");
    EXPECT_TRUE(has(m, "pull_policy")) << bad << ": " << m;
    EXPECT_TRUE(has(m, "every_<N>")) << bad << ": " << m;
  }
}

TEST_F(Load, PullPolicyRefreshPullsAnImageTaggedLongerAgoThanItsInterval) {
  auto p = load("services:\n  a:\n    image: img:1\n    pull_policy: every_1h\n");
  Observed o;
  o.image_ids["img:1"] = "sha256:1";
  PlanOptions opts;
  opts.now = 1'800'000'000;
  o.image_tagged["img:1"] = opts.now - 3599;  // fresh enough
  auto pulls = [&] {
    std::vector<std::string> why;
    for (const auto& a : make_plan(p, o, opts).actions)
      if (a.op == Op::kPull) why.push_back(a.reason);
    return why;
  };
  EXPECT_TRUE(pulls().empty());
  o.image_tagged["img:1"] = opts.now - 3600;
  ASSERT_EQ(pulls().size(), 1u);
  EXPECT_TRUE(has(pulls()[0], "every_1h")) << pulls()[0];
  EXPECT_TRUE(has(pulls()[0], "3600 s ago")) << pulls()[0];
  opts.pull = "missing";  // --pull missing: the image is here
  EXPECT_TRUE(pulls().empty());
  // The engine's LastTagTime, as it writes it.
  EXPECT_EQ(image_tagged_at(
                Json::parse(R"({"Metadata":{"LastTagTime":"2026-12-03T20:01:02.123456789Z"}})")),
            1796328062);
  EXPECT_EQ(
      image_tagged_at(Json::parse(R"({"Metadata":{"LastTagTime":"2026-12-03T21:01:02+01:00"}})")),
      1796328062);
  EXPECT_EQ(image_tagged_at(Json::parse(R"({"Metadata":{"LastTagTime":"0001-01-01T00:00:00Z"}})")),
            0);
  EXPECT_EQ(image_tagged_at(Json::parse(R"({"Id":"x"})")), 0);
}

TEST_F(Load, LifecycleHooksAreRefusedByName) {
  for (const char* hook : {"pre_start", "post_start", "pre_stop"}) {
    std::string m = error(std::string("services:\n  a:\n    image: a\n    ") + hook +
                          ":\n      - command: [echo, hi]\n");
    EXPECT_TRUE(has(m, std::string(hook) + " (lifecycle hooks")) << m;
    EXPECT_TRUE(has(m, "compose.yaml:5")) << m;
  }
}

// Messages that name the file (TestLoadDependsOnCycle's text after it).
TEST_F(Load, ErrorsNameTheFile) {
  std::string m = error(
      "services:\n  service1:\n    image: a\n    depends_on: [service2]\n"
      "  service3:\n    image: a\n    depends_on: [service1]\n"
      "  service2:\n    image: a\n    depends_on: [service3]\n");
  EXPECT_TRUE(has(m, "dependency cycle detected: service1 -> service2 -> service3 -> service1"))
      << m;
  EXPECT_TRUE(has(m, "compose.yaml:")) << m;
  m = error("services:\n  service1:\n    image: a\n    depends_on: [service1]\n");
  EXPECT_TRUE(has(m, "dependency cycle detected: service1 -> service1")) << m;
  m = error("services:\n  a:\n    extends: {file: nowhere.yaml, service: b}\n");
  EXPECT_TRUE(has(m, "compose.yaml:3")) << m;
  EXPECT_TRUE(has(m, "nowhere.yaml not found")) << m;
  std::filesystem::create_directories(dir_ / "folder.yaml");
  m = error("services:\n  a:\n    extends: {file: folder.yaml, service: b}\n");
  EXPECT_TRUE(has(m, "folder.yaml is a folder")) << m;
  std::filesystem::create_directories(dir_ / "env.d");
  m = error("services:\n  a:\n    image: a\n    env_file: env.d\n");
  EXPECT_TRUE(has(m, "env.d is a folder")) << m;
  EXPECT_FALSE(has(m, "not found")) << m;
  m = error("services:\n  a:\n    image: a\n    env_file: [{path: env.d, required: false}]\n");
  EXPECT_TRUE(has(m, "env.d is a folder")) << m;  // a folder is a mistake, required or not
}

}  // namespace
}  // namespace varan::compose
