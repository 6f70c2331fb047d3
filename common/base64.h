/// Base64 (RFC 4648, standard alphabet) on OpenSSL's codec, with the strict, canonical
/// decoding that age and sops require: no whitespace, no newlines, no non-zero pad bits.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/secure.h"

namespace varan::base64 {

std::string encode(std::span<const std::uint8_t> data, bool padded = true);
/// Decodes `s`; nullopt unless `s` is exactly what encode(result, padded) produces.
std::optional<SecureBytes> decode(std::string_view s, bool padded = true);
/// Decodes like Go's base64.StdEncoding (not Strict): newlines are ignored and the unused
/// bits of the last character need not be zero. Padding is required.
std::optional<SecureBytes> decode_lenient(std::string_view s);
/// Decodes into `out` (which must hold s.size() / 4 * 3 + 3 bytes); returns the length
/// or -1 when `s` is not canonical. For hot loops that must not allocate.
long decode_into(std::string_view s, bool padded, std::uint8_t* out);

}  // namespace varan::base64
