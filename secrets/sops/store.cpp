#include "secrets/sops/store.h"

#include "secrets/sops/errors.h"
#include "secrets/sops/store_registry.h"

namespace varan::sops {

namespace {
constexpr std::string_view kMetadataKey = "sops";
constexpr std::string_view kPrefix = "sops_";

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
  return s;
}

// The store that reads and writes `store`'s encrypted form: the binary store's is JSON,
// made in `json`.
const Store& encrypted_form(const Store& store, std::unique_ptr<Store>& json) {
  if (store.format() != Format::kBinary) return store;
  json = make_json_store(-1);
  return *json;
}

// A top-level key the format's layout reserves for the metadata.
bool is_metadata_key(const Store& store, const Node& key) {
  if (key.is_comment()) return false;
  return store.layout() == Store::Layout::kFlattenFull ? key.str.starts_with(kPrefix)
                                                       : key.str == kMetadataKey;
}

}  // namespace

bool has_metadata(const Store& store, const Branches& b) {
  if (b.empty()) return false;
  for (const auto& [k, v] : b[0].map)
    if (is_metadata_key(store, k)) return true;
  return false;
}

Tree load_encrypted(const Store& store, std::string_view in) {
  std::unique_ptr<Store> json;
  const Store* s = &encrypted_form(store, json);
  Tree tree;
  tree.branches = s->load_plain(in);
  Node meta;
  bool found = false;
  if (s->layout() == Store::Layout::kFlattenFull) {
    meta = Node::mapping();
    if (!tree.branches.empty()) {
      auto& items = tree.branches[0].map;
      for (auto it = items.begin(); it != items.end();) {
        if (!it->first.is_comment() && it->first.str.starts_with(kPrefix)) {
          meta.add(it->first.str.substr(kPrefix.size()), std::move(it->second));
          it = items.erase(it);
          found = true;
        } else {
          ++it;
        }
      }
    }
  } else {
    for (std::size_t d = 0; d < tree.branches.size(); ++d) {
      auto& items = tree.branches[d].map;
      for (auto it = items.begin(); it != items.end();) {
        if (!it->first.is_comment() && it->first.str == kMetadataKey) {
          if (d == 0) {
            if (found) throw Error(codes::kGeneric, "Found duplicate sops entry");
            if (it->second.kind != Node::Kind::kMap)
              throw Error(codes::kGeneric, "Found sops entry that is not a mapping");
            meta = std::move(it->second);
            found = true;
          }
          it = items.erase(it);
        } else {
          ++it;
        }
      }
    }
  }
  if (!found) throw Error(codes::kGeneric, "sops metadata not found");
  if (s->layout() != Store::Layout::kNested) {
    if (s->escape_metadata_newlines())
      for (auto& [k, v] : meta.map)
        if (v.kind == Node::Kind::kString) v.str = replace_all(v.str, "\\n", "\n");
    meta = unflatten(meta);
  }
  tree.metadata = metadata_from_node(meta);
  return tree;
}

std::string emit_encrypted(const Store& store, const Tree& tree) {
  std::unique_ptr<Store> json;
  const Store* s = &encrypted_form(store, json);
  Node meta = metadata_to_node(tree.metadata);
  std::vector<std::pair<Node, Node>> extra;
  if (s->layout() == Store::Layout::kNested) {
    extra.emplace_back(Node::string(std::string(kMetadataKey)), std::move(meta));
  } else {
    Node flat =
        flatten(meta, s->layout() == Store::Layout::kFlattenFull ? std::string(kPrefix) : "");
    for (auto& [k, v] : flat.map) {
      if (s->escape_metadata_newlines() && v.kind == Node::Kind::kString)
        v.str = replace_all(v.str, "\n", "\\n");
      extra.emplace_back(std::move(k), std::move(v));
    }
    if (s->layout() == Store::Layout::kFlattenBelowTop) {
      Node section = Node::mapping();
      section.map = std::move(extra);
      extra.clear();
      extra.emplace_back(Node::string(std::string(kMetadataKey)), std::move(section));
    }
  }
  Branches out = tree.branches;
  for (auto& doc : out) {
    for (const auto& [k, v] : doc.map) {
      if (is_metadata_key(*s, k))
        throw Error(
            codes::kGeneric,
            "Found key \"" + k.str + "\" in encrypted data, which is reserved for SOPS metadata");
    }
    for (const auto& item : extra)
      doc.map.push_back(item);
  }
  return s->emit_plain(out);
}

}  // namespace varan::sops
