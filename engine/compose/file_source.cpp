#include "engine/compose/file_source.h"

#include <filesystem>

#include "common/io.h"
#include "engine/compose/limits.h"

namespace varan::compose {

const std::string* FileSource::overlaid(const std::string& path) const {
  if (!overlay_) return nullptr;
  auto it = overlay_->find(path);
  return it == overlay_->end() ? nullptr : &it->second;
}

std::string FileSource::read(const std::string& path) const {
  if (const std::string* text = overlaid(path)) return *text;
  SecureBytes b = varan::read_file(path, kMaxFileBytes);
  return std::string(b.begin(), b.end());
}

bool FileSource::is_file(const std::string& path) const {
  std::error_code ec;
  return overlaid(path) || std::filesystem::is_regular_file(path, ec);
}

std::string FileSource::why_not_a_file(const std::string& path) const {
  if (is_file(path)) return "";
  std::error_code ec;
  auto st = std::filesystem::status(path, ec);
  if (st.type() == std::filesystem::file_type::not_found || ec) return "not found";
  if (st.type() == std::filesystem::file_type::directory) return "is a folder";
  return "is not a regular file";
}

}  // namespace varan::compose
