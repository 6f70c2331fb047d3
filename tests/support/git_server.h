/// A real smart-HTTP git server for the deploy tests: Debian's nginx with basic auth in front
/// of git-http-backend through fcgiwrap, serving bare repos from a temporary folder on a
/// free local port. Tests make commits with the git CLI in a working clone and push them
/// (the product itself never runs git).
#pragma once

#include <sys/types.h>

#include <string>

#include "tests/support/support.h"

namespace varan::test {

class GitServer {
 public:
  /// Starts nginx and fcgiwrap; `problem()` says why when they could not start.
  GitServer(std::string user, std::string token);
  ~GitServer();
  GitServer(const GitServer&) = delete;
  GitServer& operator=(const GitServer&) = delete;

  const std::string& problem() const { return problem_; }
  int port() const { return port_; }
  /// http://127.0.0.1:PORT/NAME.git (no credentials in it).
  std::string url(const std::string& name) const;
  /// Creates the bare repo NAME.git and a working clone of it at `work` (branch `branch`).
  void create_repo(const std::string& name, const std::string& work,
                   const std::string& branch = "main");
  /// In the working clone: writes files, commits everything with `message`, pushes.
  std::string commit(const std::string& work, const std::string& message,
                     const std::string& branch = "main");
  std::string access_log() const;

 private:
  TempDir dir_;
  std::string user_, token_, problem_;
  int port_ = 0;
  pid_t nginx_ = -1, fcgi_ = -1;
};

/// Runs git with a fixed identity in `cwd`; fails the test on a non-zero exit.
std::string git(const std::string& cwd, const std::vector<std::string>& args);

}  // namespace varan::test
