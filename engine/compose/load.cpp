#include "engine/compose/load.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <functional>
#include <set>

#include "common/io.h"
#include "engine/compose/dotenv.h"
#include "engine/compose/interpolate.h"
#include "engine/compose/limits.h"
#include "engine/compose/merge.h"

extern char** environ;

namespace varan::compose {

namespace fs = std::filesystem;

// ---------------------------------------------------------------- small parsers

std::vector<std::string> split_command(std::string_view s, const std::string& where) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) out.push_back(std::move(cur));
      cur.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (i + 1 < s.size()) cur += s[++i];
    } else if (c == '\'') {
      std::size_t e = s.find('\'', i + 1);
      if (e == std::string_view::npos)
        throw Error(where + ": unterminated single quote in command");
      cur.append(s.substr(i + 1, e - i - 1));
      i = e;
    } else if (c == '"') {
      std::size_t j = i + 1;
      for (; j < s.size() && s[j] != '"'; ++j) {
        if (s[j] == '\\' && j + 1 < s.size() &&
            (s[j + 1] == '"' || s[j + 1] == '\\' || s[j + 1] == '$' || s[j + 1] == '`'))
          ++j;
        cur += s[j];
      }
      if (j >= s.size()) throw Error(where + ": unterminated double quote in command");
      i = j;
    } else {
      cur += c;
    }
  }
  if (in_word) out.push_back(std::move(cur));
  return out;
}

std::optional<long long> parse_duration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool neg = false;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  long double total = 0;
  bool any = false;
  while (!s.empty()) {
    std::size_t i = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.'))
      ++i;
    if (i == 0) return std::nullopt;
    long double num = 0;
    try {
      num = std::stold(std::string(s.substr(0, i)));
    } catch (...) {
      return std::nullopt;
    }
    s.remove_prefix(i);
    std::size_t u = 0;
    while (u < s.size() && !std::isdigit(static_cast<unsigned char>(s[u])) && s[u] != '.')
      ++u;
    std::string_view unit = s.substr(0, u);
    s.remove_prefix(u);
    long double mult;
    if (unit == "ns")
      mult = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs")
      mult = 1e3;
    else if (unit == "ms")
      mult = 1e6;
    else if (unit == "s")
      mult = 1e9;
    else if (unit == "m")
      mult = 60e9;
    else if (unit == "h")
      mult = 3600e9;
    else
      return std::nullopt;
    total += num * mult;
    any = true;
  }
  if (!any || total > 9.2e18L) return std::nullopt;
  long long v = static_cast<long long>(std::llround(total));
  return neg ? -v : v;
}

std::optional<long long> parse_bytes(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.'))
    ++i;
  if (i == 0) return std::nullopt;
  long double num;
  try {
    num = std::stold(std::string(s.substr(0, i)));
  } catch (...) {
    return std::nullopt;
  }
  std::string unit;
  for (char c : s.substr(i))
    if (c != ' ') unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (unit.size() == 2 && unit[1] == 'b') unit.pop_back();
  if (unit.size() == 3 && unit.ends_with("ib")) unit.resize(1);
  long double mult;
  if (unit.empty() || unit == "b")
    mult = 1;
  else if (unit == "k")
    mult = 1024.0L;
  else if (unit == "m")
    mult = 1024.0L * 1024;
  else if (unit == "g")
    mult = 1024.0L * 1024 * 1024;
  else if (unit == "t")
    mult = 1024.0L * 1024 * 1024 * 1024;
  else if (unit == "p")
    mult = 1024.0L * 1024 * 1024 * 1024 * 1024;
  else
    return std::nullopt;
  long double v = num * mult;
  if (v > 9.2e18L) return std::nullopt;
  return static_cast<long long>(v);
}

std::string normalize_project_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '_' || l == '-') out += l;
  }
  std::size_t s = out.find_first_not_of("_-");
  return s == std::string::npos ? "" : out.substr(s);
}

