/// The age header: its grammar, strict parsing, exact serialisation and the header MAC.
/// A parser never decrypts: stanzas come out as type, arguments and body bytes.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/io.h"
#include "common/secure.h"

namespace varan::age {

inline constexpr std::string_view kIntro = "age-encryption.org/v1\n";
inline constexpr std::size_t kFileKeySize = 16;

struct Stanza {
  std::string type;
  std::vector<std::string> args;
  Bytes body;
};

struct Header {
  std::vector<Stanza> stanzas;
  std::array<std::uint8_t, 32> mac{};
};

/// Reads the header from `in`, leaving `in` at the first byte after the MAC line.
/// Throws Error(kHeader) naming what is wrong.
Header parse_header(BufferedReader& in);

/// The header up to and including "---" (what the MAC covers).
std::string marshal_without_mac(const Header& h);
/// The whole header, MAC line included.
std::string marshal(const Header& h);

/// HMAC-SHA-256 under HKDF(file key, "header") over marshal_without_mac(h).
std::array<std::uint8_t, 32> header_mac(std::span<const std::uint8_t> file_key, const Header& h);

/// Unpadded, canonical base64 of stanza arguments and bodies.
std::string b64(std::span<const std::uint8_t> data);
/// Decodes an argument; nullopt unless canonical unpadded base64.
std::optional<SecureBytes> unb64(std::string_view s);

}  // namespace varan::age
