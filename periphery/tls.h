/// The agent's TLS key and certificate: a self-signed pair is made in-process with OpenSSL
/// when the files are missing (key mode 0600), as Komodo's periphery does with openssl.
#pragma once

#include <string>

namespace varan::periphery {

/// Creates `key_file` and `cert_file` (P-256 key, self-signed certificate for localhost,
/// valid ten years) unless both exist. Throws varan::Error naming the file.
void ensure_self_signed(const std::string& key_file, const std::string& cert_file);

}  // namespace varan::periphery
