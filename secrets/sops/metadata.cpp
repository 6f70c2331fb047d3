#include "secrets/sops/metadata.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

#include "secrets/sops/errors.h"

namespace varan::sops {

namespace {

constexpr const char* kOtherKeyTypes[] = {"azure_kv", "gcp_kms", "hc_vault", "hckms", "kms", "pgp"};

[[noreturn]] void bad(const std::string& why) {
  throw Error(codes::kGeneric, "invalid sops metadata: " + why);
}

// mapstructure's WeaklyTypedInput: scalars of any type become the requested one.
std::string as_string(const Node& v, std::string_view field) {
  switch (v.kind) {
    case Node::Kind::kNull:
      return "";
    case Node::Kind::kString:
      return v.str;
    case Node::Kind::kInt:
      return std::to_string(v.i);
    case Node::Kind::kFloat:
      return go_format_float(v.f, 'f');
    case Node::Kind::kBool:
      return v.b ? "1" : "0";
    default:
      bad(std::string(field) + " is not a string");
  }
}

int as_int(const Node& v, const char* field) {
  switch (v.kind) {
    case Node::Kind::kNull:
      return 0;
    case Node::Kind::kInt:
      return static_cast<int>(v.i);
    case Node::Kind::kFloat:
      return static_cast<int>(v.f);
    case Node::Kind::kBool:
      return v.b ? 1 : 0;
    case Node::Kind::kString: {
      std::int64_t i;
      if (v.str.empty()) return 0;
      if (!go_parse_int(v.str, i)) bad(std::string(field) + " is not a number");
      return static_cast<int>(i);
    }
    default:
      bad(std::string(field) + " is not a number");
  }
}

bool as_bool(const Node& v, const char* field) {
  switch (v.kind) {
    case Node::Kind::kNull:
      return false;
    case Node::Kind::kBool:
      return v.b;
    case Node::Kind::kInt:
      return v.i != 0;
    case Node::Kind::kString: {
      bool b;
      if (v.str.empty()) return false;
      if (!go_parse_bool(v.str, b)) bad(std::string(field) + " is not a boolean");
      return b;
    }
    default:
      bad(std::string(field) + " is not a boolean");
  }
}

// A list field may be absent, null, or a list (of mappings).
std::vector<const Node*> entries(const Node* v, const char* field) {
  std::vector<const Node*> out;
  if (v == nullptr || v->kind == Node::Kind::kNull) return out;
  if (v->kind == Node::Kind::kMap && v->map.empty()) return out;  // an empty flattened list
  if (v->kind != Node::Kind::kList) bad(std::string(field) + " is not a list");
  for (const auto& e : v->list)
    if (!e.is_comment()) out.push_back(&e);
  return out;
}

KeyGroup group_from(const Node& g) {
  if (g.kind != Node::Kind::kMap) bad("a key group is not a mapping");
  KeyGroup out;
  for (const Node* e : entries(g.find("age"), "age")) {
    if (e->kind != Node::Kind::kMap) bad("an age key is not a mapping");
    AgeKey k;
    if (const Node* r = e->find("recipient")) k.recipient = as_string(*r, "recipient");
    if (const Node* c = e->find("enc")) k.enc = as_string(*c, "enc");
    out.age.push_back(std::move(k));
  }
  for (const char* type : kOtherKeyTypes)
    for (const Node* e : entries(g.find(type), type))
      out.others.emplace_back(type, *e);
  return out;
}

Node group_to(const KeyGroup& g, bool omit_empty) {
  // Fields sorted by name, as sops 3.13 writes them.
  std::map<std::string, Node> fields;
  if (!g.age.empty() || !omit_empty) {
    Node list = Node::sequence();
    for (const auto& k : g.age) {
      Node e = Node::mapping();
      e.add("enc", Node::string(k.enc));
      e.add("recipient", Node::string(k.recipient));
      list.list.push_back(std::move(e));
    }
    fields["age"] = std::move(list);
  }
  for (const auto& [type, entry] : g.others) {
    auto [it, inserted] = fields.try_emplace(type, Node::sequence());
    it->second.list.push_back(entry);
  }
  Node out = Node::mapping();
  for (auto& [k, v] : fields)
    out.add(k, std::move(v));
  return out;
}

bool two_digits(std::string_view s, std::size_t at) {
  return at + 2 <= s.size() && std::isdigit(static_cast<unsigned char>(s[at])) &&
         std::isdigit(static_cast<unsigned char>(s[at + 1]));
}

}  // namespace

Metadata metadata_from_node(const Node& m) {
  if (m.kind != Node::Kind::kMap) bad("the sops entry is not a mapping");
  Metadata md;
  auto str = [&](const char* key, std::string& out) {
    if (const Node* v = m.find(key)) out = as_string(*v, key);
  };
  str("lastmodified", md.lastmodified);
  str("mac", md.mac);
  str("version", md.version);
  md.encryption = EncryptionRule::read(
      m, [](const Node& v, std::string_view name) { return as_string(v, name); });
  if (const Node* v = m.find("shamir_threshold"))
    md.shamir_threshold = as_int(*v, "shamir_threshold");
  if (const Node* v = m.find("mac_only_encrypted"))
    md.mac_only_encrypted = as_bool(*v, "mac_only_encrypted");

  // Keys at the top level form the only group; otherwise key_groups lists them.
  KeyGroup top = group_from(m);
  if (!top.age.empty() || !top.others.empty()) {
    md.key_groups.push_back(std::move(top));
  } else {
    for (const Node* g : entries(m.find("key_groups"), "key_groups"))
      md.key_groups.push_back(group_from(*g));
  }
  if (md.key_groups.empty()) throw Error(codes::kGeneric, "No keys found in file");
  reformat_rfc3339(md.lastmodified);  // must parse
  md.encryption.normalise();
  return md;
}

Node metadata_to_node(const Metadata& md) {
  std::map<std::string, Node> fields;  // sorted, as sops 3.13 writes them
  if (md.key_groups.size() == 1) {
    Node g = group_to(md.key_groups[0], true);
    for (auto& [k, v] : g.map)
      fields[k.str] = std::move(v);
  } else {
    Node groups = Node::sequence();
    for (const auto& g : md.key_groups)
      groups.list.push_back(group_to(g, false));
    fields["key_groups"] = std::move(groups);
  }
  if (md.shamir_threshold != 0) fields["shamir_threshold"] = Node::integer(md.shamir_threshold);
  fields["lastmodified"] = Node::string(md.lastmodified);
  fields["mac"] = Node::string(md.mac);
  md.encryption.write(fields);
  if (md.mac_only_encrypted) fields["mac_only_encrypted"] = Node::boolean(true);
  fields["version"] = Node::string(md.version);
  Node out = Node::mapping();
  for (auto& [k, v] : fields)
    out.add(k, std::move(v));
  return out;
}

std::string reformat_rfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
  auto fail = [&]() -> std::string {
    throw Error(codes::kGeneric, "invalid sops metadata: lastmodified \"" + std::string(s) +
                                     "\" is not an RFC 3339 time");
  };
  if (s.size() < 20 || !std::isdigit(static_cast<unsigned char>(s[0])) || !two_digits(s, 0) ||
      !two_digits(s, 2) || s[4] != '-' || !two_digits(s, 5) || s[7] != '-' || !two_digits(s, 8) ||
      s[10] != 'T' || !two_digits(s, 11) || s[13] != ':' || !two_digits(s, 14) || s[16] != ':' ||
      !two_digits(s, 17))
    return fail();
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
      ++i;
    if (i == start) return fail();
  }
  std::string zone(s.substr(i));
  if (zone == "Z") {
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && two_digits(zone, 1) &&
             zone[3] == ':' && two_digits(zone, 4)) {
    if (zone.substr(1) == "00:00") zone = "Z";
  } else {
    return fail();
  }
  int month = std::stoi(std::string(s.substr(5, 2))), day = std::stoi(std::string(s.substr(8, 2)));
  int hour = std::stoi(std::string(s.substr(11, 2))),
      minute = std::stoi(std::string(s.substr(14, 2)));
  int second = std::stoi(std::string(s.substr(17, 2)));
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
    return fail();
  return std::string(s.substr(0, 19)) + zone;
}

