#include "periphery/api.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include <re2/re2.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "common/io.h"
#include "common/nesting.h"
#include "common/path.h"
#include "engine/client.h"
#include "engine/compose/labels.h"
#include "hooks/command.h"
#include "hooks/deploy.h"
#include "hooks/git.h"
#include "hooks/interpolate.h"

namespace varan::periphery {

namespace {

using Json = nlohmann::json;

// A request the agent can't read: the status and the message axum's JSON extractor gives.
struct Rejection {
  int status;
  std::string message;
};

using hooks::now_ms;

constexpr std::size_t kMaxBody = std::size_t(32) << 20;  // the server's own body limit
constexpr std::size_t kMaxFileRead = std::size_t(16) << 20;

// Paths from a request stay inside the folder they belong to: a refused one is a 400 that
// names the field and the path.
template <typename F>
auto confined(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const PathError& e) {
    throw Rejection{400, e.what()};
  }
}

Json log_of(const hooks::Log& l) {
  return {{"stage", l.stage},        {"command", l.command}, {"stdout", l.stdout_text},
          {"stderr", l.stderr_text}, {"success", l.success}, {"start_ts", l.start_ts},
          {"end_ts", l.end_ts}};
}

// A Log of a stage that started at `start` and ends now.
Json log_json(const std::string& stage, const std::string& command, const std::string& out,
              const std::string& err, bool success, std::int64_t start) {
  return log_of({stage, command, out, err, success, start, now_ms()});
}

// Typed access to params with serde's rules: a missing required field is a 422.
class Params {
 public:
  Params(const Json& p, std::string type) : p_(p), type_(std::move(type)) {}
  std::string str(const char* key) const {
    if (!p_.contains(key)) fail(std::string("missing field `") + key + "`");
    if (!p_[key].is_string())
      fail(std::string("invalid type for `") + key + "`, expected a string");
    return p_[key].get<std::string>();
  }
  template <typename T>
  T opt(const char* key, T def) const {
    if (!p_.contains(key) || p_[key].is_null()) return def;
    try {
      return p_[key].get<T>();
    } catch (const Json::exception&) {
      fail(std::string("invalid type for `") + key + "`");
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Rejection{
        422, "Failed to deserialize the JSON body into the target type: " + type_ + ": " + what};
  }
  const Json& p_;
  std::string type_;
};

namespace fs = std::filesystem;
namespace labels = compose::labels;

bool skipped(const engine::ContainerSummary& c) {
  auto it = c.labels.find("komodo.skip");
  return it != c.labels.end() && it->second != "false";
}

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::string w;
  for (char c : s + " ") {
    if (c == ' ' || c == '\t' || c == '\n') {
      if (!w.empty()) out.push_back(w);
      w.clear();
    } else {
      w += c;
    }
  }
  return out;
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

// ComposeExecution: the command strings Core 1.19 sends, carried out on the project's
// containers found by label.
Json compose_execution(engine::Client& client, const std::string& project,
                       const std::string& command) {
  std::int64_t start = now_ms();
  auto w = words(command);
  static const std::set<std::string, std::less<>> verbs = {"start", "stop",    "restart",
                                                           "pause", "unpause", "down"};
  if (w.empty() || !verbs.contains(w[0]))
    throw Rejection{400, "ComposeExecution: unsupported command \"" + command +
                             "\" (start, stop, restart, pause, unpause, down)"};
  std::optional<int> timeout;
  bool remove_orphans = false;
  std::set<std::string> services;
  for (std::size_t i = 1; i < w.size(); ++i) {
    if ((w[i] == "--timeout" || w[i] == "-t") && i + 1 < w.size())
      timeout = std::atoi(w[++i].c_str());
    else if (w[i] == "--remove-orphans")
      remove_orphans = true;
    else if (w[i].starts_with("-"))
      throw Rejection{400,
                      "ComposeExecution: unsupported flag \"" + w[i] + "\" in \"" + command + "\""};
    else
      services.insert(w[i]);
  }
  (void)remove_orphans;  // containers are found by label: orphans are the project's too
  std::string out, err;
  auto containers =
      client.list_containers(true, {{"label", {std::string(labels::kProject) + "=" + project}}});
  for (const auto& c : containers) {
    auto svc = c.labels.find(labels::kService);
    if (!services.empty() && (svc == c.labels.end() || !services.contains(svc->second))) continue;
    try {
      const std::string& v = w[0];
      if (v == "start") client.start_container(c.id);
      if (v == "stop" || (v == "down" && c.state == "running"))
        client.stop_container(c.id, timeout);
      if (v == "restart") client.restart_container(c.id, timeout);
      if (v == "pause") client.pause_container(c.id);
      if (v == "unpause") client.unpause_container(c.id);
      if (v == "down") client.remove_container(c.id, true);
      out += " Container " + c.name() + "  " +
             (v == "down"    ? "Removed"
              : v == "stop"  ? "Stopped"
              : v == "start" ? "Started"
                             : v + "d") +
             "\n";
    } catch (const std::exception& e) {
      err += c.name() + ": " + e.what() + "\n";
    }
  }
  if (w[0] == "down" && services.empty()) {
    for (const auto& n :
         client.list_networks({{"label", {std::string(labels::kProject) + "=" + project}}})) {
      try {
        client.remove_network(n.id);
        out += " Network " + n.name + "  Removed\n";
      } catch (const std::exception& e) {
        err += n.name + ": " + e.what() + "\n";
      }
    }
  }
  return log_json("Compose Command", "docker compose -p " + project + " " + command, out, err,
                  err.empty(), start);
}

Json docker_lists(engine::Client& client) {
  auto attempt = [](auto f) -> Json {
    try {
      return {{"Ok", f()}};
    } catch (const std::exception& e) {
      return {{"Err", Json::parse(serror(e.what()))}};
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

// ComposeUp: Core's whole Stack resource, deployed through hooks/ (its sources: an inline
// repo, files on the host, or UI-defined file contents written for it).
// The token for a repo: the request's, else the agent's own git_providers account.
SecretString provider_token(const Config& cfg, const Json& params, const std::string& provider,
                            const std::string& account) {
  if (params.contains("git_token") && params["git_token"].is_string())
    return SecretString(params["git_token"].get<std::string>());
  if (account.empty()) return SecretString();
  for (const auto& prov : cfg.git_providers)
    if (prov.is_object() && prov.value("domain", "github.com") == provider)
      for (const auto& acc : prov.value("accounts", Json::array()))
        if (acc.is_object() && acc.value("username", "") == account)
          return SecretString(acc.value("token", ""));
  return SecretString();
}

Json compose_up(const Config& cfg, engine::Client& client, const Json& params) {
  if (!params.contains("stack") || !params["stack"].is_object())
    throw Rejection{422,
                    "Failed to deserialize the JSON body into the target type: ComposeUp: "
                    "missing field `stack`"};
  const Json& st = params["stack"];
  if (!st.contains("name") || !st["name"].is_string())
    throw Rejection{422,
                    "Failed to deserialize the JSON body into the target type: ComposeUp: "
                    "stack: missing field `name`"};
  Json c = st.value("config", Json::object());
  if (!c.is_object()) c = Json::object();
  auto str = [&](const char* k, const std::string& def = "") {
    return c.contains(k) && c[k].is_string() ? c[k].get<std::string>() : def;
  };
  auto boolean = [&](const char* k, bool def) {
    return c.contains(k) && c[k].is_boolean() ? c[k].get<bool>() : def;
  };
  auto list = [&](const char* k) {
    std::vector<std::string> out;
    if (c.contains(k) && c[k].is_array())
      for (const auto& e : c[k])
        if (e.is_string()) out.push_back(e.get<std::string>());
    return out;
  };
  auto hook = [&](const char* k) {
    hooks::Hook h;
    if (c.contains(k) && c[k].is_object()) {
      h.path = c[k].value("path", "");
      h.command = c[k].value("command", "");
    }
    return h;
  };
  hooks::Stack s;
  s.name = st["name"].get<std::string>();
  const std::string folder = hooks::stack_folder_name(s.name);
  confined([&] { check_path_component(folder, "ComposeUp: stack \"" + s.name + "\": name"); });
  s.project_name = str("project_name");
  s.run_directory = str("run_directory");
  s.file_paths = list("file_paths");
  if (c.contains("environment") && c["environment"].is_array()) {
    for (const auto& e : c["environment"])
      if (e.is_object())
        s.environment += e.value("variable", "") + "=" + e.value("value", "") + "\n";
  } else {
    s.environment = str("environment");
  }
  s.env_file_path = str("env_file_path", ".env");
  if (s.env_file_path.empty()) s.env_file_path = ".env";
  s.additional_env_files = list("additional_env_files");
  s.pre_deploy = hook("pre_deploy");
  s.post_deploy = hook("post_deploy");
  s.repo = str("repo");
  s.git_provider = str("git_provider", "github.com");
  s.git_https = boolean("git_https", true);
  s.git_account = str("git_account");
  s.branch = str("branch", "main");
  s.commit = str("commit");
  s.auto_pull = boolean("auto_pull", true);
  s.destroy_before_deploy = boolean("destroy_before_deploy", false);
  s.extra_args = list("extra_args");
  s.write_plaintext = cfg.write_plaintext;
  if (params.contains("services") && params["services"].is_array())
    for (const auto& svc : params["services"])
      if (svc.is_string()) s.extra_args.push_back(svc.get<std::string>());
  s.clone_path = str("clone_path");
  s.reclone = boolean("reclone", false);
  std::vector<std::string> trusted = cfg.safe_directories;
  // A linked Repo resource (`params.repo`) takes the place of the stack's own repo: it is
  // checked out at ${repo_dir}/{repo.name}/{repo.config.path}, as Komodo's periphery does.
  if (params.contains("repo") && params["repo"].is_object()) {
    const Json& linked = params["repo"];
    Json rc = linked.value("config", Json::object());
    if (!rc.is_object()) rc = Json::object();
    auto rstr = [&](const char* k, const std::string& def = "") {
      return rc.contains(k) && rc[k].is_string() ? rc[k].get<std::string>() : def;
    };
    std::string linked_name = linked.value("name", "");
    if (linked_name.empty() || rstr("repo").empty())
      throw Rejection{400, "ComposeUp: stack \"" + s.name +
                               "\": the linked repo has no name or no repo to clone"};
    s.repo = rstr("repo");
    s.git_provider = rstr("git_provider", "github.com");
    s.git_https = rc.contains("git_https") && rc["git_https"].is_boolean()
                      ? rc["git_https"].get<bool>()
                      : true;
    s.git_account = rstr("git_account");
    s.branch = rstr("branch", "main");
    s.commit = rstr("commit");
    std::string sub = rstr("path");
    std::string linked_folder = hooks::stack_folder_name(linked_name);
    // Checked out at repo_dir/<repo name>/<path>: the path stays inside the repo's folder.
    s.clone_path = confined([&] {
      std::string field = "ComposeUp: linked repo \"" + linked_name + "\"";
      check_path_component(linked_folder, field + ": name");
      std::error_code ec;
      fs::create_directories(cfg.repo_dir + "/" + linked_folder, ec);
      return resolve_beneath(cfg.repo_dir + "/" + linked_folder, sub, field + ": path");
    });
    s.reclone = false;
    trusted.push_back(cfg.repo_dir + "/*");  // the agent's own repo folder
  }
  s.git_token = provider_token(cfg, params, s.git_provider, s.git_account);
  std::string stack_dir = cfg.stack_dir + "/" + hooks::stack_folder_name(s.name);
  // The agent's own secrets are interpolated ([[NAME]]) into the file contents, the
  // environment, the hook commands and extra_args, unless skip_secret_interp is set; every
  // value is masked in the logs either way.
  std::map<std::string, hooks::Variable> vars;
  if (!boolean("skip_secret_interp", false))
    for (const auto& [k, v] : cfg.secrets)
      vars[k] = {v, true};
  if (s.repo.empty() && !boolean("files_on_host", false)) {
    // UI-defined: the contents go to the first file path, as Komodo writes them, inside the
    // stack folder (an absolute run_directory is for files on the host only).
    std::string file = s.file_paths.empty() ? "compose.yaml" : s.file_paths[0];
    std::string path = confined([&] {
      std::string field = "ComposeUp: stack \"" + s.name + "\": ";
      if (fs::path(s.run_directory).is_absolute())
        throw PathError(field + "run_directory: " + s.run_directory +
                        " is absolute; a stack with file_contents lives in its folder " +
                        stack_dir + " (use a relative run_directory, or files_on_host)");
      std::error_code ec;
      fs::create_directories(stack_dir, ec);
      std::string run = resolve_beneath(stack_dir, s.run_directory, field + "run_directory");
      return resolve_beneath(stack_dir, run + "/" + file, field + "file_paths");
    });
    hooks::Redactor used;
    std::string contents = hooks::interpolate(str("file_contents"), vars, used);
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    write_file_atomic(
        path, {reinterpret_cast<const std::uint8_t*>(contents.data()), contents.size()}, 0600);
    wipe(contents.data(), contents.size());
  }
  hooks::DeployOptions o;
  o.root = cfg.stack_dir;
  o.clone_roots = {cfg.repo_dir};
  o.safe_directories = trusted;
  for (const auto& [k, v] : cfg.secrets)
    o.redact.emplace_back(v, k);
  if (params.contains("replacers") && params["replacers"].is_array())
    for (const auto& r : params["replacers"])
      if (r.is_array() && r.size() == 2 && r[0].is_string() && r[1].is_string()) {
        std::string name = r[1].get<std::string>();
        if (name.starts_with("[[") && name.ends_with("]]")) name = name.substr(2, name.size() - 4);
        o.redact.emplace_back(r[0].get<std::string>(), name);
      }
  // registry_provider + registry_account: the images on that registry are pulled with the
  // account's token (from the request, else the agent's docker_registries), as after
  // Komodo's `docker login`.
  std::string reg_domain = str("registry_provider"), reg_account = str("registry_account");
  if (!reg_domain.empty() && !reg_account.empty()) {
    SecretString tok;
    if (params.contains("registry_token") && params["registry_token"].is_string())
      tok = SecretString(params["registry_token"].get<std::string>());
    for (const auto& reg : cfg.docker_registries)
      if (tok.str().empty() && reg.is_object() && reg.value("domain", "") == reg_domain)
        for (const auto& acc : reg.value("accounts", Json::array()))
          if (acc.is_object() && acc.value("username", "") == reg_account)
            tok = SecretString(acc.value("token", ""));
    if (tok.str().empty())
      return {{"missing_files", Json::array()},
              {"logs", Json::array({log_json(
                           "Docker Login", "docker login " + reg_domain + " -u " + reg_account, "",
                           "stack \"" + s.name + "\": no token for account \"" + reg_account +
                               "\" on registry " + reg_domain +
                               ": add it to docker_registries in the periphery config, or to "
                               "Core's registry accounts",
                           false, now_ms())})},
              {"deployed", false},
              {"services", Json::array()},
              {"file_contents", Json::array()},
              {"remote_errors", Json::array()},
              {"compose_config", nullptr},
              {"commit_hash", nullptr},
              {"commit_message", nullptr}};
    o.registry = hooks::DeployOptions::RegistryLogin{reg_domain, reg_account, std::move(tok)};
  }
  hooks::DeployResult r = hooks::deploy(s, vars, client, o);
  Json logs = Json::array();
  for (const auto& l : r.logs)
    logs.push_back(log_of(l));
  if (!r.success && !r.error.empty() && (r.logs.empty() || r.logs.back().success))
    logs.push_back(log_json("Compose Up", "", "", r.error, false, now_ms()));
  Json services = Json::array();
  for (const auto& svc : r.services)
    services.push_back(
        {{"service_name", svc.service}, {"container_name", svc.container}, {"image", svc.image}});
  Json missing = Json::array(), contents = Json::array();
  std::vector<std::string> files = s.file_paths;
  if (files.empty()) files.push_back("compose.yaml");
  for (const auto& f : files) {
    if (r.run_directory.empty()) break;  // refused before the run directory was found
    // Read back inside the checkout only (the deploy refused files that leave it).
    SecureBytes b;
    try {
      b = read_file_beneath(r.base_directory, r.run_directory + "/" + f, "file_paths",
                            kMaxFileRead);
    } catch (const std::exception&) {
      missing.push_back(f);
      continue;
    }
    contents.push_back({{"path", f},
                        {"contents", std::string(b.begin(), b.end())},
                        {"services", Json::array()},
                        {"requires", "None"}});
  }
  Json hash = nullptr, message = nullptr;
  if (!r.commit_after.hash.empty()) {
    hash = r.commit_after.hash.substr(0, 7);
    message = r.commit_after.message;
  }
  return {{"missing_files", missing},
          {"logs", logs},
          {"deployed", r.success},
          {"services", services},
          {"file_contents", contents},
          {"remote_errors", Json::array()},
          {"compose_config", r.compose_config},
          {"commit_hash", hash},
          {"commit_message", message}};
}

std::string read_small(const std::string& path) {
  try {
    SecureBytes b = read_file(path, 1 << 20);
    return std::string(b.begin(), b.end());
  } catch (const std::exception&) {
    return "";
  }
}

std::string os_release(const std::string& key) {
  std::istringstream in(read_small("/etc/os-release"));
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(key + "=")) {
      std::string v = line.substr(key.size() + 1);
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
  return "";
}

Json system_information(const Config& cfg) {
  utsname u{};
  ::uname(&u);
  std::string cpu;
  std::istringstream in(read_small("/proc/cpuinfo"));
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("model name")) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  return {{"name", os_release("NAME")},
          {"os", os_release("PRETTY_NAME")},
          {"kernel", u.release},
          {"core_count", std::thread::hardware_concurrency()},
          {"host_name", u.nodename},
          {"cpu_brand", cpu},
          {"terminals_disabled", cfg.disable_terminals},
          {"container_exec_disabled", cfg.disable_container_exec}};
}

// SystemStats from /proc and statvfs; CPU use is measured since the previous reading.
Json system_stats(const Config& cfg, std::uint64_t (&last)[2]) {
  constexpr double kGb = 1073741824.0;
  std::istringstream stat(read_small("/proc/stat"));
  std::string cpu;
  std::uint64_t v, total = 0, idle = 0;
  stat >> cpu;
  for (int i = 0; i < 8 && stat >> v; ++i) {
    total += v;
    if (i == 3 || i == 4) idle += v;
  }
  double cpu_perc = 0;
  if (last[0] && total > last[0])
    cpu_perc = 100.0 * (1.0 - double(idle - last[1]) / double(total - last[0]));
  last[0] = total;
  last[1] = idle;
  double load[3] = {0, 0, 0};
  std::istringstream la(read_small("/proc/loadavg"));
  la >> load[0] >> load[1] >> load[2];
  std::map<std::string, double> mem;
  std::istringstream mi(read_small("/proc/meminfo"));
  for (std::string k; mi >> k >> v;) {
    mem[k] = double(v) * 1024;
    mi.ignore(64, '\n');
  }
  Json disks = Json::array();
  std::istringstream mounts(read_small("/proc/mounts"));
  std::set<std::string> seen;
  for (std::string dev, mount, fs_type, rest; mounts >> dev >> mount >> fs_type;) {
    std::getline(mounts, rest);
    auto listed = [&](const std::vector<std::string>& l) {
      return std::find(l.begin(), l.end(), mount) != l.end();
    };
    bool real = dev.starts_with("/dev/") && fs_type != "overlay" && fs_type != "squashfs";
    if (!cfg.include_disk_mounts.empty() ? !listed(cfg.include_disk_mounts) : !real) continue;
    if (listed(cfg.exclude_disk_mounts) || !seen.insert(dev).second) continue;
    struct statvfs sv {};
    if (::statvfs(mount.c_str(), &sv) != 0) continue;
    double size = double(sv.f_blocks) * sv.f_frsize, free = double(sv.f_bfree) * sv.f_frsize;
    disks.push_back({{"mount", mount},
                     {"file_system", fs_type},
                     {"used_gb", (size - free) / kGb},
                     {"total_gb", size / kGb}});
  }
  double rx = 0, tx = 0;
  std::istringstream net(read_small("/proc/net/dev"));
  std::string line;
  std::getline(net, line);
  std::getline(net, line);
  while (std::getline(net, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string ifname = line.substr(0, colon);
    ifname.erase(0, ifname.find_first_not_of(' '));
    std::istringstream f(line.substr(colon + 1));
    double n[9] = {};
    for (double& x : n)
      f >> x;
    if (ifname == "lo") continue;
    rx += n[0];
    tx += n[8];
  }
  return {{"cpu_perc", cpu_perc},
          {"load_average", {{"one", load[0]}, {"five", load[1]}, {"fifteen", load[2]}}},
          {"mem_free_gb", mem["MemAvailable:"] / kGb},
          {"mem_used_gb", (mem["MemTotal:"] - mem["MemAvailable:"]) / kGb},
          {"mem_total_gb", mem["MemTotal:"] / kGb},
          {"disks", disks},
          {"network_ingress_bytes", rx},
          {"network_egress_bytes", tx},
          {"polling_rate", cfg.stats_polling_rate},
          {"refresh_ts", now_ms()},
          {"refresh_list_ts", 0}};
}

Json compose_contents_on_host(const Config& cfg, const Json& params) {
  Params p(params, "GetComposeContentsOnHost");
  std::string name = p.str("name"), run_directory = p.opt<std::string>("run_directory", "");
  // The files of a stack on the host: in its folder under stack_dir, or in an absolute
  // run_directory the operator set (Komodo's files_on_host); never above either.
  std::string folder = hooks::stack_folder_name(name), base;
  confined([&] { check_path_component(folder, "GetComposeContentsOnHost: name"); });
  if (fs::path(run_directory).is_absolute()) {
    base = run_directory;
  } else {
    std::string stack = cfg.stack_dir + "/" + folder;
    std::error_code ec;
    if (fs::is_directory(stack, ec))  // else every file is an error, as Komodo answers
      base = confined([&] {
        return resolve_beneath(stack, run_directory, "GetComposeContentsOnHost: run_directory");
      });
  }
  Json contents = Json::array(), errors = Json::array();
  for (const auto& f : params.value("file_paths", Json::array())) {
    std::string path = f.is_string() ? f.get<std::string>() : f.value("path", "");
    try {
      if (base.empty())
        throw Error("stack \"" + name + "\" has no folder in " + cfg.stack_dir + " on the agent");
      SecureBytes b =
          read_file_beneath(base, path, "GetComposeContentsOnHost: file_paths", kMaxFileRead);
      contents.push_back(
          {{"path", path},
           {"contents", std::string(b.begin(), b.end())},
           {"services", f.is_object() ? f.value("services", Json::array()) : Json::array()},
           {"requires", f.is_object() ? f.value("requires", "None") : "None"}});
    } catch (const std::exception& e) {
      errors.push_back({{"path", path}, {"contents", e.what()}});
    }
  }
  return {{"contents", contents}, {"errors", errors}};
}

// `docker logs NAME --tail 5000 2>&1 | grep [-v] -E 't1|t2'` (Or) or with every term (And),
// done in-process: the terms are regular expressions as grep -E reads them (RE2, POSIX
// syntax); a line is selected when any (Or) or every (And) term matches it, or, with
// `invert`, when that is not so. As with grep, success means some line was selected.
Json container_log_search(engine::Client& client, const Json& params) {
  Params p(params, "GetContainerLogSearch");
  std::string name = p.str("name");
  std::vector<std::string> terms = p.opt<std::vector<std::string>>("terms", {});
  std::string combinator = p.opt<std::string>("combinator", "Or");
  bool invert = p.opt<bool>("invert", false), timestamps = p.opt<bool>("timestamps", false);
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

// CloneRepo, PullRepo and PullOrCloneRepo through hooks/ (libgit2): the RepoExecArgs block
// in, `{"res": {logs, path, commit_hash, commit_message}, "env_file_path"}` out.
Json repo_execution(const Config& cfg, const Json& params, const std::string& type) {
  Params top(params, type);
  if (!params.contains("args") || !params["args"].is_object())
    throw Rejection{422, "Failed to deserialize the JSON body into the target type: " + type +
                             ": missing field `args`"};
  const Json& args = params["args"];
  Params a(args, type + ": args");
  std::string name = a.str("name"), folder = a.str("default_folder");
  std::string provider = a.opt<std::string>("provider", "github.com");
  std::string account = a.opt<std::string>("account", "");
  std::string repo = a.opt<std::string>("repo", "");
  std::string branch = a.opt<std::string>("branch", "main");
  std::string commit = a.opt<std::string>("commit", "");
  std::string destination = a.opt<std::string>("destination", "");
  bool https = a.opt<bool>("https", true);
  std::string root = folder == "Stacks"   ? cfg.stack_dir
                     : folder == "Builds" ? cfg.build_dir
                     : folder == "Repos"  ? cfg.repo_dir
                                          : "";
  if (root.empty())
    throw Rejection{400, type + ": default_folder \"" + folder +
                             "\" has no folder on the agent (use Stacks, Builds or Repos)"};
  if (repo.empty()) throw Rejection{400, type + ": repo \"" + name + "\" has no repo to clone"};
  // The checkout: <folder>/<name>, a relative destination inside it, or an absolute one inside
  // root_directory (or the folder). Never one of the agent's own folders or above them: a
  // fresh clone replaces what is there.
  std::string path = confined([&] {
    std::string folder_name = hooks::stack_folder_name(name);
    check_path_component(folder_name, type + ": name");
    std::string own = root + "/" + folder_name;
    std::error_code ec;
    if (!fs::path(destination).is_absolute()) {
      fs::create_directories(own, ec);
      return resolve_beneath(own, destination, type + ": destination");
    }
    for (const auto& base : {cfg.root_directory, root}) {
      if (!is_within(base, destination) &&
          !is_within(fs::weakly_canonical(base, ec).string(), destination))
        continue;
      fs::create_directories(base, ec);
      std::string p = resolve_beneath(base, destination, type + ": destination");
      bool agents_own = false;
      for (const auto& d : {cfg.root_directory, cfg.stack_dir, cfg.repo_dir, cfg.build_dir})
        agents_own =
            agents_own || is_within(p, d) || is_within(p, fs::weakly_canonical(d, ec).string());
      if (!agents_own) return p;
    }
    throw PathError(type + ": destination: " + destination + " is not a folder inside " +
                    cfg.root_directory +
                    " (and not one of the agent's own folders); use a path inside it");
  });

  hooks::Redactor redact;
  for (const auto& [k, v] : cfg.secrets)
    redact.add(v, k);
  for (const auto& r : top.opt<Json>("replacers", Json::array()))
    if (r.is_array() && r.size() == 2 && r[0].is_string() && r[1].is_string()) {
      std::string n = r[1].get<std::string>();
      if (n.starts_with("[[") && n.ends_with("]]")) n = n.substr(2, n.size() - 4);
      redact.add(r[0].get<std::string>(), n);
    }
  Json logs = Json::array();
  auto push = [&](const std::string& stage, const std::string& command, const std::string& out,
                  const std::string& err, bool ok, std::int64_t t0) {
    logs.push_back(log_json(stage, redact(command), redact(out), redact(err), ok, t0));
    return ok;
  };

  hooks::Stack st;
  st.git_provider = provider;
  st.git_https = https;
  st.repo = repo;
  hooks::RepoSpec spec{
      st.repo_url(), branch, commit, account, provider_token(cfg, params, provider, account), ""};
  hooks::Trust trust{cfg.root_directory, cfg.safe_directories};
  std::error_code ec;
  bool present = fs::exists(fs::path(path) / ".git", ec);
  bool clone = type == "CloneRepo" || (type == "PullOrCloneRepo" && !present);
  std::int64_t t0 = now_ms();
  hooks::CommitInfo after;
  bool ok = true;
  std::string cmd = (clone ? "git clone " + spec.url + " " + path + " -b " + branch
                           : "cd " + path + " && git pull --rebase --force origin " + branch) +
                    (commit.empty() ? "" : " && git reset --hard " + commit);
  try {
    fs::create_directories(fs::path(path).parent_path());
    if (clone && present) {
      // CloneRepo is a fresh clone, as Komodo's: cloned beside, swapped in, the old one goes.
      hooks::SyncResult r;
      std::string fresh = hooks::clone_beside(spec, path, trust, r);
      hooks::exchange_folders(fresh, path);
      fs::remove_all(fresh, ec);
      after = r.after;
    } else {
      after = hooks::sync_repo(spec, path, trust).after;
    }
    ok = push(clone ? "Clone Repo" : "Pull Repo", cmd,
              after.hash.substr(0, 8) + " " + after.message.substr(0, after.message.find('\n')), "",
              true, t0);
  } catch (const std::exception& e) {
    ok = push(clone ? "Clone Repo" : "Pull Repo", cmd, "", e.what(), false, t0);
  }

  // The environment, [[NAME]]-interpolated from the agent's secrets unless told not to,
  // written beside the checkout (0600, atomically).
  Json env_file = nullptr;
  std::string env_text;
  for (const auto& e : top.opt<Json>("environment", Json::array()))
    if (e.is_object()) env_text += e.value("variable", "") + "=" + e.value("value", "") + "\n";
  if (ok && !env_text.empty()) {
    std::map<std::string, hooks::Variable> vars;
    for (const auto& [k, v] : cfg.secrets)
      vars[k] = {v, true};
    hooks::Redactor used;
    if (!top.opt<bool>("skip_secret_interp", false))
      env_text = hooks::interpolate(env_text, vars, used);
    std::string file;
    std::int64_t t1 = now_ms();
    try {
      file = resolve_beneath(path, top.opt<std::string>("env_file_path", ".env"),
                             type + ": env_file_path");
      write_file_atomic(
          file, {reinterpret_cast<const std::uint8_t*>(env_text.data()), env_text.size()}, 0600);
      env_file = file;
      push("Write Environment File", "", "environment written to " + file, "", true, t1);
    } catch (const std::exception& e) {
      ok = push("Write Environment File", "", "", e.what(), false, t1);
    }
    wipe(env_text.data(), env_text.size());
  }

  // on_clone after a clone, on_pull after a pull: the command runs in the checkout.
  const char* hook_key = clone ? "on_clone" : "on_pull";
  Json h = top.opt<Json>(hook_key, Json());
  if (ok && h.is_object() && !h.value("command", "").empty()) {
    std::string command = hooks::parse_multiline(h.value("command", ""));
    std::int64_t t2 = now_ms();
    std::string dir;
    try {
      dir = resolve_beneath(path, h.value("path", ""), type + ": " + hook_key + ".path");
    } catch (const std::exception& e) {
      push(clone ? "On Clone" : "On Pull", command, "", e.what(), false, t2);
    }
    if (!dir.empty()) {
      hooks::ShellResult r = hooks::run_shell(command, dir, 3600);
      push(clone ? "On Clone" : "On Pull", "cd " + dir + " && " + command, r.out, r.err,
           r.status == 0, t2);
    }
  }
  Json hash = nullptr, message = nullptr;
  if (!after.hash.empty()) {
    hash = after.hash.substr(0, 7);
    message = redact(after.message);
  }
  return {
      {"res", {{"logs", logs}, {"path", path}, {"commit_hash", hash}, {"commit_message", message}}},
      {"env_file_path", env_file}};
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

// Secret values from the agent's `secrets` never leave it: every string of every answer is
// passed through the redactor.
void mask(Json& j, const hooks::Redactor& redact) {
  if (j.is_string()) {
    j = redact(j.get<std::string>());
  } else if (j.is_structured()) {
    for (auto& v : j)
      mask(v, redact);
  }
}
}  // namespace

Api::Api(const Config& config, engine::Client& client) : config_(config), client_(client) {
  for (const auto& [k, v] : config.secrets)
    secrets_.add(v, k);
  poll_ms_ = std::max(polling_ms(config.stats_polling_rate), 1000L);
  stats_ = system_stats(config_, cpu_last_);
  poller_ = std::thread([this] { poll(); });
}

Api::~Api() {
  {
    std::lock_guard lock(stats_mu_);
    stop_ = true;
  }
  stats_cv_.notify_all();
  poller_.join();
}

// Stats are read from /proc on a timer of `stats_polling_rate`, as Komodo's periphery does;
// GetSystemStats answers from the last reading (CPU % is the use over the last period).
void Api::poll() {
  std::unique_lock lock(stats_mu_);
  while (!stop_) {
    if (stats_cv_.wait_for(lock, std::chrono::milliseconds(poll_ms_), [&] { return stop_; })) break;
    lock.unlock();
    Json fresh = system_stats(config_, cpu_last_);
    lock.lock();
    stats_ = std::move(fresh);
  }
}

Json Api::cached_stats() {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

Reply Api::handle(const std::string& body, const std::string& content_type) {
  try {
    if (content_type.rfind("application/json", 0) != 0)
      throw Rejection{415, "Expected request with `Content-Type: application/json`"};
    // Depth before parsing: the parser is iterative, the tree's destructor and dump() are not.
    if (body.size() > kMaxBody)
      throw Rejection{413, "The request body is " + std::to_string(body.size()) +
                               " bytes, more than the " + std::to_string(kMaxBody) +
                               " the agent reads"};
    if (json_depth(body) > kMaxJsonDepth)
      throw Rejection{400, "Failed to parse the request body as JSON: nested deeper than " +
                               std::to_string(kMaxJsonDepth) + " levels, the most the agent reads"};
    Json req = Json::parse(body, nullptr, false);
    if (req.is_discarded()) throw Rejection{400, "Failed to parse the request body as JSON"};
    if (!req.is_object() || !req.contains("type") || !req["type"].is_string())
      throw Rejection{422,
                      "Failed to deserialize the JSON body into the target type: missing "
                      "field `type`"};
    std::string type = req["type"].get<std::string>();
    if (!req.contains("params") || !req["params"].is_object())
      throw Rejection{422, "Failed to deserialize the JSON body into the target type: " + type +
                               ": missing field `params`"};
    Params p(req["params"], type);
    std::int64_t start = now_ms();
    Json out;
    if (type == "GetHealth") {
      out = Json::object();
    } else if (type == "GetVersion") {
      out = {{"version", kApiVersion}};
    } else if (type == "GetContainerLog") {
      std::string name = p.str("name");
      auto tail = p.opt<std::uint64_t>("tail", 50);
      bool timestamps = p.opt<bool>("timestamps", false);
      engine::LogOptions lo;
      lo.tail = std::to_string(tail);
      lo.timestamps = timestamps;
      std::string o, e;
      client_.logs(name, lo, [&](engine::StreamType k, std::string_view data) {
        (k == engine::StreamType::kStderr ? e : o).append(data);
      });
      out = log_json("get container log",
                     "docker logs " + name + " --tail " + std::to_string(tail) +
                         (timestamps ? " --timestamps" : ""),
                     o, e, true, start);
    } else if (type == "StartContainer" || type == "RestartContainer" || type == "StopContainer" ||
               type == "RemoveContainer") {
      std::string name = p.str("name");
      std::string verb = type == "StartContainer"     ? "start"
                         : type == "RestartContainer" ? "restart"
                         : type == "StopContainer"    ? "stop"
                                                      : "rm";
      std::string stage = "docker " + verb;
      std::string err;
      bool ok = true;
      try {
        if (type == "StartContainer") client_.start_container(name);
        if (type == "RestartContainer") client_.restart_container(name);
        if (type == "StopContainer" || type == "RemoveContainer") {
          std::optional<int> time;
          if (int t = p.opt<int>("time", -1); t >= 0) time = t;
          std::string signal = p.opt<std::string>("signal", "");
          client_.stop_container(name, time, signal);
        }
        if (type == "RemoveContainer") client_.remove_container(name);
      } catch (const std::exception& e) {
        ok = false;
        err = e.what();
      }
      out = log_json(stage, "docker " + verb + " " + name, ok ? name + "\n" : "", err, ok, start);
    } else if (type == "StartAllContainers" || type == "StopAllContainers" ||
               type == "RestartAllContainers" || type == "PauseAllContainers" ||
               type == "UnpauseAllContainers") {
      std::string verb = type.substr(0, type.find("AllContainers"));
      for (auto& ch : verb)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      out = all_containers(client_, verb);
    } else if (type == "ComposeExecution") {
      out = compose_execution(client_, p.str("project"), p.str("command"));
    } else if (type == "GetSystemInformation") {
      out = system_information(config_);
    } else if (type == "GetSystemStats") {
      out = cached_stats();
    } else if (type == "GetComposeContentsOnHost") {
      out = compose_contents_on_host(config_, req["params"]);
    } else if (type == "GetDockerLists") {
      out = docker_lists(client_);
    } else if (type == "ComposeUp") {
      out = compose_up(config_, client_, req["params"]);
    } else if (type == "GetContainerLogSearch") {
      out = container_log_search(client_, req["params"]);
    } else if (type == "CloneRepo" || type == "PullRepo" || type == "PullOrCloneRepo") {
      out = repo_execution(config_, req["params"], type);
    } else if (type == "PruneSystem") {
      out = prune_system(client_);
    } else if (type == "RunCommand") {
      const Json& params = req["params"];
      Json cmd = params.value("command", Json::object());
      std::string path = cmd.is_object() ? cmd.value("path", "") : "";
      std::string command = hooks::parse_multiline(cmd.is_object() ? cmd.value("command", "") : "");
      hooks::ShellResult r = hooks::run_shell(command, path.empty() ? "/" : path, 3600);
      out = log_json("run command", (path.empty() ? "" : "cd " + path + " && ") + command, r.out,
                     r.err, r.status == 0, start);
    } else {
      throw Rejection{422,
                      "Failed to deserialize the JSON body into the target type: unknown "
                      "variant `" +
                          type + "`"};
    }
    if (!secrets_.empty()) mask(out, secrets_);
    return {200, out.dump()};
  } catch (const Rejection& r) {
    return {r.status, serror(r.message)};
  } catch (const std::exception& e) {
    return {500, serror(e.what())};
  }
}

}  // namespace varan::periphery
