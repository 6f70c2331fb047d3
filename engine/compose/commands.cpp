#include "engine/compose/commands.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "engine/client.h"
#include "engine/compose/labels.h"

namespace varan::compose {

namespace {

std::string label(const engine::ContainerSummary& c, const char* key) {
  auto it = c.labels.find(key);
  return it == c.labels.end() ? "" : it->second;
}

engine::Filters project_filter(const Project& p) {
  return {{"label", {std::string(labels::kProject) + "=" + p.name}}};
}

// Runs `fn(i, containers[i])` for every container at once, a thread each. When one fails, the
// others still run to their end; then the first failure is thrown as "container NAME: what".
template <class Fn>
void each_container_at_once(const std::vector<engine::ContainerSummary>& containers, Fn fn) {
  std::mutex mu;
  std::string error;
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < containers.size(); ++i)
    threads.emplace_back([&, i] {
      try {
        fn(i, containers[i]);
      } catch (const std::exception& e) {
        std::lock_guard lock(mu);
        if (error.empty()) error = "container " + containers[i].name() + ": " + e.what();
      }
    });
  for (auto& t : threads)
    t.join();
  if (!error.empty()) throw Error(error);
}

// Runs `fn` for each node once its prerequisites are done, independent nodes in parallel.
// The first error is rethrown after every started task has finished.
void run_graph(const std::vector<std::string>& nodes,
               const std::function<std::vector<std::string>(const std::string&)>& prerequisites,
               const std::function<void(const std::string&)>& fn) {
  std::mutex mu;
  std::condition_variable cv;
  std::set<std::string> done, pending(nodes.begin(), nodes.end());
  std::string error;
  std::vector<std::thread> threads;
  for (const auto& n : nodes)
    threads.emplace_back([&, n] {
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] {
          for (const auto& pre : prerequisites(n))
            if (pending.contains(pre) && !done.contains(pre)) return false;
          return true;
        });
      }
      try {
        fn(n);
      } catch (const std::exception& e) {
        std::lock_guard lock(mu);
        if (error.empty()) error = e.what();
      }
      {
        std::lock_guard lock(mu);
        done.insert(n);
      }
      cv.notify_all();
    });
  for (auto& t : threads)
    t.join();
  if (!error.empty()) throw Error(error);
}

// Services that depend on `name` (for stopping in reverse order).
std::vector<std::string> dependents(const Project& p, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& s : p.services)
    for (const auto& d : s.depends_on)
      if (d.service == name) out.push_back(s.name);
  return out;
}

std::vector<std::string> dependencies(const Project& p, const std::string& name) {
  std::vector<std::string> out;
  if (const Service* s = p.find(name))
    for (const auto& d : s->depends_on)
      out.push_back(d.service);
  return out;
}

int stop_timeout(const Project& p, const std::string& service, std::optional<int> t) {
  if (t) return *t;
  if (const Service* s = p.find(service); s && s->config.contains("stop_grace_period"))
    return static_cast<int>(s->config["stop_grace_period"].get<long long>() / 1'000'000'000LL);
  return 10;
}

}  // namespace

UpResult up(engine::Client& client, const Project& project, const UpOptions& opts) {
  Observed observed = opts.observed ? *opts.observed : observe(client, project);
  UpResult r;
  r.plan = make_plan(project, observed, opts.plan);
  if (opts.dry_run) return r;

  // Images first: nothing changes when one can't be had.
  bool pulled = false;
  for (const auto& a : r.plan.actions) {
    if (a.op != Op::kPull || opts.pulled.contains(a.name)) continue;
    std::vector<std::string> users;
    std::string policy;
    for (const auto& s : project.services)
      if (s.image == a.name) {
        users.push_back("\"" + s.name + "\"");
        policy = opts.plan.pull.empty() ? s.pull_policy : opts.plan.pull;
      }
    std::string who = "service " + (users.empty() ? std::string("?") : users[0]);
    if (opts.apply.progress) opts.apply.progress(" Image " + a.name + "  Pulling");
    try {
      if (opts.registry_auth)
        client.pull_image(a.name, opts.registry_auth(a.name));
      else
        client.pull_image(a.name);
    } catch (const std::exception& e) {
      bool present = !observed.image_ids[a.name].empty();
      if (present && (policy == "always" || policy == "refresh")) {
        if (opts.apply.progress)
          opts.apply.progress(" Image " + a.name +
                              "  pull failed, using the local image: " + e.what());
        continue;
      }
      throw Error(who + ": image \"" + a.name +
                  "\" is not present locally and could not be pulled: " + e.what() +
                  "; build or load it, or fix the image name");
    }
    pulled = true;
    if (opts.apply.progress) opts.apply.progress(" Image " + a.name + "  Pulled");
  }
  for (const auto& s : project.services)
    if (observed.image_ids[s.image].empty() && !pulled) {
      std::set<std::string> sel = selected_services(project, opts.plan.services);
      if (sel.contains(s.name))
        throw Error(
            "service \"" + s.name + "\": image \"" + s.image +
            "\" is not present locally and the pull policy is never; build or load it first");
    }
  if (pulled) {
    for (auto& [ref, id] : observed.image_ids) {
      try {
        id = client.inspect_image(ref).id;
      } catch (const engine::NotFound&) {
        id = "";
      }
    }
    PlanOptions again = opts.plan;
    r.plan = make_plan(project, observed, again);
    std::erase_if(r.plan.actions, [](const Action& a) { return a.op == Op::kPull; });
  }
  std::erase_if(r.plan.actions,
                [&](const Action& a) { return a.op == Op::kPull && opts.pulled.contains(a.name); });
  for (const auto& s : project.services)
    if (selected_services(project, opts.plan.services).contains(s.name) &&
        observed.image_ids[s.image].empty())
      throw Error("service \"" + s.name + "\": image \"" + s.image + "\" is not present locally");
  for (const auto& a : r.plan.actions)
    if (a.op == Op::kOrphan && opts.apply.progress)
      opts.apply.progress(" Found orphan container " + a.name + " (service " + a.service +
                          "); --remove-orphans removes it");
  r.applied = apply_plan(client, project, r.plan, observed, opts.apply);
  return r;
}

