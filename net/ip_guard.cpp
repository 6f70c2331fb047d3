#include "net/ip_guard.h"

#include <boost/asio/ip/address.hpp>

namespace varan::net {

namespace ip = boost::asio::ip;

namespace {

// Everything in IPv6 space: an IPv4 address (or network) is its IPv4-mapped form.
ip::address_v6::bytes_type v6_bytes(const ip::address& a) {
  if (a.is_v4()) return ip::make_address_v6(ip::v4_mapped, a.to_v4()).to_bytes();
  return a.to_v6().to_bytes();
}

}  // namespace

bool ip_allowed(const std::string& text, const std::vector<std::string>& cidrs) {
  if (cidrs.empty()) return true;
  boost::system::error_code ec;
  auto addr = ip::make_address(text, ec);
  if (ec) return false;
  auto x = v6_bytes(addr);
  for (const auto& c : cidrs) {
    auto slash = c.find('/');
    auto net = ip::make_address(c.substr(0, slash), ec);
    if (ec) continue;  // configs refuse such entries; a direct caller gets no match
    int bits = 128;
    if (slash != std::string::npos) {
      const std::string digits = c.substr(slash + 1);
      if (digits.empty() || digits.size() > 3 ||
          digits.find_first_not_of("0123456789") != std::string::npos)
        continue;
      bits = std::stoi(digits) + (net.is_v4() ? 96 : 0);
      if (bits > 128) continue;
    }
    auto y = v6_bytes(net);
    bool match = true;
    for (int i = 0; i < bits && match; ++i)
      match = ((x[i / 8] ^ y[i / 8]) & (0x80 >> (i % 8))) == 0;
    if (match) return true;
  }
  return false;
}

std::string plain_ip(const std::string& text) {
  boost::system::error_code ec;
  auto a = ip::make_address(text, ec);
  if (ec) return text;
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return ip::make_address_v4(ip::v4_mapped, a.to_v6()).to_string();
  return a.to_string();
}

}  // namespace varan::net
