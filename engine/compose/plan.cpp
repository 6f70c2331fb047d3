#include "engine/compose/plan.h"

#include <algorithm>
#include <ctime>
#include <functional>

#include "engine/client.h"
#include "engine/compose/labels.h"

namespace varan::compose {

namespace {

std::string label(const engine::ContainerSummary& c, const char* key) {
  auto it = c.labels.find(key);
  return it == c.labels.end() ? "" : it->second;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v)
    out += (out.empty() ? "" : sep) + s;
  return out;
}

bool has_network(const engine::ContainerSummary& c, const std::string& name) {
  return std::find(c.networks.begin(), c.networks.end(), name) != c.networks.end();
}

bool has_volume(const engine::ContainerSummary& c, const std::string& name) {
  return std::any_of(c.mounts.begin(), c.mounts.end(), [&](const engine::MountSummary& m) {
    return m.type == "volume" && m.name == name;
  });
}

// Why a container must be recreated, or "" when it is up to date.
std::string divergence(const Project& p, const Service& s, const engine::ContainerSummary& c,
                       const std::string& hash, const std::string& digests,
                       const std::string& image_id) {
  std::vector<std::string> why;
  if (label(c, labels::kConfigHash) != hash) {
    std::string old = label(c, labels::kConfigKeys);
    std::vector<std::string> keys =
        old.empty() ? std::vector<std::string>{} : changed_keys(old, digests);
    if (keys.empty()) {
      why.push_back("configuration changed");
    } else {
      why.push_back(join(keys, ", ") + (keys.size() == 1 ? " changed" : " changed"));
    }
  }
  if (label(c, labels::kImage) != image_id) why.push_back("image changed");
  if (c.state == "running")
    for (const auto& key : s.network_keys())
      if (const Resource* r = p.network(key); r && !has_network(c, r->name))
        why.push_back("not on network " + r->name);
  for (const auto& key : s.volume_keys())
    if (const Resource* r = p.volume(key); r && !has_volume(c, r->name))
      why.push_back("volume " + r->name + " not mounted");
  return join(why, "; ");
}

// True when `name` is the temporary name `<id12>_<proper>` a recreate gives the new
// container until the old one is gone (apply.cpp).
bool temporary_name_of(const std::string& name, const std::string& proper) {
  return name.size() == 13 + proper.size() && name[12] == '_' && name.ends_with(proper) &&
         name.find_first_not_of("0123456789abcdef") >= 12;
}

}  // namespace

int container_number(const engine::ContainerSummary& c) {
  std::string n = label(c, labels::kNumber);
  try {
    return n.empty() ? 0 : std::stoi(n);
  } catch (...) {
    return 0;
  }
}

std::vector<const engine::ContainerSummary*> service_containers(const Observed& o,
                                                                const std::string& service) {
  std::vector<const engine::ContainerSummary*> out;
  for (const auto& c : o.containers)
    if (label(c, labels::kService) == service && label(c, labels::kOneOff) != "True")
      out.push_back(&c);
  std::stable_sort(out.begin(), out.end(),
                   [](auto* a, auto* b) { return container_number(*a) < container_number(*b); });
  return out;
}

// The engine's Metadata.LastTagTime ("2026-12-03T20:01:02.123456789Z") in Unix seconds; 0
// when it is missing or zero (never tagged here: as old as can be).
long long image_tagged_at(const Json& image) {
  const Json* t = nullptr;
  if (auto m = image.find("Metadata"); m != image.end() && m->is_object())
    if (auto l = m->find("LastTagTime"); l != m->end() && l->is_string()) t = &*l;
  if (!t) return 0;
  std::tm tm{};
  const std::string& text = t->get_ref<const std::string&>();
  if (!strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) || tm.tm_year < 70) return 0;
  long long at = static_cast<long long>(timegm(&tm));
  // An offset other than Z ("+01:00") moves it.
  std::size_t zone = text.find_first_of("Z+-", 19);
  if (zone != std::string::npos && text[zone] != 'Z' && text.size() >= zone + 6) {
    long long off =
        std::stoll(text.substr(zone + 1, 2)) * 3600 + std::stoll(text.substr(zone + 4, 2)) * 60;
    at += text[zone] == '+' ? -off : off;
  }
  return at;
}

