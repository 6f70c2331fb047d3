/// Where the compose loader reads files from: the disk, or contents given in memory
/// (LoadOptions::file_overlay, e.g. env files a pre_deploy step decrypted), which win over it.
#pragma once

#include <map>
#include <string>

namespace varan::compose {

class FileSource {
 public:
  /// `overlay` maps absolute, normalised paths to contents; null reads only the disk. It must
  /// outlive the FileSource.
  explicit FileSource(const std::map<std::string, std::string>* overlay = nullptr)
      : overlay_(overlay) {}

  /// The contents given in memory for `path`, or null.
  const std::string* overlaid(const std::string& path) const;
  /// The text of `path` (at most kMaxFileBytes). Throws varan::Error when it can't be read.
  std::string read(const std::string& path) const;
  /// Whether `path` is given in memory or is a regular file on disk.
  bool is_file(const std::string& path) const;
  /// Why `path` is not a file, for a message: "not found", "is a folder", "is not a regular
  /// file" ("" when it is one).
  std::string why_not_a_file(const std::string& path) const;

 private:
  const std::map<std::string, std::string>* overlay_;
};

}  // namespace varan::compose
