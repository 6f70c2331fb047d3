#include "periphery/server.h"

#include <algorithm>
#include <cctype>

namespace varan::periphery {

namespace {

// Skips one JSON string starting at s[i] == '"'; returns the index after it.
std::size_t skip_string(std::string_view s, std::size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\')
      ++i;
    else if (s[i] == '"')
      return i + 1;
  }
  return s.size();
}

}  // namespace

std::string request_type(std::string_view s) {
  // A linear scan of the top-level object: nested values are skipped by counting brackets
  // (outside strings), so no depth can hurt.
  auto ws = [&](std::size_t i) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
      ++i;
    return i;
  };
  std::size_t i = ws(0);
  if (i >= s.size() || s[i] != '{') return "-";
  for (i = ws(i + 1); i < s.size() && s[i] == '"';) {
    std::size_t key_end = skip_string(s, i);
    bool is_type = s.substr(i, key_end - i) == "\"type\"";
    i = ws(key_end);
    if (i >= s.size() || s[i] != ':') return "-";
    i = ws(i + 1);
    if (is_type) {
      if (i >= s.size() || s[i] != '"') return "-";
      std::size_t end = skip_string(s, i);
      auto name = s.substr(i + 1, end - i - 2);
      bool plain =
          !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char ch) {
            return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
          });
      return plain ? std::string(name) : "-";
    }
    for (long depth = 0; i < s.size(); ++i) {  // skip the value, up to its ','
      char ch = s[i];
      if (ch == '"') {
        i = skip_string(s, i) - 1;
      } else if (ch == '{' || ch == '[') {
        ++depth;
      } else if (ch == '}' || ch == ']') {
        if (depth-- == 0) return "-";  // the object ended without a type
      } else if (ch == ',' && depth == 0) {
        break;
      }
    }
    if (i >= s.size()) return "-";
    i = ws(i + 1);  // past the ','
  }
  return "-";
}

net::ServerOptions server_options(const Config& config, const Limits& limits) {
  if (config.passkeys.empty() && !config.insecure_no_auth)
    throw ConfigError(
        "periphery config: passkeys: none are set, so anyone who reaches the port could run "
        "commands on this host; set passkeys (or PERIPHERY_PASSKEYS / PERIPHERY_PASSKEYS_FILE), "
        "or start with --insecure-no-auth (insecure_no_auth = true) to accept requests without "
        "a passkey");
  net::ServerOptions o;
  o.bind_ip = config.bind_ip;
  o.port = config.port;
  o.tls = config.ssl_enabled;
  o.tls_key_file = config.ssl_key_file;
  o.tls_cert_file = config.ssl_cert_file;
  o.passkeys = config.passkeys;
  o.allowed_ips = config.allowed_ips;
  o.insecure_no_auth = config.insecure_no_auth;
  o.limits = limits;
  // Komodo's Periphery API is one endpoint; anything else is refused on its headers.
  o.authorize = [](const net::Request& r) -> std::optional<net::Reply> {
    if (r.target != "/") return net::Reply{404, ""};
    if (r.method != "POST") return net::Reply{405, ""};
    return std::nullopt;
  };
  o.refusal = [](int status, const std::string& message) {
    return net::Reply{status, serror(message)};
  };
  o.log_name = [](const net::Request& r) { return request_type(r.body); };
  o.name = "periphery";
  o.who = "the agent";
  o.server_header = "varan-periphery";
  o.log_requests = config.logging_level != "warn" && config.logging_level != "error";
  return o;
}

Server::Server(const Config& config, const Limits& limits) try
    : server_(server_options(config, limits)) {
} catch (const net::OptionsError& e) {
  throw ConfigError(std::string("periphery config: ") + e.what());
}

void Server::run(const Handler& handler) {
  server_.run([&handler](const net::Request& r) {
    Reply reply = handler(r.body, r.header("content-type"));
    return net::Reply{reply.status, std::move(reply.body)};
  });
}

}  // namespace varan::periphery
