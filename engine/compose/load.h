/// Loads compose files into a Project, in compose-go's passes: find the files, the project
/// folder and the environment (project_env.h), then per file parse (yaml.h), interpolate
/// (interpolate.h) and turn short syntax into long syntax (syntax.h), merge the files
/// (merge.h), apply `extends`, pick the services the active profiles enable, and type each
/// service into its canonical form (typing.h, model.h). Errors name the file and line, the
/// service and the key.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/compose/model.h"
#include "engine/compose/project_env.h"  // normalize_project_name, find_default_files
#include "engine/compose/units.h"        // split_command, parse_duration, parse_bytes
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

}  // namespace varan::compose
