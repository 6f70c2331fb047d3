#include "secrets/sops/stores/yaml_scalar.h"

#include <cctype>
#include <cmath>
#include <cstdint>
#include <map>

#include "common/base64.h"
#include "secrets/sops/errors.h"

namespace varan::sops::yaml_store {

namespace {

// go-yaml v3's typing of plain scalars (resolve.go), for decoding into interface{}.
bool all_digits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char c : s) {
    int d = std::isdigit(static_cast<unsigned char>(c))    ? c - '0'
            : std::isxdigit(static_cast<unsigned char>(c)) ? std::tolower(c) - 'a' + 10
                                                           : 99;
    if (d >= base) return false;
  }
  return true;
}

bool parse_go_int(std::string s, std::int64_t& out, bool& overflow) {
  // strconv.ParseInt(s, 0, 64) after removing underscores: sign, then 0x/0o/0b/0 prefixes.
  overflow = false;
  std::erase(s, '_');
  bool neg = false;
  std::string_view v = s;
  if (!v.empty() && (v[0] == '+' || v[0] == '-')) {
    neg = v[0] == '-';
    v.remove_prefix(1);
  }
  int base = 10;
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X'))
    base = 16, v.remove_prefix(2);
  else if (v.size() > 2 && v[0] == '0' && (v[1] == 'o' || v[1] == 'O'))
    base = 8, v.remove_prefix(2);
  else if (v.size() > 2 && v[0] == '0' && (v[1] == 'b' || v[1] == 'B'))
    base = 2, v.remove_prefix(2);
  else if (v.size() > 1 && v[0] == '0')
    base = 8, v.remove_prefix(1);
  if (!all_digits(v, base)) return false;
  std::uint64_t acc = 0;
  for (char c : v) {
    auto d = static_cast<std::uint64_t>(
        std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10);
    if (acc > (UINT64_MAX - d) / static_cast<std::uint64_t>(base)) {
      overflow = true;
      return false;
    }
    acc = acc * static_cast<std::uint64_t>(base) + d;
  }
  std::uint64_t limit = neg ? (std::uint64_t(1) << 63) : (std::uint64_t(1) << 63) - 1;
  if (acc > limit) {
    overflow = true;
    return false;
  }
  out = neg ? static_cast<std::int64_t>(~acc + 1) : static_cast<std::int64_t>(acc);
  return true;
}

bool yaml_style_float(std::string_view s) {
  // ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  auto digits = [&]() {
    std::size_t b = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
      ++i;
    return i - b;
  };
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  } else {
    if (digits() == 0) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

bool looks_like_timestamp(std::string_view s) {
  // Four digits then '-': go-yaml treats these as timestamps, which decode as strings anyway.
  return s.size() > 4 && all_digits(s.substr(0, 4), 10) && s[4] == '-';
}

struct Analysis {
  bool block_plain = true, single = true, block = true, multiline = false;
};

bool is_break(std::uint32_t c) {
  return c == '\n' || c == '\r' || c == 0x85 || c == 0x2028 || c == 0x2029;
}
bool is_printable(std::uint32_t c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0x7E) || c == 0x85 ||
         (c >= 0xA0 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD && c != 0xFEFF) ||
         (c >= 0x10000 && c <= 0x10FFFF);
}

std::vector<std::uint32_t> decode_utf8(std::string_view s, bool& valid) {
  std::vector<std::uint32_t> out;
  valid = true;
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) {
      valid = false;
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    std::uint32_t cp = n == 1 ? c : (c & (0xFF >> (n + 1)));
    for (std::size_t k = 1; k < n; ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += n;
  }
  return out;
}

