// libFuzzer target: the compose .env parser (project .env, --env-file, env_file). It may
// only fail with compose::Error, and must not read past its input.
#include <string>

#include "engine/compose/dotenv.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  varan::compose::Lookup lookup = [](const std::string& k) -> std::optional<std::string> {
    if (k == "SET") return "value";
    return std::nullopt;
  };
  for (bool raw : {false, true}) {
    try {
      (void)varan::compose::parse_dotenv(in, ".env", lookup, raw);
    } catch (const varan::compose::Error&) {
    }
  }
  return 0;
}
