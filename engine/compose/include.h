/// The top-level `include:` as compose-go reads it: each entry names one compose file, or a
/// file and its overrides, loaded as a project of its own (its own folder and environment)
/// whose services, networks, volumes, secrets and configs are then imported into the file
/// that includes it. A name defined on both sides is an error unless both definitions are
/// the same.
#pragma once

#include <string>
#include <vector>

#include "engine/compose/yaml.h"

namespace varan::compose {

struct IncludeEntry {
  std::vector<std::string> paths;      // absolute; the first one is the main file
  std::string project_dir;             // absolute: project_directory, else the main file's folder
  std::vector<std::string> env_files;  // absolute; empty: <project_dir>/.env when there is one
  bool env_files_given = false;        // env_file was set (then no default .env)
  std::string where;                   // "file:line" of the entry, for messages
};

/// The entries of an `include:` value in its short form (a list of paths) or long form
/// (`path` a string or a list, `project_directory`, `env_file` a string or a list). Relative
/// paths are taken in `base`, the including project's folder. Throws Error naming the entry.
std::vector<IncludeEntry> include_entries(const YNode& include, const std::string& base,
                                          const std::string& home);

/// Imports the resources of an included model into `into` (both canonical top-level
/// mappings). Throws Error "services.NAME conflicts with imported resource" (with where it
/// was included from) when a name is defined on both sides differently.
void import_included(YNode& into, const YNode& included, const IncludeEntry& from);

/// The "include cycle detected" error when `file` is already in the chain of includes.
void check_include_cycle(const std::vector<std::string>& chain, const std::string& file);

}  // namespace varan::compose
