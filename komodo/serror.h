/// Komodo's error body, Serror: {"error": "<top message>", "trace": ["<cause>", ...]}. Every
/// non-200 answer of Periphery and Core carries one; Komodo's clients parse it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace varan::komodo {

struct Serror {
  std::string error;
  std::vector<std::string> trace;
};

nlohmann::json to_json(const Serror& e);
/// The body text of an Serror.
std::string serror(const std::string& error, const std::vector<std::string>& trace = {});
/// Reads an Serror body; a body that is not one becomes its own `error` text.
Serror serror_from_body(const std::string& body);

}  // namespace varan::komodo
