/// The periphery agent's configuration: Komodo's keys and defaults (v1), from TOML or JSON
/// files, each key overridable by its PERIPHERY_* variable; keys Komodo doesn't have are
/// reported, not ignored. Varan adds safe_directories, write_plaintext and insecure_no_auth.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.h"

namespace varan::periphery {

class ConfigError : public Error {
 public:
  using Error::Error;
};

struct Config {
  int port = 8120;
  std::string bind_ip = "[::]";
  std::string root_directory = "/etc/komodo";
  std::string repo_dir, stack_dir, build_dir;  // default <root>/repos, /stacks, /builds
  bool disable_terminals = false, disable_container_exec = false;
  std::string stats_polling_rate = "5-sec";
  std::string container_stats_polling_rate = "30-sec";
  bool legacy_compose_cli = false;
  std::string logging_level = "info";
  std::vector<std::string> allowed_ips;
  std::vector<std::string> passkeys;
  std::vector<std::string> include_disk_mounts, exclude_disk_mounts;
  std::map<std::string, std::string> secrets;
  nlohmann::json git_providers = nlohmann::json::array();
  nlohmann::json docker_registries = nlohmann::json::array();
  bool ssl_enabled = true;
  std::string ssl_key_file, ssl_cert_file;  // default <root>/ssl/key.pem, cert.pem
  // Varan's own
  std::vector<std::string> safe_directories;
  bool write_plaintext = true;
  // With no passkeys the agent refuses to start unless this is set (or --insecure-no-auth).
  bool insecure_no_auth = false;

  std::vector<std::string> warnings;  // unknown keys, with the file
};

/// Reads `files` in order (later files win, tables merge, arrays extend as Komodo's
/// defaults do), then the PERIPHERY_* variables of `env`, then fills the defaults.
Config load_config(const std::vector<std::string>& files,
                   const std::map<std::string, std::string>& env);

/// The process environment as a map.
std::map<std::string, std::string> process_environment();

/// Komodo's Timelength strings ("1-sec", "5-sec", "15-sec", "1-min", "1-hr", "1-day", "1-wk")
/// in milliseconds; 0 for anything else.
long polling_ms(const std::string& rate);

}  // namespace varan::periphery
