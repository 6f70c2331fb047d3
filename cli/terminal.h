/// Reading a secret from the controlling terminal with echo off, as age and ssh do.
#pragma once

#include <string>

#include "common/secure.h"

namespace varan::cli {

/// Prints `prompt` on /dev/tty and reads one line without echo. Throws varan::Error when
/// there is no terminal.
SecretString read_secret(const std::string& prompt);

/// True when `fd` is a terminal.
bool is_terminal(int fd);

}  // namespace varan::cli
