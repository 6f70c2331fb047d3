// libFuzzer target: Bech32 decoding. Whatever decodes must re-encode to the same string
// (in the case it was written in).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "secrets/age/bech32.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string s(reinterpret_cast<const char*>(data), size);
  auto d = varan::age::bech32::decode(s);
  if (d && varan::age::bech32::encode(d->hrp, d->data) != s) std::abort();
  return 0;
}
