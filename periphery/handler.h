/// What every request handler of the agent gets and shares: the request (its type, its
/// params and a typed reader of them in serde's words), the agent (config, engine, stats),
/// the 4xx a handler refuses with, and the small pieces several handlers use. Each
/// `*_handlers.cpp` file serves one subject and lists its routes; `api.cpp` dispatches.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/path.h"
#include "common/secure.h"
#include "engine/client.h"
#include "hooks/interpolate.h"
#include "komodo/fields.h"
#include "komodo/request.h"
#include "komodo/stack.h"
#include "periphery/config.h"

namespace varan::periphery {

using Json = nlohmann::json;

/// A request the agent can't read: the status and the message axum's JSON extractor gives.
using Rejection = komodo::Rejection;

/// The most of a file the agent reads back into an answer.
inline constexpr std::size_t kMaxFileRead = std::size_t(16) << 20;

struct Request {
  const std::string& type;
  const Json& params;
  komodo::Fields p;    // komodo::params_fields(params, type): serde's 422s
  std::int64_t start;  // when it came in, in ms
};

struct Agent {
  const Config& config;
  engine::Client& client;
  std::function<Json()> stats;  // the last SystemStats reading
};

using RouteHandler = Json (*)(Agent&, const Request&);
struct Route {
  const char* type;
  RouteHandler handler;
};

std::span<const Route> compose_routes();
std::span<const Route> container_routes();
std::span<const Route> system_routes();
std::span<const Route> repo_routes();

/// Paths from a request stay inside the folder they belong to: a refused one is a 400 that
/// names the field and the path.
template <typename F>
auto confined(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const PathError& e) {
    throw Rejection{400, e.what()};
  }
}

/// A Log of a stage that started at `start` and ends now.
Json log_json(const std::string& stage, const std::string& command, const std::string& out,
              const std::string& err, bool success, std::int64_t start);

/// The token for a repo: the request's `git_token`, else the agent's own git_providers account.
SecretString provider_token(const Config& cfg, const Json& params, const std::string& provider,
                            const std::string& account);

/// Core's `replacers` ([value, "[[NAME]]"] pairs): what to mask, and the name to show.
std::vector<std::pair<std::string, std::string>> replacers(const Json& params);

/// The agent's `secrets` as [[NAME]] variables (all secret).
std::map<std::string, hooks::Variable> secret_variables(const Config& cfg);

using komodo::environment_lines;

}  // namespace varan::periphery
