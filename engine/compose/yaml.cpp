#include "engine/compose/yaml.h"

#include <map>
#include <regex>
#include <unordered_set>

#include "common/yaml_events.h"
#include "engine/compose/limits.h"

namespace varan::compose {

using yaml::EventType;

bool YNode::is_null() const {
  if (kind == Kind::kNull) return true;
  if (kind != Kind::kScalar || quoted || !tag.empty()) return false;
  return value.empty() || value == "~" || value == "null" || value == "Null" || value == "NULL";
}

const YNode* YNode::find(std::string_view key) const {
  for (const auto& [k, v] : map)
    if (k == key) return &v;
  return nullptr;
}

YNode* YNode::find(std::string_view key) {
  return const_cast<YNode*>(static_cast<const YNode*>(this)->find(key));
}

void YNode::set(const std::string& key, YNode v) {
  if (YNode* existing = find(key)) {
    *existing = std::move(v);
  } else {
    map.push_back({key, std::move(v)});
  }
}

void YNode::erase(std::string_view key) {
  for (auto it = map.begin(); it != map.end(); ++it)
    if (it->first == key) {
      map.erase(it);
      return;
    }
}

std::string YNode::where() const {
  return file.empty() ? "" : file + (line ? ":" + std::to_string(line) : "");
}

namespace {

// A plain scalar that YAML 1.2's core schema (as Go's yaml.v3 reads compose files) resolves to
// an integer, a float, a boolean or null.
bool reads_as_non_string(const std::string& v) {
  if (v.empty()) return true;
  if (v.size() > 40 || std::string_view("~nNtTfF+-.0123456789").find(v[0]) == std::string::npos)
    return false;
  static const std::regex kCore(
      "~|null|Null|NULL|true|True|TRUE|false|False|FALSE|"
      "[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|"
      "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?|"
      "[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");
  return std::regex_match(v, kCore);
}

}  // namespace

bool is_non_string_scalar(const YNode& n) {
  return n.kind == YNode::Kind::kNull || (n.kind == YNode::Kind::kScalar && !n.quoted &&
                                          n.tag.empty() && reads_as_non_string(n.value));
}

namespace {

class Builder {
 public:
  Builder(const std::vector<yaml::Event>& ev, std::string file, Budget& budget)
      : ev_(ev), file_(std::move(file)), budget_(budget) {}

  // Every document of the stream, in order; an empty one is a null node.
  std::vector<YNode> documents() {
    std::size_t i = 0;
    std::vector<YNode> docs;
    while (ev_[i].type != EventType::kStreamEnd) {
      if (ev_[i].type == EventType::kDocumentStart) {
        ++i;
        YNode doc = build(i, 0);
        if (doc.kind == YNode::Kind::kScalar && doc.is_null()) doc.kind = YNode::Kind::kNull;
        if (doc.kind != YNode::Kind::kNull && !doc.is_map())
          throw Error(file_ + ":" + std::to_string(doc.line) +
                      ": the top level must be a mapping (services:, networks:, ...)");
        docs.push_back(std::move(doc));
        continue;
      }
      ++i;
    }
    return docs;
  }

 private:
  [[noreturn]] void fail(const yaml::Event& e, const std::string& why) const {
    throw Error(file_ + ":" + std::to_string(e.start.line + 1) + ": " + why);
  }

