#include "net/url.h"

#include <cctype>

#include "common/error.h"

namespace varan::net {

Url parse_url(const std::string& url) {
  auto bad = [&](const std::string& why) { return Error("URL \"" + url + "\": " + why); };
  auto colon = url.find("://");
  if (colon == std::string::npos) throw bad("expected scheme://host[:port][/path]");
  std::string scheme = url.substr(0, colon);
  for (auto& ch : scheme)
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  Url u;
  if (scheme == "https" || scheme == "wss") {
    u.tls = true;
  } else if (scheme != "http" && scheme != "ws") {
    throw bad("the scheme must be http, https, ws or wss");
  }
  std::string rest = url.substr(colon + 3);
  auto path = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, path);
  u.target = path == std::string::npos ? "/" : rest.substr(path);
  if (auto hash = u.target.find('#'); hash != std::string::npos) u.target.resize(hash);
  if (u.target.empty() || u.target.front() != '/') u.target.insert(0, "/");
  if (authority.find('@') != std::string::npos) throw bad("user info is not supported");
  std::string port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos) throw bad("an IPv6 address without its ']'");
    u.host = authority.substr(1, close - 1);
    std::string after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') throw bad("unexpected text after ']'");
    if (!after.empty()) port = after.substr(1);
  } else {
    auto c = authority.rfind(':');
    u.host = authority.substr(0, c);
    if (c != std::string::npos) port = authority.substr(c + 1);
  }
  if (u.host.empty()) throw bad("no host");
  if (port.empty()) port = u.tls ? "443" : "80";
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) == 0 || std::stoi(port) > 65535)
    throw bad("the port must be a number from 1 to 65535");
  u.port = port;
  return u;
}

}  // namespace varan::net
