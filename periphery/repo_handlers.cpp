// CloneRepo, PullRepo and PullOrCloneRepo through git/ (libgit2), then the environment file
// and the on_clone / on_pull command, as Komodo's periphery does them.
#include <filesystem>

#include "common/io.h"
#include "common/path.h"
#include "git/repo.h"
#include "hooks/command.h"
#include "hooks/stack.h"
#include "komodo/log.h"
#include "komodo/serror.h"
#include "komodo/stack.h"
#include "komodo/time.h"
#include "periphery/handler.h"

namespace varan::periphery {

namespace {

namespace fs = std::filesystem;
using komodo::now_ms;

// CloneRepo, PullRepo and PullOrCloneRepo through hooks/ (libgit2): the RepoExecArgs block
// in, `{"res": {logs, path, commit_hash, commit_message}, "env_file_path"}` out.
Json repo_execution(const Config& cfg, const komodo::Fields& top, const std::string& type) {
  const Json& params = top.json();
  if (!params.contains("args") || !params["args"].is_object())
    throw Rejection{422, "Failed to deserialize the JSON body into the target type: " + type +
                             ": missing field `args`"};
  const Json& args = params["args"];
  komodo::Fields a = komodo::params_fields(args, type + ": args");
  std::string name = a.required_str("name"), folder = a.required_str("default_folder");
  std::string provider = a.get<std::string>("provider", "github.com");
  std::string account = a.get<std::string>("account", "");
  std::string repo = a.get<std::string>("repo", "");
  std::string branch = a.get<std::string>("branch", "main");
  std::string commit = a.get<std::string>("commit", "");
  std::string destination = a.get<std::string>("destination", "");
  bool https = a.get<bool>("https", true);
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
    std::string folder_name = komodo::folder_name(name);
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
  for (const auto& [value, shown] : replacers(params))
    redact.add(value, shown);
  Json logs = Json::array();
  auto push = [&](const std::string& stage, const std::string& command, const std::string& out,
                  const std::string& err, bool ok, std::int64_t t0) {
    logs.push_back(log_json(stage, redact(command), redact(out), redact(err), ok, t0));
    return ok;
  };

  git::RepoSpec spec{komodo::repo_url(provider, https, repo),        branch, commit, account,
                     provider_token(cfg, params, provider, account), ""};
  git::Trust trust{cfg.root_directory, cfg.safe_directories};
  std::error_code ec;
  bool present = fs::exists(fs::path(path) / ".git", ec);
  bool clone = type == "CloneRepo" || (type == "PullOrCloneRepo" && !present);
  std::int64_t t0 = now_ms();
  git::CommitInfo after;
  bool ok = true;
  std::string cmd = (clone ? "git clone " + spec.url + " " + path + " -b " + branch
                           : "cd " + path + " && git pull --rebase --force origin " + branch) +
                    (commit.empty() ? "" : " && git reset --hard " + commit);
  try {
    fs::create_directories(fs::path(path).parent_path());
    if (clone && present) {
      // CloneRepo is a fresh clone, as Komodo's: cloned beside, swapped in, the old one goes.
      git::SyncResult r;
      std::string fresh = git::clone_beside(spec, path, trust, r);
      git::exchange_folders(fresh, path);
      fs::remove_all(fresh, ec);
      after = r.after;
    } else {
      after = git::sync_repo(spec, path, trust).after;
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
  env_text = environment_lines(top.get<Json>("environment", Json::array()));
  if (ok && !env_text.empty()) {
    auto vars = secret_variables(cfg);
    hooks::Redactor used;
    if (!top.get<bool>("skip_secret_interp", false))
      env_text = hooks::interpolate(env_text, vars, used);
    std::string file;
    std::int64_t t1 = now_ms();
    try {
      file = resolve_beneath(path, top.get<std::string>("env_file_path", ".env"),
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
  Json h = top.get<Json>(hook_key, Json());
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

Json repo(Agent& a, const Request& r) { return repo_execution(a.config, r.p, r.type); }

}  // namespace

std::span<const Route> repo_routes() {
  static const Route routes[] = {
      {"CloneRepo", repo}, {"PullRepo", repo}, {"PullOrCloneRepo", repo}};
  return routes;
}

}  // namespace varan::periphery
