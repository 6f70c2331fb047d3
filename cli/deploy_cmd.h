/// `varan deploy STACK.toml`: the deploy pipeline of hooks/ from the command line.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>

namespace varan::cli {

std::function<std::optional<int>()> add_deploy_command(CLI::App& app);

}  // namespace varan::cli
