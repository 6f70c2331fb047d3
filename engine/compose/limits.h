/// The compose loader's limits on untrusted bytes (the README's security section lists them).
/// Each is far beyond real compose and .env files; each stops a small input from making the
/// agent build gigabytes or recurse off its stack.
#pragma once

#include <cstddef>
#include <string>

#include "engine/compose/yaml.h"

namespace varan::compose {

/// Bytes of one compose or env file.
inline constexpr std::size_t kMaxFileBytes = std::size_t(64) << 20;
/// Nesting of YAML collections, checked in the event loop before any node is built.
inline constexpr std::size_t kMaxYamlDepth = 256;
/// Nodes of one file's tree, aliases counted as the copies they are.
inline constexpr std::size_t kMaxYamlNodes = std::size_t(1) << 20;
/// Nesting of `${V:-${W:-...}}` templates.
inline constexpr std::size_t kMaxInterpolationDepth = 64;
/// Bytes of one value after interpolation.
inline constexpr std::size_t kMaxValueBytes = std::size_t(1) << 20;
/// Bytes that alias expansion and interpolation produce in one project, all files together.
/// Files one project may load through `include:` (each entry loads its files anew, so a list
/// that includes a file many times, which includes another many times, multiplies).
inline constexpr std::size_t kMaxIncludedFiles = 256;
inline constexpr std::size_t kMaxProjectBytes = std::size_t(64) << 20;

/// Counts the bytes a load produces (alias copies, interpolated values) against
/// kMaxProjectBytes; one per load, shared by every file and .env it reads.
class Budget {
 public:
  /// Adds `bytes`; throws Error "`where`: ..." naming `what` and the limit when the total
  /// passes it.
  void charge(std::size_t bytes, const std::string& where, const std::string& what) {
    used_ += bytes;
    if (used_ > kMaxProjectBytes)
      throw Error(where + ": " + what + " takes the project past " +
                  std::to_string(kMaxProjectBytes >> 20) +
                  " MiB of expanded aliases and interpolated values (the loader's limit); "
                  "look for values that reference each other over and over");
  }
  std::size_t used() const { return used_; }

 private:
  std::size_t used_ = 0;
};

}  // namespace varan::compose
