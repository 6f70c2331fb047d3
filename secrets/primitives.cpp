#include "secrets/primitives.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <memory>
#include <string>

#include "common/error.h"

namespace varan::crypto {

namespace {

[[noreturn]] void fail(const char* what) {
  unsigned long e = ERR_get_error();
  char buf[256] = "unknown error";
  if (e != 0) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  throw Error(std::string("internal cryptography error in ") + what + ": " + buf);
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

int as_int(std::size_t n) { return static_cast<int>(n); }

}  // namespace

void init_for_cli() {
  OPENSSL_init_crypto(
      OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS | OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT,
      nullptr);
}

void random_bytes(std::span<std::uint8_t> out) {
  if (out.empty()) return;
  if (RAND_bytes(out.data(), as_int(out.size())) != 1) fail("RAND_bytes");
}

std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> data) {
  std::array<std::uint8_t, 32> out;
  if (EVP_Digest(data.data(), data.size(), out.data(), nullptr, EVP_sha256(), nullptr) != 1)
    fail("SHA-256");
  return out;
}

std::array<std::uint8_t, 64> sha512(std::span<const std::uint8_t> data) {
  std::array<std::uint8_t, 64> out;
  if (EVP_Digest(data.data(), data.size(), out.data(), nullptr, EVP_sha512(), nullptr) != 1)
    fail("SHA-512");
  return out;
}

Sha512::Sha512() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr ||
      EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha512(), nullptr) != 1)
    fail("SHA-512 init");
}

Sha512::~Sha512() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha512::update(std::span<const std::uint8_t> data) {
  if (EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size()) != 1)
    fail("SHA-512 update");
}

std::array<std::uint8_t, 64> Sha512::finish() {
  std::array<std::uint8_t, 64> out;
  if (EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out.data(), nullptr) != 1)
    fail("SHA-512 final");
  return out;
}

std::array<std::uint8_t, 32> hmac_sha256(std::span<const std::uint8_t> key,
                                         std::span<const std::uint8_t> msg) {
  std::array<std::uint8_t, 32> out;
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), as_int(key.size()), msg.data(), msg.size(), out.data(),
           &len) == nullptr)
    fail("HMAC-SHA-256");
  return out;
}

void hkdf_sha256(std::span<const std::uint8_t> ikm, std::span<const std::uint8_t> salt,
                 std::string_view info, std::span<std::uint8_t> out) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) fail("HKDF fetch");
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (ctx == nullptr) fail("HKDF context");
  char digest[] = "SHA256";
  OSSL_PARAM params[5];
  int i = 0;
  params[i++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  // OpenSSL refuses a missing key; an empty one (age's ssh-ed25519 tweak) must point somewhere.
  static std::uint8_t empty = 0;
  params[i++] = OSSL_PARAM_construct_octet_string(
      OSSL_KDF_PARAM_KEY, ikm.empty() ? &empty : const_cast<std::uint8_t*>(ikm.data()), ikm.size());
  if (!salt.empty())
    params[i++] = OSSL_PARAM_construct_octet_string(
        OSSL_KDF_PARAM_SALT, const_cast<std::uint8_t*>(salt.data()), salt.size());
  params[i++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                  const_cast<char*>(info.data()), info.size());
  params[i] = OSSL_PARAM_construct_end();
  int ok = EVP_KDF_derive(ctx, out.data(), out.size(), params);
  EVP_KDF_CTX_free(ctx);
  if (ok != 1) fail("HKDF");
}

std::optional<Key32> x25519(std::span<const std::uint8_t, 32> scalar,
                            std::span<const std::uint8_t, 32> point) {
  Pkey priv(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, scalar.data(), 32));
  Pkey pub(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, point.data(), 32));
  if (!priv || !pub) fail("X25519 key");
  PkeyCtx ctx(EVP_PKEY_CTX_new(priv.get(), nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1) fail("X25519 init");
  if (EVP_PKEY_derive_set_peer(ctx.get(), pub.get()) != 1) fail("X25519 peer");
  Key32 out;
  std::size_t len = out.size();
  if (EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1 || len != 32) {
    // OpenSSL refuses an all-zero shared secret (RFC 7748 section 6.1).
    ERR_clear_error();
    return std::nullopt;
  }
  return out;
}

Key32 x25519_base(std::span<const std::uint8_t, 32> scalar) {
  Pkey priv(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, scalar.data(), 32));
  if (!priv) fail("X25519 key");
  Key32 out;
  std::size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(priv.get(), out.data(), &len) != 1) fail("X25519 public key");
  return out;
}

