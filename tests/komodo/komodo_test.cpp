// Komodo's wire: the typed reader, StackConfig and RepoConfig with Komodo's defaults and
// forms, the Log, Update and Serror JSON, the request envelope and routes, resource TOML and
// YAML settings as JSON.
#include <gtest/gtest.h>

#include <stdexcept>

#include "common/error.h"
#include "common/yaml_json.h"
#include "komodo/error.h"
#include "komodo/fields.h"
#include "komodo/log.h"
#include "komodo/request.h"
#include "komodo/serror.h"
#include "komodo/stack.h"
#include "komodo/toml.h"
#include "komodo/update.h"

namespace varan::test {
namespace {

using komodo::Expected;
using komodo::Fields;
using Json = nlohmann::json;

struct Wrong : std::runtime_error {
  Wrong(const std::string& key, Expected e)
      : std::runtime_error(key + ":" + std::to_string(static_cast<int>(e))) {}
};

Fields strict(const Json& j, std::string prefix = "") {
  return Fields(
      j, [](const std::string& k, Expected e) { throw Wrong(k, e); }, Fields::Strictness::kStrict,
      std::move(prefix));
}

Fields lenient(const Json& j) {
  return Fields(
      j, [](const std::string& k, Expected e) { throw Wrong(k, e); }, Fields::Strictness::kLenient);
}

std::string what_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

TEST(Fields, AbsentAndNullTakeTheDefault) {
  Json j = {{"a", nullptr}};
  Fields f = strict(j);
  EXPECT_EQ(f.str("a", "d"), "d");
  EXPECT_EQ(f.str("b", "d"), "d");
  EXPECT_TRUE(f.boolean("a", true));
  EXPECT_EQ(f.integer("b", 7), 7);
  EXPECT_TRUE(f.list("a").empty());
  EXPECT_FALSE(f.has("a"));
}

TEST(Fields, StrictReportsTheFullKeyAndWhatWasExpected) {
  Json j = {{"n", "x"}, {"b", 1}, {"l", {1}}, {"o", {{"inner", 3}}}};
  Fields f = strict(j, "stack.");
  EXPECT_EQ(what_of([&] { f.integer("n", 0); }),
            "stack.n:" + std::to_string(static_cast<int>(Expected::kInteger)));
  EXPECT_EQ(what_of([&] { f.boolean("b", false); }),
            "stack.b:" + std::to_string(static_cast<int>(Expected::kBool)));
  EXPECT_EQ(what_of([&] { f.list("l"); }),
            "stack.l:" + std::to_string(static_cast<int>(Expected::kStringList)));
  EXPECT_EQ(what_of([&] { f.object("o").str("inner"); }),
            "stack.o.inner:" + std::to_string(static_cast<int>(Expected::kString)));
  EXPECT_EQ(what_of([&] { f.required_str("missing"); }),
            "stack.missing:" + std::to_string(static_cast<int>(Expected::kPresent)));
  EXPECT_EQ(what_of([&] { f.get<bool>("n", false); }),
            "stack.n:" + std::to_string(static_cast<int>(Expected::kBool)));
}

TEST(Fields, IntegersAsSerdeReadsThem) {
  Json j = {{"ok", 7}, {"big", 4.4e25}, {"float", 3.0}, {"neg", -1}, {"wide", 1LL << 40}};
  Fields f = strict(j);
  EXPECT_EQ(f.get<int>("ok", 0), 7);
  const std::string kInt = std::to_string(static_cast<int>(Expected::kInteger));
  EXPECT_EQ(what_of([&] { f.get<int>("big", 0); }), "big:" + kInt);
  EXPECT_EQ(what_of([&] { f.get<int>("float", 0); }), "float:" + kInt);
  EXPECT_EQ(what_of([&] { f.get<std::uint64_t>("neg", 0); }), "neg:" + kInt);
  EXPECT_EQ(what_of([&] { f.get<int>("wide", 0); }), "wide:" + kInt);
  EXPECT_EQ(f.get<std::int64_t>("wide", 0), 1LL << 40);
  EXPECT_EQ(Fields::lenient(j).get<int>("big", 5), 5);
}

TEST(Fields, LenientReadsTheDefaultForAWrongTypeButStillNeedsRequiredFields) {
  Json j = {{"n", "x"}, {"b", 1}, {"l", {"a", 2, "b"}}};
  Fields f = lenient(j);
  EXPECT_EQ(f.integer("n", 5), 5);
  EXPECT_FALSE(f.boolean("b", false));
  EXPECT_EQ(f.list("l"), (std::vector<std::string>{"a", "b"}));
  EXPECT_THROW(f.required_str("missing"), Wrong);
}

TEST(Fields, AListMayBeOneStringOfItems) {
  Json j = {{"l", "a, b\n# c\n\n d ,"}};
  EXPECT_EQ(strict(j).list("l"), (std::vector<std::string>{"a", "b", "d"}));
}

TEST(StackConfig, KomodoDefaults) {
  komodo::StackConfig s = komodo::read_stack_config(strict(Json::object()));
  EXPECT_EQ(s.env_file_path, ".env");
  EXPECT_EQ(s.branch, "main");
  EXPECT_EQ(s.git_provider, "github.com");
  EXPECT_TRUE(s.git_https);
  EXPECT_TRUE(s.auto_pull);
  EXPECT_FALSE(s.reclone);
  EXPECT_FALSE(s.files_on_host);
  EXPECT_EQ(s.repo_url(), "");
  Json empty = {{"env_file_path", ""}, {"branch", ""}};
  komodo::StackConfig e = komodo::read_stack_config(strict(empty));
  EXPECT_EQ(e.env_file_path, ".env");
  EXPECT_EQ(e.branch, "main");
}

TEST(StackConfig, EveryFormOfTheEnvironment) {
  Json text = {{"environment", "A=1\nB=2\n"}};
  Json table = {{"environment", {{"A", "1"}, {"B", "2"}}}};
  Json list = {
      {"environment", {{{"variable", "A"}, {"value", "1"}}, {{"variable", "B"}, {"value", "2"}}}}};
  for (const auto& j : {text, table, list})
    EXPECT_EQ(komodo::read_stack_config(strict(j)).environment, "A=1\nB=2\n") << j.dump();
  Json bad = {{"environment", {{"A", 1}}}};
  EXPECT_EQ(what_of([&] { komodo::read_stack_config(strict(bad, "config.")); }),
            "config.environment.A:" + std::to_string(static_cast<int>(Expected::kString)));
}

TEST(StackConfig, AdditionalEnvFilesAsStringsOrV2Objects) {
  Json v1 = {{"additional_env_files", {"a.env", "b.env"}}};
  Json v2 = {{"additional_env_files", {{{"path", "a.env"}, {"track", true}}, "b.env"}}};
  for (const auto& j : {v1, v2})
    EXPECT_EQ(komodo::read_stack_config(strict(j)).additional_env_files,
              (std::vector<std::string>{"a.env", "b.env"}));
}

TEST(StackConfig, HooksRepoAndCoreSideFields) {
  Json j = {{"pre_deploy", {{"path", "ops"}, {"command", "sops-decrypt\n"}}},
            {"repo", "me/stacks"},
            {"git_provider", "git.example.com"},
            {"git_https", false},
            {"files_on_host", true},
            {"skip_secret_interp", true},
            {"registry_provider", "reg.example.com"},
            {"registry_account", "ci"}};
  komodo::StackConfig s = komodo::read_stack_config(strict(j));
  EXPECT_EQ(s.pre_deploy.path, "ops");
  EXPECT_FALSE(s.pre_deploy.empty());
  EXPECT_TRUE(s.post_deploy.empty());
  EXPECT_EQ(s.repo_url(), "http://git.example.com/me/stacks");
  EXPECT_TRUE(s.files_on_host);
  EXPECT_TRUE(s.skip_secret_interp);
  EXPECT_EQ(s.registry_account, "ci");
  Json bad_hook = {{"post_deploy", "echo"}};
  EXPECT_EQ(what_of([&] { komodo::read_stack_config(strict(bad_hook)); }),
            "post_deploy:" + std::to_string(static_cast<int>(Expected::kObject)));
}

TEST(StackConfig, KnownKeys) {
  for (const char* k : {"run_directory", "webhook_secret", "compose_cmd_wrapper", "swarm_id",
                        "auto_update_skip_services"})
    EXPECT_TRUE(komodo::is_stack_config_key(k)) << k;
  EXPECT_FALSE(komodo::is_stack_config_key("git_token"));
  EXPECT_FALSE(komodo::is_stack_config_key("no_such_key"));
}

TEST(RepoConfig, DefaultsAndUrl) {
  komodo::RepoConfig r = komodo::read_repo_config(strict({{"repo", "a/b"}, {"path", "sub"}}));
  EXPECT_EQ(r.branch, "main");
  EXPECT_EQ(r.path, "sub");
  EXPECT_EQ(komodo::repo_url(r.git_provider, r.git_https, r.repo), "https://github.com/a/b");
  EXPECT_EQ(komodo::repo_url("x", true, "ssh://git@h/a.git"), "ssh://git@h/a.git");
  EXPECT_EQ(komodo::repo_url("x", true, "git@h:a.git"), "git@h:a.git");
  EXPECT_EQ(komodo::folder_name("media server"), "media_server");
}

TEST(Log, AllSevenFieldsAsKomodoWritesThem) {
  komodo::Log l{"Compose Up", "cmd", "out", "err", false, 1718000000000, 1718000001234};
  Json j = komodo::to_json(l);
  EXPECT_EQ(j.dump(), R"({"command":"cmd","end_ts":1718000001234,"stage":"Compose Up",)"
                      R"("start_ts":1718000000000,"stderr":"err","stdout":"out","success":false})");
  komodo::Log back = komodo::log_from_json(j);
  EXPECT_EQ(back.stage, l.stage);
  EXPECT_EQ(back.stderr_text, "err");
  EXPECT_FALSE(back.success);
  EXPECT_EQ(back.end_ts, l.end_ts);
  komodo::Log e = komodo::Log::error("Docker Login", "no token");
  EXPECT_FALSE(e.success);
  EXPECT_EQ(e.stderr_text, "no token");
  EXPECT_EQ(e.command, "");
  EXPECT_GE(e.end_ts, e.start_ts);
  EXPECT_EQ(komodo::Log::simple("s", "m").stdout_text, "m");
}

TEST(Serror, BodyAndBack) {
  EXPECT_EQ(komodo::serror("request passkey invalid"),
            R"({"error":"request passkey invalid","trace":[]})");
  komodo::Serror e = komodo::serror_from_body(komodo::serror("top", {"cause"}));
  EXPECT_EQ(e.error, "top");
  EXPECT_EQ(e.trace, std::vector<std::string>{"cause"});
  EXPECT_EQ(komodo::serror_from_body("plain text").error, "plain text");
}

TEST(Toml, ResourceFileAsJson) {
  Json j = komodo::toml_to_json(
      "[[stack]]\nname = \"a\"\n[stack.config]\nauto_pull = false\nport = 8120\n", "x.toml");
  EXPECT_EQ(j["stack"][0]["name"], "a");
  EXPECT_EQ(j["stack"][0]["config"]["auto_pull"], false);
  EXPECT_EQ(j["stack"][0]["config"]["port"], 8120);
  std::string m = what_of([] { komodo::toml_to_json("a = = 1\n", "bad.toml"); });
  EXPECT_EQ(m.rfind("bad.toml:1:", 0), 0u) << m;
  EXPECT_THROW(komodo::toml_to_json("a = = 1\n", "bad.toml"), komodo::Error);
}

TEST(YamlJson, TypedPlainScalarsQuotedStringsAnchorsAndMerges) {
  Json j = yaml_to_json(
      "port: 8120\nssl_enabled: false\nname: '8120'\nrate: 1.5\nnothing: ~\n"
      "base: &b {x: 1}\nderived:\n  <<: *b\n  y: 2\nlist: [a, *b]\n",
      "periphery.config.yaml");
  EXPECT_EQ(j["port"], 8120);
  EXPECT_EQ(j["ssl_enabled"], false);
  EXPECT_EQ(j["name"], "8120");
  EXPECT_EQ(j["rate"], 1.5);
  EXPECT_TRUE(j["nothing"].is_null());
  EXPECT_EQ(j["derived"], (Json{{"x", 1}, {"y", 2}}));
  EXPECT_EQ(j["list"][1], (Json{{"x", 1}}));
  EXPECT_TRUE(yaml_to_json("", "empty.yaml").is_null());
  std::string m = what_of([] { yaml_to_json("a: 1\na: 2\n", "dup.yaml"); });
  EXPECT_NE(m.find("dup.yaml:2: duplicate key \"a\""), std::string::npos) << m;
  std::string deep(300, '[');
  EXPECT_THROW(yaml_to_json(deep, "deep.yaml"), varan::Error);
}

TEST(Update, AsKomodoReturnsItAndFinalizes) {
  komodo::Update u;
  u.operation = "DeployStack";
  u.start_ts = 1718000000000;
  u.operator_id = "66a0";
  u.target = {"Stack", "66a9"};
  Json j = komodo::to_json(u);
  EXPECT_EQ(j.dump(), R"({"end_ts":null,"logs":[],"operation":"DeployStack","operator":"66a0",)"
                      R"("start_ts":1718000000000,"status":"InProgress","success":true,)"
                      R"("target":{"id":"66a9","type":"Stack"}})");
  u.id = "66b100000000000000000000";
  u.version = {1, 19, 5};
  u.commit_hash = "abc1234";
  u.logs.push_back(komodo::Log::simple("a", "ok"));
  u.logs.push_back(komodo::Log::error("b", "failed"));
  u.finalize();
  EXPECT_EQ(u.status, "Complete");
  EXPECT_FALSE(u.success);
  ASSERT_TRUE(u.end_ts.has_value());
  j = komodo::to_json(u);
  EXPECT_EQ(j["_id"], (Json{{"$oid", "66b100000000000000000000"}}));
  EXPECT_EQ(j["version"], (Json{{"major", 1}, {"minor", 19}, {"patch", 5}}));
  EXPECT_FALSE(j.contains("other_data"));
  komodo::Update back = komodo::update_from_json(j);
  EXPECT_EQ(back.id, u.id);
  EXPECT_EQ(back.logs.size(), 2u);
  EXPECT_EQ(back.end_ts, u.end_ts);
  EXPECT_EQ(back.target.type, "Stack");
  EXPECT_EQ(komodo::update_from_json({{"_id", "plain"}}).id, "plain");
}

TEST(Request, EnvelopeRefusalsAsAxumGivesThem) {
  auto status_of = [](const std::string& body, const char* type = "application/json") {
    try {
      komodo::parse_request(body, type, {64, 4, "the agent"});
    } catch (const komodo::Rejection& r) {
      return r.status;
    }
    return 200;
  };
  EXPECT_EQ(status_of(R"({"type":"GetHealth","params":{}})"), 200);
  EXPECT_EQ(status_of("{}", "text/plain"), 415);
  EXPECT_EQ(status_of(std::string(65, ' ')), 413);
  EXPECT_EQ(status_of("[[[[[[1]]]]]]"), 400);
  EXPECT_EQ(status_of("{"), 400);
  EXPECT_EQ(status_of(R"({"params":{}})"), 422);
  EXPECT_EQ(status_of(R"({"type":"GetHealth"})"), 422);
  komodo::Request r = komodo::parse_request(R"({"type":"GetVersion","params":{"a":1}})",
                                            "application/json; charset=utf-8");
  EXPECT_EQ(r.type, "GetVersion");
  EXPECT_EQ(r.params["a"], 1);
  try {
    komodo::params_fields(r.params, "GetContainerLog").required_str("name");
    FAIL();
  } catch (const komodo::Rejection& e) {
    EXPECT_EQ(e.status, 422);
    EXPECT_EQ(e.message,
              "Failed to deserialize the JSON body into the target type: GetContainerLog: "
              "missing field `name`");
  }
}

TEST(Request, RoutesOfCore) {
  auto r = komodo::split_route("/read/ListStacks");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->group, "read");
  EXPECT_EQ(r->type, "ListStacks");
  EXPECT_EQ(komodo::split_route("/execute")->type, "");
  EXPECT_FALSE(komodo::split_route("/read/a/b"));
  EXPECT_FALSE(komodo::split_route("/read/"));
  EXPECT_FALSE(komodo::split_route("read"));
  EXPECT_FALSE(komodo::split_route("/../x"));
  EXPECT_EQ(komodo::route("write", "CreateStack"), "/write/CreateStack");
  komodo::Request p = komodo::parse_params("ListStacks", R"({"query":{}})", "application/json");
  EXPECT_EQ(p.type, "ListStacks");
  EXPECT_TRUE(p.params.contains("query"));
}

}  // namespace
}  // namespace varan::test
