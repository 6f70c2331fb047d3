#include "komodo/serror.h"

namespace varan::komodo {

nlohmann::json to_json(const Serror& e) { return {{"error", e.error}, {"trace", e.trace}}; }

std::string serror(const std::string& error, const std::vector<std::string>& trace) {
  return to_json(Serror{error, trace}).dump();
}

Serror serror_from_body(const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("error") || !j["error"].is_string()) return {body, {}};
  Serror e{j["error"].get<std::string>(), {}};
  if (j.contains("trace") && j["trace"].is_array())
    for (const auto& t : j["trace"])
      if (t.is_string()) e.trace.push_back(t.get<std::string>());
  return e;
}

}  // namespace varan::komodo
