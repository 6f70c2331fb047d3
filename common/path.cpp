#include "common/path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <vector>

#include "common/io.h"

namespace varan {

namespace fs = std::filesystem;

namespace {

constexpr int kMaxSymlinks = 40;  // the kernel's own limit (MAXSYMLINKS)

std::string normal(const std::string& p) {
  std::string s = fs::path(p).lexically_normal().string();
  while (s.size() > 1 && s.back() == '/')
    s.pop_back();
  return s;
}

std::string real_base(const std::string& base) {
  char buf[PATH_MAX];
  if (!::realpath(base.c_str(), buf)) throw IoError("can't resolve the folder " + base, errno);
  return buf;
}

void split_into(std::deque<std::string>& out, const std::string& p, bool front) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= p.size()) {
    auto slash = p.find('/', start);
    if (slash == std::string::npos) slash = p.size();
    if (slash > start) parts.push_back(p.substr(start, slash - start));
    start = slash + 1;
  }
  if (front)
    out.insert(out.begin(), parts.begin(), parts.end());
  else
    out.insert(out.end(), parts.begin(), parts.end());
}

std::string join(const std::string& root, const std::vector<std::string>& parts) {
  std::string s = root;
  for (const auto& p : parts)
    s += (s.ends_with('/') ? "" : "/") + p;
  return s;
}

[[noreturn]] void refuse(const std::string& field, const std::string& path, const std::string& base,
                         const std::string& why) {
  throw PathError(field + ": " + path + " " + why + "; it must stay inside " + base +
                  " (use a relative path without `..` or symlinks that leave it)");
}

// The path relative to `root`: absolute paths only when they start with it (compared
// component by component; the `..` after it are walked, not folded away lexically).
std::string relative_part(const std::string& root, const std::string& base, const std::string& path,
                          const std::string& field) {
  if (!path.starts_with('/')) return path;
  std::deque<std::string> p;
  split_into(p, path, false);
  std::erase(p, ".");
  for (const std::string& b : {root, normal(base)}) {
    std::deque<std::string> bc;
    split_into(bc, b, false);
    if (bc.size() > p.size() || !std::equal(bc.begin(), bc.end(), p.begin())) continue;
    std::string rest;
    for (auto it = p.begin() + static_cast<long>(bc.size()); it != p.end(); ++it)
      rest += (rest.empty() ? "" : "/") + *it;
    return rest;
  }
  refuse(field, path, base, "is an absolute path outside it");
}

long sys_openat2(int dirfd, const char* path, int flags, std::uint64_t resolve) {
  open_how how{};
  how.flags = static_cast<std::uint64_t>(flags);
  how.resolve = resolve;
  return ::syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

}  // namespace

bool is_within(const std::string& base, const std::string& path) {
  std::string b = normal(base), p = normal(path);
  if (b == "/") return p.starts_with('/');
  return p == b || p.starts_with(b + "/");
}

void check_path_component(const std::string& name, const std::string& field) {
  bool bad = name.empty() || name == "." || name == ".." || name.size() > NAME_MAX;
  for (unsigned char c : name)
    bad = bad || c == '/' || c < 0x20 || c == 0x7f;
  if (bad)
    throw PathError(field + ": \"" + name +
                    "\" is not a name Varan can use as a folder (it must be one path component: "
                    "not empty, not . or .., no /, no control characters)");
}

std::string resolve_beneath(const std::string& base, const std::string& path,
                            const std::string& field) {
  const std::string root = real_base(base);
  std::deque<std::string> todo;
  split_into(todo, relative_part(root, base, path, field), false);
  std::vector<std::string> done;  // real components below root, none of them a symlink
  bool missing = false;
  int links = 0;
  while (!todo.empty()) {
    std::string c = std::move(todo.front());
    todo.pop_front();
    if (c == ".") continue;
    if (c == "..") {
      if (missing) refuse(field, path, base, "goes up (..) out of a folder that does not exist");
      if (done.empty()) refuse(field, path, base, "leaves it through ..");
      done.pop_back();
      continue;
    }
    if (missing) {
      done.push_back(std::move(c));
      continue;
    }
    std::string here = join(root, done);
    here += (here.ends_with('/') ? "" : "/") + c;
    struct stat st {};
    if (::lstat(here.c_str(), &st) != 0) {
      if (errno != ENOENT) throw IoError(field + ": can't resolve " + path + " at " + here, errno);
      missing = true;
      done.push_back(std::move(c));
      continue;
    }
    if (!S_ISLNK(st.st_mode)) {
      done.push_back(std::move(c));
      continue;
    }
    if (++links > kMaxSymlinks) refuse(field, path, base, "has too many levels of symlinks");
    char target[PATH_MAX];
    ssize_t n = ::readlink(here.c_str(), target, sizeof target - 1);
    if (n < 0) throw IoError(field + ": can't read the symlink " + here, errno);
    std::string t(target, static_cast<std::size_t>(n));
    if (t.starts_with('/'))
      refuse(field, path, base, "goes through " + here + ", a symlink to the absolute path " + t);
    split_into(todo, t, true);
  }
  return join(root, done);
}

int open_beneath(const std::string& base, const std::string& path, const std::string& field) {
  const std::string root = real_base(base);
  std::string rel = relative_part(root, base, path, field);
  if (rel.empty()) rel = ".";
  int dirfd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) throw IoError("can't open the folder " + root, errno);
  long fd = sys_openat2(dirfd, rel.c_str(), O_RDONLY | O_CLOEXEC,
                        RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
  int err = errno;
  ::close(dirfd);
  if (fd >= 0) return static_cast<int>(fd);
  if (err == EXDEV || err == ELOOP) {
    resolve_beneath(base, path, field);  // throws the PathError that says which step escapes
    refuse(field, path, base, "leaves it");
  }
  if (err != ENOSYS && err != EPERM)  // EPERM: a seccomp filter that does not know openat2
    throw IoError(field + ": can't open " + path + " in " + base, err);
  std::string real = resolve_beneath(base, path, field);
  int f = ::open(real.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (f < 0) throw IoError(field + ": can't open " + real, errno);
  return f;
}

SecureBytes read_file_beneath(const std::string& base, const std::string& path,
                              const std::string& field, std::size_t limit) {
  int fd = open_beneath(base, path, field);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw PathError(field + ": " + path + " in " + base + " is not a regular file");
  }
  if (static_cast<std::size_t>(st.st_size) > limit) {
    ::close(fd);
    throw PathError(field + ": " + path + " is larger than " + std::to_string(limit) +
                    " bytes, the most Varan reads");
  }
  SecureBytes out(static_cast<std::size_t>(st.st_size));
  ssize_t got = read_up_to(fd, out.data(), out.size());
  int err = errno;
  ::close(fd);
  if (got < 0)
    throw PathError(field + ": can't read " + printable_name(path) + ": " + std::strerror(err));
  out.resize(static_cast<std::size_t>(got));
  return out;
}

}  // namespace varan
