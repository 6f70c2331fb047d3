// The container requests: one container (log, start, stop, restart, remove), all of them
// (komodo.skip honoured, so the agent never stops itself), the docker lists, the log search
// and PruneSystem, each done through the engine's API.
#include <filesystem>

#include <re2/re2.h>
#include "common/io.h"
#include "common/path.h"
#include "komodo/log.h"
#include "komodo/serror.h"
#include "komodo/stack.h"
#include "komodo/time.h"
#include "periphery/handler.h"

#include <algorithm>
#include <memory>

#include "engine/compose/labels.h"

namespace varan::periphery {

namespace {

namespace labels = compose::labels;
using komodo::now_ms;

bool skipped(const engine::ContainerSummary& c) {
  auto it = c.labels.find("komodo.skip");
  return it != c.labels.end() && it->second != "false";
}

// Start/Stop/Restart/Pause/UnpauseAllContainers: one Log per container, komodo.skip honoured
// so the agent never stops itself.
Json all_containers(engine::Client& client, const std::string& verb) {
  Json logs = Json::array();
  for (const auto& c : client.list_containers(true)) {
    if (skipped(c)) continue;
    bool running = c.state == "running";
    if ((verb == "stop" || verb == "pause" || verb == "restart") && !running) continue;
    if (verb == "start" && running) continue;
    if (verb == "unpause" && c.state != "paused") continue;
    std::int64_t start = now_ms();
    std::string err;
    try {
      if (verb == "start") client.start_container(c.id);
      if (verb == "stop") client.stop_container(c.id);
      if (verb == "restart") client.restart_container(c.id);
      if (verb == "pause") client.pause_container(c.id);
      if (verb == "unpause") client.unpause_container(c.id);
    } catch (const std::exception& e) {
      err = e.what();
    }
    std::string cmd = "docker " + verb + " " + c.name();
    logs.push_back(log_json(cmd, cmd, err.empty() ? c.name() + "\n" : "", err, err.empty(), start));
  }
  return logs;
}

Json docker_lists(engine::Client& client) {
  auto attempt = [](auto f) -> Json {
    try {
      return {{"Ok", f()}};
    } catch (const std::exception& e) {
      return {{"Err", Json::parse(komodo::serror(e.what()))}};
    }
  };
  Json out;
  std::vector<engine::ContainerSummary> containers;
  out["containers"] = attempt([&] {
    containers = client.list_containers(true);
    Json list = Json::array();
    for (const auto& c : containers) {
      Json item = {{"name", c.name()},       {"id", c.id},           {"image", c.image},
                   {"image_id", c.image_id}, {"created", c.created}, {"state", c.state},
                   {"status", c.status}};
      if (c.raw.contains("HostConfig") && c.raw["HostConfig"].contains("NetworkMode"))
        item["network_mode"] = c.raw["HostConfig"]["NetworkMode"];
      if (!c.networks.empty()) item["networks"] = c.networks;
      Json ports = Json::array();
      for (const auto& p : c.ports) {
        Json port = {{"PrivatePort", p.private_port}, {"Type", p.type}};
        if (!p.ip.empty()) port["IP"] = p.ip;
        if (p.public_port) port["PublicPort"] = p.public_port;
        ports.push_back(port);
      }
      if (!ports.empty()) item["ports"] = ports;
      Json volumes = Json::array();
      for (const auto& m : c.mounts)
        if (!m.name.empty()) volumes.push_back(m.name);
      if (!volumes.empty()) item["volumes"] = volumes;
      list.push_back(item);
    }
    return list;
  });
  out["networks"] = attempt([&] {
    Json list = Json::array();
    for (const auto& n : client.list_networks()) {
      bool in_use = false;
      for (const auto& c : containers)
        for (const auto& cn : c.networks)
          in_use = in_use || cn == n.name;
      list.push_back({{"name", n.name},
                      {"id", n.id},
                      {"created", n.raw.value("Created", "")},
                      {"scope", n.scope},
                      {"driver", n.driver},
                      {"enable_ipv6", n.raw.value("EnableIPv6", false)},
                      {"ipam_driver", nullptr},
                      {"ipam_subnet", nullptr},
                      {"ipam_gateway", nullptr},
                      {"internal", n.internal},
                      {"attachable", n.attachable},
                      {"ingress", n.raw.value("Ingress", false)},
                      {"in_use", in_use}});
    }
    return list;
  });
  out["images"] = attempt([&] {
    Json list = Json::array();
    for (const auto& i : client.list_images()) {
      bool in_use = false;
      for (const auto& c : containers)
        in_use = in_use || c.image_id == i.id;
      std::string name = i.repo_tags.empty() ? i.id : i.repo_tags[0];
      list.push_back({{"name", name},
                      {"id", i.id},
                      {"parent_id", i.raw.value("ParentId", "")},
                      {"created", i.created},
                      {"size", i.size},
                      {"in_use", in_use}});
    }
    return list;
  });
  out["volumes"] = attempt([&] {
    Json list = Json::array();
    for (const auto& v : client.list_volumes()) {
      bool in_use = false;
      for (const auto& c : containers)
        for (const auto& m : c.mounts)
          in_use = in_use || m.name == v.name;
      list.push_back({{"name", v.name},
                      {"driver", v.driver},
                      {"mountpoint", v.mountpoint},
                      {"created", v.raw.value("CreatedAt", "")},
                      {"scope", v.scope},
                      {"in_use", in_use}});
    }
    return list;
  });
  out["projects"] = attempt([&] {
    std::map<std::string, std::pair<std::map<std::string, int>, std::string>> projects;
    for (const auto& c : containers) {
      auto p = c.labels.find(labels::kProject);
      if (p == c.labels.end()) continue;
      auto& entry = projects[p->second];
      ++entry.first[c.state];
      if (auto f = c.labels.find(labels::kConfigFiles); f != c.labels.end())
        entry.second = f->second;
    }
    Json list = Json::array();
    for (const auto& [name, e] : projects) {
      std::string status;
      for (const auto& [state, n] : e.first)
        status += (status.empty() ? "" : ", ") + state + "(" + std::to_string(n) + ")";
      Json files = Json::array();
      std::string f = e.second;
      for (std::size_t start = 0; start <= f.size() && !f.empty();) {
        auto comma = f.find(',', start);
        files.push_back(
            f.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      list.push_back({{"name", name}, {"status", status}, {"compose_files", files}});
    }
    return list;
  });
  return out;
}

// `docker logs NAME --tail 5000 2>&1 | grep [-v] -E 't1|t2'` (Or) or with every term (And),
// done in-process: the terms are regular expressions as grep -E reads them (RE2, POSIX
// syntax); a line is selected when any (Or) or every (And) term matches it, or, with
// `invert`, when that is not so. As with grep, success means some line was selected.
Json container_log_search(engine::Client& client, const komodo::Fields& p) {
  std::string name = p.required_str("name");
  std::vector<std::string> terms = p.get<std::vector<std::string>>("terms", {});
  std::string combinator = p.get<std::string>("combinator", "Or");
  bool invert = p.get<bool>("invert", false), timestamps = p.get<bool>("timestamps", false);
  if (combinator != "Or" && combinator != "And")
    throw Rejection{422,
                    "Failed to deserialize the JSON body into the target type: "
                    "GetContainerLogSearch: combinator: unknown variant `" +
                        combinator + "`, expected `Or` or `And`"};
  std::int64_t start = now_ms();
  std::string joined;
  for (const auto& t : terms)
    joined += (joined.empty() ? "" : "|") + t;
  std::string command = "docker logs " + name + " --tail 5000" +
                        (timestamps ? " --timestamps" : "") + " 2>&1 | grep" +
                        (invert ? " -v" : "") +
                        (combinator == "Or" ? " -E '" + joined + "'" : " -P '^");
  if (combinator == "And") {
    for (const auto& t : terms)
      command += "(?=.*" + t + ")";
    command += "'";
  }
  RE2::Options ro;
  ro.set_posix_syntax(true);
  ro.set_longest_match(true);
  ro.set_log_errors(false);
  std::vector<std::unique_ptr<RE2>> res;
  for (const auto& t : terms) {
    res.push_back(std::make_unique<RE2>(t, ro));
    if (!res.back()->ok())
      return log_json("Get Container Log Search", command, "",
                      "grep: the search term \"" + t +
                          "\" is not a valid regular expression: " + res.back()->error(),
                      false, start);
  }
  engine::LogOptions lo;
  lo.tail = "5000";
  lo.timestamps = timestamps;
  std::string all;
  try {
    client.logs(name, lo, [&](engine::StreamType, std::string_view data) { all.append(data); });
  } catch (const std::exception& e) {
    return log_json("Get Container Log Search", command, "", e.what(), false, start);
  }
  std::string out;
  std::size_t pos = 0;
  while (pos < all.size()) {
    std::size_t nl = all.find('\n', pos);
    std::size_t end = nl == std::string::npos ? all.size() : nl;
    std::string_view line(all.data() + pos, end - pos);
    bool any = false, every = !res.empty();
    for (const auto& re : res) {
      bool m = RE2::PartialMatch(line, *re);
      any = any || m;
      every = every && m;
    }
    bool hit = combinator == "Or" ? any : every;
    if (hit != invert) out.append(line).append("\n");
    pos = end + 1;
  }
  bool selected = !out.empty();
  return log_json("Get Container Log Search", command, out, "", selected, start);
}

// `docker system prune -a -f --volumes` with the engine's own prune calls: stopped
// containers, unused networks, unused volumes, unused images (not only dangling ones), and
// the build cache; the Log reads like the docker CLI's output.
Json prune_system(engine::Client& client) {
  std::int64_t start = now_ms();
  std::string out, err;
  double reclaimed = 0;
  auto section = [&](const std::string& kind, const engine::Filters& f, const char* title,
                     const char* list, const char* id_key) {
    try {
      Json r = client.prune(kind, f, kind == "build");
      if (r.contains("SpaceReclaimed") && r["SpaceReclaimed"].is_number())
        reclaimed += r["SpaceReclaimed"].get<double>();
      const Json& items = r.contains(list) ? r[list] : Json();
      if (!items.is_array() || items.empty()) return;
      out += std::string(title) + ":\n";
      for (const auto& it : items) {
        if (it.is_string()) {
          out += it.get<std::string>() + "\n";
        } else if (it.is_object()) {
          for (const auto& [k, v] : it.items())
            if (v.is_string() && (id_key == nullptr || k == id_key))
              out += k + ": " + v.get<std::string>() + "\n";
        }
      }
      out += "\n";
    } catch (const engine::NotFound&) {
      // An engine without BuildKit has no build cache (and no /build/prune): as the
      // docker CLI, there is nothing to prune then.
      if (kind != "build") err += kind + " prune: the engine has no prune endpoint\n";
    } catch (const std::exception& e) {
      err += kind + " prune: " + e.what() + "\n";
    }
  };
  section("containers", {}, "Deleted Containers", "ContainersDeleted", nullptr);
  section("networks", {}, "Deleted Networks", "NetworksDeleted", nullptr);
  section("volumes", {}, "Deleted Volumes", "VolumesDeleted", nullptr);
  section("images", {{"dangling", {"false"}}}, "Deleted Images", "ImagesDeleted", nullptr);
  section("build", {}, "Deleted build cache objects", "CachesDeleted", nullptr);
  std::ostringstream total;
  total.precision(3);
  if (reclaimed >= 1e9)
    total << reclaimed / 1e9 << "GB";
  else if (reclaimed >= 1e6)
    total << reclaimed / 1e6 << "MB";
  else if (reclaimed >= 1e3)
    total << reclaimed / 1e3 << "kB";
  else
    total << reclaimed << "B";
  out += "Total reclaimed space: " + total.str() + "\n";
  return log_json("Prune System", "docker system prune -a -f --volumes", out, err, err.empty(),
                  start);
}

Json container_log(Agent& a, const Request& r) {
  std::string name = r.p.required_str("name");
  auto tail = r.p.get<std::uint64_t>("tail", 50);
  bool timestamps = r.p.get<bool>("timestamps", false);
  engine::LogOptions lo;
  lo.tail = std::to_string(tail);
  lo.timestamps = timestamps;
  std::string o, e;
  a.client.logs(name, lo, [&](engine::StreamType k, std::string_view data) {
    (k == engine::StreamType::kStderr ? e : o).append(data);
  });
  return log_json("get container log",
                  "docker logs " + name + " --tail " + std::to_string(tail) +
                      (timestamps ? " --timestamps" : ""),
                  o, e, true, r.start);
}

// StartContainer, RestartContainer, StopContainer, RemoveContainer.
Json one_container(Agent& a, const Request& r) {
  const std::string& type = r.type;
  std::string name = r.p.required_str("name");
  std::string verb = type == "StartContainer"     ? "start"
                     : type == "RestartContainer" ? "restart"
                     : type == "StopContainer"    ? "stop"
                                                  : "rm";
  std::string stage = "docker " + verb;
  std::string err;
  bool ok = true;
  try {
    if (type == "StartContainer") a.client.start_container(name);
    if (type == "RestartContainer") a.client.restart_container(name);
    if (type == "StopContainer" || type == "RemoveContainer") {
      std::optional<int> time;
      if (int t = r.p.get<int>("time", -1); t >= 0) time = t;
      std::string signal = r.p.get<std::string>("signal", "");
      a.client.stop_container(name, time, signal);
    }
    if (type == "RemoveContainer") a.client.remove_container(name);
  } catch (const std::exception& e) {
    ok = false;
    err = e.what();
  }
  return log_json(stage, "docker " + verb + " " + name, ok ? name + "\n" : "", err, ok, r.start);
}

// Start/Stop/Restart/Pause/UnpauseAllContainers.
Json every_container(Agent& a, const Request& r) {
  std::string verb = r.type.substr(0, r.type.find("AllContainers"));
  for (auto& ch : verb)
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return all_containers(a.client, verb);
}

}  // namespace

std::span<const Route> container_routes() {
  static const Route routes[] = {
      {"GetContainerLog", container_log},
      {"StartContainer", one_container},
      {"RestartContainer", one_container},
      {"StopContainer", one_container},
      {"RemoveContainer", one_container},
      {"StartAllContainers", every_container},
      {"StopAllContainers", every_container},
      {"RestartAllContainers", every_container},
      {"PauseAllContainers", every_container},
      {"UnpauseAllContainers", every_container},
      {"GetDockerLists", [](Agent& a, const Request&) { return docker_lists(a.client); }},
      {"GetContainerLogSearch",
       [](Agent& a, const Request& r) { return container_log_search(a.client, r.p); }},
      {"PruneSystem", [](Agent& a, const Request&) { return prune_system(a.client); }},
  };
  return routes;
}

}  // namespace varan::periphery
