/// Bringing a stack's repo to the wanted commit with libgit2 (no git process): clone, or
/// fetch the branch and reset the working tree to it so it equals the remote (local edits
/// are discarded, untracked and ignored files such as a decrypted .env stay). Tokens go
/// through libgit2's credential callback only: never into the URL, .git/config, logs or
/// errors. A repo folder owned by another user opens only when it is trusted.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "common/secure.h"

namespace varan::git {

/// A failure a user can act on: names the URL or folder (never a token) and what to change.
class Error : public varan::Error {
 public:
  using varan::Error::Error;
};

struct RepoSpec {
  std::string url;     // without credentials
  std::string branch;  // the branch to follow
  std::string commit;  // a pinned commit (hash or anything rev-parse takes), or empty
  std::string user;    // sent with the token; default "token" as Komodo does
  SecretString token;  // HTTPS token; "user:token" also works
  std::string ssh_key;
};

struct Trust {
  std::string root;                           // folders under it are Varan's own
  std::vector<std::string> safe_directories;  // exact folders, "DIR/*" prefixes, or "*"
};

struct CommitInfo {
  std::string hash;     // full hash; empty when there was no repo yet
  std::string message;  // the commit message, trimmed
};

struct SyncResult {
  bool cloned = false;
  CommitInfo before, after;
};

/// Clones `spec` into `dir` or updates the clone there. Throws git::Error naming the
/// URL (never the token) and what to change.
SyncResult sync_repo(const RepoSpec& spec, const std::string& dir, const Trust& trust);

/// A fresh clone of `spec` in a new hidden folder beside `dir` (same parent, so it can be
/// swapped in with exchange_folders): a reclone never deletes `dir` before its replacement
/// is ready. Returns the new folder; on failure nothing is left behind and `dir` is untouched.
std::string clone_beside(const RepoSpec& spec, const std::string& dir, const Trust& trust,
                         SyncResult& result);

/// Swaps two folders of one file system atomically (renameat2 RENAME_EXCHANGE). Throws
/// git::Error naming both.
void exchange_folders(const std::string& a, const std::string& b);

/// The HEAD commit of the repo in `dir` (empty when there is none).
CommitInfo head_commit(const std::string& dir, const Trust& trust);

}  // namespace varan::git
