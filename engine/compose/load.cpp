#include "engine/compose/load.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>

#include "engine/compose/dotenv.h"
#include "engine/compose/include.h"
#include "engine/compose/interpolate.h"
#include "engine/compose/limits.h"
#include "engine/compose/load_internal.h"
#include "engine/compose/merge.h"
#include "engine/compose/syntax.h"
#include "engine/compose/typing.h"
#include "engine/compose/units.h"

namespace varan::compose {

namespace fs = std::filesystem;

namespace {

const std::set<std::string, std::less<>> kTopLevel = {"services", "networks", "volumes", "secrets",
                                                      "configs",  "name",     "version"};

class Loader {
 public:
  explicit Loader(const LoadOptions& o) : opts_(o), files_(o.file_overlay) {}

  Project run() {
    pe_ = read_project_env(opts_, files_, budget_);
    Project p;
    p.env_files = pe_.env_files;

    // Every file and document parsed first: the project's name (the last `name:`) is known,
    // and given to interpolation as COMPOSE_PROJECT_NAME, before any file is interpolated.
    std::vector<std::vector<YNode>> parsed;
    const YNode* name_key = nullptr;
    for (const auto& f : pe_.files) {
      parsed.push_back(parse_file(f));
      bool empty = true;
      for (const auto& doc : parsed.back()) {
        if (doc.is_map() && !doc.map.empty()) empty = false;
        if (const YNode* n = doc.is_map() ? doc.find("name") : nullptr) {
          if (n->kind == YNode::Kind::kScalar && !n->value.empty() && !is_non_string_scalar(*n))
            name_key = n;
          else if (n->kind != YNode::Kind::kNull || !n->tag.empty())
            fail_at(*n, "name must be a string");
        }
      }
      if (empty) throw Error(f + ": empty compose file (it needs services: or another key)");
    }
    std::optional<YNode> name;
    if (name_key) {
      name = *name_key;
      interp_.lookup = lookup_in(pe_.env);
      interp_.budget = &budget_;
      interpolate_tree(*name, interp_);
    }
    p.name = resolve_project_name(opts_, pe_, name ? &*name : nullptr);
    pe_.env["COMPOSE_PROJECT_NAME"] = p.name;

    // Each document: interpolate, long syntax; then merge them in order.
    YNode merged = YNode::mapping();
    for (std::size_t i = 0; i < parsed.size(); ++i) {
      std::vector<std::string> chain{pe_.files[i]};
      merge_files(merged, prepare(std::move(parsed[i]), pe_.project_dir, pe_.env, chain));
      p.config_files.push_back(pe_.files[i]);
    }
    drop_resets_outside_services(merged);
    for (const auto& unset : interp_.unset)
      p.warnings.push_back("The \"" + unset +
                           "\" variable is not set. Defaulting to a blank string.");

    for (const auto& [k, v] : merged.map) {
      if (k.starts_with("x-")) continue;
      if (k == "models") {
        std::string msg =
            v.where() + ": top-level key \"" + k + "\" is not supported by varan compose";
        if (!opts_.ignore_unsupported)
          throw Error(msg + "; remove it, or pass --ignore-unsupported");
        p.warnings.push_back(msg + "; skipped");
        continue;
      }
      if (!kTopLevel.contains(k))
        throw Error(v.where() + ": unknown top-level key \"" + k + "\" (misspelt?)");
    }

    p.working_dir = pe_.project_dir;

    type_resources(merged, p);
    type_services(merged, p);
    return p;
  }

 private:
  // The documents of one file, parsed (`version` dropped with a warning).
  std::vector<YNode> parse_file(const std::string& file) {
    std::string text;
    try {
      text = files_.read(file);
    } catch (const varan::Error& e) {
      throw Error(std::string(e.what()));
    }
    std::vector<YNode> docs = parse_yaml_documents(text, file, &budget_);
    for (auto& doc : docs) {
      if (const YNode* v = doc.is_map() ? doc.find("version") : nullptr) {
        warnings_.push_back(v->where() +
                            ": the attribute `version` is obsolete, it will be ignored");
        doc.erase("version");
      }
    }
    return docs;
  }