// The YAML rules for which scalar styles can carry a string (libyaml's analysis).
Analysis analyze(std::string_view s) {
  Analysis a;
  if (s.empty()) {
    a.block_plain = false;
    a.block = false;
    return a;
  }
  bool valid;
  auto cs = decode_utf8(s, valid);
  bool block_ind = false, special = false, line_breaks = false;
  bool leading_space = false, leading_break = false, trailing_space = false, trailing_break = false;
  bool break_space = false, space_break = false, prev_space = false, prev_break = false;
  if (s.starts_with("---") || s.starts_with("...")) block_ind = true;
  auto blank = [&](std::size_t k) {
    return k >= cs.size() || cs[k] == ' ' || cs[k] == '\t' || is_break(cs[k]);
  };
  bool preceded_by_ws = true;
  for (std::size_t i = 0; i < cs.size(); ++i) {
    std::uint32_t c = cs[i];
    bool followed_by_ws = blank(i + 1);
    if (i == 0) {
      if (std::string_view("#,[]{}&*!|>'\"%@`").find(static_cast<char>(c)) !=
              std::string_view::npos &&
          c < 0x80)
        block_ind = true;
      if ((c == '?' || c == ':') && followed_by_ws) block_ind = true;
      if (c == '-' && followed_by_ws) block_ind = true;
    } else {
      if (c == ':' && followed_by_ws) block_ind = true;
      if (c == '#' && preceded_by_ws) block_ind = true;
    }
    if (!is_printable(c) || c == 0xFEFF) special = true;
    if (is_break(c)) line_breaks = true;
    if (c == ' ' || c == '\t') {  // a plain scalar loses leading and trailing tabs too
      if (i == 0) leading_space = true;
      if (i + 1 == cs.size()) trailing_space = true;
      if (prev_break) break_space = true;
      prev_space = true;
      prev_break = false;
    } else if (is_break(c)) {
      if (i == 0) leading_break = true;
      if (i + 1 == cs.size()) trailing_break = true;
      if (prev_space) space_break = true;
      prev_break = true;
      prev_space = false;
    } else {
      prev_space = prev_break = false;
    }
    preceded_by_ws = c == ' ' || c == '\t' || is_break(c);
  }
  if (!valid) special = true;
  a.multiline = line_breaks;
  if (leading_space || leading_break || trailing_space || trailing_break) a.block_plain = false;
  if (trailing_space) a.block = false;
  if (break_space) a.block_plain = a.single = false;
  if (space_break || special) a.block_plain = a.single = a.block = false;
  if (line_breaks) a.block_plain = false;
  if (block_ind) a.block_plain = false;
  return a;
}

bool is_base60_float(std::string_view s) {
  // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '_'))
    ++i;
  int groups = 0;
  while (i < s.size() && s[i] == ':') {
    ++i;
    std::size_t b = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && i - b < 2)
      ++i;
    if (i == b || (i - b == 2 && s[b] > '5')) return false;
    ++groups;
  }
  if (groups == 0) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '_'))
      ++i;
  }
  return i == s.size();
}

bool is_old_bool(std::string_view s) {
  for (const char* b : {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO",
                        "off", "Off", "OFF"})
    if (s == b) return true;
  return false;
}

std::string single_quoted(std::string_view s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

bool plain_is_string(const std::string& s) {
  try {
    return resolve_plain(s).kind == Node::Kind::kString;
  } catch (const Error&) {
    return false;  // an integer too large for 64 bits: quote it
  }
}

}  // namespace

std::string double_quoted(std::string_view s) {
  bool valid;
  auto cs = decode_utf8(s, valid);
  std::string out = "\"";
  char buf[16];
  for (std::uint32_t c : cs) {
    switch (c) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case 0:
        out += "\\0";
        continue;
      case 7:
        out += "\\a";
        continue;
      case 8:
        out += "\\b";
        continue;
      case 9:
        out += "\\t";
        continue;
      case 0xA:
        out += "\\n";
        continue;
      case 0xB:
        out += "\\v";
        continue;
      case 0xC:
        out += "\\f";
        continue;
      case 0xD:
        out += "\\r";
        continue;
      case 0x1B:
        out += "\\e";
        continue;
      case 0x85:
        out += "\\N";
        continue;
      case 0xA0:
        out += "\\_";
        continue;
      case 0x2028:
        out += "\\L";
        continue;
      case 0x2029:
        out += "\\P";
        continue;
      default:
        break;
    }
    if (!is_printable(c) || c == 0xFEFF) {
      if (c <= 0xFF)
        std::snprintf(buf, sizeof buf, "\\x%02X", c);
      else if (c <= 0xFFFF)
        std::snprintf(buf, sizeof buf, "\\u%04X", c);
      else
        std::snprintf(buf, sizeof buf, "\\U%08X", c);
      out += buf;
      continue;
    }
    // Re-encode the code point.
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out + "\"";
}

