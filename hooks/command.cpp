#include "hooks/command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

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
  const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
  pid_t pid = ::fork();
  if (pid == 0) {
    // The child: only async-signal-safe calls from here to exec.
    ::setpgid(0, 0);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    if (::chdir(cwd.c_str()) != 0) {
      static const char msg[] = "cannot enter the hook's folder\n";
      (void)!::write(2, msg, sizeof msg - 1);
      ::_exit(126);
    }
    ::execv("/bin/sh", const_cast<char* const*>(argv));
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (pid < 0) {
    r.err = std::string("can't start /bin/sh: ") + std::strerror(errno);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return r;
  }
  ::setpgid(pid, pid);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open = 2;
  char buf[16384];
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
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (r.timed_out) {
    r.status = 128 + SIGKILL;
    r.err += "\nkilled after " + std::to_string(timeout_s) + " s (hook_timeout)";
  } else if (WIFEXITED(status)) {
    r.status = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.status = 128 + WTERMSIG(status);
  }
  // Whatever the command left behind in its group goes with it.
  ::kill(-pid, SIGKILL);
  return r;
}

}  // namespace varan::hooks