  // A file's documents interpolated with `env`, in long syntax, their `include:`s imported,
  // and merged in order (a later document overrides an earlier one, as a later -f file
  // does). `!reset` / `!override` tags inside services stay until `extends` is resolved.
  // `chain` is the files including this one (and it), for include cycles.
  YNode prepare(std::vector<YNode> docs, const std::string& base, const Env& env,
                std::vector<std::string>& chain) {
    std::optional<YNode> out;
    for (auto& doc : docs) {
      if (!doc.is_map()) continue;
      interp_.lookup = lookup_in(env);
      interp_.budget = &budget_;
      interpolate_tree(doc, interp_);
      canonical_file(doc, base, pe_.home);
      if (const YNode* inc = doc.find("include")) {
        YNode include = *inc;
        doc.erase("include");
        for (const auto& entry : include_entries(include, base, pe_.home))
          import_included(doc, load_included(entry, env, chain), entry);
      }
      if (!out)
        out = std::move(doc);  // as it is: its tags act when it merges into the project
      else
        merge_files(*out, doc);
    }
    return out ? std::move(*out) : YNode::mapping();
  }

  // One `include:` entry as a project of its own: its folder, and the including project's
  // environment with its env files (default: its folder's .env) filling in what that lacks.
  YNode load_included(const IncludeEntry& entry, const Env& parent,
                      std::vector<std::string>& chain) {
    Env env = parent;
    std::vector<std::string> env_files = entry.env_files;
    if (!entry.env_files_given && files_.is_file(entry.project_dir + "/.env"))
      env_files = {entry.project_dir + "/.env"};
    for (const auto& f : env_files) {
      if (std::string why = files_.why_not_a_file(f); !why.empty())
        throw Error(entry.where + ": include: env_file " + f + " " + why);
      for (auto& [k, v] : parse_dotenv(files_.read(f), f, lookup_in(env), false, &budget_))
        env.emplace(k, v);  // the including project's environment wins
    }
    std::optional<YNode> out;
    for (const auto& path : entry.paths) {
      if (std::string why = files_.why_not_a_file(path); !why.empty())
        throw Error(entry.where + ": include: " + path + " " + why);
      check_include_cycle(chain, path);
      if (++included_ > kMaxIncludedFiles)
        throw Error(entry.where + ": include: more than " + std::to_string(kMaxIncludedFiles) +
                    " files included in all, the loader's limit");
      chain.push_back(path);
      YNode model = prepare(parse_file(path), entry.project_dir, env, chain);
      chain.pop_back();
      if (!out)
        out = std::move(model);
      else
        merge_files(*out, model);  // the entry's later paths override the first, as -f files
    }
    return std::move(*out);
  }

  YNode load_file(const std::string& file, const std::string& base) {
    std::vector<std::string> chain{file};
    return prepare(parse_file(file), base, pe_.env, chain);
  }

  const YNode& other_file_services(const std::string& file) {
    auto it = other_files_.find(file);
    if (it == other_files_.end()) {
      YNode root = load_file(file, fs::path(file).parent_path().string());
      drop_resets_outside_services(root);
      it = other_files_.emplace(file, std::move(root)).first;
    }
    static const YNode kEmpty = YNode::mapping();
    const YNode* s = it->second.find("services");
    return s ? *s : kEmpty;
  }

