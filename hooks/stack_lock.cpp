#include "hooks/stack_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "common/error.h"

namespace varan::hooks {

StackLock::StackLock(const std::string& root, const std::string& folder) {
  std::error_code ec;
  std::filesystem::create_directories(root + "/.locks", ec);
  std::string path = root + "/.locks/" + folder + ".lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw IoError("can't open the stack lock " + path, errno);
  while (::flock(fd_, LOCK_EX) != 0)
    if (errno != EINTR) throw IoError("can't lock " + path, errno);
}

StackLock::~StackLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

}  // namespace varan::hooks
