/// Bech32 (BIP 173, not Bech32m) as age uses it for keys: no length limit, mixed case
/// rejected, uppercase output when the human-readable part is uppercase.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/secure.h"

namespace varan::age::bech32 {

struct Decoded {
  std::string hrp;  // as written (upper or lower case)
  SecureBytes data;
};

/// Encodes `data` under `hrp`; the result is uppercase if `hrp` is uppercase.
std::string encode(std::string_view hrp, std::span<const std::uint8_t> data);
/// Decodes `s`; on failure returns nullopt and sets `why` to a short reason.
std::optional<Decoded> decode(std::string_view s, std::string* why = nullptr);

}  // namespace varan::age::bech32
