#include "engine/compose/interpolate.h"

#include <algorithm>
#include <unordered_set>

#include "engine/compose/limits.h"

namespace varan::compose {

namespace {

bool name_start(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

// A malformed template. Cheap on purpose: lenient mode throws and catches it once per bad
// `${`, so the message (which quotes the whole text) is built only when it escapes.
struct BadTemplate {};

[[noreturn]] void invalid() { throw BadTemplate{}; }

class Interpolator {
 public:
  Interpolator(std::string_view text, Interpolation& ctx, const std::string& where)
      : text_(text), ctx_(ctx), where_(where) {}

  std::string run() {
    std::size_t i = 0;
    try {
      return expand(i, false);
    } catch (const BadTemplate&) {
      throw Error(where_ + ": invalid interpolation format in \"" + std::string(text_) +
                  "\": write $$ for a literal dollar sign");
    }
  }

 private:
  // Expands from `i` until the end, or (when `nested`) until the `}` that closes the
  // enclosing ${...}, which is consumed.
  std::string expand(std::size_t& i, bool nested) {
    std::string out;
    std::size_t braces = 0;  // plain `{` in an argument, each closed by its own `}` (${A:-{b}})
    while (i < text_.size()) {
      char c = text_[i];
      if (nested && c == '}') {
        ++i;
        if (braces == 0) return out;
        --braces;
        append(out, "}", "");
        continue;
      }
      if (nested && c == '{') {
        ++i;
        ++braces;
        append(out, "{", "");
        continue;
      }
      if (c != '$') {
        // Plain text in one piece: a value that is mostly text costs no more than a copy.
        std::size_t e = i + 1;
        while (e < text_.size() && text_[e] != '$' &&
               !(nested && (text_[e] == '}' || text_[e] == '{')))
          ++e;
        append(out, text_.substr(i, e - i), "");
        i = e;
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
          append(out, braced(i), "");
        } else if (failed_.contains(at)) {
          out += '$';  // known not to be a template
          i = at + 1;
        } else {
          try {
            append(out, braced(i), "");
          } catch (const BadTemplate&) {
            // Not a template: the text stays as it is. The same `${` fails the same way
            // wherever it is met again, so it is tried once: a rescan from every level of
            // nesting would take exponential time.
            failed_.insert(at);
            out += '$';
            i = at + 1;
          }
        }
      } else if (name_start(n)) {
        std::size_t s = i + 1, e = s;
        while (e < text_.size() && name_char(text_[e]))
          ++e;
        std::string name(text_.substr(s, e - s));
        append(out, value_of(name), name);
        i = e;
      } else {
        out += '$';
        ++i;
      }
    }
    if (nested) invalid();
    return out;
  }

  // The limit on one value, checked as it grows: `V1=${V0}${V0}` doubles with every line.
  void append(std::string& out, std::string_view piece, const std::string& name) {
    if (out.size() + piece.size() > kMaxValueBytes)
      throw Error(where_ + ": the value grows past " + std::to_string(kMaxValueBytes >> 20) +
                  " MiB when interpolated" + (name.empty() ? "" : " (at $" + name + ")") +
                  ", the loader's limit for one value");
    out += piece;
  }

  // Expands the argument of an operator, one level deeper.
  std::string nested_arg(std::size_t& i) {
    if (++depth_ > kMaxInterpolationDepth)
      throw Error(where_ + ": templates nest more than " + std::to_string(kMaxInterpolationDepth) +
                  " levels deep (${A:-${B:-...}}), the loader's limit");
    std::string out = expand(i, true);
    --depth_;
    return out;
  }

  // After "${": NAME, then "}" or an operator and its argument (which may nest).
  std::string braced(std::size_t& i) {
    std::size_t s = i;
    if (i >= text_.size() || !name_start(text_[i])) invalid();
    while (i < text_.size() && name_char(text_[i]))
      ++i;
    std::string name(text_.substr(s, i - s));
    if (i >= text_.size()) invalid();
    if (text_[i] == '}') {
      ++i;
      return value_of(name);
    }
    bool colon = false;
    if (text_[i] == ':') {
      colon = true;
      ++i;
      if (i >= text_.size()) invalid();
    }
    char op = text_[i];
    if (op != '-' && op != '?' && op != '+') invalid();
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
        if (c == '{') {  // a nested ${...} or a plain brace: both close with their own }
          ++depth;
          ++i;
          continue;
        }
        if (c == '}') {
          ++i;
          if (depth-- == 0) return;
          continue;
        }
        ++i;
      }
      invalid();
    };
    switch (op) {
      case '-':
        if (set) {
          skip_arg();
          return *v;
        }
        return nested_arg(i);
      case '+':
        if (set) return nested_arg(i);
        skip_arg();
        return "";
      default: {  // '?'
        if (set) {
          skip_arg();
          return *v;
        }
        std::string msg = nested_arg(i);
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
  std::size_t depth_ = 0;
  std::unordered_set<std::size_t> failed_;  // lenient mode: where a `${` is not a template
};

void walk(YNode& n, Interpolation& ctx, const std::string& path) {
  switch (n.kind) {
    case YNode::Kind::kScalar:
      if (n.value.find('$') != std::string::npos) {
        n.value = interpolate(n.value, ctx, n.where() + (path.empty() ? "" : ": " + path));
        // A template is a string, whatever it gives: `X: ${UNSET:-}` is X="", not a bare
        // X (null), as compose has it.
        if (n.value.empty()) n.quoted = true;
      }
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
  std::string out = Interpolator(text, ctx, where).run();
  if (ctx.budget) ctx.budget->charge(out.size(), where, "the interpolated value");
  return out;
}

void interpolate_tree(YNode& node, Interpolation& ctx) { walk(node, ctx, ""); }

}  // namespace varan::compose
