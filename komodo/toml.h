/// Komodo's resource TOML (`[[stack]]`, `[[variable]]`, a periphery config) as JSON, so that one
/// JSON reader serves the TOML, YAML and JSON forms. Size and nesting are bounded before parsing.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

namespace varan::komodo {

/// The most a resource file may hold.
inline constexpr std::size_t kMaxResourceFile = std::size_t(16) << 20;

/// Tables become objects, arrays arrays, dates and times their TOML text. Throws
/// komodo::Error naming `where`, the line and the column.
nlohmann::json toml_to_json(const std::string& text, const std::string& where);

}  // namespace varan::komodo
