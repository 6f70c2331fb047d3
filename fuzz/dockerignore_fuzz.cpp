// libFuzzer target: a .dockerignore from untrusted bytes (the first line is a path to ask
// about, the rest the file). It may only fail with varan::Error, and must answer in time
// whatever the patterns (no backtracking).
#include <string>

#include "common/error.h"
#include "engine/dockerignore.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  std::size_t nl = input.find('\n');
  std::string path = input.substr(0, nl);
  std::string text = nl == std::string::npos ? "" : input.substr(nl + 1);
  try {
    varan::engine::IgnoreMatcher m = varan::engine::IgnoreMatcher::parse(text);
    bool before = m.excluded(path);
    (void)m.look_inside(path);
    m.keep_build_files("Dockerfile");
    if (m.excluded("Dockerfile") || m.excluded(".dockerignore")) __builtin_trap();
    (void)before;
  } catch (const varan::Error&) {
  }
  return 0;
}
