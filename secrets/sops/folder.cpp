#include "secrets/sops/folder.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/io.h"
#include "secrets/sops/sops.h"

namespace varan::sops {

std::optional<std::string> plaintext_name(std::string_view name) {
  // sops' own configuration file is never an encrypted file.
  if (name == ".sops.yaml" || name == ".sops.yml") return std::nullopt;
  auto p = name.find(".sops.");
  if (p == std::string_view::npos || p + 6 >= name.size()) return std::nullopt;
  return std::string(name.substr(0, p)) + std::string(name.substr(p + 5));
}

FileResult decrypt_one(const std::string& source, const std::string& target,
                       const FolderOptions& opts, KeySource& keys) {
  FileResult r;
  r.source = source;
  r.target = target;
  try {
    SecureBytes encrypted;
    try {
      encrypted = read_file(source, std::size_t(1) << 30);
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
    struct stat st {};
    if (::stat(target.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        static_cast<std::size_t>(st.st_size) == plain.str().size()) {
      try {
        SecureBytes existing = read_file(target, plain.str().size() + 1);
        if (as_string(existing) == plain.str()) {
          // Same contents: the file and its mtime stay; only a wider mode is narrowed.
          if ((st.st_mode & 0777) != 0600) ::chmod(target.c_str(), 0600);
          r.status = FileResult::Status::kUnchanged;
          return r;
        }
      } catch (const varan::Error&) {
        // Unreadable: replace it.
      }
    }
    try {
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

namespace {
void walk(const std::string& dir, const FolderOptions& opts, KeySource& keys,
          std::vector<FileResult>& out) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    FileResult r;
    r.source = dir;
    r.code = codes::kCouldNotReadInputFile;
    r.message = "cannot open folder " + dir + ": " + std::strerror(errno);
    out.push_back(std::move(r));
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
  for (const auto& n : names) {
    std::string path = prefix + n;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (opts.recursive && n[0] != '.') walk(path, opts, keys, out);
      continue;
    }
    if (!S_ISREG(st.st_mode)) continue;
    if (auto target = plaintext_name(n))
      out.push_back(decrypt_one(path, prefix + *target, opts, keys));
  }
}
}  // namespace

std::vector<FileResult> decrypt_folder(const std::string& dir, const FolderOptions& opts,
                                       KeySource& keys) {
  std::vector<FileResult> out;
  walk(dir, opts, keys, out);
  return out;
}

}  // namespace varan::sops
