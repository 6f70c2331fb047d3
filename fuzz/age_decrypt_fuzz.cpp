// libFuzzer target: a whole decryption with a fixed X25519 identity and passphrase, from
// the header through the stanzas to the STREAM payload. Only age errors may come out.
#include <cstdint>
#include <cstdlib>

#include "secrets/age/age.h"
#include "secrets/age/scrypt.h"
#include "secrets/age/x25519.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace varan;
  static const age::Identities ids = [] {
    age::Identities v;
    // The CCTV kit's identity, so its vectors make good seeds.
    v.push_back(age::X25519Identity::parse(
        "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0"));
    v.push_back(std::make_unique<age::ScryptIdentity>(SecretString("password"), 12));
    return v;
  }();
  MemorySource src(std::span<const std::uint8_t>(data, size));
  BufferedReader in(src);
  MemorySink out;
  try {
    age::decrypt_any(in, ids, out);
  } catch (const age::Error&) {
  }
  return 0;
}
