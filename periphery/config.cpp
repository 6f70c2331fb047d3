#include "periphery/config.h"

#include <arpa/inet.h>

#include <cstdlib>
#include <set>

#include "common/io.h"
#include "common/yaml_json.h"
#include "komodo/error.h"
#include "komodo/fields.h"
#include "komodo/toml.h"

extern char** environ;

namespace varan::periphery {

namespace {

using Json = nlohmann::json;

// Komodo's periphery keys (v1 and the v2 ones a v1 agent may meet), and Varan's.
const std::set<std::string, std::less<>> kKeys = {"port",
                                                  "bind_ip",
                                                  "root_directory",
                                                  "repo_dir",
                                                  "stack_dir",
                                                  "build_dir",
                                                  "disable_terminals",
                                                  "disable_container_exec",
                                                  "disable_container_terminals",
                                                  "stats_polling_rate",
                                                  "container_stats_polling_rate",
                                                  "legacy_compose_cli",
                                                  "logging",
                                                  "pretty_startup_config",
                                                  "allowed_ips",
                                                  "passkeys",
                                                  "include_disk_mounts",
                                                  "exclude_disk_mounts",
                                                  "secrets",
                                                  "git_providers",
                                                  "git_provider",
                                                  "docker_registries",
                                                  "docker_registry",
                                                  "image_registries",
                                                  "ssl_enabled",
                                                  "ssl_key_file",
                                                  "ssl_cert_file",
                                                  "safe_directories",
                                                  "write_plaintext",
                                                  "insecure_no_auth"};

void merge(Json& into, const Json& from) {
  for (const auto& [k, v] : from.items()) {
    if (into.contains(k) && into[k].is_object() && v.is_object())
      merge(into[k], v);
    else if (into.contains(k) && into[k].is_array() && v.is_array())
      into[k].insert(into[k].end(), v.begin(), v.end());
    else
      into[k] = v;
  }
}

// Items separated by `seps`, each trimmed: a passkeys file's final newline is no part of
// the last passkey (HTTP trims a header value the same way).
std::vector<std::string> split_list(const std::string& s, std::string_view seps = ",") {
  std::vector<std::string> out;
  std::string item;
  for (char c : s + std::string(1, seps[0])) {
    if (seps.find(c) != std::string_view::npos) {
      auto b = item.find_first_not_of(" \t\r\n");
      auto e = item.find_last_not_of(" \t\r\n");
      if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
      item.clear();
    } else {
      item += c;
    }
  }
  return out;
}

// Komodo's config keys with serde's types; a wrong one stops the start with the key.
class Reader {
 public:
  explicit Reader(const Json& j)
      : f_(j, [](const std::string& key, komodo::Expected e) {
          using komodo::Expected;
          throw ConfigError(std::string("periphery config: ") + key + ": expected " +
                            (e == Expected::kBool      ? "true or false"
                             : e == Expected::kInteger ? "a number"
                             : e == Expected::kString  ? "a string"
                                                       : "a list of strings"));
        }) {}
  template <typename T>
  void get(const char* key, T& out) const {
    out = f_.get<T>(key, out);
  }

