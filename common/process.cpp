#include "common/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "common/error.h"

extern char** environ;

namespace varan {
namespace {

// A descriptor that closes itself.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd = std::exchange(o.fd, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

bool make_pipe(Fd& read_end, Fd& write_end) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return false;
  read_end = Fd(p[0]);
  write_end = Fd(p[1]);
  return true;
}

std::optional<std::string> find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  for (;;) {
    std::size_t colon = dirs.find(':', start);
    std::string dir = dirs.substr(start, colon - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    if (colon == std::string::npos) return std::nullopt;
    start = colon + 1;
  }
}

// What a child that did not reach its program writes to the status pipe.
enum class Stage : int { kLimits = 1, kChdir = 2, kExec = 3 };
struct StartFailure {
  Stage stage;
  int err;
};

// The watchman's state and SIGTERM handler, set only in the watchman after fork.
volatile sig_atomic_t g_caller = 0, g_group = 0;
void kill_group_if_orphaned(int) {
  // PR_SET_PDEATHSIG's signal: the caller is gone, take the whole group down (the watchman
  // too). A SIGTERM from anyone else (systemd stopping the agent) is the child's to handle.
  if (::getppid() != g_caller) ::kill(-g_group, SIGKILL);
}

// A member of the child's group that only waits: PR_SET_PDEATHSIG kills the child alone when
// the caller dies, not what the child started; the watchman gets SIGTERM then and kills the
// whole group. Returns its pid, or -1.
pid_t start_watchman(pid_t caller, pid_t group) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  g_caller = caller;
  g_group = group;
  ::setpgid(0, group);
  // No descriptor of the caller (its sockets above all) stays open in here.
  if (::close_range(0, ~0U, 0) != 0) {
    struct rlimit nofile {};
    ::getrlimit(RLIMIT_NOFILE, &nofile);
    for (rlim_t fd = 0; fd < nofile.rlim_cur && fd < (1 << 20); ++fd)
      ::close(static_cast<int>(fd));
  }
  struct sigaction sa {};
  sa.sa_handler = kill_group_if_orphaned;
  ::sigaction(SIGTERM, &sa, nullptr);
  sigset_t only_term;
  ::sigfillset(&only_term);
  ::sigdelset(&only_term, SIGTERM);
  ::sigprocmask(SIG_SETMASK, &only_term, nullptr);
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != caller) kill_group_if_orphaned(0);  // the caller died before prctl
  for (;;)
    ::pause();
}

// Everything the child needs, made before fork: after it, only async-signal-safe calls.
struct Launch {
  std::string program;
  std::vector<std::string> argv_strings, env_strings;
  std::vector<char*> argv, envp;
  Fd in_child, out_child, err_child;     // the child's ends
  Fd in_parent, out_parent, err_parent;  // ours (-1 when not a pipe)
  Fd status_read, status_write;

  ~Launch() {
    for (auto& s : env_strings)
      wipe(s);
  }
};

// Opens what the spec asks for; "" when ready, else why not.
std::string prepare(const ChildSpec& spec, Launch& l) {
  if (spec.argv.empty()) return "no command to run";
  auto program = spec.program.empty() ? find_program(spec.argv[0]) : spec.program;
  if (!program) return spec.argv[0] + ": not found on PATH";
  l.program = *program;
  l.argv_strings = spec.argv;
  for (auto& a : l.argv_strings)
    l.argv.push_back(a.data());
  l.argv.push_back(nullptr);
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string_view::npos && spec.env.count(std::string(kv.substr(0, eq)))) continue;
    l.env_strings.emplace_back(kv);
  }
  for (const auto& [k, v] : spec.env)
    l.env_strings.push_back(k + "=" + v);
  for (auto& s : l.env_strings)
    l.envp.push_back(s.data());
  l.envp.push_back(nullptr);

  auto pipe_failed = [] { return std::string("cannot create a pipe: ") + std::strerror(errno); };
  if (!spec.input.empty()) {
    if (!make_pipe(l.in_child, l.in_parent)) return pipe_failed();
    ::fcntl(l.in_parent.fd, F_SETFL, O_NONBLOCK);
  } else {
    l.in_child = Fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (l.in_child.fd < 0) return std::string("cannot open /dev/null: ") + std::strerror(errno);
  }
  auto output = [&](const ChildOutput& o, Fd& child, Fd& parent) -> std::string {
    if (o.kind == ChildOutput::Kind::kCapture) return make_pipe(parent, child) ? "" : pipe_failed();
    if (o.kind == ChildOutput::Kind::kFile) {
      int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (o.append ? O_APPEND : O_TRUNC);
      child = Fd(::open(o.path.c_str(), flags, 0644));
      if (child.fd < 0) return "cannot open " + o.path + ": " + std::strerror(errno);
    }
    return "";
  };
  if (auto e = output(spec.out, l.out_child, l.out_parent); !e.empty()) return e;
  if (auto e = output(spec.err, l.err_child, l.err_parent); !e.empty()) return e;
  if (!make_pipe(l.status_read, l.status_write)) return pipe_failed();
  return "";
}

