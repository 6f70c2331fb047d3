// libFuzzer target: the strict ASCII armor reader. Whatever it accepts must re-armor to
// the same text once surrounding whitespace (the footer's final newline included, which
// age does not require) and CRLF line endings are set aside.
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
  if (begin == std::string::npos) std::abort();
  auto trimmed = [](std::string t) {
    while (!t.empty() && (t.back() == ' ' || (t.back() >= '\t' && t.back() <= '\r')))
      t.pop_back();
    return t;
  };
  if (trimmed(normal.substr(begin)) != trimmed(std::string(again.str()))) std::abort();
  return 0;
}
