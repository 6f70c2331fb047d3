#include "hooks/command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/secure.h"

extern char** environ;

namespace varan::hooks {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

namespace {

std::vector<std::string> split(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t at; (at = s.find(sep, start)) != std::string::npos; start = at + sep.size())
    out.push_back(s.substr(start, at - start));
  out.push_back(s.substr(start));
  return out;
}

// Trimmed lines without empty ones, `#` lines, or ` #` tails.
std::vector<std::string> code_lines(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& raw : split(text, "\n")) {
    std::string line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    out.push_back(trim(line.substr(0, line.find(" #"))));
  }
  return out;
}

}  // namespace

std::string parse_multiline(const std::string& command) {
  std::string joined;
  for (const auto& l : code_lines(command))
    joined += (joined.empty() ? "" : "\n") + l;
  // ` \` continuations: the pieces are trimmed (newline included) and joined by a space.
  std::string folded;
  for (const auto& piece : split(joined, " \\"))
    folded += " " + trim(piece);
  std::string out;
  for (const auto& l : code_lines(folded))
    out += (out.empty() ? "" : " && ") + l;
  return out;
}

std::optional<SopsDecryptCall> as_sops_decrypt(const std::string& command) {
  // Only plain words: anything a shell would interpret goes to the shell.
  if (command.find_first_of("&|;<>$`\\\"'(){}*?~=\n") != std::string::npos) return std::nullopt;
  std::vector<std::string> words;
  for (const auto& w : split(command, " "))
    if (!trim(w).empty()) words.push_back(trim(w));
  if (words.empty()) return std::nullopt;
  std::string prog = words[0].substr(words[0].rfind('/') + 1);
  if (prog != "sops-decrypt" && prog != "sops-decrypt.sh") return std::nullopt;
  SopsDecryptCall call;
  for (std::size_t i = 1; i < words.size(); ++i) {
    const auto& w = words[i];
    if (w == "-r" || w == "--recursive")
      call.recursive = true;
    else if (w == "--check")
      call.check = true;
    else if (w.starts_with("-"))
      return std::nullopt;  // a flag we don't know: let the real program have it
    else
      call.dirs.push_back(w);
  }
  return call;
}

namespace {

// The variable that carries the command to the shell. The shell's argv is readable by every
// local user (/proc/PID/cmdline); its environment only by its owner and root
// (/proc/PID/environ is 0400). The script expands the variable, then unsets it before the
// command runs, so the hook's own children never inherit it; `eval` runs the command exactly
// as `sh -c COMMAND` would (same parsing, exit status, `exit`, `$0`).
constexpr char kCommandVar[] = "VARAN_HOOK_COMMAND";
constexpr char kShellScript[] =  // names kCommandVar twice
    "eval \"unset VARAN_HOOK_COMMAND; $VARAN_HOOK_COMMAND\"";

// The watchman's state and SIGTERM handler. It is set only in the watchman after fork.
volatile sig_atomic_t g_runner = 0, g_group = 0;
void kill_group_if_orphaned(int) {
  // PR_SET_PDEATHSIG's signal: the runner is gone, take the whole group down (the watchman
  // too). A SIGTERM from anyone else (systemd stopping the agent) is the hook's to handle.
  if (::getppid() != g_runner) ::kill(-g_group, SIGKILL);
}

// Kills the hook's process group and reaps the shell and the watchman whenever the runner
// stops waiting: done, timed out, or an exception on the way out.
struct GroupGuard {
  pid_t shell, watchman = -1;
  int status = 0;
  bool reaped = false;
  static void wait_for(pid_t pid, int& out) {
    while (::waitpid(pid, &out, 0) < 0 && errno == EINTR) {
    }
  }
  void reap_shell() {
    wait_for(shell, status);
    reaped = true;
  }
  ~GroupGuard() {
    ::kill(-shell, SIGKILL);
    if (!reaped) reap_shell();
    if (watchman > 0) {
      ::kill(watchman, SIGKILL);  // in case it never made it into the group
      int ignored = 0;
      wait_for(watchman, ignored);
    }
  }
};

}  // namespace

ShellResult run_shell(const std::string& command, const std::string& cwd, long timeout_s) {
  ShellResult r;
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    r.err = std::string("can't create a pipe: ") + std::strerror(errno);
    return r;
  }
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    r.err = std::string("can't create a pipe: ") + std::strerror(errno);
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return r;
  }
  // Everything the children need is made before fork: after it, only async-signal-safe calls.
  const char* argv[] = {"sh", "-c", kShellScript, nullptr};
  std::string var = std::string(kCommandVar) + "=" + command;
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, var.c_str(), sizeof kCommandVar) != 0) envp.push_back(*e);
  envp.push_back(var.data());
  envp.push_back(nullptr);
  pid_t runner = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    // The shell: leader of a process group of its own, default signals (the runner ignores
    // SIGPIPE), killed if the runner dies.
    ::setpgid(0, 0);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGPIPE, &dfl, nullptr);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != runner) ::_exit(128 + SIGKILL);  // the runner died before prctl
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    if (::chdir(cwd.c_str()) != 0) {
      static const char msg[] = "cannot enter the hook's folder\n";
      (void)!::write(2, msg, sizeof msg - 1);
      ::_exit(126);
    }
    ::execve("/bin/sh", const_cast<char* const*>(argv), envp.data());
    ::_exit(127);
  }
  wipe(var);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (pid < 0) {
    r.err = std::string("can't start /bin/sh: ") + std::strerror(errno);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return r;
  }
  ::setpgid(pid, pid);
  GroupGuard group{pid};
  // The watchman: a member of the hook's group that only waits. PR_SET_PDEATHSIG kills the
  // shell alone when the runner dies, even by SIGKILL, but not what the shell started; the
  // watchman gets SIGTERM then and kills the whole group, so no hook outlives its deploy.
  pid_t watchman = ::fork();
  if (watchman == 0) {
    g_runner = runner;
    g_group = pid;
    ::setpgid(0, pid);
    // No descriptor of the runner (its sockets above all) stays open in here.
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
    if (::getppid() != runner) kill_group_if_orphaned(0);  // the runner died before prctl
    for (;;)
      ::pause();
  }
  if (watchman < 0) {
    r.err = std::string("can't start the hook's watchman process: ") + std::strerror(errno);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    r.status = -1;
    return r;  // the guard kills the shell
  }
  ::setpgid(watchman, pid);
  group.watchman = watchman;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open = 2;
  char buf[16384];
  try {
    while (open > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0) {
        r.timed_out = true;
        ::kill(-pid, SIGKILL);
        break;
      }
      int n = ::poll(fds, 2, static_cast<int>(std::min<long long>(left, 1000)));
      if (n < 0 && errno != EINTR) break;
      for (int i = 0; i < 2; ++i) {
        if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
        if (got > 0) {
          sinks[i]->append(buf, static_cast<std::size_t>(got));
        } else if (got == 0 || errno != EINTR) {
          ::close(fds[i].fd);
          fds[i].fd = -1;
          --open;
        }
      }
    }
  } catch (...) {
    for (auto& f : fds)
      if (f.fd >= 0) ::close(f.fd);
    throw;  // the guard kills the group
  }
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  group.reap_shell();
  int status = group.status;
  if (r.timed_out) {
    r.status = 128 + SIGKILL;
    r.err += "\nkilled after " + std::to_string(timeout_s) + " s (hook_timeout)";
  } else if (WIFEXITED(status)) {
    r.status = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.status = 128 + WTERMSIG(status);
  }
  return r;  // whatever the command left behind in its group goes with it (the guard)
}

}  // namespace varan::hooks
