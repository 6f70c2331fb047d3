#include "common/io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

#include "common/error.h"

namespace varan {

IoError::IoError(const std::string& what, int err)
    : Error(what + ": " + std::strerror(err)), code_(err) {}

std::size_t FdSource::read(std::uint8_t* buf, std::size_t n) {
  for (;;) {
    ssize_t r = ::read(fd_, buf, n);
    if (r >= 0) return static_cast<std::size_t>(r);
    if (errno != EINTR) throw IoError("failed to read " + name_, errno);
  }
}

namespace {
void write_all(int fd, const std::uint8_t* buf, std::size_t n, const std::string& name) {
  while (n > 0) {
    ssize_t w = ::write(fd, buf, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw IoError("failed to write " + name, errno);
    }
    buf += w;
    n -= static_cast<std::size_t>(w);
  }
}

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string random_suffix() {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::string s(8, 'x');
  for (auto& c : s)
    c = kAlphabet[rd() % (sizeof(kAlphabet) - 1)];
  return s;
}
}  // namespace

void FdSink::write(const std::uint8_t* buf, std::size_t n) { write_all(fd_, buf, n, name_); }

std::size_t MemorySource::read(std::uint8_t* buf, std::size_t n) {
  n = std::min(n, data_.size());
  if (n > 0) std::memcpy(buf, data_.data(), n);
  data_ = data_.subspan(n);
  return n;
}

void MemorySink::write(const std::uint8_t* buf, std::size_t n) {
  // Grows geometrically by hand: vector::insert copies byte by byte with a custom allocator.
  std::size_t old = data_.size();
  if (old + n > data_.capacity()) data_.reserve(std::max(old + n, 2 * data_.capacity()));
  data_.resize(old + n);
  if (n > 0) std::memcpy(data_.data() + old, buf, n);
}

BufferedSink::~BufferedSink() = default;

void BufferedSink::write(const std::uint8_t* buf, std::size_t n) {
  if (n == 0) return;
  if (used_ + n > block_) finish();
  if (n >= block_) {
    out_.write(buf, n);
    return;
  }
  if (used_ + n > buf_.size()) {
    SecureBytes bigger(std::min(block_, std::max<std::size_t>(2 * (used_ + n), 4096)));
    if (used_ > 0) std::memcpy(bigger.data(), buf_.data(), used_);
    buf_ = std::move(bigger);
  }
  std::memcpy(buf_.data() + used_, buf, n);
  used_ += n;
}

void BufferedSink::finish() {
  if (used_ > 0) out_.write(buf_.data(), used_);
  used_ = 0;
}

BufferedReader::BufferedReader(Source& src, std::size_t capacity)
    : src_(src), capacity_(std::max<std::size_t>(capacity, 1)) {
  buf_.resize(std::min<std::size_t>(capacity_, 4096));
}

BufferedReader::~BufferedReader() = default;

std::size_t BufferedReader::fill(std::size_t n) {
  while (end_ - pos_ < n && !eof_) {
    if (pos_ + n > buf_.size() || end_ == buf_.size()) {
      // Move what is left to the front, and grow (doubling, towards the capacity) when the
      // buffer is full or one request needs more room.
      std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
      end_ -= pos_;
      pos_ = 0;
      std::size_t want =
          std::max(n, end_ == buf_.size() ? std::min(capacity_, 2 * buf_.size()) : buf_.size());
      if (want > buf_.size()) {
        SecureBytes bigger(want);
        if (end_ > 0) std::memcpy(bigger.data(), buf_.data(), end_);
        buf_ = std::move(bigger);
      }
    }
    std::size_t r = src_.read(buf_.data() + end_, buf_.size() - end_);
    if (r == 0) eof_ = true;
    end_ += r;
  }
  return end_ - pos_;
}

void BufferedReader::consume(std::size_t n) { pos_ += std::min(n, end_ - pos_); }

std::optional<std::string> BufferedReader::read_line(std::size_t max) {
  std::string line;
  for (;;) {
    if (fill(1) == 0) {
      if (line.empty()) return std::nullopt;
      return line;
    }
    auto av = available();
    auto nl = std::find(av.begin(), av.end(), std::uint8_t('\n'));
    std::size_t take = static_cast<std::size_t>(nl - av.begin()) + (nl != av.end() ? 1 : 0);
    if (line.size() + take > max) {
      std::size_t room = max - line.size();
      line.append(reinterpret_cast<const char*>(av.data()), room);
      consume(room);
      return line;
    }
    line.append(reinterpret_cast<const char*>(av.data()), take);
    consume(take);
    if (nl != av.end()) return line;
  }
}

std::size_t BufferedReader::read(std::uint8_t* dst, std::size_t n) {
  std::size_t done = 0;
  while (done < n) {
    if (pos_ == end_) {
      // Large reads bypass the buffer.
      if (n - done >= buf_.size()) {
        std::size_t r = eof_ ? 0 : src_.read(dst + done, n - done);
        if (r == 0) {
          eof_ = true;
          break;
        }
        done += r;
        continue;
      }
      if (fill(1) == 0) break;
    }
    std::size_t k = std::min(n - done, end_ - pos_);
    std::memcpy(dst + done, buf_.data() + pos_, k);
    pos_ += k;
    done += k;
  }
  return done;
}

AtomicFile::AtomicFile(std::string path, unsigned mode) : path_(std::move(path)) {
  std::string dir = dir_of(path_);
  // An unnamed file first (O_TMPFILE): if the process dies before commit(), the kernel
  // frees it and no partial plaintext is left anywhere. Named temporary file otherwise.
  fd_ = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    for (int attempt = 0; attempt < 16; ++attempt) {
      tmp_ = dir + "/." + base_of(path_) + ".tmp-" + random_suffix();
      fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd_ >= 0 || errno != EEXIST) break;
    }
    if (fd_ < 0)
      throw IoError("failed to create a temporary file next to " + printable_name(path_), errno);
  }
  // The mode is set explicitly so that the umask cannot widen or narrow it.
  if (::fchmod(fd_, mode) != 0) {
    int e = errno;
    ::close(fd_);
    if (!tmp_.empty()) ::unlink(tmp_.c_str());
    fd_ = -1;
    throw IoError("failed to set the mode of a temporary file for " + printable_name(path_), e);
  }
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !tmp_.empty()) ::unlink(tmp_.c_str());
}

