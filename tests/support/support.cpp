#include "tests/support/support.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "secrets/primitives.h"

extern char** environ;

namespace varan::test {

std::string vectors_dir() {
  if (const char* v = std::getenv("VARAN_VECTORS"); v && *v) return v;
  return VARAN_VECTORS_DEFAULT;
}

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::optional<std::string> which(const std::string& program) {
  if (program.find('/') != std::string::npos)
    return file_exists(program) ? std::optional(program) : std::nullopt;
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    std::string p = dir + "/" + program;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return std::nullopt;
}

RunResult run(const std::vector<std::string>& argv, const RunOptions& opts) {
  // A child that exits without reading all its input must not kill the test.
  ::signal(SIGPIPE, SIG_IGN);
  RunResult res;
  auto exe = which(argv.at(0));
  if (!exe) {
    res.status = 127;
    res.err = argv[0] + ": not found";
    return res;
  }
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC))
    throw std::runtime_error("pipe");
  int out_file = -1;
  if (opts.stdout_path) {
    out_file = ::open(opts.stdout_path->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out_file < 0) throw std::runtime_error("open " + *opts.stdout_path);
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out_file >= 0 ? out_file : out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  if (!opts.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, opts.cwd.c_str());

  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : opts.env)
    env[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env)
    env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, args;
  for (auto& s : env_strings)
    envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& a : argv_copy)
    args.push_back(a.data());
  args.push_back(nullptr);

  pid_t pid;
  int rc = posix_spawn(&pid, exe->c_str(), &fa, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (out_file >= 0) ::close(out_file);
  if (rc != 0) {
    ::close(in[1]);
    ::close(out[0]);
    ::close(err[0]);
    res.status = 127;
    res.err = std::strerror(rc);
    return res;
  }
  ::fcntl(in[1], F_SETFL, O_NONBLOCK);
  std::size_t written = 0;
  int in_fd = in[1];
  if (opts.input.empty()) {
    ::close(in_fd);
    in_fd = -1;
  }
  int out_fd = out[0], err_fd = err[0];
  char buf[65536];
  while (out_fd >= 0 || err_fd >= 0 || in_fd >= 0) {
    pollfd fds[3];
    int n = 0;
    if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
    if (out_fd >= 0) fds[n++] = {out_fd, POLLIN, 0};
    if (err_fd >= 0) fds[n++] = {err_fd, POLLIN, 0};
    if (::poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      if (fds[i].fd == in_fd) {
        ssize_t w = ::write(in_fd, opts.input.data() + written, opts.input.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        if (w < 0 && errno != EAGAIN) written = opts.input.size();
        if (written == opts.input.size()) {
          ::close(in_fd);
          in_fd = -1;
        }
      } else {
        ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
        if (r <= 0) {
          ::close(fds[i].fd);
          (fds[i].fd == out_fd ? out_fd : err_fd) = -1;
        } else {
          (fds[i].fd == out_fd ? res.out : res.err).append(buf, static_cast<std::size_t>(r));
        }
      }
    }
  }
  int status = 0;
  rusage ru{};
  while (::wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
  }
  res.max_rss_kib = ru.ru_maxrss;
  res.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return res;
}

ScopedEnv::ScopedEnv(std::string name, const std::optional<std::string>& value)
    : name_(std::move(name)) {
  if (const char* was = std::getenv(name_.c_str())) old_ = was;
  if (value)
    ::setenv(name_.c_str(), value->c_str(), 1);
  else
    ::unsetenv(name_.c_str());
}

ScopedEnv::~ScopedEnv() {
  if (old_)
    ::setenv(name_.c_str(), old_->c_str(), 1);
  else
    ::unsetenv(name_.c_str());
}

TempDir::TempDir() {
  const char* t = std::getenv("TMPDIR");
  std::string tmpl = std::string(t && *t ? t : "/tmp") + "/varan-test-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_text(const std::string& path, const std::string& data, unsigned mode) {
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << data;
  }
  ::chmod(path.c_str(), mode);
}

std::string pattern_bytes(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; i += 8) {
    auto v = rng();
    for (std::size_t k = 0; k < 8 && i + k < n; ++k)
      s[i + k] = static_cast<char>(v >> (8 * k));
  }
  return s;
}

std::string sha256_hex(const std::string& data) {
  auto h = crypto::sha256({reinterpret_cast<const std::uint8_t*>(data.data()), data.size()});
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (auto b : h) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

namespace {
pid_t spawn(const std::vector<std::string>& argv, const std::string& log,
            const DaemonOptions& opts) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    for (const auto& [k, v] : opts.env)
      ::setenv(k.c_str(), v.c_str(), 1);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    if (opts.nofile) {
      rlimit lim{*opts.nofile, *opts.nofile};
      if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) ::_exit(126);
    }
    if (opts.uid && (::setgid(*opts.uid) != 0 || ::setuid(*opts.uid) != 0)) ::_exit(126);
    std::vector<char*> args;
    for (const auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}
}  // namespace

pid_t spawn_background(const std::vector<std::string>& argv, const std::string& log,
                       const std::map<std::string, std::string>& env) {
  return spawn(argv, log, {.env = env});
}

void stop_background(pid_t pid) {
  if (pid <= 0) return;
  ::kill(-pid, SIGTERM);
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
}

pid_t spawn_daemon(const std::vector<std::string>& argv, const std::string& log,
                   const DaemonOptions& opts) {
  return spawn(argv, log, opts);
}

std::string stop_daemon(pid_t pid, const std::string& log, int grace_s) {
  if (pid <= 0) return "";
  ::kill(-pid, SIGTERM);
  int status = 0;
  pid_t got = 0;
  for (int i = 0; i < grace_s * 20 && (got = ::waitpid(pid, &status, WNOHANG)) == 0; ++i)
    ::usleep(50'000);
  std::string what;
  if (got == 0) {
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    what = "did not exit within " + std::to_string(grace_s) + " s of SIGTERM";
  } else if (got < 0) {
    return "can't wait for pid " + std::to_string(pid) + ": " + std::strerror(errno);
  } else if (WIFSIGNALED(status)) {
    what = "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  } else if (WEXITSTATUS(status) != 0) {
    what = "exited with status " + std::to_string(WEXITSTATUS(status));
  } else {
    return "";
  }
  ::kill(-pid, SIGKILL);  // whatever it left behind in its group
  std::string text = read_text(log);
  constexpr std::size_t kTail = 6000;
  if (text.size() > kTail) text = "..." + text.substr(text.size() - kTail);
  return "daemon " + std::to_string(pid) + " " + what + "; the end of " + log + ":\n" + text;
}

bool wait_for_port(int port, int seconds) {
  for (int i = 0; i == 0 || i < seconds * 20; ++i) {  // at least one try
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return true;
    ::usleep(50'000);
  }
  return false;
}

}  // namespace varan::test
