/// Who may connect: a client's IP judged against a list of addresses and CIDRs, IPv4 and
/// IPv6 alike.
#pragma once

#include <string>
#include <vector>

namespace varan::net {

/// true when `ip` (text form) is allowed by `cidrs` (empty: all allowed). IPv4 addresses and
/// CIDRs are compared as IPv4-mapped IPv6, so `::ffff:10.0.0.0/104` is `10.0.0.0/8`. An
/// entry that is not an address or CIDR matches nothing.
bool ip_allowed(const std::string& ip, const std::vector<std::string>& cidrs);

/// The text form of a peer's address, an IPv4-mapped IPv6 one written as plain IPv4 (what a
/// dual-stack socket reports for an IPv4 client), so logs and guards see one spelling.
std::string plain_ip(const std::string& ip);

}  // namespace varan::net
