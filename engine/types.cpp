#include "engine/types.h"

namespace varan::engine {

namespace {

std::string str(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

std::int64_t num(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return 0;
  return it->get<std::int64_t>();
}

bool flag(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

const Json& obj(const Json& j, const char* key) {
  static const Json kEmpty = Json::object();
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : kEmpty;
}

Labels labels_of(const Json& j, const char* key = "Labels") {
  Labels out;
  for (const auto& [k, v] : obj(j, key).items())
    if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

std::vector<std::string> strings(const Json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end()) return out;
  if (it->is_string()) {
    out.push_back(it->get<std::string>());
  } else if (it->is_array()) {
    for (const auto& v : *it)
      if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

std::vector<MountSummary> mounts_of(const Json& j) {
  std::vector<MountSummary> out;
  auto it = j.find("Mounts");
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& m : *it) {
    MountSummary s;
    s.type = str(m, "Type");
    s.name = str(m, "Name");
    s.source = str(m, "Source");
    s.destination = str(m, "Destination");
    s.rw = m.contains("RW") ? flag(m, "RW") : true;
    out.push_back(std::move(s));
  }
  return out;
}

std::map<std::string, std::vector<HostBinding>> bindings(const Json& ports) {
  std::map<std::string, std::vector<HostBinding>> out;
  if (!ports.is_object()) return out;
  for (const auto& [port, list] : ports.items()) {
    auto& v = out[port];
    if (!list.is_array()) continue;
    for (const auto& b : list)
      v.push_back({str(b, "HostIp"), str(b, "HostPort")});
  }
  return out;
}

EndpointInfo endpoint(const Json& e) {
  return {str(e, "NetworkID"), str(e, "IPAddress"), str(e, "MacAddress"), strings(e, "Aliases")};
}

}  // namespace

std::string ContainerSummary::name() const {
  if (names.empty()) return "";
  return names[0].starts_with("/") ? names[0].substr(1) : names[0];
}

ContainerSummary ContainerSummary::from_json(const Json& j) {
  ContainerSummary c;
  c.id = str(j, "Id");
  c.names = strings(j, "Names");
  c.image = str(j, "Image");
  c.image_id = str(j, "ImageID");
  c.command = str(j, "Command");
  c.state = str(j, "State");
  c.status = str(j, "Status");
  c.created = num(j, "Created");
  c.labels = labels_of(j);
  if (auto it = j.find("Ports"); it != j.end() && it->is_array())
    for (const auto& p : *it)
      c.ports.push_back({str(p, "IP"), static_cast<int>(num(p, "PrivatePort")),
                         static_cast<int>(num(p, "PublicPort")), str(p, "Type")});
  for (const auto& [name, _] : obj(obj(j, "NetworkSettings"), "Networks").items())
    c.networks.push_back(name);
  c.mounts = mounts_of(j);
  c.raw = j;
  return c;
}

ContainerInspect ContainerInspect::from_json(const Json& j) {
  ContainerInspect c;
  c.id = str(j, "Id");
  c.name = str(j, "Name");
  if (c.name.starts_with("/")) c.name.erase(0, 1);
  c.image_id = str(j, "Image");
  c.created = str(j, "Created");
  const Json& st = obj(j, "State");
  c.state.status = str(st, "Status");
  c.state.running = flag(st, "Running");
  c.state.paused = flag(st, "Paused");
  c.state.restarting = flag(st, "Restarting");
  c.state.oom_killed = flag(st, "OOMKilled");
  c.state.dead = flag(st, "Dead");
  c.state.pid = static_cast<int>(num(st, "Pid"));
  c.state.exit_code = static_cast<int>(num(st, "ExitCode"));
  c.state.error = str(st, "Error");
  c.state.started_at = str(st, "StartedAt");
  c.state.finished_at = str(st, "FinishedAt");
  c.state.health = str(obj(st, "Health"), "Status");
  const Json& cfg = obj(j, "Config");
  c.config_image = str(cfg, "Image");
  c.hostname = str(cfg, "Hostname");
  c.user = str(cfg, "User");
  c.working_dir = str(cfg, "WorkingDir");
  c.tty = flag(cfg, "Tty");
  c.labels = labels_of(cfg);
  c.env = strings(cfg, "Env");
  c.cmd = strings(cfg, "Cmd");
  c.entrypoint = strings(cfg, "Entrypoint");
  const Json& host = obj(j, "HostConfig");
  c.port_bindings = bindings(obj(host, "PortBindings"));
  c.restart_policy = str(obj(host, "RestartPolicy"), "Name");
  const Json& net = obj(j, "NetworkSettings");
  if (auto it = net.find("Ports"); it != net.end()) c.ports = bindings(*it);
  for (const auto& [name, e] : obj(net, "Networks").items())
    c.networks[name] = endpoint(e);
  c.mounts = mounts_of(j);
  c.raw = j;
  return c;
}

ImageSummary ImageSummary::from_json(const Json& j) {
  ImageSummary i;
  i.id = str(j, "Id");
  i.repo_tags = strings(j, "RepoTags");
  i.created = num(j, "Created");
  i.size = num(j, "Size");
  i.labels = labels_of(j);
  i.raw = j;
  return i;
}

ImageInspect ImageInspect::from_json(const Json& j) {
  ImageInspect i;
  i.id = str(j, "Id");
  i.created = str(j, "Created");
  i.architecture = str(j, "Architecture");
  i.os = str(j, "Os");
  i.repo_tags = strings(j, "RepoTags");
  i.labels = labels_of(obj(j, "Config"));
  i.raw = j;
  return i;
}

NetworkInfo NetworkInfo::from_json(const Json& j) {
  NetworkInfo n;
  n.id = str(j, "Id");
  n.name = str(j, "Name");
  n.driver = str(j, "Driver");
  n.scope = str(j, "Scope");
  n.internal = flag(j, "Internal");
  n.attachable = flag(j, "Attachable");
  n.labels = labels_of(j);
  for (const auto& [id, e] : obj(j, "Containers").items()) {
    EndpointInfo info = endpoint(e);
    info.ip_address = str(e, "IPv4Address");
    n.containers[id] = info;
  }
  n.raw = j;
  return n;
}

VolumeInfo VolumeInfo::from_json(const Json& j) {
  VolumeInfo v;
  v.name = str(j, "Name");
  v.driver = str(j, "Driver");
  v.mountpoint = str(j, "Mountpoint");
  v.scope = str(j, "Scope");
  v.labels = labels_of(j);
  v.raw = j;
  return v;
}

Event Event::from_json(const Json& j) {
  Event e;
  e.type = str(j, "Type");
  e.action = str(j, "Action");
  const Json& actor = obj(j, "Actor");
  e.actor_id = str(actor, "ID");
  e.attributes = labels_of(actor, "Attributes");
  e.time = num(j, "time");
  e.time_nano = num(j, "timeNano");
  e.raw = j;
  return e;
}

ExecInspect ExecInspect::from_json(const Json& j) {
  ExecInspect x;
  x.id = str(j, "ID");
  x.container_id = str(j, "ContainerID");
  x.running = flag(j, "Running");
  x.exit_code = static_cast<int>(num(j, "ExitCode"));
  x.pid = static_cast<int>(num(j, "Pid"));
  x.raw = j;
  return x;
}

VersionInfo VersionInfo::from_json(const Json& j) {
  VersionInfo v;
  v.version = str(j, "Version");
  v.api_version = str(j, "ApiVersion");
  v.min_api_version = str(j, "MinAPIVersion");
  v.os = str(j, "Os");
  v.arch = str(j, "Arch");
  v.kernel_version = str(j, "KernelVersion");
  v.raw = j;
  return v;
}

Progress Progress::from_json(const Json& j) {
  Progress p;
  p.id = str(j, "id");
  p.status = str(j, "status");
  p.progress = str(j, "progress");
  p.stream = str(j, "stream");
  p.error = str(j, "error");
  if (p.error.empty()) p.error = str(obj(j, "errorDetail"), "message");
  p.raw = j;
  return p;
}

}  // namespace varan::engine
