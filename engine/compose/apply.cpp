#include "engine/compose/apply.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "engine/client.h"
#include "engine/compose/create_body.h"
#include "engine/compose/labels.h"

namespace varan::compose {

namespace {

class Runner {
 public:
  Runner(engine::Client& client, const Project& p, const Plan& plan, const Observed& o,
         const ApplyOptions& opts)
      : client_(client), p_(p), plan_(plan), o_(o), opts_(opts) {}

  ApplyResult run() {
    api_ = client_.api_version();
    for (const auto& a : plan_.actions) {
      if (a.op == Op::kCreateNetwork) create_network(a.name);
      if (a.op == Op::kCreateVolume) create_volume(a.name);
    }
    check_external();
    // Orphans first (they may hold names or ports), in parallel.
    std::vector<std::thread> threads;
    for (const auto& a : plan_.actions)
      if (a.op == Op::kRemove && !p_.find(a.service))
        threads.emplace_back([this, &a] { guarded("", [&] { remove(a); }); });
    for (auto& t : threads)
      t.join();
    threads.clear();
    if (!first_error_.empty()) throw Error(first_error_);

    std::vector<std::string> services;
    for (const auto& name : p_.dependency_order())
      if (!plan_.for_service(name).empty()) services.push_back(name);
    for (const auto& name : services)
      state_[name] = State::kPending;
    // A service with nothing to do and nothing to wait for needs no thread of its own.
    for (const auto& name : services) {
      const Service& s = *p_.find(name);
      auto actions = plan_.for_service(name);
      bool idle =
          s.depends_on.empty() && std::all_of(actions.begin(), actions.end(),
                                              [](const Action* a) { return a->op == Op::kKeep; });
      if (idle) service_task(name);
    }
    for (const auto& name : services)
      if (state_[name] == State::kPending)
        threads.emplace_back([this, name] { service_task(name); });
    for (auto& t : threads)
      t.join();
    if (!first_error_.empty()) throw Error(first_error_);
    if (opts_.wait) wait_all(services);
    return std::move(result_);
  }

 private:
  enum class State { kPending, kDone, kFailed };

  void say(const std::string& line) {
    if (!opts_.progress) return;
    std::lock_guard lock(out_mu_);
    opts_.progress(line);
  }

  void note(std::vector<std::string> ApplyResult::*field, const std::string& name) {
    std::lock_guard lock(mu_);
    (result_.*field).push_back(name);
  }

  template <typename F>
  bool guarded(const std::string& service, F&& f) {
    try {
      f();
      return true;
    } catch (const std::exception& e) {
      std::lock_guard lock(mu_);
      std::string msg = e.what();
      if (!service.empty() && msg.find("service \"" + service + "\"") == std::string::npos)
        msg = "service \"" + service + "\": " + msg;
      if (first_error_.empty()) first_error_ = msg;
      return false;
    }
  }

  void create_network(const std::string& name) {
    for (const auto& r : p_.networks) {
      if (r.name != name) continue;
      Json body = {{"Name", r.name}, {"CheckDuplicate", true}};
      const Json& c = r.config;
      body["Driver"] = c.value("driver", "bridge");
      if (c.contains("driver_opts")) body["Options"] = c["driver_opts"];
      if (c.contains("internal")) body["Internal"] = c["internal"];
      if (c.contains("attachable")) body["Attachable"] = c["attachable"];
      if (c.contains("enable_ipv6")) body["EnableIPv6"] = c["enable_ipv6"];
      if (c.contains("ipam")) {
        Json ipam = {{"Driver", c["ipam"].value("driver", "default")}};
        Json cfgs = Json::array();
        for (const auto& x : c["ipam"].value("config", Json::array())) {
          Json y = Json::object();
          if (x.contains("subnet")) y["Subnet"] = x["subnet"];
          if (x.contains("ip_range")) y["IPRange"] = x["ip_range"];
          if (x.contains("gateway")) y["Gateway"] = x["gateway"];
          if (x.contains("aux_addresses")) y["AuxiliaryAddresses"] = x["aux_addresses"];
          cfgs.push_back(y);
        }
        ipam["Config"] = cfgs;
        if (c["ipam"].contains("options")) ipam["Options"] = c["ipam"]["options"];
        body["IPAM"] = ipam;
      }
      Json l = c.value("labels", Json::object());
      l[labels::kProject] = p_.name;
      l[labels::kNetwork] = r.key;
      l[labels::kVersion] = labels::kCompatVersion;
      body["Labels"] = l;
      try {
        client_.create_network(body);
      } catch (const std::exception& e) {
        throw Error("network " + r.key + " (" + r.name + "): can't create it: " + e.what());
      }
      say(" Network " + r.name + "  Created");
    }
  }

