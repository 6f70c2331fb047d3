/// An HTTP(S) client on Boost.Beast for the calls a Core makes to agents and alerters: one
/// request per connection, blocking, with one deadline for the whole exchange, TLS verified
/// unless told otherwise (agents serve self-signed pairs), and a cap on the answer's size.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "net/tls.h"

namespace varan::net {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // http:// or https://, host[:port], path and query
  Headers headers;  // Host, Content-Length and User-Agent are set unless given
  std::string body;
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;

  /// The first header called `name` (any case); "" when absent.
  std::string header(std::string_view name) const;
};

struct HttpOptions {
  std::chrono::milliseconds timeout{30'000};  // resolve to the last byte of the answer
  ClientTls tls;
  std::size_t body_bytes = 32u << 20;  // a longer answer is an error, not truncated
};

/// Sends `request` and reads the whole answer (any status). Throws varan::Error naming the
/// URL when it can't connect, TLS fails, the deadline passes or the answer is over the cap.
HttpResponse http_request(const HttpRequest& request, const HttpOptions& options = {});

HttpResponse http_get(const std::string& url, const Headers& headers = {},
                      const HttpOptions& options = {});
HttpResponse http_post(const std::string& url, std::string body, const Headers& headers = {},
                       const HttpOptions& options = {});

}  // namespace varan::net
