/// What the compose loader's passes (syntax, typing, the project environment, the loader)
/// share: messages that point at a node, paths taken relative to the project, and lists given
/// as one string.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/compose/yaml.h"

namespace varan::compose {

/// Bind propagation modes, accepted in short and in long volume syntax alike.
inline const std::set<std::string, std::less<>> kPropagation = {"rprivate", "private", "rshared",
                                                                "shared",   "rslave",  "slave"};

/// Throws Error "<file>:<line>: `what`" (without the location when `n` has none).
[[noreturn]] void fail_at(const YNode& n, const std::string& what);

/// "service "`service`": `key`", the way messages name a service's key.
std::string svc_key(const std::string& service, const std::string& key);

/// `p` as an absolute, normalised path: `~` is `home`, a relative path is taken in `base`.
std::string absolute_in(const std::string& base, const std::string& p, const std::string& home);

/// The parts of `s` between `sep`s, spaces trimmed, empty parts left out ("a, b,,c").
std::vector<std::string> split_list(std::string_view s, char sep);

}  // namespace varan::compose
