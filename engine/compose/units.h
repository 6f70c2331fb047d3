/// The small value grammars of compose files: Go durations, Docker byte sizes and shell-like
/// command strings, each parsed the way compose parses it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace varan::compose {

/// Splits a shell-like command string into words (quotes and backslashes as in sh, no
/// expansion), as compose does for string `command:` and `entrypoint:`. Throws Error naming
/// `where` on an unterminated quote.
std::vector<std::string> split_command(std::string_view s, const std::string& where);

/// The refresh interval of a `pull_policy` that asks for one, in seconds: `daily`, `weekly`,
/// `every_<N><w|d|h|m|s>...` (`every_12h`, `every_1w2d`); nullopt for any other value.
std::optional<long long> pull_refresh_seconds(std::string_view policy);

/// Parses a Go duration ("1m30s", "500ms", "10s") to nanoseconds.
std::optional<long long> parse_duration(std::string_view s);
/// Parses a size ("512m", "1g", "1024") to bytes, 1024-based like Docker.
std::optional<long long> parse_bytes(std::string_view s);

}  // namespace varan::compose
