// YAML: parsed with libyaml's event API; comments, which libyaml does not report, are
// recovered from the text between tokens and attached to the collection they sit in, as
// sops (go-yaml v3) keeps them. Scalars are typed as go-yaml v3 types them. Written in
// go-yaml v3's block style (indent 4 by default, sequences indented under their key),
// with its rules for when a string must be quoted. Long lines are not folded.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>

#include "common/base64.h"
#include "common/yaml_events.h"
#include "secrets/sops/stores.h"

namespace varan::sops {

namespace {

constexpr std::size_t kMaxDepth = 512;
constexpr std::size_t kMaxNodes = 1 << 22;  // aliases can multiply a small file

using Pos = yaml::Mark;
using Event = yaml::Event;
using yaml::EventType;
using yaml::ScalarStyle;

struct Comment {
  Pos pos;
  std::string text;  // after the '#'
  bool is_inline;
};

[[noreturn]] void fail(const std::string& why) {
  throw Error(codes::kGeneric, "Error unmarshaling input YAML: " + why);
}

std::vector<Event> read_events(std::string_view in) {
  try {
    return yaml::read_events(in);
  } catch (const Error&) {
    throw;
  } catch (const varan::Error& e) {
    fail(e.what());
  }
}

// Comments are what lies outside every scalar, after a '#' that starts a line or follows
// whitespace. Positions count characters, as libyaml's marks do.
std::vector<Comment> find_comments(std::string_view in, const std::vector<Event>& events) {
  std::vector<std::pair<Pos, Pos>> tokens;  // ranges that can contain '#' as content
  for (const auto& e : events)
    if (e.type == EventType::kScalar || e.type == EventType::kAlias)
      tokens.emplace_back(e.start, e.end);
  std::sort(tokens.begin(), tokens.end());
  std::vector<Comment> out;
  std::size_t t = 0;
  Pos p;
  bool content_before = false;  // non-blank text earlier on this line
  bool prev_blank = true;
  for (std::size_t i = 0; i < in.size();) {
    char c = in[i];
    if (c == '\n' || c == '\r') {
      i += (c == '\r' && i + 1 < in.size() && in[i + 1] == '\n') ? 2 : 1;
      ++p.line;
      p.column = 0;
      content_before = false;
      prev_blank = true;
      continue;
    }
    while (t < tokens.size() && tokens[t].second <= p)
      ++t;
    bool in_token = t < tokens.size() && tokens[t].first <= p && p < tokens[t].second;
    if (c == '#' && prev_blank && !in_token) {
      auto nl = in.find_first_of("\r\n", i);
      std::string text(
          in.substr(i + 1, nl == std::string_view::npos ? std::string_view::npos : nl - i - 1));
      out.push_back({p, std::move(text), content_before});
      i = nl == std::string_view::npos ? in.size() : nl;
      continue;
    }
    prev_blank = c == ' ' || c == '\t';
    if (!prev_blank) content_before = true;
    // Advance one UTF-8 character.
    auto uc = static_cast<unsigned char>(c);
    i += uc < 0x80 ? 1 : (uc >> 5) == 6 ? 2 : (uc >> 4) == 14 ? 3 : (uc >> 3) == 30 ? 4 : 1;
    ++p.column;
  }
  return out;
}

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

class Builder {
 public:
  Builder(const std::vector<Event>& events, std::vector<Comment> comments)
      : ev_(events), comments_(std::move(comments)) {}

