// The periphery agent's request handling on untrusted bodies: JSON syntax, the envelope,
// every request type's params (types, missing fields, wrong shapes), ComposeExecution's
// command strings, GetContainerLogSearch's terms, and the masking of answers. The engine is
// unreachable (a socket that does not exist), so requests that reach it fail at once. The
// types that run a shell, write stacks or repos, or prune are left out: they are driven by
// the tests against real parts.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/client.h"
#include "periphery/api.h"
#include "periphery/config.h"

using namespace varan;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::set<std::string> kSkipped = {"RunCommand", "ComposeUp",       "CloneRepo",
                                                 "PullRepo",   "PullOrCloneRepo", "PruneSystem"};
  static periphery::Config config = [] {
    auto root = std::filesystem::temp_directory_path() / "varan-periphery-fuzz";
    periphery::Config c = periphery::load_config({}, {{"PERIPHERY_ROOT_DIRECTORY", root.string()}});
    c.secrets["FUZZ_SECRET"] = "fuzz-secret-value";
    return c;
  }();
  static engine::Client client(
      engine::parse_endpoint("unix:///nonexistent/varan-fuzz.sock", false, ""));
  static periphery::Api api(config, client);

  std::string body(reinterpret_cast<const char*>(data), size);
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("type") && j["type"].is_string() &&
      kSkipped.contains(j["type"].get<std::string>()))
    return 0;
  periphery::Reply r = api.handle(body, "application/json");
  if (r.status < 200 || r.status > 599) __builtin_trap();
  if (r.body.find("fuzz-secret-value") != std::string::npos) __builtin_trap();
  return 0;
}