void AtomicFile::write(const std::uint8_t* buf, std::size_t n) {
  write_all(fd_, buf, n, "a temporary file for " + printable_name(path_));
}

void AtomicFile::commit() {
  if (::fsync(fd_) != 0) throw IoError("failed to flush the new " + printable_name(path_), errno);
  if (tmp_.empty()) {
    // Give the unnamed file a name next to the target, then rename it over the target.
    std::string proc = "/proc/self/fd/" + std::to_string(fd_);
    for (int attempt = 0; attempt < 16; ++attempt) {
      tmp_ = dir_of(path_) + "/." + base_of(path_) + ".tmp-" + random_suffix();
      if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, tmp_.c_str(), AT_SYMLINK_FOLLOW) == 0) break;
      if (errno != EEXIST) {
        int e = errno;
        tmp_.clear();
        throw IoError("failed to create the new " + printable_name(path_), e);
      }
    }
  }
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw IoError("failed to close the new " + printable_name(path_), errno);
  if (::rename(tmp_.c_str(), path_.c_str()) != 0)
    throw IoError("failed to replace " + printable_name(path_), errno);
  committed_ = true;
  int dfd = ::open(dir_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);  // Best effort: the rename itself already happened.
    ::close(dfd);
  }
}

SecureBytes read_file(const std::string& path, std::size_t limit) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoError("failed to open " + printable_name(path), errno);
  SecureBytes out;
  auto too_large = [&] {
    return Error(printable_name(path) + " is larger than " + std::to_string(limit) +
                 " bytes; refusing to read it");
  };
  try {
    // A regular file's size is known before reading: one over the limit costs nothing.
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
      if (static_cast<std::uintmax_t>(st.st_size) > limit) throw too_large();
      out.reserve(static_cast<std::size_t>(st.st_size));
    }
    FdSource src(fd, printable_name(path));
    std::uint8_t buf[16384];
    for (;;) {
      std::size_t r = src.read(buf, sizeof buf);
      if (r == 0) break;
      if (out.size() + r > limit) throw too_large();
      out.insert(out.end(), buf, buf + r);
    }
    wipe(buf, sizeof buf);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return out;
}

void write_file_atomic(const std::string& path, std::span<const std::uint8_t> data, unsigned mode) {
  AtomicFile f(path, mode);
  f.write(data);
  f.commit();
}

ssize_t read_up_to(int fd, std::uint8_t* buf, std::size_t n) {
  std::size_t got = 0;
  while (got < n) {
    ssize_t r = ::read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
  }
  return static_cast<ssize_t>(got);
}

std::string printable_name(std::string_view name) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(name.size());
  for (unsigned char c : name) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (c < 0x20 || c == 0x7f)
      out += {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
    else
      out += static_cast<char>(c);
  }
  return out;
}

}  // namespace varan
