#include "cli/output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"

namespace varan::cli {

Output::Output(const std::string& path, unsigned mode) {
  Sink* raw = nullptr;
  struct stat st {};
  if (path.empty() || path == "-") {
    stdout_ = true;
    fd_sink_ = std::make_unique<FdSink>(1, "standard output");
    raw = fd_sink_.get();
  } else if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    // /dev/null, a FIFO, a terminal: nothing to replace, write straight through.
    fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd_ < 0) throw IoError("failed to open output file \"" + path + "\"", errno);
    fd_sink_ = std::make_unique<FdSink>(fd_, "\"" + path + "\"");
    raw = fd_sink_.get();
  } else {
    file_ = std::make_unique<AtomicFile>(path, mode);
    raw = file_.get();
  }
  buffered_ = std::make_unique<BufferedSink>(*raw, 128 << 10);
}

Output::~Output() {
  buffered_.reset();
  if (fd_ >= 0) ::close(fd_);
}

void Output::commit() {
  buffered_->finish();
  if (file_) file_->commit();
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {
  }, sb{};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

unsigned masked_mode(unsigned mode) {
  mode_t m = ::umask(0);
  ::umask(m);
  return mode & ~static_cast<unsigned>(m);
}

}  // namespace varan::cli
