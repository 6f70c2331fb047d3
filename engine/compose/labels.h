/// The labels compose tools use to find and describe what belongs to a project. Varan
/// writes the same ones, so `docker compose` and `docker-compose` see its containers.
#pragma once

namespace varan::compose::labels {

inline constexpr const char* kProject = "com.docker.compose.project";
inline constexpr const char* kService = "com.docker.compose.service";
inline constexpr const char* kNumber = "com.docker.compose.container-number";
inline constexpr const char* kOneOff = "com.docker.compose.oneoff";
inline constexpr const char* kConfigHash = "com.docker.compose.config-hash";
inline constexpr const char* kImage = "com.docker.compose.image";
inline constexpr const char* kWorkingDir = "com.docker.compose.project.working_dir";
inline constexpr const char* kConfigFiles = "com.docker.compose.project.config_files";
inline constexpr const char* kEnvironmentFile = "com.docker.compose.project.environment_file";
inline constexpr const char* kDependsOn = "com.docker.compose.depends_on";
inline constexpr const char* kVersion = "com.docker.compose.version";
inline constexpr const char* kReplace = "com.docker.compose.replace";
inline constexpr const char* kNetwork = "com.docker.compose.network";
inline constexpr const char* kVolume = "com.docker.compose.volume";
/// Varan's own: per-key digests of the hashed config, so a plan can say what changed.
inline constexpr const char* kConfigKeys = "dev.varan.compose.config-keys";

/// What Varan writes as com.docker.compose.version: a compose version newer than 1.21, so
/// docker-compose v1 doesn't take the containers for ones with a legacy project name.
inline constexpr const char* kCompatVersion = "2.0.0";

}  // namespace varan::compose::labels
