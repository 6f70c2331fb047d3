#include "git/repo.h"

#include <fcntl.h>
#include <git2.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <mutex>
#include <random>

namespace varan::git {

namespace fs = std::filesystem;

namespace {

struct Library {
  Library() { git_libgit2_init(); }
  ~Library() { git_libgit2_shutdown(); }
};

void ensure_library() { static Library lib; }

std::mutex& owner_mutex() {
  static std::mutex m;
  return m;
}

std::string last_error() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "unknown libgit2 error";
}

template <typename T, void (*Free)(T*)>
struct Owned {
  T* p = nullptr;
  ~Owned() {
    if (p) Free(p);
  }
  T** out() { return &p; }
  T* get() const { return p; }
};
using Repo = Owned<git_repository, git_repository_free>;
using Remote = Owned<git_remote, git_remote_free>;
using Object = Owned<git_object, git_object_free>;
using Commit = Owned<git_commit, git_commit_free>;
using Reference = Owned<git_reference, git_reference_free>;

struct Credentials {
  const RepoSpec* spec = nullptr;
  int attempts = 0;
  std::string error;
};

int credential_cb(git_credential** out, const char*, const char* username_from_url,
                  unsigned int allowed, void* payload) {
  auto* c = static_cast<Credentials*>(payload);
  const RepoSpec& s = *c->spec;
  if (c->attempts++ > 0) {
    c->error = s.token.empty() && s.ssh_key.empty()
                   ? "the remote asks for credentials and the stack has no git_token"
                   : "the remote refused the credentials (check git_token / git_account)";
    return GIT_EUSER;
  }
  if ((allowed & GIT_CREDENTIAL_SSH_KEY) && !s.ssh_key.empty())
    return git_credential_ssh_key_new(out, username_from_url ? username_from_url : "git", nullptr,
                                      s.ssh_key.c_str(), nullptr);
  if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && !s.token.empty()) {
    std::string user = s.user.empty() ? "token" : s.user;
    SecretString pass = s.token;
    if (auto colon = pass.str().find(':'); colon != std::string::npos && s.user.empty()) {
      user = pass.str().substr(0, colon);
      pass = SecretString(pass.str().substr(colon + 1));
    }
    return git_credential_userpass_plaintext_new(out, user.c_str(), pass.str().c_str());
  }
  c->error = "the remote asks for credentials and the stack has no " +
             std::string(allowed & GIT_CREDENTIAL_SSH_KEY ? "ssh_key" : "git_token");
  return GIT_EUSER;
}

std::string user_name(uid_t uid) {
  if (passwd* pw = ::getpwuid(uid)) return pw->pw_name;
  return "?";
}

bool trusted(const std::string& dir, const Trust& t) {
  std::string d = fs::path(dir).lexically_normal().string();
  auto under = [&](std::string base) {
    base = fs::path(base).lexically_normal().string();
    while (base.size() > 1 && base.back() == '/')
      base.pop_back();
    return d == base || d.starts_with(base + "/");
  };
  if (!t.root.empty() && under(t.root)) return true;
  for (const auto& s : t.safe_directories) {
    if (s == "*") return true;
    if (s.ends_with("/*") ? under(s.substr(0, s.size() - 2))
                          : fs::path(s).lexically_normal() == fs::path(d))
      return true;
  }
  return false;
}

// Opens the repo in `dir`, checking who owns it the way git does, but with our message.
void open_repo(Repo& repo, const std::string& dir, const Trust& trust) {
  uid_t me = ::geteuid();
  for (const std::string& p : {dir, dir + "/.git"}) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0 || st.st_uid == me) continue;
    if (!trusted(dir, trust))
      throw Error(p + " is owned by uid " + std::to_string(st.st_uid) + " (" +
                  user_name(st.st_uid) + "), not by uid " + std::to_string(me) + " (" +
                  user_name(me) +
                  ") that Varan runs as, so it is not trusted: add it to safe_directories in "
                  "the stack file (or \"*\" to trust every folder), or chown it");
    std::lock_guard lock(owner_mutex());
    git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
    int rc = git_repository_open(repo.out(), dir.c_str());
    git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 1);
    if (rc != 0) throw Error(dir + ": can't open the git repo: " + last_error());
    return;
  }
  if (git_repository_open(repo.out(), dir.c_str()) != 0)
    throw Error(dir + ": can't open the git repo: " + last_error());
}

CommitInfo info_of(git_repository* repo) {
  CommitInfo info;
  git_oid oid;
  if (git_reference_name_to_id(&oid, repo, "HEAD") != 0) return info;
  Commit c;
  if (git_commit_lookup(c.out(), repo, &oid) != 0) return info;
  char hex[GIT_OID_HEXSZ + 1] = {};
  git_oid_tostr(hex, sizeof hex, &oid);
  info.hash = hex;
  std::string msg = git_commit_message(c.get()) ? git_commit_message(c.get()) : "";
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' '))
    msg.pop_back();
  info.message = msg;
  return info;
}

git_fetch_options fetch_options(Credentials& creds) {
  git_fetch_options o;
  git_fetch_options_init(&o, GIT_FETCH_OPTIONS_VERSION);
  o.callbacks.credentials = credential_cb;
  o.callbacks.payload = &creds;
  o.prune = GIT_FETCH_PRUNE;
  o.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
  return o;
}

[[noreturn]] void fail_remote(const RepoSpec& s, const std::string& what, const Credentials& c) {
  throw Error("git: can't " + what + " " + s.url + " (branch " + s.branch +
              "): " + (c.error.empty() ? last_error() : c.error));
}

