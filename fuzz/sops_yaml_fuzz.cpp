// libFuzzer target: the SOPS yaml store (loader, writer, metadata extraction).
#include "fuzz/sops_store_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  varan::sops::fuzz::check_store(varan::sops::Format::kYaml, data, size);
  return 0;
}