  void create_volume(const std::string& name) {
    for (const auto& r : p_.volumes) {
      if (r.name != name) continue;
      Json body = {{"Name", r.name}, {"Driver", r.config.value("driver", "local")}};
      if (r.config.contains("driver_opts")) body["DriverOpts"] = r.config["driver_opts"];
      Json l = r.config.value("labels", Json::object());
      l[labels::kProject] = p_.name;
      l[labels::kVolume] = r.key;
      l[labels::kVersion] = labels::kCompatVersion;
      body["Labels"] = l;
      try {
        client_.create_volume(body);
      } catch (const std::exception& e) {
        throw Error("volume " + r.key + " (" + r.name + "): can't create it: " + e.what());
      }
      say(" Volume " + r.name + "  Created");
    }
  }

  void check_external() {
    std::set<std::string> used;
    for (const auto& s : p_.services)
      for (const auto& k : s.network_keys())
        used.insert(k);
    for (const auto& r : p_.networks)
      if (r.external && used.contains(r.key) && !o_.networks.contains(r.name)) {
        try {
          client_.inspect_network(r.name);
        } catch (const engine::NotFound&) {
          throw Error("network " + r.name +
                      " is declared as external, but could not be found; create it first");
        }
      }
    for (const auto& r : p_.volumes)
      if (r.external && !o_.volumes.contains(r.name)) {
        bool needed = false;
        for (const auto& s : p_.services)
          for (const auto& k : s.volume_keys())
            needed = needed || k == r.key;
        if (!needed) continue;
        try {
          client_.inspect_volume(r.name);
        } catch (const engine::NotFound&) {
          throw Error("volume " + r.name +
                      " is declared as external, but could not be found; create it first");
        }
      }
  }