  Branches documents() {
    Branches docs;
    std::size_t i = 0;
    while (ev_[i].type != EventType::kStreamEnd) {
      if (ev_[i].type == EventType::kStreamStart) {
        ++i;
        continue;
      }
      if (ev_[i].type != EventType::kDocumentStart) fail("unexpected event");
      ++i;
      Node doc = Node::mapping();
      if (ev_[i].type == EventType::kMappingStart) {
        doc = build(i, 0);
      } else if (ev_[i].type == EventType::kSequenceStart) {
        fail("YAML documents that are sequences are not supported");
      } else if (ev_[i].type == EventType::kScalar) {
        if (!(ev_[i].style == ScalarStyle::kPlain &&
              resolve_plain(ev_[i].value).kind == Node::Kind::kNull))
          fail("YAML documents that are values are not supported");
        ++i;
      } else {
        doc = build(i, 0);  // an alias to a mapping
        if (doc.kind != Node::Kind::kMap) fail("YAML documents must be mappings");
      }
      // DOCUMENT_END: the comments up to the next document belong to this one.
      Pos end = i + 1 < ev_.size() ? ev_[i + 1].start : Pos{SIZE_MAX, 0};
      attach(doc, end, 0, true);
      ++i;
      docs.push_back(std::move(doc));
    }
    if (docs.empty()) {
      Node doc = Node::mapping();
      attach(doc, Pos{SIZE_MAX, 0}, 0, true);
      if (!doc.map.empty()) docs.push_back(std::move(doc));
    }
    return docs;
  }

 private:
  // Adds the pending comments before `before` to `n` (at its column or deeper unless `all`).
  void attach(Node& n, Pos before, std::size_t col, bool all) {
    while (next_ < comments_.size() && comments_[next_].pos < before) {
      const Comment& c = comments_[next_];
      if (!all && !c.is_inline && c.pos.column < col) break;
      Node comment = Node::comment(c.text, c.is_inline);
      if (n.kind == Node::Kind::kMap) {
        n.map.emplace_back(std::move(comment), Node());
      } else {
        n.list.push_back(std::move(comment));
      }
      ++next_;
    }
  }

  Node build(std::size_t& i, std::size_t depth) {
    if (depth > kMaxDepth) fail("nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    if (++nodes_ > kMaxNodes) fail("too many nodes (alias expansion?)");
    const Event& e = ev_[i];
    Node out;
    switch (e.type) {
      case EventType::kAlias: {
        auto it = anchors_.find(e.anchor);
        if (it == anchors_.end())
          fail("unknown anchor '" + e.anchor + "' referenced at line " +
               std::to_string(e.start.line + 1));
        nodes_ += count(it->second);
        if (nodes_ > kMaxNodes) fail("too many nodes (alias expansion?)");
        ++i;
        return it->second;
      }
      case EventType::kScalar:
        out = scalar(e);
        ++i;
        break;
      case EventType::kMappingStart: {
        out = Node::mapping();
        std::size_t col = e.start.column;
        ++i;
        while (ev_[i].type != EventType::kMappingEnd) {
          attach(out, ev_[i].start, col, true);
          if (ev_[i].type != EventType::kScalar)
            fail("mapping keys that are not strings are not supported (line " +
                 std::to_string(ev_[i].start.line + 1) + ")");
          Node key = scalar(ev_[i]);
          if (key.kind != Node::Kind::kString)
            fail("mapping key at line " + std::to_string(ev_[i].start.line + 1) +
                 " is not a string; sops supports string keys only");
          if (!ev_[i].anchor.empty()) anchors_[ev_[i].anchor] = key;
          ++i;
          Node value = build(i, depth + 1);
          out.map.emplace_back(std::move(key), std::move(value));
        }
        attach(out, ev_[i].start, col, false);
        ++i;
        break;
      }
      case EventType::kSequenceStart: {
        out = Node::sequence();
        std::size_t col = e.start.column;
        ++i;
        while (ev_[i].type != EventType::kSequenceEnd) {
          attach(out, ev_[i].start, col, true);
          out.list.push_back(build(i, depth + 1));
        }
        attach(out, ev_[i].start, col, false);
        ++i;
        break;
      }
      default:
        fail("unexpected event in document");
    }
    if (!e.anchor.empty()) anchors_[e.anchor] = out;
    return out;
  }

  static std::size_t count(const Node& n) {
    std::size_t c = 1;
    for (const auto& [k, v] : n.map)
      c += count(v);
    for (const auto& v : n.list)
      c += count(v);
    return c;
  }

  static Node scalar(const Event& e) {
    static const std::string kPrefix = "tag:yaml.org,2002:";
    std::string tag = e.tag;
    if (tag.starts_with(kPrefix)) tag = "!!" + tag.substr(kPrefix.size());
    if (tag.empty()) {
      if (e.style == ScalarStyle::kPlain) return resolve_plain(e.value);
      return Node::string(e.value);
    }
    if (tag == "!!str" || tag == "!") return Node::string(e.value);
    if (tag == "!!null") return Node();
    if (tag == "!!binary") {
      std::string clean;
      for (char c : e.value)
        if (!std::isspace(static_cast<unsigned char>(c))) clean += c;
      auto bytes = base64::decode_lenient(clean);
      if (!bytes) fail("invalid !!binary value at line " + std::to_string(e.start.line + 1));
      Node n;
      n.kind = Node::Kind::kBytes;
      n.str.assign(bytes->begin(), bytes->end());
      return n;
    }
    if (tag == "!!bool" || tag == "!!int" || tag == "!!float" || tag == "!!timestamp") {
      Node n = resolve_plain(e.value);
      bool ok =
          (tag == "!!bool" && n.kind == Node::Kind::kBool) ||
          (tag == "!!int" && n.kind == Node::Kind::kInt) ||
          (tag == "!!float" && (n.kind == Node::Kind::kFloat || n.kind == Node::Kind::kInt)) ||
          tag == "!!timestamp";
      if (!ok)
        fail("cannot decode `" + e.value + "` as a " + tag + " (line " +
             std::to_string(e.start.line + 1) + ")");
      if (tag == "!!float" && n.kind == Node::Kind::kInt)
        return Node::floating(static_cast<double>(n.i));
      if (tag == "!!timestamp") return Node::string(e.value);
      return n;
    }
    return Node::string(e.value);  // other tags decode as their text
  }

  const std::vector<Event>& ev_;
  std::vector<Comment> comments_;
  std::size_t next_ = 0;
  std::size_t nodes_ = 0;
  std::map<std::string, Node> anchors_;
};

// ---- emitting ----

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

bool plain_is_string(const std::string& s) {
  try {
    return resolve_plain(s).kind == Node::Kind::kString;
  } catch (const Error&) {
    return false;  // an integer too large for 64 bits: quote it
  }
}

class Emitter {
 public:
  explicit Emitter(int indent) : w_(static_cast<std::size_t>(indent)) {}

