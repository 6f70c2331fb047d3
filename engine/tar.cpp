#include "engine/tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include "common/error.h"
#include "common/io.h"

namespace varan::engine {

namespace {

la_ssize_t write_cb(struct archive*, void* user, const void* buf, size_t n) {
  static_cast<std::string*>(user)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

[[noreturn]] void fail(struct archive* a, const std::string& what) {
  throw varan::Error("cannot build a tar archive (" + what +
                     "): " + (archive_error_string(a) ? archive_error_string(a) : "unknown error"));
}

}  // namespace

TarBuilder::TarBuilder() {
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_set_bytes_per_block(a, 0);  // no padding to 10 KiB blocks
  if (archive_write_open(a, &out_, nullptr, write_cb, nullptr) != ARCHIVE_OK) fail(a, "open");
  archive_ = a;
}

TarBuilder::~TarBuilder() {
  auto* a = static_cast<struct archive*>(archive_);
  if (!finished_) archive_write_close(a);
  archive_write_free(a);
}

void TarBuilder::add_file(const std::string& path, std::string_view contents, unsigned mode) {
  auto* a = static_cast<struct archive*>(archive_);
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, path.c_str());
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, mode);
  archive_entry_set_size(e, static_cast<la_int64_t>(contents.size()));
  if (archive_write_header(a, e) != ARCHIVE_OK) {
    archive_entry_free(e);
    fail(a, path);
  }
  archive_entry_free(e);
  if (!contents.empty() && archive_write_data(a, contents.data(), contents.size()) < 0)
    fail(a, path);
}

void TarBuilder::add_directory(const std::string& path, unsigned mode) {
  auto* a = static_cast<struct archive*>(archive_);
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, path.c_str());
  archive_entry_set_filetype(e, AE_IFDIR);
  archive_entry_set_perm(e, mode);
  int rc = archive_write_header(a, e);
  archive_entry_free(e);
  if (rc != ARCHIVE_OK) fail(a, path);
}

void TarBuilder::add_symlink(const std::string& path, const std::string& target) {
  auto* a = static_cast<struct archive*>(archive_);
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, path.c_str());
  archive_entry_set_filetype(e, AE_IFLNK);
  archive_entry_set_perm(e, 0777);
  archive_entry_set_symlink(e, target.c_str());
  int rc = archive_write_header(a, e);
  archive_entry_free(e);
  if (rc != ARCHIVE_OK) fail(a, path);
}

void TarBuilder::add_host_file(const std::string& path, const std::string& host_path) {
  struct stat st {};
  if (::stat(host_path.c_str(), &st) != 0) throw IoError("cannot read " + host_path, errno);
  auto data = read_file(host_path);
  add_file(path, as_string(data), st.st_mode & 07777);
}

std::string TarBuilder::finish() {
  auto* a = static_cast<struct archive*>(archive_);
  if (archive_write_close(a) != ARCHIVE_OK) fail(a, "close");
  finished_ = true;
  return std::move(out_);
}

}  // namespace varan::engine
