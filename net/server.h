/// An HTTP(S) server on Boost.Beast: one Asio I/O thread, handlers on threads of their own,
/// keep-alive, and WebSocket upgrades on chosen paths. A connection's IP is checked when it
/// is accepted and the caller's credentials on the request's headers, before a byte of the
/// body is read; every phase has a deadline of its own (TLS handshake and headers, body,
/// answer), and connections are capped: a new one closes the oldest not yet authenticated
/// when that pool is full, so a flood of idle or slow clients cannot lock out a real one.
/// The server knows no payload format: refusals get their bodies from the caller.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "net/websocket.h"

namespace varan::net {

/// Options the server cannot work with (no credentials and no opt-out, a bad bind address).
class OptionsError : public Error {
 public:
  using Error::Error;
};

struct Request {
  std::string method;                                        // "POST"
  std::string target;                                        // "/", with the query
  std::vector<std::pair<std::string, std::string>> headers;  // as received
  std::string body;    // empty while only the headers are judged
  std::string remote;  // the client's IP

  /// The first header called `name` (any case); "" when absent.
  std::string header(std::string_view name) const;
};

struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";  // sent when the body is not empty
};

/// Called with each authorised request and its whole body, on a thread of its own.
using Handler = std::function<Reply(const Request&)>;

/// The server's limits.
struct Limits {
  std::size_t body_bytes = 32u << 20;
  std::size_t header_bytes = 8u << 10;
  std::chrono::milliseconds headers{10'000};  // from accept: TLS handshake and all headers
  std::chrono::milliseconds idle{30'000};     // keep-alive: the next request's headers
  std::chrono::milliseconds body{120'000};    // the whole body, once the headers passed
  std::chrono::milliseconds answer{60'000};   // writing the answer
  int pending = 256;     // connections not yet authenticated; a new one closes the oldest
  int busy = 128;        // authenticated requests in flight; more are answered 503
  int websockets = 128;  // open WebSocket connections; more upgrades are answered 503
};

struct ServerOptions {
  std::string bind_ip = "::";  // brackets allowed: "[::]"
  int port = 0;                // 0: any free port
  bool tls = false;
  std::string tls_key_file, tls_cert_file;  // made self-signed when missing
  /// Any one of them in the `Authorization` header, compared in constant time.
  std::vector<std::string> passkeys;
  std::vector<std::string> allowed_ips;  // addresses and CIDRs; empty: all
  /// Without passkeys and without an `authorize` hook the server refuses to start, unless
  /// this says that anyone who reaches the port may be served.
  bool insecure_no_auth = false;
  Limits limits;

  /// Judges a request on its headers (the body is still unread), after the IP and passkey
  /// checks: a Reply refuses it (401 for bad credentials, 404 for an unknown path...).
  std::function<std::optional<Reply>(const Request&)> authorize;
  /// The body of a refusal the server makes itself (401, 413, 431, 500, 503) from its
  /// message; by default the message as text/plain.
  std::function<Reply(int status, const std::string& message)> refusal;
  /// The name of a served request for the log line (called with the body); by default the
  /// target. Never log parameters: they may carry secrets.
  std::function<std::string(const Request&)> log_name;

  /// Upgrades to WebSocket on these paths (GET with `Upgrade: websocket`), after the same
  /// IP, passkey and `authorize` checks as any request.
  std::map<std::string, WsCallbacks> websockets;
  WsOptions websocket_options;

  std::string name = "net";        // prefixes the log lines: "<name>: request ..."
  std::string who = "the server";  // in messages: "<who> is already serving 128 requests"
  std::string server_header = "varan";
  bool log_requests = true;  // one line per request on stderr; warnings are always logged
};

class Server {
 public:
  /// Binds bind_ip:port and loads or makes the TLS pair. Refuses (OptionsError) options
  /// without credentials unless insecure_no_auth says so. The caps are lowered to fit the
  /// RLIMIT_NOFILE the process has.
  explicit Server(const ServerOptions& options);
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

}  // namespace varan::net
