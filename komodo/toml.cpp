#include "komodo/toml.h"

#include <toml++/toml.h>

#include <sstream>

#include "common/nesting.h"
#include "komodo/error.h"

namespace varan::komodo {

namespace {

nlohmann::json from_toml(const toml::node& n) {
  if (auto* t = n.as_table()) {
    nlohmann::json o = nlohmann::json::object();
    for (const auto& [k, v] : *t)
      o[std::string(k.str())] = from_toml(v);
    return o;
  }
  if (auto* a = n.as_array()) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& v : *a)
      arr.push_back(from_toml(v));
    return arr;
  }
  if (auto* s = n.as_string()) return s->get();
  if (auto* i = n.as_integer()) return i->get();
  if (auto* f = n.as_floating_point()) return f->get();
  if (auto* b = n.as_boolean()) return b->get();
  std::ostringstream text;  // dates and times: their TOML text
  n.visit([&](const auto& v) { text << v; });
  return text.str();
}

}  // namespace

nlohmann::json toml_to_json(const std::string& text, const std::string& where) {
  // Before parsing: toml++ bounds nested arrays and inline tables, not dotted keys, and its
  // tables (and from_toml) are torn down recursively.
  try {
    check_toml_limits(text, where, kMaxResourceFile);
  } catch (const varan::Error& e) {
    throw Error(e.what());
  }
  toml::table t;
  try {
    t = toml::parse(text, where);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw Error(where + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) + ": " +
                std::string(e.description()));
  }
  return from_toml(t);
}

}  // namespace varan::komodo
