/// Starting child processes: the one place that forks, for the product (hook commands,
/// SOPS_AGE_KEY_CMD; never docker, git, sops or age) and for the tests that run binaries.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/secure.h"

namespace varan {

/// Where one of the child's output streams goes.
struct ChildOutput {
  enum class Kind { kCapture, kInherit, kFile };
  Kind kind = Kind::kCapture;
  std::string path;     // kFile: created 0644 when missing
  bool append = false;  // kFile: append instead of truncating

  static ChildOutput capture() { return {}; }
  static ChildOutput inherit() { return {Kind::kInherit, "", false}; }
  static ChildOutput file(std::string path, bool append = false) {
    return {Kind::kFile, std::move(path), append};
  }
};

struct ChildSpec {
  std::vector<std::string> argv;  // argv[0] is looked up on PATH unless it holds a '/'
  std::string program;            // when set, the file executed instead (argv[0] stays)
  std::string cwd;                // empty: the caller's
  /// Set on top of the caller's environment (replacing a variable of the same name). The
  /// strings built from it are wiped once the child has started: secrets may travel here.
  std::map<std::string, std::string> env;
  std::string input;  // written to standard input; empty: standard input is /dev/null
  ChildOutput out, err;
  /// A process group of its own (the child leads it), killed with SIGKILL when run_child
  /// returns or throws, so nothing the child started outlives it.
  bool own_group = false;
  /// With own_group: the group dies with the caller, even when the caller is SIGKILLed
  /// (PR_SET_PDEATHSIG on the child, and a watchman process in the group that kills the
  /// whole group when the caller is gone).
  bool die_with_caller = false;
  std::optional<std::chrono::milliseconds> timeout;  // then SIGKILL (the group, with own_group)
  std::optional<rlim_t> nofile;                      // RLIMIT_NOFILE, soft and hard
  std::optional<uid_t> uid;                          // setgid + setuid to it before exec
};

struct ChildResult {
  /// Exit status, or 128 + signal number; 126 when the child could not enter `cwd`, 127 when
  /// the program could not be executed, -1 when no child could be made (then `error` says why).
  int status = -1;
  bool started = false;    // the program was executed
  bool timed_out = false;  // killed because `timeout` ran out
  std::string error;       // why it did not start
  SecureBytes out, err;    // captured streams (wiped when dropped)
  long max_rss_kib = 0;
};

/// Runs the child and waits for it (and for its captured streams to close, or the timeout).
ChildResult run_child(const ChildSpec& spec);

/// Starts the child and returns at once (its outputs must not be kCapture, nor its input set).
/// Throws IoError when it does not start. The caller stops and reaps it.
pid_t start_child(const ChildSpec& spec);

/// The text of a byte buffer, for captured output that is not secret.
inline std::string text_of(const SecureBytes& b) { return {b.begin(), b.end()}; }

}  // namespace varan
