#include "hooks/deploy.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>

#include "common/io.h"
#include "common/path.h"
#include "engine/client.h"
#include "engine/compose/commands.h"
#include "engine/compose/load.h"
#include "engine/compose/plan.h"
#include "hooks/command.h"
#include "hooks/interpolate.h"
#include "hooks/stack_lock.h"
#include "hooks/up_args.h"
#include "secrets/sops/folder.h"

namespace varan::hooks {

namespace fs = std::filesystem;

namespace {

std::string absolute_in(const std::string& base, const std::string& p) {
  fs::path path(p);
  if (path.is_relative()) path = fs::path(base) / path;
  std::string s = path.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/')
    s.pop_back();
  return s;
}

// Plaintext held for the compose loader and written only once the deploy can go ahead.
struct Staged {
  std::map<std::string, std::string> files;  // absolute path -> contents
  std::set<std::string> decrypted;           // paths whose contents a .sops.* file gave
  ~Staged() {
    for (auto& [p, text] : files)
      wipe(text);
  }
};

// An env file as it was before a shell hook ran, to be put back if the deploy fails.
struct Backup {
  std::string path;
  bool existed = false;
  SecretString content;
  unsigned mode = 0600;
};

std::optional<std::string> read_if_exists(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  SecureBytes b = read_file(path, std::size_t(64) << 20);
  return std::string(b.begin(), b.end());
}

void write_secret_file(const std::string& path, const std::string& text) {
  write_file_atomic(path, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, 0600);
}

class Run {
 public:
  Run(const Stack& stack, const std::map<std::string, Variable>& vars, engine::Client& client,
      const DeployOptions& opts)
      : s_(stack), client_(client), opts_(opts) {
    interpolate_stack(s_, vars, red_);
    for (const auto& [value, name] : opts.redact)
      red_.add(value, name);
    if (opts.registry) red_.add(opts.registry->token.str(), "REGISTRY_TOKEN");
  }

  DeployResult go() {
    std::string folder = komodo::folder_name(s_.name);
    std::string root = fs::path(opts_.root).lexically_normal().string();
    try {
      // The name is the stack's folder and its lock file: one path component, no `..`.
      check_path_component(folder, "stack \"" + s_.name + "\": name");
    } catch (const std::exception& e) {
      res_.error = red_(e.what());
      return std::move(res_);
    }
    stack_dir_ = root + "/" + folder;
    trust_ = {root, opts_.safe_directories};
    std::error_code ec;
    fs::create_directories(root, ec);
    StackLock lock(root, folder);
    try {
      locate_checkout(root);
      pipeline();
    } catch (const std::exception& e) {
      restore();
      finish_reclone(false);
      res_.success = false;
      res_.error = red_(e.what());
    }
    return std::move(res_);
  }

 private:
  void log(Log l) {
    l.command = red_(l.command);
    l.stdout_text = red_(l.stdout_text);
    l.stderr_text = red_(l.stderr_text);
    if (opts_.on_log) opts_.on_log(l);
    res_.logs.push_back(std::move(l));
  }

  // Records a failed stage and stops the deploy with `message`.
  [[noreturn]] void fail(Log l, const std::string& message) {
    l.success = false;
    l.end_ts = now_ms();
    if (l.stderr_text.empty()) l.stderr_text = message;
    log(std::move(l));
    throw Error(message);
  }

  // Where the repo is checked out: the stack folder, a clone_path inside it, or an absolute
  // clone_path strictly inside the root or one of opts_.clone_roots (never one of those
  // folders themselves: a reclone swaps the checkout out whole).
  void locate_checkout(const std::string& root) {
    checkout_dir_ = stack_dir_;
    if (s_.repo.empty() || s_.clone_path.empty()) return;
    const std::string field = "stack \"" + s_.name + "\": clone_path";
    if (!fs::path(s_.clone_path).is_absolute()) {
      std::error_code ec;
      fs::create_directories(stack_dir_, ec);
      checkout_dir_ = resolve_beneath(stack_dir_, s_.clone_path, field);
      return;
    }
    std::vector<std::string> roots = opts_.clone_roots;
    roots.insert(roots.begin(), root);
    for (const auto& r : roots) {
      std::error_code ec;
      std::string real = fs::weakly_canonical(r, ec).string();  // clone_path may be real
      bool in = is_within(r, s_.clone_path) || is_within(real, s_.clone_path);
      if (!in || is_within(s_.clone_path, r) || is_within(s_.clone_path, real)) continue;
      fs::create_directories(r, ec);
      checkout_dir_ = resolve_beneath(r, s_.clone_path, field);
      if (fs::path(checkout_dir_) != fs::path(resolve_beneath(r, "", field))) return;
    }
    throw PathError(field + ": " + s_.clone_path + " is not a folder inside the stacks root " +
                    root + " (use a path relative to the stack folder)");
  }

