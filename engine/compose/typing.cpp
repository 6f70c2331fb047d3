#include "engine/compose/typing.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>

#include "engine/compose/load_internal.h"
#include "engine/compose/units.h"

namespace varan::compose {

namespace fs = std::filesystem;

namespace {

// Service keys compose knows and Varan does not run.
const std::set<std::string, std::less<>> kUnsupportedServiceKeys = {"attach",
                                                                    "blkio_config",
                                                                    "build",
                                                                    "cgroup",
                                                                    "cpu_count",
                                                                    "cpu_percent",
                                                                    "cpu_rt_period",
                                                                    "cpu_rt_runtime",
                                                                    "credential_spec",
                                                                    "develop",
                                                                    "device_cgroup_rules",
                                                                    "external_links",
                                                                    "gpus",
                                                                    "isolation",
                                                                    "label_file",
                                                                    "links",
                                                                    "models",
                                                                    "net",
                                                                    "oom_kill_disable",
                                                                    "platform",
                                                                    "post_start",
                                                                    "pre_stop",
                                                                    "provider",
                                                                    "pull_refresh_after",
                                                                    "storage_opt",
                                                                    "use_api_socket",
                                                                    "volumes_from",
                                                                    "annotations",
                                                                    "lifecycle",
                                                                    "volume_driver",
                                                                    "mem_swappiness",
                                                                    "cpuset",
                                                                    "cgroup_parent",
                                                                    "runtime",
                                                                    "userns_mode",
                                                                    "uts",
                                                                    "blkio_weight"};

const std::set<std::string, std::less<>> kRestart = {"no", "always", "unless-stopped",
                                                     "on-failure"};

}  // namespace

Typer::Typer(std::string service, bool ignore, std::vector<std::string>& warnings)
    : service_(std::move(service)), ignore_(ignore), warnings_(warnings) {}

void Typer::fail(const YNode& n, const std::string& key, const std::string& why) const {
  fail_at(n, svc_key(service_, key) + ": " + why);
}

bool Typer::unsupported(const YNode& n, const std::string& key) {
  std::string msg = svc_key(service_, key) + " is not supported by varan compose";
  if (!ignore_)
    fail_at(n, msg + "; remove it, or pass --ignore-unsupported to skip it with a warning");
  warnings_.push_back(n.where() + ": " + msg + "; skipped (--ignore-unsupported)");
  return false;
}

std::string Typer::str(const YNode& n, const std::string& key) const {
  if (n.kind == YNode::Kind::kScalar) return n.value;
  if (n.kind == YNode::Kind::kNull) return "";
  fail(n, key, "expected a string");
}

bool Typer::boolean(const YNode& n, const std::string& key) const {
  if (n.kind == YNode::Kind::kScalar) {
    std::string l;
    for (char c : n.value)
      l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (l == "true" || l == "yes" || l == "on" || l == "y") return true;
    if (l == "false" || l == "no" || l == "off" || l == "n") return false;
  }
  fail(n, key, "expected true or false, got \"" + n.value + "\"");
}

long long Typer::integer(const YNode& n, const std::string& key) const {
  if (n.kind == YNode::Kind::kScalar && !n.value.empty()) {
    std::size_t pos = 0;
    try {
      long long v = std::stoll(n.value, &pos, 10);
      if (pos == n.value.size()) return v;
    } catch (...) {
    }
  }
  fail(n, key, "expected an integer, got \"" + n.value + "\"");
}

double Typer::number(const YNode& n, const std::string& key) const {
  if (n.kind == YNode::Kind::kScalar && !n.value.empty()) {
    std::size_t pos = 0;
    try {
      double v = std::stod(n.value, &pos);
      if (pos == n.value.size() && std::isfinite(v)) return v;
    } catch (...) {
    }
  }
  fail(n, key, "expected a number, got \"" + n.value + "\"");
}

long long Typer::duration(const YNode& n, const std::string& key) const {
  if (n.kind == YNode::Kind::kScalar) {
    if (!n.quoted && !n.value.empty() && std::all_of(n.value.begin(), n.value.end(), ::isdigit))
      return std::stoll(n.value) * 1'000'000'000LL;  // a bare number: seconds
    if (auto d = parse_duration(n.value)) return *d;
  }
  fail(n, key, "expected a duration like 10s, 1m30s or 500ms, got \"" + n.value + "\"");
}

long long Typer::bytes(const YNode& n, const std::string& key) const {
  if (n.kind == YNode::Kind::kScalar)
    if (auto b = parse_bytes(n.value)) return *b;
  fail(n, key, "expected a size like 512m or 1g, got \"" + n.value + "\"");
}

Json Typer::str_list(const YNode& n, const std::string& key) const {
  Json out = Json::array();
  if (n.kind == YNode::Kind::kScalar) {
    out.push_back(n.value);
    return out;
  }
  if (n.is_null()) return out;
  if (!n.is_seq()) fail(n, key, "expected a list of strings");
  for (const auto& e : n.seq)
    out.push_back(str(e, key));
  return out;
}

Json Typer::str_map(const YNode& n, const std::string& key, bool allow_null) const {
  Json out = Json::object();
  if (n.is_null()) return out;
  if (!n.is_map()) fail(n, key, "expected a mapping");
  for (const auto& [k, v] : n.map) {
    if (v.is_null() && allow_null) {
      out[k] = nullptr;
    } else if (v.kind == YNode::Kind::kScalar || v.is_null()) {
      out[k] = v.is_null() ? "" : v.value;
    } else {
      fail(v, key + "." + k, "expected a string");
    }
  }
  return out;
}

const YNode& Typer::map(const YNode& n, const std::string& key) const {
  if (!n.is_map()) fail(n, key, "expected a mapping");
  return n;
}

void Typer::only(const YNode& n, const std::string& key,
                 std::initializer_list<std::string_view> allowed) {
  for (const auto& [k, v] : n.map) {
    if (k.starts_with("x-")) continue;
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      if (!ignore_)
        fail(v, key + "." + k,
             "is not a key varan compose supports here; remove it, or pass --ignore-unsupported");
      warnings_.push_back(v.where() + ": " + svc_key(service_, key + "." + k) +
                          " is not supported; skipped");
    }
  }
}

