/// Komodo's time: milliseconds since the Unix epoch, in every timestamp it writes.
#pragma once

#include <chrono>
#include <cstdint>

namespace varan::komodo {

inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace varan::komodo
