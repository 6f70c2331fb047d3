#include "secrets/sops/crypt.h"

#include <re2/re2.h>

#include <memory>

#include "secrets/crypto.h"

namespace varan::sops {

namespace {

// SHA-256("sops"): what the MAC starts from when only encrypted values are covered.
constexpr std::uint8_t kMacOnlyEncryptedInit[32] = {
    0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
    0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69};

// The MAC: SHA-512 over the values, written as 128 uppercase hex digits.
class Mac {
 public:
  void update(std::string_view s) { h_.update(as_bytes(s)); }
  /// A leaf's value as it counts for the MAC (comments never do).
  void leaf(const Node& v) {
    std::string bytes = to_bytes(v);
    update(bytes);
    wipe(bytes);
  }
  std::string hex_upper() {
    auto d = h_.finish();
    static const char* kHex = "0123456789ABCDEF";
    std::string out;
    for (auto b : d) {
      out += kHex[b >> 4];
      out += kHex[b & 15];
    }
    return out;
  }

 private:
  crypto::Sha512 h_;
};

std::unique_ptr<RE2> compile(const std::string& pattern, const char* name) {
  if (pattern.empty()) return nullptr;
  auto re = std::make_unique<RE2>(pattern, RE2::Quiet);
  if (!re->ok())
    throw Error(codes::kGeneric,
                std::string("invalid ") + name + " \"" + pattern + "\": " + re->error());
  return re;
}

// The encryption rules of one file; at most one is set.
class Rules {
 public:
  explicit Rules(const Metadata& md)
      : md_(md),
        unencrypted_regex_(compile(md.unencrypted_regex, "unencrypted_regex")),
        encrypted_regex_(compile(md.encrypted_regex, "encrypted_regex")),
        unencrypted_comment_regex_(
            compile(md.unencrypted_comment_regex, "unencrypted_comment_regex")),
        encrypted_comment_regex_(compile(md.encrypted_comment_regex, "encrypted_comment_regex")) {}

  using Stack = std::vector<std::vector<std::string>>;

  bool encrypted(const std::vector<std::string>& path, const Stack& comments,
                 bool is_comment) const {
    bool enc = true;
    if (!md_.unencrypted_suffix.empty())
      for (const auto& k : path)
        if (k.ends_with(md_.unencrypted_suffix)) {
          enc = false;
          break;
        }
    if (!md_.encrypted_suffix.empty()) {
      enc = false;
      for (const auto& k : path)
        if (k.ends_with(md_.encrypted_suffix)) {
          enc = true;
          break;
        }
    }
    if (unencrypted_regex_)
      for (const auto& k : path)
        if (RE2::PartialMatch(k, *unencrypted_regex_)) {
          enc = false;
          break;
        }
    if (encrypted_regex_) {
      enc = false;
      for (const auto& k : path)
        if (RE2::PartialMatch(k, *encrypted_regex_)) {
          enc = true;
          break;
        }
    }
    if (unencrypted_comment_regex_)
      for (const auto& level : comments)
        for (const auto& c : level)
          if (RE2::PartialMatch(c, *unencrypted_comment_regex_)) return false;
    if (encrypted_comment_regex_) {
      enc = false;
      for (std::size_t i = 0; i < comments.size(); ++i)
        for (std::size_t j = 0; j < comments[i].size(); ++j) {
          // A comment is not encrypted because of itself.
          if (is_comment && i + 1 == comments.size() && j + 1 == comments[i].size()) continue;
          if (RE2::PartialMatch(comments[i][j], *encrypted_comment_regex_)) return true;
        }
    }
    return enc;
  }

  const RE2* unencrypted_comment_regex() const { return unencrypted_comment_regex_.get(); }

 private:
  const Metadata& md_;
  std::unique_ptr<RE2> unencrypted_regex_, encrypted_regex_, unencrypted_comment_regex_,
      encrypted_comment_regex_;
};

std::string aad_of(const std::vector<std::string>& path) {
  std::string s;
  for (const auto& k : path)
    s += k + ":";
  return path.empty() ? ":" : s;
}

// Walks the tree as sops does (mapping and list items in order, a stack of the comments
// seen at each level), calling leaf() on every scalar and comment.
template <class Leaf>
class Walker {
 public:
  explicit Walker(Leaf& leaf) : leaf_(leaf) {}

  void branch(Node& m, std::vector<std::string>& path, Rules::Stack& stack) {
    stack.emplace_back();
    for (auto& [key, value] : m.map) {
      if (key.is_comment()) {
        stack.back().push_back(key.str);
        leaf_(key, path, stack, true);
        continue;
      }
      bool value_is_comment = value.is_comment();
      if (value_is_comment) stack.back().push_back(value.str);
      if (key.kind != Node::Kind::kString)
        throw Error(codes::kGeneric,
                    "Tree contains a non-string key. Only string keys are supported");
      path.push_back(key.str);
      walk(value, path, stack);
      path.pop_back();
      if (!value_is_comment) stack.back().clear();
    }
    stack.pop_back();
  }

