#include "secrets/age/bech32.h"

#include <array>
#include <cctype>
#include <vector>

namespace varan::age::bech32 {

namespace {

constexpr std::string_view kCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr std::array<std::uint32_t, 5> kGenerator = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
                                                     0x2a1462b3};

std::uint32_t polymod(const std::vector<std::uint8_t>& values) {
  std::uint32_t chk = 1;
  for (std::uint8_t v : values) {
    std::uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; ++i)
      if ((top >> i) & 1) chk ^= kGenerator[i];
  }
  return chk;
}

std::vector<std::uint8_t> hrp_expand(std::string_view hrp) {
  std::vector<std::uint8_t> out;
  out.reserve(hrp.size() * 2 + 1);
  for (char c : hrp)
    out.push_back(static_cast<std::uint8_t>(std::tolower(c)) >> 5);
  out.push_back(0);
  for (char c : hrp)
    out.push_back(static_cast<std::uint8_t>(std::tolower(c)) & 31);
  return out;
}

bool convert_bits(std::span<const std::uint8_t> in, int from, int to, bool pad,
                  std::vector<std::uint8_t>& out, std::string* why) {
  std::uint32_t acc = 0;
  int bits = 0;
  const std::uint32_t maxv = (1u << to) - 1;
  for (std::uint8_t v : in) {
    if ((v >> from) != 0) {
      if (why) *why = "invalid data range";
      return false;
    }
    acc = (acc << from) | v;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push_back(static_cast<std::uint8_t>((acc >> bits) & maxv));
    }
  }
  if (pad) {
    if (bits > 0) out.push_back(static_cast<std::uint8_t>((acc << (to - bits)) & maxv));
  } else if (bits >= from) {
    if (why) *why = "illegal zero padding";
    return false;
  } else if (((acc << (to - bits)) & maxv) != 0) {
    if (why) *why = "non-zero padding";
    return false;
  }
  return true;
}

bool is_lower(std::string_view s) {
  for (char c : s)
    if (std::isupper(static_cast<unsigned char>(c))) return false;
  return true;
}
bool is_upper(std::string_view s) {
  for (char c : s)
    if (std::islower(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

std::string encode(std::string_view hrp, std::span<const std::uint8_t> data) {
  std::vector<std::uint8_t> values;
  convert_bits(data, 8, 5, true, values, nullptr);
  bool upper = !is_lower(hrp);
  std::string out;
  for (char c : hrp)
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  out.push_back('1');
  for (auto v : values)
    out.push_back(kCharset[v]);
  auto check = hrp_expand(hrp);
  check.insert(check.end(), values.begin(), values.end());
  check.insert(check.end(), 6, 0);
  std::uint32_t mod = polymod(check) ^ 1;
  for (int p = 0; p < 6; ++p)
    out.push_back(kCharset[(mod >> (5 * (5 - p))) & 31]);
  if (upper)
    for (auto& c : out)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::optional<Decoded> decode(std::string_view s, std::string* why) {
  if (!is_lower(s) && !is_upper(s)) {
    if (why) *why = "mixed case";
    return std::nullopt;
  }
  auto pos = s.rfind('1');
  if (pos == std::string_view::npos || pos < 1 || pos + 7 > s.size()) {
    if (why) *why = "separator '1' at invalid position";
    return std::nullopt;
  }
  std::string_view hrp = s.substr(0, pos);
  for (char c : hrp) {
    if (c < 33 || c > 126) {
      if (why) *why = "invalid character in the human-readable part";
      return std::nullopt;
    }
  }
  std::vector<std::uint8_t> values;
  for (char c : s.substr(pos + 1)) {
    auto d = kCharset.find(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (d == std::string_view::npos) {
      if (why) *why = "invalid character in the data part";
      return std::nullopt;
    }
    values.push_back(static_cast<std::uint8_t>(d));
  }
  auto check = hrp_expand(hrp);
  check.insert(check.end(), values.begin(), values.end());
  if (polymod(check) != 1) {
    if (why) *why = "invalid checksum";
    return std::nullopt;
  }
  std::vector<std::uint8_t> data;
  if (!convert_bits(std::span(values).first(values.size() - 6), 5, 8, false, data, why))
    return std::nullopt;
  Decoded out{std::string(hrp), SecureBytes(data.begin(), data.end())};
  wipe(data.data(), data.size());
  return out;
}

}  // namespace varan::age::bech32
