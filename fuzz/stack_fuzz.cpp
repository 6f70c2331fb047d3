// libFuzzer target: stack files (Komodo's TOML [[stack]] form, or JSON; the first byte
// picks) and the hook command rules. Reading may only fail with hooks::Error; a joined
// multiline command is one line.
#include <cstdlib>
#include <string>

#include "hooks/command.h"
#include "hooks/deploy.h"
#include "hooks/interpolate.h"
#include "hooks/stack.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  using namespace varan::hooks;
  try {
    StackFile f =
        (data[0] & 1) ? parse_stack_json(text, "f.json") : parse_stack_toml(text, "f.toml");
    for (auto& s : f.stacks) {
      Redactor red;
      interpolate_stack(s, f.variables, red);
      (void)red(s.environment);
      (void)environment_file_text(s.environment);
      (void)s.repo_url();
    }
  } catch (const Error&) {
  }
  std::string joined = parse_multiline(text);
  if (joined.find('\n') != std::string::npos) std::abort();
  (void)as_sops_decrypt(joined);
  return 0;
}
