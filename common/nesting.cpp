#include "common/nesting.h"

#include <algorithm>

#include "common/error.h"

namespace varan {

std::size_t json_depth(std::string_view text) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > deepest) deepest = depth;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

std::size_t toml_depth_bound(std::string_view text) {
  std::size_t brackets = 0, header_dots = 0, dots = 0, deepest = 0;
  bool in_header = false, line_start = true;
  auto at = [&](std::size_t i, std::string_view s) { return text.substr(i, s.size()) == s; };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool was_start = line_start;
    line_start = false;
    if (c == '"' || c == '\'') {
      std::string_view close = at(i, c == '"' ? "\"\"\"" : "\'\'\'")
                                   ? (c == '"' ? "\"\"\"" : "\'\'\'")
                                   : std::string_view(&text[i], 1);
      bool multi = close.size() == 3;
      for (i += close.size(); i < text.size() && !at(i, close); ++i) {
        if (c == '"' && text[i] == '\\' && i + 1 < text.size()) ++i;  // basic strings escape
        if (!multi && text[i] == '\n') break;
      }
      if (i < text.size() && multi) i += 2;
      continue;
    }
    switch (c) {
      case '#':
        while (i + 1 < text.size() && text[i + 1] != '\n')
          ++i;
        break;
      case '\n':
        dots = 0;
        line_start = true;
        break;
      case '[':
        if ((was_start && brackets == 0) || in_header) {
          in_header = true;
          header_dots = 0;
        }
        ++brackets;
        break;
      case '{':
        ++brackets;
        break;
      case ']':
      case '}':
        if (brackets > 0) --brackets;
        if (in_header && brackets == 0) in_header = false;
        break;
      case '.':
        (in_header ? header_dots : dots) += 1;
        break;
      case '=':
      case ',':
        dots = 0;
        break;
      case ' ':
      case '\t':
      case '\r':
        line_start = was_start;
        break;
      default:
        break;
    }
    deepest = std::max(deepest, brackets + header_dots + dots + 1);
  }
  return deepest;
}

void check_toml_limits(std::string_view text, const std::string& where, std::size_t max_bytes,
                       std::size_t max_depth) {
  if (text.size() > max_bytes)
    throw Error(where + ": " + std::to_string(text.size()) + " bytes of TOML, more than the " +
                std::to_string(max_bytes) + " Varan reads");
  if (toml_depth_bound(text) > max_depth)
    throw Error(where + ": TOML nested deeper than " + std::to_string(max_depth) +
                " levels (tables, dotted keys, arrays), the most Varan reads");
}

void check_json_limits(std::string_view text, const std::string& where, std::size_t max_bytes,
                       std::size_t max_depth) {
  if (text.size() > max_bytes)
    throw Error(where + ": " + std::to_string(text.size()) + " bytes of JSON, more than the " +
                std::to_string(max_bytes) + " Varan reads");
  if (json_depth(text) > max_depth)
    throw Error(where + ": JSON nested deeper than " + std::to_string(max_depth) +
                " levels, the most Varan reads");
}

}  // namespace varan
