/// The agent's HTTP(S) front: Boost.Beast over one Asio I/O thread, handlers on threads of
/// their own, keep-alive. A connection's IP is checked when it is accepted and the passkey
/// (constant time) on the request's headers, before a byte of the body is read; every phase
/// has a deadline of its own (TLS handshake and headers, body, answer), and connections are
/// capped: a new one closes the oldest not yet authenticated when that pool is full, so a
/// flood of idle or slow clients cannot lock out the Core. Then `POST /` goes to the handler.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "periphery/config.h"

namespace varan::periphery {

struct Reply {
  int status = 200;
  std::string body;  // JSON
};

/// Called with the body and Content-Type of each authorised `POST /`, on a thread of its own.
using Handler = std::function<Reply(const std::string& body, const std::string& content_type)>;

/// The server's limits; the README's "Security" section lists these values.
struct Limits {
  std::size_t body_bytes = 32u << 20;
  std::size_t header_bytes = 8u << 10;
  std::chrono::milliseconds headers{10'000};  // from accept: TLS handshake and all headers
  std::chrono::milliseconds idle{30'000};     // keep-alive: the next request's headers
  std::chrono::milliseconds body{120'000};    // the whole body, once the headers passed
  std::chrono::milliseconds answer{60'000};   // writing the answer
  int pending = 256;  // connections not yet authenticated; a new one closes the oldest
  int busy = 128;     // authenticated requests in flight; more are answered 503
};

/// The Serror body Komodo's clients parse: {"error": ..., "trace": [...]}.
std::string serror(const std::string& error, const std::vector<std::string>& trace = {});

/// true when `ip` (text form) is allowed by `cidrs` (empty: all allowed). IPv4 addresses and
/// CIDRs are compared as IPv4-mapped IPv6, so `::ffff:10.0.0.0/104` is `10.0.0.0/8`.
bool ip_allowed(const std::string& ip, const std::vector<std::string>& cidrs);

/// The top-level "type" of a `{"type": ..., "params": ...}` body for the request log, found
/// without building a tree (no recursion, any depth); "-" when absent or not a plain name.
std::string request_type(std::string_view body);

class Server {
 public:
  /// Binds bind_ip:port (port 0: any free port) and loads or makes the TLS pair. Refuses
  /// (ConfigError) a config without passkeys unless insecure_no_auth says so. The caps are
  /// lowered to fit the RLIMIT_NOFILE the process has.
  explicit Server(const Config& config, const Limits& limits = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const;
  const Limits& limits() const;
  /// Serves until stop(); blocks.
  void run(const Handler& handler);
  /// Async-signal-safe: run() returns shortly after.
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // shared with requests still running in their handler
};

}  // namespace varan::periphery