  void walk(Node& v, std::vector<std::string>& path, Rules::Stack& stack) {
    switch (v.kind) {
      case Node::Kind::kMap:
        branch(v, path, stack);
        return;
      case Node::Kind::kList:
        stack.emplace_back();
        for (auto& item : v.list) {
          bool c = item.is_comment();
          if (c) stack.back().push_back(item.str);
          walk(item, path, stack);
          if (!c) stack.back().clear();
        }
        stack.pop_back();
        return;
      case Node::Kind::kNull:
        return;
      default:
        leaf_(v, path, stack, v.is_comment());
    }
  }

 private:
  Leaf& leaf_;
};

template <class Leaf>
void walk_all(Branches& branches, Leaf&& leaf) {
  Walker<std::remove_reference_t<Leaf>> w(leaf);
  for (auto& doc : branches) {
    std::vector<std::string> path;
    Rules::Stack stack;
    w.branch(doc, path, stack);
  }
}

}  // namespace

std::string encrypt_tree(Branches& branches, const Metadata& md, DataKey key) {
  Rules rules(md);
  Mac mac;
  if (md.mac_only_encrypted) mac.update(as_string(kMacOnlyEncryptedInit));
  walk_all(branches, [&](Node& leaf, const std::vector<std::string>& path,
                         const Rules::Stack& stack, bool is_comment) {
    bool enc = rules.encrypted(path, stack, is_comment);
    if ((!md.mac_only_encrypted || enc) && !is_comment) mac.leaf(leaf);
    if (!enc) return;
    std::string ciphertext = encrypt_value(leaf, key, aad_of(path));
    if (is_comment && rules.unencrypted_comment_regex() &&
        RE2::PartialMatch(ciphertext, *rules.unencrypted_comment_regex()))
      throw Error(codes::kErrorEncryptingTree,
                  "Encrypted comment matches unencrypted_comment_regex! Make sure that "
                  "unencrypted_comment_regex "
                  "cannot match an encrypted comment.");
    bool was_inline = leaf.inline_comment;
    leaf = is_comment ? Node::comment(std::move(ciphertext), was_inline)
                      : Node::string(std::move(ciphertext));
  });
  return mac.hex_upper();
}

std::string decrypt_tree(Branches& branches, const Metadata& md, DataKey key) {
  Rules rules(md);
  Mac mac;
  if (md.mac_only_encrypted) mac.update(as_string(kMacOnlyEncryptedInit));
  walk_all(branches, [&](Node& leaf, const std::vector<std::string>& path,
                         const Rules::Stack& stack, bool is_comment) {
    bool enc = rules.encrypted(path, stack, is_comment);
    if (enc) {
      std::string where = aad_of(path);
      if (is_comment) {
        // Comments that do not decrypt were written by an old sops, unencrypted: kept as they are.
        try {
          Node plain = decrypt_value(leaf.str, key, where);
          bool was_inline = leaf.inline_comment;
          leaf = Node::comment(plain.str, was_inline);
        } catch (const Error&) {
        }
        return;
      }
      if (leaf.kind != Node::Kind::kString)
        throw Error(codes::kErrorDecryptingTree,
                    "Error decrypting tree: Expected an encrypted value as a string at " + where);
      try {
        leaf = decrypt_value(leaf.str, key, where);
      } catch (const Error& e) {
        throw Error(codes::kErrorDecryptingTree,
                    "Error decrypting tree: Error walking tree: Could not decrypt value at " +
                        where + ": " + e.what());
      }
      if (leaf.is_comment()) return;  // a comment stored as a list item
    }
    if ((!md.mac_only_encrypted || enc) && !is_comment) mac.leaf(leaf);
  });
  return mac.hex_upper();
}

void seal_tree(Tree& tree, DataKey key) {
  std::string mac = encrypt_tree(tree.branches, tree.metadata, key);
  tree.metadata.lastmodified = now_rfc3339();
  tree.metadata.mac = encrypt_value(Node::string(mac), key, tree.metadata.lastmodified);
}

void open_tree(Tree& tree, DataKey key, bool ignore_mac) {
  std::string computed = decrypt_tree(tree.branches, tree.metadata, key);
  if (ignore_mac) return;
  Node stored;
  try {
    stored = decrypt_value(tree.metadata.mac, key, reformat_rfc3339(tree.metadata.lastmodified));
  } catch (const Error& e) {
    throw Error(codes::kMacMismatch, std::string("Cannot decrypt MAC: ") + e.what());
  }
  if (stored.kind != Node::Kind::kString ||
      !crypto::equal(as_bytes(stored.str), as_bytes(computed)))
    throw Error(codes::kMacMismatch, "MAC mismatch. File has " +
                                         (stored.str.empty() ? std::string("no MAC") : stored.str) +
                                         ", computed " + computed);
}

}  // namespace varan::sops
