#include "common/base64.h"

#include <openssl/evp.h>

#include <cstring>

namespace varan::base64 {

namespace {
constexpr std::size_t encoded_len(std::size_t n, bool padded) {
  return padded ? (n + 2) / 3 * 4 : n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}
}  // namespace

std::string encode(std::span<const std::uint8_t> data, bool padded) {
  std::string out(encoded_len(data.size(), true) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                          static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  if (!padded) {
    while (!out.empty() && out.back() == '=')
      out.pop_back();
  }
  return out;
}

namespace {
long decode_impl(std::string_view s, bool padded, bool canonical, std::uint8_t* out);
}

long decode_into(std::string_view s, bool padded, std::uint8_t* out) {
  return decode_impl(s, padded, true, out);
}

std::optional<SecureBytes> decode_lenient(std::string_view s) {
  std::string clean;
  clean.reserve(s.size());
  for (char c : s)
    if (c != '\r' && c != '\n') clean += c;
  SecureBytes out(clean.size() / 4 * 3 + 3);
  long n = decode_impl(clean, true, false, out.data());
  wipe(clean);
  if (n < 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(n));
  return out;
}

namespace {
long decode_impl(std::string_view s, bool padded, bool canonical, std::uint8_t* out) {
  // Reject anything OpenSSL would skip or tolerate (whitespace, CR, LF, stray '=').
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/' || (padded && c == '=');
    if (!ok) return -1;
  }
  std::size_t pad = 0;
  char quad[4];
  std::string_view body = s;
  if (padded) {
    if (s.size() % 4 != 0) return -1;
    while (pad < 2 && pad < s.size() && s[s.size() - 1 - pad] == '=')
      ++pad;
    if (s.substr(0, s.size() - pad).find('=') != std::string_view::npos) return -1;
  } else {
    if (s.size() % 4 == 1) return -1;
    pad = (4 - s.size() % 4) % 4;
    body = s.substr(0, s.size() - s.size() % 4);
  }
  std::size_t whole = padded ? s.size() : body.size();
  int n = 0;
  if (whole > 0) {
    n = EVP_DecodeBlock(out, reinterpret_cast<const unsigned char*>(s.data()),
                        static_cast<int>(whole));
    if (n < 0) return -1;
  }
  if (!padded && s.size() % 4 != 0) {
    std::size_t tail = s.size() % 4;
    std::memcpy(quad, s.data() + body.size(), tail);
    for (std::size_t i = tail; i < 4; ++i)
      quad[i] = '=';
    int m = EVP_DecodeBlock(out + n, reinterpret_cast<const unsigned char*>(quad), 4);
    if (m < 0) return -1;
    n += m;
  }
  long len = static_cast<long>(n) - static_cast<long>(pad);
  if (len < 0) return -1;
  // Canonical: the unused bits of the last character must be zero, which holds exactly
  // when re-encoding gives back the same text.
  if (canonical && pad > 0) {
    std::size_t last = static_cast<std::size_t>(len) / 3 * 3;
    unsigned char re[5];
    EVP_EncodeBlock(re, out + last, static_cast<int>(static_cast<std::size_t>(len) - last));
    std::size_t qstart = last / 3 * 4;
    std::size_t qlen = 4 - (padded ? 0 : pad);
    if (std::memcmp(re, s.data() + qstart, qlen) != 0) return -1;
  }
  return len;
}
}  // namespace

std::optional<SecureBytes> decode(std::string_view s, bool padded) {
  SecureBytes out(s.size() / 4 * 3 + 3);
  long n = decode_into(s, padded, out.data());
  if (n < 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace varan::base64
