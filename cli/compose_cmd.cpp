#include "cli/compose_cmd.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <memory>

#include "cli/terminal.h"
#include "engine/client.h"
#include "engine/compose/commands.h"
#include "engine/compose/labels.h"
#include "engine/compose/load.h"

namespace varan::cli {

namespace {

namespace cmp = varan::compose;

struct Globals {
  std::vector<std::string> files, env_files, profiles;
  std::string project_name, project_directory;
  bool ignore_unsupported = false;
  bool dry_run = false;
};

struct Up {
  bool detach = false, force_recreate = false, no_recreate = false, remove_orphans = false,
       wait = false;
  std::string pull;
  int wait_timeout = -1, timeout = -1;
  std::vector<std::string> services;
};

struct Down {
  bool volumes = false, remove_orphans = false;
  int timeout = -1;
};

struct Ps {
  bool all = false, quiet = false, services_only = false;
  std::string format = "table";
  std::vector<std::string> services;
};

struct Logs {
  bool follow = false, timestamps = false, no_color = false, no_prefix = false;
  std::string tail = "all";
  std::vector<std::string> services;
};

struct Config {
  bool services = false, volumes = false, quiet = false;
};

struct Simple {
  std::vector<std::string> services;
  int timeout = -1;
};

void progress_line(const std::string& line) { std::cerr << line << "\n"; }

cmp::Project load(const Globals& g, const std::vector<std::string>& services,
                  bool allow_missing_files = false) {
  cmp::LoadOptions o;
  o.files = g.files;
  o.env_files = g.env_files;
  o.profiles = g.profiles;
  o.project_name = g.project_name;
  o.project_directory = g.project_directory;
  o.ignore_unsupported = g.ignore_unsupported;
  o.services = services;
  cmp::Project p;
  try {
    p = cmp::load_project(o);
  } catch (const cmp::Error& e) {
    // `down -p NAME` and friends work without the compose files, like docker compose.
    if (!allow_missing_files || g.project_name.empty() || !g.files.empty() ||
        std::string(e.what()).find("no compose file found") == std::string::npos)
      throw;
    p.name = g.project_name;
  }
  for (const auto& w : p.warnings)
    std::cerr << "warning: " << w << "\n";
  return p;
}

std::optional<int> opt_timeout(int t) { return t < 0 ? std::nullopt : std::optional<int>(t); }

// "N units ago" as docker and compose print it (go-units' HumanDuration).
std::string human_age(std::int64_t created) {
  std::int64_t secs = static_cast<std::int64_t>(std::time(nullptr)) - created;
  auto n = [](std::int64_t v, const char* unit) {
    return std::to_string(v) + " " + unit + (v == 1 ? "" : "s") + " ago";
  };
  std::int64_t mins = secs / 60, hours = secs / 3600;
  if (secs < 1) return "Less than a second ago";
  if (secs < 60) return n(secs, "second");
  if (mins == 1) return "About a minute ago";
  if (mins < 60) return n(mins, "minute");
  if (hours == 1) return "About an hour ago";
  if (hours < 48) return n(hours, "hour");
  if (hours < 24 * 7 * 2) return n(hours / 24, "day");
  if (hours < 24 * 30 * 2) return n(hours / 24 / 7, "week");
  if (hours < 24 * 365 * 2) return n(hours / 24 / 30, "month");
  return n(hours / 24 / 365, "year");
}

// Columns are as wide as what shows: UTF-8 continuation bytes take no room.
std::size_t display_width(const std::string& s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string ports_text(const engine::ContainerSummary& c) {
  std::string out;
  for (const auto& p : c.ports) {
    if (!out.empty()) out += ", ";
    if (p.public_port)
      out += (p.ip.empty() ? "" : p.ip + ":") + std::to_string(p.public_port) + "->";
    out += std::to_string(p.private_port) + "/" + p.type;
  }
  return out;
}

int run_up(const Globals& g, const Up& u) {
  if (u.force_recreate && u.no_recreate)
    throw cmp::Error("--force-recreate and --no-recreate can't be used together");
  if (!u.pull.empty() && u.pull != "always" && u.pull != "missing" && u.pull != "never")
    throw cmp::Error("--pull: expected always, missing or never, got \"" + u.pull + "\"");
  cmp::Project p = load(g, u.services);
  for (const auto& s : u.services)
    if (!p.find(s)) throw cmp::Error("no such service: " + s);
  engine::Client client;
  cmp::UpOptions o;
  o.plan.recreate = u.force_recreate ? cmp::RecreatePolicy::kForce
                    : u.no_recreate  ? cmp::RecreatePolicy::kNever
                                     : cmp::RecreatePolicy::kDiverged;
  o.plan.remove_orphans = u.remove_orphans;
  o.plan.services = u.services;
  o.plan.pull = u.pull;
  o.dry_run = g.dry_run;
  o.apply.wait = u.wait;
  if (u.wait_timeout >= 0) o.apply.wait_timeout = std::chrono::seconds(u.wait_timeout);
  o.apply.timeout_s = opt_timeout(u.timeout);
  o.apply.progress = progress_line;
  cmp::UpResult r = cmp::up(client, p, o);
  if (g.dry_run) {
    std::cout << r.plan.describe();
    if (!r.plan.changes()) std::cout << "nothing to do: project " << p.name << " is up to date\n";
    return 0;
  }
  if (!u.detach) {
    cmp::LogsOptions lo;
    lo.follow = true;
    lo.tail = "0";
    lo.services = u.services;
    lo.color = is_terminal(1);
    cmp::logs(client, p, lo, std::cout);
  }
  return 0;
}

int run_down(const Globals& g, const Down& d) {
  cmp::Project p = load(g, {}, true);
  engine::Client client;
  cmp::DownOptions o;
  o.volumes = d.volumes;
  o.remove_orphans = d.remove_orphans;
  o.timeout_s = opt_timeout(d.timeout);
  o.progress = progress_line;
  cmp::down(client, p, o);
  return 0;
}

int run_ps(const Globals& g, const Ps& s) {
  cmp::Project p = load(g, {}, true);
  if (s.services_only) {
    for (const auto& svc : p.services)
      std::cout << svc.name << "\n";
    return 0;
  }
  engine::Client client;
  auto cs = cmp::ps(client, p, s.all, s.services);
  if (s.quiet) {
    for (const auto& c : cs)
      std::cout << c.id << "\n";
    return 0;
  }
  if (s.format == "json") {
    for (const auto& c : cs)
      std::cout << cmp::ps_json(c).dump() << "\n";
    return 0;
  }
  if (s.format != "table")
    throw cmp::Error("--format: expected table or json, got \"" + s.format + "\"");
  std::vector<std::array<std::string, 7>> rows;
  rows.push_back({"NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"});
  for (const auto& c : cs) {
    std::string cmd = c.command.size() > 20 ? c.command.substr(0, 19) + "…" : c.command;
    auto it = c.labels.find(cmp::labels::kService);
    rows.push_back({c.name(), c.image, "\"" + cmd + "\"", it == c.labels.end() ? "" : it->second,
                    human_age(c.created), c.status, ports_text(c)});
  }
  std::array<std::size_t, 7> w{};
  for (const auto& r : rows)
    for (std::size_t i = 0; i < 7; ++i)
      w[i] = std::max(w[i], display_width(r[i]));
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < 7; ++i) {
      line += r[i];
      if (i + 1 < 7) line += std::string(w[i] - display_width(r[i]) + 3, ' ');
    }
    while (!line.empty() && line.back() == ' ')
      line.pop_back();
    std::cout << line << "\n";
  }
  return 0;
}

int run_logs(const Globals& g, const Logs& l) {
  cmp::Project p = load(g, {}, true);
  engine::Client client;
  cmp::LogsOptions o;
  o.services = l.services;
  o.follow = l.follow;
  o.timestamps = l.timestamps;
  o.tail = l.tail;
  o.prefix = !l.no_prefix;
  o.color = !l.no_color && is_terminal(1);
  cmp::logs(client, p, o, std::cout);
  return 0;
}

int run_config(const Globals& g, const Config& c) {
  cmp::Project p = load(g, {});
  if (c.quiet) return 0;
  if (c.services) {
    for (const auto& s : p.services)
      std::cout << s.name << "\n";
  } else if (c.volumes) {
    for (const auto& v : p.volumes)
      std::cout << v.key << "\n";
  } else {
    std::cout << p.to_yaml();
  }
  return 0;
}

}  // namespace