  // `name` of `services` (from `file`, "" for the project) with its `extends` applied.
  // Memoised, so each service of a chain is resolved once and a chain costs time linear in
  // its length; walked with a loop, not recursion, so a long chain can't exhaust the stack.
  const YNode& extended(const std::string& name, const YNode& def, const YNode& services) {
    struct Link {
      std::string id, from;
      const YNode* def;
    };
    std::vector<Link> chain{{"#" + name, "", &def}};
    std::set<std::string> ids{chain[0].id};
    while (!resolved_.contains(chain.back().id)) {
      const YNode& svc = *chain.back().def;
      const YNode* ext = svc.find("extends");
      if (!ext) break;
      if (!ext->is_map()) fail_at(*ext, "extends: expected a service name or {service, file}");
      const YNode* target = ext->find("service");
      if (!target || target->kind != YNode::Kind::kScalar)
        fail_at(*ext, "extends: needs the service to extend");
      std::string from = chain.back().from;
      const YNode* pool = from.empty() ? &services : &other_file_services(from);
      if (const YNode* f = ext->find("file"); f && f->kind == YNode::Kind::kScalar) {
        from = f->value;
        if (std::string why = files_.why_not_a_file(from); !why.empty())
          fail_at(*f, "extends: file " + from + " " + why);
        pool = &other_file_services(from);
      }
      std::string id = from + "#" + target->value;
      if (!ids.insert(id).second)
        fail_at(*ext, "extends: circular reference through service \"" + target->value + "\"");
      const YNode* base = pool->find(target->value);
      if (!base)
        fail_at(*ext, "extends: service \"" + target->value + "\" is not defined" +
                          (from.empty() ? "" : " in " + from));
      chain.push_back({std::move(id), std::move(from), base});
    }
    // From the base down: each link is its base with its own keys merged over it.
    auto it = resolved_.find(chain.back().id);
    if (it == resolved_.end()) {
      YNode base = *chain.back().def;
      base.erase("extends");
      drop_resets(base);  // a `!reset` with nothing under it
      it = resolved_.emplace(chain.back().id, std::move(base)).first;
    }
    for (std::size_t k = chain.size() - 1; k-- > 0;) {
      YNode out = it->second;
      YNode self = *chain[k].def;
      self.erase("extends");
      merge_service(out, self);  // its `!reset` / `!override` act on what it extends
      drop_resets(out);
      it = resolved_.emplace(chain[k].id, std::move(out)).first;
    }
    return it->second;
  }

  void type_resources(const YNode& merged, Project& p) {
    auto section = [&](const char* kind) -> const YNode* {
      const YNode* s = merged.find(kind);
      if (!s || s->is_null()) return nullptr;
      if (!s->is_map()) fail_at(*s, std::string(kind) + ": expected a mapping");
      return s;
    };
    Typer top("", opts_.ignore_unsupported, p.warnings);
    auto resource = [&](const std::string& kind, const std::string& key, const YNode& v,
                        std::initializer_list<std::string_view> allowed) {
      Resource r;
      r.key = key;
      r.config = Json::object();
      if (!v.is_null()) {
        if (!v.is_map()) fail_at(v, kind + " \"" + key + "\": expected a mapping");
        for (const auto& [k, x] : v.map) {
          if (k.starts_with("x-")) continue;
          if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
            std::string msg = x.where() + ": " + kind + " \"" + key + "\": key \"" + k +
                              "\" is not supported by varan compose";
            if (!opts_.ignore_unsupported)
              throw Error(msg + "; remove it, or pass --ignore-unsupported");
            p.warnings.push_back(msg + "; skipped");
            continue;
          }
          if (k == "external") {
            if (x.is_map()) {
              if (const YNode* n = x.find("name")) r.config["name"] = n->value;
              r.external = true;
            } else {
              r.external = top.boolean(x, kind + "." + key + ".external");
            }
          } else if (k == "labels" || k == "driver_opts") {
            YNode m = x;
            list_to_map(m, kind, k, false);
            r.config[k] = top.str_map(m, kind + "." + key + "." + k);
          } else if (k == "ipam") {
            r.config[k] = ipam(x, top, key);
          } else if (k == "internal" || k == "attachable" || k == "enable_ipv6" ||
                     k == "enable_ipv4") {
            r.config[k] = top.boolean(x, kind + "." + key + "." + k);
          } else {
            r.config[k] = top.str(x, kind + "." + key + "." + k);
          }
        }
      }
      if (r.external) r.config["external"] = true;
      if (r.config.contains("name")) {
        r.name = r.config["name"];
      } else {
        r.name = r.external ? key : p.name + "_" + key;
      }
      return r;
    };
    if (const YNode* s = section("networks"))
      for (const auto& [k, v] : s->map)
        p.networks.push_back(
            resource("network", k, v,
                     {"driver", "driver_opts", "external", "name", "labels", "internal",
                      "attachable", "enable_ipv6", "enable_ipv4", "ipam"}));
    if (const YNode* s = section("volumes"))
      for (const auto& [k, v] : s->map)
        p.volumes.push_back(
            resource("volume", k, v, {"driver", "driver_opts", "external", "name", "labels"}));
    for (const char* kind : {"secrets", "configs"}) {
      const YNode* s = section(kind);
      if (!s) continue;
      Json& out = std::string_view(kind) == "secrets" ? p.secrets : p.configs;
      for (const auto& [k, v] : s->map) {
        if (!v.is_map()) fail_at(v, std::string(kind) + " \"" + k + "\": expected a mapping");
        const YNode* f = v.find("file");
        for (const auto& [kk, x] : v.map)
          if (kk != "file" && kk != "name" && !kk.starts_with("x-")) {
            std::string msg = x.where() + ": " + kind + " \"" + k + "\": \"" + kk +
                              "\" is not supported by varan compose (only file-based " + kind + ")";
            if (!opts_.ignore_unsupported)
              throw Error(msg + "; remove it, or pass --ignore-unsupported");
            p.warnings.push_back(msg + "; skipped");
          }
        if (!f) {
          if (!opts_.ignore_unsupported)
            fail_at(v, std::string(kind) + " \"" + k + "\": needs file:");
          continue;
        }
        out[k] = {{"file", f->value}};
      }
    }
  }

