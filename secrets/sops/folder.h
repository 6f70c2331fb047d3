/// The pre_deploy job: in a folder, every NAME.sops.EXT becomes NAME.EXT (and .sops.EXT
/// becomes .EXT), decrypted like `sops -d`, written atomically with mode 0600 and only
/// when the plaintext changed, so nothing downstream sees a change that did not happen.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "secrets/sops/keys.h"
#include "secrets/sops/store.h"

namespace varan::sops {

struct FolderOptions {
  bool recursive = false;
  bool check = false;           // decrypt and verify only
  bool write_plaintext = true;  // false: keep the plaintext in FileResult instead of writing it
};

struct FileResult {
  enum class Status { kWritten, kUnchanged, kChecked, kKept, kFailed };
  std::string source;  // path of the encrypted file
  std::string target;  // path of the plaintext file
  Status status = Status::kFailed;
  int code = 0;            // sops exit code when kFailed
  std::string message;     // the error, one line, never a secret
  SecretString plaintext;  // only when write_plaintext is false
};

/// The target name for an encrypted file name ("app.sops.env" -> "app.env",
/// ".sops.env" -> ".env"), or nullopt when the name has no ".sops." part or is sops' own
/// configuration file (`.sops.yaml`, `.sops.yml`).
std::optional<std::string> plaintext_name(std::string_view encrypted_name);

/// Decrypts every encrypted file of `dir` (sorted by name; folders too with `recursive`,
/// hidden folders excepted). A failure is recorded and the other files go on; an existing
/// target is never touched by a failed decryption. A file that is another one's target is
/// never an input (`a.sops.sops.env` -> `a.sops.env`, left alone as an output). An encrypted
/// file that is a symlink is followed only to a regular file inside `dir`; one leading out,
/// or nowhere, is a kFailed result. Messages escape file names (printable_name).
std::vector<FileResult> decrypt_folder(const std::string& dir, const FolderOptions& opts,
                                       KeySource& keys);

/// One file of the above. A target that already holds the plaintext stays (mtime kept, mode
/// set to 0600) only when it is a regular file with one link owned by the effective user;
/// anything else in its place (a symlink, a hard link, another user's file) is replaced.
FileResult decrypt_one(const std::string& source, const std::string& target,
                       const FolderOptions& opts, KeySource& keys);

}  // namespace varan::sops
