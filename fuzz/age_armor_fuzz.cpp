// libFuzzer target: the strict ASCII armor reader. Whatever it accepts must re-armor to
// the same text once surrounding whitespace and CRLF line endings are set aside.
#include <cstdint>
#include <cstdlib>

#include "secrets/age/armor.h"
#include "secrets/age/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace varan;
  MemorySource src(std::span<const std::uint8_t>(data, size));
  BufferedReader in(src, 64);
  age::ArmorReader armor(in);
  MemorySink decoded;
  try {
    std::uint8_t buf[100];
    for (std::size_t r; (r = armor.read(buf, sizeof buf)) > 0;)
      decoded.write(buf, r);
  } catch (const age::Error& e) {
    if (e.failure() != age::Failure::kArmor) std::abort();
    return 0;
  }
  MemorySink again;
  age::ArmorWriter w(again);
  w.write(decoded.data());
  w.finish();
  std::string text(as_string({data, size}));
  std::string normal;
  for (char c : text)
    if (c != '\r') normal += c;
  auto begin = normal.find("-----BEGIN");
  if (begin == std::string::npos || normal.compare(begin, again.str().size(), again.str()) != 0)
    std::abort();
  return 0;
}
