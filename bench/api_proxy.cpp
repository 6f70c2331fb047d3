// A counting proxy for the Docker Engine API: listens on a unix socket, forwards every
// connection to the engine's socket, and appends one line per HTTP request ("METHOD /path")
// to a log file, so a benchmark can count the calls a tool makes. Bodies are skipped by
// Content-Length or chunked framing; a connection that upgrades (attach, exec) is passed
// through uncounted from then on.
// Usage: api_proxy LISTEN_SOCKET ENGINE_SOCKET LOG_FILE
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace {

std::mutex log_mu;
std::FILE* log_file = nullptr;

int connect_to(const char* path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path, sizeof a.sun_path - 1);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  return fd;
}

bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string r(s);
  std::transform(r.begin(), r.end(), r.begin(), [](unsigned char c) { return std::tolower(c); });
  return r;
}

// Parses the requests in the client's byte stream as they pass.
class RequestCounter {
 public:
  void feed(const char* p, std::size_t n) {
    if (passthrough_) return;
    buf_.append(p, n);
    for (;;) {
      if (state_ == State::kHeaders) {
        auto end = buf_.find("\r\n\r\n");
        if (end == std::string::npos) return;
        headers(std::string_view(buf_).substr(0, end));
        buf_.erase(0, end + 4);
        if (passthrough_) return;
      } else if (state_ == State::kBody) {
        std::size_t k = std::min(remaining_, buf_.size());
        buf_.erase(0, k);
        remaining_ -= k;
        if (remaining_ > 0) return;
        state_ = chunked_ ? State::kChunkEnd : State::kHeaders;
      } else if (state_ == State::kChunkSize) {
        auto eol = buf_.find("\r\n");
        if (eol == std::string::npos) return;
        remaining_ = std::strtoull(buf_.c_str(), nullptr, 16);
        buf_.erase(0, eol + 2);
        if (remaining_ == 0) {
          state_ = State::kTrailer;
        } else {
          state_ = State::kBody;
        }
      } else if (state_ == State::kChunkEnd) {
        if (buf_.size() < 2) return;
        buf_.erase(0, 2);
        state_ = State::kChunkSize;
      } else {  // kTrailer: lines until an empty one
        auto eol = buf_.find("\r\n");
        if (eol == std::string::npos) return;
        bool empty = eol == 0;
        buf_.erase(0, eol + 2);
        if (empty) state_ = State::kHeaders;
      }
    }
  }

 private:
  enum class State { kHeaders, kBody, kChunkSize, kChunkEnd, kTrailer };

  void headers(std::string_view h) {
    auto eol = h.find("\r\n");
    std::string_view request_line = h.substr(0, eol);
    auto sp1 = request_line.find(' ');
    auto sp2 = request_line.rfind(' ');
    std::string method(request_line.substr(0, sp1));
    std::string target(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
    target = target.substr(0, target.find('?'));
    {
      std::lock_guard lock(log_mu);
      std::fprintf(log_file, "%s %s\n", method.c_str(), target.c_str());
      std::fflush(log_file);
    }
    chunked_ = false;
    remaining_ = 0;
    std::size_t pos = eol == std::string_view::npos ? h.size() : eol + 2;
    while (pos < h.size()) {
      auto next = h.find("\r\n", pos);
      if (next == std::string_view::npos) next = h.size();
      std::string_view line = h.substr(pos, next - pos);
      pos = next + 2;
      auto colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string name = lower(line.substr(0, colon));
      std::string value = lower(line.substr(colon + 1));
      value.erase(0, value.find_first_not_of(' '));
      if (name == "content-length") remaining_ = std::strtoull(value.c_str(), nullptr, 10);
      if (name == "transfer-encoding" && value.find("chunked") != std::string::npos)
        chunked_ = true;
      if (name == "upgrade") passthrough_ = true;
    }
    bool exec_start = target.find("/exec/") != std::string::npos && target.ends_with("/start");
    if (target.ends_with("/attach") || exec_start) passthrough_ = true;
    state_ = chunked_ ? State::kChunkSize : remaining_ > 0 ? State::kBody : State::kHeaders;
  }

  std::string buf_;
  State state_ = State::kHeaders;
  std::size_t remaining_ = 0;
  bool chunked_ = false;
  bool passthrough_ = false;
};

void pipe_bytes(int from, int to, RequestCounter* counter) {
  char buf[64 * 1024];
  for (;;) {
    ssize_t r = ::read(from, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    if (counter) counter->feed(buf, static_cast<std::size_t>(r));
    if (!write_all(to, buf, static_cast<std::size_t>(r))) break;
  }
  ::shutdown(to, SHUT_WR);
  ::shutdown(from, SHUT_RD);
}

void serve(int client, const std::string& engine) {
  int upstream = connect_to(engine.c_str());
  if (upstream < 0) {
    ::close(client);
    return;
  }
  RequestCounter counter;
  std::thread back(pipe_bytes, upstream, client, nullptr);
  pipe_bytes(client, upstream, &counter);
  back.join();
  ::close(client);
  ::close(upstream);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: api_proxy LISTEN_SOCKET ENGINE_SOCKET LOG_FILE\n");
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  log_file = std::fopen(argv[3], "a");
  if (!log_file) {
    std::perror(argv[3]);
    return 1;
  }
  ::unlink(argv[1]);
  int lfd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
  if (lfd < 0 || ::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(lfd, 128) != 0) {
    std::perror(argv[1]);
    return 1;
  }
  std::string engine = argv[2];
  for (;;) {
    int c = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR) continue;
      std::perror("accept");
      return 1;
    }
    std::thread(serve, c, engine).detach();
  }
}
