/// The agent's HTTP(S) front: net::Server set up from the agent's Config, answering
/// Komodo's `POST /` only, with Serror bodies on its refusals and the request's type (never
/// its params) in the log line. See net/server.h for the deadlines and caps.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "net/ip_guard.h"
#include "net/server.h"
#include "periphery/config.h"
#include "periphery/reply.h"

namespace varan::periphery {

using net::ip_allowed;
/// The server's limits; the README's "Security" section lists these values.
using net::Limits;

/// Called with the body and Content-Type of each authorised `POST /`, on a thread of its own.
using Handler = std::function<Reply(const std::string& body, const std::string& content_type)>;

/// The top-level "type" of a `{"type": ..., "params": ...}` body for the request log, found
/// without building a tree (no recursion, any depth); "-" when absent or not a plain name.
std::string request_type(std::string_view body);

/// The net server's options for `config`. Refuses (ConfigError) a config without passkeys
/// unless insecure_no_auth says so.
net::ServerOptions server_options(const Config& config, const Limits& limits = {});

class Server {
 public:
  /// Binds bind_ip:port (port 0: any free port) and loads or makes the TLS pair; a bad
  /// bind_ip or missing passkeys are a ConfigError.
  explicit Server(const Config& config, const Limits& limits = {});

  int port() const { return server_.port(); }
  const Limits& limits() const { return server_.limits(); }
  /// Serves until stop(); blocks.
  void run(const Handler& handler);
  /// Async-signal-safe: run() returns shortly after.
  void stop() { server_.stop(); }

 private:
  net::Server server_;
};

}  // namespace varan::periphery
