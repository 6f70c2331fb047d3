#include "komodo/log.h"

#include "komodo/time.h"

namespace varan::komodo {

namespace {

Log message_log(std::string stage, std::string message, bool success, std::int64_t start_ts) {
  Log l;
  l.stage = std::move(stage);
  (success ? l.stdout_text : l.stderr_text) = std::move(message);
  l.success = success;
  l.end_ts = now_ms();
  l.start_ts = start_ts ? start_ts : l.end_ts;
  return l;
}

}  // namespace

Log Log::simple(std::string stage, std::string message, std::int64_t start_ts) {
  return message_log(std::move(stage), std::move(message), true, start_ts);
}

Log Log::error(std::string stage, std::string message, std::int64_t start_ts) {
  return message_log(std::move(stage), std::move(message), false, start_ts);
}

nlohmann::json to_json(const Log& l) {
  return {{"stage", l.stage},        {"command", l.command}, {"stdout", l.stdout_text},
          {"stderr", l.stderr_text}, {"success", l.success}, {"start_ts", l.start_ts},
          {"end_ts", l.end_ts}};
}

Log log_from_json(const nlohmann::json& j) {
  Log l;
  if (!j.is_object()) return l;
  auto str = [&](const char* k) {
    return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
  };
  auto num = [&](const char* k) {
    return j.contains(k) && j[k].is_number_integer() ? j[k].get<std::int64_t>() : 0;
  };
  l.stage = str("stage");
  l.command = str("command");
  l.stdout_text = str("stdout");
  l.stderr_text = str("stderr");
  l.success = j.contains("success") && j["success"].is_boolean() ? j["success"].get<bool>() : true;
  l.start_ts = num("start_ts");
  l.end_ts = num("end_ts");
  return l;
}

}  // namespace varan::komodo
