#include "secrets/sops/tree_crypt.h"

#include <re2/re2.h>

#include <memory>
#include <utility>

#include "secrets/primitives.h"
#include "secrets/sops/errors.h"

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
  explicit Rules(const EncryptionRule& rule)
      : rule_(rule),
        unencrypted_regex_(compile(rule.unencrypted_regex, "unencrypted_regex")),
        encrypted_regex_(compile(rule.encrypted_regex, "encrypted_regex")),
        unencrypted_comment_regex_(
            compile(rule.unencrypted_comment_regex, "unencrypted_comment_regex")),
        encrypted_comment_regex_(compile(rule.encrypted_comment_regex, "encrypted_comment_regex")) {
  }

  using Stack = std::vector<std::vector<std::string>>;

  bool encrypted(const std::vector<std::string>& path, const Stack& comments,
                 bool is_comment) const {
    bool enc = true;
    if (!rule_.unencrypted_suffix.empty())
      for (const auto& k : path)
        if (k.ends_with(rule_.unencrypted_suffix)) {
          enc = false;
          break;
        }
    if (!rule_.encrypted_suffix.empty()) {
      enc = false;
      for (const auto& k : path)
        if (k.ends_with(rule_.encrypted_suffix)) {
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
  const EncryptionRule& rule_;
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

// When the MAC reads a leaf: before encrypting it, or after decrypting it (the plaintext).
enum class MacOf { kBefore, kAfter };

// Walks every leaf, calling `change(leaf, aad, is_comment, rules)` on those the rule
// encrypts, and returns the MAC over the plaintext leaves. Comments never count for the
// MAC (nor does a list item that decrypts to one); with mac_only_encrypted, neither do
// the values left in plaintext.
template <class Change>
std::string walk_leaves(Branches& branches, const Metadata& md, MacOf when, Change&& change) {
  Rules rules(md.encryption);
  Mac mac;
  if (md.mac_only_encrypted) mac.update(as_string(kMacOnlyEncryptedInit));
  auto count = [&](const Node& leaf, bool enc) {
    if ((!md.mac_only_encrypted || enc) && !leaf.is_comment()) mac.leaf(leaf);
  };
  walk_all(branches, [&](Node& leaf, const std::vector<std::string>& path,
                         const Rules::Stack& stack, bool is_comment) {
    bool enc = rules.encrypted(path, stack, is_comment);
    if (when == MacOf::kBefore) count(leaf, enc);
    if (enc) change(leaf, aad_of(path), is_comment, std::as_const(rules));
    if (when == MacOf::kAfter) count(leaf, enc);
  });
  return mac.hex_upper();
}

}  // namespace

std::string encrypt_tree(Branches& branches, const Metadata& md, DataKey key) {
  return walk_leaves(branches, md, MacOf::kBefore,
                     [&](Node& leaf, const std::string& aad, bool is_comment, const Rules& rules) {
                       std::string ciphertext = encrypt_value(leaf, key, aad);
                       if (is_comment && rules.unencrypted_comment_regex() &&
                           RE2::PartialMatch(ciphertext, *rules.unencrypted_comment_regex()))
                         throw Error(codes::kErrorEncryptingTree,
                                     "Encrypted comment matches unencrypted_comment_regex! Make "
                                     "sure that unencrypted_comment_regex "
                                     "cannot match an encrypted comment.");
                       bool was_inline = leaf.inline_comment;
                       leaf = is_comment ? Node::comment(std::move(ciphertext), was_inline)
                                         : Node::string(std::move(ciphertext));
                     });
}

std::string decrypt_tree(Branches& branches, const Metadata& md, DataKey key) {
  return walk_leaves(
      branches, md, MacOf::kAfter,
      [&](Node& leaf, const std::string& where, bool is_comment, const Rules&) {
        if (is_comment) {
          // A comment that does not decrypt was written unencrypted by an old sops: kept.
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
      });
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