Observed observe(engine::Client& client, const Project& project) {
  Observed o;
  o.containers = client.list_containers(
      true, {{"label", {std::string(labels::kProject) + "=" + project.name}}});
  for (const auto& s : project.services) {
    if (o.image_ids.contains(s.image)) continue;
    try {
      engine::ImageInspect image = client.inspect_image(s.image);
      o.image_ids[s.image] = image.id;
      o.image_tagged[s.image] = image_tagged_at(image.raw);
    } catch (const engine::NotFound&) {
      o.image_ids[s.image] = "";
    }
  }
  for (const auto& c : o.containers) {
    for (const auto& n : c.networks)
      o.networks.insert(n);
    for (const auto& m : c.mounts)
      if (m.type == "volume" && !m.name.empty()) o.volumes.insert(m.name);
  }
  std::set<std::string> needed_networks, needed_volumes;
  for (const auto& s : project.services) {
    for (const auto& k : s.network_keys())
      if (const Resource* r = project.network(k)) needed_networks.insert(r->name);
    for (const auto& k : s.volume_keys())
      if (const Resource* r = project.volume(k)) needed_volumes.insert(r->name);
  }
  if (std::any_of(needed_networks.begin(), needed_networks.end(),
                  [&](const std::string& n) { return !o.networks.contains(n); }))
    for (const auto& n : client.list_networks())
      o.networks.insert(n.name);
  if (std::any_of(needed_volumes.begin(), needed_volumes.end(),
                  [&](const std::string& n) { return !o.volumes.contains(n); }))
    for (const auto& v : client.list_volumes())
      o.volumes.insert(v.name);
  return o;
}

std::set<std::string> selected_services(const Project& project,
                                        const std::vector<std::string>& names) {
  std::set<std::string> out;
  if (names.empty()) {
    for (const auto& s : project.services)
      out.insert(s.name);
    return out;
  }
  std::function<void(const std::string&)> add = [&](const std::string& n) {
    if (!out.insert(n).second) return;
    if (const Service* s = project.find(n))
      for (const auto& d : s->depends_on)
        add(d.service);
  };
  for (const auto& n : names)
    add(n);
  return out;
}

