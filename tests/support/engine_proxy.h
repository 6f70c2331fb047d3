/// A proxy in front of the engine's unix socket that counts what passes: the connections
/// clients open and the requests they send (by request line), so that tests can prove how
/// many calls Varan makes (connections reused, one pull per image) against the real engine.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace varan::test {

class EngineProxy {
 public:
  /// Listens on `listen_path`; each connection is piped to the engine at `engine_path`.
  EngineProxy(const std::string& listen_path, const std::string& engine_path);
  ~EngineProxy();
  EngineProxy(const EngineProxy&) = delete;
  EngineProxy& operator=(const EngineProxy&) = delete;

  int connections() const { return connections_.load(); }
  /// How many requests so far had a request line starting with `method` and containing
  /// `path_part` (e.g. "POST", "/images/create").
  int requests(const std::string& method, const std::string& path_part) const;

 private:
  static void pump(int from, int to, EngineProxy* record);

  std::string engine_;
  int fd_ = -1;
  std::atomic<int> connections_{0};
  std::thread accepter_;
  std::vector<std::thread> pumps_;
  mutable std::mutex mu_;
  std::vector<std::string> request_lines_;
};

}  // namespace varan::test
