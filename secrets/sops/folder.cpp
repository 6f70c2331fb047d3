#include "secrets/sops/folder.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>

#include "common/io.h"
#include "secrets/sops/errors.h"
#include "secrets/sops/sops.h"

namespace varan::sops {

std::optional<std::string> plaintext_name(std::string_view name) {
  // sops' own configuration file is never an encrypted file.
  if (name == ".sops.yaml" || name == ".sops.yml") return std::nullopt;
  auto p = name.find(".sops.");
  if (p == std::string_view::npos || p + 6 >= name.size()) return std::nullopt;
  return std::string(name.substr(0, p)) + std::string(name.substr(p + 5));
}

namespace {

constexpr std::size_t kInputLimit = std::size_t(1) << 30;

FileResult failed(const std::string& source, int code, std::string message) {
  FileResult r;
  r.source = source;
  r.code = code;
  r.message = std::move(message);
  return r;
}

// true when the existing target already holds `plain` and may stay: a regular file (opened
// without following a symlink) with no other hard link, owned by the user running this.
// Anything else is replaced, so the file is never chmodded through a link and belongs to the
// same user whether it was rewritten or not. Narrows the mode of a file that stays to 0600.
bool keep_existing(const std::string& target, const std::string& plain) {
  int fd = ::open(target.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  bool keep = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1 &&
              st.st_uid == ::geteuid() && static_cast<std::size_t>(st.st_size) == plain.size();
  if (keep) {
    SecureBytes existing(plain.size() + 1);
    ssize_t got = read_up_to(fd, existing.data(), existing.size());
    keep = got == static_cast<ssize_t>(plain.size()) &&
           std::string_view(reinterpret_cast<const char*>(existing.data()), plain.size()) == plain;
    // Same contents: the file and its mtime stay; only its mode is set to 0600.
    if (keep && (st.st_mode & 07777) != 0600) keep = ::fchmod(fd, 0600) == 0;
  }
  ::close(fd);
  return keep;
}

FileResult decrypt(const std::string& source, const std::string& read_from,
                   const std::string& target, const FolderOptions& opts, KeySource& keys) {
  FileResult r;
  r.source = source;
  r.target = target;
  try {
    SecureBytes encrypted;
    try {
      encrypted = read_file(read_from, kInputLimit);
    } catch (const varan::Error& e) {
      throw Error(codes::kCouldNotReadInputFile, std::string("Error reading file: ") + e.what());
    }
    Format f = format_for_path(target);
    Tree tree = decrypt_file(as_string(encrypted), f, keys, false);
    SecretString plain = emit_plain(tree, f, {});
    if (opts.check) {
      r.status = FileResult::Status::kChecked;
      return r;
    }
    if (!opts.write_plaintext) {
      r.plaintext = std::move(plain);
      r.status = FileResult::Status::kKept;
      return r;
    }
    if (keep_existing(target, plain.str())) {
      r.status = FileResult::Status::kUnchanged;
      return r;
    }
    try {
      // rename() replaces a symlink in the target's place, never what it points to.
      write_file_atomic(target, plain.bytes(), 0600);
    } catch (const varan::Error& e) {
      throw Error(codes::kCouldNotWriteOutputFile, e.what());
    }
    r.status = FileResult::Status::kWritten;
  } catch (const Error& e) {
    r.status = FileResult::Status::kFailed;
    r.code = e.code();
    r.message = e.what();
  } catch (const varan::Error& e) {
    r.status = FileResult::Status::kFailed;
    r.code = codes::kGeneric;
    r.message = e.what();
  }
  return r;
}

// An encrypted file that is a symlink is followed only when it resolves to a regular file
// inside the folder being decrypted (`root`, real): a link out of it (another stack's
// secrets, /etc/...) is refused with an error, never skipped in silence.
std::optional<FileResult> follow_link(const std::string& path, const std::string& target,
                                      const std::string& root, const FolderOptions& opts,
                                      KeySource& keys) {
  char* real = ::realpath(path.c_str(), nullptr);
  if (real == nullptr)
    return failed(path, codes::kCouldNotReadInputFile,
                  "Error reading file: " + printable_name(path) +
                      " is a symbolic link that leads nowhere (" + std::strerror(errno) + ")");
  std::string resolved = real;
  std::free(real);
  if (!resolved.starts_with(root == "/" ? root : root + "/"))
    return failed(path, codes::kCouldNotReadInputFile,
                  "Error reading file: " + printable_name(path) + " is a symbolic link to " +
                      printable_name(resolved) + ", outside " + printable_name(root) +
                      "; sops-decrypt follows links only inside the folder it decrypts "
                      "(copy the file into the folder instead)");
  struct stat st {};
  if (::stat(resolved.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return decrypt(path, resolved, target, opts, keys);
}

void walk(const std::string& dir, const std::string& root, const FolderOptions& opts,
          KeySource& keys, std::vector<FileResult>& out) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    out.push_back(
        failed(dir, codes::kCouldNotReadInputFile,
               "cannot open folder " + printable_name(dir) + ": " + std::strerror(errno)));
    return;
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  std::string prefix = dir == "/" ? "/" : dir + "/";
  struct Entry {
    std::string name;
    struct stat st;
  };
  std::vector<Entry> entries;
  std::set<std::string> outputs;
  for (auto& n : names) {
    Entry e{std::move(n), {}};
    if (::lstat((prefix + e.name).c_str(), &e.st) != 0) continue;
    if (S_ISREG(e.st.st_mode) || S_ISLNK(e.st.st_mode))
      if (auto t = plaintext_name(e.name)) outputs.insert(*t);
    entries.push_back(std::move(e));
  }
  for (const auto& [n, st] : entries) {
    std::string path = prefix + n;
    if (S_ISDIR(st.st_mode)) {
      if (opts.recursive && n[0] != '.') walk(path, root, opts, keys, out);
      continue;
    }
    auto target = plaintext_name(n);
    // Outputs are never inputs: "a.sops.sops.env" writes "a.sops.env" (one ".sops" is
    // stripped), which must not be decrypted in turn on the next run.
    if (!target || outputs.contains(n)) continue;
    if (S_ISLNK(st.st_mode)) {
      if (auto r = follow_link(path, prefix + *target, root, opts, keys))
        out.push_back(std::move(*r));
    } else if (S_ISREG(st.st_mode)) {
      out.push_back(decrypt(path, path, prefix + *target, opts, keys));
    }
  }
}

}  // namespace

FileResult decrypt_one(const std::string& source, const std::string& target,
                       const FolderOptions& opts, KeySource& keys) {
  return decrypt(source, source, target, opts, keys);
}

std::vector<FileResult> decrypt_folder(const std::string& dir, const FolderOptions& opts,
                                       KeySource& keys) {
  std::vector<FileResult> out;
  char* real = ::realpath(dir.c_str(), nullptr);
  std::string root = real ? real : dir;
  std::free(real);
  walk(dir, root, opts, keys, out);
  return out;
}

}  // namespace varan::sops
