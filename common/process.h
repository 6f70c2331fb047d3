/// Running a user-supplied program (never one of ours: no shell, no docker/git/sops/age)
/// and collecting its standard output, for key commands like SOPS_AGE_KEY_CMD.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/secure.h"

namespace varan {

struct ProcessResult {
  int status = -1;  // exit status, or 128 + signal number
  SecureBytes out;
};

/// Runs argv (looked up on PATH) with the current environment plus `env`; standard input
/// is /dev/null, standard error is inherited. Throws IoError when it cannot be started.
ProcessResult run_capture(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& env = {});

}  // namespace varan
