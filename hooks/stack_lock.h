/// One deploy of a stack at a time, across threads and processes: an flock on a file under
/// the root (`<root>/.locks/<folder>.lock`), held while the object lives.
#pragma once

#include <string>

namespace varan::hooks {

class StackLock {
 public:
  /// Blocks until the lock is had. Throws IoError naming the lock file.
  StackLock(const std::string& root, const std::string& folder);
  ~StackLock();
  StackLock(const StackLock&) = delete;
  StackLock& operator=(const StackLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace varan::hooks
