#include "common/yaml_json.h"

#include <map>
#include <set>
#include <vector>

#include "common/error.h"
#include "common/yaml_events.h"

namespace varan {

namespace {

using Json = nlohmann::json;
using yaml::EventType;

constexpr std::size_t kMaxDepth = 256;
constexpr std::size_t kMaxNodes = 1'000'000;  // aliases included: each is a copy

class Builder {
 public:
  Builder(const std::vector<yaml::Event>& ev, std::string where)
      : ev_(ev), where_(std::move(where)) {}

  Json document() {
    std::size_t i = 0;
    while (i < ev_.size() &&
           (ev_[i].type == EventType::kStreamStart || ev_[i].type == EventType::kDocumentStart))
      ++i;
    if (i >= ev_.size() || ev_[i].type == EventType::kDocumentEnd ||
        ev_[i].type == EventType::kStreamEnd)
      return nullptr;
    return build(i, 0);
  }

 private:
  [[noreturn]] void fail(const yaml::Event& e, const std::string& why) const {
    throw Error(where_ + ":" + std::to_string(e.start.line + 1) + ": " + why);
  }

  static Json scalar(const yaml::Event& e) {
    bool quoted = e.style != yaml::ScalarStyle::kPlain || e.tag == "tag:yaml.org,2002:str";
    const std::string& v = e.value;
    if (quoted) return v;
    if (e.tag == "tag:yaml.org,2002:null" || v.empty() || v == "~" || v == "null" || v == "Null" ||
        v == "NULL")
      return nullptr;
    if (v == "true" || v == "True" || v == "TRUE") return true;
    if (v == "false" || v == "False" || v == "FALSE") return false;
    Json num = Json::parse(v, nullptr, false);
    if (num.is_number() && v.find_first_not_of("+-0123456789.eE") == std::string::npos) return num;
    return v;
  }

  void count(const yaml::Event& e, std::size_t n) {
    nodes_ += n;
    if (nodes_ > kMaxNodes) fail(e, "too many nodes (alias expansion?)");
  }

  static std::size_t size_of(const Json& j) {
    std::size_t n = 1;
    if (j.is_structured())
      for (const auto& v : j)
        n += size_of(v);  // bounded by kMaxDepth
    return n;
  }

  Json build(std::size_t& i, std::size_t depth) {
    const yaml::Event& e = ev_[i];
    if (depth > kMaxDepth) fail(e, "nested too deeply");
    count(e, 1);
    Json out;
    switch (e.type) {
      case EventType::kAlias: {
        auto it = anchors_.find(e.anchor);
        if (it == anchors_.end()) fail(e, "unknown anchor *" + e.anchor);
        count(e, it->second.second);
        ++i;
        return it->second.first;
      }
      case EventType::kScalar:
        out = scalar(e);
        ++i;
        break;
      case EventType::kSequenceStart:
        out = Json::array();
        ++i;
        while (ev_[i].type != EventType::kSequenceEnd)
          out.push_back(build(i, depth + 1));
        ++i;
        break;
      case EventType::kMappingStart: {
        out = Json::object();
        ++i;
        std::vector<Json> merges;
        while (ev_[i].type != EventType::kMappingEnd) {
          const yaml::Event& key_ev = ev_[i];
          if (key_ev.type != EventType::kScalar) fail(key_ev, "mapping keys must be strings");
          std::string key = key_ev.value;
          ++i;
          Json value = build(i, depth + 1);
          if (key == "<<" && key_ev.style == yaml::ScalarStyle::kPlain) {
            if (value.is_object()) {
              merges.push_back(std::move(value));
            } else if (value.is_array()) {
              for (auto& m : value) {
                if (!m.is_object()) fail(key_ev, "<< merges mappings only");
                merges.push_back(std::move(m));
              }
            } else {
              fail(key_ev, "<< merges mappings only");
            }
            continue;
          }
          if (out.contains(key)) fail(key_ev, "duplicate key \"" + key + "\"");
          out[key] = std::move(value);
        }
        for (const auto& m : merges)
          for (const auto& [k, v] : m.items())
            if (!out.contains(k)) out[k] = v;
        ++i;
        break;
      }
      default:
        fail(e, "unexpected YAML event");
    }
    if (!e.anchor.empty()) anchors_[e.anchor] = {out, size_of(out)};
    return out;
  }

  const std::vector<yaml::Event>& ev_;
  std::string where_;
  std::map<std::string, std::pair<Json, std::size_t>> anchors_;  // the value, its node count
  std::size_t nodes_ = 0;
};

}  // namespace

Json yaml_to_json(std::string_view text, const std::string& where) {
  std::vector<yaml::Event> events;
  try {
    events = yaml::read_events(text, kMaxDepth);
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
  return Builder(events, where).document();
}

}  // namespace varan
