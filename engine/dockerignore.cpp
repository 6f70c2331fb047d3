#include "engine/dockerignore.h"

#include <algorithm>

#include "common/error.h"

namespace varan::engine {

std::string clean_path(std::string_view path) {
  bool rooted = path.starts_with('/');
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    std::string_view part = path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..")
        parts.pop_back();
      else if (!rooted)
        parts.push_back(part);
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  std::string out = rooted ? "/" : "";
  for (std::size_t i = 0; i < parts.size(); ++i)
    out += (i ? "/" : "") + std::string(parts[i]);
  return out.empty() ? "." : out;
}

bool IgnoreMatcher::Class::has(unsigned char c) const {
  bool in = std::any_of(ranges.begin(), ranges.end(),
                        [&](const auto& r) { return c >= r.first && c <= r.second; });
  return in != negated;
}

IgnoreMatcher IgnoreMatcher::parse(std::string_view text, const std::string& file) {
  IgnoreMatcher m;
  std::size_t line_no = 0, start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? nl : nl - start);
    start = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    m.add(line, file + ":" + std::to_string(line_no));
  }
  return m;
}

void IgnoreMatcher::add(std::string_view line, const std::string& where) {
  auto fail = [&](const std::string& why) {
    throw Error((where.empty() ? std::string(".dockerignore") : where) + ": " + why);
  };
  if (line.starts_with('#')) return;  // a comment, before the spaces are trimmed (as moby)
  auto trim = [](std::string_view s) {
    while (!s.empty() && std::string_view(" \t\r\n\v\f").find(s.front()) != std::string_view::npos)
      s.remove_prefix(1);
    while (!s.empty() && std::string_view(" \t\r\n\v\f").find(s.back()) != std::string_view::npos)
      s.remove_suffix(1);
    return s;
  };
  std::string_view p = trim(line);
  if (p.empty()) return;
  if (patterns_.size() >= kMaxPatterns)
    fail("more than " + std::to_string(kMaxPatterns) + " patterns, the limit");
  if (p.size() > kMaxPatternBytes)
    fail("a pattern longer than " + std::to_string(kMaxPatternBytes) + " bytes, the limit");
  Pattern pat;
  if (p.front() == '!') {
    pat.exception = true;
    p = trim(p.substr(1));
    if (p.empty()) fail("illegal exclusion pattern: \"!\" (name what to bring back after it)");
  }
  std::string cleaned = clean_path(p);
  if (cleaned.size() > 1 && cleaned.front() == '/') cleaned.erase(0, 1);
  pat.text = cleaned;
  for (std::size_t i = 0; i < cleaned.size(); ++i) {
    char c = cleaned[i];
    if (c == '*') {
      if (i + 1 < cleaned.size() && cleaned[i + 1] == '*') {
        ++i;
        if (i + 1 < cleaned.size() && cleaned[i + 1] == '/') ++i;  // `**/` is `**`
        pat.tokens.push_back({i + 1 >= cleaned.size() ? Op::kRest : Op::kDirs});
      } else {
        pat.tokens.push_back({Op::kStar});
      }
    } else if (c == '?') {
      pat.tokens.push_back({Op::kAnyChar});
    } else if (c == '\\') {
      pat.tokens.push_back({Op::kChar, i + 1 < cleaned.size() ? cleaned[++i] : '\\'});
    } else if (c == '[') {
      Class cls;
      std::size_t j = i + 1;
      if (j < cleaned.size() && cleaned[j] == '^') {
        cls.negated = true;
        ++j;
      }
      bool closed = false;
      for (bool first = true; j < cleaned.size(); first = false) {
        unsigned char lo = static_cast<unsigned char>(cleaned[j]);
        if (lo == ']' && !first) {
          closed = true;
          break;
        }
        if (lo == '\\' && j + 1 < cleaned.size()) lo = static_cast<unsigned char>(cleaned[++j]);
        unsigned char hi = lo;
        if (j + 2 < cleaned.size() && cleaned[j + 1] == '-' && cleaned[j + 2] != ']') {
          hi = static_cast<unsigned char>(cleaned[j + 2]);
          j += 2;
          if (hi == '\\' && j + 1 < cleaned.size()) hi = static_cast<unsigned char>(cleaned[++j]);
          if (hi < lo) fail("syntax error in pattern \"" + cleaned + "\": range out of order");
        }
        cls.ranges.emplace_back(lo, hi);
        ++j;
      }
      if (!closed) fail("syntax error in pattern \"" + cleaned + "\": unclosed [");
      if (classes_.size() >= 0xffff) fail("too many character classes");
      classes_.push_back(std::move(cls));
      pat.tokens.push_back({Op::kClass, 0, static_cast<std::uint16_t>(classes_.size() - 1)});
      i = j;
    } else {
      pat.tokens.push_back({Op::kChar, c});
    }
  }
  exceptions_ = exceptions_ || pat.exception;
  patterns_.push_back(std::move(pat));
}

