#include "net/tls.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>
#include <filesystem>
#include <functional>

#include "common/error.h"
#include "common/io.h"
#include "common/secure.h"

namespace varan::net {

namespace ssl = boost::asio::ssl;

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

constexpr auto kModern = ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1;

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

std::unique_ptr<ssl::context> server_context(const std::string& key_file,
                                             const std::string& cert_file) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  ctx->set_options(kModern);
  // Idle connections don't keep 34 KiB of TLS buffers each.
  SSL_CTX_set_mode(ctx->native_handle(), SSL_MODE_RELEASE_BUFFERS);
  try {
    ctx->use_certificate_chain_file(cert_file);
    ctx->use_private_key_file(key_file, ssl::context::pem);
  } catch (const boost::system::system_error& e) {
    throw Error("can't load the TLS key " + key_file + " or certificate " + cert_file + ": " +
                e.what());
  }
  return ctx;
}

std::unique_ptr<ssl::context> client_context(const ClientTls& tls) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  ctx->set_options(kModern);
  if (!tls.verify) {
    ctx->set_verify_mode(ssl::verify_none);
    return ctx;
  }
  ctx->set_verify_mode(ssl::verify_peer);
  ctx->set_default_verify_paths();
  if (!tls.ca_file.empty()) {
    try {
      ctx->load_verify_file(tls.ca_file);
    } catch (const boost::system::system_error& e) {
      throw Error("can't load the TLS certificates " + tls.ca_file + ": " + e.what());
    }
  }
  return ctx;
}

bool verify_peer_name(SSL* ssl, const std::string& host, bool verify) {
  boost::system::error_code ec;
  auto ip = boost::asio::ip::make_address(host, ec);
  // SNI is for names only (RFC 6066); an address is matched against the IP SANs.
  if (ec && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) return false;
  if (!verify) return true;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (!ec) return X509_VERIFY_PARAM_set1_ip_asc(param, ip.to_string().c_str()) == 1;
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) == 1;
}

}  // namespace varan::net
