#include "secrets/sops/sops.h"

#include "secrets/primitives.h"

namespace varan::sops {

namespace {

DataKey key_span(const SecureBytes& k) { return DataKey(k.data(), 32); }

SecureBytes new_data_key() {
  SecureBytes k(32);
  crypto::random_bytes(k);
  return k;
}

}  // namespace

std::vector<PathStep> parse_tree_path(std::string_view arg) {
  std::vector<PathStep> out;
  std::size_t start = 0;
  while (start <= arg.size()) {
    auto open = arg.find('[', start);
    std::string_view component =
        arg.substr(start, open == std::string_view::npos ? std::string_view::npos : open - start);
    start = open == std::string_view::npos ? arg.size() + 1 : open + 1;
    if (component.empty()) continue;
    auto bad = [&](const std::string& why) {
      throw Error(codes::kInvalidTreePathFormat, "error parsing --extract path: " + why);
    };
    if (component.back() != ']') bad("component " + std::string(component) + " doesn't end with ]");
    component.remove_suffix(1);
    if (component.empty()) bad("empty component");
    if (component[0] == '"' || component[0] == '\'') {
      if (component.size() < 2) bad("unterminated string component");
      out.emplace_back(std::string(component.substr(1, component.size() - 2)));
    } else {
      std::int64_t i;
      if (!go_parse_int(component, i))
        bad("strconv.Atoi: parsing \"" + std::string(component) + "\": invalid syntax");
      out.emplace_back(static_cast<int>(i));
    }
  }
  return out;
}

Tree decrypt_file(std::string_view encrypted, Format input, KeySource& keys, bool ignore_mac) {
  auto store = make_store(input);
  Tree tree = load_encrypted(*store, encrypted);
  auto key = recover_data_key(tree.metadata, keys);
  open_tree(tree, key_span(key), ignore_mac);
  return tree;
}

SecretString emit_plain(const Tree& tree, Format output, const std::vector<PathStep>& extract,
                        const StoreOptions& opts) {
  auto store = make_store(output, opts);
  if (extract.empty()) return SecretString(store->emit_plain(tree.branches));
  const Node* at = tree.branches.empty() ? nullptr : &tree.branches[0];
  for (const auto& step : extract) {
    if (const auto* key = std::get_if<std::string>(&step)) {
      const Node* next = at && at->kind == Node::Kind::kMap ? at->find(*key) : nullptr;
      if (next == nullptr)
        throw Error(codes::kGeneric, "error truncating tree: component ['" + *key + "'] not found");
      at = next;
    } else {
      int idx = std::get<int>(step);
      if (at == nullptr || at->kind != Node::Kind::kList)
        throw Error(codes::kGeneric, "error truncating tree: component [" + std::to_string(idx) +
                                         "] is integer, but tree part is not a slice");
      // Comments are items of a list in the tree; sops counts them too.
      if (idx < 0 || static_cast<std::size_t>(idx) >= at->list.size())
        throw Error(codes::kGeneric, "error truncating tree: component [" + std::to_string(idx) +
                                         "] accesses out of bounds");
      at = &at->list[static_cast<std::size_t>(idx)];
    }
  }
  if (at->kind == Node::Kind::kMap) return SecretString(store->emit_plain({*at}));
  if (at->kind == Node::Kind::kString) return SecretString(at->str);
  return SecretString(store->emit_value(*at));
}

std::string encrypt_file(std::string_view plain, Format format, const CreationRule& rule,
                         const StoreOptions& opts) {
  auto store = make_store(format, opts);
  Tree tree;
  tree.branches = store->load_plain(plain);
  if (has_metadata(*store, tree.branches))
    throw Error(codes::kFileAlreadyEncrypted, "File already encrypted");
  if (tree.branches.empty()) throw Error(codes::kGeneric, "the file holds no document to encrypt");
  Metadata& md = tree.metadata;
  md.key_groups = rule.key_groups;
  md.shamir_threshold = rule.shamir_threshold;
  md.encryption = rule.encryption;
  md.mac_only_encrypted = rule.mac_only_encrypted;
  md.version = std::string(kVersion);
  md.encryption.normalise();
  auto key = new_data_key();
  wrap_data_key(md, key_span(key));
  seal_tree(tree, key_span(key));
  return emit_encrypted(*store, tree);
}

std::string rotate_file(std::string_view encrypted, Format format, KeySource& keys,
                        const StoreOptions& opts) {
  auto store = make_store(format, opts);
  Tree tree = load_encrypted(*store, encrypted);
  auto old_key = recover_data_key(tree.metadata, keys);
  open_tree(tree, key_span(old_key), false);
  auto key = new_data_key();
  wrap_data_key(tree.metadata, key_span(key));
  tree.metadata.version = std::string(kVersion);
  seal_tree(tree, key_span(key));
  return emit_encrypted(*store, tree);
}

std::string update_keys(std::string_view encrypted, Format format, const CreationRule& rule,
                        KeySource& keys, const StoreOptions& opts) {
  auto store = make_store(format, opts);
  Tree tree = load_encrypted(*store, encrypted);
  auto key = recover_data_key(tree.metadata, keys);
  // The values stay as they are: only the key groups and their wrapped keys change.
  tree.metadata.key_groups = rule.key_groups;
  tree.metadata.shamir_threshold = rule.shamir_threshold;
  wrap_data_key(tree.metadata, key_span(key));
  return emit_encrypted(*store, tree);
}

}  // namespace varan::sops
