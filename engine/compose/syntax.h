/// Compose's short syntax turned into its long syntax, per file and before the merge, so that
/// files merge key by key whatever form each was written in: "8080:80" ports, "./data:/d:ro"
/// volumes, lists of depends_on, networks and env_file, KEY=VALUE lists as mappings, and
/// relative paths made absolute against the file's project folder.
#pragma once

#include <string>

#include "engine/compose/yaml.h"

namespace varan::compose {

/// Rewrites the services, secrets and configs of one parsed file in place; relative paths are
/// taken in `base`, `~` is `home`. Throws Error naming the file, line, service and key.
void canonical_file(YNode& root, const std::string& base, const std::string& home);

/// A "KEY=VALUE" / "KEY" list (environment, labels, ...) as a mapping; a bare KEY maps to
/// null when `bare_is_null`, else to "". `owner` and `key` name the list in messages.
void list_to_map(YNode& n, const std::string& owner, const std::string& key, bool bare_is_null);

}  // namespace varan::compose
