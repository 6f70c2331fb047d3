#include "secrets/sops/store.h"

#include "secrets/sops/stores.h"

namespace varan::sops {

namespace {
constexpr std::string_view kMetadataKey = "sops";
constexpr std::string_view kPrefix = "sops_";

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
  return s;
}
}  // namespace

std::string_view format_name(Format f) {
  switch (f) {
    case Format::kYaml:
      return "yaml";
    case Format::kJson:
      return "json";
    case Format::kDotenv:
      return "dotenv";
    case Format::kIni:
      return "ini";
    case Format::kBinary:
      return "binary";
  }
  return "binary";
}

std::optional<Format> parse_format(std::string_view s) {
  for (Format f : {Format::kYaml, Format::kJson, Format::kDotenv, Format::kIni, Format::kBinary})
    if (format_name(f) == s) return f;
  return std::nullopt;
}

Format format_for_path(std::string_view path) {
  if (path.ends_with(".yaml") || path.ends_with(".yml")) return Format::kYaml;
  if (path.ends_with(".json")) return Format::kJson;
  if (path.ends_with(".env")) return Format::kDotenv;
  if (path.ends_with(".ini")) return Format::kIni;
  return Format::kBinary;
}

std::unique_ptr<Store> make_store(Format f, const StoreOptions& opts) {
  switch (f) {
    case Format::kYaml:
      return make_yaml_store(opts.yaml_indent);
    case Format::kJson:
      return make_json_store(opts.json_indent);
    case Format::kDotenv:
      return make_dotenv_store();
    case Format::kIni:
      return make_ini_store();
    case Format::kBinary:
      return make_binary_store(opts.json_indent);
  }
  return make_binary_store(opts.json_indent);
}

bool has_metadata(const Store& store, const Branches& b) {
  if (b.empty()) return false;
  for (const auto& [k, v] : b[0].map) {
    if (k.is_comment()) continue;
    if (store.layout() == Store::Layout::kFlattenFull ? k.str.starts_with(kPrefix)
                                                      : k.str == kMetadataKey)
      return true;
  }
  return false;
}

Tree load_encrypted(const Store& store, std::string_view in) {
  // The binary store's encrypted form is JSON.
  std::unique_ptr<Store> json;
  const Store* s = &store;
  if (store.format() == Format::kBinary) {
    json = make_json_store(-1);
    s = json.get();
  }
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
  const Store* s = &store;
  if (store.format() == Format::kBinary) {
    json = make_json_store(-1);
    s = json.get();
  }
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
      if (k.is_comment()) continue;
      if (s->layout() == Store::Layout::kFlattenFull ? k.str.starts_with(kPrefix)
                                                     : k.str == kMetadataKey)
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
