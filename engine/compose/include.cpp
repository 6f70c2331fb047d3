#include "engine/compose/include.h"

#include <algorithm>
#include <filesystem>

#include "engine/compose/load_internal.h"

namespace varan::compose {

namespace {

// A string, or a list of strings, as one list.
std::vector<std::string> strings(const YNode& n, const std::string& what) {
  std::vector<std::string> out;
  if (n.kind == YNode::Kind::kScalar) {
    out.push_back(n.value);
  } else if (n.is_seq()) {
    for (const auto& e : n.seq) {
      if (e.kind != YNode::Kind::kScalar) fail_at(e, what + ": expected a path");
      out.push_back(e.value);
    }
  } else {
    fail_at(n, what + ": expected a path or a list of paths");
  }
  if (out.empty()) fail_at(n, what + ": expected at least one path");
  return out;
}

bool same(const YNode& a, const YNode& b) {
  if (a.kind != b.kind || a.value != b.value || a.map.size() != b.map.size() ||
      a.seq.size() != b.seq.size())
    return false;
  for (std::size_t i = 0; i < a.map.size(); ++i) {
    const YNode* other = b.find(a.map[i].first);
    if (!other || !same(a.map[i].second, *other)) return false;
  }
  for (std::size_t i = 0; i < a.seq.size(); ++i)
    if (!same(a.seq[i], b.seq[i])) return false;
  return true;
}

}  // namespace

std::vector<IncludeEntry> include_entries(const YNode& include, const std::string& base,
                                          const std::string& home) {
  if (include.is_null()) return {};
  if (!include.is_seq()) fail_at(include, "include: expected a list of files");
  std::vector<IncludeEntry> out;
  for (const auto& e : include.seq) {
    IncludeEntry entry;
    entry.where = e.where();
    std::vector<std::string> paths;
    if (e.kind == YNode::Kind::kScalar) {
      paths = {e.value};
    } else if (e.is_map()) {
      for (const auto& [k, v] : e.map)
        if (k != "path" && k != "project_directory" && k != "env_file" && !k.starts_with("x-"))
          fail_at(v, "include: unknown key \"" + k + "\" (path, project_directory, env_file)");
      const YNode* path = e.find("path");
      if (!path) fail_at(e, "include: an entry needs path:");
      paths = strings(*path, "include.path");
      if (const YNode* d = e.find("project_directory"); d && !d->is_null()) {
        if (d->kind != YNode::Kind::kScalar)
          fail_at(*d, "include.project_directory: expected a path");
        entry.project_dir = absolute_in(base, d->value, home);
      }
      if (const YNode* f = e.find("env_file"); f && !f->is_null()) {
        entry.env_files_given = true;
        for (const auto& p : strings(*f, "include.env_file"))
          if (p != "/dev/null") entry.env_files.push_back(absolute_in(base, p, home));
      }
    } else {
      fail_at(e, "include: expected a path or {path, project_directory, env_file}");
    }
    for (const auto& p : paths)
      entry.paths.push_back(absolute_in(base, p, home));
    if (entry.project_dir.empty())
      entry.project_dir = std::filesystem::path(entry.paths[0]).parent_path().string();
    out.push_back(std::move(entry));
  }
  return out;
}

void import_included(YNode& into, const YNode& included, const IncludeEntry& from) {
  for (const char* section : {"services", "networks", "volumes", "secrets", "configs"}) {
    const YNode* src = included.find(section);
    if (!src || src->is_null()) continue;
    if (!src->is_map()) fail_at(*src, std::string(section) + ": expected a mapping");
    YNode* dst = into.find(section);
    if (!dst || dst->is_null()) {
      YNode m = YNode::mapping();
      m.file = into.file;
      m.line = into.line;
      into.set(section, std::move(m));
      dst = into.find(section);
    }
    if (!dst->is_map()) fail_at(*dst, std::string(section) + ": expected a mapping");
    for (const auto& [name, def] : src->map) {
      if (const YNode* mine = dst->find(name)) {
        if (same(*mine, def)) continue;
        fail_at(*mine, std::string(section) + "." + name +
                           " conflicts with imported resource (defined again in " + def.where() +
                           ", included at " + from.where + "); rename one of them");
      }
      dst->map.push_back({name, def});
    }
  }
}

void check_include_cycle(const std::vector<std::string>& chain, const std::string& file) {
  if (std::find(chain.begin(), chain.end(), file) == chain.end()) return;
  std::string msg = "include cycle detected:\n" + chain[0];
  for (std::size_t i = 1; i < chain.size(); ++i)
    msg += "\n include " + chain[i];
  throw Error(msg + "\n include " + file);
}

}  // namespace varan::compose
