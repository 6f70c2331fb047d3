// libFuzzer target: the age header parser. A header that parses must serialise back to
// exactly the bytes it was parsed from (parsing is strict, so there is one encoding).
#include <cstdint>
#include <cstdlib>

#include "secrets/age/errors.h"
#include "secrets/age/format.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace varan;
  MemorySource src(std::span<const std::uint8_t>(data, size));
  BufferedReader in(src);
  try {
    age::Header h = age::parse_header(in);
    std::size_t consumed = size - in.fill(size + 1);
    std::string again = age::marshal(h);
    if (again.size() != consumed || again != as_string({data, consumed})) std::abort();
  } catch (const age::Error& e) {
    if (e.failure() != age::Failure::kHeader) std::abort();
  }
  return 0;
}