Json Typer::ports(const YNode& n) {
  Json out = Json::array();
  if (!n.is_seq()) fail(n, "ports", "expected a list");
  for (const auto& e : n.seq) {
    if (!e.is_map()) fail(e, "ports", "expected a port");
    only(e, "ports",
         {"target", "published", "host_ip", "protocol", "mode", "name", "app_protocol"});
    Json p;
    const YNode* t = e.find("target");
    if (!t) fail(e, "ports", "a port needs a target");
    long long target = integer(*t, "ports.target");
    if (target < 1 || target > 65535) fail(*t, "ports.target", "port out of range");
    p["target"] = target;
    if (const YNode* v = e.find("published"); v && !v->is_null())
      p["published"] = str(*v, "ports.published");
    if (const YNode* v = e.find("host_ip"); v && !v->is_null())
      p["host_ip"] = str(*v, "ports.host_ip");
    std::string proto = "tcp";
    if (const YNode* v = e.find("protocol"); v && !v->is_null()) proto = str(*v, "ports.protocol");
    if (proto != "tcp" && proto != "udp" && proto != "sctp")
      fail(e, "ports.protocol", "expected tcp, udp or sctp");
    p["protocol"] = proto;
    std::string mode = "ingress";
    if (const YNode* v = e.find("mode"); v && !v->is_null()) mode = str(*v, "ports.mode");
    p["mode"] = mode;
    if (const YNode* v = e.find("name"); v && !v->is_null()) p["name"] = str(*v, "ports.name");
    if (const YNode* v = e.find("app_protocol"); v && !v->is_null())
      p["app_protocol"] = str(*v, "ports.app_protocol");
    out.push_back(std::move(p));
  }
  return out;
}

