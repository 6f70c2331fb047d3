#include "secrets/sops/stores/yaml_writer.h"

#include "secrets/sops/stores/yaml_scalar.h"

namespace varan::sops::yaml_store {

namespace {

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

}  // namespace

std::string write_document(const Node& doc, int indent) { return Emitter(indent).document(doc); }

}  // namespace varan::sops::yaml_store
