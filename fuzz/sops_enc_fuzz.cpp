// libFuzzer target: the ENC[AES256_GCM,...] parser and value decryption with a fixed key.
// A value that parses must keep its fields; decryption may only fail with a sops error.
#include <array>
#include <cstdlib>

#include "secrets/sops/errors.h"
#include "secrets/sops/value_cipher.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace varan::sops;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  static const std::array<std::uint8_t, 32> key = [] {
    std::array<std::uint8_t, 32> k;
    k.fill('f');
    return k;
  }();
  auto parsed = parse_enc(in);
  if (parsed && (parsed->type.empty() || !in.starts_with("ENC[AES256_GCM,data:"))) std::abort();
  try {
    decrypt_value(in, key, "bar:");
  } catch (const Error&) {
  }
  return 0;
}
