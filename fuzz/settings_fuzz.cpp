// libFuzzer target: YAML settings files as JSON (common/yaml_json: the periphery config) and
// Komodo's StackConfig read leniently from what they give, as ComposeUp reads Core's body.
// Reading may only fail with varan::Error.
#include <cstdint>
#include <string>

#include "common/error.h"
#include "common/yaml_json.h"
#include "komodo/stack.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  nlohmann::json j;
  try {
    j = varan::yaml_to_json(text, "periphery.config.yaml");
  } catch (const varan::Error&) {
    return 0;
  }
  auto lenient = varan::komodo::Fields::lenient(j);
  varan::komodo::StackConfig s = varan::komodo::read_stack_config(lenient);
  (void)s.repo_url();
  (void)varan::komodo::read_repo_config(lenient.object("repo"));
  (void)j.dump();
  return 0;
}
