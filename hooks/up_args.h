/// The `docker compose up` flags a stack's extra_args may carry (--force-recreate,
/// --no-recreate, --remove-orphans, --pull, --wait, --wait-timeout, -t), and service names.
#pragma once

#include <string>
#include <vector>

#include "engine/compose/commands.h"

namespace varan::hooks {

// The `up` flags a stack's extra_args may carry.
struct UpArgs {
  compose::UpOptions up;
  std::vector<std::string> services;
};

/// Throws hooks::Error naming the stack and the flag it does not know.
UpArgs parse_extra_args(const std::vector<std::string>& args, const std::string& stack);

}  // namespace varan::hooks
