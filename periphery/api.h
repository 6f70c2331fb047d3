/// Komodo's Periphery API (1.19 names and shapes): `{"type": ..., "params": {...}}` in, the
/// response type's JSON out; JSON syntax errors are 400, a wrong Content-Type 415, an
/// unknown type or a missing field 422, a failed request 500, each with a Serror body.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "periphery/config.h"
#include "periphery/server.h"

namespace varan::engine {
class Client;
}

namespace varan::periphery {

/// The Periphery API version this agent answers GetVersion with (Komodo 1.19's shapes).
inline constexpr const char* kApiVersion = "1.19.5";

class Api {
 public:
  Api(const Config& config, engine::Client& client);
  Reply handle(const std::string& body, const std::string& content_type);

 private:
  const Config& config_;
  engine::Client& client_;
  std::mutex cpu_mu_;
  std::uint64_t cpu_last_[2] = {0, 0};  // /proc/stat total and idle at the last GetSystemStats
};

}  // namespace varan::periphery
