#include "engine/compose/model.h"

#include <openssl/evp.h>

#include <algorithm>
#include <functional>
#include <set>

#include "engine/compose/yaml.h"

namespace varan::compose {

namespace {

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::string go_duration(long long ns) {
  if (ns == 0) return "0s";
  std::string out;
  if (ns < 0) {
    out = "-";
    ns = -ns;
  }
  if (ns < 1'000'000'000LL) {
    if (ns % 1'000'000 == 0) return out + std::to_string(ns / 1'000'000) + "ms";
    if (ns % 1'000 == 0) return out + std::to_string(ns / 1'000) + "us";
    return out + std::to_string(ns) + "ns";
  }
  long long h = ns / 3'600'000'000'000LL;
  ns %= 3'600'000'000'000LL;
  long long m = ns / 60'000'000'000LL;
  ns %= 60'000'000'000LL;
  if (h) out += std::to_string(h) + "h";
  if (h || m) out += std::to_string(m) + "m";
  long long s = ns / 1'000'000'000LL, frac = ns % 1'000'000'000LL;
  out += std::to_string(s);
  if (frac) {
    std::string f = std::to_string(frac);
    f = std::string(9 - f.size(), '0') + f;
    while (f.back() == '0')
      f.pop_back();
    out += "." + f;
  }
  return out + "s";
}

bool plain_ok(const std::string& s) {
  if (s.empty()) return false;
  static const std::set<std::string> kReserved = {"true", "false", "null", "yes", "no",
                                                  "on",   "off",   "y",    "n",   "~"};
  std::string l;
  for (char c : s)
    l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (kReserved.contains(l)) return false;
  // Anything that reads as a number stays quoted.
  if (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-' || s[0] == '+' || s[0] == '.') {
    bool numeric = std::all_of(s.begin(), s.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+' ||
             c == 'e' || c == 'E' || c == '_' || c == 'x' || c == 'o';
    });
    if (numeric) return false;
  }
  if (!(std::isalnum(static_cast<unsigned char>(s[0])) || s[0] == '/' || s[0] == '_' ||
        s[0] == '.'))
    return false;
  if (s.back() == ' ' || s.back() == ':') return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) ||
          std::string_view("_./:@+=,- ").find(c) != std::string_view::npos))
      return false;
  return s.find(": ") == std::string::npos && s.find(" #") == std::string::npos;
}

std::string yaml_scalar(const Json& j) {
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    return plain_ok(s) ? s : Json(s).dump();
  }
  if (j.is_null()) return "null";
  return j.dump();
}

std::string yaml_key(const std::string& k) { return plain_ok(k) ? k : Json(k).dump(); }

void emit(const Json& j, int indent, std::string& out) {
  std::string pad(static_cast<std::size_t>(indent), ' ');
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      const Json& v = it.value();
      out += pad + yaml_key(it.key()) + ":";
      if ((v.is_object() || v.is_array()) && !v.empty()) {
        out += "\n";
        emit(v, indent + 2, out);
      } else {
        out += " " +
               (v.is_object()  ? std::string("{}")
                : v.is_array() ? std::string("[]")
                               : yaml_scalar(v)) +
               "\n";
      }
    }
  } else if (j.is_array()) {
    for (const auto& v : j) {
      if (v.is_object() && !v.empty()) {
        std::string sub;
        emit(v, indent + 2, sub);
        // The first line of the mapping goes after the dash.
        out += pad + "- " + sub.substr(static_cast<std::size_t>(indent) + 2);
      } else if (v.is_array() && !v.empty()) {
        out += pad + "-\n";
        emit(v, indent + 2, out);
      } else {
        out += pad + "- " +
               (v.is_object()  ? std::string("{}")
                : v.is_array() ? std::string("[]")
                               : yaml_scalar(v)) +
               "\n";
      }
    }
  }
}

// Durations print the way compose writes them.
Json readable(const Json& config) {
  Json c = config;
  if (c.contains("stop_grace_period")) c["stop_grace_period"] = go_duration(c["stop_grace_period"]);
  if (c.contains("healthcheck"))
    for (const char* k : {"interval", "timeout", "start_period", "start_interval"})
      if (c["healthcheck"].contains(k)) c["healthcheck"][k] = go_duration(c["healthcheck"][k]);
  return c;
}

}  // namespace

std::vector<std::string> Service::network_keys() const {
  std::vector<std::pair<long long, std::string>> v;
  if (!network_mode.empty() || !config.contains("networks")) return {};
  for (const auto& [k, c] : config["networks"].items())
    v.emplace_back(c.is_object() ? c.value("priority", 0LL) : 0LL, k);
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<std::string> out;
  for (auto& [pr, k] : v)
    out.push_back(k);
  return out;
}

std::vector<std::string> Service::volume_keys() const {
  std::vector<std::string> out;
  for (const auto& v : config.value("volumes", Json::array()))
    if (v["type"] == "volume" && v.contains("source")) out.push_back(v["source"]);
  return out;
}

const Service* Project::find(std::string_view n) const {
  for (const auto& s : services)
    if (s.name == n) return &s;
  return nullptr;
}

