#include "common/secure.h"

#include <openssl/crypto.h>

namespace varan {

void wipe(void* p, std::size_t n) noexcept {
  if (p != nullptr && n > 0) OPENSSL_cleanse(p, n);
}

}  // namespace varan
