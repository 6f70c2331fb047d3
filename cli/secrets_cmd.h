/// `varan secrets`: encrypt, decrypt, rotate and updatekeys for SOPS files (age keys), with
/// sops' flags and exit codes.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>

namespace varan::cli {

std::function<std::optional<int>()> add_secrets_command(CLI::App& app);

}  // namespace varan::cli
