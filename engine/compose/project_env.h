/// The project's surroundings, settled before any compose file is parsed: which compose files
/// and which project folder (-f, COMPOSE_FILE, the default names), the project environment (the
/// process's, then --env-file, COMPOSE_ENV_FILES or the folder's .env), the other COMPOSE_*
/// settings, and compose's rules for project names.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/compose/file_source.h"
#include "engine/compose/interpolate.h"
#include "engine/compose/limits.h"
#include "engine/compose/yaml.h"

namespace varan::compose {

struct LoadOptions;

/// compose's project name normalisation: lowercase, only [a-z0-9_-], no leading '_' or '-'.
std::string normalize_project_name(std::string_view name);

/// The first default compose file (compose.yaml, compose.yml, docker-compose.yml,
/// docker-compose.yaml) in `dir` or a parent, plus its override file when there is one.
std::vector<std::string> find_default_files(const std::string& dir);

using Env = std::map<std::string, std::string>;

/// Looks variables up in `env`, which must outlive the Lookup.
Lookup lookup_in(const Env& env);

/// Where a load starts and what it sees.
struct ProjectEnv {
  std::string cwd;                     // absolute
  std::string home;                    // for `~` in paths
  std::vector<std::string> files;      // the compose files, absolute, in merge order
  std::string project_dir;             // relative paths in the files are taken here
  std::vector<std::string> env_files;  // named by --env-file or COMPOSE_ENV_FILES, else empty
  Env env;                             // the project environment (the process wins over files)
};

/// Settles files, folder and environment for `opts`, reading env files through `files` and
/// charging their expansion to `budget`. Throws Error when no compose file is found or a named
/// env file is missing.
ProjectEnv read_project_env(const LoadOptions& opts, const FileSource& files, Budget& budget);

/// The project name: -p, else COMPOSE_PROJECT_NAME, else the files' `name:` (`name_key`, may
/// be null), else the project folder's name normalised. Throws Error on an invalid name.
std::string resolve_project_name(const LoadOptions& opts, const ProjectEnv& pe,
                                 const YNode* name_key);

/// The active profiles: --profile and COMPOSE_PROFILES.
std::set<std::string> active_profiles(const LoadOptions& opts, const Env& env);

}  // namespace varan::compose