std::string now_rfc3339() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// ---- flattening ----

namespace {
constexpr std::string_view kMapSep = "__map_";
constexpr std::string_view kListSep = "__list_";

void flatten_into(const Node& v, const std::string& key, Node& out) {
  if (v.kind == Node::Kind::kMap) {
    for (const auto& [k, child] : v.map)
      if (!k.is_comment()) flatten_into(child, key + std::string(kMapSep) + k.str, out);
    return;
  }
  if (v.kind == Node::Kind::kList) {
    int i = 0;
    for (const auto& child : v.list)
      if (!child.is_comment())
        flatten_into(child, key + std::string(kListSep) + std::to_string(i++), out);
    return;
  }
  if (out.find(key))
    throw Error(codes::kGeneric, "Found key collision \"" + key + "\" while flattening");
  out.add(key, v);
}

struct Slot {
  const Node* value = nullptr;
  std::map<std::string, Slot> keys;
  std::map<int, Slot> indices;
};

Node convert(const Slot& s) {
  int kinds = (s.value != nullptr) + !s.keys.empty() + !s.indices.empty();
  if (kinds > 1) throw Error(codes::kGeneric, "Error while unflattening: Type mismatch");
  if (s.value) return *s.value;
  if (!s.indices.empty()) {
    if (s.indices.begin()->first != 0 ||
        s.indices.rbegin()->first + 1 != static_cast<int>(s.indices.size()))
      throw Error(codes::kGeneric, "Error while unflattening: Incomplete list");
    Node list = Node::sequence();
    for (const auto& [i, child] : s.indices)
      list.list.push_back(convert(child));
    return list;
  }
  Node m = Node::mapping();  // sorted keys, as sops' unflatten sorts them
  for (const auto& [k, child] : s.keys)
    m.add(k, convert(child));
  return m;
}
}  // namespace

