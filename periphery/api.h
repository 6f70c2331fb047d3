/// Komodo's Periphery API (1.19 names and shapes): `{"type": ..., "params": {...}}` in, the
/// response type's JSON out; JSON syntax errors are 400, a wrong Content-Type 415, an
/// unknown type or a missing field 422, a failed request 500, each with a Serror body.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "hooks/interpolate.h"
#include "periphery/config.h"
#include "periphery/reply.h"

namespace varan::engine {
class Client;
}

namespace varan::periphery {

/// The Periphery API version this agent answers GetVersion with (Komodo 1.19's shapes).
inline constexpr const char* kApiVersion = "1.19.5";

class Api {
 public:
  /// Starts the stats poller (every `stats_polling_rate`).
  Api(const Config& config, engine::Client& client);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;
  Reply handle(const std::string& body, const std::string& content_type);

 private:
  void poll();
  nlohmann::json cached_stats();

  const Config& config_;
  engine::Client& client_;
  hooks::Redactor secrets_;             // the agent's `secrets`, masked in every answer
  std::uint64_t cpu_last_[2] = {0, 0};  // /proc/stat total and idle at the last reading
  long poll_ms_ = 5000;
  std::mutex stats_mu_;
  std::condition_variable stats_cv_;
  nlohmann::json stats_;
  bool stop_ = false;
  std::thread poller_;
};

}  // namespace varan::periphery
