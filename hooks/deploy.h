/// The deploy pipeline of one stack, as a Komodo Periphery runs it, with no child process of
/// ours: the repo to the wanted commit (libgit2), the environment file, pre_deploy (SOPS
/// decryption in-process when the hook is sops-decrypt), the compose reconcile with
/// change-only restarts, post_deploy. Returns Komodo-shaped logs, secrets redacted.
///
/// Nothing is lost on failure: decrypted files and the environment file are written only
/// after the compose files loaded and planned with them, atomically with mode 0600; a shell
/// hook that fails has the env files it may have touched put back; a failed apply leaves
/// running containers running (engine/compose/apply).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "git/repo.h"
#include "hooks/stack.h"
#include "komodo/log.h"
#include "komodo/time.h"

namespace varan::engine {
class Client;
}

namespace varan::hooks {

using komodo::now_ms;
using Log = komodo::Log;

struct DeployOptions {
  /// Plan first; when the plan changes nothing, stop there ("no changes") having touched
  /// nothing: no env file written, no post_deploy. Works for every stack source.
  bool if_changed = false;
  /// Show what deploying the branch head would do: the repo is brought to it (as a pull
  /// would), but hooks other than an in-process sops-decrypt don't run, and nothing is
  /// written or applied.
  bool dry_run = false;
  /// Where stacks live: `<root>/<name>` (spaces -> _) holds a stack's repo or files.
  std::string root = "/etc/varan/stacks";
  /// Other folders an absolute clone_path may be inside of (the agent's repo_dir for linked
  /// repos); the root always is one. Every other path of a stack stays in its checkout.
  std::vector<std::string> clone_roots;
  std::vector<std::string> safe_directories;
  /// More values to mask in every log line, with their names (Komodo's `replacers`).
  std::vector<std::pair<std::string, std::string>> redact;
  /// Called with each log as its stage ends (already redacted).
  std::function<void(const Log&)> on_log;
  /// Credentials for one registry (Komodo's registry_provider/registry_account): images on
  /// `domain` are pulled with them, as after a `docker login`. The token is masked in logs.
  struct RegistryLogin {
    std::string domain, username;
    SecretString token;
  };
  std::optional<RegistryLogin> registry;
};

struct DeployResult {
  bool success = false;  // deployed (a post_deploy failure is logged, success stays)
  bool changed = false;  // the engine was (or, with dry_run, would be) changed
  std::string error;     // the failure, one line, redacted
  std::vector<Log> logs;
  /// Containers by what happened: "created web-1", "recreated db-1", "removed old-1", ...
  std::vector<std::string> touched;
  std::vector<std::string> services_touched;
  git::CommitInfo commit_before, commit_after;
  std::string run_directory;
  std::string base_directory;  // the folder the stack's paths stay in (its checkout)
  std::string project_name;
  struct ServiceInfo {
    std::string service, container, image;
  };
  std::vector<ServiceInfo> services;  // of the loaded project
  std::string compose_config;         // the resolved project as YAML (redacted)
};

/// Deploys `stack` (interpolating its fields from `variables` first). Two deploys of the
/// same stack never run at once, in this process or another one (a lock file under root).
DeployResult deploy(const Stack& stack, const std::map<std::string, Variable>& variables,
                    engine::Client& client, const DeployOptions& opts);

/// Komodo's environment field as env file text: `KEY=V`, `KEY: V` and `- KEY=V` lines
/// become `KEY=V`; comments and blank lines go.
std::string environment_file_text(const std::string& environment);

}  // namespace varan::hooks