std::function<std::optional<int>()> add_compose_command(CLI::App& app) {
  auto g = std::make_shared<Globals>();
  auto* cmd = app.add_subcommand(
      "compose", "Run a compose project natively (docker compose's verbs and flags)");
  cmd->require_subcommand(1);
  cmd->add_option("-f,--file", g->files,
                  "Compose file (repeatable; default compose.yaml and its override)");
  cmd->add_option("-p,--project-name", g->project_name, "Project name");
  cmd->add_option("--project-directory", g->project_directory,
                  "Project folder (default: the first file's)");
  cmd->add_option("--env-file", g->env_files,
                  "Environment file (repeatable; default <project>/.env)");
  cmd->add_option("--profile", g->profiles, "Profile to enable (repeatable)");
  cmd->add_flag("--ignore-unsupported", g->ignore_unsupported,
                "Warn about keys Varan doesn't run instead of failing");
  cmd->add_flag("--dry-run", g->dry_run, "Print what would be done, change nothing");

  auto up = std::make_shared<Up>();
  auto* up_cmd =
      cmd->add_subcommand("up", "Create and start containers, recreating only what changed");
  up_cmd->add_flag("-d,--detach", up->detach, "Run in the background");
  up_cmd->add_flag("--force-recreate", up->force_recreate,
                   "Recreate containers even if nothing changed");
  up_cmd->add_flag("--no-recreate", up->no_recreate, "Never recreate existing containers");
  up_cmd->add_flag("--remove-orphans", up->remove_orphans,
                   "Remove containers of services not in the files");
  up_cmd->add_option("--pull", up->pull, "Pull images: always, missing, never");
  up_cmd->add_flag("--wait", up->wait, "Wait for services to be running and healthy (implies -d)");
  up_cmd->add_option("--wait-timeout", up->wait_timeout, "Seconds to wait with --wait");
  up_cmd->add_option("-t,--timeout", up->timeout, "Stop timeout in seconds");
  up_cmd->add_flag("--dry-run", g->dry_run, "Print the plan, change nothing");
  up_cmd->add_option("services", up->services, "Services (default: all)");

  auto down = std::make_shared<Down>();
  auto* down_cmd = cmd->add_subcommand("down", "Stop and remove containers and networks");
  down_cmd->add_flag("-v,--volumes", down->volumes, "Remove named volumes and anonymous ones");
  down_cmd->add_flag("--remove-orphans", down->remove_orphans,
                     "Remove containers of services not in the files");
  down_cmd->add_option("-t,--timeout", down->timeout, "Stop timeout in seconds");

  auto ps = std::make_shared<Ps>();
  auto* ps_cmd = cmd->add_subcommand("ps", "List containers");
  ps_cmd->add_flag("-a,--all", ps->all, "Show stopped containers too");
  ps_cmd->add_flag("-q,--quiet", ps->quiet, "Only IDs");
  ps_cmd->add_flag("--services", ps->services_only, "Only service names");
  ps_cmd->add_option("--format", ps->format, "table or json");
  ps_cmd->add_option("services", ps->services, "Services");

  auto logs = std::make_shared<Logs>();
  auto* logs_cmd = cmd->add_subcommand("logs", "Show container output");
  logs_cmd->add_flag("-f,--follow", logs->follow, "Follow");
  logs_cmd->add_option("-n,--tail", logs->tail, "Lines from the end of each log, or all");
  logs_cmd->add_flag("-t,--timestamps", logs->timestamps, "Show timestamps");
  logs_cmd->add_flag("--no-color", logs->no_color, "Plain output");
  logs_cmd->add_flag("--no-log-prefix", logs->no_prefix, "No container name prefix");
  logs_cmd->add_option("services", logs->services, "Services");

  auto pull_services = std::make_shared<std::vector<std::string>>();
  auto* pull_cmd = cmd->add_subcommand("pull", "Pull service images");
  pull_cmd->add_option("services", *pull_services, "Services");

  auto config = std::make_shared<Config>();
  auto* config_cmd = cmd->add_subcommand("config", "Print the resolved project as YAML");
  config_cmd->add_flag("--services", config->services, "Only service names");
  config_cmd->add_flag("--volumes", config->volumes, "Only volume names");
  config_cmd->add_flag("-q,--quiet", config->quiet, "Only validate");

  auto start = std::make_shared<Simple>(), stop = std::make_shared<Simple>(),
       restart = std::make_shared<Simple>();
  auto* start_cmd = cmd->add_subcommand("start", "Start existing containers");
  start_cmd->add_option("services", start->services, "Services");
  auto* stop_cmd = cmd->add_subcommand("stop", "Stop containers");
  stop_cmd->add_option("-t,--timeout", stop->timeout, "Stop timeout in seconds");
  stop_cmd->add_option("services", stop->services, "Services");
  auto* restart_cmd = cmd->add_subcommand("restart", "Restart containers");
  restart_cmd->add_option("-t,--timeout", restart->timeout, "Stop timeout in seconds");
  restart_cmd->add_option("services", restart->services, "Services");

  return [=]() -> std::optional<int> {
    if (!cmd->parsed()) return std::nullopt;
    std::signal(SIGPIPE, SIG_IGN);
    try {
      if (up_cmd->parsed()) {
        if (up->wait) up->detach = true;
        return run_up(*g, *up);
      }
      if (down_cmd->parsed()) return run_down(*g, *down);
      if (ps_cmd->parsed()) return run_ps(*g, *ps);
      if (logs_cmd->parsed()) return run_logs(*g, *logs);
      if (config_cmd->parsed()) return run_config(*g, *config);
      if (pull_cmd->parsed()) {
        cmp::Project p = load(*g, *pull_services);
        engine::Client client;
        cmp::pull(client, p, *pull_services, progress_line);
        return 0;
      }
      for (auto [sub, opts, what] : {std::tuple{start_cmd, start, cmp::Lifecycle::kStart},
                                     std::tuple{stop_cmd, stop, cmp::Lifecycle::kStop},
                                     std::tuple{restart_cmd, restart, cmp::Lifecycle::kRestart}}) {
        if (!sub->parsed()) continue;
        cmp::Project p = load(*g, opts->services, true);
        engine::Client client;
        cmp::lifecycle(client, p, what, opts->services, opt_timeout(opts->timeout), progress_line);
        return 0;
      }
    } catch (const std::exception& e) {
      std::cerr << "varan compose: " << e.what() << "\n";
      return 1;
    }
    return 1;
  };
}

}  // namespace varan::cli