Json Typer::volumes(const YNode& n) {
  Json out = Json::array();
  if (!n.is_seq()) fail(n, "volumes", "expected a list");
  for (const auto& e : n.seq) {
    if (!e.is_map()) fail(e, "volumes", "expected a volume");
    only(e, "volumes",
         {"type", "source", "target", "read_only", "bind", "volume", "tmpfs", "consistency"});
    Json v;
    std::string type = e.find("type") ? str(*e.find("type"), "volumes.type") : "volume";
    if (type != "bind" && type != "volume" && type != "tmpfs") {
      unsupported(e, "volumes (type " + type + ")");
      continue;
    }
    v["type"] = type;
    if (const YNode* s = e.find("source"); s && !s->is_null())
      v["source"] = str(*s, "volumes.source");
    const YNode* t = e.find("target");
    if (!t || t->is_null()) fail(e, "volumes", "a volume needs a target");
    std::string target = fs::path(str(*t, "volumes.target")).lexically_normal().string();
    if (target.size() > 1 && target.back() == '/') target.pop_back();
    if (target.empty() || target[0] != '/')
      fail(*t, "volumes.target", "the target must be an absolute path");
    v["target"] = target;
    if (type == "bind" && !v.contains("source")) fail(e, "volumes", "a bind mount needs a source");
    if (type == "tmpfs" && v.contains("source")) fail(e, "volumes", "a tmpfs mount has no source");
    if (const YNode* r = e.find("read_only"); r && boolean(*r, "volumes.read_only"))
      v["read_only"] = true;
    if (const YNode* b = e.find("bind"); b && !b->is_null() && type == "bind") {
      only(map(*b, "volumes.bind"), "volumes.bind", {"propagation", "create_host_path", "selinux"});
      Json bo;
      if (const YNode* x = b->find("propagation")) {
        std::string p = str(*x, "volumes.bind.propagation");
        if (!kPropagation.contains(p))
          fail(*x, "volumes.bind.propagation", "unknown propagation \"" + p + "\"");
        bo["propagation"] = p;
      }
      if (const YNode* x = b->find("create_host_path"))
        bo["create_host_path"] = boolean(*x, "volumes.bind.create_host_path");
      if (const YNode* x = b->find("selinux")) bo["selinux"] = str(*x, "volumes.bind.selinux");
      if (!bo.empty()) v["bind"] = bo;
    }
    if (type == "bind") {
      if (!v.contains("bind")) v["bind"] = Json::object();
      if (!v["bind"].contains("create_host_path")) v["bind"]["create_host_path"] = true;
    }
    if (const YNode* x = e.find("volume"); x && !x->is_null() && type == "volume") {
      only(map(*x, "volumes.volume"), "volumes.volume", {"nocopy", "subpath"});
      Json vo;
      if (const YNode* y = x->find("nocopy"); y && boolean(*y, "volumes.volume.nocopy"))
        vo["nocopy"] = true;
      if (const YNode* y = x->find("subpath")) vo["subpath"] = str(*y, "volumes.volume.subpath");
      if (!vo.empty()) v["volume"] = vo;
    }
    if (const YNode* x = e.find("tmpfs"); x && !x->is_null() && type == "tmpfs") {
      only(map(*x, "volumes.tmpfs"), "volumes.tmpfs", {"size", "mode"});
      Json to;
      if (const YNode* y = x->find("size")) to["size"] = bytes(*y, "volumes.tmpfs.size");
      if (const YNode* y = x->find("mode"))
        to["mode"] = std::stoll(str(*y, "volumes.tmpfs.mode"), nullptr, 8);
      if (!to.empty()) v["tmpfs"] = to;
    }
    out.push_back(std::move(v));
  }
  return out;
}

