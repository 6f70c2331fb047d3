/// The parts of an http(s):// or ws(s):// URL the clients need to connect and ask.
#pragma once

#include <string>

namespace varan::net {

struct Url {
  bool tls = false;    // https or wss
  std::string host;    // a name or an address, without IPv6 brackets
  std::string port;    // explicit, or the scheme's default
  std::string target;  // path and query, "/" when absent
};

/// Parses `url` with one of the schemes "http", "https", "ws", "wss". Throws varan::Error
/// naming the URL when it is not one (no user info, no fragment kept).
Url parse_url(const std::string& url);

}  // namespace varan::net
