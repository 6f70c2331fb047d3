/// The distinct ways reading an age file can fail, so callers (and the CCTV tests) can
/// tell "this identity does not match" from "this file is damaged" and say where.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace varan::age {

enum class Failure {
  kNoMatch,  // no identity could unwrap the file key (an expected outcome, not damage)
  kHeader,   // the header is malformed, or a stanza for one of our identities is
  kHmac,     // the file key was found but the header MAC does not verify
  kPayload,  // the payload is truncated, has trailing data, or was tampered with
  kArmor,    // the ASCII armor is malformed
  kKey,      // a recipient, identity or key file is malformed
};

/// "no identity matched", "header failure", ... as a short phrase.
std::string_view failure_name(Failure f);

class Error : public varan::Error {
 public:
  Error(Failure f, const std::string& msg) : varan::Error(msg), failure_(f) {}
  Failure failure() const noexcept { return failure_; }

 private:
  Failure failure_;
};

}  // namespace varan::age
