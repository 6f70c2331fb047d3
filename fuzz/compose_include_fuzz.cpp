// libFuzzer target: `include:` resolution from untrusted bytes. The input is cut at lines
// "#--" into compose.yaml, a.yaml, b.yaml and c.yaml (which may include one another, in
// short and long form, with cycles and repeats); the loader must load them or fail with
// compose::Error, within its limits.
#include <unistd.h>

#include <fstream>
#include <string>

#include "engine/compose/load.h"

namespace {

std::string dir() {
  static std::string d = [] {
    char tmpl[] = "/tmp/varan-include-fuzz-XXXXXX";
    return std::string(mkdtemp(tmpl));
  }();
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  const char* names[] = {"compose.yaml", "a.yaml", "b.yaml", "c.yaml"};
  std::size_t start = 0;
  for (const char* name : names) {
    std::size_t cut = input.find("\n#--", start);
    std::string part = input.substr(start, cut == std::string::npos ? cut : cut - start);
    std::ofstream(dir() + "/" + name, std::ios::binary | std::ios::trunc) << part;
    start = cut == std::string::npos ? input.size() : cut + 4;
  }
  varan::compose::LoadOptions o;
  o.files = {dir() + "/compose.yaml"};
  o.cwd = dir();
  o.project_name = "fuzz";
  o.inherit_environment = false;
  o.environment = {{"SET", "value"}, {"HOME", "/home/fuzz"}};
  try {
    varan::compose::Project p = varan::compose::load_project(o);
    (void)p.to_yaml();
  } catch (const varan::compose::Error&) {
  }
  return 0;
}
