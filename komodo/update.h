/// Komodo's Update: the record of one operation (a deploy, a pull, a procedure run) that every
/// execute returns at once and Core stores, with its Logs, and pushes on `/ws/update` as it
/// changes. Optional fields are left out when empty, as Komodo writes them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "komodo/log.h"

namespace varan::komodo {

/// What an operation acts on: {"type": "Stack", "id": "<id>"}. `type` is one of System, Swarm,
/// Server, Stack, Deployment, Build, Repo, Procedure, Action, Builder, Alerter, ResourceSync.
struct ResourceTarget {
  std::string type = "System";
  std::string id;
};

struct Version {
  int major = 0, minor = 0, patch = 0;
  bool empty() const { return major == 0 && minor == 0 && patch == 0; }
};

struct Update {
  std::string id;  // 24 hex digits; written as {"$oid": id}, left out when empty
  std::string operation;
  std::int64_t start_ts = 0;
  bool success = true;
  std::string operator_id;  // the user's id ("operator")
  ResourceTarget target;
  std::vector<Log> logs;
  std::optional<std::int64_t> end_ts;  // null until finalized
  std::string status = "InProgress";   // Queued, InProgress or Complete
  Version version;
  std::string commit_hash, other_data, prev_toml, current_toml;

  /// Ends the operation now: end_ts, Complete, and success when every log succeeded.
  void finalize();
};

nlohmann::json to_json(const ResourceTarget& t);
nlohmann::json to_json(const Update& u);
/// Reads an Update as Komodo writes it; `_id` may be {"$oid": ...} or a plain string.
Update update_from_json(const nlohmann::json& j);

}  // namespace varan::komodo
