#include "engine/compose/merge.h"

#include <algorithm>
#include <set>

namespace varan::compose {

namespace {

bool is_reset(const YNode& n) { return n.tag == "!reset"; }
bool is_override(const YNode& n) { return n.tag == "!override"; }

YNode untagged(YNode n) {
  if (is_override(n)) n.tag.clear();
  return n;
}

std::string scalar_of(const YNode* n) {
  return n && n->kind == YNode::Kind::kScalar ? n->value : "";
}

// The identity of an entry of a list that merges by key.
std::string entry_key(const std::string& list, const YNode& e) {
  if (!e.is_map()) return e.value;
  if (list == "ports")
    return scalar_of(e.find("host_ip")) + ":" + scalar_of(e.find("published")) + ":" +
           scalar_of(e.find("target")) + "/" + scalar_of(e.find("protocol"));
  if (list == "volumes") return scalar_of(e.find("target"));
  if (list == "secrets" || list == "configs") {
    std::string t = scalar_of(e.find("target"));
    return t.empty() ? scalar_of(e.find("source")) : t;
  }
  if (list == "env_file") return scalar_of(e.find("path"));
  return "";
}

bool same(const YNode& a, const YNode& b) {
  if (a.kind != b.kind || a.value != b.value) return false;
  if (a.map.size() != b.map.size() || a.seq.size() != b.seq.size()) return false;
  for (std::size_t i = 0; i < a.map.size(); ++i)
    if (a.map[i].first != b.map[i].first || !same(a.map[i].second, b.map[i].second)) return false;
  for (std::size_t i = 0; i < a.seq.size(); ++i)
    if (!same(a.seq[i], b.seq[i])) return false;
  return true;
}

void merge_value(YNode& base, const YNode& over, const std::string& key, bool in_service);

// Inside a service the tags are kept where they land: the service may extend another, and
// its `!reset` / `!override` act on that one too (load.cpp drops them once `extends` is
// resolved). Elsewhere they act here and go.
void merge_mapping(YNode& base, const YNode& over, bool in_service) {
  for (const auto& [k, v] : over.map) {
    if (is_reset(v) && !in_service) {
      base.erase(k);
      continue;
    }
    YNode* b = base.find(k);
    if (!b || is_override(v) || is_reset(v)) {
      YNode copy = in_service ? v : untagged(v);
      if (!in_service) drop_resets(copy);
      base.set(k, std::move(copy));
      continue;
    }
    merge_value(*b, v, k, in_service);
  }
}

// A `services` mapping copied where nothing was under it: `!reset` services go, the
// tags inside the others stay (see merge_mapping).
YNode services_copy(const YNode& services) {
  YNode copy = untagged(services);
  if (!copy.is_map()) return copy;
  std::erase_if(copy.map, [](const auto& kv) { return is_reset(kv.second); });
  for (auto& [name, svc] : copy.map)
    if (is_override(svc)) svc.tag.clear();
  return copy;
}

const std::set<std::string, std::less<>> kReplaced = {"command", "entrypoint", "test"};
const std::set<std::string, std::less<>> kKeyed = {"ports", "volumes", "secrets", "configs",
                                                   "env_file"};

void merge_value(YNode& base, const YNode& over, const std::string& key, bool in_service) {
  if (in_service && kReplaced.contains(key)) {
    base = untagged(over);
    return;
  }
  if (base.is_map() && over.is_map()) {
    // A logging driver change replaces the options that belonged to the old driver.
    if (in_service && key == "logging") {
      std::string bd = scalar_of(base.find("driver")), od = scalar_of(over.find("driver"));
      if (!od.empty() && bd != od) {
        base = untagged(over);
        return;
      }
    }
    merge_mapping(base, over, in_service);
    return;
  }
  if (base.is_seq() && over.is_seq()) {
    if (in_service && kKeyed.contains(key)) {
      for (const auto& e : over.seq) {
        std::string id = entry_key(key, e);
        auto it = std::find_if(base.seq.begin(), base.seq.end(),
                               [&](const YNode& b) { return entry_key(key, b) == id; });
        if (it != base.seq.end()) {
          if (it->is_map() && e.is_map()) {
            merge_mapping(*it, e, in_service);
          } else {
            *it = e;
          }
        } else {
          base.seq.push_back(e);
        }
      }
      return;
    }
    for (const auto& e : over.seq) {
      bool scalar = e.kind == YNode::Kind::kScalar;
      if (scalar &&
          std::any_of(base.seq.begin(), base.seq.end(), [&](const YNode& b) { return same(b, e); }))
        continue;
      base.seq.push_back(e);
    }
    return;
  }
  base = untagged(over);
  drop_resets(base);
}

}  // namespace

void drop_resets(YNode& node) {
  if (node.is_map()) {
    std::erase_if(node.map, [](const auto& kv) { return is_reset(kv.second); });
    for (auto& [k, v] : node.map)
      drop_resets(v);
  } else if (node.is_seq()) {
    std::erase_if(node.seq, [](const YNode& v) { return is_reset(v); });
    for (auto& v : node.seq)
      drop_resets(v);
  }
  if (is_override(node)) node.tag.clear();
}

void drop_resets_outside_services(YNode& root) {
  if (!root.is_map()) return drop_resets(root);
  std::erase_if(root.map, [](const auto& kv) { return is_reset(kv.second); });
  for (auto& [k, v] : root.map) {
    if (k == "services")
      v = services_copy(v);
    else
      drop_resets(v);
  }
}

void merge_service(YNode& base, const YNode& over) { merge_mapping(base, over, true); }

void merge_files(YNode& base, const YNode& over) {
  for (const auto& [k, v] : over.map) {
    if (is_reset(v)) {
      base.erase(k);
      continue;
    }
    YNode* b = base.find(k);
    if (!b || is_override(v) || !b->is_map() || !v.is_map()) {
      YNode copy = k == "services" ? services_copy(v) : untagged(v);
      if (k != "services") drop_resets(copy);
      base.set(k, std::move(copy));
      continue;
    }
    if (k == "services") {
      for (const auto& [name, svc] : v.map) {
        YNode* bs = b->find(name);
        if (is_reset(svc)) {
          b->erase(name);
        } else if (!bs || is_override(svc) || !bs->is_map() || !svc.is_map()) {
          b->set(name, untagged(svc));
        } else {
          merge_service(*bs, svc);
        }
      }
    } else {
      merge_mapping(*b, v, false);
    }
  }
}

}  // namespace varan::compose
