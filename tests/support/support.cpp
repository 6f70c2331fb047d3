#include "tests/support/support.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <fcntl.h>
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

#include "common/process.h"
#include "secrets/primitives.h"

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
  ChildSpec spec{.argv = argv, .cwd = opts.cwd, .env = opts.env, .input = opts.input};
  if (opts.stdout_path) spec.out = ChildOutput::file(*opts.stdout_path);
  ChildResult c = run_child(spec);
  RunResult res;
  res.status = c.status;
  res.out = text_of(c.out);
  res.err = c.started ? text_of(c.err) : c.error;
  res.max_rss_kib = c.max_rss_kib;
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
  return start_child({.argv = argv,
                      .env = opts.env,
                      .out = ChildOutput::file(log, true),
                      .err = ChildOutput::file(log, true),
                      .own_group = true,
                      .nofile = opts.nofile,
                      .uid = opts.uid});
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
