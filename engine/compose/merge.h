/// Compose's merge rules for several `-f` files and for `extends`, on canonical trees (short
/// syntax already turned into long syntax by load.cpp): mappings merge recursively, sequences
/// append; `command`, `entrypoint` and `healthcheck.test` are replaced; `ports`, `volumes`,
/// `secrets`, `configs` and `env_file` are unique by their key; lists of plain values
/// (`cap_add`, `dns`, `profiles`, ...) append without duplicates; `!reset` removes a value and
/// `!override` replaces it whole.
#pragma once

#include "engine/compose/yaml.h"

namespace varan::compose {

/// Merges a whole file `over` into `base` (both canonical top-level mappings).
void merge_files(YNode& base, const YNode& over);

/// Merges service definition `over` into `base`.
void merge_service(YNode& base, const YNode& over);

/// Removes `!reset` values left where nothing was merged over them (the first file).
void drop_resets(YNode& node);

/// drop_resets everywhere but inside the services' definitions, whose tags must reach
/// `extends` first (the loader drops them from each service once it is resolved).
void drop_resets_outside_services(YNode& root);

}  // namespace varan::compose