void scrypt(std::span<const std::uint8_t> passphrase, std::span<const std::uint8_t> salt,
            std::uint64_t n, std::uint32_t r, std::uint32_t p, std::span<std::uint8_t> out) {
  std::uint64_t maxmem = 128ull * r * (n + p + 2) + (1u << 20);
  if (EVP_PBE_scrypt(reinterpret_cast<const char*>(passphrase.data()), passphrase.size(),
                     salt.data(), salt.size(), n, r, p, maxmem, out.data(), out.size()) != 1)
    fail("scrypt");
}

ChaChaPoly::ChaChaPoly(std::span<const std::uint8_t, 32> key) {
  CipherCtx enc(EVP_CIPHER_CTX_new()), dec(EVP_CIPHER_CTX_new());
  if (!enc || !dec) fail("ChaCha20-Poly1305 context");
  if (EVP_EncryptInit_ex(enc.get(), EVP_chacha20_poly1305(), nullptr, key.data(), nullptr) != 1 ||
      EVP_DecryptInit_ex(dec.get(), EVP_chacha20_poly1305(), nullptr, key.data(), nullptr) != 1)
    fail("ChaCha20-Poly1305 key");
  enc_ = enc.release();
  dec_ = dec.release();
}

ChaChaPoly::~ChaChaPoly() {
  EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX*>(enc_));
  EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX*>(dec_));
}

void ChaChaPoly::seal(std::span<const std::uint8_t, 12> nonce, std::span<const std::uint8_t> in,
                      std::uint8_t* out) {
  auto* ctx = static_cast<EVP_CIPHER_CTX*>(enc_);
  int len = 0, fin = 0;
  if (EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) != 1 ||
      EVP_EncryptUpdate(ctx, out, &len, in.data(), as_int(in.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx, out + len, &fin) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kTagSize, out + in.size()) != 1)
    fail("ChaCha20-Poly1305 seal");
}

bool ChaChaPoly::open(std::span<const std::uint8_t, 12> nonce, std::span<const std::uint8_t> in,
                      std::uint8_t* out) {
  if (in.size() < kTagSize) return false;
  auto* ctx = static_cast<EVP_CIPHER_CTX*>(dec_);
  std::size_t n = in.size() - kTagSize;
  int len = 0, fin = 0;
  if (EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) != 1 ||
      EVP_DecryptUpdate(ctx, out, &len, in.data(), as_int(n)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kTagSize,
                          const_cast<std::uint8_t*>(in.data() + n)) != 1)
    fail("ChaCha20-Poly1305 open");
  if (EVP_DecryptFinal_ex(ctx, out + len, &fin) != 1) {
    ERR_clear_error();
    wipe(out, n);
    return false;
  }
  return true;
}

namespace {
CipherCtx gcm_init(bool encrypt, std::span<const std::uint8_t, 32> key,
                   std::span<const std::uint8_t> iv, std::span<const std::uint8_t> aad) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) fail("AES-GCM context");
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, encrypt) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, as_int(iv.size()), nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key.data(), iv.data(), encrypt) != 1)
    fail("AES-GCM init");
  int len = 0;
  if (!aad.empty() &&
      EVP_CipherUpdate(ctx.get(), nullptr, &len, aad.data(), as_int(aad.size())) != 1)
    fail("AES-GCM additional data");
  return ctx;
}
}  // namespace

void aes256gcm_seal(std::span<const std::uint8_t, 32> key, std::span<const std::uint8_t> iv,
                    std::span<const std::uint8_t> aad, std::span<const std::uint8_t> in,
                    std::uint8_t* out, std::span<std::uint8_t, 16> tag) {
  auto ctx = gcm_init(true, key, iv, aad);
  int len = 0, fin = 0;
  if ((!in.empty() && EVP_EncryptUpdate(ctx.get(), out, &len, in.data(), as_int(in.size())) != 1) ||
      EVP_EncryptFinal_ex(ctx.get(), out + len, &fin) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, tag.data()) != 1)
    fail("AES-GCM seal");
}

bool aes256gcm_open(std::span<const std::uint8_t, 32> key, std::span<const std::uint8_t> iv,
                    std::span<const std::uint8_t> aad, std::span<const std::uint8_t> in,
                    std::span<const std::uint8_t> tag, std::uint8_t* out) {
  if (tag.size() != 16 || iv.empty()) return false;
  auto ctx = gcm_init(false, key, iv, aad);
  int len = 0, fin = 0;
  if ((!in.empty() && EVP_DecryptUpdate(ctx.get(), out, &len, in.data(), as_int(in.size())) != 1) ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16,
                          const_cast<std::uint8_t*>(tag.data())) != 1)
    fail("AES-GCM open");
  if (EVP_DecryptFinal_ex(ctx.get(), out + len, &fin) != 1) {
    ERR_clear_error();
    wipe(out, in.size());
    return false;
  }
  return true;
}

bool equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace varan::crypto
