/// Compose variable interpolation: `$V`, `${V}`, `${V:-d}`, `${V-d}`, `${V:?e}`, `${V?e}`,
/// `${V:+a}`, `${V+a}` (nested in defaults), and `$$` for a literal dollar. Only values are
/// interpolated, never keys, exactly as compose does.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/compose/yaml.h"

namespace varan::compose {

/// Where a variable's value comes from; nullopt when it is not set.
using Lookup = std::function<std::optional<std::string>(const std::string&)>;

/// Collects the names of variables that were unset and defaulted to "".
struct Interpolation {
  Lookup lookup;
  std::vector<std::string> unset;  // each name once, in order of first use
  bool lenient = false;            // a `$` that starts no template stays literal (.env files)
  Budget* budget = nullptr;        // the project's, when there is one (limits.h)
};

/// Interpolates one value. Throws Error naming `where` and the variable for `${X:?msg}`, for
/// a malformed template, and for a value past the limits of limits.h.
std::string interpolate(std::string_view text, Interpolation& ctx, const std::string& where);

/// Interpolates every scalar value of `node` in place (keys stay as they are).
void interpolate_tree(YNode& node, Interpolation& ctx);

}  // namespace varan::compose
