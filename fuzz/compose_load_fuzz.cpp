// libFuzzer target: a compose file from untrusted bytes through the whole loader (YAML,
// anchors, interpolation, long syntax, typing). Whatever loads must print (config) as YAML
// that loads back to the same model; anything else may only fail with compose::Error.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "engine/compose/load.h"

namespace {

std::string dir() {
  static std::string d = [] {
    char tmpl[] = "/tmp/varan-compose-fuzz-XXXXXX";
    return std::string(mkdtemp(tmpl));
  }();
  return d;
}

varan::compose::Project load(const std::string& file) {
  varan::compose::LoadOptions o;
  o.files = {file};
  o.cwd = dir();
  o.project_name = "fuzz";
  o.inherit_environment = false;
  o.environment = {{"SET", "value"}, {"HOME", "/home/fuzz"}};
  return varan::compose::load_project(o);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string file = dir() + "/compose.yaml";
  std::ofstream(file, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  varan::compose::Project p;
  try {
    p = load(file);
  } catch (const varan::compose::Error&) {
    return 0;
  }
  std::string yaml = p.to_yaml();
  std::ofstream(dir() + "/again.yaml", std::ios::trunc) << yaml;
  varan::compose::Project q;
  try {
    q = load(dir() + "/again.yaml");
  } catch (const varan::compose::Error&) {
    std::abort();  // we wrote it: it must load
  }
  if (q.services.size() != p.services.size()) std::abort();
  for (const auto& s : p.services) {
    const varan::compose::Service* t = q.find(s.name);
    if (!t || varan::compose::config_hash(s) != varan::compose::config_hash(*t)) std::abort();
  }
  return 0;
}
