/// Komodo's Stack and Repo configs (`StackConfig`, `RepoConfig`) as Komodo writes them, with
/// its defaults, and one decoder for each: the agent's ComposeUp, the stack files of
/// `varan deploy` and a Core's resources all read a stack through it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "komodo/fields.h"

namespace varan::komodo {

/// A pre_deploy / post_deploy command: multiline text run in `path` (relative to the run
/// directory).
struct SystemCommand {
  std::string path;
  std::string command;
  bool empty() const { return command.find_first_not_of(" \t\r\n") == std::string::npos; }
};

struct StackConfig {
  std::string project_name;  // default: the stack's name
  std::string run_directory;
  std::vector<std::string> file_paths;  // default: compose.yaml (or the usual names)
  std::string environment;              // KEY=VALUE lines written to env_file_path
  std::string env_file_path = ".env";
  std::vector<std::string> additional_env_files;
  SystemCommand pre_deploy, post_deploy;
  // The repo: `repo` is owner/name on `git_provider`, or a whole URL.
  std::string git_provider = "github.com";
  bool git_https = true;
  std::string repo;
  std::string branch = "main";
  std::string commit;
  std::string git_account;  // the user name sent with the token
  std::string clone_path;
  bool reclone = false;
  bool auto_pull = true;
  bool destroy_before_deploy = false;
  std::vector<std::string> extra_args;
  // Where the files come from when there is no repo, and what Core adds to a deploy.
  bool files_on_host = false;
  std::string file_contents;
  std::string linked_repo;
  bool skip_secret_interp = false;
  std::string registry_provider, registry_account;

  /// The repo's URL without credentials; empty when there is no repo.
  std::string repo_url() const;
};

/// Reads a StackConfig object. `environment` may be KEY=VALUE text, a table of strings (the
/// TOML form) or a list of {variable, value}; `additional_env_files` strings or v2's
/// {path, track}; empty env_file_path and branch take their defaults.
StackConfig read_stack_config(const Fields& config);

/// KEY=VALUE lines of Komodo's environment list ([{variable, value}]); an entry's field that
/// is not a string reads as empty.
std::string environment_lines(const nlohmann::json& list);

/// Every key of Komodo's StackConfig (v1.19 and v2), read above or meaningful to Core only.
bool is_stack_config_key(std::string_view key);

struct RepoConfig {
  std::string git_provider = "github.com";
  bool git_https = true;
  std::string repo;
  std::string branch = "main";
  std::string commit;
  std::string git_account;
  std::string path;  // where it is checked out, under the repo's folder
};

RepoConfig read_repo_config(const Fields& config);

/// A linked Repo takes the place of the stack's own repo: its provider, URL, account, branch
/// and commit.
void use_linked_repo(StackConfig& stack, const RepoConfig& repo);

/// https://<provider>/<owner/name>, or `repo` itself when it is a URL, user@host: or a path.
std::string repo_url(const std::string& provider, bool https, const std::string& repo);

/// The folder a stack or repo named `name` lives in under Periphery's stack_dir / repo_dir
/// (spaces become underscores, as Komodo does).
std::string folder_name(const std::string& name);

}  // namespace varan::komodo
