/// The one error style of Varan: exceptions derived from varan::Error inside a module,
/// caught at the CLI and daemon boundaries, where they become a message and an exit code.
#pragma once

#include <stdexcept>
#include <string>

namespace varan {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A failure of the operating system (open, read, write, rename...), with errno's text.
class IoError : public Error {
 public:
  IoError(const std::string& what, int err);
  int code() const noexcept { return code_; }

 private:
  int code_;
};

}  // namespace varan
