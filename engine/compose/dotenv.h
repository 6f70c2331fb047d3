/// Compose's `.env` syntax, used for the project `.env`, `--env-file` and services' `env_file`:
/// `KEY=value` and `KEY: value` lines, an optional `export ` prefix, `#` comments (after a space
/// on unquoted lines), single quotes literal, double quotes with escapes (`\n`, `\t`, `\"`, ...),
/// multi-line quoted values, `${...}` expansion in unquoted and double-quoted values, and a
/// bare `KEY` that takes its value from the environment.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/compose/interpolate.h"

namespace varan::compose {

using EnvList = std::vector<std::pair<std::string, std::string>>;

/// Parses `text` (from `file`, for messages). Variables expand from the keys already read in
/// the same text, then `lookup`; `raw` turns expansion off (env_file `format: raw`). A bare
/// key that `lookup` doesn't know is left out. Later keys replace earlier ones in place.
/// Expanded values count against `budget` and the limits of limits.h (Error naming the file,
/// line and key).
EnvList parse_dotenv(std::string_view text, const std::string& file, const Lookup& lookup,
                     bool raw = false, Budget* budget = nullptr);

}  // namespace varan::compose
