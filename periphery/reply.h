/// What a Komodo request handler answers: a status and a JSON body, Serror on failure.
#pragma once

#include <string>

#include "komodo/serror.h"

namespace varan::periphery {

struct Reply {
  int status = 200;
  std::string body;  // JSON
};

using komodo::serror;

}  // namespace varan::periphery
