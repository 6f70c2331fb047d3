/// The resolved compose project: what load.h produces, what plan.h compares with the engine
/// and what apply.h turns into create calls. Each service keeps its fully resolved
/// configuration in one canonical JSON form (long syntax, durations in nanoseconds, sizes in
/// bytes, absolute paths, env_file merged into environment), which is also what the config
/// hash is taken over and what `varan compose config` prints.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace varan::compose {

using Json = nlohmann::json;

struct Dependency {
  std::string service;
  std::string condition = "service_started";  // service_healthy, service_completed_successfully
  bool required = true;
  bool restart = false;
};

struct Service {
  std::string name;
  Json config;  // canonical; keys as in the compose file
  std::vector<Dependency> depends_on;
  std::vector<std::string> profiles;
  int scale = 1;
  std::string image, container_name;
  std::string pull_policy = "missing";  // always, never, missing, refresh
  long long pull_refresh_s = 0;         // refresh: pull when the local tag is older than this
  std::string network_mode;             // "" (project networks), host, none, bridge, container:X

  /// Networks by key in attach order (highest priority first), empty with network_mode.
  std::vector<std::string> network_keys() const;
  /// Named volumes (keys of the top-level `volumes:`) this service mounts.
  std::vector<std::string> volume_keys() const;
};

/// A top-level network or volume.
struct Resource {
  std::string key;   // as written under networks: / volumes:
  std::string name;  // as the engine knows it: <project>_<key>, or name:
  bool external = false;
  Json config;
};

struct Project {
  std::string name;
  std::string working_dir;
  std::vector<std::string> config_files;  // absolute
  std::vector<std::string> env_files;     // given with --env-file (absolute)
  std::vector<Service> services;          // enabled, in file order
  std::vector<std::string> disabled;      // services whose profiles are not active
  std::vector<Resource> networks, volumes;
  Json secrets = Json::object(), configs = Json::object();
  std::vector<std::string> warnings;

  const Service* find(std::string_view name) const;
  const Resource* network(std::string_view key) const;
  const Resource* volume(std::string_view key) const;
  bool knows(std::string_view service) const;  // enabled or disabled
  /// Service names in an order where each comes after what it depends on.
  std::vector<std::string> dependency_order() const;
  /// The resolved project as compose YAML (`varan compose config`).
  std::string to_yaml() const;
};

/// The parts of a service config that are not hashed: how many containers, when to pull,
/// which profiles. Everything else changes the hash.
Json hashed_config(const Service& s);
/// Lowercase hex SHA-256 of the canonical JSON of hashed_config(s).
std::string config_hash(const Service& s);
/// `key:digest` pairs (8 hex digits each) of the hashed top-level keys, so a plan can say
/// which keys changed since a container was made.
std::string key_digests(const Service& s);
/// The keys whose digests differ between two key_digests() strings.
std::vector<std::string> changed_keys(std::string_view before, std::string_view after);

/// Container name for replica `n` of a service.
std::string container_name(const Project& p, const Service& s, int n);

/// JSON as block YAML (strings quoted when they'd read as something else).
std::string to_yaml(const Json& j);

}  // namespace varan::compose
