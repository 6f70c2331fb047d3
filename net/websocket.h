/// WebSocket connections on Boost.Beast, both sides: a server upgrades a request on a path
/// it was given (net/server.h), a client dials ws:// or wss://. Text and binary messages,
/// pings answered and sent to keep a quiet link alive, a cap on a message's size, and a
/// close handshake whose code and reason both sides see.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "net/tls.h"

namespace varan::net {

struct WsMessage {
  std::string data;
  bool binary = false;
};

struct WsClose {
  /// The peer's (or our own) close code: 1000 normal, 1009 a message over the cap...; 1006
  /// when the connection ended without a close frame (dropped, timed out, stopped).
  int code = 1006;
  std::string reason;
};

struct WsOptions {
  std::size_t message_bytes = 16u << 20;  // a larger message closes the link with 1009
  std::chrono::milliseconds handshake{10'000};
  /// A link silent this long is dropped; a ping goes out at half of it, so a live peer
  /// (which answers pings) keeps the link up without sending anything itself.
  std::chrono::milliseconds idle{60'000};
};

/// One open connection. send/ping/close may be called from any thread; the callbacks run on
/// the connection's I/O thread and must not block.
class WebSocket {
 public:
  virtual ~WebSocket() = default;
  /// Queued in order; dropped once the link is closing.
  virtual void send(std::string data, bool binary = false) = 0;
  virtual void ping(std::string payload = {}) = 0;
  /// Starts the close handshake; on_close follows when it is done.
  virtual void close(int code = 1000, std::string reason = {}) = 0;
  virtual const std::string& remote() const = 0;
};

struct WsCallbacks {
  std::function<void(const std::shared_ptr<WebSocket>&)> on_open;
  std::function<void(WebSocket&, WsMessage)> on_message;
  std::function<void(WebSocket&, const std::string& payload)> on_pong;
  std::function<void(WebSocket&, const WsClose&)> on_close;  // exactly once per opened link
};

struct WsClientOptions {
  WsOptions ws;
  ClientTls tls;
  std::chrono::milliseconds connect{10'000};  // resolve, connect, TLS and the upgrade
  std::vector<std::pair<std::string, std::string>> headers;  // sent with the upgrade
};

/// A client link with its own I/O thread, read by blocking calls.
class WsClient {
 public:
  /// Connects and upgrades. Throws varan::Error naming the URL (refused, TLS, timed out, the
  /// server answered the upgrade with a status).
  explicit WsClient(const std::string& url, const WsClientOptions& options = {});
  ~WsClient();  // closes (1000) if still open, waiting briefly for the handshake
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  void send(std::string data, bool binary = false);
  void ping(std::string payload = {});
  /// The next message; nullopt when `timeout` passes or the link is closed (closed() tells).
  std::optional<WsMessage> receive(std::chrono::milliseconds timeout);
  /// Sends a close and waits up to `timeout` for the peer's; true when the link is closed.
  bool close(int code = 1000, std::string reason = {},
             std::chrono::milliseconds timeout = std::chrono::milliseconds(5'000));
  bool closed() const;
  WsClose close_info() const;  // once closed()
  int pongs() const;           // pongs received so far

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace varan::net
