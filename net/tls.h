/// TLS for the net layer: the self-signed pair an agent makes for itself (as Komodo's
/// periphery does with openssl), the server context that serves it, and the client context
/// that verifies peers (or, for agents with self-signed pairs, is told not to).
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

namespace varan::net {

/// Creates `key_file` and `cert_file` (P-256 key, self-signed certificate for localhost,
/// 127.0.0.1 and ::1, valid ten years; key mode 0600) unless both exist. Throws varan::Error
/// naming the file.
void ensure_self_signed(const std::string& key_file, const std::string& cert_file);

/// A TLS 1.2+ server context holding the pair. Throws varan::Error naming both files.
std::unique_ptr<boost::asio::ssl::context> server_context(const std::string& key_file,
                                                          const std::string& cert_file);

struct ClientTls {
  /// Off: any certificate is accepted (Komodo Core's way with agents' self-signed pairs).
  bool verify = true;
  /// PEM certificates trusted besides the system's (e.g. one agent's self-signed cert).
  std::string ca_file;
};

/// A TLS 1.2+ client context; the peer's name is checked per connection (see
/// verify_peer_name).
std::unique_ptr<boost::asio::ssl::context> client_context(const ClientTls& tls);

/// Sets SNI (for names) and the name or IP the peer's certificate must carry on `ssl`.
/// Returns false when OpenSSL refuses the host.
bool verify_peer_name(SSL* ssl, const std::string& host, bool verify);

}  // namespace varan::net
