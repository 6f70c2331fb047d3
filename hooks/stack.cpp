#include "hooks/stack.h"

#include <toml++/toml.h>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/io.h"
#include "common/nesting.h"

namespace varan::hooks {

namespace {

using Json = nlohmann::json;

// Komodo's stack config keys: the ones read below, and those that mean something to Core or
// to the UI only.
const std::set<std::string, std::less<>> kKomodoKeys = {"server",
                                                        "server_id",
                                                        "swarm",
                                                        "swarm_id",
                                                        "links",
                                                        "linked_repo",
                                                        "files_on_host",
                                                        "file_contents",
                                                        "webhook_enabled",
                                                        "webhook_secret",
                                                        "webhook_force_deploy",
                                                        "send_alerts",
                                                        "poll_for_updates",
                                                        "auto_update",
                                                        "auto_update_all_services",
                                                        "registry_provider",
                                                        "registry_account",
                                                        "ignore_services",
                                                        "run_build",
                                                        "build_extra_args",
                                                        "config_files",
                                                        "reclone",
                                                        "git_https",
                                                        "skip_secret_interp",
                                                        "compose_cmd_wrapper",
                                                        "compose_cmd_wrapper_include",
                                                        "pre_deploy",
                                                        "post_deploy",
                                                        "destroy_before_deploy",
                                                        "clone_path",
                                                        "environment",
                                                        "env_file_path",
                                                        "additional_env_files",
                                                        "project_name",
                                                        "run_directory",
                                                        "file_paths",
                                                        "git_provider",
                                                        "git_account",
                                                        "repo",
                                                        "branch",
                                                        "commit",
                                                        "auto_pull",
                                                        "extra_args",
                                                        "legacy_compose_cli"};

Json from_toml(const toml::node& n) {
  if (auto* t = n.as_table()) {
    Json o = Json::object();
    for (const auto& [k, v] : *t)
      o[std::string(k.str())] = from_toml(v);
    return o;
  }
  if (auto* a = n.as_array()) {
    Json arr = Json::array();
    for (const auto& v : *a)
      arr.push_back(from_toml(v));
    return arr;
  }
  if (auto* s = n.as_string()) return s->get();
  if (auto* i = n.as_integer()) return i->get();
  if (auto* f = n.as_floating_point()) return f->get();
  if (auto* b = n.as_boolean()) return b->get();
  std::ostringstream text;  // dates and times: their TOML text
  n.visit([&](const auto& v) { text << v; });
  return text.str();
}

class Reader {
 public:
  Reader(std::string where, std::vector<std::string>& warnings)
      : where_(std::move(where)), warnings_(warnings) {}

  [[noreturn]] void fail(const std::string& key, const std::string& why) const {
    throw Error(where_ + ": " + key + ": " + why);
  }
  std::string str(const Json& o, const std::string& path, const char* key,
                  const std::string& def = "") const {
    if (!o.contains(key) || o[key].is_null()) return def;
    if (!o[key].is_string()) fail(path + key, "expected a string");
    return o[key].get<std::string>();
  }
  bool boolean(const Json& o, const std::string& path, const char* key, bool def) const {
    if (!o.contains(key)) return def;
    if (!o[key].is_boolean()) fail(path + key, "expected true or false");
    return o[key].get<bool>();
  }
  long integer(const Json& o, const std::string& path, const char* key, long def) const {
    if (!o.contains(key)) return def;
    if (!o[key].is_number_integer()) fail(path + key, "expected a whole number");
    return o[key].get<long>();
  }
  // A list of strings; Komodo also takes one string of comma- or newline-separated items.
  std::vector<std::string> list(const Json& o, const std::string& path, const char* key) const {
    std::vector<std::string> out;
    if (!o.contains(key)) return out;
    const Json& v = o[key];
    if (v.is_string()) {
      std::string item;
      auto flush = [&] {
        auto b = item.find_first_not_of(" \t\r");
        auto e = item.find_last_not_of(" \t\r");
        if (b != std::string::npos && item[b] != '#') out.push_back(item.substr(b, e - b + 1));
        item.clear();
      };
      for (char c : v.get<std::string>()) {
        if (c == ',' || c == '\n')
          flush();
        else
          item += c;
      }
      flush();
      return out;
    }
    if (!v.is_array()) fail(path + key, "expected a list of strings");
    for (const auto& e : v) {
      if (!e.is_string()) fail(path + key, "expected a list of strings");
      out.push_back(e.get<std::string>());
    }
    return out;
  }
  Hook hook(const Json& o, const std::string& path, const char* key) const {
    Hook h;
    if (!o.contains(key)) return h;
    if (!o[key].is_object()) fail(path + key, "expected a table with path and command");
    h.path = str(o[key], path + key + ".", "path");
    h.command = str(o[key], path + key + ".", "command");
    return h;
  }
  void warn(const std::string& what) { warnings_.push_back(where_ + ": " + what); }