std::vector<std::string> find_default_files(const std::string& start) {
  static const char* kNames[] = {"compose.yaml", "compose.yml", "docker-compose.yml",
                                 "docker-compose.yaml"};
  static const char* kOverrides[] = {"compose.override.yml", "compose.override.yaml",
                                     "docker-compose.override.yml", "docker-compose.override.yaml"};
  std::error_code ec;
  for (fs::path dir = fs::absolute(start);; dir = dir.parent_path()) {
    for (const char* n : kNames) {
      fs::path f = dir / n;
      if (fs::is_regular_file(f, ec)) {
        std::vector<std::string> out{f.string()};
        for (const char* o : kOverrides) {
          fs::path of = dir / o;
          if (fs::is_regular_file(of, ec)) {
            out.push_back(of.string());
            break;
          }
        }
        return out;
      }
    }
    if (dir == dir.root_path() || dir.empty()) break;
  }
  return {};
}

namespace {

// ---------------------------------------------------------------- paths and environment

// The overlay of the load running on this thread (LoadOptions::file_overlay).
thread_local const std::map<std::string, std::string>* t_overlay = nullptr;

const std::string* overlaid(const std::string& path) {
  if (!t_overlay) return nullptr;
  auto it = t_overlay->find(path);
  return it == t_overlay->end() ? nullptr : &it->second;
}

std::string read_text(const std::string& path) {
  if (const std::string* text = overlaid(path)) return *text;
  SecureBytes b = varan::read_file(path, std::size_t(64) << 20);
  return std::string(b.begin(), b.end());
}

bool is_file(const std::string& path) {
  std::error_code ec;
  return overlaid(path) || fs::is_regular_file(path, ec);
}

std::string absolute_in(const std::string& base, const std::string& p, const std::string& home) {
  fs::path path;
  if (p == "~" || p.starts_with("~/")) {
    path = fs::path(home) / (p.size() > 2 ? p.substr(2) : "");
  } else {
    path = fs::path(p);
    if (path.is_relative()) path = fs::path(base) / path;
  }
  std::string s = path.lexically_normal().string();
  if (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

using Env = std::map<std::string, std::string>;

Lookup lookup_in(const Env& env) {
  return [&env](const std::string& k) -> std::optional<std::string> {
    auto it = env.find(k);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

void add_dotenv(Env& env, const std::string& file, bool required, std::vector<std::string>* loaded,
                Budget& budget) {
  std::error_code ec;
  if (!overlaid(file) && !fs::exists(file, ec)) {
    if (required) throw Error(file + ": env file not found");
    return;
  }
  if (!overlaid(file) && fs::is_directory(file, ec)) {
    if (required) throw Error(file + ": is a directory, expected an env file");
    return;
  }
  std::string text = read_text(file);
  // The process environment wins over the file: only keys not set yet are taken.
  Env before = env;
  for (auto& [k, v] : parse_dotenv(text, file, lookup_in(before), false, &budget))
    if (!before.contains(k)) env[k] = v;
  if (loaded) loaded->push_back(file);
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t e = s.find(sep, start);
    if (e == std::string_view::npos) e = s.size();
    std::string part(s.substr(start, e - start));
    while (!part.empty() && part.front() == ' ')
      part.erase(part.begin());
    while (!part.empty() && part.back() == ' ')
      part.pop_back();
    if (!part.empty()) out.push_back(part);
    start = e + 1;
  }
  return out;
}

bool truthy(const std::string& v) {
  std::string l;
  for (char c : v)
    l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return l == "1" || l == "true" || l == "yes" || l == "y" || l == "on";
}

// ---------------------------------------------------------------- short syntax -> long syntax

YNode at(const YNode& where, YNode n) {
  n.file = where.file;
  n.line = where.line;
  return n;
}
YNode str_at(const YNode& where, std::string v) { return at(where, YNode::scalar(std::move(v))); }
YNode plain_at(const YNode& where, std::string v) {
  return at(where, YNode::scalar(std::move(v), false));
}

[[noreturn]] void fail_at(const YNode& n, const std::string& what) {
  throw Error(n.where() + (n.where().empty() ? "" : ": ") + what);
}

std::string svc_key(const std::string& service, const std::string& key) {
  return "service \"" + service + "\": " + key;
}

// "K=V" / "K" lists (environment, labels, ...) become mappings.
void list_to_map(YNode& n, const std::string& service, const std::string& key, bool bare_is_null) {
  if (!n.is_seq()) return;
  YNode m = at(n, YNode::mapping());
  m.tag = n.tag;
  for (const auto& e : n.seq) {
    if (e.kind != YNode::Kind::kScalar)
      fail_at(e, svc_key(service, key) + ": entries must be KEY=VALUE strings");
    std::size_t eq = e.value.find('=');
    if (eq == std::string::npos) {
      m.set(e.value, bare_is_null ? at(e, YNode()) : str_at(e, ""));
    } else {
      m.set(e.value.substr(0, eq), str_at(e, e.value.substr(eq + 1)));
    }
  }
  n = std::move(m);
}

void scalar_to_list(YNode& n) {
  if (n.kind != YNode::Kind::kScalar) return;
  YNode s = at(n, YNode::sequence());
  s.tag = n.tag;
  n.tag.clear();
  s.seq.push_back(std::move(n));
  n = std::move(s);
}

std::pair<long, long> port_range(const std::string& s, const YNode& at_node,
                                 const std::string& service) {
  auto num = [&](const std::string& v) {
    if (v.empty() || v.size() > 5 || !std::all_of(v.begin(), v.end(), ::isdigit))
      fail_at(at_node, svc_key(service, "ports") + ": invalid port \"" + s + "\"");
    long p = std::stol(v);
    if (p < 0 || p > 65535)
      fail_at(at_node, svc_key(service, "ports") + ": port " + v + " is out of range");
    return p;
  };
  std::size_t dash = s.find('-');
  if (dash == std::string::npos) {
    long p = num(s);
    return {p, p};
  }
  long a = num(s.substr(0, dash)), b = num(s.substr(dash + 1));
  if (b < a) fail_at(at_node, svc_key(service, "ports") + ": invalid port range \"" + s + "\"");
  return {a, b};
}

void short_port(const YNode& e, const std::string& service, YNode& out) {
  std::string spec = e.value;
  std::string proto = "tcp";
  if (auto slash = spec.rfind('/'); slash != std::string::npos) {
    proto = spec.substr(slash + 1);
    spec = spec.substr(0, slash);
  }
  std::string ip, published, target;
  if (spec.starts_with("[")) {
    std::size_t close = spec.find(']');
    if (close == std::string::npos || close + 1 >= spec.size() || spec[close + 1] != ':')
      fail_at(e, svc_key(service, "ports") + ": invalid port \"" + e.value + "\"");
    ip = spec.substr(1, close - 1);
    std::string rest = spec.substr(close + 2);
    std::size_t c = rest.rfind(':');
    if (c == std::string::npos)
      fail_at(e, svc_key(service, "ports") + ": invalid port \"" + e.value + "\"");
    published = rest.substr(0, c);
    target = rest.substr(c + 1);
  } else {
    std::size_t last = spec.rfind(':');
    if (last == std::string::npos) {
      target = spec;
    } else {
      target = spec.substr(last + 1);
      std::string head = spec.substr(0, last);
      std::size_t prev = head.rfind(':');
      if (prev == std::string::npos) {
        published = head;
      } else {
        ip = head.substr(0, prev);
        published = head.substr(prev + 1);
      }
    }
  }
  auto [t0, t1] = port_range(target, e, service);
  long p0 = 0, p1 = 0;
  if (!published.empty()) std::tie(p0, p1) = port_range(published, e, service);
  long n = t1 - t0 + 1;
  if (!published.empty() && n > 1 && p1 - p0 + 1 != n)
    fail_at(e, svc_key(service, "ports") + ": \"" + e.value +
                   "\": the published and target ranges differ in size");
  for (long i = 0; i < n; ++i) {
    YNode m = at(e, YNode::mapping());
    m.set("target", plain_at(e, std::to_string(t0 + i)));
    if (!published.empty()) {
      std::string pub =
          n > 1 ? std::to_string(p0 + i) : (p0 == p1 ? std::to_string(p0) : published);
      m.set("published", str_at(e, pub));
    }
    if (!ip.empty()) m.set("host_ip", str_at(e, ip));
    m.set("protocol", str_at(e, proto));
    m.set("mode", str_at(e, "ingress"));
    out.seq.push_back(std::move(m));
  }
}

const std::set<std::string, std::less<>> kPropagation = {"rprivate", "private", "rshared",
                                                         "shared",   "rslave",  "slave"};

YNode short_volume(const YNode& e, const std::string& service, const std::string& base,
                   const std::string& home) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t c = e.value.find(':', start);
    parts.push_back(e.value.substr(start, c == std::string::npos ? std::string::npos : c - start));
    if (c == std::string::npos) break;
    start = c + 1;
  }
  if (parts.size() > 3 ||
      std::any_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); }))
    fail_at(e, svc_key(service, "volumes") + ": invalid volume \"" + e.value +
                   "\" (expected [SOURCE:]TARGET[:MODE])");
  YNode m = at(e, YNode::mapping());
  std::string source, target = parts.size() == 1 ? parts[0] : parts[1];
  if (parts.size() >= 2) source = parts[0];
  bool bind = !source.empty() && (source[0] == '.' || source[0] == '/' || source[0] == '~');
  m.set("type", str_at(e, source.empty() ? "volume" : bind ? "bind" : "volume"));
  if (!source.empty()) m.set("source", str_at(e, bind ? absolute_in(base, source, home) : source));
  m.set("target", str_at(e, target));
  YNode bind_opts = at(e, YNode::mapping()), vol_opts = at(e, YNode::mapping());
  if (bind) bind_opts.set("create_host_path", plain_at(e, "true"));
  if (parts.size() == 3) {
    for (const auto& opt : split(parts[2], ',')) {
      if (opt == "ro") {
        m.set("read_only", plain_at(e, "true"));
      } else if (opt == "rw") {
      } else if (opt == "nocopy") {
        vol_opts.set("nocopy", plain_at(e, "true"));
      } else if (opt == "z" || opt == "Z") {
        bind_opts.set("selinux", str_at(e, opt));
      } else if (kPropagation.contains(opt)) {
        bind_opts.set("propagation", str_at(e, opt));
      } else {
        fail_at(e, svc_key(service, "volumes") + ": unknown volume option \"" + opt + "\" in \"" +
                       e.value + "\"");
      }
    }
  }
  if (bind && !bind_opts.map.empty()) m.set("bind", std::move(bind_opts));
  if (!bind && !vol_opts.map.empty()) m.set("volume", std::move(vol_opts));
  return m;
}

