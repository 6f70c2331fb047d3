/// `varan compose`: docker compose's verbs and flags (up, down, ps, logs, pull, config,
/// start, stop, restart) on the native loader, planner and engine client.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>

namespace varan::cli {

std::function<std::optional<int>()> add_compose_command(CLI::App& app);

}  // namespace varan::cli
