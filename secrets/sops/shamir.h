/// Shamir's secret sharing over GF(2^8) (reduction polynomial 0x1B), as sops uses it to
/// split the data key across key groups: a share is the y bytes followed by one x byte.
#pragma once

#include <span>
#include <vector>

#include "common/secure.h"

namespace varan::sops::shamir {

/// Splits `secret` into `parts` shares of which any `threshold` recover it (x = 1..parts).
std::vector<SecureBytes> split(std::span<const std::uint8_t> secret, int parts, int threshold);
/// Recovers the secret from at least two distinct shares. Throws on malformed input.
SecureBytes combine(const std::vector<SecureBytes>& shares);

}  // namespace varan::sops::shamir