void down(engine::Client& client, const Project& project, const DownOptions& opts) {
  auto containers = client.list_containers(true, project_filter(project));
  std::map<std::string, std::vector<engine::ContainerSummary>> by_service;
  bool no_model = project.services.empty() && project.disabled.empty();
  for (const auto& c : containers) {
    std::string svc = label(c, labels::kService);
    if (!no_model && !project.knows(svc) && !opts.remove_orphans) {
      if (opts.progress)
        opts.progress(" Found orphan container " + c.name() + "; --remove-orphans removes it");
      continue;
    }
    by_service[svc].push_back(c);
  }
  std::vector<std::string> services;
  for (const auto& [s, cs] : by_service)
    services.push_back(s);
  run_graph(
      services, [&](const std::string& s) { return dependents(project, s); },
      [&](const std::string& s) {
        each_container_at_once(by_service[s], [&](std::size_t, const engine::ContainerSummary& c) {
          try {
            if (opts.progress) opts.progress(" Container " + c.name() + "  Stopping");
            if (c.state == "running" || c.state == "restarting" || c.state == "paused")
              client.stop_container(c.id, stop_timeout(project, s, opts.timeout_s));
            client.remove_container(c.id, true, opts.volumes);
            if (opts.progress) opts.progress(" Container " + c.name() + "  Removed");
            // Anonymous volumes handed from a replaced container are mounted by name, so
            // the engine doesn't take them with the container: -v removes them here.
            if (opts.volumes)
              for (const auto& m : c.mounts)
                if (m.type == "volume" && m.name.size() == 64 &&
                    m.name.find_first_not_of("0123456789abcdef") == std::string::npos) {
                  try {
                    client.remove_volume(m.name);
                  } catch (const std::exception&) {
                  }
                }
          } catch (const engine::NotFound&) {
          }
        });
      });
  // Networks: the project's (by label, so ones docker-compose made go too), and ours by name.
  std::set<std::string> networks;
  for (const auto& n : client.list_networks(project_filter(project)))
    networks.insert(n.name);
  for (const auto& n : networks) {
    try {
      client.remove_network(n);
      if (opts.progress) opts.progress(" Network " + n + "  Removed");
    } catch (const engine::NotFound&) {
    } catch (const std::exception& e) {
      throw Error("network " + n + ": can't remove it: " + e.what());
    }
  }
  if (opts.volumes) {
    for (const auto& v : client.list_volumes(project_filter(project))) {
      try {
        client.remove_volume(v.name);
        if (opts.progress) opts.progress(" Volume " + v.name + "  Removed");
      } catch (const engine::NotFound&) {
      } catch (const std::exception& e) {
        throw Error("volume " + v.name + ": can't remove it: " + e.what());
      }
    }
  }
}

std::vector<engine::ContainerSummary> ps(engine::Client& client, const Project& project, bool all,
                                         const std::vector<std::string>& services) {
  std::vector<engine::ContainerSummary> out;
  for (auto& c : client.list_containers(all, project_filter(project))) {
    if (label(c, labels::kOneOff) == "True") continue;
    if (!services.empty() &&
        std::find(services.begin(), services.end(), label(c, labels::kService)) == services.end())
      continue;
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.name() < b.name(); });
  return out;
}