void canonical_service(YNode& svc, const std::string& name, const std::string& base,
                       const std::string& home) {
  if (!svc.is_map()) {
    if (svc.is_null()) {
      svc = at(svc, YNode::mapping());
      return;
    }
    fail_at(svc, "service \"" + name + "\" must be a mapping");
  }
  for (auto& [key, v] : svc.map) {
    if (v.tag == "!reset") continue;
    if (key == "environment") {
      list_to_map(v, name, key, true);
    } else if (key == "labels" || key == "annotations" || key == "sysctls") {
      list_to_map(v, name, key, false);
    } else if (key == "extra_hosts") {
      if (v.is_seq()) {
        YNode m = at(v, YNode::mapping());
        for (const auto& e : v.seq) {
          std::size_t sep = e.value.find('=');
          if (sep == std::string::npos) sep = e.value.find(':');
          if (e.kind != YNode::Kind::kScalar || sep == std::string::npos)
            fail_at(e, svc_key(name, key) + ": expected HOST:IP, got \"" + e.value + "\"");
          m.set(e.value.substr(0, sep), str_at(e, e.value.substr(sep + 1)));
        }
        v = std::move(m);
      }
    } else if (key == "ports") {
      if (!v.is_seq()) continue;
      YNode out = at(v, YNode::sequence());
      out.tag = v.tag;
      for (auto& e : v.seq) {
        if (e.kind == YNode::Kind::kScalar) {
          short_port(e, name, out);
        } else {
          if (e.is_map())
            if (YNode* p = e.find("published"); p && p->kind == YNode::Kind::kScalar)
              p->quoted = true;
          out.seq.push_back(e);
        }
      }
      v = std::move(out);
    } else if (key == "volumes") {
      if (!v.is_seq()) continue;
      for (auto& e : v.seq) {
        if (e.kind == YNode::Kind::kScalar) {
          e = short_volume(e, name, base, home);
        } else if (e.is_map()) {
          YNode* t = e.find("type");
          YNode* s = e.find("source");
          if (t && t->value == "bind" && s && s->kind == YNode::Kind::kScalar)
            s->value = absolute_in(base, s->value, home);
        }
      }
    } else if (key == "depends_on") {
      if (v.is_seq()) {
        YNode m = at(v, YNode::mapping());
        for (const auto& e : v.seq) {
          if (e.kind != YNode::Kind::kScalar)
            fail_at(e, svc_key(name, key) + ": expected service names");
          YNode d = at(e, YNode::mapping());
          d.set("condition", str_at(e, "service_started"));
          d.set("required", plain_at(e, "true"));
          m.set(e.value, std::move(d));
        }
        v = std::move(m);
      }
    } else if (key == "networks") {
      if (v.is_seq()) {
        YNode m = at(v, YNode::mapping());
        for (const auto& e : v.seq) {
          if (e.kind != YNode::Kind::kScalar)
            fail_at(e, svc_key(name, key) + ": expected network names");
          m.set(e.value, at(e, YNode()));
        }
        v = std::move(m);
      }
    } else if (key == "env_file") {
      scalar_to_list(v);
      if (!v.is_seq()) continue;
      for (auto& e : v.seq) {
        if (e.kind == YNode::Kind::kScalar) {
          YNode m = at(e, YNode::mapping());
          m.set("path", str_at(e, absolute_in(base, e.value, home)));
          m.set("required", plain_at(e, "true"));
          e = std::move(m);
        } else if (e.is_map()) {
          if (YNode* p = e.find("path"); p && p->kind == YNode::Kind::kScalar)
            p->value = absolute_in(base, p->value, home);
        }
      }
    } else if (key == "secrets" || key == "configs") {
      if (!v.is_seq()) continue;
      for (auto& e : v.seq)
        if (e.kind == YNode::Kind::kScalar) {
          YNode m = at(e, YNode::mapping());
          m.set("source", e);
          e = std::move(m);
        }
    } else if (key == "dns" || key == "dns_search" || key == "dns_opt" || key == "tmpfs") {
      scalar_to_list(v);
    } else if (key == "extends") {
      if (v.kind == YNode::Kind::kScalar) {
        YNode m = at(v, YNode::mapping());
        m.set("service", v);
        v = std::move(m);
      }
      if (v.is_map())
        if (YNode* f = v.find("file"); f && f->kind == YNode::Kind::kScalar)
          f->value = absolute_in(base, f->value, home);
    }
  }
}

