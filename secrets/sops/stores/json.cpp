// JSON (and the binary store, whose encrypted form is JSON): parsed with nlohmann's SAX
// interface so key order and duplicate keys survive; written as Go's encoding/json and
// json.Indent write it, which is what sops prints.
#include <nlohmann/json.hpp>

#include <cmath>
#include <vector>

#include "secrets/sops/errors.h"
#include "secrets/sops/store_registry.h"

namespace varan::sops {

namespace {

// Builds the tree from parse events.
class Builder final : public nlohmann::json_sax<nlohmann::json> {
 public:
  Node root;
  std::string error;

  bool null() override { return put(Node()); }
  bool boolean(bool v) override { return put(Node::boolean(v)); }
  bool number_integer(number_integer_t v) override { return put(Node::integer(v)); }
  bool number_unsigned(number_unsigned_t v) override {
    // Go: an integer beyond int64 becomes a float64.
    if (v > static_cast<number_unsigned_t>(INT64_MAX))
      return put(Node::floating(static_cast<double>(v)));
    return put(Node::integer(static_cast<std::int64_t>(v)));
  }
  bool number_float(number_float_t v, const string_t&) override { return put(Node::floating(v)); }
  bool string(string_t& v) override { return put(Node::string(std::move(v))); }
  bool binary(binary_t&) override { return false; }
  bool start_object(std::size_t) override {
    stack_.push_back(Node::mapping());
    return true;
  }
  bool key(string_t& k) override {
    keys_.push_back(std::move(k));
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override {
    stack_.push_back(Node::sequence());
    return true;
  }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    error = ex.what();
    return false;
  }

 private:
  bool put(Node v) {
    if (stack_.empty()) {
      root = std::move(v);
      return true;
    }
    Node& top = stack_.back();
    if (top.kind == Node::Kind::kMap) {
      top.add(std::move(keys_.back()), std::move(v));
      keys_.pop_back();
    } else {
      top.list.push_back(std::move(v));
    }
    return true;
  }
  bool close() {
    Node v = std::move(stack_.back());
    stack_.pop_back();
    return put(std::move(v));
  }
  std::vector<Node> stack_;
  std::vector<std::string> keys_;
};

void append_utf8(std::string& out, std::string_view s, std::size_t& i) {
  // Copies one UTF-8 sequence; an invalid byte becomes U+FFFD as Go writes it.
  auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  bool ok = n > 0 && i + n <= s.size();
  for (std::size_t k = 1; ok && k < n; ++k)
    ok = (static_cast<unsigned char>(s[i + k]) >> 6) == 2;
  if (!ok) {
    out += "\\ufffd";
    ++i;
    return;
  }
  std::string_view seq = s.substr(i, n);
  if (seq == "\xe2\x80\xa8") {
    out += "\\u2028";
  } else if (seq == "\xe2\x80\xa9") {
    out += "\\u2029";
  } else {
    out += seq;
  }
  i += n;
}

std::string number(double f) {
  if (std::isnan(f) || std::isinf(f))
    throw Error(codes::kErrorDumpingTree, "json: unsupported value: " + go_format_float(f, 'g'));
  double a = std::fabs(f);
  char fmt = (a != 0 && (a < 1e-6 || a >= 1e21)) ? 'e' : 'f';
  std::string s = go_format_float(f, fmt);
  if (fmt == 'e') {
    // Go cleans e-09 up to e-9.
    std::size_t n = s.size();
    if (n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') s.erase(n - 2, 1);
  }
  return s;
}

class JsonStore : public Store {
 public:
  explicit JsonStore(int indent)
      : indent_(indent < 0 ? "\t" : std::string(static_cast<std::size_t>(indent), ' ')) {}
  Format format() const override { return Format::kJson; }

  Branches load_plain(std::string_view in) const override {
    Builder b;
    bool ok = nlohmann::json::sax_parse(in.begin(), in.end(), &b,
                                        nlohmann::json::input_format_t::json, true);
    if (!ok) throw Error(codes::kGeneric, "Could not unmarshal input data: " + b.error);
    if (b.root.kind != Node::Kind::kMap)
      throw Error(codes::kGeneric,
                  "SOPS only supports JSON files with a top-level object (starting with '{'); to "
                  "encrypt this file, "
                  "wrap it in an object, e.g. {\"data\": [...]}");
    return {std::move(b.root)};
  }

  std::string emit_plain(const Branches& b) const override {
    std::string out;
    write(out, b.empty() ? Node::mapping() : b[0], 0);
    out += '\n';
    return out;
  }

  std::string emit_value(const Node& v) const override {
    std::string out;
    write(out, v, 0);
    return out;
  }

 private:
  void newline(std::string& out, int depth) const {
    out += '\n';
    for (int i = 0; i < depth; ++i)
      out += indent_;
  }

  void write(std::string& out, const Node& v, int depth) const {
    switch (v.kind) {
      case Node::Kind::kNull:
        out += "null";
        return;
      case Node::Kind::kBool:
        out += v.b ? "true" : "false";
        return;
      case Node::Kind::kInt:
        out += std::to_string(v.i);
        return;
      case Node::Kind::kFloat:
        out += number(v.f);
        return;
      case Node::Kind::kString:
      case Node::Kind::kBytes:
      case Node::Kind::kComment:
        out += go_json_string(v.str);
        return;
      case Node::Kind::kMap: {
        bool first = true;
        out += '{';
        for (const auto& [k, child] : v.map) {
          if (k.is_comment()) continue;
          if (!first) out += ',';
          first = false;
          newline(out, depth + 1);
          out += go_json_string(k.str) + ": ";
          write(out, child, depth + 1);
        }
        if (!first) newline(out, depth);
        out += '}';
        return;
      }
      case Node::Kind::kList: {
        bool first = true;
        out += '[';
        for (const auto& child : v.list) {
          if (child.is_comment()) continue;
          if (!first) out += ',';
          first = false;
          newline(out, depth + 1);
          write(out, child, depth + 1);
        }
        if (!first) newline(out, depth);
        out += ']';
        return;
      }
    }
  }

  std::string indent_;
};

class BinaryStore final : public JsonStore {
 public:
  using JsonStore::JsonStore;
  Format format() const override { return Format::kBinary; }
  Branches load_plain(std::string_view in) const override {
    Node doc = Node::mapping();
    doc.add("data", Node::string(std::string(in)));
    return {std::move(doc)};
  }
  std::string emit_plain(const Branches& b) const override {
    if (b.size() != 1)
      throw Error(codes::kErrorDumpingTree,
                  "error emitting binary store: there must be exactly one tree branch");
    const Node* data = b[0].find("data");
    if (data == nullptr)
      throw Error(codes::kErrorDumpingTree,
                  "error emitting binary store: no binary data found in tree; this is likely not "
                  "an encrypted binary "
                  "file; use --output-type to select the correct output type");
    if (data->kind != Node::Kind::kString)
      throw Error(codes::kErrorDumpingTree,
                  "error emitting binary store: 'data' key in tree does not have a string value");
    return data->str;
  }
  std::string emit_value(const Node&) const override {
    throw Error(codes::kErrorDumpingTree,
                "Binary files are not structured and extracting a single value is not possible");
  }
};

}  // namespace

std::string go_json_string(std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      append_utf8(out, s, i);
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '<':
      case '>':
      case '&':
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::unique_ptr<Store> make_json_store(int indent) { return std::make_unique<JsonStore>(indent); }
std::unique_ptr<Store> make_binary_store(int json_indent) {
  return std::make_unique<BinaryStore>(json_indent);
}

}  // namespace varan::sops
