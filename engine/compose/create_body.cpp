#include "engine/compose/create_body.h"

#include <algorithm>

#include "engine/compose/labels.h"

namespace varan::compose {

namespace {

bool api_at_least(const std::string& v, int minor) {
  std::size_t dot = v.find('.');
  if (dot == std::string::npos) return false;
  try {
    return std::stoi(v.substr(0, dot)) > 1 || std::stoi(v.substr(dot + 1)) >= minor;
  } catch (...) {
    return false;
  }
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v)
    out += (out.empty() ? "" : sep) + s;
  return out;
}

Json string_array(const Json& j) { return j.is_array() ? j : Json::array(); }

}  // namespace

std::map<std::string, std::string> container_labels(const Project& p, const Service& s, int number,
                                                    const std::string& image_id) {
  std::map<std::string, std::string> l;
  const Json user = s.config.value("labels", Json::object());
  for (const auto& [k, v] : user.items())
    l[k] = v.get<std::string>();
  l[labels::kProject] = p.name;
  l[labels::kService] = s.name;
  l[labels::kNumber] = std::to_string(number);
  l[labels::kOneOff] = "False";
  l[labels::kConfigHash] = config_hash(s);
  l[labels::kConfigKeys] = key_digests(s);
  l[labels::kImage] = image_id;
  l[labels::kWorkingDir] = p.working_dir;
  l[labels::kConfigFiles] = join(p.config_files, ",");
  if (!p.env_files.empty()) l[labels::kEnvironmentFile] = join(p.env_files, ",");
  std::vector<std::string> deps;
  for (const auto& d : s.depends_on)
    deps.push_back(d.service + ":" + d.condition + ":" + (d.restart ? "true" : "false"));
  std::sort(deps.begin(), deps.end());
  l[labels::kDependsOn] = join(deps, ",");
  l[labels::kVersion] = labels::kCompatVersion;
  return l;
}

