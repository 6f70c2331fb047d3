/// YAML as a list of parse events with their positions, read with libyaml. The SOPS YAML
/// store and the compose loader build their own trees from it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace varan::yaml {

struct Mark {
  std::size_t line = 0, column = 0;  // from 0; columns count characters
  bool operator<(const Mark& o) const { return line != o.line ? line < o.line : column < o.column; }
  bool operator<=(const Mark& o) const { return !(o < *this); }
};

enum class EventType {
  kStreamStart,
  kStreamEnd,
  kDocumentStart,
  kDocumentEnd,
  kAlias,
  kScalar,
  kSequenceStart,
  kSequenceEnd,
  kMappingStart,
  kMappingEnd,
};

enum class ScalarStyle { kPlain, kSingleQuoted, kDoubleQuoted, kLiteral, kFolded };

struct Event {
  EventType type;
  Mark start, end;
  std::string anchor, tag, value;
  ScalarStyle style = ScalarStyle::kPlain;
  bool flow = false;  // a flow collection ([...] or {...})
};

/// All events of `text`. Throws varan::Error naming the line and column of a syntax error,
/// and ("nested too deeply") as soon as collections nest deeper than `max_depth`: libyaml's
/// time grows with the square of the nesting, so the check can't wait for the tree.
std::vector<Event> read_events(std::string_view text, std::size_t max_depth = SIZE_MAX);

}  // namespace varan::yaml
