/// The `varan compose` verbs as library calls (the CLI and the deploy pipeline both use
/// them): up, down, ps, logs, pull, start, stop, restart. Progress goes to a callback, one
/// line at a time; errors are thrown as compose::Error naming the service.
#pragma once

#include <functional>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "engine/compose/apply.h"
#include "engine/compose/model.h"
#include "engine/compose/plan.h"

namespace varan::engine {
class Client;
}

namespace varan::compose {

using Progress = std::function<void(const std::string&)>;

struct UpOptions {
  PlanOptions plan;
  ApplyOptions apply;
  bool dry_run = false;
  /// What the caller observed already (a deploy plans before it decides to go on): up then
  /// asks the engine nothing more before planning. Image IDs must be current.
  const Observed* observed = nullptr;
  /// The X-Registry-Auth value for pulling an image ("" for none): a deploy's registry
  /// account, so that up's own pulls (missing images, pull_policy: always) use it too.
  std::function<std::string(const std::string& image)> registry_auth;
  /// Images the caller pulled in this run: not pulled again.
  std::set<std::string> pulled;
};

struct UpResult {
  Plan plan;
  ApplyResult applied;
};

/// `up -d`: pulls what the pull policy asks for (failing before anything changes when an
/// image can't be had), plans, and applies the plan.
UpResult up(engine::Client& client, const Project& project, const UpOptions& opts);

struct DownOptions {
  bool volumes = false;         // -v: named volumes of the project and anonymous ones
  bool remove_orphans = false;  // containers of services the files don't have
  std::optional<int> timeout_s;
  Progress progress;
};
void down(engine::Client& client, const Project& project, const DownOptions& opts);

/// The project's containers (running ones unless `all`), of `services` or all.
std::vector<engine::ContainerSummary> ps(engine::Client& client, const Project& project, bool all,
                                         const std::vector<std::string>& services = {});

struct LogsOptions {
  std::vector<std::string> services;
  bool follow = false, timestamps = false, color = false, prefix = true;
  std::string tail = "all";
};
/// Prints each container's output as compose does: "name  | line", in colour on a terminal.
void logs(engine::Client& client, const Project& project, const LogsOptions& opts,
          std::ostream& out);

void pull(engine::Client& client, const Project& project, const std::vector<std::string>& services,
          const Progress& progress);

enum class Lifecycle { kStart, kStop, kRestart };
/// start / stop / restart the existing containers of `services` (all when empty), in
/// dependency order (stop in reverse).
void lifecycle(engine::Client& client, const Project& project, Lifecycle what,
               const std::vector<std::string>& services, std::optional<int> timeout_s,
               const Progress& progress);

/// `ps --format json` fields for one container, like docker compose.
Json ps_json(const engine::ContainerSummary& c);

}  // namespace varan::compose