  // The run directory, and the folder every path of the stack must stay in: the checkout
  // for a repo, the stack folder for a relative run_directory, and for files on the host an
  // absolute run_directory itself (the operator's own folder, as Komodo allows).
  void locate_run_directory() {
    const std::string field = "stack \"" + s_.name + "\": run_directory";
    std::error_code ec;
    if (s_.repo.empty() && fs::path(s_.run_directory).is_absolute()) {
      base_dir_ = run_dir_ = absolute_in("/", s_.run_directory);
    } else {
      base_dir_ = checkout_dir_;
      if (!fs::is_directory(base_dir_, ec))
        throw Error("stack \"" + s_.name + "\": the folder " + base_dir_ +
                    " does not exist (set repo, or put the stack's files there)");
      base_dir_ = resolve_beneath(base_dir_, "", field);
      run_dir_ = resolve_beneath(base_dir_, s_.run_directory, field);
    }
    res_.run_directory = run_dir_;
    res_.base_directory = base_dir_;
    if (!fs::is_directory(run_dir_, ec))
      throw Error("stack \"" + s_.name + "\": the run directory " + run_dir_ +
                  " does not exist (set repo, or put the stack's files there)");
    env_path_ = inside(s_.env_file_path, "env_file_path");
    additional_env_files_.clear();
    for (const auto& f : s_.additional_env_files)
      additional_env_files_.push_back(inside(f, "additional_env_files"));
    for (const auto& f : s_.file_paths)
      inside(f, "file_paths");  // refused before any hook runs; load() resolves them again
  }

  // A path of the stack (relative to the run directory), resolved and kept inside base_dir_.
  std::string inside(const std::string& p, const std::string& field) const {
    std::string full = fs::path(p).is_absolute() ? p : run_dir_ + "/" + p;
    return resolve_beneath(base_dir_, full, "stack \"" + s_.name + "\": " + field);
  }

  void pipeline() {
    repo();
    locate_run_directory();
    stage_environment();
    hook("Pre Deploy", s_.pre_deploy, true);
    compose::Project project = load();
    compose::Observed observed = compose::observe(client_, project);
    UpArgs args = parse_extra_args(s_.extra_args, s_.name);
    compose::Plan plan = compose::make_plan(project, observed, args.up.plan);
    res_.changed = plan.changes();
    if (!plan.changes() && opts_.if_changed) {
      Log l{"Deploy",
            "compose up -d (if changed)",
            "Deploy cancelled after no changes detected.",
            "",
            true,
            now_ms(),
            now_ms()};
      log(std::move(l));
      restore();  // a shell hook's writes go too: nothing is touched
      finish_reclone(true);
      res_.success = true;
      return;
    }
    if (opts_.dry_run) {
      Log l{"Compose Up", "compose up -d --dry-run", plan.describe(), "", true, now_ms(), now_ms()};
      log(std::move(l));
      res_.success = true;
      return;
    }
    write_staged();
    if (s_.destroy_before_deploy) {
      down(project);
      observed = compose::observe(client_, project);  // down changed what is there
    }
    // One observation and one pull per image: up plans from what was observed here (with the
    // IDs of the images pulled since) and pulls what it still needs with the same account.
    args.up.registry_auth = [this](const std::string& image) { return registry_auth(image); };
    if (s_.auto_pull) pull(project, observed, args.up.pulled);
    args.up.observed = &observed;
    up(project, args);
    backups_.clear();  // deployed: what was written stays
    finish_reclone(true);
    res_.success = true;
    hook("Post Deploy", s_.post_deploy, false);
  }