  int stop_timeout(const Service* s) const {
    if (opts_.timeout_s) return *opts_.timeout_s;
    if (s && s->config.contains("stop_grace_period"))
      return static_cast<int>(s->config["stop_grace_period"].get<long long>() / 1'000'000'000LL);
    return 10;
  }

  void remove(const Action& a) {
    say(" Container " + a.name + "  Stopping");
    client_.stop_container(a.container, stop_timeout(p_.find(a.service)));
    client_.remove_container(a.container, true, false);
    say(" Container " + a.name + "  Removed");
    note(&ApplyResult::removed, a.name);
  }

  const engine::ContainerSummary* summary(const std::string& id) const {
    for (const auto& c : o_.containers)
      if (c.id == id) return &c;
    return nullptr;
  }

  std::string create(const Service& s, int number, const std::string& name,
                     const std::string& replaces, const engine::ContainerSummary* old) {
    std::map<std::string, std::string> anonymous;
    if (old)
      for (const auto& m : old->mounts)
        if (m.type == "volume" && m.name.size() == 64 &&
            m.name.find_first_not_of("0123456789abcdef") == std::string::npos)
          anonymous[m.destination] = m.name;
    Json body = create_body(p_, s, number, o_.image_ids.at(s.image), anonymous, replaces, api_);
    std::string id;
    try {
      id = client_.create_container(name, body);
    } catch (const std::exception& e) {
      throw Error("service \"" + s.name + "\": can't create container " + name + ": " + e.what());
    }
    auto nets = s.network_keys();
    for (std::size_t i = 1; i < nets.size(); ++i) {
      Json ep = Json::object();
      Json aliases = Json::array({s.name, container_name(p_, s, number)});
      const Json& cfg = s.config["networks"][nets[i]];
      if (cfg.is_object())
        for (const auto& al : cfg.value("aliases", Json::array()))
          aliases.push_back(al);
      ep["Aliases"] = aliases;
      if (cfg.is_object() && (cfg.contains("ipv4_address") || cfg.contains("ipv6_address"))) {
        Json ipam = Json::object();
        if (cfg.contains("ipv4_address")) ipam["IPv4Address"] = cfg["ipv4_address"];
        if (cfg.contains("ipv6_address")) ipam["IPv6Address"] = cfg["ipv6_address"];
        ep["IPAMConfig"] = ipam;
      }
      try {
        client_.connect_network(p_.network(nets[i])->name, id, ep);
      } catch (const std::exception& e) {
        client_.remove_container(id, true, false);
        throw Error("service \"" + s.name + "\": can't connect " + name + " to network " +
                    p_.network(nets[i])->name + ": " + e.what());
      }
    }
    return id;
  }

  void start(const Service& s, const std::string& id, const std::string& name) {
    try {
      client_.start_container(id);
    } catch (const std::exception& e) {
      throw Error("service \"" + s.name + "\": container " + name +
                  " failed to start: " + e.what());
    }
  }

  void recreate(const Service& s, const Action& a) {
    const engine::ContainerSummary* old = summary(a.container);
    std::string replaces =
        s.container_name.empty() ? s.name + "-" + std::to_string(a.number) : s.container_name;
    std::string tmp = a.container.substr(0, 12) + "_" + a.name;
    say(" Container " + a.name + "  Recreate");
    std::string id = create(s, a.number, tmp, replaces, old);
    bool was_running = old && old->state == "running";
    client_.stop_container(a.container, stop_timeout(&s));
    try {
      start(s, id, a.name);
    } catch (const std::exception& e) {
      // Put things back as they were: the new container goes, the old one runs again.
      try {
        client_.remove_container(id, true, false);
      } catch (...) {
      }
      if (was_running) {
        try {
          client_.start_container(a.container);
        } catch (...) {
        }
      }
      throw Error(std::string(e.what()) +
                  (was_running ? "; the previous container " + a.name + " is running again" : ""));
    }
    client_.remove_container(a.container, true, false);
    client_.rename_container(id, a.name);
    say(" Container " + a.name + "  Recreated");
    note(&ApplyResult::recreated, a.name);
    set_container(s.name, id, a.name);
  }

  void set_container(const std::string& service, const std::string& id, const std::string& name) {
    std::lock_guard lock(mu_);
    containers_[service].push_back(id);
    names_[id] = name;
  }

  void service_task(const std::string& name) {
    const Service& s = *p_.find(name);
    // Wait for what this service depends on to be done.
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] {
        for (const auto& d : s.depends_on)
          if (state_.contains(d.service) && state_[d.service] == State::kPending) return false;
        return true;
      });
    }
    bool ok = true;
    for (const auto& d : s.depends_on) {
      State st;
      {
        std::lock_guard lock(mu_);
        st = state_.contains(d.service) ? state_[d.service] : State::kDone;
      }
      if (st == State::kFailed) {
        if (d.required) {
          ok = false;
          break;
        }
        say(" Service " + name + "  dependency " + d.service + " failed (required: false)");
        continue;
      }
      if (d.condition == "service_started") continue;
      if (!guarded(name, [&] { wait_condition(name, d); })) {
        if (d.required) {
          ok = false;
          break;
        }
      }
    }
    if (ok) {
      std::lock_guard lock(mu_);
      ok = first_error_.empty();  // nothing new starts after a failure
    }
    if (ok) ok = guarded(name, [&] { run_service(s); });
    {
      std::lock_guard lock(mu_);
      state_[name] = ok ? State::kDone : State::kFailed;
    }
    cv_.notify_all();
  }

  void run_service(const Service& s) {
    std::vector<const Action*> actions = plan_.for_service(s.name);
    for (const Action* a : actions)
      if (a->op == Op::kRemove) remove(*a);
    for (const Action* a : actions)
      if (a->op == Op::kRename) {
        client_.rename_container(a->container, a->name);
        say(" Container " + a->name + "  Renamed");
      }
    for (const Action* a : actions) {
      switch (a->op) {
        case Op::kCreate: {
          say(" Container " + a->name + "  Creating");
          std::string id = create(s, a->number, a->name, "", nullptr);
          start(s, id, a->name);
          say(" Container " + a->name + "  Started");
          note(&ApplyResult::created, a->name);
          set_container(s.name, id, a->name);
          break;
        }
        case Op::kRecreate:
          recreate(s, *a);
          break;
        case Op::kStart:
          start(s, a->container, a->name);
          say(" Container " + a->name + "  Started");
          note(&ApplyResult::started, a->name);
          set_container(s.name, a->container, a->name);
          break;
        case Op::kRestart:
          client_.restart_container(a->container, stop_timeout(&s));
          say(" Container " + a->name + "  Restarted");
          note(&ApplyResult::restarted, a->name);
          set_container(s.name, a->container, a->name);
          break;
        case Op::kKeep:
          say(" Container " + a->name + "  Running");
          note(&ApplyResult::kept, a->name);
          set_container(s.name, a->container, a->name);
          break;
        default:
          break;
      }
    }
  }