Json Typer::healthcheck(const YNode& n) {
  map(n, "healthcheck");
  only(n, "healthcheck",
       {"test", "interval", "timeout", "start_period", "start_interval", "retries", "disable"});
  Json h = Json::object();
  if (const YNode* d = n.find("disable"); d && boolean(*d, "healthcheck.disable")) {
    h["test"] = Json::array({"NONE"});
    return h;
  }
  if (const YNode* t = n.find("test")) {
    if (t->kind == YNode::Kind::kScalar) {
      h["test"] = Json::array({"CMD-SHELL", t->value});
    } else {
      Json test = str_list(*t, "healthcheck.test");
      if (!test.empty()) {
        std::string first = test[0];
        if (first != "NONE" && first != "CMD" && first != "CMD-SHELL")
          fail(*t, "healthcheck.test", "a list test starts with CMD, CMD-SHELL or NONE");
      }
      h["test"] = test;
    }
  }
  for (const char* k : {"interval", "timeout", "start_period", "start_interval"})
    if (const YNode* x = n.find(k); x && !x->is_null())
      h[k] = duration(*x, std::string("healthcheck.") + k);
  if (const YNode* x = n.find("retries"); x && !x->is_null())
    h["retries"] = integer(*x, "healthcheck.retries");
  return h;
}

Json Typer::ulimits(const YNode& n) {
  map(n, "ulimits");
  Json out = Json::object();
  for (const auto& [name, v] : n.map) {
    if (v.is_map()) {
      only(v, "ulimits." + name, {"soft", "hard"});
      const YNode* s = v.find("soft");
      const YNode* h = v.find("hard");
      if (!s || !h) fail(v, "ulimits." + name, "needs soft and hard");
      out[name] = {{"soft", integer(*s, "ulimits." + name)},
                   {"hard", integer(*h, "ulimits." + name)}};
    } else {
      long long x = integer(v, "ulimits." + name);
      out[name] = {{"soft", x}, {"hard", x}};
    }
  }
  return out;
}

Json Typer::deploy(const YNode& n) {
  map(n, "deploy");
  only(n, "deploy", {"replicas", "resources", "restart_policy", "mode", "labels"});
  Json d = Json::object();
  if (const YNode* x = n.find("mode"); x && str(*x, "deploy.mode") != "replicated")
    fail(*x, "deploy.mode", "only \"replicated\" is supported");
  if (const YNode* x = n.find("replicas"); x && !x->is_null())
    d["replicas"] = integer(*x, "deploy.replicas");
  if (const YNode* x = n.find("labels"); x && !x->is_null())
    d["labels"] = str_map(*x, "deploy.labels");
  if (const YNode* r = n.find("resources"); r && !r->is_null()) {
    only(map(*r, "deploy.resources"), "deploy.resources", {"limits", "reservations"});
    Json res = Json::object();
    for (const char* part : {"limits", "reservations"}) {
      const YNode* l = r->find(part);
      if (!l || l->is_null()) continue;
      std::string k = std::string("deploy.resources.") + part;
      if (std::string_view(part) == "limits") {
        only(map(*l, k), k, {"cpus", "memory", "pids"});
      } else {
        only(map(*l, k), k, {"cpus", "memory"});
      }
      Json o = Json::object();
      if (const YNode* y = l->find("cpus")) o["cpus"] = number(*y, k + ".cpus");
      if (const YNode* y = l->find("memory")) o["memory"] = bytes(*y, k + ".memory");
      if (const YNode* y = l->find("pids")) o["pids"] = integer(*y, k + ".pids");
      res[part] = o;
    }
    d["resources"] = res;
  }
  if (const YNode* r = n.find("restart_policy"); r && !r->is_null()) {
    only(map(*r, "deploy.restart_policy"), "deploy.restart_policy",
         {"condition", "max_attempts", "delay", "window"});
    Json rp = Json::object();
    if (const YNode* y = r->find("condition")) {
      std::string c = str(*y, "deploy.restart_policy.condition");
      if (c != "none" && c != "on-failure" && c != "any")
        fail(*y, "deploy.restart_policy.condition", "expected none, on-failure or any");
      rp["condition"] = c;
    }
    if (const YNode* y = r->find("max_attempts"))
      rp["max_attempts"] = integer(*y, "deploy.restart_policy.max_attempts");
    if (r->find("delay") || r->find("window")) {
      if (!ignore_)
        fail(*r, "deploy.restart_policy",
             "delay and window are not supported by the engine; remove them");
      warnings_.push_back(r->where() + ": " + svc_key(service_, "deploy.restart_policy") +
                          ": delay/window ignored");
    }
    d["restart_policy"] = rp;
  }
  return d;
}

