#include "tests/support/engine_proxy.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace varan::test {

namespace {

int connect_to(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool is_method(std::string_view line) {
  for (const char* m : {"GET ", "POST ", "PUT ", "DELETE ", "HEAD "})
    if (line.starts_with(m)) return true;
  return false;
}

}  // namespace

EngineProxy::EngineProxy(const std::string& listen_path, const std::string& engine_path)
    : engine_(engine_path) {
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, listen_path.c_str(), sizeof a.sun_path - 1);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 64) != 0)
    throw std::runtime_error("proxy: can't listen on " + listen_path);
  accepter_ = std::thread([this] {
    for (;;) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      ++connections_;
      int e = connect_to(engine_);
      pumps_.emplace_back([this, c, e] { pump(c, e, this); });
      pumps_.emplace_back([c, e] { pump(e, c, nullptr); });
    }
  });
}

EngineProxy::~EngineProxy() {
  ::shutdown(fd_, SHUT_RDWR);
  accepter_.join();
  ::close(fd_);
  for (auto& t : pumps_)
    t.detach();  // each ends when its engine or client side closes
}

int EngineProxy::requests(const std::string& method, const std::string& path_part) const {
  std::lock_guard lock(mu_);
  int n = 0;
  for (const auto& l : request_lines_)
    if (l.starts_with(method + " ") && l.find(path_part) != std::string::npos) ++n;
  return n;
}

// One direction of a connection. Client to engine (`record` set): every line that starts a
// request is recorded. A body that happens to hold such a line would count too; the engine
// calls Varan makes send JSON bodies on one line.
void EngineProxy::pump(int from, int to, EngineProxy* record) {
  char buf[16384];
  std::string line;
  for (;;) {
    ssize_t n = from < 0 || to < 0 ? -1 : ::read(from, buf, sizeof buf);
    if (n <= 0 || ::send(to, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) break;
    if (!record) continue;
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] != '\n') {
        if (line.size() < 4096) line += buf[i];
        continue;
      }
      if (is_method(line) && line.find(" HTTP/1.") != std::string::npos) {
        std::lock_guard lock(record->mu_);
        record->request_lines_.push_back(line);
      }
      line.clear();
    }
  }
  if (to >= 0) ::shutdown(to, SHUT_WR);
}

}  // namespace varan::test
