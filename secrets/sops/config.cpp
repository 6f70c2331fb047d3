#include "secrets/sops/config.h"

#include <re2/re2.h>
#include <sys/stat.h>

#include <climits>
#include <cstdlib>

#include "common/io.h"
#include "secrets/age/keys.h"
#include "secrets/sops/errors.h"

namespace varan::sops {

namespace {

bool exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

[[noreturn]] void config_error(const std::string& path, const std::string& why) {
  throw Error(codes::kErrorReadingConfig, "error loading config " + path + ": " + why);
}

Node load_config(const std::string& path) {
  SecureBytes text;
  try {
    text = read_file(path, 1 << 20);
  } catch (const varan::Error& e) {
    config_error(path, std::string("could not read config file: ") + e.what());
  }
  Branches docs;
  try {
    docs = make_store(Format::kYaml)->load_plain(as_string(text));
  } catch (const varan::Error& e) {
    config_error(path, e.what());
  }
  return docs.empty() ? Node::mapping() : docs[0];
}

// "a, b,,c" -> {"a", "b", "c"}, as sops splits its comma-separated key lists.
std::vector<std::string> split_commas(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto comma = s.find(',', start);
    std::string k = trim_space(
        s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (!k.empty()) out.push_back(std::move(k));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

// A key field: a comma-separated string or a list of strings.
std::vector<std::string> key_list(const Node* v, const std::string& field,
                                  const std::string& path) {
  std::vector<std::string> out;
  if (v == nullptr || v->kind == Node::Kind::kNull) return out;
  if (v->kind == Node::Kind::kString) return split_commas(v->str);
  if (v->kind == Node::Kind::kList) {
    for (const auto& item : v->list) {
      if (item.is_comment()) continue;
      if (item.kind != Node::Kind::kString)
        config_error(path, "invalid " + field + " key configuration: expected string in list");
      out.push_back(trim_space(item.str));
    }
    return out;
  }
  config_error(path,
               "invalid " + field + " key configuration: expected a string or a list of strings");
}

KeyGroup group_from(const Node& rule, const std::string& path) {
  KeyGroup g;
  for (const auto& r : key_list(rule.find("age"), "age", path)) {
    age::parse_recipient(r);  // validate now, with a clear message
    g.age.push_back({r, ""});
  }
  for (const char* other :
       {"pgp", "kms", "gcp_kms", "azure_keyvault", "hc_vault_transit_uri", "hckms"})
    for (const auto& k : key_list(rule.find(other), other, path)) {
      Node entry = Node::mapping();
      entry.add("id", Node::string(k));
      g.others.emplace_back(other, std::move(entry));
    }
  return g;
}

}  // namespace

KeyGroup group_from_recipients(std::string_view comma_separated) {
  KeyGroup g;
  for (auto& r : split_commas(comma_separated)) {
    age::parse_recipient(r);
    g.age.push_back({std::move(r), ""});
  }
  return g;
}

ConfigLookup find_config(const std::string& start_dir) {
  ConfigLookup out;
  char resolved[PATH_MAX];
  std::string dir = ::realpath(start_dir.c_str(), resolved) ? std::string(resolved) : start_dir;
  std::string alternate;
  for (int i = 0; i < 100; ++i) {
    std::string candidate = (dir == "/" ? "" : dir) + "/.sops.yaml";
    if (exists(candidate)) {
      out.path = candidate;
      if (!alternate.empty())
        out.warning = "ignoring \"" + alternate +
                      "\" when searching for config file; the config file must be called "
                      "\".sops.yaml\"; using \"" +
                      candidate + "\" instead";
      return out;
    }
    std::string alt = (dir == "/" ? "" : dir) + "/.sops.yml";
    if (alternate.empty() && exists(alt)) alternate = alt;
    if (dir == "/") break;
    auto slash = dir.rfind('/');
    dir = slash == 0 ? "/" : dir.substr(0, slash);
  }
  if (!alternate.empty())
    out.warning =
        "ignoring \"" + alternate +
        "\" when searching for config file; the config file must be called \".sops.yaml\"";
  return out;
}

CreationRule creation_rule_for(const std::string& config_path, const std::string& file_path) {
  Node conf = load_config(config_path);
  const Node* rules = conf.find("creation_rules");
  if (rules == nullptr || rules->kind != Node::Kind::kList || rules->list.empty())
    throw Error(codes::kNoEncryptionKeyFound,
                "error loading config " + config_path + ": no creation rules found");
  // Paths are matched relative to the config file's folder.
  char buf[PATH_MAX];
  std::string config_dir = config_path.substr(0, config_path.rfind('/'));
  if (::realpath(config_dir.c_str(), buf)) config_dir = buf;
  std::string abs = file_path;
  if (!abs.empty() && abs[0] != '/' && ::getcwd(buf, sizeof buf))
    abs = std::string(buf) + "/" + abs;
  std::string rel = abs.starts_with(config_dir + "/") ? abs.substr(config_dir.size() + 1) : abs;

  for (const auto& r : rules->list) {
    if (r.kind != Node::Kind::kMap) continue;
    std::string regex;
    if (const Node* p = r.find("path_regex")) regex = p->str;
    if (!regex.empty()) {
      RE2 re(regex, RE2::Quiet);
      if (!re.ok())
        config_error(config_path, "can not compile regexp \"" + regex + "\": " + re.error());
      if (!RE2::PartialMatch(rel, re)) continue;
    }
    CreationRule rule;
    // Only strings count here; a value of another type is as if absent.
    rule.encryption = EncryptionRule::read(r, [](const Node& v, std::string_view) {
      return v.kind == Node::Kind::kString ? v.str : std::string();
    });
    if (const Node* v = r.find("shamir_threshold"); v && v->kind == Node::Kind::kInt)
      rule.shamir_threshold = static_cast<int>(v->i);
    if (const Node* v = r.find("mac_only_encrypted"); v && v->kind == Node::Kind::kBool)
      rule.mac_only_encrypted = v->b;
    if (std::string why = rule.encryption.conflict(EncryptionRule::Place::kCreationRule);
        !why.empty())
      config_error(config_path, why);
    const Node* groups = r.find("key_groups");
    if (groups && groups->kind == Node::Kind::kList && !groups->list.empty()) {
      for (const auto& g : groups->list)
        if (g.kind == Node::Kind::kMap) rule.key_groups.push_back(group_from(g, config_path));
    } else {
      rule.key_groups.push_back(group_from(r, config_path));
    }
    return rule;
  }
  throw Error(codes::kNoEncryptionKeyFound, "error loading config " + config_path +
                                                ": no matching creation rules found for " + rel);
}

StoreOptions store_options(const std::string& config_path) {
  StoreOptions out;
  Node conf = load_config(config_path);
  if (const Node* stores = conf.find("stores"); stores && stores->kind == Node::Kind::kMap) {
    if (const Node* y = stores->find("yaml"); y && y->kind == Node::Kind::kMap)
      if (const Node* i = y->find("indent"); i && i->kind == Node::Kind::kInt)
        out.yaml_indent = static_cast<int>(i->i);
    if (const Node* j = stores->find("json"); j && j->kind == Node::Kind::kMap)
      if (const Node* i = j->find("indent"); i && i->kind == Node::Kind::kInt)
        out.json_indent = static_cast<int>(i->i);
  }
  return out;
}

}  // namespace varan::sops
