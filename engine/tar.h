/// Tar archives in memory with libarchive: build contexts for POST /build and the files
/// copied into containers with PUT /archive.
#pragma once

#include <string>
#include <string_view>

namespace varan::engine {

class TarBuilder {
 public:
  TarBuilder();
  ~TarBuilder();
  TarBuilder(const TarBuilder&) = delete;
  TarBuilder& operator=(const TarBuilder&) = delete;

  void add_file(const std::string& path, std::string_view contents, unsigned mode = 0644);
  void add_directory(const std::string& path, unsigned mode = 0755);
  void add_symlink(const std::string& path, const std::string& target);
  /// Adds a file from the host under `path`; throws naming the file when it can't be read.
  void add_host_file(const std::string& path, const std::string& host_path);
  /// The finished archive. The builder can't be used afterwards.
  std::string finish();

 private:
  void* archive_;
  std::string out_;
  bool finished_ = false;
};

}  // namespace varan::engine