void canonical_file(YNode& root, const std::string& base, const std::string& home) {
  if (YNode* services = root.find("services"); services && services->is_map())
    for (auto& [name, svc] : services->map)
      if (svc.tag != "!reset") canonical_service(svc, name, base, home);
  for (const char* kind : {"secrets", "configs"})
    if (YNode* top = root.find(kind); top && top->is_map())
      for (auto& [name, def] : top->map)
        if (def.is_map())
          if (YNode* f = def.find("file"); f && f->kind == YNode::Kind::kScalar)
            f->value = absolute_in(base, f->value, home);
}

// ---------------------------------------------------------------- typing

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

class Typer {
 public:
  Typer(std::string service, bool ignore, std::vector<std::string>& warnings)
      : service_(std::move(service)), ignore_(ignore), warnings_(warnings) {}

  [[noreturn]] void fail(const YNode& n, const std::string& key, const std::string& why) const {
    fail_at(n, svc_key(service_, key) + ": " + why);
  }

  // A key compose knows and Varan does not run: an error naming it, or a warning.
  bool unsupported(const YNode& n, const std::string& key) {
    std::string msg = svc_key(service_, key) + " is not supported by varan compose";
    if (!ignore_)
      fail_at(n, msg + "; remove it, or pass --ignore-unsupported to skip it with a warning");
    warnings_.push_back(n.where() + ": " + msg + "; skipped (--ignore-unsupported)");
    return false;
  }

