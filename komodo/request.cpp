#include "komodo/request.h"

#include <algorithm>
#include <cctype>

#include "common/nesting.h"

namespace varan::komodo {

namespace {

constexpr const char* kDeserialize = "Failed to deserialize the JSON body into the target type: ";

nlohmann::json parse_body(const std::string& body, std::string_view content_type,
                          const RequestLimits& limits) {
  if (!content_type.starts_with("application/json"))
    throw Rejection{415, "Expected request with `Content-Type: application/json`"};
  if (body.size() > limits.body_bytes)
    throw Rejection{413, "The request body is " + std::to_string(body.size()) +
                             " bytes, more than the " + std::to_string(limits.body_bytes) + " " +
                             limits.who + " reads"};
  // Depth before parsing: the parser is iterative, the tree's destructor and dump() are not.
  if (json_depth(body) > limits.depth)
    throw Rejection{400, "Failed to parse the request body as JSON: nested deeper than " +
                             std::to_string(limits.depth) + " levels, the most " + limits.who +
                             " reads"};
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) throw Rejection{400, "Failed to parse the request body as JSON"};
  return j;
}

bool plain_name(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

}  // namespace

Request parse_request(const std::string& body, std::string_view content_type,
                      const RequestLimits& limits) {
  nlohmann::json j = parse_body(body, content_type, limits);
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
    throw Rejection{422, std::string(kDeserialize) + "missing field `type`"};
  Request r{j["type"].get<std::string>(), nullptr};
  if (!j.contains("params") || !j["params"].is_object())
    throw Rejection{422, kDeserialize + r.type + ": missing field `params`"};
  r.params = std::move(j["params"]);
  return r;
}

Request parse_params(const std::string& type, const std::string& body,
                     std::string_view content_type, const RequestLimits& limits) {
  nlohmann::json j = parse_body(body, content_type, limits);
  if (!j.is_object()) throw Rejection{422, kDeserialize + type + ": expected an object"};
  return {type, std::move(j)};
}

std::optional<Route> split_route(std::string_view path) {
  if (!path.starts_with("/")) return std::nullopt;
  path.remove_prefix(1);
  auto slash = path.find('/');
  Route r{std::string(path.substr(0, slash)), ""};
  if (slash != std::string_view::npos) r.type = std::string(path.substr(slash + 1));
  if (!plain_name(r.group)) return std::nullopt;
  if (slash != std::string_view::npos && !plain_name(r.type)) return std::nullopt;
  return r;
}

std::string route(std::string_view group, std::string_view type) {
  std::string out = "/" + std::string(group);
  if (!type.empty()) out += "/" + std::string(type);
  return out;
}

Fields params_fields(const nlohmann::json& params, const std::string& type) {
  return Fields(params, [type](const std::string& key, Expected e) {
    std::string what = e == Expected::kPresent ? "missing field `" + key + "`"
                       : e == Expected::kString
                           ? "invalid type for `" + key + "`, expected a string"
                           : "invalid type for `" + key + "`";
    throw Rejection{422, kDeserialize + type + ": " + what};
  });
}

}  // namespace varan::komodo
