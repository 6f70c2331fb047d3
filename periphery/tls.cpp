#include "periphery/tls.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <functional>
#include <memory>

#include "common/error.h"
#include "common/io.h"
#include "common/secure.h"

namespace varan::periphery {

namespace {

template <typename T, void (*F)(T*)>
using Ptr = std::unique_ptr<T, std::integral_constant<decltype(F), F>>;

std::string pem(const std::function<int(BIO*)>& write) {
  Ptr<BIO, BIO_free_all> bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) throw Error("can't encode the TLS key or certificate");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

void ensure_self_signed(const std::string& key_file, const std::string& cert_file) {
  std::error_code ec;
  if (std::filesystem::exists(key_file, ec) && std::filesystem::exists(cert_file, ec)) return;
  Ptr<EVP_PKEY, EVP_PKEY_free> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  Ptr<X509, X509_free> cert(X509_new());
  if (!key || !cert) throw Error("can't make a TLS key");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  Ptr<X509_EXTENSION, X509_EXTENSION_free> san(X509V3_EXT_conf_nid(
      nullptr, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1"));
  if (!san || X509_add_ext(cert.get(), san.get(), -1) != 1 ||
      X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0)
    throw Error("can't sign the TLS certificate");
  SecretString key_pem(pem([&](BIO* b) {
    return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  }));
  std::string cert_pem = pem([&](BIO* b) { return PEM_write_bio_X509(b, cert.get()); });
  for (const auto& f : {key_file, cert_file})
    std::filesystem::create_directories(std::filesystem::path(f).parent_path(), ec);
  write_file_atomic(key_file, key_pem.bytes(), 0600);
  write_file_atomic(
      cert_file, {reinterpret_cast<const std::uint8_t*>(cert_pem.data()), cert_pem.size()}, 0644);
}

}  // namespace varan::periphery