  std::string document(const Node& doc) {
    out_.clear();
    last_inlineable_ = false;
    if (visible(doc) == 0) {
      comments_only(doc, 0);
      out_ += "{}\n";
      return out_;
    }
    mapping(doc, 0);
    return out_;
  }

 private:
  static std::size_t visible(const Node& n) {
    std::size_t c = 0;
    for (const auto& [k, v] : n.map)
      c += !k.is_comment();
    for (const auto& v : n.list)
      c += !v.is_comment();
    return c;
  }

  void line_start(std::size_t indent) { out_.append(indent, ' '); }

  void comment(const Node& c, std::size_t indent) {
    if (c.inline_comment && last_inlineable_ && !out_.empty()) {
      out_.insert(out_.size() - 1, " #" + c.str);
      last_inlineable_ = false;
      return;
    }
    line_start(indent);
    out_ += "#" + c.str + "\n";
    last_inlineable_ = false;
  }

  void comments_only(const Node& n, std::size_t indent) {
    for (const auto& [k, v] : n.map)
      if (k.is_comment()) comment(k, indent);
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

  // Writes `v` after "key:" or "- " (the cursor is at the end of that text).
  void value(const Node& v, std::size_t indent, bool in_sequence) {
    last_inlineable_ = false;
    if (v.kind == Node::Kind::kMap) {
      if (visible(v) == 0) {
        out_ += " {}\n";
        last_inlineable_ = true;
        comments_only(v, indent + w_);
        return;
      }
      if (in_sequence) {
        out_ += " ";
        mapping(v, indent + 2, true);
      } else {
        out_ += "\n";
        mapping(v, indent + w_);
      }
      return;
    }
    if (v.kind == Node::Kind::kList) {
      if (visible(v) == 0) {
        out_ += " []\n";
        last_inlineable_ = true;
        for (const auto& c : v.list)
          comment(c, indent + w_);
        return;
      }
      if (in_sequence) {
        out_ += " ";
        sequence(v, indent + 2, true);
      } else {
        out_ += "\n";
        sequence(v, indent + w_);
      }
      return;
    }
    if (v.kind == Node::Kind::kString || v.kind == Node::Kind::kComment) {
      auto text = inline_string(v.str, false);
      if (!text) {
        literal(v.str, indent + (in_sequence ? 2 : w_));
        return;
      }
      out_ += " " + *text + "\n";
    } else {
      out_ += " " + scalar_text(v) + "\n";
    }
    last_inlineable_ = true;
  }

  void literal(const std::string& s, std::size_t indent) {
    out_ += " |";
    if (s[0] == ' ' || s[0] == '\n') out_ += std::to_string(w_);
    if (s.back() != '\n') {
      out_ += "-";
    } else if (s.size() == 1 || s[s.size() - 2] == '\n') {
      out_ += "+";
    }
    out_ += "\n";
    std::string_view rest = s;
    if (!rest.empty() && rest.back() == '\n') rest.remove_suffix(1);
    for (;;) {
      auto nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      if (!line.empty()) line_start(indent);
      out_ += line;
      out_ += "\n";
      if (nl == std::string_view::npos) break;
      rest = rest.substr(nl + 1);
    }
  }

  void key_text(const Node& k) {
    auto text = inline_string(k.str, true);
    out_ += text ? *text : double_quoted(k.str);
    out_ += ":";
  }

  // `continued`: the first entry goes on the current line (after "- ").
  void mapping(const Node& m, std::size_t indent, bool continued = false) {
    for (const auto& [k, v] : m.map) {
      if (k.is_comment()) {
        if (continued && !k.inline_comment) {
          // A comment can't sit between "- " and the first key: put it on its own line.
          out_ += "\n";
          continued = false;
        }
        comment(k, indent);
        continue;
      }
      if (!continued) line_start(indent);
      continued = false;
      key_text(k);
      value(v, indent, false);
    }
  }

  void sequence(const Node& s, std::size_t indent, bool continued = false) {
    for (const auto& item : s.list) {
      if (item.is_comment()) {
        if (continued && !item.inline_comment) {
          out_ += "\n";
          continued = false;
        }
        comment(item, indent);
        continue;
      }
      if (!continued) line_start(indent);
      continued = false;
      out_ += "-";
      value(item, indent, true);
    }
  }

  std::size_t w_;
  std::string out_;
  bool last_inlineable_ = false;
};

class YamlStore final : public Store {
 public:
  explicit YamlStore(int indent) : indent_(indent > 0 ? indent : 4) {}
  Format format() const override { return Format::kYaml; }

