// The compose requests: ComposeUp (a whole Stack deployed through hooks/), ComposeExecution
// (the command strings Core 1.19 sends, done through the engine) and GetComposeContentsOnHost.
#include <filesystem>

#include "common/io.h"
#include "common/path.h"
#include "engine/compose/labels.h"
#include "hooks/command.h"
#include "hooks/deploy.h"
#include "komodo/log.h"
#include "komodo/serror.h"
#include "komodo/stack.h"
#include "komodo/time.h"
#include "periphery/handler.h"

namespace varan::periphery {

namespace {

namespace fs = std::filesystem;
namespace labels = compose::labels;
using komodo::now_ms;

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
  // Komodo's StackConfig, read leniently: a field of the wrong type takes its default.
  hooks::Stack s;
  static_cast<komodo::StackConfig&>(s) =
      komodo::read_stack_config(komodo::Fields::lenient(st.value("config", Json::object())));
  s.name = st["name"].get<std::string>();
  const std::string folder = komodo::folder_name(s.name);
  confined([&] { check_path_component(folder, "ComposeUp: stack \"" + s.name + "\": name"); });
  s.write_plaintext = cfg.write_plaintext;
  if (params.contains("services") && params["services"].is_array())
    for (const auto& svc : params["services"])
      if (svc.is_string()) s.extra_args.push_back(svc.get<std::string>());
  std::vector<std::string> trusted = cfg.safe_directories;
  // A linked Repo resource (`params.repo`) takes the place of the stack's own repo: it is
  // checked out at ${repo_dir}/{repo.name}/{repo.config.path}, as Komodo's periphery does.
  if (params.contains("repo") && params["repo"].is_object()) {
    const Json& linked = params["repo"];
    komodo::RepoConfig rc =
        komodo::read_repo_config(komodo::Fields::lenient(linked.value("config", Json::object())));
    std::string linked_name = linked.value("name", "");
    if (linked_name.empty() || rc.repo.empty())
      throw Rejection{400, "ComposeUp: stack \"" + s.name +
                               "\": the linked repo has no name or no repo to clone"};
    komodo::use_linked_repo(s, rc);
    std::string sub = rc.path;
    std::string linked_folder = komodo::folder_name(linked_name);
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
  std::string stack_dir = cfg.stack_dir + "/" + komodo::folder_name(s.name);
  // The agent's own secrets are interpolated ([[NAME]]) into the file contents, the
  // environment, the hook commands and extra_args, unless skip_secret_interp is set; every
  // value is masked in the logs either way.
  std::map<std::string, hooks::Variable> vars;
  if (!s.skip_secret_interp) vars = secret_variables(cfg);
  if (s.repo.empty() && !s.files_on_host) {
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
    std::string contents = hooks::interpolate(s.file_contents, vars, used);
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
  for (auto& r : replacers(params))
    o.redact.push_back(std::move(r));
  // registry_provider + registry_account: the images on that registry are pulled with the
  // account's token (from the request, else the agent's docker_registries), as after
  // Komodo's `docker login`.
  const std::string &reg_domain = s.registry_provider, &reg_account = s.registry_account;
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
    logs.push_back(komodo::to_json(l));
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

Json compose_contents_on_host(const Config& cfg, const komodo::Fields& p) {
  const Json& params = p.json();
  std::string name = p.required_str("name"),
              run_directory = p.get<std::string>("run_directory", "");
  // The files of a stack on the host: in its folder under stack_dir, or in an absolute
  // run_directory the operator set (Komodo's files_on_host); never above either.
  std::string folder = komodo::folder_name(name), base;
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

}  // namespace

std::span<const Route> compose_routes() {
  static const Route routes[] = {
      {"ComposeUp",
       [](Agent& a, const Request& r) { return compose_up(a.config, a.client, r.params); }},
      {"ComposeExecution",
       [](Agent& a, const Request& r) {
         return compose_execution(a.client, r.p.required_str("project"),
                                  r.p.required_str("command"));
       }},
      {"GetComposeContentsOnHost",
       [](Agent& a, const Request& r) { return compose_contents_on_host(a.config, r.p); }},
  };
  return routes;
}

}  // namespace varan::periphery
