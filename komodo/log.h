/// Komodo's Log: one stage of a run (a deploy, a command, a clone), as Core stores it in an
/// Update and Periphery returns it. All seven fields are always written.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace varan::komodo {

struct Log {
  std::string stage;
  std::string command;
  std::string stdout_text;
  std::string stderr_text;
  bool success = true;
  std::int64_t start_ts = 0;  // milliseconds since the epoch
  std::int64_t end_ts = 0;

  /// A stage with a message and no command, ending now (Komodo's Log::simple / Log::error).
  static Log simple(std::string stage, std::string message, std::int64_t start_ts = 0);
  static Log error(std::string stage, std::string message, std::int64_t start_ts = 0);
};

nlohmann::json to_json(const Log& log);
/// Reads the JSON Komodo writes; missing fields take the defaults above.
Log log_from_json(const nlohmann::json& j);

}  // namespace varan::komodo
