/// Byte streams (Source, Sink) over file descriptors and memory, a buffered reader for
/// parsers, and atomic file replacement (temporary file, fsync, rename, mode 0600).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/secure.h"

namespace varan {

/// Something bytes come from. read() returns 0 only at the end.
class Source {
 public:
  virtual ~Source() = default;
  virtual std::size_t read(std::uint8_t* buf, std::size_t n) = 0;
};

/// Something bytes go to. finish() flushes; sinks that wrap another sink do not finish it.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void write(const std::uint8_t* buf, std::size_t n) = 0;
  virtual void finish() {}
  void write(std::span<const std::uint8_t> b) { write(b.data(), b.size()); }
  void write(std::string_view s) {
    write(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  }
};

/// Reads a file descriptor it does not own. `name` is used in error messages.
class FdSource final : public Source {
 public:
  FdSource(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  std::size_t read(std::uint8_t* buf, std::size_t n) override;

 private:
  int fd_;
  std::string name_;
};

/// Writes to a file descriptor it does not own, unbuffered: callers hand it large blocks.
class FdSink final : public Sink {
 public:
  FdSink(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  void write(const std::uint8_t* buf, std::size_t n) override;
  using Sink::write;

 private:
  int fd_;
  std::string name_;
};

class MemorySource final : public Source {
 public:
  explicit MemorySource(std::span<const std::uint8_t> data) : data_(data) {}
  explicit MemorySource(std::string_view s) : data_(as_bytes(s)) {}
  std::size_t read(std::uint8_t* buf, std::size_t n) override;

 private:
  std::span<const std::uint8_t> data_;
};

/// Collects everything written into memory; wipes it on destruction.
class MemorySink final : public Sink {
 public:
  void write(const std::uint8_t* buf, std::size_t n) override;
  using Sink::write;
  const SecureBytes& data() const { return data_; }
  std::string_view str() const { return as_string(data_); }

 private:
  SecureBytes data_;
};

/// Collects writes into blocks of up to `block` bytes before passing them on, so that
/// many small writes cost one system call. The buffer grows only as far as the writes
/// need it: a small output never costs a large buffer.
class BufferedSink final : public Sink {
 public:
  BufferedSink(Sink& out, std::size_t block = 1 << 20) : out_(out), block_(block) {}
  ~BufferedSink() override;
  void write(const std::uint8_t* buf, std::size_t n) override;
  using Sink::write;
  void finish() override;

 private:
  Sink& out_;
  std::size_t block_;
  SecureBytes buf_;  // filled with memcpy; its size is the capacity in use
  std::size_t used_ = 0;
};

/// A reading buffer over a Source for parsers that need lines and look-ahead. It starts
/// small and grows towards `capacity` (the size of the reads it makes once data keeps
/// coming), or beyond when one fill() asks for more.
class BufferedReader {
 public:
  explicit BufferedReader(Source& src, std::size_t capacity = 64 * 1024);
  ~BufferedReader();
  BufferedReader(const BufferedReader&) = delete;
  BufferedReader& operator=(const BufferedReader&) = delete;

  /// Makes at least `n` bytes available unless the source ends first; returns how many are.
  std::size_t fill(std::size_t n);
  /// The bytes available now, without reading.
  std::span<const std::uint8_t> available() const { return {buf_.data() + pos_, end_ - pos_}; }
  void consume(std::size_t n);
  /// Reads up to and including the next '\n'; nullopt at the end of input. A line longer
  /// than `max` is returned truncated to `max` bytes without its '\n' (callers reject it).
  std::optional<std::string> read_line(std::size_t max);
  /// Copies up to n bytes out; fewer only at the end.
  std::size_t read(std::uint8_t* dst, std::size_t n);
  bool at_end() { return fill(1) == 0; }

 private:
  Source& src_;
  std::size_t capacity_;
  SecureBytes buf_;
  std::size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
};

/// Adapts a BufferedReader back into a Source (for stacking readers).
class BufferedSource final : public Source {
 public:
  explicit BufferedSource(BufferedReader& r) : r_(r) {}
  std::size_t read(std::uint8_t* buf, std::size_t n) override { return r_.read(buf, n); }

 private:
  BufferedReader& r_;
};

/// Replaces `path` atomically: bytes go to an unnamed temporary file in the same folder (mode 0600
/// unless told otherwise), commit() fsyncs it, renames it over `path` and fsyncs the folder.
/// Without commit() the temporary file is removed and `path` is untouched.
class AtomicFile final : public Sink {
 public:
  explicit AtomicFile(std::string path, unsigned mode = 0600);
  ~AtomicFile() override;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const std::uint8_t* buf, std::size_t n) override;
  using Sink::write;
  void commit();

 private:
  std::string path_, tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

/// Reads a whole file; throws IoError naming it. Refuses a file larger than `limit` before
/// reading any of it (fstat), and stops reading one that grows past it.
SecureBytes read_file(const std::string& path, std::size_t limit = std::size_t(1) << 30);
/// Reads from `fd` until `n` bytes or the end of the file, retrying EINTR; the count read, or
/// -1 with errno set.
ssize_t read_up_to(int fd, std::uint8_t* buf, std::size_t n);
/// Writes a whole file atomically (AtomicFile).
void write_file_atomic(const std::string& path, std::span<const std::uint8_t> data,
                       unsigned mode = 0600);

/// `name` as messages show it: control characters (a newline would forge a line of output)
/// become `\n`, `\r`, `\t` or `\xHH`, and a backslash `\\`; everything else is kept.
std::string printable_name(std::string_view name);

}  // namespace varan
