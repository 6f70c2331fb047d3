/// Loads compose files into a Project, in compose-go's passes: find the files and the project
/// folder, read the environment (`.env`, `--env-file`), then per file parse (yaml.h),
/// interpolate (interpolate.h) and turn short syntax into long syntax, merge the files
/// (merge.h), apply `extends`, pick the services the active profiles enable, and type each
/// service into its canonical form (model.h). Errors name the file and line, the service and
/// the key.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/compose/model.h"
#include "engine/compose/yaml.h"

namespace varan::compose {

struct LoadOptions {
  std::vector<std::string> files;      // -f; else COMPOSE_FILE; else the default names
  std::string project_name;            // -p
  std::string project_directory;       // --project-directory
  std::vector<std::string> env_files;  // --env-file; else COMPOSE_ENV_FILES; else <dir>/.env
  std::vector<std::string> profiles;   // --profile (added to COMPOSE_PROFILES)
  std::vector<std::string> services;   // named on the command line: enabled whatever profiles say
  bool ignore_unsupported = false;     // unsupported keys warn instead of failing
  std::string cwd;                     // default: the current folder
  /// The environment; default: the process's. Entries here win over the process's.
  std::map<std::string, std::string> environment;
  bool inherit_environment = true;
  /// Files whose contents are given here instead of read from disk (absolute, normalised
  /// path -> contents), e.g. env files decrypted in memory by a pre_deploy step.
  const std::map<std::string, std::string>* file_overlay = nullptr;
};

/// Loads and resolves a project. Throws compose::Error.
Project load_project(const LoadOptions& opts);

/// compose's project name normalisation: lowercase, only [a-z0-9_-], no leading '_' or '-'.
std::string normalize_project_name(std::string_view name);

/// The first default compose file (compose.yaml, compose.yml, docker-compose.yml,
/// docker-compose.yaml) in `dir` or a parent, plus its override file when there is one.
std::vector<std::string> find_default_files(const std::string& dir);

/// Splits a shell-like command string into words (quotes and backslashes as in sh, no
/// expansion), as compose does for string `command:` and `entrypoint:`.
std::vector<std::string> split_command(std::string_view s, const std::string& where);

/// Parses a Go duration ("1m30s", "500ms", "10s") to nanoseconds.
std::optional<long long> parse_duration(std::string_view s);
/// Parses a size ("512m", "1g", "1024") to bytes, 1024-based like Docker.
std::optional<long long> parse_bytes(std::string_view s);

}  // namespace varan::compose
