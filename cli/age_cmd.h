/// `varan age`: the age CLI's flags for the common cases, and `varan age keygen`.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>

namespace varan::cli {

/// Adds the `age` subcommand to `app`; returns a function that runs it if it was chosen
/// (its exit status), or nullopt.
std::function<std::optional<int>()> add_age_command(CLI::App& app);

}  // namespace varan::cli