 private:
  std::string where_;
  std::vector<std::string>& warnings_;
};

Stack read_stack(const Json& j, std::size_t index, Reader& r) {
  std::string at = "stack[" + std::to_string(index) + "].";
  if (!j.is_object()) r.fail(at.substr(0, at.size() - 1), "expected a table");
  Stack s;
  s.name = r.str(j, at, "name");
  if (s.name.empty()) r.fail(at + "name", "every stack needs a name");
  at = "stack \"" + s.name + "\": ";
  Json c = j.contains("config") ? j["config"] : Json::object();
  if (!c.is_object()) r.fail(at + "config", "expected a table");
  std::string p = at + "config.";
  s.project_name = r.str(c, p, "project_name");
  s.run_directory = r.str(c, p, "run_directory");
  s.file_paths = r.list(c, p, "file_paths");
  if (c.contains("environment") && c["environment"].is_object()) {
    for (const auto& [k, v] : c["environment"].items()) {
      if (!v.is_string()) r.fail(p + "environment." + k, "expected a string");
      s.environment += k + "=" + v.get<std::string>() + "\n";
    }
  } else {
    s.environment = r.str(c, p, "environment");
  }
  s.env_file_path = r.str(c, p, "env_file_path", ".env");
  if (s.env_file_path.empty()) s.env_file_path = ".env";
  s.additional_env_files = r.list(c, p, "additional_env_files");
  s.pre_deploy = r.hook(c, p, "pre_deploy");
  s.post_deploy = r.hook(c, p, "post_deploy");
  s.git_provider = r.str(c, p, "git_provider", "github.com");
  s.git_https = r.boolean(c, p, "git_https", true);
  s.repo = r.str(c, p, "repo");
  s.branch = r.str(c, p, "branch", "main");
  if (s.branch.empty()) s.branch = "main";
  s.commit = r.str(c, p, "commit");
  s.git_account = r.str(c, p, "git_account");
  s.git_token = SecretString(r.str(c, p, "git_token"));
  s.ssh_key = r.str(c, p, "ssh_key");
  s.clone_path = r.str(c, p, "clone_path");
  s.reclone = r.boolean(c, p, "reclone", false);
  s.auto_pull = r.boolean(c, p, "auto_pull", true);
  s.destroy_before_deploy = r.boolean(c, p, "destroy_before_deploy", false);
  s.extra_args = r.list(c, p, "extra_args");
  s.write_plaintext = r.boolean(c, p, "write_plaintext", true);
  s.hook_timeout_s = r.integer(c, p, "hook_timeout", 600);
  static const std::set<std::string, std::less<>> ours = {"git_token", "ssh_key", "write_plaintext",
                                                          "hook_timeout"};
  for (const auto& [k, v] : c.items())
    if (!kKomodoKeys.contains(k) && !ours.contains(k))
      r.warn(p + k + " is not a stack setting Varan knows; it is ignored");
  for (const char* k : {"files_on_host", "linked_repo", "file_contents", "compose_cmd_wrapper"})
    if (c.contains(k) && !(c[k].is_string() && c[k].get<std::string>().empty()) &&
        !(c[k].is_boolean() && !c[k].get<bool>()))
      r.warn(p + k + " is a Core-side setting; Varan deploys from the repo or the run directory");
  return s;
}

StackFile read_file_json(const Json& j, const std::string& where) {
  StackFile f;
  Reader r(where, f.warnings);
  if (!j.is_object()) r.fail("(top)", "expected a table");
  if (j.contains("name") && (j.contains("config") || !j.contains("stack"))) {
    f.stacks.push_back(read_stack(j, 0, r));
  } else {
    const char* key = j.contains("stack") ? "stack" : "stacks";
    if (j.contains(key)) {
      const Json& list = j[key];
      if (list.is_object()) {
        f.stacks.push_back(read_stack(list, 0, r));
      } else if (list.is_array()) {
        for (std::size_t i = 0; i < list.size(); ++i)
          f.stacks.push_back(read_stack(list[i], i, r));
      } else {
        r.fail(key, "expected a list of stacks ([[stack]])");
      }
    }
  }
  if (j.contains("variable") || j.contains("variables")) {
    const Json& vars = j.contains("variable") ? j["variable"] : j["variables"];
    if (!vars.is_array()) r.fail("variable", "expected a list ([[variable]])");
    for (std::size_t i = 0; i < vars.size(); ++i) {
      std::string at = "variable[" + std::to_string(i) + "].";
      std::string name = r.str(vars[i], at, "name");
      if (name.empty()) r.fail(at + "name", "every variable needs a name");
      f.variables[name] = {r.str(vars[i], at, "value"), r.boolean(vars[i], at, "is_secret", false)};
    }
  }
  if (j.contains("secrets")) {
    if (!j["secrets"].is_object()) r.fail("secrets", "expected a table of NAME = \"value\"");
    for (const auto& [k, v] : j["secrets"].items()) {
      if (!v.is_string()) r.fail("secrets." + k, "expected a string");
      f.variables[k] = {v.get<std::string>(), true};
    }
  }
  f.root_directory = r.str(j, "", "root_directory");
  f.safe_directories = r.list(j, "", "safe_directories");
  if (f.stacks.empty()) r.fail("stack", "no stack in the file (add a [[stack]] with a name)");
  return f;
}

}  // namespace

std::string Stack::repo_url() const {
  if (repo.empty()) return "";
  if (repo.find("://") != std::string::npos || repo.find('@') != std::string::npos ||
      repo.starts_with("/"))
    return repo;
  return std::string(git_https ? "https://" : "http://") + git_provider + "/" + repo;
}

std::string stack_folder_name(const std::string& name) {
  std::string out = name;
  for (char& c : out)
    if (c == ' ') c = '_';
  return out;
}

// The most a stack file (TOML or JSON) may hold; load_stack_file reads no more either.
constexpr std::size_t kMaxStackFile = std::size_t(16) << 20;

nlohmann::json toml_to_json(const std::string& text, const std::string& where) {
  // Before parsing: toml++ bounds nested arrays and inline tables, not dotted keys, and its
  // tables (and from_toml) are torn down recursively.
  try {
    check_toml_limits(text, where, kMaxStackFile);
  } catch (const varan::Error& e) {
    throw Error(e.what());
  }
  toml::table t;
  try {
    t = toml::parse(text, where);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw Error(where + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) + ": " +
                std::string(e.description()));
  }
  return from_toml(t);
}

StackFile parse_stack_toml(const std::string& text, const std::string& where) {
  return read_file_json(toml_to_json(text, where), where);
}

StackFile parse_stack_json(const std::string& text, const std::string& where) {
  try {
    check_json_limits(text, where, kMaxStackFile);
  } catch (const varan::Error& e) {
    throw Error(e.what());
  }
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded()) throw Error(where + ": not valid JSON");
  return read_file_json(j, where);
}

StackFile load_stack_file(const std::string& path) {
  SecureBytes bytes = read_file(path, kMaxStackFile);
  SecretString text(std::string(bytes.begin(), bytes.end()));  // may hold tokens and secrets
  if (path.ends_with(".json")) return parse_stack_json(text.str(), path);
  return parse_stack_toml(text.str(), path);
}

}  // namespace varan::hooks
