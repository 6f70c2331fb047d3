/// Shared test helpers: where the external vectors are, the CI rule (under CI=true a
/// missing prerequisite fails instead of skipping), child processes for CLI and interop
/// tests, and temporary folders.
#pragma once

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace varan::test {

/// $VARAN_VECTORS, else the folder configured at build time (../shared/vectors).
std::string vectors_dir();
bool in_ci();
bool file_exists(const std::string& path);
/// Finds a program on PATH.
std::optional<std::string> which(const std::string& program);

/// Skips the current test, or fails it when CI=true, because `what` is missing.
#define VARAN_REQUIRE(cond, what)                                                             \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      if (::varan::test::in_ci()) FAIL() << "required under CI=true but missing: " << (what); \
      GTEST_SKIP() << "missing: " << (what);                                                  \
    }                                                                                         \
  } while (0)

struct RunResult {
  int status = -1;  // exit status, or 128 + signal
  std::string out, err;
  long max_rss_kib = 0;
};

struct RunOptions {
  std::string input;                       // written to the child's stdin
  std::map<std::string, std::string> env;  // added to (or replacing in) the environment
  std::string cwd;
  std::optional<std::string> stdout_path;  // send stdout to a file instead of capturing it
};

/// Runs argv[0] (looked up on PATH) and waits for it.
RunResult run(const std::vector<std::string>& argv, const RunOptions& opts = {});

/// Sets an environment variable (unsets it, given nullopt) for the scope, and puts back what was
/// there before when the scope ends.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::optional<std::string>& value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

/// A fresh folder under $TMPDIR, removed with everything in it at the end of the scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string read_text(const std::string& path);
void write_text(const std::string& path, const std::string& data, unsigned mode = 0644);
/// Starts argv in the background, in a process group of its own, stdout and stderr
/// appended to `log`. stop_background sends SIGTERM to the group and reaps it.
pid_t spawn_background(const std::vector<std::string>& argv, const std::string& log,
                       const std::map<std::string, std::string>& env = {});
void stop_background(pid_t pid);

/// How a daemon under test (the agent) is started: spawn_background's environment, and
/// limits set in the child before exec.
struct DaemonOptions {
  std::map<std::string, std::string> env;
  std::optional<rlim_t> nofile;  // RLIMIT_NOFILE, soft and hard
  std::optional<uid_t> uid;      // run as this user (the test runs as root)
};
pid_t spawn_daemon(const std::vector<std::string>& argv, const std::string& log,
                   const DaemonOptions& opts = {});
/// Stops a daemon as systemd does (SIGTERM to its process group, SIGKILL after `grace_s`)
/// and judges its exit: "" when it exited 0, else what happened with the tail of `log` (an
/// error, a sanitizer's report, a leak). Use it as EXPECT_EQ(stop_daemon(pid, log), "").
std::string stop_daemon(pid_t pid, const std::string& log, int grace_s = 30);
/// true once something accepts connections on 127.0.0.1:port (waits up to `seconds`).
bool wait_for_port(int port, int seconds = 10);

/// A TCP port on 127.0.0.1 that nothing listens on right now.
int free_port();
/// Deterministic pseudo-random bytes.
std::string pattern_bytes(std::size_t n, unsigned seed = 1);
std::string sha256_hex(const std::string& data);

}  // namespace varan::test