  std::string str(const YNode& n, const std::string& key) const {
    if (n.kind == YNode::Kind::kScalar) return n.value;
    if (n.kind == YNode::Kind::kNull) return "";
    fail(n, key, "expected a string");
  }
  bool boolean(const YNode& n, const std::string& key) const {
    if (n.kind == YNode::Kind::kScalar) {
      std::string l;
      for (char c : n.value)
        l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (l == "true" || l == "yes" || l == "on" || l == "y") return true;
      if (l == "false" || l == "no" || l == "off" || l == "n") return false;
    }
    fail(n, key, "expected true or false, got \"" + n.value + "\"");
  }
  long long integer(const YNode& n, const std::string& key) const {
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
  double number(const YNode& n, const std::string& key) const {
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
  long long duration(const YNode& n, const std::string& key) const {
    if (n.kind == YNode::Kind::kScalar) {
      if (!n.quoted && !n.value.empty() && std::all_of(n.value.begin(), n.value.end(), ::isdigit))
        return std::stoll(n.value) * 1'000'000'000LL;  // a bare number: seconds
      if (auto d = parse_duration(n.value)) return *d;
    }
    fail(n, key, "expected a duration like 10s, 1m30s or 500ms, got \"" + n.value + "\"");
  }
  long long bytes(const YNode& n, const std::string& key) const {
    if (n.kind == YNode::Kind::kScalar)
      if (auto b = parse_bytes(n.value)) return *b;
    fail(n, key, "expected a size like 512m or 1g, got \"" + n.value + "\"");
  }
  Json str_list(const YNode& n, const std::string& key) const {
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
  Json str_map(const YNode& n, const std::string& key, bool allow_null = false) const {
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
  const YNode& map(const YNode& n, const std::string& key) const {
    if (!n.is_map()) fail(n, key, "expected a mapping");
    return n;
  }
  // Fails on a key that `allowed` does not list (x-* are extensions and pass).
  void only(const YNode& n, const std::string& key,
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

  Json ports(const YNode& n) {
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
      if (const YNode* v = e.find("protocol"); v && !v->is_null())
        proto = str(*v, "ports.protocol");
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

  Json volumes(const YNode& n) {
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
      if (type == "bind" && !v.contains("source"))
        fail(e, "volumes", "a bind mount needs a source");
      if (type == "tmpfs" && v.contains("source"))
        fail(e, "volumes", "a tmpfs mount has no source");
      if (const YNode* r = e.find("read_only"); r && boolean(*r, "volumes.read_only"))
        v["read_only"] = true;
      if (const YNode* b = e.find("bind"); b && !b->is_null() && type == "bind") {
        only(map(*b, "volumes.bind"), "volumes.bind",
             {"propagation", "create_host_path", "selinux"});
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

  Json healthcheck(const YNode& n) {
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

  Json ulimits(const YNode& n) {
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

  Json deploy(const YNode& n) {
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

  Json service_refs(const YNode& n, const std::string& key) {
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
      if (const YNode* t = e.find("mode"))
        r["mode"] = std::stoll(str(*t, key + ".mode"), nullptr, 8);
      out.push_back(std::move(r));
    }
    return out;
  }

  // One service key into its canonical value; false when it is dropped.
  bool key(const std::string& k, const YNode& v, Json& out) {
    if (k == "image" || k == "user" || k == "working_dir" || k == "hostname" || k == "domainname" ||
        k == "stop_signal" || k == "container_name" || k == "ipc" || k == "pid" ||
        k == "mac_address" || k == "network_mode") {
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
    } else if (k == "tmpfs" || k == "cap_add" || k == "cap_drop" || k == "dns" ||
               k == "dns_search" || k == "dns_opt" || k == "group_add" || k == "security_opt" ||
               k == "profiles" || k == "devices") {
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
      if (p != "always" && p != "never" && p != "missing") {
        if (p == "build") return unsupported(v, "pull_policy: build");
        fail(v, k, "expected always, never, missing or if_not_present, got \"" + p + "\"");
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
        only(map(cfg, "networks." + net), "networks." + net,
             {"aliases", "ipv4_address", "ipv6_address", "priority", "link_local_ips",
              "gw_priority"});
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
    } else if (kUnsupportedServiceKeys.contains(k)) {
      return unsupported(v, k);
    } else {
      fail(v, k, "is not a compose service key (misspelt?)");
    }
    return true;
  }

 private:
  std::string service_;
  bool ignore_;
  std::vector<std::string>& warnings_;
};

// ---------------------------------------------------------------- the loader

const std::set<std::string, std::less<>> kTopLevel = {"services", "networks", "volumes", "secrets",
                                                      "configs",  "name",     "version"};

class Loader {
 public:
  explicit Loader(const LoadOptions& o) : opts_(o) {}

  Project run() {
    cwd_ = opts_.cwd.empty() ? fs::current_path().string() : fs::absolute(opts_.cwd).string();
    if (opts_.inherit_environment)
      for (char** e = environ; e && *e; ++e) {
        std::string_view kv(*e);
        std::size_t eq = kv.find('=');
        if (eq != std::string_view::npos)
          env_[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
      }
    for (const auto& [k, v] : opts_.environment)
      env_[k] = v;
    const char* home = getenv("HOME");
    home_ = env_.contains("HOME") ? env_["HOME"] : home ? home : "/root";

    // Files and the project folder. COMPOSE_* settings may come from the .env of the folder
    // we start in, before the files are known.
    std::vector<std::string> files;
    for (const auto& f : opts_.files)
      files.push_back(absolute_in(cwd_, f, home_));
    std::string start_dir =
        opts_.project_directory.empty() ? cwd_ : absolute_in(cwd_, opts_.project_directory, home_);
    if (files.empty()) {
      Env probe = env_;
      if (opts_.env_files.empty() && !truthy(probe["COMPOSE_DISABLE_ENV_FILE"]))
        add_dotenv(probe, start_dir + "/.env", false, nullptr, budget_);
      if (auto it = probe.find("COMPOSE_FILE"); it != probe.end() && !it->second.empty()) {
        char sep = ':';
        if (auto s = probe.find("COMPOSE_PATH_SEPARATOR"); s != probe.end() && !s->second.empty())
          sep = s->second[0];
        for (const auto& f : split(it->second, sep))
          files.push_back(absolute_in(start_dir, f, home_));
      } else {
        files = find_default_files(start_dir);
      }
      if (files.empty())
        throw Error("no compose file found in " + start_dir +
                    " or its parents (looked for compose.yaml, compose.yml, docker-compose.yml, "
                    "docker-compose.yaml); "
                    "name one with -f");
    }
    project_dir_ =
        opts_.project_directory.empty() ? fs::path(files[0]).parent_path().string() : start_dir;

    // The project environment: the process's, then the env files (the process wins).
    Project p;
    std::vector<std::string> env_files;
    for (const auto& f : opts_.env_files)
      env_files.push_back(absolute_in(cwd_, f, home_));
    if (env_files.empty())
      if (auto it = env_.find("COMPOSE_ENV_FILES"); it != env_.end())
        for (const auto& f : split(it->second, ','))
          env_files.push_back(absolute_in(project_dir_, f, home_));
    if (!env_files.empty()) {
      for (const auto& f : env_files)
        add_dotenv(env_, f, true, nullptr, budget_);
      p.env_files = env_files;
    } else if (!truthy(env_["COMPOSE_DISABLE_ENV_FILE"])) {
      add_dotenv(env_, project_dir_ + "/.env", false, nullptr, budget_);
    }

    // Each file: parse, interpolate, long syntax; then merge them in order.
    YNode merged = YNode::mapping();
    for (const auto& f : files) {
      YNode root = load_file(f, project_dir_);
      merge_files(merged, root);
      p.config_files.push_back(f);
    }
    drop_resets(merged);
    for (const auto& name : interp_.unset)
      p.warnings.push_back("The \"" + name +
                           "\" variable is not set. Defaulting to a blank string.");

    for (const auto& [k, v] : merged.map) {
      if (k.starts_with("x-")) continue;
      if (k == "include" || k == "models") {
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

    // The project name: -p, COMPOSE_PROJECT_NAME, name:, the folder's name.
    std::string name;
    if (!opts_.project_name.empty()) {
      name = opts_.project_name;
      check_name(name, "-p");
    } else if (auto it = env_.find("COMPOSE_PROJECT_NAME");
               it != env_.end() && !it->second.empty()) {
      name = it->second;
      check_name(name, "COMPOSE_PROJECT_NAME");
    } else if (const YNode* n = merged.find("name");
               n && n->kind == YNode::Kind::kScalar && !n->value.empty()) {
      name = n->value;
      check_name(name, n->where() + ": name");
    } else {
      name = normalize_project_name(fs::path(project_dir_).filename().string());
      if (name.empty())
        throw Error("can't derive a project name from the folder " + project_dir_ +
                    "; give one with -p or name:");
    }
    p.name = name;
    p.working_dir = project_dir_;

    type_resources(merged, p);
    type_services(merged, p);
    return p;
  }

 private:
  void check_name(const std::string& name, const std::string& from) {
    if (normalize_project_name(name) != name || name.empty())
      throw Error(
          from + ": invalid project name \"" + name +
          "\": use only lowercase letters, digits, '-' and '_', starting with a letter or digit");
  }

  YNode load_file(const std::string& file, const std::string& base) {
    std::string text;
    try {
      text = read_text(file);
    } catch (const varan::Error& e) {
      throw Error(std::string(e.what()));
    }
    YNode root = parse_yaml(text, file, &budget_);
    if (const YNode* v = root.find("version")) {
      warnings_.push_back(v->where() + ": the attribute `version` is obsolete, it will be ignored");
      root.erase("version");
    }
    interp_.lookup = lookup_in(env_);
    interp_.budget = &budget_;
    interpolate_tree(root, interp_);
    canonical_file(root, base, home_);
    return root;
  }

  const YNode& other_file_services(const std::string& file) {
    auto it = other_files_.find(file);
    if (it == other_files_.end()) {
      YNode root = load_file(file, fs::path(file).parent_path().string());
      drop_resets(root);
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
      it = resolved_.emplace(chain.back().id, std::move(base)).first;
    }
    for (std::size_t k = chain.size() - 1; k-- > 0;) {
      YNode out = it->second;
      YNode self = *chain[k].def;
      self.erase("extends");
      merge_service(out, self);
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

    std::set<std::string> active;
    for (const auto& pr : opts_.profiles)
      active.insert(pr);
    if (auto it = env_.find("COMPOSE_PROFILES"); it != env_.end())
      for (const auto& pr : split(it->second, ','))
        active.insert(pr);
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
    // Cycles.
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
          throw Error("dependency cycle detected: " + cycle + d.service);
        }
        if (state[d.service] == 0)
          if (const Service* dep = p.find(d.service)) visit(*dep);
      }
      path.pop_back();
      state[s.name] = 2;
    };
    for (const auto& s : p.services)
      if (state[s.name] == 0) visit(s);
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
          if (!is_file(path->value)) {
            if (!required) continue;
            t.fail(e, k,
                   "env file " + path->value + " not found (create it, or set required: false)");
          }
          std::string text = read_text(path->value);
          for (auto& [ek, ev] : parse_dotenv(text, path->value, lookup_in(env_), raw, &budget_))
            env[ek] = ev;
        }
        continue;
      }
      Json out;
      if (t.key(k, v, out)) s.config[k] = std::move(out);
    }
    // environment: over env_file; a key without a value comes from the project environment.
    if (s.config.contains("environment")) {
      for (auto& [k, v] : s.config["environment"].items()) {
        if (v.is_null()) {
          if (auto it = env_.find(k); it != env_.end()) env[k] = it->second;
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
  std::string cwd_, project_dir_, home_;
  Env env_;
  Interpolation interp_;
  Budget budget_;  // one for all files of the project (limits.h)
  std::vector<std::string> warnings_;
  std::map<std::string, YNode> other_files_;
  std::map<std::string, YNode> resolved_;  // "file#service" -> the service with extends applied
};

}  // namespace

Project load_project(const LoadOptions& opts) {
  struct Overlay {
    explicit Overlay(const std::map<std::string, std::string>* o) : saved(t_overlay) {
      t_overlay = o;
    }
    ~Overlay() { t_overlay = saved; }
    const std::map<std::string, std::string>* saved;
  } overlay(opts.file_overlay);
  return Loader(opts).run();
}

}  // namespace varan::compose