  Json ipam(const YNode& x, Typer& t, const std::string& key) {
    if (!x.is_map()) fail_at(x, "network \"" + key + "\": ipam: expected a mapping");
    Json out = Json::object();
    for (const auto& [k, v] : x.map) {
      if (k == "driver") {
        out["driver"] = t.str(v, "ipam.driver");
      } else if (k == "options") {
        out["options"] = t.str_map(v, "ipam.options");
      } else if (k == "config") {
        Json cfgs = Json::array();
        if (!v.is_seq()) fail_at(v, "network \"" + key + "\": ipam.config: expected a list");
        for (const auto& c : v.seq) {
          if (!c.is_map()) fail_at(c, "network \"" + key + "\": ipam.config: expected mappings");
          Json o = Json::object();
          for (const auto& [ck, cv] : c.map) {
            if (ck == "aux_addresses") {
              o[ck] = t.str_map(cv, "ipam.config.aux_addresses");
            } else if (ck == "subnet" || ck == "ip_range" || ck == "gateway") {
              o[ck] = t.str(cv, "ipam.config." + ck);
            } else {
              fail_at(cv, "network \"" + key + "\": ipam.config: unknown key \"" + ck + "\"");
            }
          }
          cfgs.push_back(o);
        }
        out["config"] = cfgs;
      } else {
        fail_at(v, "network \"" + key + "\": ipam: unknown key \"" + k + "\"");
      }
    }
    return out;
  }

