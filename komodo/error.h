/// The error of Komodo's wire: a resource file or a body that is not what Komodo writes. The
/// message names the file (or request) and the key.
#pragma once

#include "common/error.h"

namespace varan::komodo {

class Error : public varan::Error {
 public:
  using varan::Error::Error;
};

}  // namespace varan::komodo
