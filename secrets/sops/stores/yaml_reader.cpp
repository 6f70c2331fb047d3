#include "secrets/sops/stores/yaml_reader.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "common/base64.h"
#include "common/yaml_events.h"
#include "secrets/sops/errors.h"
#include "secrets/sops/stores/yaml_scalar.h"

namespace varan::sops::yaml_store {

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

}  // namespace

Branches read_documents(std::string_view in) {
  auto events = read_events(in);
  Builder b(events, find_comments(in, events));
  return b.documents();
}

}  // namespace varan::sops::yaml_store