  void type_services(const YNode& merged, Project& p) {
    for (auto& w : warnings_)
      p.warnings.push_back(w);
    const YNode* services = merged.find("services");
    if (!services || services->is_null()) return;
    if (!services->is_map()) fail_at(*services, "services: expected a mapping");

    std::set<std::string> active = active_profiles(opts_, pe_.env);
    for (const auto& s : opts_.services)
      if (!services->find(s)) throw Error("no such service: " + s);

    std::vector<Service> all;
    std::vector<const YNode*> defs;
    for (const auto& [name, raw] : services->map) {
      const YNode& def = extended(name, raw, *services);
      all.push_back(type_service(name, def, p));
      defs.push_back(&raw);
    }

    bool want_default = false;
    for (std::size_t i = 0; i < all.size(); ++i) {
      Service& s = all[i];
      bool enabled =
          s.profiles.empty() || active.contains("*") ||
          std::find(opts_.services.begin(), opts_.services.end(), s.name) != opts_.services.end() ||
          std::any_of(s.profiles.begin(), s.profiles.end(),
                      [&](const std::string& x) { return active.contains(x); });
      if (!enabled) {
        p.disabled.push_back(s.name);
        continue;
      }
      if (s.network_mode.empty() && s.config.contains("networks") &&
          s.config["networks"].contains("default"))
        want_default = true;
      p.services.push_back(std::move(s));
    }
    if (want_default && !p.network("default")) {
      Resource r;
      r.key = "default";
      r.name = p.name + "_default";
      r.config = Json::object();
      p.networks.push_back(r);
    }

    // References: dependencies, networks, volumes, secrets and configs must exist.
    for (std::size_t i = 0; i < p.services.size(); ++i) {
      Service& s = p.services[i];
      const YNode* def = services->find(s.name);
      std::vector<Dependency> kept;
      for (const auto& d : s.depends_on) {
        if (!p.knows(d.service))
          fail_at(*def,
                  "service \"" + s.name + "\" depends on undefined service \"" + d.service + "\"");
        if (!p.find(d.service)) {
          if (!d.required) continue;
          fail_at(*def, "service \"" + s.name + "\" depends on \"" + d.service +
                            "\", which its profiles disable; enable one of its profiles with "
                            "--profile or name it on the command line");
        }
        kept.push_back(d);
      }
      s.depends_on = std::move(kept);
      for (const auto& key : s.network_keys())
        if (!p.network(key))
          fail_at(*def, "service \"" + s.name + "\" refers to undefined network \"" + key + "\"");
      for (const auto& v : s.config.value("volumes", Json::array()))
        if (v["type"] == "volume" && v.contains("source") &&
            !p.volume(v["source"].get<std::string>()))
          fail_at(*def, "service \"" + s.name + "\" refers to undefined volume \"" +
                            v["source"].get<std::string>() +
                            "\"; declare it under the top-level volumes:");
      for (const char* kind : {"secrets", "configs"}) {
        const Json& top = std::string_view(kind) == "secrets" ? p.secrets : p.configs;
        for (const auto& r : s.config.value(kind, Json::array()))
          if (!top.contains(r["source"].get<std::string>()))
            fail_at(*def, "service \"" + s.name + "\" refers to undefined " +
                              std::string(kind).substr(0, 6) + " \"" +
                              r["source"].get<std::string>() + "\"");
      }
    }
    // Cycles, searched as compose-go does (services and their dependencies by name), so the
    // same cycle is reported the same way; the message says where the first one is defined.
    std::map<std::string, int> state;  // 1 visiting, 2 done
    std::vector<std::string> path;
    std::function<void(const Service&)> visit = [&](const Service& s) {
      state[s.name] = 1;
      path.push_back(s.name);
      for (const auto& d : s.depends_on) {
        if (state[d.service] == 1) {
          std::string cycle;
          auto start = std::find(path.begin(), path.end(), d.service);
          for (auto it = start; it != path.end(); ++it)
            cycle += *it + " -> ";
          const YNode* at = services->find(d.service);
          throw Error((at ? at->where() + ": " : std::string()) +
                      "dependency cycle detected: " + cycle + d.service);
        }
        if (state[d.service] == 0)
          if (const Service* dep = p.find(d.service)) visit(*dep);
      }
      path.pop_back();
      state[s.name] = 2;
    };
    std::vector<const Service*> by_name;
    for (const auto& s : p.services)
      by_name.push_back(&s);
    std::sort(by_name.begin(), by_name.end(),
              [](const Service* a, const Service* b) { return a->name < b->name; });
    for (const Service* s : by_name)
      if (state[s->name] == 0) visit(*s);
  }