// Moves the branch to `target`, makes it HEAD, and resets index and working tree to it.
void checkout(git_repository* repo, const RepoSpec& s, const git_oid& target) {
  Object obj;
  if (git_object_lookup(obj.out(), repo, &target, GIT_OBJECT_COMMIT) != 0)
    throw Error("git: " + s.url + ": commit not found: " + last_error());
  std::string ref = "refs/heads/" + s.branch;
  Reference r;
  if (git_reference_create(r.out(), repo, ref.c_str(), &target, 1, "varan: deploy") != 0 ||
      git_repository_set_head(repo, ref.c_str()) != 0)
    throw Error("git: can't move branch " + s.branch + ": " + last_error());
  git_checkout_options co;
  git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
  co.checkout_strategy = GIT_CHECKOUT_FORCE;
  if (git_reset(repo, obj.get(), GIT_RESET_HARD, &co) != 0)
    throw Error("git: can't check out " + s.branch + ": " + last_error());
}

git_oid resolve_target(git_repository* repo, const RepoSpec& s) {
  git_oid oid;
  if (!s.commit.empty()) {
    Object obj;
    if (git_revparse_single(obj.out(), repo, s.commit.c_str()) != 0)
      throw Error("git: commit " + s.commit + " is not on branch " + s.branch + " of " + s.url +
                  " (pin a commit the branch has, or clear commit)");
    Object peeled;
    if (git_object_peel(peeled.out(), obj.get(), GIT_OBJECT_COMMIT) != 0)
      throw Error("git: " + s.commit + " is not a commit");
    git_oid_cpy(&oid, git_object_id(peeled.get()));
    return oid;
  }
  std::string ref = "refs/remotes/origin/" + s.branch;
  if (git_reference_name_to_id(&oid, repo, ref.c_str()) != 0)
    throw Error("git: " + s.url + " has no branch " + s.branch);
  return oid;
}

}  // namespace

CommitInfo head_commit(const std::string& dir, const Trust& trust) {
  ensure_library();
  std::error_code ec;
  if (!fs::exists(fs::path(dir) / ".git", ec)) return {};
  Repo repo;
  open_repo(repo, dir, trust);
  return info_of(repo.get());
}

SyncResult sync_repo(const RepoSpec& spec, const std::string& dir, const Trust& trust) {
  ensure_library();
  SyncResult result;
  Credentials creds;
  creds.spec = &spec;
  std::error_code ec;
  Repo repo;
  if (!fs::exists(fs::path(dir) / ".git", ec)) {
    if (fs::exists(dir, ec) && !fs::is_empty(dir, ec))
      throw Error(dir + " exists and is not a git clone; move it away so " + spec.url +
                  " can be cloned there");
    fs::create_directories(fs::path(dir).parent_path(), ec);
    git_clone_options o;
    git_clone_options_init(&o, GIT_CLONE_OPTIONS_VERSION);
    o.fetch_opts = fetch_options(creds);
    o.checkout_branch = spec.branch.c_str();
    if (git_clone(repo.out(), spec.url.c_str(), dir.c_str(), &o) != 0)
      fail_remote(spec, "clone", creds);
    result.cloned = true;
    // Nothing about the credentials is kept: the remote's URL is the bare one.
    if (!spec.commit.empty()) checkout(repo.get(), spec, resolve_target(repo.get(), spec));
    result.after = info_of(repo.get());
    return result;
  }
  open_repo(repo, dir, trust);
  result.before = info_of(repo.get());
  Remote remote;
  if (git_remote_lookup(remote.out(), repo.get(), "origin") == 0) {
    if (std::string(git_remote_url(remote.get()) ? git_remote_url(remote.get()) : "") != spec.url) {
      if (git_remote_set_url(repo.get(), "origin", spec.url.c_str()) != 0)
        throw Error("git: can't set the remote of " + dir + ": " + last_error());
      git_remote_free(remote.p);
      remote.p = nullptr;
      if (git_remote_lookup(remote.out(), repo.get(), "origin") != 0)
        throw Error("git: " + dir + ": " + last_error());
    }
  } else if (git_remote_create(remote.out(), repo.get(), "origin", spec.url.c_str()) != 0) {
    throw Error("git: can't add the remote to " + dir + ": " + last_error());
  }
  std::string refspec = "+refs/heads/" + spec.branch + ":refs/remotes/origin/" + spec.branch;
  char* specs[] = {refspec.data()};
  git_strarray refspecs{specs, 1};
  git_fetch_options fo = fetch_options(creds);
  if (git_remote_fetch(remote.get(), &refspecs, &fo, "varan: fetch") != 0)
    fail_remote(spec, "fetch", creds);
  checkout(repo.get(), spec, resolve_target(repo.get(), spec));
  result.after = info_of(repo.get());
  return result;
}

std::string clone_beside(const RepoSpec& spec, const std::string& dir, const Trust& trust,
                         SyncResult& result) {
  fs::path d = fs::path(dir).lexically_normal();
  if (d.filename().empty()) d = d.parent_path();
  std::random_device rd;
  std::string aside = (d.parent_path() / ("." + d.filename().string() + ".reclone-" +
                                          std::to_string(::getpid()) + "-" + std::to_string(rd())))
                          .string();
  try {
    result = sync_repo(spec, aside, trust);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(aside, ec);
    throw;
  }
  return aside;
}

void exchange_folders(const std::string& a, const std::string& b) {
  if (::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) != 0)
    throw Error("can't swap " + a + " and " + b + ": " + std::strerror(errno));
}

}  // namespace varan::git
