// INI, following gopkg.in/ini.v1 as sops configures it: sections (repeatable), key = value
// or key: value, ';'/'#' comments attached to the next key or section, inline comments,
// quoted and """multi-line""" values, '\' continuations; written in ini.v1's aligned style.
#include <algorithm>
#include <cctype>

#include "secrets/sops/errors.h"
#include "secrets/sops/store_registry.h"

namespace varan::sops {

namespace {

constexpr std::string_view kDefault = "DEFAULT";

std::string strip_comment_char(const std::string& c) {
  std::size_t i = 0;
  if (!c.empty() && c[0] == ';') {
    while (i < c.size() && (c[i] == ';' || c[i] == ' '))
      ++i;
  } else if (!c.empty() && c[0] == '#') {
    while (i < c.size() && (c[i] == '#' || c[i] == ' '))
      ++i;
  }
  return c.substr(i);
}

[[noreturn]] void fail(std::size_t line, const std::string& why) {
  throw Error(codes::kGeneric,
              "Could not unmarshal input data: INI line " + std::to_string(line) + ": " + why);
}

class IniStore final : public Store {
 public:
  Format format() const override { return Format::kIni; }
  Layout layout() const override { return Layout::kFlattenBelowTop; }
  bool escape_metadata_newlines() const override { return true; }

  Branches load_plain(std::string_view in) const override {
    std::vector<std::string_view> lines;
    for (std::size_t start = 0; start <= in.size();) {
      auto nl = in.find('\n', start);
      std::string_view l =
          in.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      lines.push_back(l);
      if (nl == std::string_view::npos) break;
      start = nl + 1;
    }
    Node doc = Node::mapping();
    doc.add(std::string(kDefault), Node::mapping());
    Node* section = &doc.map.back().second;
    std::string comments;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      std::string line = trim_space(lines[i]);
      if (line.empty()) continue;
      if (line[0] == '#' || line[0] == ';') {
        if (!comments.empty()) comments += '\n';
        comments += line;
        continue;
      }
      if (line[0] == '[') {
        auto close = line.rfind(']');
        if (close == std::string::npos) fail(i + 1, "unclosed section header");
        std::string name = trim_space(std::string_view(line).substr(1, close - 1));
        Node sec = Node::mapping();
        if (!comments.empty())
          sec.map.emplace_back(Node::comment(strip_comment_char(comments)), Node());
        comments.clear();
        doc.add(std::move(name), std::move(sec));
        section = &doc.map.back().second;
        continue;
      }
      // key
      std::string key;
      std::size_t rest_at;
      if (line[0] == '`' || line.starts_with("\"\"\"") || line[0] == '"') {
        std::string q = line.starts_with("\"\"\"") ? "\"\"\"" : std::string(1, line[0]);
        auto end = line.find(q, q.size());
        if (end == std::string::npos) fail(i + 1, "unclosed quoted key");
        key = line.substr(q.size(), end - q.size());
        rest_at = line.find_first_of("=:", end + q.size());
      } else {
        rest_at = line.find_first_of("=:");
        if (rest_at != std::string::npos)
          key = trim_space(std::string_view(line).substr(0, rest_at));
      }
      if (rest_at == std::string::npos) fail(i + 1, "key-value delimiter not found");
      std::string value_comment;
      std::string value =
          read_value(std::string_view(line).substr(rest_at + 1), lines, i, value_comment);
      if (!value_comment.empty()) {
        if (!comments.empty()) comments += '\n';
        comments += value_comment;
      }
      Node* existing = nullptr;
      for (auto& [k, v] : section->map)
        if (!k.is_comment() && k.str == key) existing = &v;
      if (existing) {
        *existing = Node::string(std::move(value));
      } else {
        section->add(key, Node::string(std::move(value)));
      }
      if (!comments.empty())
        section->map.emplace_back(Node::comment(strip_comment_char(comments)), Node());
      comments.clear();
    }
    if (doc.map.front().second.map.empty()) doc.map.erase(doc.map.begin());
    return {std::move(doc)};
  }

  // INI's quoting can't hold every string (quotes of both kinds, CR LF, runs of """): what
  // is written must read back as itself, or writing fails rather than change a value.
  std::string emit_plain(const Branches& b) const override {
    std::string out = emit_unchecked(b);
    bool same = false;
    try {
      same = emit_unchecked(load_plain(out)) == out;
    } catch (const Error&) {
    }
    if (!same)
      throw Error(codes::kErrorDumpingTree,
                  "cannot write this tree as INI: a key or value holds quotes or line breaks "
                  "that no INI quoting reads back unchanged");
    return out;
  }

 private:
  std::string emit_unchecked(const Branches& b) const {
    std::string out;
    if (b.empty()) return out;
    std::vector<const std::pair<Node, Node>*> sections;
    for (const auto& item : b[0].map)
      if (!item.first.is_comment()) sections.push_back(&item);
    for (std::size_t s = 0; s < sections.size(); ++s) {
      const auto& [name, body] = *sections[s];
      if (body.kind != Node::Kind::kMap)
        throw Error(codes::kErrorDumpingTree,
                    "Error encoding section: Section values should always be TreeBranches");
      std::size_t first = 0;
      if (!body.map.empty() && body.map[0].first.is_comment()) {
        comment_lines(out, body.map[0].first.str);
        first = 1;
      }
      bool header = s > 0 || name.str != kDefault;
      std::vector<std::pair<std::string, const Node*>> keys;  // name, value
      std::vector<std::string> key_comments;
      for (std::size_t i = first; i < body.map.size(); ++i) {
        const auto& [k, v] = body.map[i];
        if (k.is_comment()) {
          if (!keys.empty()) key_comments.back() = k.str;
          continue;
        }
        if (v.is_complex())
          throw Error(codes::kErrorDumpingTree,
                      "cannot use complex value in INI file; offending key " + k.str);
        keys.emplace_back(quote_key(k.str), &v);
        key_comments.emplace_back();
      }
      if (!header && keys.empty()) continue;
      if (header) out += "[" + name.str + "]\n";
      std::size_t align = 0;
      for (const auto& [k, v] : keys)
        align = std::max(align, k.size());
      for (std::size_t i = 0; i < keys.size(); ++i) {
        if (!key_comments[i].empty()) comment_lines(out, key_comments[i]);
        std::string value = quote_value(value_to_string(*keys[i].second));
        out +=
            keys[i].first + std::string(align - keys[i].first.size(), ' ') + " = " + value + "\n";
        wipe(value);
      }
      if (s + 1 < sections.size()) out += "\n";
    }
    return out;
  }