Json Typer::service_refs(const YNode& n, const std::string& key) {
  if (!n.is_seq()) fail(n, key, "expected a list");
  Json out = Json::array();
  for (const auto& e : n.seq) {
    if (!e.is_map()) fail(e, key, "expected a name or a mapping");
    only(e, key, {"source", "target", "uid", "gid", "mode"});
    Json r;
    const YNode* s = e.find("source");
    if (!s) fail(e, key, "needs a source");
    r["source"] = str(*s, key + ".source");
    if (const YNode* t = e.find("target")) r["target"] = str(*t, key + ".target");
    if (const YNode* t = e.find("uid")) r["uid"] = str(*t, key + ".uid");
    if (const YNode* t = e.find("gid")) r["gid"] = str(*t, key + ".gid");
    if (const YNode* t = e.find("mode")) r["mode"] = std::stoll(str(*t, key + ".mode"), nullptr, 8);
    out.push_back(std::move(r));
  }
  return out;
}

bool Typer::key(const std::string& k, const YNode& v, Json& out) {
  if (k == "image" || k == "user" || k == "working_dir" || k == "hostname" || k == "domainname" ||
      k == "stop_signal" || k == "container_name" || k == "ipc" || k == "pid" ||
      k == "mac_address" || k == "network_mode") {
    // The schema's strings: `image: 123` is refused, as compose refuses it.
    if (k == "image" && v.kind == YNode::Kind::kScalar && is_non_string_scalar(v))
      fail(v, k, "must be a string; quote it: \"" + v.value + "\"");
    out = str(v, k);
  } else if (k == "command" || k == "entrypoint") {
    if (v.is_null()) return false;
    out = v.kind == YNode::Kind::kScalar
              ? Json(split_command(v.value, v.where() + ": " + svc_key(service_, k)))
              : str_list(v, k);
  } else if (k == "environment" || k == "labels" || k == "sysctls") {
    out = str_map(v, k, k == "environment");
  } else if (k == "extra_hosts") {
    out = str_map(v, k);
  } else if (k == "ports") {
    out = ports(v);
  } else if (k == "expose") {
    out = Json::array();
    for (const auto& e : str_list(v, k))
      out.push_back(e.get<std::string>());
  } else if (k == "volumes") {
    out = volumes(v);
  } else if (k == "tmpfs" || k == "cap_add" || k == "cap_drop" || k == "dns" || k == "dns_search" ||
             k == "dns_opt" || k == "group_add" || k == "security_opt" || k == "profiles" ||
             k == "devices") {
    out = str_list(v, k);
  } else if (k == "privileged" || k == "read_only" || k == "init" || k == "tty" ||
             k == "stdin_open") {
    out = boolean(v, k);
  } else if (k == "restart") {
    std::string r = str(v, k);
    std::string base = r.substr(0, r.find(':'));
    if (!kRestart.contains(base) || (base != "on-failure" && base != r))
      fail(v, k, "expected no, always, on-failure[:N] or unless-stopped, got \"" + r + "\"");
    out = r;
  } else if (k == "healthcheck") {
    out = healthcheck(v);
  } else if (k == "ulimits") {
    out = ulimits(v);
  } else if (k == "logging") {
    only(map(v, k), k, {"driver", "options"});
    out = Json::object();
    if (const YNode* d = v.find("driver")) out["driver"] = str(*d, "logging.driver");
    if (const YNode* o = v.find("options"); o && !o->is_null())
      out["options"] = str_map(*o, "logging.options");
  } else if (k == "stop_grace_period") {
    out = duration(v, k);
  } else if (k == "deploy") {
    out = deploy(v);
  } else if (k == "scale" || k == "pids_limit" || k == "oom_score_adj" || k == "cpu_shares" ||
             k == "cpu_quota" || k == "cpu_period") {
    out = integer(v, k);
  } else if (k == "shm_size" || k == "mem_limit" || k == "mem_reservation" ||
             k == "memswap_limit") {
    out = bytes(v, k);
  } else if (k == "cpus") {
    out = number(v, k);
  } else if (k == "secrets" || k == "configs") {
    out = service_refs(v, k);
  } else if (k == "pull_policy") {
    std::string p = str(v, k);
    if (p == "if_not_present") p = "missing";
    if (p != "always" && p != "never" && p != "missing" && p != "refresh" &&
        !pull_refresh_seconds(p)) {
      if (p == "build") return unsupported(v, "pull_policy: build");
      fail(v, k,
           "expected always, never, missing, if_not_present, refresh, daily, weekly or "
           "every_<N><w|d|h|m|s> (every_12h), got \"" +
               p + "\"");
    }
    out = p;
  } else if (k == "networks") {
    map(v, k);
    out = Json::object();
    for (const auto& [net, cfg] : v.map) {
      if (cfg.is_null()) {
        out[net] = nullptr;
        continue;
      }
      only(
          map(cfg, "networks." + net), "networks." + net,
          {"aliases", "ipv4_address", "ipv6_address", "priority", "link_local_ips", "gw_priority"});
      Json c = Json::object();
      if (const YNode* a = cfg.find("aliases"))
        c["aliases"] = str_list(*a, "networks." + net + ".aliases");
      if (const YNode* a = cfg.find("ipv4_address"))
        c["ipv4_address"] = str(*a, "networks." + net + ".ipv4_address");
      if (const YNode* a = cfg.find("ipv6_address"))
        c["ipv6_address"] = str(*a, "networks." + net + ".ipv6_address");
      if (const YNode* a = cfg.find("link_local_ips"))
        c["link_local_ips"] = str_list(*a, "networks." + net + ".link_local_ips");
      if (const YNode* a = cfg.find("priority"))
        c["priority"] = integer(*a, "networks." + net + ".priority");
      if (const YNode* a = cfg.find("gw_priority"))
        c["gw_priority"] = integer(*a, "networks." + net + ".gw_priority");
      out[net] = c.empty() ? Json(nullptr) : c;
    }
  } else if (k == "depends_on") {
    map(v, k);
    out = Json::object();
    for (const auto& [dep, cfg] : v.map) {
      Json d = {{"condition", "service_started"}, {"required", true}, {"restart", false}};
      if (!cfg.is_null()) {
        only(map(cfg, "depends_on." + dep), "depends_on." + dep,
             {"condition", "required", "restart"});
        if (const YNode* c = cfg.find("condition")) {
          std::string cond = str(*c, "depends_on." + dep + ".condition");
          if (cond != "service_started" && cond != "service_healthy" &&
              cond != "service_completed_successfully")
            fail(*c, "depends_on." + dep + ".condition",
                 "expected service_started, service_healthy or service_completed_successfully");
          d["condition"] = cond;
        }
        if (const YNode* c = cfg.find("required"))
          d["required"] = boolean(*c, "depends_on." + dep + ".required");
        if (const YNode* c = cfg.find("restart"))
          d["restart"] = boolean(*c, "depends_on." + dep + ".restart");
      }
      out[dep] = d;
    }
  } else if (k == "pre_start" || k == "post_start" || k == "pre_stop") {
    // Compose runs these as execs in the container (post_start, pre_stop) or as a one-off
    // container before it (pre_start); Varan does neither yet, and says so.
    return unsupported(v, k + " (lifecycle hooks: compose runs them in or beside the "
                              "container; varan compose does not run them)");
  } else if (kUnsupportedServiceKeys.contains(k)) {
    return unsupported(v, k);
  } else {
    fail(v, k, "is not a compose service key (misspelt?)");
  }
  return true;
}

}  // namespace varan::compose