Node flatten(const Node& mapping, const std::string& prefix) {
  Node out = Node::mapping();
  for (const auto& [k, v] : mapping.map)
    if (!k.is_comment()) flatten_into(v, prefix + k.str, out);
  return out;
}

Node unflatten(const Node& flat) {
  Slot root;
  for (const auto& [k, v] : flat.map) {
    if (k.is_comment()) continue;
    // Tokens: the first is a map key; then "__map_<key>" or "__list_<n>".
    const std::string& key = k.str;
    Slot* at = &root;
    std::size_t pos = 0, state_len = 0;
    bool list = false;
    auto next_sep = [&](std::size_t from) {
      std::size_t m = key.find(kMapSep, from), l = key.find(kListSep, from);
      return std::min(m, l);
    };
    for (;;) {
      std::size_t start = pos + state_len;
      std::size_t sep = next_sep(start);
      std::string token =
          key.substr(start, sep == std::string::npos ? std::string::npos : sep - start);
      if (list) {
        std::int64_t n = 0;
        go_parse_int(token, n);
        at = &at->indices[static_cast<int>(n)];
      } else {
        at = &at->keys[token];
      }
      if (sep == std::string::npos) break;
      list = key.compare(sep, kListSep.size(), kListSep) == 0;
      state_len = list ? kListSep.size() : kMapSep.size();
      pos = sep;
    }
    if (at->value)
      throw Error(codes::kGeneric, "Error while unflattening \"" + key + "\": Duplicate value");
    at->value = &v;
  }
  return convert(root);
}

}  // namespace varan::sops
