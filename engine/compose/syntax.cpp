#include "engine/compose/syntax.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "engine/compose/load_internal.h"

namespace varan::compose {

namespace {

// New nodes carry the place of the short form they come from, so errors found later still
// point at the line the user wrote.
YNode at(const YNode& where, YNode n) {
  n.file = where.file;
  n.line = where.line;
  return n;
}
YNode str_at(const YNode& where, std::string v) { return at(where, YNode::scalar(std::move(v))); }
YNode plain_at(const YNode& where, std::string v) {
  return at(where, YNode::scalar(std::move(v), false));
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
    for (const auto& opt : split_list(parts[2], ',')) {
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

std::string text_of(const YNode* n) { return n && n->kind == YNode::Kind::kScalar ? n->value : ""; }

// A published port as compose-go tells duplicates apart: host IP, published, target, protocol.
std::string port_key(const YNode& e) {
  if (!e.is_map()) return e.value;
  std::string ip = text_of(e.find("host_ip")), proto = text_of(e.find("protocol"));
  return (ip.empty() ? "0.0.0.0" : ip) + ":" + text_of(e.find("published")) + ":" +
         text_of(e.find("target")) + "/" + (proto.empty() ? "tcp" : proto);
}

// Entries of one file's list with the same key are one: the last one's value, in the first
// one's place (compose-go's EnforceUnicity). Entries without a key are all kept.
template <class Key>
void unique_entries(YNode& list, Key key) {
  std::map<std::string, std::size_t> first;
  std::vector<YNode> out;
  for (auto& e : list.seq) {
    std::string k = key(e);
    if (k.empty()) {
      out.push_back(std::move(e));
      continue;
    }
    auto [it, fresh] = first.emplace(k, out.size());
    if (fresh)
      out.push_back(std::move(e));
    else
      out[it->second] = std::move(e);
  }
  list.seq = std::move(out);
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
    // A list rewritten as a mapping keeps its `!override` (it must reach merge and extends).
    struct KeepTag {
      YNode& node;
      std::string tag;
      ~KeepTag() {
        if (node.tag.empty()) node.tag = tag;
      }
    } keep{v, v.tag};
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
      unique_entries(v, port_key);
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
      unique_entries(v, [](const YNode& e) { return text_of(e.find("target")); });
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

}  // namespace

void list_to_map(YNode& n, const std::string& service, const std::string& key, bool bare_is_null) {
  if (!n.is_seq()) return;
  YNode m = at(n, YNode::mapping());
  m.tag = n.tag;
  for (const auto& e : n.seq) {
    if (e.kind != YNode::Kind::kScalar)
      fail_at(e, svc_key(service, key) + ": entries must be KEY=VALUE strings");
    std::size_t eq = e.value.find('=');
    std::string k = e.value.substr(0, eq);
    if (bare_is_null && !k.empty() && std::isspace(static_cast<unsigned char>(k.back())))
      fail_at(e, svc_key(service, key) + ": environment variable \"" + k +
                     "\" is declared with a trailing space; write KEY=VALUE with no space "
                     "before the =");
    if (eq == std::string::npos) {
      m.set(e.value, bare_is_null ? at(e, YNode()) : str_at(e, ""));
    } else {
      m.set(e.value.substr(0, eq), str_at(e, e.value.substr(eq + 1)));
    }
  }
  n = std::move(m);
}

void canonical_file(YNode& root, const std::string& base, const std::string& home) {
  if (YNode* services = root.find("services"); services && services->is_map())
    for (auto& [name, svc] : services->map) {
      if (name.empty() ||
          name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "0123456789._-") != std::string::npos)
        fail_at(svc, "service name \"" + name +
                         "\" is not valid: use letters, digits, '.', '_' and '-' only");
      if (svc.tag != "!reset") canonical_service(svc, name, base, home);
    }
  for (const char* kind : {"secrets", "configs"})
    if (YNode* top = root.find(kind); top && top->is_map())
      for (auto& [name, def] : top->map)
        if (def.is_map())
          if (YNode* f = def.find("file"); f && f->kind == YNode::Kind::kScalar)
            f->value = absolute_in(base, f->value, home);
}

}  // namespace varan::compose
