// libFuzzer target: the URLs the net/ clients connect to (a Core's agent addresses, alerter
// endpoints). Parsing may only fail with varan::Error; what it returns is a host without
// brackets, a port of digits and a target that starts with '/'.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/error.h"
#include "net/url.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    varan::net::Url u = varan::net::parse_url(text);
    if (u.target.empty() || u.target[0] != '/') std::abort();
    if (u.port.empty() || u.port.find_first_not_of("0123456789") != std::string::npos) std::abort();
  } catch (const varan::Error&) {
  }
  return 0;
}