Json create_body(const Project& p, const Service& s, int number, const std::string& image_id,
                 const std::map<std::string, std::string>& anonymous, const std::string& replaces,
                 const std::string& api_version) {
  const Json& c = s.config;
  Json body;
  body["Image"] = s.image;
  if (c.contains("command")) body["Cmd"] = c["command"];
  if (c.contains("entrypoint")) body["Entrypoint"] = c["entrypoint"];
  Json env = Json::array();
  const Json environment = c.value("environment", Json::object());
  // A key without a value (`environment: [KEY]`, KEY unset) goes as `KEY`: the engine then
  // removes the image's value of it, as compose has it.
  for (const auto& [k, v] : environment.items())
    env.push_back(v.is_null() ? k : k + "=" + v.get<std::string>());
  body["Env"] = env;
  auto l = container_labels(p, s, number, image_id);
  if (!replaces.empty()) l[labels::kReplace] = replaces;
  body["Labels"] = l;
  for (const auto& [key, field] :
       std::initializer_list<std::pair<const char*, const char*>>{{"hostname", "Hostname"},
                                                                  {"domainname", "Domainname"},
                                                                  {"user", "User"},
                                                                  {"working_dir", "WorkingDir"},
                                                                  {"stop_signal", "StopSignal"}})
    if (c.contains(key)) body[field] = c[key];
  if (c.contains("mac_address") && !api_at_least(api_version, 44))
    body["MacAddress"] = c["mac_address"];
  body["Tty"] = c.value("tty", false);
  body["OpenStdin"] = c.value("stdin_open", false);
  body["AttachStdout"] = true;
  body["AttachStderr"] = true;
  if (c.contains("stop_grace_period"))
    body["StopTimeout"] = c["stop_grace_period"].get<long long>() / 1'000'000'000LL;
  if (c.contains("healthcheck")) {
    const Json& h = c["healthcheck"];
    Json hc = Json::object();
    if (h.contains("test")) hc["Test"] = h["test"];
    if (h.contains("interval")) hc["Interval"] = h["interval"];
    if (h.contains("timeout")) hc["Timeout"] = h["timeout"];
    if (h.contains("start_period")) hc["StartPeriod"] = h["start_period"];
    if (h.contains("start_interval") && api_at_least(api_version, 44))
      hc["StartInterval"] = h["start_interval"];
    if (h.contains("retries")) hc["Retries"] = h["retries"];
    body["Healthcheck"] = hc;
  }

  Json host = Json::object();
  Json exposed = Json::object(), bindings = Json::object();
  for (const auto& e : c.value("expose", Json::array())) {
    std::string x = e;
    exposed[x.find('/') == std::string::npos ? x + "/tcp" : x] = Json::object();
  }
  for (const auto& port : c.value("ports", Json::array())) {
    std::string key =
        std::to_string(port["target"].get<long long>()) + "/" + port["protocol"].get<std::string>();
    exposed[key] = Json::object();
    Json b = {{"HostIp", port.value("host_ip", "")}, {"HostPort", port.value("published", "")}};
    bindings[key].push_back(b);
  }
  if (!exposed.empty()) body["ExposedPorts"] = exposed;
  if (!bindings.empty()) host["PortBindings"] = bindings;

  Json binds = Json::array(), mounts = Json::array();
  for (const auto& v : c.value("volumes", Json::array())) {
    std::string type = v["type"], target = v["target"];
    bool ro = v.value("read_only", false);
    if (type == "bind") {
      const Json& bo = v["bind"];
      if (bo.value("create_host_path", true)) {
        std::string mode = ro ? "ro" : "rw";
        if (bo.contains("selinux")) mode += "," + bo["selinux"].get<std::string>();
        if (bo.contains("propagation")) mode += "," + bo["propagation"].get<std::string>();
        binds.push_back(v["source"].get<std::string>() + ":" + target + ":" + mode);
      } else {
        Json m = {{"Type", "bind"}, {"Source", v["source"]}, {"Target", target}, {"ReadOnly", ro}};
        if (bo.contains("propagation")) m["BindOptions"] = {{"Propagation", bo["propagation"]}};
        mounts.push_back(m);
      }
    } else if (type == "volume") {
      Json m = {{"Type", "volume"}, {"Target", target}, {"ReadOnly", ro}};
      if (v.contains("source")) {
        const Resource* r = p.volume(v["source"].get<std::string>());
        m["Source"] = r ? r->name : v["source"].get<std::string>();
      } else if (auto it = anonymous.find(target); it != anonymous.end()) {
        m["Source"] = it->second;
      }
      if (v.contains("volume")) {
        Json vo = Json::object();
        if (v["volume"].value("nocopy", false)) vo["NoCopy"] = true;
        if (v["volume"].contains("subpath")) vo["Subpath"] = v["volume"]["subpath"];
        m["VolumeOptions"] = vo;
      }
      mounts.push_back(m);
    } else {
      Json m = {{"Type", "tmpfs"}, {"Target", target}};
      if (v.contains("tmpfs")) {
        Json to = Json::object();
        if (v["tmpfs"].contains("size")) to["SizeBytes"] = v["tmpfs"]["size"];
        if (v["tmpfs"].contains("mode")) to["Mode"] = v["tmpfs"]["mode"];
        m["TmpfsOptions"] = to;
      }
      mounts.push_back(m);
    }
  }
  for (const char* kind : {"secrets", "configs"}) {
    bool secret = std::string_view(kind) == "secrets";
    const Json& top = secret ? p.secrets : p.configs;
    for (const auto& r : c.value(kind, Json::array())) {
      std::string source = r["source"];
      std::string target = r.value("target", source);
      if (target.empty() || target[0] != '/') target = (secret ? "/run/secrets/" : "/") + target;
      mounts.push_back({{"Type", "bind"},
                        {"Source", top[source]["file"]},
                        {"Target", target},
                        {"ReadOnly", true}});
    }
  }
  if (!binds.empty()) host["Binds"] = binds;
  if (!mounts.empty()) host["Mounts"] = mounts;
  if (c.contains("tmpfs")) {
    Json t = Json::object();
    for (const auto& e : c["tmpfs"]) {
      std::string x = e;
      std::size_t colon = x.find(':');
      t[x.substr(0, colon)] = colon == std::string::npos ? "" : x.substr(colon + 1);
    }
    host["Tmpfs"] = t;
  }

  // Restart policy: restart:, or deploy.restart_policy.
  Json restart = {{"Name", "no"}, {"MaximumRetryCount", 0}};
  if (c.contains("restart")) {
    std::string r = c["restart"];
    std::size_t colon = r.find(':');
    restart["Name"] = r.substr(0, colon);
    if (colon != std::string::npos) restart["MaximumRetryCount"] = std::stoi(r.substr(colon + 1));
  }
  if (c.contains("deploy") && c["deploy"].contains("restart_policy")) {
    const Json& rp = c["deploy"]["restart_policy"];
    std::string cond = rp.value("condition", "any");
    restart["Name"] = cond == "none" ? "no" : cond == "any" ? "always" : "on-failure";
    if (rp.contains("max_attempts")) restart["MaximumRetryCount"] = rp["max_attempts"];
  }
  host["RestartPolicy"] = restart;

  std::vector<std::string> nets = s.network_keys();
  if (!s.network_mode.empty()) {
    host["NetworkMode"] = s.network_mode;
  } else if (!nets.empty()) {
    host["NetworkMode"] = p.network(nets[0])->name;
  } else {
    host["NetworkMode"] = "none";
  }
  if (c.contains("extra_hosts")) {
    Json eh = Json::array();
    for (const auto& [h, ip] : c["extra_hosts"].items())
      eh.push_back(h + ":" + ip.get<std::string>());
    host["ExtraHosts"] = eh;
  }
  if (c.contains("logging")) {
    host["LogConfig"] = {{"Type", c["logging"].value("driver", "")},
                         {"Config", c["logging"].value("options", Json::object())}};
  }
  for (const auto& [key, field] : std::initializer_list<std::pair<const char*, const char*>>{
           {"cap_add", "CapAdd"},
           {"cap_drop", "CapDrop"},
           {"dns", "Dns"},
           {"dns_search", "DnsSearch"},
           {"dns_opt", "DnsOptions"},
           {"group_add", "GroupAdd"},
           {"security_opt", "SecurityOpt"},
           {"privileged", "Privileged"},
           {"read_only", "ReadonlyRootfs"},
           {"init", "Init"},
           {"shm_size", "ShmSize"},
           {"sysctls", "Sysctls"},
           {"pids_limit", "PidsLimit"},
           {"oom_score_adj", "OomScoreAdj"},
           {"ipc", "IpcMode"},
           {"pid", "PidMode"},
           {"mem_reservation", "MemoryReservation"},
           {"memswap_limit", "MemorySwap"},
           {"cpu_shares", "CpuShares"},
           {"cpu_quota", "CpuQuota"},
           {"cpu_period", "CpuPeriod"},
           {"mem_limit", "Memory"}})
    if (c.contains(key)) host[field] = c[key];
  if (c.contains("cpus")) host["NanoCpus"] = static_cast<long long>(c["cpus"].get<double>() * 1e9);
  if (c.contains("deploy") && c["deploy"].contains("resources")) {
    const Json& res = c["deploy"]["resources"];
    if (res.contains("limits")) {
      const Json& lim = res["limits"];
      if (lim.contains("memory")) host["Memory"] = lim["memory"];
      if (lim.contains("cpus"))
        host["NanoCpus"] = static_cast<long long>(lim["cpus"].get<double>() * 1e9);
      if (lim.contains("pids")) host["PidsLimit"] = lim["pids"];
    }
    if (res.contains("reservations") && res["reservations"].contains("memory"))
      host["MemoryReservation"] = res["reservations"]["memory"];
  }
  if (c.contains("ulimits")) {
    Json u = Json::array();
    for (const auto& [name, lim] : c["ulimits"].items())
      u.push_back({{"Name", name}, {"Soft", lim["soft"]}, {"Hard", lim["hard"]}});
    host["Ulimits"] = u;
  }
  if (c.contains("devices")) {
    Json d = Json::array();
    for (const auto& e : c["devices"]) {
      std::string x = e;
      std::vector<std::string> parts;
      std::size_t start = 0;
      while (true) {
        std::size_t colon = x.find(':', start);
        parts.push_back(
            x.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
        if (colon == std::string::npos) break;
        start = colon + 1;
      }
      d.push_back({{"PathOnHost", parts[0]},
                   {"PathInContainer", parts.size() > 1 ? parts[1] : parts[0]},
                   {"CgroupPermissions", parts.size() > 2 ? parts[2] : "rwm"}});
    }
    host["Devices"] = d;
  }
  body["HostConfig"] = host;

  // The primary network's endpoint; the others are connected before the start.
  if (s.network_mode.empty() && !nets.empty())
    body["NetworkingConfig"] = {{"EndpointsConfig", Json::object()}};
  auto endpoint = [&](const std::string& key) {
    Json ep = Json::object();
    Json aliases = Json::array({s.name, container_name(p, s, number)});
    const Json& cfg = c["networks"][key];
    if (cfg.is_object()) {
      for (const auto& a : string_array(cfg.value("aliases", Json::array())))
        aliases.push_back(a);
      Json ipam = Json::object();
      if (cfg.contains("ipv4_address")) ipam["IPv4Address"] = cfg["ipv4_address"];
      if (cfg.contains("ipv6_address")) ipam["IPv6Address"] = cfg["ipv6_address"];
      if (cfg.contains("link_local_ips")) ipam["LinkLocalIPs"] = cfg["link_local_ips"];
      if (!ipam.empty()) ep["IPAMConfig"] = ipam;
    }
    ep["Aliases"] = aliases;
    return ep;
  };
  if (s.network_mode.empty() && !nets.empty())
    body["NetworkingConfig"]["EndpointsConfig"][p.network(nets[0])->name] = endpoint(nets[0]);
  return body;
}

}  // namespace varan::compose
