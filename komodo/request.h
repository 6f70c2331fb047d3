/// Komodo's request envelope: `{"type": "<Name>", "params": {...}}`, as Periphery takes it on
/// `POST /` and Core on `POST /{group}` (read, write, execute, user, auth); Core also takes the
/// `/{group}/{Type}` form with the params as the whole body. A request that can't be read is
/// refused as axum's JSON extractor refuses it: 415, 413, 400 or 422, with its words.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/nesting.h"
#include "komodo/fields.h"

namespace varan::komodo {

/// A refused request: the HTTP status and the message for its Serror body.
struct Rejection {
  int status;
  std::string message;
};

struct Request {
  std::string type;
  nlohmann::json params;  // an object
};

struct RequestLimits {
  std::size_t body_bytes = std::size_t(32) << 20;
  std::size_t depth = kMaxJsonDepth;
  const char* who = "the agent";  // in the 413/400 words: "... the agent reads"
};

/// Reads the envelope from a body of the given Content-Type. Throws Rejection.
Request parse_request(const std::string& body, std::string_view content_type,
                      const RequestLimits& limits = {});

/// The `/{group}/{Type}` form: the body is the params. Throws Rejection like parse_request.
Request parse_params(const std::string& type, const std::string& body,
                     std::string_view content_type, const RequestLimits& limits = {});

struct Route {
  std::string group;  // read, write, execute, ...
  std::string type;   // empty for the `/{group}` form
};

/// "/read" -> {read, ""}, "/read/ListStacks" -> {read, ListStacks}; nullopt for anything else
/// (more segments, an empty one, a name that is not letters, digits and '_').
std::optional<Route> split_route(std::string_view path);
std::string route(std::string_view group, std::string_view type);

/// Typed access to a request's params, refusing as serde does: a missing field or a wrong type
/// is a 422 Rejection that names the request type and the field.
Fields params_fields(const nlohmann::json& params, const std::string& type);

}  // namespace varan::komodo
