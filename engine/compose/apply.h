/// Runs a plan against the engine: networks and volumes first, then each service once what
/// it depends on is done and its `depends_on` condition holds (started, healthy, completed
/// successfully), independent services in parallel. A recreate creates the new container
/// while the old one runs, stops the old one, starts the new one and only then removes the
/// old one; when the new one can't start, the old one is started again, so a failed deploy
/// leaves running containers running.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/compose/create_body.h"  // create_body, container_labels
#include "engine/compose/model.h"
#include "engine/compose/plan.h"

namespace varan::engine {
class Client;
}

namespace varan::compose {

struct ApplyOptions {
  std::optional<int>
      timeout_s;      // stop timeout (-t); else the service's stop_grace_period, else 10 s
  bool wait = false;  // --wait: every container running, and healthy where it has a healthcheck
  std::optional<std::chrono::seconds> wait_timeout;
  std::function<void(const std::string&)> progress;  // one line per step, compose-like
  std::chrono::milliseconds poll{250};
};

/// What applying did: container names by what happened to them.
struct ApplyResult {
  std::vector<std::string> created, recreated, started, restarted, removed, kept;
};

ApplyResult apply_plan(engine::Client& client, const Project& project, const Plan& plan,
                       const Observed& observed, const ApplyOptions& opts);

}  // namespace varan::compose
