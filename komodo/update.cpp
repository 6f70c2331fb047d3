#include "komodo/update.h"

#include <algorithm>

#include "komodo/time.h"

namespace varan::komodo {

void Update::finalize() {
  end_ts = now_ms();
  status = "Complete";
  success = std::all_of(logs.begin(), logs.end(), [](const Log& l) { return l.success; });
}

nlohmann::json to_json(const ResourceTarget& t) { return {{"type", t.type}, {"id", t.id}}; }

nlohmann::json to_json(const Update& u) {
  nlohmann::json logs = nlohmann::json::array();
  for (const auto& l : u.logs)
    logs.push_back(to_json(l));
  nlohmann::json j = {{"operation", u.operation},
                      {"start_ts", u.start_ts},
                      {"success", u.success},
                      {"operator", u.operator_id},
                      {"target", to_json(u.target)},
                      {"logs", logs},
                      {"end_ts", u.end_ts ? nlohmann::json(*u.end_ts) : nlohmann::json()},
                      {"status", u.status}};
  if (!u.id.empty()) j["_id"] = {{"$oid", u.id}};
  if (!u.version.empty())
    j["version"] = {
        {"major", u.version.major}, {"minor", u.version.minor}, {"patch", u.version.patch}};
  auto optional = [&](const char* key, const std::string& v) {
    if (!v.empty()) j[key] = v;
  };
  optional("commit_hash", u.commit_hash);
  optional("other_data", u.other_data);
  optional("prev_toml", u.prev_toml);
  optional("current_toml", u.current_toml);
  return j;
}

Update update_from_json(const nlohmann::json& j) {
  Update u;
  if (!j.is_object()) return u;
  auto str = [&](const char* k) {
    return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
  };
  if (j.contains("_id")) {
    const auto& id = j["_id"];
    if (id.is_string()) u.id = id.get<std::string>();
    if (id.is_object() && id.contains("$oid") && id["$oid"].is_string())
      u.id = id["$oid"].get<std::string>();
  }
  u.operation = str("operation");
  if (j.contains("start_ts") && j["start_ts"].is_number_integer())
    u.start_ts = j["start_ts"].get<std::int64_t>();
  if (j.contains("success") && j["success"].is_boolean()) u.success = j["success"].get<bool>();
  u.operator_id = str("operator");
  if (j.contains("target") && j["target"].is_object()) {
    u.target.type = j["target"].value("type", "System");
    u.target.id = j["target"].value("id", "");
  }
  if (j.contains("logs") && j["logs"].is_array())
    for (const auto& l : j["logs"])
      u.logs.push_back(log_from_json(l));
  if (j.contains("end_ts") && j["end_ts"].is_number_integer())
    u.end_ts = j["end_ts"].get<std::int64_t>();
  if (std::string s = str("status"); !s.empty()) u.status = s;
  if (j.contains("version") && j["version"].is_object()) {
    u.version.major = j["version"].value("major", 0);
    u.version.minor = j["version"].value("minor", 0);
    u.version.patch = j["version"].value("patch", 0);
  }
  u.commit_hash = str("commit_hash");
  u.other_data = str("other_data");
  u.prev_toml = str("prev_toml");
  u.current_toml = str("current_toml");
  return u;
}

}  // namespace varan::komodo