const Resource* Project::network(std::string_view key) const {
  for (const auto& r : networks)
    if (r.key == key) return &r;
  return nullptr;
}

const Resource* Project::volume(std::string_view key) const {
  for (const auto& r : volumes)
    if (r.key == key) return &r;
  return nullptr;
}

bool Project::knows(std::string_view s) const {
  return find(s) || std::find(disabled.begin(), disabled.end(), s) != disabled.end();
}

std::vector<std::string> Project::dependency_order() const {
  std::vector<std::string> out;
  std::set<std::string> done;
  std::function<void(const Service&)> visit = [&](const Service& s) {
    if (done.contains(s.name)) return;
    done.insert(s.name);
    for (const auto& d : s.depends_on)
      if (const Service* dep = find(d.service)) visit(*dep);
    out.push_back(s.name);
  };
  for (const auto& s : services)
    visit(s);
  return out;
}

// Every string of a compose file is interpolated when it loads, so a resolved value that holds
// a `$` prints as `$$` (as docker-compose config does): the printed model loads back to itself.
static std::string dollars_escaped(const std::string& s) {
  if (s.find('$') == std::string::npos) return s;
  std::string out;
  for (char c : s) {
    out += c;
    if (c == '$') out += '$';
  }
  return out;
}
static Json dollars_escaped(Json j) {
  if (j.is_string()) return dollars_escaped(j.get_ref<const std::string&>());
  if (j.is_structured())
    for (auto& v : j)
      v = dollars_escaped(std::move(v));
  return j;
}

std::string Project::to_yaml() const {
  Json svcs = Json::object();
  for (const auto& s : services)
    svcs[s.name] = dollars_escaped(readable(s.config));
  // A dependency that is not required on a service a profile left out is not printed: the
  // printed model names only services it has, and loads back.
  for (auto& [svc_name, svc] : svcs.items()) {
    if (!svc.contains("depends_on") || !svc["depends_on"].is_object()) continue;
    auto& deps = svc["depends_on"];
    for (auto it = deps.begin(); it != deps.end();) {
      bool optional = it.value().is_object() && it.value().value("required", true) == false;
      if (optional && !svcs.contains(it.key()))
        it = deps.erase(it);
      else
        ++it;
    }
    if (deps.empty()) svc.erase("depends_on");
  }
  std::string out = "name: " + yaml_scalar(Json(name)) + "\n";
  out += "services:\n";
  if (svcs.empty()) {
    out.pop_back();
    out += " {}\n";
  }
  emit(svcs, 2, out);
  auto resources = [&](const char* title, const std::vector<Resource>& rs) {
    if (rs.empty()) return;
    Json m = Json::object();
    for (const auto& r : rs) {
      Json c = dollars_escaped(r.config);
      c["name"] = dollars_escaped(Json(r.name));
      m[r.key] = c;
    }
    out += std::string(title) + ":\n";
    emit(m, 2, out);
  };
  resources("networks", networks);
  resources("volumes", volumes);
  if (!secrets.empty()) {
    out += "secrets:\n";
    emit(dollars_escaped(secrets), 2, out);
  }
  if (!configs.empty()) {
    out += "configs:\n";
    emit(dollars_escaped(configs), 2, out);
  }
  return out;
}

Json hashed_config(const Service& s) {
  Json c = s.config;
  c.erase("scale");
  c.erase("pull_policy");
  c.erase("profiles");
  c.erase("build");
  if (c.contains("deploy")) {
    c["deploy"].erase("replicas");
    if (c["deploy"].empty()) c.erase("deploy");
  }
  return c;
}

std::string config_hash(const Service& s) { return sha256_hex(hashed_config(s).dump()); }

std::string key_digests(const Service& s) {
  std::string out;
  const Json c = hashed_config(s);
  for (const auto& [k, v] : c.items()) {
    if (!out.empty()) out += ',';
    out += k + ":" + sha256_hex(v.dump()).substr(0, 8);
  }
  return out;
}

std::vector<std::string> changed_keys(std::string_view before, std::string_view after) {
  auto parse = [](std::string_view s) {
    std::map<std::string, std::string, std::less<>> m;
    while (!s.empty()) {
      std::size_t comma = s.find(',');
      std::string_view item = s.substr(0, comma);
      std::size_t colon = item.rfind(':');
      if (colon != std::string_view::npos)
        m[std::string(item.substr(0, colon))] = item.substr(colon + 1);
      if (comma == std::string_view::npos) break;
      s.remove_prefix(comma + 1);
    }
    return m;
  };
  auto a = parse(before), b = parse(after);
  std::set<std::string> keys;
  for (auto& [k, v] : a)
    if (!b.contains(k) || b[k] != v) keys.insert(k);
  for (auto& [k, v] : b)
    if (!a.contains(k)) keys.insert(k);
  return {keys.begin(), keys.end()};
}

std::string container_name(const Project& p, const Service& s, int n) {
  if (!s.container_name.empty()) return s.container_name;
  return p.name + "-" + s.name + "-" + std::to_string(n);
}

std::string to_yaml(const Json& j) {
  std::string out;
  emit(j, 0, out);
  return out;
}

}  // namespace varan::compose
