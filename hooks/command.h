/// Hook commands as Komodo runs them: a multiline command becomes one `&&` chain run by
/// `/bin/sh -c` in the hook's folder, with a time limit and its output captured. A hook that
/// is just `sops-decrypt` or `sops-decrypt.sh` is recognised so it can run in-process.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace varan::hooks {

/// `s` without the spaces, tabs and line breaks around it.
std::string trim(const std::string& s);

/// Komodo's multiline rules: lines are trimmed, empty lines and `#` lines dropped, a ` #`
/// comment cut off, ` \` continuations folded, and the lines joined with ` && `.
std::string parse_multiline(const std::string& command);

/// What an in-process sops-decrypt hook was asked to do.
struct SopsDecryptCall {
  bool recursive = false;
  bool check = false;
  std::vector<std::string> dirs;  // relative to the hook's folder; empty = the folder itself
};

/// The call when `command` (already joined) is one simple `sops-decrypt` or
/// `sops-decrypt.sh` command (with or without a path, with folder and -r/--check
/// arguments); nullopt for anything else, which then runs through the shell.
std::optional<SopsDecryptCall> as_sops_decrypt(const std::string& command);

struct ShellResult {
  int status = -1;  // exit status, 128 + signal, or -1 when it could not start
  bool timed_out = false;
  std::string out, err;
};

/// Runs `command` as `/bin/sh -c command` would, in `cwd` with standard input from
/// /dev/null. The command reaches the shell through its environment, never its argv (which
/// every local user can read), so interpolated secrets stay private. It runs in a process
/// group of its own that is killed when `timeout_s` runs out, when run_shell returns or
/// throws, and when the calling process dies, even by SIGKILL (PR_SET_PDEATHSIG and a
/// watchman process in the group).
ShellResult run_shell(const std::string& command, const std::string& cwd, long timeout_s);

}  // namespace varan::hooks
