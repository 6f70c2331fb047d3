#include "engine/compose/project_env.h"

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>

#include "engine/compose/dotenv.h"
#include "engine/compose/load.h"
#include "engine/compose/load_internal.h"

extern char** environ;

namespace varan::compose {

namespace fs = std::filesystem;

namespace {

// Reads `file` into `env`. The process environment wins over the file: only keys not set yet
// are taken. A missing file is an error only when it was asked for by name.
void add_dotenv(Env& env, const std::string& file, bool required, const FileSource& files,
                Budget& budget) {
  std::error_code ec;
  if (!files.overlaid(file) && !fs::exists(file, ec)) {
    if (required) throw Error(file + ": env file not found");
    return;
  }
  if (!files.overlaid(file) && fs::is_directory(file, ec)) {
    if (required) throw Error(file + ": is a directory, expected an env file");
    return;
  }
  std::string text = files.read(file);
  Env before = env;
  for (auto& [k, v] : parse_dotenv(text, file, lookup_in(before), false, &budget))
    if (!before.contains(k)) env[k] = v;
}

bool truthy(const std::string& v) {
  std::string l;
  for (char c : v)
    l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return l == "1" || l == "true" || l == "yes" || l == "y" || l == "on";
}

void check_name(const std::string& name, const std::string& from) {
  if (normalize_project_name(name) != name || name.empty())
    throw Error(
        from + ": invalid project name \"" + name +
        "\": use only lowercase letters, digits, '-' and '_', starting with a letter or digit");
}

}  // namespace

std::string normalize_project_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '_' || l == '-') out += l;
  }
  std::size_t s = out.find_first_not_of("_-");
  return s == std::string::npos ? "" : out.substr(s);
}

std::vector<std::string> find_default_files(const std::string& start) {
  static const char* kNames[] = {"compose.yaml", "compose.yml", "docker-compose.yml",
                                 "docker-compose.yaml"};
  static const char* kOverrides[] = {"compose.override.yml", "compose.override.yaml",
                                     "docker-compose.override.yml", "docker-compose.override.yaml"};
  std::error_code ec;
  for (fs::path dir = fs::absolute(start);; dir = dir.parent_path()) {
    for (const char* n : kNames) {
      fs::path f = dir / n;
      if (fs::is_regular_file(f, ec)) {
        std::vector<std::string> out{f.string()};
        for (const char* o : kOverrides) {
          fs::path of = dir / o;
          if (fs::is_regular_file(of, ec)) {
            out.push_back(of.string());
            break;
          }
        }
        return out;
      }
    }
    if (dir == dir.root_path() || dir.empty()) break;
  }
  return {};
}

Lookup lookup_in(const Env& env) {
  return [&env](const std::string& k) -> std::optional<std::string> {
    auto it = env.find(k);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

ProjectEnv read_project_env(const LoadOptions& opts, const FileSource& source, Budget& budget) {
  ProjectEnv pe;
  pe.cwd = opts.cwd.empty() ? fs::current_path().string() : fs::absolute(opts.cwd).string();
  Env& env = pe.env;
  if (opts.inherit_environment)
    for (char** e = environ; e && *e; ++e) {
      std::string_view kv(*e);
      std::size_t eq = kv.find('=');
      if (eq != std::string_view::npos)
        env[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
    }
  for (const auto& [k, v] : opts.environment)
    env[k] = v;
  const char* home = getenv("HOME");
  pe.home = env.contains("HOME") ? env["HOME"] : home ? home : "/root";

  // Files and the project folder. COMPOSE_* settings may come from the .env of the folder
  // we start in, before the files are known.
  std::vector<std::string>& files = pe.files;
  for (const auto& f : opts.files)
    files.push_back(absolute_in(pe.cwd, f, pe.home));
  std::string start_dir = opts.project_directory.empty()
                              ? pe.cwd
                              : absolute_in(pe.cwd, opts.project_directory, pe.home);
  if (files.empty()) {
    Env probe = env;
    if (opts.env_files.empty() && !truthy(probe["COMPOSE_DISABLE_ENV_FILE"]))
      add_dotenv(probe, start_dir + "/.env", false, source, budget);
    if (auto it = probe.find("COMPOSE_FILE"); it != probe.end() && !it->second.empty()) {
      char sep = ':';
      if (auto s = probe.find("COMPOSE_PATH_SEPARATOR"); s != probe.end() && !s->second.empty())
        sep = s->second[0];
      for (const auto& f : split_list(it->second, sep))
        files.push_back(absolute_in(start_dir, f, pe.home));
    } else {
      files = find_default_files(start_dir);
    }
    if (files.empty())
      throw Error("no compose file found in " + start_dir +
                  " or its parents (looked for compose.yaml, compose.yml, docker-compose.yml, "
                  "docker-compose.yaml); "
                  "name one with -f");
  }
  pe.project_dir =
      opts.project_directory.empty() ? fs::path(files[0]).parent_path().string() : start_dir;

  // The project environment: the process's, then the env files (the process wins).
  for (const auto& f : opts.env_files)
    pe.env_files.push_back(absolute_in(pe.cwd, f, pe.home));
  if (pe.env_files.empty())
    if (auto it = env.find("COMPOSE_ENV_FILES"); it != env.end())
      for (const auto& f : split_list(it->second, ','))
        pe.env_files.push_back(absolute_in(pe.project_dir, f, pe.home));
  if (!pe.env_files.empty()) {
    for (const auto& f : pe.env_files)
      add_dotenv(env, f, true, source, budget);
    // env[] leaves COMPOSE_DISABLE_ENV_FILE set (to "") when it was unset, as the loader always
    // did: `${COMPOSE_DISABLE_ENV_FILE}` then interpolates without an unset-variable warning.
  } else if (!truthy(env["COMPOSE_DISABLE_ENV_FILE"])) {
    add_dotenv(env, pe.project_dir + "/.env", false, source, budget);
  }
  return pe;
}

std::string resolve_project_name(const LoadOptions& opts, const ProjectEnv& pe,
                                 const YNode* name_key) {
  std::string name;
  if (!opts.project_name.empty()) {
    name = opts.project_name;
    check_name(name, "-p");
  } else if (auto it = pe.env.find("COMPOSE_PROJECT_NAME");
             it != pe.env.end() && !it->second.empty()) {
    name = it->second;
    check_name(name, "COMPOSE_PROJECT_NAME");
  } else if (name_key && name_key->kind == YNode::Kind::kScalar && !name_key->value.empty()) {
    name = name_key->value;
    check_name(name, name_key->where() + ": name");
  } else {
    name = normalize_project_name(fs::path(pe.project_dir).filename().string());
    if (name.empty())
      throw Error("can't derive a project name from the folder " + pe.project_dir +
                  "; give one with -p or name:");
  }
  return name;
}

std::set<std::string> active_profiles(const LoadOptions& opts, const Env& env) {
  std::set<std::string> active;
  for (const auto& pr : opts.profiles)
    active.insert(pr);
  if (auto it = env.find("COMPOSE_PROFILES"); it != env.end())
    for (const auto& pr : split_list(it->second, ','))
      active.insert(pr);
  return active;
}

}  // namespace varan::compose
