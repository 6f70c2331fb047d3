#include "engine/compose/dotenv.h"

#include <unordered_map>

#include "engine/compose/limits.h"

namespace varan::compose {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }
bool key_char(char c) {
  return c == '_' || c == '.' || c == '-' || c == '[' || c == ']' || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

class Parser {
 public:
  Parser(std::string_view text, const std::string& file, const Lookup& lookup, bool raw,
         Budget* budget)
      : t_(text), file_(file), lookup_(lookup), raw_(raw), budget_(budget) {
    if (t_.starts_with("\xEF\xBB\xBF")) t_.remove_prefix(3);  // a UTF-8 BOM
  }

  EnvList run() {
    while (true) {
      skip_blank_and_comments();
      if (i_ >= t_.size()) break;
      statement();
    }
    return std::move(out_);
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw Error(file_ + ":" + std::to_string(line_) + ": " + why);
  }

  void newline_at(std::size_t pos) {
    if (t_[pos] == '\n') ++line_;
  }

  void skip_blank_and_comments() {
    while (i_ < t_.size()) {
      char c = t_[i_];
      if (c == '\n') {
        ++line_;
        ++i_;
      } else if (is_space(c)) {
        ++i_;
      } else if (c == '#') {
        while (i_ < t_.size() && t_[i_] != '\n')
          ++i_;
      } else {
        break;
      }
    }
  }

  void statement() {
    if (t_.substr(i_).starts_with("export") && i_ + 6 < t_.size() && is_space(t_[i_ + 6])) {
      i_ += 6;
      while (i_ < t_.size() && is_space(t_[i_]))
        ++i_;
    }
    std::size_t s = i_;
    while (i_ < t_.size() && key_char(t_[i_]))
      ++i_;
    std::string key(t_.substr(s, i_ - s));
    while (i_ < t_.size() && is_space(t_[i_]))
      ++i_;
    if (key.empty()) {
      if (i_ >= t_.size() || t_[i_] == '\n') fail("expected a variable name after export");
      fail("expected a variable name, found '" + std::string(1, t_[i_]) + "'");
    }
    if (i_ >= t_.size() || t_[i_] == '\n' || t_[i_] == '#') {
      // A bare KEY: inherited from the environment when it is set there.
      while (i_ < t_.size() && t_[i_] != '\n')
        ++i_;
      if (auto v = lookup_(key)) put(key, *v);
      return;
    }
    if (t_[i_] != '=' && t_[i_] != ':')
      fail("unexpected character '" + std::string(1, t_[i_]) + "' in variable name " + key);
    ++i_;
    while (i_ < t_.size() && is_space(t_[i_]))
      ++i_;
    std::size_t value_line = line_;
    std::string value;
    if (i_ < t_.size() && (t_[i_] == '\'' || t_[i_] == '"')) {
      char q = t_[i_++];
      std::string raw;
      bool closed = false;
      while (i_ < t_.size()) {
        char c = t_[i_];
        if (c == '\\' && q == '"' && i_ + 1 < t_.size()) {
          raw += c;
          raw += t_[i_ + 1];
          newline_at(i_ + 1);
          i_ += 2;
          continue;
        }
        if (c == q) {
          closed = true;
          ++i_;
          break;
        }
        newline_at(i_);
        raw += c;
        ++i_;
      }
      if (!closed) {
        line_ = value_line;
        fail("unterminated quoted value for " + key);
      }
      // Only a comment may follow the closing quote.
      while (i_ < t_.size() && is_space(t_[i_]))
        ++i_;
      if (i_ < t_.size() && t_[i_] != '\n' && t_[i_] != '#')
        fail("unexpected text after the quoted value of " + key);
      while (i_ < t_.size() && t_[i_] != '\n')
        ++i_;
      value = q == '\'' ? raw : expand(unescape(raw), key, value_line);
    } else {
      std::size_t s2 = i_;
      while (i_ < t_.size() && t_[i_] != '\n') {
        if (t_[i_] == '#' && i_ > s2 && is_space(t_[i_ - 1])) break;
        ++i_;
      }
      std::string_view v = t_.substr(s2, i_ - s2);
      while (!v.empty() && is_space(v.back()))
        v.remove_suffix(1);
      while (i_ < t_.size() && t_[i_] != '\n')
        ++i_;
      value = expand(std::string(v), key, value_line);
    }
    put(key, std::move(value));
  }

  static std::string unescape(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] != '\\' || i + 1 == s.size()) {
        out += s[i];
        continue;
      }
      char n = s[++i];
      switch (n) {
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case '\\':
        case '"':
        case '\'':
          out += n;
          break;
        case '$':
          out += "$$";  // stays a literal dollar through expansion
          break;
        default:
          out += '\\';
          out += n;
      }
    }
    return out;
  }

  std::string expand(const std::string& v, const std::string& key, std::size_t line) {
    if (raw_ || v.find('$') == std::string::npos) return v;
    Interpolation ctx;
    ctx.lenient = true;
    ctx.budget = budget_;
    ctx.lookup = [this](const std::string& name) -> std::optional<std::string> {
      if (auto it = index_.find(name); it != index_.end()) return out_[it->second].second;
      return lookup_(name);
    };
    return interpolate(v, ctx, file_ + ":" + std::to_string(line) + ": " + key);
  }

  // Keys are found through an index: a lookup per key and per reference stays linear.
  void put(const std::string& key, std::string value) {
    auto [it, added] = index_.try_emplace(key, out_.size());
    if (added) {
      out_.emplace_back(key, std::move(value));
    } else {
      out_[it->second].second = std::move(value);
    }
  }

  std::string_view t_;
  const std::string& file_;
  const Lookup& lookup_;
  bool raw_;
  Budget* budget_;
  std::size_t i_ = 0, line_ = 1;
  EnvList out_;
  std::unordered_map<std::string, std::size_t> index_;  // key -> its place in out_
};

}  // namespace

EnvList parse_dotenv(std::string_view text, const std::string& file, const Lookup& lookup, bool raw,
                     Budget* budget) {
  Budget own;  // alone (periphery, a fuzzer), the file still has the project's limit
  return Parser(text, file, lookup, raw, budget ? budget : &own).run();
}

}  // namespace varan::compose