Node resolve_plain(const std::string& s) {
  static const std::map<std::string, int> kSpecial = {
      {"true", 1},  {"True", 1},  {"TRUE", 1},  {"false", 0}, {"False", 0}, {"FALSE", 0},
      {"", 2},      {"~", 2},     {"null", 2},  {"Null", 2},  {"NULL", 2},  {".nan", 3},
      {".NaN", 3},  {".NAN", 3},  {".inf", 4},  {".Inf", 4},  {".INF", 4},  {"+.inf", 4},
      {"+.Inf", 4}, {"+.INF", 4}, {"-.inf", 5}, {"-.Inf", 5}, {"-.INF", 5}};
  if (auto it = kSpecial.find(s); it != kSpecial.end()) {
    switch (it->second) {
      case 0:
        return Node::boolean(false);
      case 1:
        return Node::boolean(true);
      case 2:
        return Node();
      case 3:
        return Node::floating(std::nan(""));
      case 4:
        return Node::floating(HUGE_VAL);
      default:
        return Node::floating(-HUGE_VAL);
    }
  }
  char h = s[0];
  if (h == '.') {
    double f;
    if (go_parse_float(s, f)) return Node::floating(f);
  } else if (std::isdigit(static_cast<unsigned char>(h)) || h == '+' || h == '-') {
    if (looks_like_timestamp(s)) return Node::string(s);
    std::int64_t i;
    bool overflow;
    if (parse_go_int(s, i, overflow)) return Node::integer(i);
    std::string plain = s;
    std::erase(plain, '_');
    if (yaml_style_float(plain)) {
      double f;
      if (go_parse_float(plain, f)) return Node::floating(f);
    }
    if (overflow)
      throw Error(codes::kGeneric,
                  "Error unmarshaling input YAML: integer " + s + " does not fit in 64 bits");
  }
  return Node::string(s);
}

// Text of a string scalar on one line, or nullopt when it needs a literal block.
std::optional<std::string> inline_string(const std::string& s, bool key) {
  bool valid;
  decode_utf8(s, valid);
  Analysis a = analyze(s);
  if (!valid) return "!!binary " + base64::encode(as_bytes(s));
  bool can_plain =
      plain_is_string(s) && !looks_like_timestamp(s) && !is_base60_float(s) && !is_old_bool(s);
  if (a.multiline) {
    if (!key && a.block) return std::nullopt;
    return double_quoted(s);
  }
  if (!can_plain) return double_quoted(s);
  if (a.block_plain && !(key && s.size() > 128)) return s;
  if (a.single) return single_quoted(s);
  return double_quoted(s);
}

std::string scalar_text(const Node& v) {
  switch (v.kind) {
    case Node::Kind::kNull:
      return "null";
    case Node::Kind::kBool:
      return v.b ? "true" : "false";
    case Node::Kind::kInt:
      return std::to_string(v.i);
    case Node::Kind::kFloat: {
      std::string s = go_format_float(v.f, 'g');
      if (s == "+Inf") return ".inf";
      if (s == "-Inf") return "-.inf";
      if (s == "NaN") return ".nan";
      return s;
    }
    case Node::Kind::kBytes:
      return "!!binary " + base64::encode(as_bytes(v.str));
    default:
      return "";
  }
}

}  // namespace varan::sops::yaml_store
