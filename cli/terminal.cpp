#include "cli/terminal.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include "common/error.h"

namespace varan::cli {

bool is_terminal(int fd) { return ::isatty(fd) == 1; }

SecretString read_secret(const std::string& prompt) {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) throw Error("could not read the passphrase: no terminal is available");
  std::string p = prompt + " ";
  (void)!::write(fd, p.data(), p.size());
  termios old{};
  bool restore = ::tcgetattr(fd, &old) == 0;
  if (restore) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  SecretString out;
  out.str().reserve(1024);
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n' && out.str().size() < 1023)
    out.str().push_back(c);
  if (!out.str().empty() && out.str().back() == '\r') out.str().pop_back();
  c = 0;
  if (restore) ::tcsetattr(fd, TCSAFLUSH, &old);
  (void)!::write(fd, "\n", 1);
  ::close(fd);
  return out;
}

}  // namespace varan::cli