  void repo() {
    if (s_.repo.empty()) return;
    git::RepoSpec spec{s_.repo_url(),  s_.branch,    s_.commit,
                       s_.git_account, s_.git_token, s_.ssh_key};
    std::error_code ec;
    // Komodo's reclone: a fresh clone replaces the old checkout. It is cloned beside it and
    // swapped in, and the old one is kept until the deploy succeeded (put back otherwise).
    bool reclone = s_.reclone && !opts_.dry_run && fs::exists(checkout_dir_, ec);
    bool cloned = !reclone && fs::exists(fs::path(checkout_dir_) / ".git", ec);
    Log l{cloned ? "Pull Repo" : "Clone Repo",
          (cloned ? "git pull " : "git clone ") + spec.url + " -b " + spec.branch +
              (spec.commit.empty() ? "" : " && git reset --hard " + spec.commit),
          "",
          "",
          true,
          now_ms(),
          0};
    git::SyncResult r;
    try {
      fs::create_directories(fs::path(checkout_dir_).parent_path(), ec);
      if (reclone) {
        git::CommitInfo before;
        try {
          before = git::head_commit(checkout_dir_, trust_);
        } catch (const git::Error&) {
          // a broken checkout is what a reclone is for
        }
        std::string fresh = git::clone_beside(spec, checkout_dir_, trust_, r);
        git::exchange_folders(fresh, checkout_dir_);
        old_checkout_ = fresh;  // the previous checkout, now under the temporary name
        r.before = before;
      } else {
        r = git::sync_repo(spec, checkout_dir_, trust_);
      }
    } catch (const git::Error& e) {
      fail(std::move(l), "stack \"" + s_.name + "\": " + e.what());
    }
    res_.commit_before = r.before;
    res_.commit_after = r.after;
    auto line = [](const git::CommitInfo& c) {
      std::string first = c.message.substr(0, c.message.find('\n'));
      return c.hash.empty() ? std::string("(none)") : c.hash.substr(0, 8) + " " + first;
    };
    l.stdout_text = "before: " + line(r.before) + "\nafter:  " + line(r.after);
    l.end_ts = now_ms();
    log(std::move(l));
  }

  // After a reclone: the old checkout goes once the deploy succeeded, or comes back.
  void finish_reclone(bool keep_new) {
    if (old_checkout_.empty()) return;
    std::error_code ec;
    try {
      if (!keep_new) git::exchange_folders(old_checkout_, checkout_dir_);
    } catch (const std::exception&) {
      return;  // both stay; the error that stopped the deploy is the one to report
    }
    fs::remove_all(old_checkout_, ec);
    old_checkout_.clear();
  }

  const std::string& env_path() const { return env_path_; }
  // A path as the logs show it: relative to the run directory when it is inside it.
  std::string rel(const std::string& path) const {
    std::string r = fs::path(path).lexically_relative(run_dir_).string();
    return r.empty() || r.starts_with("..") ? path : r;
  }

  void stage_environment() {
    std::string text = environment_file_text(s_.environment);
    if (text.empty()) return;
    staged_.files[env_path()] = text;
    redact_dotenv(text, red_);
    std::vector<std::string> keys;
    for (std::size_t start = 0; start < text.size();) {
      auto end = text.find('\n', start);
      keys.push_back(text.substr(start, text.find('=', start) - start));
      start = end + 1;
    }
    std::string listed;
    for (const auto& k : keys)
      listed += (listed.empty() ? "" : ", ") + k;
    log({"Environment", "write " + s_.env_file_path, "variables: " + listed, "", true, now_ms(),
         now_ms()});
  }