// Whether the whole of `path` matches: a row of "tokens so far can end here" flags, one
// token at a time, so no input can make it recurse or backtrack (O(tokens x path)).
bool IgnoreMatcher::matches(const Pattern& p, std::string_view path) const {
  std::size_t n = path.size();
  std::vector<char> row(n + 1, 0), next(n + 1, 0);
  row[0] = 1;
  for (const Token& t : p.tokens) {
    std::fill(next.begin(), next.end(), 0);
    bool any = false;
    for (std::size_t i = 0; i <= n; ++i) {
      if (!row[i]) continue;
      switch (t.op) {
        case Op::kChar:
          if (i < n && path[i] == t.c) next[i + 1] = any = 1;
          break;
        case Op::kAnyChar:
          if (i < n && path[i] != '/') next[i + 1] = any = 1;
          break;
        case Op::kClass:
          if (i < n && classes_[t.cls].has(static_cast<unsigned char>(path[i])))
            next[i + 1] = any = 1;
          break;
        case Op::kStar:
          for (std::size_t j = i;; ++j) {
            next[j] = any = 1;
            if (j == n || path[j] == '/') break;
          }
          break;
        case Op::kDirs:  // (.*/)? : nothing, or anything that ends with a '/'
          next[i] = any = 1;
          for (std::size_t j = i; j < n; ++j)
            if (path[j] == '/') next[j + 1] = 1;
          break;
        case Op::kRest:
          for (std::size_t j = i; j <= n; ++j)
            next[j] = 1;
          any = true;
          break;
      }
    }
    if (!any) return false;
    row.swap(next);
  }
  return row[n] != 0;
}

bool IgnoreMatcher::excluded(std::string_view raw) const {
  if (raw.size() > kMaxPathBytes) throw Error("a path longer than 4096 bytes in the context");
  std::string path = clean_path(raw);
  bool matched = false;
  for (const auto& p : patterns_) {
    // An exception only matters once something matched, a pattern only while nothing has.
    if (p.exception != matched) continue;
    bool m = matches(p, path);
    // ... or one of the path's parent folders ("a", "a/b" for "a/b/c").
    for (std::size_t slash = path.find('/'); !m && slash != std::string::npos;
         slash = path.find('/', slash + 1))
      m = matches(p, std::string_view(path).substr(0, slash));
    if (m) matched = !p.exception;
  }
  return matched;
}

bool IgnoreMatcher::look_inside(std::string_view dir) const {
  if (!exceptions_) return false;
  std::string prefix = clean_path(dir) + "/";
  return std::any_of(patterns_.begin(), patterns_.end(), [&](const Pattern& p) {
    return p.exception && (p.text + "/").starts_with(prefix);
  });
}

void IgnoreMatcher::keep_build_files(const std::string& dockerfile) {
  for (const std::string& f : {clean_path(dockerfile), std::string(".dockerignore")})
    if (excluded(f)) {
      std::string escaped;
      for (char c : f) {
        if (std::string_view("*?[\\").find(c) != std::string_view::npos) escaped += '\\';
        escaped += c;
      }
      add("!" + escaped);
    }
}

}  // namespace varan::engine