Plan make_plan(const Project& p, const Observed& o, const PlanOptions& opts) {
  Plan plan;
  std::set<std::string> selected = selected_services(p, opts.services);

  // Images that are not here, or that the pull policy wants fresh.
  std::set<std::string> pulled;
  for (const auto& name : p.dependency_order()) {
    const Service& s = *p.find(name);
    if (!selected.contains(name) || pulled.contains(s.image)) continue;
    std::string policy = opts.pull.empty() ? s.pull_policy : opts.pull;
    bool present = !o.image_ids.at(s.image).empty();
    std::string why = present ? "" : "not present locally";
    if (policy == "always" && present) why = "pull policy always";
    if (policy == "refresh" && present && opts.pull.empty()) {
      auto it = o.image_tagged.find(s.image);
      long long age = opts.now - (it == o.image_tagged.end() ? 0 : it->second);
      if (age >= s.pull_refresh_s)
        why = "pull policy " + s.config.value("pull_policy", "") + ": tagged here " +
              (it == o.image_tagged.end() || it->second == 0 ? std::string("at an unknown time")
                                                             : std::to_string(age) + " s ago");
    }
    if (!why.empty() && policy != "never") {
      plan.actions.push_back({Op::kPull, "", 0, "", s.image, why});
      pulled.insert(s.image);
    }
  }

  // Networks and volumes the selected services need.
  std::set<std::string> seen;
  for (const auto& name : p.dependency_order()) {
    if (!selected.contains(name)) continue;
    const Service& s = *p.find(name);
    for (const auto& k : s.network_keys()) {
      const Resource* r = p.network(k);
      if (!r || r->external || o.networks.contains(r->name) || !seen.insert("n:" + r->name).second)
        continue;
      plan.actions.push_back({Op::kCreateNetwork, "", 0, "", r->name, "missing"});
    }
    for (const auto& k : s.volume_keys()) {
      const Resource* r = p.volume(k);
      if (!r || r->external || o.volumes.contains(r->name) || !seen.insert("v:" + r->name).second)
        continue;
      plan.actions.push_back({Op::kCreateVolume, "", 0, "", r->name, "missing"});
    }
  }

  // Orphans: containers of services the project no longer has.
  for (const auto& c : o.containers) {
    if (label(c, labels::kOneOff) == "True") continue;
    std::string svc = label(c, labels::kService);
    if (p.knows(svc)) continue;
    if (opts.remove_orphans) {
      plan.actions.push_back(
          {Op::kRemove, svc, container_number(c), c.id, c.name(), "orphan (--remove-orphans)"});
    } else {
      plan.actions.push_back(
          {Op::kOrphan, svc, container_number(c), c.id, c.name(),
           "orphan: service " + svc + " is not in the project; --remove-orphans removes it"});
    }
  }

  std::set<std::string> recreated;
  for (const auto& name : p.dependency_order()) {
    if (!selected.contains(name)) continue;
    const Service& s = *p.find(name);
    std::string hash = config_hash(s), digests = key_digests(s);
    std::string image_id = o.image_ids.at(s.image);
    auto existing = service_containers(o, name);
    // A recreate killed between its steps leaves the new container under its temporary name
    // for good. Finish it: when the proper name is taken (the old container is still there)
    // the new one goes; else it takes its name, and is then judged like any other.
    std::set<std::string> names, renamed;
    for (auto* c : existing)
      names.insert(c->name());
    std::erase_if(existing, [&](const engine::ContainerSummary* c) {
      std::string proper = container_name(p, s, container_number(*c));
      if (!temporary_name_of(c->name(), proper)) return false;
      if (names.contains(proper)) {
        plan.actions.push_back({Op::kRemove, name, container_number(*c), c->id, c->name(),
                                "left over from an interrupted recreate of " + proper});
        return true;
      }
      plan.actions.push_back({Op::kRename, name, container_number(*c), c->id, proper,
                              "an interrupted recreate left it as " + c->name()});
      renamed.insert(c->id);
      return false;
    });
    int max_number = 0;
    for (auto* c : existing)
      max_number = std::max(max_number, container_number(*c));

    std::size_t keep = std::min<std::size_t>(existing.size(), static_cast<std::size_t>(s.scale));
    for (std::size_t i = keep; i < existing.size(); ++i)
      plan.actions.push_back({Op::kRemove, name, container_number(*existing[i]), existing[i]->id,
                              existing[i]->name(), "scale " + std::to_string(s.scale)});

    std::vector<std::string> restarted_by;
    for (const auto& d : s.depends_on)
      if (d.restart && recreated.contains(d.service)) restarted_by.push_back(d.service);

    bool any_recreate = false;
    for (std::size_t i = 0; i < keep; ++i) {
      const auto& c = *existing[i];
      int n = container_number(c);
      std::string why;
      if (opts.recreate == RecreatePolicy::kForce) {
        why = "--force-recreate";
      } else if (opts.recreate == RecreatePolicy::kDiverged) {
        why = divergence(p, s, c, hash, digests, image_id);
      }
      std::string cname = container_name(p, s, n);
      if (!why.empty()) {
        plan.actions.push_back({Op::kRecreate, name, n, c.id, cname, why});
        any_recreate = true;
      } else if (c.state != "running" && c.state != "restarting" && c.state != "paused") {
        plan.actions.push_back({Op::kStart, name, n, c.id, cname, "not running (" + c.state + ")"});
      } else if (!restarted_by.empty()) {
        plan.actions.push_back({Op::kRestart, name, n, c.id, cname,
                                "dependency " + join(restarted_by, ", ") + " recreated"});
      } else {
        plan.actions.push_back({Op::kKeep, name, n, c.id, cname,
                                renamed.contains(c.id) ? "up to date once renamed" : "up to date"});
      }
    }
    for (int i = static_cast<int>(keep); i < s.scale; ++i) {
      int n = ++max_number;
      plan.actions.push_back({Op::kCreate, name, n, "", container_name(p, s, n),
                              existing.empty() ? "new" : "scale " + std::to_string(s.scale)});
      any_recreate = true;
    }
    if (any_recreate) recreated.insert(name);
  }
  return plan;
}

bool Plan::changes() const {
  return std::any_of(actions.begin(), actions.end(),
                     [](const Action& a) { return a.op != Op::kKeep && a.op != Op::kOrphan; });
}

const char* op_name(Op op) {
  switch (op) {
    case Op::kPull:
      return "pull";
    case Op::kCreateNetwork:
      return "create network";
    case Op::kCreateVolume:
      return "create volume";
    case Op::kCreate:
      return "create";
    case Op::kRecreate:
      return "recreate";
    case Op::kStart:
      return "start";
    case Op::kRestart:
      return "restart";
    case Op::kRemove:
      return "remove";
    case Op::kRename:
      return "rename";
    case Op::kKeep:
      return "keep";
    case Op::kOrphan:
      return "orphan";
  }
  return "?";
}

std::string Plan::describe() const {
  std::string out;
  for (const auto& a : actions) {
    out += op_name(a.op);
    if (!a.service.empty()) {
      out += " " + a.service + " (" + a.name + ")";
    } else {
      out += " " + a.name;
    }
    out += ": " + a.reason + "\n";
  }
  return out;
}

std::vector<const Action*> Plan::for_service(const std::string& service) const {
  std::vector<const Action*> out;
  for (const auto& a : actions)
    if (a.service == service && a.op != Op::kOrphan) out.push_back(&a);
  return out;
}

}  // namespace varan::compose
