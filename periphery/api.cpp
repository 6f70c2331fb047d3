#include "periphery/api.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "engine/client.h"

namespace varan::periphery {

namespace {

using Json = nlohmann::json;

// A request the agent can't read: the status and the message axum's JSON extractor gives.
struct Rejection {
  int status;
  std::string message;
};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Json log_json(const std::string& stage, const std::string& command, const std::string& out,
              const std::string& err, bool success, std::int64_t start) {
  return {{"stage", stage},     {"command", command}, {"stdout", out},     {"stderr", err},
          {"success", success}, {"start_ts", start},  {"end_ts", now_ms()}};
}

// Typed access to params with serde's rules: a missing required field is a 422.
class Params {
 public:
  Params(const Json& p, std::string type) : p_(p), type_(std::move(type)) {}
  std::string str(const char* key) const {
    if (!p_.contains(key)) fail(std::string("missing field `") + key + "`");
    if (!p_[key].is_string())
      fail(std::string("invalid type for `") + key + "`, expected a string");
    return p_[key].get<std::string>();
  }
  template <typename T>
  T opt(const char* key, T def) const {
    if (!p_.contains(key) || p_[key].is_null()) return def;
    try {
      return p_[key].get<T>();
    } catch (const Json::exception&) {
      fail(std::string("invalid type for `") + key + "`");
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Rejection{
        422, "Failed to deserialize the JSON body into the target type: " + type_ + ": " + what};
  }
  const Json& p_;
  std::string type_;
};

}  // namespace

Api::Api(const Config& config, engine::Client& client) : config_(config), client_(client) {}

Reply Api::handle(const std::string& body, const std::string& content_type) {
  try {
    if (content_type.rfind("application/json", 0) != 0)
      throw Rejection{415, "Expected request with `Content-Type: application/json`"};
    Json req = Json::parse(body, nullptr, false);
    if (req.is_discarded()) throw Rejection{400, "Failed to parse the request body as JSON"};
    if (!req.is_object() || !req.contains("type") || !req["type"].is_string())
      throw Rejection{422,
                      "Failed to deserialize the JSON body into the target type: missing "
                      "field `type`"};
    std::string type = req["type"].get<std::string>();
    if (!req.contains("params") || !req["params"].is_object())
      throw Rejection{422, "Failed to deserialize the JSON body into the target type: " + type +
                               ": missing field `params`"};
    Params p(req["params"], type);
    std::int64_t start = now_ms();
    Json out;
    if (type == "GetHealth") {
      out = Json::object();
    } else if (type == "GetVersion") {
      out = {{"version", kApiVersion}};
    } else if (type == "GetContainerLog") {
      std::string name = p.str("name");
      auto tail = p.opt<std::uint64_t>("tail", 50);
      bool timestamps = p.opt<bool>("timestamps", false);
      engine::LogOptions lo;
      lo.tail = std::to_string(tail);
      lo.timestamps = timestamps;
      std::string o, e;
      client_.logs(name, lo, [&](engine::StreamType k, std::string_view data) {
        (k == engine::StreamType::kStderr ? e : o).append(data);
      });
      out = log_json("get container log",
                     "docker logs " + name + " --tail " + std::to_string(tail) +
                         (timestamps ? " --timestamps" : ""),
                     o, e, true, start);
    } else if (type == "StartContainer" || type == "RestartContainer" || type == "StopContainer" ||
               type == "RemoveContainer") {
      std::string name = p.str("name");
      std::string verb = type == "StartContainer"     ? "start"
                         : type == "RestartContainer" ? "restart"
                         : type == "StopContainer"    ? "stop"
                                                      : "rm";
      std::string stage = "docker " + verb;
      std::string err;
      bool ok = true;
      try {
        if (type == "StartContainer") client_.start_container(name);
        if (type == "RestartContainer") client_.restart_container(name);
        if (type == "StopContainer" || type == "RemoveContainer") {
          std::optional<int> time;
          if (int t = p.opt<int>("time", -1); t >= 0) time = t;
          std::string signal = p.opt<std::string>("signal", "");
          client_.stop_container(name, time, signal);
        }
        if (type == "RemoveContainer") client_.remove_container(name);
      } catch (const std::exception& e) {
        ok = false;
        err = e.what();
      }
      out = log_json(stage, "docker " + verb + " " + name, ok ? name + "\n" : "", err, ok, start);
    } else {
      throw Rejection{422,
                      "Failed to deserialize the JSON body into the target type: unknown "
                      "variant `" +
                          type + "`"};
    }
    return {200, out.dump()};
  } catch (const Rejection& r) {
    return {r.status, serror(r.message)};
  } catch (const std::exception& e) {
    return {500, serror(e.what())};
  }
}

}  // namespace varan::periphery