  Branches load_plain(std::string_view in) const override {
    auto events = read_events(in);
    Builder b(events, find_comments(in, events));
    return b.documents();
  }

  std::string emit_plain(const Branches& b) const override {
    std::string out;
    Emitter e(indent_);
    for (std::size_t i = 0; i < b.size(); ++i) {
      if (i > 0) out += "---\n";
      out += e.document(b[i]);
    }
    return out;
  }

  std::string emit_value(const Node& v) const override {
    Emitter e(indent_);
    if (v.kind == Node::Kind::kMap) return e.document(v);
    Node wrapper = Node::mapping();
    wrapper.add("x", v);
    std::string doc = e.document(wrapper);
    // Strip the synthetic key: what follows "x:" is the value.
    std::string body = doc.substr(2);
    if (!body.empty() && body[0] == ' ') return body.substr(1);
    // A block value: re-indent.
    std::string out;
    std::size_t w = static_cast<std::size_t>(indent_);
    std::size_t pos = 1;
    while (pos < body.size()) {
      auto nl = body.find('\n', pos);
      std::string line = body.substr(pos, nl - pos);
      out += (line.size() >= w ? line.substr(w) : line) + "\n";
      pos = nl + 1;
    }
    return out;
  }

 private:
  int indent_;
};

}  // namespace

std::unique_ptr<Store> make_yaml_store(int indent) { return std::make_unique<YamlStore>(indent); }

}  // namespace varan::sops
