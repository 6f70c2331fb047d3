/// A stack as a Komodo Periphery sees it on a host: where its files come from (a git repo or
/// the host), the compose files, the environment file, the pre_deploy and post_deploy hooks.
/// Loaded from Komodo's TOML resource form (`[[stack]]` with `[stack.config]`, plus
/// `[[variable]]` and `[secrets]`) or from the same shape in JSON.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/secure.h"

namespace varan::hooks {

class Error : public varan::Error {
 public:
  using varan::Error::Error;
};

struct Hook {
  std::string path;     // folder relative to the run directory
  std::string command;  // multiline, Komodo's rules
  bool empty() const { return command.find_first_not_of(" \t\r\n") == std::string::npos; }
};

struct Stack {
  std::string name;
  std::string project_name;  // default: the name
  std::string run_directory;
  std::vector<std::string> file_paths;  // default: compose.yaml (or the usual names)
  std::string environment;              // KEY=VALUE lines written to env_file_path
  std::string env_file_path = ".env";
  std::vector<std::string> additional_env_files;
  Hook pre_deploy, post_deploy;
  // The repo: `repo` is owner/name on `git_provider`, or a whole URL.
  std::string git_provider = "github.com";
  bool git_https = true;
  std::string repo;
  std::string branch = "main";
  std::string commit;
  std::string git_account;  // the user name sent with the token
  SecretString git_token;
  std::string ssh_key;  // a private key file, for ssh:// and user@host: URLs
  /// Where the repo is checked out: the stack folder, or this folder (relative to the stack
  /// folder and inside it, or absolute and inside the root); run_directory, file_paths and
  /// the env files are inside the checkout (symlinks that leave it are refused).
  std::string clone_path;
  bool reclone = false;  // a fresh clone each deploy (cloned aside, swapped in on success)
  bool auto_pull = true;
  bool destroy_before_deploy = false;
  std::vector<std::string> extra_args;  // up's flags: --force-recreate, --remove-orphans, ...
  /// false: plaintext decrypted in-process by a sops-decrypt hook goes to the compose
  /// loader in memory and never to disk.
  bool write_plaintext = true;
  long hook_timeout_s = 600;

  /// The repo's URL without credentials; empty when the stack's files are on the host.
  std::string repo_url() const;
};

struct Variable {
  std::string value;
  bool secret = false;
};

struct StackFile {
  std::vector<Stack> stacks;
  std::map<std::string, Variable> variables;  // [[variable]] and [secrets]
  std::string root_directory;                 // where stacks live; "" = the default
  std::vector<std::string> safe_directories;  // repo folders trusted whoever owns them
  std::vector<std::string> warnings;          // keys read and not used
};

/// Loads a .toml or .json stack file. Errors name the file and the key.
StackFile load_stack_file(const std::string& path);
StackFile parse_stack_toml(const std::string& text, const std::string& where);
StackFile parse_stack_json(const std::string& text, const std::string& where);

/// A TOML document as JSON (tables as objects, dates and times as their TOML text), for
/// readers that take both forms. Throws hooks::Error "where:line:column: why".
nlohmann::json toml_to_json(const std::string& text, const std::string& where);

/// Komodo's folder name for a stack: spaces become underscores.
std::string stack_folder_name(const std::string& name);

}  // namespace varan::hooks