 public:
  std::string emit_value(const Node& v) const override {
    if (v.kind == Node::Kind::kString) return go_json_string(v.str);
    return value_to_string(v);
  }

 private:
  static std::string read_value(std::string_view in, const std::vector<std::string_view>& lines,
                                std::size_t& i, std::string& comment) {
    std::string line = trim_space(in);
    if (line.empty()) return "";
    std::string quote;
    if (line.size() > 3 && line.starts_with("\"\"\"")) {
      quote = "\"\"\"";
    } else if (line[0] == '`') {
      quote = "`";
    }
    if (!quote.empty()) {
      std::string rest = line.substr(quote.size());
      auto pos = rest.rfind(quote);
      if (pos != std::string::npos) return rest.substr(0, pos);
      // Multi-line: until a line containing the closing quote.
      std::string value = rest;
      while (++i < lines.size()) {
        std::string_view next = lines[i];
        auto end = next.find(quote);
        value += '\n';
        if (end != std::string_view::npos) {
          value += next.substr(0, end);
          return value;
        }
        value += next;
      }
      throw Error(codes::kGeneric,
                  "Could not unmarshal input data: INI: unclosed " + quote + " value");
    }
    // Continuation lines end with a backslash.
    while (!line.empty() && line.back() == '\\' && i + 1 < lines.size()) {
      line.pop_back();
      line += trim_space(lines[++i]);
    }
    auto c = line.find_first_of("#;");
    if (c != std::string::npos) {
      comment = line.substr(c);
      line = trim_space(std::string_view(line).substr(0, c));
    }
    if (line.size() >= 2 && ((line.front() == '"' && line.back() == '"') ||
                             (line.front() == '\'' && line.back() == '\'')))
      line = line.substr(1, line.size() - 2);
    return line;
  }

  // """text""": only when the text can't end the quoting early (no """ inside, no " at the
  // end); otherwise INI has no quoting that reads back, and writing fails.
  static std::string triple(const std::string& s, const char* what) {
    if (s.find("\"\"\"") != std::string::npos || s.ends_with('"'))
      throw Error(codes::kErrorDumpingTree,
                  std::string("cannot write this INI ") + what +
                      ": it holds ` and \" where no quoting can hold both");
    return "\"\"\"" + s + "\"\"\"";
  }

  static std::string quote_key(const std::string& k) {
    // A key that would read back as a comment, a section or another key is quoted.
    bool odd_start = k.empty() || k[0] == ';' || k[0] == '#' || k[0] == '[' || k[0] == '`';
    if (odd_start || trim_space(k).size() != k.size() ||
        k.find_first_of("\"=:") != std::string::npos)
      return k.find('`') == std::string::npos ? "`" + k + "`" : triple(k, "key");
    if (k.find('`') != std::string::npos) return triple(k, "key");
    return k;
  }

  static std::string quote_value(const std::string& v) {
    // Lines are read with their CR LF ends made LF, so a CR before a line break can't come
    // back: no quoting holds it.
    if (v.find("\r\n") != std::string::npos)
      throw Error(codes::kErrorDumpingTree,
                  "cannot write this INI value: it holds a CR LF line break, which INI "
                  "reads back as LF");
    // Multi-line: backquotes when they can hold it (a value starting with a line break would
    // leave a bare """ on the first line, which reads back as a quote).
    if (v.find('\n') != std::string::npos && v.find('`') == std::string::npos) return "`" + v + "`";
    if (v.find_first_of("\n`") != std::string::npos) return triple(v, "value");
    if (v.find_first_of("#;") != std::string::npos) return "`" + v + "`";
    if (trim_space(v).size() != v.size()) return "\"" + v + "\"";
    // A value that would read back with its quotes stripped keeps them inside backquotes.
    bool quoted = v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front();
    // So does one ending in a backslash, which would continue onto the next line.
    if (quoted || v.starts_with("\"\"\"") || v.ends_with('\\')) return "`" + v + "`";
    return v;
  }

  // Comment lines that read back to the same text: the reader strips the first line's
  // leading "; " (or "# ") characters, so a first line that starts with ';' goes after '#'.
  static void comment_lines(std::string& out, const std::string& comment) {
    std::size_t start = 0;
    bool first = true;
    for (;;) {
      auto nl = comment.find('\n', start);
      std::string line = trim_space(std::string_view(comment).substr(
          start, nl == std::string::npos ? std::string::npos : nl - start));
      if (first) {
        out += (line.starts_with(";") ? "# " : "; ") + line + "\n";
      } else {
        out += (line.starts_with(";") || line.starts_with("#") ? line : "; " + line) + "\n";
      }
      first = false;
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
  }
};

}  // namespace

std::unique_ptr<Store> make_ini_store() { return std::make_unique<IniStore>(); }

}  // namespace varan::sops
