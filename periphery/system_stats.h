/// The host as GetSystemInformation and GetSystemStats describe it, read from /proc, uname and
/// statvfs (no `sysinfo` crate, no process): OS, kernel, CPUs, load, memory, disks, network.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "periphery/config.h"

namespace varan::periphery {

nlohmann::json system_information(const Config& cfg);

/// SystemStats now; CPU use is measured since the previous reading (`last`: /proc/stat's total
/// and idle then, updated).
nlohmann::json system_stats(const Config& cfg, std::uint64_t (&last)[2]);

}  // namespace varan::periphery