Json ps_json(const engine::ContainerSummary& c) {
  Json publishers = Json::array();
  for (const auto& p : c.ports)
    publishers.push_back({{"URL", p.ip},
                          {"TargetPort", p.private_port},
                          {"PublishedPort", p.public_port},
                          {"Protocol", p.type}});
  std::string health;
  if (c.status.find("(healthy)") != std::string::npos)
    health = "healthy";
  else if (c.status.find("(unhealthy)") != std::string::npos)
    health = "unhealthy";
  else if (c.status.find("(health: starting)") != std::string::npos)
    health = "starting";
  int exit_code = 0;
  if (auto p = c.status.find("Exited ("); p != std::string::npos)
    exit_code = std::atoi(c.status.c_str() + p + 8);
  std::string nets;
  for (const auto& n : c.networks)
    nets += (nets.empty() ? "" : ",") + n;
  return {{"ID", c.id},
          {"Name", c.name()},
          {"Names", c.name()},
          {"Image", c.image},
          {"Command", c.command},
          {"Project", label(c, labels::kProject)},
          {"Service", label(c, labels::kService)},
          {"Created", c.created},
          {"State", c.state},
          {"Status", c.status},
          {"Health", health},
          {"ExitCode", exit_code},
          {"Publishers", publishers},
          {"Networks", nets}};
}

void logs(engine::Client& client, const Project& project, const LogsOptions& opts,
          std::ostream& out) {
  auto containers = ps(client, project, true, opts.services);
  std::size_t width = 0;
  for (const auto& c : containers)
    width = std::max(width, c.name().size());
  static const char* kColors[] = {"36",   "33",   "32",   "35",   "34",
                                  "1;36", "1;33", "1;32", "1;35", "1;34"};
  std::mutex mu;  // one container's lines at a time on `out`
  each_container_at_once(containers, [&](std::size_t i, const engine::ContainerSummary& c) {
    std::string prefix;
    if (opts.prefix) {
      std::string name = c.name() + std::string(width - c.name().size(), ' ');
      prefix = opts.color ? "\x1b[" + std::string(kColors[i % 10]) + "m" + name + "  |\x1b[0m "
                          : name + "  | ";
    }
    std::string partial;
    engine::LogOptions lo;
    lo.follow = opts.follow;
    lo.timestamps = opts.timestamps;
    lo.tail = opts.tail;
    auto flush_lines = [&](std::string_view data) {
      partial.append(data);
      std::size_t start = 0;
      std::string chunk;
      for (std::size_t nl; (nl = partial.find('\n', start)) != std::string::npos; start = nl + 1)
        chunk += prefix + partial.substr(start, nl - start + 1);
      partial.erase(0, start);
      if (!chunk.empty()) {
        std::lock_guard lock(mu);
        out << chunk << std::flush;
      }
    };
    client.logs(c.id, lo, [&](engine::StreamType, std::string_view data) { flush_lines(data); });
    if (!partial.empty()) {
      std::lock_guard lock(mu);
      out << prefix << partial << "\n" << std::flush;
    }
  });
}

void pull(engine::Client& client, const Project& project, const std::vector<std::string>& services,
          const Progress& progress) {
  std::set<std::string> done;
  for (const auto& s : project.services) {
    if (!services.empty() && std::find(services.begin(), services.end(), s.name) == services.end())
      continue;
    if (!done.insert(s.image).second) continue;
    if (progress) progress(" Image " + s.image + "  Pulling");
    try {
      client.pull_image(s.image);
    } catch (const std::exception& e) {
      throw Error("service \"" + s.name + "\": can't pull image \"" + s.image + "\": " + e.what());
    }
    if (progress) progress(" Image " + s.image + "  Pulled");
  }
}

void lifecycle(engine::Client& client, const Project& project, Lifecycle what,
               const std::vector<std::string>& services, std::optional<int> timeout_s,
               const Progress& progress) {
  auto containers = ps(client, project, true, services);
  std::map<std::string, std::vector<engine::ContainerSummary>> by_service;
  for (const auto& c : containers)
    by_service[label(c, labels::kService)].push_back(c);
  std::vector<std::string> names;
  for (const auto& [s, cs] : by_service)
    names.push_back(s);
  auto order = [&](const std::string& s) {
    return what == Lifecycle::kStop ? dependents(project, s) : dependencies(project, s);
  };
  run_graph(names, order, [&](const std::string& s) {
    for (const auto& c : by_service[s]) {
      try {
        switch (what) {
          case Lifecycle::kStart:
            if (c.state == "running") continue;
            client.start_container(c.id);
            if (progress) progress(" Container " + c.name() + "  Started");
            break;
          case Lifecycle::kStop:
            if (c.state != "running" && c.state != "restarting" && c.state != "paused") continue;
            client.stop_container(c.id, stop_timeout(project, s, timeout_s));
            if (progress) progress(" Container " + c.name() + "  Stopped");
            break;
          case Lifecycle::kRestart:
            client.restart_container(c.id, stop_timeout(project, s, timeout_s));
            if (progress) progress(" Container " + c.name() + "  Restarted");
            break;
        }
      } catch (const std::exception& e) {
        throw Error("service \"" + s + "\": container " + c.name() + ": " + e.what());
      }
    }
  });
}

}  // namespace varan::compose