  YNode build(std::size_t& i, std::size_t depth) {
    const yaml::Event& e = ev_[i];
    if (depth > kMaxYamlDepth) fail(e, "nested too deeply");
    if (++nodes_ > kMaxYamlNodes) fail(e, "too many nodes (alias expansion?)");
    YNode out;
    out.file = file_;
    out.line = e.start.line + 1;
    switch (e.type) {
      case EventType::kAlias: {
        auto it = anchors_.find(e.anchor);
        if (it == anchors_.end()) fail(e, "unknown anchor *" + e.anchor);
        // An alias is a copy: count its nodes and bytes, so aliases can't blow memory up.
        const Anchor& a = it->second;
        nodes_ += a.nodes;
        if (nodes_ > kMaxYamlNodes) fail(e, "too many nodes (alias expansion?)");
        budget_.charge(a.bytes, file_ + ":" + std::to_string(e.start.line + 1),
                       "alias *" + e.anchor);
        ++i;
        return a.node;
      }
      case EventType::kScalar:
        out.kind = YNode::Kind::kScalar;
        out.value = e.value;
        out.quoted = e.style != yaml::ScalarStyle::kPlain;
        out.tag = e.tag;
        if (out.tag == "tag:yaml.org,2002:str") out.quoted = true;
        if (out.tag == "tag:yaml.org,2002:null") out.kind = YNode::Kind::kNull;
        ++i;
        break;
      case EventType::kSequenceStart:
        out.kind = YNode::Kind::kSeq;
        out.tag = e.tag;
        ++i;
        while (ev_[i].type != EventType::kSequenceEnd)
          out.seq.push_back(build(i, depth + 1));
        ++i;
        break;
      case EventType::kMappingStart: {
        out.kind = YNode::Kind::kMap;
        out.tag = e.tag;
        ++i;
        std::vector<YNode> merges;
        std::unordered_set<std::string> keys;  // a linear check for duplicates
        while (ev_[i].type != EventType::kMappingEnd) {
          const yaml::Event& key_ev = ev_[i];
          if (key_ev.type != EventType::kScalar) fail(key_ev, "mapping keys must be strings");
          std::string key = key_ev.value;
          if (key_ev.style == yaml::ScalarStyle::kPlain && key_ev.tag.empty() &&
              reads_as_non_string(key))
            fail(key_ev, "non-string key " + key + " (YAML reads it as a number, a boolean or " +
                             "null; quote it: \"" + key + "\")");
          ++i;
          YNode value = build(i, depth + 1);
          if (key == "<<" && key_ev.style == yaml::ScalarStyle::kPlain) {
            // A merge key: a mapping, or a list of mappings, whose keys fill in the rest.
            if (value.is_map()) {
              merges.push_back(std::move(value));
            } else if (value.is_seq()) {
              for (auto& m : value.seq) {
                if (!m.is_map()) fail(key_ev, "<< merges mappings only");
                merges.push_back(std::move(m));
              }
            } else {
              fail(key_ev, "<< merges mappings only");
            }
            continue;
          }
          if (!keys.insert(key).second) fail(key_ev, "duplicate key \"" + key + "\"");
          out.map.push_back({std::move(key), std::move(value)});
        }
        for (const auto& m : merges)
          for (const auto& [k, v] : m.map)
            if (keys.insert(k).second) out.map.push_back({k, v});
        ++i;
        break;
      }
      default:
        fail(e, "unexpected YAML event");
    }
    if (!e.anchor.empty()) {
      Anchor& a = anchors_[e.anchor];
      a.node = out;
      a.nodes = a.bytes = 0;
      count(out, a);
      // Keeping the anchor is a copy too (nested anchors copy their subtrees once each).
      budget_.charge(a.bytes, file_ + ":" + std::to_string(out.line), "anchor &" + e.anchor);
    }
    return out;
  }

  const std::vector<yaml::Event>& ev_;
  std::string file_;
  struct Anchor {
    YNode node;
    std::size_t nodes = 0, bytes = 0;  // what one copy costs
  };
  // Recursion is bounded by kMaxYamlDepth.
  static void count(const YNode& n, Anchor& a) {
    ++a.nodes;
    a.bytes += n.value.size() + n.tag.size();
    for (const auto& [k, v] : n.map) {
      a.bytes += k.size();
      count(v, a);
    }
    for (const auto& v : n.seq)
      count(v, a);
  }

  Budget& budget_;
  std::map<std::string, Anchor> anchors_;
  std::size_t nodes_ = 0;
};

}  // namespace

std::vector<YNode> parse_yaml_documents(std::string_view text, const std::string& file,
                                        Budget* budget) {
  Budget own;
  std::vector<yaml::Event> events;
  try {
    events = yaml::read_events(text, kMaxYamlDepth);
  } catch (const Error&) {
    throw;
  } catch (const varan::Error& e) {
    throw Error(file + ": " + e.what());
  }
  return Builder(events, file, budget ? *budget : own).documents();
}

YNode parse_yaml(std::string_view text, const std::string& file, Budget* budget) {
  std::vector<YNode> docs = parse_yaml_documents(text, file, budget);
  if (docs.size() > 1)
    throw Error(file + ":" + std::to_string(docs[1].line) + ": expected one YAML document");
  YNode doc = docs.empty() ? YNode() : std::move(docs[0]);
  if (doc.kind == YNode::Kind::kNull) {
    doc = YNode::mapping();
    doc.file = file;
    doc.line = 1;
  }
  return doc;
}

}  // namespace varan::compose
