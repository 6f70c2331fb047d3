/// Where a command's result goes: standard output, or a named file that is replaced
/// atomically (no partial file is ever left behind on failure), or a device/FIFO written
/// directly.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/io.h"

namespace varan::cli {

class Output {
 public:
  /// `path` empty or "-" means standard output. `mode` applies to a new regular file.
  Output(const std::string& path, unsigned mode);
  ~Output();
  Sink& sink() { return *buffered_; }
  bool is_stdout() const { return stdout_; }
  /// Flushes and, for a regular file, renames it into place. Without commit() a regular
  /// file is left exactly as it was.
  void commit();

 private:
  bool stdout_ = false;
  int fd_ = -1;
  std::unique_ptr<AtomicFile> file_;
  std::unique_ptr<FdSink> fd_sink_;
  std::unique_ptr<BufferedSink> buffered_;
};

/// True when both paths name the same existing file.
bool same_file(const std::string& a, const std::string& b);

/// The process umask applied to `mode`.
unsigned masked_mode(unsigned mode);

}  // namespace varan::cli