 private:
  komodo::Fields f_;
};

// An address, or an address, '/' and a prefix length that fits it.
bool valid_cidr(const std::string& entry) {
  auto slash = entry.find('/');
  std::string ip = entry.substr(0, slash);
  unsigned char buf[sizeof(in6_addr)];
  int max = ::inet_pton(AF_INET, ip.c_str(), buf) == 1    ? 32
            : ::inet_pton(AF_INET6, ip.c_str(), buf) == 1 ? 128
                                                          : -1;
  if (max < 0) return false;
  if (slash == std::string::npos) return true;
  std::string bits = entry.substr(slash + 1);
  if (bits.empty() || bits.size() > 3 || bits.find_first_not_of("0123456789") != std::string::npos)
    return false;
  return std::stoi(bits) <= max;
}

}  // namespace

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

Config load_config(const std::vector<std::string>& files,
                   const std::map<std::string, std::string>& env) {
  Config c;
  Json j = Json::object();
  for (const auto& f : files) {
    SecureBytes bytes = read_file(f, std::size_t(4) << 20);
    std::string text(bytes.begin(), bytes.end());
    Json one;
    if (f.ends_with(".json")) {
      one = Json::parse(text, nullptr, false);
      if (one.is_discarded() || !one.is_object()) throw ConfigError(f + ": not a JSON object");
    } else if (f.ends_with(".yaml") || f.ends_with(".yml")) {
      try {
        one = yaml_to_json(text, f);
      } catch (const varan::Error& e) {
        throw ConfigError(e.what());
      }
      if (one.is_null()) one = Json::object();
      if (!one.is_object()) throw ConfigError(f + ": not a YAML mapping of settings");
    } else {
      try {
        one = komodo::toml_to_json(text, f);
      } catch (const komodo::Error& e) {
        throw ConfigError(e.what());
      }
    }
    for (const auto& [k, v] : one.items())
      if (!kKeys.contains(k))
        c.warnings.push_back(f + ": unknown key \"" + k + "\" (not a Komodo periphery setting)");
    merge(j, one);
  }
  // PERIPHERY_<KEY> wins over the files.
  auto var = [&](const std::string& key) -> const std::string* {
    std::string name = "PERIPHERY_";
    for (char ch : key)
      name += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    auto it = env.find(name);
    return it == env.end() ? nullptr : &it->second;
  };
  for (const char* key :
       {"bind_ip", "root_directory", "repo_dir", "stack_dir", "build_dir", "stats_polling_rate",
        "container_stats_polling_rate", "ssl_key_file", "ssl_cert_file"})
    if (const std::string* v = var(key)) j[key] = *v;
  for (const char* key : {"disable_terminals", "disable_container_exec", "legacy_compose_cli",
                          "ssl_enabled", "write_plaintext", "insecure_no_auth"})
    if (const std::string* v = var(key)) {
      if (*v != "true" && *v != "false")
        throw ConfigError(std::string("PERIPHERY_") + key + ": expected true or false, got \"" +
                          *v + "\"");
      j[key] = *v == "true";
    }
  for (const char* key : {"allowed_ips", "passkeys", "include_disk_mounts", "exclude_disk_mounts",
                          "safe_directories"})
    if (const std::string* v = var(key)) j[key] = split_list(*v);
  if (const std::string* v = var("port")) {
    char* end = nullptr;
    long p = std::strtol(v->c_str(), &end, 10);
    if (v->empty() || *end || p < 0 || p > 65535)
      throw ConfigError("PERIPHERY_PORT: expected a port number, got \"" + *v + "\"");
    j["port"] = p;
  }
  if (const std::string* v = var("logging_level")) j["logging"]["level"] = *v;
  if (auto it = env.find("PERIPHERY_PASSKEYS_FILE"); it != env.end()) {
    SecureBytes bytes = read_file(it->second, 1 << 20);
    j["passkeys"] = split_list(std::string(bytes.begin(), bytes.end()), ",\n");
  }

  Reader r(j);
  r.get("port", c.port);
  r.get("bind_ip", c.bind_ip);
  r.get("root_directory", c.root_directory);
  r.get("repo_dir", c.repo_dir);
  r.get("stack_dir", c.stack_dir);
  r.get("build_dir", c.build_dir);
  r.get("disable_terminals", c.disable_terminals);
  r.get("disable_container_exec", c.disable_container_exec);
  r.get("disable_container_terminals", c.disable_container_exec);
  r.get("stats_polling_rate", c.stats_polling_rate);
  if (polling_ms(c.stats_polling_rate) <= 0)
    throw ConfigError("stats_polling_rate: \"" + c.stats_polling_rate +
                      "\" is not a Komodo time length (\"1-sec\", \"5-sec\", \"1-min\", ...)");
  r.get("container_stats_polling_rate", c.container_stats_polling_rate);
  r.get("legacy_compose_cli", c.legacy_compose_cli);
  r.get("allowed_ips", c.allowed_ips);
  r.get("passkeys", c.passkeys);
  r.get("include_disk_mounts", c.include_disk_mounts);
  r.get("exclude_disk_mounts", c.exclude_disk_mounts);
  r.get("ssl_enabled", c.ssl_enabled);
  r.get("ssl_key_file", c.ssl_key_file);
  r.get("ssl_cert_file", c.ssl_cert_file);
  r.get("safe_directories", c.safe_directories);
  r.get("write_plaintext", c.write_plaintext);
  r.get("insecure_no_auth", c.insecure_no_auth);
  if (j.contains("logging") && j["logging"].is_object())
    Reader(j["logging"]).get("level", c.logging_level);
  if (j.contains("secrets")) {
    if (!j["secrets"].is_object())
      throw ConfigError("periphery config: secrets: expected a table of NAME = \"value\"");
    for (const auto& [k, v] : j["secrets"].items()) {
      if (!v.is_string())
        throw ConfigError("periphery config: secrets." + k + ": expected a string");
      c.secrets[k] = v.get<std::string>();
    }
  }
  for (const char* key : {"git_providers", "git_provider"})
    if (j.contains(key)) c.git_providers = j[key].is_array() ? j[key] : Json::array({j[key]});
  for (const char* key : {"docker_registries", "docker_registry", "image_registries"})
    if (j.contains(key)) c.docker_registries = j[key].is_array() ? j[key] : Json::array({j[key]});
  if (c.port < 0 || c.port > 65535) throw ConfigError("periphery config: port: out of range");
  for (const auto& ip : c.allowed_ips)
    if (!valid_cidr(ip))
      throw ConfigError("periphery config: allowed_ips: \"" + ip +
                        "\" is not an IP address or CIDR (for example 192.168.1.0/24, "
                        "10.0.0.5 or fd00::/8)");
  // A TOML passkey with spaces around it could never match a (trimmed) header value.
  for (auto& k : c.passkeys) {
    auto b = k.find_first_not_of(" \t\r\n");
    k = b == std::string::npos ? "" : k.substr(b, k.find_last_not_of(" \t\r\n") - b + 1);
  }
  std::erase(c.passkeys, "");
  while (c.root_directory.size() > 1 && c.root_directory.back() == '/')
    c.root_directory.pop_back();
  if (c.repo_dir.empty()) c.repo_dir = c.root_directory + "/repos";
  if (c.stack_dir.empty()) c.stack_dir = c.root_directory + "/stacks";
  if (c.build_dir.empty()) c.build_dir = c.root_directory + "/builds";
  if (c.ssl_key_file.empty()) c.ssl_key_file = c.root_directory + "/ssl/key.pem";
  if (c.ssl_cert_file.empty()) c.ssl_cert_file = c.root_directory + "/ssl/cert.pem";
  return c;
}

long polling_ms(const std::string& rate) {
  auto dash = rate.find('-');
  if (dash == 0 || dash == std::string::npos || dash > 4) return 0;
  long n = 0;
  for (std::size_t i = 0; i < dash; ++i) {
    if (rate[i] < '0' || rate[i] > '9') return 0;
    n = n * 10 + (rate[i] - '0');
  }
  static const std::map<std::string, long> units = {
      {"sec", 1000}, {"min", 60'000}, {"hr", 3'600'000}, {"day", 86'400'000}, {"wk", 604'800'000}};
  auto it = units.find(rate.substr(dash + 1));
  return it == units.end() ? 0 : n * it->second;
}

}  // namespace varan::periphery
