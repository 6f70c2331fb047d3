#include "komodo/stack.h"

#include <algorithm>
#include <iterator>

namespace varan::komodo {

namespace {

// Sorted: the keys of Komodo's StackConfig, v1.19 and v2.
constexpr std::string_view kStackKeys[] = {
    "additional_env_files",
    "auto_pull",
    "auto_update",
    "auto_update_all_services",
    "auto_update_skip_services",
    "branch",
    "build_extra_args",
    "clone_path",
    "commit",
    "compose_cmd_wrapper",
    "compose_cmd_wrapper_include",
    "config_files",
    "destroy_before_deploy",
    "env_file_path",
    "environment",
    "extra_args",
    "file_contents",
    "file_paths",
    "files_on_host",
    "git_account",
    "git_https",
    "git_provider",
    "ignore_services",
    "legacy_compose_cli",
    "linked_repo",
    "links",
    "poll_for_updates",
    "post_deploy",
    "pre_deploy",
    "project_name",
    "reclone",
    "registry_account",
    "registry_provider",
    "repo",
    "run_build",
    "run_directory",
    "send_alerts",
    "server",
    "server_id",
    "skip_secret_interp",
    "swarm",
    "swarm_id",
    "webhook_enabled",
    "webhook_force_deploy",
    "webhook_secret",
};

SystemCommand read_command(const Fields& c, const char* key) {
  SystemCommand h;
  if (!c.has(key)) return h;
  if (!c.json()[key].is_object()) {
    c.wrong(key, Expected::kObject);
    return h;
  }
  Fields f = c.object(key);
  h.path = f.str("path");
  h.command = f.str("command");
  return h;
}

std::string read_environment(const Fields& c) {
  if (!c.has("environment")) return "";
  const auto& v = c.json()["environment"];
  std::string out;
  if (v.is_object()) {  // the TOML form: a table of NAME = "value"
    Fields env = c.object("environment");
    for (const auto& [k, val] : v.items())
      if (val.is_string())
        out += k + "=" + val.get<std::string>() + "\n";
      else
        env.wrong(k.c_str(), Expected::kString);
    return out;
  }
  if (v.is_array()) return environment_lines(v);  // [{variable, value}]
  return c.str("environment");
}

std::vector<std::string> read_env_files(const Fields& c) {
  const char* key = "additional_env_files";
  if (c.has(key) && c.json()[key].is_array()) {
    std::vector<std::string> out;
    for (const auto& e : c.json()[key]) {
      if (e.is_string())
        out.push_back(e.get<std::string>());
      else if (e.is_object() && e.contains("path") && e["path"].is_string())
        out.push_back(e["path"].get<std::string>());  // v2: {path, track}
      else
        c.wrong(key, Expected::kStringList);
    }
    return out;
  }
  return c.list(key);
}

}  // namespace

std::string environment_lines(const nlohmann::json& list) {
  std::string out;
  if (!list.is_array()) return out;
  auto text = [](const nlohmann::json& e, const char* k) {
    return e.contains(k) && e[k].is_string() ? e[k].get<std::string>() : std::string();
  };
  for (const auto& e : list)
    if (e.is_object()) out += text(e, "variable") + "=" + text(e, "value") + "\n";
  return out;
}

std::string repo_url(const std::string& provider, bool https, const std::string& repo) {
  if (repo.empty()) return "";
  if (repo.find("://") != std::string::npos || repo.find('@') != std::string::npos ||
      repo.starts_with("/"))
    return repo;
  return std::string(https ? "https://" : "http://") + provider + "/" + repo;
}

std::string StackConfig::repo_url() const {
  return komodo::repo_url(git_provider, git_https, repo);
}

StackConfig read_stack_config(const Fields& c) {
  StackConfig s;
  s.project_name = c.str("project_name");
  s.run_directory = c.str("run_directory");
  s.file_paths = c.list("file_paths");
  s.environment = read_environment(c);
  s.env_file_path = c.str("env_file_path", ".env");
  if (s.env_file_path.empty()) s.env_file_path = ".env";
  s.additional_env_files = read_env_files(c);
  s.pre_deploy = read_command(c, "pre_deploy");
  s.post_deploy = read_command(c, "post_deploy");
  s.git_provider = c.str("git_provider", "github.com");
  s.git_https = c.boolean("git_https", true);
  s.repo = c.str("repo");
  s.branch = c.str("branch", "main");
  if (s.branch.empty()) s.branch = "main";
  s.commit = c.str("commit");
  s.git_account = c.str("git_account");
  s.clone_path = c.str("clone_path");
  s.reclone = c.boolean("reclone", false);
  s.auto_pull = c.boolean("auto_pull", true);
  s.destroy_before_deploy = c.boolean("destroy_before_deploy", false);
  s.extra_args = c.list("extra_args");
  s.files_on_host = c.boolean("files_on_host", false);
  s.file_contents = c.str("file_contents");
  s.linked_repo = c.str("linked_repo");
  s.skip_secret_interp = c.boolean("skip_secret_interp", false);
  s.registry_provider = c.str("registry_provider");
  s.registry_account = c.str("registry_account");
  return s;
}

bool is_stack_config_key(std::string_view key) {
  return std::find(std::begin(kStackKeys), std::end(kStackKeys), key) != std::end(kStackKeys);
}

RepoConfig read_repo_config(const Fields& c) {
  RepoConfig r;
  r.git_provider = c.str("git_provider", "github.com");
  r.git_https = c.boolean("git_https", true);
  r.repo = c.str("repo");
  r.branch = c.str("branch", "main");
  r.commit = c.str("commit");
  r.git_account = c.str("git_account");
  r.path = c.str("path");
  return r;
}

void use_linked_repo(StackConfig& s, const RepoConfig& r) {
  s.repo = r.repo;
  s.git_provider = r.git_provider;
  s.git_https = r.git_https;
  s.git_account = r.git_account;
  s.branch = r.branch;
  s.commit = r.commit;
}

std::string folder_name(const std::string& name) {
  std::string out = name;
  std::replace(out.begin(), out.end(), ' ', '_');
  return out;
}

}  // namespace varan::komodo
