/// What the engine answers, as typed values: the fields Varan uses, parsed tolerantly
/// (unknown fields are kept in `raw`, missing ones take their zero value), so newer and
/// older engines both work.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace varan::engine {

using Json = nlohmann::json;
using Labels = std::map<std::string, std::string>;

struct PortSummary {
  std::string ip;
  int private_port = 0;
  int public_port = 0;
  std::string type;  // tcp, udp, sctp
};

struct MountSummary {
  std::string type;         // bind, volume, tmpfs
  std::string name;         // volume name
  std::string source;       // host path
  std::string destination;  // in the container
  bool rw = true;
};

/// An item of GET /containers/json.
struct ContainerSummary {
  std::string id;
  std::vector<std::string> names;  // "/name"
  std::string image, image_id, command, state, status;
  std::int64_t created = 0;
  Labels labels;
  std::vector<PortSummary> ports;
  std::vector<std::string> networks;  // names
  std::vector<MountSummary> mounts;
  Json raw;

  /// The first name without its leading slash.
  std::string name() const;
  static ContainerSummary from_json(const Json& j);
};

struct HostBinding {
  std::string host_ip, host_port;
};

struct EndpointInfo {
  std::string network_id, ip_address, mac_address;
  std::vector<std::string> aliases;
};

struct ContainerState {
  std::string status;  // created, running, paused, restarting, removing, exited, dead
  bool running = false, paused = false, restarting = false, oom_killed = false, dead = false;
  int pid = 0, exit_code = 0;
  std::string error, started_at, finished_at;
  std::string health;  // "", starting, healthy, unhealthy
};

/// GET /containers/{id}/json.
struct ContainerInspect {
  std::string id, name, image_id, created;
  ContainerState state;
  std::string config_image, hostname, user, working_dir;
  bool tty = false;
  Labels labels;
  std::vector<std::string> env, cmd, entrypoint;
  std::map<std::string, std::vector<HostBinding>> port_bindings;  // HostConfig: what was asked
  std::map<std::string, std::vector<HostBinding>> ports;          // NetworkSettings: what is bound
  std::map<std::string, EndpointInfo> networks;
  std::vector<MountSummary> mounts;
  std::string restart_policy;
  Json raw;
  static ContainerInspect from_json(const Json& j);
};

struct ImageSummary {
  std::string id;
  std::vector<std::string> repo_tags;
  std::int64_t created = 0, size = 0;
  Labels labels;
  Json raw;
  static ImageSummary from_json(const Json& j);
};

struct ImageInspect {
  std::string id, created, architecture, os;
  std::vector<std::string> repo_tags;
  Labels labels;
  Json raw;
  static ImageInspect from_json(const Json& j);
};

struct NetworkInfo {
  std::string id, name, driver, scope;
  bool internal = false, attachable = false;
  Labels labels;
  std::map<std::string, EndpointInfo> containers;  // by container id
  Json raw;
  static NetworkInfo from_json(const Json& j);
};

struct VolumeInfo {
  std::string name, driver, mountpoint, scope;
  Labels labels;
  Json raw;
  static VolumeInfo from_json(const Json& j);
};

struct Event {
  std::string type, action, actor_id;
  Labels attributes;  // includes the container's labels
  std::int64_t time = 0, time_nano = 0;
  Json raw;
  static Event from_json(const Json& j);
};

struct ExecInspect {
  std::string id, container_id;
  bool running = false;
  int exit_code = 0;
  int pid = 0;
  Json raw;
  static ExecInspect from_json(const Json& j);
};

struct VersionInfo {
  std::string version, api_version, min_api_version, os, arch, kernel_version;
  Json raw;
  static VersionInfo from_json(const Json& j);
};

/// One message of a pull or build progress stream.
struct Progress {
  std::string id, status, progress, stream, error;
  Json raw;
  static Progress from_json(const Json& j);
};

}  // namespace varan::engine
