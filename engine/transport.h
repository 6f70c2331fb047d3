/// HTTP to the Docker engine over libcurl: the unix socket, tcp:// and TLS (DOCKER_HOST,
/// DOCKER_TLS_VERIFY, DOCKER_CERT_PATH). Buffered requests reuse connections from a pool
/// (safe from several threads); streamed requests run on their own connection and can be
/// cancelled from another thread at once.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace varan::engine {

/// A failed request: the HTTP status (0 when there was no answer) and the engine's own message.
class Error : public varan::Error {
 public:
  Error(long status, std::string engine_message, const std::string& what)
      : varan::Error(what), status_(status), message_(std::move(engine_message)) {}
  long status() const noexcept { return status_; }
  const std::string& engine_message() const noexcept { return message_; }

 private:
  long status_;
  std::string message_;
};

/// Nothing answers at the engine's address.
class Unreachable : public Error {
 public:
  using Error::Error;
};

/// Where the engine is.
struct Endpoint {
  std::string address;      // as the user wrote it: unix:///var/run/docker.sock, tcp://host:2376
  std::string socket_path;  // unix sockets
  std::string base_url;     // http://localhost or http(s)://host:port
  bool tls = false, verify = true;
  std::string ca_file, cert_file, key_file;
};

/// DOCKER_HOST (default unix:///var/run/docker.sock), with DOCKER_TLS_VERIFY and
/// DOCKER_CERT_PATH for tcp:// hosts. Throws varan::Error for an address it can't use.
Endpoint endpoint_from_environment();
Endpoint parse_endpoint(std::string_view docker_host, bool tls_verify,
                        const std::string& cert_path);

/// Stops a streamed request from another thread, immediately.
class Cancel {
 public:
  void cancel();
  bool cancelled() const { return flag_.load(); }

 private:
  friend class Transport;
  void attach(void* multi);
  void detach(void* multi);
  std::atomic<bool> flag_{false};
  std::mutex m_;
  std::set<void*> multis_;
};

struct Request {
  std::string method = "GET";
  std::string target;  // path and query, already versioned
  std::string body;
  std::string content_type;          // for the body
  std::vector<std::string> headers;  // "Name: value"
  long timeout_ms = 60'000;          // whole request; 0: none (streams)
};

struct Response {
  long status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

class Transport {
 public:
  explicit Transport(Endpoint endpoint);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  const Endpoint& endpoint() const { return endpoint_; }

  /// Sends and reads the whole answer. Throws Unreachable / Error for transport failures
  /// (not for HTTP error statuses: the caller reads them).
  Response send(const Request& req);

  /// Sends and hands the body to `on_data` as it arrives (return false to stop). The
  /// status and headers are in the result; when the status is an error the body is in it
  /// instead. Returns when the engine closes the stream, on_data stops it, or `cancel`.
  Response stream(const Request& req, const std::function<bool(std::string_view)>& on_data,
                  Cancel* cancel);

 private:
  void* acquire();
  void release(void* easy);
  void configure(void* easy, const Request& req, Response& res, void* header_list) const;

  Endpoint endpoint_;
  std::mutex pool_m_;
  std::vector<void*> pool_;
};

}  // namespace varan::engine