  // Runs a hook; pre_deploy failures stop the deploy, post_deploy ones are reported.
  void hook(const char* stage, const Hook& h, bool pre) {
    std::string command = parse_multiline(h.command);
    if (command.empty()) return;
    Log l{stage, command, "", "", true, now_ms(), 0};
    std::string cwd;
    try {
      cwd = inside(h.path, std::string(pre ? "pre_deploy" : "post_deploy") + ".path");
    } catch (const std::exception& e) {
      if (pre) fail(std::move(l), red_(e.what()));
      l.success = false;
      l.stderr_text = red_(e.what());
      l.end_ts = now_ms();
      log(std::move(l));
      res_.error = red_(e.what());
      return;
    }
    if (auto call = as_sops_decrypt(command)) {
      l.command += "   (in-process)";
      decrypt_in_process(*call, cwd, l, pre);
      return;
    }
    if (opts_.dry_run) {
      l.stdout_text = "not run: dry run";
      l.end_ts = now_ms();
      log(std::move(l));
      return;
    }
    if (pre) {
      // The hook may read the env file: it goes to disk first, as Komodo writes it first,
      // with what was there kept to be put back if the deploy fails.
      backup(env_path());
      for (const auto& f : additional_env_files_)
        backup(f);
      if (auto it = staged_.files.find(env_path()); it != staged_.files.end()) {
        write_secret_file(it->first, it->second);
        staged_.files.erase(it);
      }
    }
    ShellResult r = run_shell(command, cwd, s_.hook_timeout_s);
    l.stdout_text = r.out;
    l.stderr_text = r.err;
    l.success = r.status == 0;
    l.end_ts = now_ms();
    if (!l.success) {
      std::string msg = "stack \"" + s_.name + "\": " + (pre ? "pre_deploy" : "post_deploy") +
                        " failed (" +
                        (r.timed_out ? "timed out" : "exit status " + std::to_string(r.status)) +
                        "): " + red_(last_line(r.err.empty() ? r.out : r.err));
      if (pre) fail(std::move(l), msg);
      log(std::move(l));
      res_.error = red_(msg);
      return;
    }
    log(std::move(l));
    if (pre) {
      // What the hook wrote is what compose reads from now on.
      for (auto& b : backups_)
        if (auto text = read_if_exists(b.path)) redact_dotenv(*text, red_);
    }
  }

  static std::string last_line(const std::string& text) {
    std::string t = trim(text);
    auto nl = t.rfind('\n');
    return nl == std::string::npos ? t : t.substr(nl + 1);
  }

  void decrypt_in_process(const SopsDecryptCall& call, const std::string& cwd, Log& l, bool pre) {
    sops::FolderOptions fo;
    fo.recursive = call.recursive;
    fo.check = call.check;
    fo.write_plaintext = false;
    sops::EnvironmentKeySource keys;
    std::vector<std::string> dirs;
    std::string out, errors;
    for (const auto& d : call.dirs) {
      try {
        dirs.push_back(inside(d.starts_with('/') ? d : cwd + "/" + d, "sops-decrypt folder"));
      } catch (const std::exception& e) {
        errors += std::string(e.what()) + "\n";
      }
    }
    if (dirs.empty() && call.dirs.empty()) dirs.push_back(cwd);
    for (const auto& dir : dirs) {
      std::vector<sops::FileResult> results;
      try {
        results = sops::decrypt_folder(dir, fo, keys);
      } catch (const std::exception& e) {
        errors += std::string(e.what()) + "\n";
        continue;
      }
      for (auto& r : results) {
        if (r.status == sops::FileResult::Status::kFailed) {
          errors += printable_name(rel(r.source)) + ": " + r.message + "\n";
          continue;
        }
        if (call.check) {
          out += printable_name(rel(r.source)) + ": ok\n";
          continue;
        }
        std::string target;
        try {
          target = inside(r.target, "sops-decrypt target");
        } catch (const std::exception& e) {
          errors += std::string(e.what()) + "\n";
          continue;
        }
        redact_dotenv(r.plaintext.str(), red_);
        staged_.files[target] = r.plaintext.str();
        staged_.decrypted.insert(target);
        out += printable_name(rel(r.source)) + " -> " + printable_name(rel(r.target)) +
               ": decrypted\n";
      }
    }
    if (out.empty() && errors.empty()) out = "no *.sops.* files in " + cwd + "\n";
    l.stdout_text = out;
    l.stderr_text = errors;
    l.end_ts = now_ms();
    if (!errors.empty()) {
      std::string msg = "stack \"" + s_.name + "\": " + (pre ? "pre_deploy" : "post_deploy") +
                        " (sops-decrypt) failed: " + last_line(errors);
      if (pre) fail(std::move(l), msg);
      l.success = false;
      log(std::move(l));
      res_.error = red_(msg);
      return;
    }
    log(std::move(l));
    if (!pre) write_staged();  // a post_deploy decrypt has nothing to wait for
  }

  void backup(const std::string& path) {
    for (const auto& b : backups_)
      if (b.path == path) return;
    Backup b;
    b.path = path;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      b.existed = true;
      b.mode = st.st_mode & 07777;
      SecureBytes bytes = read_file(path, std::size_t(64) << 20);
      b.content = SecretString(std::string(bytes.begin(), bytes.end()));
    }
    backups_.push_back(std::move(b));
  }

