#include "engine/compose/interpolate.h"

#include <algorithm>

namespace varan::compose {

namespace {

bool name_start(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

struct BadTemplate : Error {
  using Error::Error;
};

[[noreturn]] void invalid(std::string_view text, const std::string& where) {
  throw BadTemplate(where + ": invalid interpolation format in \"" + std::string(text) +
                    "\": write $$ for a literal dollar sign");
}

class Interpolator {
 public:
  Interpolator(std::string_view text, Interpolation& ctx, const std::string& where)
      : text_(text), ctx_(ctx), where_(where) {}

  std::string run() {
    std::size_t i = 0;
    return expand(i, false);
  }

 private:
  // Expands from `i` until the end, or (when `nested`) until the `}` that closes the
  // enclosing ${...}, which is consumed.
  std::string expand(std::size_t& i, bool nested) {
    std::string out;
    while (i < text_.size()) {
      char c = text_[i];
      if (nested && c == '}') {
        ++i;
        return out;
      }
      if (c != '$') {
        out += c;
        ++i;
        continue;
      }
      // A `$` that starts no template stays as it is (`$(date)`, a trailing `$`), as in
      // compose-go; only a malformed `${...}` is an error.
      if (i + 1 >= text_.size()) {
        out += '$';
        ++i;
        continue;
      }
      char n = text_[i + 1];
      if (n == '$') {
        out += '$';
        i += 2;
      } else if (n == '{') {
        std::size_t at = i;
        i += 2;
        if (!ctx_.lenient) {
          out += braced(i);
        } else {
          try {
            out += braced(i);
          } catch (const BadTemplate&) {
            out += '$';  // not a template: the text stays as it is
            i = at + 1;
          }
        }
      } else if (name_start(n)) {
        std::size_t s = i + 1, e = s;
        while (e < text_.size() && name_char(text_[e]))
          ++e;
        out += value_of(std::string(text_.substr(s, e - s)));
        i = e;
      } else {
        out += '$';
        ++i;
      }
    }
    if (nested) invalid(text_, where_);
    return out;
  }

  // After "${": NAME, then "}" or an operator and its argument (which may nest).
  std::string braced(std::size_t& i) {
    std::size_t s = i;
    if (i >= text_.size() || !name_start(text_[i])) invalid(text_, where_);
    while (i < text_.size() && name_char(text_[i]))
      ++i;
    std::string name(text_.substr(s, i - s));
    if (i >= text_.size()) invalid(text_, where_);
    if (text_[i] == '}') {
      ++i;
      return value_of(name);
    }
    bool colon = false;
    if (text_[i] == ':') {
      colon = true;
      ++i;
      if (i >= text_.size()) invalid(text_, where_);
    }
    char op = text_[i];
    if (op != '-' && op != '?' && op != '+') invalid(text_, where_);
    ++i;
    std::optional<std::string> v = ctx_.lookup(name);
    bool set = v.has_value() && (!colon || !v->empty());
    // The argument is expanded only when it is used, so an unset variable in an unused
    // default neither warns nor fails.
    auto skip_arg = [&] {
      int depth = 0;
      while (i < text_.size()) {
        char c = text_[i];
        if (c == '$' && i + 1 < text_.size() && text_[i + 1] == '$') {
          i += 2;
          continue;
        }
        if (c == '$' && i + 1 < text_.size() && text_[i + 1] == '{') {
          ++depth;
          i += 2;
          continue;
        }
        if (c == '}') {
          ++i;
          if (depth-- == 0) return;
          continue;
        }
        ++i;
      }
      invalid(text_, where_);
    };
    switch (op) {
      case '-':
        if (set) {
          skip_arg();
          return *v;
        }
        return expand(i, true);
      case '+':
        if (set) return expand(i, true);
        skip_arg();
        return "";
      default: {  // '?'
        if (set) {
          skip_arg();
          return *v;
        }
        std::string msg = expand(i, true);
        throw Error(where_ + ": required variable " + name + " is missing a value" +
                    (msg.empty() ? "" : ": " + msg) +
                    " (set it in the environment or the .env file)");
      }
    }
  }

  std::string value_of(const std::string& name) {
    if (auto v = ctx_.lookup(name)) return *v;
    if (std::find(ctx_.unset.begin(), ctx_.unset.end(), name) == ctx_.unset.end())
      ctx_.unset.push_back(name);
    return "";
  }

  std::string_view text_;
  Interpolation& ctx_;
  const std::string& where_;
};

void walk(YNode& n, Interpolation& ctx, const std::string& path) {
  switch (n.kind) {
    case YNode::Kind::kScalar:
      if (n.value.find('$') != std::string::npos)
        n.value = interpolate(n.value, ctx, n.where() + (path.empty() ? "" : ": " + path));
      break;
    case YNode::Kind::kMap:
      for (auto& [k, v] : n.map)
        walk(v, ctx, path.empty() ? k : path + "." + k);
      break;
    case YNode::Kind::kSeq:
      for (std::size_t i = 0; i < n.seq.size(); ++i)
        walk(n.seq[i], ctx, path + "[" + std::to_string(i) + "]");
      break;
    case YNode::Kind::kNull:
      break;
  }
}

}  // namespace

std::string interpolate(std::string_view text, Interpolation& ctx, const std::string& where) {
  return Interpolator(text, ctx, where).run();
}

void interpolate_tree(YNode& node, Interpolation& ctx) { walk(node, ctx, ""); }

}  // namespace varan::compose
