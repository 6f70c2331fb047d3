/// The SOPS tree: what every store turns a file into and back. Ordered mappings (whose
/// keys are strings or comments), lists, typed scalars and comments, as sops models them.
/// Encryption, the MAC and metadata work on this tree and never see a file format.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/secure.h"

namespace varan::sops {

struct Node {
  enum class Kind { kNull, kString, kInt, kFloat, kBool, kBytes, kComment, kMap, kList };

  Kind kind = Kind::kNull;
  std::string str;  // kString, kBytes, kComment
  std::int64_t i = 0;
  double f = 0;
  bool b = false;
  bool inline_comment = false;             // kComment: written after a value on the same line
  std::vector<std::pair<Node, Node>> map;  // key is a kString or a kComment (then value is null)
  std::vector<Node> list;                  // may hold kComment items

  Node() = default;
  Node(const Node&) = default;
  Node(Node&&) noexcept = default;
  Node& operator=(const Node&) = default;
  Node& operator=(Node&&) noexcept = default;
  ~Node() { wipe(str); }  // values are secrets once decrypted

  static Node string(std::string s) {
    Node n;
    n.kind = Kind::kString;
    n.str = std::move(s);
    return n;
  }
  static Node integer(std::int64_t v) {
    Node n;
    n.kind = Kind::kInt;
    n.i = v;
    return n;
  }
  static Node floating(double v) {
    Node n;
    n.kind = Kind::kFloat;
    n.f = v;
    return n;
  }
  static Node boolean(bool v) {
    Node n;
    n.kind = Kind::kBool;
    n.b = v;
    return n;
  }
  static Node comment(std::string text, bool is_inline = false) {
    Node n;
    n.kind = Kind::kComment;
    n.str = std::move(text);
    n.inline_comment = is_inline;
    return n;
  }
  static Node mapping() {
    Node n;
    n.kind = Kind::kMap;
    return n;
  }
  static Node sequence() {
    Node n;
    n.kind = Kind::kList;
    return n;
  }

  bool is_comment() const { return kind == Kind::kComment; }
  bool is_complex() const { return kind == Kind::kMap || kind == Kind::kList; }
  /// The value under a string key of a mapping, or nullptr.
  const Node* find(std::string_view key) const;
  Node* find(std::string_view key);
  void add(std::string key, Node value) {
    map.emplace_back(Node::string(std::move(key)), std::move(value));
  }
};

/// A file is one or more documents (YAML can hold several); each is a mapping.
using Branches = std::vector<Node>;

bool operator==(const Node& a, const Node& b);

/// Go's strconv.FormatFloat(v, fmt, -1, 64) for fmt 'f', 'g', 'G', 'e'.
std::string go_format_float(double v, char fmt);
/// Go's strconv.ParseFloat(s, 64); false when s is not a float Go accepts.
bool go_parse_float(std::string_view s, double& out);
/// Go's strconv.ParseBool: 1 t T TRUE true True / 0 f F FALSE false False.
bool go_parse_bool(std::string_view s, bool& out);
/// `s` without leading and trailing white space.
std::string trim_space(std::string_view s);
/// Go's strconv.Atoi / ParseInt(s, 10, 64).
bool go_parse_int(std::string_view s, std::int64_t& out);

/// sops' stores.ValToString: how non-string values become environment/dotenv/INI text.
std::string value_to_string(const Node& v);
/// sops' ToBytes: the bytes a leaf contributes to the MAC and to encryption.
std::string to_bytes(const Node& v);

}  // namespace varan::sops