[[noreturn]] void fail_in_child(int status_fd, Stage stage) {
  StartFailure f{stage, errno};
  (void)!::write(status_fd, &f, sizeof f);
  ::_exit(stage == Stage::kChdir ? 126 : 127);
}

// In the child: puts `from` on `to` (0, 1, 2) without the close-on-exec flag.
void place(int from, int to) {
  if (from < 0) return;
  if (from == to)
    ::fcntl(to, F_SETFD, 0);
  else
    ::dup2(from, to);
}

[[noreturn]] void become_child(const ChildSpec& spec, Launch& l, pid_t caller) {
  if (spec.own_group) ::setpgid(0, 0);
  // Default signals (the caller may ignore SIGPIPE) and no blocked ones.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGPIPE, &dfl, nullptr);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (spec.die_with_caller) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != caller) ::_exit(128 + SIGKILL);  // the caller died before prctl
  }
  // Move our ends above 2 first, so that placing one cannot overwrite another.
  int fds[3] = {l.in_child.fd, l.out_child.fd, l.err_child.fd};
  for (int& fd : fds)
    if (fd >= 0 && fd <= 2) fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  for (int i = 0; i < 3; ++i)
    place(fds[i], i);
  int status_fd = l.status_write.fd;
  if (spec.nofile) {
    rlimit lim{*spec.nofile, *spec.nofile};
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) fail_in_child(status_fd, Stage::kLimits);
  }
  if (spec.uid && (::setgid(*spec.uid) != 0 || ::setuid(*spec.uid) != 0))
    fail_in_child(status_fd, Stage::kLimits);
  if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) fail_in_child(status_fd, Stage::kChdir);
  ::execve(l.program.c_str(), l.argv.data(), l.envp.data());
  fail_in_child(status_fd, Stage::kExec);
}

// Forks; closes the child's ends; waits for the exec (or the report of why it failed).
// Returns the pid, or -1 with `r` saying why.
pid_t launch(const ChildSpec& spec, Launch& l, ChildResult& r) {
  if (auto e = prepare(spec, l); !e.empty()) {
    r.status = e.ends_with("not found on PATH") ? 127 : -1;
    r.error = e;
    return -1;
  }
  pid_t caller = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) become_child(spec, l, caller);
  int fork_errno = errno;
  for (Fd* f : {&l.in_child, &l.out_child, &l.err_child, &l.status_write})
    f->reset();
  for (auto& s : l.env_strings)
    wipe(s);
  if (pid < 0) {
    r.error = std::string("cannot start a process: ") + std::strerror(fork_errno);
    return -1;
  }
  if (spec.own_group) ::setpgid(pid, pid);  // also here: no race with a kill(-pid)
  StartFailure f{};
  ssize_t got;
  while ((got = ::read(l.status_read.fd, &f, sizeof f)) < 0 && errno == EINTR) {
  }
  if (got <= 0) {
    r.started = true;
    return pid;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.status = f.stage == Stage::kChdir ? 126 : 127;
  std::string why = std::strerror(f.err);
  switch (f.stage) {
    case Stage::kChdir:
      r.error = "cannot enter " + spec.cwd + ": " + why;
      break;
    case Stage::kExec:
      r.error = "cannot execute " + l.program + ": " + why;
      break;
    case Stage::kLimits:
      r.error = "cannot set the limits or user of " + l.program + ": " + why;
  }
  return -1;
}

