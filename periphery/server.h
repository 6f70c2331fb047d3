/// The agent's HTTP(S) front: Boost.Beast over Asio, a thread per connection, keep-alive,
/// a body size limit and read/write time limits. Every request first passes the IP guard
/// (`allowed_ips`, CIDR, IPv4-mapped IPv6 seen as IPv4) and the passkey check (constant
/// time), as Komodo's periphery does; then `POST /` goes to the handler.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "periphery/config.h"

namespace varan::periphery {

struct Reply {
  int status = 200;
  std::string body;  // JSON
};

/// Called with the body and Content-Type of each authorised `POST /`.
using Handler = std::function<Reply(const std::string& body, const std::string& content_type)>;

/// The Serror body Komodo's clients parse: {"error": ..., "trace": [...]}.
std::string serror(const std::string& error, const std::vector<std::string>& trace = {});

/// true when `ip` (text form) is allowed by `cidrs` (empty: all allowed).
bool ip_allowed(const std::string& ip, const std::vector<std::string>& cidrs);

class Server {
 public:
  /// Binds bind_ip:port (port 0: any free port) and loads or makes the TLS pair.
  explicit Server(const Config& config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const;
  /// Serves until stop(); blocks.
  void run(const Handler& handler);
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace varan::periphery
