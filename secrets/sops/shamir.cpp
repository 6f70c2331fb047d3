#include "secrets/sops/shamir.h"

#include <set>

#include "secrets/primitives.h"
#include "secrets/sops/errors.h"
#include "secrets/sops/tree.h"

namespace varan::sops::shamir {

namespace {

// Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1, without branches on the data.
std::uint8_t mul(std::uint8_t a, std::uint8_t b) {
  std::uint8_t acc = 0;
  for (int i = 7; i >= 0; --i) {
    std::uint8_t bit = static_cast<std::uint8_t>(-((b >> i) & 1));
    std::uint8_t carry = static_cast<std::uint8_t>(-(acc >> 7));
    acc = static_cast<std::uint8_t>((bit & a) ^
                                    ((carry & 0x1B) ^ static_cast<std::uint8_t>(acc << 1)));
  }
  return acc;
}

// a^254 = a^-1 for a != 0.
std::uint8_t inv(std::uint8_t a) {
  std::uint8_t r = 1;
  for (int e = 254, base = a; e > 0;
       e >>= 1, base = mul(static_cast<std::uint8_t>(base), static_cast<std::uint8_t>(base)))
    if (e & 1) r = mul(r, static_cast<std::uint8_t>(base));
  return r;
}

[[noreturn]] void fail(const std::string& why) {
  throw Error(codes::kCouldNotRetrieveKey, "Shamir: " + why);
}

}  // namespace

std::vector<SecureBytes> split(std::span<const std::uint8_t> secret, int parts, int threshold) {
  if (parts < threshold) fail("parts cannot be less than threshold");
  if (parts > 255) fail("parts cannot exceed 255");
  if (threshold < 2) fail("threshold must be at least 2");
  if (secret.empty()) fail("cannot split an empty secret");
  std::vector<SecureBytes> out(static_cast<std::size_t>(parts), SecureBytes(secret.size() + 1));
  for (int p = 0; p < parts; ++p)
    out[p].back() = static_cast<std::uint8_t>(p + 1);
  SecureBytes coeff(static_cast<std::size_t>(threshold));
  for (std::size_t idx = 0; idx < secret.size(); ++idx) {
    coeff[0] = secret[idx];
    crypto::random_bytes(std::span(coeff).subspan(1));
    for (int p = 0; p < parts; ++p) {
      auto x = static_cast<std::uint8_t>(p + 1);
      std::uint8_t y = coeff.back();  // Horner's rule
      for (int c = threshold - 2; c >= 0; --c)
        y = static_cast<std::uint8_t>(mul(y, x) ^ coeff[c]);
      out[p][idx] = y;
    }
  }
  return out;
}

SecureBytes combine(const std::vector<SecureBytes>& shares) {
  if (shares.size() < 2) fail("less than two parts cannot be used to reconstruct the secret");
  std::size_t len = shares[0].size();
  if (len < 2) fail("parts must be at least two bytes");
  std::set<std::uint8_t> xs;
  for (const auto& s : shares) {
    if (s.size() != len) fail("all parts must be the same length");
    if (!xs.insert(s.back()).second) fail("duplicate part detected");
  }
  SecureBytes secret(len - 1);
  for (std::size_t idx = 0; idx + 1 < len; ++idx) {
    // Lagrange interpolation at x = 0.
    std::uint8_t result = 0;
    for (std::size_t i = 0; i < shares.size(); ++i) {
      std::uint8_t basis = 1;
      for (std::size_t j = 0; j < shares.size(); ++j) {
        if (i == j) continue;
        std::uint8_t num = shares[j].back();
        std::uint8_t den = static_cast<std::uint8_t>(shares[i].back() ^ shares[j].back());
        basis = mul(basis, mul(num, inv(den)));
      }
      result ^= mul(shares[i][idx], basis);
    }
    secret[idx] = result;
  }
  return secret;
}

}  // namespace varan::sops::shamir
