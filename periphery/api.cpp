#include "periphery/api.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>

#include "common/nesting.h"
#include "komodo/request.h"
#include "komodo/serror.h"
#include "komodo/time.h"
#include "periphery/handler.h"
#include "periphery/system_stats.h"

namespace varan::periphery {

namespace {

constexpr std::size_t kMaxBody = std::size_t(32) << 20;  // the server's own body limit

// Request type -> handler, from each subject's routes.
const std::map<std::string, RouteHandler, std::less<>>& table() {
  static const auto routes = [] {
    std::map<std::string, RouteHandler, std::less<>> t;
    for (auto list : {compose_routes(), container_routes(), system_routes(), repo_routes()})
      for (const auto& r : list)
        t.emplace(r.type, r.handler);
    return t;
  }();
  return routes;
}

// Secret values from the agent's `secrets` never leave it: every string of every answer is
// passed through the redactor.
void mask(Json& j, const hooks::Redactor& redact) {
  if (j.is_string()) {
    j = redact(j.get<std::string>());
  } else if (j.is_structured()) {
    for (auto& v : j)
      mask(v, redact);
  }
}

}  // namespace

Api::Api(const Config& config, engine::Client& client) : config_(config), client_(client) {
  for (const auto& [k, v] : config.secrets)
    secrets_.add(v, k);
  poll_ms_ = std::max(polling_ms(config.stats_polling_rate), 1000L);
  stats_ = system_stats(config_, cpu_last_);
  poller_ = std::thread([this] { poll(); });
}

Api::~Api() {
  {
    std::lock_guard lock(stats_mu_);
    stop_ = true;
  }
  stats_cv_.notify_all();
  poller_.join();
}

// Stats are read from /proc on a timer of `stats_polling_rate`, as Komodo's periphery does;
// GetSystemStats answers from the last reading (CPU % is the use over the last period).
void Api::poll() {
  std::unique_lock lock(stats_mu_);
  while (!stop_) {
    if (stats_cv_.wait_for(lock, std::chrono::milliseconds(poll_ms_), [&] { return stop_; })) break;
    lock.unlock();
    Json fresh = system_stats(config_, cpu_last_);
    lock.lock();
    stats_ = std::move(fresh);
  }
}

Json Api::cached_stats() {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

Reply Api::handle(const std::string& body, const std::string& content_type) {
  try {
    komodo::Request req = komodo::parse_request(body, content_type, {kMaxBody, kMaxJsonDepth});
    const std::string& type = req.type;
    const Json& params = req.params;
    auto it = table().find(type);
    if (it == table().end())
      throw Rejection{422,
                      "Failed to deserialize the JSON body into the target type: unknown "
                      "variant `" +
                          type + "`"};
    Agent agent{config_, client_, [this] { return cached_stats(); }};
    Json out = it->second(
        agent, Request{type, params, komodo::params_fields(params, type), komodo::now_ms()});
    if (!secrets_.empty()) mask(out, secrets_);
    return {200, out.dump()};
  } catch (const Rejection& r) {
    return {r.status, komodo::serror(r.message)};
  } catch (const std::exception& e) {
    return {500, komodo::serror(e.what())};
  }
}

}  // namespace varan::periphery