  void restore() {
    for (auto& b : backups_) {
      try {
        if (b.existed) {
          write_file_atomic(b.path, b.content.bytes(), b.mode);
        } else {
          ::unlink(b.path.c_str());
        }
      } catch (const std::exception&) {
        // Best effort: the error that stopped the deploy is the one to report.
      }
    }
    backups_.clear();
  }

  compose::Project load() {
    Log l{"Compose Config", "", "", "", true, now_ms(), 0};
    compose::LoadOptions lo;
    lo.cwd = run_dir_;
    lo.project_directory = run_dir_;
    lo.project_name =
        compose::normalize_project_name(s_.project_name.empty() ? s_.name : s_.project_name);
    try {
      for (const auto& f : s_.file_paths)
        lo.files.push_back(inside(f, "file_paths"));
    } catch (const std::exception& e) {
      fail(std::move(l), red_(e.what()));
    }
    lo.env_files = additional_env_files_;
    std::error_code ec;
    if (staged_.files.contains(env_path()) || fs::is_regular_file(env_path(), ec))
      lo.env_files.push_back(env_path());
    std::map<std::string, std::string> overlay(staged_.files.begin(), staged_.files.end());
    lo.file_overlay = &overlay;
    l.command = "compose -p " + lo.project_name;
    for (const auto& f : s_.file_paths)
      l.command += " -f " + f;
    for (const auto& f : lo.env_files)
      l.command += " --env-file " + fs::path(f).lexically_relative(run_dir_).string();
    l.command += " config";
    compose::Project p;
    try {
      p = compose::load_project(lo);
    } catch (const std::exception& e) {
      for (auto& [k, v] : overlay)
        wipe(v);
      fail(std::move(l), "stack \"" + s_.name + "\": " + e.what());
    }
    for (auto& [k, v] : overlay)
      wipe(v);
    std::string services;
    for (const auto& s : p.services)
      services += (services.empty() ? "" : ", ") + s.name;
    l.stdout_text = "project " + p.name + ": " + services;
    res_.project_name = p.name;
    for (const auto& svc : p.services)
      res_.services.push_back({svc.name, compose::container_name(p, svc, 1), svc.image});
    res_.compose_config = red_(p.to_yaml());
    for (const auto& w : p.warnings)
      l.stderr_text += "warning: " + w + "\n";
    l.end_ts = now_ms();
    log(std::move(l));
    return p;
  }

  void write_staged() {
    if (staged_.files.empty()) return;
    Log l{"Write Files", "write env files (atomic, mode 0600)", "", "", true, now_ms(), 0};
    for (auto& [path, text] : staged_.files) {
      std::string rel = fs::path(path).lexically_relative(run_dir_).string();
      if (staged_.decrypted.contains(path) && !s_.write_plaintext) {
        l.stdout_text += rel + ": kept in memory (write_plaintext = false)\n";
        continue;
      }
      auto before = read_if_exists(path);
      if (before && *before == text) {
        l.stdout_text += rel + ": unchanged\n";
        wipe(*before);
        continue;
      }
      if (before) wipe(*before);
      try {
        backup(path);  // put back if a later stage fails
        write_secret_file(path, text);
      } catch (const std::exception& e) {
        fail(std::move(l), "stack \"" + s_.name + "\": " + e.what());
      }
      l.stdout_text += rel + ": written (mode 0600)\n";
    }
    l.end_ts = now_ms();
    log(std::move(l));
    for (auto& [p, text] : staged_.files)
      wipe(text);
    staged_.files.clear();
  }

  void down(const compose::Project& project) {
    Log l{"Compose Down", "compose -p " + project.name + " down", "", "", true, now_ms(), 0};
    compose::DownOptions d;
    d.progress = [&](const std::string& line) { l.stdout_text += line + "\n"; };
    try {
      compose::down(client_, project, d);
    } catch (const std::exception& e) {
      fail(std::move(l), "stack \"" + s_.name + "\": " + e.what());
    }
    l.end_ts = now_ms();
    log(std::move(l));
  }

  // auto_pull: fresh images before up; an image that can't be pulled but is here already is
  // used as it is (a local build, or a registry out of reach), with a warning.
  // The X-Registry-Auth for an image: the deploy's registry account when the image is on
  // its registry, else none.
  std::string registry_auth(const std::string& image) const {
    const auto& reg = opts_.registry;
    if (!reg || engine::registry_of(image) != engine::registry_of(reg->domain + "/x")) return "";
    return engine::registry_auth(reg->username, reg->token, reg->domain).str();
  }

