#include "hooks/stack.h"

#include <nlohmann/json.hpp>
#include <set>

#include "common/io.h"
#include "common/nesting.h"
#include "komodo/error.h"
#include "komodo/fields.h"
#include "komodo/toml.h"

namespace varan::hooks {

namespace {

using Json = nlohmann::json;

// The strict reader of a stack file: a wrong type stops the load with the file, the key
// and what was expected.
komodo::FieldError fail_in(const std::string& where) {
  return [where](const std::string& key, komodo::Expected e) {
    using komodo::Expected;
    const char* why = e == Expected::kPresent      ? "missing"
                      : e == Expected::kString     ? "expected a string"
                      : e == Expected::kBool       ? "expected true or false"
                      : e == Expected::kInteger    ? "expected a whole number"
                      : e == Expected::kStringList ? "expected a list of strings"
                      : key.ends_with("_deploy")   ? "expected a table with path and command"
                      : e == Expected::kObject     ? "expected a table"
                                                   : "not the expected type";
    throw Error(where + ": " + key + ": " + why);
  };
}

class Reader {
 public:
  Reader(std::string where, std::vector<std::string>& warnings)
      : where_(std::move(where)), warnings_(warnings) {}

  [[noreturn]] void fail(const std::string& key, const std::string& why) const {
    throw Error(where_ + ": " + key + ": " + why);
  }
  komodo::Fields fields(const Json& o, const std::string& prefix) const {
    return komodo::Fields(o, fail_in(where_), komodo::Fields::Strictness::kStrict, prefix);
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
  s.name = r.fields(j, at).str("name");
  if (s.name.empty()) r.fail(at + "name", "every stack needs a name");
  at = "stack \"" + s.name + "\": ";
  Json c = j.contains("config") ? j["config"] : Json::object();
  if (!c.is_object()) r.fail(at + "config", "expected a table");
  std::string p = at + "config.";
  komodo::Fields f = r.fields(c, p);
  static_cast<komodo::StackConfig&>(s) = komodo::read_stack_config(f);
  s.git_token = SecretString(f.str("git_token"));
  s.ssh_key = f.str("ssh_key");
  s.write_plaintext = f.boolean("write_plaintext", true);
  s.hook_timeout_s = static_cast<long>(f.integer("hook_timeout", 600));
  static const std::set<std::string, std::less<>> ours = {"git_token", "ssh_key", "write_plaintext",
                                                          "hook_timeout"};
  for (const auto& [k, v] : c.items())
    if (!komodo::is_stack_config_key(k) && !ours.contains(k))
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
      komodo::Fields v = r.fields(vars[i], at);
      std::string name = v.str("name");
      if (name.empty()) r.fail(at + "name", "every variable needs a name");
      f.variables[name] = {v.str("value"), v.boolean("is_secret", false)};
    }
  }
  if (j.contains("secrets")) {
    if (!j["secrets"].is_object()) r.fail("secrets", "expected a table of NAME = \"value\"");
    for (const auto& [k, v] : j["secrets"].items()) {
      if (!v.is_string()) r.fail("secrets." + k, "expected a string");
      f.variables[k] = {v.get<std::string>(), true};
    }
  }
  komodo::Fields top = r.fields(j, "");
  f.root_directory = top.str("root_directory");
  f.safe_directories = top.list("safe_directories");
  if (f.stacks.empty()) r.fail("stack", "no stack in the file (add a [[stack]] with a name)");
  return f;
}

}  // namespace

StackFile parse_stack_toml(const std::string& text, const std::string& where) {
  Json j;
  try {
    j = komodo::toml_to_json(text, where);
  } catch (const komodo::Error& e) {
    throw Error(e.what());
  }
  return read_file_json(j, where);
}

StackFile parse_stack_json(const std::string& text, const std::string& where) {
  try {
    check_json_limits(text, where, komodo::kMaxResourceFile);
  } catch (const varan::Error& e) {
    throw Error(e.what());
  }
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded()) throw Error(where + ": not valid JSON");
  return read_file_json(j, where);
}

StackFile load_stack_file(const std::string& path) {
  SecureBytes bytes = read_file(path, komodo::kMaxResourceFile);
  SecretString text(std::string(bytes.begin(), bytes.end()));  // may hold tokens and secrets
  if (path.ends_with(".json")) return parse_stack_json(text.str(), path);
  return parse_stack_toml(text.str(), path);
}

}  // namespace varan::hooks
