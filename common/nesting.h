/// Depth and size limits for JSON and TOML from untrusted bytes, checked on the raw text
/// before a parser builds a tree: nlohmann/json parses iteratively, but its destructor,
/// dump() and our own walkers recurse, so a body nested 100 000 levels deep would overflow
/// the stack after parsing; toml++ limits nested values (256) but not dotted keys.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace varan {

/// The nesting every JSON reader of Varan accepts: far beyond any real request or stack file.
inline constexpr std::size_t kMaxJsonDepth = 128;

/// The deepest nesting of `[` and `{` in `text`, outside strings (escapes respected), in one
/// linear pass. Invalid JSON is not diagnosed here: the parser does that.
std::size_t json_depth(std::string_view text);

/// An upper bound of the table nesting of a TOML document, in one linear pass that respects
/// its four kinds of strings and comments: brackets and braces open, plus the dots of the
/// last table header and of the key being read.
std::size_t toml_depth_bound(std::string_view text);

/// Throws varan::Error "`where`: ..." naming the limit when `text` is longer than `max_bytes`
/// or nested deeper than `max_depth`.
void check_json_limits(std::string_view text, const std::string& where, std::size_t max_bytes,
                       std::size_t max_depth = kMaxJsonDepth);
/// The same for TOML (toml_depth_bound).
void check_toml_limits(std::string_view text, const std::string& where, std::size_t max_bytes,
                       std::size_t max_depth = kMaxJsonDepth);

}  // namespace varan
