#include "engine/compose/load_internal.h"

#include <filesystem>

namespace varan::compose {

namespace fs = std::filesystem;

[[noreturn]] void fail_at(const YNode& n, const std::string& what) {
  throw Error(n.where() + (n.where().empty() ? "" : ": ") + what);
}

std::string svc_key(const std::string& service, const std::string& key) {
  return "service \"" + service + "\": " + key;
}

std::string absolute_in(const std::string& base, const std::string& p, const std::string& home) {
  fs::path path;
  if (p == "~" || p.starts_with("~/")) {
    path = fs::path(home) / (p.size() > 2 ? p.substr(2) : "");
  } else {
    path = fs::path(p);
    if (path.is_relative()) path = fs::path(base) / path;
  }
  std::string s = path.lexically_normal().string();
  if (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

std::vector<std::string> split_list(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t e = s.find(sep, start);
    if (e == std::string_view::npos) e = s.size();
    std::string part(s.substr(start, e - start));
    while (!part.empty() && part.front() == ' ')
      part.erase(part.begin());
    while (!part.empty() && part.back() == ' ')
      part.pop_back();
    if (!part.empty()) out.push_back(part);
    start = e + 1;
  }
  return out;
}

}  // namespace varan::compose