  void pull(const compose::Project& project, compose::Observed& observed,
            std::set<std::string>& done) {
    Log l{"Compose Pull", "compose -p " + project.name + " pull", "", "", true, now_ms(), 0};
    for (const auto& s : project.services) {
      if (s.image.empty() || !done.insert(s.image).second) continue;
      try {
        std::string auth = registry_auth(s.image);
        client_.pull_image(s.image, auth);
        const auto& reg = opts_.registry;
        l.stdout_text +=
            s.image + (auth.empty() ? std::string(": pulled\n")
                                    : ": pulled as " + reg->username + " on " + reg->domain + "\n");
        observed.image_ids[s.image] = client_.inspect_image(s.image).id;
      } catch (const std::exception& e) {
        bool local = true;
        try {
          client_.inspect_image(s.image);
        } catch (const std::exception&) {
          local = false;
        }
        if (!local)
          fail(std::move(l), "stack \"" + s_.name + "\": service \"" + s.name + "\": can't pull " +
                                 s.image + ": " + e.what());
        l.stderr_text +=
            "warning: " + s.image + ": can't pull (" + e.what() + "); using the local image\n";
      }
    }
    l.end_ts = now_ms();
    log(std::move(l));
  }

  void up(const compose::Project& project, UpArgs& args) {
    Log l{"Compose Up", "compose -p " + project.name + " up -d", "", "", true, now_ms(), 0};
    for (const auto& a : s_.extra_args)
      l.command += " " + a;
    args.up.apply.progress = [&](const std::string& line) { l.stdout_text += line + "\n"; };
    compose::UpResult r;
    try {
      r = compose::up(client_, project, args.up);
    } catch (const std::exception& e) {
      fail(std::move(l), "stack \"" + s_.name + "\": " + e.what());
    }
    res_.changed = r.plan.changes();
    std::set<std::string> services;
    for (const auto& a : r.plan.actions)
      if (!a.service.empty() && a.op != compose::Op::kKeep && a.op != compose::Op::kOrphan)
        services.insert(a.service);
    res_.services_touched.assign(services.begin(), services.end());
    auto note = [&](const char* what, const std::vector<std::string>& names) {
      for (const auto& n : names)
        res_.touched.push_back(std::string(what) + " " + n);
    };
    note("created", r.applied.created);
    note("recreated", r.applied.recreated);
    note("started", r.applied.started);
    note("restarted", r.applied.restarted);
    note("removed", r.applied.removed);
    l.end_ts = now_ms();
    log(std::move(l));
  }

  Stack s_;
  engine::Client& client_;
  const DeployOptions& opts_;
  Redactor red_;
  git::Trust trust_;
  std::string stack_dir_, checkout_dir_, run_dir_;
  std::string base_dir_;  // the folder every path of the stack stays in
  std::string env_path_;
  std::vector<std::string> additional_env_files_;
  std::string old_checkout_;  // a reclone's previous checkout, until the deploy ends
  Staged staged_;
  std::vector<Backup> backups_;
  DeployResult res_;
};

}  // namespace

std::string environment_file_text(const std::string& environment) {
  std::string out;
  std::size_t start = 0;
  while (start <= environment.size()) {
    auto end = environment.find('\n', start);
    if (end == std::string::npos) end = environment.size();
    std::string line = trim(environment.substr(start, end - start));
    start = end + 1;
    if (line.empty() || line[0] == '#') continue;
    if (line.starts_with("- ")) line = trim(line.substr(2));
    if (auto c = line.find(" #"); c != std::string::npos) line = trim(line.substr(0, c));
    auto eq = line.find('=');
    auto colon = line.find(": ");
    std::size_t sep =
        eq != std::string::npos && (colon == std::string::npos || eq < colon) ? eq : colon;
    if (sep == std::string::npos) continue;
    std::string key = trim(line.substr(0, sep));
    std::string value = trim(line.substr(sep + (sep == eq ? 1 : 2)));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front())
      value = value.substr(1, value.size() - 2);
    out += key + "=" + value + "\n";
    if (end == environment.size()) break;
  }
  return out;
}

DeployResult deploy(const Stack& stack, const std::map<std::string, Variable>& variables,
                    engine::Client& client, const DeployOptions& opts) {
  return Run(stack, variables, client, opts).go();
}

}  // namespace varan::hooks