  std::vector<std::string> containers_of(const std::string& service) {
    std::lock_guard lock(mu_);
    return containers_[service];
  }

  // Blocks until `dep`'s containers meet the condition; throws naming both services.
  void wait_condition(const std::string& service, const Dependency& dep) {
    auto deadline = opts_.wait_timeout ? std::chrono::steady_clock::now() + *opts_.wait_timeout
                                       : std::chrono::steady_clock::time_point::max();
    std::vector<std::string> ids = containers_of(dep.service);
    for (const auto& id : ids) {
      while (true) {
        engine::ContainerInspect c = client_.inspect_container(id);
        if (dep.condition == "service_healthy") {
          if (!c.raw["Config"].contains("Healthcheck") && c.state.health.empty())
            throw Error("service \"" + service + "\" waits for \"" + dep.service +
                        "\" to be healthy, but it has no healthcheck; add one or use condition "
                        "service_started");
          if (c.state.health == "healthy") break;
          if (c.state.health == "unhealthy")
            throw Error("service \"" + service + "\" not started: dependency \"" + dep.service +
                        "\" is unhealthy");
          if (!c.state.running && c.state.status != "restarting" && c.state.status != "created")
            throw Error("service \"" + service + "\" not started: dependency \"" + dep.service +
                        "\" exited with code " + std::to_string(c.state.exit_code));
        } else {  // service_completed_successfully
          if (c.state.status == "exited" || c.state.status == "dead") {
            if (c.state.exit_code == 0) break;
            throw Error("service \"" + service + "\" not started: dependency \"" + dep.service +
                        "\" didn't complete successfully: exit " +
                        std::to_string(c.state.exit_code));
          }
        }
        if (std::chrono::steady_clock::now() > deadline)
          throw Error("service \"" + service + "\": timed out waiting for \"" + dep.service + "\"");
        std::this_thread::sleep_for(opts_.poll);
      }
    }
  }

  void wait_all(const std::vector<std::string>& services) {
    auto deadline = opts_.wait_timeout ? std::chrono::steady_clock::now() + *opts_.wait_timeout
                                       : std::chrono::steady_clock::time_point::max();
    for (const auto& name : services)
      for (const auto& id : containers_of(name)) {
        while (true) {
          engine::ContainerInspect c = client_.inspect_container(id);
          if (c.state.running && (c.state.health.empty() || c.state.health == "healthy")) break;
          if (c.state.health == "unhealthy") throw Error("service \"" + name + "\" is unhealthy");
          if (c.state.status == "exited" || c.state.status == "dead") {
            if (c.state.exit_code == 0) break;
            throw Error("service \"" + name + "\" exited with code " +
                        std::to_string(c.state.exit_code));
          }
          if (std::chrono::steady_clock::now() > deadline)
            throw Error("service \"" + name +
                        "\": timed out waiting for it to be running and healthy");
          std::this_thread::sleep_for(opts_.poll);
        }
        say(" Container " + name_of(id) + "  Healthy");
      }
  }

  std::string name_of(const std::string& id) {
    std::lock_guard lock(mu_);
    return names_[id];
  }

  engine::Client& client_;
  const Project& p_;
  const Plan& plan_;
  const Observed& o_;
  const ApplyOptions& opts_;
  std::string api_;
  std::mutex mu_, out_mu_;
  std::condition_variable cv_;
  std::map<std::string, State> state_;
  std::map<std::string, std::vector<std::string>> containers_;
  std::map<std::string, std::string> names_;
  std::string first_error_;
  ApplyResult result_;
};

}  // namespace

ApplyResult apply_plan(engine::Client& client, const Project& project, const Plan& plan,
                       const Observed& observed, const ApplyOptions& opts) {
  return Runner(client, project, plan, observed, opts).run();
}

}  // namespace varan::compose