// Kills the child's group (with own_group) and reaps the child and the watchman whenever
// run_child stops waiting: done, timed out, or an exception on the way out.
struct Reaper {
  pid_t pid;
  bool group;
  pid_t watchman = -1;
  int status = 0;
  rusage usage{};
  bool reaped = false;
  void reap() {
    while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
    }
    reaped = true;
  }
  ~Reaper() {
    if (group) ::kill(-pid, SIGKILL);
    if (!reaped) {
      if (!group) ::kill(pid, SIGKILL);
      reap();
    }
    if (watchman > 0) {
      ::kill(watchman, SIGKILL);  // in case it never made it into the group
      while (::waitpid(watchman, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  }
};

// Blocks SIGPIPE in this thread while input is written to a child that may have exited, and
// drops the one a write raised, so a caller that does not ignore SIGPIPE is not killed.
struct SigpipeShield {
  sigset_t pipe_only{}, old{};
  bool was_pending = false;
  SigpipeShield() {
    ::sigemptyset(&pipe_only);
    ::sigaddset(&pipe_only, SIGPIPE);
    sigset_t pending;
    ::sigpending(&pending);
    was_pending = ::sigismember(&pending, SIGPIPE) == 1;
    ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  }
  ~SigpipeShield() {
    if (!was_pending) {
      timespec zero{};
      while (::sigtimedwait(&pipe_only, nullptr, &zero) > 0) {
      }
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }
};

// Feeds the input and collects the captured streams until they close or the deadline passes.
void pump(const ChildSpec& spec, Launch& l, ChildResult& r, pid_t pid) {
  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> deadline;
  if (spec.timeout) deadline = Clock::now() + *spec.timeout;
  std::optional<SigpipeShield> shield;
  if (l.in_parent.fd >= 0) shield.emplace();
  std::size_t written = 0;
  char buf[16384];
  for (;;) {
    pollfd fds[3];
    Fd* owners[3];
    int n = 0;
    if (l.in_parent.fd >= 0) owners[n] = &l.in_parent, fds[n++] = {l.in_parent.fd, POLLOUT, 0};
    if (l.out_parent.fd >= 0) owners[n] = &l.out_parent, fds[n++] = {l.out_parent.fd, POLLIN, 0};
    if (l.err_parent.fd >= 0) owners[n] = &l.err_parent, fds[n++] = {l.err_parent.fd, POLLIN, 0};
    if (n == 0) break;
    int wait_ms = -1;
    if (deadline) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now()).count();
      if (left <= 0) {
        r.timed_out = true;
        ::kill(spec.own_group ? -pid : pid, SIGKILL);
        break;
      }
      wait_ms = static_cast<int>(std::min<long long>(left, 1000));
    }
    if (::poll(fds, static_cast<nfds_t>(n), wait_ms) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      if (owners[i] == &l.in_parent) {
        ssize_t w = ::write(fds[i].fd, spec.input.data() + written, spec.input.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == spec.input.size())
          owners[i]->reset();
        continue;
      }
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        auto& sink = owners[i] == &l.out_parent ? r.out : r.err;
        sink.insert(sink.end(), buf, buf + got);
      } else if (got == 0 || errno != EINTR) {
        owners[i]->reset();
      }
    }
  }
  wipe(buf, sizeof buf);
  for (Fd* f : {&l.in_parent, &l.out_parent, &l.err_parent})
    f->reset();
}

}  // namespace

ChildResult run_child(const ChildSpec& spec) {
  ChildResult r;
  Launch l;
  pid_t pid = launch(spec, l, r);
  if (pid < 0) return r;
  Reaper reaper{pid, spec.own_group};
  if (spec.own_group && spec.die_with_caller) {
    reaper.watchman = start_watchman(::getpid(), pid);
    if (reaper.watchman < 0) {
      r.started = false;
      r.status = -1;
      r.error = std::string("cannot start the watchman process: ") + std::strerror(errno);
      return r;  // the reaper kills the child
    }
    ::setpgid(reaper.watchman, pid);
  }
  pump(spec, l, r, pid);
  reaper.reap();
  r.max_rss_kib = reaper.usage.ru_maxrss;
  if (r.timed_out)
    r.status = 128 + SIGKILL;
  else if (WIFEXITED(reaper.status))
    r.status = WEXITSTATUS(reaper.status);
  else if (WIFSIGNALED(reaper.status))
    r.status = 128 + WTERMSIG(reaper.status);
  return r;  // whatever the child left behind in its group goes with it (the reaper)
}

pid_t start_child(const ChildSpec& spec) {
  if (!spec.input.empty() || spec.out.kind == ChildOutput::Kind::kCapture ||
      spec.err.kind == ChildOutput::Kind::kCapture)
    throw Error("start_child: a background child cannot have its streams captured");
  ChildResult r;
  Launch l;
  pid_t pid = launch(spec, l, r);
  if (pid < 0) throw Error(r.error);
  return pid;
}

}  // namespace varan
