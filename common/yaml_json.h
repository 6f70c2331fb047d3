/// A YAML document as JSON, for settings files that take the same shape in TOML, YAML and
/// JSON (Komodo's periphery config, resource files). Plain scalars that read as booleans,
/// integers or floats are typed as serde_yaml types them; quoted ones stay strings; anchors,
/// aliases and `<<` merge keys are resolved. Depth and alias expansion are bounded.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace varan {

/// Throws varan::Error "<where>:<line>: why". An empty document is null.
nlohmann::json yaml_to_json(std::string_view text, const std::string& where);

}  // namespace varan
