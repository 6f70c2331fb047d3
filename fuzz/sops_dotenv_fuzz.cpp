// libFuzzer target: the SOPS dotenv store (loader, writer, metadata extraction).
#include "fuzz/sops_store_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  varan::sops::fuzz::check_store(varan::sops::Format::kDotenv, data, size);
  return 0;
}
