/// Compose files as YAML trees before typing: scalars stay text (with whether they were
/// quoted), keys are strings, anchors and aliases are resolved and `<<` merge keys applied,
/// and every node remembers the file and line it came from, for messages. Interpolation,
/// merging and typing are later passes (interpolate.h, merge.h, model.h).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"

namespace varan::compose {

/// A compose file can't be used: the message names the file and line (or the service,
/// key or variable) and says what was expected.
class Error : public varan::Error {
 public:
  using varan::Error::Error;
};

struct YEntry;

struct YNode {
  enum class Kind { kNull, kScalar, kMap, kSeq };
  Kind kind = Kind::kNull;
  std::string value;        // scalar text
  bool quoted = false;      // a quoted or block scalar: a string, whatever it looks like
  std::string tag;          // "!reset", "!override", "!!str", ...
  std::vector<YEntry> map;  // in file order
  std::vector<YNode> seq;
  std::string file;
  std::size_t line = 0;  // from 1

  static YNode scalar(std::string v, bool quoted = true);
  static YNode mapping();
  static YNode sequence();
  bool is_null() const;  // null, or a plain scalar that reads as null (~, null, empty)
  bool is_map() const { return kind == Kind::kMap; }
  bool is_seq() const { return kind == Kind::kSeq; }
  bool is_scalar() const { return kind == Kind::kScalar && !is_null(); }
  const YNode* find(std::string_view key) const;
  YNode* find(std::string_view key);
  void set(const std::string& key, YNode v);
  void erase(std::string_view key);
  /// "file:line" for messages.
  std::string where() const;
};

/// A key and its value in a mapping (`first`/`second`, like std::pair, which can't hold
/// the incomplete YNode).
struct YEntry {
  std::string first;
  YNode second;
};

inline YNode YNode::scalar(std::string v, bool quoted) {
  YNode n;
  n.kind = Kind::kScalar;
  n.value = std::move(v);
  n.quoted = quoted;
  return n;
}
inline YNode YNode::mapping() {
  YNode n;
  n.kind = Kind::kMap;
  return n;
}
inline YNode YNode::sequence() {
  YNode n;
  n.kind = Kind::kSeq;
  return n;
}

/// A plain scalar (or null) that YAML reads as a number, a boolean or null, not a string:
/// `name: 123`, `image: 1.5`.
bool is_non_string_scalar(const YNode& n);

class Budget;

/// Every YAML document of one compose file (`---` separated), in order; an empty document is
/// a null node, any other is a mapping. Charges alias copies to `budget` (limits.h).
std::vector<YNode> parse_yaml_documents(std::string_view text, const std::string& file,
                                        Budget* budget = nullptr);

/// Parses a file of one document (an empty one reads as an empty mapping), charging alias copies to
/// `budget` (limits.h; a budget of its own when null). Throws Error naming `file` and the line.
YNode parse_yaml(std::string_view text, const std::string& file, Budget* budget = nullptr);

}  // namespace varan::compose