  Service type_service(const std::string& name, const YNode& def, Project& p) {
    Service s;
    s.name = name;
    s.config = Json::object();
    Typer t(name, opts_.ignore_unsupported, p.warnings);
    Json env = Json::object();
    bool has_env_file = false;
    for (const auto& [k, v] : def.map) {
      if (k.starts_with("x-") || k == "extends") continue;
      if (k == "env_file") {
        has_env_file = true;
        if (v.is_null()) continue;
        if (!v.is_seq()) t.fail(v, k, "expected a path or a list");
        for (const auto& e : v.seq) {
          if (!e.is_map()) t.fail(e, k, "expected a path or {path, required}");
          t.only(e, k, {"path", "required", "format"});
          const YNode* path = e.find("path");
          if (!path) t.fail(e, k, "needs a path");
          bool required =
              e.find("required") ? t.boolean(*e.find("required"), "env_file.required") : true;
          bool raw = false;
          if (const YNode* f = e.find("format")) {
            std::string fmt = t.str(*f, "env_file.format");
            if (fmt == "raw")
              raw = true;
            else if (!fmt.empty())
              t.fail(*f, "env_file.format", "expected raw, got \"" + fmt + "\"");
          }
          if (std::string why = files_.why_not_a_file(path->value); !why.empty()) {
            if (!required && why == "not found") continue;
            t.fail(e, k,
                   "env file " + path->value + " " + why +
                       (why == "not found" ? " (create it, or set required: false)"
                                           : " (env_file names a file of KEY=VALUE lines)"));
          }
          std::string text = files_.read(path->value);
          for (auto& [ek, ev] : parse_dotenv(text, path->value, lookup_in(pe_.env), raw, &budget_))
            env[ek] = ev;
        }
        continue;
      }
      Json out;
      if (t.key(k, v, out)) s.config[k] = std::move(out);
    }
    // environment: over env_file; a key without a value comes from the project environment,
    // and stays without one (null, over an env_file's value) when that has none.
    if (s.config.contains("environment")) {
      for (auto& [k, v] : s.config["environment"].items()) {
        if (v.is_null()) {
          auto it = pe_.env.find(k);
          env[k] = it != pe_.env.end() ? Json(it->second) : Json(nullptr);
        } else {
          env[k] = v;
        }
      }
    }
    if (!env.empty() || has_env_file || s.config.contains("environment"))
      s.config["environment"] = env;
    if (s.config.contains("environment") && s.config["environment"].empty())
      s.config.erase("environment");

    s.image = s.config.value("image", "");
    if (s.image.empty())
      throw Error(def.where() + ": service \"" + name +
                  "\" has no image; set image: (varan compose does not build)");
    s.container_name = s.config.value("container_name", "");
    s.pull_policy = s.config.value("pull_policy", "missing");
    // compose-go's GetPullPolicy: daily, weekly and every_<interval> refresh an image whose
    // local tag is older than that; a bare `refresh` (no interval) reads as missing.
    if (auto every = pull_refresh_seconds(s.pull_policy)) {
      s.pull_policy = "refresh";
      s.pull_refresh_s = *every;
    } else if (s.pull_policy == "refresh") {
      s.pull_policy = "missing";
    }
    if (s.config.contains("scale")) {
      s.scale = s.config["scale"];
    } else if (s.config.contains("deploy") && s.config["deploy"].contains("replicas")) {
      s.scale = s.config["deploy"]["replicas"];
    }
    if (s.scale < 0)
      throw Error(def.where() + ": service \"" + name + "\": scale can't be negative");
    if (s.scale > 1 && !s.container_name.empty())
      throw Error(def.where() + ": service \"" + name + "\": container_name \"" + s.container_name +
                  "\" can't be used with scale " + std::to_string(s.scale) +
                  "; remove one of them");
    for (const auto& pr : s.config.value("profiles", Json::array()))
      s.profiles.push_back(pr);
    s.network_mode = s.config.value("network_mode", "");
    if (!s.network_mode.empty()) {
      if (s.network_mode.starts_with("service:")) {
        t.unsupported(*def.find("network_mode"), "network_mode: service:");
        s.network_mode.clear();
        s.config.erase("network_mode");
      } else if (s.network_mode != "host" && s.network_mode != "none" &&
                 s.network_mode != "bridge" && !s.network_mode.starts_with("container:")) {
        t.fail(*def.find("network_mode"), "network_mode",
               "expected host, none, bridge or container:NAME, got \"" + s.network_mode + "\"");
      }
      if (s.config.contains("networks") && !s.network_mode.empty())
        t.fail(*def.find("networks"), "networks", "can't be used with network_mode");
    }
    if (s.network_mode.empty() && !s.config.contains("networks"))
      s.config["networks"] = {{"default", nullptr}};
    const Json deps = s.config.value("depends_on", Json::object());
    for (const auto& [dep, cfg] : deps.items()) {
      Dependency d;
      d.service = dep;
      d.condition = cfg["condition"];
      d.required = cfg["required"];
      d.restart = cfg["restart"];
      s.depends_on.push_back(d);
    }
    return s;
  }

  const LoadOptions& opts_;
  FileSource files_;
  ProjectEnv pe_;
  Interpolation interp_;
  Budget budget_;             // one for all files of the project (limits.h)
  std::size_t included_ = 0;  // files loaded through include: (kMaxIncludedFiles)
  std::vector<std::string> warnings_;
  std::map<std::string, YNode> other_files_;
  std::map<std::string, YNode> resolved_;  // "file#service" -> the service with extends applied
};

}  // namespace

Project load_project(const LoadOptions& opts) { return Loader(opts).run(); }

}  // namespace varan::compose
